package transform

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/jebosio/matte/transform/vips"
)

// decontaminate joins the shaped matte (j.alpha) to the source's colours as
// their alpha, after replacing the colours of the edge (decontaminatedCutout),
// and leaves the cut-out in memory for the steps that read it more than
// once. A transparent source stays transparent where the model sees a
// subject.
func (j *job) decontaminate() error {
	if !j.p.Removal.Enabled {
		return nil
	}
	img, alpha := j.img, j.alpha
	if img.HasAlpha() {
		own, err := img.ExtractBand(3, 1)
		if err != nil {
			return err
		}
		combined, err := vips.Mul255(alpha, own)
		own.Close()
		if err != nil {
			return err
		}
		alpha.Replace(combined)
	}
	var cutout *vips.Image
	if !j.p.Removal.MaskOnly { // a mask-only answer never shows the colours
		// The colours are read in place: rendered once (for most
		// sources, this is their decode).
		if err := j.toMemory(img); err != nil {
			return err
		}
		var err error
		if cutout, err = decontaminatedCutout(img, alpha, decontaminateWorkers()); err != nil {
			return err
		}
	}
	if cutout == nil { // no edge to clean, or no colours shown: join as they are
		rgb, err := img.ExtractBand(0, 3)
		if err != nil {
			return err
		}
		cutout, err = vips.BandJoin(rgb, alpha)
		rgb.Close()
		if err != nil {
			return err
		}
	}
	img.Replace(cutout)
	alpha.Close()
	j.alpha = nil
	return j.toMemory(img)
}

// decontaminatedCutout returns the cut-out, an 8-bit sRGB image with alpha
// held in memory: img's colours (its first three bands) with those of the
// semi-transparent edge replaced by an estimate of the foreground colour,
// so the old background does not bleed into the edge, and alpha as the
// fourth band. It returns nil where the matte has no edge (no value
// strictly between 0 and 255). img must be held in memory at one byte per
// sample (8-bit, 3 or 4 bands); alpha is 8-bit, 1 band, and is left
// rendered to memory.
//
// The estimate is approximate fast foreground colour estimation (Forte &
// Pitié, 2021): with local means F̄ = blur(F·a)/blur(a) and
// B̄ = blur(B·(1-a))/blur(1-a),
//
//	F = F̄ + a·(I − a·F̄ − (1−a)·B̄),   B = B̄ + (1−a)·(I − a·F̄ − (1−a)·B̄)
//
// run coarse then fine, starting from F = B = I. The local means are smooth,
// so they are estimated on a copy at most decontaminateSide pixels long
// (box-filter blurs); the last update, which brings back the image's
// detail, runs at full size on the semi-transparent pixels only, the others
// keep their colour, and is written straight into the cut-out with its
// alpha: one pass over the full-size pixels, no further copy or join.
// The work is shared among workers goroutines; the answer does not depend
// on how many.
func decontaminatedCutout(img, alpha *vips.Image, workers int) (*vips.Image, error) {
	workers = max(1, workers)
	w, h, bands := img.Width(), img.Height(), img.Bands()
	if err := alpha.CopyMemory(); err != nil {
		return nil, err
	}
	ab, err := alpha.View()
	if err != nil {
		return nil, err
	}
	if len(ab) != w*h {
		return nil, fmt.Errorf("decontaminate: matte is %d bytes for %dx%d", len(ab), w, h)
	}
	partial := false
	for _, v := range ab {
		if v != 0 && v != 255 {
			partial = true
			break
		}
	}
	if !partial { // a hard matte has no edge to clean
		return nil, nil
	}
	px, err := img.View()
	if err != nil {
		return nil, err
	}
	if bands < 3 || len(px) != w*h*bands {
		return nil, fmt.Errorf("decontaminate: image is %d bytes for %dx%dx%d, not 8-bit colour", len(px), w, h, bands)
	}

	// The working copy: 8-bit pixels scaled down by libvips, then float
	// planes (colours 0-255, alpha 0-1).
	scale := math.Min(1, decontaminateSide/float64(max(w, h)))
	sw, sh := atLeast1(float64(w)*scale), atLeast1(float64(h)*scale)
	small := func(full *vips.Image, n int) ([]byte, error) {
		im := full.Clone()
		defer im.Close()
		if im.Bands() > n {
			part, err := im.ExtractBand(0, n)
			if err != nil {
				return nil, err
			}
			im.Replace(part)
		}
		if err := im.ResizeKernel(sw, sh, "linear"); err != nil {
			return nil, err
		}
		return im.Bytes()
	}
	sa, err := small(alpha, 1)
	if err != nil {
		return nil, err
	}
	si, err := small(img, 3)
	if err != nil {
		return nil, err
	}
	n := sw * sh
	if len(sa) != n || len(si) != 3*n {
		return nil, fmt.Errorf("decontaminate: working copy is %d and %d bytes for %dx%d", len(sa), len(si), sw, sh)
	}
	// float32 planes: the working copy is 8-bit, and the blurs stream
	// through the planes (see boxFilter).
	planes := make([]float32, (18+2*workers)*n) // A, 1-A; I, F, B, F̄, B̄ (3 each); blur(A); 2 scratch per worker
	next := func() []float32 {
		p := planes[:n:n]
		planes = planes[n:]
		return p
	}
	A, inv := next(), next()
	for i, v := range sa {
		A[i] = float32(v) / 255
		inv[i] = 1 - A[i]
	}
	// F and B start as I; each update writes the planes made for them
	// (it reads I, A and the means only).
	var I, F, B, nf, nb, fm, bm [3][]float32
	for c := range I {
		I[c], nf[c], nb[c], fm[c], bm[c] = next(), next(), next(), next(), next()
		for i := range I[c] {
			I[c][i] = float32(si[3*i+c])
		}
	}
	F, B = I, I
	blur := edgeBlur{weights: next(), scratch: make([]blurScratch, workers)}
	for k := range blur.scratch {
		blur.scratch[k] = blurScratch{tmp: next(), prod: next()}
	}
	// The coarse level spreads colours across the edge band, the fine one
	// sharpens them; sigmas are in full-size pixels.
	coarse := math.Min(8, math.Max(4, float64(max(w, h))/100))
	sigmas := []float64{coarse * scale, math.Max(0.5, 2*scale)}
	for li, sigma := range sigmas {
		blur.setSigma(sw, sh, sigma)
		blur.weightedMeans(fm, F, A, bm, B, inv)
		if li == len(sigmas)-1 {
			break
		}
		for c := range F {
			for i := range nf[c] {
				r := I[c][i] - A[i]*fm[c][i] - inv[i]*bm[c][i]
				nf[c][i], nb[c][i] = fm[c][i]+A[i]*r, bm[c][i]+inv[i]*r
			}
		}
		F, B = nf, nb
	}

	out, rgba, err := vips.NewPixels(w, h, 4, img.Canceller())
	if err != nil {
		return nil, err
	}
	means := edgeMeans{fm: fm, bm: bm, sw: sw, sh: sh, kx: float64(sw) / float64(w), ky: float64(sh) / float64(h)}
	parallelRows(h, workers, func(y0, y1 int) { cutoutRows(rgba, px, bands, ab, w, y0, y1, &means) })
	return out, nil
}

// edgeMeans are the local means F̄ (fm) and B̄ (bm) on the sw x sh working
// copy, and the working copy's pixels per full-size pixel (kx, ky).
type edgeMeans struct {
	fm, bm [3][]float32
	sw, sh int
	kx, ky float64
}

// cutoutRows writes rows y0 to y1 (exclusive) of the w-wide RGBA cut-out:
// each pixel's colour from px (bands per pixel, the first three read) and
// its alpha from ab; where 0 < a < 1, the colour is the last update,
// F = F̄ + a·(I − a·F̄ − (1−a)·B̄), with the means sampled bilinearly at
// that pixel. Calls on disjoint rows may run concurrently.
func cutoutRows(rgba, px []byte, bands int, ab []byte, w, y0, y1 int, m *edgeMeans) {
	for y := y0; y < y1; y++ {
		fy := math.Max(0, math.Min(float64(m.sh-1), (float64(y)+0.5)*m.ky-0.5))
		sy0 := int(fy)
		sy1, wy := min(sy0+1, m.sh-1), fy-float64(sy0)
		for x := 0; x < w; x++ {
			i := y*w + x
			src, dst := px[i*bands:i*bands+3], rgba[4*i:4*i+4]
			a8 := ab[i]
			dst[3] = a8
			if a8 == 0 || a8 == 255 {
				dst[0], dst[1], dst[2] = src[0], src[1], src[2]
				continue
			}
			fx := math.Max(0, math.Min(float64(m.sw-1), (float64(x)+0.5)*m.kx-0.5))
			x0 := int(fx)
			x1, wx := min(x0+1, m.sw-1), fx-float64(x0)
			p00, p01, p10, p11 := sy0*m.sw+x0, sy0*m.sw+x1, sy1*m.sw+x0, sy1*m.sw+x1
			a := float64(a8) / 255
			for c := 0; c < 3; c++ {
				fm, bm := m.fm[c], m.bm[c]
				f := bilerp(fm[p00], fm[p01], fm[p10], fm[p11], wx, wy)
				b := bilerp(bm[p00], bm[p01], bm[p10], bm[p11], wx, wy)
				v := f + a*(float64(src[c])-a*f-(1-a)*b)
				dst[c] = uint8(max(0, min(255, v+0.5)))
			}
		}
	}
}

// decontaminateWorkers is how many goroutines share decontaminatedCutout's
// blurs and its last update: the cores, up to the three colour planes' six
// blurs' worth that can use them. At low load this shortens a removal's
// composite stage (the model's threads have finished, and the cores are
// free); under load the goroutines take turns like any other work. The
// answer does not depend on the count: each blur and each row is computed
// by one goroutine, the same way.
func decontaminateWorkers() int { return min(runtime.GOMAXPROCS(0), 3) }

func bilerp(v00, v01, v10, v11 float32, wx, wy float64) float64 {
	top := float64(v00) + float64(v01-v00)*wx
	bottom := float64(v10) + float64(v11-v10)*wx
	return top + (bottom-top)*wy
}

// decontaminateSide bounds the working copy on which decontaminate
// estimates local colour means.
const decontaminateSide = 384

// edgeBlur computes decontaminatedCutout's weighted local means, with a
// Gaussian of sigma approximated by two box filters, on one goroutine per
// scratch. Its planes are w*h each: weights holds blur(A), and each
// scratch's planes belong to one goroutine at a time.
type edgeBlur struct {
	weights []float32
	scratch []blurScratch
}

type blurScratch struct {
	box       *boxWindows // its own: boxWindows has a scratch row
	tmp, prod []float32
}

// setSigma sizes the boxes for a Gaussian of sigma on a w x h plane.
func (eb *edgeBlur) setSigma(w, h int, sigma float64) {
	// Two boxes of radius r have variance 2·((2r+1)²−1)/12.
	r := max(1, int(math.Round((math.Sqrt(6*sigma*sigma+1)-1)/2)))
	for k := range eb.scratch {
		eb.scratch[k].box = newBoxWindows(w, h, r)
	}
}

// blur writes the two-box blur of src into dst (which may be src).
func (sc *blurScratch) blur(dst, src []float32) {
	boxFilter(sc.box, dst, src, sc.tmp)
	boxFilter(sc.box, dst, dst, sc.tmp)
}

// weightedMeans sets fm to blur(F·A)/blur(A) and bm to
// blur(B·inv)/blur(inv), plane by plane, where inv is 1−A: blur(inv) is
// then 1−blur(A), the blur being a mean, so A is blurred once. The six
// planes' blurs are shared out among the scratches' goroutines.
func (eb *edgeBlur) weightedMeans(fm, F [3][]float32, A []float32, bm, B [3][]float32, inv []float32) {
	eb.scratch[0].blur(eb.weights, A)
	const planes = 6 // fm and bm, 3 channels each
	fanOut(len(eb.scratch), func(k int) {
		sc := &eb.scratch[k]
		for t := k; t < planes; t += len(eb.scratch) {
			c := t / 2
			if t%2 == 0 {
				sc.blurProduct(fm[c], F[c], A)
				for i, d := range eb.weights {
					fm[c][i] /= d + 1e-4
				}
			} else {
				sc.blurProduct(bm[c], B[c], inv)
				for i, d := range eb.weights {
					bm[c][i] /= 1 - d + 1e-4
				}
			}
		}
	})
}

// blurProduct writes blur(x·wt) into dst.
func (sc *blurScratch) blurProduct(dst, x, wt []float32) {
	for i := range sc.prod {
		sc.prod[i] = x[i] * wt[i]
	}
	sc.blur(dst, sc.prod)
}

// parallelRows runs fn over rows [0, h) cut into workers consecutive bands,
// one goroutine each, and returns when all are done.
func parallelRows(h, workers int, fn func(y0, y1 int)) {
	if workers <= 1 || h < 2*workers {
		fn(0, h)
		return
	}
	fanOut(workers, func(k int) { fn(k*h/workers, (k+1)*h/workers) })
}

// fanOut runs fn(0) to fn(n-1), one goroutine each, and returns when all
// are done.
func fanOut(n int, fn func(k int)) {
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { fn(k) })
	}
	wg.Wait()
}
