package storyblok

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "storyblok" {
		t.Fatal(New().Name())
	}
}

const asset = "/f/39898/3310x2192/e4ec08624e/demo-image.jpeg"

func TestParseValid(t *testing.T) {
	red := params.Color{R: 255, A: 255, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// Storyblok's documented forms: a size crops to it, 0 keeps the ratio.
		{asset + "/m/500x300", asset, "", params.Params{Width: 500, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		{asset + "/m/500x0", asset, "", params.Params{Width: 500, AutoFormat: true}},
		{asset + "/m/0x300/", asset, "", params.Params{Height: 300, AutoFormat: true}},
		// /m/ alone: WebP (here AVIF or WebP) by Accept.
		{asset + "/m/", asset, "", params.Params{AutoFormat: true}},
		{asset + "/m", asset, "", params.Params{AutoFormat: true}},
		{asset + "/m/fit-in/500x300/filters:fill(ff0000)", asset, "", params.Params{Width: 500, Height: 300, Fit: params.FitFillMax, Background: red, AutoFormat: true}},
		// fit-in does not enlarge, as in Thumbor (Storyblok's service).
		{asset + "/m/fit-in/500x300", asset, "", params.Params{Width: 500, Height: 300, Fit: params.FitMax, AutoFormat: true}},
		// smart: "a focal point via face detection" (Storyblok's Crop page); attention where no face is found.
		{asset + "/m/500x300/smart", asset, "", params.Params{Width: 500, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}, AutoFormat: true}},
		{asset + "/m/-500x300", asset, "", params.Params{Width: 500, Height: 300, Fit: params.FitCrop, Flip: params.FlipH, AutoFormat: true}},
		{asset + "/m/10x20:110x220/50x0", asset, "", params.Params{Width: 50, Rect: params.Rect{X: 10, Y: 20, W: 100, H: 200}, AutoFormat: true}},
		{asset + "/m/500x300/filters:format(webp):quality(80)", asset, "", params.Params{Width: 500, Height: 300, Fit: params.FitCrop, Format: params.FormatWebP, Quality: 80}},
		{asset + "/m/filters:format(png)", asset, "", params.Params{Format: params.FormatPNG}},
		{asset + "/m/filters:grayscale():blur(3):rotate(90):brightness(10)", asset, "", params.Params{Saturation: -100, Blur: 30, Rotate: 270, Brightness: 10, AutoFormat: true}},
		{"/f/1/a%20b.png/m/10x10?v=2", "/f/1/a b.png", "v=2", params.Params{Width: 10, Height: 10, Fit: params.FitCrop, AutoFormat: true}},
	})
}

// The fields are Thumbor's filters as Storyblok spells them
// (filters:<name>), and path for an option Matte does not read there.
func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{asset + "/m/filters:round_corner(5)", []string{"filters:round_corner"}, "not a Storyblok filter Matte supports"},
		{asset + "/m/filters:format(webp):no_upscale()", []string{"filters:no_upscale"}, "not a Storyblok filter Matte supports"},
		{asset + "/m/filters:watermark(a.png,0,0,0)", []string{"filters:watermark"}, "not a Storyblok filter"},
		{asset + "/m/filters:quality(101)", []string{"filters:quality"}, ""},
		{asset + "/m/filters:format(bmp)", []string{"filters:format"}, ""},
		{asset + "/m/filters:rotate(45)", []string{"filters:rotate"}, ""},
		{asset + "/m/400x300/fit-in", []string{"path"}, "out of order"},
		{asset + "/m/400x300/400x300", []string{"path"}, "out of order"},
		{asset + "/m/filters:quality(8)/400x300", []string{"path"}, "filters must come last"},
		{asset + "/m/trim/400x300", []string{"path"}, "not a Storyblok image option"},
		{asset + "/m/left/400x300", []string{"path"}, "not a Storyblok image option"},
		{"/f/m/10x10", []string{"path"}, "names no asset"},
		{"/f/1/../a.jpg/m/10x10", []string{"path"}, ". or .."},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg", asset, asset+"/mm/10x10", "/x/f/1/a.jpg/m/10x10", "/F/1/a.jpg/m/", "/")
}

// The URLs unpic's storyblok provider built (test/clients/builders) parse
// to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/f/39898/1200x900/e4ec08624e/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "/m/400x300":                   {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		src + "/m/200x150":                   {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, AutoFormat: true}},
		src + "/m/320x0/filters:format(png)": {Source: src, Params: params.Params{Width: 320, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "storyblok", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"10x10:20x20/fit-in/-30x0/smart/filters:format(webp):quality(80):fill(fff):focal(1x1:2x2):grayscale():blur(2):rotate(90):brightness(5)",
		"500x300", "filters:round_corner(1)", "", "/", "x/../y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		got, ok := urltest.FuzzClaimed(t, New(), asset+"/m/"+tail, func(f string) bool { return f != "" })
		if !ok {
			return
		}
		if !strings.HasPrefix(got.Source, "/f/") || got.Remote() || got.Params.Width < 0 || got.Params.Height < 0 {
			t.Fatalf("%+v", got)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		asset + "/m/10x20:110x220/50x0": {"crop", ""},
	})
}
