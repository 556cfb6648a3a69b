package transform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"sync"
	"testing"

	"github.com/jebosio/matte/params"
)

// stubFaces reports fixed boxes, and checks that it is shown the upright
// source at its input size.
type stubFaces struct {
	t            *testing.T
	boxes        []FaceBox
	err          error
	wantW, wantH int
	calls        int
	keys         []string
}

func (s *stubFaces) ID() string     { return "stub@1" }
func (s *stubFaces) InputSize() int { return 256 }
func (s *stubFaces) Faces(ctx context.Context, key string, _ bool, input func(context.Context) ([]byte, int, int, error)) ([]FaceBox, error) {
	s.calls++
	s.keys = append(s.keys, key)
	rgb, w, h, err := input(ctx)
	if err != nil {
		return nil, err
	}
	if w != s.wantW || h != s.wantH || len(rgb) != w*h*3 {
		s.t.Errorf("detector shown %dx%d in %d bytes, want %dx%d RGB", w, h, len(rgb), s.wantW, s.wantH)
	}
	return s.boxes, s.err
}

// thirds is a w x h image: red, green and blue thirds from left to right.
func thirds(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := green
			switch {
			case x < w/3:
				c = red
			case x >= 2*w/3:
				c = blue
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func faceBox(l, t, r, b float64) FaceBox { return FaceBox{Left: l, Top: t, Right: r, Bottom: b} }

// The source is 400x200 (red, green, blue thirds); the detector is shown it
// at 256x128. Each case's samples are read off that layout.
func TestFacesPlaceTheCrop(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	right := faceBox(0.85, 0.4, 0.95, 0.6) // in the blue third
	middle := faceBox(0.4, 0.4, 0.5, 0.6)  // 160-200 x 80-120 px: green
	left := faceBox(0.05, 0.4, 0.15, 0.6)  // red
	crop := params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Format: params.FormatPNG}
	with := func(p params.Params, f params.Faces) params.Params { p.Faces = f; return p }
	for _, tc := range []struct {
		name  string
		p     params.Params
		boxes []FaceBox
		want  []sample
	}{
		// Resized to 200x100, the crop's 100 columns are centred on the
		// face at x = 180 as far as the image allows: 100-200, green then
		// blue from 33.
		{"crop on a face", with(crop, params.Faces{Crop: true}), []FaceBox{right}, []sample{{5, 50, green}, {28, 50, green}, {40, 50, blue}, {95, 50, blue}}},
		// imgproxy's fill without enlarge (cropdown) cuts as crop does
		// where the image covers the box: the cut follows the face too.
		{"cropdown on a face", func() params.Params { p := with(crop, params.Faces{Crop: true}); p.Fit = params.FitCropDown; return p }(), []FaceBox{right}, []sample{{5, 50, green}, {28, 50, green}, {40, 50, blue}, {95, 50, blue}}},
		// No face: the fallback, the centre (50-150: red to 16, blue from 84).
		{"crop, no face", with(crop, params.Faces{Crop: true}), nil, []sample{{5, 50, red}, {50, 50, green}, {95, 50, blue}}},
		// No face, crop=faces,left: the left edge.
		{"crop, no face, left", func() params.Params { p := with(crop, params.Faces{Crop: true}); p.Crop = params.CropLeft; return p }(), nil, []sample{{5, 50, red}, {60, 50, red}, {90, 50, green}}},
		// Several faces: the middle of the box around them all (0.05-0.95):
		// the centre.
		{"crop on every face", with(crop, params.Faces{Crop: true}), []FaceBox{left, right}, []sample{{5, 50, red}, {50, 50, green}, {95, 50, blue}}},
		// The largest face only (g_face): the right one, twice the left's
		// size, as "crop on a face".
		{"crop on the largest face", with(crop, params.Faces{Crop: true, Largest: true}), []FaceBox{left, faceBox(0.8, 0.35, 0.95, 0.65)}, []sample{{5, 50, green}, {28, 50, green}, {40, 50, blue}, {95, 50, blue}}},
		// zoom=1 (Cloudflare): the cut is the face's own 40x40 px, scaled
		// to 100x100: green; zoom=0.25 takes 4 times the face (as "area,
		// padded"); with no face, the fallback.
		{"crop, zoom 1", with(crop, params.Faces{Crop: true, Zoom: 1}), []FaceBox{middle}, []sample{{2, 2, green}, {50, 50, green}, {97, 97, green}}},
		{"crop, zoom 0.25", with(crop, params.Faces{Crop: true, Zoom: 0.25}), []FaceBox{middle}, []sample{{5, 50, red}, {40, 50, green}, {95, 50, green}}},
		{"crop, zoom, no face", with(crop, params.Faces{Crop: true, Zoom: 1}), nil, []sample{{5, 50, red}, {50, 50, green}, {95, 50, blue}}},
		// Frame (Bunny face_crop=true), padded four times: the 160x160 px
		// about (180, 100), at its own size as nothing sizes it: red for
		// the first 33 columns, then green.
		{"frame", func() params.Params {
			return params.Params{Width: 160, Height: 160, Fit: params.FitMax, Format: params.FormatPNG, Faces: params.Faces{Frame: true, Pad: 4}}
		}(), []FaceBox{middle}, []sample{{5, 80, red}, {28, 80, red}, {40, 80, green}, {155, 80, green}}},
		{"area, the largest face", with(crop, params.Faces{Area: true, Largest: true}), []FaceBox{faceBox(0.05, 0.3, 0.2, 0.7), middle}, []sample{{2, 2, red}, {97, 97, red}}},
		// A quarter turn: the right edge becomes the bottom; the crop's
		// rows are 100-200 of the 100x200 turned image, source columns
		// 200-400.
		{"crop on a face, turned", func() params.Params { p := with(crop, params.Faces{Crop: true}); p.Rotate = 90; return p }(), []FaceBox{right}, []sample{{50, 5, green}, {50, 95, blue}}},
		// The area: the face's 40x40 px, square, scaled to 100x100: green.
		{"area", with(crop, params.Faces{Area: true}), []FaceBox{middle}, []sample{{2, 2, green}, {50, 50, green}, {97, 97, green}}},
		// Padded four times: 160x160 px about (180, 100), 100-260: red
		// for the first 33/160 of it.
		{"area, padded", with(crop, params.Faces{Area: true, Pad: 4}), []FaceBox{middle}, []sample{{5, 50, red}, {40, 50, green}, {95, 50, green}}},
		// Every face: 0.05-0.95 wide is 360 px, a square of it 360 px
		// tall, scaled into the source: 200x200 about x = 200 (100-300).
		{"area, every face", with(crop, params.Faces{Area: true}), []FaceBox{left, right}, []sample{{5, 50, red}, {50, 50, green}, {95, 50, blue}}},
		{"area, face 2", with(crop, params.Faces{Area: true, Index: 2}), []FaceBox{left, right}, []sample{{2, 2, blue}, {97, 97, blue}}},
		{"area, face 1", with(crop, params.Faces{Area: true, Index: 1}), []FaceBox{left, right}, []sample{{2, 2, red}, {97, 97, red}}},
		// No third face: the fallback, a centred crop.
		{"area, no face 3", with(crop, params.Faces{Area: true, Index: 3}), []FaceBox{left, right}, []sample{{5, 50, red}, {50, 50, green}, {95, 50, blue}}},
		// fit=facearea,fill with no face: the fill (the whole image in the
		// box, padded).
		{"area, no face, fill", func() params.Params { p := with(crop, params.Faces{Area: true}); p.Fit = params.FitFill; return p }(), nil, []sample{{2, 50, red}, {50, 50, green}, {97, 50, blue}, {50, 5, color.NRGBA{}}}},
		// The area's aspect ratio is the output's: 200x100 of a 40x40 face
		// is 80x40 px, 140-220: green.
		{"area, wide", func() params.Params { p := with(crop, params.Faces{Area: true}); p.Width = 200; return p }(), []FaceBox{middle}, []sample{{2, 50, green}, {197, 50, green}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := &stubFaces{t: t, boxes: tc.boxes, wantW: 256, wantH: 128}
			pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
			res, img := runParams(t, pl, src, tc.p)
			if stub.calls != 1 {
				t.Errorf("detector called %d times", stub.calls)
			}
			if res.Width != tc.p.Width || res.Height != tc.p.Height {
				t.Errorf("%dx%d, want %dx%d", res.Width, res.Height, tc.p.Width, tc.p.Height)
			}
			checkSamples(t, img, tc.want, 40)
		})
	}
}

// Frame keeps the fit: a region smaller than the box is not enlarged by a
// fit that never enlarges, and with no face the image stays whole.
func TestFacesFrame(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	p := params.Params{Width: 300, Height: 300, Fit: params.FitMax, Format: params.FormatPNG, Faces: params.Faces{Frame: true, Pad: 4}}
	for _, tc := range []struct {
		name   string
		boxes  []FaceBox
		w, h   int
		sample []sample
	}{
		{"a face: its 160x160 px area, not enlarged", []FaceBox{faceBox(0.4, 0.4, 0.5, 0.6)}, 160, 160, []sample{{5, 80, red}, {100, 80, green}}},
		{"no face: the whole image, fitted", nil, 300, 150, []sample{{5, 75, red}, {150, 75, green}, {295, 75, blue}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: &stubFaces{t: t, boxes: tc.boxes, wantW: 256, wantH: 128}})
			res, img := runParams(t, pl, src, p)
			if res.Width != tc.w || res.Height != tc.h {
				t.Errorf("%dx%d, want %dx%d", res.Width, res.Height, tc.w, tc.h)
			}
			checkSamples(t, img, tc.sample, 40)
		})
	}
}

// Without a crop there is nothing to place: the detector is not asked.
// Without a detector the fallback applies.
func TestFacesNotAsked(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	stub := &stubFaces{t: t, boxes: []FaceBox{faceBox(0.85, 0.4, 0.95, 0.6)}, wantW: 256, wantH: 128}
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
	for _, p := range []params.Params{
		{Width: 100, Faces: params.Faces{Crop: true}, Format: params.FormatPNG},
		{Width: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}, Format: params.FormatPNG},
		{Height: 50, Fit: params.FitMin, Faces: params.Faces{Crop: true}, Format: params.FormatPNG},
		{Width: 100, Height: 100, Fit: params.FitFill, Faces: params.Faces{Crop: true}, Format: params.FormatPNG},
	} {
		runParams(t, pl, src, p)
	}
	if stub.calls != 0 {
		t.Errorf("detector called %d times", stub.calls)
	}
	none := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	_, img := runParams(t, none, src, params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}, Format: params.FormatPNG})
	checkSamples(t, img, []sample{{5, 50, red}, {50, 50, green}, {95, 50, blue}}, 40)
	if got := none.FacesID(); got != "none" {
		t.Errorf("FacesID without a detector: %q", got)
	}
	if got := pl.FacesID(); got != "stub@1" {
		t.Errorf("FacesID: %q", got)
	}
}

// TestFacesNotAskedWhenSourceKept: Cloudimage's func=face with
// org_if_sml=1 ("prevents upscaling if any of the target dimensions is
// larger than the origin image", docs.cloudimage.io) on the 400x200
// source: a box wider or taller than it keeps the source as it is, so
// there is no cut for the faces to place and the detector is not asked
// (it was, once per request). A box within the source is cut on the face
// as usual, and faces that move the region (Area) are still looked for.
func TestFacesNotAskedWhenSourceKept(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	right := faceBox(0.85, 0.4, 0.95, 0.6)
	face := func(w, h int, f params.Faces) params.Params {
		return params.Params{Width: w, Height: h, Fit: params.FitCrop, Crop: params.CropAttention, Faces: f,
			KeepSourceIfBoxExceeds: true, Format: params.FormatPNG}
	}
	for _, c := range []struct {
		name  string
		p     params.Params
		calls int
		w, h  int
		want  []sample
	}{
		{"box taller", face(300, 300, params.Faces{Crop: true}), 0, 400, 200, []sample{{5, 100, red}, {200, 100, green}, {395, 100, blue}}},
		{"box wider", face(800, 100, params.Faces{Crop: true, Largest: true}), 0, 400, 200, []sample{{5, 100, red}, {395, 100, blue}}},
		{"box turned taller", func() params.Params { p := face(300, 300, params.Faces{Crop: true}); p.Rotate = 90; return p }(), 0, 200, 400, nil},
		{"box within", face(100, 100, params.Faces{Crop: true}), 1, 100, 100, []sample{{5, 50, green}, {95, 50, blue}}},
		{"area, box taller", face(300, 300, params.Faces{Area: true}), 1, 0, 0, nil},
	} {
		stub := &stubFaces{t: t, boxes: []FaceBox{right}, wantW: 256, wantH: 128}
		pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
		res, img := runParams(t, pl, src, c.p)
		if stub.calls != c.calls {
			t.Errorf("%s: detector called %d times, want %d", c.name, stub.calls, c.calls)
		}
		if c.w > 0 && (res.Width != c.w || res.Height != c.h) {
			t.Errorf("%s: %dx%d, want %dx%d", c.name, res.Width, res.Height, c.w, c.h)
		}
		checkSamples(t, img, c.want, 40)
	}
}

// A detector's failure is the request's (an internal error, not a 400).
func TestFacesError(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	stub := &stubFaces{t: t, err: errors.New("boom"), wantW: 256, wantH: 128}
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
	_, err := process(t, pl, src, params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}}, "")
	var pub *params.Error
	if err == nil || errors.As(err, &pub) || !errors.Is(err, stub.err) {
		t.Errorf("got %v, want the detector's error, not a public one", err)
	}
	// A source that does not decode is the client's, as without faces.
	jpg := encodeJPEG(t, thirds(400, 200))
	stub.err = nil
	s, err := pl.Probe(jpg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pl.Process(context.Background(), &Request{Source: jpg[:len(jpg)/2], Info: s, Params: params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}}, Format: params.FormatJPEG})
	if !errors.As(err, &pub) || pub.Code != "corrupt_source" {
		t.Errorf("truncated source: %v, want corrupt_source", err)
	}
}

func TestFaceArea(t *testing.T) {
	for _, tc := range []struct {
		b       FaceBox
		w, h    int
		pad, ar float64
		want    params.Rect
	}{
		{faceBox(0.4, 0.4, 0.5, 0.6), 400, 200, 0, 1, params.Rect{X: 160, Y: 80, W: 40, H: 40}},
		{faceBox(0.4, 0.4, 0.5, 0.6), 400, 200, 2, 1, params.Rect{X: 140, Y: 60, W: 80, H: 80}},
		{faceBox(0.4, 0.4, 0.5, 0.6), 400, 200, 1, 2, params.Rect{X: 140, Y: 80, W: 80, H: 40}},
		{faceBox(0.4, 0.4, 0.5, 0.6), 400, 200, 1, 0.5, params.Rect{X: 160, Y: 60, W: 40, H: 80}},
		// At the corner: moved inside.
		{faceBox(0, 0, 0.1, 0.2), 400, 200, 3, 1, params.Rect{X: 0, Y: 0, W: 120, H: 120}},
		{faceBox(0.9, 0.8, 1, 1), 400, 200, 3, 1, params.Rect{X: 280, Y: 80, W: 120, H: 120}},
		// Larger than the source: scaled down to fit, keeping the ratio.
		{faceBox(0.3, 0.3, 0.7, 0.7), 400, 200, 4, 1, params.Rect{X: 100, Y: 0, W: 200, H: 200}},
	} {
		if got := faceArea(tc.b, tc.w, tc.h, tc.pad, tc.ar); got != tc.want {
			t.Errorf("faceArea(%+v, %dx%d, pad %g, ar %g) = %+v, want %+v", tc.b, tc.w, tc.h, tc.pad, tc.ar, got, tc.want)
		}
	}
}

func TestTurnPoint(t *testing.T) {
	for _, tc := range []struct {
		rot, x, y, wx, wy float64
	}{
		{0, 0.2, 0.1, 0.2, 0.1},
		{90, 0.2, 0.1, 0.9, 0.2},
		{180, 0.2, 0.1, 0.8, 0.9},
		{270, 0.2, 0.1, 0.1, 0.8},
		{45, 0.2, 0.1, 0.2, 0.1}, // not a quarter turn: applied after the crop
	} {
		x, y := turnPoint(tc.x, tc.y, params.Params{Rotate: tc.rot})
		if fmt.Sprintf("%.3f %.3f", x, y) != fmt.Sprintf("%.3f %.3f", tc.wx, tc.wy) {
			t.Errorf("rot %g: (%g, %g) → (%g, %g), want (%g, %g)", tc.rot, tc.x, tc.y, x, y, tc.wx, tc.wy)
		}
	}
}

// fm=json&faces=1 lists the faces found in imgix's shape, in pixels of
// the 400x200 source; with none, an empty list; without a detector, no
// list at all.
func TestDescribeFaces(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	f := faceBox(0.4, 0.4, 0.5, 0.6)
	f.LeftEye, f.RightEye, f.Mouth = FacePoint{0.42, 0.45}, FacePoint{0.48, 0.45}, FacePoint{0.45, 0.55}
	p := params.Params{Format: params.FormatJSON, Faces: params.Faces{List: true}}
	for _, tc := range []struct {
		boxes []FaceBox
		want  string
	}{
		{[]FaceBox{f}, `"Faces":[{"bounds":{"x":160,"y":80,"width":40,"height":40},"left_eye":{"x":168,"y":90},"right_eye":{"x":192,"y":90},"mouth":{"x":180,"y":110}}]`},
		{nil, `"Faces":[]`},
	} {
		stub := &stubFaces{t: t, boxes: tc.boxes, wantW: 256, wantH: 128}
		pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
		res, err := process(t, pl, src, p, "")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(res.Body, []byte(tc.want)) || stub.calls != 1 {
			t.Errorf("got %s (%d calls), want it to hold %s", res.Body, stub.calls, tc.want)
		}
	}
	res, err := process(t, NewPipeline(Options{}), src, p, "")
	if err != nil || bytes.Contains(res.Body, []byte("Faces")) {
		t.Errorf("without a detector: %s, %v", res.Body, err)
	}
}

// The detector's cache key is the source's content hash, which names an
// orientation asked for too; a source without a hash is not cached.
func TestFacesKey(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	stub := &stubFaces{t: t, wantW: 256, wantH: 128}
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
	info, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	p := params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}, Format: params.FormatPNG}
	for _, hash := range []string{"", "abc"} {
		info.Hash = hash
		if _, err := pl.Process(context.Background(), &Request{Source: src, Info: info, Params: p, Format: params.FormatPNG}); err != nil {
			t.Fatal(err)
		}
	}
	stub.wantW, stub.wantH = 128, 256 // turned a quarter: portrait
	p.Orientation = 6
	if _, err := pl.Process(context.Background(), &Request{Source: src, Info: info, Params: p, Format: params.FormatPNG}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "abc", "abc;or=6"}; !slices.Equal(stub.keys, want) {
		t.Errorf("keys %q, want %q", stub.keys, want)
	}
}

// Faces.Place moves a source region, its size kept, onto the mean of the
// faces' centres (Bunny face_crop=W,H); with no face it stays centred.
func TestFacesPlaceTheRegion(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	p := params.Params{Region: params.Region{W: 100, H: 100}, Faces: params.Faces{Place: true}, Format: params.FormatPNG}
	for _, tc := range []struct {
		boxes []FaceBox
		want  []sample
	}{
		// Faces centred at x = 0.1 and 0.6: the mean, 0.35 of 400 = 140
		// px, puts the region at 90-190, red up to 43 (the middle of the
		// box around both, 0.4, would put it at 110-210, red up to 23).
		{[]FaceBox{faceBox(0.05, 0.4, 0.15, 0.6), faceBox(0.45, 0.4, 0.75, 0.6)}, []sample{{5, 50, red}, {35, 50, red}, {50, 50, green}, {95, 50, green}}},
		// At the right edge: 300-400, blue.
		{[]FaceBox{faceBox(0.9, 0.4, 1, 0.6)}, []sample{{2, 50, blue}, {97, 50, blue}}},
		// None: centred, 150-250, green.
		{nil, []sample{{2, 50, green}, {97, 50, green}}},
	} {
		stub := &stubFaces{t: t, boxes: tc.boxes, wantW: 256, wantH: 128}
		pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
		res, img := runParams(t, pl, src, p)
		if res.Width != 100 || res.Height != 100 || stub.calls != 1 {
			t.Fatalf("%dx%d, %d calls", res.Width, res.Height, stub.calls)
		}
		checkSamples(t, img, tc.want, 40)
	}
}

func TestPlaceRect(t *testing.T) {
	for _, tc := range []struct {
		r    params.Rect
		c    FacePoint
		want params.Rect
	}{
		{params.Rect{X: 150, Y: 50, W: 100, H: 100}, FacePoint{0.2, 0.5}, params.Rect{X: 30, Y: 50, W: 100, H: 100}},
		{params.Rect{X: 150, Y: 50, W: 100, H: 100}, FacePoint{0, 0}, params.Rect{X: 0, Y: 0, W: 100, H: 100}},
		{params.Rect{X: 150, Y: 50, W: 100, H: 100}, FacePoint{1, 1}, params.Rect{X: 300, Y: 100, W: 100, H: 100}},
	} {
		if got := placeRect(tc.r, tc.c, 400, 200); got != tc.want {
			t.Errorf("placeRect(%+v, %+v) = %+v, want %+v", tc.r, tc.c, got, tc.want)
		}
	}
}

// Faces.Pixelate and Blur obscure each face found in the output, grown by
// faceMargin, and nothing else; without a detector the request is a 501.
func TestObscureFaces(t *testing.T) {
	// A 200x100 source: left half red, right half a red/blue checker of
	// 2-pixel squares, which a blur or a pixelation turns to purple.
	img := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := range 100 {
		for x := range 200 {
			c := red
			if x >= 100 && (x/2+y/2)%2 == 1 {
				c = blue
			}
			img.SetNRGBA(x, y, c)
		}
	}
	src := encodePNG(t, img)
	// A face at 0.6-0.8 x 0.4-0.6 of the output: 120-160 x 40-60 px,
	// grown by a quarter a side: 110-170 x 35-65.
	face := faceBox(0.6, 0.4, 0.8, 0.6)
	for _, f := range []params.Faces{{Pixelate: 10}, {Blur: 3}} {
		stub := &stubFaces{t: t, boxes: []FaceBox{face}, wantW: 256, wantH: 128}
		pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
		_, out := runParams(t, pl, src, params.Params{Faces: f, Format: params.FormatPNG})
		if stub.calls != 1 || len(stub.keys) != 1 || stub.keys[0] != "" {
			t.Errorf("%+v: detector calls %d, keys %q (the output's faces are not cached)", f, stub.calls, stub.keys)
		}
		purple := func(c color.NRGBA) bool { return c.R > 60 && c.B > 60 }
		for _, p := range []struct {
			x, y   int
			inside bool
		}{{140, 50, true}, {115, 38, true}, {165, 62, true}, {105, 50, false}, {175, 50, false}, {140, 30, false}, {140, 70, false}, {50, 50, false}} {
			c := out.NRGBAAt(p.x, p.y)
			if p.inside != purple(c) {
				t.Errorf("%+v: pixel (%d,%d) = %v; inside the face: %v", f, p.x, p.y, c, p.inside)
			}
		}
	}
	_, err := process(t, NewPipeline(Options{}), src, params.Params{Faces: params.Faces{Blur: 3}}, "")
	var pub *params.Error
	if !errors.As(err, &pub) || pub.Status != 501 || pub.Code != "faces_unavailable" {
		t.Errorf("without a detector: %v, want a 501 faces_unavailable", err)
	}
}

// redFaces "finds" one face: the box around the red pixels of the image it
// is shown, and keeps what it finds under the key, as the server's face
// cache does.
type redFaces struct {
	mu    sync.Mutex
	found map[string][]FaceBox
	keys  []string // the keys looked at by input, in order
}

func (s *redFaces) ID() string     { return "red@1" }
func (s *redFaces) InputSize() int { return 256 }
func (s *redFaces) Faces(ctx context.Context, key string, _ bool, input func(context.Context) ([]byte, int, int, error)) ([]FaceBox, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.found[key]; ok && key != "" {
		return b, nil
	}
	rgb, w, h, err := input(ctx)
	if err != nil {
		return nil, err
	}
	s.keys = append(s.keys, key)
	l, t, r, b := w, h, -1, -1
	for y := range h {
		for x := range w {
			if p := rgb[3*(y*w+x):]; p[0] > 150 && p[1] < 100 && p[2] < 100 {
				l, t, r, b = min(l, x), min(t, y), max(r, x+1), max(b, y+1)
			}
		}
	}
	var boxes []FaceBox
	if r > l {
		boxes = []FaceBox{faceBox(float64(l)/float64(w), float64(t)/float64(h), float64(r)/float64(w), float64(b)/float64(h))}
	}
	if s.found == nil {
		s.found = map[string][]FaceBox{}
	}
	s.found[key] = boxes
	return boxes, nil
}

// fm=json&faces=1 describes the source itself, whatever orient asks: its
// faces are those of the source upright (its EXIF orientation applied),
// found and kept under the source's plain hash, so that a later crop=faces
// or fm=json&faces=1 of that source reads what a fresh server finds. The
// source is 400x200 as stored, red left and blue right, turned upright by
// its EXIF orientation 6 to 200x400, red on top: PixelWidth and
// PixelHeight are as stored, the faces in pixels of the upright image.
func TestDescribeFacesIgnoresOrient(t *testing.T) {
	src := withOrientation(encodeJPEG(t, halves(400, 200, red, blue)), 6)
	crop := params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}, Format: params.FormatPNG}
	describe := params.Params{Format: params.FormatJSON, Faces: params.Faces{List: true}}
	run := func(pl *Pipeline, p params.Params) []byte {
		t.Helper()
		info, err := pl.Probe(src)
		if err != nil {
			t.Fatal(err)
		}
		info.Hash = "abc"
		res, err := pl.Process(context.Background(), &Request{Source: src, Info: info, Params: p, Format: p.Format})
		if err != nil {
			t.Fatalf("%s: %v", p.Key(), err)
		}
		return res.Body
	}
	fresh := func(p params.Params) []byte {
		return run(NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: &redFaces{}}), p)
	}
	want := fresh(describe)
	var got struct {
		PixelWidth, PixelHeight, Orientation int
		Faces                                []struct {
			Bounds struct{ X, Y, Width, Height int }
		}
	}
	if err := json.Unmarshal(want, &got); err != nil {
		t.Fatal(err)
	}
	if b := got.Faces; got.PixelWidth != 400 || got.PixelHeight != 200 || got.Orientation != 6 || len(b) != 1 ||
		b[0].Bounds.X != 0 || b[0].Bounds.Y != 0 || b[0].Bounds.Width != 200 || absInt(b[0].Bounds.Height-200) > 4 {
		t.Errorf("fm=json&faces=1: %s, want 400x200 as stored, orientation 6, the face 200x200 at the top of the upright 200x400", want)
	}
	for _, o := range []int{1, 6, 8} {
		finder := &redFaces{}
		pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: finder})
		p := describe
		p.Orientation = o
		if got := run(pl, p); !bytes.Equal(got, want) {
			t.Errorf("orient=%d: %s, want %s (as without orient)", o, got, want)
		}
		if got := run(pl, describe); !bytes.Equal(got, want) {
			t.Errorf("after orient=%d: %s, want %s (as a fresh server)", o, got, want)
		}
		if got := run(pl, crop); !bytes.Equal(got, fresh(crop)) {
			t.Errorf("after orient=%d: crop=faces differs from a fresh server's", o)
		}
		if !slices.Equal(finder.keys, []string{"abc"}) {
			t.Errorf("after orient=%d: the detector looked for keys %q, want once for %q", o, finder.keys, "abc")
		}
	}
}

// leavingFaces plays a face cache flight whose first caller gives up:
// Faces hands input to a goroutine of its own (the flight), cancels the
// caller's context (leave) and returns as cache.Do does for a caller that
// left. The flight then carries on for the other callers, under a context
// of its own: after (wait) or while the first caller's job ends.
type leavingFaces struct {
	leave  context.CancelFunc
	wait   chan struct{} // the flight starts input once this is closed; nil: at once
	result chan error    // input's outcome
}

func (s *leavingFaces) ID() string     { return "leaving@1" }
func (s *leavingFaces) InputSize() int { return 256 }
func (s *leavingFaces) Faces(ctx context.Context, _ string, _ bool, input func(context.Context) ([]byte, int, int, error)) ([]FaceBox, error) {
	go func() {
		if s.wait != nil {
			<-s.wait
		}
		rgb, w, h, err := input(context.Background())
		if err == nil && (w != 256 || h != 128 || len(rgb) != w*h*3) {
			err = fmt.Errorf("input gave %dx%d in %d bytes, want 256x128 RGB", w, h, len(rgb))
		}
		s.result <- err
	}()
	s.leave()
	<-ctx.Done()
	return nil, ctx.Err()
}

// The detector's input may run for other requests after the request that
// started it has left and its job has ended (a face cache flight shared by
// the sizes of one source): it decodes under the context it is given, not
// the job's (whose end would kill the decode, failing every other caller
// with client_closed) nor with the job's canceller (released when the job
// ends). Run with -race: the time input spends is recorded concurrently
// with the job reading it.
func TestFacesInputOutlivesItsJob(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	p := params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}, Format: params.FormatPNG}
	for _, after := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		stub := &leavingFaces{leave: cancel, result: make(chan error, 1)}
		if after {
			stub.wait = make(chan struct{})
		}
		pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: stub})
		info, err := pl.Probe(src)
		if err != nil {
			t.Fatal(err)
		}
		info.Hash = "abc"
		_, err = pl.Process(ctx, &Request{Source: src, Info: info, Params: p, Format: params.FormatPNG})
		var pub *params.Error
		if !errors.As(err, &pub) || pub.Code != "client_closed" {
			t.Errorf("the caller that left: %v, want client_closed", err)
		}
		if after {
			close(stub.wait)
		}
		if err := <-stub.result; err != nil {
			t.Errorf("input run after the job ended (%v): %v, want the detector's input", after, err)
		}
	}
}

// A detector that cannot be loaded (FacesUnavailable from Faces) is not
// "no faces": a face crop takes its fallback, as without a detector, but
// marks its answer Provisional (not the one its cache key, which names the
// detector, stands for); obscuring the faces and listing them fail with
// the 501, since an answer that showed the faces, or said there are none,
// would be wrong.
func TestFacesUnavailable(t *testing.T) {
	src := encodePNG(t, thirds(400, 200))
	broken := &stubFaces{t: t, err: FacesUnavailable("This server cannot load its face detector.", errors.New("not a model")), wantW: 256, wantH: 128}
	working := &stubFaces{t: t, boxes: []FaceBox{faceBox(0.85, 0.4, 0.95, 0.6)}, wantW: 256, wantH: 128}
	crop := params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Faces: params.Faces{Crop: true}, Format: params.FormatPNG}
	res, img := runParams(t, NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: broken}), src, crop)
	checkSamples(t, img, []sample{{5, 50, red}, {50, 50, green}, {95, 50, blue}}, 40) // the centre crop
	if !res.Provisional {
		t.Errorf("crop=faces with a detector that cannot load: not Provisional")
	}
	if res, _ := runParams(t, NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: working}), src, crop); res.Provisional {
		t.Errorf("crop=faces with a working detector: Provisional")
	}
	if res, _ := runParams(t, NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}}), src, crop); res.Provisional {
		t.Errorf("crop=faces without a detector: Provisional (its key names none)")
	}
	for _, p := range []params.Params{
		{Faces: params.Faces{Blur: 3}, Format: params.FormatPNG},
		{Faces: params.Faces{Pixelate: 10}, Format: params.FormatPNG},
		{Faces: params.Faces{List: true}, Format: params.FormatJSON},
	} {
		_, err := process(t, NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}, Faces: broken}), src, p, "")
		var pub *params.Error
		if !errors.As(err, &pub) || pub.Status != 501 || pub.Code != "faces_unavailable" || pub.Field != "faces" {
			t.Errorf("%+v with a detector that cannot load: %v, want a 501 faces_unavailable", p.Faces, err)
		}
	}
}
