package caddymodule_test

import (
	"encoding/json"
	"image/color"
	"net/http"
	"testing"
)

// TestSourceRedirectKeepsDialectTransform: a redirect on this site that the
// next handler answers a dialect URL's source with becomes the same
// dialect URL over the new path, so the client following it gets the same
// transform (before, the Location named the bare new path and the client
// loaded the whole original). Where the URL cannot be rewritten (Next.js's
// url=, which Next follows itself) the answer is the dialect's error, not
// a redirect without the transform.
func TestSourceRedirectKeepsDialectTransform(t *testing.T) {
	photo := solidJPEG(t, 64, 48, color.RGBA{20, 140, 90, 255})
	origin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/dialect-old.jpg":
			loc := "/photos/dialect-new.jpg"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, loc, http.StatusFound)
		default:
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
		}
	})
	tester := behindCaddy(t, origin, `
http://localhost:9080 {
	matte {
		url_dialect cloudflare
		url_dialect ipx
		url_dialect imgproxy
		url_dialect nextjs
	}
	reverse_proxy {origin}
}`)
	tester.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer func() { tester.Client.CheckRedirect = nil }()
	for path, want := range map[string]string{
		"/cdn-cgi/image/width=10/dialect-old.jpg":           "/cdn-cgi/image/width=10/photos/dialect-new.jpg",
		"/cdn-cgi/image/width=10/dialect-old.jpg?v=3":       "/cdn-cgi/image/width=10/photos/dialect-new.jpg?v=3",
		"/_ipx/w_10/dialect-old.jpg":                        "/_ipx/w_10/photos/dialect-new.jpg",
		"/insecure/w:10/plain/local:///dialect-old.jpg@png": "/insecure/w:10/plain/local:///photos/dialect-new.jpg@png",
	} {
		res, _ := get(t, tester, "http://localhost:9080"+path)
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
			t.Errorf("%s: %d, Location %q, want 302 to %q", path, res.StatusCode, res.Header.Get("Location"), want)
		}
	}

	// Next.js follows a redirect of its source itself (next 16.5.0,
	// image-optimizer.js fetchInternalImage), up to images.maximumRedirects;
	// past them: "throw new ImageError(508, '"url" parameter is valid but
	// internal response is invalid')". Matte follows none.
	res, body := get(t, tester, "http://localhost:9080/_next/image?url=%2Fdialect-old.jpg&w=16&q=75")
	var e struct {
		Errors []struct{ Code, Detail, Field string }
	}
	_ = json.Unmarshal(body, &e)
	if res.StatusCode != 508 || res.Header.Get("Location") != "" || len(e.Errors) != 1 || e.Errors[0].Field != "url" ||
		e.Errors[0].Detail != `"url" parameter is valid but internal response is invalid` {
		t.Errorf("nextjs: %d, Location %q, %s; want 508 on url, no Location", res.StatusCode, res.Header.Get("Location"), body)
	}

	tester.Client.CheckRedirect = nil
	res, body = get(t, tester, "http://localhost:9080/cdn-cgi/image/width=10/dialect-old.jpg")
	if f, w, _ := imageSize(t, body); res.StatusCode != 200 || w != 10 {
		t.Fatalf("followed: %d %s %d wide, want the 10 px transform", res.StatusCode, f, w)
	}
}
