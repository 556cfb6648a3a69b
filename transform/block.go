package transform

import (
	"bytes"

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
	alpha, err := vips.FromPixels(bytes.Repeat([]byte{b.Color.A}, w*h), w, h, 1, j.img.Canceller())
	if err != nil {
		return err
	}
	defer alpha.Close()
	layer, err := alpha.ColourLayer([3]float64{float64(b.Color.R), float64(b.Color.G), float64(b.Color.B)})
	if err != nil {
		return err
	}
	defer layer.Close()
	return j.overlay(layer, x, y)
}
