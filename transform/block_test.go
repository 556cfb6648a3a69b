package transform

import (
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// ImageKit's i-ik_canvas layer on exact pixels: a 20x10 block over a
// 100x50 white PNG, placed by its alignment or offsets.
func TestBlockPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	white := color.NRGBA{255, 255, 255, 255}
	src := encodePNG(t, filled(100, 50, white))
	redC := params.Color{R: 255, A: 255, Set: true}
	block := func(b params.Block) params.Params {
		b.Width, b.Height = max(b.Width, 20), max(b.Height, 10)
		if !b.Color.Set {
			b.Color = redC
		}
		return params.Params{Format: params.FormatPNG, Block: b}
	}
	cases := []struct {
		name    string
		p       params.Params
		samples []sample
	}{
		{"top left", block(params.Block{Align: params.CropTopLeft}), []sample{{0, 0, red}, {19, 9, red}, {20, 5, white}, {5, 10, white}}},
		// Centred: x (100-20)/2 = 40 to 59, y (50-10)/2 = 20 to 29.
		{"centre", block(params.Block{Align: params.CropCenter}), []sample{{40, 20, red}, {59, 29, red}, {39, 20, white}, {60, 29, white}, {50, 19, white}, {50, 30, white}}},
		// 5 px from the right edge to its far edge: x 75 to 94; y 0.
		{"from the right", block(params.Block{X: 5, XSet: true, YSet: true, XFromEnd: true}), []sample{{75, 0, red}, {94, 9, red}, {95, 0, white}, {74, 0, white}, {80, 10, white}}},
		// Past the edge: kept inside (x 80 to 99).
		{"kept inside", block(params.Block{X: 1000, Y: 3, XSet: true, YSet: true}), []sample{{80, 3, red}, {99, 12, red}, {79, 3, white}, {99, 2, white}}},
		// Larger than the output: the output's size.
		{"whole", block(params.Block{Width: 500, Height: 500}), []sample{{0, 0, red}, {99, 49, red}}},
		// Half-transparent red over white: 255 × (1 - 128/255) = 127 in G and B.
		{"translucent", block(params.Block{Color: params.Color{R: 255, A: 128, Set: true}, Align: params.CropTopLeft}), []sample{{5, 5, color.NRGBA{255, 127, 127, 255}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := process(t, pl, src, tc.p, "")
			if err != nil {
				t.Fatal(err)
			}
			checkSamples(t, decodeNRGBA(t, res.Body), tc.samples, 2)
		})
	}
	// DPR 2: 20x10 CSS pixels are 40x20 (the output is 100x50, as DPR
	// without a size leaves it).
	res, err := process(t, pl, src, params.Params{Format: params.FormatPNG, DPR: 2, Block: params.Block{Color: redC, Width: 20, Height: 10, Align: params.CropTopLeft}}, "")
	if err != nil {
		t.Fatal(err)
	}
	checkSamples(t, decodeNRGBA(t, res.Body), []sample{{39, 19, red}, {40, 5, white}, {5, 20, white}}, 2)
}
