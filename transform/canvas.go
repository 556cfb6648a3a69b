package transform

import (
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// canvas centres the image on the fit=fill box (or places it by
// Params.ExtendGravity, canvasOffset), filling the excess space
// with FillColor, or as padding is (fill), or with a blurred copy of the
// image (blurredCanvas); fit=clamp repeats the image's edge pixels.
func (j *job) canvas() error {
	cw, ch := j.geo.canvasW, j.geo.canvasH
	if cw == 0 || cw == j.img.Width() && ch == j.img.Height() {
		return nil
	}
	w, h := max(cw, j.img.Width()), max(ch, j.img.Height())
	if j.p.Fit == params.FitClamp {
		return j.img.EmbedEdges((w-j.img.Width())/2, (h-j.img.Height())/2, w, h)
	}
	if j.p.FillBlur {
		return j.blurredCanvas(w, h)
	}
	c := j.p.Background
	if j.p.FillColor.Set {
		c = j.p.FillColor
	}
	if j.p.FillMean {
		// Read once for the means, then again to be placed.
		if err := j.toMemory(j.img); err != nil {
			return err
		}
		m, err := j.img.ColourMeans()
		if err != nil {
			return err
		}
		c = params.Color{R: uint8(m[0]), G: uint8(m[1]), B: uint8(m[2]), A: 255, Set: true}
	}
	bg, err := j.fillWith(c)
	if err != nil {
		return err
	}
	if j.p.FillColor.Set && c.A < 255 && j.format.HasAlpha() {
		// A translucent fill colour is kept as it is (fillWith added the
		// alpha band), where a translucent bg is laid later, under the
		// whole image.
		bg = []float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A)}
	}
	x, y := canvasOffset(j.p.ExtendGravity, j.geo.dprFor(j.p), w, h, j.img.Width(), j.img.Height())
	return j.img.Embed(x, y, w, h, bg)
}

// blurredCanvas puts the image, centred, over a copy of itself that covers
// the w x h box, blurred at FillBlurStrength (or the automatic strength).
func (j *job) blurredCanvas(w, h int) error {
	// The image is read twice (the copy, and the image placed over it).
	if err := j.toMemory(j.img); err != nil {
		return err
	}
	iw, ih := j.img.Width(), j.img.Height()
	back := j.img.Clone()
	defer back.Close()
	bw, bh := coverSize(iw, ih, w, h)
	sigma := float64(j.p.FillBlurStrength) / 10
	if sigma == 0 {
		sigma = min(max(float64(min(w, h))/20, 4), 200)
	}
	opaque := !j.img.HasAlpha()
	for _, op := range []func() error{
		func() error { return back.ResizeKernel(bw, bh, "linear") },
		func() error { return back.Extract((bw-w)/2, (bh-h)/2, w, h) },
		func() error { return j.blur(back, sigma) },
		back.AddAlpha,
		j.img.AddAlpha,
		func() error { return j.img.Embed((w-iw)/2, (h-ih)/2, w, h, []float64{0, 0, 0, 0}) },
	} {
		if err := op(); err != nil {
			return err
		}
	}
	out, err := vips.Composite(back, j.img)
	if err != nil {
		return err
	}
	j.img.Replace(out)
	if opaque {
		rgb, err := j.img.ExtractBand(0, 3)
		if err != nil {
			return err
		}
		j.img.Replace(rgb)
	}
	return nil
}

// fill is the colour for new pixels (padding, rotation corners, margins):
// fillWith the background.
func (j *job) fill() ([]float64, error) { return j.fillWith(j.p.Background) }

// fillWith is the colour for new pixels of colour bg: bg when it is
// opaque, white (or bg's colour) when the output has no alpha, and
// transparent otherwise (adding an alpha band for it).
func (j *job) fillWith(bg params.Color) ([]float64, error) {
	if bg.Set && bg.A == 255 || !j.format.HasAlpha() {
		c := []float64{255, 255, 255}
		if bg.Set {
			c = []float64{float64(bg.R), float64(bg.G), float64(bg.B)}
		}
		if j.img.HasAlpha() {
			c = append(c, 255)
		}
		return c, nil
	}
	if err := j.img.AddAlpha(); err != nil {
		return nil, err
	}
	return []float64{0, 0, 0, 0}, nil
}
