package params

import (
	"strconv"
	"strings"
)

// Key returns a canonical string for p, fit to be part of a cache key and an
// ETag. It lists the fields that differ from their zero value, in a fixed
// order, as name=value pairs joined by ",":
//
//	w=800,h=600,w-ratio=0.5,h-ratio=0.25,dpr=2,ch=width+dpr,fit=crop,ar=1.5,
//	crop-limits=0:1200:100:0,crop=top-left,focus=0.3:0.6:2,
//	faces=true:false:2:1:false:false:0:0,rect=10:20:300:200,rot=90,flip=hv,fm=webp,auto=format,
//	variant=progressive,q=80,lossless=1,chromasub=444,bg=ffffffff,blur=20,
//	sharp=10,
//	sat=-100,bri=10,con=-5,invert=1,hue=90,sepia=80,mono=ff8000ff,
//	bri-x=1.5,gamma=2.2,px=8,
//	usm=40,usmrad=4,mask=corners,corner-radius=8:8:0:0,mask-bg=ffffffff,
//	blend=ff0000ff:multiply:50,mark="sha256:ab…":0:0:0:0.25:0:clip:bottom-right:5:100:x10,
//	txt="Sale":24:ffffffff:"sans bold":0:bottom-right:10,dl="shoe.jpg",
//	trim=1,trim-color=ffffffff,trim-tol=20,trim-pad=-2,trim-by=distance,
//	trim-br=1,pad=4,padding=0:4:8:4,
//	fill-color=ff0000ff,fill-blur=1,fill-blur-strength=300,
//	rembg=1,model="u2net",mask=1,threshold=0.5,refine=1,feather=2.5,
//	erode=3,crop-fg=1,fg-pad=10%,scale=0.8,position=50:100,bg-blur=20,
//	bg-gradient=ffffffff:000000ff,bg-image="https://x/y.jpg",shadow=drop,
//	shadow-color=ff0000ff,shadow-opacity=0.3,shadow-offset=-5:20,
//	shadow-blur=4,
//	jpeg-options=3:trellis:deringing:scans,png-options=16:interlace,
//	webp-options=near_lossless:photo:smart-subsample,
//	gradient=00000000:000000cc:180:0.25:1
//
// (one line in fact; the second part is Removal's, the third the encoder
// options and the gradient). Enums use their String
// names, floats strconv's 'g' with precision -1 (-0 as 0), colours Color.Hex,
// strings (model, bg-image, dl) strconv.Quote. fg-pad ends in "px" or "%";
// threshold is printed whenever Removal.Hard (also 0), and shadow-offset
// whenever OffsetSet (also 0:0). Values ParseQuery never makes are printed
// apart with an "unset:" or "soft:" prefix (a colour that is not Set, a
// Position with X or Y but not Set, a Threshold without Hard, an offset
// without OffsetSet). The zero Params gives "".
//
// Key is stable: the names, order and formats above never change within a
// PipelineVersion, equal Params give equal keys, and different Params give
// different keys (floats being compared as numbers: -0 is 0; NaN, which
// ParseQuery never returns, is outside the contract).
func (p Params) Key() string {
	var b strings.Builder
	add := func(name, value string) {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(value)
	}
	addInt := func(name string, v int) {
		if v != 0 {
			add(name, strconv.Itoa(v))
		}
	}
	addFloat := func(name string, v float64) {
		if v != 0 { // also drops -0, which equals 0
			add(name, floatKey(v))
		}
	}
	addBool := func(name string, v bool) {
		if v {
			add(name, "1")
		}
	}
	// addSet adds v, or "unset:"+v for a value ParseQuery never makes
	// (see above).
	addSet := func(name, v string, set bool) {
		if !set {
			v = "unset:" + v
		}
		add(name, v)
	}
	addColor := func(name string, c Color) {
		if c != (Color{}) {
			add(name, colorKey(c))
		}
	}

	addInt("w", p.Width)
	addInt("h", p.Height)
	addInt("min-width", p.MinWidth)
	addBool("exar", p.ExtendToAspect)
	if g := p.ExtendGravity; g != (ExtendGravity{}) {
		anchor := g.Anchor.String()
		if g.Point {
			anchor = "point"
		}
		add("ex-gravity", anchor+":"+floatKey(g.X)+":"+floatKey(g.Y))
	}
	addBool("dpr-cap", p.CapDPR)
	if p.Kernel != KernelDefault {
		add("kernel", p.Kernel.String())
	}
	addBool("autojpg", p.PNGToJPEG)
	addInt("min-height", p.MinHeight)
	addFloat("w-ratio", p.WidthRatio)
	addFloat("h-ratio", p.HeightRatio)
	addFloat("dpr", p.DPR)
	if p.ClientHints != 0 {
		add("ch", p.ClientHints.String())
	}
	if p.Fit != FitClip {
		add("fit", p.Fit.String())
	}
	if f := p.SourceFit; f.When != FitWhenNever {
		add("fit-if", f.When.String()+":"+f.Fit.String())
	}
	// Only when set, as every field added after keys were first cached:
	// the key of a request without it is unchanged.
	addBool("keep-source-if-box-exceeds", p.KeepSourceIfBoxExceeds)
	addFloat("ar", p.AspectRatio)
	if l := p.CropLimits; l != (CropLimits{}) {
		add("crop-limits", strconv.Itoa(l.MinW)+":"+strconv.Itoa(l.MaxW)+":"+strconv.Itoa(l.MinH)+":"+strconv.Itoa(l.MaxH))
	}
	if p.Crop != CropCenter {
		add("crop", p.Crop.String())
	}
	if f := p.Focus; f != (Focus{}) {
		v := floatKey(f.X) + ":" + floatKey(f.Y)
		if f.Zoom != 0 {
			v += ":" + floatKey(f.Zoom)
		}
		if f.Pixels {
			v += ":px"
		}
		addSet("focus", v, f.Set)
	}
	if f := p.Faces; f != (Faces{}) {
		v := strconv.FormatBool(f.Crop) + ":" + strconv.FormatBool(f.Area) + ":" + floatKey(f.Pad) + ":" + strconv.Itoa(f.Index) + ":" + strconv.FormatBool(f.List) + ":" + strconv.FormatBool(f.Place) + ":" + floatKey(f.Blur) + ":" + strconv.Itoa(f.Pixelate)
		if f.Largest {
			// A ninth field only when set: the keys cached before it
			// existed stay valid.
			v += ":largest"
		}
		if f.Zoom != 0 {
			v += ":zoom=" + floatKey(f.Zoom) // the same: only when set
		}
		if f.Frame {
			v += ":frame"
		}
		add("faces", v)
	}
	if r := p.Rect; r != (Rect{}) {
		add("rect", strconv.Itoa(r.X)+":"+strconv.Itoa(r.Y)+":"+strconv.Itoa(r.W)+":"+strconv.Itoa(r.H))
	}
	if r := p.Region; r != (Region{}) {
		v := "cut=" + sidesKey(r.Cut) +
			":area=" + strconv.Itoa(r.W) + ":" + strconv.Itoa(r.H) + ":" + floatKey(r.WRatio) + ":" + floatKey(r.HRatio) + ":" + r.Anchor.String()
		if f := r.Focus; f != (Focus{}) {
			v += ":focus=" + floatKey(f.X) + ":" + floatKey(f.Y)
			if !f.Set {
				v += ":unset"
			}
		}
		if r.At != [2]Place{} || r.AtSet {
			v += ":at=" + placeKey(r.At[0]) + ":" + placeKey(r.At[1])
			if !r.AtSet {
				v += ":unset"
			}
		}
		add("region", v)
	}
	addInt("or", p.Orientation)
	addFloat("rot", p.Rotate)
	addBool("rot-straighten", p.RotateStraighten) // only when set: older keys stay valid
	if p.Flip != FlipNone {
		add("flip", p.Flip.String())
	}
	if p.Format != FormatSource {
		add("fm", p.Format.String())
	}
	if p.AutoFormat {
		add("auto", "format")
	}
	if p.Variant != VariantNone {
		add("variant", p.Variant.String())
	}
	addInt("q", p.Quality)
	if q := p.FormatQuality; q != (FormatQualities{}) {
		add("fq", strconv.Itoa(q.JPEG)+":"+strconv.Itoa(q.WebP)+":"+strconv.Itoa(q.AVIF))
	}
	addBool("lossless", p.Lossless)
	addInt("chromasub", p.Chroma)
	addColor("bg", p.Background)
	addInt("blur", p.Blur)
	addInt("sharp", p.Sharpen)
	addInt("sat", p.Saturation)
	addInt("bri", p.Brightness)
	addInt("con", p.Contrast)
	addInt("exp", p.Exposure)
	addInt("high", p.Highlights)
	addInt("shad", p.Shadows)
	addInt("vib", p.Vibrance)
	addFloat("lightness", p.Lightness)
	addInt("sigmoid-con", p.SigmoidContrast)
	if c := p.ChannelShift; c != ([3]int{}) {
		add("rgb", strconv.Itoa(c[0])+":"+strconv.Itoa(c[1])+":"+strconv.Itoa(c[2]))
	}
	addInt("dpi", p.DPI)
	if p.Frames != FramesKeep {
		add("frames", p.Frames.String())
	}
	addBool("avif-anim-webp", p.AnimatedAVIFAsWebP)
	if a := p.Animation; a != (Animation{}) {
		v := strconv.Itoa(a.First) + "-" + strconv.Itoa(a.Last) + ":" + strconv.Itoa(a.Interval) + ":" + strconv.Itoa(a.FPS)
		if a.Reverse {
			v += ":reverse"
		}
		if a.LoopSet {
			v += ":loop" + strconv.Itoa(a.Loop)
		}
		add("animation", v)
	}
	addBool("equalize", p.Equalize)
	addBool("fill-mean", p.FillMean)
	addInt("median", p.Median)
	addInt("bw-threshold", p.Threshold)
	addBool("normalize", p.Normalize)
	addColor("tint", p.Tint)
	addBool("tint-even", p.TintEven)
	if c := p.Convolution; c != (Convolution{}) {
		v := strconv.Itoa(c.Columns) + ":" + c.Weights
		if c.Normalize {
			v += ":normalize"
		}
		add("convolution", v)
	}
	if c := p.Curves; c != (Curves{}) {
		add("curves", c.All+"|"+c.Red+"|"+c.Green+"|"+c.Blue)
	}
	if p.Noise != 0 || p.NoiseSeed != 0 {
		add("noise", strconv.Itoa(p.Noise)+":"+strconv.Itoa(p.NoiseSeed))
	}
	if d := p.Duotone; d != (Duotone{}) {
		add("duotone", colorKey(d.Start)+":"+colorKey(d.Stop))
	}
	addBool("adaptive", p.AdaptiveBox)
	addBool("invert", p.Invert)
	addInt("hue", p.Hue)
	addInt("sepia", p.Sepia)
	addBool("sepia-classic", p.SepiaClassic)
	addColor("mono", p.Monochrome)
	addFloat("bri-x", p.BrightnessFactor)
	addFloat("gamma", p.Gamma)
	if d := p.Denoise; d.Set {
		add("nr", strconv.Itoa(d.Bound)+":"+strconv.Itoa(d.Sharpen))
	}
	addInt("px", p.Pixelate)
	addInt("usm", p.UnsharpMask)
	addFloat("usmrad", p.UnsharpRadius)
	if p.Mask != ShapeNone {
		add("mask", p.Mask.String())
	}
	if c := p.CornerRadius; c != (Corners{}) {
		addSet("corner-radius", cornersKey(c), c.Set)
	}
	addColor("mask-bg", p.MaskBackground)
	if b := p.Blend; b != (Blend{}) {
		add("blend", colorKey(b.Color)+":"+b.Mode.String()+":"+strconv.Itoa(b.Alpha))
	}
	if m := p.Watermark; m != (Watermark{}) {
		v := strconv.Quote(m.Image) + ":" + strconv.Itoa(m.Width) + ":" + strconv.Itoa(m.Height) + ":" +
			floatKey(m.WidthRatio) + ":" + floatKey(m.HeightRatio) + ":" + strconv.Itoa(m.Scale) + ":" +
			m.Fit.String() + ":" + m.Align.String() + ":" + strconv.Itoa(m.Pad) + ":" + strconv.Itoa(m.Alpha)
		v += offsetsKey(m.X, m.XSet, m.Y, m.YSet)
		if m.Rotate != 0 {
			v += ":rot=" + floatKey(m.Rotate)
		}
		if m.Tile {
			v += ":tile"
		}
		if m.MinWidth != 0 || m.MinHeight != 0 {
			v += ":min=" + strconv.Itoa(m.MinWidth) + "x" + strconv.Itoa(m.MinHeight)
		}
		for _, f := range []struct {
			on   bool
			name string
		}{{m.XFromEnd, ":x-end"}, {m.YFromEnd, ":y-end"}, {m.XPercent, ":x%"}, {m.YPercent, ":y%"}} {
			if f.on {
				v += f.name
			}
		}
		if m.Spread != 0 {
			v += ":spread=" + m.Spread.String()
		}
		add("mark", v)
	}
	if b := p.Border; b != (Border{}) {
		v := sidesKey(b.Sides) + ":" + colorKey(b.Color)
		for _, r := range []struct {
			name string
			c    Corners
		}{{":r=", b.Radius}, {":ri=", b.InnerRadius}} {
			if r.c != (Corners{}) {
				v += r.name + cornersKey(r.c)
				if !r.c.Set {
					v += ":unset"
				}
			}
		}
		add("border", v)
	}
	if t := p.Text; t != (Text{}) {
		v := strconv.Quote(t.Text) + ":" + strconv.Itoa(t.Size) + ":" + colorKey(t.Color) + ":" + strconv.Quote(t.Font) + ":" +
			strconv.Itoa(t.Width) + ":" + t.Align.String() + ":" + strconv.Itoa(t.Pad) + offsetsKey(t.X, t.XSet, t.Y, t.YSet)
		if t.Outline != 0 || t.OutlineColor != (Color{}) {
			v += ":line=" + strconv.Itoa(t.Outline) + ":" + colorKey(t.OutlineColor)
		}
		if t.Shadow != 0 {
			v += ":shad=" + strconv.FormatFloat(t.Shadow, 'g', -1, 64)
		}
		if t.Fit {
			v += ":fit"
		}
		if t.Clip != TextClipNone || t.Ellipsis {
			v += ":clip=" + t.Clip.String()
			if t.Ellipsis {
				v += ",ellipsis"
			}
		}
		add("txt", v)
	}
	if p.Download || p.DownloadName != "" {
		v := strconv.Quote(p.DownloadName)
		addSet("dl", v, p.Download)
	}
	addBool("trim", p.Trim)
	addColor("trim-color", p.TrimColor)
	if p.TrimToleranceSet || p.TrimTolerance != 0 {
		v := floatKey(p.TrimTolerance)
		addSet("trim-tol", v, p.TrimToleranceSet)
	}
	addInt("trim-pad", p.TrimPad)
	if p.TrimBy != TrimByColour {
		add("trim-by", p.TrimBy.String())
	}
	addBool("trim-br", p.TrimBottomRight)
	addFloat("trim-md", p.TrimMeanDiff)
	addFloat("trim-sd", p.TrimStdDev)
	addInt("pad", p.Pad)
	if s := p.Padding; s != (Sides{}) {
		add("padding", sidesKey(s))
	}
	addColor("fill-color", p.FillColor)
	addBool("fill-blur", p.FillBlur)
	addInt("fill-blur-strength", p.FillBlurStrength)
	if d := p.DropShadow; d != (DropShadow{}) {
		add("drop-shadow", floatKey(d.Opacity)+":"+floatKey(d.Blur)+":"+strconv.Itoa(d.X)+":"+strconv.Itoa(d.Y))
	}
	if b := p.Block; b != (Block{}) {
		v := colorKey(b.Color) + ":" + strconv.Itoa(b.Width) + ":" + strconv.Itoa(b.Height) + ":" + b.Align.String() + offsetsKey(b.X, b.XSet, b.Y, b.YSet)
		if b.XFromEnd {
			v += ":x-end"
		}
		if b.YFromEnd {
			v += ":y-end"
		}
		add("block", v)
	}

	r := p.Removal
	addBool("rembg", r.Enabled)
	if r.Model != "" {
		add("model", strconv.Quote(r.Model))
	}
	addBool("mask", r.MaskOnly)
	if r.Hard {
		add("threshold", floatKey(r.Threshold))
	} else if r.Threshold != 0 {
		add("threshold", "soft:"+floatKey(r.Threshold))
	}
	addBool("refine", r.Refine)
	addFloat("feather", r.Feather)
	addInt("erode", r.Erode)
	addBool("crop-fg", r.CropToForeground)
	if l := r.FGPad; l != (Length{}) {
		unit := "px"
		if l.Percent {
			unit = "%"
		}
		add("fg-pad", floatKey(l.Value)+unit)
	}
	addFloat("scale", r.Scale)
	if pos := r.Position; pos != (Position{}) {
		v := floatKey(pos.X) + ":" + floatKey(pos.Y)
		addSet("position", v, pos.Set)
	}
	addInt("bg-blur", r.BgBlur)
	if g := r.BgGradient; g != ([2]Color{}) {
		add("bg-gradient", colorKey(g[0])+":"+colorKey(g[1]))
	}
	if r.BgImage != "" {
		add("bg-image", strconv.Quote(r.BgImage))
	}
	s := r.Shadow
	if s.Enabled {
		add("shadow", "drop")
	}
	addColor("shadow-color", s.Color)
	addFloat("shadow-opacity", s.Opacity)
	if s.OffsetSet || s.OffsetX != 0 || s.OffsetY != 0 {
		v := strconv.Itoa(s.OffsetX) + ":" + strconv.Itoa(s.OffsetY)
		addSet("shadow-offset", v, s.OffsetSet)
	}
	addFloat("shadow-blur", s.Blur)

	if o := p.JPEGOptions; o != (JPEGOptions{}) {
		v := strconv.Itoa(o.QuantTable)
		for _, f := range []struct {
			on   bool
			name string
		}{{o.TrellisQuant, ":trellis"}, {o.OvershootDeringing, ":deringing"}, {o.OptimizeScans, ":scans"}} {
			if f.on {
				v += f.name
			}
		}
		add("jpeg-options", v)
	}
	if o := p.PNGOptions; o != (PNGOptions{}) {
		v := strconv.Itoa(o.PaletteColors)
		if o.Interlace {
			v += ":interlace"
		}
		add("png-options", v)
	}
	if o := p.WebPOptions; o != (WebPOptions{}) {
		v := o.Compression.String() + ":" + o.Preset.String()
		if o.SmartSubsample {
			v += ":smart-subsample"
		}
		add("webp-options", v)
	}
	if g := p.Gradient; g != (Gradient{}) {
		v := colorKey(g.From) + ":" + colorKey(g.To) + ":" + floatKey(g.Angle) + ":" + floatKey(g.Start) + ":" + floatKey(g.Stop)
		if g.StopPixels != 0 {
			v += ":stop-px=" + strconv.Itoa(g.StopPixels)
		}
		add("gradient", v)
	}
	return b.String()
}

// floatKey formats v as Key does: 'g' with precision -1, -0 as 0.
func floatKey(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// placeKey is a Place: "px" and the pixels, "f" and the fraction, or "a"
// and the alignment; a value its By does not read (which no parser sets)
// is printed after, so that every Place keys apart.
func placeKey(pl Place) string {
	var v string
	switch pl.By {
	case PlacePixels:
		v, pl.Px = "px"+strconv.Itoa(pl.Px), 0
	case PlaceFraction:
		v, pl.F = "f"+floatKey(pl.F), 0
	case PlaceAlign:
		v, pl.F = "a"+floatKey(pl.F), 0
	default:
		v = "by" + strconv.Itoa(int(pl.By))
	}
	if pl.Px != 0 || pl.F != 0 {
		v += "/" + strconv.Itoa(pl.Px) + "/" + floatKey(pl.F)
	}
	return v
}

// sidesKey is s as top:right:bottom:left.
func sidesKey(s Sides) string {
	return strconv.Itoa(s.Top) + ":" + strconv.Itoa(s.Right) + ":" + strconv.Itoa(s.Bottom) + ":" + strconv.Itoa(s.Left)
}

// cornersKey is c's radii, clockwise from the top left, colon-separated
// (Set is the caller's to mark).
func cornersKey(c Corners) string {
	return strconv.Itoa(c.TopLeft) + ":" + strconv.Itoa(c.TopRight) + ":" + strconv.Itoa(c.BottomRight) + ":" + strconv.Itoa(c.BottomLeft)
}

// offsetsKey is ":x<X>" and ":y<Y>" for the offsets that are set, and
// ":unset-x<X>", ":unset-y<Y>" for values ParseQuery never makes.
func offsetsKey(x int, xSet bool, y int, ySet bool) string {
	var b strings.Builder
	for _, c := range []struct {
		name string
		v    int
		set  bool
	}{{"x", x, xSet}, {"y", y, ySet}} {
		switch {
		case c.set:
			b.WriteString(":" + c.name + strconv.Itoa(c.v))
		case c.v != 0:
			b.WriteString(":unset-" + c.name + strconv.Itoa(c.v))
		}
	}
	return b.String()
}

// colorKey is c.Hex(), or "unset:" and the hex digits for a colour that is
// not Set (not made by ParseColor), so that it stays apart from any Set one.
func colorKey(c Color) string {
	if c.Set {
		return c.Hex()
	}
	c.Set = true
	return "unset:" + c.Hex()
}
