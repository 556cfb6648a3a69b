package caddymodule_test

import (
	"fmt"
	"image"
	"image/color"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/jebosio/matte/internal/testimages"
)

// TestNextAnimatedAsStored: the Next.js and Vercel optimizers answer an
// animated source as stored. Next's docs (next/image, "Animated Images"):
// "The default loader will automatically bypass Image Optimization for
// animated images and serve the image as-is." Its image-optimizer returns
// the upstream buffer with the upstream's content type and its usual
// Cache-Control and Vary: Accept, for the types of its ANIMATABLE_TYPES =
// [WEBP, PNG, GIF]. So an animated GIF, WebP or PNG (an APNG, which
// libvips reads as one frame) comes back byte for byte, in its own type,
// whatever w, q and Accept say, cached and validated as the dialect's
// other answers; a still (a JPEG, a GIF of one frame, a PNG) is still
// resized and re-encoded by Accept.
func TestNextAnimatedAsStored(t *testing.T) {
	dir := t.TempDir()
	spin := animatedGIF(t) // 40x20, three frames
	still, err := testimages.AnimatedGIF(40, 20, []color.Color{color.NRGBA{255, 0, 0, 255}}, []int{10})
	if err != nil {
		t.Fatal(err)
	}
	apng, err := testimages.APNG(40, 20, []color.Color{color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 255, 0, 255}, color.NRGBA{0, 0, 255, 255}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	stillPNG, err := testimages.APNG(40, 20, []color.Color{color.NRGBA{255, 0, 0, 255}}, 10) // an acTL of 1 frame: a still
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string][]byte{"nextanim/spin.gif": spin, "nextanim/one.gif": still, "nextanim/photo.jpg": testPhoto(t),
		"nextanim/spin.png": apng, "nextanim/one.png": stillPNG, "nextanim/plain.png": encodeTestPNG(t, image.NewNRGBA(image.Rect(0, 0, 40, 20)))})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect nextjs
		url_dialect vercel
	}
	file_server
}`, dir), "caddyfile")
	base := "http://localhost:9080"

	// An animated WebP, made by Matte (imgix's fm=webp keeps the frames)
	// and stored next to the GIF as a source of its own.
	res, spinWebP := get(t, tester, base+"/nextanim/spin.gif?fm=webp")
	if f, _, _ := imageSize(t, spinWebP); res.StatusCode != http.StatusOK || f != "webp" || frameCount(t, "webp", spinWebP) != 3 {
		t.Fatalf("making the WebP source: status %d, %s of %d frames", res.StatusCode, f, frameCount(t, "webp", spinWebP))
	}
	writeFiles(t, dir, map[string][]byte{"nextanim/spin.webp": spinWebP})

	// A still through the same route: resized and re-encoded by Accept.
	res, body := get(t, tester, base+"/_next/image?url=%2Fnextanim%2Fphoto.jpg&w=128&q=75", "Accept", "image/webp")
	if f, w, h := imageSize(t, body); res.StatusCode != http.StatusOK || f != "webp" || w != 128 || h != 64 {
		t.Fatalf("still JPEG: status %d, %s %dx%d; want webp 128x64", res.StatusCode, f, w, h)
	}
	stillCacheControl := res.Header.Get("Cache-Control")
	if stillCacheControl == "" {
		t.Fatal("a still answer has no Cache-Control to compare with")
	}

	missed := map[string]bool{}
	for _, route := range []string{"/_next/image", "/_vercel/image"} {
		// A GIF of one frame is a still: transformed like the JPEG.
		res, body := get(t, tester, base+route+"?url=%2Fnextanim%2Fone.gif&w=20&q=75", "Accept", "image/webp")
		if f, w, h := imageSize(t, body); res.StatusCode != http.StatusOK || f != "webp" || w != 20 || h != 10 {
			t.Errorf("%s one-frame GIF: status %d, %s %dx%d; want webp 20x10", route, res.StatusCode, f, w, h)
		}
		// So is a PNG: a plain one, and one whose acTL says 1 frame, in
		// WebP by Accept or as a PNG.
		for _, png := range []string{"plain.png", "one.png"} {
			for accept, want := range map[string]string{"image/webp": "webp", "image/png": "png"} {
				res, body := get(t, tester, base+route+"?url=%2Fnextanim%2F"+png+"&w=20&q=75", "Accept", accept)
				if f, w, h := imageSize(t, body); res.StatusCode != http.StatusOK || f != want || w != 20 || h != 10 {
					t.Errorf("%s still %s, Accept %s: status %d, %s %dx%d; want %s 20x10", route, png, accept, res.StatusCode, f, w, h, want)
				}
			}
		}
		for _, src := range []struct {
			path, contentType string
			body              []byte
		}{
			{"/nextanim/spin.gif", "image/gif", spin},
			{"/nextanim/spin.webp", "image/webp", spinWebP},
			{"/nextanim/spin.png", "image/png", apng},
		} {
			for _, accept := range []string{"image/avif,image/webp,*/*", "image/png", ""} {
				u := base + route + "?url=" + url.QueryEscape(src.path) + "&w=20&q=75"
				t.Run(route+src.path+" Accept "+accept, func(t *testing.T) {
					var etag string
					for i := range 2 {
						res, body := get(t, tester, u, "Accept", accept)
						if res.StatusCode != http.StatusOK || string(body) != string(src.body) {
							t.Fatalf("request %d: status %d, %d bytes; want the %d bytes as stored", i, res.StatusCode, len(body), len(src.body))
						}
						if got := res.Header.Get("Content-Type"); got != src.contentType {
							t.Errorf("Content-Type %q, want %q", got, src.contentType)
						}
						if got := res.Header.Get("Cache-Control"); got != stillCacheControl {
							t.Errorf("Cache-Control %q, want the still answer's %q", got, stillCacheControl)
						}
						if v := strings.Join(res.Header.Values("Vary"), ","); !slices.Contains(strings.Split(v, ","), "Accept") {
							t.Errorf("Vary %q, want Accept", v)
						}
						// One answer per source, whatever the route and Accept:
						// only the first request for it is a MISS.
						wantHit := i > 0 || missed[src.path]
						missed[src.path] = true
						if got := res.Header.Get("X-Cache"); strings.HasPrefix(got, "HIT") != wantHit {
							t.Errorf("request %d: X-Cache %q, want a hit: %v", i, got, wantHit)
						}
						if etag = res.Header.Get("ETag"); etag == "" {
							t.Fatal("no ETag")
						}
					}
					res, body := get(t, tester, u, "Accept", accept, "If-None-Match", etag)
					if res.StatusCode != http.StatusNotModified || len(body) != 0 {
						t.Errorf("If-None-Match %s: status %d, %d bytes; want 304", etag, res.StatusCode, len(body))
					}
				})
			}
		}
	}
}
