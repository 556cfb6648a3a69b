package caddymodule_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestVercelURLs runs Vercel's /_vercel/image form (vercel.com/docs/
// image-optimization: /_vercel/image?url=&w=&q=) through the server;
// /img/photo.jpg is 400x200. Only /_vercel/image is Vercel's: /_next/image
// stays unclaimed without the nextjs dialect.
func TestVercelURLs(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect vercel")
	res := s.image(t, "/_vercel/image?url=%2Fimg%2Fphoto.jpg&w=128&q=75", "webp", 128, 64, "Accept", "image/avif;q=0,image/webp,*/*")
	if v := strings.Join(res.Header.Values("Vary"), ","); !strings.Contains(v, "Accept") {
		t.Errorf("Vary %q, want Accept", v)
	}
	s.image(t, "/_vercel/image?w=128&q=75&url=%2Fimg%2Fphoto.jpg", "jpeg", 128, 64, "Accept", "image/jpeg")
	// Never enlarged, as Vercel's optimizer.
	s.image(t, "/_vercel/image?url=%2Fimg%2Fphoto.jpg&w=3840&q=75", "jpeg", 400, 200, "Accept", "image/jpeg")
	s.refused(t, "/_vercel/image?url=%2Fimg%2Fphoto.jpg&w=128", http.StatusBadRequest, "q")
	s.refused(t, "/_vercel/image?url=%2Fimg%2Fphoto.jpg&w=0&q=75", http.StatusBadRequest, "w")
	s.refused(t, "/_vercel/image?url=%2F_vercel%2Fimage&w=10&q=75", http.StatusBadRequest, "url")
	if res, _ := get(t, s.tester, s.base+"/_next/image?url=%2Fimg%2Fphoto.jpg&w=128&q=75"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/_next/image with vercel alone: status %d, want the file server's 404", res.StatusCode)
	}
}
