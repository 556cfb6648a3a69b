package vips

import (
	"runtime"
	"testing"
	"time"
)

// TestCancellerKillsComputations: a computation on a watched image, and on
// images made from it, fails once its Canceller is cancelled, instead of
// running to its end.
func TestCancellerKillsComputations(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	c := NewCanceller()
	defer c.Release()
	img, err := Solid(3000, 3000, []float64{10, 20, 30}, c)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.GaussBlur(100, false); err != nil { // seconds of work at full size
		t.Fatal(err)
	}
	grey, err := img.ExtractBand(0, 1) // made from the watched image
	if err != nil {
		t.Fatal(err)
	}
	defer grey.Close()
	c.Cancel()
	for name, im := range map[string]*Image{"watched": img, "derived": grey} {
		start := time.Now()
		if err := im.CopyMemory(); err == nil {
			t.Errorf("%s: rendered after Cancel", name)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: stopped after %v", name, took)
		}
	}
}

// TestUnwatchedImagesRun: without a Canceller, images compute as usual.
func TestUnwatchedImagesRun(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	img, err := Solid(64, 32, []float64{10, 20, 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.CopyMemory(); err != nil {
		t.Fatal(err)
	}
	px, err := img.RawRGB()
	if err != nil || len(px) != 64*32*3 || px[0] != 10 || px[1] != 20 || px[2] != 30 {
		t.Fatalf("pixels %v... (%d bytes), %v", px[:min(3, len(px))], len(px), err)
	}
}

// TestView: an image held in memory is read in place; a lazy one is
// refused rather than rendered behind the caller's back.
func TestView(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	img, err := Solid(4, 2, []float64{10, 20, 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if _, err := img.View(); err == nil {
		t.Error("View of a lazy image succeeded")
	}
	if err := img.CopyMemory(); err != nil {
		t.Fatal(err)
	}
	px, err := img.View()
	if err != nil || len(px) != 4*2*3 || px[0] != 10 || px[1] != 20 || px[2] != 30 || px[23] != 30 {
		t.Fatalf("view %v (%d bytes), %v", px, len(px), err)
	}
	from, err := FromPixels([]byte{1, 2, 3, 4, 5, 6}, 3, 2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	if px, err := from.View(); err != nil || string(px) != "\x01\x02\x03\x04\x05\x06" {
		t.Errorf("view of FromPixels: %v, %v", px, err)
	}
}

// NewPixels is FromPixels without the copy: the same tags for 1 and 3
// bands, and for 2 and 4 those of a grey or sRGB image with alpha; the
// pixels written through its slice are the image's, read by the next
// operation.
func TestNewPixels(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	var fromType [5]int64
	for bands := 1; bands <= 4; bands++ {
		want := make([]byte, 5*3*bands)
		for i := range want {
			want[i] = byte(i * 37)
		}
		from, err := FromPixels(want, 5, 3, bands, nil)
		if err != nil {
			t.Fatal(err)
		}
		img, px, err := NewPixels(5, 3, bands, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(px) != len(want) {
			t.Fatalf("%d bands: %d bytes to fill, want %d", bands, len(px), len(want))
		}
		copy(px, want)
		fromType[bands] = int64(from.p.Type)
		wantType, wantAlpha := int64(from.p.Type), from.HasAlpha()
		switch bands {
		case 2: // grey with alpha
			wantType, wantAlpha = fromType[1], true
		case 4: // sRGB with alpha
			wantType, wantAlpha = fromType[3], true
		}
		if int64(img.p.Type) != wantType || img.p.BandFmt != from.p.BandFmt || img.HasAlpha() != wantAlpha {
			t.Errorf("%d bands: interpretation %d, format %d, alpha %v; want %d, %d, %v", bands,
				img.p.Type, img.p.BandFmt, img.HasAlpha(), wantType, from.p.BandFmt, wantAlpha)
		}
		if err := img.Flip(false); err != nil {
			t.Fatal(err)
		}
		if err := from.Flip(false); err != nil {
			t.Fatal(err)
		}
		got, err := img.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		flipped, _ := from.Bytes()
		if string(got) != string(flipped) || got[0] != want[4*bands] {
			t.Errorf("%d bands: flipped %v, want %v", bands, got, flipped)
		}
		img.Close()
		from.Close()
	}
}

// rampPixels is a 64x64 RGB ramp: red across, green down, blue their
// product, so that most colours of the cube's faces appear.
func rampPixels() []byte {
	const n = 64
	pix := make([]byte, 0, n*n*3)
	for y := range n {
		for x := range n {
			pix = append(pix, byte(x*4), byte(y*4), byte((x*y)%256))
		}
	}
	return pix
}

// adjustRamp is rampPixels through Adjust(a) with an identity matrix.
func adjustRamp(t *testing.T, a Adjustment) []byte {
	t.Helper()
	img, err := FromPixels(rampPixels(), 64, 64, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	a.Matrix = [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
	if err := img.Adjust(a); err != nil {
		t.Fatal(err)
	}
	out, err := img.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 64*64*3 {
		t.Fatalf("%+v: %d bytes, want %d (three bands)", a, len(out), 64*64*3)
	}
	return out
}

// maxDiff is the largest difference between two images' samples.
func maxDiff(a, b []byte) int {
	worst := 0
	for i := range a {
		worst = max(worst, abs(int(a[i])-int(b[i])))
	}
	return worst
}

// With no chroma left (greyscale), Adjust takes luminance_grey in place of
// the LCh round trip: the same grey, the sRGB encoding of each pixel's
// luminance, within one level of the LCh path's (taken here with a chroma
// too small to show) on every colour of the ramp.
func TestAdjustGreyscaleMatchesLCh(t *testing.T) {
	fast, lch := adjustRamp(t, Adjustment{Chroma: 0}), adjustRamp(t, Adjustment{Chroma: 1e-9})
	for i := range fast {
		if i%3 != 0 && fast[i] != fast[i-i%3] {
			t.Fatalf("pixel %d: bands %v are not one grey", i/3, fast[i-i%3:i-i%3+3])
		}
	}
	if worst := maxDiff(fast, lch); worst > 1 {
		t.Errorf("greyscale fast path differs from the LCh round trip by up to %d levels, want at most 1", worst)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Lightness, chroma and hue without vibrance take Lab and one matrix in
// place of the LCh round trip: the same colours, within one level of the
// LCh path's (taken here with a vibrance too small to show) on every
// colour of the ramp.
func TestAdjustLabMatchesLCh(t *testing.T) {
	for _, a := range []Adjustment{{Chroma: 1.3, Hue: 40}, {Chroma: 0.5, Hue: 200}, {Lightness: 0.8, Chroma: 1, Hue: 0}} {
		lab := adjustRamp(t, a)
		a.Vibrance = 1e-12
		if worst := maxDiff(lab, adjustRamp(t, a)); worst > 1 {
			t.Errorf("%+v: the Lab path differs from the LCh round trip by up to %d levels, want at most 1", a, worst)
		}
	}
}

// A min or max filter of a matte whose left half is 0 and right half 255
// moves the edge by exactly half the window: size 51 erodes the right half
// by 25 columns and dilates it by 25. libvips before 8.17.2 got both wrong
// for uchar windows wider than 10 (all 0, and a column short).
func TestRankExtremesMoveTheEdgeByHalfTheWindow(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	const w, h = 200, 60
	for _, tc := range []struct {
		size     int
		max      bool
		firstOne int // the first column of 255s after filtering
	}{
		{3, false, 101}, {3, true, 99},
		{11, false, 105}, {11, true, 95},
		{51, false, 125}, {51, true, 75},
		{81, false, 140}, {81, true, 60}, // window wider than the image is tall
		{301, false, 200}, {301, true, 0}, // window sees the whole image
	} {
		px := make([]byte, w*h)
		for y := 0; y < h; y++ {
			for x := w / 2; x < w; x++ {
				px[y*w+x] = 255
			}
		}
		img, err := FromPixels(px, w, h, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.max {
			err = img.MaxFilter(tc.size)
		} else {
			err = img.MinFilter(tc.size)
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := img.Bytes()
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != w*h {
			t.Fatalf("size %d max %v: %d bytes, want %d", tc.size, tc.max, len(got), w*h)
		}
	rows:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				want := byte(0)
				if x >= tc.firstOne {
					want = 255
				}
				if v := got[y*w+x]; v != want {
					t.Errorf("size %d max %v: (%d,%d) is %d, want %d", tc.size, tc.max, x, y, v, want)
					break rows
				}
			}
		}
	}
}
