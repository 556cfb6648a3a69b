// Package fapihub is the fapihub RemoveBG v2 dialect: POST /v2/rembg/ and
// its mask/, blur/, color/, gradient/ and shadow/ endpoints, the key in
// ApiKey. It parses fapihub's fields onto params.Params, and holds its
// error codes, its error shape ({"error":{"code","message","request_id"}})
// and its answer (a PNG). API plugs it into the hosted-API flow.
package fapihub

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// fapihub error codes.
const (
	CodeInvalidImage        = "invalid_image"        // 400: missing, empty, too large, unsupported or corrupt image
	CodeInvalidParameter    = "invalid_parameter"    // 400: a bad field (radius, bgcolor, ...)
	CodeInvalidAPIKey       = "invalid_api_key"      // 401
	CodeInsufficientCredits = "insufficient_credits" // 402
	CodeRateLimitExceeded   = "rate_limit_exceeded"  // 429: also a full queue
	CodeServerError         = "server_error"         // 500: a processing failure
	CodeMethodNotAllowed    = "method_not_allowed"   // 405
	CodeNotFound            = "not_found"            // 404: no such endpoint
)

// FAPIHub endpoints (the path after /v2/rembg/).
const (
	Remove   = ""
	Mask     = "mask"
	Blur     = "blur"
	Color    = "color"
	Gradient = "gradient"
	Shadow   = "shadow"
)

// Models are the model names fapihub accepts; Matte runs its
// configured default model for each.
var Models = []string{"falcon", "aurora", "ghost"}

// Request is a parsed POST /v2/rembg/<endpoint>/.
type Request struct {
	Endpoint string
	Source   dialect.Image
	Params   params.Params
}

// Parse parses fapihub's fields for an endpoint: image (file) on
// every one; model (falcon, aurora, ghost) on remove and mask; radius
// (1-50) on blur; bgcolor "(r, g, b, a)" on color; top_color and
// bottom_color on gradient; shadow_color "(r, g, b, a)", offset "(x, y)"
// and blur_radius (0-100) on shadow. Colours are 0-255 tuples of 3 or 4
// (alpha 255 when left out), or hex or a colour name. The output is PNG.
func Parse(endpoint string, b *dialect.Body, maxSourceBytes int64) (*Request, params.Errors) {
	p := &parser{b: b, r: &Request{Endpoint: endpoint}}
	po := &p.r.Params
	po.Removal.Enabled = true
	po.Format = params.FormatPNG
	p.image(maxSourceBytes)
	if s, ok := b.Text("model"); ok && (endpoint == Remove || endpoint == Mask) {
		if !slices.Contains(Models, strings.ToLower(s)) {
			p.bad("model", "model=%s is not valid; use falcon, aurora or ghost.", dialect.Quote(s))
		}
	}
	switch endpoint {
	case Remove:
	case Mask:
		po.Removal.MaskOnly = true
	case Blur:
		s, ok := b.Text("radius")
		if !ok {
			p.bad("radius", "radius is required: an integer from 1 to 50.")
			break
		}
		v, good := dialect.ParseInt(s, 1, 50)
		if !good {
			p.bad("radius", "radius=%s is not valid; use an integer from 1 to 50.", dialect.Quote(s))
		}
		po.Removal.BgBlur = v
	case Color:
		if c, ok := p.color("bgcolor", true); ok {
			po.Background = c
		}
	case Gradient:
		top, ok1 := p.color("top_color", true)
		bottom, ok2 := p.color("bottom_color", true)
		if ok1 && ok2 {
			po.Removal.BgGradient = [2]params.Color{top, bottom}
		}
	case Shadow:
		p.shadow()
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.r, nil
}

// parser is one Parse: the body, the request it fills and the errors.
type parser struct {
	b    *dialect.Body
	r    *Request
	errs params.Errors
}

func (p *parser) bad(field, format string, args ...any) {
	p.errs = append(p.errs, dialect.Errorf(400, CodeInvalidParameter, "Invalid parameter", field, format, args...))
}

// image takes the image: a file part, or base64 text.
func (p *parser) image(maxSourceBytes int64) {
	invalid := func(detail string) {
		p.errs = append(p.errs, dialect.Errorf(400, CodeInvalidImage, "Invalid image", "image", "%s", detail))
	}
	var data []byte
	if f, ok := p.b.File("image"); ok {
		data = f.Data
	} else if s, ok := p.b.Text("image"); ok {
		d, err := dialect.DecodeBase64(s)
		if err != nil {
			invalid("image must be a file upload (multipart/form-data).")
			return
		}
		data = d
	} else {
		invalid("No image provided: send the image file in the field image.")
		return
	}
	switch {
	case len(data) == 0:
		invalid("The image is empty.")
	case maxSourceBytes > 0 && int64(len(data)) > maxSourceBytes:
		invalid(fmt.Sprintf("The image is larger than %d bytes.", maxSourceBytes))
	default:
		p.r.Source = dialect.Image{Data: data, Field: "image"}
	}
}

// color reads a colour field; a required one must be given.
func (p *parser) color(field string, required bool) (params.Color, bool) {
	s, ok := p.b.Text(field)
	if !ok {
		if required {
			p.bad(field, "%s is required, as (r, g, b, a).", field)
		}
		return params.Color{}, false
	}
	c, good := ParseTupleColor(s)
	if !good {
		p.bad(field, "%s=%s is not valid; use (r, g, b, a) with values 0-255, or a hex colour.", field, dialect.Quote(s))
	}
	return c, good
}

// shadow reads the shadow endpoint's shadow_color, offset and blur_radius,
// all three required (fapihub-removebg-api.txt lines 278-300). Matte's own
// shadow defaults are (0, 0, 0, 128), (0, 10) and 10.
func (p *parser) shadow() {
	s := &p.r.Params.Removal.Shadow
	s.Enabled = true
	for _, f := range []struct{ name, form string }{{"offset", "(x, y)"}, {"blur_radius", "a number from 0 to 100"}} {
		if _, ok := p.b.Text(f.name); !ok {
			p.bad(f.name, "%s is required: %s.", f.name, f.form)
		}
	}
	if c, ok := p.color("shadow_color", true); ok {
		switch {
		case c.A == 0:
			s.Enabled = false // a fully transparent shadow is none
		case c.A != 128:
			s.Opacity = float64(c.A) / 255
		}
		if c.R != 0 || c.G != 0 || c.B != 0 {
			s.Color = c.Opaque()
		}
	}
	if v, ok := p.b.Text("offset"); ok {
		xy, good := dialect.ParseTuple(v, 2, 2, -1000, 1000)
		if !good {
			p.bad("offset", "offset=%s is not valid; use (x, y) with integers from -1000 to 1000.", dialect.Quote(v))
		} else if xy[0] != 0 || xy[1] != 10 {
			s.OffsetX, s.OffsetY, s.OffsetSet = xy[0], xy[1], true
		}
	}
	if v, ok := p.b.Text("blur_radius"); ok {
		f, good := dialect.ParseNumber(v)
		if !good || f < 0 || f > 100 {
			p.bad("blur_radius", "blur_radius=%s is not valid; use a number from 0 to 100.", dialect.Quote(v))
		} else if f != 10 {
			s.Blur = max(f, 0.3) // 0 is a sharp shadow: the smallest blur
		}
	}
	if !s.Enabled {
		*s = params.Shadow{}
	}
}

// ParseTupleColor parses "(r, g, b)" or "(r, g, b, a)" with 0-255
// integers, or any colour params.ParseColor takes.
//
// An alpha written with a decimal point (such as 0.5) is a fraction of 1.
func ParseTupleColor(s string) (params.Color, bool) {
	t := strings.TrimSpace(s)
	alpha := -1
	if len(t) >= 2 && (t[0] == '(' && t[len(t)-1] == ')' || t[0] == '[' && t[len(t)-1] == ']') {
		t = t[1 : len(t)-1]
	}
	if parts := strings.Split(t, ","); len(parts) == 4 && strings.Contains(parts[3], ".") {
		if f, ok := dialect.ParseNumber(parts[3]); ok && f >= 0 && f <= 1 {
			alpha = int(f*255 + 0.5)
			t = strings.Join(parts[:3], ",")
		}
	}
	if v, ok := dialect.ParseTuple(t, 3, 4, 0, 255); ok && (alpha < 0 || len(v) == 3) {
		c := params.Color{R: uint8(v[0]), G: uint8(v[1]), B: uint8(v[2]), A: 255, Set: true}
		if len(v) == 4 {
			c.A = uint8(v[3])
		}
		if alpha >= 0 {
			c.A = uint8(alpha)
		}
		if c.A == 0 {
			c.R, c.G, c.B = 0, 0, 0
		}
		return c, true
	}
	c, err := params.ParseColor(strings.TrimSpace(s))
	return c, err == nil
}
