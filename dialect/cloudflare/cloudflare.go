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
	return pathurl.PrefixParse(u, Prefix, "options", ParseOptions)
}

// ParseOptions reads the comma-separated options (w=400,fit=cover), as
// /cdn-cgi/image/ and Cloudflare Images' flexible variants write them.
// Every bad option is reported (a params.Errors, in URL order, each named
// as the URL spells it); an option given twice is an error, under either
// of its names.
func ParseOptions(s string) (params.Params, error) {
	var p params.Params
	var errs params.Errors
	if s == "" {
		return p, params.Errors{params.BadParam("options", "The URL gives no options: Cloudflare needs at least one, such as width=400.")}
	}
	seen := map[string]bool{}
	var gravity pathurl.Gravity
	var zoom float64 // with gravity=face only, as in Cloudflare
	for item := range strings.SplitSeq(s, ",") {
		name, value, hasValue := strings.Cut(item, "=")
		canon, known := aliases[name]
		var err error
		switch {
		case !known:
			err = pathurl.Bad(name, "%s is not a Cloudflare image option Matte knows (width, height, fit, gravity, zoom, quality, format, dpr, background, blur, sharpen, rotate, flip, trim, segment, anim, metadata, onerror, ...).", params.QuoteShort(name))
		case seen[canon]:
			err = pathurl.Bad(name, "%s is given twice.", canon)
		case !hasValue || value == "":
			err = pathurl.Bad(name, "%s needs a value, as %s=<value>.", name, name)
		case canon == "gravity":
			gravity, err = parseGravity(name, value)
		case canon == "zoom":
			if zoom, err = params.ParseDecimalIn(value, 0, 1); err != nil {
				err = pathurl.Bad(name, "zoom=%s is not valid; zoom must be a number from 0 (as much of the image as the crop allows) to 1 (as close to the face as possible).", params.QuoteShort(value))
			}
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
	if len(errs) > 0 {
		return params.Params{}, errs
	}
	if p.Fit == params.FitCrop || p.Fit == params.FitMin {
		gravity.Apply(&p)
		if gravity.Faces {
			p.Faces.Zoom = zoom
		}
	}
	if c := &p.Region.Cut; p.DPR > 1 {
		dpr := func(v int) int { return int(math.Round(float64(v) * p.DPR)) }
		*c = params.Sides{Top: dpr(c.Top), Right: dpr(c.Right), Bottom: dpr(c.Bottom), Left: dpr(c.Left)}
	}
	pathurl.Canonical(&p)
	return p, nil
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
	"zoom": "zoom",
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
	"fit": func(p *params.Params, name, v string) error {
		f, ok := fits[v]
		if !ok {
			return pathurl.Bad(name, "fit=%s is not valid; fit must be one of scale-down, contain, cover, crop, pad, squeeze.", params.QuoteShort(v))
		}
		p.Fit = f
		return nil
	},
	"quality": func(p *params.Params, name, v string) error {
		q, err := params.ParseInt(v, 1, 100)
		if err != nil {
			if q, ok := qualityWords[v]; ok {
				p.Quality = q
				return nil
			}
			return pathurl.Bad(name, "%s=%s is not valid; %s must be an integer from 1 to 100, or high, medium-high, medium-low, low.", name, params.QuoteShort(v), name)
		}
		p.Quality = q
		return nil
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
		c, err := params.ParseColor(v)
		if err != nil {
			return pathurl.Bad(name, "background=%s is not valid; background must be a CSS colour such as %%23RRGGBB or white.", params.QuoteShort(v))
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
	// no slow-connection signal).
	"metadata":                ignore("keep", "copyright", "none"),
	"onerror":                 ignore("redirect"),
	"compression":             ignore("fast"),
	"slow-connection-quality": func(*params.Params, string, string) error { return nil },
	"brightness":              multiplier(func(p *params.Params, f float64) { p.BrightnessFactor = f }),
	"contrast":                factor(func(p *params.Params, n int) { p.Contrast = n }),
	"gamma":                   multiplier(func(p *params.Params, f float64) { p.Gamma = f }),
	"saturation":              factor(func(p *params.Params, n int) { p.Saturation = n }),
}

// factor reads Cloudflare's saturation and contrast, a factor from 0 to 2
// (1: unchanged; saturation 0: grey), as Matte's -100 to 100 (rounded to
// whole per cents).
func factor(set func(p *params.Params, n int)) option {
	return func(p *params.Params, name, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 2)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a factor from 0 to 2 (1 leaves the image as it is).", name, params.QuoteShort(v), name)
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

var fits = map[string]params.Fit{
	"scale-down": params.FitMax, "contain": params.FitClip, "cover": params.FitCrop,
	"crop": params.FitMin, "pad": params.FitFill, "squeeze": params.FitScale,
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
// and by attention (auto) where there are none.
func parseGravity(name, v string) (pathurl.Gravity, error) {
	if v == "face" {
		return pathurl.Gravity{Crop: params.CropAttention, Faces: true}, nil
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
