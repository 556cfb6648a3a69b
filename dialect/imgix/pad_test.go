package imgix

import (
	"errors"
	"maps"
	"net/http"
	"testing"

	"github.com/jebosio/matte/params"
)

// imgix's pad (docs.imgix.com/apis/url/border-and-padding/pad): "If the
// image is requested without a specified width and height, padding will be
// added to the dimensions of the image. If the image is cropped or
// resized, the image (including the padding) will be sized to fit within
// the requested dimensions." The padding stays in Pad and Padding (the
// pipeline adds it); w and h become the box the image is fitted into, so
// that image and padding together are at most w x h.
func TestParseQueryPadWithinBox(t *testing.T) {
	checkParses(t, []validCase{
		// The reviewer's @imgix/js-core URLs: 400x300 and 400 wide in all.
		{"w=400&h=300&fit=crop&pad=20", params.Params{Width: 360, Height: 260, Fit: params.FitCrop, Pad: 20}},
		{"w=400&pad=20", params.Params{Width: 360, Pad: 20}},
		{"h=300&pad=20", params.Params{Height: 260, Pad: 20}},
		// Every fit sizes the image within the box less the padding.
		{"w=400&h=300&pad=20", params.Params{Width: 360, Height: 260, Pad: 20}},
		{"w=400&h=300&fit=fill&pad=20", params.Params{Width: 360, Height: 260, Fit: params.FitFill, Pad: 20}},
		{"w=400&h=300&fit=max&pad=20", params.Params{Width: 360, Height: 260, Fit: params.FitMax, Pad: 20}},
		{"w=400&h=300&fit=min&pad=20", params.Params{Width: 360, Height: 260, Fit: params.FitMin, Pad: 20}},
		{"w=400&h=300&fit=scale&pad=20", params.Params{Width: 360, Height: 260, Fit: params.FitScale, Pad: 20}},
		// ar sets the box (400x300), the padding comes off it after.
		{"w=400&ar=4:3&fit=crop&pad=20", params.Params{Width: 360, Height: 260, Fit: params.FitCrop, Pad: 20}},
		// Per side: each side's own padding comes off its axis.
		{"w=400&h=300&pad-left=50", params.Params{Width: 350, Height: 300, Padding: params.Sides{Left: 50}}},
		{"w=400&h=300&pad=10&pad-top=40", params.Params{Width: 380, Height: 250, Padding: params.Sides{Top: 40, Right: 10, Bottom: 10, Left: 10}}},
		{"h=300&pad-top=10&pad-bottom=30", params.Params{Height: 260, Padding: params.Sides{Top: 10, Bottom: 30}}},
		// One pixel of room is enough.
		{"w=41&pad=20", params.Params{Width: 1, Pad: 20}},
		// dpr scales box and padding alike: 720 + 2 x 40 = 800 device px.
		{"w=400&pad=20&dpr=2", params.Params{Width: 360, Pad: 20, DPR: 2}},
		// At dpr 1.5 the pipeline rounds each part to device pixels: 71 CSS
		// px would be 107 (106.5), and with 23 (22.5) each side 153, over
		// the box's 152 (151.5); 70 gives 105 + 46 = 151.
		{"w=101&pad=15&dpr=1.5", params.Params{Width: 70, Pad: 15, DPR: 1.5}},
		// Without w and h the padding adds to the image's size.
		{"pad=20", params.Params{Pad: 20}},
		{"ar=1:1&fit=crop&pad=20", params.Params{Fit: params.FitCrop, AspectRatio: 1, Pad: 20}},
		// A fraction of the image is a box only the pipeline knows: the
		// padding still adds to it there.
		{"w=0.5&pad=20", params.Params{WidthRatio: 0.5, Pad: 20}},
	})
	const room = "leaves no room for the image within w and h: imgix sizes the image with its padding to fit within them; give less padding or a larger size."
	for query, want := range map[string]map[string]string{
		"w=40&pad=20":                     {"pad": "The padding, 20 on the left and 20 on the right, " + room},
		"w=400&h=30&pad=15":               {"pad": "The padding, 15 on the top and 15 on the bottom, " + room},
		"w=100&pad-left=60&pad-right=40":  {"pad-left": "The padding, 60 on the left and 40 on the right, " + room, "pad-right": "The padding, 60 on the left and 40 on the right, " + room},
		"h=50&pad=10&pad-top=40":          {"pad": "The padding, 40 on the top and 10 on the bottom, " + room, "pad-top": "The padding, 40 on the top and 10 on the bottom, " + room},
		"w=100&h=100&pad=10&pad-right=90": {"pad": "The padding, 10 on the left and 90 on the right, " + room, "pad-right": "The padding, 10 on the left and 90 on the right, " + room},
		// A side without padding was set by no parameter: pad is not named.
		"h=50&pad-top=50": {"pad-top": "The padding, 50 on the top and 0 on the bottom, " + room},
	} {
		_, err := mustParseQuery(t, query)
		var list params.Errors
		got := map[string]string{}
		if errors.As(err, &list) {
			for _, e := range list {
				got[e.Field] = e.Detail
				if e.Status != http.StatusBadRequest {
					t.Errorf("ParseQuery(%q): %s: status %d", query, e.Field, e.Status)
				}
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("ParseQuery(%q) errors %q (%v), want %q", query, got, err, want)
		}
	}
}

// The Width hint is the width of the whole image, its padding included:
// the box it sets loses the padding as w's does. A DPR hint re-rounds the
// box for the DPR it sets.
func TestApplyClientHintsPadWithinBox(t *testing.T) {
	for _, tt := range []struct {
		query   string
		headers map[string]string
		want    params.Params
	}{
		// 800 device px at dpr 2: a 400 CSS px box, 360 of it the image's.
		{"ch=width,dpr&pad=20", map[string]string{"Sec-CH-DPR": "2", "Sec-CH-Width": "800"},
			params.Params{Width: 360, DPR: 2, Pad: 20, ClientHints: params.HintWidth | params.HintDPR}},
		{"ch=width&w=0.5&pad=20", map[string]string{"Width": "400"},
			params.Params{Width: 360, Pad: 20, ClientHints: params.HintWidth}},
		// w=101 at dpr 1 keeps 71 of the box; under a DPR hint of 1.5 that
		// would come out 153 device px of the box's 152 (see
		// TestParseQueryPadWithinBox): 70.
		{"ch=dpr&w=101&pad=15", map[string]string{"Sec-CH-DPR": "1.5"},
			params.Params{Width: 70, DPR: 1.5, Pad: 15, ClientHints: params.HintDPR}},
		// The URL's own dpr hinted again changes nothing.
		{"ch=dpr&w=101&pad=15&dpr=1.5", map[string]string{"Sec-CH-DPR": "1.5"},
			params.Params{Width: 70, DPR: 1.5, Pad: 15, ClientHints: params.HintDPR}},
		// At the URL's dpr below 1 the image keeps a device pixel: 1 CSS px
		// at dpr 0.25 would round to 0 device px (no width at all); 2 is
		// the least that rounds to 1.
		{"ch=width&pad=20&dpr=0.25", map[string]string{"Width": "8"},
			params.Params{Width: 2, DPR: 0.25, Pad: 20, ClientHints: params.HintWidth}},
		{"ch=width&w=100&dpr=0.25", map[string]string{"Width": "0.2"},
			params.Params{Width: 100, DPR: 0.25, ClientHints: params.HintWidth}},
		// A width hint narrower than the padding leaves the image a pixel.
		{"ch=width&pad=20", map[string]string{"Width": "30"},
			params.Params{Width: 1, Pad: 20, ClientHints: params.HintWidth}},
		// max-w and min-w are rounded again as w is: 71 of max-w=101 at
		// dpr 1 is 70 at 1.5; min-w=103's 101 at dpr 1 is 102 at 1.3 (see
		// TestParseQueryPadWithinCropLimits).
		{"ch=dpr&fit=crop&max-w=101&pad=15", map[string]string{"Sec-CH-DPR": "1.5"},
			params.Params{DPR: 1.5, Fit: params.FitCrop, CropLimits: params.CropLimits{MaxW: 70}, Pad: 15, ClientHints: params.HintDPR}},
		{"ch=dpr&fit=crop&min-w=103&pad=1", map[string]string{"Sec-CH-DPR": "1.3"},
			params.Params{DPR: 1.3, Fit: params.FitCrop, CropLimits: params.CropLimits{MinW: 102}, Pad: 1, ClientHints: params.HintDPR}},
		// No padding: the hint is the box, as before.
		{"ch=width&w=100", map[string]string{"Width": "320"},
			params.Params{Width: 320, ClientHints: params.HintWidth}},
	} {
		p := hinted(t, tt.query, tt.headers)
		if p != tt.want {
			t.Errorf("%s with %v: got %+v, want %+v", tt.query, tt.headers, p, tt.want)
		}
	}
}

// imgix's max-w: "The maximum allowed width of the output image"; its pad:
// "the image (including the padding) will be sized to fit within the
// requested dimensions". The bounds on fit=crop's box lose the padding
// across them as w and h do, so the padded output keeps within them.
func TestParseQueryPadWithinCropLimits(t *testing.T) {
	checkParses(t, []validCase{
		// The reviewer's URL: 300 wide in all, not 320.
		{"fit=crop&h=200&max-w=300&pad=10", params.Params{Height: 180, Fit: params.FitCrop, CropLimits: params.CropLimits{MaxW: 280}, Pad: 10}},
		// dpr=2: 560 + 2 x 20 = 600 device px, not 640.
		{"fit=crop&h=200&max-w=300&pad=10&dpr=2", params.Params{Height: 180, DPR: 2, Fit: params.FitCrop, CropLimits: params.CropLimits{MaxW: 280}, Pad: 10}},
		{"fit=crop&w=100&min-h=300&max-h=400&pad=10", params.Params{Width: 80, Fit: params.FitCrop, CropLimits: params.CropLimits{MinH: 280, MaxH: 380}, Pad: 10}},
		// Each axis loses its own sides' padding.
		{"fit=crop&max-w=300&max-h=200&pad-left=50", params.Params{Fit: params.FitCrop, CropLimits: params.CropLimits{MaxW: 250, MaxH: 200}, Padding: params.Sides{Left: 50}}},
		{"fit=crop&min-w=300&min-h=200&pad-top=5&pad-bottom=15", params.Params{Fit: params.FitCrop, CropLimits: params.CropLimits{MinW: 300, MinH: 180}, Padding: params.Sides{Top: 5, Bottom: 15}}},
		// A least width the padding alone reaches bounds nothing.
		{"fit=crop&min-w=20&pad=10", params.Params{Fit: params.FitCrop, Pad: 10}},
		// At dpr 1.3 the parts round on their own: 101 + 2 x 1 CSS px would
		// be 131 + 1 + 1 = 133 device px, under min-w's 134 (133.9); 102
		// gives 133 + 2 = 135. A max rounds the other way (see
		// TestParseQueryPadWithinBox).
		{"fit=crop&min-w=103&pad=1&dpr=1.3", params.Params{DPR: 1.3, Fit: params.FitCrop, CropLimits: params.CropLimits{MinW: 102}, Pad: 1}},
		{"fit=crop&max-w=101&pad=15&dpr=1.5", params.Params{DPR: 1.5, Fit: params.FitCrop, CropLimits: params.CropLimits{MaxW: 70}, Pad: 15}},
		// min-w equal to max-w stays within it.
		{"fit=crop&min-w=101&max-w=101&pad=15&dpr=1.5", params.Params{DPR: 1.5, Fit: params.FitCrop, CropLimits: params.CropLimits{MinW: 70, MaxW: 70}, Pad: 15}},
		// Another fit drops the bounds, as before.
		{"fit=max&w=300&max-w=300&pad=10", params.Params{Width: 280, Fit: params.FitMax, Pad: 10}},
	})
	checkOneError(t, []errorCase{
		{"fit=crop&max-w=20&pad=10", "pad", "The padding, 10 on the left and 10 on the right, leaves no room for the image within max-w: imgix sizes the image with its padding to fit within it; give less padding or a larger max-w."},
		{"fit=crop&max-h=50&pad-top=50", "pad-top", "The padding, 50 on the top and 0 on the bottom, leaves no room for the image within max-h: imgix sizes the image with its padding to fit within it; give less padding or a larger max-h."},
	})
}
