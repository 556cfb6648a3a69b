package transform

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
)

// twoSubjects is 400x300 white with red boxes at (20,20)-(120,120) and
// (250,150)-(380,280).
func twoSubjects() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= 20 && x < 120 && y >= 20 && y < 120 || x >= 250 && x < 380 && y >= 150 && y < 280 {
				c = red
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestExtras(t *testing.T) {
	pl := NewPipeline(Options{Matter: &redMatter{}, Limits: Limits{MaxOutputDimension: 4000}})
	on := params.Params{Removal: params.Removal{Enabled: true}}
	src := encodeJPEG(t, twoSubjects())
	bgImg := image.NewNRGBA(image.Rect(0, 0, 80, 60)) // green, scaled to cover
	for i := range bgImg.Pix {
		if i%4 == 1 || i%4 == 3 {
			bgImg.Pix[i] = 255
		}
	}
	bg := encodePNG(t, bgImg)
	withBg := on
	withBg.Removal.BgImage = params.BgImageRef(bg)
	cropped := on
	cropped.Removal.CropToForeground = true
	rotated := on
	rotated.Rotate = 90

	cases := []struct {
		name    string
		p       params.Params
		e       params.Extras
		w, h    int
		fg      Box
		samples []sample
	}{
		{"roi keeps one subject", on, params.Extras{ROI: params.Rect{X: 200, Y: 100, W: 200, H: 200}}, 400, 300, Box{250, 150, 130, 130},
			[]sample{{70, 70, clear}, {300, 200, red}}},
		{"roi with crop", cropped, params.Extras{ROI: params.Rect{X: 0, Y: 0, W: 200, H: 200}}, 100, 100, Box{0, 0, 100, 100}, []sample{{50, 50, red}}},
		{"per-side margins", cropped, params.Extras{ROI: params.Rect{W: 200, H: 200}, MarginsSet: true, Margins: [4]params.Length{{Value: 10}, {Value: 20}, {Value: 30}, {Value: 40}}},
			160, 140, Box{40, 10, 100, 100}, []sample{{2, 2, clear}, {90, 60, red}}},
		{"percent margins are capped", cropped, params.Extras{ROI: params.Rect{W: 200, H: 200}, MarginsSet: true, Margins: [4]params.Length{{Value: 90, Percent: true}, {}, {}, {}}},
			100, 150, Box{0, 50, 100, 100}, []sample{{50, 20, clear}}},
		{"background image covers", withBg, params.Extras{BgImage: bg}, 400, 300, Box{18, 18, 364, 264}, []sample{{200, 50, green}, {300, 200, red}}},
		{"keep canvas after a quarter turn", rotated, params.Extras{KeepCanvas: true}, 400, 300, Box{0, 0, 400, 300}, []sample{{200, 1, clear}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pl.Probe(src)
			if err != nil {
				t.Fatal(err)
			}
			res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: tc.p, Extras: tc.e, Format: params.FormatPNG})
			if err != nil {
				t.Fatal(err)
			}
			if !within(res.Width, tc.w, 8) || !within(res.Height, tc.h, 8) {
				t.Errorf("got %dx%d, want %dx%d", res.Width, res.Height, tc.w, tc.h)
			}
			if tc.fg != (Box{}) && tc.name != "keep canvas after a quarter turn" && !boxNear(res.Foreground, tc.fg, 8) {
				t.Errorf("foreground %+v, want about %+v", res.Foreground, tc.fg)
			}
			img := decodeNRGBA(t, res.Body)
			for _, sm := range tc.samples {
				if got := img.NRGBAAt(sm.x, sm.y); !near(got, sm.c, 50) {
					t.Errorf("pixel (%d,%d) = %v, want %v", sm.x, sm.y, got, sm.c)
				}
			}
		})
	}

	// Margins under a megapixel cap: the 100x100 subject with 40 px a side
	// would be 180x180 (0.0324 MP); under 0.01 MP the subject and its
	// margins are scaled down together, the area kept within the cap.
	capped := params.Extras{ROI: params.Rect{W: 200, H: 200}, MarginsSet: true,
		Margins: [4]params.Length{{Value: 40}, {Value: 40}, {Value: 40}, {Value: 40}}, MaxMegapixels: 0.01}
	s, _ := pl.Probe(src)
	res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: cropped, Extras: capped, Format: params.FormatPNG})
	if err != nil {
		t.Fatal(err)
	}
	if res.Width*res.Height > 10_000 || !within(res.Width, 99, 2) || !within(res.Height, 99, 2) || !boxNear(res.Foreground, Box{22, 22, 55, 55}, 4) {
		t.Errorf("capped margins: %dx%d, foreground %+v; want about 99x99 (at most 10000 pixels), the subject about 55 px at 22", res.Width, res.Height, res.Foreground)
	}

	// A background image that is not the request's (another hash) is not used.
	other := on
	other.Removal.BgImage = params.BgImageRef([]byte("something else"))
	res, err = pl.Process(context.Background(), &Request{Source: src, Info: s, Params: other, Extras: params.Extras{BgImage: bg}, Format: params.FormatPNG})
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeNRGBA(t, res.Body).NRGBAAt(200, 50); got.A != 0 {
		t.Errorf("background image used under another name: %v", got)
	}
}
