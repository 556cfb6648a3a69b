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
		h := http.Header{}
		for k, v := range tt.headers {
			h.Set(k, v)
		}
		p := tt.p
		ApplyClientHints(&p, h)
		vary := ClientHintHeaders(p.ClientHints)
		if p != tt.want || !slices.Equal(vary, tt.vary) {
			t.Errorf("%s: got %+v, Vary %q; want %+v, Vary %q", tt.name, p, vary, tt.want, tt.vary)
		}
	}
}
