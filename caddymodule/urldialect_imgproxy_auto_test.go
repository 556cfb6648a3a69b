package caddymodule_test

import "testing"

// TestImgproxyResizeAuto: rt:auto is fill where the source (400x200,
// landscape) and the box share an orientation, a square box counting as
// landscape, and fit where they do not (docs.imgproxy.net).
func TestImgproxyResizeAuto(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy")
	s.image(t, "/insecure/rs:auto:300:100/plain//img/photo.jpg", "jpeg", 300, 100)
	s.image(t, "/insecure/rs:auto:100:100/plain//img/photo.jpg", "jpeg", 100, 100)
	s.image(t, "/insecure/rs:auto:100:200/plain//img/photo.jpg", "jpeg", 100, 50)
	s.image(t, "/insecure/rs:auto:100:200/rot:90/plain//img/photo.jpg", "jpeg", 100, 200) // turned, the source is portrait
	// Turned, the 200x400 source crosses the landscape box: fit, not fill
	// (300x200).
	s.image(t, "/insecure/rs:auto:300:200/rot:90/plain//img/photo.jpg", "jpeg", 100, 200)
	s.image(t, "/insecure/rs:auto:100:200:0:1/bg:fff/plain//img/photo.jpg", "jpeg", 100, 200)
}
