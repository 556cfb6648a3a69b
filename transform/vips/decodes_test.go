package vips

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// testImage is a w x h sRGB image whose pixels vary, so that its encodings
// are long enough to cut.
func testImage(t *testing.T, w, h int) *Image {
	t.Helper()
	pix := make([]byte, w*h*3)
	for i := range pix {
		pix[i] = byte(i*7 + i/(w*3)*13)
	}
	img, err := FromPixels(pix, w, h, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(img.Close)
	return img
}

// TestDecodeAll: a whole source decodes; one cut short fails, although its
// header (and so the lazy load that a pipeline step starts from) reads.
func TestDecodeAll(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	img := testImage(t, 300, 200)
	png, err := img.SavePNG(6, PNGFilterNone, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := img.SaveJPEG(90, false, SubsampleAuto, MozJPEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{"png": png, "jpeg": jpg} {
		if err := DecodeAll(src, nil); err != nil {
			t.Errorf("whole %s: %v, want it to decode", name, err)
		}
		cut := src[:len(src)*2/3]
		if _, err := ReadHeader(cut); err != nil {
			t.Fatalf("cut %s: header %v", name, err)
		}
		if err := DecodeAll(cut, nil); err == nil {
			t.Errorf("%s cut to 2/3: decodes, want a failure", name)
		}
	}
}

// TestMissingCodec: the codec is told from the header, not from an error's
// text: the HEVC sample is HEVC-coded, an AVIF is not; the sample is a
// missing codec exactly where HEVCDecoder says none decodes it.
func TestMissingCodec(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	heic, err := os.ReadFile("hevc-64x48.heic")
	if err != nil {
		t.Fatal(err)
	}
	avif, err := testImage(t, 64, 48).SaveAVIF(60, false, 4, SubsampleAuto)
	if err != nil {
		t.Fatal(err)
	}
	if !heifHEVC(heic) {
		t.Error("hevc-64x48.heic: not HEVC-coded by its header")
	}
	if heifHEVC(avif) {
		t.Error("an AVIF: HEVC-coded by its header")
	}
	if MissingCodec(avif) {
		t.Error("an AVIF: a missing codec")
	}
	none := strings.HasPrefix(HEVCDecoder(), "none")
	if got := MissingCodec(heic); got != none {
		t.Errorf("HEVC decoder %q: MissingCodec(heic) = %v, want %v", HEVCDecoder(), got, none)
	}
}

// TestInitProbesCodecs: the codec probes, which clear libvips'
// process-wide error buffer after the failures they provoke, have run by
// the time Init returns, before any other work can be running libvips and
// lose its message to them (not at a request's first HEIF or JPEG).
func TestInitProbesCodecs(t *testing.T) {
	Init()
	if !hevc.libvips && !hevc.fallback && hevc.why == "" {
		t.Error("Init returned before the HEVC probe")
	}
	if mozjpeg.ok != (Info().NPM) {
		t.Errorf("mozjpeg.ok = %v after Init with the npm libvips %v (sharp's build has mozjpeg, Debian's has not)", mozjpeg.ok, Info().NPM)
	}
}
