package segment

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// TestMaskShape pins how declared output shapes (-1: dynamic) are read as
// one 20x12 mask per image, and which are refused.
func TestMaskShape(t *testing.T) {
	const W, H = 20, 12
	for _, tc := range []struct {
		dims   []int64
		layout Layout
		want   []int64 // nil: refused
		batch  bool
	}{
		{[]int64{1, 1, 12, 20}, NCHW, []int64{1, 1, 12, 20}, true},
		{[]int64{-1, 1, -1, -1}, NCHW, []int64{1, 1, 12, 20}, true},
		{[]int64{-1, 1, 12, 20}, NHWC, []int64{1, 1, 12, 20}, true},
		{[]int64{1, 12, 20, 1}, NCHW, []int64{1, 12, 20, 1}, true},
		{[]int64{-1, -1, -1, 1}, NCHW, []int64{1, 12, 20, 1}, true},
		{[]int64{-1, 12, 20, -1}, NCHW, []int64{1, 12, 20, 1}, true},
		{[]int64{-1, -1, -1, -1}, NCHW, []int64{1, 1, 12, 20}, true},
		{[]int64{-1, -1, -1, -1}, NHWC, []int64{1, 12, 20, 1}, true},
		{[]int64{1, 12, 20}, NCHW, []int64{1, 12, 20}, true},
		{[]int64{-1, -1, -1}, NCHW, []int64{1, 12, 20}, true},
		{[]int64{-1, -1, -1}, NHWC, []int64{1, 12, 20}, true},
		{[]int64{12, 20, 1}, NCHW, []int64{12, 20, 1}, false},
		{[]int64{12, 20}, NCHW, []int64{12, 20}, false},
		{[]int64{-1, -1}, NHWC, []int64{12, 20}, false},
		{[]int64{1, 1, 1, 12, 20}, NCHW, []int64{1, 1, 1, 12, 20}, true},
		{[]int64{0, 1, 0, 0}, NCHW, []int64{1, 1, 12, 20}, true}, // 0: unknown

		{[]int64{1, 2, 12, 20}, NCHW, nil, false},        // two channels
		{[]int64{1, 1, 20, 12}, NCHW, nil, false},        // transposed
		{[]int64{1, 1, 6, 10}, NCHW, nil, false},         // half the input size
		{[]int64{1, 12, 20, 3}, NHWC, nil, false},        // three channels
		{[]int64{2, 1, 12, 20}, NCHW, nil, false},        // a fixed batch of 2
		{[]int64{1, 240}, NCHW, nil, false},              // flattened
		{[]int64{240}, NCHW, nil, false},                 // rank 1
		{[]int64{}, NCHW, nil, false},                    // a scalar
		{[]int64{-1, -1, -1, 1, 1, 1}, NCHW, nil, false}, // open, and no reading the layout picks
	} {
		got, batch, err := maskShape(tc.dims, tc.layout, W, H)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("%v %v: read as %v, want refused", tc.dims, tc.layout, got)
		case tc.want == nil && !strings.Contains(err.Error(), "shape "+ort.Shape(tc.dims).String()):
			t.Errorf("%v %v: error %q does not name the shape", tc.dims, tc.layout, err)
		case tc.want != nil && err != nil:
			t.Errorf("%v %v: %v", tc.dims, tc.layout, err)
		case tc.want != nil && (!slices.Equal(got, ort.Shape(tc.want)) || batch != tc.batch):
			t.Errorf("%v %v: read as %v (batch %v), want %v (batch %v)", tc.dims, tc.layout, got, batch, tc.want, tc.batch)
		}
	}
}

// TestOutputShapesRun runs tiny models whose output has the shapes
// maskShape reads: each gives the right mask, none fails at run time.
func TestOutputShapesRun(t *testing.T) {
	const W, H = 20, 12
	for _, tc := range []struct {
		name  string
		model tinyModel
	}{
		{"[H W]", tinyModel{Reshape: []int64{H, W}}},
		{"[H W] dynamic", tinyModel{Reshape: []int64{H, W}, OutDims: []int64{-1, -1}}},
		{"[1 H W]", tinyModel{Reshape: []int64{1, H, W}}},
		{"[H W 1]", tinyModel{Reshape: []int64{H, W, 1}}},
		{"nchw in, [1 H W 1] out", tinyModel{Reshape: []int64{1, H, W, 1}}},
		{"nchw in, [N H W 1] out, dynamic", tinyModel{Reshape: []int64{1, H, W, 1}, OutDims: []int64{-1, -1, -1, 1}}},
		{"nhwc in, [1 1 H W] out", tinyModel{NHWC: true, Reshape: []int64{1, 1, H, W}}},
		{"nhwc, dynamic", tinyModel{NHWC: true, Dynamic: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.model.W, tc.model.H, tc.model.Channel = W, H, 1
			s, p := openTiny(t, tc.model, nil, Options{IntraOpThreads: 1, MaxBatch: 2})
			rgb := randomRGB(W, H, 3, 255)
			mask, err := s.Segment(context.Background(), rgb, W, H)
			if err != nil {
				t.Fatal(err)
			}
			if d, at := maxDiff(mask, refMask(p, rgb, 1, false)); d != 0 {
				t.Fatalf("mask differs by %d at %d", d, at)
			}
		})
	}
}

// TestOutputShapeRefusedAtLoad: an output no mask can be read from is
// refused by Load, naming the model file and the shape.
func TestOutputShapeRefusedAtLoad(t *testing.T) {
	const W, H = 20, 12
	m := tinyModel{W: W, H: H, Reshape: []int64{1, 2, H / 2, W}}
	s, p := openTiny(t, m, nil, Options{IntraOpThreads: 1})
	err := s.Load()
	if err == nil {
		t.Fatal("loaded a model whose output is two half-height planes")
	}
	for _, want := range []string{p.File, "[1 2 6 20]", `output "output"`, `"neg" [1 1 12 20]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
}

// TestProviderOptions pins the ONNX Runtime options each provider gets.
func TestProviderOptions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     Options
		provider string
		want     map[string]string
	}{
		{"cpu", Options{GPUMemLimit: 1 << 30, TensorRTCache: "/c"}, ProviderCPU, nil},
		{"cuda", Options{}, ProviderCUDA, map[string]string{"device_id": "0"}},
		{"cuda, device and limit", Options{DeviceID: 2, GPUMemLimit: 6 << 30, TensorRTCache: "/c"}, ProviderCUDA,
			map[string]string{"device_id": "2", "gpu_mem_limit": "6442450944"}},
		{"tensorrt", Options{GPUMemLimit: 1 << 30}, ProviderTensorRT, map[string]string{"device_id": "0"}},
		{"tensorrt, cache", Options{DeviceID: 1, TensorRTCache: "/var/lib/caddy/matte/tensorrt"}, ProviderTensorRT,
			map[string]string{
				"device_id":               "1",
				"trt_engine_cache_enable": "1",
				"trt_engine_cache_path":   "/var/lib/caddy/matte/tensorrt/b6e8497ba978-ort1.24.3",
				"trt_timing_cache_enable": "1",
				"trt_timing_cache_path":   "/var/lib/caddy/matte/tensorrt",
			}},
		{"tensorrt, relative cache", Options{TensorRTCache: "trt"}, ProviderTensorRT,
			map[string]string{
				"device_id":               "0",
				"trt_engine_cache_enable": "1",
				"trt_engine_cache_path":   "trt/b6e8497ba978-ort1.24.3",
				"trt_timing_cache_enable": "1",
				"trt_timing_cache_path":   "trt",
			}},
	} {
		if got := tc.opts.providerOptions(tc.provider, engineFolder("b6e8497ba978", "1.24.3")); !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestGPUOptionsWithoutGPU: the GPU options pass through provider setup
// on a runtime without the GPU providers: a tensorrt session falls back
// to the CPU and runs (strict: refused), and no engine folder is made.
func TestGPUOptionsWithoutGPU(t *testing.T) {
	const W, H = 8, 8
	cacheDir := filepath.Join(t.TempDir(), "trt")
	opts := Options{IntraOpThreads: 1, Provider: ProviderTensorRT, GPUMemLimit: 1 << 30, TensorRTCache: cacheDir,
		Logf: func(string, ...any) {}}
	s, p := openTiny(t, tinyModel{W: W, H: H, Channel: 2}, nil, opts)
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if s.Info().Provider != ProviderCPU {
		t.Skipf("skipping: this runtime has %s; the test is for one without GPU providers", s.Info().Provider)
	}
	rgb := randomRGB(W, H, 1, 255)
	mask, err := s.Segment(context.Background(), rgb, W, H)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := maxDiff(mask, refMask(p, rgb, 2, false)); d != 0 {
		t.Fatal("wrong mask")
	}
	if _, err := os.Stat(cacheDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a runtime without TensorRT made the engine cache folder (%v)", err)
	}
	opts.Strict = true
	strict, _ := openTiny(t, tinyModel{W: W, H: H, Channel: 2}, nil, opts)
	if err := strict.Load(); err == nil || !strings.Contains(err.Error(), "tensorrt") {
		t.Fatalf("strict tensorrt on a runtime without it: %v", err)
	}
	if _, err := NewSession(p, Options{GPUMemLimit: -1}); err == nil {
		t.Fatal("a negative GPU memory limit was accepted")
	}
}
