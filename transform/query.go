package transform

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Syntactic limits of the query dialect.
const (
	maxDimension = 100000
	maxBlur      = 2000
	maxSharpen   = 100
	maxPad       = 10000
)

// ParseQuery parses Matte's parameters of q into canonical Params: values
// that mean the default become the zero value (dpr=1, fit=clip, rot=360,
// crop=center, flip unset, lossless=0, blur=0, ...), and spellings that mean
// the same thing give equal Params (fm=jpg and fm=jpeg; bg=fff, bg=%23FFFFFF
// and bg=white). A q without any of Matte's parameters gives the zero Params.
//
// The rules every parameter shares:
//
//   - Names are case-sensitive; a name that is not Matte's (see IsParam) is
//     ignored here and left for the origin.
//   - Keywords (fit=crop, fm=webp, ...) are lower-case only, as in imgix;
//     colour names and hex digits are case-insensitive, as in CSS.
//   - An empty value ("?w=" or "?w") is an error for every parameter: Matte
//     never reads an empty value as "absent". Leave the parameter out instead.
//   - A parameter given more than once ("w=1&w=2") is an error, even when the
//     values agree.
//   - No surrounding space is trimmed: "w= 10" is an error.
//   - Integers are plain ASCII decimal digits (leading zeros allowed, no sign,
//     no fraction); decimals add an optional sign and one optional ".", but no
//     exponent, "Inf" or "NaN".
//   - auto=compress is accepted and ignored: imgix URLs very often carry
//     auto=format,compress, and the configured per-format quality already
//     plays that role. Any other auto value (enhance, redeye, ...) is an error.
//   - crop= is validated whatever fit= says, but it only matters to fit=crop
//     and fit=min, so with any other fit the result keeps CropCenter.
//
// On failure the error is an Errors with one 400 invalid_parameter *Error per
// bad parameter, Field being the parameter's name, sorted by Field; the
// Params returned then is the zero value.
func ParseQuery(q url.Values) (Params, error) {
	var p Params
	var errs Errors
	for _, name := range paramNames {
		vals := q[name]
		if len(vals) == 0 {
			continue
		}
		spec := paramSpecs[name]
		var detail string
		switch {
		case len(vals) > 1:
			detail = fmt.Sprintf("%s is given %d times; give it once, as %s.", name, len(vals), spec.allowed)
		case vals[0] == "":
			detail = fmt.Sprintf("%s is empty; leave it out, or give %s.", name, spec.allowed)
		default:
			if err := spec.set(&p, vals[0]); err != nil {
				detail = fmt.Sprintf("%s=%s is not valid", name, quoteShort(vals[0]))
				if !errors.Is(err, errSyntax) {
					detail += " (" + err.Error() + ")"
				}
				detail += fmt.Sprintf("; %s must be %s.", name, spec.allowed)
			}
		}
		if detail != "" {
			errs = append(errs, badParam(name, detail))
		}
	}
	if len(errs) > 0 {
		return Params{}, errs
	}
	if p.Fit != FitCrop && p.Fit != FitMin {
		p.Crop = CropCenter
	}
	return p, nil
}

// IsParam reports whether the query parameter name is one of Matte's, which
// the handler strips before forwarding the request to the origin. Names are
// case-sensitive: "W" is not Matte's.
func IsParam(name string) bool {
	_, ok := paramSpecs[name]
	return ok
}

// ParamNames returns Matte's query parameter names, sorted. The slice is a
// fresh copy on every call.
func ParamNames() []string { return slices.Clone(paramNames) }

// errSyntax is the generic "not of the allowed form" failure: the detail then
// just restates the allowed values.
var errSyntax = errors.New("syntax")

type paramSpec struct {
	// allowed completes "<name> must be ...".
	allowed string
	// set parses v (non-empty) into p; errSyntax or an error whose message
	// adds a hint to the detail.
	set func(p *Params, v string) error
}

var paramSpecs = map[string]paramSpec{
	"w": {"an integer from 1 to 100000", func(p *Params, v string) (err error) {
		p.Width, err = parseInt(v, 1, maxDimension)
		return err
	}},
	"h": {"an integer from 1 to 100000", func(p *Params, v string) (err error) {
		p.Height, err = parseInt(v, 1, maxDimension)
		return err
	}},
	"dpr": {"a number from 1 to 5, such as 2 or 1.5", func(p *Params, v string) error {
		f, err := parseDecimal(v)
		if err != nil || f < 1 || f > 5 {
			return errSyntax
		}
		if f == 1 {
			f = 0
		}
		p.DPR = f
		return nil
	}},
	"fit": {"one of " + strings.Join(fitNames[:], ", "), func(p *Params, v string) error {
		f, ok := lookupName(fitNames[:], v)
		if !ok {
			return errSyntax
		}
		p.Fit = Fit(f)
		return nil
	}},
	"crop": {"one of center, top, bottom, left, right, entropy, attention, or a pair of top or bottom and left or right such as top,left", func(p *Params, v string) error {
		c, err := parseCrop(v)
		p.Crop = c
		return err
	}},
	"rect": {"x,y,w,h: four integers, x and y from 0 to 100000, w and h from 1 to 100000", func(p *Params, v string) error {
		parts := strings.Split(v, ",")
		if len(parts) != 4 {
			return errSyntax
		}
		var r [4]int
		for i, s := range parts {
			lo := 0
			if i >= 2 {
				lo = 1
			}
			n, err := parseInt(s, lo, maxDimension)
			if err != nil {
				return errSyntax
			}
			r[i] = n
		}
		p.Rect = Rect{X: r[0], Y: r[1], W: r[2], H: r[3]}
		return nil
	}},
	"rot": {"an angle in degrees, such as 90 or -45.5", func(p *Params, v string) error {
		f, err := parseDecimal(v)
		if err != nil {
			return errSyntax
		}
		p.Rotate = normalizeAngle(f)
		return nil
	}},
	"flip": {"one of h, v, hv (or vh)", func(p *Params, v string) error {
		switch v {
		case "h":
			p.Flip = FlipH
		case "v":
			p.Flip = FlipV
		case "hv", "vh":
			p.Flip = FlipHV
		default:
			return errSyntax
		}
		return nil
	}},
	"fm": {"one of jpg, jpeg, png, webp, avif, gif", func(p *Params, v string) error {
		if v == "jpg" {
			v = "jpeg"
		}
		f, ok := lookupName(formatNames[:], v)
		if !ok || Format(f) == FormatSource {
			return errSyntax
		}
		p.Format = Format(f)
		return nil
	}},
	"q": {"an integer from 1 to 100", func(p *Params, v string) (err error) {
		p.Quality, err = parseInt(v, 1, 100)
		return err
	}},
	"lossless": {"one of 1, true, 0, false", func(p *Params, v string) error {
		switch v {
		case "1", "true":
			p.Lossless = true
		case "0", "false":
			p.Lossless = false
		default:
			return errSyntax
		}
		return nil
	}},
	"auto": {"a comma-separated list of format and compress (compress is accepted and ignored)", func(p *Params, v string) error {
		for item := range strings.SplitSeq(v, ",") {
			switch item {
			case "format":
				p.AutoFormat = true
			case "compress":
				// Accepted for imgix compatibility; the configured quality applies.
			case "":
				return errors.New("empty item")
			case "enhance", "redeye", "true":
				return fmt.Errorf("%s is not supported", item)
			default:
				return errSyntax
			}
		}
		return nil
	}},
	"bg": {"a colour: hex RGB, RGBA, RRGGBB or RRGGBBAA (with or without %23, alpha last) or a CSS colour name such as white or transparent", func(p *Params, v string) error {
		c, err := ParseColor(v)
		if err != nil {
			return errSyntax
		}
		p.Background = c
		return nil
	}},
	"blur": {"an integer from 0 to 2000", func(p *Params, v string) (err error) {
		p.Blur, err = parseInt(v, 0, maxBlur)
		return err
	}},
	"sharp": {"an integer from 0 to 100", func(p *Params, v string) (err error) {
		p.Sharpen, err = parseInt(v, 0, maxSharpen)
		return err
	}},
	"trim": {"one of auto, color (both trim the colour of the top-left pixel)", func(p *Params, v string) error {
		if v != "auto" && v != "color" {
			return errSyntax
		}
		p.Trim = true
		return nil
	}},
	"pad": {"an integer from 0 to 10000", func(p *Params, v string) (err error) {
		p.Pad, err = parseInt(v, 0, maxPad)
		return err
	}},
}

// paramNames is the sorted list of paramSpecs' keys; ParseQuery walks it so
// that its errors come out sorted by field.
var paramNames = func() []string {
	names := make([]string, 0, len(paramSpecs))
	for name := range paramSpecs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}()

// parseCrop parses imgix crop=: a single keyword, or a vertical and a
// horizontal edge in either order ("top,left" and "left,top" are CropTopLeft).
func parseCrop(v string) (Crop, error) {
	switch v {
	case "faces", "edges", "focalpoint":
		return 0, fmt.Errorf("%s is not supported", v)
	}
	if c, ok := lookupName(cropNames[:], v); ok && !strings.Contains(v, "-") {
		return Crop(c), nil
	}
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return 0, errSyntax
	}
	for _, s := range []string{a, b} {
		switch s {
		case "faces", "edges", "focalpoint":
			return 0, fmt.Errorf("%s is not supported", s)
		}
	}
	if a == "left" || a == "right" {
		a, b = b, a
	}
	if c, ok := lookupName(cropNames[:], a+"-"+b); ok {
		return Crop(c), nil
	}
	return 0, errSyntax
}

// lookupName returns the index of v in names.
func lookupName(names []string, v string) (uint8, bool) {
	i := slices.Index(names, v)
	return uint8(i), i >= 0
}

// parseInt parses plain decimal digits into an int in [lo, hi].
func parseInt(s string, lo, hi int) (int, error) {
	if s == "" {
		return 0, errSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errSyntax
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < uint64(lo) || n > uint64(hi) {
		return 0, errSyntax
	}
	return int(n), nil
}

// parseDecimal parses [+-]digits[.digits] (either side of "." may be empty,
// not both) into a finite float64.
func parseDecimal(s string) (float64, error) {
	t := s
	if t != "" && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case '0' <= c && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, errSyntax
		}
	}
	if digits == 0 || dots > 1 {
		return 0, errSyntax
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errSyntax
	}
	return f, nil
}

// normalizeAngle maps a finite angle into [0, 360), without negative zero.
func normalizeAngle(f float64) float64 {
	r := math.Mod(f, 360)
	if r < 0 {
		r += 360
	}
	if r >= 360 || r == 0 { // r+360 may round up to 360; -0 becomes 0
		r = 0
	}
	return r
}

// quoteShort quotes s for an error detail, cut to a sane length.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
