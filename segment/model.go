package segment

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/jebosio/matte/internal/fileid"
)

// Model files: hashing and fingerprints, reading the graph's inputs and
// outputs, and creating ONNX Runtime sessions on a provider.

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

// changeOf is st's fileid.ID, zero where the system gives none (the size
// and modification time are then all a hashEntry keys on).
func changeOf(st os.FileInfo) fileid.ID {
	id, _ := fileid.Of(st)
	return id
}

// hashEntry memoises a file's hashes while its size, modification time and
// change identity (fileid.ID) stay the same: a file written over in
// place, renamed over the path or given back its old mtime is hashed anew.
type hashEntry struct {
	size    int64
	modTime int64
	change  fileid.ID
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
		if e.size == st.Size() && e.modTime == st.ModTime().UnixNano() && e.change == changeOf(st) && (!withMD5 || e.md5 != "") {
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
	hashes.Store(path, hashEntry{size: st.Size(), modTime: st.ModTime().UnixNano(), change: changeOf(st), sha: sha, md5: md})
	return sha, md, nil
}

func fingerprint(fileSHA string, p *Preset) string {
	h := sha256.New()
	fmt.Fprintf(h, "segment/v%d\n%s\n%dx%d %s %s %s in=%q scale=%v max=%v mean=%v std=%v out=%q/%d sig=%v mm=%v rk=%s mk=%s",
		PipelineVersion, fileSHA, p.InputWidth, p.InputHeight, p.ChannelOrder, p.Layout, p.InputType,
		p.InputName, p.PixelScale, p.DivideByMax, p.Mean, p.Std, p.Output, p.OutputIndex, p.ApplySigmoid, p.MinMax,
		p.ResizeKernel, p.MaskKernel)
	return hex.EncodeToString(h.Sum(nil))[:12]
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
	oshape, outBatch, err := maskShape(out.Dimensions, p.Layout, W, H)
	if err != nil {
		err = fmt.Errorf("output %q: %w", out.Name, err)
		if len(outs) > 1 {
			all := make([]string, len(outs))
			for i, o := range outs {
				all[i] = fmt.Sprintf("%q %v", o.Name, o.Dimensions)
			}
			err = fmt.Errorf("%w; the model's outputs: %s (a custom_model picks one with output <name>)", err, strings.Join(all, ", "))
		}
		return "", "", err
	}

	s.inType, s.outType = it, ot
	s.inShape, s.outShape, s.outBatch = want, oshape, outBatch
	s.batchable = in.Dimensions[0] <= 0 && outBatch && out.Dimensions[0] <= 0
	return in.Name, out.Name, nil
}

// maskShape reads the declared dimensions of a model output (d <= 0:
// dynamic) as one h×w mask plane per image. It returns the shape of the
// output tensor for one image, every dimension fixed, and whether its
// first dimension is the batch (false for [H W], [H W 1]).
//
// The plane is two adjacent dimensions, h then w; every other dimension
// must be 1 or dynamic (read as 1), and the first is the batch unless the
// plane starts there: [N 1 H W], [N H W 1], [N H W], [H W] and the like.
// When dynamic dimensions allow more than one reading, the input's layout
// picks: the last two dimensions for NCHW ([N 1 H W], [N H W]), the two
// before the last (the channel) for NHWC ([N H W 1]), else the other of
// these two. An output with no reading, or only readings that neither
// picks, is refused: the output tensor is preallocated in this shape, so
// a wrong guess would fail every run instead of the load.
func maskShape(dims []int64, layout Layout, w, h int64) (ort.Shape, bool, error) {
	r := len(dims)
	readings := map[int]ort.Shape{} // by the dimension the plane starts at
	for p := 0; p+1 < r; p++ {
		shape := make(ort.Shape, r)
		for i, d := range dims {
			want := int64(1)
			switch i {
			case p:
				want = h
			case p + 1:
				want = w
			}
			if d > 0 && d != want {
				shape = nil
				break
			}
			shape[i] = want
		}
		if shape != nil {
			readings[p] = shape
		}
	}
	if len(readings) == 1 {
		for p, shape := range readings {
			return shape, p > 0, nil
		}
	}
	order := []int{r - 2, r - 3}
	if layout == NHWC {
		order = []int{r - 3, r - 2}
	}
	for _, p := range order {
		if shape, ok := readings[p]; ok && p > 0 {
			return shape, true, nil
		}
	}
	why := "is not"
	if len(readings) > 1 {
		why = "may be read in more than one way as"
	}
	return nil, false, fmt.Errorf("shape %v %s one %dx%d mask per image (want [N 1 %d %d], [N %d %d 1], [N %d %d] or [%d %d]; N is 1 or dynamic)",
		ort.Shape(dims), why, w, h, h, w, h, w, h, w, h, w)
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
	if err := appendProvider(so, provider, &s.opts, engineFolder(s.info.ShortHash, ort.GetVersion()), s.logf); err != nil {
		return nil, err
	}
	return ort.NewDynamicAdvancedSession(s.path, []string{inName}, []string{outName}, so)
}

// engineFolder names a model's TensorRT engines under the cache folder:
// the model file's short hash and the ONNX Runtime version, so that
// neither a replaced model file nor an upgraded runtime (whose engines
// ORT asks to be rebuilt) reads engines built for another.
func engineFolder(modelHash, ortVersion string) string {
	return modelHash + "-ort" + ortVersion
}

// newTensorRTOptions makes TensorRT provider options holding opts; the
// caller destroys them.
func newTensorRTOptions(opts map[string]string) (*ort.TensorRTProviderOptions, error) {
	to, err := ort.NewTensorRTProviderOptions()
	if err != nil {
		return nil, fmt.Errorf("TensorRT provider options: %w", err)
	}
	if err := to.Update(opts); err != nil {
		to.Destroy()
		return nil, fmt.Errorf("TensorRT provider options: %w", err)
	}
	return to, nil
}

// tensorRTCacheOptions are the TensorRT options of its engine and timing
// caches.
var tensorRTCacheOptions = []string{"trt_engine_cache_enable", "trt_engine_cache_path", "trt_timing_cache_enable", "trt_timing_cache_path"}

// providerOptions are the ONNX Runtime options of provider for a model
// whose engines go in engines (engineFolder): for "cuda" the CUDA
// provider's, for "tensorrt" the TensorRT provider's (the CUDA provider
// behind it takes providerOptions("cuda", …)); nil for "cpu".
func (o *Options) providerOptions(provider, engines string) map[string]string {
	m := map[string]string{"device_id": strconv.Itoa(o.DeviceID)}
	switch provider {
	case ProviderCUDA:
		if o.GPUMemLimit > 0 {
			m["gpu_mem_limit"] = strconv.FormatInt(o.GPUMemLimit, 10)
		}
	case ProviderTensorRT:
		if o.TensorRTCache != "" {
			m["trt_engine_cache_enable"] = "1"
			m["trt_engine_cache_path"] = filepath.Join(o.TensorRTCache, engines)
			m["trt_timing_cache_enable"] = "1"
			m["trt_timing_cache_path"] = o.TensorRTCache
		}
	default:
		return nil
	}
	return m
}

// appendProvider appends provider to so, with o.providerOptions: for
// "tensorrt", TensorRT and then CUDA for the nodes TensorRT does not take,
// after making the engine cache folder when there is one. A cache folder
// that cannot be made costs the cache (logged), not TensorRT: engines are
// then built at every start, as without a cache.
func appendProvider(so *ort.SessionOptions, provider string, o *Options, engines string, logf func(string, ...any)) error {
	appendCUDA := func() error {
		co, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return fmt.Errorf("CUDA provider options: %w", err)
		}
		defer co.Destroy()
		if err := co.Update(o.providerOptions(ProviderCUDA, engines)); err != nil {
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
		opts := o.providerOptions(ProviderTensorRT, engines)
		to, err := newTensorRTOptions(opts)
		if err != nil {
			return err
		}
		// Made once the runtime took the options: a build without
		// TensorRT leaves no folder.
		if dir := opts["trt_engine_cache_path"]; dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				logf("segment: TensorRT engine cache off for this model: %v", err)
				to.Destroy()
				for _, k := range tensorRTCacheOptions {
					delete(opts, k)
				}
				if to, err = newTensorRTOptions(opts); err != nil {
					return err
				}
			}
		}
		defer to.Destroy()
		if err := so.AppendExecutionProviderTensorRT(to); err != nil {
			return fmt.Errorf("appending TensorRT provider: %w", err)
		}
		return appendCUDA()
	}
	return fmt.Errorf("unknown execution provider %q", provider)
}
