// Package ipx reads ipx's URLs (the image server of Nuxt Image and of
// Astro's and Analog's integrations) into Matte's canonical request:
//
//	/_ipx/<modifiers>/<source>
//
// The modifiers are separated by "," or "&", each a name and its value
// joined by "_", "=" or ":" (w_800,f_webp,q_80, s_400x300); "_" alone
// means none. The source is a path on this site or an absolute http(s) URL.
package ipx

import (
	"math"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// Prefix starts every ipx URL.
const Prefix = "/_ipx/"

// maxExtend bounds extend's sides, in pixels (imgix's pad bound).
const maxExtend = 10000

// maxMedian bounds median's window (sharp allows 1000: a window's cost
// grows with its side, and 50 already smooths away any detail).
const maxMedian = 50

// Dialect is the ipx URL form. It has no state: safe for concurrent use.
type Dialect struct{}

// New returns the ipx dialect.
func New() dialect.URLDialect { return Dialect{} }

// Name is "ipx".
func (Dialect) Name() string { return "ipx" }

// Parse reads /_ipx/<modifiers>/<source>.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	var names fieldNames
	iu, ok, err := pathurl.PrefixParse(u, Prefix, "modifiers", func(s string) (params.Params, error) {
		p, n, err := parseModifiers(s)
		names = n
		return p, err
	})
	iu.RectField, iu.PadField = names.rect, names.pad
	return iu, ok, err
}

// fieldNames are extract's and extend's names as written (extract or
// crop; "": not given), for errors about the region and the padding.
type fieldNames struct{ rect, pad string }

// mods gathers what decides the fit: sharp's fit (cover by default) and
// ipx's enlarge (off by default: no upscaling).
type mods struct {
	fit      string
	enlarge  bool
	position params.Crop
	// sized is set once w, h or s is read; flatten by flatten.
	sized, flatten bool
}

// parseModifiers reads the modifiers; every bad one is reported, in URL
// order.
func parseModifiers(s string) (params.Params, fieldNames, error) {
	// sharp keeps an animated source's frames in a GIF, or in any format
	// that holds them when asked (animated); otherwise the first frame.
	p := params.Params{Frames: params.FramesGIF}
	if s == "_" || s == "" {
		return p, fieldNames{}, nil
	}
	m := mods{fit: "cover"}
	var names fieldNames
	var errs params.Errors
	for item := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == '&' }) {
		i := strings.IndexAny(item, "_=:")
		name, value := item, ""
		if i >= 0 {
			name, value = item[:i], item[i+1:]
		}
		canon, known := aliases[name]
		var err error
		if !known {
			err = pathurl.Bad(name, "%s is not an ipx modifier Matte supports (w, h, s, f, q, fit, pos, b, blur, sharpen, rotate, flip, flop, trim, extract, extend, flatten, grayscale, negate, modulate, gamma, median, threshold, normalize, tint, enlarge).", params.QuoteShort(name))
		} else {
			err = modifiers[canon](&p, &m, name, value)
			switch canon {
			case "extract":
				names.rect = name
			case "extend":
				names.pad = name
			}
		}
		if err != nil {
			errs = append(errs, params.AsErrors(err)...)
		}
	}
	if len(errs) > 0 {
		return params.Params{}, fieldNames{}, errs
	}
	if m.flatten && !p.Background.Set {
		p.Background = params.Color{A: 255, Set: true} // sharp flattens onto black
	}
	switch m.fit {
	case "cover":
		p.Fit, p.Crop = params.FitCropDown, m.position
		if m.enlarge {
			p.Fit = params.FitCrop
		}
	case "inside":
		p.Fit = params.FitMax
		if m.enlarge {
			p.Fit = params.FitClip
		}
	case "contain":
		p.Fit = params.FitFill
	case "fill":
		p.Fit = params.FitScale
	case "outside":
		p.Fit = params.FitOutsideMax
		if m.enlarge {
			p.Fit = params.FitOutside
		}
	}
	if p.Width == 0 || p.Height == 0 {
		// One side: every fit scales to it (cover has nothing to crop).
		if p.Fit == params.FitCropDown || p.Fit == params.FitCrop || p.Fit == params.FitFill || p.Fit == params.FitScale || p.Fit == params.FitOutside || p.Fit == params.FitOutsideMax {
			p.Fit, p.Crop = params.FitMax, params.CropCenter
			if m.enlarge {
				p.Fit = params.FitClip
			}
		}
	}
	pathurl.Canonical(&p)
	return p, names, nil
}

var aliases = map[string]string{
	"w": "width", "width": "width", "h": "height", "height": "height", "s": "resize", "resize": "resize",
	"f": "format", "format": "format", "q": "quality", "quality": "quality", "fit": "fit",
	"pos": "position", "position": "position", "b": "background", "background": "background",
	"blur": "blur", "sharpen": "sharpen", "rotate": "rotate", "flip": "flip", "flop": "flop",
	"trim": "trim", "enlarge": "enlarge", "animated": "animated", "a": "animated",
	"extract": "extract", "crop": "extract", "extend": "extend", "flatten": "flatten", "grayscale": "grayscale",
	"negate": "negate", "modulate": "modulate", "gamma": "ignored",
	"median": "median", "threshold": "threshold", "normalize": "normalize", "tint": "tint", "kernel": "kernel",
}

type modifier func(p *params.Params, m *mods, name, v string) error

var modifiers = map[string]modifier{
	"width": func(p *params.Params, m *mods, name, v string) error {
		m.sized = true
		return dimension(&p.Width, name, v)
	},
	"height": func(p *params.Params, m *mods, name, v string) error {
		m.sized = true
		return dimension(&p.Height, name, v)
	},
	"resize": func(p *params.Params, m *mods, name, v string) error {
		m.sized = true
		ws, hs, ok := strings.Cut(v, "x")
		if !ok || dimension(&p.Width, name, ws) != nil || dimension(&p.Height, name, hs) != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be WIDTHxHEIGHT, such as 400x300.", name, params.QuoteShort(v), name)
		}
		return nil
	},
	// The last format given wins, as ipx reads its modifiers into one
	// object: f_auto,f_png is a PNG (with auto=format, Matte reads a set
	// format as the fallback only, imgix's fm).
	"format": func(p *params.Params, _ *mods, name, v string) error {
		if v == "auto" {
			p.AutoFormat, p.Format = true, params.FormatSource
			return nil
		}
		f, ok := params.ParseOutputFormat(v)
		if !ok {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be one of auto, jpeg, jpg, png, webp, avif, gif.", name, params.QuoteShort(v), name)
		}
		p.AutoFormat, p.Format = false, f
		return nil
	},
	"quality": func(p *params.Params, _ *mods, name, v string) (err error) {
		if p.Quality, err = params.ParseInt(v, 1, 100); err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be an integer from 1 to 100.", name, params.QuoteShort(v), name)
		}
		return nil
	},
	"fit": func(_ *params.Params, m *mods, name, v string) error {
		switch v {
		case "cover", "contain", "fill", "inside", "outside":
			m.fit = v
			return nil
		}
		return pathurl.Bad(name, "fit=%s is not valid; fit must be one of cover, contain, fill, inside, outside.", params.QuoteShort(v))
	},
	"position": func(_ *params.Params, m *mods, name, v string) error {
		c, ok := Position(v)
		if !ok {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be centre, top, right, bottom, left, a pair such as left top, a compass point such as northeast, entropy or attention.", name, params.QuoteShort(v), name)
		}
		m.position = c
		return nil
	},
	"background": func(p *params.Params, _ *mods, name, v string) error {
		c, err := params.ParseColor(v)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a hex colour (ff0000) or a CSS colour name.", name, params.QuoteShort(v), name)
		}
		p.Background = c
		return nil
	},
	"blur": func(p *params.Params, _ *mods, name, v string) error {
		sigma, err := params.ParseDecimalIn(v, 0.3, 200)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a sigma from 0.3 to 200.", name, params.QuoteShort(v), name)
		}
		p.Blur = int(math.Round(sigma * 10)) // Matte's blur is sigma x 10
		return nil
	},
	"sharpen": func(p *params.Params, _ *mods, name, v string) error {
		sigma, err := params.ParseDecimalIn(v, 0, 5)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a sigma from 0 to 5.", name, params.QuoteShort(v), name)
		}
		p.Sharpen = int(math.Round(sigma * 20))
		return nil
	},
	"rotate": func(p *params.Params, _ *mods, name, v string) error {
		a, err := params.ParseDecimal(v)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be an angle in degrees.", name, params.QuoteShort(v), name)
		}
		a = math.Mod(a, 360)
		if a < 0 {
			a += 360
		}
		p.Rotate = a + 0
		return nil
	},
	// sharp's flip mirrors top to bottom, its flop left to right.
	"flip": func(p *params.Params, _ *mods, name, v string) error { return mirror(p, params.FlipV, name, v) },
	"flop": func(p *params.Params, _ *mods, name, v string) error { return mirror(p, params.FlipH, name, v) },
	// trim_T: sharp's threshold, the difference from the top-left pixel
	// allowed (10 by default, as Matte's trim-tol).
	"trim": func(p *params.Params, _ *mods, name, v string) error {
		if v != "" {
			t, err := params.ParseDecimalIn(v, 0, 255)
			if err != nil {
				return pathurl.Bad(name, "%s=%s is not valid; %s takes an optional threshold, a number.", name, params.QuoteShort(v), name)
			}
			p.SetTrimTolerance(t)
		}
		p.Trim = true
		return nil
	},
	// extract_LEFT_TOP_WIDTH_HEIGHT: the region of the source kept. sharp
	// cuts it where it is written; Matte cuts it before resizing, so it
	// must come before w, h and s.
	"extract": func(p *params.Params, m *mods, name, v string) error {
		usage := name + " takes LEFT_TOP_WIDTH_HEIGHT in source pixels, such as 10_10_200_100, and comes before w, h and s (Matte cuts it from the source)."
		n, ok := pathurl.Ints(v, "_", 4, pathurl.MaxDimension)
		if !ok || n[2] == 0 || n[3] == 0 || m.sized {
			return pathurl.Bad(name, "%s", usage)
		}
		p.Rect = params.Rect{X: n[0], Y: n[1], W: n[2], H: n[3]}
		return nil
	},
	// extend_TOP_RIGHT_BOTTOM_LEFT: pixels added around the result, in
	// the background colour (b).
	"extend": func(p *params.Params, _ *mods, name, v string) error {
		n, ok := pathurl.Ints(v, "_", 4, maxExtend)
		if !ok {
			return pathurl.Bad(name, "%s takes TOP_RIGHT_BOTTOM_LEFT, pixels from 0 to %d, such as 10_0_10_0.", name, maxExtend)
		}
		p.SetPadding(params.Sides{Top: n[0], Right: n[1], Bottom: n[2], Left: n[3]})
		return nil
	},
	// flatten: the transparency filled with the background (b), black
	// when none is given, as sharp does.
	"flatten": func(_ *params.Params, m *mods, name, v string) error {
		m.flatten = true
		return noValue(name, v)
	},
	"grayscale": func(p *params.Params, _ *mods, name, v string) error {
		p.Saturation = -100
		return noValue(name, v)
	},
	// negate: sharp also negates an alpha channel; Matte keeps it.
	"negate": func(p *params.Params, _ *mods, name, v string) error {
		p.Invert = true
		return noValue(name, v)
	},
	// modulate_B: ipx passes sharp only the first value, the brightness
	// multiplier (the others are read, not used, as ipx does).
	"modulate": func(p *params.Params, _ *mods, name, v string) error {
		b, _, _ := strings.Cut(v, "_")
		f, err := params.ParseDecimalIn(b, 0, 10)
		if err != nil || f == 0 {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a brightness multiplier above 0 and up to 10, such as 1.2.", name, params.QuoteShort(v), name)
		}
		if f != 1 {
			p.BrightnessFactor = f
		}
		return nil
	},
	// kernel_K: sharp's resize kernel (nearest, linear, cubic, mitchell,
	// lanczos2, lanczos3; sharp's mks2013 and mks2021 are not libvips 8.14's).
	"kernel": func(p *params.Params, _ *mods, name, v string) error {
		k, ok := params.ParseKernel(v)
		if !ok {
			return pathurl.Bad(name, "%s=%s is not valid; %s takes nearest, linear, cubic, mitchell, lanczos2 or lanczos3.", name, params.QuoteShort(v), name)
		}
		p.Kernel = k
		return nil
	},
	// median_N: sharp's N x N median filter, 3 when N is left out.
	"median": func(p *params.Params, _ *mods, name, v string) error {
		n, err := intOr(v, 3, 1, maxMedian)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s takes a window size from 1 to %d (3 when left out).", name, params.QuoteShort(v), name, maxMedian)
		}
		if n > 1 {
			p.Median = n
		}
		return nil
	},
	// threshold_T: grey, then 255 from T up and 0 below (sharp's; 128 when
	// left out, 0 none).
	"threshold": func(p *params.Params, _ *mods, name, v string) error {
		t, err := intOr(v, 128, 0, 255)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s takes a level from 0 to 255 (128 when left out).", name, params.QuoteShort(v), name)
		}
		p.Threshold = t
		return nil
	},
	// normalize: sharp's normalise at its default percentiles (1 and 99),
	// the only form ipx passes on.
	"normalize": func(p *params.Params, _ *mods, name, v string) error {
		p.Normalize = true
		return noValue(name, v)
	},
	// tint_COLOR: a hex colour (with or without #, escaped as %23) or a CSS
	// name; its alpha is not used, as in sharp.
	"tint": func(p *params.Params, _ *mods, name, v string) error {
		c, err := params.ParseColor(v)
		if err != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be a hex colour (ff0000) or a CSS colour name.", name, params.QuoteShort(v), name)
		}
		p.Tint = c.Opaque()
		return nil
	},
	"enlarge": func(_ *params.Params, m *mods, name, v string) error {
		switch v {
		case "", "true", "1":
			m.enlarge = true
		case "false", "0":
			m.enlarge = false
		default:
			return pathurl.Bad(name, "%s=%s is not valid; %s takes true or false.", name, params.QuoteShort(v), name)
		}
		return nil
	},
	// animated keeps an animated source's frames in WebP as well as GIF
	// (with f=auto ipx then offers only those two, as Matte's negotiation
	// does for an animation). Its value is not read: ipx tests only that
	// the modifier is there.
	"animated": func(p *params.Params, _ *mods, _, _ string) error {
		p.Frames = params.FramesKeep
		return nil
	},
	// gamma makes sharp resize in linear light, which Matte does not (the
	// colours are the same, the resampled edges differ slightly).
	"ignored": func(*params.Params, *mods, string, string) error { return nil },
}

// intOr reads an integer from lo to hi, def when v is empty (sharp's
// default for a modifier written alone).
func intOr(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	return params.ParseInt(v, lo, hi)
}

// noValue accepts a boolean modifier written alone or as true (ipx reads
// the value, if any, as its arguments and ignores it).
func noValue(name, v string) error {
	if v != "" && v != "true" && v != "1" {
		return pathurl.Bad(name, "%s takes no value.", name)
	}
	return nil
}

// mirror adds a flip (flip and flop combine).
func mirror(p *params.Params, f params.Flip, name, v string) error {
	if v != "" && v != "true" && v != "1" {
		return pathurl.Bad(name, "%s takes no value.", name)
	}
	p.Flip |= f // FlipH | FlipV is FlipHV
	return nil
}

func dimension(dst *int, name, v string) error {
	n, err := params.ParseInt(v, 1, pathurl.MaxDimension)
	if err != nil {
		return pathurl.Bad(name, "%s=%s is not valid; %s must be an integer from 1 to %d.", name, params.QuoteShort(v), name, pathurl.MaxDimension)
	}
	*dst = n
	return nil
}

// Position reads sharp's position (as ipx, Astro's image endpoint and
// Builder.io's image API pass it): a side or corner ("left top", any case
// and spacing), a compass gravity ("northeast"), or a strategy (entropy,
// attention).
func Position(v string) (params.Crop, bool) {
	c, ok := positions[strings.Join(strings.Fields(strings.ToLower(v)), " ")]
	return c, ok
}

// positions are sharp's positions, gravities and strategies.
var positions = map[string]params.Crop{
	"centre": params.CropCenter, "center": params.CropCenter,
	"top": params.CropTop, "north": params.CropTop, "bottom": params.CropBottom, "south": params.CropBottom,
	"left": params.CropLeft, "west": params.CropLeft, "right": params.CropRight, "east": params.CropRight,
	"left top": params.CropTopLeft, "top left": params.CropTopLeft, "northwest": params.CropTopLeft,
	"right top": params.CropTopRight, "top right": params.CropTopRight, "northeast": params.CropTopRight,
	"left bottom": params.CropBottomLeft, "bottom left": params.CropBottomLeft, "southwest": params.CropBottomLeft,
	"right bottom": params.CropBottomRight, "bottom right": params.CropBottomRight, "southeast": params.CropBottomRight,
	"entropy": params.CropEntropy, "attention": params.CropAttention,
}
