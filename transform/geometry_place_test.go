package transform

import (
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// TestCanvasOffset: where ex and exar place the image, worked out by hand
// from imgproxy v3's calcPosition (processing/calc_position.go, quoted on
// canvasOffset): offsets of 1 or more are pixels times the DPR rounded
// half to even ("imath.RoundToEven(gravity.X * dpr)"), smaller ones
// fractions of the canvas ("imath.ScaleToEven(width, gravity.X)"), east
// and south measured in from the far edge, a focal point centring the
// image on it ("left = pointX - innerWidth/2"), and the result kept
// within the canvas ("left = imath.Max(minX, imath.Min(left, maxX))").
func TestCanvasOffset(t *testing.T) {
	at := func(c params.Crop, x, y float64) params.ExtendGravity {
		return params.ExtendGravity{Anchor: c, X: x, Y: y}
	}
	for _, c := range []struct {
		name         string
		g            params.ExtendGravity
		dpr          float64
		w, h         int // the canvas
		iw, ih       int // the image
		wantX, wantY int
	}{
		{"none", params.ExtendGravity{}, 1, 800, 800, 400, 200, 200, 300},
		// A centred axis is centred as every canvas is: (301 - 100) / 2,
		// where imgproxy rounds "imath.ShrinkToEven(width-innerWidth+1, 2)"
		// to 101.
		{"centred, odd", params.ExtendGravity{}, 1, 301, 300, 100, 100, 100, 100},
		{"so", at(params.CropBottom, 0, 0), 1, 800, 800, 400, 200, 200, 600},
		{"no", at(params.CropTop, 0, 0), 1, 800, 800, 400, 200, 200, 0},
		{"ea", at(params.CropRight, 0, 0), 1, 800, 800, 400, 200, 400, 300},
		{"we", at(params.CropLeft, 0, 0), 1, 800, 800, 400, 200, 0, 300},
		{"nowe:10:5", at(params.CropTopLeft, 10, 5), 1, 800, 800, 400, 200, 10, 5},
		{"nowe:10:5 dpr 2", at(params.CropTopLeft, 10, 5), 2, 800, 800, 400, 200, 20, 10},
		{"soea:10:5", at(params.CropBottomRight, 10, 5), 1, 800, 800, 400, 200, 390, 595},
		{"noea:10:5", at(params.CropTopRight, 10, 5), 1, 800, 800, 400, 200, 390, 5},
		{"sowe:10:5", at(params.CropBottomLeft, 10, 5), 1, 800, 800, 400, 200, 10, 595},
		{"so:10 moves the centred axis right", at(params.CropBottom, 10, 0), 1, 800, 800, 400, 200, 210, 600},
		{"ce:-0.25:1.5 dpr 2", at(params.CropCenter, -0.25, 1.5), 2, 800, 800, 400, 200, 0, 303},
		{"nowe:1.25:1.75 dpr 2, halves to even", at(params.CropTopLeft, 1.25, 1.75), 2, 800, 800, 400, 200, 2, 4},
		{"nowe:0.5:0.125, fractions of the canvas", at(params.CropTopLeft, 0.5, 0.125), 1, 300, 100, 100, 50, 150, 12},
		{"we:-50 kept within", at(params.CropLeft, -50, 0), 1, 800, 800, 400, 200, 0, 300},
		{"ea:1000 kept within", at(params.CropRight, 1000, 0), 1, 800, 800, 400, 200, 0, 300},
		{"fp:0.25:1", params.ExtendGravity{Point: true, X: 0.25, Y: 1}, 1, 800, 800, 400, 200, 0, 600},
		{"fp:0.75:0.5", params.ExtendGravity{Point: true, X: 0.75, Y: 0.5}, 2, 800, 800, 200, 200, 500, 300},
	} {
		if x, y := canvasOffset(c.g, c.dpr, c.w, c.h, c.iw, c.ih); x != c.wantX || y != c.wantY {
			t.Errorf("%s: %dx%d on %dx%d at (%d, %d), want (%d, %d)", c.name, c.iw, c.ih, c.w, c.h, x, y, c.wantX, c.wantY)
		}
	}
}

// TestPlanGeometryCapDPR: with Params.CapDPR every fit takes the DPR only
// as far as it does not enlarge the image, as imgproxy v3's calcScale
// (processing/prepare.go) caps its dprScale without enlarge for every
// resizing type; the plan keeps that DPR for the padding and the canvas's
// offsets (imgproxy's padding.go: "imath.ScaleToEven(po.Padding.Top,
// pctx.dprScale)"). The sizes are those of the uncapped fits; limitScale's
// shrink to the largest result scales the DPR too ("pctx.dprScale *=
// downScale").
func TestPlanGeometryCapDPR(t *testing.T) {
	plain := func(w, h int, dpr float64) geometry {
		return geometry{resizeW: w, resizeH: h, interesting: vips.NoCrop, dpr: dpr}
	}
	cut := func(g geometry, x, y, w, h int) geometry { g.cropX, g.cropY, g.cropW, g.cropH = x, y, w, h; return g }
	pad := func(g geometry, w, h int) geometry { g.canvasW, g.canvasH = w, h; return g }
	for _, c := range []struct {
		name   string
		rw, rh int
		p      params.Params
		maxDim int
		want   geometry
	}{
		// fit: shrink max(400/300, 200/300) = 1.333.
		{"fit:300:300/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitMax, CapDPR: true}, 0, plain(400, 200, 4.0/3)},
		{"fit:300:300/dpr:2 uncapped", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitMax}, 0, plain(400, 200, 0)},
		{"fit:300:300/dpr:2 on 1000x500", 1000, 500, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitMax, CapDPR: true}, 0, plain(600, 300, 2)},
		{"fit:600:0/dpr:2 on 1000x500", 1000, 500, params.Params{Width: 600, DPR: 2, Fit: params.FitMax, CapDPR: true}, 0, plain(1000, 500, 1000.0/600)},
		// fill-down and force: shrink min(1.333, 0.667) < 1, so 1.
		{"fill-down:300:300/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitMin, CapDPR: true}, 0, cut(plain(400, 200, 1), 100, 0, 200, 200)},
		{"force:300:300/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitScaleDown, CapDPR: true}, 0, plain(200, 200, 1)},
		{"fill:200:150/dpr:2", 400, 200, params.Params{Width: 200, Height: 150, DPR: 2, Fit: params.FitCropDown, CapDPR: true}, 0, cut(plain(400, 200, 4.0/3), 66, 0, 267, 200)},
		// No box: imgproxy's shrinks are 1, so its dprScale is 1.
		{"dpr:2 alone", 400, 200, params.Params{DPR: 2, Fit: params.FitClip, CapDPR: true}, 0, plain(400, 200, 1)},
		{"fit:800:800:0:1/dpr:2, limited to 400", 400, 200, params.Params{Width: 800, Height: 800, DPR: 2, Fit: params.FitMaxPad, CapDPR: true}, 400, pad(plain(200, 100, 0.5), 400, 400)},
	} {
		if got := planGeometry(c.rw, c.rh, c.p, c.maxDim, false); got != c.want {
			t.Errorf("%s on %dx%d (%s): planGeometry = %+v, want %+v", c.name, c.rw, c.rh, c.p.Fit, got, c.want)
		}
	}
}
