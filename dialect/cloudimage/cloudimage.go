// Package cloudimage reads Cloudimage v7 URLs,
// https://<token>.cloudimg.io/v7/<origin URL or path>?w=&h=&func=&..., as
// unpic's and Nuxt Image's cloudimage providers write them, so that a site
// moving from Cloudimage to Matte changes only the host name
// (docs.cloudimage.io: Image operations, Image compression).
//
// Only paths starting /v7/ are claimed. What follows is the source: an
// absolute http(s) URL (a proxy's collapsed "https:/host" is read as
// "https://host") is a remote source, fetched under the origin allowlist;
// anything else is a path on this site (the site is the "origin URL
// prefix" Cloudimage would prepend). With ci_url_encoded=1 the source is
// percent-encoded as a whole (unpic's form for a source with a query).
// Every query parameter is Cloudimage's: the source gets no query.
//
// Parameters, each given once:
//
//   - w, width, h, height: pixels, 1 to 100000. One side keeps the ratio.
//   - func (with both sides): crop (the default) covers the box and cuts
//     it at gravity; face is crop centred on the faces found (Params.Faces),
//     at Matte's attention where there are none;
//     fit pads the box with bg_color without enlarging (fit_enlarge=1
//     enlarges); bound fits inside; cover stretches to the box. cropfit
//     and boundmin are refused.
//   - org_if_sml=1: "prevents resizing if the target size is larger than
//     the origin image" (v7 docs; now "prevents upscaling if any of the
//     target dimensions is larger than the origin image"): with both
//     sides, the source at its own size (still converted, q, r, flip,
//     grey) where the box, times dpr, is wider or taller than it, and the
//     function as usual where not (Params.KeepSourceIfBoxExceeds, for
//     every function, cover included); with one side, a width or height
//     that never enlarges (FitMax), which is the same thing: the docs'
//     example, a 400-pixel-wide image at w=450, stays 400 wide.
//   - gravity (with crop): north, south, east, west, northeast, northwest,
//     southeast, southwest, center or centre; auto and smart → attention.
//     Focal points (X,Y), trim and positioned fits are refused.
//   - bg_color, bg_colour: hex (without #) or a colour name: fit's padding.
//   - q: quality 1 to 100. force_format: webp, avif, png, jpeg (jpg), gif.
//     Without it the answer is in the source's format (Cloudimage's
//     automatic WebP/AVIF is an account setting Matte does not assume).
//   - dpr: 1 to 5. flip: h, v, hv. r: 90, 180, 270 degrees (counter-
//     clockwise, as Cloudimage turns). grey=1: greyscale.
//
// Any other parameter is a 400 naming it.
package cloudimage

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefix starts every claimed URL.
const Prefix = "/v7/"

const maxSide = 100000

// Dialect is Cloudimage's v7 URL form. It has no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "cloudimage".
func (Dialect) Name() string { return "cloudimage" }

// allowed completes "<name> must be ..." for every parameter read.
var allowed = map[string]string{
	"w": "an integer from 1 to 100000", "width": "an integer from 1 to 100000",
	"h": "an integer from 1 to 100000", "height": "an integer from 1 to 100000",
	"func":           "one of crop, face, fit, bound, cover",
	"org_if_sml":     "1 (or 0)",
	"fit_enlarge":    "1 (or 0)",
	"gravity":        "one of north, south, east, west, northeast, northwest, southeast, southwest, center, centre, auto, smart",
	"bg_color":       "a hex colour (RRGGBB, without #) or a colour name",
	"bg_colour":      "a hex colour (RRGGBB, without #) or a colour name",
	"q":              "an integer from 1 to 100",
	"force_format":   "one of webp, avif, png, jpeg, jpg, gif",
	"dpr":            "a number from 1 to 5",
	"flip":           "one of h, v, hv",
	"r":              "one of 0, 90, 180, 270 (degrees counter-clockwise)",
	"grey":           "1 (or 0)",
	"ci_url_encoded": "1 (or 0)",
}

var gravities = map[string]params.Crop{
	"north": params.CropTop, "south": params.CropBottom, "east": params.CropRight, "west": params.CropLeft,
	"northeast": params.CropTopRight, "northwest": params.CropTopLeft, "southeast": params.CropBottomRight, "southwest": params.CropBottomLeft,
	"center": params.CropCenter, "centre": params.CropCenter, "auto": params.CropAttention, "smart": params.CropAttention,
}

var formats = map[string]params.Format{"webp": params.FormatWebP, "avif": params.FormatAVIF, "png": params.FormatPNG,
	"jpeg": params.FormatJPEG, "jpg": params.FormatJPEG, "gif": params.FormatGIF}

// Parse claims /v7/<source>.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	srcEsc, ok := strings.CutPrefix(u.EscapedPath(), Prefix)
	if !ok {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	v := map[string]string{} // the parameters given, once and valid
	var p params.Params
	for _, name := range names {
		want, known := allowed[name]
		if !known {
			errs.Add(name, fmt.Sprintf("%s is not a Cloudimage parameter Matte supports (w, h, func, org_if_sml, gravity, bg_color, q, force_format, dpr, flip, r, grey, ci_url_encoded).", params.QuoteShort(name)))
			continue
		}
		val, given := errs.One(q, name, want, false)
		if !given {
			continue
		}
		var ok bool
		switch name {
		case "w", "width", "h", "height":
			n, err := params.ParseInt(val, 1, maxSide)
			ok = err == nil
			if name[0] == 'w' {
				p.Width = n
			} else {
				p.Height = n
			}
		case "func":
			ok = val == "crop" || val == "face" || val == "fit" || val == "bound" || val == "cover"
			if val == "cropfit" || val == "boundmin" {
				errs.Add(name, fmt.Sprintf("func=%s is not supported by Matte; func must be %s.", val, want))
				continue
			}
		case "org_if_sml", "fit_enlarge", "grey", "ci_url_encoded":
			ok = val == "0" || val == "1"
		case "gravity":
			_, ok = gravities[val]
		case "bg_color", "bg_colour":
			c, err := params.ParseColor(val)
			ok = err == nil && val != "transparent"
			p.FillColor = c
		case "q":
			n, err := params.ParseInt(val, 1, 100)
			ok = err == nil
			p.Quality = n
		case "force_format":
			p.Format, ok = formats[val]
		case "dpr":
			d, err := pathurl.DPR(val)
			ok = err == nil
			p.DPR = d
		case "flip":
			p.Flip, ok = params.ParseFlip(val)
		case "r":
			var a float64
			if a, ok = pathurl.RightAngle(val); ok && a != 0 {
				p.Rotate = 360 - a
			}
		}
		if !ok {
			errs.Invalid(name, val, want, nil)
			continue
		}
		v[name] = val
	}
	for _, pair := range [][2]string{{"w", "width"}, {"h", "height"}, {"bg_color", "bg_colour"}} {
		if _, a := q[pair[0]]; a {
			if _, b := q[pair[1]]; b {
				errs.Add(pair[1], fmt.Sprintf("%s and %s are the same parameter; give one.", pair[0], pair[1]))
			}
		}
	}
	if v["grey"] == "1" {
		p.Saturation = -100
	}
	noEnlarge := v["org_if_sml"] == "1"
	fn, fnGiven := v["func"]
	if !fnGiven {
		fn = "crop"
	}
	if g, given := v["gravity"]; given && fn != "crop" && fn != "face" {
		errs.Add("gravity", fmt.Sprintf("gravity=%s places func=crop's cut; Matte does not place the other functions' images: give func=crop, or leave gravity out.", g))
	}
	bg := v["bg_color"] + v["bg_colour"]
	if bg != "" && fn != "fit" {
		errs.Add("bg_color", fmt.Sprintf("bg_color=%s colours func=fit's padding; give func=fit, or leave it out.", params.QuoteShort(bg)))
	}
	if v["fit_enlarge"] != "" && fn != "fit" {
		errs.Add("fit_enlarge", "fit_enlarge applies to func=fit; give func=fit, or leave it out.")
	}
	both := p.Width > 0 && p.Height > 0
	switch {
	case !both:
		if noEnlarge {
			p.Fit = params.FitMax
		}
	case fn == "crop", fn == "face":
		p.Fit, p.Crop = params.FitCrop, gravities[v["gravity"]]
		if fn == "face" {
			// The cut centred on the faces found, by attention where
			// there are none.
			p.Crop, p.Faces.Crop = params.CropAttention, true
		}
	case fn == "fit":
		p.Fit = params.FitFillMax
		if v["fit_enlarge"] == "1" {
			p.Fit = params.FitFill
		}
	case fn == "cover":
		p.Fit = params.FitScale
	}
	// Where the rule does not keep the source, the box is no larger than
	// it: no function enlarges, so each keeps its own Fit.
	p.KeepSourceIfBoxExceeds = both && noEnlarge
	if !p.Fit.Fills() {
		p.FillColor = params.Color{}
	}
	if srcEsc == "" {
		errs.Add("source", "The URL names no source image after /v7/.")
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	if v["ci_url_encoded"] == "1" {
		// The whole source was percent-encoded once more: undo that layer,
		// and read what is left as a source tail as sent.
		un, err := url.PathUnescape(srcEsc)
		if err != nil {
			return dialect.ImageURL{}, true, params.Errors{params.BadParam("source", "The source "+params.QuoteShort(srcEsc)+" is not validly escaped.")}
		}
		srcEsc = un
	}
	out := dialect.ImageURL{Params: p}
	var query string
	if srcEsc, query, ok = strings.Cut(srcEsc, "?"); ok && !strings.HasPrefix(srcEsc, "http:") && !strings.HasPrefix(srcEsc, "https:") {
		return dialect.ImageURL{}, true, params.Errors{params.BadParam("source", "A path on this site takes no query of its own; Cloudimage's parameters are the URL's query.")}
	}
	var err error
	out.Source, _, err = pathurl.Source(srcEsc, query, "source")
	if err != nil {
		return dialect.ImageURL{}, true, params.AsErrors(err)
	}
	pathurl.Canonical(&out.Params)
	return out, true, nil
}
