package netlify

import (
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "netlify" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	urltest.CheckValid(t, New(), []urltest.Valid{
		// Netlify's documented examples (docs.netlify.com, Image CDN).
		{"/.netlify/images?url=/owl.jpeg&w=50", "/owl.jpeg", "", params.Params{Width: 50, AutoFormat: true}},
		{"/.netlify/images?url=/owl.jpeg&fit=cover&w=50&h=50&position=left&fm=webp&q=80", "/owl.jpeg", "",
			params.Params{Width: 50, Height: 50, Fit: params.FitCrop, Crop: params.CropLeft, Format: params.FormatWebP, Quality: 80}},
		{"/.netlify/images?url=/photo.jpg&w=800&h=600&fit=cover&q=80", "/photo.jpg", "",
			params.Params{Width: 800, Height: 600, Fit: params.FitCrop, Quality: 80, AutoFormat: true}},
		// A bare url still negotiates the format.
		{"/.netlify/images?url=/a.jpg", "/a.jpg", "", params.Params{AutoFormat: true}},
		{"/.netlify/images?url=%2Fa.jpg%3Fv%3D1&fit=contain&w=10&h=20", "/a.jpg", "v=1", params.Params{Width: 10, Height: 20, AutoFormat: true}},
		{"/.netlify/images?url=/a.jpg&fit=fill&w=10&h=20&fm=avif", "/a.jpg", "", params.Params{Width: 10, Height: 20, Fit: params.FitScale, Format: params.FormatAVIF}},
		// position only matters to cover.
		{"/.netlify/images?url=/a.jpg&fit=contain&position=top&w=10&fm=jpg", "/a.jpg", "", params.Params{Width: 10, Format: params.FormatJPEG}},
		{"/.netlify/images?url=/a.jpg&fit=cover&position=bottom&w=1&h=1&fm=png", "/a.jpg", "", params.Params{Width: 1, Height: 1, Fit: params.FitCrop, Crop: params.CropBottom, Format: params.FormatPNG}},
		{"/.netlify/images?url=/a.jpg&fit=cover&position=right&fm=gif", "/a.jpg", "", params.Params{Fit: params.FitCrop, Crop: params.CropRight, Format: params.FormatGIF}},
		{"/.netlify/images?url=https%3A%2F%2Fimages.example.com%2Fa.jpg&w=100000&h=100000", "https://images.example.com/a.jpg", "", params.Params{Width: 100000, Height: 100000, AutoFormat: true}},
	})
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/.netlify/images?w=10", []string{"url"}, "url is required"},
		// A pair the query parser cannot read is refused, not dropped.
		{"/.netlify/images?url=/a.jpg&w=%zz", []string{"query"}, "not validly escaped"},
		{"/.netlify/images?url=/a.jpg&w=10;h=5", []string{"query"}, "does not separate parameters"},
		{"/.netlify/images?url=", []string{"url"}, "url is empty"},
		{"/.netlify/images?url=a.jpg", []string{"url"}, "url must be a path on this site"},
		{"/.netlify/images?url=%2F%2Fevil%2Fa.jpg", []string{"url"}, "protocol-relative"},
		{"/.netlify/images?url=/a.jpg&url=/b.jpg", []string{"url"}, "url is given 2 times"},
		{"/.netlify/images?url=/a.jpg&w=0", []string{"w"}, "w must be an integer from 1 to 100000"},
		{"/.netlify/images?url=/a.jpg&h=100001", []string{"h"}, `h="100001" is not valid`},
		{"/.netlify/images?url=/a.jpg&fit=crop", []string{"fit"}, "fit must be one of contain, cover, fill"},
		{"/.netlify/images?url=/a.jpg&position=top-left", []string{"position"}, "position must be one of center, top, bottom, left, right"},
		{"/.netlify/images?url=/a.jpg&fm=blurhash", []string{"fm"}, "not BlurHash"},
		{"/.netlify/images?url=/a.jpg&fm=jpeg", []string{"fm"}, "fm must be one of avif, webp, jpg, png, gif"},
		{"/.netlify/images?url=/a.jpg&q=101", []string{"q"}, "q must be an integer from 1 to 100"},
		{"/.netlify/images?url=/a.jpg&q=", []string{"q"}, "q is empty"},
		{"/.netlify/images?w=x&h=y&fit=z", []string{"url", "w", "h", "fit"}, ""},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?url=/a.jpg", "/.netlify/images/", "/.netlify/image?url=/a", "/")
}

// The URLs unpic and @unpic/core built (test/clients/builders).
func TestParseBuilderURLs(t *testing.T) {
	src := "/img/builders.jpg"
	want := map[string]dialect.ImageURL{
		"/.netlify/images?w=400&h=300&fit=cover&url=%2Fimg%2Fbuilders.jpg":  {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		"/.netlify/images?fm=png&w=320&fit=cover&url=%2Fimg%2Fbuilders.jpg": {Source: src, Params: params.Params{Width: 320, Fit: params.FitCrop, Format: params.FormatPNG}},
		"/.netlify/images?w=200&h=150&fit=cover&url=%2Fimg%2Fbuilders.jpg":  {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, AutoFormat: true}},
	}
	urltest.CheckBuilderURLs(t, New(), "netlify", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"url=/owl.jpeg&fit=cover&w=50&h=50&position=left&fm=webp&q=80", "url=https%3A%2F%2Fx.example%2Fa.png", "",
		"url=&w=&h=&fit=&position=&fm=&q=", "url=/a&url=/b&fm=blurhash", "url=%2F..%2Fa&w=99999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		got, ok, err := New().Parse(&url.URL{Path: Path, RawQuery: rawQuery})
		if !ok {
			t.Fatal("not claimed")
		}
		if err != nil {
			urltest.FuzzError(t, got, err, func(f string) bool { _, ok := allowed[f]; return ok })
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxDimension || p.Height < 0 || p.Height > maxDimension || p.Quality < 0 || p.Quality > 100 ||
			(p.Crop != params.CropCenter && p.Fit != params.FitCrop) || p.AutoFormat != (p.Format == params.FormatSource) || got.Source == "" {
			t.Fatalf("bad result %+v", got)
		}
	})
}
