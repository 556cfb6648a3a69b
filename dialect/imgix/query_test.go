package imgix

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jebosio/matte/params"
)

func mustParseQuery(t *testing.T, raw string) (params.Params, error) {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", raw, err)
	}
	return ParseQuery(q)
}

func TestParseQueryValid(t *testing.T) {
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	tests := []struct {
		query string
		want  params.Params
	}{
		// No parameter of Matte's: zero Params.
		{"", params.Params{}},
		{"foo=bar&W=10&wide=3&s=abc", params.Params{}},

		{"w=1", params.Params{Width: 1}},
		{"w=800", params.Params{Width: 800}},
		{"w=0800", params.Params{Width: 800}},
		{"w=100000", params.Params{Width: 100000}},
		{"w=0.5", params.Params{WidthRatio: 0.5}},
		{"w=.25&h=0.75&dpr=2", params.Params{WidthRatio: 0.25, HeightRatio: 0.75, DPR: 2}},
		{"w=0.5&ar=2:1&fit=crop", params.Params{WidthRatio: 0.5, Fit: params.FitCrop, AspectRatio: 2}},
		{"w=0.5&h=10&ar=2:1&fit=crop", params.Params{WidthRatio: 0.5, Height: 10, Fit: params.FitCrop}},
		{"h=600", params.Params{Height: 600}},
		{"h=100000", params.Params{Height: 100000}},

		{"dpr=1", params.Params{}},
		{"dpr=1.0", params.Params{}},
		{"dpr=%2B1", params.Params{}},
		{"dpr=2", params.Params{DPR: 2}},
		{"dpr=2.", params.Params{DPR: 2}},
		{"dpr=1.5", params.Params{DPR: 1.5}},
		{"dpr=5", params.Params{DPR: 5}},
		{"dpr=5.000", params.Params{DPR: 5}},

		{"fit=clip", params.Params{}},
		{"fit=crop", params.Params{Fit: params.FitCrop}},
		// Faces (imgix's documented forms; Tailwind UI's avatars write
		// fit=facearea&facepad=2&w=256&h=256).
		{"fit=facearea&facepad=2&w=256&h=256", params.Params{Width: 256, Height: 256, Fit: params.FitCrop, Faces: params.Faces{Area: true, Pad: 2}}},
		{"fit=facearea&faceindex=2&facepad=1.5&w=300&h=300", params.Params{Width: 300, Height: 300, Fit: params.FitCrop, Faces: params.Faces{Area: true, Pad: 1.5, Index: 2}}},
		{"fit=facearea,fill&w=300&h=200", params.Params{Width: 300, Height: 200, Fit: params.FitFill, Faces: params.Faces{Area: true}}},
		{"fit=facearea,cover", params.Params{Fit: params.FitCrop, Faces: params.Faces{Area: true}}},
		{"fit=crop&facepad=2&faceindex=1", params.Params{Fit: params.FitCrop}}, // facearea's only
		{"fm=json&faces=1", params.Params{Format: params.FormatJSON, Faces: params.Faces{List: true}}},
		{"fm=json&faces=0", params.Params{Format: params.FormatJSON}},
		{"fm=png&faces=1", params.Params{Format: params.FormatPNG}}, // fm=json's only
		{"fit=crop&crop=faces&w=300&h=300", params.Params{Width: 300, Height: 300, Fit: params.FitCrop, Faces: params.Faces{Crop: true}}},
		{"fit=crop&crop=faces,top,right", params.Params{Fit: params.FitCrop, Crop: params.CropTopRight, Faces: params.Faces{Crop: true}}},
		{"fit=crop&crop=faces,entropy", params.Params{Fit: params.FitCrop, Crop: params.CropEntropy, Faces: params.Faces{Crop: true}}},
		{"fit=crop&crop=faces,focalpoint&fp-x=0.2", params.Params{Fit: params.FitCrop, Focus: params.Focus{X: 0.2, Y: 0.5, Set: true}, Faces: params.Faces{Crop: true}}},
		{"fit=fill", params.Params{Fit: params.FitFill}},
		{"fit=max", params.Params{Fit: params.FitMax}},
		{"fit=min", params.Params{Fit: params.FitMin}},
		{"fit=scale", params.Params{Fit: params.FitScale}},
		{"fit=fillmax", params.Params{Fit: params.FitFillMax}},
		{"fit=clamp&w=10&h=10", params.Params{Fit: params.FitClamp, Width: 10, Height: 10}},
		{"fit=clamp&fill-color=red", params.Params{Fit: params.FitClamp}},
		{"fit=fillmax&fill=blur&ar=1:1", params.Params{Fit: params.FitFillMax, FillBlur: true, AspectRatio: 1}},

		// ar (imgix): the missing side from w or h; alone, kept for the
		// pipeline; no effect with both sides or another fit.
		{"w=280&ar=2:1&fit=crop", params.Params{Width: 280, Height: 140, Fit: params.FitCrop}},
		{"w=100&ar=16:9&fit=crop", params.Params{Width: 100, Height: 56, Fit: params.FitCrop}},
		{"h=300&ar=0.85:1&fit=fill", params.Params{Width: 255, Height: 300, Fit: params.FitFill}},
		{"w=1&ar=1:100000&fit=crop", params.Params{Width: 1, Height: 100000, Fit: params.FitCrop}},
		{"w=1&ar=100000:1&fit=crop", params.Params{Width: 1, Height: 1, Fit: params.FitCrop}},
		{"ar=9:1&fit=crop", params.Params{Fit: params.FitCrop, AspectRatio: 9}},
		{"ar=3:4&fit=fill", params.Params{Fit: params.FitFill, AspectRatio: 0.75}},
		{"w=100&h=50&ar=1:1&fit=crop", params.Params{Width: 100, Height: 50, Fit: params.FitCrop}},
		{"w=100&ar=1:1", params.Params{Width: 100}},
		{"ar=1:1&fit=max", params.Params{Fit: params.FitMax}},

		// fill, fill-color, fill-blur (imgix): fit=fill's excess space;
		// validated and dropped with another fit.
		{"fit=fill&fill=solid", params.Params{Fit: params.FitFill}},
		{"fit=fill&fill=blur", params.Params{Fit: params.FitFill, FillBlur: true}},
		{"fit=fill&fill=blur&fill-blur=300", params.Params{Fit: params.FitFill, FillBlur: true, FillBlurStrength: 300}},
		{"fit=fill&fill=blur&fill-blur=0", params.Params{Fit: params.FitFill, FillBlur: true}},
		{"fit=fill&fill-color=ff0000", params.Params{Fit: params.FitFill, FillColor: params.Color{R: 255, A: 255, Set: true}}},
		{"fit=fill&fill=solid&fill-color=80ff0000", params.Params{Fit: params.FitFill, FillColor: params.Color{R: 255, A: 128, Set: true}}},
		{"fit=crop&fill=blur&fill-blur=20", params.Params{Fit: params.FitCrop}},
		{"fill-color=red", params.Params{}},

		// sat, bri, con: -100 to 100.
		{"sat=-100&bri=%2B20&con=5", params.Params{Saturation: -100, Brightness: 20, Contrast: 5}},
		{"sat=0&bri=-0&con=%2B0", params.Params{}},
		{"invert=true", params.Params{Invert: true}},
		{"invert=0", params.Params{}},

		// pad-* override pad on their side; equal sides are pad.
		{"pad=10&pad-left=0", params.Params{Padding: params.Sides{Top: 10, Right: 10, Bottom: 10, Left: 0}}},
		{"pad-top=5", params.Params{Padding: params.Sides{Top: 5}}},
		{"pad-top=4&pad-right=4&pad-bottom=4&pad-left=4", params.Params{Pad: 4}},
		{"pad=4&pad-top=4", params.Params{Pad: 4}},

		// max-w, max-h, min-w, min-h bound fit=crop's box.
		{"fit=crop&h=200&max-w=1200", params.Params{Height: 200, Fit: params.FitCrop, CropLimits: params.CropLimits{MaxW: 1200}}},
		{"fit=crop&w=300&max-h=300&min-h=100", params.Params{Width: 300, Fit: params.FitCrop, CropLimits: params.CropLimits{MinH: 100, MaxH: 300}}},
		{"fit=crop&min-w=10&max-w=10", params.Params{Fit: params.FitCrop, CropLimits: params.CropLimits{MinW: 10, MaxW: 10}}},
		{"fit=clip&w=300&max-h=300", params.Params{Width: 300}},

		// crop=focalpoint with fp-x, fp-y (0.5 when left out) and fp-z.
		{"fit=crop&crop=focalpoint", params.Params{Fit: params.FitCrop, Focus: params.Focus{X: 0.5, Y: 0.5, Set: true}}},
		{"fit=crop&crop=focalpoint&fp-x=0.2&fp-y=1", params.Params{Fit: params.FitCrop, Focus: params.Focus{X: 0.2, Y: 1, Set: true}}},
		{"fit=crop&crop=focalpoint&fp-x=0&fp-z=2.5", params.Params{Fit: params.FitCrop, Focus: params.Focus{X: 0, Y: 0.5, Zoom: 2.5, Set: true}}},
		{"fit=crop&crop=focalpoint&fp-z=1", params.Params{Fit: params.FitCrop, Focus: params.Focus{X: 0.5, Y: 0.5, Set: true}}},
		{"fit=min&crop=focalpoint&fp-y=0.1&fp-z=3", params.Params{Fit: params.FitMin, Focus: params.Focus{X: 0.5, Y: 0.1, Set: true}}},
		{"crop=focalpoint&fp-x=0.2", params.Params{}},

		{"fit=crop&crop=center", params.Params{Fit: params.FitCrop}},
		{"fit=crop&crop=top", params.Params{Fit: params.FitCrop, Crop: params.CropTop}},
		{"fit=crop&crop=bottom", params.Params{Fit: params.FitCrop, Crop: params.CropBottom}},
		{"fit=crop&crop=left", params.Params{Fit: params.FitCrop, Crop: params.CropLeft}},
		{"fit=crop&crop=right", params.Params{Fit: params.FitCrop, Crop: params.CropRight}},
		{"fit=crop&crop=entropy", params.Params{Fit: params.FitCrop, Crop: params.CropEntropy}},
		{"fit=crop&crop=attention", params.Params{Fit: params.FitCrop, Crop: params.CropAttention}},
		{"fit=crop&crop=top,left", params.Params{Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{"fit=crop&crop=left,top", params.Params{Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{"fit=crop&crop=top,right", params.Params{Fit: params.FitCrop, Crop: params.CropTopRight}},
		{"fit=crop&crop=right,top", params.Params{Fit: params.FitCrop, Crop: params.CropTopRight}},
		{"fit=crop&crop=bottom,left", params.Params{Fit: params.FitCrop, Crop: params.CropBottomLeft}},
		{"fit=crop&crop=left,bottom", params.Params{Fit: params.FitCrop, Crop: params.CropBottomLeft}},
		{"fit=crop&crop=bottom,right", params.Params{Fit: params.FitCrop, Crop: params.CropBottomRight}},
		{"fit=crop&crop=right,bottom", params.Params{Fit: params.FitCrop, Crop: params.CropBottomRight}},
		{"fit=min&crop=entropy", params.Params{Fit: params.FitMin, Crop: params.CropEntropy}},
		// crop only matters to fit=crop and fit=min.
		{"crop=top", params.Params{}},
		{"fit=clip&crop=top,left", params.Params{}},
		{"fit=fill&crop=attention", params.Params{Fit: params.FitFill}},
		{"fit=max&crop=bottom", params.Params{Fit: params.FitMax}},
		{"fit=scale&crop=right", params.Params{Fit: params.FitScale}},

		{"rect=0,0,1,1", params.Params{Rect: params.Rect{X: 0, Y: 0, W: 1, H: 1}}},
		{"rect=10,20,300,200", params.Params{Rect: params.Rect{X: 10, Y: 20, W: 300, H: 200}}},
		{"rect=100000,100000,100000,100000", params.Params{Rect: params.Rect{X: 100000, Y: 100000, W: 100000, H: 100000}}},
		// imgix-url-params' rect: x an integer, left, center, right or a
		// unit scalar; y an integer, top, middle, bottom or a unit scalar;
		// w and h integers. Placed by the source's size (a Region).
		{"rect=center,middle,300,200", params.Params{Region: params.Region{W: 300, H: 200, AtSet: true,
			At: [2]params.Place{{By: params.PlaceAlign, F: 0.5}, {By: params.PlaceAlign, F: 0.5}}}}},
		{"rect=right,bottom,300,200", params.Params{Region: params.Region{W: 300, H: 200, AtSet: true,
			At: [2]params.Place{{By: params.PlaceAlign, F: 1}, {By: params.PlaceAlign, F: 1}}}}},
		{"rect=0.5,10,300,200", params.Params{Region: params.Region{W: 300, H: 200, AtSet: true,
			At: [2]params.Place{{By: params.PlaceFraction, F: 0.5}, {Px: 10}}}}},
		{"rect=20,.25,300,200", params.Params{Region: params.Region{W: 300, H: 200, AtSet: true,
			At: [2]params.Place{{Px: 20}, {By: params.PlaceFraction, F: 0.25}}}}},
		{"rect=1.0,middle,1,1", params.Params{Region: params.Region{W: 1, H: 1, AtSet: true,
			At: [2]params.Place{{By: params.PlaceFraction, F: 1}, {By: params.PlaceAlign, F: 0.5}}}}},
		// What places the area at 0 is pixels: the Rect itself.
		{"rect=left,top,300,200", params.Params{Rect: params.Rect{W: 300, H: 200}}},
		{"rect=0.0,top,300,200", params.Params{Rect: params.Rect{W: 300, H: 200}}},
		{"rect=1,0,300,200", params.Params{Rect: params.Rect{X: 1, W: 300, H: 200}}},
		// imgix's Source Rectangle Region: w and h are pixels, a fraction
		// of the side (0.5), or full (the whole side).
		{"rect=0,0,0.5,full", params.Params{Region: params.Region{WRatio: 0.5, AtSet: true}}},
		{"rect=10,20,full,0.25", params.Params{Region: params.Region{HRatio: 0.25, AtSet: true,
			At: [2]params.Place{{Px: 10}, {Px: 20}}}}},
		{"rect=center,middle,0.5,100", params.Params{Region: params.Region{WRatio: 0.5, H: 100, AtSet: true,
			At: [2]params.Place{{By: params.PlaceAlign, F: 0.5}, {By: params.PlaceAlign, F: 0.5}}}}},
		{"rect=0,0,1.0,1", params.Params{Region: params.Region{H: 1, AtSet: true}}},

		// imgix's rot is counter-clockwise ("rotation is counter-clockwise
		// with 0 (the default) at the top of the image",
		// docs.imgix.com/apis/rendering/rotation/rot): Rotate, clockwise,
		// is 360 - rot; rot-type's default is straighten (imgix-url-params'
		// parameters.json: "default": "straighten").
		{"rot=0", params.Params{}},
		{"rot=360", params.Params{}},
		{"rot=-360", params.Params{}},
		{"rot=-0", params.Params{}},
		{"rot=720", params.Params{}},
		{"rot=90", params.Params{Rotate: 270, RotateStraighten: true}},
		{"rot=%2B90", params.Params{Rotate: 270, RotateStraighten: true}},
		{"rot=-90", params.Params{Rotate: 90, RotateStraighten: true}},
		{"rot=450", params.Params{Rotate: 270, RotateStraighten: true}},
		{"rot=45.5", params.Params{Rotate: 314.5, RotateStraighten: true}},
		{"rot=-45.5", params.Params{Rotate: 45.5, RotateStraighten: true}},
		{"rot=.5", params.Params{Rotate: 359.5, RotateStraighten: true}},
		{"rot=359.5", params.Params{Rotate: 0.5, RotateStraighten: true}},
		{"rot=0.00000000000000000001", params.Params{}}, // 360 - tiny rounds to 360
		{"rot=-0.00000000000000000001", params.Params{Rotate: 1e-20, RotateStraighten: true}},
		{"rot=20&rot-type=straighten", params.Params{Rotate: 340, RotateStraighten: true}},
		{"rot=20&rot-type=pivot", params.Params{Rotate: 340}},
		{"rot-type=pivot&rot=20", params.Params{Rotate: 340}},
		{"rot=90&rottype=pivot", params.Params{Rotate: 270}},
		{"rot=90&rott=pivot", params.Params{Rotate: 270}},
		{"rot=45.5&rott=straighten", params.Params{Rotate: 314.5, RotateStraighten: true}},
		{"rot-type=pivot", params.Params{}},
		{"rot-type=straighten", params.Params{}},
		{"rot=0&rot-type=straighten", params.Params{}},

		{"flip=h", params.Params{Flip: params.FlipH}},
		{"flip=v", params.Params{Flip: params.FlipV}},
		{"flip=hv", params.Params{Flip: params.FlipHV}},
		{"flip=vh", params.Params{Flip: params.FlipHV}},
		// orient: EXIF's numbering, 0 as 1, and imgix's degree aliases.
		{"orient=6", params.Params{Orientation: 6}},
		{"orient=1", params.Params{Orientation: 1}},
		{"orient=0", params.Params{Orientation: 1}},
		{"orient=90", params.Params{Orientation: 6}},
		{"orient=180", params.Params{Orientation: 3}},
		{"or=270", params.Params{Orientation: 8}},
		{"or=5&flip=h", params.Params{Orientation: 5, Flip: params.FlipH}},

		{"fm=jpg", params.Params{Format: params.FormatJPEG}},
		{"fm=jpeg", params.Params{Format: params.FormatJPEG}},
		{"fm=png", params.Params{Format: params.FormatPNG}},
		{"fm=webp", params.Params{Format: params.FormatWebP}},
		{"fm=avif", params.Params{Format: params.FormatAVIF}},
		{"fm=gif", params.Params{Format: params.FormatGIF}},
		{"fm=pjpg", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{"fm=png8", params.Params{Format: params.FormatPNG, Variant: params.VariantPalette}},
		{"fm=png32", params.Params{Format: params.FormatPNG, Variant: params.VariantRGBA}},
		{"jpg-progressive=true", params.Params{Variant: params.VariantProgressive}},
		{"fm=jpg&jpg-progressive=1", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{"fm=pjpg&jpg-progressive=false", params.Params{Format: params.FormatJPEG}},
		{"fm=png8&jpg-progressive=true", params.Params{Format: params.FormatPNG, Variant: params.VariantPalette}},
		{"jpg-progressive=0", params.Params{}},

		{"q=1", params.Params{Quality: 1}},
		{"q=75", params.Params{Quality: 75}},
		{"q=100", params.Params{Quality: 100}},

		{"lossless=1", params.Params{Lossless: true}},
		{"lossless=true", params.Params{Lossless: true}},
		{"lossless=0", params.Params{}},
		// The animation parameters (params.Animation).
		{"fm=json", params.Params{Format: params.FormatJSON}},
		{"frame=1", params.Params{Animation: params.Animation{First: 1, Last: 1}}},
		{"frame=50", params.Params{Animation: params.Animation{First: 50, Last: 50}}},
		{"frame=20-60", params.Params{Animation: params.Animation{First: 20, Last: 60}}},
		{"frame=40-", params.Params{Animation: params.Animation{First: 40}}},
		{"frame=-40", params.Params{Animation: params.Animation{Last: 40}}},
		{"frame=3-3", params.Params{Animation: params.Animation{First: 3, Last: 3}}},
		{"interval=5&fps=10", params.Params{Animation: params.Animation{Interval: 5, FPS: 10}}},
		{"reverse=true&loop=0", params.Params{Animation: params.Animation{Reverse: true, LoopSet: true}}},
		{"loop=3", params.Params{Animation: params.Animation{Loop: 3, LoopSet: true}}},
		{"lossless=false", params.Params{}},

		{"auto=format", params.Params{AutoFormat: true}},
		{"auto=format,compress", params.Params{AutoFormat: true}},
		{"auto=compress,format", params.Params{AutoFormat: true}},
		{"auto=format,format", params.Params{AutoFormat: true}},
		{"auto=compress", params.Params{}},
		// imgix's auto docs: "it is the only parameter that can be
		// combined by reiteration, e.g.
		// auto=compress&auto=enhance&auto=format".
		{"auto=compress&auto=format", params.Params{AutoFormat: true}},
		{"auto=format&auto=compress", params.Params{AutoFormat: true}},

		{"bg=fff", params.Params{Background: white}},
		{"bg=%23fff", params.Params{Background: white}},
		{"bg=FFFFFF", params.Params{Background: white}},
		{"bg=white", params.Params{Background: white}},
		{"bg=transparent", params.Params{Background: params.Color{Set: true}}},
		{"bg=80ff0000", params.Params{Background: params.Color{R: 255, A: 0x80, Set: true}}},

		{"blur=0", params.Params{}},
		{"blur=20", params.Params{Blur: 20}},
		{"blur=2000", params.Params{Blur: 2000}},
		{"sharp=0", params.Params{}},
		{"sharp=100", params.Params{Sharpen: 100}},
		{"trim=auto", params.Params{Trim: true}},
		{"trim=color", params.Params{Trim: true}},
		{"pad=0", params.Params{}},
		{"pad=10000", params.Params{Pad: 10000}},

		{
			"w=800&h=600&dpr=2&fit=crop&crop=top,left&rect=1,2,3,4&rot=90&flip=h&fm=webp&auto=format,compress&q=80&lossless=1&bg=%23ffffff&blur=20&sharp=10&trim=auto&pad=4&origin=1",
			// pad=4 on each side comes off the 800x600 box: the image and
			// its padding fit within it (TestParseQueryPadWithinBox).
			params.Params{
				Width: 792, Height: 592, DPR: 2, Fit: params.FitCrop, Crop: params.CropTopLeft, Rect: params.Rect{X: 1, Y: 2, W: 3, H: 4},
				Rotate: 270, RotateStraighten: true, Flip: params.FlipH, Format: params.FormatWebP, AutoFormat: true, Quality: 80, Lossless: true,
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
		if got.IsZero() != (tt.want == params.Params{}) {
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
		{"frame=0", []string{"frame"}, "frame must be a frame number from 1"},
		{"frame=3-2", []string{"frame"}, ""},
		{"frame=-", []string{"frame"}, ""},
		{"frame=1-2-3", []string{"frame"}, ""},
		{"frame=a", []string{"frame"}, ""},
		{"interval=0", []string{"interval"}, ""},
		{"fps=0", []string{"fps"}, ""},
		{"fps=101", []string{"fps"}, ""},
		{"loop=-1", []string{"loop"}, "how many times the animation plays"},
		{"reverse=yes", []string{"reverse"}, ""},
		{"skip=2", []string{"skip"}, "Matte does not implement skip"},
		{"crop=", []string{"crop"}, ""},
		{"rect=", []string{"rect"}, ""},
		{"rot=", []string{"rot"}, ""},
		{"flip=", []string{"flip"}, ""},
		{"orient=9", []string{"orient"}, `orient="9" is not valid (9 is not an orientation); orient must be one of 0-8`},
		{"orient=45", []string{"orient"}, "45 is not an orientation"},
		{"or=-1", []string{"or"}, `or="-1" is not valid; or must be one of 0-8`},
		{"orient=r", []string{"orient"}, `orient="r" is not valid; orient must be`},
		{"orient=6&or=6", []string{"or"}, "or and orient are the same parameter"},
		{"fm=", []string{"fm"}, ""},
		{"q=", []string{"q"}, ""},
		{"lossless=", []string{"lossless"}, ""},
		{"auto=", []string{"auto"}, ""},
		{"bg=", []string{"bg"}, "colour"},
		{"blur=", []string{"blur"}, ""},
		{"sharp=", []string{"sharp"}, ""},
		{"trim=", []string{"trim"}, ""},
		{"pad=", []string{"pad"}, ""},
		{"ar=", []string{"ar"}, ""},
		{"fill=", []string{"fill"}, ""},
		{"max-w=0", []string{"max-w"}, ""},
		{"sat=-101", []string{"sat"}, ""},
		{"bri=1.5", []string{"bri"}, ""},
		{"con=--1", []string{"con"}, ""},
		{"sat=-", []string{"sat"}, ""},
		{"pad-left=-1", []string{"pad-left"}, ""},
		{"pad-top=10001", []string{"pad-top"}, ""},
		{"max-h=100001", []string{"max-h"}, ""},
		{"min-w=abc", []string{"min-w"}, ""},
		{"min-h=-1", []string{"min-h"}, ""},
		{"crop=focalpoint&fp-x=1.5", []string{"fp-x"}, ""},
		{"crop=focalpoint&fp-y=-0.1", []string{"fp-y"}, ""},
		{"crop=focalpoint&fp-z=0.5", []string{"fp-z"}, ""},
		{"crop=focalpoint&fp-z=101", []string{"fp-z"}, ""},
		{"crop=focalpoint&fp-x=", []string{"fp-x"}, ""},
		{"fill=bogus&fit=fill", []string{"fill"}, ""},
		{"fill=gen&fit=fill", []string{"fill"}, "generative and gradient fills are not available here"},
		{"fill=gradient", []string{"fill"}, ""},
		{"fill=Blur", []string{"fill"}, ""},
		{"fill-color=notacolor&fit=fill", []string{"fill-color"}, ""},
		{"fill-blur=2001&fill=blur&fit=fill", []string{"fill-blur"}, ""},
		{"fill-blur=-1&fill=blur", []string{"fill-blur"}, ""},
		{"ar=16", []string{"ar"}, "W:H"},
		{"ar=16:", []string{"ar"}, ""},
		{"ar=abc&fit=crop", []string{"ar"}, ""},
		{"ar=0:1&fit=crop", []string{"ar"}, ""},
		{"ar=-1:1", []string{"ar"}, ""},
		{"ar=16:9:1", []string{"ar"}, ""},
		{"ar=100001:1", []string{"ar"}, ""},
		{"ar=16x9", []string{"ar"}, ""},

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
		{"w=1.0", []string{"w"}, "fraction of the image's size"},
		{"w=0.0", []string{"w"}, ""},
		{"w=.", []string{"w"}, ""},
		{"h=-0.5", []string{"h"}, ""},
		{"h=%2B0.5", []string{"h"}, ""},
		{"w=1e3", []string{"w"}, ""},
		{"w=%201", []string{"w"}, ""},
		{"w=1%20", []string{"w"}, ""},
		{"w=abc", []string{"w"}, `w="abc" is not valid`},
		{"w=99999999999999999999999", []string{"w"}, ""},
		{"w=１", []string{"w"}, ""}, // fullwidth digit
		{"h=0", []string{"h"}, ""},
		{"h=100001", []string{"h"}, ""},

		{"dpr=0", []string{"dpr"}, "a number above 0 and up to 5"},
		{"dpr=0.0", []string{"dpr"}, ""},
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

		{"fit=facearea,", []string{"fit"}, "one of clip, crop, fill, max, min, scale"},
		{"fit=facearea,facearea", []string{"fit"}, ""},
		{"fit=fill,facearea", []string{"fit"}, ""},
		{"fit=faceareafill", []string{"fit"}, ""},
		{"facepad=0", []string{"facepad"}, "a number above 0 and up to 100"},
		{"facepad=-1", []string{"facepad"}, ""},
		{"facepad=100.5", []string{"facepad"}, ""},
		{"facepad=x", []string{"facepad"}, ""},
		{"faceindex=0", []string{"faceindex"}, "an integer from 1 to 100"},
		{"faceindex=1.5", []string{"faceindex"}, ""},
		{"fit=CROP", []string{"fit"}, ""},

		{"crop=faces,", []string{"crop"}, ""},
		{"crop=faces,faces", []string{"crop"}, "faces is not supported"},
		{"crop=facesx", []string{"crop"}, ""},
		{"crop=edges,top", []string{"crop"}, "edges goes alone here"},
		{"crop=focalpoint,faces", []string{"crop"}, "focalpoint goes alone here"},
		{"crop=top,focalpoint", []string{"crop"}, "focalpoint goes alone here"},
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
		{"rect=1.5,0,10,10", []string{"rect"}, ""},
		{"rect=-0.5,0,10,10", []string{"rect"}, ""},
		{"rect=0,0,0.0,10", []string{"rect"}, ""},
		{"rect=0,0,1.5,10", []string{"rect"}, ""},
		{"rect=0,0,Full,10", []string{"rect"}, ""},
		{"rect=0,0,-0.5,10", []string{"rect"}, ""},
		{"rect=0,+0.5,10,10", []string{"rect"}, ""},
		{"rect=top,left,10,10", []string{"rect"}, ""},
		{"rect=middle,center,10,10", []string{"rect"}, ""},
		{"rect=Center,0,10,10", []string{"rect"}, ""},
		{"rect=0,0,10,10,", []string{"rect"}, ""},
		{"rect=0%3B0%3B10%3B10", []string{"rect"}, ""},

		{"rot=abc", []string{"rot"}, "an angle in degrees"},
		{"rot=1e400", []string{"rot"}, ""},
		{"rot=" + strings.Repeat("9", 400), []string{"rot"}, ""}, // overflows to Inf
		{"rot=NaN", []string{"rot"}, ""},
		{"rot=90deg", []string{"rot"}, ""},
		{"rot=-", []string{"rot"}, ""},
		{"rot-type=Pivot", []string{"rot-type"}, "rot-type must be pivot or straighten"},
		{"rot=20&rot-type=flip", []string{"rot-type"}, "pivot or straighten"},
		{"rot=20&rott=", []string{"rott"}, ""},

		{"flip=x", []string{"flip"}, "one of h, v, hv"},
		{"flip=H", []string{"flip"}, ""},
		{"flip=hh", []string{"flip"}, ""},
		{"flip=h,v", []string{"flip"}, ""},

		{"fm=jp2", []string{"fm"}, "one of jpg, jpeg, pjpg, png, png8, png32, webp, avif, gif"},
		{"fm=jp2", []string{"fm"}, ""},
		{"fm=source", []string{"fm"}, ""},
		{"fm=JPG", []string{"fm"}, ""},

		{"q=-1", []string{"q"}, "an integer from 0 to 100"},
		{"q=101", []string{"q"}, ""},
		{"q=high", []string{"q"}, ""},

		{"lossless=yes", []string{"lossless"}, "one of 1, true, 0, false"},
		{"jpg-progressive=yes", []string{"jpg-progressive"}, "one of 1, true, 0, false"},
		{"lossless=2", []string{"lossless"}, ""},
		{"lossless=TRUE", []string{"lossless"}, ""},

		{"auto=format,enhanced", []string{"auto"}, "format, compress, enhance, redeye and true"},
		{"auto=none", []string{"auto"}, ""},
		{"auto=format,", []string{"auto"}, "empty item"},
		{"auto=format&auto=x", []string{"auto"}, "format, compress, enhance"},
		{"auto=format&auto=", []string{"auto"}, "empty item"},
		{"auto=Format", []string{"auto"}, "format, compress, enhance, redeye and true"},

		{"bg=ggg", []string{"bg"}, "colour"},
		{"bg=12345", []string{"bg"}, ""},
		{"bg=%23%23fff", []string{"bg"}, ""},
		{"bg=%23white", []string{"bg"}, ""},
		{"bg=rgb(0,0,0)", []string{"bg"}, ""},

		{"blur=2001", []string{"blur"}, "an integer from 0 to 2000"},
		{"blur=-1", []string{"blur"}, ""},
		{"sharp=101", []string{"sharp"}, "a number from 0 to 100"},
		{"trim=1", []string{"trim"}, "one of auto, color"},
		{"trim=true", []string{"trim"}, ""},
		{"pad=10001", []string{"pad"}, "an integer from 0 to 10000"},
		{"pad=-5", []string{"pad"}, ""},

		// Background removal, each parameter bad on its own (so no rule
		// between parameters is reported for it).
		{"rembg=", []string{"rembg"}, "rembg is empty"},
		{"bg-remove=", []string{"bg-remove"}, ""},
		{"model=", []string{"model"}, ""},
		{"mask=", []string{"mask"}, ""},
		{"threshold=", []string{"threshold"}, ""},
		{"semitransparency=", []string{"semitransparency"}, ""},
		{"refine=", []string{"refine"}, ""},
		{"feather=", []string{"feather"}, ""},
		{"erode=", []string{"erode"}, ""},
		{"fg-pad=", []string{"fg-pad"}, ""},
		{"scale=", []string{"scale"}, ""},
		{"position=", []string{"position"}, ""},
		{"bg-blur=", []string{"bg-blur"}, ""},
		{"bg-gradient=", []string{"bg-gradient"}, ""},
		{"bg-image=", []string{"bg-image"}, ""},
		{"shadow=", []string{"shadow"}, ""},
		{"shadow-color=", []string{"shadow-color"}, ""},
		{"shadow-opacity=", []string{"shadow-opacity"}, ""},
		{"shadow-offset=", []string{"shadow-offset"}, ""},
		{"shadow-blur=", []string{"shadow-blur"}, ""},
		{"rembg=1&rembg=1", []string{"rembg"}, "given 2 times"},
		{"rembg=1&model=a&model=a", []string{"model"}, "given 2 times"},

		{"rembg=yes", []string{"rembg"}, "one of 1, true, 0, false"},
		{"rembg=TRUE", []string{"rembg"}, ""},
		{"rembg=2", []string{"rembg"}, ""},
		{"rembg=%201", []string{"rembg"}, ""},
		{"bg-remove=yes", []string{"bg-remove"}, "one of 1, true, 0, false"},
		{"rembg=yes&model=u2net&mask=1", []string{"rembg"}, ""}, // options are judged once rembg is sound

		{"model=U2NET", []string{"model"}, "a model name"},
		{"model=-u2net", []string{"model"}, ""},
		{"model=_u2net", []string{"model"}, ""},
		{"model=.u2net", []string{"model"}, ""},
		{"model=u2%20net", []string{"model"}, ""},
		{"model=a/b", []string{"model"}, ""},
		{"model=..%2Fetc", []string{"model"}, ""},
		{"model=" + strings.Repeat("a", 65), []string{"model"}, ""},
		{"model=caf%C3%A9", []string{"model"}, ""},

		{"mask=yes", []string{"mask"}, "one of 1, true, 0, false"},
		{"refine=2", []string{"refine"}, "one of 1, true, 0, false"},
		{"semitransparency=no", []string{"semitransparency"}, "one of 1, true, 0, false"},

		{"threshold=1.1", []string{"threshold"}, "a number from 0 to 1"},
		{"threshold=-0.1", []string{"threshold"}, ""},
		{"threshold=50%25", []string{"threshold"}, ""},
		{"threshold=half", []string{"threshold"}, ""},
		{"threshold=NaN", []string{"threshold"}, ""},

		{"feather=100.5", []string{"feather"}, "a number of pixels from 0 to 100"},
		{"feather=-1", []string{"feather"}, ""},
		{"feather=1e1", []string{"feather"}, ""},
		{"erode=101", []string{"erode"}, "an integer number of pixels from 0 to 100"},
		{"erode=1.5", []string{"erode"}, ""},
		{"erode=-1", []string{"erode"}, ""},

		{"crop=FG", []string{"crop"}, "or fg (crop to the foreground"},
		{"crop=fg,top", []string{"crop"}, ""},
		{"crop=top,fg", []string{"crop"}, ""},
		{"crop=foreground", []string{"crop"}, ""},

		{"fg-pad=10001", []string{"fg-pad"}, "a whole number of pixels from 0 to 10000"},
		{"fg-pad=100.5%25", []string{"fg-pad"}, ""},
		{"fg-pad=1.5", []string{"fg-pad"}, ""},
		{"fg-pad=-1", []string{"fg-pad"}, ""},
		{"fg-pad=-1%25", []string{"fg-pad"}, ""},
		{"fg-pad=10px", []string{"fg-pad"}, ""},
		{"fg-pad=%25", []string{"fg-pad"}, ""},
		{"fg-pad=10%25%25", []string{"fg-pad"}, ""},

		{"scale=0.09", []string{"scale"}, "original, a fraction from 0.1 to 1, or a percentage from 10% to 100%"},
		{"scale=1.01", []string{"scale"}, ""},
		{"scale=0", []string{"scale"}, ""},
		{"scale=50", []string{"scale"}, ""}, // a percentage needs its %
		{"scale=9.9%25", []string{"scale"}, ""},
		{"scale=100.1%25", []string{"scale"}, ""},
		{"scale=0%25", []string{"scale"}, ""},
		{"scale=Original", []string{"scale"}, ""},
		{"scale=%25", []string{"scale"}, ""},
		{"scale=1e-1", []string{"scale"}, ""},

		{"position=101", []string{"position"}, "center, original, or a percentage"},
		{"position=-1", []string{"position"}, ""},
		{"position=50,50,50", []string{"position"}, ""},
		{"position=50,", []string{"position"}, ""},
		{"position=,50", []string{"position"}, ""},
		{"position=Center", []string{"position"}, ""},
		{"position=top", []string{"position"}, ""},
		{"position=50%25%25", []string{"position"}, ""},
		{"position=50px", []string{"position"}, ""},
		{"position=center,center", []string{"position"}, ""},

		{"bg-blur=0", []string{"bg-blur"}, "an integer from 1 to 100"},
		{"bg-blur=101", []string{"bg-blur"}, ""},
		{"bg-blur=1.5", []string{"bg-blur"}, ""},

		{"bg-gradient=white", []string{"bg-gradient"}, "two colours are needed"},
		{"bg-gradient=white,nope", []string{"bg-gradient"}, `"nope" is not a colour`},
		{"bg-gradient=nope,white", []string{"bg-gradient"}, `"nope" is not a colour`},
		{"bg-gradient=white,black,red", []string{"bg-gradient"}, ""},
		{"bg-gradient=,white", []string{"bg-gradient"}, ""},
		{"bg-gradient=white,", []string{"bg-gradient"}, ""},
		{"bg-gradient=white%3Bblack", []string{"bg-gradient"}, ""},

		{"bg-image=ftp://example.com/a.png", []string{"bg-image"}, "an http:// or https:// URL"},
		{"bg-image=HTTPS://example.com/a.png", []string{"bg-image"}, ""},
		{"bg-image=https://", []string{"bg-image"}, ""},
		{"bg-image=https:///a.png", []string{"bg-image"}, ""},
		{"bg-image=https:example.com", []string{"bg-image"}, ""},
		{"bg-image=https://user:pw@example.com/a.png", []string{"bg-image"}, "user info is not allowed"},
		{"bg-image=https://example.com/a.png%23top", []string{"bg-image"}, ""},
		{"bg-image=https://example.com/a%20b.png", []string{"bg-image"}, ""},
		{"bg-image=https://exa%20mple.com/a.png", []string{"bg-image"}, ""},
		{"bg-image=//example.com/a.png", []string{"bg-image"}, "a path starts with a single /"},
		{"bg-image=images/a.png", []string{"bg-image"}, ""},
		{"bg-image=a.png", []string{"bg-image"}, ""},
		{"bg-image=/a/../etc/passwd", []string{"bg-image"}, ". and .. segments"},
		{"bg-image=/..", []string{"bg-image"}, ""},
		{"bg-image=/a/./b.png", []string{"bg-image"}, ""},
		{"bg-image=/a%00b.png", []string{"bg-image"}, "control character"},
		{"bg-image=/a%0Ab.png", []string{"bg-image"}, ""},
		{"bg-image=/a%7Fb.png", []string{"bg-image"}, ""},
		{"bg-image=/a%FFb.png", []string{"bg-image"}, "not UTF-8"},
		{"bg-image=/" + strings.Repeat("a", 2048), []string{"bg-image"}, "2049 bytes long"},
		{"bg-image=data:image/png%3Bbase64,AAAA", []string{"bg-image"}, ""},

		{"shadow=inner", []string{"shadow"}, "one of drop, none"},
		{"shadow=Drop", []string{"shadow"}, ""},
		{"shadow=1", []string{"shadow"}, ""},
		{"shadow=true", []string{"shadow"}, ""},
		{"shadow-color=nope", []string{"shadow-color"}, "a colour: hex RGB"},
		{"shadow-color=%23%23000", []string{"shadow-color"}, ""},
		{"shadow-opacity=0", []string{"shadow-opacity"}, "a number above 0 and at most 1"},
		{"shadow-opacity=-0", []string{"shadow-opacity"}, ""},
		{"shadow-opacity=1.5", []string{"shadow-opacity"}, ""},
		{"shadow-opacity=50%25", []string{"shadow-opacity"}, ""},
		{"shadow-offset=5", []string{"shadow-offset"}, "x,y: two integers from -1000 to 1000"},
		{"shadow-offset=5,5,5", []string{"shadow-offset"}, ""},
		{"shadow-offset=1001,0", []string{"shadow-offset"}, ""},
		{"shadow-offset=0,-1001", []string{"shadow-offset"}, ""},
		{"shadow-offset=1.5,0", []string{"shadow-offset"}, ""},
		{"shadow-offset=--1,0", []string{"shadow-offset"}, ""},
		{"shadow-offset=%2B-1,0", []string{"shadow-offset"}, ""},
		{"shadow-offset=-,0", []string{"shadow-offset"}, ""},
		{"shadow-offset=,", []string{"shadow-offset"}, ""},
		{"shadow-offset=99999999999999999999,0", []string{"shadow-offset"}, ""},
		{"shadow-blur=0", []string{"shadow-blur"}, "a number above 0 and at most 100"},
		{"shadow-blur=100.01", []string{"shadow-blur"}, ""},
		{"shadow-blur=-1", []string{"shadow-blur"}, ""},

		{"fm=ZIP", []string{"fm"}, "one of jpg, jpeg, pjpg, png, png8, png32, webp, avif, gif, json, zip"},
		{"fm=zip&fm=zip", []string{"fm"}, "given 2 times"},

		// Several bad parameters are all reported, sorted by field; good and
		// foreign ones are not.
		{"w=0&h=-1&fm=bmp&q=80&foo=bar", []string{"fm", "h", "w"}, ""},
		{
			"w=0&h=0&dpr=9&fit=x&crop=x&rect=1&rot=x&flip=x&fm=x&q=101&lossless=x&auto=x&bg=x&blur=x&sharp=x&trim=x&pad=x",
			[]string{"auto", "bg", "blur", "crop", "dpr", "fit", "flip", "fm", "h", "lossless", "pad", "q", "rect", "rot", "sharp", "trim", "w"},
			"",
		},
		{"pad=1&pad=2&w=x&bg=", []string{"bg", "pad", "w"}, ""},
		{
			"rembg=x&bg-remove=x&model=X&mask=x&threshold=x&semitransparency=x&refine=x&feather=x&erode=x&crop=x&fg-pad=x&scale=x&position=x&bg-blur=x&bg-gradient=x&bg-image=x&shadow=x&shadow-color=x&shadow-opacity=x&shadow-offset=x&shadow-blur=x&fm=x",
			[]string{
				"bg-blur", "bg-gradient", "bg-image", "bg-remove", "crop", "erode", "feather", "fg-pad", "fm", "mask", "model",
				"position", "refine", "rembg", "scale", "semitransparency", "shadow", "shadow-blur", "shadow-color",
				"shadow-offset", "shadow-opacity", "threshold",
			},
			"",
		},
	}
	for _, tt := range tests {
		p, err := mustParseQuery(t, tt.query)
		if err == nil {
			t.Errorf("ParseQuery(%q) = %+v, want error", tt.query, p)
			continue
		}
		if p != (params.Params{}) {
			t.Errorf("ParseQuery(%q): Params %+v alongside an error, want zero", tt.query, p)
		}
		var list params.Errors
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
			if e.Status != http.StatusBadRequest || e.Code != params.CodeInvalidParameter || e.Title == "" || e.Detail == "" {
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
			if raw == name+"=" && emptyMeans[name] {
				continue // valid (TestParseQueryStylize)
			}
			_, err := mustParseQuery(t, raw)
			list := params.AsErrors(err)
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
	d := params.AsErrors(err)[0].Detail
	if len(d) > 200 {
		t.Errorf("detail is %d bytes long: %q", len(d), d)
	}
}

// Queries that mean the same thing give equal Params (and so equal Keys).
func TestParseQueryCanonical(t *testing.T) {
	groups := [][]string{
		{"", "dpr=1", "fit=clip", "rot=0", "rot=360", "rot-type=straighten", "rot-type=pivot", "rot=0&rott=pivot", "crop=center", "lossless=0", "lossless=false", "blur=0", "sharp=0", "pad=0", "auto=compress", "crop=top", "unknown=1"},
		{"fm=jpeg", "fm=jpg"},
		{"bg=fff", "bg=%23FFFFFF", "bg=white", "bg=WHITE", "bg=ffff", "bg=ffffffff", "bg=%23FfFfFf"},
		{"bg=transparent", "bg=0000", "bg=00ff0000", "bg=%2300abcdef", "bg=0fff"},
		{"flip=hv", "flip=vh"},
		{"rot=-90", "rot=270", "rot=630", "rot=270.0", "rot=-450", "rot=270&rot-type=straighten", "rottype=straighten&rot=270"},
		{"rot=-90&rot-type=pivot", "rot=270&rott=pivot", "rot=630&rottype=pivot"},
		{"fit=crop&crop=top,left", "crop=left,top&fit=crop"},
		{"w=100&dpr=2", "dpr=2.0&w=0100"},
		{"auto=format", "auto=format,compress", "auto=compress,format,format"},
		{"bg=aqua", "bg=cyan", "bg=0ff"},
		{"bg=grey", "bg=gray", "bg=808080"},
		{"trim=auto", "trim=color"},
		{"w=600&h=300&fit=crop", "w=600&ar=2:1&fit=crop", "w=600&ar=4:2&fit=crop", "h=300&ar=2:1&fit=crop", "w=600&h=300&fit=crop&ar=1:1"},
		{"ar=16:9&fit=fill", "ar=32:18&fit=contain", "fit=fill&ar=1.7777777777777777:1"},
		{"lossless=1", "lossless=true"},

		{"", "rembg=0", "rembg=false", "bg-remove=0", "bg-remove=false"},
		{
			"rembg=1", "rembg=true", "bg-remove=1", "bg-remove=true", "rembg=1&mask=0", "rembg=1&refine=false",
			"rembg=1&semitransparency=1", "rembg=1&semitransparency=true", "rembg=1&feather=0", "rembg=1&feather=-0.0",
			"rembg=1&erode=0", "rembg=1&scale=original", "rembg=1&position=original", "rembg=1&shadow=none",
			"rembg=1&crop=center", "rembg=1&crop=top",
		},
		{"rembg=1&threshold=0.5", "rembg=1&semitransparency=0", "rembg=1&semitransparency=false", "rembg=1&threshold=.50", "rembg=1&semitransparency=0&threshold=0.5"},
		{"rembg=1&threshold=0", "rembg=1&threshold=-0", "rembg=1&threshold=0.0&semitransparency=0"},
		{
			"rembg=1&scale=0.5", "rembg=1&scale=50%25", "rembg=1&scale=50.0%25", "rembg=1&scale=.5&position=center",
			"rembg=1&scale=0.5&position=50,50", "rembg=1&scale=0.5&position=50%25", "rembg=1&scale=%2B0.5",
		},
		{"rembg=1&scale=1", "rembg=1&scale=100%25", "rembg=1&scale=1.0&position=center"},
		{"rembg=1&position=center", "rembg=1&position=50", "rembg=1&position=50%25,50%25", "rembg=1&position=50.0,50", "rembg=1&position=050%25"},
		{"rembg=1&position=0", "rembg=1&position=0,0", "rembg=1&position=-0%25,0%25"},
		{"rembg=1&crop=fg", "rembg=1&crop=fg&fg-pad=0", "rembg=1&crop=fg&fg-pad=0%25", "rembg=1&crop=fg&fg-pad=0.0%25", "rembg=1&crop=fg&fg-pad=-0%25"},
		{"rembg=1&crop=fg&fg-pad=10%25", "rembg=1&crop=fg&fg-pad=10.0%25", "rembg=1&crop=fg&fg-pad=%2B10%25"},
		{
			"rembg=1&shadow=drop", "rembg=1&shadow=drop&shadow-color=black", "rembg=1&shadow=drop&shadow-color=%23ff000000",
			"rembg=1&shadow=drop&shadow-opacity=0.5", "rembg=1&shadow=drop&shadow-offset=0,10", "rembg=1&shadow=drop&shadow-offset=-0,%2B10",
			"rembg=1&shadow=drop&shadow-blur=10", "rembg=1&shadow=drop&shadow-blur=10.0",
		},
		{"rembg=1&shadow=drop&shadow-offset=0,0", "rembg=1&shadow=drop&shadow-offset=-0,00"},
		{"rembg=1&bg-gradient=white,black", "rembg=1&bg-gradient=%23fff,%23000000", "bg-remove=true&bg-gradient=WHITE,f000"},
		{"rembg=1&bg-gradient=transparent,0fff", "rembg=1&bg-gradient=00000000,00ff0000"},
		{"rembg=1&fm=zip", "bg-remove=1&fm=zip"},
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

// TestParseQuerySizingRules: the rules between ar, fill, the focal point
// and the crop limits and the parameters they need, each error on its
// field with its whole detail (none: the query is valid).
func TestParseQuerySizingRules(t *testing.T) {
	const (
		needsBlur    = "fill-blur sets the strength of fill=blur; it needs fill=blur."
		blurNotColor = "fill=blur fills with the image; it cannot be combined with fill-color."
		colorNotBlur = "fill-color colours a solid fill; it cannot be combined with fill=blur."
		focal        = " places the focal point of crop=focalpoint; it needs crop=focalpoint."
	)
	for query, want := range map[string]map[string]string{
		"fit=fill&fill-blur=30":             {"fill-blur": needsBlur},
		"fit=fill&fill=solid&fill-blur=30":  {"fill-blur": needsBlur},
		"fit=fill&fill=blur&fill-color=red": {"fill": blurNotColor, "fill-color": colorNotBlur},
		"fit=crop&fill=blur&fill-color=red": {"fill": blurNotColor, "fill-color": colorNotBlur},
		"fit=fill&fill=bogus&fill-blur=30":  {"fill": `fill="bogus" is not valid; fill must be solid or blur.`},

		"fit=crop&fp-x=0.3":                 {"fp-x": "fp-x" + focal},
		"fit=crop&crop=top&fp-y=0.3&fp-z=2": {"fp-y": "fp-y" + focal, "fp-z": "fp-z" + focal},
		"fit=crop&crop=focalpoint&fp-x=0.3": nil,
		// fp-x is judged once crop is sound.
		"fit=crop&crop=bogus&fp-x=0.3": {"crop": `crop="bogus" is not valid; crop must be ` + paramSpecs["crop"].allowed + "."},

		"fit=crop&min-w=500&max-w=300": {"min-w": "min-w=500 is above max-w=300; the box cannot be both.", "max-w": "min-w=500 is above max-w=300; the box cannot be both."},
		"min-h=2&max-h=1":              {"min-h": "min-h=2 is above max-h=1; the box cannot be both.", "max-h": "min-h=2 is above max-h=1; the box cannot be both."},
		"fit=crop&min-w=300&max-h=100": nil,

		"w=100000&ar=1:2&fit=crop": {"ar": "ar with this w gives a height of 200000; the most is 100000."},
		"h=60000&ar=2:1&fit=fill":  {"ar": "ar with this h gives a width of 120000; the most is 100000."},
	} {
		q, _ := url.ParseQuery(query)
		_, err := ParseQuery(q)
		var got map[string]string
		var list params.Errors
		if errors.As(err, &list) {
			got = map[string]string{}
			for _, e := range list {
				got[e.Field] = e.Detail
				if e.Status != http.StatusBadRequest {
					t.Errorf("ParseQuery(%q): %s: status %d", query, e.Field, e.Status)
				}
			}
		} else if err != nil {
			t.Fatalf("ParseQuery(%q): %v", query, err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("ParseQuery(%q) errors %q, want %q", query, got, want)
		}
	}
}

// imgix's aliases and Base64 variants (NAME64) parse as the parameter they
// stand for; errors name the field as written.
func TestParseQueryAliasesAndBase64(t *testing.T) {
	red := params.Color{R: 255, A: 255, Set: true}
	checkParses(t, []validCase{
		{"width=300&height=200", params.Params{Width: 300, Height: 200}},
		{"fit=crop&w=10&h=10", params.Params{Width: 10, Height: 10, Fit: params.FitCrop}},
		// One-letter aliases are left to the origin (singleLetterAliases).
		{"f=crop&t=1699999999&w=10", params.Params{Width: 10}},
		{"inv=1&jpeg-progressive=1&fm=jpg", params.Params{Invert: true, Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{"max-width=120&min-height=10&fit=crop", params.Params{Fit: params.FitCrop, CropLimits: params.CropLimits{MaxW: 120, MinH: 10}}},
		{"w=10&h=10&fit=fill&fillcolor=red", params.Params{Width: 10, Height: 10, Fit: params.FitFill, FillColor: red}},
		{"background-remove=true", params.Params{Removal: params.Removal{Enabled: true}}},
		// Base64 (URL-safe, no padding; padding is tolerated): bg=#ff0000, w=300.
		{"bg64=I2ZmMDAwMA", params.Params{Background: red}},
		{"w64=MzAw", params.Params{Width: 300}},
		{"w64=MzAw%3D", params.Params{Width: 300}},
		{"width64=MzAw", params.Params{Width: 300}},
		// auto has no Base64 variant: auto64 is not Matte's, left to the origin.
		{"auto64=Zm9ybWF0", params.Params{}},
	})
	checkOneError(t, []errorCase{
		{"w=1&width=2", "w", "w and width are the same parameter; give only one of them."},
		{"bg=red&bg64=I2ZmMDAwMA", "bg", "bg and bg64 are the same parameter; give only one of them."},
		{"width=abc", "width", "width=\"abc\" is not valid; width must be an integer from 1 to 100000, or a fraction of the image's size between 0 and 1 such as 0.5."},
		{"bg64=%23fff", "bg64", "bg64=\"#fff\" is not valid URL-safe Base64 (RFC 4648 §5: A-Z, a-z, 0-9, - and _, without = padding)."},
		{"w64=YWJj", "w64", "w64=\"abc\" is not valid; w64 must be an integer from 1 to 100000, or a fraction of the image's size between 0 and 1 such as 0.5."},
		{"f=cover&width=0", "width", "width=\"0\" is not valid; width must be an integer from 1 to 100000, or a fraction of the image's size between 0 and 1 such as 0.5."},
	})
	for _, name := range []string{"width", "height", "inv", "mono", "w64", "bg-image64", "rembg64", "fillcolor"} {
		if !IsParam(name) {
			t.Errorf("IsParam(%q) = false", name)
		}
	}
}

func TestIsParam(t *testing.T) {
	want := []string{
		"ar", "auto", "bg", "bg-blur", "bg-gradient", "bg-image", "bg-remove", "bg-remove-fg-type",
		"bg-remove-semi-transparency", "blend", "blend-alpha", "blend-color", "blend-mode", "blur",
		"border", "border-bottom", "border-left", "border-radius", "border-radius-inner", "border-right", "border-top", "bri", "ch", "chromasub", "con", "corner-radius", "crop", "cs", "dl", "dpi", "dpr",
		"erode", "exp", "faceindex", "facepad", "faces", "feather", "fg-pad", "fill", "fill-blur", "fill-color", "fit", "flip", "fm", "fp-x", "fp-y", "fp-z", "fps", "frame", "gam", "h", "high", "hue", "interval", "invert", "jpg-progressive", "loop", "lossless", "mark", "mark-align", "mark-alpha", "mark-base", "mark-fit", "mark-h", "mark-if-min-height", "mark-if-min-width", "mark-pad", "mark-rot", "mark-scale", "mark-tile", "mark-w", "mark-x", "mark-y", "mask", "mask-bg", "max-h", "max-w", "min-h", "min-w", "model", "monochrome", "nr", "nrs", "orient",
		"pad", "pad-bottom", "pad-left", "pad-right", "pad-top", "position", "px", "q", "rect", "refine", "rembg", "reverse", "rot", "rot-type", "sat", "scale", "semitransparency", "sepia",
		"shad", "shadow", "shadow-blur", "shadow-color", "shadow-offset", "shadow-opacity", "sharp", "skip",
		"threshold", "trim", "trim-color", "trim-md", "trim-pad", "trim-sd", "trim-tol", "txt", "txt-align", "txt-clip", "txt-color", "txt-fit", "txt-font", "txt-line", "txt-line-color", "txt-pad", "txt-shad", "txt-size", "txt-width", "txt-x", "txt-y", "usm", "usmrad", "vib", "w",
	}
	got := ParamNames()
	if !slices.Equal(got, want) {
		t.Fatalf("ParamNames() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if ParamNames()[0] != "ar" {
		t.Error("ParamNames shares its backing array with callers")
	}
	for _, name := range want {
		if !IsParam(name) {
			t.Errorf("IsParam(%q) = false", name)
		}
	}
	for _, name := range []string{"", "W", "Fm", "Width", "w64x", "auto64", "format", "s", "trim-mean", "txt-lead", "ixlib", "w ", "foo",
		"Rembg", "bg_remove", "bgremove", "remove", "type", "channels", "size", "crop_margin", "bg_color", "bg-color", "shadow_type", "fg_pad", "semi_transparency"} {
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
		"rect=1,2,3,4", "w=&w=1", "crop=edges", "bg=transparent", "rot=1e400",
		"rembg=1&model=u2net&mask=1&threshold=0.5&refine=1&feather=2.5&erode=3",
		"bg-remove=true&crop=fg&fg-pad=10%25&scale=50%25&position=30%25,70%25&bg-blur=20",
		"rembg=1&bg-gradient=white,%23000&shadow=drop&shadow-color=red&shadow-opacity=0.3&shadow-offset=-5,20&shadow-blur=4",
		"rembg=1&bg-image=https://example.com/bg.jpg&fm=zip", "model=x&mask=1&bg=white&bg-image=/a.png",
		"rembg=1&bg-remove=0&semitransparency=1&threshold=0.2",
		"w=600&ar=16:9&fit=crop", "ar=1.91:1&fit=fill&h=100000", "w=9&h=9&fit=crop&crop=focalpoint&fp-x=0.1&fp-y=0.9&fp-z=4", "fit=crop&h=200&max-w=1200&min-w=1300&min-h=1", "w=0.5&h=.9&ar=3:1&fit=fill", "fit=fill&fill=blur&fill-blur=30&fill-color=red",
		"width=300&height=20&f=crop&bg64=I2ZmMDAwMA&inv=1", "hue=-30&sepia=40&mono=red&px=3&usm=-20&usmrad=7", "mask=corners&corner-radius=1,2,3,4&mask-bg=fff", "mask=ellipse&rembg=1&mask-bg=red", "dl=x.png&w=3", "dl", "trim=color&trimcolor=eee&trim-tol=3.5&trim-pad=-4", "txt=Hi&tsz=30&tf=serif,italic&ta=top&txt-x=4", "blend=red&bm=softlight&balph=40", "chromasub=444&fm=jpg&q=95", "ch=Width,DPR,save-data&w=10", "blend-color=fff&blend=000", "mark=/l.png&mark-w=0.5&ma=top&malph=30&mx=3", "mark-w=3&ms=5", "w=1&width=2&w64=@@&auto64=Zm9ybWF0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // keeps what it could parse
		p, err := ParseQuery(q)
		if err != nil {
			var list params.Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty Errors", err, err)
			}
			if p != (params.Params{}) {
				t.Fatalf("non-zero Params %+v with an error", p)
			}
			for i, e := range list {
				if e == nil || e.Status != http.StatusBadRequest || e.Code != params.CodeInvalidParameter || e.Field == "" || !IsParam(e.Field) || e.Detail == "" {
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
func checkParamsRange(t *testing.T, p params.Params) {
	t.Helper()
	ok := p.Width >= 0 && p.Width <= maxDimension && p.Height >= 0 && p.Height <= maxDimension &&
		(p.DPR == 0 || p.DPR > 0 && p.DPR != 1 && p.DPR <= 5) &&
		p.Fit <= params.FitClamp && p.Crop <= params.CropAttention &&
		(p.Crop == params.CropCenter || p.Fit == params.FitCrop || p.Fit == params.FitMin) &&
		(p.Rect == params.Rect{} || p.Rect.X >= 0 && p.Rect.Y >= 0 && p.Rect.W > 0 && p.Rect.H > 0 &&
			p.Rect.X <= maxDimension && p.Rect.Y <= maxDimension && p.Rect.W <= maxDimension && p.Rect.H <= maxDimension) &&
		p.Rotate >= 0 && p.Rotate < 360 && !math.Signbit(p.Rotate) &&
		p.Flip <= params.FlipHV &&
		p.Quality >= 0 && p.Quality <= 100 && (p.Chroma == 0 || p.Chroma == 444 || p.Chroma == 420) && p.ClientHints < 8 &&
		(p.Background == params.Color{} || p.Background.Set && (p.Background.A > 0 || p.Background == params.Color{Set: true})) &&
		p.Blur >= 0 && p.Blur <= maxBlur && p.Sharpen >= 0 && p.Sharpen <= maxSharpen && p.Pad >= 0 && p.Pad <= maxPad &&
		p.Format <= params.FormatZIP &&
		p.Hue >= 0 && p.Hue < 360 && p.Sepia >= 0 && p.Sepia <= 100 &&
		(p.Monochrome == params.Color{} || p.Monochrome.Set && p.Monochrome.A > 0) &&
		p.Pixelate >= 0 && p.Pixelate != 1 && p.Pixelate <= maxPixelate &&
		p.UnsharpMask >= -100 && p.UnsharpMask <= 100 &&
		(p.UnsharpRadius == 0 || p.UnsharpMask != 0 && p.UnsharpRadius > 0 && p.UnsharpRadius <= maxUnsharpRadius && p.UnsharpRadius != 2.5) &&
		p.Mask <= params.ShapeCorners && (p.CornerRadius == params.Corners{} || p.Mask == params.ShapeCorners && p.CornerRadius.Set) &&
		(p.MaskBackground == params.Color{} || p.Mask != params.ShapeNone && p.MaskBackground.Set) &&
		(p.Download || p.DownloadName == "") &&
		(p.Trim || p.TrimColor == params.Color{} && !p.TrimToleranceSet && p.TrimPad == 0) && (p.TrimToleranceSet || p.TrimTolerance == 0) &&
		(p.Blend == params.Blend{} || p.Blend.Color.Set && p.Blend.Color.A > 0 && p.Blend.Alpha >= 1 && p.Blend.Alpha <= 100 && p.Blend.Mode <= params.BlendExclusion) &&
		(p.Text == params.Text{} || p.Text.Text != "" && p.Text.Size >= 1 && p.Text.Size <= maxTextSize && p.Text.Color.Set && p.Text.Font != "" &&
			(p.Text.X == 0 || p.Text.XSet) && (p.Text.Y == 0 || p.Text.YSet)) &&
		(p.Watermark == params.Watermark{} || p.Watermark.Image != "" && p.Watermark.Alpha >= 1 && p.Watermark.Alpha <= 100 &&
			p.Watermark.Scale >= 0 && p.Watermark.Scale <= 100 && p.Watermark.Pad >= 0 && p.Watermark.Pad <= maxPad &&
			(p.Watermark.Fit == params.FitClip || p.Watermark.Fit == params.FitMax || p.Watermark.Fit == params.FitScale) &&
			(p.Watermark.X == 0 || p.Watermark.XSet) && (p.Watermark.Y == 0 || p.Watermark.YSet))
	if !ok {
		t.Fatalf("Params out of range or not canonical: %+v", p)
	}
	r := p.Removal
	if !r.Enabled {
		if r != (params.Removal{}) || p.Format == params.FormatZIP {
			t.Fatalf("removal options without rembg=1: %+v", p)
		}
		return
	}
	in := func(f, lo, hi float64) bool { return f >= lo && f <= hi && !math.Signbit(f) }
	opaqueBlack := params.Color{A: 255, Set: true}
	canonColor := func(c params.Color) bool { return c.Set && (c.A > 0 || c == params.Color{Set: true}) }
	nbg := 0
	for _, set := range []bool{p.Background != params.Color{}, r.BgBlur != 0, r.BgGradient != [2]params.Color{}, r.BgImage != ""} {
		if set {
			nbg++
		}
	}
	s := r.Shadow
	ok = (r.Model == "" || isModelName(r.Model)) &&
		in(r.Threshold, 0, 1) && (r.Hard || r.Threshold == 0) &&
		in(r.Feather, 0, maxFeather) && r.Erode >= 0 && r.Erode <= maxErode &&
		(r.FGPad == params.Length{} || r.CropToForeground && !math.Signbit(r.FGPad.Value) && r.FGPad.Value > 0 &&
			(r.FGPad.Percent && r.FGPad.Value <= 100 || !r.FGPad.Percent && r.FGPad.Value <= maxFGPad && r.FGPad.Value == math.Trunc(r.FGPad.Value))) &&
		(r.Scale == 0 || in(r.Scale, 0.1, 1)) &&
		(r.Position == params.Position{} || r.Position.Set && in(r.Position.X, 0, 100) && in(r.Position.Y, 0, 100)) &&
		(r.BgBlur == 0 || r.BgBlur >= 1 && r.BgBlur <= maxBgBlur) &&
		(r.BgGradient == [2]params.Color{} || canonColor(r.BgGradient[0]) && canonColor(r.BgGradient[1])) &&
		len(r.BgImage) <= params.MaxImageRef && (r.BgImage == "" || params.CheckImageRef(r.BgImage) == nil) &&
		nbg <= 1 &&
		(!r.MaskOnly || nbg == 0 && !s.Enabled && p.Format != params.FormatZIP) &&
		(s.Enabled || s == params.Shadow{}) &&
		(s.Color == params.Color{} || canonColor(s.Color) && s.Color != opaqueBlack) &&
		(s.Opacity == 0 || in(s.Opacity, 0, 1) && s.Opacity != 0.5) &&
		(s.OffsetSet || s.OffsetX == 0 && s.OffsetY == 0) &&
		s.OffsetX >= -maxShadowOffset && s.OffsetX <= maxShadowOffset && s.OffsetY >= -maxShadowOffset && s.OffsetY <= maxShadowOffset &&
		!(s.OffsetSet && s.OffsetX == 0 && s.OffsetY == 10) &&
		(s.Blur == 0 || in(s.Blur, 0, maxShadowBlur) && s.Blur != 10)
	if !ok {
		t.Fatalf("Removal out of range or not canonical: %+v", p)
	}
}

func TestParseQueryRemovalValid(t *testing.T) {
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	black := params.Color{A: 255, Set: true}
	red := params.Color{R: 255, A: 255, Set: true}
	center := params.Position{X: 50, Y: 50, Set: true}
	rm := func(r params.Removal) params.Params {
		r.Enabled = true
		return params.Params{Removal: r}
	}
	shadow := func(s params.Shadow) params.Params {
		s.Enabled = true
		return rm(params.Removal{Shadow: s})
	}
	tests := []struct {
		query string
		want  params.Params
	}{
		{"rembg=1", rm(params.Removal{})},
		{"rembg=true", rm(params.Removal{})},
		{"bg-remove=1", rm(params.Removal{})},
		{"bg-remove=true", rm(params.Removal{})},
		{"rembg=0", params.Params{}},
		{"rembg=false", params.Params{}},
		{"bg-remove=0", params.Params{}},
		{"bg-remove=false", params.Params{}},

		{"rembg=1&model=u2net", rm(params.Removal{Model: "u2net"})},
		{"rembg=1&model=isnet-general-use", rm(params.Removal{Model: "isnet-general-use"})},
		{"rembg=1&model=birefnet_v1.2-lite", rm(params.Removal{Model: "birefnet_v1.2-lite"})},
		{"rembg=1&model=0", rm(params.Removal{Model: "0"})},
		{"rembg=1&model=a...", rm(params.Removal{Model: "a..."})},
		{"rembg=1&model=" + strings.Repeat("z", 64), rm(params.Removal{Model: strings.Repeat("z", 64)})},

		{"rembg=1&mask=1", rm(params.Removal{MaskOnly: true})},
		{"rembg=1&mask=true", rm(params.Removal{MaskOnly: true})},
		{"rembg=1&mask=0", rm(params.Removal{})},
		{"rembg=1&mask=false", rm(params.Removal{})},
		{"rembg=1&refine=1", rm(params.Removal{Refine: true})},
		{"rembg=1&refine=true", rm(params.Removal{Refine: true})},
		{"rembg=1&refine=0", rm(params.Removal{})},

		{"rembg=1&threshold=0", rm(params.Removal{Hard: true})},
		{"rembg=1&threshold=-0", rm(params.Removal{Hard: true})},
		{"rembg=1&threshold=0.25", rm(params.Removal{Hard: true, Threshold: 0.25})},
		{"rembg=1&threshold=.5", rm(params.Removal{Hard: true, Threshold: 0.5})},
		{"rembg=1&threshold=1", rm(params.Removal{Hard: true, Threshold: 1})},
		{"rembg=1&semitransparency=0", rm(params.Removal{Hard: true, Threshold: 0.5})},
		{"rembg=1&semitransparency=false", rm(params.Removal{Hard: true, Threshold: 0.5})},
		{"rembg=1&semitransparency=1", rm(params.Removal{})},
		{"rembg=1&semitransparency=true", rm(params.Removal{})},
		// threshold with semitransparency=0: threshold says where to cut.
		{"rembg=1&semitransparency=0&threshold=0.3", rm(params.Removal{Hard: true, Threshold: 0.3})},
		{"rembg=1&threshold=0&semitransparency=false", rm(params.Removal{Hard: true})},

		{"rembg=1&feather=0", rm(params.Removal{})},
		{"rembg=1&feather=2.5", rm(params.Removal{Feather: 2.5})},
		{"rembg=1&feather=100", rm(params.Removal{Feather: 100})},
		{"rembg=1&erode=0", rm(params.Removal{})},
		{"rembg=1&erode=3", rm(params.Removal{Erode: 3})},
		{"rembg=1&erode=100", rm(params.Removal{Erode: 100})},

		{"rembg=1&crop=fg", rm(params.Removal{CropToForeground: true})},
		{"rembg=1&crop=fg&fit=crop", params.Params{Fit: params.FitCrop, Removal: params.Removal{Enabled: true, CropToForeground: true}}},
		{"rembg=1&crop=fg&fg-pad=0", rm(params.Removal{CropToForeground: true})},
		{"rembg=1&crop=fg&fg-pad=0%25", rm(params.Removal{CropToForeground: true})},
		{"rembg=1&crop=fg&fg-pad=10", rm(params.Removal{CropToForeground: true, FGPad: params.Length{Value: 10}})},
		{"rembg=1&crop=fg&fg-pad=010", rm(params.Removal{CropToForeground: true, FGPad: params.Length{Value: 10}})},
		{"rembg=1&crop=fg&fg-pad=10000", rm(params.Removal{CropToForeground: true, FGPad: params.Length{Value: 10000}})},
		{"rembg=1&crop=fg&fg-pad=10%25", rm(params.Removal{CropToForeground: true, FGPad: params.Length{Value: 10, Percent: true}})},
		{"rembg=1&crop=fg&fg-pad=12.5%25", rm(params.Removal{CropToForeground: true, FGPad: params.Length{Value: 12.5, Percent: true}})},
		{"rembg=1&crop=fg&fg-pad=100%25", rm(params.Removal{CropToForeground: true, FGPad: params.Length{Value: 100, Percent: true}})},

		{"rembg=1&scale=original", rm(params.Removal{})},
		{"rembg=1&scale=0.5", rm(params.Removal{Scale: 0.5, Position: center})},
		{"rembg=1&scale=50%25", rm(params.Removal{Scale: 0.5, Position: center})},
		{"rembg=1&scale=10%25", rm(params.Removal{Scale: 0.1, Position: center})},
		{"rembg=1&scale=0.1", rm(params.Removal{Scale: 0.1, Position: center})},
		{"rembg=1&scale=100%25", rm(params.Removal{Scale: 1, Position: center})},
		{"rembg=1&scale=1", rm(params.Removal{Scale: 1, Position: center})},
		{"rembg=1&scale=33.3%25", rm(params.Removal{Scale: 0.333, Position: center})},
		{"rembg=1&scale=0.5&position=original", rm(params.Removal{Scale: 0.5})},
		{"rembg=1&scale=0.5&position=0,100", rm(params.Removal{Scale: 0.5, Position: params.Position{X: 0, Y: 100, Set: true}})},
		{"rembg=1&scale=original&position=original", rm(params.Removal{})},

		{"rembg=1&position=center", rm(params.Removal{Position: center})},
		{"rembg=1&position=original", rm(params.Removal{})},
		{"rembg=1&position=30%25", rm(params.Removal{Position: params.Position{X: 30, Y: 30, Set: true}})},
		{"rembg=1&position=30", rm(params.Removal{Position: params.Position{X: 30, Y: 30, Set: true}})},
		{"rembg=1&position=30%25,70%25", rm(params.Removal{Position: params.Position{X: 30, Y: 70, Set: true}})},
		{"rembg=1&position=30,70", rm(params.Removal{Position: params.Position{X: 30, Y: 70, Set: true}})},
		{"rembg=1&position=30%25,70", rm(params.Removal{Position: params.Position{X: 30, Y: 70, Set: true}})},
		{"rembg=1&position=0,100", rm(params.Removal{Position: params.Position{X: 0, Y: 100, Set: true}})},
		{"rembg=1&position=0", rm(params.Removal{Position: params.Position{Set: true}})},
		{"rembg=1&position=-0,12.5", rm(params.Removal{Position: params.Position{X: 0, Y: 12.5, Set: true}})},

		{"rembg=1&bg-blur=1", rm(params.Removal{BgBlur: 1})},
		{"rembg=1&bg-blur=100", rm(params.Removal{BgBlur: 100})},
		{"rembg=1&bg-gradient=white,%23000", rm(params.Removal{BgGradient: [2]params.Color{white, black}})},
		{"rembg=1&bg-gradient=80ff0000,transparent", rm(params.Removal{BgGradient: [2]params.Color{{R: 255, A: 0x80, Set: true}, {Set: true}}})},
		{"rembg=1&bg-gradient=RED,red", rm(params.Removal{BgGradient: [2]params.Color{red, red}})},

		{"rembg=1&bg-image=https://example.com/bg.jpg?v=2&x=1", rm(params.Removal{BgImage: "https://example.com/bg.jpg?v=2"})},
		{"rembg=1&bg-image=https://example.com/bg.jpg%3Fv%3D2%26w%3D10", rm(params.Removal{BgImage: "https://example.com/bg.jpg?v=2&w=10"})},
		{"rembg=1&bg-image=http://example.com:8080/a,b.png", rm(params.Removal{BgImage: "http://example.com:8080/a,b.png"})},
		{"rembg=1&bg-image=https://[::1]/a.png", rm(params.Removal{BgImage: "https://[::1]/a.png"})},
		{"rembg=1&bg-image=/images/bg.png", rm(params.Removal{BgImage: "/images/bg.png"})},
		{"rembg=1&bg-image=/", rm(params.Removal{BgImage: "/"})},
		{"rembg=1&bg-image=/a%20b.png", rm(params.Removal{BgImage: "/a b.png"})},
		{"rembg=1&bg-image=/a/...png", rm(params.Removal{BgImage: "/a/...png"})},
		{"rembg=1&bg-image=/" + strings.Repeat("a", 2047), rm(params.Removal{BgImage: "/" + strings.Repeat("a", 2047)})},

		// bg alone is a fine background for a cut-out, translucent too.
		{"rembg=1&bg=white", params.Params{Background: white, Removal: params.Removal{Enabled: true}}},
		{"rembg=1&bg=80ff0000", params.Params{Background: params.Color{R: 255, A: 0x80, Set: true}, Removal: params.Removal{Enabled: true}}},

		{"rembg=1&shadow=none", rm(params.Removal{})},
		{"rembg=1&shadow=drop", shadow(params.Shadow{})},
		{"rembg=1&shadow=drop&shadow-color=red", shadow(params.Shadow{Color: red})},
		{"rembg=1&shadow=drop&shadow-color=black", shadow(params.Shadow{})},
		{"rembg=1&shadow=drop&shadow-color=%23000", shadow(params.Shadow{})},
		{"rembg=1&shadow=drop&shadow-color=80000000", shadow(params.Shadow{Color: params.Color{A: 0x80, Set: true}})},
		{"rembg=1&shadow=drop&shadow-color=transparent", shadow(params.Shadow{Color: params.Color{Set: true}})},
		{"rembg=1&shadow=drop&shadow-opacity=0.3", shadow(params.Shadow{Opacity: 0.3})},
		{"rembg=1&shadow=drop&shadow-opacity=0.5", shadow(params.Shadow{})},
		{"rembg=1&shadow=drop&shadow-opacity=1", shadow(params.Shadow{Opacity: 1})},
		{"rembg=1&shadow=drop&shadow-offset=0,10", shadow(params.Shadow{})},
		{"rembg=1&shadow=drop&shadow-offset=0,0", shadow(params.Shadow{OffsetSet: true})},
		{"rembg=1&shadow=drop&shadow-offset=-0,-0", shadow(params.Shadow{OffsetSet: true})},
		{"rembg=1&shadow=drop&shadow-offset=-5,20", shadow(params.Shadow{OffsetX: -5, OffsetY: 20, OffsetSet: true})},
		{"rembg=1&shadow=drop&shadow-offset=%2B5,-1000", shadow(params.Shadow{OffsetX: 5, OffsetY: -1000, OffsetSet: true})},
		{"rembg=1&shadow=drop&shadow-offset=1000,010", shadow(params.Shadow{OffsetX: 1000, OffsetY: 10, OffsetSet: true})},
		{"rembg=1&shadow=drop&shadow-blur=4", shadow(params.Shadow{Blur: 4})},
		{"rembg=1&shadow=drop&shadow-blur=0.1", shadow(params.Shadow{Blur: 0.1})},
		{"rembg=1&shadow=drop&shadow-blur=10", shadow(params.Shadow{})},
		{"rembg=1&shadow=drop&shadow-blur=100", shadow(params.Shadow{Blur: 100})},

		{"rembg=1&fm=zip", params.Params{Format: params.FormatZIP, Removal: params.Removal{Enabled: true}}},

		// mask=0 combines with anything; mask=1 with shaping options and shadow=none.
		{"rembg=1&mask=0&bg=white&shadow=drop&fm=zip", params.Params{Format: params.FormatZIP, Background: white, Removal: params.Removal{Enabled: true, Shadow: params.Shadow{Enabled: true}}}},
		{
			"rembg=1&mask=1&threshold=0.4&refine=1&feather=2&erode=1&crop=fg&fg-pad=5&scale=50%25&position=10,20&shadow=none&model=u2net",
			rm(params.Removal{
				Model: "u2net", MaskOnly: true, Hard: true, Threshold: 0.4, Refine: true, Feather: 2, Erode: 1,
				CropToForeground: true, FGPad: params.Length{Value: 5}, Scale: 0.5, Position: params.Position{X: 10, Y: 20, Set: true},
			}),
		},
		{
			"w=800&fm=png&bg-remove=true&model=isnet&refine=true&semitransparency=0&crop=fg&fg-pad=2%25&bg-gradient=white,%23336&shadow=drop&shadow-color=%23333&shadow-opacity=0.25&shadow-offset=4,8&shadow-blur=6&origin=1",
			params.Params{Width: 800, Format: params.FormatPNG, Removal: params.Removal{
				Enabled: true, Model: "isnet", Refine: true, Hard: true, Threshold: 0.5, CropToForeground: true,
				FGPad: params.Length{Value: 2, Percent: true}, BgGradient: [2]params.Color{white, {R: 0x33, G: 0x33, B: 0x66, A: 255, Set: true}},
				Shadow: params.Shadow{Enabled: true, Color: params.Color{R: 0x33, G: 0x33, B: 0x33, A: 255, Set: true}, Opacity: 0.25, OffsetX: 4, OffsetY: 8, OffsetSet: true, Blur: 6},
			}},
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
		if got.IsZero() != (tt.want == params.Params{}) {
			t.Errorf("ParseQuery(%q).IsZero() = %v", tt.query, got.IsZero())
		}
		for _, f := range []float64{got.Removal.Threshold, got.Removal.Position.X, got.Removal.Position.Y, got.Removal.FGPad.Value, got.Removal.Feather} {
			if math.Signbit(f) {
				t.Errorf("ParseQuery(%q): -0 in %+v", tt.query, got.Removal)
			}
		}
	}
}

// The rules between parameters: each problem is reported on its field,
// whose detail says what to do; one error per field.
func TestParseQueryRemovalRules(t *testing.T) {
	const needs = "needs rembg=1"
	tests := []struct {
		query  string
		errors map[string]string // field → substring of its detail
	}{
		{"model=u2net", map[string]string{"model": "model is a background-removal option; it needs rembg=1 (or bg-remove=true)."}},
		{"rembg=0&mask=0", map[string]string{"mask": needs}},
		{"bg-remove=false&shadow=none", map[string]string{"shadow": needs}},
		{"semitransparency=1", map[string]string{"semitransparency": needs}},
		{"crop=fg", map[string]string{"crop": "crop=fg is a background-removal option"}},
		{"crop=fg&fit=crop&w=10&h=10", map[string]string{"crop": needs}},
		{"fm=zip", map[string]string{"fm": "fm=zip is a background-removal option"}},
		{"model=u2net&w=0&bg=white", map[string]string{"model": needs, "w": "an integer from 1 to 100000"}},
		// A field gets its first problem only: needs rembg=1 before shadow=drop.
		{"shadow-color=red", map[string]string{"shadow-color": needs}},
		{"fg-pad=4", map[string]string{"fg-pad": needs}},

		// rembg and bg-remove are one parameter.
		{"rembg=1&bg-remove=1", map[string]string{"rembg": "same parameter", "bg-remove": "same parameter"}},
		{"rembg=1&bg-remove=false", map[string]string{"rembg": "same parameter", "bg-remove": "same parameter"}},
		{"rembg=0&bg-remove=0&model=a", map[string]string{"rembg": "same parameter", "bg-remove": "same parameter"}},
		{"rembg=1&bg-remove=yes", map[string]string{"bg-remove": "one of 1, true, 0, false"}},

		// shadow-* need shadow=drop, fg-pad needs crop=fg.
		{"rembg=1&shadow-color=red", map[string]string{"shadow-color": "shadow-color shapes the drop shadow; it needs shadow=drop."}},
		{"rembg=1&shadow=none&shadow-blur=3&shadow-opacity=1&shadow-offset=1,1", map[string]string{
			"shadow-blur": "needs shadow=drop", "shadow-opacity": "needs shadow=drop", "shadow-offset": "needs shadow=drop",
		}},
		{"rembg=1&shadow=x&shadow-blur=3", map[string]string{"shadow": "one of drop, none"}},
		{"rembg=1&fg-pad=5", map[string]string{"fg-pad": "fg-pad is the margin around the foreground crop; it needs crop=fg."}},
		{"rembg=1&crop=top&fit=crop&fg-pad=5%25", map[string]string{"fg-pad": "needs crop=fg"}},
		{"rembg=1&crop=diagonal&fg-pad=5", map[string]string{"crop": "one of center, top"}},

		// mask=1 returns the matte alone.
		{"rembg=1&mask=1&bg=white", map[string]string{
			"mask": "mask=1 returns the matte alone; it cannot be combined with bg.",
			"bg":   "bg cannot be combined with mask=1",
		}},
		{"rembg=1&mask=true&bg-image=/x.png&shadow=drop&fm=zip", map[string]string{
			"mask":     "cannot be combined with bg-image, shadow=drop and fm=zip.",
			"bg-image": "bg-image cannot be combined with mask=1",
			"shadow":   "shadow=drop cannot be combined with mask=1",
			"fm":       "fm=zip cannot be combined with mask=1",
		}},
		{"rembg=1&mask=1&bg-blur=5&bg-gradient=red,blue", map[string]string{
			"mask": "bg-blur and bg-gradient", "bg-blur": "mask=1", "bg-gradient": "mask=1",
		}},
		{"rembg=1&mask=1&shadow-color=red", map[string]string{"shadow-color": "needs shadow=drop"}},
		{"rembg=1&mask=1&bg=nope", map[string]string{"bg": "a colour"}},
		{"rembg=1&mask=2&bg=white", map[string]string{"mask": "one of 1, true, 0, false"}},

		// One background at most.
		{"rembg=1&bg=white&bg-image=/x.png", map[string]string{
			"bg":       "bg, bg-blur, bg-gradient and bg-image are alternative backgrounds; give one at most (this request gives bg and bg-image).",
			"bg-image": "alternative backgrounds",
		}},
		{"rembg=1&bg-blur=5&bg-gradient=red,blue&bg-image=/x.png&bg=red", map[string]string{
			"bg": "gives bg, bg-blur, bg-gradient and bg-image", "bg-blur": "alternative", "bg-gradient": "alternative", "bg-image": "alternative",
		}},
		{"rembg=1&bg-blur=5&bg-gradient=red", map[string]string{"bg-gradient": "two colours are needed"}},
		{"bg=white&bg-blur=4", map[string]string{"bg": "alternative backgrounds", "bg-blur": needs}},

		// threshold cuts, semitransparency=1 keeps soft.
		{"rembg=1&threshold=0.3&semitransparency=1", map[string]string{
			"threshold":        "threshold cuts the matte, but semitransparency=1 keeps it soft; leave out one of them.",
			"semitransparency": "semitransparency=1 keeps a soft matte",
		}},
		{"rembg=1&threshold=0.3&semitransparency=true", map[string]string{"threshold": "semitransparency=true", "semitransparency": "semitransparency=true"}},
		{"rembg=1&threshold=2&semitransparency=1", map[string]string{"threshold": "a number from 0 to 1"}},

		// All at once, sorted.
		{"w=0&model=X&rembg=1&bg=white&bg-image=/a&shadow-blur=2&crop=fg&fg-pad=1&mask=1", map[string]string{
			"bg": "mask=1", "bg-image": "mask=1", "mask": "bg and bg-image", "model": "a model name", "shadow-blur": "shadow=drop", "w": "from 1",
		}},
	}
	for _, tt := range tests {
		p, err := mustParseQuery(t, tt.query)
		if err == nil {
			t.Errorf("ParseQuery(%q) = %+v, want errors", tt.query, p)
			continue
		}
		if p != (params.Params{}) {
			t.Errorf("ParseQuery(%q): Params %+v alongside an error", tt.query, p)
		}
		list := params.AsErrors(err)
		var fields, want []string
		for _, e := range list {
			fields = append(fields, e.Field)
			if e.Status != http.StatusBadRequest || e.Code != params.CodeInvalidParameter || e.Title == "" {
				t.Errorf("ParseQuery(%q): bad error %+v", tt.query, e)
			}
			if sub, ok := tt.errors[e.Field]; ok && !strings.Contains(e.Detail, sub) {
				t.Errorf("ParseQuery(%q): %s: detail %q, want it to contain %q", tt.query, e.Field, e.Detail, sub)
			}
		}
		for f := range tt.errors {
			want = append(want, f)
		}
		slices.Sort(want)
		if !slices.Equal(fields, want) {
			t.Errorf("ParseQuery(%q): fields %q, want %q (%v)", tt.query, fields, want, err)
		}
	}
}

// Every removal option, with a value valid on its own, is an error without
// rembg=1 and fine with it (where it needs nothing else).
func TestParseQueryRemovalOptionsNeedRembg(t *testing.T) {
	valid := map[string]string{
		"model": "u2net", "mask": "0", "threshold": "0.5", "semitransparency": "1", "refine": "0",
		"feather": "0", "erode": "0", "fg-pad": "0", "scale": "original", "position": "original",
		"bg-blur": "1", "bg-gradient": "red,blue", "bg-image": "/a.png", "shadow": "none",
		"shadow-color": "red", "shadow-opacity": "1", "shadow-offset": "1,1", "shadow-blur": "1",
		"crop": "fg", "fm": "zip", "bg-remove-semi-transparency": "true", "bg-remove-fg-type": "car",
	}
	extra := map[string]string{"fg-pad": "&crop=fg", "shadow-color": "&shadow=drop", "shadow-opacity": "&shadow=drop", "shadow-offset": "&shadow=drop", "shadow-blur": "&shadow=drop"}
	for _, name := range append(slices.Clone(removalOnly), "crop", "fm") {
		v, ok := valid[name]
		if !ok {
			t.Fatalf("no valid value for %s", name)
		}
		for _, pre := range []string{"", "rembg=0&", "bg-remove=false&"} {
			raw := pre + name + "=" + url.QueryEscape(v)
			_, err := mustParseQuery(t, raw)
			list := params.AsErrors(err)
			if len(list) != 1 || list[0].Field != name || !strings.Contains(list[0].Detail, "it needs rembg=1") {
				t.Errorf("%s: %v, want one error on %s saying it needs rembg=1", raw, err, name)
			}
		}
		for _, pre := range []string{"rembg=1&", "bg-remove=true&"} {
			raw := pre + name + "=" + url.QueryEscape(v) + extra[name]
			if p, err := mustParseQuery(t, raw); err != nil || !p.Removal.Enabled {
				t.Errorf("%s: %+v, %v; want removal and no error", raw, p, err)
			}
		}
	}
}

// scale=N% and scale=N/100 give the very same float.
func TestParseQueryScalePercent(t *testing.T) {
	for i := 100; i <= 1000; i++ {
		pct := fmt.Sprintf("%d.%d%%", i/10, i%10)
		frac := fmt.Sprintf("0.%03d", i)
		if i == 1000 {
			frac = "1"
		}
		a, err := ParseQuery(url.Values{"rembg": {"1"}, "scale": {pct}})
		if err != nil {
			t.Fatalf("scale=%s: %v", pct, err)
		}
		b, err := ParseQuery(url.Values{"rembg": {"1"}, "scale": {frac}})
		if err != nil {
			t.Fatalf("scale=%s: %v", frac, err)
		}
		if a != b || a.Key() != b.Key() {
			t.Errorf("scale=%s gives %v, scale=%s gives %v", pct, a.Removal.Scale, frac, b.Removal.Scale)
		}
	}
}

// border and its options (imgix "Border & Padding"): the per-side widths
// replace border's, the radii, and a border that draws nothing.
func TestParseQueryBorder(t *testing.T) {
	black := params.Color{A: 255, Set: true}
	checkParses(t, []validCase{
		{"border=4,000", params.Params{Border: params.Border{Color: black, Sides: params.Sides{Top: 4, Right: 4, Bottom: 4, Left: 4}}}},
		{"border=4,8000&border-top=10&border-left=0", params.Params{Border: params.Border{Color: params.Color{A: 0x88, Set: true}, Sides: params.Sides{Top: 10, Right: 4, Bottom: 4}}}},
		{"border=2,red&border-radius=8&border-radius-inner=4,4,0,0", params.Params{Border: params.Border{Color: params.Color{R: 255, A: 255, Set: true}, Sides: params.Sides{Top: 2, Right: 2, Bottom: 2, Left: 2},
			Radius: params.Corners{TopLeft: 8, TopRight: 8, BottomRight: 8, BottomLeft: 8, Set: true}, InnerRadius: params.Corners{TopLeft: 4, TopRight: 4, Set: true}}}},
		// Nothing drawn, but the outer radius still rounds the corners.
		{"border=0,000&border-radius=8", params.Params{Border: params.Border{Radius: params.Corners{TopLeft: 8, TopRight: 8, BottomRight: 8, BottomLeft: 8, Set: true}}}},
		{"border=5,transparent&border-radius-inner=3", params.Params{}},
		{"dpi=300", params.Params{DPI: 300}},
		{"dpi=0", params.Params{}},
		{"border=5,000&border-radius=0", params.Params{Border: params.Border{Color: black, Sides: params.Sides{Top: 5, Right: 5, Bottom: 5, Left: 5}}}},
	})
	checkOneError(t, []errorCase{
		{"border=4", "border", `border="4" is not valid; border must be a width in pixels from 0 to 1000 and a colour (` + colorForms + `), separated by a comma, such as 4,000.`},
		{"border=1001,000", "border", `border="1001,000" is not valid; border must be a width in pixels from 0 to 1000 and a colour (` + colorForms + `), separated by a comma, such as 4,000.`},
		{"border=4,nope", "border", `border="4,nope" is not valid; border must be a width in pixels from 0 to 1000 and a colour (` + colorForms + `), separated by a comma, such as 4,000.`},
		{"border-top=4", "border-top", "border-top shapes the border; it needs border."},
		{"border-radius=4", "border-radius", "border-radius shapes the border; it needs border."},
		{"border=1,000&border-radius=1,2", "border-radius", `border-radius="1,2" is not valid; border-radius must be a radius in pixels from 0 to 10000, or four (top left, top right, bottom right, bottom left) separated by commas.`},
	})
}

// hue, sepia, monochrome (mono), px, usm and usmrad: ranges, and the values
// that mean no change parse as the zero Params.
func TestParseQueryStylize(t *testing.T) {
	checkParses(t, []validCase{
		{"hue=90", params.Params{Hue: 90}},
		{"hue=-90", params.Params{Hue: 270}},
		{"hue=360", params.Params{}},
		{"hue=0&sepia=0&px=0&usm=0", params.Params{}},
		{"sepia=80", params.Params{Sepia: 80}},
		{"monochrome=ff8000", params.Params{Monochrome: params.Color{R: 255, G: 128, A: 255, Set: true}}},
		{"mono=%2380ff8000", params.Params{Monochrome: params.Color{R: 255, G: 128, A: 128, Set: true}}},
		{"mono=transparent", params.Params{}},
		{"px=8", params.Params{Pixelate: 8}},
		{"px=1", params.Params{}},
		{"usm=40", params.Params{UnsharpMask: 40}},
		{"exp=-40&vib=%2B25&high=-60&shad=33", params.Params{Exposure: -40, Vibrance: 25, Highlights: -60, Shadows: 33}},
		{"shad=12.5", params.Params{Shadows: 13}},
		{"exp=0&vib=-0&high=-0&shad=0.2&gam=0", params.Params{}},
		{"cs=srgb", params.Params{}},
		{"nr=40", params.Params{Denoise: params.Denoise{Bound: 40, Sharpen: 20, Set: true}}},
		{"nrs=-20", params.Params{Denoise: params.Denoise{Bound: 20, Sharpen: -20, Set: true}}},
		{"nr=0&nrs=-5", params.Params{}},
		{"cs=strip&w=10", params.Params{Width: 10}},
		{"cs=tinysrgb", params.Params{}},
		{"cs=origin", params.Params{}},
		{"gam=100", params.Params{Gamma: 2}},
		{"gam=-100", params.Params{Gamma: 0.5}},
		{"usm=-100&usmrad=10.5", params.Params{UnsharpMask: -100, UnsharpRadius: 10.5}},
		{"usm=40&usmrad=2.5", params.Params{UnsharpMask: 40}},
		{"usm=0&usmrad=4", params.Params{}},
		{"mask=ellipse", params.Params{Mask: params.ShapeEllipse}},
		{"mask=corners", params.Params{Mask: params.ShapeCorners}},
		{"mask=corners&corner-radius=12", params.Params{Mask: params.ShapeCorners, CornerRadius: params.Corners{TopLeft: 12, TopRight: 12, BottomRight: 12, BottomLeft: 12, Set: true}}},
		{"mask=corners&corner-radius=1,2,3,0", params.Params{Mask: params.ShapeCorners, CornerRadius: params.Corners{TopLeft: 1, TopRight: 2, BottomRight: 3, Set: true}}},
		{"mask=ellipse&maskbg=red", params.Params{Mask: params.ShapeEllipse, MaskBackground: params.Color{R: 255, A: 255, Set: true}}},
		{"dl=shoe.jpg", params.Params{Download: true, DownloadName: "shoe.jpg"}},
		{"dl=", params.Params{Download: true}},
		{"dl", params.Params{Download: true}},
		{"dl=%C3%A9t%C3%A9+2.png", params.Params{Download: true, DownloadName: "été 2.png"}},
		{"trim=color&trim-color=fff&trim-tol=20&trim-pad=-2", params.Params{Trim: true, TrimColor: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}, TrimTolerance: 20, TrimToleranceSet: true, TrimPad: -2}},
		{"trim=auto&trimtol=0&trimpad=5", params.Params{Trim: true, TrimToleranceSet: true, TrimPad: 5}},
		{"trim=auto&trim-tol=10", params.Params{Trim: true}},
		{"trim=alpha", params.Params{Trim: true, TrimBy: params.TrimByAlpha}},
		{"trim=colorunlessalpha&trim-pad=3", params.Params{Trim: true, TrimBy: params.TrimByAlphaOrColour, TrimPad: 3}},
		{"trim=auto&trim-md=4.5", params.Params{Trim: true, TrimBy: params.TrimByRows, TrimMeanDiff: 4.5, TrimStdDev: 10}},
		{"trim=auto&trimsd=0&trim-pad=2", params.Params{Trim: true, TrimBy: params.TrimByRows, TrimMeanDiff: 11, TrimPad: 2}},
		{"trim=auto&trim-md=255&trim-sd=30", params.Params{Trim: true, TrimBy: params.TrimByRows, TrimMeanDiff: 255, TrimStdDev: 30}},
	})
	checkOneError(t, []errorCase{
		{"hue=361", "hue", `hue="361" is not valid; hue must be an integer from -360 to 360.`},
		{"sepia=101", "sepia", `sepia="101" is not valid; sepia must be an integer from 0 to 100.`},
		{"px=101", "px", `px="101" is not valid; px must be an integer from 0 to 100.`},
		{"usm=101", "usm", `usm="101" is not valid; usm must be an integer from -100 to 100.`},
		{"exp=-101", "exp", `exp="-101" is not valid; exp must be an integer from -100 to 100.`},
		{"vib=1.5", "vib", `vib="1.5" is not valid; vib must be an integer from -100 to 100.`},
		{"high=5", "high", `high="5" is not valid; high must be an integer from -100 to 0.`},
		{"high=-101", "high", `high="-101" is not valid; high must be an integer from -100 to 0.`},
		{"shad=-1", "shad", `shad="-1" is not valid; shad must be a number from 0 to 100.`},
		{"gam=200", "gam", `gam="200" is not valid; gam must be an integer from -100 to 100.`},
		{"cs=adobergb1998", "cs", `cs="adobergb1998" is not valid (Matte writes sRGB only); cs must be one of srgb, strip, tinysrgb or origin (Matte writes sRGB).`},
		{"nr=101", "nr", `nr="101" is not valid; nr must be an integer from -100 to 100.`},
		{"cs=cmyk", "cs", `cs="cmyk" is not valid; cs must be one of srgb, strip, tinysrgb or origin (Matte writes sRGB).`},
		{"usm=5&usmrad=0", "usmrad", `usmrad="0" is not valid; usmrad must be a number above 0 and up to 500 (the blur's sigma in pixels; default 2.5).`},
		{"usmrad=3", "usmrad", "usmrad is the unsharp mask's radius; it needs usm."},
		{"mono=nope", "mono", `mono="nope" is not valid; mono must be a colour: ` + colorForms + "."},
		{"mono=red&monochrome=red", "mono", "mono and monochrome are the same parameter; give only one of them."},
		{"corner-radius=4", "corner-radius", "corner-radius rounds mask=corners; it needs mask=corners."},
		{"mask=ellipse&corner-radius=4", "corner-radius", "corner-radius rounds mask=corners; it needs mask=corners."},
		{"mask-bg=red", "mask-bg", "mask-bg colours what mask=ellipse or mask=corners cuts away; it needs one of them."},
		{"mask=corners&corner-radius=1,2", "corner-radius", `corner-radius="1,2" is not valid; corner-radius must be a radius in pixels from 0 to 10000, or four (top left, top right, bottom right, bottom left) separated by commas.`},
		{"mask=https://example.com/m.png", "mask", `mask="https://example.com/m.png" is not valid (an image as a mask is not supported); mask must be ellipse or corners (an output mask), or one of 1, true, 0, false (with rembg=1: the matte alone).`},
		{"mask=1", "mask", "mask=1 is a background-removal option; it needs rembg=1 (or bg-remove=true)."},
		{"dl=a/b.jpg", "dl", `dl="a/b.jpg" is not valid; dl must be a file name of 1 to 255 bytes without / or \ or control characters, or nothing (the source's name).`},
		{"dl=..", "dl", `dl=".." is not valid; dl must be a file name of 1 to 255 bytes without / or \ or control characters, or nothing (the source's name).`},
		{"dl=a%0Ab", "dl", `dl="a\nb" is not valid (control character); dl must be a file name of 1 to 255 bytes without / or \ or control characters, or nothing (the source's name).`},
		{"trim=auto&trim-color=red", "trim-color", "trim-color is the colour trim=color cuts away; it needs trim=color."},
		{"trim-pad=3", "trim-pad", "trim-pad shapes trim; it needs trim=auto or trim=color."},
		{"trim=color&trim-md=3", "trim-md", "trim-md is a threshold of trim=auto; it needs trim=auto."},
		{"trim-sd=3", "trim-sd", "trim-sd is a threshold of trim=auto; it needs trim=auto."},
		{"trim=auto&trim-sd=3&trim-tol=5", "trim-tol", "trim-tol is the colour distance of trim=color (and of trim=auto without trim-md and trim-sd); with trim-md or trim-sd it has no part."},
		{"trim=auto&trim-md=256", "trim-md", `trim-md="256" is not valid; trim-md must be a number from 0 to 255 (8-bit levels; imgix's default is 11).`},
		{"trim=auto&trim-sd=-1", "trim-sd", `trim-sd="-1" is not valid; trim-sd must be a number from 0 to 255 (8-bit levels; imgix's default is 10).`},
		{"trim=color&trim-tol=443", "trim-tol", `trim-tol="443" is not valid; trim-tol must be a number from 0 to 442 (a colour distance; Matte's default is 10).`},
		{"dl=a&dl=b", "dl", `dl is given 2 times; give it once, as a file name of 1 to 255 bytes without / or \ or control characters, or nothing (the source's name).`},
	})
}

// mark and its options: defaults (bottom right, 5 px in, opaque), sizes,
// aliases, and the rules between them.
func TestParseQueryWatermark(t *testing.T) {
	mark := func(m params.Watermark) params.Params {
		if m.Align == 0 && m.Pad == 0 {
			m.Align, m.Pad = params.CropBottomRight, 5
		}
		if m.Alpha == 0 {
			m.Alpha = 100
		}
		return params.Params{Watermark: m}
	}
	checkParses(t, []validCase{
		{"mark=/logo.png", mark(params.Watermark{Image: "/logo.png"})},
		{"mark=https://example.com/logo.png", mark(params.Watermark{Image: "https://example.com/logo.png"})},
		{"mark=/l.png&mark-w=0.25&mark-h=40&mark-fit=max", mark(params.Watermark{Image: "/l.png", WidthRatio: 0.25, Height: 40, Fit: params.FitMax})},
		{"mark=/l.png&markscale=20", mark(params.Watermark{Image: "/l.png", Scale: 20})},
		{"mark=/l.png&mark-align=top,left&mark-pad=0", mark(params.Watermark{Image: "/l.png", Align: params.CropTopLeft, Pad: 0})},
		{"mark=/l.png&mark-align=middle,center&mark-pad=10", mark(params.Watermark{Image: "/l.png", Align: params.CropCenter, Pad: 10})},
		{"mark=/l.png&ma=right&mark-pad=5", mark(params.Watermark{Image: "/l.png", Align: params.CropRight, Pad: 5})},
		{"mark=/l.png&mark-align=bottom", mark(params.Watermark{Image: "/l.png", Align: params.CropBottom, Pad: 5})},
		{"mark=/l.png&mark-alpha=40&mark-x=0&my=12", mark(params.Watermark{Image: "/l.png", Alpha: 40, XSet: true, Y: 12, YSet: true})},
		{"mark=/l.png&mark-alpha=0&mark-w=10", params.Params{}},
		{"mark64=L2wucG5n", mark(params.Watermark{Image: "/l.png"})},
		// mark-tile: a grid that starts at the top left unless mark-align
		// says otherwise; mark-pad is then the gap between the marks.
		{"mark=/l.png&mark-tile=grid", mark(params.Watermark{Image: "/l.png", Tile: true, Align: params.CropTopLeft, Pad: 5})},
		{"mark=/l.png&mtile=grid&ma=bottom,right&mp=20", mark(params.Watermark{Image: "/l.png", Tile: true, Align: params.CropBottomRight, Pad: 20})},
		{"mark=/l.png&marktile=grid&mark-pad=0", mark(params.Watermark{Image: "/l.png", Tile: true, Align: params.CropTopLeft})},
		{"mark=/l.png&mark-if-min-width=600&mark-if-min-height=400", mark(params.Watermark{Image: "/l.png", MinWidth: 600, MinHeight: 400})},
		// mark-rot is counter-clockwise (imgix: "rotation is
		// counter-clockwise with 0 (the default) at the top of the
		// watermark image"); Watermark.Rotate clockwise.
		{"mark=/l.png&mark-rot=-45", mark(params.Watermark{Image: "/l.png", Rotate: 45})},
		{"mark=/l.png&mark-rot=30", mark(params.Watermark{Image: "/l.png", Rotate: 330})},
		{"mark=/l.png&mark-rot=-720", mark(params.Watermark{Image: "/l.png"})},
		// mark-base: mark resolved against it as RFC 3986 resolves a reference:
		// a path keeps the base's host, a URL is kept whole.
		{"mark=logo.png&mark-base=https://cdn.example/wm/", mark(params.Watermark{Image: "https://cdn.example/wm/logo.png"})},
		{"mark=v2/logo.png&mb=/assets/wm/", mark(params.Watermark{Image: "/assets/wm/v2/logo.png"})},
		{"mark=../logo.png&markbase=/assets/wm/", mark(params.Watermark{Image: "/assets/logo.png"})},
		{"mark=/l.png&mark-base=https://cdn.example/wm/", mark(params.Watermark{Image: "https://cdn.example/l.png"})},
		{"mark=https://other.example/l.png&mark-base=/assets/", mark(params.Watermark{Image: "https://other.example/l.png"})},
		{"mark=/l.png&mark-rot=360", mark(params.Watermark{Image: "/l.png"})},
	})
	checkOneError(t, []errorCase{
		{"mark-w=10", "mark-w", "mark-w places or shapes the watermark; it needs mark."},
		{"ma=top", "ma", "mark-align places or shapes the watermark; it needs mark."},
		{"mark=/l.png&mark-scale=10&mark-w=5", "mark-scale", "mark-scale sizes the watermark by the output's width; give it or mark-w and mark-h, not both."},
		{"mark=/l.png&mark-fit=crop", "mark-fit", `mark-fit="crop" is not valid (crop is not supported for watermarks); mark-fit must be one of clip, max, scale.`},
		{"mark=/l.png&mark-align=top,bottom", "mark-align", `mark-align="top,bottom" is not valid; mark-align must be one or two of top, middle, bottom (vertical) and left, center, right (horizontal), separated by a comma, such as bottom,right.`},
		{"mark=//evil.example/x.png", "mark", `mark="//evil.example/x.png" is not valid (a path starts with a single /); mark must be an http:// or https:// URL without user info or fragment, or an absolute path starting with a single / without . or .. segments; at most 2048 bytes.`},
		{"mark=/l.png&mark64=L2sucG5n", "mark", "mark and mark64 are the same parameter; give only one of them."},
		{"mark-tile=grid", "mark-tile", "mark-tile places or shapes the watermark; it needs mark."},
		{"mark-rot=30", "mark-rot", "mark-rot places or shapes the watermark; it needs mark."},
		{"mark-base=/wm/", "mark-base", "mark-base places or shapes the watermark; it needs mark."},
		{"mark=/l.png&mark-base=ftp://cdn.example/", "mark-base", `mark-base="ftp://cdn.example/" is not valid; mark-base must be an http:// or https:// URL without user info or fragment, or an absolute path starting with a single / without . or .. segments, that mark is resolved against; at most 2048 bytes.`},
		{"mark=logo.png", "mark", `mark="logo.png" is not valid; mark must be an http:// or https:// URL without user info or fragment, or an absolute path starting with a single / without . or .. segments; at most 2048 bytes.`},
		{"mark=/l.png&mark-rot=x", "mark-rot", `mark-rot="x" is not valid; mark-rot must be an angle in degrees, counter-clockwise, such as 90 or -45.5.`},
		{"mark=/l.png&mark-tile=diagonal", "mark-tile", `mark-tile="diagonal" is not valid; mark-tile must be grid.`},
		{"mark=/l.png&mark-if-min-width=-1", "mark-if-min-width", `mark-if-min-width="-1" is not valid; mark-if-min-width must be an integer from 0 to 100000.`},
	})
}

// txt and its options: imgix's defaults, fonts, aliases, rules.
func TestParseQueryText(t *testing.T) {
	black := params.Color{A: 255, Set: true}
	text := func(tx params.Text) params.Params {
		if tx.Size == 0 {
			tx.Size = 12
		}
		if tx.Color == (params.Color{}) {
			tx.Color = black
		}
		if tx.Font == "" {
			tx.Font = "sans"
		}
		if tx.Align == 0 && tx.Pad == 0 {
			tx.Align, tx.Pad = params.CropBottomRight, 10
		}
		return params.Params{Text: tx}
	}
	checkParses(t, []validCase{
		{"txt=Hello+World", text(params.Text{Text: "Hello World"})},
		{"txt=Sale&tsz=40&tc=fff&txt-font=avenir,bold", text(params.Text{Text: "Sale", Size: 40, Color: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}, Font: "avenir bold"})},
		{"txt=a&txt-font=Futura+Condensed+Medium", text(params.Text{Text: "a", Font: "Futura Condensed Medium"})},
		{"txt=a&txt-font=italic,sans-serif,bold", text(params.Text{Text: "a", Font: "sans bold italic"})},
		{"txt=a&txt-font=Avenir-Black,monospace", text(params.Text{Text: "a", Font: "Avenir Black,monospace"})},
		{"txt=a&txt-align=top,left&txt-pad=0&txt-width=300", text(params.Text{Text: "a", Align: params.CropTopLeft, Width: 300})},
		{"txt=a&txt-x=5&txt-y=0", text(params.Text{Text: "a", X: 5, XSet: true, YSet: true})},
		{"txt64=5L2g5aW9", text(params.Text{Text: "你好"})},
		// txt-line: a white outline unless txt-line-color says otherwise.
		{"txt=a&txt-line=2", text(params.Text{Text: "a", Outline: 2, OutlineColor: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}})},
		{"txt=a&tl=3&txtlineclr=f00", text(params.Text{Text: "a", Outline: 3, OutlineColor: params.Color{R: 255, A: 255, Set: true}})},
		{"txt=a&txt-line=0", text(params.Text{Text: "a"})},
		{"txt=a&txt-shad=2.5", text(params.Text{Text: "a", Shadow: 2.5})},
		{"txt=a&tsh=10", text(params.Text{Text: "a", Shadow: 10})},
		{"txt=a&txtshad=0", text(params.Text{Text: "a"})},
		{"txt=a&txt-fit=max", text(params.Text{Text: "a", Fit: true})},
		{"txt=a&txt-clip=start", text(params.Text{Text: "a", Clip: params.TextClipStart})},
		{"txt=a&tcl=ellipsis", text(params.Text{Text: "a", Clip: params.TextClipEnd, Ellipsis: true})},
		{"txt=a&txtclip=ellipsis,middle&txtfit=max", text(params.Text{Text: "a", Clip: params.TextClipMiddle, Ellipsis: true, Fit: true})},
	})
	checkOneError(t, []errorCase{
		{"txt-size=20", "txt-size", "txt-size shapes the text; it needs txt."},
		{"tc=red", "tc", "txt-color shapes the text; it needs txt."},
		{"txt=a%0Ab", "txt", `txt="a\nb" is not valid (control character); txt must be a line of text of 1 to 500 bytes of UTF-8 without control characters (write it Base64-encoded as txt64 when it is awkward in a URL).`},
		{"txt=a&txt-font=%3Cb%3E", "txt-font", `txt-font="<b>" is not valid; txt-font must be a font: up to 4 names or generic families (sans-serif, serif, monospace, cursive, fantasy) and the styles bold and italic, separated by commas, such as avenir,bold; letters, digits, spaces and - only.`},
		// A name of hyphens alone names no font (found by FuzzParseQuery).
		{"txt=0&tf=-", "tf", `tf="-" is not valid; tf must be a font: up to 4 names or generic families (sans-serif, serif, monospace, cursive, fantasy) and the styles bold and italic, separated by commas, such as avenir,bold; letters, digits, spaces and - only.`},
		{"txt=a&txt-size=1001", "txt-size", `txt-size="1001" is not valid; txt-size must be an integer from 1 to 1000.`},
		{"txt-line=2", "txt-line", "txt-line shapes the text; it needs txt."},
		{"txt=a&txt-line-color=f00", "txt-line-color", "txt-line-color colours the text's outline; it needs txt-line."},
		{"txt=a&txt-line=21", "txt-line", `txt-line="21" is not valid; txt-line must be an integer from 0 to 20.`},
		{"txt=a&txt-clip=start,end", "txt-clip", `txt-clip="start,end" is not valid; txt-clip must be start, middle or end, and/or ellipsis, joined by a comma (end,ellipsis).`},
		{"txt=a&txt-clip=ellipsis,ellipsis", "txt-clip", `txt-clip="ellipsis,ellipsis" is not valid; txt-clip must be start, middle or end, and/or ellipsis, joined by a comma (end,ellipsis).`},
		{"txt=a&txt-clip=none", "txt-clip", `txt-clip="none" is not valid; txt-clip must be start, middle or end, and/or ellipsis, joined by a comma (end,ellipsis).`},
		{"txt=a&txt-fit=wrap", "txt-fit", `txt-fit="wrap" is not valid; txt-fit must be max.`},
		{"txt-fit=max", "txt-fit", "txt-fit shapes the text; it needs txt."},
		{"txt-shad=2", "txt-shad", "txt-shad shapes the text; it needs txt."},
		{"txt=a&tsh=10.5", "tsh", `tsh="10.5" is not valid; tsh must be a number from 0 to 10.`},
	})
}

// blend and blend-color (colours only), blend-mode, blend-alpha.
func TestParseQueryChroma(t *testing.T) {
	checkParses(t, []validCase{
		{"chromasub=444", params.Params{Chroma: 444}},
		{"chromasub=420&fm=jpg", params.Params{Chroma: 420, Format: params.FormatJPEG}},
	})
	checkOneError(t, []errorCase{
		{"chromasub=422", "chromasub", `chromasub="422" is not valid (libvips writes 4:4:4 or 4:2:0); chromasub must be 444 or 420 (4:2:2 is not written).`},
		{"chromasub=411", "chromasub", `chromasub="411" is not valid; chromasub must be 444 or 420 (4:2:2 is not written).`},
	})
}

func TestParseQueryBlend(t *testing.T) {
	red := params.Color{R: 255, A: 255, Set: true}
	checkParses(t, []validCase{
		{"blend=ff0000", params.Params{Blend: params.Blend{Color: red, Mode: params.BlendOverlay, Alpha: 100}}},
		{"blend-color=red&blend-mode=multiply&blend-alpha=50", params.Params{Blend: params.Blend{Color: red, Mode: params.BlendMultiply, Alpha: 50}}},
		{"blendclr=red&bm=normal&balph=1", params.Params{Blend: params.Blend{Color: red, Mode: params.BlendNormal, Alpha: 1}}},
		{"blend=red&blend-alpha=0", params.Params{}},
		{"blend=transparent&blend-mode=screen", params.Params{}},
	})
	checkOneError(t, []errorCase{
		{"blend=https://example.com/b.png", "blend", `blend="https://example.com/b.png" is not valid (an image as a blend is not supported); blend must be a colour: ` + colorForms + " (an image URL as a blend is not supported; mark draws an image over the output)."},
		{"blend=red&blend-mode=hue", "blend-mode", `blend-mode="hue" is not valid (hue is not supported); blend-mode must be one of normal, multiply, screen, overlay, darken, lighten, dodge, burn, hardlight, softlight, difference, exclusion.`},
		{"blend-alpha=5", "blend-alpha", "blend-alpha shapes the blend; it needs blend."},
	})
	_, err := mustParseQuery(t, "blend=red&blend-color=blue")
	if list := params.AsErrors(err); len(list) != 2 || list[0].Field != "blend" || list[1].Field != "blend-color" {
		t.Errorf("blend with blend-color: %v, want an error on each", err)
	}
}

// validCase is a query and the Params it parses to.
type validCase struct {
	query string
	want  params.Params
}

func checkParses(t *testing.T, cases []validCase) {
	t.Helper()
	for _, tt := range cases {
		got, err := mustParseQuery(t, tt.query)
		if err != nil || got != tt.want {
			t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", tt.query, got, err, tt.want)
		}
	}
}

// errorCase is a query with exactly one bad field, and its whole detail.
type errorCase struct{ query, field, detail string }

func checkOneError(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tt := range cases {
		_, err := mustParseQuery(t, tt.query)
		var list params.Errors
		if !errors.As(err, &list) || len(list) != 1 || list[0].Field != tt.field || list[0].Detail != tt.detail {
			t.Errorf("ParseQuery(%q) = %v; want one error on %s: %s", tt.query, err, tt.field, tt.detail)
		}
	}
}
