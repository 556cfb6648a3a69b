// Package shopify reads the Shopify CDN's image URLs,
// /cdn/shop/files/<file>?width=&height=&crop=&pad_color=&format=, which
// Shopify's image_url Liquid filter and unpic's shopify provider write, and
// the older size suffix of img_url, /s/files/1/.../<name>_<W>x<H>_crop_center@2x.<ext>
// (unpic reads it and rewrites it into the query), so that a shop's theme
// keeps its image URLs with only the hostname changed.
//
// The source is the URL's path on this site, without a size suffix: the
// file /cdn/shop/files/shoe_480x.jpg?v=3 reads /cdn/shop/files/shoe.jpg
// through the next handler (a file_server rooted where the shop's files
// were copied, or a reverse_proxy to them). A query other than the
// parameters below (Shopify's v= cache buster) goes with the source.
//
// Parameters, as Shopify documents them (shopify.dev, Liquid filters
// image_url and img_url):
//
//   - width, height: integers from 1 to 5760. Both: the image is fitted
//     inside the box; one: it keeps its aspect ratio. Shopify never makes
//     an image larger than its original, nor does Matte.
//   - crop: center, top, bottom, left, right (with both sides: the image
//     covers the box and that part is kept, never enlarged), or region
//     with crop_left, crop_top, crop_width and crop_height (source pixels:
//     that area is cut before the resize; each is required).
//   - pad_color: a hex colour (RGB or RRGGBB, no #): with both sides and no
//     crop, the fitted image is padded to the box with it, centred.
//   - format: jpg, pjpg (a progressive JPEG), png or webp. Without it
//     Shopify's CDN picks the format by the Accept header: Matte picks
//     AVIF, then WebP.
//
// The size suffix of the file's name is read when the query gives no
// width or height: _<W>x<H>, _<W>x or _x<H> (each 1 to 5760), or a named
// size (pico 16, icon 32, thumb 50, small 100, compact 160, medium 240,
// large 480, grande 600, 1024x1024: a square box; original and master: the
// original size), then _crop_<position> (as crop) and @2x or @3x (the
// device pixel ratio). The suffix is always removed from the source.
//
// Each parameter is given once and never empty; a bad value is a 400
// naming it; a path that names no file, or a bad size suffix, is a 400 on
// path.
package shopify

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefixes are the paths the dialect claims: the current CDN path and the
// older one.
var Prefixes = []string{"/cdn/shop/", "/s/files/"}

// maxSide is Shopify's size limit.
const maxSide = 5760

// Dialect is the Shopify CDN's URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "shopify".
func (Dialect) Name() string { return "shopify" }

// names lists the parameters in the order they are read and reported.
var names = []string{"width", "height", "crop", "crop_left", "crop_top", "crop_width", "crop_height", "pad_color", "format"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"width":       "an integer from 1 to 5760",
	"height":      "an integer from 1 to 5760",
	"crop":        "one of center, top, bottom, left, right, region",
	"crop_left":   "an integer from 0 to 5760 (with crop=region)",
	"crop_top":    "an integer from 0 to 5760 (with crop=region)",
	"crop_width":  "an integer from 1 to 5760 (with crop=region)",
	"crop_height": "an integer from 1 to 5760 (with crop=region)",
	"pad_color":   "a hex colour, RGB or RRGGBB without #",
	"format":      "one of jpg, pjpg, png, webp (leave it out to pick AVIF or WebP by the Accept header)",
}

// crops maps a crop position to Matte's anchor.
var crops = map[string]params.Crop{
	"center": params.CropCenter, "top": params.CropTop, "bottom": params.CropBottom,
	"left": params.CropLeft, "right": params.CropRight,
}

// namedSizes are img_url's named sizes: a square box of that side (0: the
// original size).
var namedSizes = map[string]int{
	"pico": 16, "icon": 32, "thumb": 50, "small": 100, "compact": 160, "medium": 240,
	"large": 480, "grande": 600, "original": 0, "master": 0,
}

// suffix matches a file name with img_url's size suffix: base, then a
// named size or WxH, an optional _crop_<position>, an optional @<n>x and
// the extension. At least one of size, crop and scale must be present.
var suffix = regexp.MustCompile(`^(.+?)(?:_(pico|icon|thumb|small|compact|medium|large|grande|original|master)|_(\d+)x(\d*)|_x(\d+))?(?:_crop_([a-z]+))?(?:@([0-9]+)x)?(\.[A-Za-z0-9]+)$`)

// Parse claims u when its path starts with /cdn/shop/ or /s/files/.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	claimed := false
	for _, p := range Prefixes {
		claimed = claimed || strings.HasPrefix(u.Path, p)
	}
	if !claimed {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	var p params.Params
	var sfx sizeSuffix
	dir, file := path.Split(u.Path)
	if file == "" {
		errs.Add("path", fmt.Sprintf("%s names no file; write /cdn/shop/files/<file>.", params.QuoteShort(u.Path)))
	} else {
		var err error
		if file, sfx, err = readSuffix(file); err != nil {
			errs.Add("path", params.AsErrors(err)[0].Detail)
		} else if src, err := pathurl.Local(dir+file, "path"); err != nil {
			errs.Add("path", params.AsErrors(err)[0].Detail)
		} else {
			out.Source = src
			out.Query = urlform.Without(u.RawQuery, func(name string) bool { return allowed[name] != "" })
		}
	}

	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	crop, pad := "", params.Color{}
	var region [4]int // crop_left, crop_top, crop_width, crop_height: names[3:7]
	for i, name := range names {
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func() { errs.Invalid(name, v, allowed[name], nil) }
		switch name {
		case "width", "height":
			n, err := params.ParseInt(v, 1, maxSide)
			if err != nil {
				bad()
			}
			if name == "width" {
				p.Width = n
			} else {
				p.Height = n
			}
		case "crop":
			if _, ok := crops[v]; !ok && v != "region" {
				bad()
			}
			crop = v
		case "crop_left", "crop_top", "crop_width", "crop_height":
			lo := 1
			if name == "crop_left" || name == "crop_top" {
				lo = 0
			}
			n, err := params.ParseInt(v, lo, maxSide)
			if err != nil {
				bad()
			}
			region[i-3] = n
		case "pad_color":
			c, err := params.ParseColor(v)
			if err != nil || strings.HasPrefix(v, "#") || (len(v) != 3 && len(v) != 6) || !isHex(v) {
				bad()
			}
			pad = c
		case "format":
			switch v {
			case "jpg":
				p.Format = params.FormatJPEG
			case "pjpg":
				p.Format, p.Variant = params.FormatJPEG, params.VariantProgressive
			case "png":
				p.Format = params.FormatPNG
			case "webp":
				p.Format = params.FormatWebP
			default:
				bad()
			}
		}
	}
	if crop == "region" {
		for i, name := range names[3:7] {
			if region[i] == 0 && q.Get(name) == "" && !errs.Has(name) {
				errs.Add(name, fmt.Sprintf("crop=region needs %s; give %s.", name, allowed[name]))
			}
		}
	} else {
		for _, name := range names[3:7] {
			if q.Has(name) && !errs.Has(name) {
				errs.Add(name, fmt.Sprintf("%s is read only with crop=region; give crop=region, or leave %s out.", name, name))
			}
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	if p.Width == 0 && p.Height == 0 {
		p.Width, p.Height = sfx.width, sfx.height
	}
	if crop == "" {
		crop = sfx.crop
	}
	p.DPR = sfx.dpr
	if crop == "region" {
		p.Rect = params.Rect{X: region[0], Y: region[1], W: region[2], H: region[3]}
	}
	switch {
	case p.Width == 0 && p.Height == 0:
	case p.Width == 0 || p.Height == 0:
		p.Fit = params.FitMax
	case crop != "" && crop != "region":
		p.Fit, p.Crop = params.FitMin, crops[crop]
	case pad.Set:
		p.Fit, p.FillColor = params.FitFillMax, pad
	default:
		p.Fit = params.FitMax
	}
	if p.Width == 0 && p.Height == 0 {
		p.DPR = 0
	}
	p.AutoFormat = p.Format == params.FormatSource
	out.Params = p
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop" // for an error about the region (it starts past the source)
	}
	return out, true, nil
}

// sizeSuffix is what a file name's img_url suffix asks for.
type sizeSuffix struct {
	width, height int
	crop          string
	dpr           float64
}

// readSuffix removes img_url's size suffix from a file name and returns
// what it asks for; a name without one is returned as it is.
func readSuffix(file string) (string, sizeSuffix, error) {
	m := suffix.FindStringSubmatch(file)
	if m == nil || strings.Join(m[2:8], "") == "" {
		return file, sizeSuffix{}, nil
	}
	base, named, w, h, crop, scale, ext := m[1], m[2], m[3], m[4]+m[5], m[6], m[7], m[8]
	var s sizeSuffix
	badSize := func() error {
		return pathurl.Bad("path", "The size suffix of the file name %s is not valid; each side must be an integer from 1 to 5760.", params.QuoteShort(file))
	}
	var err error
	if named != "" {
		s.width = namedSizes[named]
		s.height = s.width
	}
	if w != "" {
		if s.width, err = params.ParseInt(w, 1, maxSide); err != nil {
			return "", s, badSize()
		}
	}
	if h != "" {
		if s.height, err = params.ParseInt(h, 1, maxSide); err != nil {
			return "", s, badSize()
		}
	}
	if crop != "" {
		if _, ok := crops[crop]; !ok {
			return "", s, pathurl.Bad("path", "The file name's _crop_%s is not valid; the position must be one of center, top, bottom, left, right.", crop)
		}
		s.crop = crop
	}
	if scale != "" {
		n, err := strconv.Atoi(scale)
		if err != nil || n < 1 || n > 3 {
			return "", s, pathurl.Bad("path", "The file name's @%sx is not valid; the scale must be 1, 2 or 3.", params.QuoteShort(scale))
		}
		if n > 1 {
			s.dpr = float64(n)
		}
	}
	return base + ext, s, nil
}

// isHex reports whether s is hex digits only.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
