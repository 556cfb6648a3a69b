package thumbor

import (
	"math"
	"strings"

	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// parseFilters reads name(args):name(args)...; every bad filter is
// reported, named filters:<name>.
func parseFilters(p *params.Params, g *geometry, s string) error {
	var errs params.Errors
	for s != "" {
		open := strings.IndexByte(s, '(')
		end := strings.IndexByte(s, ')')
		if open <= 0 || end < open {
			return append(errs, params.BadParam("filters", "The filters "+params.QuoteShort(s)+" are not name(arguments) joined by \":\"."))
		}
		name, args := s[:open], s[open+1:end]
		s = strings.TrimPrefix(s[end+1:], ":")
		f, ok := filters[name]
		var err error
		if !ok {
			err = pathurl.Bad("filters:"+name, "%s is not a Thumbor filter Matte supports (quality, format, fill, background_color, blur, grayscale, rotate, round_corner, sharpen, no_upscale, upscale, strip_icc, strip_exif, max_bytes).", params.QuoteShort(name))
		} else {
			err = f(p, g, "filters:"+name, args)
		}
		if err != nil {
			errs = append(errs, params.AsErrors(err)...)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

type filter func(p *params.Params, g *geometry, field, args string) error

var filters = map[string]filter{
	"quality": func(p *params.Params, _ *geometry, field, a string) (err error) {
		if p.Quality, err = params.ParseInt(a, 1, 100); err != nil {
			return pathurl.Bad(field, "quality takes an integer from 1 to 100.")
		}
		return nil
	},
	"format": func(p *params.Params, _ *geometry, field, a string) error {
		f, ok := params.ParseOutputFormat(a)
		if !ok {
			return pathurl.Bad(field, "format takes one of jpeg, png, webp, avif, gif.")
		}
		p.Format = f
		return nil
	},
	"fill": func(p *params.Params, g *geometry, field, a string) error {
		c, _, _ := strings.Cut(a, ",") // fill(color[,fill_transparent])
		// fill(blur): the missing parts are the image, blurred.
		if c == "blur" {
			p.FillBlur, g.fill = true, true
			return nil
		}
		if err := color(p, field, c); err != nil {
			return err
		}
		g.fill = true
		return nil
	},
	"grayscale": func(p *params.Params, _ *geometry, field, a string) error {
		if a != "" {
			return pathurl.Bad(field, "grayscale takes no argument: grayscale().")
		}
		p.Saturation = -100
		return nil
	},
	"background_color": func(p *params.Params, _ *geometry, field, a string) error { return color(p, field, a) },
	"blur": func(p *params.Params, _ *geometry, field, a string) error {
		// blur(radius[,sigma]); sigma defaults to the radius.
		rs, ss, hasSigma := strings.Cut(a, ",")
		sigma, err := params.ParseDecimalIn(rs, 0, 150)
		if err == nil && hasSigma {
			sigma, err = params.ParseDecimalIn(ss, 0, 150)
		}
		if err != nil {
			return pathurl.Bad(field, "blur takes radius[,sigma], numbers from 0 to 150.")
		}
		p.Blur = int(math.Round(sigma * 10))
		return nil
	},
	"rotate": func(p *params.Params, _ *geometry, field, a string) error {
		angle, ok := pathurl.RightAngle(a)
		if !ok {
			return pathurl.Bad(field, "rotate takes 0, 90, 180 or 270.")
		}
		p.Rotate = angle
		return nil
	},
	"sharpen": func(p *params.Params, _ *geometry, field, a string) error {
		// sharpen(amount,radius,luminance_only): the amount, 0-10, sets
		// Matte's sharpen (0-100).
		am, _, _ := strings.Cut(a, ",")
		f, err := params.ParseDecimalIn(am, 0, 10)
		if err != nil {
			return pathurl.Bad(field, "sharpen takes amount,radius,luminance_only with the amount from 0 to 10.")
		}
		p.Sharpen = int(math.Round(f * 10))
		return nil
	},
	"round_corner": func(p *params.Params, _ *geometry, field, a string) error {
		// round_corner(a|b,r,g,b[,transparent]): corners of radius a (b, the
		// vertical radius of an elliptical corner, must equal a), coloured
		// r,g,b or transparent.
		const usage = "round_corner takes radius,r,g,b[,transparent]: a radius from 0 to 10000 (a|b only with b = a), red, green and blue from 0 to 255, and 1 or true for transparent corners."
		parts := strings.Split(a, ",")
		if len(parts) != 4 && len(parts) != 5 {
			return pathurl.Bad(field, usage)
		}
		rx, ry, elliptical := strings.Cut(parts[0], "|")
		radius, err := params.ParseInt(rx, 0, 10000)
		if err == nil && elliptical && ry != rx {
			return pathurl.Bad(field, "round_corner's elliptical corners (a|b with b other than a) are not supported.")
		}
		var rgb [3]int
		for i := range rgb {
			if err == nil {
				rgb[i], err = params.ParseInt(parts[1+i], 0, 255)
			}
		}
		transparent := false
		if err == nil && len(parts) == 5 {
			switch parts[4] {
			case "1", "true", "True":
				transparent = true
			case "0", "false", "False":
			default:
				err = params.ErrSyntax
			}
		}
		if err != nil {
			return pathurl.Bad(field, usage)
		}
		p.Mask = params.ShapeCorners
		p.CornerRadius = params.Corners{TopLeft: radius, TopRight: radius, BottomRight: radius, BottomLeft: radius, Set: true}
		if !transparent {
			p.MaskBackground = params.Color{R: uint8(rgb[0]), G: uint8(rgb[1]), B: uint8(rgb[2]), A: 255, Set: true}
		}
		return nil
	},
	"no_upscale": func(_ *params.Params, g *geometry, field, a string) error {
		g.noUpscale = true
		return noArgs(field, a)
	},
	// Accepted and ignored: Matte strips metadata and colour profiles (it
	// converts to sRGB), upscales by default, and has no byte budget.
	"upscale":    func(_ *params.Params, _ *geometry, field, a string) error { return noArgs(field, a) },
	"strip_icc":  func(_ *params.Params, _ *geometry, field, a string) error { return noArgs(field, a) },
	"strip_exif": func(_ *params.Params, _ *geometry, field, a string) error { return noArgs(field, a) },
	"max_bytes":  func(*params.Params, *geometry, string, string) error { return nil },
}

func noArgs(field, a string) error {
	if a != "" {
		return pathurl.Bad(field, "%s takes no arguments.", strings.TrimPrefix(field, "filters:"))
	}
	return nil
}

// color reads a Thumbor colour: a name or hex, with or without "#";
// auto and blur (colours derived from the image) are not supported.
func color(p *params.Params, field, a string) error {
	c, err := params.ParseColor(a)
	if err != nil {
		return pathurl.Bad(field, "%s is not a colour Matte knows: give a hex colour (ff0000) or a CSS name (auto and blur are not supported).", params.QuoteShort(a))
	}
	p.Background = c
	return nil
}
