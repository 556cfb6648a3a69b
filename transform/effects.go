package transform

import (
	"math"

	"github.com/jebosio/matte/transform/vips"
)

// effects reduces noise (Params.Denoise), blurs (sigma = blur/10), applies the unsharp mask (usm, usmrad), sharpens (sigma = 0.5 + sharp/100,
// at most 1.5, so its cost per pixel is fixed), then pixelates (px), in
// output pixels.
func (j *job) effects() error {
	if d := j.p.Denoise; d.Set && (d.Bound > 0 || d.Sharpen > 0) {
		blurred := j.img.Clone()
		defer blurred.Close()
		if err := j.blurAt(blurred, 1, true); err != nil {
			return err
		}
		if err := j.img.Denoise(blurred, float64(max(d.Bound, 0))/4, float64(max(d.Sharpen, 0))/100); err != nil {
			return err
		}
	}
	if j.p.Blur > 0 {
		if err := j.blur(j.img, float64(j.p.Blur)/10); err != nil {
			return err
		}
	}
	if j.p.UnsharpMask != 0 {
		if err := j.unsharp(); err != nil {
			return err
		}
	}
	if j.p.Sharpen > 0 {
		if err := j.img.Sharpen(0.5 + float64(j.p.Sharpen)/100); err != nil {
			return err
		}
	}
	if j.p.Pixelate > 1 {
		return j.img.Pixelate(j.p.Pixelate)
	}
	return nil
}

// unsharp is the unsharp mask: the image plus k times its difference from
// a copy blurred with sigma usmrad (2.5 by default) as blur() does, so a
// wide usmrad costs no more than blur's limit. k is usm/50 when usm > 0
// (usm=100: twice the difference); a negative usm moves the image towards
// its blur, k = usm/100, reaching it at -100.
func (j *job) unsharp() error {
	sigma := j.p.UnsharpRadius
	if sigma == 0 {
		sigma = 2.5 // imgix's default usmrad
	}
	blurred := j.img.Clone()
	defer blurred.Close()
	if err := j.blurAt(blurred, sigma, true); err != nil {
		return err
	}
	k := float64(j.p.UnsharpMask) / 50
	if j.p.UnsharpMask < 0 {
		k = float64(j.p.UnsharpMask) / 100
	}
	return j.img.Unsharp(blurred, k)
}

// blur is a Gaussian blur of sigma (in img's pixels) whose cost per pixel
// is at most that of Limits.MaxBlurSigma: a wider blur runs on a copy
// reduced by k = sigma/MaxBlurSigma, at sigma/k, and is scaled back to
// img's size. A Gaussian that wide removes every detail the reduction
// would, so the result matches the full-size blur within a level or two
// (within about 13 of 255 at the image's edges, where the full-size blur
// repeats the edge row over 3 sigma), while a full-size blur's cost grows
// with sigma (a 2048² image at blur=2000 took 31 s).
func (j *job) blur(img *vips.Image, sigma float64) error { return j.blurAt(img, sigma, false) }

// blurAt is blur with a float mask when precise (vips.Image.GaussBlur).
func (j *job) blurAt(img *vips.Image, sigma float64, precise bool) error {
	limit := j.pl.opts.Limits.blurSigma()
	if sigma <= limit {
		return img.GaussBlur(sigma, precise)
	}
	w, h := img.Width(), img.Height()
	k := sigma / limit
	sw, sh := atLeast1(float64(w)/k), atLeast1(float64(h)/k)
	if err := img.ResizeKernel(sw, sh, "linear"); err != nil {
		return err
	}
	if err := img.GaussBlur(math.Max(0.3, sigma*float64(sw)/float64(w)), precise); err != nil {
		return err
	}
	return img.ResizeKernel(w, h, "linear")
}
