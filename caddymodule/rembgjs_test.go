package caddymodule_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	_ "golang.org/x/image/webp"
)

// TestRembgJSClient drives the official rembg.com client,
// @remove-background-ai/rembg.js 1.3.1 from npm, unmodified
// (test/clients/rembgjs, installed by `make setup`), against Matte: a Node
// preload sends its requests for https://api.rembg.com to this server. Every
// input form and option the client documents must come back as an image the
// client hands over intact.
func TestRembgJSClient(t *testing.T) {
	rt := apiRuntime()
	if rt == "" {
		t.Skip("background-removal runtime not fetched; run `make runtime`")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; run `make setup`")
	}
	clientDir, _ := filepath.Abs(filepath.Join("..", "test", "clients", "rembgjs"))
	if _, err := os.Stat(filepath.Join(clientDir, "node_modules", "@remove-background-ai", "rembg.js", "package.json")); err != nil {
		t.Skip("rembg.js is not installed; run `make setup` (scripts/setup-clients.sh)")
	}
	photo := apiPhoto(t)
	dir := t.TempDir()
	photoPath := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(photoPath, photo, 0o600); err != nil {
		t.Fatal(err)
	}
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 3 * time.Minute})
	// The site also answers to 127.0.0.1, where the preload sends the client.
	site := strings.Replace(apiCaddyfile(t.TempDir(), rt, ""), "http://localhost:9080 {", "http://localhost:9080, http://127.0.0.1:9080 {", 1)
	tester.InitServer(site, "caddyfile")

	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--require", filepath.Join(clientDir, "redirect.cjs"), filepath.Join(clientDir, "run.cjs"))
	cmd.Dir = clientDir
	cmd.Env = append(os.Environ(), "MATTE_REMBG_ADDR=127.0.0.1:9080", "OUT_DIR="+out, "PHOTO="+photoPath)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node run.cjs: %v\n%s", err, b)
	}

	src, _, err := image.Decode(bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	for _, tc := range []struct {
		name       string
		format     string // as image.Decode names it
		w, h       int    // 0: checked by fits
		fits       [2]int // the box a resized answer fits, touching one side
		wantAlpha  bool   // some pixels transparent
		wantOpaque bool   // every pixel opaque
		wantMask   bool   // grey levels from black (background) to white (subject)
		wantWhite  bool   // the removed background is painted white
		prefix     string // the data URL prefix the client built
	}{
		{name: "path-defaults", format: "webp", w: sw, h: sh, wantAlpha: true},
		{name: "buffer-png", format: "png", w: sw, h: sh, wantAlpha: true},
		{name: "base64-input", format: "webp", w: sw, h: sh, wantAlpha: true},
		{name: "return-base64", format: "png", w: sw, h: sh, wantAlpha: true, prefix: "data:image/png;base64"},
		{name: "return-mask", format: "png", w: sw, h: sh, wantOpaque: true, wantMask: true},
		{name: "resize", format: "png", fits: [2]int{200, 100}, wantAlpha: true},
		{name: "angle-bg", format: "png", w: sh, h: sw, wantOpaque: true, wantWhite: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg, err := os.ReadFile(filepath.Join(out, tc.name+".error")); err == nil {
				t.Fatalf("the client failed: %s", msg)
			}
			body, err := os.ReadFile(filepath.Join(out, tc.name+".bin"))
			if err != nil {
				t.Fatalf("no output: %v", err)
			}
			img, format, err := image.Decode(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("the client's output (%d bytes, %.16q) does not decode: %v", len(body), body, err)
			}
			if format != tc.format {
				t.Errorf("format %s, want %s", format, tc.format)
			}
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			switch {
			case tc.w > 0 && (w != tc.w || h != tc.h):
				t.Errorf("%dx%d, want %dx%d", w, h, tc.w, tc.h)
			case tc.w == 0 && (w > tc.fits[0] || h > tc.fits[1] || w != tc.fits[0] && h != tc.fits[1]):
				t.Errorf("%dx%d does not fit %dx%d touching a side", w, h, tc.fits[0], tc.fits[1])
			}
			transparent, black, white, samples := 0, 0, 0, 0
			for y := 0; y < h; y += 4 {
				for x := 0; x < w; x += 4 {
					r, g, b, a := img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y).RGBA()
					samples++
					if a < 0xffff {
						transparent++
					}
					if max(r, g, b) < 0x0800 {
						black++
					}
					if min(r, g, b) > 0xf800 {
						white++
					}
				}
			}
			// A tenth of the photo is background at least, and a tenth subject.
			if tc.wantMask && (black < samples/10 || white < samples/10) {
				t.Errorf("mask: %d black and %d white of %d samples, want a tenth each", black, white, samples)
			}
			if tc.wantWhite && white < samples/10 {
				t.Errorf("%d white of %d samples: the background is not white", white, samples)
			}
			if tc.wantAlpha && transparent == 0 {
				t.Error("no transparent pixel: the background was not removed")
			}
			if tc.wantOpaque && transparent > 0 {
				t.Errorf("%d sampled pixels are transparent, want an opaque image", transparent)
			}
			if tc.prefix != "" {
				var meta struct{ Prefix string }
				b, _ := os.ReadFile(filepath.Join(out, tc.name+".json"))
				if err := json.Unmarshal(b, &meta); err != nil || !strings.HasPrefix(meta.Prefix, tc.prefix) {
					t.Errorf("data URL prefix %q (%v), want %q", meta.Prefix, err, tc.prefix)
				}
			}
		})
	}
}
