package transform

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync/atomic"
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
	// Fingerprint changes with anything that changes a cut-out: the
	// weights and every option of the model's processing, kernels
	// included. A cut-out's cache key holds it (Pipeline.RemovalID).
	Fingerprint string
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
	// Ready returns the error Matte would return for an inference it
	// cannot queue (overload), when Matte would need one for sourceHash
	// now; nil otherwise. The pipeline asks before it decodes anything, so
	// a refusal costs no decode. Matte still decides.
	Ready(model, sourceHash string) error
}

// RemovalID identifies the model a removal with Params.Removal.Model
// ("" the default) runs, as ModelSpec.Fingerprint: part of the cache key
// of every cut-out, since the default model, its file or its options may
// change under the same URL, and two sites sharing a cache may default to
// different models. "none" without a Matter; for a model Spec refuses,
// the name given (such a request fails, and nothing is stored).
func (pl *Pipeline) RemovalID(model string) string {
	if pl.opts.Matter == nil {
		return "none"
	}
	spec, err := pl.opts.Matter.Spec(model)
	if err != nil {
		return "unknown:" + model
	}
	return spec.ID + "/" + spec.Fingerprint
}

// Box is a rectangle in output pixels.
type Box struct{ Left, Top, Width, Height int }

// RemovalUnavailable is the 501 of a server that cannot remove
// backgrounds (no model configured, or one that cannot be loaded): detail
// says which, cause (if any) is kept for the log.
func RemovalUnavailable(detail string, cause error) error {
	return &params.Error{Status: http.StatusNotImplemented, Code: "removal_unavailable", Title: "Background removal unavailable",
		Detail: detail, Field: "rembg", Cause: cause}
}

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
		return RemovalUnavailable("This server has no segmentation model configured.", nil)
	}
	spec, err := j.pl.opts.Matter.Spec(p.Removal.Model)
	if err != nil {
		return err
	}
	j.model = spec
	if err := j.pl.opts.Matter.Ready(p.Removal.Model, src.Hash); err != nil {
		return err
	}
	// The output is planned on the rect (frameSubject cuts it from the
	// whole decode, which the matte and the ROI cover): the whole source
	// is decoded at the scale the rect needs, the rect's own pixels cut
	// before they are resampled (decodeRect).
	rw, rh := src.Width, src.Height
	var rect params.Rect
	if !p.Rect.IsZero() {
		if rect, err = clampRect(p.Rect, src.Width, src.Height); err != nil {
			return err
		}
		rw, rh = rect.W, rect.H
	}
	planW, planH, swap := j.planSize(rw, rh)
	g := planGeometry(planW, planH, p, j.pl.opts.Limits.MaxOutputDimension, j.req.Extras.KeepCanvas)
	scale := removalLoadScale(p, math.Max(float64(g.resizeW)/float64(planW), float64(g.resizeH)/float64(planH)))
	lw, lh := atLeast1(float64(src.Width)*scale), atLeast1(float64(src.Height)*scale)

	var img *vips.Image
	if rect.IsZero() {
		img, err = vips.Thumbnail(j.req.Source, lw, lh, vips.NoCrop, src.jpegShrink(lw, lh), j.p.Orientation, j.cancel)
	} else {
		img, err = j.decodeRect(rect, lw, lh)
	}
	if err != nil {
		return err
	}
	j.img = img
	if err := img.ToSRGB(); err != nil {
		return err
	}
	// When the model's input starts from this very decode (the same call at
	// the same size: commonly a cut-out at the source's size of a source
	// within twice the model's side), the decode is rendered once, to
	// memory, and lent to the model input, which then only resizes it.
	render := func() ([]byte, error) { return modelInput(j.req.Source, src, p.Orientation, spec) }
	var lent *lentImage
	rendered := false
	if iw, ih := modelInputBox(src, spec); rect.IsZero() && lw == iw && lh == ih {
		if err := j.toMemory(img); err != nil {
			return err
		}
		rendered = true
		if _, ok := eightBitPixels(img); ok {
			lent = newLentImage(img.Clone())
			render = func() ([]byte, error) {
				if im := lent.take(); im != nil {
					defer im.Close()
					return modelInputFrom(im, spec)
				}
				return modelInput(j.req.Source, src, p.Orientation, spec)
			}
		}
	}
	// The Matter may run the input in a cache flight's goroutine.
	input := func() (rgb []byte, err error) {
		onOwnThread(func() { rgb, err = render() })
		return rgb, err
	}

	start := time.Now()
	mask, err := j.pl.opts.Matter.Matte(j.ctx, p.Removal.Model, src.Hash, j.req.Private, input)
	j.timeApart(StageInference, time.Since(start))
	if lent != nil {
		lent.giveBack()
	}
	if err != nil {
		return err
	}
	if len(mask) != spec.Width*spec.Height {
		return fmt.Errorf("matte is %d bytes, want %dx%d", len(mask), spec.Width, spec.Height)
	}
	if err := j.ctx.Err(); err != nil {
		return contextError(err)
	}
	if img.HasAlpha() && !rendered {
		// The source's own alpha and its colours are read separately
		// (decontaminate renders each), and a sequential decode cannot be
		// read twice: render the decoded image once.
		if err := j.toMemory(img); err != nil {
			return err
		}
	}
	if j.alpha, err = resizedMask(mask, spec, img.Width(), img.Height(), j.cancel); err != nil {
		return err
	}
	// Output pixels per loaded pixel, for the edge options given in output
	// pixels: the plan's width over the side of the rect (or source) it
	// turns into, as loaded.
	loaded := float64(rw) * float64(img.Width()) / float64(src.Width)
	if swap {
		loaded = float64(rh) * float64(img.Height()) / float64(src.Height)
	}
	j.outPerLoad = float64(g.resizeW) / math.Max(1, loaded)
	return nil
}

// decodeRect is the decode of loadForRemoval for a removal with rect (in
// source pixels, clamped): the source at lw x lh, of which the part
// frameSubject will cut (scaleRect) holds rect's pixels alone, cut at
// full size (or a JPEG's shrink-on-load, as loadRegion cuts: decodeShrunk,
// cutShrunk) and only then resized, and the rest repeats that part's edge
// pixels. Resampling the whole source (as vips.Thumbnail to lw x lh did)
// mixed the pixels just outside rect into the output's edges. The canvas
// keeps the whole source's geometry, which the matte, the ROI and
// frameSubject are in.
func (j *job) decodeRect(rect params.Rect, lw, lh int) (*vips.Image, error) {
	src := j.req.Info
	img, shrink, err := j.decodeShrunk(lw, lh)
	if err != nil {
		return nil, err
	}
	if err := j.cut(img, rect, shrink); err != nil {
		img.Close()
		return nil, err
	}
	x, y, w, h := scaleRect(rect, lw, lh, src.Width, src.Height)
	if err := img.Resize(w, h, vips.NoCrop); err != nil {
		img.Close()
		return nil, err
	}
	if err := img.EmbedEdges(x, y, lw, lh); err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// modelInput renders the source as packed RGB at the model's input size:
// decoded to fit modelInputBox (shrink-on-load), then resized with the
// model's own kernel. It may run on any goroutine; it locks none.
func modelInput(buf []byte, src Source, orientation int, spec ModelSpec) ([]byte, error) {
	iw, ih := modelInputBox(src, spec)
	in, err := vips.Thumbnail(buf, iw, ih, vips.NoCrop, src.jpegShrink(iw, ih), orientation, nil)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if err := in.ToSRGB(); err != nil {
		return nil, err
	}
	return resizedRGB(in, spec)
}

// modelInputBox is the box modelInput decodes the source to fit: up to
// twice the model's input size, never above the source's.
func modelInputBox(src Source, spec ModelSpec) (int, int) {
	return min(src.Width, 2*spec.Width), min(src.Height, 2*spec.Height)
}

// modelInputFrom is modelInput from a decode of the source already made to
// fit modelInputBox, in sRGB, held in memory with one byte per sample
// (eightBitPixels): the same pixels, so the same input. It reads decoded's
// pixels into an image of its own, which no job's Canceller watches, so a
// flight that outlives the job that lent them is not stopped with it. It
// may run on any goroutine.
func modelInputFrom(decoded *vips.Image, spec ModelSpec) ([]byte, error) {
	px, ok := eightBitPixels(decoded)
	if !ok {
		return nil, fmt.Errorf("model input: the %dx%d decode is not held in memory at one byte per sample", decoded.Width(), decoded.Height())
	}
	w, h, bands := decoded.Width(), decoded.Height(), decoded.Bands()
	if bands >= 3 && upsizesLinear(spec.Kernel, w, h, spec.Width, spec.Height) && spec.Width >= w && spec.Height >= h {
		// Only growing: read in place, no libvips operation.
		rgb := make([]byte, spec.Width*spec.Height*3)
		upsampleLinear(rgb, spec.Width, spec.Height, 3, px, w, h, bands, upsampleWorkers())
		return rgb, nil
	}
	in, err := vips.FromPixels(px, w, h, bands, nil)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return resizedRGB(in, spec)
}

// eightBitPixels is img's pixels in place when img is held in memory with
// one byte per sample (the only layout FromPixels reads), else false.
func eightBitPixels(img *vips.Image) ([]byte, bool) {
	px, err := img.View()
	return px, err == nil && len(px) == img.Width()*img.Height()*img.Bands()
}

// resizedRGB is in resized to the model's input with its kernel, as packed
// RGB. It may replace in. Alpha is dropped first: the model sees the
// colours as stored, each resampled on its own (as upsampleLinear does),
// whether or not in is tagged as having alpha (a lent decode read through
// FromPixels is not), rather than mixed premultiplied.
func resizedRGB(in *vips.Image, spec ModelSpec) ([]byte, error) {
	if in.HasAlpha() {
		colour, err := in.ExtractBand(0, in.Bands()-1)
		if err != nil {
			return nil, err
		}
		in.Replace(colour)
	}
	if !upsizesLinear(spec.Kernel, in.Width(), in.Height(), spec.Width, spec.Height) {
		if err := in.ResizeKernel(spec.Width, spec.Height, spec.Kernel); err != nil {
			return nil, err
		}
		return in.RawRGB()
	}
	if err := shrinkAxesLinear(in, spec.Width, spec.Height); err != nil {
		return nil, err
	}
	px, err := in.RawRGB()
	if err != nil {
		return nil, err
	}
	rgb := make([]byte, spec.Width*spec.Height*3)
	upsampleLinear(rgb, spec.Width, spec.Height, 3, px, in.Width(), in.Height(), 3, upsampleWorkers())
	return rgb, nil
}

// resizedMask is the model's mask (spec.Width×spec.Height, one byte per
// pixel) resized to w×h with the model's mask kernel (linear by default),
// as an image held in memory watched by c.
func resizedMask(mask []byte, spec ModelSpec, w, h int, c *vips.Canceller) (*vips.Image, error) {
	kernel := spec.MaskKernel
	if kernel == "" {
		kernel = "linear"
	}
	mw, mh := spec.Width, spec.Height
	if !upsizesLinear(kernel, mw, mh, w, h) {
		img, err := vips.FromPixels(mask, mw, mh, 1, c)
		if err != nil {
			return nil, err
		}
		if err := img.ResizeKernel(w, h, kernel); err != nil {
			img.Close()
			return nil, err
		}
		return img, nil
	}
	if w < mw || h < mh { // one axis shrinks: libvips' reduce first
		shrunk, err := vips.FromPixels(mask, mw, mh, 1, c)
		if err != nil {
			return nil, err
		}
		err = shrinkAxesLinear(shrunk, w, h)
		if err == nil {
			mw, mh = shrunk.Width(), shrunk.Height()
			mask, err = shrunk.Bytes()
		}
		shrunk.Close()
		if err != nil {
			return nil, err
		}
	}
	img, px, err := vips.NewPixels(w, h, 1, c)
	if err != nil {
		return nil, err
	}
	upsampleLinear(px, w, h, 1, mask, mw, mh, 1, upsampleWorkers())
	return img, nil
}

// lentImage lends a job's decoded image to its model input, which the
// Matter may run on another goroutine, and even after the job has returned
// (a caller that leaves a cache flight leaves it to the waiters). Whoever
// comes first has it: the model input takes it (take) to read and close, or
// the job, once Matte has returned, gives it back (giveBack), closing it; a
// model input that comes later decodes the source itself. The image is a
// reference of its own (Clone); nil once either side has had it.
type lentImage struct{ img atomic.Pointer[vips.Image] }

func newLentImage(img *vips.Image) *lentImage {
	l := &lentImage{}
	l.img.Store(img)
	return l
}

// take returns the image, for the caller to close, or nil once the job has
// had it back.
func (l *lentImage) take() *vips.Image { return l.img.Swap(nil) }

// giveBack closes the image unless the model input has taken it.
func (l *lentImage) giveBack() {
	if img := l.img.Swap(nil); img != nil {
		img.Close()
	}
}

// removalResize plans the output on the framed subject and resizes it.
func (j *job) removalResize() error {
	if !j.p.Removal.Enabled {
		return nil
	}
	return j.planAndResize()
}
