package segment

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

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
	batchable         bool      // input and output batch dimensions are dynamic

	batchMu sync.Mutex
	pending *batch // the batch still taking calls, if any

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

func graphOptLevel(s string) (ort.GraphOptimizationLevel, error) {
	switch strings.ToLower(s) {
	case "", "all":
		return ort.GraphOptimizationLevelEnableAll, nil
	case "extended":
		return ort.GraphOptimizationLevelEnableExtended, nil
	case "basic":
		return ort.GraphOptimizationLevelEnableBasic, nil
	case "disable", "disabled", "none":
		return ort.GraphOptimizationLevelDisableAll, nil
	}
	return 0, fmt.Errorf("segment: graph optimisation %q: want disable, basic, extended or all", s)
}

// hashes caches file hashes by path, size and modification time, so a
// Caddy config reload does not re-read hundreds of megabytes.
var hashes sync.Map // path -> hashEntry

type hashEntry struct {
	size    int64
	modTime int64
	sha     string
	md5     string // "" when not computed
}

func hashFile(path string, withMD5 bool) (sha string, md string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", err
	}
	if st.IsDir() {
		return "", "", fmt.Errorf("%s is a directory", path)
	}
	if v, ok := hashes.Load(path); ok {
		e := v.(hashEntry)
		if e.size == st.Size() && e.modTime == st.ModTime().UnixNano() && (!withMD5 || e.md5 != "") {
			return e.sha, e.md5, nil
		}
	}
	h := sha256.New()
	var w io.Writer = h
	m := md5.New()
	if withMD5 {
		w = io.MultiWriter(h, m)
	}
	if _, err := io.Copy(w, f); err != nil {
		return "", "", fmt.Errorf("reading %s: %w", path, err)
	}
	sha = hex.EncodeToString(h.Sum(nil))
	if withMD5 {
		md = hex.EncodeToString(m.Sum(nil))
	}
	hashes.Store(path, hashEntry{size: st.Size(), modTime: st.ModTime().UnixNano(), sha: sha, md5: md})
	return sha, md, nil
}

func fingerprint(fileSHA string, p *Preset) string {
	h := sha256.New()
	fmt.Fprintf(h, "segment/v%d\n%s\n%dx%d %s %s %s in=%q scale=%v max=%v mean=%v std=%v out=%q/%d sig=%v mm=%v",
		PipelineVersion, fileSHA, p.InputWidth, p.InputHeight, p.ChannelOrder, p.Layout, p.InputType,
		p.InputName, p.PixelScale, p.DivideByMax, p.Mean, p.Std, p.Output, p.OutputIndex, p.ApplySigmoid, p.MinMax)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// buildLUT maps every byte value of each RGB channel to its normalised
// tensor value, computed in float64 as numpy does.
func buildLUT(p *Preset, scale float32) (lut [3][256]float32) {
	for c := 0; c < 3; c++ {
		for b := 0; b < 256; b++ {
			v := float64(b) / float64(scale)
			lut[c][b] = float32((v - float64(p.Mean[c])) / float64(p.Std[c]))
		}
	}
	return lut
}

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
// by the next call. InitRuntime must have succeeded.
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
	inName, outName, err := s.inspect()
	if err != nil {
		return fmt.Errorf("segment: preset %q: %s: %w", p.Name, s.path, err)
	}
	provider := s.opts.Provider
	sess, err := s.createSession(provider, inName, outName)
	if err != nil && provider != ProviderCPU && !s.opts.Strict {
		s.logf("segment: model %s: execution provider %s unavailable (%v); falling back to cpu", p.Name, provider, err)
		provider = ProviderCPU
		sess, err = s.createSession(provider, inName, outName)
	}
	if err != nil {
		return fmt.Errorf("segment: preset %q: creating %s session for %s: %w", p.Name, provider, s.path, err)
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

func elemType(t ort.TensorElementDataType) (ElemType, bool) {
	switch t {
	case ort.TensorElementDataTypeFloat:
		return Float32, true
	case ort.TensorElementDataTypeFloat16:
		return Float16, true
	}
	return ElemAuto, false
}

// inspect reads the model's inputs and outputs (with a throw-away session
// without graph optimisation), picks the preset's input and output, and
// checks their types and shapes against the preset.
func (s *Session) inspect() (inName, outName string, err error) {
	p := &s.preset
	so, err := ort.NewSessionOptions()
	if err != nil {
		return "", "", err
	}
	defer so.Destroy()
	if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err != nil {
		return "", "", err
	}
	if err := so.SetIntraOpNumThreads(1); err != nil {
		return "", "", err
	}
	ins, outs, err := ort.GetInputOutputInfoWithOptions(s.path, so)
	if err != nil {
		return "", "", fmt.Errorf("reading model inputs and outputs: %w", err)
	}
	if len(ins) == 0 || len(outs) == 0 {
		return "", "", errors.New("model has no inputs or no outputs")
	}
	var in *ort.InputOutputInfo
	if p.InputName == "" {
		in = &ins[0]
	} else {
		for i := range ins {
			if ins[i].Name == p.InputName {
				in = &ins[i]
			}
		}
		if in == nil {
			return "", "", fmt.Errorf("no input %q (the model has %s)", p.InputName, names(ins))
		}
	}
	var out *ort.InputOutputInfo
	if p.Output != "" {
		for i := range outs {
			if outs[i].Name == p.Output {
				out = &outs[i]
			}
		}
		if out == nil {
			return "", "", fmt.Errorf("no output %q (the model has %s)", p.Output, names(outs))
		}
	} else {
		if p.OutputIndex >= len(outs) {
			return "", "", fmt.Errorf("output index %d, but the model has %d outputs", p.OutputIndex, len(outs))
		}
		out = &outs[p.OutputIndex]
	}

	if in.OrtValueType != ort.ONNXTypeTensor {
		return "", "", fmt.Errorf("input %q is a %v, not a tensor", in.Name, in.OrtValueType)
	}
	it, ok := elemType(in.DataType)
	if !ok {
		return "", "", fmt.Errorf("input %q has element type %v; only float32 and float16 are supported", in.Name, in.DataType)
	}
	if p.InputType != ElemAuto && p.InputType != it {
		return "", "", fmt.Errorf("input %q is %v but the preset says %v", in.Name, it, p.InputType)
	}
	W, H := int64(p.InputWidth), int64(p.InputHeight)
	want := ort.NewShape(1, 3, H, W)
	if p.Layout == NHWC {
		want = ort.NewShape(1, H, W, 3)
	}
	if len(in.Dimensions) != 4 {
		return "", "", fmt.Errorf("input %q has shape %v; want %v (%s)", in.Name, in.Dimensions, want, p.Layout)
	}
	for i, d := range in.Dimensions {
		if d > 0 && d != want[i] {
			return "", "", fmt.Errorf("input %q has shape %v; the preset wants %v (%s)", in.Name, in.Dimensions, want, p.Layout)
		}
	}

	if out.OrtValueType != ort.ONNXTypeTensor {
		return "", "", fmt.Errorf("output %q is a %v, not a tensor", out.Name, out.OrtValueType)
	}
	ot, ok := elemType(out.DataType)
	if !ok {
		return "", "", fmt.Errorf("output %q has element type %v; only float32 and float16 are supported", out.Name, out.DataType)
	}
	// Fix dynamic output dimensions: batch 1, the last two (or, for a
	// channels-last [N,H,W,1] output, the middle two) the input size, any
	// other 1. The output is preallocated (onnxruntime_go cannot copy
	// float16 outputs it allocates itself) and ORT rejects a wrong guess.
	oshape := out.Dimensions.Clone()
	r := len(oshape)
	if r < 2 {
		return "", "", fmt.Errorf("output %q has shape %v; want a mask of %dx%d", out.Name, oshape, W, H)
	}
	hi, wi := r-2, r-1
	if r == 4 && p.Layout == NHWC && (oshape[3] == 1 || oshape[1] == H && oshape[2] == W) {
		hi, wi = 1, 2
	}
	for i := range oshape {
		if oshape[i] > 0 {
			continue
		}
		switch i {
		case hi:
			oshape[i] = H
		case wi:
			oshape[i] = W
		default:
			oshape[i] = 1
		}
	}
	if oshape[hi] != H || oshape[wi] != W || oshape.FlattenedSize() != H*W {
		return "", "", fmt.Errorf("output %q has shape %v; want one %dx%d plane (e.g. [1 1 %d %d])", out.Name, out.Dimensions, W, H, H, W)
	}

	s.inType, s.outType = it, ot
	s.inShape, s.outShape = want, oshape
	s.batchable = in.Dimensions[0] < 0 && out.Dimensions[0] < 0
	return in.Name, out.Name, nil
}

func names(infos []ort.InputOutputInfo) string {
	n := make([]string, len(infos))
	for i, x := range infos {
		n[i] = strconv.Quote(x.Name)
	}
	return strings.Join(n, ", ")
}

func (s *Session) createSession(provider, inName, outName string) (*ort.DynamicAdvancedSession, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(s.opts.IntraOpThreads); err != nil {
		return nil, err
	}
	if err := so.SetInterOpNumThreads(s.opts.InterOpThreads); err != nil {
		return nil, err
	}
	if s.opts.InterOpThreads > 1 {
		if err := so.SetExecutionMode(ort.ExecutionModeParallel); err != nil {
			return nil, err
		}
	}
	spin := "0"
	if s.opts.AllowSpinning {
		spin = "1"
	}
	if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", spin); err != nil {
		return nil, err
	}
	if err := so.AddSessionConfigEntry("session.inter_op.allow_spinning", spin); err != nil {
		return nil, err
	}
	if err := so.SetMemPattern(s.opts.MemPattern); err != nil {
		return nil, err
	}
	if err := so.SetCpuMemArena(!s.opts.DisableCPUArena); err != nil {
		return nil, err
	}
	lvl, _ := graphOptLevel(s.opts.GraphOptimization)
	if err := so.SetGraphOptimizationLevel(lvl); err != nil {
		return nil, err
	}
	if err := appendProvider(so, provider, s.opts.DeviceID); err != nil {
		return nil, err
	}
	return ort.NewDynamicAdvancedSession(s.path, []string{inName}, []string{outName}, so)
}

func appendProvider(so *ort.SessionOptions, provider string, device int) error {
	dev := map[string]string{"device_id": strconv.Itoa(device)}
	appendCUDA := func() error {
		co, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return fmt.Errorf("CUDA provider options: %w", err)
		}
		defer co.Destroy()
		if err := co.Update(dev); err != nil {
			return fmt.Errorf("CUDA provider options: %w", err)
		}
		if err := so.AppendExecutionProviderCUDA(co); err != nil {
			return fmt.Errorf("appending CUDA provider: %w", err)
		}
		return nil
	}
	switch provider {
	case ProviderCPU:
		return nil
	case ProviderCUDA:
		return appendCUDA()
	case ProviderTensorRT:
		to, err := ort.NewTensorRTProviderOptions()
		if err != nil {
			return fmt.Errorf("TensorRT provider options: %w", err)
		}
		defer to.Destroy()
		if err := to.Update(dev); err != nil {
			return fmt.Errorf("TensorRT provider options: %w", err)
		}
		if err := so.AppendExecutionProviderTensorRT(to); err != nil {
			return fmt.Errorf("appending TensorRT provider: %w", err)
		}
		return appendCUDA()
	}
	return fmt.Errorf("unknown execution provider %q", provider)
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

// runBuf is one call's tensors. The Go slices back the ORT values, so they
// must stay referenced as long as the values live.
type runBuf struct {
	in    ort.Value
	in32  []float32
	in16  []uint16
	out   ort.Value
	out32 []float32
	out16 []uint16
	plane []float32 // float16 output widened, or sigmoid scratch
	ro    *ort.RunOptions
}

func (b *runBuf) destroy() {
	if b.in != nil {
		b.in.Destroy()
	}
	if b.out != nil {
		b.out.Destroy()
	}
	if b.ro != nil {
		b.ro.Destroy()
	}
}

// newBuf allocates tensors for a batch of n images (n > 1 only for a
// batchable model).
func (s *Session) newBuf(n int) (_ *runBuf, err error) {
	b := &runBuf{}
	defer func() {
		if err != nil {
			b.destroy()
		}
	}()
	inShape, outShape := s.inShape.Clone(), s.outShape.Clone()
	inShape[0], outShape[0] = int64(n), int64(n)
	size := inShape.FlattenedSize()
	if s.inType == Float16 {
		b.in16 = make([]uint16, size)
		b.in, err = ort.NewCustomDataTensor(inShape, u16bytes(b.in16), ort.TensorElementDataTypeFloat16)
	} else {
		b.in32 = make([]float32, size)
		b.in, err = ort.NewTensor(inShape, b.in32)
	}
	if err != nil {
		return nil, err
	}
	m := outShape.FlattenedSize()
	if s.outType == Float16 {
		b.out16 = make([]uint16, m)
		b.plane = make([]float32, m)
		b.out, err = ort.NewCustomDataTensor(outShape, u16bytes(b.out16), ort.TensorElementDataTypeFloat16)
	} else {
		b.out32 = make([]float32, m)
		b.out, err = ort.NewTensor(outShape, b.out32)
	}
	if err != nil {
		return nil, err
	}
	b.ro, err = ort.NewRunOptions()
	if err != nil {
		return nil, err
	}
	return b, nil
}

func u16bytes(u []uint16) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(u))), 2*len(u))
}

// getBuf returns tensors for n images: reused for n == 1, fresh otherwise.
func (s *Session) getBuf(n int) (*runBuf, error) {
	if n > 1 {
		return s.newBuf(n)
	}
	s.bufMu.Lock()
	if n := len(s.free); n > 0 {
		b := s.free[n-1]
		s.free = s.free[:n-1]
		s.bufMu.Unlock()
		return b, nil
	}
	s.bufMu.Unlock()
	return s.newBuf(1)
}

func (s *Session) putBuf(b *runBuf, n int) {
	s.bufMu.Lock()
	if n == 1 && !s.closed && len(s.free) < s.opts.MaxIdleBuffers {
		s.free = append(s.free, b)
		b = nil
	}
	s.bufMu.Unlock()
	if b != nil {
		b.destroy()
	}
}

// Segment returns the model's mask for rgb, an 8-bit packed RGB image of
// width×height, which must be the preset's input size (the pipeline
// resizes with Preset.ResizeKernel). The mask is width×height bytes, 255 =
// foreground. It waits for a slot in the session's Pool, if any
// (ErrQueueFull, ctx.Err()), and aborts a running inference when ctx ends.
func (s *Session) Segment(ctx context.Context, rgb []byte, width, height int) ([]byte, error) {
	mask := make([]byte, width*height)
	if err := s.SegmentInto(ctx, mask, rgb, width, height); err != nil {
		return nil, err
	}
	return mask, nil
}

// SegmentInto is Segment writing into mask (len width×height).
func (s *Session) SegmentInto(ctx context.Context, mask, rgb []byte, width, height int) error {
	p := &s.preset
	if width != p.InputWidth || height != p.InputHeight {
		return fmt.Errorf("segment: %s takes %dx%d input, got %dx%d (resize first, with the %s kernel)",
			p.Name, p.InputWidth, p.InputHeight, width, height, p.ResizeKernel)
	}
	if len(rgb) != width*height*3 {
		return fmt.Errorf("segment: rgb has %d bytes, want %d (%dx%dx3)", len(rgb), width*height*3, width, height)
	}
	if len(mask) != width*height {
		return fmt.Errorf("segment: mask has %d bytes, want %d", len(mask), width*height)
	}
	if s.opts.MaxBatch > 1 {
		if err := s.Load(); err != nil {
			return err
		}
		if s.batchable {
			return s.segmentBatched(ctx, mask, rgb)
		}
	}
	return s.pooled(ctx, func() error { return s.run(ctx, [][]byte{mask}, [][]byte{rgb}) })
}

// pooled runs fn in a slot of the session's Pool, if any.
func (s *Session) pooled(ctx context.Context, fn func() error) error {
	if s.opts.Pool == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn()
	}
	return s.opts.Pool.Do(ctx, fn)
}

// run infers masks[i] from rgbs[i], all in one ORT run.
func (s *Session) run(ctx context.Context, masks, rgbs [][]byte) error {
	n := len(rgbs)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.load(); err != nil {
		return err
	}
	b, err := s.getBuf(n)
	if err != nil {
		return fmt.Errorf("segment: %s: allocating tensors: %w", s.preset.Name, err)
	}
	reuse := true
	defer func() {
		if reuse {
			s.putBuf(b, n)
		} else {
			b.destroy()
		}
	}()

	for i, rgb := range rgbs {
		s.fillInput(b, i, rgb)
	}

	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		b.ro.Terminate()
		close(fired)
	})
	err = s.sess.RunWithOptions([]ort.Value{b.in}, []ort.Value{b.out}, b.ro)
	if !stop() {
		// ctx ended and f started: wait until the flag is set, then clear
		// it so the run options can be reused.
		<-fired
		if b.ro.UnsetTerminate() != nil {
			reuse = false
		}
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("segment: %s: inference aborted: %w", s.preset.Name, cerr)
		}
		return fmt.Errorf("segment: %s: %w", s.preset.Name, err)
	}
	s.runs.Add(1)

	plane := b.out32
	if s.outType == Float16 {
		for i, h := range b.out16 {
			b.plane[i] = Float16ToFloat32(h)
		}
		plane = b.plane
	}
	per := len(plane) / n
	for i, mask := range masks {
		postprocess(mask, plane[i*per:i*per+len(mask)], s.preset.ApplySigmoid, s.preset.MinMax)
	}
	return nil
}

// fillInput normalises rgb into image i of b's input tensor.
func (s *Session) fillInput(b *runBuf, i int, rgb []byte) {
	p := &s.preset
	lut := &s.lut
	if p.DivideByMax {
		var mx byte
		for _, v := range rgb {
			mx = max(mx, v)
		}
		scale := float32(mx)
		if mx == 0 {
			scale = 1 // every byte is 0; rembg divides by 1e-6, same result
		}
		l := buildLUT(p, scale)
		lut = &l
	}
	n := p.InputWidth * p.InputHeight
	// Tensor channel k takes RGB channel src[k].
	src := [3]int{0, 1, 2}
	if p.ChannelOrder == BGR {
		src = [3]int{2, 1, 0}
	}
	if s.inType == Float16 {
		var l16 [3][256]uint16
		for c := 0; c < 3; c++ {
			for v := 0; v < 256; v++ {
				l16[c][v] = Float32ToFloat16(lut[c][v])
			}
		}
		fill(b.in16[3*n*i:], rgb, n, p.Layout, src, &l16)
	} else {
		fill(b.in32[3*n*i:], rgb, n, p.Layout, src, lut)
	}
}

func fill[T float32 | uint16](dst []T, rgb []byte, n int, layout Layout, src [3]int, lut *[3][256]T) {
	l0, l1, l2 := &lut[src[0]], &lut[src[1]], &lut[src[2]]
	s0, s1, s2 := src[0], src[1], src[2]
	if layout == NHWC {
		dst = dst[:3*n]
		for i := 0; i < n; i++ {
			px := rgb[3*i : 3*i+3 : 3*i+3]
			d := dst[3*i : 3*i+3 : 3*i+3]
			d[0], d[1], d[2] = l0[px[s0]], l1[px[s1]], l2[px[s2]]
		}
		return
	}
	c0, c1, c2 := dst[:n], dst[n:2*n], dst[2*n:3*n]
	for i := 0; i < n; i++ {
		px := rgb[3*i : 3*i+3 : 3*i+3]
		c0[i], c1[i], c2[i] = l0[px[s0]], l1[px[s1]], l2[px[s2]]
	}
}

// postprocess turns the model's output plane into an 8-bit mask: sigmoid
// (when the graph outputs logits), min-max stretch (when asked; a constant
// plane is left as is), then round(clamp(v, 0, 1)·255). NaN becomes 0.
func postprocess(mask []byte, plane []float32, sigmoid, minmax bool) {
	lo, hi := float32(0), float32(1)
	if minmax {
		mn, mx := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range plane {
			if sigmoid {
				v = sigm(v)
			}
			if v < mn {
				mn = v
			}
			if v > mx {
				mx = v
			}
		}
		if mx-mn > 1e-12 {
			lo, hi = mn, mx
		}
	}
	scale := 255 / (hi - lo)
	for i, v := range plane {
		if sigmoid {
			v = sigm(v)
		}
		x := (v - lo) * scale
		switch {
		case x >= 255:
			mask[i] = 255
		case x > 0:
			mask[i] = byte(x + 0.5)
		default: // also NaN
			mask[i] = 0
		}
	}
}

func sigm(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
