package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestIpxURLs runs ipx URLs (the forms of github.com/unjs/ipx and of Nuxt
// Image's ipx provider) through the server.
func TestIpxURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect ipx")
	t.Run("w_ and f_", func(t *testing.T) {
		s.image(t, "/_ipx/w_200,f_webp/img/photo.jpg", "webp", 200, 100)
	})
	t.Run("s_WxH covers and crops", func(t *testing.T) {
		s.image(t, "/_ipx/s_100x100/img/photo.jpg", "jpeg", 100, 100)
	})
	t.Run("fit_contain pads", func(t *testing.T) {
		s.image(t, "/_ipx/s_100x100,fit_contain,b_ffffff,f_png/img/photo.jpg", "png", 100, 100)
	})
	t.Run("_ means no modifiers", func(t *testing.T) {
		s.image(t, "/_ipx/_/img/photo.jpg", "jpeg", 400, 200)
	})
	t.Run("q_ and format negotiation", func(t *testing.T) {
		s.image(t, "/_ipx/w_100,q_50,f_auto/img/photo.jpg", "webp", 100, 50, "Accept", "image/webp")
	})
	t.Run("bad modifiers answer 400 naming them", func(t *testing.T) {
		s.refused(t, "/_ipx/w_abc/img/photo.jpg", http.StatusBadRequest, "w")
		s.refused(t, "/_ipx/grayscale/img/photo.jpg", http.StatusBadRequest, "grayscale")
	})
	t.Run("remote source through the allowlist", func(t *testing.T) {
		s.image(t, "/_ipx/w_100/"+s.remote+"/photo.jpg", "jpeg", 100, 50)
	})
}
