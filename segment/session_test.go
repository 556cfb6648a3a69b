package segment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// refMask is an independent float64 implementation of the preprocessing
// and postprocessing for a tinyModel that returns tensor channel ch.
func refMask(p Preset, rgb []byte, ch int, negate bool) []byte {
	src := ch
	if p.ChannelOrder == BGR {
		src = 2 - ch
	}
	scale := float64(p.PixelScale)
	if p.DivideByMax {
		mx := 0
		for _, b := range rgb {
			mx = max(mx, int(b))
		}
		scale = math.Max(float64(mx), 1e-6)
	}
	n := len(rgb) / 3
	plane := make([]float64, n)
	for i := 0; i < n; i++ {
		v := float64(rgb[3*i+src]) / scale
		x := (v - float64(p.Mean[src])) / float64(p.Std[src])
		if negate {
			x = -x
		}
		if p.ApplySigmoid {
			x = 1 / (1 + math.Exp(-x))
		}
		plane[i] = x
	}
	if p.MinMax {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, v := range plane {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		for i := range plane {
			plane[i] = (plane[i] - mn) / (mx - mn)
		}
	}
	out := make([]byte, n)
	for i, v := range plane {
		out[i] = byte(math.Round(math.Min(math.Max(v, 0), 1) * 255))
	}
	return out
}

func randomRGB(w, h int, seed uint64, maxByte int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, w*h*3)
	for i := range b {
		b[i] = byte(r.IntN(maxByte + 1))
	}
	return b
}

func maxDiff(a, b []byte) (int, int) {
	worst, at := 0, -1
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

func openTiny(t *testing.T, m tinyModel, edit func(*Preset), opts Options) (*Session, Preset) {
	t.Helper()
	needRuntime(t)
	p := tinyPreset(m.write(t), m)
	if edit != nil {
		edit(&p)
	}
	s, err := NewSession(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

func TestTinyModelPlumbing(t *testing.T) {
	const W, H = 20, 12
	cases := []struct {
		name   string
		model  tinyModel
		edit   func(*Preset)
		negate bool
		tol    int
	}{
		{name: "f32-nchw-r", model: tinyModel{Channel: 0}},
		{name: "f32-nchw-g", model: tinyModel{Channel: 1}},
		{name: "f32-nchw-b", model: tinyModel{Channel: 2}},
		{name: "f32-bgr-ch0-is-blue", model: tinyModel{Channel: 0}, edit: func(p *Preset) { p.ChannelOrder = BGR }},
		{name: "f32-bgr-ch2-is-red", model: tinyModel{Channel: 2}, edit: func(p *Preset) { p.ChannelOrder = BGR }},
		{name: "f32-nhwc-g", model: tinyModel{Channel: 1, NHWC: true}},
		{name: "f32-nhwc-bgr-b", model: tinyModel{Channel: 0, NHWC: true}, edit: func(p *Preset) { p.ChannelOrder = BGR }},
		{name: "f32-dynamic-dims", model: tinyModel{Channel: 1, Dynamic: true}},
		{name: "f32-dynamic-nhwc", model: tinyModel{Channel: 2, Dynamic: true, NHWC: true}},
		{name: "f16-in", model: tinyModel{Channel: 1, InF16: true}, tol: 1},
		{name: "f16-out", model: tinyModel{Channel: 2, OutF16: true}, tol: 1},
		{name: "f16-both-dynamic", model: tinyModel{Channel: 0, InF16: true, OutF16: true, Dynamic: true}, tol: 1},
		{name: "f16-declared", model: tinyModel{Channel: 0, InF16: true}, edit: func(p *Preset) { p.InputType = Float16 }, tol: 1},
		{name: "mean-std-sigmoid", model: tinyModel{Channel: 1}, edit: func(p *Preset) {
			p.Mean = [3]float32{0.1, 0.45, 0.8}
			p.Std = [3]float32{0.5, 0.2, 0.3}
			p.ApplySigmoid = true
		}, tol: 1},
		{name: "raw-scale-imgly-style", model: tinyModel{Channel: 2}, edit: func(p *Preset) {
			p.PixelScale = 1
			p.Mean = [3]float32{128, 128, 128}
			p.Std = [3]float32{256, 256, 256}
			p.MinMax = true
		}, tol: 1},
		{name: "rembg-style-max-minmax", model: tinyModel{Channel: 0}, edit: func(p *Preset) {
			p.DivideByMax = true
			p.Mean = imagenetMean
			p.Std = imagenetStd
			p.MinMax = true
		}, tol: 1},
		{name: "birefnet-style-sigmoid-minmax-f16", model: tinyModel{Channel: 1, InF16: true, OutF16: true}, edit: func(p *Preset) {
			p.DivideByMax = true
			p.Mean = imagenetMean
			p.Std = imagenetStd
			p.ApplySigmoid = true
			p.MinMax = true
		}, tol: 1},
		{name: "output-by-name", model: tinyModel{Channel: 1}, edit: func(p *Preset) {
			p.Output = "neg"
			p.MinMax = true
		}, negate: true, tol: 1},
		{name: "output-by-index", model: tinyModel{Channel: 2, OutFirst: "neg"}, edit: func(p *Preset) {
			p.Output = ""
			p.OutputIndex = 1
		}},
		{name: "output-index-0-is-neg", model: tinyModel{Channel: 2, OutFirst: "neg"}, edit: func(p *Preset) {
			p.Output = ""
			p.OutputIndex = 0
			p.MinMax = true
		}, negate: true, tol: 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.model.W, tc.model.H = W, H
			s, p := openTiny(t, tc.model, tc.edit, Options{IntraOpThreads: 1})
			// Bytes up to 200 so DivideByMax differs from PixelScale 255.
			rgb := randomRGB(W, H, uint64(i), 200)
			mask, err := s.Segment(context.Background(), rgb, W, H)
			if err != nil {
				t.Fatal(err)
			}
			want := refMask(p, rgb, int(tc.model.Channel), tc.negate)
			if d, at := maxDiff(mask, want); d > tc.tol {
				t.Fatalf("mask differs by %d at %d: got %d want %d", d, at, mask[at], want[at])
			}
			// A second call reuses the buffers and must give the same mask.
			again, err := s.Segment(context.Background(), rgb, W, H)
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := maxDiff(mask, again); d != 0 {
				t.Fatal("second call differs")
			}
		})
	}
}

func TestSessionInfoAndLazyLoad(t *testing.T) {
	m := tinyModel{W: 16, H: 16, Channel: 0}
	s, p := openTiny(t, m, nil, Options{IntraOpThreads: 1})
	raw, err := os.ReadFile(p.File)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	info := s.Info()
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.ShortHash != info.SHA256[:12] {
		t.Fatalf("hash %s / %s, want %x", info.SHA256, info.ShortHash, sum)
	}
	if info.String() != "tiny@"+info.ShortHash {
		t.Fatalf("String() = %q", info.String())
	}
	if s.Loaded() || info.Loaded {
		t.Fatal("loaded before first use")
	}
	if _, err := s.Segment(context.Background(), make([]byte, 16*16*3), 16, 16); err != nil {
		t.Fatal(err)
	}
	info = s.Info()
	if !s.Loaded() || !info.Loaded || info.Provider != "cpu" || info.InputName != "input" ||
		info.OutputName != "output" || info.InputType != Float32 || info.OutputType != Float32 {
		t.Fatalf("after load: %+v", info)
	}
	if s.Runs() != 1 {
		t.Fatalf("runs %d", s.Runs())
	}

	// The fingerprint follows the processing fields, not just the file:
	// the kernels too, which shape the model's input and the cut-out.
	for _, change := range []func(*Preset){
		func(p *Preset) { p.Mean[1] = 0.25 },
		func(p *Preset) { p.ResizeKernel = KernelLanczos3 },
		func(p *Preset) { p.MaskKernel = KernelLanczos3 },
	} {
		p2 := p
		change(&p2)
		s2, err := NewSession(p2, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s2.Info().SHA256 != info.SHA256 || s2.Info().Fingerprint == info.Fingerprint {
			t.Fatalf("fingerprints %s %s", s2.Info().Fingerprint, info.Fingerprint)
		}
		s2.Close()
	}

	if err := ShutdownRuntime(); !errors.Is(err, ErrRuntimeBusy) {
		t.Fatalf("ShutdownRuntime with a loaded session: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := s.Segment(context.Background(), make([]byte, 16*16*3), 16, 16); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := s.Load(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load after Close: %v", err)
	}
}

func TestSessionErrors(t *testing.T) {
	needRuntime(t)
	m := tinyModel{W: 16, H: 8, Channel: 0}
	path := m.write(t)
	base := tinyPreset(path, m)

	t.Run("load", func(t *testing.T) {
		cases := []struct {
			name string
			edit func(*Preset)
			want string
		}{
			{"size", func(p *Preset) { p.InputWidth = 32 }, "shape"},
			{"layout", func(p *Preset) { p.Layout = NHWC }, "shape"},
			{"type", func(p *Preset) { p.InputType = Float16 }, "preset says float16"},
			{"input-name", func(p *Preset) { p.InputName = "image" }, `no input "image"`},
			{"output-name", func(p *Preset) { p.Output = "mask" }, `no output "mask" (the model has "output", "neg")`},
			{"output-index", func(p *Preset) { p.Output = ""; p.OutputIndex = 2 }, "output index 2"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := base
				tc.edit(&p)
				s, err := NewSession(p, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				err = s.Load()
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Load: %v, want %q", err, tc.want)
				}
				// Segment reports the same, and the session stays unloaded.
				_, err = s.Segment(context.Background(), make([]byte, p.InputWidth*p.InputHeight*3), p.InputWidth, p.InputHeight)
				if err == nil || !strings.Contains(err.Error(), tc.want) || s.Loaded() {
					t.Fatalf("Segment: %v", err)
				}
			})
		}
	})

	t.Run("new", func(t *testing.T) {
		p := base
		p.SHA256 = strings.Repeat("0", 64)
		if _, err := NewSession(p, Options{}); err == nil || !strings.Contains(err.Error(), "sha256") {
			t.Fatalf("pinned sha256 mismatch: %v", err)
		}
		p = base
		p.MD5 = strings.Repeat("0", 32)
		if _, err := NewSession(p, Options{}); err == nil || !strings.Contains(err.Error(), "md5") {
			t.Fatalf("pinned md5 mismatch: %v", err)
		}
		u2, _ := Lookup("u2net")
		if _, err := NewSession(u2, Options{ModelsDir: t.TempDir()}); err == nil ||
			!strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), "make model NAME=u2net") {
			t.Fatalf("missing file: %v", err)
		}
		p = base
		p.File = "tiny.onnx"
		if _, err := NewSession(p, Options{}); err == nil || !strings.Contains(err.Error(), "no models directory") {
			t.Fatalf("relative file without dir: %v", err)
		}
		p.File = "tiny.onnx"
		s, err := NewSession(p, Options{ModelsDir: filepath.Dir(path)})
		if err != nil {
			t.Fatalf("relative file with dir: %v", err)
		}
		s.Close()
		for _, o := range []Options{{Provider: "rocm"}, {GraphOptimization: "max"}, {IntraOpThreads: -1}, {DeviceID: -1}} {
			if _, err := NewSession(base, o); err == nil {
				t.Fatalf("options %+v accepted", o)
			}
		}
	})

	t.Run("segment", func(t *testing.T) {
		s, err := NewSession(base, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		if _, err := s.Segment(ctx, make([]byte, 8*16*3), 8, 16); err == nil || !strings.Contains(err.Error(), "takes 16x8") {
			t.Fatalf("transposed size: %v", err)
		}
		if _, err := s.Segment(ctx, make([]byte, 16*8*4), 16, 8); err == nil || !strings.Contains(err.Error(), "rgb has") {
			t.Fatalf("RGBA bytes: %v", err)
		}
		if err := s.SegmentInto(ctx, make([]byte, 10), make([]byte, 16*8*3), 16, 8); err == nil {
			t.Fatal("short mask accepted")
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Segment(cctx, make([]byte, 16*8*3), 16, 8); !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled ctx: %v", err)
		}
	})
}

func TestRuntimeInit(t *testing.T) {
	if err := InitRuntime(""); err == nil {
		t.Fatal("empty path accepted")
	}
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so")
	if err := checkLibrary(missing); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing library: %v", err)
	}
	if err := checkLibrary(t.TempDir()); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("directory: %v", err)
	}
	needRuntime(t)
	if err := InitRuntime(libPath); err != nil {
		t.Fatalf("second InitRuntime with the same path: %v", err)
	}
	if err := InitRuntime(missing); err == nil || !strings.Contains(err.Error(), "cannot switch") {
		t.Fatalf("InitRuntime with another path: %v", err)
	}
	if v := RuntimeVersion(); !strings.HasPrefix(v, "1.") {
		t.Fatalf("version %q", v)
	}
}

func TestProviderFallback(t *testing.T) {
	m := tinyModel{W: 16, H: 16, Channel: 1}
	for _, prov := range []string{ProviderCUDA, ProviderTensorRT} {
		t.Run(prov, func(t *testing.T) {
			var mu sync.Mutex
			var lines []string
			logf := func(f string, a ...any) {
				mu.Lock()
				lines = append(lines, fmt.Sprintf(f, a...))
				mu.Unlock()
			}
			s, p := openTiny(t, m, nil, Options{Provider: prov, DeviceID: 0, Logf: logf})
			rgb := randomRGB(16, 16, 1, 255)
			mask, err := s.Segment(context.Background(), rgb, 16, 16)
			info := s.Info()
			if info.Provider == prov {
				// A GPU build with a working device: nothing to fall back from.
				t.Skipf("skipping: %s is available here", prov)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := maxDiff(mask, refMask(p, rgb, 1, false)); d != 0 {
				t.Fatal("wrong mask after fallback")
			}
			if info.Provider != ProviderCPU {
				t.Fatalf("provider %q after fallback", info.Provider)
			}
			// TensorRT falls back to CUDA first, then (no GPU here) to the CPU.
			want := []string{prov + " unavailable", "falling back to cpu"}
			if prov == ProviderTensorRT {
				want = []string{"tensorrt unavailable", "falling back to cuda", "cuda unavailable", "falling back to cpu"}
			}
			if len(lines) != len(want)/2 {
				t.Fatalf("log lines %q, want %q", lines, want)
			}
			for i, w := range want {
				if !strings.Contains(lines[i/2], w) {
					t.Fatalf("log line %d %q, want %q in it", i/2, lines[i/2], w)
				}
			}
			logged := len(lines)
			t.Logf("logged: %q", lines)

			strict, err := NewSession(p, Options{Provider: prov, Strict: true, Logf: logf})
			if err != nil {
				t.Fatal(err)
			}
			defer strict.Close()
			err = strict.Load()
			if err == nil || !strings.Contains(err.Error(), "creating "+prov+" session") {
				t.Fatalf("strict: %v", err)
			}
			if len(lines) != logged {
				t.Fatalf("strict mode logged %q", lines[logged:])
			}
			t.Logf("strict error: %v", err)
		})
	}
}

func TestSessionConcurrent(t *testing.T) {
	const W, H = 24, 16
	m := tinyModel{W: W, H: H, Channel: 2, InF16: true}
	s, p := openTiny(t, m, func(p *Preset) { p.DivideByMax = true; p.MinMax = true }, Options{IntraOpThreads: 1, MaxIdleBuffers: 3})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				rgb := randomRGB(W, H, uint64(g*100+i), 80+g*20)
				mask, err := s.Segment(context.Background(), rgb, W, H)
				if err != nil {
					errs <- err
					return
				}
				if d, at := maxDiff(mask, refMask(p, rgb, 2, false)); d > 1 {
					errs <- fmt.Errorf("goroutine %d call %d: off by %d at %d", g, i, d, at)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s.Runs() != 80 {
		t.Fatalf("runs %d", s.Runs())
	}
}

func TestSessionQueueFull(t *testing.T) {
	pool := NewPool(1, 0)
	m := tinyModel{W: 16, H: 16, Channel: 0}
	s, _ := openTiny(t, m, nil, Options{IntraOpThreads: 1, Pool: pool, MemPattern: true, DisableCPUArena: true})
	hold := make(chan struct{})
	started := make(chan struct{})
	done := make(chan error)
	go func() { done <- pool.Do(context.Background(), func() error { close(started); <-hold; return nil }) }()
	<-started
	_, err := s.Segment(context.Background(), make([]byte, 16*16*3), 16, 16)
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("busy pool: %v", err)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Segment(context.Background(), make([]byte, 16*16*3), 16, 16); err != nil {
		t.Fatalf("free pool: %v", err)
	}
	if st := pool.Stats(); st.Rejected != 1 || st.Completed != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseWaitsForRunning(t *testing.T) {
	m := tinyModel{W: 16, H: 16, Channel: 0}
	pool := NewPool(2, 2)
	s, _ := openTiny(t, m, nil, Options{IntraOpThreads: 1, Pool: pool})
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	// Run many calls while closing: each either succeeds or gets ErrClosed,
	// and nothing crashes (the race detector watches the rest).
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				_, err := s.Segment(context.Background(), make([]byte, 16*16*3), 16, 16)
				if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrQueueFull) {
					t.Error(err)
					return
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

func TestHashCacheNoticesChanges(t *testing.T) {
	needRuntime(t)
	m := tinyModel{W: 16, H: 16, Channel: 0}
	path := m.write(t)
	p := tinyPreset(path, m)
	s1, err := NewSession(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s1.Close()
	m.Channel = 2
	if err := os.WriteFile(path, m.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	s2, err := NewSession(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	raw, _ := os.ReadFile(path)
	sum := sha256.Sum256(raw)
	if s2.Info().SHA256 != hex.EncodeToString(sum[:]) || s2.Info().SHA256 == s1.Info().SHA256 {
		t.Fatalf("stale hash after rewrite: %s then %s", s1.Info().SHA256, s2.Info().SHA256)
	}
}

// A session made at provision loads its model later (lazily): weights
// written over the file in between are refused, since the session's hash,
// and the cache keys and header made from it, describe the first file. The
// file put back, the next Load succeeds.
func TestLoadRefusesAFileChangedSinceNewSession(t *testing.T) {
	needRuntime(t)
	first := tinyModel{W: 4, H: 4, Channel: 0} // red → 255
	path := first.write(t)
	s, err := NewSession(tinyPreset(path, first), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	mtime := fi.ModTime()
	other := tinyModel{W: 4, H: 4, Channel: 2} // red → 0
	if err := os.WriteFile(path, other.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same size, and the first file's modification time given back
	// (touch -r, an archive's extraction): still found out.
	if fi, err := os.Stat(path); err != nil || fi.Size() != int64(len(first.bytes())) {
		t.Fatalf("the other model is not the same size: %v", err)
	}
	if err := os.Chtimes(path, time.Time{}, mtime); err != nil {
		t.Fatal(err)
	}
	if err := s.Load(); err == nil || !strings.Contains(err.Error(), "changed since the session was made") {
		t.Fatalf("Load of a replaced file: %v, want a refusal", err)
	}
	if err := os.WriteFile(path, first.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	red := make([]byte, 4*4*3)
	for i := 0; i < len(red); i += 3 {
		red[i] = 255
	}
	mask, err := s.Segment(context.Background(), red, 4, 4)
	if err != nil {
		t.Fatalf("Segment after the file was put back: %v", err)
	}
	if mask[0] != 255 {
		t.Errorf("mask[0] = %d, want 255 (the first model's red channel)", mask[0])
	}
}
