// Package layout checks the package boundaries that the README's
// architecture section promises: the request model and every dialect build
// without cgo or libvips, and nothing below caddymodule imports Caddy.
package layout

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/jebosio/matte"

type pkg struct {
	ImportPath string
	Deps       []string
	CgoFiles   []string
	GoFiles    []string
	Imports    []string
}

// goList runs `go list -json` on patterns from the module root
// with env added, and returns the packages and their dependency lists.
func goList(t *testing.T, env []string, patterns ...string) []pkg {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	cmd := exec.Command(goTool, append([]string{"list", "-json=ImportPath,Deps,CgoFiles,GoFiles,Imports"}, patterns...)...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", patterns, err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// The request model and the dialects are pure Go: they build, test and
// fuzz with CGO_ENABLED=0, and none of them links libvips, ONNX Runtime or
// the pipeline.
func TestModelAndDialectsNeedNoCgo(t *testing.T) {
	forbidden := []string{"github.com/h2non/bimg", "github.com/yalue/onnxruntime_go", module + "/transform", module + "/segment", "github.com/caddyserver/caddy/v2"}
	pkgs := goList(t, []string{"CGO_ENABLED=0"}, "./params/...", "./dialect/...")
	if len(pkgs) < 2 {
		t.Fatalf("go list found %d packages under params/ and dialect/", len(pkgs))
	}
	for _, p := range pkgs {
		for _, d := range append([]string{p.ImportPath}, p.Deps...) {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s depends on %s", p.ImportPath, d)
				}
			}
		}
	}
	for _, p := range goList(t, nil, "./params/...", "./dialect/...") {
		if len(p.CgoFiles) > 0 {
			t.Errorf("%s has cgo files %v", p.ImportPath, p.CgoFiles)
		}
	}
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "./params/...", "./dialect/...")
	build.Dir = "../.."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build ./params/... ./dialect/...: %v\n%s", err, out)
	}
}

// Only the Caddy glue (caddymodule), the binary (cmd/caddy) and the root
// package, which exists for xcaddy and does nothing but import
// caddymodule, import Caddy; every other package of the module is usable
// without it.
func TestOnlyCaddymoduleImportsCaddy(t *testing.T) {
	pkgs := goList(t, nil, "./...")
	for _, p := range pkgs {
		if p.ImportPath == module+"/caddymodule" || strings.HasPrefix(p.ImportPath, module+"/cmd/") {
			continue
		}
		if p.ImportPath == module {
			if len(p.Imports) != 1 || p.Imports[0] != module+"/caddymodule" || len(p.GoFiles) != 1 {
				t.Errorf("the root package imports %v from %v; it should only import %s/caddymodule, from one file", p.Imports, p.GoFiles, module)
			}
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "github.com/caddyserver/caddy/") {
				t.Errorf("%s depends on %s", p.ImportPath, d)
				break
			}
		}
	}
}

// The README's Caddyfile reference is the `Syntax:` comment of
// caddymodule/caddyfile.go, word for word, so the two cannot drift apart.
func TestReadmeCaddyfileReference(t *testing.T) {
	code, err := os.ReadFile("../../caddymodule/caddyfile.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var syntax []string
	in := false
	for _, line := range strings.Split(string(code), "\n") {
		if strings.HasPrefix(line, "//\tmatte [<matcher>] {") {
			in = true
		}
		if in {
			if !strings.HasPrefix(line, "//") {
				break
			}
			syntax = append(syntax, strings.TrimPrefix(strings.TrimPrefix(line, "//"), "\t"))
		}
	}
	if len(syntax) < 10 {
		t.Fatalf("no Syntax block in caddyfile.go (%d lines)", len(syntax))
	}
	want := "```caddyfile\n" + strings.Join(syntax, "\n") + "\n```\n"
	if !strings.Contains(string(readme), want) {
		t.Errorf("README.md's Caddyfile reference differs from caddymodule/caddyfile.go's Syntax comment; it should read:\n%s", want)
	}
}
