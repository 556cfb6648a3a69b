package caddymodule_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestImgproxyURLs runs imgproxy URLs (docs.imgproxy.net "Generating the
// URL") through the server, unsigned (no key configured).
func TestImgproxyURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy")
	t.Run("resize fill with the plain local source and an extension", func(t *testing.T) {
		s.image(t, "/insecure/rs:fill:100:80/plain/local:///img/photo.jpg@png", "png", 100, 80)
	})
	t.Run("short names, _ signature, base64 source", func(t *testing.T) {
		src := base64.RawURLEncoding.EncodeToString([]byte(s.remote + "/photo.jpg"))
		s.image(t, "/_/w:100/"+src[:10]+"/"+src[10:]+".webp", "webp", 100, 50)
	})
	// A padded size past max_output_dimension names pd as written.
	t.Run("serving errors name pd", func(t *testing.T) {
		s.refused(t, "/insecure/pd:5000/plain//img/photo.jpg", http.StatusBadRequest, "pd")
		s.refused(t, "/insecure/padding:0:5000/plain//img/photo.jpg", http.StatusBadRequest, "padding")
	})
	t.Run("fit never enlarges without el", func(t *testing.T) {
		s.image(t, "/insecure/rs:fit:800:800/plain//img/photo.jpg", "jpeg", 400, 200)
		s.image(t, "/insecure/rs:fit:800:800/el:1/plain//img/photo.jpg", "jpeg", 800, 400)
	})
	t.Run("extend pads to the box", func(t *testing.T) {
		s.image(t, "/insecure/rs:fit:100:100:0:1/bg:255:255:255/plain//img/photo.jpg@png", "png", 100, 100)
	})
	// photo.jpg is 400x200.
	t.Run("zoom multiplies the box, or scales the image", func(t *testing.T) {
		s.image(t, "/insecure/rs:fill:50:50/z:2/plain/local:///img/photo.jpg", "jpeg", 100, 100)
		s.image(t, "/insecure/z:0.25/plain/local:///img/photo.jpg", "jpeg", 100, 50)
		s.image(t, "/insecure/w:300/z:2/plain/local:///img/photo.jpg", "jpeg", 400, 200) // not enlarged without el
		s.refused(t, "/insecure/z:2:1/plain/local:///img/photo.jpg", http.StatusBadRequest, "z")
	})
	// fq's quality is the answer's in its format, keyed as q is; the other
	// formats' answers are untouched (same ETag).
	t.Run("fq sets the quality of its format", func(t *testing.T) {
		const src = "/plain/local:///img/photo.jpg"
		etag := func(opts string) string {
			return s.image(t, "/insecure/w:100/"+opts+src, "jpeg", 100, 50).Header.Get("ETag")
		}
		plain, q95 := etag("q:0"), etag("q:95")
		if got := etag("fq:jpeg:95"); got != q95 || got == plain {
			t.Errorf("fq:jpeg:95: ETag %s, want q:95's %s (plain %s)", got, q95, plain)
		}
		if got := etag("fq:webp:95:avif:40"); got != plain {
			t.Errorf("fq:webp:95 on a JPEG answer: ETag %s, want the plain answer's %s", got, plain)
		}
		if got := etag("fq:jpeg:95/q:60"); got != etag("q:60") {
			t.Errorf("q with fq: ETag %s, want q:60's", got)
		}
	})
	t.Run("mw and mh enlarge to at least that size", func(t *testing.T) {
		s.image(t, "/insecure/w:100/mw:300/plain/local:///img/photo.jpg", "jpeg", 300, 150)
		s.image(t, "/insecure/rs:fill:100:100/mh:150/plain/local:///img/photo.jpg", "jpeg", 100, 100)
		s.image(t, "/insecure/mh:300/plain/local:///img/photo.jpg", "jpeg", 600, 300)
	})
	t.Run("unknown option answers 400 naming it", func(t *testing.T) {
		s.refused(t, "/insecure/bri:10/plain//img/photo.jpg", http.StatusBadRequest, "bri")
		s.refused(t, "/insecure/w:x/plain//img/photo.jpg", http.StatusBadRequest, "w")
	})
	// photo.jpg is 400x200, red on the left, blue on the right.
	t.Run("exar pads to the box's aspect ratio", func(t *testing.T) {
		s.image(t, "/insecure/rs:fit:100:100/exar:1/plain//img/photo.jpg", "jpeg", 100, 100)
		s.image(t, "/insecure/rs:fit:800:200/exar:1/plain//img/photo.jpg", "jpeg", 800, 200) // 400x200 (never enlarged) padded to 4:1
	})
	// raw:1 is the stored file byte for byte (README: "the source as it
	// is"), not a re-encoding of it, whether the source is the site's, a
	// remote URL's or an SVG; fn and att still name it.
	t.Run("raw answers the source as it is", func(t *testing.T) {
		stored := testPhoto(t)
		remote := base64.RawURLEncoding.EncodeToString([]byte(s.remote + "/photo.jpg"))
		for _, path := range []string{
			"/insecure/raw:1/w:100/f:png/plain//img/photo.jpg",
			"/insecure/raw:1/w:100/plain/local:///img/photo.jpg@png",
			"/insecure/raw:1/q:10/" + remote,
		} {
			res, body := get(t, s.tester, s.base+path)
			if res.StatusCode != http.StatusOK || !bytes.Equal(body, stored) {
				t.Errorf("GET %s: status %d, %d bytes, want the stored file's %d bytes as they are", path, res.StatusCode, len(body), len(stored))
			}
		}
		res, body := get(t, s.tester, s.base+"/insecure/raw:1/att:1/fn:shoe/plain//img/photo.jpg")
		if cd := res.Header.Get("Content-Disposition"); !bytes.Equal(body, stored) || cd != `attachment; filename=shoe` {
			t.Errorf("raw:1 with att:1/fn:shoe: %d bytes, Content-Disposition %q, want the stored file as attachment; filename=shoe", len(body), cd)
		}
		res, _ = get(t, s.tester, s.base+"/insecure/raw:1/att:1/plain//img/photo.jpg")
		if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename=photo.jpg` {
			t.Errorf("raw:1 with att:1: Content-Disposition %q, want the source's own name", cd)
		}
		// A remote SVG passes untouched, confined as an origin's file.
		svg := base64.RawURLEncoding.EncodeToString([]byte(s.remote + "/logo.svg"))
		res, body = get(t, s.tester, s.base+"/insecure/raw:1/"+svg)
		if res.StatusCode != http.StatusOK || string(body) != testSVG || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
			res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("raw:1 of a remote SVG: status %d, %q, headers %v; want the SVG as it is, nosniff, with a CSP and no cookie", res.StatusCode, body, res.Header)
		}
	})
	t.Run("Pro's colour options", func(t *testing.T) {
		// col:1:00ff00 lays opaque green over the whole image.
		img := s.png(t, "/insecure/w:100/col:1:00ff00/plain//img/photo.jpg@png", 100, 50)
		if r, g, b, _ := img.At(10, 25).RGBA(); r > 0x1000 || g < 0xf000 || b > 0x1000 {
			t.Errorf("col:1:00ff00: pixel (10,25) = %x %x %x, want green", r, g, b)
		}
		// sa:0 is greyscale: the red half's channels meet.
		img = s.png(t, "/insecure/w:100/a:0:1:0/plain//img/photo.jpg@png", 100, 50)
		if r, g, b, _ := img.At(10, 25).RGBA(); absDiff(r, g) > 0x800 || absDiff(g, b) > 0x800 {
			t.Errorf("sa:0: pixel (10,25) = %x %x %x, want grey", r, g, b)
		}
		s.image(t, "/insecure/w:100/mc:0.8/dt:1:003366:ffcc00/br:20/co:1.2/dpi:144/plain//img/photo.jpg@png", "png", 100, 50)
		s.refused(t, "/insecure/dt:0.5/plain//img/photo.jpg", http.StatusBadRequest, "dt")
	})
	// The encoder options reach the encoder (the marker or chunk each
	// setting writes), and gr lays its gradient: photo.jpg is red on the
	// left half, blue on the right; gr:1:ffffff:right is transparent at the
	// left edge and opaque white at the right.
	t.Run("Pro's encoder options and gradient", func(t *testing.T) {
		const src = "/plain//img/photo.jpg"
		body := func(path string) []byte {
			res, b := get(t, s.tester, s.base+path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d: %s", path, res.StatusCode, b)
			}
			return b
		}
		sof2 := []byte{0xFF, 0xC2} // a progressive frame; 0xFF is stuffed in scan data
		if b := body("/insecure/w:100/jpgo:1" + src); !bytes.Contains(b, sof2) {
			t.Error("jpgo:1: no SOF2 (progressive) marker")
		}
		if b := body("/insecure/w:100" + src); bytes.Contains(b, sof2) {
			t.Error("a plain JPEG answer is progressive")
		}
		if b := body("/insecure/w:100/pngo:1:1:16" + src + "@png"); len(b) < 29 || b[24] != 4 || b[25] != 3 || b[28] != 1 {
			t.Errorf("pngo:1:1:16: IHDR %x, want bit depth 4, colour type 3 (palette), Adam7", b[16:min(len(b), 29)])
		}
		if b := body("/insecure/w:100/webpo:lossless" + src + "@webp"); !bytes.Contains(b[:min(len(b), 64)], []byte("VP8L")) {
			t.Error("webpo:lossless: no VP8L bitstream")
		}
		if b := body("/insecure/w:100/avifo:off" + src + "@avif"); !bytes.Contains(b[:min(len(b), 32)], []byte("ftypavif")) {
			t.Error("avifo:off: not an AVIF answer")
		}
		s.refused(t, "/insecure/jpgo::1/avifo:on"+src, http.StatusBadRequest, "avifo")
		s.refused(t, "/insecure/webpo:lossier"+src, http.StatusBadRequest, "webpo")
		img := s.png(t, "/insecure/w:100/gr:1:ffffff:right"+src+"@png", 100, 50)
		if r, g, _, _ := img.At(1, 25).RGBA(); r < 0xe000 || g > 0x1000 {
			t.Errorf("gr: pixel (1,25) = %x %x, want the photo's red", r, g)
		}
		if r, g, b, _ := img.At(98, 25).RGBA(); r < 0xf000 || g < 0xf000 || b < 0xf000 {
			t.Errorf("gr: pixel (98,25) = %x %x %x, want white", r, g, b)
		}
		s.refused(t, "/insecure/gr:1::down:0.9:0.1"+src, http.StatusBadRequest, "gr")
	})
	// wmu names the watermark: the site's green 10x10 logo, opaque, in the
	// top-left corner of a 100x50 answer.
	t.Run("wmu draws the image it names", func(t *testing.T) {
		logo := base64.RawURLEncoding.EncodeToString([]byte("/img/logo.png"))
		img := s.png(t, "/insecure/w:100/wm:1:nowe/wmu:"+logo+"/plain//img/photo.jpg@png", 100, 50)
		if r, g, b, _ := img.At(3, 3).RGBA(); r > 0x2000 || g < 0xe000 || b > 0x2000 {
			t.Errorf("wmu: pixel (3,3) = %x %x %x, want the logo's green", r, g, b)
		}
		if r, g, _, _ := img.At(3, 40).RGBA(); r < 0xe000 || g > 0x2000 {
			t.Errorf("wmu: pixel (3,40) = %x %x, want the photo's red", r, g)
		}
		missing := base64.RawURLEncoding.EncodeToString([]byte("/img/none.png"))
		s.refused(t, "/insecure/wm:1/wmu:"+missing+"/plain//img/photo.jpg", http.StatusBadRequest, "wmu")
	})
	t.Run("ra picks the resampling filter", func(t *testing.T) {
		s.image(t, "/insecure/ra:nearest/rs:fit:800:800/el:1/plain//img/photo.jpg", "jpeg", 800, 400)
		s.refused(t, "/insecure/ra:mitchell/plain//img/photo.jpg", http.StatusBadRequest, "ra")
	})
	t.Run("security options are refused as imgproxy refuses them", func(t *testing.T) {
		s.refused(t, "/insecure/msr:100/plain//img/photo.jpg", http.StatusForbidden, "msr")
	})
	t.Run("remote plain source through the allowlist", func(t *testing.T) {
		s.image(t, "/insecure/w:100/plain/"+s.remote+"/photo.jpg@jpg", "jpeg", 100, 50)
	})
	// The photo is red on its left half, blue on its right.
	t.Run("crop by gravity", func(t *testing.T) {
		for _, tc := range []struct {
			path   string
			r, b   uint32
			wanted string
		}{
			{"/insecure/c:100:0:ea/plain//img/photo.jpg@png", 0, 0xffff, "blue"},
			{"/insecure/g:we/c:0.25:0/plain//img/photo.jpg@png", 0xffff, 0, "red"},
		} {
			img := s.png(t, tc.path, 100, 200)
			for _, x := range []int{2, 97} {
				if r, _, b, _ := img.At(x, 100).RGBA(); absDiff(r, tc.r) > 0x2000 || absDiff(b, tc.b) > 0x2000 {
					t.Errorf("%s: pixel (%d,100) = %x _ %x, want %s", tc.path, x, r, b, tc.wanted)
				}
			}
		}
	})
	t.Run("filename, pixelate, expires", func(t *testing.T) {
		res := s.image(t, "/insecure/w:100/fn:my%20photo.png/pix:25/plain//img/photo.jpg@png", "png", 100, 50)
		if cd := res.Header.Get("Content-Disposition"); cd != `inline; filename="my photo.png"` {
			t.Errorf("fn: Content-Disposition %q", cd)
		}
		res = s.image(t, "/insecure/w:100/fn:my.png/att:1/plain//img/photo.jpg@png", "png", 100, 50)
		if cd := res.Header.Get("Content-Disposition"); cd != "attachment; filename=my.png" {
			t.Errorf("fn with att: Content-Disposition %q", cd)
		}
		// 25 px squares: the left half's squares are all the photo's red.
		img := s.png(t, "/insecure/w:100/pix:25/plain//img/photo.jpg@png", 100, 50)
		if r, g, _, _ := img.At(24, 24).RGBA(); r < 0xe000 || g > 0x2000 {
			t.Errorf("pix: pixel (24,24) = %x %x, want red", r, g)
		}
		s.image(t, "/insecure/exp:4102444800/w:100/plain//img/photo.jpg", "jpeg", 100, 50)
		// An answer is not kept past its URL's end (imgproxy caps its TTL
		// the same way).
		soon := time.Now().Add(5 * time.Minute).Unix()
		res = s.image(t, fmt.Sprintf("/insecure/exp:%d/w:100/plain//img/photo.jpg", soon), "jpeg", 100, 50)
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=29") && !strings.Contains(cc, "max-age=30") {
			t.Errorf("exp five minutes ahead: Cache-Control %q", cc)
		}
		s.refused(t, "/insecure/exp:946684800/w:100/plain//img/photo.jpg", http.StatusNotFound, "exp")
	})
}

// imgproxySign signs path as imgproxy does: base64url(HMAC-SHA256(key,
// salt+path)), key and salt hex.
func imgproxySign(t *testing.T, key, salt, path string) string {
	k, err1 := hex.DecodeString(key)
	sl, err2 := hex.DecodeString(salt)
	if err1 != nil || err2 != nil {
		t.Fatal("bad hex")
	}
	mac := hmac.New(sha256.New, k)
	mac.Write(sl)
	mac.Write([]byte(path))
	return "/" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) + path
}

// TestImgproxySigned: with a key and salt, signed URLs are served and
// unsigned or tampered ones refused with 403.
func TestImgproxySigned(t *testing.T) {
	s := newDialectSite(t, "", `url_dialect imgproxy {
			key `+imgproxyTestKey+`
			salt `+imgproxyTestSalt+`
		}`)
	path := "/rs:fill:100:100/plain/local:///img/photo.jpg@png"
	s.image(t, imgproxySign(t, imgproxyTestKey, imgproxyTestSalt, path), "png", 100, 100)
	s.refused(t, "/insecure"+path, http.StatusForbidden, "signature")
	bad := imgproxySign(t, imgproxyTestKey, imgproxyTestSalt, path)
	s.refused(t, bad[:44]+"/rs:fill:100:101/plain/local:///img/photo.jpg@png", http.StatusForbidden, "signature")
}

// TestImgproxyPresets: presets from the Caddyfile, named with pr:, the
// default one under every URL (photo.jpg is 400x200).
func TestImgproxyPresets(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy {\n\t\t\tpreset default f:png\n\t\t\tpreset thumb rs:fill:60:60\n\t\t\tpreset wide w:300/h:100\n\t\t}")
	s.image(t, "/insecure/pr:thumb/plain/local:///img/photo.jpg", "png", 60, 60)
	s.image(t, "/insecure/pr:wide/rt:force/plain/local:///img/photo.jpg", "png", 300, 100)
	s.image(t, "/insecure/pr:thumb/f:webp/plain/local:///img/photo.jpg", "webp", 60, 60)
	s.image(t, "/insecure/w:100/plain/local:///img/photo.jpg", "png", 100, 50)
	s.refused(t, "/insecure/pr:huge/plain/local:///img/photo.jpg", http.StatusBadRequest, "pr")
}

// TestImgproxyWatermark: wm draws the site's watermark (a 10 px green
// square) on the 100x50 result (the photo: red left half, blue right).
func TestImgproxyWatermark(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect imgproxy {\n\t\t\twatermark /img/logo.png\n\t\t}")
	green := func(img image.Image, x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return g > 0xc000 && r < 0x4000 && b < 0x4000
	}
	for _, tc := range []struct {
		opts        string
		inside, out [2]int // a pixel the mark covers, and one it does not
	}{
		{"wm:1:soea", [2]int{95, 45}, [2]int{85, 45}},
		{"wm:1:nowe:4:4", [2]int{8, 8}, [2]int{2, 2}},
		{"wm:1:ce:0:0:0.5", [2]int{38, 13}, [2]int{30, 25}}, // fitted into 50x25: 25x25, centred
		{"wm:1:re:10:10", [2]int{29, 9}, [2]int{22, 9}},     // copies at 5, 25, 45, ...
	} {
		img := s.png(t, "/insecure/w:100/f:png/"+tc.opts+"/plain/local:///img/photo.jpg", 100, 50)
		if !green(img, tc.inside[0], tc.inside[1]) || green(img, tc.out[0], tc.out[1]) {
			t.Errorf("%s: pixel %v = %v, %v = %v; want the mark on the first only", tc.opts, tc.inside, img.At(tc.inside[0], tc.inside[1]), tc.out, img.At(tc.out[0], tc.out[1]))
		}
	}
	s.refused(t, "/insecure/wm:1:ce:10/plain/local:///img/photo.jpg", http.StatusBadRequest, "wm")
}
