package transform

import (
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect/cloudimage"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// TestPlanGeometryImgproxyFits: the fits of imgproxy's resizing types on a
// 400x200 image, the sizes imgproxy v3 gives (calcScale in
// processing/prepare.go, cropToResult in processing/crop.go, extend in
// processing/extend.go):
//
//   - fill:300:300 without enlarge: the cover scale 1.5 is capped at 1
//     ("if minShrink < 1 { wshrink /= minShrink"), then cut to min(box,
//     image) ("cropWidth = imath.MinNonZero(cropWidth, imgWidth)"):
//     300x200. fill:100:100: 200x100 cut to 100x100.
//   - force:300:300 and force:800:800 without enlarge: both shrinks
//     divided by the smaller, 200x200; force:300:100: 300x100.
//   - extend pads the cut, or fit's result, to the box
//     ("img.Embed(width, height, ...)"), a side not given being the
//     image's ("if height <= 0 { height = imgHeight }"): fit:800:0/ex:1
//     is 400x200 on 800x200.
func TestPlanGeometryImgproxyFits(t *testing.T) {
	plain := func(w, h int) geometry { return geometry{resizeW: w, resizeH: h, interesting: vips.NoCrop} }
	cut := func(g geometry, x, y, w, h int) geometry { g.cropX, g.cropY, g.cropW, g.cropH = x, y, w, h; return g }
	pad := func(g geometry, w, h int) geometry { g.canvasW, g.canvasH = w, h; return g }
	for _, c := range []struct {
		name string
		p    params.Params
		want geometry
	}{
		{"fill:300:300", params.Params{Width: 300, Height: 300, Fit: params.FitCropDown}, cut(plain(400, 200), 50, 0, 300, 200)},
		{"fill:100:100", params.Params{Width: 100, Height: 100, Fit: params.FitCropDown}, cut(plain(200, 100), 50, 0, 100, 100)},
		{"fill:800:800", params.Params{Width: 800, Height: 800, Fit: params.FitCropDown}, plain(400, 200)},
		{"fill:800:0", params.Params{Width: 800, Fit: params.FitCropDown}, plain(400, 200)},
		{"fill:300:300/g:sm", params.Params{Width: 300, Height: 300, Fit: params.FitCropDown, Crop: params.CropAttention},
			geometry{resizeW: 300, resizeH: 200, interesting: vips.Attention}},
		{"fill:300:300:1", params.Params{Width: 300, Height: 300, Fit: params.FitCrop}, cut(plain(600, 300), 150, 0, 300, 300)},
		{"fill-down:300:300", params.Params{Width: 300, Height: 300, Fit: params.FitMin}, cut(plain(400, 200), 100, 0, 200, 200)},
		{"fill:300:300:0:1", params.Params{Width: 300, Height: 300, Fit: params.FitCropDownPad}, pad(cut(plain(400, 200), 50, 0, 300, 200), 300, 300)},
		{"fill:800:800/ex:1", params.Params{Width: 800, Height: 800, Fit: params.FitCropDownPad}, pad(plain(400, 200), 800, 800)},
		{"fill:100:100/ex:1", params.Params{Width: 100, Height: 100, Fit: params.FitCropDownPad}, cut(plain(200, 100), 50, 0, 100, 100)},
		{"fill:800:0/ex:1", params.Params{Width: 800, Fit: params.FitCropDownPad}, pad(plain(400, 200), 800, 200)},
		{"fill-down:800:800/ex:1", params.Params{Width: 800, Height: 800, Fit: params.FitMinPad}, pad(cut(plain(400, 200), 100, 0, 200, 200), 800, 800)},
		{"fit:300:300/ex:1", params.Params{Width: 300, Height: 300, Fit: params.FitMaxPad}, pad(plain(300, 150), 300, 300)},
		{"fit:800:800/ex:1", params.Params{Width: 800, Height: 800, Fit: params.FitMaxPad}, pad(plain(400, 200), 800, 800)},
		{"fit:800:0/ex:1", params.Params{Width: 800, Fit: params.FitMaxPad}, pad(plain(400, 200), 800, 200)},
		{"fit:0:800/ex:1", params.Params{Height: 800, Fit: params.FitMaxPad}, pad(plain(400, 200), 400, 800)},
		{"fit:300:0/ex:1", params.Params{Width: 300, Fit: params.FitMaxPad}, plain(300, 150)},
		{"fit:600:150/ex:1", params.Params{Width: 600, Height: 150, Fit: params.FitMaxPad}, pad(plain(300, 150), 600, 150)},
		// exar on fill's cut: calcSizes pads "imath.MinNonZero(
		// pctx.scaledWidth, pctx.resultCropWidth)" to the target's aspect
		// ratio ("imath.Scale(outWidth, float64(pctx.targetHeight)/
		// float64(pctx.targetWidth))").
		{"fill:300:300/exar:1", params.Params{Width: 300, Height: 300, Fit: params.FitCropDown, ExtendToAspect: true}, pad(cut(plain(400, 200), 50, 0, 300, 200), 300, 300)},
		{"fill:800:800/exar:1", params.Params{Width: 800, Height: 800, Fit: params.FitCropDown, ExtendToAspect: true}, pad(plain(400, 200), 400, 400)},
		{"fill:800:200/exar:1", params.Params{Width: 800, Height: 200, Fit: params.FitCropDown, ExtendToAspect: true}, pad(plain(400, 200), 800, 200)},
		{"fill:100:100/exar:1", params.Params{Width: 100, Height: 100, Fit: params.FitCropDown, ExtendToAspect: true}, pad(cut(plain(200, 100), 50, 0, 100, 100), 100, 100)},
		{"fill:800:0/exar:1", params.Params{Width: 800, Fit: params.FitCropDown, ExtendToAspect: true}, plain(400, 200)},
		{"force:300:300", params.Params{Width: 300, Height: 300, Fit: params.FitScaleDown}, plain(200, 200)},
		{"force:800:800", params.Params{Width: 800, Height: 800, Fit: params.FitScaleDown}, plain(200, 200)},
		{"force:300:100", params.Params{Width: 300, Height: 100, Fit: params.FitScaleDown}, plain(300, 100)},
		{"force:300:300:1", params.Params{Width: 300, Height: 300, Fit: params.FitScale}, plain(300, 300)},
		{"force:800:800:1", params.Params{Width: 800, Height: 800, Fit: params.FitScale}, plain(800, 800)},
		// force with extend: scaledown's result padded to the box, a side
		// given only as the source's (SourceSideWhenOneGiven) being the
		// image's, as imgproxy's target is 0 there.
		{"force:800:800:0:1", params.Params{Width: 800, Height: 800, Fit: params.FitScaleDownPad}, pad(plain(200, 200), 800, 800)},
		{"force:300:300:0:1", params.Params{Width: 300, Height: 300, Fit: params.FitScaleDownPad}, pad(plain(200, 200), 300, 300)},
		{"force:200:400:0:1", params.Params{Width: 200, Height: 400, Fit: params.FitScaleDownPad}, pad(plain(100, 200), 200, 400)},
		{"force:300:100:0:1", params.Params{Width: 300, Height: 100, Fit: params.FitScaleDownPad}, plain(300, 100)},
		{"force:800:0:0:1", params.Params{Width: 800, HeightRatio: 1, Fit: params.FitScaleDownPad}, pad(plain(400, 100), 800, 100)},
		{"force:0:800:0:1", params.Params{Height: 800, WidthRatio: 1, Fit: params.FitScaleDownPad}, pad(plain(100, 200), 100, 800)},
	} {
		if got := planGeometry(400, 200, c.p, 0, false); got != c.want {
			t.Errorf("%s (%s): planGeometry = %+v, want %+v", c.name, c.p.Fit, got, c.want)
		}
	}
}

// TestPlanGeometryImgproxyDPR: without enlarge imgproxy v3 takes the DPR
// only as far as it does not enlarge the image; calcScale
// (processing/prepare.go):
//
//	if minShrink < 1 { wshrink /= minShrink; hshrink /= minShrink ...
//	// The minimum of wshrink and hshrink is the maximum dprScale value
//	// that can be used without enlarging the image.
//	pctx.dprScale = math.Min(pctx.dprScale, math.Min(wshrink, hshrink))
//
// and calcSizes sizes the box at that DPR ("pctx.targetWidth =
// imath.Scale(po.Width, pctx.dprScale*po.ZoomWidth)"). So a 1000x500 image
// in fill:600:400 at dpr 2 (shrink min(1000/600, 500/400) = 1.25) is cut
// to 750x500, and a 400x200 one in fill:300:300 at dpr 2 (shrink below 1:
// the DPR is 1) to 300x200 as without dpr. fit, fill-down and force come
// out the same either way and are pinned to show it.
func TestPlanGeometryImgproxyDPR(t *testing.T) {
	plain := func(w, h int) geometry { return geometry{resizeW: w, resizeH: h, interesting: vips.NoCrop} }
	cut := func(g geometry, x, y, w, h int) geometry { g.cropX, g.cropY, g.cropW, g.cropH = x, y, w, h; return g }
	pad := func(g geometry, w, h int) geometry { g.canvasW, g.canvasH = w, h; return g }
	for _, c := range []struct {
		name   string
		rw, rh int
		p      params.Params
		want   geometry
	}{
		// fit:600:0/dpr:2 on a 1000-wide image: 1000 wide, not 1200.
		{"fit:600:0/dpr:2", 1000, 500, params.Params{Width: 600, DPR: 2, Fit: params.FitMax}, plain(1000, 500)},
		{"fit:600:0/dpr:2/el:1", 1000, 500, params.Params{Width: 600, DPR: 2, Fit: params.FitClip}, plain(1200, 600)},
		{"fit:600:0:0:1/dpr:2", 1000, 500, params.Params{Width: 600, DPR: 2, Fit: params.FitMaxPad}, plain(1000, 500)},
		{"fit:600:300:0:1/dpr:2", 1000, 500, params.Params{Width: 600, Height: 300, DPR: 2, Fit: params.FitMaxPad}, plain(1000, 500)},
		{"fit:400:400:0:1/dpr:2", 1000, 500, params.Params{Width: 400, Height: 400, DPR: 2, Fit: params.FitMaxPad}, pad(plain(800, 400), 800, 800)},
		{"fill:600:400/dpr:2", 1000, 500, params.Params{Width: 600, Height: 400, DPR: 2, Fit: params.FitCropDown}, cut(plain(1000, 500), 125, 0, 750, 500)},
		{"fill:600:400/dpr:2/el:1", 1000, 500, params.Params{Width: 600, Height: 400, DPR: 2, Fit: params.FitCrop}, cut(plain(1600, 800), 200, 0, 1200, 800)},
		{"fill:300:200/dpr:2", 1000, 500, params.Params{Width: 300, Height: 200, DPR: 2, Fit: params.FitCropDown}, cut(plain(800, 400), 100, 0, 600, 400)},
		{"fill:600:400:0:1/dpr:2", 1000, 500, params.Params{Width: 600, Height: 400, DPR: 2, Fit: params.FitCropDownPad}, cut(plain(1000, 500), 125, 0, 750, 500)},
		{"fill-down:600:400/dpr:2", 1000, 500, params.Params{Width: 600, Height: 400, DPR: 2, Fit: params.FitMin}, cut(plain(1000, 500), 125, 0, 750, 500)},
		{"fill:300:300/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitCropDown}, cut(plain(400, 200), 50, 0, 300, 200)},
		{"fill:200:150/dpr:2", 400, 200, params.Params{Width: 200, Height: 150, DPR: 2, Fit: params.FitCropDown}, cut(plain(400, 200), 66, 0, 267, 200)},
		{"fill:300:300:0:1/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitCropDownPad}, pad(cut(plain(400, 200), 50, 0, 300, 200), 300, 300)},
		{"fill-down:300:300:0:1/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitMinPad}, pad(cut(plain(400, 200), 100, 0, 200, 200), 300, 300)},
		{"fill-down:300:300/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitMin}, cut(plain(400, 200), 100, 0, 200, 200)},
		{"fit:800:0:0:1/dpr:2", 400, 200, params.Params{Width: 800, DPR: 2, Fit: params.FitMaxPad}, pad(plain(400, 200), 800, 200)},
		{"force:300:300/dpr:2", 400, 200, params.Params{Width: 300, Height: 300, DPR: 2, Fit: params.FitScaleDown}, plain(200, 200)},
		// force with extend at dpr 2: the shrink is below 1, so the DPR
		// is 1 and the box 800x800, not 1600x1600.
		{"force:800:800:0:1/dpr:2", 400, 200, params.Params{Width: 800, Height: 800, DPR: 2, Fit: params.FitScaleDownPad}, pad(plain(200, 200), 800, 800)},
		{"force:100:100:0:1/dpr:2", 1000, 500, params.Params{Width: 100, Height: 100, DPR: 2, Fit: params.FitScaleDownPad}, plain(200, 200)},
		{"force:400:400:0:1/dpr:2", 1000, 500, params.Params{Width: 400, Height: 400, DPR: 2, Fit: params.FitScaleDownPad}, plain(500, 500)},
	} {
		if got := planGeometry(c.rw, c.rh, c.p, 0, false); got != c.want {
			t.Errorf("%s on %dx%d (%s): planGeometry = %+v, want %+v", c.name, c.rw, c.rh, c.p.Fit, got, c.want)
		}
	}
}

// TestPlanGeometryKeepSourceIfBoxExceeds: Cloudimage's org_if_sml=1
// ("prevents upscaling if any of the target dimensions is larger than the
// origin image", docs.cloudimage.io, Image operations) on a 1200x900
// region: a box wider or taller than it (in device pixels) leaves it as
// it is, whatever the fit; a box no larger on either side, equal sides
// included, is fitted as usual.
func TestPlanGeometryKeepSourceIfBoxExceeds(t *testing.T) {
	plain := func(w, h int) geometry { return geometry{resizeW: w, resizeH: h, interesting: vips.NoCrop} }
	cut := func(g geometry, x, y, w, h int) geometry { g.cropX, g.cropY, g.cropW, g.cropH = x, y, w, h; return g }
	pad := func(g geometry, w, h int) geometry { g.canvasW, g.canvasH = w, h; return g }
	keep := func(p params.Params) params.Params { p.KeepSourceIfBoxExceeds = true; return p }
	for _, c := range []struct {
		name   string
		p      params.Params
		maxDim int
		want   geometry
	}{
		// Wider than the source (taller neither): the source, not 1600x600 cut
		// from 1600x1200 (crop), 800x600 (bound), 800x600 on 1600x600 (fit).
		{"crop 1600x600", keep(params.Params{Width: 1600, Height: 600, Fit: params.FitCrop}), 0, plain(1200, 900)},
		{"crop smart 1600x600", keep(params.Params{Width: 1600, Height: 600, Fit: params.FitCrop, Crop: params.CropAttention}), 0, plain(1200, 900)},
		{"bound 1600x600", keep(params.Params{Width: 1600, Height: 600}), 0, plain(1200, 900)},
		{"fit 1600x600", keep(params.Params{Width: 1600, Height: 600, Fit: params.FitFillMax}), 0, plain(1200, 900)},
		{"cover 1600x600", keep(params.Params{Width: 1600, Height: 600, Fit: params.FitScale}), 0, plain(1200, 900)},
		// Taller only.
		{"crop 300x1000", keep(params.Params{Width: 300, Height: 1000, Fit: params.FitCrop}), 0, plain(1200, 900)},
		// No side larger: the fit as usual (crop: scale 2/3 to 800x600, the
		// middle 600x600; equal width: scale 1, cut to 1200x450).
		{"crop 600x600", keep(params.Params{Width: 600, Height: 600, Fit: params.FitCrop}), 0, cut(plain(800, 600), 100, 0, 600, 600)},
		{"crop 1200x450", keep(params.Params{Width: 1200, Height: 450, Fit: params.FitCrop}), 0, cut(plain(1200, 900), 0, 225, 1200, 450)},
		{"cover 600x300", keep(params.Params{Width: 600, Height: 300, Fit: params.FitScale}), 0, plain(600, 300)},
		{"fit 600x600", keep(params.Params{Width: 600, Height: 600, Fit: params.FitFillMax}), 0, pad(plain(600, 450), 600, 600)},
		// The box in device pixels: 700x500 at dpr 2 is 1400x1000, larger;
		// 600x300 at dpr 2 is 1200x600, not.
		{"crop 700x500 dpr 2", keep(params.Params{Width: 700, Height: 500, DPR: 2, Fit: params.FitCrop}), 0, plain(1200, 900)},
		{"crop 600x300 dpr 2", keep(params.Params{Width: 600, Height: 300, DPR: 2, Fit: params.FitCrop}), 0, cut(plain(1200, 900), 0, 150, 1200, 600)},
		// One side: a side not given exceeds nothing.
		{"w 1600", keep(params.Params{Width: 1600}), 0, plain(1200, 900)},
		{"w 800", keep(params.Params{Width: 800}), 0, plain(800, 600)},
		// The output bound still holds.
		{"crop 1600x600 max 600", keep(params.Params{Width: 1600, Height: 600, Fit: params.FitCrop}), 600, plain(600, 450)},
	} {
		if got := planGeometry(1200, 900, c.p, c.maxDim, false); got != c.want {
			t.Errorf("%s (%s): planGeometry = %+v, want %+v", c.name, c.p.Fit, got, c.want)
		}
	}
}

// TestCloudimageOrgIfSmlSizes runs Cloudimage URLs with org_if_sml=1
// through the dialect and the pipeline on a 1200x900 JPEG: the original's
// size wherever the box, times dpr and in the turned frame, is larger on a
// side (the README's example, w=1600&h=600, was 1200x450 with crop and
// 800x600 with bound), still converted by force_format; the function as
// usual where not.
func TestCloudimageOrgIfSmlSizes(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodeJPEG(t, halves(1200, 900, red, blue))
	for _, c := range []struct {
		url  string
		w, h int
		fm   params.Format
	}{
		{"/v7/a.jpg?w=1600&h=600&org_if_sml=1", 1200, 900, params.FormatJPEG},
		{"/v7/a.jpg?w=1600&h=600&gravity=smart&org_if_sml=1", 1200, 900, params.FormatJPEG},
		{"/v7/a.jpg?w=1600&h=600&func=bound&org_if_sml=1", 1200, 900, params.FormatJPEG},
		{"/v7/a.jpg?w=1600&h=600&func=cover&org_if_sml=1&force_format=png", 1200, 900, params.FormatPNG},
		{"/v7/a.jpg?w=1600&h=600&func=fit&bg_color=black&org_if_sml=1&force_format=webp", 1200, 900, params.FormatWebP},
		{"/v7/a.jpg?w=300&h=1000&org_if_sml=1", 1200, 900, params.FormatJPEG},
		{"/v7/a.jpg?w=700&h=500&dpr=2&org_if_sml=1", 1200, 900, params.FormatJPEG},
		// Turned a quarter the source is 900x1200: 1000 is wider.
		{"/v7/a.jpg?w=1000&h=600&r=90&org_if_sml=1", 900, 1200, params.FormatJPEG},
		// No side larger: the function as usual.
		{"/v7/a.jpg?w=1000&h=600&org_if_sml=1", 1000, 600, params.FormatJPEG},
		{"/v7/a.jpg?w=600&h=300&dpr=2&org_if_sml=1", 1200, 600, params.FormatJPEG},
		{"/v7/a.jpg?w=600&h=600&func=bound&org_if_sml=1", 600, 450, params.FormatJPEG},
		{"/v7/a.jpg?w=600&h=600&func=fit&org_if_sml=1", 600, 600, params.FormatJPEG},
		{"/v7/a.jpg?w=600&h=300&func=cover&org_if_sml=1", 600, 300, params.FormatJPEG},
		// One side: never enlarged.
		{"/v7/a.jpg?w=1600&org_if_sml=1", 1200, 900, params.FormatJPEG},
		{"/v7/a.jpg?w=800&org_if_sml=1", 800, 600, params.FormatJPEG},
		// Without org_if_sml the box is met.
		{"/v7/a.jpg?w=1600&h=600", 1600, 600, params.FormatJPEG},
	} {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := cloudimage.New().Parse(u)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		res, err := process(t, pl, src, img.Params, "")
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if res.Width != c.w || res.Height != c.h || res.Format != c.fm {
			t.Errorf("%s: %dx%d %s, want %dx%d %s", c.url, res.Width, res.Height, res.Format, c.w, c.h, c.fm)
		}
	}
}

// fp-z zooms with fit=crop and crop=focalpoint alone (imgix: "fp-z=2 is
// equivalent to displaying the image at 200%"), whatever sides are given:
// the frame is the size the image would have without it (a side not given
// from the image's aspect ratio; neither: the image's own size), the image
// enlarged fp-z times within it, cut around the point.
func TestPlanGeometryFocusZoomOneSide(t *testing.T) {
	focus := params.Focus{X: 0.5, Y: 0.5, Zoom: 3, Set: true}
	for _, c := range []struct {
		name string
		p    params.Params
		want geometry
	}{
		{"w=500", params.Params{Width: 500, Fit: params.FitCrop, Focus: focus},
			geometry{resizeW: 1500, resizeH: 750, cropX: 500, cropY: 250, cropW: 500, cropH: 250}},
		{"h=250", params.Params{Height: 250, Fit: params.FitCrop, Focus: focus},
			geometry{resizeW: 1500, resizeH: 750, cropX: 500, cropY: 250, cropW: 500, cropH: 250}},
		{"neither", params.Params{Fit: params.FitCrop, Focus: focus},
			geometry{resizeW: 3000, resizeH: 1500, cropX: 1000, cropY: 500, cropW: 1000, cropH: 500}},
		{"w=500&h=500", params.Params{Width: 500, Height: 500, Fit: params.FitCrop, Focus: focus},
			geometry{resizeW: 3000, resizeH: 1500, cropX: 1250, cropY: 500, cropW: 500, cropH: 500}},
		// Without a zoom one side keeps the image whole, as before.
		{"w=500, no zoom", params.Params{Width: 500, Fit: params.FitCrop, Focus: params.Focus{X: 0.5, Y: 0.5, Set: true}},
			geometry{resizeW: 500, resizeH: 250}},
	} {
		c.want.interesting = vips.NoCrop
		if got := planGeometry(1000, 500, c.p, 0, false); got != c.want {
			t.Errorf("%s: planGeometry = %+v, want %+v", c.name, got, c.want)
		}
	}
}

// The same through the pipeline: a 300x150 image, red left and blue right,
// zoomed 3 times around fp-x=0.25 (in the red half) shows red alone, at
// the size the image has without fp-z.
func TestFocusZoomOneSidePixels(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, halves(300, 150, red, blue))
	for _, c := range []struct {
		query string
		w, h  int
	}{
		{"fit=crop&crop=focalpoint&fp-z=3&fp-x=0.25&w=150&fm=png", 150, 75},
		{"fit=crop&crop=focalpoint&fp-z=3&fp-x=0.25&h=75&fm=png", 150, 75},
		{"fit=crop&crop=focalpoint&fp-z=3&fp-x=0.25&fm=png", 300, 150},
	} {
		_, img := run(t, pl, src, c.query, "")
		if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Errorf("%s: %dx%d, want %dx%d", c.query, b.Dx(), b.Dy(), c.w, c.h)
			continue
		}
		for _, x := range []int{0, c.w / 2, c.w - 1} {
			if px := img.NRGBAAt(x, c.h/2); !near(px, red, 10) {
				t.Errorf("%s: (%d,%d) is %v, want red (zoomed into the left half)", c.query, x, c.h/2, px)
			}
		}
	}
}
