package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestCloudflareImagesURLs runs Cloudflare Images' delivery URLs through
// the server. The account hash's images are under /images/ on the site:
// the image id 083eb7b2 is /images/083eb7b2 (no extension, as Cloudflare
// names them, so the site names its Content-Type on the sources' paths,
// which are requested through the site's routes), 400x200, red on the left
// half and blue on the right.
func TestCloudflareImagesURLs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"images/083eb7b2": testPhoto(t), "images/blog/cat": testPhoto(t)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect cloudflare_images {
			cloud ZWd9g1K7eljCn_KDTu_MWA /images
			preset thumbnail w=100,h=50,fit=cover,format=png
		}
	}
	@images path /images/*
	header @images Content-Type image/jpeg
	file_server
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const (
		cdn = "/cdn-cgi/imagedelivery/ZWd9g1K7eljCn_KDTu_MWA/083eb7b2/"
		net = "/ZWd9g1K7eljCn_KDTu_MWA/083eb7b2/"
	)
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// public: the image as stored, AVIF or WebP by Accept, else its format.
	s.image(t, net+"public", "webp", 400, 200, "Accept", "image/webp,*/*")
	s.image(t, cdn+"public", "jpeg", 400, 200)
	s.image(t, "/ZWd9g1K7eljCn_KDTu_MWA/blog/cat/public", "jpeg", 400, 200)
	// A named variant from its preset line.
	s.image(t, net+"thumbnail", "png", 100, 50)
	// Flexible variants: cover crops the centre, gravity moves the crop.
	s.pixel(t, cdn+"w=100,h=100,fit=cover,format=png", 25, 50, red, 100, 100)
	s.pixel(t, cdn+"w=100,h=100,fit=cover,format=png", 75, 50, blue, 100, 100)
	s.pixel(t, net+"w=100,h=100,fit=cover,gravity=left,f=png", 75, 50, red, 100, 100)
	// No fit is scale-down, Cloudflare's default: never enlarged.
	s.image(t, cdn+"w=3000", "jpeg", 400, 200)
	s.image(t, net+"w=100,sharpen=3", "webp", 100, 50, "Accept", "image/webp,*/*")
	s.refused(t, net+"small", http.StatusBadRequest, "variant")
	s.refused(t, net+"w=0x", http.StatusBadRequest, "w")
	s.refused(t, net+"public?exp=1631289275&sig=8217cb17", http.StatusForbidden, "sig")
	// Another account's hash is not this dialect's: file_server's 404.
	if res, _ := get(t, tester, s.base+"/cdn-cgi/imagedelivery/other/083eb7b2/public"); res.StatusCode != http.StatusNotFound {
		t.Errorf("another account hash: status %d, want 404", res.StatusCode)
	}
}
