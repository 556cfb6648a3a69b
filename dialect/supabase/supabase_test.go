package supabase

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "supabase" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	const pub = "/storage/v1/render/image/public"
	urltest.CheckValid(t, New(), []urltest.Valid{
		// Supabase's documented example: cover, format by Accept.
		{pub + "/bucket/image.jpg?width=500&height=600", "/bucket/image.jpg", "", params.Params{Width: 500, Height: 600, Fit: params.FitCropDown, AutoFormat: true}},
		{pub + "/bucket/image.jpg?width=500&height=600&resize=cover", "/bucket/image.jpg", "", params.Params{Width: 500, Height: 600, Fit: params.FitCropDown, AutoFormat: true}},
		{pub + "/bucket/image.jpg?width=500&height=600&resize=contain", "/bucket/image.jpg", "", params.Params{Width: 500, Height: 600, Fit: params.FitMax, AutoFormat: true}},
		// Supabase's storage server (src/storage/renderer/image.ts,
		// formatResizeType) sends cover as imgproxy's "fill", contain as
		// "fit" and fill as "force", never with enlarge: cropdown, max,
		// scaledown.
		{pub + "/bucket/image.jpg?width=500&height=600&resize=fill", "/bucket/image.jpg", "", params.Params{Width: 500, Height: 600, Fit: params.FitScaleDown, AutoFormat: true}},
		// One side: cover and contain scale to it; fill (force) stretches
		// it alone, the other side the source's own.
		{pub + "/bucket/image.jpg?width=500&resize=cover", "/bucket/image.jpg", "", params.Params{Width: 500, Fit: params.FitMax, AutoFormat: true}},
		{pub + "/bucket/image.jpg?width=500&resize=fill", "/bucket/image.jpg", "", params.Params{Width: 500, HeightRatio: 1, Fit: params.FitScaleDown, AutoFormat: true}},
		{pub + "/bucket/image.jpg?height=50&resize=fill", "/bucket/image.jpg", "", params.Params{Height: 50, WidthRatio: 1, Fit: params.FitScaleDown, AutoFormat: true}},
		{pub + "/bucket/image.jpg?height=20", "/bucket/image.jpg", "", params.Params{Height: 20, Fit: params.FitMax, AutoFormat: true}},
		// Sizes above 2500 are clamped to it, 0 is none, as Supabase reads them.
		{pub + "/b/a.png?width=5000&height=00000000000000000000000009999", "/b/a.png", "", params.Params{Width: 2500, Height: 2500, Fit: params.FitCropDown, AutoFormat: true}},
		{pub + "/b/a.png?width=0&height=40", "/b/a.png", "", params.Params{Height: 40, Fit: params.FitMax, AutoFormat: true}},
		{pub + "/b/a.png?quality=20", "/b/a.png", "", params.Params{Quality: 20, AutoFormat: true}},
		{pub + "/b/a.png?quality=100&format=origin", "/b/a.png", "", params.Params{Quality: 100}},
		{pub + "/b/a.png?format=avif", "/b/a.png", "", params.Params{Format: params.FormatAVIF}},
		// Nested paths, escapes, and a query of the site's own.
		{pub + "/avatars/user%201/face.webp?width=64&v=3&t=x%20y", "/avatars/user 1/face.webp", "v=3&t=x%20y", params.Params{Width: 64, Fit: params.FitMax, AutoFormat: true}},
		{pub + "/avatars/a.jpg", "/avatars/a.jpg", "", params.Params{AutoFormat: true}},
	})
}

// The fields are the parameters Supabase documents (width, height, resize,
// quality, format), and the path or token where the URL itself is wrong.
func TestParseInvalid(t *testing.T) {
	const pub = "/storage/v1/render/image/public"
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{pub + "/b/a.jpg?width=-1", []string{"width"}, "width must be an integer from 0 to 2500"},
		// A pair the query parser cannot read is refused, not dropped.
		{pub + "/b/a.jpg?width=%zz", []string{"query"}, "not validly escaped"},
		{pub + "/b/a.jpg?width=10;height=5", []string{"query"}, "does not separate parameters"},
		{pub + "/b/a.jpg?width=1.5&height=x", []string{"width", "height"}, "must be an integer"},
		{pub + "/b/a.jpg?width=", []string{"width"}, "width is empty"},
		{pub + "/b/a.jpg?width=1&width=2", []string{"width"}, "given 2 times"},
		{pub + "/b/a.jpg?resize=inside", []string{"resize"}, "one of cover, contain, fill"},
		{pub + "/b/a.jpg?quality=19", []string{"quality"}, "from 20 to 100"},
		{pub + "/b/a.jpg?quality=101", []string{"quality"}, "from 20 to 100"},
		{pub + "/b/a.jpg?format=webp", []string{"format"}, "origin or avif"},
		{pub + "/b/a.jpg?width=0x&resize=x&quality=0&format=png", []string{"width", "resize", "quality", "format"}, "is not valid"},
		{pub + "/b", []string{"path"}, "names no object"},
		{pub + "/b/", []string{"path"}, "names no object"},
		{pub + "/", []string{"path"}, "names no object"},
		{pub + "/b/../secret.jpg", []string{"path"}, ". or .."},
		{pub + "/b/a%00.jpg", []string{"path"}, "not a path on this site"},
		{"/storage/v1/render/image/", []string{"path"}, "not a Supabase render URL"},
		{"/storage/v1/render/image/private/b/a.jpg", []string{"path"}, "not a Supabase render URL"},
	})
}

// The signed and authenticated forms carry credentials Matte cannot check:
// a 403 on the token or the authorization.
func TestParseUnverifiable(t *testing.T) {
	for raw, field := range map[string]string{
		"/storage/v1/render/image/sign/b/a.jpg?token=eyJhbGciOiJIUzI1NiJ9.e30.x": "token",
		"/storage/v1/render/image/sign/b/a.jpg":                                  "token",
		"/storage/v1/render/image/authenticated/b/a.jpg?width=10":                "authorization",
	} {
		got, ok, err := urltest.Parse(t, New(), raw)
		list := params.AsErrors(err)
		if !ok || got != (dialect.ImageURL{}) || len(list) != 1 || list[0].Status != http.StatusForbidden || list[0].Code != CodeUnverifiable || list[0].Field != field || !strings.Contains(list[0].Detail, "/storage/v1/render/image/public/") {
			t.Errorf("%s: ok=%v %+v", raw, ok, list)
		}
	}
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?width=10", "/storage/v1/object/public/b/a.jpg?width=10",
		"/storage/v1/render/image", "/STORAGE/v1/render/image/public/b/a.jpg", "/x/storage/v1/render/image/public/b/a.jpg", "/")
}

// The URLs unpic's supabase provider built (test/clients/builders) parse to
// these requests.
func TestParseBuilderURLs(t *testing.T) {
	want := map[string]dialect.ImageURL{
		"/storage/v1/render/image/public/img/builders.jpg?width=400&height=300":    {Source: "/img/builders.jpg", Params: params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, AutoFormat: true}},
		"/storage/v1/render/image/public/img/builders.jpg?width=200&height=150":    {Source: "/img/builders.jpg", Params: params.Params{Width: 200, Height: 150, Fit: params.FitCropDown, AutoFormat: true}},
		"/storage/v1/render/image/public/img/builders.jpg?width=320&format=origin": {Source: "/img/builders.jpg", Params: params.Params{Width: 320, Fit: params.FitMax}},
	}
	urltest.CheckBuilderURLs(t, New(), "supabase", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"public/b/a.jpg?width=500&height=600&resize=contain&quality=80&format=origin", "public/b/a.jpg?width=99999999999999999999",
		"sign/b/a.jpg?token=x", "authenticated/b/a.jpg", "public/b", "public/../a?width=", "x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		u, err := url.ParseRequestURI(Prefix + tail)
		if err != nil {
			return
		}
		got, ok, err := New().Parse(u)
		if !ok {
			t.Fatal("not claimed")
		}
		if err != nil {
			if e := params.AsErrors(err); e[0].Status == http.StatusForbidden {
				if len(e) != 1 || (e[0].Field != "token" && e[0].Field != "authorization") {
					t.Fatalf("%+v", e)
				}
				return
			}
			urltest.FuzzError(t, got, err, func(f string) bool { return f == "path" || allowed[f] != "" })
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.Quality != 0 && (p.Quality < 20 || p.Quality > 100) {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, "/") || strings.HasPrefix(got.Source, "//") || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}
