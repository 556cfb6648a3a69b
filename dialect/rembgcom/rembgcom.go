// Package rembgcom is the rembg.com API dialect: POST /rmbg and GET
// /api/membership-usage, with the key in x-api-key. It parses rembg.com's fields onto params.Params and
// params.Extras, and holds its messages, its error shapes
// ({"error","field","status"}, or {"error":"Multiple validation
// errors","details":[...],"status":400}) and its success answer (the
// image, with or without return_base64). API plugs it into the hosted-API flow.
package rembgcom

import (
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// MaxDimension bounds w, h and the source's sides (rembg.com's 10000 px).
const MaxDimension = 10000

// rembg.com's messages, verbatim from its error reference; the ones with
// a placeholder are built by the functions below.
const (
	MsgNoImage       = "No image file provided. Please include an 'image' field in your form data."
	MsgNoFile        = "No file selected. Please choose an image file to upload."
	MsgCorrupt       = "File does not appear to be a valid image (invalid file signature)"
	MsgEmptyFile     = "Uploaded file is empty (0 bytes)."
	MsgMaskWithColor = "Cannot use 'mask=true' together with 'bg_color'. Choose one or the other."
	MsgMultiple      = "Multiple validation errors"
	// MsgAllowedFormats ends the format message.
	MsgAllowedFormats = "Allowed formats: PNG, JPEG, WEBP, BMP"
)

// allowedTypes are the upload extensions rembg.com lists.
var allowedTypes = map[string]bool{".webp": true, ".bmp": true, ".png": true, ".jpg": true, ".jpeg": true}

// MsgUnsupported is "File type '.exe' is not supported. ...".
func MsgUnsupported(ext string) string {
	return fmt.Sprintf("File type '%s' is not supported. Allowed formats: webp, bmp, png, jpg, jpeg", ext)
}

// MsgSideTooLarge is "Image width (12000px) exceeds the maximum allowed
// width of 10000px." (side is "width" or "height").
func MsgSideTooLarge(side string, px int) string {
	return fmt.Sprintf("Image %s (%dpx) exceeds the maximum allowed %s of %dpx.", side, px, side, MaxDimension)
}

// msgNotInt, msgAtLeast, msgAtMost word a bad w or h.
func msgNotInt(field, s string) string {
	return fmt.Sprintf("'%s' must be an integer, got: '%s'", field, s)
}
func msgAtLeast(field, v string) string {
	return fmt.Sprintf("'%s' must be at least 1, got: %s", field, v)
}
func msgAtMost(field, v string) string {
	return fmt.Sprintf("'%s' must be at most %d, got: %s", field, MaxDimension, v)
}

// echo bounds a client's value repeated in a message to 40 bytes.
func echo(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "..."
	}
	return s
}

// pyFloat writes f as Python's repr does ("500.0", "-360.5", "1e+16").
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.Abs(f) >= 1e16:
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Request is a parsed POST /rmbg.
type Request struct {
	Source dialect.Image
	Params params.Params
	// ReturnBase64 is return_base64. The answer is still the image itself:
	// rembg.js base64-encodes the raw body into "data:image/png;base64,..."
	// on its own, so the format defaults to PNG to make that label true.
	ReturnBase64 bool
	// Extras carries expand=false (KeepCanvas).
	Extras params.Extras
	// BMP is format=bmp: the pipeline renders a PNG that its job
	// re-encodes as BMP (Plan's Encoding).
	BMP bool
}

// Parse parses rembg.com's fields: image (file; webp, bmp, png, jpg, jpeg),
// format (webp, png, jpeg or bmp, as the error reference lists them;
// default webp), w, h (1-10000; 0 is unset), exact_resize, mask, return_base64, angle
// (-360 to 360 degrees, counter-clockwise as PIL), expand (default true), bg_color.
// Every error is a 400 whose Field is the field, worded as rembg.com's
// error reference words it.
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
	s, formatSet := b.Text("format")
	if formatSet {
		switch strings.ToUpper(s) {
		case "WEBP":
		case "PNG":
			p.Format = params.FormatPNG
		case "JPEG", "JPG":
			p.Format = params.FormatJPEG
		case "BMP":
			// Rendered as PNG, re-encoded by the job (libvips writes no BMP).
			p.Format, r.BMP = params.FormatPNG, true
		default:
			bad("format", fmt.Sprintf("Invalid format '%s'. %s", echo(s), MsgAllowedFormats))
		}
	}
	p.Width = dimension(b, "w", bad)
	p.Height = dimension(b, "h", bad)
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
	if r.ReturnBase64 && !formatSet {
		p.Format = params.FormatPNG
	}
	expand := boolean("expand", true)
	if s, ok := b.Text("angle"); ok && strings.TrimSpace(s) != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange), math.IsNaN(f):
			bad("angle", fmt.Sprintf("'angle' must be a number, got: '%s'", echo(s)))
		case f < -360 || f > 360:
			bad("angle", fmt.Sprintf("'angle' must be between -360 and 360 degrees, got: %s", pyFloat(f)))
		default:
			// PIL turns counter-clockwise; Params.Rotate is clockwise.
			p.Rotate = dialect.NormalizeAngle(-f)
		}
	}
	r.Extras.KeepCanvas = !expand && p.Rotate != 0
	if s, ok := b.Text("bg_color"); ok {
		c, err := params.ParseColor(s)
		switch {
		case err != nil:
			bad("bg_color", fmt.Sprintf("Invalid color format '%s'. Use hex format: #RGB, #RGBA, #RRGGBB, or #RRGGBBAA", echo(s)))
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

// dimension parses w or h: unset when absent, empty or 0 (rembg.js always
// sends w=0 and h=0), else an integer from 1 to MaxDimension.
func dimension(b *dialect.Body, field string, bad func(field, msg string)) int {
	s, ok := b.Text(field)
	t := strings.TrimSpace(s)
	if !ok || t == "" {
		return 0
	}
	v, err := strconv.Atoi(t)
	switch {
	case errors.Is(err, strconv.ErrRange) && strings.HasPrefix(t, "-"):
		bad(field, msgAtLeast(field, echo(t)))
	case errors.Is(err, strconv.ErrRange):
		bad(field, msgAtMost(field, echo(strings.TrimPrefix(t, "+"))))
	case err != nil:
		bad(field, msgNotInt(field, echo(s)))
	case v < 0:
		bad(field, msgAtLeast(field, strconv.Itoa(v)))
	case v > MaxDimension:
		bad(field, msgAtMost(field, strconv.Itoa(v)))
	default:
		return v
	}
	return 0
}

// image takes the image: a file part, or base64 text (a data URL or plain).
func (r *Request) image(b *dialect.Body, maxSourceBytes int64) *params.Error {
	var data []byte
	if f, ok := b.File("image"); ok {
		if ext := strings.ToLower(path.Ext(f.Filename)); ext != "" && !allowedTypes[ext] {
			return invalid("image", MsgUnsupported(echo(ext)))
		}
		if len(f.Data) == 0 && f.Filename == "" {
			// A form sent with no file chosen: an empty part, no file name.
			return invalid("image", MsgNoFile)
		}
		if len(f.Data) == 0 {
			return invalid("image", MsgEmptyFile)
		}
		data = f.Data
	} else if s, ok := b.Text("image"); ok {
		d, err := dialect.DecodeBase64(s)
		if err != nil || len(d) == 0 {
			return invalid("image", MsgNoFile)
		}
		data = d
	} else {
		return invalid("image", MsgNoImage)
	}
	if maxSourceBytes > 0 && int64(len(data)) > maxSourceBytes {
		return invalid("image", MsgFileTooLarge(int64(len(data)), maxSourceBytes))
	}
	r.Source = dialect.Image{Data: data, Field: "image"}
	return nil
}

// MsgFileTooLarge is "File size (55.2 MB) exceeds the maximum allowed size
// of 50 MB." (sizes in MiB, at most one decimal).
func MsgFileTooLarge(size, limit int64) string {
	return fmt.Sprintf("File size (%s MB) exceeds the maximum allowed size of %s MB.", megabytes(size), megabytes(limit))
}

// Images is the source; rembg.com has no background image.
func (r *Request) Images() (dialect.Image, *dialect.Image) { return r.Source, nil }

// CheckSize refuses a source wider or taller than rembg.com's 10000 px
// (dialect.SizeChecker).
func (r *Request) CheckSize(w, h int) params.Errors {
	var errs params.Errors
	if w > MaxDimension {
		errs = append(errs, invalid("image", MsgSideTooLarge("width", w)))
	}
	if h > MaxDimension {
		errs = append(errs, invalid("image", MsgSideTooLarge("height", h)))
	}
	return errs
}

// Plan refuses a source wider or taller than rembg.com's 10000 px. A
// format=bmp plan renders PNG with dialect.BMPEncoding.
func (r *Request) Plan(w, h int, _ []byte) (dialect.Plan, params.Errors) {
	if errs := r.CheckSize(w, h); errs != nil {
		return dialect.Plan{}, errs
	}
	plan := dialect.Plan{Params: r.Params, Format: r.Params.Format, Extras: r.Extras, Credits: 1}
	if r.BMP {
		plan.Encoding = dialect.BMPEncoding
	}
	return plan, nil
}

// invalid is a 400 on one field, with rembg.com's message.
func invalid(field, msg string) *params.Error {
	return &params.Error{Status: 400, Code: "validation_error", Title: "Validation error", Field: field, Detail: msg}
}
