// Package kontent reads Kontent.ai's image transformation URLs,
// /<project_id>/<asset_id>/<file_name>?w=&h=&dpr=&fit=&rect=&crop=focalpoint&fp-x=&fp-y=&fp-z=&bg=&fm=&q=&lossless=&auto=format,
// the asset URLs of assets-<region>.kc-usercontent.com (which Kontent.ai's
// Delivery SDKs' image URL builders and unpic's kontent.ai provider write),
// so that a site moving off Kontent.ai's asset host keeps its image URLs
// with only the hostname changed.
//
// A URL is this dialect's when its path is exactly three segments: the
// project id and the asset id, each a UUID as Kontent.ai writes them
// (8-4-4-4-12 lowercase hex digits, any version), and a file name. Any
// other path is not claimed. The source is that same path on this site,
// read through the next handler (a file_server rooted where the project's
// assets were copied, or a reverse_proxy to them); a query other than the
// parameters below goes with it.
//
// Kontent.ai's parameters are imgix's names with imgix's meanings, and
// Matte reads them as its imgix query does, limited to what Kontent.ai
// documents (kontent.ai/learn, Image transformation API):
//
//   - w, h: pixels (1 to 100000, Matte's limit), or a fraction of the
//     image's side between 0 and 1. dpr: 1 to 5.
//   - fit: clip (default: fitted inside the box), scale (stretched to the
//     box), crop (covers the box and is cropped to it, centred).
//   - rect: x,y,w,h in source pixels, cut first (fractions are a 400).
//   - crop=focalpoint with fit=crop, and fp-x, fp-y (0 to 1, default 0.5)
//     and fp-z (1 to 100): the point the crop centres on, and a zoom.
//   - bg: a hex colour, RGB, ARGB, RRGGBB or AARRGGBB, for transparent
//     areas.
//   - fm: gif, png, png8 (a palette PNG), jpg, pjpg (a progressive JPEG),
//     webp, avif. q: 1 to 100. lossless: true, 1, false or 0; true with
//     fm=webp or auto=format.
//   - auto=format: AVIF, then WebP by the Accept header (Kontent.ai offers
//     WebP), else the source's format. With fm, Kontent.ai falls back to
//     fm where the browser takes no WebP; Matte has no such fallback, so
//     auto=format with fm is a 400.
//
// Each parameter is given once and never empty; a bad value, an imgix
// value Kontent.ai does not document (fit=max, crop=entropy, auto=compress,
// ...) and a focal point without crop=focalpoint or fit=crop are a 400
// naming the parameter.
package kontent

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Dialect is Kontent.ai's image transformation URL form. It holds no
// state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "kontent".
func (Dialect) Name() string { return "kontent" }

// assetPath is the claimed path: project id, asset id, file name.
var assetPath = regexp.MustCompile(`^/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[^/]+$`)

// names lists Kontent.ai's parameters in the order they are checked.
var names = []string{"w", "h", "dpr", "fit", "rect", "crop", "fp-x", "fp-y", "fp-z", "bg", "fm", "q", "lossless", "auto"}

// only are the values Kontent.ai documents for the parameters whose
// imgix values are more, each with what completes "<name> must be ...".
var only = map[string]struct {
	values  []string
	allowed string
}{
	"fit":  {[]string{"clip", "scale", "crop"}, "one of clip, scale, crop"},
	"crop": {[]string{"focalpoint"}, "focalpoint (with fit=crop, fp-x, fp-y and fp-z)"},
	"fm":   {[]string{"gif", "png", "png8", "jpg", "pjpg", "webp", "avif"}, "one of gif, png, png8, jpg, pjpg, webp, avif"},
	"auto": {[]string{"format"}, "format"},
}

// pixelRect reports whether rect's value is four comma-separated
// integers (imgix's reader checks their ranges).
func pixelRect(v string) bool {
	parts := strings.Split(v, ",")
	for _, s := range parts {
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return false
		}
	}
	return len(parts) == 4
}

func isParam(name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// Parse claims u when its path is a Kontent.ai asset path.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if !assetPath.MatchString(u.EscapedPath()) {
		return dialect.ImageURL{}, false, nil
	}
	src, err := pathurl.Local(u.Path, "path")
	if err != nil {
		return dialect.ImageURL{}, true, params.AsErrors(err)
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	given := url.Values{} // Kontent.ai's parameters, for the imgix reader
	for _, name := range names {
		if vals, ok := q[name]; ok {
			given[name] = vals
		}
		o, limited := only[name]
		if !limited {
			continue
		}
		v, ok := errs.One(q, name, o.allowed, false)
		if !ok {
			continue
		}
		known := false
		for _, w := range o.values {
			known = known || v == w
		}
		if !known {
			errs.Invalid(name, v, o.allowed, nil)
		}
	}
	// Kontent.ai's ranges are narrower than imgix's (dpr above 0, q from
	// 0): dpr 1 to 5, q 1 to 100.
	for _, r := range []struct {
		name, allowed string
		min, max      float64
		integer       bool
	}{{"dpr", "a number from 1 to 5", 1, 5, false}, {"q", "an integer from 1 to 100", 1, 100, true}} {
		v := q.Get(r.name)
		if len(q[r.name]) != 1 || v == "" {
			continue // imgix's reader reports a repeated or empty one
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < r.min || f > r.max || r.integer && f != math.Trunc(f) {
			errs.Invalid(r.name, v, r.allowed, nil)
		}
	}
	if v := q.Get("rect"); q.Has("rect") && !errs.Has("rect") && !pixelRect(v) {
		// imgix also places x and y by keyword or fraction; Kontent.ai
		// documents pixels.
		errs.Add("rect", fmt.Sprintf("rect=%s is not valid; rect takes x,y,w,h: four integers (source pixels), w and h from 1.", params.QuoteShort(v)))
	}
	switch {
	case q.Has("crop") && q.Get("fit") != "crop":
		errs.Add("crop", "crop=focalpoint places the crop of fit=crop; give fit=crop too.")
	case q.Has("auto") && q.Has("fm"):
		errs.Add("fm", fmt.Sprintf("fm=%s with auto=format is Kontent.ai's fallback where the browser takes no WebP, which Matte does not have; give fm or auto=format.", params.QuoteShort(q.Get("fm"))))
	}
	if lossless := q.Get("lossless"); (lossless == "true" || lossless == "1") && q.Get("fm") != "webp" && !q.Has("auto") {
		errs.Add("lossless", "lossless=true makes a lossless WebP; give fm=webp or auto=format too.")
	}
	for name := range given {
		if errs.Has(name) {
			delete(given, name)
		}
	}
	p, err := imgix.ParseQuery(given)
	if err != nil {
		for _, e := range params.AsErrors(err) {
			errs.Add(e.Field, e.Detail)
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	query := urlform.Without(u.RawQuery, isParam)
	return dialect.ImageURL{Params: p, Source: src, Query: query}, true, nil
}
