// Package wordpress reads the image query that WordPress.com, Jetpack's
// Site Accelerator (Photon) and WordPress VIP's file service answer on a
// site's uploads, /wp-content/uploads/<path>?w=&h=&crop=&resize=&fit=&lb=...
// (what Jetpack, VIP's image_resize and unpic's wordpress provider write),
// so that a site moving off WordPress's image service keeps its image URLs.
//
// A URL is this dialect's when its path starts with /wp-content/uploads/
// and its query has at least one of the options below; the source is the
// path on this site, with the rest of the query (Jetpack's ssl=1, a cache
// buster) sent along. WordPress.com's older /files/ paths are not claimed:
// the prefix is too common to read as WordPress's on every site.
//
// Photon applies the options in the order the URL gives them, and only the
// last of an option given twice (its PHP reads the query with parse_str:
// the last value, at the place of the first). Matte runs one pipeline in a
// fixed order (cut, resize, colours, kernel), so it takes the orders that
// give the same image and refuses the others by name:
//
//   - w, h: pixels (1-100000) or a percentage of the image (N%, 1-100),
//     never enlarging (fit=max). With both, the image fits inside w x h (the
//     smaller scale wins, as Photon's two steps give).
//   - fit=W,H: fit inside W x H, never enlarging (fit=max). w, h and fit
//     each bound the image and compose, in any order: VIP's
//     fit=500,500&w=400 fits inside 400x500 (a percentage w or h with fit
//     → 400).
//   - crop=1 with w and h in pixels (and no fit): the centre w x h, cut to
//     cover the box (unpic's crop=1; crop=0, and crop=1 otherwise, change
//     nothing).
//     crop=x,y,w,h: the region, all four in percentages of the image
//     (0-100) or all in pixels (Npx); it must come before any resize.
//   - resize=W,H: cover W x H and cut the centre (fit=crop; Photon enlarges
//     here, as Matte does).
//   - lb=W,H: fit inside W x H and pad it with black (fit=fillmax). Photon
//     leaves an image smaller than the box on both sides unpadded; Matte
//     pads it at its own size.
//     resize and lb come alone: with another sizing option → 400 (Matte
//     resizes once).
//   - zoom: Photon's 1, 1.5 or 2-10 (other values rounded up to those, below
//     1 read as 1) is Matte's dpr, up to 5 (above: 400). It multiplies w, h,
//     fit and resize, not lb or crop, as Photon's does. Photon lowers the
//     zoom of fit and resize until the box fits in the image; Matte keeps it
//     (fit never enlarges; resize's box is then enlarged).
//   - quality: 1-100.
//   - strip: info, color or all: what Matte does anyway (metadata stripped,
//     sRGB without a profile).
//   - filter: negate (invert), grayscale or greyscale (monochrome white:
//     each pixel its Rec. 709 luma, where GD weighs Rec. 601's 0.299, 0.587,
//     0.114), sepia (grey, then red +90, green +60, blue +40 as Photon's),
//     blurgaussian and
//     meanremoval (GD's 3x3 kernels, after the resize: they must come after
//     any resize in the URL). edgedetect and emboss (GD adds 127 to each
//     sample after their kernels; Matte's kernel has no offset) and
//     blurselective → 400.
//   - brightness: -255 to 255, added to red, green and blue; colorize=R,G,B:
//     each -255 to 255, added to its channel; contrast: -100 to 41 (GD's
//     factor ((100+c)/100)², up to the 2 Matte's contrast reaches). Matte
//     keeps the levels in steps of 2.55 and clamps once at the end where GD
//     clamps after each filter. A shift before contrast is scaled by it, one
//     after negate is negated, as Photon's order gives; colorize before
//     filter=grayscale or sepia → 400 (Matte greys first).
//   - smooth: 0-100, GD's smoothing kernel (the centre weighted by it),
//     after any resize as filter's kernels; not with blurgaussian or
//     meanremoval (Matte runs one kernel).
//   - ulb → 400: Photon cuts black rows off the top and bottom only, and
//     Matte's trim cuts every side.
//
// Each value is read strictly; a bad one is a 400 naming the option.
package wordpress

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefix starts every path the dialect claims.
const Prefix = "/wp-content/uploads/"

// Dialect is WordPress's uploads query. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "wordpress".
func (Dialect) Name() string { return "wordpress" }

// allowed completes "<name> must be ..." for every option.
var allowed = map[string]string{
	"w":          "pixels from 1 to 100000, or a percentage from 1% to 100%",
	"h":          "pixels from 1 to 100000, or a percentage from 1% to 100%",
	"crop":       "1, 0, or x,y,w,h all in percentages (0-100) or all in pixels (Npx)",
	"resize":     "width,height in pixels, each from 1 to 100000",
	"fit":        "width,height in pixels, each from 1 to 100000",
	"lb":         "width,height in pixels, each from 1 to 100000",
	"ulb":        "left out: Matte cannot cut black rows off the top and bottom only",
	"zoom":       "a number from 0 to 5 (Photon's zoom is Matte's dpr, which goes up to 5)",
	"quality":    "an integer from 1 to 100",
	"strip":      "one of info, color, all",
	"filter":     "one of negate, grayscale, greyscale, sepia, blurgaussian, meanremoval",
	"brightness": "an integer from -255 to 255",
	"contrast":   "an integer from -100 to 41 (Matte's contrast doubles at most, which is Photon's 41)",
	"colorize":   "red,green,blue, each an integer from -255 to 255",
	"smooth":     "a number from 0 to 100",
}

// sizing are the options that resize.
var sizing = []string{"w", "h", "resize", "fit", "lb"}

// option is one option at the place of its first occurrence. values
// counts the different values it was given: Photon (PHP) reads the last,
// Matte refuses more than one, as its other dialects refuse a parameter
// given twice; which one wins by place would otherwise make two images of
// one signed URL, whose signature covers the pairs, not their order.
type option struct {
	name, value string
	values      int
}

// options reads rawQuery's options in Photon's order; claimed is false when
// it has none.
func options(rawQuery string) (opts []option, claimed bool) {
	for part := range strings.SplitSeq(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || allowed[name] == "" {
			continue
		}
		if val, err := url.QueryUnescape(v); err == nil {
			v = val
		} else {
			v = "\x00" + v // not validly escaped: refused as a bad value
		}
		if i := slices.IndexFunc(opts, func(o option) bool { return o.name == name }); i >= 0 {
			if opts[i].value != v {
				opts[i].values++
			}
		} else {
			opts = append(opts, option{name, v, 1})
		}
	}
	return opts, len(opts) > 0
}

// state is what the options read so far ask for.
type state struct {
	p        params.Params
	errs     urlform.Errors
	resized  string  // how the image is resized: "fit" (w, h, fit), "resize" or "lb"
	sizedBy  string  // the first sizing option
	fitted   bool    // fit= was given
	cropOne  bool    // crop=1
	zoom     float64 // Photon's rounded zoom, 0 when not given
	factor   float64 // contrast's factor on the levels (1: none)
	shift    [3]float64
	grey     bool
	kernel   string // the option that set Params.Convolution
	coloured bool   // a colorize came before
}

// Parse claims u when its path starts with /wp-content/uploads/ and its
// query has one of the options.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if !strings.HasPrefix(u.Path, Prefix) {
		return dialect.ImageURL{}, false, nil
	}
	opts, claimed := options(u.RawQuery)
	if !claimed {
		return dialect.ImageURL{}, false, nil
	}
	s := state{factor: 1}
	var out dialect.ImageURL
	if rest := strings.TrimPrefix(u.Path, Prefix); rest == "" || strings.HasSuffix(rest, "/") {
		s.errs.Add("path", fmt.Sprintf("%s names no file; write %s<yyyy>/<mm>/<file>.", params.QuoteShort(u.Path), Prefix))
	} else if src, err := pathurl.Local(u.Path, "path"); err != nil {
		s.errs.Add("path", params.AsErrors(err)[0].Detail)
	} else {
		out.Source = src
		out.Query = urlform.Without(u.RawQuery, func(name string) bool { return allowed[name] != "" })
	}
	for _, o := range opts {
		if o.values > 1 {
			s.errs.Add(o.name, fmt.Sprintf("%s is given %d times with different values; give it once, as %s.", o.name, o.values, allowed[o.name]))
			continue
		}
		s.read(o.name, o.value)
	}
	if err := s.errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Params = s.finish()
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop" // for an error about the region (it starts past the source)
	}
	return out, true, nil
}

func (s *state) read(name, v string) {
	bad := func(why error) { s.errs.Invalid(name, v, allowed[name], why) }
	if v == "" {
		s.errs.Add(name, fmt.Sprintf("%s is empty; leave it out, or give %s.", name, allowed[name]))
		return
	}
	if slices.Contains(sizing, name) {
		kind := name
		if name == "w" || name == "h" || name == "fit" {
			kind = "fit" // each fits inside a bound, never enlarging: they compose
		}
		switch {
		case s.kernel != "":
			s.errs.Add(s.kernel, fmt.Sprintf("%s comes before %s: Matte runs the kernel after it resizes; put %s after %s.", s.kernel, name, s.kernel, name))
			return
		case s.resized != "" && (s.resized != "fit" || kind != "fit"):
			s.errs.Add(name, fmt.Sprintf("%s resizes again after %s; Matte resizes once: give w, h and fit, or resize, or lb.", name, s.sizedBy))
			return
		}
		if s.resized == "" {
			s.sizedBy = name
		}
		s.resized = kind
	}
	p := &s.p
	switch name {
	case "w", "h":
		px, ratio, err := side(v)
		if err != nil {
			bad(nil)
			return
		}
		if ratio != 0 && s.fitted {
			s.errs.Add(name, fmt.Sprintf("%s=%s is a percentage with fit; Matte bounds a side once: give %s in pixels.", name, params.QuoteShort(v), name))
			return
		}
		if name == "w" {
			p.Width, p.WidthRatio = bound(p.Width, px), ratio
		} else {
			p.Height, p.HeightRatio = bound(p.Height, px), ratio
		}
	case "crop":
		s.crop(v, bad)
	case "resize", "fit", "lb":
		w, h, ok := box(v)
		switch {
		case !ok:
			bad(nil)
		case name == "fit" && (p.WidthRatio != 0 || p.HeightRatio != 0):
			s.errs.Add(name, "fit comes with a percentage w or h; Matte bounds a side once: give w and h in pixels.")
		case name == "fit":
			s.fitted = true
			p.Width, p.Height = bound(p.Width, w), bound(p.Height, h)
		default:
			p.Width, p.Height = w, h
			p.Fit = params.FitCrop
			if name == "lb" {
				p.Fit, p.FillColor = params.FitFillMax, params.Color{A: 255, Set: true}
			}
		}
	case "ulb":
		s.errs.Add(name, "ulb is not a Photon option Matte supports: Photon cuts black rows off the top and bottom only, and Matte's trim cuts every side.")
	case "zoom":
		z, err := params.ParseDecimalIn(v, 0, 10)
		if err != nil {
			bad(nil)
			return
		}
		// Photon's levels: 1, 1.5, then whole numbers, rounded up.
		if z = max(z, 1); z < 2 {
			z = math.Ceil(z*2) / 2
		} else {
			z = math.Ceil(z)
		}
		if z > 5 {
			s.errs.Add(name, fmt.Sprintf("zoom=%s is Photon's zoom %g; Matte's dpr goes up to 5.", params.QuoteShort(v), z))
			return
		}
		s.zoom = z
	case "quality":
		n, err := params.ParseInt(v, 1, 100)
		if err != nil {
			bad(nil)
			return
		}
		p.Quality = n
	case "strip":
		if v != "info" && v != "color" && v != "all" {
			bad(nil)
		}
	case "filter":
		s.filter(v, bad)
	case "brightness":
		n, err := params.ParseSignedInt(v, -255, 255)
		if err != nil {
			bad(nil)
			return
		}
		s.add([3]float64{float64(n), float64(n), float64(n)})
	case "colorize":
		parts := strings.Split(v, ",")
		var c [3]float64
		for i, part := range parts {
			n, err := params.ParseSignedInt(part, -255, 255)
			if err != nil || len(parts) != 3 {
				bad(nil)
				return
			}
			c[i] = float64(n)
		}
		s.add(c)
		s.coloured = s.coloured || c[0] != c[1] || c[1] != c[2]
	case "contrast":
		n, err := params.ParseSignedInt(v, -100, 41)
		if err != nil {
			bad(nil)
			return
		}
		// GD's factor is ((100 - g)/100)² with g = -contrast (Photon makes
		// a positive value raise the contrast); shifts already made are
		// scaled with the levels.
		f := (100 + float64(n)) / 100
		s.factor = f * f
		for i := range s.shift {
			s.shift[i] *= s.factor
		}
	case "smooth":
		w, err := params.ParseDecimalIn(v, 0, 100)
		if err != nil {
			bad(nil)
			return
		}
		ws := strconv.FormatFloat(w, 'f', -1, 64)
		s.setKernel(name, params.Convolution{Columns: 3, Weights: "1;1;1;1;" + ws + ";1;1;1;1", Normalize: true})
	}
}

// side reads w or h: pixels, or N% of the image (100%: unchanged).
func side(v string) (px int, ratio float64, err error) {
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		n, err := params.ParseInt(pct, 1, 100)
		if err != nil || n == 100 {
			return 0, 0, err
		}
		f, err := params.ParsePercentFraction(pct, 1, 99)
		return 0, f, err
	}
	px, err = params.ParseInt(v, 1, pathurl.MaxDimension)
	return px, 0, err
}

// bound is the tighter of two bounds of a side in pixels (0: none).
func bound(a, b int) int {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// box reads width,height in pixels.
func box(v string) (w, h int, ok bool) {
	n, ok := pathurl.Ints(v, ",", 2, pathurl.MaxDimension)
	if !ok || n[0] == 0 || n[1] == 0 {
		return 0, 0, false
	}
	return n[0], n[1], true
}

// crop reads crop=1, crop=0 or crop=x,y,w,h.
func (s *state) crop(v string, bad func(error)) {
	switch v {
	case "0":
		return
	case "1":
		s.cropOne = true
		return
	}
	if s.resized != "" {
		s.errs.Add("crop", fmt.Sprintf("crop=%s comes after %s: Matte cuts the region before it resizes; put crop first.", params.QuoteShort(v), s.sizedBy))
		return
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		bad(nil)
		return
	}
	var n [4]int
	px := 0
	for i, part := range parts {
		num, isPx := strings.CutSuffix(part, "px")
		hi := 100
		if isPx {
			px++
			hi = pathurl.MaxDimension
		}
		var err error
		if n[i], err = params.ParseInt(num, 0, hi); err != nil {
			bad(nil)
			return
		}
	}
	switch {
	case px != 0 && px != 4:
		s.errs.Add("crop", fmt.Sprintf("crop=%s mixes pixels and percentages; give all four in pixels (Npx) or all in percentages.", params.QuoteShort(v)))
	case n[2] == 0 || n[3] == 0:
		s.errs.Add("crop", fmt.Sprintf("crop=%s cuts an empty region; its width and height must be above 0.", params.QuoteShort(v)))
	case px == 4:
		s.p.Rect = params.Rect{X: n[0], Y: n[1], W: n[2], H: n[3]}
	case n[0]+n[2] > 100 || n[1]+n[3] > 100:
		s.errs.Add("crop", fmt.Sprintf("crop=%s reaches past the image: x+w and y+h must be 100 at most.", params.QuoteShort(v)))
	default:
		// The region of that fraction, centred where Photon's corner puts it.
		r := params.Region{Focus: params.Focus{X: float64(2*n[0]+n[2]) / 200, Y: float64(2*n[1]+n[3]) / 200, Set: true}}
		if n[2] < 100 {
			r.WRatio = float64(n[2]) / 100
		}
		if n[3] < 100 {
			r.HRatio = float64(n[3]) / 100
		}
		if r.WRatio != 0 || r.HRatio != 0 {
			s.p.Region = r
		}
	}
}

// white is the monochrome colour that turns each pixel to its luma.
var white = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}

// sepiaTint is what Photon's sepia adds to the grey image (GD's colorize).
var sepiaTint = [3]float64{90, 60, 40}

func (s *state) filter(v string, bad func(error)) {
	switch v {
	case "negate":
		s.p.Invert = true
	case "grayscale", "greyscale", "sepia":
		if s.coloured {
			s.errs.Add("filter", fmt.Sprintf("filter=%s comes after colorize: Matte turns the image grey before it colours it; put filter first.", v))
			return
		}
		s.grey = true
		if v == "sepia" {
			s.add(sepiaTint)
		}
	case "blurgaussian":
		s.setKernel("filter", params.Convolution{Columns: 3, Weights: "1;2;1;2;4;2;1;2;1", Normalize: true})
	case "meanremoval":
		s.setKernel("filter", params.Convolution{Columns: 3, Weights: "-1;-1;-1;-1;9;-1;-1;-1;-1"})
	case "edgedetect", "emboss", "blurselective":
		s.errs.Add("filter", fmt.Sprintf("filter=%s is not a Photon filter Matte supports; filter must be %s.", v, allowed["filter"]))
	default:
		bad(nil)
	}
}

// setKernel sets Matte's one convolution, which runs after the resize.
func (s *state) setKernel(name string, c params.Convolution) {
	if s.kernel != "" {
		s.errs.Add(name, fmt.Sprintf("%s asks for a second kernel after %s; Matte runs one.", name, s.kernel))
		return
	}
	s.kernel, s.p.Convolution = name, c
}

// add adds a shift of the levels as Photon's order gives it: after negate,
// its opposite before Matte's invert.
func (s *state) add(c [3]float64) {
	sign := 1.0
	if s.p.Invert {
		sign = -1
	}
	for i := range s.shift {
		s.shift[i] += sign * c[i]
	}
}

// finish turns what was read into Params.
func (s *state) finish() params.Params {
	p := s.p
	if s.resized == "fit" {
		p.Fit = params.FitMax
		if s.cropOne && !s.fitted && p.Width != 0 && p.Height != 0 {
			p.Fit = params.FitCrop
		}
	}
	if s.zoom > 1 && (s.resized == "fit" || s.resized == "resize") {
		p.DPR = s.zoom
	}
	if s.grey {
		p.Monochrome = white
	}
	if s.factor != 1 {
		p.Contrast = int(math.Round(100 * (s.factor - 1)))
	}
	for i, v := range s.shift {
		p.ChannelShift[i] = max(-100, min(100, int(math.Round(v/2.55))))
	}
	return p
}
