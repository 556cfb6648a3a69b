package fapihub

import (
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/dialecttest"
	"github.com/jebosio/matte/params"
)

func fh(t *testing.T, endpoint string, fields map[string]string) (*Request, params.Errors) {
	t.Helper()
	ct, body := dialecttest.MultipartBody(t, fields, map[string][]byte{"image": dialecttest.FakeImage})
	return Parse(endpoint, dialecttest.MustRead(t, ct, body), 1<<20)
}

func TestFAPIHubFields(t *testing.T) {
	on := func(mod func(p *params.Params)) params.Params {
		p := params.Params{Format: params.FormatPNG, Removal: params.Removal{Enabled: true}}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	cases := []struct {
		name, endpoint string
		fields         map[string]string
		params         params.Params
	}{
		{"remove", Remove, nil, on(nil)},
		{"remove with a model", Remove, map[string]string{"model": "aurora"}, on(nil)},
		{"mask", Mask, map[string]string{"model": "ghost"}, on(func(p *params.Params) { p.Removal.MaskOnly = true })},
		{"blur", Blur, map[string]string{"radius": "10"}, on(func(p *params.Params) { p.Removal.BgBlur = 10 })},
		{"blur 50", Blur, map[string]string{"radius": "50"}, on(func(p *params.Params) { p.Removal.BgBlur = 50 })},
		{"color", Color, map[string]string{"bgcolor": "(255, 0, 0, 255)"}, on(func(p *params.Params) { p.Background = params.Color{R: 255, A: 255, Set: true} })},
		{"color translucent", Color, map[string]string{"bgcolor": "(0, 0, 255, 128)"}, on(func(p *params.Params) { p.Background = params.Color{B: 255, A: 128, Set: true} })},
		{"color rgb", Color, map[string]string{"bgcolor": "(0, 255, 0)"}, on(func(p *params.Params) { p.Background = params.Color{G: 255, A: 255, Set: true} })},
		{"gradient", Gradient, map[string]string{"top_color": "(255, 255, 255)", "bottom_color": "(0, 0, 0, 255)"}, on(func(p *params.Params) {
			p.Removal.BgGradient = [2]params.Color{{R: 255, G: 255, B: 255, A: 255, Set: true}, {A: 255, Set: true}}
		})},
		{"shadow all fields", Shadow, map[string]string{"shadow_color": "(255, 0, 0, 51)", "offset": "(5, -5)", "blur_radius": "4"}, on(func(p *params.Params) {
			p.Removal.Shadow = params.Shadow{Enabled: true, Color: params.Color{R: 255, A: 255, Set: true}, Opacity: 0.2, OffsetX: 5, OffsetY: -5, OffsetSet: true, Blur: 4}
		})},
		{"shadow default values", Shadow, map[string]string{"shadow_color": "(0, 0, 0, 128)", "offset": "(0, 10)", "blur_radius": "10"}, on(func(p *params.Params) { p.Removal.Shadow.Enabled = true })},
		{"shadow sharp", Shadow, map[string]string{"shadow_color": "(0, 0, 0, 128)", "offset": "(0, 10)", "blur_radius": "0"}, on(func(p *params.Params) { p.Removal.Shadow = params.Shadow{Enabled: true, Blur: 0.3} })},
		{"shadow invisible", Shadow, map[string]string{"shadow_color": "(0, 0, 0, 0)", "offset": "(0, 10)", "blur_radius": "10"}, on(nil)},
		{"fields of other endpoints are ignored", Remove, map[string]string{"radius": "x", "bgcolor": "y"}, on(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, errs := fh(t, tc.endpoint, tc.fields)
			if errs != nil {
				t.Fatal(errs)
			}
			if r.Params != tc.params {
				t.Errorf("params\n got %+v\nwant %+v", r.Params, tc.params)
			}
		})
	}
}

func TestFAPIHubErrors(t *testing.T) {
	cases := []struct {
		name, endpoint string
		fields         map[string]string
		field          string
	}{
		{"model", Remove, map[string]string{"model": "hal"}, "model"},
		{"radius missing", Blur, nil, "radius"},
		{"radius over 50", Blur, map[string]string{"radius": "51"}, "radius"},
		{"radius zero", Blur, map[string]string{"radius": "0"}, "radius"},
		{"bgcolor missing", Color, nil, "bgcolor"},
		{"bgcolor bad", Color, map[string]string{"bgcolor": "(300, 0, 0)"}, "bgcolor"},
		{"top_color missing", Gradient, map[string]string{"bottom_color": "(0,0,0)"}, "top_color"},
		{"bottom_color bad", Gradient, map[string]string{"top_color": "(0,0,0)", "bottom_color": "(0,0)"}, "bottom_color"},
		{"shadow_color bad", Shadow, shadowWith("shadow_color", "(a, b, c)"), "shadow_color"},
		{"offset bad", Shadow, shadowWith("offset", "(1, 2, 3)"), "offset"},
		{"offset too far", Shadow, shadowWith("offset", "(1001, 0)"), "offset"},
		{"blur_radius bad", Shadow, shadowWith("blur_radius", "101"), "blur_radius"},
		// fapihub-removebg-api.txt lines 278-300: all three are required.
		{"shadow_color missing", Shadow, shadowWith("shadow_color", ""), "shadow_color"},
		{"offset missing", Shadow, shadowWith("offset", ""), "offset"},
		{"blur_radius missing", Shadow, shadowWith("blur_radius", ""), "blur_radius"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := fh(t, tc.endpoint, tc.fields)
			if len(errs) != 1 || errs[0].Status != 400 || errs[0].Code != CodeInvalidParameter || errs[0].Field != tc.field {
				t.Fatalf("got %v, want invalid_parameter on %s", errs, tc.field)
			}
		})
	}
	// invalid_image: missing, empty, not base64; file_too_large.
	_, errs := Parse(Remove, dialecttest.FormOf("model", "falcon"), 0)
	if len(errs) != 1 || errs[0].Code != CodeInvalidImage || errs[0].Field != "image" {
		t.Fatalf("missing image: %v", errs)
	}
	ct, body := dialecttest.MultipartBody(t, nil, map[string][]byte{"image": nil})
	_, errs = Parse(Remove, dialecttest.MustRead(t, ct, body), 0)
	if len(errs) != 1 || errs[0].Code != CodeInvalidImage {
		t.Fatalf("empty image: %v", errs)
	}
	_, errs = Parse(Remove, dialecttest.FormOf("image", "%%%"), 0)
	if len(errs) != 1 || errs[0].Code != CodeInvalidImage {
		t.Fatalf("text image: %v", errs)
	}
	// Over the limit: fapihub documents no 413, so it is a 400 invalid_image.
	ct, body = dialecttest.MultipartBody(t, nil, map[string][]byte{"image": make([]byte, 100)})
	_, errs = Parse(Remove, dialecttest.MustRead(t, ct, body), 50)
	if len(errs) != 1 || errs[0].Code != CodeInvalidImage || errs[0].Status != 400 {
		t.Fatalf("too large: %v", errs)
	}
}

func TestParseTupleColor(t *testing.T) {
	cases := map[string][4]uint8{
		"(255, 0, 0, 128)":   {255, 0, 0, 128},
		"(0, 255, 0)":        {0, 255, 0, 255},
		"[1,2,3,4]":          {1, 2, 3, 4},
		"10, 20, 30":         {10, 20, 30, 255},
		"(255, 255, 255, 0)": {0, 0, 0, 0},
		"(0, 0, 255, 0.5)":   {0, 0, 255, 128},
		"ff0000":             {255, 0, 0, 255},
		"#00ff0080":          {0, 255, 0, 128},
		"white":              {255, 255, 255, 255},
	}
	for in, want := range cases {
		c, ok := ParseTupleColor(in)
		if !ok || [4]uint8{c.R, c.G, c.B, c.A} != want || !c.Set {
			t.Errorf("ParseTupleColor(%q) = %+v, %v; want %v", in, c, ok, want)
		}
	}
	for _, in := range []string{"(256, 0, 0)", "(1, 2)", "(1,2,3,4,5)", "(-1, 0, 0)", "(a, b, c)", "(0, 0, 0, 1.5)", "nope"} {
		if _, ok := ParseTupleColor(in); ok {
			t.Errorf("ParseTupleColor(%q) accepted", in)
		}
	}
}

// shadowWith is the shadow endpoint's three required fields, valid, with
// field set to value ("" leaves it out).
func shadowWith(field, value string) map[string]string {
	m := map[string]string{"shadow_color": "(0, 0, 0, 128)", "offset": "(0, 10)", "blur_radius": "10"}
	if value == "" {
		delete(m, field)
	} else {
		m[field] = value
	}
	return m
}

// A body refused for one field (dialect.BodyError.Field: a value over the
// field limit, a JSON array) names it: invalid_parameter for a parameter,
// invalid_image for the image ("The uploaded file is corrupted or not a
// supported image format"), and invalid_image without a field for a body
// refused as a whole.
func TestFAPIHubBodyFieldError(t *testing.T) {
	for _, tc := range []struct{ field, code string }{
		{"bgcolor", "invalid_parameter"},
		{"image", "invalid_image"},
		{"", "invalid_image"},
	} {
		errs := Fail(dialect.Failure{Kind: dialect.FailBody, Field: tc.field, Detail: "refused"})
		if len(errs) != 1 || errs[0].Status != 400 || errs[0].Code != tc.code || errs[0].Field != tc.field || errs[0].Detail != "refused" {
			t.Errorf("field %q: got %v, want 400 %s on %q", tc.field, errs, tc.code, tc.field)
		}
	}
}
