package appwrite

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "appwrite" {
		t.Fatal(New().Name())
	}
}

// file is a file of Appwrite's documentation's bucket; view its source.
const (
	file = "/v1/storage/buckets/photos/files/5df5acd0d48c2/preview"
	view = "/v1/storage/buckets/photos/files/5df5acd0d48c2/view"
)

func TestParseValid(t *testing.T) {
	green := params.Color{G: 255, A: 255, Set: true}
	corners := func(r int) params.Corners {
		return params.Corners{TopLeft: r, TopRight: r, BottomRight: r, BottomLeft: r, Set: true}
	}
	urltest.CheckValid(t, New(), []urltest.Valid{
		{file + "?project=5df5acd0d48c2", view, "project=5df5acd0d48c2", params.Params{}},
		{file, view, "", params.Params{}},
		// One side keeps the ratio; both cover the box, cut at gravity.
		{file + "?width=400&project=p", view, "project=p", params.Params{Width: 400}},
		{file + "?height=300", view, "", params.Params{Height: 300}},
		{file + "?width=400&height=300", view, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{file + "?width=300&height=500&gravity=top", view, "", params.Params{Width: 300, Height: 500, Fit: params.FitCrop, Crop: params.CropTop}},
		{file + "?width=50&height=200&gravity=top-left", view, "", params.Params{Width: 50, Height: 200, Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{file + "?width=50&height=200&gravity=bottom-right", view, "", params.Params{Width: 50, Height: 200, Fit: params.FitCrop, Crop: params.CropBottomRight}},
		{file + "?width=0&height=0&gravity=left", view, "", params.Params{}},
		{file + "?quality=80&output=webp", view, "", params.Params{Quality: 80, Format: params.FormatWebP}},
		{file + "?quality=-1&output=jpg", view, "", params.Params{Format: params.FormatJPEG}},
		{file + "?quality=0&output=jpeg", view, "", params.Params{Format: params.FormatJPEG}},
		{file + "?output=png", view, "", params.Params{Format: params.FormatPNG}},
		{file + "?output=gif", view, "", params.Params{Format: params.FormatGIF}},
		{file + "?output=avif", view, "", params.Params{Format: params.FormatAVIF}},
		// The SDKs send unset strings empty, and opacity 1.
		{file + "?borderColor=&background=&output=&opacity=1&rotation=0&borderWidth=0&borderRadius=0", view, "", params.Params{}},
		{file + "?background=0f0", view, "", params.Params{Background: green}},
		{file + "?borderWidth=5&borderColor=00ff00", view, "", params.Params{Pad: 5, Border: params.Border{Color: green, Sides: params.Sides{Top: 5, Right: 5, Bottom: 5, Left: 5}}}},
		{file + "?borderRadius=20", view, "", params.Params{Mask: params.ShapeCorners, CornerRadius: corners(20)}},
		{file + "?borderColor=ff0000", view, "", params.Params{}},
		// A quarter turn swaps the box and turns gravity with the image.
		{file + "?width=400&height=300&gravity=top&rotation=90", view, "", params.Params{Width: 300, Height: 400, Fit: params.FitCrop, Crop: params.CropRight, Rotate: 90}},
		{file + "?width=400&height=300&gravity=top-left&rotation=-90", view, "", params.Params{Width: 300, Height: 400, Fit: params.FitCrop, Crop: params.CropBottomLeft, Rotate: 270}},
		{file + "?width=400&height=300&gravity=left&rotation=180", view, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropRight, Rotate: 180}},
		{file + "?width=400&rotation=90&borderRadius=10", view, "", params.Params{Height: 400, Rotate: 90, Mask: params.ShapeCorners, CornerRadius: corners(10)}},
		{file + "?width=400&rotation=45", view, "", params.Params{Width: 400, Rotate: 45}},
		{file + "?rotation=-360", view, "", params.Params{}},
		{file + "?rotation=360", view, "", params.Params{}},
		{file + "?width=10&token=abc&project=p", view, "token=abc&project=p", params.Params{Width: 10}},
	})
}

// The fields are Appwrite's parameter names, and path where the ids are
// not Appwrite's.
func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{file + "?width=4001", []string{"width"}, "width must be an integer from 0 to 4000"},
		{file + "?width=-1&height=1.5", []string{"width", "height"}, "from 0 to 4000"},
		{file + "?width=", []string{"width"}, "width is empty"},
		{file + "?height=1&height=2", []string{"height"}, "given 2 times"},
		{file + "?gravity=north", []string{"gravity"}, "one of center, top-left"},
		{file + "?quality=101", []string{"quality"}, "from -1 to 100"},
		{file + "?quality=-2", []string{"quality"}, "from -1 to 100"},
		{file + "?borderWidth=101&borderColor=000", []string{"borderWidth"}, "from 0 to 100"},
		{file + "?borderWidth=5", []string{"borderWidth"}, "needs borderColor"},
		{file + "?borderWidth=5&borderColor=000&borderRadius=3", []string{"borderRadius"}, "rounded border inside"},
		{file + "?borderColor=%23000000", []string{"borderColor"}, "3 or 6 digits without #"},
		{file + "?background=red", []string{"background"}, "3 or 6 digits"},
		{file + "?background=ff000080", []string{"background"}, "3 or 6 digits"},
		{file + "?borderRadius=4001", []string{"borderRadius"}, "from 0 to 4000"},
		{file + "?opacity=0.5", []string{"opacity"}, "Matte has no opacity"},
		{file + "?opacity=0", []string{"opacity"}, "Matte has no opacity"},
		{file + "?rotation=361", []string{"rotation"}, "from -360 to 360"},
		{file + "?rotation=45&borderRadius=4", []string{"rotation"}, "multiple of 90"},
		{file + "?output=heic", []string{"output"}, "one of jpg, jpeg, png, gif, webp, avif"},
		{"/v1/storage/buckets/_b/files/f/preview", []string{"path"}, "names no file"},
		{"/v1/storage/buckets/b/files/" + strings.Repeat("a", 37) + "/preview", []string{"path"}, "names no file"},
		{"/v1/storage/buckets/b/files/../preview", []string{"path"}, "names no file"},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{file + "?width=%zz", []string{"query"}, "not validly escaped"},
		{file + "?width=100;height=50", []string{"query"}, "does not separate parameters"},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), view+"?width=10", "/v1/storage/buckets/b/files/f/download", "/v1/storage/files/f/preview",
		"/v1/storage/buckets/b/files/f/preview/", "/v1/storage/buckets/b/x/files/f/preview", "/x/v1/storage/buckets/b/files/f/preview", "/img/a.jpg?width=1", "/")
}

// The URLs unpic's appwrite provider built (test/clients/builders) parse to
// these requests.
func TestParseBuilderURLs(t *testing.T) {
	const pre = "/v1/storage/buckets/photos/files/66f1a2b3c4d5e6f7a8b9/"
	want := map[string]dialect.ImageURL{
		pre + "preview?width=400&height=300&project=matte-demo": {Source: pre + "view", Query: "project=matte-demo", Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		pre + "preview?width=320&output=png&project=matte-demo": {Source: pre + "view", Query: "project=matte-demo", Params: params.Params{Width: 320, Format: params.FormatPNG}},
		pre + "preview?width=200&height=150&project=matte-demo": {Source: pre + "view", Query: "project=matte-demo", Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop}},
	}
	urltest.CheckBuilderURLs(t, New(), "appwrite", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"b/files/f/preview?width=500&height=600&gravity=bottom-left&rotation=-90&output=webp&project=p",
		"b/files/f/preview?borderWidth=3&borderColor=abc&background=123456&quality=0&opacity=1",
		"b/files/f/preview?borderRadius=30&rotation=45", "b/files/f/preview", "../f/preview",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		got, _, ok := urltest.FuzzParsed(t, New(), "/v1/storage/buckets/"+tail, func(f string) bool { return f == "path" || f == "query" || allowed[f] != "" })
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > 4000 || p.Height < 0 || p.Height > 4000 || p.Rotate < 0 || p.Rotate >= 360 || p.Quality < 0 || p.Quality > 100 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, "/v1/storage/buckets/") || !strings.HasSuffix(got.Source, "/view") {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		file + "?borderWidth=5&borderColor=00ff00": {"", "borderWidth"},
	})
}
