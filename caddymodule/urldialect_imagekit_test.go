package caddymodule_test

import (
	"bytes"
	"image"
	"net/http"
	"strings"
	"testing"
)

// TestImageKitURLs runs ImageKit URLs (imagekit.io/docs) through the
// server. photo.jpg is 400x200, red on the left half and blue on the
// right; logo.png is a 10x10 green square.
func TestImageKitURLs(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect imagekit")
	// want checks img's pixel (x, y) against the 8-bit colour c, within 32
	// levels a sample (JPEG sources).
	want := func(t *testing.T, what string, img image.Image, x, y int, c [3]uint32) {
		t.Helper()
		wantPixel(t, what, img, x, y, c, 32)
	}
	red, blue, green := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 255, 0}
	// c-at_least (min-size cropping) covers the box without cutting:
	// 300x300 over the 400x200 photo is 600x300, 100x20 is 100x50.
	t.Run("c-at_least covers the box without cropping", func(t *testing.T) {
		s.png(t, "/img/photo.jpg?tr=w-300,h-300,c-at_least,f-png", 600, 300)
		s.png(t, "/img/photo.jpg?tr=w-100,h-20,c-at_least,f-png", 100, 50)
	})
	t.Run("rt-N turns counter-clockwise", func(t *testing.T) {
		// The source turns first (then w sizes it): its left (red) column
		// becomes the bottom row.
		img := s.png(t, "/img/photo.jpg?tr=w-100,rt-N90,f-png", 100, 200)
		want(t, "rt-N90", img, 50, 180, red)
		want(t, "rt-N90", img, 50, 20, blue)
	})
	t.Run("b adds a border around the image", func(t *testing.T) {
		img := s.png(t, "/img/photo.jpg?tr=w-100,b-5_00FF00,f-png", 110, 60)
		for _, p := range [][2]int{{2, 30}, {107, 30}, {50, 2}, {50, 57}} {
			want(t, "b-5_00FF00", img, p[0], p[1], green)
		}
		want(t, "b-5_00FF00", img, 8, 30, red)
		want(t, "b-5_00FF00", img, 101, 30, blue)
	})
	t.Run("cm-extract cuts a region at the source's scale", func(t *testing.T) {
		want(t, "x, y", s.png(t, "/img/photo.jpg?tr=w-100,h-50,cm-extract,x-150,y-20,f-png", 100, 50), 45, 25, red)
		want(t, "x, y", s.png(t, "/img/photo.jpg?tr=w-100,h-50,cm-extract,x-150,y-20,f-png", 100, 50), 55, 25, blue)
		want(t, "xc, yc", s.png(t, "/img/photo.jpg?tr=w-40,h-40,cm-extract,xc-300,yc-100,f-png", 40, 40), 2, 2, blue)
		want(t, "fo-left", s.png(t, "/img/photo.jpg?tr=w-100,h-100,cm-extract,fo-left,f-png", 100, 100), 98, 50, red)
		// Larger than the source: the part inside it.
		s.image(t, "/img/photo.jpg?tr=w-500,h-300,cm-extract", "jpeg", 400, 200)
		s.refused(t, "/img/photo.jpg?tr=w-100,h-100,cm-extract,xc-10,yc-60", http.StatusBadRequest, "xc")
		// A region starting outside the source: the error names x, not rect.
		s.refused(t, "/img/photo.jpg?tr=w-100,h-100,cm-extract,x-400", http.StatusBadRequest, "x")
	})
	t.Run("cm-pad_extract pads a region larger than the source", func(t *testing.T) {
		img := s.png(t, "/img/photo.jpg?tr=w-500,h-300,cm-pad_extract,bg-00FF00,f-png", 500, 300)
		want(t, "pad_extract", img, 5, 5, green)
		want(t, "pad_extract", img, 45, 150, green)
		want(t, "pad_extract", img, 55, 150, red)
		want(t, "pad_extract", img, 445, 150, blue)
	})
	// @imagekit/javascript 5.5.1's responsive helper (and so the React and
	// Next.js <Image>) writes the user's transforms and its own
	// w-N,c-at_max as two chained steps: tr=q-80:w-640,c-at_max.
	t.Run("the SDK's responsive chain is answered", func(t *testing.T) {
		s.image(t, "/img/photo.jpg?tr=f-png:w-100,c-at_max", "png", 100, 50)
		s.image(t, "/tr:q-80:w-828,c-at_max/img/photo.jpg", "jpeg", 400, 200) // at_max never enlarges
		s.refused(t, "/img/photo.jpg?tr=w-300,h-200:w-100,c-at_max", http.StatusBadRequest, "tr")
	})
	// orig-true is the stored file byte for byte (README: "the source as
	// it is"), in the query form and in the path form (whose source is
	// asked of the site's routes).
	t.Run("orig-true answers the source as it is", func(t *testing.T) {
		stored := testPhoto(t)
		for _, path := range []string{"/img/photo.jpg?tr=orig-true,w-100,f-png", "/tr:w-100,orig-true/img/photo.jpg"} {
			res, body := get(t, s.tester, s.base+path)
			if res.StatusCode != http.StatusOK || !bytes.Equal(body, stored) {
				t.Errorf("GET %s: status %d, %d bytes, want the stored file's %d bytes as they are", path, res.StatusCode, len(body), len(stored))
			}
		}
	})
	t.Run("bg-blurred fills the padding with the image blurred", func(t *testing.T) {
		img := s.png(t, "/img/photo.jpg?tr=w-200,h-200,cm-pad_resize,bg-blurred,f-png", 200, 200)
		// The corner above the red half is blurred red, not white.
		if r, g, b, _ := img.At(5, 5).RGBA(); r>>8 < 150 || g>>8 > 100 || b>>8 > 150 {
			t.Errorf("bg-blurred: pixel (5,5) = %d %d %d, want a blurred red", r>>8, g>>8, b>>8)
		}
	})
	t.Run("w-auto and dpr-auto read the client hints", func(t *testing.T) {
		res := s.image(t, "/img/photo.jpg?tr=w-auto", "jpeg", 120, 60, "Sec-CH-Width", "120")
		if v := strings.Join(res.Header.Values("Vary"), ","); !strings.Contains(v, "Sec-CH-Width") {
			t.Errorf("w-auto: Vary %q, want Sec-CH-Width", v)
		}
		// With h, the hinted width is c-maintain_ratio's box; without the
		// hint, h alone sizes the image.
		s.image(t, "/img/photo.jpg?tr=w-auto,h-80", "jpeg", 60, 80, "Sec-CH-Width", "60")
		s.image(t, "/img/photo.jpg?tr=w-auto,h-80", "jpeg", 160, 80)
		s.image(t, "/img/photo.jpg?tr=w-100,dpr-auto", "jpeg", 200, 100, "Sec-CH-DPR", "2")
		s.image(t, "/img/photo.jpg?tr=w-100,dpr-auto", "jpeg", 100, 50)
	})
	t.Run("an image layer", func(t *testing.T) {
		img := s.png(t, "/img/photo.jpg?tr=w-200,l-image,i-img@@logo.png,lfo-top_left,l-end,f-png", 200, 100)
		want(t, "lfo-top_left", img, 5, 5, green)
		want(t, "lfo-top_left", img, 15, 15, red)
		img = s.png(t, "/tr:w-200,l-image,i-img@@logo.png,w-20,lx-N0,ly-N0,l-end,f-png/img/photo.jpg", 200, 100)
		want(t, "lx-N0,ly-N0", img, 185, 85, green)
		want(t, "lx-N0,ly-N0", img, 175, 75, blue)
		s.refused(t, "/img/photo.jpg?tr=l-image,i-img@@none.png,l-end", http.StatusBadRequest, "i")
		s.refused(t, "/img/photo.jpg?tr=l-image,i-a.png,l-image,i-b.png,l-end,l-end", http.StatusBadRequest, "l")
	})
	t.Run("a solid-colour block layer", func(t *testing.T) {
		// 40x20 of green, 10 px from the right edge and 5 from the top of
		// the 200x100 image: x 150-189, y 5-24.
		img := s.png(t, "/img/photo.jpg?tr=w-200,l-image,i-ik_canvas,bg-00FF00,w-40,h-20,lx-N10,ly-5,l-end,f-png", 200, 100)
		want(t, "ik_canvas", img, 151, 6, green)
		want(t, "ik_canvas", img, 188, 23, green)
		want(t, "ik_canvas", img, 192, 10, blue)
		want(t, "ik_canvas", img, 160, 28, blue)
	})
	t.Run("a text layer", func(t *testing.T) {
		img := s.png(t, "/img/photo.jpg?tr=w-200,l-text,i-Hi,fs-40,co-00FF00,lfo-top_left,l-end,f-png", 200, 100)
		greens := 0
		for y := 0; y < 50; y++ {
			for x := 0; x < 60; x++ {
				if r, g, _, _ := img.At(x, y).RGBA(); g>>8 > 200 && r>>8 < 60 {
					greens++
				}
			}
		}
		if greens < 20 {
			t.Errorf("l-text: %d green pixels in the top left, want the text's", greens)
		}
		want(t, "l-text", img, 150, 80, blue)
	})
	t.Run("e-shadow casts the opaque pixels' shadow", func(t *testing.T) {
		// The 10x10 logo padded to 20x10 with transparency (x 5-14), its
		// shadow 25% of 20 px to the right at st 50: half black at x 15-19.
		img := s.png(t, "/img/logo.png?tr=w-20,h-10,cm-pad_resize,bg-FFFFFF00,e-shadow-bl-0_st-50_x-25_y-0,f-png", 20, 10)
		if _, _, _, a := img.At(17, 5).RGBA(); absDiff(a>>8, 128) > 8 {
			t.Errorf("e-shadow: pixel (17,5) alpha %d, want 128", a>>8)
		}
		if _, _, _, a := img.At(2, 5).RGBA(); a != 0 {
			t.Errorf("e-shadow: pixel (2,5) alpha %d, want 0", a>>8)
		}
		want(t, "e-shadow", img, 10, 5, green)
	})
	t.Run("e-gradient lays a gradient over the image", func(t *testing.T) {
		// 100x50, down (ld-180) from transparent to opaque green by row 25
		// (sp-25, in pixels): row 0 keeps the photo, rows 25 on are green.
		img := s.png(t, "/img/photo.jpg?tr=w-100,e-gradient-ld-bottom_from-FFFFFF00_to-00FF00_sp-25,f-png", 100, 50)
		want(t, "e-gradient start", img, 10, 0, red)
		want(t, "e-gradient stop", img, 80, 30, green)
		s.refused(t, "/img/photo.jpg?tr=e-gradient-sp-ih_div_2", http.StatusBadRequest, "e-gradient")
	})
	t.Run("what Matte does not do is a 400 naming it", func(t *testing.T) {
		s.refused(t, "/img/photo.jpg?tr=md-true", http.StatusBadRequest, "md")
		s.refused(t, "/img/photo.jpg?tr=di-img@@..@@secret.jpg", http.StatusBadRequest, "di")
		s.refused(t, "/img/photo.jpg?tr=l-image,i-ik_canvas,bg-red,e-gradient,w-10,h-10,l-end", http.StatusBadRequest, "e-gradient")
	})
}
