// Package keycdn reads KeyCDN's Image Processing query, the parameters a
// KeyCDN zone with Image Processing on reads on any image path
// (https://<zone>.kxcdn.com/img/shoe.jpg?width=400&format=webp), as KeyCDN
// documents them (keycdn.com/support/image-processing) and unpic's keycdn
// provider writes them, so that a site whose images KeyCDN served keeps its
// URLs with only the hostname changed.
//
// KeyCDN's URLs have no path shape: the dialect claims a URL, on any path,
// when its query carries at least one of the parameters below, and then
// reads the whole query as KeyCDN's. A site that turns it on therefore
// speaks KeyCDN for those names (width, height, fit, format, quality, crop,
// blur, ...) instead of imgix. The source is the URL's path on this site,
// asked of the next handler (a file_server rooted where the zone's origin
// files are, or a reverse_proxy to that origin). Any other query parameter
// (a cache buster such as v=2) is not KeyCDN's and goes to the origin with
// the source, as a pull zone forwards the query string.
//
// KeyCDN's service is built on sharp, and its parameters are sharp's:
//
//   - width, height: integers 0 to 10000 (0: that side from the other).
//     One alone keeps the aspect ratio.
//   - fit (with one side, every fit scales to it): cover (default: covers the box and crops),
//     contain (fits inside, padded to the box with bg, opaque black by
//     default as in sharp), fill (stretched to the box; needs enlarge=1,
//     as Matte cannot stretch without enlarging), inside (fits inside),
//     outside (covers the box without cropping).
//   - position (fit=cover): top, right, bottom, left, the part kept.
//   - enlarge: 1 lets the image grow past its size; 0 (Matte's default:
//     KeyCDN's table does not say it plainly) never does.
//   - crop: W,H (that area, centred) or W,H,X,Y (at X, Y), source pixels
//     cut before the resize; smart (with both sides) → crop=attention;
//     fp,X,Y[,Z] (with both sides) → the focal point X, Y (0 to 1) kept in
//     view, zoomed Z times (1 to 100).
//   - bg: hex RRGGBB, or R,G,B or R,G,B,A (A 0 to 1): the padding of
//     fit=contain and of extend (Matte's bg, which also fills transparent
//     pixels).
//   - extend: N or T,R,B,L pixels (0 to 1000) of padding.
//   - trim: 0 to 100, the edges of the top-left pixel's colour cut within
//     that tolerance.
//   - rotate: -359 to 359, a multiple of 90 (other angles would fill the
//     corners as Matte does, not with sharp's background).
//   - flip (upside down), flop (mirrored), negate (invert the colours),
//     normalize (sharp's), grayscale (sat=-100): 0 or 1.
//   - sharpen: 0 to 100, Matte's sharpen; blur: 0.3 to 100, a Gaussian of
//     that sigma (Matte's blur = sigma × 10).
//   - threshold: 1 to 255 (sharp's); tint: hex RRGGBB (sharp's).
//   - format: jpeg, png, webp (tiff is a 400); quality: 1 to 100;
//     progressive: 1 → a progressive JPEG or interlaced PNG; lossless: 1 →
//     a lossless WebP; nearlossless: 1 → a near-lossless WebP.
//   - metadata and adaptive: only 0 (Matte strips metadata and picks the
//     PNG filters).
//
// Each parameter is given once and never empty; a bad value is a 400
// naming it. fpd (the focal-point debug crop), gamma (sharp's resize
// gamma), removealpha, compression, alphaquality and the overlay
// parameters (olurl, olalign, olx, oly, olwidth, olheight, olalpha,
// olrepeat) are a 400 naming them, as is trim with crop.
package keycdn

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// maxSide is KeyCDN's limit on width, height and crop values.
const maxSide = 10000

// Dialect is KeyCDN's query form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "keycdn".
func (Dialect) Name() string { return "keycdn" }

// names lists KeyCDN's parameters in the order they are read and
// reported; a query with any of them is claimed.
var names = []string{
	"trim", "crop", "width", "height", "fit", "position", "enlarge", "bg", "extend", "rotate", "flip", "flop",
	"sharpen", "blur", "gamma", "negate", "normalize", "threshold", "tint", "grayscale", "removealpha",
	"olurl", "olalign", "olx", "oly", "olwidth", "olheight", "olalpha", "olrepeat",
	"format", "quality", "progressive", "compression", "adaptive", "alphaquality", "lossless", "nearlossless", "metadata",
}

const flag = "0 or 1"

// allowed completes "<name> must be ..."; a parameter not in it is one
// Matte refuses whatever its value (refused says why).
var allowed = map[string]string{
	"trim":         "an integer from 0 to 100",
	"crop":         "W,H or W,H,X,Y in pixels (0 to 10000), smart, or fp,X,Y[,Z] with X and Y from 0 to 1 and Z from 1 to 100",
	"width":        "an integer from 0 to 10000",
	"height":       "an integer from 0 to 10000",
	"fit":          "one of cover, contain, fill, inside, outside",
	"position":     "one of top, right, bottom, left",
	"enlarge":      flag,
	"bg":           "a hex colour RRGGBB, or R,G,B or R,G,B,A with R, G, B from 0 to 255 and A from 0 to 1",
	"extend":       "N or T,R,B,L, integers from 0 to 1000",
	"rotate":       "a multiple of 90 from -270 to 270",
	"flip":         flag,
	"flop":         flag,
	"sharpen":      "an integer from 0 to 100",
	"blur":         "a number from 0.3 to 100",
	"negate":       flag,
	"normalize":    flag,
	"threshold":    "an integer from 1 to 255",
	"tint":         "a hex colour RRGGBB",
	"grayscale":    flag,
	"format":       "one of jpeg, png, webp",
	"quality":      "an integer from 1 to 100",
	"progressive":  flag,
	"adaptive":     "0 (Matte picks the PNG filters)",
	"lossless":     flag,
	"nearlossless": flag,
	"metadata":     "0 (Matte strips metadata)",
}

// refused says why Matte cannot do a KeyCDN parameter.
var refused = map[string]string{
	"gamma":        "gamma (sharp's gamma-corrected resize) is not a KeyCDN option Matte supports.",
	"removealpha":  "removealpha is not a KeyCDN option Matte supports; give bg to fill transparent pixels with extend, or a format without alpha.",
	"compression":  "compression (the PNG zlib level) is not a KeyCDN option Matte supports.",
	"alphaquality": "alphaquality is not a KeyCDN option Matte supports.",
}

// known is names as a set.
var known = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}()

func isParam(name string) bool { return known[name] }

// positions maps position onto Matte's anchors.
var positions = map[string]params.Crop{
	"top": params.CropTop, "right": params.CropRight, "bottom": params.CropBottom, "left": params.CropLeft,
}

// formats maps format onto Matte's.
var formats = map[string]params.Format{"jpeg": params.FormatJPEG, "png": params.FormatPNG, "webp": params.FormatWebP}

// request is what the query asks, before it becomes Matte's Params.
type request struct {
	p                    params.Params
	fit                  string
	enlarge, smart, posn bool
	focus                bool
	bg                   params.Color
	extend               bool
}

// Parse claims u when its query holds a KeyCDN parameter.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	var errs urlform.Errors
	q, src, query, claimed := errs.OnAnyPath(u, names, isParam)
	if !claimed {
		return dialect.ImageURL{}, false, nil
	}
	out := dialect.ImageURL{Source: src, Query: query}
	var r request
	for _, name := range names {
		if !q.Has(name) {
			continue
		}
		if allowed[name] == "" {
			why := refused[name]
			if why == "" {
				why = name + " (an overlay) is not a KeyCDN option Matte supports."
			}
			errs.Add(name, why)
			continue
		}
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		if err := r.read(name, v, &errs); err != nil {
			errs.Invalid(name, v, allowed[name], err)
		}
	}
	r.check(q, &errs)
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Params = r.params()
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop" // for an error about the region (it starts past the source)
	}
	if out.Params.PadSides() != (params.Sides{}) {
		out.PadField = "extend" // for an error about the padded size
	}
	return out, true, nil
}

// read reads one parameter into r; an error means v is not valid (errs
// takes messages of its own).
func (r *request) read(name, v string, errs *urlform.Errors) error {
	p := &r.p
	var err error
	switch name {
	case "trim":
		var n int
		n, err = params.ParseInt(v, 0, 100)
		p.Trim, p.TrimTolerance, p.TrimToleranceSet = true, float64(n), true
	case "crop":
		return r.readCrop(v)
	case "width":
		p.Width, err = params.ParseInt(v, 0, maxSide)
	case "height":
		p.Height, err = params.ParseInt(v, 0, maxSide)
	case "fit":
		r.fit = v
		if v != "cover" && v != "contain" && v != "fill" && v != "inside" && v != "outside" {
			return params.ErrSyntax
		}
	case "position":
		c, ok := positions[v]
		if !ok {
			return params.ErrSyntax
		}
		p.Crop, r.posn = c, true
	case "enlarge":
		r.enlarge, err = readFlag(v)
	case "bg":
		r.bg, err = readColor(v)
	case "extend":
		var n []int
		if n, err = ints(v, 0, 1000); err == nil && len(n) != 1 && len(n) != 4 {
			err = params.ErrSyntax
		}
		if err == nil {
			s := params.Sides{Top: n[0], Right: n[0], Bottom: n[0], Left: n[0]}
			if len(n) == 4 {
				s = params.Sides{Top: n[0], Right: n[1], Bottom: n[2], Left: n[3]}
			}
			p.SetPadding(s)
			r.extend = true
		}
	case "rotate":
		var n int
		if n, err = params.ParseSignedInt(v, -359, 359); err == nil && n%90 != 0 {
			errs.Add(name, fmt.Sprintf("rotate=%s is not valid; Matte turns by multiples of 90 here (other angles would fill the corners as Matte does, not with sharp's background), so rotate must be %s.", params.QuoteShort(v), allowed[name]))
		}
		p.Rotate = float64((n%360 + 360) % 360)
	case "flip", "flop", "negate", "normalize", "grayscale", "progressive", "lossless", "nearlossless":
		var on bool
		if on, err = readFlag(v); err != nil || !on {
			return err
		}
		switch name {
		case "flip":
			p.Flip |= params.FlipV
		case "flop":
			p.Flip |= params.FlipH
		case "negate":
			p.Invert = true
		case "normalize":
			p.Normalize = true
		case "grayscale":
			p.Saturation = -100
		case "progressive":
			p.Variant, p.PNGOptions.Interlace = params.VariantProgressive, true
		case "lossless":
			p.Lossless = true
		case "nearlossless":
			p.WebPOptions.Compression = params.WebPNearLossless
		}
	case "sharpen":
		p.Sharpen, err = params.ParseInt(v, 0, 100)
	case "blur":
		var sigma float64
		sigma, err = params.ParseDecimalIn(v, 0.3, 100)
		p.Blur = int(math.Round(sigma * 10))
	case "threshold":
		p.Threshold, err = params.ParseInt(v, 1, 255)
	case "tint":
		if !isHex6(v) {
			return params.ErrSyntax
		}
		p.Tint, err = params.ParseColor(v)
	case "format":
		f, ok := formats[v]
		if v == "tiff" {
			errs.Add(name, "format=tiff is not written by Matte; format must be "+allowed[name]+".")
		} else if !ok {
			return params.ErrSyntax
		}
		p.Format = f
	case "quality":
		p.Quality, err = params.ParseInt(v, 1, 100)
	case "adaptive", "metadata":
		if v != "0" {
			return params.ErrSyntax
		}
	}
	return err
}

// readCrop reads crop's forms.
func (r *request) readCrop(v string) error {
	p := &r.p
	if strings.HasPrefix(v, "fpd,") {
		return errors.New("fpd, the focal-point debug view, is not one Matte draws; write fp")
	}
	if v == "smart" {
		r.smart, p.Crop = true, params.CropAttention
		return nil
	}
	if rest, ok := strings.CutPrefix(v, "fp,"); ok {
		parts := strings.Split(rest, ",")
		if len(parts) != 2 && len(parts) != 3 {
			return params.ErrSyntax
		}
		var f params.Focus
		var err error
		if f.X, err = params.ParseDecimalIn(parts[0], 0, 1); err != nil {
			return err
		}
		if f.Y, err = params.ParseDecimalIn(parts[1], 0, 1); err != nil {
			return err
		}
		if len(parts) == 3 {
			z, err := params.ParseInt(parts[2], 1, 100)
			if err != nil {
				return err
			}
			f.Zoom = float64(z)
		}
		f.Set, r.focus = true, true
		p.Focus = f
		return nil
	}
	n, err := ints(v, 0, maxSide)
	switch {
	case err != nil || len(n) != 2 && len(n) != 4 || n[0] == 0 || n[1] == 0:
		return params.ErrSyntax
	case len(n) == 2:
		p.Region = params.Region{W: n[0], H: n[1]}
	default:
		p.Rect = params.Rect{X: n[2], Y: n[3], W: n[0], H: n[1]}
	}
	return nil
}

// check reports what the parameters cannot mean together.
func (r *request) check(q url.Values, errs *urlform.Errors) {
	both := r.p.Width != 0 && r.p.Height != 0
	crop := q.Get("crop")
	switch {
	case (r.smart || r.focus) && !both:
		errs.Add("crop", fmt.Sprintf("crop=%s needs both width and height.", params.QuoteShort(crop)))
	case (r.smart || r.focus) && r.fit != "" && r.fit != "cover":
		errs.Add("crop", fmt.Sprintf("crop=%s crops the cover fit; leave fit out or give fit=cover.", params.QuoteShort(crop)))
	case r.smart && r.posn || r.focus && r.posn:
		errs.Add("position", "position places fit=cover's crop, which crop= places already; give one of them.")
	}
	if q.Has("trim") && q.Has("crop") && !r.smart && !r.focus {
		errs.Add("trim", "trim and crop each cut the image; give one of them.")
	}
	if r.posn && !errs.Has("position") && (!both || r.fit != "" && r.fit != "cover") {
		errs.Add("position", "position places fit=cover's crop (Matte centres a contained image); give both width and height, and fit=cover or no fit.")
	}
	if r.fit == "fill" && !r.enlarge && !errs.Has("fit") {
		errs.Add("fit", "fit=fill stretches the image to the box, which Matte cannot do without enlarging it; add enlarge=1.")
	}
	if r.bg.Set && !r.extend && r.fit != "contain" {
		errs.Add("bg", "bg colours the padding of extend or fit=contain; give one of them, or leave bg out.")
	}
}

// params turns r into Matte's request.
func (r request) params() params.Params {
	p := r.p
	both := p.Width != 0 && p.Height != 0
	switch {
	case p.Width == 0 && p.Height == 0:
	case !both || r.fit == "inside":
		p.Fit = params.FitClip.Enlarging(r.enlarge)
	case r.fit == "" || r.fit == "cover":
		// sharp's cover without enlargement caps the scale at 1 and then
		// cuts min(box, image) on each side ("int width =
		// std::min(image.width(), baton->width)" in sharp's pipeline): a
		// 1200x900 image in 1600x600 is 1200x600, not cut down to the
		// box's ratio as FitMin would. The smart crop and the focal point
		// place that same cut.
		p.Fit = params.FitCrop
		if !r.enlarge {
			p.Fit = params.FitCropDown
		}
	case r.fit == "contain":
		p.Fit = params.FitFill.Enlarging(r.enlarge)
		p.FillColor = params.Color{A: 255, Set: true} // sharp's default background: opaque black
		if r.bg.Set {
			p.FillColor = r.bg
		}
	case r.fit == "fill":
		p.Fit = params.FitScale
	case r.fit == "outside":
		p.Fit = params.FitOutside.Enlarging(r.enlarge)
	}
	if p.Focus.Zoom != 0 {
		p.Fit = params.FitCrop // a zoom enlarges (Matte's zoom is FitCrop's)
	}
	if r.extend && r.bg.Set {
		p.Background = r.bg
	}
	return p
}

func readFlag(v string) (bool, error) {
	switch v {
	case "1":
		return true, nil
	case "0":
		return false, nil
	}
	return false, params.ErrSyntax
}

// ints reads comma-separated integers from lo to hi.
func ints(v string, lo, hi int) ([]int, error) {
	parts := strings.Split(v, ",")
	out := make([]int, len(parts))
	for i, s := range parts {
		n, err := params.ParseInt(s, lo, hi)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func isHex6(v string) bool {
	if len(v) != 6 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i] | 0x20; !('0' <= v[i] && v[i] <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// readColor reads bg: hex RRGGBB, or R,G,B[,A] with A from 0 to 1.
func readColor(v string) (params.Color, error) {
	if !strings.Contains(v, ",") {
		if !isHex6(v) {
			return params.Color{}, params.ErrSyntax
		}
		return params.ParseColor(v)
	}
	parts := strings.Split(v, ",")
	if len(parts) != 3 && len(parts) != 4 {
		return params.Color{}, params.ErrSyntax
	}
	rgb, err := ints(strings.Join(parts[:3], ","), 0, 255)
	if err != nil {
		return params.Color{}, err
	}
	a := 1.0
	if len(parts) == 4 {
		if a, err = params.ParseDecimalIn(parts[3], 0, 1); err != nil {
			return params.Color{}, err
		}
	}
	hex := fmt.Sprintf("%02x%02x%02x%02x", rgb[0], rgb[1], rgb[2], int(math.Round(a*255)))
	return params.ParseColor(hex)
}
