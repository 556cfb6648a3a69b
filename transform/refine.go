package transform

import (
	"fmt"
	"math"
)

// Edge refinement for refine=1: a fast colour guided filter used as guided
// upsampling of the matte.
//
// The guided filter (He, Sun & Tang, "Guided Image Filtering", eq. 14)
// models the matte as locally an affine function of the RGB colour,
// q = aᵀI + b in every window, solved per window with its 3x3 colour
// covariance. The fast variant (He & Sun, "Fast Guided Filter", 2015) fits
// a and b on a subsampled copy of the image and matte, then applies the
// bilinearly upsampled a, b to the full-resolution colours. Here the
// subsampled copy is about refineThumb pixels on its longest side, whatever
// the output size, so the filter behaves the same at every size and its cost
// is one pass over the pixels plus a fixed small fit.
//
// Subsampling is a feature here, not only a speed-up: the model's matte is
// blurrier than the image (it comes from a fixed input size, and ISNet's
// transitions are soft over a few of its pixels). Fitted where both are
// equally blurred, the colour-to-alpha relation holds; applied to the sharp
// colours, it puts a sharp, colour-aligned edge where the model only knew
// roughly where the edge was.
//
// The result replaces the model's alpha only where the model is unsure,
// weighted by how unsure it is (refineWeights): pixels it calls 0 or 1 keep
// their value, so the filter cannot invent or erase subject away from the
// edge, and the weight ramps in, so there is no seam where the band stops.
//
// Measured on the synthetic images of ../shared/testdata (exact alpha; the
// model's raw mattes saved once, then every variant scored on edge MAE and
// MAE, at the images' own size and at twice it; bench/QUALITY.md has the
// pipeline's figures):
//   - a grey (luminance) guide gained 6-13 % edge MAE, the colour guide
//     35-55 %: edges between colours of equal brightness vanish in grey;
//   - widening the band by dilation, or weighting by |2α−1|, did worse;
//   - fitting on a 128-px thumbnail with radius 4 there beat the
//     full-resolution filter at every radius tried (edge MAE −48 % against
//     −36 % for r = 8 px at full resolution), and equally at both sizes;
//     thumbnails of 192, 256 and 384 px did progressively less, radius 2
//     a little less;
//   - eps 1e-5 scored 5 points better still on these noise-free images, but
//     eps is the colour variance the fit ignores, and 1e-4 (a standard
//     deviation of 2.5 levels) keeps sensor and JPEG noise out of the
//     matte; from 3e-4 up, the low-contrast image got worse.
//
// On photos, where the model is unsure over textured ground or fur, the
// refined alpha follows that texture: crisper, not always prettier.
const (
	refineThumb    = 128  // longest side of the thumbnail the filter is fitted on
	refineRadius   = 4    // window radius on the thumbnail, in its pixels
	refineEps      = 1e-4 // regularisation of a, on 0-1 colours
	refineLowConf  = 0.01 // min(α, 1−α) at or below this: alpha kept
	refineHighConf = 0.10 // at or above this: the filter's value alone
)

// refineScale is the thumbnail's subsampling factor for a w x h output.
func refineScale(w, h int) int {
	return max(1, int(math.Round(float64(max(w, h))/refineThumb)))
}

// refineWeights maps an alpha (0-255) to how much of the filtered value
// replaces it: 0 where min(α, 1−α) ≤ 0.01, 1 where it is ≥ 0.1, linear
// between.
var refineWeights = func() (t [256]float64) {
	for a := range t {
		u := math.Min(float64(a), float64(255-a)) / 255
		t[a] = math.Max(0, math.Min(1, (u-refineLowConf)/(refineHighConf-refineLowConf)))
	}
	return t
}()

// guidedRefine refines alpha (w x h, 8-bit) in place, guided by rgb (packed
// 8-bit RGB, w x h).
func guidedRefine(rgb, alpha []byte, w, h int) error {
	n := w * h
	if len(alpha) != n || len(rgb) != 3*n {
		return fmt.Errorf("refine: %d alpha and %d colour bytes for %dx%d", len(alpha), len(rgb), w, h)
	}
	unsure := false
	for _, v := range alpha {
		if refineWeights[v] > 0 {
			unsure = true
			break
		}
	}
	if !unsure {
		return nil
	}
	s := refineScale(w, h)
	lw, lh := (w+s-1)/s, (h+s-1)/s
	ln := lw * lh

	// The thumbnail: box averages of s x s blocks (the last ones partial),
	// summed in integers block row by block row.
	var I [3][]float64
	for c := range I {
		I[c] = make([]float64, ln)
	}
	p := make([]float64, ln)
	sums := make([]uint64, 4*lw)
	for by := 0; by < lh; by++ {
		for i := range sums {
			sums[i] = 0
		}
		y0, y1 := by*s, min(h, by*s+s)
		for y := y0; y < y1; y++ {
			row, arow := rgb[3*y*w:3*(y+1)*w], alpha[y*w:(y+1)*w]
			for bx := 0; bx < lw; bx++ {
				var sr, sg, sb, sa uint64
				for x := bx * s; x < min(w, bx*s+s); x++ {
					sr += uint64(row[3*x])
					sg += uint64(row[3*x+1])
					sb += uint64(row[3*x+2])
					sa += uint64(arow[x])
				}
				sums[4*bx] += sr
				sums[4*bx+1] += sg
				sums[4*bx+2] += sb
				sums[4*bx+3] += sa
			}
		}
		for bx := 0; bx < lw; bx++ {
			j := by*lw + bx
			k := 1 / (255 * float64((min(w, bx*s+s)-bx*s)*(y1-y0)))
			I[0][j] = float64(sums[4*bx]) * k
			I[1][j] = float64(sums[4*bx+1]) * k
			I[2][j] = float64(sums[4*bx+2]) * k
			p[j] = float64(sums[4*bx+3]) * k
		}
	}

	a, b := guidedCoefficients(I, p, lw, lh, refineRadius, refineEps)

	// Apply the bilinearly upsampled coefficients to the full-resolution
	// colours where the model is unsure. Thumbnail pixel j's centre is at
	// (j + 0.5)·s in output coordinates.
	x0s, x1s, txs := bilinearTaps(w, lw, s)
	y0s, y1s, tys := bilinearTaps(h, lh, s)
	for y := 0; y < h; y++ {
		r0, r1, ty := y0s[y]*lw, y1s[y]*lw, tys[y]
		for x := 0; x < w; x++ {
			i := y*w + x
			wgt := refineWeights[alpha[i]]
			if wgt == 0 {
				continue
			}
			c0, c1, tx := x0s[x], x1s[x], txs[x]
			w00, w01, w10, w11 := (1-ty)*(1-tx), (1-ty)*tx, ty*(1-tx), ty*tx
			at := func(plane []float64) float64 {
				return w00*plane[r0+c0] + w01*plane[r0+c1] + w10*plane[r1+c0] + w11*plane[r1+c1]
			}
			q := (at(a[0])*float64(rgb[3*i])+at(a[1])*float64(rgb[3*i+1])+at(a[2])*float64(rgb[3*i+2]))/255 + at(b)
			q = math.Max(0, math.Min(1, q))
			v := wgt*q + (1-wgt)*float64(alpha[i])/255
			alpha[i] = byte(math.Round(255 * v))
		}
	}
	return nil
}

// bilinearTaps returns, for each of the n output positions, the two
// thumbnail positions (of ln) around it and the weight of the second.
func bilinearTaps(n, ln, s int) (lo, hi []int, t []float64) {
	lo, hi, t = make([]int, n), make([]int, n), make([]float64, n)
	for x := 0; x < n; x++ {
		f := (float64(x)+0.5)/float64(s) - 0.5
		j := int(math.Floor(f))
		t[x] = f - float64(j)
		lo[x], hi[x] = min(ln-1, max(0, j)), min(ln-1, max(0, j+1))
	}
	return lo, hi, t
}

// guidedCoefficients fits the colour guided filter of p on the guide I
// (three w x h planes, 0-1) with (2r+1)² windows clipped at the sides, and
// returns the window-averaged coefficients ā (per channel) and b̄, so that
// the filtered value at a pixel is āᵀI + b̄.
func guidedCoefficients(I [3][]float64, p []float64, w, h, r int, eps float64) (a [3][]float64, b []float64) {
	n := w * h
	box := newBoxWindows(w, h, r)
	tmp := make([]float64, n)
	mean := func(src []float64) []float64 {
		dst := make([]float64, n)
		boxFilter(box, dst, src, tmp)
		return dst
	}
	prod := make([]float64, n)
	meanOf := func(x, y []float64) []float64 {
		for i := range prod {
			prod[i] = x[i] * y[i]
		}
		return mean(prod)
	}
	mr, mg, mb, mp := mean(I[0]), mean(I[1]), mean(I[2]), mean(p)
	rr, rg, rb := meanOf(I[0], I[0]), meanOf(I[0], I[1]), meanOf(I[0], I[2])
	gg, gb, bb := meanOf(I[1], I[1]), meanOf(I[1], I[2]), meanOf(I[2], I[2])
	rp, gp, bp := meanOf(I[0], p), meanOf(I[1], p), meanOf(I[2], p)
	for c := range a {
		a[c] = make([]float64, n)
	}
	b = make([]float64, n)
	for i := 0; i < n; i++ {
		// Σ + eps·U, symmetric; cov(I, p).
		srr, srg, srb := rr[i]-mr[i]*mr[i]+eps, rg[i]-mr[i]*mg[i], rb[i]-mr[i]*mb[i]
		sgg, sgb := gg[i]-mg[i]*mg[i]+eps, gb[i]-mg[i]*mb[i]
		sbb := bb[i] - mb[i]*mb[i] + eps
		cr, cg, cb := rp[i]-mr[i]*mp[i], gp[i]-mg[i]*mp[i], bp[i]-mb[i]*mp[i]
		// Inverse by cofactors; eps keeps the matrix positive definite.
		i00, i01, i02 := sgg*sbb-sgb*sgb, srb*sgb-srg*sbb, srg*sgb-srb*sgg
		i11, i12 := srr*sbb-srb*srb, srb*srg-srr*sgb
		i22 := srr*sgg - srg*srg
		det := srr*i00 + srg*i01 + srb*i02
		a0 := (i00*cr + i01*cg + i02*cb) / det
		a1 := (i01*cr + i11*cg + i12*cb) / det
		a2 := (i02*cr + i12*cg + i22*cb) / det
		a[0][i], a[1][i], a[2][i] = a0, a1, a2
		b[i] = mp[i] - a0*mr[i] - a1*mg[i] - a2*mb[i]
	}
	return [3][]float64{mean(a[0]), mean(a[1]), mean(a[2])}, mean(b)
}
