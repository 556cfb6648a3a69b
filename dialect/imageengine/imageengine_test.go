package imageengine

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "imageengine" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	const bread = "/img/bread.png"
	urltest.CheckValid(t, New(), []urltest.Valid{
		// ImageEngine's documented example: a WebP 300 px wide.
		{"/img/bread.png?imgeng=/w_300/f_webp", bread, "", params.Params{Width: 300, Format: params.FormatWebP}},
		// ImageEngine's helpers' example (w, h, m, cmpr, in, f, dl).
		{"/path/to_asset1.jpg?imgeng=/w_400/h_200/m_cropbox/cmpr_10/in_false/f_png/dl_true", "/path/to_asset1.jpg", "",
			params.Params{Width: 400, Height: 200, Fit: params.FitCrop, Quality: 90, Format: params.FormatPNG, Download: true}},
		// unpic writes the directives escaped, without the leading slash.
		{"/img/a.jpg?imgeng=w_400%2Fh_300%2Fm_cropbox", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		// The fit methods, with both sides.
		{"/a.jpg?imgeng=/w_400/h_300/m_box/", "/a.jpg", "", params.Params{Width: 400, Height: 300, AutoFormat: true}},
		{"/a.jpg?imgeng=/w_400/h_300", "/a.jpg", "", params.Params{Width: 400, Height: 300, AutoFormat: true}},
		{"/a.jpg?imgeng=/w_400/h_300/m_letterbox", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitFill, AutoFormat: true}},
		{"/a.jpg?imgeng=/w_400/h_300/m_stretch", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitScale, AutoFormat: true}},
		{"/a.jpg?imgeng=/w_400/h_300/m_outside", "/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitOutside, AutoFormat: true}},
		// A fit method with one side keeps the ratio.
		{"/a.jpg?imgeng=/h_300/m_cropbox", "/a.jpg", "", params.Params{Height: 300, AutoFormat: true}},
		// w_auto: the fallback, replaced by the Sec-CH-Width hint.
		{"/a.jpg?imgeng=/w_auto,400", "/a.jpg", "", params.Params{Width: 400, ClientHints: params.HintWidth, AutoFormat: true}},
		{"/a.jpg?imgeng=/w_auto/h_300/m_cropbox", "/a.jpg", "", params.Params{Height: 300, Fit: params.FitCrop, ClientHints: params.HintWidth, AutoFormat: true}},
		// Compression is 100 - quality; cmpr_0 is the best quality.
		{"/a.jpg?imgeng=/cmpr_0/f_jpg", "/a.jpg", "", params.Params{Quality: 100, Format: params.FormatJPEG}},
		{"/a.jpg?imgeng=/cmpr_99/f_jpeg", "/a.jpg", "", params.Params{Quality: 1, Format: params.FormatJPEG}},
		{"/a.jpg?imgeng=/s_20/r_90/f_gif", "/a.jpg", "", params.Params{Sharpen: 20, Rotate: 90, Format: params.FormatGIF}},
		{"/a.jpg?imgeng=/r_-90/f_avif", "/a.jpg", "", params.Params{Rotate: 270, Format: params.FormatAVIF}},
		{"/a.jpg?imgeng=/r_360", "/a.jpg", "", params.Params{AutoFormat: true}},
		// cr: width, height, left, top.
		{"/a.jpg?imgeng=/cr_200,100,10,20/w_100", "/a.jpg", "", params.Params{Width: 100, Rect: params.Rect{X: 10, Y: 20, W: 200, H: 100}, AutoFormat: true}},
		{"/a.jpg?imgeng=/meta_false/pass_false/in_false/dl_false", "/a.jpg", "", params.Params{AutoFormat: true}},
		// An empty imgeng: the format by Accept only; the rest of the query
		// goes with the source.
		{"/a.jpg?v=2&imgeng=&x=1", "/a.jpg", "v=2&x=1", params.Params{AutoFormat: true}},
		{"/dir/my%20photo.jpg?imgeng=/w_10", "/dir/my photo.jpg", "", params.Params{Width: 10, AutoFormat: true}},
	})
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/a.jpg?imgeng=/pc_50", []string{"pc"}, "Matte does not detect the screen"},
		// A pair the query parser cannot read is refused, not dropped.
		{"/a.jpg?imgeng=/w_100&v=%zz", []string{"query"}, "not validly escaped"},
		{"/a.jpg?imgeng=/w_100&v=1;x=2", []string{"query"}, "does not separate parameters"},
		// The dialect's own pair unreadable: still its URL, refused.
		{"/a.jpg?imgeng=/w_100/f_png%zz", []string{"query"}, "not validly escaped"},
		{"/a.jpg?imgeng=/w_100;v=1", []string{"query"}, "does not separate parameters"},
		{"/a.jpg?imgeng=/maxdpr_2", []string{"maxdpr"}, "not an ImageEngine directive Matte supports"},
		{"/a.jpg?imgeng=/trim_5", []string{"trim"}, "not an ImageEngine directive Matte supports"},
		{"/a.jpg?imgeng=/in_true", []string{"in"}, "not data URLs"},
		{"/a.jpg?imgeng=/meta_true", []string{"meta"}, "strips metadata"},
		{"/a.jpg?imgeng=/pass_true", []string{"pass"}, "without imgeng"},
		{"/a.jpg?imgeng=/dl_yes", []string{"dl"}, "dl must be true or false"},
		{"/a.jpg?imgeng=/f_jxl", []string{"f"}, "Matte does not write jxl"},
		{"/a.jpg?imgeng=/f_tiff", []string{"f"}, "f must be one of jpg, jpeg, png, gif, webp, avif"},
		{"/a.jpg?imgeng=/m_productletterbox", []string{"m"}, "productletterbox"},
		{"/a.jpg?imgeng=/m_letterbox_ff0000_50", []string{"m"}, "letterbox colour"},
		{"/a.jpg?imgeng=/m_fill", []string{"m"}, "m must be one of box, cropbox, letterbox, stretch, outside"},
		{"/a.jpg?imgeng=/cmpr_100", []string{"cmpr"}, "cmpr must be an integer from 0 to 99"},
		{"/a.jpg?imgeng=/s_101", []string{"s"}, "s must be"},
		{"/a.jpg?imgeng=/r_361", []string{"r"}, "r must be an integer from -360 to 360"},
		{"/a.jpg?imgeng=/r_45.5", []string{"r"}, "r must be"},
		{"/a.jpg?imgeng=/cr_200,100,10", []string{"cr"}, "cr must be"},
		{"/a.jpg?imgeng=/cr_0,100,10,20", []string{"cr"}, "cr must be"},
		{"/a.jpg?imgeng=/w_0", []string{"w"}, "w must be an integer from 1 to 100000"},
		{"/a.jpg?imgeng=/w_auto,x", []string{"w"}, "w must be"},
		{"/a.jpg?imgeng=/h_400px", []string{"h"}, "h must be"},
		{"/a.jpg?imgeng=/w_1/w_2", []string{"w"}, "given twice"},
		{"/a.jpg?imgeng=/_5", []string{"imgeng"}, "names no directive"},
		{"/a.jpg?imgeng=/%26x_5", []string{"imgeng"}, `"&x" is not an ImageEngine directive`},
		{"/a.jpg?imgeng=/w_1&imgeng=/h_1", []string{"imgeng"}, "given 2 times"},
		{"/?imgeng=/w_1", []string{"path"}, "not a valid image path"},
		{"/img/../a.jpg?imgeng=/w_1", []string{"path"}, "not a valid image path"},
		// Every bad directive is reported, in URL order.
		{"/a.jpg?imgeng=/w_x/pc_1/m_x", []string{"w", "pc", "m"}, " not "},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg", "/img/a.jpg?w=400", "/img/a.jpg?IMGENG=/w_1", "/w_400/img/a.jpg", "/")
}

// The URLs that unpic and @unpic/core built for ImageEngine
// (test/clients/builders) parse to these requests.
func TestParseBuilderURLs(t *testing.T) {
	want := map[string]dialect.ImageURL{
		"/img/builders.jpg?imgeng=w_400%2Fh_300%2Fm_cropbox": {Source: "/img/builders.jpg", Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		"/img/builders.jpg?imgeng=w_200%2Fh_150%2Fm_cropbox": {Source: "/img/builders.jpg", Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, AutoFormat: true}},
		"/img/builders.jpg?imgeng=w_320%2Ff_png%2Fm_cropbox": {Source: "/img/builders.jpg", Params: params.Params{Width: 320, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "imageengine", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/w_400/h_300/m_cropbox", "w_400%2Fh_300%2Fm_letterbox%2Ff_webp", "/w_auto,400/cmpr_20/s_10/r_-90",
		"/cr_200,100,10,20/dl_true", "", "/pc_50/in_true/meta_true", "/_/__/w_/w_99999999999999999999",
	} {
		f.Add("/img/a.jpg", s)
	}
	known := func(field string) bool { return true }
	f.Fuzz(func(t *testing.T, path, directives string) {
		u := &url.URL{Path: path, RawQuery: "imgeng=" + url.QueryEscape(directives)}
		got, ok, err := New().Parse(u)
		if !ok {
			t.Fatal("not claimed")
		}
		if err != nil {
			urltest.FuzzError(t, got, err, known)
			for _, e := range params.AsErrors(err) {
				if e.Field == "" || strings.ContainsAny(e.Field, "/?&") {
					t.Fatalf("field %q", e.Field)
				}
			}
			return
		}
		urltest.CheckURLDialect(t, New(), u.String())
		p := got.Params
		if p.Width < 0 || p.Width > 100000 || p.Height < 0 || p.Height > 100000 || p.Quality < 0 || p.Quality > 100 || p.Rotate < 0 || p.Rotate >= 360 {
			t.Fatalf("params out of range: %+v", p)
		}
		if got.Remote() {
			t.Fatalf("remote source %q", got.Source)
		}
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		"/a.jpg?imgeng=/cr_200,100,10,20/w_100": {"cr", ""},
	})
}

// The image path is decoded once: %2520 names a file with "%20" in its
// name, and %2500 names one with "%00" (an escaped NUL decoded twice was
// a NUL in the source, found by FuzzParse).
func TestParsePathDecodedOnce(t *testing.T) {
	urltest.CheckSources(t, New(), map[string]string{
		"/a%2520b.jpg?imgeng=/w_10": "/a%20b.jpg",
		"/a%20b.jpg?imgeng=/w_10":   "/a b.jpg",
		"/%2500?imgeng=":            "/%00",
	})
	urltest.CheckErrors(t, New(), map[string]string{"/a%00.jpg?imgeng=/w_10": "path"})
}
