package transform

import (
	"fmt"
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// load decodes the source with shrink-on-load, straight to the planned size
// when it can; a rect or trim first decodes the region at the scale it
// needs (loadRegion). Background removal loads in its own steps.
//
// Working set: no image is rendered whole above the source's size. A smart
// crop (entropy, attention) renders the image it crops from, so one that
// enlarges is chosen at source scale and the chosen box enlarged after; a
// request that reads the image out of order (randomAccess) renders it at no
// more than the source's size and enlarges it after, lazily.
func (j *job) load() error {
	p, src := j.p, j.req.Info
	if p.Removal.Enabled {
		return nil
	}
	if !p.Rect.IsZero() || p.Trim {
		return j.loadRegion()
	}
	planW, planH, swap := j.planSize(src.Width, src.Height)
	g := planGeometry(planW, planH, p, j.pl.opts.Limits.MaxOutputDimension, j.req.Extras.KeepCanvas)
	if cutFirst(g, p) {
		return j.loadRegion() // which cuts the part shown (planAndResize)
	}
	if swap {
		g = swapGeometry(g)
	}
	j.geo = g
	lw, lh, crop := g.resizeW, g.resizeH, g.interesting
	if bw, bh, ok := unenlargedBox(src.Width, src.Height, g); ok {
		lw, lh = bw, bh
	} else if j.randomAccess() && crop == vips.NoCrop {
		lw, lh = min(lw, src.Width), min(lh, src.Height)
	}
	img, err := j.thumbnail(lw, lh, crop)
	if err != nil {
		return err
	}
	j.img = img
	if j.randomAccess() {
		if err := j.toMemory(img); err != nil {
			return err
		}
	}
	return j.resample(img, g.resizeW, g.resizeH)
}

// resample resizes img to width x height with Params.Kernel (libvips'
// thumbnail resampling for the default).
func (j *job) resample(img *vips.Image, width, height int) error {
	if k := j.p.Kernel; k != params.KernelDefault {
		return img.ResizeKernel(width, height, k.String())
	}
	return img.Resize(width, height, vips.NoCrop)
}

// resizeCrop resizes img to width x height, a smart crop choosing the box
// when crop is not NoCrop; with Params.Kernel the image is resampled to
// the size covering the box first and cut at scale 1.
func (j *job) resizeCrop(img *vips.Image, width, height int, crop vips.Interesting) error {
	if crop == vips.NoCrop {
		return j.resample(img, width, height)
	}
	if j.p.Kernel != params.KernelDefault {
		w, h := coverSize(img.Width(), img.Height(), width, height)
		if err := j.resample(img, w, h); err != nil {
			return err
		}
	}
	return img.Resize(width, height, crop)
}

// thumbnailKernel is thumbnail with Params.Kernel: the source decoded at
// the largest JPEG shrink-on-load that keeps at least the size asked (a
// smart crop's: the size covering its box), then resizeCrop.
func (j *job) thumbnailKernel(width, height int, crop vips.Interesting) (*vips.Image, error) {
	src := j.req.Info
	w, h := width, height
	if crop != vips.NoCrop {
		w, h = coverSize(src.Width, src.Height, width, height)
	}
	shrink := src.jpegShrink(w, h)
	img, err := vips.Thumbnail(j.req.Source, (src.Width+shrink-1)/shrink, (src.Height+shrink-1)/shrink, vips.NoCrop, shrink, j.p.Orientation, j.cancel)
	if err != nil {
		return nil, err
	}
	if err := j.resizeCrop(img, width, height, crop); err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// thumbnail decodes the source straight to width x height (see
// vips.Thumbnail); in one frame's job of an animation it resizes that frame
// instead, which the job then owns.
func (j *job) thumbnail(width, height int, crop vips.Interesting) (*vips.Image, error) {
	if f := j.frame; f != nil {
		j.frame = nil
		if err := j.resizeFrame(f, width, height, crop); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	if j.p.Kernel != params.KernelDefault {
		return j.thumbnailKernel(width, height, crop)
	}
	src := j.req.Info
	return vips.Thumbnail(j.req.Source, width, height, crop, src.jpegShrink(width, height), j.p.Orientation, j.cancel)
}

// resizeFrame resizes one decoded frame of an animation as thumbnail
// resizes a source: with Params.Kernel, turned upright at full size and
// then resampled with that kernel (resizeCrop).
func (j *job) resizeFrame(f *vips.Image, width, height int, crop vips.Interesting) error {
	if j.p.Kernel == params.KernelDefault {
		return f.ThumbnailFrame(width, height, crop, j.p.Orientation)
	}
	if err := f.OrientFrame(j.p.Orientation); err != nil {
		return err
	}
	return j.resizeCrop(f, width, height, crop)
}

// planSize is the size a plan is made for from a w x h region: swapped
// when the request turns the image by an odd number of quarter turns
// (swap), as the plan is made in the turned frame.
func (j *job) planSize(w, h int) (planW, planH int, swap bool) {
	turns, quarter := j.p.QuarterTurns()
	if quarter && turns%2 == 1 {
		return h, w, true
	}
	return w, h, false
}

// randomAccess reports whether a later step reads the image out of order
// (any turn, a vertical flip), which a sequential decode cannot serve: the
// image is then rendered to memory before it is enlarged.
func (j *job) randomAccess() bool {
	return j.p.Rotate != 0 || j.p.Flip == params.FlipV || j.p.Flip == params.FlipHV
}

// toMemory renders img to memory, if Limits.MaxWorkingPixels allows.
func (j *job) toMemory(img *vips.Image) error {
	if err := j.fits(img); err != nil {
		return err
	}
	return img.CopyMemory()
}

// fits checks img against Limits.MaxWorkingPixels before it is rendered
// whole (to memory, or encoded).
func (j *job) fits(img *vips.Image) error { return j.fitsSize(img.Width(), img.Height()) }

// fitsSize is fits for a w x h image not made yet.
func (j *job) fitsSize(w, h int) error {
	if int64(w)*int64(h) > j.pl.opts.Limits.workingPixels() {
		return j.tooLarge(w, h)
	}
	return nil
}

// unenlargedBox is the box a smart crop cuts from a w x h image before the
// box is enlarged to the plan's resizeW x resizeH; ok is false when the
// plan has no smart crop or does not enlarge (libvips then crops while it
// reduces, rendering at most the w x h image).
func unenlargedBox(w, h int, g geometry) (bw, bh int, ok bool) {
	sx, sy := float64(g.resizeW)/float64(w), float64(g.resizeH)/float64(h)
	if g.interesting == vips.NoCrop || max(sx, sy) <= 1 {
		return 0, 0, false
	}
	if sx >= sy {
		return w, min(h, atLeast1(float64(g.resizeH)/sx)), true
	}
	return min(w, atLeast1(float64(g.resizeW)/sy)), h, true
}

// planAndResize plans the output geometry on the decoded region in j.img
// and resizes it (see load for the smart crop). A plan that would enlarge
// the image far past its crop (cutFirst) cuts the part the crop shows
// first, and plans again on that part alone.
func (j *job) planAndResize() error {
	img := j.img
	planW, planH, swap := j.planSize(img.Width(), img.Height())
	g := planGeometry(planW, planH, j.p, j.pl.opts.Limits.MaxOutputDimension, j.req.Extras.KeepCanvas)
	if cutFirst(g, j.p) {
		cw, ch := g.cropW, g.cropH
		turns, _ := j.p.QuarterTurns()
		r := unturnRect(shownRect(g, planW, planH), turns, img.Width(), img.Height())
		if err := img.Extract(r.X, r.Y, r.W, r.H); err != nil {
			return err
		}
		p := j.p // the part shown is the whole crop now: centred, unzoomed
		p.Focus, p.Crop = params.Focus{}, params.CropCenter
		planW, planH, swap = j.planSize(img.Width(), img.Height())
		g = shownAs(planGeometry(planW, planH, p, j.pl.opts.Limits.MaxOutputDimension, j.req.Extras.KeepCanvas), cw, ch)
	}
	if swap {
		g = swapGeometry(g)
	}
	j.geo = g
	if bw, bh, ok := unenlargedBox(img.Width(), img.Height(), g); ok {
		if err := j.resizeCrop(img, bw, bh, g.interesting); err != nil {
			return err
		}
		return j.resample(img, g.resizeW, g.resizeH)
	}
	return j.resizeCrop(img, g.resizeW, g.resizeH, g.interesting)
}

// cutFirstSide is the longest side a plan resizes an image to before its
// crop is cut; past it the part the crop shows is cut first (cutFirst).
// libvips refuses sides past VIPS_MAX_COORD (100,000,000), and the C int
// its sizes pass through ends at 2^31.
const cutFirstSide = 1 << 16

// cutFirst reports whether plan g, for p, cuts its crop from an enlarged
// image that is better cut before it is enlarged: a focal-point zoom
// (Focus.Zoom, which enlarges the whole image around the point, without
// bound as the zoom grows), or a resize past cutFirstSide (a box of one
// shape over an image of another, far narrower one).
func cutFirst(g geometry, p params.Params) bool {
	if g.cropW == 0 || g.interesting != vips.NoCrop {
		return false
	}
	return p.Focus.Set && p.Focus.Zoom > 1 || max(g.resizeW, g.resizeH) > cutFirstSide
}

// shownRect is the part of a planW x planH image (in the plan's frame)
// that plan g's crop shows, rounded outwards, within the image.
func shownRect(g geometry, planW, planH int) params.Rect {
	fx, fy := float64(planW)/float64(g.resizeW), float64(planH)/float64(g.resizeH)
	x0, y0 := int(math.Floor(float64(g.cropX)*fx)), int(math.Floor(float64(g.cropY)*fy))
	x1 := min(planW, int(math.Ceil(float64(g.cropX+g.cropW)*fx)))
	y1 := min(planH, int(math.Ceil(float64(g.cropY+g.cropH)*fy)))
	x0, y0 = min(x0, x1-1), min(y0, y1-1)
	return params.Rect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}

// unturnRect maps r, in the frame of a w x h image turned clockwise by
// turns quarter turns, back to the w x h image.
func unturnRect(r params.Rect, turns, w, h int) params.Rect {
	switch turns % 4 {
	case 1: // a clockwise turn: the turned x runs down the image, the turned y leftwards
		return params.Rect{X: r.Y, Y: h - r.X - r.W, W: r.H, H: r.W}
	case 2:
		return params.Rect{X: w - r.X - r.W, Y: h - r.Y - r.H, W: r.W, H: r.H}
	case 3:
		return params.Rect{X: w - r.Y - r.H, Y: r.X, W: r.H, H: r.W}
	}
	return r
}

// swapGeometry maps the resize of a plan made for the quarter-turned image
// back to the unturned one: the turn is applied after resizing, and the crop
// and canvas after the turn, in the plan's own frame.
func swapGeometry(g geometry) geometry {
	g.resizeW, g.resizeH = g.resizeH, g.resizeW
	return g
}

// RectYField is the Field of the error on a Rect whose top is past the
// source's bottom (its left inside the source); a Rect that starts right
// of the source is an error on rect. A server names either as its URL
// does, and RectYField as rect where the URL has one option for both.
const RectYField = "rect.y"

// clampRect intersects r with the image; a rect fully outside is an error.
func clampRect(r params.Rect, w, h int) (params.Rect, error) {
	if r.X >= w {
		return params.Rect{}, params.BadParam("rect", fmt.Sprintf("The region starts outside the %dx%d source.", w, h))
	}
	if r.Y >= h {
		// Its top is past the source's bottom: rect.y, for a dialect that
		// places each axis by an option of its own (dialect.ImageURL.RectYField).
		return params.Rect{}, params.BadParam(RectYField, fmt.Sprintf("The region starts outside the %dx%d source.", w, h))
	}
	r.W = min(r.W, w-r.X)
	r.H = min(r.H, h-r.Y)
	return r, nil
}

// toSRGB converts to 8-bit sRGB unless it already is.
func (j *job) toSRGB() error { return j.img.ToSRGB() }
