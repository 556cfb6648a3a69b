package dialect

import (
	"strings"

	"github.com/jebosio/matte/params"
)

// RembgComMaxDimension bounds w, h and the source's sides (rembg.com's
// 10000 px).
const RembgComMaxDimension = 10000

// rembg.com messages, as its error bodies carry them.
const (
	RCMsgNoImage        = "No image file provided"
	RCMsgEmptyFile      = "Empty file"
	RCMsgUnsupported    = "Unsupported file type"
	RCMsgCorrupt        = "The image could not be decoded"
	RCMsgTooLarge       = "File too large"
	RCMsgWidthTooLarge  = "Width exceeds the maximum of 10000 px"
	RCMsgHeightTooLarge = "Height exceeds the maximum of 10000 px"
	RCMsgInvalidWidth   = "Invalid width: must be an integer from 1 to 10000"
	RCMsgInvalidHeight  = "Invalid height: must be an integer from 1 to 10000"
	RCMsgInvalidAngle   = "Invalid angle: must be a number of degrees"
	RCMsgInvalidColor   = "Invalid bg_color: use a hex colour (#RRGGBB or #RRGGBBAA) or a colour name"
	RCMsgMaskWithColor  = "mask and bg_color cannot be used together"
	RCMsgInvalidFormat  = "Invalid format: must be webp or png"
	RCMsgMultiple       = "Multiple validation errors"
)

// RembgCom is a parsed POST /rmbg.
type RembgCom struct {
	Source Image
	Params params.Params
	// ReturnBase64 answers JSON with the image as a data URL.
	ReturnBase64 bool
	// Extras carries expand=false (KeepCanvas).
	Extras params.Extras
}

// ParseRembgCom parses rembg.com's fields: image (file), format
// (webp|png, default webp), w, h (1-10000), exact_resize, mask,
// return_base64, angle (degrees, counter-clockwise as PIL), expand
// (default true), bg_color. Every error is a 400 whose Field is the field.
func ParseRembgCom(b *Body, maxSourceBytes int64) (*RembgCom, Errors) {
	var errs Errors
	bad := func(field, msg string) {
		errs = append(errs, &Error{Status: 400, Code: "validation_error", Title: "Validation error", Field: field, Detail: msg})
	}
	r := &RembgCom{}
	p := &r.Params
	p.Removal.Enabled = true
	p.Format = params.FormatWebP

	if f, ok := b.File("image"); ok {
		if len(f.Data) == 0 {
			bad("image", RCMsgEmptyFile)
		} else if maxSourceBytes > 0 && int64(len(f.Data)) > maxSourceBytes {
			errs = append(errs, &Error{Status: 413, Code: "file_too_large", Title: "File too large", Field: "image", Detail: RCMsgTooLarge})
		} else {
			r.Source = Image{Data: f.Data, Field: "image"}
		}
	} else if s, ok := b.Text("image"); ok {
		// Not a file part: take it as base64 (a data URL or plain).
		data, err := DecodeBase64(s)
		if err != nil || len(data) == 0 {
			bad("image", RCMsgUnsupported)
		} else if maxSourceBytes > 0 && int64(len(data)) > maxSourceBytes {
			errs = append(errs, &Error{Status: 413, Code: "file_too_large", Title: "File too large", Field: "image", Detail: RCMsgTooLarge})
		} else {
			r.Source = Image{Data: data, Field: "image"}
		}
	} else {
		bad("image", RCMsgNoImage)
	}

	if s, ok := b.Text("format"); ok {
		switch strings.ToLower(s) {
		case "webp":
		case "png":
			p.Format = params.FormatPNG
		default:
			bad("format", RCMsgInvalidFormat)
		}
	}
	dim := func(field, invalid, tooLarge string) int {
		s, ok := b.Text(field)
		if !ok {
			return 0
		}
		if f, good := parseNumber(s); good && f > RembgComMaxDimension && f == float64(int(f)) {
			bad(field, tooLarge)
			return 0
		}
		v, good := parseInt(s, 1, RembgComMaxDimension)
		if !good {
			bad(field, invalid)
		}
		return v
	}
	p.Width = dim("w", RCMsgInvalidWidth, RCMsgWidthTooLarge)
	p.Height = dim("h", RCMsgInvalidHeight, RCMsgHeightTooLarge)
	boolean := func(field string, def bool) bool {
		s, ok := b.Text(field)
		if !ok {
			return def
		}
		v, err := ParseBool(s)
		if err != nil {
			bad(field, "Invalid "+field+": must be true or false")
			return def
		}
		return v
	}
	exact := boolean("exact_resize", false)
	if exact && p.Width > 0 && p.Height > 0 {
		p.Fit = params.FitScale
	}
	mask := boolean("mask", false)
	r.ReturnBase64 = boolean("return_base64", false)
	expand := boolean("expand", true)
	if s, ok := b.Text("angle"); ok {
		f, good := parseNumber(s)
		if !good {
			bad("angle", RCMsgInvalidAngle)
		}
		// PIL turns counter-clockwise; Params.Rotate is clockwise.
		p.Rotate = normalizeAngle(-f)
	}
	r.Extras.KeepCanvas = !expand && p.Rotate != 0
	if s, ok := b.Text("bg_color"); ok {
		c, err := params.ParseColor(s)
		switch {
		case err != nil:
			bad("bg_color", RCMsgInvalidColor)
		case mask:
			bad("bg_color", RCMsgMaskWithColor)
		default:
			p.Background = c
		}
	}
	p.Removal.MaskOnly = mask
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}
