package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestKontentURLs runs Kontent.ai's image transformation URLs
// (kontent.ai/learn, Image transformation API) through the server. The
// asset is its own path on the site.
func TestKontentURLs(t *testing.T) {
	const a = "/8c150fae-fba4-0115-ef12-b10a8a4e2715/916fe268-2655-44dd-966d-b09a913bbbf2/photo.jpg"
	s := cmsSite(t, []string{a[1:]}, "url_dialect kontent")
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// fit=crop covers the box and crops the centre.
	s.pixel(t, a+"?w=100&h=100&fit=crop&fm=png", 25, 50, red, 100, 100)
	s.pixel(t, a+"?w=100&h=100&fit=crop&fm=png", 75, 50, blue, 100, 100)
	// A focal point at the left edge keeps the left: all red.
	s.pixel(t, a+"?w=100&h=100&fit=crop&crop=focalpoint&fp-x=0&fm=png", 75, 50, red, 100, 100)
	// rect cuts the right half first.
	s.pixel(t, a+"?rect=200,0,200,200&w=50&fm=png", 10, 10, blue, 50, 50)
	s.pixel(t, a+"?w=100&h=100&fit=scale&fm=png", 10, 90, red, 100, 100)
	s.image(t, a+"?w=100&auto=format", "webp", 100, 50, "Accept", "image/avif;q=0,image/webp,*/*")
	s.image(t, a+"?w=100", "jpeg", 100, 50)
	s.image(t, a+"?w=0.5&fm=pjpg", "jpeg", 200, 100)
	s.image(t, a+"?w=50&dpr=2&fm=png8", "png", 100, 50)
	s.image(t, a+"?w=50&fm=webp&lossless=true", "webp", 50, 25)
	s.refused(t, a+"?w=10&h=10&fit=max", http.StatusBadRequest, "fit")
	s.refused(t, a+"?fm=jpg&auto=format", http.StatusBadRequest, "fm")
	s.refused(t, a+"?rect=0.1,0.1,0.5,0.5", http.StatusBadRequest, "rect")
}
