// Package bunny reads Bunny Optimizer's Dynamic Images API, the query
// parameters a Bunny pull zone reads on any image path
// (https://<zone>.b-cdn.net/img/shoe.jpg?width=400&aspect_ratio=4:3), as
// Bunny's docs, the Drupal and WordPress modules and unpic's bunny provider
// write them, so that a site whose images Bunny served keeps its URLs with
// only the hostname changed.
//
// Bunny's URLs have no path shape: the dialect claims a URL, on any path,
// when its query carries at least one of the parameters below, and then
// reads the whole query as Bunny's. A site that turns it on therefore
// speaks Bunny for those names (width, height, format, quality, crop, blur,
// ...) instead of imgix. The source is the URL's path on this site, asked
// of the next handler (a file_server rooted where the pull zone's origin
// files are, or a reverse_proxy to that origin). Any other query
// parameter (a cache buster such as v=2) is not Bunny's and goes to the
// origin with the source, as a pull zone forwards the query string.
//
// Parameters, as Bunny documents them (docs.bunny.net, Optimizer: Dynamic
// Images, and its older Dynamic Image API pages):
//
//   - width, height: integers 1 to 100000. One keeps the aspect ratio;
//     both fit the image inside the box ("whichever produces the smaller
//     image"). Never enlarged unless upscaling=resampling.
//   - upscaling: off (default) or resampling (the image may be enlarged).
//   - aspect_ratio: W:H, centred: without a size the largest W:H area of
//     the image; with width, height or both, that area fitted to them.
//     auto (Bunny's default) is the source's own ratio: no crop.
//   - crop: W,H (an area of that size, placed by crop_gravity: center
//     (default), north, south, east, west, northeast, northwest,
//     southeast, southwest) or W,H,X,Y (the area at X, Y), source pixels,
//     cut before the resize.
//   - face_crop: W,H: the W x H area (source pixels, cut before the
//     resize) centred on the mean of the faces' centres, as far as the
//     image allows, and on the middle where none is found (Bunny's "centers
//     the crop at the average position"). face_crop=true keeps every face
//     in frame "with appropriate padding", which Bunny does not quantify:
//     Matte cuts the box around the faces grown to FaceCropPad times its
//     size, in its own shape, before the resize (params.Faces.Frame), and
//     leaves the image whole where none is found, as Bunny does.
//     face_crop=false is no crop.
//   - focus_crop: W,H,X,Y with X and Y decimals from 0 to 1: the W x H
//     area centred on that point as far as the image allows. Absolute
//     pixel coordinates are a 400 (Matte places a region's focus only as a
//     fraction of the image).
//   - quality: 1 to 100 (Bunny's 0 is a 400).
//   - format, or output (its older name, which unpic writes): webp, jpeg,
//     png, gif, avif. Without one the source's format is kept (Bunny's
//     WebP by Accept is a zone setting, not part of the URL).
//   - sharpen: true or false: true is Matte's sharpen 50 (Bunny publishes
//     no strength).
//   - blur: 0 to 100, read as a radius as the cloudflare dialect reads one:
//     a Gaussian of sigma blur ÷ 2 (Matte's blur = blur × 5).
//   - brightness, contrast, saturation: -100 to 100, Matte's (imgix's)
//     bri, con and sat.
//   - hue: 0 to 100, a turn of the colour wheel (33 is about a third):
//     hue × 3.6 degrees.
//   - sepia: 0 to 100, Matte's sepia.
//   - flip (upside down), flop (mirrored): true or false.
//   - gamma: only 0 (Bunny publishes no curve for its -100 to 100 scale).
//   - optimizer: image (Bunny's hint that the path is an image; no
//     transform of its own).
//
// Each parameter is given once and never empty; a bad value is a 400
// naming it. Bunny's tint, auto_optimize and class (image classes set in
// Bunny's dashboard) are a 400 naming them, as is crop_gravity without
// crop=W,H, face_crop with crop or focus_crop, and aspect_ratio with any
// of the three.
package bunny

import (
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// maxSide bounds widths, heights and crop areas (Matte's own limits
// apply after it).
const maxSide = pathurl.MaxDimension

// Dialect is Bunny Optimizer's query form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "bunny".
func (Dialect) Name() string { return "bunny" }

// FaceCropPad is face_crop=true's padding, Matte's choice where Bunny
// publishes none: the faces' box twice its size (a head and a little of
// the shoulders for one face), as Tailwind UI's avatars ask imgix with
// facepad=2.
const FaceCropPad = 2.0

// names lists Bunny's parameters in the order they are read and reported;
// a query with any of them is claimed.
var names = []string{
	"width", "height", "upscaling", "aspect_ratio", "crop", "crop_gravity", "focus_crop", "face_crop",
	"quality", "format", "output", "sharpen", "blur", "brightness", "contrast", "saturation", "hue",
	"sepia", "gamma", "flip", "flop", "tint", "auto_optimize", "class", "optimizer",
}

// allowed completes "<name> must be ..."; "" marks a parameter Matte
// refuses whatever its value (refused says why).
var allowed = map[string]string{
	"width":        "an integer from 1 to 100000",
	"height":       "an integer from 1 to 100000",
	"upscaling":    "off or resampling",
	"aspect_ratio": "W:H, two numbers above 0 (16:9), or auto",
	"crop":         "W,H or W,H,X,Y in pixels",
	"face_crop":    "true, false, or W,H in pixels (the area centred on the faces found)",
	"crop_gravity": "one of center, north, south, east, west, northeast, northwest, southeast, southwest",
	"focus_crop":   "W,H,X,Y with W and H in pixels and X and Y decimals from 0 to 1",
	"quality":      "an integer from 1 to 100",
	"format":       "one of webp, jpeg, png, gif, avif",
	"output":       "one of webp, jpeg, png, gif, avif",
	"sharpen":      "true or false",
	"blur":         "an integer from 0 to 100",
	"brightness":   "an integer from -100 to 100",
	"contrast":     "an integer from -100 to 100",
	"saturation":   "an integer from -100 to 100",
	"hue":          "an integer from 0 to 100",
	"sepia":        "an integer from 0 to 100",
	"gamma":        "0 (Bunny publishes no curve for other values)",
	"flip":         "true or false",
	"flop":         "true or false",
	"optimizer":    "image",
}

// refused says why Matte cannot do a Bunny parameter.
var refused = map[string]string{
	"tint":          "tint (Bunny's subtractive tint) is not a Bunny option Matte supports.",
	"auto_optimize": "auto_optimize (Bunny's unpublished optimisation levels) is not a Bunny option Matte supports; give quality.",
	"class":         "class (an image class set in Bunny's dashboard) is not a Bunny option Matte supports; write its parameters in the URL.",
}

func isParam(name string) bool { return allowed[name] != "" || refused[name] != "" }

// gravities maps crop_gravity onto Matte's anchors.
var gravities = map[string]params.Crop{
	"center": params.CropCenter, "north": params.CropTop, "south": params.CropBottom,
	"east": params.CropRight, "west": params.CropLeft, "northeast": params.CropTopRight,
	"northwest": params.CropTopLeft, "southeast": params.CropBottomRight, "southwest": params.CropBottomLeft,
}

// formats maps format (and output) onto Matte's.
var formats = map[string]params.Format{
	"webp": params.FormatWebP, "jpeg": params.FormatJPEG, "png": params.FormatPNG,
	"gif": params.FormatGIF, "avif": params.FormatAVIF,
}

// Parse claims u when its query holds a Bunny parameter.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	var errs urlform.Errors
	q, src, query, claimed := errs.OnAnyPath(u, names, isParam)
	if !claimed {
		return dialect.ImageURL{}, false, nil
	}
	out := dialect.ImageURL{Source: src, Query: query}

	var p params.Params
	var ratio float64
	upscale, cropWH := false, false
	gravity, gravitySet := params.CropCenter, false
	for _, name := range names {
		if why := refused[name]; why != "" {
			if q.Has(name) {
				errs.Add(name, why)
			}
			continue
		}
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func() { errs.Invalid(name, v, allowed[name], nil) }
		var err error
		switch name {
		case "width":
			p.Width, err = params.ParseInt(v, 1, maxSide)
		case "height":
			p.Height, err = params.ParseInt(v, 1, maxSide)
		case "upscaling":
			upscale = v == "resampling"
			if v != "off" && v != "resampling" {
				bad()
			}
		case "aspect_ratio":
			// "Default value: auto" (Bunny's Cropping reference): the
			// source's own ratio, as if the parameter were absent.
			if v != "auto" {
				ratio, err = params.ParseRatio(v, ":", maxSide)
			}
		case "crop":
			var n []int
			if n, err = ints(v, 2, 4); err == nil {
				if len(n) == 2 {
					cropWH = true
					p.Region = params.Region{W: n[0], H: n[1]}
				} else {
					p.Rect = params.Rect{X: n[2], Y: n[3], W: n[0], H: n[1]}
				}
			}
		case "crop_gravity":
			gravity, gravitySet = gravities[v], true
			if _, ok := gravities[v]; !ok {
				bad()
			}
		case "face_crop":
			switch v {
			case "true":
				p.Faces.Frame, p.Faces.Pad = true, FaceCropPad
			case "false":
			default:
				var n []int
				if n, err = ints(v, 2, 2); err == nil {
					p.Region, p.Faces.Place = params.Region{W: n[0], H: n[1]}, true
				}
			}
		case "focus_crop":
			if r, ok := focusCrop(v); ok {
				p.Region = r
			} else {
				bad()
			}
		case "quality":
			p.Quality, err = params.ParseInt(v, 1, 100)
			if v == "0" {
				errs.Add(name, "quality=0 is not valid; Matte's quality starts at 1, so quality must be "+allowed[name]+".")
			}
		case "format", "output":
			f, ok := formats[v]
			switch {
			case !ok:
				bad()
			case name == "output" && q.Has("format"):
				errs.Add(name, "output is format's older name; give format or output, not both.")
			default:
				p.Format = f
			}
		case "sharpen", "flip", "flop":
			on := v == "true"
			if v != "true" && v != "false" {
				bad()
			}
			switch {
			case !on:
			case name == "sharpen":
				p.Sharpen = 50
			case name == "flip":
				p.Flip |= params.FlipV
			default:
				p.Flip |= params.FlipH
			}
		case "blur":
			var n int
			n, err = params.ParseInt(v, 0, 100)
			p.Blur = n * 5
		case "brightness":
			p.Brightness, err = params.ParseSignedInt(v, -100, 100)
		case "contrast":
			p.Contrast, err = params.ParseSignedInt(v, -100, 100)
		case "saturation":
			p.Saturation, err = params.ParseSignedInt(v, -100, 100)
		case "hue":
			var n int
			n, err = params.ParseInt(v, 0, 100)
			p.Hue = int(math.Round(float64(n)*3.6)) % 360
		case "sepia":
			p.Sepia, err = params.ParseInt(v, 0, 100)
		case "gamma":
			_, err = params.ParseSignedInt(v, 0, 0)
		case "optimizer":
			if v != "image" {
				bad()
			}
		}
		if err != nil {
			bad()
		}
	}
	switch {
	case gravitySet && !cropWH && !errs.Has("crop"):
		errs.Add("crop_gravity", "crop_gravity places crop=W,H only; give crop=W,H with it, or leave it out.")
	case gravitySet:
		p.Region.Anchor = gravity
	}
	if q.Has("crop") && q.Has("focus_crop") {
		errs.Add("focus_crop", "crop and focus_crop each cut an area; give one of them.")
	}
	if q.Has("face_crop") && (q.Has("crop") || q.Has("focus_crop")) {
		errs.Add("face_crop", "face_crop cuts an area as crop and focus_crop do; give one of them.")
	}
	if ratio != 0 && (q.Has("crop") || q.Has("focus_crop") || q.Has("face_crop")) {
		errs.Add("aspect_ratio", "aspect_ratio crops the image as crop and focus_crop do; give one of them.")
	}
	if errs.Err() == nil && !resize(&p, ratio, upscale) {
		errs.Add("aspect_ratio", fmt.Sprintf("aspect_ratio=%s with that width or height asks for a side above %d pixels.", params.QuoteShort(q.Get("aspect_ratio")), maxSide))
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Params = p
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop" // for an error about the region (it starts past the source)
	}
	return out, true, nil
}

// resize sets p's box and fit from width, height (in p), aspect_ratio and
// upscaling; false when the ratio makes a side longer than maxSide.
func resize(p *params.Params, ratio float64, upscale bool) bool {
	w, h := p.Width, p.Height
	switch {
	case ratio != 0 && w == 0 && h == 0:
		p.AspectRatio, p.Fit = ratio, params.FitCrop
	case ratio != 0:
		// The centred W:H area fitted to the sides given: the box of
		// that ratio inside width x height (one side: the other from it).
		fw, fh := float64(w), float64(h)
		switch {
		case h == 0 || w != 0 && fw/fh <= ratio:
			fh = math.Max(1, math.Round(fw/ratio))
		default:
			fw = math.Max(1, math.Round(fh*ratio))
		}
		if fw > maxSide || fh > maxSide {
			return false
		}
		p.Width, p.Height = int(fw), int(fh)
		p.Fit = params.FitCrop.Enlarging(upscale)
	case w != 0 || h != 0:
		p.Fit = params.FitClip.Enlarging(upscale)
	}
	return true
}

// ints reads a comma-separated list of lo to hi integers: the first two
// sides from 1 to maxSide, the rest offsets from 0 to maxSide.
func ints(v string, lo, hi int) ([]int, error) {
	parts := strings.Split(v, ",")
	if len(parts) != lo && len(parts) != hi {
		return nil, params.ErrSyntax
	}
	out := make([]int, len(parts))
	for i, s := range parts {
		least := 1
		if i >= 2 {
			least = 0
		}
		n, err := params.ParseInt(s, least, maxSide)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// focusCrop reads focus_crop's W,H,X,Y with X and Y fractions of the
// image (decimals with a ".", 0 to 1).
func focusCrop(v string) (params.Region, bool) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return params.Region{}, false
	}
	wh, err := ints(strings.Join(parts[:2], ","), 2, 2)
	if err != nil {
		return params.Region{}, false
	}
	var xy [2]float64
	for i, s := range parts[2:] {
		if !strings.Contains(s, ".") {
			return params.Region{}, false
		}
		if xy[i], err = params.ParseDecimalIn(s, 0, 1); err != nil || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
			return params.Region{}, false
		}
	}
	return params.Region{W: wh[0], H: wh[1], Focus: params.Focus{X: xy[0], Y: xy[1], Set: true}}, true
}
