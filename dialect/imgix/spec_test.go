package imgix

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// imgixSpec is the part of imgix's published parameter list (npm
// imgix-url-params, dist/parameters.json) these tests read.
type imgixSpec struct {
	Version    string `json:"version"`
	Parameters map[string]struct {
		DisallowBase64 bool `json:"disallow_base64"`
	} `json:"parameters"`
	Aliases map[string]string `json:"aliases"`
}

// loadImgixSpec reads the imgix-url-params package that make clients
// installs in test/clients/builders (pinned there), or skips.
func loadImgixSpec(t *testing.T) imgixSpec {
	t.Helper()
	path := filepath.Join("..", "..", "test", "clients", "builders", "node_modules", "imgix-url-params", "dist", "parameters.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("imgix's parameter list is not installed (%v): run make clients", err)
	}
	var spec imgixSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(spec.Parameters) < 100 || len(spec.Aliases) < 50 {
		t.Fatalf("%s lists %d parameters and %d aliases: not the file expected", path, len(spec.Parameters), len(spec.Aliases))
	}
	return spec
}

// matteOnly are the query parameters Matte adds to imgix's: background
// removal's options (imgix has bg-remove but no knobs) and fill=blur's
// strength. Any other name Matte reads must be imgix's, spelled as imgix
// spells it.
var matteOnly = []string{
	"bg-blur", "bg-gradient", "bg-image", "erode", "feather", "fg-pad", "fill-blur", "model", "position", "refine",
	"rembg", "scale", "semitransparency", "shadow", "shadow-blur", "shadow-color", "shadow-offset", "shadow-opacity", "threshold",
}

func TestParameterNamesAreImgixs(t *testing.T) {
	spec := loadImgixSpec(t)
	for _, name := range ParamNames() {
		_, imgix := spec.Parameters[name]
		if imgix == slices.Contains(matteOnly, name) {
			t.Errorf("%s: in imgix's list %v (version %s), in Matte's own list %v", name, imgix, spec.Version, !imgix)
		}
	}
}

// Every alias imgix documents for a parameter Matte implements means that
// parameter, but the one-letter ones; the others are not Matte's (they go
// to the origin).
func TestImgixAliases(t *testing.T) {
	spec := loadImgixSpec(t)
	for alias, target := range spec.Aliases {
		if slices.Contains(singleLetterAliases, alias) {
			if IsParam(alias) {
				t.Errorf("one-letter alias %s of %s is read by Matte; it is left to the origin", alias, target)
			}
			continue
		}
		if alias == target || !IsParam(target) {
			if alias != target && IsParam(alias) {
				t.Errorf("alias %s of %s (not Matte's) is read by Matte", alias, target)
			}
			continue
		}
		if name, encoded, ok := resolveName(alias); !ok || encoded || name != target {
			t.Errorf("alias %s: resolves to %q (Base64 %v, ok %v), want %s", alias, name, encoded, ok, target)
		}
	}
}

// NAME64 exists for every parameter but those imgix marks disallow_base64.
func TestImgixBase64Variants(t *testing.T) {
	spec := loadImgixSpec(t)
	for _, name := range ParamNames() {
		want := !spec.Parameters[name].DisallowBase64
		if got := IsParam(name + "64"); got != want {
			t.Errorf("IsParam(%q) = %v, want %v", name+"64", got, want)
		}
	}
}
