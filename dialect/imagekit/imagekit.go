// Package imagekit reads ImageKit transformation URLs: the query form
// /path/a.jpg?tr=w-400,h-300 and the path form /tr:w-400,h-300/path/a.jpg,
// so that URLs written for ImageKit (by hand, by unpic's imagekit provider
// or by ImageKit's SDKs) work when Matte answers them.
//
// A URL is ImageKit's when it has a tr query parameter, or when its first
// path segment starts with "tr:". The source is the rest of the path on
// this site (the query, minus tr, goes with it). Transforms are "key-value"
// pairs separated by commas. Chained steps (":" inside tr) are read as one
// request where that is exact (chain): one step may resize, crop or change
// the image, the others only set encodingKeys (q, f, ...), as ImageKit's
// responsive helper writes them (tr=q-80:w-640,c-at_max); any other chain
// is a 400 on tr naming its second such step, and so is e-grayscale after
// a step that draws a colour Matte draws after greying (drawnAfterGrey). The transforms Matte reads, as ImageKit documents them
// (imagekit.io/docs, Image resize and crop, Image enhancement, Overlay
// using layers):
//
//   - w, h: output size in pixels, integers 1 to 100000, or fractions of
//     the original between 0 and 1 (w-0.5). w-auto reads the width from
//     the Sec-CH-Width (or Width) client hint, as imgix's ch=width does;
//     h-auto and expressions are refused.
//   - c (crop strategy): maintain_ratio (default: with w and h, cover the
//     box and crop by fo), force (stretch to the box), at_max (fit inside,
//     never enlarge), at_max_enlarge (fit inside), at_least (cover without
//     cropping, Matte's outside; with one side given it fits to that side).
//     pad_resize is taken as c- too, though ImageKit spells it cm-.
//   - cm (crop mode): pad_resize (fit inside and pad with bg, white by
//     default). extract cuts a w x h region out of the source at its own
//     scale (w and h both needed, in pixels or fractions of the source's
//     sides): centred, at the edge or corner fo names, with its top-left
//     corner at x, y, or centred at xc, yc (a region reaching past the top
//     or left edge that way is refused, as ImageKit fails it, and one
//     starting outside the source is a 400 on x, y, xc or yc); what falls
//     outside the source is left out. pad_extract is extract padded to w x h
//     with bg (white by default), the region centred. Neither takes c, dpr,
//     fo-auto or fo-face (Matte's faces place a resize's cut, not a region
//     at the source's scale).
//   - fo (focus): center, top, bottom, left, right, top_left, top_right,
//     bottom_left, bottom_right, auto (libvips' attention crop), face (the
//     crop centred on the faces found, Params.Faces; auto where there are
//     none).
//   - q: 1 to 100. f: auto (AVIF or WebP by the Accept header), jpg, jpeg,
//     png, webp, avif, gif, orig (the source's format).
//   - bg: a colour, hex RRGGBB or RGB, RRGGBB and two decimal digits of
//     opacity (00 to 99: FFAABB50 is half opaque), or a CSS name. With
//     cm-pad_resize, bg-blurred fills the padding with the image blurred
//     (Matte's fill=blur), bg-blurred_N at blur N, 1 to 100 (Matte's
//     strength N x 10), or auto; a brightness after it must be 0 (Matte's
//     blurred fill has none).
//   - b-<width>_<colour>: a border of that many pixels (1 to 1000) around
//     the image, which grows by twice the width: Matte pads by the width
//     and draws its border over the padding (ImageKit documents that b
//     "adds a border", not whether the image grows; Matte reads it so).
//   - bl: blur radius 1 to 100 (Matte's blur is radius times 10).
//   - r: rounded corners of that radius (Matte's mask=corners), or max for
//     the inscribed circle or oval (mask=ellipse); outside them the image
//     is transparent, or white for a format without alpha.
//   - rt: rotation in degrees (any integer, clockwise; N40 or -40 turns
//     counter-clockwise) or auto (EXIF, which Matte always applies). fl: h,
//     v, h_v (or v_h) to flip.
//   - dpr: 1 to 5, or auto (the Sec-CH-DPR or DPR client hint). lo:
//     true/false (lossless). t: true, or a tolerance 1 to 99 (trim; the
//     colour distance, 10 by default). pr-true: a JPEG answer is progressive
//     (other formats ignore it).
//   - orig-true: the source as it is, its bytes untouched
//     (dialect.ImageURL.AsIs); every other transform is ignored, as in
//     ImageKit, and so is di- (nothing is decoded: a missing source
//     answers as its origin does).
//   - di-<path>: the default image, answered in place of a source that is
//     missing (its origin answers 404 or 410), transformed as the URL asks:
//     a path on this site from its root, its / written as @@ as ImageKit's
//     SDKs write it (di-folder@@default.jpg is /folder/default.jpg), in
//     place of the site's fallback_image. md-false and cp-false are what Matte does anyway (it
//     strips metadata and writes sRGB); md-true and cp-true are refused.
//   - e-bgremove and e-removedotbg: background removal (Matte's own
//     model). e-sharpen, optionally e-sharpen-N (N 1 to 100): sharpening.
//     e-usm-radius-sigma-amount-threshold: an unsharp mask (sigma and
//     amount used). e-contrast: a contrast stretch (sharp's normalise).
//     e-shadow, or e-shadow-bl-B_st-S_x-X_y-Y (any of them, joined by _):
//     a shadow of an image with alpha under its opaque pixels (Matte's
//     DropShadow), blur B 0 to 15 (sigma in pixels; 10), st S 0 to 100
//     (read as the shadow's opacity in percent, as ImageKit does not say
//     what its saturation is; 30), offsets X, Y 0 to 100 percent of the
//     width and height (2), N for left or up.
//   - e-gradient, or e-gradient-ld-D_from-C_to-C_sp-S (any of them, joined
//     by _): a linear gradient over the output (Matte's Gradient), from the
//     colour from (FFFFFF) where the direction ld starts to the colour to
//     (00000000) at sp along it and beyond. ld is 0 to 359 degrees (0 up,
//     90 right; 180 by default) or top, top_right, right, bottom_right,
//     bottom, bottom_left, left, top_left at those fixed angles, as
//     ImageKit documents them; sp is 0.01 to 1 of the gradient line, or
//     whole pixels above 1 (1 by default); expressions are refused. Inside
//     a layer, and as a chained underlay, it is refused.
//   - ar-W-H: the side that w or h leaves out, from that aspect ratio.
//   - Layers, at most one of each kind, not nested: l-image,...,l-end
//     draws an image of this site over the output (Matte's watermark):
//     i-<path> with its / written as @@ (or ie-<Base64 path>), sized by w
//     and h (one side, or both with c-at_max, c-at_max_enlarge or c-force:
//     Matte cannot crop it as c-maintain_ratio would), centred or flush
//     with the edge or corner lfo names, or at lx, ly pixels (N: from the
//     right or bottom edge), opaque; t-false is accepted (Matte does not
//     trim it, as ImageKit does by default). l-image,i-ik_canvas,...,l-end
//     in its place draws a block of one colour (Matte's Block): bg (a
//     colour as above), w and h in pixels, placed as an image is.
//     l-text,...,l-end draws text
//     (Matte's text): i-<text> or ie-<Base64 text>, fs (pixels, 45 by
//     default), co (a colour as bg; black by default), ff (an installed
//     font family; sans by default), tg (b, i, b_i), w (the width it wraps
//     at), pa (even padding), placed as an image layer is (lx, ly not
//     negative; pa is added to them).
//
// Any other transform (lm- layer modes, l-video, al-, r- in a layer, o-,
// ...), or a transform given twice, is a 400 naming it as ImageKit
// spells it (the field is the key: "c", "e-grayscale", "l" for a layer
// Matte cannot draw).
package imagekit

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

const (
	maxDimension = 100000
	maxTr        = 2048
	// maxUnsharpSigma bounds e-usm's sigma as imgix's usmrad is bounded.
	maxUnsharpSigma = 500
	// maxBorder bounds b's width in pixels.
	maxBorder = 1000
)

// Dialect is ImageKit's URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "imagekit".
func (Dialect) Name() string { return "imagekit" }

// Parse claims u when it has a tr parameter or a /tr:... first segment.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if !strings.HasPrefix(u.Path, "/tr:") && !urlform.Claims(u.RawQuery, "tr") {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var tr, path string
	switch {
	// path stays escaped: urlform.Source decodes it, once.
	case q.Has("tr"):
		if len(q["tr"]) > 1 {
			errs.Add("tr", "tr is given more than once; give every transform in one tr, separated by commas.")
		}
		tr, path = q.Get("tr"), u.EscapedPath()
	case strings.HasPrefix(u.Path, "/tr:"):
		first, rest, _ := strings.Cut(u.EscapedPath()[1:], "/")
		if dec, err := url.PathUnescape(first); err == nil && strings.HasPrefix(dec, "tr:") {
			first = dec
		}
		tr, path = strings.TrimPrefix(first, "tr:"), "/"+rest
	default:
		return dialect.ImageURL{}, false, nil
	}
	out := dialect.ImageURL{Query: urlform.Without(u.RawQuery, func(name string) bool { return name == "tr" })}
	src, query, err := urlform.Source(path)
	switch {
	case err != nil || path == "/":
		errs.Add("tr", "the image path after the transformation is not valid; give /tr:w-400/path/to/image.jpg or /path/to/image.jpg?tr=w-400.")
	case query != "":
		errs.Add("tr", "the image path is not valid.")
	default:
		out.Source = src
	}
	var t transforms
	t.read(tr, &errs)
	p, err := t.params()
	if err != nil {
		var pe *params.Error
		if errors.As(err, &pe) {
			errs.Add(pe.Field, pe.Detail)
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Params = p
	// orig-true passes the source through untouched: nothing is decoded,
	// so di's image has no place (a missing source answers as its origin
	// does).
	out.AsIs = t.orig
	if t.fallback != "" && !t.orig {
		out.Fallback, out.FallbackField = t.fallback, "di"
	}
	if p.Watermark.Image != "" {
		out.MarkField = "i" // the l-image layer's input
	}
	if !p.Rect.IsZero() {
		out.RectField = t.positionGiven() // x, y, xc or yc placed cm-extract's region
	}
	if p.PadSides() != (params.Sides{}) {
		out.PadField = "b" // the border, which pads the image
	}
	return out, true, nil
}

// transforms is what the tr string says, before it is combined.
type transforms struct {
	p       params.Params
	c, cm   string
	focus   params.Crop
	focusAt string // fo's value as written ("": none)
	bgSet   bool
	removal bool
	// ar is ar-W-H's width ÷ height (0: none).
	ar float64
	// orig is orig-true: the source as it is.
	orig bool
	// x, y (the region's top-left corner) or xc, yc (its centre) place
	// cm-extract's region, in source pixels; set says which were given.
	x, y, xc, yc             int
	xSet, ySet, xcSet, ycSet bool
	// border is b's width in pixels (0: none), borderColor its colour.
	border      int
	borderColor params.Color
	// fillBlur is bg-blurred: cm-pad_resize fills with the image blurred,
	// at fillBlurStrength (Matte's FillBlurStrength; 0: automatic).
	fillBlur         bool
	fillBlurStrength int
	// image and text are the l-image and l-text layers (nil: none).
	image, text *layer
	// fallback is di's default image, a path on this site ("": none).
	fallback string
}

// read parses tr's comma-separated key-value pairs into t, reporting each
// bad one on its key.
func (t *transforms) read(tr string, errs *urlform.Errors) {
	if tr == "" {
		errs.Add("tr", "tr is empty; give transforms such as w-400,h-300.")
		return
	}
	if len(tr) > maxTr {
		errs.Add("tr", "tr is longer than 2048 bytes.")
		return
	}
	items, ok := chain(tr, errs)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for i := 0; i < len(items); i++ {
		item := items[i]
		if kind, ok := strings.CutPrefix(item, "l-"); ok {
			// A layer: its transforms up to the l-end that closes it.
			if kind == "end" {
				errs.Add("l", "l-end closes no layer; a layer starts with l-image or l-text.")
				continue
			}
			end := layerEnd(items, i)
			if end < 0 {
				errs.Add("l", fmt.Sprintf("the layer %s has no l-end; close each layer with l-end.", params.QuoteShort(item)))
				return
			}
			t.readLayer(kind, items[i+1:end], errs)
			i = end
			continue
		}
		key, val := splitItem(item)
		if key == "" {
			errs.Add("tr", fmt.Sprintf("tr holds an empty or malformed transform %s; give key-value pairs such as w-400.", params.QuoteShort(item)))
			continue
		}
		if seen[key] {
			errs.Add(key, fmt.Sprintf("%s is given more than once in tr; give it once.", key))
			continue
		}
		seen[key] = true
		h, ok := handlers[key]
		if !ok {
			errs.Add(key, fmt.Sprintf("%s is not a transform Matte supports.", params.QuoteShort(item)))
			continue
		}
		apply(h.allowed, key, item, func() error { return h.set(t, val) }, errs)
	}
}

// encodingKeys are the transforms that only choose how the answer is
// written (format, quality, lossless, progressive, metadata, colour
// profile), whether it is the source as it is, or what answers a missing
// source, and e-grayscale, which commutes with resampling (a weighted sum
// of the channels, as resampling is): each gives the same picture in
// whichever step of a chain it stands, but for e-grayscale after a step
// that draws a colour Matte draws after greying (drawnAfterGrey), which
// chain refuses.
var encodingKeys = map[string]bool{"q": true, "f": true, "lo": true, "pr": true, "md": true, "cp": true, "orig": true, "di": true, "e-grayscale": true}

// chain reads tr's chained steps (separated by ":") into one list of
// transforms, where the chain can be answered exactly as one Matte
// request: at most one step does more than encodingKeys (resizes, crops,
// draws, changes pixels), and every other step holds only encodingKeys,
// which give the same answer before or after it. That is the shape
// ImageKit's own responsive helper writes (@imagekit/javascript 5.5.1
// getResponsiveImageAttributes appends {width, crop: 'at_max'} as a step
// of its own: tr=q-80:w-828,c-at_max, f-auto:w-640,c-at_max). A chain
// with two such steps (two resizes, a crop after a resize) is refused on
// tr, naming the second step, as is e-grayscale in a step after one that
// drawnAfterGrey finds drawing a colour; a transform in two steps must be
// the same in both. ok is false when nothing more should be read.
func chain(tr string, errs *urlform.Errors) (items []string, ok bool) {
	steps := strings.Split(tr, ":")
	if len(steps) == 1 {
		return strings.Split(tr, ","), true
	}
	given := map[string]string{} // key -> the item that gave it, in an earlier step
	changing := ""               // the step that does more than encodingKeys
	drawn := ""                  // the first item of changing that drawnAfterGrey finds
	for _, step := range steps {
		if step == "" {
			errs.Add("tr", "tr holds an empty chained step (two : together, or one at an end); give transforms between the colons.")
			return nil, false
		}
		stepItems := strings.Split(step, ",")
		free := true
		for _, item := range stepItems {
			key, _ := splitItem(item)
			if strings.HasPrefix(item, "l-") || !encodingKeys[key] {
				free = false
			}
		}
		if !free {
			if changing != "" {
				errs.Add("tr", fmt.Sprintf("the chained step %s resizes, crops or changes the image after the step %s did; Matte answers a chain only where one step does that and the others set only q, f, lo, pr, md, cp, orig, di or e-grayscale. Give those transforms as one step.",
					params.QuoteShort(step), params.QuoteShort(changing)))
				return nil, false
			}
			changing, drawn = step, drawnAfterGrey(stepItems)
		} else if drawn != "" && slices.Contains(stepItems, "e-grayscale") {
			errs.Add("tr", fmt.Sprintf("the chained step %s greys the image after the step %s drew %s; Matte greys the image before it draws borders, padding, layers, shadows and gradients, so it would not grey that. Give e-grayscale in a step before that one (the colour is then kept, as ImageKit keeps it), or draw in grey.",
				params.QuoteShort(step), params.QuoteShort(changing), params.QuoteShort(drawn)))
			return nil, false
		}
		seen := map[string]string{}
		for _, item := range stepItems {
			key, _ := splitItem(item)
			if prev, ok := given[key]; ok && key != "" && !strings.HasPrefix(item, "l-") {
				if prev != item {
					errs.Add(key, fmt.Sprintf("%s is given in two chained steps as %s and %s; give it once.", key, params.QuoteShort(prev), params.QuoteShort(item)))
				}
				continue // the same transform again: the same answer
			}
			seen[key] = item
			items = append(items, item)
		}
		for k, v := range seen {
			given[k] = v
		}
	}
	return items, true
}

// drawnAfterGrey is the first of items (a chain's step) that draws a
// colour Matte adds after its saturation step, where e-grayscale lands
// (transform/pipeline.go: adjust, then canvas and pad for bg-'s padding,
// drop-shadow for e-shadow, gradient, watermark, block and text for the
// layers, border for b-), "" if none does: a later step's e-grayscale,
// which ImageKit runs after this step, would grey that colour and Matte
// would not. A grey colour (red, green and blue equal) stays as it is
// greyed, and bg-blurred's fill is drawn from the image already greyed;
// a colour that does not parse is left for its transform to refuse.
func drawnAfterGrey(items []string) string {
	coloured := func(v string) bool {
		c, err := parseColor(v)
		return err == nil && (c.R != c.G || c.G != c.B)
	}
	for _, item := range items {
		key, val := splitItem(item)
		switch {
		case strings.HasPrefix(item, "l-"), key == "e-shadow", key == "e-gradient":
			return item
		case key == "b":
			if _, c, ok := strings.Cut(val, "_"); ok && coloured(c) {
				return item
			}
		case key == "bg" && !strings.HasPrefix(val, "blurred") && coloured(val):
			return item
		}
	}
	return ""
}

// apply runs a transform's setter on its value, reporting a failure on
// key with what the transform allows.
func apply(allowed, key, item string, set func() error, errs *urlform.Errors) {
	if err := set(); err != nil {
		detail := fmt.Sprintf("%s is not valid", params.QuoteShort(item))
		if !errors.Is(err, params.ErrSyntax) {
			detail += " (" + err.Error() + ")"
		}
		errs.Add(key, detail+fmt.Sprintf("; %s must be %s.", key, allowed))
	}
}

// splitItem splits "w-400" into "w", "400" and "e-sharpen-10" into
// "e-sharpen", "10"; a bare "e-bgremove" has no value.
func splitItem(item string) (key, val string) {
	if rest, ok := strings.CutPrefix(item, "e-"); ok {
		name, v, _ := strings.Cut(rest, "-")
		if name == "" {
			return "", ""
		}
		return "e-" + name, v
	}
	key, val, ok := strings.Cut(item, "-")
	if !ok || key == "" || val == "" {
		return "", ""
	}
	return key, val
}

type handler struct {
	allowed string
	set     func(t *transforms, v string) error
}

var focuses = map[string]params.Crop{
	"center": params.CropCenter, "top": params.CropTop, "bottom": params.CropBottom, "left": params.CropLeft,
	"right": params.CropRight, "top_left": params.CropTopLeft, "top_right": params.CropTopRight,
	"bottom_left": params.CropBottomLeft, "bottom_right": params.CropBottomRight,
	"auto": params.CropAttention, "face": params.CropAttention,
}

var handlers = map[string]handler{
	"ar": {"two positive numbers, width-height, such as 4-3", func(t *transforms, v string) error {
		ar, err := params.ParseRatio(v, "-", maxDimension)
		t.ar = ar
		return err
	}},
	"w": {"an integer from 1 to 100000, a fraction of the image's width between 0 and 1 such as 0.5, or auto (the Sec-CH-Width client hint)", func(t *transforms, v string) error {
		if v == "auto" {
			t.p.ClientHints |= params.HintWidth
			return nil
		}
		return dimension(v, &t.p.Width, &t.p.WidthRatio)
	}},
	"h": {"an integer from 1 to 100000, or a fraction of the image's height between 0 and 1 such as 0.5", func(t *transforms, v string) error {
		return dimension(v, &t.p.Height, &t.p.HeightRatio)
	}},
	"c": {"one of maintain_ratio, force, at_max, at_max_enlarge, at_least, pad_resize", func(t *transforms, v string) error {
		switch v {
		case "maintain_ratio", "force", "at_max", "at_max_enlarge", "at_least", "pad_resize":
			t.c = v
			return nil
		}
		return params.ErrSyntax
	}},
	"cm": {"one of pad_resize, extract, pad_extract", func(t *transforms, v string) error {
		switch v {
		case "pad_resize", "extract", "pad_extract":
			t.cm = v
			return nil
		}
		return params.ErrSyntax
	}},
	"x":  {"an integer from 0 to 100000 (pixels)", coordinate(func(t *transforms) (*int, *bool) { return &t.x, &t.xSet })},
	"y":  {"an integer from 0 to 100000 (pixels)", coordinate(func(t *transforms) (*int, *bool) { return &t.y, &t.ySet })},
	"xc": {"an integer from 0 to 100000 (pixels)", coordinate(func(t *transforms) (*int, *bool) { return &t.xc, &t.xcSet })},
	"yc": {"an integer from 0 to 100000 (pixels)", coordinate(func(t *transforms) (*int, *bool) { return &t.yc, &t.ycSet })},
	"fo": {"one of auto, face, center, top, bottom, left, right, top_left, top_right, bottom_left, bottom_right", func(t *transforms, v string) error {
		c, ok := focuses[v]
		if !ok {
			return params.ErrSyntax
		}
		t.focus, t.focusAt = c, v
		return nil
	}},
	"q": {"an integer from 1 to 100", func(t *transforms, v string) (err error) {
		t.p.Quality, err = params.ParseInt(v, 1, 100)
		return err
	}},
	"f": {"one of auto, jpg, jpeg, png, webp, avif, gif, orig", func(t *transforms, v string) error {
		switch f, ok := params.ParseOutputFormat(v); {
		case v == "auto":
			t.p.AutoFormat = true
		case ok:
			t.p.Format = f
		case v != "orig":
			return params.ErrSyntax
		}
		return nil
	}},
	"bg": {"a colour (hex RRGGBB, RGB, or RRGGBB followed by an opacity 00 to 99; or a CSS colour name), or blurred, blurred_<blur 1 to 100 or auto>, blurred_<blur>_0", func(t *transforms, v string) error {
		if rest, ok := strings.CutPrefix(v, "blurred"); ok {
			return t.blurredFill(rest)
		}
		c, err := parseColor(v)
		if err != nil {
			return err
		}
		t.p.Background, t.bgSet = c, true
		return nil
	}},
	// b-<width>_<colour>: a border around the image (see params).
	"b": {"<width>_<colour>: an integer width from 1 to 1000 pixels, an underscore and a colour such as FF0000 or red", func(t *transforms, v string) error {
		ws, cs, ok := strings.Cut(v, "_")
		if !ok {
			return params.ErrSyntax
		}
		n, err := params.ParseInt(ws, 1, maxBorder)
		if err != nil {
			return err
		}
		c, err := parseColor(cs)
		if err != nil {
			return err
		}
		t.border, t.borderColor = n, c
		return nil
	}},
	"orig": {"true or false", func(t *transforms, v string) (err error) {
		t.orig, err = urlform.Bool(v)
		return err
	}},
	// Matte strips metadata and writes sRGB: md-false and cp-false are
	// what it does anyway.
	"md": {"false (Matte does not keep metadata)", onlyFalse},
	"cp": {"false (Matte converts to sRGB and does not keep colour profiles)", onlyFalse},
	// di-<path>: the default image, a path on this site with its / written
	// as @@, as ImageKit's SDKs write it (leading and trailing / dropped).
	"di": {"a path on this site, / written as @@, such as di-folder@@default.jpg", func(t *transforms, v string) error {
		path := "/" + strings.Trim(strings.ReplaceAll(v, "@@", "/"), "/")
		if path == "/" {
			return params.ErrSyntax
		}
		if err := params.CheckImageRef(path); err != nil {
			return err
		}
		t.fallback = path
		return nil
	}},
	"r": {"an integer radius from 0 to 10000, or max (a circle or oval)", func(t *transforms, v string) error {
		if v == "max" {
			t.p.Mask = params.ShapeEllipse
			return nil
		}
		n, err := params.ParseInt(v, 0, 10000)
		if err != nil {
			return err
		}
		t.p.Mask, t.p.CornerRadius = params.ShapeCorners, params.Corners{TopLeft: n, TopRight: n, BottomRight: n, BottomLeft: n, Set: true}
		return nil
	}},
	"bl": {"an integer from 1 to 100", func(t *transforms, v string) error {
		n, err := params.ParseInt(v, 1, 100)
		t.p.Blur = n * 10
		return err
	}},
	"rt": {"an integer angle in degrees (clockwise; N40 or -40 counter-clockwise), or auto", func(t *transforms, v string) error {
		if v == "auto" {
			return nil
		}
		if ccw, ok := strings.CutPrefix(v, "N"); ok {
			v = "-" + ccw
		}
		n, err := params.ParseSignedInt(v, -360000, 360000)
		if err != nil {
			return err
		}
		t.p.Rotate = float64(((n % 360) + 360) % 360)
		return nil
	}},
	"fl": {"one of h, v, h_v", func(t *transforms, v string) error {
		switch v {
		case "h":
			t.p.Flip = params.FlipH
		case "v":
			t.p.Flip = params.FlipV
		case "h_v", "v_h":
			t.p.Flip = params.FlipHV
		default:
			return params.ErrSyntax
		}
		return nil
	}},
	"dpr": {"a number from 1 to 5, or auto (the Sec-CH-DPR client hint)", func(t *transforms, v string) error {
		if v == "auto" {
			t.p.ClientHints |= params.HintDPR
			return nil
		}
		f, err := params.ParseDecimalIn(v, 1, 5)
		if f == 1 {
			f = 0
		}
		t.p.DPR = f
		return err
	}},
	"lo": {"true or false", func(t *transforms, v string) error {
		b, err := urlform.Bool(v)
		t.p.Lossless = b
		return err
	}},
	"pr": {"true or false", func(t *transforms, v string) error {
		b, err := urlform.Bool(v)
		if b {
			t.p.Variant = params.VariantProgressive // a JPEG answer is progressive
		}
		return err
	}},
	"t": {"true or an integer from 1 to 99", func(t *transforms, v string) error {
		if v != "true" {
			n, err := params.ParseInt(v, 1, 99)
			if err != nil {
				return err
			}
			t.p.SetTrimTolerance(float64(n))
		}
		t.p.Trim = true
		return nil
	}},
	"e-bgremove":    {"e-bgremove, without a value", flagEffect(func(t *transforms) { t.removal = true })},
	"e-removedotbg": {"e-removedotbg, without a value", flagEffect(func(t *transforms) { t.removal = true })},
	"e-grayscale":   {"e-grayscale, without a value", flagEffect(func(t *transforms) { t.p.Saturation = -100 })},
	// e-contrast: ImageKit's contrast stretch, as sharp's normalise.
	"e-contrast": {"e-contrast, without a value", flagEffect(func(t *transforms) { t.p.Normalize = true })},
	// e-usm-radius-sigma-amount-threshold: the blur's sigma and the amount
	// (Matte's usm = amount × 50, at most 100); libvips sizes the blur from
	// sigma, so radius is read, not used, and so is threshold. e-usm alone
	// is amount 1 at Matte's default sigma.
	"e-usm": {"e-usm, or e-usm-radius-sigma-amount-threshold, four positive numbers with the amount at most 2", func(t *transforms, v string) error {
		if v == "" {
			t.p.UnsharpMask = 50
			return nil
		}
		parts := strings.Split(v, "-")
		if len(parts) != 4 {
			return params.ErrSyntax
		}
		var f [4]float64
		for i, s := range parts {
			n, err := params.ParseDecimalIn(s, 0, 1000)
			if err != nil {
				return err
			}
			f[i] = n
		}
		if f[1] == 0 || f[1] > maxUnsharpSigma || f[2] > 2 {
			return params.ErrSyntax
		}
		t.p.UnsharpMask, t.p.UnsharpRadius = int(math.Round(f[2]*50)), f[1]
		if t.p.UnsharpMask == 0 {
			t.p.UnsharpRadius = 0
		}
		return nil
	}},
	// e-shadow[-bl-B_st-S_x-X_y-Y]: a shadow under the opaque pixels of an
	// image with alpha (Matte's DropShadow): blur B 0 to 15 (10; Matte's
	// sigma in pixels), st S 0 to 100 (30; read as the shadow's opacity,
	// S/100), offsets X and Y 0 to 100 (2) percent of the width and height,
	// N for left or up.
	"e-shadow": {"e-shadow, or e-shadow- and any of bl-<0 to 15>, st-<0 to 100>, x-<[N]0 to 100>, y-<[N]0 to 100> joined by _", func(t *transforms, v string) (err error) {
		t.p.DropShadow, err = parseShadow(v)
		return err
	}},
	// e-gradient[-ld-D_from-C_to-C_sp-S]: a linear gradient over the
	// output (Matte's Gradient), from the colour from at the start of the
	// direction ld to the colour to at sp along it and beyond.
	"e-gradient": {"e-gradient, or e-gradient- and any of ld-<0 to 359, or top, top_right, right, bottom_right, bottom, bottom_left, left, top_left>, from-<colour>, to-<colour>, sp-<0.01 to 1, or pixels from 1> joined by _", func(t *transforms, v string) (err error) {
		t.p.Gradient, err = parseGradient(v)
		return err
	}},
	"e-sharpen": {"e-sharpen, or e-sharpen-N with N from 1 to 100", func(t *transforms, v string) error {
		if v == "" {
			t.p.Sharpen = 50
			return nil
		}
		n, err := params.ParseInt(v, 1, 100)
		t.p.Sharpen = n
		return err
	}},
}

// parseShadow reads what follows e-shadow- ("" for ImageKit's defaults:
// blur 10, saturation 30, offsets 2): bl-B, st-S, x-X and y-Y joined by _,
// each at most once, X and Y N-prefixed for left or up. st-0 is none.
func parseShadow(v string) (params.DropShadow, error) {
	d := params.DropShadow{X: 2, Y: 2}
	blur, saturation := 10, 30
	if v != "" {
		fields := map[string]struct {
			at     *int
			max    int
			signed bool
		}{"bl": {&blur, 15, false}, "st": {&saturation, 100, false}, "x": {&d.X, 100, true}, "y": {&d.Y, 100, true}}
		seen := map[string]bool{}
		for part := range strings.SplitSeq(v, "_") {
			name, val, _ := strings.Cut(part, "-")
			f, ok := fields[name]
			if !ok || seen[name] {
				return params.DropShadow{}, params.ErrSyntax
			}
			seen[name] = true
			neg := false
			if f.signed {
				val, neg = strings.CutPrefix(val, "N")
			}
			n, err := params.ParseInt(val, 0, f.max)
			if err != nil {
				return params.DropShadow{}, err
			}
			if neg {
				n = -n
			}
			*f.at = n
		}
	}
	if saturation == 0 {
		return params.DropShadow{}, nil // casts nothing
	}
	d.Blur, d.Opacity = float64(blur), float64(saturation)/100
	return d, nil
}

// gradientDirections are e-gradient's named directions: fixed angles, as
// ImageKit documents them (top_right is 45, whatever the image's shape).
var gradientDirections = map[string]float64{
	"top": 0, "top_right": 45, "right": 90, "bottom_right": 135,
	"bottom": 180, "bottom_left": 225, "left": 270, "top_left": 315,
}

// parseGradient reads what follows e-gradient- ("" for ImageKit's
// defaults: ld 180, from FFFFFF, to 00000000, sp 1): ld-, from-, to- and
// sp- joined by _, each at most once (a named direction's own _, as in
// top_right, stays with it). sp up to 1 is a fraction of the gradient
// line, above 1 whole pixels along it.
func parseGradient(v string) (params.Gradient, error) {
	g := params.Gradient{
		From: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}, To: params.Color{Set: true},
		Angle: 180, Stop: 1,
	}
	if v == "" {
		return g, nil
	}
	var parts []string
	for part := range strings.SplitSeq(v, "_") {
		name, _, _ := strings.Cut(part, "-")
		switch name {
		case "ld", "from", "to", "sp":
			parts = append(parts, part)
		default: // the second word of a direction such as top_right
			if len(parts) == 0 {
				return params.Gradient{}, params.ErrSyntax
			}
			parts[len(parts)-1] += "_" + part
		}
	}
	seen := map[string]bool{}
	for _, part := range parts {
		name, val, _ := strings.Cut(part, "-")
		if seen[name] || val == "" {
			return params.Gradient{}, params.ErrSyntax
		}
		seen[name] = true
		var err error
		switch name {
		case "ld":
			if a, ok := gradientDirections[val]; ok {
				g.Angle = a
			} else {
				var n int
				n, err = params.ParseInt(val, 0, 359)
				g.Angle = float64(n)
			}
		case "from":
			g.From, err = parseColor(val)
		case "to":
			g.To, err = parseColor(val)
		case "sp":
			if strings.Contains(val, ".") {
				g.Stop, err = params.ParseDecimalIn(val, 0.01, 1)
			} else {
				var n int
				if n, err = params.ParseInt(val, 1, maxDimension); n > 1 {
					g.Stop, g.StopPixels = 0, n
				}
			}
		}
		if err != nil {
			return params.Gradient{}, err
		}
	}
	return g, nil
}

// coordinate is x, y, xc or yc: a pixel position, stored at the field at
// returns.
func coordinate(at func(t *transforms) (*int, *bool)) func(t *transforms, v string) error {
	return func(t *transforms, v string) (err error) {
		n, set := at(t)
		*n, err = params.ParseInt(v, 0, maxDimension)
		*set = true
		return err
	}
}

// onlyFalse accepts false and refuses true.
func onlyFalse(_ *transforms, v string) error {
	switch v {
	case "false":
		return nil
	case "true":
		return errors.New("Matte does not keep it")
	}
	return params.ErrSyntax
}

// blurredFill reads what follows bg-blurred: "", "_<blur>" or
// "_<blur>_<brightness>", blur 1 to 100 (Matte's strength 10 to 1000, as
// bl) or auto, brightness only 0 (N for a negative value; Matte's blurred
// fill has no brightness).
func (t *transforms) blurredFill(rest string) error {
	t.fillBlur = true
	if rest == "" {
		return nil
	}
	rest, ok := strings.CutPrefix(rest, "_")
	if !ok {
		return params.ErrSyntax
	}
	blur, bright, hasBright := strings.Cut(rest, "_")
	if blur != "auto" {
		n, err := params.ParseInt(blur, 1, 100)
		if err != nil {
			return err
		}
		t.fillBlurStrength = n * 10
	}
	if hasBright && strings.TrimPrefix(bright, "N") != "0" {
		return errors.New("Matte's blurred fill has no brightness; leave it out or give 0")
	}
	return nil
}

// parseColor reads an ImageKit colour: hex RRGGBB or RGB, RRGGBB followed
// by two decimal digits of opacity (00 to 99: that many hundredths), or a
// CSS colour name; no "#".
func parseColor(v string) (params.Color, error) {
	if strings.HasPrefix(v, "#") {
		return params.Color{}, params.ErrSyntax
	}
	if len(v) == 8 && strings.Trim(v[:6], "0123456789abcdefABCDEF") == "" {
		c, err := params.ParseColor(v[:6])
		o, oerr := params.ParseInt(v[6:], 0, 99)
		if err != nil || oerr != nil {
			return params.Color{}, params.ErrSyntax
		}
		if c.A = uint8(math.Round(float64(o) * 255 / 100)); c.A == 0 {
			c = params.Color{Set: true} // transparent, as ParseColor keeps it
		}
		return c, nil
	}
	c, err := params.ParseColor(v)
	if err != nil || len(v) == 4 && strings.Trim(v, "0123456789abcdefABCDEF") == "" {
		return params.Color{}, params.ErrSyntax // ImageKit has no RGBA shorthand
	}
	return c, nil
}

// flagEffect is an e- transform without a value.
func flagEffect(set func(t *transforms)) func(t *transforms, v string) error {
	return func(t *transforms, v string) error {
		if v != "" {
			return params.ErrSyntax
		}
		set(t)
		return nil
	}
}

// dimension reads w or h into px (whole pixels) or ratio (a fraction of
// the image's side).
func dimension(v string, px *int, ratio *float64) (err error) {
	if v == "auto" || strings.Contains(v, "_") {
		return errors.New("Matte takes pixels or fractions, not auto or expressions")
	}
	*px, *ratio, err = params.ParseSide(v, maxDimension)
	return err
}

// params combines the transforms; the error is a *params.Error on the key
// at fault.
func (t *transforms) params() (params.Params, error) {
	if t.orig {
		return params.Params{}, nil // the source as it is; the rest is ignored, as ImageKit does
	}
	p := t.p
	// w-auto is a width the Sec-CH-Width hint gives later.
	autoW := p.ClientHints&params.HintWidth != 0
	hasW, hasH := p.Width != 0 || p.WidthRatio != 0 || autoW, p.Height != 0 || p.HeightRatio != 0
	if t.ar > 0 && autoW {
		return params.Params{}, params.BadParam("ar", "ar cannot be combined with w-auto; give w in pixels, or h.")
	}
	if t.ar > 0 {
		// ar-W-H gives the side w or h leaves out; with both it is not used.
		switch {
		case !hasW && !hasH:
			return params.Params{}, params.BadParam("ar", "ar sets one side from the other; it needs w or h.")
		case hasW && hasH:
		case p.Width != 0:
			p.Height, hasH = max(1, int(math.Round(float64(p.Width)/t.ar))), true
		case p.Height != 0:
			p.Width, hasW = max(1, int(math.Round(float64(p.Height)*t.ar))), true
		default: // a side given as a fraction of the image's: the other from the ratio
			p.AspectRatio, hasW, hasH = t.ar, true, true
		}
	}
	both := hasW && hasH
	c := t.c
	extracting := t.cm == "extract" || t.cm == "pad_extract"
	if extracting {
		if err := t.extract(&p, both); err != nil {
			return params.Params{}, err
		}
	} else if key := t.positionGiven(); key != "" {
		return params.Params{}, params.BadParam(key, key+" places the region cm-extract or cm-pad_extract cuts; give one of them with w and h.")
	}
	if t.cm == "pad_resize" {
		if c != "" && c != "maintain_ratio" {
			return params.Params{}, params.BadParam("cm", "cm-pad_resize cannot be combined with c-"+c+".")
		}
		c = "pad_resize"
	}
	switch c {
	case "", "maintain_ratio":
		if both && !extracting {
			p.Fit, p.Crop = params.FitCrop, t.focus
			// fo-face centres the cut on the faces found, by attention
			// where there are none.
			p.Faces.Crop = t.focusAt == "face"
		}
	case "force":
		p.Fit = params.FitScale
	case "at_max":
		p.Fit = params.FitMax
	case "at_max_enlarge":
	case "at_least":
		if both {
			// Min-size cropping: at least the box on both sides, the
			// aspect ratio kept, nothing cut.
			p.Fit = params.FitOutside
		}
	case "pad_resize":
		p.Fit = params.FitFill
		p.FillBlur, p.FillBlurStrength = t.fillBlur, t.fillBlurStrength
		if !t.bgSet && !t.fillBlur {
			p.Background = white
		}
	}
	if t.fillBlur && c != "pad_resize" {
		return params.Params{}, params.BadParam("bg", "bg-blurred fills the padding of cm-pad_resize; give it with cm-pad_resize, w and h.")
	}
	if t.border > 0 {
		// ImageKit's border adds to the image: Matte pads by its width and
		// draws the frame over the padding.
		p.Pad = t.border
		p.Border = params.Border{Color: t.borderColor, Sides: params.Sides{Top: t.border, Right: t.border, Bottom: t.border, Left: t.border}}
	}
	switch {
	case t.image != nil && t.image.input == canvas:
		p.Block = t.image.block()
	case t.image != nil:
		p.Watermark = t.image.watermark()
	}
	if t.text != nil {
		p.Text = t.text.textParams()
	}
	p.Removal.Enabled = t.removal
	return p, nil
}

var white = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}

// positionGiven is the first of x, y, xc and yc given ("": none).
func (t *transforms) positionGiven() string {
	for _, k := range []struct {
		key string
		set bool
	}{{"x", t.xSet}, {"y", t.ySet}, {"xc", t.xcSet}, {"yc", t.ycSet}} {
		if k.set {
			return k.key
		}
	}
	return ""
}

// extract sets p for cm-extract and cm-pad_extract: the w x h region (in
// source pixels, or fractions of the source's sides) at x, y (its top-left
// corner), centred at xc, yc, or placed by fo (an edge or corner; centred
// by default), cut without resizing. cm-extract answers the part of the
// region inside the source; cm-pad_extract pads it to w x h with bg (white
// by default), centred.
func (t *transforms) extract(p *params.Params, both bool) error {
	switch {
	case t.c != "":
		return params.BadParam("cm", "cm-"+t.cm+" cannot be combined with c-"+t.c+".")
	case !both || p.ClientHints&params.HintWidth != 0:
		return params.BadParam("cm", "cm-"+t.cm+" cuts a w x h region out of the image; give both w and h (not auto).")
	case p.DPR != 0 || p.ClientHints&params.HintDPR != 0:
		return params.BadParam("dpr", "dpr cannot be combined with cm-"+t.cm+", whose region is in the image's own pixels.")
	case p.AspectRatio != 0:
		return params.BadParam("ar", "ar with a fraction of the image's side cannot be combined with cm-"+t.cm+"; give w and h.")
	case t.focusAt == "auto" || t.focusAt == "face":
		return params.BadParam("fo", "cm-"+t.cm+" takes fo as an edge or a corner (center, top, top_left, ...), not "+t.focusAt+".")
	}
	pos := t.positionGiven()
	if pos != "" && t.focusAt != "" {
		return params.BadParam("fo", "fo places the region by an edge or a corner, "+pos+" by pixels; give one of them.")
	}
	if pos != "" && (p.WidthRatio != 0 || p.HeightRatio != 0) {
		return params.BadParam(pos, pos+" places a region given in pixels; give w and h as integers.")
	}
	switch {
	case (t.xSet || t.ySet) && (t.xcSet || t.ycSet):
		return params.BadParam(pos, "give the region's corner (x, y) or its centre (xc, yc), not both.")
	case t.xcSet != t.ycSet:
		missing := map[bool]string{true: "yc", false: "xc"}[t.xcSet]
		return params.BadParam(missing, "xc and yc give the region's centre together; give both.")
	case t.xcSet:
		x, y := t.xc-p.Width/2, t.yc-p.Height/2
		if x < 0 || y < 0 {
			key := map[bool]string{true: "xc", false: "yc"}[x < 0]
			return params.BadParam(key, fmt.Sprintf("the %dx%d region centred at %d,%d reaches past the image's top or left edge.", p.Width, p.Height, t.xc, t.yc))
		}
		p.Rect = params.Rect{X: x, Y: y, W: p.Width, H: p.Height}
	case t.xSet || t.ySet:
		p.Rect = params.Rect{X: t.x, Y: t.y, W: p.Width, H: p.Height}
	default:
		p.Region = params.Region{W: p.Width, H: p.Height, WRatio: p.WidthRatio, HRatio: p.HeightRatio, Anchor: t.focus}
	}
	if t.cm == "pad_extract" && p.WidthRatio == 0 && p.HeightRatio == 0 {
		// A fraction of the source always fits in it: nothing to pad.
		p.Fit = params.FitFillMax
		if !t.bgSet {
			p.Background = white
		}
	} else {
		p.Width, p.Height = 0, 0
	}
	p.WidthRatio, p.HeightRatio = 0, 0
	return nil
}
