package transform

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf16"

	"github.com/jebosio/matte/params"
)

// fm=json describes the source's header in imgix's keys, whatever else
// the Params ask: the stored size and the EXIF orientation apart, alpha,
// and an animation's frames.
func TestDescribe(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	turned := withOrientation(encodeJPEG(t, halves(40, 20, red, blue)), 6)
	alpha := encodePNG(t, halves(16, 8, green, clear))
	anim := animatedGIF(t)
	for _, tc := range []struct {
		name string
		src  []byte
		want string
	}{
		{"JPEG turned by EXIF", turned, `{"Content-Type":"image/jpeg","Content-Length":"` + strconv.Itoa(len(turned)) +
			`","PixelWidth":40,"PixelHeight":20,"Orientation":6,"Depth":8,"ColorModel":"RGB","Output":{}}`},
		{"PNG with alpha", alpha, `{"Content-Type":"image/png","Content-Length":"` + strconv.Itoa(len(alpha)) +
			`","PixelWidth":16,"PixelHeight":8,"Orientation":1,"Depth":8,"ColorModel":"RGB","HasAlpha":true,"Output":{}}`},
		{"animated GIF", anim, `{"Content-Type":"image/gif","Content-Length":"` + strconv.Itoa(len(anim)) +
			`","PixelWidth":40,"PixelHeight":20,"Orientation":1,"Depth":8,"ColorModel":"RGB","Output":{"Frames":3}}`},
	} {
		res, err := process(t, pl, tc.src, params.Params{Width: 10, Rotate: 90, Format: params.FormatJSON}, "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got, want map[string]any
		if err := json.Unmarshal(res.Body, &got); err != nil {
			t.Fatalf("%s: %v: %s", tc.name, err, res.Body)
		}
		if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
			t.Fatal(err)
		}
		delete(got, "DPIWidth") // the encoders' own defaults, not the test's
		delete(got, "DPIHeight")
		if !reflect.DeepEqual(got, want) || res.Format != params.FormatJSON {
			t.Errorf("%s: %s (%v), want %s", tc.name, res.Body, res.Format, tc.want)
		}
	}
}

// iccDescription reads a v2 profile's ASCII description and a v4
// profile's first Unicode record, and nothing from a broken table.
func TestICCDescription(t *testing.T) {
	profile := func(tag []byte) []byte {
		b := make([]byte, 128+4+12, 128+4+12+len(tag))
		be := binary.BigEndian
		be.PutUint32(b[128:], 1)
		copy(b[132:], "desc")
		be.PutUint32(b[136:], uint32(len(b)))
		be.PutUint32(b[140:], uint32(len(tag)))
		return append(b, tag...)
	}
	v2 := append([]byte("desc\x00\x00\x00\x00\x00\x00\x00\x12"), "sRGB IEC61966-2.1\x00"...)
	text := utf16.Encode([]rune("Display P3"))
	v4 := []byte("mluc\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0cenUS")
	v4 = binary.BigEndian.AppendUint32(v4, uint32(2*len(text)))
	v4 = binary.BigEndian.AppendUint32(v4, 28)
	for _, u := range text {
		v4 = binary.BigEndian.AppendUint16(v4, u)
	}
	for _, tc := range []struct {
		icc  []byte
		want string
	}{
		{profile(v2), "sRGB IEC61966-2.1"},
		{profile(v4), "Display P3"},
		{profile(v2)[:140], ""},
		{profile([]byte("desc\x00\x00\x00\x00\xff\xff\xff\xff")), ""},
		{nil, ""},
	} {
		if got := iccDescription(tc.icc); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.icc, got, tc.want)
		}
	}
}

// FuzzICCDescription: a source's colour profile is untrusted bytes; reading
// its description never panics.
func FuzzICCDescription(f *testing.F) {
	f.Add([]byte{})
	f.Add(append(make([]byte, 128), 0, 0, 0, 1, 'd', 'e', 's', 'c', 0, 0, 0, 144, 0, 0, 0, 20))
	f.Fuzz(func(t *testing.T, icc []byte) { _ = iccDescription(icc) })
}
