package transform

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/jebosio/matte/params"
)

// ModelSpec is what the pipeline needs to know of a segmentation model.
type ModelSpec struct {
	// ID names the model and its weights (name@shorthash) for cache keys
	// and the X-Matte-Model header.
	ID string
	// Width x Height is the model's input size; Kernel the libvips resize
	// kernel its reference pre-processing matches ("linear", "lanczos3", ...).
	Width, Height int
	Kernel        string
	// MaskKernel resizes the matte back (default "linear").
	MaskKernel string
}

// Matter supplies alpha mattes. It is safe for concurrent use.
type Matter interface {
	// Spec describes model ("" is the default). An unknown or disallowed
	// model is an *Error for the field "model".
	Spec(model string) (ModelSpec, error)
	// Matte returns the matte of the source whose content hash is
	// sourceHash: spec.Width x spec.Height bytes, 255 = foreground. input
	// renders the source as packed RGB at the model's size; implementations
	// call it only when they have no cached matte.
	Matte(ctx context.Context, model, sourceHash string, input func() ([]byte, error)) ([]byte, error)
}

// Box is a rectangle in output pixels.
type Box struct{ Left, Top, Width, Height int }

// removalLoadScale is how finely a removal request decodes the source,
// relative to the planned output: crop=fg and subject scaling enlarge a part
// of the image, so they keep twice the resolution.
func removalLoadScale(p params.Params, planned float64) float64 {
	if p.Removal.CropToForeground || p.Removal.Scale > 0 {
		planned *= 2
	}
	return math.Min(1, planned)
}

// loadForRemoval decodes the source at the resolution the output needs,
// obtains the matte (from the Matter's cache, or by rendering the model
// input and running the model) and joins it as the alpha band. The RGB
// bands keep the source's colours, so a blurred background can be made from
// them later.
func (j *job) loadForRemoval() error {
	p, src := j.p, j.src
	if j.pl.opts.Matter == nil {
		return &params.Error{Status: http.StatusNotImplemented, Code: "removal_unavailable", Title: "Background removal unavailable",
			Detail: "This server has no segmentation model configured.", Field: "rembg"}
	}
	spec, err := j.pl.opts.Matter.Spec(p.Removal.Model)
	if err != nil {
		return err
	}
	j.model = spec
	turns, quarter := p.QuarterTurns()
	planW, planH := src.Width, src.Height
	if quarter && turns%2 == 1 {
		planW, planH = planH, planW
	}
	g := planGeometry(planW, planH, p, j.pl.opts.Limits.MaxOutputDimension)
	scale := removalLoadScale(p, math.Max(float64(g.resizeW)/float64(planW), float64(g.resizeH)/float64(planH)))
	lw, lh := atLeast1(float64(src.Width)*scale), atLeast1(float64(src.Height)*scale)

	input := func() ([]byte, error) {
		// Decode at up to twice the model size (shrink-on-load), then
		// resize with the model's own kernel.
		iw, ih := min(src.Width, 2*spec.Width), min(src.Height, 2*spec.Height)
		in, err := thumbnail(j.buf, iw, ih, noCrop, src.jpegShrink(iw, ih))
		if err != nil {
			return nil, err
		}
		defer in.close()
		if err := in.toSRGB(); err != nil {
			return nil, err
		}
		if err := in.resizeExact(spec.Width, spec.Height, spec.Kernel); err != nil {
			return nil, err
		}
		return in.rawRGB()
	}
	mask, err := j.pl.opts.Matter.Matte(j.ctx, p.Removal.Model, src.Hash, input)
	if err != nil {
		return err
	}
	if len(mask) != spec.Width*spec.Height {
		return fmt.Errorf("matte is %d bytes, want %dx%d", len(mask), spec.Width, spec.Height)
	}
	if err := j.ctx.Err(); err != nil {
		return deadlineError(err)
	}

	img, err := thumbnail(j.buf, lw, lh, noCrop, src.jpegShrink(lw, lh))
	if err != nil {
		return err
	}
	j.img = img
	if err := img.toSRGB(); err != nil {
		return err
	}
	if img.hasAlpha() {
		// The source's own alpha and its colours are read separately below
		// (decontaminate renders each), and a sequential decode cannot be
		// read twice: render the decoded image once.
		if err := img.copyMemory(); err != nil {
			return err
		}
	}
	alpha, err := grayImage(mask, spec.Width, spec.Height)
	if err != nil {
		return err
	}
	defer alpha.close()
	maskKernel := spec.MaskKernel
	if maskKernel == "" {
		maskKernel = "linear"
	}
	if err := alpha.resizeExact(img.width(), img.height(), maskKernel); err != nil {
		return err
	}
	// Output pixels per loaded pixel, for the edge options given in output pixels.
	outPerLoad := float64(g.resizeW) / float64(max(1, img.width()))
	if quarter && turns%2 == 1 {
		outPerLoad = float64(g.resizeW) / float64(max(1, img.height()))
	}
	if err := j.shapeMatte(alpha, outPerLoad); err != nil {
		return err
	}
	rgb, err := img.extractBand(0, 3)
	if err != nil {
		return err
	}
	defer rgb.close()
	if img.hasAlpha() {
		// A transparent source stays transparent where the model sees a subject.
		own, err := img.extractBand(3, 1)
		if err != nil {
			return err
		}
		combined, err := mul255(alpha, own)
		own.close()
		if err != nil {
			return err
		}
		alpha.set(combined.p)
	}
	if !j.p.Removal.MaskOnly { // a mask-only answer never shows the colours
		if err := decontaminate(rgb, alpha); err != nil {
			return err
		}
	}
	joined, err := bandjoin(rgb, alpha)
	if err != nil {
		return err
	}
	img.set(joined.p)
	if err := img.copyMemory(); err != nil {
		return err
	}
	if err := j.limitToROI(); err != nil { // Extras.ROI (extras.go)
		return err
	}
	return j.frameSubject()
}

// shapeMatte applies the hard threshold, erosion and feathering. Sizes are
// in output pixels; outPerLoad converts them.
func (j *job) shapeMatte(alpha *vimage, outPerLoad float64) error {
	r := j.p.Removal
	toLoad := func(v float64) float64 { return v / math.Max(outPerLoad, 1e-6) }
	if r.Refine {
		if err := refineMatte(j.img, alpha); err != nil {
			return err
		}
	}
	if r.Erode > 0 {
		size := 2*int(math.Round(toLoad(float64(r.Erode)))) + 1
		if size > 1 {
			if err := alpha.minFilter(size); err != nil {
				return err
			}
		}
	}
	if r.Hard {
		// threshold=0 keeps every pixel the model gave any weight.
		t := math.Max(r.Threshold*255, 1)
		if err := alpha.threshold(t); err != nil {
			return err
		}
	}
	if r.Feather > 0 {
		if err := alpha.gaussBlur(math.Max(0.3, toLoad(r.Feather))); err != nil {
			return err
		}
		if err := alpha.clampUchar(); err != nil {
			return err
		}
	}
	return nil
}

// foregroundBox is the box of pixels whose alpha passes 10 of 255, or false
// when there is none.
func foregroundBox(img *vimage) (Box, bool, error) {
	if img.width() < 3 || img.height() < 3 {
		// libvips' trim detection filters with a 3x3 window: call a tiny
		// image its own box.
		return Box{Width: img.width(), Height: img.height()}, true, nil
	}
	a, err := img.extractBand(img.bands()-1, 1)
	if err != nil {
		return Box{}, false, err
	}
	defer a.close()
	if err := a.copyMemory(); err != nil {
		return Box{}, false, err
	}
	l, t, w, h, err := a.findTrimBg([]float64{0}, 10)
	if err != nil {
		return Box{}, false, err
	}
	if w <= 0 || h <= 0 {
		return Box{}, false, nil
	}
	return Box{Left: l, Top: t, Width: w, Height: h}, true, nil
}

// frameSubject applies rect, crop=fg (with fg-pad), and scale/position: it
// places the subject on its canvas, before the output geometry.
func (j *job) frameSubject() error {
	p, img := j.p, j.img
	if !p.Rect.IsZero() {
		rect, err := clampRect(p.Rect, j.src.Width, j.src.Height)
		if err != nil {
			return err
		}
		fx, fy := float64(img.width())/float64(j.src.Width), float64(img.height())/float64(j.src.Height)
		x, y := int(float64(rect.X)*fx), int(float64(rect.Y)*fy)
		if err := img.extract(x, y, min(img.width()-x, atLeast1(float64(rect.W)*fx)), min(img.height()-y, atLeast1(float64(rect.H)*fy))); err != nil {
			return err
		}
	}
	r := p.Removal
	if !r.CropToForeground && r.Scale == 0 && !r.Position.Set {
		return nil
	}
	box, ok, err := foregroundBox(img)
	if err != nil || !ok {
		return err // no subject: keep the canvas as it is
	}
	canvasW, canvasH := img.width(), img.height()
	if r.CropToForeground {
		padX, padY := r.FGPad.Value, r.FGPad.Value
		if r.FGPad.Percent {
			padX, padY = float64(box.Width)*r.FGPad.Value/100, float64(box.Height)*r.FGPad.Value/100
		}
		canvasW, canvasH = box.Width+2*int(math.Round(padX)), box.Height+2*int(math.Round(padY))
	}
	if err := img.extract(box.Left, box.Top, box.Width, box.Height); err != nil {
		return err
	}
	if r.Scale > 0 {
		f := r.Scale * math.Min(float64(canvasW)/float64(box.Width), float64(canvasH)/float64(box.Height))
		if err := img.resizeTo(atLeast1(float64(box.Width)*f), atLeast1(float64(box.Height)*f), noCrop); err != nil {
			return err
		}
	}
	px, py := 50.0, 50.0
	if r.Position.Set {
		px, py = r.Position.X, r.Position.Y
	} else if !r.CropToForeground {
		// Original place: keep the subject's centre where it was.
		cx := float64(box.Left) + float64(box.Width)/2
		cy := float64(box.Top) + float64(box.Height)/2
		if free := float64(canvasW - img.width()); free > 0 {
			px = 100 * (cx - float64(img.width())/2) / free
		}
		if free := float64(canvasH - img.height()); free > 0 {
			py = 100 * (cy - float64(img.height())/2) / free
		}
	}
	w, h := max(canvasW, img.width()), max(canvasH, img.height())
	x := int(math.Round(float64(w-img.width()) * math.Max(0, math.Min(100, px)) / 100))
	y := int(math.Round(float64(h-img.height()) * math.Max(0, math.Min(100, py)) / 100))
	return img.embed(x, y, w, h, []float64{0, 0, 0, 0})
}

// decontaminate replaces the colours of semi-transparent edge pixels by an
// estimate of the foreground colour, so the old background does not bleed
// into the edge. It is approximate fast foreground colour estimation
// (Forte & Pitié, 2021): with local means F̄ = blur(F·a)/blur(a) and
// B̄ = blur(B·(1-a))/blur(1-a),
//
//	F = F̄ + a·(I − a·F̄ − (1−a)·B̄),   B = B̄ + (1−a)·(I − a·F̄ − (1−a)·B̄)
//
// run coarse then fine, starting from F = B = I. The local means are smooth,
// so they are estimated on a copy at most decontaminateSide pixels long
// (box-filter blurs); the last update, which brings back the image's
// detail, runs at full size on the semi-transparent pixels only, the others
// keep their colour. rgb is 8-bit, 3 bands; alpha 8-bit, 1 band.
func decontaminate(rgb, alpha *vimage) error {
	w, h := rgb.width(), rgb.height()
	ab, err := alpha.bytes()
	if err != nil {
		return err
	}
	if len(ab) != w*h {
		return fmt.Errorf("decontaminate: matte is %d bytes for %dx%d", len(ab), w, h)
	}
	partial := false
	for _, v := range ab {
		if v != 0 && v != 255 {
			partial = true
			break
		}
	}
	if !partial { // a hard matte has no edge to clean
		return nil
	}
	px, err := rgb.rawRGB()
	if err != nil {
		return err
	}

	// The working copy: 8-bit pixels scaled down by libvips, then float
	// planes (colours 0-255, alpha 0-1).
	scale := math.Min(1, decontaminateSide/float64(max(w, h)))
	sw, sh := atLeast1(float64(w)*scale), atLeast1(float64(h)*scale)
	small := func(pix []byte, bands int) ([]byte, error) {
		im, err := pixelImage(pix, w, h, bands)
		if err != nil {
			return nil, err
		}
		defer im.close()
		if err := im.resizeExact(sw, sh, "linear"); err != nil {
			return nil, err
		}
		return im.bytes()
	}
	sa, err := small(ab, 1)
	if err != nil {
		return err
	}
	si, err := small(px, 3)
	if err != nil {
		return err
	}
	n := sw * sh
	if len(sa) != n || len(si) != 3*n {
		return fmt.Errorf("decontaminate: working copy is %d and %d bytes for %dx%d", len(sa), len(si), sw, sh)
	}
	A, inv := make([]float64, n), make([]float64, n)
	for i, v := range sa {
		A[i] = float64(v) / 255
		inv[i] = 1 - A[i]
	}
	var I, F, B, fm, bm [3][]float64
	for c := range I {
		I[c] = make([]float64, n)
		for i := range I[c] {
			I[c][i] = float64(si[3*i+c])
		}
		F[c], B[c] = I[c], I[c]
	}
	// The coarse level spreads colours across the edge band, the fine one
	// sharpens them; sigmas are in full-size pixels.
	coarse := math.Min(8, math.Max(4, float64(max(w, h))/100))
	sigmas := []float64{coarse * scale, math.Max(0.5, 2*scale)}
	for li, sigma := range sigmas {
		blur := newBoxBlur(sw, sh, sigma)
		fm, bm = blur.weightedMeans(F, A), blur.weightedMeans(B, inv)
		if li == len(sigmas)-1 {
			break
		}
		for c := range F {
			nf, nb := make([]float64, n), make([]float64, n)
			for i := range nf {
				r := I[c][i] - A[i]*fm[c][i] - inv[i]*bm[c][i]
				nf[i], nb[i] = fm[c][i]+A[i]*r, bm[c][i]+inv[i]*r
			}
			F[c], B[c] = nf, nb
		}
	}

	// The last update, at full size, where 0 < a < 1: the means sampled
	// bilinearly, F = F̄ + a·(I − a·F̄ − (1−a)·B̄).
	kx, ky := float64(sw)/float64(w), float64(sh)/float64(h)
	for y := 0; y < h; y++ {
		fy := math.Max(0, math.Min(float64(sh-1), (float64(y)+0.5)*ky-0.5))
		y0 := int(fy)
		y1, wy := min(y0+1, sh-1), fy-float64(y0)
		for x := 0; x < w; x++ {
			i := y*w + x
			a8 := ab[i]
			if a8 == 0 || a8 == 255 {
				continue
			}
			fx := math.Max(0, math.Min(float64(sw-1), (float64(x)+0.5)*kx-0.5))
			x0 := int(fx)
			x1, wx := min(x0+1, sw-1), fx-float64(x0)
			p00, p01, p10, p11 := y0*sw+x0, y0*sw+x1, y1*sw+x0, y1*sw+x1
			a := float64(a8) / 255
			for c := 0; c < 3; c++ {
				f := bilerp(fm[c][p00], fm[c][p01], fm[c][p10], fm[c][p11], wx, wy)
				b := bilerp(bm[c][p00], bm[c][p01], bm[c][p10], bm[c][p11], wx, wy)
				v := f + a*(float64(px[3*i+c])-a*f-(1-a)*b)
				px[3*i+c] = uint8(max(0, min(255, v+0.5)))
			}
		}
	}
	out, err := pixelImage(px, w, h, 3)
	if err != nil {
		return err
	}
	rgb.set(out.p)
	return nil
}

func bilerp(v00, v01, v10, v11, wx, wy float64) float64 {
	top := v00 + (v01-v00)*wx
	bottom := v10 + (v11-v10)*wx
	return top + (bottom-top)*wy
}

// decontaminateSide bounds the working copy on which decontaminate
// estimates local colour means.
const decontaminateSide = 384

// boxBlur approximates a Gaussian of sigma by two box filters.
type boxBlur struct {
	w, h, r       int
	cnt, tmp, col []float64
	prod, a, bw   []float64
}

func newBoxBlur(w, h int, sigma float64) *boxBlur {
	// Two boxes of radius r have variance 2·((2r+1)²−1)/12.
	r := max(1, int(math.Round((math.Sqrt(6*sigma*sigma+1)-1)/2)))
	n := w * h
	return &boxBlur{w: w, h: h, r: r, cnt: boxCounts(w, h, r), tmp: make([]float64, n), col: make([]float64, w),
		prod: make([]float64, n), a: make([]float64, n), bw: make([]float64, n)}
}

// blur writes the two-box blur of src into dst.
func (bb *boxBlur) blur(dst, src []float64) {
	boxFilter(bb.a, src, bb.tmp, bb.col, bb.cnt, bb.w, bb.h, bb.r)
	boxFilter(dst, bb.a, bb.tmp, bb.col, bb.cnt, bb.w, bb.h, bb.r)
}

// weightedMeans is blur(x·wt)/blur(wt) for each plane x, in new slices.
func (bb *boxBlur) weightedMeans(xs [3][]float64, wt []float64) (out [3][]float64) {
	bb.blur(bb.bw, wt)
	for c, x := range xs {
		for i := range bb.prod {
			bb.prod[i] = x[i] * wt[i]
		}
		out[c] = make([]float64, len(x))
		bb.blur(out[c], bb.prod)
		for i, d := range bb.bw {
			out[c][i] /= d + 1e-4
		}
	}
	return out
}

// refineMatte snaps the matte's uncertain edge to the image's colour edges
// with a colour guided filter (guidedRefine, refine.go): pixels the model is
// sure of keep their alpha; the others move towards the filter's value, the
// more the less sure the model is. It runs at the loaded resolution, before
// erosion, thresholding and feathering.
func refineMatte(img, alpha *vimage) error {
	// img may still stream from a sequentially decoded source, which the
	// rest of the removal reads again: render it once, to memory.
	if err := img.copyMemory(); err != nil {
		return err
	}
	w, h := img.width(), img.height()
	if alpha.width() != w || alpha.height() != h || alpha.bands() != 1 {
		return fmt.Errorf("refine: matte is %dx%dx%d, image %dx%d", alpha.width(), alpha.height(), alpha.bands(), w, h)
	}
	pix, err := img.rawRGB() // packed bands 0-2 (all of them when fewer)
	if err != nil {
		return err
	}
	n := w * h
	var rgb []byte
	switch len(pix) {
	case 3 * n:
		rgb = pix
	case n, 2 * n: // grey, grey + alpha: the grey band as R = G = B
		step := len(pix) / n
		rgb = make([]byte, 3*n)
		for i := 0; i < n; i++ {
			v := pix[i*step]
			rgb[3*i], rgb[3*i+1], rgb[3*i+2] = v, v, v
		}
	default:
		return fmt.Errorf("refine: image is %d bytes for %dx%d", len(pix), w, h)
	}
	a, err := alpha.rawRGB()
	if err != nil {
		return err
	}
	if len(a) != n {
		return fmt.Errorf("refine: matte is %d bytes for %dx%d", len(a), w, h)
	}
	if err := guidedRefine(rgb, a, w, h); err != nil {
		return err
	}
	refined, err := grayImage(a, w, h)
	if err != nil {
		return err
	}
	alpha.set(refined.p)
	return nil
}

// removalBackground composes the subject (RGBA, RGB = source colours) on
// its background: a drop shadow, then a blurred original, a gradient or a
// colour; or reduces it to the matte for mask=1. It records the foreground
// box first.
func (j *job) removalBackground() error {
	r := j.p.Removal
	img := j.img
	if box, ok, err := foregroundBox(img); err != nil {
		return err
	} else if ok {
		j.res.Foreground = box
	}
	if r.MaskOnly {
		a, err := img.extractBand(img.bands()-1, 1)
		if err != nil {
			return err
		}
		img.set(a.p)
		return nil
	}
	if j.format == params.FormatZIP {
		return nil // encode splits colour and alpha
	}
	w, h := img.width(), img.height()
	base, err := j.backgroundImage(w, h) // Extras.BgImage (extras.go)
	if err != nil {
		return err
	}
	switch {
	case base != nil:
	case r.BgBlur > 0:
		rgb, err := img.extractBand(0, 3)
		if err != nil {
			return err
		}
		if err := rgb.gaussBlur(float64(r.BgBlur)); err != nil {
			rgb.close()
			return err
		}
		opaque, err := solid(w, h, []float64{255})
		if err != nil {
			rgb.close()
			return err
		}
		base, err = bandjoin(rgb, opaque)
		rgb.close()
		opaque.close()
		if err != nil {
			return err
		}
	case r.BgGradient[0].Set || r.BgGradient[1].Set:
		c := func(c params.Color) [4]float64 {
			return [4]float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A)}
		}
		var err error
		if base, err = gradient(w, h, c(r.BgGradient[0]), c(r.BgGradient[1])); err != nil {
			return err
		}
	}
	if r.Shadow.Enabled {
		layer, err := shadowLayer(img, r.Shadow)
		if err != nil {
			return err
		}
		if base != nil {
			withShadow, err := composite(base, layer)
			base.close()
			layer.close()
			if err != nil {
				return err
			}
			base = withShadow
		} else {
			base = layer
		}
	}
	if base != nil {
		out, err := composite(base, img)
		base.close()
		if err != nil {
			return err
		}
		img.set(out.p)
	}
	return j.background()
}

// shadowLayer is the drop shadow of img's alpha: blurred, offset, coloured
// and faded, on a transparent canvas of img's size.
func shadowLayer(img *vimage, s params.Shadow) (*vimage, error) {
	opacity, blur := s.Opacity, s.Blur
	if opacity == 0 {
		opacity = 0.5
	}
	if blur == 0 {
		blur = 10
	}
	dx, dy := s.OffsetX, s.OffsetY
	if !s.OffsetSet {
		dx, dy = 0, 10
	}
	a, err := img.extractBand(img.bands()-1, 1)
	if err != nil {
		return nil, err
	}
	if err := a.embed(dx, dy, img.width(), img.height(), []float64{0}); err != nil {
		a.close()
		return nil, err
	}
	if err := a.gaussBlur(blur); err != nil {
		a.close()
		return nil, err
	}
	if err := a.linear1(opacity, 0); err != nil {
		a.close()
		return nil, err
	}
	if err := a.clampUchar(); err != nil {
		a.close()
		return nil, err
	}
	layer, err := colourLayer(a, [3]float64{float64(s.Color.R), float64(s.Color.G), float64(s.Color.B)})
	a.close()
	return layer, err
}

// encodeZIP writes remove.bg's ZIP: color.jpg (the subject's colours, no
// alpha) and alpha.png (the 8-bit matte), which recompose to the PNG.
func (j *job) encodeZIP() ([]byte, error) {
	img := j.img
	rgb, err := img.extractBand(0, 3)
	if err != nil {
		return nil, err
	}
	color, err := rgb.encode(params.FormatJPEG, j.quality(), false, j.pl.opts.Encoding)
	rgb.close()
	if err != nil {
		return nil, err
	}
	a, err := img.extractBand(img.bands()-1, 1)
	if err != nil {
		return nil, err
	}
	alpha, err := a.encode(params.FormatPNG, 0, false, j.pl.opts.Encoding)
	a.close()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	now := time.Now().UTC()
	for _, f := range []struct {
		name string
		data []byte
	}{{"color.jpg", color}, {"alpha.png", alpha}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: now})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
