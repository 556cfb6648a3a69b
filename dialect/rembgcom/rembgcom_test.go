package rembgcom

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/dialecttest"
	"github.com/jebosio/matte/params"
)

// rc parses rembg.com fields with a multipart image file, image.png.
func rc(t *testing.T, fields map[string]string) (*Request, params.Errors) {
	t.Helper()
	return Parse(withFile(t, fields, "image.png", dialecttest.FakeImage), 1<<20)
}

// withFile is a multipart body of fields and an image file part named name.
func withFile(t *testing.T, fields map[string]string, name string, data []byte) *dialect.Body {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("image", name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	for k, v := range fields {
		mw.WriteField(k, v) // writes to a bytes.Buffer cannot fail
	}
	mw.Close()
	return dialecttest.MustRead(t, mw.FormDataContentType(), buf.Bytes())
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
		// Line 342 lists JPEG among the output formats.
		{"format jpeg", map[string]string{"format": "jpeg"}, on(func(p *params.Params) { p.Format = params.FormatJPEG }), nil},
		// Line 342 lists BMP too: rendered as PNG, re-encoded on the way out.
		{"format bmp", map[string]string{"format": "BMP"}, on(func(p *params.Params) { p.Format = params.FormatPNG }), func(t *testing.T, r *Request) {
			if !r.BMP {
				t.Error("format=bmp does not answer BMP")
			}
		}},
		{"angle -360", map[string]string{"angle": "-360"}, on(nil), nil},
		{"w", map[string]string{"w": "800"}, on(func(p *params.Params) { p.Width = 800 }), nil},
		{"h", map[string]string{"h": "600"}, on(func(p *params.Params) { p.Height = 600 }), nil},
		{"w and h keep the ratio", map[string]string{"w": "800", "h": "600"}, on(func(p *params.Params) { p.Width, p.Height = 800, 600 }), nil},
		{"exact_resize", map[string]string{"w": "800", "h": "600", "exact_resize": "true"}, on(func(p *params.Params) {
			p.Width, p.Height, p.Fit = 800, 600, params.FitScale
		}), nil},
		{"exact_resize with one side", map[string]string{"w": "800", "exact_resize": "1"}, on(func(p *params.Params) { p.Width = 800 }), nil},
		{"w of 10000", map[string]string{"w": "10000"}, on(func(p *params.Params) { p.Width = 10000 }), nil},
		{"mask", map[string]string{"mask": "true"}, on(func(p *params.Params) { p.Removal.MaskOnly = true }), nil},
		// Lines 49-52 and rembg.js 1.3.1, which labels the raw body data:image/png: PNG unless format is given.
		{"return_base64 keeps an explicit format", map[string]string{"return_base64": "true", "format": "webp"}, on(nil), nil},
		{"return_base64", map[string]string{"return_base64": "True"}, on(func(p *params.Params) { p.Format = params.FormatPNG }), func(t *testing.T, r *Request) {
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
		// rembg.js 1.3.1 always sends these (seed lines 49-76: returnBase64 false, returnMask false,
		// exact_resize false, expand true; w and h have no default and the client sends 0).
		{"rembg.js defaults", map[string]string{"w": "0", "h": "0", "exact_resize": "false", "mask": "false", "return_base64": "false", "expand": "true"}, on(nil), func(t *testing.T, r *Request) {
			if r.ReturnBase64 || !r.Extras.IsZero() {
				t.Errorf("%+v", r)
			}
		}},
		{"w 0 with h", map[string]string{"w": "0", "h": "600"}, on(func(p *params.Params) { p.Height = 600 }), nil},
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
	// Each message is a row of the seed's error reference
	// (../shared/seeds/rembg-com-api.txt), with its placeholder filled in.
	cases := []struct {
		name   string
		fields map[string]string
		field  string
		msg    string
	}{
		// Lines 325-327.
		{"w not a number", map[string]string{"w": "abc"}, "w", "'w' must be an integer, got: 'abc'"},
		{"w fraction", map[string]string{"w": "10.5"}, "w", "'w' must be an integer, got: '10.5'"},
		{"h not a number", map[string]string{"h": "tall"}, "h", "'h' must be an integer, got: 'tall'"},
		// Lines 328-330.
		{"w negative", map[string]string{"w": "-5"}, "w", "'w' must be at least 1, got: -5"},
		{"h negative", map[string]string{"h": "-3"}, "h", "'h' must be at least 1, got: -3"},
		// Lines 331-333.
		{"w over 10000", map[string]string{"w": "15000"}, "w", "'w' must be at most 10000, got: 15000"},
		{"h over 10000", map[string]string{"h": "20000"}, "h", "'h' must be at most 10000, got: 20000"},
		{"w far over", map[string]string{"w": "99999999999999999999"}, "w", "'w' must be at most 10000, got: 99999999999999999999"},
		// Lines 334-336.
		{"angle", map[string]string{"angle": "ninety"}, "angle", "'angle' must be a number, got: 'ninety'"},
		{"angle NaN", map[string]string{"angle": "nan"}, "angle", "'angle' must be a number, got: 'nan'"},
		// Lines 337-339 (Python's repr of the float).
		{"angle over 360", map[string]string{"angle": "500"}, "angle", "'angle' must be between -360 and 360 degrees, got: 500.0"},
		{"angle under -360", map[string]string{"angle": "-360.5"}, "angle", "'angle' must be between -360 and 360 degrees, got: -360.5"},
		{"angle huge", map[string]string{"angle": "1e20"}, "angle", "'angle' must be between -360 and 360 degrees, got: 1e+20"},
		// Lines 340-342; Matte cannot encode BMP, so bmp gets the same 400.
		{"format gif", map[string]string{"format": "gif"}, "format", "Invalid format 'gif'. Allowed formats: PNG, JPEG, WEBP, BMP"},
		// Lines 343-345.
		{"bg_color", map[string]string{"bg_color": "#12345"}, "bg_color", "Invalid color format '#12345'. Use hex format: #RGB, #RGBA, #RRGGBB, or #RRGGBBAA"},
		// Lines 346-348.
		{"mask with bg_color", map[string]string{"mask": "true", "bg_color": "red"}, "bg_color", "Cannot use 'mask=true' together with 'bg_color'. Choose one or the other."},
		// A client's value is echoed cut after 40 bytes.
		{"long value", map[string]string{"w": strings.Repeat("x", 100)}, "w", "'w' must be an integer, got: '" + strings.Repeat("x", 40) + "...'"},
		// Booleans: the reference has no row; Matte's own wording.
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
	// Lines 286-298: the docs' multi-error example, w=abc and angle=500, gives both, in order.
	_, errs := rc(t, map[string]string{"w": "abc", "angle": "500"})
	if len(errs) != 2 || errs[0].Field != "w" || errs[0].Detail != "'w' must be an integer, got: 'abc'" ||
		errs[1].Field != "angle" || errs[1].Detail != "'angle' must be between -360 and 360 degrees, got: 500.0" {
		t.Fatalf("got %v", errs)
	}
	_, errs = rc(t, map[string]string{"w": "x", "h": "y", "angle": "z"})
	if len(errs) != 3 || !errs.Has("w") || !errs.Has("h") || !errs.Has("angle") {
		t.Fatalf("got %v", errs)
	}
}

func TestRembgComImage(t *testing.T) {
	file := func(name string, data []byte, limit int64) params.Errors {
		_, errs := Parse(withFile(t, nil, name, data), limit)
		return errs
	}
	cases := []struct {
		name string
		errs func() params.Errors
		msg  string
	}{
		// Lines 301-303.
		{"no image", func() params.Errors { _, e := Parse(dialecttest.FormOf("w", "10"), 0); return e },
			"No image file provided. Please include an 'image' field in your form data."},
		// Lines 304-306: an image field that is not a file (nor base64).
		{"not a file", func() params.Errors { _, e := Parse(dialecttest.FormOf("image", "@@@"), 0); return e },
			"No file selected. Please choose an image file to upload."},
		// Lines 304-306: a form sent with no file chosen (an empty part, no file name).
		{"no file chosen", func() params.Errors { return file("", nil, 0) },
			"No file selected. Please choose an image file to upload."},
		// Lines 307-309.
		{"exe", func() params.Errors { return file("setup.EXE", dialecttest.FakeImage, 0) },
			"File type '.exe' is not supported. Allowed formats: webp, bmp, png, jpg, jpeg"},
		// Lines 313-315.
		{"empty", func() params.Errors { return file("a.png", nil, 0) }, "Uploaded file is empty (0 bytes)."},
		// Lines 316-318: 400, sizes in MB with one decimal.
		{"too large", func() params.Errors { return file("a.png", make([]byte, 2_000_000), 1<<20) },
			"File size (1.9 MB) exceeds the maximum allowed size of 1 MB."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.errs()
			if len(errs) != 1 || errs[0].Status != 400 || errs[0].Field != "image" || errs[0].Detail != tc.msg {
				t.Fatalf("got %v, want %s", errs, tc.msg)
			}
		})
	}
	for _, name := range []string{"a.webp", "a.BMP", "a.png", "a.jpg", "a.jpeg", "blob"} {
		if errs := file(name, dialecttest.FakeImage, 0); errs != nil {
			t.Errorf("%s: %v", name, errs)
		}
	}
	r, errs := Parse(dialecttest.FormOf("image", "data:image/jpeg;base64,/9j/4A=="), 0)
	if errs != nil || len(r.Source.Data) != 4 {
		t.Fatalf("base64 image: %+v %v", r, errs)
	}
}

func TestRembgComPlan(t *testing.T) {
	// Lines 319-324.
	r := &Request{}
	_, errs := r.Plan(12000, 15000, nil)
	if len(errs) != 2 || errs[0].Detail != "Image width (12000px) exceeds the maximum allowed width of 10000px." ||
		errs[1].Detail != "Image height (15000px) exceeds the maximum allowed height of 10000px." {
		t.Fatalf("got %v", errs)
	}
	if _, errs := r.Plan(10000, 10000, nil); errs != nil {
		t.Fatal(errs)
	}
}

// A body refused for one field (dialect.BodyError.Field) names it in
// "field", as rembg.com's reference asks ("Use the field property to map
// errors to specific request parameters"); a body refused as a whole has
// none.
func TestRembgComBodyFieldError(t *testing.T) {
	for _, field := range []string{"bg_color", "w", ""} {
		errs := Fail(dialect.Failure{Kind: dialect.FailBody, Field: field, Detail: "refused"})
		if len(errs) != 1 || errs[0].Status != 400 || errs[0].Field != field || errs[0].Detail != "refused" {
			t.Errorf("field %q: got %v, want a 400 on it", field, errs)
		}
	}
}

// TestRembgComBMPPlan: format=bmp plans a PNG that the render job
// re-encodes as BMP (dialect.BMPEncoding, keyed "bmp", answered as
// image/bmp); any other format plans no re-encoding.
func TestRembgComBMPPlan(t *testing.T) {
	plan, errs := (&Request{BMP: true, Params: params.Params{Format: params.FormatPNG}}).Plan(2, 2, nil)
	enc := plan.Encoding
	if errs != nil || plan.Format != params.FormatPNG || enc != dialect.BMPEncoding || enc.Name != "bmp" || enc.ContentType != "image/bmp" {
		t.Fatalf("bmp: %v %v %+v", errs, plan.Format, enc)
	}
	var buf bytes.Buffer
	if err := pngEncode(&buf); err != nil {
		t.Fatal(err)
	}
	if out, err := enc.Encode(buf.Bytes(), nil); err != nil || !dialect.IsBMP(out) {
		t.Fatalf("encoded: %v %.2q", err, out)
	}
	if plan, _ := (&Request{Params: params.Params{Format: params.FormatWebP}}).Plan(2, 2, nil); plan.Encoding != nil {
		t.Fatalf("webp: re-encoded as %q", plan.Encoding.Name)
	}
}

// pngEncode writes a 2x2 transparent PNG.
func pngEncode(w io.Writer) error {
	return png.Encode(w, image.NewNRGBA(image.Rect(0, 0, 2, 2)))
}
