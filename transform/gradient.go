package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// gradient lays Params.Gradient over the output, after blend and under the
// watermark; the output keeps its own alpha. A ZIP answer is left as it
// is.
func (j *job) gradient() error {
	g := j.p.Gradient
	if g == (params.Gradient{}) || j.format == params.FormatZIP {
		return nil
	}
	w, h := j.img.Width(), j.img.Height()
	kx, ky, k0 := gradientPlane(g, w, h)
	rgba := func(c params.Color) [4]float64 {
		return [4]float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A)}
	}
	layer, err := vips.LinearGradient(w, h, kx, ky, k0, rgba(g.From), rgba(g.To), j.img.Canceller())
	if err != nil {
		return err
	}
	defer layer.Close()
	return j.layOver(layer, vips.BlendOver)
}

// gradientPlane is g's mix u = kx·x + ky·y + k0 at pixel (x, y) of a w x h
// output (before clamping to [0, 1]): the pixel's centre projected on the
// gradient line (see params.Gradient) as the fraction t of it, then
// (t - Start) / (Stop - Start), Stop being StopPixels / the line's length
// when StopPixels is set. A hard edge (Start == Stop) is a slope of
// 10⁹ per unit of t through 1 at Start: pixel centres, at least 1/(w+h)
// apart in t, land on 0 before it and 1 from it on.
func gradientPlane(g params.Gradient, w, h int) (kx, ky, k0 float64) {
	sin, cos := math.Sincos(g.Angle * math.Pi / 180)
	length := math.Abs(float64(w)*sin) + math.Abs(float64(h)*cos)
	// t = ((x + 0.5 - w/2)·sin + (y + 0.5 - h/2)·(-cos)) / length + 0.5
	tx, ty := sin/length, -cos/length
	t0 := ((0.5-float64(w)/2)*sin-(0.5-float64(h)/2)*cos)/length + 0.5
	if g.StopPixels > 0 {
		g.Stop = math.Min(1, float64(g.StopPixels)/length)
	}
	scale, shift := 1e9, 1.0
	if g.Stop > g.Start {
		scale, shift = 1/(g.Stop-g.Start), 0
	}
	return tx * scale, ty * scale, (t0-g.Start)*scale + shift
}
