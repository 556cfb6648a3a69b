package segment

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// A hand-written protobuf encoder for tiny ONNX models, so the tests can
// check the tensor plumbing (layouts, channel order, normalisation,
// float16 in and out, output selection) with exact expectations and in
// milliseconds, without the big models.

type pbuf []byte

func (b *pbuf) tag(field, wire int) { *b = binary.AppendUvarint(*b, uint64(field<<3|wire)) }

func (b *pbuf) varint(field int, v int64) {
	b.tag(field, 0)
	*b = binary.AppendUvarint(*b, uint64(v))
}

func (b *pbuf) bytes(field int, p []byte) {
	b.tag(field, 2)
	*b = binary.AppendUvarint(*b, uint64(len(p)))
	*b = append(*b, p...)
}

func (b *pbuf) str(field int, s string) { b.bytes(field, []byte(s)) }

// ONNX element types.
const (
	onnxFloat   = 1
	onnxInt64   = 7
	onnxFloat16 = 10
)

// valueInfo encodes a ValueInfoProto of a tensor; a dim < 0 is symbolic.
func valueInfo(name string, elem int, dims ...int64) []byte {
	var shape pbuf
	for i, d := range dims {
		var dim pbuf
		if d < 0 {
			dim.str(2, "d"+string(rune('0'+i)))
		} else {
			dim.varint(1, d)
		}
		shape.bytes(1, dim)
	}
	var tt pbuf
	tt.varint(1, int64(elem))
	tt.bytes(2, shape)
	var typ pbuf
	typ.bytes(1, tt)
	var vi pbuf
	vi.str(1, name)
	vi.bytes(2, typ)
	return vi
}

type attr struct {
	name string
	i    int64
}

func node(op string, ins, outs []string, attrs ...attr) []byte {
	var n pbuf
	for _, s := range ins {
		n.str(1, s)
	}
	for _, s := range outs {
		n.str(2, s)
	}
	n.str(4, op)
	for _, a := range attrs {
		var ap pbuf
		ap.str(1, a.name)
		ap.varint(3, a.i)
		ap.varint(20, 2) // AttributeProto.INT
		n.bytes(5, ap)
	}
	return n
}

// tinyModel describes a model that returns one channel of its input: the
// input (float32 or float16, NCHW [1,3,H,W] or NHWC [1,H,W,3], batch
// symbolic when dynamic) goes through Gather(channel) to "output" (float32
// or float16, [1,1,H,W] or [1,H,W,1]); a second output "neg" is its
// negation. Reshape, when set, reshapes "output" to those dimensions,
// which OutDims declares (default: Reshape itself; < 0 is symbolic).
type tinyModel struct {
	W, H     int64
	Channel  int64
	InF16    bool
	OutF16   bool
	NHWC     bool
	Dynamic  bool // symbolic batch, height and width
	OutFirst string
	Reshape  []int64
	OutDims  []int64
}

func (m tinyModel) bytes() []byte {
	inElem, outElem := int64(onnxFloat), int64(onnxFloat)
	if m.InF16 {
		inElem = onnxFloat16
	}
	if m.OutF16 {
		outElem = onnxFloat16
	}
	b, h, w := int64(1), m.H, m.W
	if m.Dynamic {
		b, h, w = -1, -1, -1
	}
	inDims := []int64{b, 3, h, w}
	outDims := []int64{b, 1, h, w}
	axis := int64(1)
	if m.NHWC {
		inDims = []int64{b, h, w, 3}
		outDims = []int64{b, h, w, 1}
		axis = 3
	}
	var g pbuf
	x := "input"
	if m.InF16 {
		g.bytes(1, node("Cast", []string{"input"}, []string{"x"}, attr{"to", onnxFloat}))
		x = "x"
	}
	g.bytes(1, node("Gather", []string{x, "idx"}, []string{"g"}, attr{"axis", axis}))
	y := "output"
	if m.Reshape != nil {
		y = "pre" // reshaped into "output" below
	}
	if m.OutF16 {
		g.bytes(1, node("Cast", []string{"g"}, []string{y}, attr{"to", onnxFloat16}))
		g.bytes(1, node("Neg", []string{y}, []string{"neg"}))
	} else {
		g.bytes(1, node("Identity", []string{"g"}, []string{y}))
		g.bytes(1, node("Neg", []string{"g"}, []string{"neg"}))
	}
	negDims := outDims
	if m.Reshape != nil {
		g.bytes(1, node("Reshape", []string{y, "rshape"}, []string{"output"}))
		var rs pbuf
		rs.varint(1, int64(len(m.Reshape)))
		rs.varint(2, onnxInt64)
		for _, d := range m.Reshape {
			rs.varint(7, d)
		}
		rs.str(8, "rshape")
		g.bytes(5, rs)
		outDims = m.Reshape
		if m.OutDims != nil {
			outDims = m.OutDims
		}
	}
	g.str(2, "tiny")
	var idx pbuf
	idx.varint(1, 1) // dims [1]
	idx.varint(2, onnxInt64)
	idx.varint(7, m.Channel) // int64_data
	idx.str(8, "idx")
	g.bytes(5, idx)
	g.bytes(11, valueInfo("input", int(inElem), inDims...))
	outs := [][]byte{valueInfo("output", int(outElem), outDims...), valueInfo("neg", int(outElem), negDims...)}
	if m.OutFirst == "neg" {
		outs[0], outs[1] = outs[1], outs[0]
	}
	for _, o := range outs {
		g.bytes(12, o)
	}
	var opset pbuf
	opset.str(1, "")
	opset.varint(2, 13)
	var mp pbuf
	mp.varint(1, 7) // ir_version
	mp.str(2, "matte-segment-test")
	mp.bytes(7, g)
	mp.bytes(8, opset)
	return mp
}

func (m tinyModel) write(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := os.WriteFile(path, m.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tinyPreset is a preset for a tinyModel at path: mean 0, std 1 on the
// 0-1 scale, so the output is the chosen tensor channel's bytes / 255.
func tinyPreset(path string, m tinyModel) Preset {
	p := Preset{
		Name: "tiny", File: path,
		InputWidth: int(m.W), InputHeight: int(m.H),
		ChannelOrder: RGB, Layout: NCHW, InputType: ElemAuto,
		PixelScale: 255, Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1},
		Output:       "output",
		ResizeKernel: KernelLinear, MaskKernel: KernelLinear,
	}
	if m.NHWC {
		p.Layout = NHWC
	}
	return p
}
