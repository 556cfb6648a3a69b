package transform

import (
	"testing"
)

// TestEdgeBox pins the border walk of trim-md/trim-sd on small grey and
// RGBA images whose statistics are worked out by hand.
func TestEdgeBox(t *testing.T) {
	grey := func(w, h int, v func(x, y int) byte) []byte {
		b := make([]byte, w*h)
		for y := range h {
			for x := range w {
				b[y*w+x] = v(x, y)
			}
		}
		return b
	}
	inner := func(x, y int) byte { // 6x6: a 2x2 square of 200 at (2, 2)
		if x >= 2 && x < 4 && y >= 2 && y < 4 {
			return 200
		}
		return 0
	}
	// Rows 0-3 are flat at 0, 5, 10, 15 (5 apart); row 4 on are content
	// (a checkerboard of 0 and 255: a standard deviation of 127.5 along
	// every row and column).
	drift := func(x, y int) byte {
		if y < 4 {
			return byte(5 * y)
		}
		return byte(255 * ((x + y) % 2))
	}
	// Row 0 alternates 0 and 20 (a standard deviation of exactly 10); the
	// rest is content.
	ripple := func(x, y int) byte {
		if y == 0 {
			return byte(20 * (x % 2))
		}
		return byte(255 * ((x + y) % 2))
	}
	rgba := make([]byte, 5*4*4) // 5x4, transparent but for an opaque red (1..2, 1..2)
	for y := 1; y <= 2; y++ {
		for x := 1; x <= 2; x++ {
			copy(rgba[(y*5+x)*4:], []byte{255, 0, 0, 255})
		}
	}
	cases := []struct {
		name         string
		buf          []byte
		w, h, n      int
		md, sd       float64
		l, t, bw, bh int
	}{
		// Row 2 ([0 0 200 200 0 0]: mean 66.7, variance 8889) stops the top
		// walk; the columns over rows 2-3 stop at the square by their
		// difference (200) from the column before, not their spread (0).
		{"square", grey(6, 6, inner), 6, 6, 1, 11, 10, 2, 2, 2, 2},
		{"drift within trim-md", grey(6, 8, drift), 6, 8, 1, 11, 10, 0, 4, 6, 4},
		{"drift past trim-md", grey(6, 8, drift), 6, 8, 1, 4, 10, 0, 1, 6, 7},
		{"ripple within trim-sd", grey(4, 5, ripple), 4, 5, 1, 11, 10, 0, 1, 4, 4},
		{"ripple past trim-sd", grey(4, 5, ripple), 4, 5, 1, 11, 9.9, 0, 0, 4, 5},
		{"all border", grey(3, 3, func(int, int) byte { return 7 }), 3, 3, 1, 11, 10, 0, 0, 0, 0},
		{"transparent border", rgba, 5, 4, 4, 11, 10, 1, 1, 2, 2},
	}
	for _, c := range cases {
		l, tp, w, h := edgeBox(c.buf, c.w, c.h, c.n, c.md, c.sd)
		if l != c.l || tp != c.t || w != c.bw || h != c.bh {
			t.Errorf("%s: box (%d,%d) %dx%d, want (%d,%d) %dx%d", c.name, l, tp, w, h, c.l, c.t, c.bw, c.bh)
		}
	}
}
