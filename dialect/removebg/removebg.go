// Package removebg is the remove.bg API v1.0 dialect: POST /v1.0/removebg,
// GET /v1.0/account and POST /v1.0/improve. It parses remove.bg's fields
// onto params.Params and params.Extras, and holds remove.bg's error codes, messages, error
// shape ({"errors":[{"title","code","detail"}]}) and success answers (the
// image with its X- headers, or {"data":{...}} for Accept:
// application/json). API plugs it into the hosted-API flow.
package removebg

import (
	"math"
	"slices"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// Sizes maps remove.bg's size names to megapixel caps and credits
// charged. "auto" keeps the 25 MP it had before 50MP existed (reference,
// change log 2024-03-17); a PNG is capped lower still (MaxPNGMegapixels).
var Sizes = map[string]struct {
	Megapixels float64
	Credits    float64
}{
	"preview": {0.25, 0.25},
	"small":   {0.25, 0.25},
	"regular": {0.25, 0.25},
	"medium":  {1.5, 1},
	"hd":      {4, 1},
	"full":    {25, 1},
	"4k":      {25, 1},
	"50mp":    {50, 1},
	"auto":    {25, 1},
}

// MaxPNGMegapixels caps a PNG result: "PNG images above 10 megapixels are
// not supported" (overview, Output formats); 50MP is "up to 50 megapixels
// with formats ZIP or JPG, or up to 10 megapixels with PNG". Larger sizes
// are for JPG and ZIP, which are not capped by it.
const MaxPNGMegapixels = 10

// Types are remove.bg's foreground types.
var Types = []string{"auto", "person", "product", "animal", "car", "car_interior", "car_part", "transportation", "graphic", "other"}

// ROI is remove.bg's region of interest: two corners, each coordinate in
// pixels or percent of the image's width or height.
type ROI struct{ X1, Y1, X2, Y2 params.Length }

// Rect resolves r on a w x h image (after EXIF orientation); false when the
// region is empty there.
func (r ROI) Rect(w, h int) (params.Rect, bool) {
	px := func(l params.Length, side int) int {
		if l.Percent {
			return int(l.Value*float64(side)/100 + 0.5)
		}
		return int(l.Value + 0.5)
	}
	x1, y1 := min(px(r.X1, w), w), min(px(r.Y1, h), h)
	x2, y2 := min(px(r.X2, w), w), min(px(r.Y2, h), h)
	if x2 <= x1 || y2 <= y1 {
		return params.Rect{}, false
	}
	return params.Rect{X: x1, Y: y1, W: x2 - x1, H: y2 - y1}, true
}

// Request is a parsed POST /v1.0/removebg.
type Request struct {
	Source  dialect.Image
	BgImage *dialect.Image // bg_image_url or bg_image_file
	// Params holds the removal without the size cap (see Size) and
	// without Removal.BgImage, which Plan sets to params.BgImageRef of
	// the background bytes once they are at hand.
	Params params.Params
	// Size is the canonical size name; Megapixels its cap (0: none) and
	// Credits what a successful image costs.
	Size       string
	Megapixels float64
	Credits    float64
	// Type and TypeLevel as given ("auto" and "" by default).
	Type, TypeLevel string
	// FormatAuto: the output format is PNG when the result has
	// transparency, else JPEG (see OutputFormat).
	FormatAuto bool
	ROI        *ROI
	// Margins are crop_margin's top, right, bottom, left (with crop=true).
	Margins    [4]params.Length
	MarginsSet bool
}

// XType is the X-Type header: the type asked for, or "other" when it is
// auto (Matte runs one general model and does not classify the subject).
func (r *Request) XType() string {
	if r.Type == "" || r.Type == "auto" {
		return "other"
	}
	return r.Type
}

// OutputFormat is the format to encode: the one asked for, or with
// format=auto PNG when the result keeps transparency and JPEG when it is
// opaque (an opaque bg_color, or a background image). The matte alone
// (channels=alpha) is PNG.
func (r *Request) OutputFormat() params.Format {
	if !r.FormatAuto {
		return r.Params.Format
	}
	rm := r.Params.Removal
	switch {
	case rm.MaskOnly:
		return params.FormatPNG
	case r.BgImage != nil, r.Params.Background.Set && r.Params.Background.A == 255:
		return params.FormatJPEG
	}
	return params.FormatPNG
}

// Extras returns the params.Extras for the request on a w x h source,
// with the background bytes (nil when none). ok is false when the ROI is
// empty on that source.
func (r *Request) Extras(w, h int, bg []byte) (params.Extras, bool) {
	e := params.Extras{BgImage: bg}
	if r.ROI != nil {
		rect, ok := r.ROI.Rect(w, h)
		if !ok {
			return e, false
		}
		if rect != (params.Rect{W: w, H: h}) {
			e.ROI = rect
		}
	}
	if r.MarginsSet && r.Params.Removal.CropToForeground {
		// The output's cap is planned on the source's shape; the margins
		// come after it, so they carry it too.
		e.Margins, e.MarginsSet, e.MaxMegapixels = r.Margins, true, r.MaxMegapixels()
	}
	return e, true
}

// Images is the source and the background image.
func (r *Request) Images() (dialect.Image, *dialect.Image) { return r.Source, r.BgImage }

// MaxMegapixels is the output's cap: the size's, and at most
// MaxPNGMegapixels when the result is a PNG (format=png, the matte alone,
// or format=auto with transparency left).
func (r *Request) MaxMegapixels() float64 {
	if r.OutputFormat() == params.FormatPNG {
		return min(r.Megapixels, MaxPNGMegapixels)
	}
	return r.Megapixels
}

// Plan caps the output at MaxMegapixels (never an upscale), names the
// background bytes in the params, and resolves the ROI on the source.
// size=auto, "the highest available resolution (based on image size and
// available credits)", carries the preview's plan as its Cheaper one.
func (r *Request) Plan(w, h int, bg []byte) (dialect.Plan, params.Errors) {
	plan, errs := r.plan(w, h, bg)
	if errs == nil && r.Size == "auto" {
		preview := *r
		preview.Size, preview.Megapixels, preview.Credits = "preview", Sizes["preview"].Megapixels, Sizes["preview"].Credits
		cheaper, _ := preview.plan(w, h, bg)
		plan.Cheaper = &cheaper
	}
	return plan, errs
}

func (r *Request) plan(w, h int, bg []byte) (dialect.Plan, params.Errors) {
	po := r.Params
	if mp := r.MaxMegapixels(); mp > 0 {
		bw, bh := SizeBox(w, h, mp)
		if bw != w || bh != h {
			po.Width, po.Height, po.Fit = bw, bh, params.FitMax
		}
	}
	if bg != nil {
		po.Removal.BgImage = params.BgImageRef(bg)
	}
	extras, ok := r.Extras(w, h, bg)
	if !ok {
		return dialect.Plan{}, params.Errors{NewError(400, CodeInvalidROI, "roi", "The region of interest is empty on this image.")}
	}
	return dialect.Plan{Params: po, Format: r.OutputFormat(), Extras: extras, Credits: r.Credits, NeedForeground: true}, nil
}

// SizeBox is the largest box with w x h's aspect ratio and at most maxMP
// megapixels, never above w x h (maxMP 0: w x h).
func SizeBox(w, h int, maxMP float64) (int, int) {
	if maxMP <= 0 || w <= 0 || h <= 0 || float64(w)*float64(h) <= maxMP*1e6 {
		return w, h
	}
	limit := maxMP * 1e6
	f := math.Sqrt(limit / (float64(w) * float64(h)))
	bw, bh := int(math.Floor(float64(w)*f)), int(math.Floor(float64(h)*f))
	switch {
	case bw < 1:
		bw, bh = 1, min(h, max(1, int(math.Floor(limit))))
	case bh < 1:
		bw, bh = min(w, max(1, int(math.Floor(limit)))), 1
	}
	return bw, bh
}

// Parse parses remove.bg's fields. maxSourceBytes bounds decoded images
// (0: no bound). Errors are reported per field, all of them.
func Parse(b *dialect.Body, maxSourceBytes int64) (*Request, params.Errors) {
	// Without size, a preview: "preview / small / regular (default)" in
	// remove.bg's reference text for the field (the seeds are silent; the
	// remove.bg npm client quotes it: "The cheaper 'preview' option is
	// default").
	def := Sizes["preview"]
	p := &parser{b: b, max: maxSourceBytes, r: &Request{Size: "preview", Megapixels: def.Megapixels, Type: "auto", Credits: def.Credits}}
	p.r.Params.Removal.Enabled = true
	p.source()
	p.options()
	p.layout()
	mask := p.channels()
	p.background()
	p.shadow()
	p.semitransparency()
	p.finish(mask)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.r, nil
}

// parser is one Parse: the body, the request it fills and the errors.
type parser struct {
	b    *dialect.Body
	max  int64
	r    *Request
	errs params.Errors
}

func (p *parser) bad(code, field, format string, args ...any) {
	p.errs = append(p.errs, NewError(400, code, field, format, args...))
}

// file is the file part name, if one was sent. A part with no file name
// and no bytes is what a form's file input sends when no file was chosen:
// the field is unset, as an empty text field is (Rack drops such a part,
// PHP reports it as UPLOAD_ERR_NO_FILE), so that a form offering both an
// upload and image_url can send the URL. A named but empty file is a file,
// and an error.
func file(b *dialect.Body, name string) (*dialect.File, bool) {
	f, ok := b.File(name)
	if ok && f.Filename == "" && len(f.Data) == 0 {
		return nil, false
	}
	return f, ok
}

// source takes exactly one of image_file, image_file_b64, image_url.
func (p *parser) source() {
	b, r := p.b, p.r
	var given []string
	if f, ok := file(b, "image_file"); ok {
		if len(f.Data) == 0 {
			p.bad(CodeMissingSource, "image_file", "image_file is an empty file.")
		} else {
			r.Source = dialect.Image{Data: f.Data, Field: "image_file"}
		}
		given = append(given, "image_file")
	} else if _, ok := b.Text("image_file"); ok {
		p.bad(CodeMissingSource, "image_file", "image_file must be a file upload (multipart/form-data); for base64 use image_file_b64.")
		given = append(given, "image_file")
	}
	if s, ok := b.Text("image_file_b64"); ok {
		given = append(given, "image_file_b64")
		data, err := dialect.DecodeBase64(s)
		switch {
		case err != nil:
			p.bad(CodeInvalidImageFileB64, "image_file_b64", "image_file_b64 is not valid base64.")
		case len(data) == 0:
			p.bad(CodeMissingSource, "image_file_b64", "image_file_b64 is empty.")
		default:
			r.Source = dialect.Image{Data: data, Field: "image_file_b64"}
		}
	}
	if s, ok := b.Text("image_url"); ok {
		given = append(given, "image_url")
		if !dialect.IsHTTPURL(s) {
			p.bad(CodeInvalidImageURL, "image_url", "image_url must be an absolute http or https URL.")
		} else {
			r.Source = dialect.Image{URL: s, Field: "image_url"}
		}
	}
	switch {
	case len(given) == 0:
		p.bad(CodeMissingSource, "", "No image given: send one of image_file, image_file_b64 or image_url.")
	case len(given) > 1:
		p.errs = p.errs[:0:0]
		p.bad(CodeMultipleSources, given[1], "Multiple image sources given (%s): send only one.", strings.Join(given, ", "))
	}
	if p.max > 0 && int64(len(r.Source.Data)) > p.max {
		p.bad(CodeFileTooLarge, r.Source.Field, "The image is larger than %d bytes.", p.max)
	}
}

// options reads size, type, type_level and format.
func (p *parser) options() {
	b, r := p.b, p.r
	if s, ok := b.Text("size"); ok {
		name := strings.ToLower(s)
		if sz, known := Sizes[name]; known {
			r.Size, r.Megapixels, r.Credits = name, sz.Megapixels, sz.Credits
		} else {
			p.bad(CodeInvalidSize, "size", "size=%s is not valid; use preview, small, regular, medium, hd, full, 4k, 50MP or auto.", dialect.Quote(s))
		}
	}
	if s, ok := b.Text("type"); ok {
		t := strings.ToLower(s)
		if slices.Contains(Types, t) {
			r.Type = t
		} else {
			p.bad(CodeInvalidType, "type", "type=%s is not valid; use %s.", dialect.Quote(s), strings.Join(Types, ", "))
		}
	}
	if s, ok := b.Text("type_level"); ok {
		t := strings.ToLower(s)
		if t == "none" || t == "1" || t == "2" || t == "latest" {
			r.TypeLevel = t
		} else {
			p.bad(CodeInvalidTypeLevel, "type_level", "type_level=%s is not valid; use none, 1, 2 or latest.", dialect.Quote(s))
		}
	}
	r.FormatAuto = true
	if s, ok := b.Text("format"); ok {
		r.FormatAuto = false
		switch strings.ToLower(s) {
		case "auto":
			r.FormatAuto = true
		case "png":
			r.Params.Format = params.FormatPNG
		case "jpg", "jpeg":
			r.Params.Format = params.FormatJPEG
		case "webp":
			r.Params.Format = params.FormatWebP
		case "zip":
			r.Params.Format = params.FormatZIP
		default:
			r.FormatAuto = true
			p.bad(CodeInvalidFormat, "format", "format=%s is not valid; use auto, png, jpg, webp or zip.", dialect.Quote(s))
		}
	}
}

// layout reads roi, crop, crop_margin, scale and position.
func (p *parser) layout() {
	b, r := p.b, p.r
	rm := &r.Params.Removal
	if s, ok := b.Text("roi"); ok {
		if roi, good := parseROI(s); good {
			r.ROI = &roi
		} else {
			p.bad(CodeInvalidROI, "roi", "roi=%s is not valid; use \"x1 y1 x2 y2\" with each in px or %% (x1 < x2, y1 < y2, percentages up to 100%%).", dialect.Quote(s))
		}
	}
	if s, ok := b.Text("crop"); ok {
		v, err := dialect.ParseBool(s)
		if err != nil {
			p.bad(CodeInvalidCrop, "crop", "crop=%s is not valid; use true or false.", dialect.Quote(s))
		}
		rm.CropToForeground = v
	}
	if s, ok := b.Text("crop_margin"); ok {
		if m, good := parseMargins(s); good {
			r.Margins, r.MarginsSet = m, m != [4]params.Length{}
		} else {
			p.bad(CodeInvalidCropMargin, "crop_margin", "crop_margin=%s is not valid; use 1, 2 or 4 values in px or %% (such as 30px or \"10%% 5%%\").", dialect.Quote(s))
		}
	}
	scaleGiven := false
	if s, ok := b.Text("scale"); ok {
		if strings.EqualFold(s, "original") {
			rm.Scale = 0
		} else if f, good := dialect.ParseNumber(strings.TrimSuffix(s, "%")); good && f >= 10 && f <= 100 {
			rm.Scale, scaleGiven = f/100, true
		} else {
			p.bad(CodeInvalidScale, "scale", "scale=%s is not valid; use original or 10%% to 100%%.", dialect.Quote(s))
		}
	}
	positionGiven := false
	if s, ok := b.Text("position"); ok {
		positionGiven = true
		if pos, good := parsePosition(s); good {
			rm.Position = pos
		} else {
			p.bad(CodeInvalidPosition, "position", "position=%s is not valid; use original, center, or one or two values from 0%% to 100%%.", dialect.Quote(s))
		}
	}
	if scaleGiven && !positionGiven {
		// As remove.bg documents: scaling the subject implies position=center.
		rm.Position = params.Position{X: 50, Y: 50, Set: true}
	}
}

// channels reads channels: true for the matte alone.
func (p *parser) channels() bool {
	s, ok := p.b.Text("channels")
	if !ok {
		return false
	}
	switch strings.ToLower(s) {
	case "rgba":
	case "alpha":
		return true
	default:
		p.bad(CodeInvalidChannels, "channels", "channels=%s is not valid; use rgba or alpha.", dialect.Quote(s))
	}
	return false
}

// background reads bg_color, bg_image_url and bg_image_file: one at most.
func (p *parser) background() {
	b, r := p.b, p.r
	bgColor, hasBgColor := b.Text("bg_color")
	if hasBgColor {
		c, err := params.ParseColor(bgColor)
		if err != nil {
			p.bad(CodeInvalidBgColor, "bg_color", "bg_color=%s is not a colour; use hex (81d4fa, fff, 81d4fa77) or a colour name.", dialect.Quote(bgColor))
		} else {
			r.Params.Background = c
		}
	}
	var bgs []string
	if s, ok := b.Text("bg_image_url"); ok {
		bgs = append(bgs, "bg_image_url")
		if !dialect.IsHTTPURL(s) {
			p.bad(CodeInvalidBgImageURL, "bg_image_url", "bg_image_url must be an absolute http or https URL.")
		} else {
			r.BgImage = &dialect.Image{URL: s, Field: "bg_image_url"}
		}
	}
	if f, ok := file(b, "bg_image_file"); ok {
		bgs = append(bgs, "bg_image_file")
		switch {
		case len(f.Data) == 0:
			p.bad(CodeInvalidBgImageFile, "bg_image_file", "bg_image_file is an empty file.")
		case p.max > 0 && int64(len(f.Data)) > p.max:
			p.bad(CodeFileTooLarge, "bg_image_file", "The background image is larger than %d bytes.", p.max)
		default:
			r.BgImage = &dialect.Image{Data: f.Data, Field: "bg_image_file"}
		}
	}
	if hasBgColor {
		bgs = append([]string{"bg_color"}, bgs...)
	}
	if len(bgs) > 1 {
		p.bad(CodeMultipleBackgrounds, bgs[1], "%s cannot be combined: give one background at most.", strings.Join(bgs, " and "))
	}
}

// shadow reads shadow_type, add_shadow and shadow_opacity.
func (p *parser) shadow() {
	b := p.b
	shadowType := ""
	if s, ok := b.Text("shadow_type"); ok {
		switch t := strings.ToLower(s); t {
		case "none", "drop", "car", "3d":
			shadowType = t
		default:
			p.bad(CodeInvalidShadowType, "shadow_type", "shadow_type=%s is not valid; use none, drop, 3D or car.", dialect.Quote(s))
		}
	}
	addShadow := false
	if s, ok := b.Text("add_shadow"); ok {
		v, err := dialect.ParseBool(s)
		if err != nil {
			p.bad(CodeInvalidAddShadow, "add_shadow", "add_shadow=%s is not valid; use true or false.", dialect.Quote(s))
		}
		addShadow = v
	}
	opacity, opacitySet := 0, false
	if s, ok := b.Text("shadow_opacity"); ok {
		v, good := dialect.ParseInt(s, 0, 100)
		if !good {
			p.bad(CodeInvalidShadowOpacity, "shadow_opacity", "shadow_opacity=%s is not valid; use an integer from 0 to 100.", dialect.Quote(s))
		}
		opacity, opacitySet = v, good
	}
	if shadowType != "" && shadowType != "none" || addShadow && shadowType == "" {
		// Matte draws one kind of shadow, a soft drop shadow; 3D and car
		// are drawn as it too, with remove.bg's default opacities.
		def := 50
		if shadowType == "car" {
			def = 90
		}
		if !opacitySet {
			opacity = def
		}
		if opacity > 0 {
			sh := &p.r.Params.Removal.Shadow
			sh.Enabled = true
			if opacity != 50 {
				sh.Opacity = float64(opacity) / 100
			}
		}
	}
}

func (p *parser) semitransparency() {
	if s, ok := p.b.Text("semitransparency"); ok {
		v, err := dialect.ParseBool(s)
		if err != nil {
			p.bad(CodeInvalidSemitransp, "semitransparency", "semitransparency=%s is not valid; use true or false.", dialect.Quote(s))
		} else if !v {
			rm := &p.r.Params.Removal
			rm.Hard, rm.Threshold = true, 0.5
		}
	}
}

// finish drops what the output format or the matte alone leaves no room
// for: the ZIP is the subject's colours and its matte, so backgrounds,
// shadows and channels=alpha do not apply to it.
func (p *parser) finish(mask bool) {
	po := &p.r.Params
	switch {
	case po.Format == params.FormatZIP:
		po.Background = params.Color{}
		po.Removal.Shadow = params.Shadow{}
		p.r.BgImage = nil
	case mask:
		po.Removal.MaskOnly = true
		po.Background = params.Color{}
		po.Removal.Shadow = params.Shadow{}
		p.r.BgImage = nil
	}
}

// parsePosition parses original, center, or one or two percentages.
func parsePosition(s string) (params.Position, bool) {
	switch strings.ToLower(s) {
	case "original":
		return params.Position{}, true
	case "center", "centre":
		return params.Position{X: 50, Y: 50, Set: true}, true
	}
	parts := dialect.SplitList(s)
	var xy []float64
	for _, part := range parts {
		if f, good := dialect.ParseNumber(strings.TrimSuffix(part, "%")); good && f >= 0 && f <= 100 {
			xy = append(xy, f)
		}
	}
	if len(parts) < 1 || len(parts) > 2 || len(xy) != len(parts) {
		return params.Position{}, false
	}
	if len(xy) == 1 {
		xy = append(xy, xy[0])
	}
	return params.Position{X: xy[0] + 0, Y: xy[1] + 0, Set: true}, true
}

func parseROI(s string) (ROI, bool) {
	parts := dialect.SplitList(s)
	if len(parts) != 4 {
		return ROI{}, false
	}
	var ls [4]params.Length
	for i, part := range parts {
		l, ok := dialect.ParseLength(part)
		if !ok || l.Percent && l.Value > 100 {
			return ROI{}, false
		}
		ls[i] = l
	}
	r := ROI{ls[0], ls[1], ls[2], ls[3]}
	for _, pair := range [][2]params.Length{{r.X1, r.X2}, {r.Y1, r.Y2}} {
		if pair[0].Percent == pair[1].Percent && pair[0].Value >= pair[1].Value {
			return ROI{}, false
		}
	}
	return r, true
}

// parseMargins parses crop_margin: 1 value (all sides), 2 (top and bottom,
// left and right) or 4 (top, right, bottom, left), each in px or %. Values
// above remove.bg's caps (500px, 50%) are kept; the pipeline caps them.
func parseMargins(s string) ([4]params.Length, bool) {
	parts := dialect.SplitList(s)
	var ls []params.Length
	for _, part := range parts {
		l, ok := dialect.ParseLength(part)
		if !ok {
			return [4]params.Length{}, false
		}
		ls = append(ls, l)
	}
	switch len(ls) {
	case 1:
		return [4]params.Length{ls[0], ls[0], ls[0], ls[0]}, true
	case 2:
		return [4]params.Length{ls[0], ls[1], ls[0], ls[1]}, true
	case 4:
		return [4]params.Length{ls[0], ls[1], ls[2], ls[3]}, true
	}
	return [4]params.Length{}, false
}
