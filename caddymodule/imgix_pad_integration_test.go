package caddymodule_test

import "testing"

// TestImgixPadWithinBox: imgix's pad docs, "If the image is cropped or
// resized, the image (including the padding) will be sized to fit within
// the requested dimensions", and "If the image is requested without a
// specified width and height, padding will be added to the dimensions of
// the image". The source is the dialect site's 400x200 photo, red on the
// left half and blue on the right.
func TestImgixPadWithinBox(t *testing.T) {
	s := newDialectSite(t, "")
	red, blue, green := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 255, 0}
	// @imgix/js-core's buildURL(path, {w, h, fit: 'crop', pad}) shape.
	const crop = "/img/photo.jpg?w=100&h=60&fit=crop&pad=10&bg=00ff00&fm=png"
	s.pixel(t, crop, 3, 3, green, 100, 60)
	s.pixel(t, crop, 20, 30, red, 100, 60)
	s.pixel(t, crop, 80, 30, blue, 100, 60)
	// Width only: the 80x40 image inside 10 px of padding on every side.
	s.image(t, "/img/photo.jpg?w=100&pad=10", "jpeg", 100, 60)
	// No size: the padding grows the image.
	s.image(t, "/img/photo.jpg?pad=10", "jpeg", 420, 220)
	s.refused(t, "/img/photo.jpg?w=40&pad=20", 400, "pad")
}
