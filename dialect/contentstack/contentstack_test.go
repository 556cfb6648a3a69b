package contentstack

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "contentstack" {
		t.Fatal(New().Name())
	}
}

// owl is the asset of Contentstack's documented examples.
const owl = "/v3/assets/blteae40eb499811073/bltc5064f36b5855343/59e0c41ac0eddd140d5a8e3e/owl.jpg"

func TestParseValid(t *testing.T) {
	grey := params.Color{R: 0xcc, G: 0xcc, B: 0xcc, A: 255, Set: true}
	green := params.Color{G: 255, A: 255, Set: true}
	halfGreen := params.Color{G: 255, A: 128, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// Contentstack's own examples (Image Delivery API, Making a Request).
		{owl + "?width=100", owl, "", params.Params{Width: 100}},
		{owl + "?width=500&height=550&resize-filter=nearest", owl, "", params.Params{Width: 500, Height: 550, Fit: params.FitScale, Kernel: params.KernelNearest}},
		// environment is Contentstack's, not an image option: it goes with the source.
		{owl + "?environment=production&width=300&height=400&fit=bounds", owl, "environment=production", params.Params{Width: 300, Height: 400}},
		{owl + "?width=300&height=400&fit=crop", owl, "", params.Params{Width: 300, Height: 400, Fit: params.FitCrop}},
		// Contentstack's Fit Mode page: cover fills "the entire area defined
		// by the width and height parameters" and "will be cropped
		// centrally to fit", as crop does (not Fastly IO's uncropped cover).
		{owl + "?width=300&height=400&fit=cover", owl, "", params.Params{Width: 300, Height: 400, Fit: params.FitCrop}},
		{owl + "?width=300&height=400&fit=crop&disable=upscale", owl, "", params.Params{Width: 300, Height: 400, Fit: params.FitMin}},
		{owl + "?width=300&height=400&fit=bounds&disable=upscale", owl, "", params.Params{Width: 300, Height: 400, Fit: params.FitMax}},
		{owl + "?width=300&height=400&fit=cover&disable=upscale", owl, "", params.Params{Width: 300, Height: 400, Fit: params.FitMin}},
		{owl + "?height=300&fit=crop&disable=upscale", owl, "", params.Params{Height: 300, Fit: params.FitMax}},
		// Parts of the side: 0.5 and 50p are the same.
		{owl + "?width=0.5", owl, "", params.Params{WidthRatio: 0.5}},
		{owl + "?width=50p", owl, "", params.Params{WidthRatio: 0.5}},
		// crop: W,H centred (pixels, parts or both), W,H,xX,yY, W:H.
		{owl + "?crop=300,400", owl, "", params.Params{Region: params.Region{W: 300, H: 400}}},
		{owl + "?crop=0.50,0.60", owl, "", params.Params{Region: params.Region{WRatio: 0.5, HRatio: 0.6}}},
		{owl + "?crop=300,0.60", owl, "", params.Params{Region: params.Region{W: 300, HRatio: 0.6}}},
		{owl + "?crop=50p,100p", owl, "", params.Params{Region: params.Region{WRatio: 0.5}}},
		{owl + "?crop=300,400,x150,y75", owl, "", params.Params{Rect: params.Rect{X: 150, Y: 75, W: 300, H: 400}}},
		{owl + "?crop=1:3", owl, "", params.Params{Fit: params.FitCrop, AspectRatio: 1.0 / 3}},
		{owl + "?crop=4:3&width=400", owl, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{owl + "?crop=4:3&height=300&disable=upscale", owl, "", params.Params{Width: 400, Height: 300, Fit: params.FitMin}},
		// trim and pad: CSS's shorthand.
		{owl + "?trim=25,50,75,100", owl, "", params.Params{Region: params.Region{Cut: params.Sides{Top: 25, Right: 50, Bottom: 75, Left: 100}}}},
		{owl + "?trim=25,50,75", owl, "", params.Params{Region: params.Region{Cut: params.Sides{Top: 25, Right: 50, Bottom: 75, Left: 50}}}},
		{owl + "?trim=50,100", owl, "", params.Params{Region: params.Region{Cut: params.Sides{Top: 50, Right: 100, Bottom: 50, Left: 100}}}},
		{owl + "?trim=50", owl, "", params.Params{Region: params.Region{Cut: params.Sides{Top: 50, Right: 50, Bottom: 50, Left: 50}}}},
		{owl + "?pad=25,50,75,100&bg-color=cccccc", owl, "", params.Params{Padding: params.Sides{Top: 25, Right: 50, Bottom: 75, Left: 100}, Background: grey}},
		{owl + "?pad=25&bg-color=0,255,0", owl, "", params.Params{Pad: 25, Background: green}},
		{owl + "?bg-color=0,255,0,0.5", owl, "", params.Params{Background: halfGreen}},
		{owl + "?bg-color=0f0", owl, "", params.Params{Background: green}},
		// orient: EXIF's numbers on the image as shown.
		{owl + "?orient=1", owl, "", params.Params{}},
		{owl + "?orient=2", owl, "", params.Params{Flip: params.FlipH}},
		{owl + "?orient=3", owl, "", params.Params{Rotate: 180}},
		{owl + "?orient=4", owl, "", params.Params{Flip: params.FlipV}},
		{owl + "?orient=5", owl, "", params.Params{Rotate: 90, Flip: params.FlipH}},
		{owl + "?orient=6", owl, "", params.Params{Rotate: 90}},
		{owl + "?orient=7", owl, "", params.Params{Rotate: 270, Flip: params.FlipH}},
		{owl + "?orient=8", owl, "", params.Params{Rotate: 270}},
		// dpr multiplies a size; without one it changes nothing.
		{owl + "?width=300&dpr=2", owl, "", params.Params{Width: 300, DPR: 2, Fit: params.FitClip}},
		{owl + "?dpr=2", owl, "", params.Params{}},
		{owl + "?quality=85&format=pjpg", owl, "", params.Params{Quality: 85, Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{owl + "?format=webpll", owl, "", params.Params{Format: params.FormatWebP, Lossless: true}},
		{owl + "?format=webply", owl, "", params.Params{Format: params.FormatWebP}},
		{owl + "?format=gif", owl, "", params.Params{Format: params.FormatGIF}},
		{owl + "?format=avif", owl, "", params.Params{Format: params.FormatAVIF}},
		{owl + "?format=auto", owl, "", params.Params{AutoFormat: true}},
		{owl + "?auto=webp", owl, "", params.Params{AutoFormat: true}},
		{owl + "?auto=avif", owl, "", params.Params{AutoFormat: true}},
		// With format, format wins.
		{owl + "?auto=webp&format=pjpg", owl, "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{owl + "?blur=40", owl, "", params.Params{Blur: 400}},
		{owl + "?saturation=-100&contrast=20&brightness=-5", owl, "", params.Params{Saturation: -100, Contrast: 20, Brightness: -5}},
		// Decimals are documented; Matte's scale is whole steps.
		{owl + "?saturation=-99.5&contrast=20.25&brightness=100.00", owl, "", params.Params{Saturation: -100, Contrast: 20, Brightness: 100}},
		{owl + "?frame=1&resize-filter=bicubic", owl, "", params.Params{Frames: params.FramesFirst, Kernel: params.KernelCubic}},
		{owl + "?resize-filter=lanczos3", owl, "", params.Params{}},
		// The academy's shorter form: api_key/asset_uid/file_name.
		{"/v3/assets/blt1/blt2/big%20ring.jpg?width=10&v=2", "/v3/assets/blt1/blt2/big ring.jpg", "v=2", params.Params{Width: 10}},
	})
}

// The fields are the options Contentstack documents, and path where the
// URL's path is wrong.
func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{owl + "?width=0", []string{"width"}, "width must be pixels from 1 to 8192"},
		{owl + "?width=8193&height=-1", []string{"width", "height"}, "from 1 to 8192"},
		{owl + "?width=250p", []string{"width"}, "below 100"},
		{owl + "?width=", []string{"width"}, "width is empty"},
		{owl + "?height=1&height=2", []string{"height"}, "given 2 times"},
		{owl + "?width=1&height=1&fit=fill", []string{"fit"}, "one of bounds, crop, cover"},
		{owl + "?disable=crop", []string{"disable"}, "disable must be upscale"},
		{owl + "?width=10&height=10&disable=upscale", []string{"disable"}, "give fit=bounds"},
		{owl + "?crop=300,400,x0.50,y0.60", []string{"crop"}, "whole pixels"},
		{owl + "?crop=300,400,offset-x10.5,offset-y62.5", []string{"crop"}, "offset-x"},
		{owl + "?crop=300,400,smart", []string{"crop"}, "smart"},
		{owl + "?crop=3:4&width=300&height=400", []string{"crop"}, "at most one of width and height"},
		{owl + "?crop=3", []string{"crop"}, "W,H (pixels"},
		{owl + "?crop=10,10&trim=5", []string{"trim"}, "trim and crop"},
		{owl + "?trim=1,2,3,4,5", []string{"trim"}, "1 to 4"},
		{owl + "?pad=0.1", []string{"pad"}, "pixel counts"},
		{owl + "?bg-color=%23ccc", []string{"bg-color"}, "hex colour"},
		{owl + "?bg-color=red", []string{"bg-color"}, "hex colour"},
		{owl + "?bg-color=0,256,0", []string{"bg-color"}, "r,g,b"},
		{owl + "?bg-color=0,255,0,2", []string{"bg-color"}, "alpha 0-1"},
		{owl + "?orient=9", []string{"orient"}, "from 1 to 8"},
		{owl + "?orient=r", []string{"orient"}, "from 1 to 8"},
		{owl + "?dpr=6&width=1", []string{"dpr"}, "from 1 to 5"},
		{owl + "?resize-filter=lanczos", []string{"resize-filter"}, "lanczos3"},
		{owl + "?quality=0", []string{"quality"}, "from 1 to 100"},
		{owl + "?format=tiff", []string{"format"}, "webpll"},
		{owl + "?auto=jxl", []string{"auto"}, "auto must be webp or avif"},
		{owl + "?blur=1000", []string{"blur"}, "from 1 to 200"},
		{owl + "?saturation=101&contrast=x&brightness=-100.5", []string{"saturation", "contrast", "brightness"}, "from -100 to 100"},
		{owl + "?frame=2", []string{"frame"}, "first frame"},
		{owl + "?sharpen=a5,r2,t1", []string{"sharpen"}, "not a Contentstack option Matte supports"},
		{owl + "?overlay-pad=10", []string{"overlay-pad"}, "not a Contentstack option Matte supports"},
		{owl + "?canvas=300,400&overlay=/v3/assets/a/b/c.png&width=x", []string{"canvas", "overlay", "width"}, "is not"},
		{"/v3/assets/blt1/owl.jpg", []string{"path"}, "names no asset"},
		{"/v3/assets/", []string{"path"}, "names no asset"},
		{"/v3/assets/a/b/c/", []string{"path"}, "names no asset"},
		{"/v3/assets/a/../b/c.jpg", []string{"path"}, ". or .."},
		{"/v3/assets/a/b/c%00.jpg", []string{"path"}, "not a path on this site"},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{owl + "?width=%zz", []string{"query"}, "not validly escaped"},
		{owl + "?width=100;height=50", []string{"query"}, "does not separate parameters"},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?width=10", "/v3/assets", "/v3/asset/a/b/c.jpg", "/x/v3/assets/a/b/c.jpg", "/V3/assets/a/b/c.jpg", "/")
}

// The URLs unpic's contentstack provider built (test/clients/builders)
// parse to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/v3/assets/blt0123456789abcdef/blt0123456789abcde/64f5a3c2d1b0e9f8a7c6b5d4/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "?width=400&height=300&fit=crop&auto=webp&disable=upscale": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitMin, AutoFormat: true}},
		src + "?width=200&height=150&fit=crop&auto=webp&disable=upscale": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitMin, AutoFormat: true}},
		// With format, format wins over auto=webp.
		src + "?width=320&format=png&auto=webp&disable=upscale": {Source: src, Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "contentstack", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a/b/c/owl.jpg?width=500&height=600&fit=crop&disable=upscale&auto=webp", "a/b/c.jpg?crop=300,400,x150,y75&pad=1,2&bg-color=0,255,0,0.5",
		"a/b/c.jpg?crop=4:3&width=0.5&dpr=2&orient=7", "a/b/c.jpg?trim=1,2,3&blur=1.5&format=webpll", "", "../a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		got, ok := urltest.FuzzClaimed(t, New(), Prefix+tail, func(f string) bool { return f == "path" || known(f) })
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.DPR != 0 && (p.DPR < 1 || p.DPR > 5) || p.Blur > 2000 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, Prefix) || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		owl + "?crop=300,400,x150,y75": {"crop", ""},
		owl + "?pad=25,50,75,100":      {"", "pad"},
	})
}
