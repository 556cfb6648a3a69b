package vips

import (
	"strings"
	"testing"
)

// TestInfo pins what `caddy matte-version` reports for each build: the npm
// build reads its codecs from versions.json (pinned by scripts/fetch-vips.sh),
// a system build lists the codec libraries it loaded.
func TestInfo(t *testing.T) {
	bi := Info()
	if bi.Version == "" || bi.Headers == "" {
		t.Fatalf("no version: %+v", bi)
	}
	// The headers and the library agree on major.minor (the npm headers are
	// one patch release behind the library).
	if mm := bi.Headers[:strings.LastIndexByte(bi.Headers, '.')]; !strings.HasPrefix(bi.Version, mm+".") {
		t.Errorf("library %s, headers %s", bi.Version, bi.Headers)
	}
	if bi.Library == "" {
		t.Error("no library path")
	}
	if bi.NPM {
		if bi.Version != "8.18.8" || !strings.HasSuffix(bi.Library, "/vips/lib/libvips-cpp.so.8.18.8") {
			t.Errorf("npm build runs libvips %s from %s, want 8.18.8 from runtime/vips/lib", bi.Version, bi.Library)
		}
		for name, want := range map[string]string{"vips": "8.18.8", "webp": "1.6.0", "aom": "3.15.3", "zlib-ng": "2.3.3", "highway": "1.4.0"} {
			if got := bi.Components[name]; got != want {
				t.Errorf("versions.json %s = %q, want %q", name, got, want)
			}
		}
		if len(bi.Objects) != 0 {
			t.Errorf("objects listed for the npm build: %v", bi.Objects)
		}
		return
	}
	if bi.Components != nil {
		t.Errorf("components for a non-npm build: %v", bi.Components)
	}
	found := false
	for _, o := range bi.Objects {
		found = found || strings.Contains(o, "libjpeg")
	}
	if !found {
		t.Errorf("no libjpeg among the loaded objects: %v", bi.Objects)
	}
}
