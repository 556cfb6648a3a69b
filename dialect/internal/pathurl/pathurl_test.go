package pathurl

import (
	"testing"

	"github.com/jebosio/matte/params"
)

func TestSource(t *testing.T) {
	for _, tc := range []struct {
		escaped, query, src, wantQuery string
		bad                            bool
	}{
		{"img/a.jpg", "v=1", "/img/a.jpg", "v=1", false},
		{"img/a%20b.jpg", "", "/img/a b.jpg", "", false},
		{"https://example.com/a.jpg", "x=1", "https://example.com/a.jpg?x=1", "", false},
		{"https:/example.com/a.jpg", "", "https://example.com/a.jpg", "", false}, // a proxy's collapsed //
		{"http:///a.jpg", "", "", "", true},
		{"https://u:p@example.com/a.jpg", "", "", "", true},
		{"", "", "", "", true},
		{"a/../b.jpg", "", "", "", true},
		{"a/./b.jpg", "", "", "", true},
		{"/etc/passwd", "", "", "", true}, // "//etc/passwd": not a site path
		{"a%zz", "", "", "", true},
		{"a%00b", "", "", "", true},
	} {
		src, q, err := Source(tc.escaped, tc.query, "source")
		if (err != nil) != tc.bad || src != tc.src || q != tc.wantQuery {
			t.Errorf("Source(%q, %q) = %q, %q, %v", tc.escaped, tc.query, src, q, err)
		}
		if err != nil && params.AsErrors(err)[0].Field != "source" {
			t.Errorf("%q: field %v", tc.escaped, err)
		}
	}
}

func TestAnchor(t *testing.T) {
	for _, tc := range []struct {
		x, y float64
		want params.Crop
	}{
		{0, 0, params.CropTopLeft}, {0.5, 0.5, params.CropCenter}, {1, 1, params.CropBottomRight},
		{0.9, 0.1, params.CropTopRight}, {0.2, 0.5, params.CropLeft}, {0.5, 0.8, params.CropBottom},
	} {
		if got := Anchor(tc.x, tc.y); got != tc.want {
			t.Errorf("Anchor(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}
