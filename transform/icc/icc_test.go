package icc

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"
)

// profile builds a profile of colour space space (PCS XYZ) holding tags in
// the order given (signature, data).
func profile(space string, tags ...[2]string) []byte {
	b := make([]byte, headerSize+4+12*len(tags))
	copy(b[16:], space)
	copy(b[20:], "XYZ ")
	copy(b[36:], "acsp")
	binary.BigEndian.PutUint32(b[headerSize:], uint32(len(tags)))
	for i, t := range tags {
		entry := headerSize + 4 + 12*i
		copy(b[entry:], t[0])
		binary.BigEndian.PutUint32(b[entry+4:], uint32(len(b)))
		binary.BigEndian.PutUint32(b[entry+8:], uint32(len(t[1])))
		b = append(b, t[1]...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

func fixed(v float64) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(int32(math.Round(v*65536))))
}

func xyz(x, y, z float64) string {
	b := []byte("XYZ \x00\x00\x00\x00")
	b = append(append(append(b, fixed(x)...), fixed(y)...), fixed(z)...)
	return string(b)
}

// para is a parametricCurveType of function type kind.
func para(kind uint16, params ...float64) string {
	b := binary.BigEndian.AppendUint16([]byte("para\x00\x00\x00\x00"), kind)
	b = append(b, 0, 0)
	for _, p := range params {
		b = append(b, fixed(p)...)
	}
	return string(b)
}

// curv is a curveType with the given entries (0, 1 or a table).
func curv(entries ...uint16) string {
	b := binary.BigEndian.AppendUint32([]byte("curv\x00\x00\x00\x00"), uint32(len(entries)))
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, e)
	}
	return string(b)
}

// srgbTable samples sRGB's decoding (IEC 61966-2-1) at n points.
func srgbTable(n int) string {
	e := make([]uint16, n)
	for i := range e {
		x := float64(i) / float64(n-1)
		v := x / 12.92
		if x > 0.04045 {
			v = math.Pow((x+0.055)/1.055, 2.4)
		}
		e[i] = uint16(math.Round(v * 65535))
	}
	return curv(e...)
}

// rgbProfile is an RGB matrix/TRC profile: colourants r, g, b (XYZ, D50),
// one tone curve for all three channels, and extra tags.
func rgbProfile(r, g, b [3]float64, trc string, extra ...[2]string) []byte {
	tags := [][2]string{
		{"rXYZ", xyz(r[0], r[1], r[2])}, {"gXYZ", xyz(g[0], g[1], g[2])}, {"bXYZ", xyz(b[0], b[1], b[2])},
		{"rTRC", trc}, {"gTRC", trc}, {"bTRC", trc},
	}
	return profile("RGB ", append(tags, extra...)...)
}

// Colourants as ICC profiles store them (XYZ adapted to D50), from the
// published profiles: sRGB IEC61966-2.1 (HP, 1998), Display P3 (Apple),
// Adobe RGB (1998).
var (
	srgbR, srgbG, srgbB    = [3]float64{0.4361, 0.2225, 0.0139}, [3]float64{0.3851, 0.7169, 0.0971}, [3]float64{0.1431, 0.0606, 0.7141}
	p3R, p3G, p3B          = [3]float64{0.5151, 0.2412, -0.0011}, [3]float64{0.2920, 0.6922, 0.0419}, [3]float64{0.1571, 0.0666, 0.7841}
	adobeR, adobeG, adobeB = [3]float64{0.6097, 0.3111, 0.0195}, [3]float64{0.2053, 0.6257, 0.0609}, [3]float64{0.1492, 0.0632, 0.7446}
	// sRGB's curve as a parametric function of type 3 (ICC v4 profiles).
	srgbPara = para(3, 2.4, 1/1.055, 0.055/1.055, 1/12.92, 0.04045)
)

func TestIsSRGB(t *testing.T) {
	gamma22 := curv(0x0233) // u8Fixed8 2.199
	for _, tc := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"sRGB, v4 parametric curves", rgbProfile(srgbR, srgbG, srgbB, srgbPara), true},
		{"sRGB, 1024-entry tables (HP's layout)", rgbProfile(srgbR, srgbG, srgbB, srgbTable(1024)), true},
		// sRGB's curve sampled at 26 even points: linear between them it
		// strays by more than half a step in the shadows. (The compact
		// "c2" profile's 26 points are placed to stay within it: see
		// TestIsSRGBEmbedded.)
		{"sRGB sampled at 26 points", rgbProfile(srgbR, srgbG, srgbB, srgbTable(26)), false},
		{"sRGB as libvips' own profile rounds it", rgbProfile([3]float64{0.43603515625, 0.222442626953125, 0.0139007568359375},
			[3]float64{0.385101318359375, 0.7169342041015625, 0.097076416015625}, [3]float64{0.14306640625, 0.0606231689453125, 0.71392822265625}, srgbPara), true},
		{"sRGB colourants, green off by 0.001", rgbProfile(srgbR, [3]float64{0.3861, 0.7169, 0.0971}, srgbB, srgbPara), false},
		{"Display P3", rgbProfile(p3R, p3G, p3B, srgbPara), false},
		{"Adobe RGB (1998)", rgbProfile(adobeR, adobeG, adobeB, gamma22), false},
		{"sRGB colourants, gamma 2.2", rgbProfile(srgbR, srgbG, srgbB, gamma22), false},
		{"sRGB colourants, linear", rgbProfile(srgbR, srgbG, srgbB, curv()), false},
		{"sRGB colourants, 4-entry tables", rgbProfile(srgbR, srgbG, srgbB, srgbTable(4)), false},
		{"sRGB with a perceptual LUT", rgbProfile(srgbR, srgbG, srgbB, srgbPara, [2]string{"A2B0", "mAB \x00\x00\x00\x00"}), false},
		{"sRGB curves of an unknown type", rgbProfile(srgbR, srgbG, srgbB, "sf32\x00\x00\x00\x00\x00\x00\x00\x00"), false},
		{"parametric type 5", rgbProfile(srgbR, srgbG, srgbB, para(5, 2.4, 1, 0, 0, 0, 0, 0)), false},
		{"no blue curve", profile("RGB ", [2]string{"rXYZ", xyz(0.4361, 0.2225, 0.0139)}), false},
		{"grey", profile("GRAY", [2]string{"kTRC", srgbPara}), false},
		{"truncated", rgbProfile(srgbR, srgbG, srgbB, srgbPara)[:200], false},
		{"nil", nil, false},
	} {
		for _, pass := range []string{"read", "remembered"} {
			if got := IsSRGB(tc.p); got != tc.want {
				t.Errorf("%s (%s): IsSRGB %v, want %v", tc.name, pass, got, tc.want)
			}
		}
	}
}

// The memo of answers stays bounded under a stream of distinct profiles.
func TestIsSRGBMemoBounded(t *testing.T) {
	for i := range 3 * memoSize {
		p := rgbProfile(srgbR, srgbG, srgbB, srgbPara, [2]string{"desc", "desc\x00\x00\x00\x00\x00\x00\x00\x04" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "x\x00"})
		if !IsSRGB(p) {
			t.Fatalf("profile %d: IsSRGB false", i)
		}
	}
	memo.RLock()
	n := len(memo.m)
	memo.RUnlock()
	if n > memoSize {
		t.Errorf("memo holds %d profiles, more than %d", n, memoSize)
	}
}

// The sRGB profiles embedded in the shared test photos: HP's of 1998 and a
// compact 26-point one (the "c2" profile).
func TestIsSRGBEmbedded(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "photos")
	for _, tc := range []struct{ file, desc string }{{"animal-1.jpg", "sRGB IEC61966-2.1"}, {"animal-2.jpg", "c2"}} {
		b, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Skipf("shared test data not found: %v", err)
		}
		i := bytes.Index(b, []byte("ICC_PROFILE\x00"))
		if i < 0 {
			t.Fatalf("%s: no ICC profile", tc.file)
		}
		p := b[i+14:] // the marker, then sequence number and count
		p = p[:binary.BigEndian.Uint32(p)]
		if got := Description(p); got != tc.desc {
			t.Errorf("%s: description %q, want %q", tc.file, got, tc.desc)
		}
		if !IsSRGB(p) {
			t.Errorf("%s: IsSRGB false, want true", tc.file)
		}
	}
}

// Description reads a v2 profile's ASCII description and a v4 profile's
// first Unicode record, and nothing from a broken table.
func TestDescription(t *testing.T) {
	v2 := "desc\x00\x00\x00\x00\x00\x00\x00\x12sRGB IEC61966-2.1\x00"
	text := utf16.Encode([]rune("Display P3"))
	v4 := []byte("mluc\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0cenUS")
	v4 = binary.BigEndian.AppendUint32(v4, uint32(2*len(text)))
	v4 = binary.BigEndian.AppendUint32(v4, 28)
	for _, u := range text {
		v4 = binary.BigEndian.AppendUint16(v4, u)
	}
	for _, tc := range []struct {
		p    []byte
		want string
	}{
		{profile("RGB ", [2]string{"desc", v2}), "sRGB IEC61966-2.1"},
		{profile("RGB ", [2]string{"cprt", "text\x00\x00\x00\x00(c)"}, [2]string{"desc", string(v4)}), "Display P3"},
		{profile("RGB ", [2]string{"desc", v2})[:140], ""},
		{profile("RGB ", [2]string{"desc", "desc\x00\x00\x00\x00\xff\xff\xff\xff"}), ""},
		{nil, ""},
	} {
		if got := Description(tc.p); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.p, got, tc.want)
		}
	}
}

// A source's colour profile is untrusted bytes: reading it never panics.
func FuzzProfile(f *testing.F) {
	f.Add([]byte{})
	f.Add(rgbProfile(srgbR, srgbG, srgbB, srgbPara))
	f.Add(rgbProfile(srgbR, srgbG, srgbB, srgbTable(26)))
	f.Add(profile("RGB ", [2]string{"desc", "desc\x00\x00\x00\x00\x00\x00\x00\x05sRGB\x00"}))
	f.Fuzz(func(t *testing.T, p []byte) {
		_ = Description(p)
		_ = IsSRGB(p)
	})
}
