// Package wsrv reads wsrv.nl (images.weserv.nl) URLs, /?url=&w=&h=&fit=...,
// so that URLs written for that service (by hand or by unpic's wsrv
// provider) work when Matte answers them.
//
// A URL is wsrv's when its path is "/" and it has a url parameter; mount the
// dialect under a prefix with Caddy's handle_path to serve it elsewhere.
// Parameters, as wsrv's documentation (wsrv.nl/docs) has them:
//
//   - url (required): the source. wsrv takes a host and path without a
//     scheme ("example.com/a.jpg", fetched over http), an "ssl:" prefix
//     (https), or an http:// or https:// URL; Matte also takes a path on
//     this site ("/img/a.jpg").
//   - w, h: integers 1 to 100000. dpr: 1 to 8 in wsrv; Matte allows 1 to 5.
//   - fit: inside (default: fit in the box), outside (cover the box without
//     cropping), cover (cover and crop, by a), fill (stretch to the box),
//     contain (fit in the box and pad it, with cbg). we (without
//     enlargement, a flag) never enlarges, with inside, cover and contain.
//   - a: center, top, right, bottom, left, top-left, top-right,
//     bottom-left, bottom-right, entropy, attention, or focal, the point
//     fpx, fpy (0 to 1, 0.5 when left out; each needs a=focal). Used by
//     fit=cover.
//   - output: jpg, png, gif, webp, avif (tiff and json are refused); absent,
//     the source's format is kept, as wsrv does.
//   - q: 1 to 100. bg, cbg: a colour, a CSS name or hex RGB, ARGB, RRGGBB or
//     AARRGGBB (alpha first, as wsrv has it); cbg pads fit=contain, bg
//     fills transparency. Matte has one background colour, so with
//     fit=contain a cbg wins over bg.
//   - blur: a sigma from 0.3 to 1000 (Matte's blur is sigma times 10, capped
//     at 2000, so above 200 it is 200). sharp: a sigma from 0.000001 to 10,
//     mapped onto Matte's 1 to 100 sharpening (0.5 + sharp/100 is Matte's
//     sigma).
//   - ro: an angle in degrees, any sign, taken modulo 360.
//   - bri (-100 to 100: 2.55 per step added), mod and sat (multipliers of
//     the LCh lightness and chroma), hue (degrees), con (wsrv's sigmoidal
//     contrast, -100 to 100), gam (1 to 3, another number 2.2 as wsrv
//     takes it), tint (a colour whose chroma every pixel takes, lightness
//     kept), as wsrv's processors make them.
//   - filter: greyscale, sepia (wsrv's own matrix), negate, or duotone
//     (start and stop its colours, #C83658 and #D8E74F by default).
//   - cx, cy, cw, ch with precrop: a rectangle cut before the resize
//     (cw, ch left out: the rest of the image). Without precrop wsrv cuts
//     it after the resize, which Matte does not: a 400 on the first given.
//   - mask: circle (the largest centred circle) or ellipse (inscribed);
//     outside it the image is transparent, or mbg (a colour), or white for
//     a format without alpha. Other shapes are refused.
//   - flip (upside down) and flop (mirrored), flags. trim: a flag, or a
//     tolerance from 1 to 254 (the colour distance, 10 by default, as
//     libvips' find_trim threshold that wsrv passes it to).
//
// il (interlace, a flag) makes a JPEG answer progressive; Matte writes
// PNG and GIF without interlacing whatever it says.
//
// Flags (we, flip, flop, trim, il) are true with any value or none. Each
// parameter is given once. n (-1: all) frames of an animated source from
// page (0-based) play in a GIF or WebP answer; without them wsrv, and
// Matte, answer with the first frame (page alone: that frame). Other
// parameters (af, filename, maxage, ...) are ignored. A bad value is a 400 naming the parameter.
package wsrv

import (
	"errors"
	"math"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

const (
	maxDimension = 100000
	maxFrames    = 100000
	maxDPR       = 5
	maxBlur      = 2000
)

// Dialect is wsrv.nl's URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "wsrv".
func (Dialect) Name() string { return "wsrv" }

// spec is one parameter: what it allows (completing "<name> must be ...")
// and how it sets the request. set gets the value ("" for a bare flag).
type spec struct {
	allowed string
	flag    bool
	set     func(r *request, v string) error
}

// request is what the parameters set before they are combined.
type request struct {
	p        params.Params
	fit      string
	we       bool
	crop     params.Crop
	focal    bool
	fpx, fpy *float64
	// rect is the rectangle crop (cx, cy, cw, ch; 0 for a size left out:
	// the rest of the image), rectGiven its first option given, and
	// precrop whether it is cut before the resize.
	rect      params.Rect
	rectGiven string
	precrop   bool
	flip      bool
	flop      bool
	cbg, bg   params.Color
	src, qry  string
	// duotone is filter=duotone; start and stop its colours when given.
	duotone     bool
	start, stop params.Color
	// page (0-based) and pages (n; 0: unset, -1: to the last) pick an
	// animation's frames.
	page, pages int
}

// frames is what page and n make of an animated source: n frames from
// page (0-based) played, or one, still (n=1, wsrv's default: page 0, the
// first frame).
func frames(page, n int) (params.Frames, params.Animation) {
	var a params.Animation // from the first frame: First 0, as imgix's frame=-N
	if page > 0 {
		a.First = page + 1
	}
	switch {
	case n == -1:
		return params.FramesKeep, a
	case n > 1:
		a.Last = page + n
		return params.FramesKeep, a
	case page == 0:
		return params.FramesFirst, a
	}
	a.Last = a.First
	return params.FramesFirst, a
}

// wsrv's duotone colours when start and stop are left out: #C83658 and
// #D8E74F.
var (
	duotoneStart = params.Color{R: 0xC8, G: 0x36, B: 0x58, A: 255, Set: true}
	duotoneStop  = params.Color{R: 0xD8, G: 0xE7, B: 0x4F, A: 255, Set: true}
)

// names lists the parameters in the order they are read and reported.
var names = []string{"url", "w", "h", "dpr", "fit", "we", "a", "fpx", "fpy", "cx", "cy", "cw", "ch", "precrop", "output", "q", "bg", "cbg", "bri", "mod", "sat", "hue", "con", "gam", "blur", "sharp", "ro", "flip", "flop", "trim", "il", "filter", "start", "stop", "tint", "mask", "mbg", "n", "page"}

const colorForms = "a colour: a CSS name or hex RGB, ARGB, RRGGBB or AARRGGBB (alpha first)"

var specs = map[string]spec{
	"url": {"a host and path (example.com/a.jpg), an http:// or https:// URL, or a path on this site", false, func(r *request, v string) error {
		ref, err := sourceRef(v)
		if err != nil {
			return err
		}
		r.src, r.qry, err = urlform.Source(ref)
		return err
	}},
	"w": {"an integer from 1 to 100000", false, func(r *request, v string) (err error) {
		r.p.Width, err = params.ParseInt(v, 1, maxDimension)
		return err
	}},
	"h": {"an integer from 1 to 100000", false, func(r *request, v string) (err error) {
		r.p.Height, err = params.ParseInt(v, 1, maxDimension)
		return err
	}},
	"dpr": {"a number from 1 to 5 (wsrv allows up to 8; Matte up to 5)", false, func(r *request, v string) error {
		f, err := params.ParseDecimalIn(v, 1, maxDPR)
		if f == 1 {
			f = 0
		}
		r.p.DPR = f
		return err
	}},
	"fit": {"one of inside, outside, cover, fill, contain", false, func(r *request, v string) error {
		switch v {
		case "inside", "outside", "cover", "fill", "contain":
			r.fit = v
			return nil
		}
		return params.ErrSyntax
	}},
	"we": {"a flag (&we)", true, func(r *request, _ string) error { r.we = true; return nil }},
	"a": {"one of center, top, right, bottom, left, top-left, top-right, bottom-left, bottom-right, entropy, attention, focal", false, func(r *request, v string) error {
		if v == "focal" {
			r.focal = true
			return nil
		}
		c, ok := params.ParseCrop(v)
		if !ok {
			return params.ErrSyntax
		}
		r.crop = c
		return nil
	}},
	"fpx": {"a number from 0 to 1", false, func(r *request, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 1)
		r.fpx = &f
		return err
	}},
	"fpy": {"a number from 0 to 1", false, func(r *request, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 1)
		r.fpy = &f
		return err
	}},
	"filter": {"greyscale, sepia, duotone or negate", false, func(r *request, v string) error {
		switch v {
		case "greyscale":
			r.p.Saturation = -100
			return nil
		case "negate":
			r.p.Invert = true
			return nil
		case "sepia":
			r.p.SepiaClassic = true
			return nil
		case "duotone":
			r.duotone = true
			return nil
		}
		return params.ErrSyntax
	}},
	"output": {"one of jpg, png, gif, webp, avif", false, func(r *request, v string) error {
		if v == "tiff" || v == "json" {
			return errors.New(v + " is not an output Matte writes")
		}
		f, ok := params.ParseOutputFormat(v)
		if !ok {
			return params.ErrSyntax
		}
		r.p.Format = f
		return nil
	}},
	"q": {"an integer from 1 to 100", false, func(r *request, v string) (err error) {
		r.p.Quality, err = params.ParseInt(v, 1, 100)
		return err
	}},
	"bg": {colorForms, false, func(r *request, v string) (err error) {
		r.bg, err = parseColor(v)
		return err
	}},
	"mask": {"circle or ellipse (other shapes are not supported)", false, func(r *request, v string) error {
		switch v {
		case "circle":
			r.p.Mask = params.ShapeCircle
		case "ellipse":
			r.p.Mask = params.ShapeEllipse
		case "triangle", "triangle-180", "pentagon", "pentagon-180", "hexagon", "square", "star", "heart":
			return errors.New(v + " is not a shape Matte draws")
		default:
			return params.ErrSyntax
		}
		return nil
	}},
	"start": {colorForms, false, func(r *request, v string) (err error) {
		r.start, err = parseColor(v)
		return err
	}},
	"stop": {colorForms, false, func(r *request, v string) (err error) {
		r.stop, err = parseColor(v)
		return err
	}},
	"mbg": {colorForms, false, func(r *request, v string) (err error) {
		r.p.MaskBackground, err = parseColor(v)
		return err
	}},
	"cbg": {colorForms, false, func(r *request, v string) (err error) {
		r.cbg, err = parseColor(v)
		return err
	}},
	// The adjustments, as wsrv's processors make them (brightness.cpp,
	// modulate.cpp, contrast.cpp, gamma.cpp, tint.cpp).
	"bri": {"an integer from -100 to 100", false, func(r *request, v string) (err error) {
		r.p.Brightness, err = params.ParseSignedInt(v, -100, 100)
		return err
	}},
	"mod": {"a number above 0 and up to 10000 (the lightness multiplier)", false, func(r *request, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 10000)
		if err != nil || f == 0 {
			return params.ErrSyntax
		}
		if f != 1 {
			r.p.Lightness = f
		}
		return nil
	}},
	"sat": {"a number from 0 to 10000 (the saturation multiplier, to a hundredth)", false, func(r *request, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 10000)
		r.p.Saturation = int(math.Round((f - 1) * 100))
		return err
	}},
	"hue": {"an integer number of degrees, such as 90 or -45", false, func(r *request, v string) error {
		n, err := params.ParseSignedInt(v, -1<<30, 1<<30)
		r.p.Hue = ((n % 360) + 360) % 360
		return err
	}},
	"con": {"an integer from -100 to 100", false, func(r *request, v string) (err error) {
		r.p.SigmoidContrast, err = params.ParseSignedInt(v, -100, 100)
		return err
	}},
	"gam": {"a number (1 to 3; wsrv takes any other as 2.2)", false, func(r *request, v string) error {
		g, err := params.ParseDecimal(v)
		if err != nil {
			return err
		}
		switch {
		case g == 0:
			return nil
		case g < 1 || g > 3:
			g = 2.2 // wsrv's correction for a gamma out of range
		}
		r.p.Gamma = 1 / g // wsrv raises to g; Params.Gamma is 1/exponent
		return nil
	}},
	"tint": {colorForms, false, func(r *request, v string) error {
		c, err := parseColor(v)
		if err == nil && c.A != 0 {
			r.p.Tint, r.p.TintEven = c, true
		}
		return err
	}},
	"blur": {"a number from 0.3 to 1000 (the Gaussian sigma)", false, func(r *request, v string) error {
		f, err := params.ParseDecimalIn(v, 0.3, 1000)
		r.p.Blur = min(int(math.Round(f*10)), maxBlur)
		return err
	}},
	"sharp": {"a number above 0 and up to 10 (the sharpening sigma)", false, func(r *request, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 10)
		if err != nil || f == 0 {
			return params.ErrSyntax
		}
		r.p.Sharpen = max(1, min(100, int(math.Round((f-0.5)*100))))
		return nil
	}},
	"ro": {"an angle in degrees, such as 90 or -450", false, func(r *request, v string) error {
		f, err := params.ParseDecimal(v)
		if err != nil {
			return err
		}
		a := math.Mod(f, 360)
		if a < 0 {
			a += 360
		}
		if a >= 360 || a == 0 {
			a = 0
		}
		r.p.Rotate = a
		return nil
	}},
	"flip": {"a flag (&flip)", true, func(r *request, _ string) error { r.flip = true; return nil }},
	"flop": {"a flag (&flop)", true, func(r *request, _ string) error { r.flop = true; return nil }},
	"n": {"-1 (every frame from page on) or a count of frames from 1 to 100000 (1, wsrv's default: one)", false, func(r *request, v string) (err error) {
		if v == "-1" {
			r.pages = -1
			return nil
		}
		r.pages, err = params.ParseInt(v, 1, maxFrames)
		return err
	}},
	"page": {"a frame number from 0 (the first) to 99999", false, func(r *request, v string) (err error) {
		r.page, err = params.ParseInt(v, 0, maxFrames-1)
		return err
	}},
	"cx":      rectSpec("an integer from 0 to 100000", 0, func(r *params.Rect) *int { return &r.X }),
	"cy":      rectSpec("an integer from 0 to 100000", 0, func(r *params.Rect) *int { return &r.Y }),
	"cw":      rectSpec("an integer from 1 to 100000", 1, func(r *params.Rect) *int { return &r.W }),
	"ch":      rectSpec("an integer from 1 to 100000", 1, func(r *params.Rect) *int { return &r.H }),
	"precrop": {"a flag (&precrop)", true, func(r *request, _ string) error { r.precrop = true; return nil }},
	"il":      {"a flag (&il)", true, func(r *request, _ string) error { r.p.Variant = params.VariantProgressive; return nil }},
	"trim": {"a flag (&trim) or a tolerance from 1 to 254", true, func(r *request, v string) error {
		if v != "" {
			n, err := params.ParseInt(v, 1, 254)
			if err != nil {
				return err
			}
			r.p.SetTrimTolerance(float64(n))
		}
		r.p.Trim = true
		return nil
	}},
}

// sourceRef turns wsrv's url value into an absolute URL or a site path:
// "ssl:host/path" is https, a scheme-less "host/path" is http.
func sourceRef(v string) (string, error) {
	lower := strings.ToLower(v)
	switch {
	case strings.HasPrefix(v, "/"):
		return v, nil
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return v, nil
	case strings.HasPrefix(lower, "ssl:"):
		return "https://" + strings.TrimLeft(v[4:], "/"), nil
	case strings.Contains(v, "://"):
		return "", errors.New("only http and https sources are fetched")
	}
	return "http://" + v, nil
}

// parseColor reads wsrv's colours: CSS names and hex with the alpha first.
func parseColor(v string) (params.Color, error) {
	c, err := params.ParseColorAlphaFirst(v)
	if err != nil {
		return params.Color{}, params.ErrSyntax
	}
	return c, nil
}

// rectSpec reads one side of wsrv's rectangle crop into request.rect.
func rectSpec(allowed string, lo int, side func(*params.Rect) *int) spec {
	return spec{allowed, false, func(r *request, v string) (err error) {
		*side(&r.rect), err = params.ParseInt(v, lo, maxDimension)
		return err
	}}
}

// Parse claims u when its path is "/" and it has a url parameter.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if u.Path != "/" && u.Path != "" {
		return dialect.ImageURL{}, false, nil
	}
	if !urlform.Claims(u.RawQuery, "url") {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var r request
	for _, name := range names {
		s := specs[name]
		v, given := errs.One(q, name, s.allowed, s.flag)
		if !given {
			continue
		}
		if err := s.set(&r, v); err != nil {
			errs.Invalid(name, v, s.allowed, err)
		}
	}
	for _, name := range []string{"fpx", "fpy"} {
		if len(q[name]) > 0 && !errs.Has(name) && !r.focal && !errs.Has("a") {
			errs.Add(name, name+" places the focal point of a=focal; it needs a=focal.")
		}
	}
	for _, name := range []string{"cx", "cy", "cw", "ch"} {
		if len(q[name]) > 0 && r.rectGiven == "" {
			r.rectGiven = name
		}
	}
	if r.rectGiven != "" && !r.precrop && !errs.Has(r.rectGiven) {
		// wsrv cuts the rectangle from the resized image without
		// precrop; Matte cuts a region before the resize only.
		errs.Add(r.rectGiven, "Matte cuts the rectangle (cx, cy, cw, ch) before the resize only, as wsrv does with &precrop; add &precrop, or cut after the resize by computing the rectangle in source pixels.")
	}
	for _, name := range []string{"start", "stop"} {
		if len(q[name]) > 0 && !errs.Has(name) && !r.duotone && !errs.Has("filter") {
			errs.Add(name, name+" is a colour of filter=duotone; it needs filter=duotone.")
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	p := r.p
	p.Frames, p.Animation = frames(r.page, r.pages)
	switch r.fit {
	case "outside":
		if p.Width != 0 && p.Height != 0 {
			p.Fit = params.FitOutside
			if r.we {
				p.Fit = params.FitOutsideMax
			}
			break
		}
		fallthrough // one side: the same as inside
	case "", "inside":
		p.Fit = params.FitClip
		if r.we {
			p.Fit = params.FitMax
		}
	case "cover":
		p.Fit, p.Crop = params.FitCrop, r.crop
		if r.focal {
			p.Focus = params.Focus{X: 0.5, Y: 0.5, Set: true}
			if r.fpx != nil {
				p.Focus.X = *r.fpx
			}
			if r.fpy != nil {
				p.Focus.Y = *r.fpy
			}
		}
		if r.we {
			p.Fit = params.FitMin
		}
	case "fill":
		p.Fit = params.FitScale
	case "contain":
		p.Fit = params.FitFill
		if r.we {
			p.Fit = params.FitFillMax
		}
	}
	if p.Mask == params.ShapeNone {
		p.MaskBackground = params.Color{} // mbg colours a mask only
	}
	if r.duotone {
		// The colours' alpha is not used, as in wsrv.
		d := params.Duotone{Start: duotoneStart, Stop: duotoneStop}
		if r.start.Set {
			d.Start = r.start.Opaque()
		}
		if r.stop.Set {
			d.Stop = r.stop.Opaque()
		}
		p.Duotone = d
	}
	p.Background = r.bg
	if p.Fit.Fills() && r.cbg.Set {
		p.Background = r.cbg
	}
	switch {
	case r.flip && r.flop:
		p.Flip = params.FlipHV
	case r.flip:
		p.Flip = params.FlipV
	case r.flop:
		p.Flip = params.FlipH
	}
	iu := dialect.ImageURL{Params: p, Source: r.src, Query: r.qry}
	if r.rectGiven != "" {
		// wsrv's crop.cpp: a size left out, or past the image, is the
		// rest of it from cx, cy (the pipeline cuts W and H to the image).
		rect := r.rect
		if rect.W == 0 {
			rect.W = maxDimension
		}
		if rect.H == 0 {
			rect.H = maxDimension
		}
		iu.Params.Rect, iu.RectField, iu.RectYField = rect, "cx", "cy"
	}
	if r.page > 0 {
		iu.FrameField = "page" // a page past the last frame is page's error
	}
	return iu, true, nil
}
