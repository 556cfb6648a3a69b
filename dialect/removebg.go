package dialect

import (
	"fmt"
	"strings"

	"github.com/jebosio/matte/params"
)

// remove.bg error codes (status 400 unless said otherwise). The first ones
// are remove.bg's own; the others follow its invalid_<field> pattern.
const (
	RBMissingSource        = "missing_source"
	RBMultipleSources      = "multiple_sources"
	RBInvalidImageURL      = "invalid_image_url"
	RBFailedImageDownload  = "failed_image_download"
	RBFileTooLarge         = "file_too_large"
	RBInvalidFileType      = "invalid_file_type"
	RBResolutionTooHigh    = "resolution_too_high"
	RBInvalidSize          = "invalid_size"
	RBInvalidFormat        = "invalid_format"
	RBInvalidROI           = "invalid_roi"
	RBInvalidCropMargin    = "invalid_crop_margin"
	RBInvalidBgColor       = "invalid_bg_color"
	RBInvalidImageFileB64  = "invalid_image_file_b64"
	RBInvalidType          = "invalid_type"
	RBInvalidTypeLevel     = "invalid_type_level"
	RBInvalidCrop          = "invalid_crop"
	RBInvalidScale         = "invalid_scale"
	RBInvalidPosition      = "invalid_position"
	RBInvalidChannels      = "invalid_channels"
	RBInvalidBgImageURL    = "invalid_bg_image_url"
	RBInvalidBgImageFile   = "invalid_bg_image_file"
	RBMultipleBackgrounds  = "multiple_backgrounds"
	RBInvalidAddShadow     = "invalid_add_shadow"
	RBInvalidShadowType    = "invalid_shadow_type"
	RBInvalidShadowOpacity = "invalid_shadow_opacity"
	RBInvalidSemitransp    = "invalid_semitransparency"
	RBUnknownForeground    = "unknown_foreground"
	RBInvalidBody          = "invalid_request_body"
	RBAuthFailed           = "auth_failed"          // 403
	RBInsufficientCredits  = "insufficient_credits" // 402
	RBRateLimitExceeded    = "rate_limit_exceeded"  // 429
	RBRemovalUnavailable   = "removal_unavailable"  // 501
	RBOverloaded           = "service_unavailable"  // 503
	RBInternalError        = "internal_error"       // 500
	RBMethodNotAllowed     = "method_not_allowed"   // 405
)

// Sizes maps remove.bg's size names to megapixel caps (0: as large as the
// server allows) and credits charged.
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
	"auto":    {0, 1},
}

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

// RemoveBG is a parsed POST /v1.0/removebg.
type RemoveBG struct {
	Source  Image
	BgImage *Image // bg_image_url or bg_image_file
	// Params holds the removal without the size cap (see Size) and
	// without Removal.BgImage, which the caller sets to
	// params.BgImageRef of the background bytes once it has them.
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
func (r *RemoveBG) XType() string {
	if r.Type == "" || r.Type == "auto" {
		return "other"
	}
	return r.Type
}

// OutputFormat is the format to encode: the one asked for, or with
// format=auto PNG when the result keeps transparency and JPEG when it is
// opaque (an opaque bg_color, or a background image). The matte alone
// (channels=alpha) is PNG.
func (r *RemoveBG) OutputFormat() params.Format {
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
func (r *RemoveBG) Extras(w, h int, bg []byte) (params.Extras, bool) {
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
		e.Margins, e.MarginsSet = r.Margins, true
	}
	return e, true
}

// ParseRemoveBG parses remove.bg's fields. maxSourceBytes bounds decoded
// images (0: no bound). Errors are reported per field, all of them.
func ParseRemoveBG(b *Body, maxSourceBytes int64) (*RemoveBG, Errors) {
	var errs Errors
	bad := func(code, field, format string, args ...any) {
		errs = append(errs, errf(400, code, rbTitle(code), field, format, args...))
	}
	r := &RemoveBG{Size: "auto", Type: "auto", Credits: 1}
	p := &r.Params
	p.Removal.Enabled = true

	// Source: exactly one of image_file, image_file_b64, image_url.
	var given []string
	if f, ok := b.File("image_file"); ok {
		if len(f.Data) == 0 {
			bad(RBMissingSource, "image_file", "image_file is an empty file.")
		} else {
			r.Source = Image{Data: f.Data, Field: "image_file"}
		}
		given = append(given, "image_file")
	} else if _, ok := b.Text("image_file"); ok {
		bad(RBMissingSource, "image_file", "image_file must be a file upload (multipart/form-data); for base64 use image_file_b64.")
		given = append(given, "image_file")
	}
	if s, ok := b.Text("image_file_b64"); ok {
		given = append(given, "image_file_b64")
		data, err := DecodeBase64(s)
		switch {
		case err != nil:
			bad(RBInvalidImageFileB64, "image_file_b64", "image_file_b64 is not valid base64.")
		case len(data) == 0:
			bad(RBMissingSource, "image_file_b64", "image_file_b64 is empty.")
		default:
			r.Source = Image{Data: data, Field: "image_file_b64"}
		}
	}
	if s, ok := b.Text("image_url"); ok {
		given = append(given, "image_url")
		if !checkURL(s) {
			bad(RBInvalidImageURL, "image_url", "image_url must be an absolute http or https URL.")
		} else {
			r.Source = Image{URL: s, Field: "image_url"}
		}
	}
	switch {
	case len(given) == 0:
		bad(RBMissingSource, "", "No image given: send one of image_file, image_file_b64 or image_url.")
	case len(given) > 1:
		errs = errs[:0:0]
		bad(RBMultipleSources, given[1], "Multiple image sources given (%s): send only one.", strings.Join(given, ", "))
	}
	if maxSourceBytes > 0 && int64(len(r.Source.Data)) > maxSourceBytes {
		bad(RBFileTooLarge, r.Source.Field, "The image is larger than %d bytes.", maxSourceBytes)
	}

	if s, ok := b.Text("size"); ok {
		name := strings.ToLower(s)
		if sz, known := Sizes[name]; known {
			r.Size, r.Megapixels, r.Credits = name, sz.Megapixels, sz.Credits
		} else {
			bad(RBInvalidSize, "size", "size=%s is not valid; use preview, small, regular, medium, hd, full, 4k, 50MP or auto.", quote(s))
		}
	}
	if s, ok := b.Text("type"); ok {
		t := strings.ToLower(s)
		if contains(Types, t) {
			r.Type = t
		} else {
			bad(RBInvalidType, "type", "type=%s is not valid; use %s.", quote(s), strings.Join(Types, ", "))
		}
	}
	if s, ok := b.Text("type_level"); ok {
		t := strings.ToLower(s)
		if t == "none" || t == "1" || t == "2" || t == "latest" {
			r.TypeLevel = t
		} else {
			bad(RBInvalidTypeLevel, "type_level", "type_level=%s is not valid; use none, 1, 2 or latest.", quote(s))
		}
	}
	r.FormatAuto = true
	if s, ok := b.Text("format"); ok {
		r.FormatAuto = false
		switch strings.ToLower(s) {
		case "auto":
			r.FormatAuto = true
		case "png":
			p.Format = params.FormatPNG
		case "jpg", "jpeg":
			p.Format = params.FormatJPEG
		case "webp":
			p.Format = params.FormatWebP
		case "zip":
			p.Format = params.FormatZIP
		default:
			r.FormatAuto = true
			bad(RBInvalidFormat, "format", "format=%s is not valid; use auto, png, jpg, webp or zip.", quote(s))
		}
	}
	if s, ok := b.Text("roi"); ok {
		roi, good := parseROI(s)
		if good {
			r.ROI = &roi
		} else {
			bad(RBInvalidROI, "roi", "roi=%s is not valid; use \"x1 y1 x2 y2\" with each in px or %% (x1 < x2, y1 < y2, percentages up to 100%%).", quote(s))
		}
	}
	if s, ok := b.Text("crop"); ok {
		v, err := ParseBool(s)
		if err != nil {
			bad(RBInvalidCrop, "crop", "crop=%s is not valid; use true or false.", quote(s))
		}
		p.Removal.CropToForeground = v
	}
	if s, ok := b.Text("crop_margin"); ok {
		m, good := parseMargins(s)
		if good {
			r.Margins, r.MarginsSet = m, m != [4]params.Length{}
		} else {
			bad(RBInvalidCropMargin, "crop_margin", "crop_margin=%s is not valid; use 1, 2 or 4 values in px or %% (such as 30px or \"10%% 5%%\").", quote(s))
		}
	}
	scaleGiven := false
	if s, ok := b.Text("scale"); ok {
		if strings.EqualFold(s, "original") {
			p.Removal.Scale = 0
		} else if f, good := parseNumber(strings.TrimSuffix(s, "%")); good && f >= 10 && f <= 100 {
			p.Removal.Scale, scaleGiven = f/100, true
		} else {
			bad(RBInvalidScale, "scale", "scale=%s is not valid; use original or 10%% to 100%%.", quote(s))
		}
	}
	positionGiven := false
	if s, ok := b.Text("position"); ok {
		positionGiven = true
		switch strings.ToLower(s) {
		case "original":
		case "center", "centre":
			p.Removal.Position = params.Position{X: 50, Y: 50, Set: true}
		default:
			parts := splitList(s)
			var xy []float64
			for _, part := range parts {
				if f, good := parseNumber(strings.TrimSuffix(part, "%")); good && f >= 0 && f <= 100 {
					xy = append(xy, f)
				}
			}
			if len(parts) < 1 || len(parts) > 2 || len(xy) != len(parts) {
				bad(RBInvalidPosition, "position", "position=%s is not valid; use original, center, or one or two values from 0%% to 100%%.", quote(s))
				break
			}
			if len(xy) == 1 {
				xy = append(xy, xy[0])
			}
			p.Removal.Position = params.Position{X: xy[0] + 0, Y: xy[1] + 0, Set: true}
		}
	}
	if scaleGiven && !positionGiven {
		// As remove.bg documents: scaling the subject implies position=center.
		p.Removal.Position = params.Position{X: 50, Y: 50, Set: true}
	}
	mask := false
	if s, ok := b.Text("channels"); ok {
		switch strings.ToLower(s) {
		case "rgba":
		case "alpha":
			mask = true
		default:
			bad(RBInvalidChannels, "channels", "channels=%s is not valid; use rgba or alpha.", quote(s))
		}
	}
	bgColor, hasBgColor := b.Text("bg_color")
	if hasBgColor {
		c, err := params.ParseColor(bgColor)
		if err != nil {
			bad(RBInvalidBgColor, "bg_color", "bg_color=%s is not a colour; use hex (81d4fa, fff, 81d4fa77) or a colour name.", quote(bgColor))
		} else {
			p.Background = c
		}
	}
	var bgs []string
	if s, ok := b.Text("bg_image_url"); ok {
		bgs = append(bgs, "bg_image_url")
		if !checkURL(s) {
			bad(RBInvalidBgImageURL, "bg_image_url", "bg_image_url must be an absolute http or https URL.")
		} else {
			r.BgImage = &Image{URL: s, Field: "bg_image_url"}
		}
	}
	if f, ok := b.File("bg_image_file"); ok {
		bgs = append(bgs, "bg_image_file")
		switch {
		case len(f.Data) == 0:
			bad(RBInvalidBgImageFile, "bg_image_file", "bg_image_file is an empty file.")
		case maxSourceBytes > 0 && int64(len(f.Data)) > maxSourceBytes:
			bad(RBFileTooLarge, "bg_image_file", "The background image is larger than %d bytes.", maxSourceBytes)
		default:
			r.BgImage = &Image{Data: f.Data, Field: "bg_image_file"}
		}
	}
	if hasBgColor {
		bgs = append([]string{"bg_color"}, bgs...)
	}
	if len(bgs) > 1 {
		bad(RBMultipleBackgrounds, bgs[1], "%s cannot be combined: give one background at most.", strings.Join(bgs, " and "))
	}

	shadowType := ""
	if s, ok := b.Text("shadow_type"); ok {
		switch t := strings.ToLower(s); t {
		case "none", "drop", "car", "3d":
			shadowType = t
		default:
			bad(RBInvalidShadowType, "shadow_type", "shadow_type=%s is not valid; use none, drop, 3D or car.", quote(s))
		}
	}
	addShadow := false
	if s, ok := b.Text("add_shadow"); ok {
		v, err := ParseBool(s)
		if err != nil {
			bad(RBInvalidAddShadow, "add_shadow", "add_shadow=%s is not valid; use true or false.", quote(s))
		}
		addShadow = v
	}
	opacity, opacitySet := 0, false
	if s, ok := b.Text("shadow_opacity"); ok {
		v, good := parseInt(s, 0, 100)
		if !good {
			bad(RBInvalidShadowOpacity, "shadow_opacity", "shadow_opacity=%s is not valid; use an integer from 0 to 100.", quote(s))
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
			p.Removal.Shadow.Enabled = true
			if opacity != 50 {
				p.Removal.Shadow.Opacity = float64(opacity) / 100
			}
		}
	}
	if s, ok := b.Text("semitransparency"); ok {
		v, err := ParseBool(s)
		if err != nil {
			bad(RBInvalidSemitransp, "semitransparency", "semitransparency=%s is not valid; use true or false.", quote(s))
		} else if !v {
			p.Removal.Hard, p.Removal.Threshold = true, 0.5
		}
	}

	switch {
	case p.Format == params.FormatZIP:
		// The ZIP is the subject's colours and its matte: backgrounds,
		// shadows and channels=alpha do not apply.
		p.Background = params.Color{}
		p.Removal.Shadow = params.Shadow{}
		r.BgImage = nil
	case mask:
		p.Removal.MaskOnly = true
		p.Background = params.Color{}
		p.Removal.Shadow = params.Shadow{}
		r.BgImage = nil
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

func parseROI(s string) (ROI, bool) {
	parts := splitList(s)
	if len(parts) != 4 {
		return ROI{}, false
	}
	var ls [4]params.Length
	for i, part := range parts {
		l, ok := parseLength(part)
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
	parts := splitList(s)
	var ls []params.Length
	for _, part := range parts {
		l, ok := parseLength(part)
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rbTitle is remove.bg's short title for a code.
func rbTitle(code string) string {
	switch code {
	case RBMissingSource:
		return "No image given"
	case RBMultipleSources:
		return "Multiple image sources given"
	case RBInvalidImageURL:
		return "Invalid image URL"
	case RBFailedImageDownload:
		return "Failed to download image"
	case RBFileTooLarge:
		return "File too large"
	case RBInvalidFileType:
		return "Invalid file type"
	case RBResolutionTooHigh:
		return "Resolution too high"
	case RBUnknownForeground:
		return "Could not identify foreground in image"
	case RBAuthFailed:
		return "API Key invalid"
	case RBInsufficientCredits:
		return "Insufficient credits"
	case RBRateLimitExceeded:
		return "Rate limit exceeded"
	case RBMultipleBackgrounds:
		return "Multiple backgrounds given"
	case RBInvalidBody:
		return "Invalid request body"
	}
	if field, ok := strings.CutPrefix(code, "invalid_"); ok {
		return "Invalid " + field
	}
	return strings.ReplaceAll(code, "_", " ")
}

// RemoveBGError builds a remove.bg error with its title.
func RemoveBGError(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Title: rbTitle(code), Field: field, Detail: fmt.Sprintf(format, args...)}
}
