package transform

import (
	"fmt"
	"math"

	"github.com/jebosio/matte/transform/vips"
)

// shapeMatte applies refine, erosion, the hard threshold and feathering to
// j.alpha. Sizes are in output pixels; j.outPerLoad converts them.
func (j *job) shapeMatte() error {
	r := j.p.Removal
	if !r.Enabled {
		return nil
	}
	alpha := j.alpha
	toLoad := func(v float64) float64 { return v / math.Max(j.outPerLoad, 1e-6) }
	if r.Refine {
		// j.img may still stream from a sequentially decoded source, which
		// the rest of the removal reads again: render it once, to memory.
		if err := j.toMemory(j.img); err != nil {
			return err
		}
		if err := refineMatte(j.img, alpha); err != nil {
			return err
		}
	}
	if r.Erode > 0 {
		size := 2*int(math.Round(toLoad(float64(r.Erode)))) + 1
		if size > 1 {
			if err := alpha.MinFilter(size); err != nil {
				return err
			}
		}
	}
	if r.Hard {
		// threshold=0 keeps every pixel the model gave any weight.
		t := math.Max(r.Threshold*255, 1)
		if err := alpha.Threshold(t); err != nil {
			return err
		}
	}
	if r.Feather > 0 {
		if err := j.blur(alpha, math.Max(0.3, toLoad(r.Feather))); err != nil {
			return err
		}
		if err := alpha.ClampUchar(); err != nil {
			return err
		}
	}
	return nil
}

// refineMatte snaps the matte's uncertain edge to the image's colour edges
// with a colour guided filter (guidedRefine, refine.go): pixels the model is
// sure of keep their alpha; the others move towards the filter's value, the
// more the less sure the model is. It runs at the loaded resolution, before
// erosion, thresholding and feathering. img must allow random access.
func refineMatte(img, alpha *vips.Image) error {
	w, h := img.Width(), img.Height()
	if alpha.Width() != w || alpha.Height() != h || alpha.Bands() != 1 {
		return fmt.Errorf("refine: matte is %dx%dx%d, image %dx%d", alpha.Width(), alpha.Height(), alpha.Bands(), w, h)
	}
	pix, err := img.RawRGB() // packed bands 0-2 (all of them when fewer)
	if err != nil {
		return err
	}
	n := w * h
	var rgb []byte
	switch len(pix) {
	case 3 * n:
		rgb = pix
	case n, 2 * n: // grey, grey + alpha: the grey band as R = G = B
		step := len(pix) / n
		rgb = make([]byte, 3*n)
		for i := 0; i < n; i++ {
			v := pix[i*step]
			rgb[3*i], rgb[3*i+1], rgb[3*i+2] = v, v, v
		}
	default:
		return fmt.Errorf("refine: image is %d bytes for %dx%d", len(pix), w, h)
	}
	a, err := alpha.RawRGB()
	if err != nil {
		return err
	}
	if len(a) != n {
		return fmt.Errorf("refine: matte is %d bytes for %dx%d", len(a), w, h)
	}
	if err := guidedRefine(rgb, a, w, h); err != nil {
		return err
	}
	refined, err := vips.FromPixels(a, w, h, 1, alpha.Canceller())
	if err != nil {
		return err
	}
	alpha.Replace(refined)
	return nil
}
