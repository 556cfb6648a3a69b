package wsrv

import (
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "wsrv" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	const lich = "http://images.weserv.nl/lichtenstein.jpg"
	red := params.Color{R: 255, A: 255, Set: true}
	black := params.Color{A: 255, Set: true}
	urltest.CheckValid(t, New(), firstFrame([]urltest.Valid{
		// wsrv's documented examples (wsrv.nl/docs).
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300", lich, "", params.Params{Width: 300}},
		// Rectangle crop with precrop: "&cx=&cy=&cw=&ch= ... You can use
		// &precrop" to cut before the resize. crop.cpp: a size left out
		// is the rest of the image (the pipeline cuts W and H to it).
		{"/?url=images.weserv.nl/lichtenstein.jpg&cx=270&cy=40&cw=140&ch=140&precrop", lich, "", params.Params{Rect: params.Rect{X: 270, Y: 40, W: 140, H: 140}}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=100&cx=10&precrop", lich, "", params.Params{Width: 100, Rect: params.Rect{X: 10, W: 100000, H: 100000}}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&h=144&dpr=2", lich, "", params.Params{Height: 144, DPR: 2}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=inside", lich, "", params.Params{Width: 300, Height: 300}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=inside&we", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitMax}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=cover", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=fill", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitScale}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=contain&cbg=black", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitFill, Background: black}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=contain&we", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitFillMax}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&filter=greyscale", lich, "", params.Params{Width: 300, Saturation: -100}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&filter=negate", lich, "", params.Params{Width: 300, Invert: true}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&filter=sepia", lich, "", params.Params{Width: 300, SepiaClassic: true}},
		// Adjustments (wsrv.nl/docs/adjustment): bri adds 2.55 per step, mod
		// and sat multiply the LCh lightness and chroma, hue turns (modulo
		// 360), con is wsrv's sigmoid, gam raises to the power (out of 1-3:
		// 2.2), tint keeps the lightness and takes the colour's chroma.
		{"/?url=images.weserv.nl/lichtenstein.jpg&bri=-40&mod=1.5&sat=0.25&hue=-90&con=30&gam=2", lich, "", params.Params{
			Brightness: -40, Lightness: 1.5, Saturation: -75, Hue: 270, SigmoidContrast: 30, Gamma: 0.5}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&gam=5", lich, "", params.Params{Gamma: 1 / 2.2}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&mod=1&sat=1&hue=720&gam=0&bri=0&con=0", lich, "", params.Params{}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&sat=0", lich, "", params.Params{Saturation: -100}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&tint=c86432", lich, "", params.Params{Tint: params.Color{R: 200, G: 100, B: 50, A: 255, Set: true}, TintEven: true}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&tint=00ffffff", lich, "", params.Params{}},
		// duotone: wsrv's default colours, or start and stop (their alpha unused).
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&filter=duotone", lich, "", params.Params{Width: 300, Duotone: params.Duotone{
			Start: params.Color{R: 0xC8, G: 0x36, B: 0x58, A: 255, Set: true}, Stop: params.Color{R: 0xD8, G: 0xE7, B: 0x4F, A: 255, Set: true}}}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&filter=duotone&start=000080&stop=80ffff00", lich, "", params.Params{Duotone: params.Duotone{
			Start: params.Color{B: 0x80, A: 255, Set: true}, Stop: params.Color{R: 0xFF, G: 0xFF, A: 255, Set: true}}}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&mask=circle&mbg=fff", lich, "", params.Params{Width: 300, Mask: params.ShapeCircle, MaskBackground: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&mask=ellipse", lich, "", params.Params{Width: 300, Mask: params.ShapeEllipse}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&mbg=red", lich, "", params.Params{Width: 300}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=cover&a=top", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop, Crop: params.CropTop}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=cover&a=focal&fpx=0.2&fpy=0.7", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop, Focus: params.Focus{X: 0.2, Y: 0.7, Set: true}}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=cover&a=focal&fpy=0", lich, "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop, Focus: params.Focus{X: 0.5, Y: 0, Set: true}}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&a=focal&fpx=0.2", lich, "", params.Params{Width: 300}},
		{"/?url=images.weserv.nl/puppy.jpg&w=300&h=300&fit=cover&a=attention", "http://images.weserv.nl/puppy.jpg", "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention}},
		{"/?url=images.weserv.nl/transparency_demo.png&w=400&bg=black", "http://images.weserv.nl/transparency_demo.png", "", params.Params{Width: 400, Background: black}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&blur=5", lich, "", params.Params{Width: 300, Blur: 50}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&sharp=3", lich, "", params.Params{Width: 300, Sharpen: 100}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&output=webp", lich, "", params.Params{Width: 300, Format: params.FormatWebP}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&q=20", lich, "", params.Params{Width: 300, Quality: 20}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&h=300&flip", lich, "", params.Params{Height: 300, Flip: params.FlipV}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&h=300&flop", lich, "", params.Params{Height: 300, Flip: params.FlipH}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&w=300&il", lich, "", params.Params{Width: 300, Variant: params.VariantProgressive}},
		{"/?url=images.weserv.nl/lichtenstein.jpg&h=300&ro=45&rbg=red", lich, "", params.Params{Height: 300, Rotate: 45}},
		{"/?url=images.weserv.nl/transparency_demo.png&w=300&trim=10", "http://images.weserv.nl/transparency_demo.png", "", params.Params{Width: 300, Trim: true}},
		{"/?url=images.weserv.nl/transparency_demo.png&w=300&trim=40", "http://images.weserv.nl/transparency_demo.png", "", params.Params{Width: 300, Trim: true, TrimTolerance: 40, TrimToleranceSet: true}},
		// Sources: ssl:, explicit schemes, a site path with its query.
		{"/?url=ssl:example.com/a.jpg", "https://example.com/a.jpg", "", params.Params{}},
		{"/?url=https://example.com/a.jpg%3Fx%3D1", "https://example.com/a.jpg?x=1", "", params.Params{}},
		{"/?url=%2Fimg%2Fa.jpg%3Fv%3D2&w=10", "/img/a.jpg", "v=2", params.Params{Width: 10}},
		{"/?url=127.0.0.1%3A9080%2Fimg%2Fa.jpg", "http://127.0.0.1:9080/img/a.jpg", "", params.Params{}},
		// Defaults and flags.
		{"/?url=a.example/x.png&dpr=1&ro=-450&flip=&flop=1&trim&we=0&fit=outside&w=9", "http://a.example/x.png", "", params.Params{Width: 9, Rotate: 270, Flip: params.FlipHV, Trim: true, Fit: params.FitMax}},
		{"/?url=a.example/x.png&w=300&h=200&fit=outside", "http://a.example/x.png", "", params.Params{Width: 300, Height: 200, Fit: params.FitOutside}},
		{"/?url=a.example/x.png&w=300&h=200&fit=outside&we", "http://a.example/x.png", "", params.Params{Width: 300, Height: 200, Fit: params.FitOutsideMax}},
		{"/?url=a.example/x.png&w=1&h=1&fit=cover&we&output=jpg", "http://a.example/x.png", "", params.Params{Width: 1, Height: 1, Fit: params.FitMin, Format: params.FormatJPEG}},
		{"/?url=a.example/x.png&a=top-left&fit=contain&bg=red", "http://a.example/x.png", "", params.Params{Fit: params.FitFill, Background: red}},
		{"/?url=a.example/x.png&fit=contain&bg=red&cbg=8000", "http://a.example/x.png", "", params.Params{Fit: params.FitFill, Background: params.Color{A: 0x88, Set: true}}},
		{"/?url=a.example/x.png&bg=80ff0000", "http://a.example/x.png", "", params.Params{Background: params.Color{R: 255, A: 0x80, Set: true}}},
		{"/?url=a.example/x.png&blur=1000&sharp=0.5&output=avif", "http://a.example/x.png", "", params.Params{Blur: 2000, Sharpen: 1, Format: params.FormatAVIF}},
		{"/?url=a.example/x.gif&n=1", "http://a.example/x.gif", "", params.Params{}},
	}))
	// n frames from page (0-based): n=-1 every one, page alone that frame.
	keep, first := params.FramesKeep, params.FramesFirst
	urltest.CheckValid(t, New(), []urltest.Valid{
		{"/?url=a.example/x.gif&n=-1&w=100&output=webp", "http://a.example/x.gif", "", params.Params{Width: 100, Format: params.FormatWebP, Frames: keep}},
		{"/?url=a.example/x.gif&n=3", "http://a.example/x.gif", "", params.Params{Frames: keep, Animation: params.Animation{Last: 3}}},
		{"/?url=a.example/x.gif&page=0&n=1", "http://a.example/x.gif", "", params.Params{Frames: first}},
	})
	// A page past the last frame is page's error (FrameField).
	src := "http://a.example/x.gif"
	urltest.CheckParses(t, New(), map[string]dialect.ImageURL{
		"/?url=a.example/x.gif&n=-1&page=2": {Params: params.Params{Frames: keep, Animation: params.Animation{First: 3}}, Source: src, FrameField: "page"},
		"/?url=a.example/x.gif&n=3&page=4":  {Params: params.Params{Frames: keep, Animation: params.Animation{First: 5, Last: 7}}, Source: src, FrameField: "page"},
		"/?url=a.example/x.gif&page=4":      {Params: params.Params{Frames: first, Animation: params.Animation{First: 5, Last: 5}}, Source: src, FrameField: "page"},
	})
}

// firstFrame sets wsrv's default for an animated source, its first frame
// (n=1), in every expected answer.
func firstFrame(vs []urltest.Valid) []urltest.Valid {
	for i := range vs {
		vs[i].Want.Frames = params.FramesFirst
	}
	return vs
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/?url=", []string{"url"}, "url is empty"},
		// A pair the query parser cannot read is refused, not dropped.
		{"/?url=/a.jpg&w=%zz", []string{"query"}, "not validly escaped"},
		{"/?url=/a.jpg&w=10;h=5", []string{"query"}, "does not separate parameters"},
		// url's own pair unreadable: still wsrv's URL, refused.
		{"/?url=/a.jpg;w=100", []string{"query"}, "does not separate parameters"},
		{"/?url=/a%zz.jpg", []string{"query"}, "not validly escaped"},
		{"/?url=ftp://a.example/x.png", []string{"url"}, "only http and https"},
		{"/?url=%2F%2Fa.example%2Fx.png", []string{"url"}, "protocol-relative"},
		{"/?url=a.example/x.png&url=b", []string{"url"}, "given 2 times"},
		{"/?url=a.example/x.png&w=0", []string{"w"}, "w must be an integer from 1 to 100000"},
		// Without precrop wsrv cuts the rectangle after the resize, which
		// Matte cannot: a 400 naming the first option, not a silent drop.
		{"/?url=a.example/x.png&w=300&cx=10&cy=10&cw=50&ch=50", []string{"cx"}, "&precrop"},
		{"/?url=a.example/x.png&ch=50", []string{"ch"}, "&precrop"},
		{"/?url=a.example/x.png&cw=0&precrop", []string{"cw"}, "from 1 to 100000"},
		{"/?url=a.example/x.png&dpr=8", []string{"dpr"}, "Matte up to 5"},
		{"/?url=a.example/x.png&fit=crop", []string{"fit"}, "inside, outside, cover, fill, contain"},
		{"/?url=a.example/x.png&fpx=0.6", []string{"fpx"}, "fpx places the focal point of a=focal; it needs a=focal."},
		{"/?url=a.example/x.png&a=top&fpy=0.6&fpx=0.1", []string{"fpx", "fpy"}, "needs a=focal"},
		{"/?url=a.example/x.png&a=focal&fpx=1.5", []string{"fpx"}, ""},
		{"/?url=a.example/x.png&a=bogus&fpx=0.5", []string{"a"}, ""},
		{"/?url=a.example/x.png&start=red", []string{"start"}, "it needs filter=duotone"},
		{"/?url=a.example/x.png&filter=duotone&stop=notacolour", []string{"stop"}, ""},
		{"/?url=a.example/x.png&mask=heart", []string{"mask"}, "heart is not a shape Matte draws"},
		{"/?url=a.example/x.png&filter=bogus", []string{"filter"}, ""},
		{"/?url=a.example/x.png&output=tiff", []string{"output"}, "not an output Matte writes"},
		{"/?url=a.example/x.png&output=", []string{"output"}, "output is empty"},
		{"/?url=a.example/x.png&q=0", []string{"q"}, "q must be an integer from 1 to 100"},
		{"/?url=a.example/x.png&bg=nocolour", []string{"bg"}, "alpha first"},
		{"/?url=a.example/x.png&blur=0.1", []string{"blur"}, "from 0.3 to 1000"},
		{"/?url=a.example/x.png&sharp=0", []string{"sharp"}, "above 0"},
		{"/?url=a.example/x.png&ro=x", []string{"ro"}, "an angle"},
		{"/?url=a.example/x.png&trim=255", []string{"trim"}, "1 to 254"},
		{"/?url=a.example/x.png&bri=101", []string{"bri"}, "from -100 to 100"},
		{"/?url=a.example/x.png&con=-101", []string{"con"}, "from -100 to 100"},
		{"/?url=a.example/x.png&mod=0", []string{"mod"}, "above 0"},
		{"/?url=a.example/x.png&sat=-1", []string{"sat"}, "saturation multiplier"},
		{"/?url=a.example/x.png&hue=1.5", []string{"hue"}, "degrees"},
		{"/?url=a.example/x.png&gam=x", []string{"gam"}, "wsrv takes any other as 2.2"},
		{"/?url=a.example/x.png&tint=nope", []string{"tint"}, "alpha first"},
		{"/?url=&w=x&q=y", []string{"url", "w", "q"}, ""},
		{"/?url=a.example/x.gif&n=0", []string{"n"}, "n must be -1 (every frame from page on) or a count"},
		{"/?url=a.example/x.gif&n=-2&page=-1", []string{"n", "page"}, ""},
	})
}

// wsrv claims "/" with a url parameter only, so /_next/image?url= and
// /.netlify/images?url= stay with their own dialects.
func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/?w=300", "/img/a.jpg?url=x", "/_next/image?url=%2Fa&w=1&q=1", "/.netlify/images?url=/a", "/?URL=x")
}

// The URLs unpic and @unpic/core built (test/clients/builders).
func TestParseBuilderURLs(t *testing.T) {
	src := "http://127.0.0.1:9080/img/builders.jpg"
	first := params.FramesFirst
	want := map[string]dialect.ImageURL{
		"/?url=127.0.0.1%3A9080%2Fimg%2Fbuilders.jpg&w=400&h=300&fit=cover":       {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Frames: first}},
		"/?url=127.0.0.1%3A9080%2Fimg%2Fbuilders.jpg&w=320&output=webp&fit=cover": {Source: src, Params: params.Params{Width: 320, Fit: params.FitCrop, Format: params.FormatWebP, Frames: first}},
		"/?url=127.0.0.1%3A9080%2Fimg%2Fbuilders.jpg&w=200&h=150&fit=cover":       {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, Frames: first}},
	}
	urltest.CheckBuilderURLs(t, New(), "wsrv", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"url=images.weserv.nl/lichtenstein.jpg&w=300&h=300&fit=contain&cbg=black", "url=ssl:x.example/a.png&we&flip&flop&trim=10",
		"url=&w=&h=", "url=/a&fit=outside&w=1&h=1", "url=a&ro=-1e9&blur=0.3&sharp=10&bg=5ccc&a=focal", "url=x&dpr=5.0000&output=json",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		got, ok, err := New().Parse(&url.URL{Path: "/", RawQuery: rawQuery})
		// Claimed whenever a pair names url, also one url.ParseQuery
		// cannot read (then refused on query).
		if named := urlform.Claims(rawQuery, "url"); ok != named {
			t.Fatalf("claimed %v with url named %v", ok, named)
		}
		if err != nil {
			urltest.FuzzError(t, got, err, func(f string) bool { _, ok := specs[f]; return ok })
			return
		}
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxDimension || p.Height < 0 || p.Height > maxDimension || p.Blur < 0 || p.Blur > maxBlur ||
			p.Sharpen < 0 || p.Sharpen > 100 || p.Rotate < 0 || p.Rotate >= 360 || (p.DPR != 0 && (p.DPR <= 1 || p.DPR > 5)) || got.Source == "" {
			t.Fatalf("bad result %+v", got)
		}
	})
}
