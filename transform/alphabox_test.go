package transform

import (
	"math/rand/v2"
	"testing"

	"github.com/jebosio/matte/transform/vips"
)

// alphaBox finds the box libvips' find_trim finds on the alpha band
// (background 0, threshold 10, its 3x3 median with repeated edges): the
// oracle here is libvips itself, on mattes with soft edges, specks that
// the median drops, lines too thin to survive it, subjects touching the
// edges, and nothing at all.
func TestAlphaBoxMatchesFindTrim(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type matte struct {
		name string
		w, h int
		draw func(a []byte, w, h int)
	}
	disc := func(cx, cy, r int) func(a []byte, w, h int) {
		return func(a []byte, w, h int) {
			for y := range h {
				for x := range w {
					d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
					switch {
					case d < r*r:
						a[y*w+x] = 255
					case d < (r+4)*(r+4):
						a[y*w+x] = byte(255 * ((r+4)*(r+4) - d) / ((r+4)*(r+4) - r*r))
					}
				}
			}
		}
	}
	cases := []matte{
		{"soft disc", 120, 90, disc(60, 45, 30)},
		{"disc cut by the top left corner", 120, 90, disc(5, 3, 25)},
		{"disc cut by the bottom right corner", 120, 90, disc(118, 88, 25)},
		{"nothing", 50, 40, func([]byte, int, int) {}},
		{"faint everywhere (10, not above)", 50, 40, func(a []byte, _, _ int) {
			for i := range a {
				a[i] = 10
			}
		}},
		{"one pixel", 50, 40, func(a []byte, w, _ int) { a[20*w+30] = 255 }},
		{"one-pixel line", 50, 40, func(a []byte, w, _ int) {
			for x := 5; x < 45; x++ {
				a[12*w+x] = 255
			}
		}},
		{"two-pixel line", 50, 40, func(a []byte, w, _ int) {
			for x := 5; x < 45; x++ {
				a[12*w+x], a[13*w+x] = 255, 200
			}
		}},
		{"line along the top edge", 50, 40, func(a []byte, w, _ int) {
			for x := 3; x < 20; x++ {
				a[x] = 255
			}
		}},
		{"column along the right edge", 50, 40, func(a []byte, w, h int) {
			for y := 4; y < 30; y++ {
				a[y*w+w-1] = 255
			}
		}},
		{"2x2 block in the corner", 50, 40, func(a []byte, w, _ int) { a[0], a[1], a[w], a[w+1] = 255, 255, 255, 255 }},
		{"3x3 block", 3, 3, func(a []byte, _, _ int) {
			for i := range a {
				a[i] = 200
			}
		}},
	}
	for i := range 20 {
		density := []int{2, 10, 40, 70}[i%4]
		cases = append(cases, matte{"random speckle", 20 + rng.IntN(60), 20 + rng.IntN(60), func(a []byte, _, _ int) {
			for j := range a {
				if rng.IntN(100) < density {
					a[j] = byte(rng.IntN(256))
				}
			}
		}})
	}
	for _, tc := range cases {
		alpha := make([]byte, tc.w*tc.h)
		tc.draw(alpha, tc.w, tc.h)
		// The same alpha behind two colour bands, as alphaBox reads it.
		rgba := make([]byte, 0, 3*len(alpha))
		for _, a := range alpha {
			rgba = append(rgba, byte(rng.IntN(256)), byte(rng.IntN(256)), a)
		}
		img, err := vips.FromPixels(alpha, tc.w, tc.h, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		l, top, w, h, err := img.FindTrim([]float64{0}, 10)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := alphaBox(rgba, tc.w, tc.h, 3, 10)
		want := Box{Left: l, Top: top, Width: w, Height: h}
		if w == 0 || h == 0 {
			if ok {
				t.Errorf("%s (%dx%d): box %+v, libvips finds none", tc.name, tc.w, tc.h, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("%s (%dx%d): box %+v (%v), libvips %+v", tc.name, tc.w, tc.h, got, ok, want)
		}
	}
}
