package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// dropShadow lays Params.DropShadow under an output with alpha: its alpha,
// moved by the offsets (percent of the output's sides, rounded to a
// pixel) on a transparent canvas of the output's size, blurred, in black
// at the shadow's opacity, under the image. A ZIP answer (colour and alpha
// apart) is left as it is.
func (j *job) dropShadow() error {
	d := j.p.DropShadow
	if d.Opacity == 0 || j.format == params.FormatZIP || !j.img.HasAlpha() {
		return nil
	}
	w, h := j.img.Width(), j.img.Height()
	a, err := j.img.ExtractBand(j.img.Bands()-1, 1)
	if err != nil {
		return err
	}
	defer a.Close()
	dx, dy := int(math.Round(float64(d.X*w)/100)), int(math.Round(float64(d.Y*h)/100))
	if err := a.Embed(dx, dy, w, h, []float64{0}); err != nil {
		return err
	}
	if d.Blur > 0 {
		if err := j.blur(a, d.Blur); err != nil {
			return err
		}
	}
	shadow, err := tinted(a, params.Color{A: 255, Set: true}, d.Opacity)
	if err != nil {
		return err
	}
	out, err := vips.Composite(shadow, j.img)
	shadow.Close()
	if err != nil {
		return err
	}
	j.img.Replace(out)
	return nil
}
