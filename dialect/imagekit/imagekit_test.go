package imagekit

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func TestName(t *testing.T) {
	if New().Name() != "imagekit" {
		t.Fatal(New().Name())
	}
}

func TestParseValid(t *testing.T) {
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	red := params.Color{R: 255, A: 255, Set: true}
	const img = "/medium_cafe_B1iTdD0C.jpg"
	urltest.CheckValid(t, New(), []urltest.Valid{
		// ImageKit's documented forms (imagekit.io/docs): the path form and the query form.
		{"/tr:w-300,h-300" + img, img, "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop}},
		{img + "?tr=w-300,h-300", img, "", params.Params{Width: 300, Height: 300, Fit: params.FitCrop}},
		{img + "?tr=w-400", img, "", params.Params{Width: 400}},
		// ar-W-H: the other side from the ratio, then maintain_ratio's crop.
		{img + "?tr=w-400,ar-4-3", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{img + "?tr=h-300,ar-16-9,fo-top", img, "", params.Params{Width: 533, Height: 300, Fit: params.FitCrop, Crop: params.CropTop}},
		{img + "?tr=w-0.5,ar-1-1", img, "", params.Params{WidthRatio: 0.5, AspectRatio: 1, Fit: params.FitCrop}},
		{img + "?tr=w-400,h-100,ar-4-3", img, "", params.Params{Width: 400, Height: 100, Fit: params.FitCrop}},
		{img + "?tr=e-contrast", img, "", params.Params{Normalize: true}},
		{img + "?tr=e-usm-2-2-0.8-0.024", img, "", params.Params{UnsharpMask: 40, UnsharpRadius: 2}},
		{img + "?tr=e-usm", img, "", params.Params{UnsharpMask: 50}},
		{img + "?tr=w-400,h-300,c-maintain_ratio,fo-auto", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention}},
		{img + "?tr=w-400,h-300,fo-top_left", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{img + "?tr=w-400,h-300,c-force", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitScale}},
		{img + "?tr=w-400,h-300,c-at_max", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{img + "?tr=w-400,h-300,c-at_max_enlarge", img, "", params.Params{Width: 400, Height: 300}},
		{img + "?tr=w-400,c-at_least", img, "", params.Params{Width: 400}},
		{img + "?tr=w-400,h-300,cm-pad_resize", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitFill, Background: white}},
		{img + "?tr=w-400,h-300,cm-pad_resize,bg-FF0000", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitFill, Background: red}},
		{img + "?tr=w-400,h-300,c-pad_resize,bg-red", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitFill, Background: red}},
		{img + "?tr=q-50,f-webp", img, "", params.Params{Quality: 50, Format: params.FormatWebP}},
		{img + "?tr=f-auto", img, "", params.Params{AutoFormat: true}},
		{img + "?tr=f-orig,w-5", img, "", params.Params{Width: 5}},
		{img + "?tr=bl-10,rt-90,fl-h_v,dpr-2,lo-true,t-true,pr-true", img, "", params.Params{Blur: 100, Rotate: 90, Flip: params.FlipHV, DPR: 2, Lossless: true, Trim: true, Variant: params.VariantProgressive}},
		{img + "?tr=rt--90,e-sharpen", img, "", params.Params{Rotate: 270, Sharpen: 50}},
		{img + "?tr=w-100,e-grayscale", img, "", params.Params{Width: 100, Saturation: -100}},
		{img + "?tr=w-100,h-100,r-max", img, "", params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Mask: params.ShapeEllipse}},
		{img + "?tr=t-25", img, "", params.Params{Trim: true, TrimTolerance: 25, TrimToleranceSet: true}},
		{img + "?tr=w-100,r-12", img, "", params.Params{Width: 100, Mask: params.ShapeCorners, CornerRadius: params.Corners{TopLeft: 12, TopRight: 12, BottomRight: 12, BottomLeft: 12, Set: true}}},
		{img + "?tr=w-0.5", img, "", params.Params{WidthRatio: 0.5}},
		{img + "?tr=w-0.5,h-300", img, "", params.Params{WidthRatio: 0.5, Height: 300, Fit: params.FitCrop}},
		{img + "?tr=rt-auto,e-sharpen-10,dpr-1", img, "", params.Params{Sharpen: 10}},
		// Background removal.
		{img + "?tr=e-bgremove", img, "", params.Params{Removal: params.Removal{Enabled: true}}},
		{"/tr:e-removedotbg,w-200/a/b.png", "/a/b.png", "", params.Params{Width: 200, Removal: params.Removal{Enabled: true}}},
		// The query minus tr goes with the source.
		{"/a.jpg?v=1&tr=w-10&x=%20y", "/a.jpg", "v=1&x=%20y", params.Params{Width: 10}},
		{"/tr:w-10/a.jpg?v=1", "/a.jpg", "v=1", params.Params{Width: 10}},
	})
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/a.jpg?tr=", []string{"tr"}, "tr is empty"},
		{"/a.jpg?tr=w-1&tr=h-1", []string{"tr"}, "more than once"},
		{"/a.jpg?tr=w-100:rt-90", []string{"tr"}, "chained"},
		{"/a.jpg?tr=w", []string{"tr"}, "malformed"},
		{"/a.jpg?tr=w-1,,h-1", []string{"tr"}, "malformed"},
		{"/a.jpg?tr=w-1,w-2", []string{"w"}, "more than once"},
		{"/a.jpg?tr=w-1.0", []string{"w"}, "fraction of the image's width"},
		{"/a.jpg?tr=h--0.5", []string{"h"}, ""},
		{"/a.jpg?tr=w-auto", []string{"w"}, "not auto or expressions"},
		{"/a.jpg?tr=w-iw_div_2", []string{"w"}, "not auto or expressions"},
		{"/a.jpg?tr=h-100001", []string{"h"}, "from 1 to 100000"},
		{"/a.jpg?tr=c-fill", []string{"c"}, "maintain_ratio"},
		{"/a.jpg?tr=cm-extract", []string{"cm"}, "not supported"},
		{"/a.jpg?tr=cm-pad_resize,c-force", []string{"cm"}, "cannot be combined"},
		{"/a.jpg?tr=w-1,h-1,c-at_least", []string{"c"}, "c-at_least with both"},
		{"/a.jpg?tr=fo-middle", []string{"fo"}, "fo must be one of"},
		{"/a.jpg?tr=q-0", []string{"q"}, "from 1 to 100"},
		{"/a.jpg?tr=f-bmp", []string{"f"}, "f must be one of"},
		{"/a.jpg?tr=bg-%23FF0000", []string{"bg"}, "a colour"},
		{"/a.jpg?tr=bl-101", []string{"bl"}, "from 1 to 100"},
		{"/a.jpg?tr=rt-x", []string{"rt"}, "or auto"},
		{"/a.jpg?tr=fl-x", []string{"fl"}, "h, v, h_v"},
		{"/a.jpg?tr=dpr-6", []string{"dpr"}, "from 1 to 5"},
		{"/a.jpg?tr=lo-1", []string{"lo"}, "true or false"},
		{"/a.jpg?tr=t-100", []string{"t"}, "1 to 99"},
		{"/a.jpg?tr=e-bgremove-1", []string{"e-bgremove"}, "without a value"},
		{"/a.jpg?tr=e-grayscale-1", []string{"e-grayscale"}, ""},
		{"/a.jpg?tr=r-round", []string{"r"}, "an integer radius from 0 to 10000, or max"},
		{"/a.jpg?tr=e-shadow", []string{"e-shadow"}, "not a transform Matte supports"},
		{"/a.jpg?tr=b-5_FF0000", []string{"b"}, "not a transform Matte supports"},
		{"/a.jpg?tr=ar-4-3", []string{"ar"}, "it needs w or h"},
		{"/a.jpg?tr=w-100,ar-4", []string{"ar"}, "width-height"},
		{"/a.jpg?tr=w-100,ar-0-3", []string{"ar"}, "width-height"},
		{"/a.jpg?tr=e-contrast-5", []string{"e-contrast"}, "without a value"},
		{"/a.jpg?tr=e-usm-2-2-0.8", []string{"e-usm"}, "four positive numbers"},
		{"/a.jpg?tr=e-usm-2-0-0.8-0", []string{"e-usm"}, "four positive numbers"},
		{"/a.jpg?tr=e-usm-2-2-3-0", []string{"e-usm"}, "amount at most 2"},
		{"/a.jpg?tr=e-sharpen-0", []string{"e-sharpen"}, "1 to 100"},
		{"/?tr=w-1", []string{"tr"}, "image path"},
		{"/tr:w-1/", []string{"tr"}, "image path"},
		{"/tr:w-1/a/../b.jpg", []string{"tr"}, "image path"},
		{"/a.jpg?tr=w-x,h-y,q-z", []string{"w", "h", "q"}, ""},
	})
}

func TestParseNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, New(), "/a.jpg", "/a.jpg?w=400", "/a/tr:w-400/b.jpg", "/TR:w-1/a.jpg", "/a.jpg?TR=w-1")
}

// The URLs unpic and @unpic/core built (test/clients/builders).
func TestParseBuilderURLs(t *testing.T) {
	src := "/img/builders.jpg"
	want := map[string]dialect.ImageURL{
		"/img/builders.jpg?tr=w-400%2Ch-300%2Cc-maintain_ratio%2Cfo-auto": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention}},
		"/img/builders.jpg?tr=w-320%2Cf-png%2Cc-maintain_ratio%2Cfo-auto": {Source: src, Params: params.Params{Width: 320, Format: params.FormatPNG}},
		"/img/builders.jpg?tr=w-200%2Ch-150%2Cc-maintain_ratio%2Cfo-auto": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitCrop, Crop: params.CropAttention}},
	}
	urltest.CheckBuilderURLs(t, New(), "imagekit", want)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/a.jpg?tr=w-400,h-300,c-maintain_ratio,fo-auto", "/tr:w-300,h-300/a.jpg", "/a.jpg?tr=e-bgremove,f-auto,q-80",
		"/a.jpg?tr=cm-pad_resize,bg-FF0000,w-1,h-1", "/tr:/", "/a.jpg?tr=w-1:h-2", "/a.jpg?tr=e-,-,w-", "/tr:e-sharpen-5,rt--450,fl-v_h/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return
		}
		got, ok, err := New().Parse(u)
		if err != nil {
			var list params.Errors
			if !ok || !errors.As(err, &list) || len(list) == 0 || got != (dialect.ImageURL{}) {
				t.Fatalf("error %v with ok=%v %+v", err, ok, got)
			}
			for _, e := range list {
				if e.Field == "" || e.Status != http.StatusBadRequest || e.Detail == "" {
					t.Fatalf("bad entry %+v", e)
				}
			}
			return
		}
		if !ok {
			return
		}
		p := got.Params
		if p.Width < 0 || p.Width > maxDimension || p.Height < 0 || p.Height > maxDimension || p.Blur < 0 || p.Blur > 1000 ||
			p.Rotate < 0 || p.Rotate >= 360 || (p.DPR != 0 && (p.DPR <= 1 || p.DPR > 5)) || !strings.HasPrefix(got.Source, "/") {
			t.Fatalf("bad result %+v", got)
		}
	})
}
