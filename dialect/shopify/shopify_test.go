package shopify

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "shopify" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	const f = "/cdn/shop/files"
	red := params.Color{R: 255, A: 255, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// image_url's query: fitted inside the box, never enlarged.
		{f + "/shoe.jpg?width=400&height=300", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMax, AutoFormat: true}},
		{f + "/shoe.jpg?width=450&v=1683744744", f + "/shoe.jpg", "v=1683744744", params.Params{Width: 450, Fit: params.FitMax, AutoFormat: true}},
		{f + "/shoe.jpg?height=5760", f + "/shoe.jpg", "", params.Params{Height: 5760, Fit: params.FitMax, AutoFormat: true}},
		// crop covers the box and keeps that part.
		{f + "/shoe.jpg?width=400&height=300&crop=center", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, AutoFormat: true}},
		{f + "/shoe.jpg?width=400&height=300&crop=top", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, Crop: params.CropTop, AutoFormat: true}},
		{f + "/shoe.jpg?width=400&height=300&crop=bottom", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, Crop: params.CropBottom, AutoFormat: true}},
		{f + "/shoe.jpg?width=400&height=300&crop=left", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, Crop: params.CropLeft, AutoFormat: true}},
		{f + "/shoe.jpg?width=400&height=300&crop=right&format=png", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, Crop: params.CropRight, Format: params.FormatPNG}},
		// One side: crop changes nothing.
		{f + "/shoe.jpg?width=400&crop=left", f + "/shoe.jpg", "", params.Params{Width: 400, Fit: params.FitMax, AutoFormat: true}},
		{f + "/shoe.jpg?crop=region&crop_left=10&crop_top=20&crop_width=30&crop_height=40&width=15", f + "/shoe.jpg", "", params.Params{Width: 15, Fit: params.FitMax, Rect: params.Rect{X: 10, Y: 20, W: 30, H: 40}, AutoFormat: true}},
		{f + "/shoe.jpg?width=400&height=300&pad_color=f00", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitFillMax, FillColor: red, AutoFormat: true}},
		{f + "/shoe.jpg?width=400&height=300&pad_color=FF0000&format=jpg", f + "/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitFillMax, FillColor: red, Format: params.FormatJPEG}},
		{f + "/shoe.jpg?format=pjpg", f + "/shoe.jpg", "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{f + "/shoe.png?format=webp", f + "/shoe.png", "", params.Params{Format: params.FormatWebP}},
		{f + "/shoe.jpg", f + "/shoe.jpg", "", params.Params{AutoFormat: true}},
		// img_url's size suffix, removed from the source.
		{f + "/shoe_480x.jpg?v=3", f + "/shoe.jpg", "v=3", params.Params{Width: 480, Fit: params.FitMax, AutoFormat: true}},
		{f + "/shoe_x480.jpg", f + "/shoe.jpg", "", params.Params{Height: 480, Fit: params.FitMax, AutoFormat: true}},
		{"/s/files/1/1405/0664/products/pizza_320x200_crop_top@2x.jpg", "/s/files/1/1405/0664/products/pizza.jpg", "", params.Params{Width: 320, Height: 200, DPR: 2, Fit: params.FitMin, Crop: params.CropTop, AutoFormat: true}},
		{"/s/files/1/0/1/files/a_b_large.png", "/s/files/1/0/1/files/a_b.png", "", params.Params{Width: 480, Height: 480, Fit: params.FitMax, AutoFormat: true}},
		{"/s/files/1/0/1/files/a_1024x1024.png", "/s/files/1/0/1/files/a.png", "", params.Params{Width: 1024, Height: 1024, Fit: params.FitMax, AutoFormat: true}},
		{"/s/files/1/0/1/files/a_master.png", "/s/files/1/0/1/files/a.png", "", params.Params{AutoFormat: true}},
		{"/s/files/1/0/1/files/a_crop_center.png", "/s/files/1/0/1/files/a.png", "", params.Params{AutoFormat: true}},
		// The query's size wins over the suffix's, as unpic reads it.
		{"/s/files/1/0/1/files/builders_200x100_crop_center.jpg?width=400&height=300", "/s/files/1/0/1/files/builders.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, AutoFormat: true}},
		// Not a suffix: kept in the name.
		{f + "/a_x.jpg", f + "/a_x.jpg", "", params.Params{AutoFormat: true}},
		{f + "/big%20shoe.jpg", f + "/big shoe.jpg", "", params.Params{AutoFormat: true}},
	})
}

// The fields are the query parameters Shopify documents, and path where
// the URL's path (or its size suffix) is wrong.
func TestParseInvalid(t *testing.T) {
	const f = "/cdn/shop/files"
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{f + "/a.jpg?width=0", []string{"width"}, "width must be an integer from 1 to 5760"},
		// A pair the query parser cannot read is refused, not dropped.
		{f + "/a.jpg?width=%zz", []string{"query"}, "not validly escaped"},
		{f + "/a.jpg?width=10;height=5", []string{"query"}, "does not separate parameters"},
		{f + "/a.jpg?width=5761&height=-1", []string{"width", "height"}, "an integer from 1 to 5760"},
		{f + "/a.jpg?width=", []string{"width"}, "width is empty"},
		{f + "/a.jpg?height=1&height=2", []string{"height"}, "given 2 times"},
		{f + "/a.jpg?crop=middle", []string{"crop"}, "one of center, top, bottom, left, right, region"},
		{f + "/a.jpg?crop=region&crop_left=1&crop_top=2&crop_width=3", []string{"crop_height"}, "crop=region needs crop_height"},
		{f + "/a.jpg?crop=region&crop_left=1&crop_top=2&crop_width=0&crop_height=1", []string{"crop_width"}, "from 1 to 5760"},
		{f + "/a.jpg?crop_left=1", []string{"crop_left"}, "only with crop=region"},
		{f + "/a.jpg?pad_color=%23fff", []string{"pad_color"}, "RGB or RRGGBB without #"},
		{f + "/a.jpg?pad_color=white", []string{"pad_color"}, "a hex colour"},
		{f + "/a.jpg?pad_color=ff000080", []string{"pad_color"}, "a hex colour"},
		{f + "/a.jpg?format=avif", []string{"format"}, "one of jpg, pjpg, png, webp"},
		{f + "/a.jpg?width=x&format=gif", []string{"width", "format"}, "is not valid"},
		{f + "/", []string{"path"}, "names no file"},
		{"/cdn/shop/", []string{"path"}, "names no file"},
		{f + "/../secret.jpg", []string{"path"}, ". or .."},
		{f + "/a_0x10.jpg", []string{"path"}, "size suffix"},
		{f + "/a_9000x.jpg", []string{"path"}, "size suffix"},
		{f + "/a_crop_middle.jpg", []string{"path"}, "_crop_middle"},
		{f + "/a_100x@4x.jpg", []string{"path"}, "1, 2 or 3"},
		{f + "/a%00.jpg", []string{"path"}, "not a path on this site"},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?width=10", "/cdn/shop", "/s/files", "/cdn/a.jpg", "/x/cdn/shop/files/a.jpg", "/CDN/shop/files/a.jpg", "/")
}

// The URLs unpic's shopify provider built (test/clients/builders) parse to
// these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/cdn/shop/files/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "?width=400&height=300":                                        {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitMax, AutoFormat: true}},
		src + "?width=200&height=150":                                        {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitMax, AutoFormat: true}},
		"/s/files/1/0/1/files/builders.jpg?width=400&height=300&crop=center": {Source: "/s/files/1/0/1/files/builders.jpg", Params: params.Params{Width: 400, Height: 300, Fit: params.FitMin, AutoFormat: true}},
	}
	urltest.CheckBuilderURLs(t, New(), "shopify", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"files/a.jpg?width=500&height=600&crop=top&format=pjpg", "files/a_480x480_crop_center@2x.jpg", "files/a_x.jpg",
		"files/a.jpg?crop=region&crop_left=1&crop_top=2&crop_width=3&crop_height=4", "files/a.jpg?pad_color=fff&width=1&height=1", "", "../a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		got, ok := urltest.FuzzClaimed(t, New(), Prefixes[0]+tail, func(f string) bool { return f == "path" || allowed[f] != "" })
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.DPR != 0 && (p.DPR < 2 || p.DPR > 3) {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, "/") || strings.HasPrefix(got.Source, "//") || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		"/cdn/shop/files/shoe.jpg?crop=region&crop_left=10&crop_top=20&crop_width=30&crop_height=40&width=15": {"crop", ""},
	})
}
