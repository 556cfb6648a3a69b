package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestShopifyURLs runs the Shopify CDN's image URLs (shopify.dev, Liquid
// image_url and img_url) through the server. The file is its own path on
// the site: /cdn/shop/files/photo.jpg, 400x200, red on the left half and
// blue on the right, and /s/files/1/2/files/photo.jpg the same.
func TestShopifyURLs(t *testing.T) {
	dir := t.TempDir()
	photo := testPhoto(t)
	writeFiles(t, dir, map[string][]byte{"cdn/shop/files/photo.jpg": photo, "s/files/1/2/files/photo.jpg": photo})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect shopify
	}
	file_server
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const f = "/cdn/shop/files/photo.jpg"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// Fitted inside the box, never enlarged.
	s.image(t, f+"?width=100&height=100&format=jpg", "jpeg", 100, 50)
	s.image(t, f+"?width=1000&format=jpg", "jpeg", 400, 200)
	// crop covers the box and keeps that part: left is the red half.
	s.pixel(t, f+"?width=100&height=100&crop=left&format=png", 50, 50, red, 100, 100)
	s.pixel(t, f+"?width=100&height=100&crop=right&format=png", 50, 50, blue, 100, 100)
	// pad_color pads the fitted 100x50 to the box: green above and below.
	s.pixel(t, f+"?width=100&height=100&pad_color=00ff00&format=png", 50, 10, [3]uint32{0, 255, 0}, 100, 100)
	s.pixel(t, f+"?width=100&height=100&pad_color=00ff00&format=png", 25, 50, red, 100, 100)
	// crop=region cuts the source's right half.
	s.pixel(t, f+"?crop=region&crop_left=200&crop_top=0&crop_width=200&crop_height=200&format=png", 100, 100, blue, 200, 200)
	// The old size suffix, removed from the file name; Accept picks WebP.
	s.image(t, "/s/files/1/2/files/photo_200x.jpg?v=1", "webp", 200, 100, "Accept", "image/avif;q=0,image/webp,*/*")
	s.image(t, "/s/files/1/2/files/photo_100x100_crop_center@2x.jpg", "jpeg", 200, 200, "Accept", "image/jpeg")
	s.refused(t, f+"?width=0", http.StatusBadRequest, "width")
	s.refused(t, f+"?crop=middle", http.StatusBadRequest, "crop")
	s.refused(t, f+"?format=avif", http.StatusBadRequest, "format")
	s.refused(t, "/cdn/shop/files/photo_crop_middle.jpg", http.StatusBadRequest, "path")
}
