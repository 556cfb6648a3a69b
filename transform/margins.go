package transform

import (
	"math"
	"net/http"
	"strconv"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// cropMargins adds Extras.Margins around the foreground crop. It runs at
// output scale, after padding and before the background is laid, so the
// margins take the background (and the shadow may fall into them). When
// the image with its margins would pass Extras.MaxMegapixels, the image
// and the margins are scaled down by one factor first, so that the result
// is at most that many megapixels.
func (j *job) cropMargins() error {
	e := j.req.Extras
	if !e.MarginsSet || !j.p.Removal.Enabled || !j.p.Removal.CropToForeground {
		return nil
	}
	w, h := j.img.Width(), j.img.Height()
	var px [4]int // top, right, bottom, left
	for i, l := range e.Margins {
		v := l.Value
		if l.Percent {
			side := float64(w)
			if i%2 == 0 {
				side = float64(h)
			}
			v = side * math.Min(v, params.MaxMarginPercent) / 100
		}
		px[i] = int(math.Round(math.Max(0, math.Min(v, params.MaxMargin))))
	}
	if px == [4]int{} {
		return nil
	}
	nw, nh := w+px[1]+px[3], h+px[0]+px[2]
	if limit := e.MaxMegapixels * 1e6; limit > 0 && float64(nw)*float64(nh) > limit {
		// Rounding every part down keeps the sums under nw*f and nh*f, so
		// the area under limit (but for a subject under a pixel, kept at
		// one).
		f := math.Sqrt(limit / (float64(nw) * float64(nh)))
		sw, sh := max(1, int(float64(w)*f)), max(1, int(float64(h)*f))
		if err := j.img.Resize(sw, sh, vips.NoCrop); err != nil {
			return err
		}
		for i := range px {
			px[i] = int(float64(px[i]) * f)
		}
		w, h = sw, sh
		nw, nh = w+px[1]+px[3], h+px[0]+px[2]
	}
	if max := j.pl.opts.Limits.MaxOutputDimension; max > 0 && (nw > max || nh > max) {
		return &params.Error{Status: http.StatusBadRequest, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "crop_margin",
			Detail: "The output with its margins would be " + strconv.Itoa(nw) + "x" + strconv.Itoa(nh) + "; at most " + strconv.Itoa(max) + " pixels a side are allowed."}
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	return j.img.Embed(px[3], px[0], nw, nh, bg)
}
