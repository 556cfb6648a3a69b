// Package netlify reads Netlify Image CDN URLs,
// /.netlify/images?url=&w=&h=&fit=&position=&fm=&q=, so that a site built
// for Netlify (or a framework's Netlify image provider, such as unpic's)
// keeps its image URLs when Matte answers them.
//
// Parameters, as Netlify documents them (docs.netlify.com, Image CDN):
//
//   - url (required): a path on this site or an absolute http(s) URL.
//   - w, h: output size in pixels, integers 1 to 100000; one alone keeps the
//     aspect ratio.
//   - fit: contain (default; fit inside the box), cover (cover the box and
//     crop, by position), fill (stretch to the box, ignoring the aspect
//     ratio).
//   - position: center (default), top, bottom, left, right: the part kept
//     by fit=cover; validated, and ignored by the other fits.
//   - fm: avif, webp, jpg, png, gif. Without fm the format follows the
//     Accept header (AVIF, then WebP), as Netlify negotiates it. blurhash
//     (a text answer, not an image) is refused.
//   - q: quality 1 to 100 (Netlify's default is 75; Matte's is its configured
//     per-format quality).
//
// Each parameter is given once and never empty. Other query parameters are
// ignored. A bad value is a 400 naming the parameter.
package netlify

import (
	"fmt"
	"net/url"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Path is the Image CDN's route.
const Path = "/.netlify/images"

const maxDimension = 100000

// Dialect is Netlify Image CDN's URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "netlify".
func (Dialect) Name() string { return "netlify" }

// names lists the parameters in the order they are read and reported.
var names = []string{"url", "w", "h", "fit", "position", "fm", "q"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"url":      "a path on this site starting with / or an absolute http:// or https:// URL",
	"w":        "an integer from 1 to 100000",
	"h":        "an integer from 1 to 100000",
	"fit":      "one of contain, cover, fill",
	"position": "one of center, top, bottom, left, right",
	"fm":       "one of avif, webp, jpg, png, gif (leave it out to pick AVIF or WebP by the Accept header)",
	"q":        "an integer from 1 to 100",
}

var fits = map[string]params.Fit{"contain": params.FitClip, "cover": params.FitCrop, "fill": params.FitScale}

var positions = map[string]params.Crop{
	"center": params.CropCenter, "top": params.CropTop, "bottom": params.CropBottom,
	"left": params.CropLeft, "right": params.CropRight,
}

var formats = map[string]params.Format{
	"avif": params.FormatAVIF, "webp": params.FormatWebP, "jpg": params.FormatJPEG,
	"png": params.FormatPNG, "gif": params.FormatGIF,
}

// Parse claims u when its path is exactly /.netlify/images.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if u.Path != Path {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var out dialect.ImageURL
	var p params.Params
	crop := params.CropCenter
	if _, ok := q["url"]; !ok {
		errs.Add("url", "url is required: "+allowed["url"]+".")
	}
	for _, name := range names {
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func(hint string) {
			errs.Add(name, fmt.Sprintf("%s=%s is not valid%s; %s must be %s.", name, params.QuoteShort(v), hint, name, allowed[name]))
		}
		var err error
		switch name {
		case "url":
			var e error
			if out.Source, out.Query, e = urlform.Source(v); e != nil {
				bad(" (" + e.Error() + ")")
			}
		case "w":
			if p.Width, err = params.ParseInt(v, 1, maxDimension); err != nil {
				bad("")
			}
		case "h":
			if p.Height, err = params.ParseInt(v, 1, maxDimension); err != nil {
				bad("")
			}
		case "fit":
			f, ok := fits[v]
			if !ok {
				bad("")
			}
			p.Fit = f
		case "position":
			c, ok := positions[v]
			if !ok {
				bad("")
			}
			crop = c
		case "fm":
			f, ok := formats[v]
			switch {
			case v == "blurhash":
				bad(" (Matte answers images only, not BlurHash strings)")
			case !ok:
				bad("")
			}
			p.Format = f
		case "q":
			if p.Quality, err = params.ParseInt(v, 1, 100); err != nil {
				bad("")
			}
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	if p.Fit == params.FitCrop {
		p.Crop = crop
	}
	p.AutoFormat = p.Format == params.FormatSource
	out.Params = p
	return out, true, nil
}
