package caddymodule_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// hxSVG is an SVG over the ~2 KB a handler's first write buffers, so that
// without a Content-Length net/http would send it chunked.
var hxSVG = []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!--` +
	strings.Repeat("padding ", 700) + `--><rect width="10" height="10" fill="red"/></svg>`)

// hxOrigin is the origin of the HTTP-semantics tests, under /hx/ (no other
// test uses it: the cache outlives a test's server). /hx/ph.png is the
// fallback, with a CORS answer of its own; /hx/photo.jpg a photo;
// /hx/weak.svg an SVG with a weak ETag; /hx/slow.jpg answers after 3 s;
// /hx/vary/… is missing, with a CORS answer per Origin; every other path
// is missing with a fixed CORS answer.
func hxOrigin(t *testing.T) http.Handler {
	placeholder, photo := greenSquare(t, 100), testPhoto(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch {
		case r.URL.Path == "/hx/ph.png":
			h.Set("Access-Control-Allow-Origin", "https://fallback.example")
			h.Set("Content-Type", "image/png")
			w.Write(placeholder)
		case r.URL.Path == "/hx/photo.jpg":
			h.Set("Content-Type", "image/jpeg")
			w.Write(photo)
		case r.URL.Path == "/hx/weak.svg":
			h.Set("Content-Type", "image/svg+xml")
			h.Set("ETag", `W/"weak1"`)
			w.Write(hxSVG)
		case r.URL.Path == "/hx/slow.jpg":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
				return
			}
			h.Set("Content-Type", "image/jpeg")
			w.Write(photo)
		case strings.HasPrefix(r.URL.Path, "/hx/vary/"):
			if o := r.Header.Get("Origin"); o != "" {
				h.Set("Access-Control-Allow-Origin", o)
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			h.Set("Vary", "Origin")
			http.Error(w, "no such image", http.StatusNotFound)
		default:
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Timing-Allow-Origin", "*")
			h.Set("Cross-Origin-Resource-Policy", "cross-origin")
			http.Error(w, "no such image", http.StatusNotFound)
		}
	})
}

// hxDo sends method to url with headers, each value on a field line of
// its own (a name given twice is sent on two lines).
func hxDo(t *testing.T, tester *caddytest.Tester, method, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := tester.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// TestOriginHTTPSemantics: a fallback answer carries the missing source's
// CORS answer; a weak origin ETag matches If-None-Match (weak comparison,
// every field line read); an SVG passed through from the origin URL has
// its Content-Length; an origin timeout is the origin's 504, not Matte's
// own 503 timeout.
func TestOriginHTTPSemantics(t *testing.T) {
	tester := behindCaddy(t, hxOrigin(t), `
http://localhost:9080 {
	matte {
		fallback_image /hx/ph.png
		origin http://{origin} {
			allow_hosts 127.0.0.1
			allow_loopback
			timeout 500ms
		}
	}
}
http://localhost:9081 {
	matte {
		fallback_image /hx/ph.png
	}
	reverse_proxy {origin}
}`)

	t.Run("a fallback carries the missing source's CORS answer", func(t *testing.T) {
		// The origin URL's 404 says ACAO *, TAO *, CORP cross-origin: the
		// answer for this URL, not the fallback file's own ACAO.
		res, body := hxDo(t, tester, http.MethodGet, "http://localhost:9080/hx/nope.jpg?w=77", "Origin", "http://a.example")
		if res.StatusCode != http.StatusOK || res.Header.Get("Fallback-Image") != "1" {
			t.Fatalf("%d, Fallback-Image %q: %.200s", res.StatusCode, res.Header.Get("Fallback-Image"), body)
		}
		for k, want := range map[string]string{"Access-Control-Allow-Origin": "*", "Timing-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("origin URL fallback: %s %q, want %q", k, got, want)
			}
		}
		// Through reverse_proxy the client's Origin reaches the origin,
		// which answers per Origin: each client gets its own, and Vary.
		for _, o := range []string{"http://a.example", "http://b.example"} {
			res, body := hxDo(t, tester, http.MethodGet, "http://localhost:9081/hx/vary/nope.jpg?w=33", "Origin", o)
			if res.StatusCode != http.StatusOK || res.Header.Get("Fallback-Image") != "1" {
				t.Fatalf("%s: %d, Fallback-Image %q: %.200s", o, res.StatusCode, res.Header.Get("Fallback-Image"), body)
			}
			if res.Header.Get("Access-Control-Allow-Origin") != o || res.Header.Get("Access-Control-Allow-Credentials") != "true" ||
				!strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("reverse_proxy fallback for %s: ACAO %q, ACAC %q, Vary %q", o, res.Header.Get("Access-Control-Allow-Origin"),
					res.Header.Get("Access-Control-Allow-Credentials"), res.Header.Values("Vary"))
			}
		}
	})

	t.Run("a weak origin ETag matches, on any If-None-Match line", func(t *testing.T) {
		url := "http://localhost:9080/hx/weak.svg?w=77"
		res, _ := hxDo(t, tester, http.MethodGet, url)
		if res.StatusCode != http.StatusOK || res.Header.Get("ETag") != `W/"weak1"` {
			t.Fatalf("%d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
		}
		// RFC 9110 §13.1.2: W/"1" and W/"1", and W/"1" and "1", match
		// weakly, which If-None-Match uses.
		for _, inm := range [][]string{{`W/"weak1"`}, {`"weak1"`}, {`"other"`, `W/"weak1"`}} {
			var hdr []string
			for _, v := range inm {
				hdr = append(hdr, "If-None-Match", v)
			}
			if res, body := hxDo(t, tester, http.MethodGet, url, hdr...); res.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match %q: %d, want 304: %.100s", inm, res.StatusCode, body)
			}
		}
		if res, _ := hxDo(t, tester, http.MethodGet, url, "If-None-Match", `"other"`); res.StatusCode != http.StatusOK {
			t.Errorf(`If-None-Match "other": %d, want 200`, res.StatusCode)
		}
		// A transformed answer's own ETag, sent on the second line.
		res, _ = hxDo(t, tester, http.MethodGet, "http://localhost:9080/hx/photo.jpg?w=50")
		etag := res.Header.Get("ETag")
		if res.StatusCode != http.StatusOK || etag == "" {
			t.Fatalf("photo: %d, ETag %q", res.StatusCode, etag)
		}
		if res, _ := hxDo(t, tester, http.MethodGet, "http://localhost:9080/hx/photo.jpg?w=50", "If-None-Match", `"other"`, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("photo, its ETag on the second If-None-Match line: %d, want 304", res.StatusCode)
		}
	})

	t.Run("an SVG passed through from the origin URL has its Content-Length", func(t *testing.T) {
		want := strconv.Itoa(len(hxSVG))
		res, body := hxDo(t, tester, http.MethodGet, "http://localhost:9080/hx/weak.svg?w=64")
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, hxSVG) {
			t.Fatalf("GET: %d, %d bytes", res.StatusCode, len(body))
		}
		if res.Header.Get("Content-Length") != want || len(res.TransferEncoding) != 0 {
			t.Errorf("GET: Content-Length %q, Transfer-Encoding %q; want %s, none", res.Header.Get("Content-Length"), res.TransferEncoding, want)
		}
		res, _ = hxDo(t, tester, http.MethodHead, "http://localhost:9080/hx/weak.svg?w=64")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Length") != want {
			t.Errorf("HEAD: %d, Content-Length %q, want %s", res.StatusCode, res.Header.Get("Content-Length"), want)
		}
	})

	t.Run("an origin timeout is the origin's 504, not Matte's 503", func(t *testing.T) {
		res, body := hxDo(t, tester, http.MethodGet, "http://localhost:9080/hx/slow.jpg?w=10")
		// upstream_error and fetch.FetchError.Detail's sentence for
		// KindTimeout, as README's error table names them.
		if res.StatusCode != http.StatusGatewayTimeout || !bytes.Contains(body, []byte(`"code":"upstream_error"`)) ||
			!bytes.Contains(body, []byte("The source took too long to download.")) || res.Header.Get("Retry-After") != "" {
			t.Fatalf("%d (Retry-After %q) %s; want 504 upstream_error without Retry-After", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	})
}
