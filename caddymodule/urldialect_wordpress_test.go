package caddymodule_test

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"image/png"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestWordPressURLs runs Photon's query on WordPress uploads through the
// server. The uploads are testPhoto (400x200, red on the left half and blue
// on the right) as a JPEG and, for the pixel checks (Photon keeps the
// source's format), as a PNG.
func TestWordPressURLs(t *testing.T) {
	const dir = "/wp-content/uploads/2024/01/"
	img, err := jpeg.Decode(bytes.NewReader(testPhoto(t)))
	if err != nil {
		t.Fatal(err)
	}
	var pngPhoto bytes.Buffer
	if err := png.Encode(&pngPhoto, img); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{dir[1:] + "photo.jpg": testPhoto(t), dir[1:] + "photo.png": pngPhoto.Bytes()})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect wordpress
	}
	file_server
}`, root), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const p = dir + "photo.png"
	red, blue, black, cyan, yellow := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 0, 0}, [3]uint32{0, 255, 255}, [3]uint32{255, 255, 0}
	// unpic's crop=1 and resize cover the box and cut the centre.
	s.pixel(t, p+"?w=100&h=100&crop=1", 25, 50, red, 100, 100)
	s.pixel(t, p+"?w=100&h=100&crop=1", 75, 50, blue, 100, 100)
	s.pixel(t, p+"?resize=100,100", 75, 50, blue, 100, 100)
	// lb fits 100x50 and pads the box with black.
	s.pixel(t, p+"?lb=100,100", 50, 10, black, 100, 100)
	s.pixel(t, p+"?lb=100,100", 25, 50, red, 100, 100)
	// crop in percentages (the right half) and in pixels (the top left).
	s.pixel(t, p+"?crop=50,0,50,100&w=100", 50, 50, blue, 100, 100)
	s.pixel(t, p+"?crop=0px,0px,100px,100px", 50, 50, red, 100, 100)
	// Colours: negate, brightness, colorize.
	s.pixel(t, p+"?w=100&filter=negate", 25, 25, cyan, 100, 50)
	s.pixel(t, p+"?w=100&brightness=-255", 75, 25, black, 100, 50)
	s.pixel(t, p+"?w=100&colorize=0,255,0", 25, 25, yellow, 100, 50)
	// grayscale and sepia on red: GD's grey is 76 (0.299 x 255), sepia adds
	// 90, 60, 40; Matte's Rec. 709 grey is 54, within the tolerance.
	s.pixel(t, p+"?w=100&filter=grayscale", 25, 25, [3]uint32{76, 76, 76}, 100, 50)
	s.pixel(t, p+"?w=100&filter=sepia", 25, 25, [3]uint32{166, 136, 116}, 100, 50)
	// w, h and fit never enlarge and compose; zoom multiplies them.
	const j = dir + "photo.jpg"
	s.image(t, j+"?w=1000", "jpeg", 400, 200)
	s.image(t, j+"?w=200", "jpeg", 200, 100)
	s.image(t, j+"?h=50%25", "jpeg", 200, 100)
	s.image(t, j+"?fit=500,500&w=100", "jpeg", 100, 50)
	s.image(t, j+"?w=100&zoom=2&quality=60&strip=all", "jpeg", 200, 100)
	s.image(t, j+"?ver=6.4", "jpeg", 400, 200)
	s.refused(t, j+"?ulb=true", http.StatusBadRequest, "ulb")
	s.refused(t, j+"?filter=emboss", http.StatusBadRequest, "filter")
	s.refused(t, j+"?resize=10,10&w=5", http.StatusBadRequest, "w")
	s.refused(t, "/wp-content/uploads/?w=5", http.StatusBadRequest, "path")
}
