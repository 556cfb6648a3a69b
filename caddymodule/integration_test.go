package caddymodule_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/jebosio/matte/caddymodule"
	"github.com/jebosio/matte/internal/pngtest"
	"github.com/jebosio/matte/transform/vips"
	_ "golang.org/x/image/webp"
)

const globalOptions = `{
	admin localhost:2999
	http_port 9080
	https_port 9443
	grace_period 1ns
	skip_install_trust
	auto_https off
}
`

// testPhoto is a 400x200 JPEG, red on the left and blue on the right.
// greenSquare is a size x size opaque green PNG.
func greenSquare(t testing.TB, size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i+1], img.Pix[i+3] = 255, 255
	}
	return encodeTestPNG(t, img)
}

// encodeTestPNG is img as a PNG.
func encodeTestPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// framedChecker is a 60x40 PNG: a 10 px white frame around a checkerboard
// of black and white pixels.
func framedChecker(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 60, 40))
	for y := range 40 {
		for x := range 60 {
			if x < 10 || x >= 50 || y < 10 || y >= 30 || (x+y)%2 == 0 {
				img.SetGray(x, y, color.Gray{255})
			}
		}
	}
	return encodeTestPNG(t, img)
}

func testPhoto(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 400; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 200 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type errorsBody struct {
	Errors []struct {
		Code, Title, Detail, Field string
	} `json:"errors"`
}

// behindCaddy serves origin on a loopback port for the test's duration and
// loads sites (their Caddyfile, with {origin} for that host:port) after
// globalOptions.
func behindCaddy(t *testing.T, origin http.Handler, sites string) *caddytest.Tester {
	t.Helper()
	srv := httptest.NewServer(origin)
	t.Cleanup(srv.Close)
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(globalOptions+strings.ReplaceAll(sites, "{origin}", srv.Listener.Addr().String()), "caddyfile")
	return tester
}

func get(t *testing.T, tester *caddytest.Tester, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := tester.Client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func imageSize(t *testing.T, body []byte) (string, int, int) {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("decode output: %v (%d bytes: %.40q)", err, len(body), body)
	}
	return format, cfg.Width, cfg.Height
}

// sofMarker is the marker of a JPEG's frame header (c0 baseline, c2
// progressive), 0 when there is none before the first scan.
func sofMarker(b []byte) byte {
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; i += 2 + (int(b[i+2])<<8 | int(b[i+3])) {
		switch m := b[i+1]; {
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return m
		case m == 0xDA:
			return 0
		}
	}
	return 0
}

// writeFiles writes files (slash-separated names, folders made as needed)
// under dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFileServerOrigin(t *testing.T) {
	dir := t.TempDir()
	photo := testPhoto(t)
	files := map[string][]byte{
		"photo.jpg":   photo,
		"notes.txt":   []byte("plain text, passed through byte for byte\n"),
		"corrupt.jpg": photo[:300],
		"fake.jpg":    []byte("this is not an image at all, whatever the extension says"),
		"big.jpg":     append(append([]byte{}, photo...), make([]byte, 300<<10)...),
		"hevc.heic":   readTestdata(t, "../transform/vips/hevc-64x48.heic"),
		"logo.png":    greenSquare(t, 10),
		"framed.png":  framedChecker(t),
	}
	writeFiles(t, dir, files)
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		max_source_bytes 200KB
		max_output_dimension 2000
		cache_control "public, max-age=60"
	}
	file_server
}`, dir), "caddyfile")
	base := "http://localhost:9080"

	t.Run("no params passes through byte for byte", func(t *testing.T) {
		res, body := get(t, tester, base+"/photo.jpg")
		if res.StatusCode != 200 || !bytes.Equal(body, photo) {
			t.Fatalf("status %d, %d bytes (want %d identical)", res.StatusCode, len(body), len(photo))
		}
		if res.Header.Get("Cache-Control") == "public, max-age=60" {
			t.Fatal("a pass-through response got Matte's Cache-Control")
		}
	})
	t.Run("a Matte parameter at its default is still Matte's answer", func(t *testing.T) {
		// Only a URL naming no Matte parameter is the file as it is
		// (README, request path): cs=strip, dpr=1 or fit=clip ask for the
		// metadata-stripped sRGB answer, not the origin's bytes.
		for _, q := range []string{"cs=strip", "dpr=1", "fit=clip", "auto=compress"} {
			res, body := get(t, tester, base+"/photo.jpg?"+q)
			if res.StatusCode != 200 || bytes.Equal(body, photo) || res.Header.Get("X-Cache") == "" ||
				res.Header.Get("Cache-Control") != "public, max-age=60" {
				t.Errorf("?%s: %d, X-Cache %q, Cache-Control %q, the source's bytes %v", q, res.StatusCode,
					res.Header.Get("X-Cache"), res.Header.Get("Cache-Control"), bytes.Equal(body, photo))
			}
		}
		// A name that is not Matte's (a cache buster) leaves it untouched.
		if res, body := get(t, tester, base+"/photo.jpg?v=3"); res.StatusCode != 200 || !bytes.Equal(body, photo) {
			t.Errorf("?v=3: %d, %d bytes", res.StatusCode, len(body))
		}
	})
	t.Run("a large file passes through whole and by range", func(t *testing.T) {
		// Sent from the file in 64 KiB chunks through Caddy's write-idle
		// writer (sendfileWriter); a range short of the end is copied.
		big := files["big.jpg"]
		for _, tc := range []struct {
			rangeHeader string
			status      int
			want        []byte
		}{
			{"", 200, big},
			{"bytes=1000-199999", 206, big[1000:200000]},
			{"bytes=200000-", 206, big[200000:]},
			{"bytes=-70000", 206, big[len(big)-70000:]},
		} {
			var hdr []string
			if tc.rangeHeader != "" {
				hdr = []string{"Range", tc.rangeHeader}
			}
			res, body := get(t, tester, base+"/big.jpg", hdr...)
			if res.StatusCode != tc.status || !bytes.Equal(body, tc.want) || res.Header.Get("Content-Length") != fmt.Sprint(len(tc.want)) {
				t.Errorf("Range %q: status %d, %d bytes, Content-Length %s; want %d, %d identical", tc.rangeHeader, res.StatusCode, len(body), res.Header.Get("Content-Length"), tc.status, len(tc.want))
			}
		}
	})
	t.Run("resize", func(t *testing.T) {
		res, body := get(t, tester, base+"/photo.jpg?w=100")
		if res.StatusCode != 200 {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		if f, w, h := imageSize(t, body); f != "jpeg" || w != 100 || h != 50 {
			t.Fatalf("got %s %dx%d", f, w, h)
		}
		if res.Header.Get("Content-Type") != "image/jpeg" || res.Header.Get("Content-Length") != fmt.Sprint(len(body)) {
			t.Fatalf("headers %v", res.Header)
		}
		if res.Header.Get("Cache-Control") != "public, max-age=60" || res.Header.Get("Accept-Ranges") != "" {
			t.Fatalf("headers %v", res.Header)
		}
		etag := res.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
			t.Fatalf("want a strong ETag, got %q", etag)
		}
		res2, body2 := get(t, tester, base+"/photo.jpg?w=100", "If-None-Match", etag)
		if res2.StatusCode != http.StatusNotModified || len(body2) != 0 || res2.Header.Get("ETag") != etag {
			t.Fatalf("conditional GET: %d %q", res2.StatusCode, body2)
		}
		res3, _ := get(t, tester, base+"/photo.jpg?w=101")
		if res3.Header.Get("ETag") == etag {
			t.Fatal("different params share an ETag")
		}
	})
	t.Run("imgix aliases, Base64 variants and stylize parameters", func(t *testing.T) {
		res, _ := get(t, tester, base+"/photo.jpg?w=100")
		for _, q := range []string{"width=100", "w64=MTAw"} {
			alias, body := get(t, tester, base+"/photo.jpg?"+q)
			if f, w, h := imageSize(t, body); alias.StatusCode != 200 || f != "jpeg" || w != 100 || h != 50 {
				t.Fatalf("%s: status %d, %s %dx%d", q, alias.StatusCode, f, w, h)
			}
			if alias.Header.Get("ETag") != res.Header.Get("ETag") {
				t.Errorf("%s: ETag %s, w=100's is %s (the same Params)", q, alias.Header.Get("ETag"), res.Header.Get("ETag"))
			}
		}
		styled, body := get(t, tester, base+"/photo.jpg?w=100&hue=30&sepia=40&mono=ff8000&px=10&usm=20&usmrad=3&fm=png")
		if f, w, h := imageSize(t, body); styled.StatusCode != 200 || f != "png" || w != 100 || h != 50 {
			t.Fatalf("stylized: status %d, %s %dx%d", styled.StatusCode, f, w, h)
		}
		// exp=-50 is one stop down: half the light, so the red half's 255
		// becomes 188 (the sRGB encoding of 0.5).
		darker, body := get(t, tester, base+"/photo.jpg?w=100&exp=-50&fm=png")
		if darker.StatusCode != 200 {
			t.Fatalf("exp=-50: status %d: %s", darker.StatusCode, body)
		}
		if img, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		} else if r, g, b, _ := img.At(20, 25).RGBA(); r>>8 < 182 || r>>8 > 194 || g>>8 > 12 || b>>8 > 12 {
			t.Errorf("exp=-50: red half at (20,25) = %d %d %d, want about 188 0 0", r>>8, g>>8, b>>8)
		}
		if toned, body := get(t, tester, base+"/photo.jpg?w=100&exp=-50&vib=20&high=-10&shad=5&gam=-5&fm=png"); toned.StatusCode != 200 || len(body) == 0 {
			t.Errorf("exp, vib, high, shad and gam together: status %d: %.200s", toned.StatusCode, body)
		}
		if denoised, body := get(t, tester, base+"/photo.jpg?w=100&nr=40&nrs=10&fm=png"); denoised.StatusCode != 200 {
			t.Errorf("nr, nrs: status %d: %.200s", denoised.StatusCode, body)
		} else if f, w, h := imageSize(t, body); f != "png" || w != 100 || h != 50 {
			t.Errorf("nr, nrs: %s %dx%d", f, w, h)
		}
		if bad, body := get(t, tester, base+"/photo.jpg?w=100&nr=101"); bad.StatusCode != 400 || !strings.Contains(string(body), `"field":"nr"`) {
			t.Errorf("nr=101: status %d: %s", bad.StatusCode, body)
		}
		if bad, body := get(t, tester, base+"/photo.jpg?w=100&high=5"); bad.StatusCode != 400 || !strings.Contains(string(body), `"field":"high"`) {
			t.Errorf("high=5: status %d: %s", bad.StatusCode, body)
		}
		lettered, body := get(t, tester, base+"/photo.jpg?w=100&txt=Hi&txt-line=1&txt-shad=3&fm=png")
		if f, w, h := imageSize(t, body); lettered.StatusCode != 200 || f != "png" || w != 100 || h != 50 {
			t.Errorf("txt with txt-shad: status %d, %s %dx%d", lettered.StatusCode, f, w, h)
		}
		if bad, body := get(t, tester, base+"/photo.jpg?w=100&txt=Hi&tsh=11"); bad.StatusCode != 400 || !strings.Contains(string(body), `"field":"tsh"`) {
			t.Errorf("tsh=11: status %d: %s", bad.StatusCode, body)
		}
		// A text of spaces draws nothing; it is no error (it was a 500).
		if blank, body := get(t, tester, base+"/photo.jpg?w=100&txt=%20%20&fm=png"); blank.StatusCode != 200 {
			t.Errorf("txt of spaces: status %d: %s", blank.StatusCode, body)
		}
		// txt-fit and txt-clip keep a long line inside the region.
		for _, q := range []string{"txt-fit=max", "txt-clip=middle,ellipsis"} {
			fitted, body := get(t, tester, base+"/photo.jpg?w=100&fm=png&txt-size=40&txt=Every+URL+people+already+write&"+q)
			if f, w, h := imageSize(t, body); fitted.StatusCode != 200 || f != "png" || w != 100 || h != 50 {
				t.Errorf("%s: status %d, %s %dx%d", q, fitted.StatusCode, f, w, h)
			}
		}
		if bad, body := get(t, tester, base+"/photo.jpg?w=100&txt=Hi&txt-clip=left"); bad.StatusCode != 400 || !strings.Contains(string(body), `"field":"txt-clip"`) {
			t.Errorf("txt-clip=left: status %d: %s", bad.StatusCode, body)
		}
		// trim-md walks framed.png's white frame away (10 px a side).
		trimmed, body := get(t, tester, base+"/framed.png?trim=auto&trim-md=11&fm=png")
		if f, w, h := imageSize(t, body); trimmed.StatusCode != 200 || f != "png" || w != 40 || h != 20 {
			t.Errorf("trim-md: status %d, %s %dx%d, want png 40x20", trimmed.StatusCode, f, w, h)
		}
		if bad, body := get(t, tester, base+"/framed.png?trim=color&trim-sd=3"); bad.StatusCode != 400 || !strings.Contains(string(body), `"field":"trim-sd"`) {
			t.Errorf("trim-sd with trim=color: status %d: %s", bad.StatusCode, body)
		}
		round, body := get(t, tester, base+"/photo.jpg?w=100&h=100&fit=crop&mask=ellipse&fm=png")
		if f, w, h := imageSize(t, body); round.StatusCode != 200 || f != "png" || w != 100 || h != 100 {
			t.Fatalf("mask=ellipse: status %d, %s %dx%d", round.StatusCode, f, w, h)
		}
		if img, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		} else if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("mask=ellipse: corner alpha %d, want transparent", a)
		} else if _, _, _, a := img.At(50, 50).RGBA(); a != 0xffff {
			t.Errorf("mask=ellipse: centre alpha %d, want opaque", a)
		}
		for q, want := range map[string]string{"dl": "attachment; filename=photo.webp", "dl=medium.jpg": "attachment; filename=medium.jpg"} {
			res, body := get(t, tester, base+"/photo.jpg?w=100&fm=webp&"+q)
			if res.StatusCode != 200 || res.Header.Get("Content-Disposition") != want {
				t.Errorf("%s: status %d, Content-Disposition %q, want %q: %.200s", q, res.StatusCode, res.Header.Get("Content-Disposition"), want, body)
			}
		}
		orig, body := get(t, tester, base+"/photo.jpg?dl")
		if orig.StatusCode != 200 || !bytes.Equal(body, photo) || orig.Header.Get("Content-Disposition") != "attachment; filename=photo.jpg" {
			t.Errorf("dl alone: status %d, %d bytes (the source's %d as they are?), Content-Disposition %q", orig.StatusCode, len(body), len(photo), orig.Header.Get("Content-Disposition"))
		}
		if res.Header.Get("Content-Disposition") != "" {
			t.Errorf("w=100 alone: Content-Disposition %q", res.Header.Get("Content-Disposition"))
		}
		// The logo by its path, and by a name resolved against mark-base.
		for _, mark := range []string{"mark=/logo.png", "mark=logo.png&mark-base=/"} {
			marked, body := get(t, tester, base+"/photo.jpg?w=100&"+mark+"&mark-align=top,right&mark-pad=0&fm=png")
			if marked.StatusCode != 200 {
				t.Fatalf("%s: status %d: %s", mark, marked.StatusCode, body)
			}
			if img, err := png.Decode(bytes.NewReader(body)); err != nil {
				t.Fatal(err)
			} else if r, g, b, _ := img.At(95, 4).RGBA(); r > 0x2000 || g < 0xe000 || b > 0x2000 {
				t.Errorf("%s: pixel (95,4) = %x %x %x, want the logo's green", mark, r, g, b)
			} else if r, g, _, _ := img.At(5, 4).RGBA(); r < 0xe000 || g > 0x2000 {
				t.Errorf("%s: pixel (5,4) = %x %x, want the photo's red", mark, r, g)
			}
		}
		// The mark's own Matte parameters apply to it, as imgix applies a
		// mark URL's: the green logo, desaturated, is grey.
		greyed, body := get(t, tester, base+"/photo.jpg?w=100&mark="+url.QueryEscape("/logo.png?sat=-100")+"&mark-align=top,right&mark-pad=0&fm=png")
		if greyed.StatusCode != 200 {
			t.Fatalf("mark with its own sat: status %d: %s", greyed.StatusCode, body)
		}
		if img, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		} else if r, g, b, _ := img.At(95, 4).RGBA(); g > 0xe000 || max(r, g, b)-min(r, g, b) > 0x800 {
			t.Errorf("mark with its own sat=-100: pixel (95,4) = %x %x %x, want grey", r, g, b)
		}
		// One level only: a mark's URL cannot name a mark of its own.
		if res, body := get(t, tester, base+"/photo.jpg?w=100&mark="+url.QueryEscape("/logo.png?mark=/logo.png")); res.StatusCode != 400 {
			t.Errorf("a mark's mark: %d %s, want 400", res.StatusCode, body)
		}
		// A 10 px logo tiled with no gap covers the whole output.
		tiled, body := get(t, tester, base+"/photo.jpg?w=100&mark=/logo.png&mark-tile=grid&mark-pad=0&fm=png")
		if tiled.StatusCode != 200 {
			t.Fatalf("mark-tile: status %d: %s", tiled.StatusCode, body)
		}
		if img, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		} else {
			for _, pt := range []image.Point{{0, 0}, {5, 4}, {50, 30}, {99, 49}} {
				if r, g, b, _ := img.At(pt.X, pt.Y).RGBA(); r > 0x2000 || g < 0xe000 || b > 0x2000 {
					t.Errorf("mark-tile: pixel %v = %x %x %x, want the logo's green", pt, r, g, b)
				}
			}
		}
		// A 5 px green frame inside the 100x50 output, its outer corners
		// rounded and cut away (transparent in a PNG).
		framed, body := get(t, tester, base+"/photo.jpg?w=100&border=5,0f0&border-radius=12&fm=png")
		if framed.StatusCode != 200 {
			t.Fatalf("border: status %d: %s", framed.StatusCode, body)
		}
		if img, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		} else if w := img.Bounds().Dx(); w != 100 {
			t.Errorf("border: width %d, want 100 (the frame does not grow the image)", w)
		} else if r, g, b, _ := img.At(2, 25).RGBA(); r > 0x2000 || g < 0xe000 || b > 0x2000 {
			t.Errorf("border: pixel (2,25) = %x %x %x, want the frame's green", r, g, b)
		} else if r, g, _, _ := img.At(10, 25).RGBA(); r < 0xe000 || g > 0x2000 {
			t.Errorf("border: pixel (10,25) = %x %x, want the photo's red", r, g)
		} else if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("border: corner alpha %x, want cut away", a)
		}
		// dpi=300: the JPEG's JFIF density.
		dense, body := get(t, tester, base+"/photo.jpg?w=100&dpi=300")
		if dense.StatusCode != 200 || len(body) < 18 || string(body[6:11]) != "JFIF\x00" || body[13] != 1 || body[14] != 0x01 || body[15] != 0x2C {
			t.Errorf("dpi=300: status %d, header % x", dense.StatusCode, body[:min(len(body), 18)])
		}
		bad, body := get(t, tester, base+"/photo.jpg?w=100&border-top=5")
		if bad.StatusCode != 400 || !strings.Contains(string(body), `"field":"border-top"`) {
			t.Fatalf("border-top alone: status %d: %s", bad.StatusCode, body)
		}
		if _, err := os.Stat("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"); err == nil {
			// Two white blocks (U+2588) at the top left, over the red half.
			texted, body := get(t, tester, base+"/photo.jpg?w=100&txt64=4paI4paI&txt-color=fff&txt-size=20&txt-align=top,left&txt-pad=0&fm=png")
			if texted.StatusCode != 200 {
				t.Fatalf("txt: status %d: %s", texted.StatusCode, body)
			}
			if img, err := png.Decode(bytes.NewReader(body)); err != nil {
				t.Fatal(err)
			} else if r, g, b, _ := img.At(5, 10).RGBA(); r < 0xe000 || g < 0xe000 || b < 0xe000 {
				t.Errorf("txt: pixel (5,10) = %x %x %x, want the text's white", r, g, b)
			}
			// The same blocks moved 4 px in, with a 4 px black line around
			// them: the corner is the line's black, the blocks still white.
			lined, body := get(t, tester, base+"/photo.jpg?w=100&txt64=4paI4paI&txt-color=fff&txt-size=20&txt-align=top,left&txt-pad=0&txt-line=4&txt-line-color=000&fm=png")
			if lined.StatusCode != 200 {
				t.Fatalf("txt-line: status %d: %s", lined.StatusCode, body)
			}
			if img, err := png.Decode(bytes.NewReader(body)); err != nil {
				t.Fatal(err)
			} else if r, g, b, _ := img.At(9, 14).RGBA(); r < 0xe000 || g < 0xe000 || b < 0xe000 {
				t.Errorf("txt-line: pixel (9,14) = %x %x %x, want the text's white", r, g, b)
			} else if r, g, b, _ := img.At(1, 14).RGBA(); r > 0x2000 || g > 0x2000 || b > 0x2000 {
				t.Errorf("txt-line: pixel (1,14) = %x %x %x, want the line's black", r, g, b)
			}
		}
		// ch=width,dpr: the hints size the image, and the answer varies on them.
		hinted, body := get(t, tester, base+"/photo.jpg?w=100&ch=width,dpr", "Sec-CH-DPR", "2", "Sec-CH-Width", "120")
		if f, w, h := imageSize(t, body); hinted.StatusCode != 200 || f != "jpeg" || w != 120 || h != 60 {
			t.Fatalf("client hints: status %d, %s %dx%d, want 120x60", hinted.StatusCode, f, w, h)
		}
		if v := strings.Join(hinted.Header.Values("Vary"), ","); !strings.Contains(v, "Sec-CH-Width") || !strings.Contains(v, "Sec-CH-DPR") {
			t.Errorf("client hints: Vary %q", v)
		}
		// A remote watermark needs allow_hosts (none here): refused before any fetch.
		denied, body := get(t, tester, base+"/photo.jpg?w=100&mark=https://images.example/logo.png")
		if denied.StatusCode != 403 || !strings.Contains(string(body), `"code":"remote_source_denied"`) || !strings.Contains(string(body), `"field":"mark"`) {
			t.Fatalf("remote mark without allow_hosts: status %d: %s", denied.StatusCode, body)
		}
		bad, body = get(t, tester, base+"/photo.jpg?w=100&mark=/missing.png")
		if bad.StatusCode != 400 || !strings.Contains(string(body), `"field":"mark"`) || !strings.Contains(string(body), "The watermark path answers 404") {
			t.Fatalf("missing mark: status %d: %s", bad.StatusCode, body)
		}
		bad, body = get(t, tester, base+"/photo.jpg?w=100&width=100")
		if bad.StatusCode != 400 || !strings.Contains(string(body), "w and width are the same parameter") {
			t.Fatalf("w and width: status %d: %s", bad.StatusCode, body)
		}
		bad, body = get(t, tester, base+"/photo.jpg?usmrad=3")
		if bad.StatusCode != 400 || !strings.Contains(string(body), `"usmrad"`) {
			t.Fatalf("usmrad alone: status %d: %s", bad.StatusCode, body)
		}
	})
	t.Run("range and validators are not passed to the origin", func(t *testing.T) {
		res, body := get(t, tester, base+"/photo.jpg?w=100", "Range", "bytes=0-99", "If-Modified-Since", "Wed, 01 Jan 2031 00:00:00 GMT")
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		imageSize(t, body)
	})
	t.Run("auto=format negotiates webp and varies", func(t *testing.T) {
		res, body := get(t, tester, base+"/photo.jpg?w=100&auto=format", "Accept", "image/webp,*/*")
		if f, _, _ := imageSize(t, body); f != "webp" || res.Header.Get("Content-Type") != "image/webp" {
			t.Fatalf("got %s", f)
		}
		if vary := res.Header.Values("Vary"); !slices.Contains(vary, "Accept") {
			t.Fatalf("Vary = %q", vary)
		}
	})
	t.Run("file_server's Vary: Accept-Encoding is not passed on", func(t *testing.T) {
		// The source is always fetched unencoded, so a downstream cache
		// need not keep one copy of the result per client encoding.
		res, _ := get(t, tester, base+"/photo.jpg?w=60", "Accept-Encoding", "gzip")
		if vary := res.Header.Values("Vary"); res.StatusCode != 200 || len(vary) != 0 {
			t.Fatalf("status %d, Vary = %q", res.StatusCode, vary)
		}
	})
	t.Run("fm=png", func(t *testing.T) {
		_, body := get(t, tester, base+"/photo.jpg?w=40&fm=png")
		if f, w, _ := imageSize(t, body); f != "png" || w != 40 {
			t.Fatalf("got %s %d", f, w)
		}
	})
	t.Run("imgix fm=pjpg, png8 and png32", func(t *testing.T) {
		res, body := get(t, tester, base+"/photo.jpg?w=40&fm=pjpg")
		if res.Header.Get("Content-Type") != "image/jpeg" || sofMarker(body) != 0xC2 {
			t.Errorf("fm=pjpg: %s with frame marker %x, want a progressive JPEG (c2)", res.Header.Get("Content-Type"), sofMarker(body))
		}
		res, body = get(t, tester, base+"/photo.jpg?w=40&fm=png8")
		if cfg, err := png.DecodeConfig(bytes.NewReader(body)); err != nil || res.Header.Get("Content-Type") != "image/png" {
			t.Errorf("fm=png8: %s, %v", res.Header.Get("Content-Type"), err)
		} else if _, ok := cfg.ColorModel.(color.Palette); !ok {
			t.Errorf("fm=png8: colour model %T, want a palette", cfg.ColorModel)
		}
		_, body = get(t, tester, base+"/photo.jpg?w=40&fm=png32")
		if cfg, err := png.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.ColorModel != color.NRGBAModel {
			t.Errorf("fm=png32 of a JPEG: %v, want RGBA", err)
		}
	})
	t.Run("non-image passes through", func(t *testing.T) {
		res, body := get(t, tester, base+"/notes.txt?w=100")
		if res.StatusCode != 200 || !bytes.Equal(body, files["notes.txt"]) {
			t.Fatalf("status %d body %q", res.StatusCode, body)
		}
	})
	// HEVC-coded HEIF: the system libvips decodes it (libde265); the npm
	// one has no HEVC decoder, and the system's libheif, opened at run
	// time, decodes it instead. With neither, the client gets a 415
	// (transform TestHEIC).
	t.Run("heic", func(t *testing.T) {
		res, body := get(t, tester, base+"/hevc.heic?w=32&fm=png")
		if decoder := vips.HEVCDecoder(); strings.HasPrefix(decoder, "none") {
			if res.StatusCode != http.StatusUnsupportedMediaType || !bytes.Contains(body, []byte("unsupported_source")) {
				t.Fatalf("no HEVC decoder (%s): status %d: %s", decoder, res.StatusCode, body)
			}
			return
		}
		if f, w, _ := imageSize(t, body); res.StatusCode != 200 || f != "png" || w != 32 {
			t.Fatalf("status %d, %s %d", res.StatusCode, f, w)
		}
	})
	t.Run("missing file passes the 404 through", func(t *testing.T) {
		res, _ := get(t, tester, base+"/nope.jpg?w=100")
		if res.StatusCode != 404 {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	for _, tc := range []struct {
		name, path string
		status     int
		codes      []string
		fields     []string
	}{
		{"every bad parameter at once", "/photo.jpg?w=abc&fit=bogus&q=500", 400, []string{"invalid_parameter", "invalid_parameter", "invalid_parameter"}, []string{"fit", "q", "w"}},
		{"source over max_source_bytes", "/big.jpg?w=10", 413, []string{"source_too_large"}, []string{""}},
		{"corrupt source", "/corrupt.jpg?w=10", 422, []string{"corrupt_source"}, []string{""}},
		{"not an image", "/fake.jpg?w=10", 415, []string{"unsupported_source"}, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, tester, base+tc.path)
			if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			var eb errorsBody
			if err := json.Unmarshal(body, &eb); err != nil {
				t.Fatal(err)
			}
			if len(eb.Errors) != len(tc.codes) {
				t.Fatalf("errors %+v", eb.Errors)
			}
			for i, e := range eb.Errors {
				if e.Code != tc.codes[i] || e.Field != tc.fields[i] || e.Title == "" {
					t.Errorf("error %d = %+v, want code %s field %q", i, e, tc.codes[i], tc.fields[i])
				}
			}
		})
	}
}

// origin is a fake upstream on 127.0.0.1 that records what Matte asks it.
type origin struct {
	mu       sync.Mutex
	requests []*http.Request
	photo    []byte
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.requests = append(o.requests, r.Clone(r.Context()))
	o.mu.Unlock()
	switch r.URL.Path {
	case "/img/photo.jpg":
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("ETag", `"origin-etag"`)
		w.Write(o.photo)
	case "/img/chunked.png":
		// No Content-Length: Matte must stop at the limit while streaming.
		w.Header().Set("Content-Type", "image/png")
		for i := 0; i < 100; i++ {
			w.Write(make([]byte, 10<<10))
			w.(http.Flusher).Flush()
		}
	case "/img/broken.jpg":
		http.Error(w, "upstream exploded", http.StatusInternalServerError)
	case "/page.html":
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>hello</p>")
	default:
		http.NotFound(w, r)
	}
}

func (o *origin) last() *http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests[len(o.requests)-1]
}

func TestReverseProxyOrigin(t *testing.T) {
	o := &origin{photo: testPhoto(t)}
	upstream := httptest.NewServer(o)
	defer upstream.Close()
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	matte {
		max_source_bytes 200KB
	}
	handle /down/* {
		reverse_proxy 127.0.0.1:1
	}
	reverse_proxy %s
}`, upstream.Listener.Addr()), "caddyfile")
	base := "http://localhost:9080"

	res, body := get(t, tester, base+"/img/photo.jpg?w=80&token=abc&fm=png&z=1", "Range", "bytes=0-10", "If-None-Match", `"origin-etag"`)
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if f, w, _ := imageSize(t, body); f != "png" || w != 80 {
		t.Fatalf("got %s %d", f, w)
	}
	if res.Header.Get("ETag") == `"origin-etag"` {
		t.Fatal("the origin's ETag leaked onto the transformed image")
	}
	up := o.last()
	if up.URL.RawQuery != "token=abc&z=1" {
		t.Errorf("origin saw query %q, want Matte's parameters stripped", up.URL.RawQuery)
	}
	for _, h := range []string{"Range", "If-None-Match"} {
		if up.Header.Get(h) != "" {
			t.Errorf("origin saw %s: %q", h, up.Header.Get(h))
		}
	}

	res, body = get(t, tester, base+"/img/photo.jpg?token=abc")
	if res.StatusCode != 200 || !bytes.Equal(body, o.photo) || o.last().URL.RawQuery != "token=abc" {
		t.Fatal("a request without Matte parameters was not passed through untouched")
	}

	res, body = get(t, tester, base+"/page.html?w=10")
	if res.StatusCode != 200 || string(body) != "<p>hello</p>" {
		t.Fatalf("non-image: %d %q", res.StatusCode, body)
	}

	res, body = get(t, tester, base+"/img/chunked.png?w=10")
	if res.StatusCode != 413 || !bytes.Contains(body, []byte("source_too_large")) {
		t.Fatalf("streamed oversize source: %d %s", res.StatusCode, body)
	}

	res, body = get(t, tester, base+"/img/broken.jpg?w=10")
	if res.StatusCode != 500 || !bytes.Contains(body, []byte("upstream exploded")) {
		t.Fatalf("upstream error not passed through: %d %s", res.StatusCode, body)
	}

	res, _ = get(t, tester, base+"/down/x.jpg?w=10")
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("unreachable upstream: %d", res.StatusCode)
	}
}

// TestAlphaSourceThroughServer checks a PNG with alpha end to end: kept as
// PNG with alpha, flattened on white as JPEG.
func TestAlphaSourceThroughServer(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 50; x++ {
			img.SetNRGBA(x, y, color.NRGBA{0, 255, 0, 255})
		}
	}
	writeFiles(t, dir, map[string][]byte{"a.png": encodeTestPNG(t, img)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte
	file_server
}`, dir), "caddyfile")
	_, body := get(t, tester, "http://localhost:9080/a.png?w=50")
	out, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := out.At(40, 10).RGBA(); a != 0 {
		t.Fatalf("right half should stay transparent, alpha %d", a)
	}
	_, body = get(t, tester, "http://localhost:9080/a.png?w=50&fm=jpg")
	jp, err := jpeg.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, bb, _ := jp.At(40, 10).RGBA(); r>>8 < 240 || g>>8 < 240 || bb>>8 < 240 {
		t.Fatalf("transparent area should be white in JPEG, got %d %d %d", r>>8, g>>8, bb>>8)
	}
}

// TestPNGFilterThroughServer: a PNG answer's rows are up-filtered by
// default and unfiltered on a site with png_filter none; both decode to the
// same pixels, under different ETags (the filter is in the cache key).
func TestPNGFilterThroughServer(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 120, 90))
	for y := range 90 {
		for x := range 120 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(2 * x), uint8(3 * y), uint8(x + y), uint8(255 - y)})
		}
	}
	writeFiles(t, dir, map[string][]byte{"g.png": encodeTestPNG(t, img)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %[1]s
	matte
	file_server
}
http://localhost:9081 {
	root * %[1]s
	matte {
		png_filter none
	}
	file_server
}`, dir), "caddyfile")
	var pixels [][]byte
	var etags []string
	for _, tc := range []struct {
		url  string
		want byte
	}{{"http://localhost:9080/g.png?w=100&fm=png", 2}, {"http://localhost:9081/g.png?w=100&fm=png", 0}} {
		res, body := get(t, tester, tc.url)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.url, res.StatusCode, body)
		}
		types, err := pngtest.RowFilters(body)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		for i, f := range types {
			if f != tc.want {
				t.Fatalf("%s: row %d has filter type %d, want %d on every row", tc.url, i, f, tc.want)
			}
		}
		dec, err := png.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		pixels = append(pixels, dec.(*image.NRGBA).Pix)
		etags = append(etags, res.Header.Get("ETag"))
	}
	if !bytes.Equal(pixels[0], pixels[1]) {
		t.Error("the two filters decode to different pixels")
	}
	if etags[0] == "" || etags[0] == etags[1] {
		t.Errorf("ETags %q and %q: want both set and different", etags[0], etags[1])
	}
}

// readTestdata reads a file another package keeps in its testdata.
func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
