package caddymodule_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestOtherMethodsNotTransformed: only GET and HEAD are transformed. A POST
// with Matte's parameters goes to the next handler untouched (its answer
// as it is), and leaves no memo that a GET of the same URL would be
// answered from; on a site whose sources come from the origin URL it is a
// 405 naming the methods allowed.
func TestOtherMethodsNotTransformed(t *testing.T) {
	// The upstream answers GET with a 40x20 PNG and POST with an 80x20 one,
	// both fresh for a minute: a memo stored from the POST would answer the
	// GET below with the POST's image.
	pngOf := func(w, h int) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	getImage, postImage := pngOf(40, 20), pngOf(80, 20)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "public, max-age=60")
		if r.Method == http.MethodPost {
			w.Write(postImage)
			return
		}
		w.Write(getImage)
	}))
	defer upstream.Close()

	tester := caddytest.NewTester(t)
	tester.InitServer(fmt.Sprintf(`{
	admin localhost:2999
	http_port 9080
	skip_install_trust
}
http://localhost:9080 {
	matte
	reverse_proxy %[1]s
}
http://localhost:9081 {
	matte {
		origin http://%[1]s {
			allow_hosts 127.0.0.1
			allow_loopback
		}
	}
}`, upstream.Listener.Addr()), "caddyfile")

	const url = "http://localhost:9080/method/a.png?w=10"
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte("x")))
	res, err := tester.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(body.Bytes(), postImage) {
		t.Fatalf("POST %s: %d, %d bytes; want 200 and the upstream's answer untouched (%d bytes)", url, res.StatusCode, body.Len(), len(postImage))
	}
	res, got := get(t, tester, url)
	if f, w, h := imageSize(t, got); res.StatusCode != http.StatusOK || f != "png" || w != 10 || h != 5 {
		t.Fatalf("GET %s after the POST: %d %s %dx%d, want 200 png 10x5 (the GET source's)", url, res.StatusCode, f, w, h)
	}

	req, _ = http.NewRequest(http.MethodPost, "http://localhost:9081/method/a.png?w=10", nil)
	res, err = tester.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	err = json.NewDecoder(res.Body).Decode(&e)
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" || err != nil || len(e.Errors) != 1 || e.Errors[0].Code != "method_not_allowed" {
		t.Fatalf("POST to the origin URL's site: %d, Allow %q, %+v (%v); want 405, GET, HEAD, method_not_allowed", res.StatusCode, res.Header.Get("Allow"), e, err)
	}
}
