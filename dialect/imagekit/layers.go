package imagekit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

const (
	// maxText bounds a text layer's text in bytes, as imgix's txt is.
	maxText = 500
	// maxFontSize bounds fs, in pixels.
	maxFontSize = 1000
	// defaultFontSize is a text layer's size without fs, as ImageKit
	// documents it.
	defaultFontSize = 45
)

// layer is one l-image or l-text layer as its transforms give it, before
// it becomes Matte's watermark or text.
type layer struct {
	text bool // l-text (else l-image)
	// input is i, or ie decoded (ie wins when both are given, as in
	// ImageKit); inputKey is the one that gave it.
	input, inputKey string
	fromIE          bool
	inputGiven      bool // i or ie given, valid or not
	w, h            int
	c               string
	// x, y are lx, ly; fromEnd when written with N (measured from the
	// right or bottom edge).
	x, y               int
	xSet, ySet         bool
	xFromEnd, yFromEnd bool
	align              params.Crop // lfo; centred by default
	// color is a text's co, or an i-ik_canvas block's bg.
	color params.Color
	// The text's own transforms.
	size  int
	font  string
	style string
	pad   int
}

// layerEnd is the index in items of the l-end that closes the layer
// items[start] opens, counting the layers nested in it; -1 when there is
// none.
func layerEnd(items []string, start int) int {
	depth := 0
	for j := start; j < len(items); j++ {
		switch {
		case items[j] == "l-end":
			if depth--; depth == 0 {
				return j
			}
		case strings.HasPrefix(items[j], "l-"):
			depth++
		}
	}
	return -1
}

// readLayer reads the layer l-<kind> whose transforms are items (l-end
// left out) into t.image or t.text, reporting each bad transform on its
// key and a layer Matte cannot draw on l.
func (t *transforms) readLayer(kind string, items []string, errs *urlform.Errors) {
	var handlers map[string]layerHandler
	var slot **layer
	switch kind {
	case "image":
		handlers, slot = imageLayerHandlers, &t.image
	case "text":
		handlers, slot = textLayerHandlers, &t.text
	default:
		errs.Add("l", fmt.Sprintf("l-%s layers are not supported; Matte draws one l-image and one l-text layer.", kind))
		return
	}
	for _, item := range items {
		if strings.HasPrefix(item, "l-") {
			errs.Add("l", "nested layers are not supported; give each layer on its own, closed by l-end.")
			return
		}
	}
	if *slot != nil {
		errs.Add("l", fmt.Sprintf("Matte draws one l-%s layer per image; this one is the second.", kind))
		return
	}
	l := &layer{text: kind == "text", align: params.CropCenter}
	seen := map[string]bool{}
	for _, item := range items {
		key, val := splitItem(item)
		switch {
		case key == "":
			errs.Add("tr", fmt.Sprintf("the l-%s layer holds an empty or malformed transform %s; give key-value pairs such as lx-10.", kind, params.QuoteShort(item)))
			continue
		case seen[key]:
			errs.Add(key, fmt.Sprintf("%s is given more than once in the l-%s layer; give it once.", key, kind))
			continue
		case key == "lm":
			errs.Add(key, "layer modes (lm) are not supported; Matte draws a layer over the image.")
			continue
		}
		seen[key] = true
		h, ok := handlers[key]
		if !ok {
			errs.Add(key, fmt.Sprintf("%s is not a transform Matte supports in an l-%s layer.", params.QuoteShort(item), kind))
			continue
		}
		apply(h.allowed, key, item, func() error { return h.set(l, val) }, errs)
	}
	if err := l.check(); err != nil {
		var pe *params.Error
		if errors.As(err, &pe) {
			errs.Add(pe.Field, pe.Detail)
		}
		return
	}
	*slot = l
}

// check reports what the layer lacks or Matte cannot draw, on the key at
// fault.
func (l *layer) check() error {
	if l.input == "" {
		if l.inputGiven {
			return nil // reported on i or ie
		}
		what := "its image: i-<path> (/ written as @@) or ie-<Base64 path>"
		if l.text {
			what = "its text: i-<text> or ie-<Base64 text>"
		}
		return params.BadParam("i", "the layer needs "+what+".")
	}
	if l.text {
		if l.xFromEnd || l.yFromEnd {
			key := map[bool]string{true: "lx", false: "ly"}[l.xFromEnd]
			return params.BadParam(key, "Matte places text from the left and top edges; give lx and ly of 0 or more.")
		}
		return nil
	}
	if l.input == canvas {
		switch {
		case l.w == 0 || l.h == 0:
			return params.BadParam("w", "an i-ik_canvas block needs its size: w and h in pixels.")
		case !l.color.Set:
			return params.BadParam("bg", "an i-ik_canvas block needs its colour: bg-<colour>.")
		case l.c != "":
			return params.BadParam("c", "c sizes a layer's image; an i-ik_canvas block is w x h.")
		}
		return nil
	}
	if l.color.Set {
		return params.BadParam("bg", "bg colours an i-ik_canvas block; Matte draws a layer's image without a background.")
	}
	// The path is on this site: ImageKit writes its / as @@.
	l.input = "/" + strings.TrimPrefix(strings.ReplaceAll(l.input, "@@", "/"), "/")
	if err := params.CheckImageRef(l.input); err != nil {
		return params.BadParam(l.inputKey, fmt.Sprintf("the layer's image %s is not a path on this site: an image path without . or .. segments, / written as @@, at most %d bytes.", params.QuoteShort(l.input), params.MaxImageRef))
	}
	if l.w > 0 && l.h > 0 && (l.c == "" || l.c == "maintain_ratio") {
		return params.BadParam("h", "an l-image layer with both w and h is cropped to them by c-maintain_ratio, and Matte's layer image cannot be cropped; give one side, or c-at_max, c-at_max_enlarge or c-force.")
	}
	return nil
}

// canvas is the input of a solid-colour block layer.
const canvas = "ik_canvas"

// block is an i-ik_canvas layer as Matte's colour block: w x h of bg,
// placed as an image layer is.
func (l *layer) block() params.Block {
	b := params.Block{Color: l.color, Width: l.w, Height: l.h, Align: l.align}
	if l.xSet || l.ySet {
		b.X, b.Y, b.XSet, b.YSet, b.XFromEnd, b.YFromEnd = l.x, l.y, true, true, l.xFromEnd, l.yFromEnd
	}
	return b
}

// watermark is the image layer as Matte's watermark: at its own size, or
// resized by w and h (c: at_max never enlarges, force stretches to both),
// centred or placed by lfo flush with the edges it names, or at lx, ly
// (the other one 0), opaque.
func (l *layer) watermark() params.Watermark {
	m := params.Watermark{Image: l.input, Width: l.w, Height: l.h, Fit: params.FitClip, Align: l.align, Alpha: 100}
	switch l.c {
	case "at_max":
		m.Fit = params.FitMax
	case "force":
		m.Fit = params.FitScale
	}
	if l.xSet || l.ySet {
		m.X, m.Y, m.XSet, m.YSet, m.XFromEnd, m.YFromEnd = l.x, l.y, true, true, l.xFromEnd, l.yFromEnd
	}
	return m
}

// textParams is the text layer as Matte's text: fs pixels (45 by default),
// co (black by default), ff and tg, wrapped at w, placed by lfo (centred by
// default) pa pixels in from the edges it names, or at lx, ly (the other
// one 0) plus pa.
func (l *layer) textParams() params.Text {
	t := params.Text{Text: l.input, Size: l.size, Color: l.color, Font: l.font, Width: l.w, Align: l.align, Pad: l.pad}
	if t.Size == 0 {
		t.Size = defaultFontSize
	}
	if !t.Color.Set {
		t.Color = params.Color{A: 255, Set: true}
	}
	if t.Font == "" {
		t.Font = "sans"
	}
	if l.style != "" {
		t.Font += " " + l.style
	}
	if l.xSet || l.ySet {
		t.X, t.Y, t.XSet, t.YSet = l.x+l.pad, l.y+l.pad, true, true
	}
	return t
}

type layerHandler struct {
	allowed string
	set     func(l *layer, v string) error
}

// The transforms an l-image layer reads.
var imageLayerHandlers = map[string]layerHandler{
	"i":   {"a path on this site, / written as @@", func(l *layer, v string) error { return l.setInput("i", v) }},
	"ie":  {"a path on this site, Base64-encoded", func(l *layer, v string) error { return l.setInput("ie", v) }},
	"w":   {"an integer from 1 to 100000", layerSide(func(l *layer) *int { return &l.w })},
	"h":   {"an integer from 1 to 100000", layerSide(func(l *layer) *int { return &l.h })},
	"lx":  {"an integer from 0 to 100000, N for a distance from the right edge (N35)", layerPosition(func(l *layer) (*int, *bool, *bool) { return &l.x, &l.xSet, &l.xFromEnd })},
	"ly":  {"an integer from 0 to 100000, N for a distance from the bottom edge (N35)", layerPosition(func(l *layer) (*int, *bool, *bool) { return &l.y, &l.ySet, &l.yFromEnd })},
	"lfo": {"one of center, top, bottom, left, right, top_left, top_right, bottom_left, bottom_right", layerFocus},
	"c": {"one of maintain_ratio, at_max, at_max_enlarge, force", func(l *layer, v string) error {
		switch v {
		case "maintain_ratio", "at_max", "at_max_enlarge", "force":
			l.c = v
			return nil
		}
		return params.ErrSyntax
	}},
	"bg": {"a colour: hex RRGGBB, RRGGBB followed by an opacity 00 to 99, or a CSS colour name", func(l *layer, v string) (err error) {
		l.color, err = parseColor(v)
		return err
	}},
	// ImageKit trims a layer's image by default; Matte draws it whole, as
	// t-false asks.
	"t": {"false (Matte does not trim a layer's image)", func(_ *layer, v string) error {
		if v != "false" {
			return params.ErrSyntax
		}
		return nil
	}},
}

// The transforms an l-text layer reads.
var textLayerHandlers = map[string]layerHandler{
	"i":   {fmt.Sprintf("text of 1 to %d bytes of UTF-8 without control characters", maxText), func(l *layer, v string) error { return l.setInput("i", v) }},
	"ie":  {fmt.Sprintf("Base64-encoded text of 1 to %d bytes of UTF-8 without control characters", maxText), func(l *layer, v string) error { return l.setInput("ie", v) }},
	"w":   {"an integer from 1 to 100000 (the width the text wraps at)", layerSide(func(l *layer) *int { return &l.w })},
	"lx":  {"an integer from 0 to 100000", layerPosition(func(l *layer) (*int, *bool, *bool) { return &l.x, &l.xSet, &l.xFromEnd })},
	"ly":  {"an integer from 0 to 100000", layerPosition(func(l *layer) (*int, *bool, *bool) { return &l.y, &l.ySet, &l.yFromEnd })},
	"lfo": {"one of center, top, bottom, left, right, top_left, top_right, bottom_left, bottom_right", layerFocus},
	"fs": {fmt.Sprintf("an integer from 1 to %d (pixels)", maxFontSize), func(l *layer, v string) (err error) {
		l.size, err = params.ParseInt(v, 1, maxFontSize)
		return err
	}},
	"co": {"a colour: hex RRGGBB, RRGGBB followed by an opacity 00 to 99, or a CSS colour name", func(l *layer, v string) (err error) {
		l.color, err = parseColor(v)
		return err
	}},
	"ff": {"a font family installed on the server: letters, digits and spaces (custom font files are not supported)", func(l *layer, v string) error {
		if len(v) > 64 || strings.TrimSpace(v) == "" {
			return params.ErrSyntax
		}
		for _, c := range v {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ' ') {
				return params.ErrSyntax
			}
		}
		l.font = strings.TrimSpace(v)
		return nil
	}},
	"tg": {"b (bold), i (italic) or b_i", func(l *layer, v string) error {
		style, ok := map[string]string{"b": "bold", "i": "italic", "b_i": "bold italic", "i_b": "bold italic"}[v]
		if !ok {
			return params.ErrSyntax
		}
		l.style = style
		return nil
	}},
	"pa": {"an integer from 0 to 1000, or the same integer for every side (10_10)", func(l *layer, v string) error {
		sides := strings.Split(v, "_")
		if len(sides) > 4 {
			return params.ErrSyntax
		}
		var pads []int
		for _, s := range sides {
			n, err := params.ParseInt(s, 0, 1000)
			if err != nil {
				return err
			}
			if pads = append(pads, n); n != pads[0] {
				return errors.New("Matte pads text evenly on every side")
			}
		}
		l.pad = pads[0]
		return nil
	}},
}

// setInput sets the layer's input from i (as written) or ie (Base64,
// standard or URL-safe, padded or not; a + that a query turned into a
// space is read as +); ie wins over i.
func (l *layer) setInput(key, v string) error {
	l.inputGiven = true
	if key == "ie" {
		v = strings.ReplaceAll(v, " ", "+")
		var decoded []byte
		var err error
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if decoded, err = enc.DecodeString(v); err == nil {
				break
			}
		}
		if err != nil {
			return errors.New("not Base64")
		}
		v = string(decoded)
	} else if l.fromIE {
		return nil
	}
	if v == "" {
		return params.ErrSyntax
	}
	if err := params.CheckPrintable(v, maxText); err != nil {
		return err
	}
	l.input, l.inputKey, l.fromIE = v, key, key == "ie"
	return nil
}

// layerSide is a layer's w or h, stored at the field at returns.
func layerSide(at func(l *layer) *int) func(l *layer, v string) error {
	return func(l *layer, v string) (err error) {
		*at(l), err = params.ParseInt(v, 1, maxDimension)
		return err
	}
}

// layerPosition is lx or ly: pixels, N-prefixed from the far edge.
func layerPosition(at func(l *layer) (*int, *bool, *bool)) func(l *layer, v string) error {
	return func(l *layer, v string) (err error) {
		n, set, fromEnd := at(l)
		v, *fromEnd = strings.CutPrefix(v, "N")
		*n, err = params.ParseInt(v, 0, maxDimension)
		*set = true
		return err
	}
}

// layerFocus is lfo: an edge or a corner, or center.
func layerFocus(l *layer, v string) error {
	c, ok := focuses[v]
	if !ok || c == params.CropAttention {
		return params.ErrSyntax
	}
	l.align = c
	return nil
}
