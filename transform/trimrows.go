package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// trimRows cuts img (in memory) to the box left when its border rows and
// columns are walked away (edgeBox), grown by p.TrimPad: imgix's trim=auto
// with trim-md and trim-sd (params.TrimByRows). The walk reads an 8-bit
// sRGB copy, alpha included, so a transparent border counts as one too.
func trimRows(img *vips.Image, p params.Params) error {
	buf, bands, err := srgbPixels(img)
	if err != nil {
		return err
	}
	l, t, w, h := edgeBox(buf, img.Width(), img.Height(), bands, p.TrimMeanDiff, p.TrimStdDev)
	return cutTrimmed(img, l, t, w, h, p.TrimPad)
}

// srgbPixels returns img's pixels as packed 8-bit sRGB (alpha kept), in
// Go memory, with their band count: what the trims walk. img is unchanged.
func srgbPixels(img *vips.Image) (buf []byte, bands int, err error) {
	px := img.Clone()
	defer px.Close()
	if err := px.ToSRGB(); err != nil {
		return nil, 0, err
	}
	buf, err = px.Bytes()
	return buf, px.Bands(), err
}

// edgeBox walks in from the top, then the bottom, the left and the right
// of a w x h image of packed 8-bit pixels with n bands, over what the
// walks before it left. A line (a row, or a column from the sides) is
// border while the standard deviation of its samples (per band, the root
// of the bands' mean variance) is at most maxSD and, after the first, it
// differs from the line before it by at most maxMD on average (the mean
// absolute difference of its samples); the first line that is not stops
// that walk. The box is what no walk took; it is empty (width 0) when the
// walks took every line, an image that is all border.
func edgeBox(buf []byte, w, h, n int, maxMD, maxSD float64) (left, top, width, height int) {
	at := func(x, y, b int) float64 { return float64(buf[(y*w+x)*n+b]) }
	// walk returns how many lines from the first (lines i = first,
	// first+step, ...; count at most) are border. A line is the samples
	// sample(i, j, b) for j in [0, length).
	walk := func(first, step, count, length int, sample func(i, j, b int) float64) int {
		prev := -1
		for k := range count {
			i := first + k*step
			var sd float64
			for b := range n {
				var sum, sq float64
				for j := range length {
					v := sample(i, j, b)
					sum += v
					sq += v * v
				}
				mean := sum / float64(length)
				sd += max(0, sq/float64(length)-mean*mean)
			}
			if math.Sqrt(sd/float64(n)) > maxSD {
				return k
			}
			if prev >= 0 {
				var diff float64
				for j := range length {
					for b := range n {
						diff += math.Abs(sample(i, j, b) - sample(prev, j, b))
					}
				}
				if diff/float64(length*n) > maxMD {
					return k
				}
			}
			prev = i
		}
		return count
	}
	x0, y0, x1, y1 := 0, 0, w, h // the box left: [x0, x1) x [y0, y1)
	row := func(y, j, b int) float64 { return at(x0+j, y, b) }
	y0 += walk(y0, 1, y1-y0, x1-x0, row)
	if y0 == y1 {
		return 0, 0, 0, 0
	}
	if y1 -= walk(y1-1, -1, y1-y0, x1-x0, row); y0 == y1 {
		return 0, 0, 0, 0
	}
	column := func(x, j, b int) float64 { return at(x, y0+j, b) }
	x0 += walk(x0, 1, x1-x0, y1-y0, column)
	if x0 == x1 {
		return 0, 0, 0, 0
	}
	if x1 -= walk(x1-1, -1, x1-x0, y1-y0, column); x0 == x1 {
		return 0, 0, 0, 0
	}
	return x0, y0, x1 - x0, y1 - y0
}
