package nextjs

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "nextjs" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	auto := func(w, q int) params.Params {
		return params.Params{Width: w, Quality: q, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}
	}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// next/image's default loader, as Next documents it.
		{"/_next/image?url=%2Fimg%2Fa.jpg&w=828&q=75", "/img/a.jpg", "", auto(828, 75)},
		{"/_next/image?w=640&q=75&url=/img/a.jpg", "/img/a.jpg", "", auto(640, 75)},
		{"/_next/image?url=%2Fimg%2Fa.jpg%3Fv%3D2&w=1&q=1", "/img/a.jpg", "v=2", auto(1, 1)},
		{"/_next/image?url=%2Fimg%2Fmy%2520photo.jpg&w=64&q=100", "/img/my photo.jpg", "", auto(64, 100)},
		{"/_next/image?url=https%3A%2F%2Fcdn.example.com%2Fa.png&w=3840&q=90", "https://cdn.example.com/a.png", "", auto(3840, 90)},
		{"/_next/image?url=HTTP%3A%2F%2Fexample.com%2Fa.png%23frag&w=32&q=050", "http://example.com/a.png", "", auto(32, 50)},
		{"/_next/image?url=%2Fa.jpg&w=100000&q=75&other=1", "/a.jpg", "", auto(100000, 75)},
	})
}

// The error texts are Next.js's own (image-optimizer.js validateParams).
func TestParseInvalid(t *testing.T) {
	tests := []struct {
		raw    string
		errors map[string]string
	}{
		{"/_next/image", map[string]string{
			"url": `"url" parameter is required`, "w": `"w" parameter (width) is required`, "q": `"q" parameter (quality) is required`,
		}},
		{"/_next/image?url=&w=&q=", map[string]string{
			"url": `"url" parameter is required`, "w": `"w" parameter (width) is required`, "q": `"q" parameter (quality) is required`,
		}},
		{"/_next/image?url=/a.jpg&url=/b.jpg&w=1&w=2&q=1&q=2", map[string]string{
			"url": `"url" parameter cannot be an array`, "w": `"w" parameter (width) cannot be an array`, "q": `"q" parameter (quality) cannot be an array`,
		}},
		{"/_next/image?url=" + strings.Repeat("a", 3073) + "&w=1&q=1", map[string]string{"url": `"url" parameter is too long`}},
		{"/_next/image?url=%2F%2Fevil.example%2Fa.jpg&w=1&q=1", map[string]string{"url": `"url" parameter cannot be a protocol-relative URL (//)`}},
		{"/_next/image?url=%2F_next%2Fimage%3Furl%3D%252Fa.jpg&w=1&q=1", map[string]string{"url": `"url" parameter cannot be recursive`}},
		{"/_next/image?url=%2F_next%2Fimage%2Fx&w=1&q=1", map[string]string{"url": `"url" parameter cannot be recursive`}},
		{"/_next/image?url=ftp%3A%2F%2Fexample.com%2Fa.jpg&w=1&q=1", map[string]string{"url": `"url" parameter is invalid`}},
		{"/_next/image?url=img%2Fa.jpg&w=1&q=1", map[string]string{"url": `"url" parameter is invalid`}},
		{"/_next/image?url=%2Fimg%2F..%2Fsecret&w=1&q=1", map[string]string{"url": `"url" parameter is invalid`}},
		{"/_next/image?url=http%3A%2F%2Fu%3Ap%40example.com%2Fa.jpg&w=1&q=1", map[string]string{"url": `"url" parameter is invalid`}},
		{"/_next/image?url=%2Fa.jpg&w=abc&q=75", map[string]string{"w": `"w" parameter (width) must be an integer greater than 0`}},
		{"/_next/image?url=%2Fa.jpg&w=-1&q=75", map[string]string{"w": `"w" parameter (width) must be an integer greater than 0`}},
		{"/_next/image?url=%2Fa.jpg&w=0&q=75", map[string]string{"w": `"w" parameter (width) must be an integer greater than 0`}},
		{"/_next/image?url=%2Fa.jpg&w=100001&q=75", map[string]string{"w": `"w" parameter (width) of 100001 is not allowed`}},
		{"/_next/image?url=%2Fa.jpg&w=99999999999999999999999&q=75", map[string]string{"w": `"w" parameter (width) of 99999999999999999999... is not allowed`}},
		{"/_next/image?url=%2Fa.jpg&w=10&q=0", map[string]string{"q": `"q" parameter (quality) must be an integer between 1 and 100`}},
		{"/_next/image?url=%2Fa.jpg&w=10&q=101", map[string]string{"q": `"q" parameter (quality) must be an integer between 1 and 100`}},
		{"/_next/image?url=%2Fa.jpg&w=10&q=7.5", map[string]string{"q": `"q" parameter (quality) must be an integer between 1 and 100`}},
	}
	for _, tt := range tests {
		got, ok, err := urltest.Parse(t, New(), tt.raw)
		if !ok || err == nil || got != (dialect.ImageURL{}) {
			t.Errorf("%.80s: ok=%v err=%v got=%+v", tt.raw, ok, err, got)
			continue
		}
		list := params.AsErrors(err)
		if len(list) != len(tt.errors) {
			t.Errorf("%.80s: %v, want %v", tt.raw, err, tt.errors)
		}
		for _, e := range list {
			if tt.errors[e.Field] != e.Detail || e.Status != http.StatusBadRequest || e.Code != params.CodeInvalidParameter {
				t.Errorf("%.80s: %+v, want detail %q", tt.raw, e, tt.errors[e.Field])
			}
		}
	}
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?url=/a.jpg&w=1&q=1", "/_next/image/", "/_next/images?url=/a&w=1&q=1", "/_NEXT/image?url=/a&w=1&q=1", "/")
}

// The URLs that unpic, @unpic/core and next/image's getImageProps built
// (test/clients/builders) parse to these requests.
func TestParseBuilderURLs(t *testing.T) {
	want := map[string]dialect.ImageURL{
		"/_next/image?w=400&q=75&url=%2Fimg%2Fbuilders.jpg":                              {Source: "/img/builders.jpg", Params: params.Params{Width: 400, Quality: 75, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}},
		"/_next/image?w=200&q=75&url=%2Fimg%2Fbuilders.jpg":                              {Source: "/img/builders.jpg", Params: params.Params{Width: 200, Quality: 75, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}},
		"/_next/image?url=%2Fimg%2Fbuilders.jpg&w=828&q=75":                              {Source: "/img/builders.jpg", Params: params.Params{Width: 828, Quality: 75, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}},
		"/_next/image?url=http%3A%2F%2F127.0.0.1%3A9080%2Fimg%2Fbuilders.jpg&w=128&q=75": {Source: "http://127.0.0.1:9080/img/builders.jpg", Params: params.Params{Width: 128, Quality: 75, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}},
	}
	urltest.CheckBuilderURLs(t, New(), "nextjs", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"url=%2Fimg%2Fa.jpg&w=828&q=75", "url=https%3A%2F%2Fexample.com%2Fa.png&w=64&q=100", "", "url=&w=&q=",
		"url=%2F%2Fx&w=0&q=101", "url=%2F_next%2Fimage&w=1&q=1", "url=/a&url=/b&w=1&w=1", "w=99999999999999999999&q=-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		got, ok, err := New().Parse(&url.URL{Path: Path, RawQuery: rawQuery})
		if !ok {
			t.Fatal("not claimed")
		}
		if err != nil {
			var list params.Errors
			if !errors.As(err, &list) || len(list) == 0 || got != (dialect.ImageURL{}) {
				t.Fatalf("error %v with %+v", err, got)
			}
			for _, e := range list {
				if e.Status != http.StatusBadRequest || (e.Field != "url" && e.Field != "w" && e.Field != "q") || !strings.HasPrefix(e.Detail, `"`+e.Field+`" parameter`) {
					t.Fatalf("bad entry %+v", e)
				}
			}
			return
		}
		p := got.Params
		if p.Width < 1 || p.Width > maxWidth || p.Quality < 1 || p.Quality > 100 || p.Fit != params.FitMax || !p.AutoFormat || p.Frames != params.FramesSource {
			t.Fatalf("params out of range: %+v", p)
		}
		if !got.Remote() && (!strings.HasPrefix(got.Source, "/") || strings.HasPrefix(got.Source, "//")) {
			t.Fatalf("source %q", got.Source)
		}
		if got.Remote() && got.Query != "" {
			t.Fatalf("remote source with a query %q", got.Query)
		}
	})
}

// Vercel's /_vercel/image reads as /_next/image does, under its own name
// and route; each dialect claims its own route only.
func TestVercel(t *testing.T) {
	if NewVercel().Name() != "vercel" {
		t.Fatal(NewVercel().Name())
	}
	auto := func(w, q int) params.Params {
		return params.Params{Width: w, Quality: q, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}
	}
	urltest.CheckValid(t, NewVercel(), []urltest.Valid{
		// Vercel's documented form, as the Build Output API and the Nuxt and
		// Astro adapters write it.
		{"/_vercel/image?url=%2Fimg%2Fa.jpg&w=3840&q=75", "/img/a.jpg", "", auto(3840, 75)},
		{"/_vercel/image?w=640&q=100&url=https%3A%2F%2Fcdn.example.com%2Fa.png", "https://cdn.example.com/a.png", "", auto(640, 100)},
	})
	urltest.CheckInvalid(t, NewVercel(), []urltest.Invalid{
		{"/_vercel/image", []string{"url", "w", "q"}, "parameter"},
		{"/_vercel/image?url=%2Fa.jpg&w=0&q=75", []string{"w"}, `"w" parameter (width) must be an integer greater than 0`},
		{"/_vercel/image?url=%2Fa.jpg&w=10&q=101", []string{"q"}, `"q" parameter (quality) must be an integer between 1 and 100`},
		{"/_vercel/image?url=%2F_vercel%2Fimage%3Furl%3D%252Fa.jpg&w=1&q=1", []string{"url"}, `"url" parameter cannot be recursive`},
		{"/_vercel/image?url=%2F_next%2Fimage%3Furl%3D%252Fa.jpg&w=1&q=1", []string{"url"}, `"url" parameter cannot be recursive`},
	})
	urltest.CheckNotClaimed(t, NewVercel(), "/_next/image?url=%2Fa.jpg&w=1&q=1", "/_vercel/image/", "/_vercel/images?url=/a&w=1&q=1", "/img/a.jpg?url=/a.jpg&w=1&q=1")
	urltest.CheckNotClaimed(t, New(), "/_vercel/image?url=%2Fa.jpg&w=1&q=1")
	// Next's own check, kept for nextjs: a url naming Vercel's route too.
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/_next/image?url=%2F_vercel%2Fimage&w=1&q=1", []string{"url"}, `"url" parameter cannot be recursive`},
	})
}

// The URLs that unpic and @unpic/core built for Vercel parse to these
// requests.
func TestVercelBuilderURLs(t *testing.T) {
	want := map[string]dialect.ImageURL{
		"/_vercel/image?w=400&q=75&url=%2Fimg%2Fbuilders.jpg": {Source: "/img/builders.jpg", Params: params.Params{Width: 400, Quality: 75, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}},
		"/_vercel/image?w=200&q=75&url=%2Fimg%2Fbuilders.jpg": {Source: "/img/builders.jpg", Params: params.Params{Width: 200, Quality: 75, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}},
	}
	urltest.CheckBuilderURLs(t, NewVercel(), "vercel", want)
}

// TestDisposition: the Content-Disposition of an answer, as next 16.5.0
// writes it (each want printed by its image-optimizer's
// getFileNameWithExtension and compiled content-disposition, with
// images.contentDispositionType's default "attachment").
func TestDisposition(t *testing.T) {
	for _, tc := range []struct{ ref, contentType, want string }{
		{"/photos/car-2.jpg", "image/webp", `attachment; filename="car-2.webp"`},
		{"/photos/car-2.jpg", "image/jpeg", `attachment; filename="car-2.jpeg"`},
		{"/a/b.c.png?v=1", "image/avif", `attachment; filename="b.avif"`},
		{"/dir/", "image/png", `attachment; filename="image.bin"`},
		{"https://cdn.example/x/pic.gif", "image/gif", `attachment; filename="pic.gif"`},
		{"/%E5%86%99.jpg", "image/png", `attachment; filename="%E5%86%99.png"; filename*=UTF-8''%25E5%2586%2599.png`},
		{"/写真.jpg", "image/webp", `attachment; filename="??.webp"; filename*=UTF-8''%E5%86%99%E7%9C%9F.webp`},
		{"/my photo.jpg", "image/jpeg", `attachment; filename="my photo.jpeg"`},
		{`/a"b.jpg`, "image/png", `attachment; filename="a\"b.png"`},
		{"/logo.svg", "image/svg+xml", `attachment; filename="logo.svg"`},
	} {
		if got := Disposition(tc.ref, tc.contentType); got != tc.want {
			t.Errorf("Disposition(%q, %q) = %s, want %s", tc.ref, tc.contentType, got, tc.want)
		}
	}
}
