// Package imagekit reads ImageKit transformation URLs: the query form
// /path/a.jpg?tr=w-400,h-300 and the path form /tr:w-400,h-300/path/a.jpg,
// so that URLs written for ImageKit (by hand, by unpic's imagekit provider
// or by ImageKit's SDKs) work when Matte answers them.
//
// A URL is ImageKit's when it has a tr query parameter, or when its first
// path segment starts with "tr:". The source is the rest of the path on
// this site (the query, minus tr, goes with it). Transforms are "key-value"
// pairs separated by commas; chained transforms (":" inside tr) are
// refused. The transforms Matte reads, as ImageKit documents them
// (imagekit.io/docs, Image resize and crop, Image enhancement):
//
//   - w, h: output size in pixels, integers 1 to 100000 (ImageKit's
//     fractions of the original, such as w-0.5, and w-auto are refused).
//   - c (crop strategy): maintain_ratio (default: with w and h, cover the
//     box and crop by fo), force (stretch to the box), at_max (fit inside,
//     never enlarge), at_max_enlarge (fit inside), at_least (cover without
//     cropping: only with one side given, where it fits to that side).
//     pad_resize is taken as c- too, though ImageKit spells it cm-.
//   - cm (crop mode): pad_resize (fit inside and pad with bg, white by
//     default). extract and pad_extract are refused.
//   - fo (focus): center, top, bottom, left, right, top_left, top_right,
//     bottom_left, bottom_right, auto (libvips' attention crop), face (read
//     as auto: Matte has no face detector).
//   - q: 1 to 100. f: auto (AVIF or WebP by the Accept header), jpg, jpeg,
//     png, webp, avif, gif, orig (the source's format).
//   - bg: a colour, hex RRGGBB (or RGB, RRGGBBAA) or a CSS name.
//   - bl: blur radius 1 to 100 (Matte's blur is radius times 10).
//   - r: rounded corners of that radius (Matte's mask=corners), or max for
//     the inscribed circle or oval (mask=ellipse); outside them the image
//     is transparent, or white for a format without alpha.
//   - rt: rotation in degrees (any integer, clockwise) or auto (EXIF, which
//     Matte always applies). fl: h, v, h_v (or v_h) to flip.
//   - dpr: 1 to 5. lo: true/false (lossless). t: true, or a tolerance 1 to
//     99 (trim; the colour distance, 10 by default). pr-true: a JPEG answer is
//     progressive (other formats ignore it).
//   - e-bgremove and e-removedotbg: background removal (Matte's own
//     model). e-sharpen, optionally e-sharpen-N (N 1 to 100): sharpening.
//     e-usm-radius-sigma-amount-threshold: an unsharp mask (sigma and
//     amount used). e-contrast: a contrast stretch (sharp's normalise).
//   - ar-W-H: the side that w or h leaves out, from that aspect ratio.
//
// Any other transform, or a transform given twice, is a 400 naming it as
// ImageKit spells it (the field is the key: "c", "e-grayscale").
package imagekit

import (
	"errors"
	"fmt"
	"math"
	"net/url"
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
)

// Dialect is ImageKit's URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "imagekit".
func (Dialect) Name() string { return "imagekit" }

// Parse claims u when it has a tr parameter or a /tr:... first segment.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	q, _ := url.ParseQuery(u.RawQuery)
	var tr, path string
	var errs urlform.Errors
	switch {
	case q.Has("tr"):
		if len(q["tr"]) > 1 {
			errs.Add("tr", "tr is given more than once; give every transform in one tr, separated by commas.")
		}
		tr, path = q.Get("tr"), u.Path
	case strings.HasPrefix(u.Path, "/tr:"):
		first, rest, _ := strings.Cut(u.Path[1:], "/")
		tr, path = first[len("tr:"):], "/"+rest
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
	return out, true, nil
}

// transforms is what the tr string says, before it is combined.
type transforms struct {
	p       params.Params
	c, cm   string
	focus   params.Crop
	bgSet   bool
	removal bool
	// ar is ar-W-H's width ÷ height (0: none).
	ar float64
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
	if strings.Contains(tr, ":") {
		errs.Add("tr", "chained transformations (separated by :) are not supported; give one set of transforms.")
		return
	}
	seen := map[string]bool{}
	for item := range strings.SplitSeq(tr, ",") {
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
		if err := h.set(t, val); err != nil {
			detail := fmt.Sprintf("%s is not valid", params.QuoteShort(item))
			if !errors.Is(err, params.ErrSyntax) {
				detail += " (" + err.Error() + ")"
			}
			errs.Add(key, detail+fmt.Sprintf("; %s must be %s.", key, h.allowed))
		}
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
		ws, hs, ok := strings.Cut(v, "-")
		w, werr := params.ParseDecimalIn(ws, 0, maxDimension)
		h, herr := params.ParseDecimalIn(hs, 0, maxDimension)
		if !ok || werr != nil || herr != nil || w == 0 || h == 0 {
			return params.ErrSyntax
		}
		t.ar = w / h
		return nil
	}},
	"w": {"an integer from 1 to 100000, or a fraction of the image's width between 0 and 1 such as 0.5", func(t *transforms, v string) error {
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
	"cm": {"pad_resize", func(t *transforms, v string) error {
		switch v {
		case "pad_resize":
			t.cm = v
			return nil
		case "extract", "pad_extract":
			return errors.New(v + " is not supported")
		}
		return params.ErrSyntax
	}},
	"fo": {"one of auto, face, center, top, bottom, left, right, top_left, top_right, bottom_left, bottom_right", func(t *transforms, v string) error {
		c, ok := focuses[v]
		if !ok {
			return params.ErrSyntax
		}
		t.focus = c
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
	"bg": {"a colour: hex RRGGBB, RGB or RRGGBBAA, or a CSS colour name", func(t *transforms, v string) error {
		c, err := params.ParseColor(v)
		if err != nil || strings.HasPrefix(v, "#") {
			return params.ErrSyntax
		}
		t.p.Background, t.bgSet = c, true
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
	"rt": {"an integer angle in degrees, or auto", func(t *transforms, v string) error {
		if v == "auto" {
			return nil
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
	"dpr": {"a number from 1 to 5", func(t *transforms, v string) error {
		f, err := params.ParseDecimalIn(v, 1, 5)
		if f == 1 {
			f = 0
		}
		t.p.DPR = f
		return err
	}},
	"lo": {"true or false", func(t *transforms, v string) error {
		b, err := parseBool(v)
		t.p.Lossless = b
		return err
	}},
	"pr": {"true or false", func(t *transforms, v string) error {
		b, err := parseBool(v)
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

func parseBool(v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, params.ErrSyntax
}

// dimension reads w or h into px (whole pixels) or ratio (a fraction of
// the image's side).
func dimension(v string, px *int, ratio *float64) (err error) {
	switch {
	case v == "auto" || strings.Contains(v, "_"):
		return errors.New("Matte takes pixels or fractions, not auto or expressions")
	case strings.Contains(v, "."):
		*ratio, err = params.ParseFraction(v)
		return err
	}
	*px, err = params.ParseInt(v, 1, maxDimension)
	return err
}

// params combines the transforms; the error is a *params.Error on the key
// at fault.
func (t *transforms) params() (params.Params, error) {
	p := t.p
	hasW, hasH := p.Width != 0 || p.WidthRatio != 0, p.Height != 0 || p.HeightRatio != 0
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
	if t.cm == "pad_resize" {
		if c != "" && c != "maintain_ratio" {
			return params.Params{}, params.BadParam("cm", "cm-pad_resize cannot be combined with c-"+c+".")
		}
		c = "pad_resize"
	}
	switch c {
	case "", "maintain_ratio":
		if both {
			p.Fit, p.Crop = params.FitCrop, t.focus
		}
	case "force":
		p.Fit = params.FitScale
	case "at_max":
		p.Fit = params.FitMax
	case "at_max_enlarge":
	case "at_least":
		if both {
			return params.Params{}, params.BadParam("c", "c-at_least with both w and h is not supported (Matte cannot cover a box without cropping); use c-maintain_ratio, or give one side only.")
		}
	case "pad_resize":
		p.Fit = params.FitFill
		if !t.bgSet {
			p.Background = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
		}
	}
	p.Removal.Enabled = t.removal
	return p, nil
}
