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
		// fo-face: the crop centred on the faces found, attention where there are none.
		{img + "?tr=w-400,h-300,fo-face", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}},
		{img + "?tr=w-400,ar-1-1,c-maintain_ratio,fo-face", img, "", params.Params{Width: 400, Height: 400, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}},
		{img + "?tr=w-400,fo-face", img, "", params.Params{Width: 400}}, // one side: nothing is cut
		{img + "?tr=w-400,h-300,c-at_max,fo-face", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{img + "?tr=w-400,h-300,fo-top_left", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropTopLeft}},
		{img + "?tr=w-400,h-300,c-force", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitScale}},
		{img + "?tr=w-400,h-300,c-at_max", img, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax}},
		{img + "?tr=w-400,h-300,c-at_max_enlarge", img, "", params.Params{Width: 400, Height: 300}},
		{img + "?tr=w-400,c-at_least", img, "", params.Params{Width: 400}},
		// ImageKit's min-size cropping strategy keeps the whole image
		// ("no cropping") with one or both sides adjusted to keep the
		// aspect ratio, each at least the one asked: Matte's outside.
		{img + "?tr=w-300,h-300,c-at_least", img, "", params.Params{Width: 300, Height: 300, Fit: params.FitOutside}},
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
		// rt-N<deg> turns counter-clockwise.
		{img + "?tr=rt-N40", img, "", params.Params{Rotate: 320}},
		{"/tr:rt-N90" + img, img, "", params.Params{Rotate: 270}},
		// b-<width>_<colour> (docs: w-300,b-5_FFF000) adds a border: padding
		// of its width with the frame drawn over it.
		{img + "?tr=w-300,b-5_FFF000", img, "", params.Params{Width: 300, Pad: 5, Border: params.Border{
			Color: params.Color{R: 255, G: 240, A: 255, Set: true}, Sides: params.Sides{Top: 5, Right: 5, Bottom: 5, Left: 5}}}},
		{img + "?tr=b-10_red", img, "", params.Params{Pad: 10, Border: params.Border{Color: red, Sides: params.Sides{Top: 10, Right: 10, Bottom: 10, Left: 10}}}},
		// cm-extract (docs: plant.jpeg 640x865): a w x h region at the
		// source's scale, centred, by fo, at x, y or centred at xc, yc.
		{img + "?tr=w-200,h-200,cm-extract", img, "", params.Params{Region: params.Region{W: 200, H: 200}}},
		{img + "?tr=w-300,h-300,cm-extract,fo-bottom_right", img, "", params.Params{Region: params.Region{W: 300, H: 300, Anchor: params.CropBottomRight}}},
		{img + "?tr=w-0.5,h-0.25,cm-extract,fo-top", img, "", params.Params{Region: params.Region{WRatio: 0.5, HRatio: 0.25, Anchor: params.CropTop}}},
		{img + "?tr=w-0.5,h-0.25,cm-pad_extract", img, "", params.Params{Region: params.Region{WRatio: 0.5, HRatio: 0.25}}},
		// cm-pad_extract (docs: a 600x600 image at w-700,h-700 is 700x700):
		// the region padded to w x h with bg, white by default.
		{img + "?tr=w-700,h-700,cm-pad_extract,bg-F3F3F3", img, "", params.Params{Width: 700, Height: 700, Fit: params.FitFillMax,
			Region: params.Region{W: 700, H: 700}, Background: params.Color{R: 0xf3, G: 0xf3, B: 0xf3, A: 255, Set: true}}},
		{img + "?tr=orig-false,w-100", img, "", params.Params{Width: 100}},
		// bg-blurred fills cm-pad_resize's padding with the image blurred.
		{img + "?tr=w-300,h-200,cm-pad_resize,bg-blurred", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitFill, FillBlur: true}},
		{img + "?tr=w-300,h-200,cm-pad_resize,bg-blurred_25", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitFill, FillBlur: true, FillBlurStrength: 250}},
		{img + "?tr=w-300,h-200,cm-pad_resize,bg-blurred_auto_N0", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitFill, FillBlur: true}},
		// The last two digits of an 8-digit colour are an opacity, 00-99.
		{img + "?tr=w-300,h-200,cm-pad_resize,bg-FFAABB50", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitFill,
			Background: params.Color{R: 255, G: 0xaa, B: 0xbb, A: 128, Set: true}}},
		{img + "?tr=w-300,h-200,cm-pad_resize,bg-FFAABB00", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitFill, Background: params.Color{Set: true}}},
		{img + "?tr=w-300,h-200,cm-pad_resize,bg-navy", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitFill, Background: params.Color{B: 128, A: 255, Set: true}}},
		// w-auto and dpr-auto read the client hints.
		{img + "?tr=w-auto,dpr-auto", img, "", params.Params{ClientHints: params.HintWidth | params.HintDPR}},
		{img + "?tr=w-auto,h-300", img, "", params.Params{Height: 300, Fit: params.FitCrop, ClientHints: params.HintWidth}},
		{img + "?tr=w-auto,h-300,c-at_max", img, "", params.Params{Height: 300, Fit: params.FitMax, ClientHints: params.HintWidth}},
		// e-shadow (docs: blur 10, saturation 30, offsets 2% by default).
		{img + "?tr=e-shadow", img, "", params.Params{DropShadow: params.DropShadow{Opacity: 0.3, Blur: 10, X: 2, Y: 2}}},
		{img + "?tr=e-shadow-bl-15_st-40_x-10_y-N5", img, "", params.Params{DropShadow: params.DropShadow{Opacity: 0.4, Blur: 15, X: 10, Y: -5}}},
		{img + "?tr=e-shadow-x-N10", img, "", params.Params{DropShadow: params.DropShadow{Opacity: 0.3, Blur: 10, X: -10, Y: 2}}},
		{img + "?tr=e-shadow-st-0", img, "", params.Params{}},
		// e-gradient (docs: ld 180, from FFFFFF, to 00000000, sp 1; named
		// directions at fixed angles, top_right 45; sp above 1 in pixels).
		{img + "?tr=e-gradient", img, "", params.Params{Gradient: params.Gradient{From: white, To: params.Color{Set: true}, Angle: 180, Stop: 1}}},
		{img + "?tr=e-gradient-ld-top_right_from-FF000040_to-00FF0040_sp-0.9", img, "", params.Params{Gradient: params.Gradient{
			From: params.Color{R: 255, A: 102, Set: true}, To: params.Color{G: 255, A: 102, Set: true}, Angle: 45, Stop: 0.9}}},
		{img + "?tr=e-gradient-sp-100_ld-45_to-green", img, "", params.Params{Gradient: params.Gradient{
			From: white, To: params.Color{G: 128, A: 255, Set: true}, Angle: 45, StopPixels: 100}}},
		{img + "?tr=e-gradient-ld-bottom_left_sp-1", img, "", params.Params{Gradient: params.Gradient{From: white, To: params.Color{Set: true}, Angle: 225, Stop: 1}}},
		// Matte strips metadata and writes sRGB, as md-false and cp-false ask.
		{img + "?tr=w-10,md-false,cp-false", img, "", params.Params{Width: 10}},
		// The query minus tr goes with the source.
		{"/a.jpg?v=1&tr=w-10&x=%20y", "/a.jpg", "v=1&x=%20y", params.Params{Width: 10}},
		{"/tr:w-10/a.jpg?v=1", "/a.jpg", "v=1", params.Params{Width: 10}},
	})
}

// TestParseChain: a chain one Matte request answers exactly. The URLs are
// @imagekit/javascript 5.5.1's getResponsiveImageAttributes output, as
// written (it appends {width: w, crop: 'at_max'} as a step of its own):
// {src: '/img/photo.jpg', width: 400, transformation: [{quality: 80}]}
// gives src ...?tr=q-80:w-828,c-at_max and srcSet ...?tr=q-80:w-640,c-at_max
// 1x; [{format: 'auto'}] gives tr=f-auto:w-640,c-at_max;
// transformationPosition 'path' gives /tr:q-80:w-828,c-at_max/img/photo.jpg;
// [{quality: 80, format: 'webp'}, {grayscale: true}] gives
// tr=q-80,f-webp:e-grayscale:w-828,c-at_max.
func TestParseChain(t *testing.T) {
	const img = "/img/photo.jpg"
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	grey := params.Color{R: 0x80, G: 0x80, B: 0x80, A: 255, Set: true}
	red := params.Color{R: 255, A: 255, Set: true}
	urltest.CheckValid(t, New(), []urltest.Valid{
		{img + "?tr=q-80:w-828,c-at_max", img, "", params.Params{Width: 828, Fit: params.FitMax, Quality: 80}},
		{img + "?tr=q-80:w-640,c-at_max", img, "", params.Params{Width: 640, Fit: params.FitMax, Quality: 80}},
		{img + "?tr=f-auto:w-640,c-at_max", img, "", params.Params{Width: 640, Fit: params.FitMax, AutoFormat: true}},
		{"/tr:q-80:w-828,c-at_max" + img, img, "", params.Params{Width: 828, Fit: params.FitMax, Quality: 80}},
		{img + "?tr=q-80,f-webp:e-grayscale:w-828,c-at_max", img, "", params.Params{Width: 828, Fit: params.FitMax, Quality: 80, Format: params.FormatWebP, Saturation: -100}},
		// The resizing step first, the encoding after it; the same
		// transform in two steps; at_max_enlarge and h as the SDK's
		// crop and height.
		{img + "?tr=w-300,h-200:f-png", img, "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Format: params.FormatPNG}},
		{img + "?tr=q-80:h-300,c-at_max_enlarge:q-80", img, "", params.Params{Height: 300, Quality: 80}},
		// e-grayscale after a step that draws no colour after Matte's
		// saturation step: white padding (cm-pad_resize's default), a
		// grey border or pad colour, the image blurred (drawn from the
		// greyed image), and e-grayscale before the step that draws.
		{img + "?tr=w-100,h-100,cm-pad_resize:e-grayscale", img, "", params.Params{Width: 100, Height: 100, Fit: params.FitFill, Background: white, Saturation: -100}},
		{img + "?tr=w-100,h-100,cm-pad_resize,bg-808080:e-grayscale", img, "", params.Params{Width: 100, Height: 100, Fit: params.FitFill, Background: grey, Saturation: -100}},
		{img + "?tr=w-100,h-100,cm-pad_resize,bg-blurred:e-grayscale", img, "", params.Params{Width: 100, Height: 100, Fit: params.FitFill, FillBlur: true, Saturation: -100}},
		{img + "?tr=w-100,b-10_808080:e-grayscale,f-png", img, "", params.Params{Width: 100, Pad: 10, Border: params.Border{
			Color: grey, Sides: params.Sides{Top: 10, Right: 10, Bottom: 10, Left: 10}}, Saturation: -100, Format: params.FormatPNG}},
		{img + "?tr=e-grayscale:w-100,b-10_FF0000", img, "", params.Params{Width: 100, Pad: 10, Border: params.Border{
			Color: red, Sides: params.Sides{Top: 10, Right: 10, Bottom: 10, Left: 10}}, Saturation: -100}},
	})
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		// Two resizes: the SDK's own step after the user's w, h.
		{img + "?tr=w-300,h-200:w-640,c-at_max", []string{"tr"}, `the chained step "w-640,c-at_max" resizes, crops or changes the image after the step "w-300,h-200"`},
		// A crop after a resize.
		{img + "?tr=w-640,c-at_max:w-100,h-100,cm-extract", []string{"tr"}, `the chained step "w-100,h-100,cm-extract"`},
		{img + "?tr=e-sharpen:w-640,c-at_max", []string{"tr"}, `the chained step "w-640,c-at_max"`},
		{img + "?tr=q-80:w-640:q-60", []string{"q"}, `q is given in two chained steps as "q-80" and "q-60"`},
		{img + "?tr=q-80::w-640", []string{"tr"}, "empty chained step"},
		{img + "?tr=w-640:", []string{"tr"}, "empty chained step"},
		// e-grayscale after a step that draws a colour Matte adds after
		// its saturation step (transform/pipeline.go: adjust, then canvas,
		// pad, drop-shadow, gradient, watermark, block, text, border):
		// ImageKit greys that colour too, Matte would not.
		{img + "?tr=w-100,b-10_FF0000:e-grayscale,f-png", []string{"tr"}, `the chained step "e-grayscale,f-png" greys the image after the step "w-100,b-10_FF0000" drew "b-10_FF0000"`},
		{img + "?tr=w-100,h-100,cm-pad_resize,bg-FF0000:e-grayscale", []string{"tr"}, `drew "bg-FF0000"`},
		{img + "?tr=w-100,h-100,cm-pad_extract,bg-red:q-80,e-grayscale", []string{"tr"}, `drew "bg-red"`},
		{img + "?tr=w-100,l-text,i-Hi,l-end:e-grayscale", []string{"tr"}, `drew "l-text"`},
		{img + "?tr=w-100,e-shadow:e-grayscale", []string{"tr"}, `drew "e-shadow"`},
		{img + "?tr=w-100,e-gradient:e-grayscale", []string{"tr"}, `drew "e-gradient"`},
		{img + "?tr=w-100,e-gradient-from-808080_to-000000:f-png:e-grayscale", []string{"tr"}, `the chained step "e-grayscale"`},
	})
}

func TestParseInvalid(t *testing.T) {
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/a.jpg?tr=", []string{"tr"}, "tr is empty"},
		// A pair the query parser cannot read is refused, not dropped.
		{"/a.jpg?tr=w-100&v=%zz", []string{"query"}, "not validly escaped"},
		{"/a.jpg?tr=w-100&v=1;x=2", []string{"query"}, "does not separate parameters"},
		// The dialect's own pair unreadable: still its URL, refused.
		{"/a.jpg?tr=w-100%zz", []string{"query"}, "not validly escaped"},
		{"/a.jpg?tr=w-100;h-50", []string{"query"}, "does not separate parameters"},
		{"/a.jpg?tr=w-1&tr=h-1", []string{"tr"}, "more than once"},
		{"/a.jpg?tr=w-100:rt-90", []string{"tr"}, "chained"},
		{"/a.jpg?tr=w", []string{"tr"}, "malformed"},
		{"/a.jpg?tr=w-1,,h-1", []string{"tr"}, "malformed"},
		{"/a.jpg?tr=w-1,w-2", []string{"w"}, "more than once"},
		{"/a.jpg?tr=w-1.0", []string{"w"}, "fraction of the image's width"},
		{"/a.jpg?tr=h--0.5", []string{"h"}, ""},
		{"/a.jpg?tr=h-auto", []string{"h"}, "not auto or expressions"},
		{"/a.jpg?tr=w-iw_div_2", []string{"w"}, "not auto or expressions"},
		{"/a.jpg?tr=h-100001", []string{"h"}, "from 1 to 100000"},
		{"/a.jpg?tr=c-fill", []string{"c"}, "maintain_ratio"},
		{"/a.jpg?tr=cm-fill", []string{"cm"}, "one of pad_resize, extract, pad_extract"},
		// cm-extract and cm-pad_extract.
		{"/a.jpg?tr=cm-extract", []string{"cm"}, "give both w and h"},
		{"/a.jpg?tr=w-100,cm-pad_extract", []string{"cm"}, "give both w and h"},
		{"/a.jpg?tr=w-auto,h-100,cm-extract", []string{"cm"}, "not auto"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,c-force", []string{"cm"}, "cannot be combined with c-force"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,dpr-2", []string{"dpr"}, "own pixels"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,dpr-auto", []string{"dpr"}, "own pixels"},
		{"/a.jpg?tr=w-0.5,ar-1-1,cm-extract", []string{"ar"}, "give w and h"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,fo-auto", []string{"fo"}, "not auto"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,fo-face", []string{"fo"}, "not face"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,fo-top,x-5", []string{"fo"}, "give one of them"},
		{"/a.jpg?tr=w-0.5,h-100,cm-extract,y-5", []string{"y"}, "integers"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,x-10,xc-50,yc-50", []string{"x"}, "not both"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,xc-60", []string{"yc"}, "give both"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,xc-49,yc-60", []string{"xc"}, "past the image's top or left edge"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,xc-60,yc-49", []string{"yc"}, "past the image's top or left edge"},
		{"/a.jpg?tr=w-100,h-100,xc-60", []string{"xc"}, "give one of them with w and h"},
		{"/a.jpg?tr=w-100,h-100,cm-extract,x-N1", []string{"x"}, "0 to 100000"},
		// rt, b, orig, bg-blurred, md, cp, di, o.
		{"/a.jpg?tr=rt-Nx", []string{"rt"}, "N40"},
		{"/a.jpg?tr=rt-N-40", []string{"rt"}, "N40"},
		{"/a.jpg?tr=b-5", []string{"b"}, "<width>_<colour>"},
		{"/a.jpg?tr=b-0_red", []string{"b"}, "<width>_<colour>"},
		{"/a.jpg?tr=b-5_%23FF0000", []string{"b"}, "<width>_<colour>"},
		{"/a.jpg?tr=b-5_F00F", []string{"b"}, "<width>_<colour>"},
		{"/a.jpg?tr=b-ih_div_20_FF00FF", []string{"b"}, "<width>_<colour>"},
		{"/a.jpg?tr=orig-1", []string{"orig"}, "true or false"},
		{"/a.jpg?tr=w-100,h-100,bg-blurred", []string{"bg"}, "with cm-pad_resize"},
		{"/a.jpg?tr=w-1,h-1,cm-pad_resize,bg-blurred_25_N15", []string{"bg"}, "no brightness"},
		{"/a.jpg?tr=w-1,h-1,cm-pad_resize,bg-blurred_101", []string{"bg"}, "blurred_<blur 1 to 100 or auto>"},
		{"/a.jpg?tr=w-1,h-1,cm-pad_resize,bg-blurredx", []string{"bg"}, "blurred_"},
		{"/a.jpg?tr=bg-FFAABBCC", []string{"bg"}, "opacity 00 to 99"},
		{"/a.jpg?tr=md-true", []string{"md"}, "Matte does not keep"},
		{"/a.jpg?tr=cp-true", []string{"cp"}, "Matte does not keep"},
		{"/a.jpg?tr=cp-yes", []string{"cp"}, "false"},
		{"/a.jpg?tr=di-@@", []string{"di"}, "a path on this site"},
		{"/a.jpg?tr=di-a@@..@@secret.jpg", []string{"di"}, ". and .. segments"},
		{"/a.jpg?tr=di-a.jpg,di-b.jpg", []string{"di"}, "more than once"},
		{"/a.jpg?tr=o-50", []string{"o"}, "not a transform Matte supports"},
		{"/a.jpg?tr=e-gradient-ld-360", []string{"e-gradient"}, "ld-<0 to 359"},
		{"/a.jpg?tr=e-gradient-ld-top_middle", []string{"e-gradient"}, "ld-<0 to 359"},
		{"/a.jpg?tr=e-gradient-sp-0.001", []string{"e-gradient"}, "sp-<0.01 to 1"},
		{"/a.jpg?tr=e-gradient-sp-ih_div_2", []string{"e-gradient"}, "sp-<0.01 to 1"},
		{"/a.jpg?tr=e-gradient-from-red_from-blue", []string{"e-gradient"}, "joined by _"},
		{"/a.jpg?tr=e-gradient-to-FFAABBCC", []string{"e-gradient"}, "colour"},
		{"/a.jpg?tr=e-gradient-right", []string{"e-gradient"}, "joined by _"},
		{"/a.jpg?tr=e-changebg-prompt-snow", []string{"e-changebg"}, "not a transform Matte supports"},
		{"/a.jpg?tr=cm-pad_resize,c-force", []string{"cm"}, "cannot be combined"},
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
		{"/a.jpg?tr=e-shadow-bl-16", []string{"e-shadow"}, "bl-<0 to 15>"},
		{"/a.jpg?tr=e-shadow-st-10_st-20", []string{"e-shadow"}, "joined by _"},
		{"/a.jpg?tr=e-shadow-z-1", []string{"e-shadow"}, "joined by _"},
		{"/a.jpg?tr=e-shadow-bl-N1", []string{"e-shadow"}, "joined by _"},
		{"/a.jpg?tr=e-shadow-x-101", []string{"e-shadow"}, "joined by _"},
		{"/a.jpg?tr=e-dropshadow", []string{"e-dropshadow"}, "not a transform Matte supports"},
		{"/a.jpg?tr=ar-4-3", []string{"ar"}, "it needs w or h"},
		{"/a.jpg?tr=w-100,ar-4", []string{"ar"}, "width-height"},
		{"/a.jpg?tr=w-100,ar-0-3", []string{"ar"}, "width-height"},
		{"/a.jpg?tr=w-auto,ar-4-3", []string{"ar"}, "w-auto"},
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
		"/a.jpg?tr=rt-N40,b-5_FFF000", "/a.jpg?tr=w-300,h-300,cm-extract,xc-300,yc-500", "/a.jpg?tr=w-700,h-700,cm-pad_extract,x-1,y-2,bg-FFAABB50",
		"/a.jpg?tr=orig-true", "/a.jpg?tr=w-3,h-2,cm-pad_resize,bg-blurred_25_N0,dpr-auto,w-auto", "/a.jpg?tr=md-false,cp-true,di-x.jpg",
		"/a.jpg?tr=l-image,i-a@@b.png,w-10,lx-N5,ly-3,lfo-top,l-end,l-text,ie-aGk=,fs-9,co-red,ff-Roboto,tg-b_i,pa-2_2,l-end",
		"/tr:l-image,i-a.png,l-image,i-b.png,l-end,l-end,l-end,l-/x.jpg", "/a.jpg?tr=l-text,i-,l-end,l-video,l-end",
		"/a.jpg?tr=e-shadow-bl-5_st-40_x-N10,l-image,i-ik_canvas,bg-FF000050,w-10,h-5,lfo-top,l-end", "/a.jpg?tr=w-auto,h-9,cm-extract,x-3",
		"/a.jpg?tr=di-@@img@@d.png@@,w-5", "/tr:di-a@@@@..@@b,orig-true/x.jpg", "/a.jpg?tr=di-%00,di-@@",
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
		if m := p.Watermark.Image; m != "" && (params.CheckImageRef(m) != nil || !strings.HasPrefix(m, "/") || got.MarkField != "i") {
			t.Fatalf("bad layer image %+v", got)
		}
		if f := got.Fallback; f != "" && (params.CheckImageRef(f) != nil || !strings.HasPrefix(f, "/") || got.FallbackField != "di") {
			t.Fatalf("bad default image %+v", got)
		}
		if p.Width < 0 || p.Width > maxDimension || p.Height < 0 || p.Height > maxDimension || p.Blur < 0 || p.Blur > 1000 ||
			p.Rotate < 0 || p.Rotate >= 360 || (p.DPR != 0 && (p.DPR <= 1 || p.DPR > 5)) || !strings.HasPrefix(got.Source, "/") {
			t.Fatalf("bad result %+v", got)
		}
	})
}

// cm-extract placed by pixels (docs: plant.jpeg 640x865, x-100,y-300 and
// xc-300,yc-500) cuts a Rect, whose errors name the option that placed it.
func TestParseExtractAt(t *testing.T) {
	const img = "/img/plant.jpeg"
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	for _, tt := range []struct {
		raw       string
		want      params.Params
		rectField string
	}{
		{img + "?tr=w-300,h-300,cm-extract,x-100,y-300", params.Params{Rect: params.Rect{X: 100, Y: 300, W: 300, H: 300}}, "x"},
		{img + "?tr=w-300,h-300,cm-extract,y-20", params.Params{Rect: params.Rect{Y: 20, W: 300, H: 300}}, "y"},
		{img + "?tr=w-300,h-300,cm-extract,xc-300,yc-500", params.Params{Rect: params.Rect{X: 150, Y: 350, W: 300, H: 300}}, "xc"},
		{img + "?tr=w-50,h-40,cm-pad_extract,x-10,y-20", params.Params{Width: 50, Height: 40, Fit: params.FitFillMax,
			Rect: params.Rect{X: 10, Y: 20, W: 50, H: 40}, Background: white}, "x"},
	} {
		u, err := url.ParseRequestURI(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := New().Parse(u)
		if want := (dialect.ImageURL{Source: img, Params: tt.want, RectField: tt.rectField}); !ok || err != nil || got != want {
			t.Errorf("%s: ok=%v err=%v\n got %+v\nwant %+v", tt.raw, ok, err, got, want)
		}
	}
}

// Layers (imagekit.io/docs, Overlay using layers), as the SDKs write them:
// l-image,i-<path, / as @@>,...,l-end and l-text,i-<text>|ie-<Base64>,...,l-end.
func TestParseLayers(t *testing.T) {
	const img = "/medium_cafe_B1iTdD0C.jpg"
	black := params.Color{A: 255, Set: true}
	for _, tt := range []struct {
		raw       string
		want      params.Params
		markField string
	}{
		// Centred at its own size by default.
		{img + "?tr=l-image,i-logo-white_SJwqB4Nfe.png,l-end", params.Params{Watermark: params.Watermark{
			Image: "/logo-white_SJwqB4Nfe.png", Fit: params.FitClip, Align: params.CropCenter, Alpha: 100}}, "i"},
		// lx-N35: 35 pixels from the right edge; the unset ly is 0.
		{"/tr:w-300,l-image,i-img@@logo.png,w-100,lx-N35,l-end" + img, params.Params{Width: 300, Watermark: params.Watermark{
			Image: "/img/logo.png", Width: 100, Fit: params.FitClip, Align: params.CropCenter, Alpha: 100,
			X: 35, XSet: true, YSet: true, XFromEnd: true}}, "i"},
		// ie: the path Base64-encoded ("img/logo.png"); lfo places it flush.
		{img + "?tr=l-image,ie-aW1nL2xvZ28ucG5n,h-40,c-at_max,lfo-bottom_left,l-end", params.Params{Watermark: params.Watermark{
			Image: "/img/logo.png", Height: 40, Fit: params.FitMax, Align: params.CropBottomLeft, Alpha: 100}}, "i"},
		{img + "?tr=l-image,i-logo.png,w-50,h-20,c-force,lx-10,ly-20,t-false,l-end", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Width: 50, Height: 20, Fit: params.FitScale, Align: params.CropCenter, Alpha: 100,
			X: 10, Y: 20, XSet: true, YSet: true}}, "i"},
		// Text: 45 px black sans, centred, by default (docs: "a font size of 45").
		{img + "?tr=l-text,ie-aGVsbG8%3D,l-end", params.Params{Text: params.Text{
			Text: "hello", Size: 45, Color: black, Font: "sans", Align: params.CropCenter}}, ""},
		{img + "?tr=l-text,i-overlay%20made%20easy,fs-30,co-FF000050,ff-Roboto,tg-b_i,pa-10,w-300,lfo-bottom_right,l-end", params.Params{Text: params.Text{
			Text: "overlay made easy", Size: 30, Color: params.Color{R: 255, A: 128, Set: true}, Font: "Roboto bold italic", Width: 300,
			Align: params.CropBottomRight, Pad: 10}}, ""},
		// At lx, ly, the padding moves the text in.
		{"/tr:l-text,i-Hi,lx-10,pa-5_5,tg-i,l-end" + img, params.Params{Text: params.Text{
			Text: "Hi", Size: 45, Color: black, Font: "sans italic", Align: params.CropCenter, Pad: 5, X: 15, Y: 5, XSet: true, YSet: true}}, ""},
		// A solid-colour block (docs: bg-FF0000,w-300,h-100), centred by
		// default, or placed as an image layer is.
		{img + "?tr=l-image,i-ik_canvas,bg-FF0000,w-300,h-100,l-end", params.Params{Block: params.Block{
			Color: params.Color{R: 255, A: 255, Set: true}, Width: 300, Height: 100, Align: params.CropCenter}}, ""},
		{"/tr:l-image,i-ik_canvas,bg-00000050,w-50,h-20,ly-N10,l-end" + img, params.Params{Block: params.Block{
			Color: params.Color{A: 128, Set: true}, Width: 50, Height: 20, Align: params.CropCenter, XSet: true, Y: 10, YSet: true, YFromEnd: true}}, ""},
		// One of each kind, with the base image's own transforms around them.
		{img + "?tr=w-400,l-text,i-Sale,co-white,l-end,l-image,i-logo.png,l-end,q-80", params.Params{Width: 400, Quality: 80,
			Text:      params.Text{Text: "Sale", Size: 45, Color: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}, Font: "sans", Align: params.CropCenter},
			Watermark: params.Watermark{Image: "/logo.png", Fit: params.FitClip, Align: params.CropCenter, Alpha: 100}}, "i"},
	} {
		u, err := url.ParseRequestURI(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := New().Parse(u)
		want := dialect.ImageURL{Source: img, Params: tt.want, MarkField: tt.markField}
		if !ok || err != nil || got != want {
			t.Errorf("%s: ok=%v err=%v\n got %+v\nwant %+v", tt.raw, ok, err, got, want)
		}
	}
	urltest.CheckInvalid(t, New(), []urltest.Invalid{
		{"/a.jpg?tr=l-image,i-a.png", []string{"l"}, "has no l-end"},
		{"/a.jpg?tr=w-10,l-end", []string{"l"}, "closes no layer"},
		{"/a.jpg?tr=l-video,i-a.mp4,l-end", []string{"l"}, "l-video layers are not supported"},
		{"/a.jpg?tr=l-subtitles,i-a.srt,l-end", []string{"l"}, "not supported"},
		{"/a.jpg?tr=l-image,i-a.png,l-image,i-b.png,l-end,l-end", []string{"l"}, "nested layers"},
		{"/a.jpg?tr=l-image,i-a.png,l-end,l-image,i-b.png,l-end", []string{"l"}, "one l-image layer"},
		{"/a.jpg?tr=l-text,i-a,l-end,l-text,i-b,l-end", []string{"l"}, "one l-text layer"},
		{"/a.jpg?tr=l-image,w-10,l-end", []string{"i"}, "i-<path>"},
		{"/a.jpg?tr=l-text,fs-10,l-end", []string{"i"}, "i-<text>"},
		{"/a.jpg?tr=l-image,i-ik_canvas,w-10,h-10,l-end", []string{"bg"}, "needs its colour"},
		{"/a.jpg?tr=l-image,i-ik_canvas,bg-red,w-10,l-end", []string{"w"}, "needs its size"},
		{"/a.jpg?tr=l-image,i-ik_canvas,bg-red,w-10,h-10,c-force,l-end", []string{"c"}, "w x h"},
		{"/a.jpg?tr=l-image,i-ik_canvas,bg-red,w-10,h-10,al-5,r-4,l-end", []string{"al", "r"}, "in an l-image layer"},
		{"/a.jpg?tr=l-image,i-logo.png,bg-red,l-end", []string{"bg"}, "without a background"},
		{"/a.jpg?tr=l-image,i-ik_canvas,bg-red,w-10,h-10,l-end,l-image,i-logo.png,l-end", []string{"l"}, "one l-image layer"},
		{"/a.jpg?tr=l-image,i-a.png,lm-multiply,l-end", []string{"lm"}, "layer modes"},
		{"/a.jpg?tr=l-image,i-@@..@@a.png,l-end", []string{"i"}, "not a path on this site"},
		{"/a.jpg?tr=l-image,ie-Ly9ldmlsLmV4YW1wbGUvYS5wbmc,l-end", []string{"ie"}, "not a path on this site"}, // "//evil.example/a.png"
		{"/a.jpg?tr=l-image,i-a.png,w-10,h-10,l-end", []string{"h"}, "cannot be cropped"},
		{"/a.jpg?tr=l-image,i-a.png,t-true,l-end", []string{"t"}, "does not trim"},
		{"/a.jpg?tr=l-image,i-a.png,o-50,e-grayscale,l-end", []string{"o", "e-grayscale"}, "in an l-image layer"},
		{"/a.jpg?tr=l-image,i-a.png,lx-x,ly-N,lfo-auto,l-end", []string{"lx", "ly", "lfo"}, ""},
		{"/a.jpg?tr=l-image,i-a.png,lx-1,lx-2,l-end", []string{"lx"}, "more than once in the l-image layer"},
		{"/a.jpg?tr=l-image,i-a.png,,l-end", []string{"tr"}, "malformed"},
		{"/a.jpg?tr=l-text,i-hi,lx-N10,l-end", []string{"lx"}, "from the left and top"},
		{"/a.jpg?tr=l-text,i-hi,pa-10_20,l-end", []string{"pa"}, "evenly"},
		{"/a.jpg?tr=l-text,i-hi,ff-Lacquer-Regular_nGqtVsBJT.ttf,l-end", []string{"ff"}, "custom font files"},
		{"/a.jpg?tr=l-text,i-hi,tg-u,l-end", []string{"tg"}, "b_i"},
		{"/a.jpg?tr=l-text,ie-!!!,l-end", []string{"ie"}, "not Base64"},
		{"/a.jpg?tr=l-text,i-hi,bg-white,l-end", []string{"bg"}, "in an l-text layer"},
		{"/a.jpg?tr=l-text,i-hi,fs-0,co-%23fff,l-end", []string{"fs", "co"}, ""},
	})
}

// TestOrig: orig-true asks for the source as it is (ImageURL.AsIs, passed
// through untouched), whatever else is asked, di included: nothing is
// decoded, so a missing source answers as its origin does.
func TestOrig(t *testing.T) {
	urltest.CheckParses(t, New(), map[string]dialect.ImageURL{
		"/a.jpg?tr=orig-true,w-100,f-png":         {Source: "/a.jpg", AsIs: true},
		"/tr:w-100,orig-true/a.jpg?v=1":           {Source: "/a.jpg", Query: "v=1", AsIs: true},
		"/a.jpg?tr=orig-true,di-img@@missing.jpg": {Source: "/a.jpg", AsIs: true},
		"/a.jpg?tr=orig-false,w-100":              {Params: params.Params{Width: 100}, Source: "/a.jpg"},
	})
}

// TestDefaultImage: di-<path> names the image answered in place of a
// missing source, a path from the site's root with its / written as @@, as
// ImageKit's SDKs write it (leading and trailing / dropped).
func TestDefaultImage(t *testing.T) {
	for raw, want := range map[string]string{
		"/a.jpg?tr=di-default.jpg":                 "/default.jpg",
		"/a.jpg?tr=w-100,di-folder@@default.jpg":   "/folder/default.jpg",
		"/tr:di-@@img@@sub@@d-1.png,w-10/a.jpg":    "/img/sub/d-1.png",
		"/a.jpg?tr=di-img@@default.jpg@@":          "/img/default.jpg",
		"/a.jpg?tr=di-img%40%40percent%20name.jpg": "/img/percent name.jpg",
	} {
		got, ok, err := urltest.Parse(t, New(), raw)
		if !ok || err != nil || got.Fallback != want || got.FallbackField != "di" || got.Source != "/a.jpg" {
			t.Errorf("%s: ok %v, err %v, fallback %q (%q), source %q; want %q (di)", raw, ok, err, got.Fallback, got.FallbackField, got.Source, want)
		}
	}
	if got, _, _ := urltest.Parse(t, New(), "/a.jpg?tr=w-10"); got.Fallback != "" || got.FallbackField != "" {
		t.Errorf("no di: fallback %q (%q)", got.Fallback, got.FallbackField)
	}
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, New(), map[string][2]string{
		"/medium_cafe_B1iTdD0C.jpg?tr=b-10_red": {"", "b"},
	})
}

// The image path is decoded once, in both forms: %2520 names a file with
// "%20" in its name; an escaped control character is refused.
func TestParsePathDecodedOnce(t *testing.T) {
	urltest.CheckSources(t, New(), map[string]string{
		"/a%2520b.jpg?tr=w-10":   "/a%20b.jpg",
		"/tr:w-10/a%2520b.jpg":   "/a%20b.jpg",
		"/tr%3Aw-10/a%20b.jpg":   "/a b.jpg",
		"/tr:w-10/a%20b.jpg":     "/a b.jpg",
		"/dir%2500/a.jpg?tr=w-1": "/dir%00/a.jpg",
	})
	urltest.CheckErrors(t, New(), map[string]string{"/a%00.jpg?tr=w-10": "tr", "/tr:w-10/a%0A.jpg": "tr"})
}
