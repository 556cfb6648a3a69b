package bunny

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "bunny" {
		t.Fatal(New().Name())
	}
}

// The examples of Bunny's Dynamic Images docs, on /image.jpg.
func TestParseValid(t *testing.T) {
	const img = "/image.jpg"
	urltest.CheckValid(t, New(), []urltest.Valid{
		{img + "?width=500", img, "", params.Params{Width: 500, Fit: params.FitMax}},
		{img + "?height=300", img, "", params.Params{Height: 300, Fit: params.FitMax}},
		{img + "?width=500&sharpen=true", img, "", params.Params{Width: 500, Fit: params.FitMax, Sharpen: 50}},
		{img + "?sharpen=false", img, "", params.Params{}},
		// Both sides: fitted inside the box.
		{img + "?width=400&height=300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{img + "?width=400&upscaling=resampling", img, "", params.Params{Width: 400, Fit: params.FitClip}},
		{img + "?width=400&upscaling=off", img, "", params.Params{Width: 400, Fit: params.FitMax}},
		// aspect_ratio: the centred area of that ratio, fitted to the sides.
		{img + "?aspect_ratio=16:9&width=256", img, "", params.Params{Width: 256, Height: 144, Fit: params.FitMin}},
		{img + "?aspect_ratio=1:1&height=400", img, "", params.Params{Width: 400, Height: 400, Fit: params.FitMin}},
		{img + "?aspect_ratio=16:9", img, "", params.Params{AspectRatio: 16.0 / 9, Fit: params.FitCrop}},
		{img + "?aspect_ratio=2:4", img, "", params.Params{AspectRatio: 0.5, Fit: params.FitCrop}},
		{img + "?aspect_ratio=1:1&width=400&height=300", img, "", params.Params{Width: 300, Height: 300, Fit: params.FitMin}},
		{img + "?aspect_ratio=2:1&width=400&height=300&upscaling=resampling", img, "", params.Params{Width: 400, Height: 200, Fit: params.FitCrop}},
		// "aspect_ratio ... Default value: auto": the source's own ratio.
		{img + "?aspect_ratio=auto", img, "", params.Params{}},
		{img + "?aspect_ratio=auto&width=256", img, "", params.Params{Width: 256, Fit: params.FitMax}},
		{img + "?aspect_ratio=auto&crop=800,600", img, "", params.Params{Region: params.Region{W: 800, H: 600}}},
		// crop: before the resize, in source pixels.
		{img + "?crop=800,600", img, "", params.Params{Region: params.Region{W: 800, H: 600}}},
		{img + "?crop=400,300&crop_gravity=north", img, "", params.Params{Region: params.Region{W: 400, H: 300, Anchor: params.CropTop}}},
		{img + "?crop=3500,3500&crop_gravity=southwest", img, "", params.Params{Region: params.Region{W: 3500, H: 3500, Anchor: params.CropBottomLeft}}},
		{img + "?crop=3500,3500,250,300&width=500", img, "", params.Params{Rect: params.Rect{X: 250, Y: 300, W: 3500, H: 3500}, Width: 500, Fit: params.FitMax}},
		{img + "?focus_crop=400,300,0.25,0.5", img, "", params.Params{Region: params.Region{W: 400, H: 300, Focus: params.Focus{X: 0.25, Y: 0.5, Set: true}}}},
		// Bunny's documented example: face_crop=800,1000.
		{img + "?face_crop=800,1000", img, "", params.Params{Region: params.Region{W: 800, H: 1000}, Faces: params.Faces{Place: true}}},
		{img + "?face_crop=400,300&width=200", img, "", params.Params{Width: 200, Fit: params.FitMax, Region: params.Region{W: 400, H: 300}, Faces: params.Faces{Place: true}}},
		// face_crop=true: the faces in frame, padded (FaceCropPad = 2), then the resize.
		{img + "?face_crop=true", img, "", params.Params{Faces: params.Faces{Frame: true, Pad: 2}}},
		{img + "?face_crop=true&width=200", img, "", params.Params{Width: 200, Fit: params.FitMax, Faces: params.Faces{Frame: true, Pad: 2}}},
		{img + "?face_crop=false&width=200", img, "", params.Params{Width: 200, Fit: params.FitMax}},
		// Colour.
		{img + "?brightness=10&contrast=5&saturation=15", img, "", params.Params{Brightness: 10, Contrast: 5, Saturation: 15}},
		{img + "?saturation=-100&contrast=-20&brightness=-15", img, "", params.Params{Saturation: -100, Contrast: -20, Brightness: -15}},
		{img + "?hue=33", img, "", params.Params{Hue: 119}},
		{img + "?hue=66&gamma=0", img, "", params.Params{Hue: 238}},
		{img + "?hue=100", img, "", params.Params{}},
		{img + "?sepia=50", img, "", params.Params{Sepia: 50}},
		{img + "?blur=10", img, "", params.Params{Blur: 50}},
		{img + "?blur=60&flip=true&flop=true", img, "", params.Params{Blur: 300, Flip: params.FlipV | params.FlipH}},
		{img + "?flop=true&flip=false", img, "", params.Params{Flip: params.FlipH}},
		// Encoding.
		{img + "?quality=80", img, "", params.Params{Quality: 80}},
		{img + "?format=png", img, "", params.Params{Format: params.FormatPNG}},
		{img + "?format=webp&quality=75", img, "", params.Params{Format: params.FormatWebP, Quality: 75}},
		{img + "?output=avif", img, "", params.Params{Format: params.FormatAVIF}},
		{img + "?format=gif", img, "", params.Params{Format: params.FormatGIF}},
		{"/photo?optimizer=image&width=10", "/photo", "", params.Params{Width: 10, Fit: params.FitMax}},
		// Other parameters go to the origin, as sent.
		{"/img/a%20b.jpg?v=2&width=100&x=%2F", "/img/a b.jpg", "v=2&x=%2F", params.Params{Width: 100, Fit: params.FitMax}},
		{"/img/a.jpg?w=800&width=100", "/img/a.jpg", "w=800", params.Params{Width: 100, Fit: params.FitMax}},
	})
}

// The fields are the parameters as Bunny names them, and path.
func TestParseInvalid(t *testing.T) {
	const img = "/image.jpg"
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{img + "?width=0", []string{"width"}, "width must be an integer from 1 to 100000"},
		{img + "?width=100001&height=-1", []string{"width", "height"}, "an integer from 1 to 100000"},
		{img + "?width=", []string{"width"}, "width is empty"},
		{img + "?height=1&height=2", []string{"height"}, "given 2 times"},
		{img + "?upscaling=on", []string{"upscaling"}, "off or resampling"},
		{img + "?aspect_ratio=16x9", []string{"aspect_ratio"}, "W:H"},
		{img + "?aspect_ratio=0:1", []string{"aspect_ratio"}, "W:H"},
		{img + "?aspect_ratio=1:100000&width=2", []string{"aspect_ratio"}, "above 100000 pixels"},
		{img + "?crop=800", []string{"crop"}, "W,H or W,H,X,Y"},
		{img + "?crop=800,600,1", []string{"crop"}, "W,H or W,H,X,Y"},
		{img + "?crop=0,600", []string{"crop"}, "W,H or W,H,X,Y"},
		{img + "?crop=10,10,-1,0", []string{"crop"}, "W,H or W,H,X,Y"},
		{img + "?crop_gravity=north", []string{"crop_gravity"}, "crop=W,H only"},
		{img + "?crop=1,1,0,0&crop_gravity=north", []string{"crop_gravity"}, "crop=W,H only"},
		{img + "?crop=1,1&crop_gravity=top", []string{"crop_gravity"}, "one of center, north"},
		{img + "?focus_crop=400,300,100,200", []string{"focus_crop"}, "decimals from 0 to 1"},
		{img + "?focus_crop=400,300,0.5,1.5", []string{"focus_crop"}, "decimals from 0 to 1"},
		{img + "?crop=1,1&focus_crop=1,1,0.5,0.5", []string{"focus_crop"}, "give one of them"},
		{img + "?crop=1,1&aspect_ratio=1:1", []string{"aspect_ratio"}, "give one of them"},
		{img + "?face_crop=yes", []string{"face_crop"}, "true, false, or W,H in pixels"},
		{img + "?face_crop=true&crop=1,1", []string{"face_crop"}, "give one of them"},
		{img + "?face_crop=600", []string{"face_crop"}, "W,H in pixels"},
		{img + "?face_crop=600,0", []string{"face_crop"}, "W,H in pixels"},
		{img + "?face_crop=1,1&crop=1,1", []string{"face_crop"}, "give one of them"},
		{img + "?face_crop=1,1&focus_crop=1,1,0.5,0.5", []string{"face_crop"}, "give one of them"},
		{img + "?face_crop=1,1&aspect_ratio=1:1", []string{"aspect_ratio"}, "give one of them"},
		{img + "?tint=aaffff", []string{"tint"}, "not a Bunny option Matte supports"},
		{img + "?auto_optimize=medium", []string{"auto_optimize"}, "not a Bunny option Matte supports"},
		{img + "?class=thumbnail", []string{"class"}, "not a Bunny option Matte supports"},
		{img + "?quality=0", []string{"quality"}, "starts at 1"},
		{img + "?quality=101", []string{"quality"}, "from 1 to 100"},
		{img + "?format=jpg", []string{"format"}, "one of webp, jpeg, png, gif, avif"},
		{img + "?format=png&output=png", []string{"output"}, "not both"},
		{img + "?sharpen=1", []string{"sharpen"}, "true or false"},
		{img + "?flip=yes&flop=", []string{"flip", "flop"}, "true or false"},
		{img + "?blur=101", []string{"blur"}, "from 0 to 100"},
		{img + "?brightness=101&contrast=x&saturation=-101", []string{"brightness", "contrast", "saturation"}, "from -100 to 100"},
		{img + "?hue=-1", []string{"hue"}, "from 0 to 100"},
		{img + "?sepia=200", []string{"sepia"}, "from 0 to 100"},
		{img + "?gamma=20", []string{"gamma"}, "no curve"},
		{img + "?optimizer=yes", []string{"optimizer"}, "image"},
		{"/?width=100", []string{"path"}, "not a path on this site"},
		{"/img/../a.jpg?width=100", []string{"path"}, ". or .."},
	})
}

// A query without a Bunny parameter is not Bunny's: the imgix query and
// plain paths go on untouched.
func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg", "/img/a.jpg?w=100&h=50&fm=webp", "/img/a.jpg?v=2", "/img/a.jpg?Width=100", "/img/a.jpg?widths=1")
}

// The URLs unpic's bunny provider built (test/clients/builders) parse to
// these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/bunny/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "?width=400&height=300&aspect_ratio=400%3A300": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitMin}},
		src + "?width=320&output=png":                        {Source: src, Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG}},
		src + "?width=200&height=150&aspect_ratio=200%3A150": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitMin}},
	}
	urltest.CheckBuilderURLs(t, New(), "bunny", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/a.jpg?width=500&height=300&aspect_ratio=16:9&upscaling=resampling", "/a.jpg?crop=10,20&crop_gravity=southeast&format=png",
		"/a.jpg?focus_crop=10,10,0.5,0.5&hue=33&blur=10&sharpen=true", "/a.jpg?crop=1,2,3,4&flip=true&output=webp&v=2", "/?width=1", "/../a?crop=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, _, ok := urltest.FuzzParsed(t, New(), raw, func(f string) bool { return f == "path" || f == "query" || isParam(f) })
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.Hue < 0 || p.Hue >= 360 || p.Blur > 500 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, "/") || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		"/image.jpg?crop=3500,3500,250,300&width=500": {"crop", ""},
		"/image.jpg?crop=300,200":                     {"", ""},
		"/image.jpg?width=500":                        {"", ""},
	})
}
