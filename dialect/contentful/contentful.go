// Package contentful reads Contentful's Images API URLs,
// /<space_id>/<asset_id>/<unique_token>/<file_name>?w=&h=&fm=&fl=&fit=&f=&r=&q=&bg=,
// the file.url of a Contentful image asset on images.ctfassets.net (which
// Contentful's SDKs, gatsby-source-contentful and unpic's contentful
// provider write), so that a site moving off Contentful's image host keeps
// its image URLs with only the hostname changed.
//
// A URL is this dialect's when its path is exactly four segments shaped as
// Contentful's ids are: a space id of 12 lowercase letters and digits
// ("yadj1kx9rmg0"), an asset id of 1 to 64 letters, digits, "-", "_" or
// "." (Contentful's entity ids), a token of 32 lowercase hex digits
// ("cf6f68efdcf625fdc060607df0f3baef") and a file name. Any other path,
// however its query reads, is not claimed. The source is that same path on
// this site, read through the next handler (a file_server rooted where the
// space's assets were copied, or a reverse_proxy to them); a query other
// than the parameters below goes with it.
//
// Parameters, as Contentful documents them (contentful.com/developers/docs,
// Images API):
//
//   - w, h: integers from 1 to 4000 (Contentful's limit). One alone keeps
//     the aspect ratio.
//   - fit, with both w and h (with one side every fit but crop scales to
//     it): none (fitted inside the box, keeping the ratio), pad (fitted,
//     then padded to the box, centred, with bg), fill (covers the box and
//     is cropped to it at f), scale (stretched to the box), crop (a w x h
//     area of the original, at f, not resized; with one side, that side
//     alone is cut), thumb (read as fill: Contentful's thumbnail crop of an
//     area f names). Contentful's reference does not say whether a smaller
//     image is enlarged; Matte enlarges it to the "specified dimensions"
//     the reference names.
//   - f, with fit=fill, crop or thumb: center (default), top, right, left,
//     bottom, top_right, top_left, bottom_right, bottom_left; face and
//     faces centre fill's and thumb's cut on the faces found (Params.Faces;
//     attention, the part libvips judges most interesting, where there are
//     none), and are a 400 with crop.
//   - r: a corner radius in pixels, 0 to 4000, or max (a circle or an
//     ellipse); outside it the image is transparent, or bg, or white in a
//     format without alpha.
//   - bg: rgb:RRGGBB, the colour of fit=pad's padding and of r's corners
//     (a 400 without either).
//   - q: 1 to 100.
//   - fm: jpg, png, webp, gif, avif (default: the source's format; tiff is
//     a 400). fl: progressive (with fm=jpg: a progressive JPEG) or png8
//     (with fm=png: a palette PNG of at most 256 colours).
//
// Each parameter is given once and never empty; a bad value is a 400
// naming it.
package contentful

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// maxSide is Contentful's size limit for w, h and r.
const maxSide = 4000

// Dialect is Contentful's Images API URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "contentful".
func (Dialect) Name() string { return "contentful" }

// assetPath is the claimed path: space id, asset id, token, file name.
var assetPath = regexp.MustCompile(`^/[a-z0-9]{12}/[A-Za-z0-9._-]{1,64}/[0-9a-f]{32}/[^/]+$`)

// rgbColor is bg's form.
var rgbColor = regexp.MustCompile(`^rgb:[0-9A-Fa-f]{6}$`)

// names lists the parameters in the order they are read and reported.
var names = []string{"w", "h", "fit", "f", "r", "bg", "q", "fm", "fl"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"w":   "an integer from 1 to 4000",
	"h":   "an integer from 1 to 4000",
	"fit": "one of pad, fill, scale, crop, thumb",
	"f":   "one of center, top, right, left, bottom, top_right, top_left, bottom_right, bottom_left, face, faces (face and faces not with fit=crop)",
	"r":   "an integer radius from 0 to 4000, or max",
	"bg":  "a colour as rgb:RRGGBB, such as rgb:9090ff",
	"q":   "an integer from 1 to 100",
	"fm":  "one of jpg, png, webp, gif, avif",
	"fl":  "progressive (with fm=jpg) or png8 (with fm=png)",
}

// focus maps f to Matte's crop anchor: face and faces to attention, their
// fallback where no face is found.
var focus = map[string]params.Crop{
	"center": params.CropCenter, "top": params.CropTop, "right": params.CropRight, "left": params.CropLeft,
	"bottom": params.CropBottom, "top_right": params.CropTopRight, "top_left": params.CropTopLeft,
	"bottom_right": params.CropBottomRight, "bottom_left": params.CropBottomLeft,
	"face": params.CropAttention, "faces": params.CropAttention,
}

// formats maps fm to Matte's format.
var formats = map[string]params.Format{
	"jpg": params.FormatJPEG, "png": params.FormatPNG, "webp": params.FormatWebP,
	"gif": params.FormatGIF, "avif": params.FormatAVIF,
}

// Parse claims u when its path is a Contentful asset path.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if !assetPath.MatchString(u.EscapedPath()) {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	out := dialect.ImageURL{Query: urlform.Without(u.RawQuery, func(name string) bool { return allowed[name] != "" })}
	src, err := pathurl.Local(u.Path, "path")
	if err != nil {
		return dialect.ImageURL{}, true, params.AsErrors(err)
	}
	out.Source = src

	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var p params.Params
	v := map[string]string{} // the parameters given, once and valid
	for _, name := range names {
		val, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		ok := true
		switch name {
		case "w", "h":
			n, err := params.ParseInt(val, 1, maxSide)
			ok = err == nil
			if name == "w" {
				p.Width = n
			} else {
				p.Height = n
			}
		case "fit":
			ok = val == "pad" || val == "fill" || val == "scale" || val == "crop" || val == "thumb"
		case "f":
			_, ok = focus[val]
		case "r":
			if val == "max" {
				p.Mask = params.ShapeEllipse
				break
			}
			n, err := params.ParseInt(val, 0, maxSide)
			ok = err == nil
			if ok && n > 0 {
				p.Mask, p.CornerRadius = params.ShapeCorners, params.Corners{TopLeft: n, TopRight: n, BottomRight: n, BottomLeft: n, Set: true}
			}
		case "bg":
			ok = rgbColor.MatchString(val)
			if ok {
				p.MaskBackground, _ = params.ParseColor(val[len("rgb:"):])
			}
		case "q":
			n, err := params.ParseInt(val, 1, 100)
			ok = err == nil
			p.Quality = n
		case "fm":
			p.Format, ok = formats[val]
		case "fl":
			ok = val == "progressive" || val == "png8"
		}
		if !ok {
			errs.Invalid(name, val, allowed[name], nil)
			continue
		}
		v[name] = val
	}
	both := p.Width > 0 && p.Height > 0
	switch fit := v["fit"]; {
	case fit == "crop" && focus[v["f"]] == params.CropAttention:
		errs.Add("f", fmt.Sprintf("f=%s finds faces; fit=crop cuts an area of the original at its own scale, which Matte places by an edge or corner only (its faces centre a resize's cut): give fit=fill or thumb, or another f.", v["f"]))
	case fit == "crop":
		// A w x h area of the original, placed by f; no resize.
		p.Region = params.Region{W: p.Width, H: p.Height, Anchor: focus[v["f"]]}
		p.Width, p.Height = 0, 0
	case !both:
	case fit == "pad":
		p.Fit = params.FitFill
	case fit == "fill", fit == "thumb":
		p.Fit, p.Crop = params.FitCrop, focus[v["f"]]
		// face and faces centre the cut on the faces found, by attention
		// where there are none.
		p.Faces.Crop = v["f"] == "face" || v["f"] == "faces"
		p.Faces.Largest = v["f"] == "face"
	case fit == "scale":
		p.Fit = params.FitScale
	}
	if f, given := v["f"]; given && v["fit"] != "fill" && v["fit"] != "crop" && v["fit"] != "thumb" {
		errs.Add("f", fmt.Sprintf("f=%s places the crop of fit=fill, fit=crop and fit=thumb; give one of them, or leave f out.", params.QuoteShort(f)))
	}
	if bg, given := v["bg"]; given {
		switch {
		case v["fit"] == "pad":
			p.FillColor = p.MaskBackground
		case p.Mask == params.ShapeNone:
			errs.Add("bg", fmt.Sprintf("bg=%s colours fit=pad's padding and r's corners; give fit=pad or r, or leave bg out.", params.QuoteShort(bg)))
		}
		if p.Mask == params.ShapeNone {
			p.MaskBackground = params.Color{}
		}
	}
	switch fl := v["fl"]; {
	case fl == "progressive" && v["fm"] == "jpg":
		p.Variant = params.VariantProgressive
	case fl == "png8" && v["fm"] == "png":
		p.Variant = params.VariantPalette
	case fl != "":
		errs.Add("fl", fmt.Sprintf("fl=%s is not valid without its format; fl must be %s.", fl, allowed["fl"]))
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	pathurl.Canonical(&p)
	out.Params = p
	return out, true, nil
}
