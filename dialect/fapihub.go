package dialect

import (
	"strings"

	"github.com/jebosio/matte/params"
)

// fapihub error codes.
const (
	FHInvalidImage        = "invalid_image"        // 400: missing, empty, unsupported or corrupt image
	FHInvalidParameter    = "invalid_parameter"    // 400: a bad field (radius, bgcolor, ...)
	FHFileTooLarge        = "file_too_large"       // 413
	FHInvalidAPIKey       = "invalid_api_key"      // 401
	FHInsufficientCredits = "insufficient_credits" // 402
	FHRateLimitExceeded   = "rate_limit_exceeded"  // 429
	FHMethodNotAllowed    = "method_not_allowed"   // 405
	FHUnavailable         = "service_unavailable"  // 501/503
	FHInternalError       = "internal_error"       // 500
)

// FAPIHub endpoints (the path after /v2/rembg/).
const (
	FHRemove   = ""
	FHMask     = "mask"
	FHBlur     = "blur"
	FHColor    = "color"
	FHGradient = "gradient"
	FHShadow   = "shadow"
)

// FAPIHubModels are the model names fapihub accepts; Matte runs its
// configured default model for each.
var FAPIHubModels = []string{"falcon", "aurora", "ghost"}

// FAPIHub is a parsed POST /v2/rembg/<endpoint>/.
type FAPIHub struct {
	Endpoint string
	Source   Image
	Params   params.Params
}

// ParseFAPIHub parses fapihub's fields for an endpoint: image (file) on
// every one; model (falcon, aurora, ghost) on remove and mask; radius
// (1-50) on blur; bgcolor "(r, g, b, a)" on color; top_color and
// bottom_color on gradient; shadow_color "(r, g, b, a)", offset "(x, y)"
// and blur_radius (0-100) on shadow. Colours are 0-255 tuples of 3 or 4
// (alpha 255 when left out), or hex or a colour name. The output is PNG.
func ParseFAPIHub(endpoint string, b *Body, maxSourceBytes int64) (*FAPIHub, Errors) {
	var errs Errors
	bad := func(field, format string, args ...any) {
		errs = append(errs, errf(400, FHInvalidParameter, "Invalid parameter", field, format, args...))
	}
	r := &FAPIHub{Endpoint: endpoint}
	p := &r.Params
	p.Removal.Enabled = true
	p.Format = params.FormatPNG

	image := func(data []byte) {
		switch {
		case len(data) == 0:
			errs = append(errs, errf(400, FHInvalidImage, "Invalid image", "image", "The image is empty."))
		case maxSourceBytes > 0 && int64(len(data)) > maxSourceBytes:
			errs = append(errs, errf(413, FHFileTooLarge, "File too large", "image", "The image is larger than %d bytes.", maxSourceBytes))
		default:
			r.Source = Image{Data: data, Field: "image"}
		}
	}
	if f, ok := b.File("image"); ok {
		image(f.Data)
	} else if s, ok := b.Text("image"); ok {
		data, err := DecodeBase64(s)
		if err != nil {
			errs = append(errs, errf(400, FHInvalidImage, "Invalid image", "image", "image must be a file upload (multipart/form-data)."))
		} else {
			image(data)
		}
	} else {
		errs = append(errs, errf(400, FHInvalidImage, "Invalid image", "image", "No image provided: send the image file in the field image."))
	}

	if s, ok := b.Text("model"); ok && (endpoint == FHRemove || endpoint == FHMask) {
		if !contains(FAPIHubModels, strings.ToLower(s)) {
			bad("model", "model=%s is not valid; use falcon, aurora or ghost.", quote(s))
		}
	}
	color := func(field string, required bool) (params.Color, bool) {
		s, ok := b.Text(field)
		if !ok {
			if required {
				bad(field, "%s is required, as (r, g, b, a).", field)
			}
			return params.Color{}, false
		}
		c, good := ParseTupleColor(s)
		if !good {
			bad(field, "%s=%s is not valid; use (r, g, b, a) with values 0-255, or a hex colour.", field, quote(s))
		}
		return c, good
	}
	switch endpoint {
	case FHRemove:
	case FHMask:
		p.Removal.MaskOnly = true
	case FHBlur:
		s, ok := b.Text("radius")
		if !ok {
			bad("radius", "radius is required: an integer from 1 to 50.")
			break
		}
		v, good := parseInt(s, 1, 50)
		if !good {
			bad("radius", "radius=%s is not valid; use an integer from 1 to 50.", quote(s))
		}
		p.Removal.BgBlur = v
	case FHColor:
		if c, ok := color("bgcolor", true); ok {
			p.Background = c
		}
	case FHGradient:
		top, ok1 := color("top_color", true)
		bottom, ok2 := color("bottom_color", true)
		if ok1 && ok2 {
			p.Removal.BgGradient = [2]params.Color{top, bottom}
		}
	case FHShadow:
		s := &p.Removal.Shadow
		s.Enabled = true
		if c, ok := color("shadow_color", false); ok {
			switch {
			case c.A == 0:
				s.Enabled = false // a fully transparent shadow is none
			case c.A != 128:
				s.Opacity = float64(c.A) / 255
			}
			if c.R != 0 || c.G != 0 || c.B != 0 {
				s.Color = params.Color{R: c.R, G: c.G, B: c.B, A: 255, Set: true}
			}
		}
		if v, ok := b.Text("offset"); ok {
			xy, good := parseTuple(v, 2, 2, -1000, 1000)
			if !good {
				bad("offset", "offset=%s is not valid; use (x, y) with integers from -1000 to 1000.", quote(v))
			} else if xy[0] != 0 || xy[1] != 10 {
				s.OffsetX, s.OffsetY, s.OffsetSet = xy[0], xy[1], true
			}
		}
		if v, ok := b.Text("blur_radius"); ok {
			f, good := parseNumber(v)
			if !good || f < 0 || f > 100 {
				bad("blur_radius", "blur_radius=%s is not valid; use a number from 0 to 100.", quote(v))
			} else if f != 10 {
				s.Blur = max(f, 0.3) // 0 is a sharp shadow: the smallest blur
			}
		}
		if !s.Enabled {
			*s = params.Shadow{}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
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
		if f, ok := parseNumber(parts[3]); ok && f >= 0 && f <= 1 {
			alpha = int(f*255 + 0.5)
			t = strings.Join(parts[:3], ",")
		}
	}
	if v, ok := parseTuple(t, 3, 4, 0, 255); ok && (alpha < 0 || len(v) == 3) {
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
