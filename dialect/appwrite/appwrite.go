// Package appwrite reads Appwrite Storage's file preview URL,
// /v1/storage/buckets/<bucket>/files/<file>/preview?width=&height=&gravity=&quality=&borderWidth=&borderColor=&borderRadius=&opacity=&rotation=&background=&output=&project=,
// which Appwrite's SDKs (getFilePreview) and unpic's appwrite provider
// write, so that a site moving off Appwrite's image previews keeps its
// image URLs with only the endpoint changed.
//
// A URL is this dialect's when its path is exactly that preview path; a
// bucket or file id that is not one of Appwrite's ids (1-36 letters,
// digits, ".", "_" and "-", not starting with one of the last three) is a
// 400 on path. The source is the file's view URL on this site,
// /v1/storage/buckets/<bucket>/files/<file>/view, with the rest of the
// query (project=, token=) kept: the site reverse_proxies it to Appwrite,
// or serves the files under those paths. File ids have no extension, so a
// file_server site names the Content-Type itself.
//
// Appwrite's preview (utopia-php/image on Imagick) crops, then sets the
// opacity, background, border and corner radius, then rotates. Matte maps:
//
//   - width, height: 0 (unset) to 4000. One side scales to it, keeping the
//     ratio (enlarging, as Appwrite's Imagick thumbnail does); both cover
//     the box and cut it at gravity (fit=crop).
//   - gravity: center, top-left, top, top-right, left, right, bottom-left,
//     bottom, bottom-right: the anchor of that cut.
//   - quality: -1 (Appwrite's default) or 0 (read as unset too) to 100.
//   - borderWidth: 0-100 pixels in borderColor (3 or 6 hex digits, no #)
//     added around the image (Matte's pad, covered by a border of that
//     colour); borderWidth without borderColor → 400.
//   - borderRadius: 0-4000 pixels: the corners rounded, transparent outside
//     (white in a format without alpha); with borderWidth → 400 (Appwrite
//     then strokes a rounded border inside the image, which Matte cannot).
//   - background: 3 or 6 hex digits: transparent areas filled with it.
//   - rotation: -360 to 360 degrees clockwise. Matte makes quarter turns
//     before it cuts, so for 90, 180 and 270 it turns gravity with the
//     image (and swaps width and height for 90 and 270), which gives
//     Appwrite's image; any other angle
//     turns the finished image as Appwrite does, and with borderWidth or
//     borderRadius → 400 (Matte pads and rounds after it turns). Where an
//     angle uncovers corners, Matte fills them with background when given
//     (Appwrite leaves them transparent).
//   - opacity: 1 only (Appwrite's default); any other → 400 (Matte has no
//     opacity).
//   - output: jpg, jpeg, png, gif, webp, avif; empty or absent: the source's
//     format.
//
// Each option is given once; borderColor, background and output may be
// empty (unset), as Appwrite's SDKs send them.
package appwrite

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Dialect is Appwrite Storage's file preview URL. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "appwrite".
func (Dialect) Name() string { return "appwrite" }

// names lists the options in the order they are read and reported.
var names = []string{"width", "height", "gravity", "quality", "borderWidth", "borderColor", "borderRadius", "opacity", "rotation", "background", "output"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"width":        "an integer from 0 to 4000",
	"height":       "an integer from 0 to 4000",
	"gravity":      "one of center, top-left, top, top-right, left, right, bottom-left, bottom, bottom-right",
	"quality":      "an integer from -1 to 100",
	"borderWidth":  "an integer from 0 to 100",
	"borderColor":  "a hex colour of 3 or 6 digits without #",
	"borderRadius": "an integer from 0 to 4000",
	"opacity":      "1 (Matte has no opacity)",
	"rotation":     "an integer from -360 to 360",
	"background":   "a hex colour of 3 or 6 digits without #",
	"output":       "one of jpg, jpeg, png, gif, webp, avif",
}

var gravities = map[string][2]int{ // row, column
	"top-left": {0, 0}, "top": {0, 1}, "top-right": {0, 2},
	"left": {1, 0}, "center": {1, 1}, "right": {1, 2},
	"bottom-left": {2, 0}, "bottom": {2, 1}, "bottom-right": {2, 2},
}

var formats = map[string]params.Format{
	"jpg": params.FormatJPEG, "jpeg": params.FormatJPEG, "png": params.FormatPNG,
	"gif": params.FormatGIF, "webp": params.FormatWebP, "avif": params.FormatAVIF,
}

// path is the preview path: its bucket and file ids.
var path = regexp.MustCompile(`^/v1/storage/buckets/([^/]+)/files/([^/]+)/preview$`)

// id is Appwrite's UID.
var id = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,35}$`)

// Parse claims u when its path is a file's preview path.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	m := path.FindStringSubmatch(u.Path)
	if m == nil {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	if !id.MatchString(m[1]) || !id.MatchString(m[2]) {
		errs.Add("path", fmt.Sprintf("%s names no file; its bucket and file ids must be 1-36 letters, digits, ., _ and -, not starting with ., _ or -.", params.QuoteShort(u.Path)))
	} else {
		out.Source = strings.TrimSuffix(u.Path, "preview") + "view"
		out.Query = urlform.Without(u.RawQuery, func(name string) bool { return allowed[name] != "" })
	}

	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var p params.Params
	var w, h, border, radius, rotation int
	gravity := [2]int{1, 1}
	var borderColor params.Color
	for _, name := range names {
		mayBeEmpty := name == "borderColor" || name == "background" || name == "output"
		v, given := errs.One(q, name, allowed[name], mayBeEmpty)
		if !given || v == "" {
			continue
		}
		bad := func() { errs.Invalid(name, v, allowed[name], nil) }
		var err error
		switch name {
		case "width":
			w, err = params.ParseInt(v, 0, 4000)
		case "height":
			h, err = params.ParseInt(v, 0, 4000)
		case "gravity":
			g, ok := gravities[v]
			if !ok {
				bad()
			}
			gravity = g
		case "quality":
			if v != "-1" {
				p.Quality, err = params.ParseInt(v, 0, 100)
			}
		case "borderWidth":
			border, err = params.ParseInt(v, 0, 100)
		case "borderRadius":
			radius, err = params.ParseInt(v, 0, 4000)
		case "borderColor", "background":
			c, ok := hexColor(v)
			if !ok {
				bad()
			}
			if name == "background" {
				p.Background = c
			} else {
				borderColor = c
			}
		case "opacity":
			if f, perr := params.ParseDecimalIn(v, 0, 1); perr != nil || f != 1 {
				bad()
			}
		case "rotation":
			var r int
			if r, err = params.ParseSignedInt(v, -360, 360); err == nil {
				rotation = (r + 360) % 360
			}
		case "output":
			f, ok := formats[v]
			if !ok {
				bad()
			}
			p.Format = f
		}
		if err != nil {
			bad()
		}
	}
	switch {
	case border != 0 && !borderColor.Set:
		errs.Add("borderWidth", "borderWidth needs borderColor, the border's colour.")
	case border != 0 && radius != 0:
		errs.Add("borderRadius", "borderRadius with borderWidth strokes a rounded border inside the image, which Matte cannot draw; give one of them.")
	}
	if rotation%90 != 0 && (border != 0 || radius != 0) {
		errs.Add("rotation", fmt.Sprintf("rotation=%d turns the bordered or rounded image, and Matte pads and rounds after it turns; give a multiple of 90.", rotation))
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}

	// A quarter turn comes before Matte's cut: the box and the anchor turn
	// with the image.
	if rotation%90 == 0 {
		for range rotation / 90 {
			w, h = h, w
			gravity = [2]int{gravity[1], 2 - gravity[0]}
		}
	}
	p.Width, p.Height, p.Rotate = w, h, float64(rotation)
	if w != 0 && h != 0 {
		p.Fit, p.Crop = params.FitCrop, pathurl.AnchorAt(gravity[0], gravity[1])
	}
	if border != 0 {
		p.Pad = border
		p.Border = params.Border{Color: borderColor, Sides: params.Sides{Top: border, Right: border, Bottom: border, Left: border}}
	}
	if radius != 0 {
		p.Mask = params.ShapeCorners
		p.CornerRadius = params.Corners{TopLeft: radius, TopRight: radius, BottomRight: radius, BottomLeft: radius, Set: true}
	}
	out.Params = p
	if out.Params.PadSides() != (params.Sides{}) {
		out.PadField = "borderWidth" // for an error about the padded size
	}
	return out, true, nil
}

// hexColor reads Appwrite's colour: 3 or 6 hex digits, no #.
func hexColor(v string) (params.Color, bool) {
	if len(v) != 3 && len(v) != 6 || strings.Trim(v, "0123456789abcdefABCDEF") != "" {
		return params.Color{}, false
	}
	c, err := params.ParseColor(v)
	return c, err == nil
}
