package transform

import (
	"fmt"
	"math"
	"net/http"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// limitToROI clears the matte (the last band of j.img, which is at load
// scale, unrotated) outside Extras.ROI. It runs before frameSubject.
func (j *job) limitToROI() error {
	roi, src := j.req.Extras.ROI, j.req.Info
	if roi.IsZero() || !j.p.Removal.Enabled {
		return nil
	}
	roi, err := clampRect(roi, src.Width, src.Height)
	if err != nil {
		return &params.Error{Status: http.StatusBadRequest, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "roi",
			Detail: fmt.Sprintf("The region of interest lies outside the %dx%d source.", src.Width, src.Height)}
	}
	img := j.img
	fx, fy := float64(img.Width())/float64(src.Width), float64(img.Height())/float64(src.Height)
	x0, y0 := int(math.Floor(float64(roi.X)*fx)), int(math.Floor(float64(roi.Y)*fy))
	x1 := min(img.Width(), int(math.Ceil(float64(roi.X+roi.W)*fx)))
	y1 := min(img.Height(), int(math.Ceil(float64(roi.Y+roi.H)*fy)))
	if x0 == 0 && y0 == 0 && x1 == img.Width() && y1 == img.Height() {
		return nil
	}
	alpha, err := img.ExtractBand(img.Bands()-1, 1)
	if err != nil {
		return err
	}
	defer alpha.Close()
	if x1 <= x0 || y1 <= y0 {
		if err := alpha.Linear(0, 0); err != nil {
			return err
		}
		if err := alpha.ClampUchar(); err != nil {
			return err
		}
	} else {
		if err := alpha.Extract(x0, y0, x1-x0, y1-y0); err != nil {
			return err
		}
		if err := alpha.Embed(x0, y0, img.Width(), img.Height(), []float64{0}); err != nil {
			return err
		}
	}
	colour, err := img.ExtractBand(0, img.Bands()-1)
	if err != nil {
		return err
	}
	defer colour.Close()
	joined, err := vips.BandJoin(colour, alpha)
	if err != nil {
		return err
	}
	img.Replace(joined)
	return j.toMemory(img)
}
