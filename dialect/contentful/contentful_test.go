package contentful

import (
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "contentful" {
		t.Fatal(New().Name())
	}
}

// asset is the file.url of the asset in Contentful's Images API reference.
const asset = "/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/cf6f68efdcf625fdc060607df0f3baef/quwowooybuqbl6ntboz3.jpg"

func TestParseValid(t *testing.T) {
	red := params.Color{R: 255, A: 255, Set: true}
	blue := params.Color{R: 0x90, G: 0x90, B: 0xff, A: 255, Set: true}
	corners := func(n int) params.Corners {
		return params.Corners{TopLeft: n, TopRight: n, BottomRight: n, BottomLeft: n, Set: true}
	}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// The reference's examples.
		{asset, asset, "", params.Params{}},
		{asset + "?fm=jpg", asset, "", params.Params{Format: params.FormatJPEG}},
		{asset + "?fm=jpg&fl=progressive", asset, "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive}},
		{asset + "?fm=png&fl=png8", asset, "", params.Params{Format: params.FormatPNG, Variant: params.VariantPalette}},
		{asset + "?fm=webp", asset, "", params.Params{Format: params.FormatWebP}},
		{asset + "?fm=avif", asset, "", params.Params{Format: params.FormatAVIF}},
		{asset + "?fm=gif", asset, "", params.Params{Format: params.FormatGIF}},
		{asset + "?w=100&h=100", asset, "", params.Params{Width: 100, Height: 100}},
		{asset + "?fit=pad&w=100&h=100&bg=rgb:9090ff", asset, "", params.Params{Width: 100, Height: 100, Fit: params.FitFill, FillColor: blue}},
		{asset + "?fit=fill&w=100&h=100&f=top_right", asset, "", params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Crop: params.CropTopRight}},
		{asset + "?fit=thumb&w=100&h=100&f=bottom", asset, "", params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Crop: params.CropBottom}},
		// face: the cut centred on the largest face found, faces: on them
		// all; attention where there are none.
		{asset + "?fit=thumb&w=100&h=100&f=face", asset, "", params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true, Largest: true}}},
		{asset + "?fit=fill&w=100&h=100&f=faces", asset, "", params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}},
		{asset + "?fit=fill&w=100&f=face", asset, "", params.Params{Width: 100}}, // one side: nothing is cut
		{asset + "?fit=scale&w=100&h=50", asset, "", params.Params{Width: 100, Height: 50, Fit: params.FitScale}},
		{asset + "?fit=crop&w=100&h=100&f=bottom_left", asset, "", params.Params{Region: params.Region{W: 100, H: 100, Anchor: params.CropBottomLeft}}},
		{asset + "?fit=crop&w=100", asset, "", params.Params{Region: params.Region{W: 100}}},
		{asset + "?r=20", asset, "", params.Params{Mask: params.ShapeCorners, CornerRadius: corners(20)}},
		{asset + "?r=max&bg=rgb:ff0000", asset, "", params.Params{Mask: params.ShapeEllipse, MaskBackground: red}},
		{asset + "?r=0", asset, "", params.Params{}},
		{asset + "?q=50", asset, "", params.Params{Quality: 50}},
		{asset + "?w=4000", asset, "", params.Params{Width: 4000}},
		// One side: every fit but crop scales to it; f then crops nothing.
		{asset + "?fit=fill&w=320&fm=png", asset, "", params.Params{Width: 320, Format: params.FormatPNG}},
		{asset + "?fit=pad&h=30&bg=rgb:ff0000", asset, "", params.Params{Height: 30}},
		{asset + "?fit=fill&f=left&h=30", asset, "", params.Params{Height: 30}},
		// Other parameters go with the source.
		{asset + "?v=3&w=10&token=a%20b", asset, "v=3&token=a%20b", params.Params{Width: 10}},
		{"/abcdefghij12/a.b_c-D/0123456789abcdef0123456789abcdef/a%20b.png?h=5", "/abcdefghij12/a.b_c-D/0123456789abcdef0123456789abcdef/a b.png", "", params.Params{Height: 5}},
	})
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{asset + "?w=4001", []string{"w"}, "from 1 to 4000"},
		// A pair the query parser cannot read is refused, not dropped.
		{asset + "?w=%zz", []string{"query"}, "not validly escaped"},
		{asset + "?w=10;h=5", []string{"query"}, "does not separate parameters"},
		{asset + "?h=0", []string{"h"}, "from 1 to 4000"},
		{asset + "?w=1.5", []string{"w"}, "integer"},
		{asset + "?w=10&w=20", []string{"w"}, "given 2 times"},
		{asset + "?q=", []string{"q"}, "empty"},
		{asset + "?q=101", []string{"q"}, "from 1 to 100"},
		{asset + "?fit=cover&w=1&h=1", []string{"fit"}, "one of pad"},
		{asset + "?fit=crop&w=1&h=1&f=face", []string{"f"}, "give fit=fill or thumb"},
		{asset + "?fit=crop&w=1&h=1&f=faces", []string{"f"}, "give fit=fill or thumb"},
		{asset + "?fit=fill&w=1&h=1&f=eyes", []string{"f"}, "one of center"},
		{asset + "?fit=pad&w=1&h=1&f=top", []string{"f"}, "places the crop of fit=fill"},
		{asset + "?f=top", []string{"f"}, "places the crop"},
		{asset + "?r=-1", []string{"r"}, "or max"},
		{asset + "?r=4001", []string{"r"}, "or max"},
		{asset + "?fit=pad&w=1&h=1&bg=9090ff", []string{"bg"}, "rgb:RRGGBB"},
		{asset + "?fit=pad&w=1&h=1&bg=rgb:purple", []string{"bg"}, "rgb:RRGGBB"},
		{asset + "?fit=pad&w=1&h=1&bg=rgb:fff", []string{"bg"}, "rgb:RRGGBB"},
		{asset + "?w=10&bg=rgb:9090ff", []string{"bg"}, "give fit=pad or r"},
		{asset + "?fm=tiff", []string{"fm"}, "one of jpg"},
		{asset + "?fm=jpeg", []string{"fm"}, "one of jpg"},
		{asset + "?fl=progressive", []string{"fl"}, "without its format"},
		{asset + "?fm=png&fl=progressive", []string{"fl"}, "without its format"},
		{asset + "?fm=jpg&fl=png8", []string{"fl"}, "without its format"},
		{asset + "?fm=webp&fl=lossless", []string{"fl"}, "progressive (with fm=jpg)"},
		{asset + "?w=0&fm=bmp&q=0", []string{"w", "q", "fm"}, "not valid"},
		{"/abcdefghij12/../0123456789abcdef0123456789abcdef/a.jpg?w=1", []string{"path"}, ". or .."},
		{"/abcdefghij12/a/0123456789abcdef0123456789abcdef/..?w=1", []string{"path"}, ". or .."},
	})
}

// Paths of another shape are a site's own, whatever their query.
func TestParseNotClaimed(t *testing.T) {
	const token = "cf6f68efdcf625fdc060607df0f3baef"
	urltest.CheckNotClaimed(t, New(),
		"/img/a.jpg?w=100&fm=webp",
		"/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/"+token+"?w=100",                        // no file name
		"/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/"+token+"/a/b.jpg?w=1",                  // five segments
		"/x/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/"+token+"/a.jpg",                      // a prefix
		"/yadj1kx9rmg/wtrHxeu3zEoEce2MokCSi/"+token+"/a.jpg?w=1",                     // space id of 11
		"/Yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/"+token+"/a.jpg?w=1",                    // upper case space id
		"/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/CF6F68EFDCF625FDC060607DF0F3BAEF/a.jpg", // upper-case token
		"/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/cf6f68efdcf625fdc060607df0f3bae/a.jpg",  // token of 31
		"/yadj1kx9rmg0/wtr~Hxeu3/"+token+"/a.jpg",
		"/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/"+token+"/",
		"/blog/2024/0123456789abcdef0123456789abcdef/a.jpg?w=1",
		"/",
	)
}

// The URLs unpic's contentful provider built (test/clients/builders) parse
// to these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/yadj1kx9rmg0/4x2ZTaKgBqTTJbbZWzbVQA/cf6f68efdcf625fdc060607df0f3baef/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "?w=400&h=300&fit=fill":  {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		src + "?w=200&h=150&fit=fill":  {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop}},
		src + "?fm=png&w=320&fit=fill": {Source: src, Params: params.Params{Width: 320, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "contentful", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"w=100&h=50&fit=fill&f=top_left&fm=jpg&fl=progressive&q=60",
		"w=10&h=10&fit=pad&bg=rgb:9090ff&r=max", "fit=crop&w=5&f=bottom", "r=12&bg=rgb:000000&fm=png&fl=png8",
		"f=face", "w=&h=", "w=1&w=2", "x=%zz",
	} {
		f.Add(asset, s)
	}
	f.Add("/abcdefghij12/a/0123456789abcdef0123456789abcdef/a.jpg", "")
	f.Fuzz(func(t *testing.T, path, query string) {
		raw := path + "?" + query
		got, u, ok := urltest.FuzzParsed(t, New(), raw, func(f string) bool { return f == "path" || f == "query" || allowed[f] != "" })
		if !ok {
			return
		}
		p := got.Params
		if got.Source != u.Path || got.Remote() || p.Width > maxSide || p.Height > maxSide || p.Region.W > maxSide || p.Region.H > maxSide {
			t.Fatalf("%q: %+v", raw, got)
		}
	})
}
