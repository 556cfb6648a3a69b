// Package rembgcom is the rembg.com API dialect: POST /rmbg and GET
// /api/membership-usage, with the key in x-api-key. It parses rembg.com's fields onto params.Params and
// params.Extras, and holds its messages, its error shapes
// ({"error","field","status"}, or {"error":"Multiple validation
// errors","details":[...],"status":400}) and its success answers (the
// image, or {"base64Image":...}). API plugs it into the hosted-API flow.
package rembgcom

import (
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// MaxDimension bounds w, h and the source's sides (rembg.com's 10000 px).
const MaxDimension = 10000

// rembg.com messages, as its error bodies carry them.
const (
	MsgNoImage        = "No image file provided"
	MsgEmptyFile      = "Empty file"
	MsgUnsupported    = "Unsupported file type"
	MsgCorrupt        = "The image could not be decoded"
	MsgTooLarge       = "File too large"
	MsgWidthTooLarge  = "Width exceeds the maximum of 10000 px"
	MsgHeightTooLarge = "Height exceeds the maximum of 10000 px"
	MsgInvalidWidth   = "Invalid width: must be an integer from 1 to 10000"
	MsgInvalidHeight  = "Invalid height: must be an integer from 1 to 10000"
	MsgInvalidAngle   = "Invalid angle: must be a number of degrees"
	MsgInvalidColor   = "Invalid bg_color: use a hex colour (#RRGGBB or #RRGGBBAA) or a colour name"
	MsgMaskWithColor  = "mask and bg_color cannot be used together"
	MsgInvalidFormat  = "Invalid format: must be webp or png"
	MsgMultiple       = "Multiple validation errors"
)

// Request is a parsed POST /rmbg.
type Request struct {
	Source dialect.Image
	Params params.Params
	// ReturnBase64 answers JSON with the image as a data URL.
	ReturnBase64 bool
	// Extras carries expand=false (KeepCanvas).
	Extras params.Extras
}

// Parse parses rembg.com's fields: image (file), format (webp|png,
// default webp), w, h (1-10000), exact_resize, mask, return_base64, angle
// (degrees, counter-clockwise as PIL), expand (default true), bg_color.
// Every error is a 400 (413 for a file over maxSourceBytes) whose Field is
// the field.
func Parse(b *dialect.Body, maxSourceBytes int64) (*Request, params.Errors) {
	var errs params.Errors
	bad := func(field, msg string) { errs = append(errs, invalid(field, msg)) }
	r := &Request{}
	p := &r.Params
	p.Removal.Enabled = true
	p.Format = params.FormatWebP
	if e := r.image(b, maxSourceBytes); e != nil {
		errs = append(errs, e)
	}
	if s, ok := b.Text("format"); ok {
		switch strings.ToLower(s) {
		case "webp":
		case "png":
			p.Format = params.FormatPNG
		default:
			bad("format", MsgInvalidFormat)
		}
	}
	dim := func(field, invalid, tooLarge string) int {
		s, ok := b.Text(field)
		if !ok {
			return 0
		}
		if f, good := dialect.ParseNumber(s); good && f > MaxDimension && f == float64(int(f)) {
			bad(field, tooLarge)
			return 0
		}
		v, good := dialect.ParseInt(s, 1, MaxDimension)
		if !good {
			bad(field, invalid)
		}
		return v
	}
	p.Width = dim("w", MsgInvalidWidth, MsgWidthTooLarge)
	p.Height = dim("h", MsgInvalidHeight, MsgHeightTooLarge)
	boolean := func(field string, def bool) bool {
		s, ok := b.Text(field)
		if !ok {
			return def
		}
		v, err := dialect.ParseBool(s)
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
		f, good := dialect.ParseNumber(s)
		if !good {
			bad("angle", MsgInvalidAngle)
		}
		// PIL turns counter-clockwise; Params.Rotate is clockwise.
		p.Rotate = dialect.NormalizeAngle(-f)
	}
	r.Extras.KeepCanvas = !expand && p.Rotate != 0
	if s, ok := b.Text("bg_color"); ok {
		c, err := params.ParseColor(s)
		switch {
		case err != nil:
			bad("bg_color", MsgInvalidColor)
		case mask:
			bad("bg_color", MsgMaskWithColor)
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

// image takes the image: a file part, or base64 text (a data URL or plain).
func (r *Request) image(b *dialect.Body, maxSourceBytes int64) *params.Error {
	var data []byte
	if f, ok := b.File("image"); ok {
		if len(f.Data) == 0 {
			return invalid("image", MsgEmptyFile)
		}
		data = f.Data
	} else if s, ok := b.Text("image"); ok {
		d, err := dialect.DecodeBase64(s)
		if err != nil || len(d) == 0 {
			return invalid("image", MsgUnsupported)
		}
		data = d
	} else {
		return invalid("image", MsgNoImage)
	}
	if maxSourceBytes > 0 && int64(len(data)) > maxSourceBytes {
		return &params.Error{Status: 413, Code: "file_too_large", Title: "File too large", Field: "image", Detail: MsgTooLarge}
	}
	r.Source = dialect.Image{Data: data, Field: "image"}
	return nil
}

// Images is the source; rembg.com has no background image.
func (r *Request) Images() (dialect.Image, *dialect.Image) { return r.Source, nil }

// Plan refuses a source wider or taller than rembg.com's 10000 px.
func (r *Request) Plan(w, h int, _ []byte) (dialect.Plan, params.Errors) {
	var errs params.Errors
	if w > MaxDimension {
		errs = append(errs, invalid("image", MsgWidthTooLarge))
	}
	if h > MaxDimension {
		errs = append(errs, invalid("image", MsgHeightTooLarge))
	}
	if errs != nil {
		return dialect.Plan{}, errs
	}
	return dialect.Plan{Params: r.Params, Format: r.Params.Format, Extras: r.Extras, Credits: 1}, nil
}

// invalid is a 400 on one field, with rembg.com's message.
func invalid(field, msg string) *params.Error {
	return &params.Error{Status: 400, Code: "validation_error", Title: "Validation error", Field: field, Detail: msg}
}
