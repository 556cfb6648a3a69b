// Package cloudinary reads Cloudinary delivery URLs, so that a site moving
// from Cloudinary to Matte changes only the host name (or a loader's base
// URL): /<cloud>/image/upload/w_400,h_300,c_fill/v1712345/folder/shoe.jpg
// (cloudinary.com/documentation/transformation_reference is the
// specification).
//
// A URL is Cloudinary's when its path is /<cloud>/image/upload/...,
// /<cloud>/image/fetch/..., or, for a private CDN or custom domain (which
// Cloudinary and unpic write without the cloud name), /image/upload/... or
// /image/fetch/...; video, raw and the other delivery types are not
// claimed. After the delivery type come transformation components, each
// a "/"-separated segment of comma-separated key_value parameters (a
// segment whose every parameter has a key Cloudinary defines is a
// component), an optional version (v<digits>, ignored as a CDN cache
// buster), then:
//
//   - upload: the public ID, with its extension: the source is the path
//     <prefix>/<public ID>[.<ext>] on this site, where prefix is the one
//     configured for the cloud name (New), "" by default. The extension
//     names the file, so the answer is in the source's format unless f_
//     asks for another; without one the file is looked up as named. The
//     request's query goes with the source, without Cloudinary's SDK
//     analytics parameter _a.
//   - fetch: an absolute http(s) URL (escaped or not), fetched as the other
//     dialects' remote sources are, under the origin allowlist.
//
// A signed URL's s--...-- segment is refused (Matte does not hold the
// cloud's API secret). The parameters Matte reads, as Cloudinary documents
// them:
//
//   - w, h: pixels (1 to 100000), or a decimal fraction of the source's side
//     between 0 and 1 (w_0.5); w_auto is the Sec-CH-Width client hint.
//   - c: scale (the default: both sides stretch, one keeps the aspect
//     ratio), fit, limit (fit without enlarging), fill and thumb (cover and
//     cut at g), lfill (fill without
//     enlarging: Matte's fit=min), pad and lpad (fit and pad to the box
//     with b; lpad without enlarging), crop (a w x h region of the source at
//     its scale: at x, y, centred at x, y with g_xy_center, or placed by g;
//     with ar alone the largest region of that ratio). With one side only,
//     fill and pad are fit, lfill and lpad limit, as in Cloudinary.
//     mfit, mpad, fill_pad, auto, auto_pad and imagga_* are refused.
//   - ar: width:height (16:9) or a decimal (1.5): the side w or h leaves
//     out; with neither, the box of fill, lfill, thumb, crop, pad and lpad.
//   - g: center, north, south, east, west, north_east, north_west,
//     south_east, south_west; auto reads as Matte's attention crop;
//     face and faces centre the cut on the faces found (Params.Faces), by
//     attention where there are none (not with c_crop); xy_center only
//     with c_crop.
//   - x, y: pixels, with c_crop. z: 1 only (Matte's zoom needs a focal
//     point Cloudinary's URL does not give).
//   - dpr: 1 to 5, or auto (the Sec-CH-DPR client hint).
//   - b: the background of padding, rotation corners and transparent
//     areas: a CSS colour name, rgb:RGB, rgb:RRGGBB, rgb:RRGGBBAA (or the
//     same after #, written %23); with pad or lpad, blurred[:intensity],
//     intensity 1 to 2000 (100), fills the padding with the image blurred.
//   - a: degrees (any integer; negative turns counter-clockwise), hflip,
//     vflip, hflip.vflip, ignore (the source's EXIF orientation is not
//     applied). Right angles turn the source before it is sized; other
//     angles turn the sized image.
//   - r: a radius in pixels, 1 to 4 radii joined by ":" (clockwise from the
//     top left, as CSS), or max (the inscribed circle or oval).
//   - f: auto (AVIF or WebP by Accept), jpg, jpeg, png, webp, avif, gif.
//     q: 1 to 100, optionally :420 or :444 (chroma subsampling); auto and
//     auto:best, auto:good, auto:eco, auto:low use Matte's defaults.
//   - fl: progressive (also :semi and :steep; :none is baseline),
//     strip_profile and force_strip (Matte strips metadata anyway),
//     preserve_transparency and animated (what Matte does anyway),
//     attachment[:name], png8, png24, png32, lossy (a PNG without alpha is
//     answered as a JPEG; a GIF stays lossless). Several join with ".".
//     layer_apply and relative only in a layer (l, below).
//   - e (one per component, as in Cloudinary): grayscale, blackwhite[:0
//     to 100], sepia[:1 to 100], blur[:1 to 2000], sharpen[:1 to 2000],
//     unsharp_mask[:1 to 2000], brightness[:-99 to 100],
//     contrast[:-100 to 100], saturation[:-100 to 100],
//     vibrance[:-100 to 100], gamma[:-50 to 150], negate, pixelate:<1 to
//     100>, trim[:tolerance[:colour]], background_removal (Matte's own
//     model), colorize[:0 to 100] with co_<colour>.
//   - d_<public ID>: the default image answered in place of a missing
//     source (dialect.ImageURL.Fallback), in any component; its folders
//     are joined by ":".
//   - bo: <width>px_solid_<colour>: a border around the image, which grows
//     by the width on every side.
//   - l: a layer drawn over the image, as Matte's watermark (an image) or
//     text: l_<public ID> (its folders joined by ":"; the path on this site
//     a source's would be, under the cloud's prefix, access-checked as
//     other image references; errors about that image name l), or
//     l_text:<font>_<size>[_bold][_italic][_normal]:<text> (a font family
//     installed on the server, CSS's generic names mapped onto Pango's; 1
//     to 1000 pixels; the text URL-escaped with ",", "/" and "%" escaped
//     twice: %252C, %252F, %2525). The layer's parameters stand in the
//     component with l_ and those after it, up to one with
//     fl_layer_apply; without one, in the component with l_ alone (the
//     older form). An image layer reads w and h (pixels, or with
//     fl_relative fractions of the image's sides), c_scale (the default:
//     both sides stretch), c_fit and c_limit, o (opacity 1 to 100) and a
//     (degrees); a text layer reads co (black by default), o, and w with
//     c_fit (the width it wraps at). g (compass points, center by
//     default) with x and y (0 to 100000 pixels in from the edges g
//     names) place it, in the component with fl_layer_apply (or the
//     layer's only one); an offset along an axis g centres is refused, and
//     so is text with different x and y from the right and bottom edges
//     (Matte pads text evenly there). One image layer and one text layer
//     per URL, the text drawn over the image (an image layer after the
//     text layer is refused). Anything else in a layer (e_ effects, b, fl_tiled, fetch,
//     video and other layer sources, text styles other than bold and
//     italic) and u_ underlays are 400s naming it.
//
// A chain of components is read as one Matte request when Matte's fixed
// order of steps does what the chain says: e_trim first, at most a c_crop
// region, then one resize; colour effects after the resize and in the
// order Matte applies them (vibrance, saturation, sepia, contrast,
// brightness, negate, gamma, blackwhite), then blur, sharpen,
// unsharp_mask, pixelate, colorize, the layers (not with bo, which would
// grow the image under them), bo and r; right-angle turns before the
// resize, other angles and flips after the colour effects, and the padding
// of pad and lpad after those. Within a component the parameters apply in
// that order. f, q, fl, dpr and e_background_removal may stand in any
// component. A chain in another order is a 400 naming the component's
// first parameter (a layer after a border or corners: l). Every other
// parameter (t_ named transformations, u_ underlays, o_ outside a layer,
// if_, variables, video parameters, ...) and every other effect is a 400
// naming it as Cloudinary spells it ("t", "o", "e_vignette").
package cloudinary

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Dialect is Cloudinary's URL form. It holds the path prefix of each
// configured cloud name and nothing else: safe for concurrent use.
type Dialect struct {
	// clouds maps a cloud name to the path prefix its public IDs are
	// under; nil claims every cloud name (and the form without one) with
	// the prefix "".
	clouds map[string]string
}

var cloudName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// New returns the dialect. clouds maps each cloud name the site answers
// for to the path prefix of its public IDs ("/img": the public ID
// folder/shoe.jpg is /img/folder/shoe.jpg; "" or "/": the site's root).
// With no clouds every cloud name is claimed, and the form without a cloud
// name too, each public ID at the site's root; with some, only URLs that
// name one of them are.
func New(clouds map[string]string) (dialect.URLDialect, error) {
	if len(clouds) == 0 {
		return Dialect{}, nil
	}
	d := Dialect{clouds: map[string]string{}}
	for name, prefix := range clouds {
		if !cloudName.MatchString(name) {
			return nil, fmt.Errorf("cloud name %q: use letters, digits, _ and -", name)
		}
		prefix, err := pathurl.ConfigPrefix("cloud "+name, prefix)
		if err != nil {
			return nil, err
		}
		d.clouds[name] = prefix
	}
	return d, nil
}

// Name is "cloudinary".
func (Dialect) Name() string { return "cloudinary" }

// Parse claims /<cloud>/image/upload|fetch/... (and /image/upload|fetch/...
// when no cloud name is configured) and reads it.
func (d Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	var prefix, delivery string
	switch {
	case len(segs) >= 3 && d.clouds == nil && segs[0] == "image" && isDelivery(segs[1]):
		delivery, segs = segs[1], segs[2:]
	case len(segs) >= 4 && segs[1] == "image" && isDelivery(segs[2]):
		if d.clouds != nil {
			p, ok := d.clouds[segs[0]]
			if !ok {
				return dialect.ImageURL{}, false, nil
			}
			prefix = p
		}
		delivery, segs = segs[2], segs[3:]
	default:
		return dialect.ImageURL{}, false, nil
	}
	out, err := parse(delivery, prefix, segs, u.RawQuery)
	if err != nil {
		return dialect.ImageURL{}, true, params.AsErrors(err)
	}
	return out, true, nil
}

func isDelivery(s string) bool { return s == "upload" || s == "fetch" }

var version = regexp.MustCompile(`^v[0-9]+$`)

// parse reads what follows the delivery type: components, a version, the
// source.
func parse(delivery, prefix string, segs []string, rawQuery string) (dialect.ImageURL, error) {
	if len(segs) > 0 && strings.HasPrefix(segs[0], "s--") && strings.HasSuffix(segs[0], "--") {
		return dialect.ImageURL{}, params.Errors{params.BadParam("s", "Signed Cloudinary URLs (s--...--) are not supported: Matte does not hold the cloud's API secret. Leave the signature out, or sign with Matte's s=.")}
	}
	var comps []string
	i := 0
	for ; i < len(segs); i++ {
		seg, err := url.PathUnescape(segs[i])
		if err != nil || !isComponent(seg) {
			break
		}
		comps = append(comps, seg)
	}
	if i < len(segs) && version.MatchString(segs[i]) {
		i++
	}
	rest := strings.Join(segs[i:], "/")
	comps, fallback, err := defaultImage(comps, prefix)
	if err != nil {
		return dialect.ImageURL{}, err
	}
	p, err := readChain(comps, prefix)
	if err != nil {
		return dialect.ImageURL{}, err
	}
	out := dialect.ImageURL{Params: p, RectField: rectField(p)}
	if out.Params.PadSides() != (params.Sides{}) {
		out.PadField = "bo" // for an error about the padded size
	}
	if p.Watermark.Image != "" {
		out.MarkField = "l"
	}
	if fallback != "" {
		out.Fallback, out.FallbackField = fallback, "d"
	}
	query := urlform.Without(rawQuery, func(name string) bool { return name == "_a" })
	if delivery == "fetch" {
		if lower := strings.ToLower(rest); strings.HasPrefix(lower, "http%3a") || strings.HasPrefix(lower, "https%3a") {
			if un, err := url.PathUnescape(rest); err == nil {
				rest = un
			}
		}
		if !strings.HasPrefix(rest, "http:") && !strings.HasPrefix(rest, "https:") {
			return dialect.ImageURL{}, params.Errors{params.BadParam("source", "image/fetch/ needs an absolute http:// or https:// URL after the transformations.")}
		}
		out.Source, out.Query, err = pathurl.Source(rest, query, "source")
		return out, err
	}
	if rest == "" {
		return dialect.ImageURL{}, params.Errors{params.BadParam("source", "The URL names no public ID after the transformations.")}
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		return dialect.ImageURL{}, params.Errors{params.BadParam("source", "The public ID "+params.QuoteShort(rest)+" is not validly escaped.")}
	}
	if out.Source, err = pathurl.Local(prefix+"/"+id, "source"); err != nil {
		return dialect.ImageURL{}, err
	}
	out.Query = query
	return out, nil
}

// defaultImage takes d_<public ID> (the placeholder answered when the
// source is missing) out of comps, wherever it stands: it is the path of
// that public ID on this site, as a source's (prefix, then the ID with its
// folders' ":" written as "/"), for dialect.ImageURL.Fallback. A component
// left empty is dropped. d_ given twice, or a public ID that is not a
// path, is a 400 on d.
func defaultImage(comps []string, prefix string) (rest []string, fallback string, err error) {
	for _, c := range comps {
		var kept []string
		for item := range strings.SplitSeq(c, ",") {
			id, ok := strings.CutPrefix(item, "d_")
			if !ok {
				kept = append(kept, item)
				continue
			}
			if fallback != "" {
				return nil, "", params.Errors{params.BadParam("d", "d (the default image) is given twice; give it once.")}
			}
			path, ok := publicIDPath(prefix, id)
			if !ok {
				return nil, "", params.Errors{params.BadParam("d", fmt.Sprintf("d_%s is not a default image: give the public ID of an image on this site, its folders joined by : (d_placeholders:avatar.png).", params.QuoteShort(id)))}
			}
			fallback = path
		}
		if len(kept) > 0 {
			rest = append(rest, strings.Join(kept, ","))
		}
	}
	return rest, fallback, nil
}

// publicIDPath is the path on this site of the image whose public ID (its
// folders joined by ":", as d_ and l_ write it) is id: prefix, then id
// with ":" as "/". ok is false for an empty ID or folder, a "/", or a path
// params.CheckImageRef refuses (. or .. folders).
func publicIDPath(prefix, id string) (path string, ok bool) {
	path = prefix + "/" + strings.ReplaceAll(id, ":", "/")
	if id == "" || strings.HasPrefix(id, ":") || strings.HasSuffix(id, ":") || strings.Contains(id, "::") || strings.Contains(id, "/") || params.CheckImageRef(path) != nil {
		return "", false
	}
	return path, true
}

// rectField names the parameter that placed a source region: x (or y).
func rectField(p params.Params) string {
	if p.Rect.IsZero() {
		return ""
	}
	return "x"
}

// knownKeys are the parameter keys Cloudinary defines (read or refused):
// a segment whose every parameter has one is a transformation component.
var knownKeys = map[string]bool{
	"a": true, "ac": true, "af": true, "ar": true, "b": true, "bl": true, "bo": true, "br": true,
	"c": true, "co": true, "cs": true, "d": true, "dl": true, "dn": true, "dpr": true, "du": true,
	"e": true, "eo": true, "f": true, "fl": true, "fn": true, "fps": true, "g": true, "h": true,
	"if": true, "ki": true, "l": true, "o": true, "p": true, "pg": true, "q": true, "r": true,
	"so": true, "sp": true, "t": true, "u": true, "vc": true, "vs": true, "w": true, "x": true,
	"y": true, "z": true,
}

// isComponent reports whether seg is a transformation component.
func isComponent(seg string) bool {
	if seg == "" {
		return false
	}
	for item := range strings.SplitSeq(seg, ",") {
		if strings.HasPrefix(item, "$") {
			continue // a user variable
		}
		key, _, ok := strings.Cut(item, "_")
		if !ok || !knownKeys[key] {
			return false
		}
	}
	return true
}

// split splits a parameter into its key and value; an effect's key is
// e_<name> and its value what follows the first ":".
func split(item string) (key, val string) {
	if strings.HasPrefix(item, "$") {
		name, _, _ := strings.Cut(item, "_")
		return name, ""
	}
	key, val, _ = strings.Cut(item, "_")
	if key == "e" {
		name, v, _ := strings.Cut(val, ":")
		return "e_" + name, v
	}
	return key, val
}

// errSyntax is a value not of the allowed form.
var errSyntax = params.ErrSyntax

// bad is the 400 for key with what it allows.
func bad(key, item, allowed string, err error) *params.Error {
	detail := params.QuoteShort(item) + " is not valid"
	if err != nil && !errors.Is(err, errSyntax) {
		detail += " (" + err.Error() + ")"
	}
	return params.BadParam(key, detail+"; "+key+" must be "+allowed+".")
}
