package transform

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/jebosio/matte/params"
)

// runWithMark processes src with query, whose mark= is replaced by the
// content reference of mark's bytes, carried in Extras as the handler does.
func runWithMark(t *testing.T, pl *Pipeline, src, mark []byte, query string) *image.NRGBA {
	t.Helper()
	return runMarkParams(t, pl, src, mark, mustParse(t, query))
}

// runMarkParams processes src with p, its watermark being mark's bytes.
func runMarkParams(t *testing.T, pl *Pipeline, src, mark []byte, p params.Params) *image.NRGBA {
	t.Helper()
	p.Watermark.Image = params.BgImageRef(mark)
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: NegotiateFormat(p, "", s), Extras: params.Extras{Mark: mark}})
	if err != nil {
		t.Fatalf("process %+v: %v", p, err)
	}
	return decodeNRGBA(t, res.Body)
}

// The watermark's size and place, on exact pixels: a 10x10 red square over
// a 100x50 white image (PNG out).
func TestWatermarkPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	white := color.NRGBA{255, 255, 255, 255}
	base := encodePNG(t, filled(100, 50, white))
	mark := encodePNG(t, filled(10, 10, red))
	wide := encodePNG(t, filled(20, 10, red))             // mark=/w.png
	twoColours := encodePNG(t, halves(20, 10, red, blue)) // mark=/h.png
	cases := []struct {
		name, query string
		src         []byte
		samples     []sample
	}{
		// Bottom right, 5 px in: x 85-94, y 35-44.
		{"default place", "mark=/m.png&fm=png", base, []sample{{85, 35, red}, {94, 44, red}, {84, 40, white}, {95, 40, white}, {90, 34, white}, {90, 45, white}}},
		{"top left, no pad", "mark=/m.png&mark-align=top,left&mark-pad=0&fm=png", base, []sample{{0, 0, red}, {9, 9, red}, {10, 10, white}}},
		{"centre", "mark=/m.png&mark-align=middle,center&fm=png", base, []sample{{45, 20, red}, {54, 29, red}, {44, 20, white}, {55, 30, white}}},
		{"half alpha", "mark=/m.png&mark-alpha=50&fm=png", base, []sample{{90, 40, color.NRGBA{255, 128, 128, 255}}}},
		// 20% of 100 px: 20x20, bottom right 5 px in: x 75-94, y 25-44.
		{"width as a fraction", "mark=/m.png&mark-w=0.2&fm=png", base, []sample{{75, 25, red}, {94, 44, red}, {74, 30, white}, {80, 24, white}}},
		// mark-scale=30: 30 px wide (30% of the output's width).
		{"scale", "mark=/m.png&mark-scale=30&mark-align=top,left&mark-pad=0&fm=png", base, []sample{{29, 29, red}, {30, 10, white}, {10, 30, white}}},
		{"x and y", "mark=/m.png&mark-x=10&mark-y=20&fm=png", base, []sample{{10, 20, red}, {19, 29, red}, {9, 20, white}, {10, 19, white}}},
		// dpr 2: 5 CSS px wide is 10, the pad 10: x 80-89, y 30-39.
		{"dpr", "w=50&dpr=2&mark=/m.png&mark-w=5&fm=png", base, []sample{{80, 30, red}, {89, 39, red}, {79, 35, white}, {90, 35, white}}},
		// Never larger than the output: 1000 px asked, 50x50 drawn.
		{"capped by the output", "mark=/m.png&mark-w=1000&mark-align=top,left&mark-pad=0&fm=png", base, []sample{{49, 49, red}, {50, 25, white}}},
		{"over transparency", "mark=/m.png&mark-align=top,right&mark-pad=0&fm=png", encodePNG(t, halves(100, 50, green, clear)), []sample{{95, 5, red}, {85, 5, clear}, {10, 5, green}}},
		// A grid from the top left, 5 px in, 5 px apart: a mark every 15 px
		// from (5, 5) on, through the edges (the one at 95 is cut at 99).
		{"tiled", "mark=/m.png&mark-tile=grid&fm=png", base, []sample{{5, 5, red}, {14, 14, red}, {15, 5, white}, {20, 5, red}, {29, 20, red}, {35, 35, red},
			{2, 2, white}, {0, 5, white}, {95, 5, red}, {99, 44, red}, {95, 47, white}}},
		// Placed bottom right with no gap: a mark from (90, 40), so from (0, 0)
		// every 10 px on: the whole image red.
		{"tiled without a gap", "mark=/m.png&mark-tile=grid&mark-align=bottom,right&mark-pad=0&fm=png", base, []sample{{0, 0, red}, {55, 27, red}, {99, 49, red}}},
		// Centred at (45, 20), 20 px apart: columns -15..-6 (off), 15-24,
		// 45-54, 75-84; rows -10..-1 (off) and 20-29 only.
		{"tiled around a centred mark", "mark=/m.png&mark-tile=grid&mark-align=middle,center&mark-pad=20&fm=png", base, []sample{{45, 20, red}, {15, 20, red}, {84, 29, red},
			{14, 20, white}, {25, 20, white}, {0, 20, white}, {45, 0, white}, {45, 19, white}, {45, 30, white}}},
		// A 20x10 mark turned a quarter is 10x20 at the top left.
		{"turned", "mark=/w.png&mark-rot=90&mark-align=top,left&mark-pad=0&fm=png", base, []sample{{5, 15, red}, {9, 19, red}, {15, 5, white}, {5, 21, white}}},
		// mark-rot turns counter-clockwise, as imgix documents ("rotation
		// is counter-clockwise with 0 (the default) at the top of the
		// watermark image"): the mark's left half (red) goes to the
		// bottom, its right half (blue) to the top.
		{"turned counter-clockwise", "mark=/h.png&mark-rot=90&mark-align=top,left&mark-pad=0&fm=png", base, []sample{{5, 14, red}, {5, 18, red}, {5, 1, blue}, {5, 5, blue}, {5, 21, white}}},
		// Turned by 45: a diamond in a 21x21 box (corners transparent).
		{"turned by 45", "mark=/w.png&mark-rot=45&mark-align=top,left&mark-pad=0&fm=png", base, []sample{{10, 10, red}, {1, 1, white}, {19, 1, white}, {1, 19, white}}},
		{"drawn at the minimum width", "mark=/m.png&mark-if-min-width=100&fm=png", base, []sample{{90, 40, red}}},
		{"not drawn under the minimum width", "mark=/m.png&mark-if-min-width=101&fm=png", base, []sample{{90, 40, white}}},
		{"not drawn under the minimum height", "mark=/m.png&mark-if-min-height=60&fm=png", base, []sample{{90, 40, white}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mark
			if strings.Contains(tc.query, "mark=/w.png") {
				m = wide
			}
			if strings.Contains(tc.query, "mark=/h.png") {
				m = twoColours
			}
			checkSamples(t, runWithMark(t, pl, tc.src, m, tc.query), tc.samples, 2)
		})
	}
	// A 16-bit RGBA watermark half transparent, at half alpha: a quarter red.
	deep := image.NewNRGBA64(image.Rect(0, 0, 10, 10))
	for y := range 10 {
		for x := range 10 {
			deep.SetNRGBA64(x, y, color.NRGBA64{R: 0xffff, A: 0x8000})
		}
	}
	img := runWithMark(t, pl, base, encodePNG(t, deep), "mark=/m.png&mark-alpha=50&fm=png")
	checkSamples(t, img, []sample{{90, 40, color.NRGBA{255, 191, 191, 255}}}, 2)
}

// Thumbor's placements (params.Watermark's XFromEnd, XPercent and Spread)
// on exact pixels: red marks over a 100x50 white image (PNG out).
func TestWatermarkThumborPlacement(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	white := color.NRGBA{255, 255, 255, 255}
	base := encodePNG(t, filled(100, 50, white))
	mark := func(w, h int) []byte { return encodePNG(t, filled(w, h, red)) }
	cases := []struct {
		name    string
		mark    []byte
		m       params.Watermark
		samples []sample
	}{
		// watermark(m,-10,-5,0): the far edges 10 and 5 px in, so x 80-89, y 35-44.
		{"from the far edges", mark(10, 10), params.Watermark{X: 10, XSet: true, XFromEnd: true, Y: 5, YSet: true, YFromEnd: true},
			[]sample{{80, 35, red}, {89, 44, red}, {79, 40, white}, {90, 40, white}, {85, 34, white}, {85, 45, white}}},
		// watermark(m,20p,-10p,0): x 20% of 100 = 20; y 10% of 50 = 5 from the bottom: 35.
		{"percentages", mark(10, 10), params.Watermark{X: 20, XSet: true, XPercent: true, Y: 10, YSet: true, YPercent: true, YFromEnd: true},
			[]sample{{20, 35, red}, {29, 44, red}, {19, 40, white}, {30, 40, white}, {25, 34, white}, {25, 45, white}}},
		// watermark(m,repeat,0,0) of a 15x10 mark: 6 fit in 100 with 10 px
		// left, 2 per gap: x 0-14, 17-31, 34-48, 51-65, 68-82, 85-99.
		{"a spread row", mark(15, 10), params.Watermark{Spread: params.AxisX, YSet: true},
			[]sample{{0, 0, red}, {14, 9, red}, {15, 5, white}, {16, 5, white}, {17, 5, red}, {33, 5, white}, {85, 5, red}, {99, 9, red}, {50, 10, white}, {99, 10, white}}},
		// repeat,repeat: those columns down all 50 rows (5 marks, no gap).
		{"a spread grid", mark(15, 10), params.Watermark{Spread: params.AxisX | params.AxisY},
			[]sample{{0, 49, red}, {99, 49, red}, {15, 25, white}, {16, 49, white}, {40, 25, red}}},
		// A 60 px mark: fewer than two fit, so two 10 px apart, the second
		// cut at the edge; centred vertically (y 20-29).
		{"fewer than two fit", mark(60, 10), params.Watermark{Spread: params.AxisX, Align: params.CropLeft},
			[]sample{{0, 20, red}, {59, 29, red}, {60, 25, white}, {69, 25, white}, {70, 20, red}, {99, 29, red}, {5, 19, white}, {5, 30, white}}},
		// A 2x2 mark over both axes: 50 x 25 would fit, over 100, so 6 per
		// axis: every 19 px across (17 px gaps), every 9 px down (7 px gaps).
		{"capped at 6 per axis", mark(2, 2), params.Watermark{Spread: params.AxisX | params.AxisY},
			[]sample{{0, 0, red}, {19, 9, red}, {18, 9, white}, {21, 9, white}, {95, 45, red}, {96, 46, red}, {97, 45, white}, {95, 47, white}, {50, 25, white}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.m.Alpha = 100
			checkSamples(t, runMarkParams(t, pl, base, tc.mark, params.Params{Format: params.FormatPNG, Watermark: tc.m}), tc.samples, 2)
		})
	}
}
