package scene7

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "scene7" {
		t.Fatal(New().Name())
	}
}

// img is an image of Adobe's sample company.
const img = "/is/image/Scene7SharedAssets/Backpack_B"

var opaqueWhite = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}

func TestParseValid(t *testing.T) {
	urltest.CheckValid(t, New(), []urltest.Valid{
		{img, img, "", params.Params{}},
		// Adobe's wid example: a 200x200 box, fitted and padded.
		{img + "?wid=200&hei=200", img, "", params.Params{Width: 200, Height: 200, Fit: params.FitFill}},
		{img + "?wid=200", img, "", params.Params{Width: 200}},
		{img + "?hei=200&fit=crop,0", img, "", params.Params{Height: 200, Fit: params.FitMax}},
		{img + "?wid=400&hei=300&fit=fit,0", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitFillMax}},
		{img + "?wid=400&hei=300&fit=constrain", img, "", params.Params{Width: 400, Height: 300}},
		{img + "?wid=400&hei=300&fit=constrain,0", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{img + "?wid=400&hei=300&fit=crop", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{img + "?wid=400&hei=300&fit=crop,1&align=-1,-1", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{img + "?wid=400&hei=300&fit=crop,0&align=1,0", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, Crop: params.CropRight}},
		{img + "?wid=400&hei=300&fit=wrap", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitOutside}},
		{img + "?wid=400&hei=300&fit=wrap,0", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitOutsideMax}},
		{img + "?wid=400&hei=300&fit=stretch", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitScale}},
		// Command names are case-insensitive; other parameters go with the source.
		{img + "?WID=100&resMode=bicub&v=3", img, "v=3", params.Params{Width: 100, Kernel: params.KernelCubic}},
		{img + "?fmt=jpeg&qlt=85,1", img, "", params.Params{Format: params.FormatJPEG, Quality: 85, Chroma: 444, Background: opaqueWhite}},
		{img + "?fmt=pjpeg", img, "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive, Background: opaqueWhite}},
		{img + "?fmt=png-alpha", img, "", params.Params{Format: params.FormatPNG}},
		{img + "?fmt=png8", img, "", params.Params{Format: params.FormatPNG, Variant: params.VariantPalette, Background: opaqueWhite}},
		{img + "?fmt=webp-alpha,rgb,lossless", img, "", params.Params{Format: params.FormatWebP, Lossless: true}},
		{img + "?fmt=avif&bgc=0xff0000", img, "", params.Params{Format: params.FormatAVIF, Background: params.Color{R: 255, A: 255, Set: true}}},
		{img + "?fmt=gif-alpha&bgc=00ff00", img, "", params.Params{Format: params.FormatGIF, Background: params.Color{G: 255, A: 255, Set: true}}},
		{img + "?crop=10,20,300,200&flip=lr&op_sharpen=0&resmode=sharp2", img, "", params.Params{Rect: params.Rect{X: 10, Y: 20, W: 300, H: 200}, Flip: params.FlipH}},
		{img + "?flip=lrud", img, "", params.Params{Flip: params.FlipHV}},
		{img + "?flip=ud", img, "", params.Params{Flip: params.FlipV}},
		{"/is/image/acme/folder/shoe?wid=10", "/is/image/acme/folder/shoe", "", params.Params{Width: 10}},
	})
}

// The fields are the commands as written.
func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{img + "?wid=0", []string{"wid"}, "an integer from 1 to 100000"},
		{img + "?wid=1&wid=2", []string{"wid"}, "given 2 times"},
		{img + "?hei=", []string{"hei"}, "is empty"},
		{img + "?fit=hfit", []string{"fit"}, "fit, constrain, crop, wrap or stretch"},
		{img + "?fit=crop,2", []string{"fit"}, "upscale"},
		{img + "?wid=1&hei=1&fit=stretch,0", []string{"fit"}, "cannot stretch"},
		{img + "?align=0.5,0", []string{"align"}, "each -1, 0 or 1"},
		{img + "?wid=1&hei=1&align=-1,0", []string{"align"}, "crop's crop only"},
		{img + "?fmt=tif", []string{"fmt"}, "jpeg, jpg, pjpeg"},
		{img + "?fmt=jpeg,gray", []string{"fmt"}, ",rgb"},
		{img + "?fmt=png,rgb,lossless", []string{"fmt"}, "lossless"},
		{img + "?qlt=0", []string{"qlt"}, "from 1 to 100"},
		{img + "?qlt=80,2", []string{"qlt"}, "chroma"},
		{img + "?bgc=fff", []string{"bgc"}, "RRGGBB"},
		{img + "?bgc=red", []string{"bgc"}, "RRGGBB"},
		{img + "?crop=-10,0,100,100", []string{"crop"}, "x, y from 0"},
		{img + "?crop=0,0,0,100", []string{"crop"}, "w, h from 1"},
		{img + "?flip=h", []string{"flip"}, "lr, ud, lrud or none"},
		{img + "?op_sharpen=1", []string{"op_sharpen"}, "publishes no strength"},
		{img + "?resMode=trilin", []string{"resmode"}, "bilin, bicub or sharp2"},
		{img + "?$pdp$&wid=10", []string{"$pdp$"}, "preset"},
		{img + "?rotate=90&op_usm=1,1,1,0&scl=2", []string{"op_usm", "rotate", "scl"}, "not an Image Serving command Matte supports"},
		{"/is/image/acme", []string{"path"}, "names no image"},
		{"/is/image/acme/", []string{"path"}, "names no image"},
		{"/is/image/", []string{"path"}, "names no image"},
		{"/is/image/acme/a/../b", []string{"path"}, ". or .."},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{img + "?wid=%zz", []string{"query"}, "not validly escaped"},
		{img + "?wid=100;hei=50", []string{"query"}, "does not separate parameters"},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?wid=10", "/is/image", "/is/content/acme/a", "/x/is/image/acme/a", "/IS/IMAGE/acme/a", "/")
}

// The URLs unpic's scene7 provider built (test/clients/builders) parse to
// these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/is/image/matte/builders"
	want := map[string]dialect.ImageURL{
		src + "?wid=400&hei=300&fit=crop%2C0": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitMin}},
		src + "?wid=200&hei=150&fit=crop%2C0": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitMin}},
		src + "?wid=320&fmt=png&fit=crop%2C0": {Source: src, Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG, Background: opaqueWhite}},
	}
	urltest.CheckBuilderURLs(t, New(), "scene7", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"acme/a?wid=500&hei=600&fit=crop,0&align=-1,1&fmt=webp-alpha,rgb,lossy&qlt=80,1&bgc=0xffffff",
		"acme/a?crop=1,2,3,4&flip=lrud&resMode=bilin&op_sharpen=0", "acme/a?$x$&rotate=1", "", "../a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		got, _, ok := urltest.FuzzParsed(t, New(), Prefix+tail, func(f string) bool {
			l := strings.ToLower(f)
			return f == "path" || f == "query" || allowed[f] != "" || refused[l] || strings.HasPrefix(l, "op_") || strings.HasPrefix(f, "$")
		})
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > pathurl.MaxDimension || p.Height < 0 || p.Height > pathurl.MaxDimension || p.Quality < 0 || p.Quality > 100 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, Prefix) || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		img + "?crop=10,20,300,200": {"crop", ""},
	})
}
