package faces

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	"github.com/jebosio/matte/internal/testimages"
	"github.com/jebosio/matte/segment"
)

// The ONNX Runtime library and the model come from $MATTE_RUNTIME, else
// runtime/ next to go.mod; the photos from the shared test data. Tests that
// need what is absent skip, saying why.
var (
	modelPath string
	setupErr  error
)

func TestMain(m *testing.M) {
	rt := os.Getenv("MATTE_RUNTIME")
	if rt == "" {
		if root := testimages.RepoRoot(); root != "" {
			rt = filepath.Join(root, "runtime")
		}
	}
	switch {
	case rt == "":
		setupErr = errors.New("no $MATTE_RUNTIME and no go.mod above the package directory")
	default:
		lib := filepath.Join(rt, "lib", "libonnxruntime.so")
		modelPath = filepath.Join(rt, "models", "blazeface-back.onnx")
		if _, err := os.Stat(lib); err != nil {
			setupErr = fmt.Errorf("ONNX Runtime library %s absent (run `make runtime`)", lib)
		} else if _, err := os.Stat(modelPath); err != nil {
			setupErr = fmt.Errorf("face model %s absent (run `make runtime`)", modelPath)
		} else if err := segment.InitRuntime(lib); err != nil {
			setupErr = err
		}
	}
	os.Exit(m.Run())
}

func newDetector(t *testing.T) *Detector {
	t.Helper()
	if setupErr != nil {
		t.Skipf("skipping: %v", setupErr)
	}
	d, err := New(Options{Model: modelPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// photo decodes a shared test photo scaled so that its longer side is
// InputSize, as packed RGB.
func photo(t testing.TB, name string) ([]byte, int, int) {
	t.Helper()
	dir := testimages.SharedTestdata()
	if dir == "" {
		t.Skip("skipping: the shared test data (../shared/testdata) is absent")
	}
	f, err := os.Open(filepath.Join(dir, "photos", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	s := float64(InputSize) / float64(max(b.Dx(), b.Dy()))
	w, h := int(math.Round(float64(b.Dx())*s)), int(math.Round(float64(b.Dy())*s))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	rgb := make([]byte, 0, w*h*3)
	for i := 0; i < len(dst.Pix); i += 4 {
		rgb = append(rgb, dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2])
	}
	return rgb, w, h
}

// The expected boxes were read off the photos by eye: girl-1 (600x399)
// has one face, under a cap, around (222, 189) px; anime-girl-1 a drawn
// face; girl-2 shows the back of a head, the others no person.
func TestDetectPhotos(t *testing.T) {
	d := newDetector(t)
	for _, tc := range []struct {
		name string
		// want: the box's centre within these bounds (fractions), and
		// its width between minW and maxW; none: no face at all.
		none               bool
		cx0, cx1, cy0, cy1 float64
		minW, maxW         float64
	}{
		{name: "girl-1.jpg", cx0: 0.33, cx1: 0.41, cy0: 0.40, cy1: 0.53, minW: 0.06, maxW: 0.15},
		{name: "anime-girl-1.jpg", cx0: 0.40, cx1: 0.54, cy0: 0.15, cy1: 0.45, minW: 0.08, maxW: 0.30},
		{name: "girl-2.jpg", none: true},
		{name: "car-1.jpg", none: true},
		{name: "animal-1.jpg", none: true},
		{name: "plants-1.jpg", none: true},
	} {
		rgb, w, h := photo(t, tc.name)
		got, err := d.Detect(context.Background(), rgb, w, h)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.none {
			if len(got) != 0 {
				t.Errorf("%s: found %+v, want no face", tc.name, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Fatalf("%s: found %+v, want one face", tc.name, got)
		}
		f := got[0]
		if cx, cy, fw := f.CentreX(), f.CentreY(), f.Right-f.Left; cx < tc.cx0 || cx > tc.cx1 || cy < tc.cy0 || cy > tc.cy1 || fw < tc.minW || fw > tc.maxW || f.Score < DefaultThreshold {
			t.Errorf("%s: face %+v (centre %.3f, %.3f, width %.3f)", tc.name, f, cx, cy, fw)
		}
		// The key points of a face towards the camera: the subject's
		// right eye on the image's left, both above the mouth, all three
		// inside the box.
		re, le, m := f.Points[RightEye], f.Points[LeftEye], f.Points[Mouth]
		in := func(p Point) bool { return p.X > f.Left && p.X < f.Right && p.Y > f.Top && p.Y < f.Bottom }
		if !(re.X < le.X && re.Y < m.Y && le.Y < m.Y && in(re) && in(le) && in(m)) {
			t.Errorf("%s: key points %+v in box %+v", tc.name, f.Points, f)
		}
	}
}

func TestDetectRefusesOtherSizes(t *testing.T) {
	d := newDetector(t)
	for _, tc := range []struct{ w, h, n int }{
		{0, 256, 0},
		{255, 100, 255 * 100 * 3},
		{257, 100, 257 * 100 * 3},
		{256, 100, 256*100*3 - 1},
	} {
		if _, err := d.Detect(context.Background(), make([]byte, tc.n), tc.w, tc.h); err == nil {
			t.Errorf("%dx%d in %d bytes: no error", tc.w, tc.h, tc.n)
		}
	}
	// A flat grey image is a valid input with no face.
	got, err := d.Detect(context.Background(), make([]byte, 256*10*3), 256, 10)
	if err != nil || len(got) != 0 {
		t.Errorf("flat image: %+v, %v", got, err)
	}
}

func TestDetectAfterClose(t *testing.T) {
	d := newDetector(t)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Detect(context.Background(), make([]byte, 256*256*3), 256, 256); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := d.Load(); !errors.Is(err, ErrClosed) {
		t.Errorf("Load after Close: %v, want ErrClosed", err)
	}
}

// TestLoadChecksTheModel: New only hashes the file; the session, and with
// it the check that the tensors are BlazeFace's, comes with Load (or the
// first Detect), and a failed Load is reported again by the next call.
func TestLoadChecksTheModel(t *testing.T) {
	if setupErr != nil {
		t.Skipf("skipping: %v", setupErr)
	}
	other := filepath.Join(filepath.Dir(modelPath), "isnet-int8.onnx")
	if _, err := os.Stat(other); err != nil {
		t.Skipf("skipping: no other ONNX model to offer (%v)", err)
	}
	d, err := New(Options{Model: other})
	if err != nil {
		t.Fatalf("New of a model that is not BlazeFace: %v (the tensors are checked by Load)", err)
	}
	defer d.Close()
	for range 2 {
		if err := d.Load(); err == nil || !strings.Contains(err.Error(), "not a BlazeFace model") {
			t.Fatalf("Load: %v, want the tensor check's refusal", err)
		}
	}
	if _, err := d.Detect(context.Background(), make([]byte, 256*256*3), 256, 256); err == nil {
		t.Error("Detect with a model that does not load: no error")
	}
	good := newDetector(t)
	if err := good.Load(); err != nil {
		t.Fatalf("Load of BlazeFace: %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	if setupErr != nil {
		t.Skipf("skipping: %v", setupErr)
	}
	if _, err := New(Options{Model: filepath.Join(t.TempDir(), "none.onnx")}); err == nil {
		t.Error("a missing model: no error")
	}
	if _, err := New(Options{Model: modelPath, Threshold: 1}); err == nil {
		t.Error("threshold 1: no error")
	}
	d, err := New(Options{Model: modelPath, Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, want := d.ID(), "blazeface-back@427cbbe0fc41;t=0.5"; got != want {
		t.Errorf("ID %q, want %q", got, want)
	}
}

// The detector runs the model New read and named, not whatever the file
// holds when it first loads: written over in between, it still loads.
func TestDetectorLoadsTheBytesItNamed(t *testing.T) {
	if setupErr != nil {
		t.Skipf("skipping: %v", setupErr)
	}
	onnx, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "blazeface-back.onnx")
	if err := os.WriteFile(path, onnx, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{Model: path, Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.WriteFile(path, []byte("not a model"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Load(); err != nil {
		t.Fatalf("Load after the file was written over: %v", err)
	}
	if got, want := d.ID(), "blazeface-back@427cbbe0fc41;t=0.5"; got != want {
		t.Errorf("ID %q, want %q", got, want)
	}
}

// decode places each anchor at its cell's centre, offset and sized in
// input pixels; a cell's anchors come one after the other, rows first.
func TestDecode(t *testing.T) {
	const cells, n = 2, 2
	scores := []float32{-10, -10, -10, 2, -10, -10, -10, -10} // cell (1, 0), anchor 1: sigmoid(2) = 0.88
	regs := make([]float32, cells*cells*n*regressed)
	r := regs[3*regressed:]
	r[0], r[1], r[2], r[3] = 25.6, -12.8, 51.2, 25.6 // +0.1, -0.05, 0.2 x 0.1 of the input
	r[4], r[5] = -12.8, 25.6                         // the first key point: -0.05, +0.1 from the anchor
	got := decode(scores, regs, cells, n, 0.75)
	if len(got) != 1 {
		t.Fatalf("got %+v", got)
	}
	want := box{x0: 0.75 + 0.1 - 0.1, y0: 0.25 - 0.05 - 0.05, x1: 0.75 + 0.1 + 0.1, y1: 0.25 - 0.05 + 0.05, score: 0.8808}
	b := got[0]
	for i, v := range [][2]float32{{b.x0, want.x0}, {b.y0, want.y0}, {b.x1, want.x1}, {b.y1, want.y1}, {b.score, want.score}, {b.kp[0][0], 0.7}, {b.kp[0][1], 0.35}, {b.kp[1][0], 0.75}} {
		if math.Abs(float64(v[0]-v[1])) > 1e-4 {
			t.Errorf("value %d: %v, want %v (box %+v)", i, v[0], v[1], b)
		}
	}
	// Under the threshold, a NaN score or a box of no size: nothing.
	scores[3] = 1 // 0.73
	if got := decode(scores, regs, cells, n, 0.75); len(got) != 0 {
		t.Errorf("score 0.73: %+v", got)
	}
	scores[3] = float32(math.NaN())
	if got := decode(scores, regs, cells, n, 0.75); len(got) != 0 {
		t.Errorf("NaN score: %+v", got)
	}
	scores[3], r[2] = 2, 0
	if got := decode(scores, regs, cells, n, 0.75); len(got) != 0 {
		t.Errorf("zero width: %+v", got)
	}
}

// merge blends overlapping boxes by score and keeps apart the ones that
// do not overlap.
func TestMerge(t *testing.T) {
	bx := func(x0, y0, x1, y1, s float32) box {
		return box{x0: x0, y0: y0, x1: x1, y1: y1, score: s, kp: [6][2]float32{{x0, y0}}}
	}
	got := merge([]box{
		bx(0.1, 0.1, 0.3, 0.3, 0.9),
		bx(0.6, 0.6, 0.8, 0.8, 0.8),
		bx(0.2, 0.1, 0.4, 0.3, 0.9),   // IoU with the first: 1/3
		bx(0.14, 0.1, 0.34, 0.3, 0.0), // a zero weight adds nothing
	})
	want := []box{bx(0.15, 0.1, 0.35, 0.3, 0.9), bx(0.6, 0.6, 0.8, 0.8, 0.8)}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		for _, v := range [][2]float32{{g.x0, w.x0}, {g.y0, w.y0}, {g.x1, w.x1}, {g.y1, w.y1}, {g.score, w.score}, {g.kp[0][0], w.kp[0][0]}, {g.kp[0][1], w.kp[0][1]}} {
			if math.Abs(float64(v[0]-v[1])) > 1e-5 {
				t.Errorf("box %d: %+v, want %+v", i, g, w)
				break
			}
		}
	}
}

// BenchmarkDetect is one look at a 256x171 photo: letterboxing, the
// inference (one thread) and decoding the boxes.
func BenchmarkDetect(b *testing.B) {
	if setupErr != nil {
		b.Skipf("skipping: %v", setupErr)
	}
	d, err := New(Options{Model: modelPath})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	rgb, w, h := photo(b, "girl-1.jpg")
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Detect(context.Background(), rgb, w, h); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeMerge feeds the post-processing any model output, NaN and
// infinities included (a corrupt or foreign model file): no panic, at most
// maxFaces boxes, each with a positive size and a score at or above the
// threshold.
func FuzzDecodeMerge(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x7f, 1, 2, 3, 4}, uint8(3))
	f.Add([]byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0xff}, uint8(200))
	f.Fuzz(func(t *testing.T, raw []byte, seed uint8) {
		const cells, n = 2, 2
		floats := func(count int, from int) []float32 {
			out := make([]float32, count)
			for i := range out {
				var b [4]byte
				for k := range b {
					if len(raw) > 0 {
						b[k] = raw[(from+i*4+k)%len(raw)] ^ seed
					}
				}
				out[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			}
			return out
		}
		scores := floats(cells*cells*n, 0)
		regs := floats(cells*cells*n*regressed, 7)
		boxes := merge(decode(scores, regs, cells, n, DefaultThreshold))
		if len(boxes) > maxFaces {
			t.Fatalf("%d boxes", len(boxes))
		}
		for _, b := range boxes {
			if !(b.x1 > b.x0 && b.y1 > b.y0 && b.score >= DefaultThreshold) {
				t.Fatalf("box %+v", b)
			}
		}
	})
}
