package transform

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

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
