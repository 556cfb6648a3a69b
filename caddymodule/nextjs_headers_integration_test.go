package caddymodule_test

import (
	"image/color"
	"net/http"
	"testing"
)

// TestNextjsAnswerHeaders: a /_next/image answer carries the headers
// Next's optimizer sends with one (next 16.5.0, image-optimizer.js
// setResponseHeaders, with shared/lib/image-config.js's defaults
// contentDispositionType: 'attachment' and contentSecurityPolicy:
// `script-src 'none'; frame-src 'none'; sandbox;`), X-Nextjs-Cache MISS
// then HIT; a 304 carries none of them, as Next's sendEtagResponse ends
// the response before they are set.
func TestNextjsAnswerHeaders(t *testing.T) {
	photo := solidJPEG(t, 64, 48, color.RGBA{200, 120, 40, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})
	tester := behindCaddy(t, origin, `
http://localhost:9080 {
	matte {
		url_dialect nextjs
	}
	reverse_proxy {origin}
}`)
	const url = "http://localhost:9080/_next/image?url=%2Fphotos%2Fnext-headers.jpg&w=16&q=75"
	var etag string
	for _, cache := range []string{"MISS", "HIT"} {
		res, _ := get(t, tester, url, "Accept", "image/webp")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/webp" {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		for name, want := range map[string]string{
			"Content-Disposition":     `attachment; filename="next-headers.webp"`,
			"Content-Security-Policy": `script-src 'none'; frame-src 'none'; sandbox;`,
			"X-Nextjs-Cache":          cache,
		} {
			if got := res.Header.Get(name); got != want {
				t.Errorf("%s: %s %q, want %q", cache, name, got, want)
			}
		}
		etag = res.Header.Get("ETag")
	}
	res, _ := get(t, tester, url, "Accept", "image/webp", "If-None-Match", etag)
	if res.StatusCode != http.StatusNotModified || res.Header.Get("Content-Disposition") != "" || res.Header.Get("X-Nextjs-Cache") != "" {
		t.Errorf("304: %d, Content-Disposition %q, X-Nextjs-Cache %q", res.StatusCode, res.Header.Get("Content-Disposition"), res.Header.Get("X-Nextjs-Cache"))
	}
}
