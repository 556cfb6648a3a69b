package caddymodule_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	"golang.org/x/image/bmp"
)

// The hosted-API dialects through the real server: remove.bg v1.0,
// rembg.com and fapihub.

const apiBase = "http://localhost:9080"

// apiRuntime is the fetched runtime folder, or "" when it is missing (the
// validation tests run without it: every one of them is answered before
// any model runs).
func apiRuntime() string {
	dir := os.Getenv("MATTE_RUNTIME")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "runtime"))
	}
	for _, f := range []string{"lib/libonnxruntime.so", "models/isnet-fp16.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return ""
		}
	}
	return dir
}

// apiPhoto is a real photo for the tests that run the model (1000x667).
func apiPhoto(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "photos", "animal-1.jpg"))
	if err != nil {
		t.Skipf("shared test data not found: %v", err)
	}
	return data
}

// apiCaddyfile serves dir with all three dialects at the site root, plus
// extra lines in the matte block.
func apiCaddyfile(dir, rt, extra string) string {
	rembg := "rembg off"
	if rt != "" {
		rembg = fmt.Sprintf("rembg {\n\t\t\truntime %s/lib/libonnxruntime.so\n\t\t\tmodels_dir %s/models\n\t\t}", rt, rt)
	}
	return globalOptions + fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		max_source_bytes 600KB
		max_source_megapixels 2
		timeout 2m
		%s
		origin {
			allow_hosts localhost 127.0.0.1
			allow_loopback_remote
		}
		removebg
		rembg_com
		fapihub
		%s
	}
	file_server
}`, dir, rembg, extra)
}

type part struct {
	name string
	data []byte
	file bool
}

func field(name, value string) part      { return part{name: name, data: []byte(value)} }
func file(name string, data []byte) part { return part{name: name, data: data, file: true} }

func multipartOf(t testing.TB, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.file {
			w, err := mw.CreateFormFile(p.name, p.name+".png")
			if err != nil {
				t.Fatal(err)
			}
			w.Write(p.data)
		} else {
			mw.WriteField(p.name, string(p.data))
		}
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func formOf(kv ...string) []byte {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return []byte(q.Encode())
}

func post(t testing.TB, tester *caddytest.Tester, path, contentType string, body []byte, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, apiBase+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := tester.Client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, out
}

func postParts(t testing.TB, tester *caddytest.Tester, path string, headers []string, parts ...part) (*http.Response, []byte) {
	t.Helper()
	ct, body := multipartOf(t, parts...)
	return post(t, tester, path, ct, body, headers...)
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(t testing.TB, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%T is not an object", v)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sameKeys(t testing.TB, what string, v any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keysOf(t, v); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s keys %v, want exactly %v", what, got, want)
	}
}

// removeBGError checks a remove.bg error: status, code, and the body's
// exact shape {"errors":[{"title","code","detail"}]}.
func removeBGError(t testing.TB, res *http.Response, body []byte, status int, code string) {
	t.Helper()
	if res.StatusCode != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d %s, want %d: %s", res.StatusCode, res.Header.Get("Content-Type"), status, body)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	sameKeys(t, "body", v, "errors")
	list, _ := v["errors"].([]any)
	if len(list) == 0 {
		t.Fatalf("no errors: %s", body)
	}
	for _, e := range list {
		sameKeys(t, "error", e, "title", "code", "detail")
	}
	if got := list[0].(map[string]any)["code"]; got != code {
		t.Fatalf("code %v, want %s: %s", got, code, body)
	}
}

// rembgComError checks {"error","field","status"}.
func rembgComError(t testing.TB, res *http.Response, body []byte, status int, field, msg string) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil || res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
	}
	sameKeys(t, "body", v, "error", "field", "status")
	if v["field"] != field || v["status"] != float64(status) || msg != "" && v["error"] != msg {
		t.Fatalf("got %s, want %s: %s", body, field, msg)
	}
}

// fapiHubError checks {"error":{"code","message","request_id"[,"field"][,"retry_after"]}}.
func fapiHubError(t testing.TB, res *http.Response, body []byte, status int, code string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil || res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
	}
	sameKeys(t, "body", v, "error")
	e := v["error"].(map[string]any)
	if e["code"] != code || e["message"] == "" || !strings.HasPrefix(fmt.Sprint(e["request_id"]), "req_") {
		t.Fatalf("got %s, want %s", body, code)
	}
	return e
}

// solidPNG is a w x h opaque PNG (small: one colour compresses well).
func solidPNG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 200, 255
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// lyingBMP is an 8x8 BMP whose header claims w x h.
func lyingBMP(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bmp.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	binary.LittleEndian.PutUint32(data[18:22], uint32(w))
	binary.LittleEndian.PutUint32(data[22:26], uint32(h))
	return data
}

// TestAPIValidation answers every validation error of the three dialects
// through the server. None of them runs the model.
func TestAPIValidation(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "page.txt"), []byte("plain file"), 0o644)
	photo := testPhoto(t) // 400x200 JPEG
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
		case "/junk.jpg": // a 200 that is no image
			w.Header().Set("Content-Type", "image/jpeg")
			io.WriteString(w, "this is not an image at all, whatever its name says")
		default:
			http.NotFound(w, r)
		}
	}))
	defer origin.Close()
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(dir, apiRuntime(), ""), "caddyfile")
	b64 := base64.StdEncoding.EncodeToString(photo)
	big := solidPNG(t, 1500, 1500) // 2.25 MP > max_source_megapixels 2
	junk := []byte("this is not an image at all, whatever its name says")

	t.Run("non-API paths pass through", func(t *testing.T) {
		res, body := get(t, tester, apiBase+"/page.txt")
		if res.StatusCode != 200 || string(body) != "plain file" {
			t.Fatalf("%d %q", res.StatusCode, body)
		}
	})
	t.Run("method not allowed", func(t *testing.T) {
		res, body := get(t, tester, apiBase+"/v1.0/removebg")
		removeBGError(t, res, body, http.StatusMethodNotAllowed, "method_not_allowed")
		if res.Header.Get("Allow") != "POST" {
			t.Errorf("Allow %q", res.Header.Get("Allow"))
		}
	})

	type rbCase struct {
		name   string
		path   string
		ct     string
		body   []byte
		status int
		code   string
	}
	mp := func(parts ...part) (string, []byte) { return multipartOf(t, parts...) }
	withFile := func(parts ...part) (string, []byte) {
		return mp(append([]part{file("image_file", photo)}, parts...)...)
	}
	form := "application/x-www-form-urlencoded"
	rb := []rbCase{
		{"missing source", "/v1.0/removebg", form, formOf("size", "hd"), 400, "missing_source"},
		{"multiple sources", "/v1.0/removebg", form, formOf("image_url", "https://e.com/a.jpg", "image_file_b64", b64), 400, "multiple_sources"},
		{"invalid image url", "/v1.0/removebg", form, formOf("image_url", "ftp://e.com/a.jpg"), 400, "invalid_image_url"},
		{"denied image url", "/v1.0/removebg", form, formOf("image_url", "http://169.254.169.254/latest/meta-data"), 400, "invalid_image_url"},
		{"failed image download", "/v1.0/removebg", form, formOf("image_url", origin.URL+"/missing.jpg"), 400, "failed_image_download"},
		{"invalid base64", "/v1.0/removebg", "application/json", []byte(`{"image_file_b64":"@@@"}`), 400, "invalid_image_file_b64"},
		{"invalid file type", "/v1.0/removebg", "", nil, 400, "invalid_file_type"},
		{"file too large", "/v1.0/removebg", "", nil, 400, "file_too_large"},
		{"resolution too high", "/v1.0/removebg", "", nil, 400, "resolution_too_high"},
		{"invalid size", "/v1.0/removebg", form, formOf("image_file_b64", b64, "size", "huge"), 400, "invalid_size"},
		{"invalid type", "/v1.0/removebg", form, formOf("image_file_b64", b64, "type", "robot"), 400, "invalid_type"},
		{"invalid type_level", "/v1.0/removebg", form, formOf("image_file_b64", b64, "type_level", "9"), 400, "invalid_type_level"},
		{"invalid format", "/v1.0/removebg", form, formOf("image_file_b64", b64, "format", "gif"), 400, "invalid_format"},
		{"invalid roi", "/v1.0/removebg", form, formOf("image_file_b64", b64, "roi", "0 0 10"), 400, "invalid_roi"},
		{"empty roi on this image", "/v1.0/removebg", form, formOf("image_file_b64", b64, "roi", "500px 0px 600px 100px"), 400, "invalid_roi"},
		{"invalid crop", "/v1.0/removebg", form, formOf("image_file_b64", b64, "crop", "perhaps"), 400, "invalid_crop"},
		{"invalid crop_margin", "/v1.0/removebg", form, formOf("image_file_b64", b64, "crop_margin", "1px 2px 3px"), 400, "invalid_crop_margin"},
		{"invalid scale", "/v1.0/removebg", form, formOf("image_file_b64", b64, "scale", "200%"), 400, "invalid_scale"},
		{"invalid position", "/v1.0/removebg", form, formOf("image_file_b64", b64, "position", "left"), 400, "invalid_position"},
		{"invalid channels", "/v1.0/removebg", form, formOf("image_file_b64", b64, "channels", "rgb"), 400, "invalid_channels"},
		{"invalid bg_color", "/v1.0/removebg", form, formOf("image_file_b64", b64, "bg_color", "nope"), 400, "invalid_bg_color"},
		{"invalid bg_image_url", "/v1.0/removebg", form, formOf("image_file_b64", b64, "bg_image_url", "nope"), 400, "invalid_bg_image_url"},
		{"failed bg image download", "/v1.0/removebg", form, formOf("image_file_b64", b64, "bg_image_url", origin.URL+"/gone.jpg"), 400, "failed_image_download"},
		// A refused or non-image bg_image_url is bg_image_url's code, as a malformed one is.
		{"denied bg_image_url", "/v1.0/removebg", form, formOf("image_file_b64", b64, "bg_image_url", "http://169.254.169.254/latest/meta-data"), 400, "invalid_bg_image_url"},
		{"bg_image_url not an image", "/v1.0/removebg", form, formOf("image_file_b64", b64, "bg_image_url", origin.URL+"/junk.jpg"), 400, "invalid_bg_image_url"},
		{"invalid bg_image_file", "/v1.0/removebg", "", nil, 400, "invalid_bg_image_file"},
		{"multiple backgrounds", "/v1.0/removebg", form, formOf("image_file_b64", b64, "bg_color", "fff", "bg_image_url", "https://e.com/b.jpg"), 400, "multiple_backgrounds"},
		{"invalid add_shadow", "/v1.0/removebg", form, formOf("image_file_b64", b64, "add_shadow", "maybe"), 400, "invalid_add_shadow"},
		{"invalid shadow_type", "/v1.0/removebg", form, formOf("image_file_b64", b64, "shadow_type", "long"), 400, "invalid_shadow_type"},
		{"invalid shadow_opacity", "/v1.0/removebg", form, formOf("image_file_b64", b64, "shadow_opacity", "101"), 400, "invalid_shadow_opacity"},
		{"invalid semitransparency", "/v1.0/removebg", form, formOf("image_file_b64", b64, "semitransparency", "half"), 400, "invalid_semitransparency"},
		{"malformed json", "/v1.0/removebg", "application/json", []byte(`{"image_url":`), 400, "invalid_request_body"},
		{"under a site prefix", "/some/mount/v1.0/removebg", form, formOf("size", "hd"), 400, "missing_source"},
	}
	for i := range rb {
		switch rb[i].name {
		case "invalid file type":
			rb[i].ct, rb[i].body = mp(file("image_file", junk))
		case "file too large":
			rb[i].ct, rb[i].body = mp(file("image_file", make([]byte, 700_000)))
		case "resolution too high":
			rb[i].ct, rb[i].body = mp(file("image_file", big))
		case "invalid bg_image_file":
			rb[i].ct, rb[i].body = withFile(file("bg_image_file", junk))
		}
	}
	for _, tc := range rb {
		t.Run("remove.bg "+tc.name, func(t *testing.T) {
			res, body := post(t, tester, tc.path, tc.ct, tc.body)
			removeBGError(t, res, body, tc.status, tc.code)
			if res.Header.Get("X-Credits-Charged") != "" {
				t.Errorf("an error carries X-Credits-Charged %q", res.Header.Get("X-Credits-Charged"))
			}
		})
	}

	t.Run("rembg.com errors", func(t *testing.T) {
		// Rows of the error reference in ../shared/seeds/rembg-com-api.txt, by line.
		named := func(name string, data []byte) (*http.Response, []byte) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			w, _ := mw.CreateFormFile("image", name)
			w.Write(data)
			mw.Close()
			return post(t, tester, "/rmbg", mw.FormDataContentType(), buf.Bytes())
		}
		for _, tc := range []struct {
			line       int
			parts      []part
			field, msg string
		}{
			{301, []part{field("w", "10")}, "image", "No image file provided. Please include an 'image' field in your form data."},
			{304, []part{field("image", "@@@")}, "image", "No file selected. Please choose an image file to upload."},
			{310, []part{file("image", junk)}, "image", "File does not appear to be a valid image (invalid file signature)"},
			{313, []part{file("image", nil)}, "image", "Uploaded file is empty (0 bytes)."},
			{319, []part{file("image", solidPNG(t, 12000, 8))}, "image", "Image width (12000px) exceeds the maximum allowed width of 10000px."},
			{322, []part{file("image", solidPNG(t, 8, 15000))}, "image", "Image height (15000px) exceeds the maximum allowed height of 10000px."},
			{325, []part{file("image", photo), field("w", "abc")}, "w", "'w' must be an integer, got: 'abc'"},
			{328, []part{file("image", photo), field("w", "-5")}, "w", "'w' must be at least 1, got: -5"},
			{331, []part{file("image", photo), field("w", "15000")}, "w", "'w' must be at most 10000, got: 15000"},
			{334, []part{file("image", photo), field("angle", "ninety")}, "angle", "'angle' must be a number, got: 'ninety'"},
			{337, []part{file("image", photo), field("angle", "500")}, "angle", "'angle' must be between -360 and 360 degrees, got: 500.0"},
			{340, []part{file("image", photo), field("format", "gif")}, "format", "Invalid format 'gif'. Allowed formats: PNG, JPEG, WEBP, BMP"},
			{343, []part{file("image", photo), field("bg_color", "#12345")}, "bg_color", "Invalid color format '#12345'. Use hex format: #RGB, #RGBA, #RRGGBB, or #RRGGBBAA"},
			{346, []part{file("image", photo), field("mask", "true"), field("bg_color", "red")}, "bg_color", "Cannot use 'mask=true' together with 'bg_color'. Choose one or the other."},
		} {
			res, body := postParts(t, tester, "/rmbg", nil, tc.parts...)
			rembgComError(t, res, body, 400, tc.field, tc.msg)
		}
		// Line 307.
		res, body := named("setup.exe", photo)
		rembgComError(t, res, body, 400, "image", "File type '.exe' is not supported. Allowed formats: webp, bmp, png, jpg, jpeg")
		// Lines 319-324 for a source over max_source_megapixels too:
		// rembg.com's message, not Matte's, whichever limit is checked first.
		res, body = named("wide.jpg", lyingJPEG(t, 12000, 6000))
		rembgComError(t, res, body, 400, "image", "Image width (12000px) exceeds the maximum allowed width of 10000px.")
		res, body = named("tall.bmp", lyingBMP(t, 6000, 15000))
		rembgComError(t, res, body, 400, "image", "Image height (15000px) exceeds the maximum allowed height of 10000px.")
		// Line 316: 400, not 413; the file limit here is max_source_bytes 600KB.
		res, body = postParts(t, tester, "/rmbg", nil, file("image", make([]byte, 700_000)))
		rembgComError(t, res, body, 400, "image", "")
		if v := string(body); !strings.Contains(v, "File size (0.7 MB) exceeds the maximum allowed size of ") {
			t.Errorf("file too large: %s", v)
		}

		// Lines 286-298: the docs' own multi-error example, both errors in order.
		res, body = postParts(t, tester, "/rmbg", nil, file("image", photo), field("w", "abc"), field("angle", "500"))
		want := `{"error":"Multiple validation errors","details":[{"field":"w","message":"'w' must be an integer, got: 'abc'"},` +
			`{"field":"angle","message":"'angle' must be between -360 and 360 degrees, got: 500.0"}],"status":400}`
		if res.StatusCode != 400 || string(body) != want {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
	})

	t.Run("fapihub errors", func(t *testing.T) {
		res, body := postParts(t, tester, "/v2/rembg/", nil, field("model", "falcon"))
		fapiHubError(t, res, body, 400, "invalid_image")
		res, body = postParts(t, tester, "/v2/rembg/", nil, file("image", junk))
		fapiHubError(t, res, body, 400, "invalid_image")
		res, body = postParts(t, tester, "/v2/rembg/", nil, file("image", nil))
		fapiHubError(t, res, body, 400, "invalid_image")
		res, body = postParts(t, tester, "/v2/rembg/blur/", nil, file("image", photo), field("radius", "51"))
		if e := fapiHubError(t, res, body, 400, "invalid_parameter"); e["field"] != "radius" {
			t.Fatalf("%s", body)
		}
		res, body = postParts(t, tester, "/v2/rembg/blur", nil, file("image", photo))
		fapiHubError(t, res, body, 400, "invalid_parameter")
		res, body = postParts(t, tester, "/v2/rembg/color/", nil, file("image", photo), field("bgcolor", "(1, 2)"))
		fapiHubError(t, res, body, 400, "invalid_parameter")
		res, body = postParts(t, tester, "/v2/rembg/gradient/", nil, file("image", photo), field("top_color", "(1, 2, 3)"))
		fapiHubError(t, res, body, 400, "invalid_parameter")
		res, body = postParts(t, tester, "/v2/rembg/shadow/", nil, file("image", photo), field("offset", "(1)"),
			field("shadow_color", "(0, 0, 0, 128)"), field("blur_radius", "10"))
		fapiHubError(t, res, body, 400, "invalid_parameter")
		// fapihub documents no 413: an image over the limits is a 400.
		res, body = postParts(t, tester, "/v2/rembg/", nil, file("image", big))
		fapiHubError(t, res, body, 400, "invalid_image")
	})
}

// TestAPIImages runs each dialect's successful paths on one photo: the
// matte is computed once and every other request reuses it.
func TestAPIImages(t *testing.T) {
	rt := apiRuntime()
	if rt == "" {
		t.Skip("background-removal runtime not fetched; run `make runtime`")
	}
	photo := apiPhoto(t)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream") // mislabelled on purpose
		w.Write(photo)
	}))
	defer origin.Close()
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(apiCaddyfile(t.TempDir(), rt, ""), "caddyfile")
	inferences := metricValue(t, "matte_inferences_total")

	// The reference: a PNG cut-out.
	res, pngBody := postParts(t, tester, "/v1.0/removebg", nil, file("image_file", photo), field("format", "png"), field("size", "auto"))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("%d %s: %.300s", res.StatusCode, res.Header.Get("Content-Type"), pngBody)
	}
	if res.Header.Get("X-Width") != "1000" || res.Header.Get("X-Height") != "667" || res.Header.Get("X-Type") != "other" || res.Header.Get("X-Credits-Charged") != "0" {
		t.Errorf("headers %v", res.Header)
	}
	fg := map[string]int{}
	for _, h := range []string{"Top", "Left", "Width", "Height"} {
		v, err := strconv.Atoi(res.Header.Get("X-Foreground-" + h))
		if err != nil {
			t.Fatalf("X-Foreground-%s %q", h, res.Header.Get("X-Foreground-"+h))
		}
		fg[h] = v
	}
	if fg["Width"] < 100 || fg["Height"] < 100 {
		t.Errorf("foreground %v", fg)
	}
	ref := mustPNG(t, pngBody)

	t.Run("remove.bg JSON answer", func(t *testing.T) {
		res, body := postParts(t, tester, "/v1.0/removebg", []string{"Accept", "application/json"}, file("image_file", photo), field("format", "png"), field("size", "auto"))
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil || res.StatusCode != 200 {
			t.Fatalf("%d %.300s", res.StatusCode, body)
		}
		sameKeys(t, "body", v, "data")
		data := v["data"].(map[string]any)
		sameKeys(t, "data", data, "result_b64", "foreground_top", "foreground_left", "foreground_width", "foreground_height")
		got, _ := base64.StdEncoding.DecodeString(data["result_b64"].(string))
		if !bytes.Equal(got, pngBody) || data["foreground_width"] != float64(fg["Width"]) || data["foreground_top"] != float64(fg["Top"]) {
			t.Errorf("JSON result differs from the image answer")
		}
	})
	t.Run("remove.bg ZIP recomposes to the PNG", func(t *testing.T) {
		res, body := postParts(t, tester, "/v1.0/removebg", nil, file("image_file", photo), field("format", "zip"), field("size", "auto"))
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		checkZIPRecomposes(t, body, ref)
	})
	t.Run("remove.bg sizes", func(t *testing.T) {
		for size, maxMP := range map[string]float64{"preview": 0.25, "medium": 1.5, "50MP": 50} {
			res, body := post(t, tester, "/v1.0/removebg", "application/x-www-form-urlencoded",
				formOf("image_file_b64", base64.StdEncoding.EncodeToString(photo), "size", size, "format", "png"))
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %.200s", size, res.StatusCode, body)
			}
			_, w, h := imageSize(t, body)
			if float64(w*h) > maxMP*1e6 || w > 1000 || strconv.Itoa(w) != res.Header.Get("X-Width") {
				t.Errorf("size=%s gave %dx%d", size, w, h)
			}
			if size == "preview" && (w < 600 || res.Header.Get("X-Credits-Charged") != "0") {
				t.Errorf("preview %dx%d", w, h)
			}
		}
	})
	t.Run("remove.bg format auto", func(t *testing.T) {
		// JSON sent as a form (curl -d does that), booleans as JSON.
		js := fmt.Sprintf(`{"image_file_b64":"data:image/jpeg;base64,%s","bg_color":"81d4fa","type":"animal","crop":false,"size":""}`, base64.StdEncoding.EncodeToString(photo))
		res, body := post(t, tester, "/v1.0/removebg", "application/x-www-form-urlencoded", []byte(js))
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" || res.Header.Get("X-Type") != "animal" {
			t.Fatalf("%d %s %s: %.200s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("X-Type"), body)
		}
		res, _ = postParts(t, tester, "/v1.0/removebg", nil, file("image_file", photo))
		if res.Header.Get("Content-Type") != "image/png" {
			t.Errorf("auto without a background: %s", res.Header.Get("Content-Type"))
		}
	})
	t.Run("remove.bg channels=alpha is the 8-bit matte", func(t *testing.T) {
		res, body := postParts(t, tester, "/v1.0/removebg", nil, file("image_file", photo), field("channels", "alpha"))
		if res.StatusCode != 200 {
			t.Fatalf("%d %.200s", res.StatusCode, body)
		}
		if _, ok := mustPNG(t, body).(*image.Gray); !ok {
			t.Errorf("the matte is %T", mustPNG(t, body))
		}
	})
	t.Run("remove.bg image_url, crop, margins, roi, bg image, shadow", func(t *testing.T) {
		res, body := post(t, tester, "/v1.0/removebg", "application/json",
			[]byte(fmt.Sprintf(`{"image_url":%q,"crop":true,"crop_margin":"10px","format":"png","size":"auto"}`, origin.URL+"/photo")))
		if res.StatusCode != 200 {
			t.Fatalf("%d %.300s", res.StatusCode, body)
		}
		if _, w, h := imageSize(t, body); w != fg["Width"]+20 || h != fg["Height"]+20 {
			t.Errorf("crop with 10px margins: %dx%d, foreground %v", w, h, fg)
		}
		// An ROI over the left half of the subject keeps that half only.
		half := fg["Left"] + fg["Width"]/2
		roi := fmt.Sprintf("%dpx 0px %dpx 100%%", fg["Left"], half)
		res, body = postParts(t, tester, "/v1.0/removebg", nil, file("image_file", photo), field("roi", roi), field("format", "png"), field("size", "auto"))
		if res.StatusCode != 200 {
			t.Fatalf("roi %s: %d %.300s", roi, res.StatusCode, body)
		}
		left, _ := strconv.Atoi(res.Header.Get("X-Foreground-Left"))
		width, _ := strconv.Atoi(res.Header.Get("X-Foreground-Width"))
		if left < fg["Left"]-2 || left+width > half+2 || width < fg["Width"]/4 {
			t.Errorf("roi %s: foreground left %d width %d", roi, left, width)
		}
		bg := solidPNG(t, 50, 40)
		res, body = postParts(t, tester, "/v1.0/removebg", nil, file("image_file", photo), file("bg_image_file", bg), field("add_shadow", "true"), field("size", "auto"))
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%d %s %.300s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		_, w, h := imageSize(t, body)
		if w != 1000 || h != 667 {
			t.Errorf("bg image result %dx%d", w, h)
		}
	})
	t.Run("rembg.com", func(t *testing.T) {
		res, body := postParts(t, tester, "/rmbg", nil, file("image", photo))
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/webp" {
			t.Fatalf("%d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		// rembg.js 1.3.1's default call (seed lines 49-76): w=0, h=0 mean unset.
		res, body = postParts(t, tester, "/rmbg", nil, file("image", photo), field("exact_resize", "false"), field("w", "0"), field("h", "0"),
			field("mask", "false"), field("return_base64", "false"), field("expand", "true"))
		if _, w, h := imageSize(t, body); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/webp" || w != 1000 || h != 667 {
			t.Fatalf("rembg.js defaults: %d %s %dx%d", res.StatusCode, res.Header.Get("Content-Type"), w, h)
		}
		// return_base64 (seed lines 49-52): rembg.js 1.3.1 base64-encodes the raw body itself into
		// data:image/png;base64,..., so the body is the image, PNG unless a format is given.
		res, body = postParts(t, tester, "/rmbg", nil, file("image", photo), field("w", "200"), field("return_base64", "true"))
		if f, w, _ := imageSize(t, body); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || f != "png" || w != 200 {
			t.Errorf("return_base64: %d %s %s w=%d", res.StatusCode, res.Header.Get("Content-Type"), f, w)
		}
		res, body = postParts(t, tester, "/rmbg", nil, file("image", photo), field("format", "png"), field("mask", "1"), field("angle", "90"), field("expand", "true"))
		if res.StatusCode != 200 {
			t.Fatalf("%d %.200s", res.StatusCode, body)
		}
		if _, w, h := imageSize(t, body); w != 667 || h != 1000 {
			t.Errorf("angle=90: %dx%d", w, h)
		}
		res, body = postParts(t, tester, "/rmbg", nil, file("image", photo), field("format", "png"), field("angle", "30"), field("expand", "false"), field("bg_color", "#ffffffff"))
		if _, w, h := imageSize(t, body); res.StatusCode != 200 || w != 1000 || h != 667 {
			t.Errorf("expand=false: %d %dx%d", res.StatusCode, w, h)
		}
		res, body = postParts(t, tester, "/rmbg", nil, file("image", photo), field("w", "300"), field("h", "300"), field("exact_resize", "true"), field("format", "png"))
		if _, w, h := imageSize(t, body); res.StatusCode != 200 || w != 300 || h != 300 {
			t.Errorf("exact_resize: %d %dx%d", res.StatusCode, w, h)
		}
	})
	t.Run("fapihub", func(t *testing.T) {
		for _, tc := range []struct {
			path  string
			parts []part
		}{
			{"/v2/rembg/", []part{field("model", "falcon")}},
			{"/v2/rembg/mask/", nil},
			{"/v2/rembg/blur/", []part{field("radius", "10")}},
			{"/v2/rembg/color/", []part{field("bgcolor", "(255, 0, 0, 255)")}},
			{"/v2/rembg/gradient/", []part{field("top_color", "(255, 255, 255)"), field("bottom_color", "(0, 0, 0)")}},
			{"/v2/rembg/shadow/", []part{field("shadow_color", "(0, 0, 0, 128)"), field("offset", "(10, 10)"), field("blur_radius", "5")}},
		} {
			res, body := postParts(t, tester, tc.path, []string{"ApiKey", "ignored-on-an-open-api"}, append([]part{file("image", photo)}, tc.parts...)...)
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("%s: %d %.200s", tc.path, res.StatusCode, body)
			}
			img := mustPNG(t, body)
			if tc.path == "/v2/rembg/color/" {
				if c := color.NRGBAModel.Convert(img.At(2, 2)).(color.NRGBA); c.R < 200 || c.A != 255 {
					t.Errorf("color background: %v", c)
				}
			}
		}
	})
	// One inference at most (none when an earlier test left the matte in
	// the shared cache).
	if n := metricValue(t, "matte_inferences_total") - inferences; n > 1 {
		t.Errorf("%v inferences for one source across every dialect, want 1", n)
	}
}

// checkZIPRecomposes checks remove.bg's ZIP against the PNG cut-out: it
// holds color.jpg and an 8-bit grayscale alpha.png with valid timestamps,
// and color x alpha gives the PNG's pixels (premultiplied, within JPEG's
// tolerance).
func checkZIPRecomposes(t *testing.T, body []byte, ref image.Image) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		if f.Modified.Year() < 2020 || f.Modified.After(time.Now().Add(time.Hour)) {
			t.Errorf("%s: timestamp %v", f.Name, f.Modified)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if len(files) != 2 || files["color.jpg"] == nil || files["alpha.png"] == nil {
		t.Fatalf("zip entries %d", len(files))
	}
	alphaImg, err := png.Decode(bytes.NewReader(files["alpha.png"]))
	if err != nil {
		t.Fatal(err)
	}
	alpha, ok := alphaImg.(*image.Gray)
	if !ok {
		t.Fatalf("alpha.png is %T, want 8-bit grayscale", alphaImg)
	}
	colour, _, err := image.Decode(bytes.NewReader(files["color.jpg"]))
	if err != nil {
		t.Fatal(err)
	}
	if colour.Bounds() != ref.Bounds() || alpha.Bounds() != ref.Bounds() {
		t.Fatalf("sizes %v %v %v", colour.Bounds(), alpha.Bounds(), ref.Bounds())
	}
	b := ref.Bounds()
	var sum, n float64
	worstAlpha := 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			want := color.NRGBAModel.Convert(ref.At(x, y)).(color.NRGBA)
			a := alpha.GrayAt(x, y).Y
			if d := int(a) - int(want.A); d > worstAlpha || -d > worstAlpha {
				worstAlpha = max(d, -d)
			}
			c := color.NRGBAModel.Convert(colour.At(x, y)).(color.NRGBA)
			for _, pair := range [][2]uint8{{c.R, want.R}, {c.G, want.G}, {c.B, want.B}} {
				got := float64(pair[0]) * float64(a) / 255
				exp := float64(pair[1]) * float64(want.A) / 255
				sum += (got - exp) * (got - exp)
				n++
			}
		}
	}
	if worstAlpha != 0 {
		t.Errorf("alpha.png differs from the PNG's alpha by up to %d", worstAlpha)
	}
	if rmse := math.Sqrt(sum / n); rmse > 4 {
		t.Errorf("premultiplied colour RMSE %.2f over JPEG's tolerance", rmse)
	} else {
		t.Logf("premultiplied colour RMSE %.2f", rmse)
	}
}

// TestAPIKeys checks keys, credits, rate limits and the account through
// the server: 403 for a missing or wrong key, 402 past the quota, 429 with
// Retry-After past the rate, errors that charge nothing, and usage that
// survives a config reload and a restart of the API (the usage file).
func TestAPIKeys(t *testing.T) {
	rt := apiRuntime()
	if rt == "" {
		t.Skip("background-removal runtime not fetched; run `make runtime`")
	}
	photo := apiPhoto(t)
	usageFile := filepath.Join(t.TempDir(), "usage", "api-usage.json")
	site := t.TempDir()
	keys := fmt.Sprintf(`api_key quota-key {
			credits 2
		}
		api_key broke-key {
			credits 0
		}
		api_key slow-key {
			rate 1
		}
		api_usage_file %s`, usageFile)
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(apiCaddyfile(site, rt, keys), "caddyfile")

	account := func(key string) (int, map[string]any) {
		t.Helper()
		res, body := get(t, tester, apiBase+"/v1.0/account", "X-Api-Key", key)
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return res.StatusCode, v
	}
	credits := func(key string) float64 {
		t.Helper()
		status, v := account(key)
		if status != 200 {
			t.Fatalf("account: %d %v", status, v)
		}
		// Exactly remove.bg's keys, at every level.
		sameKeys(t, "account", v, "data")
		data := v["data"].(map[string]any)
		sameKeys(t, "data", data, "attributes")
		attrs := data["attributes"].(map[string]any)
		sameKeys(t, "attributes", attrs, "credits", "api")
		sameKeys(t, "credits", attrs["credits"], "total", "subscription", "payg", "enterprise")
		sameKeys(t, "api", attrs["api"], "free_calls", "sizes")
		c := attrs["credits"].(map[string]any)
		if c["total"] != c["subscription"] {
			t.Fatalf("credits %v", c)
		}
		return c["total"].(float64)
	}
	removeBG := func(key string, parts ...part) (*http.Response, []byte) {
		t.Helper()
		return postParts(t, tester, "/v1.0/removebg", []string{"X-Api-Key", key}, append([]part{file("image_file", photo), field("format", "png")}, parts...)...)
	}

	t.Run("missing or wrong keys", func(t *testing.T) {
		res, body := removeBG("")
		removeBGError(t, res, body, 403, "auth_failed")
		res, body = removeBG("nope")
		removeBGError(t, res, body, 403, "auth_failed")
		if status, _ := account("nope"); status != 403 {
			t.Errorf("account with a wrong key: %d", status)
		}
		res, body = postParts(t, tester, "/rmbg", nil, file("image", photo))
		// Lines 352-354; Matte has no anonymous tier, so no key is an invalid key.
		rembgComError(t, res, body, 401, "x-api-key", "invalid api key")
		res, body = postParts(t, tester, "/rmbg", []string{"x-api-key", "nope"}, file("image", photo))
		rembgComError(t, res, body, 401, "x-api-key", "invalid api key")
		res, body = postParts(t, tester, "/v2/rembg/", []string{"ApiKey", "nope"}, file("image", photo))
		fapiHubError(t, res, body, 401, "invalid_api_key")
	})
	t.Run("insufficient credits", func(t *testing.T) {
		res, body := removeBG("broke-key")
		removeBGError(t, res, body, 402, "insufficient_credits")
		res, body = postParts(t, tester, "/rmbg", []string{"x-api-key", "broke-key"}, file("image", photo))
		// Lines 364-366: an exhausted monthly quota is a 429.
		rembgComError(t, res, body, 429, "", "You've reached your monthly limit. Consider purchasing more credits.")
		res, body = postParts(t, tester, "/v2/rembg/", []string{"ApiKey", "broke-key"}, file("image", photo))
		fapiHubError(t, res, body, 402, "insufficient_credits")
		if c := credits("broke-key"); c != 0 {
			t.Errorf("broke-key has %v", c)
		}
	})
	t.Run("credits are charged for images only", func(t *testing.T) {
		if c := credits("quota-key"); c != 2 {
			t.Fatalf("start: %v", c)
		}
		res, body := removeBG("quota-key", field("size", "full"))
		if res.StatusCode != 200 || res.Header.Get("X-Credits-Charged") != "1" {
			t.Fatalf("%d charged %q: %.200s", res.StatusCode, res.Header.Get("X-Credits-Charged"), body)
		}
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if _, err := strconv.ParseFloat(res.Header.Get(h), 64); err != nil {
				t.Errorf("%s = %q", h, res.Header.Get(h))
			}
		}
		if res.Header.Get("X-RateLimit-Limit") != "500" {
			t.Errorf("default rate limit %q", res.Header.Get("X-RateLimit-Limit"))
		}
		// Errors charge nothing.
		res, body = removeBG("quota-key", field("size", "gigantic"))
		removeBGError(t, res, body, 400, "invalid_size")
		res, body = removeBG("quota-key", field("roi", "0px 0px 1px 1px"))
		removeBGError(t, res, body, 400, "unknown_foreground")
		res, body = postParts(t, tester, "/rmbg", []string{"x-api-key", "quota-key"}, file("image", []byte("junk")))
		rembgComError(t, res, body, 400, "image", "File does not appear to be a valid image (invalid file signature)")
		if c := credits("quota-key"); c != 1 {
			t.Fatalf("after one image and three errors: %v credits left, want 1", c)
		}
		// A preview costs a quarter.
		res, _ = removeBG("quota-key", field("size", "preview"))
		if res.StatusCode != 200 || res.Header.Get("X-Credits-Charged") != "0.25" {
			t.Fatalf("preview: %d %q", res.StatusCode, res.Header.Get("X-Credits-Charged"))
		}
		if c := credits("quota-key"); c != 0.75 {
			t.Fatalf("%v credits left, want 0.75", c)
		}
		// 0.75 left: a full image does not fit; size=auto, "based on ...
		// available credits", is a preview then.
		res, body = removeBG("quota-key", field("size", "full"))
		removeBGError(t, res, body, 402, "insufficient_credits")
		res, body = removeBG("quota-key", field("size", "auto"))
		if res.StatusCode != 200 || res.Header.Get("X-Credits-Charged") != "0.25" || res.Header.Get("X-Width") != "612" {
			t.Fatalf("auto with 0.75 credits: %d charged %q, %s wide: %.200s", res.StatusCode, res.Header.Get("X-Credits-Charged"), res.Header.Get("X-Width"), body)
		}
		if c := credits("quota-key"); c != 0.5 {
			t.Fatalf("%v credits left, want 0.5", c)
		}
	})
	t.Run("rate limit answers 429 with Retry-After", func(t *testing.T) {
		res, body := removeBG("slow-key")
		if res.StatusCode != 200 || res.Header.Get("X-RateLimit-Limit") != "1" {
			t.Fatalf("%d %q %.200s", res.StatusCode, res.Header.Get("X-RateLimit-Limit"), body)
		}
		check429 := func(res *http.Response) {
			t.Helper()
			ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
			if res.StatusCode != 429 || err != nil || ra < 1 || ra > 60 {
				t.Fatalf("%d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
			}
			if res.Header.Get("X-RateLimit-Remaining") != "0" {
				t.Errorf("X-RateLimit-Remaining %q", res.Header.Get("X-RateLimit-Remaining"))
			}
		}
		res, body = removeBG("slow-key")
		removeBGError(t, res, body, 429, "rate_limit_exceeded")
		check429(res)
		res, body = postParts(t, tester, "/rmbg", []string{"x-api-key", "slow-key"}, file("image", photo))
		// Lines 358-360.
		rembgComError(t, res, body, 429, "", "You're making requests too quickly, Please Upgrade or slow down.")
		check429(res)
		res, body = postParts(t, tester, "/v2/rembg/", []string{"ApiKey", "slow-key"}, file("image", photo))
		e := fapiHubError(t, res, body, 429, "rate_limit_exceeded")
		check429(res)
		if e["retry_after"] == nil {
			t.Errorf("fapihub 429 without retry_after: %s", body)
		}
	})
	t.Run("usage file", func(t *testing.T) {
		data, err := os.ReadFile(usageFile)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("quota-key")) {
			t.Fatal("the usage file holds a key")
		}
		var f struct {
			Version int
			Keys    map[string]struct {
				Month string
				Used  float64
			}
		}
		if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
			t.Fatalf("%v: %s", err, data)
		}
		id := sha256.Sum256([]byte("quota-key"))
		if u := f.Keys[hex.EncodeToString(id[:])]; u.Used != 1.5 || u.Month != time.Now().UTC().Format("2006-01") {
			t.Fatalf("quota-key's usage %+v: %s", u, data)
		}
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(usageFile), ".*tmp"))
		if len(matches) != 0 {
			t.Errorf("temporary files left: %v", matches)
		}
	})
	t.Run("usage survives a reload and a restart", func(t *testing.T) {
		tester.InitServer(apiCaddyfile(site, rt, keys), "caddyfile")
		if c := credits("quota-key"); c != 0.5 {
			t.Fatalf("after a reload: %v", c)
		}
		// A config without the APIs drops the shared usage store; loading
		// them again reads the file.
		tester.InitServer(apiCaddyfile(site, rt, "removebg off\n\t\trembg_com off\n\t\tfapihub off"), "caddyfile")
		res, _ := get(t, tester, apiBase+"/v1.0/account", "X-Api-Key", "quota-key")
		if res.StatusCode == 200 {
			t.Fatal("removebg off still answers")
		}
		tester.InitServer(apiCaddyfile(site, rt, keys), "caddyfile")
		if c := credits("quota-key"); c != 0.5 {
			t.Fatalf("after a restart: %v", c)
		}
	})
}

func TestAPIOpenAccount(t *testing.T) {
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(t.TempDir(), "", ""), "caddyfile")
	res, body := get(t, tester, apiBase+"/prefix/v1.0/account")
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil || res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	c := v["data"].(map[string]any)["attributes"].(map[string]any)["credits"].(map[string]any)
	if c["total"].(float64) < 1e6 || c["payg"] != float64(0) {
		t.Fatalf("open API credits %v", c)
	}
}

// TestAPIBodyFieldErrors: a body refused for one of its fields (a text
// value over the 64 KiB field limit, a JSON array) names that field in the
// dialect's words: rembg.com's "field" (rembg-com-api.txt: "Use the field
// property to map errors to specific request parameters"), fapihub's
// invalid_parameter with its field (invalid_image is the image's fault).
func TestAPIBodyFieldErrors(t *testing.T) {
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(t.TempDir(), "", ""), "caddyfile")
	photo := testPhoto(t)
	long := strings.Repeat("f", 70_000)

	res, body := postParts(t, tester, "/rmbg", nil, file("image", photo), field("bg_color", long))
	rembgComError(t, res, body, 400, "bg_color", `The field "bg_color" is larger than 65536 bytes.`)
	res, body = post(t, tester, "/rmbg", "application/json", []byte(`{"w":[1]}`))
	rembgComError(t, res, body, 400, "w", `The JSON field "w" must be a string, number or boolean.`)

	res, body = postParts(t, tester, "/v2/rembg/color/", nil, file("image", photo), field("bgcolor", long))
	if e := fapiHubError(t, res, body, 400, "invalid_parameter"); e["field"] != "bgcolor" {
		t.Errorf("fapihub long bgcolor: field %v, want bgcolor: %s", e["field"], body)
	}
	res, body = post(t, tester, "/v2/rembg/blur/", "application/json", []byte(`{"radius":{"x":1}}`))
	if e := fapiHubError(t, res, body, 400, "invalid_parameter"); e["field"] != "radius" {
		t.Errorf("fapihub JSON object radius: field %v, want radius: %s", e["field"], body)
	}
}
