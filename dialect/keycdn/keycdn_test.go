package keycdn

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "keycdn" {
		t.Fatal(New().Name())
	}
}

// The forms of KeyCDN's Image Processing table, on /img/shoe.jpg.
func TestParseValid(t *testing.T) {
	const img = "/img/shoe.jpg"
	black := params.Color{A: 255, Set: true}
	red := params.Color{R: 255, A: 255, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		{img + "?width=400", img, "", params.Params{Width: 400, Fit: params.FitMax}},
		{img + "?height=300&enlarge=1", img, "", params.Params{Height: 300, Fit: params.FitClip}},
		{img + "?width=400&height=0", img, "", params.Params{Width: 400, Fit: params.FitMax}},
		// fit, with both sides; cover is the default. Without enlarge it is
		// sharp's cover with withoutEnlargement ("do not enlarge if the
		// width or height are already less than the specified
		// dimensions"): scale at most 1, then min(box, image) on each side,
		// which is FitCropDown (a 1200x900 image in 1600x600 is 1200x600),
		// not FitMin (1200x450).
		{img + "?width=400&height=300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown}},
		{img + "?width=1600&height=600", img, "", params.Params{Width: 1600, Height: 600, Fit: params.FitCropDown}},
		{img + "?width=400&height=300&fit=cover&position=top", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropTop}},
		{img + "?width=400&height=300&position=left&enlarge=1", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropLeft}},
		{img + "?width=400&height=300&fit=contain", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitFillMax, FillColor: black}},
		{img + "?width=400&height=300&fit=contain&bg=ff0000&enlarge=1", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitFill, FillColor: red}},
		{img + "?width=400&height=300&fit=contain&bg=255,0,0,0.5", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitFillMax, FillColor: params.Color{R: 255, A: 128, Set: true}}},
		{img + "?width=400&height=300&fit=fill&enlarge=1", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitScale}},
		{img + "?width=400&height=300&fit=inside", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{img + "?width=400&height=300&fit=outside", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitOutsideMax}},
		{img + "?width=400&fit=contain&format=png", img, "", params.Params{Width: 400, Fit: params.FitMax, Format: params.FormatPNG}},
		// crop.
		{img + "?crop=800,600", img, "", params.Params{Region: params.Region{W: 800, H: 600}}},
		{img + "?crop=800,600,10,20&width=400", img, "", params.Params{Rect: params.Rect{X: 10, Y: 20, W: 800, H: 600}, Width: 400, Fit: params.FitMax}},
		{img + "?crop=smart&width=400&height=300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Crop: params.CropAttention}},
		{img + "?crop=fp,0.25,0.75&width=400&height=300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, Focus: params.Focus{X: 0.25, Y: 0.75, Set: true}}},
		{img + "?crop=fp,0.5,0.5,2&width=400&height=300", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Focus: params.Focus{X: 0.5, Y: 0.5, Zoom: 2, Set: true}}},
		// extend, rotate and the compose operations.
		{img + "?extend=10&bg=ff0000", img, "", params.Params{Pad: 10, Background: red}},
		{img + "?extend=1,2,3,4", img, "", params.Params{Padding: params.Sides{Top: 1, Right: 2, Bottom: 3, Left: 4}}},
		{img + "?trim=20", img, "", params.Params{Trim: true, TrimTolerance: 20, TrimToleranceSet: true}},
		{img + "?rotate=-90&flip=1&flop=1", img, "", params.Params{Rotate: 270, Flip: params.FlipV | params.FlipH}},
		{img + "?rotate=180&flip=0", img, "", params.Params{Rotate: 180}},
		{img + "?sharpen=30&blur=0.3", img, "", params.Params{Sharpen: 30, Blur: 3}},
		{img + "?blur=100", img, "", params.Params{Blur: 1000}},
		{img + "?negate=1&normalize=1&grayscale=1", img, "", params.Params{Invert: true, Normalize: true, Saturation: -100}},
		{img + "?threshold=128&tint=FF0000", img, "", params.Params{Threshold: 128, Tint: red}},
		// Encoding.
		{img + "?format=webp&quality=80", img, "", params.Params{Format: params.FormatWebP, Quality: 80}},
		{img + "?format=jpeg&progressive=1&metadata=0", img, "", params.Params{Format: params.FormatJPEG, Variant: params.VariantProgressive, PNGOptions: params.PNGOptions{Interlace: true}}},
		{img + "?format=webp&lossless=1", img, "", params.Params{Format: params.FormatWebP, Lossless: true}},
		{img + "?format=webp&nearlossless=1&adaptive=0", img, "", params.Params{Format: params.FormatWebP, WebPOptions: params.WebPOptions{Compression: params.WebPNearLossless}}},
		// Other parameters go to the origin, as sent.
		{"/img/a%20b.jpg?v=2&width=100&x=%2F", "/img/a b.jpg", "v=2&x=%2F", params.Params{Width: 100, Fit: params.FitMax}},
		{"/img/a.jpg?w=800&width=100", "/img/a.jpg", "w=800", params.Params{Width: 100, Fit: params.FitMax}},
	})
}

// The fields are the parameters as KeyCDN names them, and path.
func TestParseInvalid(t *testing.T) {
	const img = "/img/shoe.jpg"
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{img + "?width=10001&height=-1", []string{"width", "height"}, "an integer from 0 to 10000"},
		{img + "?width=", []string{"width"}, "width is empty"},
		{img + "?height=1&height=2", []string{"height"}, "given 2 times"},
		{img + "?width=1&fit=crop", []string{"fit"}, "one of cover, contain, fill, inside, outside"},
		{img + "?width=1&height=1&fit=fill", []string{"fit"}, "add enlarge=1"},
		{img + "?width=1&height=1&fit=contain&position=top", []string{"position"}, "centres a contained image"},
		{img + "?width=1&height=1&position=center", []string{"position"}, "one of top, right, bottom, left"},
		{img + "?width=1&enlarge=true", []string{"enlarge"}, "0 or 1"},
		{img + "?crop=0,10", []string{"crop"}, "W,H or W,H,X,Y"},
		{img + "?crop=10,10,5", []string{"crop"}, "W,H or W,H,X,Y"},
		{img + "?crop=smart&width=100", []string{"crop"}, "needs both width and height"},
		{img + "?crop=fp,1.5,0&width=1&height=1", []string{"crop"}, "fp,X,Y"},
		{img + "?crop=fpd,0.5,0.5&width=1&height=1", []string{"crop"}, "focal-point debug view"},
		{img + "?crop=smart&width=1&height=1&fit=contain", []string{"crop"}, "fit=cover"},
		{img + "?crop=1,1&trim=10", []string{"trim"}, "give one of them"},
		{img + "?bg=ff0000", []string{"bg"}, "extend or fit=contain"},
		{img + "?extend=1&bg=red", []string{"bg"}, "a hex colour RRGGBB"},
		{img + "?extend=1&bg=256,0,0", []string{"bg"}, "R,G,B"},
		{img + "?extend=1,2", []string{"extend"}, "N or T,R,B,L"},
		{img + "?extend=1001", []string{"extend"}, "from 0 to 1000"},
		{img + "?rotate=45", []string{"rotate"}, "multiples of 90"},
		{img + "?rotate=360", []string{"rotate"}, "multiple of 90"},
		{img + "?sharpen=101", []string{"sharpen"}, "from 0 to 100"},
		{img + "?blur=0.2", []string{"blur"}, "from 0.3 to 100"},
		{img + "?threshold=0", []string{"threshold"}, "from 1 to 255"},
		{img + "?tint=maroon", []string{"tint"}, "RRGGBB"},
		{img + "?gamma=2.2", []string{"gamma"}, "not a KeyCDN option Matte supports"},
		{img + "?removealpha=1", []string{"removealpha"}, "not a KeyCDN option Matte supports"},
		{img + "?olurl=https://a/b.png&olalpha=50", []string{"olurl", "olalpha"}, "overlay"},
		{img + "?format=tiff", []string{"format"}, "not written by Matte"},
		{img + "?format=avif", []string{"format"}, "one of jpeg, png, webp"},
		{img + "?quality=0", []string{"quality"}, "from 1 to 100"},
		{img + "?compression=9&alphaquality=50", []string{"compression", "alphaquality"}, "not a KeyCDN option Matte supports"},
		{img + "?metadata=1", []string{"metadata"}, "strips metadata"},
		{img + "?progressive=yes", []string{"progressive"}, "0 or 1"},
		{"/?width=100", []string{"path"}, "not a path on this site"},
		{"/img/../a.jpg?width=100", []string{"path"}, ". or .."},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{img + "?width=%zz", []string{"query"}, "not validly escaped"},
		{img + "?width=100;height=50", []string{"query"}, "does not separate parameters"},
	})
}

// A query without a KeyCDN parameter is not KeyCDN's.
func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg", "/img/a.jpg?w=100&h=50&fm=webp&q=80", "/img/a.jpg?v=2", "/img/a.jpg?Width=100", "/img/a.jpg?widths=1")
}

// The URLs unpic's keycdn provider built (test/clients/builders) parse to
// these requests.
func TestParseBuilderURLs(t *testing.T) {
	const src = "/keycdn/builders.jpg"
	want := map[string]dialect.ImageURL{
		src + "?width=400&height=300&fit=cover": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCropDown}},
		src + "?width=320&format=png&fit=cover": {Source: src, Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG}},
		src + "?width=200&height=150&fit=cover": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCropDown}},
	}
	urltest.CheckBuilderURLs(t, New(), "keycdn", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/a.jpg?width=500&height=300&fit=contain&bg=10,20,30,0.5&enlarge=1", "/a.jpg?crop=fp,0.2,0.8,3&width=9&height=9&format=png",
		"/a.jpg?extend=1,2,3,4&bg=00ff00&rotate=-270&trim=5", "/a.jpg?crop=1,2,3,4&flip=1&quality=50&v=2", "/?width=1", "/../a?crop=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, _, ok := urltest.FuzzParsed(t, New(), raw, func(f string) bool { return f == "path" || f == "query" || isParam(f) })
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide || p.Blur > 1000 || p.Rotate < 0 || p.Rotate >= 360 {
			t.Fatalf("params out of range: %+v", p)
		}
		if !strings.HasPrefix(got.Source, "/") || got.Remote() {
			t.Fatalf("source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		"/img/shoe.jpg?crop=800,600,10,20&width=400": {"crop", ""},
		"/img/shoe.jpg?extend=10&bg=ff0000":          {"", "extend"},
	})
}
