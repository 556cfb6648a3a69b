package transform

import (
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// block draws Params.Block over the output: a rectangle of its colour,
// placed as params.Block says. A ZIP answer is left as it is.
func (j *job) block() error {
	b := j.p.Block
	if !b.Color.Set || b.Color.A == 0 || j.format == params.FormatZIP {
		return nil
	}
	W, H := j.img.Width(), j.img.Height()
	dpr := j.p.DevicePixelRatio()
	w, h := min(max(devicePx(b.Width, dpr), 1), W), min(max(devicePx(b.Height, dpr), 1), H)
	x, y := placeLayer(b.Align, 0, 0, false, 0, false, w, h, W, H, dpr)
	if b.XSet {
		x = markOffset(b.X, false, b.XFromEnd, w, W, dpr)
	}
	if b.YSet {
		y = markOffset(b.Y, false, b.YFromEnd, h, H, dpr)
	}
	x, y = min(max(x, 0), W-w), min(max(y, 0), H-h)
	c := b.Color
	layer, err := vips.Solid(w, h, []float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A)}, j.img.Canceller())
	if err != nil {
		return err
	}
	defer layer.Close()
	return j.overlay(layer, x, y)
}
