package segment

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// Running inferences: pooled input/output buffers, Segment, packing RGB into
// the model's input layout and turning its output into an 8-bit mask.

// Concurrency: single-image buffers are reused through s.free (guarded by
// s.bufMu); batch buffers are made per run. The Pool bounds how many
// inferences run at once.

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
	inShape[0] = int64(n)
	if s.outBatch { // else n is 1: only a batchable model runs batches
		outShape[0] = int64(n)
	}
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
	if s.opts.Pool != nil {
		s.opts.Pool.countBatch(n)
	}

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
