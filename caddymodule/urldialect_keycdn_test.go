package caddymodule_test

import (
	"bytes"
	"net/http"
	"testing"
)

// TestKeyCDNURLs runs KeyCDN's Image Processing query
// (keycdn.com/support/image-processing) through the server, on the site's
// own /img/photo.jpg: 400x200, red on the left half and blue on the right.
func TestKeyCDNURLs(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect keycdn")
	const a = "/img/photo.jpg"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// One side keeps the ratio; never enlarged without enlarge=1.
	s.image(t, a+"?width=100", "jpeg", 100, 50)
	s.image(t, a+"?width=1000", "jpeg", 400, 200)
	s.image(t, a+"?width=800&enlarge=1&v=2", "jpeg", 800, 400)
	// fit=cover (the default) crops the centre, or the part position names.
	s.pixel(t, a+"?width=100&height=100&format=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?width=100&height=100&format=png", 75, 50, blue, 100, 100)
	s.pixel(t, a+"?width=100&height=100&position=right&format=png", 25, 50, blue, 100, 100)
	// Without enlarge, cover is sharp's withoutEnlargement: scale 1 at
	// most, then min(box, image) on each side (not the box's ratio, which
	// would be 400x150 and 200x200).
	s.image(t, a+"?width=800&height=300", "jpeg", 400, 200)
	s.image(t, a+"?width=300&height=300", "jpeg", 300, 200)
	// fit=contain pads with bg, opaque black by default.
	s.pixel(t, a+"?width=100&height=100&fit=contain&format=png", 50, 10, [3]uint32{0, 0, 0}, 100, 100)
	s.pixel(t, a+"?width=100&height=100&fit=contain&bg=00ff00&format=png", 50, 10, [3]uint32{0, 255, 0}, 100, 100)
	// crop at an offset, before the resize; flop mirrors.
	s.pixel(t, a+"?crop=100,100,300,50&width=50&format=png", 10, 10, blue, 50, 50)
	s.pixel(t, a+"?flop=1&width=100&format=png", 10, 25, blue, 100, 50)
	s.image(t, a+"?width=100&format=webp&quality=60", "webp", 100, 50)
	// Without a KeyCDN parameter the imgix query and plain paths are as
	// before.
	s.image(t, a+"?w=60", "jpeg", 60, 30)
	res, body := get(t, s.tester, s.base+a+"?v=2")
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, testPhoto(t)) {
		t.Fatalf("?v=2 alone: status %d, %d bytes", res.StatusCode, len(body))
	}
	s.refused(t, a+"?width=x", http.StatusBadRequest, "width")
	s.refused(t, a+"?width=100&olurl=/img/logo.png", http.StatusBadRequest, "olurl")
	s.refused(t, a+"?format=tiff", http.StatusBadRequest, "format")
}
