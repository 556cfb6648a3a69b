package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestImgproxyExtendGravity: ex and exar place the 400x200 photo (red left
// half, blue right) by their gravity, as imgproxy v3's extendImage
// (processing/extend.go) embeds it at calcPosition's offsets
// (processing/calc_position.go): so flush with the bottom, nowe:10:5 10
// pixels from the left and 5 from the top (times the DPR), fp centred on
// the point as far as the canvas allows; sm is refused for extend, as
// imgproxy refuses it ("Invalid extend gravity").
func TestImgproxyExtendGravity(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy")
	green, red, blue := [3]uint32{0, 255, 0}, [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	s.imgproxyPixels(t, []imgproxyPixel{
		// fit:800:800 leaves 400x200; ex:1:so puts it on rows 600-799,
		// centred across (columns 200-599); centred it was on 300-499.
		{"rs:fit:800:800/ex:1:so", 300, 400, green, 800, 800},
		{"rs:fit:800:800/ex:1:so", 300, 700, red, 800, 800},
		{"rs:fit:800:800/ex:1:so", 500, 700, blue, 800, 800},
		{"rs:fit:800:800/ex:1:so", 100, 700, green, 800, 800},
		// nowe:10:5: columns 10-409, rows 5-204.
		{"rs:fit:800:800/ex:1:nowe:10:5", 4, 100, green, 800, 800},
		{"rs:fit:800:800/ex:1:nowe:10:5", 16, 100, red, 800, 800},
		{"rs:fit:800:800/ex:1:nowe:10:5", 400, 100, blue, 800, 800},
		{"rs:fit:800:800/ex:1:nowe:10:5", 100, 2, green, 800, 800},
		{"rs:fit:800:800/ex:1:nowe:10:5", 100, 210, green, 800, 800},
		// At dpr 2 (fit:100:100: shrink 4, so the DPR stays 2) the box is
		// 200x200, the image 200x100, the offsets 20 and 10: rows 10-109.
		{"rs:fit:100:100/ex:1:nowe:10:5/dpr:2", 50, 7, green, 200, 200},
		{"rs:fit:100:100/ex:1:nowe:10:5/dpr:2", 50, 13, red, 200, 200},
		{"rs:fit:100:100/ex:1:nowe:10:5/dpr:2", 50, 115, green, 200, 200},
		// rs's extend takes the gravity after it: soea, flush right and bottom.
		{"rs:fill:800:800:0:1:soea", 300, 300, green, 800, 800},
		{"rs:fill:800:800:0:1:soea", 500, 700, red, 800, 800},
		{"rs:fill:800:800:0:1:soea", 790, 790, blue, 800, 800},
		// exar:1:so pads fit's 400x200 to 400x400 below the image.
		{"rs:fit:400:400/exar:1:so", 100, 100, green, 400, 400},
		{"rs:fit:400:400/exar:1:so", 100, 300, red, 400, 400},
		// exar on fill's 300x200 cut, fp:0:0: the point is the top left,
		// so the cut stays there (rows 0-199) and the padding is below.
		{"rs:fill:300:300/exar:1:fp:0:0", 20, 20, red, 300, 300},
		{"rs:fill:300:300/exar:1:fp:0:0", 20, 230, green, 300, 300},
	})
	for path, field := range map[string]string{"rs:fit:800:800/ex:1:sm": "ex", "rs:fit:800:800/exar:1:sm": "exar", "rs:fit:800:800:0:1:sm": "rs"} {
		s.refused(t, "/insecure/"+path+"/plain//img/photo.jpg", http.StatusBadRequest, field)
	}
}

// TestImgproxyPaddingDPR: pd takes the DPR imgproxy v3's calcScale leaves
// without enlarge, as its padding.go scales it ("imath.ScaleToEven(
// po.Padding.Top, pctx.dprScale)"): fit:300:300 on the 400x200 photo at
// dpr 2 has shrink 400/300, so the image stays 400x200 and pd:10 is 13
// pixels a side (426x226; the whole DPR gave 440x240); with el the DPR is
// whole (600x300 and 20 a side); fill:200:150 at dpr 2 is cut to 267x200
// and padded by 13.
func TestImgproxyPaddingDPR(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy")
	for _, c := range []struct {
		path string
		w, h int
	}{
		{"rs:fit:300:300/pd:10/dpr:2", 426, 226},
		{"rs:fit:300:300:1/pd:10/dpr:2", 640, 340},
		{"rs:fill:200:150/pd:10/dpr:2", 293, 226},
		{"rs:fill-down:300:300/pd:10/dpr:2", 220, 220},
		{"pd:10/dpr:2", 420, 220},
	} {
		s.image(t, "/insecure/"+c.path+"/f:png/plain//img/photo.jpg", "png", c.w, c.h)
	}
	// The padding's colour, and the image inside it: pd:10 at 13 pixels.
	s.pixel(t, "/insecure/rs:fit:300:300/pd:10/dpr:2/bg:00ff00/f:png/plain//img/photo.jpg", 10, 100, [3]uint32{0, 255, 0}, 426, 226)
	s.pixel(t, "/insecure/rs:fit:300:300/pd:10/dpr:2/bg:00ff00/f:png/plain//img/photo.jpg", 16, 100, [3]uint32{255, 0, 0}, 426, 226)
}

// TestImgproxySVGEveryFit: Matte does not rasterise SVG, so the sizes
// imgproxy gives an SVG source (rasterised at the scale asked, enlarged
// with or without el: calcScale skips its cap "if !po.Enlarge &&
// !pctx.imgtype.IsVector()") are not produced; under each imgproxy fit,
// the padded ones and exar's included, the SVG is answered as it is, as
// README says.
func TestImgproxySVGEveryFit(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy")
	for _, opts := range []string{
		"rs:fit:800:800:0:1", "rs:fit:800:0/ex:1:so", "rs:fill:300:300", "rs:fill:300:300:0:1:nowe:10:5",
		"rs:fill-down:300:300:0:1", "rs:fill:300:300/exar:1", "rs:fit:400:400/exar:1:fp:0:0", "rs:force:300:300",
		"rs:auto:300:300", "rs:fit:100:100/pd:10/dpr:2",
	} {
		res, body := get(t, s.tester, s.base+"/insecure/"+opts+"/plain//img/logo.svg")
		if res.StatusCode != http.StatusOK || string(body) != testSVG || res.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("%s: status %d, %s, body %.60q: want the SVG as stored", opts, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
}

// TestImgproxyForceExtend: force with extend pads force's result to the
// box, as imgproxy v3 does: calcScale (processing/prepare.go) scales the
// 400x200 photo (red left half, blue right) forced to 800x800 without
// enlarge to 200x200 ("if minShrink < 1 { wshrink /= minShrink"), and
// extendImage (processing/extend.go) embeds that on the 800x800 target,
// placed by ex's gravity; a side not given is the image's ("if height <= 0
// { height = imgHeight }"), so force:800:0 is 400x100 on 800x100. With
// dpr:2 the DPR is capped to 1 (the shrink is below 1): 800x800 still.
// Before, extend was ignored and the answer was 200x200.
func TestImgproxyForceExtend(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy")
	green, red, blue := [3]uint32{0, 255, 0}, [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	s.imgproxyPixels(t, []imgproxyPixel{
		// Centred: columns and rows 300-499, red 300-399, blue 400-499.
		{"rs:force:800:800:0:1", 350, 400, red, 800, 800},
		{"rs:force:800:800:0:1", 450, 400, blue, 800, 800},
		{"rs:force:800:800:0:1", 100, 100, green, 800, 800},
		{"rs:force:800:800:0:1", 400, 250, green, 800, 800},
		{"rs:force:800:800/ex:1/dpr:2", 350, 400, red, 800, 800},
		// so: rows 600-799.
		{"rs:force:800:800:0:1:so", 350, 700, red, 800, 800},
		{"rs:force:800:800:0:1:so", 350, 400, green, 800, 800},
		// nowe:10:5: columns 10-209, rows 5-204.
		{"rs:force:800:800/ex:1:nowe:10:5", 5, 100, green, 800, 800},
		{"rs:force:800:800/ex:1:nowe:10:5", 50, 100, red, 800, 800},
		{"rs:force:800:800/ex:1:nowe:10:5", 150, 100, blue, 800, 800},
		{"rs:force:800:800/ex:1:nowe:10:5", 150, 210, green, 800, 800},
		// One side: 400x100 on 800x100, columns 200-599.
		{"rs:force:800:0:0:1", 100, 50, green, 800, 100},
		{"rs:force:800:0:0:1", 300, 50, red, 800, 100},
		{"rs:force:800:0:0:1", 500, 50, blue, 800, 100},
	})
	// With enlarge force reaches the box: nothing to pad.
	s.image(t, "/insecure/rs:force:800:800:1:1/f:png/plain//img/photo.jpg", "png", 800, 800)
	s.pixel(t, "/insecure/rs:force:800:800:1:1/bg:00ff00/f:png/plain//img/photo.jpg", 100, 100, red, 800, 800)
}

// imgproxyPixel is a pixel of an imgproxy answer over a green background:
// the options before it, the point, its colour and the answer's size.
type imgproxyPixel struct {
	path string
	x, y int
	want [3]uint32
	w, h int
}

// imgproxyPixels checks each pixel of the dialect site's photo as the
// options give it, as a PNG over bg:00ff00 (dialectSite.pixel).
func (s *dialectSite) imgproxyPixels(t *testing.T, pixels []imgproxyPixel) {
	t.Helper()
	for _, c := range pixels {
		s.pixel(t, "/insecure/"+c.path+"/bg:00ff00/f:png/plain//img/photo.jpg", c.x, c.y, c.want, c.w, c.h)
	}
}
