package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// cmsSite serves testPhoto (400x200, red on the left half and blue on the
// right) at each of paths, with the url_dialect lines given.
func cmsSite(t *testing.T, paths []string, dialects string) *dialectSite {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, p := range paths {
		files[p] = testPhoto(t)
	}
	writeFiles(t, dir, files)
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		%s
	}
	file_server
}`, dir, dialects), "caddyfile")
	return &dialectSite{tester: tester, base: "http://localhost:9080"}
}

// TestContentfulURLs runs Contentful's Images API URLs (contentful.com,
// Images API) through the server. The asset is its own path on the site.
func TestContentfulURLs(t *testing.T) {
	const a = "/yadj1kx9rmg0/wtrHxeu3zEoEce2MokCSi/cf6f68efdcf625fdc060607df0f3baef/photo.jpg"
	s := cmsSite(t, []string{a[1:], "img/photo.jpg"}, "url_dialect contentful")
	red, blue, green := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 255, 0}
	// fill covers the box and crops the centre: half red, half blue.
	s.pixel(t, a+"?w=100&h=100&fit=fill&fm=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?w=100&h=100&fit=fill&fm=png", 75, 50, blue, 100, 100)
	// f=left keeps the left of the covered 200x100: all red.
	s.pixel(t, a+"?w=100&h=100&fit=fill&f=left&fm=png", 75, 50, red, 100, 100)
	// pad fits 100x50 and pads the box with bg, centred.
	s.pixel(t, a+"?w=100&h=100&fit=pad&bg=rgb:00ff00&fm=png", 50, 10, green, 100, 100)
	s.pixel(t, a+"?w=100&h=100&fit=pad&bg=rgb:00ff00&fm=png", 25, 50, red, 100, 100)
	// crop cuts 100x100 of the original at f, unscaled: the blue right.
	s.pixel(t, a+"?w=100&h=100&fit=crop&f=right&fm=png", 10, 50, blue, 100, 100)
	// scale stretches to the box.
	s.pixel(t, a+"?w=100&h=100&fit=scale&fm=png", 10, 90, red, 100, 100)
	s.pixel(t, a+"?w=100&h=100&fit=scale&fm=png", 90, 10, blue, 100, 100)
	// r=max cuts an ellipse; its corners take bg.
	s.pixel(t, a+"?w=100&r=max&bg=rgb:00ff00&fm=png", 1, 1, green, 100, 50)
	s.pixel(t, a+"?w=100&r=max&bg=rgb:00ff00&fm=png", 25, 25, red, 100, 50)
	// Without fm, the source's format; w alone keeps the ratio.
	s.image(t, a+"?w=200", "jpeg", 200, 100)
	s.image(t, a+"?w=200&fm=webp&q=60", "webp", 200, 100)
	s.image(t, a+"?h=50&fm=jpg&fl=progressive", "jpeg", 100, 50)
	s.image(t, a+"?w=80&fm=png&fl=png8", "png", 80, 40)
	s.refused(t, a+"?w=4001", http.StatusBadRequest, "w")
	s.image(t, a+"?w=50&h=50&fit=thumb&f=face", "jpeg", 50, 50)
	s.refused(t, a+"?w=10&h=10&fit=crop&f=face", http.StatusBadRequest, "f")
	s.refused(t, a+"?fm=tiff", http.StatusBadRequest, "fm")
	// Another path is the imgix query's, as before.
	s.image(t, "/img/photo.jpg?w=100&fm=png", "png", 100, 50)
}
