package transform

import (
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// The expected values were worked out with a line-by-line port of
// Thumbor's _curve.c (its own tridiagonal solve, C's round), apart from
// splineTable's.
func TestSplineTable(t *testing.T) {
	for _, tc := range []struct {
		pts  [][2]int
		want map[int]uint8
	}{
		{[][2]int{{0, 0}, {128, 64}, {255, 255}}, map[int]uint8{32: 8, 64: 20, 100: 40, 128: 64, 200: 161, 230: 211}},
		{[][2]int{{0, 50}, {255, 200}}, map[int]uint8{0: 50, 100: 109, 255: 200}},
		// Before the first point the first y, from the last on the last y.
		{[][2]int{{50, 10}, {200, 240}}, map[int]uint8{20: 10, 50: 10, 120: 117, 200: 240, 220: 240}},
		{[][2]int{{0, 0}, {40, 59}, {255, 255}}, map[int]uint8{20: 30, 40: 59, 128: 159, 200: 217}},
		{[][2]int{{32, 59}, {64, 80}, {92, 111}, {128, 153}, {140, 169}, {164, 201}, {192, 214}, {224, 215}, {240, 214}, {255, 212}},
			map[int]uint8{0: 59, 50: 69, 100: 120, 150: 183, 200: 215, 250: 213}},
		{[][2]int{{100, 30}}, map[int]uint8{0: 30, 255: 30}},
	} {
		table := splineTable(tc.pts)
		for x, want := range tc.want {
			if table[x] != want {
				t.Errorf("%v at %d: %d, want %d", tc.pts, x, table[x], want)
			}
		}
	}
}

// Thumbor's documentation's first curve example: each band's curve, then
// the curve of all three; alpha kept.
func TestCurvesPixels(t *testing.T) {
	doc := params.Curves{
		All:   "0:0,40:59,255:255",
		Red:   "32:59,64:80,92:111,128:153,140:169,164:201,192:214,224:215,240:214,255:212",
		Green: "34:41,64:51,92:76,128:112,140:124,164:147,192:180,224:216,240:236,255:255",
		Blue:  "40:46,64:55,92:83,128:127,140:144,164:174,192:197,224:199,240:197,255:198",
	}
	for _, tc := range []struct{ in, want color.NRGBA }{
		{color.NRGBA{100, 100, 100, 255}, color.NRGBA{151, 114, 123, 255}},
		{color.NRGBA{200, 100, 50, 255}, color.NRGBA{228, 114, 71, 255}},
		{color.NRGBA{10, 240, 128, 90}, color.NRGBA{84, 242, 158, 90}},
	} {
		checkSolidPixelsWithin(t, tc.in, []solidCase{{params.Params{Curves: doc}, tc.want}}, 0)
	}
}
