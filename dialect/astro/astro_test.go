package astro

import (
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "astro" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	const shoe = "/_astro/shoe.Ab12Cd34.jpg"
	webp := params.FormatWebP
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// What Astro's getURL writes for <Image src={shoe} width={800}
		// height={600} />: href, w, h, then f (webp by default).
		{"/_image?href=%2F_astro%2Fshoe.Ab12Cd34.jpg&w=800&h=600&f=webp", shoe, "", params.Params{Width: 800, Height: 600, Fit: params.FitCropDown, Format: webp}},
		// One side keeps the ratio, never enlarged.
		{"/_image?href=%2F_astro%2Fshoe.Ab12Cd34.jpg&w=400&f=avif", shoe, "", params.Params{Width: 400, Fit: params.FitMax, Format: params.FormatAVIF}},
		{"/_image?href=%2F_astro%2Fshoe.Ab12Cd34.jpg&h=300", shoe, "", params.Params{Height: 300, Fit: params.FitMax}},
		// w=0 is no width, as parseInt's 0 is falsy in Astro.
		{"/_image?href=%2Fa.png&w=0&h=300&f=png", "/a.png", "", params.Params{Height: 300, Fit: params.FitMax, Format: params.FormatPNG}},
		// No size: re-encoded only.
		{"/_image?href=%2Fa.png&f=jpg", "/a.png", "", params.Params{Format: params.FormatJPEG}},
		{"/_image?href=%2Fa.png&f=jpeg&q=85", "/a.png", "", params.Params{Format: params.FormatJPEG, Quality: 85}},
		{"/_image?href=%2Fa.gif&f=gif", "/a.gif", "", params.Params{Format: params.FormatGIF}},
		// Astro's quality presets.
		// Neither size nor f: the image as stored (Astro's sharp re-encodes it
		// in its own format).
		{"/_image?href=%2Fa.jpg", "/a.jpg", "", params.Params{}},
		{"/_image?href=%2Fa.jpg&q=low", "/a.jpg", "", params.Params{Quality: 25}},
		{"/_image?href=%2Fa.jpg&q=mid", "/a.jpg", "", params.Params{Quality: 50}},
		{"/_image?href=%2Fa.jpg&q=high", "/a.jpg", "", params.Params{Quality: 80}},
		{"/_image?href=%2Fa.jpg&q=max", "/a.jpg", "", params.Params{Quality: 100}},
		// fit with both sides, as the sharp service maps it.
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=cover&position=top", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropTop}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=cover&position=center+top", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropTop}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&position=bottom%20left", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropBottomLeft}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&position=left+center", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropLeft}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&position=center+center", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&position=northeast", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropTopRight}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=cover&position=attention", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropAttention}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=contain", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=scale-down&position=top", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=inside", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=none", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitOutsideMax}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=outside", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitOutsideMax}},
		{"/_image?href=%2Fa.jpg&w=400&h=300&fit=fill", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitScale}},
		// fit and position with one side: checked, no effect.
		{"/_image?href=%2Fa.jpg&w=400&fit=fill&position=top", "/a.jpg", "", params.Params{Width: 400, Fit: params.FitMax}},
		// background: sharp's flatten, its alpha unused.
		{"/_image?href=%2Fa.png&f=jpeg&background=%23fff", "/a.png", "", params.Params{Format: params.FormatJPEG, Background: white}},
		{"/_image?href=%2Fa.png&f=jpeg&background=white", "/a.png", "", params.Params{Format: params.FormatJPEG, Background: white}},
		{"/_image?href=%2Fa.png&background=ff000080", "/a.png", "", params.Params{Background: params.Color{R: 255, A: 255, Set: true}}},
		// A remote href (allowed by the origin block's allow_hosts).
		{"/_image?href=https%3A%2F%2Fcdn.example.com%2Fa.jpg&w=800&h=600&f=webp", "https://cdn.example.com/a.jpg", "", params.Params{Width: 800, Height: 600, Fit: params.FitCropDown, Format: webp}},
		// A local href's query is dropped, as Astro's endpoint drops it;
		// other query parameters (an adapter's) are ignored.
		{"/_image?href=%2F%40fs%2Fsrc%2Fa.jpg%3ForigWidth%3D1200&w=10&h=10&f=webp&dpl=abc", "/@fs/src/a.jpg", "", params.Params{Width: 10, Height: 10, Fit: params.FitCropDown, Format: webp}},
		// f=svg passes an SVG through; w and h have no effect, as in Astro.
		{"/_image?href=%2Flogo.SVG&w=100&h=100&f=svg", "/logo.SVG", "", params.Params{}},
	})
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/_image", []string{"href"}, "href is required"},
		// A pair the query parser cannot read is refused, not dropped.
		{"/_image?href=/a.jpg&w=%zz", []string{"query"}, "not validly escaped"},
		{"/_image?href=/a.jpg&w=10;h=5", []string{"query"}, "does not separate parameters"},
		{"/_image?w=10", []string{"href"}, "href is required"},
		{"/_image?href=&w=10", []string{"href"}, "href is empty"},
		{"/_image?href=%2Fa.jpg&href=%2Fb.jpg", []string{"href"}, "given 2 times"},
		{"/_image?href=a.jpg", []string{"href"}, "neither a path"},
		{"/_image?href=%2F%2Fevil.example%2Fa.jpg", []string{"href"}, "protocol-relative"},
		{"/_image?href=%2Fimg%2F..%2Fsecret.jpg", []string{"href"}, ". and .. segments"},
		{"/_image?href=ftp%3A%2F%2Fexample.com%2Fa.jpg", []string{"href"}, "href must be"},
		{"/_image?href=%2F_image%3Fhref%3D%252Fa.jpg", []string{"href"}, "the image endpoint itself"},
		{"/_image?href=%2Fa.jpg&w=abc", []string{"w"}, "w must be an integer from 0 to 100000"},
		{"/_image?href=%2Fa.jpg&w=800px", []string{"w"}, "w must be"},
		{"/_image?href=%2Fa.jpg&h=-1", []string{"h"}, "h must be"},
		{"/_image?href=%2Fa.jpg&h=100001", []string{"h"}, "h must be"},
		{"/_image?href=%2Fa.jpg&q=0", []string{"q"}, "q must be an integer from 1 to 100, or one of low, mid, high, max"},
		{"/_image?href=%2Fa.jpg&q=101", []string{"q"}, "q must be"},
		{"/_image?href=%2Fa.jpg&q=medium", []string{"q"}, "q must be"},
		{"/_image?href=%2Fa.jpg&f=tiff", []string{"f"}, "f must be one of avif, webp, png, jpeg, jpg, gif, svg"},
		{"/_image?href=%2Fa.jpg&f=WEBP", []string{"f"}, "f must be"},
		{"/_image?href=%2Fa.jpg&f=svg", []string{"f"}, "href must name an .svg file"},
		{"/_image?href=%2Fa.jpg&fit=crop", []string{"fit"}, "fit must be one of cover, contain, fill, inside, outside, scale-down, none"},
		{"/_image?href=%2Fa.jpg&position=25%25+75%25", []string{"position"}, "position must be"},
		{"/_image?href=%2Fa.jpg&position=left+right", []string{"position"}, "position must be"},
		{"/_image?href=%2Fa.jpg&position=top+top", []string{"position"}, "position must be"},
		{"/_image?href=%2Fa.jpg&background=rgb(0,0,0)", []string{"background"}, "background must be"},
		{"/_image?href=%2Fa.jpg&f=", []string{"f"}, "f is empty"},
		// Every bad parameter is reported, in Astro's order.
		{"/_image?background=nope&fit=x&w=x&href=", []string{"href", "w", "fit", "background"}, "is"},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?href=/a.jpg&w=1", "/_image/", "/_images?href=/a.jpg", "/_IMAGE?href=/a.jpg", "/base/_image?href=%2Fa.jpg", "/")
}

// The URLs unpic and @unpic/core built for Astro (test/clients/builders)
// parse to these requests.
func TestParseBuilderURLs(t *testing.T) {
	cover := func(w, h int) params.Params {
		return params.Params{Width: w, Height: h, Fit: params.FitCropDown}
	}
	want := map[string]dialect.ImageURL{
		"/_image?w=400&h=300&fit=cover&href=%2Fimg%2Fbuilders.jpg":                              {Source: "/img/builders.jpg", Params: cover(400, 300)},
		"/_image?w=200&h=150&fit=cover&href=%2Fimg%2Fbuilders.jpg":                              {Source: "/img/builders.jpg", Params: cover(200, 150)},
		"/_image?f=png&w=320&fit=cover&href=%2Fimg%2Fbuilders.jpg":                              {Source: "/img/builders.jpg", Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG}},
		"/_image?w=400&h=300&fit=cover&href=http%3A%2F%2F127.0.0.1%3A9080%2Fimg%2Fbuilders.jpg": {Source: "http://127.0.0.1:9080/img/builders.jpg", Params: cover(400, 300)},
	}
	urltest.CheckBuilderURLs(t, New(), "astro", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"href=%2F_astro%2Fa.jpg&w=800&h=600&f=webp", "href=https%3A%2F%2Fexample.com%2Fa.png&w=64&q=max&fit=fill",
		"", "href=&w=&h=", "href=%2F%2Fx&w=-1&q=101", "href=%2F_image&f=svg", "href=%2Fa.svg&f=svg",
		"href=/a&href=/b&position=center+top&background=%23fff", "w=99999999999999999999&fit=none&position=25%25",
	} {
		f.Add(s)
	}
	known := func(field string) bool { return allowed[field] != "" }
	f.Fuzz(func(t *testing.T, rawQuery string) {
		u := &url.URL{Path: Path, RawQuery: rawQuery}
		got, ok, err := New().Parse(u)
		if !ok {
			t.Fatal("not claimed")
		}
		if err != nil {
			urltest.FuzzError(t, got, err, known)
			return
		}
		urltest.CheckURLDialect(t, New(), Path+"?"+rawQuery)
		p := got.Params
		if p.Width < 0 || p.Width > 100000 || p.Height < 0 || p.Height > 100000 || p.Quality < 0 || p.Quality > 100 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !got.Remote() && got.Query != "" {
			t.Fatalf("local source with a query %q", got.Query)
		}
	})
}
