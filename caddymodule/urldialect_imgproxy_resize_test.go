package caddymodule_test

import "testing"

// TestImgproxyResizeSizes: the sizes imgproxy v3 gives the 400x200 photo
// for each resizing type, from its calcScale (processing/prepare.go),
// cropToResult (processing/crop.go) and extend (processing/extend.go):
// without enlarge fill's cover scale is capped at 1 and the cut is
// min(box, image); fill-down cuts to the box's aspect ratio instead; force
// divides both factors by the larger where it is over 1; extend pads the
// cut to the box, centred, with bg (transparent where the format has
// alpha and no bg is given).
func TestImgproxyResizeSizes(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy")
	for _, c := range []struct {
		path string
		w, h int
	}{
		{"rs:fill:300:300", 300, 200},
		{"rs:fill:300:300:1", 300, 300},
		{"rs:fill:100:100", 100, 100},
		{"rs:fill-down:300:300", 200, 200},
		{"rs:fill-down:300:300:1", 300, 300},
		{"rs:auto:300:300", 300, 200}, // both landscape: fill
		{"rs:force:300:300", 200, 200},
		{"rs:force:800:800", 200, 200},
		{"rs:force:300:100", 300, 100},
		{"rs:force:300:300:1", 300, 300},
		{"rs:force:800:800:1", 800, 800},
		// A side left out is the source's own (calcScale: dstW = srcW).
		{"rs:force:300:0", 300, 200},
		{"rs:force:0:100", 400, 100},
		{"rs:force:800:0:1", 800, 200},
		{"rs:force:800:0", 400, 100},
		{"rs:fill:300:300:0:1", 300, 300},
		{"rs:fill:800:800/ex:1", 800, 800},
		{"rs:fill-down:800:800:0:1", 800, 800},
		{"rs:auto:300:300:0:1", 300, 300},
		// fit with extend and one side: extendImage pads to the side given,
		// the other being the image's ("if height <= 0 { height =
		// imgHeight }").
		{"rs:fit:800:0:0:1", 800, 200},
		{"rs:fit:0:800/ex:1", 400, 800},
		{"rs:fit:300:0:0:1", 300, 150},
		{"rs:fit:800:0:1:1", 800, 400},
		// exar pads fill's cut to the box's aspect ratio (calcSizes,
		// processing/prepare.go): 300x200 to 300x300, the uncut 400x200
		// to 400x400; fill-down's cut and fill's with enlarge have the
		// box's ratio already.
		{"rs:fill:300:300/exar:1", 300, 300},
		{"rs:fill:800:800/exar:1", 400, 400},
		{"rs:fill-down:800:800/exar:1", 200, 200},
		{"rs:fill:800:800:1/exar:1", 800, 800},
		// Without enlarge the DPR goes only as far as the image's own size
		// (calcScale: "dprScale = math.Min(dprScale, math.Min(wshrink,
		// hshrink))"), the box keeping its aspect ratio: fill:200:150 at
		// dpr 2 has shrink min(400/200, 200/150) = 1.333, so the box is
		// 267x200; where the image is smaller than the box the DPR is 1.
		{"rs:fill:200:150/dpr:2", 267, 200},
		{"rs:fill:200:150/dpr:2/el:1", 400, 300},
		{"rs:fill:300:300/dpr:2", 300, 200},
		{"rs:fill:300:300:0:1/dpr:2", 300, 300},
		{"rs:fit:300:150:0:1/dpr:2", 400, 200},
		{"rs:fit:300:0/dpr:2", 400, 200},
		{"rs:fit:300:0/dpr:2/el:1", 600, 300},
	} {
		s.image(t, "/insecure/"+c.path+"/plain//img/photo.jpg", "jpeg", c.w, c.h)
	}
	// fill:300:300 keeps the middle 300 columns: red left of 150, blue
	// right; padded to 300x300, the 300x200 cut is centred (rows 50-249)
	// on bg.
	s.pixel(t, "/insecure/rs:fill:300:300:0:1/bg:00ff00/f:png/plain//img/photo.jpg", 150, 10, [3]uint32{0, 255, 0}, 300, 300)
	s.pixel(t, "/insecure/rs:fill:300:300:0:1/bg:00ff00/f:png/plain//img/photo.jpg", 20, 150, [3]uint32{255, 0, 0}, 300, 300)
	s.pixel(t, "/insecure/rs:fill:300:300:0:1/bg:00ff00/f:png/plain//img/photo.jpg", 280, 150, [3]uint32{0, 0, 255}, 300, 300)
	// The 400x200 image on 800x800: columns 200-599, rows 300-499.
	s.pixel(t, "/insecure/rs:fill:800:800/ex:1/bg:00ff00/f:png/plain//img/photo.jpg", 100, 400, [3]uint32{0, 255, 0}, 800, 800)
	s.pixel(t, "/insecure/rs:fill:800:800/ex:1/bg:00ff00/f:png/plain//img/photo.jpg", 250, 400, [3]uint32{255, 0, 0}, 800, 800)
	img := s.png(t, "/insecure/rs:fill:800:800/ex:1/f:png/plain//img/photo.jpg", 800, 800)
	if _, _, _, a := img.At(10, 10).RGBA(); a != 0 {
		t.Errorf("fill:800:800/ex:1 as PNG without bg: the padding's alpha is %d, want 0 (transparent)", a>>8)
	}
	if _, _, _, a := img.At(400, 400).RGBA(); a>>8 != 255 {
		t.Errorf("fill:800:800/ex:1 as PNG: the image's alpha is %d, want 255", a>>8)
	}
}
