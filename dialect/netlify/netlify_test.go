package netlify

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/builderstest"
	"github.com/jebosio/matte/params"
)

func parse(t *testing.T, raw string) (dialect.ImageURL, bool, error) {
	t.Helper()
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return New().Parse(u)
}

func TestName(t *testing.T) {
	if New().Name() != "netlify" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		raw           string
		source, query string
		want          params.Params
	}{
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
	}
	for _, tt := range tests {
		got, ok, err := parse(t, tt.raw)
		want := dialect.ImageURL{Params: tt.want, Source: tt.source, Query: tt.query}
		if !ok || err != nil || got != want {
			t.Errorf("%s: ok=%v err=%v\n got %+v\nwant %+v", tt.raw, ok, err, got, want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		raw    string
		fields []string
		detail string
	}{
		{"/.netlify/images?w=10", []string{"url"}, "url is required"},
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
	}
	for _, tt := range tests {
		got, ok, err := parse(t, tt.raw)
		list := params.AsErrors(err)
		if !ok || err == nil || got != (dialect.ImageURL{}) || len(list) != len(tt.fields) {
			t.Errorf("%s: ok=%v err=%v, want errors on %v", tt.raw, ok, err, tt.fields)
			continue
		}
		for i, e := range list {
			if e.Field != tt.fields[i] || e.Status != http.StatusBadRequest || !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("%s: %+v, want field %s with %q", tt.raw, e, tt.fields[i], tt.detail)
			}
		}
	}
}

func TestParseNotClaimed(t *testing.T) {
	for _, raw := range []string{"/img/a.jpg?url=/a.jpg", "/.netlify/images/", "/.netlify/image?url=/a", "/"} {
		if _, ok, err := parse(t, raw); ok || err != nil {
			t.Errorf("%s: ok=%v err=%v", raw, ok, err)
		}
	}
}

// The URLs unpic and @unpic/core built (test/clients/builders).
func TestParseBuilderURLs(t *testing.T) {
	f := builderstest.Load(t)
	src := "/img/builders.jpg"
	want := map[string]dialect.ImageURL{
		"/.netlify/images?w=400&h=300&fit=cover&url=%2Fimg%2Fbuilders.jpg":  {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		"/.netlify/images?fm=png&w=320&fit=cover&url=%2Fimg%2Fbuilders.jpg": {Source: src, Params: params.Params{Width: 320, Fit: params.FitCrop, Format: params.FormatPNG}},
		"/.netlify/images?w=200&h=150&fit=cover&url=%2Fimg%2Fbuilders.jpg":  {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, AutoFormat: true}},
	}
	for _, c := range f.For(t, "netlify") {
		w, known := want[c.Request]
		if !known {
			t.Errorf("%s built %s, which this test does not pin", c.Builder, c.Request)
			continue
		}
		got, ok, err := New().Parse(c.RequestURL(t))
		if !ok || err != nil || got != w {
			t.Errorf("%s %s: ok=%v err=%v\n got %+v\nwant %+v", c.Builder, c.Request, ok, err, got, w)
		}
	}
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
			var list params.Errors
			if !errors.As(err, &list) || len(list) == 0 || got != (dialect.ImageURL{}) {
				t.Fatalf("error %v with %+v", err, got)
			}
			for _, e := range list {
				if _, known := allowed[e.Field]; !known || e.Status != http.StatusBadRequest || e.Detail == "" {
					t.Fatalf("bad entry %+v", e)
				}
			}
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxDimension || p.Height < 0 || p.Height > maxDimension || p.Quality < 0 || p.Quality > 100 ||
			(p.Crop != params.CropCenter && p.Fit != params.FitCrop) || p.AutoFormat != (p.Format == params.FormatSource) || got.Source == "" {
			t.Fatalf("bad result %+v", got)
		}
	})
}
