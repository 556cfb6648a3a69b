package caddymodule_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestFrameworkExamples runs the examples of the README's "Use it from your
// framework" section (test/clients/builders/frameworks.mjs reads them from
// README.md and runs them with the pinned packages: next/image, @nuxt/image,
// @unpic/astro, unpic, @imgix/js-core, @imgproxy/imgproxy-node), serves a
// site whose matte block holds exactly the section's Caddyfile lines, and
// requests every URL the examples build, checking width, height and format.
// An example that stops working fails here.
func TestFrameworkExamples(t *testing.T) {
	root, dir, node := nodeBuilders(t, "next", "@nuxt/image", "@unpic/astro", "unpic", "@imgix/js-core", "@imgproxy/imgproxy-node")
	cmd := exec.Command(node, filepath.Join(dir, "frameworks.mjs"), "--readme", filepath.Join(root, "README.md"),
		"--src-width", "1200", "--src-height", "900")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("frameworks.mjs: %v\n%s", err, stderr.String())
	}
	var built struct {
		Accept    string `json:"accept"`
		Caddyfile []struct{ Example, Text string }
		Cases     []struct {
			Example, URL, Request, Format string
			Width, Height                 int
		}
	}
	if err := json.Unmarshal(out, &built); err != nil {
		t.Fatalf("frameworks.mjs output: %v", err)
	}
	if len(built.Cases) == 0 {
		t.Fatal("the README's framework examples built no URL")
	}

	var lines []string
	for _, c := range built.Caddyfile {
		body, err := matteBlockBody(c.Text)
		if err != nil {
			t.Fatalf("README example %s: %v", c.Example, err)
		}
		lines = append(lines, body...)
	}
	siteDir := t.TempDir()
	writeFiles(t, siteDir, map[string][]byte{"img/photo.jpg": builderPhoto(t, 1200, 900)})
	config := globalOptions + fmt.Sprintf(`
http://127.0.0.1:9080 {
	root * %s
	matte {
		%s
		rembg off
	}
	file_server
}`, siteDir, strings.Join(uniqueStatements(lines), "\n\t\t"))
	tester := caddytest.NewTester(t)
	tester.InitServer(config, "caddyfile")

	for _, c := range built.Cases {
		t.Run(c.Example+" "+c.Request, func(t *testing.T) {
			checkBuiltImage(t, tester, "http://127.0.0.1:9080"+c.Request, built.Accept,
				"README example "+c.Example+" built "+c.URL, c.Format, c.Width, c.Height)
		})
	}
}

// nodeBuilders returns the repository root, test/clients/builders and the
// node binary, skipping the test (saying why) when node or one of the named
// npm packages is not installed there.
func nodeBuilders(t *testing.T, pkgs ...string) (root, dir, node string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(root, "test", "clients", "builders")
	node, err = exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed, so the npm URL builders cannot run (make setup installs nodejs)")
	}
	for _, pkg := range pkgs {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
			t.Skipf("%s is not installed in test/clients/builders/node_modules (run make clients)", pkg)
		}
	}
	return root, dir, node
}

// checkBuiltImage requests url with Accept and fails unless the answer is a
// 200 image of the given format and size; what names the URL's origin in
// the failure.
func checkBuiltImage(t *testing.T, tester *caddytest.Tester, url, accept, what, format string, width, height int) {
	t.Helper()
	res, body := get(t, tester, url, "Accept", accept)
	if res.StatusCode != 200 {
		t.Fatalf("%s: status %d: %.300s", what, res.StatusCode, body)
	}
	f, w, h := imageSize(t, body)
	if f != format || w != width || h != height {
		t.Errorf("%s: got %s %dx%d, want %s %dx%d", what, f, w, h, format, width, height)
	}
}

// matteBlockBody returns the top-level statements inside the first
// `matte { ... }` block of a Caddyfile snippet, each with its own nested
// block (for example imgproxy's key and salt) joined into one string.
func matteBlockBody(text string) ([]string, error) {
	var stmts []string
	var cur []string
	depth, in := 0, false
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if !in {
			if line == "matte {" {
				in, depth = true, 1
			}
			continue
		}
		opens, closes := strings.Count(line, "{"), strings.Count(line, "}")
		if depth == 1 && line == "}" {
			return stmts, nil
		}
		cur = append(cur, line)
		depth += opens - closes
		if depth == 1 {
			stmts = append(stmts, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	return nil, fmt.Errorf("no complete `matte { ... }` block in:\n%s", text)
}

// uniqueStatements keeps the first of each identical statement, so that two
// examples needing the same url_dialect line turn it on once.
func uniqueStatements(stmts []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range stmts {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
