package transform

import (
	"image"
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// ImageKit's e-shadow on exact pixels: a 100x100 transparent PNG holding
// an opaque white 20x20 square at x, y 40-59 casts the square's shadow,
// moved by the offsets (percent of 100 px: pixels), black at the opacity,
// under the image.
func TestDropShadowPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	white := color.NRGBA{255, 255, 255, 255}
	for y := 40; y < 60; y++ {
		for x := 40; x < 60; x++ {
			src.SetNRGBA(x, y, white)
		}
	}
	png := encodePNG(t, src)
	halfBlack := color.NRGBA{0, 0, 0, 128}  // 255 × 0.5, rounded
	grey := color.NRGBA{128, 128, 128, 255} // half black over white: 255 × (1 - 0.5)
	cases := []struct {
		name    string
		p       params.Params
		samples []sample
	}{
		// 10% right: the shadow covers x 50-69, under the square up to 59.
		{"right", params.Params{Format: params.FormatPNG, DropShadow: params.DropShadow{Opacity: 0.5, X: 10}},
			[]sample{{50, 50, white}, {59, 50, white}, {60, 50, halfBlack}, {69, 59, halfBlack}, {70, 50, clear}, {65, 60, clear}, {39, 50, clear}}},
		// 10% left and 20% down: x 30-49, y 60-79.
		{"left and down", params.Params{Format: params.FormatPNG, DropShadow: params.DropShadow{Opacity: 0.5, X: -10, Y: 20}},
			[]sample{{45, 50, white}, {35, 70, halfBlack}, {30, 79, halfBlack}, {29, 70, clear}, {55, 70, clear}, {35, 80, clear}}},
		// Moved past the edge: cut, not wrapped.
		{"past the edge", params.Params{Format: params.FormatPNG, DropShadow: params.DropShadow{Opacity: 0.5, X: 50}},
			[]sample{{95, 50, halfBlack}, {5, 50, clear}}},
		// The background flattens it afterwards: half black over white.
		{"under the background", params.Params{Format: params.FormatPNG, Background: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}, DropShadow: params.DropShadow{Opacity: 0.5, X: 10}},
			[]sample{{65, 50, grey}, {75, 50, white}, {50, 50, white}}},
		// Blurred by sigma 2: the shadow's inside (5 px from its edge, 2.5
		// sigma) keeps about all of 128; its last column (x 69, 0.5 px in)
		// about 128 × Φ(0.25) = 77, the first outside (0.5 px out) 128 ×
		// (1 - Φ(0.25)) = 51, and 3.5 px out 128 × (1 - Φ(1.75)) = 5.
		{"blurred", params.Params{Format: params.FormatPNG, DropShadow: params.DropShadow{Opacity: 0.5, Blur: 2, X: 10}},
			[]sample{{64, 50, halfBlack}, {69, 50, color.NRGBA{0, 0, 0, 77}}, {70, 50, color.NRGBA{0, 0, 0, 51}}, {73, 50, color.NRGBA{0, 0, 0, 5}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := process(t, pl, png, tc.p, "")
			if err != nil {
				t.Fatal(err)
			}
			checkSamples(t, decodeNRGBA(t, res.Body), tc.samples, 6)
		})
	}
	// An image without alpha casts none: its pixels are untouched.
	res, err := process(t, pl, encodePNG(t, filled(40, 20, red)), params.Params{Format: params.FormatPNG, DropShadow: params.DropShadow{Opacity: 1, X: 10}}, "")
	if err != nil {
		t.Fatal(err)
	}
	checkSamples(t, decodeNRGBA(t, res.Body), []sample{{0, 0, red}, {39, 19, red}}, 0)
}
