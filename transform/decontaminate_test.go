package transform

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"runtime"
	"testing"

	"github.com/jebosio/matte/transform/vips"
)

// TestDecontaminate composes a known foreground over a known background
// with a soft matte, I = a·F + (1−a)·B, and checks that decontamination
// moves the colours of the semi-transparent band towards F: what a cut-out
// shows there is F, not the old background bleeding through.
func TestDecontaminate(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	vips.Init()
	const W, H = 900, 600
	fg := func(x, y int) [3]float64 { // a warm, textured subject
		return [3]float64{200 + 40*math.Sin(float64(x)/40), 60 + 30*math.Cos(float64(y)/30), 40}
	}
	bg := func(x, y int) [3]float64 { return [3]float64{30, 170 + 40*math.Sin(float64(x+y)/40), 60} } // green
	alpha := make([]byte, W*H)
	rgb := make([]byte, 3*W*H)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			// A disc with a 12 px soft edge and a wavy outline, like hair.
			r := math.Hypot(float64(x-W/2), float64(y-H/2)) + 6*math.Sin(math.Atan2(float64(y-H/2), float64(x-W/2))*40)
			a := math.Max(0, math.Min(1, (230-r)/12))
			alpha[y*W+x] = byte(math.Round(a * 255))
			a = float64(alpha[y*W+x]) / 255
			f, b := fg(x, y), bg(x, y)
			for c := 0; c < 3; c++ {
				rgb[3*(y*W+x)+c] = byte(math.Round(a*f[c] + (1-a)*b[c]))
			}
		}
	}
	pic := image.NewNRGBA(image.Rect(0, 0, W, H))
	for i := 0; i < W*H; i++ {
		copy(pic.Pix[4*i:], rgb[3*i:3*i+3])
		pic.Pix[4*i+3] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, pic); err != nil {
		t.Fatal(err)
	}
	img, err := vips.Thumbnail(buf.Bytes(), W, H, vips.NoCrop, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bands() != 3 {
		t.Fatalf("%d bands", img.Bands())
	}
	defer img.Close()
	am, err := vips.FromPixels(alpha, W, H, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer am.Close()
	if err := img.CopyMemory(); err != nil {
		t.Fatal(err)
	}
	cutout, err := decontaminatedCutout(img, am, decontaminateWorkers())
	if err != nil {
		t.Fatal(err)
	}
	defer cutout.Close()
	if cutout.Bands() != 4 || !cutout.HasAlpha() {
		t.Fatalf("cut-out has %d bands (alpha: %v), want RGBA", cutout.Bands(), cutout.HasAlpha())
	}
	rgba, err := cutout.View()
	if err != nil {
		t.Fatalf("cut-out not held in memory: %v", err)
	}
	for i, a8 := range alpha {
		if rgba[4*i+3] != a8 {
			t.Fatalf("alpha at pixel %d is %d, the matte's %d", i, rgba[4*i+3], a8)
		}
	}
	out, err := cutout.RawRGB()
	if err != nil {
		t.Fatal(err)
	}
	// Error against F where the matte is partial, weighted by what the
	// cut-out shows there (a): before (the composite) and after.
	var before, after, weight float64
	changedOutside := 0
	for i, a8 := range alpha {
		x, y := i%W, i/W
		if a8 == 0 || a8 == 255 {
			for c := 0; c < 3; c++ {
				if out[3*i+c] != rgb[3*i+c] {
					changedOutside++
				}
			}
			continue
		}
		a := float64(a8) / 255
		f := fg(x, y)
		for c := 0; c < 3; c++ {
			before += a * math.Abs(float64(rgb[3*i+c])-f[c])
			after += a * math.Abs(float64(out[3*i+c])-f[c])
		}
		weight += 3 * a
	}
	before, after = before/weight, after/weight
	t.Logf("band colour error vs the true foreground: %.1f before, %.1f after (/255)", before, after)
	if changedOutside > 0 {
		t.Errorf("%d channel values changed where the matte is 0 or 255", changedOutside)
	}
	if after > before/2 {
		t.Errorf("decontamination left %.1f/255 of background in the edge (from %.1f); want at most half", after, before)
	}
}

// TestDecontaminateWorkers: the answer does not depend on how many
// goroutines share the work (each blur and each row is computed by one of
// them, the same way), with more workers than the six blurs and with an
// odd count that splits the rows unevenly.
func TestDecontaminateWorkers(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	vips.Init()
	const W, H = 517, 331
	rgb := make([]byte, 3*W*H)
	alpha := make([]byte, W*H)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			i := y*W + x
			r := math.Hypot(float64(x-W/2), float64(y-H/2)) + 5*math.Sin(float64(x)/7)
			alpha[i] = byte(math.Max(0, math.Min(255, (140-r)*255/20)))
			rgb[3*i], rgb[3*i+1], rgb[3*i+2] = byte(x*255/W), byte(y*255/H), byte((x*y)%251)
		}
	}
	run := func(workers int) []byte {
		cutout, err := decontaminatedCutout(pixelImage(t, rgb, W, H, 3), pixelImage(t, alpha, W, H, 1), workers)
		if err != nil {
			t.Fatal(err)
		}
		defer cutout.Close()
		out, err := cutout.RawRGB()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	one := run(1)
	if bytes.Equal(one, rgb) {
		t.Fatal("decontamination changed nothing: the scene has no soft edge")
	}
	for _, workers := range []int{2, 3, 7} {
		if !bytes.Equal(run(workers), one) {
			t.Errorf("%d workers answer differently from one", workers)
		}
	}
}

// The colours of an RGBA source are its first three bands, read in place
// at their stride; a hard matte (no value strictly between 0 and 255) has
// no edge to clean, and no cut-out is made for it.
func TestDecontaminatedCutoutReadsBands(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	vips.Init()
	const W, H = 64, 48
	rgba := make([]byte, 4*W*H)
	alpha := make([]byte, W*H)
	for i := range alpha {
		x := i % W
		rgba[4*i], rgba[4*i+1], rgba[4*i+2], rgba[4*i+3] = byte(4*x), 90, byte(200-4*x), 17
		alpha[i] = byte(min(255, max(0, (x-20)*255/24)))
	}
	img := pixelImage(t, rgba, W, H, 4)
	cutout, err := decontaminatedCutout(img, pixelImage(t, alpha, W, H, 1), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer cutout.Close()
	got, err := cutout.View()
	if err != nil {
		t.Fatal(err)
	}
	for i, a8 := range alpha {
		if a8 != 0 && a8 != 255 {
			continue
		}
		if want := [4]byte{rgba[4*i], rgba[4*i+1], rgba[4*i+2], a8}; [4]byte(got[4*i:4*i+4]) != want {
			t.Fatalf("pixel %d: %v, want the source's colour and the matte's alpha %v", i, got[4*i:4*i+4], want)
		}
	}
	hard := make([]byte, W*H)
	for i := range hard {
		hard[i] = byte(255 * (i % 2))
	}
	if c, err := decontaminatedCutout(img, pixelImage(t, hard, W, H, 1), 2); c != nil || err != nil {
		t.Errorf("hard matte: a cut-out (%v), %v; want none", c != nil, err)
	}
}

// pixelImage is FromPixels of px, closed when the test ends.
func pixelImage(t *testing.T, px []byte, w, h, bands int) *vips.Image {
	t.Helper()
	img, err := vips.FromPixels(px, w, h, bands, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(img.Close)
	return img
}
