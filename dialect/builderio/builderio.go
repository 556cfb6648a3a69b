// Package builderio reads Builder.io's Image API URLs,
// /api/v1/image/assets/<space>/<id>?width=&height=&format=&quality=&fit=&position=,
// which Builder's SDKs, Nuxt Image's builderio and unpic's builder.io
// providers write (unpic adds fit=cover, format=webp and sharp=true), so
// that a site moving off cdn.builder.io keeps its image URLs with only the
// hostname changed.
//
// A URL is this dialect's when its path (decoded: Builder often writes
// assets%2F<space>%2F<id>) starts with /api/v1/image/assets/; the source is
// that path on this site (a file_server whose root holds the space's assets
// under those paths, or a reverse_proxy to them). A query parameter that is
// not an option below goes with the source.
//
// Builder documents the parameters' names and little more (builder.io/c/docs/image-api;
// Nuxt Image's builderio provider lists the values). Its service resizes
// with sharp, and Matte reads fit and position as sharp does (sharp's
// resize options), which is where the behaviour below comes from:
//
//   - width, height: integers from 1 to 100000. One side keeps the aspect
//     ratio; with both, fit applies. As in sharp, a smaller image is
//     enlarged.
//   - fit: cover (default: covers the box, cropped at position), contain
//     (fitted inside the box and padded to it: Matte pads with white, or
//     transparent where the format has alpha; sharp pads black), fill
//     (stretched to the box), inside (fitted inside the box), outside
//     (covers the box, not cropped).
//   - position: sharp's: centre, top, right, bottom, left, pairs such as
//     left top, compass points such as northeast, entropy, attention. It
//     places cover's crop; with contain, where sharp places the image on
//     the box, Matte centres it, and any position but centre is a 400;
//     sharp's other fits ignore it, and so does Matte.
//   - format: webp, jpg, jpeg, png, gif, original (the source's format, as
//     without format).
//   - quality: 1-100 (Builder's default is 85, Matte's its configured
//     per-format quality).
//   - sharp: true or false, read and ignored: it asks Builder for its
//     sharp-based renderer (undocumented; unpic notes Builder crops only
//     with it, or with format=webp), and Matte has one renderer, which
//     applies fit and position either way.
//
// Each parameter is given once and never empty; a bad value is a 400
// naming it; a path that names no asset is a 400 on path.
package builderio

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/dialect/ipx"
	"github.com/jebosio/matte/params"
)

// Prefix starts every asset path the dialect claims.
const Prefix = "/api/v1/image/assets/"

// Dialect is Builder.io's Image API URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "builderio".
func (Dialect) Name() string { return "builderio" }

// names lists the parameters in the order they are read and reported.
var names = []string{"width", "height", "fit", "position", "format", "quality", "sharp"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"width":    "an integer from 1 to 100000",
	"height":   "an integer from 1 to 100000",
	"fit":      "one of cover, contain, fill, inside, outside",
	"position": "centre, top, right, bottom, left, a pair such as left top, a compass point such as northeast, entropy or attention",
	"format":   "one of webp, jpg, jpeg, png, gif, original",
	"quality":  "an integer from 1 to 100",
	"sharp":    "true or false",
}

var formats = map[string]params.Format{
	"webp": params.FormatWebP, "jpg": params.FormatJPEG, "jpeg": params.FormatJPEG, "png": params.FormatPNG,
	"gif": params.FormatGIF, "original": params.FormatSource,
}

var fits = map[string]params.Fit{
	"cover": params.FitCrop, "contain": params.FitFill, "fill": params.FitScale,
	"inside": params.FitClip, "outside": params.FitOutside,
}

// Parse claims u when its path starts with /api/v1/image/assets/.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	rest, ok := strings.CutPrefix(u.Path, Prefix)
	if !ok {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	if space, id, _ := strings.Cut(rest, "/"); space == "" || id == "" || strings.HasSuffix(id, "/") {
		errs.Add("path", fmt.Sprintf("%s names no asset; write %s<space>/<id>.", params.QuoteShort(u.Path), Prefix))
	} else if src, err := pathurl.Local(u.Path, "path"); err != nil {
		errs.Add("path", params.AsErrors(err)[0].Detail)
	} else {
		out.Source = src
		out.Query = urlform.Without(u.RawQuery, func(name string) bool { return allowed[name] != "" })
	}

	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var p params.Params
	fit := params.FitCrop
	for _, name := range names {
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func() { errs.Invalid(name, v, allowed[name], nil) }
		switch name {
		case "width", "height":
			n, err := params.ParseInt(v, 1, pathurl.MaxDimension)
			if err != nil {
				bad()
			}
			if name == "width" {
				p.Width = n
			} else {
				p.Height = n
			}
		case "fit":
			f, ok := fits[v]
			if !ok {
				bad()
			}
			fit = f
		case "position":
			c, ok := ipx.Position(v)
			if !ok {
				bad()
			}
			p.Crop = c
		case "format":
			f, ok := formats[v]
			if !ok {
				bad()
			}
			p.Format = f
		case "quality":
			n, err := params.ParseInt(v, 1, 100)
			if err != nil {
				bad()
			}
			p.Quality = n
		case "sharp":
			if v != "true" && v != "false" {
				bad()
			}
		}
	}
	if p.Width != 0 && p.Height != 0 {
		p.Fit = fit
	}
	if p.Fit == params.FitFill && p.Crop != params.CropCenter && !errs.Has("position") {
		// sharp places a contained image on its box at position; Matte
		// centres it, so another position would be dropped silently.
		errs.Add("position", fmt.Sprintf("position=%s places the image on fit=contain's box, which Matte always centres; leave position out (or give centre), or give fit=cover.", params.QuoteShort(q.Get("position"))))
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	if p.Fit != params.FitCrop {
		p.Crop = params.CropCenter // position places cover's crop; sharp ignores it for the others
	}
	out.Params = p
	return out, true, nil
}
