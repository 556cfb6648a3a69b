package caddymodule_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"math/rand/v2"
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
)

// transformsDone reads matte_transforms_total{result="ok"} from the admin
// endpoint's Prometheus metrics.
func transformsDone(t *testing.T) int {
	t.Helper()
	return int(metricValue(t, `matte_transforms_total{result="ok"}`))
}

func solidJPEG(t testing.TB, w, h int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func centre(t *testing.T, body []byte) color.RGBA {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	r, g, bl, _ := img.At(b.Dx()/2, b.Dy()/2).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
}

func writeFile(t *testing.T, path string, data []byte, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// noisePNG is an opaque PNG of pseudo-random pixels (a fixed seed): it
// hardly compresses, so a PNG of it keeps about 3 bytes per pixel.
func noisePNG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(img.Pix); i += 4 {
		v := rng.Uint32()
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(v), byte(v>>8), byte(v>>16), 255
	}
	return encodeTestPNG(t, img)
}

func TestCacheWithFileServer(t *testing.T) {
	dir := t.TempDir()
	diskDir := filepath.Join(t.TempDir(), "cache")
	photo := filepath.Join(dir, "photo.jpg")
	writeFile(t, photo, solidJPEG(t, 300, 200, color.RGBA{255, 0, 0, 255}), time.Now().Add(-time.Hour))
	writeFile(t, filepath.Join(dir, "big.jpg"), solidJPEG(t, 3000, 3000, color.RGBA{0, 128, 0, 255}), time.Now())
	writeFile(t, filepath.Join(dir, "noise.png"), noisePNG(t, 400, 400), time.Now().Add(-time.Hour))
	config := func(memory string) string {
		return globalOptions + fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		cache_memory %s
		cache_disk %s 64MiB
		server_timing
	}
	file_server
}`, dir, memory, diskDir)
	}
	// Generous timeouts: the slow transforms below share two cores with
	// whatever else the machine runs.
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: time.Minute})
	tester.InitServer(config("64MiB"), "caddyfile")
	base := "http://localhost:9080"

	res, body := get(t, tester, base+"/photo.jpg?w=30")
	if res.StatusCode != 200 || res.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("first: %d %q", res.StatusCode, res.Header.Get("X-Cache"))
	}
	before := transformsDone(t)
	res, body2 := get(t, tester, base+"/photo.jpg?w=30")
	// No Age: the cache_control sent is the answer's whole lifetime.
	if res.Header.Get("X-Cache") != "HIT-MEMORY" || !bytes.Equal(body, body2) || res.Header.Get("Age") != "" {
		t.Fatalf("second: X-Cache %q Age %q", res.Header.Get("X-Cache"), res.Header.Get("Age"))
	}
	if n := transformsDone(t); n != before {
		t.Fatalf("a hit ran %d transforms", n-before)
	}
	// Hits reuse the source for a second, then revalidate it with
	// file_server (a 304 that grants another heuristic second, kept in
	// memory): nothing about them is worth a disk write.
	writes := settledMetricSum(t, "matte_cache_disk_writes_total")
	if writes < 2 {
		t.Fatalf("%v disk writes after a miss, want the result and the source memo", writes)
	}
	for i := 0; i < 3; i++ {
		if res, _ := get(t, tester, base+"/photo.jpg?w=30"); res.Header.Get("X-Cache") != "HIT-MEMORY" {
			t.Fatalf("hit %d: X-Cache %q", i, res.Header.Get("X-Cache"))
		}
	}
	if n := settledMetricSum(t, "matte_cache_disk_writes_total"); n != writes {
		t.Fatalf("three cache hits wrote %v disk entries", n-writes)
	}

	t.Run("another variant of a known source", func(t *testing.T) {
		// The source memo is known: a result-cache miss, then the whole
		// source again (after a conditional request and its 304 when the
		// memo is no longer fresh).
		res, body := get(t, tester, base+"/photo.jpg?w=31")
		if res.StatusCode != 200 || res.Header.Get("X-Cache") != "MISS" || len(body) == 0 {
			t.Fatalf("second variant: %d, X-Cache %q, %d bytes", res.StatusCode, res.Header.Get("X-Cache"), len(body))
		}
		if c := centre(t, body); c.R < 200 {
			t.Fatalf("second variant: centre %v", c)
		}
	})

	t.Run("a source that fails to decode is not rewritten per request", func(t *testing.T) {
		good := solidJPEG(t, 300, 200, color.RGBA{9, 9, 9, 255})
		writeFile(t, filepath.Join(dir, "broken.jpg"), good[:len(good)/2], time.Now().Add(-time.Hour))
		if res, _ := get(t, tester, base+"/broken.jpg?w=30"); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("truncated source: %d", res.StatusCode)
		}
		writes := settledMetricSum(t, "matte_cache_disk_writes_total")
		for i := 0; i < 3; i++ {
			if res, _ := get(t, tester, base+"/broken.jpg?w=30"); res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("truncated source, again: %d", res.StatusCode)
			}
		}
		if n := settledMetricSum(t, "matte_cache_disk_writes_total"); n != writes {
			t.Fatalf("three requests for a broken source wrote %v disk entries", n-writes)
		}
	})

	t.Run("file_server's 304 renews the heuristic second", func(t *testing.T) {
		// Go's file server sends no Last-Modified with a 304 that has an
		// ETag; the memo's own still dates the file. A hit past the second
		// revalidates (Server-Timing names the fetch), and the hits after
		// it, within the next second, do not.
		url := base + "/photo.jpg?w=30"
		time.Sleep(1100 * time.Millisecond)
		res, _ := get(t, tester, url)
		if res.Header.Get("X-Cache") != "HIT-MEMORY" || !strings.Contains(res.Header.Get("Server-Timing"), "fetch") {
			t.Fatalf("a hit past the second: X-Cache %q, Server-Timing %q; want a revalidated hit", res.Header.Get("X-Cache"), res.Header.Get("Server-Timing"))
		}
		for i := range 3 {
			res, _ := get(t, tester, url)
			if res.Header.Get("X-Cache") != "HIT-MEMORY" || strings.Contains(res.Header.Get("Server-Timing"), "fetch") {
				t.Fatalf("hit %d after the 304: X-Cache %q, Server-Timing %q; want a hit that asked nothing", i, res.Header.Get("X-Cache"), res.Header.Get("Server-Timing"))
			}
		}
	})

	t.Run("a changed file is picked up within a second", func(t *testing.T) {
		// The file changed an hour before its last fetch: file_server sends
		// no freshness, so the heuristic lets Matte reuse it for a second
		// (source_heuristic_ttl's default) before it asks again.
		writeFile(t, photo, solidJPEG(t, 300, 200, color.RGBA{0, 0, 255, 255}), time.Now())
		time.Sleep(1100 * time.Millisecond)
		res, body := get(t, tester, base+"/photo.jpg?w=30")
		if c := centre(t, body); c.B < 200 || c.R > 60 || res.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("after change: centre %v, X-Cache %q", c, res.Header.Get("X-Cache"))
		}
	})

	t.Run("50 concurrent identical requests run one transform", func(t *testing.T) {
		before := transformsDone(t)
		var wg sync.WaitGroup
		var ok atomic.Int32
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := tester.Client.Get(base + "/big.jpg?w=1500&blur=40")
				if err == nil {
					if res.StatusCode == 200 {
						ok.Add(1)
					}
					res.Body.Close()
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 50 {
			t.Fatalf("%d of 50 succeeded", ok.Load())
		}
		if n := transformsDone(t) - before; n != 1 {
			t.Fatalf("%d transforms for 50 identical requests, want 1", n)
		}
	})

	t.Run("a waiter survives the first client leaving", func(t *testing.T) {
		before := transformsDone(t)
		url := base + "/big.jpg?w=2000&blur=300"
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		first, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		go func() {
			if res, err := tester.Client.Do(first); err == nil {
				res.Body.Close()
			}
		}()
		time.Sleep(50 * time.Millisecond)
		res, body := get(t, tester, url)
		if res.StatusCode != 200 {
			t.Fatalf("waiter got %d: %s", res.StatusCode, body)
		}
		if ctx.Err() == nil {
			t.Skip("the transform finished before the first client left; the machine is too fast for this check")
		}
		if n := transformsDone(t) - before; n != 1 {
			t.Fatalf("%d transforms, want 1 (the waiter must reuse the first one)", n)
		}
	})

	t.Run("purge by source", func(t *testing.T) {
		get(t, tester, base+"/photo.jpg?w=31")
		res, _ := get(t, tester, base+"/photo.jpg?w=31")
		if res.Header.Get("X-Cache") != "HIT-MEMORY" {
			t.Fatalf("X-Cache %q", res.Header.Get("X-Cache"))
		}
		pres, err := http.Post("http://localhost:2999/matte/purge", "application/json", strings.NewReader(`{"source":"/photo.jpg"}`))
		if err != nil || pres.StatusCode != 200 {
			t.Fatalf("purge: %v %v", err, pres)
		}
		pres.Body.Close()
		res, _ = get(t, tester, base+"/photo.jpg?w=31")
		if res.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("after purge X-Cache %q", res.Header.Get("X-Cache"))
		}
	})

	// Caddy replaces the admin endpoint before a new config's apps load:
	// after a refused reload the old config serves on, and the purge route
	// must reach its caches, not the refused config's.
	t.Run("purge after a refused reload", func(t *testing.T) {
		get(t, tester, base+"/photo.jpg?w=34")
		if res, _ := get(t, tester, base+"/photo.jpg?w=34"); res.Header.Get("X-Cache") != "HIT-MEMORY" {
			t.Fatalf("X-Cache %q", res.Header.Get("X-Cache"))
		}
		refused := globalOptions +
			"http://localhost:9080 {\n\tmatte {\n\t\tworkers 4\n\t\tqueue_megapixels 50\n\t}\n\tfile_server\n}\n"
		// The load replaces the admin server and puts the old one back: a
		// connection kept alive across it may be closed under the next
		// POST (EOF, and a POST is not retried), so none is kept.
		admin := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		lres, err := admin.Post("http://localhost:2999/load", "text/caddyfile", strings.NewReader(refused))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(lres.Body)
		lres.Body.Close()
		if lres.StatusCode == http.StatusOK || !strings.Contains(string(msg), "queue_megapixels 50") {
			t.Fatalf("the refused config loaded: %d %s", lres.StatusCode, msg)
		}
		if res, _ := get(t, tester, base+"/photo.jpg?w=34"); res.Header.Get("X-Cache") != "HIT-MEMORY" {
			t.Fatalf("the old config after the refused reload: X-Cache %q", res.Header.Get("X-Cache"))
		}
		pres, err := admin.Post("http://localhost:2999/matte/purge", "application/json", strings.NewReader(`{"all":true}`))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(pres.Body)
		pres.Body.Close()
		if pres.StatusCode != 200 || strings.TrimSpace(string(answer)) != `{"caches":1}` {
			t.Fatalf("purge: %d %s, want 200 {\"caches\":1}", pres.StatusCode, answer)
		}
		if res, _ := get(t, tester, base+"/photo.jpg?w=34"); res.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("after the purge X-Cache %q, want MISS", res.Header.Get("X-Cache"))
		}
	})

	t.Run("disk tier survives a new cache instance", func(t *testing.T) {
		res, _ := get(t, tester, base+"/photo.jpg?w=32")
		if res.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("X-Cache %q", res.Header.Get("X-Cache"))
		}
		// A different memory size is a different cache: the reload opens a
		// new instance (empty memory) on the same folder; the old one is
		// closed, which finishes its queued disk writes.
		tester.InitServer(config("32MiB"), "caddyfile")
		res, _ = get(t, tester, base+"/photo.jpg?w=32")
		if res.Header.Get("X-Cache") != "HIT-DISK" {
			t.Fatalf("after reload X-Cache %q, want HIT-DISK", res.Header.Get("X-Cache"))
		}
		res, _ = get(t, tester, base+"/photo.jpg?w=32")
		if res.Header.Get("X-Cache") != "HIT-MEMORY" {
			t.Fatalf("promotion: X-Cache %q, want HIT-MEMORY", res.Header.Get("X-Cache"))
		}
	})

	// A 1-byte memory tier keeps nothing: disk hits are sent from the entry
	// file once this process has verified it (cache.GetBody), and a file
	// damaged afterwards is never sent.
	t.Run("disk hits from the file", func(t *testing.T) {
		url := base + "/photo.jpg?w=33"
		_, want := get(t, tester, url)
		// A value over the disk tier's 256 KiB read-whole limit is sent
		// from its file (sendfile through Caddy's write-idle writer).
		largeURL := base + "/noise.png?w=399&fm=png"
		_, large := get(t, tester, largeURL)
		if len(large) <= 256<<10 {
			t.Fatalf("the large answer is %d bytes, want over 256 KiB", len(large))
		}
		tester.InitServer(config("1B"), "caddyfile")
		for i := range 3 {
			res, body := get(t, tester, url)
			if res.Header.Get("X-Cache") != "HIT-DISK" || !bytes.Equal(body, want) || res.ContentLength != int64(len(want)) {
				t.Fatalf("hit %d: X-Cache %q, %d bytes (Content-Length %d), want %d", i, res.Header.Get("X-Cache"), len(body), res.ContentLength, len(want))
			}
			res, body = get(t, tester, largeURL)
			if res.Header.Get("X-Cache") != "HIT-DISK" || !bytes.Equal(body, large) || res.ContentLength != int64(len(large)) {
				t.Fatalf("large hit %d: X-Cache %q, %d bytes (Content-Length %d), want %d", i, res.Header.Get("X-Cache"), len(body), res.ContentLength, len(large))
			}
		}
		req, _ := http.NewRequest(http.MethodHead, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("X-Cache") != "HIT-DISK" || res.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Fatalf("HEAD: %d, X-Cache %q, Content-Length %q", res.StatusCode, res.Header.Get("X-Cache"), res.Header.Get("Content-Length"))
		}
		// Flip the value's last byte in place, past the kernel's coarse
		// timestamp tick so that the write moves the file's change time.
		time.Sleep(30 * time.Millisecond)
		damaged := 0
		filepath.WalkDir(diskDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if b, _ := os.ReadFile(p); bytes.HasSuffix(b, want) {
				f, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteAt([]byte{b[len(b)-1] ^ 0x40}, int64(len(b)-1))
				f.Close()
				damaged++
			}
			return nil
		})
		if damaged != 1 {
			t.Fatalf("found %d entry files holding the result, want 1", damaged)
		}
		res, body := get(t, tester, url)
		if res.Header.Get("X-Cache") != "MISS" || !bytes.Equal(body, want) {
			t.Fatalf("after damage: X-Cache %q, %d bytes, equal %v", res.Header.Get("X-Cache"), len(body), bytes.Equal(body, want))
		}
	})
}

// versionedOrigin serves one image whose content and ETag change with
// version, with the given Cache-Control (none when empty) and a
// Last-Modified modifiedAgo before each answer (none when zero), and
// counts its requests.
type versionedOrigin struct {
	version      atomic.Int32
	requests     atomic.Int32
	conditional  atomic.Int32
	cacheControl string
	modifiedAgo  time.Duration
	images       [][]byte
}

func (o *versionedOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	v := o.version.Load()
	etag := fmt.Sprintf(`"v%d"`, v)
	w.Header().Set("ETag", etag)
	if o.cacheControl != "" {
		w.Header().Set("Cache-Control", o.cacheControl)
	}
	if o.modifiedAgo > 0 {
		w.Header().Set("Last-Modified", time.Now().Add(-o.modifiedAgo).UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		o.conditional.Add(1)
		if inm == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(o.images[v])
}

func TestCacheWithUpstream(t *testing.T) {
	red, blue := solidJPEG(t, 200, 100, color.RGBA{255, 0, 0, 255}), solidJPEG(t, 200, 100, color.RGBA{0, 0, 255, 255})
	fresh := &versionedOrigin{cacheControl: "public, max-age=60", images: [][]byte{red, blue}}
	stale := &versionedOrigin{cacheControl: "no-cache", images: [][]byte{red, blue}}
	freshSrv, staleSrv := httptest.NewServer(fresh), httptest.NewServer(stale)
	defer freshSrv.Close()
	defer staleSrv.Close()
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	matte
	handle_path /fresh/* {
		reverse_proxy %s
	}
	handle_path /stale/* {
		reverse_proxy %s
	}
}`, freshSrv.Listener.Addr(), staleSrv.Listener.Addr()), "caddyfile")
	base := "http://localhost:9080"

	t.Run("a fresh source costs no upstream request on a hit", func(t *testing.T) {
		get(t, tester, base+"/fresh/a.jpg?w=20")
		n := fresh.requests.Load()
		res, _ := get(t, tester, base+"/fresh/a.jpg?w=20")
		if res.Header.Get("X-Cache") != "HIT-MEMORY" || fresh.requests.Load() != n {
			t.Fatalf("X-Cache %q, upstream requests %d -> %d", res.Header.Get("X-Cache"), n, fresh.requests.Load())
		}
	})
	t.Run("a stale source is revalidated, and a change is picked up", func(t *testing.T) {
		_, body := get(t, tester, base+"/stale/a.jpg?w=20")
		if c := centre(t, body); c.R < 200 {
			t.Fatalf("centre %v, want red", c)
		}
		res, _ := get(t, tester, base+"/stale/a.jpg?w=20")
		if res.Header.Get("X-Cache") != "HIT-MEMORY" || stale.conditional.Load() != 1 {
			t.Fatalf("X-Cache %q after %d conditional requests", res.Header.Get("X-Cache"), stale.conditional.Load())
		}
		stale.version.Store(1)
		res, body = get(t, tester, base+"/stale/a.jpg?w=20")
		if c := centre(t, body); c.B < 200 || res.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("after the origin changed: centre %v, X-Cache %q", c, res.Header.Get("X-Cache"))
		}
	})
}

// TestHeuristicSourceFreshness: an origin that sends Last-Modified and no
// freshness of its own (as file_server does) is asked again after a tenth
// of the source's age, at most source_heuristic_ttl; explicit no-cache and
// source_heuristic_ttl 0 ask on every hit, and a source fetched with
// credentials gets no heuristic freshness.
func TestHeuristicSourceFreshness(t *testing.T) {
	red := solidJPEG(t, 40, 20, color.RGBA{255, 0, 0, 255})
	origins := map[string]*versionedOrigin{
		"old":     {modifiedAgo: time.Hour, images: [][]byte{red}},
		"recent":  {modifiedAgo: 3 * time.Second, images: [][]byte{red}},
		"nocache": {modifiedAgo: time.Hour, cacheControl: "no-cache", images: [][]byte{red}},
		"public":  {modifiedAgo: time.Hour, cacheControl: "public", images: [][]byte{red}},
		"never":   {modifiedAgo: time.Hour, images: [][]byte{red}},
	}
	routes := ""
	for name, o := range origins {
		srv := httptest.NewServer(o)
		t.Cleanup(srv.Close)
		block := ""
		if name == "never" {
			block = " {\n\t\t\tsource_heuristic_ttl 0\n\t\t}"
		}
		routes += fmt.Sprintf("\thandle_path /%s/* {\n\t\tmatte%s\n\t\treverse_proxy %s\n\t}\n", name, block, srv.Listener.Addr())
	}
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+"\nhttp://localhost:9080 {\n"+routes+"}", "caddyfile")
	// hits requests url once to fill the cache (with headers), then n times
	// more without, and reports the conditional requests those n made.
	hits := func(t *testing.T, name string, n int, pause time.Duration, headers ...string) int32 {
		t.Helper()
		url := "http://localhost:9080/" + name + "/a.jpg?w=10"
		if res, _ := get(t, tester, url, headers...); res.StatusCode != 200 {
			t.Fatalf("%s: miss answered %d", name, res.StatusCode)
		}
		before := origins[name].conditional.Load()
		for range n {
			time.Sleep(pause)
			if res, _ := get(t, tester, url); res.Header.Get("X-Cache") != "HIT-MEMORY" {
				t.Fatalf("%s: X-Cache %q, want HIT-MEMORY", name, res.Header.Get("X-Cache"))
			}
		}
		return origins[name].conditional.Load() - before
	}
	// A source unchanged for an hour is fresh for the default second: hits
	// made within it ask nothing. Requests here take milliseconds; should
	// the machine stall past the second, one may ask once.
	if asked := hits(t, "old", 3, 0); asked > 1 {
		t.Errorf("a source changed an hour ago: %d conditional requests for 3 hits at once, want none", asked)
	}
	// Changed 3 s (up to 4 s, as Last-Modified counts whole seconds) before
	// each answer: fresh for 0.3-0.4 s, not the second.
	if asked := hits(t, "recent", 2, 450*time.Millisecond); asked != 2 {
		t.Errorf("a source changed 3 s ago: %d conditional requests for 2 hits 0.45 s apart, want 2", asked)
	}
	if asked := hits(t, "nocache", 3, 0); asked != 3 {
		t.Errorf("Cache-Control: no-cache: %d conditional requests for 3 hits, want 3", asked)
	}
	if asked := hits(t, "never", 3, 0); asked != 3 {
		t.Errorf("source_heuristic_ttl 0: %d conditional requests for 3 hits, want 3", asked)
	}
	// Stored (public) from a request with Authorization, but not fresh on a
	// guess: the next request asks the origin, and its 304 (to a request
	// without credentials) makes the source fresh for the one after.
	if asked := hits(t, "public", 2, 0, "Authorization", "Bearer alice"); asked != 1 {
		t.Errorf("a source fetched with Authorization: %d conditional requests for 2 hits, want 1", asked)
	}
}

// TestStrippedPrefixesKeepSourcesApart: two handle_path routes of one host
// whose origins serve different images at the same path never answer with
// each other's, even while the sources are fresh.
func TestStrippedPrefixesKeepSourcesApart(t *testing.T) {
	red, blue := solidJPEG(t, 40, 20, color.RGBA{255, 0, 0, 255}), solidJPEG(t, 40, 20, color.RGBA{0, 0, 255, 255})
	redSrv := httptest.NewServer(&versionedOrigin{cacheControl: "max-age=600", images: [][]byte{red}})
	blueSrv := httptest.NewServer(&versionedOrigin{cacheControl: "max-age=600", images: [][]byte{blue}})
	defer redSrv.Close()
	defer blueSrv.Close()
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	handle_path /red/* {
		matte
		reverse_proxy %s
	}
	handle_path /blue/* {
		matte
		reverse_proxy %s
	}
}`, redSrv.Listener.Addr(), blueSrv.Listener.Addr()), "caddyfile")
	for range 2 {
		for _, route := range []string{"red", "blue"} {
			res, body := get(t, tester, "http://localhost:9080/"+route+"/a.jpg?w=20")
			c := centre(t, body)
			if got := map[bool]string{true: "red", false: "blue"}[c.R > c.B]; res.StatusCode != 200 || got != route {
				t.Fatalf("/%s/a.jpg: %d, X-Cache %q, a %s image", route, res.StatusCode, res.Header.Get("X-Cache"), got)
			}
		}
	}
}

func TestCacheOff(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p.jpg"), solidJPEG(t, 100, 100, color.RGBA{9, 9, 9, 255}), time.Now())
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		cache off
	}
	file_server
}`, dir), "caddyfile")
	before := transformsDone(t)
	for i := 0; i < 3; i++ {
		res, _ := get(t, tester, "http://localhost:9080/p.jpg?w=10")
		if res.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("X-Cache %q with cache off", res.Header.Get("X-Cache"))
		}
	}
	if n := transformsDone(t) - before; n != 3 {
		t.Fatalf("%d transforms for 3 requests with the cache off", n)
	}
}

// settledMetricSum sums every series of the counter name once it has not
// moved for 300ms (disk writes are queued), failing when there is none.
func settledMetricSum(t *testing.T, name string) float64 {
	t.Helper()
	last := -1.0
	for i := 0; i < 50; i++ {
		v := metricSum(t, name)
		if v == last {
			return v
		}
		last = v
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("%s never settled", name)
	return 0
}

// metricSum sums the series of name (any labels) on the admin /metrics.
func metricSum(t *testing.T, name string) float64 {
	t.Helper()
	sum, found := 0.0, false
	for _, line := range scrapeMetrics(t) {
		if rest, ok := strings.CutPrefix(line, name); ok && (strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, " ")) {
			f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			sum, found = sum+f, true
		}
	}
	if !found {
		t.Fatalf("no %s series on /metrics", name)
	}
	return sum
}

// scrapeMetrics returns the lines of the admin /metrics page.
func scrapeMetrics(t *testing.T) []string {
	t.Helper()
	res, err := http.Get("http://localhost:2999/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(body), "\n")
}

// TestVariantsUnderHandle is Caddyfile.example's shape: matte outside a
// group of `handle` blocks, one holding file_server. Caddy runs one handle of
// a group per request, so Matte must not call its next handler twice: a
// second variant of a known source once came back as an empty 200.
func TestVariantsUnderHandle(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "img", "photo.jpg"), solidJPEG(t, 300, 200, color.RGBA{255, 0, 0, 255}), time.Now().Add(-time.Hour))
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: time.Minute})
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	matte
	handle /img/* {
		root * %s
		file_server
	}
	handle {
		respond "not an image" 404
	}
}`, dir), "caddyfile")
	for i, w := range []int{30, 31, 30, 32} {
		res, body := get(t, tester, fmt.Sprintf("http://localhost:9080/img/photo.jpg?w=%d", w))
		if res.StatusCode != 200 || len(body) == 0 {
			t.Fatalf("request %d (w=%d): %d, %d bytes, X-Cache %q", i, w, res.StatusCode, len(body), res.Header.Get("X-Cache"))
		}
		if c := centre(t, body); c.R < 200 {
			t.Fatalf("request %d (w=%d): centre %v", i, w, c)
		}
	}
}
