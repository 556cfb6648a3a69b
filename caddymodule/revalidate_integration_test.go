package caddymodule_test

import (
	"context"
	"fmt"
	"image/color"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/jebosio/matte/caddymodule"
)

// matteBeforeProxy is a site of matte's defaults in front of the origin.
const matteBeforeProxy = `
http://localhost:9080 {
	matte
	reverse_proxy {origin}
}`

// revalidationOrigin serves one image with the current ETag, and answers a
// conditional request for it with 304 after a delay (so that concurrent
// revalidations overlap); it counts the conditional requests it gets.
type revalidationOrigin struct {
	mu          sync.Mutex
	etag        string
	body        []byte
	conditional atomic.Int32
}

func (o *revalidationOrigin) set(etag string, body []byte) {
	o.mu.Lock()
	o.etag, o.body = etag, body
	o.mu.Unlock()
}

func (o *revalidationOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	etag, body := o.etag, o.body
	o.mu.Unlock()
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "public, no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		o.conditional.Add(1)
		time.Sleep(150 * time.Millisecond)
		if inm == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(body)
}

// burst sends n identical GETs at once and returns each answer's status,
// X-Cache and ETag.
func burst(t *testing.T, tester *caddytest.Tester, n int, url string, header ...string) []string {
	t.Helper()
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			for j := 0; j+1 < len(header); j += 2 {
				req.Header.Set(header[j], header[j+1])
			}
			res, err := tester.Client.Do(req)
			if err != nil {
				out[i] = err.Error()
				return
			}
			res.Body.Close()
			out[i] = fmt.Sprintf("%d %s %s", res.StatusCode, res.Header.Get("X-Cache"), res.Header.Get("ETag"))
		}()
	}
	wg.Wait()
	return out
}

// TestConcurrentRevalidationsCoalesce: with source_ttl 0 every hit asks the
// origin whether the source changed; concurrent hits of one image share one
// conditional request, unless they carry credentials, and a changed source
// is never answered from the old result.
func TestConcurrentRevalidationsCoalesce(t *testing.T) {
	origin := &revalidationOrigin{}
	origin.set(`"v1"`, solidJPEG(t, 64, 48, color.RGBA{200, 30, 30, 255}))
	tester := behindCaddy(t, origin, matteBeforeProxy)
	const url = "http://localhost:9080/a.jpg?w=32"
	res, _ := get(t, tester, url)
	oldETag := res.Header.Get("ETag")
	if res.StatusCode != 200 || oldETag == "" {
		t.Fatalf("miss: %d, ETag %q", res.StatusCode, oldETag)
	}
	const n = 20
	hit := "200 HIT-MEMORY " + oldETag

	t.Run("one conditional request for a burst of hits", func(t *testing.T) {
		before := origin.conditional.Load()
		answers := burst(t, tester, n, url)
		asked := origin.conditional.Load() - before
		t.Logf("%d concurrent hits: %d conditional requests to the origin", n, asked)
		for i, a := range answers {
			if a != hit {
				t.Fatalf("answer %d: %q, want %q", i, a, hit)
			}
		}
		// All 20 start together and each revalidation takes 150 ms: a
		// few late starters may ask again, never one per hit.
		if asked < 1 || asked > 4 {
			t.Fatalf("%d conditional requests for %d concurrent hits", asked, n)
		}
	})
	t.Run("credentials are checked per request", func(t *testing.T) {
		before := origin.conditional.Load()
		answers := burst(t, tester, n, url, "Authorization", "Bearer x")
		if asked := origin.conditional.Load() - before; asked != n {
			t.Fatalf("%d conditional requests for %d hits with Authorization, want one each", asked, n)
		}
		for i, a := range answers {
			if a != hit {
				t.Fatalf("answer %d: %q, want %q", i, a, hit)
			}
		}
	})
	t.Run("a changed source is never answered from the old result", func(t *testing.T) {
		origin.set(`"v2"`, solidJPEG(t, 64, 48, color.RGBA{30, 30, 200, 255}))
		answers := burst(t, tester, n, url)
		for i, a := range answers {
			if a == hit || a[:4] != "200 " || a[len(a)-len(oldETag):] == oldETag {
				t.Fatalf("answer %d after the change: %q (old result %s)", i, a, oldETag)
			}
			if a[len(a)-len(oldETag):] != answers[0][len(answers[0])-len(oldETag):] {
				t.Fatalf("answers disagree on the new result: %q, %q", answers[0], a)
			}
		}
	})
}

// TestNotModifiedKeepsStoredFreshness: an origin whose 304 carries only
// its ETag (RFC 9110 §15.4.5 asks for Cache-Control too; many send only
// the validator) leaves the 200's max-age in force (RFC 9111 §4.3.4: what
// a 304 leaves out still holds), so once revalidated the source is fresh
// again for that max-age, not asked about on every hit.
func TestNotModifiedKeepsStoredFreshness(t *testing.T) {
	var conditional atomic.Int32
	photo := solidJPEG(t, 64, 48, color.RGBA{30, 30, 200, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified) // the ETag alone
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=2")
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})
	tester := behindCaddy(t, origin, `
http://localhost:9080 {
	matte {
		source_heuristic_ttl 0
	}
	reverse_proxy {origin}
}`)
	const url = "http://localhost:9080/etag-only.jpg?w=32" // a path no other test caches
	if res, _ := get(t, tester, url); res.StatusCode != 200 {
		t.Fatalf("miss: %d", res.StatusCode)
	}
	time.Sleep(2100 * time.Millisecond) // the 200's max-age=2 runs out
	for i := range 5 {
		if res, _ := get(t, tester, url); res.StatusCode != 200 || res.Header.Get("X-Cache") != "HIT-MEMORY" {
			t.Fatalf("hit %d: %d %q", i, res.StatusCode, res.Header.Get("X-Cache"))
		}
	}
	if n := conditional.Load(); n != 1 {
		t.Fatalf("%d conditional requests for 5 hits after the max-age ran out, want 1: the 304 renewed max-age=2", n)
	}
}

// TestSourceCORSHeadersCarryToResults: a source whose origin answers with
// CORS headers (an S3 bucket's CORS rules, with Vary: Origin) gives them
// to its transformed answers, on the miss and on hits, per Origin, so that
// <img crossorigin>, a canvas or fetch() may use the result as they may use
// the source.
func TestSourceCORSHeadersCarryToResults(t *testing.T) {
	photo := solidJPEG(t, 64, 48, color.RGBA{30, 160, 30, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o == "https://shop.example" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Timing-Allow-Origin", o)
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})
	tester := behindCaddy(t, origin, matteBeforeProxy)
	const url = "http://localhost:9080/cors.jpg?w=32" // a path no other test caches
	for i, tc := range []struct{ origin, xcache, acao string }{
		{"https://shop.example", "MISS", "https://shop.example"},
		{"https://shop.example", "HIT-MEMORY", "https://shop.example"},
		{"https://other.example", "HIT-MEMORY", ""}, // the same result, its own memo
		{"", "HIT-MEMORY", ""},
	} {
		var res *http.Response
		if tc.origin == "" {
			res, _ = get(t, tester, url)
		} else {
			res, _ = get(t, tester, url, "Origin", tc.origin)
		}
		if res.StatusCode != 200 || (i != 2 && res.Header.Get("X-Cache") != tc.xcache) ||
			res.Header.Get("Access-Control-Allow-Origin") != tc.acao || res.Header.Get("Timing-Allow-Origin") != tc.acao {
			t.Errorf("Origin %q: %d %s, Access-Control-Allow-Origin %q, Timing-Allow-Origin %q, want %q", tc.origin, res.StatusCode,
				res.Header.Get("X-Cache"), res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("Timing-Allow-Origin"), tc.acao)
		}
		if !slices.Contains(res.Header.Values("Vary"), "Origin") {
			t.Errorf("Origin %q: Vary %q lacks Origin", tc.origin, res.Header.Values("Vary"))
		}
	}
}

// TestSourceRedirectKeepsTransform: when the next handler answers a
// source with a redirect on this site, the client following it asks for the
// same transform of the new path (the upstream built its Location from the
// query without Matte's names); a redirect to another host is left as it
// is.
func TestSourceRedirectKeepsTransform(t *testing.T) {
	photo := solidJPEG(t, 64, 48, color.RGBA{160, 30, 160, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old-redirected.jpg":
			http.Redirect(w, r, "/new-redirected.jpg?"+r.URL.RawQuery, http.StatusMovedPermanently)
		case "/away-redirected.jpg":
			http.Redirect(w, r, "https://cdn.example/x.jpg?w=5", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
		}
	})
	tester := behindCaddy(t, origin, matteBeforeProxy)
	tester.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer func() { tester.Client.CheckRedirect = nil }()
	for path, want := range map[string]string{
		"/old-redirected.jpg?w=10&v=3":   "/new-redirected.jpg?v=3&w=10",
		"/old-redirected.jpg?fm=png&w=8": "/new-redirected.jpg?fm=png&w=8",
		"/away-redirected.jpg?w=10":      "https://cdn.example/x.jpg?w=5",
	} {
		res, _ := get(t, tester, "http://localhost:9080"+path)
		if res.StatusCode/100 != 3 || res.Header.Get("Location") != want {
			t.Errorf("%s: %d, Location %q, want %q", path, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	tester.Client.CheckRedirect = nil
	res, body := get(t, tester, "http://localhost:9080/old-redirected.jpg?w=10&v=3")
	if f, w, _ := imageSize(t, body); res.StatusCode != 200 || f != "jpeg" || w != 10 {
		t.Fatalf("followed: %d %s %d wide, want the 10 px transform", res.StatusCode, f, w)
	}
}

// TestNotModifiedUpdatesCORS: a bucket's CORS rule changed while the image
// did not: the 304 carries the new Access-Control-Allow-Origin, and it
// updates the memo's (RFC 9111 §4.3.4) for this answer and the next.
func TestNotModifiedUpdatesCORS(t *testing.T) {
	var cors atomic.Bool
	photo := solidJPEG(t, 64, 48, color.RGBA{30, 60, 160, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"c1"`)
		w.Header().Set("Cache-Control", "no-cache")
		if cors.Load() {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		if r.Header.Get("If-None-Match") == `"c1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})
	tester := behindCaddy(t, origin, matteBeforeProxy)
	const url = "http://localhost:9080/cors-changed.jpg?w=32" // a path no other test caches
	if res, _ := get(t, tester, url); res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("miss: %d, Access-Control-Allow-Origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	cors.Store(true)
	for i := range 2 {
		res, _ := get(t, tester, url)
		if res.StatusCode != 200 || res.Header.Get("X-Cache") != "HIT-MEMORY" || res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("hit %d after the rule changed: %d %s, Access-Control-Allow-Origin %q, want *", i, res.StatusCode,
				res.Header.Get("X-Cache"), res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// TestARevalidationServesTheResultMadeMeanwhile: a request whose memo is
// stale while its result is being made revalidates, and the 304 comes back
// after the transform has ended and stored the result (no flight left to
// join): the request serves that result, instead of fetching the source
// again and running the next handler a second time.
func TestARevalidationServesTheResultMadeMeanwhile(t *testing.T) {
	var full, conditional atomic.Int32
	body := solidJPEG(t, 64, 48, color.RGBA{20, 90, 160, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"rv"`)
		if r.Header.Get("If-None-Match") == `"rv"` {
			conditional.Add(1)
			time.Sleep(700 * time.Millisecond) // the transform ends meanwhile
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(body)
	})
	tester := behindCaddy(t, origin, matteBeforeProxy)
	const path = "http://localhost:9080/sf/reval-made-meanwhile.jpg"
	// The memo (with no freshness: every request revalidates).
	if res, _ := get(t, tester, path+"?w=16"); res.StatusCode != 200 {
		t.Fatalf("priming: %d", res.StatusCode)
	}
	started := make(chan struct{})
	var once sync.Once
	t.Cleanup(caddymodule.SetBeforeTransform(func(context.Context) {
		once.Do(func() { close(started) })
		time.Sleep(300 * time.Millisecond)
	}))
	first := make(chan []string, 1)
	go func() { first <- burst(t, tester, 1, path+"?w=40") }()
	<-started
	second := burst(t, tester, 1, path+"?w=40")
	one := <-first
	if !strings.HasPrefix(one[0], "200 ") || !strings.HasPrefix(second[0], "200 ") || one[0][strings.LastIndexByte(one[0], ' '):] != second[0][strings.LastIndexByte(second[0], ' '):] {
		t.Fatalf("answers %q and %q", one[0], second[0])
	}
	if conditional.Load() != 1 {
		t.Fatalf("%d conditional requests; want the second request's one", conditional.Load())
	}
	// The memo's fetch and the first request's; the second served the
	// result its 304 confirmed.
	if n := full.Load(); n != 2 {
		t.Fatalf("%d full fetches of the source, want 2", n)
	}
}
