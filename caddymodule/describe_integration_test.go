package caddymodule_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestFormatJSON: fm=json answers the source's header as imgix's JSON,
// cached and validated like an image answer.
func TestFormatJSON(t *testing.T) {
	s := newDialectSite(t, allowLoopback)
	for _, tc := range []struct {
		path          string
		width, height int
		frames        float64
	}{
		{"/img/photo.jpg?fm=json", 400, 200, 0},
		{"/img/photo.jpg?fm=json&w=10&rot=90", 400, 200, 0}, // the source, not an output
		{"/img/anim.gif?fm=json", 40, 20, 3},
	} {
		res, body := get(t, s.tester, s.base+tc.path)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("ETag") == "" {
			t.Fatalf("%s: %d %q ETag %q: %s", tc.path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("ETag"), body)
		}
		var d struct {
			PixelWidth, PixelHeight int
			Output                  struct{ Frames float64 }
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("%s: %v: %s", tc.path, err, body)
		}
		if d.PixelWidth != tc.width || d.PixelHeight != tc.height || d.Output.Frames != tc.frames {
			t.Errorf("%s: %s, want %dx%d and %v frames", tc.path, body, tc.width, tc.height, tc.frames)
		}
		again, _ := get(t, s.tester, s.base+tc.path, "If-None-Match", res.Header.Get("ETag"))
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation answered %d, want 304", tc.path, again.StatusCode)
		}
	}
}
