package caddymodule_test

import (
	"context"
	"image/color"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jebosio/matte/caddymodule"
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

// TestAFlightsRefusalIsItsOwnHandlers: two sites share the cache and so
// the flight of a result; a request of the permissive site arriving while
// the strict site's transform of the same result runs does not answer the
// strict site's refusal (max_working_megapixels' 400 output_too_large)
// but makes the result itself, as it would alone.
func TestAFlightsRefusalIsItsOwnHandlers(t *testing.T) {
	tester := behindCaddy(t, imageOrigin(solidJPEG(t, 400, 300, color.RGBA{20, 160, 60, 255})), `
http://localhost:9080 {
	matte {
		max_working_megapixels 0.001
	}
	reverse_proxy {origin}
}
http://localhost:9081 {
	matte
	reverse_proxy {origin}
}`)
	t.Cleanup(caddymodule.SetBeforeTransform(func(context.Context) { time.Sleep(600 * time.Millisecond) }))
	const path = "/fl/refused.jpg?w=64&fm=png"
	strict := make(chan []string, 1)
	go func() { strict <- burst(t, tester, 1, "http://localhost:9080"+path) }()
	time.Sleep(250 * time.Millisecond)
	permissive := burst(t, tester, 1, "http://localhost:9081"+path)
	if s := <-strict; !strings.HasPrefix(s[0], "400 ") {
		t.Fatalf("the strict site: %q, want its 400", s[0])
	}
	if !strings.HasPrefix(permissive[0], "200 ") {
		t.Fatalf("the permissive site during the strict one's transform: %q, want 200", permissive[0])
	}
}
