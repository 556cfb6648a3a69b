// Package supabase reads Supabase Storage's image transformation URLs,
// /storage/v1/render/image/public/<bucket>/<path>?width=&height=&resize=&quality=&format=,
// which supabase-js's getPublicUrl (with its transform option), Nuxt Image's
// and unpic's supabase providers write, so that a site moving off Supabase
// Storage keeps its image URLs with only the hostname changed.
//
// The source is the object's path on this site: /<bucket>/<path> (the
// render URL /storage/v1/render/image/public/avatars/a/b.png reads
// /avatars/a/b.png through the next handler, a file_server or a
// reverse_proxy whose rewrite may map it back onto an origin's
// /storage/v1/object/public/{path}). A query other than the parameters
// below goes with the source.
//
// Parameters, as Supabase documents them (supabase.com/docs, Storage Image
// Transformations) and as its storage server reads them
// (src/storage/renderer/image.ts):
//
//   - width, height: integers; each is kept within 1 to 2500, as Supabase
//     clamps them (0 is the same as leaving it out). One alone keeps the
//     aspect ratio, but with resize=fill.
//   - resize: cover (default; covers the box and crops the centre),
//     contain (fits inside the box), fill (stretches to the box). Supabase's
//     renderer sends them to imgproxy as its resizing types fill, fit and
//     force (formatResizeType), without enlarge, and Matte sizes them as its
//     imgproxy dialect does: cover's scale is capped at 1 and the cut is
//     the box or, where the image is smaller, the image's side (cropdown);
//     fill's two factors are divided by the larger where it is over 1
//     (scaledown). With one side cover and contain scale to it; fill
//     stretches that side alone, the other staying the image's (imgproxy's
//     force: "if po.Width == 0 { dstW = srcW }").
//   - quality: 20 to 100. Supabase's default is 80; Matte's is its configured
//     per-format quality.
//   - format: origin (the source's format) or avif. Without it the format
//     follows the Accept header (AVIF, then WebP; Supabase offers WebP).
//
// Each parameter is given once and never empty; a bad value is a 400 naming
// it. The signed form, /storage/v1/render/image/sign/<bucket>/<path>?token=,
// carries its transformations inside a JWT that Supabase signs with the
// project's secret, which Matte neither holds nor verifies: it is a 403 on
// token (serve the public form, under Matte's own signature when it must not
// be altered). The authenticated form (/render/image/authenticated/...,
// which needs the user's Supabase JWT) is a 403 on authorization. Any
// other kind of path under the prefix is a 400 on path.
package supabase

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefix is the render route; every URL under it is this dialect's.
const Prefix = "/storage/v1/render/image/"

// CodeUnverifiable is the code of the 403 for Supabase's signed and
// authenticated forms.
const CodeUnverifiable = "supabase_auth_unsupported"

// maxSide is Supabase's default size limit (imgLimits.size.max), to which it
// clamps width and height.
const maxSide = 2500

// Dialect is Supabase Storage's render URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "supabase".
func (Dialect) Name() string { return "supabase" }

// names lists the parameters in the order they are read and reported.
var names = []string{"width", "height", "resize", "quality", "format"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"width":   "an integer from 0 to 2500 (larger values are read as 2500)",
	"height":  "an integer from 0 to 2500 (larger values are read as 2500)",
	"resize":  "one of cover, contain, fill",
	"quality": "an integer from 20 to 100",
	"format":  "origin or avif (leave it out to pick AVIF or WebP by the Accept header)",
}

// Parse claims u when its path starts with /storage/v1/render/image/.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	rest, ok := strings.CutPrefix(u.Path, Prefix)
	if !ok {
		return dialect.ImageURL{}, false, nil
	}
	kind, object, _ := strings.Cut(rest, "/")
	switch kind {
	case "public":
	case "sign":
		return dialect.ImageURL{}, true, unverifiable("token", "Supabase's signed URLs carry their transformations in a token signed with the project's JWT secret, which this server neither holds nor verifies. Use /storage/v1/render/image/public/<bucket>/<path>, signed with this server's s= if it must not be altered.")
	case "authenticated":
		return dialect.ImageURL{}, true, unverifiable("authorization", "Supabase's authenticated URLs need the user's Supabase JWT, which this server does not verify. Use /storage/v1/render/image/public/<bucket>/<path>.")
	default:
		var errs urlform.Errors
		errs.Add("path", fmt.Sprintf("%s is not a Supabase render URL; write %spublic/<bucket>/<path>.", params.QuoteShort(u.Path), Prefix))
		return dialect.ImageURL{}, true, errs.Err()
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	bucket, key, _ := strings.Cut(object, "/")
	if bucket == "" || key == "" {
		errs.Add("path", fmt.Sprintf("%s names no object; write %spublic/<bucket>/<path>.", params.QuoteShort(u.Path), Prefix))
	} else if src, err := pathurl.Local("/"+object, "path"); err != nil {
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
	resize := "cover"
	for _, name := range names {
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func() { errs.Invalid(name, v, allowed[name], nil) }
		switch name {
		case "width", "height":
			n, ok := side(v)
			if !ok {
				bad()
			}
			if name == "width" {
				p.Width = n
			} else {
				p.Height = n
			}
		case "resize":
			if v != "cover" && v != "contain" && v != "fill" {
				bad()
			}
			resize = v
		case "quality":
			n, err := params.ParseInt(v, 20, 100)
			if err != nil {
				bad()
			}
			p.Quality = n
		case "format":
			switch v {
			case "origin":
			case "avif":
				p.Format = params.FormatAVIF
			default:
				bad()
			}
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	switch {
	case p.Width == 0 && p.Height == 0:
	case resize == "fill":
		p.Fit = params.FitScaleDown
		p.SourceSideWhenOneGiven() // the side not given is the source's own
	case p.Width == 0 || p.Height == 0:
		p.Fit = params.FitMax
	case resize == "cover":
		p.Fit = params.FitCropDown
	case resize == "contain":
		p.Fit = params.FitMax
	}
	p.AutoFormat = q.Get("format") == ""
	out.Params = p
	return out, true, nil
}

// side reads a width or height as Supabase's renderer does: digits, 0 for
// none, anything above 2500 clamped to it.
func side(v string) (int, bool) {
	n := 0
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		if n <= maxSide {
			n = n*10 + int(v[i]-'0')
		}
	}
	return min(n, maxSide), true
}

// unverifiable is the 403 for a form whose credentials Matte cannot check.
func unverifiable(field, detail string) error {
	return &params.Error{Status: http.StatusForbidden, Code: CodeUnverifiable, Title: http.StatusText(http.StatusForbidden), Field: field, Detail: detail}
}
