package cloudimage

import (
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "cloudimage" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	black := params.Color{A: 255, Set: true}
	blue := params.Color{R: 0xb6, G: 0xd6, B: 0xf0, A: 255, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		// Cloudimage's Fit page examples, their origin a path on this site.
		{"/v7/sample.li/car1.jpg?w=400&h=320&func=fit&bg_color=black", "/sample.li/car1.jpg", "", params.Params{Width: 400, Height: 320, Fit: params.FitFillMax, FillColor: black}},
		{"/v7/sample.li/castle_doc.jpg?w=500&h=200&func=fit&bg_colour=b6d6f0&fit_enlarge=1", "/sample.li/castle_doc.jpg", "", params.Params{Width: 500, Height: 200, Fit: params.FitFill, FillColor: blue}},
		// Crop is the default with both sides; gravity places it.
		{"/v7/img/a.jpg?w=400&h=300", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{"/v7/img/a.jpg?width=400&height=300&func=crop&gravity=northeast", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropTopRight}},
		{"/v7/img/a.jpg?w=400&h=300&gravity=smart&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention, KeepSourceIfBoxExceeds: true}},
		// func=face: the cut centred on the faces found, attention where there are none.
		{"/v7/img/a.jpg?w=400&h=300&func=face", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}},
		{"/v7/img/a.jpg?w=400&h=300&func=face&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}, KeepSourceIfBoxExceeds: true}},
		{"/v7/img/a.jpg?w=400&func=face", "/img/a.jpg", "", params.Params{Width: 400}}, // one side: nothing is cut
		{"/v7/img/a.jpg?w=400&h=300&func=bound", "/img/a.jpg", "", params.Params{Width: 400, Height: 300}},
		{"/v7/img/a.jpg?w=400&h=300&func=cover", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitScale}},
		// org_if_sml=1 with both sides: "prevents upscaling if any of the
		// target dimensions is larger than the origin image" (Image
		// operations): the source as it is where the box is larger on a
		// side, the function as usual where not, for every function.
		{"/v7/img/a.jpg?w=400&h=300&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, KeepSourceIfBoxExceeds: true}},
		{"/v7/img/a.jpg?w=400&h=300&func=bound&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, KeepSourceIfBoxExceeds: true}},
		{"/v7/img/a.jpg?w=400&h=300&func=cover&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitScale, KeepSourceIfBoxExceeds: true}},
		{"/v7/img/a.jpg?w=400&h=300&func=fit&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitFillMax, KeepSourceIfBoxExceeds: true}},
		{"/v7/img/a.jpg?w=400&h=300&func=fit&fit_enlarge=1&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitFill, KeepSourceIfBoxExceeds: true}},
		{"/v7/img/a.jpg?w=400&h=300&dpr=2&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, DPR: 2, Fit: params.FitCrop, KeepSourceIfBoxExceeds: true}},
		{"/v7/img/a.jpg?w=400&h=300&org_if_sml=0", "/img/a.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		// One side keeps the ratio; with org_if_sml=1 it never enlarges,
		// which is the rule for one side: the Prevent enlargement page's
		// "400-pixel-wide image" at "w=450&org_if_sml=1" stays 400 wide.
		{"/v7/img/a.jpg?w=400&org_if_sml=1", "/img/a.jpg", "", params.Params{Width: 400, Fit: params.FitMax}},
		{"/v7/img/a.jpg?h=300&org_if_sml=1", "/img/a.jpg", "", params.Params{Height: 300, Fit: params.FitMax}},
		{"/v7/img/a.jpg?w=400", "/img/a.jpg", "", params.Params{Width: 400}},
		{"/v7/img/a.jpg?h=300&q=80&force_format=webp", "/img/a.jpg", "", params.Params{Height: 300, Quality: 80, Format: params.FormatWebP}},
		{"/v7/img/a.jpg?force_format=jpg&dpr=2&w=100", "/img/a.jpg", "", params.Params{Width: 100, DPR: 2, Format: params.FormatJPEG}},
		// r turns counter-clockwise; Matte's rotation is clockwise.
		{"/v7/img/a.jpg?r=90&flip=h&grey=1", "/img/a.jpg", "", params.Params{Rotate: 270, Flip: params.FlipH, Saturation: -100}},
		{"/v7/img/a.jpg?r=270", "/img/a.jpg", "", params.Params{Rotate: 90}},
		// An absolute origin URL is a remote source; encoded with ci_url_encoded=1.
		{"/v7/https://sample.li/paris.jpg?w=300", "https://sample.li/paris.jpg", "", params.Params{Width: 300}},
		{"/v7/https:/sample.li/paris.jpg?w=300", "https://sample.li/paris.jpg", "", params.Params{Width: 300}},
		{"/v7/https%3A%2F%2Fsample.li%2Fparis.jpg%3Fv%3D2?w=300&ci_url_encoded=1", "https://sample.li/paris.jpg?v=2", "", params.Params{Width: 300}},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/img/a.jpg?w=400", "/v7", "/v8/img/a.jpg?w=1", "/x/v7/img/a.jpg")
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/v7/img/a.jpg?w=0", []string{"w"}, "w must be an integer from 1 to 100000"},
		{"/v7/img/a.jpg?w=1&width=2", []string{"width"}, "same parameter"},
		{"/v7/img/a.jpg?w=1&w=2", []string{"w"}, "given 2 times"},
		{"/v7/img/a.jpg?w=1&h=1&func=cropfit", []string{"func"}, "not supported by Matte"},
		{"/v7/img/a.jpg?w=1&h=1&func=stretch", []string{"func"}, "one of crop, face, fit, bound, cover"},
		{"/v7/img/a.jpg?w=1&h=1&gravity=50,50", []string{"gravity"}, "one of north"},
		{"/v7/img/a.jpg?w=1&h=1&func=fit&gravity=north", []string{"gravity"}, "places func=crop's cut"},
		{"/v7/img/a.jpg?w=1&h=1&bg_color=red", []string{"bg_color"}, "func=fit's padding"},
		{"/v7/img/a.jpg?org_if_sml=2", []string{"org_if_sml"}, "org_if_sml must be 1 (or 0)"},
		{"/v7/img/a.jpg?force_format=tiff&q=0", []string{"force_format", "q"}, "is not valid"},
		{"/v7/img/a.jpg?r=45", []string{"r"}, "90, 180, 270"},
		{"/v7/img/a.jpg?blur=5", []string{"blur"}, "not a Cloudimage parameter Matte supports"},
		{"/v7/?w=1", []string{"source"}, "names no source"},
		{"/v7/img/../a.jpg", []string{"source"}, ". or .. segment"},
		{"/v7/img%2Fa.jpg%3Fx%3D1?ci_url_encoded=1", []string{"source"}, "takes no query"},
		// A pair url.ParseQuery skips (a bad escape, a ;) is a 400 on the
		// query, not an option dropped.
		{"/v7/img/a.jpg" + "?w=%zz", []string{"query"}, "not validly escaped"},
		{"/v7/img/a.jpg" + "?w=100;h=50", []string{"query"}, "does not separate parameters"},
	})
}

func TestParseBuilderURLs(t *testing.T) {
	want := map[string]dialect.ImageURL{
		"/v7/img/builders.jpg?w=400&h=300&org_if_sml=1":            {Source: "/img/builders.jpg", Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, KeepSourceIfBoxExceeds: true}},
		"/v7/img/builders.jpg?force_format=png&w=320&org_if_sml=1": {Source: "/img/builders.jpg", Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, New(), "cloudimage", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"img/a.jpg?w=400&h=300&func=fit&bg_color=black&org_if_sml=1", "https://h/a.jpg?w=1&gravity=auto",
		"https%3A%2F%2Fh%2Fa.jpg?ci_url_encoded=1&r=90", "a?func=cover&w=1&h=2&force_format=avif", "?w=1", "%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tail string) {
		// An unknown parameter's error names it, whatever it is: any field.
		got, _, ok := urltest.FuzzParsed(t, New(), Prefix+tail, func(string) bool { return true })
		if !ok {
			return
		}
		if p := got.Params; p.Width < 0 || p.Width > maxSide || p.Height < 0 || p.Height > maxSide {
			t.Fatalf("params out of range: %+v", p)
		}
		if _, err := url.Parse(got.Source); got.Remote() && err != nil {
			t.Fatalf("source %q: %v", got.Source, err)
		}
		if got.Query != "" {
			t.Fatalf("query %q: Cloudimage's query is all its own", got.Query)
		}
	})
}
