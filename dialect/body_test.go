package dialect

import (
	"bytes"
	"encoding/base64"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// multipartBody builds a multipart body: fields as text parts, files as
// file parts (name -> content).
func multipartBody(t testing.TB, fields map[string]string, files map[string][]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range files {
		w, err := mw.CreateFormFile(k, k+".bin")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(v)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func mustRead(t testing.TB, ct string, body []byte) *Body {
	t.Helper()
	b, err := ReadBody(ct, bytes.NewReader(body), Limits{})
	if err != nil {
		t.Fatalf("ReadBody(%q): %v", ct, err)
	}
	return b
}

func TestReadBodyEncodings(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	mct, mbody := multipartBody(t, map[string]string{"size": "preview", "crop": ""}, map[string][]byte{"image_file": png})
	// The same multipart body with the boundary parameter dropped.
	bare := "multipart/form-data"
	cases := []struct {
		name, ct string
		body     []byte
		kind     Kind
	}{
		{"multipart", mct, mbody, KindMultipart},
		{"multipart without boundary", bare, mbody, KindMultipart},
		{"multipart labelled as octet-stream", "application/octet-stream", mbody, KindMultipart},
		{"form", "application/x-www-form-urlencoded", []byte("size=preview&crop=&image_file=x"), KindForm},
		{"json", "application/json", []byte(`{"size":"preview","crop":null,"image_file":"x"}`), KindJSON},
		{"json labelled as form (curl -d)", "application/x-www-form-urlencoded", []byte(` {"size":"preview"}`), KindJSON},
		{"json without content type", "", []byte(`{"size":"preview"}`), KindJSON},
		{"json with charset", "application/json; charset=utf-8", []byte(`{"size":"preview"}`), KindJSON},
		{"form without content type", "", []byte("size=preview"), KindForm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := mustRead(t, tc.ct, tc.body)
			if b.Kind != tc.kind {
				t.Fatalf("kind %v, want %v", b.Kind, tc.kind)
			}
			if v, ok := b.Text("size"); !ok || v != "preview" {
				t.Errorf("size = %q, %v", v, ok)
			}
			if _, ok := b.Text("crop"); ok {
				t.Error("an empty (or null) field counts as given")
			}
			if tc.kind == KindMultipart {
				f, ok := b.File("image_file")
				if !ok || !bytes.Equal(f.Data, png) {
					t.Errorf("image_file = %v, %v", f, ok)
				}
			}
		})
	}
}

func TestReadBodyValues(t *testing.T) {
	b := mustRead(t, "application/json", []byte(`{"crop":true,"shadow_opacity":50,"scale":"50%","semitransparency":false,"n":1.5}`))
	for name, want := range map[string]string{"crop": "true", "shadow_opacity": "50", "scale": "50%", "semitransparency": "false", "n": "1.5"} {
		if got, _ := b.Text(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// Spaces around values are ignored; the first non-empty value wins.
	b = mustRead(t, "application/x-www-form-urlencoded", []byte("size=+hd+&format=&format=png&format=jpg"))
	if v, _ := b.Text("size"); v != "hd" {
		t.Errorf("size %q", v)
	}
	if v, _ := b.Text("format"); v != "png" {
		t.Errorf("format %q", v)
	}
	// A file part's content is its text (curl -F image_file_b64=@file).
	ct, body := multipartBody(t, nil, map[string][]byte{"image_file_b64": []byte("aGVsbG8=\n")})
	b = mustRead(t, ct, body)
	if v, _ := b.Text("image_file_b64"); v != "aGVsbG8=" {
		t.Errorf("file as text %q", v)
	}
	if names := b.Names(); len(names) != 1 || names[0] != "image_file_b64" {
		t.Errorf("names %v", names)
	}
	// An empty file part is given, but empty.
	ct, body = multipartBody(t, nil, map[string][]byte{"image": nil})
	b = mustRead(t, ct, body)
	if f, ok := b.File("image"); !ok || len(f.Data) != 0 || !b.Given("image") {
		t.Errorf("empty file: %v %v", f, ok)
	}
}

func TestReadBodyErrors(t *testing.T) {
	cases := []struct {
		name, ct string
		body     string
		tooLarge bool
	}{
		{"malformed json", "application/json", `{"size":`, false},
		{"json array", "application/json", `["size"]`, false},
		{"json nested object", "application/json", `{"roi":{"x":1}}`, false},
		{"json trailing data", "application/json", `{"a":"b"} {}`, false},
		{"malformed form", "application/x-www-form-urlencoded", "size=%zz", false},
		{"malformed multipart", "multipart/form-data; boundary=xyz", "--xyz\r\nbroken", false},
		{"multipart without any boundary", "multipart/form-data", "no boundary here", false},
		{"too large", "application/x-www-form-urlencoded", "a=" + strings.Repeat("x", 100), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadBody(tc.ct, strings.NewReader(tc.body), Limits{MaxBytes: 64})
			var be *BodyError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *BodyError", err)
			}
			if be.TooLarge != tc.tooLarge {
				t.Fatalf("TooLarge %v", be.TooLarge)
			}
		})
	}
	// Too many fields.
	_, err := ReadBody("application/x-www-form-urlencoded", strings.NewReader("a=1&b=2&c=3"), Limits{MaxParts: 2})
	if err == nil {
		t.Fatal("want an error past MaxParts")
	}
	// http.MaxBytesReader's error counts as too large.
	rec := httptest.NewRecorder()
	r := http.MaxBytesReader(rec, ioNopCloser{strings.NewReader(strings.Repeat("x", 100))}, 10)
	_, err = ReadBody("", r, Limits{})
	var be *BodyError
	if !errors.As(err, &be) || !be.TooLarge {
		t.Fatalf("MaxBytesReader: %v", err)
	}
}

type ioNopCloser struct{ *strings.Reader }

func (ioNopCloser) Close() error { return nil }

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, "1": true, "false": false, "False": false, "0": false, " 1 ": true} {
		got, err := ParseBool(in)
		if err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"yes", "no", "2", "", "t", "on"} {
		if _, err := ParseBool(in); err == nil {
			t.Errorf("ParseBool(%q) accepted", in)
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	data := []byte("\xff\xd8\xff\xe0 some jpeg bytes \x00\x01\xfez") // 25 bytes: padded
	std := base64.StdEncoding.EncodeToString(data)
	cases := map[string]string{
		"standard":       std,
		"raw":            base64.RawStdEncoding.EncodeToString(data),
		"url-safe":       base64.URLEncoding.EncodeToString(data),
		"raw url-safe":   base64.RawURLEncoding.EncodeToString(data),
		"data url":       "data:image/jpeg;base64," + std,
		"line breaks":    std[:10] + "\r\n" + std[10:20] + "\n " + std[20:],
		"outer spaces":   "  " + std + "\n",
		"mime data url":  "data:application/octet-stream;base64," + base64.RawURLEncoding.EncodeToString(data),
		"padding spaces": std[:len(std)-1] + " =",
	}
	for name, in := range cases {
		got, err := DecodeBase64(in)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	for _, in := range []string{"", "   ", "data:image/png;base64", "not base64!", "a", "data:,"} {
		if _, err := DecodeBase64(in); err == nil {
			t.Errorf("DecodeBase64(%q) accepted", in)
		}
	}
}

func TestSizeBox(t *testing.T) {
	cases := []struct {
		w, h int
		mp   float64
		bw   int
		bh   int
	}{
		{4000, 3000, 0.25, 577, 433},
		{4000, 3000, 25, 4000, 3000},
		{4000, 3000, 0, 4000, 3000},
		{500, 500, 0.25, 500, 500},
		{1000, 1000, 0.25, 500, 500},
		{10000, 1, 0.001, 1000, 1},
	}
	for _, tc := range cases {
		bw, bh := SizeBox(tc.w, tc.h, tc.mp)
		if bw != tc.bw || bh != tc.bh {
			t.Errorf("SizeBox(%d, %d, %v) = %dx%d, want %dx%d", tc.w, tc.h, tc.mp, bw, bh, tc.bw, tc.bh)
		}
		if tc.mp > 0 && float64(bw*bh) > tc.mp*1e6+1 {
			t.Errorf("over the cap: %dx%d", bw, bh)
		}
	}
}

func TestParseTupleColor(t *testing.T) {
	cases := map[string][4]uint8{
		"(255, 0, 0, 128)":   {255, 0, 0, 128},
		"(0, 255, 0)":        {0, 255, 0, 255},
		"[1,2,3,4]":          {1, 2, 3, 4},
		"10, 20, 30":         {10, 20, 30, 255},
		"(255, 255, 255, 0)": {0, 0, 0, 0},
		"(0, 0, 255, 0.5)":   {0, 0, 255, 128},
		"ff0000":             {255, 0, 0, 255},
		"#00ff0080":          {0, 255, 0, 128},
		"white":              {255, 255, 255, 255},
	}
	for in, want := range cases {
		c, ok := ParseTupleColor(in)
		if !ok || [4]uint8{c.R, c.G, c.B, c.A} != want || !c.Set {
			t.Errorf("ParseTupleColor(%q) = %+v, %v; want %v", in, c, ok, want)
		}
	}
	for _, in := range []string{"(256, 0, 0)", "(1, 2)", "(1,2,3,4,5)", "(-1, 0, 0)", "(a, b, c)", "(0, 0, 0, 1.5)", "nope"} {
		if _, ok := ParseTupleColor(in); ok {
			t.Errorf("ParseTupleColor(%q) accepted", in)
		}
	}
}

// formOf builds a urlencoded body for the table tests.
func formOf(kv ...string) *Body {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	b, err := ReadBody("application/x-www-form-urlencoded", strings.NewReader(q.Encode()), Limits{})
	if err != nil {
		panic(err)
	}
	return b
}
