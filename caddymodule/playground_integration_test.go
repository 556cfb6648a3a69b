package caddymodule_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestPlaygroundThroughServer: the playground's page and uploads through
// the real server, and an upload transformed like any file of the site.
// Off by default: a site without the option has no such path.
func TestPlaygroundThroughServer(t *testing.T) {
	startSite(t, "max_source_bytes 200KB\nrembg off\nurl_dialect cloudflare\nurl_dialect imagekit\nplayground /tools/play/")
	const base = "http://localhost:9080"
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	get := func(t *testing.T, path string) (*http.Response, []byte) {
		t.Helper()
		res, err := noRedirect.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	post := func(t *testing.T, contentType string, body []byte) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Post(base+"/tools/play/", contentType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res, out
	}
	errorCode := func(t *testing.T, body []byte) string {
		t.Helper()
		var e struct{ Errors []struct{ Code string } }
		if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) == 0 {
			t.Fatalf("not Matte's JSON error: %s", body)
		}
		return e.Errors[0].Code
	}

	if res, _ := get(t, "/tools/play"); res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "/tools/play/" {
		t.Errorf("GET /tools/play: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, page := get(t, "/tools/play/")
	if res.StatusCode != 200 || !strings.Contains(string(page), "Matte playground") || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("page: %d", res.StatusCode)
	}
	if res, cfg := get(t, "/tools/play/config.json"); res.StatusCode != 200 || !strings.Contains(string(cfg), `"maxFileBytes":200000`) ||
		!strings.Contains(string(cfg), `"removal":false`) || !strings.Contains(string(cfg), `"dialects":["cloudflare","imagekit"]`) {
		t.Errorf("config: %d %s", res.StatusCode, cfg)
	}

	photo := testPhoto(t)
	res, body := post(t, "image/jpeg", photo)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	var up struct {
		Path          string
		Width, Height int
	}
	if err := json.Unmarshal(body, &up); err != nil || !strings.HasPrefix(up.Path, "/tools/play/src/") || !strings.HasSuffix(up.Path, ".jpg") ||
		up.Width != 400 || up.Height != 200 {
		t.Fatalf("upload answer %s (%v)", body, err)
	}

	t.Run("the upload as it was sent", func(t *testing.T) {
		res, got := get(t, up.Path)
		if res.StatusCode != 200 || !bytes.Equal(got, photo) || res.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("%d, %d bytes, %q", res.StatusCode, len(got), res.Header.Get("Content-Type"))
		}
	})
	t.Run("the upload transformed", func(t *testing.T) {
		for _, want := range []string{"MISS", "HIT-MEMORY"} {
			res, got := get(t, up.Path+"?w=50&fm=jpg")
			if res.StatusCode != 200 || res.Header.Get("X-Cache") != want {
				t.Fatalf("%d, X-Cache %q (want %s): %s", res.StatusCode, res.Header.Get("X-Cache"), want, got)
			}
			img, err := jpeg.Decode(bytes.NewReader(got))
			if err != nil || img.Bounds().Dx() != 50 || img.Bounds().Dy() != 25 {
				t.Fatalf("decoded %v, err %v; want 50x25", img.Bounds(), err)
			}
		}
	})
	t.Run("the upload through a URL dialect the site answers", func(t *testing.T) {
		res, got := get(t, "/cdn-cgi/image/width=50,format=jpeg"+up.Path)
		if res.StatusCode != 200 {
			t.Fatalf("%d: %s", res.StatusCode, got)
		}
		if img, err := jpeg.Decode(bytes.NewReader(got)); err != nil || img.Bounds().Dx() != 50 || img.Bounds().Dy() != 25 {
			t.Fatalf("decoded err %v; want a 50x25 JPEG", err)
		}
	})
	t.Run("errors in Matte's shape", func(t *testing.T) {
		for _, c := range []struct {
			path   string
			status int
			code   string
		}{
			{up.Path + "?w=abc", 400, "invalid_parameter"},
			{"/tools/play/src/" + strings.Repeat("0", 64) + ".jpg?w=50", 404, "not_found"},
			{"/tools/play/src/" + strings.Repeat("0", 64) + ".jpg", 404, "not_found"},
			{"/tools/play/missing.js", 404, "not_found"},
		} {
			res, body := get(t, c.path)
			if res.StatusCode != c.status || errorCode(t, body) != c.code {
				t.Errorf("GET %s: %d %s", c.path, res.StatusCode, body)
			}
		}
		for _, c := range []struct {
			contentType string
			body        []byte
			status      int
			code        string
		}{
			{"image/jpeg", []byte("not an image at all"), 415, "unsupported_source"},
			{"image/jpeg", make([]byte, 200_001), 413, "source_too_large"},
			{"application/x-www-form-urlencoded", []byte("a=b"), 415, "unsupported_media_type"},
			{"application/json", []byte(`{"url":"https://example.com/a.jpg"}`), 403, "import_disabled"},
		} {
			res, body := post(t, c.contentType, c.body)
			if res.StatusCode != c.status || errorCode(t, body) != c.code {
				t.Errorf("POST %s (%d bytes): %d %s", c.contentType, len(c.body), res.StatusCode, body)
			}
		}
		// A truncated JPEG: its header reads, so it is kept; its transform
		// fails as any corrupt source of the site does.
		res, body := post(t, "image/jpeg", photo[:len(photo)/2])
		var cut struct{ Path string }
		if err := json.Unmarshal(body, &cut); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("truncated upload: %d %s", res.StatusCode, body)
		}
		if res, body := get(t, cut.Path+"?w=50"); res.StatusCode != 422 || errorCode(t, body) != "corrupt_source" {
			t.Errorf("truncated upload transformed: %d %s", res.StatusCode, body)
		}
	})
}

// TestPlaygroundCloudinaryCloud: with cloud lines, the page is told the
// cloud whose public IDs hold its uploads, and a URL in the form it writes
// (/<cloud>/image/upload/<components>/<public ID>) answers the upload.
func TestPlaygroundCloudinaryCloud(t *testing.T) {
	startSite(t, "rembg off\nurl_dialect cloudinary {\n\tcloud demo /img\n\tcloud shop /tools\n}\nplayground /tools/play/")
	const base = "http://localhost:9080"
	res, err := http.Get(base + "/tools/play/config.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(cfg), `"dialects":["cloudinary"]`) || !strings.Contains(string(cfg), `"cloudinary":{"name":"shop","prefix":"/tools"}`) {
		t.Fatalf("config: %s", cfg)
	}
	res, err = http.Post(base+"/tools/play/", "image/jpeg", bytes.NewReader(testPhoto(t)))
	if err != nil {
		t.Fatal(err)
	}
	var up struct{ Path string }
	err = json.NewDecoder(res.Body).Decode(&up)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %v", res.StatusCode, err)
	}
	u := "/shop/image/upload/c_fill,w_40,h_40/f_jpg/" + strings.TrimPrefix(up.Path, "/tools/")
	res, err = http.Get(base + u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if img, err := jpeg.Decode(bytes.NewReader(body)); res.StatusCode != 200 || err != nil || img.Bounds().Dx() != 40 || img.Bounds().Dy() != 40 {
		t.Fatalf("GET %s: %d (%v): %.200s", u, res.StatusCode, err, body)
	}
}

// The playground is off unless configured, and refuses the site root.
func TestPlaygroundOffByDefault(t *testing.T) {
	startSite(t, "rembg off")
	for _, method := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(method, "http://localhost:9080/playground/", bytes.NewReader(testPhoto(t)))
		req.Header.Set("Content-Type", "image/jpeg")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		// file_server's own answers: no page, no upload.
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /playground/ without the option: %d", method, res.StatusCode)
		}
	}
}

// startSite serves an empty folder on :9080 through a matte handler
// configured with block (Caddyfile lines).
func startSite(t *testing.T, block string) {
	t.Helper()
	caddytest.NewTester(t).InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		%s
	}
	file_server
}`, t.TempDir(), block), "caddyfile")
}

// With `origin <url>`, the playground's uploads still come from the
// playground (its source prefix bypasses the origin), transformed by the
// query and by a URL dialect, and passed through untouched; every other
// path still comes from the origin, which never sees an upload's path.
func TestPlaygroundWithOrigin(t *testing.T) {
	photo := testPhoto(t)
	var mu sync.Mutex
	var asked []string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/img/photo.jpg" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(photo)
	}))
	defer origin.Close()
	rt, noRembg := rembgRuntime()
	rembg := "rembg off"
	if rt != "" {
		rembg = fmt.Sprintf("rembg {\n\t\t\truntime %s/lib/libonnxruntime.so\n\t\t\tmodels_dir %s/models\n\t\t\tmodel isnet-int8\n\t\t}", rt, rt)
	}
	startSite(t, fmt.Sprintf(`max_source_bytes 200KB
		timeout 2m
		%s
		url_dialect cloudflare
		origin %s {
			allow_loopback
		}
		playground /tools/play/`, rembg, origin.URL))
	const base = "http://localhost:9080"

	res, err := http.Post(base+"/tools/play/", "image/png", bytes.NewReader(grayPNG(t, 120, 60)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var up struct{ Path string }
	if err := json.Unmarshal(body, &up); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	for _, c := range []struct {
		path          string
		width, height int
	}{
		{up.Path + "?w=60&fm=jpg", 60, 30},                        // the upload, transformed
		{"/cdn-cgi/image/width=30,format=jpeg" + up.Path, 30, 15}, // through a URL dialect
		{"/img/photo.jpg?w=100&fm=jpg", 100, 50},                  // the origin's image
	} {
		res, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", c.path, res.StatusCode, got)
		}
		if img, err := jpeg.Decode(bytes.NewReader(got)); err != nil || img.Bounds().Dx() != c.width || img.Bounds().Dy() != c.height {
			t.Fatalf("GET %s: decoded err %v; want a %dx%d JPEG", c.path, err, c.width, c.height)
		}
	}
	res, err = http.Get(base + up.Path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || len(got) == 0 {
		t.Errorf("GET %s (no parameters): %d %q, %d bytes; want the upload as it was sent", up.Path, res.StatusCode, res.Header.Get("Content-Type"), len(got))
	}
	// An upload as the bg-image of an origin's image: the bg-image
	// subrequest is served from the playground, not the origin.
	t.Run("bg-image", func(t *testing.T) {
		if rt == "" {
			t.Skip(noRembg)
		}
		res, err := http.Get(base + "/img/photo.jpg?rembg=1&w=100&fm=png&bg-image=" + up.Path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, got)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	for _, p := range asked {
		if p != "/img/photo.jpg" {
			t.Errorf("the origin was asked for %q; want /img/photo.jpg only", asked)
			break
		}
	}
}
