package segment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUseRuntimeLoadsOnFirstLoad checks that UseRuntime only names the
// library: nothing is mapped until the first session loads, which loads it;
// a missing file is refused at once and leaves the named one; once loaded,
// another path cannot replace it. ONNX Runtime loads once per process, so
// the check runs in a child process of this test binary whose TestMain
// calls UseRuntime instead of InitRuntime.
func TestUseRuntimeLoadsOnFirstLoad(t *testing.T) {
	if os.Getenv("MATTE_LAZY_PROBE") == "1" {
		p := needModel(t, "isnet")
		if ortMapped(t) || RuntimeVersion() != "" {
			t.Fatal("ONNX Runtime loaded by UseRuntime")
		}
		if err := UseRuntime(filepath.Join(t.TempDir(), "missing.so")); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("UseRuntime of a missing file: %v", err)
		}
		s, err := NewSession(p, Options{ModelsDir: modelsDir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if ortMapped(t) {
			t.Fatal("ONNX Runtime loaded by NewSession")
		}
		if err := s.Load(); err != nil {
			t.Fatalf("first Load (the named library, not the missing one): %v", err)
		}
		if !ortMapped(t) || !strings.HasPrefix(RuntimeVersion(), "1.") {
			t.Fatalf("after Load: mapped %v, version %q", ortMapped(t), RuntimeVersion())
		}
		if err := UseRuntime(filepath.Join(t.TempDir(), "other.so")); err == nil || !strings.Contains(err.Error(), "cannot switch") {
			t.Fatalf("UseRuntime of another library once loaded: %v", err)
		}
		if err := UseRuntime(libPath); err != nil {
			t.Fatalf("UseRuntime of the loaded library: %v", err)
		}
		t.Log("loaded on first Load")
		return
	}
	needModel(t, "isnet") // the child's model comes from the same folder
	out := runInChild(t, "TestUseRuntimeLoadsOnFirstLoad", "MATTE_LAZY_PROBE=1", "MATTE_RUNTIME="+runtimeDir)
	if !strings.Contains(out, "loaded on first Load") {
		t.Fatalf("the child did not run the check:\n%s", out)
	}
}

// ortMapped reports whether the ONNX Runtime library is mapped into this
// process.
func ortMapped(t *testing.T) bool {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skipf("skipping: no /proc/self/maps: %v", err)
	}
	return strings.Contains(string(maps), "libonnxruntime")
}
