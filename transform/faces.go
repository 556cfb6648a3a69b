package transform

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// FaceFinder finds the faces Params.Faces asks for. It is safe for
// concurrent use.
type FaceFinder interface {
	// ID names the detector, its weights and settings, for cache keys.
	ID() string
	// InputSize is the longer side of the images Faces looks at.
	InputSize() int
	// Faces returns the faces of a source: boxes in fractions of the
	// upright image, ordered left to right by their left edge. input
	// renders the source upright as packed 8-bit RGB of width x height
	// pixels, the longer side InputSize; implementations call it only
	// when they have no answer cached under key (the source's content
	// hash, Info.Hash, which names an orientation asked for too; "" is
	// not to be cached), from any goroutine.
	//
	// input is given the context its work runs under, which may outlive
	// ctx: an implementation that shares one detection between the
	// callers of a key (a cache flight) passes the shared work's context,
	// cancelled only when no caller waits for the answer any more. input
	// stops its decode when that context ends, and decides its errors
	// from it alone; for a key other than "" it holds nothing of the
	// request that made it but the source's bytes, so it may still run
	// after that request has returned.
	//
	// private means the source may not be kept in a shared cache
	// (Request.Private): neither may its faces.
	Faces(ctx context.Context, key string, private bool, input func(ctx context.Context) (rgb []byte, width, height int, err error)) ([]FaceBox, error)
}

// FacesUnavailable is the 501 of a server that cannot detect faces: no
// detector configured, or one that cannot be loaded (its model file is not
// a model, ONNX Runtime does not load). detail says which; cause (if any)
// is kept for the log. A FaceFinder whose detector cannot be loaded
// returns it from Faces. Obscuring faces and listing them (fm=json) fail
// with it; the face crops take their fallback instead, and mark their
// answer Provisional (findFaces).
func FacesUnavailable(detail string, cause error) error {
	return &params.Error{Status: http.StatusNotImplemented, Code: codeFacesUnavailable, Title: "Face detection unavailable",
		Detail: detail, Field: "faces", Cause: cause}
}

const codeFacesUnavailable = "faces_unavailable"

// facesUnavailable reports whether err is FacesUnavailable's.
func facesUnavailable(err error) bool {
	var pub *params.Error
	return errors.As(err, &pub) && pub.Code == codeFacesUnavailable
}

// FaceBox is a face's box in fractions of the image, from its top-left
// corner, and its eyes (the one on the image's left first) and mouth in the
// same fractions.
type FaceBox struct {
	Left, Top, Right, Bottom float64
	LeftEye, RightEye, Mouth FacePoint
}

// FacePoint is a point in fractions of the image.
type FacePoint struct{ X, Y float64 }

// Centre is the middle of b.
func (b FaceBox) Centre() FacePoint {
	return FacePoint{X: (b.Left + b.Right) / 2, Y: (b.Top + b.Bottom) / 2}
}

// detectorSize is the size of a w x h image scaled so that its longer side
// is n, the shorter at least 1 and at most n.
func detectorSize(w, h, n int) (int, int) {
	s := float64(n) / float64(max(w, h))
	if w >= h {
		return n, min(n, atLeast1(float64(h)*s))
	}
	return min(n, atLeast1(float64(w)*s)), n
}

// FacesID is the ID of the pipeline's face detector, "none" without one:
// part of the cache key of a request with Params.Faces, since what is
// found decides the crop.
func (pl *Pipeline) FacesID() string {
	if pl.opts.Faces == nil {
		return "none"
	}
	return pl.opts.Faces.ID()
}

// findFaces is the first step: for Params.Faces it looks for faces in the
// source (decoded small, upright) and turns what it finds into the crop
// the later steps cut: the Rect's place for Faces.Place, a Focus for
// Faces.Crop (and a Rect for its Zoom), a Rect with FitCrop for
// Faces.Area, a Rect alone for Faces.Frame. With no face, or no
// detector, it leaves the fallback that the rest of Params holds. Either
// way the placing fields of Faces are cleared, so nothing later reads
// them. A detector that cannot be loaded (FacesUnavailable) also leaves
// the fallback, but marks the answer Provisional: it is not the one the
// request's cache key, which names the detector, stands for.
func (j *job) findFaces() error {
	f := j.p.Faces
	if !f.Enabled() {
		return nil
	}
	// What obscureFaces reads stays; the rest is decided here.
	j.p.Faces = params.Faces{Blur: f.Blur, Pixelate: f.Pixelate}
	if !(f.Area || f.Frame || f.Place && !j.p.Rect.IsZero() || f.Crop && j.cuts()) || j.pl.opts.Faces == nil {
		return nil
	}
	if placesCutOnly(f) && keepsSourceRegion(j.p, j.req.Info.Width, j.req.Info.Height) {
		// The plan keeps the region as it is: there is no cut for the
		// faces to place, so the detector is not asked.
		return nil
	}
	boxes, err := j.detectFaces()
	if facesUnavailable(err) {
		j.res.Provisional = true
		return nil
	}
	if err != nil {
		return err
	}
	src := j.req.Info
	if f.Place && len(boxes) > 0 {
		if r, err := clampRect(j.p.Rect, src.Width, src.Height); err == nil && !j.p.Rect.IsZero() {
			j.p.Rect = placeRect(r, meanCentre(boxes), src.Width, src.Height)
		}
	}
	if f.Largest && len(boxes) > 1 {
		boxes = []FaceBox{largestFace(boxes)}
	}
	if f.Frame {
		if len(boxes) > 0 && j.cutUnplaced() {
			u := union(boxes)
			if ar := faceAspect(u, src.Width, src.Height); ar > 0 && !math.IsInf(ar, 1) {
				j.p.Rect = faceArea(u, src.Width, src.Height, f.Pad, ar) // the faces' own shape
			}
		}
		return nil
	}
	if f.Area {
		if f.Index > 0 {
			if f.Index > len(boxes) {
				return nil
			}
			boxes = boxes[f.Index-1 : f.Index]
		}
		if len(boxes) > 0 {
			u := union(boxes)
			j.p.Rect = faceArea(u, src.Width, src.Height, f.Pad, j.outputAspect(u, src.Width, src.Height))
			j.p.Region, j.p.Fit, j.p.Crop, j.p.Focus = params.Region{}, params.FitCrop, params.CropCenter, params.Focus{}
		}
		return nil
	}
	if !f.Crop || !j.cuts() || len(boxes) == 0 { // Place alone, or no face
		return nil
	}
	u := union(boxes)
	c := u.Centre()
	if f.Zoom > 0 && j.cutUnplaced() {
		// The cut comes from the faces' box grown to 1/Zoom of its size:
		// the resize then fills the box with that region, or with as much
		// of it as the fit allows (a fit that never enlarges keeps it).
		j.p.Rect = faceArea(u, src.Width, src.Height, 1/f.Zoom, j.outputAspect(u, src.Width, src.Height))
	}
	x, y := c.X, c.Y
	if r, err := clampRect(j.p.Rect, src.Width, src.Height); err == nil && !j.p.Rect.IsZero() {
		x = clamp01((x*float64(src.Width) - float64(r.X)) / float64(r.W))
		y = clamp01((y*float64(src.Height) - float64(r.Y)) / float64(r.H))
	}
	x, y = turnPoint(x, y, j.p)
	j.p.Focus = params.Focus{X: x, Y: y, Zoom: j.p.Focus.Zoom, Set: true}
	j.p.Crop = params.CropCenter
	return nil
}

// placesCutOnly reports whether what f finds only places a resize's cut
// (Crop, with Largest or Index choosing the faces): it moves no region
// (Area, Frame, Place, Zoom), lists nothing and obscures nothing.
func placesCutOnly(f params.Faces) bool {
	return f.Crop && f.Zoom == 0 && !f.Area && !f.Frame && !f.Place && !f.List && !f.Obscures()
}

// keepsSourceRegion reports whether the plan will keep the region p names
// in a w x h (oriented) source as it is (keepsRegion), decided before any
// step runs, from the source's size: the region is the source, or its
// Rect or Region (as forSource resolves it). A trim or background
// removal, which decide the region from the pixels later, answer false.
func keepsSourceRegion(p params.Params, w, h int) bool {
	if !p.KeepSourceIfBoxExceeds || p.Trim || p.Removal.Enabled {
		return false
	}
	if r := p.Region; r != (params.Region{}) {
		rect, err := resolveRegion(r, w, h)
		if err != nil {
			return false
		}
		p.Rect = rect
	}
	if !p.Rect.IsZero() {
		r, err := clampRect(p.Rect, w, h)
		if err != nil {
			return false
		}
		w, h = r.W, r.H
	}
	if turns, quarter := p.QuarterTurns(); quarter && turns%2 == 1 {
		w, h = h, w // the plan's frame (job.planSize)
	}
	return keepsRegion(w, h, p)
}

// cuts reports whether the plan may cut a crop that a focus places: a
// fit that Crops with a box of both sides (given, from an aspect ratio or
// bounded by crop limits). With one side the image keeps its ratio and
// nothing is cut.
func (j *job) cuts() bool {
	p := j.p
	if !p.Fit.Crops() {
		return false
	}
	W, H := p.DeviceBox()
	return (W > 0 || p.WidthRatio > 0) && (H > 0 || p.HeightRatio > 0) || p.AspectRatio > 0 || p.CropLimits != (params.CropLimits{})
}

// detectFaces asks the detector for the faces of the source upright; the
// detector calls input, which decodes it at the detector's size (its
// longer side InputSize), only when it has no answer cached for the
// source's content and orientation.
//
// The detector may share that decode with other requests for the source
// (other sizes of one srcset) and run it in a goroutine of its own, under
// a context that outlives this job when others still wait: input
// therefore uses none of the job's state (its canceller, which the job
// releases when it ends, nor its context, whose end is this request's
// alone), but a canceller of its own tied to the context it is given, and
// maps its failures by that context.
func (j *job) detectFaces() ([]FaceBox, error) {
	finder, src := j.pl.opts.Faces, j.req.Info
	w, h := detectorSize(src.Width, src.Height, finder.InputSize())
	source, shrink, orientation := j.req.Source, src.jpegShrink(w, h), j.p.Orientation
	// The time input spends decoding, counted under StageDecode rather
	// than StageInference. Written by whichever goroutine runs input,
	// which may still be running when Faces returns (this caller gave
	// up): hence atomic.
	var decoded atomic.Int64
	input := func(ctx context.Context) (rgb []byte, width, height int, err error) {
		start := time.Now()
		defer func() { decoded.Add(int64(time.Since(start))) }()
		onOwnThread(func() { rgb, width, height, err = detectorInput(ctx, source, w, h, shrink, orientation) })
		return rgb, width, height, err
	}
	start := time.Now()
	// Info.Hash names an orientation asked for too (reoriented).
	boxes, err := finder.Faces(j.ctx, src.Hash, j.req.Private, input)
	j.timeApart(StageInference, time.Since(start)-time.Duration(decoded.Load()))
	if err != nil {
		var pub *params.Error
		if errors.As(err, &pub) {
			return nil, err
		}
		if ctxErr := j.ctx.Err(); ctxErr != nil {
			return nil, contextError(ctxErr)
		}
		return nil, fmt.Errorf("faces: %w", err)
	}
	return boxes, nil
}

// detectorInput decodes source upright (orientation, 0 for its EXIF one)
// to w x h packed 8-bit sRGB, the detector's input, on the calling
// goroutine, which onOwnThread has locked to its thread. The decode has a
// canceller of its own, killed when ctx ends and released before it
// returns. A libvips failure is the source's (it
// does not decode, or this libvips lacks its codec), unless ctx has ended:
// then it is ctx's error (a timeout or client_closed, see failedIn).
func detectorInput(ctx context.Context, source []byte, w, h, shrink, orientation int) ([]byte, int, int, error) {
	decoding := step{name: "faces", decodes: true, stage: StageDecode}
	var rgb []byte
	err := withCanceller(ctx, func(c *vips.Canceller) error {
		img, err := vips.Thumbnail(source, w, h, vips.NoCrop, shrink, orientation, c)
		if err != nil {
			return err
		}
		defer img.Close()
		if err := img.ToSRGB(); err != nil {
			return err
		}
		rgb, err = img.RawRGB()
		return err
	})
	if err != nil {
		return nil, 0, 0, failedIn(ctx, decoding, source, err)
	}
	if len(rgb) != w*h*3 {
		return nil, 0, 0, fmt.Errorf("faces: the %dx%d image has %d bytes of RGB", w, h, len(rgb))
	}
	return rgb, w, h, nil
}

// meanCentre is the mean of the boxes' centres (at least one box).
func meanCentre(bs []FaceBox) FacePoint {
	var c FacePoint
	for _, b := range bs {
		bc := b.Centre()
		c.X += bc.X
		c.Y += bc.Y
	}
	n := float64(len(bs))
	return FacePoint{X: c.X / n, Y: c.Y / n}
}

// placeRect moves r (inside a w x h image) to be centred on c, a point in
// fractions of the image, as far as the image allows.
func placeRect(r params.Rect, c FacePoint, w, h int) params.Rect {
	r.X = min(max(0, int(math.Round(c.X*float64(w)-float64(r.W)/2))), w-r.W)
	r.Y = min(max(0, int(math.Round(c.Y*float64(h)-float64(r.H)/2))), h-r.H)
	return r
}

// largestFace is the box of bs (at least one) with the largest area; the
// leftmost of equals.
func largestFace(bs []FaceBox) FaceBox {
	area := func(b FaceBox) float64 { return (b.Right - b.Left) * (b.Bottom - b.Top) }
	return slices.MaxFunc(bs, func(a, b FaceBox) int { return cmp.Compare(area(a), area(b)) })
}

// union is the box around every box in bs (at least one).
func union(bs []FaceBox) FaceBox {
	u := bs[0]
	for _, b := range bs[1:] {
		u.Left, u.Top = math.Min(u.Left, b.Left), math.Min(u.Top, b.Top)
		u.Right, u.Bottom = math.Max(u.Right, b.Right), math.Max(u.Bottom, b.Bottom)
	}
	return u
}

// cutUnplaced reports whether neither a Rect nor a Region places the cut
// (Faces.Zoom and Faces.Frame place it then).
func (j *job) cutUnplaced() bool { return j.p.Rect.IsZero() && j.p.Region == (params.Region{}) }

// faceAspect is b's own width ÷ height in pixels of a w x h source.
func faceAspect(b FaceBox, w, h int) float64 {
	return (b.Right - b.Left) * float64(w) / ((b.Bottom - b.Top) * float64(h))
}

// outputAspect is the width ÷ height of the area Faces.Area cuts from the
// upright source: the output box's (turned back when the request turns
// the image a quarter), else Params.AspectRatio's, else the faces' own
// (which padding keeps).
func (j *job) outputAspect(b FaceBox, srcW, srcH int) float64 {
	W, H := j.p.DeviceBox()
	ar := 0.0
	switch {
	case W > 0 && H > 0:
		ar = float64(W) / float64(H)
	case j.p.AspectRatio > 0:
		ar = j.p.AspectRatio
	default:
		return faceAspect(b, srcW, srcH)
	}
	if turns, quarter := j.p.QuarterTurns(); quarter && turns%2 == 1 {
		ar = 1 / ar
	}
	return ar
}

// faceArea is the Rect of a w x h source that Faces.Area cuts around b:
// b grown about its centre to pad times its size (0: DefaultFacePad), then
// to aspect ratio ar on its shorter side, then made to fit the source
// (scaled down, keeping ar, where it is larger; moved inside where it
// reaches past an edge).
func faceArea(b FaceBox, w, h int, pad, ar float64) params.Rect {
	if pad <= 0 {
		pad = params.DefaultFacePad
	}
	bw, bh := (b.Right-b.Left)*float64(w)*pad, (b.Bottom-b.Top)*float64(h)*pad
	if bw/bh < ar {
		bw = bh * ar
	} else {
		bh = bw / ar
	}
	if s := math.Min(float64(w)/bw, float64(h)/bh); s < 1 {
		bw, bh = bw*s, bh*s
	}
	return placeRect(params.Rect{W: min(w, atLeast1(bw)), H: min(h, atLeast1(bh))}, b.Centre(), w, h)
}

// turnPoint maps a point of the upright image into the frame after the
// request's quarter turns (Focus is given in that frame).
func turnPoint(x, y float64, p params.Params) (float64, float64) {
	turns, quarter := p.QuarterTurns()
	if !quarter {
		return x, y
	}
	switch turns % 4 {
	case 1: // 90° clockwise: the left edge becomes the top
		return 1 - y, x
	case 2:
		return 1 - x, 1 - y
	case 3:
		return y, 1 - x
	}
	return x, y
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }
