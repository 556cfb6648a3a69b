package transform

import (
	"math"

	"github.com/jebosio/matte/transform/vips"
)

// effects blurs (sigma = blur/10) and sharpens (sigma = 0.5 + sharp/100,
// at most 1.5, so its cost per pixel is fixed).
func (j *job) effects() error {
	if j.p.Blur > 0 {
		if err := j.blur(j.img, float64(j.p.Blur)/10); err != nil {
			return err
		}
	}
	if j.p.Sharpen > 0 {
		return j.img.Sharpen(0.5 + float64(j.p.Sharpen)/100)
	}
	return nil
}

// blur is a Gaussian blur of sigma (in img's pixels) whose cost per pixel
// is at most that of Limits.MaxBlurSigma: a wider blur runs on a copy
// reduced by k = sigma/MaxBlurSigma, at sigma/k, and is scaled back to
// img's size. A Gaussian that wide removes every detail the reduction
// would, so the result matches the full-size blur within a level or two
// (within about 13 of 255 at the image's edges, where the full-size blur
// repeats the edge row over 3 sigma), while a full-size blur's cost grows
// with sigma (a 2048² image at blur=2000 took 31 s).
func (j *job) blur(img *vips.Image, sigma float64) error {
	limit := j.pl.opts.Limits.blurSigma()
	if sigma <= limit {
		return img.GaussBlur(sigma)
	}
	w, h := img.Width(), img.Height()
	k := sigma / limit
	sw, sh := atLeast1(float64(w)/k), atLeast1(float64(h)/k)
	if err := img.ResizeKernel(sw, sh, "linear"); err != nil {
		return err
	}
	if err := img.GaussBlur(math.Max(0.3, sigma*float64(sw)/float64(w))); err != nil {
		return err
	}
	return img.ResizeKernel(w, h, "linear")
}
