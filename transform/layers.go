package transform

import (
	"fmt"
	"net/http"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// removalLayers composes the subject (RGBA, RGB = source colours) on its
// background: a drop shadow, then a background image, a blurred original,
// a gradient or nothing (the background step lays a colour); or reduces it
// to the matte for mask=1. It records the foreground box first.
func (j *job) removalLayers() error {
	r := j.p.Removal
	if !r.Enabled {
		return nil
	}
	img := j.img
	if box, ok, err := foregroundBox(img); err != nil {
		return err
	} else if ok {
		j.res.Foreground = box
	}
	if r.MaskOnly {
		a, err := img.ExtractBand(img.Bands()-1, 1)
		if err != nil {
			return err
		}
		img.Replace(a)
		return nil
	}
	if j.format == params.FormatZIP {
		return nil // zip splits colour and alpha
	}
	base, err := j.baseLayer(img.Width(), img.Height())
	if err != nil {
		return err
	}
	if r.Shadow.Enabled {
		layer, err := j.shadowLayer(img, r.Shadow)
		if err != nil {
			closeImage(base)
			return err
		}
		if base == nil {
			base = layer
		} else {
			withShadow, err := vips.Composite(base, layer)
			base.Close()
			layer.Close()
			if err != nil {
				return err
			}
			base = withShadow
		}
	}
	if base == nil {
		return nil
	}
	out, err := vips.Composite(base, img)
	base.Close()
	if err != nil {
		return err
	}
	img.Replace(out)
	return nil
}

func closeImage(img *vips.Image) {
	if img != nil {
		img.Close()
	}
}

// baseLayer is the RGBA layer under the subject (w x h): the background
// image, the blurred original or the gradient; nil for none of them.
func (j *job) baseLayer(w, h int) (*vips.Image, error) {
	r := j.p.Removal
	if base, err := j.backgroundImage(w, h); base != nil || err != nil {
		return base, err
	}
	switch {
	case r.BgBlur > 0:
		rgb, err := j.img.ExtractBand(0, 3)
		if err != nil {
			return nil, err
		}
		defer rgb.Close()
		if err := j.blur(rgb, float64(r.BgBlur)); err != nil {
			return nil, err
		}
		opaque, err := vips.Solid(w, h, []float64{255}, j.cancel)
		if err != nil {
			return nil, err
		}
		defer opaque.Close()
		return vips.BandJoin(rgb, opaque)
	case r.BgGradient[0].Set || r.BgGradient[1].Set:
		c := func(c params.Color) [4]float64 {
			return [4]float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A)}
		}
		return vips.Gradient(w, h, c(r.BgGradient[0]), c(r.BgGradient[1]), j.cancel)
	}
	return nil, nil
}

// backgroundImage is the layer Extras.BgImage makes for a w x h output
// (RGBA), or nil when the request carries no background image bytes for
// Params.Removal.BgImage.
func (j *job) backgroundImage(w, h int) (*vips.Image, error) {
	data, ref := j.req.Extras.BgImage, j.p.Removal.BgImage
	if len(data) == 0 || ref == "" || params.BgImageRef(data) != ref {
		return nil, nil
	}
	bad := func(cause error) error {
		return &params.Error{Status: http.StatusUnprocessableEntity, Code: params.CodeCorruptSource, Title: "Corrupt background image", Field: "bg_image",
			Detail: "The background image could not be decoded.", Cause: cause}
	}
	hd, err := vips.ReadHeader(data)
	if err != nil {
		return nil, bad(err)
	}
	if hd.Width <= 0 || hd.Height <= 0 {
		return nil, bad(fmt.Errorf("empty image"))
	}
	// Cover w x h keeping the aspect ratio, then cut the centre.
	cw, ch := coverSize(hd.Width, hd.Height, w, h)
	img, err := vips.Thumbnail(data, cw, ch, vips.NoCrop, 1, 0, j.cancel)
	if err != nil {
		return nil, bad(err)
	}
	for _, op := range []func() error{
		func() error { return img.Extract((img.Width()-w)/2, (img.Height()-h)/2, w, h) },
		img.ToSRGB,
		img.AddAlpha,
	} {
		if err := op(); err != nil {
			img.Close()
			return nil, err
		}
	}
	return img, nil
}
