package caddymodule_test

import (
	"net/http"
	"testing"
)

// testSVG is a small vector logo, with a script that must never run as the
// site's.
const testSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="green"/><script>alert(1)</script></svg>`

// TestSVGPassesThrough: Matte does not rasterise SVG; an SVG source is
// answered as it is, whatever the URL asks, through every dialect, from
// the site's own files and from a remote origin, with a policy that keeps
// a document opened on its own from running script, and without a remote
// origin's cookies.
func TestSVGPassesThrough(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy", "url_dialect cloudflare")
	for _, path := range []string{
		"/img/logo.svg?w=100&fm=png",
		"/img/logo.svg?w=100&rembg=1",
		"/cdn-cgi/image/width=100,format=auto/img/logo.svg",
		"/insecure/w:100/plain//img/logo.svg",
		"/insecure/w:100/plain/" + s.remote + "/logo.svg",
	} {
		t.Run(path, func(t *testing.T) {
			res, body := get(t, s.tester, s.base+path)
			if res.StatusCode != http.StatusOK || string(body) != testSVG {
				t.Fatalf("status %d, body %.120q: want the SVG as stored", res.StatusCode, body)
			}
			for k, want := range map[string]string{
				"Content-Type":            "image/svg+xml",
				"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
				"X-Content-Type-Options":  "nosniff",
				"Set-Cookie":              "",
			} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
		})
	}
}

// TestSVGPassedThroughRevalidates: the source request goes without the
// client's validators and Range (Matte needs whole, current bodies), so an
// SVG passed through answers them itself: a matching If-None-Match or
// If-Modified-Since is a 304 with no body, and no Accept-Ranges is
// promised for a request that asked with none.
func TestSVGPassedThroughRevalidates(t *testing.T) {
	s := newDialectSite(t, allowLoopback)
	url := s.base + "/img/logo.svg?w=100"
	res, _ := get(t, s.tester, url)
	etag, lm := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
	if res.StatusCode != 200 || etag == "" || lm == "" || res.Header.Get("Accept-Ranges") != "" {
		t.Fatalf("first: %d, ETag %q, Last-Modified %q, Accept-Ranges %q", res.StatusCode, etag, lm, res.Header.Get("Accept-Ranges"))
	}
	for _, h := range [][2]string{{"If-None-Match", etag}, {"If-Modified-Since", lm}} {
		res, body := get(t, s.tester, url, h[0], h[1])
		if res.StatusCode != http.StatusNotModified || len(body) != 0 || res.Header.Get("ETag") != etag {
			t.Errorf("%s: %d, %d bytes, ETag %q; want 304, none, %q", h[0], res.StatusCode, len(body), res.Header.Get("ETag"), etag)
		}
	}
	if res, body := get(t, s.tester, url, "If-None-Match", `"other"`); res.StatusCode != 200 || string(body) != testSVG {
		t.Errorf("another ETag: %d %.60q, want the SVG", res.StatusCode, body)
	}
}
