package transform

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"sync/atomic"
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// redMatter is a stand-in model: it calls the subject every red pixel of
// its 64x64 input.
type redMatter struct {
	calls  atomic.Int32
	refuse error // Ready's answer
}

func (m *redMatter) Spec(model string) (ModelSpec, error) {
	if model != "" && model != "red" {
		return ModelSpec{}, params.BadParam("model", "unknown model")
	}
	return ModelSpec{ID: "red@0000", Width: 64, Height: 64, Kernel: "linear"}, nil
}

func (m *redMatter) Ready(model, sourceHash string) error { return m.refuse }

func (m *redMatter) Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error) {
	m.calls.Add(1)
	rgb, err := input()
	if err != nil {
		return nil, err
	}
	mask := make([]byte, 64*64)
	for i := range mask {
		if r, g := rgb[3*i], rgb[3*i+1]; r > 150 && g < 100 {
			mask[i] = 255
		}
	}
	return mask, nil
}

// subjectImage is 400x300 white with a red 200x150 box at (100,100).
func subjectImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= 100 && x < 300 && y >= 100 && y < 250 {
				c = red
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func within(got, want, tol int) bool { return got >= want-tol && got <= want+tol }

func boxNear(got, want Box, tol int) bool {
	return within(got.Left, want.Left, tol) && within(got.Top, want.Top, tol) &&
		within(got.Width, want.Width, tol) && within(got.Height, want.Height, tol)
}

// TestRemovalNotReady: a Matter that is not ready (overloaded) stops a
// removal before its source is decoded: the error is Ready's own and the
// model input is never asked for.
func TestRemovalNotReady(t *testing.T) {
	busy := &params.Error{Status: 503, Code: "overloaded", Title: "Overloaded"}
	m := &redMatter{refuse: busy}
	pl := NewPipeline(Options{Matter: m})
	src := encodeJPEG(t, subjectImage())
	info, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	p := params.Params{Removal: params.Removal{Enabled: true}}
	_, err = pl.Process(context.Background(), &Request{Source: src, Info: info, Params: p, Format: NegotiateFormat(p, "", info)})
	if err != busy {
		t.Fatalf("Process: %v, want Ready's error", err)
	}
	if n := m.calls.Load(); n != 0 {
		t.Fatalf("Matte called %d times", n)
	}
}

func TestRemoval(t *testing.T) {
	m := &redMatter{}
	pl := NewPipeline(Options{Matter: m, Limits: Limits{MaxOutputDimension: 4000}})
	src := encodeJPEG(t, subjectImage())
	white := color.NRGBA{255, 255, 255, 255}
	on := func(mod func(r *params.Removal)) params.Params {
		p := params.Params{Removal: params.Removal{Enabled: true}}
		if mod != nil {
			mod(&p.Removal)
		}
		return p
	}
	cases := []struct {
		name    string
		p       params.Params
		format  params.Format
		w, h    int
		fg      Box
		samples []sample
	}{
		{"cut-out keeps alpha", on(nil), params.FormatPNG, 400, 300, Box{100, 100, 200, 150}, []sample{{5, 5, clear}, {200, 170, red}}},
		{"resized", func() params.Params { p := on(nil); p.Width = 200; return p }(), params.FormatPNG, 200, 150, Box{50, 50, 100, 75}, []sample{{2, 2, clear}, {100, 85, red}}},
		// The model sees the image turned too, so the matte lines up.
		{"turned by orient", func() params.Params { p := on(nil); p.Orientation = 6; return p }(), params.FormatPNG, 300, 400, Box{50, 100, 150, 200},
			[]sample{{5, 5, clear}, {125, 200, red}, {250, 200, clear}}},
		{"mask only", on(func(r *params.Removal) { r.MaskOnly = true }), params.FormatPNG, 400, 300, Box{100, 100, 200, 150},
			[]sample{{5, 5, color.NRGBA{0, 0, 0, 255}}, {200, 170, white}}},
		{"opaque background colour keeps the JPEG", func() params.Params {
			p := on(nil)
			p.Background = params.Color{R: 0, G: 255, B: 0, A: 255, Set: true}
			return p
		}(), params.FormatJPEG, 400, 300, Box{100, 100, 200, 150},
			[]sample{{5, 5, green}, {200, 170, red}}},
		{"jpeg flattens on white", func() params.Params { p := on(nil); p.Format = params.FormatJPEG; return p }(), params.FormatJPEG, 400, 300, Box{100, 100, 200, 150},
			[]sample{{5, 5, white}, {200, 170, red}}},
		{"crop to foreground", on(func(r *params.Removal) { r.CropToForeground = true }), params.FormatPNG, 200, 150, Box{0, 0, 200, 150}, []sample{{100, 75, red}}},
		{"crop to foreground with padding", on(func(r *params.Removal) { r.CropToForeground = true; r.FGPad = params.Length{Value: 10} }), params.FormatPNG, 220, 170, Box{10, 10, 200, 150},
			[]sample{{2, 2, clear}, {110, 85, red}}},
		{"drop shadow", func() params.Params {
			p := on(func(r *params.Removal) {
				r.Shadow = params.Shadow{Enabled: true, Opacity: 1, Blur: 2, OffsetY: 20, OffsetSet: true}
			})
			p.Background = params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
			return p
		}(), params.FormatJPEG, 400, 300, Box{100, 100, 200, 150}, []sample{{200, 262, color.NRGBA{0, 0, 0, 255}}, {5, 5, white}}},
		{"gradient", on(func(r *params.Removal) {
			r.BgGradient = [2]params.Color{{R: 255, G: 0, B: 0, A: 255, Set: true}, {R: 0, G: 0, B: 255, A: 255, Set: true}}
		}), params.FormatPNG, 400, 300, Box{100, 100, 200, 150}, []sample{{5, 1, red}, {5, 298, blue}}},
		{"blurred original background", on(func(r *params.Removal) { r.BgBlur = 5 }), params.FormatPNG, 400, 300, Box{100, 100, 200, 150},
			[]sample{{5, 5, white}, {200, 170, red}}},
		{"scale and centre", on(func(r *params.Removal) { r.Scale = 0.25; r.Position = params.Position{X: 50, Y: 50, Set: true} }), params.FormatPNG, 400, 300, Box{150, 112, 100, 75},
			[]sample{{200, 150, red}, {120, 150, clear}}},
		{"position top-left", on(func(r *params.Removal) { r.Position = params.Position{X: 0, Y: 0, Set: true} }), params.FormatPNG, 400, 300, Box{0, 0, 200, 150},
			[]sample{{100, 75, red}}},
		{"feathered, eroded and refined edges", on(func(r *params.Removal) { r.Feather = 3; r.Erode = 2; r.Refine = true }), params.FormatPNG, 400, 300, Box{100, 100, 200, 150},
			[]sample{{5, 5, clear}, {200, 170, red}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := m.calls.Load()
			s, err := pl.Probe(src)
			if err != nil {
				t.Fatal(err)
			}
			f := NegotiateFormat(tc.p, "", s)
			res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: tc.p, Format: f})
			if err != nil {
				t.Fatal(err)
			}
			if m.calls.Load() != before+1 {
				t.Errorf("matter called %d times", m.calls.Load()-before)
			}
			// The stand-in matte is 64x64, so its edges are soft by several pixels.
			if res.Format != tc.format || !within(res.Width, tc.w, 8) || !within(res.Height, tc.h, 8) {
				t.Errorf("got %v %dx%d, want %v %dx%d", res.Format, res.Width, res.Height, tc.format, tc.w, tc.h)
			}
			if res.Model != "red@0000" {
				t.Errorf("model %q", res.Model)
			}
			if !boxNear(res.Foreground, tc.fg, 8) {
				t.Errorf("foreground %+v, want about %+v", res.Foreground, tc.fg)
			}
			img := decodeNRGBA(t, res.Body)
			for _, sm := range tc.samples {
				if got := img.NRGBAAt(sm.x, sm.y); !near(got, sm.c, 50) {
					t.Errorf("pixel (%d,%d) = %v, want %v", sm.x, sm.y, got, sm.c)
				}
			}
		})
	}
}

// TestRemovalZIPRecomposes checks that remove.bg's ZIP (color.jpg plus an
// 8-bit alpha.png) gives the same pixels as the PNG cut-out.
func TestRemovalZIPRecomposes(t *testing.T) {
	pl := NewPipeline(Options{Matter: &redMatter{}})
	src := encodeJPEG(t, subjectImage())
	s, _ := pl.Probe(src)
	p := params.Params{Removal: params.Removal{Enabled: true}}
	pngRes, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: params.FormatPNG})
	if err != nil {
		t.Fatal(err)
	}
	zipRes, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: params.FormatZIP})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipRes.Body), int64(len(zipRes.Body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		if f.Modified.Year() < 2000 {
			t.Errorf("%s has no valid timestamp: %v", f.Name, f.Modified)
		}
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if len(files) != 2 || files["color.jpg"] == nil || files["alpha.png"] == nil {
		t.Fatalf("zip holds %d files", len(files))
	}
	alphaImg, _, err := image.Decode(bytes.NewReader(files["alpha.png"]))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := alphaImg.(*image.Gray); !ok {
		t.Fatalf("alpha.png is %T, want 8-bit grayscale", alphaImg)
	}
	colorImg := decodeNRGBA(t, files["color.jpg"])
	want := decodeNRGBA(t, pngRes.Body)
	for _, pt := range [][2]int{{5, 5}, {200, 170}, {100, 100}, {299, 249}, {150, 120}} {
		a := alphaImg.(*image.Gray).GrayAt(pt[0], pt[1]).Y
		c := colorImg.NRGBAAt(pt[0], pt[1])
		got := color.NRGBA{c.R, c.G, c.B, a}
		w := want.NRGBAAt(pt[0], pt[1])
		if a == 0 && w.A == 0 {
			continue
		}
		// Compare what a viewer sees: premultiplied colour, and alpha.
		pm := func(c color.NRGBA) color.NRGBA {
			m := func(v uint8) uint8 { return uint8(int(v) * int(c.A) / 255) }
			return color.NRGBA{m(c.R), m(c.G), m(c.B), c.A}
		}
		if !near(pm(got), pm(w), 12) || got.A != w.A {
			t.Errorf("at %v: zip %v, png %v", pt, got, w)
		}
	}
}

func TestRemovalWithoutMatter(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodeJPEG(t, subjectImage())
	s, _ := pl.Probe(src)
	_, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: params.Params{Removal: params.Removal{Enabled: true}}, Format: params.FormatPNG})
	if es := params.AsErrors(err); es.Status() != 501 || es[0].Field != "rembg" {
		t.Fatalf("got %v", err)
	}
	_, err = NewPipeline(Options{Matter: &redMatter{}}).Process(context.Background(), &Request{Source: src, Info: s, Params: params.Params{Removal: params.Removal{Enabled: true, Model: "nope"}}, Format: params.FormatPNG})
	if es := params.AsErrors(err); es.Status() != 400 || es[0].Field != "model" {
		t.Fatalf("got %v", err)
	}
}

// A cut-out of a rect is decoded at the scale the rect needs, not the whole
// source's, and its edge options count in output pixels: erode=4 moves the
// edge 4 px into the subject (the red right half of the source, whose
// matte edge ramps over about 197-203 in source pixels), however the rect
// is scaled or turned.
func TestRemovalRect(t *testing.T) {
	pl := NewPipeline(Options{Matter: &redMatter{}})
	white := color.NRGBA{255, 255, 255, 255}
	cut := func(rect params.Rect, w int, mod func(p *params.Params)) params.Params {
		p := params.Params{Rect: rect, Width: w, Removal: params.Removal{Enabled: true}, Format: params.FormatPNG}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	erode := func(p *params.Params) { p.Removal.Erode = 4 }
	cases := []struct {
		name          string
		src           *image.NRGBA
		p             params.Params
		w, h          int
		samples       []sample // colour and alpha
		opaque, clear []image.Point
	}{
		// 1-px columns of two reds, both subject: kept as they are, not
		// a quarter-size decode enlarged 4x (a flat 207).
		{"sharp", stripes(400, 300, false, color.NRGBA{255, 0, 0, 255}, color.NRGBA{160, 0, 0, 255}), cut(params.Rect{W: 100, H: 75}, 100, nil), 100, 75,
			[]sample{{0, 30, color.NRGBA{255, 0, 0, 255}}, {1, 30, color.NRGBA{160, 0, 0, 255}}, {98, 30, color.NRGBA{255, 0, 0, 255}}, {99, 30, color.NRGBA{160, 0, 0, 255}}}, nil, nil},
		// Source x 150-250 at scale 1: the edge near 50, eroded to 54.
		{"eroded", halves(400, 300, white, red), cut(params.Rect{X: 150, W: 100, H: 75}, 100, erode), 100, 75,
			nil, []image.Point{{62, 30}, {99, 30}}, []image.Point{{50, 30}, {10, 30}}},
		// The same at half scale, from a source twice the size.
		{"eroded, halved", halves(800, 600, white, red), cut(params.Rect{X: 300, W: 200, H: 150}, 100, erode), 100, 75,
			nil, []image.Point{{62, 30}}, []image.Point{{50, 30}}},
		// Turned clockwise: the source's x runs down the output.
		{"eroded, turned", halves(400, 300, white, red), cut(params.Rect{X: 150, W: 100, H: 75}, 75, func(p *params.Params) { erode(p); p.Rotate = 90 }), 75, 100,
			nil, []image.Point{{37, 62}}, []image.Point{{37, 50}}},
	}
	for _, tc := range cases {
		res, img := runParams(t, pl, encodePNG(t, tc.src), tc.p)
		if res.Width != tc.w || res.Height != tc.h {
			t.Errorf("%s: %dx%d, want %dx%d", tc.name, res.Width, res.Height, tc.w, tc.h)
		}
		checkSamples(t, img, tc.samples, 8)
		checkAlpha(t, tc.name, img, tc.opaque, tc.clear)
	}
}

// checkAlpha checks that img is opaque (alpha ≥ 250) at every point of
// opaque and clear (alpha ≤ 5) at every point of clear.
func checkAlpha(t *testing.T, name string, img *image.NRGBA, opaque, clear []image.Point) {
	t.Helper()
	for _, pt := range opaque {
		if a := img.NRGBAAt(pt.X, pt.Y).A; a < 250 {
			t.Errorf("%s: alpha at %v is %d, want opaque", name, pt, a)
		}
	}
	for _, pt := range clear {
		if a := img.NRGBAAt(pt.X, pt.Y).A; a > 5 {
			t.Errorf("%s: alpha at %v is %d, want clear", name, pt, a)
		}
	}
}

// Erosion by a window larger than the matte (a 40x30 cut-out eroded by 15
// px: a 31 px window) erodes as on a larger image, the matte's edges
// repeated: the red right half's edge near x=20 moves to 35; eroded by
// 100 px, nothing is left.
func TestRemovalErodeSmallMatte(t *testing.T) {
	pl := NewPipeline(Options{Matter: &redMatter{}})
	src := encodePNG(t, halves(1000, 750, color.NRGBA{255, 255, 255, 255}, red))
	for _, tc := range []struct {
		erode         int
		opaque, clear []image.Point
	}{
		{15, []image.Point{{38, 15}, {39, 0}, {39, 29}}, []image.Point{{30, 15}, {0, 0}}},
		{100, nil, []image.Point{{38, 15}, {39, 29}}},
	} {
		p := params.Params{Width: 40, Removal: params.Removal{Enabled: true, Erode: tc.erode}, Format: params.FormatPNG}
		res, img := runParams(t, pl, src, p)
		if res.Width != 40 || res.Height != 30 {
			t.Fatalf("erode=%d: %dx%d, want 40x30", tc.erode, res.Width, res.Height)
		}
		checkAlpha(t, fmt.Sprintf("erode=%d", tc.erode), img, tc.opaque, tc.clear)
	}
}

// TestRemovalTinySource covers sources smaller than libvips' 3x3 trim window.
func TestRemovalTinySource(t *testing.T) {
	pl := NewPipeline(Options{Matter: &redMatter{}})
	src := encodePNG(t, halves(2, 2, red, blue))
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []params.Params{{Removal: params.Removal{Enabled: true}}, {Removal: params.Removal{Enabled: true, CropToForeground: true}}} {
		if _, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: params.FormatPNG}); err != nil {
			t.Fatalf("%+v: %v", p.Removal, err)
		}
	}
}

// TestRemovalTransparentSource cuts out a PNG that has an alpha channel of
// its own: where the source is transparent the cut-out stays transparent,
// and the subject keeps its colour.
func TestRemovalTransparentSource(t *testing.T) {
	img := subjectImage()
	for y := 0; y < 300; y++ { // the right half of the subject is see-through
		for x := 200; x < 400; x++ {
			c := img.NRGBAAt(x, y)
			c.A = 0
			img.SetNRGBA(x, y, c)
		}
	}
	src := encodePNG(t, img)
	pl := NewPipeline(Options{Matter: &redMatter{}})
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: params.Params{Removal: params.Removal{Enabled: true, Feather: 2}}, Format: params.FormatPNG})
	if err != nil {
		t.Fatal(err)
	}
	out := decodeNRGBA(t, res.Body)
	if got := out.NRGBAAt(150, 170); !near(got, red, 50) {
		t.Errorf("opaque subject: %v", got)
	}
	if got := out.NRGBAAt(250, 170); got.A > 10 {
		t.Errorf("transparent source became %v", got)
	}
	if got := out.NRGBAAt(250, 170); got.R|got.G|got.B != 0 {
		t.Errorf("an invisible pixel kept colour %v (should be zeroed)", got)
	}
}

// bigRedMatter is redMatter with a 256x256 input: a 500x375 source then
// fits within twice its side, so a cut-out at the source's size lends its
// decode to the model input. late keeps the model input of a call that
// answers from its "cache", to be rendered after Process has returned, as
// a flight that outlives its first caller would.
type bigRedMatter struct {
	inputs [][]byte
	late   func() ([]byte, error)
	cached []byte
}

func (m *bigRedMatter) Spec(string) (ModelSpec, error) {
	return ModelSpec{ID: "bigred@0000", Width: 256, Height: 256, Kernel: "linear"}, nil
}

func (m *bigRedMatter) Ready(model, sourceHash string) error { return nil }

func (m *bigRedMatter) Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error) {
	if m.cached != nil {
		m.late = input
		return m.cached, nil
	}
	rgb, err := input()
	if err != nil {
		return nil, err
	}
	m.inputs = append(m.inputs, rgb)
	mask := make([]byte, 256*256)
	for i := range mask {
		if r, g := rgb[3*i], rgb[3*i+1]; r > 150 && g < 100 {
			mask[i] = 255
		}
	}
	return mask, nil
}

// texturedSubject is 500x375: a red disc on a varied background, alpha 255
// or, with seeThrough, lower on the left.
func texturedSubject(seeThrough bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 500, 375))
	for y := 0; y < 375; y++ {
		for x := 0; x < 500; x++ {
			c := color.NRGBA{uint8(x * 255 / 500), uint8(y * 255 / 375), uint8((x ^ y) & 0xff), 255}
			if dx, dy := x-250, y-190; dx*dx+dy*dy < 120*120 {
				c = color.NRGBA{220, 30 + uint8(x%20), 40, 255}
			}
			if seeThrough && x < 100 {
				c.A = uint8(x * 2)
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// TestRemovalLendsItsDecode: where a cut-out at the source's size decodes
// exactly what the model input starts from, the model input made from that
// decode (lent) is byte for byte the one made from the source, for an
// opaque JPEG and a PNG with its own alpha; and a model input rendered
// after Process has returned (the job has its decode back) still works,
// from the source.
func TestRemovalLendsItsDecode(t *testing.T) {
	spec, _ := (&bigRedMatter{}).Spec("")
	for name, src := range map[string][]byte{
		"jpeg":        encodeJPEG(t, texturedSubject(false)),
		"png + alpha": encodePNG(t, texturedSubject(true)),
	} {
		m := &bigRedMatter{}
		pl := NewPipeline(Options{Matter: m})
		info, err := pl.Probe(src)
		if err != nil {
			t.Fatal(err)
		}
		if iw, ih := modelInputBox(info, spec); iw != 500 || ih != 375 {
			t.Fatalf("%s: model input box %dx%d, want the source's 500x375", name, iw, ih)
		}
		req := &Request{Source: src, Info: info, Params: params.Params{Removal: params.Removal{Enabled: true}}, Format: params.FormatPNG}
		res, err := pl.Process(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := modelInput(src, info, 0, spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.inputs) != 1 || !bytes.Equal(m.inputs[0], want) {
			t.Errorf("%s: the model input from the lent decode differs from the one decoded from the source", name)
		}
		if out := decodeNRGBA(t, res.Body); !near(out.NRGBAAt(250, 190), color.NRGBA{220, 40, 40, 255}, 30) || out.NRGBAAt(20, 20).A > 10 {
			t.Errorf("%s: cut-out subject %v, background %v", name, out.NRGBAAt(250, 190), out.NRGBAAt(20, 20))
		}

		m.cached = make([]byte, 256*256)
		if _, err := pl.Process(context.Background(), req); err != nil {
			t.Fatalf("%s, cached matte: %v", name, err)
		}
		late, err := m.late()
		if err != nil || !bytes.Equal(late, want) {
			t.Errorf("%s: a model input rendered after Process returned: %d bytes, %v", name, len(late), err)
		}
	}
}

func TestLentImage(t *testing.T) {
	vips.Init()
	img, err := vips.FromPixels(make([]byte, 12), 2, 2, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	taken := newLentImage(img.Clone())
	im := taken.take()
	if im == nil {
		t.Fatal("nothing to take from a fresh loan")
	}
	taken.giveBack() // taken: the taker closes it, not giveBack
	if im.Width() != 2 {
		t.Error("giveBack closed an image the model input had taken")
	}
	im.Close()
	if taken.take() != nil {
		t.Error("an image taken twice")
	}
	back := newLentImage(img.Clone())
	back.giveBack()
	if back.take() != nil {
		t.Error("an image taken after it was given back")
	}
}
