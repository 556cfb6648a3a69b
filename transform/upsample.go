package transform

import (
	"runtime"

	"github.com/jebosio/matte/transform/vips"
)

// The linear kernel's upsizing, in Go. libvips' vips_resize grows an image
// through vips_affine with a bilinear interpolator, a general-purpose,
// tile-based path that spends 15 ms growing a 1000×667 photo to ISNet's
// 1024×1024 input and 125 ms growing a 1024×1024 matte to a 12 MP
// cut-out. A separable bilinear pass over packed 8-bit pixels takes the
// same samples in a fraction of that; axes that shrink stay with libvips'
// vips_reduce, which is fast, as vips_resize does them first.

// upsizesLinear reports whether a linear-kernel resize from sw×sh to
// dw×dh grows an axis: where it does, upsampleLinear does the growing,
// after libvips' reduce has done any shrinking (shrinkAxesLinear).
func upsizesLinear(kernel string, sw, sh, dw, dh int) bool {
	return kernel == "linear" && (dw > sw || dh > sh)
}

// upsampleLinear writes into dst (dw×dh pixels of dstBands bands, packed)
// the bilinear upsizing of src (sw×sh pixels of srcBands bands, packed,
// srcBands ≥ dstBands; the first dstBands of each pixel are read). Each
// axis grows or keeps its size (dw ≥ sw, dh ≥ sh).
//
// A growing axis takes the samples libvips' vips_resize takes with the
// linear kernel (vips_affine, input displacement ½): output x reads input
// x·sw/dw − ½, clamped to the edge, so the result equals libvips' within
// one level of rounding. An axis that keeps its size is copied (vips_resize
// would shift it by half a pixel when the other axis grows).
//
// Rows are shared among up to workers goroutines; the result does not
// depend on how many.
func upsampleLinear(dst []byte, dw, dh, dstBands int, src []byte, sw, sh, srcBands int, workers int) {
	tx, ty := linearTaps(sw, dw), linearTaps(sh, dh)
	parallelRows(dh, max(1, workers), func(y0, y1 int) {
		upsampleRows(dst, dw, dstBands, src, sw, srcBands, tx, ty, y0, y1)
	})
}

// upsampleWorkers is how many goroutines share an upsizing: the cores, up
// to four. At low load the cores are idle around an inference; under load
// the goroutines take turns like any other work.
func upsampleWorkers() int { return min(runtime.GOMAXPROCS(0), 4) }

// linearTap is one output position's two input neighbours and the weight
// of the second, in 1/linearOne.
type linearTap struct{ i0, i1, w int32 }

const (
	linearShift = 12
	linearOne   = 1 << linearShift
)

func linearTaps(s, d int) []linearTap {
	t := make([]linearTap, d)
	if s == d {
		for x := range t {
			t[x] = linearTap{int32(x), int32(x), 0}
		}
		return t
	}
	for x := range t {
		f := max(0, float64(x)*float64(s)/float64(d)-0.5)
		i0 := min(int(f), s-1)
		w := int32((f-float64(i0))*linearOne + 0.5)
		t[x] = linearTap{int32(i0), int32(min(i0+1, s-1)), w}
	}
	return t
}

// upsampleRows computes output rows y0 to y1 (exclusive). Each input row
// is grown horizontally once into one of two rows kept at linearOne times
// its value, and output rows blend the two.
func upsampleRows(dst []byte, dw, dstBands int, src []byte, sw, srcBands int, tx, ty []linearTap, y0, y1 int) {
	n := dw * dstBands
	rows := [2][]int32{make([]int32, n), make([]int32, n)}
	held := [2]int{-1, -1}
	grow := func(out []int32, y int) {
		row := src[y*sw*srcBands : (y+1)*sw*srcBands]
		for x, t := range tx {
			a, b := int(t.i0)*srcBands, int(t.i1)*srcBands
			o := out[x*dstBands : x*dstBands+dstBands]
			for c := range o {
				p0, p1 := int32(row[a+c]), int32(row[b+c])
				o[c] = p0<<linearShift + (p1-p0)*t.w
			}
		}
	}
	// row returns input row y grown, in slot k, reusing the other slot's
	// row when it holds y already.
	row := func(k, y int) []int32 {
		switch y {
		case held[k]:
		case held[1-k]:
			rows[0], rows[1] = rows[1], rows[0]
			held[0], held[1] = held[1], held[0]
		default:
			grow(rows[k], y)
			held[k] = y
		}
		return rows[k]
	}
	const round = 1 << (2*linearShift - 1)
	for y := y0; y < y1; y++ {
		t := ty[y]
		top := row(0, int(t.i0))
		bottom := row(1, int(t.i1))
		out := dst[y*n : (y+1)*n]
		w := int64(t.w)
		for i := range out {
			v := int64(top[i])<<linearShift + int64(bottom[i]-top[i])*w
			out[i] = byte((v + round) >> (2 * linearShift))
		}
	}
}

// shrinkAxesLinear resizes img with the linear kernel on the axes that
// shrink towards w×h, leaving the others for upsampleLinear.
func shrinkAxesLinear(img *vips.Image, w, h int) error {
	return img.ResizeKernel(min(w, img.Width()), min(h, img.Height()), "linear")
}
