package imgproxy_test

import (
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

// TestExtendGravity: ex's and exar's gravity, as imgproxy v3's parseExtend
// reads it (options/processing_options.go: "parseGravity(&opts.Gravity,
// name+\" gravity\", args[1:], extendGravityTypes)"): the nine anchors
// with an x and a y offset each (any sign; pixels from 1, fractions of
// the canvas below 1), or fp:x:y; extendGravityTypes is
// "GravityFocusPoint" and the commonGravityTypes, so sm is "Invalid
// extend gravity". rs and s pass their fifth and later arguments to
// extend ("applyExtendOption(po, args[3:])"). exar's gravity places the
// image only without ex, whose canvas has the box's ratio already.
func TestExtendGravity(t *testing.T) {
	box := func(f params.Fit, g params.ExtendGravity) dialect.ImageURL {
		return dialect.ImageURL{Params: params.Params{Width: 300, Height: 300, Fit: f, ExtendGravity: g}, Source: "/a.jpg"}
	}
	aspect := func(f params.Fit, g params.ExtendGravity) dialect.ImageURL {
		u := box(f, g)
		u.Params.ExtendToAspect = true
		return u
	}
	at := func(c params.Crop, x, y float64) params.ExtendGravity {
		return params.ExtendGravity{Anchor: c, X: x, Y: y}
	}
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		"/insecure/rs:fit:300:300/ex:1/plain//a.jpg":              box(params.FitMaxPad, params.ExtendGravity{}),
		"/insecure/rs:fit:300:300/ex:1:ce/plain//a.jpg":           box(params.FitMaxPad, params.ExtendGravity{}),
		"/insecure/rs:fit:300:300/ex:1:so/plain//a.jpg":           box(params.FitMaxPad, at(params.CropBottom, 0, 0)),
		"/insecure/rs:fit:300:300/extend:1:no/plain//a.jpg":       box(params.FitMaxPad, at(params.CropTop, 0, 0)),
		"/insecure/rs:fit:300:300/ex:1:ea/plain//a.jpg":           box(params.FitMaxPad, at(params.CropRight, 0, 0)),
		"/insecure/rs:fit:300:300/ex:1:we/plain//a.jpg":           box(params.FitMaxPad, at(params.CropLeft, 0, 0)),
		"/insecure/rs:fit:300:300/ex:1:noea/plain//a.jpg":         box(params.FitMaxPad, at(params.CropTopRight, 0, 0)),
		"/insecure/rs:fit:300:300/ex:1:sowe/plain//a.jpg":         box(params.FitMaxPad, at(params.CropBottomLeft, 0, 0)),
		"/insecure/rs:fit:300:300/ex:1:soea:10/plain//a.jpg":      box(params.FitMaxPad, at(params.CropBottomRight, 10, 0)),
		"/insecure/rs:fit:300:300/ex:1:nowe:10:5/plain//a.jpg":    box(params.FitMaxPad, at(params.CropTopLeft, 10, 5)),
		"/insecure/rs:fit:300:300/ex:1:ce:-0.25:1.5/plain//a.jpg": box(params.FitMaxPad, at(params.CropCenter, -0.25, 1.5)),
		"/insecure/rs:fit:300:300/ex:1:fp:0.25:1/plain//a.jpg":    box(params.FitMaxPad, params.ExtendGravity{Point: true, X: 0.25, Y: 1}),
		"/insecure/rs:fit:300:300:0:1:so/plain//a.jpg":            box(params.FitMaxPad, at(params.CropBottom, 0, 0)),
		"/insecure/rs:fill:300:300:0:1:nowe:4:2/plain//a.jpg":     box(params.FitCropDownPad, at(params.CropTopLeft, 4, 2)),
		"/insecure/s:300:300:0:1:ea/rt:fill-down/plain//a.jpg":    box(params.FitMinPad, at(params.CropRight, 0, 0)),
		"/insecure/rs:fit:300:300:1:1:so/plain//a.jpg":            box(params.FitFill, at(params.CropBottom, 0, 0)),
		"/insecure/rs:force:300:300:0:1:sowe:4:2/plain//a.jpg":    box(params.FitScaleDownPad, at(params.CropBottomLeft, 4, 2)),
		// exar's gravity; ex's wins where both pad.
		"/insecure/rs:fit:300:300/exar:1:so/plain//a.jpg":                 aspect(params.FitMax, at(params.CropBottom, 0, 0)),
		"/insecure/rs:fill:300:300/exar:1:nowe:10:5/plain//a.jpg":         aspect(params.FitCropDown, at(params.CropTopLeft, 10, 5)),
		"/insecure/rs:fit:300:300/exar:1:fp:0:0.5/plain//a.jpg":           aspect(params.FitMax, params.ExtendGravity{Point: true, Y: 0.5}),
		"/insecure/rs:fit:300:300/exar:1:so/ex:1:no/plain//a.jpg":         box(params.FitMaxPad, at(params.CropTop, 0, 0)),
		"/insecure/rs:fit:300:300/ex:0:so/exar:1:ea/plain//a.jpg":         aspect(params.FitMax, at(params.CropRight, 0, 0)),
		"/insecure/rs:fit:300:300/ex:1:so/ex:1/plain//a.jpg":              box(params.FitMaxPad, at(params.CropBottom, 0, 0)),
		"/insecure/rs:fit:300:300/ex:1:so/ex:1:ce/plain//a.jpg":           box(params.FitMaxPad, params.ExtendGravity{}),
		"/insecure/rs:fit:300:300/ex:0:so/plain//a.jpg":                   box(params.FitMax, params.ExtendGravity{}),
		"/insecure/rs:fit:300:300:0:1:ea/rs:fit:300:300/plain//a.jpg":     box(params.FitMaxPad, at(params.CropRight, 0, 0)),
		"/insecure/rs:fit:300:300:0:1:ea/rs:fit:300:300:0:0/plain//a.jpg": box(params.FitMax, params.ExtendGravity{}),
	}))
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{
		"/insecure/rs:fit:300:300/ex:1:sm/plain//a.jpg":             "ex",
		"/insecure/rs:fit:300:300/extend:1:obj/plain//a.jpg":        "extend",
		"/insecure/rs:fit:300:300/ex:1:obj:face/plain//a.jpg":       "ex",
		"/insecure/rs:fit:300:300/ex:1:re/plain//a.jpg":             "ex",
		"/insecure/rs:fit:300:300/ex:1:middle/plain//a.jpg":         "ex",
		"/insecure/rs:fit:300:300/ex:1:/plain//a.jpg":               "ex",
		"/insecure/rs:fit:300:300/ex:1:no:1:2:3/plain//a.jpg":       "ex",
		"/insecure/rs:fit:300:300/ex:1:no:x/plain//a.jpg":           "ex",
		"/insecure/rs:fit:300:300/ex:1:no:1:/plain//a.jpg":          "ex",
		"/insecure/rs:fit:300:300/ex:1:no:100001/plain//a.jpg":      "ex",
		"/insecure/rs:fit:300:300/ex:1:fp:0.5/plain//a.jpg":         "ex",
		"/insecure/rs:fit:300:300/ex:1:fp:1.5:0/plain//a.jpg":       "ex",
		"/insecure/rs:fit:300:300/ex:1:fp:0.5:0.5:1/plain//a.jpg":   "ex",
		"/insecure/rs:fit:300:300/exar:1:sm/plain//a.jpg":           "exar",
		"/insecure/rs:fit:300:300/extend_ar:1:fp:-1:0/plain//a.jpg": "extend_ar",
		"/insecure/rs:fit:300:300:0:1:sm/plain//a.jpg":              "rs",
		"/insecure/s:300:300:0:1:fp:2:2/plain//a.jpg":               "s",
		"/insecure/rs:fit:300:300:0:1:no:1:2:3/plain//a.jpg":        "rs",
		"/insecure/s:300:300:0:1:no:1:2:3/plain//a.jpg":             "s",
	})
}

// TestCapDPR: without enlarge, imgproxy v3's calcScale caps the dprScale
// for every resizing type ("if !po.Enlarge && !pctx.imgtype.IsVector()
// { ... pctx.dprScale = math.Min(pctx.dprScale, math.Min(wshrink,
// hshrink))"), and padding.go scales pd by it ("imath.ScaleToEven(
// po.Padding.Top, pctx.dprScale)"): Params.CapDPR, set where the DPR is
// above 1 and el is not given.
func TestCapDPR(t *testing.T) {
	u := func(p params.Params) dialect.ImageURL {
		p.Width, p.Height = 300, 300
		return dialect.ImageURL{Params: p, Source: "/a.jpg", PadField: "pd"}
	}
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		"/insecure/rs:fit:300:300/pd:10/dpr:2/plain//a.jpg":       u(params.Params{Fit: params.FitMax, Pad: 10, DPR: 2, CapDPR: true}),
		"/insecure/rs:fill-down:300:300/pd:10/dpr:2/plain//a.jpg": u(params.Params{Fit: params.FitMin, Pad: 10, DPR: 2, CapDPR: true}),
		"/insecure/rs:force:300:300/pd:10/dpr:2/plain//a.jpg":     u(params.Params{Fit: params.FitScaleDown, Pad: 10, DPR: 2, CapDPR: true}),
		"/insecure/rs:fill:300:300:0:1/pd:10/dpr:2/plain//a.jpg":  u(params.Params{Fit: params.FitCropDownPad, Pad: 10, DPR: 2, CapDPR: true}),
		"/insecure/rs:fit:300:300:1/pd:10/dpr:2/plain//a.jpg":     u(params.Params{Fit: params.FitClip, Pad: 10, DPR: 2}),
		"/insecure/rs:fit:300:300/el:1/pd:10/dpr:2/plain//a.jpg":  u(params.Params{Fit: params.FitClip, Pad: 10, DPR: 2}),
		"/insecure/rs:fit:300:300/pd:10/dpr:1/plain//a.jpg":       u(params.Params{Fit: params.FitMax, Pad: 10}),
	}))
}
