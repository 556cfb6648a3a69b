package vips

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// setColorant overwrites the XYZ value of tag sig ("rXYZ", ...) in the ICC
// profile that starts at p, in place.
func setColorant(t *testing.T, p []byte, sig string, v [3]float64) {
	t.Helper()
	be := binary.BigEndian
	for i := range int(be.Uint32(p[128:])) {
		entry := 132 + 12*i
		if string(p[entry:entry+4]) != sig {
			continue
		}
		off := be.Uint32(p[entry+4:])
		for k := range v {
			be.PutUint32(p[off+8+4*uint32(k):], uint32(int32(math.Round(v[k]*65536))))
		}
		return
	}
	t.Fatalf("no %s tag", sig)
}

// srgbPixels decodes a JPEG whole and converts it with ToSRGB.
func srgbPixels(t *testing.T, jpeg []byte) []byte {
	t.Helper()
	hd, err := ReadHeader(jpeg)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Thumbnail(jpeg, hd.Width, hd.Height, NoCrop, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.ToSRGB(); err != nil {
		t.Fatal(err)
	}
	if p := img.iccProfile(); p != nil {
		t.Errorf("ToSRGB left a %d-byte profile", len(p))
	}
	px, err := img.RawRGB()
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// A photo tagged with HP's sRGB IEC61966-2.1 profile keeps its own pixel
// values (the profile is dropped, not applied through lcms): the same as
// the file with the profile cut out, also when the profile's blue primary
// is rounded 2.5e-4 away, as other sRGB profiles round it. With the
// profile's colourants turned into Display P3's, the conversion still runs
// and moves the colours.
func TestToSRGBEmbeddedProfile(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "testdata", "photos", "animal-1.jpg")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared test data not found: %v", err)
	}
	app2 := bytes.Index(src, []byte("\xff\xe2"))
	marker := bytes.Index(src, []byte("ICC_PROFILE\x00"))
	if app2 < 0 || marker != app2+4 {
		t.Fatal("animal-1.jpg: no ICC_PROFILE segment")
	}
	segment := 2 + int(binary.BigEndian.Uint16(src[app2+2:]))
	stripped := append(append([]byte{}, src[:app2]...), src[app2+segment:]...)
	p3 := bytes.Clone(src)
	profile := p3[marker+14:]
	setColorant(t, profile, "rXYZ", [3]float64{0.5151, 0.2412, -0.0011})
	setColorant(t, profile, "gXYZ", [3]float64{0.2920, 0.6922, 0.0419})
	setColorant(t, profile, "bXYZ", [3]float64{0.1571, 0.0666, 0.7841})

	nudged := bytes.Clone(src)
	setColorant(t, nudged[marker+14:], "bXYZ", [3]float64{0.1431 + 2.5e-4, 0.0606 - 2.5e-4, 0.7141 + 2.5e-4})
	if d := maxDiff(srgbPixels(t, nudged), srgbPixels(t, stripped)); d != 0 {
		// lcms' own conversion through this profile moves them by up to 2.
		t.Errorf("pixels tagged with sRGB rounded another way differ from the untagged file's by up to %d", d)
	}
	tagged, plain, wide := srgbPixels(t, src), srgbPixels(t, stripped), srgbPixels(t, p3)
	if !bytes.Equal(tagged, plain) {
		t.Errorf("sRGB-tagged pixels differ from the untagged file's by up to %d", maxDiff(tagged, plain))
	}
	var sum int
	for i := range wide {
		sum += abs(int(wide[i]) - int(plain[i]))
	}
	// Display P3's wider primaries push a photo's colours outwards: on this
	// photo, 1.1 levels on average and up to 83 in its most saturated pixels.
	if mean, most := float64(sum)/float64(len(wide)), maxDiff(wide, plain); mean < 0.5 || most < 40 {
		t.Errorf("Display P3-tagged pixels differ from the untagged file's by %.2f on average, %d at most; want the conversion (> 0.5, > 40)", mean, most)
	}
}
