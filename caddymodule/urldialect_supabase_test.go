package caddymodule_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"net/http"
	"testing"
)

// TestSupabaseURLs runs Supabase Storage's render URLs (supabase.com/docs,
// Storage Image Transformations) through the server: the object
// /storage/v1/render/image/public/img/photo.jpg is /img/photo.jpg on the
// site, 400x200, red on the left half and blue on the right.
func TestSupabaseURLs(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect supabase")
	const obj = "/storage/v1/render/image/public/img/photo.jpg"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// decode GETs a JPEG answer (format=origin keeps the source's) of the
	// size given.
	decode := func(t *testing.T, path string, w, h int) image.Image {
		t.Helper()
		s.image(t, path, "jpeg", w, h)
		_, body := get(t, s.tester, s.base+path)
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	near := func(t *testing.T, what string, img image.Image, x, y int, c [3]uint32) {
		t.Helper()
		wantPixel(t, what, img, x, y, c, 40)
	}
	// The default, resize=cover: the 400x200 source scaled to 200x100 and
	// its centre 100x100 cut, half red, half blue.
	cover := decode(t, obj+"?width=100&height=100&format=origin", 100, 100)
	near(t, "cover", cover, 25, 50, red)
	near(t, "cover", cover, 75, 50, blue)
	// fill stretches the whole source to the box: still half and half.
	fill := decode(t, obj+"?width=100&height=100&resize=fill&format=origin", 100, 100)
	near(t, "fill", fill, 10, 50, red)
	near(t, "fill", fill, 90, 50, blue)
	s.image(t, obj+"?width=100&height=100&resize=contain&format=origin", "jpeg", 100, 50)
	// Never enlarged, as Supabase's imgproxy without enlarge: cover's
	// scale is capped at 1 and the cut is min(box, image) (imgproxy's fill,
	// calcScale and cropToResult), so 800x800 leaves the 400x200 source
	// whole and 300x300 cuts 300x200 from it; fill (imgproxy's force)
	// divides both factors by the larger, 800x800 giving 200x200, and
	// stretches one side given alone, the other the source's. A width
	// above 2500 is read as 2500.
	s.image(t, obj+"?width=800&height=800&format=origin", "jpeg", 400, 200)
	s.image(t, obj+"?width=300&height=300&format=origin", "jpeg", 300, 200)
	s.image(t, obj+"?width=800&height=800&resize=fill&format=origin", "jpeg", 200, 200)
	s.image(t, obj+"?width=300&resize=fill&format=origin", "jpeg", 300, 200)
	s.image(t, obj+"?width=300&resize=cover&format=origin", "jpeg", 300, 150)
	s.image(t, obj+"?width=9000&format=origin", "jpeg", 400, 200)
	// Without format, the Accept header picks WebP (or AVIF).
	s.image(t, obj+"?width=100&quality=60", "webp", 100, 50, "Accept", "image/avif;q=0,image/webp,*/*")
	s.image(t, obj+"?width=100&quality=60", "jpeg", 100, 50, "Accept", "image/jpeg")
	s.refused(t, obj+"?width=100&quality=10", http.StatusBadRequest, "quality")
	s.refused(t, obj+"?resize=inside", http.StatusBadRequest, "resize")
	s.refused(t, obj+"?format=png", http.StatusBadRequest, "format")
	s.refused(t, "/storage/v1/render/image/sign/img/photo.jpg?token=eyJhbGciOiJIUzI1NiJ9.e30.x", http.StatusForbidden, "token")
	s.refused(t, "/storage/v1/render/image/authenticated/img/photo.jpg?width=10", http.StatusForbidden, "authorization")
	s.refused(t, "/storage/v1/render/image/public/img", http.StatusBadRequest, "path")
}
