package imgix

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/jebosio/matte/params"
)

// SaveDataQuality is the quality a Save-Data request gets under
// ch=save-data, as imgix documents.
const SaveDataQuality = 45

// ApplyClientHints lets the request headers that p.ClientHints opts into
// override p, as imgix's ch does: Sec-CH-DPR (or the older DPR) sets DPR
// (clamped to 1..5); Sec-CH-Width (or Width), the image's width in device
// pixels, sets Width to it divided by the DPR in effect; Save-Data: on sets
// Quality to SaveDataQuality. A hint that is absent or not a number leaves
// the parameter as the URL gives it. It returns the header names the
// answer must Vary on: every hint opted into, present or not, so that a
// shared cache keys the answer by them.
func ApplyClientHints(p *params.Params, h http.Header) (vary []string) {
	hints := p.ClientHints
	if hints&params.HintDPR != 0 {
		vary = append(vary, "Sec-CH-DPR", "DPR")
		if v, ok := hintNumber(h, "Sec-CH-DPR", "DPR"); ok && v > 0 {
			p.DPR = math.Min(math.Max(v, 1), 5)
			if p.DPR == 1 {
				p.DPR = 0
			}
		}
	}
	if hints&params.HintWidth != 0 {
		vary = append(vary, "Sec-CH-Width", "Width")
		if v, ok := hintNumber(h, "Sec-CH-Width", "Width"); ok && v >= 1 {
			w := int(math.Round(v / p.DevicePixelRatio()))
			p.Width, p.WidthRatio = min(max(w, 1), maxDimension), 0
		}
	}
	if hints&params.HintSaveData != 0 {
		vary = append(vary, "Save-Data")
		if strings.EqualFold(strings.TrimSpace(h.Get("Save-Data")), "on") {
			p.Quality = SaveDataQuality
		}
	}
	return vary
}

// hintNumber is the first of the headers names that holds a number.
func hintNumber(h http.Header, names ...string) (float64, bool) {
	for _, name := range names {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
		}
	}
	return 0, false
}
