package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestCloudflareURLs runs Cloudflare Images URLs (the forms of
// developers.cloudflare.com/images/transform-images/transform-via-url/)
// through the server.
func TestCloudflareURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect cloudflare")
	t.Run("documented example: width, quality, format=auto", func(t *testing.T) {
		res := s.image(t, "/cdn-cgi/image/width=80,quality=75,format=auto/img/photo.jpg", "webp", 80, 40, "Accept", "image/webp,*/*")
		if res.Header.Get("Content-Type") != "image/webp" {
			t.Fatalf("Content-Type %q", res.Header.Get("Content-Type"))
		}
		s.image(t, "/cdn-cgi/image/width=80,quality=75,format=auto/img/photo.jpg", "jpeg", 80, 40, "Accept", "image/jpeg")
	})
	t.Run("short names, fit=cover crops to the box", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/w=100,h=100,fit=cover,f=png/img/photo.jpg", "png", 100, 100)
	})
	t.Run("fit=pad pads to the box", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=100,height=100,fit=pad,background=%23ff0000,format=png/img/photo.jpg", "png", 100, 100)
	})
	t.Run("fit=scale-down never enlarges", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=800,fit=scale-down/img/photo.jpg", "jpeg", 400, 200)
	})
	t.Run("format=webp,quality=100 is lossless WebP", func(t *testing.T) {
		// "Use quality=100 to return the WebP lossless format": a VP8L
		// bitstream (RIFF, size, WEBP, then the chunk's FourCC).
		for q, want := range map[string]string{"100": "VP8L", "99": "VP8 "} {
			res, body := get(t, s.tester, s.base+"/cdn-cgi/image/width=40,format=webp,quality="+q+"/img/photo.jpg")
			if res.StatusCode != http.StatusOK || len(body) < 16 || string(body[12:16]) != want {
				t.Errorf("quality=%s: status %d, chunk %q, want %q", q, res.StatusCode, body[min(12, len(body)):min(16, len(body))], want)
			}
		}
	})
	t.Run("dpr multiplies", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=50,dpr=2/img/photo.jpg", "jpeg", 100, 50)
	})
	t.Run("rotate: width and height refer to the axes after rotation", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=100,rotate=90/img/photo.jpg", "jpeg", 100, 200)
	})
	t.Run("escaped local path", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=100/img/dir/sub%20photo.jpg", "jpeg", 100, 50)
	})
	// The photo is red on its left half (200 px), blue on its right.
	t.Run("trim widths cut the source first", func(t *testing.T) {
		img := s.png(t, "/cdn-cgi/image/trim=0;0;0;250,format=png/img/photo.jpg", 150, 200)
		for _, x := range []int{2, 147} {
			if r, _, b, _ := img.At(x, 100).RGBA(); r > 0x2000 || b < 0xe000 {
				t.Errorf("trim: pixel (%d,100) = %x _ %x, want blue", x, r, b)
			}
		}
		s.refused(t, "/cdn-cgi/image/trim=100;0;100;0/img/photo.jpg", http.StatusBadRequest, "trim")
	})
	t.Run("bad option names the option", func(t *testing.T) {
		s.refused(t, "/cdn-cgi/image/width=abc/img/photo.jpg", http.StatusBadRequest, "width")
		s.refused(t, "/cdn-cgi/image/width=10,zoom=2/img/photo.jpg", http.StatusBadRequest, "zoom")
		s.refused(t, "/cdn-cgi/image/format=json/img/photo.jpg", http.StatusBadRequest, "format")
		s.refused(t, "/cdn-cgi/image/width=10/img/../img/photo.jpg", http.StatusBadRequest, "source")
	})
	t.Run("missing local source is the origin's 404", func(t *testing.T) {
		res, _ := get(t, s.tester, s.base+"/cdn-cgi/image/width=100/img/nope.jpg")
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	t.Run("remote source through the allowlist", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=100/"+s.remote+"/photo.jpg", "jpeg", 100, 50)
		before := s.hits.Load()
		s.image(t, "/cdn-cgi/image/width=100/"+s.remote+"/photo.jpg", "jpeg", 100, 50)
		if s.hits.Load() != before+1 {
			t.Fatalf("the second request fetched %d times, want once (revalidation)", s.hits.Load()-before)
		}
	})
	t.Run("the imgix query still answers", func(t *testing.T) {
		s.image(t, "/img/photo.jpg?w=100", "jpeg", 100, 50)
	})
}

// TestURLDialectRemoteRefused: with no origin allowlist, a remote source
// named in a dialect URL is refused, and nothing is fetched.
func TestURLDialectRemoteRefused(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect cloudflare")
	eb := s.refused(t, "/cdn-cgi/image/width=100/"+s.remote+"/photo.jpg", http.StatusForbidden, "")
	if eb.Errors[0].Code != "remote_source_denied" {
		t.Fatalf("code %q", eb.Errors[0].Code)
	}
	if s.hits.Load() != 0 {
		t.Fatal("the remote server was asked")
	}
	s.image(t, "/cdn-cgi/image/width=100/img/photo.jpg", "jpeg", 100, 50)
}
