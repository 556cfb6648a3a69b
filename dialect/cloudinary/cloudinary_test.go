package cloudinary

import (
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func newDialect(t *testing.T, clouds map[string]string) dialect.URLDialect {
	t.Helper()
	d, err := New(clouds)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestName(t *testing.T) {
	if newDialect(t, nil).Name() != "cloudinary" {
		t.Fatal(newDialect(t, nil).Name())
	}
}

func TestParseValid(t *testing.T) {
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	red := params.Color{R: 255, A: 255, Set: true}
	const up = "/demo/image/upload/"
	urltest.CheckValid(t, newDialect(t, nil), []urltest.Valid{
		// The brief's example and the docs' sample: public ID with folders,
		// a version, the extension kept on the file name.
		{up + "w_400,h_300,c_fill/v1712345/folder/shoe.jpg", "/folder/shoe.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop}},
		{up + "sample.jpg", "/sample.jpg", "", params.Params{}},
		{up + "v1/sample", "/sample", "", params.Params{}},
		// A custom domain's form, without the cloud name.
		{"/image/upload/w_100/sample.png", "/sample.png", "", params.Params{Width: 100}},
		// c_scale (the default) stretches with both sides.
		{up + "w_150,h_150/sample.jpg", "/sample.jpg", "", params.Params{Width: 150, Height: 150, Fit: params.FitScale}},
		{up + "c_scale,w_0.25/sample.jpg", "/sample.jpg", "", params.Params{WidthRatio: 0.25}},
		{up + "c_scale,w_100,ar_1:2/sample.jpg", "/sample.jpg", "", params.Params{Width: 100, Height: 200, Fit: params.FitScale}},
		{up + "c_fit,w_250,h_250/sample.jpg", "/sample.jpg", "", params.Params{Width: 250, Height: 250}},
		{up + "c_limit,w_250,h_250/sample.jpg", "/sample.jpg", "", params.Params{Width: 250, Height: 250, Fit: params.FitMax}},
		{up + "c_fill,g_north_east,w_250,h_250/sample.jpg", "/sample.jpg", "", params.Params{Width: 250, Height: 250, Fit: params.FitCrop, Crop: params.CropTopRight}},
		{up + "c_fill,g_auto,w_400,h_300/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention}},
		// g_face centres the cut on the largest face found, g_faces on
		// them all; attention is the fallback where there are none.
		{up + "c_thumb,g_face,w_150,h_150/sample.jpg", "/sample.jpg", "", params.Params{Width: 150, Height: 150, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true, Largest: true}}},
		{up + "c_fill,g_faces,w_400,h_300/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}},
		{up + "c_lfill,g_face,w_400,h_300/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin, Crop: params.CropAttention, Faces: params.Faces{Crop: true, Largest: true}}},
		{up + "c_fill,g_face,ar_1:1/sample.jpg", "/sample.jpg", "", params.Params{Fit: params.FitCrop, AspectRatio: 1, Crop: params.CropAttention, Faces: params.Faces{Crop: true, Largest: true}}},
		// With one side nothing is cut, so there is nothing to place.
		{up + "c_fill,g_face,w_400/sample.jpg", "/sample.jpg", "", params.Params{Width: 400}},
		{up + "c_crop,w_300,h_200/c_fill,g_face,w_150,h_150/sample.jpg", "/sample.jpg", "", params.Params{Width: 150, Height: 150, Fit: params.FitCrop, Crop: params.CropAttention,
			Region: params.Region{W: 300, H: 200}, Faces: params.Faces{Crop: true, Largest: true}}},
		{up + "c_fill,h_300,ar_16:9/sample.jpg", "/sample.jpg", "", params.Params{Width: 533, Height: 300, Fit: params.FitCrop}},
		{up + "c_fill,ar_1.5/sample.jpg", "/sample.jpg", "", params.Params{Fit: params.FitCrop, AspectRatio: 1.5}},
		{up + "c_lfill,w_400,h_300/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitMin}},
		{up + "c_lfill,w_400/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, Fit: params.FitMax}},
		{up + "c_fill,w_400/sample.jpg", "/sample.jpg", "", params.Params{Width: 400}},
		{up + "c_pad,w_250,h_250,b_rgb:6b3f1b/sample.jpg", "/sample.jpg", "", params.Params{Width: 250, Height: 250, Fit: params.FitFill,
			Background: params.Color{R: 0x6b, G: 0x3f, B: 0x1b, A: 255, Set: true}}},
		{up + "c_lpad,w_250,h_250,b_white/sample.jpg", "/sample.jpg", "", params.Params{Width: 250, Height: 250, Fit: params.FitFillMax, Background: white}},
		{up + "c_pad,h_150,ar_2:1,b_%23ff000080/sample.jpg", "/sample.jpg", "", params.Params{Width: 300, Height: 150, Fit: params.FitFill,
			Background: params.Color{R: 255, A: 128, Set: true}}},
		{up + "c_pad,w_300,h_200,b_blurred:400/sample.jpg", "/sample.jpg", "", params.Params{Width: 300, Height: 200, Fit: params.FitFill, FillBlur: true, FillBlurStrength: 400}},
		// c_crop: a region at the source's scale.
		{up + "c_crop,w_200,h_100,g_south/sample.jpg", "/sample.jpg", "", params.Params{Region: params.Region{W: 200, H: 100, Anchor: params.CropBottom}}},
		{up + "c_crop,w_0.5,h_0.5/sample.jpg", "/sample.jpg", "", params.Params{Region: params.Region{WRatio: 0.5, HRatio: 0.5}}},
		{up + "c_crop,ar_1:1,g_west/sample.jpg", "/sample.jpg", "", params.Params{Fit: params.FitCrop, AspectRatio: 1, Crop: params.CropLeft}},
		// The docs' chain: crop 300x300, then scale to a 150-wide circle.
		{up + "c_crop,w_300,h_300/c_scale,w_150,r_max/sample.jpg", "/sample.jpg", "", params.Params{Width: 150, Region: params.Region{W: 300, H: 300}, Mask: params.ShapeEllipse}},
		// Resize, then effects, then delivery, one per component.
		{up + "c_fill,w_400,h_300/e_grayscale/e_blur:300/f_auto/q_auto/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop,
			Saturation: -100, Blur: 300, AutoFormat: true}},
		{up + "f_auto,q_auto:good,w_400/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, AutoFormat: true}},
		{up + "q_80:444,f_webp/sample.jpg", "/sample.jpg", "", params.Params{Quality: 80, Chroma: 444, Format: params.FormatWebP}},
		{up + "dpr_2.0,w_100/sample.jpg", "/sample.jpg", "", params.Params{Width: 100, DPR: 2}},
		{up + "dpr_auto,w_auto,c_limit/sample.jpg", "/sample.jpg", "", params.Params{Fit: params.FitMax, ClientHints: params.HintWidth | params.HintDPR}},
		// a_: right angles, other angles, flips, ignore.
		{up + "a_90/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 90}},
		{up + "a_-20/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 340}},
		{up + "a_hflip/sample.jpg", "/sample.jpg", "", params.Params{Flip: params.FlipH}},
		{up + "a_vflip.hflip/sample.jpg", "/sample.jpg", "", params.Params{Flip: params.FlipHV}},
		{up + "a_ignore/sample.jpg", "/sample.jpg", "", params.Params{Orientation: 1}},
		{up + "a_90/w_100/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 90, Width: 100}},
		{up + "w_100/a_45/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 45, Width: 100}},
		// A right angle after the resize (url-gen's .resize(...).rotate(byAngle(90))) is
		// the turn first and the turned box: sides, ar and gravity turn with the image.
		{"/demo/image/upload/c_scale,w_300/a_90/v1/img/photo.jpg", "/img/photo.jpg", "", params.Params{Rotate: 90, Height: 300}},
		{up + "c_scale,w_300,h_200/a_-90/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 270, Width: 200, Height: 300, Fit: params.FitScale}},
		{up + "c_fill,w_300,h_200,g_north/a_90/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 90, Width: 200, Height: 300, Fit: params.FitCrop, Crop: params.CropRight}},
		{up + "c_fill,w_300,h_200,g_north_west/a_270/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 270, Width: 200, Height: 300, Fit: params.FitCrop, Crop: params.CropBottomLeft}},
		{up + "c_fill,w_300,h_200,g_east/a_180/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 180, Width: 300, Height: 200, Fit: params.FitCrop, Crop: params.CropLeft}},
		{up + "c_fill,w_300,ar_3:2/e_grayscale/a_90/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 90, Width: 200, Height: 300, Fit: params.FitCrop, Saturation: -100}},
		{up + "c_crop,w_50,h_40,x_1,y_2/c_limit,w_30/a_90/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 90, Height: 30, Fit: params.FitMax, Rect: params.Rect{X: 1, Y: 2, W: 50, H: 40}}},
		{up + "c_crop,w_50,h_40,x_1,y_2/a_90/sample.jpg", "/sample.jpg", "", params.Params{Rotate: 90, Rect: params.Rect{X: 1, Y: 2, W: 50, H: 40}}},
		// r_: one radius, CSS's shorthands, max.
		{up + "r_20/sample.jpg", "/sample.jpg", "", params.Params{Mask: params.ShapeCorners, CornerRadius: params.Corners{TopLeft: 20, TopRight: 20, BottomRight: 20, BottomLeft: 20, Set: true}}},
		{up + "r_10:40/sample.jpg", "/sample.jpg", "", params.Params{Mask: params.ShapeCorners, CornerRadius: params.Corners{TopLeft: 10, TopRight: 40, BottomRight: 10, BottomLeft: 40, Set: true}}},
		{up + "r_1:2:3/sample.jpg", "/sample.jpg", "", params.Params{Mask: params.ShapeCorners, CornerRadius: params.Corners{TopLeft: 1, TopRight: 2, BottomRight: 3, BottomLeft: 2, Set: true}}},
		// Flags.
		{up + "fl_progressive.strip_profile/sample.jpg", "/sample.jpg", "", params.Params{Variant: params.VariantProgressive}},
		{up + "fl_attachment:shoes/sample.jpg", "/sample.jpg", "", params.Params{Download: true, DownloadName: "shoes"}},
		{up + "fl_png8/sample.png", "/sample.png", "", params.Params{Variant: params.VariantPalette}},
		{up + "fl_lossy/sample.png", "/sample.png", "", params.Params{PNGToJPEG: true}},
		// Effects, with their documented defaults.
		{up + "e_sepia/sample.jpg", "/sample.jpg", "", params.Params{Sepia: 80}},
		{up + "e_sepia:50/sample.jpg", "/sample.jpg", "", params.Params{Sepia: 50}},
		{up + "e_blackwhite/sample.jpg", "/sample.jpg", "", params.Params{Threshold: 128}},
		{up + "e_blackwhite:20/sample.jpg", "/sample.jpg", "", params.Params{Threshold: 51}},
		{up + "e_blur/sample.jpg", "/sample.jpg", "", params.Params{Blur: 100}},
		{up + "e_sharpen/sample.jpg", "/sample.jpg", "", params.Params{Sharpen: 5}},
		{up + "e_sharpen:2000/sample.jpg", "/sample.jpg", "", params.Params{Sharpen: 100}},
		{up + "e_unsharp_mask:500/sample.jpg", "/sample.jpg", "", params.Params{UnsharpMask: 25}},
		{up + "e_brightness/sample.jpg", "/sample.jpg", "", params.Params{Brightness: 80}},
		{up + "e_brightness:-30/sample.jpg", "/sample.jpg", "", params.Params{Brightness: -30}},
		{up + "e_contrast:50/sample.jpg", "/sample.jpg", "", params.Params{Contrast: 50}},
		{up + "e_saturation/sample.jpg", "/sample.jpg", "", params.Params{Saturation: 80}},
		{up + "e_vibrance/sample.jpg", "/sample.jpg", "", params.Params{Vibrance: 20}},
		{up + "e_gamma:50/sample.jpg", "/sample.jpg", "", params.Params{Gamma: 1.5}},
		{up + "e_negate/sample.jpg", "/sample.jpg", "", params.Params{Invert: true}},
		{up + "e_pixelate:20/sample.jpg", "/sample.jpg", "", params.Params{Pixelate: 20}},
		// Cloudinary's face-obscuring effects; e_blur_faces' default
		// strength is 500 (sigma 50).
		{up + "e_blur_faces/sample.jpg", "/sample.jpg", "", params.Params{Faces: params.Faces{Blur: 50}}},
		{up + "e_blur_faces:100/sample.jpg", "/sample.jpg", "", params.Params{Faces: params.Faces{Blur: 10}}},
		{up + "e_pixelate_faces:25/sample.jpg", "/sample.jpg", "", params.Params{Faces: params.Faces{Pixelate: 25}}},
		{up + "c_fill,w_300,h_200/e_pixelate_faces:8/sample.jpg", "/sample.jpg", "", params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Faces: params.Faces{Pixelate: 8}}},
		{up + "e_trim/sample.jpg", "/sample.jpg", "", params.Params{Trim: true}},
		{up + "e_trim:25:white/sample.jpg", "/sample.jpg", "", params.Params{Trim: true, TrimTolerance: 25, TrimToleranceSet: true, TrimColor: white}},
		{up + "e_background_removal/f_png/sample.jpg", "/sample.jpg", "", params.Params{Removal: params.Removal{Enabled: true}, Format: params.FormatPNG}},
		{up + "c_scale,w_400/e_background_removal/sample.jpg", "/sample.jpg", "", params.Params{Width: 400, Removal: params.Removal{Enabled: true}}},
		{up + "e_colorize:40,co_red/sample.jpg", "/sample.jpg", "", params.Params{Blend: params.Blend{Color: red, Mode: params.BlendNormal, Alpha: 40}}},
		{up + "e_colorize,co_rgb:ff0000/sample.jpg", "/sample.jpg", "", params.Params{Blend: params.Blend{Color: red, Mode: params.BlendNormal, Alpha: 100}}},
		// Colour effects in Matte's order, then blur, border and corners.
		{up + "w_200/e_saturation:50/e_contrast:20/e_brightness:10/e_sharpen:400/bo_4px_solid_red/r_10/sample.jpg", "/sample.jpg", "", params.Params{Width: 200,
			Saturation: 50, Contrast: 20, Brightness: 10, Sharpen: 20, Pad: 4, Border: params.Border{Color: red, Sides: params.Sides{Top: 4, Right: 4, Bottom: 4, Left: 4}},
			Mask: params.ShapeCorners, CornerRadius: params.Corners{TopLeft: 10, TopRight: 10, BottomRight: 10, BottomLeft: 10, Set: true}}},
		// The query goes with the source, without the SDKs' _a.
		{up + "w_10/a.jpg?_a=BAMAK%2BGW0&v=1", "/a.jpg", "v=1", params.Params{Width: 10}},
		// A folder whose name has an underscore but no known key is part
		// of the public ID.
		{up + "w_10/my_folder/a.jpg", "/my_folder/a.jpg", "", params.Params{Width: 10}},
		{up + "w_10/a%20b.jpg", "/a b.jpg", "", params.Params{Width: 10}},
		// fetch: a remote source, escaped or not.
		{"/demo/image/fetch/w_300/https://example.com/a.jpg", "https://example.com/a.jpg", "", params.Params{Width: 300}},
		{"/demo/image/fetch/f_auto/https%3A%2F%2Fexample.com%2Fa.jpg", "https://example.com/a.jpg", "", params.Params{AutoFormat: true}},
		{"/demo/image/fetch/https:/example.com/a.jpg", "https://example.com/a.jpg", "", params.Params{}},
	})
}

// TestParseRect checks c_crop at x, y: the region is Rect, and errors
// about it name x.
func TestParseRect(t *testing.T) {
	d := newDialect(t, nil)
	for raw, want := range map[string]params.Rect{
		"/demo/image/upload/c_crop,w_200,h_100,x_10,y_20/sample.jpg":               {X: 10, Y: 20, W: 200, H: 100},
		"/demo/image/upload/c_crop,w_200,h_100,y_20/sample.jpg":                    {X: 0, Y: 20, W: 200, H: 100},
		"/demo/image/upload/c_crop,w_200,h_100,g_xy_center,x_300,y_200/sample.jpg": {X: 200, Y: 150, W: 200, H: 100},
		"/demo/image/upload/c_crop,w_200,h_100,x_10,y_20/w_50/sample.jpg":          {X: 10, Y: 20, W: 200, H: 100},
	} {
		got, ok, err := urltest.Parse(t, d, raw)
		if !ok || err != nil || got.Params.Rect != want || got.RectField != "x" || got.Source != "/sample.jpg" {
			t.Errorf("%s: ok=%v err=%v rect %+v field %q, want %+v", raw, ok, err, got.Params.Rect, got.RectField, want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	const up = "/demo/image/upload/"
	urltest.CheckInvalid(t, newDialect(t, nil), []urltest.Invalid{
		{up + "t_thumbnail/sample.jpg", []string{"t"}, "named transformations"},
		{up + "u_logo/sample.jpg", []string{"u"}, "underlays"},
		{up + "fl_layer_apply/sample.jpg", []string{"fl"}, "none is open"},
		{up + "o_50/sample.jpg", []string{"o"}, "opacity"},
		{up + "e_vignette/sample.jpg", []string{"e_vignette"}, "no such effect"},
		{up + "c_mfit,w_100/sample.jpg", []string{"c"}, "no mfit mode"},
		{up + "c_mpad,w_100/sample.jpg", []string{"c"}, "no mpad mode"},
		{up + "c_fill_pad,g_auto,w_100,h_100/sample.jpg", []string{"c"}, "no fill_pad mode"},
		{up + "c_imagga_crop,w_100/sample.jpg", []string{"c"}, "imagga_crop"},
		{up + "c_squash,w_100/sample.jpg", []string{"c"}, "one of scale"},
		{up + "w_0/sample.jpg", []string{"w"}, "w must be"},
		{up + "w_1.5/sample.jpg", []string{"w"}, "between 0 and 1"},
		{up + "h_abc/sample.jpg", []string{"h"}, "h must be"},
		{up + "ar_0:1,w_10/sample.jpg", []string{"ar"}, "16:9"},
		{up + "g_up,w_10,h_10,c_fill/sample.jpg", []string{"g"}, "north_east"},
		{up + "z_2,c_thumb,g_face,w_10,h_10/sample.jpg", []string{"z"}, "focal point"},
		{up + "x_10,w_10/sample.jpg", []string{"x"}, "c_crop"},
		{up + "c_crop,g_auto,w_10,h_10/sample.jpg", []string{"g"}, "c_fill"},
		{up + "c_crop,g_face,w_10,h_10/sample.jpg", []string{"g"}, "not a region at the source's scale; use c_fill or c_thumb"},
		{up + "c_crop,g_faces,ar_1:1/sample.jpg", []string{"g"}, "not a region at the source's scale; use c_fill or c_thumb"},
		{up + "c_crop,w_10,h_10,g_east,x_5/sample.jpg", []string{"g"}, "g_north_west"},
		{up + "c_crop,w_10,h_10,x_5/dpr_2/sample.jpg", []string{"dpr"}, "source's own pixels"},
		{up + "c_pad,w_10,h_10,g_north/sample.jpg", []string{"g"}, "centres"},
		{up + "b_blurred,w_10/sample.jpg", []string{"b"}, "c_pad"},
		{up + "b_ff0000/sample.jpg", []string{"b"}, "rgb:RRGGBB"},
		{up + "b_rgb:zz0000/sample.jpg", []string{"b"}, "b must be"},
		{up + "dpr_6/sample.jpg", []string{"dpr"}, "1 to 5"},
		{up + "f_heic/sample.jpg", []string{"f"}, "one of auto"},
		{up + "q_0/sample.jpg", []string{"q"}, "1 to 100"},
		{up + "q_80:411/sample.jpg", []string{"q"}, ":420"},
		{up + "fl_keep_iptc/sample.jpg", []string{"fl"}, "metadata"},
		{up + "fl_tiled/sample.jpg", []string{"fl"}, "tiled"},
		{up + "a_auto_right/sample.jpg", []string{"a"}, "box's shape"},
		{up + "r_1:2:3:4:5/sample.jpg", []string{"r"}, "r must be"},
		{up + "bo_4px_dashed_red/sample.jpg", []string{"bo"}, "solid"},
		{up + "e_pixelate/sample.jpg", []string{"e_pixelate"}, "square size"},
		{up + "e_pixelate_faces/sample.jpg", []string{"e_pixelate_faces"}, "square size from 1 to 200"},
		{up + "e_pixelate_faces:201/sample.jpg", []string{"e_pixelate_faces"}, "square size from 1 to 200"},
		{up + "e_blur_faces:0/sample.jpg", []string{"e_blur_faces"}, "from 1 to 2000"},
		{up + "e_blur:0/sample.jpg", []string{"e_blur"}, "1 to 2000"},
		{up + "e_brightness:-100/sample.jpg", []string{"e_brightness"}, "-99 to 100"},
		{up + "e_colorize:50/sample.jpg", []string{"e_colorize"}, "co_"},
		{up + "co_red/sample.jpg", []string{"co"}, "e_colorize"},
		{up + "e_grayscale,e_blur/sample.jpg", []string{"e_blur"}, "one e_ per component"},
		{up + "w_10,w_20/sample.jpg", []string{"w"}, "twice"},
		// Chains Matte cannot read as one request.
		{up + "e_blur/e_grayscale/sample.jpg", []string{"e_grayscale"}, "reorder"},
		{up + "e_grayscale/w_100/sample.jpg", []string{"w"}, "reorder"},
		{up + "w_100/e_blur/a_90/sample.jpg", []string{"a"}, "reorder"},
		{up + "c_pad,w_100,h_50/a_90/sample.jpg", []string{"a"}, "reorder"},
		{up + "e_grayscale/a_90/sample.jpg", []string{"a"}, "reorder"},
		{up + "w_0.5/a_90/sample.jpg", []string{"w"}, "fraction of the source's side"},
		{up + "w_auto/a_90/sample.jpg", []string{"w"}, "w_auto followed by a turn"},
		{up + "c_fill,w_10,h_10,g_face/a_90/sample.jpg", []string{"g"}, "g_face followed by a turn"},
		{up + "w_100/a_90/h_50/sample.jpg", []string{"h"}, "resizes again"},
		{up + "a_45/w_100/sample.jpg", []string{"w"}, "reorder"},
		{up + "w_100/c_fill,w_50,h_50/sample.jpg", []string{"c"}, "resizes again"},
		// Matte pads after its colour steps: a colour effect on the padded
		// image would leave the padding as it is.
		{up + "c_pad,w_10,h_10,b_red/e_grayscale/sample.jpg", []string{"e_grayscale"}, "reorder"},
		{up + "e_grayscale/e_saturation:20/sample.jpg", []string{"e_saturation"}, "once"},
		{up + "f_png/f_jpg/sample.jpg", []string{"f"}, "once"},
		// Sources.
		{up + "w_10/", []string{"source"}, "public ID"},
		{up + "w_10/a/../b.jpg", []string{"source"}, ". or .."},
		{up + "s--abcdefgh--/w_10/a.jpg", []string{"s"}, "Signed"},
		{"/demo/image/fetch/w_10/img/a.jpg", []string{"source"}, "absolute"},
		{"/demo/image/fetch/w_10/https://u:p@example.com/a.jpg", []string{"source"}, "user info"},
	})
}

func TestNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, newDialect(t, nil),
		"/img/photo.jpg?w=100",
		"/demo/video/upload/w_100/clip.mp4",
		"/demo/image/private/w_100/a.jpg",
		"/demo/image/upload",
		"/cdn-cgi/image/width=100/a.jpg",
	)
	// With clouds configured, only theirs are claimed, and the form
	// without a cloud name is not.
	d := newDialect(t, map[string]string{"shop": "/img", "blog": "/"})
	urltest.CheckNotClaimed(t, d, "/demo/image/upload/w_100/a.jpg", "/image/upload/w_100/a.jpg")
	urltest.CheckValid(t, d, []urltest.Valid{
		{"/shop/image/upload/w_100/v3/shoes/a.jpg", "/img/shoes/a.jpg", "", params.Params{Width: 100}},
		{"/blog/image/upload/a.jpg", "/a.jpg", "", params.Params{}},
	})
}

// The URLs unpic and @unpic/core built (test/clients/builders): c_lfill
// with both sides is Matte's fit=min; with one side, limit.
func TestParseBuilderURLs(t *testing.T) {
	src := "/img/builders.jpg"
	want := map[string]dialect.ImageURL{
		"/demo/image/upload/w_400,h_300,f_auto,c_lfill/v1712345/img/builders.jpg": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitMin, AutoFormat: true}},
		"/demo/image/upload/w_320,f_png,c_lfill/v1712345/img/builders.jpg":        {Source: src, Params: params.Params{Width: 320, Fit: params.FitMax, Format: params.FormatPNG}},
		"/demo/image/upload/w_200,h_150,f_auto,c_lfill/v1712345/img/builders.jpg": {Source: src, Params: params.Params{Width: 200, Height: 150, Fit: params.FitMin, AutoFormat: true}},
	}
	urltest.CheckBuilderURLs(t, newDialect(t, nil), "cloudinary", want)
}

func TestNewRefusesBadClouds(t *testing.T) {
	for _, clouds := range []map[string]string{{"a b": ""}, {"shop": "img"}, {"shop": "/img/../x"}} {
		if _, err := New(clouds); err == nil {
			t.Errorf("New(%v) accepted", clouds)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/demo/image/upload/w_400,h_300,c_fill/v1712345/folder/shoe.jpg", "/image/upload/c_pad,w_10,h_10,b_blurred:300/a.png",
		"/demo/image/upload/c_crop,w_30,h_20,g_xy_center,x_9,y_9/c_scale,w_10,r_max/e_sepia:40/e_blur:50/a.jpg",
		"/demo/image/upload/c_crop,ar_16:9,g_south_east/e_trim:5:rgb:ffffff/a_-450/fl_progressive:semi.attachment:x/a",
		"/demo/image/upload/e_colorize:30,co_%23ff000080/e_pixelate:3/bo_2px_solid_rgb:00ff00/r_1:2:3/q_80:444/f_auto/a.jpg",
		"/demo/image/upload/e_background_removal/dpr_auto,w_auto,c_limit/e_gamma:-50/t_x/l_y/$v_1,if_w_gt_1/a.jpg",
		"/demo/image/fetch/w_10,e_negate/https%3A%2F%2Fexample.com%2Fa.jpg", "/demo/image/fetch/https:/example.com/a.jpg?x=1",
		"/demo/image/upload/s--abc--/w_1/a.jpg", "/demo/image/upload/w_0.5,ar_2/x", "/demo/image/upload/", "/demo/image/upload/w_/v1/",
		"/demo/image/upload/e_blur/e_grayscale/w_10/a_90/a.jpg", "/demo/image/upload/c_crop,w_1,h_1,x_1/dpr_2/b_blurred/co_red/a.jpg",
		"/demo/image/upload/w_40/l_brand:logo.png/c_scale,w_10/o_50/a_45/fl_layer_apply,g_south_east,x_3,y_4/r_max/a.jpg",
		"/demo/image/upload/l_logo.png,fl_relative,w_0.5,h_0.25,c_limit,g_north,y_2/l_text:Arial_20_bold_italic:Hi%252C%20you,co_white,o_40,g_south_west,y_3/a.jpg",
		"/demo/image/upload/co_rgb:ff000080,l_text:serif_8:%2525/c_fit,w_30/fl_layer_apply,g_east,x_1/l_fetch:eA==/fl_layer_apply/a.jpg",
		"/demo/image/upload/l_a::b/l_text:x_1:/fl_layer_apply.tiled,g_center,x_1/u_a/bo_1px_solid_red/l_c/e_blur/a.jpg",
	} {
		f.Add(s)
	}
	d, err := New(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return
		}
		got, ok, err := d.Parse(u)
		if err != nil {
			if !ok {
				t.Fatalf("an error %v on an unclaimed URL", err)
			}
			urltest.FuzzError(t, got, err, func(field string) bool { return field != "" })
			return
		}
		urltest.CheckURLDialect(t, d, raw)
	})
}

// TestDefaultImage: d_<public ID> names the placeholder for a missing
// source (Cloudinary's default image), its folders joined by ":", in any
// component, under the cloud's prefix like a source.
func TestDefaultImage(t *testing.T) {
	const up = "/demo/image/upload/"
	cases := []struct {
		d        dialect.URLDialect
		raw      string
		fallback string
		p        params.Params
	}{
		{newDialect(t, nil), up + "d_avatar.png/sample.jpg", "/avatar.png", params.Params{}},
		{newDialect(t, nil), up + "w_100,d_docs:placeholders:avatar.png/sample.jpg", "/docs/placeholders/avatar.png", params.Params{Width: 100}},
		{newDialect(t, nil), up + "w_100/d_avatar.png,e_grayscale/v3/sample.jpg", "/avatar.png", params.Params{Width: 100, Saturation: -100}},
		{newDialect(t, map[string]string{"demo": "/media"}), up + "d_avatar.png/sample.jpg", "/media/avatar.png", params.Params{}},
		{newDialect(t, nil), "/demo/image/fetch/d_avatar.png/https://example.com/a.jpg", "/avatar.png", params.Params{}},
	}
	for _, c := range cases {
		got, ok, err := urltest.Parse(t, c.d, c.raw)
		if !ok || err != nil || got.Fallback != c.fallback || got.FallbackField != "d" || got.Params != c.p {
			t.Errorf("%s: ok %v, err %v, fallback %q (%q), params %s; want %q (d), %s", c.raw, ok, err, got.Fallback, got.FallbackField, got.Params.Key(), c.fallback, c.p.Key())
		}
	}
	if got, _, _ := urltest.Parse(t, newDialect(t, nil), up+"w_10/sample.jpg"); got.Fallback != "" || got.FallbackField != "" {
		t.Errorf("no d: fallback %q (%q)", got.Fallback, got.FallbackField)
	}
	urltest.CheckInvalid(t, newDialect(t, nil), []urltest.Invalid{
		{up + "d_/sample.jpg", []string{"d"}, "not a default image"},
		{up + "d_..:secret.png/sample.jpg", []string{"d"}, "not a default image"},
		{up + "d_a::b.png/sample.jpg", []string{"d"}, "not a default image"},
		{up + "d_a.png:/sample.jpg", []string{"d"}, "not a default image"},
		{up + "d_a.png,d_b.png/sample.jpg", []string{"d"}, "given twice"},
		{up + "d_a.png/d_b.png/sample.jpg", []string{"d"}, "given twice"},
	})
}

// TestLayers: l_ image and text layers are Matte's watermark and text,
// in the components-and-fl_layer_apply form and the older one-component
// form, placed by g (centred by default) x and y in from its edges.
func TestLayers(t *testing.T) {
	const up = "/demo/image/upload/"
	black := params.Color{A: 255, Set: true}
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	cases := []struct {
		raw  string
		want params.Params
	}{
		// The docs' forms: the layer's own size and opacity in its
		// components, its placement with fl_layer_apply.
		{up + "l_logo.png/c_scale,w_100/o_50/fl_layer_apply,g_south_east,x_10,y_10/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Width: 100, Fit: params.FitClip, Align: params.CropBottomRight, Alpha: 50, X: 10, Y: 10, XSet: true, YSet: true, XFromEnd: true, YFromEnd: true}}},
		{up + "l_logo.png,g_south_east,x_10,y_10,w_100/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Width: 100, Fit: params.FitClip, Align: params.CropBottomRight, Alpha: 100, X: 10, Y: 10, XSet: true, YSet: true, XFromEnd: true, YFromEnd: true}}},
		// Centred by default; folders joined by ":".
		{up + "w_400/l_brand:logo.png/fl_layer_apply/sample.jpg", params.Params{Width: 400, Watermark: params.Watermark{
			Image: "/brand/logo.png", Fit: params.FitClip, Align: params.CropCenter, Alpha: 100}}},
		// The near edges: x, y from the left and top; g_north along the
		// vertical axis only.
		{up + "l_logo.png,g_north_west,x_5,y_7/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Fit: params.FitClip, Align: params.CropTopLeft, Alpha: 100, X: 5, Y: 7, XSet: true, YSet: true}}},
		{up + "l_logo.png,g_north,y_7/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Fit: params.FitClip, Align: params.CropTop, Alpha: 100, Y: 7, YSet: true}}},
		// c_scale with both sides stretches, c_fit keeps the ratio, c_limit
		// does not enlarge; fl_relative: fractions of the image's sides.
		{up + "l_logo.png,w_40,h_20/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Width: 40, Height: 20, Fit: params.FitScale, Align: params.CropCenter, Alpha: 100}}},
		{up + "l_logo.png,c_fit,w_40,h_20/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Width: 40, Height: 20, Fit: params.FitClip, Align: params.CropCenter, Alpha: 100}}},
		{up + "l_logo.png/c_limit,h_20/fl_layer_apply/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Height: 20, Fit: params.FitMax, Align: params.CropCenter, Alpha: 100}}},
		{up + "l_logo.png,fl_relative,w_0.25/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", WidthRatio: 0.25, Fit: params.FitClip, Align: params.CropCenter, Alpha: 100}}},
		// Cloudinary's documented relative overlay (Layers, "relative"):
		// fl_relative and fl_layer_apply in two components of one layer.
		{up + "l_cloudinary_icon_white/c_scale,fl_relative,w_0.5/fl_layer_apply,g_north_east/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/cloudinary_icon_white", WidthRatio: 0.5, Fit: params.FitClip, Align: params.CropTopRight, Alpha: 100}}},
		{up + "l_logo.png/a_-90/fl_layer_apply,g_east/sample.jpg", params.Params{Watermark: params.Watermark{
			Image: "/logo.png", Fit: params.FitClip, Align: params.CropRight, Alpha: 100, Rotate: 270}}},
		// After the colour steps, before the corners; f anywhere.
		{up + "w_200/e_grayscale/l_logo.png/fl_layer_apply,g_south/r_max/f_png/sample.jpg", params.Params{Width: 200, Saturation: -100,
			Mask: params.ShapeEllipse, Format: params.FormatPNG, Watermark: params.Watermark{Image: "/logo.png", Fit: params.FitClip, Align: params.CropBottom, Alpha: 100}}},
		// Text: font, size, styles; the text escaped twice for , and /.
		{up + "l_text:Arial_40:Hello%20World/sample.jpg", params.Params{Text: params.Text{
			Text: "Hello World", Size: 40, Font: "Arial", Color: black, Align: params.CropCenter}}},
		{up + "co_white,l_text:Open%20Sans_60_bold_italic:Hi%252C%20a%252Fb%2525/fl_layer_apply,g_north_west,x_20,y_30/sample.jpg", params.Params{Text: params.Text{
			Text: "Hi, a/b%", Size: 60, Font: "Open Sans bold italic", Color: white, Align: params.CropTopLeft, X: 20, Y: 30, XSet: true, YSet: true}}},
		// From the far edges: one padding; a near edge then set at 0.
		{up + "l_text:serif_20_normal:Hi,co_rgb:ff0000,o_50,g_south_east,x_8,y_8/sample.jpg", params.Params{Text: params.Text{
			Text: "Hi", Size: 20, Font: "serif", Color: params.Color{R: 255, A: 128, Set: true}, Align: params.CropBottomRight, Pad: 8}}},
		{up + "l_text:Arial_20:Hi,g_south_west,y_12/sample.jpg", params.Params{Text: params.Text{
			Text: "Hi", Size: 20, Font: "Arial", Color: black, Align: params.CropBottomLeft, Pad: 12, XSet: true}}},
		{up + "l_text:sans-serif_20:Hi,c_fit,w_150/sample.jpg", params.Params{Text: params.Text{
			Text: "Hi", Size: 20, Font: "sans", Color: black, Width: 150, Align: params.CropCenter}}},
		// One of each, the text over the image, as Matte draws them.
		{up + "l_logo.png,g_north_east/l_text:Arial_20:Hi/fl_layer_apply,g_south/sample.jpg", params.Params{
			Watermark: params.Watermark{Image: "/logo.png", Fit: params.FitClip, Align: params.CropTopRight, Alpha: 100},
			Text:      params.Text{Text: "Hi", Size: 20, Font: "Arial", Color: black, Align: params.CropBottom}}},
	}
	d := newDialect(t, nil)
	for _, c := range cases {
		got, ok, err := urltest.Parse(t, d, c.raw)
		markField := ""
		if c.want.Watermark.Image != "" {
			markField = "l"
		}
		want := dialect.ImageURL{Source: "/sample.jpg", Params: c.want, MarkField: markField}
		if !ok || err != nil || got != want {
			t.Errorf("%s: ok %v, err %v\n got %+v\nwant %+v", c.raw, ok, err, got, want)
		}
	}
	// Under the cloud's prefix, as a source.
	got, _, err := urltest.Parse(t, newDialect(t, map[string]string{"demo": "/media"}), up+"l_brand:logo.png/sample.jpg")
	if err != nil || got.Params.Watermark.Image != "/media/brand/logo.png" {
		t.Errorf("prefix: %v, watermark %q", err, got.Params.Watermark.Image)
	}
	urltest.CheckInvalid(t, d, []urltest.Invalid{
		{up + "l_..:secret.png/sample.jpg", []string{"l"}, "not an image layer"},
		{up + "l_/sample.jpg", []string{"l"}, "not an image layer"},
		{up + "l_a::b.png/sample.jpg", []string{"l"}, "not an image layer"},
		{up + "l_fetch:aHR0cHM6Ly9leGFtcGxlLmNvbS9hLnBuZw==/sample.jpg", []string{"l"}, "from this site"},
		{up + "l_video:clip/sample.jpg", []string{"l"}, "from this site"},
		{up + "l_a.png/l_b.png/sample.jpg", []string{"l"}, "second"},
		{up + "l_text:Arial_20:a/l_text:Arial_20:b/sample.jpg", []string{"l"}, "second"},
		{up + "l_text:Arial:Hi/sample.jpg", []string{"l"}, "l_text:<font>_<size>:<text>"},
		{up + "l_text:my_style:Hi/sample.jpg", []string{"l"}, "font size"},
		{up + "l_text:Roboto.ttf_20:Hi/sample.jpg", []string{"l"}, "font files"},
		{up + "l_text:Arial_20_underline:Hi/sample.jpg", []string{"l"}, "underline"},
		{up + "l_text:Arial_20_letter_spacing_4:Hi/sample.jpg", []string{"l"}, "letter"},
		{up + "l_text:Arial_20:/sample.jpg", []string{"l"}, "1 to 500 bytes"},
		{up + "l_text:Arial_20:100%25/sample.jpg", []string{"l"}, "escaped twice"},
		{up + "l_text:Arial_2000:Hi/sample.jpg", []string{"l"}, "1 to 1000"},
		{up + "l_text:Arial_20:Hi,b_white/sample.jpg", []string{"b"}, "background"},
		{up + "l_text:Arial_20:Hi,a_45/sample.jpg", []string{"a"}, "does not turn text"},
		{up + "l_text:Arial_20:Hi,h_10/sample.jpg", []string{"h"}, "no height"},
		{up + "l_text:Arial_20:Hi,w_10/sample.jpg", []string{"w"}, "c_fit"},
		{up + "l_text:Arial_20:Hi,g_south_east,x_5,y_10/sample.jpg", []string{"y"}, "same distance"},
		{up + "l_logo.png,co_red/sample.jpg", []string{"co"}, "text layer"},
		{up + "l_logo.png,c_fill,w_10,h_10/sample.jpg", []string{"c"}, "scale, fit or limit"},
		{up + "l_logo.png,w_0.5/sample.jpg", []string{"w"}, "fl_relative"},
		{up + "l_logo.png,fl_relative,w_50/sample.jpg", []string{"w"}, "fractions"},
		{up + "l_logo.png,fl_relative/sample.jpg", []string{"fl"}, "fraction"},
		{up + "l_logo.png,fl_tiled/sample.jpg", []string{"fl"}, "fl_tiled"},
		{up + "l_logo.png,fl_relative,w_0.5/fl_relative.layer_apply/sample.jpg", []string{"fl"}, "fl_relative is given twice"},
		{up + "l_logo.png,fl_relative.relative,w_0.5/sample.jpg", []string{"fl"}, "fl_relative is given twice"},
		{up + "l_logo.png,o_0/sample.jpg", []string{"o"}, "1 to 100"},
		{up + "l_logo.png,a_hflip/sample.jpg", []string{"a"}, "flips"},
		{up + "l_logo.png/e_grayscale/fl_layer_apply/sample.jpg", []string{"e_grayscale"}, "without effects"},
		{up + "l_logo.png,f_png/sample.jpg", []string{"f"}, "outside the layer"},
		{up + "l_logo.png/g_south/fl_layer_apply/sample.jpg", []string{"g"}, "fl_layer_apply"},
		{up + "l_logo.png,g_auto/sample.jpg", []string{"g"}, "south_west"},
		{up + "l_logo.png,g_north,x_10/sample.jpg", []string{"x"}, "centre"},
		{up + "l_logo.png,g_west,y_10/sample.jpg", []string{"y"}, "centre"},
		{up + "l_logo.png,x_-10,g_west/sample.jpg", []string{"x"}, "0 to 100000"},
		{up + "l_logo.png,w_10,w_20/sample.jpg", []string{"w"}, "twice"},
		{up + "l_logo.png,w_10/c_scale,w_20/fl_layer_apply/sample.jpg", []string{"w"}, "twice"},
		{up + "l_logo.png,u_x/sample.jpg", []string{"u"}, "not under it"},
		// The chain's order: nothing Matte applies before its layers may
		// follow one, and a border or corners may not come before it.
		{up + "l_logo.png/fl_layer_apply/w_100/sample.jpg", []string{"w"}, "reorder"},
		{up + "l_logo.png,g_south/e_blur/sample.jpg", []string{"e_blur"}, "reorder"},
		{up + "r_10/l_logo.png/fl_layer_apply/sample.jpg", []string{"l"}, "give the layer first"},
		{up + "l_text:Arial_20:Hi/l_logo.png/sample.jpg", []string{"l"}, "draws text over its image layer"},
		{up + "l_logo.png/fl_layer_apply/bo_2px_solid_red/sample.jpg", []string{"bo"}, "grown by the border"},
	})
}

// The options that placed a region or padded the image, as this dialect
// spells them, name the errors the pipeline finds with them (a region
// that starts past the source, a padded size past the output limit).
func TestFieldNames(t *testing.T) {
	urltest.CheckFields(t, newDialect(t, nil), map[string][2]string{
		"/demo/image/upload/w_200/bo_4px_solid_red/sample.jpg": {"", "bo"},
	})
}
