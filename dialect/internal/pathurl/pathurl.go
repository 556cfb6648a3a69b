// Package pathurl holds what the path-style URL dialects (Cloudflare,
// imgproxy, ipx, Thumbor, Cloudinary) share: reading the source named at
// the end of a path, the 400 they answer, and the mapping of a focal point
// onto Matte's nine crop anchors. Its functions are pure and safe for concurrent use.
package pathurl

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// MaxDimension bounds widths and heights, as the imgix query does.
const MaxDimension = 100000

// Bad is the 400 for one bad option, named in the dialect's own spelling.
func Bad(field, format string, args ...any) error {
	return params.BadParam(field, fmt.Sprintf(format, args...))
}

// PrefixParse reads the URL form prefix + <options>/<source> that
// Cloudflare and ipx share: the options segment, unescaped, goes to parse
// (optsField names it in errors); the rest is the source (Source). ok is
// false when u's path does not start with prefix.
func PrefixParse(u *url.URL, prefix, optsField string, parse func(string) (params.Params, error)) (dialect.ImageURL, bool, error) {
	rest, ok := strings.CutPrefix(u.EscapedPath(), prefix)
	if !ok {
		return dialect.ImageURL{}, false, nil
	}
	optsEsc, srcEsc, _ := strings.Cut(rest, "/")
	opts, err := url.PathUnescape(optsEsc)
	if err != nil {
		return dialect.ImageURL{}, true, Bad(optsField, "The %s %s are not validly escaped.", optsField, params.QuoteShort(optsEsc))
	}
	p, err := parse(opts)
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	src, query, err := Source(srcEsc, u.RawQuery, "source")
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	return dialect.ImageURL{Params: p, Source: src, Query: query}, true, nil
}

// Source reads the source at the end of a dialect URL: escaped is that
// tail of the path as sent (escaped, without its leading "/"), rawQuery the
// request's query. A tail starting with http: or https: is an absolute URL
// (a proxy's collapsed "https:/host" is read as "https://host"), and the
// query belongs to it; anything else is a path on this site, sent with the
// query. field names the source in errors.
func Source(escaped, rawQuery, field string) (src, query string, err error) {
	if escaped == "" {
		return "", "", Bad(field, "The URL names no source image after the options.")
	}
	for _, scheme := range []string{"http:", "https:"} {
		rest, ok := strings.CutPrefix(escaped, scheme)
		if !ok {
			continue
		}
		if strings.HasPrefix(rest, "/") && !strings.HasPrefix(rest, "//") {
			rest = "/" + rest
		}
		abs := scheme + rest
		if rawQuery != "" {
			abs += "?" + rawQuery
		}
		return Remote(abs, field)
	}
	p, err := url.PathUnescape(escaped)
	if err != nil {
		return "", "", Bad(field, "The source path %s is not validly escaped.", params.QuoteShort(escaped))
	}
	if src, err = Local("/"+p, field); err != nil {
		return "", "", err
	}
	return src, rawQuery, nil
}

// Remote checks an absolute source URL: http or https, a host, no user
// info or fragment, no control characters. Which hosts may be fetched is
// the handler's allowlist, not this check.
func Remote(abs, field string) (src, query string, err error) {
	u, perr := url.Parse(abs)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" || hasControl(abs) {
		return "", "", Bad(field, "The source %s is not an http:// or https:// URL with a host (and no user info).", params.QuoteShort(abs))
	}
	return abs, "", nil
}

// Local checks a source path on this site: absolute, without "." or ".."
// segments ("/" and "\" separating, params.HasDotSegment), empty segments
// or control characters.
func Local(p, field string) (string, error) {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || hasControl(p) || p == "/" {
		return "", Bad(field, "The source path %s is not a path on this site.", params.QuoteShort(p))
	}
	if params.HasDotSegment(p) {
		return "", Bad(field, "The source path %s has a . or .. segment.", params.QuoteShort(p))
	}
	return p, nil
}

// ConfigPrefix checks a path prefix that a site's configuration puts its
// sources under (a `cloud` line's): "" or "/" is the root (""); otherwise an
// absolute path on this site, returned without its trailing slash. owner
// names the line in the error (e.g. "cloud demo").
func ConfigPrefix(owner, prefix string) (string, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return "", nil
	}
	if _, err := Local(prefix, "prefix"); err != nil {
		return "", fmt.Errorf("%s: prefix %q is not a path on this site (absolute, without . or .. segments)", owner, prefix)
	}
	return prefix, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// Gravity is what a dialect's gravity option gives: a crop anchor or
// focus, or a focal point; Faces asks for the cut centred on the faces
// found (params.Faces.Crop), Crop being the fallback where there are none.
type Gravity struct {
	Crop  params.Crop
	Focus params.Focus
	Faces bool
}

// FocalPoint is the gravity of a focal point, x and y in [0, 1] from the
// top-left corner.
func FocalPoint(x, y float64) Gravity {
	return Gravity{Focus: params.Focus{X: x, Y: y, Set: true}}
}

// Apply sets p's crop focus to g.
func (g Gravity) Apply(p *params.Params) {
	p.Crop, p.Focus, p.Faces.Crop = g.Crop, g.Focus, g.Faces
}

// AnchorAt is the crop anchor of row (0 top, 1 middle, 2 bottom) and col
// (0 left, 1 centre, 2 right).
func AnchorAt(row, col int) params.Crop {
	return [3][3]params.Crop{
		{params.CropTopLeft, params.CropTop, params.CropTopRight},
		{params.CropLeft, params.CropCenter, params.CropRight},
		{params.CropBottomLeft, params.CropBottom, params.CropBottomRight},
	}[row][col]
}

// Dimension parses a width or height: an integer from 0 to MaxDimension,
// 0 meaning unset.
func Dimension(v string) (int, error) { return params.ParseInt(v, 0, MaxDimension) }

// Ints parses exactly n integers from 0 to hi separated by sep (a CDN's
// top;right;bottom;left); ok is false for any other count or value.
func Ints(v, sep string, n, hi int) (out []int, ok bool) {
	parts := strings.Split(v, sep)
	if len(parts) != n {
		return nil, false
	}
	out = make([]int, n)
	for i, s := range parts {
		var err error
		if out[i], err = params.ParseInt(s, 0, hi); err != nil {
			return nil, false
		}
	}
	return out, true
}

// DPR parses a device pixel ratio from 1 to 5 (1 is stored as 0, the
// default, as the imgix query does).
func DPR(v string) (float64, error) {
	f, err := params.ParseDecimalIn(v, 1, 5)
	if err != nil {
		return 0, err
	}
	if f == 1 {
		f = 0
	}
	return f, nil
}

// RightAngle parses a rotation of 0, 90, 180 or 270 degrees (360 is 0).
func RightAngle(v string) (float64, bool) {
	switch v {
	case "0", "360":
		return 0, true
	case "90", "180", "270":
		f, _ := params.ParseDecimal(v)
		return f, true
	}
	return 0, false
}

// Canonical makes Params that mean the same equal: without a width or a
// height, the fit, the crop focus and the faces' placing of the cut change
// nothing and are reset, and the fill options only shape fit=fill.
func Canonical(p *params.Params) {
	if p.Width == 0 && p.Height == 0 {
		p.Fit, p.Crop, p.Focus = params.FitClip, params.CropCenter, params.Focus{}
		p.Faces.NoCut()
	}
	if !p.Fit.Fills() {
		p.FillColor, p.FillBlur, p.FillBlurStrength = params.Color{}, false, 0
	}
}
