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

// Dialect is the ipx URL form. It has no state: safe for concurrent use.
type Dialect struct{}

// New returns the ipx dialect.
func New() dialect.URLDialect { return Dialect{} }

// Name is "ipx".
func (Dialect) Name() string { return "ipx" }

// Parse reads /_ipx/<modifiers>/<source>.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	return pathurl.PrefixParse(u, Prefix, "modifiers", parseModifiers)
}

// mods gathers what decides the fit: sharp's fit (cover by default) and
// ipx's enlarge (off by default: no upscaling).
type mods struct {
	fit      string
	enlarge  bool
	position params.Crop
}

// parseModifiers reads the modifiers; every bad one is reported, in URL
// order.
func parseModifiers(s string) (params.Params, error) {
	var p params.Params
	if s == "_" || s == "" {
		return p, nil
	}
	m := mods{fit: "cover"}
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
			err = pathurl.Bad(name, "%s is not an ipx modifier Matte supports (w, h, s, f, q, fit, pos, b, blur, sharpen, rotate, flip, flop, trim, enlarge).", params.QuoteShort(name))
		} else {
			err = modifiers[canon](&p, &m, name, value)
		}
		if err != nil {
			errs = append(errs, params.AsErrors(err)...)
		}
	}
	if len(errs) > 0 {
		return params.Params{}, errs
	}
	switch m.fit {
	case "cover":
		p.Fit, p.Crop = params.FitMin, m.position
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
	}
	if p.Width == 0 || p.Height == 0 {
		// One side: every fit scales to it (cover has nothing to crop).
		if p.Fit == params.FitMin || p.Fit == params.FitCrop || p.Fit == params.FitFill || p.Fit == params.FitScale {
			p.Fit, p.Crop = params.FitMax, params.CropCenter
			if m.enlarge {
				p.Fit = params.FitClip
			}
		}
	}
	pathurl.Canonical(&p)
	return p, nil
}

var aliases = map[string]string{
	"w": "width", "width": "width", "h": "height", "height": "height", "s": "resize", "resize": "resize",
	"f": "format", "format": "format", "q": "quality", "quality": "quality", "fit": "fit",
	"pos": "position", "position": "position", "b": "background", "background": "background",
	"blur": "blur", "sharpen": "sharpen", "rotate": "rotate", "flip": "flip", "flop": "flop",
	"trim": "trim", "enlarge": "enlarge", "animated": "ignored", "a": "ignored",
}

type modifier func(p *params.Params, m *mods, name, v string) error

var modifiers = map[string]modifier{
	"width":  func(p *params.Params, _ *mods, name, v string) error { return dimension(&p.Width, name, v) },
	"height": func(p *params.Params, _ *mods, name, v string) error { return dimension(&p.Height, name, v) },
	"resize": func(p *params.Params, _ *mods, name, v string) error {
		ws, hs, ok := strings.Cut(v, "x")
		if !ok || dimension(&p.Width, name, ws) != nil || dimension(&p.Height, name, hs) != nil {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be WIDTHxHEIGHT, such as 400x300.", name, params.QuoteShort(v), name)
		}
		return nil
	},
	"format": func(p *params.Params, _ *mods, name, v string) error {
		if v == "auto" {
			p.AutoFormat = true
			return nil
		}
		f, ok := params.ParseOutputFormat(v)
		if !ok {
			return pathurl.Bad(name, "%s=%s is not valid; %s must be one of auto, jpeg, jpg, png, webp, avif, gif.", name, params.QuoteShort(v), name)
		}
		p.Format = f
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
		case "cover", "contain", "fill", "inside":
			m.fit = v
			return nil
		case "outside":
			return pathurl.Bad(name, "fit=outside is not supported by Matte; use cover, contain, fill or inside.")
		}
		return pathurl.Bad(name, "fit=%s is not valid; fit must be one of cover, contain, fill, inside.", params.QuoteShort(v))
	},
	"position": func(_ *params.Params, m *mods, name, v string) error {
		c, ok := positions[strings.Join(strings.Fields(strings.ToLower(v)), " ")]
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
	"trim": func(p *params.Params, _ *mods, name, v string) error {
		if v != "" {
			if _, err := params.ParseDecimalIn(v, 0, 255); err != nil {
				return pathurl.Bad(name, "%s=%s is not valid; %s takes an optional threshold, a number.", name, params.QuoteShort(v), name)
			}
		}
		p.Trim = true
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
	// animated keeps a GIF's frames, which Matte does anyway.
	"ignored": func(*params.Params, *mods, string, string) error { return nil },
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
