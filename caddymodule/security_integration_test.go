package caddymodule_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/jebosio/matte/caddymodule"
)

// aliceHash is bcrypt("alice-secret"), cost 4.
const aliceHash = "$2a$04$tOJFDJT8aoRrI7XLpbtf.uR9Q8CuoktVO9vwj8gRCe05dzoBDu6rS"

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// wantFieldError checks a JSON error answer naming field.
func wantFieldError(t *testing.T, what string, res *http.Response, body []byte, status int, field string) {
	t.Helper()
	if res.StatusCode != status || !bytes.Contains(body, []byte(`"field":"`+field+`"`)) {
		t.Errorf("%s: %d %s, want %d on field %s", what, res.StatusCode, body, status, field)
	}
}

// protectedSite is a file_server site on dir whose /private/ folder needs
// alice's password and whose .hidden* files are hidden, with a matte
// handler configured by matte (the block's inside).
func protectedSite(dir, matte string) string {
	return globalOptions + fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	basic_auth /private/* {
		alice %s
	}
	matte {
		%s
	}
	file_server {
		hide .hidden*
	}
}`, dir, aliceHash, matte)
}

// TestBackgroundImageUnderAccessControl: a bg-image path is fetched through
// the site's own routes with the request's credentials, so basic_auth and
// file_server's hide apply to it as to a direct request; a folder is a 400.
func TestBackgroundImageUnderAccessControl(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"img/gray.jpg":       solidJPEG(t, 64, 64, color.RGBA{128, 128, 128, 255}),
		"private/secret.jpg": solidJPEG(t, 64, 64, color.RGBA{0, 200, 0, 255}),
		".hidden.jpg":        solidJPEG(t, 64, 64, color.RGBA{0, 0, 200, 255}),
	})
	tester := caddytest.NewTester(t)
	tester.InitServer(protectedSite(dir, "rembg off"), "caddyfile")
	base := "http://localhost:9080"
	alice := basicAuth("alice", "alice-secret")

	// The protected files, asked for directly.
	if res, _ := get(t, tester, base+"/private/secret.jpg"); res.StatusCode != 401 {
		t.Fatalf("direct /private/secret.jpg: %d, want 401", res.StatusCode)
	}
	if res, _ := get(t, tester, base+"/.hidden.jpg"); res.StatusCode != 404 {
		t.Fatalf("direct /.hidden.jpg: %d, want 404", res.StatusCode)
	}

	for _, tc := range []struct {
		name, bg string
		headers  []string
	}{
		{"protected, no credentials", "/private/secret.jpg", nil},
		{"protected, wrong credentials", "/private/secret.jpg", []string{"Authorization", basicAuth("alice", "guess")}},
		{"hidden", "/.hidden.jpg", nil},
		{"hidden, with credentials", "/.hidden.jpg", []string{"Authorization", alice}},
		{"site root folder", "/", nil},
		{"folder", "/img/", nil},
		{"folder without slash", "/img", nil},
		{"missing", "/img/none.jpg", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, tester, base+"/img/gray.jpg?rembg=1&bg-image="+tc.bg, tc.headers...)
			wantFieldError(t, "bg-image="+tc.bg, res, body, 400, "bg-image")
			if bytes.Contains(body, []byte(dir)) {
				t.Errorf("the answer shows the site's folder: %s", body)
			}
		})
	}

	// With the credentials the image itself needs, the background loads:
	// the request goes on to removal (off here: 501).
	res, body := get(t, tester, base+"/img/gray.jpg?rembg=1&bg-image=/private/secret.jpg", "Authorization", alice)
	if res.StatusCode != 501 || bytes.Contains(body, []byte("bg-image")) {
		t.Fatalf("bg-image with alice's credentials: %d %s, want the 501 of rembg off", res.StatusCode, body)
	}
	res, body = get(t, tester, base+"/img/gray.jpg?rembg=1&bg-image=/img/gray.jpg")
	if res.StatusCode != 501 {
		t.Fatalf("public bg-image: %d %s, want the 501 of rembg off", res.StatusCode, body)
	}
}

// TestPrivateBackgroundIsNotShared: a result composited over a background
// that was fetched with the client's credentials is neither stored nor
// marked shareable.
func TestPrivateBackgroundIsNotShared(t *testing.T) {
	rt := runtimeDir(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"img/gray.jpg":       solidJPEG(t, 64, 64, color.RGBA{128, 128, 128, 255}),
		"private/secret.jpg": solidJPEG(t, 64, 64, color.RGBA{0, 200, 0, 255}),
	})
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(protectedSite(dir, fmt.Sprintf(`timeout 2m
		rembg {
			runtime %s/lib/libonnxruntime.so
			models_dir %s/models
		}`, rt, rt)), "caddyfile")
	url := "http://localhost:9080/img/gray.jpg?rembg=1&w=32&fm=png&bg-image=/private/secret.jpg"
	inferences := metricValue(t, "matte_inferences_total")
	for i := 0; i < 2; i++ {
		res, body := get(t, tester, url, "Authorization", basicAuth("alice", "alice-secret"))
		if res.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, body)
		}
		if cc, xc := res.Header.Get("Cache-Control"), res.Header.Get("X-Cache"); !strings.Contains(cc, "private") || xc != "MISS" {
			t.Fatalf("request %d: Cache-Control %q, X-Cache %q; want private and not stored", i, cc, xc)
		}
	}
	// The matte of a private request is not kept either: each ran the model.
	if n := metricValue(t, "matte_inferences_total") - inferences; n != 2 {
		t.Errorf("%v inferences for two private requests, want 2 (the matte must not be cached)", n)
	}
}

// perUserOrigin answers each path with its own caching rules, and counts
// the requests that reach it.
type perUserOrigin struct {
	requests                 atomic.Int32
	red, blue, green, purple []byte
}

func (o *perUserOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	hdr := w.Header()
	var body []byte
	switch r.URL.Path {
	case "/cookie.jpg": // one image per user, said with Vary: Cookie
		hdr.Set("Vary", "Cookie")
		hdr.Set("Cache-Control", "public, max-age=60")
		body = o.red
		if c, err := r.Cookie("user"); err == nil && c.Value == "b" {
			body = o.blue
		}
	case "/private.jpg", "/shared-with-auth.jpg": // alice's only
		if r.Header.Get("Authorization") != "Bearer alice" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		hdr.Set("Cache-Control", "max-age=60")
		if r.URL.Path == "/shared-with-auth.jpg" {
			hdr.Set("Cache-Control", "public, max-age=60")
		}
		body = o.green
	case "/lang.jpg": // one image per language
		hdr.Set("Vary", "Accept-Language")
		hdr.Set("Cache-Control", "public, max-age=60")
		body = o.red
		if r.Header.Get("Accept-Language") == "de" {
			body = o.blue
		}
	case "/private-cc.jpg", "/no-store.jpg":
		hdr.Set("Cache-Control", "private, max-age=60")
		if r.URL.Path == "/no-store.jpg" {
			hdr.Set("Cache-Control", "no-store")
		}
		body = o.purple // an image of its own: no other path's result may answer for it
	default:
		http.NotFound(w, r)
		return
	}
	hdr.Set("Content-Type", "image/jpeg")
	w.Write(body)
}

// TestSharedCacheHonoursVaryAndAuthorization follows RFC 9111 for a shared
// cache: a response that varies on Cookie, a response to a request with
// Authorization (unless the origin allows it), private and no-store are
// neither stored nor served to another client, as sources or as variants;
// Vary on another header keys the source.
func TestSharedCacheHonoursVaryAndAuthorization(t *testing.T) {
	o := &perUserOrigin{
		red:    solidJPEG(t, 80, 60, color.RGBA{255, 0, 0, 255}),
		blue:   solidJPEG(t, 80, 60, color.RGBA{0, 0, 255, 255}),
		green:  solidJPEG(t, 80, 60, color.RGBA{0, 200, 0, 255}),
		purple: solidJPEG(t, 80, 60, color.RGBA{128, 0, 128, 255}),
	}
	upstream := httptest.NewServer(o)
	defer upstream.Close()
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	matte {
		rembg off
	}
	reverse_proxy %s
}`, upstream.Listener.Addr()), "caddyfile")
	base := "http://localhost:9080"
	isRed := func(c color.RGBA) bool { return c.R > 200 && c.B < 60 }
	isBlue := func(c color.RGBA) bool { return c.B > 200 && c.R < 60 }

	t.Run("Vary: Cookie is not stored", func(t *testing.T) {
		res, body := get(t, tester, base+"/cookie.jpg?w=40", "Cookie", "user=a")
		if res.StatusCode != 200 || !isRed(centre(t, body)) {
			t.Fatalf("user a: %d, centre %v", res.StatusCode, centre(t, body))
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
			t.Errorf("user a's image has Cache-Control %q, want private", cc)
		}
		n := o.requests.Load()
		res, body = get(t, tester, base+"/cookie.jpg?w=40", "Cookie", "user=b")
		if res.StatusCode != 200 || !isBlue(centre(t, body)) {
			t.Fatalf("user b got centre %v (X-Cache %q), want their own blue image", centre(t, body), res.Header.Get("X-Cache"))
		}
		if o.requests.Load() == n {
			t.Fatal("user b was answered without asking the origin")
		}
	})

	t.Run("a response to Authorization is not stored without public", func(t *testing.T) {
		for _, q := range []string{"?w=40", "?w=50&fm=png"} {
			res, body := get(t, tester, base+"/private.jpg"+q, "Authorization", "Bearer alice")
			if res.StatusCode != 200 {
				t.Fatalf("alice %s: %d %s", q, res.StatusCode, body)
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
				t.Errorf("alice's image has Cache-Control %q, want private", cc)
			}
		}
		for _, q := range []string{"?w=40", "?w=50&fm=png"} {
			res, body := get(t, tester, base+"/private.jpg"+q)
			if res.StatusCode != 401 {
				t.Fatalf("anonymous %s after alice: %d (X-Cache %q, %d bytes), want the origin's 401", q, res.StatusCode, res.Header.Get("X-Cache"), len(body))
			}
		}
	})

	t.Run("a response to Authorization with public is shared", func(t *testing.T) {
		if res, _ := get(t, tester, base+"/shared-with-auth.jpg?w=40", "Authorization", "Bearer alice"); res.StatusCode != 200 {
			t.Fatalf("alice: %d", res.StatusCode)
		}
		n := o.requests.Load()
		res, _ := get(t, tester, base+"/shared-with-auth.jpg?w=40")
		if res.StatusCode != 200 || res.Header.Get("X-Cache") != "HIT-MEMORY" || o.requests.Load() != n {
			t.Fatalf("anonymous: %d, X-Cache %q, %d origin requests; the origin said public", res.StatusCode, res.Header.Get("X-Cache"), o.requests.Load()-n)
		}
	})

	t.Run("Vary on another header keys the source", func(t *testing.T) {
		for i, tc := range []struct {
			lang string
			want func(color.RGBA) bool
			hit  bool
		}{{"en", isRed, false}, {"de", isBlue, false}, {"en", isRed, true}, {"de", isBlue, true}} {
			n := o.requests.Load()
			res, body := get(t, tester, base+"/lang.jpg?w=40", "Accept-Language", tc.lang)
			if res.StatusCode != 200 || !tc.want(centre(t, body)) {
				t.Fatalf("request %d (%s): %d, centre %v", i, tc.lang, res.StatusCode, centre(t, body))
			}
			if hit := res.Header.Get("X-Cache") == "HIT-MEMORY" && o.requests.Load() == n; hit != tc.hit {
				t.Fatalf("request %d (%s): X-Cache %q, %d origin requests, want a hit: %v", i, tc.lang, res.Header.Get("X-Cache"), o.requests.Load()-n, tc.hit)
			}
			if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Language") {
				t.Errorf("request %d: Vary %q lacks Accept-Language", i, res.Header.Values("Vary"))
			}
		}
	})

	t.Run("private and no-store are never stored", func(t *testing.T) {
		for path, wantCC := range map[string]string{"/private-cc.jpg": "private, no-cache", "/no-store.jpg": "no-store"} {
			for i := 0; i < 2; i++ {
				n := o.requests.Load()
				res, _ := get(t, tester, base+path+"?w=40")
				if res.StatusCode != 200 || o.requests.Load() != n+1 || res.Header.Get("X-Cache") != "MISS" {
					t.Fatalf("%s #%d: %d, X-Cache %q, %d origin requests", path, i, res.StatusCode, res.Header.Get("X-Cache"), o.requests.Load()-n)
				}
				if cc := res.Header.Get("Cache-Control"); cc != wantCC {
					t.Errorf("%s: Cache-Control %q, want %q", path, cc, wantCC)
				}
			}
		}
	})
}

// TestSignedURLsBoundToHost: with bind_host, a signature made for one host
// does not verify on another host of the same server.
func TestSignedURLsBoundToHost(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.jpg"), solidJPEG(t, 200, 100, color.RGBA{200, 0, 0, 255}), 0o644)
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080, http://127.0.0.1:9080 {
	root * %s
	matte {
		signature {
			key %s
			required
			bind_host
		}
	}
	file_server
}`, dir, signKey), "caddyfile")
	bound, err := caddymodule.SignURLForHost([]byte(signKey), "http://localhost:9080/p.jpg?w=40&fm=png", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pathOnly, err := caddymodule.SignURL([]byte(signKey), "/p.jpg?w=40&fm=png", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url string
		status    int
	}{
		{"signed for this host", bound, 200},
		{"signed for another host", strings.Replace(bound, "localhost", "127.0.0.1", 1), 403},
		{"signed without a host", "http://localhost:9080" + pathOnly, 403},
	} {
		res, body := get(t, tester, tc.url)
		if res.StatusCode != tc.status || tc.status == 403 && !bytes.Contains(body, []byte("signature_invalid")) {
			t.Errorf("%s: %d %s, want %d", tc.name, res.StatusCode, body, tc.status)
		}
	}
	if _, err := caddymodule.SignURLForHost([]byte(signKey), "/p.jpg?w=40", 0, time.Now()); err == nil {
		t.Error("SignURLForHost signed a path without a host")
	}
}

// TestDialectSourceUnderAccessControl: a URL dialect's source path is
// requested through the site's routes as a request for that path would
// be, so basic_auth on /private/* guards /cdn-cgi/image/.../private/a.png
// and /_next/image?url=/private/a.png as it guards /private/a.png (the
// client's 401, not the image), on every request, the cached ones
// included; a fallback answers only a source that is missing, never one
// the client may not see. Under handle_path the stripped prefix is put
// back, so the source is the one that route serves.
func TestDialectSourceUnderAccessControl(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"private/a.png": solidPNG(t, 32, 32),
		"img/b.png":     solidPNG(t, 32, 32),
		"fb/ph.png":     solidPNG(t, 16, 16),
		"cdn/only.png":  solidPNG(t, 32, 32),
	})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %[1]s
	@private path /private/* /cdn/private/*
	basic_auth @private {
		alice %[2]s
	}
	handle_path /cdn/* {
		root * %[1]s/cdn
		matte {
			url_dialect cloudflare
		}
		file_server
	}
	matte {
		url_dialect cloudflare
		url_dialect nextjs
		fallback_image /fb/ph.png
	}
	file_server
}`, dir, aliceHash), "caddyfile")
	base := "http://localhost:9080"
	alice := basicAuth("alice", "alice-secret")

	for _, u := range []string{
		"/cdn-cgi/image/width=10/private/a.png",
		"/cdn-cgi/image/format=png/private/a.png",
		"/_next/image?url=/private/a.png&w=16&q=75",
		"/_next/image?url=%2Fprivate%2Fa.png&w=16&q=75",
		"/cdn-cgi/image/width=10/private/none.png", // missing: still the 401, not the fallback
	} {
		// Twice: the second finds the source's memo and result cached.
		for i := range 2 {
			res, body := get(t, tester, base+u)
			if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" || strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
				t.Errorf("%s without credentials (%d): %d %q %.60q, want basic_auth's 401", u, i, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			res, body = get(t, tester, base+u, "Authorization", basicAuth("alice", "guess"))
			if res.StatusCode != 401 {
				t.Errorf("%s with wrong credentials (%d): %d %.60q, want 401", u, i, res.StatusCode, body)
			}
			if strings.Contains(u, "none") {
				continue
			}
			res, body = get(t, tester, base+u, "Authorization", alice)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
				t.Errorf("%s with alice's credentials (%d): %d %q %.60q, want the image", u, i, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		}
	}

	// Public sources: served, a missing one with the fallback.
	for _, u := range []string{"/cdn-cgi/image/width=10/img/b.png", "/_next/image?url=/img/b.png&w=16&q=75"} {
		if res, body := get(t, tester, base+u); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
			t.Errorf("%s: %d %.60q, want the image", u, res.StatusCode, body)
		}
	}
	res, body := get(t, tester, base+"/cdn-cgi/image/width=10/img/none.png")
	if res.StatusCode != 200 || res.Header.Get("Fallback-Image") != "1" {
		t.Errorf("missing public source: %d %v %.60q, want the fallback", res.StatusCode, res.Header, body)
	}

	// Under handle_path /cdn/*: the source /only.png is /cdn/only.png, which
	// that route serves from its own root; /cdn/private/ is guarded too.
	if res, body := get(t, tester, base+"/cdn/cdn-cgi/image/width=10/only.png"); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
		t.Errorf("/cdn/cdn-cgi/image/width=10/only.png: %d %.60q, want the image /cdn/only.png", res.StatusCode, body)
	}
	if res, body := get(t, tester, base+"/cdn/cdn-cgi/image/width=10/private/x.png"); res.StatusCode != 401 {
		t.Errorf("/cdn/cdn-cgi/image/width=10/private/x.png: %d %.60q, want 401", res.StatusCode, body)
	}
}
