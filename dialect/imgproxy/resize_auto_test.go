package imgproxy_test

import (
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

// TestResizeAuto: docs.imgproxy.net's rt:auto, "if both source and
// resulting dimensions have the same orientation (portrait or landscape),
// imgproxy will use fill. Otherwise, it will use fit": fill's fit, with
// fit's in its place for a source of the other orientation
// (params.FitWhenCrossed, decided once the source is known).
func TestResizeAuto(t *testing.T) {
	crossed := func(f params.Fit) params.SourceFit { return params.SourceFit{When: params.FitWhenCrossed, Fit: f} }
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		"/insecure/rs:auto:300:400/plain//a.jpg":          {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDown, SourceFit: crossed(params.FitMax)}, Source: "/a.jpg"},
		"/insecure/rs:auto:300:400:1/g:sm/plain//a.jpg":   {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCrop, Crop: params.CropAttention, SourceFit: crossed(params.FitClip)}, Source: "/a.jpg"},
		"/insecure/rt:auto/s:300:400:0:1/plain//a.jpg":    {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDownPad, SourceFit: crossed(params.FitMaxPad)}, Source: "/a.jpg"},
		"/insecure/rs:auto:300:400:1:1/plain//a.jpg":      {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCrop, SourceFit: crossed(params.FitFill)}, Source: "/a.jpg"},
		"/insecure/rs:auto:400:300/exar:1/plain//a.jpg":   {Params: params.Params{Width: 400, Height: 300, Fit: params.FitCropDown, SourceFit: crossed(params.FitMax), ExtendToAspect: true}, Source: "/a.jpg"},
		"/insecure/resizing_type:auto/w:300/plain//a.jpg": {Params: params.Params{Width: 300, Fit: params.FitCropDown}, Source: "/a.jpg"}, // one side: fill and fit alike
		"/insecure/rs:fill:300:400/plain//a.jpg":          {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDown}, Source: "/a.jpg"},
		"/insecure/rs:fit:300:400/rt:auto/plain//a.jpg":   {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDown, SourceFit: crossed(params.FitMax)}, Source: "/a.jpg"},
	}))
}
