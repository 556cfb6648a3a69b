package caddymodule_test

import (
	"bytes"
	"image/color"
	"image/gif"
	"net/http"
	"testing"

	"github.com/jebosio/matte/internal/testimages"
)

// animatedGIF is a 40x20 GIF of three frames, red, green and blue, 10, 20
// and 30 centiseconds each.
func animatedGIF(t *testing.T) []byte {
	t.Helper()
	b, err := testimages.AnimatedGIF(40, 20, []color.Color{color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 255, 0, 255}, color.NRGBA{0, 0, 255, 255}}, []int{10, 20, 30})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// frameCount is the number of frames of a GIF, or of a WebP (one ANMF
// chunk per frame of an animation; a still has none).
func frameCount(t *testing.T, format string, body []byte) int {
	t.Helper()
	switch format {
	case "gif":
		g, err := gif.DecodeAll(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return len(g.Image)
	case "webp":
		return max(1, bytes.Count(body, []byte("ANMF")))
	}
	return 1
}

// TestAnimatedURLs: an animated GIF through each dialect, by its rule for
// animation (params.Frames): imgix, Cloudflare and Thumbor keep the frames
// in a GIF or WebP answer, ipx in a GIF unless asked, imgproxy and wsrv
// answer with the first frame unless asked.
func TestAnimatedURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect ipx", "url_dialect wsrv", "url_dialect cloudflare", "url_dialect thumbor", "url_dialect imgproxy")
	for _, tc := range []struct {
		path, accept string
		format       string
		frames       int
	}{
		{"/img/anim.gif?w=20", "", "gif", 3},
		{"/img/anim.gif?w=20&fm=webp", "", "webp", 3},
		{"/img/anim.gif?w=20&auto=format", "image/avif,image/webp", "webp", 3},
		{"/img/anim.gif?w=20&auto=format", "image/png", "gif", 3},
		{"/img/anim.gif?w=20&fm=png", "", "png", 1},
		{"/img/anim.gif?w=20&frame=1", "", "gif", 1},
		{"/img/anim.gif?w=20&frame=2&fm=jpg", "", "jpeg", 1},
		{"/img/anim.gif?w=20&frame=2-3", "", "gif", 2},
		{"/img/anim.gif?w=20&interval=2&reverse=1&fps=20&loop=1", "", "gif", 2},
		{"/img/anim.gif?w=20&h=10&fit=crop&crop=entropy", "", "gif", 1},
		{"/_ipx/w_20/img/anim.gif", "", "gif", 3},
		{"/_ipx/w_20,f_webp/img/anim.gif", "", "webp", 1},
		{"/_ipx/w_20,f_webp,animated/img/anim.gif", "", "webp", 3},
		{"/?url=/img/anim.gif&w=20", "", "gif", 1},
		{"/?url=/img/anim.gif&w=20&n=-1&output=webp", "", "webp", 3},
		{"/?url=/img/anim.gif&w=20&n=2&page=1", "", "gif", 2},
		{"/?url=/img/anim.gif&w=20&page=2&output=jpg", "", "jpeg", 1},
		{"/cdn-cgi/image/width=20/img/anim.gif", "", "gif", 3},
		{"/cdn-cgi/image/width=20,anim=false/img/anim.gif", "", "gif", 1},
		// format=avif: "AVIF if possible (with WebP as a fallback)".
		{"/cdn-cgi/image/width=20,format=avif/img/anim.gif", "", "webp", 3},
		{"/unsafe/20x10/img/anim.gif", "", "gif", 3},
		{"/unsafe/20x10/filters:cover()/img/anim.gif", "", "gif", 1},
		{"/insecure/w:20/plain//img/anim.gif", "", "gif", 1},
		{"/insecure/w:20/plain//img/anim.gif@webp", "", "webp", 1},
		{"/insecure/w:20/pg:2/plain//img/anim.gif", "", "gif", 1},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, body := get(t, s.tester, s.base+tc.path, "Accept", tc.accept)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			f, w, h := imageSize(t, body)
			if f != tc.format || w != 20 || h != 10 {
				t.Fatalf("%s %dx%d, want %s 20x10", f, w, h, tc.format)
			}
			if n := frameCount(t, f, body); n != tc.frames {
				t.Errorf("%d frames, want %d", n, tc.frames)
			}
		})
	}
	t.Run("format=avif without the frames, and imgix fm=avif, stay AVIF", func(t *testing.T) {
		for _, path := range []string{"/cdn-cgi/image/width=20,format=avif,anim=false/img/anim.gif", "/img/anim.gif?w=20&fm=avif"} {
			if res, body := get(t, s.tester, s.base+path); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/avif" {
				t.Errorf("%s: status %d, Content-Type %q, want image/avif: %.80q", path, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		}
	})
	t.Run("fit=crop,gravity=auto over a smaller animation keeps it", func(t *testing.T) {
		// Smaller than the box, the 40x20 GIF is scale-down: no smart crop,
		// so the frames play, and format=auto picks WebP over AVIF (a still).
		res, body := get(t, s.tester, s.base+"/cdn-cgi/image/width=1000,height=1000,fit=crop,gravity=auto,format=auto/img/anim.gif", "Accept", "image/avif,image/webp")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		if f, w, h := imageSize(t, body); f != "webp" || w != 40 || h != 20 {
			t.Fatalf("%s %dx%d, want webp 40x20", f, w, h)
		}
		if n := frameCount(t, "webp", body); n != 3 {
			t.Errorf("%d frames, want 3", n)
		}
	})
	t.Run("bad frame options answer 400 naming them", func(t *testing.T) {
		s.refused(t, "/img/anim.gif?frame=0", http.StatusBadRequest, "frame")
		s.refused(t, "/img/anim.gif?frame=4", http.StatusBadRequest, "frame") // past the last of 3
		s.refused(t, "/img/anim.gif?skip=2", http.StatusBadRequest, "skip")
		s.refused(t, "/?url=/img/anim.gif&n=0", http.StatusBadRequest, "n")
		s.refused(t, "/?url=/img/anim.gif&page=3", http.StatusBadRequest, "page") // past the last of 3
		s.refused(t, "/cdn-cgi/image/anim=yes/img/anim.gif", http.StatusBadRequest, "anim")
		s.refused(t, "/insecure/pg:3/plain//img/anim.gif", http.StatusBadRequest, "pg") // from 0: past the last of 3
	})
	// imgproxy's pg counts from 0: pg:2 is imgix's frame=3, pixel for pixel.
	t.Run("imgproxy pg picks the frame", func(t *testing.T) {
		_, pg := get(t, s.tester, s.base+"/insecure/w:20/pg:2/plain//img/anim.gif@png")
		_, third := get(t, s.tester, s.base+"/img/anim.gif?w=20&frame=3&fm=png")
		_, first := get(t, s.tester, s.base+"/img/anim.gif?w=20&frame=1&fm=png")
		if !bytes.Equal(pg, third) || bytes.Equal(pg, first) {
			t.Errorf("pg:2: %d bytes, equal to frame=3's (%d bytes): %v, to frame=1's: %v", len(pg), len(third), bytes.Equal(pg, third), bytes.Equal(pg, first))
		}
	})
	// Last: a new site replaces the test server's config.
	t.Run("imgproxy's animation_frames keeps that many", func(t *testing.T) {
		s := newDialectSite(t, allowLoopback, "url_dialect imgproxy {\n\t\t\tanimation_frames 2\n\t\t}")
		res, body := get(t, s.tester, s.base+"/insecure/w:20/plain//img/anim.gif")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		if n := frameCount(t, "gif", body); n != 2 {
			t.Errorf("%d frames, want the first 2", n)
		}
	})
}

// tinyFramesGIF is testimages.TinyFramesGIF, failing t on an error.
func tinyFramesGIF(t *testing.T, w, h, n int) []byte {
	t.Helper()
	b, err := testimages.TinyFramesGIF(w, h, n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLateFrameWithinMaxSourceMegapixels: a still of frame N of an animated
// GIF decodes the N frames up to it (each drawn over the ones before), so
// max_source_megapixels bounds them together, as it bounds an animation's
// frames: a 2000x2000 GIF of 200 one-pixel frames (4 MP a canvas, 10 of
// them in 40 MP) answers frame 10, and frame 11 or 200 is a 400 naming the
// dialect's frame option.
func TestLateFrameWithinMaxSourceMegapixels(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"b.gif": tinyFramesGIF(t, 2000, 2000, 200)})
	s := &dialectSite{tester: boundsSite(t, dir, "max_source_megapixels 40\n\t\turl_dialect imgproxy\n\t\turl_dialect wsrv"), base: "http://localhost:9080"}
	for _, path := range []string{"/b.gif?w=10&fm=png&frame=10", "/b.gif?w=10&frame=5-10", "/insecure/w:10/pg:9/plain//b.gif@png", "/?url=/b.gif&w=10&page=9&output=png"} {
		if res, body := get(t, s.tester, s.base+path); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200 (10 frames of 10): %s", path, res.StatusCode, body)
		}
	}
	for _, tc := range []struct{ path, field string }{
		{"/b.gif?w=11&fm=png&frame=11", "frame"},
		{"/b.gif?w=11&fm=png&frame=200", "frame"},
		{"/b.gif?w=11&frame=150-200", "frame"}, // over as an animation, and as a still of frame 150
		{"/insecure/w:11/pg:199/plain//b.gif@png", "pg"},
		{"/?url=/b.gif&w=11&page=10&output=png", "page"},
	} {
		s.refused(t, tc.path, http.StatusBadRequest, tc.field)
	}
}
