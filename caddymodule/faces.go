package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/faces"
	"github.com/jebosio/matte/segment"
	"github.com/jebosio/matte/transform"
)

// Faces configures face detection (the `faces` directive): crop=faces,
// fit=facearea and the face gravities of the URL dialects. It runs on the
// ONNX Runtime library that rembg names (one library per process).
type Faces struct {
	// Off turns detection off: those requests take their fallback crop.
	Off bool `json:"off,omitempty"`
	// Model is the BlazeFace ONNX file (default
	// $MATTE_RUNTIME/models/blazeface-back.onnx, else runtime/models/...).
	Model string `json:"model,omitempty"`
	// Threshold is the least score a face is kept at, in (0, 1); 0 means
	// faces.DefaultThreshold.
	Threshold float64 `json:"threshold,omitempty"`
}

func (f *Faces) fillDefaults() {
	if f.Model == "" {
		f.Model = filepath.Join(runtimeDir(), "models", "blazeface-back.onnx")
	}
}

func (f *Faces) validate() error {
	if f.Threshold < 0 || f.Threshold >= 1 {
		return fmt.Errorf("matte: faces threshold %g: want a number from 0 to 1 (exclusive)", f.Threshold)
	}
	return nil
}

// facesUnavailable is the log message of a server that cannot detect faces.
const facesUnavailable = "face detection unavailable (crop=faces and fit=facearea take their fallback crop; blurring or pixelating faces, and fm=json&faces=1, answer 501)"

// detectorEntry adapts *faces.Detector to caddy.Destructor for the pool.
type detectorEntry struct{ d *faces.Detector }

func (e detectorEntry) Destruct() error { return e.d.Close() }

// FaceDetector returns the detector of f, made on first use with the ONNX
// Runtime library at lib named (segment.UseRuntime): the detector's session,
// and the library with it, load on its first Detect. Handlers with the same
// model and threshold, in this generation or the next, share it.
func (a *App) FaceDetector(f *Faces, lib string) (*faces.Detector, error) {
	key := fmt.Sprintf("%s;t=%g", f.Model, f.Threshold)
	v, err := a.hold(shared.faces, key, func() (caddy.Destructor, error) {
		if err := segment.UseRuntime(lib); err != nil {
			return nil, err
		}
		d, err := faces.New(faces.Options{Model: f.Model, Threshold: f.Threshold})
		if err != nil {
			return nil, err
		}
		return detectorEntry{d}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(detectorEntry).d, nil
}

// faceFinder is the transform.FaceFinder of a detector, keeping what it
// finds in the cache (nil: none) under the source's content hash and the
// detector's ID, so that the widths of one srcset look once.
type faceFinder struct {
	d       *faces.Detector
	cache   *cache.Cache
	metrics *metrics
	// unavailable logs, once, that the detector cannot be loaded.
	unavailable func(error)
}

var _ transform.FaceFinder = faceFinder{}

func (f faceFinder) ID() string     { return f.d.ID() }
func (f faceFinder) InputSize() int { return faces.InputSize }

// testBeforeFaceInput, when set (by tests, through export_test.go), is
// called by a face detection with its context before it makes its input.
// Nil in production.
var testBeforeFaceInput atomic.Pointer[func(context.Context)]

// Faces looks once per key for all its concurrent callers: a cache
// flight, whose context (cancelled only when every caller has left) both
// input and the detector run under, so that a caller leaving does not
// fail the others. Without a key it looks within the call, under ctx.
func (f faceFinder) Faces(ctx context.Context, key string, private bool, input func(context.Context) ([]byte, int, int, error)) ([]transform.FaceBox, error) {
	find := func(ctx context.Context) (cache.Entry, bool, error) {
		// The detector (and, the first time, ONNX Runtime) loads on the
		// first miss, before anything is decoded; faces already cached need
		// neither. A server that cannot load it answers FacesUnavailable
		// (an error: nothing is cached, and the next miss tries to load
		// it again), not "no faces": obscuring faces then fails rather
		// than show them, and a face crop's fallback is not kept under
		// the key of this detector's answers (transform.Result.Provisional).
		if err := f.d.Load(); err != nil {
			f.unavailable(err)
			return cache.Entry{}, false, transform.FacesUnavailable("This server cannot load its face detector.", err)
		}
		var rgb []byte
		var w, h int
		err := holdingSource(ctx, func() (err error) {
			if hook := testBeforeFaceInput.Load(); hook != nil {
				(*hook)(ctx)
			}
			rgb, w, h, err = input(ctx)
			return err
		})
		if err != nil {
			return cache.Entry{}, false, err
		}
		boxes, err := f.detect(ctx, rgb, w, h)
		if errors.Is(err, faces.ErrClosed) {
			// A reload replaced the detector while this request of the
			// old configuration ran: unavailable for it (a face crop's
			// fallback, not kept), never a 500, nor faces left unblurred.
			return cache.Entry{}, false, transform.FacesUnavailable("The face detector was replaced by a configuration reload; try again.", err)
		}
		if err != nil {
			return cache.Entry{}, false, err
		}
		f.metrics.observeFaceDetection()
		body, err := json.Marshal(boxes)
		return cache.Entry{Value: body, ContentType: "application/json"}, !private && err == nil, err
	}
	var e cache.Entry
	var err error
	if key == "" {
		e, _, err = find(ctx)
	} else {
		e, _, err = f.cache.Do(ctx, nsFaces, hashKey(key, f.d.ID()), find)
	}
	if err != nil {
		return nil, err
	}
	var boxes []transform.FaceBox
	if err := json.Unmarshal(e.Value, &boxes); err != nil {
		return nil, fmt.Errorf("faces: cached entry: %w", err)
	}
	return boxes, nil
}

// detect runs the detector on rgb and turns its faces into FaceBoxes.
func (f faceFinder) detect(ctx context.Context, rgb []byte, width, height int) ([]transform.FaceBox, error) {
	found, err := f.d.Detect(ctx, rgb, width, height)
	if err != nil {
		return nil, err
	}
	boxes := make([]transform.FaceBox, len(found))
	pt := func(p faces.Point) transform.FacePoint { return transform.FacePoint{X: p.X, Y: p.Y} }
	for i, c := range found {
		// imgix names the eyes as the image shows them: left_eye is the
		// one on the left, whichever way the face turns.
		left, right := c.Points[faces.RightEye], c.Points[faces.LeftEye]
		if left.X > right.X {
			left, right = right, left
		}
		boxes[i] = transform.FaceBox{Left: c.Left, Top: c.Top, Right: c.Right, Bottom: c.Bottom,
			LeftEye: pt(left), RightEye: pt(right), Mouth: pt(c.Points[faces.Mouth])}
	}
	return boxes, nil
}
