package imgix

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/jebosio/matte/params"
)

// Syntactic limits of the query dialect.
const (
	maxDimension = 100000
	// maxFrame bounds frame numbers and intervals; imgix processes GIFs
	// of fewer than 900 frames.
	maxFrame   = 100000
	maxBlur    = 2000
	maxSharpen = 100
	maxPad     = 10000
	// maxBorder bounds border's widths (CSS pixels); imgix suggests up to 100.
	maxBorder   = 1000
	maxPixelate = 100
	// txt: bytes of text, and the largest font size in pixels.
	maxText     = 500
	maxTextSize = 1000
	// txt-line: the outline's width in CSS pixels.
	maxTextLine = 20
	// trim-tol is a distance between colours (at most 442 in 8-bit RGB);
	// trim-pad follows imgix's range.
	maxTrimTolerance = 442
	maxTrimPad       = 200
	// trim-md and trim-sd are differences and spreads of 8-bit levels.
	maxTrimStat = 255
	// maxUnsharpRadius bounds usmrad; the blur behind it costs no more per
	// pixel than blur's limit (transform.Limits.MaxBlurSigma) whatever it is.
	maxUnsharpRadius = 500

	maxModelName    = 64
	maxFGPad        = 10000
	maxFeather      = 100
	maxErode        = 100
	maxBgBlur       = 100
	maxShadowOffset = 1000
	maxShadowBlur   = 100
)

// ParseQuery parses Matte's parameters of q into canonical Params: values
// that mean the default become the zero value (dpr=1, fit=clip, rot=0 and
// every multiple of 360, crop=center, flip unset, lossless=0, blur=0, ...),
// and spellings that mean the same thing give equal Params (fm=jpg and
// fm=jpeg; bg=fff, bg=%23FFFFFF and bg=white). A q without any of Matte's
// parameters gives the zero Params.
//
// rot and mark-rot turn counter-clockwise, as imgix documents, and are
// stored as Params' clockwise angles (rot=90 is Rotate 270). rot
// straightens by default (RotateStraighten: the output keeps its size,
// zoomed so that no corner shows); rot-type=pivot keeps the turned image's
// whole bounding box instead, and rot-type=straighten is the default
// spelled out. rot-type without a turn changes nothing.
//
// The rules every parameter shares:
//
//   - Names are case-sensitive; a name that is not Matte's (see IsParam) is
//     ignored here and left for the origin.
//   - imgix's aliases of Matte's parameters (width for w, mono for
//     monochrome, ...: see aliases; not the one-letter ones) mean their
//     target, and NAME64 is NAME with its value in URL-safe Base64 without
//     padding (bg64=I2ZmZg is bg=#fff), for every parameter but auto and
//     ch, as in imgix. A parameter
//     written under two names (w and width, bg and bg64) is given twice,
//     an error. Errors name the field as the query wrote it.
//   - Keywords (fit=crop, fm=webp, ...) are lower-case only, as in imgix;
//     colour names and hex digits are case-insensitive, as in CSS.
//   - An empty value ("?w=" or "?w") is an error for every parameter but dl
//     (where it means the source's file name): Matte never reads an empty
//     value as "absent". Leave the parameter out instead.
//   - A parameter given more than once ("w=1&w=2") is an error, even when the
//     values agree.
//   - No surrounding space is trimmed: "w= 10" is an error.
//   - Integers are plain ASCII decimal digits (leading zeros allowed, no sign,
//     no fraction); decimals add an optional sign and one optional ".", but no
//     exponent, "Inf" or "NaN".
//   - auto=compress is accepted and ignored: imgix URLs very often carry
//     auto=format,compress, and the configured per-format quality already
//     plays that role. So are enhance, redeye and true (imgix's older
//     enhance): Matte enhances nothing automatically, and refusing them
//     would break pages (imgix's own dpr example carries auto=enhance).
//     Any other auto value is an error.
//   - fit= also takes the CSS object-fit names that other builders write:
//     cover (crop), contain (fill), inside (max), outside (min); they give
//     the same Params as the imgix names.
//   - ar=W:H (two decimals above 0, up to 100000) shapes fit=crop and
//     fit=fill, as in imgix: with w alone it sets h to w×H/W (rounded), with
//     h alone w to h×W/H, so w=600&ar=2:1 gives the Params of w=600&h=300
//     (under ch=width, h from w keeps ar too, for ApplyClientHints);
//     with neither, or with the one side given as a fraction, it stays in
//     Params.AspectRatio for the pipeline (which knows the source's size)
//     to cut (crop) or pad (fill) the source to that ratio. With both w and
//     h, or any other fit, it is validated and has no effect.
//     A derived side over 100000 is an error on ar.
//   - fill=solid (the default) or blur, fill-color (a colour, as bg) and
//     fill-blur=0..2000 (0: automatic) shape fit=fill's excess space, as in
//     imgix: fill-color colours it (bg still fills the image's own
//     transparency), fill=blur fills it with a blurred copy of the image.
//     fill-blur needs fill=blur, and fill-color cannot be combined with it.
//     With another fit they are validated and have no effect. fill=gen and
//     fill=gradient are errors.
//   - pad-top, pad-right, pad-bottom, pad-left (0..10000) set one side's
//     padding, in place of pad's; sides that come out equal give the Params
//     of pad alone.
//   - max-w, max-h, min-w, min-h (1..100000, CSS pixels as w and h) bound
//     fit=crop's box, as in imgix: a side not given is taken from the
//     image's aspect ratio, then each side is kept within its bounds and the
//     image cropped to the box. A min over its max is an error on both;
//     with another fit they are validated and have no effect.
//   - crop=focalpoint keeps the point fp-x, fp-y (0..1, 0.5 when left
//     out) in view, zoomed fp-z times (1..100; fit=crop only) first;
//     fp-x, fp-y and fp-z need crop=focalpoint.
//   - crop= is validated whatever fit= says, but a focus only matters to
//     fit=crop and fit=min, so with any other fit the result keeps
//     CropCenter. crop=fg is not a focus: it sets Removal.CropToForeground
//     and leaves Crop at CropCenter.
//
// Background removal (Params.Removal) is asked for with rembg=1 or its alias
// bg-remove=true (1, true, 0, false both; giving both names is an error, as a
// repeated parameter is). Its options:
//
//   - model=NAME, NAME matching [a-z0-9][a-z0-9_.-]{0,63}; whether the
//     configuration knows it is the handler's check.
//   - mask, refine: 1, true, 0, false.
//   - bg-remove-semi-transparency is imgix's spelling of semitransparency
//     (below); giving both is an error, as for rembg and bg-remove.
//     bg-remove-fg-type=auto or car (imgix's foreground hint) is validated
//     and has no effect: Matte's models take no subject type.
//   - threshold=0..1 makes the matte hard (Hard, Threshold);
//     semitransparency=0 or false is threshold=0.5, and semitransparency=1 or
//     true is the default. threshold with semitransparency=0 is threshold
//     alone; threshold with semitransparency=1 is an error on both.
//   - feather=0..100 (decimal pixels), erode=0..100 (integer pixels).
//   - crop=fg, and fg-pad=N (integer pixels, 0..10000) or N% (decimal,
//     0..100) around it.
//   - scale=original (unset), 0.1..1, or 10%..100% (decimal); 1 and 100%
//     are kept, as "fill the canvas" differs from "as is".
//   - position=center (50,50), original (unset), or percentages 0..100 (decimal,
//     "%" optional): one for both axes ("30%") or x,y ("30%,70%").
//     As in remove.bg, scale without position centres the subject
//     (Position 50,50); scale with position=original leaves Position unset.
//   - bg-blur=1..100 (integer), bg-gradient=TOP,BOTTOM (two colours as bg),
//     bg-image=an http:// or https:// URL (lower-case scheme, a host, no user
//     info, no fragment, no space) or an absolute path ("/..." but not "//...",
//     without "." or ".." segments); at most 2048 bytes, no control
//     characters, kept as given (fetching and allow-listing it is the
//     handler's job).
//   - shadow=drop or none (none is off); shadow-color (a colour; black, the
//     default, is left unset), shadow-opacity (above 0 and up to 1; 0.5, the
//     default, is left 0), shadow-offset=X,Y (integers -1000..1000; 0,10, the
//     default, is left unset), shadow-blur (above 0 and up to 100; 10, the
//     default, is left 0).
//   - fm=zip (FormatZIP).
//
// The rules between parameters, each reported on the field named (a field
// gets one error at most, the first of this list; a parameter that is bad on
// its own is left out of them):
//
//   - Every removal option above (any value, also mask=0 or shadow=none), and
//     crop=fg and fm=zip, needs rembg=1: without it each is an error.
//   - shadow-color, shadow-opacity, shadow-offset, shadow-blur need
//     shadow=drop; fg-pad needs crop=fg.
//   - mask=1 cannot be combined with bg, bg-blur, bg-gradient, bg-image,
//     shadow=drop or fm=zip: an error on mask and on each of those.
//   - bg, bg-blur, bg-gradient and bg-image are alternatives: when more than
//     one is given, each of them is an error. bg alone (even translucent) is
//     a fine background for a cut-out subject.
//   - threshold with semitransparency=1 (see above).
//
// With rembg=0 (or none) and no option, Removal is the zero value.
//
// On failure the error is an Errors with one 400 invalid_parameter *Error per
// bad parameter, Field being the parameter's name, sorted by Field; the
// Params returned then is the zero value.
func ParseQuery(q url.Values) (params.Params, error) {
	var p params.Params
	errs := map[string]string{} // parameter → detail; the first problem found wins
	q, written := canonicalQuery(q, errs)
	applyMarkBase(q)
	given := make([]string, 0, len(q))
	for name := range q {
		if _, ok := paramSpecs[name]; ok {
			given = append(given, name)
		}
	}
	slices.Sort(given) // one order for every query: setters run by name
	for _, name := range given {
		vals := q[name]
		if _, bad := errs[name]; bad || len(vals) == 0 {
			continue
		}
		spec, shown := paramSpecs[name], written[name]
		if name == "auto" && len(vals) > 1 {
			// imgix: auto "is the only parameter that can be combined by
			// reiteration, e.g. auto=compress&auto=enhance&auto=format".
			vals = []string{strings.Join(vals, ",")}
		}
		var detail string
		switch {
		case len(vals) > 1:
			detail = fmt.Sprintf("%s is given %d times; give it once, as %s.", shown, len(vals), spec.allowed)
		case vals[0] == "" && !emptyMeans[name]:
			detail = fmt.Sprintf("%s is empty; leave it out, or give %s.", shown, spec.allowed)
		default:
			if err := spec.set(&p, vals[0]); err != nil {
				detail = fmt.Sprintf("%s=%s is not valid", shown, params.QuoteShort(vals[0]))
				if !errors.Is(err, params.ErrSyntax) {
					detail += " (" + err.Error() + ")"
				}
				detail += fmt.Sprintf("; %s must be %s.", shown, spec.allowed)
			}
		}
		if detail != "" {
			errs[name] = detail
		}
	}
	checkRemoval(q, &p, errs)
	applyAspectRatio(&p, errs)
	checkFill(q, &p, errs)
	checkFocus(q, &p, errs)
	checkCropLimits(&p, errs)
	checkFaces(&p)
	checkStylize(q, &p, errs)
	checkWatermark(q, &p, errs)
	checkTrim(q, &p, errs)
	if givenOnce(q, "nr") || givenOnce(q, "nrs") {
		d := &p.Denoise
		d.Set = true
		if !givenOnce(q, "nr") {
			d.Bound = 20 // imgix's default
		}
		if !givenOnce(q, "nrs") {
			d.Sharpen = 20
		}
		if d.Bound <= 0 && d.Sharpen <= 0 {
			*d = params.Denoise{} // both parts off: nothing to do, nothing to key
		}
	}
	checkText(q, &p, errs)
	checkBlend(q, &p, errs)
	checkBorder(q, &p, errs)
	applyPadding(q, &p, errs)
	checkSubPixel(q, &p, errs)
	if len(errs) > 0 {
		list := make(params.Errors, 0, len(errs))
		for name, d := range errs {
			field := name
			if w := written[name]; w != "" {
				field = w // as the client wrote it: width, bg64
			}
			list = append(list, params.BadParam(field, d))
		}
		slices.SortFunc(list, func(a, b *params.Error) int { return strings.Compare(a.Field, b.Field) })
		return params.Params{}, list
	}
	if p.Fit != params.FitCrop && p.Fit != params.FitMin {
		p.Crop, p.Focus = params.CropCenter, params.Focus{}
	}
	if p.Fit != params.FitCrop || p.Focus.Zoom == 1 {
		p.Focus.Zoom = 0 // fp-z zooms fit=crop only; 1 is no zoom
	}
	if r := &p.Removal; r.Scale != 0 && len(q["position"]) == 0 {
		// As in remove.bg, a scaled subject is centred unless position says
		// otherwise (position=original keeps its place).
		r.Position = params.Position{X: 50, Y: 50, Set: true}
	}
	return p, nil
}

// applyAspectRatio resolves ar (see ParseQuery's doc) once w, h and fit
// are known, adding to errs a derived side out of range.
func applyAspectRatio(p *params.Params, errs map[string]string) {
	ar := p.AspectRatio
	if ar == 0 || errs["ar"] != "" || errs["w"] != "" || errs["h"] != "" || errs["fit"] != "" {
		return
	}
	p.AspectRatio = 0
	if p.Fit != params.FitCrop && !p.Fit.Fills() {
		return // as in imgix: ar only shapes fit=crop and fit=fill (fillmax)
	}
	derive := func(given, side string, v float64) int {
		n := int(math.Round(v))
		if n > maxDimension {
			errs["ar"] = fmt.Sprintf("ar with this %s gives a %s of %.0f; the most is %d.", given, side, v, maxDimension)
		}
		return max(n, 1)
	}
	hasW, hasH := p.Width > 0 || p.WidthRatio > 0, p.Height > 0 || p.HeightRatio > 0
	switch {
	case hasW && hasH: // w and h fix the ratio already
	case p.WidthRatio > 0 || p.HeightRatio > 0:
		p.AspectRatio = ar // the other side from the image's size: the pipeline's
	case p.Width > 0:
		p.Height = derive("w", "height", float64(p.Width)/ar)
		if p.ClientHints&params.HintWidth != 0 {
			p.AspectRatio = ar // a width hint derives h again (ApplyClientHints)
		}
	case p.Height > 0:
		p.Width = derive("h", "width", float64(p.Height)*ar)
	default:
		p.AspectRatio = ar // at the source's scale: the pipeline knows its size
	}
}

// checkFill adds to errs the conflicts of fill, fill-color and fill-blur
// (see ParseQuery's doc), and drops them when fit is not fill.
func checkFill(q url.Values, p *params.Params, errs map[string]string) {
	given := func(name string) bool { return givenOnce(q, name) && errs[name] == "" }
	if given("fill-blur") && !p.FillBlur && errs["fill"] == "" {
		errs["fill-blur"] = "fill-blur sets the strength of fill=blur; it needs fill=blur."
	}
	if given("fill-color") && p.FillBlur {
		errs["fill-color"] = "fill-color colours a solid fill; it cannot be combined with fill=blur."
		errs["fill"] = "fill=blur fills with the image; it cannot be combined with fill-color."
	}
	if !p.Fit.Filled() {
		p.FillColor, p.FillBlur, p.FillBlurStrength = params.Color{}, false, 0
	}
}

// checkStylize adds to errs usmrad given without usm, corner-radius without
// mask=corners and mask-bg without a mask shape, and leaves out of p
// what has no effect: usmrad at its default (2.5) or with usm=0, hue as a
// whole turn (hue is kept as 0..359), px=1 (blocks of one pixel), and a
// monochrome colour of alpha 0.
func checkStylize(q url.Values, p *params.Params, errs map[string]string) {
	if givenOnce(q, "usmrad") && errs["usmrad"] == "" && len(q["usm"]) == 0 {
		errs["usmrad"] = "usmrad is the unsharp mask's radius; it needs usm."
	}
	if givenOnce(q, "corner-radius") && errs["corner-radius"] == "" && errs["mask"] == "" && p.Mask != params.ShapeCorners {
		errs["corner-radius"] = "corner-radius rounds mask=corners; it needs mask=corners."
	}
	if givenOnce(q, "mask-bg") && errs["mask-bg"] == "" && errs["mask"] == "" && p.Mask == params.ShapeNone {
		errs["mask-bg"] = "mask-bg colours what mask=ellipse or mask=corners cuts away; it needs one of them."
	}
	if p.UnsharpMask == 0 || p.UnsharpRadius == 2.5 {
		p.UnsharpRadius = 0
	}
	p.Hue = (p.Hue%360 + 360) % 360
	if p.Pixelate == 1 {
		p.Pixelate = 0
	}
	if p.Monochrome.A == 0 {
		p.Monochrome = params.Color{}
	}
}

// borderOptions are border's parameters besides border, sorted.
var borderOptions = []string{"border-bottom", "border-left", "border-radius", "border-radius-inner", "border-right", "border-top"}

// checkBorder adds to errs a border option given without border, and drops
// a border that draws nothing (no width, or a transparent colour without
// an outer radius, which alone still rounds the output's corners).
func checkBorder(q url.Values, p *params.Params, errs map[string]string) {
	b := &p.Border
	if !givenOnce(q, "border") || errs["border"] != "" {
		requireParent(q, errs, "border", borderOptions, "shapes the border")
		*b = params.Border{}
		return
	}
	if b.Sides == (params.Sides{}) || b.Color.A == 0 {
		b.Sides, b.Color, b.InnerRadius = params.Sides{}, params.Color{}, params.Corners{}
	}
	if b.Radius == (params.Corners{}) || b.Radius == (params.Corners{Set: true}) {
		b.Radius = params.Corners{}
	}
	if b.InnerRadius == (params.Corners{Set: true}) {
		b.InnerRadius = params.Corners{}
	}
}

// checkBlend adds to errs blend and blend-color given together, and a
// blend option without either; it fills in imgix's defaults (overlay,
// fully) and drops a blend that shows nothing (blend-alpha=0, or a
// transparent colour).
func checkBlend(q url.Values, p *params.Params, errs map[string]string) {
	b := &p.Blend
	if givenOnce(q, "blend") && givenOnce(q, "blend-color") {
		errs["blend"] = "blend and blend-color both set the blend's colour; give only one of them."
		errs["blend-color"] = "blend-color and blend both set the blend's colour; give only one of them."
	}
	if !b.Color.Set {
		if errs["blend"] == "" && errs["blend-color"] == "" {
			requireParent(q, errs, "blend", []string{"blend-alpha", "blend-mode"}, "shapes the blend")
		}
		*b = params.Blend{}
		return
	}
	if !givenOnce(q, "blend-mode") {
		b.Mode = params.BlendOverlay
	}
	if !givenOnce(q, "blend-alpha") {
		b.Alpha = 100
	}
	if b.Alpha == 0 || b.Color.A == 0 {
		*b = params.Blend{}
	}
}

// textOptions are txt's options, sorted.
var textOptions = []string{"txt-align", "txt-clip", "txt-color", "txt-fit", "txt-font", "txt-line", "txt-line-color", "txt-pad", "txt-shad", "txt-size", "txt-width", "txt-x", "txt-y"}

// checkText adds to errs a txt option given without txt, and fills in
// imgix's defaults for a text: 12 px, opaque black, sans (for Helvetica),
// bottom right, 10 px in.
func checkText(q url.Values, p *params.Params, errs map[string]string) {
	t := &p.Text
	if t.Text == "" {
		requireParent(q, errs, "txt", textOptions, "shapes the text")
		*t = params.Text{}
		return
	}
	if !givenOnce(q, "txt-size") {
		t.Size = 12
	}
	if !givenOnce(q, "txt-color") {
		t.Color = params.Color{A: 255, Set: true}
	}
	if !givenOnce(q, "txt-font") {
		t.Font = "sans"
	}
	if !givenOnce(q, "txt-align") {
		t.Align = params.CropBottomRight
	}
	if !givenOnce(q, "txt-pad") {
		t.Pad = 10
	}
	t.XSet, t.YSet = givenOnce(q, "txt-x"), givenOnce(q, "txt-y")
	if t.Outline == 0 {
		requireParent(q, errs, "txt-line", []string{"txt-line-color"}, "colours the text's outline")
		t.OutlineColor = params.Color{}
	} else if !givenOnce(q, "txt-line-color") {
		t.OutlineColor = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true} // imgix: fff
	}
}

// parseFont turns imgix's txt-font (names and styles separated by commas)
// into a Pango font description without a size: "Family1,Family2 bold
// italic". A name's hyphens become spaces (Avenir-Black is "Avenir Black").
func parseFont(v string) (string, error) {
	parts := strings.Split(v, ",")
	if len(parts) > 4 {
		return "", params.ErrSyntax
	}
	var families, styles []string
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" || len(part) > 64 {
			return "", params.ErrSyntax
		}
		for _, c := range part {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ' ' || c == '-') {
				return "", params.ErrSyntax
			}
		}
		generic, isGeneric := params.GenericFontFamily(part)
		switch lower := strings.ToLower(part); {
		case lower == "bold" || lower == "italic":
			if !slices.Contains(styles, lower) {
				styles = append(styles, lower)
			}
		case isGeneric:
			families = append(families, generic)
		default:
			// Hyphens stand for spaces (Open-Sans); a name of hyphens alone
			// names nothing.
			name := strings.TrimSpace(strings.ReplaceAll(part, "-", " "))
			if name == "" {
				return "", params.ErrSyntax
			}
			families = append(families, name)
		}
	}
	if len(families) == 0 {
		families = []string{"sans"}
	}
	slices.Sort(styles) // bold before italic, whichever order was written
	return strings.TrimSpace(strings.Join(families, ",") + " " + strings.Join(styles, " ")), nil
}

// checkTrim adds to errs trim-tol or trim-pad given without trim,
// trim-color without trim=color (trim=auto takes the top-left pixel's),
// and trim-md or trim-sd without trim=auto. With trim=auto, either of
// those makes the trim walk the border rows (params.TrimByRows), the other
// at imgix's default; trim-tol, the colour distance of the top-left
// pixel's match, has no part in that walk.
func checkTrim(q url.Values, p *params.Params, errs map[string]string) {
	if errs["trim"] != "" {
		return
	}
	for _, name := range []string{"trim-tol", "trim-pad"} {
		if givenOnce(q, name) && errs[name] == "" && !p.Trim {
			errs[name] = name + " shapes trim; it needs trim=auto or trim=color."
		}
	}
	trim := ""
	if givenOnce(q, "trim") {
		trim = q["trim"][0]
	}
	if givenOnce(q, "trim-color") && errs["trim-color"] == "" && trim != "color" {
		errs["trim-color"] = "trim-color is the colour trim=color cuts away; it needs trim=color."
	}
	md, sd := givenOnce(q, "trim-md"), givenOnce(q, "trim-sd")
	if !md && !sd {
		return
	}
	for _, name := range []string{"trim-md", "trim-sd"} {
		if givenOnce(q, name) && errs[name] == "" && trim != "auto" {
			errs[name] = name + " is a threshold of trim=auto; it needs trim=auto."
		}
	}
	if trim != "auto" {
		return
	}
	if givenOnce(q, "trim-tol") && errs["trim-tol"] == "" {
		errs["trim-tol"] = "trim-tol is the colour distance of trim=color (and of trim=auto without trim-md and trim-sd); with trim-md or trim-sd it has no part."
	}
	p.TrimBy = params.TrimByRows
	if !md {
		p.TrimMeanDiff = params.DefaultTrimMeanDiff
	}
	if !sd {
		p.TrimStdDev = params.DefaultTrimStdDev
	}
}

// requireParent adds to errs each of options given (and valid) while their
// parent parameter is absent: "<option> <role>; it needs <parent>.". An
// invalid parent is reported on its own and makes no more errors.
func requireParent(q url.Values, errs map[string]string, parent string, options []string, role string) {
	if errs[parent] != "" {
		return
	}
	for _, name := range options {
		if givenOnce(q, name) && errs[name] == "" {
			errs[name] = name + " " + role + "; it needs " + parent + "."
		}
	}
}

// markOptions are the watermark's parameters besides mark, sorted.
var markOptions = []string{"mark-align", "mark-alpha", "mark-base", "mark-fit", "mark-h", "mark-if-min-height", "mark-if-min-width", "mark-pad", "mark-rot", "mark-scale", "mark-tile", "mark-w", "mark-x", "mark-y"}

// checkWatermark adds to errs a watermark option given without mark, and
// mark-scale given with mark-w or mark-h; it fills in the defaults of a
// watermark (bottom right, 5 pixels in, opaque) and drops one of mark-alpha=0,
// which shows nothing.
func checkWatermark(q url.Values, p *params.Params, errs map[string]string) {
	m := &p.Watermark
	if m.Image == "" {
		requireParent(q, errs, "mark", markOptions, "places or shapes the watermark")
		*m = params.Watermark{}
		return
	}
	if givenOnce(q, "mark-scale") && m.Scale > 0 && (givenOnce(q, "mark-w") || givenOnce(q, "mark-h")) && errs["mark-scale"] == "" {
		errs["mark-scale"] = "mark-scale sizes the watermark by the output's width; give it or mark-w and mark-h, not both."
	}
	if !givenOnce(q, "mark-align") {
		m.Align = params.CropBottomRight
		if m.Tile {
			m.Align = params.CropTopLeft // imgix: a grid starts at the top left
		}
	}
	if !givenOnce(q, "mark-pad") {
		m.Pad = 5
	}
	if !givenOnce(q, "mark-alpha") {
		m.Alpha = 100
	}
	m.XSet, m.YSet = givenOnce(q, "mark-x"), givenOnce(q, "mark-y")
	if m.Alpha == 0 {
		*m = params.Watermark{}
	}
}

// alignSpec is mark-align or txt-align (parseAlign), stored at the field at
// returns.
func alignSpec(at func(p *params.Params) *params.Crop) paramSpec {
	return paramSpec{"one or two of top, middle, bottom (vertical) and left, center, right (horizontal), separated by a comma, such as bottom,right", func(p *params.Params, v string) (err error) {
		*at(p), err = parseAlign(v)
		return err
	}}
}

// parseAlign parses imgix's mark-align and txt-align: one or two keywords, at most one
// per axis; an axis left out is centred.
func parseAlign(v string) (params.Crop, error) {
	var vert, horiz string
	parts := strings.Split(v, ",")
	if len(parts) > 2 {
		return 0, params.ErrSyntax
	}
	for _, part := range parts {
		switch part {
		case "top", "middle", "bottom":
			if vert != "" {
				return 0, params.ErrSyntax
			}
			vert = part
		case "left", "center", "right":
			if horiz != "" {
				return 0, params.ErrSyntax
			}
			horiz = part
		default:
			return 0, params.ErrSyntax
		}
	}
	name := strings.Trim(strings.NewReplacer("middle", "", "center", "").Replace(vert+"-"+horiz), "-")
	if name == "" {
		return params.CropCenter, nil
	}
	c, ok := params.ParseCrop(name)
	if !ok {
		return 0, params.ErrSyntax
	}
	return c, nil
}

// checkFocus adds to errs fp-x, fp-y or fp-z given without
// crop=focalpoint, and places an unset coordinate of the focal point at
// the middle, as imgix does.
func checkFocus(q url.Values, p *params.Params, errs map[string]string) {
	for _, name := range []string{"fp-x", "fp-y", "fp-z"} {
		given := givenOnce(q, name) && errs[name] == ""
		switch {
		case given && !p.Focus.Set && errs["crop"] == "":
			errs[name] = name + " places the focal point of crop=focalpoint; it needs crop=focalpoint."
		case !given && name == "fp-x":
			p.Focus.X = 0.5
		case !given && name == "fp-y":
			p.Focus.Y = 0.5
		}
	}
	if !p.Focus.Set {
		p.Focus = params.Focus{}
	}
}

// checkCropLimits adds to errs a min-w over max-w or a min-h over max-h,
// and drops the limits when fit is not crop (they bound fit=crop's box
// only, as in imgix).
func checkCropLimits(p *params.Params, errs map[string]string) {
	l := p.CropLimits
	for _, axis := range []struct {
		min, max   int
		minN, maxN string
	}{{l.MinW, l.MaxW, "min-w", "max-w"}, {l.MinH, l.MaxH, "min-h", "max-h"}} {
		if axis.min > 0 && axis.max > 0 && axis.min > axis.max && errs[axis.minN] == "" && errs[axis.maxN] == "" {
			detail := fmt.Sprintf("%s=%d is above %s=%d; the box cannot be both.", axis.minN, axis.min, axis.maxN, axis.max)
			errs[axis.minN], errs[axis.maxN] = detail, detail
		}
	}
	if p.Fit != params.FitCrop {
		p.CropLimits = params.CropLimits{}
	}
}

// applyPadding sets the padding of each side: pad-top, pad-right,
// pad-bottom or pad-left where given, else pad, as imgix does. It then
// keeps the padded image within w and h, as imgix's pad documents: "If the
// image is requested without a specified width and height, padding will be
// added to the dimensions of the image. If the image is cropped or
// resized, the image (including the padding) will be sized to fit within
// the requested dimensions." The pipeline adds Pad and Padding around the
// fitted image, so Width and Height (after ar has set the box) become the
// box less the padding across them (innerSide); a side given as a fraction
// of the image (w=0.5) is a box only the pipeline knows, and the padding
// still adds to it. max-w, max-h, min-w and min-h lose the padding in
// the same way. Padding that leaves no room is an error on the pad
// parameters that set it.
func applyPadding(q url.Values, p *params.Params, errs map[string]string) {
	side := func(name string, v int) int {
		if givenOnce(q, name) {
			return v
		}
		return p.Pad
	}
	s := p.Padding
	p.SetPadding(params.Sides{Top: side("pad-top", s.Top), Right: side("pad-right", s.Right),
		Bottom: side("pad-bottom", s.Bottom), Left: side("pad-left", s.Left)})
	for _, name := range []string{"w", "h", "ar", "dpr", "pad", "pad-top", "pad-right", "pad-bottom", "pad-left"} {
		if errs[name] != "" {
			return // the query is refused anyway; its box is not known
		}
	}
	s = p.PadSides()
	dpr := p.DevicePixelRatio()
	for _, axis := range []struct {
		box          *int
		a, b         int
		aName, bName string // the sides' names in the message and their parameters
	}{{&p.Width, s.Left, s.Right, "left", "right"}, {&p.Height, s.Top, s.Bottom, "top", "bottom"}} {
		if *axis.box == 0 || axis.a+axis.b == 0 {
			continue
		}
		if in := innerSide(*axis.box, axis.a, axis.b, dpr); in > 0 {
			*axis.box = in
			continue
		}
		detail := fmt.Sprintf("The padding, %d on the %s and %d on the %s, leaves no room for the image within w and h: "+
			"imgix sizes the image with its padding to fit within them; give less padding or a larger size.", axis.a, axis.aName, axis.b, axis.bName)
		for _, name := range padFields(q, axis.aName, axis.a, axis.bName, axis.b) {
			errs[name] = detail
		}
	}
	// max-w, max-h, min-w and min-h bound the output as w and h do
	// (imgix's max-w: "The maximum allowed width of the output image"), so
	// they lose the padding across them too. A min the padding alone
	// reaches bounds nothing.
	l := &p.CropLimits
	for _, axis := range []struct {
		lo, hi         *int
		a, b           int
		loName, hiName string
		aName, bName   string
	}{{&l.MinW, &l.MaxW, s.Left, s.Right, "min-w", "max-w", "left", "right"}, {&l.MinH, &l.MaxH, s.Top, s.Bottom, "min-h", "max-h", "top", "bottom"}} {
		if axis.a+axis.b == 0 || errs[axis.loName] != "" || errs[axis.hiName] != "" {
			continue
		}
		*axis.lo = innerMin(*axis.lo, axis.a, axis.b, dpr)
		if *axis.hi == 0 {
			continue
		}
		if in := innerSide(*axis.hi, axis.a, axis.b, dpr); in > 0 {
			*axis.hi, *axis.lo = in, min(*axis.lo, in)
			continue
		}
		detail := fmt.Sprintf("The padding, %d on the %s and %d on the %s, leaves no room for the image within %s: "+
			"imgix sizes the image with its padding to fit within it; give less padding or a larger %s.", axis.a, axis.aName, axis.b, axis.bName, axis.hiName, axis.hiName)
		for _, name := range padFields(q, axis.aName, axis.a, axis.bName, axis.b) {
			if errs[name] == "" {
				errs[name] = detail
			}
		}
	}
}

// padFields names the parameters that set the padding of the sides named
// (left, right, ...; pad-SIDE where given, else pad), leaving out a side
// without padding, which no parameter of the query set.
func padFields(q url.Values, aName string, a int, bName string, b int) []string {
	var names []string
	for _, side := range []struct {
		name string
		v    int
	}{{aName, a}, {bName, b}} {
		if side.v == 0 {
			continue
		}
		name := "pad-" + side.name
		if !givenOnce(q, name) {
			name = "pad"
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// checkSubPixel adds to errs a dpr below 1 that brings w, h, max-w or
// max-h (less any padding) under one device pixel: the pipeline reads a
// side of 0 device pixels as no side at all.
func checkSubPixel(q url.Values, p *params.Params, errs map[string]string) {
	if p.DPR == 0 || p.DPR >= 1 || errs["dpr"] != "" {
		return
	}
	l := p.CropLimits
	for _, side := range []struct {
		name string
		v    int
	}{{"w", p.Width}, {"h", p.Height}, {"max-w", l.MaxW}, {"max-h", l.MaxH}} {
		if side.v > 0 && math.Round(float64(side.v)*p.DPR) < 1 {
			errs["dpr"] = fmt.Sprintf("dpr=%s brings %s to less than one device pixel; give a larger dpr or %s.", q.Get("dpr"), side.name, side.name)
			return
		}
	}
}

// innerMin is innerSide for a least size: the side, in CSS pixels, of the
// image that with padding a and b measures at least outer CSS pixels in
// device pixels at dpr (one more than outer - a - b where the pipeline's
// rounding of each part would leave it a pixel short); 0, no bound, where
// the padding alone is that wide, or where outer is 0.
func innerMin(outer, a, b int, dpr float64) int {
	dev := func(css int) int { return int(math.Round(float64(css) * dpr)) }
	in := outer - a - b
	if in <= 0 {
		return 0
	}
	if dev(in)+dev(a)+dev(b) < dev(outer) {
		in++
	}
	return in
}

// innerSide is the side, in CSS pixels, of the box the image is fitted
// into so that with padding a and b (CSS pixels) on either side it
// measures at most outer CSS pixels, in device pixels at dpr: the pipeline
// rounds each part to device pixels on its own (math.Round(css * dpr)), so
// outer - a - b can come out a pixel over at a fractional dpr, and is then
// one less. 0 or less: no room.
func innerSide(outer, a, b int, dpr float64) int {
	dev := func(css int) int { return int(math.Round(float64(css) * dpr)) }
	in := outer - a - b
	if in > 0 && dev(in)+dev(a)+dev(b) > dev(outer) {
		in--
	}
	return in
}

// givenOnce reports whether q gives name once, with a value (the rules
// between parameters judge only those; the rest are errors on their own).
func givenOnce(q url.Values, name string) bool { return len(q[name]) == 1 && q[name][0] != "" }

// removalOnly lists the parameters that only mean something with rembg=1,
// sorted; crop=fg and fm=zip are handled apart, as only those values are.
var removalOnly = []string{
	"bg-blur", "bg-gradient", "bg-image", "bg-remove-fg-type", "bg-remove-semi-transparency", "erode", "feather", "fg-pad", "model",
	"position", "refine", "scale", "semitransparency", "shadow", "shadow-blur",
	"shadow-color", "shadow-offset", "shadow-opacity", "threshold",
}

// backgrounds are the alternative backgrounds of a cut-out subject.
var backgrounds = []string{"bg", "bg-blur", "bg-gradient", "bg-image"}

// checkRemoval adds to errs the problems between parameters that are each
// valid on their own (see ParseQuery's doc). errs holds the per-parameter
// errors on entry; a parameter with one is neither checked nor counted
// here, and every field keeps its first error only.
func checkRemoval(q url.Values, p *params.Params, errs map[string]string) {
	bad := make(map[string]bool, len(errs))
	for name := range errs {
		bad[name] = true
	}
	// given: present once, non-empty and valid.
	given := func(name string) bool { return givenOnce(q, name) && !bad[name] }
	value := func(name string) string {
		if given(name) {
			return q[name][0]
		}
		return ""
	}
	fail := func(name, detail string) {
		if _, ok := errs[name]; !ok {
			errs[name] = detail
		}
	}
	r := &p.Removal

	// rembg and its alias bg-remove: one of them at most.
	if given("rembg") && given("bg-remove") {
		fail("rembg", "rembg and bg-remove are the same parameter; give only one of them.")
		fail("bg-remove", "bg-remove and rembg are the same parameter; give only one of them.")
		bad["rembg"] = true
	}

	// semitransparency and its imgix spelling: one of them at most; the
	// other checks below read whichever was given.
	if given("semitransparency") && given("bg-remove-semi-transparency") {
		fail("semitransparency", "semitransparency and bg-remove-semi-transparency are the same parameter; give only one of them.")
		fail("bg-remove-semi-transparency", "bg-remove-semi-transparency and semitransparency are the same parameter; give only one of them.")
		bad["semitransparency"], bad["bg-remove-semi-transparency"] = true, true
	}
	semi := "semitransparency"
	if given("bg-remove-semi-transparency") {
		semi = "bg-remove-semi-transparency"
	}

	// Removal options need removal (judged only once rembg itself is sound).
	if !bad["rembg"] && !bad["bg-remove"] && !r.Enabled {
		const needs = " is a background-removal option; it needs rembg=1 (or bg-remove=true)."
		for _, name := range removalOnly {
			if given(name) {
				fail(name, name+needs)
			}
		}
		if value("crop") == "fg" {
			fail("crop", "crop=fg"+needs)
		}
		if v := value("mask"); v != "" && v != "ellipse" && v != "corners" {
			fail("mask", "mask="+v+needs)
		}
		if value("fm") == "zip" {
			fail("fm", "fm=zip"+needs)
		}
	}

	// shadow-* need shadow=drop; fg-pad needs crop=fg.
	if !bad["shadow"] && !r.Shadow.Enabled {
		for _, name := range []string{"shadow-blur", "shadow-color", "shadow-offset", "shadow-opacity"} {
			if given(name) {
				fail(name, name+" shapes the drop shadow; it needs shadow=drop.")
			}
		}
	}
	if !bad["crop"] && !r.CropToForeground && given("fg-pad") {
		fail("fg-pad", "fg-pad is the margin around the foreground crop; it needs crop=fg.")
	}

	// mask=1 returns the matte alone: no background, shadow or ZIP.
	if r.MaskOnly && given("mask") {
		var with []string
		for _, name := range backgrounds {
			if given(name) {
				with = append(with, name)
			}
		}
		if r.Shadow.Enabled && given("shadow") {
			with = append(with, "shadow=drop")
		}
		if value("fm") == "zip" {
			with = append(with, "fm=zip")
		}
		if len(with) > 0 {
			fail("mask", "mask=1 returns the matte alone; it cannot be combined with "+joinAnd(with)+".")
			for _, opt := range with {
				name, _, _ := strings.Cut(opt, "=")
				fail(name, opt+" cannot be combined with mask=1, which returns the matte alone.")
			}
		}
	}

	// One background at most.
	var bgs []string
	for _, name := range backgrounds {
		if given(name) {
			bgs = append(bgs, name)
		}
	}
	if len(bgs) > 1 {
		for _, name := range bgs {
			fail(name, "bg, bg-blur, bg-gradient and bg-image are alternative backgrounds; give one at most (this request gives "+joinAnd(bgs)+").")
		}
	}

	// threshold makes the matte hard; semitransparency=1 keeps it soft.
	if given("threshold") && (value(semi) == "1" || value(semi) == "true") {
		fail(semi, semi+"="+value(semi)+" keeps a soft matte, but threshold cuts it; leave out one of them.")
		fail("threshold", "threshold cuts the matte, but "+semi+"="+value(semi)+" keeps it soft; leave out one of them.")
	}
}

// intSpec is an integer parameter from lo to hi, stored at the field at
// returns.
func intSpec(lo, hi int, at func(p *params.Params) *int) paramSpec {
	return paramSpec{fmt.Sprintf("an integer from %d to %d", lo, hi), func(p *params.Params, v string) (err error) {
		*at(p), err = params.ParseInt(v, lo, hi)
		return err
	}}
}

// sideSpec is w or h: an integer number of pixels, or a decimal between 0
// and 1 (exclusive, with a "."), the fraction of the image's side, as
// imgix reads it. at returns the pixel and the fraction fields.
func sideSpec(at func(p *params.Params) (*int, *float64)) paramSpec {
	return paramSpec{"an integer from 1 to 100000, or a fraction of the image's size between 0 and 1 such as 0.5", func(p *params.Params, v string) (err error) {
		px, ratio := at(p)
		*px, *ratio, err = params.ParseSide(v, maxDimension)
		return err
	}}
}

// colorSpec is a colour parameter, stored at the field at returns.
func colorSpec(at func(p *params.Params) *params.Color) paramSpec {
	return paramSpec{"a colour: " + colorForms, func(p *params.Params, v string) error {
		c, err := params.ParseColorAlphaFirst(v)
		if err != nil {
			return params.ErrSyntax
		}
		*at(p) = c
		return nil
	}}
}

// cornersSpec is corner-radius or border-radius(-inner): one radius in
// pixels for every corner, or four (clockwise from the top left),
// stored at the field at returns.
func cornersSpec(at func(p *params.Params) *params.Corners) paramSpec {
	return paramSpec{fmt.Sprintf("a radius in pixels from 0 to %d, or four (top left, top right, bottom right, bottom left) separated by commas", maxPad), func(p *params.Params, v string) error {
		parts := strings.Split(v, ",")
		if len(parts) != 1 && len(parts) != 4 {
			return params.ErrSyntax
		}
		var r [4]int
		for i, part := range parts {
			n, err := params.ParseInt(part, 0, maxPad)
			if err != nil {
				return err
			}
			r[i] = n
		}
		if len(parts) == 1 {
			r[1], r[2], r[3] = r[0], r[0], r[0]
		}
		*at(p) = params.Corners{TopLeft: r[0], TopRight: r[1], BottomRight: r[2], BottomLeft: r[3], Set: true}
		return nil
	}}
}

// decimalSpec is a decimal parameter from lo to hi, stored at the field at
// returns.
func decimalSpec(lo, hi float64, at func(p *params.Params) *float64) paramSpec {
	return paramSpec{fmt.Sprintf("a number from %g to %g", lo, hi), func(p *params.Params, v string) (err error) {
		*at(p), err = params.ParseDecimalIn(v, lo, hi)
		return err
	}}
}

// signedIntSpec is an integer parameter from -limit to limit (ASCII digits
// after an optional sign), stored at the field at returns.
func signedIntSpec(limit int, at func(p *params.Params) *int) paramSpec {
	return signedRangeSpec(-limit, limit, at)
}

// signedRangeSpec is an integer from lo to hi (lo <= 0 <= hi), with an
// optional sign.
func signedRangeSpec(lo, hi int, at func(p *params.Params) *int) paramSpec {
	return paramSpec{fmt.Sprintf("an integer from %d to %d", lo, hi), func(p *params.Params, v string) (err error) {
		*at(p), err = params.ParseSignedInt(v, lo, hi)
		return err
	}}
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// IsParam reports whether the query parameter name is one of Matte's, which
// the handler strips before forwarding the request to the origin: one of
// its parameters, imgix's alias of one (width) or a Base64 variant (w64).
// Names are case-sensitive: "W" is not Matte's.
func IsParam(name string) bool {
	_, _, ok := resolveName(name)
	return ok
}

// ParamNames returns Matte's query parameter names, sorted. The slice is a
// fresh copy on every call.
func ParamNames() []string { return slices.Clone(paramNames) }

type paramSpec struct {
	// allowed completes "<name> must be ...".
	allowed string
	// set parses v (non-empty, but for the names in emptyMeans) into p;
	// params.ErrSyntax or an error whose message adds a hint to the detail.
	set func(p *params.Params, v string) error
}

// emptyMeans lists the parameters whose empty value means something (dl
// alone downloads under the source's name) instead of being an error.
var emptyMeans = map[string]bool{"dl": true}

var paramSpecs = map[string]paramSpec{
	"w": sideSpec(func(p *params.Params) (*int, *float64) { return &p.Width, &p.WidthRatio }),
	"h": sideSpec(func(p *params.Params) (*int, *float64) { return &p.Height, &p.HeightRatio }),
	"dpr": {"a number above 0 and up to 5, such as 2 or 0.75", func(p *params.Params, v string) error {
		f, err := params.ParseDecimal(v)
		if err != nil || f <= 0 || f > 5 {
			return params.ErrSyntax
		}
		if f == 1 {
			f = 0
		}
		p.DPR = f
		return nil
	}},
	"ch": {"a comma-separated list of width, dpr and save-data (any case)", func(p *params.Params, v string) error {
		for part := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(part)) {
			case "width":
				p.ClientHints |= params.HintWidth
			case "dpr":
				p.ClientHints |= params.HintDPR
			case "save-data":
				p.ClientHints |= params.HintSaveData
			default:
				return params.ErrSyntax
			}
		}
		return nil
	}},
	"fit": {"one of " + strings.Join(params.FitNames(), ", ") + " (or cover, contain, inside, outside, read as crop, fill, max, min), or facearea, alone or with the fit used where no face is found (facearea,fill)", func(p *params.Params, v string) error {
		if rest, ok := strings.CutPrefix(v, "facearea"); ok && (rest == "" || rest[0] == ',') {
			p.Faces.Area, p.Fit = true, params.FitCrop
			if rest == "" {
				return nil
			}
			v = rest[1:]
		}
		if alias, ok := fitAliases[v]; ok {
			v = alias
		}
		f, ok := params.ParseFit(v)
		if !ok {
			return params.ErrSyntax
		}
		p.Fit = f
		return nil
	}},
	"facepad":   {"a number above 0 and up to 100 (the area around the faces, in face sizes)", parseFacePad},
	"faces":     boolSpec(func(p *params.Params) *bool { return &p.Faces.List }),
	"faceindex": intSpec(1, 100, func(p *params.Params) *int { return &p.Faces.Index }),
	"ar": {"an aspect ratio W:H of two numbers above 0 and up to 100000, such as 16:9 or 1.91:1", func(p *params.Params, v string) error {
		ar, err := params.ParseRatio(v, ":", maxDimension)
		p.AspectRatio = ar
		return err
	}},
	"crop": {"one of center, top, bottom, left, right, entropy, attention, edges (read as attention), focalpoint (with fp-x, fp-y, fp-z), or a pair of top or bottom and left or right such as top,left, or fg (crop to the foreground; needs rembg=1); faces before any of them (faces,top,left) crops on the faces found, and on the rest where there are none", func(p *params.Params, v string) error {
		if rest, ok := strings.CutPrefix(v, "faces"); ok && (rest == "" || rest[0] == ',') {
			p.Faces.Crop = true
			if rest == "" {
				return nil
			}
			v = rest[1:]
		}
		switch v {
		case "fg":
			p.Removal.CropToForeground = true
			return nil
		case "focalpoint":
			p.Focus.Set = true
			return nil
		}
		c, err := parseCrop(v)
		p.Crop = c
		return err
	}},
	"max-w": intSpec(1, maxDimension, func(p *params.Params) *int { return &p.CropLimits.MaxW }),
	"max-h": intSpec(1, maxDimension, func(p *params.Params) *int { return &p.CropLimits.MaxH }),
	"min-w": intSpec(1, maxDimension, func(p *params.Params) *int { return &p.CropLimits.MinW }),
	"min-h": intSpec(1, maxDimension, func(p *params.Params) *int { return &p.CropLimits.MinH }),
	"fp-x":  decimalSpec(0, 1, func(p *params.Params) *float64 { return &p.Focus.X }),
	"fp-y":  decimalSpec(0, 1, func(p *params.Params) *float64 { return &p.Focus.Y }),
	"fp-z":  decimalSpec(1, 100, func(p *params.Params) *float64 { return &p.Focus.Zoom }),
	"rect": {"x,y,w,h: x an integer from 0 to 100000, left, center or right, or a fraction from 0 to 1 (of the width, where the left edge goes); y likewise with top, middle or bottom; w and h integers from 1 to 100000, fractions from 0 to 1 (of the side), or full", func(p *params.Params, v string) error {
		parts := strings.Split(v, ",")
		if len(parts) != 4 {
			return params.ErrSyntax
		}
		var at [2]params.Place
		for i, kw := range [2][3]string{{"left", "center", "right"}, {"top", "middle", "bottom"}} {
			pl, ok := rectPlace(parts[i], kw)
			if !ok {
				return params.ErrSyntax
			}
			at[i] = pl
		}
		// w and h: pixels, a fraction of the side, or full (the whole
		// side: Region's 0), as imgix's Source Rectangle Region allows.
		var size [2]int
		var ratio [2]float64
		pixels := at[0].By == params.PlacePixels && at[1].By == params.PlacePixels
		for i, s := range parts[2:] {
			if n, err := params.ParseInt(s, 1, maxDimension); err == nil {
				size[i] = n
				continue
			}
			pixels = false
			if s == "full" {
				continue
			}
			f, err := params.ParseDecimalIn(s, 0, 1)
			if err != nil || f == 0 || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
				return params.ErrSyntax
			}
			if f < 1 {
				ratio[i] = f // 1.0 is the whole side, as full
			}
		}
		if pixels {
			p.Rect = params.Rect{X: at[0].Px, Y: at[1].Px, W: size[0], H: size[1]}
		} else {
			p.Region = params.Region{W: size[0], H: size[1], WRatio: ratio[0], HRatio: ratio[1], At: at, AtSet: true}
		}
		return nil
	}},
	// rot turns counter-clockwise, as imgix documents (docs.imgix.com/apis/
	// rendering/rotation/rot): "rotation is counter-clockwise with 0 (the
	// default) at the top of the image. The image will be zoomed after
	// rotation so that it covers the entire specified dimensions". So
	// Params.Rotate, clockwise, is 360 - rot, and straightened, the default
	// rot-type: rot-type, which sorts after rot (setters run by name),
	// leaves that or clears it with pivot.
	"rot": {"an angle in degrees, counter-clockwise, such as 90 or -45.5", func(p *params.Params, v string) error {
		f, err := params.ParseDecimal(v)
		if err != nil {
			return params.ErrSyntax
		}
		p.Rotate = normalizeAngle(-f)
		p.RotateStraighten = p.Rotate != 0
		return nil
	}},
	// rot-type (rottype, rott): imgix's "pivot: Displays the entire image
	// without cropping; straighten: Straightens the image by zooming in and
	// cropping in" (docs.imgix.com/apis/rendering/rotation/rotation-type),
	// straighten by default. pivot is Matte's own turn: the turned image's
	// bounding box, a multiple of 90 turning the frame before the resize.
	"rot-type": {"pivot or straighten", func(p *params.Params, v string) error {
		switch v {
		case "pivot":
			p.RotateStraighten = false
		case "straighten": // the default, as rot sets it
		default:
			return params.ErrSyntax
		}
		return nil
	}},
	// mark-rot turns counter-clockwise, as imgix documents (docs.imgix.com/
	// apis/rendering/watermark/watermark-rotation): "rotation is
	// counter-clockwise with 0 (the default) at the top of the watermark
	// image". Watermark.Rotate is clockwise: 360 - mark-rot. imgix's range
	// is 0-359; Matte takes any sign, as for rot.
	"mark-rot": {"an angle in degrees, counter-clockwise, such as 90 or -45.5", func(p *params.Params, v string) error {
		f, err := params.ParseDecimal(v)
		if err != nil {
			return params.ErrSyntax
		}
		p.Watermark.Rotate = normalizeAngle(-f)
		return nil
	}},
	"orient": {"one of 0-8 (EXIF's orientations; 0 is 1, the image as stored) or 90, 180, 270 (6, 3, 8)", func(p *params.Params, v string) error {
		n, err := params.ParseInt(v, 0, 270)
		switch {
		case err != nil:
			return err
		case n == 0:
			p.Orientation = 1
		case n >= 1 && n <= 8:
			p.Orientation = n
		case n == 90:
			p.Orientation = 6
		case n == 180:
			p.Orientation = 3
		case n == 270:
			p.Orientation = 8
		default:
			return fmt.Errorf("%d is not an orientation", n)
		}
		return nil
	}},
	"flip": {"one of h, v, hv (or vh)", func(p *params.Params, v string) error {
		f, ok := params.ParseFlip(v)
		if !ok {
			return params.ErrSyntax
		}
		p.Flip = f
		return nil
	}},
	"fm": {"one of jpg, jpeg, pjpg, png, png8, png32, webp, avif, gif, json, zip (zip needs rembg=1)", func(p *params.Params, v string) error {
		if variant, ok := imgixVariants[v]; ok {
			p.Format, p.Variant = variant.Format(), variant
			return nil
		}
		if v == "jpg" {
			v = "jpeg"
		}
		f, ok := params.ParseFormat(v)
		if !ok || f == params.FormatSource {
			return params.ErrSyntax
		}
		p.Format = f
		return nil
	}},
	"q": {"an integer from 0 to 100 (0 is read as 1, the lowest)", func(p *params.Params, v string) (err error) {
		p.Quality, err = params.ParseInt(v, 0, 100)
		p.Quality = max(p.Quality, 1) // imgix's 0 is its lowest; encoders take 1
		return err
	}},
	"lossless": boolSpec(func(p *params.Params) *bool { return &p.Lossless }),
	// The animation parameters: which frames of an animated source play,
	// in which order, how fast and how often (params.Animation).
	"frame": {"a frame number from 1, or a range M-N, M- or -N (M no greater than N)", func(p *params.Params, v string) error {
		lo, hi, isRange := strings.Cut(v, "-")
		first, last := 0, 0
		var err error
		if lo != "" || !isRange {
			if first, err = params.ParseInt(lo, 1, maxFrame); err != nil {
				return err
			}
		}
		switch {
		case !isRange:
			last = first
		case hi != "":
			if last, err = params.ParseInt(hi, max(first, 1), maxFrame); err != nil {
				return err
			}
		case lo == "":
			return params.ErrSyntax // "-"
		}
		p.Animation.First, p.Animation.Last = first, last
		return nil
	}},
	"interval": intSpec(1, maxFrame, func(p *params.Params) *int { return &p.Animation.Interval }),
	"reverse":  boolSpec(func(p *params.Params) *bool { return &p.Animation.Reverse }),
	"fps":      intSpec(1, 100, func(p *params.Params) *int { return &p.Animation.FPS }),
	"loop": {"an integer from 0 (forever) to 65535: how many times the animation plays", func(p *params.Params, v string) (err error) {
		p.Animation.Loop, err = params.ParseInt(v, 0, 65535)
		p.Animation.LoopSet = err == nil
		return err
	}},
	// skip drops frames in a way imgix's documentation leaves open; Matte
	// refuses it rather than guess.
	"skip": {"left out: Matte does not implement skip (interval keeps every Nth frame)", func(*params.Params, string) error {
		return params.ErrSyntax
	}},
	// cs: Matte's answers are sRGB without an embedded profile, which is
	// srgb's colours and strip's bytes; tinysrgb (a smaller sRGB profile)
	// is the same colours without one, and origin falls back to srgb as
	// imgix documents for a space it cannot keep.
	"cs": {"one of srgb, strip, tinysrgb or origin (Matte writes sRGB)", func(_ *params.Params, v string) error {
		switch v {
		case "srgb", "strip", "tinysrgb", "origin":
			return nil
		case "adobergb1998":
			return errors.New("Matte writes sRGB only")
		}
		return params.ErrSyntax
	}},
	"chromasub": {"444 or 420 (4:2:2 is not written)", func(p *params.Params, v string) error {
		switch v {
		case "444":
			p.Chroma = 444
			return nil
		case "420":
			p.Chroma = 420
			return nil
		case "422":
			return errors.New("libvips writes 4:4:4 or 4:2:0")
		}
		return params.ErrSyntax
	}},
	// jpg-progressive sorts after fm, so it sees fm's variant: it turns a
	// JPEG answer progressive or baseline and leaves png8 and png32 alone.
	"jpg-progressive": {"one of 1, true, 0, false", func(p *params.Params, v string) error {
		b, err := parseBool(v)
		switch {
		case err != nil:
		case b && p.Variant == params.VariantNone:
			p.Variant = params.VariantProgressive
		case !b && p.Variant == params.VariantProgressive:
			p.Variant = params.VariantNone
		}
		return err
	}},
	"auto": {"a comma-separated list of format, compress, enhance, redeye and true (all but format are accepted and ignored)", func(p *params.Params, v string) error {
		for item := range strings.SplitSeq(v, ",") {
			switch item {
			case "format":
				p.AutoFormat = true
			case "compress":
				// Accepted for imgix compatibility; the configured quality applies.
			case "enhance", "redeye", "true":
				// Accepted and ignored, so that imgix pages that ask for
				// them (imgix's own dpr example carries auto=enhance) get
				// their image: Matte enhances nothing automatically. true
				// is imgix's older spelling of enhance.
			case "":
				return errors.New("empty item")
			default:
				return params.ErrSyntax
			}
		}
		return nil
	}},
	"bg": colorSpec(func(p *params.Params) *params.Color { return &p.Background }),
	"fill": {"solid or blur", func(p *params.Params, v string) error {
		switch v {
		case "solid":
		case "blur":
			p.FillBlur = true
		case "gen", "gradient":
			return errors.New("imgix's generative and gradient fills are not available here")
		default:
			return params.ErrSyntax
		}
		return nil
	}},
	"fill-color": colorSpec(func(p *params.Params) *params.Color { return &p.FillColor }),
	"fill-blur": {"an integer from 0 to 2000 (0: automatic)", func(p *params.Params, v string) (err error) {
		p.FillBlurStrength, err = params.ParseInt(v, 0, maxBlur)
		return err
	}},
	"blur": intSpec(0, maxBlur, func(p *params.Params) *int { return &p.Blur }),
	"sat":  signedIntSpec(100, func(p *params.Params) *int { return &p.Saturation }),
	"bri":  signedIntSpec(100, func(p *params.Params) *int { return &p.Brightness }),
	"con":  signedIntSpec(100, func(p *params.Params) *int { return &p.Contrast }),
	"exp":  signedIntSpec(100, func(p *params.Params) *int { return &p.Exposure }),
	"nr":   signedIntSpec(100, func(p *params.Params) *int { return &p.Denoise.Bound }),
	"nrs":  signedIntSpec(100, func(p *params.Params) *int { return &p.Denoise.Sharpen }),
	"vib":  signedIntSpec(100, func(p *params.Params) *int { return &p.Vibrance }),
	"high": signedRangeSpec(-100, 0, func(p *params.Params) *int { return &p.Highlights }),
	// imgix lists shad as a number: a decimal is rounded to the integer.
	"shad": {"a number from 0 to 100", func(p *params.Params, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 100)
		p.Shadows = int(math.Round(f))
		return err
	}},
	// gam is Params.Gamma 2^(gam/100): 100 lightens the mid-tones as
	// Gamma 2 does (v^0.5), -100 darkens them (v^2).
	"gam": {"an integer from -100 to 100", func(p *params.Params, v string) error {
		n, err := params.ParseSignedInt(v, -100, 100)
		if n != 0 {
			p.Gamma = math.Exp2(float64(n) / 100)
		}
		return err
	}},
	"invert": boolSpec(func(p *params.Params) *bool { return &p.Invert }),
	"hue":    signedIntSpec(360, func(p *params.Params) *int { return &p.Hue }),
	"sepia":  intSpec(0, 100, func(p *params.Params) *int { return &p.Sepia }),
	// monochrome's alias mono is in aliases.
	"monochrome": colorSpec(func(p *params.Params) *params.Color { return &p.Monochrome }),
	"px":         intSpec(0, maxPixelate, func(p *params.Params) *int { return &p.Pixelate }),
	"usm":        signedIntSpec(100, func(p *params.Params) *int { return &p.UnsharpMask }),
	"usmrad": {fmt.Sprintf("a number above 0 and up to %d (the blur's sigma in pixels; default 2.5)", maxUnsharpRadius), func(p *params.Params, v string) error {
		f, err := params.ParseDecimalIn(v, 0, maxUnsharpRadius)
		if err == nil && f == 0 {
			err = params.ErrSyntax
		}
		p.UnsharpRadius = f
		return err
	}},
	// sharp is a number in imgix; Sharpen is whole (a fraction moves the
	// sigma, 0.5 + sharp/100, by at most 0.005).
	"sharp": {fmt.Sprintf("a number from 0 to %d", maxSharpen), func(p *params.Params, v string) error {
		f, err := params.ParseDecimalIn(v, 0, maxSharpen)
		p.Sharpen = int(math.Round(f))
		return err
	}},
	"trim": {"one of auto, color (the colour of the top-left pixel, or trim-color's with trim=color), alpha (the transparent edges) or colorunlessalpha (alpha for an image with transparency, else auto)", func(p *params.Params, v string) error {
		switch v {
		case "auto", "color":
		case "alpha":
			p.TrimBy = params.TrimByAlpha
		case "colorunlessalpha":
			p.TrimBy = params.TrimByAlphaOrColour
		default:
			return params.ErrSyntax
		}
		p.Trim = true
		return nil
	}},
	"trim-color": colorSpec(func(p *params.Params) *params.Color { return &p.TrimColor }),
	"trim-tol": {fmt.Sprintf("a number from 0 to %d (a colour distance; Matte's default is 10)", maxTrimTolerance), func(p *params.Params, v string) error {
		t, err := params.ParseDecimalIn(v, 0, maxTrimTolerance)
		p.SetTrimTolerance(t)
		return err
	}},
	"trim-pad": signedIntSpec(maxTrimPad, func(p *params.Params) *int { return &p.TrimPad }),
	// trim-md, trim-sd: trim=auto's thresholds; checkTrim makes them
	// TrimByRows and fills in imgix's default for the one left out.
	"trim-md": {fmt.Sprintf("a number from 0 to %d (8-bit levels; imgix's default is 11)", maxTrimStat), func(p *params.Params, v string) (err error) {
		p.TrimMeanDiff, err = params.ParseDecimalIn(v, 0, maxTrimStat)
		return err
	}},
	"trim-sd": {fmt.Sprintf("a number from 0 to %d (8-bit levels; imgix's default is 10)", maxTrimStat), func(p *params.Params, v string) (err error) {
		p.TrimStdDev, err = params.ParseDecimalIn(v, 0, maxTrimStat)
		return err
	}},
	"pad": intSpec(0, maxPad, func(p *params.Params) *int { return &p.Pad }),
	// pad-*: read into Padding here; applyPadding combines them with pad.
	"pad-top":    intSpec(0, maxPad, func(p *params.Params) *int { return &p.Padding.Top }),
	"pad-right":  intSpec(0, maxPad, func(p *params.Params) *int { return &p.Padding.Right }),
	"pad-bottom": intSpec(0, maxPad, func(p *params.Params) *int { return &p.Padding.Bottom }),
	"pad-left":   intSpec(0, maxPad, func(p *params.Params) *int { return &p.Padding.Left }),

	// Background removal. Every parameter below but rembg and bg-remove
	// needs removal (see checkRemoval), as do crop=fg and fm=zip.
	"rembg":     boolSpec(func(p *params.Params) *bool { return &p.Removal.Enabled }),
	"bg-remove": boolSpec(func(p *params.Params) *bool { return &p.Removal.Enabled }),
	"model": {"a model name: 1 to 64 characters of a-z, 0-9, _, . and -, the first a letter or digit", func(p *params.Params, v string) error {
		if !isModelName(v) {
			return params.ErrSyntax
		}
		p.Removal.Model = v
		return nil
	}},
	"mask": {"ellipse or corners (an output mask), or one of 1, true, 0, false (with rembg=1: the matte alone)", func(p *params.Params, v string) error {
		switch v {
		case "ellipse":
			p.Mask = params.ShapeEllipse
			return nil
		case "corners":
			p.Mask = params.ShapeCorners
			return nil
		}
		if strings.Contains(v, "/") {
			return errors.New("an image as a mask is not supported")
		}
		only, err := parseBool(v)
		p.Removal.MaskOnly = only
		return err
	}},
	"dpi":           intSpec(0, 65535, func(p *params.Params) *int { return &p.DPI }),
	"corner-radius": cornersSpec(func(p *params.Params) *params.Corners { return &p.CornerRadius }),
	// border sets all four sides; border-top and the others, whose names
	// sort after it (setters run by name), then replace one.
	"border": {fmt.Sprintf("a width in pixels from 0 to %d and a colour (%s), separated by a comma, such as 4,000", maxBorder, colorForms), func(p *params.Params, v string) error {
		size, colour, ok := strings.Cut(v, ",")
		if !ok {
			return params.ErrSyntax
		}
		n, err := params.ParseInt(size, 0, maxBorder)
		if err != nil {
			return err
		}
		c, err := params.ParseColorAlphaFirst(colour)
		if err != nil {
			return params.ErrSyntax
		}
		p.Border.Sides, p.Border.Color = params.Sides{Top: n, Right: n, Bottom: n, Left: n}, c
		return nil
	}},
	"border-top":          intSpec(0, maxBorder, func(p *params.Params) *int { return &p.Border.Sides.Top }),
	"border-right":        intSpec(0, maxBorder, func(p *params.Params) *int { return &p.Border.Sides.Right }),
	"border-bottom":       intSpec(0, maxBorder, func(p *params.Params) *int { return &p.Border.Sides.Bottom }),
	"border-left":         intSpec(0, maxBorder, func(p *params.Params) *int { return &p.Border.Sides.Left }),
	"border-radius":       cornersSpec(func(p *params.Params) *params.Corners { return &p.Border.Radius }),
	"border-radius-inner": cornersSpec(func(p *params.Params) *params.Corners { return &p.Border.InnerRadius }),
	"mask-bg":             colorSpec(func(p *params.Params) *params.Color { return &p.MaskBackground }),
	"mark": {"an http:// or https:// URL without user info or fragment, or an absolute path starting with a single / without . or .. segments; at most 2048 bytes", func(p *params.Params, v string) error {
		if err := params.CheckImageRef(v); err != nil {
			return err
		}
		p.Watermark.Image = v
		return nil
	}},
	// mark-base is resolved into mark before the setters run
	// (applyMarkBase); here it is only checked.
	"mark-base": {"an http:// or https:// URL without user info or fragment, or an absolute path starting with a single / without . or .. segments, that mark is resolved against; at most 2048 bytes", func(p *params.Params, v string) error {
		return params.CheckImageRef(v)
	}},
	"mark-w":     sideSpec(func(p *params.Params) (*int, *float64) { return &p.Watermark.Width, &p.Watermark.WidthRatio }),
	"mark-h":     sideSpec(func(p *params.Params) (*int, *float64) { return &p.Watermark.Height, &p.Watermark.HeightRatio }),
	"mark-scale": intSpec(0, 100, func(p *params.Params) *int { return &p.Watermark.Scale }),
	"mark-fit": {"one of clip, max, scale", func(p *params.Params, v string) error {
		switch v {
		case "clip":
			p.Watermark.Fit = params.FitClip
		case "max":
			p.Watermark.Fit = params.FitMax
		case "scale":
			p.Watermark.Fit = params.FitScale
		case "crop", "fill":
			return errors.New(v + " is not supported for watermarks")
		default:
			return params.ErrSyntax
		}
		return nil
	}},
	"mark-align": alignSpec(func(p *params.Params) *params.Crop { return &p.Watermark.Align }),
	"mark-pad":   intSpec(0, maxPad, func(p *params.Params) *int { return &p.Watermark.Pad }),
	"mark-alpha": intSpec(0, 100, func(p *params.Params) *int { return &p.Watermark.Alpha }),
	"mark-x":     intSpec(0, maxDimension, func(p *params.Params) *int { return &p.Watermark.X }),
	"mark-tile": {"grid", func(p *params.Params, v string) error {
		if v != "grid" {
			return params.ErrSyntax
		}
		p.Watermark.Tile = true
		return nil
	}},
	"mark-if-min-width":  intSpec(0, maxDimension, func(p *params.Params) *int { return &p.Watermark.MinWidth }),
	"mark-if-min-height": intSpec(0, maxDimension, func(p *params.Params) *int { return &p.Watermark.MinHeight }),
	"mark-y":             intSpec(0, maxDimension, func(p *params.Params) *int { return &p.Watermark.Y }),
	"blend": {"a colour: " + colorForms + " (an image URL as a blend is not supported; mark draws an image over the output)", func(p *params.Params, v string) error {
		if strings.Contains(v, "/") {
			return errors.New("an image as a blend is not supported")
		}
		c, err := params.ParseColorAlphaFirst(v)
		if err != nil {
			return params.ErrSyntax
		}
		p.Blend.Color = c
		return nil
	}},
	"blend-color": colorSpec(func(p *params.Params) *params.Color { return &p.Blend.Color }),
	"blend-mode": {"one of normal, multiply, screen, overlay, darken, lighten, dodge, burn, hardlight, softlight, difference, exclusion", func(p *params.Params, v string) error {
		if v == "color" || v == "hue" || v == "saturation" || v == "luminosity" {
			return errors.New(v + " is not supported")
		}
		m, ok := params.ParseBlendMode(v)
		if !ok {
			return params.ErrSyntax
		}
		p.Blend.Mode = m
		return nil
	}},
	"blend-alpha": intSpec(0, 100, func(p *params.Params) *int { return &p.Blend.Alpha }),
	"txt": {fmt.Sprintf("a line of text of 1 to %d bytes of UTF-8 without control characters (write it Base64-encoded as txt64 when it is awkward in a URL)", maxText), func(p *params.Params, v string) error {
		if err := params.CheckPrintable(v, maxText); err != nil {
			return err
		}
		p.Text.Text = v
		return nil
	}},
	"txt-size":       intSpec(1, maxTextSize, func(p *params.Params) *int { return &p.Text.Size }),
	"txt-color":      colorSpec(func(p *params.Params) *params.Color { return &p.Text.Color }),
	"txt-line":       intSpec(0, maxTextLine, func(p *params.Params) *int { return &p.Text.Outline }),
	"txt-line-color": colorSpec(func(p *params.Params) *params.Color { return &p.Text.OutlineColor }),
	"txt-shad":       decimalSpec(0, 10, func(p *params.Params) *float64 { return &p.Text.Shadow }),
	"txt-font": {"a font: up to 4 names or generic families (sans-serif, serif, monospace, cursive, fantasy) and the styles bold and italic, separated by commas, such as avenir,bold; letters, digits, spaces and - only", func(p *params.Params, v string) (err error) {
		p.Text.Font, err = parseFont(v)
		return err
	}},
	"txt-width": intSpec(1, maxDimension, func(p *params.Params) *int { return &p.Text.Width }),
	// txt-clip: start, middle or end (the default), and ellipsis, joined by
	// a comma (ellipsis alone clips the end).
	"txt-clip": {"start, middle or end, and/or ellipsis, joined by a comma (end,ellipsis)", func(p *params.Params, v string) error {
		t := &p.Text
		for part := range strings.SplitSeq(v, ",") {
			c, ok := params.ParseTextClip(part)
			switch {
			case part == "ellipsis" && !t.Ellipsis:
				t.Ellipsis = true
			case ok && t.Clip == params.TextClipNone:
				t.Clip = c
			default:
				return params.ErrSyntax
			}
		}
		if t.Clip == params.TextClipNone {
			t.Clip = params.TextClipEnd
		}
		return nil
	}},
	"txt-fit": {"max", func(p *params.Params, v string) error {
		if v != "max" {
			return params.ErrSyntax
		}
		p.Text.Fit = true
		return nil
	}},
	"txt-align": alignSpec(func(p *params.Params) *params.Crop { return &p.Text.Align }),
	"txt-pad":   intSpec(0, maxPad, func(p *params.Params) *int { return &p.Text.Pad }),
	// txt-x, txt-y: imgix takes negative integers too, the text then
	// partly outside the image (the pipeline cuts what falls outside).
	"txt-x": signedIntSpec(maxDimension, func(p *params.Params) *int { return &p.Text.X }),
	"txt-y": signedIntSpec(maxDimension, func(p *params.Params) *int { return &p.Text.Y }),
	"dl": {fmt.Sprintf("a file name of 1 to %d bytes without / or \\ or control characters, or nothing (the source's name)", params.MaxFileName), func(p *params.Params, v string) error {
		p.Download, p.DownloadName = true, v
		return params.CheckFileName(v)
	}},
	"refine": boolSpec(func(p *params.Params) *bool { return &p.Removal.Refine }),
	"threshold": {"a number from 0 to 1, such as 0.5", func(p *params.Params, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 1)
		if err != nil {
			return err
		}
		p.Removal.Hard, p.Removal.Threshold = true, f
		return nil
	}},
	"semitransparency":            semitransparencySpec,
	"bg-remove-semi-transparency": semitransparencySpec,
	"bg-remove-fg-type": {"one of auto, car (accepted; Matte's models need no hint)", func(_ *params.Params, v string) error {
		if v != "auto" && v != "car" {
			return params.ErrSyntax
		}
		return nil
	}},
	"feather": {"a number of pixels from 0 to 100, such as 2.5", func(p *params.Params, v string) (err error) {
		p.Removal.Feather, err = params.ParseDecimalIn(v, 0, maxFeather)
		return err
	}},
	"erode": {"an integer number of pixels from 0 to 100", func(p *params.Params, v string) (err error) {
		p.Removal.Erode, err = params.ParseInt(v, 0, maxErode)
		return err
	}},
	"fg-pad": {"a whole number of pixels from 0 to 10000, or a percentage from 0% to 100% (a % is written %25 in a URL)", func(p *params.Params, v string) error {
		if num, ok := strings.CutSuffix(v, "%"); ok {
			f, err := params.ParseDecimalIn(num, 0, 100)
			if err != nil {
				return err
			}
			if f != 0 {
				p.Removal.FGPad = params.Length{Value: f, Percent: true}
			}
			return nil
		}
		n, err := params.ParseInt(v, 0, maxFGPad)
		p.Removal.FGPad = params.Length{Value: float64(n)}
		return err
	}},
	"scale": {"original, a fraction from 0.1 to 1, or a percentage from 10% to 100% (a % is written %25 in a URL)", func(p *params.Params, v string) error {
		if v == "original" {
			p.Removal.Scale = 0
			return nil
		}
		if num, ok := strings.CutSuffix(v, "%"); ok {
			f, err := params.ParsePercentFraction(num, 10, 100)
			p.Removal.Scale = f
			return err
		}
		f, err := params.ParseDecimalIn(v, 0.1, 1)
		p.Removal.Scale = f
		return err
	}},
	"position": {"center, original, or a percentage from 0 to 100 of the free space, one for both axes (such as 30) or x,y (such as 50,100); a trailing % is optional (written %25 in a URL)", func(p *params.Params, v string) error {
		switch v {
		case "center":
			p.Removal.Position = params.Position{X: 50, Y: 50, Set: true}
			return nil
		case "original":
			p.Removal.Position = params.Position{}
			return nil
		}
		xs, ys, pair := strings.Cut(v, ",")
		if !pair {
			ys = xs
		}
		x, err := params.ParsePercent(xs)
		if err != nil {
			return err
		}
		y, err := params.ParsePercent(ys)
		if err != nil {
			return err
		}
		p.Removal.Position = params.Position{X: x, Y: y, Set: true}
		return nil
	}},
	"bg-blur": {"an integer from 1 to 100 (the blur's sigma in pixels)", func(p *params.Params, v string) (err error) {
		p.Removal.BgBlur, err = params.ParseInt(v, 1, maxBgBlur)
		return err
	}},
	"bg-gradient": {"two colours, top then bottom, separated by a comma (such as white,%23336), each " + colorForms, func(p *params.Params, v string) error {
		top, bottom, ok := strings.Cut(v, ",")
		if !ok {
			return errors.New("two colours are needed")
		}
		t, err := params.ParseColorAlphaFirst(top)
		if err != nil {
			return fmt.Errorf("%s is not a colour", params.QuoteShort(top))
		}
		b, err := params.ParseColorAlphaFirst(bottom)
		if err != nil {
			return fmt.Errorf("%s is not a colour", params.QuoteShort(bottom))
		}
		p.Removal.BgGradient = [2]params.Color{t, b}
		return nil
	}},
	"bg-image": {"an http:// or https:// URL without user info or fragment, or an absolute path starting with a single / without . or .. segments; at most 2048 bytes", func(p *params.Params, v string) error {
		if err := params.CheckImageRef(v); err != nil {
			return err
		}
		p.Removal.BgImage = v
		return nil
	}},
	"shadow": {"one of drop, none", func(p *params.Params, v string) error {
		switch v {
		case "drop":
			p.Removal.Shadow.Enabled = true
		case "none":
			p.Removal.Shadow.Enabled = false
		default:
			return params.ErrSyntax
		}
		return nil
	}},
	"shadow-color": {"a colour: " + colorForms + " (default black)", func(p *params.Params, v string) error {
		c, err := params.ParseColorAlphaFirst(v)
		if err != nil {
			return params.ErrSyntax
		}
		if c == (params.Color{A: 255, Set: true}) { // black is the default
			c = params.Color{}
		}
		p.Removal.Shadow.Color = c
		return nil
	}},
	"shadow-opacity": {"a number above 0 and at most 1 (default 0.5; for no shadow, leave shadow out)", func(p *params.Params, v string) error {
		f, err := params.ParseDecimalIn(v, 0, 1)
		if err != nil || f == 0 {
			return params.ErrSyntax
		}
		if f == 0.5 {
			f = 0
		}
		p.Removal.Shadow.Opacity = f
		return nil
	}},
	"shadow-offset": {"x,y: two integers from -1000 to 1000, in pixels right and down (default 0,10)", func(p *params.Params, v string) error {
		xs, ys, ok := strings.Cut(v, ",")
		if !ok {
			return params.ErrSyntax
		}
		x, err := params.ParseSignedInt(xs, -maxShadowOffset, maxShadowOffset)
		if err != nil {
			return err
		}
		y, err := params.ParseSignedInt(ys, -maxShadowOffset, maxShadowOffset)
		if err != nil {
			return err
		}
		s := &p.Removal.Shadow
		if x == 0 && y == 10 { // the default
			s.OffsetX, s.OffsetY, s.OffsetSet = 0, 0, false
		} else {
			s.OffsetX, s.OffsetY, s.OffsetSet = x, y, true
		}
		return nil
	}},
	"shadow-blur": {"a number above 0 and at most 100 (the blur's sigma in pixels; default 10)", func(p *params.Params, v string) error {
		f, err := params.ParseDecimalIn(v, 0, maxShadowBlur)
		if err != nil || f == 0 {
			return params.ErrSyntax
		}
		if f == 10 {
			f = 0
		}
		p.Removal.Shadow.Blur = f
		return nil
	}},
}

// fitAliases are the CSS object-fit (and sharp) names other builders put in
// rectPlace reads rect's x or y (imgix-url-params: an integer from 0, one
// of the axis's keywords kw (start, centre, end), or a unit scalar from 0
// to 1): an integer is pixels, a keyword an alignment in the room the
// area leaves, a decimal a fraction of the side. What places the area at
// 0 is pixels, so that rect=0.0,top,w,h is the Rect rect=0,0,w,h.
func rectPlace(s string, kw [3]string) (params.Place, bool) {
	if n, err := params.ParseInt(s, 0, maxDimension); err == nil {
		return params.Place{Px: n}, true
	}
	for i, k := range kw {
		if s == k {
			if i == 0 {
				return params.Place{}, true
			}
			return params.Place{By: params.PlaceAlign, F: float64(i) / 2}, true
		}
	}
	f, err := params.ParseDecimalIn(s, 0, 1)
	if err != nil || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return params.Place{}, false
	}
	if f == 0 {
		return params.Place{}, true
	}
	return params.Place{By: params.PlaceFraction, F: f}, true
}

// fit=, mapped as Nuxt Image's and Directus's imgix providers map them:
// cover crops, contain pads (imgix's fill), inside fits without enlarging
// (max), outside is max's covering twin (min). imgix's own fill (fit and
// pad) keeps its meaning, so sharp's fill (stretch) is not an alias.
var fitAliases = map[string]string{"cover": "crop", "contain": "fill", "inside": "max", "outside": "min"}

// semitransparencySpec is semitransparency and its imgix spelling
// bg-remove-semi-transparency (checkRemoval refuses both together).
var semitransparencySpec = paramSpec{"one of 1, true, 0, false (0 and false cut the matte at 0.5)", func(p *params.Params, v string) error {
	soft, err := parseBool(v)
	if err != nil {
		return err
	}
	if !soft && !p.Removal.Hard { // threshold, parsed after, overrides
		p.Removal.Hard, p.Removal.Threshold = true, 0.5
	}
	return nil
}}

// imgixVariants are imgix's fm values that name an encoding of a format.
var imgixVariants = map[string]params.Variant{"pjpg": params.VariantProgressive, "png8": params.VariantPalette, "png32": params.VariantRGBA}

// colorForms completes "a colour: ..." in the allowed texts.
const colorForms = "hex RGB, ARGB, RRGGBB or AARRGGBB (with or without %23; alpha first, as in imgix) or a CSS colour name such as white or transparent"

// boolSpec is a parameter of 1, true, 0 or false that sets *field(p).
func boolSpec(field func(p *params.Params) *bool) paramSpec {
	return paramSpec{"one of 1, true, 0, false", func(p *params.Params, v string) error {
		b, err := parseBool(v)
		*field(p) = b
		return err
	}}
}

// parseBool parses 1, true, 0 or false.
func parseBool(v string) (bool, error) {
	switch v {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, params.ErrSyntax
}

// isModelName reports whether v matches [a-z0-9][a-z0-9_.-]{0,63}.
func isModelName(v string) bool {
	if v == "" || len(v) > maxModelName {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// applyMarkBase resolves mark against mark-base, imgix's base URL for the
// watermark, in q (ParseQuery's own copy) before any value is read:
// mark=logo.png&mark-base=https://cdn.example/wm/ is
// mark=https://cdn.example/wm/logo.png, and an absolute mark stays as it
// is. The result is then checked as any mark (a URL still needs the
// origin's allow_hosts). A mark-base or mark that is bad, empty or given
// twice is left for the setters to report.
func applyMarkBase(q url.Values) {
	bases, marks := q["mark-base"], q["mark"]
	if len(bases) != 1 || len(marks) != 1 || marks[0] == "" || params.CheckImageRef(bases[0]) != nil {
		return
	}
	base, err := url.Parse(bases[0])
	if err != nil {
		return
	}
	ref, err := url.Parse(marks[0])
	if err != nil {
		return
	}
	q["mark"] = []string{base.ResolveReference(ref).String()}
}

// paramNames is the sorted list of paramSpecs' keys (ParamNames).
var paramNames = func() []string {
	names := make([]string, 0, len(paramSpecs))
	for name := range paramSpecs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}()

// parseFacePad reads facepad: a decimal above 0, at most 100.
func parseFacePad(p *params.Params, v string) error {
	f, err := params.ParseDecimalIn(v, 0, 100)
	if err != nil || f == 0 {
		return params.ErrSyntax
	}
	p.Faces.Pad = f
	return nil
}

// checkFaces drops facepad and faceindex without fit=facearea, and faces
// without fm=json: they size and pick its area, and list the faces in the
// JSON answer, only, as in imgix.
func checkFaces(p *params.Params) {
	if !p.Faces.Area {
		p.Faces.Pad, p.Faces.Index = 0, 0
	}
	if p.Format != params.FormatJSON {
		p.Faces.List = false
	}
}

// parseCrop parses imgix crop=: a single keyword, or a vertical and a
// horizontal edge in either order ("top,left" and "left,top" are CropTopLeft).
//
// imgix's edges ("performs edge detection, looking for objects in the
// image") is read as attention: libvips' attention strategy looks for
// edges, skin tones and saturated colour, the closest Matte has.
func parseCrop(v string) (params.Crop, error) {
	switch v {
	case "faces":
		return 0, fmt.Errorf("%s is not supported", v)
	case "edges":
		return params.CropAttention, nil
	}
	if c, ok := params.ParseCrop(v); ok && !strings.Contains(v, "-") {
		return c, nil
	}
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return 0, params.ErrSyntax
	}
	for _, s := range []string{a, b} {
		switch s {
		case "faces":
			return 0, fmt.Errorf("%s is not supported", s)
		case "edges":
			return 0, errors.New("edges goes alone here: crop=edges or crop=faces,edges")
		case "focalpoint":
			return 0, errors.New("focalpoint goes alone here: crop=focalpoint")
		}
	}
	if a == "left" || a == "right" {
		a, b = b, a
	}
	if c, ok := params.ParseCrop(a + "-" + b); ok {
		return c, nil
	}
	return 0, params.ErrSyntax
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
