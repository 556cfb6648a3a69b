package transform

import (
	"image/color"
	"testing"
)

// imgix border on exact pixels: a frame inside a 100x50 white image (PNG
// out), per-side widths, the DPR, rounded outer corners (cut away) and
// rounded inner ones.
func TestBorderPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	white := color.NRGBA{255, 255, 255, 255}
	base := encodePNG(t, filled(100, 50, white))
	halfRed := color.NRGBA{255, 128, 128, 255}
	cases := []struct {
		name, query string
		samples     []sample
	}{
		// 4 px all round: x 0-3 and 96-99, y 0-3 and 46-49.
		{"even", "border=4,f00&fm=png", []sample{{0, 0, red}, {3, 25, red}, {4, 25, white}, {96, 25, red}, {95, 25, white}, {50, 3, red}, {50, 4, white}, {50, 46, red}, {50, 45, white}, {99, 49, red}}},
		{"per side", "border=4,f00&border-top=10&border-left=0&fm=png", []sample{{50, 9, red}, {50, 10, white}, {0, 25, white}, {96, 25, red}, {50, 46, red}}},
		// imgix's ARGB: 80ff0000 is red at half alpha.
		{"translucent", "border=4,80ff0000&fm=png", []sample{{1, 25, halfRed}, {50, 25, white}}},
		// dpr 2: 4 CSS px are 8.
		{"dpr", "w=50&dpr=2&border=4,f00&fm=png", []sample{{7, 25, red}, {8, 25, white}, {92, 25, red}, {91, 25, white}}},
		// Outer corners of radius 10: (1,1) is 12 px from the circle's
		// centre (10,10), outside: cut away; (2,8) is inside the outer box
		// and left of the square inner one: red; (5,5) is inside both: white.
		{"outer radius", "border=4,f00&border-radius=10&fm=png", []sample{{1, 1, clear}, {98, 48, clear}, {2, 8, red}, {5, 5, white}, {50, 1, red}}},
		// Inner corners of radius 10 on a 4 px frame: (6,6) is outside the
		// inner box's rounded corner (centre (14,14), 11.3 px away): red.
		{"inner radius", "border=4,f00&border-radius-inner=10&fm=png", []sample{{6, 6, red}, {14, 14, white}, {0, 0, red}}},
		// No width drawn, the outer radius still rounds the output.
		{"radius alone", "border=0,000&border-radius=10&fm=png", []sample{{1, 1, clear}, {5, 5, white}, {50, 1, white}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, img := run(t, pl, base, tc.query, "")
			checkSamples(t, img, tc.samples, 2)
		})
	}
	// A JPEG has no alpha: the cut corners are white.
	_, img := run(t, pl, encodePNG(t, filled(100, 50, red)), "border=0,000&border-radius=10&fm=jpg", "")
	checkSamples(t, img, []sample{{0, 0, white}, {50, 25, red}}, 12)
}
