package segment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGPURuntimeReachesCUDA checks the GPU build of ONNX Runtime that
// `GPU=1 make runtime` puts in runtime/gpu/lib: a cuda session must reach
// the CUDA provider. On a machine with CUDA 13 and cuDNN 9 it loads; on
// others the provider's CUDA libraries fail to load. A core library built
// without the CUDA provider interface fails before that, with "CUDA
// execution provider is not enabled in this build": NuGet's CPU core, which
// the GPU setup shipped until it took onnxruntime-node's. ONNX Runtime is
// loaded once per process, so the check runs in a child process of this
// test binary with that build as its runtime.
func TestGPURuntimeReachesCUDA(t *testing.T) {
	if os.Getenv("MATTE_GPU_PROBE") == "1" {
		p := needModel(t, "isnet")
		s, err := NewSession(p, Options{ModelsDir: modelsDir, Provider: ProviderCUDA, Strict: true})
		if err == nil {
			defer s.Close()
			err = s.Load()
		}
		switch {
		case err == nil:
			t.Logf("CUDA session loaded: provider %s", s.Info().Provider)
		case strings.Contains(err.Error(), "not enabled in this build"):
			t.Fatalf("the GPU build's core library has no CUDA provider interface: %v", err)
		default:
			t.Logf("CUDA reached, unavailable here: %v", err)
		}
		return
	}
	needModel(t, "isnet") // the child's model comes from the same folder
	gpuLib := filepath.Join(runtimeDir, "gpu", "lib")
	if _, err := os.Stat(filepath.Join(gpuLib, "libonnxruntime_providers_cuda.so")); err != nil {
		t.Skipf("skipping: no GPU build of ONNX Runtime in %s (`GPU=1 make runtime` fetches it)", gpuLib)
	}
	child := t.TempDir()
	for name, target := range map[string]string{"lib": gpuLib, "models": modelsDir} {
		if err := os.Symlink(target, filepath.Join(child, name)); err != nil {
			t.Fatal(err)
		}
	}
	out := runInChild(t, "TestGPURuntimeReachesCUDA", "MATTE_GPU_PROBE=1", "MATTE_RUNTIME="+child)
	t.Logf("child with the GPU build:\n%s", out)
	if !strings.Contains(out, "CUDA session loaded") && !strings.Contains(out, "CUDA reached") {
		t.Fatal("the child did not run the check")
	}
}
