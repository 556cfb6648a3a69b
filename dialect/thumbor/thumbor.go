// Package thumbor reads Thumbor's URLs into Matte's canonical request
// (thumbor.readthedocs.io "Usage", "Security", "Filters"):
//
//	/unsafe/[trim/][AxB:CxD/][[adaptive-][full-]fit-in/][-]Wx[-]H/[halign/][valign/][smart/][filters:f(a):g(b)/]<image>
//	/<signature>/...the same...
//
// The signature is the URL-safe Base64 (with padding) HMAC-SHA1, under the
// configured key, of everything after "/<signature>/". The image is an
// absolute http(s) URL (escaped or not), or else a path on this site.
package thumbor

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// Dialect is the Thumbor URL form with its security key (none: unsafe/
// and any signature are accepted). Immutable after New: safe for
// concurrent use.
type Dialect struct{ key []byte }

// New returns the Thumbor dialect; key is Thumbor's SECURITY_KEY, empty
// for none.
func New(key string) *Dialect { return &Dialect{key: []byte(key)} }

// Name is "thumbor".
func (*Dialect) Name() string { return "thumbor" }

// Signed reports whether signatures are verified.
func (d *Dialect) Signed() bool { return len(d.key) > 0 }

// Parse claims paths whose first segment is unsafe or a 28-character
// signature (HMAC-SHA1 in Base64 with padding).
func (d *Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	ep := u.EscapedPath()
	if len(ep) < 2 {
		return dialect.ImageURL{}, false, nil
	}
	sig, signed, ok := strings.Cut(ep[1:], "/")
	if !ok || (sig != "unsafe" && !isSignature(sig)) {
		return dialect.ImageURL{}, false, nil
	}
	if err := d.verify(sig, signed); err != nil {
		return dialect.ImageURL{}, true, err
	}
	p, g, rest, err := parsePath(signed)
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	src, query, err := source(rest, d.unsignedQuery(u.RawQuery))
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	iu := dialect.ImageURL{Params: p, Source: src, Query: query, MaxAge: g.maxAge, MaxAgeSet: g.maxAgeSet}
	if p.Watermark.Image != "" {
		iu.MarkField = "filters:watermark"
	}
	if !p.Rect.IsZero() {
		iu.RectField = "crop" // the manual crop, AxB:CxD
	}
	return iu, true, nil
}

func isSignature(s string) bool {
	if len(s) != 28 || s[27] != '=' {
		return false
	}
	_, err := base64.URLEncoding.DecodeString(s)
	return err == nil
}

// verify checks the signature over signed, the path after it, as sent or
// unescaped (URL builders sign the unescaped form).
// unsignedQuery is the request's query as it goes on to the source: none
// with a key, as the signature covers the path only (Thumbor itself
// ignores the query), so a signed URL cannot be pointed at other source
// URLs, or made to miss the cache at will, by appending one.
func (d *Dialect) unsignedQuery(rawQuery string) string {
	if d.Signed() {
		return ""
	}
	return rawQuery
}

func (d *Dialect) verify(sig, signed string) error {
	if len(d.key) == 0 {
		return nil
	}
	if sig != "unsafe" {
		for _, s := range []string{signed, unescaped(signed)} {
			mac := hmac.New(sha1.New, d.key)
			mac.Write([]byte(s))
			if hmac.Equal([]byte(sig), []byte(base64.URLEncoding.EncodeToString(mac.Sum(nil)))) {
				return nil
			}
		}
	}
	return &params.Error{Status: http.StatusForbidden, Code: "signature_invalid", Title: "Forbidden", Field: "signature",
		Detail: "This server requires signed Thumbor URLs, and the signature is missing (unsafe) or does not match."}
}

func unescaped(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// source reads the image part: an absolute URL (escaped or not) or a path.
func source(rest, rawQuery string) (src, query string, err error) {
	if dec := unescaped(rest); strings.HasPrefix(dec, "http://") || strings.HasPrefix(dec, "https://") {
		rest = dec
	}
	return pathurl.Source(rest, rawQuery, "image")
}

// geometry gathers what decides the fit.
type geometry struct {
	// full and adaptive are full-fit-in's and adaptive-fit-in's (with
	// fitIn).
	fitIn, full, adaptive, fill, noUpscale, smart, stretch bool
	// upscale is the upscale filter's: fit-in enlarges a smaller source.
	upscale        bool
	halign, valign string
	// proportion scales the output (0: unset; Thumbor's proportion filter).
	proportion float64
	// maxAge is max_age's seconds, when maxAgeSet.
	maxAge    int
	maxAgeSet bool
	// focal are the focal filters' regions, as Thumbor weighs them: each
	// its centre (rounded down), weighted by its area.
	focal []focalPoint
	// rotate is the rotate filter's angle, counter-clockwise, 0, 90, 180
	// or 270.
	rotate int
}

type focalPoint struct{ x, y, weight int }

// focalCentre is the focal points' centre of mass within the manual crop
// r (when set), in its pixels, as Thumbor crops around it: points outside
// r are left out; ok is false when none is left.
func (g geometry) focalCentre(r params.Rect) (x, y float64, ok bool) {
	var sx, sy, sw float64
	for _, pt := range g.focal {
		if !r.IsZero() {
			if pt.x < r.X || pt.x > r.X+r.W || pt.y < r.Y || pt.y > r.Y+r.H {
				continue
			}
			pt.x, pt.y = pt.x-r.X, pt.y-r.Y
		}
		w := float64(pt.weight)
		sx, sy, sw = sx+float64(pt.x)*w, sy+float64(pt.y)*w, sw+w
	}
	if sw == 0 {
		return 0, 0, false
	}
	return math.Floor(sx / sw), math.Floor(sy / sw), true
}

// parsePath reads the options, in Thumbor's order, and returns the rest
// (the image, escaped).
func parsePath(path string) (params.Params, geometry, string, error) {
	var p params.Params
	var g geometry
	parts := strings.Split(path, "/")
	i := 0
	next := func(match func(string) bool) (string, bool) {
		if i < len(parts) && match(parts[i]) {
			i++
			return parts[i-1], true
		}
		return "", false
	}
	if _, ok := next(func(s string) bool { return s == "meta" }); ok {
		return p, g, "", pathurl.Bad("meta", "meta (the image's metadata as JSON) is not supported by Matte.")
	}
	if s, ok := next(func(s string) bool { return s == "trim" || strings.HasPrefix(s, "trim:") }); ok {
		if err := setTrim(&p, s); err != nil {
			return p, g, "", err
		}
	}
	if s, ok := next(isCrop); ok {
		p.Rect = cropRect(s)
	}
	if s, ok := next(func(s string) bool {
		return s == "fit-in" || s == "adaptive-fit-in" || s == "full-fit-in" || s == "adaptive-full-fit-in"
	}); ok {
		g.fitIn, g.full, g.adaptive = true, strings.Contains(s, "full-"), strings.HasPrefix(s, "adaptive-")
	}
	if s, ok := next(isSize); ok {
		if err := setSize(&p, s); err != nil {
			return p, g, "", err
		}
	}
	g.halign, _ = next(func(s string) bool { return s == "left" || s == "center" || s == "right" })
	g.valign, _ = next(func(s string) bool { return s == "top" || s == "middle" || s == "bottom" })
	_, g.smart = next(func(s string) bool { return s == "smart" })
	if s, ok := next(func(s string) bool { return strings.HasPrefix(s, "filters:") }); ok {
		// A filter's argument may be a URL with slashes (watermark): the
		// segment runs on until its parentheses close.
		for strings.Count(s, "(") > strings.Count(s, ")") && i < len(parts) {
			s += "/" + parts[i]
			i++
		}
		f, err := url.PathUnescape(s)
		if err == nil {
			err = parseFilters(&p, &g, strings.TrimPrefix(f, "filters:"))
		} else {
			err = pathurl.Bad("filters", "The filters are not validly escaped.")
		}
		if err != nil {
			return p, g, "", err
		}
	}
	applyGeometry(&p, g)
	turn(&p, g.rotate)
	applyProportion(&p, g.proportion)
	pathurl.Canonical(&p)
	return p, g, strings.Join(parts[i:], "/"), nil
}

// applyGeometry sets Fit and Crop: without fit-in Thumbor crops to the
// exact size (Matte's crop; min with no_upscale), with fit-in it fits in
// the box without enlarging (max; fillmax when the fill filter pads it),
// enlarging only with the upscale filter (clip; fill), with full-fit-in it
// covers the box without cropping, enlarging (outside; outsidemax with
// no_upscale); the adaptive forms turn the box to the source's orientation.
// Thumbor's transformer.py fit_in_resize returns without resizing when the
// box is at least the source's size on both sides (full-fit-in excepted),
// and only filters/upscale.py enlarges it.
func applyGeometry(p *params.Params, g geometry) {
	hasW, hasH := p.Width > 0 || p.WidthRatio > 0, p.Height > 0 || p.HeightRatio > 0 // orig is a side
	p.AdaptiveBox = g.adaptive && hasW && hasH
	// full-fit-in resizes to the box even with one side given.
	enlarge := (g.upscale || g.full) && !g.noUpscale
	switch {
	case g.fitIn && g.full && hasW && hasH:
		p.Fit = params.FitOutside.Enlarging(!g.noUpscale)
	case g.fitIn && g.fill:
		p.Fit = params.FitFill.Enlarging(enlarge)
	case g.fitIn:
		p.Fit = params.FitClip.Enlarging(enlarge)
	case g.stretch && hasW && hasH:
		p.Fit = params.FitScale // the exact size, aspect ratio not kept
	case !hasW || !hasH:
		p.Fit = params.FitClip // one side: nothing to crop
		if g.noUpscale {
			p.Fit = params.FitMax
		}
	default:
		p.Fit = params.FitCrop
		if g.noUpscale {
			p.Fit = params.FitMin
		}
		p.Crop = align(g)
		// smart looks for faces first, as Thumbor's detectors do, then
		// by attention (Thumbor's features) where there are none.
		p.Faces.Crop = g.smart
		// Explicit focal points replace the alignment and smart detection.
		if x, y, ok := g.focalCentre(p.Rect); ok {
			p.Crop, p.Focus, p.Faces = params.CropCenter, params.Focus{X: x, Y: y, Set: true, Pixels: true}, params.Faces{}
		}
	}
}

// turn sets Rotate for Thumbor's rotate filter, deg counter-clockwise:
// Matte's clockwise 360 - deg. Thumbor turns the finished image, after
// the resize and its crop; Matte turns the source first and plans the
// box in the turned frame (a focus in pixels, the focal filter's, is
// turned by the pipeline). So for the same image, for each quarter turn
// the box's sides are swapped, the crop's anchor turns with the image,
// and a flip (made before Thumbor's turn, after Matte's) changes axis.
func turn(p *params.Params, deg int) {
	p.Rotate = float64((360 - deg) % 360)
	turns, _ := p.QuarterTurns()
	if turns%2 == 1 {
		p.Width, p.Height = p.Height, p.Width
		p.WidthRatio, p.HeightRatio = p.HeightRatio, p.WidthRatio
		if p.Flip == params.FlipH || p.Flip == params.FlipV {
			p.Flip ^= params.FlipHV
		}
	}
	if row, col, ok := anchorCell(p.Crop); ok {
		for range turns {
			row, col = col, 2-row // a clockwise quarter turn
		}
		p.Crop = pathurl.AnchorAt(row, col)
	}
}

// anchorCell is the row and column (0-2) of anchor c in
// pathurl.AnchorAt's grid; ok is false for a crop that is not an anchor.
func anchorCell(c params.Crop) (row, col int, ok bool) {
	for row := range 3 {
		for col := range 3 {
			if pathurl.AnchorAt(row, col) == c {
				return row, col, true
			}
		}
	}
	return 0, 0, false
}

// applyProportion scales the output by v (0 < v <= 1; 0: unset), as
// Thumbor's proportion filter resizes its result: the requested sides
// times v, or with neither side given the image's own (after the manual
// crop).
func applyProportion(p *params.Params, v float64) {
	if v == 0 || v == 1 {
		return
	}
	if p.Width == 0 && p.Height == 0 && p.WidthRatio == 0 && p.HeightRatio == 0 {
		p.WidthRatio, p.Fit = v, params.FitClip
		return
	}
	for _, side := range []*int{&p.Width, &p.Height} {
		if *side > 0 {
			*side = max(1, int(math.Round(float64(*side)*v)))
		}
	}
	for _, r := range []*float64{&p.WidthRatio, &p.HeightRatio} {
		*r *= v // an orig side
	}
}

func align(g geometry) params.Crop {
	if g.smart {
		return params.CropAttention
	}
	row, col := 1, 1
	switch g.valign {
	case "top":
		row = 0
	case "bottom":
		row = 2
	}
	switch g.halign {
	case "left":
		col = 0
	case "right":
		col = 2
	}
	return pathurl.AnchorAt(row, col)
}

// setTrim reads trim[:top-left|:bottom-right][:tolerance] (Thumbor's URL
// pattern): the border that matches the top-left (default) or the
// bottom-right pixel's colour, within the tolerance, the euclidean
// distance between the colours (0 by default; 0-442 covers RGB), is cut,
// as Thumbor measures it (params.TrimByDistance).
func setTrim(p *params.Params, s string) error {
	var parts []string // what follows "trim:", split at ":"
	if rest := strings.TrimPrefix(s, "trim"); rest != "" {
		parts = strings.Split(rest[1:], ":")
	}
	corner := "top-left"
	if len(parts) > 0 && (parts[0] == "top-left" || parts[0] == "bottom-right") {
		corner, parts = parts[0], parts[1:]
	}
	tol, ok := 0, len(parts) <= 1
	if ok && len(parts) == 1 {
		var err error
		tol, err = params.ParseInt(parts[0], 0, math.MaxInt32)
		ok = err == nil
	}
	if !ok {
		return pathurl.Bad("trim", "trim takes trim, trim:top-left or trim:bottom-right (the pixel whose colour is cut), then optionally :tolerance, an integer (the euclidean distance between colours, 0 by default; 0-442 for RGB), such as trim:bottom-right:50.")
	}
	p.Trim, p.TrimBy, p.TrimBottomRight = true, params.TrimByDistance, corner == "bottom-right"
	if tol > 0 {
		p.TrimTolerance, p.TrimToleranceSet = float64(tol), true
	}
	return nil
}

// isCrop matches AxB:CxD (integers).
func isCrop(s string) bool {
	a, b, ok := strings.Cut(s, ":")
	return ok && isPair(a, false) && isPair(b, false)
}

func cropRect(s string) params.Rect {
	a, b, _ := strings.Cut(s, ":")
	l, t := pair(a)
	r, bo := pair(b)
	if r <= l || bo <= t {
		return params.Rect{}
	}
	return params.Rect{X: l, Y: t, W: r - l, H: bo - t}
}

// isSize matches [-]Wx[-]H, W and H integers or orig.
func isSize(s string) bool { return isPair(s, true) }

func isPair(s string, size bool) bool {
	w, h, ok := strings.Cut(s, "x")
	return ok && isDim(w, size) && isDim(h, size)
}

func isDim(s string, size bool) bool {
	if size {
		s = strings.TrimPrefix(s, "-")
		if s == "orig" || s == "" {
			return true
		}
	}
	_, err := params.ParseInt(s, 0, pathurl.MaxDimension)
	return err == nil
}

func pair(s string) (int, int) {
	a, b, _ := strings.Cut(s, "x")
	x, _ := params.ParseInt(a, 0, pathurl.MaxDimension)
	y, _ := params.ParseInt(b, 0, pathurl.MaxDimension)
	return x, y
}

// setSize reads [-]Wx[-]H: a "-" flips that axis; 0 or nothing is
// proportional to the other side, orig the source's own side (after the
// manual crop: a ratio of 1), as transformer.py's
// _calculate_target_dimensions sets target_width = source_width for it.
func setSize(p *params.Params, s string) error {
	ws, hs, _ := strings.Cut(s, "x")
	var flip params.Flip
	if w, ok := strings.CutPrefix(ws, "-"); ok {
		ws, flip = w, flip|params.FlipH
	}
	if h, ok := strings.CutPrefix(hs, "-"); ok {
		hs, flip = h, flip|params.FlipV
	}
	p.Flip = flip
	for _, d := range []struct {
		s     string
		dst   *int
		ratio *float64
	}{{ws, &p.Width, &p.WidthRatio}, {hs, &p.Height, &p.HeightRatio}} {
		if d.s == "orig" {
			*d.ratio = 1
		}
		if d.s == "orig" || d.s == "" {
			continue
		}
		*d.dst, _ = params.ParseInt(d.s, 0, pathurl.MaxDimension)
	}
	return nil
}
