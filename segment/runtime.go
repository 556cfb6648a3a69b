package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// The ONNX Runtime library can be loaded once per process and its
// environment (OrtEnv) is a process-wide singleton, so this package keeps
// one, shared by every Session, and counts the sessions that use it.
// Caddy config reloads provision the new config before cleaning up the old
// one: the environment simply stays up, and the library path must not
// change while the process lives.
var rt struct {
	mu       sync.Mutex
	lib      string // the path that was loaded, once initialised
	ready    bool
	pending  string // UseRuntime's path, loaded by the first acquireRuntime
	sessions int    // loaded ORT sessions
}

var (
	// ErrRuntimeNotInitialized is returned by Load and Segment when
	// neither InitRuntime nor UseRuntime named the library.
	ErrRuntimeNotInitialized = errors.New("segment: ONNX Runtime not initialised (call InitRuntime or UseRuntime with the library path first)")
	// ErrRuntimeBusy is returned by ShutdownRuntime while sessions are loaded.
	ErrRuntimeBusy = errors.New("segment: ONNX Runtime still has loaded sessions")
)

// InitRuntime loads the ONNX Runtime shared library at libPath (for example
// runtime/lib/libonnxruntime.so) and creates the process-wide environment.
// It is idempotent: later calls with the same path return nil at once; a
// different path is an error, since a process cannot swap the library. A
// failed attempt (missing or wrong library) is not remembered, so a config
// reload with a corrected path can try again.
func InitRuntime(libPath string) error {
	abs, err := runtimePath(libPath)
	if err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return initLocked(abs)
}

// UseRuntime names the library that the first session to load (Load, the
// first Segment, or another package's AcquireRuntime) loads, and checks
// that the file is there; nothing is loaded now. A server that never runs a
// model thus never maps the library (some 18 MB resident) nor creates the
// environment; the price is that a library that is present but cannot be
// loaded is reported by that first load rather than here (InitRuntime, or
// Session.Load at start, reports it at once). Once the library is loaded,
// UseRuntime behaves as InitRuntime: the same path is a no-op, another an
// error; until then a later call's path replaces the earlier one, so a
// config reload with a corrected path takes effect.
func UseRuntime(libPath string) error {
	abs, err := runtimePath(libPath)
	if err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.ready {
		return sameLibrary(abs)
	}
	if err := checkLibrary(abs); err != nil {
		return err
	}
	rt.pending = abs
	return nil
}

func runtimePath(libPath string) (string, error) {
	if libPath == "" {
		return "", errors.New("segment: no ONNX Runtime library path given")
	}
	abs, err := filepath.Abs(libPath)
	if err != nil {
		return "", fmt.Errorf("segment: ONNX Runtime library path %q: %w", libPath, err)
	}
	return abs, nil
}

func sameLibrary(abs string) error {
	if rt.lib != abs {
		return fmt.Errorf("segment: ONNX Runtime already loaded from %q; cannot switch to %q without a restart", rt.lib, abs)
	}
	return nil
}

// initLocked loads the library at abs and creates the environment, unless
// it is loaded already. rt.mu is held.
func initLocked(abs string) error {
	if rt.ready {
		return sameLibrary(abs)
	}
	if err := checkLibrary(abs); err != nil {
		return err
	}
	if ort.IsInitialized() {
		// Someone else in the process initialised onnxruntime_go directly.
		return errors.New("segment: onnxruntime_go was initialised outside this package")
	}
	ort.SetSharedLibraryPath(abs)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("segment: loading ONNX Runtime from %q: %w", abs, err)
	}
	rt.lib, rt.ready, rt.pending = abs, true, ""
	return nil
}

// checkLibrary explains a missing or misplaced library better than dlopen.
func checkLibrary(abs string) error {
	st, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("segment: ONNX Runtime library %q not found (run `make runtime`, or point the config at libonnxruntime.so)", abs)
		}
		return fmt.Errorf("segment: ONNX Runtime library: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("segment: ONNX Runtime library %q is a directory; give the path of libonnxruntime.so", abs)
	}
	return nil
}

// RuntimeVersion is the loaded ONNX Runtime's version, or "" before
// InitRuntime.
func RuntimeVersion() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.ready {
		return ""
	}
	return ort.GetVersion()
}

// ShutdownRuntime destroys the environment and unloads the library. It is
// optional (process exit does it) and refuses with ErrRuntimeBusy while any
// session is loaded; never call it from a Caddy module's Cleanup, because
// the next config may already have sessions.
func ShutdownRuntime() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.ready {
		return nil
	}
	if rt.sessions > 0 {
		return fmt.Errorf("%w (%d)", ErrRuntimeBusy, rt.sessions)
	}
	if err := ort.DestroyEnvironment(); err != nil {
		return fmt.Errorf("segment: destroying ONNX Runtime environment: %w", err)
	}
	rt.ready, rt.lib = false, ""
	return nil
}

// acquireRuntime is called with a new ORT session about to be created: it
// loads the library UseRuntime named when none is loaded yet, fails when
// none can be, and otherwise counts the session.
func acquireRuntime() error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.ready {
		if rt.pending == "" {
			return ErrRuntimeNotInitialized
		}
		if err := initLocked(rt.pending); err != nil {
			return err
		}
	}
	rt.sessions++
	return nil
}

func releaseRuntime() {
	rt.mu.Lock()
	rt.sessions--
	rt.mu.Unlock()
}

// AcquireRuntime counts an ORT session that another package (faces) is
// about to create on this package's environment, so that ShutdownRuntime
// refuses while it lives; it loads the library UseRuntime named, if none
// is loaded yet, and fails with ErrRuntimeNotInitialized when neither
// InitRuntime nor UseRuntime named one. Every successful call is paired
// with one ReleaseRuntime after that session is destroyed.
func AcquireRuntime() error { return acquireRuntime() }

// ReleaseRuntime undoes one AcquireRuntime.
func ReleaseRuntime() { releaseRuntime() }
