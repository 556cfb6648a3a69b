package accept

import "testing"

func TestListed(t *testing.T) {
	for _, c := range []struct {
		accept, mime string
		want         bool
	}{
		{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/avif", true}, // Chrome's
		{"image/avif,image/webp,*/*", "image/webp", true},
		{"image/webp;q=0", "image/webp", false},
		{"image/webp; q=0.000", "image/webp", false},
		{"image/webp;q=0.001", "image/webp", true},
		{"IMAGE/WebP", "image/webp", true},
		{"image/*,*/*", "image/avif", false}, // a wildcard does not promise a decoder
		{"image/png", "image/webp", false},
		{"", "image/webp", false},
		{"image/webp;q=bogus", "image/webp", true}, // an unreadable weight is 1
		// A malformed parameter beside q leaves q as it is.
		{"image/avif;q=0;v, image/webp", "image/avif", false},
		{"image/avif;v;Q=0", "image/avif", false},
	} {
		if got := Listed(c.accept, c.mime); got != c.want {
			t.Errorf("Listed(%q, %q) = %v, want %v", c.accept, c.mime, got, c.want)
		}
	}
}

func TestQuality(t *testing.T) {
	for _, c := range []struct {
		accept, mime string
		want         float64
	}{
		{"application/json, text/plain, */*", "application/json", 1}, // axios's default
		{"application/json, text/plain, */*", "image/png", 1},
		{"application/json", "image/png", 0},
		{"application/json", "application/json", 1},
		{"image/png, application/json;q=0.1", "application/json", 0.1},
		{"image/*;q=0.5, */*;q=0.1", "image/png", 0.5},
		{"image/png;q=0, image/*", "image/png", 0}, // the specific range wins
		{"*/*;q=0.3", "application/json", 0.3},
		{"", "image/png", 1},
		{"text/html", "image/png", 0},
		{",,  ,text/plain", "text/plain", 1},
		{"garbage", "image/png", 0},
		{"application/json;q=0;x, */*", "application/json", 0},
	} {
		if got := Quality(c.accept, c.mime); got != c.want {
			t.Errorf("Quality(%q, %q) = %v, want %v", c.accept, c.mime, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"image/avif,image/webp,*/*;q=0.8", "application/json;q=0", ";;,", "a/b;q=\"0.5\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range Parse(s) {
			if r.Q < 0 || r.Q > 1 || r.Type == "" || r.Subtype == "" {
				t.Fatalf("Parse(%q) gave %+v", s, r)
			}
		}
	})
}
