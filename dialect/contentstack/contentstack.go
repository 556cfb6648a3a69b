// Package contentstack reads Contentstack's Image Delivery API URLs,
// /v3/assets/<api_key>/<asset_uid>/<version_uid>/<file_name>?width=&height=&fit=...,
// which Contentstack's SDKs and unpic's contentstack provider write, so that
// a site moving off images.contentstack.io keeps its image URLs with only
// the hostname changed.
//
// A URL is this dialect's when its path starts with /v3/assets/; the source
// is that path on this site (a file_server whose root holds the stack's
// assets under those paths, or a reverse_proxy to them). A query parameter
// that is not an image option below (Contentstack's environment, a cache
// buster) goes with the source.
//
// Options, as Contentstack documents them (contentstack.com/docs, Image
// Delivery API):
//
//   - width, height: pixels from 1 to 8192, or a part of the image's side
//     (0.5, or 50p: below 100%). One side keeps the aspect ratio; both
//     without fit stretch the image to the box, as Contentstack does.
//     Contentstack enlarges a smaller image; disable=upscale never does.
//   - fit (with both sides): bounds (fitted inside the box), crop (covers
//     the box, centred crop), cover (the same: Contentstack's Fit Mode page
//     says cover "resizes the image (shrinks or enlarges) to fill the
//     entire area defined by the width and height parameters. If the
//     image's aspect ratio differs from the specified dimensions, it will
//     be cropped centrally to fit", unlike Fastly IO's uncropped cover).
//   - disable=upscale: never larger than the image (with both sides and no
//     fit, a 400: Matte cannot stretch without enlarging).
//   - crop: W,H (pixels or parts of the side, 100p the whole side: that
//     area, centred, cut first), W,H,xX,yY (pixels: that area from its top-left corner) or W:H
//     (the largest centred area of that ratio, with at most one of width and
//     height). Its offset-x/offset-y, safe and smart forms are a 400.
//   - trim: pixels cut off top,right,bottom,left (CSS's 1-4 value
//     shorthand), before resizing; not with crop.
//   - pad: pixels added top,right,bottom,left (the shorthand), filled with
//     bg-color.
//   - bg-color: hex RGB or RRGGBB, r,g,b (0-255) or r,g,b,a (a 0-1).
//   - orient: 1-8, applied to the image as shown (its EXIF orientation
//     already applied): 2 flip horizontally, 3 both ways, 4 vertically, 5
//     flip horizontally and turn left, 6 turn right, 7 flip horizontally
//     and turn right, 8 turn left.
//   - dpr: 1 to 5 (Contentstack takes more), multiplying width and height;
//     without either it changes nothing.
//   - resize-filter: nearest, bilinear, bicubic, lanczos2, lanczos3.
//   - quality: 1-100.
//   - format: jpg, pjpg (progressive), png, gif, webp, webply (lossy WebP),
//     webpll (lossless WebP), avif, auto (AVIF or WebP by the Accept
//     header). Without it the image keeps its format.
//   - auto=webp, auto=avif: the format is picked by the Accept header:
//     Matte answers AVIF where the browser takes it, then WebP, for either
//     (Contentstack offers the one named). With format, format wins
//     (Contentstack answers the auto format to a browser that takes it).
//   - blur: 1 to 200, the Gaussian's sigma in pixels (Contentstack takes up
//     to 1000).
//   - saturation, contrast, brightness: -100 to 100 (decimals rounded to
//     the nearest whole step, the finest Matte's scale has), read on imgix's
//     scale as Matte's sat, con and bri.
//   - frame=1: the first frame of an animation.
//
// sharpen, canvas and the overlay options are a 400 naming them, as are
// trim's and pad's percentages (Matte reads pixels only). Each
// option is given once and never empty; a bad value is a 400 naming it; a
// path that names no asset is a 400 on path.
package contentstack

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefix starts every asset path the dialect claims.
const Prefix = "/v3/assets/"

// maxSide is Contentstack's size limit; maxBlur the largest blur Matte
// reads (its Blur of 2000, sigma 200); maxPad bounds trim and pad.
const (
	maxSide = 8192
	maxBlur = 200
	maxPad  = 10000
)

// Dialect is Contentstack's Image Delivery URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "contentstack".
func (Dialect) Name() string { return "contentstack" }

// names lists the options in the order they are read and reported.
var names = []string{"width", "height", "fit", "disable", "crop", "trim", "pad", "bg-color", "orient", "dpr",
	"resize-filter", "quality", "format", "auto", "blur", "saturation", "contrast", "brightness", "frame"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"width":         "pixels from 1 to 8192, or a part of the image's width (0.5, or 50p, below 100%)",
	"height":        "pixels from 1 to 8192, or a part of the image's height (0.5, or 50p, below 100%)",
	"fit":           "one of bounds, crop, cover",
	"disable":       "upscale",
	"crop":          "W,H (pixels or parts of the side, 100p the whole side), W,H,xX,yY (pixels) or W:H",
	"trim":          "1 to 4 comma-separated pixel counts (top,right,bottom,left), each from 0 to 10000",
	"pad":           "1 to 4 comma-separated pixel counts (top,right,bottom,left), each from 0 to 10000",
	"bg-color":      "a hex colour RGB or RRGGBB, r,g,b (0-255) or r,g,b,a (alpha 0-1)",
	"orient":        "an integer from 1 to 8",
	"dpr":           "a number from 1 to 5",
	"resize-filter": "one of nearest, bilinear, bicubic, lanczos2, lanczos3",
	"quality":       "an integer from 1 to 100",
	"format":        "one of jpg, pjpg, png, gif, webp, webply, webpll, avif, auto",
	"auto":          "webp or avif",
	"blur":          "a number from 1 to 200",
	"saturation":    "a number from -100 to 100",
	"contrast":      "a number from -100 to 100",
	"brightness":    "a number from -100 to 100",
	"frame":         "1 (the first frame)",
}

// refused are the options Contentstack documents that Matte does not read.
var refused = []string{"sharpen", "canvas", "overlay", "overlay-align", "overlay-repeat", "overlay-width", "overlay-height", "overlay-pad"}

// known reports whether name is one of Contentstack's image options.
func known(name string) bool {
	return allowed[name] != "" || slices.Contains(refused, name)
}

var formats = map[string]params.Format{
	"jpg": params.FormatJPEG, "pjpg": params.FormatJPEG, "png": params.FormatPNG, "gif": params.FormatGIF,
	"webp": params.FormatWebP, "webply": params.FormatWebP, "webpll": params.FormatWebP, "avif": params.FormatAVIF,
}

var kernels = map[string]params.Kernel{
	"nearest": params.KernelNearest, "bilinear": params.KernelLinear, "bicubic": params.KernelCubic,
	"lanczos2": params.KernelLanczos2, "lanczos3": params.KernelDefault,
}

// orients maps orient to Matte's clockwise turn and the flip after it.
var orients = [9]struct {
	rotate float64
	flip   params.Flip
}{2: {0, params.FlipH}, 3: {180, params.FlipNone}, 4: {0, params.FlipV}, 5: {90, params.FlipH}, 6: {90, params.FlipNone}, 7: {270, params.FlipH}, 8: {270, params.FlipNone}}

// Parse claims u when its path starts with /v3/assets/.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	rest, ok := strings.CutPrefix(u.Path, Prefix)
	if !ok {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	if strings.Count(rest, "/") < 2 || strings.HasSuffix(rest, "/") {
		errs.Add("path", fmt.Sprintf("%s names no asset; write %s<api_key>/<asset_uid>/<version_uid>/<file_name>.", params.QuoteShort(u.Path), Prefix))
	} else if src, err := pathurl.Local(u.Path, "path"); err != nil {
		errs.Add("path", params.AsErrors(err)[0].Detail)
	} else {
		out.Source = src
		out.Query = urlform.Without(u.RawQuery, known)
	}

	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	for _, name := range refused {
		if q.Has(name) {
			errs.Add(name, fmt.Sprintf("%s is not a Contentstack option Matte supports.", name))
		}
	}
	var p params.Params
	fit, noUpscale, cropRatio := "", false, 0.0
	for _, name := range names {
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func(why error) { errs.Invalid(name, v, allowed[name], why) }
		switch name {
		case "width", "height":
			px, frac, err := side(v)
			if err != nil {
				bad(err)
			}
			if name == "width" {
				p.Width, p.WidthRatio = px, frac
			} else {
				p.Height, p.HeightRatio = px, frac
			}
		case "fit":
			if v != "bounds" && v != "crop" && v != "cover" {
				bad(nil)
			}
			fit = v
		case "disable":
			if v != "upscale" {
				bad(nil)
			}
			noUpscale = true
		case "crop":
			r, err := readCrop(v, &p)
			if err != nil {
				bad(err)
			}
			cropRatio = r
		case "trim", "pad":
			s, err := readSides(v)
			if err != nil {
				bad(err)
			}
			if name == "pad" {
				p.SetPadding(s)
			} else if q.Has("crop") {
				errs.Add(name, "trim and crop cannot be given together; give one of them.")
			} else {
				p.Region.Cut = s
			}
		case "bg-color":
			c, err := readColor(v)
			if err != nil {
				bad(err)
			}
			p.Background = c
		case "orient":
			n, err := params.ParseInt(v, 1, 8)
			if err != nil {
				bad(nil)
			}
			p.Rotate, p.Flip = orients[n].rotate, orients[n].flip
		case "dpr":
			d, err := pathurl.DPR(v)
			if err != nil {
				bad(nil)
			}
			p.DPR = d
		case "resize-filter":
			k, ok := kernels[v]
			if !ok {
				bad(nil)
			}
			p.Kernel = k
		case "quality":
			n, err := params.ParseInt(v, 1, 100)
			if err != nil {
				bad(nil)
			}
			p.Quality = n
		case "format":
			if v == "auto" {
				p.AutoFormat = true
				break
			}
			f, ok := formats[v]
			if !ok {
				bad(nil)
			}
			p.Format = f
			switch v {
			case "pjpg":
				p.Variant = params.VariantProgressive
			case "webpll":
				p.Lossless = true
			}
		case "auto":
			if v != "webp" && v != "avif" {
				bad(nil)
			}
			p.AutoFormat = true
		case "blur":
			f, err := params.ParseDecimalIn(v, 1, maxBlur)
			if err != nil {
				bad(nil)
			}
			p.Blur = int(f*10 + 0.5)
		case "saturation", "contrast", "brightness":
			f, err := params.ParseDecimalIn(v, -100, 100)
			if err != nil {
				bad(nil)
			}
			n := int(math.Round(f))
			switch name {
			case "saturation":
				p.Saturation = n
			case "contrast":
				p.Contrast = n
			default:
				p.Brightness = n
			}
		case "frame":
			if v != "1" {
				bad(nil)
			}
			p.Frames = params.FramesFirst
		}
	}
	hasW, hasH := p.Width != 0 || p.WidthRatio != 0, p.Height != 0 || p.HeightRatio != 0
	switch {
	case cropRatio != 0 && hasW && hasH:
		errs.Add("crop", "crop=W:H reads at most one of width and height (the other follows the ratio); leave one out, or crop by W,H.")
	case cropRatio == 0 && hasW && hasH && fit == "" && noUpscale && !errs.Has("width") && !errs.Has("height"):
		errs.Add("disable", "With width and height and no fit the image is stretched to the box, which may enlarge it; give fit=bounds, crop or cover with disable=upscale.")
	}
	if cropRatio != 0 && !(hasW && hasH) {
		// The other side follows the ratio: pixels from pixels, else
		// Matte's AspectRatio.
		switch {
		case p.Width != 0:
			p.Height = max(1, int(float64(p.Width)/cropRatio+0.5))
		case p.Height != 0:
			p.Width = max(1, int(float64(p.Height)*cropRatio+0.5))
		default:
			p.AspectRatio = cropRatio
		}
		if p.Width > maxSide || p.Height > maxSide {
			errs.Add("crop", fmt.Sprintf("crop=%s makes the other side larger than 8192 pixels.", params.QuoteShort(q.Get("crop"))))
		}
	}
	if p.Format != params.FormatSource {
		p.AutoFormat = false // format wins over auto=webp and auto
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	switch {
	case cropRatio != 0:
		p.Fit = params.FitCrop.Enlarging(!noUpscale)
	case hasW && hasH && fit == "":
		p.Fit = params.FitScale
	case hasW && hasH && (fit == "crop" || fit == "cover"):
		p.Fit = params.FitCrop.Enlarging(!noUpscale)
	case hasW || hasH:
		p.Fit = params.FitClip.Enlarging(!noUpscale)
	}
	if !hasW && !hasH {
		p.DPR = 0
	}
	out.Params = p
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop" // for an error about the region (it starts past the source)
	}
	if out.Params.PadSides() != (params.Sides{}) {
		out.PadField = "pad" // for an error about the padded size
	}
	return out, true, nil
}

// side reads a width or height: pixels, a fraction with a ".", or a
// percentage below 100 with a trailing p.
func side(v string) (int, float64, error) {
	if pc, ok := strings.CutSuffix(v, "p"); ok {
		f, err := params.ParsePercentFraction(pc, 0, 100)
		if err != nil || f <= 0 || f >= 1 {
			return 0, 0, fmt.Errorf("Matte reads a percentage above 0 and below 100")
		}
		return 0, f, nil
	}
	return params.ParseSide(v, maxSide)
}

// cropSide is side, or 100p: the whole side (0).
func cropSide(v string) (int, float64, error) {
	if v == "100p" {
		return 0, 0, nil
	}
	return side(v)
}

// readCrop reads crop into p's Region or Rect and returns the aspect ratio
// of its W:H form (0 for the others).
func readCrop(v string, p *params.Params) (float64, error) {
	if strings.Contains(v, ":") {
		return params.ParseRatio(v, ":", maxSide)
	}
	parts := strings.Split(v, ",")
	switch {
	case len(parts) == 2:
		w, wf, werr := cropSide(parts[0])
		h, hf, herr := cropSide(parts[1])
		if werr != nil || herr != nil {
			return 0, params.ErrSyntax
		}
		p.Region = params.Region{W: w, H: h, WRatio: wf, HRatio: hf}
		return 0, nil
	case len(parts) == 4 && strings.HasPrefix(parts[2], "x") && strings.HasPrefix(parts[3], "y"):
		w, werr := params.ParseInt(parts[0], 1, maxSide)
		h, herr := params.ParseInt(parts[1], 1, maxSide)
		x, xerr := params.ParseInt(parts[2][1:], 0, pathurl.MaxDimension)
		y, yerr := params.ParseInt(parts[3][1:], 0, pathurl.MaxDimension)
		if werr != nil || herr != nil || xerr != nil || yerr != nil {
			return 0, fmt.Errorf("Matte reads W,H,xX,yY in whole pixels only")
		}
		p.Rect = params.Rect{X: x, Y: y, W: w, H: h}
		return 0, nil
	case strings.Contains(v, "offset-") || strings.Contains(v, "safe") || strings.Contains(v, "smart"):
		return 0, fmt.Errorf("Matte does not read crop's offset-x, offset-y, safe or smart")
	}
	return 0, params.ErrSyntax
}

// readSides reads CSS's 1-4 value shorthand of pixel counts: one for all
// sides, then top and bottom with right and left, then top, right and left,
// bottom, then each of top, right, bottom, left.
func readSides(v string) (params.Sides, error) {
	n, ok := pathurl.Ints(v, ",", strings.Count(v, ",")+1, maxPad)
	if !ok || len(n) > 4 {
		return params.Sides{}, params.ErrSyntax
	}
	switch len(n) {
	case 1:
		n = append(n, n[0], n[0], n[0])
	case 2:
		n = append(n, n[0], n[1])
	case 3:
		n = append(n, n[1])
	}
	return params.Sides{Top: n[0], Right: n[1], Bottom: n[2], Left: n[3]}, nil
}

// readColor reads bg-color: hex RGB or RRGGBB (no #), or decimal r,g,b
// with an optional alpha from 0 to 1.
func readColor(v string) (params.Color, error) {
	parts := strings.Split(v, ",")
	switch len(parts) {
	case 1:
		if len(v) != 3 && len(v) != 6 || strings.Trim(v, "0123456789abcdefABCDEF") != "" {
			return params.Color{}, params.ErrSyntax
		}
		return params.ParseColor(v)
	case 3, 4:
		rgb, ok := pathurl.Ints(strings.Join(parts[:3], ","), ",", 3, 255)
		if !ok {
			return params.Color{}, params.ErrSyntax
		}
		a := 1.0
		if len(parts) == 4 {
			var err error
			if a, err = params.ParseDecimalIn(parts[3], 0, 1); err != nil {
				return params.Color{}, params.ErrSyntax
			}
		}
		if a == 0 {
			return params.Color{Set: true}, nil
		}
		return params.Color{R: uint8(rgb[0]), G: uint8(rgb[1]), B: uint8(rgb[2]), A: uint8(a*255 + 0.5), Set: true}, nil
	}
	return params.Color{}, params.ErrSyntax
}
