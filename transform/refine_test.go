package transform_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/internal/testimages"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/segment"
	"github.com/jebosio/matte/transform"
)

// TestRefineLowersEdgeError runs the real default model (ISNet) through the
// pipeline on synthetic images whose alpha is exact, with and without
// refine=1, and checks what the issue asks of refine: a lower error in a
// band around the true edge, and no higher error overall. One inference
// per image (the raw and refined requests share it); about 5-15 s each on
// 2 CPU cores. bench/quality measures the whole set.
func TestRefineLowersEdgeError(t *testing.T) {
	td := sharedTestdata(t)
	sess := realModel(t)
	pl := transform.NewPipeline(transform.Options{Matter: &onceMatter{s: sess, mattes: map[string][]byte{}}})
	for _, name := range []string{"synth-hair", "synth-lowcontrast"} {
		t.Run(name, func(t *testing.T) {
			src, gt := splitSynthetic(t, filepath.Join(td, "synthetic", name+".png"))
			band := trueEdgeBand(gt)
			var mae, edge [2]float64
			for i, refine := range []bool{false, true} {
				q := url.Values{"rembg": {"1"}, "mask": {"1"}}
				if refine {
					q.Set("refine", "1")
				}
				p, err := imgix.ParseQuery(q)
				if err != nil {
					t.Fatal(err)
				}
				probe, err := pl.Probe(src)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(src)
				probe.Hash = hex.EncodeToString(sum[:])
				start := time.Now()
				res, err := pl.Process(context.Background(), &transform.Request{Source: src, Info: probe, Params: p, Format: transform.NegotiateFormat(p, "", probe)})
				if err != nil {
					t.Fatalf("refine=%v: %v", refine, err)
				}
				t.Logf("refine=%v: %v", refine, time.Since(start).Round(time.Millisecond))
				img, err := png.Decode(bytes.NewReader(res.Body))
				if err != nil {
					t.Fatal(err)
				}
				pred, ok := img.(*image.Gray)
				if !ok || pred.Rect != gt.Rect || pred.Stride != gt.Stride {
					t.Fatalf("refine=%v: matte is %T %v, want 8-bit grey %v", refine, img, img.Bounds(), gt.Rect)
				}
				var all, inBand float64
				var nBand int
				for j, g := range gt.Pix {
					e := math.Abs(float64(pred.Pix[j])-float64(g)) / 255
					all += e
					if band[j] {
						inBand += e
						nBand++
					}
				}
				mae[i], edge[i] = all/float64(len(gt.Pix)), inBand/float64(nBand)
			}
			t.Logf("MAE %.4f → %.4f, edge MAE %.4f → %.4f", mae[0], mae[1], edge[0], edge[1])
			if mae[0] > 0.1 || edge[0] > 0.3 {
				t.Errorf("raw matte: MAE %.4f, edge MAE %.4f: the model or the pipeline is broken", mae[0], edge[0])
			}
			if edge[1] >= edge[0] {
				t.Errorf("refine=1 did not lower edge MAE: %.4f → %.4f", edge[0], edge[1])
			}
			if mae[1] > mae[0]+0.001 {
				t.Errorf("refine=1 raised MAE: %.4f → %.4f", mae[0], mae[1])
			}
		})
	}
}

// blurMatter is a stand-in model: a disc of radius 0.3 (of the model's
// side) at the centre, with a soft edge 0.1 wide, whatever the image.
type blurMatter struct{}

func (blurMatter) Spec(string) (transform.ModelSpec, error) {
	return transform.ModelSpec{ID: "blur@0000", Width: 64, Height: 64, Kernel: "linear"}, nil
}

func (blurMatter) Ready(model, sourceHash string) error { return nil }

func (blurMatter) Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error) {
	mask := make([]byte, 64*64)
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			d := math.Hypot((float64(x)+0.5)/64-0.5, (float64(y)+0.5)/64-0.5)
			v := math.Max(0, math.Min(1, (0.32-d)/0.04)) // 1 inside 0.28, 0 outside 0.32
			mask[y*64+x] = byte(math.Round(255 * v))
		}
	}
	return mask, nil
}

// TestRefineSharpensBlurredMatte needs no model: the image is a disc of
// radius 0.3 in one colour on a textured background of others, and the
// matte knows only roughly where its edge is. refine=1 must pull the edge
// to the colours, keep the sure pixels, and cope with degenerate sizes and
// PNG sources (decoded sequentially, read twice).
func TestRefineSharpensBlurredMatte(t *testing.T) {
	pl := transform.NewPipeline(transform.Options{Matter: blurMatter{}})
	cut := func(t *testing.T, img image.Image, refine bool) *image.Gray {
		t.Helper()
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"rembg": {"1"}, "mask": {"1"}}
		if refine {
			q.Set("refine", "1")
		}
		p, err := imgix.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		probe, err := pl.Probe(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		probe.Hash = "test"
		res, err := pl.Process(context.Background(), &transform.Request{Source: buf.Bytes(), Info: probe, Params: p, Format: params.FormatPNG})
		if err != nil {
			t.Fatalf("%v refine=%v: %v", img.Bounds().Size(), refine, err)
		}
		out, err := png.Decode(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		g, ok := out.(*image.Gray)
		if !ok || g.Rect != img.Bounds() {
			t.Fatalf("matte is %T %v, want grey %v", out, out.Bounds(), img.Bounds())
		}
		return g
	}

	const w, h = 480, 360
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	gt := image.NewGray(img.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := (float64(x)+0.5)/w-0.5, (float64(y)+0.5)/h-0.5
			c := color.NRGBA{40 + uint8(x*97%23), 110 + uint8(y*31%17), 150, 255} // background, lightly textured
			if math.Hypot(fx, fy) < 0.3 {
				c = color.NRGBA{200, 90, 60, 255}
				gt.Pix[y*w+x] = 255
			}
			img.SetNRGBA(x, y, c)
		}
	}
	raw, refined := cut(t, img, false), cut(t, img, true)
	band := trueEdgeBand(gt)
	var edge [2]float64
	var nBand, changedSure int
	for i, g := range gt.Pix {
		if band[i] {
			edge[0] += math.Abs(float64(raw.Pix[i]) - float64(g))
			edge[1] += math.Abs(float64(refined.Pix[i]) - float64(g))
			nBand++
		}
		if (raw.Pix[i] <= 2 || raw.Pix[i] >= 253) && refined.Pix[i] != raw.Pix[i] {
			changedSure++
		}
	}
	edge[0] /= 255 * float64(nBand)
	edge[1] /= 255 * float64(nBand)
	t.Logf("edge MAE %.4f → %.4f", edge[0], edge[1])
	if edge[1] > edge[0]/2 {
		t.Errorf("refine=1 should at least halve the edge error of a blurred matte on a clean colour edge: %.4f → %.4f", edge[0], edge[1])
	}
	if changedSure > 0 {
		t.Errorf("refine=1 changed %d pixels the matte was sure of", changedSure)
	}

	// (Below 3 px a side, rembg=1 fails with or without refine: libvips'
	// find_trim, behind foregroundBox, runs a 3x3 median.)
	for _, size := range []image.Point{{3, 3}, {4, 3}, {2000, 3}, {5, 700}} {
		small := image.NewNRGBA(image.Rectangle{Max: size})
		for i := range small.Pix {
			small.Pix[i] = uint8(i * 37)
		}
		for i := 3; i < len(small.Pix); i += 4 {
			small.Pix[i] = 255
		}
		cut(t, small, true)
	}
	grey := image.NewGray(image.Rect(0, 0, 200, 150))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i % 200)
	}
	cut(t, grey, true)
}

// onceMatter runs the session once per source and keeps the matte, so the
// raw and refined requests see the same one.
type onceMatter struct {
	s      *segment.Session
	mu     sync.Mutex
	mattes map[string][]byte
}

func (m *onceMatter) Spec(model string) (transform.ModelSpec, error) {
	p := m.s.Preset()
	return transform.ModelSpec{ID: m.s.Info().String(), Width: p.InputWidth, Height: p.InputHeight,
		Kernel: string(p.ResizeKernel), MaskKernel: string(p.MaskKernel)}, nil
}

func (m *onceMatter) Ready(model, sourceHash string) error { return nil }

func (m *onceMatter) Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mask, ok := m.mattes[sourceHash]; ok {
		return mask, nil
	}
	rgb, err := input()
	if err != nil {
		return nil, err
	}
	p := m.s.Preset()
	mask, err := m.s.Segment(ctx, rgb, p.InputWidth, p.InputHeight)
	if err == nil {
		m.mattes[sourceHash] = mask
	}
	return mask, err
}

// repoRoot is the folder holding go.mod above the test's directory.
func repoRoot(t *testing.T) string {
	dir := testimages.RepoRoot()
	if dir == "" {
		t.Skip("skipping: no go.mod above the test directory to find runtime/ and ../shared/testdata from")
	}
	return dir
}

var realSession struct {
	once sync.Once
	s    *segment.Session
	skip string
	err  error
}

// realModel returns a loaded session of the default model from
// $MATTE_RUNTIME (else runtime/), or skips t saying what is missing.
func realModel(t *testing.T) *segment.Session {
	t.Helper()
	dir := os.Getenv("MATTE_RUNTIME")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "runtime")
	}
	r := &realSession
	r.once.Do(func() {
		lib := filepath.Join(dir, "lib", "libonnxruntime.so")
		if _, err := os.Stat(lib); err != nil {
			r.skip = "ONNX Runtime library " + lib + " absent (run `make runtime`)"
			return
		}
		p, ok := segment.Lookup("isnet")
		if !ok {
			r.err = os.ErrNotExist
			return
		}
		models := filepath.Join(dir, "models")
		if _, err := os.Stat(filepath.Join(models, p.File)); err != nil {
			r.skip = "default model " + filepath.Join(models, p.File) + " absent (run `make runtime`)"
			return
		}
		if r.err = segment.InitRuntime(lib); r.err != nil {
			return
		}
		r.s, r.err = segment.NewSession(p, segment.Options{ModelsDir: models, IntraOpThreads: runtime.NumCPU()})
		if r.err == nil {
			r.err = r.s.Load()
		}
	})
	if r.skip != "" {
		t.Skip("skipping: " + r.skip)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.s
}

// sharedTestdata is testimages.SharedTestdata; it skips t when there is
// none.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	d := testimages.SharedTestdata()
	if d == "" {
		t.Skip("skipping: shared testdata folder absent (set MATTE_TESTDATA, or put it at ../shared/testdata)")
	}
	return d
}

// splitSynthetic returns the fixture's colours as an opaque PNG (alpha
// dropped; the fixtures keep the real background under alpha 0) and its
// exact alpha.
func splitSynthetic(t *testing.T, path string) ([]byte, *image.Gray) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("skipping: %v", err)
	}
	rgb, gt, err := testimages.SplitSynthetic(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, rgb); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), gt
}

// trueEdgeBand marks the pixels within N px of the true edge, as
// bench/quality does: N = 1 % of the diagonal, at least 3; the edge is every
// pixel with a 4-neighbour whose alpha differs by 64 or more.
func trueEdgeBand(gt *image.Gray) []bool {
	w, h := gt.Rect.Dx(), gt.Rect.Dy()
	n := max(3, int(math.Round(0.01*math.Hypot(float64(w), float64(h)))))
	a := gt.Pix
	far := func(i, j int) bool { d := int(a[i]) - int(a[j]); return d >= 64 || d <= -64 }
	band := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !(x > 0 && far(i, i-1) || x < w-1 && far(i, i+1) || y > 0 && far(i, i-w) || y < h-1 && far(i, i+w)) {
				continue
			}
			for dy := -n; dy <= n; dy++ {
				for dx := -n; dx <= n; dx++ {
					if xx, yy := x+dx, y+dy; xx >= 0 && xx < w && yy >= 0 && yy < h && dx*dx+dy*dy <= n*n {
						band[yy*w+xx] = true
					}
				}
			}
		}
	}
	return band
}
