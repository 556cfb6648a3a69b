package caddymodule_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/jebosio/matte/caddymodule"
	"github.com/jebosio/matte/internal/testimages"
)

// paddedJPEG is a 16x16 JPEG carrying pad bytes of comments: a source that
// costs one megapixel in the transform queue however many bytes it holds.
func paddedJPEG(t *testing.T, pad int) []byte {
	t.Helper()
	return testimages.PaddedJPEG(solidJPEG(t, 16, 16, color.RGBA{200, 30, 30, 255}), pad)
}

// waitMetric polls the admin /metrics until the unlabelled series name
// satisfies ok, and fails after 5 s.
func waitMetric(t *testing.T, name string, ok func(float64) bool) float64 {
	t.Helper()
	var v float64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if v = metricValue(t, name); ok(v) {
			return v
		}
	}
	t.Fatalf("%s stayed at %v", name, v)
	return v
}

// TestBufferedBytesBound: the sources requests hold are bounded in bytes
// (max_buffered_bytes), not only in megapixels: small images padded to a
// large size would otherwise each pass the queue at one megapixel and hold
// all their bytes. With one source held by a request that waits for the
// rest of it, a second source that does not fit is refused with a 503
// before it is read whole, declared (Content-Length, refused before any
// byte) or not (refused at the read that passes the budget); once the first
// is served the budget is free again.
func TestBufferedBytesBound(t *testing.T) {
	padded := paddedJPEG(t, 300_000)
	var release atomic.Pointer[chan struct{}] // what a slow answer waits for
	tester := behindCaddy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wait := release.Load()
		w.Header().Set("Content-Type", "image/jpeg")
		chunked := strings.HasPrefix(r.URL.Path, "/chunked")
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(padded)))
		}
		half := len(padded) / 2
		w.Write(padded[:half])
		w.(http.Flusher).Flush()
		if strings.Contains(r.URL.Path, "slow") {
			<-*wait
		}
		w.Write(padded[half:])
	}), `
http://localhost:9080 {
	matte {
		cache off
		max_source_bytes 400KB
		max_buffered_bytes 400KB
	}
	reverse_proxy {origin}
}`)
	// Alone, a padded source is served: it fits the budget.
	if res, body := get(t, tester, "http://localhost:9080/alone.jpg?w=8"); res.StatusCode != 200 {
		t.Fatalf("a source within the budget: %d %s", res.StatusCode, body)
	}
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })

	// Requests for one source share its fetch, and its bytes count once:
	// five variants of it at once fit a budget that holds one.
	ch := make(chan struct{})
	release.Store(&ch)
	counts := make(chan [3]int32, 1)
	go func() {
		ok, busy, other, _ := concurrentGets(t, tester, 5, func(i int) string {
			return fmt.Sprintf("http://localhost:9080/shared-slow.jpg?w=%d", 8+i)
		})
		counts <- [3]int32{ok, busy, other}
	}()
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v >= float64(len(padded)) })
	time.Sleep(200 * time.Millisecond) // the other four join the fetch
	close(ch)
	if c := <-counts; c[0] != 5 {
		t.Fatalf("five variants of one source: %d served, %d refused, %d other", c[0], c[1], c[2])
	}
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })

	for _, first := range []string{"/slow.jpg", "/chunked-slow.jpg"} {
		t.Run(first, func(t *testing.T) {
			ch := make(chan struct{})
			release.Store(&ch)
			var once sync.Once
			unblock := func() { once.Do(func() { close(ch) }) }
			defer unblock()
			done := make(chan int, 1)
			go func() {
				res, err := tester.Client.Get("http://localhost:9080" + first + "?w=8")
				if err != nil {
					done <- 0
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				done <- res.StatusCode
			}()
			// The first request holds at least the half it has read.
			waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v >= float64(len(padded)/2) })
			rejected := metricValue(t, "matte_buffered_rejected_total")
			for _, second := range []string{"/other.jpg?w=8", "/chunked-other.jpg?w=8"} {
				res, body := get(t, tester, "http://localhost:9080"+second)
				if res.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(`"code":"overloaded"`)) || res.Header.Get("Retry-After") == "" {
					t.Fatalf("%s while %s holds the budget: %d (Retry-After %q) %s, want a 503 overloaded",
						second, first, res.StatusCode, res.Header.Get("Retry-After"), body)
				}
			}
			if got := metricValue(t, "matte_buffered_rejected_total"); got < rejected+2 {
				t.Errorf("matte_buffered_rejected_total %v, want at least %v", got, rejected+2)
			}
			unblock()
			if status := <-done; status != 200 {
				t.Fatalf("%s: %d, want 200 once its source arrived", first, status)
			}
			waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })
			if res, body := get(t, tester, "http://localhost:9080/other.jpg?w=8"); res.StatusCode != 200 {
				t.Fatalf("after the first was served: %d %s", res.StatusCode, body)
			}
		})
	}
}

// TestAPIBufferedBytesBound: a hosted API's body counts against
// max_buffered_bytes as it is read. With a stalled upload holding most of
// the budget, another upload is refused in the API's own words (remove.bg's
// 503 service_unavailable, with Retry-After); once the stalled one is gone,
// the same upload is read and answered for what it is.
func TestAPIBufferedBytesBound(t *testing.T) {
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: time.Minute})
	// max_source_bytes 600KB: remove.bg's largest body is 2 448 576 bytes
	// (800 000 of base64, a 600 000-byte background, 1 MiB of fields),
	// which the budget must hold (Validate).
	tester.InitServer(apiCaddyfile(t.TempDir(), "", "max_buffered_bytes 2500KB"), "caddyfile")
	conn := stallUpload(t, 2_420_000)

	ct, upload := multipartOf(t, part{name: "image_file", data: paddedJPEG(t, 100_000), file: true})
	res, body := post(t, tester, "/v1.0/removebg", ct, upload)
	removeBGError(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}

	conn.Close()
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })
	res, body = post(t, tester, "/v1.0/removebg", ct, upload)
	// This server has no model: the upload, read and probed, gets the 501.
	removeBGError(t, res, body, http.StatusNotImplemented, "removal_unavailable")
}

// TestAPIImproveBufferedBytesBound: remove.bg's POST /v1.0/improve holds
// its body and its image_url download against max_buffered_bytes as the
// image route does. With a stalled upload holding most of the budget, an
// uploaded submission and one by image_url are both refused with remove.bg's
// 503 service_unavailable (with Retry-After) and nothing is stored; once
// the stalled upload is gone the same submission is stored.
func TestAPIImproveBufferedBytesBound(t *testing.T) {
	img := paddedJPEG(t, 100_000)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(img)
	}))
	defer origin.Close()
	store := filepath.Join(t.TempDir(), "improve")
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: time.Minute})
	tester.InitServer(apiCaddyfile(t.TempDir(), "", "max_buffered_bytes 2500KB\n\t\tapi_improve_dir "+store), "caddyfile")
	conn := stallUpload(t, 2_420_000)

	ct, upload := multipartOf(t, part{name: "image_file", data: img, file: true})
	res, body := post(t, tester, "/v1.0/improve", ct, upload)
	removeBGError(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("upload: 503 without Retry-After")
	}
	res, body = post(t, tester, "/v1.0/improve", "application/x-www-form-urlencoded", formOf("image_url", origin.URL+"/a.jpg"))
	removeBGError(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
	if entries, _ := os.ReadDir(store); len(entries) != 0 {
		t.Fatalf("refused submissions stored %d files", len(entries))
	}

	conn.Close()
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })
	res, body = post(t, tester, "/v1.0/improve", ct, upload)
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"id"`)) {
		t.Fatalf("after the stalled upload left: %d %s, want 200 {\"id\"}", res.StatusCode, body)
	}
}

// gate holds a test hook's work in flight: hold says so on started (once
// at least, never blocking) and returns when open is called (any number
// of times) or ctx ends.
type gate struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{started: make(chan struct{}, 1), release: make(chan struct{})} }

func (g *gate) hold(ctx context.Context) {
	select {
	case g.started <- struct{}{}:
	default:
	}
	select {
	case <-g.release:
	case <-ctx.Done():
	}
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// getLeaving sends a GET of url that the test abandons: leave cancels it
// and returns once the client has given up (at most once takes effect).
func getLeaving(tester *caddytest.Tester, url string) (leave func()) {
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if res, err := tester.Client.Do(req); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}()
	return sync.OnceFunc(func() {
		cancel()
		<-gone
	})
}

// joinFlight sends a GET of url that is to join a flight already running
// (what), waits until the cache counts it as coalesced, and returns where
// its status (or error) arrives once it is answered.
func joinFlight(t *testing.T, tester *caddytest.Tester, url, what string) <-chan string {
	t.Helper()
	coalesced := metricSum(t, "matte_cache_coalesced_total")
	answer := make(chan string, 1)
	go func() {
		res, err := tester.Client.Get(url)
		if err != nil {
			answer <- err.Error()
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		answer <- res.Status
	}()
	for deadline := time.Now().Add(10 * time.Second); metricSum(t, "matte_cache_coalesced_total") <= coalesced; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the request did not join %s", what)
		}
	}
	return answer
}

// TestBufferedBytesHeldByTransform: a transform keeps its source counted
// in max_buffered_bytes for as long as it runs, which may be after the
// request that fetched the source is gone: another request waiting for
// the same result keeps it running, over the same bytes.
func TestBufferedBytesHeldByTransform(t *testing.T) {
	padded := paddedJPEG(t, 300_017) // bytes no other test caches: its result must not be a hit
	tester := behindCaddy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60") // the waiter trusts the memo: no fetch of its own
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(padded)
	}), `
http://localhost:9080 {
	matte {
		max_source_bytes 400KB
		max_buffered_bytes 400KB
	}
	reverse_proxy {origin}
}`)
	g := newGate()
	started, open := g.started, g.open
	t.Cleanup(caddymodule.SetBeforeTransform(g.hold))
	t.Cleanup(open) // before the hook is removed

	url := "http://localhost:9080/held.jpg?w=8"
	leave := getLeaving(tester, url)
	defer leave()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the transform did not start")
	}
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v >= float64(len(padded)) })

	waiter := joinFlight(t, tester, url, "the transform")
	// The first request's handler returns at once; the transform goes on
	// for the second, over the first's source.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if v := metricValue(t, "matte_buffered_bytes"); v < float64(len(padded)) {
			t.Fatalf("matte_buffered_bytes %v while a transform still holds the %d-byte source", v, len(padded))
		}
	}
	open()
	if s := <-waiter; !strings.HasPrefix(s, "200") {
		t.Fatalf("the request that waited for the transform: %s", s)
	}
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })
}

// stallUpload starts a remove.bg upload that sends its headers and n bytes
// of its base64 image, then stalls, and waits until the server holds them
// against max_buffered_bytes. Closing the connection ends it.
func stallUpload(t *testing.T, n int) net.Conn {
	t.Helper()
	conn, _ := rawRequest(t, fmt.Sprintf("POST /v1.0/removebg HTTP/1.1\r\nHost: localhost:9080\r\nContent-Type: application/json\r\nContent-Length: %d", n+20_000))
	io.WriteString(conn, `{"image_file_b64":"`+strings.Repeat("A", n))
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v >= float64(n) })
	return conn
}
