package directus

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func mustNew(t testing.TB, presets map[string]string) *Dialect {
	t.Helper()
	d, err := New(presets)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestName(t *testing.T) {
	if mustNew(t, nil).Name() != "directus" {
		t.Fatal(mustNew(t, nil).Name())
	}
}

func TestParseValid(t *testing.T) {
	const id = "/assets/ad514db1-eb90-4523-8183-46781437e7ee"
	black := params.Color{A: 255, Set: true}
	d := mustNew(t, map[string]string{"thumb": "width=200&height=100&fit=contain&quality=80&format=webp", "system-small-cover": "width=10"})
	urltest.CheckValid(t, d, []urltest.Valid{
		// Directus's documented example (Transform Files).
		{id + "?fit=cover&width=200&height=200&quality=80", id, "", params.Params{Width: 200, Height: 200, Fit: params.FitCrop, Quality: 80}},
		{id + "?width=200&height=100", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitCrop}},
		// sharp's cover with withoutEnlargement ("do not enlarge if the
		// width or height are already less than the specified
		// dimensions") cuts min(box, image) on each side: FitCropDown (a
		// 1200x900 image in 1600x600 is 1200x600), not FitMin (1200x450).
		{id + "?width=200&height=100&withoutEnlargement=true", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitCropDown}},
		{id + "?width=1600&height=600&withoutEnlargement=true", id, "", params.Params{Width: 1600, Height: 600, Fit: params.FitCropDown}},
		{id + "?width=200&height=100&fit=contain", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitFill, FillColor: black}},
		{id + "?width=200&height=100&fit=contain&withoutEnlargement=1", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitFillMax, FillColor: black}},
		{id + "?width=200&height=100&fit=inside", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitClip}},
		{id + "?width=200&height=100&fit=inside&withoutEnlargement=true", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitMax}},
		{id + "?width=200&height=100&fit=outside", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitOutside}},
		{id + "?width=200&height=100&fit=outside&withoutEnlargement=true", id, "", params.Params{Width: 200, Height: 100, Fit: params.FitOutsideMax}},
		// One side: every fit scales to it.
		{id + "?width=200&fit=contain", id, "", params.Params{Width: 200, Fit: params.FitClip}},
		{id + "?height=50&withoutEnlargement=false", id, "", params.Params{Height: 50, Fit: params.FitClip}},
		{id + "?width=300&withoutEnlargement=true", id, "", params.Params{Width: 300, Fit: params.FitMax}},
		// Formats.
		{id + "?format=auto", id, "", params.Params{AutoFormat: true}},
		{id + "?format=jpg&quality=1", id, "", params.Params{Format: params.FormatJPEG, Quality: 1}},
		{id + "?format=jpeg", id, "", params.Params{Format: params.FormatJPEG}},
		{id + "?format=png", id, "", params.Params{Format: params.FormatPNG}},
		{id + "?format=webp&quality=100", id, "", params.Params{Format: params.FormatWebP, Quality: 100}},
		{id + "?format=avif", id, "", params.Params{Format: params.FormatAVIF}},
		// A download name is dropped; other query parameters go to the source.
		{id + "/my%20photo.jpg?width=20&download&access_token=abc", id, "download&access_token=abc", params.Params{Width: 20, Fit: params.FitClip}},
		{"/assets/builders.jpg", "/assets/builders.jpg", "", params.Params{}},
		// transforms.
		{id + `?transforms=[["blur",4],["negate"]]`, id, "", params.Params{Blur: 40, Invert: true}},
		{id + `?transforms=[["blur",0.3],["greyscale",true],["flip"],["flop"],["normalise"]]`, id, "", params.Params{Blur: 3, Saturation: -100, Flip: params.FlipHV, Normalize: true}},
		{id + `?transforms=[["grayscale",false],["negate",{"alpha":false}],["rotate",-90],["flop",true]]`, id, "", params.Params{Invert: true, Rotate: 270, Flip: params.FlipH}},
		{id + `?transforms=[["rotate"],["normalize"],["blur",200]]`, id, "", params.Params{Normalize: true, Blur: 2000}},
		{id + `?transforms=[["rotate",450]]`, id, "", params.Params{Rotate: 90}},
		{id + `?transforms=[]`, id, "", params.Params{}},
		// A resize among the transforms, overridden by a width or height.
		{id + `?transforms=[["resize",{"width":100,"height":80,"fit":"inside"}]]&quality=50`, id, "", params.Params{Width: 100, Height: 80, Fit: params.FitClip, Quality: 50}},
		{id + `?transforms=[["resize",{"width":100,"height":80,"fit":"inside","withoutEnlargement":true}]]&fit=outside`, id, "", params.Params{Width: 100, Height: 80, Fit: params.FitMax}},
		{id + `?transforms=[["resize",{"width":100,"height":80,"fit":"inside"}]]&width=30`, id, "", params.Params{Width: 30, Fit: params.FitClip}},
		// Presets: Directus's system ones, the site's, a site's replacing a system one.
		{id + "?key=system-medium-cover", id, "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		{id + "?key=system-large-contain", id, "", params.Params{Width: 800, Fit: params.FitClip, AutoFormat: true}},
		{id + "?key=thumb&v=2", id, "v=2", params.Params{Width: 200, Height: 100, Fit: params.FitFill, FillColor: black, Quality: 80, Format: params.FormatWebP}},
		{id + "?key=system-small-cover", id, "", params.Params{Width: 10, Fit: params.FitClip}},
	})
}

// The fields are those Directus names (its query keys), and id where the
// path itself is wrong.
func TestParseInvalid(t *testing.T) {
	const id = "/assets/abc"
	d := mustNew(t, map[string]string{"thumb": "width=20"})
	urltest.CheckInvalid(t, d, []urltest.Invalid{
		{id + "?width=0", []string{"width"}, "width must be an integer from 1 to 100000"},
		{id + "?width=100001&height=-1", []string{"width", "height"}, "from 1 to 100000"},
		{id + "?width=1&width=2", []string{"width"}, "given 2 times"},
		{id + "?fit=fill", []string{"fit"}, "one of cover, contain, inside, outside"},
		{id + "?withoutEnlargement=yes", []string{"withoutEnlargement"}, "true or false"},
		{id + "?quality=0", []string{"quality"}, "from 1 to 100"},
		{id + "?format=gif", []string{"format"}, "one of auto, jpg"},
		{id + "?format=tiff", []string{"format"}, "tiff is not written by Matte"},
		{id + "?focal_point_x=10&focal_point_y=20", []string{"focal_point_x", "focal_point_y"}, "not supported"},
		{id + "?key=thumb&width=10", []string{"key"}, `You can't combine the "key" query parameter with any other transformation.`},
		{id + "?key=nope", []string{"key"}, `Key "nope" isn't configured`},
		{id + "?key=thumb&key=thumb", []string{"key"}, "given 2 times"},
		{id + "?transforms=blur", []string{"transforms"}, "JSON array of sharp operations"},
		{id + `?transforms={"blur":4}`, []string{"transforms"}, "JSON array"},
		{id + `?transforms=[[]]`, []string{"transforms"}, "JSON array"},
		{id + `?transforms=[[4]]`, []string{"transforms"}, "JSON array"},
		{id + `?transforms=[["negate"],["negate"],["flip"],["flop"],["normalize"],["rotate"]]`, []string{"transforms"}, "Directus allows 5"},
		{id + `?transforms=[["tint",{"r":255}]]`, []string{"transforms"}, `operation "tint" is not one Matte applies`},
		{id + `?transforms=[["sharpen"]]`, []string{"transforms"}, `operation "sharpen"`},
		{id + `?transforms=[["blur"]]`, []string{"transforms"}, "sigma from 0.3 to 200"},
		{id + `?transforms=[["blur",0.2]]`, []string{"transforms"}, "sigma from 0.3 to 200"},
		{id + `?transforms=[["blur",201]]`, []string{"transforms"}, "sigma from 0.3 to 200"},
		{id + `?transforms=[["rotate",45]]`, []string{"transforms"}, "multiple of 90"},
		{id + `?transforms=[["rotate",90.5]]`, []string{"transforms"}, "multiple of 90"},
		{id + `?transforms=[["negate",{"alpha":false,"x":1}]]`, []string{"transforms"}, `{"alpha": false}`},
		{id + `?transforms=[["flip",1]]`, []string{"transforms"}, "true or false"},
		{id + `?transforms=[["flip"],["flip"]]`, []string{"transforms"}, "twice"},
		{id + `?transforms=[["resize",{"width":10,"kernel":"nearest"}]]`, []string{"transforms"}, "one object of width, height, fit, withoutEnlargement"},
		{id + `?transforms=[["resize",{"width":0}]]`, []string{"transforms"}, "width must be an integer from 1 to 100000"},
		{id + `?transforms=[["resize",{"fit":"fill"}]]`, []string{"transforms"}, "fit must be one of"},
		{"/assets/", []string{"id"}, "not a Directus asset URL"},
		{"/assets/a/b/c.jpg", []string{"id"}, "not a Directus asset URL"},
		{"/assets/..", []string{"id"}, ". or .."},
		{"/assets/a%01b", []string{"id"}, "not a path on this site"},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{id + "?width=%zz", []string{"query"}, "not validly escaped"},
		{id + "?width=100;height=50", []string{"query"}, "does not separate parameters"},
	})
}

func TestNewPresets(t *testing.T) {
	for name, q := range map[string]string{"a": "key=b", "b": "width=x", "c": "%zz", "d": `transforms=[["tint"]]`} {
		if _, err := New(map[string]string{name: q}); err == nil || !strings.Contains(err.Error(), `preset "`+name+`"`) {
			t.Errorf("preset %s=%s: %v", name, q, err)
		}
	}
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, mustNew(t, nil), "/img/a.jpg?width=10", "/assets", "/ASSETS/a?width=1", "/x/assets/a?width=1", "/")
}

// The URLs unpic's and @unpic/core's directus providers built parse to
// these requests.
func TestParseBuilderURLs(t *testing.T) {
	want := map[string]dialect.ImageURL{
		"/assets/builders.jpg?width=400&height=300&withoutEnlargement=true&fit=cover": {Source: "/assets/builders.jpg", Params: params.Params{Width: 400, Height: 300, Fit: params.FitCropDown}},
		"/assets/builders.jpg?width=200&height=150&withoutEnlargement=true&fit=cover": {Source: "/assets/builders.jpg", Params: params.Params{Width: 200, Height: 150, Fit: params.FitCropDown}},
		"/assets/builders.jpg?width=320&format=png&withoutEnlargement=true&fit=cover": {Source: "/assets/builders.jpg", Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, mustNew(t, nil), "directus", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"abc?width=200&height=100&fit=contain&withoutEnlargement=true&quality=80&format=webp",
		`abc/name.jpg?transforms=[["blur",4],["rotate",90],["resize",{"width":10,"fit":"outside"}]]&width=5`,
		"abc?key=system-small-cover", "abc?key=x&width=1", "?focal_point_x=1", "a/b/c", "..?format=tiff",
	} {
		f.Add(s)
	}
	d := mustNew(f, map[string]string{"thumb": "width=20&fit=inside"})
	f.Fuzz(func(t *testing.T, tail string) {
		u, err := url.ParseRequestURI(Prefix + tail)
		if err != nil {
			return
		}
		got, ok, err := d.Parse(u)
		if !ok {
			t.Fatal("not claimed")
		}
		if err != nil {
			urltest.FuzzError(t, got, err, func(f string) bool { return f == "id" || f == "query" || isParam(f) })
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.Quality < 0 || p.Quality > 100 || p.Blur < 0 || p.Blur > 2000 || p.Rotate < 0 || p.Rotate >= 360 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, Prefix) || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}
