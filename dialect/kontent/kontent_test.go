package kontent

import (
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "kontent" {
		t.Fatal(New().Name())
	}
}

// asset is an asset URL's path on assets-us-01.kc-usercontent.com.
const asset = "/975bf280-fd91-488c-994c-2f04416e5ee3/c6f3e51c-6d2d-4dd6-b5b1-8ec8c8fbd8e4/coffee-beverages.jpg"

func TestParseValid(t *testing.T) {
	urltest.CheckValid(t, New(), []urltest.Valid{
		{asset, asset, "", params.Params{}},
		{asset + "?w=300", asset, "", params.Params{Width: 300}},
		{asset + "?h=0.5", asset, "", params.Params{HeightRatio: 0.5}},
		{asset + "?w=300&h=200&dpr=2", asset, "", params.Params{Width: 300, Height: 200, DPR: 2}},
		{asset + "?w=300&h=200&fit=scale", asset, "", params.Params{Width: 300, Height: 200, Fit: params.FitScale}},
		{asset + "?w=300&h=200&fit=clip", asset, "", params.Params{Width: 300, Height: 200}},
		{asset + "?w=300&h=200&fit=crop", asset, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop}},
		{asset + "?rect=10,20,300,200", asset, "", params.Params{Rect: params.Rect{X: 10, Y: 20, W: 300, H: 200}}},
		{asset + "?w=200&h=200&fit=crop&crop=focalpoint&fp-x=0.25&fp-y=0.75&fp-z=2", asset, "",
			params.Params{Width: 200, Height: 200, Fit: params.FitCrop, Focus: params.Focus{X: 0.25, Y: 0.75, Zoom: 2, Set: true}}},
		{asset + "?w=200&h=200&fit=crop&crop=focalpoint&fp-y=0", asset, "",
			params.Params{Width: 200, Height: 200, Fit: params.FitCrop, Focus: params.Focus{X: 0.5, Y: 0, Set: true}}},
		// ARGB: 7A is the alpha.
		{asset + "?bg=7A0099EE", asset, "", params.Params{Background: params.Color{R: 0x00, G: 0x99, B: 0xee, A: 0x7a, Set: true}}},
		{asset + "?bg=f00", asset, "", params.Params{Background: params.Color{R: 255, A: 255, Set: true}}},
		{asset + "?fm=pjpg&q=60", asset, "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive, Quality: 60}},
		{asset + "?fm=png8", asset, "", params.Params{Format: params.FormatPNG, Variant: params.VariantPalette}},
		{asset + "?fm=gif", asset, "", params.Params{Format: params.FormatGIF}},
		{asset + "?fm=avif", asset, "", params.Params{Format: params.FormatAVIF}},
		{asset + "?fm=webp&lossless=true", asset, "", params.Params{Format: params.FormatWebP, Lossless: true}},
		{asset + "?auto=format&lossless=1", asset, "", params.Params{AutoFormat: true, Lossless: true}},
		{asset + "?fm=jpg&lossless=false", asset, "", params.Params{Format: params.FormatJPEG}},
		{asset + "?auto=format", asset, "", params.Params{AutoFormat: true}},
		// Other parameters go with the source.
		{asset + "?w=10&v=2&sig=a%20b", asset, "v=2&sig=a%20b", params.Params{Width: 10}},
		{"/8c150fae-fba4-0115-ef12-b10a8a4e2715/916fe268-2655-44dd-966d-b09a913bbbf2/id%20shell.png", "/8c150fae-fba4-0115-ef12-b10a8a4e2715/916fe268-2655-44dd-966d-b09a913bbbf2/id shell.png", "", params.Params{}},
	})
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{asset + "?w=abc", []string{"w"}, "not valid"},
		{asset + "?w=1&w=2", []string{"w"}, "given 2 times"},
		{asset + "?dpr=6", []string{"dpr"}, "from 1 to 5"},
		{asset + "?q=0", []string{"q"}, "from 1 to 100"},
		// imgix takes these (dpr above 0, q from 0); Kontent.ai documents
		// dpr 1 to 5 and q 1 to 100.
		{asset + "?dpr=0.5", []string{"dpr"}, "from 1 to 5"},
		{asset + "?q=50.5", []string{"q"}, "an integer from 1 to 100"},
		{asset + "?w=10&h=10&fit=max", []string{"fit"}, "one of clip, scale, crop"},
		{asset + "?w=10&h=10&fit=facearea", []string{"fit"}, "one of clip, scale, crop"},
		{asset + "?w=10&h=10&fit=crop&crop=entropy", []string{"crop"}, "focalpoint"},
		{asset + "?w=10&h=10&crop=focalpoint", []string{"crop"}, "give fit=crop"},
		{asset + "?w=10&h=10&fit=crop&fp-x=0.2", []string{"fp-x"}, "needs crop=focalpoint"},
		{asset + "?w=10&h=10&fit=crop&crop=focalpoint&fp-x=2", []string{"fp-x"}, ""},
		{asset + "?w=10&h=10&fit=crop&crop=focalpoint&fp-z=0.5", []string{"fp-z"}, ""},
		{asset + "?rect=0.1,0.1,0.5,0.5", []string{"rect"}, "four integers"},
		{asset + "?rect=center,middle,10,10", []string{"rect"}, "four integers"},
		{asset + "?rect=0.5,0,10,10", []string{"rect"}, "four integers"},
		{asset + "?bg=red0", []string{"bg"}, ""},
		{asset + "?fm=jpeg", []string{"fm"}, "one of gif, png, png8, jpg, pjpg, webp, avif"},
		{asset + "?fm=png32", []string{"fm"}, "one of gif"},
		{asset + "?fm=jpg&auto=format", []string{"fm"}, "give fm or auto=format"},
		{asset + "?auto=compress", []string{"auto"}, "format"},
		{asset + "?auto=format,compress", []string{"auto"}, "format"},
		{asset + "?fm=jpg&lossless=1", []string{"lossless"}, "give fm=webp or auto=format"},
		{asset + "?lossless=yes&fm=webp", []string{"lossless"}, ""},
		{asset + "?fit=cover&fm=bmp&w=-1", []string{"fit", "fm", "w"}, ""},
		{"/975bf280-fd91-488c-994c-2f04416e5ee3/c6f3e51c-6d2d-4dd6-b5b1-8ec8c8fbd8e4/..?w=1", []string{"path"}, ". or .."},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{asset + "?w=%zz", []string{"query"}, "not validly escaped"},
		{asset + "?w=100;h=50", []string{"query"}, "does not separate parameters"},
	})
}

// Paths of another shape are a site's own, or Uploadcare's
// (/<uuid>/-/...), whatever their query.
func TestParseNotClaimed(t *testing.T) {
	const id = "975bf280-fd91-488c-994c-2f04416e5ee3"
	urltest.CheckNotClaimed(t, New(),
		"/img/a.jpg?w=100&fit=crop",
		"/"+id+"/a.jpg?w=1",
		"/"+id+"/"+id+"?w=1",
		"/"+id+"/"+id+"/a/b.jpg?w=1",
		"/x/"+id+"/"+id+"/a.jpg?w=1",
		"/"+id+"/-/resize/10x10/a.jpg",
		"/975BF280-FD91-488C-994C-2F04416E5EE3/"+id+"/a.jpg?w=1",
		"/975bf280fd91488c994c2f04416e5ee3/"+id+"/a.jpg?w=1",
		"/"+id+"/"+id+"/",
		"/",
	)
}

// The URLs unpic's kontent.ai provider built (test/clients/builders) parse
// to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/8c150fae-fba4-0115-ef12-b10a8a4e2715/916fe268-2655-44dd-966d-b09a913bbbf2/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "?fit=crop&w=400&h=300": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		src + "?fit=crop&w=200&h=150": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop}},
		src + "?fm=webp&w=320":        {Source: src, Params: params.Params{Width: 320, Format: params.FormatWebP}},
	}
	urltest.CheckBuilderURLs(t, New(), "kontent.ai", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"w=100&h=50&dpr=2&fit=crop&crop=focalpoint&fp-x=0.2&fp-y=0.3&fp-z=2&bg=7A0099EE&fm=pjpg&q=60",
		"rect=1,2,30,40&w=0.5&fit=scale&h=20", "auto=format&lossless=true", "fm=webp&lossless=1",
		"fit=max", "w=&h=", "w=1&w=2", "x=%zz", "mark=/a.png&blur=20",
	} {
		f.Add(asset, s)
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		raw := path + "?" + query
		got, u, ok := urltest.FuzzParsed(t, New(), raw, func(f string) bool { return f == "path" || f == "query" || isParam(f) })
		if !ok {
			return
		}
		if got.Source != u.Path || got.Remote() || got.Params.Watermark.Image != "" || got.Params.Blur != 0 {
			t.Fatalf("%q: %+v", raw, got)
		}
	})
}
