package caddymodule_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestImageEngineURLs runs ImageEngine's imgeng directives (ImageEngine's
// Directives documentation: <path>?imgeng=/w_300/f_webp) through the
// server. /img/photo.jpg is 400x200, red on the left half and blue on the
// right.
func TestImageEngineURLs(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect imageengine")
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	const photo = "/img/photo.jpg?imgeng="
	// cropbox covers the box and cuts the centre: half red, half blue.
	s.pixel(t, photo+"/w_100/h_100/m_cropbox/f_png", 25, 50, red, 100, 100)
	s.pixel(t, photo+"/w_100/h_100/m_cropbox/f_png", 75, 50, blue, 100, 100)
	// stretch: the left 40% is still red.
	s.pixel(t, photo+"/w_100/h_100/m_stretch/f_png", 35, 50, red, 100, 100)
	// cr (width, height, left, top) cuts the right half first: all blue.
	s.pixel(t, photo+"/cr_200,200,200,0/w_50/f_png", 10, 10, blue, 50, 50)
	// r_90 turns it clockwise: red on top.
	s.pixel(t, photo+"/r_90/w_100/f_png", 50, 20, red, 100, 200)
	// box (the default) fits inside; letterbox pads to the box.
	s.image(t, photo+"/w_100/h_100/f_jpg", "jpeg", 100, 50)
	s.image(t, photo+"/w_100/h_100/m_letterbox/f_jpg/cmpr_30", "jpeg", 100, 100)
	// Without f, the format follows Accept; unpic's escaped form.
	s.image(t, "/img/photo.jpg?imgeng=w_100%2Fh_50%2Fm_cropbox", "webp", 100, 50, "Accept", "image/avif;q=0,image/webp,*/*")
	// w_auto: the Sec-CH-Width hint, else the fallback.
	s.image(t, photo+"/w_auto,100/f_jpg", "jpeg", 60, 30, "Sec-CH-Width", "60")
	s.image(t, photo+"/w_auto,100/f_jpg", "jpeg", 100, 50)
	res := s.image(t, photo+"/w_100/dl_true/f_png", "png", 100, 50)
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("dl_true: Content-Disposition %q", cd)
	}
	s.refused(t, photo+"/pc_50", http.StatusBadRequest, "pc")
	s.refused(t, photo+"/cmpr_100", http.StatusBadRequest, "cmpr")
	s.refused(t, photo+"/in_true", http.StatusBadRequest, "in")
	s.refused(t, photo+"/f_jxl", http.StatusBadRequest, "f")
	// A plain path, or another query, stays untouched.
	s.image(t, "/img/photo.jpg?w=100", "jpeg", 100, 50)
}
