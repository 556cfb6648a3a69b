package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// geometry is the resize plan for a region of rw x rh source pixels (after
// EXIF orientation, rect and trim).
type geometry struct {
	// resizeW x resizeH is the size the region is scaled to.
	resizeW, resizeH int
	// interesting is vips.Entropy or vips.Attention when libvips picks the
	// crop while resizing (then resize* is already the final box), else
	// vips.NoCrop.
	interesting vips.Interesting
	// cropX, cropY, cropW, cropH cut the resized image (cropW == 0: none).
	cropX, cropY, cropW, cropH int
	// canvasW x canvasH is the box the result is centred on (0: none): a
	// fill's box, exar's, or the box FitCropDownPad, FitMinPad, FitMaxPad
	// and FitScaleDownPad pad their result to.
	canvasW, canvasH int
	// dpr is the DPR Params.CapDPR capped, which the padding and the
	// canvas's offsets take (dprFor); 0: Params' own.
	dpr float64
}

// dprFor is the DPR the padding and ExtendGravity's offsets of p take:
// the plan's capped one (Params.CapDPR), else p's.
func (g geometry) dprFor(p params.Params) float64 {
	if g.dpr > 0 {
		return g.dpr
	}
	return p.DevicePixelRatio()
}

// scaleRect maps r, in the pixels of a srcW x srcH source, onto an image
// of that source scaled to w x h, as Extract's arguments.
func scaleRect(r params.Rect, w, h, srcW, srcH int) (x, y, rw, rh int) {
	fx, fy := float64(w)/float64(srcW), float64(h)/float64(srcH)
	x, y = int(float64(r.X)*fx), int(float64(r.Y)*fy)
	return x, y, min(w-x, atLeast1(float64(r.W)*fx)), min(h-y, atLeast1(float64(r.H)*fy))
}

func atLeast1(v float64) int {
	if r := int(math.Round(v)); r > 1 {
		return r
	}
	return 1
}

// planGeometry works out how a region of rw x rh is resized and cropped for
// p, never producing a side over maxDim (the whole result is scaled down to
// fit instead, as imgix does), the bounding box that p.Rotate turns the
// result to included, unless keepCanvas (Extras.KeepCanvas: the turned
// image goes back to its size before the turn).
func planGeometry(rw, rh int, p params.Params, maxDim int, keepCanvas bool) geometry {
	// The free turn's angle (a quarter turn is planned for in the turned
	// frame); none when keepCanvas will bring the turned image back (it
	// does when nothing is cropped).
	angle := func(g geometry) float64 {
		if _, quarter := p.QuarterTurns(); quarter || keepCanvas && g.cropW == 0 {
			return 0
		}
		return p.Rotate
	}
	W, H, p := planBox(rw, rh, p)
	g := geometry{resizeW: rw, resizeH: rh, interesting: vips.NoCrop}
	if p.CapDPR {
		g.dpr = p.DevicePixelRatio()
	}
	if p.KeepSourceIfBoxExceeds && (W > rw || H > rh) {
		// The region as it is: no fit, crop, canvas or least size
		// (keepsRegion).
		return clampGeometry(g, maxDim, angle(g))
	}
	fit := p.Fit
	// boxW x boxH is the box FitCropDownPad, FitMinPad and FitMaxPad pad
	// their result to (FitMin's W x H shrinks to the cut's own box below).
	boxW, boxH := W, H
	if W == 0 || H == 0 {
		// With one side given every mode keeps the aspect ratio.
		switch fit {
		case params.FitMax, params.FitMin, params.FitFillMax, params.FitOutsideMax,
			params.FitCropDown, params.FitScaleDown, params.FitCropDownPad, params.FitMinPad, params.FitMaxPad,
			params.FitScaleDownPad:
			fit = params.FitMax
		default:
			fit = params.FitClip
		}
	}
	sx, sy := float64(W)/float64(rw), float64(H)/float64(rh)
	scale := 1.0
	switch {
	case W == 0 && H == 0:
	case W == 0:
		scale = sy
	case H == 0:
		scale = sx
	default:
		switch fit {
		case params.FitClip, params.FitMax, params.FitFill, params.FitFillMax, params.FitClamp, params.FitMaxPad:
			scale = math.Min(sx, sy)
		case params.FitCrop, params.FitMin, params.FitOutside, params.FitOutsideMax,
			params.FitCropDown, params.FitCropDownPad, params.FitMinPad:
			scale = math.Max(sx, sy)
		case params.FitScale, params.FitScaleDown, params.FitScaleDownPad:
			bw, bh := float64(W), float64(H)
			if m := math.Max(sx, sy); fit != params.FitScale && m > 1 {
				// imgproxy's calcScale without enlarge (processing/
				// prepare.go), its shrinks being 1/sx and 1/sy:
				//	minShrink := math.Min(wshrink, hshrink)
				//	if minShrink < 1 {
				//		wshrink /= minShrink
				//		hshrink /= minShrink
				bw, bh = bw/m, bh/m
			}
			f := atLeastScale(1, atLeast1(bw), atLeast1(bh), p)
			g.resizeW, g.resizeH = atLeast1(bw*f), atLeast1(bh*f)
			if fit == params.FitScaleDownPad {
				// imgproxy's extend pads to its target, which is 0 on a
				// side not given in pixels (SourceSideWhenOneGiven's
				// ratio side, zoom's ratio): that side is the image's.
				padW, padH := W, H
				if p.Width == 0 || p.WidthRatio > 0 {
					padW = 0
				}
				if p.Height == 0 || p.HeightRatio > 0 {
					padH = 0
				}
				if padW > g.resizeW || padH > g.resizeH {
					g.canvasW, g.canvasH = max(padW, g.resizeW), max(padH, g.resizeH)
				}
			}
			return clampGeometry(g, maxDim, angle(g))
		}
	}
	if (fit == params.FitMax || fit == params.FitFillMax || fit == params.FitOutsideMax || fit == params.FitCropDown || fit == params.FitCropDownPad || fit == params.FitMaxPad) && scale > 1 {
		// FitCropDown covers the box at most at scale 1, as imgproxy's
		// fill does without enlarge; the crop below is then min(box,
		// image) on each side, as its cropToResult (processing/crop.go):
		//	cropWidth = imath.MinNonZero(cropWidth, imgWidth)
		//	cropHeight = imath.MinNonZero(cropHeight, imgHeight)
		scale = 1
	}
	if (fit == params.FitMin || fit == params.FitMinPad) && scale > 1 {
		// Never upscale: keep the box's aspect ratio at source scale.
		W, H = atLeast1(float64(W)/scale), atLeast1(float64(H)/scale)
		scale = 1
	}
	scale = atLeastScale(scale, rw, rh, p)
	if f := p.Focus; fit == params.FitCrop && f.Set && f.Zoom > 1 {
		scale *= f.Zoom
	}
	g.resizeW, g.resizeH = atLeast1(float64(rw)*scale), atLeast1(float64(rh)*scale)

	switch {
	case fit.Crops() && (p.Crop == params.CropEntropy || p.Crop == params.CropAttention):
		g.resizeW, g.resizeH = min(W, g.resizeW), min(H, g.resizeH)
		g.interesting = vips.Entropy
		if p.Crop == params.CropAttention {
			g.interesting = vips.Attention
		}
	case fit.Crops():
		cw, ch := min(W, g.resizeW), min(H, g.resizeH)
		if cw != g.resizeW || ch != g.resizeH {
			g.cropW, g.cropH = cw, ch
			g.cropX, g.cropY = gravityOffset(p.Crop, g.resizeW-cw, g.resizeH-ch)
			if f := p.Focus; f.Set {
				g.cropX, g.cropY = focusOffset(f.X, g.resizeW, cw), focusOffset(f.Y, g.resizeH, ch)
			}
		}
	case fit.Fills():
		g.canvasW, g.canvasH = W, H
	}
	if p.ExtendToAspect && W > 0 && H > 0 && (fit == params.FitClip || fit == params.FitMax || fit == params.FitCropDown) {
		// imgproxy's exar pads what fit leaves, or what fill cuts where
		// the image is smaller than the box (calcSizes, processing/
		// prepare.go, on "imath.MinNonZero(pctx.scaledWidth,
		// pctx.resultCropWidth)"), to the box's aspect ratio.
		imgW, imgH := g.imageSize()
		g.canvasW, g.canvasH = aspectBox(imgW, imgH, float64(W)/float64(H))
	}
	if p.Fit == params.FitCropDownPad || p.Fit == params.FitMinPad || p.Fit == params.FitMaxPad {
		// Padded to the box where the cut is smaller, as imgproxy's
		// extend (processing/extend.go), a side not given (0) being the
		// image's:
		//	if width <= imgWidth && height <= imgHeight {
		//		return nil
		//	}
		//	if width <= 0 {
		//		width = imgWidth
		//	}
		imgW, imgH := g.imageSize()
		if boxW > imgW || boxH > imgH {
			g.canvasW, g.canvasH = max(boxW, imgW), max(boxH, imgH)
		}
	}
	return clampGeometry(g, maxDim, angle(g))
}

// planBox is the box (device pixels; 0: a side not given) that p sizes a
// rw x rh region (in the plan's turned frame) to: the DPR capped where
// the fit or CapDPR caps it, ratios of the region, the aspect ratio and
// the crop limits applied. p is returned with that capped DPR.
func planBox(rw, rh int, p params.Params) (W, H int, _ params.Params) {
	if p.Fit.CapsDPR() || p.CapDPR {
		p.DPR = cappedDPR(rw, rh, p)
	}
	W, H = p.DeviceBox()
	if p.WidthRatio > 0 || p.HeightRatio > 0 {
		W, H = ratioSides(W, H, rw, rh, p.WidthRatio, p.HeightRatio, p.DevicePixelRatio())
	}
	if f := p.Focus; p.Fit == params.FitCrop && f.Set && f.Zoom > 1 {
		// The zoom enlarges the image within the frame it would have
		// without it (imgix: "fp-z=2 is equivalent to displaying the
		// image at 200%", with fit=crop and crop=focalpoint alone), so a
		// side not given is the image's, as crop limits take it.
		W, H = frameBox(W, H, rw, rh)
	}
	if ar := p.AspectRatio; ar > 0 && (p.Fit == params.FitCrop || p.Fit.Fills()) {
		switch {
		case W == 0 && H == 0:
			W, H = ratioBox(rw, rh, ar, p.Fit == params.FitCrop)
		case H == 0:
			H = atLeast1(float64(W) / ar)
		case W == 0:
			W = atLeast1(float64(H) * ar)
		}
	}
	if l := p.CropLimits; p.Fit == params.FitCrop && l != (params.CropLimits{}) {
		W, H = limitCropBox(W, H, rw, rh, l, p.DevicePixelRatio())
	}
	return W, H, p
}

// keepsRegion reports whether planGeometry leaves a rw x rh region (in the
// plan's turned frame) as it is for p: Params.KeepSourceIfBoxExceeds with
// planBox's box wider or taller than the region. The fit, crop, canvas and
// least size are then not applied, so nothing that only places a cut
// (the smart crop, a face's focus) changes the result.
func keepsRegion(rw, rh int, p params.Params) bool {
	if !p.KeepSourceIfBoxExceeds {
		return false
	}
	W, H, _ := planBox(rw, rh, p)
	return W > rw || H > rh
}

// cappedDPR is the DPR a fit that CapsDPR takes for a rw x rh region, as
// imgproxy's calcScale (processing/prepare.go) works it out without
// enlarge, its shrinks being the region's sides over the box's at DPR 1
// (a side not given: the other's shrink), made one by the fit (the
// smaller for a cover and for scaledown's two, the larger for max and
// maxpad):
//
//	if minShrink < 1 { wshrink /= minShrink; hshrink /= minShrink ...
//	pctx.dprScale = math.Min(pctx.dprScale, math.Min(wshrink, hshrink))
//
// so the DPR is at most that shrink, and 1 where the image is smaller
// than the box (the shrink below 1 is divided back to 1). Without a box it
// is 1.
func cappedDPR(rw, rh int, p params.Params) float64 {
	w, h := float64(p.Width), float64(p.Height)
	if p.WidthRatio > 0 {
		w = float64(rw) * p.WidthRatio
	}
	if p.HeightRatio > 0 {
		h = float64(rh) * p.HeightRatio
	}
	ws, hs := float64(rw)/w, float64(rh)/h
	var shrink float64
	switch {
	case w == 0 && h == 0:
		return 1
	case w == 0:
		shrink = hs
	case h == 0:
		shrink = ws
	case p.Fit == params.FitMaxPad || p.Fit == params.FitMax:
		shrink = math.Max(ws, hs)
	default:
		shrink = math.Min(ws, hs)
	}
	return math.Min(p.DevicePixelRatio(), math.Max(1, shrink))
}

// imageSize is the size of the image the plan leaves before its canvas:
// the crop's, or the resized image's where nothing is cut.
func (g geometry) imageSize() (int, int) {
	if g.cropW > 0 {
		return g.cropW, g.cropH
	}
	return g.resizeW, g.resizeH
}

// aspectBox is the smallest box of aspect ratio ar (width ÷ height) that
// holds a w x h image, one side of it the image's.
func aspectBox(w, h int, ar float64) (int, int) {
	if float64(w)/float64(h) > ar {
		return w, max(h, atLeast1(float64(w)/ar))
	}
	return max(w, atLeast1(float64(h)*ar)), h
}

// atLeastScale raises scale, the factor a w x h image is resized by, so
// that the result is at least Params.MinWidth x MinHeight (CSS pixels,
// times the DPR), enlarging if need be.
func atLeastScale(scale float64, w, h int, p params.Params) float64 {
	dpr := p.DevicePixelRatio()
	if p.MinWidth > 0 {
		scale = math.Max(scale, float64(devicePx(p.MinWidth, dpr))/float64(w))
	}
	if p.MinHeight > 0 {
		scale = math.Max(scale, float64(devicePx(p.MinHeight, dpr))/float64(h))
	}
	return scale
}

// ratioSides is the device box with the fractions wr and hr of the
// rw x rh image (times dpr), where set, in place of W and H.
func ratioSides(W, H, rw, rh int, wr, hr, dpr float64) (int, int) {
	if wr > 0 {
		W = atLeast1(float64(rw) * wr * dpr)
	}
	if hr > 0 {
		H = atLeast1(float64(rh) * hr * dpr)
	}
	return W, H
}

// limitCropBox is FitCrop's W x H box (device pixels; 0: not given) for a
// rw x rh image within limits l (CSS pixels, times dpr): a missing side from the image's aspect ratio, the image's size
// when neither is given, then each side within its bounds.
func limitCropBox(W, H, rw, rh int, l params.CropLimits, dpr float64) (int, int) {
	W, H = frameBox(W, H, rw, rh)
	bound := func(v, lo, hi int) int {
		if hi > 0 {
			v = min(v, devicePx(hi, dpr))
		}
		if lo > 0 {
			v = max(v, devicePx(lo, dpr))
		}
		return v
	}
	return bound(W, l.MinW, l.MaxW), bound(H, l.MinH, l.MaxH)
}

// frameBox completes a W x H box (0: a side not given) for a rw x rh
// image: a missing side from the image's aspect ratio, the image's size
// when neither is given.
func frameBox(W, H, rw, rh int) (int, int) {
	switch {
	case W == 0 && H == 0:
		return rw, rh
	case W == 0:
		W = atLeast1(float64(H) * float64(rw) / float64(rh))
	case H == 0:
		H = atLeast1(float64(W) * float64(rh) / float64(rw))
	}
	return W, H
}

// shownAs is plan g, made again on the part alone that a plan's cw x ch
// crop shows (cutFirst), resizing it to cw x ch where g leaves it
// uncropped at another size: without the focus, a side that p does not
// give is the part's own, off by a rounding, or, with neither side given
// (a zoom's frame: planBox), the part is left at its own size.
func shownAs(g geometry, cw, ch int) geometry {
	if g.cropW == 0 && g.interesting == vips.NoCrop && (g.resizeW != cw || g.resizeH != ch) {
		g.resizeW, g.resizeH = cw, ch
	}
	return g
}

// coverSize is the size an iw x ih image is resized to so that it covers
// a w x h box, keeping its aspect ratio (at least w x h: the centre is cut
// from it).
func coverSize(iw, ih, w, h int) (int, int) {
	s := math.Max(float64(w)/float64(iw), float64(h)/float64(ih))
	return max(w, int(math.Ceil(float64(iw)*s))), max(h, int(math.Ceil(float64(ih)*s)))
}

// ratioBox is the box of aspect ratio ar (width ÷ height) at the scale of
// a w x h image: the largest inside it (inside), else the smallest around
// it.
func ratioBox(w, h int, ar float64, inside bool) (int, int) {
	if wider := float64(w)/float64(h) > ar; wider == inside {
		return atLeast1(float64(h) * ar), h
	}
	return w, atLeast1(float64(w) / ar)
}

// focusOffset is where a crop of size keeps the point at fraction f of
// total centred, moved as little as the edges need.
func focusOffset(f float64, total, size int) int {
	return min(max(int(math.Round(f*float64(total)-float64(size)/2)), 0), total-size)
}

// gravityOffset places a crop inside spare pixels (dx, dy) by focus c.
func gravityOffset(c params.Crop, dx, dy int) (x, y int) {
	x, y = dx/2, dy/2
	switch c {
	case params.CropTop, params.CropTopLeft, params.CropTopRight:
		y = 0
	case params.CropBottom, params.CropBottomLeft, params.CropBottomRight:
		y = dy
	}
	switch c {
	case params.CropLeft, params.CropTopLeft, params.CropBottomLeft:
		x = 0
	case params.CropRight, params.CropTopRight, params.CropBottomRight:
		x = dx
	}
	return x, y
}

// clampGeometry scales a plan down so no side exceeds maxDim (0: no
// limit), nor a side of the bounding box of the image turned by angle
// degrees (the turn comes after the crop, before the canvas).
func clampGeometry(g geometry, maxDim int, angle float64) geometry {
	if maxDim <= 0 {
		return g
	}
	imgW, imgH := g.imageSize()
	outW, outH := imgW, imgH
	if g.canvasW > 0 {
		outW, outH = g.canvasW, g.canvasH
	}
	// f scales the whole result, canvas included, into the limit; the
	// image alone may shrink further (fi) for its turn.
	f := 1.0
	if outW > maxDim || outH > maxDim {
		f = math.Min(float64(maxDim)/float64(outW), float64(maxDim)/float64(outH))
	}
	fi := f
	if angle != 0 {
		// libvips' turned image spans the box's corners rounded outwards,
		// under 2 px over the exact box; rounding the scaled sides adds
		// under 1 more. A box 2 px inside the limit keeps to it.
		tw, th := turnedBox(imgW, imgH, angle)
		if side := math.Max(tw, th); side*fi > float64(maxDim-2) {
			fi = float64(maxDim-2) / side
		}
	}
	if fi == 1 {
		return g
	}
	scale := func(v int, f float64) int {
		if v == 0 {
			return 0
		}
		return min(maxDim, atLeast1(float64(v)*f))
	}
	g.resizeW, g.resizeH = scale(g.resizeW, fi), scale(g.resizeH, fi)
	g.cropX, g.cropY = int(float64(g.cropX)*fi), int(float64(g.cropY)*fi)
	g.cropW, g.cropH = scale(g.cropW, fi), scale(g.cropH, fi)
	if g.cropW > 0 {
		g.cropX = min(g.cropX, g.resizeW-g.cropW)
		g.cropY = min(g.cropY, g.resizeH-g.cropH)
	}
	g.canvasW, g.canvasH = scale(g.canvasW, f), scale(g.canvasH, f)
	// imgproxy's limitScale scales its dprScale with the result
	// ("pctx.dprScale *= downScale").
	g.dpr *= f
	return g
}

// turnedBox is the exact bounding box of a w x h image turned by angle
// degrees.
func turnedBox(w, h int, angle float64) (bw, bh float64) {
	rad := angle * math.Pi / 180
	c, s := math.Abs(math.Cos(rad)), math.Abs(math.Sin(rad))
	return float64(w)*c + float64(h)*s, float64(w)*s + float64(h)*c
}

// devicePx is css CSS pixels in output pixels at dpr, rounded.
func devicePx(css int, dpr float64) int { return int(math.Round(float64(css) * dpr)) }
