package builderio

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "builderio" {
		t.Fatal(New().Name())
	}
}

// asset is the image of Builder's Image API explorer.
const asset = "/api/v1/image/assets/YJIGb4i01jvw0SRdL5Bt/869bfbaec9c64415ae68235d9b7b1425"

func TestParseValid(t *testing.T) {
	urltest.CheckValid(t, New(), []urltest.Valid{
		// Builder writes the asset's slashes escaped: the path is the same.
		{"/api/v1/image/assets%2FYJIGb4i01jvw0SRdL5Bt%2F869bfbaec9c64415ae68235d9b7b1425", asset, "", params.Params{}},
		{asset + "?width=400", asset, "", params.Params{Width: 400}},
		{asset + "?height=300&fit=contain", asset, "", params.Params{Height: 300}},
		// Both sides: cover by default, as sharp.
		{asset + "?width=400&height=300", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{asset + "?width=400&height=300&fit=cover&position=left%20top", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{asset + "?width=400&height=300&position=northeast", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropTopRight}},
		{asset + "?width=400&height=300&position=attention", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention}},
		{asset + "?width=400&height=300&fit=contain", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitFill}},
		{asset + "?width=400&height=300&fit=contain&position=centre", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitFill}},
		{asset + "?width=400&fit=contain&position=top", asset, "", params.Params{Width: 400}},
		{asset + "?width=400&height=300&fit=fill", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitScale}},
		{asset + "?width=400&height=300&fit=inside&position=top", asset, "", params.Params{Width: 400, Height: 300}},
		{asset + "?width=400&height=300&fit=outside", asset, "", params.Params{Width: 400, Height: 300, Fit: params.FitOutside}},
		{asset + "?format=webp&quality=85", asset, "", params.Params{Format: params.FormatWebP, Quality: 85}},
		{asset + "?format=jpeg", asset, "", params.Params{Format: params.FormatJPEG}},
		{asset + "?format=jpg&sharp=false", asset, "", params.Params{Format: params.FormatJPEG}},
		{asset + "?format=png", asset, "", params.Params{Format: params.FormatPNG}},
		{asset + "?format=gif", asset, "", params.Params{Format: params.FormatGIF}},
		{asset + "?format=original&cb=3", asset, "cb=3", params.Params{}},
	})
}

// The fields are the parameters Builder documents, and path where the
// URL's path is wrong.
func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{asset + "?width=0", []string{"width"}, "width must be an integer from 1 to 100000"},
		{asset + "?width=1.5&height=-1", []string{"width", "height"}, "an integer from 1 to 100000"},
		{asset + "?width=", []string{"width"}, "width is empty"},
		{asset + "?height=1&height=2", []string{"height"}, "given 2 times"},
		{asset + "?fit=crop", []string{"fit"}, "one of cover, contain, fill, inside, outside"},
		{asset + "?position=middle", []string{"position"}, "compass point"},
		// sharp places a contained image at position; Matte centres it.
		{asset + "?width=400&height=400&fit=contain&position=top", []string{"position"}, "fit=contain's box, which Matte always centres"},
		{asset + "?width=400&height=400&fit=contain&position=attention", []string{"position"}, "always centres"},
		{asset + "?format=avif", []string{"format"}, "one of webp, jpg, jpeg, png, gif, original"},
		{asset + "?quality=101&sharp=yes", []string{"quality", "sharp"}, "is not valid"},
		{"/api/v1/image/assets/YJIGb4i01jvw0SRdL5Bt", []string{"path"}, "names no asset"},
		{"/api/v1/image/assets/", []string{"path"}, "names no asset"},
		{"/api/v1/image/assets/a/b/", []string{"path"}, "names no asset"},
		{"/api/v1/image/assets/a/../b", []string{"path"}, ". or .."},
		{"/api/v1/image/assets/a/b%00", []string{"path"}, "not a path on this site"},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{asset + "?width=%zz", []string{"query"}, "not validly escaped"},
		{asset + "?width=100;height=50", []string{"query"}, "does not separate parameters"},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?width=10", "/api/v1/image/assets", "/api/v1/image/a/b", "/x/api/v1/image/assets/a/b", "/API/v1/image/assets/a/b", "/")
}

// The URLs unpic's builder.io provider built (test/clients/builders) parse
// to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/api/v1/image/assets/YJIGb4i01jvw0SRdL5Bt/0c3b2a1f9e8d4c7b6a5f4e3d2c1b0a99"
	want := map[string]dialect.ImageURL{
		src + "?width=400&height=300&fit=cover&format=webp&sharp=true": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Format: params.FormatWebP}},
		src + "?width=200&height=150&fit=cover&format=webp&sharp=true": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, Format: params.FormatWebP}},
		src + "?width=320&format=png&fit=cover&sharp=true":             {Source: src, Params: params.Params{Width: 320, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "builder.io", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a/b?width=500&height=600&fit=cover&position=right%20bottom&format=webp&sharp=true", "a%2Fb?quality=1&format=original",
		"a/b?fit=contain&width=1&height=1", "", "../a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		got, ok := urltest.FuzzClaimed(t, New(), Prefix+tail, func(f string) bool { return f == "path" || allowed[f] != "" })
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > pathurl.MaxDimension || p.Height < 0 || p.Height > pathurl.MaxDimension {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, Prefix) || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}
