package transform

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// Background removal runs in its own steps up to removal-resize: load the
// source and its matte (removal-load), shape the matte (matte.go), clean
// the edge colours and join the matte as alpha (decontaminate.go), limit it
// to the region of interest (roi.go), frame the subject (frame.go), and
// resize to the plan. After the common steps, removal-layers (layers.go)
// lays the new background.

// ModelSpec is what the pipeline needs to know of a segmentation model.
type ModelSpec struct {
	// ID names the model and its weights (name@shorthash) for cache keys
	// and the X-Matte-Model header.
	ID string
	// Width x Height is the model's input size; Kernel the libvips resize
	// kernel its reference pre-processing matches ("linear", "lanczos3", ...).
	Width, Height int
	Kernel        string
	// MaskKernel resizes the matte back (default "linear").
	MaskKernel string
}

// Matter supplies alpha mattes. It is safe for concurrent use.
type Matter interface {
	// Spec describes model ("" is the default). An unknown or disallowed
	// model is an *Error for the field "model".
	Spec(model string) (ModelSpec, error)
	// Matte returns the matte of the source whose content hash is
	// sourceHash: spec.Width x spec.Height bytes, 255 = foreground. input
	// renders the source as packed RGB at the model's size; implementations
	// call it only when they have no cached matte, from any goroutine.
	// private means the source may not be kept in a shared cache
	// (Request.Private): its matte must not be stored either.
	Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error)
}

// Box is a rectangle in output pixels.
type Box struct{ Left, Top, Width, Height int }

// removalLoadScale is how finely a removal request decodes the source,
// relative to the planned output: crop=fg and subject scaling enlarge a part
// of the image, so they keep twice the resolution.
func removalLoadScale(p params.Params, planned float64) float64 {
	if p.Removal.CropToForeground || p.Removal.Scale > 0 {
		planned *= 2
	}
	return math.Min(1, planned)
}

// loadForRemoval decodes the source at the resolution the output needs
// (never above the source's) into j.img, and obtains the matte (from the
// Matter's cache, or by rendering the model input and running the model),
// resized to j.img's size in j.alpha. The RGB bands keep the source's
// colours, so a blurred background can be made from them later.
func (j *job) loadForRemoval() error {
	p, src := j.p, j.req.Info
	if !p.Removal.Enabled {
		return nil
	}
	if j.pl.opts.Matter == nil {
		return &params.Error{Status: http.StatusNotImplemented, Code: "removal_unavailable", Title: "Background removal unavailable",
			Detail: "This server has no segmentation model configured.", Field: "rembg"}
	}
	spec, err := j.pl.opts.Matter.Spec(p.Removal.Model)
	if err != nil {
		return err
	}
	j.model = spec
	planW, planH, swap := j.planSize(src.Width, src.Height)
	g := planGeometry(planW, planH, p, j.pl.opts.Limits.MaxOutputDimension)
	scale := removalLoadScale(p, math.Max(float64(g.resizeW)/float64(planW), float64(g.resizeH)/float64(planH)))
	lw, lh := atLeast1(float64(src.Width)*scale), atLeast1(float64(src.Height)*scale)

	start := time.Now()
	mask, err := j.pl.opts.Matter.Matte(j.ctx, p.Removal.Model, src.Hash, j.req.Private, func() ([]byte, error) { return modelInput(j.req.Source, src, spec) })
	j.timeApart(StageInference, time.Since(start))
	if err != nil {
		return err
	}
	if len(mask) != spec.Width*spec.Height {
		return fmt.Errorf("matte is %d bytes, want %dx%d", len(mask), spec.Width, spec.Height)
	}
	if err := j.ctx.Err(); err != nil {
		return contextError(err)
	}

	img, err := vips.Thumbnail(j.req.Source, lw, lh, vips.NoCrop, src.jpegShrink(lw, lh), j.cancel)
	if err != nil {
		return err
	}
	j.img = img
	if err := img.ToSRGB(); err != nil {
		return err
	}
	if img.HasAlpha() {
		// The source's own alpha and its colours are read separately
		// (decontaminate renders each), and a sequential decode cannot be
		// read twice: render the decoded image once.
		if err := j.toMemory(img); err != nil {
			return err
		}
	}
	if j.alpha, err = vips.FromPixels(mask, spec.Width, spec.Height, 1, j.cancel); err != nil {
		return err
	}
	maskKernel := spec.MaskKernel
	if maskKernel == "" {
		maskKernel = "linear"
	}
	if err := j.alpha.ResizeKernel(img.Width(), img.Height(), maskKernel); err != nil {
		return err
	}
	// Output pixels per loaded pixel, for the edge options given in output pixels.
	j.outPerLoad = float64(g.resizeW) / float64(max(1, img.Width()))
	if swap {
		j.outPerLoad = float64(g.resizeW) / float64(max(1, img.Height()))
	}
	return nil
}

// modelInput renders the source as packed RGB at the model's input size:
// decoded at up to twice that size (shrink-on-load), then resized with the
// model's own kernel. It may run on any goroutine; it locks none.
func modelInput(buf []byte, src Source, spec ModelSpec) ([]byte, error) {
	iw, ih := min(src.Width, 2*spec.Width), min(src.Height, 2*spec.Height)
	in, err := vips.Thumbnail(buf, iw, ih, vips.NoCrop, src.jpegShrink(iw, ih), nil)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if err := in.ToSRGB(); err != nil {
		return nil, err
	}
	if err := in.ResizeKernel(spec.Width, spec.Height, spec.Kernel); err != nil {
		return nil, err
	}
	return in.RawRGB()
}

// removalResize plans the output on the framed subject and resizes it.
func (j *job) removalResize() error {
	if !j.p.Removal.Enabled {
		return nil
	}
	return j.planAndResize()
}
