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

// The request headers each Client Hint reads, the standard name first.
var (
	dprHeaders      = []string{"Sec-CH-DPR", "DPR"}
	widthHeaders    = []string{"Sec-CH-Width", "Width"}
	saveDataHeaders = []string{"Save-Data"}
)

// ClientHintHeaders are the request headers an answer under hints (imgix
// ch) varies on: every hint opted into, present or not, so that a shared
// cache keys the answer by them.
func ClientHintHeaders(hints params.Hints) []string {
	var names []string
	for _, h := range []struct {
		hint    params.Hints
		headers []string
	}{{params.HintDPR, dprHeaders}, {params.HintWidth, widthHeaders}, {params.HintSaveData, saveDataHeaders}} {
		if hints&h.hint != 0 {
			names = append(names, h.headers...)
		}
	}
	return names
}

// ApplyClientHints lets the request headers that p.ClientHints opts into
// override p, as imgix's ch does: Sec-CH-DPR (or the older DPR) sets DPR
// (clamped to 1..5); Sec-CH-Width (or Width), the image's width in device
// pixels, sets Width to it divided by the DPR in effect; Save-Data: on sets
// Quality to SaveDataQuality. A hint that is absent or not a number leaves
// the parameter as the URL gives it. The answer varies on
// ClientHintHeaders(p.ClientHints).
//
// p is ParseQuery's: its Width and Height are the box less the padding
// (see applyPadding). The width hint is the whole image's, its padding
// included, and loses the padding as w does (at least a device pixel is left);
// a DPR hint other than the URL's dpr rounds the box (and max-w, max-h,
// min-w, min-h) again for itself, from Width plus the padding (which may be a pixel under the w asked
// for, where the URL's own dpr took one off).
//
// Under ch=width, ParseQuery keeps ar in AspectRatio where it derived h
// from w: a width hint then sets the height too (the hinted width ÷ ar,
// padding included, then less the padding as h loses it), as imgix
// derives h from w whatever sets w. A height the URL gives is kept. Once
// both sides are known AspectRatio is cleared, hint or not, so that
// w=400&ar=2:1 keys as w=400&h=200 does.
func ApplyClientHints(p *params.Params, h http.Header) {
	hints := p.ClientHints
	s := p.PadSides()
	// least is the smallest side in CSS pixels that is still a device
	// pixel at the DPR in effect (below 1, more than one CSS pixel): the
	// pipeline reads a side of 0 device pixels as no side at all, and a
	// header, unlike the URL's dpr (checkSubPixel), cannot be refused.
	least := func() int { return max(int(math.Ceil(0.5/p.DevicePixelRatio())), 1) }
	within := func(box *int, a, b int) {
		if *box > 0 && a+b > 0 {
			*box = max(innerSide(*box+a+b, a, b, p.DevicePixelRatio()), least())
		}
	}
	atLeast := func(bound *int, a, b int) { // a least size, as applyPadding's
		if *bound > 0 && a+b > 0 {
			*bound = innerMin(*bound+a+b, a, b, p.DevicePixelRatio())
		}
	}
	if hints&params.HintDPR != 0 {
		if v, ok := hintNumber(h, dprHeaders...); ok && v > 0 {
			was := p.DPR
			p.DPR = math.Min(math.Max(v, 1), 5)
			if p.DPR == 1 {
				p.DPR = 0
			}
			if p.DPR != was {
				l := &p.CropLimits
				within(&p.Width, s.Left, s.Right)
				within(&p.Height, s.Top, s.Bottom)
				within(&l.MaxW, s.Left, s.Right)
				within(&l.MaxH, s.Top, s.Bottom)
				atLeast(&l.MinW, s.Left, s.Right)
				atLeast(&l.MinH, s.Top, s.Bottom)
				l.MinW, l.MinH = minBelow(l.MinW, l.MaxW), minBelow(l.MinH, l.MaxH)
			}
		}
	}
	if hints&params.HintWidth != 0 {
		if v, ok := hintNumber(h, widthHeaders...); ok && v >= 1 {
			w := int(math.Round(v / p.DevicePixelRatio()))
			p.Width, p.WidthRatio = min(max(w, least()), maxDimension), 0
			if ar := p.AspectRatio; ar > 0 && p.HeightRatio == 0 && (p.Fit == params.FitCrop || p.Fit.Fills()) {
				// The height ar gives the whole box (padding included),
				// from the whole width, as applyAspectRatio does for w.
				outer := min(max(int(math.Round(float64(p.Width)/ar)), 1), maxDimension)
				p.Height = max(innerSide(outer, s.Top, s.Bottom, p.DevicePixelRatio()), least())
			}
			if a, b := s.Left, s.Right; a+b > 0 {
				p.Width = max(innerSide(p.Width, a, b, p.DevicePixelRatio()), least())
			}
		}
	}
	if (p.Width > 0 || p.WidthRatio > 0) && (p.Height > 0 || p.HeightRatio > 0) {
		p.AspectRatio = 0 // both sides known: the ratio has done its work
	}
	if hints&params.HintSaveData != 0 && strings.EqualFold(strings.TrimSpace(h.Get(saveDataHeaders[0])), "on") {
		p.Quality = SaveDataQuality
	}
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

// minBelow is a least size lo kept within the most hi (0: none).
func minBelow(lo, hi int) int {
	if hi > 0 {
		return min(lo, hi)
	}
	return lo
}
