package cloudinary

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

const (
	// maxText bounds a text overlay's text in bytes, as imgix's txt is.
	maxText = 500
	// maxFontSize bounds a text overlay's size, in pixels.
	maxFontSize = 1000
	// maxFont bounds a text overlay's font family name, in bytes.
	maxFont = 64
)

// overlay is one l_ layer as its components give it, before it becomes
// Matte's watermark (an image) or text.
type overlay struct {
	text bool
	// image is an image layer's path on this site; the text's fields are a
	// text layer's.
	image      string
	words      string
	font       string
	size       int
	color      params.Color
	w, h       int
	wRel, hRel float64
	wKey       string // the key of the first relative side, for errors
	relative   bool   // fl_relative
	c          string
	alpha      int // o_, percent (100: opaque)
	angle      float64
	g          string // as written ("": centre)
	x, y       int
}

// opensLayer reports whether the component comp holds l_.
func opensLayer(comp string) bool {
	for item := range strings.SplitSeq(comp, ",") {
		if strings.HasPrefix(item, "l_") {
			return true
		}
	}
	return false
}

// appliesLayer reports whether the component comp holds fl_layer_apply.
func appliesLayer(comp string) bool {
	for item := range strings.SplitSeq(comp, ",") {
		if flags, ok := strings.CutPrefix(item, "fl_"); ok {
			for f := range strings.SplitSeq(flags, ".") {
				if f == "layer_apply" {
					return true
				}
			}
		}
	}
	return false
}

// layerEnd is the index of the last component of the layer comps[start]
// opens: the first component with fl_layer_apply from start on, unless
// another l_ comes before it; without one, the layer is comps[start]
// alone (Cloudinary's older one-component form).
func layerEnd(comps []string, start int) int {
	if appliesLayer(comps[start]) {
		return start
	}
	for j := start + 1; j < len(comps); j++ {
		switch {
		case opensLayer(comps[j]):
			return start
		case appliesLayer(comps[j]):
			return j
		}
	}
	return start
}

// layer reads the layer whose components are comps (the first, number
// start in the chain, holds l_) into ch.p.Watermark or ch.p.Text, where
// Matte draws them: after the colour steps and the resize.
func (ch *chain) layer(start int, comps []string, prefix string) {
	l := overlay{alpha: 100}
	seen := map[string]bool{}
	failed := false
	// l_ is read first: it says which parameters the layer reads.
	type param struct {
		item    string
		placing bool // in the component that places the layer
	}
	var items []param
	for k, comp := range comps {
		for item := range strings.SplitSeq(comp, ",") {
			p := param{item, k == len(comps)-1}
			if len(items) > 0 && strings.HasPrefix(item, "l_") && !strings.HasPrefix(items[0].item, "l_") {
				items = append([]param{p}, items...)
				continue
			}
			items = append(items, p)
		}
	}
	for _, p := range items {
		key, val := split(p.item)
		if key == "fl" {
			// A layer's flags are spread over its components (fl_relative
			// with its size, fl_layer_apply where it is placed): each
			// flag, not fl, may be given once.
			if dup := repeatedFlag(val, seen); dup != "" {
				ch.fail(params.BadParam("fl", "fl_"+dup+" is given twice in the layer "+params.QuoteShort(strings.Join(comps, "/"))+"; give it once."))
				failed = true
				continue
			}
		} else if seen[key] {
			ch.fail(params.BadParam(key, key+" is given twice in the layer "+params.QuoteShort(strings.Join(comps, "/"))+"; give it once."))
			failed = true
			continue
		}
		seen[key] = true
		if err := l.read(key, val, p.item, prefix, p.placing); err != nil {
			ch.fail(err)
			failed = true
		}
	}
	if failed {
		return
	}
	rank := map[bool]int{false: rankImageLayer, true: rankTextLayer}[l.text]
	if ch.maxRank > rank {
		ch.fail(params.BadParam("l", fmt.Sprintf("The layer %s comes after a step that Matte's pipeline applies after it (a border, rounded corners, or, for an image layer, the text layer: Matte draws text over its image layer), so the chain cannot be read as one request; give the layer first.", params.QuoteShort(strings.Join(comps, "/")))))
		return
	}
	ch.maxRank = rank
	if err := l.check(); err != nil {
		ch.fail(err)
		return
	}
	if l.text {
		if ch.p.Text.Text != "" {
			ch.fail(params.BadParam("l", fmt.Sprintf("Matte draws one text layer per image; the layer in component %d is the second.", start+1)))
			return
		}
		t, err := l.textParams()
		if err != nil {
			ch.fail(err)
			return
		}
		ch.p.Text = t
		return
	}
	if ch.p.Watermark.Image != "" {
		ch.fail(params.BadParam("l", fmt.Sprintf("Matte draws one image layer per image; the layer in component %d is the second.", start+1)))
		return
	}
	m, err := l.watermark()
	if err != nil {
		ch.fail(err)
		return
	}
	ch.p.Watermark = m
}

// layerGravities are the g values that place a layer (its default is
// center).
var layerGravities = map[string]params.Crop{
	"center": params.CropCenter, "north": params.CropTop, "south": params.CropBottom, "west": params.CropLeft, "east": params.CropRight,
	"north_west": params.CropTopLeft, "north_east": params.CropTopRight, "south_west": params.CropBottomLeft, "south_east": params.CropBottomRight,
}

// repeatedFlag is the first of val's flags (joined by ".") that seen, the
// flags read so far as "fl_"+flag, holds or val repeats, "" if none; it
// adds val's flags to seen.
func repeatedFlag(val string, seen map[string]bool) string {
	for f := range strings.SplitSeq(val, ".") {
		if seen["fl_"+f] {
			return f
		}
		seen["fl_"+f] = true
	}
	return ""
}

// read reads one parameter of the layer; placing is set in the component
// that places it (the one with fl_layer_apply, or the layer's only one).
func (l *overlay) read(key, val, item, prefix string, placing bool) *params.Error {
	what := "an image layer"
	if l.text {
		what = "a text layer"
	}
	var err error
	var allowed string
	switch key {
	case "l":
		return l.source(val, item, prefix)
	case "g", "x", "y":
		if !placing {
			return params.BadParam(key, key+" places a layer: give it in the component with fl_layer_apply ("+params.QuoteShort(item)+" stands before it).")
		}
		if key == "g" {
			allowed = "one of center, north, south, east, west, north_east, north_west, south_east, south_west"
			if _, ok := layerGravities[val]; !ok {
				err = errSyntax
			}
			l.g = val
			break
		}
		allowed = "an integer from 0 to 100000 (pixels from the edge g names, or from the centre along an axis g centres)"
		n, perr := params.ParseInt(val, 0, pathurl.MaxDimension)
		err = perr
		if key == "x" {
			l.x = n
		} else {
			l.y = n
		}
	case "w", "h":
		allowed = "an integer from 1 to 100000 (pixels), or with fl_relative a fraction of the image's side such as 0.25"
		if l.text {
			if key == "h" {
				return params.BadParam("h", "Matte's text has no height; give w with c_fit to wrap it.")
			}
			allowed = "an integer from 1 to 100000 (the width the text wraps at, with c_fit)"
		}
		px, rel := &l.w, &l.wRel
		if key == "h" {
			px, rel = &l.h, &l.hRel
		}
		if strings.Contains(val, ".") {
			if l.wKey == "" {
				l.wKey = key
			}
			*rel, err = params.ParseDecimalIn(val, 0, 1)
			if err == nil && (*rel == 0 || l.text) {
				err = errSyntax
			}
		} else {
			*px, err = params.ParseInt(val, 1, pathurl.MaxDimension)
		}
	case "c":
		allowed = "scale, fit or limit (Matte draws a layer's image whole)"
		if l.text {
			allowed = "fit, with w (the width the text wraps at)"
		}
		switch {
		case val == "fit", !l.text && (val == "scale" || val == "limit"):
			l.c = val
		default:
			err = errSyntax
		}
	case "o":
		allowed = "an integer from 1 to 100 (percent opacity)"
		l.alpha, err = params.ParseInt(val, 1, 100)
	case "a":
		if l.text {
			return params.BadParam("a", "Matte does not turn text; "+params.QuoteShort(item)+" is not supported in a text layer.")
		}
		allowed = "an integer angle in degrees (negative: counter-clockwise); flips are not supported in a layer"
		n, perr := params.ParseSignedInt(val, -360000, 360000)
		err = perr
		l.angle = float64(((n % 360) + 360) % 360)
	case "co":
		if !l.text {
			return params.BadParam("co", "co_ colours a text layer's text; Matte draws an image layer as it is.")
		}
		allowed = "a colour (a CSS name such as white, rgb:RRGGBB, rgb:RGB, rgb:RRGGBBAA, or the same after %23)"
		l.color, err = parseColor(val)
	case "fl":
		allowed = "layer_apply and relative, joined by . (fl_tiled and the other flags are not supported in a layer)"
		for f := range strings.SplitSeq(val, ".") {
			switch f {
			case "layer_apply":
			case "relative":
				l.relative = true
			default:
				err = errSyntax
			}
		}
	case "b":
		return params.BadParam("b", params.QuoteShort(item)+" is not supported in a layer: Matte's text has no background box, and it draws an image layer as it is.")
	case "u":
		return params.BadParam("u", params.QuoteShort(item)+" is not supported: Matte draws its layers over the image, not under it.")
	default:
		why := "it is not a parameter Matte reads in " + what
		switch {
		case strings.HasPrefix(key, "e_"):
			why = "Matte draws a layer as it is, without effects"
		case key == "f" || key == "q" || key == "dpr":
			why = "give it in a component of its own, outside the layer"
		}
		return params.BadParam(key, params.QuoteShort(item)+" is not supported in a layer: "+why+".")
	}
	if err != nil {
		return bad(key, item, allowed, err)
	}
	return nil
}

// source reads l_: an image's public ID (its folders joined by ":"), or
// text:<font>_<size>[_bold][_italic]:<text>.
func (l *overlay) source(v, item, prefix string) *params.Error {
	kind, rest, _ := strings.Cut(v, ":")
	switch kind {
	case "text":
		l.text = true
		return l.readText(rest, item)
	case "fetch", "video", "audio", "subtitles", "lut", "raw":
		return params.BadParam("l", params.QuoteShort(item)+" is not supported: Matte draws image layers from this site and text layers (l_<public ID>, l_text:<font>_<size>:<text>).")
	}
	path, ok := publicIDPath(prefix, v)
	if !ok {
		return params.BadParam("l", fmt.Sprintf("%s is not an image layer: give the public ID of an image on this site, its folders joined by : (l_brand:logo.png), without . or .. folders.", params.QuoteShort(item)))
	}
	l.image = path
	return nil
}

// readText reads <font>_<size>[_<style>...]:<text>, the text escaped once
// more than the URL (Cloudinary writes "," as %252C and "/" as %252F).
func (l *overlay) readText(v, item string) *params.Error {
	style, words, ok := strings.Cut(v, ":")
	tokens := strings.Split(style, "_")
	if !ok || len(tokens) < 2 {
		return params.BadParam("l", params.QuoteShort(item)+" is not a text layer Matte reads: give l_text:<font>_<size>:<text> (l_text:Arial_40:Hello); text styles saved in a Cloudinary account are not supported.")
	}
	font := tokens[0]
	if font == "" || len(font) > maxFont || strings.Trim(font, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -") != "" {
		return params.BadParam("l", fmt.Sprintf("The font %s is not a font family Matte reads: give the name of a family installed on the server (letters, digits, spaces and -, at most %d bytes); font files are not supported.", params.QuoteShort(font), maxFont))
	}
	if g, ok := params.GenericFontFamily(font); ok {
		font = g
	}
	size, err := params.ParseInt(tokens[1], 1, maxFontSize)
	if err != nil {
		return params.BadParam("l", fmt.Sprintf("The font size %s is not valid; give an integer from 1 to %d (pixels) after the font (l_text:Arial_40:Hello).", params.QuoteShort(tokens[1]), maxFontSize))
	}
	bold, italic := false, false
	for _, s := range tokens[2:] {
		switch s {
		case "bold":
			bold = true
		case "italic":
			italic = true
		case "normal":
		default:
			return params.BadParam("l", fmt.Sprintf("The text style %s is not supported: Matte reads the font, the size, bold, italic and normal.", params.QuoteShort(s)))
		}
	}
	if bold {
		font += " bold"
	}
	if italic {
		font += " italic"
	}
	text, err := url.PathUnescape(words)
	if err == nil {
		err = params.CheckPrintable(text, maxText)
	}
	if err != nil || text == "" {
		return params.BadParam("l", fmt.Sprintf("The text of %s is not valid: give 1 to %d bytes of UTF-8 without control characters, escaped for the URL, with , / and %% escaped twice (%%252C, %%252F, %%2525).", params.QuoteShort(item), maxText))
	}
	l.font, l.size, l.words = font, size, text
	return nil
}

// check reports what the layer's parameters cannot mean together.
func (l *overlay) check() *params.Error {
	switch {
	case l.text && l.w > 0 && l.c != "fit":
		return params.BadParam("w", "A text layer's w is the width its text wraps at: give it with c_fit.")
	case l.text && l.c != "" && l.w == 0:
		return params.BadParam("c", "c_fit wraps a text layer's text at w: give w.")
	case l.relative && (l.w > 0 || l.h > 0):
		key := map[bool]string{true: "w", false: "h"}[l.w > 0]
		return params.BadParam(key, "With fl_relative, give w and h as fractions of the image's sides (0.25), not pixels.")
	case l.relative && l.wRel == 0 && l.hRel == 0:
		return params.BadParam("fl", "fl_relative makes w and h fractions of the image's sides: give w or h as a fraction such as 0.25.")
	case !l.relative && l.wKey != "":
		return params.BadParam(l.wKey, "A fraction of a layer's own size is not supported; with fl_relative, w and h are fractions of the image's sides (fl_relative,w_0.25).")
	}
	return nil
}

// placement is where a layer goes: g's edges, and x and y in from them.
// Along an axis g centres, an offset moves the layer from the centre,
// which Matte cannot: it is a 400 on x or y.
type placement struct {
	align        params.Crop
	hEdge, vEdge int // -1: the left or top edge, 1: the right or bottom one, 0: centred
}

// placement reads g (center by default) and checks x and y against it.
func (l *overlay) placement() (placement, *params.Error) {
	g := l.g
	if g == "" {
		g = "center"
	}
	p := placement{align: layerGravities[g]}
	switch {
	case strings.HasSuffix(g, "west"):
		p.hEdge = -1
	case strings.HasSuffix(g, "east"):
		p.hEdge = 1
	}
	switch {
	case strings.HasPrefix(g, "north"):
		p.vEdge = -1
	case strings.HasPrefix(g, "south"):
		p.vEdge = 1
	}
	if p.hEdge == 0 && l.x != 0 {
		return p, params.BadParam("x", "g_"+g+" centres the layer across the image, and Matte cannot move it from the centre; give x with a gravity on the west or east edge, or leave it out.")
	}
	if p.vEdge == 0 && l.y != 0 {
		return p, params.BadParam("y", "g_"+g+" centres the layer down the image, and Matte cannot move it from the centre; give y with a gravity on the north or south edge, or leave it out.")
	}
	return p, nil
}

// watermark is the image layer as Matte's watermark: sized by w and h
// (pixels, or fractions of the image's sides with fl_relative; c_scale
// stretches to both, c_fit keeps the aspect ratio, c_limit does not
// enlarge either), turned by a, at o percent opacity, placed by g flush
// with its edges, x and y in from them.
func (l *overlay) watermark() (params.Watermark, *params.Error) {
	pl, err := l.placement()
	if err != nil {
		return params.Watermark{}, err
	}
	m := params.Watermark{Image: l.image, Width: l.w, Height: l.h, WidthRatio: l.wRel, HeightRatio: l.hRel,
		Fit: params.FitClip, Align: pl.align, Alpha: l.alpha, Rotate: l.angle}
	bothSides := (l.w > 0 || l.wRel > 0) && (l.h > 0 || l.hRel > 0)
	switch {
	case l.c == "limit":
		m.Fit = params.FitMax
	case (l.c == "" || l.c == "scale") && bothSides:
		m.Fit = params.FitScale
	}
	if pl.hEdge != 0 && l.x != 0 {
		m.X, m.XSet, m.XFromEnd = l.x, true, pl.hEdge > 0
	}
	if pl.vEdge != 0 && l.y != 0 {
		m.Y, m.YSet, m.YFromEnd = l.y, true, pl.vEdge > 0
	}
	return m, nil
}

// textParams is the text layer as Matte's text: the font at its size, co
// (black by default) at o percent opacity, wrapped at w with c_fit, placed
// by g (centred by default) x and y in from its edges. Matte's text sets
// a distance from the right or bottom edge as one padding for both, so x
// and y from those edges differ only as a 400.
func (l *overlay) textParams() (params.Text, *params.Error) {
	pl, err := l.placement()
	if err != nil {
		return params.Text{}, err
	}
	t := params.Text{Text: l.words, Size: l.size, Color: l.color, Font: l.font, Width: l.w, Align: pl.align}
	if !t.Color.Set {
		t.Color = params.Color{A: 255, Set: true}
	}
	if l.alpha < 100 {
		t.Color.A = uint8((int(t.Color.A)*l.alpha + 50) / 100)
	}
	// The far edges' offsets are the padding; the near edges' are X and Y
	// (set, at 0 too, when a padding would otherwise move them).
	pad := -1
	if pl.hEdge > 0 {
		pad = l.x
	}
	if pl.vEdge > 0 {
		if pad >= 0 && pad != l.y {
			return params.Text{}, params.BadParam("y", fmt.Sprintf("Matte places text the same distance from the right and bottom edges; x_%d and y_%d differ.", l.x, l.y))
		}
		pad = l.y
	}
	t.Pad = max(pad, 0)
	if pl.hEdge < 0 && (l.x != 0 || t.Pad != 0) {
		t.X, t.XSet = l.x, true
	}
	if pl.vEdge < 0 && (l.y != 0 || t.Pad != 0) {
		t.Y, t.YSet = l.y, true
	}
	return t, nil
}
