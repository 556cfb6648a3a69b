package caddymodule_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// The conformance tables (conformance_<dialect>_test.go) hold one case per
// documented example request and per row of each error reference in
// ../shared/seeds/, each citing its file and lines. They run through the
// real server, configured as confCaddyfile says, in table order (the rate
// cases spend a key's budget first).

// confCase is one documented request and the answer the docs give it.
type confCase struct {
	seed   string // "rembg-com-api.txt:301-303": where the docs say it
	name   string
	method string // default POST
	path   string
	query  string
	key    string // the API key, sent in the dialect's header ("" none)
	header []string
	parts  []confPart // a multipart/form-data body
	ctype  string     // or a raw body of this type
	body   string

	status int
	// headers are expected response headers: the exact value, a prefix
	// when it ends in "*", or present with any value when it is "*".
	headers map[string]string
	// json is the expected body: "*" in a string matches any non-empty
	// string, "#" any number; objects must have exactly the keys given.
	json string
	// image is the expected Content-Type of an image answer instead.
	image string
	model bool   // needs the segmentation model
	skip  string // why the row cannot occur in Matte (the README says so too)
}

// confPart is one multipart part: a file when filename is set or data is
// not nil, else a text field.
type confPart struct {
	name, filename string
	data           []byte
	text           string
}

func text(name, value string) confPart { return confPart{name: name, text: value} }

func upload(name, filename string, data []byte) confPart {
	if data == nil {
		data = []byte{}
	}
	return confPart{name: name, filename: filename, data: data}
}

// confCaddyfile is the conformance server: all three dialects at the site
// root with the default limits (remove.bg's 12 MB, rembg.com's 50 MB),
// max_source_megapixels 30 (so that the docs' 12000 px examples reach the
// dialect's own check), keys for the auth, quota and rate rows, and dir
// served (it holds photo.jpg for image_url).
func confCaddyfile(dir, rt string) string {
	rembg := "rembg off"
	if rt != "" {
		rembg = fmt.Sprintf("rembg {\n\t\t\truntime %s/lib/libonnxruntime.so\n\t\t\tmodels_dir %s/models\n\t\t}", rt, rt)
	}
	return globalOptions + fmt.Sprintf(`
http://localhost:9080 {
	root * %[1]s
	matte {
		max_source_megapixels 30
		timeout 2m
		%[2]s
		origin {
			allow_hosts localhost 127.0.0.1
			allow_loopback_remote
		}
		removebg
		rembg_com
		fapihub
		api_key good {
			credits 1000
		}
		api_key broke {
			credits 0
		}
		api_key half-credit {
			credits 0.5
		}
		api_key slow-removebg {
			rate 1
		}
		api_key slow-rembgcom {
			rate 1
		}
		api_key slow-fapihub {
			rate 1
		}
		api_usage_file %[1]s/usage.json
		api_improve_dir %[1]s/improve
	}
	file_server
}`, dir, rembg)
}

// confServer starts the conformance server; model reports whether it
// runs the segmentation model.
func confServer(t *testing.T) (tester *caddytest.Tester, photo []byte, model bool) {
	t.Helper()
	rt := apiRuntime()
	photo = apiPhoto(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "photo.jpg"), photo, 0o600); err != nil {
		t.Fatal(err)
	}
	tester = caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 3 * time.Minute})
	tester.InitServer(confCaddyfile(dir, rt), "caddyfile")
	return tester, photo, rt != ""
}

// runConformance runs cases in order against tester, the key in keyHeader.
func runConformance(t *testing.T, tester *caddytest.Tester, keyHeader string, model bool, cases []confCase) {
	for _, tc := range cases {
		t.Run(tc.seed+" "+tc.name, func(t *testing.T) {
			switch {
			case tc.skip != "":
				t.Skip(tc.skip)
			case tc.model && !model:
				t.Skip("needs the background-removal runtime; run `make runtime`")
			}
			res, body := confDo(t, tester, keyHeader, tc)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, tc.status, body)
			}
			for k, want := range tc.headers {
				got := res.Header.Get(k)
				ok := got == want
				switch {
				case want == "*":
					ok = got != ""
				case strings.HasSuffix(want, "*"):
					ok = strings.HasPrefix(got, strings.TrimSuffix(want, "*"))
				}
				if !ok {
					t.Errorf("header %s: %q, want %q", k, got, want)
				}
			}
			switch {
			case tc.image != "":
				if ct := res.Header.Get("Content-Type"); ct != tc.image || http.DetectContentType(body) != tc.image && tc.image != "application/zip" {
					t.Errorf("Content-Type %q (bytes look like %s), want %s", ct, http.DetectContentType(body), tc.image)
				}
			case tc.json != "":
				var want, got any
				if err := json.Unmarshal([]byte(tc.json), &want); err != nil {
					t.Fatalf("the case's json: %v", err)
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("body is not JSON (%v): %.300s", err, body)
				}
				if where := jsonMismatch("", want, got); where != "" {
					t.Errorf("body differs at %s:\n got %s\nwant %s", where, body, tc.json)
				}
			}
		})
	}
}

// confDo sends tc's request.
func confDo(t *testing.T, tester *caddytest.Tester, keyHeader string, tc confCase) (*http.Response, []byte) {
	t.Helper()
	method := tc.method
	if method == "" {
		method = http.MethodPost
	}
	ctype, body := tc.ctype, []byte(tc.body)
	if tc.parts != nil {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range tc.parts {
			if p.data == nil && p.filename == "" {
				mw.WriteField(p.name, p.text)
				continue
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
			h.Set("Content-Type", "application/octet-stream")
			w, err := mw.CreatePart(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(p.data)
		}
		mw.Close()
		ctype, body = mw.FormDataContentType(), buf.Bytes()
	}
	target := apiBase + tc.path
	if tc.query != "" {
		target += "?" + tc.query
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tc.key != "" {
		req.Header.Set(keyHeader, tc.key)
	}
	for i := 0; i+1 < len(tc.header); i += 2 {
		req.Header.Set(tc.header[i], tc.header[i+1])
	}
	res, err := tester.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, tc.path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, out
}

// jsonMismatch is the path where got differs from want ("" when it
// matches), with want's "*" and "#" wildcards.
func jsonMismatch(path string, want, got any) string {
	switch w := want.(type) {
	case string:
		switch w {
		case "*":
			if s, ok := got.(string); ok && s != "" {
				return ""
			}
			return path
		case "#":
			if _, ok := got.(float64); ok {
				return ""
			}
			return path
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return path + " (keys)"
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				return path + "." + k + " (missing)"
			}
			if where := jsonMismatch(path+"."+k, v, gv); where != "" {
				return where
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path + " (length)"
		}
		for i := range w {
			if where := jsonMismatch(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); where != "" {
				return where
			}
		}
		return ""
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return path
	}
	return ""
}

// TestConformance runs the three dialects' tables on one server.
func TestConformance(t *testing.T) {
	tester, photo, model := confServer(t)
	t.Run("removebg", func(t *testing.T) { runConformance(t, tester, "X-Api-Key", model, removeBGCases(photo)) })
	t.Run("rembgcom", func(t *testing.T) { runConformance(t, tester, "x-api-key", model, rembgComCases(t, photo)) })
	t.Run("fapihub", func(t *testing.T) { runConformance(t, tester, "ApiKey", model, fapiHubCases(photo)) })
}

// TestAPIUnknownPaths: a path under an API's configured prefix, or (with
// no prefix) under remove.bg's /v1.0/ or fapihub's /v2/rembg/, that names
// no route is that API's 404 in its own error shape; paths outside them
// pass on to the site (issue 12).
func TestAPIUnknownPaths(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"hello.txt": []byte("hello"), "v1/hello.txt": []byte("hello"),
		"v1.0/hello.txt": []byte("hello"), "v1.0/sub/hello.txt": []byte("hello")})
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(dir, "", "rembg_com /rc max_file 300KB\n\t\tfapihub /fh"), "caddyfile")
	for _, tc := range []struct {
		method, path string
		status       int
		json         string
	}{
		{"POST", "/v1.0/removebgx", 404, `{"errors":[{"title":"Not found","code":"not_found","detail":"No such endpoint: \"/v1.0/removebgx\"."}]}`},
		{"GET", "/v1.0/", 404, `{"errors":[{"title":"Not found","code":"not_found","detail":"No such endpoint: \"/v1.0/\"."}]}`},
		{"GET", "/api/v1.0/accounts", 404, `{"errors":[{"title":"Not found","code":"not_found","detail":"No such endpoint: \"/api/v1.0/accounts\"."}]}`},
		{"POST", "/rc/rmbgx", 404, `{"error":"No such endpoint: \"/rc/rmbgx\".","field":"","status":404}`},
		{"GET", "/rc/api/membership", 404, `{"error":"No such endpoint: \"/rc/api/membership\".","field":"","status":404}`},
		{"POST", "/fh/v2/rembg/blurry/", 404, `{"error":{"code":"not_found","message":"No such endpoint: \"/fh/v2/rembg/blurry/\".","request_id":"*"}}`},
		{"GET", "/fh/", 404, `{"error":{"code":"not_found","message":"No such endpoint: \"/fh/\".","request_id":"*"}}`},
		// A route with or without a trailing slash (the APIs are open
		// here: no api_key; the POSTs carry no image).
		{"POST", "/rc/rmbg/", 400, `{"error":"No image file provided. Please include an 'image' field in your form data.","field":"image","status":400}`},
		{"GET", "/v1.0/account/", 200, `{"data":{"attributes":{"credits":{"total":"#","subscription":"#","payg":0,"enterprise":0},"api":{"free_calls":0,"sizes":"all"}}}}`},
		{"POST", "/fh/v2/rembg", 400, `{"error":{"code":"invalid_image","message":"No image provided: send the image file in the field image.","field":"image","request_id":"*"}}`},
		// Outside every prefix and namespace: the site's own files, also
		// a file or a folder below a namespace.
		{"GET", "/hello.txt", 200, ""},
		{"GET", "/v1.0/hello.txt", 200, ""},
		{"GET", "/v1.0/sub/hello.txt", 200, ""},
		{"GET", "/v1/hello.txt", 200, ""},
		{"GET", "/rcx/hello.txt", 404, ""},
	} {
		res, body := confDo(t, tester, "", confCase{method: tc.method, path: tc.path})
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d: %.200s", tc.method, tc.path, res.StatusCode, tc.status, body)
			continue
		}
		if tc.json == "" {
			if tc.status == 404 && len(body) != 0 && json.Valid(body) {
				t.Errorf("%s %s: the site's 404 is an API's: %s", tc.method, tc.path, body)
			}
			continue
		}
		var want, got any
		json.Unmarshal([]byte(tc.json), &want)
		if err := json.Unmarshal(body, &got); err != nil || jsonMismatch("", want, got) != "" {
			t.Errorf("%s %s: %s, want %s", tc.method, tc.path, body, tc.json)
		}
	}
	// max_file 300KB replaces rembg.com's documented 50 MB, in its message too.
	runConformance(t, tester, "x-api-key", true, []confCase{{seed: "rembg-com-api.txt:316-318", name: "max_file", path: "/rc/rmbg",
		parts: []confPart{upload("image", "a.png", make([]byte, 550_000))}, status: 400,
		json: `{"error":"File size (0.5 MB) exceeds the maximum allowed size of 0.3 MB.","field":"image","status":400}`}})
	// No model on this server: a processing failure is fapihub's
	// server_error.
	runConformance(t, tester, "ApiKey", true, []confCase{{seed: "fapihub-removebg-api.txt:361", name: "server_error", path: "/fh/v2/rembg/",
		parts: []confPart{upload("image", "p.png", solidPNG(nil, 8, 8))}, status: 500,
		json: `{"error":{"code":"server_error","message":"Background removal is not available on this server.","request_id":"*"}}`}})
}

// jsonString is s as a JSON string literal.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa(n int) string { return fmt.Sprint(n) }
