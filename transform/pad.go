package transform

import (
	"fmt"

	"github.com/jebosio/matte/params"
)

// pad adds the padding (times dpr, capped with Params.CapDPR) of each
// side, filled as padding is.
func (j *job) pad() error {
	s := j.p.PadSides()
	if s == (params.Sides{}) {
		return nil
	}
	dpr := j.geo.dprFor(j.p)
	top, right, bottom, left := devicePx(s.Top, dpr), devicePx(s.Right, dpr), devicePx(s.Bottom, dpr), devicePx(s.Left, dpr)
	w, h := j.img.Width()+left+right, j.img.Height()+top+bottom
	if max := j.pl.opts.Limits.MaxOutputDimension; max > 0 && (w > max || h > max) {
		return params.BadParam("pad", fmt.Sprintf("The padded output would be %dx%d; at most %d pixels a side are allowed.", w, h, max))
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	return j.img.Embed(left, top, w, h, bg)
}
