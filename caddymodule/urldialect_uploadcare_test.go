package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestUploadcareURLs runs Uploadcare's CDN operation URLs (uploadcare.com
// docs, URL API) through the server. The file's UUID is the first path
// segment and its name the last: /img/-/.../photo.jpg is /img/photo.jpg on
// the site, 400x200, red on the left half and blue on the right.
func TestUploadcareURLs(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect uploadcare")
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// resize stretches to both sides: 400x200 to 100x100, half and half.
	s.pixel(t, "/img/-/resize/100x100/-/format/png/photo.jpg", 10, 50, red, 100, 100)
	s.pixel(t, "/img/-/resize/100x100/-/format/png/photo.jpg", 90, 50, blue, 100, 100)
	// stretch/off (as @nuxt/image writes it after the resize) still
	// stretches where no side grows; where one would, both factors are
	// divided by the larger: 400x200 at 300x300 is 200x200.
	s.pixel(t, "/img/-/resize/100x100/-/stretch/off/-/format/png/photo.jpg", 10, 50, red, 100, 100)
	s.pixel(t, "/img/-/resize/100x100/-/stretch/off/-/format/png/photo.jpg", 90, 50, blue, 100, 100)
	s.image(t, "/img/-/resize/300x300/-/stretch/off/photo.jpg", "jpeg", 200, 200)
	s.image(t, "/img/-/stretch/off/-/resize/800x800/photo.jpg", "jpeg", 200, 200)
	// One side keeps the ratio; resize enlarges, preview never does.
	s.image(t, "/img/-/resize/800x/-/format/jpeg/photo.jpg", "jpeg", 800, 400)
	s.image(t, "/img/-/preview/800x800/photo.jpg", "jpeg", 400, 200)
	s.image(t, "/img/-/preview/100x100/photo.jpg", "jpeg", 100, 50)
	// scale_crop covers the box; left keeps the red half.
	s.pixel(t, "/img/-/scale_crop/100x100/left/-/format/png/photo.jpg", 50, 50, red, 100, 100)
	s.pixel(t, "/img/-/scale_crop/100x100/right/-/format/png/photo.jpg", 50, 50, blue, 100, 100)
	// rotate is counterclockwise: the red left half goes to the bottom.
	s.pixel(t, "/img/-/rotate/90/-/format/png/photo.jpg", 100, 350, red, 200, 400)
	s.pixel(t, "/img/-/rotate/90/-/format/png/photo.jpg", 100, 50, blue, 200, 400)
	// mirror swaps left and right; crop cuts at X,Y.
	s.pixel(t, "/img/-/mirror/-/format/png/photo.jpg", 50, 100, blue, 400, 200)
	s.pixel(t, "/img/-/crop/100x100/300,50/-/format/png/photo.jpg", 50, 50, blue, 100, 100)
	// format/auto picks by Accept.
	s.image(t, "/img/-/resize/100x/-/format/auto/photo.jpg", "webp", 100, 50, "Accept", "image/avif;q=0,image/webp,*/*")
	s.refused(t, "/img/-/smart_resize/100x100/photo.jpg", http.StatusBadRequest, "smart_resize")
	s.refused(t, "/img/-/stretch/fill/-/resize/100x100/photo.jpg", http.StatusBadRequest, "stretch")
	s.refused(t, "/img/-/rotate/45/photo.jpg", http.StatusBadRequest, "rotate")
	s.refused(t, "/img/-/format/gif/photo.jpg", http.StatusBadRequest, "format")
}
