package rembgcom

import (
	"testing"

	"github.com/jebosio/matte/dialect/internal/dialecttest"
	"github.com/jebosio/matte/params"
)

// rc parses rembg.com fields with a multipart image file.
func rc(t *testing.T, fields map[string]string) (*Request, params.Errors) {
	t.Helper()
	ct, body := dialecttest.MultipartBody(t, fields, map[string][]byte{"image": dialecttest.FakeImage})
	return Parse(dialecttest.MustRead(t, ct, body), 1<<20)
}

func TestRembgComFields(t *testing.T) {
	on := func(mod func(p *params.Params)) params.Params {
		p := params.Params{Format: params.FormatWebP, Removal: params.Removal{Enabled: true}}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	cases := []struct {
		name   string
		fields map[string]string
		params params.Params
		check  func(t *testing.T, r *Request)
	}{
		{"defaults", nil, on(nil), func(t *testing.T, r *Request) {
			if r.ReturnBase64 || !r.Extras.IsZero() || string(r.Source.Data) != string(dialecttest.FakeImage) {
				t.Errorf("%+v", r)
			}
		}},
		{"format png", map[string]string{"format": "PNG"}, on(func(p *params.Params) { p.Format = params.FormatPNG }), nil},
		{"format webp", map[string]string{"format": "webp"}, on(nil), nil},
		{"w", map[string]string{"w": "800"}, on(func(p *params.Params) { p.Width = 800 }), nil},
		{"h", map[string]string{"h": "600"}, on(func(p *params.Params) { p.Height = 600 }), nil},
		{"w and h keep the ratio", map[string]string{"w": "800", "h": "600"}, on(func(p *params.Params) { p.Width, p.Height = 800, 600 }), nil},
		{"exact_resize", map[string]string{"w": "800", "h": "600", "exact_resize": "true"}, on(func(p *params.Params) {
			p.Width, p.Height, p.Fit = 800, 600, params.FitScale
		}), nil},
		{"exact_resize with one side", map[string]string{"w": "800", "exact_resize": "1"}, on(func(p *params.Params) { p.Width = 800 }), nil},
		{"w of 10000", map[string]string{"w": "10000"}, on(func(p *params.Params) { p.Width = 10000 }), nil},
		{"mask", map[string]string{"mask": "true"}, on(func(p *params.Params) { p.Removal.MaskOnly = true }), nil},
		{"return_base64", map[string]string{"return_base64": "True"}, on(nil), func(t *testing.T, r *Request) {
			if !r.ReturnBase64 {
				t.Error("return_base64 off")
			}
		}},
		{"angle turns counter-clockwise", map[string]string{"angle": "90"}, on(func(p *params.Params) { p.Rotate = 270 }), nil},
		{"angle negative", map[string]string{"angle": "-45.5"}, on(func(p *params.Params) { p.Rotate = 45.5 }), nil},
		{"angle 360", map[string]string{"angle": "360"}, on(nil), nil},
		{"expand false", map[string]string{"angle": "30", "expand": "false"}, on(func(p *params.Params) { p.Rotate = 330 }), func(t *testing.T, r *Request) {
			if !r.Extras.KeepCanvas {
				t.Error("expand=false does not keep the canvas")
			}
		}},
		{"expand false without angle", map[string]string{"expand": "0"}, on(nil), func(t *testing.T, r *Request) {
			if !r.Extras.IsZero() {
				t.Error("no rotation, no extras")
			}
		}},
		{"bg_color hex", map[string]string{"bg_color": "#FFFFFFFF"}, on(func(p *params.Params) { p.Background = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true} }), nil},
		{"bg_color name", map[string]string{"bg_color": "blue"}, on(func(p *params.Params) { p.Background = params.Color{B: 255, A: 255, Set: true} }), nil},
		{"empty values", map[string]string{"w": "", "angle": "", "bg_color": "", "mask": ""}, on(nil), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, errs := rc(t, tc.fields)
			if errs != nil {
				t.Fatal(errs)
			}
			if r.Params != tc.params {
				t.Errorf("params\n got %+v\nwant %+v", r.Params, tc.params)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestRembgComErrors(t *testing.T) {
	cases := []struct {
		name   string
		fields map[string]string
		field  string
		msg    string
	}{
		{"w not a number", map[string]string{"w": "wide"}, "w", MsgInvalidWidth},
		{"w zero", map[string]string{"w": "0"}, "w", MsgInvalidWidth},
		{"w fraction", map[string]string{"w": "10.5"}, "w", MsgInvalidWidth},
		{"w over 10000", map[string]string{"w": "10001"}, "w", MsgWidthTooLarge},
		{"h over 10000", map[string]string{"h": "20000"}, "h", MsgHeightTooLarge},
		{"h negative", map[string]string{"h": "-3"}, "h", MsgInvalidHeight},
		{"angle", map[string]string{"angle": "ninety"}, "angle", MsgInvalidAngle},
		{"bg_color", map[string]string{"bg_color": "#12"}, "bg_color", MsgInvalidColor},
		{"mask with bg_color", map[string]string{"mask": "true", "bg_color": "red"}, "bg_color", MsgMaskWithColor},
		{"format", map[string]string{"format": "jpg"}, "format", MsgInvalidFormat},
		{"exact_resize", map[string]string{"exact_resize": "yes"}, "exact_resize", "Invalid exact_resize: must be true or false"},
		{"mask", map[string]string{"mask": "2"}, "mask", "Invalid mask: must be true or false"},
		{"return_base64", map[string]string{"return_base64": "maybe"}, "return_base64", "Invalid return_base64: must be true or false"},
		{"expand", map[string]string{"expand": "x"}, "expand", "Invalid expand: must be true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := rc(t, tc.fields)
			if len(errs) != 1 || errs[0].Status != 400 || errs[0].Field != tc.field || errs[0].Detail != tc.msg {
				t.Fatalf("got %v, want %s: %s", errs, tc.field, tc.msg)
			}
		})
	}
	// Several errors at once.
	_, errs := rc(t, map[string]string{"w": "x", "h": "y", "angle": "z"})
	if len(errs) != 3 || !errs.Has("w") || !errs.Has("h") || !errs.Has("angle") {
		t.Fatalf("got %v", errs)
	}
	// The image: missing, empty, too large, base64 text.
	_, errs = Parse(dialecttest.FormOf("w", "10"), 0)
	if len(errs) != 1 || errs[0].Field != "image" || errs[0].Detail != MsgNoImage {
		t.Fatalf("missing image: %v", errs)
	}
	ct, body := dialecttest.MultipartBody(t, nil, map[string][]byte{"image": nil})
	_, errs = Parse(dialecttest.MustRead(t, ct, body), 0)
	if len(errs) != 1 || errs[0].Detail != MsgEmptyFile {
		t.Fatalf("empty file: %v", errs)
	}
	ct, body = dialecttest.MultipartBody(t, nil, map[string][]byte{"image": make([]byte, 100)})
	_, errs = Parse(dialecttest.MustRead(t, ct, body), 50)
	if len(errs) != 1 || errs[0].Status != 413 || errs[0].Detail != MsgTooLarge {
		t.Fatalf("too large: %v", errs)
	}
	r, errs := Parse(dialecttest.FormOf("image", "data:image/jpeg;base64,/9j/4A=="), 0)
	if errs != nil || len(r.Source.Data) != 4 {
		t.Fatalf("base64 image: %+v %v", r, errs)
	}
	_, errs = Parse(dialecttest.FormOf("image", "@@@"), 0)
	if len(errs) != 1 || errs[0].Detail != MsgUnsupported {
		t.Fatalf("text image: %v", errs)
	}
}
