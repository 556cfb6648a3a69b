package transform

import (
	"image"
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// distanceBox measures Thumbor's euclidean distance: a pixel 3, 4, 0 off
// the corner's colour is 5 away (a per-channel bound of 4 would keep it
// border); a grey level counts three times (3 levels: √27 ≈ 5.2); alpha
// counts; the corner is the top-left or the bottom-right pixel.
func TestDistanceBox(t *testing.T) {
	flat := func(w, h int, px ...byte) []byte {
		var b []byte
		for range w * h {
			b = append(b, px...)
		}
		return b
	}
	set := func(b []byte, w, n, x, y int, px ...byte) []byte {
		copy(b[(y*w+x)*n:], px)
		return b
	}
	for _, tc := range []struct {
		name             string
		buf              []byte
		w, h, n, cx, cy  int
		tol              float64
		l, t, wide, high int
	}{
		{"rgb, 5 away, tolerance 0", set(flat(4, 3, 10, 10, 10), 4, 3, 2, 1, 13, 14, 10), 4, 3, 3, 0, 0, 0, 2, 1, 1, 1},
		{"rgb, 5 away, tolerance 4", set(flat(4, 3, 10, 10, 10), 4, 3, 2, 1, 13, 14, 10), 4, 3, 3, 0, 0, 4, 2, 1, 1, 1},
		{"rgb, 5 away, tolerance 5: border", set(flat(4, 3, 10, 10, 10), 4, 3, 2, 1, 13, 14, 10), 4, 3, 3, 0, 0, 5, 0, 0, 0, 0},
		{"grey, 3 levels, tolerance 5", set(flat(4, 3, 100), 4, 1, 1, 2, 103), 4, 3, 1, 0, 0, 5, 1, 2, 1, 1},
		{"grey, 3 levels, tolerance 6: border", set(flat(4, 3, 100), 4, 1, 1, 2, 103), 4, 3, 1, 0, 0, 6, 0, 0, 0, 0},
		{"rgba, alpha 10 off", set(flat(3, 3, 0, 0, 0, 255), 3, 4, 0, 1, 0, 0, 0, 245), 3, 3, 4, 0, 0, 9, 0, 1, 1, 1},
		{"two pixels span the box", set(set(flat(5, 5, 9, 9, 9), 5, 3, 1, 3, 0, 0, 0), 5, 3, 3, 1, 0, 0, 0), 5, 5, 3, 0, 0, 0, 1, 1, 3, 3},
		// The bottom-right corner is the reference: the top-left is content.
		{"bottom-right reference", set(flat(4, 4, 50, 50, 50), 4, 3, 0, 0, 60, 50, 50), 4, 4, 3, 3, 3, 0, 0, 0, 1, 1},
		{"top-left reference, same image", set(flat(4, 4, 50, 50, 50), 4, 3, 0, 0, 60, 50, 50), 4, 4, 3, 0, 0, 0, 0, 0, 4, 4},
	} {
		l, top, w, h := distanceBox(tc.buf, tc.w, tc.h, tc.n, tc.cx, tc.cy, tc.tol)
		if l != tc.l || top != tc.t || w != tc.wide || h != tc.high {
			t.Errorf("%s: box %d,%d %dx%d, want %d,%d %dx%d", tc.name, l, top, w, h, tc.l, tc.t, tc.wide, tc.high)
		}
	}
}

// ringed is 300x300: a white band 40 px wide around a light grey ring
// (245: 17.3 from white, 5 per channel) 20 px wide around red; with
// mark, a 10 px black square in the top-left corner.
func ringed(mark bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 300))
	for y := range 300 {
		for x := range 300 {
			c := red
			switch {
			case mark && x < 10 && y < 10:
				c = color.NRGBA{0, 0, 0, 255}
			case x < 40 || y < 40 || x >= 260 || y >= 260:
				c = color.NRGBA{255, 255, 255, 255}
			case x < 60 || y < 60 || x >= 240 || y >= 240:
				c = color.NRGBA{245, 245, 245, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// Thumbor's trim through the pipeline: the tolerance is a euclidean
// distance, and the corner picks the colour cut.
func TestTrimByDistancePixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	plain, marked := encodePNG(t, ringed(false)), encodePNG(t, ringed(true))
	grey, white, black := color.NRGBA{245, 245, 245, 255}, color.NRGBA{255, 255, 255, 255}, color.NRGBA{0, 0, 0, 255}
	for _, tc := range []struct {
		name    string
		src     []byte
		p       params.Params
		w, h    int
		samples []sample
	}{
		// The white is cut; the grey ring, 17.3 away, stays up to 17 (a
		// per-channel bound of 5 would take it from 5).
		{"tolerance 0", plain, params.Params{}, 220, 220, []sample{{0, 0, grey}, {30, 30, red}, {219, 219, grey}}},
		{"tolerance 17", plain, params.Params{TrimTolerance: 17, TrimToleranceSet: true}, 220, 220, []sample{{0, 0, grey}}},
		{"tolerance 18", plain, params.Params{TrimTolerance: 18, TrimToleranceSet: true}, 180, 180, []sample{{0, 0, red}, {179, 179, red}}},
		// The top-left pixel is black: nothing matches it but its square.
		{"top-left, marked", marked, params.Params{}, 300, 300, []sample{{0, 0, black}, {299, 299, white}}},
		// The bottom-right is white: the black square is kept as content.
		{"bottom-right, marked", marked, params.Params{TrimBottomRight: true}, 260, 260, []sample{{0, 0, black}, {20, 20, white}, {259, 259, grey}}},
	} {
		p := tc.p
		p.Trim, p.TrimBy, p.Format = true, params.TrimByDistance, params.FormatPNG
		_, img := runParams(t, pl, tc.src, p)
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: %dx%d, want %dx%d", tc.name, b.Dx(), b.Dy(), tc.w, tc.h)
			continue
		}
		checkSamples(t, img, tc.samples, 2)
	}
	// The colour trim (libvips' find_trim, 10 per channel) takes its colour
	// from the bottom-right too: the white and the grey ring (10 off) are
	// cut, the black square kept.
	_, img := runParams(t, pl, marked, params.Params{Trim: true, TrimBottomRight: true, Format: params.FormatPNG})
	if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 240 {
		t.Fatalf("colour trim from the bottom-right: %dx%d, want 240x240", b.Dx(), b.Dy())
	}
	checkSamples(t, img, []sample{{0, 0, black}, {239, 239, red}}, 2)
}
