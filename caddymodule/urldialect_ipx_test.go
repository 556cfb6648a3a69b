package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestIpxURLs runs ipx URLs (the forms of github.com/unjs/ipx and of Nuxt
// Image's ipx provider) through the server.
func TestIpxURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect ipx")
	t.Run("w_ and f_", func(t *testing.T) {
		s.image(t, "/_ipx/w_200,f_webp/img/photo.jpg", "webp", 200, 100)
	})
	// Errors found while serving name the modifier as written: a region
	// past the 400x200 photo, a padded size past max_output_dimension.
	t.Run("serving errors name extract and extend", func(t *testing.T) {
		s.refused(t, "/_ipx/extract_500_0_10_10/img/photo.jpg", http.StatusBadRequest, "extract")
		s.refused(t, "/_ipx/crop_0_300_10_10/img/photo.jpg", http.StatusBadRequest, "crop")
		s.refused(t, "/_ipx/extend_5000_0_5000_0/img/photo.jpg", http.StatusBadRequest, "extend")
	})
	t.Run("s_WxH covers and crops", func(t *testing.T) {
		s.image(t, "/_ipx/s_100x100/img/photo.jpg", "jpeg", 100, 100)
		// A box past the 400x200 source: sharp's cover without enlargement
		// keeps scale 1 and crops each side to min(box, image).
		s.image(t, "/_ipx/s_300x300/img/photo.jpg", "jpeg", 300, 200)
	})
	t.Run("fit_contain pads", func(t *testing.T) {
		s.image(t, "/_ipx/s_100x100,fit_contain,b_ffffff,f_png/img/photo.jpg", "png", 100, 100)
	})
	t.Run("fit_outside covers the box without cropping", func(t *testing.T) {
		s.image(t, "/_ipx/s_100x100,fit_outside/img/photo.jpg", "jpeg", 200, 100)
	})
	t.Run("_ means no modifiers", func(t *testing.T) {
		s.image(t, "/_ipx/_/img/photo.jpg", "jpeg", 400, 200)
	})
	t.Run("q_ and format negotiation", func(t *testing.T) {
		s.image(t, "/_ipx/w_100,q_50,f_auto/img/photo.jpg", "webp", 100, 50, "Accept", "image/webp")
	})
	// kernel_nearest enlarges the logo (a flat 10x10 green square) 4x:
	// its corner pixel stays exactly the logo's green.
	t.Run("kernel", func(t *testing.T) {
		img := s.png(t, "/_ipx/kernel_nearest,w_40,enlarge,f_png/img/logo.png", 40, 40)
		if r, g, b, _ := img.At(0, 0).RGBA(); r != 0 || g != 0xffff || b != 0 {
			t.Errorf("kernel_nearest: corner = %x %x %x, want pure green", r, g, b)
		}
		s.image(t, "/_ipx/kernel_cubic,s_100x100/img/photo.jpg", "jpeg", 100, 100)
		s.refused(t, "/_ipx/kernel_box/img/photo.jpg", http.StatusBadRequest, "kernel")
	})
	t.Run("bad modifiers answer 400 naming them", func(t *testing.T) {
		s.refused(t, "/_ipx/w_abc/img/photo.jpg", http.StatusBadRequest, "w")
		s.refused(t, "/_ipx/tint_nocolour/img/photo.jpg", http.StatusBadRequest, "tint")
		s.refused(t, "/_ipx/median_99/img/photo.jpg", http.StatusBadRequest, "median")
		s.refused(t, "/_ipx/w_50,extract_0_0_200_200/img/photo.jpg", http.StatusBadRequest, "extract")
	})
	// The photo is red on its left half, blue on its right.
	t.Run("extract, extend, negate, grayscale", func(t *testing.T) {
		red := s.png(t, "/_ipx/extract_0_0_200_200,w_50,f_png/img/photo.jpg", 50, 50)
		if r, g, b, _ := red.At(45, 25).RGBA(); r < 0xe000 || g > 0x2000 || b > 0x2000 {
			t.Errorf("extract: pixel (45,25) = %x %x %x, want the red half only", r, g, b)
		}
		framed := s.png(t, "/_ipx/w_100,extend_10_0_10_0,b_00ff00,f_png/img/photo.jpg", 100, 70)
		if r, g, b, _ := framed.At(50, 5).RGBA(); r > 0x2000 || g < 0xe000 || b > 0x2000 {
			t.Errorf("extend: pixel (50,5) = %x %x %x, want the background's green", r, g, b)
		}
		negated := s.png(t, "/_ipx/s_100x50,negate,f_png/img/photo.jpg", 100, 50)
		if r, g, b, _ := negated.At(10, 25).RGBA(); r > 0x2000 || g < 0xe000 || b < 0xe000 {
			t.Errorf("negate: pixel (10,25) = %x %x %x, want red's negative, cyan", r, g, b)
		}
		grey := s.png(t, "/_ipx/s_100x50,grayscale,f_png/img/photo.jpg", 100, 50)
		if r, g, b, _ := grey.At(10, 25).RGBA(); absDiff(r, g) > 0x400 || absDiff(g, b) > 0x400 {
			t.Errorf("grayscale: pixel (10,25) = %x %x %x, want grey", r, g, b)
		}
	})
	// libvips' grey levels: red 127, blue 76.
	t.Run("threshold, tint, normalize, median", func(t *testing.T) {
		cut := s.png(t, "/_ipx/s_100x50,threshold_100,f_png/img/photo.jpg", 100, 50)
		if r, g, b, _ := cut.At(10, 25).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
			t.Errorf("threshold: red pixel (10,25) = %x %x %x, want white", r, g, b)
		}
		if r, g, b, _ := cut.At(90, 25).RGBA(); r != 0 || g != 0 || b != 0 {
			t.Errorf("threshold: blue pixel (90,25) = %x %x %x, want black", r, g, b)
		}
		green := s.png(t, "/_ipx/s_100x50,tint_%2300ff00,f_png/img/photo.jpg", 100, 50)
		if r, g, b, _ := green.At(10, 25).RGBA(); g < r+0x2000 || g < b+0x2000 {
			t.Errorf("tint: pixel (10,25) = %x %x %x, want green", r, g, b)
		}
		stretched := s.png(t, "/_ipx/s_100x50,normalize,median_3,f_png/img/photo.jpg", 100, 50)
		// Blue is the lowest lightness: it goes to L 0 with its chroma
		// kept, a dark blue (sharp: 0, 0, 163).
		if r, g, b, _ := stretched.At(90, 25).RGBA(); r > 0x1000 || g > 0x1000 || b < 0x9000 || b > 0xb000 {
			t.Errorf("normalize: blue pixel (90,25) = %x %x %x, want a dark blue", r, g, b)
		}
	})
	t.Run("remote source through the allowlist", func(t *testing.T) {
		s.image(t, "/_ipx/w_100/"+s.remote+"/photo.jpg", "jpeg", 100, 50)
	})
}
