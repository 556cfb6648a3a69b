package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestContentstackURLs runs Contentstack's Image Delivery URLs
// (contentstack.com docs, Image Delivery API) through the server. The asset
// is its own path on the site, /v3/assets/k/u/v/photo.jpg: 400x200, red on
// the left half and blue on the right.
func TestContentstackURLs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"v3/assets/k/u/v/photo.jpg": testPhoto(t)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect contentstack
	}
	file_server
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const a = "/v3/assets/k/u/v/photo.jpg"
	red, blue, green := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 255, 0}
	// fit=crop covers the box and crops the centre: half red, half blue.
	s.pixel(t, a+"?width=100&height=100&fit=crop&format=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?width=100&height=100&fit=crop&format=png", 75, 50, blue, 100, 100)
	// Both sides without fit: stretched to the box.
	s.pixel(t, a+"?width=100&height=100&format=png&environment=production", 75, 90, blue, 100, 100)
	// fit=bounds fits inside; cover fills the box, "cropped centrally to
	// fit" (Contentstack's Fit Mode page), as crop does.
	s.image(t, a+"?width=100&height=100&fit=bounds&format=png", "png", 100, 50)
	s.pixel(t, a+"?width=100&height=100&fit=cover&format=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?width=100&height=100&fit=cover&format=png", 75, 50, blue, 100, 100)
	// Contentstack enlarges unless disable=upscale.
	s.image(t, a+"?width=800", "jpeg", 800, 400)
	s.image(t, a+"?width=800&disable=upscale", "jpeg", 400, 200)
	s.image(t, a+"?width=0.5&dpr=2", "jpeg", 400, 200)
	// crop: an area, centred (x 100-300: red, then blue), or by its
	// top-left corner; trim: pixels off the sides.
	s.pixel(t, a+"?crop=200,200&format=png", 50, 100, red, 200, 200)
	s.pixel(t, a+"?crop=0.5,100p&format=png", 150, 100, blue, 200, 200)
	s.pixel(t, a+"?crop=200,200,x200,y0&format=png", 100, 100, blue, 200, 200)
	s.pixel(t, a+"?trim=0,200,0,0&format=png", 100, 100, red, 200, 200)
	s.pixel(t, a+"?crop=1:1&width=100&format=png", 80, 50, blue, 100, 100)
	// orient=6 turns it right: red on top.
	s.pixel(t, a+"?orient=6&width=100&format=png", 50, 25, red, 100, 200)
	s.pixel(t, a+"?orient=6&width=100&format=png", 50, 175, blue, 100, 200)
	// pad with bg-color.
	s.pixel(t, a+"?width=100&pad=10&bg-color=00ff00&format=png", 5, 5, green, 120, 70)
	// auto=webp: WebP by Accept; format=pjpg with quality.
	s.image(t, a+"?auto=webp", "webp", 400, 200, "Accept", "image/avif;q=0,image/webp,*/*")
	s.image(t, a+"?width=200&format=pjpg&quality=60", "jpeg", 200, 100)
	s.refused(t, a+"?sharpen=a5,r2,t1", http.StatusBadRequest, "sharpen")
	s.refused(t, a+"?width=9000", http.StatusBadRequest, "width")
	s.refused(t, a+"?crop=300,400,offset-x10.5,offset-y62.5", http.StatusBadRequest, "crop")
	s.refused(t, "/v3/assets/k/photo.jpg", http.StatusBadRequest, "path")
}
