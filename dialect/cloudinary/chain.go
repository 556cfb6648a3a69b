package cloudinary

import (
	"fmt"
	"math"
	"strings"

	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// maxChain bounds the components of one URL.
const maxChain = 20

// The ranks of parameters: where Matte's pipeline applies what they ask,
// in its order. A chain is one Matte request when no component asks for a
// step of a lower rank than a component before it. rankFree parameters
// (delivery, dpr, background removal) may stand anywhere.
const (
	rankFree        = -1
	rankOrientation = 10 // a_ignore: how the source is decoded
	rankTrim        = 20 // e_trim: cut from the source
	rankCrop        = 30 // c_crop: a region of the source
	rankTurn        = 40 // a_90, a_180, a_270: before the resize
	rankResize      = 50
	rankVibrance    = 60 // the colour steps, in Matte's order
	rankSaturation  = 61
	rankSepia       = 62
	rankContrast    = 63
	rankBrightness  = 64
	rankNegate      = 65
	rankGamma       = 66
	rankBlackWhite  = 67
	rankAngle       = 70 // other angles turn the sized image
	rankFlip        = 71
	rankFaces       = 72 // e_blur_faces, e_pixelate_faces: on the sized image
	rankCanvas      = 73 // the padding of c_pad and c_lpad
	rankBlur        = 80
	rankSharpen     = 81
	rankUnsharp     = 82
	rankPixelate    = 83
	rankColorize    = 90
	rankImageLayer  = 91 // l_<public ID>: Matte's watermark
	rankTextLayer   = 92 // l_text: Matte's text, drawn over the watermark
	rankBorder      = 93
	rankRadius      = 94
)

// geometry is the resize or crop one component asks for.
type geometry struct {
	comp                 int // the component's index
	w, h                 int
	wRatio, hRatio       float64
	autoW                bool
	c                    string
	ar                   float64
	g                    string // as written ("": none)
	x, y                 int
	xSet, ySet           bool
	any                  bool // a geometry parameter was given
	firstKey, firstValue string
}

// chain is the whole URL's transformation, read component by component.
type chain struct {
	p     params.Params
	errs  params.Errors
	geoms []geometry
	// seen maps each setting to the component that gave it.
	seen map[string]int
	// maxRank is the highest rank of the components read so far.
	maxRank int
	// bgBlurred is b_blurred: the padding of pad or lpad blurred.
	bgBlurred bool
	// colorize is e_colorize's level (-1: none); co its colour.
	colorize int
	co       params.Color
	coSet    bool
	// turnAfter is a component that only turns by a multiple of 90
	// written after the resize (and nothing but colour steps between):
	// finish moves the turn before the resize, as Matte's pipeline applies
	// it, and turns the resize's box with it (turnedBox). -1: none.
	turnAfter int
}

// readChain reads the components into one Params; prefix is the cloud's,
// for the path of an image layer.
func readChain(comps []string, prefix string) (params.Params, error) {
	ch := chain{seen: map[string]int{}, maxRank: rankFree, colorize: -1, turnAfter: -1}
	if len(comps) > maxChain {
		return params.Params{}, params.Errors{params.BadParam("transformation", fmt.Sprintf("The URL chains %d components; Matte reads at most %d.", len(comps), maxChain))}
	}
	for i := 0; i < len(comps); i++ {
		if opensLayer(comps[i]) {
			end := layerEnd(comps, i)
			ch.layer(i, comps[i:end+1], prefix)
			i = end
			continue
		}
		ch.component(i, comps[i])
	}
	if len(ch.errs) == 0 {
		ch.finish()
	}
	if len(ch.errs) > 0 {
		return params.Params{}, ch.errs
	}
	return ch.p, nil
}

func (ch *chain) fail(e *params.Error) {
	if !ch.errs.Has(e.Field) {
		ch.errs = append(ch.errs, e)
	}
}

// component reads component i.
func (ch *chain) component(i int, comp string) {
	g := geometry{comp: i}
	lo, hi := math.MaxInt, rankFree
	inComp := map[string]bool{}
	first := ""
	for item := range strings.SplitSeq(comp, ",") {
		key, val := split(item)
		if first == "" {
			first = key
		}
		if inComp[key] {
			ch.fail(params.BadParam(key, key+" is given twice in the component "+params.QuoteShort(comp)+"; give it once."))
			continue
		}
		inComp[key] = true
		if strings.HasPrefix(key, "e_") {
			if inComp["e"] {
				ch.fail(params.BadParam(key, "The component "+params.QuoteShort(comp)+" gives two effects; give one e_ per component, as Cloudinary does, and chain them."))
				continue
			}
			inComp["e"] = true
		}
		if geometryKeys[key] {
			if err := g.read(key, val, item); err != nil {
				ch.fail(err)
			}
			continue
		}
		h, ok := handlers[key]
		if !ok {
			ch.fail(refused(key, item))
			continue
		}
		for _, setting := range h.settingsOf(key, val) {
			if j, dup := ch.seen[setting]; dup {
				ch.fail(params.BadParam(key, fmt.Sprintf("%s is given in component %d and again in %d (%s); Matte applies it once.", setting, j+1, i+1, params.QuoteShort(comp))))
			}
			ch.seen[setting] = i
		}
		rank, err := h.set(ch, val)
		if err != nil {
			ch.fail(bad(key, item, h.allowed, err))
			continue
		}
		if rank != rankFree {
			lo, hi = min(lo, rank), max(hi, rank)
		}
	}
	if g.any {
		g.firstKey = first
		ch.geoms = append(ch.geoms, g)
		rank, last := rankResize, rankResize
		switch g.c {
		case "crop":
			rank, last = rankCrop, rankCrop
		case "pad", "lpad":
			last = rankCanvas // Matte pads after the colour steps and turns
		}
		lo, hi = min(lo, rank), max(hi, last)
	}
	if hi == rankFree {
		return
	}
	if lo == rankTurn && hi == rankTurn && !g.any && ch.turnMovable() {
		ch.turnAfter = i // a right-angle turn after the resize: finish moves it before
		return
	}
	if lo < ch.maxRank {
		ch.fail(params.BadParam(first, fmt.Sprintf("The component %s asks for a step that Matte's pipeline applies before what an earlier component asks for, so the chain cannot be read as one request; reorder the components (crop, resize, colour effects, blur and sharpening, border and corners) or combine them.", params.QuoteShort(comp))))
	}
	ch.maxRank = max(ch.maxRank, hi)
}

// turnMovable reports whether a component that only turns by a multiple
// of 90, read now, may be moved before the resize already read: a resize
// (not only a c_crop region) was read, and after it nothing but the colour
// steps, which act on each pixel alone and so do not care which way the
// image faces. Turning the resized image then equals resizing the turned
// image to the turned box (turnedBox says which boxes it can turn).
func (ch *chain) turnMovable() bool {
	if ch.maxRank < rankResize || ch.maxRank > rankBlackWhite || len(ch.geoms) == 0 {
		return false
	}
	return ch.geoms[len(ch.geoms)-1].c != "crop"
}

// compass is g's compass points clockwise from north; a clockwise quarter
// turn moves each two places on.
var compass = []string{"north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west"}

// turnedBox returns g, a resize written before a clockwise turn of turns
// quarters, as the resize of the turned image that gives the same picture:
// for an odd turn the sides (and ar) swap, and the gravity turns with the
// image (g_north before a_90 keeps what a_90 brings to the east). Sides as
// fractions of the source's, w_auto and the gravities that look at the
// content (auto, face, faces: found on the image as it faces) are not
// turned exactly, so they are a 400.
func turnedBox(g geometry, turns int) (geometry, *params.Error) {
	switch {
	case g.wRatio != 0 || g.hRatio != 0:
		return g, params.BadParam(map[bool]string{true: "w", false: "h"}[g.wRatio != 0], "A resize by a fraction of the source's side followed by a turn is not supported: Matte turns first, and the fraction would be of the other side. Give the side in pixels, or turn first.")
	case g.autoW:
		return g, params.BadParam("w", "w_auto followed by a turn is not supported: Matte turns first, and the hinted width would size the other side. Turn first.")
	case g.g == "auto" || g.g == "face" || g.g == "faces":
		return g, params.BadParam("g", "g_"+g.g+" followed by a turn is not supported: Matte turns first and would look for it on the turned image. Turn first.")
	}
	if turns%2 == 1 {
		g.w, g.h = g.h, g.w
		if g.ar != 0 {
			g.ar = 1 / g.ar
		}
	}
	for i, c := range compass {
		if g.g == c {
			g.g = compass[(i+2*turns)%len(compass)]
			break
		}
	}
	return g, nil
}

// refused is the 400 for a parameter Matte does not read.
func refused(key, item string) *params.Error {
	why := "it is not a Cloudinary parameter Matte supports"
	switch {
	case key == "t":
		why = "named transformations are defined in a Cloudinary account, which Matte does not have; spell the transformation out"
	case key == "u":
		why = "underlays are not supported: Matte draws its layers over the image"
	case key == "o":
		why = "Matte has no opacity step"
	case key == "co":
		why = "co_ is read only as e_colorize's colour"
	case strings.HasPrefix(key, "e_"):
		why = "Matte has no such effect"
	case strings.HasPrefix(key, "$") || key == "if":
		why = "variables and conditions are not supported"
	}
	return params.BadParam(key, params.QuoteShort(item)+" is not supported: "+why+".")
}

var geometryKeys = map[string]bool{"w": true, "h": true, "c": true, "ar": true, "g": true, "x": true, "y": true, "z": true}

// cropModes are the c_ values Matte reads.
var cropModes = map[string]bool{"scale": true, "fit": true, "limit": true, "fill": true, "lfill": true, "thumb": true, "pad": true, "lpad": true, "crop": true}

// gravities are g's compass points; auto, face and faces are Matte's
// attention crop, which face and faces fall back to where no face is
// found (geometry sets Params.Faces for them).
var gravities = map[string]params.Crop{
	"center": params.CropCenter, "north": params.CropTop, "south": params.CropBottom, "west": params.CropLeft, "east": params.CropRight,
	"north_west": params.CropTopLeft, "north_east": params.CropTopRight, "south_west": params.CropBottomLeft, "south_east": params.CropBottomRight,
	"auto": params.CropAttention, "face": params.CropAttention, "faces": params.CropAttention,
}

// read reads one geometry parameter.
func (g *geometry) read(key, val, item string) *params.Error {
	g.any = true
	var err error
	var allowed string
	switch key {
	case "w":
		allowed = "an integer from 1 to 100000 (pixels), a fraction of the source's width between 0 and 1 such as 0.5, or auto (the Sec-CH-Width client hint)"
		if val == "auto" {
			g.autoW = true
		} else {
			err = dimension(val, &g.w, &g.wRatio)
		}
	case "h":
		allowed = "an integer from 1 to 100000 (pixels), or a fraction of the source's height between 0 and 1 such as 0.5"
		err = dimension(val, &g.h, &g.hRatio)
	case "c":
		allowed = "one of scale, fit, limit, fill, lfill, thumb, pad, lpad, crop"
		switch {
		case cropModes[val]:
			g.c = val
		case val == "mfit" || val == "mpad" || val == "fill_pad" || val == "auto" || val == "auto_pad" || strings.HasPrefix(val, "imagga_"):
			err = fmt.Errorf("Matte has no %s mode", val)
		default:
			err = errSyntax
		}
	case "ar":
		allowed = "width:height such as 16:9, or a decimal such as 1.5"
		g.ar, err = aspectRatio(val)
	case "g":
		allowed = "one of center, north, south, east, west, north_east, north_west, south_east, south_west, auto, face, faces, xy_center"
		if _, ok := gravities[val]; !ok && val != "xy_center" {
			err = errSyntax
		}
		g.g = val
	case "x", "y":
		allowed = "an integer from 0 to 100000 (pixels), with c_crop"
		n, perr := params.ParseInt(val, 0, pathurl.MaxDimension)
		err = perr
		if key == "x" {
			g.x, g.xSet = n, true
		} else {
			g.y, g.ySet = n, true
		}
	case "z":
		allowed = "1 (Matte's zoom needs a focal point that Cloudinary's URL does not give)"
		if f, perr := params.ParseDecimal(val); perr != nil || f != 1 {
			err = errSyntax
		}
	}
	if err != nil {
		return bad(key, item, allowed, err)
	}
	return nil
}

// dimension reads w or h into px (whole pixels) or ratio (a fraction of
// the source's side).
func dimension(v string, px *int, ratio *float64) (err error) {
	*px, *ratio, err = params.ParseSide(v, pathurl.MaxDimension)
	return err
}

// aspectRatio reads ar: W:H or a decimal.
func aspectRatio(v string) (float64, error) {
	if strings.Contains(v, ":") {
		return params.ParseRatio(v, ":", pathurl.MaxDimension)
	}
	f, err := params.ParseDecimalIn(v, 0, pathurl.MaxDimension)
	if err != nil || f == 0 {
		return 0, errSyntax
	}
	return f, nil
}

// finish combines the geometry and the settings that depend on it.
func (ch *chain) finish() {
	if ch.turnAfter >= 0 {
		last := len(ch.geoms) - 1
		turns, _ := ch.p.QuarterTurns()
		g, err := turnedBox(ch.geoms[last], turns)
		if err != nil {
			ch.fail(err)
			return
		}
		ch.geoms[last] = g
	}
	switch len(ch.geoms) {
	case 0:
	case 1:
		ch.geometry(ch.geoms[0])
	case 2:
		crop, resize := ch.geoms[0], ch.geoms[1]
		if crop.c != "crop" || resize.c == "crop" {
			ch.fail(params.BadParam(resize.firstKey, fmt.Sprintf("Component %d resizes again; Matte reads one c_crop region, then one resize.", resize.comp+1)))
			return
		}
		if crop.ar != 0 && crop.w == 0 && crop.h == 0 && crop.wRatio == 0 && crop.hRatio == 0 {
			ch.fail(params.BadParam("ar", "A c_crop region given by ar alone cannot be followed by a resize; give it w and h."))
			return
		}
		ch.geometry(crop)
		if len(ch.errs) == 0 {
			ch.geometry(resize)
		}
	default:
		g := ch.geoms[2]
		ch.fail(params.BadParam(g.firstKey, fmt.Sprintf("Component %d resizes a third time; Matte reads one c_crop region, then one resize.", g.comp+1)))
		return
	}
	if len(ch.errs) > 0 {
		return
	}
	if (ch.p.Watermark.Image != "" || ch.p.Text.Text != "") && ch.p.Border.Sides != (params.Sides{}) {
		ch.fail(params.BadParam("bo", "bo with a layer is not supported: Matte would place the layer on the image grown by the border."))
	}
	if ch.bgBlurred && !ch.p.Fit.Fills() {
		ch.fail(params.BadParam("b", "b_blurred fills the padding of c_pad or c_lpad; give it with one of them, w and h."))
	}
	if ch.colorize >= 0 {
		if !ch.coSet {
			ch.fail(params.BadParam("e_colorize", "e_colorize needs its colour: give co_<colour> in the same component."))
		} else if ch.colorize > 0 {
			ch.p.Blend = params.Blend{Color: ch.co, Mode: params.BlendNormal, Alpha: ch.colorize}
		}
	} else if ch.coSet {
		ch.fail(refused("co", "co_"))
	}
	if (ch.p.DPR != 0 || ch.p.ClientHints&params.HintDPR != 0) && (!ch.p.Rect.IsZero() || ch.p.Region != (params.Region{})) {
		ch.fail(params.BadParam("dpr", "dpr cannot be combined with c_crop, whose region is in the source's own pixels."))
	}
	canonical(&ch.p)
}

// canonical makes Params that mean the same equal: without a box (a side,
// a hinted width or an aspect ratio), the fit and the crop anchor change
// nothing and are reset.
func canonical(p *params.Params) {
	if p.Width == 0 && p.Height == 0 && p.WidthRatio == 0 && p.HeightRatio == 0 && p.AspectRatio == 0 && p.ClientHints&params.HintWidth == 0 {
		p.Fit, p.Crop = params.FitClip, params.CropCenter
		p.Faces.NoCut()
	}
	if !p.Fit.Fills() {
		p.FillBlur, p.FillBlurStrength = false, 0
	}
}

// geometry applies one component's resize or crop to ch.p.
func (ch *chain) geometry(g geometry) {
	p := &ch.p
	if g.autoW {
		p.ClientHints |= params.HintWidth
	}
	if (g.xSet || g.ySet) && g.c != "crop" {
		ch.fail(params.BadParam(map[bool]string{true: "x", false: "y"}[g.xSet], "x and y place the region c_crop cuts; give them with c_crop."))
		return
	}
	if g.g == "xy_center" && g.c != "crop" {
		ch.fail(params.BadParam("g", "g_xy_center centres c_crop's region at x, y; give it with c_crop."))
		return
	}
	hasW, hasH := g.w != 0 || g.wRatio != 0 || g.autoW, g.h != 0 || g.hRatio != 0
	if g.ar > 0 && g.autoW {
		ch.fail(params.BadParam("ar", "ar cannot be combined with w_auto; give w in pixels, or h."))
		return
	}
	w, h := g.w, g.h
	arOnly := false
	if g.ar > 0 {
		switch {
		case hasW && hasH:
		case g.w != 0:
			h, hasH = max(1, int(math.Round(float64(g.w)/g.ar))), true
		case g.h != 0:
			w, hasW = max(1, int(math.Round(float64(g.h)*g.ar))), true
		case hasW || hasH:
			p.AspectRatio = g.ar // a side as a fraction: the other from the ratio
			hasW, hasH = true, true
		default:
			arOnly = true
		}
	}
	both := hasW && hasH
	anchor := gravities[g.g]
	if g.c == "crop" {
		ch.cropRegion(g, w, h, arOnly)
		return
	}
	if !hasW && !hasH && !arOnly && g.c != "" {
		ch.fail(params.BadParam("c", "c_"+g.c+" needs w, h or ar."))
		return
	}
	p.Width, p.Height, p.WidthRatio, p.HeightRatio = w, h, g.wRatio, g.hRatio
	switch g.c {
	case "", "scale":
		if arOnly {
			ch.fail(params.BadParam("ar", "ar with c_scale needs w or h."))
			return
		}
		if both {
			p.Fit = params.FitScale
		}
	case "fit":
		if arOnly {
			ch.fail(params.BadParam("ar", "ar with c_fit needs w or h."))
			return
		}
	case "limit":
		if arOnly {
			ch.fail(params.BadParam("ar", "ar with c_limit needs w or h."))
			return
		}
		p.Fit = params.FitMax
	case "fill", "thumb", "lfill":
		limited := g.c == "lfill"
		switch {
		case both || arOnly:
			p.Fit = map[bool]params.Fit{false: params.FitCrop, true: params.FitMin}[limited]
			p.Crop = anchor
			// g_face centres the cut on the largest face found, g_faces on
			// them all, and both by attention where there are none.
			p.Faces.Crop = g.g == "face" || g.g == "faces"
			p.Faces.Largest = g.g == "face"
		case limited:
			p.Fit = params.FitMax
		}
	case "pad", "lpad":
		if g.g != "" && g.g != "center" {
			ch.fail(params.BadParam("g", "c_"+g.c+" centres the image in its padding in Matte; g_"+g.g+" is not supported with it."))
			return
		}
		limited := g.c == "lpad"
		switch {
		case both || arOnly:
			p.Fit = map[bool]params.Fit{false: params.FitFill, true: params.FitFillMax}[limited]
			p.FillBlur = ch.bgBlurred
		case limited:
			p.Fit = params.FitMax
		}
	}
	if arOnly {
		p.AspectRatio = g.ar
	}
}

// cropGravity refuses c_crop with g_auto, g_face or g_faces: Matte's
// attention crop resizes, and its faces centre a resize's cut, not a
// region at the source's scale.
func cropGravity(g string) *params.Error {
	if g == "face" || g == "faces" {
		return params.BadParam("g", "c_crop with g_"+g+" is not supported: Matte centres the cut of a resize on the faces, not a region at the source's scale; use c_fill or c_thumb.")
	}
	return params.BadParam("g", "c_crop with g_"+g+" is not supported: Matte's attention crop resizes; use c_fill.")
}

// cropRegion applies c_crop: a region of the source at its own scale.
func (ch *chain) cropRegion(g geometry, w, h int, arOnly bool) {
	p := &ch.p
	anchor := gravities[g.g]
	switch {
	case g.autoW:
		ch.fail(params.BadParam("w", "c_crop cuts a region in the source's pixels; w_auto is not supported with it."))
	case arOnly:
		if g.xSet || g.ySet {
			ch.fail(params.BadParam("x", "x and y place a region given by w and h; give them."))
			return
		}
		if anchor == params.CropAttention {
			ch.fail(cropGravity(g.g))
			return
		}
		p.Fit, p.AspectRatio, p.Crop = params.FitCrop, g.ar, anchor
	case w == 0 && h == 0 && g.wRatio == 0 && g.hRatio == 0:
		ch.fail(params.BadParam("c", "c_crop needs w and h (or one of them, or ar)."))
	case g.xSet || g.ySet || g.g == "xy_center":
		if g.wRatio != 0 || g.hRatio != 0 || w == 0 || h == 0 {
			ch.fail(params.BadParam(map[bool]string{true: "x", false: "y"}[g.xSet], "x and y place a region given in pixels; give w and h as integers."))
			return
		}
		x, y := g.x, g.y
		switch g.g {
		case "", "north_west":
		case "xy_center":
			x, y = g.x-w/2, g.y-h/2
			if x < 0 || y < 0 {
				ch.fail(params.BadParam(map[bool]string{true: "x", false: "y"}[x < 0], fmt.Sprintf("The %dx%d region centred at %d,%d reaches past the source's top or left edge.", w, h, g.x, g.y)))
				return
			}
		default:
			ch.fail(params.BadParam("g", "x and y measure from the top-left corner in Matte (g_north_west) or give the centre (g_xy_center); g_"+g.g+" is not supported with them."))
			return
		}
		p.Rect = params.Rect{X: x, Y: y, W: w, H: h}
	case anchor == params.CropAttention:
		ch.fail(cropGravity(g.g))
	default:
		p.Region = params.Region{W: w, H: h, WRatio: g.wRatio, HRatio: g.hRatio, Anchor: anchor}
	}
}
