package caddymodule_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"image"
	"net/http"
	"testing"
)

// TestThumborURLs runs Thumbor URLs (thumbor.readthedocs.io "Usage")
// through the server, unsigned (no key configured).
func TestThumborURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect thumbor")
	t.Run("WxH crops to the size, smart", func(t *testing.T) {
		s.image(t, "/unsafe/100x100/smart/img/photo.jpg", "jpeg", 100, 100)
	})
	t.Run("fit-in with fill pads", func(t *testing.T) {
		s.image(t, "/unsafe/fit-in/100x100/filters:fill(white):format(png)/img/photo.jpg", "png", 100, 100)
	})
	// The photo is red on its left half, blue on its right: its mean is
	// purple.
	t.Run("fill(auto) pads in the image's mean colour", func(t *testing.T) {
		img := s.png(t, "/unsafe/fit-in/100x100/filters:fill(auto):format(png)/img/photo.jpg", 100, 100)
		if r, g, b, _ := img.At(50, 5).RGBA(); absDiff(r, 0x7f7f) > 0x800 || g > 0x800 || absDiff(b, 0x7f7f) > 0x800 {
			t.Errorf("fill(auto): pixel (50,5) = %x %x %x, want the mean (127, 0, 127)", r, g, b)
		}
	})
	// A 3x3 box blur mixes red and blue where the halves meet, and leaves
	// the red half red.
	t.Run("convolution", func(t *testing.T) {
		img := s.png(t, "/unsafe/100x50/filters:convolution(1;1;1;1;1;1;1;1;1,3,true):format(png)/img/photo.jpg", 100, 50)
		if r, _, b, _ := img.At(10, 25).RGBA(); r < 0xe000 || b > 0x2000 {
			t.Errorf("convolution: pixel (10,25) = %x %x, want red", r, b)
		}
		r1, _, b1, _ := img.At(49, 25).RGBA()
		r2, _, b2, _ := img.At(50, 25).RGBA()
		if r1 > 0xf000 || b1 < 0x1000 || r2 < 0x1000 || b2 > 0xf000 {
			t.Errorf("convolution: pixels (49,25) %x %x and (50,25) %x %x, want red and blue mixed", r1, b1, r2, b2)
		}
		s.refused(t, "/unsafe/filters:convolution(1;1,2,true)/img/photo.jpg", http.StatusBadRequest, "filters:convolution")
	})
	// A red curve to 0 everywhere blacks the red half out, and leaves blue.
	t.Run("curve", func(t *testing.T) {
		id := "%5B(0,0),(255,255)%5D"
		img := s.png(t, "/unsafe/100x50/filters:curve("+id+",%5B(0,0),(255,0)%5D,"+id+","+id+"):format(png)/img/photo.jpg", 100, 50)
		if r, g, b, _ := img.At(10, 25).RGBA(); r > 0x800 || g > 0x800 || b > 0x800 {
			t.Errorf("curve: red pixel = %x %x %x, want black", r, g, b)
		}
		if r, _, b, _ := img.At(90, 25).RGBA(); r > 0x800 || b < 0xe000 {
			t.Errorf("curve: blue pixel = %x %x, want blue", r, b)
		}
		s.refused(t, "/unsafe/filters:curve("+id+")/img/photo.jpg", http.StatusBadRequest, "filters:curve")
	})
	// The logo is an opaque PNG (no alpha band): autojpg answers a JPEG.
	t.Run("autojpg", func(t *testing.T) {
		s.image(t, "/unsafe/filters:autojpg()/img/logo.png", "jpeg", 10, 10)
		s.image(t, "/unsafe/filters:autojpg(false)/img/logo.png", "png", 10, 10)
		s.image(t, "/unsafe/filters:autojpg():format(png)/img/logo.png", "png", 10, 10)
	})
	// noise: the blue half is no longer one colour.
	t.Run("noise", func(t *testing.T) {
		img := s.png(t, "/unsafe/100x50/filters:noise(60):format(png)/img/photo.jpg", 100, 50)
		seen := map[uint32]bool{}
		for x := 60; x < 100; x++ {
			_, g, _, _ := img.At(x, 25).RGBA()
			seen[g>>8] = true
		}
		if len(seen) < 10 {
			t.Errorf("noise(60): %d green levels along the blue half, want grain", len(seen))
		}
		s.refused(t, "/unsafe/filters:noise(101)/img/photo.jpg", http.StatusBadRequest, "filters:noise")
	})
	// rotate(90) turns the resized, cropped image counter-clockwise, as
	// Thumbor's PIL engine does: the red left half ends at the bottom, and
	// a crop anchored right stays the blue right half.
	t.Run("rotate turns the result counter-clockwise", func(t *testing.T) {
		img := s.png(t, "/unsafe/100x50/filters:rotate(90):format(png)/img/photo.jpg", 50, 100)
		if r, _, b, _ := img.At(25, 90).RGBA(); r < 0xe000 || b > 0x2000 {
			t.Errorf("rotate(90): pixel (25,90) = %x %x, want red", r, b)
		}
		if r, _, b, _ := img.At(25, 10).RGBA(); r > 0x2000 || b < 0xe000 {
			t.Errorf("rotate(90): pixel (25,10) = %x %x, want blue", r, b)
		}
		img = s.png(t, "/unsafe/50x50/right/filters:rotate(-90):format(png)/img/photo.jpg", 50, 50)
		for _, y := range []int{5, 45} {
			if r, _, b, _ := img.At(25, y).RGBA(); r > 0x2000 || b < 0xe000 {
				t.Errorf("right, rotate(-90): pixel (25,%d) = %x %x, want blue", y, r, b)
			}
		}
		s.refused(t, "/unsafe/filters:rotate(45)/img/photo.jpg", http.StatusBadRequest, "filters:rotate")
	})
	// The manual crop past the 400x200 photo is an error on crop.
	t.Run("a manual crop outside the image", func(t *testing.T) {
		s.refused(t, "/unsafe/500x0:600x100/img/photo.jpg", http.StatusBadRequest, "crop")
	})
	t.Run("fit-in fits", func(t *testing.T) {
		s.image(t, "/unsafe/fit-in/100x100/filters:quality(60):format(webp)/img/photo.jpg", "webp", 100, 50)
	})
	// The 400x200 photo in a larger box: Thumbor's fit-in leaves it at its
	// size (transformer.py fit_in_resize), upscale() enlarges it, and
	// full-fit-in always resizes to the box.
	t.Run("fit-in does not enlarge without upscale()", func(t *testing.T) {
		s.image(t, "/unsafe/fit-in/800x800/img/photo.jpg", "jpeg", 400, 200)
		s.image(t, "/unsafe/fit-in/800x800/filters:upscale()/img/photo.jpg", "jpeg", 800, 400)
		// With fill the canvas is the box, the photo at its size in the
		// middle (x 200-600): (100, 400) is the fill, not the red half.
		img := s.png(t, "/unsafe/fit-in/800x800/filters:fill(white):format(png)/img/photo.jpg", 800, 800)
		if r, g, b, _ := img.At(100, 400).RGBA(); r < 0xf000 || g < 0xf000 || b < 0xf000 {
			t.Errorf("fit-in with fill: pixel (100,400) = %x %x %x, want white", r, g, b)
		}
		s.image(t, "/unsafe/full-fit-in/800x800/img/photo.jpg", "jpeg", 1600, 800)
	})
	// orig is the photo's own side (400x200), not proportional.
	t.Run("orig is the source's side", func(t *testing.T) {
		s.image(t, "/unsafe/300xorig/img/photo.jpg", "jpeg", 300, 200)
		s.image(t, "/unsafe/origx100/img/photo.jpg", "jpeg", 400, 100)
	})
	t.Run("full-fit-in covers, adaptive-fit-in turns the box", func(t *testing.T) {
		s.image(t, "/unsafe/full-fit-in/100x100/img/photo.jpg", "jpeg", 200, 100)
		s.image(t, "/unsafe/adaptive-fit-in/100x300/img/photo.jpg", "jpeg", 200, 100)
		s.image(t, "/unsafe/fit-in/100x300/img/photo.jpg", "jpeg", 100, 50)
	})
	// max_age replaces the site's Cache-Control on a miss, a hit and a 304.
	t.Run("max_age sets the answer's max-age", func(t *testing.T) {
		for _, tc := range []struct{ path, want string }{
			{"/unsafe/60x30/filters:max_age(60)/img/photo.jpg", "public, max-age=60"},
			{"/unsafe/60x30/filters:max_age(0)/img/photo.jpg", "no-cache"},
			{"/unsafe/60x30/img/photo.jpg", "public, max-age=86400"},
		} {
			miss := s.image(t, tc.path, "jpeg", 60, 30)
			hit := s.image(t, tc.path, "jpeg", 60, 30)
			res, _ := get(t, s.tester, s.base+tc.path, "If-None-Match", hit.Header.Get("ETag"))
			if res.StatusCode != http.StatusNotModified {
				t.Fatalf("%s with its ETag: status %d, want 304", tc.path, res.StatusCode)
			}
			for _, r := range []*http.Response{miss, hit, res} {
				if got := r.Header.Get("Cache-Control"); got != tc.want {
					t.Errorf("%s (%s): Cache-Control %q, want %q", tc.path, r.Header.Get("X-Cache"), got, tc.want)
				}
			}
			if x := hit.Header.Get("X-Cache"); x != "HIT-MEMORY" {
				t.Errorf("%s again: X-Cache %q, want HIT-MEMORY", tc.path, x)
			}
		}
		s.refused(t, "/unsafe/filters:max_age(-1)/img/photo.jpg", http.StatusBadRequest, "filters:max_age")
	})
	t.Run("manual crop then resize", func(t *testing.T) {
		s.image(t, "/unsafe/0x0:200x200/50x50/img/photo.jpg", "jpeg", 50, 50)
	})
	t.Run("bad filter answers 400 naming it", func(t *testing.T) {
		s.refused(t, "/unsafe/filters:red_eye()/img/photo.jpg", http.StatusBadRequest, "filters:red_eye")
		s.refused(t, "/unsafe/filters:quality(500)/img/photo.jpg", http.StatusBadRequest, "filters:quality")
	})
	// The photo is red on its left half, blue on its right; the logo a
	// 10 px green square.
	t.Run("watermark, placed and spread", func(t *testing.T) {
		for _, tc := range []struct {
			name, filter string
			green, other []image.Point
		}{
			// -0,0: flush with the right edge, at the top.
			{"top right", "watermark(img/logo.png,-0,0,0)", []image.Point{{90, 0}, {99, 9}}, []image.Point{{89, 5}, {95, 10}, {5, 5}}},
			// 50% of the width: 50x50 at 10p (10 px) from the left.
			{"w_ratio and a percentage", "watermark(/img/logo.png,10p,0,0,50)", []image.Point{{10, 0}, {59, 49}}, []image.Point{{9, 25}, {60, 25}}},
			// Ten across and five down with no gap: all green.
			{"repeat both ways", "watermark(img/logo.png,repeat,repeat,0)", []image.Point{{0, 0}, {50, 30}, {99, 49}}, nil},
		} {
			img := s.png(t, "/unsafe/100x50/filters:format(png):"+tc.filter+"/img/photo.jpg", 100, 50)
			for _, pt := range tc.green {
				if r, g, b, _ := img.At(pt.X, pt.Y).RGBA(); r > 0x2000 || g < 0xe000 || b > 0x2000 {
					t.Errorf("%s: pixel %v = %x %x %x, want the logo's green", tc.name, pt, r, g, b)
				}
			}
			for _, pt := range tc.other {
				if _, g, _, _ := img.At(pt.X, pt.Y).RGBA(); g > 0x2000 {
					t.Errorf("%s: pixel %v has green %x, want the photo's red or blue", tc.name, pt, g)
				}
			}
		}
		s.refused(t, "/unsafe/100x50/filters:watermark(img/missing.png,0,0,0)/img/photo.jpg", http.StatusBadRequest, "filters:watermark")
		s.refused(t, "/unsafe/100x50/filters:watermark(img/logo.png,left,0,0)/img/photo.jpg", http.StatusBadRequest, "filters:watermark")
	})
	t.Run("rgb, brightness, contrast", func(t *testing.T) {
		// rgb(0,100,0): red turns yellow, blue cyan.
		img := s.png(t, "/unsafe/100x50/filters:format(png):rgb(0,100,0)/img/photo.jpg", 100, 50)
		for _, c := range []struct {
			pt      image.Point
			r, g, b uint32
		}{{image.Point{5, 25}, 255, 255, 0}, {image.Point{95, 25}, 0, 255, 255}} {
			if r, g, b, _ := img.At(c.pt.X, c.pt.Y).RGBA(); absDiff(r>>8, c.r) > 8 || absDiff(g>>8, c.g) > 8 || absDiff(b>>8, c.b) > 8 {
				t.Errorf("rgb(0,100,0): pixel %v = %d %d %d, want %d %d %d", c.pt, r>>8, g>>8, b>>8, c.r, c.g, c.b)
			}
		}
		s.image(t, "/unsafe/fit-in/100x100/filters:brightness(10):contrast(20):saturation(1.5):format(webp)/img/photo.jpg", "webp", 100, 50)
		s.image(t, "/unsafe/100x100/filters:stretch():proportion(0.5)/img/photo.jpg", "jpeg", 50, 50)
		// focal on the blue half's middle: the 50x50 crop of the 100x50
		// image is all blue.
		focal := s.png(t, "/unsafe/50x50/filters:focal(280x80:320x120):format(png)/img/photo.jpg", 50, 50)
		for _, pt := range []image.Point{{0, 25}, {49, 25}} {
			if r, _, b, _ := focal.At(pt.X, pt.Y).RGBA(); r > 0x2000 || b < 0xe000 {
				t.Errorf("focal: pixel %v = %x _ %x, want the photo's blue", pt, r, b)
			}
		}
		// equalize: the JPEG's reds and blues stretched to the full range.
		eq := s.png(t, "/unsafe/100x50/filters:equalize():format(png)/img/photo.jpg", 100, 50)
		if r, g, b, _ := eq.At(5, 25).RGBA(); r>>8 != 255 || g>>8 > 8 || b>>8 > 8 {
			t.Errorf("equalize: pixel (5,25) = %d %d %d, want pure red", r>>8, g>>8, b>>8)
		}
		s.refused(t, "/unsafe/filters:contrast(101)/img/photo.jpg", http.StatusBadRequest, "filters:contrast")
	})
	t.Run("remote source through the allowlist", func(t *testing.T) {
		s.image(t, "/unsafe/100x0/"+s.remote+"/photo.jpg", "jpeg", 100, 50)
	})
}

// TestThumborSigned: with a key, HMAC-SHA1 signed URLs are served and
// unsafe or tampered ones refused with 403.
func TestThumborSigned(t *testing.T) {
	s := newDialectSite(t, "", `url_dialect thumbor {
			key `+thumborTestKey+`
		}`)
	sign := func(path string) string {
		mac := hmac.New(sha1.New, []byte(thumborTestKey))
		mac.Write([]byte(path))
		return "/" + base64.URLEncoding.EncodeToString(mac.Sum(nil)) + "/" + path
	}
	s.image(t, sign("80x40/img/photo.jpg"), "jpeg", 80, 40)
	s.refused(t, "/unsafe/80x40/img/photo.jpg", http.StatusForbidden, "signature")
	good := sign("80x40/img/photo.jpg")
	s.refused(t, good[:30]+"80x41/img/photo.jpg", http.StatusForbidden, "signature")
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
