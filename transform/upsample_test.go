package transform

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/jebosio/matte/internal/testimages"
	"github.com/jebosio/matte/transform/vips"
)

// The samples a growing axis takes are libvips' own: the literals are what
// vips_resize(kernel=linear) answers for a 4-pixel row [0 100 200 250]
// grown to 8, 6 and 5 (libvips 8.18.8 and 8.14.1 alike: output x reads
// input x·4/n − ½). An axis that keeps its size is copied.
func TestUpsampleLinearSamples(t *testing.T) {
	row := []byte{0, 100, 200, 250}
	for _, tc := range []struct {
		w    int
		want []byte
	}{
		{8, []byte{0, 0, 50, 100, 150, 200, 225, 250}},
		{6, []byte{0, 17, 83, 150, 208, 242}},
		{5, []byte{0, 30, 110, 190, 235}},
		{4, row},
	} {
		got := make([]byte, tc.w)
		upsampleLinear(got, tc.w, 1, 1, row, 4, 1, 1, 1)
		if !slices.Equal(got, tc.want) {
			t.Errorf("4 → %d: %v, want %v", tc.w, got, tc.want)
		}
	}
	// 4x3 grown to 4x6: rows read at y·3/6 − ½; columns copied.
	src := []byte{0, 100, 200, 250, 40, 40, 40, 40, 80, 80, 80, 80}
	got := make([]byte, 4*6)
	upsampleLinear(got, 4, 6, 1, src, 4, 3, 1, 1)
	want := []byte{0, 100, 200, 250, 0, 100, 200, 250, 20, 70, 120, 145, 40, 40, 40, 40, 60, 60, 60, 60, 80, 80, 80, 80}
	if !slices.Equal(got, want) {
		t.Errorf("4x3 → 4x6: %v, want %v", got, want)
	}
	// The first three bands of RGBA, and a one-pixel source.
	rgba := []byte{10, 20, 30, 255, 50, 60, 70, 0}
	got = make([]byte, 4*1*3)
	upsampleLinear(got, 4, 1, 3, rgba, 2, 1, 4, 1)
	if want := []byte{10, 20, 30, 10, 20, 30, 30, 40, 50, 50, 60, 70}; !slices.Equal(got, want) {
		t.Errorf("RGBA 2 → RGB 4: %v, want %v", got, want)
	}
	got = make([]byte, 3*2)
	upsampleLinear(got, 3, 2, 1, []byte{77}, 1, 1, 1, 1)
	if want := []byte{77, 77, 77, 77, 77, 77}; !slices.Equal(got, want) {
		t.Errorf("1x1 → 3x2: %v", got)
	}
}

// On real photos and a real-looking matte, upsampleLinear is libvips'
// linear upsizing within one level of rounding, whatever the share of
// rows among goroutines; the model input and the mask built from it equal
// libvips' the same way, also where one axis shrinks.
func TestUpsampleLinearMatchesLibvips(t *testing.T) {
	runtime.LockOSThread()
	defer vips.EndThread()
	dir := testimages.SharedTestdata()
	if dir == "" {
		t.Skip("skipping: shared testdata folder absent (set MATTE_TESTDATA, or put it at ../shared/testdata)")
	}
	for _, tc := range []struct {
		file         string
		w, h, dw, dh int
	}{
		{"animal-1.jpg", 1000, 667, 1024, 1024}, // h's model input
		{"girl-1.jpg", 300, 200, 1024, 1024},
		{"car-1.jpg", 1024, 700, 1024, 1024}, // width kept
		{"plants-1.jpg", 400, 400, 1999, 1333},
	} {
		t.Run(fmt.Sprintf("%s %dx%d→%dx%d", tc.file, tc.w, tc.h, tc.dw, tc.dh), func(t *testing.T) {
			px := decodedPixels(t, filepath.Join(dir, "photos", tc.file), tc.w, tc.h)
			want := libvipsLinear(t, px, tc.w, tc.h, 3, tc.dw, tc.dh)
			for _, workers := range []int{1, 3} {
				got := make([]byte, tc.dw*tc.dh*3)
				upsampleLinear(got, tc.dw, tc.dh, 3, px, tc.w, tc.h, 3, workers)
				if tc.w == tc.dw {
					// libvips shifts a kept axis by half a pixel: compare
					// with its columns at twice the width, where column
					// 2x+1 reads input column x exactly.
					want = everyOtherColumn(libvipsLinear(t, px, tc.w, tc.h, 3, 2*tc.dw, tc.dh), 2*tc.dw, tc.dh, 3)
				}
				if d, off := worstDiff(got, want); d > 1 {
					t.Errorf("workers %d: differs from libvips by %d at sample %d", workers, d, off)
				}
			}
		})
	}

	// The model input path (modelInputFrom: a decode held in memory, RGBA
	// here) and the mask path (resizedMask, growing and mixed), against
	// libvips doing the whole resize.
	px := decodedPixels(t, filepath.Join(dir, "photos", "animal-1.jpg"), 1000, 667)
	rgba := make([]byte, 0, 1000*667*4)
	for i := 0; i < len(px); i += 3 {
		rgba = append(rgba, px[i], px[i+1], px[i+2], byte(i))
	}
	decoded, err := vips.FromPixels(rgba, 1000, 667, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer decoded.Close()
	spec := ModelSpec{Width: 1024, Height: 1024, Kernel: "linear", MaskKernel: "linear"}
	got, err := modelInputFrom(decoded, spec)
	if err != nil {
		t.Fatal(err)
	}
	if d, off := worstDiff(got, libvipsLinear(t, px, 1000, 667, 3, 1024, 1024)); d > 1 {
		t.Errorf("model input: differs from libvips by %d at sample %d", d, off)
	}
	mask := decodedPixels(t, filepath.Join(dir, "photos", "girl-1.jpg"), 1024, 1024)
	grey := make([]byte, 1024*1024)
	for i := range grey {
		grey[i] = mask[3*i+1]
	}
	for _, size := range [][2]int{{2000, 1333}, {1500, 800}, {800, 1500}} {
		img, err := resizedMask(grey, spec, size[0], size[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := img.View()
		if err != nil {
			t.Fatalf("mask %v not held in memory: %v", size, err)
		}
		if d, off := worstDiff(got, libvipsGrown(t, grey, 1024, 1024, 1, size[0], size[1])); d > 1 {
			t.Errorf("mask → %v: differs from libvips by %d at sample %d", size, d, off)
		}
		img.Close()
	}
}

// decodedPixels is file decoded and resized by libvips to exactly w×h, as
// packed sRGB.
func decodedPixels(t *testing.T, file string, w, h int) []byte {
	t.Helper()
	buf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := vips.Thumbnail(buf, w, h, vips.NoCrop, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.ToSRGB(); err != nil {
		t.Fatal(err)
	}
	if err := img.ResizeKernel(w, h, "lanczos3"); err != nil {
		t.Fatal(err)
	}
	px, err := img.RawRGB()
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// libvipsLinear is vips_resize(kernel=linear) of packed pixels.
func libvipsLinear(t *testing.T, px []byte, w, h, bands, dw, dh int) []byte {
	t.Helper()
	img, err := vips.FromPixels(px, w, h, bands, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.ResizeKernel(dw, dh, "linear"); err != nil {
		t.Fatal(err)
	}
	out, err := img.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// libvipsGrown is vips_resize(kernel=linear) of packed pixels where an
// axis shrinks and the other grows, with the shrunk axis not shifted:
// libvips' vips_reduce on the axis that shrinks, then its resize to twice
// that axis' size (both axes grow), of which every odd line is kept (line
// 2y+1 reads line y exactly). vips_resize itself, growing one axis only,
// shifts the other by half a pixel, which Matte's upsizing does not do.
func libvipsGrown(t *testing.T, px []byte, w, h, bands, dw, dh int) []byte {
	t.Helper()
	switch {
	case dw >= w && dh >= h:
		return libvipsLinear(t, px, w, h, bands, dw, dh)
	case dh < h:
		shrunk := libvipsLinear(t, px, w, h, bands, w, dh)
		tall := libvipsLinear(t, shrunk, w, dh, bands, dw, 2*dh)
		var odd []byte
		for y := 1; y < 2*dh; y += 2 {
			odd = append(odd, tall[y*dw*bands:(y+1)*dw*bands]...)
		}
		return odd
	default:
		shrunk := libvipsLinear(t, px, w, h, bands, dw, h)
		return everyOtherColumn(libvipsLinear(t, shrunk, dw, h, bands, 2*dw, dh), 2*dw, dh, bands)
	}
}

// everyOtherColumn keeps the odd columns of a w×h image: at twice the
// width, output column 2x+1 reads input column x exactly.
func everyOtherColumn(px []byte, w, h, bands int) []byte {
	out := make([]byte, 0, len(px)/2)
	for y := range h {
		for x := 1; x < w; x += 2 {
			i := (y*w + x) * bands
			out = append(out, px[i:i+bands]...)
		}
	}
	return out
}

func worstDiff(a, b []byte) (worst, at int) {
	if len(a) != len(b) {
		return 256, -1
	}
	for i := range a {
		if d := absInt(int(a[i]) - int(b[i])); d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

func BenchmarkUpsampleLinear(b *testing.B) {
	src := make([]byte, 1000*667*3)
	for i := range src {
		src[i] = byte(i * 7 % 251)
	}
	dst := make([]byte, 1024*1024*3)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("1000x667→1024²/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				upsampleLinear(dst, 1024, 1024, 3, src, 1000, 667, 3, workers)
			}
		})
	}
}
