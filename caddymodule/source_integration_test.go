package caddymodule_test

import (
	"context"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowOrigin serves JPEGs after a delay, so that concurrent requests for
// one source overlap, and counts the requests for each path: full ones
// under the path, conditional ones under "path conditional". Its paths are
// under /sf/, which no other test uses, as the cache outlives a test's
// server. /sf/private.jpg says Cache-Control: private; /sf/vary.jpg varies
// on X-Variant (red or blue); /sf/big/ paths are a 5-megapixel image;
// every other path is one shared red image with ETag "red", which answers
// If-None-Match: "red" with 304.
type slowOrigin struct {
	red, blue, big []byte
	delay          time.Duration
	mu             sync.Mutex
	asked          map[string]int
}

func (o *slowOrigin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.asked[path]
}

func (o *slowOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	inm := r.Header.Get("If-None-Match")
	o.mu.Lock()
	if inm != "" {
		o.asked[r.URL.Path+" conditional"]++
	} else {
		o.asked[r.URL.Path]++
	}
	o.mu.Unlock()
	select {
	case <-time.After(o.delay):
	case <-r.Context().Done():
		return
	}
	body := o.red
	switch r.URL.Path {
	case "/sf/private.jpg":
		w.Header().Set("Cache-Control", "private")
	case "/sf/vary.jpg":
		w.Header().Set("Vary", "X-Variant")
		if r.Header.Get("X-Variant") == "blue" {
			body = o.blue
		}
	default:
		w.Header().Set("ETag", `"red"`)
		if inm == `"red"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/sf/big/") {
			body = o.big
		}
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(body)
}

// TestConcurrentMissesShareOneFetch: concurrent misses for one source share
// one fetch of it when the origin's answer may be shared, and only then;
// the requests that waited are not counted against the transform queue.
func TestConcurrentMissesShareOneFetch(t *testing.T) {
	origin := &slowOrigin{red: solidJPEG(t, 64, 48, color.RGBA{200, 30, 30, 255}), blue: solidJPEG(t, 64, 48, color.RGBA{30, 30, 200, 255}),
		big: solidJPEG(t, 5000, 1000, color.RGBA{30, 200, 30, 255}), delay: 300 * time.Millisecond, asked: map[string]int{}}
	tester := behindCaddy(t, origin, `
http://localhost:9080 {
	matte
	reverse_proxy {origin}
}
http://localhost:9081 {
	matte {
		workers 1
		queue_megapixels 25
	}
	reverse_proxy {origin}
}`)
	const n = 20
	// sameAnswer checks that every answer is a 200 with one result ETag.
	sameAnswer := func(t *testing.T, answers []string) {
		t.Helper()
		for i, a := range answers {
			if !strings.HasPrefix(a, "200 ") || a[strings.LastIndexByte(a, ' '):] != answers[0][strings.LastIndexByte(answers[0], ' '):] {
				t.Fatalf("answer %d: %q; answer 0: %q", i, a, answers[0])
			}
		}
	}

	t.Run("a burst of misses fetches the source once", func(t *testing.T) {
		answers := burst(t, tester, n, "http://localhost:9080/sf/a.jpg?w=32")
		sameAnswer(t, answers)
		// All start within the origin's delay; a late starter (after the
		// memo is stored, before the result is) may fetch once more.
		if asked := origin.count("/sf/a.jpg"); asked < 1 || asked > 3 {
			t.Fatalf("%d origin requests for %d concurrent misses: %q", asked, n, answers)
		}
	})
	t.Run("credentials are sent per request", func(t *testing.T) {
		sameAnswer(t, burst(t, tester, n, "http://localhost:9080/sf/c.jpg?w=32", "Authorization", "Bearer x"))
		if asked := origin.count("/sf/c.jpg"); asked != n {
			t.Fatalf("%d origin requests for %d misses with Authorization, want one each", asked, n)
		}
	})
	t.Run("a private answer is not shared", func(t *testing.T) {
		sameAnswer(t, burst(t, tester, n, "http://localhost:9080/sf/private.jpg?w=32"))
		if asked := origin.count("/sf/private.jpg"); asked != n {
			t.Fatalf("%d origin requests for %d misses of a private source, want one each", asked, n)
		}
	})
	t.Run("a varied answer is shared only with requests that match it", func(t *testing.T) {
		var red, blue []string
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			red = burst(t, tester, n/2, "http://localhost:9080/sf/vary.jpg?w=32", "X-Variant", "red")
		}()
		go func() {
			defer wg.Done()
			blue = burst(t, tester, n/2, "http://localhost:9080/sf/vary.jpg?w=32", "X-Variant", "blue")
		}()
		wg.Wait()
		sameAnswer(t, red)
		sameAnswer(t, blue)
		if red[0] == blue[0] {
			t.Fatalf("red and blue requests got the same result: %q", red[0])
		}
		// One fetch shared by the requests that match its X-Variant; each
		// of the others fetches its own.
		if asked := origin.count("/sf/vary.jpg"); asked < n/2+1 || asked > n/2+3 {
			t.Fatalf("%d origin requests for %d+%d misses varying on X-Variant", asked, n/2, n/2)
		}
	})
	t.Run("waiters are not refused by the transform queue", func(t *testing.T) {
		// A queue of 25 megapixels refuses the fifth concurrent fetch of
		// a 5-megapixel source once the average cost is known (from this
		// first request).
		if res, _ := get(t, tester, "http://localhost:9081/sf/big/warm.jpg?w=16"); res.StatusCode != 200 {
			t.Fatalf("warm-up: %d", res.StatusCode)
		}
		sameAnswer(t, burst(t, tester, n, "http://localhost:9081/sf/big/q.jpg?w=32"))
	})
	t.Run("a waiter does not fail because the first request went away", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		first := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://localhost:9080/sf/left.jpg?w=32", nil)
			res, err := tester.Client.Do(req)
			if err == nil {
				res.Body.Close()
			}
			first <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); origin.count("/sf/left.jpg") == 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		answers := burst(t, tester, n, "http://localhost:9080/sf/left.jpg?w=32")
		if err := <-first; err == nil {
			t.Fatal("the first request was not cancelled")
		}
		sameAnswer(t, answers)
		// The first fetch was abandoned; the waiters shared the next.
		if asked := origin.count("/sf/left.jpg"); asked < 2 || asked > 4 {
			t.Fatalf("%d origin requests after the first request left", asked)
		}
	})
}

// TestRequestsJoinATransformInFlight: a request whose source memo is
// current (fresh under source_ttl, or confirmed by a 304) and whose result
// another request is making waits for that result instead of fetching the
// source again.
func TestRequestsJoinATransformInFlight(t *testing.T) {
	origin := &slowOrigin{big: solidJPEG(t, 5000, 1000, color.RGBA{30, 200, 30, 255}), delay: 100 * time.Millisecond, asked: map[string]int{}}
	// A slow AVIF encode keeps the transform running while the others come.
	tester := behindCaddy(t, origin, `
http://localhost:9080 {
	matte {
		source_ttl 1m
		avif_effort 9
	}
	reverse_proxy {origin}
}
http://localhost:9081 {
	matte {
		avif_effort 9
	}
	reverse_proxy {origin}
}`)
	// The cases differ in width: results are keyed by the source's bytes,
	// the same in both.
	for _, tc := range []struct{ name, site, path, width string }{
		{"fresh memo (source_ttl)", "http://localhost:9080", "/sf/big/join-fresh.jpg", "4000"},
		{"memo confirmed by a 304", "http://localhost:9081", "/sf/big/join-304.jpg", "3990"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The memo, from another output of the same source.
			if res, _ := get(t, tester, tc.site+tc.path+"?w=16"); res.StatusCode != 200 {
				t.Fatalf("priming: %d", res.StatusCode)
			}
			url := tc.site + tc.path + "?fm=avif&w=" + tc.width
			first := make(chan []string, 1)
			go func() { first <- burst(t, tester, 1, url) }()
			deadline := time.Now().Add(30 * time.Second)
			for metricValue(t, "matte_queue_inflight_megapixels") == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the first request's transform never started")
				}
				time.Sleep(5 * time.Millisecond)
			}
			answers := append(burst(t, tester, 10, url), <-first...)
			for i, a := range answers {
				if a != answers[0] || !strings.HasPrefix(a, "200 MISS ") {
					t.Fatalf("answer %d: %q; answer 0: %q", i, a, answers[0])
				}
			}
			if metricValue(t, "matte_queue_inflight_megapixels") != 0 {
				t.Fatal("the transform outlived every answer: the others did not wait for it")
			}
			// One fetch to prime the memo, one by the first request; the
			// others fetched nothing (under source_ttl 0 each asked with a 304).
			if full := origin.count(tc.path); full != 2 {
				t.Fatalf("%d full fetches of the source; want 2 (the memo's and the first request's)", full)
			}
			t.Logf("%d conditional requests", origin.count(tc.path+" conditional"))
		})
	}
}

// TestHeadOfATransform: a HEAD answers as the GET of the same URL would,
// without a body, on a miss too (the source is fetched with GET; a HEAD to
// the origin has no body to transform), and shares the source's fetch
// with concurrent GETs.
func TestHeadOfATransform(t *testing.T) {
	origin := &slowOrigin{red: solidJPEG(t, 64, 48, color.RGBA{200, 30, 30, 255}), delay: 200 * time.Millisecond, asked: map[string]int{}}
	tester := behindCaddy(t, origin, `
http://localhost:9080 {
	matte
	reverse_proxy {origin}
}`)
	head := func(url string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodHead, url, nil)
		res, err := tester.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	const url = "http://localhost:9080/sf/head.jpg?w=24&fm=png"
	h := head(url)
	if h.StatusCode != 200 || h.Header.Get("ETag") == "" || h.Header.Get("Content-Type") != "image/png" || h.ContentLength <= 0 {
		t.Fatalf("HEAD of a miss: %d, ETag %q, %s, length %d", h.StatusCode, h.Header.Get("ETag"), h.Header.Get("Content-Type"), h.ContentLength)
	}
	res, body := get(t, tester, url)
	if res.Header.Get("ETag") != h.Header.Get("ETag") || int64(len(body)) != h.ContentLength {
		t.Fatalf("GET after HEAD: ETag %q, %d bytes; the HEAD said %q, %d", res.Header.Get("ETag"), len(body), h.Header.Get("ETag"), h.ContentLength)
	}

	// A burst of HEADs and GETs of another output shares one fetch.
	const other = "http://localhost:9080/sf/head-burst.jpg?w=24"
	var wg sync.WaitGroup
	var heads []*http.Response
	var mu sync.Mutex
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := head(other)
			mu.Lock()
			heads = append(heads, r)
			mu.Unlock()
		}()
	}
	gets := burst(t, tester, 5, other)
	wg.Wait()
	for i, r := range heads {
		if r.StatusCode != 200 || !strings.HasSuffix(gets[0], " "+r.Header.Get("ETag")) {
			t.Fatalf("HEAD %d: %d, ETag %q; GET: %q", i, r.StatusCode, r.Header.Get("ETag"), gets[0])
		}
	}
	if full := origin.count("/sf/head-burst.jpg"); full < 1 || full > 2 {
		t.Fatalf("%d fetches for 5 HEADs and 5 GETs at once", full)
	}
}

// TestAnOriginFailureIsSharedByTheWaiters: when a shared fetch fails
// because of the origin (here its timeout), the requests that waited for it
// answer that failure too, instead of trying again behind a new leader and
// then each on its own: one origin request for the burst, and no client
// waits more than about one timeout. A 5xx the next handler passes through
// is shared as a 502; a fetch abandoned by its own client is still run
// again for the others (TestConcurrentMissesShareOneFetch).
func TestAnOriginFailureIsSharedByTheWaiters(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/sf/fail/5xx") {
			time.Sleep(300 * time.Millisecond)
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	count := func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return asked[path]
	}
	srv := httptest.NewServer(hang)
	t.Cleanup(srv.Close)
	tester := behindCaddy(t, hang, fmt.Sprintf(`
http://localhost:9080 {
	matte {
		origin http://%s {
			allow_loopback
			timeout 400ms
		}
	}
}
http://localhost:9081 {
	matte
	reverse_proxy {origin}
}`, srv.Listener.Addr()))
	const n = 8
	for _, tc := range []struct{ name, url, path, want string }{
		// The origin's timeout: upstream_error's 504, not Matte's own 503.
		{"origin URL timeout", "http://localhost:9080/sf/fail/timeout.jpg?w=32", "/sf/fail/timeout.jpg", "504"},
		{"5xx through reverse_proxy", "http://localhost:9081/sf/fail/5xx.jpg?w=32", "/sf/fail/5xx.jpg", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			answers := burst(t, tester, n, tc.url)
			took := time.Since(start)
			if asked := count(tc.path); asked != 1 {
				t.Fatalf("%d origin requests for %d concurrent misses: %q", asked, n, answers)
			}
			for i, a := range answers {
				// The leader passes the origin's 503 through; the others
				// answer 502 (the origin failed).
				if tc.want != "" && !strings.HasPrefix(a, tc.want+" ") || tc.want == "" && !strings.HasPrefix(a, "503 ") && !strings.HasPrefix(a, "502 ") {
					t.Fatalf("answer %d: %q", i, a)
				}
			}
			if took > 1100*time.Millisecond {
				t.Fatalf("the burst took %v: clients waited for more than one origin failure", took)
			}
		})
	}
}
