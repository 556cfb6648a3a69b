package transform

import (
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// TestGradientPixels: a gradient over white, by hand. A pixel's centre at
// the fraction t of the gradient line gets black at alpha 255·t (From
// transparent black, To opaque black, Start 0, Stop 1), which over white
// is 255·(1 - t). Down a 4x100 image (Angle 180) t = (y + 0.5)/100: row 0
// 253.7, row 49 128.8, row 99 1.3. Along the diagonal of a 100x100 one at
// 45° (to the top right) the line is 100·sin 45° + 100·cos 45° = 141.4
// long: the top-right pixel's centre lies 70.0 past the middle (t 0.995:
// 1.3), the bottom-left one 70.0 before it (t 0.005: 253.7), and the
// other two corners on the middle (t 0.5: 127.5). Start 0.25 and Stop 0.75
// across a 100x4 image (Angle 90) to red at alpha 128 leave x = 10 (t
// 0.105) white, give x = 49 (t 0.495) the mix (0.495 - 0.25)/0.5 = 0.49,
// alpha 62.7, so green and blue 255 - 62.7 = 192.3, and x = 90 all of it:
// 255 - 128 = 127. Start = Stop = 0.5 is a hard edge between rows 49 (t
// 0.495) and 50 (t 0.505). StopPixels 40 down the 4x100 image is Stop
// 0.4: row 9 (t 0.095) takes 0.095/0.4 = 0.2375 of the black, 194.4;
// row 40 on all of it. A translucent output keeps its alpha. The
// gradient's alpha is rounded to 8 bits, and libvips' composite truncates
// its result: 127.5 lands on 126 (alpha 128, 255·127/255 = 126.99...), so
// the samples are checked within 2 levels.
func TestGradientPixels(t *testing.T) {
	pl := NewPipeline(Options{})
	white := color.NRGBA{255, 255, 255, 255}
	clear := params.Color{Set: true}
	black := params.Color{A: 255, Set: true}
	grey := func(v uint8) color.NRGBA { return color.NRGBA{v, v, v, 255} }
	cases := []struct {
		name    string
		w, h    int
		bg      color.NRGBA
		g       params.Gradient
		samples []sample
	}{
		{"down", 4, 100, white, params.Gradient{From: clear, To: black, Angle: 180, Stop: 1},
			[]sample{{0, 0, grey(254)}, {3, 49, grey(129)}, {2, 99, grey(1)}}},
		{"up", 4, 100, white, params.Gradient{From: clear, To: black, Angle: 0, Stop: 1},
			[]sample{{0, 99, grey(254)}, {3, 50, grey(129)}, {2, 0, grey(1)}}},
		{"diagonal", 100, 100, white, params.Gradient{From: clear, To: black, Angle: 45, Stop: 1},
			[]sample{{99, 0, grey(1)}, {0, 99, grey(254)}, {0, 0, grey(127)}, {99, 99, grey(127)}}},
		{"start and stop", 100, 4, white, params.Gradient{From: params.Color{R: 255, Set: true}, To: params.Color{R: 255, A: 128, Set: true}, Angle: 90, Start: 0.25, Stop: 0.75},
			[]sample{{10, 1, white}, {24, 1, white}, {49, 2, color.NRGBA{255, 192, 192, 255}}, {90, 3, color.NRGBA{255, 127, 127, 255}}}},
		{"hard edge", 4, 100, white, params.Gradient{From: clear, To: black, Angle: 180, Start: 0.5, Stop: 0.5},
			[]sample{{0, 49, white}, {0, 50, grey(0)}, {3, 99, grey(0)}}},
		{"stop in pixels", 4, 100, white, params.Gradient{From: clear, To: black, Angle: 180, StopPixels: 40},
			[]sample{{1, 9, grey(194)}, {1, 40, grey(0)}, {2, 99, grey(0)}}},
		{"alpha kept", 4, 100, color.NRGBA{255, 255, 255, 128}, params.Gradient{From: clear, To: black, Angle: 180, Stop: 1},
			[]sample{{0, 0, color.NRGBA{254, 254, 254, 128}}, {0, 99, color.NRGBA{1, 1, 1, 128}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, img := runParams(t, pl, encodePNG(t, filled(tc.w, tc.h, tc.bg)), params.Params{Format: params.FormatPNG, Gradient: tc.g})
			checkSamples(t, img, tc.samples, 2)
		})
	}
}
