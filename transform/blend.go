package transform

import (
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// blendModes are libvips' composite modes for imgix's blend modes.
var blendModes = [...]vips.BlendMode{
	params.BlendNormal: vips.BlendOver, params.BlendMultiply: vips.BlendMultiply, params.BlendScreen: vips.BlendScreen,
	params.BlendOverlay: vips.BlendOverlay, params.BlendDarken: vips.BlendDarken, params.BlendLighten: vips.BlendLighten,
	params.BlendDodge: vips.BlendColorDodge, params.BlendBurn: vips.BlendColorBurn, params.BlendHardLight: vips.BlendHardLight,
	params.BlendSoftLight: vips.BlendSoftLight, params.BlendDifference: vips.BlendDifference, params.BlendExclusion: vips.BlendExclusion,
}

// blend lays Params.Blend's colour over the whole output with its blend
// mode, after the background and under the watermark (imgix draws mark
// over blend); the output keeps its own alpha. A ZIP answer is left as it
// is.
func (j *job) blend() error {
	b := j.p.Blend
	if !b.Color.Set || j.format == params.FormatZIP || int(b.Mode) >= len(blendModes) {
		return nil
	}
	c := b.Color
	layer, err := vips.Solid(j.img.Width(), j.img.Height(),
		[]float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A) * float64(b.Alpha) / 100}, j.img.Canceller())
	if err != nil {
		return err
	}
	defer layer.Close()
	return j.layOver(layer, blendModes[b.Mode])
}

// layOver composites layer (RGBA, the output's size) over the output with
// mode; the output keeps its own alpha, and its colour bands (at least 3).
func (j *job) layOver(layer *vips.Image, mode vips.BlendMode) error {
	n := j.img.Bands()
	var alpha *vips.Image
	var err error
	if j.img.HasAlpha() {
		if alpha, err = j.img.ExtractBand(n-1, 1); err != nil {
			return err
		}
		defer alpha.Close()
		n--
	}
	out, err := vips.CompositeAt(j.img, layer, 0, 0, mode)
	if err != nil {
		return err
	}
	j.img.Replace(out)
	colour, err := j.img.ExtractBand(0, max(n, 3))
	if err != nil {
		return err
	}
	if alpha == nil {
		j.img.Replace(colour)
		return nil
	}
	joined, err := vips.BandJoin(colour, alpha)
	colour.Close()
	if err != nil {
		return err
	}
	j.img.Replace(joined)
	return nil
}
