package vips

import (
	"encoding/binary"
	"math"
	"runtime"
	"testing"
)

// halfRed is a w x h RGBA image: the left half opaque red, the right half
// transparent with black colours (what most editors export).
func halfRed(t *testing.T, w, h int) *Image {
	t.Helper()
	img, px, err := NewPixels(w, h, 4, nil) // sRGB with alpha, as decoded
	if err != nil {
		t.Fatal(err)
	}
	clear(px)
	for y := range h {
		for x := range w / 2 {
			copy(px[(y*w+x)*4:], []byte{255, 0, 0, 255})
		}
	}
	return img
}

// An operation that mixes neighbours keeps a red edge red: the transparent
// pixels' black weighs nothing (premultiplied), where mixed as it is it
// would darken the edge to about half its red. Blurs and kernel resizes are
// premultiplied by Matte; a rotation by libvips' affine itself.
func TestMixingKeepsTransparentColoursOut(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	red := func(r, g, b byte) bool { return r >= 250 && g <= 5 && b <= 5 }
	// Over opaque white corners the edge mixes red with white (pink), and
	// the transparent half with white; never with black.
	redOrWhite := func(r, g, b byte) bool { return r >= 250 && int(g)-int(b) <= 3 && int(b)-int(g) <= 3 }
	for _, tc := range []struct {
		name  string
		op    func(*Image) error
		shows func(r, g, b byte) bool // what any visible pixel may be
	}{
		{"blur", func(im *Image) error { return im.GaussBlur(2, false) }, red},
		{"precise blur", func(im *Image) error { return im.GaussBlur(2, true) }, red},
		{"rotate", func(im *Image) error { return im.Rotate(30, []float64{0, 0, 0, 0}) }, red},
		{"rotate over opaque white", func(im *Image) error { return im.Rotate(30, []float64{255, 255, 255, 255}) }, redOrWhite},
		{"linear resize", func(im *Image) error { return im.ResizeKernel(13, 9, "linear") }, red},
		{"lanczos3 resize", func(im *Image) error { return im.ResizeKernel(13, 9, "lanczos3") }, red},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := halfRed(t, 24, 16)
			defer img.Close()
			if err := tc.op(img); err != nil {
				t.Fatal(err)
			}
			if img.Bands() != 4 || !img.HasAlpha() {
				t.Fatalf("%d bands, alpha %v", img.Bands(), img.HasAlpha())
			}
			px, err := img.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if n := img.Width() * img.Height() * 4; len(px) == 4*n { // float (a precise blur)
				px = roundFloats(px)
			} else if len(px) != n {
				t.Fatalf("%d bytes for %dx%d RGBA", len(px), img.Width(), img.Height())
			}
			edge := 0 // partly transparent pixels, where the bleed would show
			for i := 0; i < len(px); i += 4 {
				r, g, b, a := px[i], px[i+1], px[i+2], px[i+3]
				if a == 0 {
					continue
				}
				if !tc.shows(r, g, b) {
					t.Fatalf("pixel %d: %d %d %d alpha %d: a colour mixed with the transparent pixels' black", i/4, r, g, b, a)
				}
				if a < 250 {
					edge++
				}
			}
			if edge == 0 {
				t.Fatal("no partly transparent pixel: the test image has no edge to check")
			}
		})
	}
}

// roundFloats reads little-endian float32 samples as 8-bit ones.
func roundFloats(b []byte) []byte {
	out := make([]byte, len(b)/4)
	for i := range out {
		v := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		out[i] = byte(max(0, min(255, math.Round(float64(v)))))
	}
	return out
}

// An image without alpha takes libvips' own path: a 3-band blur of the same
// half red over black darkens the edge as it should (black is a colour
// there).
func TestMixingWithoutAlphaMixesColours(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	img := halfRed(t, 24, 16)
	defer img.Close()
	rgb, err := img.ExtractBand(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer rgb.Close()
	if err := rgb.GaussBlur(2, false); err != nil {
		t.Fatal(err)
	}
	px, err := rgb.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Row 8, columns 11 and 12 straddle the edge: a sampled Gaussian of
	// sigma 2 puts 0.600 of its weight on and left of its centre, so 153
	// and 102 of red.
	for x, want := range map[int]int{11: 153, 12: 102} {
		if r := int(px[(8*24+x)*3]); r < want-4 || r > want+4 {
			t.Errorf("column %d: red %d, want about %d", x, r, want)
		}
	}
}
