// Package imageengine reads ImageEngine's directives, given in the imgeng
// query parameter of an image's own URL,
//
//	<path>?imgeng=/w_400/h_300/f_webp/cmpr_20/m_cropbox
//
// which ImageEngine's helpers, Nuxt Image's and unpic's imageengine
// providers write, so that a site moving off ImageEngine keeps its image
// URLs with only the hostname changed.
//
// The dialect claims any path with an imgeng query parameter (given once).
// The source is that path on this site; the rest of the query goes with
// it. The directives are separated by "/" (a leading and a trailing one
// are optional), each a name and its value joined by "_", each given
// once:
//
//   - w, h: the size in pixels, 1 to 100000; w_auto,<fallback> is the
//     fallback width, replaced by the Sec-CH-Width client hint when the
//     browser sends one (ImageEngine detects the device's screen; Matte
//     reads the hint).
//   - m, with a size: box (the default: fitted inside the box) → fit=clip,
//     cropbox (covers the box, the centre cut) → fit=crop, letterbox
//     (fitted and padded to the box) → fit=fill, stretch → fit=scale,
//     outside (covers the box without cropping).
//   - f: jpg (or jpeg), png, gif, webp, avif; without it AVIF, then WebP, by
//     the Accept header (ImageEngine picks the format per device).
//   - cmpr: compression 0 to 99, read as quality 100 - cmpr (cmpr_20 is
//     q=80), as ImageEngine's Nuxt and unpic integrations convert it.
//   - s: sharpness 0 to 100, as imgix's sharp.
//   - r: a rotation in whole degrees, -360 to 360, clockwise; the corners
//     are transparent, or white in a format without alpha.
//   - cr_<width>,<height>,<left>,<top>: the region cut from the source
//     first (source pixels).
//   - dl_true: answered as a download (Content-Disposition: attachment).
//   - in, meta, pass and dl take true or false; false is the default.
//
// Refused with a 400 naming the directive: pc (a percentage of the
// device's screen, which Matte does not know), maxdpr, in_true (a data
// URL), meta_true (Matte strips metadata), pass_true (ask for the path
// without imgeng to have the image as it is), the formats bmp, jp2, svg,
// mp4, jxr and jxl, the fit methods productletterbox and letterbox with a
// colour, and every other directive.
//
// Deviations: without w or h ImageEngine sizes the image to the detected
// screen; Matte keeps the source's size. ImageEngine's letterbox colour
// is its own; Matte pads with white (transparent in a format with alpha).
package imageengine

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Param is the query parameter that carries the directives.
const Param = "imgeng"

// directiveName is the shape of a directive's name; an unknown name of
// another shape is reported on imgeng.
var directiveName = regexp.MustCompile(`^[a-z0-9]{1,16}$`)

// Dialect is ImageEngine's imgeng URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "imageengine".
func (Dialect) Name() string { return "imageengine" }

// directive reads one directive's value into d; allowed completes "<name>
// must be ...".
type directive struct {
	allowed string
	read    func(d *directives, v string) error
}

// directives is what the directives of one URL set.
type directives struct {
	p    params.Params
	fit  string
	auto bool
}

// refused are ImageEngine's directives Matte does not carry out, with
// why.
var refused = map[string]string{
	"pc":     "pc (a percentage of the device's screen width) is not an ImageEngine directive Matte supports: Matte does not detect the screen; give w (or w_auto,<fallback>).",
	"maxdpr": "maxdpr is not an ImageEngine directive Matte supports: Matte does not detect the device's pixel ratio.",
}

var table map[string]directive

func init() {
	table = map[string]directive{
		"w": {"an integer from 1 to 100000, or auto,<fallback width> (the Sec-CH-Width client hint)", func(d *directives, v string) error {
			if fb, ok := strings.CutPrefix(v, "auto"); ok {
				d.auto = true
				d.p.ClientHints |= params.HintWidth
				fb = strings.TrimPrefix(strings.TrimPrefix(fb, ","), "_")
				if fb == "" {
					return nil
				}
				v = fb
			}
			return side(&d.p.Width, v)
		}},
		"h": {"an integer from 1 to 100000", func(d *directives, v string) error { return side(&d.p.Height, v) }},
		"m": {"one of box, cropbox, letterbox, stretch, outside", func(d *directives, v string) error {
			switch v {
			case "box", "cropbox", "letterbox", "stretch", "outside":
				d.fit = v
				return nil
			case "productletterbox":
				return errors.New("productletterbox is not a fit method Matte supports")
			}
			if strings.HasPrefix(v, "letterbox_") {
				return errors.New("a letterbox colour is not supported: Matte pads with white, or transparency where the format has alpha")
			}
			return params.ErrSyntax
		}},
		"f": {"one of jpg, jpeg, png, gif, webp, avif", func(d *directives, v string) error {
			f, ok := params.ParseOutputFormat(v)
			switch {
			case ok:
				d.p.Format = f
				return nil
			case v == "bmp" || v == "jp2" || v == "svg" || v == "mp4" || v == "jxr" || v == "jxl":
				return fmt.Errorf("Matte does not write %s", v)
			}
			return params.ErrSyntax
		}},
		"cmpr": {"an integer from 0 to 99", func(d *directives, v string) error {
			n, err := params.ParseInt(v, 0, 99)
			d.p.Quality = 100 - n
			return err
		}},
		"s": {"an integer from 0 to 100", func(d *directives, v string) (err error) {
			d.p.Sharpen, err = params.ParseInt(v, 0, 100)
			return err
		}},
		"r": {"an integer from -360 to 360", func(d *directives, v string) error {
			n, err := params.ParseSignedInt(v, -360, 360)
			d.p.Rotate = math.Mod(float64(n)+360, 360)
			return err
		}},
		"cr": {"<width>,<height>,<left>,<top> in source pixels, such as 200,100,10,20", func(d *directives, v string) error {
			n, ok := pathurl.Ints(v, ",", 4, pathurl.MaxDimension)
			if !ok || n[0] == 0 || n[1] == 0 {
				return params.ErrSyntax
			}
			d.p.Rect = params.Rect{X: n[2], Y: n[3], W: n[0], H: n[1]}
			return nil
		}},
		"dl": {"true or false", func(d *directives, v string) error {
			b, err := urlform.Bool(v)
			d.p.Download = b
			return err
		}},
		"in":   {"false", off("Matte answers images, not data URLs")},
		"meta": {"false", off("Matte strips metadata")},
		"pass": {"false", off("ask for the path without imgeng to have the image as it is")},
	}
}

// off is a boolean directive Matte takes only as false.
func off(why string) func(*directives, string) error {
	return func(_ *directives, v string) error {
		b, err := urlform.Bool(v)
		if err == nil && b {
			return errors.New(why)
		}
		return err
	}
}

func side(dst *int, v string) (err error) {
	*dst, err = params.ParseInt(v, 1, pathurl.MaxDimension)
	return err
}

// Parse claims u when its query has an imgeng parameter.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if !urlform.Claims(u.RawQuery, Param) {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	out := dialect.ImageURL{Query: urlform.Without(u.RawQuery, func(name string) bool { return name == Param })}
	src, query, err := urlform.Source(u.EscapedPath()) // decoded once, by Source
	switch {
	case err != nil || u.Path == "/" || query != "":
		errs.Add("path", fmt.Sprintf("%s is not a valid image path.", params.QuoteShort(u.Path)))
	default:
		out.Source = src
	}
	v, given := errs.One(q, Param, "/<name>_<value>/... such as /w_400/h_300/m_cropbox", true)
	d := directives{fit: "box"}
	if given {
		seen := map[string]bool{}
		for seg := range strings.SplitSeq(v, "/") {
			if seg == "" {
				continue
			}
			name, value, _ := strings.Cut(seg, "_")
			if name == "" {
				errs.Add(Param, fmt.Sprintf("%s names no directive; write /<name>_<value>/.", params.QuoteShort(seg)))
				continue
			}
			if why, ok := refused[name]; ok {
				errs.Add(name, why)
				continue
			}
			dir, ok := table[name]
			if !ok {
				field := name
				if !directiveName.MatchString(name) {
					field = Param
				}
				errs.Add(field, fmt.Sprintf("%s is not an ImageEngine directive Matte supports (w, h, m, f, cmpr, s, r, cr, dl, in, meta, pass).", params.QuoteShort(name)))
				continue
			}
			if seen[name] {
				errs.Add(name, fmt.Sprintf("%s is given twice in imgeng; give it once.", name))
				continue
			}
			seen[name] = true
			if err := dir.read(&d, value); err != nil {
				why := ""
				if !errors.Is(err, params.ErrSyntax) {
					why = " (" + err.Error() + ")"
				}
				errs.Add(name, fmt.Sprintf("%s is not valid%s; %s must be %s.", params.QuoteShort(seg), why, name, dir.allowed))
			}
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	p := d.p
	p.AutoFormat = p.Format == params.FormatSource
	if p.Width > 0 && p.Height > 0 || d.auto && p.Height > 0 {
		switch d.fit {
		case "cropbox":
			p.Fit = params.FitCrop
		case "letterbox":
			p.Fit = params.FitFill
		case "stretch":
			p.Fit = params.FitScale
		case "outside":
			p.Fit = params.FitOutside
		}
	}
	out.Params = p
	if !out.Params.Rect.IsZero() {
		out.RectField = "cr" // for an error about the region (it starts past the source)
	}
	return out, true, nil
}
