package transform

import (
	"fmt"
	"math"

	"github.com/jebosio/matte/params"
)

// pad adds pad (times dpr) pixels of fill on every side.
func (j *job) pad() error {
	if j.p.Pad == 0 {
		return nil
	}
	dpr := j.p.DPR
	if dpr == 0 {
		dpr = 1
	}
	n := int(math.Round(float64(j.p.Pad) * dpr))
	w, h := j.img.Width()+2*n, j.img.Height()+2*n
	if max := j.pl.opts.Limits.MaxOutputDimension; max > 0 && (w > max || h > max) {
		return params.BadParam("pad", fmt.Sprintf("The padded output would be %dx%d; at most %d pixels a side are allowed.", w, h, max))
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	return j.img.Embed(n, n, w, h, bg)
}
