package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestScene7URLs runs Adobe Dynamic Media (Scene7) Image Serving URLs
// through the server. The image is its own path on the site,
// /is/image/acme/photo (no extension, as Scene7 names images, so the site
// names its Content-Type in a route, after matte): 400x200, red on the left
// half and blue on the right.
func TestScene7URLs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"is/image/acme/photo": testPhoto(t)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	route {
		matte {
			url_dialect scene7
		}
		@image path /is/image/*
		header @image Content-Type image/jpeg
		file_server
	}
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const a = "/is/image/acme/photo"
	red, blue, white := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{255, 255, 255}
	// crop covers the box at align; fit pads it with bgc (white by default).
	s.pixel(t, a+"?wid=100&hei=100&fit=crop,0&fmt=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?wid=100&hei=100&fit=crop,0&fmt=png", 75, 50, blue, 100, 100)
	s.pixel(t, a+"?wid=100&hei=100&fit=crop&align=-1,0&fmt=png", 75, 50, red, 100, 100)
	s.pixel(t, a+"?wid=100&hei=100&fmt=png", 50, 10, white, 100, 100)
	s.pixel(t, a+"?wid=100&hei=100&fit=fit&bgc=00ff00&fmt=png", 50, 10, [3]uint32{0, 255, 0}, 100, 100)
	// constrain fits inside; ,0 never enlarges; wrap covers uncropped; stretch fills.
	s.image(t, a+"?wid=100&hei=100&fit=constrain&fmt=png", "png", 100, 50)
	s.image(t, a+"?wid=800&hei=800&fit=constrain,0&fmt=png", "png", 400, 200)
	s.image(t, a+"?wid=100&hei=100&fit=wrap&fmt=png", "png", 200, 100)
	s.pixel(t, a+"?wid=100&hei=100&fit=stretch&fmt=png", 75, 90, blue, 100, 100)
	// unpic's URL, the source's format without fmt; crop and flip.
	s.image(t, a+"?wid=200&hei=150&fit=crop%2C0", "jpeg", 200, 150)
	// crop,0 never enlarges: a box larger than the image gets the image cut to
	// the box's ratio at its own size (Image Serving would pad it to the box).
	s.image(t, a+"?wid=400&hei=300&fit=crop%2C0", "jpeg", 267, 200)
	s.image(t, a+"?wid=120&fmt=webp-alpha&qlt=60", "webp", 120, 60)
	s.pixel(t, a+"?crop=0,0,200,200&fmt=png", 150, 100, red, 200, 200)
	s.pixel(t, a+"?flip=lr&fmt=png", 50, 100, blue, 400, 200)
	// A bad value, a preset and a command Matte lacks are 400s naming them.
	s.refused(t, a+"?wid=0", http.StatusBadRequest, "wid")
	s.refused(t, a+"?$pdp$", http.StatusBadRequest, "$pdp$")
	s.refused(t, a+"?rotate=90", http.StatusBadRequest, "rotate")
	s.refused(t, "/is/image/acme", http.StatusBadRequest, "path")
}
