package wordpress

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "wordpress" {
		t.Fatal(New().Name())
	}
}

// img is VIP's documentation image.
const img = "/wp-content/uploads/sites/2/2021/02/VIP-Team-2020.jpg"

var black = params.Color{A: 255, Set: true}

// lumaGrey is the monochrome colour of grayscale: each pixel its luma.
var lumaGrey = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}

func TestParseValid(t *testing.T) {
	urltest.CheckValid(t, New(), []urltest.Valid{
		// VIP's examples: w=600; fit=500,500&w=400 (each bound kept).
		{img + "?w=600", img, "", params.Params{Width: 600, Fit: params.FitMax}},
		{img + "?fit=500,500&w=400", img, "", params.Params{Width: 400, Height: 500, Fit: params.FitMax}},
		{img + "?w=400&fit=500,300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		// Photon's: w=300, w=15%, h=200, h=20%.
		{img + "?w=300", img, "", params.Params{Width: 300, Fit: params.FitMax}},
		{img + "?w=15%25", img, "", params.Params{WidthRatio: 0.15, Fit: params.FitMax}},
		{img + "?h=200", img, "", params.Params{Height: 200, Fit: params.FitMax}},
		{img + "?h=20%25", img, "", params.Params{HeightRatio: 0.2, Fit: params.FitMax}},
		{img + "?w=100%25", img, "", params.Params{Fit: params.FitMax}},
		// Both sides: inside the box; crop=1 (unpic) cuts the centre.
		{img + "?w=400&h=300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{img + "?w=400&h=300&crop=1", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{img + "?crop=1&w=400&h=300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{img + "?w=400&crop=1", img, "", params.Params{Width: 400, Fit: params.FitMax}},
		{img + "?w=400&h=300&crop=0", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		// Photon's crop examples: percentages (the region centred where
		// its corner puts it) and pixels.
		{img + "?crop=12,25,60,60", img, "", params.Params{Region: params.Region{WRatio: 0.6, HRatio: 0.6, Focus: params.Focus{X: 0.42, Y: 0.55, Set: true}}}},
		{img + "?crop=0,0,100,50", img, "", params.Params{Region: params.Region{HRatio: 0.5, Focus: params.Focus{X: 0.5, Y: 0.25, Set: true}}}},
		{img + "?crop=0,0,100,100", img, "", params.Params{}},
		{img + "?crop=160px,160px,788px,788px&w=300", img, "", params.Params{Rect: params.Rect{X: 160, Y: 160, W: 788, H: 788}, Width: 300, Fit: params.FitMax}},
		// resize covers and cuts; lb pads with black.
		{img + "?resize=400,220", img, "", params.Params{Width: 400, Height: 220, Fit: params.FitCrop}},
		{img + "?resize=400%2C220&ssl=1", img, "ssl=1", params.Params{Width: 400, Height: 220, Fit: params.FitCrop}},
		{img + "?lb=540,405", img, "", params.Params{Width: 540, Height: 405, Fit: params.FitFillMax, FillColor: black}},
		// zoom is dpr, in Photon's steps; lb keeps its box.
		{img + "?w=300&zoom=2", img, "", params.Params{Width: 300, Fit: params.FitMax, DPR: 2}},
		{img + "?zoom=1.2&resize=300,200", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, DPR: 1.5}},
		{img + "?w=300&zoom=2.1", img, "", params.Params{Width: 300, Fit: params.FitMax, DPR: 3}},
		{img + "?w=300&zoom=4.5", img, "", params.Params{Width: 300, Fit: params.FitMax, DPR: 5}},
		{img + "?w=300&zoom=0.5", img, "", params.Params{Width: 300, Fit: params.FitMax}},
		{img + "?lb=540,405&zoom=2", img, "", params.Params{Width: 540, Height: 405, Fit: params.FitFillMax, FillColor: black}},
		{img + "?zoom=2", img, "", params.Params{}},
		{img + "?quality=80&strip=all", img, "", params.Params{Quality: 80}},
		{img + "?strip=info&v=3", img, "v=3", params.Params{}},
		{img + "?strip=color", img, "", params.Params{}},
		// An option given twice with one value is that value.
		{img + "?w=200&w=200", img, "", params.Params{Width: 200, Fit: params.FitMax}},
		// Filters.
		{img + "?filter=negate", img, "", params.Params{Invert: true}},
		{img + "?filter=grayscale", img, "", params.Params{Monochrome: lumaGrey}},
		{img + "?filter=greyscale", img, "", params.Params{Monochrome: lumaGrey}},
		// sepia: grey, then +90, +60, +40 (35, 24 and 16 steps of 2.55).
		{img + "?filter=sepia", img, "", params.Params{Monochrome: lumaGrey, ChannelShift: [3]int{35, 24, 16}}},
		{img + "?w=200&filter=blurgaussian", img, "", params.Params{Width: 200, Fit: params.FitMax, Convolution: params.Convolution{Columns: 3, Weights: "1;2;1;2;4;2;1;2;1", Normalize: true}}},
		{img + "?filter=meanremoval", img, "", params.Params{Convolution: params.Convolution{Columns: 3, Weights: "-1;-1;-1;-1;9;-1;-1;-1;-1"}}},
		{img + "?smooth=2.5", img, "", params.Params{Convolution: params.Convolution{Columns: 3, Weights: "1;1;1;1;2.5;1;1;1;1", Normalize: true}}},
		// brightness and colorize add to the levels, in steps of 2.55.
		{img + "?brightness=51", img, "", params.Params{ChannelShift: [3]int{20, 20, 20}}},
		{img + "?brightness=-255", img, "", params.Params{ChannelShift: [3]int{-100, -100, -100}}},
		{img + "?colorize=255,0,-51", img, "", params.Params{ChannelShift: [3]int{100, 0, -20}}},
		{img + "?brightness=255&colorize=255,0,0", img, "", params.Params{ChannelShift: [3]int{100, 100, 100}}},
		// contrast: GD's factor ((100+c)/100)².
		{img + "?contrast=20", img, "", params.Params{Contrast: 44}},
		{img + "?contrast=-100", img, "", params.Params{Contrast: -100}},
		{img + "?contrast=41", img, "", params.Params{Contrast: 99}},
		// A shift before contrast is scaled by it; one after negate negated.
		{img + "?brightness=51&contrast=20", img, "", params.Params{Contrast: 44, ChannelShift: [3]int{29, 29, 29}}},
		{img + "?contrast=20&brightness=51", img, "", params.Params{Contrast: 44, ChannelShift: [3]int{20, 20, 20}}},
		{img + "?filter=negate&brightness=51", img, "", params.Params{Invert: true, ChannelShift: [3]int{-20, -20, -20}}},
		{img + "?brightness=51&filter=negate", img, "", params.Params{Invert: true, ChannelShift: [3]int{20, 20, 20}}},
		{img + "?filter=grayscale&colorize=51,0,0", img, "", params.Params{Monochrome: lumaGrey, ChannelShift: [3]int{20, 0, 0}}},
		// Any other query goes with the source.
		{img + "?w=100&ver=6.4", img, "ver=6.4", params.Params{Width: 100, Fit: params.FitMax}},
	})
}

// The fields are Photon's options, and path where the path is wrong.
func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{img + "?w=0", []string{"w"}, "w must be pixels from 1 to 100000"},
		// Photon lets the last of two values win; Matte refuses the pair, as
		// its other dialects do: by place, either could win, two images
		// under one signature that covers the pairs, not their order.
		{img + "?w=100&w=200", []string{"w"}, "w is given 2 times with different values; give it once"},
		{img + "?w=1.5&h=-1", []string{"w", "h"}, "or a percentage"},
		{img + "?w=0%25", []string{"w"}, "is not valid"},
		{img + "?h=101%25", []string{"h"}, "is not valid"},
		{img + "?w=", []string{"w"}, "w is empty"},
		// VIP's example crops in pixels of the 800-wide image: Matte cuts
		// before it resizes.
		{img + "?w=800&crop=100px,60px,450px,400px&resize=200,200&filter=sepia", []string{"crop", "resize"}, "Matte "},
		{img + "?w=800&crop=100px,60px,450px,400px", []string{"crop"}, "crop=\"100px,60px,450px,400px\" comes after w: Matte cuts the region before it resizes; put crop first"},
		{img + "?crop=160px,25,1400px,60", []string{"crop"}, "mixes pixels and percentages"},
		{img + "?crop=1,2,3", []string{"crop"}, "x,y,w,h"},
		{img + "?crop=0,0,0,10", []string{"crop"}, "empty region"},
		{img + "?crop=50,0,60,10", []string{"crop"}, "reaches past the image"},
		{img + "?crop=0,0,101,10", []string{"crop"}, "is not valid"},
		{img + "?resize=400", []string{"resize"}, "width,height in pixels"},
		{img + "?resize=0,10", []string{"resize"}, "is not valid"},
		{img + "?fit=10,10,10", []string{"fit"}, "is not valid"},
		{img + "?lb=10,10,ff0000", []string{"lb"}, "is not valid"},
		{img + "?resize=10,10&w=5", []string{"w"}, "Matte resizes once"},
		{img + "?w=5&lb=10,10", []string{"lb"}, "resizes again after w"},
		{img + "?w=50%25&fit=10,10", []string{"fit"}, "percentage"},
		{img + "?fit=10,10&h=50%25", []string{"h"}, "percentage"},
		{img + "?ulb=true", []string{"ulb"}, "top and bottom only"},
		{img + "?zoom=6", []string{"zoom"}, "up to 5"},
		{img + "?zoom=5.5", []string{"zoom"}, "Photon's zoom 6"},
		{img + "?w=1&zoom=x", []string{"zoom"}, "is not valid"},
		{img + "?quality=0", []string{"quality"}, "an integer from 1 to 100"},
		{img + "?strip=exif", []string{"strip"}, "one of info, color, all"},
		{img + "?filter=emboss", []string{"filter"}, "not a Photon filter Matte supports"},
		{img + "?filter=edgedetect", []string{"filter"}, "not a Photon filter Matte supports"},
		{img + "?filter=blurselective", []string{"filter"}, "not a Photon filter Matte supports"},
		{img + "?filter=blur", []string{"filter"}, "is not valid"},
		{img + "?filter=blurgaussian&w=10", []string{"filter"}, "put filter after w"},
		{img + "?smooth=3&filter=blurgaussian", []string{"filter"}, "second kernel"},
		{img + "?smooth=101", []string{"smooth"}, "from 0 to 100"},
		{img + "?brightness=256", []string{"brightness"}, "from -255 to 255"},
		{img + "?contrast=42", []string{"contrast"}, "Photon's 41"},
		{img + "?colorize=1,2", []string{"colorize"}, "red,green,blue"},
		{img + "?colorize=1,2,x", []string{"colorize"}, "red,green,blue"},
		{img + "?colorize=10,0,0&filter=sepia", []string{"filter"}, "grey before it colours"},
		{img + "?w=%zz", []string{"w"}, "is not valid"},
		{"/wp-content/uploads/?w=10", []string{"path"}, "names no file"},
		{"/wp-content/uploads/2024/?w=10", []string{"path"}, "names no file"},
		{"/wp-content/uploads/a/../b.jpg?w=10", []string{"path"}, ". or .."},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), img, img+"?ver=6.4&ssl=1", "/img/a.jpg?w=10", "/files/2012/06/a.jpg?w=300",
		"/wp-content/uploadsx/a.jpg?w=1", "/x/wp-content/uploads/a.jpg?w=1", "/wp-content/themes/a.jpg?w=1", "/")
}

// The URLs unpic's wordpress provider built (test/clients/builders) parse
// to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/wp-content/uploads/2024/01/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "?w=400&h=300&crop=1": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		src + "?w=320&crop=1":       {Source: src, Params: params.Params{Width: 320, Fit: params.FitMax}},
		src + "?w=200&h=150&crop=1": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop}},
	}
	urltest.CheckBuilderURLs(t, New(), "wordpress", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"2024/01/a.jpg?w=400&h=300&crop=1", "a.jpg?crop=12,25,60,60&fit=500,500&w=400&zoom=2",
		"a.jpg?lb=10,10&filter=sepia&brightness=-20&contrast=30&colorize=1,2,3&filter=negate",
		"a.jpg?smooth=3&quality=50&strip=all&h=20%25", "?w=1", "../a?w=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		got, _, ok := urltest.FuzzParsed(t, New(), Prefix+tail, func(f string) bool { return f == "path" || allowed[f] != "" })
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > pathurl.MaxDimension || p.Height < 0 || p.Height > pathurl.MaxDimension ||
			p.DPR < 0 || p.DPR > 5 || p.Contrast < -100 || p.Contrast > 100 || p.WidthRatio < 0 || p.WidthRatio >= 1 {
			t.Fatalf("params out of range: %+v", p)
		}
		for _, c := range p.ChannelShift {
			if c < -100 || c > 100 {
				t.Fatalf("shift out of range: %+v", p)
			}
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
		img + "?crop=160px,160px,788px,788px&w=300": {"crop", ""},
		img + "?crop=10,10,50,50":                   {"", ""},
	})
}
