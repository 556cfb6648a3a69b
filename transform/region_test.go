package transform

import (
	"fmt"
	"image"
	"image/color"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// framed is a w x h image, white in a frame of b pixels and red inside it.
func framed(w, h, b int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= b && x < w-b && y >= b && y < h-b {
				c = red
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// checkRed checks the corners, edges' middles and centre of out, a
// region cut inside the frame of framed, against red within tol.
func checkRed(t *testing.T, name string, out *image.NRGBA, tol int) {
	t.Helper()
	w, h := out.Bounds().Dx(), out.Bounds().Dy()
	for _, pt := range [][2]int{{0, 0}, {1, 0}, {w / 2, 0}, {w - 1, 0}, {0, h / 2}, {w - 1, h / 2}, {0, h - 1}, {w / 2, h - 1}, {w - 1, h - 1}, {w / 2, h / 2}} {
		if c := out.NRGBAAt(pt[0], pt[1]); !near(c, red, tol) {
			t.Errorf("%s: pixel %v of %dx%d = %v, want red within %d (the frame outside the region bled in)", name, pt, w, h, c, tol)
		}
	}
}

// TestRegionCutBeforeResize: the region is cut off the source before it is
// resized, so no pixel outside it reaches the output's edges (Cloudflare:
// "Trimming is performed before resizing or rotation"). The white frame
// is exactly the part the rect leaves out.
func TestRegionCutBeforeResize(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, framed(440, 240, 20))
	for _, q := range []string{"rect=20,20,400,200&w=200&fm=png", "rect=20,20,400,200&w=100&fm=png", "rect=20,20,400,200&w=130&fm=png&rot=90"} {
		_, out := run(t, pl, src, q, "")
		checkRed(t, q, out, 2)
	}
}

// TestRegionShrinkOnLoad: a JPEG decoded with shrink-on-load (1/8 here)
// averages 8x8 blocks of luma, and its 4:2:0 chroma (Go's encoder) over
// 16x16 MCUs; those that straddle the region's edge (the frame is 24 px,
// mid-MCU; on a 1603x803 image that orientation 3 turns, the MCUs start
// 13 px in from the top-left) are left out of the cut. JPEG's own ringing at the frame's edge is inside
// the region, and stays.
func TestRegionShrinkOnLoad(t *testing.T) {
	pl := NewPipeline(Options{})
	jpg := encodeJPEG(t, framed(1603, 803, 24)) // the frame is symmetric: turned 180°, it is the same
	for _, tc := range []struct {
		name string
		src  []byte
	}{
		{"upright", jpg},
		{"EXIF orientation 3", withOrientation(jpg, 3)},
		{"orient=3", jpg},
	} {
		for _, q := range []string{"rect=24,24,1555,755&w=100&fm=png", "rect=30,27,1500,700&w=150&fm=png", "rect=24,24,1555,755&w=300&fm=png"} {
			if tc.name == "orient=3" {
				q += "&orient=3"
			}
			res, out := run(t, pl, tc.src, q, "")
			name := fmt.Sprintf("%s %s", tc.name, q)
			if res.Width != out.Bounds().Dx() {
				t.Fatalf("%s: %d wide, result says %d", name, out.Bounds().Dx(), res.Width)
			}
			checkRed(t, name, out, 3)
		}
	}
}

// TestShrunkSpan pins the decoded pixels a cut keeps of a span decoded at
// 1/s, and where they are put on the span's size at 1/s.
func TestShrunkSpan(t *testing.T) {
	for _, tc := range []struct {
		name             string
		x, w, n, m, s    int
		rev              bool
		c0, c1, at, size int
	}{
		{"aligned", 16, 64, 100, 13, 8, false, 2, 10, 0, 8},
		{"edges mid-MCU", 20, 400, 440, 55, 8, false, 4, 52, 1, 50},
		{"left edge early in its MCU", 17, 400, 440, 55, 8, false, 4, 52, 2, 50},
		{"whole side, partial last block", 0, 100, 100, 13, 8, false, 0, 13, 0, 13},
		{"to the far edge", 20, 80, 100, 13, 8, false, 4, 13, 1, 10},
		{"reversed: blocks start 5 in, MCUs 13", 24, 1555, 1603, 201, 8, true, 5, 197, 1, 194},
		{"reversed, from the near edge", 0, 19, 1603, 201, 8, true, 0, 3, 0, 3},
		{"within one decoded pixel", 17, 3, 100, 13, 8, false, 2, 3, 0, 1},
		{"shrink 2, no whole MCU", 21, 10, 100, 50, 2, false, 13, 14, 2, 5},
		{"shrink 2", 21, 40, 100, 50, 2, false, 16, 24, 5, 20},
	} {
		c0, c1, at, size := shrunkSpan(tc.x, tc.w, tc.n, tc.m, tc.s, tc.rev)
		if c0 != tc.c0 || c1 != tc.c1 || at != tc.at || size != tc.size {
			t.Errorf("%s: shrunkSpan(%d, %d, %d, %d, %d, %v) = %d, %d, %d, %d, want %d, %d, %d, %d", tc.name, tc.x, tc.w, tc.n, tc.m, tc.s, tc.rev, c0, c1, at, size, tc.c0, tc.c1, tc.at, tc.size)
		}
	}
}

func mustParseB(b *testing.B, query string) params.Params {
	b.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		b.Fatal(err)
	}
	p, err := imgix.ParseQuery(q)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkRegion: a 12 MP JPEG (4000x3000) cut by a rect and resized to
// 800 wide, against the same JPEG decoded whole at full size.
func BenchmarkRegion(b *testing.B) {
	src := image.NewNRGBA(image.Rect(0, 0, 4000, 3000))
	for y := range 3000 {
		for x := range 4000 {
			src.SetNRGBA(x, y, color.NRGBA{uint8(x*7 ^ y), uint8(y * 3), uint8(x + y*5), 255})
		}
	}
	jpg := encodeJPEG(b, src)
	pl := NewPipeline(Options{})
	p := mustParseB(b, "rect=123,77,3501,2803&w=800&fm=jpg")
	info, err := pl.Probe(jpg)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rect-800", func(b *testing.B) {
		for range b.N {
			if _, err := pl.Process(b.Context(), &Request{Source: jpg, Info: info, Params: p, Format: NegotiateFormat(p, "", info)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full-decode", func(b *testing.B) {
		for range b.N {
			im, err := vips.Thumbnail(jpg, 4000, 3000, vips.NoCrop, 1, 0, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := im.CopyMemory(); err != nil {
				b.Fatal(err)
			}
			im.Close()
		}
	})
}

// TestRegionRandomAccessWorkingSize: a region that a turn or a vertical
// flip reads out of order is rendered to memory at about the size the
// plan resizes it to, as load renders a whole source (Limits.
// MaxWorkingPixels counts it), not at the region's size in the source:
// 4 MP allows the 100 px output of a 2900x2900 region, and refused it
// with output_too_large when the region went to memory uncut in size.
func TestRegionRandomAccessWorkingSize(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxWorkingPixels: 4_000_000}})
	src := encodePNG(t, halves(3000, 3000, red, blue))
	for _, q := range []string{
		"w=100&rot=20&fm=png",
		"rect=10,10,2900,2900&w=100&rot=20&fm=png",
		"rect=10,10,2900,2900&w=100&flip=v&fm=png",
		"rect=10,10,2900,2900&w=100&fm=png",
	} {
		if _, err := process(t, pl, src, mustParse(t, q), ""); err != nil {
			t.Errorf("%s: %v, want no error", q, err)
		}
	}
}

// TestRegionRandomAccessSamePlan: shrinking the region before it goes to
// memory leaves the plan as it was: each request flipped vertically is
// the same size as without the flip, and its pixels are the unflipped
// result's mirrored. A smart crop (crop=entropy) is checked for its size
// only: on the shrunk region it may place its box a pixel or two away,
// and on this smooth gradient any place is as interesting as another.
func TestRegionRandomAccessSamePlan(t *testing.T) {
	pl := NewPipeline(Options{})
	img := image.NewNRGBA(image.Rect(0, 0, 1200, 900))
	for y := range 900 {
		for x := range 1200 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x / 5), uint8(y / 4), uint8((x + y) / 9), 255})
		}
	}
	src := encodePNG(t, img)
	for _, q := range []string{
		"rect=13,7,1101,803&w=100&fm=png",
		"rect=13,7,1101,803&w=100&h=100&fit=crop&fm=png",
		"rect=13,7,1101,803&w=90&h=40&fit=crop&crop=top,left&fm=png",
		"rect=13,7,1101,803&w=120&h=90&fit=crop&crop=entropy&fm=png",
		"rect=13,7,1101,803&w=100&h=300&fit=scale&fm=png",
		"rect=13,7,1101,803&w=100&dpr=2&fm=png",
		"rect=13,7,1101,803&w=150&h=100&fit=clip&fm=png",
		"rect=13,7,1101,803&w=2000&fit=max&fm=png",
		"rect=13,7,501,403&w=800&fm=png",
	} {
		_, plain := run(t, pl, src, q, "")
		_, flipped := run(t, pl, src, q+"&flip=v", "")
		w, h := plain.Bounds().Dx(), plain.Bounds().Dy()
		if fw, fh := flipped.Bounds().Dx(), flipped.Bounds().Dy(); fw != w || fh != h {
			t.Errorf("%s: flip=v gives %dx%d, without it %dx%d", q, fw, fh, w, h)
			continue
		}
		bad := 0
		for y := range h {
			for x := range w {
				if !near(flipped.NRGBAAt(x, h-1-y), plain.NRGBAAt(x, y), 3) {
					bad++
				}
			}
		}
		if bad > 0 && !strings.Contains(q, "entropy") {
			t.Errorf("%s: %d of %d pixels flipped differ from the unflipped result's mirror by more than 3", q, bad, w*h)
		}
	}
}
