package params

import "testing"

func TestCheckImageRef(t *testing.T) {
	for _, tc := range []struct {
		ref string
		ok  bool
	}{
		{"/logo.png", true},
		{"/marks/logo.png?w=100", true},
		{"/a/%20b.png", true},
		{"/a..b/c.png", true},
		{"https://cdn.example/logo.png", true},
		{"//cdn.example/logo.png", false},
		{"/..", false},
		{"/a/../b.png", false},
		{"/./b.png", false},
		{"/%2e%2e/admin.png", false}, // .. once decoded
		{"/a/%2E/b.png", false},      // . once decoded
		{"/..%2Fadmin.png", false},   // .. once %2F is a separator
		{"/a\\..\\b.png", false},     // backslashes separate segments on some servers
		{"/%zz.png", false},          // not a valid escape
		{"relative.png", false},
		{"ftp://cdn.example/x.png", false},
		{"https://user@cdn.example/x.png", false},
		{"https://cdn.example/x.png#f", false},
		{"/\x01.png", false},
	} {
		if err := CheckImageRef(tc.ref); (err == nil) != tc.ok {
			t.Errorf("CheckImageRef(%q) = %v, want ok %v", tc.ref, err, tc.ok)
		}
	}
}
