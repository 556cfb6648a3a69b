package imgix

import (
	"net/http"
	"slices"
	"testing"

	"github.com/jebosio/matte/params"
)

func TestParseQueryClientHints(t *testing.T) {
	checkParses(t, []validCase{
		{"ch=Width,DPR&w=400", params.Params{Width: 400, ClientHints: params.HintWidth | params.HintDPR}},
		{"ch=save-data", params.Params{ClientHints: params.HintSaveData}},
		{"ch=dpr,%20width,dpr", params.Params{ClientHints: params.HintWidth | params.HintDPR}},
	})
	checkOneError(t, []errorCase{
		{"ch=viewport-width", "ch", `ch="viewport-width" is not valid; ch must be a comma-separated list of width, dpr and save-data (any case).`},
	})
	if IsParam("ch64") {
		t.Error("ch has a Base64 variant; imgix gives it none")
	}
}

func TestApplyClientHints(t *testing.T) {
	const wd = params.HintWidth | params.HintDPR
	tests := []struct {
		name    string
		p       params.Params
		headers map[string]string
		want    params.Params
		vary    []string
	}{
		{"both hints", params.Params{Width: 400, DPR: 2, ClientHints: wd}, map[string]string{"Sec-CH-DPR": "3", "Sec-CH-Width": "900"},
			params.Params{Width: 300, DPR: 3, ClientHints: wd}, []string{"Sec-CH-DPR", "DPR", "Sec-CH-Width", "Width"}},
		{"the older headers", params.Params{Width: 400, ClientHints: wd}, map[string]string{"DPR": "1.5", "Width": "600"},
			params.Params{Width: 400, DPR: 1.5, ClientHints: wd}, []string{"Sec-CH-DPR", "DPR", "Sec-CH-Width", "Width"}},
		{"no hint sent", params.Params{Width: 400, DPR: 2, ClientHints: wd}, nil,
			params.Params{Width: 400, DPR: 2, ClientHints: wd}, []string{"Sec-CH-DPR", "DPR", "Sec-CH-Width", "Width"}},
		{"DPR below 1 is 1", params.Params{DPR: 2, ClientHints: params.HintDPR}, map[string]string{"Sec-CH-DPR": "0.75"},
			params.Params{ClientHints: params.HintDPR}, []string{"Sec-CH-DPR", "DPR"}},
		{"DPR above 5 is 5", params.Params{ClientHints: params.HintDPR}, map[string]string{"DPR": "8"},
			params.Params{DPR: 5, ClientHints: params.HintDPR}, []string{"Sec-CH-DPR", "DPR"}},
		{"a width hint replaces a fraction", params.Params{WidthRatio: 0.5, ClientHints: params.HintWidth}, map[string]string{"Width": "320"},
			params.Params{Width: 320, ClientHints: params.HintWidth}, []string{"Sec-CH-Width", "Width"}},
		{"not a number", params.Params{Width: 400, ClientHints: params.HintWidth}, map[string]string{"Sec-CH-Width": "wide"},
			params.Params{Width: 400, ClientHints: params.HintWidth}, []string{"Sec-CH-Width", "Width"}},
		{"Save-Data on", params.Params{Quality: 80, ClientHints: params.HintSaveData}, map[string]string{"Save-Data": "on"},
			params.Params{Quality: 45, ClientHints: params.HintSaveData}, []string{"Save-Data"}},
		{"Save-Data off", params.Params{Quality: 80, ClientHints: params.HintSaveData}, map[string]string{"Save-Data": "off"},
			params.Params{Quality: 80, ClientHints: params.HintSaveData}, []string{"Save-Data"}},
		{"hints not opted into are ignored", params.Params{Width: 400}, map[string]string{"Sec-CH-Width": "900", "Save-Data": "on"},
			params.Params{Width: 400}, nil},
	}
	for _, tt := range tests {
		p := tt.p
		ApplyClientHints(&p, headerOf(tt.headers))
		vary := ClientHintHeaders(p.ClientHints)
		if p != tt.want || !slices.Equal(vary, tt.vary) {
			t.Errorf("%s: got %+v, Vary %q; want %+v, Vary %q", tt.name, p, vary, tt.want, tt.vary)
		}
	}
}

// imgix's client hints: "Width overrides the imgix w parameter"; its ar:
// "w=280&ar=2:1&fit=crop … 280×140. The height … is automatically
// calculated". A height that ar derived from w follows the hinted width;
// a height the URL gives does not.
func TestApplyClientHintsWidthKeepsAspectRatio(t *testing.T) {
	for _, tt := range []struct {
		query   string
		headers map[string]string
		want    params.Params
	}{
		{"w=400&ar=2:1&fit=crop&ch=Width", map[string]string{"Sec-CH-Width": "800"},
			params.Params{Width: 800, Height: 400, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		{"w=400&ar=2:1&fit=fill&ch=Width", map[string]string{"Width": "800"},
			params.Params{Width: 800, Height: 400, Fit: params.FitFill, ClientHints: params.HintWidth}},
		// No hint sent: the Params of w=400&h=200.
		{"w=400&ar=2:1&fit=crop&ch=Width", nil,
			params.Params{Width: 400, Height: 200, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		// The hint in device pixels: 800 at dpr 2 is 400 CSS px wide, 200 high.
		{"w=400&ar=2:1&fit=crop&ch=Width&dpr=2", map[string]string{"Sec-CH-Width": "800"},
			params.Params{Width: 400, Height: 200, DPR: 2, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		// ar alone, or with w a fraction: the hinted width gives the height.
		{"ar=16:9&fit=crop&ch=width", map[string]string{"Sec-CH-Width": "640"},
			params.Params{Width: 640, Height: 360, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		{"w=0.5&ar=1:1&fit=crop&ch=width", map[string]string{"Sec-CH-Width": "300"},
			params.Params{Width: 300, Height: 300, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		// The box 800x400 holds image and padding (see applyPadding).
		{"w=400&ar=2:1&fit=crop&pad=20&ch=width", map[string]string{"Sec-CH-Width": "800"},
			params.Params{Width: 760, Height: 360, Fit: params.FitCrop, Pad: 20, ClientHints: params.HintWidth}},
		// h given: the hint overrides w only (ar derived w, which it replaces).
		{"h=200&ar=2:1&fit=crop&ch=width", map[string]string{"Sec-CH-Width": "800"},
			params.Params{Width: 800, Height: 200, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		{"w=400&h=100&ar=2:1&fit=crop&ch=width", map[string]string{"Sec-CH-Width": "800"},
			params.Params{Width: 800, Height: 100, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		// A derived height over 100000 is held there.
		{"w=40&ar=1:2000&fit=crop&ch=width", map[string]string{"Sec-CH-Width": "800"},
			params.Params{Width: 800, Height: 100000, Fit: params.FitCrop, ClientHints: params.HintWidth}},
	} {
		p := hinted(t, tt.query, tt.headers)
		if p != tt.want {
			t.Errorf("%s with %v: got %dx%d (ar %g), want %dx%d; got %+v", tt.query, tt.headers, p.Width, p.Height, p.AspectRatio, tt.want.Width, tt.want.Height, p)
		}
	}
}

// headerOf is the request header holding hints, one value per name.
func headerOf(hints map[string]string) http.Header {
	h := http.Header{}
	for k, v := range hints {
		h.Set(k, v)
	}
	return h
}

// hinted is ParseQuery's Params for query after ApplyClientHints with the
// request header hints; a query ParseQuery refuses fails t.
func hinted(t *testing.T, query string, hints map[string]string) params.Params {
	t.Helper()
	p, err := mustParseQuery(t, query)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", query, err)
	}
	ApplyClientHints(&p, headerOf(hints))
	return p
}
