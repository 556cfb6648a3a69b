package transform

import (
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// shadowLayer is the drop shadow of img's alpha: blurred, offset, coloured
// and faded, on a transparent canvas of img's size.
func (j *job) shadowLayer(img *vips.Image, s params.Shadow) (*vips.Image, error) {
	opacity, blur := s.Opacity, s.Blur
	if opacity == 0 {
		opacity = 0.5
	}
	if blur == 0 {
		blur = 10
	}
	dx, dy := s.OffsetX, s.OffsetY
	if !s.OffsetSet {
		dx, dy = 0, 10
	}
	a, err := img.ExtractBand(img.Bands()-1, 1)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if err := a.Embed(dx, dy, img.Width(), img.Height(), []float64{0}); err != nil {
		return nil, err
	}
	if err := j.blur(a, blur); err != nil {
		return nil, err
	}
	return tinted(a, s.Color, opacity)
}

// tinted is a layer of c's colour whose alpha is a (one 8-bit band, which
// it changes) times opacity, 0..1.
func tinted(a *vips.Image, c params.Color, opacity float64) (*vips.Image, error) {
	if opacity != 1 {
		if err := a.Linear(opacity, 0); err != nil {
			return nil, err
		}
		if err := a.ClampUchar(); err != nil {
			return nil, err
		}
	}
	return a.ColourLayer([3]float64{float64(c.R), float64(c.G), float64(c.B)})
}
