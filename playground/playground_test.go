package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jebosio/matte/params"
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// fakePNG is a body the fake probe accepts, distinct per n.
func fakePNG(n int) []byte { return append(append([]byte{}, pngMagic...), []byte(strconv.Itoa(n))...) }

func fakeProbe(data []byte) (Probed, error) {
	if !bytes.HasPrefix(data, pngMagic) {
		return Probed{}, &params.Error{Status: http.StatusUnsupportedMediaType, Code: params.CodeUnknownFormat, Title: "Unsupported source", Detail: "no"}
	}
	return Probed{TypeName: "png", Width: 3, Height: 2}, nil
}

func newTest(t *testing.T, mod func(*Options)) *Server {
	t.Helper()
	o := Options{Path: "/playground/", MaxFileBytes: 64, Probe: fakeProbe, Page: PageConfig{Removal: true, Models: []string{"isnet", "isnet-int8"}}}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do runs r through Serve, then ServeSource, writing a returned error's
// status and code as the caller does.
func do(s *Server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	handled, err := s.Serve(w, r)
	if !handled {
		handled, err = s.ServeSource(w, r)
	}
	switch {
	case !handled:
		w.WriteHeader(http.StatusTeapot) // the next handler's
	case err != nil:
		list := params.AsErrors(err)
		w.WriteHeader(list.Status())
		_ = json.NewEncoder(w).Encode(map[string]string{"code": list[0].Code, "field": list[0].Field})
	}
	return w
}

func req(method, target, contentType string, body []byte) *http.Request {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func code(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct{ Code, Field string }
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	return e.Code
}

func TestNewPaths(t *testing.T) {
	for path, ok := range map[string]bool{
		"/playground/": true, "/playground": true, "/tools/play/": true,
		"/": false, "": false, "playground/": false, "/a b/": false, "//x/": false, "/p?x/": false, "/p%2f/": false,
	} {
		_, err := New(Options{Path: path, MaxFileBytes: 1, Probe: fakeProbe})
		if (err == nil) != ok {
			t.Errorf("New(%q): err %v, want ok=%v", path, err, ok)
		}
	}
	if _, err := New(Options{Path: "/p/", MaxFileBytes: 1, Probe: fakeProbe, MaxUploads: -1}); err == nil {
		t.Error("negative MaxUploads accepted")
	}
}

func TestPageRoutes(t *testing.T) {
	s := newTest(t, nil)
	cases := []struct {
		method, target string
		status         int
		contentType    string
		code           string
	}{
		{"GET", "/playground/", 200, "text/html; charset=utf-8", ""},
		{"HEAD", "/playground/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/playground/app.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/playground/dialects.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/playground/app.css", 200, "text/css; charset=utf-8", ""},
		{"GET", "/playground/icon.svg", 200, "image/svg+xml", ""},
		{"GET", "/playground/config.json", 200, "application/json", ""},
		{"GET", "/playground/nope.js", 404, "", "not_found"},
		{"PUT", "/playground/app.js", 405, "", "method_not_allowed"},
		{"DELETE", "/playground/", 405, "", "method_not_allowed"},
		{"GET", "/playground/src/" + strings.Repeat("a", 64) + ".png", 404, "", "not_found"},
		{"GET", "/playground/src/../app.js", 404, "", "not_found"},
		{"GET", "/img/shoe.jpg", http.StatusTeapot, "", ""},
		{"GET", "/playgroundx/", http.StatusTeapot, "", ""},
	}
	for _, c := range cases {
		w := do(s, req(c.method, c.target, "", nil))
		if w.Code != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.target, w.Code, c.status)
			continue
		}
		if c.contentType != "" && w.Header().Get("Content-Type") != c.contentType {
			t.Errorf("%s %s: Content-Type %q", c.method, c.target, w.Header().Get("Content-Type"))
		}
		if c.code != "" && code(t, w) != c.code {
			t.Errorf("%s %s: code %q, want %q", c.method, c.target, code(t, w), c.code)
		}
	}
	w := do(s, req("GET", "/playground?src=/img/a.jpg", "", nil))
	if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != "/playground/?src=/img/a.jpg" {
		t.Errorf("GET /playground: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	page := do(s, req("GET", "/playground/", "", nil))
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("page CSP %q", csp)
	}
	// Revalidation by ETag.
	etag := page.Header().Get("ETag")
	r := req("GET", "/playground/", "", nil)
	r.Header.Set("If-None-Match", etag)
	if w := do(s, r); etag == "" || w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %q: %d", etag, w.Code)
	}
	var cfg map[string]any
	if err := json.Unmarshal(do(s, req("GET", "/playground/config.json", "", nil)).Body.Bytes(), &cfg); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"path": "/playground", "maxFileBytes": 64.0, "maxUploads": 64.0, "maxStoredBytes": float64(128 << 20),
		"importURLs": false, "removal": true, "apiKeys": false, "signed": false}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("config %s = %v, want %v", k, cfg[k], v)
		}
	}
	if d, ok := cfg["dialects"].([]any); !ok || len(d) != 0 {
		t.Errorf("config dialects = %#v, want [] when the site turns none on", cfg["dialects"])
	}
}

// The page is told the URL dialects the site answers, in order, so that it
// offers only those (and the query).
func TestPageConfigDialects(t *testing.T) {
	s := newTest(t, func(o *Options) { o.Page.Dialects = []string{"wsrv", "cloudflare"} })
	body := do(s, req("GET", "/playground/config.json", "", nil)).Body.String()
	if !strings.Contains(body, `"dialects":["wsrv","cloudflare"]`) {
		t.Errorf("config.json: %s", body)
	}
}

// The page's files name nothing outside the server: no CDN, no font.
func TestAssetsAreSelfContained(t *testing.T) {
	assets, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "app.js", "dialects.js", "app.css", "icon.svg"} {
		a, ok := assets[name]
		if !ok {
			t.Fatalf("%s is not embedded", name)
		}
		text := string(a.data)
		for _, bad := range []string{"https://", "http://", "@import", "fonts.googleapis"} {
			if name != "icon.svg" && strings.Contains(text, bad) {
				// dialects.js only tests for the scheme of a URL the user typed.
				if !(bad == "https://" && strings.Contains(text, `^https?:\/\/`)) {
					t.Errorf("%s contains %q", name, bad)
				}
			}
		}
	}
}

func TestUpload(t *testing.T) {
	s := newTest(t, nil)
	img := fakePNG(1)
	w := do(s, req("POST", "/playground/", "image/png", img))
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	var u struct {
		Path          string
		Type          string
		Width, Height int
		Bytes         int
	}
	if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil {
		t.Fatal(err)
	}
	// sha256 of "\x89PNG\r\n\x1a\n1", by coreutils sha256sum.
	const want = "/playground/src/" + "d4cf5fbbc645b0c920964a8a076a29454f6d8702a17da38506fae24aa0621f90" + ".png"
	if u.Path != nameCheck(t, img, want) || u.Type != "image/png" || u.Width != 3 || u.Height != 2 || u.Bytes != len(img) {
		t.Fatalf("upload answer %+v", u)
	}
	if w.Header().Get("Location") != u.Path {
		t.Errorf("Location %q", w.Header().Get("Location"))
	}
	// The same bytes again: the same name, 200.
	if w := do(s, req("POST", "/playground/", "application/octet-stream", img)); w.Code != http.StatusOK {
		t.Errorf("second upload: %d", w.Code)
	}
	got := do(s, req("GET", u.Path, "", nil))
	if got.Code != 200 || !bytes.Equal(got.Body.Bytes(), img) || got.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("GET upload: %d %q", got.Code, got.Header().Get("Content-Type"))
	}
	if cc := got.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control %q", cc)
	}
	r := req("GET", u.Path, "", nil)
	r.Header.Set("If-None-Match", got.Header().Get("ETag"))
	if w := do(s, r); w.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d", w.Code)
	}
	r = req("GET", u.Path, "", nil)
	r.Header.Set("Range", "bytes=0-3")
	if w := do(s, r); w.Code != http.StatusPartialContent || w.Body.Len() != 4 {
		t.Errorf("range GET: %d, %d bytes", w.Code, w.Body.Len())
	}
	if w := do(s, req("POST", u.Path, "image/png", img)); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST to an upload: %d", w.Code)
	}
}

// nameCheck pins the documented name form (sha256 hex + extension).
func nameCheck(t *testing.T, data []byte, want string) string {
	t.Helper()
	if got := "/playground/src/" + nameOf(data, "png"); got != want {
		t.Fatalf("name %q, want %q", got, want)
	}
	return want
}

func TestUploadRefusals(t *testing.T) {
	s := newTest(t, nil)
	big := append(append([]byte{}, pngMagic...), make([]byte, 64)...)
	chunked := req("POST", "/playground/", "image/png", big)
	chunked.ContentLength = -1
	cases := []struct {
		name   string
		r      *http.Request
		status int
		code   string
	}{
		{"form post", req("POST", "/playground/", "application/x-www-form-urlencoded", []byte("a=b")), 415, "unsupported_media_type"},
		{"multipart", req("POST", "/playground/", "multipart/form-data; boundary=x", fakePNG(1)), 415, "unsupported_media_type"},
		{"text", req("POST", "/playground/", "text/plain", fakePNG(1)), 415, "unsupported_media_type"},
		{"no type", req("POST", "/playground/", "", fakePNG(1)), 415, "unsupported_media_type"},
		{"empty", req("POST", "/playground/", "image/png", nil), 400, "empty_upload"},
		{"declared too large", req("POST", "/playground/", "image/png", big), 413, params.CodeSourceTooLarge},
		{"streamed too large", chunked, 413, params.CodeSourceTooLarge},
		{"not an image", req("POST", "/playground/", "image/png", []byte("GIF? no")), 415, params.CodeUnknownFormat},
		{"import off", req("POST", "/playground/", "application/json", []byte(`{"url":"https://example.com/a.jpg"}`)), 403, "import_disabled"},
	}
	for _, c := range cases {
		w := do(s, c.r)
		if w.Code != c.status || code(t, w) != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, w.Code, code(t, w), c.status, c.code)
		}
	}
	if n, _ := s.store.usage(); n != 0 {
		t.Errorf("refused uploads stored: %d", n)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestUploadBrokenBody(t *testing.T) {
	s := newTest(t, nil)
	r := httptest.NewRequest("POST", "/playground/", io.MultiReader(bytes.NewReader(pngMagic), failingReader{}))
	r.Header.Set("Content-Type", "image/png")
	if w := do(s, r); w.Code != http.StatusBadRequest || code(t, w) != "incomplete_upload" {
		t.Errorf("broken body: %d %q", w.Code, code(t, w))
	}
}

func TestImportURL(t *testing.T) {
	var asked []string
	s := newTest(t, func(o *Options) {
		o.Fetch = func(_ context.Context, u string, _ func(int64) error) ([]byte, error) {
			asked = append(asked, u)
			if strings.Contains(u, "denied") {
				return nil, &params.Error{Status: http.StatusForbidden, Code: "failed_image_download", Field: "url"}
			}
			return fakePNG(7), nil
		}
	})
	if w := do(s, req("POST", "/playground/", "application/json", []byte(`{"url":"https://img.example.com/a.png"}`))); w.Code != http.StatusCreated {
		t.Fatalf("import: %d %s", w.Code, w.Body)
	}
	cases := []struct {
		body   string
		status int
		code   string
	}{
		{`{"url":"https://denied.example.com/a.png"}`, 403, "failed_image_download"},
		{`{"url":"/img/a.png"}`, 400, params.CodeInvalidParameter},
		{`{"url":"file:///etc/passwd"}`, 400, params.CodeInvalidParameter},
		{`{"url":""}`, 400, params.CodeInvalidParameter},
		{`not json`, 400, params.CodeInvalidParameter},
		{`{"url":"https://x/` + strings.Repeat("a", maxImportBody) + `"}`, 413, params.CodeSourceTooLarge},
	}
	for _, c := range cases {
		w := do(s, req("POST", "/playground/", "application/json", []byte(c.body)))
		if w.Code != c.status || code(t, w) != c.code {
			t.Errorf("%.40s: %d %q, want %d %q", c.body, w.Code, code(t, w), c.status, c.code)
		}
	}
	if len(asked) != 2 {
		t.Errorf("fetched %v; only the two http(s) URLs should be", asked)
	}
}

func TestStoreEviction(t *testing.T) {
	now := time.Unix(0, 0)
	s := newStore(3, 100)
	put := func(n, size int) string {
		data := make([]byte, size)
		data[0] = byte(n)
		u, _ := s.put(data, "png", "image/png", now)
		return u.name
	}
	a, b, c := put(1, 10), put(2, 10), put(3, 10)
	// A fourth image evicts the oldest (a); putting b again makes it newest.
	if _, added := s.put(func() []byte { d := make([]byte, 10); d[0] = 2; return d }(), "png", "image/png", now); added {
		t.Fatal("the same bytes were stored twice")
	}
	d := put(4, 10)
	for name, want := range map[string]bool{a: false, b: true, c: true, d: true} {
		if _, ok := s.get(name); ok != want {
			t.Errorf("after a 4th: %s held=%v, want %v", name[:6], ok, want)
		}
	}
	// A large image evicts as many of the oldest as its bytes need: c, then b.
	e := put(5, 85)
	for name, want := range map[string]bool{b: false, c: false, d: true, e: true} {
		if _, ok := s.get(name); ok != want {
			t.Errorf("after a large one: %s held=%v, want %v", name[:6], ok, want)
		}
	}
	if n, bytes := s.usage(); n != 2 || bytes != 95 {
		t.Errorf("usage %d images, %d bytes; want 2, 95", n, bytes)
	}
}

func TestValidName(t *testing.T) {
	h := strings.Repeat("0123456789abcdef", 4)
	for name, want := range map[string]bool{
		h + ".png": true, h + ".jpg": true, h + ".heic": true, h + ".tif": true,
		h + ".exe": false, h + "png": false, h[:63] + ".png": false, strings.ToUpper(h) + ".png": false,
		h + ".png.png": false, "../" + h[3:] + ".png": false, "": false,
	} {
		if validName(name) != want {
			t.Errorf("validName(%q) = %v", name, !want)
		}
	}
}

func FuzzServeSource(f *testing.F) {
	for _, seed := range []string{"", "a.png", strings.Repeat("f", 64) + ".png", "../../etc/passwd", "%00", strings.Repeat("a", 64) + ".jpg/x"} {
		f.Add(seed)
	}
	s, err := New(Options{Path: "/p/", MaxFileBytes: 64, Probe: fakeProbe})
	if err != nil {
		f.Fatal(err)
	}
	stored, _ := s.store.put(fakePNG(1), "png", "image/png", time.Now())
	f.Fuzz(func(t *testing.T, name string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = "/p/src/" + name
		w := httptest.NewRecorder()
		handled, err := s.ServeSource(w, r)
		if !handled {
			t.Fatal("a path under src/ was not handled")
		}
		if (err == nil) != (name == stored.name) {
			t.Fatalf("name %q: err %v", name, err)
		}
		if err != nil && params.AsErrors(err).Status() != http.StatusNotFound {
			t.Fatalf("name %q: %v", name, err)
		}
	})
}

// An upload in flight holds its bytes with Options.Buffer: past what the
// budget allows it is refused with the budget's own error (the server's
// 503), and every upload gives its bytes back once answered, refused or
// not. An import hands the same reserve to Fetch.
func TestUploadHoldsItsBytes(t *testing.T) {
	var held, budget, holds, releases int64 = 0, 45, 0, 0 // uploads may be 64 bytes
	full := &params.Error{Status: http.StatusServiceUnavailable, Code: "overloaded"}
	var fetchReserve func(int64) error
	s := newTest(t, func(o *Options) {
		o.Buffer = func() (func(int64) error, func()) {
			holds++
			mine := int64(0)
			return func(n int64) error {
					if held+n > budget {
						return full
					}
					held += n
					mine += n
					return nil
				}, func() {
					releases++
					held -= mine
				}
		}
		o.Fetch = func(_ context.Context, _ string, reserve func(int64) error) ([]byte, error) {
			fetchReserve = reserve
			return fakePNG(9), nil
		}
	})
	if w := do(s, req("POST", "/playground/", "image/png", fakePNG(1))); w.Code != http.StatusCreated {
		t.Fatalf("upload within the budget: %d %s", w.Code, w.Body)
	}
	big := append(fakePNG(2), bytes.Repeat([]byte{0}, 45)...)
	if w := do(s, req("POST", "/playground/", "image/png", big)); w.Code != http.StatusServiceUnavailable || code(t, w) != "overloaded" {
		t.Fatalf("upload past the budget: %d %s, want the budget's 503", w.Code, w.Body)
	}
	if w := do(s, req("POST", "/playground/", "application/json", []byte(`{"url":"https://img.example.com/a.png"}`))); w.Code != http.StatusCreated || fetchReserve == nil {
		t.Fatalf("import: %d %s (reserve handed to Fetch: %v)", w.Code, w.Body, fetchReserve != nil)
	}
	if holds != 3 || releases != 3 || held != 0 {
		t.Fatalf("%d holds, %d releases, %d bytes still held; want 3, 3, 0", holds, releases, held)
	}
}
