package caddymodule_test

import (
	"image/color"
	"net/http"
	"testing"
)

// imageOrigin serves one JPEG at every path.
func imageOrigin(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(body)
	})
}

// TestMaxBlurSigmaKeysTheResult: max_blur_sigma changes the pixels of a
// wider blur (run on a reduced copy), so two sites that share a cache and
// differ only in it do not answer each other's result.
func TestMaxBlurSigmaKeysTheResult(t *testing.T) {
	tester := behindCaddy(t, imageOrigin(solidJPEG(t, 400, 300, color.RGBA{200, 60, 20, 255})), `
http://localhost:9080 {
	matte {
		max_blur_sigma 2
	}
	reverse_proxy {origin}
}
http://localhost:9081 {
	matte
	reverse_proxy {origin}
}`)
	const path = "/fl/blur.jpg?w=64&blur=200&fm=png"
	a, _ := get(t, tester, "http://localhost:9080"+path)
	b, _ := get(t, tester, "http://localhost:9081"+path)
	if a.StatusCode != 200 || b.StatusCode != 200 {
		t.Fatalf("statuses %d and %d", a.StatusCode, b.StatusCode)
	}
	if b.Header.Get("X-Cache") != "MISS" || a.Header.Get("ETag") == b.Header.Get("ETag") {
		t.Fatalf("max_blur_sigma 2 and the default: ETags %q and %q, the second %s", a.Header.Get("ETag"), b.Header.Get("ETag"), b.Header.Get("X-Cache"))
	}
}
