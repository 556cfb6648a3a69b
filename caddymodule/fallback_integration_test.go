package caddymodule_test

import (
	"encoding/base64"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// fallbackUpstream is a reverse_proxy upstream and origin URL for the
// fallback tests, under /fb/ (no other test uses it, as the cache outlives
// a test's server): /fb/ph.png is the placeholder (a 100x100 green PNG),
// /fb/gone.jpg answers 410, /fb/broken.jpg 500, /fb/photo.jpg a 400x200
// JPEG; every other path 404, after delay. asked counts the requests per
// path.
type fallbackUpstream struct {
	placeholder, photo []byte
	delay              time.Duration
	mu                 sync.Mutex
	asked              map[string]int
}

func (o *fallbackUpstream) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.asked[path]
}

func (o *fallbackUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.asked[r.URL.Path]++
	o.mu.Unlock()
	switch r.URL.Path {
	case "/fb/ph.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write(o.placeholder)
	case "/fb/photo.jpg":
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(o.photo)
	case "/fb/gone.jpg":
		http.Error(w, "gone", http.StatusGone)
	case "/fb/broken.jpg":
		http.Error(w, "broken", http.StatusInternalServerError)
	default:
		select {
		case <-time.After(o.delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("X-Upstream", "404")
		http.Error(w, "upstream: no such image", http.StatusNotFound)
	}
}

// b64 is URL-safe Base64 without padding, as imgproxy writes its options.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestFallbackImage: a source that is missing (404 or 410, from
// file_server, reverse_proxy or the origin URL) is answered with the
// fallback image, transformed as the request asks, marked Fallback-Image: 1
// under fallback_status and fallback_ttl; ImageKit's di-, imgproxy's fiu and
// Cloudinary's d_ name their own; everything else is answered as without a fallback.
func TestFallbackImage(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"fb/photo.jpg": testPhoto(t), // 400x200
		"fb/ph.png":    greenSquare(t, 100),
		"fb/other.jpg": solidJPEG(t, 80, 40, color.RGBA{30, 30, 200, 255}),
		"fb/notes.txt": []byte("not an image"),
	})
	up := &fallbackUpstream{placeholder: greenSquare(t, 100), photo: testPhoto(t), delay: 300 * time.Millisecond, asked: map[string]int{}}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: time.Minute})
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %[1]s
	matte {
		fallback_image /fb/ph.png
		url_dialect imagekit
		url_dialect imgproxy
		origin {
			allow_hosts 127.0.0.1
			allow_loopback_remote
		}
	}
	file_server
}
http://localhost:9081 {
	root * %[1]s
	matte {
		fallback_image /fb/nothing.png
		fallback_status 404
		fallback_ttl 0
		url_dialect imagekit
	}
	file_server
}
http://localhost:9082 {
	root * %[1]s
	matte {
		url_dialect imagekit
		url_dialect imgproxy
		url_dialect cloudinary
	}
	file_server
}
http://localhost:9083 {
	matte {
		fallback_image /fb/ph.png
		fallback_ttl 10m
	}
	reverse_proxy %[2]s
}
http://localhost:9084 {
	matte {
		url_dialect imagekit
	}
	reverse_proxy %[2]s
}
http://localhost:9085 {
	matte {
		fallback_image /fb/ph.png
		origin http://%[2]s {
			allow_hosts 127.0.0.1
			allow_loopback
		}
	}
}`, dir, upstream.Listener.Addr()), "caddyfile")

	// fallback GETs url and checks a fallback answer: status, the
	// Fallback-Image mark, Cache-Control, and the image's format and size.
	fallback := func(t *testing.T, url string, status int, cacheControl, format string, w, h int, headers ...string) *http.Response {
		t.Helper()
		res, body := get(t, tester, url, headers...)
		if res.StatusCode != status || res.Header.Get("Fallback-Image") != "1" || res.Header.Get("Cache-Control") != cacheControl {
			t.Fatalf("GET %s: %d, Fallback-Image %q, Cache-Control %q; want %d, 1, %q: %.200s", url, res.StatusCode,
				res.Header.Get("Fallback-Image"), res.Header.Get("Cache-Control"), status, cacheControl, body)
		}
		if f, gw, gh := imageSize(t, body); f != format || gw != w || gh != h {
			t.Fatalf("GET %s: %s %dx%d, want %s %dx%d", url, f, gw, gh, format, w, h)
		}
		return res
	}
	// notFallback GETs url and checks an answer of status without the mark.
	notFallback := func(t *testing.T, url string, status int) (*http.Response, []byte) {
		t.Helper()
		res, body := get(t, tester, url)
		if res.StatusCode != status || res.Header.Get("Fallback-Image") != "" {
			t.Fatalf("GET %s: %d, Fallback-Image %q; want %d without: %.200s", url, res.StatusCode, res.Header.Get("Fallback-Image"), status, body)
		}
		return res, body
	}

	t.Run("the site's fallback for a missing file, transformed as asked", func(t *testing.T) {
		res := fallback(t, "http://localhost:9080/fb/none.jpg?w=50", 200, "public, max-age=60", "png", 50, 50)
		if res.Header.Get("ETag") == "" || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("ETag %q, Content-Type %q", res.Header.Get("ETag"), res.Header.Get("Content-Type"))
		}
		fallback(t, "http://localhost:9080/fb/none.jpg?w=40&h=20&fit=crop&fm=jpg", 200, "public, max-age=60", "jpeg", 40, 20)
		// Its own validator answers a conditional request, marked too.
		res, _ = get(t, tester, "http://localhost:9080/fb/none.jpg?w=50", "If-None-Match", res.Header.Get("ETag"))
		if res.StatusCode != http.StatusNotModified || res.Header.Get("Fallback-Image") != "1" || res.Header.Get("Cache-Control") != "public, max-age=60" {
			t.Fatalf("conditional: %d, %v", res.StatusCode, res.Header)
		}
	})
	t.Run("a present source is unaffected", func(t *testing.T) {
		res, body := notFallback(t, "http://localhost:9080/fb/photo.jpg?w=100", 200)
		if f, w, h := imageSize(t, body); f != "jpeg" || w != 100 || h != 50 || res.Header.Get("Cache-Control") != "public, max-age=86400" {
			t.Fatalf("%s %dx%d, Cache-Control %q", f, w, h, res.Header.Get("Cache-Control"))
		}
		// A file that is there but not an image still passes through.
		if _, body := notFallback(t, "http://localhost:9080/fb/notes.txt?w=10", 200); string(body) != "not an image" {
			t.Fatalf("notes.txt: %q", body)
		}
	})
	t.Run("ImageKit di- names its own", func(t *testing.T) {
		fallback(t, "http://localhost:9080/fb/none.jpg?tr=h-20,di-fb@@other.jpg", 200, "public, max-age=60", "jpeg", 40, 20)
		fallback(t, "http://localhost:9080/tr:w-30,di-@@fb@@other.jpg/fb/none.jpg", 200, "public, max-age=60", "jpeg", 30, 15)
		// On a site without fallback_image too.
		fallback(t, "http://localhost:9082/fb/none.jpg?tr=w-20,di-fb@@ph.png", 200, "public, max-age=60", "png", 20, 20)
	})
	t.Run("Cloudinary d_ names its own", func(t *testing.T) {
		fallback(t, "http://localhost:9082/demo/image/upload/w_20/d_fb:ph.png/fb/none.jpg", 200, "public, max-age=60", "png", 20, 20)
		notFallback(t, "http://localhost:9082/demo/image/upload/w_20,d_fb:ph.png/fb/photo.jpg", 200)
	})
	t.Run("imgproxy fiu names its own: a path or an allowed URL", func(t *testing.T) {
		fallback(t, "http://localhost:9080/insecure/w:20/fiu:"+b64("/fb/other.jpg")+"/plain//fb/none.jpg", 200, "public, max-age=60", "jpeg", 20, 10)
		remote := upstream.URL + "/fb/ph.png"
		fallback(t, "http://localhost:9080/insecure/w:10/fallback_image_url:"+b64(remote)+"/plain//fb/none.jpg", 200, "public, max-age=60", "png", 10, 10)
		// Without allow_hosts a fiu URL is refused, missing source or not.
		for _, src := range []string{"/fb/none.jpg", "/fb/photo.jpg"} {
			res, body := get(t, tester, "http://localhost:9082/insecure/w:10/fiu:"+b64(remote)+"/plain/"+src)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"field":"fiu"`) {
				t.Fatalf("fiu URL without allow_hosts, source %s: %d %s", src, res.StatusCode, body)
			}
		}
	})
	t.Run("a fallback that is missing or not an image: the source's 404", func(t *testing.T) {
		plain, plainBody := notFallback(t, "http://localhost:9082/fb/none.jpg?w=50", 404)
		res, body := notFallback(t, "http://localhost:9081/fb/none.jpg?w=50", 404)
		if string(body) != string(plainBody) || res.Header.Get("Content-Type") != plain.Header.Get("Content-Type") {
			t.Fatalf("with a missing fallback: %q %q; without a fallback: %q %q", res.Header.Get("Content-Type"), body, plain.Header.Get("Content-Type"), plainBody)
		}
		notFallback(t, "http://localhost:9080/fb/none.jpg?tr=w-10,di-fb@@notes.txt", 404)
		notFallback(t, "http://localhost:9080/fb/none.jpg?tr=w-10,di-fb@@none.png", 404)
	})
	t.Run("fallback_status and fallback_ttl", func(t *testing.T) {
		res := fallback(t, "http://localhost:9081/fb/none.jpg?tr=w-10,di-fb@@ph.png", 404, "no-cache", "png", 10, 10)
		if res.Header.Get("ETag") != "" {
			t.Fatalf("a 404 fallback with ETag %q", res.Header.Get("ETag"))
		}
		fallback(t, "http://localhost:9083/fb/none.jpg?w=12", 200, "public, max-age=600", "png", 12, 12)
	})
	t.Run("reverse_proxy answering 404 or 410; not 500", func(t *testing.T) {
		fallback(t, "http://localhost:9083/fb/rp-none.jpg?w=16", 200, "public, max-age=600", "png", 16, 16)
		fallback(t, "http://localhost:9083/fb/gone.jpg?w=16", 200, "public, max-age=600", "png", 16, 16)
		if _, body := notFallback(t, "http://localhost:9083/fb/broken.jpg?w=16", 500); !strings.Contains(string(body), "broken") {
			t.Fatalf("500 body %q", body)
		}
		// Without a fallback the upstream's own 404 passes through.
		if res, body := notFallback(t, "http://localhost:9084/fb/rp-none.jpg?w=16", 404); res.Header.Get("X-Upstream") != "404" ||
			!strings.Contains(string(body), "upstream: no such image") {
			t.Fatalf("passed-through 404: %v %q", res.Header, body)
		}
	})
	t.Run("the origin URL answering 404 or 410; not 500", func(t *testing.T) {
		fallback(t, "http://localhost:9085/fb/origin-none.jpg?w=14", 200, "public, max-age=60", "png", 14, 14)
		fallback(t, "http://localhost:9085/fb/gone.jpg?w=14", 200, "public, max-age=60", "png", 14, 14)
		notFallback(t, "http://localhost:9085/fb/broken.jpg?w=14", http.StatusBadGateway)
		if _, body := notFallback(t, "http://localhost:9085/fb/photo.jpg?w=14", 200); len(body) == 0 {
			t.Fatal("empty photo")
		}
	})
	t.Run("concurrent requests for one missing source all get the fallback", func(t *testing.T) {
		for _, url := range []string{"http://localhost:9083/fb/burst.jpg?w=24", "http://localhost:9080/fb/burst.jpg?w=24"} {
			answers := burst(t, tester, 20, url)
			for i, a := range answers {
				if !strings.HasPrefix(a, "200 ") || a[strings.LastIndexByte(a, ' '):] != answers[0][strings.LastIndexByte(answers[0], ' '):] {
					t.Fatalf("%s: answer %d: %q; answer 0: %q", url, i, a, answers[0])
				}
			}
		}
		// The upstream was asked once for them all (a late starter may ask
		// once more).
		if asked := up.count("/fb/burst.jpg"); asked < 1 || asked > 3 {
			t.Fatalf("%d upstream requests for 20 concurrent misses", asked)
		}
	})
	t.Run("requests with and without a fallback share one fetch of a missing source", func(t *testing.T) {
		var with, without atomic.Int64
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				url := "http://localhost:9084/fb/mixed.jpg?w=8"
				if i%2 == 0 {
					url = "http://localhost:9084/fb/mixed.jpg?tr=w-8,di-fb@@ph.png"
				}
				res, err := tester.Client.Get(url)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				switch {
				case i%2 == 0 && res.StatusCode == 200 && res.Header.Get("Fallback-Image") == "1":
					with.Add(1)
				case i%2 == 1 && res.StatusCode == 404 && res.Header.Get("X-Upstream") == "404":
					without.Add(1)
				default:
					t.Errorf("request %d: %d %v", i, res.StatusCode, res.Header)
				}
			}()
		}
		wg.Wait()
		if with.Load() != 8 || without.Load() != 8 {
			t.Fatalf("%d fallbacks, %d 404s; want 8 of each", with.Load(), without.Load())
		}
	})
	t.Run("a source deleted since its result was made: the fallback", func(t *testing.T) {
		path := filepath.Join(dir, "fb", "vanish.jpg")
		if err := os.WriteFile(path, testPhoto(t), 0o644); err != nil {
			t.Fatal(err)
		}
		notFallback(t, "http://localhost:9080/fb/vanish.jpg?w=50", 200)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		// Once the source's heuristic freshness (at most a second: file_server
		// sends none of its own) has run out, the memo is revalidated, and
		// file_server's 404 is answered with the fallback, not the result
		// cached before.
		time.Sleep(1100 * time.Millisecond)
		fallback(t, "http://localhost:9080/fb/vanish.jpg?w=50", 200, "public, max-age=60", "png", 50, 50)
	})
	t.Run("a source created later is served, not the fallback", func(t *testing.T) {
		fallback(t, "http://localhost:9080/fb/late.jpg?w=50", 200, "public, max-age=60", "png", 50, 50)
		if err := os.WriteFile(filepath.Join(dir, "fb", "late.jpg"), testPhoto(t), 0o644); err != nil {
			t.Fatal(err)
		}
		res, body := notFallback(t, "http://localhost:9080/fb/late.jpg?w=50", 200)
		if f, w, h := imageSize(t, body); f != "jpeg" || w != 50 || h != 25 || res.Header.Get("Cache-Control") != "public, max-age=86400" {
			t.Fatalf("late source: %s %dx%d, Cache-Control %q", f, w, h, res.Header.Get("Cache-Control"))
		}
	})
}

// TestFallbackWithQueryNoRecursion: a fallback_image with Matte parameters
// is loaded as a layer (transformed once); when it is missing too, the
// source's own 404 goes out, with no fallback of the fallback (which nested
// subrequests until the stack overflowed and the process died). A mark
// path with its own parameters that is missing is the request's 400, never
// the site's placeholder drawn as the watermark.
func TestFallbackWithQueryNoRecursion(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"nr/photo.jpg": testPhoto(t),
		"nr/ph.png":    greenSquare(t, 100),
	})
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: time.Minute})
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %[1]s
	matte {
		fallback_image /nr/gone.png?w=20
	}
	file_server
}
http://localhost:9081 {
	root * %[1]s
	matte {
		fallback_image /nr/ph.png?w=20
	}
	file_server
}`, dir), "caddyfile")
	if res, body := get(t, tester, "http://localhost:9080/nr/missing.jpg?w=10"); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing source, missing fallback with a query: %d %.100s, want the 404", res.StatusCode, body)
	}
	res, body := get(t, tester, "http://localhost:9081/nr/missing.jpg?w=10&fm=png")
	if f, w, _ := imageSize(t, body); res.StatusCode != 200 || f != "png" || w != 10 || res.Header.Get("Fallback-Image") != "1" {
		t.Errorf("fallback with its own w=20: %d %s %d wide, Fallback-Image %q", res.StatusCode, f, w, res.Header.Get("Fallback-Image"))
	}
	res, body = get(t, tester, "http://localhost:9081/nr/photo.jpg?w=100&mark="+url.QueryEscape("/nr/gone.png?w=5"))
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("a missing mark with its own w: %d %.100s, want 400", res.StatusCode, body)
	}
}
