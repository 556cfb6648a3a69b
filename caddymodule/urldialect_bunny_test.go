package caddymodule_test

import (
	"bytes"
	"net/http"
	"testing"
)

// TestBunnyURLs runs Bunny Optimizer's query (docs.bunny.net, Dynamic
// Images) through the server, on the site's own /img/photo.jpg: 400x200,
// red on the left half and blue on the right.
func TestBunnyURLs(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect bunny")
	const a = "/img/photo.jpg"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// width and height fit the image inside the box, never enlarged
	// unless upscaling=resampling.
	s.image(t, a+"?width=100", "jpeg", 100, 50)
	s.image(t, a+"?width=100&height=100", "jpeg", 100, 50)
	s.image(t, a+"?width=1000", "jpeg", 400, 200)
	s.image(t, a+"?width=800&upscaling=resampling&v=2", "jpeg", 800, 400)
	// aspect_ratio cuts the centred area: half red, half blue.
	s.pixel(t, a+"?aspect_ratio=1:1&width=100&format=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?aspect_ratio=1:1&width=100&format=png", 75, 50, blue, 100, 100)
	// crop with a gravity, or at an offset, before the resize.
	s.pixel(t, a+"?crop=200,200&crop_gravity=west&format=png", 150, 100, red, 200, 200)
	s.pixel(t, a+"?crop=100,100,300,50&width=50&format=png", 10, 10, blue, 50, 50)
	// flop mirrors: blue on the left.
	s.pixel(t, a+"?flop=true&width=100&format=png", 10, 25, blue, 100, 50)
	s.image(t, a+"?width=100&format=webp&quality=60", "webp", 100, 50)
	s.image(t, a+"?width=100&output=png", "png", 100, 50)
	// Without a Bunny parameter the imgix query and plain paths are as
	// before.
	s.image(t, a+"?w=60", "jpeg", 60, 30)
	res, body := get(t, s.tester, s.base+a+"?v=2")
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, testPhoto(t)) {
		t.Fatalf("?v=2 alone: status %d, %d bytes", res.StatusCode, len(body))
	}
	s.refused(t, a+"?width=0", http.StatusBadRequest, "width")
	// face_crop=true with no face found (no face here, and no detector on
	// this site): the image is not cut, as Bunny says, then resized.
	s.image(t, a+"?face_crop=true&width=100", "jpeg", 100, 50)
	s.refused(t, a+"?face_crop=yes", http.StatusBadRequest, "face_crop")
	s.refused(t, a+"?width=100&format=tiff", http.StatusBadRequest, "format")
}
