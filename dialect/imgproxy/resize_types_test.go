package imgproxy_test

import (
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

// TestResizeTypes: each resizing type with and without enlarge and extend
// becomes the fit that sizes the image as imgproxy v3's calcScale
// (processing/prepare.go), cropToResult (processing/crop.go) and extend
// (processing/extend.go) do; the sizes they give are pinned on a real
// image in caddymodule's TestImgproxyResizeSizes and on the plan in
// transform's TestPlanGeometryImgproxyFits.
//
//   - fill without enlarge: calcScale's cover shrink is divided back to 1
//     ("if !po.Enlarge ... if minShrink < 1 { wshrink /= minShrink"), then
//     cut to min(box, image): cropdown. With enlarge: crop.
//   - fill-down: "the same as fill, but if the resized image is smaller
//     than the requested size, imgproxy will crop the result to keep the
//     requested aspect ratio": min. With enlarge it never is smaller: crop.
//   - extend pads either cut to the box: cropdownpad, minpad; and fit's
//     result: maxpad, a side not given being the image's ("if height <= 0
//     { height = imgHeight }"), so fit:800:0 pads the width alone. With
//     enlarge the fitted image reaches one side given, and fill pads the
//     other.
//   - force without enlarge: scaledown; with enlarge: scale. extend pads
//     scaledown's result to the box (scaledownpad); with enlarge force
//     reaches the box, so there is nothing to pad. exar changes nothing:
//     force's result has the box's aspect ratio.
func TestResizeTypes(t *testing.T) {
	box := func(f params.Fit) dialect.ImageURL {
		return dialect.ImageURL{Params: params.Params{Width: 300, Height: 300, Fit: f}, Source: "/a.jpg"}
	}
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		"/insecure/rs:fill:300:300/plain//a.jpg":           box(params.FitCropDown),
		"/insecure/rs:fill:300:300:0/plain//a.jpg":         box(params.FitCropDown),
		"/insecure/rs:fill:300:300:1/plain//a.jpg":         box(params.FitCrop),
		"/insecure/rs:fill:300:300:0:1/plain//a.jpg":       box(params.FitCropDownPad),
		"/insecure/rs:fill:300:300:1:1/plain//a.jpg":       box(params.FitCrop),
		"/insecure/rs:fill:300:300/ex:1/plain//a.jpg":      box(params.FitCropDownPad),
		"/insecure/rt:fill/s:300:300/ex:1:ce/plain//a.jpg": box(params.FitCropDownPad),
		"/insecure/rs:fill-down:300:300/plain//a.jpg":      box(params.FitMin),
		"/insecure/rs:fill-down:300:300:1/plain//a.jpg":    box(params.FitCrop),
		"/insecure/rs:fill-down:300:300:0:1/plain//a.jpg":  box(params.FitMinPad),
		"/insecure/rs:force:300:300/plain//a.jpg":          box(params.FitScaleDown),
		"/insecure/rs:force:300:300:1/plain//a.jpg":        box(params.FitScale),
		"/insecure/rs:force:300:300/el:1/plain//a.jpg":     box(params.FitScale),
		"/insecure/rs:force:300:300:0:1/plain//a.jpg":      box(params.FitScaleDownPad),
		"/insecure/rs:force:300:300/ex:1/plain//a.jpg":     box(params.FitScaleDownPad),
		"/insecure/rs:force:300:300:1:1/plain//a.jpg":      box(params.FitScale),
		"/insecure/rs:force:300:300/exar:1/plain//a.jpg":   box(params.FitScaleDown),
		"/insecure/rs:force:800:0:0:1/plain//a.jpg":        {Params: params.Params{Width: 800, HeightRatio: 1, Fit: params.FitScaleDownPad}, Source: "/a.jpg"},
		"/insecure/rs:fit:300:300:0:1/plain//a.jpg":        box(params.FitMaxPad),
		"/insecure/rs:fit:300:300:1:1/plain//a.jpg":        box(params.FitFill),
		"/insecure/rs:fit:800:0:0:1/plain//a.jpg":          {Params: params.Params{Width: 800, Fit: params.FitMaxPad}, Source: "/a.jpg"},
		"/insecure/h:800/ex:1/plain//a.jpg":                {Params: params.Params{Height: 800, Fit: params.FitMaxPad}, Source: "/a.jpg"},
		"/insecure/rs:fit:800:0:1:1/plain//a.jpg":          {Params: params.Params{Width: 800, Fit: params.FitFill}, Source: "/a.jpg"},
		"/insecure/rs:auto:300:300:0:1/plain//a.jpg": {Params: params.Params{Width: 300, Height: 300, Fit: params.FitCropDownPad,
			SourceFit: params.SourceFit{When: params.FitWhenCrossed, Fit: params.FitMaxPad}}, Source: "/a.jpg"},
		"/insecure/rs:auto:300:300/plain//a.jpg": {Params: params.Params{Width: 300, Height: 300, Fit: params.FitCropDown,
			SourceFit: params.SourceFit{When: params.FitWhenCrossed, Fit: params.FitMax}}, Source: "/a.jpg"},
	}))
}
