package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/faces"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/segment"
)

// TestRemovalRefusedBeforeDecode: with the inference pool full, Ready
// refuses a source whose matte would need an inference, with the 503 that
// Matte answers and the pool's Retry-After, and counts it as the pool's
// refusal; a matte cached or
// being made is not refused. (The pipeline asks Ready before decoding:
// transform's TestRemovalNotReady.)
func TestRemovalRefusedBeforeDecode(t *testing.T) {
	p, ok := segment.Lookup("isnet")
	if !ok {
		t.Fatal("no isnet preset")
	}
	// Ready never runs the model: any file gives the session a fingerprint.
	p.File, p.SHA256, p.MD5 = filepath.Join(t.TempDir(), "model.onnx"), "", ""
	if err := os.WriteFile(p.File, []byte("not a model"), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := segment.NewPool(1, 0)
	s, err := segment.NewSession(p, segment.Options{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	mt := testMatter(t, &models{def: p.Name, sessions: map[string]*segment.Session{p.Name: s}, pool: pool})
	c := mt.cache
	key := func(source string) string { return hashKey(source, s.Info().Fingerprint) }

	if err := mt.Ready("", "new"); err != nil {
		t.Fatalf("pool free: %v", err)
	}
	// One inference of 1.2 s sets the pool's average run time.
	if err := pool.Do(context.Background(), func() error { time.Sleep(1200 * time.Millisecond); return nil }); err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- pool.Do(context.Background(), func() error { close(started); <-release; return nil }) }()
	<-started
	defer func() { close(release); <-done }()

	var pe *params.Error
	err = mt.Ready("", "new")
	if !errors.As(err, &pe) || pe.Status != http.StatusServiceUnavailable || pe.Code != "overloaded" {
		t.Fatalf("pool full: %v, want a 503 overloaded", err)
	}
	if st := pool.Stats(); st.Rejected != 1 {
		t.Fatalf("pool refusals %d, want 1", st.Rejected)
	}
	// The running inference and this one, at 1.2 s each on one slot.
	if ra := retryAfterSeconds(err); ra != "2" {
		t.Errorf("Retry-After %q, want 2", ra)
	}
	if err := mt.Ready("", "new"); !errors.As(err, &pe) || pe.Status != http.StatusServiceUnavailable {
		t.Fatalf("pool still full: %v", err)
	}

	c.Set(nsMask, key("cached"), cache.Entry{Value: []byte{1}, ContentType: "application/x-matte"})
	c.Flush()
	if err := mt.Ready("", "cached"); err != nil {
		t.Fatalf("cached matte: %v", err)
	}

	inFlight, finish := make(chan struct{}), make(chan struct{})
	go func() {
		_, _, _ = c.Do(context.Background(), nsMask, key("flying"), func(context.Context) (cache.Entry, bool, error) {
			close(inFlight)
			<-finish
			return cache.Entry{}, false, errors.New("done")
		})
	}()
	<-inFlight
	if err := mt.Ready("", "flying"); err != nil {
		t.Errorf("matte being made: %v", err)
	}
	close(finish)

	if err := mt.Ready("nope", "new"); !errors.As(err, &pe) || pe.Field != "model" {
		t.Errorf("unknown model with the pool full: %v, want the model error", err)
	}
}

// TestRemovalStrictProviderCheckedAtStart: strict promises a startup error
// where the GPU provider is missing, so a strict cuda configuration loads
// its models when it opens: on a machine without CUDA the open fails naming
// the provider; with it the session is loaded on cuda. Never a lazy session
// that would fail every removal later.
func TestRemovalStrictProviderCheckedAtStart(t *testing.T) {
	r := &Removal{Provider: "cuda", Strict: true}
	needRemovalRuntime(t, r)
	m, err := r.open(zap.NewNop())
	if err != nil {
		if !strings.Contains(err.Error(), "cuda") {
			t.Fatalf("strict cuda without CUDA: error %q does not name the provider", err)
		}
		return
	}
	defer m.Destruct()
	if info := m.sessions["isnet"].Info(); !info.Loaded || info.Provider != "cuda" {
		t.Fatalf("strict cuda opened without checking the provider: %+v", info)
	}
}

// A reload can close the face detector while a request of the old
// configuration is between its Load and its Detect: that request gets
// FacesUnavailable (a face crop's fallback, not kept; a 501 for obscuring
// faces), never an internal error. The input closes it at that point.
func TestFacesDetectorClosedMidRequest(t *testing.T) {
	dir := os.Getenv("MATTE_RUNTIME")
	if dir == "" {
		dir = filepath.Join("..", "runtime")
	}
	lib, model := filepath.Join(dir, "lib", "libonnxruntime.so"), filepath.Join(dir, "models", "blazeface-back.onnx")
	for _, f := range []string{lib, model} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("face detector runtime not fetched (%v); run `make runtime`", err)
		}
	}
	if err := segment.UseRuntime(lib); err != nil {
		t.Fatal(err)
	}
	d, err := faces.New(faces.Options{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	f := faceFinder{d: d, metrics: newMetrics(), unavailable: func(error) {}}
	_, err = f.Faces(context.Background(), "", false, func(context.Context) ([]byte, int, int, error) {
		d.Close() // the reload's cleanup of the old configuration
		return make([]byte, 256*256*3), 256, 256, nil
	})
	var pub *params.Error
	if !errors.As(err, &pub) || pub.Code != "faces_unavailable" || pub.Status != http.StatusNotImplemented {
		t.Fatalf("Faces with the detector closed after its Load: %v, want FacesUnavailable", err)
	}
}

// TestSegmentationClosedMidRequest: a reload can close the segmentation
// sessions (its models' UsagePool entry destructed) while a request of the
// old configuration is between its Load and its Segment: that request gets
// RemovalUnavailable, never an internal error, as the face detector's.
func TestSegmentationClosedMidRequest(t *testing.T) {
	r := &Removal{}
	needRemovalRuntime(t, r)
	m, err := r.open(zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mt := testMatter(t, m)
	spec, err := mt.Spec("")
	if err != nil {
		t.Fatal(err)
	}
	_, err = mt.Matte(context.Background(), "", "closed-mid-request", true, func() ([]byte, error) {
		_ = m.Destruct() // the reload's cleanup of the old configuration
		return make([]byte, spec.Width*spec.Height*3), nil
	})
	var pub *params.Error
	if !errors.As(err, &pub) || pub.Code != "removal_unavailable" || pub.Status != http.StatusNotImplemented {
		t.Fatalf("Matte with the session closed after its Load: %v, want RemovalUnavailable", err)
	}
}

// TestRemovalConfigRefusedBeforeLoading: a model name that is no preset
// nor custom model, and a negative count, are the operator's errors,
// refused when the config is provisioned, not a removal turned off with a
// warning to fetch the runtime.
func TestRemovalConfigRefusedBeforeLoading(t *testing.T) {
	minus := -1
	for _, r := range []Removal{
		{Model: "isnett"},
		{Allow: []string{"u2netp_typo"}},
		{Threads: -2},
		{Concurrency: -3},
		{Batch: -1},
		{Queue: &minus},
		{BatchWait: -1},
	} {
		if err := r.validate(); err == nil {
			t.Errorf("%+v: accepted", r)
		}
	}
	for _, r := range []Removal{{}, {Model: "isnet", Allow: []string{"u2netp"}}, {Threads: 2, Concurrency: 1, Batch: 4}} {
		if err := r.validate(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
}

// TestStrictGPUFailsStartup: `strict` with a GPU provider that cannot be
// used is a startup error (README, GPU), not a server whose rembg=1 answers
// 501: the config is refused whether or not preload is set.
func TestStrictGPUFailsStartup(t *testing.T) {
	r := &Removal{}
	needRemovalRuntime(t, r)
	probe := &Removal{Provider: "cuda", Strict: true}
	probe.fillDefaults()
	if m, err := probe.open(zap.NewNop()); err == nil {
		_ = m.Destruct()
		t.Skip("CUDA is usable on this machine: strict cuda loads")
	}
	cfg := []byte(`{"admin":{"disabled":true},"apps":{"http":{"servers":{"s":{"listen":["127.0.0.1:0"],` +
		`"routes":[{"handle":[{"handler":"matte","rembg":{"execution_provider":"cuda","strict":true}}]}]}}}}}`)
	var c caddy.Config
	if err := json.Unmarshal(cfg, &c); err != nil {
		t.Fatal(err)
	}
	if err := caddy.Validate(&c); err == nil || !strings.Contains(err.Error(), "cuda") {
		t.Fatalf("strict cuda on a machine without CUDA: %v, want the config refused naming cuda", err)
	}
}

// needRemovalRuntime fills r's defaults and skips t, saying why, when the
// runtime library or the default model is not fetched.
func needRemovalRuntime(t *testing.T, r *Removal) {
	t.Helper()
	r.fillDefaults()
	for _, f := range []string{r.Runtime, filepath.Join(r.ModelsDir, "isnet-fp16.onnx")} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("background-removal runtime not fetched (%v); run `make runtime`", err)
		}
	}
}

// testMatter is a matter over m with a cache of its own, closed with t.
func testMatter(t *testing.T, m *models) *matter {
	t.Helper()
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &matter{m: m, cache: c, metrics: newMetrics()}
}

// TestMatteFlightOfAnotherPoolIsNotAnswered: handlers whose rembg settings
// differ share mattes (one cache, the model's key) but not inference
// pools. A caller that joined the matte flight of another pool, which
// failed there (its pool full or closed), makes the matte itself instead
// of answering the other pool's failure.
func TestMatteFlightOfAnotherPoolIsNotAnswered(t *testing.T) {
	r := &Removal{}
	needRemovalRuntime(t, r)
	open := func() *models {
		m, err := r.open(zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Destruct() })
		return m
	}
	strict := testMatter(t, open())
	other := &matter{m: open(), cache: strict.cache, metrics: newMetrics()}
	spec, err := other.Spec("")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	refused := errors.New("the strict pool's refusal")
	done := make(chan error, 1)
	go func() {
		_, err := strict.Matte(context.Background(), "", "shared-source", false, func() ([]byte, error) {
			close(started)
			<-release
			return nil, refused
		})
		done <- err
	}()
	<-started
	joined := make(chan struct{})
	var mask []byte
	go func() {
		defer close(joined)
		mask, err = other.Matte(context.Background(), "", "shared-source", false, func() ([]byte, error) {
			return make([]byte, spec.Width*spec.Height*3), nil
		})
	}()
	time.Sleep(200 * time.Millisecond) // other joins strict's flight
	close(release)
	if got := <-done; !errors.Is(got, refused) {
		t.Fatalf("the strict pool's own caller: %v, want its refusal", got)
	}
	<-joined
	if err != nil || len(mask) == 0 {
		t.Fatalf("the other pool's caller: %d-byte matte, %v; want its own matte", len(mask), err)
	}

	// A pool's refusal is mapped on every way out of Matte: a 503 with
	// Retry-After, never the bare sentinel (a 500).
	_, err = strict.Matte(context.Background(), "", "full-pool", false, func() ([]byte, error) {
		return nil, segment.ErrQueueFull
	})
	var pub *params.Error
	if !errors.As(err, &pub) || pub.Status != http.StatusServiceUnavailable || pub.Code != "overloaded" {
		t.Fatalf("a full pool: %v, want 503 overloaded", err)
	}
}
