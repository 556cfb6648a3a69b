package transform

import (
	"fmt"
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// forSource resolves what p leaves to the w x h (oriented) source's size:
// the Region into Rect, a focus in pixels of the region it counts from
// into fractions of it (turned with the image when Rotate turns it by
// quarters, as the plan is made in the turned frame), and the adaptive
// box turned to the orientation of that region as Rotate leaves it
// (Thumbor's test: a portrait region in a landscape box, or the other way
// round; a square on either side swaps nothing), and the fit that depends
// on that region (params.SourceFit) chosen: ResolveSourceFit is given the
// region unturned and turns it itself, so it is turned once.
func forSource(p params.Params, w, h int) (params.Params, error) {
	if r := p.Region; r != (params.Region{}) {
		rect, err := resolveRegion(r, w, h)
		if err != nil {
			return p, err
		}
		p.Rect, p.Region = rect, params.Region{}
	}
	if rect, err := clampRect(p.Rect, w, h); err == nil && !p.Rect.IsZero() {
		w, h = rect.W, rect.H
	}
	if f := &p.Focus; f.Pixels {
		f.X, f.Y, f.Pixels = f.X/float64(max(w, 1)), f.Y/float64(max(h, 1)), false
		// The point is the source's; a quarter-turned plan reads the focus
		// in the turned frame (j.planSize).
		f.X, f.Y = turnPoint(f.X, f.Y, p)
	}
	if p.AdaptiveBox {
		tw, th := w, h
		if turns, ok := p.QuarterTurns(); ok && turns%2 == 1 {
			tw, th = h, w // the adaptive box fits the turned region
		}
		if tw < th && p.Width > p.Height || tw > th && p.Width < p.Height {
			p.Width, p.Height = p.Height, p.Width
		}
		p.AdaptiveBox = false
	}
	// ResolveSourceFit takes the region before Rotate and turns it itself.
	return p.ResolveSourceFit(w, h), nil
}

// resolveRegion is r (params.Region) as the Rect it names in a w x h source:
// the source less the cut widths, or the area, clamped to the source,
// placed by its anchor, centred on its focus, or placed by each axis on
// its own (At: an area placed past the source is left for clampRect to
// refuse, as a Rect would be). Widths that leave no pixel
// are a 400 on trim (the Cloudflare option that cuts them).
func resolveRegion(r params.Region, w, h int) (params.Rect, error) {
	if c := r.Cut; c != (params.Sides{}) {
		rw, rh := w-c.Left-c.Right, h-c.Top-c.Bottom
		if rw < 1 || rh < 1 {
			return params.Rect{}, params.BadParam("trim", fmt.Sprintf("The widths cut (top %d, right %d, bottom %d, left %d) leave nothing of the %dx%d source.", c.Top, c.Right, c.Bottom, c.Left, w, h))
		}
		return params.Rect{X: c.Left, Y: c.Top, W: rw, H: rh}, nil
	}
	side := func(px int, ratio float64, whole int) int {
		switch {
		case ratio > 0:
			return min(whole, atLeast1(ratio*float64(whole)))
		case px > 0:
			return min(whole, px)
		}
		return whole
	}
	rw, rh := side(r.W, r.WRatio, w), side(r.H, r.HRatio, h)
	x, y := gravityOffset(r.Anchor, w-rw, h-rh)
	if f := r.Focus; f.Set {
		x, y = focusOffset(f.X, w, rw), focusOffset(f.Y, h, rh)
	}
	if r.AtSet {
		x, y = placeAt(r.At[0], w, rw), placeAt(r.At[1], h, rh)
	}
	return params.Rect{X: x, Y: y, W: rw, H: rh}, nil
}

// placeAt is where an area of size spans along a side of whole pixels,
// placed by pl (params.Place): at or past whole when pl puts it there
// (clampRect refuses it).
func placeAt(pl params.Place, whole, size int) int {
	switch pl.By {
	case params.PlaceFraction:
		return int(math.Floor(pl.F * float64(whole)))
	case params.PlaceAlign:
		return int(math.Round(pl.F * float64(whole-size)))
	}
	return pl.Px
}

// loadRegion is load for a rect or trim: it decodes the source whole,
// with no more shrink-on-load than the region's resize allows (never
// above scale 1), cuts the region, and plans the resize on what is left.
// Nothing resamples the source before the cut: a resize kernel run over
// the whole source would mix the pixels just outside the region into its
// edges (Cloudflare: "Trimming is performed before resizing or rotation").
func (j *job) loadRegion() error {
	p, src := j.p, j.req.Info
	rw, rh := src.Width, src.Height
	rect := p.Rect
	if !rect.IsZero() {
		var err error
		if rect, err = clampRect(rect, rw, rh); err != nil {
			return err
		}
		rw, rh = rect.W, rect.H
	}
	scale := 1.0
	if !p.Trim {
		// The plan and its sizes are both in the turned frame: each side
		// of the resize is over the same side of the plan.
		planW, planH, _ := j.planSize(rw, rh)
		g := planGeometry(planW, planH, p, j.pl.opts.Limits.MaxOutputDimension, j.req.Extras.KeepCanvas)
		scale = math.Min(1, math.Max(float64(g.resizeW)/float64(planW), float64(g.resizeH)/float64(planH)))
	}
	lw, lh := atLeast1(float64(src.Width)*scale), atLeast1(float64(src.Height)*scale)
	img, shrink, err := j.decodeShrunk(lw, lh)
	if err != nil {
		return err
	}
	j.img = img
	if !rect.IsZero() {
		if err := j.cut(img, rect, shrink); err != nil {
			return err
		}
	}
	if j.randomAccess() && !p.Trim {
		if err := j.shrinkToPlan(img); err != nil {
			return err
		}
	}
	inMemory := false
	if p.Trim {
		// find_trim reads the image more than once.
		if err := j.toMemory(img); err != nil {
			return err
		}
		inMemory = true
		if err := trim(img, p); err != nil {
			return err
		}
	}
	if j.randomAccess() && !inMemory {
		if err := j.toMemory(img); err != nil {
			return err
		}
	}
	return j.planAndResize()
}

// shrinkToPlan resamples img, the cut region, down by the scale the plan
// made on it resizes it by, when that scale is below 1 and the plan does
// not cut its crop first (cutFirst): a request that reads the image out of
// order (randomAccess) then renders the region to memory at about the
// output's size, as load renders a whole source, and not at the region's
// size in the source, which Limits.MaxWorkingPixels would refuse. The cut
// comes first, so no pixel outside the region is resampled in. One scale
// for both sides (the larger of the plan's two) keeps the region's shape,
// so planAndResize, planning again on the result, makes the same plan:
// the region resized to resizeW x resizeH (within rounding), which the
// plan then resizes no further.
func (j *job) shrinkToPlan(img *vips.Image) error {
	w, h := img.Width(), img.Height()
	planW, planH, _ := j.planSize(w, h)
	g := planGeometry(planW, planH, j.p, j.pl.opts.Limits.MaxOutputDimension, j.req.Extras.KeepCanvas)
	if cutFirst(g, j.p) {
		return nil
	}
	scale := math.Max(float64(g.resizeW)/float64(planW), float64(g.resizeH)/float64(planH))
	if scale >= 1 {
		return nil
	}
	return j.resample(img, atLeast1(float64(w)*scale), atLeast1(float64(h)*scale))
}

// decodeShrunk decodes the whole source (one frame's job: its frame) at
// 1/shrink, the largest JPEG shrink-on-load that keeps at least lw x lh
// (Source.jpegShrink; 1 for any other format, or a frame): libjpeg's DCT
// scaling, which averages each shrink x shrink block, and no other
// resampling.
func (j *job) decodeShrunk(lw, lh int) (img *vips.Image, shrink int, err error) {
	src := j.req.Info
	if j.frame != nil {
		img, err = j.thumbnail(src.Width, src.Height, vips.NoCrop) // the frame at its own size
		return img, 1, err
	}
	shrink = src.jpegShrink(lw, lh)
	img, err = vips.Thumbnail(j.req.Source, (src.Width+shrink-1)/shrink, (src.Height+shrink-1)/shrink, vips.NoCrop, shrink, j.p.Orientation, j.cancel)
	return img, shrink, err
}

// cut cuts rect (source pixels, after orientation) out of img, the
// source decoded at 1/shrink (decodeShrunk): as it is at full size, by
// cutShrunk when shrunk.
func (j *job) cut(img *vips.Image, rect params.Rect, shrink int) error {
	if shrink == 1 {
		return img.Extract(rect.X, rect.Y, rect.W, rect.H)
	}
	return j.cutShrunk(img, rect, shrink)
}

// cutShrunk cuts rect (source pixels, after orientation) out of img, the
// source decoded at 1/shrink (decodeShrunk). libjpeg's shrink averages
// each shrink x shrink block of luma, but the chroma of a subsampled JPEG
// over a whole MCU (up to 16 x 16), so a decoded pixel in an MCU that
// straddles rect's edge carries colour from outside rect: the cut keeps
// only the decoded pixels of the MCUs wholly inside rect (shrunkSpan), and
// is then grown back, by repeating its edge pixels, to rect's size at
// 1/shrink, which the plan is made on. The price: up to 15 source pixels
// inside each of rect's edges that lie inside the source are shown as
// copies of the pixels next in.
func (j *job) cutShrunk(img *vips.Image, rect params.Rect, shrink int) error {
	o := j.p.Orientation
	if o == 0 {
		hd, err := vips.ReadHeader(j.req.Source)
		if err != nil {
			return err
		}
		o = hd.Orientation
	}
	// libjpeg's blocks start at the stored image's top-left, which an
	// orientation that reverses an axis puts at that axis' far end.
	revX := o == 2 || o == 3 || o == 6 || o == 7
	revY := o == 3 || o == 4 || o == 7 || o == 8
	src := j.req.Info
	x0, x1, ex, ew := shrunkSpan(rect.X, rect.W, src.Width, img.Width(), shrink, revX)
	y0, y1, ey, eh := shrunkSpan(rect.Y, rect.H, src.Height, img.Height(), shrink, revY)
	if err := img.Extract(x0, y0, x1-x0, y1-y0); err != nil {
		return err
	}
	if ew == x1-x0 && eh == y1-y0 {
		return nil
	}
	return img.EmbedEdges(ex, ey, ew, eh)
}

// jpegMCU is the largest side of a JPEG MCU that cutShrunk allows for: 16,
// for 4:2:0 or 4:2:2 chroma (4:1:1's 32-wide MCU is not).
const jpegMCU = 16

// shrunkSpan maps the span [x, x+w) of a side of n source pixels onto
// that side decoded at 1/s (s: 2, 4 or 8) to m pixels, decoded pixel i
// being of source pixels [i*s-off, (i+1)*s-off), off being the part of a
// block that the stored image lacks where the orientation reverses the
// side (rev), and the MCUs likewise starting jpegMCU-off16 in. It is
// [c0, c1), the decoded pixels of the MCUs wholly inside the span (a side
// at the source's edge keeps its partial MCU; a span that holds no whole
// MCU, the decoded pixel its middle falls in), and where that lies (at) on
// the span at 1/s (size pixels, never fewer than c1-c0).
func shrunkSpan(x, w, n, m, s int, rev bool) (c0, c1, at, size int) {
	off, off16 := 0, 0
	if rev {
		off, off16 = (s-n%s)%s, (jpegMCU-n%jpegMCU)%jpegMCU
	}
	// The MCU boundaries inside the span: b = k*jpegMCU - off16, and
	// b+off is a multiple of s (s divides jpegMCU, off ≡ off16 mod s).
	b0 := (x+off16+jpegMCU-1)/jpegMCU*jpegMCU - off16
	b1 := (x+w+off16)/jpegMCU*jpegMCU - off16
	c0, c1 = (b0+off)/s, (b1+off)/s
	if x == 0 {
		c0 = 0
	}
	if x+w >= n {
		c1 = m
	}
	c1 = min(c1, m)
	if c1 <= c0 {
		c0 = min((x+w/2+off)/s, m-1)
		c1 = c0 + 1
	}
	size = max(atLeast1(float64(w)/float64(s)), c1-c0)
	at = min(max(c0-int(math.Round(float64(x+off)/float64(s))), 0), size-(c1-c0))
	return c0, c1, at, size
}

// trim cuts img (in memory) to the box that differs from the trim colour
// (p.TrimColor, or the top-left pixel's, or the bottom-right's with
// p.TrimBottomRight), by more than p.TrimTolerance (10 by default), grown
// by p.TrimPad pixels on every side within img; or, by p.TrimBy, to the
// box that is not transparent (trimAlpha), that the border rows leave
// (trimRows), or that is farther from the corner's colour (trimDistance).
func trim(img *vips.Image, p params.Params) error {
	if p.TrimBy == params.TrimByAlpha || p.TrimBy == params.TrimByAlphaOrColour && img.HasAlpha() {
		return trimAlpha(img, p)
	}
	if p.TrimBy == params.TrimByRows {
		return trimRows(img, p)
	}
	if p.TrimBy == params.TrimByDistance {
		return trimDistance(img, p)
	}
	var bg []float64
	if c := p.TrimColor; c.Set {
		bg = []float64{float64(c.R), float64(c.G), float64(c.B)}
		if img.Bands() == 1 || img.Bands() == 2 && img.HasAlpha() {
			bg = []float64{0.2126*bg[0] + 0.7152*bg[1] + 0.0722*bg[2]} // a grey image's level
		}
	} else {
		x, y := trimCorner(img, p)
		var err error
		if bg, err = img.Point(x, y); err != nil {
			return err
		}
		if img.HasAlpha() {
			// find_trim flattens alpha onto the background first, and takes
			// the colour without it.
			bg = bg[:len(bg)-1]
		}
	}
	tol := float64(params.DefaultTrimTolerance)
	if p.TrimToleranceSet {
		tol = p.TrimTolerance
	}
	l, t, w, h, err := img.FindTrim(bg, tol)
	if err != nil {
		return err
	}
	return cutTrimmed(img, l, t, w, h, p.TrimPad)
}

// trimCorner is the pixel whose colour a trim compares with: the
// top-left, or the bottom-right with p.TrimBottomRight.
func trimCorner(img *vips.Image, p params.Params) (x, y int) {
	if p.TrimBottomRight {
		return img.Width() - 1, img.Height() - 1
	}
	return 0, 0
}

// trimDistance cuts img (in memory) to the box of the pixels farther
// than p.TrimTolerance (0 unless set) from the corner pixel's colour
// (trimCorner), grown by p.TrimPad: Thumbor's trim (params.TrimByDistance),
// on an 8-bit sRGB copy, alpha included. An image that is all border
// stays whole, as Thumbor leaves it.
func trimDistance(img *vips.Image, p params.Params) error {
	buf, bands, err := srgbPixels(img)
	if err != nil {
		return err
	}
	x, y := trimCorner(img, p)
	tol := 0.0
	if p.TrimToleranceSet {
		tol = p.TrimTolerance
	}
	l, t, w, h := distanceBox(buf, img.Width(), img.Height(), bands, x, y, tol)
	return cutTrimmed(img, l, t, w, h, p.TrimPad)
}

// distanceBox is the bounding box of the pixels of a w x h image of
// packed 8-bit pixels with n bands whose euclidean distance from the
// pixel at (cx, cy) is greater than tol; width 0 when there is none. One
// or two bands are a grey level (and alpha): the level counts three
// times, as the red, green and blue Thumbor measures a grey image by.
func distanceBox(buf []byte, w, h, n, cx, cy int, tol float64) (left, top, width, height int) {
	ref := buf[(cy*w+cx)*n : (cy*w+cx+1)*n]
	grey := n <= 2
	limit := tol * tol
	x0, y0, x1, y1 := w, h, -1, -1 // the box: [x0, x1] x [y0, y1]
	for y := range h {
		row := buf[y*w*n : (y+1)*w*n]
		for x := range w {
			var d2 float64
			for b := range n {
				v := float64(int(row[x*n+b]) - int(ref[b]))
				if b == 0 && grey {
					v *= v * 3
				} else {
					v *= v
				}
				d2 += v
			}
			if d2 > limit {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return 0, 0, 0, 0
	}
	return x0, y0, x1 - x0 + 1, y1 - y0 + 1
}

// trimAlpha cuts img (in memory) to the box of pixels whose alpha is above
// p.TrimTolerance (0 unless set), grown by p.TrimPad: an image without an
// alpha band has no transparent edge, and stays whole.
func trimAlpha(img *vips.Image, p params.Params) error {
	if !img.HasAlpha() {
		return nil
	}
	alpha, err := img.ExtractBand(img.Bands()-1, 1)
	if err != nil {
		return err
	}
	defer alpha.Close()
	tol := 0.0
	if p.TrimToleranceSet {
		tol = p.TrimTolerance
	}
	l, t, w, h, err := alpha.FindTrim([]float64{0}, tol)
	if err != nil {
		return err
	}
	return cutTrimmed(img, l, t, w, h, p.TrimPad)
}

// cutTrimmed cuts img to the trimmed box (l, t, w, h) grown by pad pixels
// on every side (negative: shrunk, a side shrunk away to the box's centre
// column or row) within img; an empty box (nothing but border) leaves img
// whole.
func cutTrimmed(img *vips.Image, l, t, w, h, pad int) error {
	if w <= 0 || h <= 0 {
		return nil
	}
	if d := pad; d != 0 {
		cx, cy := l+w/2, t+h/2 // the trimmed box's centre, before the pad moves it
		r, b := min(l+w+d, img.Width()), min(t+h+d, img.Height())
		l, t = max(l-d, 0), max(t-d, 0)
		// A side shrunk away keeps the centre column (row) of the box.
		if r-l < 1 {
			l, r = cx, cx+1
		}
		if b-t < 1 {
			t, b = cy, cy+1
		}
		w, h = r-l, b-t
	}
	return img.Extract(l, t, w, h)
}
