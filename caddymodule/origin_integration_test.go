package caddymodule_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestOriginAllowancesStayWithOrigin: `origin <url> { allow_loopback }`
// lets Matte reach its own origin on 127.0.0.1, and no other loopback
// address a client names. The origin and an "internal" service are both
// httptest servers on 127.0.0.1; the client's URLs name the internal
// service (another port) or the origin itself, through every route that
// takes a URL: an API's image_url (improve, removebg), imgix's bg-image
// and a dialect's remote source (wsrv's url). None reaches either server,
// while the origin still serves the site's images. With allow_hosts naming
// 127.0.0.1, a listed host still gets no loopback without
// allow_loopback_remote. And a server that cannot remove backgrounds
// (rembg off) answers /v1.0/removebg's 501 before it downloads image_url,
// even one it may fetch.
func TestOriginAllowancesStayWithOrigin(t *testing.T) {
	photo := testPhoto(t)
	var originHits, internalHits atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originHits.Add(1)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer origin.Close()
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer internal.Close()
	for _, u := range []string{origin.URL, internal.URL} {
		if pu, _ := url.Parse(u); pu.Hostname() != "127.0.0.1" {
			t.Fatalf("test server on %s, want 127.0.0.1", u)
		}
	}
	config := func(extra string) string {
		return globalOptions + fmt.Sprintf(`
http://localhost:9080 {
	matte {
		rembg off
		url_dialect wsrv
		origin %s/assets {
			allow_loopback
			%s
		}
		removebg
		api_improve_dir %s
	}
}`, origin.URL, extra, t.TempDir())
	}
	secret := internal.URL + "/internal/admin/secret.png"
	ownOrigin := origin.URL + "/assets/p.jpg"
	tester := caddytest.NewTester(t)
	for _, extra := range []string{"", "allow_hosts 127.0.0.1"} {
		tester.InitServer(config(extra), "caddyfile")
		res, body := get(t, tester, "http://localhost:9080/p.jpg?w=30")
		if f, w, _ := imageSize(t, body); res.StatusCode != 200 || f != "jpeg" || w != 30 {
			t.Fatalf("%q: the origin's image: %d %s %d", extra, res.StatusCode, f, w)
		}
		before := originHits.Load()
		for _, target := range []string{secret, ownOrigin} {
			res, body = post(t, tester, "/v1.0/improve", "application/x-www-form-urlencoded", formOf("image_url", target))
			removeBGError(t, res, body, http.StatusBadRequest, "invalid_image_url")
			res, body = post(t, tester, "/v1.0/removebg", "application/x-www-form-urlencoded", formOf("image_url", target))
			removeBGError(t, res, body, http.StatusNotImplemented, "removal_unavailable")
			for _, path := range []string{"/p.jpg?w=30&bg-image=" + url.QueryEscape(target), "/?w=30&url=" + url.QueryEscape(target)} {
				res, body = get(t, tester, "http://localhost:9080"+path)
				if res.StatusCode < 400 || res.StatusCode >= 500 {
					t.Errorf("%q: GET %s: %d %s, want a 4xx", extra, path, res.StatusCode, body)
				}
			}
		}
		if n := internalHits.Load(); n != 0 {
			t.Fatalf("%q: the internal service was reached %d times", extra, n)
		}
		if n := originHits.Load() - before; n != 0 {
			t.Fatalf("%q: client URLs reached the origin %d times", extra, n)
		}
	}

	// Client URLs on loopback need allow_loopback_remote, and then the
	// removebg route still says 501 before downloading anything.
	tester.InitServer(config("allow_hosts 127.0.0.1\n\t\t\tallow_loopback_remote"), "caddyfile")
	res, body := post(t, tester, "/v1.0/removebg", "application/x-www-form-urlencoded", formOf("image_url", secret))
	removeBGError(t, res, body, http.StatusNotImplemented, "removal_unavailable")
	if n := internalHits.Load(); n != 0 {
		t.Fatalf("removebg with rembg off downloaded image_url (%d requests)", n)
	}
	res, body = post(t, tester, "/v1.0/improve", "application/x-www-form-urlencoded", formOf("image_url", secret))
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"id"`)) || internalHits.Load() != 1 {
		t.Fatalf("improve with allow_loopback_remote: %d %s (%d requests)", res.StatusCode, body, internalHits.Load())
	}
}
