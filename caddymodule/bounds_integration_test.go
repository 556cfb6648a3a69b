package caddymodule_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// boundsSite serves dir through matte with the given options, for the
// pipeline bounds of issue 16 checked end to end.
func boundsSite(t *testing.T, dir, matte string) *caddytest.Tester {
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		rembg off
		cache off
		%s
	}
	file_server
}`, dir, matte), "caddyfile")
	return tester
}

// grayPNG is a w x h black 8-bit greyscale PNG: cheap to store, costly to
// enlarge.
func grayPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lyingJPEG is a 16x16 JPEG whose frame header claims w x h.
func lyingJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	b := solidJPEG(t, 16, 16, color.RGBA{200, 30, 30, 255})
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 marker in the test JPEG")
	}
	b[i+5], b[i+6], b[i+7], b[i+8] = byte(h>>8), byte(h), byte(w>>8), byte(w)
	return b
}

// TestPipelineBoundsThroughServer: the pipeline findings of issue 16,
// through the real server.
func TestPipelineBoundsThroughServer(t *testing.T) {
	dir := t.TempDir()
	photo := solidJPEG(t, 1200, 900, color.RGBA{40, 90, 200, 255})
	full := solidJPEG(t, 600, 450, color.RGBA{200, 200, 40, 255})
	writeFiles(t, dir, map[string][]byte{
		"wide.png":      grayPNG(t, 12000, 999), // 12 MP, ~30 KB
		"photo.jpg":     photo,
		"photo.png":     grayPNG(t, 1200, 900),
		"lying.jpg":     lyingJPEG(t, 7000, 7000),
		"truncated.jpg": full[:len(full)*2/3],
	})
	tester := boundsSite(t, dir, "timeout 10s")

	t.Run("an enlarging smart crop does not build the enlarged image", func(t *testing.T) {
		for _, crop := range []string{"entropy", "attention"} {
			start := time.Now()
			res, body := get(t, tester, "http://localhost:9080/wide.png?fit=crop&w=8192&h=8192&crop="+crop+"&fm=jpg")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("crop=%s: %d %s", crop, res.StatusCode, body)
			}
			if f, w, h := imageSize(t, body); f != "jpeg" || w != 8192 || h != 8192 {
				t.Errorf("crop=%s: %s %dx%d, want jpeg 8192x8192", crop, f, w, h)
			}
			// The enlarged image would be 98000x8192 (800 MP); before the fix
			// the request ran past its 10 s timeout.
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("crop=%s took %v", crop, d)
			}
		}
	})

	t.Run("rotation, flips and orientations", func(t *testing.T) {
		rotated := func(deg float64) (int, int) {
			r := deg * math.Pi / 180
			return int(math.Round(1200*math.Cos(r) + 900*math.Sin(r))), int(math.Round(1200*math.Sin(r) + 900*math.Cos(r)))
		}
		w33, h33 := rotated(33)
		for _, tc := range []struct {
			path, query string
			w, h        int
		}{
			// rot-type=pivot turns the frame (the bounding box); imgix's
			// default, straighten, keeps 1200x900.
			{"photo.jpg", "rot=90&rot-type=pivot", 900, 1200},
			{"photo.png", "rot=90&rot-type=pivot", 900, 1200},
			{"photo.jpg", "rot=33&rot-type=pivot", w33, h33},
			{"photo.png", "rot=33&rot-type=pivot", w33, h33},
			{"photo.jpg", "rot=90", 1200, 900},
			{"photo.png", "rot=33", 1200, 900},
			{"photo.jpg", "flip=v", 1200, 900},
			{"photo.jpg", "orient=6", 900, 1200},
			{"photo.png", "or=90", 900, 1200},
			{"photo.jpg", "orient=8&w=300", 300, 400},
			{"photo.jpg", "orient=3&w=300", 300, 225},
		} {
			res, body := get(t, tester, "http://localhost:9080/"+tc.path+"?"+tc.query)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s?%s: %d %s", tc.path, tc.query, res.StatusCode, body)
				continue
			}
			if _, w, h := imageSize(t, body); abs(w-tc.w) > 1 || abs(h-tc.h) > 1 {
				t.Errorf("%s?%s: %dx%d, want %dx%d", tc.path, tc.query, w, h, tc.w, tc.h)
			}
		}
	})

	t.Run("truncated and lying JPEGs are 422", func(t *testing.T) {
		for _, path := range []string{"lying.jpg", "truncated.jpg"} {
			for _, q := range []string{"w=100", "w=100&fm=png", "rot=90", "orient=6&w=100"} {
				res, body := get(t, tester, "http://localhost:9080/"+path+"?"+q)
				if res.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte(`"code":"corrupt_source"`)) {
					t.Errorf("%s?%s: %d %s, want 422 corrupt_source", path, q, res.StatusCode, body)
				}
			}
		}
	})
}

// TestSlowTransformStopsAtTimeout: a blur that would run for minutes
// (max_blur_sigma raised so it is not reduced first) is stopped inside
// libvips when the timeout passes: the 503 comes within 1 s of it.
func TestSlowTransformStopsAtTimeout(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"photo.jpg": solidJPEG(t, 1200, 900, color.RGBA{40, 90, 200, 255})})
	tester := boundsSite(t, dir, "timeout 300ms\n\t\tmax_blur_sigma 1000")
	start := time.Now()
	res, body := get(t, tester, "http://localhost:9080/photo.jpg?w=4096&h=4096&fit=scale&blur=2000&fm=jpg")
	took := time.Since(start)
	if res.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(`"code":"timeout"`)) || res.Header.Get("Retry-After") == "" {
		t.Fatalf("%d %s (Retry-After %q), want 503 timeout with Retry-After", res.StatusCode, body, res.Header.Get("Retry-After"))
	}
	if took > 300*time.Millisecond+time.Second {
		t.Errorf("the timeout answer came after %v, more than 1 s past the 300 ms timeout", took)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
