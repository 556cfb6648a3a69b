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
		{"a%5C..%5Cb.jpg", "", "", "", true}, // decoded, a backslash separates
		{"a..b/c..jpg", "", "/a..b/c..jpg", "", false},
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

func TestGravityApply(t *testing.T) {
	p := params.Params{Crop: params.CropTop}
	FocalPoint(0.9, 0.1).Apply(&p)
	if p.Crop != params.CropCenter || p.Focus != (params.Focus{X: 0.9, Y: 0.1, Set: true}) {
		t.Errorf("focal point 0.9, 0.1: crop %v, focus %+v", p.Crop, p.Focus)
	}
	Gravity{Crop: params.CropAttention, Faces: true}.Apply(&p)
	if p.Crop != params.CropAttention || p.Focus != (params.Focus{}) || p.Faces != (params.Faces{Crop: true}) {
		t.Errorf("faces: crop %v, focus %+v, faces %+v", p.Crop, p.Focus, p.Faces)
	}
	Gravity{Crop: params.CropLeft}.Apply(&p)
	if p.Crop != params.CropLeft || p.Focus != (params.Focus{}) || p.Faces != (params.Faces{}) {
		t.Errorf("left: crop %v, focus %+v, faces %+v", p.Crop, p.Focus, p.Faces)
	}
}

func TestCanonicalDropsFacesWithoutABox(t *testing.T) {
	p := params.Params{Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}
	Canonical(&p)
	if p != (params.Params{}) {
		t.Errorf("no width or height: %+v, want the zero Params", p)
	}
	p = params.Params{Width: 10, Height: 10, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}
	Canonical(&p)
	if p.Faces != (params.Faces{Crop: true}) || p.Crop != params.CropAttention {
		t.Errorf("10x10: %+v, want the faces and attention kept", p)
	}
}

func TestConfigPrefix(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"/", "", ""},
		{"/media/", "/media", ""},
		{"/media/cloud", "/media/cloud", ""},
		{"media", "", `cloud shop: prefix "media" is not a path on this site (absolute, without . or .. segments)`},
		{"/a/../b", "", `cloud shop: prefix "/a/../b" is not a path on this site (absolute, without . or .. segments)`},
		{"//host/x", "", `cloud shop: prefix "//host/x" is not a path on this site (absolute, without . or .. segments)`},
	} {
		got, err := ConfigPrefix("cloud shop", tc.in)
		if msg := fmtErr(err); got != tc.want || msg != tc.err {
			t.Errorf("ConfigPrefix(%q) = %q, %q; want %q, %q", tc.in, got, msg, tc.want, tc.err)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
