package transform

// boxWindows describes the (2r+1)² windows of a w x h plane, clipped at its
// sides, for boxFilter: invX[x] and invY[y] are the reciprocals of a
// window's width and height there (its pixel count is their product's
// reciprocal), and col is the column sums' scratch row. Not safe for
// concurrent use.
type boxWindows struct {
	w, h, r    int
	invX, invY []float64
	col        []float64
}

func newBoxWindows(w, h, r int) *boxWindows {
	return &boxWindows{w: w, h: h, r: r, invX: windowInverses(w, r), invY: windowInverses(h, r), col: make([]float64, w)}
}

func windowInverses(n, r int) []float64 {
	inv := make([]float64, n)
	for i := range inv {
		inv[i] = 1 / float64(min(n-1, i+r)-max(0, i-r)+1)
	}
	return inv
}

// boxFilter writes the mean of src over bw's windows into dst, which may
// be src (tmp is a scratch plane, neither of them; all three are w*h), by
// running sums: a row pass, then every column at once. The planes may be
// float32, to halve the memory they stream through; the running sums are
// float64 either way, so float32 planes only round what is stored.
func boxFilter[T float32 | float64](bw *boxWindows, dst, src, tmp []T) {
	w, h, r := bw.w, bw.h, bw.r
	for y := 0; y < h; y++ {
		row, out := src[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		var s float64
		for x := 0; x < r && x < w; x++ {
			s += float64(row[x])
		}
		for x := 0; x < w; x++ {
			if x+r < w {
				s += float64(row[x+r])
			}
			out[x] = T(s)
			if x-r >= 0 {
				s -= float64(row[x-r])
			}
		}
	}
	// (Not the builtin clear: the package's tests name a colour so.)
	col := bw.col
	for x := range col {
		col[x] = 0
	}
	for y := 0; y < r && y < h; y++ {
		for x, v := range tmp[y*w : (y+1)*w] {
			col[x] += float64(v)
		}
	}
	for y := 0; y < h; y++ {
		if y+r < h {
			for x, v := range tmp[(y+r)*w : (y+r+1)*w] {
				col[x] += float64(v)
			}
		}
		out, iy := dst[y*w:(y+1)*w], bw.invY[y]
		for x := range out {
			out[x] = T(col[x] * bw.invX[x] * iy)
		}
		if y-r >= 0 {
			for x, v := range tmp[(y-r)*w : (y-r+1)*w] {
				col[x] -= float64(v)
			}
		}
	}
}
