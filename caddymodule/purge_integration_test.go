package caddymodule_test

import (
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// gatedOrigin serves one image per version, with the version's ETag and a
// minute of freshness, and counts its requests. While gate is set, the
// next request picks the version it serves, says so on reached, and waits
// for the gate to close before it answers.
type gatedOrigin struct {
	images   [][]byte
	version  atomic.Int32
	requests atomic.Int32
	gate     atomic.Pointer[chan struct{}]
	reached  chan struct{}
}

func newGatedOrigin(images ...[]byte) *gatedOrigin {
	return &gatedOrigin{images: images, reached: make(chan struct{}, 1)}
}

func (o *gatedOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	v := o.version.Load()
	if g := o.gate.Swap(nil); g != nil {
		o.reached <- struct{}{}
		<-*g
	}
	w.Header().Set("ETag", fmt.Sprintf(`"v%d"`, v))
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(o.images[v])
}

// heldAtOrigin sends a GET for url in the background and returns once its
// source fetch has reached o, where it is held until open is called (at
// the latest when the test ends); first then receives the answer's status
// line, or the client's error.
func heldAtOrigin(t *testing.T, tester *caddytest.Tester, o *gatedOrigin, url string) (open func(), first <-chan string) {
	t.Helper()
	gate := make(chan struct{})
	var once sync.Once
	open = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open)
	o.gate.Store(&gate)
	status := make(chan string, 1)
	go func() {
		res, err := tester.Client.Get(url)
		if err != nil {
			status <- err.Error()
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		status <- res.Status
	}()
	select {
	case <-o.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request's source fetch did not reach the origin")
	}
	return open, status
}

// purgeSource posts body to the admin purge route and expects a 200.
func purgeSource(t *testing.T, body string) {
	t.Helper()
	res, err := http.Post("http://localhost:2999/matte/purge", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("purge %s: %v", body, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("purge %s: %d %s", body, res.StatusCode, b)
	}
}

// wantBlue checks a MISS whose image is the blue (new) version, and the
// number of requests the origin has had.
func wantBlue(t *testing.T, what string, res *http.Response, body []byte, o *gatedOrigin, requests int32) {
	t.Helper()
	c := centre(t, body)
	if res.Header.Get("X-Cache") != "MISS" || c.B < 200 || c.R > 60 || o.requests.Load() != requests {
		t.Fatalf("%s: X-Cache %q, centre %v, %d origin requests; want a MISS with the new (blue) image after %d",
			what, res.Header.Get("X-Cache"), c, o.requests.Load(), requests)
	}
}

// TestPurgeDuringSourceFetchIsNotUndone: a request that fetched a source
// before a purge of it, and finished after, must not store the memo of what
// it fetched: fresh for the origin's minute, it would answer every later
// request with the purged image.
func TestPurgeDuringSourceFetchIsNotUndone(t *testing.T) {
	// Sizes no other test uses: results are keyed by content, and the
	// process's cache outlives a test.
	red, blue := solidJPEG(t, 211, 105, color.RGBA{255, 0, 0, 255}), solidJPEG(t, 211, 105, color.RGBA{0, 0, 255, 255})
	o := newGatedOrigin(red, blue)
	tester := behindCaddy(t, o, `
http://localhost:9080 {
	matte
	reverse_proxy {origin}
}`)
	url := "http://localhost:9080/a.jpg?w=20"
	open, first := heldAtOrigin(t, tester, o, url)
	// The operator replaces the file and purges it while the first request
	// is still reading the old one.
	o.version.Store(1)
	purgeSource(t, `{"source":"/a.jpg"}`)
	open()
	if s := <-first; !strings.HasPrefix(s, "200") {
		t.Fatalf("the request that overlapped the purge: %s", s)
	}
	res, body := get(t, tester, url)
	wantBlue(t, "after the purge", res, body, o, 2)
}

// TestPurgeSplitsASharedFetch: a request that begins after a purge of a
// source does not wait for a fetch of it begun before the purge (which is
// reading the purged bytes): it fetches the source itself, and answers
// with the new image while the old fetch is still held.
func TestPurgeSplitsASharedFetch(t *testing.T) {
	red, blue := solidJPEG(t, 215, 109, color.RGBA{255, 0, 0, 255}), solidJPEG(t, 215, 109, color.RGBA{0, 0, 255, 255})
	o := newGatedOrigin(red, blue)
	tester := behindCaddy(t, o, `
http://localhost:9080 {
	matte
	reverse_proxy {origin}
}`)
	open, first := heldAtOrigin(t, tester, o, "http://localhost:9080/s.jpg?w=20")
	o.version.Store(1)
	purgeSource(t, `{"source":"/s.jpg"}`)
	// The first request's fetch is still held at the origin: a request
	// that joined it would wait for the gate, which opens only after.
	quick := &http.Client{Timeout: 10 * time.Second}
	res, err := quick.Get("http://localhost:9080/s.jpg?w=21")
	if err != nil {
		t.Fatalf("a request after the purge, the old fetch still held: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	wantBlue(t, "a request after the purge, the old fetch still held", res, body, o, 2)
	open()
	if s := <-first; !strings.HasPrefix(s, "200") {
		t.Fatalf("the request that overlapped the purge: %s", s)
	}
}

// TestPurgeRemoteSourceByURL: a remote source (a URL dialect's absolute
// URL) is purged by that URL, its results and its memo both.
func TestPurgeRemoteSourceByURL(t *testing.T) {
	red, blue := solidJPEG(t, 213, 107, color.RGBA{255, 0, 0, 255}), solidJPEG(t, 213, 107, color.RGBA{0, 0, 255, 255})
	o := newGatedOrigin(red, blue)
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.jpg"), red, time.Now().Add(-time.Hour))
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect wsrv
		origin {
			allow_hosts 127.0.0.1
			allow_loopback_remote
		}
	}
	file_server
}`, dir), "caddyfile")
	source := srv.URL + "/a.jpg"
	remote := "http://localhost:9080/?url=" + url.QueryEscape(source) + "&w=20"
	if res, body := get(t, tester, remote); res.StatusCode != 200 || res.Header.Get("X-Cache") != "MISS" || centre(t, body).R < 200 {
		t.Fatalf("first: %d, X-Cache %q; want a red MISS", res.StatusCode, res.Header.Get("X-Cache"))
	}
	if res, _ := get(t, tester, remote); res.Header.Get("X-Cache") != "HIT-MEMORY" || o.requests.Load() != 1 {
		t.Fatalf("second: X-Cache %q after %d origin requests; want a hit that asked nothing", res.Header.Get("X-Cache"), o.requests.Load())
	}
	purgeSource(t, `{"source":"`+source+`"}`)

	// The same bytes as a site source make the same result key: the
	// purge must have removed that result.
	if res, _ := get(t, tester, "http://localhost:9080/?url=/a.jpg&w=20"); res.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("the same result over a site source after the purge: X-Cache %q, want MISS", res.Header.Get("X-Cache"))
	}
	// The site's request stored the old bytes' result again, under the key
	// that the remote source's memo, if it survived, would name: only
	// without it is the changed origin asked.
	o.version.Store(1)
	res, body := get(t, tester, remote)
	wantBlue(t, "the remote source after the purge", res, body, o, 2)
}
