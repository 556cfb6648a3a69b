package transform

import (
	"image/color"
	"math"
	"testing"
	"unicode/utf8"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// TestFitLine drives fitLine with a stand-in renderer whose line is
// size/3 pixels wide per character, rounded up, so every width is known:
// at size 30 a character is 10 px, and "abcdefghij" is 100 px.
func TestFitLine(t *testing.T) {
	cases := []struct {
		name     string
		t        params.Text
		size     float64
		region   int
		want     string  // the text of the mask returned ("": none)
		wantSize float64 // its size
	}{
		{"fits already", params.Text{Text: "abcdefghij", Clip: params.TextClipEnd}, 30, 100, "abcdefghij", 30},
		// 5 characters (4 and the ellipsis) are 50 px; 6 would be 60.
		{"end with an ellipsis", params.Text{Text: "abcdefghij", Clip: params.TextClipEnd, Ellipsis: true}, 30, 55, "abcd…", 30},
		{"end", params.Text{Text: "abcdefghij", Clip: params.TextClipEnd}, 30, 55, "abcde", 30},
		{"start with an ellipsis", params.Text{Text: "abcdefghij", Clip: params.TextClipStart, Ellipsis: true}, 30, 55, "…ghij", 30},
		{"middle with an ellipsis", params.Text{Text: "abcdefghij", Clip: params.TextClipMiddle, Ellipsis: true}, 30, 55, "ab…ij", 30},
		{"middle, odd", params.Text{Text: "abcdefghij", Clip: params.TextClipMiddle}, 30, 55, "abcij", 30},
		// Fit: 30 * 55/100 = 16.5, floored to 16: 10 characters of 16/3 px
		// are 53.3 px (54), within 55.
		{"fit", params.Text{Text: "abcdefghij", Fit: true}, 30, 55, "abcdefghij", 16},
		// Fit stops at 1 px a size (0.33 px a character: 3.3 px), then the
		// clip drops what still overflows 2 px: 6 characters are 2 px, 7
		// are 2.3 (3).
		{"fit, then clip", params.Text{Text: "abcdefghij", Fit: true, Clip: params.TextClipEnd}, 30, 2, "abcdef", 1},
		// Nothing but spaces left to keep: nothing to draw.
		{"nothing visible", params.Text{Text: "   abc", Clip: params.TextClipEnd}, 30, 25, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			texts := map[*vips.Image]string{}
			sizes := map[*vips.Image]float64{}
			render := func(s string, size float64) (*vips.Image, error) {
				w := int(math.Ceil(float64(utf8.RuneCountInString(s)) * size / 3))
				img, err := vips.Solid(max(1, w), 4, []float64{255}, nil)
				if err == nil {
					texts[img], sizes[img] = s, size
				}
				return img, err
			}
			first, err := render(c.t.Text, c.size)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fitLine(first, c.t, c.size, c.region, render)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				if c.want != "" {
					t.Fatalf("nothing to draw, want %q", c.want)
				}
				return
			}
			defer got.Close()
			if texts[got] != c.want || sizes[got] != c.wantSize {
				t.Errorf("drew %q at %v, want %q at %v", texts[got], sizes[got], c.want, c.wantSize)
			}
		})
	}
}

// TestTextFitAndClipPixels: on a 200x40 white image with txt-pad 10 the
// region is 180 px; a text far wider at 30 px keeps its ink inside it
// with txt-fit=max or txt-clip, where without either it runs off the
// image's left edge (placed bottom right, 10 px in).
func TestTextFitAndClipPixels(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, filled(200, 40, color.NRGBA{255, 255, 255, 255}))
	long := "Matte answers every URL people already write"
	inkColumns := func(q string) (first, last int) {
		_, img := run(t, pl, src, q, "")
		first, last = -1, -1
		for x := range 200 {
			for y := range 40 {
				if c := img.NRGBAAt(x, y); c.R < 128 {
					if first < 0 {
						first = x
					}
					last = x
					break
				}
			}
		}
		return first, last
	}
	base := "fm=png&txt-size=30&txt-pad=10&txt=" + long
	if first, _ := inkColumns(base); first != 0 {
		t.Errorf("no fit or clip: ink from column %d, want 0 (the text overflows)", first)
	}
	for _, q := range []string{base + "&txt-fit=max", base + "&txt-clip=end,ellipsis", base + "&txt-clip=middle", base + "&txt-width=120&txt-clip=start"} {
		first, last := inkColumns(q)
		lo := 10
		if q == base+"&txt-width=120&txt-clip=start" {
			lo = 190 - 120
		}
		if first < lo || last > 190 || first > last {
			t.Errorf("%s: ink in columns %d-%d, want within %d-190", q[len(base):], first, last, lo)
		}
	}
}
