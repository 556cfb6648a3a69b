package params

import "testing"

// TestResolveSourceFit pins the per-source fits: Cloudflare's fit=crop
// (scale-down for a source no larger than the box, cover elsewhere) and
// imgproxy's rt:auto (fill where the source and the box share an
// orientation, a square counting as landscape; fit otherwise).
func TestResolveSourceFit(t *testing.T) {
	crop := SourceFit{When: FitWhenSmaller, Fit: FitMax}
	auto := SourceFit{When: FitWhenCrossed, Fit: FitMax}
	for _, tc := range []struct {
		name string
		p    Params
		w, h int
		want Fit
	}{
		// developers.cloudflare.com: width=1296,height=1296,fit=crop on a
		// 1080x720 image leaves it as it is.
		{"cloudflare crop, smaller both ways", Params{Width: 1296, Height: 1296, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMax},
		{"cloudflare crop, the box's size", Params{Width: 1080, Height: 720, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMax},
		{"cloudflare crop, larger both ways", Params{Width: 300, Height: 300, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMin},
		{"cloudflare crop, larger one way", Params{Width: 1296, Height: 600, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMin},
		{"cloudflare crop, dpr counts", Params{Width: 648, Height: 648, DPR: 2, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMax},
		{"cloudflare crop, rotate turns the source", Params{Width: 800, Height: 1100, Rotate: 90, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMax},
		{"cloudflare crop, unturned", Params{Width: 800, Height: 1100, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMin},
		{"cloudflare crop, one side", Params{Width: 2000, Fit: FitMin, SourceFit: crop}, 1080, 720, FitMin},
		{"imgproxy auto, both landscape", Params{Width: 300, Height: 200, Fit: FitMin, SourceFit: auto}, 400, 200, FitMin},
		{"imgproxy auto, both portrait", Params{Width: 200, Height: 300, Fit: FitMin, SourceFit: auto}, 200, 400, FitMin},
		{"imgproxy auto, portrait box", Params{Width: 100, Height: 200, Fit: FitMin, SourceFit: auto}, 400, 200, FitMax},
		{"imgproxy auto, portrait source", Params{Width: 200, Height: 100, Fit: FitMin, SourceFit: auto}, 200, 400, FitMax},
		{"imgproxy auto, square box is landscape", Params{Width: 100, Height: 100, Fit: FitMin, SourceFit: auto}, 400, 200, FitMin},
		{"imgproxy auto, square box, portrait source", Params{Width: 100, Height: 100, Fit: FitMin, SourceFit: auto}, 200, 400, FitMax},
		{"imgproxy auto, square source is landscape", Params{Width: 300, Height: 200, Fit: FitMin, SourceFit: auto}, 300, 300, FitMin},
		{"imgproxy auto, rotated source", Params{Width: 100, Height: 200, Rotate: 270, Fit: FitMin, SourceFit: auto}, 400, 200, FitMin},
		// A side not given is the source's, as in imgproxy's calcScale: a
		// 200x100 box here (with one side, fit and fill scale alike).
		{"imgproxy auto, height only", Params{Height: 100, Fit: FitMin, SourceFit: auto}, 200, 400, FitMax},
		{"imgproxy auto, width only", Params{Width: 100, Fit: FitMin, SourceFit: auto}, 200, 400, FitMin},
		{"none", Params{Width: 100, Height: 200, Fit: FitMin}, 400, 200, FitMin},
	} {
		got := tc.p.ResolveSourceFit(tc.w, tc.h)
		if got.Fit != tc.want || got.SourceFit != (SourceFit{}) {
			t.Errorf("%s: %dx%d source: fit %v, source fit %+v; want %v and none", tc.name, tc.w, tc.h, got.Fit, got.SourceFit, tc.want)
		}
	}
}
