package caddymodule_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/jebosio/matte/signature"
)

// Secrets of the url_dialect test site: imgproxy's documentation example
// key and salt, and a Thumbor key.
const (
	imgproxyTestKey  = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881"
	imgproxyTestSalt = "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5"
	thumborTestKey   = "MY_SECURE_KEY"
)

// dialectSite is a site with the URL dialects on, serving testPhoto (400x200
// JPEG) as /img/photo.jpg from disk, and a 127.0.0.1 server serving it as
// <remote>/photo.jpg (hits counts its requests).
type dialectSite struct {
	tester *caddytest.Tester
	base   string
	remote string
	hits   *atomic.Int64
}

// newDialectSite starts the site. extra goes inside the matte block
// (an origin allowlist, or nothing); dialects are the url_dialect lines.
func newDialectSite(t *testing.T, extra string, dialects ...string) *dialectSite {
	t.Helper()
	dir := t.TempDir()
	photo := testPhoto(t)
	writeFiles(t, dir, map[string][]byte{"img/photo.jpg": photo, "img/dir/sub photo.jpg": photo, "img/logo.png": greenSquare(t, 10),
		"img/anim.gif": animatedGIF(t), "img/logo.svg": []byte(testSVG)})
	hits := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/logo.svg" {
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Header().Set("Set-Cookie", "remote=1")
			_, _ = w.Write([]byte(testSVG))
			return
		}
		if r.URL.Path != "/photo.jpg" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(photo)
	}))
	t.Cleanup(srv.Close)
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		%s
		%s
	}
	file_server
}`, dir, strings.Join(dialects, "\n\t\t"), extra), "caddyfile")
	return &dialectSite{tester: tester, base: "http://localhost:9080", remote: srv.URL, hits: hits}
}

// allowLoopback is the origin block that lets the test's 127.0.0.1 server
// be fetched.
const allowLoopback = `origin {
			allow_hosts 127.0.0.1
			allow_loopback_remote
		}`

// image GETs path and checks a 200 image of the format and size given.
func (s *dialectSite) image(t *testing.T, path, format string, w, h int, headers ...string) *http.Response {
	t.Helper()
	res, body := get(t, s.tester, s.base+path, headers...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, res.StatusCode, body)
	}
	if f, gw, gh := imageSize(t, body); f != format || gw != w || gh != h {
		t.Fatalf("GET %s: got %s %dx%d, want %s %dx%d", path, f, gw, gh, format, w, h)
	}
	return res
}

// png GETs path, checks a 200 PNG of the size given and decodes it.
func (s *dialectSite) png(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	res, body := get(t, s.tester, s.base+path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, res.StatusCode, body)
	}
	if f, gw, gh := imageSize(t, body); f != "png" || gw != w || gh != h {
		t.Fatalf("GET %s: got %s %dx%d, want png %dx%d", path, f, gw, gh, w, h)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return img
}

// wantPixel checks img's pixel (x, y) against the 8-bit colour c, within
// tol levels a sample (the dialect tests' sources are JPEGs); what names
// the check in the error.
func wantPixel(t *testing.T, what string, img image.Image, x, y int, c [3]uint32, tol uint32) {
	t.Helper()
	r, g, b, _ := img.At(x, y).RGBA()
	if absDiff(r>>8, c[0]) > tol || absDiff(g>>8, c[1]) > tol || absDiff(b>>8, c[2]) > tol {
		t.Errorf("%s: pixel (%d,%d) = %d %d %d, want %v", what, x, y, r>>8, g>>8, b>>8, c)
	}
}

// pixel GETs path as png does and checks its pixel (x, y) against c
// within 40 levels (wantPixel).
func (s *dialectSite) pixel(t *testing.T, path string, x, y int, c [3]uint32, w, h int) {
	t.Helper()
	wantPixel(t, path, s.png(t, path, w, h), x, y, c, 40)
}

// refused GETs path and checks an error answer in Matte's JSON shape, of
// the status given, with an error on field (when field is not empty).
func (s *dialectSite) refused(t *testing.T, path string, status int, field string) errorsBody {
	t.Helper()
	res, body := get(t, s.tester, s.base+path)
	if res.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d: %s", path, res.StatusCode, status, body)
	}
	var eb errorsBody
	if err := json.Unmarshal(body, &eb); err != nil || len(eb.Errors) == 0 {
		t.Fatalf("GET %s: not Matte's error shape: %v: %s", path, err, body)
	}
	if field == "" {
		return eb
	}
	for _, e := range eb.Errors {
		if e.Field == field && e.Detail != "" {
			return eb
		}
	}
	t.Fatalf("GET %s: no error on %q: %s", path, field, body)
	return eb
}

// TestURLDialectsWithSignatureRequired: under `signature { required }` a
// dialect URL needs Matte's s= or the dialect's own verified signature.
func TestURLDialectsWithSignatureRequired(t *testing.T) {
	s := newDialectSite(t, `signature {
			key matte-test-secret-0123456789
			required
		}`, "url_dialect cloudflare", `url_dialect thumbor {
			key `+thumborTestKey+`
		}`)
	s.refused(t, "/cdn-cgi/image/width=100/img/photo.jpg", http.StatusForbidden, "s")
	signed, err := signature.SignURL([]byte("matte-test-secret-0123456789"), "/cdn-cgi/image/width=100/img/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	s.image(t, signed, "jpeg", 100, 50)
	mac := hmac.New(sha1.New, []byte(thumborTestKey))
	mac.Write([]byte("80x40/img/photo.jpg"))
	s.image(t, "/"+base64.URLEncoding.EncodeToString(mac.Sum(nil))+"/80x40/img/photo.jpg", "jpeg", 80, 40)
}

// TestURLDialectsAllOn: with every dialect on, as in Caddyfile.example,
// each answers its own form, and plain paths and the imgix query are
// untouched.
func TestURLDialectsAllOn(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect cloudflare", "url_dialect imgproxy", "url_dialect ipx", "url_dialect thumbor")
	res, body := get(t, s.tester, s.base+"/img/photo.jpg")
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, testPhoto(t)) {
		t.Fatalf("a plain path: status %d, %d bytes", res.StatusCode, len(body))
	}
	s.image(t, "/img/photo.jpg?w=100", "jpeg", 100, 50)
	s.image(t, "/cdn-cgi/image/width=60/img/photo.jpg", "jpeg", 60, 30)
	s.image(t, "/insecure/w:60/plain/local:///img/photo.jpg", "jpeg", 60, 30)
	s.image(t, "/_ipx/w_60/img/photo.jpg", "jpeg", 60, 30)
	s.image(t, "/unsafe/60x0/img/photo.jpg", "jpeg", 60, 30)
}
