package segment

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// PipelineVersion changes whenever this package's pre- or post-processing
// changes the masks it produces for the same model file; it is part of
// ModelInfo.Fingerprint.
const PipelineVersion = 1

// Execution providers.
const (
	ProviderCPU      = "cpu"
	ProviderCUDA     = "cuda"
	ProviderTensorRT = "tensorrt"
)

// ErrClosed is returned by a Session after Close.
var ErrClosed = errors.New("segment: session closed")

// Options configures a Session.
type Options struct {
	// ModelsDir is where preset files live (runtime/models); a preset File
	// that is an absolute path ignores it.
	ModelsDir string

	// IntraOpThreads is the number of threads one inference uses; 0 means
	// DefaultIntraOpThreads(). Busy threads ≈ Pool concurrency ×
	// IntraOpThreads: see Pool.
	IntraOpThreads int
	// InterOpThreads > 1 turns on ORT's parallel execution mode with that
	// many threads running independent graph branches (on top of the
	// intra-op threads); 0 or 1 keeps the sequential mode, which is what
	// these single-path models want.
	InterOpThreads int
	// AllowSpinning lets ORT's worker threads busy-wait for work between
	// operators (session.intra_op.allow_spinning). It trims latency a
	// little and burns idle CPU; off by default for a shared server.
	AllowSpinning bool
	// GraphOptimization is "disable", "basic", "extended" or "all"
	// (default).
	GraphOptimization string

	// Provider is "cpu" (default), "cuda" or "tensorrt" (TensorRT with CUDA
	// behind it for the nodes TensorRT does not take), on GPU DeviceID.
	// When the provider cannot be used, the session logs a line through
	// Logf and falls back to CPU, or fails when Strict is set.
	Provider string
	DeviceID int
	Strict   bool
	// GPUMemLimit caps, in bytes, the memory arena of the CUDA provider
	// (ORT's gpu_mem_limit), the CUDA behind "tensorrt" included; TensorRT's
	// own workspace is not in it. 0 leaves ORT's default: no cap.
	GPUMemLimit int64
	// TensorRTCache, for "tensorrt", is a folder where TensorRT keeps the
	// engines it builds, in a subfolder per model file and ONNX Runtime
	// version (engineFolder, so a replaced file or an upgraded runtime
	// never meets old engines), and its timing cache, shared by all: a
	// restart loads the engines instead of building them, which takes
	// minutes for the large models. The subfolder is made (0700) when a
	// TensorRT session is created; one that cannot be made turns the cache
	// off for that session (logged). "" means no cache. See
	// providerOptions.
	TensorRTCache string

	// MemPattern turns on ONNX Runtime's memory-pattern planning. It is off
	// by default: with it, steady-state memory of an ISNet session doubles
	// (RSS about 1.9 GB instead of 1.0 GB after two runs at 1024²) for no
	// CPU time we could measure.
	MemPattern bool
	// DisableCPUArena hands activation memory back after every run (ISNet:
	// about 0.3 GB RSS between runs instead of 1.0 GB; the peak during a
	// run is the same) at the cost of allocating on every run.
	DisableCPUArena bool

	// Logf receives the few operational lines this package writes
	// (provider fallback); nil means log.Printf.
	Logf func(format string, args ...any)

	// Pool, when set, bounds the inferences of every session sharing it;
	// nil runs inferences without limit.
	Pool *Pool

	// MaxIdleBuffers is how many sets of input/output tensors are kept for
	// reuse between calls (each is about 16 MiB at 1024²); 0 means 2.
	MaxIdleBuffers int

	// MaxBatch > 1 runs up to that many concurrent Segment calls as one
	// inference, for models whose input and output take a dynamic batch
	// dimension (others run one by one); BatchWait is how long the first
	// call of a batch waits for company (0 means 5ms). Off by default:
	// see batch.go for what it costs and when it helps.
	MaxBatch  int
	BatchWait time.Duration
}

// ModelInfo identifies a session's model.
type ModelInfo struct {
	Preset string
	Path   string
	// SHA256 is the model file's hash; ShortHash its first 12 hex digits.
	SHA256    string
	ShortHash string
	// Fingerprint (12 hex digits) covers the file hash, every processing
	// field of the preset and PipelineVersion: use it in cache keys, since
	// the same file fed differently gives different masks.
	Fingerprint string
	// Provider is the execution provider asked for before Load and the one
	// in use after it ("cpu" after a fallback).
	Provider       string
	Loaded         bool
	InputName      string
	OutputName     string
	InputType      ElemType
	OutputType     ElemType
	IntraOpThreads int
	InterOpThreads int
}

// String is "name@shorthash", for the X-Matte-Model header and logs.
func (i ModelInfo) String() string { return i.Preset + "@" + i.ShortHash }

// Session runs one model. It is safe for concurrent use: ONNX Runtime's
// Run is thread-safe on one session, and onnxruntime_go's
// DynamicAdvancedSession takes its inputs and outputs per call, so each
// call brings its own tensors (taken from a small free list).
type Session struct {
	preset Preset
	path   string
	opts   Options
	logf   func(string, ...any)

	lut [3][256]float32 // per RGB channel, when !DivideByMax

	mu     sync.RWMutex // held shared by runs, exclusively by Close
	closed bool

	loadMu            sync.Mutex
	sess              *ort.DynamicAdvancedSession
	loaded            atomic.Bool
	inType, outType   ElemType
	inShape, outShape ort.Shape // batch 1
	outBatch          bool      // outShape[0] is the batch (maskShape)
	batchable         bool      // input and output batch dimensions are dynamic

	batchMu sync.Mutex
	pending *batch // the batch still taking calls, if any
	// runBatch runs a closed batch (nil: s.run). Tests put a fake runner
	// here; it must write masks[i] only, and read rgbs[i] only, until it
	// returns.
	runBatch func(ctx context.Context, masks, rgbs [][]byte) error

	infoMu sync.Mutex
	info   ModelInfo

	bufMu sync.Mutex
	free  []*runBuf

	runs atomic.Uint64
}

// NewSession checks p and o, hashes the model file (verifying it against
// the preset's pinned SHA256 or MD5, when it has one) and returns a session
// that loads the model into ONNX Runtime on Load or on the first Segment.
func NewSession(p Preset, o Options) (*Session, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := o.normalize(); err != nil {
		return nil, err
	}
	path := p.File
	if !filepath.IsAbs(path) {
		if o.ModelsDir == "" {
			return nil, fmt.Errorf("segment: preset %q: model file %q is relative and no models directory is set", p.Name, p.File)
		}
		path = filepath.Join(o.ModelsDir, path)
	}
	sum, md5sum, err := hashFile(path, p.MD5 != "")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			hint := ""
			if p.Fetch != "" {
				hint = " (fetch it with `" + p.Fetch + "`)"
			}
			return nil, fmt.Errorf("segment: preset %q: model file %s not found%s", p.Name, path, hint)
		}
		return nil, fmt.Errorf("segment: preset %q: %w", p.Name, err)
	}
	if p.SHA256 != "" && !strings.EqualFold(sum, p.SHA256) {
		return nil, fmt.Errorf("segment: preset %q: %s has sha256 %s, want %s (corrupt or a different model; use a custom model for other files)", p.Name, path, sum, p.SHA256)
	}
	if p.MD5 != "" && !strings.EqualFold(md5sum, p.MD5) {
		return nil, fmt.Errorf("segment: preset %q: %s has md5 %s, want %s (corrupt or a different model; use a custom model for other files)", p.Name, path, md5sum, p.MD5)
	}
	s := &Session{preset: p, path: path, opts: o, logf: o.Logf}
	if s.logf == nil {
		s.logf = log.Printf
	}
	if !p.DivideByMax {
		s.lut = buildLUT(&p, p.PixelScale)
	}
	s.info = ModelInfo{
		Preset:         p.Name,
		Path:           path,
		SHA256:         sum,
		ShortHash:      sum[:12],
		Fingerprint:    fingerprint(sum, &p),
		Provider:       o.Provider,
		InputType:      p.InputType,
		IntraOpThreads: o.IntraOpThreads,
		InterOpThreads: o.InterOpThreads,
	}
	return s, nil
}

func (o *Options) normalize() error {
	if o.IntraOpThreads < 0 || o.InterOpThreads < 0 {
		return fmt.Errorf("segment: negative thread count (intra %d, inter %d)", o.IntraOpThreads, o.InterOpThreads)
	}
	if o.IntraOpThreads == 0 {
		o.IntraOpThreads = DefaultIntraOpThreads()
	}
	if o.InterOpThreads == 0 {
		o.InterOpThreads = 1
	}
	if _, err := graphOptLevel(o.GraphOptimization); err != nil {
		return err
	}
	o.Provider = strings.ToLower(o.Provider)
	switch o.Provider {
	case "":
		o.Provider = ProviderCPU
	case ProviderCPU, ProviderCUDA, ProviderTensorRT:
	default:
		return fmt.Errorf("segment: execution provider %q: want cpu, cuda or tensorrt", o.Provider)
	}
	if o.DeviceID < 0 {
		return fmt.Errorf("segment: device id %d < 0", o.DeviceID)
	}
	if o.GPUMemLimit < 0 {
		return fmt.Errorf("segment: GPU memory limit %d < 0", o.GPUMemLimit)
	}
	if o.MaxIdleBuffers <= 0 {
		o.MaxIdleBuffers = 2
	}
	if o.MaxBatch < 0 || o.BatchWait < 0 {
		return fmt.Errorf("segment: negative batch size %d or wait %v", o.MaxBatch, o.BatchWait)
	}
	if o.BatchWait == 0 {
		o.BatchWait = 5 * time.Millisecond
	}
	return nil
}

// hashes caches file hashes by path, size and modification time, so a
// Caddy config reload does not re-read hundreds of megabytes.
var hashes sync.Map // path -> hashEntry

// Preset returns the session's preset.
func (s *Session) Preset() Preset { return s.preset }

// Info describes the model; Provider and the I/O fields are final after Load.
func (s *Session) Info() ModelInfo {
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	return s.info
}

// Loaded reports whether the ONNX Runtime session exists.
func (s *Session) Loaded() bool { return s.loaded.Load() }

// Runs is the number of completed inferences.
func (s *Session) Runs() uint64 { return s.runs.Load() }

// Load creates the ONNX Runtime session now (eager loading); Segment calls
// it on first use otherwise. It is idempotent, and a failed Load is retried
// by the next call. InitRuntime or UseRuntime must have named the library;
// the first Load loads it (UseRuntime).
func (s *Session) Load() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.load()
}

func (s *Session) load() error {
	if s.loaded.Load() {
		return nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if s.loaded.Load() {
		return nil
	}
	if err := acquireRuntime(); err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			releaseRuntime()
		}
	}()
	p := &s.preset
	if err := s.unchanged(); err != nil {
		return err
	}
	inName, outName, err := s.inspect()
	if err != nil {
		return fmt.Errorf("segment: preset %q: %s: %w", p.Name, s.path, err)
	}
	provider := s.opts.Provider
	sess, err := s.createSession(provider, inName, outName)
	for err != nil && provider != ProviderCPU && !s.opts.Strict {
		// TensorRT needs its own libraries beside CUDA's: without them the
		// GPU is still there for CUDA. CUDA falls back to the CPU.
		next := ProviderCPU
		if provider == ProviderTensorRT {
			next = ProviderCUDA
		}
		s.logf("segment: model %s: execution provider %s unavailable (%v); falling back to %s", p.Name, provider, err, next)
		provider = next
		sess, err = s.createSession(provider, inName, outName)
	}
	if err != nil {
		return fmt.Errorf("segment: preset %q: creating %s session for %s: %w", p.Name, provider, s.path, err)
	}
	// Checked before too (no session is built for a file already
	// replaced), and again once ONNX Runtime has read it.
	if err := s.unchanged(); err != nil {
		sess.Destroy()
		return err
	}
	s.sess = sess
	s.infoMu.Lock()
	s.info.Provider = provider
	s.info.Loaded = true
	s.info.InputName, s.info.OutputName = inName, outName
	s.info.InputType, s.info.OutputType = s.inType, s.outType
	s.infoMu.Unlock()
	s.loaded.Store(true)
	ok = true
	return nil
}

// unchanged checks that the model file still hashes as NewSession found
// it. NewSession hashed the file (and checked its pin) at provision; a
// lazy load reads it later. Weights replaced in between would run under
// the old hash, which the pin, X-Matte-Model and the matte cache's key
// (Fingerprint) all stand for. The hash is memoised only while the file's
// size, mtime, inode and ctime stay the same (hashFile), so an unchanged
// file costs a stat.
func (s *Session) unchanged() error {
	sum, _, err := hashFile(s.path, false)
	if err == nil && !strings.EqualFold(sum, s.info.SHA256) {
		err = fmt.Errorf("its sha256 is now %s, was %s at start; reload the config to use the new file", sum, s.info.SHA256)
	}
	if err != nil {
		return fmt.Errorf("segment: preset %q: model file %s changed since the session was made: %w", s.preset.Name, s.path, err)
	}
	return nil
}

// Close waits for running inferences, then releases the ONNX Runtime
// session and buffers. Later calls return ErrClosed. Close is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.bufMu.Lock()
	for _, b := range s.free {
		b.destroy()
	}
	s.free = nil
	s.bufMu.Unlock()
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if s.sess != nil {
		err := s.sess.Destroy()
		s.sess = nil
		s.loaded.Store(false)
		releaseRuntime()
		if err != nil {
			return fmt.Errorf("segment: closing %s: %w", s.preset.Name, err)
		}
	}
	return nil
}
