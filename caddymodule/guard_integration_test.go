package caddymodule_test

import (
	"bytes"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/jebosio/matte/caddymodule"
)

const signKey = "0123456789abcdef-test-key"

// redPhotoSite serves site, a Caddyfile site block whose %s verbs are
// the served folder, then signKey; the folder holds p.jpg, 200x100 red.
func redPhotoSite(t *testing.T, site string) *caddytest.Tester {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.jpg"), solidJPEG(t, 200, 100, color.RGBA{200, 0, 0, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(site, dir, signKey), "caddyfile")
	return tester
}

func TestSignedURLs(t *testing.T) {
	tester := redPhotoSite(t, `
http://localhost:9080 {
	root * %s
	matte {
		signature {
			key old-key-0123456789abcdef
			key %s
			required
			unsigned w
			preset thumb "w=50&fm=png"
		}
	}
	file_server
}`)
	base := "http://localhost:9080"
	sign := func(path string, validity time.Duration, now time.Time) string {
		s, err := caddymodule.SignURL([]byte(signKey), path, validity, now)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tampered := strings.Replace(sign("/p.jpg?w=40&fm=png", 0, time.Now()), "w=40", "w=41", 1)
	for _, tc := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"unsigned allowlisted parameter", "/p.jpg?w=40", 200, ""},
		{"original without parameters", "/p.jpg", 200, ""},
		{"missing signature", "/p.jpg?w=40&fm=png", 403, "signature_missing"},
		{"signed", sign("/p.jpg?w=40&fm=png", 0, time.Now()), 200, ""},
		{"signed with expiry", sign("/p.jpg?w=40&fm=png", time.Hour, time.Now()), 200, ""},
		{"tampered", tampered, 403, "signature_invalid"},
		{"expired", sign("/p.jpg?w=40&fm=png", time.Hour, time.Now().Add(-2*time.Hour)), 403, "signature_expired"},
		{"preset usable unsigned", "/p.jpg?preset=thumb", 200, ""},
		{"unknown preset", "/p.jpg?preset=nope", 400, "unknown_preset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, tester, base+tc.path)
			if res.StatusCode != tc.status || (tc.code != "" && !bytes.Contains(body, []byte(`"code":"`+tc.code+`"`))) {
				t.Fatalf("%s: %d %s, want %d %s", tc.path, res.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	res, body := get(t, tester, base+"/p.jpg?preset=thumb")
	if f, w, _ := imageSize(t, body); f != "png" || w != 50 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("preset gave %s %d", f, w)
	}
	// A URL valid for ten more minutes is not kept for the site's day by
	// a cache in front (default cache_control: public, max-age=86400), nor
	// is the original it links to (file_server's answer, no Cache-Control).
	for _, path := range []string{sign("/p.jpg?w=30&fm=png", 10*time.Minute, time.Now()), sign("/p.jpg?w=30&fm=png", 0, time.Now()), sign("/p.jpg", 10*time.Minute, time.Now())} {
		res, _ := get(t, tester, base+path)
		cc := res.Header.Get("Cache-Control")
		var maxAge int
		if i := strings.Index(cc, "max-age="); i < 0 {
			t.Fatalf("%s: Cache-Control %q has no max-age", path, cc)
		} else if _, err := fmt.Sscanf(cc[i:], "max-age=%d", &maxAge); err != nil {
			t.Fatalf("%s: Cache-Control %q", path, cc)
		}
		expiring := strings.Contains(path, "expires=")
		if expiring && (maxAge > 600 || maxAge < 590) || !expiring && maxAge != 86400 {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
	}
}

func TestOriginURL(t *testing.T) {
	var hits atomic.Int32
	var outside atomic.Value // the last path requested outside /assets/
	photo := solidJPEG(t, 300, 200, color.RGBA{0, 0, 200, 255})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !strings.HasPrefix(r.URL.Path, "/assets/") || strings.Contains(r.URL.Path, "..") {
			outside.Store(r.URL.RawPath + " " + r.URL.Path)
		}
		switch r.URL.Path {
		case "/assets/p.jpg":
			w.Header().Set("ETag", `"p1"`)
			if r.Header.Get("If-None-Match") == `"p1"` {
				w.WriteHeader(http.StatusNotModified) // no Content-Type, as S3's
				return
			}
		case "/assets/x.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
			return
		case "/assets/page":
			w.Header()["Content-Type"] = nil // no type: Go's server would sniff text/html
			w.Write([]byte(`<html><script>alert(1)</script></html>`))
			return
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer upstream.Close()
	config := func(extra string) string {
		return globalOptions + fmt.Sprintf(`
http://localhost:9080 {
	matte {
		origin %s/assets {
			%s
		}
	}
}`, upstream.URL, extra)
	}
	tester := caddytest.NewTester(t)

	// Loopback is denied unless allowed: nothing is dialled.
	tester.InitServer(config("timeout 5s"), "caddyfile")
	res, body := get(t, tester, "http://localhost:9080/p.jpg?w=30")
	if res.StatusCode < 400 || hits.Load() != 0 || !bytes.Contains(body, []byte("upstream_error")) {
		t.Fatalf("denied origin: %d %s (origin hits %d)", res.StatusCode, body, hits.Load())
	}

	tester.InitServer(config("allow_loopback"), "caddyfile")
	res, body = get(t, tester, "http://localhost:9080/p.jpg?w=30")
	if f, w, _ := imageSize(t, body); res.StatusCode != 200 || f != "jpeg" || w != 30 {
		t.Fatalf("origin transform: %d %s %d", res.StatusCode, f, w)
	}
	res, body = get(t, tester, "http://localhost:9080/p.jpg")
	if res.StatusCode != 200 || !bytes.Equal(body, photo) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("origin pass-through: %d, %d bytes, nosniff %q", res.StatusCode, len(body), res.Header.Get("X-Content-Type-Options"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); csp != "" {
		t.Errorf("a JPEG passed through got Content-Security-Policy %q", csp)
	}
	// A 304 gets no invented type: a cache merges it into the JPEG it kept.
	res, _ = get(t, tester, "http://localhost:9080/p.jpg", "If-None-Match", `"p1"`)
	if res.StatusCode != http.StatusNotModified || res.Header.Get("Content-Type") != "" || res.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("origin 304: %d, Content-Type %q, CSP %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"))
	}
	// The origin's SVG or HTML, opened on its own under this site's name,
	// runs no script as the site: sandboxed and never sniffed (README, SVG).
	for path, ct := range map[string]string{"/x.svg": "image/svg+xml", "/page": "application/octet-stream"} {
		res, _ = get(t, tester, "http://localhost:9080"+path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ct ||
			res.Header.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'; sandbox" ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s passed through: %d, Content-Type %q, CSP %q, nosniff %q", path, res.StatusCode,
				res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"), res.Header.Get("X-Content-Type-Options"))
		}
	}
	// The origin's 404 is the client's, not a 502 (README, Errors).
	for _, path := range []string{"/missing.jpg?w=30", "/missing.jpg"} {
		res, body = get(t, tester, "http://localhost:9080"+path)
		if res.StatusCode != http.StatusNotFound || !bytes.Contains(body, []byte(`"code":"source_not_found"`)) {
			t.Fatalf("origin 404 for %s: %d %s", path, res.StatusCode, body)
		}
	}

	// A dot segment, however it is written, would leave /assets once the
	// origin resolves it: refused before anything is fetched.
	before := hits.Load()
	for _, path := range []string{"/..%2Fsecret.jpg?w=30", "/..%2Fsecret.jpg", "/%2e%2e/secret.jpg?w=30",
		"/x/%2E%2E%2F%2E%2E%2Fsecret.jpg", "/..%5Csecret.jpg?w=30"} {
		res, body = get(t, tester, "http://localhost:9080"+path)
		if res.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("segment")) {
			t.Errorf("%s: %d %s, want a 400", path, res.StatusCode, body)
		}
	}
	if n := hits.Load() - before; n != 0 {
		t.Errorf("the origin was asked %d times for paths with dot segments (last outside /assets/: %v)", n, outside.Load())
	}
}

func TestQueueOverflowAnswers503(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big.jpg"), solidJPEG(t, 3000, 3000, color.RGBA{10, 120, 10, 255}), 0o644)
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		workers 1
		queue_megapixels 25
		cache off
	}
	file_server
}`, dir), "caddyfile")
	ok, busy, other, missingRetry := concurrentGets(t, tester, 10, func(i int) string {
		return fmt.Sprintf("http://localhost:9080/big.jpg?w=%d&blur=200", 2000+i)
	})
	if busy == 0 || ok == 0 || other != 0 || missingRetry {
		t.Fatalf("ok %d, 503 %d, other %d, 503 without Retry-After %v", ok, busy, other, missingRetry)
	}
	t.Logf("10 concurrent 9 MP transforms, queue 25 MP: %d served, %d refused with 503", ok, busy)
	if n := metricValue(t, "matte_queue_rejected_total"); n < float64(busy) {
		t.Fatalf("matte_queue_rejected_total = %v, want >= %d", n, busy)
	}
}

func TestSignURL(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	got, err := caddymodule.SignURL([]byte("secret-key-0123456789"), "https://cdn.example/img/a.jpg?w=10", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "expires=1800003600") || !strings.Contains(got, "&s=") || !strings.HasPrefix(got, "https://cdn.example/img/a.jpg?") {
		t.Fatalf("got %s", got)
	}
	if _, err := caddymodule.SignURL(nil, "/a.jpg", 0, now); err == nil {
		t.Fatal("signing without a key should fail")
	}
}

// TestBurstRefusedBeforeFetching sends a burst of misses for distinct
// sources to a slow origin: once the queue's worth of requests is fetching,
// the others get 503 without the origin ever being asked for their
// sources. (Misses for one source share its fetch instead: source.go.)
func TestBurstRefusedBeforeFetching(t *testing.T) {
	big := solidJPEG(t, 3000, 3000, color.RGBA{10, 120, 10, 255})
	var originRequests atomic.Int32
	tester := behindCaddy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originRequests.Add(1)
		time.Sleep(300 * time.Millisecond)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(big)
	}), `
http://localhost:9080 {
	matte {
		workers 1
		queue_megapixels 25
		cache off
	}
	reverse_proxy {origin}
}`)
	// One transform first, so Matte knows what a job here costs (9 MP).
	if res, _ := get(t, tester, "http://localhost:9080/big.jpg?w=100"); res.StatusCode != 200 {
		t.Fatalf("warm-up: %d", res.StatusCode)
	}
	before := originRequests.Load()
	const burst = 20
	ok, busy, other, _ := concurrentGets(t, tester, burst, func(i int) string {
		return fmt.Sprintf("http://localhost:9080/big-%d.jpg?w=200", i)
	})
	fetched := originRequests.Load() - before
	t.Logf("burst of %d: %d served, %d refused, %d sources fetched", burst, ok, busy, fetched)
	if ok+busy != burst || ok == 0 || other != 0 {
		t.Fatalf("%d served, %d refused and %d other of %d", ok, busy, other, burst)
	}
	if fetched >= burst {
		t.Fatalf("all %d sources were fetched; the burst should be refused before fetching once the queue is spoken for", fetched)
	}
	// What an idle pool takes, and no more: 25 MP running (two 9 MP jobs)
	// and 25 MP waiting (two more). Each of those four is fetched and
	// served; no source is fetched only to be refused at admission.
	if ok != 4 || fetched != 4 {
		t.Fatalf("%d served of %d fetched, want the 4 the queue holds", ok, fetched)
	}
}

// concurrentGets sends n GETs at once (url(i) for the i-th) and counts the
// answers: 200, 503 (and whether one lacked Retry-After), anything else.
func concurrentGets(t *testing.T, tester *caddytest.Tester, n int, url func(int) string) (ok, busy, other int32, missingRetry bool) {
	t.Helper()
	var wg sync.WaitGroup
	var okN, busyN, otherN atomic.Int32
	var noRetry atomic.Bool
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := tester.Client.Get(url(i))
			if err != nil {
				otherN.Add(1)
				return
			}
			res.Body.Close()
			switch res.StatusCode {
			case 200:
				okN.Add(1)
			case 503:
				busyN.Add(1)
				if res.Header.Get("Retry-After") == "" {
					noRetry.Store(true)
				}
			default:
				otherN.Add(1)
			}
		}(i)
	}
	wg.Wait()
	return okN.Load(), busyN.Load(), otherN.Load(), noRetry.Load()
}

// The signature covers the path as the client sent it and the query Matte
// acts on, after the site's rewrites: a rewrite may copy what the client
// sent into the query (a "pretty URL" whose options are path segments),
// so what it adds needs a signature like the rest. Neither an option
// moved from the path nor an s= moved there by a rewrite passes unsigned.
func TestRewrittenQueryStaysSigned(t *testing.T) {
	tester := redPhotoSite(t, `
http://localhost:9080 {
	root * %s
	@opts path_regexp opts ^/o/([a-z]+)-([a-z0-9]+)/(.+)$
	rewrite @opts /{re.opts.3}?{query}&{re.opts.1}={re.opts.2}
	matte {
		url_dialect cloudflare
		signature {
			key %s
			required
			unsigned w
		}
	}
	file_server
}`)
	signed, err := caddymodule.SignURL([]byte(signKey), "/o/fm-png/p.jpg?w=40&fm=png", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/p.jpg?w=40", 200},
		{"/o/fm-png/p.jpg?w=40", 403},
		{"/o/s-x/cdn-cgi/image/width=40,format=png/p.jpg", 403},
		// Signed over the query Matte acts on, the pretty URL is served.
		{strings.Replace(signed, "&fm=png", "", 1), 200},
	} {
		res, body := get(t, tester, "http://localhost:9080"+tc.path)
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.path, res.StatusCode, body, tc.status)
		}
	}
}

// TestPlainSignedRequestHidesSignature: a signed URL without a Matte
// parameter is passed to the next handler with the query Matte acts on,
// as a transform's source request is: s and expires removed and a preset
// expanded, never the signature itself (signature.go's contract).
func TestPlainSignedRequestHidesSignature(t *testing.T) {
	seen := make(chan string, 4)
	photo := solidJPEG(t, 20, 10, color.RGBA{0, 200, 0, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.URL.RawQuery
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})
	tester := behindCaddy(t, origin, fmt.Sprintf(`
http://localhost:9080 {
	matte {
		signature {
			key %s
			preset v2 "v=2"
		}
	}
	reverse_proxy {origin}
}`, signKey))
	signed, err := caddymodule.SignURL([]byte(signKey), "/plain-signed.jpg?v=2", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{signed: "v=2", "/plain-signed.jpg?preset=v2": "v=2"} {
		res, body := get(t, tester, "http://localhost:9080"+path)
		if res.StatusCode != 200 || !bytes.Equal(body, photo) {
			t.Fatalf("%s: %d, %d bytes", path, res.StatusCode, len(body))
		}
		if got := <-seen; got != want {
			t.Errorf("%s: the next handler saw the query %q, want %q", path, got, want)
		}
	}
}
