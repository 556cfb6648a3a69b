// Package scene7 reads Adobe Dynamic Media (Scene7) Image Serving URLs,
// /is/image/<company>/<image>?wid=&hei=&fit=&fmt=&qlt=&bgc=&crop=&flip=,
// which AEM's and unpic's scene7 providers write (unpic adds fit=crop,0),
// so that a site moving off s7d1.scene7.com keeps its image URLs with only
// the hostname changed.
//
// A URL is this dialect's when its path starts with /is/image/; the source
// is that path (/is/image/<company>/<image>: the image's id, without an
// extension) on this site. Command names are read case-insensitively, as
// Image Serving does; a query parameter that is not an Image Serving
// command goes with the source.
//
// Commands, as Adobe's Image Serving HTTP protocol reference documents
// them:
//
//   - wid, hei: integers from 1 to 100000.
//   - fit=<mode>[,<upscale>] (with both wid and hei; with one side the
//     aspect ratio is kept): fit (fitted and padded to the box with bgc),
//     constrain (fitted inside the box), crop (covers the box, cropped at
//     align), wrap (covers the box, not cropped), stretch (stretched to the
//     box). upscale 1 (default) enlarges a smaller image, 0 does not: fit,0
//     pads it at its own size, constrain,0 and wrap,0 keep it, crop,0 cuts
//     it to the box's ratio at its own size (Image Serving pads it to the
//     box instead), stretch,0 is a 400. Without fit, wid and hei together
//     are fit's padded box.
//   - align=<x>,<y>: -1, 0 or 1 each (left/top, centre, right/bottom): where
//     crop's crop is taken.
//   - fmt=<format>[,rgb[,<compression>]]: jpeg, jpg, pjpeg (progressive),
//     png, png-alpha, png8 (8-bit palette), png8-alpha, webp, webp-alpha,
//     avif, avif-alpha, gif, gif-alpha; compression lossy or lossless for
//     webp and avif. A format without -alpha is flattened onto bgc (white
//     by default), as Image Serving fills transparency with its background.
//     Without fmt the answer is the source's format (Image Serving's
//     catalog default, usually JPEG, is not known to Matte).
//   - qlt=<quality>[,<chroma>]: quality 1-100; chroma 1 turns chroma
//     downsampling off (4:4:4), 0 leaves it on.
//   - bgc: hex RRGGBB (0x optional): transparent areas and padding.
//   - crop=<x>,<y>,<w>,<h>: that area in source pixels, x and y from 0, w
//     and h from 1 (an area reaching past the image is cut at its edges).
//   - flip=lr|ud|lrud|none: mirrored left to right, upside down, both.
//   - op_sharpen=0 (1 is a 400: Adobe publishes no strength).
//   - resMode=bilin|bicub|sharp2: the resampling kernel (linear, cubic,
//     Lanczos 3).
//
// A preset ($name$: defined in the Scene7 account, unknown to Matte), and
// the other Image Serving commands (rotate, scl, rect, cropN, op_usm and the
// other op_ commands, layers, req, ...) are 400s naming them, as is a bad
// value and a command given twice.
package scene7

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefix starts every path the dialect claims.
const Prefix = "/is/image/"

// Dialect is Image Serving's URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "scene7".
func (Dialect) Name() string { return "scene7" }

// names lists the commands Matte reads, lower-cased, in the order they
// are read and reported.
var names = []string{"wid", "hei", "fit", "align", "fmt", "qlt", "bgc", "crop", "flip", "op_sharpen", "resmode"}

// allowed completes "<command> must be ...".
var allowed = map[string]string{
	"wid":        "an integer from 1 to 100000",
	"hei":        "an integer from 1 to 100000",
	"fit":        "fit, constrain, crop, wrap or stretch, then optionally ,0 or ,1 (upscale)",
	"align":      "<x>,<y>, each -1, 0 or 1",
	"fmt":        "jpeg, jpg, pjpeg, png, png-alpha, png8, png8-alpha, webp, webp-alpha, avif, avif-alpha, gif or gif-alpha, then optionally ,rgb and (webp, avif) ,lossy or ,lossless",
	"qlt":        "an integer from 1 to 100, then optionally ,0 or ,1 (chroma downsampling off)",
	"bgc":        "a hex colour RRGGBB (0x optional)",
	"crop":       "<x>,<y>,<w>,<h> in pixels (x, y from 0; w, h from 1)",
	"flip":       "lr, ud, lrud or none",
	"op_sharpen": "0 (Adobe publishes no strength for 1)",
	"resmode":    "bilin, bicub or sharp2",
}

// refused are the Image Serving commands Matte lacks.
var refused = map[string]bool{
	"rotate": true, "scl": true, "rect": true, "cropn": true, "req": true, "layer": true, "src": true,
	"size": true, "pos": true, "extend": true, "anchor": true, "scale": true, "icc": true, "iccembed": true,
	"quantize": true, "printres": true, "template": true, "dpr": true, "mask": true, "clipxpath": true,
	"color": true, "text": true, "textps": true, "textattr": true, "effect": true, "opac": true, "origin": true,
	"perspective": true, "sharpen": true, "maskuse": true, "pathemb": true, "xmpemb": true, "iptcemb": true,
}

// formats maps fmt's format to Matte's format and variant; alpha says
// whether it keeps transparency.
var formats = map[string]struct {
	f     params.Format
	v     params.Variant
	alpha bool
}{
	"jpeg": {params.FormatJPEG, 0, false}, "jpg": {params.FormatJPEG, 0, false},
	"pjpeg": {params.FormatJPEG, params.VariantProgressive, false},
	"png":   {params.FormatPNG, 0, false}, "png-alpha": {params.FormatPNG, 0, true},
	"png8": {params.FormatPNG, params.VariantPalette, false}, "png8-alpha": {params.FormatPNG, params.VariantPalette, true},
	"webp": {params.FormatWebP, 0, false}, "webp-alpha": {params.FormatWebP, 0, true},
	"avif": {params.FormatAVIF, 0, false}, "avif-alpha": {params.FormatAVIF, 0, true},
	"gif": {params.FormatGIF, 0, false}, "gif-alpha": {params.FormatGIF, 0, true},
}

var white = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}

// Parse claims u when its path starts with /is/image/.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	rest, ok := strings.CutPrefix(u.Path, Prefix)
	if !ok {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	if company, image, _ := strings.Cut(rest, "/"); company == "" || image == "" || strings.HasSuffix(image, "/") {
		errs.Add("path", fmt.Sprintf("%s names no image; write %s<company>/<image>.", params.QuoteShort(u.Path), Prefix))
	} else if src, err := pathurl.Local(u.Path, "path"); err != nil {
		errs.Add("path", params.AsErrors(err)[0].Detail)
	} else {
		out.Source = src
		out.Query = urlform.Without(u.RawQuery, func(name string) bool { return isCommand(name) })
	}

	raw, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	q := url.Values{}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		vals, lower := raw[name], strings.ToLower(name)
		switch {
		case strings.HasPrefix(name, "$") && strings.HasSuffix(name, "$") && len(name) > 1:
			errs.Add(name, fmt.Sprintf("%s is a Scene7 preset, defined in the Scene7 account: Matte does not know it; write its commands in the URL.", params.QuoteShort(name)))
		case refused[lower] || strings.HasPrefix(lower, "op_") && lower != "op_sharpen":
			errs.Add(name, fmt.Sprintf("%s is not an Image Serving command Matte supports (wid, hei, fit, align, fmt, qlt, bgc, crop, flip, op_sharpen=0, resMode).", params.QuoteShort(name)))
		case allowed[lower] != "":
			q[lower] = append(q[lower], vals...)
		}
	}

	var p params.Params
	fit, upscale, alpha, sawFmt := "", true, false, false
	align := params.CropCenter
	for _, name := range names {
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func() { errs.Invalid(name, v, allowed[name], nil) }
		args := strings.Split(v, ",")
		switch name {
		case "wid", "hei":
			n, err := params.ParseInt(v, 1, pathurl.MaxDimension)
			if err != nil {
				bad()
			}
			if name == "wid" {
				p.Width = n
			} else {
				p.Height = n
			}
		case "fit":
			if len(args) > 2 || !map[string]bool{"fit": true, "constrain": true, "crop": true, "wrap": true, "stretch": true}[args[0]] {
				bad()
				continue
			}
			fit = args[0]
			if len(args) == 2 {
				switch args[1] {
				case "0":
					upscale = false
				case "1":
				default:
					bad()
				}
			}
		case "align":
			xy, ok := alignment(args)
			if !ok {
				bad()
			}
			align = xy
		case "fmt":
			f, ok := formats[args[0]]
			if !ok || len(args) > 3 || len(args) > 1 && args[1] != "rgb" && args[1] != "" {
				bad()
				continue
			}
			if len(args) == 3 {
				switch {
				case args[2] == "lossless" && (f.f == params.FormatWebP || f.f == params.FormatAVIF):
					p.Lossless = true
				case args[2] == "lossy" && (f.f == params.FormatWebP || f.f == params.FormatAVIF):
				default:
					bad()
				}
			}
			p.Format, p.Variant, alpha, sawFmt = f.f, f.v, f.alpha, true
		case "qlt":
			if len(args) > 2 {
				bad()
				continue
			}
			n, err := params.ParseInt(args[0], 1, 100)
			if err != nil {
				bad()
			}
			p.Quality = n
			if len(args) == 2 {
				switch args[1] {
				case "1":
					p.Chroma = 444
				case "0":
				default:
					bad()
				}
			}
		case "bgc":
			h := strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X")
			c, err := params.ParseColor(h)
			if err != nil || len(h) != 6 || strings.HasPrefix(h, "#") {
				bad()
			}
			p.Background = c
		case "crop":
			var d [4]int
			okAll := len(args) == 4
			for i := 0; okAll && i < 4; i++ {
				lo := 0
				if i >= 2 {
					lo = 1
				}
				n, err := params.ParseInt(args[i], lo, pathurl.MaxDimension)
				okAll = err == nil
				d[i] = n
			}
			if !okAll {
				bad()
				continue
			}
			p.Rect = params.Rect{X: d[0], Y: d[1], W: d[2], H: d[3]}
		case "flip":
			switch v {
			case "lr":
				p.Flip = params.FlipH
			case "ud":
				p.Flip = params.FlipV
			case "lrud":
				p.Flip = params.FlipHV
			case "none":
			default:
				bad()
			}
		case "op_sharpen":
			if v != "0" {
				bad()
			}
		case "resmode":
			switch v {
			case "bilin":
				p.Kernel = params.KernelLinear
			case "bicub":
				p.Kernel = params.KernelCubic
			case "sharp2":
			default:
				bad()
			}
		}
	}
	if fit == "stretch" && !upscale {
		errs.Add("fit", "fit=stretch,0 is not supported: Matte cannot stretch an image to a box without enlarging it. Use constrain,0 or crop,0.")
	}
	if align != params.CropCenter && fit != "crop" {
		errs.Add("align", "align places crop's crop only (fit=crop); Matte centres the other fits.")
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	if p.Width != 0 && p.Height != 0 {
		switch fit {
		case "", "fit":
			p.Fit = params.FitFill
			if !upscale {
				p.Fit = params.FitFillMax
			}
		case "constrain":
			if !upscale {
				p.Fit = params.FitMax
			}
		case "crop":
			p.Fit, p.Crop = params.FitCrop, align
			if !upscale {
				p.Fit = params.FitMin
			}
		case "wrap":
			p.Fit = params.FitOutside
			if !upscale {
				p.Fit = params.FitOutsideMax
			}
		case "stretch":
			p.Fit = params.FitScale
		}
	} else if (p.Width != 0 || p.Height != 0) && !upscale {
		p.Fit = params.FitMax
	}
	if sawFmt && !alpha && !p.Background.Set {
		p.Background = white
	}
	out.Params = p
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop" // for an error about the region (it starts past the source)
	}
	return out, true, nil
}

// isCommand reports whether a query name is one the dialect reads or
// refuses (not the source's).
func isCommand(name string) bool {
	lower := strings.ToLower(name)
	return allowed[lower] != "" || refused[lower] || strings.HasPrefix(lower, "op_") ||
		strings.HasPrefix(name, "$") && strings.HasSuffix(name, "$") && len(name) > 1
}

// alignment reads align's x,y, each -1, 0 or 1.
func alignment(args []string) (params.Crop, bool) {
	if len(args) != 2 {
		return 0, false
	}
	idx := map[string]int{"-1": 0, "0": 1, "1": 2}
	x, ok := idx[args[0]]
	y, ok2 := idx[args[1]]
	if !ok || !ok2 {
		return 0, false
	}
	return pathurl.AnchorAt(y, x), true
}
