package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/segment"
	"github.com/jebosio/matte/transform"
)

// Removal configures background removal (the `rembg` block).
type Removal struct {
	// Off disables background removal: rembg=1 answers 501.
	Off bool `json:"off,omitempty"`
	// Runtime is the ONNX Runtime shared library (default
	// $MATTE_RUNTIME/lib/libonnxruntime.so, else runtime/lib/...).
	Runtime string `json:"runtime,omitempty"`
	// ModelsDir holds the preset model files (default $MATTE_RUNTIME/models,
	// else runtime/models).
	ModelsDir string `json:"models_dir,omitempty"`
	// Model is the default model (default "isnet").
	Model string `json:"model,omitempty"`
	// Allow lists the models a request may pick with model=; the default
	// model is always allowed.
	Allow []string `json:"allow,omitempty"`
	// Custom models, usable by name once allowed.
	Custom []segment.CustomModel `json:"custom,omitempty"`
	// Threads is ONNX Runtime's intra-op threads per inference (default:
	// the CPU count, up to 4). Concurrency is how many inferences run at
	// once (default: CPUs / Threads) and Queue how many more may wait
	// (default 4 x Concurrency); past that, 503 with Retry-After.
	Threads     int  `json:"threads,omitempty"`
	Concurrency int  `json:"concurrency,omitempty"`
	Queue       *int `json:"queue,omitempty"`
	Spinning    bool `json:"spinning,omitempty"`
	// Provider is cpu (default), cuda or tensorrt, on DeviceID. Strict
	// makes an unavailable provider a startup error instead of a CPU
	// fallback: with a GPU provider the allowed models load at provision,
	// as with Preload.
	Provider string `json:"execution_provider,omitempty"`
	DeviceID int    `json:"device_id,omitempty"`
	Strict   bool   `json:"strict,omitempty"`
	// GPUMemLimit caps, in bytes, the memory arena of the CUDA provider
	// (cuda, and the CUDA behind tensorrt); 0 means no cap.
	GPUMemLimit int64 `json:"gpu_mem_limit,omitempty"`
	// TensorRTCache is where tensorrt keeps the engines it builds (a
	// subfolder per model file) and its timing cache, so that a restart
	// loads them instead of building them for minutes: a path as given, or
	// by default <caddy data>/matte/tensorrt. TensorRTCacheOff keeps none.
	// Both are for tensorrt only.
	TensorRTCache    string `json:"tensorrt_cache,omitempty"`
	TensorRTCacheOff bool   `json:"tensorrt_cache_off,omitempty"`
	// Preload loads every allowed model at provision (and fails the config
	// when one cannot load) instead of on first use.
	Preload bool `json:"preload,omitempty"`
	// Batch > 1 runs up to that many concurrent inferences of one model as
	// a single batch, for models with a dynamic batch dimension; the first
	// waits up to BatchWait (default 5ms) for company. Off by default: on
	// CPU it measured no gain (bench/RESULTS.md).
	Batch     int            `json:"batch,omitempty"`
	BatchWait caddy.Duration `json:"batch_wait,omitempty"`
}

func runtimeDir() string {
	if d := os.Getenv("MATTE_RUNTIME"); d != "" {
		return d
	}
	return "runtime"
}

// defaultRuntimeLibrary is the ONNX Runtime library rembg and faces load
// unless rembg names another.
func defaultRuntimeLibrary() string {
	return filepath.Join(runtimeDir(), "lib", "libonnxruntime.so")
}

// models is the shared segmentation state of one Removal configuration:
// one session per allowed model and one inference pool. App.Engines keeps
// it in a UsagePool, so a config reload reuses loaded sessions.
type models struct {
	def      string
	sessions map[string]*segment.Session
	pool     *segment.Pool
}

func (m *models) Destruct() error {
	var errs []error
	for _, s := range m.sessions {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// fillDefaults sets the defaults of the unset fields.
func (r *Removal) fillDefaults() {
	if r.Runtime == "" {
		r.Runtime = defaultRuntimeLibrary()
	}
	if r.ModelsDir == "" {
		r.ModelsDir = filepath.Join(runtimeDir(), "models")
	}
	if r.Model == "" {
		r.Model = "isnet"
	}
	// segment reads the provider in any case (JSON may say "CUDA"); the
	// checks here and the pool key read it lower-cased.
	r.Provider = strings.ToLower(r.Provider)
	if r.Provider == "" {
		r.Provider = "cpu"
	}
	if r.Provider == segment.ProviderTensorRT && r.TensorRTCache == "" && !r.TensorRTCacheOff {
		r.TensorRTCache = filepath.Join(caddy.AppDataDir(), "matte", "tensorrt")
	}
}

// validate refuses GPU settings that the provider would not use, and
// what the Caddyfile cannot express but JSON can.
func (r *Removal) validate() error {
	provider := strings.ToLower(r.Provider)
	if provider == "" {
		provider = segment.ProviderCPU
	}
	if err := r.validateModels(); err != nil {
		return err
	}
	switch {
	case r.Threads < 0 || r.Concurrency < 0 || r.Batch < 0 || r.BatchWait < 0 || r.Queue != nil && *r.Queue < 0:
		return fmt.Errorf("matte: rembg threads, concurrency, queue, batch and batch_wait must not be negative")
	case r.GPUMemLimit < 0:
		return fmt.Errorf("matte: rembg gpu_mem_limit %d: must not be negative", r.GPUMemLimit)
	case r.GPUMemLimit > 0 && provider != segment.ProviderCUDA && provider != segment.ProviderTensorRT:
		return fmt.Errorf("matte: rembg gpu_mem_limit: for execution_provider cuda or tensorrt, not %s", provider)
	case r.TensorRTCache != "" && r.TensorRTCacheOff:
		return fmt.Errorf("matte: rembg tensorrt_cache: both a path (%q) and off", r.TensorRTCache)
	case (r.TensorRTCache != "" || r.TensorRTCacheOff) && provider != segment.ProviderTensorRT:
		return fmt.Errorf("matte: rembg tensorrt_cache: for execution_provider tensorrt, not %s", provider)
	}
	if r.TensorRTCache != "" {
		if st, err := os.Stat(r.TensorRTCache); err == nil && !st.IsDir() {
			return fmt.Errorf("matte: rembg tensorrt_cache %q: not a directory", r.TensorRTCache)
		}
	}
	return nil
}

// strictGPU reports a GPU provider under strict, whose models must load at
// start: when they cannot, Provision fails instead of serving 501s.
func (r *Removal) strictGPU() bool {
	p := strings.ToLower(r.Provider)
	return r.Strict && p != "" && p != segment.ProviderCPU
}

// validateModels refuses a default or allowed model that is neither a
// preset nor a custom model, and a custom model that does not describe
// one, before anything loads: such a typo is the operator's error, not a
// runtime that is missing (open's errors turn removal off with a warning).
func (r *Removal) validateModels() error {
	if _, err := r.presets(); err != nil {
		return fmt.Errorf("matte: rembg: %w", err)
	}
	return nil
}

// namedPreset is a model the configuration serves, under the name
// requests give it.
type namedPreset struct {
	name string
	p    segment.Preset
}

// presets resolves the default model and the allowed ones, each once, the
// default first (an empty name, before fillDefaults, is skipped): a custom
// model by its name, else segment's preset. An unknown name, or a custom
// model that describes none, is an error.
func (r *Removal) presets() ([]namedPreset, error) {
	custom := map[string]segment.Preset{}
	for _, c := range r.Custom {
		p, err := c.Preset()
		if err != nil {
			return nil, fmt.Errorf("custom model %q: %w", c.Name, err)
		}
		custom[c.Name] = p
	}
	var out []namedPreset
	seen := map[string]bool{}
	for _, name := range append([]string{r.Model}, r.Allow...) {
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		p, ok := custom[name]
		if !ok {
			if p, ok = segment.Lookup(name); !ok {
				return nil, fmt.Errorf("unknown model %q", name)
			}
		}
		out = append(out, namedPreset{name, p})
	}
	return out, nil
}

// open names the runtime and opens one session per allowed model. With
// Preload the sessions, and ONNX Runtime with them, are loaded now; without
// it the first removal loads both (segment.UseRuntime), so a server that
// removes no background never maps the library. App.Engines calls it once
// per configuration.
func (r *Removal) open(logger *zap.Logger) (*models, error) {
	if err := segment.UseRuntime(r.Runtime); err != nil {
		return nil, err
	}
	queue := -1
	if r.Queue != nil {
		queue = *r.Queue
	}
	threads := r.Threads
	if threads == 0 {
		threads = segment.DefaultIntraOpThreads()
	}
	concurrency := r.Concurrency
	if concurrency == 0 {
		concurrency = segment.DefaultMaxConcurrent(threads)
	}
	presets, err := r.presets()
	if err != nil {
		return nil, err
	}
	m := &models{def: r.Model, sessions: map[string]*segment.Session{}, pool: segment.NewPool(concurrency, queue)}
	for _, np := range presets {
		name := np.name
		s, err := segment.NewSession(np.p, segment.Options{
			ModelsDir: r.ModelsDir, IntraOpThreads: threads, AllowSpinning: r.Spinning,
			Provider: r.Provider, DeviceID: r.DeviceID, Strict: r.Strict, Pool: m.pool,
			GPUMemLimit: r.GPUMemLimit, TensorRTCache: r.TensorRTCache,
			MaxBatch: r.Batch, BatchWait: time.Duration(r.BatchWait),
			Logf: func(format string, args ...any) { logger.Warn(fmt.Sprintf(format, args...)) },
		})
		if err != nil {
			_ = m.Destruct()
			return nil, fmt.Errorf("model %q: %w", name, err)
		}
		m.sessions[name] = s
		// strict promises a startup error where the provider is missing:
		// only creating the session finds out, so it loads now.
		if r.Preload || r.strictGPU() {
			if err := s.Load(); err != nil {
				_ = m.Destruct()
				return nil, fmt.Errorf("model %q: %w", name, err)
			}
		}
	}
	return m, nil
}

// matter is the transform.Matter of one handler: the allowed sessions, with
// mattes cached per source content and model fingerprint.
type matter struct {
	m       *models
	cache   *cache.Cache
	metrics *metrics
}

func (mt *matter) session(model string) (*segment.Session, error) {
	if model == "" {
		model = mt.m.def
	}
	if s, ok := mt.m.sessions[model]; ok {
		return s, nil
	}
	allowed := make([]string, 0, len(mt.m.sessions))
	for name := range mt.m.sessions {
		allowed = append(allowed, name)
	}
	sort.Strings(allowed)
	return nil, &params.Error{Status: http.StatusBadRequest, Code: params.CodeInvalidParameter, Title: "Invalid parameter", Field: "model",
		Detail: fmt.Sprintf("model=%q is not available here; allowed: %s.", model, strings.Join(allowed, ", "))}
}

func (mt *matter) Spec(model string) (transform.ModelSpec, error) {
	s, err := mt.session(model)
	if err != nil {
		return transform.ModelSpec{}, err
	}
	p, info := s.Preset(), s.Info()
	return transform.ModelSpec{ID: info.String(), Width: p.InputWidth, Height: p.InputHeight,
		Kernel: string(p.ResizeKernel), MaskKernel: string(p.MaskKernel), Fingerprint: info.Fingerprint}, nil
}

func (mt *matter) Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error) {
	s, err := mt.session(model)
	if err != nil {
		return nil, err
	}
	key := hashKey(sourceHash, s.Info().Fingerprint)
	// Handlers whose rembg settings differ share mattes (the key is the
	// model's) but not inference pools: a flight's failure under another
	// pool (full, closed) is not this caller's, which runs its own, a few
	// times at most (flightError).
	for others := 0; ; others++ {
		e, err := mt.matte(ctx, s, key, private, input)
		if othersFlight(err, mt.m) && others < otherFlightTries {
			continue
		}
		// Mapped whichever pool's flight failed: another's after the
		// last try is answered too, never a 500.
		switch err = ownFlightError(err); {
		case errors.Is(err, segment.ErrQueueFull):
			return nil, overloadedRemoval(mt.m.pool)
		case errors.Is(err, segment.ErrClosed):
			// A reload closed the session (its models' UsagePool entry
			// was destructed) while this request of the old
			// configuration ran, at its Load or its Segment: unavailable
			// for it, never a 500, as the face detector's.
			return nil, transform.RemovalUnavailable("The segmentation model was replaced by a configuration reload; try again.", err)
		}
		return e, err
	}
}

// matte makes (or joins the making of) the matte of key with s, under
// mt's inference pool; a failure is the flight's (flightError), unmapped.
func (mt *matter) matte(ctx context.Context, s *segment.Session, key string, private bool, input func() ([]byte, error)) ([]byte, error) {
	p := s.Preset()
	e, _, err := mt.cache.Do(ctx, nsMask, key, func(ctx context.Context) (e cache.Entry, store bool, err error) {
		defer func() {
			if err != nil {
				err = &flightError{err: err, by: mt.m}
			}
		}()
		// The model (and, the first time, ONNX Runtime: UseRuntime) is
		// loaded before its input is made: a server that cannot load
		// them answers as one without a model, and decodes nothing.
		if err := s.Load(); err != nil {
			return cache.Entry{}, false, transform.RemovalUnavailable("This server cannot load its segmentation model.", err)
		}
		var rgb []byte
		err = holdingSource(ctx, func() (err error) {
			rgb, err = input()
			return err
		})
		if err != nil {
			return cache.Entry{}, false, err
		}
		mask, err := s.Segment(ctx, rgb, p.InputWidth, p.InputHeight)
		if err != nil {
			return cache.Entry{}, false, err
		}
		mt.metrics.observeInference()
		return cache.Entry{Value: mask, ContentType: "application/x-matte"}, !private, nil
	})
	return e.Value, err
}

// Ready implements transform.Matter: with the inference pool full, a
// source whose matte is neither cached nor being made is refused at once.
func (mt *matter) Ready(model, sourceHash string) error {
	if !mt.m.pool.Full() {
		return nil
	}
	s, err := mt.session(model)
	if err != nil {
		return err
	}
	key := hashKey(sourceHash, s.Info().Fingerprint)
	if mt.cache.Flying(nsMask, key) {
		return nil
	}
	if _, _, ok := mt.cache.Get(nsMask, key); ok {
		return nil
	}
	mt.m.pool.Refused()
	return overloadedRemoval(mt.m.pool)
}

// overloadedRemoval is the 503 for an inference pool cannot queue, with
// the pool's estimate of when it could as Retry-After.
func overloadedRemoval(pool *segment.Pool) error {
	return &params.Error{Status: http.StatusServiceUnavailable, Code: "overloaded", Title: "Overloaded",
		Detail: "Too many background removals are waiting; try again shortly.", Cause: overloadError{pool.RetryAfter()}}
}
