package transform

import (
	"image"
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// topBottom is a w x h image whose top half is top and bottom half bottom.
func topBottom(w, h int, top, bottom color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := top
			if y >= h/2 {
				c = bottom
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// imgix's rot turns counter-clockwise ("Valid values are in the range
// 0–359, and rotation is counter-clockwise with 0 (the default) at the top
// of the image", docs.imgix.com/apis/rendering/rotation/rot): rot=90 turns
// the top edge to the left, whichever rot-type.
func TestImgixRotCounterClockwise(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, topBottom(100, 100, red, blue))
	for _, q := range []string{"rot=90&fm=png", "rot=90&rot-type=pivot&fm=png", "rot=90&rot-type=straighten&fm=png"} {
		_, img := run(t, pl, src, q, "")
		if b := img.Bounds(); b.Dx() != 100 || b.Dy() != 100 {
			t.Fatalf("%s: %dx%d, want 100x100", q, b.Dx(), b.Dy())
		}
		if l, r := img.NRGBAAt(5, 50), img.NRGBAAt(94, 50); !near(l, red, 10) || !near(r, blue, 10) {
			t.Errorf("%s: left %v, right %v; want the top (red) on the left, the bottom (blue) on the right", q, l, r)
		}
	}
}

// A straightened quarter turn keeps the frame (rot-type=straighten: "Straightens
// the image by zooming in and cropping in", docs.imgix.com/apis/rendering/
// rotation/rotation-type, imgix's default): a 2:1 image stays 2:1, the turned
// content (its left half, red, now at the bottom; rot=90 is counter-clockwise)
// scaled up 2× to cover it and cut around the centre.
func TestImgixRotStraightenQuarterTurnKeepsFrame(t *testing.T) {
	pl := NewPipeline(Options{})
	_, img := run(t, pl, encodePNG(t, halves(200, 100, red, blue)), "rot=90&fm=png", "")
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 100 {
		t.Fatalf("rot=90 straightened: %dx%d, want the frame 200x100", b.Dx(), b.Dy())
	}
	for _, x := range []int{0, 100, 199} {
		if top, bottom := img.NRGBAAt(x, 5), img.NRGBAAt(x, 94); !near(top, blue, 10) || !near(bottom, red, 10) {
			t.Errorf("x=%d: top %v, bottom %v; want blue above, red below (the halves turned)", x, top, bottom)
		}
	}
	// With w: the frame is the size w gives (300x150), turned within it.
	_, img = run(t, pl, encodePNG(t, halves(200, 100, red, blue)), "rot=90&w=300&fm=png", "")
	if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 150 {
		t.Fatalf("rot=90&w=300 straightened: %dx%d, want 300x150", b.Dx(), b.Dy())
	}
}

// rot=20, straightened: the frame's size, zoomed so that no corner shows
// the background (transparent in a PNG: any alpha below 255 is the
// background showing through).
func TestImgixRotStraightenCoversCorners(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, halves(200, 100, red, blue))
	for _, q := range []string{"rot=20&fm=png", "rot=20&rot-type=straighten&fm=png", "rot=200&fm=png", "rot=-33.5&fm=png", "rot=20&fm=png&bg=0f0"} {
		_, img := run(t, pl, src, q, "")
		b := img.Bounds()
		if b.Dx() != 200 || b.Dy() != 100 {
			t.Fatalf("%s: %dx%d, want the frame 200x100", q, b.Dx(), b.Dy())
		}
		for _, pt := range [][2]int{{0, 0}, {199, 0}, {0, 99}, {199, 99}, {1, 1}, {198, 98}} {
			c := img.NRGBAAt(pt[0], pt[1])
			if c.A != 255 || !(near(c, red, 40) || near(c, blue, 40)) {
				t.Errorf("%s: pixel %v is %v, want the image (red or blue), no background", q, pt, c)
			}
		}
	}
	// rot=20 counter-clockwise leans the halves' boundary left at the
	// top: 50 px above the centre it lies 50·tan 20° = 18 px left of the
	// middle (x ≈ 82).
	_, img := run(t, pl, src, "rot=20&fm=png", "")
	if l, r := img.NRGBAAt(75, 2), img.NRGBAAt(90, 2); !near(l, red, 40) || !near(r, blue, 40) {
		t.Errorf("rot=20: at the top, x=75 is %v and x=90 %v; want red and blue (the boundary at x≈82)", l, r)
	}
}

// rot-type=pivot keeps Matte's earlier turn: "Displays the entire image
// without cropping": the turned image's bounding box, corners filled.
// 200x100 turned 20°: 200·cos 20° + 100·sin 20° = 222.1 wide, 200·sin 20°
// + 100·cos 20° = 162.4 high (libvips rounds the box outwards).
func TestImgixRotPivotBoundingBox(t *testing.T) {
	pl := NewPipeline(Options{})
	_, img := run(t, pl, encodePNG(t, halves(200, 100, red, blue)), "rot=20&rot-type=pivot&fm=png", "")
	b := img.Bounds()
	if b.Dx() < 222 || b.Dx() > 224 || b.Dy() < 162 || b.Dy() > 164 {
		t.Fatalf("rot=20&rot-type=pivot: %dx%d, want the bounding box about 222x162", b.Dx(), b.Dy())
	}
	if c := img.NRGBAAt(0, 0); c.A != 0 {
		t.Errorf("corner is %v, want transparent (bg of a PNG)", c)
	}
	// Counter-clockwise: the top-right corner (blue) is the topmost.
	for x := 0; x < b.Dx(); x++ {
		if c := img.NRGBAAt(x, 3); c.A > 200 {
			if !near(c, blue, 60) {
				t.Fatalf("topmost pixel at x=%d is %v, want blue (the top-right corner)", x, c)
			}
			return
		}
	}
	t.Fatal("no opaque pixel near the top")
}

// Params.RotateStraighten with a half turn is lossless (Rot90): the frame
// is filled as it is.
func TestStraightenHalfTurn(t *testing.T) {
	pl := NewPipeline(Options{})
	_, img := runParams(t, pl, encodePNG(t, halves(200, 100, red, blue)), params.Params{Rotate: 180, RotateStraighten: true, Format: params.FormatPNG})
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 100 {
		t.Fatalf("%dx%d, want 200x100", b.Dx(), b.Dy())
	}
	if l, r := img.NRGBAAt(99, 50), img.NRGBAAt(100, 50); l != blue || r != red {
		t.Errorf("left of the middle %v, right %v; want blue | red exactly", l, r)
	}
}

// straightenScale covers the frame's pixel centres, (w-1) x (h-1) apart:
// |cos θ| + max((w-1)/(h-1), (h-1)/(w-1))·|sin θ|.
func TestStraightenScale(t *testing.T) {
	for _, c := range []struct {
		w, h  int
		angle float64
		want  float64
	}{
		{200, 100, 90, 199.0 / 99},                      // 0 + 199/99·1
		{200, 100, 270, 199.0 / 99},                     // |cos| and |sin|
		{100, 200, 90, 199.0 / 99},                      // the larger ratio either way
		{100, 100, 90, 1},                               // a square fills its frame turned
		{200, 100, 180, 1},                              // |cos 180°| = 1, sin 0
		{200, 100, 30, 0.8660254037844386 + 199.0/99/2}, // cos 30° + 199/99·sin 30°
	} {
		if got := straightenScale(c.w, c.h, c.angle); got < c.want-1e-6 || got > c.want+1e-6 {
			t.Errorf("straightenScale(%d, %d, %g) = %.9f, want %.9f", c.w, c.h, c.angle, got, c.want)
		}
	}
}
