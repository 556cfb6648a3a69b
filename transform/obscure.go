package transform

import (
	"context"
	"math"
	"time"

	"github.com/jebosio/matte/params"
)

// faceMargin grows a detected face box by this share of its size on every
// side before it is obscured: BlazeFace's box holds the eyes, nose and
// mouth, not the forehead, chin and ears.
const faceMargin = 0.25

// obscureFaces blurs or pixelates each face found in the image as it now
// stands (cut, resized, turned and flipped, before any padding):
// Params.Faces.Blur and Pixelate (Cloudinary e_blur_faces and
// e_pixelate_faces). The detector looks at this very image, so its boxes
// need no mapping; what it finds is not cached (the image is this
// request's). Without a detector, or with one that cannot be loaded, the
// request fails with a 501 (FacesUnavailable): an answer that showed the
// faces would not be the one asked for.
func (j *job) obscureFaces() error {
	f := j.p.Faces
	if !f.Obscures() {
		return nil
	}
	finder := j.pl.opts.Faces
	if finder == nil {
		return FacesUnavailable("This server has no face detector configured, so it cannot blur or pixelate the faces.", nil)
	}
	// The boxes are cut out and put back: the image is read in pieces.
	if err := j.toMemory(j.img); err != nil {
		return err
	}
	w, h := j.img.Width(), j.img.Height()
	// The key "" keeps the detector from sharing or caching this look, so
	// input, which reads the job's image, runs within this call.
	input := func(context.Context) ([]byte, int, int, error) {
		iw, ih := detectorSize(w, h, finder.InputSize())
		small := j.img.Clone()
		defer small.Close()
		if err := small.ResizeKernel(iw, ih, "linear"); err != nil {
			return nil, 0, 0, err
		}
		if err := small.ToSRGB(); err != nil {
			return nil, 0, 0, err
		}
		rgb, err := small.RawRGB()
		return rgb, iw, ih, err
	}
	start := time.Now()
	boxes, err := finder.Faces(j.ctx, "", j.req.Private, input)
	j.timeApart(StageInference, time.Since(start))
	if err != nil {
		return err
	}
	for _, b := range boxes {
		if err := j.ctx.Err(); err != nil {
			return err
		}
		bw, bh := (b.Right-b.Left)*float64(w), (b.Bottom-b.Top)*float64(h)
		x0 := max(0, int(math.Floor(b.Left*float64(w)-faceMargin*bw)))
		y0 := max(0, int(math.Floor(b.Top*float64(h)-faceMargin*bh)))
		x1 := min(w, int(math.Ceil(b.Right*float64(w)+faceMargin*bw)))
		y1 := min(h, int(math.Ceil(b.Bottom*float64(h)+faceMargin*bh)))
		if x1 <= x0 || y1 <= y0 {
			continue
		}
		if err := j.obscure(x0, y0, x1-x0, y1-y0, f); err != nil {
			return err
		}
	}
	return nil
}

// obscure blurs or pixelates the rw x rh region of j.img at (x, y).
func (j *job) obscure(x, y, rw, rh int, f params.Faces) error {
	region := j.img.Clone()
	defer region.Close()
	if err := region.Extract(x, y, rw, rh); err != nil {
		return err
	}
	if f.Pixelate > 0 {
		if err := region.Pixelate(f.Pixelate); err != nil {
			return err
		}
	} else if err := j.blur(region, f.Blur); err != nil {
		return err
	}
	if err := region.CopyMemory(); err != nil {
		return err
	}
	return j.img.Insert(region, x, y)
}
