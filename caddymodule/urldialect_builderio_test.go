package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestBuilderioURLs runs Builder.io's Image API URLs through the server.
// The asset is its own path on the site, /api/v1/image/assets/s/0c3b (no
// extension, as Builder names them, so the site names its Content-Type):
// 400x200, red on the left half and blue on the right.
func TestBuilderioURLs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"api/v1/image/assets/s/0c3b": testPhoto(t)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect builderio
	}
	@asset path /api/v1/image/assets/*
	header @asset Content-Type image/jpeg
	file_server
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const a = "/api/v1/image/assets/s/0c3b"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// cover (the default) crops the centre; position moves the crop.
	s.pixel(t, a+"?width=100&height=100&format=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?width=100&height=100&format=png", 75, 50, blue, 100, 100)
	s.pixel(t, a+"?width=100&height=100&fit=cover&position=left&format=png", 75, 50, red, 100, 100)
	// Builder writes the asset path escaped.
	s.pixel(t, "/api/v1/image/assets%2Fs%2F0c3b?width=100&height=100&position=right&format=png", 25, 50, blue, 100, 100)
	// contain pads the fitted 100x50; fill stretches; inside fits; outside covers.
	s.pixel(t, a+"?width=100&height=100&fit=contain&format=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?width=100&height=100&fit=fill&format=png", 75, 90, blue, 100, 100)
	s.image(t, a+"?width=100&height=100&fit=inside&format=png", "png", 100, 50)
	s.image(t, a+"?width=100&height=100&fit=outside&format=png", "png", 200, 100)
	s.image(t, a+"?width=100&format=webp&quality=60&sharp=true", "webp", 100, 50)
	s.image(t, a+"?format=original", "jpeg", 400, 200)
	s.refused(t, a+"?format=avif", http.StatusBadRequest, "format")
	s.refused(t, a+"?fit=crop&width=10&height=10", http.StatusBadRequest, "fit")
	s.refused(t, "/api/v1/image/assets/s", http.StatusBadRequest, "path")
}
