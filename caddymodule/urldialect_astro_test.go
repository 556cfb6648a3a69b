package caddymodule_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestAstroURLs runs Astro's image endpoint URLs (/_image?href=&w=&h=&f=,
// as astro:assets' getURL writes them) through the server, Matte standing
// in front of the Astro server. /img/photo.jpg is 400x200, red on the left
// half and blue on the right; /img/clear.png is a 20x20 transparent PNG.
func TestAstroURLs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"img/photo.jpg": testPhoto(t), "img/clear.png": clearPNG(t, 20)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect astro
	}
	file_server
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const photo = "/_image?href=%2Fimg%2Fphoto.jpg"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// Both sides, no fit: sharp's cover, the centre cut.
	s.pixel(t, photo+"&w=100&h=100&f=png", 25, 50, red, 100, 100)
	s.pixel(t, photo+"&w=100&h=100&f=png", 75, 50, blue, 100, 100)
	// position=left keeps the left (red) part; CSS's "center right" the right.
	s.pixel(t, photo+"&w=100&h=100&f=png&fit=cover&position=left", 75, 50, red, 100, 100)
	s.pixel(t, photo+"&w=100&h=100&f=png&position=center+right", 25, 50, blue, 100, 100)
	// fill stretches to the box: the left half still red.
	s.pixel(t, photo+"&w=100&h=100&f=png&fit=fill", 40, 50, red, 100, 100)
	// contain fits inside the box.
	s.image(t, photo+"&w=100&h=100&f=png&fit=contain", "png", 100, 50)
	// Without f, the source's format (JPEG), whatever the Accept header says.
	s.image(t, photo+"&w=100", "jpeg", 100, 50, "Accept", "image/webp,*/*")
	s.image(t, photo, "jpeg", 400, 200)
	s.image(t, photo+"&w=100&f=gif&q=low", "gif", 100, 50)
	s.image(t, photo+"&h=50&f=jpg&q=80", "jpeg", 100, 50)
	// Never enlarged.
	s.image(t, photo+"&w=800&h=400&f=jpeg", "jpeg", 400, 200)
	// cover past the source: sharp (withoutEnlargement) crops each side
	// to min(box, image) at scale 1.
	s.image(t, photo+"&w=300&h=300&f=jpeg", "jpeg", 300, 200)
	// background flattens transparency onto the colour.
	s.pixel(t, "/_image?href=%2Fimg%2Fclear.png&f=png&background=%2300ff00", 10, 10, [3]uint32{0, 255, 0}, 20, 20)
	s.refused(t, photo+"&w=100&q=101", http.StatusBadRequest, "q")
	s.refused(t, photo+"&f=tiff", http.StatusBadRequest, "f")
	s.refused(t, photo+"&f=svg", http.StatusBadRequest, "f")
	s.refused(t, "/_image?w=100", http.StatusBadRequest, "href")
	s.refused(t, photo+"&fit=crop&w=10&h=10", http.StatusBadRequest, "fit")
}

// TestAstroRemoteAndSVG: a remote href is fetched only under allow_hosts;
// f=svg answers an SVG as it is stored.
func TestAstroRemoteAndSVG(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect astro")
	s.image(t, "/_image?href="+url.QueryEscape(s.remote+"/photo.jpg")+"&w=100&h=50&f=webp", "webp", 100, 50)
	res, body := get(t, s.tester, s.base+"/_image?href=%2Fimg%2Flogo.svg&w=10&h=10&f=svg")
	if res.StatusCode != http.StatusOK || string(body) != testSVG || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("f=svg: status %d %s, body %.80q: want the SVG as stored", res.StatusCode, res.Header.Get("Content-Type"), body)
	}

	closed := newDialectSite(t, "", "url_dialect astro")
	closed.refused(t, "/_image?href="+url.QueryEscape(closed.remote+"/photo.jpg")+"&w=100&f=webp", http.StatusForbidden, "")
}

// clearPNG is a fully transparent size x size PNG.
func clearPNG(t *testing.T, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, size, size))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
