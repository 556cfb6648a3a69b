package caddymodule_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// runtimeDir finds the fetched runtime (make runtime): $MATTE_RUNTIME, else
// ../runtime from this package.
func runtimeDir(t *testing.T) string {
	dir := os.Getenv("MATTE_RUNTIME")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "runtime"))
	}
	for _, f := range []string{"lib/libonnxruntime.so", "models/isnet-fp16.onnx", "models/isnet-int8.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("background-removal runtime not fetched (%v); run `make runtime`", err)
		}
	}
	return dir
}

// metricValue is the value of the unlabelled series name on the admin
// /metrics, 0 when it is absent.
func metricValue(t *testing.T, name string) float64 {
	t.Helper()
	for _, line := range scrapeMetrics(t) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// alphaOf returns the alpha (or gray) plane of a PNG.
func alphaOf(t *testing.T, body []byte) (*image.Alpha, image.Rectangle) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	a := image.NewAlpha(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch g := img.(type) {
			case *image.Gray:
				a.Pix[a.PixOffset(x, y)] = g.GrayAt(x, y).Y
			default:
				_, _, _, al := img.At(x, y).RGBA()
				a.Pix[a.PixOffset(x, y)] = uint8(al >> 8)
			}
		}
	}
	return a, b
}

func iou(a, b *image.Alpha) float64 {
	inter, union := 0, 0
	for i := range a.Pix {
		x, y := a.Pix[i] >= 128, b.Pix[i] >= 128
		if x && y {
			inter++
		}
		if x || y {
			union++
		}
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

func TestBackgroundRemovalThroughServer(t *testing.T) {
	rt := runtimeDir(t)
	synth := filepath.Join("..", "..", "shared", "testdata", "synthetic", "synth-shapes.png")
	if _, err := os.Stat(synth); err != nil {
		t.Skipf("shared test data not found: %v", err)
	}
	truthPNG, _ := os.ReadFile(synth)
	truth, _ := alphaOf(t, truthPNG)
	// The source served is the synthetic image flattened to JPEG: the
	// model must find the subject from colour alone.
	dir := t.TempDir()
	img, _ := png.Decode(bytes.NewReader(truthPNG))
	flat := flatten(img)
	os.WriteFile(filepath.Join(dir, "shapes.png"), flat, 0o644)
	os.WriteFile(filepath.Join(dir, "bg.jpg"), solidJPEG(t, 64, 64, color.RGBA{0, 200, 0, 255}), 0o644)

	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		# Inference shares two cores with the other packages' tests.
		timeout 2m
		rembg {
			runtime %s/lib/libonnxruntime.so
			models_dir %s/models
			allow isnet-int8
		}
	}
	file_server
}`, dir, rt, rt), "caddyfile")
	base := "http://localhost:9080/shapes.png"

	inferences := metricValue(t, "matte_inferences_total")
	start := time.Now()
	res, body := get(t, tester, base+"?rembg=1")
	t.Logf("first request %v, inferences before %v after %v", time.Since(start), inferences, metricValue(t, "matte_inferences_total"))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("status %d %s: %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if m := res.Header.Get("X-Matte-Model"); !strings.HasPrefix(m, "isnet@") {
		t.Errorf("X-Matte-Model %q", m)
	}
	for _, h := range []string{"X-Foreground-Top", "X-Foreground-Left", "X-Foreground-Width", "X-Foreground-Height"} {
		if v, err := strconv.Atoi(res.Header.Get(h)); err != nil || v < 0 {
			t.Errorf("%s = %q", h, res.Header.Get(h))
		}
	}
	got, _ := alphaOf(t, body)
	if score := iou(got, truth); score < 0.85 {
		t.Errorf("IoU with the exact ground truth %.3f, want >= 0.85", score)
	} else {
		t.Logf("IoU with the exact ground truth: %.3f", score)
	}
	if n := metricValue(t, "matte_inferences_total") - inferences; n != 1 {
		t.Fatalf("%v inferences for the first request", n)
	}

	// Every other variant of the same source reuses the cached matte.
	for _, q := range []string{"?rembg=1&w=200&fm=jpg&bg=ffffff", "?rembg=1&mask=1&w=120", "?rembg=1&crop=fg&fm=webp", "?rembg=1&shadow=drop&bg=eeeeee", "?rembg=1&fm=zip"} {
		res, body := get(t, tester, base+q)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %.200s", q, res.StatusCode, body)
		}
		if strings.Contains(q, "mask=1") {
			if _, ok := mustPNG(t, body).(*image.Gray); !ok {
				t.Errorf("mask=1 is not 8-bit grayscale")
			}
		}
		if strings.Contains(q, "zip") && res.Header.Get("Content-Type") != "application/zip" {
			t.Errorf("fm=zip content type %q", res.Header.Get("Content-Type"))
		}
	}
	if n := metricValue(t, "matte_inferences_total") - inferences; n != 1 {
		t.Fatalf("%v inferences for six variants of one source, want 1", n)
	}

	// A background image from the site root, laid under the subject.
	res, body = get(t, tester, base+"?rembg=1&bg-image=/bg.jpg&w=200&fm=png")
	if res.StatusCode != 200 {
		t.Fatalf("bg-image: %d %s", res.StatusCode, body)
	}
	if c := mustPNG(t, body).At(1, 1); !isGreen(c) {
		t.Errorf("bg-image corner is %v, want the green background", c)
	}
	// A remote background image on a denied address is refused before dialling.
	res, body = get(t, tester, base+"?rembg=1&bg-image=http://127.0.0.1:1/bg.jpg")
	if res.StatusCode < 400 || res.StatusCode >= 500 || !bytes.Contains(body, []byte(`"field":"bg-image"`)) {
		t.Errorf("denied bg-image URL: %d %s", res.StatusCode, body)
	}
	if n := metricValue(t, "matte_inferences_total") - inferences; n != 1 {
		t.Fatalf("%v inferences after the background variants, want 1", n)
	}

	// A cut-out on an opaque colour is opaque: a JPEG source stays a JPEG.
	// Without one it keeps its transparency as PNG.
	for _, v := range []struct{ q, typ string }{{"?rembg=1&bg=ffffff&w=64", "image/jpeg"}, {"?rembg=1&bg=80ffffff&w=64", "image/png"}, {"?rembg=1&w=64", "image/png"}} {
		res, body := get(t, tester, "http://localhost:9080/bg.jpg"+v.q)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != v.typ {
			t.Fatalf("bg.jpg%s: %d %s, want %s: %.200s", v.q, res.StatusCode, res.Header.Get("Content-Type"), v.typ, body)
		}
		if v.typ == "image/jpeg" {
			if _, err := jpeg.Decode(bytes.NewReader(body)); err != nil {
				t.Errorf("bg.jpg%s: %v", v.q, err)
			}
		}
	}

	res, _ = get(t, tester, base+"?rembg=1&model=isnet-int8&w=300")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("X-Matte-Model"), "isnet-int8@") {
		t.Fatalf("allowed model: %d %q", res.StatusCode, res.Header.Get("X-Matte-Model"))
	}
	res, body = get(t, tester, base+"?rembg=1&model=u2net")
	if res.StatusCode != 400 || !bytes.Contains(body, []byte(`"field":"model"`)) {
		t.Fatalf("disallowed model: %d %s", res.StatusCode, body)
	}
}

func isGreen(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 < 60 && g>>8 > 150 && b>>8 < 60
}

func mustPNG(t *testing.T, body []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// flatten drops the alpha channel (keeping colours) and encodes PNG.
func flatten(img image.Image) []byte {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if a > 0 { // un-premultiply
				r, g, bl = r*0xffff/a, g*0xffff/a, bl*0xffff/a
			}
			i := out.PixOffset(x, y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r>>8), uint8(g>>8), uint8(bl>>8), 255
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, out)
	return buf.Bytes()
}

// TestModelThatCannotLoad: the runtime and the model are loaded by the
// first removal, not at start, so a model file that is there but is not a
// model passes provisioning and is found out then. It is answered as a
// server without a model (501 removal_unavailable on the rembg field), the
// next request gets the same answer, and requests without rembg are served.
func TestModelThatCannotLoad(t *testing.T) {
	rt := runtimeDir(t)
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	os.Mkdir(models, 0o755)
	os.WriteFile(filepath.Join(models, "broken.onnx"), []byte("not an ONNX model"), 0o644)
	os.WriteFile(filepath.Join(dir, "bg.jpg"), solidJPEG(t, 64, 64, color.RGBA{0, 200, 0, 255}), 0o644)
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		rembg {
			runtime %s/lib/libonnxruntime.so
			models_dir %s
			model broken
			custom_model broken %s/broken.onnx {
				input 320 320
				mean 0.5 0.5 0.5
				std 1 1 1
			}
		}
	}
	file_server
}`, dir, rt, models, models), "caddyfile")
	for range 2 {
		res, body := get(t, tester, "http://localhost:9080/bg.jpg?rembg=1")
		if res.StatusCode != 501 || !strings.Contains(string(body), `"code":"removal_unavailable"`) || !strings.Contains(string(body), `"field":"rembg"`) {
			t.Fatalf("rembg=1 with a model that cannot load: %d %s", res.StatusCode, body)
		}
	}
	if res, body := get(t, tester, "http://localhost:9080/bg.jpg?w=32&fm=png"); res.StatusCode != 200 {
		t.Fatalf("a resize beside it: %d %.200s", res.StatusCode, body)
	}
}

// A cut-out's cache key names the model that made it: after a reload that
// changes the default model, the same URL is cut out again by the new
// model, not answered from the cache (which outlives the reload) with the
// old model's image and X-Matte-Model.
func TestDefaultModelChangeIsNotAnsweredFromCache(t *testing.T) {
	rt := runtimeDir(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bg.jpg"), solidJPEG(t, 64, 64, color.RGBA{0, 200, 0, 255}), 0o644)
	site := func(model string) string {
		return globalOptions + fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		rembg {
			runtime %s/lib/libonnxruntime.so
			models_dir %s/models
			model %s
		}
	}
	file_server
}`, dir, rt, rt, model)
	}
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute}) // loads a model and runs it: seconds on a busy 2-core machine
	for i, model := range []string{"isnet", "isnet-int8", "isnet"} {
		tester.InitServer(site(model), "caddyfile")
		res, body := get(t, tester, "http://localhost:9080/bg.jpg?rembg=1")
		if res.StatusCode != 200 {
			t.Fatalf("default model %s: %d %.200s", model, res.StatusCode, body)
		}
		if got := res.Header.Get("X-Matte-Model"); !strings.HasPrefix(got, model+"@") {
			t.Errorf("default model %s: X-Matte-Model %q (X-Cache %q)", model, got, res.Header.Get("X-Cache"))
		}
		// Back to the first model, its cut-out is still in the cache.
		if hit := strings.HasPrefix(res.Header.Get("X-Cache"), "HIT"); hit != (i == 2) {
			t.Errorf("default model %s, request %d: X-Cache %q", model, i, res.Header.Get("X-Cache"))
		}
	}
}
