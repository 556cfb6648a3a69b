package caddymodule_test

import (
	"net/http"
	"testing"
)

// TestCloudflareDocumentedBehaviour runs what developers.cloudflare.com
// documents for fit=crop, fit=pad, flip with rotate, contrast=0, a CSS
// rgb() background and the trim.* options through the server. photo.jpg
// is 400x200, red on its left half, blue on its right.
func TestCloudflareDocumentedBehaviour(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect cloudflare")
	red, blue, white := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{255, 255, 255}
	t.Run("fit=crop leaves a smaller source as it is, covers a larger one", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=1296,height=1296,fit=crop/img/photo.jpg", "jpeg", 400, 200)
		s.image(t, "/cdn-cgi/image/width=100,height=100,fit=crop/img/photo.jpg", "jpeg", 100, 100)
		// Smaller one way only: cut to the box's shape, never enlarged.
		s.image(t, "/cdn-cgi/image/width=800,height=100,fit=crop/img/photo.jpg", "jpeg", 400, 50)
		// Turned a quarter, the source (200x400) fits a 250x450 box: left
		// as it is.
		s.image(t, "/cdn-cgi/image/width=250,height=450,fit=crop,rotate=90/img/photo.jpg", "jpeg", 200, 400)
	})
	t.Run("no fit is scale-down: never enlarged", func(t *testing.T) {
		// Cloudflare's fit table: "scale-down (default) | Show entire
		// image without cropping or upscaling".
		s.image(t, "/cdn-cgi/image/width=3000/img/photo.jpg", "jpeg", 400, 200)
		s.image(t, "/cdn-cgi/image/width=300,dpr=2/img/photo.jpg", "jpeg", 400, 200)
		s.image(t, "/cdn-cgi/image/width=800,height=800/img/photo.jpg", "jpeg", 400, 200)
		s.image(t, "/cdn-cgi/image/width=100,dpr=2/img/photo.jpg", "jpeg", 200, 100)
		// contain enlarges, as Cloudflare documents it.
		s.image(t, "/cdn-cgi/image/width=800,fit=contain/img/photo.jpg", "jpeg", 800, 400)
	})
	t.Run("fit=aspect-crop cuts to the box's shape, never enlarged", func(t *testing.T) {
		s.image(t, "/cdn-cgi/image/width=800,height=800,fit=aspect-crop/img/photo.jpg", "jpeg", 200, 200)
		s.image(t, "/cdn-cgi/image/width=100,height=100,fit=aspect-crop/img/photo.jpg", "jpeg", 100, 100)
	})
	t.Run("fit=pad fills with white by default", func(t *testing.T) {
		img := s.png(t, "/cdn-cgi/image/width=100,height=100,fit=pad,format=png/img/photo.jpg", 100, 100)
		wantPixel(t, "pad", img, 50, 5, white, 2)
		if _, _, _, a := img.At(50, 5).RGBA(); a != 0xffff {
			t.Errorf("pad: alpha %x, want opaque", a)
		}
		s.pixel(t, "/cdn-cgi/image/width=100,height=100,fit=pad,background=rgb%28240%2C40%2C145%29,format=png/img/photo.jpg", 50, 5, [3]uint32{240, 40, 145}, 100, 100)
		s.pixel(t, "/cdn-cgi/image/width=100,height=100,fit=pad,background=rgb(0,255,0),format=png/img/photo.jpg", 50, 95, [3]uint32{0, 255, 0}, 100, 100)
	})
	t.Run("flip comes before rotate", func(t *testing.T) {
		// Mirrored, blue is on the left; turned a quarter clockwise, the
		// left edge is the top.
		img := s.png(t, "/cdn-cgi/image/flip=h,rotate=90,format=png/img/photo.jpg", 200, 400)
		wantPixel(t, "flip=h,rotate=90", img, 100, 20, blue, 40)
		wantPixel(t, "flip=h,rotate=90", img, 100, 380, red, 40)
		img = s.png(t, "/cdn-cgi/image/flip=v,rotate=270,format=png/img/photo.jpg", 200, 400)
		wantPixel(t, "flip=v,rotate=270", img, 100, 20, blue, 40)
	})
	t.Run("contrast=0 is ignored", func(t *testing.T) {
		s.pixel(t, "/cdn-cgi/image/width=100,contrast=0,format=png/img/photo.jpg", 10, 25, red, 100, 50)
	})
	t.Run("trim.left, trim.top, trim.width, trim.height cut a region", func(t *testing.T) {
		img := s.png(t, "/cdn-cgi/image/trim.left=250,format=png/img/photo.jpg", 150, 200)
		wantPixel(t, "trim.left", img, 2, 100, blue, 40)
		img = s.png(t, "/cdn-cgi/image/trim.left=50,trim.top=20,trim.width=100,trim.height=30,format=png/img/photo.jpg", 100, 30)
		wantPixel(t, "trim region", img, 95, 15, red, 40)
		s.png(t, "/cdn-cgi/image/trim.height=80,format=png/img/photo.jpg", 400, 80)
		s.refused(t, "/cdn-cgi/image/trim.left=400/img/photo.jpg", http.StatusBadRequest, "trim.left")
		s.refused(t, "/cdn-cgi/image/trim.top=250,trim.width=10/img/photo.jpg", http.StatusBadRequest, "trim.top")
		// With both offsets, the one past the source is named.
		s.refused(t, "/cdn-cgi/image/trim.left=10,trim.top=300/img/photo.jpg", http.StatusBadRequest, "trim.top")
		s.refused(t, "/cdn-cgi/image/trim.left=400,trim.top=10/img/photo.jpg", http.StatusBadRequest, "trim.left")
		// imgix places both axes with its one rect.
		s.refused(t, "/img/photo.jpg?rect=10,300,10,10", http.StatusBadRequest, "rect")
		s.refused(t, "/cdn-cgi/image/trim.border.tolerance=5/img/photo.jpg", http.StatusBadRequest, "trim.border.tolerance")
	})
}
