package transform

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// filled is a w x h image of one colour.
func filled(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// The colour effects on exact pixels (PNG out, so no codec error): expected
// values are worked out by hand from the documented formulas (params.Params).
func TestStylizePixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	orange := encodePNG(t, filled(16, 16, color.NRGBA{200, 100, 50, 255}))
	grey := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	// Columns of grey 0, 10, ..., 70 (8x8): px=4 averages 0-30 and 40-70.
	ramp := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			v := uint8(10 * x)
			ramp.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	// Opaque red on the left half, transparent blue on the right.
	halfClear := halves(4, 4, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 0})

	cases := []struct {
		name, query string
		src         []byte
		samples     []sample
	}{
		// Filter Effects sepia(1): R = .393·200 + .769·100 + .189·50 = 164.95, G = 146.8, B = 114.35.
		{"sepia=100 is the CSS sepia matrix", "sepia=100&fm=png", orange, []sample{{8, 8, color.NRGBA{165, 147, 114, 255}}}},
		// Half way between the pixel and its sepia tone.
		{"sepia=50 mixes half", "sepia=50&fm=png", orange, []sample{{8, 8, color.NRGBA{182, 123, 82, 255}}}},
		// A grey image turns sepia-coloured: 128·(1.351, 1.203, 0.937).
		{"sepia colours a grey image", "sepia=100&fm=png", encodePNG(t, grey), []sample{{8, 8, color.NRGBA{173, 154, 120, 255}}}},
		// Luma .2126·200 + .7152·100 + .0722·50 = 117.65, times ff8000.
		{"monochrome tints the luma", "monochrome=ff8000&fm=png", orange, []sample{{8, 8, color.NRGBA{118, 59, 0, 255}}}},
		{"mono is monochrome", "mono=ff8000&fm=png", orange, []sample{{8, 8, color.NRGBA{118, 59, 0, 255}}}},
		// Alpha 0x80 = 0.502 of the tint over 0.498 of the pixel.
		{"monochrome's alpha mixes", "mono=80ff8000&fm=png", orange, []sample{{8, 8, color.NRGBA{159, 79, 25, 255}}}},
		// sepia first, then the contrast: (164.95 - 128)·1.5 + 128 = 183.4, G 156.7, B 107.5.
		{"sepia then contrast", "sepia=100&con=50&fm=png", orange, []sample{{8, 8, color.NRGBA{183, 156, 108, 255}}}},
		{"px=4 averages 4x4 blocks", "px=4&fm=png", encodePNG(t, ramp), []sample{
			{0, 0, color.NRGBA{15, 15, 15, 255}}, {3, 7, color.NRGBA{15, 15, 15, 255}},
			{4, 0, color.NRGBA{55, 55, 55, 255}}, {7, 7, color.NRGBA{55, 55, 55, 255}},
		}},
		// Weighted by alpha: red at half opacity, not a purple.
		{"px weighs colour by alpha", "px=4&fm=png", encodePNG(t, halfClear), []sample{{1, 1, color.NRGBA{255, 0, 0, 128}}, {3, 3, color.NRGBA{255, 0, 0, 128}}}},
		// A block cut by the edge (8 = 3 + 3 + 2 columns) averages what it covers.
		{"px at the edge", "px=3&fm=png", encodePNG(t, ramp), []sample{{0, 0, color.NRGBA{10, 10, 10, 255}}, {7, 0, color.NRGBA{65, 65, 65, 255}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, img := run(t, pl, tc.src, tc.query, "")
			checkSamples(t, img, tc.samples, 2)
		})
	}
}

// hue turns the hue in LCh: pure red turned half way round comes out a
// cyan-blue, a third of the way green; a whole turn is no turn (the parser
// keeps 0..359).
func TestHuePixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	red := encodePNG(t, filled(8, 8, color.NRGBA{255, 0, 0, 255}))
	_, img := run(t, pl, red, "hue=180&fm=png", "")
	got := img.NRGBAAt(4, 4)
	if !(got.G > got.R+60 && got.B > got.R+60) {
		t.Errorf("hue=180 of red = %v, want G and B well above R", got)
	}
	// A third of a turn from red (LCh hue 40°) is green.
	_, img = run(t, pl, red, "hue=120&fm=png", "")
	if got := img.NRGBAAt(4, 4); !(got.G > got.R+60 && got.G > got.B+60) {
		t.Errorf("hue=120 of red = %v, want G well above R and B", got)
	}
	if p := mustParse(t, "hue=360"); p.Hue != 0 || !p.IsZero() {
		t.Errorf("hue=360 parses to %+v, want the zero Params", p)
	}
	if p := mustParse(t, "hue=-90"); p.Hue != 270 {
		t.Errorf("hue=-90 parses to Hue %d, want 270", p.Hue)
	}
}

// usm steepens an edge (overshoot on both sides) and leaves flat areas;
// usm=-100 gives the blur (the edge softened, no overshoot).
func TestUnsharpMaskPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	step := encodePNG(t, halves(40, 10, color.NRGBA{100, 100, 100, 255}, color.NRGBA{150, 150, 150, 255}))
	_, sharp := run(t, pl, step, "usm=100&fm=png", "")
	if l, r := sharp.NRGBAAt(19, 5).R, sharp.NRGBAAt(20, 5).R; l > 95 || r < 155 {
		t.Errorf("usm=100: edge pixels %d | %d, want below 95 and above 155", l, r)
	}
	for _, x := range []int{2, 37} {
		want := uint8(100)
		if x > 20 {
			want = 150
		}
		if got := sharp.NRGBAAt(x, 5); !near(got, color.NRGBA{want, want, want, 255}, 1) {
			t.Errorf("usm=100: flat pixel %d = %v, want %d", x, got, want)
		}
	}
	_, soft := run(t, pl, step, "usm=-100&usmrad=3&fm=png", "")
	if l, r := soft.NRGBAAt(19, 5).R, soft.NRGBAAt(20, 5).R; l <= 105 || l >= 125 || r >= 145 || r <= 125 {
		t.Errorf("usm=-100: edge pixels %d | %d, want a blurred edge (105..125 | 125..145)", l, r)
	}
}

// The steps after the background: mask=ellipse and mask=corners cut the
// output (transparent outside where the format has alpha, white or
// mask-bg where it has not), and blend lays a colour over it.
func TestFinalLayersPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	wide := encodePNG(t, filled(40, 20, red))
	alpha := encodePNG(t, halves(40, 20, green, clear))
	white := color.NRGBA{255, 255, 255, 255}
	cases := []struct {
		name, query string
		src         []byte
		samples     []sample
	}{
		{"ellipse", "mask=ellipse&fm=png", wide, []sample{{0, 0, clear}, {39, 19, clear}, {20, 10, red}, {1, 10, red}, {20, 0, red}}},
		{"ellipse on jpeg is white outside", "mask=ellipse&fm=jpg&q=100", wide, []sample{{0, 0, white}, {20, 10, red}}},
		{"mask-bg colours what is cut", "mask=ellipse&mask-bg=00ff00&fm=png", wide, []sample{{0, 0, green}, {20, 10, red}}},
		{"ellipse keeps the image's own transparency", "mask=ellipse&fm=png", alpha, []sample{{0, 0, clear}, {10, 10, green}, {30, 10, clear}}},
		{"corners", "mask=corners&corner-radius=10&fm=png", wide, []sample{{0, 0, clear}, {39, 0, clear}, {39, 19, clear}, {0, 19, clear}, {10, 10, red}, {20, 0, red}, {0, 10, color.NRGBA{255, 0, 0, 252}}}},
		{"one corner", "mask=corners&corner-radius=10,0,0,0&fm=png", wide, []sample{{0, 0, clear}, {39, 0, red}, {39, 19, red}, {0, 19, red}}},
		// Default radius: 20% of the shorter side (20 px), 4 px: the pixel
		// centred at (0.5, 1.5) is 4.30 from the circle's centre (4, 4),
		// so 0.2 covered (5 px would leave it out).
		{"default radius", "mask=corners&fm=png", wide, []sample{{0, 0, clear}, {4, 4, red}, {0, 1, color.NRGBA{255, 0, 0, 51}}}},
		// 5 CSS px at dpr 2 is 10 px: (2.5, 2.5) is 10.6 from (10, 10).
		{"blend normal at half alpha", "blend=0000ff&blend-mode=normal&blend-alpha=50&fm=png", wide, []sample{{20, 10, color.NRGBA{127, 0, 128, 255}}}},
		{"blend multiply by white changes nothing", "blend=fff&blend-mode=multiply&fm=png", wide, []sample{{20, 10, red}}},
		{"blend screen with black changes nothing", "blend=000&blend-mode=screen&fm=png", wide, []sample{{20, 10, red}}},
		{"blend keeps the image's transparency", "blend=0000ff&blend-mode=normal&fm=png", alpha, []sample{{10, 10, blue}, {30, 10, clear}}},
		{"radius times dpr", "w=20&dpr=2&mask=corners&corner-radius=5&fm=png", wide, []sample{{2, 2, clear}, {10, 10, red}, {3, 3, red}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, img := run(t, pl, tc.src, tc.query, "")
			checkSamples(t, img, tc.samples, 2)
		})
	}
}

// The anti-aliased edge: pixels whose centre lies on the shape's edge are
// half covered, those a pixel inside fully, those a pixel outside not at all.
func TestShapeCoverage(t *testing.T) {
	c := cornersCover(20, 20, [4]float64{10, 0, 0, 0})
	// Circle centre (10,10), radius 10: the pixel centred at (2.5, 2.5) is
	// 10.6 from it (outside), (3.5, 3.5) 9.19 (inside), (0.5, 9.5) 9.51;
	// below the centre the left edge is straight.
	if got := c[2*20+2]; got != 0 {
		t.Errorf("(2,2) = %d, want 0", got)
	}
	if got := c[3*20+3]; got != 255 {
		t.Errorf("(3,3) = %d, want 255", got)
	}
	// Distance 9.513 → covered 0.5 + 0.487 = 0.987 → 252.
	if got := c[9*20+0]; got != 252 {
		t.Errorf("(0,9) = %d, want 252", got)
	}
	if got := c[10*20+0]; got != 255 {
		t.Errorf("(0,10) = %d, want 255", got)
	}
	e := ellipseCover(10, 10, 5, 5)
	if e[0] != 0 || e[5*10+5] != 255 {
		t.Errorf("ellipse corner %d, centre %d; want 0 and 255", e[0], e[55])
	}
}

// checkSamples fails t for each sample whose pixel in img is further than
// tol from its colour in some channel.
func checkSamples(t *testing.T, img *image.NRGBA, samples []sample, tol int) {
	t.Helper()
	for _, s := range samples {
		if got := img.NRGBAAt(s.x, s.y); !near(got, s.c, tol) {
			t.Errorf("pixel (%d,%d) = %v, want %v", s.x, s.y, got, s.c)
		}
	}
}

// wsrv's mask=circle (no imgix spelling): the largest circle centred in
// the output.
func TestCircleMaskPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodePNG(t, filled(40, 20, red))
	p := mustParse(t, "fm=png")
	p.Mask = params.ShapeCircle
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: params.FormatPNG})
	if err != nil {
		t.Fatal(err)
	}
	// Radius 10 around (20, 10): the pixel centred at (11.5, 10.5) is 8.5
	// from it, (5.5, 10.5) 14.5, (20.5, 0.5) 9.5.
	checkSamples(t, decodeNRGBA(t, res.Body), []sample{{20, 10, red}, {11, 10, red}, {5, 10, clear}, {34, 10, clear}, {20, 0, red}, {0, 0, clear}}, 2)
}

// Cloudflare's brightness (a factor) and gamma (a power), which imgix does
// not spell: (200, 100, 50) halved, and under gamma 2 255·(v/255)^0.5.
func TestBrightnessFactorAndGammaPixels(t *testing.T) {
	checkSolidPixels(t, color.NRGBA{200, 100, 50, 255}, []solidCase{
		{params.Params{BrightnessFactor: 0.5}, color.NRGBA{100, 50, 25, 255}},
		{params.Params{Gamma: 2}, color.NRGBA{226, 160, 113, 255}},
		// The factor first: (100, 50, 25), then the power.
		{params.Params{BrightnessFactor: 0.5, Gamma: 2}, color.NRGBA{160, 113, 80, 255}},
	})
}

// Thumbor's rgb(20,-20,40): 2.55 times each added to its channel, after
// contrast and brightness (Thumbor's contrast(50) is con=125: ×2.25 about
// 128) and before invert.
func TestChannelShiftPixels(t *testing.T) {
	checkSolidPixels(t, color.NRGBA{128, 128, 128, 255}, []solidCase{
		{params.Params{ChannelShift: [3]int{20, -20, 40}}, color.NRGBA{179, 77, 230, 255}},
		{params.Params{ChannelShift: [3]int{100, -100, 0}}, color.NRGBA{255, 0, 128, 255}},
		// 153.5 after the shift of 10 (25.5), then inverted: 101.5.
		{params.Params{ChannelShift: [3]int{10, 10, 10}, Invert: true}, color.NRGBA{102, 102, 102, 255}},
		// (128 - 128) × 2.25 + 128 = 128, then +51 red.
		{params.Params{Contrast: 125, ChannelShift: [3]int{20, 0, 0}}, color.NRGBA{179, 128, 128, 255}},
	})
}

// wsrv's filter=sepia: its matrix on (200, 100, 50): 0.3588·200 +
// 0.7044·100 + 0.1368·50 = 148.996, 0.2990·200 + 0.5870·100 + 0.1140·50 =
// 124.2, 0.2392·200 + 0.4696·100 + 0.0912·50 = 99.36; white clips to 255,
// 255, 204 (0.8·255).
func TestSepiaClassicPixels(t *testing.T) {
	checkSolidPixels(t, color.NRGBA{200, 100, 50, 255}, []solidCase{{params.Params{SepiaClassic: true}, color.NRGBA{149, 124, 99, 255}}})
	checkSolidPixels(t, color.NRGBA{255, 255, 255, 128}, []solidCase{{params.Params{SepiaClassic: true}, color.NRGBA{255, 255, 204, 128}}})
}

// solidCase is Params for an image of one colour and the colour expected.
type solidCase struct {
	p    params.Params
	want color.NRGBA
}

// checkSolidPixels processes an 8x8 image of colour c with each case's
// Params (PNG out) and checks its centre pixel, within 1.
func checkSolidPixels(t *testing.T, c color.NRGBA, cases []solidCase) {
	t.Helper()
	checkSolidPixelsWithin(t, c, cases, 1)
}

// checkSolidPixelsWithin is checkSolidPixels within tol.
func checkSolidPixelsWithin(t *testing.T, c color.NRGBA, cases []solidCase, tol int) {
	t.Helper()
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodePNG(t, filled(8, 8, c))
	for _, tc := range cases {
		tc.p.Format = params.FormatPNG
		_, img := runParams(t, pl, src, tc.p)
		checkSamples(t, img, []sample{{4, 4, tc.want}}, tol)
	}
}

// Thumbor's equalize, per band: the lowest level present goes to 0, the
// others to 255 × (cdf − cdf_min) ÷ (pixels − cdf_min). Of a quarter at
// 100, a quarter at 120 and a half at 150: 0, 85 (255 × 1/3) and 255.
// Red and blue halves keep their colours (each of R and B spans 0 and 255
// already; G has one level, kept); the alpha is kept.
func TestEqualizePixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	for _, tc := range []struct {
		src     []byte
		samples []sample
	}{
		{encodePNG(t, greyQuarters()),
			[]sample{{5, 5, color.NRGBA{0, 0, 0, 255}}, {5, 15, color.NRGBA{85, 85, 85, 255}}, {35, 10, color.NRGBA{255, 255, 255, 255}}}},
		{encodePNG(t, halves(40, 20, color.NRGBA{255, 0, 0, 128}, color.NRGBA{0, 0, 255, 128})),
			[]sample{{5, 10, color.NRGBA{255, 0, 0, 128}}, {35, 10, color.NRGBA{0, 0, 255, 128}}}},
	} {
		_, img := runParams(t, pl, tc.src, params.Params{Equalize: true, Format: params.FormatPNG})
		checkSamples(t, img, tc.samples, 2)
	}
}

// greyQuarters is 40x20 grey: the left top quarter 100, the left bottom
// 120, the right half 150.
func greyQuarters() *image.NRGBA {
	img := filled(40, 20, color.NRGBA{150, 150, 150, 255})
	for y := range 20 {
		for x := range 20 {
			v := uint8(100)
			if y >= 10 {
				v = 120
			}
			img.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return img
}

// blend multiply: (200, 100, 50) × 128/255.
func TestBlendMultiplyPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodePNG(t, filled(8, 8, color.NRGBA{200, 100, 50, 255}))
	_, img := run(t, pl, src, "blend=808080&blend-mode=multiply&fm=png", "")
	checkSamples(t, img, []sample{{4, 4, color.NRGBA{100, 50, 25, 255}}}, 1)
}

// chromasub: the JPEG's luma sampling factors (2x2 for 4:2:0, 1x1 for
// 4:4:4) and the AVIF's av1C chroma_subsampling_x and _y bits.
func TestChromaSubsampling(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Encoding: &Encoding{AVIFEffort: 0}})
	src := encodePNG(t, halves(64, 32, red, blue))
	jpegLuma := func(b []byte) int { // H<<4|V of the first component in SOF0/SOF2
		for i := 2; i+9 < len(b) && b[i] == 0xFF; i += 2 + int(b[i+2])<<8 + int(b[i+3]) {
			if m := b[i+1]; m == 0xC0 || m == 0xC2 {
				return int(b[i+11])
			}
		}
		return -1
	}
	avifSub := func(b []byte) int { // x<<1|y
		i := bytes.Index(b, []byte("av1C"))
		if i < 0 || i+6 >= len(b) {
			return -1
		}
		f := b[i+6]
		return int(f>>3&1)<<1 | int(f>>2&1)
	}
	for _, tc := range []struct {
		query string
		want  int
		of    func([]byte) int
	}{
		{"fm=jpg&q=80", 0x22, jpegLuma},
		{"fm=jpg&q=80&chromasub=444", 0x11, jpegLuma},
		{"fm=jpg&q=95", 0x11, jpegLuma},
		{"fm=jpg&q=95&chromasub=420", 0x22, jpegLuma},
		{"fm=avif&q=60", 0b11, avifSub},
		{"fm=avif&q=60&chromasub=444", 0b00, avifSub},
	} {
		res, _ := run(t, pl, src, tc.query, "")
		if got := tc.of(res.Body); got != tc.want {
			t.Errorf("%s: sampling %#x, want %#x", tc.query, got, tc.want)
		}
	}
	// A per-format quality (imgproxy fq) reaches the encoder of its format
	// only, and q wins over it: JPEG at 95 samples 4:4:4 (the rule above).
	for _, tc := range []struct {
		fq      params.FormatQualities
		quality int
		want    int
	}{
		{params.FormatQualities{JPEG: 95}, 0, 0x11},
		{params.FormatQualities{WebP: 95, AVIF: 95}, 0, 0x22},
		{params.FormatQualities{JPEG: 95}, 80, 0x22},
	} {
		res, err := process(t, pl, src, params.Params{Format: params.FormatJPEG, FormatQuality: tc.fq, Quality: tc.quality}, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := jpegLuma(res.Body); got != tc.want {
			t.Errorf("fq %+v, q %d: sampling %#x, want %#x", tc.fq, tc.quality, got, tc.want)
		}
	}
}

// imgix's exp: each sample in linear light times 2^(exp/50). One stop up
// (exp=50) of (200, 100, 50): 200 clips, 100 → 138.18, 50 → 71.44; one
// stop down: 146.31, 71.40, 33.94 (the sRGB transfer function by hand).
func TestExposurePixels(t *testing.T) {
	checkSolidPixels(t, color.NRGBA{200, 100, 50, 255}, []solidCase{
		{params.Params{Exposure: 50}, color.NRGBA{255, 138, 71, 255}},
		{params.Params{Exposure: -50}, color.NRGBA{146, 71, 34, 255}},
	})
}

// shad and high: a gain by luma y, so a pixel's ratios of red, green and
// blue are kept. shad=100 on (60, 30, 20): luma 35.66 → 36, y = 36/255,
// y + 2.25·y·(1-2y)² = 0.30477, gain 2.1588: (129.5, 64.8, 43.2). On grey
// 40: y = 0.15686 → 0.32308, gain 2.0597 → 82.4. high=-100 on grey 230:
// u = 1 - y = 0.09804, y - 2.25·u·(1-2u)² = 0.75940 → 193.7. Mid-grey,
// black and white stay.
func TestShadowsHighlightsPixels(t *testing.T) {
	checkSolidPixels(t, color.NRGBA{60, 30, 20, 255}, []solidCase{
		{params.Params{Shadows: 100}, color.NRGBA{130, 65, 43, 255}},
		{params.Params{Highlights: -100}, color.NRGBA{60, 30, 20, 255}},
	})
	checkSolidPixels(t, color.NRGBA{40, 40, 40, 255}, []solidCase{
		{params.Params{Shadows: 100}, color.NRGBA{82, 82, 82, 255}},
		// Half the lift: 40 + (82.4 - 40)/2.
		{params.Params{Shadows: 50}, color.NRGBA{61, 61, 61, 255}},
	})
	checkSolidPixels(t, color.NRGBA{230, 230, 230, 255}, []solidCase{
		{params.Params{Highlights: -100}, color.NRGBA{194, 194, 194, 255}},
		{params.Params{Shadows: 100}, color.NRGBA{230, 230, 230, 255}},
	})
	for _, v := range []uint8{0, 128, 255} {
		checkSolidPixels(t, color.NRGBA{v, v, v, 255}, []solidCase{
			{params.Params{Shadows: 100, Highlights: -100}, color.NRGBA{v, v, v, 255}},
		})
	}
}

// vib scales the LCh chroma C by 1 + vib/100·(1 - C/80) below 80. Worked
// with the CIE formulas (D65): (150, 120, 100) has C 17.69; vib=100 makes
// it 31.46 → (164.9, 115.1, 79.5), vib=-100 3.91 → (131.9, 124.7, 120.2);
// (200, 100, 50) has C 58.12 → 74.01 (214.4, 89.4, 22.3); pure red (C
// 104.6) is left as it is.
func TestVibrancePixels(t *testing.T) {
	checkSolidPixelsWithin(t, color.NRGBA{150, 120, 100, 255}, []solidCase{
		{params.Params{Vibrance: 100}, color.NRGBA{165, 115, 80, 255}},
		{params.Params{Vibrance: -100}, color.NRGBA{132, 125, 120, 255}},
	}, 2)
	checkSolidPixelsWithin(t, color.NRGBA{200, 100, 50, 255}, []solidCase{
		{params.Params{Vibrance: 100}, color.NRGBA{214, 89, 22, 255}},
	}, 2)
	checkSolidPixels(t, color.NRGBA{255, 0, 0, 255}, []solidCase{
		{params.Params{Vibrance: 100}, color.NRGBA{255, 0, 0, 255}},
		{params.Params{Vibrance: -100}, color.NRGBA{255, 0, 0, 255}},
	})
	// Grey has no chroma to scale.
	checkSolidPixels(t, color.NRGBA{90, 90, 90, 255}, []solidCase{
		{params.Params{Vibrance: 100}, color.NRGBA{90, 90, 90, 255}},
	})
}

// wsrv's mod multiplies the LCh lightness (chroma and hue kept): (150, 120,
// 100) at 0.8 is (122.2, 93.9, 74.7) by the CIE formulas.
func TestLightnessPixels(t *testing.T) {
	checkSolidPixelsWithin(t, color.NRGBA{150, 120, 100, 255}, []solidCase{
		{params.Params{Lightness: 0.8}, color.NRGBA{122, 94, 75, 255}},
	}, 2)
}

// wsrv's con: its sigmoid, β = 0.3 × |con| around mid-grey, scaled so
// that black and white stay: at con=50, 200 → 251.6, 100 → 42.1, 128 →
// 129.4; at con=-50 (the inverse) 200 → 149.4, 100 → 120.1. Gamma comes
// after it: con=50 then Gamma 0.5 (v²) takes 200 to 248.3 and 100 to 7.0.
func TestSigmoidContrastPixels(t *testing.T) {
	checkSolidPixels(t, color.NRGBA{200, 100, 128, 255}, []solidCase{
		{params.Params{SigmoidContrast: 50}, color.NRGBA{252, 42, 129, 255}},
		{params.Params{SigmoidContrast: -50}, color.NRGBA{149, 120, 128, 255}},
		{params.Params{SigmoidContrast: 50, Gamma: 0.5}, color.NRGBA{248, 7, 66, 255}},
	})
}

// wsrv's tint keeps each level's CIELAB lightness and gives it the
// colour's a and b in full: grey 200 under c86432 is (255, 171.5, 116.9);
// sharp's weighted tint gives (255, 183.2, 148.3).
func TestTintEvenPixels(t *testing.T) {
	orange := params.Color{R: 200, G: 100, B: 50, A: 255, Set: true}
	checkSolidPixelsWithin(t, color.NRGBA{200, 200, 200, 255}, []solidCase{
		{params.Params{Tint: orange, TintEven: true}, color.NRGBA{255, 172, 117, 255}},
		{params.Params{Tint: orange}, color.NRGBA{255, 183, 148, 255}},
	}, 3)
}

// imgix's nr and nrs (Matte's filter, params.Denoise): a ±3 checker of
// grain on mid-grey is within nr=20's bound (5 levels) of its blur and is
// smoothed flat; a 100|150 edge is beyond it and, with nrs=20, steepened
// (overshoot on both sides); nr and nrs at or below 0 change nothing.
func TestDenoisePixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	grain := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			v := uint8(125)
			if (x+y)%2 == 0 {
				v = 131
			}
			grain.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	src := encodePNG(t, grain)
	spread := func(img *image.NRGBA) (lo, hi uint8) {
		lo, hi = 255, 0
		for y := 4; y < 28; y++ {
			for x := 4; x < 28; x++ {
				v := img.NRGBAAt(x, y).R
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		return lo, hi
	}
	_, plain := runParams(t, pl, src, params.Params{Format: params.FormatPNG})
	_, smooth := runParams(t, pl, src, params.Params{Format: params.FormatPNG, Denoise: params.Denoise{Bound: 20, Sharpen: 20, Set: true}})
	if lo, hi := spread(plain); hi-lo != 6 {
		t.Fatalf("source grain spans %d-%d, want 125-131", lo, hi)
	}
	if lo, hi := spread(smooth); hi-lo > 1 {
		t.Errorf("nr=20: grain spans %d-%d, want flat", lo, hi)
	}
	_, off := runParams(t, pl, src, params.Params{Format: params.FormatPNG, Denoise: params.Denoise{Bound: -1, Sharpen: -1, Set: true}})
	if lo, hi := spread(off); hi-lo != 6 {
		t.Errorf("nr=-1&nrs=-1: grain spans %d-%d, want it kept", lo, hi)
	}
	step := encodePNG(t, halves(40, 10, color.NRGBA{100, 100, 100, 255}, color.NRGBA{150, 150, 150, 255}))
	_, edge := runParams(t, pl, step, params.Params{Format: params.FormatPNG, Denoise: params.Denoise{Bound: 20, Sharpen: 20, Set: true}})
	if l, r := edge.NRGBAAt(19, 5).R, edge.NRGBAAt(20, 5).R; l >= 100 || r <= 150 {
		t.Errorf("nrs=20: edge pixels %d | %d, want below 100 and above 150", l, r)
	}
	if v := edge.NRGBAAt(5, 5).R; v != 100 {
		t.Errorf("nr=20: flat side %d, want 100", v)
	}
}

// A blur (small and wide: the wide one runs on a reduced copy) and a kernel
// resize of an image whose transparent half hides black keep the visible
// edge red: the hidden black weighs nothing (premultiplied mixing), where
// mixed as stored it would darken the fringe toward half its red.
func TestMixingIgnoresHiddenColours(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodePNG(t, halves(80, 40, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 0, 0}))
	for _, tc := range []struct {
		name string
		p    params.Params
	}{
		{"blur=40", mustParse(t, "blur=40&fm=png")},
		{"blur=2000", mustParse(t, "blur=2000&fm=png")},
		{"linear resize", params.Params{Width: 33, Kernel: params.KernelLinear, Format: params.FormatPNG}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out := runParams(t, pl, src, tc.p)
			fringe := 0
			b := out.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					c := out.NRGBAAt(x, y)
					if c.A == 0 {
						continue
					}
					if c.R < 250 || c.G > 5 || c.B > 5 {
						t.Fatalf("(%d,%d) = %v: a visible pixel mixed with the hidden black", x, y, c)
					}
					if c.A < 250 {
						fringe++
					}
				}
			}
			if fringe == 0 {
				t.Fatal("no partly transparent pixel: nothing was mixed")
			}
		})
	}
}
