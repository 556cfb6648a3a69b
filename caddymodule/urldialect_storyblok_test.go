package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestStoryblokURLs runs Storyblok's image service URLs (storyblok.com
// docs, Image Service) through the server. The asset is its own path on
// the site, /f/1/400x200/ab/photo.jpg: 400x200, red on the left half and
// blue on the right.
func TestStoryblokURLs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"f/1/400x200/ab/photo.jpg": testPhoto(t)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect storyblok
	}
	file_server
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const a = "/f/1/400x200/ab/photo.jpg/m"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// A size crops the centre: 400x200 to 100x100 is half red, half blue.
	s.pixel(t, a+"/100x100/filters:format(png)", 25, 50, red, 100, 100)
	s.pixel(t, a+"/100x100/filters:format(png)", 75, 50, blue, 100, 100)
	// A minus flips: blue on the left.
	s.pixel(t, a+"/-100x100/filters:format(png)", 25, 50, blue, 100, 100)
	// fit-in with fill pads the fitted 100x50 to the box with the colour.
	s.pixel(t, a+"/fit-in/100x100/filters:fill(00ff00):format(png)", 50, 10, [3]uint32{0, 255, 0}, 100, 100)
	// The crop area, then 0 keeps the ratio: the right half only.
	s.pixel(t, a+"/200x0:400x200/100x0/filters:format(png)", 50, 50, blue, 100, 100)
	// /m/ alone: WebP by Accept, the source's size.
	s.image(t, a+"/", "webp", 400, 200, "Accept", "image/avif;q=0,image/webp,*/*")
	s.image(t, a+"/200x0/filters:format(jpeg):quality(60)", "jpeg", 200, 100)
	s.refused(t, a+"/filters:round_corner(5)", http.StatusBadRequest, "filters:round_corner")
	s.refused(t, a+"/filters:quality(101)", http.StatusBadRequest, "filters:quality")
	s.refused(t, a+"/400x300/fit-in", http.StatusBadRequest, "path")
}
