package ipx_test

import (
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/dialect/ipx"
	"github.com/jebosio/matte/params"
)

func TestParse(t *testing.T) {
	urltest.CheckParses(t, ipx.New(), stillUnlessGIF(map[string]dialect.ImageURL{
		// github.com/unjs/ipx README examples.
		"/_ipx/w_200/static/buffalo.png":        dialect.ImageURL{Params: params.Params{Width: 200, Fit: params.FitMax}, Source: "/static/buffalo.png"},
		"/_ipx/s_200x200/static/buffalo.png":    dialect.ImageURL{Params: params.Params{Width: 200, Height: 200, Fit: params.FitCropDown}, Source: "/static/buffalo.png"},
		"/_ipx/f_webp/static/buffalo.png":       dialect.ImageURL{Params: params.Params{Format: params.FormatWebP}, Source: "/static/buffalo.png"},
		"/_ipx/w_200,f_webp/static/buffalo.png": dialect.ImageURL{Params: params.Params{Width: 200, Fit: params.FitMax, Format: params.FormatWebP}, Source: "/static/buffalo.png"},
		"/_ipx/_/static/buffalo.png":            dialect.ImageURL{Source: "/static/buffalo.png"},
		"/_ipx/w_800,f_webp,q_80/img/a.jpg?v=2": dialect.ImageURL{Params: params.Params{Width: 800, Fit: params.FitMax, Format: params.FormatWebP, Quality: 80}, Source: "/img/a.jpg", Query: "v=2"},
		"/_ipx/s_400x300,fit_contain,b_ff0000/a.jpg": dialect.ImageURL{Params: params.Params{Width: 400, Height: 300, Fit: params.FitFill,
			Background: params.Color{R: 255, A: 255, Set: true}}, Source: "/a.jpg"},
		"/_ipx/s_400x300,pos_left%20top,enlarge/a.jpg": dialect.ImageURL{Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, Crop: params.CropTopLeft}, Source: "/a.jpg"},
		"/_ipx/w=400&h=300&fit=inside/a.jpg":           dialect.ImageURL{Params: params.Params{Width: 400, Height: 300, Fit: params.FitMax}, Source: "/a.jpg"},
		"/_ipx/s_4x3,fit_fill,blur_2,sharpen_1,rotate_-90,flip,flop,trim_10/a.jpg": dialect.ImageURL{Params: params.Params{Width: 4, Height: 3, Fit: params.FitScale,
			Blur: 20, Sharpen: 20, Rotate: 270, Flip: params.FlipHV, Trim: true}, Source: "/a.jpg"},
		"/_ipx/w_100,f_auto/https://example.com/a.jpg": dialect.ImageURL{Params: params.Params{Width: 100, Fit: params.FitMax, AutoFormat: true}, Source: "https://example.com/a.jpg"},
		// The last format wins (ipx's modifiers are one object).
		"/_ipx/f_auto,f_png/a.jpg": dialect.ImageURL{Params: params.Params{Format: params.FormatPNG}, Source: "/a.jpg"},
		"/_ipx/f_png,f_auto/a.jpg": dialect.ImageURL{Params: params.Params{AutoFormat: true}, Source: "/a.jpg"},
		// sharp's operations as ipx names them (ipx's handlers).
		"/_ipx/extract_10_20_300_200,w_100/a.jpg": {Params: params.Params{Width: 100, Fit: params.FitMax, Rect: params.Rect{X: 10, Y: 20, W: 300, H: 200}}, Source: "/a.jpg", RectField: "extract"},
		"/_ipx/crop_0_0_50_50/a.jpg":              {Params: params.Params{Rect: params.Rect{W: 50, H: 50}}, Source: "/a.jpg", RectField: "crop"},
		"/_ipx/w_100,extend_10_0_10_0,b_fff/a.jpg": {Params: params.Params{Width: 100, Fit: params.FitMax, Padding: params.Sides{Top: 10, Bottom: 10},
			Background: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}}, Source: "/a.jpg", PadField: "extend"},
		"/_ipx/extend_5_5_5_5/a.jpg":                {Params: params.Params{Pad: 5}, Source: "/a.jpg", PadField: "extend"},
		"/_ipx/flatten/a.png":                       {Params: params.Params{Background: params.Color{A: 255, Set: true}}, Source: "/a.png"},
		"/_ipx/flatten,b_red/a.png":                 {Params: params.Params{Background: params.Color{R: 255, A: 255, Set: true}}, Source: "/a.png"},
		"/_ipx/grayscale,negate/a.jpg":              {Params: params.Params{Saturation: -100, Invert: true}, Source: "/a.jpg"},
		"/_ipx/modulate_1.5_2_90,gamma_3/a.jpg":     {Params: params.Params{BrightnessFactor: 1.5}, Source: "/a.jpg"},
		"/_ipx/modulate_1/a.jpg":                    {Source: "/a.jpg"},
		"/_ipx/kernel_nearest,w_100/a.png":          {Params: params.Params{Width: 100, Fit: params.FitMax, Kernel: params.KernelNearest}, Source: "/a.png"},
		"/_ipx/kernel_lanczos3/a.png":               {Source: "/a.png"},
		"/_ipx/s_300x200,fit_outside/a.jpg":         {Params: params.Params{Width: 300, Height: 200, Fit: params.FitOutsideMax}, Source: "/a.jpg"},
		"/_ipx/s_300x200,fit_outside,enlarge/a.jpg": {Params: params.Params{Width: 300, Height: 200, Fit: params.FitOutside}, Source: "/a.jpg"},
		"/_ipx/w_300,fit_outside/a.jpg":             {Params: params.Params{Width: 300, Fit: params.FitMax}, Source: "/a.jpg"},
		"/_ipx/trim_25/a.jpg":                       {Params: params.Params{Trim: true, TrimTolerance: 25, TrimToleranceSet: true}, Source: "/a.jpg"},
		// sharp's median (3 by default), threshold (128 by default; 0 none),
		// normalise and tint (its colour's alpha unused).
		"/_ipx/median/a.jpg":          {Params: params.Params{Median: 3}, Source: "/a.jpg"},
		"/_ipx/median_5/a.jpg":        {Params: params.Params{Median: 5}, Source: "/a.jpg"},
		"/_ipx/median_1/a.jpg":        {Source: "/a.jpg"},
		"/_ipx/threshold/a.jpg":       {Params: params.Params{Threshold: 128}, Source: "/a.jpg"},
		"/_ipx/threshold_200/a.jpg":   {Params: params.Params{Threshold: 200}, Source: "/a.jpg"},
		"/_ipx/threshold_0/a.jpg":     {Source: "/a.jpg"},
		"/_ipx/normalize,w_100/a.jpg": {Params: params.Params{Normalize: true, Width: 100, Fit: params.FitMax}, Source: "/a.jpg"},
		"/_ipx/tint_%23ff0000/a.jpg":  {Params: params.Params{Tint: params.Color{R: 255, A: 255, Set: true}}, Source: "/a.jpg"},
		"/_ipx/tint_ff000080/a.jpg":   {Params: params.Params{Tint: params.Color{R: 255, A: 255, Set: true}}, Source: "/a.jpg"},
		"/_ipx/tint_green/a.jpg":      {Params: params.Params{Tint: params.Color{G: 128, A: 255, Set: true}}, Source: "/a.jpg"},
	}))
	// animated (or a), with any value or none, keeps the frames in WebP
	// too; without it sharp keeps them only in a GIF.
	urltest.CheckParses(t, ipx.New(), map[string]dialect.ImageURL{
		"/_ipx/animated/a.gif":              {Params: params.Params{Frames: params.FramesKeep}, Source: "/a.gif"},
		"/_ipx/a,f_webp,w_100/a.gif":        {Params: params.Params{Frames: params.FramesKeep, Format: params.FormatWebP, Width: 100, Fit: params.FitMax}, Source: "/a.gif"},
		"/_ipx/animated_true,f_webp/a.webp": {Params: params.Params{Frames: params.FramesKeep, Format: params.FormatWebP}, Source: "/a.webp"},
		"/_ipx/f_webp/a.gif":                {Params: params.Params{Frames: params.FramesGIF, Format: params.FormatWebP}, Source: "/a.gif"},
	})
}

// stillUnlessGIF sets ipx's default for an animated source, the frames kept
// in a GIF only (params.FramesGIF), in every expected answer.
func stillUnlessGIF(m map[string]dialect.ImageURL) map[string]dialect.ImageURL {
	return urltest.WithFrames(m, params.FramesGIF)
}

func TestNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, ipx.New(), "/img/a.jpg?w=10", "/_ipxx/w_1/a.jpg", "/_ipx")
}

func TestErrors(t *testing.T) {
	urltest.CheckErrors(t, ipx.New(), map[string]string{
		"/_ipx/w_abc/a.jpg":                   "w",
		"/_ipx/w_0,q_101/a.jpg":               "w q",
		"/_ipx/s_400/a.jpg":                   "s",
		"/_ipx/tint_notacolour/a.jpg":         "tint",
		"/_ipx/tint/a.jpg":                    "tint",
		"/_ipx/median_51/a.jpg":               "median",
		"/_ipx/median_0/a.jpg":                "median",
		"/_ipx/threshold_256/a.jpg":           "threshold",
		"/_ipx/threshold_x,normalize_x/a.jpg": "threshold normalize",
		"/_ipx/kernel_mks2021/a.jpg":          "kernel",
		"/_ipx/kernel/a.jpg":                  "kernel",
		"/_ipx/grayscale_x/a.jpg":             "grayscale",
		"/_ipx/w_100,extract_0_0_10_10/a.jpg": "extract",
		"/_ipx/extract_0_0_0_10/a.jpg":        "extract",
		"/_ipx/extract_1_2_3/a.jpg":           "extract",
		"/_ipx/extend_1_2_3/a.jpg":            "extend",
		"/_ipx/extend_1_2_3_x/a.jpg":          "extend",
		"/_ipx/modulate_0/a.jpg":              "modulate",
		"/_ipx/modulate_abc/a.jpg":            "modulate",
		"/_ipx/pos_middle/a.jpg":              "pos",
		"/_ipx/f_tiff/a.jpg":                  "f",
		"/_ipx/w_1/":                          "source",
		"/_ipx/w_1/a/../../b.jpg":             "source",
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/_ipx/w_200,f_webp/static/buffalo.png", "/_ipx/_/a", "/_ipx/s_1x1&pos=left%20top/https:/x/a", "/_ipx/,&_=:/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) { urltest.CheckURLDialect(t, ipx.New(), raw) })
}
