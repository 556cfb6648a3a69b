package caddymodule_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/jebosio/matte/caddymodule"
	"github.com/jebosio/matte/internal/testimages"
)

// facesSite serves the shared test photos under /photos/ with the real
// face detector (make runtime), or skips; directives go in the matte
// block (url_dialect lines).
func facesSite(t *testing.T, directives ...string) (*caddytest.Tester, string) {
	t.Helper()
	data := testimages.SharedTestdata()
	if data == "" {
		t.Skip("shared test data (../shared/testdata) not found")
	}
	return facesSiteServing(t, data, "", directives...)
}

// facesSiteServing is facesSite serving root, with routes (Caddyfile
// lines) between matte and file_server: where a header a route sets
// applies to Matte's request for the source too.
func facesSiteServing(t *testing.T, root, routes string, directives ...string) (*caddytest.Tester, string) {
	t.Helper()
	return facesSiteModel(t, root, "", routes, directives...)
}

// facesSiteModel is facesSiteServing with the face model at model (""
// for the fetched BlazeFace).
func facesSiteModel(t *testing.T, root, model, routes string, directives ...string) (*caddytest.Tester, string) {
	t.Helper()
	dir := os.Getenv("MATTE_RUNTIME")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "runtime"))
	}
	lib := filepath.Join(dir, "lib", "libonnxruntime.so")
	if model == "" {
		model = filepath.Join(dir, "models", "blazeface-back.onnx")
	}
	for _, f := range []string{lib, model} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("face detector not fetched (%v); run `make runtime`", err)
		}
	}
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	route {
		matte {
			rembg {
				runtime %s
			}
			faces {
				model %s
			}
			%s
		}
		%s
		file_server
	}
}`, root, lib, model, strings.Join(directives, "\n\t\t\t"), routes), "caddyfile")
	return tester, "http://localhost:9080"
}

// facePNG GETs url, checks a 200 PNG of w x h (any size for 0 x 0) and
// decodes it.
func facePNG(t *testing.T, tester *caddytest.Tester, url string, w, h int) image.Image {
	t.Helper()
	res, body := get(t, tester, url)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}

	if b := img.Bounds(); (w > 0 || h > 0) && (b.Dx() != w || b.Dy() != h) {
		t.Fatalf("GET %s: %dx%d, want %dx%d", url, b.Dx(), b.Dy(), w, h)
	}
	return img
}

// blockDiff is the mean absolute difference of the 8-bit RGB means of two
// images' n x n blocks (same size): a shift of a few pixels, which a crop
// placed by a detector may make against one placed by eye, barely moves
// it; another part of the photo does.
func blockDiff(a, b image.Image, n int) float64 {
	r := a.Bounds()
	var sum float64
	blocks := 0
	for by := r.Min.Y; by+n <= r.Max.Y; by += n {
		for bx := r.Min.X; bx+n <= r.Max.X; bx += n {
			var ma, mb [3]float64
			for y := by; y < by+n; y++ {
				for x := bx; x < bx+n; x++ {
					ar, ag, ab, _ := a.At(x, y).RGBA()
					br, bg, bb, _ := b.At(x, y).RGBA()
					for i, v := range [3][2]uint32{{ar, br}, {ag, bg}, {ab, bb}} {
						ma[i] += float64(v[0] >> 8)
						mb[i] += float64(v[1] >> 8)
					}
				}
			}
			for i := range ma {
				sum += math.Abs(ma[i]-mb[i]) / float64(n*n)
			}
			blocks++
		}
	}
	return sum / float64(3*blocks)
}

// placedByEye checks that got, a crop placed on faces, is within near
// (mean block difference, n x n blocks) of byEye, the same crop placed by
// eye, and at least far from other, the crop it must not be.
func placedByEye(t *testing.T, what string, got, byEye, other image.Image, n int, near, far float64) {
	t.Helper()
	if d, o := blockDiff(got, byEye, n), blockDiff(got, other, n); d > near || o < far {
		t.Errorf("%s: mean block difference %.1f from the crop placed by eye (want ≤ %g), %.1f from the one it must not be (want ≥ %g)", what, d, near, o, far)
	}
}

// asWithoutFaces checks that url, over a photo without a face, answers
// pixel for pixel what fallback, its fallback URL, answers (both w x h).
func asWithoutFaces(t *testing.T, tester *caddytest.Tester, url, fallback string, w, h int) {
	t.Helper()
	if d := blockDiff(facePNG(t, tester, url, w, h), facePNG(t, tester, fallback, w, h), 1); d != 0 {
		t.Errorf("no face: %s differs from %s by %.2f", url, fallback, d)
	}
}

// Real pixels through the server. girl-1.jpg (600x399) has one face,
// read off the photo by eye at about (222, 189) px, some 60 px wide: the
// expected crops are written from those numbers, not from the detector.
func TestFacesThroughServer(t *testing.T) {
	tester, base := facesSite(t)
	girl := base + "/photos/girl-1.jpg"

	// crop=faces: a 100x300 strip of the photo scaled to 451x300, centred
	// on the face (x = 0.37), where the centre crop would show the sky to
	// its right.
	faces := facePNG(t, tester, girl+"?fit=crop&crop=faces&w=100&h=300&fm=png", 100, 300)
	byEye := facePNG(t, tester, girl+"?fit=crop&crop=focalpoint&fp-x=0.37&fp-y=0.47&w=100&h=300&fm=png", 100, 300)
	centre := facePNG(t, tester, girl+"?fit=crop&w=100&h=300&fm=png", 100, 300)
	placedByEye(t, "crop=faces (against the centre crop)", faces, byEye, centre, 20, 5, 20)

	// fit=facearea&facepad=2 (Tailwind UI's avatar URL): the face's box
	// doubled, about 120 px square around it.
	area := facePNG(t, tester, girl+"?fit=facearea&facepad=2&w=128&h=128&fm=png", 128, 128)
	byEye = facePNG(t, tester, girl+"?rect=162,129,120,120&fit=crop&w=128&h=128&fm=png", 128, 128)
	centre = facePNG(t, tester, girl+"?fit=crop&w=128&h=128&fm=png", 128, 128)
	placedByEye(t, "fit=facearea (against the centre crop)", area, byEye, centre, 16, 12, 30)

	// fm=json&faces=1: the face in imgix's shape, in pixels. By eye: the
	// box around (222, 189), the eyes on either side of x = 222 above the
	// mouth.
	res, body := get(t, tester, girl+"?fm=json&faces=1")
	var desc struct {
		Faces []struct {
			Bounds struct{ X, Y, Width, Height int }
			L      struct{ X, Y int } `json:"left_eye"`
			R      struct{ X, Y int } `json:"right_eye"`
			Mouth  struct{ X, Y int }
		}
	}
	if err := json.Unmarshal(body, &desc); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("fm=json&faces=1: %d %s (%v)", res.StatusCode, body, err)
	}
	if len(desc.Faces) != 1 {
		t.Fatalf("fm=json&faces=1: %s, want one face", body)
	}
	f := desc.Faces[0]
	cx, cy := f.Bounds.X+f.Bounds.Width/2, f.Bounds.Y+f.Bounds.Height/2
	if cx < 202 || cx > 242 || cy < 169 || cy > 209 || f.Bounds.Width < 40 || f.Bounds.Width > 90 ||
		!(f.L.X < 222 && f.R.X > 222 && f.L.Y < f.Mouth.Y && f.R.Y < f.Mouth.Y) {
		t.Errorf("fm=json&faces=1: %s", body)
	}

	// Another size of the same photo finds its faces in the face cache:
	// the detector does not run again.
	before := metricValue(t, "matte_face_detections_total")
	facePNG(t, tester, girl+"?fit=crop&crop=faces&w=50&h=150&fm=png", 50, 150)
	if after := metricValue(t, "matte_face_detections_total"); after != before || before < 1 {
		t.Errorf("matte_face_detections_total went from %g to %g for another size of a photo looked at already", before, after)
	}

	// girl-2.jpg shows the back of a head: no face, so fit=facearea is its
	// fallback, fit=crop, pixel for pixel.
	back := base + "/photos/girl-2.jpg"
	asWithoutFaces(t, tester, back+"?fit=facearea&w=100&h=100&fm=png", back+"?fit=crop&w=100&h=100&fm=png", 100, 100)
}

// TestFaceModelThatCannotLoad: the detector loads on the first face
// request that needs it, not at start, so a face model file that is there
// but is not a model passes provisioning and is found out then. That is
// not "no faces": crop=faces on a photo with a face answers its fallback,
// the centre crop, pixel for pixel (a face URL does not fail for want of
// the detector), but no cache keeps it (no-store, no ETag, not in the
// result cache: the next request is a MISS), since its key names the
// detector and must not keep serving the fallback once the detector
// loads; obscuring the faces (Cloudinary e_blur_faces, imgproxy
// bd:N:face) and listing them (fm=json&faces=1) are a 501
// faces_unavailable, since an answer that showed the faces, or said there
// are none, would be wrong.
func TestFaceModelThatCannotLoad(t *testing.T) {
	data := testimages.SharedTestdata()
	if data == "" {
		t.Skip("shared test data (../shared/testdata) not found")
	}
	broken := filepath.Join(t.TempDir(), "broken.onnx")
	os.WriteFile(broken, []byte("not an ONNX model"), 0o644)
	tester, base := facesSiteModel(t, data, broken, "", "url_dialect cloudinary", "url_dialect imgproxy")
	girl := base + "/photos/girl-1.jpg"
	faces := girl + "?fit=crop&crop=faces&w=100&h=300&fm=png"
	for i := range 2 {
		asWithoutFaces(t, tester, faces, girl+"?fit=crop&w=100&h=300&fm=png", 100, 300)
		res, _ := get(t, tester, faces)
		if cc, etag, xc := res.Header.Get("Cache-Control"), res.Header.Get("ETag"), res.Header.Get("X-Cache"); cc != "no-store" || etag != "" || xc != "MISS" {
			t.Errorf("%d: crop=faces without a loadable detector: Cache-Control %q, ETag %q, X-Cache %q; want no-store, none, MISS", i, cc, etag, xc)
		}
	}
	for _, u := range []string{
		girl + "?fm=json&faces=1",
		base + "/demo/image/upload/e_blur_faces/f_png/photos/girl-1.jpg",
		base + "/demo/image/upload/e_pixelate_faces:12/f_png/photos/girl-1.jpg",
		base + "/insecure/bd:20:face/plain//photos/girl-1.jpg@png",
	} {
		res, body := get(t, tester, u)
		if res.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), `"faces_unavailable"`) || res.Header.Get("Cache-Control") == "public, max-age=86400" {
			t.Errorf("GET %s without a loadable detector: %d %s (Cache-Control %q), want a 501 faces_unavailable", u, res.StatusCode, body, res.Header.Get("Cache-Control"))
		}
	}
}

// The dialects' face gravities reach the detector. Each URL below cuts
// girl-1.jpg to a 300x60 strip: centred on the face (at y = 0.47, read by
// eye) it is close to the imgix crop placed there by hand, and far from
// the same dialect's attention crop, which picks a lower strip. On
// girl-2.jpg (no face) each answers as its fallback, pixel for pixel: the
// attention crop, or the centred one where the dialect documents it
// (noFace; Cloudflare: "If no faces are found, then the focal point will
// fall back to the center of the image").
func TestDialectFacesThroughServer(t *testing.T) {
	tester, base := facesSite(t, "url_dialect cloudflare", "url_dialect cloudinary", "url_dialect imagekit",
		"url_dialect thumbor", "url_dialect imgproxy", "url_dialect cloudimage")
	byEye := facePNG(t, tester, base+"/photos/girl-1.jpg?fit=crop&crop=focalpoint&fp-x=0.37&fp-y=0.47&w=300&h=60&fm=png", 300, 60)
	for _, tc := range []struct{ face, attention, noFace string }{
		{"/cdn-cgi/image/fit=cover,w=300,h=60,gravity=face,f=png/photos/%s", "/cdn-cgi/image/fit=cover,w=300,h=60,gravity=auto,f=png/photos/%s", "/photos/%s?fit=crop&crop=center&w=300&h=60&fm=png"},
		{"/demo/image/upload/c_fill,g_face,w_300,h_60,f_png/photos/%s", "/demo/image/upload/c_fill,g_auto,w_300,h_60,f_png/photos/%s", ""},
		{"/demo/image/upload/c_thumb,g_faces,w_300,h_60,f_png/photos/%s", "/demo/image/upload/c_thumb,g_auto,w_300,h_60,f_png/photos/%s", ""},
		{"/photos/%s?tr=w-300,h-60,fo-face,f-png", "/photos/%s?tr=w-300,h-60,fo-auto,f-png", ""},
		{"/unsafe/300x60/smart/filters:format(png)/photos/%s", "/photos/%s?fit=crop&crop=attention&w=300&h=60&fm=png", ""},
		{"/insecure/rs:fill:300:60/g:obj:face/plain//photos/%s@png", "/insecure/rs:fill:300:60/g:sm/plain//photos/%s@png", ""},
		{"/v7/photos/%s?w=300&h=60&func=face&force_format=png", "/photos/%s?fit=crop&crop=attention&w=300&h=60&fm=png", ""},
	} {
		got := facePNG(t, tester, base+fmt.Sprintf(tc.face, "girl-1.jpg"), 300, 60)
		attention := facePNG(t, tester, base+fmt.Sprintf(tc.attention, "girl-1.jpg"), 300, 60)
		placedByEye(t, tc.face+" (against the attention crop)", got, byEye, attention, 12, 6, 15)
		noFace := tc.attention
		if tc.noFace != "" {
			noFace = tc.noFace
		}
		asWithoutFaces(t, tester, base+fmt.Sprintf(tc.face, "girl-2.jpg"), base+fmt.Sprintf(noFace, "girl-2.jpg"), 300, 60)
	}
}

// Cloudflare's zoom with gravity=face: zoom=0.5 cuts the face's box (some
// 60 px, by eye about (222, 189) on girl-1.jpg) grown twice, the ~120 px
// square of the facearea&facepad=2 check above; zoom=0 is the face
// gravity's crop of as much of the photo as the square allows.
func TestCloudflareZoomThroughServer(t *testing.T) {
	tester, base := facesSite(t, "url_dialect cloudflare")
	girl := "/photos/girl-1.jpg"
	zoomed := facePNG(t, tester, base+"/cdn-cgi/image/fit=cover,w=128,h=128,gravity=face,zoom=0.5,f=png"+girl, 128, 128)
	wide := facePNG(t, tester, base+"/cdn-cgi/image/fit=cover,w=128,h=128,gravity=face,zoom=0,f=png"+girl, 128, 128)
	byEye := facePNG(t, tester, base+girl+"?rect=162,129,120,120&fit=crop&w=128&h=128&fm=png", 128, 128)
	placedByEye(t, "zoom=0.5 (against zoom=0)", zoomed, byEye, wide, 16, 12, 30)
}

// Bunny's face_crop=W,H cuts a W x H area of the source centred on the
// faces: on girl-1 the 200x200 px around (222, 189) (by eye), where the
// area left centred would be the sky; on girl-2 (no face) the centred
// area, pixel for pixel.
func TestBunnyFaceCropThroughServer(t *testing.T) {
	tester, base := facesSite(t, "url_dialect bunny")
	got := facePNG(t, tester, base+"/photos/girl-1.jpg?face_crop=200,200&format=png", 200, 200)
	byEye := facePNG(t, tester, base+"/photos/girl-1.jpg?rect=122,89,200,200&fm=png", 200, 200)
	centred := facePNG(t, tester, base+"/photos/girl-1.jpg?rect=200,100,200,200&fm=png", 200, 200)
	placedByEye(t, "face_crop (against the centred area)", got, byEye, centred, 20, 6, 15)
	asWithoutFaces(t, tester, base+"/photos/girl-2.jpg?face_crop=200,200&format=png", base+"/photos/girl-2.jpg?rect=259,139,200,200&fm=png", 200, 200)
}

// Bunny's face_crop=true cuts the face's box grown twice (FaceCropPad), in
// its own shape, at the source's scale: on girl-1 about 120 px around
// (222, 189) (by eye), not the area of that size in the middle; on girl-2
// (no face) the whole photo, uncut.
func TestBunnyFaceCropTrueThroughServer(t *testing.T) {
	tester, base := facesSite(t, "url_dialect bunny")
	got := facePNG(t, tester, base+"/photos/girl-1.jpg?face_crop=true&format=png", 0, 0)
	w, h := got.Bounds().Dx(), got.Bounds().Dy()
	if w < 90 || w > 180 || h < 90 || h > 180 {
		t.Fatalf("face_crop=true: %dx%d, want the face's box doubled (about 120 px, 90-180 each way)", w, h)
	}
	byEye := facePNG(t, tester, base+fmt.Sprintf("/photos/girl-1.jpg?rect=%d,%d,%d,%d&fm=png", 222-w/2, 189-h/2, w, h), w, h)
	centred := facePNG(t, tester, base+fmt.Sprintf("/photos/girl-1.jpg?rect=%d,%d,%d,%d&fm=png", 300-w/2, 200-h/2, w, h), w, h)
	placedByEye(t, "face_crop=true (against the centred area)", got, byEye, centred, 16, 12, 25)
	whole := facePNG(t, tester, base+"/photos/girl-2.jpg?fm=png", 0, 0).Bounds()
	asWithoutFaces(t, tester, base+"/photos/girl-2.jpg?face_crop=true&format=png", base+"/photos/girl-2.jpg?fm=png", whole.Dx(), whole.Dy())
}

// regionDiff is the mean absolute difference of two images' 8-bit RGB
// samples within r.
func regionDiff(a, b image.Image, r image.Rectangle) float64 {
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			for _, d := range [][2]uint32{{ar, br}, {ag, bg}, {ab, bb}} {
				sum += float64(absDiff(d[0]>>8, d[1]>>8))
				n++
			}
		}
	}
	return sum / n
}

// Cloudinary's e_pixelate_faces and e_blur_faces and imgproxy's
// bd:<sigma>:face obscure the face of girl-1 (around (222, 189), by eye)
// and nothing else; girl-2 (no face) comes back as it would without them.
func TestFacesObscuredThroughServer(t *testing.T) {
	tester, base := facesSite(t, "url_dialect cloudinary", "url_dialect imgproxy")
	face := image.Rect(207, 174, 237, 204) // the middle of the face
	away := image.Rect(420, 0, 600, 399)   // mountains and sky
	for _, tc := range []struct{ obscured, plain string }{
		{"/demo/image/upload/e_pixelate_faces:12/f_png/photos/%s", "/demo/image/upload/f_png/photos/%s"},
		{"/demo/image/upload/e_blur_faces/f_png/photos/%s", "/demo/image/upload/f_png/photos/%s"},
		{"/insecure/bd:20:face/plain//photos/%s@png", "/insecure/plain//photos/%s@png"},
	} {
		got := facePNG(t, tester, base+fmt.Sprintf(tc.obscured, "girl-1.jpg"), 600, 399)
		plain := facePNG(t, tester, base+fmt.Sprintf(tc.plain, "girl-1.jpg"), 600, 399)
		if d, a := regionDiff(got, plain, face), regionDiff(got, plain, away); d < 8 || a != 0 {
			t.Errorf("%s: mean difference %.1f on the face (want ≥ 8), %.2f away from it (want 0)", tc.obscured, d, a)
		}
		asWithoutFaces(t, tester, base+fmt.Sprintf(tc.obscured, "girl-2.jpg"), base+fmt.Sprintf(tc.plain, "girl-2.jpg"), 718, 478)
	}
}

// Filestack's pixelate_faces and blur_faces obscure girl-1's face and
// nothing else, as Cloudinary's effects do; girl-2 (no face) comes back as
// it would without them. The photos are served under handles, as Filestack
// names files (no extension: a route names their Content-Type).
func TestFilestackFacesObscuredThroughServer(t *testing.T) {
	data := testimages.SharedTestdata()
	if data == "" {
		t.Skip("shared test data (../shared/testdata) not found")
	}
	root := t.TempDir()
	for handle, name := range map[string]string{"girl1": "girl-1.jpg", "girl2": "girl-2.jpg"} {
		b, err := os.ReadFile(filepath.Join(data, "photos", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, handle), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tester, base := facesSiteServing(t, root, "@handle path /girl1 /girl2\n\t\theader @handle Content-Type image/jpeg", "url_dialect filestack")
	face := image.Rect(207, 174, 237, 204) // the middle of the face
	away := image.Rect(420, 0, 600, 399)   // mountains and sky
	const plain = "/output=format:png/%s"
	for _, obscured := range []string{"/pixelate_faces=amount:12/output=format:png/%s", "/blur_faces/output=format:png/%s"} {
		got := facePNG(t, tester, base+fmt.Sprintf(obscured, "girl1"), 600, 399)
		want := facePNG(t, tester, base+fmt.Sprintf(plain, "girl1"), 600, 399)
		if d, a := regionDiff(got, want, face), regionDiff(got, want, away); d < 8 || a != 0 {
			t.Errorf("%s: mean difference %.1f on the face (want ≥ 8), %.2f away from it (want 0)", obscured, d, a)
		}
		asWithoutFaces(t, tester, base+fmt.Sprintf(obscured, "girl2"), base+fmt.Sprintf(plain, "girl2"), 718, 478)
	}
}

// withTextChunk is the PNG b with a tEXt chunk holding text after its
// header: the same pixels under another content hash, so that each use
// is a fresh source to the caches.
func withTextChunk(b []byte, text string) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, then IHDR's length, type, data and CRC
	data := append([]byte("Comment\x00"), text...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append(slices.Clip(b[:ihdrEnd]), chunk...)
	return append(out, b[ihdrEnd:]...)
}

// The sizes of one source share one face detection (a face cache flight):
// when the request that started it leaves (its client gives up), the
// detection carries on for the others, which get their answer. A's client
// gives up about midway through the detection's decode of a 6500x6500 PNG
// (some 40 MP to inflate: long enough to be caught in the act); B, another
// size, arrives just after A, joins the detection and must get a 200. The
// timings come from a first request over the same pixels, so that the
// test keeps its shape on a slow or busy machine; it runs a few times,
// each over a fresh source, since a busy machine may still miss the
// moment (then B runs a detection of its own and passes anyway).
func TestFacesDetectionOutlivesItsFirstClient(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a 40-megapixel PNG several times")
	}
	root := t.TempDir()
	const side = 6500
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := range side {
		row := img.Pix[y*img.Stride:]
		for x := range side {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = uint8(x), uint8(y), uint8(x^y), 255
		}
	}
	var enc bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&enc, img); err != nil {
		t.Fatal(err)
	}
	img = nil
	// The caches outlive a test (-count=2): each run's sources are new.
	run := strconv.FormatInt(time.Now().UnixNano(), 10)
	const rounds = 3
	for i := range rounds + 1 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("big-%d.png", i)), withTextChunk(enc.Bytes(), run+"/"+strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Room for both transforms at once (2 CPUs default to 3 workers, 75
	// MP: one 42 MP transform would hold B in the queue until A ended).
	tester, base := facesSiteServing(t, root, "", "workers 4", "queue_megapixels 200")
	url := func(i, size int) string {
		return fmt.Sprintf("%s/big-%d.png?fit=crop&crop=faces&w=%d&h=%d&fm=png", base, i, size, size)
	}
	// The first request times the whole: fetch, detection, crop.
	start := time.Now()
	facePNG(t, tester, url(0, 64), 64, 64)
	whole := time.Since(start)
	t.Logf("a face crop of the %dx%d PNG takes %v", side, side, whole)
	for i := 1; i <= rounds; i++ {
		// The detection decodes the source as the crop then does: it runs
		// over about the first half of the whole, after the fetch.
		leave, join := whole*3/10, whole/20
		a := &http.Client{Timeout: leave}
		aDone := make(chan error, 1)
		go func() {
			res, err := a.Get(url(i, 100))
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				err = fmt.Errorf("answered %d", res.StatusCode)
			}
			aDone <- err
		}()
		time.Sleep(join)
		res, body := get(t, tester, url(i, 120))
		if res.StatusCode != http.StatusOK {
			t.Errorf("round %d: B, which joined A's detection, got %d %s once A's client left (after %v)", i, res.StatusCode, body, leave)
		}
		t.Logf("round %d: A %v", i, <-aDone)
	}
}

// facesSiteUniquePhoto is facesSite serving only name: the shared girl-1.jpg
// (one face) padded with pad bytes of comments, bytes no other test has
// seen, so that neither its faces nor its results are cached hits.
func facesSiteUniquePhoto(t *testing.T, name string, pad int) (tester *caddytest.Tester, base string, src []byte) {
	t.Helper()
	data := testimages.SharedTestdata()
	if data == "" {
		t.Skip("shared test data (../shared/testdata) not found")
	}
	photo, err := os.ReadFile(filepath.Join(data, "photos", "girl-1.jpg"))
	if err != nil {
		t.Skipf("shared test photo: %v", err)
	}
	root := t.TempDir()
	src = testimages.PaddedJPEG(photo, pad)
	if err := os.WriteFile(filepath.Join(root, name), src, 0o644); err != nil {
		t.Fatal(err)
	}
	tester, base = facesSiteServing(t, root, "")
	return tester, base, src
}

// A face detection shared by two sizes of one photo runs in a flight that
// outlives the request that started it: when that request leaves, the
// detector's input is still made from its source, which stays counted in
// max_buffered_bytes until the input is made.
func TestFaceInputKeepsSourceCounted(t *testing.T) {
	tester, base, src := facesSiteUniquePhoto(t, "held.jpg", 200_003)

	g := newGate()
	started, open := g.started, g.open
	t.Cleanup(caddymodule.SetBeforeFaceInput(g.hold))
	t.Cleanup(open) // before the hook is removed

	leave := getLeaving(tester, base+"/held.jpg?fit=crop&crop=faces&w=100&h=300")
	defer leave()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the face detection did not start")
	}
	waiter := joinFlight(t, tester, base+"/held.jpg?fit=crop&crop=faces&w=101&h=300", "the face detection")
	// Both requests hold a copy of the source (the second fetched its own).
	held := waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v >= float64(2*len(src)) })
	leave()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if v := metricValue(t, "matte_buffered_bytes"); v < held {
			t.Fatalf("matte_buffered_bytes %v (was %v) while the face detection still reads the first request's %d-byte source", v, held, len(src))
		}
	}
	open()
	if s := <-waiter; !strings.HasPrefix(s, "200") {
		t.Fatalf("the request that waited for the face detection: %s", s)
	}
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })
}

// A face input that panics (the flight recovers it: a 500) still gives
// its source's bytes back to max_buffered_bytes.
func TestFaceInputPanicReleasesSource(t *testing.T) {
	tester, base, _ := facesSiteUniquePhoto(t, "boom.jpg", 200_011)
	t.Cleanup(caddymodule.SetBeforeFaceInput(func(context.Context) { panic("input panicked") }))
	res, err := tester.Client.Get(base + "/boom.jpg?fit=crop&crop=faces&w=100&h=300")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("a panicking face input: %d, want 500", res.StatusCode)
	}
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v == 0 })
}
