package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestCloudimageURLs runs Cloudimage v7 URLs through the server: the
// origin is a path on the site (/img/photo.jpg, 400x200, red on the left
// half and blue on the right) or an allowed remote URL.
func TestCloudimageURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect cloudimage")
	red, blue, green := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 255, 0}
	s.image(t, "/v7/img/photo.jpg?w=100", "jpeg", 100, 50)
	s.image(t, "/v7/img/photo.jpg?w=800&org_if_sml=1", "jpeg", 400, 200)
	// Both sides: the original where the box is larger on either side
	// (500x100 is wider than 400x200), the function where it is not.
	s.image(t, "/v7/img/photo.jpg?w=500&h=100&org_if_sml=1", "jpeg", 400, 200)
	s.image(t, "/v7/img/photo.jpg?w=500&h=100&func=cover&org_if_sml=1", "jpeg", 400, 200)
	s.image(t, "/v7/img/photo.jpg?w=300&h=100&func=cover&org_if_sml=1", "jpeg", 300, 100)
	s.image(t, "/v7/img/photo.jpg?w=100&h=100&func=cover&force_format=webp", "webp", 100, 100)
	// crop (the default with both sides) cuts the centre; gravity moves it.
	s.pixel(t, "/v7/img/photo.jpg?w=100&h=100&force_format=png", 25, 50, red, 100, 100)
	s.pixel(t, "/v7/img/photo.jpg?w=100&h=100&force_format=png", 75, 50, blue, 100, 100)
	s.pixel(t, "/v7/img/photo.jpg?w=100&h=100&gravity=west&force_format=png", 75, 50, red, 100, 100)
	// fit pads the box with bg_color.
	s.pixel(t, "/v7/img/photo.jpg?w=100&h=100&func=fit&bg_color=00ff00&force_format=png", 50, 10, green, 100, 100)
	s.pixel(t, "/v7/img/photo.jpg?w=100&h=100&func=fit&bg_color=00ff00&force_format=png", 25, 50, red, 100, 100)
	// r turns counter-clockwise: the left (red) half ends at the bottom.
	s.pixel(t, "/v7/img/photo.jpg?r=90&force_format=png", 100, 350, red, 200, 400)
	s.pixel(t, "/v7/img/photo.jpg?r=90&force_format=png", 100, 50, blue, 200, 400)
	// An absolute origin URL is fetched under the origin allowlist.
	s.image(t, "/v7/"+s.remote+"/photo.jpg?w=100", "jpeg", 100, 50)
	s.refused(t, "/v7/img/photo.jpg?w=0", http.StatusBadRequest, "w")
	s.refused(t, "/v7/img/photo.jpg?blur=3", http.StatusBadRequest, "blur")
	s.refused(t, "/v7/img/photo.jpg?w=10&h=10&func=cropfit", http.StatusBadRequest, "func")
}
