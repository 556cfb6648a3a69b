package caddymodule_test

import (
	"image"
	"net/http"
	"strings"
	"testing"
)

// TestCloudinaryURLs runs Cloudinary delivery URLs
// (cloudinary.com/documentation/transformation_reference) through the
// server. photo.jpg is 400x200, red on the left half and blue on the
// right; logo.png is a 10x10 green square. With no cloud line, any cloud
// name is claimed and the public ID is a path from the site's root.
func TestCloudinaryURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect cloudinary")
	// want checks img's pixel (x, y) against the 8-bit colour c, within 32
	// levels a sample (JPEG sources).
	want := func(t *testing.T, what string, img image.Image, x, y int, c [3]uint32) {
		t.Helper()
		wantPixel(t, what, img, x, y, c, 32)
	}
	red, blue, green := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 255, 0}
	const up = "/demo/image/upload/"
	t.Run("sizes, with a version and the custom-domain form", func(t *testing.T) {
		s.image(t, up+"w_100/v1712345/img/photo.jpg", "jpeg", 100, 50)
		s.image(t, "/image/upload/c_scale,w_0.25/img/photo.jpg", "jpeg", 100, 50)
		// c_scale with both sides stretches.
		s.image(t, up+"w_100,h_100/img/photo.jpg", "jpeg", 100, 100)
		s.image(t, up+"c_limit,w_1000/img/photo.jpg", "jpeg", 400, 200)
		s.image(t, up+"c_fill,h_100,ar_1:1/img/photo.jpg", "jpeg", 100, 100)
		// No transformation: the file as it is.
		s.image(t, up+"img/photo.jpg", "jpeg", 400, 200)
	})
	t.Run("c_fill cuts at g", func(t *testing.T) {
		// 400x200 to 200x100, cut to 100x100: west keeps the red half.
		want(t, "g_west", s.png(t, up+"c_fill,g_west,w_100,h_100,f_png/img/photo.jpg", 100, 100), 95, 50, red)
		want(t, "g_east", s.png(t, up+"c_fill,g_east,w_100,h_100,f_png/img/photo.jpg", 100, 100), 5, 50, blue)
	})
	t.Run("c_pad pads with b", func(t *testing.T) {
		// 100x50 centred in 100x100: rows 0-24 and 75-99 are padding.
		img := s.png(t, up+"c_pad,w_100,h_100,b_rgb:00ff00,f_png/img/photo.jpg", 100, 100)
		want(t, "c_pad", img, 50, 10, green)
		want(t, "c_pad", img, 20, 50, red)
		want(t, "c_pad", img, 80, 50, blue)
	})
	t.Run("c_crop cuts a region at the source's scale", func(t *testing.T) {
		// x 150-249: red up to 199 (local 49), blue from 200 (local 50).
		img := s.png(t, up+"c_crop,w_100,h_50,x_150,y_20,f_png/img/photo.jpg", 100, 50)
		want(t, "x, y", img, 45, 25, red)
		want(t, "x, y", img, 55, 25, blue)
		// A region then a resize, chained: the east 200x200 (blue) to 50.
		want(t, "chain", s.png(t, up+"c_crop,w_200,h_200,g_east/c_scale,w_50/f_png/img/photo.jpg", 50, 50), 25, 25, blue)
		s.refused(t, up+"c_crop,w_100,h_100,x_500/img/photo.jpg", http.StatusBadRequest, "x")
	})
	t.Run("a_90 turns the source before it is sized, or the box with it", func(t *testing.T) {
		// Clockwise: the left (red) column becomes the top row.
		img := s.png(t, up+"a_90/w_100/f_png/img/photo.jpg", 100, 200)
		want(t, "a_90", img, 50, 20, red)
		want(t, "a_90", img, 50, 180, blue)
		// url-gen's .resize(scale().width(300)).rotate(byAngle(90)): the
		// turn after the resize, read as the turn first and the turned box.
		img = s.png(t, up+"c_scale,w_300/a_90/f_png/v1/img/photo.jpg", 150, 300)
		want(t, "c_scale,w_300/a_90", img, 75, 20, red)
		want(t, "c_scale,w_300/a_90", img, 75, 280, blue)
		// g_west keeps the red half, which a_90 then brings to the top.
		img = s.png(t, up+"c_fill,w_100,h_100,g_west/a_90/f_png/img/photo.jpg", 100, 100)
		want(t, "c_fill,g_west/a_90", img, 50, 80, red)
		s.refused(t, up+"w_100/e_blur/a_90/img/photo.jpg", http.StatusBadRequest, "a")
		img = s.png(t, up+"w_100,a_hflip,f_png/img/photo.jpg", 100, 50)
		want(t, "a_hflip", img, 10, 25, blue)
	})
	t.Run("effects", func(t *testing.T) {
		want(t, "e_negate", s.png(t, up+"w_100/e_negate/f_png/img/photo.jpg", 100, 50), 20, 25, [3]uint32{0, 255, 255})
		img := s.png(t, up+"w_100/e_grayscale/f_png/img/photo.jpg", 100, 50)
		if r, g, b, _ := img.At(20, 25).RGBA(); absDiff(r>>8, g>>8) > 4 || absDiff(g>>8, b>>8) > 4 {
			t.Errorf("e_grayscale: pixel (20,25) = %d %d %d, want grey", r>>8, g>>8, b>>8)
		}
		// e_colorize at 100 with co_ lays the colour over the image.
		want(t, "e_colorize", s.png(t, up+"w_100/e_colorize,co_rgb:00ff00/f_png/img/photo.jpg", 100, 50), 20, 25, green)
	})
	t.Run("bo adds a border around the image", func(t *testing.T) {
		img := s.png(t, up+"w_100/bo_5px_solid_rgb:00ff00/f_png/img/photo.jpg", 110, 60)
		for _, p := range [][2]int{{2, 30}, {107, 30}, {50, 2}, {50, 57}} {
			want(t, "bo", img, p[0], p[1], green)
		}
		want(t, "bo", img, 8, 30, red)
		want(t, "bo", img, 101, 30, blue)
	})
	t.Run("r_max cuts the corners away", func(t *testing.T) {
		img := s.png(t, up+"w_100,h_100,c_fill,r_max,f_png/img/photo.jpg", 100, 100)
		if _, _, _, a := img.At(2, 2).RGBA(); a != 0 {
			t.Errorf("r_max: corner alpha %d, want 0", a>>8)
		}
		want(t, "r_max", img, 30, 50, red)
	})
	t.Run("f_auto picks the format by Accept; dpr multiplies", func(t *testing.T) {
		res := s.image(t, up+"w_100,f_auto/img/photo.jpg", "webp", 100, 50, "Accept", "image/webp,*/*")
		if v := strings.Join(res.Header.Values("Vary"), ","); !strings.Contains(v, "Accept") {
			t.Errorf("f_auto: Vary %q, want Accept", v)
		}
		s.image(t, up+"w_100,dpr_2.0/img/photo.jpg", "jpeg", 200, 100)
		s.image(t, up+"w_100,dpr_auto/img/photo.jpg", "jpeg", 150, 75, "Sec-CH-DPR", "1.5")
	})
	t.Run("fetch reads a remote source under the allowlist", func(t *testing.T) {
		s.image(t, "/demo/image/fetch/w_100/"+s.remote+"/photo.jpg", "jpeg", 100, 50)
		s.image(t, "/demo/image/fetch/w_50/"+strings.ReplaceAll(s.remote, ":", "%3A")+"%2Fphoto.jpg", "jpeg", 50, 25)
		s.refused(t, "/demo/image/fetch/w_100/img/photo.jpg", http.StatusBadRequest, "source")
	})
	t.Run("an image layer is Matte's watermark", func(t *testing.T) {
		// The 10x10 logo scaled to 20x20, 10 px from the right edge and 5
		// from the bottom of the 200x100 image: x 170-189, y 75-94.
		img := s.png(t, up+"w_200/l_img:logo.png/c_scale,w_20/fl_layer_apply,g_south_east,x_10,y_5/f_png/img/photo.jpg", 200, 100)
		want(t, "fl_layer_apply", img, 172, 77, green)
		want(t, "fl_layer_apply", img, 187, 92, green)
		want(t, "fl_layer_apply", img, 193, 85, blue)
		want(t, "fl_layer_apply", img, 180, 97, blue)
		want(t, "fl_layer_apply", img, 165, 85, blue)
		// The one-component form: w is the layer's; 10x10 at 5,5.
		img = s.png(t, up+"w_200/l_img:logo.png,g_north_west,x_5,y_5,w_10/f_png/img/photo.jpg", 200, 100)
		want(t, "one component", img, 10, 10, green)
		want(t, "one component", img, 2, 2, red)
		want(t, "one component", img, 17, 10, red)
		// o_50: green half over red, at the west edge (x 0-19, y 40-59).
		img = s.png(t, up+"w_200/l_img:logo.png,w_20,o_50,g_west/f_png/img/photo.jpg", 200, 100)
		want(t, "o_50", img, 10, 50, [3]uint32{128, 128, 0})
		// fl_relative: half the image's width, 100x100, centred (x 50-149).
		img = s.png(t, up+"w_200/l_img:logo.png,fl_relative,w_0.5/f_png/img/photo.jpg", 200, 100)
		want(t, "fl_relative", img, 55, 50, green)
		want(t, "fl_relative", img, 145, 50, green)
		want(t, "fl_relative", img, 45, 50, red)
		want(t, "fl_relative", img, 155, 50, blue)
		s.refused(t, up+"l_img:none.png/img/photo.jpg", http.StatusBadRequest, "l")
		s.refused(t, up+"l_img:logo.png/fl_layer_apply/w_100/img/photo.jpg", http.StatusBadRequest, "w")
	})
	t.Run("a text layer is Matte's text", func(t *testing.T) {
		greens := func(img image.Image, x0, y0, x1, y1 int) int {
			n := 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					if r, g, _, _ := img.At(x, y).RGBA(); g>>8 > 200 && r>>8 < 60 {
						n++
					}
				}
			}
			return n
		}
		img := s.png(t, up+"w_200/l_text:Arial_40_bold:Hi,co_rgb:00ff00,g_north_west/f_png/img/photo.jpg", 200, 100)
		if n := greens(img, 0, 0, 60, 50); n < 20 {
			t.Errorf("g_north_west: %d green pixels in the top left, want the text's", n)
		}
		want(t, "l_text", img, 150, 80, blue)
		img = s.png(t, up+"w_200/l_text:Arial_40:Hi/co_rgb:00ff00/fl_layer_apply,g_south_east,x_10,y_10/f_png/img/photo.jpg", 200, 100)
		if n := greens(img, 120, 40, 190, 90); n < 20 {
			t.Errorf("g_south_east: %d green pixels in the bottom right, want the text's", n)
		}
		if n := greens(img, 190, 0, 200, 100) + greens(img, 0, 90, 200, 100) + greens(img, 0, 0, 100, 100); n != 0 {
			t.Errorf("g_south_east: %d green pixels outside the bottom right less 10 px, want none", n)
		}
		s.refused(t, up+"l_text:Arial_20:Hi,b_white/img/photo.jpg", http.StatusBadRequest, "b")
	})
	t.Run("what Matte does not do is a 400 naming it", func(t *testing.T) {
		s.refused(t, up+"t_thumbnail/img/photo.jpg", http.StatusBadRequest, "t")
		s.refused(t, up+"e_vignette/img/photo.jpg", http.StatusBadRequest, "e_vignette")
		s.refused(t, up+"l_fetch:aHR0cHM6Ly9leGFtcGxlLmNvbS9hLnBuZw==/fl_layer_apply/img/photo.jpg", http.StatusBadRequest, "l")
		s.refused(t, up+"u_img:logo.png/img/photo.jpg", http.StatusBadRequest, "u")
		s.refused(t, up+"c_mfit,w_100/img/photo.jpg", http.StatusBadRequest, "c")
		s.refused(t, up+"e_blur/e_grayscale/img/photo.jpg", http.StatusBadRequest, "e_grayscale")
	})
}

// TestCloudinaryClouds maps configured cloud names onto path prefixes;
// other cloud names are not Cloudinary URLs on this site.
func TestCloudinaryClouds(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect cloudinary {\n\t\t\tcloud shop /img\n\t\t}")
	s.image(t, "/shop/image/upload/c_fill,w_60,h_60/v2/photo.jpg", "jpeg", 60, 60)
	s.image(t, "/shop/image/upload/w_50/dir/sub%20photo.jpg", "jpeg", 50, 25)
	if res, _ := get(t, s.tester, s.base+"/demo/image/upload/w_50/img/photo.jpg"); res.StatusCode != http.StatusNotFound {
		t.Errorf("another cloud name: status %d, want 404 (not claimed, no such file)", res.StatusCode)
	}
	// Without an allowlist a fetch URL is refused.
	s.refused(t, "/shop/image/fetch/w_100/"+s.remote+"/photo.jpg", http.StatusForbidden, "")
}
