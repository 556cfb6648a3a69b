package transform

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func mustParseQuery(t *testing.T, raw string) (Params, error) {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", raw, err)
	}
	return ParseQuery(q)
}

func TestParseQueryValid(t *testing.T) {
	white := Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	tests := []struct {
		query string
		want  Params
	}{
		// No parameter of Matte's: zero Params.
		{"", Params{}},
		{"foo=bar&W=10&width=3&s=abc", Params{}},

		{"w=1", Params{Width: 1}},
		{"w=800", Params{Width: 800}},
		{"w=0800", Params{Width: 800}},
		{"w=100000", Params{Width: 100000}},
		{"h=600", Params{Height: 600}},
		{"h=100000", Params{Height: 100000}},

		{"dpr=1", Params{}},
		{"dpr=1.0", Params{}},
		{"dpr=%2B1", Params{}},
		{"dpr=2", Params{DPR: 2}},
		{"dpr=2.", Params{DPR: 2}},
		{"dpr=1.5", Params{DPR: 1.5}},
		{"dpr=5", Params{DPR: 5}},
		{"dpr=5.000", Params{DPR: 5}},

		{"fit=clip", Params{}},
		{"fit=crop", Params{Fit: FitCrop}},
		{"fit=fill", Params{Fit: FitFill}},
		{"fit=max", Params{Fit: FitMax}},
		{"fit=min", Params{Fit: FitMin}},
		{"fit=scale", Params{Fit: FitScale}},

		{"fit=crop&crop=center", Params{Fit: FitCrop}},
		{"fit=crop&crop=top", Params{Fit: FitCrop, Crop: CropTop}},
		{"fit=crop&crop=bottom", Params{Fit: FitCrop, Crop: CropBottom}},
		{"fit=crop&crop=left", Params{Fit: FitCrop, Crop: CropLeft}},
		{"fit=crop&crop=right", Params{Fit: FitCrop, Crop: CropRight}},
		{"fit=crop&crop=entropy", Params{Fit: FitCrop, Crop: CropEntropy}},
		{"fit=crop&crop=attention", Params{Fit: FitCrop, Crop: CropAttention}},
		{"fit=crop&crop=top,left", Params{Fit: FitCrop, Crop: CropTopLeft}},
		{"fit=crop&crop=left,top", Params{Fit: FitCrop, Crop: CropTopLeft}},
		{"fit=crop&crop=top,right", Params{Fit: FitCrop, Crop: CropTopRight}},
		{"fit=crop&crop=right,top", Params{Fit: FitCrop, Crop: CropTopRight}},
		{"fit=crop&crop=bottom,left", Params{Fit: FitCrop, Crop: CropBottomLeft}},
		{"fit=crop&crop=left,bottom", Params{Fit: FitCrop, Crop: CropBottomLeft}},
		{"fit=crop&crop=bottom,right", Params{Fit: FitCrop, Crop: CropBottomRight}},
		{"fit=crop&crop=right,bottom", Params{Fit: FitCrop, Crop: CropBottomRight}},
		{"fit=min&crop=entropy", Params{Fit: FitMin, Crop: CropEntropy}},
		// crop only matters to fit=crop and fit=min.
		{"crop=top", Params{}},
		{"fit=clip&crop=top,left", Params{}},
		{"fit=fill&crop=attention", Params{Fit: FitFill}},
		{"fit=max&crop=bottom", Params{Fit: FitMax}},
		{"fit=scale&crop=right", Params{Fit: FitScale}},

		{"rect=0,0,1,1", Params{Rect: Rect{0, 0, 1, 1}}},
		{"rect=10,20,300,200", Params{Rect: Rect{10, 20, 300, 200}}},
		{"rect=100000,100000,100000,100000", Params{Rect: Rect{100000, 100000, 100000, 100000}}},

		{"rot=0", Params{}},
		{"rot=360", Params{}},
		{"rot=-360", Params{}},
		{"rot=-0", Params{}},
		{"rot=720", Params{}},
		{"rot=90", Params{Rotate: 90}},
		{"rot=%2B90", Params{Rotate: 90}},
		{"rot=-90", Params{Rotate: 270}},
		{"rot=450", Params{Rotate: 90}},
		{"rot=45.5", Params{Rotate: 45.5}},
		{"rot=-45.5", Params{Rotate: 314.5}},
		{"rot=.5", Params{Rotate: 0.5}},
		{"rot=359.5", Params{Rotate: 359.5}},
		{"rot=-0.00000000000000000001", Params{}}, // 360 - tiny rounds to 360

		{"flip=h", Params{Flip: FlipH}},
		{"flip=v", Params{Flip: FlipV}},
		{"flip=hv", Params{Flip: FlipHV}},
		{"flip=vh", Params{Flip: FlipHV}},

		{"fm=jpg", Params{Format: FormatJPEG}},
		{"fm=jpeg", Params{Format: FormatJPEG}},
		{"fm=png", Params{Format: FormatPNG}},
		{"fm=webp", Params{Format: FormatWebP}},
		{"fm=avif", Params{Format: FormatAVIF}},
		{"fm=gif", Params{Format: FormatGIF}},

		{"q=1", Params{Quality: 1}},
		{"q=75", Params{Quality: 75}},
		{"q=100", Params{Quality: 100}},

		{"lossless=1", Params{Lossless: true}},
		{"lossless=true", Params{Lossless: true}},
		{"lossless=0", Params{}},
		{"lossless=false", Params{}},

		{"auto=format", Params{AutoFormat: true}},
		{"auto=format,compress", Params{AutoFormat: true}},
		{"auto=compress,format", Params{AutoFormat: true}},
		{"auto=format,format", Params{AutoFormat: true}},
		{"auto=compress", Params{}},

		{"bg=fff", Params{Background: white}},
		{"bg=%23fff", Params{Background: white}},
		{"bg=FFFFFF", Params{Background: white}},
		{"bg=white", Params{Background: white}},
		{"bg=transparent", Params{Background: Color{Set: true}}},
		{"bg=ff000080", Params{Background: Color{R: 255, A: 0x80, Set: true}}},

		{"blur=0", Params{}},
		{"blur=20", Params{Blur: 20}},
		{"blur=2000", Params{Blur: 2000}},
		{"sharp=0", Params{}},
		{"sharp=100", Params{Sharpen: 100}},
		{"trim=auto", Params{Trim: true}},
		{"trim=color", Params{Trim: true}},
		{"pad=0", Params{}},
		{"pad=10000", Params{Pad: 10000}},

		{
			"w=800&h=600&dpr=2&fit=crop&crop=top,left&rect=1,2,3,4&rot=90&flip=h&fm=webp&auto=format,compress&q=80&lossless=1&bg=%23ffffff&blur=20&sharp=10&trim=auto&pad=4&origin=1",
			Params{
				Width: 800, Height: 600, DPR: 2, Fit: FitCrop, Crop: CropTopLeft, Rect: Rect{1, 2, 3, 4},
				Rotate: 90, Flip: FlipH, Format: FormatWebP, AutoFormat: true, Quality: 80, Lossless: true,
				Background: white, Blur: 20, Sharpen: 10, Trim: true, Pad: 4,
			},
		},
	}
	for _, tt := range tests {
		got, err := mustParseQuery(t, tt.query)
		if err != nil {
			t.Errorf("ParseQuery(%q): unexpected error %v", tt.query, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseQuery(%q)\n got %+v\nwant %+v", tt.query, got, tt.want)
		}
		if got.IsZero() != (tt.want == Params{}) {
			t.Errorf("ParseQuery(%q).IsZero() = %v", tt.query, got.IsZero())
		}
	}
}

func TestParseQueryNoNegativeZero(t *testing.T) {
	for _, raw := range []string{"rot=-0", "rot=-360", "rot=-0.0", "rot=-720"} {
		p, err := mustParseQuery(t, raw)
		if err != nil {
			t.Fatal(err)
		}
		if math.Signbit(p.Rotate) {
			t.Errorf("%s: Rotate is -0", raw)
		}
		if k := p.Key(); k != "" {
			t.Errorf("%s: Key = %q, want empty", raw, k)
		}
	}
}

func TestParseQueryInvalid(t *testing.T) {
	tests := []struct {
		query  string
		fields []string // sorted, as ParseQuery reports them
		detail string   // substring of the first error's detail, if set
	}{
		// Empty values are errors for every parameter.
		{"w=", []string{"w"}, "w is empty"},
		{"w", []string{"w"}, "w is empty"},
		{"h=", []string{"h"}, ""},
		{"dpr=", []string{"dpr"}, ""},
		{"fit=", []string{"fit"}, ""},
		{"crop=", []string{"crop"}, ""},
		{"rect=", []string{"rect"}, ""},
		{"rot=", []string{"rot"}, ""},
		{"flip=", []string{"flip"}, ""},
		{"fm=", []string{"fm"}, ""},
		{"q=", []string{"q"}, ""},
		{"lossless=", []string{"lossless"}, ""},
		{"auto=", []string{"auto"}, ""},
		{"bg=", []string{"bg"}, "colour"},
		{"blur=", []string{"blur"}, ""},
		{"sharp=", []string{"sharp"}, ""},
		{"trim=", []string{"trim"}, ""},
		{"pad=", []string{"pad"}, ""},

		// Repeated parameters, even with equal values.
		{"w=1&w=2", []string{"w"}, "given 2 times"},
		{"w=1&w=1", []string{"w"}, "given 2 times"},
		{"fm=png&fm=png&fm=png", []string{"fm"}, "given 3 times"},
		{"w=&w=", []string{"w"}, "given 2 times"},

		{"w=0", []string{"w"}, "an integer from 1 to 100000"},
		{"w=100001", []string{"w"}, ""},
		{"w=-1", []string{"w"}, ""},
		{"w=%2B1", []string{"w"}, ""},
		{"w=1.5", []string{"w"}, ""},
		{"w=0.5", []string{"w"}, ""},
		{"w=1e3", []string{"w"}, ""},
		{"w=%201", []string{"w"}, ""},
		{"w=1%20", []string{"w"}, ""},
		{"w=abc", []string{"w"}, `w="abc" is not valid`},
		{"w=99999999999999999999999", []string{"w"}, ""},
		{"w=１", []string{"w"}, ""}, // fullwidth digit
		{"h=0", []string{"h"}, ""},
		{"h=100001", []string{"h"}, ""},

		{"dpr=0", []string{"dpr"}, "a number from 1 to 5"},
		{"dpr=0.5", []string{"dpr"}, ""},
		{"dpr=5.01", []string{"dpr"}, ""},
		{"dpr=-2", []string{"dpr"}, ""},
		{"dpr=2x", []string{"dpr"}, ""},
		{"dpr=1e0", []string{"dpr"}, ""},
		{"dpr=NaN", []string{"dpr"}, ""},
		{"dpr=Inf", []string{"dpr"}, ""},
		{"dpr=0x2", []string{"dpr"}, ""},
		{"dpr=.", []string{"dpr"}, ""},
		{"dpr=1..5", []string{"dpr"}, ""},
		{"dpr=1_0", []string{"dpr"}, ""},

		{"fit=facearea", []string{"fit"}, "one of clip, crop, fill, max, min, scale"},
		{"fit=fillmax", []string{"fit"}, ""},
		{"fit=CROP", []string{"fit"}, ""},

		{"crop=faces", []string{"crop"}, "faces is not supported"},
		{"crop=edges", []string{"crop"}, "edges is not supported"},
		{"crop=focalpoint", []string{"crop"}, "focalpoint is not supported"},
		{"crop=faces,center", []string{"crop"}, "faces is not supported"},
		{"crop=top,faces", []string{"crop"}, "one of center, top, bottom"},
		{"crop=top,bottom", []string{"crop"}, ""},
		{"crop=left,right", []string{"crop"}, ""},
		{"crop=top,top", []string{"crop"}, ""},
		{"crop=top,center", []string{"crop"}, ""},
		{"crop=top,left,right", []string{"crop"}, ""},
		{"crop=top,", []string{"crop"}, ""},
		{"crop=top-left", []string{"crop"}, ""},
		{"crop=entropy,top", []string{"crop"}, ""},
		{"crop=Top", []string{"crop"}, ""},

		{"rect=1,2,3", []string{"rect"}, "x,y,w,h"},
		{"rect=1,2,3,4,5", []string{"rect"}, ""},
		{"rect=-1,0,10,10", []string{"rect"}, ""},
		{"rect=0,0,0,10", []string{"rect"}, ""},
		{"rect=0,0,10,0", []string{"rect"}, ""},
		{"rect=0,0,100001,10", []string{"rect"}, ""},
		{"rect=0.5,0,10,10", []string{"rect"}, ""},
		{"rect=0,0,10,10,", []string{"rect"}, ""},
		{"rect=0%3B0%3B10%3B10", []string{"rect"}, ""},

		{"rot=abc", []string{"rot"}, "an angle in degrees"},
		{"rot=1e400", []string{"rot"}, ""},
		{"rot=" + strings.Repeat("9", 400), []string{"rot"}, ""}, // overflows to Inf
		{"rot=NaN", []string{"rot"}, ""},
		{"rot=90deg", []string{"rot"}, ""},
		{"rot=-", []string{"rot"}, ""},

		{"flip=x", []string{"flip"}, "one of h, v, hv"},
		{"flip=H", []string{"flip"}, ""},
		{"flip=hh", []string{"flip"}, ""},
		{"flip=h,v", []string{"flip"}, ""},

		{"fm=pjpg", []string{"fm"}, "one of jpg, jpeg, png, webp, avif, gif"},
		{"fm=json", []string{"fm"}, ""},
		{"fm=source", []string{"fm"}, ""},
		{"fm=JPG", []string{"fm"}, ""},

		{"q=0", []string{"q"}, "an integer from 1 to 100"},
		{"q=101", []string{"q"}, ""},
		{"q=high", []string{"q"}, ""},

		{"lossless=yes", []string{"lossless"}, "one of 1, true, 0, false"},
		{"lossless=2", []string{"lossless"}, ""},
		{"lossless=TRUE", []string{"lossless"}, ""},

		{"auto=enhance", []string{"auto"}, "enhance is not supported"},
		{"auto=format,enhance", []string{"auto"}, "enhance is not supported"},
		{"auto=redeye", []string{"auto"}, ""},
		{"auto=true", []string{"auto"}, ""},
		{"auto=format,", []string{"auto"}, "empty item"},
		{"auto=Format", []string{"auto"}, "format and compress"},

		{"bg=ggg", []string{"bg"}, "colour"},
		{"bg=12345", []string{"bg"}, ""},
		{"bg=%23%23fff", []string{"bg"}, ""},
		{"bg=%23white", []string{"bg"}, ""},
		{"bg=rgb(0,0,0)", []string{"bg"}, ""},

		{"blur=2001", []string{"blur"}, "an integer from 0 to 2000"},
		{"blur=-1", []string{"blur"}, ""},
		{"sharp=101", []string{"sharp"}, "an integer from 0 to 100"},
		{"trim=1", []string{"trim"}, "one of auto, color"},
		{"trim=true", []string{"trim"}, ""},
		{"pad=10001", []string{"pad"}, "an integer from 0 to 10000"},
		{"pad=-5", []string{"pad"}, ""},

		// Several bad parameters are all reported, sorted by field; good and
		// foreign ones are not.
		{"w=0&h=-1&fm=bmp&q=80&foo=bar", []string{"fm", "h", "w"}, ""},
		{
			"w=0&h=0&dpr=9&fit=x&crop=faces&rect=1&rot=x&flip=x&fm=x&q=0&lossless=x&auto=x&bg=x&blur=x&sharp=x&trim=x&pad=x",
			[]string{"auto", "bg", "blur", "crop", "dpr", "fit", "flip", "fm", "h", "lossless", "pad", "q", "rect", "rot", "sharp", "trim", "w"},
			"",
		},
		{"pad=1&pad=2&w=x&bg=", []string{"bg", "pad", "w"}, ""},
	}
	for _, tt := range tests {
		p, err := mustParseQuery(t, tt.query)
		if err == nil {
			t.Errorf("ParseQuery(%q) = %+v, want error", tt.query, p)
			continue
		}
		if p != (Params{}) {
			t.Errorf("ParseQuery(%q): Params %+v alongside an error, want zero", tt.query, p)
		}
		var list Errors
		if !errors.As(err, &list) {
			t.Errorf("ParseQuery(%q): error %T, want Errors", tt.query, err)
			continue
		}
		if list.Status() != http.StatusBadRequest {
			t.Errorf("ParseQuery(%q): status %d", tt.query, list.Status())
		}
		var fields []string
		for _, e := range list {
			fields = append(fields, e.Field)
			if e.Status != http.StatusBadRequest || e.Code != CodeInvalidParameter || e.Title == "" || e.Detail == "" {
				t.Errorf("ParseQuery(%q): bad error %+v", tt.query, e)
			}
			if !strings.Contains(e.Detail, paramSpecs[e.Field].allowed) {
				t.Errorf("ParseQuery(%q): detail %q does not say what %s allows", tt.query, e.Detail, e.Field)
			}
		}
		if !slices.Equal(fields, tt.fields) {
			t.Errorf("ParseQuery(%q): fields %q, want %q", tt.query, fields, tt.fields)
		}
		if tt.detail != "" && !strings.Contains(list[0].Detail, tt.detail) {
			t.Errorf("ParseQuery(%q): detail %q, want it to contain %q", tt.query, list[0].Detail, tt.detail)
		}
	}
}

// Every error detail restates what the parameter allows.
func TestParseQueryDetailsListAllowed(t *testing.T) {
	for _, name := range ParamNames() {
		spec := paramSpecs[name]
		for _, raw := range []string{name + "=%00bad", name + "=", name + "=1&" + name + "=1"} {
			_, err := mustParseQuery(t, raw)
			list := AsErrors(err)
			if len(list) != 1 {
				t.Fatalf("%s: %d errors (%v), want 1", raw, len(list), err)
			}
			if !strings.Contains(list[0].Detail, spec.allowed) {
				t.Errorf("%s: detail %q lacks %q", raw, list[0].Detail, spec.allowed)
			}
		}
	}
}

func TestParseQueryLongValueIsCut(t *testing.T) {
	_, err := mustParseQuery(t, "w="+strings.Repeat("x", 10000))
	d := AsErrors(err)[0].Detail
	if len(d) > 200 {
		t.Errorf("detail is %d bytes long: %q", len(d), d)
	}
}

// Queries that mean the same thing give equal Params (and so equal Keys).
func TestParseQueryCanonical(t *testing.T) {
	groups := [][]string{
		{"", "dpr=1", "fit=clip", "rot=0", "rot=360", "crop=center", "lossless=0", "lossless=false", "blur=0", "sharp=0", "pad=0", "auto=compress", "crop=top", "unknown=1"},
		{"fm=jpeg", "fm=jpg"},
		{"bg=fff", "bg=%23FFFFFF", "bg=white", "bg=WHITE", "bg=ffff", "bg=ffffffff", "bg=%23FfFfFf"},
		{"bg=transparent", "bg=0000", "bg=ff000000", "bg=%23abcdef00", "bg=fff0"},
		{"flip=hv", "flip=vh"},
		{"rot=-90", "rot=270", "rot=630", "rot=270.0", "rot=-450"},
		{"fit=crop&crop=top,left", "crop=left,top&fit=crop"},
		{"w=100&dpr=2", "dpr=2.0&w=0100"},
		{"auto=format", "auto=format,compress", "auto=compress,format,format"},
		{"bg=aqua", "bg=cyan", "bg=0ff"},
		{"bg=grey", "bg=gray", "bg=808080"},
		{"trim=auto", "trim=color"},
		{"lossless=1", "lossless=true"},
	}
	for _, g := range groups {
		first, err := mustParseQuery(t, g[0])
		if err != nil {
			t.Fatalf("%q: %v", g[0], err)
		}
		for _, raw := range g[1:] {
			p, err := mustParseQuery(t, raw)
			if err != nil {
				t.Fatalf("%q: %v", raw, err)
			}
			if p != first {
				t.Errorf("%q gives %+v, %q gives %+v; want equal", g[0], first, raw, p)
			}
			if p.Key() != first.Key() {
				t.Errorf("%q and %q: keys %q and %q differ", g[0], raw, first.Key(), p.Key())
			}
		}
	}
}

func TestParseQueryNilAndEmptySlice(t *testing.T) {
	for _, q := range []url.Values{nil, {}, {"w": nil}, {"w": {}}} {
		p, err := ParseQuery(q)
		if err != nil || !p.IsZero() {
			t.Errorf("ParseQuery(%v) = %+v, %v; want zero, nil", q, p, err)
		}
	}
}

func TestIsParam(t *testing.T) {
	want := []string{"auto", "bg", "blur", "crop", "dpr", "fit", "flip", "fm", "h", "lossless", "pad", "q", "rect", "rot", "sharp", "trim", "w"}
	got := ParamNames()
	if !slices.Equal(got, want) {
		t.Fatalf("ParamNames() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if ParamNames()[0] != "auto" {
		t.Error("ParamNames shares its backing array with callers")
	}
	for _, name := range want {
		if !IsParam(name) {
			t.Errorf("IsParam(%q) = false", name)
		}
	}
	for _, name := range []string{"", "W", "Fm", "width", "height", "format", "s", "txt", "trim-color", "mark", "ixlib", "w ", "foo"} {
		if IsParam(name) {
			t.Errorf("IsParam(%q) = true", name)
		}
	}
}

func TestNormalizeAngle(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 0}, {math.Copysign(0, -1), 0}, {360, 0}, {-360, 0}, {1080, 0},
		{90, 90}, {-90, 270}, {450, 90}, {-450, 270}, {359.75, 359.75}, {-0.25, 359.75},
		{-1e-20, 0}, {1e10, 280}, {-1e10, 80}, {1e300, math.Mod(1e300, 360)},
	}
	for _, tt := range tests {
		got := normalizeAngle(tt.in)
		if got != tt.want || math.Signbit(got) || got < 0 || got >= 360 {
			t.Errorf("normalizeAngle(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"", "w=800&h=600&fit=crop&crop=top,left", "dpr=2.5&rot=-90&flip=vh",
		"fm=webp&q=80&lossless=1&auto=format,compress", "bg=%23ff000080&blur=20&sharp=5&trim=auto&pad=10",
		"rect=1,2,3,4", "w=&w=1", "crop=faces", "bg=transparent", "rot=1e400",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // keeps what it could parse
		p, err := ParseQuery(q)
		if err != nil {
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty Errors", err, err)
			}
			if p != (Params{}) {
				t.Fatalf("non-zero Params %+v with an error", p)
			}
			for i, e := range list {
				if e == nil || e.Status != http.StatusBadRequest || e.Code != CodeInvalidParameter || e.Field == "" || !IsParam(e.Field) || e.Detail == "" {
					t.Fatalf("bad entry %+v", e)
				}
				if i > 0 && list[i-1].Field >= e.Field {
					t.Fatalf("fields not sorted and unique: %v", list)
				}
			}
			return
		}
		checkParamsRange(t, p)
		p2, err2 := ParseQuery(q)
		if err2 != nil || p2 != p || p2.Key() != p.Key() {
			t.Fatalf("second parse differs: %+v %v vs %+v", p2, err2, p)
		}
		if (p.Key() == "") != p.IsZero() {
			t.Fatalf("Key %q but IsZero %v", p.Key(), p.IsZero())
		}
	})
}

// checkParamsRange fails t unless p is canonical and in range.
func checkParamsRange(t *testing.T, p Params) {
	t.Helper()
	ok := p.Width >= 0 && p.Width <= maxDimension && p.Height >= 0 && p.Height <= maxDimension &&
		(p.DPR == 0 || p.DPR > 1 && p.DPR <= 5) &&
		p.Fit <= FitScale && p.Crop <= CropAttention &&
		(p.Crop == CropCenter || p.Fit == FitCrop || p.Fit == FitMin) &&
		(p.Rect == Rect{} || p.Rect.X >= 0 && p.Rect.Y >= 0 && p.Rect.W > 0 && p.Rect.H > 0 &&
			p.Rect.X <= maxDimension && p.Rect.Y <= maxDimension && p.Rect.W <= maxDimension && p.Rect.H <= maxDimension) &&
		p.Rotate >= 0 && p.Rotate < 360 && !math.Signbit(p.Rotate) &&
		p.Flip <= FlipHV && p.Format <= FormatGIF &&
		p.Quality >= 0 && p.Quality <= 100 &&
		(p.Background == Color{} || p.Background.Set && (p.Background.A > 0 || p.Background == Color{Set: true})) &&
		p.Blur >= 0 && p.Blur <= maxBlur && p.Sharpen >= 0 && p.Sharpen <= maxSharpen && p.Pad >= 0 && p.Pad <= maxPad
	if !ok {
		t.Fatalf("Params out of range or not canonical: %+v", p)
	}
}
