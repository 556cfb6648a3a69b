package caddymodule_test

import (
	"fmt"
	"image"
	"net/http"
	"net/url"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestDirectusURLs runs Directus asset URLs (docs.directus.io, Transform
// Files) through the server: the asset /assets/4c2d-photo.jpg is a file of
// the site (named with its extension, so that the file server answers an
// image type, as a reverse_proxy to Directus would), 400x200, red on the
// left half and blue on the right; the url_dialect block adds a preset.
func TestDirectusURLs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"assets/4c2d-photo.jpg": testPhoto(t)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect directus {
			preset card "width=120&height=60&fit=cover&format=png"
		}
	}
	file_server
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const asset = "/assets/4c2d-photo.jpg"
	red, blue, black, cyan := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 0, 0}, [3]uint32{0, 255, 255}
	near := func(t *testing.T, what string, img image.Image, x, y int, c [3]uint32) {
		t.Helper()
		wantPixel(t, what, img, x, y, c, 40)
	}
	// fit=contain pads the 100x50 image to the box with sharp's opaque
	// black: 25 rows above and below.
	contain := s.png(t, asset+"?width=100&height=100&fit=contain&format=png", 100, 100)
	near(t, "contain", contain, 50, 10, black)
	near(t, "contain", contain, 50, 90, black)
	near(t, "contain", contain, 10, 50, red)
	near(t, "contain", contain, 90, 50, blue)
	// The default fit=cover cuts the centre of the 200x100 scaled image.
	cover := s.png(t, asset+"?width=100&height=100&format=png", 100, 100)
	near(t, "cover", cover, 25, 50, red)
	near(t, "cover", cover, 75, 50, blue)
	// withoutEnlargement: outside would grow the image; it keeps 400x200.
	s.image(t, asset+"?width=800&height=800&fit=outside", "jpeg", 1600, 800)
	s.image(t, asset+"?width=800&height=800&fit=outside&withoutEnlargement=true", "jpeg", 400, 200)
	// cover with it is sharp's: scale 1 at most, then min(box, image) on
	// each side (not the box's ratio, which would be 400x150).
	s.image(t, asset+"?width=800&height=300&withoutEnlargement=true", "jpeg", 400, 200)
	s.image(t, asset+"/photo.jpg?width=100&fit=inside&quality=50", "jpeg", 100, 50)
	// transforms: flop mirrors (blue on the left), negate turns red cyan.
	flop := s.png(t, asset+"?width=100&format=png&transforms="+url.QueryEscape(`[["flop"]]`), 100, 50)
	near(t, "flop", flop, 10, 25, blue)
	near(t, "flop", flop, 90, 25, red)
	negate := s.png(t, asset+"?width=100&format=png&transforms="+url.QueryEscape(`[["negate"]]`), 100, 50)
	near(t, "negate", negate, 10, 25, cyan)
	s.image(t, asset+"?transforms="+url.QueryEscape(`[["resize",{"width":50,"height":50}]]`), "jpeg", 50, 50)
	// Presets: Directus's system one (format auto) and the block's.
	s.image(t, asset+"?key=system-small-cover", "webp", 64, 64, "Accept", "image/avif;q=0,image/webp,*/*")
	s.image(t, asset+"?key=card", "png", 120, 60)
	s.refused(t, asset+"?key=card&width=10", http.StatusBadRequest, "key")
	s.refused(t, asset+"?key=none", http.StatusBadRequest, "key")
	s.refused(t, asset+"?fit=fill", http.StatusBadRequest, "fit")
	s.refused(t, asset+"?format=tiff", http.StatusBadRequest, "format")
	s.refused(t, asset+"?transforms="+url.QueryEscape(`[["tint",{"r":255}]]`), http.StatusBadRequest, "transforms")
	s.refused(t, "/assets/a/b/c", http.StatusBadRequest, "id")
}
