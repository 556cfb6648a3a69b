package segment

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jebosio/matte/internal/testimages"
)

// Test environment: the ONNX Runtime library and models come from
// $MATTE_RUNTIME, else from runtime/ next to go.mod; the test images from
// $MATTE_TESTDATA, else ../shared/testdata or shared/testdata next to the
// repository. Tests that need what is absent skip, saying why.
var (
	repoRoot   string
	runtimeDir string
	libPath    string
	modelsDir  string
	libErr     error // why the runtime is unusable, nil when InitRuntime succeeded
)

func TestMain(m *testing.M) {
	repoRoot = testimages.RepoRoot()
	runtimeDir = os.Getenv("MATTE_RUNTIME")
	if runtimeDir == "" && repoRoot != "" {
		runtimeDir = filepath.Join(repoRoot, "runtime")
	}
	if runtimeDir == "" {
		libErr = errors.New("no $MATTE_RUNTIME and no go.mod above the package directory")
	} else {
		libPath = filepath.Join(runtimeDir, "lib", "libonnxruntime.so")
		modelsDir = filepath.Join(runtimeDir, "models")
		if _, err := os.Stat(libPath); err != nil {
			libErr = fmt.Errorf("ONNX Runtime library %s absent (run `make runtime`)", libPath)
		} else if os.Getenv("MATTE_LAZY_PROBE") == "1" {
			// TestUseRuntimeLoadsOnFirstLoad's child: named, not loaded.
			libErr = UseRuntime(libPath)
		} else if err := InitRuntime(libPath); err != nil {
			libErr = err
		}
	}
	os.Exit(m.Run())
}

// needRuntime skips t when the ONNX Runtime library could not be loaded.
func needRuntime(t testing.TB) {
	t.Helper()
	if libErr != nil {
		t.Skipf("skipping: %v", libErr)
	}
}

// needModel skips t when the runtime or the preset's model file is absent.
func needModel(t testing.TB, name string) Preset {
	t.Helper()
	needRuntime(t)
	p, ok := Lookup(name)
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	if _, err := os.Stat(filepath.Join(modelsDir, p.File)); err != nil {
		t.Skipf("skipping: model %s absent in %s (%s)", p.File, modelsDir, p.Fetch)
	}
	return p
}

// testdataDir returns the shared test images folder or skips t.
func testdataDir(t testing.TB) string {
	t.Helper()
	cands := []string{os.Getenv("MATTE_TESTDATA")}
	if repoRoot != "" {
		cands = append(cands,
			filepath.Join(repoRoot, "..", "shared", "testdata"),
			filepath.Join(repoRoot, "shared", "testdata"))
	}
	for _, d := range cands {
		if d == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(d, "synthetic")); err == nil && st.IsDir() {
			return d
		}
	}
	t.Skip("skipping: shared testdata folder absent (set MATTE_TESTDATA)")
	return ""
}

// runInChild runs the test name alone in a child process of this test
// binary, with env added to its environment, and returns its output: ONNX
// Runtime loads once per process, so a test of how it loads needs a fresh
// one. A failing child fails t.
func runInChild(t *testing.T, name string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+name+"$", "-test.v", "-test.count", "1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}
