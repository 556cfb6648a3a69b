// Package cloudflare reads Cloudflare Images' transformation URLs,
// /cdn-cgi/image/<options>/<source>, into Matte's canonical request.
// The source is an absolute path on the site or an absolute http(s) URL;
// the options are comma-separated name=value pairs
// (developers.cloudflare.com/images/transform-images/transform-via-url/).
package cloudflare

import (
	"math"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// Prefix starts every Cloudflare transformation URL.
const Prefix = "/cdn-cgi/image/"

// Dialect is the Cloudflare URL form. It has no state: safe for concurrent
// use.
type Dialect struct{}

// New returns the Cloudflare dialect.
func New() dialect.URLDialect { return Dialect{} }

// Name is "cloudflare".
func (Dialect) Name() string { return "cloudflare" }

// Parse reads /cdn-cgi/image/<options>/<source>. Every option Cloudflare
// documents is read or refused by name; see the README's Cloudflare
// section for the mapping and its deviations.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	iu, ok, err := pathurl.PrefixParse(u, Prefix, "options", ParseOptions)
	iu.RectField, iu.RectYField = RectField(iu.Params), RectYField(iu.Params)
	return iu, ok, err
}

// RectField is the option that placed p's Rect, for an error about it (a
// region that starts outside the source): trim.left, or trim.top where
// the region has no left offset (its left cannot be past the source);
// "" without a Rect.
func RectField(p params.Params) string {
	switch {
	case p.Rect == (params.Rect{}):
		return ""
	case p.Rect.X > 0:
		return "trim.left"
	}
	return "trim.top"
}

// RectYField is the option that placed p's Rect's top, for an error about
// a region whose top is past the source: trim.top; "" without a Rect.
func RectYField(p params.Params) string {
	if p.Rect == (params.Rect{}) {
		return ""
	}
	return "trim.top"
}

// ParseOptions reads the comma-separated options (w=400,fit=cover), as
// /cdn-cgi/image/ and Cloudflare Images' flexible variants write them.
// Every bad option is reported (a params.Errors, in URL order, each named
// as the URL spells it); an option given twice is an error, under either
// of its names. Commas inside parentheses belong to the value, as in
// background=rgb(240,40,145).
func ParseOptions(s string) (params.Params, error) {
	var p params.Params
	var errs params.Errors
	if s == "" {
		return p, params.Errors{params.BadParam("options", "The URL gives no options: Cloudflare needs at least one, such as width=400.")}
	}
	seen := map[string]bool{}
	var gravity pathurl.Gravity
	var zoom float64 // with gravity=face only, as in Cloudflare
	var trims trimParts
	var fit string // as given; "" without fit
	for _, item := range pathurl.SplitOutsideParens(s, ',') {
		name, value, hasValue := strings.Cut(item, "=")
		canon, known := aliases[name]
		var err error
		switch {
		case !known:
			err = pathurl.Bad(name, "%s is not a Cloudflare image option Matte knows (width, height, fit, gravity, zoom, quality, format, dpr, background, blur, sharpen, rotate, flip, trim, trim.left, trim.border.color, segment, anim, metadata, onerror, ...).", params.QuoteShort(name))
		case seen[canon]:
			err = pathurl.Bad(name, "%s is given twice.", canon)
		case !hasValue || value == "":
			err = pathurl.Bad(name, "%s needs a value, as %s=<value>.", name, name)
		case canon == "fit":
			fit, err = parseFit(&p, name, value)
		case canon == "gravity":
			gravity, err = parseGravity(name, value)
		case canon == "zoom":
			if zoom, err = params.ParseDecimalIn(value, 0, 1); err != nil {
				err = pathurl.Bad(name, "%s=%s is not valid; %s must be a number from 0 (as much of the image as the crop allows) to 1 (as close to the face as possible).", name, params.QuoteShort(value), name)
			}
		case strings.HasPrefix(canon, "trim."):
			err = trims.read(canon, name, value)
		default:
			err = options[canon](&p, name, value)
		}
		if known {
			seen[canon] = true
		}
		if err != nil {
			errs = append(errs, params.AsErrors(err)...)
		}
	}
	if err := trims.apply(&p); err != nil {
		errs = append(errs, params.AsErrors(err)...)
	}
	if len(errs) > 0 {
		return params.Params{}, errs
	}
	if p.Format == params.FormatWebP && p.Quality == 100 {
		// Cloudflare's format=webp: "Use quality=100 to return the WebP
		// lossless format."
		p.Lossless = true
	}
	if fit == "" {
		// Cloudflare's fit table: "scale-down (default) | Show entire
		// image without cropping or upscaling", not Matte's clip.
		p.Fit = params.FitMax
	}
	if p.Fit == params.FitCrop || p.Fit == params.FitMin {
		gravity.Apply(&p)
		if gravity.Faces {
			p.Faces.Zoom = zoom
		}
	}
	both := p.Width > 0 && p.Height > 0
	if fit == "crop" && both {
		// fit=crop: "For images smaller than the given dimensions, it is
		// the same as scale-down. For images larger than the given
		// dimensions, it is the same as cover" (never enlarged).
		p.SourceFit = params.SourceFit{When: params.FitWhenSmaller, Fit: params.FitMax}
	}
	if p.Fit == params.FitFill && both && !p.Background.Set {
		// fit=pad fills "with a background color (white by default)".
		p.FillColor = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	}
	if p.Rotate == 90 || p.Rotate == 270 {
		// Cloudflare flips before it rotates, Matte after: a quarter turn
		// exchanges the two mirrors.
		switch p.Flip {
		case params.FlipH:
			p.Flip = params.FlipV
		case params.FlipV:
			p.Flip = params.FlipH
		}
	}
	if p.DPR > 1 {
		// Trim counts pixels times dpr, as Cloudflare documents.
		dpr := func(v int) int { return int(math.Round(float64(v) * p.DPR)) }
		c := &p.Region.Cut
		*c = params.Sides{Top: dpr(c.Top), Right: dpr(c.Right), Bottom: dpr(c.Bottom), Left: dpr(c.Left)}
		r := &p.Rect
		r.X, r.Y, r.W, r.H = dpr(r.X), dpr(r.Y), min(dpr(r.W), toEdge), min(dpr(r.H), toEdge)
		p.TrimPad = dpr(p.TrimPad)
	}
	pathurl.Canonical(&p)
	return p, nil
}

// toEdge is the size of a trim.width or trim.height not given: the rest of
// the source (the pipeline clamps a Rect to it).
const toEdge = math.MaxInt32

// trimParts gathers trim's separate options, which combine once all are
// read: trim.left, trim.top, trim.width and trim.height (a region of the
// source, the offsets cut off the left and top, the size kept from there
// to the right and down), and trim.border.color and trim.border.keep
// (trim=border's colour, and the pixels of border left).
type trimParts struct {
	left, top, width, height int
	// region and border are the options of each kind given, as written.
	region, border []string
	color          params.Color
	keep           int
}

// read reads one trim.<part> option.
func (t *trimParts) read(canon, name, v string) error {
	var err error
	switch canon {
	case "trim.left", "trim.top", "trim.width", "trim.height":
		lo := 0
		dst := map[string]*int{"trim.left": &t.left, "trim.top": &t.top, "trim.width": &t.width, "trim.height": &t.height}[canon]
		if canon == "trim.width" || canon == "trim.height" {
			lo = 1
		}
		if *dst, err = params.ParseInt(v, lo, pathurl.MaxDimension); err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be an integer number of pixels from %d to %d.", name, params.QuoteShort(v), name, lo, pathurl.MaxDimension)
		}
		t.region = append(t.region, name)
	case "trim.border.color":
		if t.color, err = params.ParseCSSColor(v); err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a CSS colour such as %%23RRGGBB, rgb(255 255 0) or white.", name, params.QuoteShort(v), name)
		}
		t.border = append(t.border, name)
	case "trim.border.keep":
		if t.keep, err = params.ParseInt(v, 0, pathurl.MaxDimension); err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be an integer number of pixels from 0 to %d.", name, params.QuoteShort(v), name, pathurl.MaxDimension)
		}
		t.border = append(t.border, name)
	case "trim.border.tolerance":
		return pathurl.Bad(name, "%s is not supported by Matte: Cloudflare documents its scale both as a matching tolerance and as how closely colours must match (0: not at all, 255: exactly), so it has no exact counterpart in Matte's colour distance; leave it out (Matte's border trim allows a distance of 10).", name)
	}
	return nil
}

// apply sets p's region or border trim from t; each combines with nothing
// else trim gives (trim=top;right;bottom;left, trim=border, the other
// kind), as Cloudflare does not say in which order they would apply.
func (t trimParts) apply(p *params.Params) error {
	cut := p.Region.Cut != (params.Sides{})
	if len(t.border) > 0 {
		if cut || len(t.region) > 0 {
			return pathurl.Bad(t.border[0], "%s tunes trim=border, which Matte does not combine with a region cut by trim=top;right;bottom;left, trim.left, trim.top, trim.width or trim.height.", t.border[0])
		}
		p.Trim, p.TrimColor, p.TrimPad = true, t.color, t.keep
	}
	if len(t.region) == 0 {
		return nil
	}
	if cut || p.Trim {
		return pathurl.Bad(t.region[0], "%s cuts a region, which Matte does not combine with trim=top;right;bottom;left or trim=border; give the region one way.", t.region[0])
	}
	// A Rect, not Region.Cut, so that a region that starts outside the
	// source is a 400 on the option (RectField).
	p.Rect = params.Rect{X: t.left, Y: t.top, W: t.width, H: t.height}
	if t.width == 0 {
		p.Rect.W = toEdge
	}
	if t.height == 0 {
		p.Rect.H = toEdge
	}
	return nil
}

// aliases maps every accepted spelling to its option's full name.
var aliases = map[string]string{
	"width": "width", "w": "width", "height": "height", "h": "height",
	"fit": "fit", "gravity": "gravity", "g": "gravity",
	"quality": "quality", "q": "quality", "format": "format", "f": "format",
	"dpr": "dpr", "background": "background", "blur": "blur", "sharpen": "sharpen",
	"rotate": "rotate", "flip": "flip", "trim": "trim", "segment": "segment",
	"anim": "anim", "metadata": "metadata", "onerror": "onerror",
	"compression": "compression", "slow-connection-quality": "slow-connection-quality",
	"brightness": "brightness", "contrast": "contrast", "gamma": "gamma", "saturation": "saturation",
	"zoom": "zoom", "face-zoom": "zoom", "scq": "slow-connection-quality",
	"trim.left": "trim.left", "trim.top": "trim.top", "trim.width": "trim.width", "trim.height": "trim.height",
	"trim.border.color": "trim.border.color", "trim.border.tolerance": "trim.border.tolerance", "trim.border.keep": "trim.border.keep",
}

type option func(p *params.Params, name, v string) error

var options = map[string]option{
	"width": func(p *params.Params, name, v string) (err error) {
		p.Width, err = dimension(name, v)
		return err
	},
	"height": func(p *params.Params, name, v string) (err error) {
		p.Height, err = dimension(name, v)
		return err
	},
	"quality": func(p *params.Params, name, v string) (err error) {
		p.Quality, err = quality(name, v)
		return err
	},
	"format": func(p *params.Params, name, v string) error {
		switch v {
		case "auto":
			p.AutoFormat = true
			return nil
		case "jpeg":
			// Cloudflare's jpeg is progressive; baseline-jpeg is the
			// baseline JPEG Matte writes by default.
			p.Variant = params.VariantProgressive
		case "baseline-jpeg":
			v = "jpeg"
		case "avif":
			// "AVIF if possible (with WebP as a fallback)": an animation
			// kept (anim=true, the default) is WebP, Matte's AVIF being a
			// still.
			p.AnimatedAVIFAsWebP = true
		case "json":
			return pathurl.Bad(name, "%s=json (the image's metadata as JSON) is not supported by Matte; ask for an image format.", name)
		}
		f, ok := params.ParseOutputFormat(v)
		if !ok {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be one of auto, avif, webp, jpeg, baseline-jpeg, png, gif.", name, params.QuoteShort(v), name)
		}
		p.Format = f
		return nil
	},
	"dpr": func(p *params.Params, name, v string) (err error) {
		if p.DPR, err = pathurl.DPR(v); err != nil {
			return pathurl.Bad(name, "dpr=%s is not valid; dpr must be a number from 1 to 5.", params.QuoteShort(v))
		}
		return nil
	},
	"background": func(p *params.Params, name, v string) error {
		c, err := params.ParseCSSColor(v)
		if err != nil {
			return pathurl.Bad(name, "background=%s is not valid; background must be a CSS colour such as %%23RRGGBB, rgb(240,40,145), rgba(240,40,145,0.5) or white.", params.QuoteShort(v))
		}
		p.Background = c
		return nil
	},
	"blur": func(p *params.Params, name, v string) error {
		r, err := params.ParseInt(v, 0, 250)
		if err != nil {
			return pathurl.Bad(name, "blur=%s is not valid; blur must be an integer radius from 1 to 250.", params.QuoteShort(v))
		}
		// A radius r is about a Gaussian of sigma r/2; Matte's blur is
		// sigma x 10.
		p.Blur = r * 5
		return nil
	},
	"sharpen": func(p *params.Params, name, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 10)
		if err != nil {
			return pathurl.Bad(name, "sharpen=%s is not valid; sharpen must be a number from 0 to 10.", params.QuoteShort(v))
		}
		p.Sharpen = int(math.Round(f * 10))
		return nil
	},
	"rotate": func(p *params.Params, name, v string) error {
		a, ok := pathurl.RightAngle(v)
		if !ok {
			return pathurl.Bad(name, "rotate=%s is not valid; rotate must be 90, 180 or 270.", params.QuoteShort(v))
		}
		p.Rotate = a
		return nil
	},
	"flip": func(p *params.Params, name, v string) error {
		f, ok := params.ParseFlip(v)
		if !ok {
			return pathurl.Bad(name, "flip=%s is not valid; flip must be h, v or hv.", params.QuoteShort(v))
		}
		p.Flip = f
		return nil
	},
	// trim=border trims a uniform border; trim=top;right;bottom;left cuts
	// those widths off the source before anything else (times dpr, as
	// Cloudflare counts them: see Parse).
	"trim": func(p *params.Params, name, v string) error {
		if v == "border" || v == "auto" {
			p.Trim = true
			return nil
		}
		c, ok := pathurl.Ints(v, ";", 4, pathurl.MaxDimension)
		if !ok {
			return pathurl.Bad(name, "trim=%s is not valid; trim must be border, or four widths in pixels top;right;bottom;left, such as 20;0;20;0.", params.QuoteShort(v))
		}
		p.Region.Cut = params.Sides{Top: c[0], Right: c[1], Bottom: c[2], Left: c[3]}
		return nil
	},
	"segment": func(p *params.Params, name, v string) error {
		if v != "foreground" {
			return pathurl.Bad(name, "segment=%s is not valid; segment must be foreground.", params.QuoteShort(v))
		}
		p.Removal.Enabled = true
		return nil
	},
	// anim=false answers an animated source with its first frame; true,
	// the default, keeps the frames in a GIF or WebP answer.
	"anim": func(p *params.Params, name, v string) error {
		switch v {
		case "true":
			p.Frames = params.FramesKeep
		case "false":
			p.Frames = params.FramesFirst
		default:
			return pathurl.Bad(name, "anim=%s is not valid; anim must be one of true, false.", params.QuoteShort(v))
		}
		return nil
	},
	// Accepted and ignored: they change no pixel Matte would make
	// differently (Matte strips metadata, serves an error as JSON, and has
	// no slow-connection signal: slow-connection-quality is checked as
	// quality is, then unused).
	"metadata":    ignore("keep", "copyright", "none"),
	"onerror":     ignore("redirect"),
	"compression": ignore("fast"),
	"slow-connection-quality": func(_ *params.Params, name, v string) error {
		_, err := quality(name, v)
		return err
	},
	"brightness": multiplier(func(p *params.Params, f float64) { p.BrightnessFactor = f }),
	"contrast":   factor(true, func(p *params.Params, n int) { p.Contrast = n }),
	"gamma":      multiplier(func(p *params.Params, f float64) { p.Gamma = f }),
	"saturation": factor(false, func(p *params.Params, n int) { p.Saturation = n }),
}

// quality reads quality or slow-connection-quality: 1 to 100, or one of
// the perceptual levels.
func quality(name, v string) (int, error) {
	q, err := params.ParseInt(v, 1, 100)
	if err != nil {
		if q, ok := qualityWords[v]; ok {
			return q, nil
		}
		return 0, pathurl.Bad(name, "%s=%s is not valid; %s must be an integer from 1 to 100, or high, medium-high, medium-low, low.", name, params.QuoteShort(v), name)
	}
	return q, nil
}

// factor reads Cloudflare's saturation and contrast, a factor from 0 to 2
// (1: unchanged), as Matte's -100 to 100 (rounded to whole per cents).
// saturation=0 is grey; contrast=0 is ignored (zeroIgnored), as Cloudflare
// documents ("0 is ignored"), not a flat grey.
func factor(zeroIgnored bool, set func(p *params.Params, n int)) option {
	return func(p *params.Params, name, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 2)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a factor from 0 to 2 (1 leaves the image as it is).", name, params.QuoteShort(v), name)
		}
		if f == 0 && zeroIgnored {
			f = 1
		}
		set(p, int(math.Round((f-1)*100)))
		return nil
	}
}

// multiplier reads Cloudflare's brightness and gamma, a factor from 0 to 10
// (1: unchanged; 0 is ignored, as Cloudflare documents).
func multiplier(set func(p *params.Params, f float64)) option {
	return func(p *params.Params, name, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 10)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a factor from 0 to 10 (1 leaves the image as it is).", name, params.QuoteShort(v), name)
		}
		if f == 1 {
			f = 0
		}
		set(p, f)
		return nil
	}
}

// fits are Cloudflare's fit values. crop is FitMin that ParseOptions
// makes scale-down for a source no larger than the box (SourceFit);
// aspect-crop ("Crop to match the target aspect ratio, but never
// upscales") is FitMin for every source.
var fits = map[string]params.Fit{
	"scale-down": params.FitMax, "contain": params.FitClip, "cover": params.FitCrop,
	"crop": params.FitMin, "aspect-crop": params.FitMin, "pad": params.FitFill, "squeeze": params.FitScale,
}

// parseFit sets p's fit from fit=v and returns v.
func parseFit(p *params.Params, name, v string) (string, error) {
	f, ok := fits[v]
	if !ok {
		return "", pathurl.Bad(name, "fit=%s is not valid; fit must be one of scale-down, contain, cover, crop, aspect-crop, pad, squeeze.", params.QuoteShort(v))
	}
	p.Fit = f
	return v, nil
}

// qualityWords are Cloudflare's perceptual quality levels.
var qualityWords = map[string]int{"high": 90, "medium-high": 80, "medium-low": 65, "low": 50}

func ignore(values ...string) option {
	return func(_ *params.Params, name, v string) error {
		for _, ok := range values {
			if v == ok {
				return nil
			}
		}
		return pathurl.Bad(name, "%s=%s is not valid; %s must be one of %s.", name, params.QuoteShort(v), name, strings.Join(values, ", "))
	}
}

func dimension(name, v string) (int, error) {
	if v == "auto" {
		return 0, nil // client-hint sizing: Matte keeps the source's size
	}
	n, err := pathurl.Dimension(v)
	if err != nil {
		return 0, pathurl.Bad(name, "%s=%s is not valid; %s must be an integer from 1 to %d, or auto.", name, params.QuoteShort(v), name, pathurl.MaxDimension)
	}
	return n, nil
}

// gravities are Cloudflare's named gravities but face.
var gravities = map[string]params.Crop{"auto": params.CropAttention,
	"left": params.CropLeft, "right": params.CropRight, "top": params.CropTop, "bottom": params.CropBottom}

// parseGravity reads auto, face, a side, or a focal point XxY (fractions
// from the top-left corner). face centres the crop on the faces found,
// and on the image's centre where there are none (Cloudflare: "If no
// faces are found, then the focal point will fall back to the center of
// the image"), not by attention as auto does.
func parseGravity(name, v string) (pathurl.Gravity, error) {
	if v == "face" {
		return pathurl.Gravity{Crop: params.CropCenter, Faces: true}, nil
	}
	if c, ok := gravities[v]; ok {
		return pathurl.Gravity{Crop: c}, nil
	}
	xs, ys, ok := strings.Cut(v, "x")
	x, xerr := params.ParseDecimalIn(xs, 0, 1)
	y, yerr := params.ParseDecimalIn(ys, 0, 1)
	if !ok || xerr != nil || yerr != nil {
		return pathurl.Gravity{}, pathurl.Bad(name, "%s=%s is not valid; %s must be auto, face, left, right, top, bottom, or XxY with X and Y from 0 to 1 (such as 0.5x0.2).", name, params.QuoteShort(v), name)
	}
	return pathurl.FocalPoint(x, y), nil
}
