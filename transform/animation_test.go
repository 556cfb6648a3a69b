package transform

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/jebosio/matte/dialect/cloudimage"
	"github.com/jebosio/matte/internal/testimages"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// animatedGIF is a 40x20 GIF of three frames, red, green and blue, shown
// for 10, 20 and 30 centiseconds, looping forever.
func animatedGIF(t *testing.T) []byte {
	t.Helper()
	b, err := testimages.AnimatedGIF(40, 20, []color.Color{red, green, blue}, []int{10, 20, 30})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gifFrames decodes a GIF into the images a viewer shows, each frame drawn
// over the ones before it (an encoder may store only what changes), and
// its delays (centiseconds) and loop count.
func gifFrames(t *testing.T, body []byte) (frames []*image.RGBA, delays []int, loop int) {
	t.Helper()
	g, err := gif.DecodeAll(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	canvas := image.NewRGBA(image.Rect(0, 0, g.Config.Width, g.Config.Height))
	for _, f := range g.Image {
		draw.Draw(canvas, f.Bounds(), f, f.Bounds().Min, draw.Over)
		frames = append(frames, image.NewRGBA(canvas.Bounds()))
		copy(frames[len(frames)-1].Pix, canvas.Pix)
	}
	return frames, g.Delay, g.LoopCount
}

// webpFrames decodes an animated WebP with libvips: its frames as one
// stack, the height of a frame, and the delays (milliseconds).
func webpFrames(t *testing.T, body []byte) (stack *vips.Image, frames, pageHeight int, delays []int) {
	t.Helper()
	if !bytes.Contains(body[:min(len(body), 64)], []byte("ANIM")) && bytes.Count(body, []byte("ANMF")) == 0 {
		return nil, 1, 0, nil
	}
	stack, err := vips.LoadFrames(body, 0, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Close)
	pageHeight = stack.PageHeight()
	frames = stack.Height() / pageHeight
	delays, _ = stack.Animation(frames)
	return stack, frames, pageHeight, delays
}

// nrgba is c as NRGBA.
func nrgba(c color.Color) color.NRGBA { return color.NRGBAModel.Convert(c).(color.NRGBA) }

func TestAnimatedGIF(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := animatedGIF(t)
	res, err := process(t, pl, src, mustParse(t, "w=20&border=2,000000"), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != params.FormatGIF || res.Width != 20 || res.Height != 10 {
		t.Fatalf("answer %v %dx%d, want a 20x10 GIF", res.Format, res.Width, res.Height)
	}
	frames, delays, loop := gifFrames(t, res.Body)
	if len(frames) != 3 {
		t.Fatalf("%d frames, want 3", len(frames))
	}
	for i, want := range []color.NRGBA{red, green, blue} {
		f := frames[i]
		if b := f.Bounds(); b.Dx() != 20 || b.Dy() != 10 {
			t.Errorf("frame %d is %v, want 20x10", i+1, b)
		}
		if !near(nrgba(f.At(10, 5)), want, 24) || !near(nrgba(f.At(0, 0)), color.NRGBA{A: 255}, 24) {
			t.Errorf("frame %d: centre %v, corner %v; want %v inside a black border", i+1, f.At(10, 5), f.At(0, 0), want)
		}
	}
	if want := []int{10, 20, 30}; len(delays) != 3 || delays[0] != want[0] || delays[1] != want[1] || delays[2] != want[2] {
		t.Errorf("delays %v (centiseconds), want %v: the source's", delays, want)
	}
	if loop != 0 {
		t.Errorf("loop count %d, want 0 (forever, as the source)", loop)
	}
}

// TestAnimatedFramesSourceFit: what the handler plans before Process
// (AnimatedFrames) decides the fit that depends on the source as Process
// does. Cloudflare fit=crop,gravity=auto over a 40x20 animation of three
// frames: in a 1000x1000 box it is scale-down, no smart crop, and plays
// every frame; in a 10x10 box it is cover with the smart crop, one frame.
func TestAnimatedFramesSourceFit(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := animatedGIF(t)
	info, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		box, playing, decoded, w, h int
	}{{1000, 3, 3, 40, 20}, {10, 0, 1, 10, 10}} {
		p := cfCropAuto(tc.box)
		p.Format, p.AutoFormat = params.FormatWebP, false
		if playing, decoded := pl.AnimatedFrames(p, info, p.Format); playing != tc.playing || decoded != tc.decoded {
			t.Errorf("%dx%d box: AnimatedFrames = %d playing, %d decoded; want %d, %d", tc.box, tc.box, playing, decoded, tc.playing, tc.decoded)
		}
		res, err := pl.Process(context.Background(), &Request{Source: src, Info: info, Params: p, Format: p.Format})
		if err != nil {
			t.Fatal(err)
		}
		_, frames, _, _ := webpFrames(t, res.Body)
		if want := max(tc.playing, 1); frames != want || res.Width != tc.w || res.Height != tc.h {
			t.Errorf("%dx%d box: Process answers %d frames %dx%d; want %d frames %dx%d", tc.box, tc.box, frames, res.Width, res.Height, want, tc.w, tc.h)
		}
	}
}

func TestAnimatedWebP(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := animatedGIF(t)
	for _, tc := range []struct {
		query, accept string
	}{
		{"w=20&fm=webp&flip=h", ""},
		{"w=20&auto=format&flip=h", "image/avif,image/webp,*/*"}, // AVIF would be a still
	} {
		res, err := process(t, pl, src, mustParse(t, tc.query), tc.accept)
		if err != nil {
			t.Fatal(err)
		}
		if res.Format != params.FormatWebP || res.Width != 20 || res.Height != 10 {
			t.Fatalf("%s: answer %v %dx%d, want a 20x10 WebP", tc.query, res.Format, res.Width, res.Height)
		}
		stack, n, ph, delays := webpFrames(t, res.Body)
		if n != 3 || ph != 10 {
			t.Fatalf("%s: %d frames of %d rows, want 3 of 10", tc.query, n, ph)
		}
		for i, want := range []color.NRGBA{red, green, blue} {
			px, err := stack.Point(10, i*ph+5)
			if err != nil {
				t.Fatal(err)
			}
			if got := (color.NRGBA{uint8(px[0]), uint8(px[1]), uint8(px[2]), 255}); !near(got, want, 24) {
				t.Errorf("%s: frame %d is %v, want %v", tc.query, i+1, got, want)
			}
		}
		if len(delays) != 3 || delays[0] != 100 || delays[1] != 200 || delays[2] != 300 {
			t.Errorf("%s: delays %v ms, want [100 200 300]", tc.query, delays)
		}
	}
}

// An animated WebP source is animated too, and a GIF whose later frames
// store only what changes (a sub-rectangle drawn over the frame before, as
// GIF optimisers write them) is answered with whole frames.
func TestAnimatedSources(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	webp, err := process(t, pl, animatedGIF(t), params.Params{Format: params.FormatWebP, Lossless: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := process(t, pl, webp.Body, params.Params{Width: 20, Format: params.FormatGIF}, "")
	if err != nil {
		t.Fatal(err)
	}
	frames, delays, _ := gifFrames(t, res.Body)
	if len(frames) != 3 || !near(nrgba(frames[1].At(10, 5)), green, 24) || len(delays) != 3 || delays[2] != 30 {
		t.Errorf("from an animated WebP: %d frames, delays %v; want 3, the second green, the last 30 cs", len(frames), delays)
	}

	patched := &gif.GIF{Image: []*image.Paletted{image.NewPaletted(image.Rect(0, 0, 40, 20), palette.Plan9), image.NewPaletted(image.Rect(0, 0, 10, 10), palette.Plan9)},
		Delay: []int{10, 10}, Disposal: []byte{gif.DisposalNone, gif.DisposalNone}}
	for i, c := range []color.Color{red, green} {
		f := patched.Image[i]
		for p := range f.Pix {
			f.Pix[p] = uint8(f.Palette.Index(c))
		}
	}
	var src bytes.Buffer
	if err := gif.EncodeAll(&src, patched); err != nil {
		t.Fatal(err)
	}
	res, err = process(t, pl, src.Bytes(), params.Params{Width: 40, Format: params.FormatWebP, Lossless: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	stack, n, ph, _ := webpFrames(t, res.Body)
	if n != 2 || ph != 20 {
		t.Fatalf("%d frames of %d rows, want 2 of 20", n, ph)
	}
	for _, c := range []struct {
		x, y int
		want color.NRGBA
	}{{5, 5, red}, {30, 15, red}, {5, 20 + 5, green}, {30, 20 + 15, red}} {
		px, err := stack.Point(c.x, c.y)
		if err != nil {
			t.Fatal(err)
		}
		if got := (color.NRGBA{uint8(px[0]), uint8(px[1]), uint8(px[2]), 255}); !near(got, c.want, 8) {
			t.Errorf("stack pixel (%d,%d) = %v, want %v (frame 2: the first with a green patch)", c.x, c.y, got, c.want)
		}
	}
}

// Where the format holds no animation, the Params ask for one frame, or a
// step would treat frames apart, the answer is the first frame.
func TestAnimatedSourceFirstFrame(t *testing.T) {
	src := animatedGIF(t)
	wide := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	small := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000, MaxSourcePixels: 40 * 20 * 2}}) // one frame fits, three do not
	for _, tc := range []struct {
		name   string
		pl     *Pipeline
		p      params.Params
		accept string
	}{
		{"JPEG", wide, params.Params{Width: 20, Format: params.FormatJPEG}, ""},
		{"PNG", wide, params.Params{Width: 20, Format: params.FormatPNG}, ""},
		{"auto=format, no WebP accepted", wide, params.Params{Width: 20, Format: params.FormatAVIF, AutoFormat: true}, ""},
		{"FramesFirst, GIF", wide, params.Params{Width: 20, Format: params.FormatGIF, Frames: params.FramesFirst}, ""},
		{"FramesFirst, WebP", wide, params.Params{Width: 20, Format: params.FormatWebP, Frames: params.FramesFirst}, ""},
		{"FramesGIF, WebP", wide, params.Params{Width: 20, Format: params.FormatWebP, Frames: params.FramesGIF}, ""},
		{"smart crop", wide, params.Params{Width: 20, Height: 20, Fit: params.FitCrop, Crop: params.CropEntropy, Format: params.FormatGIF}, ""},
		{"trim", wide, params.Params{Width: 20, Trim: true, Format: params.FormatGIF}, ""},
		{"normalize", wide, params.Params{Width: 20, Normalize: true, Format: params.FormatGIF}, ""},
		{"frames over max_source_megapixels", small, params.Params{Width: 20, Format: params.FormatGIF}, ""},
	} {
		res, err := process(t, tc.pl, src, tc.p, tc.accept)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		frames := 1
		switch res.Format {
		case params.FormatGIF:
			f, _, _ := gifFrames(t, res.Body)
			frames = len(f)
			if !near(nrgba(f[0].At(2, 2)), red, 24) {
				t.Errorf("%s: %v, want the first frame's red", tc.name, f[0].At(2, 2))
			}
		case params.FormatWebP:
			_, frames, _, _ = webpFrames(t, res.Body)
		}
		if frames != 1 {
			t.Errorf("%s: %v with %d frames, want the first frame alone", tc.name, res.Format, frames)
		}
	}
}

// params.Animation picks, orders and times the frames (imgix's frame,
// interval, reverse, fps, loop); a rect cuts every frame alike.
func TestAnimationSelection(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := animatedGIF(t)
	for _, tc := range []struct {
		name   string
		a      params.Animation
		rect   params.Rect
		want   []color.NRGBA
		delays []int // centiseconds
		loop   int   // Go's LoopCount: 0 forever, -1 once, n: n more times (params' Loop n plays n times)
	}{
		{"all", params.Animation{}, params.Rect{}, []color.NRGBA{red, green, blue}, []int{10, 20, 30}, 0},
		{"rect", params.Animation{}, params.Rect{X: 10, Y: 5, W: 20, H: 10}, []color.NRGBA{red, green, blue}, []int{10, 20, 30}, 0},
		{"range 2-3", params.Animation{First: 2, Last: 3}, params.Rect{}, []color.NRGBA{green, blue}, []int{20, 30}, 0},
		{"range 2-", params.Animation{First: 2}, params.Rect{}, []color.NRGBA{green, blue}, []int{20, 30}, 0},
		{"range -2", params.Animation{Last: 2}, params.Rect{}, []color.NRGBA{red, green}, []int{10, 20}, 0},
		{"range past the end", params.Animation{First: 2, Last: 9}, params.Rect{}, []color.NRGBA{green, blue}, []int{20, 30}, 0},
		{"interval 2", params.Animation{Interval: 2}, params.Rect{}, []color.NRGBA{red, blue}, []int{10, 30}, 0},
		{"reverse", params.Animation{Reverse: true}, params.Rect{}, []color.NRGBA{blue, green, red}, []int{30, 20, 10}, 0},
		{"fps 25", params.Animation{FPS: 25}, params.Rect{}, []color.NRGBA{red, green, blue}, []int{4, 4, 4}, 0},
		{"loop 3", params.Animation{Loop: 3, LoopSet: true}, params.Rect{}, []color.NRGBA{red, green, blue}, []int{10, 20, 30}, 2},
		{"loop 1", params.Animation{Loop: 1, LoopSet: true}, params.Rect{}, []color.NRGBA{red, green, blue}, []int{10, 20, 30}, -1},
		{"frame 2", params.Animation{First: 2, Last: 2}, params.Rect{}, []color.NRGBA{green}, nil, 0},
	} {
		res, err := process(t, pl, src, params.Params{Width: 20, Rect: tc.rect, Format: params.FormatGIF, Animation: tc.a}, "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		frames, delays, loop := gifFrames(t, res.Body)
		if len(frames) != len(tc.want) {
			t.Fatalf("%s: %d frames, want %d", tc.name, len(frames), len(tc.want))
		}
		for i, want := range tc.want {
			if got := nrgba(frames[i].At(10, 5)); !near(got, want, 24) {
				t.Errorf("%s: frame %d is %v, want %v", tc.name, i+1, got, want)
			}
		}
		if tc.delays != nil && (!slices.Equal(delays, tc.delays) || loop != tc.loop) {
			t.Errorf("%s: delays %v, loop %d; want %v, %d", tc.name, delays, loop, tc.delays, tc.loop)
		}
	}
	// One frame picked: a still of it in any format, through every step
	// (trim reads that frame's own pixels).
	for _, p := range []params.Params{{Width: 20, Format: params.FormatJPEG, Animation: params.Animation{First: 3, Last: 3}},
		{Width: 20, Format: params.FormatPNG, Trim: true, Animation: params.Animation{First: 3, Last: 3}},
		{Width: 20, Format: params.FormatJPEG, Animation: params.Animation{First: 3}}} {
		res, err := process(t, pl, src, p, "")
		if err != nil {
			t.Fatal(err)
		}
		img := decodeNRGBA(t, res.Body)
		if got := img.NRGBAAt(img.Bounds().Dx()/2, img.Bounds().Dy()/2); !near(got, blue, 24) {
			t.Errorf("%s: %v, want frame 3's blue", p.Key(), got)
		}
	}
	_, err := process(t, pl, src, params.Params{Width: 20, Format: params.FormatGIF, Animation: params.Animation{First: 4}}, "")
	var pe *params.Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Field != "frame" {
		t.Errorf("frame 4 of 3: %v, want a 400 on frame", err)
	}
}

// The frames' working set counts all of them: too many pixels together is a
// 400 output_too_large before the frames are processed.
func TestAnimationWorkingSetBound(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000, MaxWorkingPixels: 40 * 20 * 3 / 2}})
	_, err := process(t, pl, animatedGIF(t), params.Params{Width: 40, Format: params.FormatGIF}, "")
	var pe *params.Error
	if !errors.As(err, &pe) || pe.Code != params.CodeOutputTooLarge {
		t.Fatalf("err %v, want output_too_large", err)
	}
}

// A truncated animation is never an internal error: libvips' GIF loader
// reads what the file holds, as browsers show it (the frames it has, the
// cut one drawn as far as it goes); a cut within the header is a corrupt
// source (a client's 4xx).
func TestAnimationTruncated(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := animatedGIF(t)
	for _, cut := range []int{len(src) - 1, len(src) * 2 / 3, len(src) / 2, len(src) / 4, 20} {
		s, err := pl.Probe(src[:cut])
		var res Result
		if err == nil {
			p := params.Params{Width: 20, Format: params.FormatGIF}
			res, err = pl.Process(context.Background(), &Request{Source: src[:cut], Info: s, Params: p, Format: params.FormatGIF})
		}
		var pe *params.Error
		switch {
		case err == nil:
			frames, _, _ := gifFrames(t, res.Body)
			t.Logf("cut at %d of %d bytes: %d frames", cut, len(src), len(frames))
			if len(frames) == 0 || !near(nrgba(frames[0].At(10, 5)), red, 24) {
				t.Errorf("cut at %d: %d frames, want the first one red at least", cut, len(frames))
			}
		case !errors.As(err, &pe) || pe.Status < 400 || pe.Status >= 500:
			t.Errorf("cut at %d of %d bytes: %v, want an answer or a 4xx", cut, len(src), err)
		}
	}
}

// selectFrames is a table of imgix's selections over a 10-frame source.
func TestSelectFrames(t *testing.T) {
	for _, tc := range []struct {
		a    params.Animation
		want []int
	}{
		{params.Animation{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{params.Animation{First: 3, Last: 5}, []int{2, 3, 4}},
		{params.Animation{First: 8}, []int{7, 8, 9}},
		{params.Animation{Last: 2}, []int{0, 1}},
		{params.Animation{Last: 99}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{params.Animation{Interval: 4}, []int{0, 4, 8}},
		{params.Animation{First: 2, Last: 9, Interval: 3, Reverse: true}, []int{7, 4, 1}},
		{params.Animation{First: 10, Last: 10}, []int{9}},
		{params.Animation{First: 5, Last: 2}, []int{4}},
	} {
		got, err := selectFrames(tc.a, 10)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v %v, want %v", tc.a, got, err, tc.want)
		}
	}
	if _, err := selectFrames(params.Animation{First: 11}, 10); err == nil {
		t.Error("frame 11 of 10 was selected")
	}
}

// Each frame of an animated answer is the still answer for that frame
// (frame=N: the frame alone as a source, through the still path), pixel for
// pixel in lossless WebP (the colour under alpha 0 aside, which lossless
// WebP does not keep): the frames path runs the same steps on the same
// pixels. The frames are a real photo panned, so resampling, rotation, the
// border's antialiasing and the text all matter.
func TestAnimationFramesMatchStills(t *testing.T) {
	photo := animalPhoto(t)
	img, err := jpeg.Decode(bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	anim := &gif.GIF{}
	for i := range 4 {
		frame := image.NewPaletted(image.Rect(0, 0, 120, 80), palette.Plan9)
		draw.Draw(frame, frame.Bounds(), img, image.Pt(200+40*i, 200), draw.Src)
		anim.Image, anim.Delay = append(anim.Image, frame), append(anim.Delay, 5)
	}
	var src bytes.Buffer
	if err := gif.EncodeAll(&src, anim); err != nil {
		t.Fatal(err)
	}
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	const query = "w=70&rot=17&bg=ffffff&border=3,1e3a8a&border-radius=9&sepia=40&txt=M&txt-size=14&txt-color=fff&fm=webp&lossless=1"
	res, err := process(t, pl, src.Bytes(), mustParse(t, query), "")
	if err != nil {
		t.Fatal(err)
	}
	stack, n, ph, _ := webpFrames(t, res.Body)
	if n != 4 {
		t.Fatalf("%d frames, want 4", n)
	}
	for i := range n {
		still, err := process(t, pl, src.Bytes(), mustParse(t, query+"&frame="+strconv.Itoa(i+1)), "")
		if err != nil {
			t.Fatal(err)
		}
		want := decodeNRGBA(t, still.Body)
		if want.Bounds().Dx() != stack.Width() || want.Bounds().Dy() != ph {
			t.Fatalf("frame %d: still %v, animated frames %dx%d", i+1, want.Bounds(), stack.Width(), ph)
		}
		worst := 0
		for y := range ph {
			for x := range stack.Width() {
				px, err := stack.Point(x, i*ph+y)
				if err != nil {
					t.Fatal(err)
				}
				w := want.NRGBAAt(x, y)
				if len(px) < 4 {
					t.Fatalf("frame %d has %d bands, want RGBA (the rounded corners)", i+1, len(px))
				}
				worst = max(worst, absInt(int(px[3])-int(w.A)))
				if w.A == 0 {
					continue // lossless WebP may keep any colour under alpha 0
				}
				for c, v := range []uint8{w.R, w.G, w.B} {
					worst = max(worst, absInt(int(px[c])-int(v)))
				}
			}
		}
		if worst > 0 {
			t.Errorf("frame %d differs from its still by up to %d/255", i+1, worst)
		}
	}
}

// TestKernelAnimationFrames: Params.Kernel resamples every frame of an
// animation, as it does a still. Two frames, each a 2x2 checkerboard of red
// and blue (the second the first's opposite), enlarged to 8x8: with nearest
// each frame is four flat 4x4 blocks in its own order; with the default
// (Lanczos 3) the colours blend at the seams.
func TestKernelAnimationFrames(t *testing.T) {
	pal := color.Palette{red, blue}
	board := func(first uint8) *image.Paletted {
		img := image.NewPaletted(image.Rect(0, 0, 2, 2), pal)
		img.SetColorIndex(0, 0, first)
		img.SetColorIndex(1, 1, first)
		img.SetColorIndex(1, 0, 1-first)
		img.SetColorIndex(0, 1, 1-first)
		return img
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{board(0), board(1)}, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}
	pl := NewPipeline(Options{})
	near := func(c color.Color, want color.NRGBA) bool {
		r, g, b, _ := c.RGBA()
		d := func(a uint32, w uint8) int { return max(int(a>>8)-int(w), int(w)-int(a>>8)) }
		return d(r, want.R) <= 8 && d(g, want.G) <= 8 && d(b, want.B) <= 8
	}
	res, err := process(t, pl, buf.Bytes(), params.Params{Width: 8, Fit: params.FitClip, Kernel: params.KernelNearest, Format: params.FormatGIF}, "")
	if err != nil {
		t.Fatal(err)
	}
	frames, _, _ := gifFrames(t, res.Body)
	if len(frames) != 2 || frames[0].Bounds().Dx() != 8 || frames[0].Bounds().Dy() != 8 {
		t.Fatalf("got %d frames of %v, want 2 of 8x8", len(frames), frames[0].Bounds())
	}
	for i, f := range frames {
		for y := range 8 {
			for x := range 8 {
				want := red
				if ((x < 4) != (y < 4)) != (i == 1) {
					want = blue
				}
				if got := f.At(x, y); !near(got, want) {
					t.Fatalf("kernel=nearest, frame %d: pixel (%d,%d) = %v, want %v", i, x, y, got, want)
				}
			}
		}
	}
	res, err = process(t, pl, buf.Bytes(), params.Params{Width: 8, Fit: params.FitClip, Format: params.FormatGIF}, "")
	if err != nil {
		t.Fatal(err)
	}
	frames, _, _ = gifFrames(t, res.Body)
	for i, f := range frames {
		if c := f.At(3, 1); near(c, red) || near(c, blue) {
			t.Errorf("default kernel, frame %d: pixel (3,1) = %v, want red and blue blended at the seam", i, c)
		}
	}
}

// p3AnimatedWebP is a 16x8 lossless animated WebP of two frames of c (the
// top-left pixel's red apart), tagged with a Display P3 profile (animal-1.jpg's sRGB profile given P3's
// colourants); it skips without the shared test data.
func p3AnimatedWebP(t *testing.T, c color.NRGBA) []byte {
	t.Helper()
	photo := animalPhoto(t)
	app2 := bytes.Index(photo, []byte("\xff\xe2"))
	if app2 < 0 || !bytes.HasPrefix(photo[app2+4:], []byte("ICC_PROFILE\x00")) {
		t.Fatal("animal-1.jpg: no ICC_PROFILE segment")
	}
	profile := bytes.Clone(photo[app2+4+14 : app2+2+int(binary.BigEndian.Uint16(photo[app2+2:]))])
	for sig, xyz := range map[string][3]float64{
		"rXYZ": {0.5151, 0.2412, -0.0011}, "gXYZ": {0.2920, 0.6922, 0.0419}, "bXYZ": {0.1571, 0.0666, 0.7841},
	} {
		found := false
		for i := range int(binary.BigEndian.Uint32(profile[128:])) {
			entry := profile[132+12*i:]
			if string(entry[:4]) != sig {
				continue
			}
			off := binary.BigEndian.Uint32(entry[4:])
			for k, v := range xyz {
				binary.BigEndian.PutUint32(profile[off+8+4*uint32(k):], uint32(int32(math.Round(v*65536))))
			}
			found = true
		}
		if !found {
			t.Fatalf("animal-1.jpg's profile has no %s tag", sig)
		}
	}
	webp := losslessAnimatedWebP(t, 16, 8, 2, func(i int) []byte {
		pix := bytes.Repeat([]byte{c.R, c.G, c.B}, 16*8)
		pix[0] = uint8(i) // frames that differ, which libwebp keeps apart
		return pix
	})
	// RIFF chunks: VP8X first, whose flags get the ICC bit (0x20), then
	// ICCP, which must follow it.
	if string(webp[12:16]) != "VP8X" {
		t.Fatalf("the animated WebP starts with %q, want VP8X", webp[12:16])
	}
	vp8x := webp[:12+8+10]
	vp8x[20] |= 0x20
	iccp := binary.LittleEndian.AppendUint32([]byte("ICCP"), uint32(len(profile)))
	iccp = append(iccp, profile...)
	if len(profile)%2 == 1 {
		iccp = append(iccp, 0)
	}
	out := append(append(append([]byte{}, vp8x...), iccp...), webp[len(vp8x):]...)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// A still of a later frame converts its colours through the source's
// profile, as one of the first frame does: the two frames of a Display P3
// animated WebP, both P3 (200, 100, 50), come out alike, as that colour's
// sRGB (not the P3 numbers read as sRGB).
func TestStillFrameKeepsProfile(t *testing.T) {
	src := p3AnimatedWebP(t, color.NRGBA{200, 100, 50, 255})
	pl := NewPipeline(Options{})
	want := color.NRGBA{215, 93, 31, 255} // P3 (200, 100, 50) in sRGB
	for _, frame := range []int{1, 2} {
		p := params.Params{Format: params.FormatPNG, Animation: params.Animation{First: frame, Last: frame}}
		res, img := runParams(t, pl, src, p)
		if res.Width != 16 || res.Height != 8 {
			t.Fatalf("frame %d: %dx%d, want 16x8", frame, res.Width, res.Height)
		}
		if got := img.NRGBAAt(8, 4); !near(got, want, 2) {
			t.Errorf("frame %d: %v, want %v", frame, got, want)
		}
	}
}

// animalPhoto is the shared test data's photos/animal-1.jpg (1000x667, with
// an sRGB profile); it skips without the shared test data.
func animalPhoto(t *testing.T) []byte {
	t.Helper()
	dir := testimages.SharedTestdata()
	if dir == "" {
		t.Skip("skipping: shared testdata folder absent (set MATTE_TESTDATA, or put it at ../shared/testdata)")
	}
	photo, err := os.ReadFile(filepath.Join(dir, "photos", "animal-1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return photo
}

// orientedAnimatedWebP is a 32x16 lossless animated WebP of three frames,
// each red on its left half and blue on its right (the top-left pixel's
// green apart, so that libwebp keeps the frames apart), with an EXIF chunk
// of orientation o (the WebP container: VP8X flag 0x08, the EXIF chunk
// after the frames, holding a TIFF header and IFD).
func orientedAnimatedWebP(t *testing.T, o uint16) []byte {
	t.Helper()
	webp := losslessAnimatedWebP(t, 32, 16, 3, func(i int) []byte {
		pix := make([]byte, 0, 32*16*3)
		for y := range 16 {
			for x := range 32 {
				switch {
				case x == 0 && y == 0:
					pix = append(pix, 255, uint8(i), 0)
				case x < 16:
					pix = append(pix, 255, 0, 0)
				default:
					pix = append(pix, 0, 0, 255)
				}
			}
		}
		return pix
	})
	if string(webp[12:16]) != "VP8X" {
		t.Fatalf("the animated WebP starts with %q, want VP8X", webp[12:16])
	}
	webp[20] |= 0x08 // EXIF metadata
	var exif []byte
	exif = append(exif, "II*\x00"...)
	exif = binary.LittleEndian.AppendUint32(exif, 8)
	exif = binary.LittleEndian.AppendUint16(exif, 1)      // one entry
	exif = binary.LittleEndian.AppendUint16(exif, 0x0112) // Orientation
	exif = binary.LittleEndian.AppendUint16(exif, 3)      // SHORT
	exif = binary.LittleEndian.AppendUint32(exif, 1)
	exif = binary.LittleEndian.AppendUint16(exif, o)
	exif = binary.LittleEndian.AppendUint16(exif, 0)
	exif = binary.LittleEndian.AppendUint32(exif, 0) // no next IFD
	out := append(webp, "EXIF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(exif)))
	out = append(out, exif...) // even length: no pad byte
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// TestStillFrameOrientation: a still of a later frame is turned upright
// by the source's EXIF orientation, as the first frame is: orientation 6
// (turned a quarter clockwise to show) makes the 32x16 frames, red left and
// blue right, 16x32 with red on top. With orient set, the frame is turned
// by that orientation instead (1: as stored).
func TestStillFrameOrientation(t *testing.T) {
	src := orientedAnimatedWebP(t, 6)
	pl := NewPipeline(Options{})
	if res, _ := run(t, pl, src, "fm=png&frame=1", ""); res.Width == 32 {
		// Debian's libvips 8.14 does not read an animated WebP's EXIF
		// chunk: no frame is turned, the first as every other.
		for _, q := range []string{"fm=png&frame=2", "fm=png&frame=3"} {
			if res, _ := run(t, pl, src, q, ""); res.Width != 32 || res.Height != 16 {
				t.Errorf("%s: %dx%d, but frame 1 is 32x16 as stored", q, res.Width, res.Height)
			}
		}
		t.Skipf("this libvips (%s) reads no EXIF orientation from an animated WebP; every frame is as stored", vips.Info().Version)
	}
	for _, c := range []struct {
		query         string
		w, h          int
		redAt, blueAt image.Point
	}{
		{"fm=png&frame=1", 16, 32, image.Pt(8, 4), image.Pt(8, 28)},
		{"fm=png&frame=2", 16, 32, image.Pt(8, 4), image.Pt(8, 28)},
		{"fm=png&frame=3", 16, 32, image.Pt(8, 4), image.Pt(8, 28)},
		{"fm=png&frame=2&orient=1", 32, 16, image.Pt(4, 8), image.Pt(28, 8)},
		{"fm=png&frame=2&orient=8", 16, 32, image.Pt(8, 28), image.Pt(8, 4)},
	} {
		res, img := run(t, pl, src, c.query, "")
		if res.Width != c.w || res.Height != c.h {
			t.Errorf("%s: %dx%d, want %dx%d", c.query, res.Width, res.Height, c.w, c.h)
			continue
		}
		if got := img.NRGBAAt(c.redAt.X, c.redAt.Y); !near(got, red, 8) {
			t.Errorf("%s: %v at %v, want red", c.query, got, c.redAt)
		}
		if got := img.NRGBAAt(c.blueAt.X, c.blueAt.Y); !near(got, blue, 8) {
			t.Errorf("%s: %v at %v, want blue", c.query, got, c.blueAt)
		}
	}
	// Mattes and faces are cached under the frame's hash: an upright frame
	// is not the one as stored, which they were found on before.
	runtime.LockOSThread()
	defer vips.EndThread()
	for _, c := range []struct {
		orientation int
		hash, want  string
	}{
		{0, "abc", "abc;frame=2;upright"},
		{1, "abc;or=1", "abc;or=1;frame=2"},
	} {
		r, err := stillFrame(&Request{Source: src, Info: Source{Hash: c.hash}, Params: params.Params{Orientation: c.orientation}}, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Info.Hash != c.want {
			t.Errorf("orientation %d: hash %q, want %q", c.orientation, r.Info.Hash, c.want)
		}
	}
}

// TestAnimatableSmartCrop: a smart crop (entropy, attention) decides per
// frame, whichever fit crops: an animation under it is one frame. The
// fits imgproxy's fill maps to crop as FitCrop does.
func TestAnimatableSmartCrop(t *testing.T) {
	src := Source{Width: 40, Height: 20}
	for _, fit := range []params.Fit{params.FitCrop, params.FitMin, params.FitCropDown, params.FitCropDownPad, params.FitMinPad} {
		p := params.Params{Width: 10, Height: 10, Fit: fit, Crop: params.CropEntropy}
		if animatable(p, src) {
			t.Errorf("fit %v with crop=entropy is animatable", fit)
		}
		p.Crop = params.CropCenter
		if !animatable(p, src) {
			t.Errorf("fit %v centred is not animatable", fit)
		}
	}
}

// TestAnimatableKeptSource: where Cloudimage's org_if_sml=1 keeps the
// 40x20 source as it is (a box wider or taller than it), nothing is cut,
// so gravity=auto's smart crop and func=face's placing of the cut decide
// nothing per frame: the frames stay. A box within the source is cut as
// usual (one frame), as is a request whose faces are obscured, or whose
// trim decides the region from the pixels.
func TestAnimatableKeptSource(t *testing.T) {
	src := Source{Width: 40, Height: 20}
	keep := func(w, h int, mod func(*params.Params)) params.Params {
		p := params.Params{Width: w, Height: h, Fit: params.FitCrop, Crop: params.CropAttention, KeepSourceIfBoxExceeds: true}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	face := func(p *params.Params) { p.Faces.Crop = true }
	for _, c := range []struct {
		name string
		p    params.Params
		want bool
	}{
		{"smart, box taller", keep(30, 30, nil), true},
		{"smart, box wider", keep(50, 10, nil), true},
		{"smart, box within", keep(20, 10, nil), false},
		{"smart, no org_if_sml", func() params.Params { p := keep(100, 100, nil); p.KeepSourceIfBoxExceeds = false; return p }(), false},
		{"face, box larger", keep(100, 100, face), true},
		{"face, box within", keep(20, 10, face), false},
		{"face, blurred", keep(100, 100, func(p *params.Params) { face(p); p.Faces.Blur = 50 }), false},
		{"smart, trimmed", keep(100, 100, func(p *params.Params) { p.Trim = true }), false},
		// A quarter turn plans on the 20x40 turned source: 30x30 is
		// wider, 20x30 within (it is taller than the unturned 40x20).
		{"smart, turned", keep(30, 30, func(p *params.Params) { p.Rotate = 90 }), true},
		{"smart, turned, within", keep(20, 30, func(p *params.Params) { p.Rotate = 90 }), false},
	} {
		if got := animatable(c.p, src); got != c.want {
			t.Errorf("%s: animatable = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestAnimatedKeptSource: an animated GIF under Cloudimage's
// w=100&h=100&gravity=auto&org_if_sml=1 (a box larger than the 40x20
// source) is answered as it is, every frame of it; it was one frame.
func TestAnimatedKeptSource(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := animatedGIF(t)
	for _, q := range []string{"func=crop&gravity=auto", "func=crop&gravity=smart", "func=face"} {
		u, err := url.Parse("/v7/a.gif?w=100&h=100&org_if_sml=1&" + q)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := cloudimage.New().Parse(u)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		res, err := process(t, pl, src, img.Params, "")
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if res.Format != params.FormatGIF || res.Width != 40 || res.Height != 20 {
			t.Fatalf("%s: answer %v %dx%d, want the 40x20 GIF", q, res.Format, res.Width, res.Height)
		}
		if frames, _, _ := gifFrames(t, res.Body); len(frames) != 3 {
			t.Errorf("%s: %d frames, want the source's 3", q, len(frames))
		}
	}
}

// losslessAnimatedWebP is a w x h lossless animated WebP of n frames, frame
// i's RGB pixels given by pixels(i), each shown 100 ms.
func losslessAnimatedWebP(t *testing.T, w, h, n int, pixels func(i int) []byte) []byte {
	t.Helper()
	vips.Init()
	var frames []*vips.Image
	delays := make([]int, n)
	for i := range n {
		f, err := vips.FromPixels(pixels(i), w, h, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		frames, delays[i] = append(frames, f), 100
	}
	stack, err := vips.JoinFrames(frames, delays, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	webp, err := stack.SaveWebP(100, vips.WebPOptions{Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	return webp
}

// tinyFramesGIF is testimages.TinyFramesGIF, failing t on an error.
func tinyFramesGIF(t *testing.T, w, h, n int) []byte {
	t.Helper()
	b, err := testimages.TinyFramesGIF(w, h, n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A late frame costs every frame before it: libvips composes a GIF's (or
// WebP's) frame N over the canvas frames 1 to N-1 left, so frame=N decodes
// N full canvases however small its frames are. AnimatedFrames (what the
// queue charges) counts them, and MaxSourcePixels bounds them for a still
// of one frame as for an animation: past it, a 400 on frame before any
// decode. A 2000x2000 GIF of 200 one-pixel frames, under a limit of 10
// canvases.
func TestLateFrameCountsTheFramesBefore(t *testing.T) {
	src := tinyFramesGIF(t, 2000, 2000, 200)
	wide := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	small := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000, MaxSourcePixels: 10 * 2000 * 2000}})
	info, err := wide.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	if info.Pages != 200 || info.Width != 2000 || info.Height != 2000 {
		t.Fatalf("probe: %dx%d, %d frames; want 2000x2000, 200", info.Width, info.Height, info.Pages)
	}
	for _, tc := range []struct {
		name             string
		pl               *Pipeline
		query            string
		playing, decoded int
	}{
		{"first frame", wide, "w=10&fm=png&frame=1", 0, 1},
		{"last frame", wide, "w=10&fm=png&frame=200", 0, 200},
		{"frame 50 to the last, reversed, as a still", wide, "w=10&fm=png&frame=50-&reverse=1", 0, 200},
		{"every frame", wide, "w=10&fm=gif", 200, 200},
		{"late range", wide, "w=10&fm=gif&frame=150-200", 51, 200},
		{"late range, reversed", wide, "w=10&fm=gif&frame=150-200&reverse=1", 51, 200},
		{"frame 10 within 10 canvases", small, "w=10&fm=png&frame=10", 0, 10},
		{"range 5-10 within", small, "w=10&fm=gif&frame=5-10", 6, 10},
		{"range 5-11 over: a still of frame 5", small, "w=10&fm=gif&frame=5-11", 0, 5},
		{"every frame over: the first, still", small, "w=10&fm=gif", 0, 1},
	} {
		p := mustParse(t, tc.query)
		if playing, decoded := tc.pl.AnimatedFrames(p, info, params.FormatSource); playing != tc.playing || decoded != tc.decoded {
			t.Errorf("%s (%s): AnimatedFrames = %d playing, %d decoded; want %d, %d", tc.name, tc.query, playing, decoded, tc.playing, tc.decoded)
		}
	}
	for _, q := range []string{"w=10&fm=png&frame=10", "w=10&fm=gif&frame=5-10"} {
		if _, err := process(t, small, src, mustParse(t, q), ""); err != nil {
			t.Errorf("%s, 10 canvases of 10: %v", q, err)
		}
	}
	for _, q := range []string{"w=10&fm=png&frame=11", "w=10&fm=png&frame=200", "w=10&fm=gif&frame=150-200", "w=10&fm=gif&frame=1-200&reverse=1"} {
		_, err := process(t, small, src, mustParse(t, q), "")
		var pe *params.Error
		if !errors.As(err, &pe) || pe.Status != 400 || pe.Field != "frame" || pe.Code != params.CodeInvalidParameter {
			t.Errorf("%s, over 10 canvases: %v, want a 400 invalid_parameter on frame", q, err)
		}
	}
}

// An animated WebP's frames are composed from its first as a GIF's are
// (libvips' webpload reads libwebp's demux frames in order, each drawn over
// the canvas before it): frame N decodes N.
func TestLateWebPFrameCountsTheFramesBefore(t *testing.T) {
	src := losslessAnimatedWebP(t, 8, 8, 5, func(i int) []byte { return bytes.Repeat([]byte{byte(40 * i)}, 8*8*3) })
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000, MaxSourcePixels: 4 * 8 * 8}})
	info, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != params.FormatWebP || info.Pages != 5 {
		t.Fatalf("probe: %v of %d frames, want a WebP of 5", info.Type, info.Pages)
	}
	if playing, decoded := pl.AnimatedFrames(mustParse(t, "fm=png&frame=4"), info, params.FormatSource); playing != 0 || decoded != 4 {
		t.Errorf("frame=4: AnimatedFrames = %d playing, %d decoded; want 0, 4", playing, decoded)
	}
	_, err = process(t, pl, src, mustParse(t, "fm=png&frame=5"), "")
	var pe *params.Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Field != "frame" {
		t.Errorf("frame=5 of a WebP, over 4 canvases: %v, want a 400 on frame", err)
	}
}
