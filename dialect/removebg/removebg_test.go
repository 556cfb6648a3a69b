package removebg

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/dialecttest"
	"github.com/jebosio/matte/params"
)

var fakeImage = dialecttest.FakeImage

// rb parses remove.bg fields with an image_file_b64 source unless the
// fields give a source themselves.
func rb(t *testing.T, kv ...string) (*Request, params.Errors) {
	t.Helper()
	hasSource := false
	for i := 0; i < len(kv); i += 2 {
		switch kv[i] {
		case "image_file_b64", "image_url", "image_file", "-":
			hasSource = true
		}
	}
	if !hasSource {
		kv = append(kv, "image_file_b64", base64.StdEncoding.EncodeToString(fakeImage))
	}
	return Parse(dialecttest.FormOf(kv...), 1<<20)
}

func TestRemoveBGDefaults(t *testing.T) {
	r, errs := rb(t)
	if errs != nil {
		t.Fatal(errs)
	}
	want := params.Params{Removal: params.Removal{Enabled: true}}
	// size: "preview / small / regular (default) = Resize image to 0.25
	// megapixels ... – 0.25 credits per image" (remove.bg's reference).
	if r.Params != want || r.Size != "preview" || r.Megapixels != 0.25 || r.Credits != 0.25 || !r.FormatAuto || r.XType() != "other" {
		t.Fatalf("defaults: %+v", r)
	}
	if r.OutputFormat() != params.FormatPNG {
		t.Errorf("auto format without background: %v", r.OutputFormat())
	}
	if string(r.Source.Data) != string(fakeImage) || r.Source.Field != "image_file_b64" {
		t.Errorf("source %+v", r.Source)
	}
}

// TestRemoveBGFields checks every field's accepted values.
func TestRemoveBGFields(t *testing.T) {
	on := func(mod func(p *params.Params)) params.Params {
		p := params.Params{Removal: params.Removal{Enabled: true}}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	centre := params.Position{X: 50, Y: 50, Set: true}
	cases := []struct {
		name   string
		kv     []string
		params params.Params
		check  func(t *testing.T, r *Request)
	}{
		{"size preview", []string{"size", "preview"}, on(nil), func(t *testing.T, r *Request) {
			if r.Size != "preview" || r.Megapixels != 0.25 || r.Credits != 0.25 {
				t.Errorf("%+v", r)
			}
		}},
		{"size small", []string{"size", "small"}, on(nil), func(t *testing.T, r *Request) {
			if r.Megapixels != 0.25 || r.Credits != 0.25 {
				t.Errorf("%+v", r)
			}
		}},
		{"size regular", []string{"size", "regular"}, on(nil), func(t *testing.T, r *Request) {
			if r.Megapixels != 0.25 || r.Credits != 0.25 {
				t.Errorf("%+v", r)
			}
		}},
		{"size medium", []string{"size", "medium"}, on(nil), func(t *testing.T, r *Request) {
			if r.Megapixels != 1.5 || r.Credits != 1 {
				t.Errorf("%+v", r)
			}
		}},
		{"size hd", []string{"size", "hd"}, on(nil), func(t *testing.T, r *Request) {
			if r.Megapixels != 4 || r.Credits != 1 {
				t.Errorf("%+v", r)
			}
		}},
		{"size full", []string{"size", "full"}, on(nil), func(t *testing.T, r *Request) {
			if r.Megapixels != 25 {
				t.Errorf("%+v", r)
			}
		}},
		{"size 4k", []string{"size", "4k"}, on(nil), func(t *testing.T, r *Request) {
			if r.Megapixels != 25 {
				t.Errorf("%+v", r)
			}
		}},
		{"size 50MP", []string{"size", "50MP"}, on(nil), func(t *testing.T, r *Request) {
			if r.Megapixels != 50 || r.Size != "50mp" {
				t.Errorf("%+v", r)
			}
		}},
		{"size auto", []string{"size", "auto"}, on(nil), func(t *testing.T, r *Request) {
			// Reference, change log 2024-03-17: auto keeps its 25 MP.
			if r.Megapixels != 25 || r.Credits != 1 {
				t.Errorf("%+v", r)
			}
		}},
		{"type person", []string{"type", "person"}, on(nil), func(t *testing.T, r *Request) {
			if r.XType() != "person" {
				t.Errorf("X-Type %q", r.XType())
			}
		}},
		{"type car_interior", []string{"type", "car_interior"}, on(nil), func(t *testing.T, r *Request) {
			if r.XType() != "car_interior" {
				t.Errorf("X-Type %q", r.XType())
			}
		}},
		{"type auto", []string{"type", "auto"}, on(nil), func(t *testing.T, r *Request) {
			if r.XType() != "other" {
				t.Errorf("X-Type %q", r.XType())
			}
		}},
		{"type_level", []string{"type_level", "latest"}, on(nil), func(t *testing.T, r *Request) {
			if r.TypeLevel != "latest" {
				t.Errorf("%q", r.TypeLevel)
			}
		}},
		{"format png", []string{"format", "png"}, on(func(p *params.Params) { p.Format = params.FormatPNG }), nil},
		{"format jpg", []string{"format", "jpg"}, on(func(p *params.Params) { p.Format = params.FormatJPEG }), nil},
		{"format JPEG", []string{"format", "JPEG"}, on(func(p *params.Params) { p.Format = params.FormatJPEG }), nil},
		{"format webp", []string{"format", "webp"}, on(func(p *params.Params) { p.Format = params.FormatWebP }), nil},
		{"format zip drops backgrounds", []string{"format", "zip", "bg_color", "fff", "add_shadow", "true", "channels", "alpha"},
			on(func(p *params.Params) { p.Format = params.FormatZIP }), nil},
		{"format auto with opaque bg_color", []string{"format", "auto", "bg_color", "81d4fa"},
			on(func(p *params.Params) {
				p.Background = params.Color{R: 0x81, G: 0xd4, B: 0xfa, A: 255, Set: true}
			}), func(t *testing.T, r *Request) {
				if r.OutputFormat() != params.FormatJPEG {
					t.Errorf("auto with an opaque background: %v", r.OutputFormat())
				}
			}},
		{"format auto with translucent bg_color", []string{"bg_color", "81d4fa77"},
			on(func(p *params.Params) {
				p.Background = params.Color{R: 0x81, G: 0xd4, B: 0xfa, A: 0x77, Set: true}
			}), func(t *testing.T, r *Request) {
				if r.OutputFormat() != params.FormatPNG {
					t.Errorf("auto with a translucent background: %v", r.OutputFormat())
				}
			}},
		{"bg_color name", []string{"bg_color", "green"}, on(func(p *params.Params) { p.Background = params.Color{G: 128, A: 255, Set: true} }), nil},
		{"bg_color with #", []string{"bg_color", "#fff"}, on(func(p *params.Params) { p.Background = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true} }), nil},
		{"roi percent", []string{"roi", "0% 0% 100% 100%"}, on(nil), func(t *testing.T, r *Request) {
			if r.ROI == nil {
				t.Fatal("no roi")
			}
			if e, ok := r.Extras(400, 300, nil); !ok || e.ROI != (params.Rect{}) {
				t.Errorf("the whole image is no ROI: %+v %v", e, ok)
			}
		}},
		{"roi pixels", []string{"roi", "10px 20px 110px 220px"}, on(nil), func(t *testing.T, r *Request) {
			e, ok := r.Extras(400, 300, nil)
			if !ok || e.ROI != (params.Rect{X: 10, Y: 20, W: 100, H: 200}) {
				t.Errorf("%+v %v", e, ok)
			}
			if _, ok := r.Extras(5, 5, nil); ok {
				t.Error("an ROI outside a 5x5 image is not empty")
			}
		}},
		{"roi mixed units, commas", []string{"roi", "10%,0,50%,100px"}, on(nil), func(t *testing.T, r *Request) {
			e, ok := r.Extras(400, 300, nil)
			if !ok || e.ROI != (params.Rect{X: 40, Y: 0, W: 160, H: 100}) {
				t.Errorf("%+v %v", e, ok)
			}
		}},
		{"crop", []string{"crop", "true"}, on(func(p *params.Params) { p.Removal.CropToForeground = true }), nil},
		{"crop 1", []string{"crop", "1"}, on(func(p *params.Params) { p.Removal.CropToForeground = true }), nil},
		{"crop false", []string{"crop", "false"}, on(nil), nil},
		{"crop_margin one value", []string{"crop", "true", "crop_margin", "30px"}, on(func(p *params.Params) { p.Removal.CropToForeground = true }), func(t *testing.T, r *Request) {
			e, _ := r.Extras(100, 100, nil)
			l := params.Length{Value: 30}
			if !e.MarginsSet || e.Margins != [4]params.Length{l, l, l, l} {
				t.Errorf("%+v", e)
			}
		}},
		{"crop_margin two values", []string{"crop", "true", "crop_margin", "10% 20px"}, on(func(p *params.Params) { p.Removal.CropToForeground = true }), func(t *testing.T, r *Request) {
			a, b := params.Length{Value: 10, Percent: true}, params.Length{Value: 20}
			if r.Margins != [4]params.Length{a, b, a, b} {
				t.Errorf("%+v", r.Margins)
			}
		}},
		{"crop_margin four values", []string{"crop", "true", "crop_margin", "1px,2px,3px,4px"}, on(func(p *params.Params) { p.Removal.CropToForeground = true }), func(t *testing.T, r *Request) {
			if r.Margins[0].Value != 1 || r.Margins[3].Value != 4 {
				t.Errorf("%+v", r.Margins)
			}
		}},
		{"crop_margin without crop does nothing", []string{"crop_margin", "30px"}, on(nil), func(t *testing.T, r *Request) {
			if e, _ := r.Extras(100, 100, nil); e.MarginsSet {
				t.Errorf("%+v", e)
			}
		}},
		{"scale", []string{"scale", "50%"}, on(func(p *params.Params) { p.Removal.Scale = 0.5; p.Removal.Position = centre }), nil},
		{"scale with position original", []string{"scale", "80%", "position", "original"}, on(func(p *params.Params) { p.Removal.Scale = 0.8 }), nil},
		{"scale original", []string{"scale", "original"}, on(nil), nil},
		{"position center", []string{"position", "center"}, on(func(p *params.Params) { p.Removal.Position = centre }), nil},
		{"position one value", []string{"position", "30%"}, on(func(p *params.Params) { p.Removal.Position = params.Position{X: 30, Y: 30, Set: true} }), nil},
		{"position two values", []string{"position", "0% 100%"}, on(func(p *params.Params) { p.Removal.Position = params.Position{X: 0, Y: 100, Set: true} }), nil},
		{"channels alpha", []string{"channels", "alpha", "bg_color", "red"}, on(func(p *params.Params) { p.Removal.MaskOnly = true }), func(t *testing.T, r *Request) {
			if r.OutputFormat() != params.FormatPNG {
				t.Errorf("the matte is PNG with format=auto: %v", r.OutputFormat())
			}
		}},
		{"channels rgba", []string{"channels", "rgba"}, on(nil), nil},
		{"bg_image_url", []string{"bg_image_url", "https://example.com/bg.jpg"}, on(nil), func(t *testing.T, r *Request) {
			if r.BgImage == nil || r.BgImage.URL != "https://example.com/bg.jpg" || r.OutputFormat() != params.FormatJPEG {
				t.Errorf("%+v", r.BgImage)
			}
		}},
		{"add_shadow", []string{"add_shadow", "true"}, on(func(p *params.Params) { p.Removal.Shadow.Enabled = true }), nil},
		{"shadow_type drop", []string{"shadow_type", "drop"}, on(func(p *params.Params) { p.Removal.Shadow.Enabled = true }), nil},
		{"shadow_type 3D", []string{"shadow_type", "3D"}, on(func(p *params.Params) { p.Removal.Shadow.Enabled = true }), nil},
		{"shadow_type car", []string{"shadow_type", "car"}, on(func(p *params.Params) { p.Removal.Shadow = params.Shadow{Enabled: true, Opacity: 0.9} }), nil},
		{"shadow_type none", []string{"shadow_type", "none", "add_shadow", "true"}, on(nil), nil},
		{"shadow_opacity", []string{"add_shadow", "1", "shadow_opacity", "20"}, on(func(p *params.Params) { p.Removal.Shadow = params.Shadow{Enabled: true, Opacity: 0.2} }), nil},
		{"shadow_opacity 0 is no shadow", []string{"add_shadow", "true", "shadow_opacity", "0"}, on(nil), nil},
		{"shadow_opacity alone", []string{"shadow_opacity", "20"}, on(nil), nil},
		{"semitransparency false", []string{"semitransparency", "false"}, on(func(p *params.Params) { p.Removal.Hard, p.Removal.Threshold = true, 0.5 }), nil},
		{"semitransparency true", []string{"semitransparency", "TRUE"}, on(nil), nil},
		{"empty fields are unset", []string{"size", "", "format", "", "roi", "", "bg_color", "", "crop", ""}, on(nil), nil},
		{"unknown fields are ignored", []string{"whatever", "x"}, on(nil), nil},
		{"image_url", []string{"image_url", "https://example.com/a.jpg"}, on(nil), func(t *testing.T, r *Request) {
			if r.Source.URL != "https://example.com/a.jpg" || r.Source.Field != "image_url" {
				t.Errorf("%+v", r.Source)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, errs := rb(t, tc.kv...)
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

// TestRemoveBGErrors checks every validation error code: its status,
// code and field.
func TestRemoveBGErrors(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(fakeImage)
	cases := []struct {
		name  string
		kv    []string
		code  string
		field string
	}{
		{"missing source", []string{"-", "", "size", "hd"}, CodeMissingSource, ""},
		{"multiple sources", []string{"image_url", "https://e.com/a.jpg", "image_file_b64", b64}, CodeMultipleSources, "image_url"},
		{"image_file as text", []string{"image_file", "abc"}, CodeMissingSource, "image_file"},
		{"invalid image url", []string{"image_url", "ftp://e.com/a.jpg"}, CodeInvalidImageURL, "image_url"},
		{"relative image url", []string{"image_url", "/a.jpg"}, CodeInvalidImageURL, "image_url"},
		{"bad base64", []string{"image_file_b64", "!!!"}, CodeInvalidImageFileB64, "image_file_b64"},
		{"file too large", []string{"image_file_b64", base64.StdEncoding.EncodeToString(make([]byte, 2<<20))}, CodeFileTooLarge, "image_file_b64"},
		{"invalid size", []string{"size", "huge"}, CodeInvalidSize, "size"},
		{"invalid type", []string{"type", "robot"}, CodeInvalidType, "type"},
		{"invalid type_level", []string{"type_level", "3"}, CodeInvalidTypeLevel, "type_level"},
		{"invalid format", []string{"format", "gif"}, CodeInvalidFormat, "format"},
		{"invalid roi: three values", []string{"roi", "0 0 10"}, CodeInvalidROI, "roi"},
		{"invalid roi: inverted", []string{"roi", "50% 0% 10% 100%"}, CodeInvalidROI, "roi"},
		{"invalid roi: over 100%", []string{"roi", "0% 0% 150% 100%"}, CodeInvalidROI, "roi"},
		{"invalid roi: negative", []string{"roi", "-5px 0 10px 10px"}, CodeInvalidROI, "roi"},
		{"invalid crop", []string{"crop", "maybe"}, CodeInvalidCrop, "crop"},
		{"invalid crop_margin: three values", []string{"crop_margin", "1px 2px 3px"}, CodeInvalidCropMargin, "crop_margin"},
		{"invalid crop_margin: unit", []string{"crop_margin", "3em"}, CodeInvalidCropMargin, "crop_margin"},
		{"invalid crop_margin: negative", []string{"crop_margin", "-3px"}, CodeInvalidCropMargin, "crop_margin"},
		{"invalid scale", []string{"scale", "5%"}, CodeInvalidScale, "scale"},
		{"invalid scale: over", []string{"scale", "101%"}, CodeInvalidScale, "scale"},
		{"invalid position", []string{"position", "left"}, CodeInvalidPosition, "position"},
		{"invalid position: three values", []string{"position", "1% 2% 3%"}, CodeInvalidPosition, "position"},
		{"invalid position: over", []string{"position", "120%"}, CodeInvalidPosition, "position"},
		{"invalid channels", []string{"channels", "rgb"}, CodeInvalidChannels, "channels"},
		{"invalid bg_color", []string{"bg_color", "notacolour"}, CodeInvalidBgColor, "bg_color"},
		{"invalid bg_image_url", []string{"bg_image_url", "file:///etc/passwd"}, CodeInvalidBgImageURL, "bg_image_url"},
		{"bg_color and bg_image_url", []string{"bg_color", "fff", "bg_image_url", "https://e.com/bg.jpg"}, CodeMultipleBackgrounds, "bg_image_url"},
		{"invalid add_shadow", []string{"add_shadow", "yes"}, CodeInvalidAddShadow, "add_shadow"},
		{"invalid shadow_type", []string{"shadow_type", "long"}, CodeInvalidShadowType, "shadow_type"},
		{"invalid shadow_opacity", []string{"shadow_opacity", "101"}, CodeInvalidShadowOpacity, "shadow_opacity"},
		{"invalid shadow_opacity: fraction", []string{"shadow_opacity", "0.5"}, CodeInvalidShadowOpacity, "shadow_opacity"},
		{"invalid semitransparency", []string{"semitransparency", "half"}, CodeInvalidSemitransp, "semitransparency"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kv := tc.kv
			if kv[0] == "-" {
				kv = kv[2:]
				_, errs := Parse(dialecttest.FormOf(kv...), 1<<20)
				checkErr(t, errs, tc.code, tc.field)
				return
			}
			_, errs := rb(t, kv...)
			checkErr(t, errs, tc.code, tc.field)
		})
	}
	// Every problem is reported, each on its field.
	_, errs := rb(t, "size", "x", "format", "y", "roi", "z")
	if len(errs) != 3 || !errs.Has("size") || !errs.Has("format") || !errs.Has("roi") {
		t.Fatalf("got %v", errs)
	}
	// Files: an empty upload, a bg_image_file.
	ct, body := dialecttest.MultipartBody(t, nil, map[string][]byte{"image_file": nil})
	_, errs = Parse(dialecttest.MustRead(t, ct, body), 0)
	checkErr(t, errs, CodeMissingSource, "image_file")
	ct, body = dialecttest.MultipartBody(t, nil, map[string][]byte{"image_file": fakeImage, "bg_image_file": nil})
	_, errs = Parse(dialecttest.MustRead(t, ct, body), 0)
	checkErr(t, errs, CodeInvalidBgImageFile, "bg_image_file")
	ct, body = dialecttest.MultipartBody(t, map[string]string{"bg_color": "fff"}, map[string][]byte{"image_file": fakeImage, "bg_image_file": fakeImage})
	_, errs = Parse(dialecttest.MustRead(t, ct, body), 0)
	checkErr(t, errs, CodeMultipleBackgrounds, "bg_image_file")
	ct, body = dialecttest.MultipartBody(t, nil, map[string][]byte{"image_file": fakeImage, "bg_image_file": make([]byte, 100)})
	_, errs = Parse(dialecttest.MustRead(t, ct, body), 50)
	checkErr(t, errs, CodeFileTooLarge, "bg_image_file")
	ct, body = dialecttest.MultipartBody(t, nil, map[string][]byte{"image_file": fakeImage, "bg_image_file": fakeImage})
	r, errs := Parse(dialecttest.MustRead(t, ct, body), 0)
	if errs != nil || r.BgImage == nil || r.BgImage.Field != "bg_image_file" || r.Source.Field != "image_file" {
		t.Fatalf("bg_image_file: %+v %v", r, errs)
	}
}

func checkErr(t *testing.T, errs params.Errors, code, field string) {
	t.Helper()
	if len(errs) == 0 {
		t.Fatalf("no error, want %s", code)
	}
	e := errs[0]
	if e.Status != 400 || e.Code != code || e.Field != field || e.Detail == "" || e.Title == "" {
		t.Fatalf("got %+v, want 400 %s on %q", e, code, field)
	}
	if strings.Contains(e.Detail, "%!") {
		t.Fatalf("bad detail %q", e.Detail)
	}
}

func TestRemoveBGJSONBooleans(t *testing.T) {
	b := dialecttest.MustRead(t, "application/json", []byte(`{"image_file_b64":"`+base64.StdEncoding.EncodeToString(fakeImage)+`","crop":true,"semitransparency":false,"add_shadow":1,"shadow_opacity":30,"size":"","format":null}`))
	r, errs := Parse(b, 0)
	if errs != nil {
		t.Fatal(errs)
	}
	rm := r.Params.Removal
	if !rm.CropToForeground || !rm.Hard || !rm.Shadow.Enabled || rm.Shadow.Opacity != 0.3 || !r.FormatAuto || r.Size != "preview" {
		t.Fatalf("%+v", r)
	}
}

func TestSizeBox(t *testing.T) {
	cases := []struct {
		w, h int
		mp   float64
		bw   int
		bh   int
	}{
		{4000, 3000, 0.25, 577, 433},
		{4000, 3000, 25, 4000, 3000},
		{4000, 3000, 0, 4000, 3000},
		{500, 500, 0.25, 500, 500},
		{1000, 1000, 0.25, 500, 500},
		{10000, 1, 0.001, 1000, 1},
	}
	for _, tc := range cases {
		bw, bh := SizeBox(tc.w, tc.h, tc.mp)
		if bw != tc.bw || bh != tc.bh {
			t.Errorf("SizeBox(%d, %d, %v) = %dx%d, want %dx%d", tc.w, tc.h, tc.mp, bw, bh, tc.bw, tc.bh)
		}
		if tc.mp > 0 && float64(bw*bh) > tc.mp*1e6+1 {
			t.Errorf("over the cap: %dx%d", bw, bh)
		}
	}
}

// TestOutputCaps pins the documented output caps: PNG up to 10 MP
// (overview line 54, reference line 381), JPG and ZIP up to the size's cap,
// size=auto at most 25 MP and 50MP at most 50 (reference line 1066).
func TestOutputCaps(t *testing.T) {
	for _, tc := range []struct {
		kv     []string
		w, h   int
		bw, bh int // the planned box (0: no resize)
		format params.Format
	}{
		{nil, 8000, 6250, 565, 441, params.FormatPNG},                                          // no size: a preview, 0.25 MP
		{[]string{"size", "auto"}, 8000, 6250, 3577, 2795, params.FormatPNG},                   // format auto, transparent: a PNG, 10 MP
		{[]string{"format", "png", "size", "50MP"}, 8000, 6250, 3577, 2795, params.FormatPNG},  // 10 MP with PNG
		{[]string{"format", "jpg", "size", "auto"}, 8000, 6250, 5656, 4419, params.FormatJPEG}, // auto: 25 MP
		{[]string{"format", "zip", "size", "full"}, 8000, 6250, 5656, 4419, params.FormatZIP},
		{[]string{"format", "jpg", "size", "50MP"}, 8000, 6250, 0, 0, params.FormatJPEG},         // 50 MP fits
		{[]string{"bg_color", "fff", "size", "auto"}, 8000, 6250, 5656, 4419, params.FormatJPEG}, // format auto, opaque: a JPG
		{[]string{"channels", "alpha", "size", "4k"}, 8000, 6250, 3577, 2795, params.FormatPNG},
		{[]string{"size", "auto"}, 4000, 2500, 0, 0, params.FormatPNG}, // exactly 10 MP
		{[]string{"size", "hd"}, 4000, 2500, 2529, 1581, params.FormatPNG},
	} {
		r, errs := rb(t, tc.kv...)
		if errs != nil {
			t.Fatal(errs)
		}
		plan, errs := r.Plan(tc.w, tc.h, nil)
		if errs != nil {
			t.Fatal(errs)
		}
		if plan.Params.Width != tc.bw || plan.Params.Height != tc.bh || plan.Format != tc.format {
			t.Errorf("%v on %dx%d: %dx%d %v, want %dx%d %v", tc.kv, tc.w, tc.h, plan.Params.Width, plan.Params.Height, plan.Format, tc.bw, tc.bh, tc.format)
		}
	}
}

// TestMarginsCarryTheCap: crop margins are added after the output box is
// planned on the source's shape, so the plan hands the documented cap to
// them: 10 MP for a PNG (overview line 54, "PNG images above 10 megapixels
// are not supported"), the size's own when smaller (preview 0.25), and
// nothing without crop, where no margin applies.
func TestMarginsCarryTheCap(t *testing.T) {
	for _, tc := range []struct {
		kv []string
		mp float64
	}{
		{[]string{"crop", "true", "crop_margin", "500px", "format", "png", "size", "full"}, 10},
		{[]string{"crop", "true", "crop_margin", "500px", "format", "png"}, 0.25}, // no size: a preview
		{[]string{"crop", "true", "crop_margin", "500px", "format", "png", "size", "50MP"}, 10},
		{[]string{"crop", "true", "crop_margin", "500px", "size", "preview"}, 0.25},
		{[]string{"crop", "true", "crop_margin", "10%", "format", "jpg", "size", "50MP"}, 50},
		{[]string{"crop_margin", "500px", "format", "png", "size", "auto"}, 0},
	} {
		r, errs := rb(t, tc.kv...)
		if errs != nil {
			t.Fatal(errs)
		}
		plan, errs := r.Plan(4000, 2500, nil)
		if errs != nil {
			t.Fatal(errs)
		}
		if plan.Extras.MaxMegapixels != tc.mp {
			t.Errorf("%v: the margins' cap is %v MP, want %v", tc.kv, plan.Extras.MaxMegapixels, tc.mp)
		}
	}
}

// TestAutoFallsBackToPreview: size=auto is "the highest available
// resolution (based on image size and available credits)", so its plan
// carries the preview's (0.25 MP, 0.25 credits) for a caller who cannot
// pay a credit; any other size has no fallback.
func TestAutoFallsBackToPreview(t *testing.T) {
	r, errs := rb(t, "size", "auto", "format", "jpg")
	if errs != nil {
		t.Fatal(errs)
	}
	plan, errs := r.Plan(2000, 1500, nil)
	if errs != nil {
		t.Fatal(errs)
	}
	if plan.Credits != 1 || plan.Params.Width != 0 || plan.Cheaper == nil {
		t.Fatalf("auto: %v credits, box %dx%d, cheaper %v", plan.Credits, plan.Params.Width, plan.Params.Height, plan.Cheaper)
	}
	c := plan.Cheaper
	if c.Credits != 0.25 || c.Params.Width != 577 || c.Params.Height != 433 || c.Cheaper != nil || c.Format != params.FormatJPEG {
		t.Errorf("auto's fallback: %v credits, box %dx%d %v, cheaper %v", c.Credits, c.Params.Width, c.Params.Height, c.Format, c.Cheaper)
	}
	for _, size := range []string{"full", "preview", "50MP"} {
		r, _ := rb(t, "size", size)
		if plan, _ := r.Plan(2000, 1500, nil); plan.Cheaper != nil {
			t.Errorf("size=%s has a fallback plan", size)
		}
	}
}

// TestUnselectedFileInputIsUnset: a form's file input with no file chosen
// sends a part with an empty file name and no bytes; with image_url (or
// bg_color) beside it, the URL (or colour) is the one source given.
func TestUnselectedFileInputIsUnset(t *testing.T) {
	const unselected = "--b\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n"
	form := func(parts ...string) *dialect.Body {
		return dialecttest.MustRead(t, "multipart/form-data; boundary=b", []byte(strings.Join(parts, "")+"--b--\r\n"))
	}
	text := func(name, v string) string {
		return "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + v + "\r\n"
	}
	r, errs := Parse(form(fmt.Sprintf(unselected, "image_file"), text("image_url", "https://example.com/a.jpg")), 0)
	if errs != nil || r.Source.URL != "https://example.com/a.jpg" {
		t.Fatalf("unselected image_file beside image_url: %+v, %v", r, errs)
	}
	r, errs = Parse(form(text("image_url", "https://example.com/a.jpg"), fmt.Sprintf(unselected, "bg_image_file"), text("bg_color", "fff")), 0)
	if errs != nil || r.BgImage != nil || !r.Params.Background.Set {
		t.Fatalf("unselected bg_image_file beside bg_color: %+v, %v", r, errs)
	}
	// Alone, it is no source at all.
	_, errs = Parse(form(fmt.Sprintf(unselected, "image_file")), 0)
	checkErr(t, errs, CodeMissingSource, "")
}
