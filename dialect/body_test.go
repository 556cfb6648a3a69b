package dialect_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/dialecttest"
)

func TestReadBodyEncodings(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	mct, mbody := dialecttest.MultipartBody(t, map[string]string{"size": "preview", "crop": ""}, map[string][]byte{"image_file": png})
	// The same multipart body with the boundary parameter dropped.
	bare := "multipart/form-data"
	cases := []struct {
		name, ct string
		body     []byte
		kind     dialect.Kind
	}{
		{"multipart", mct, mbody, dialect.KindMultipart},
		{"multipart without boundary", bare, mbody, dialect.KindMultipart},
		{"multipart labelled as octet-stream", "application/octet-stream", mbody, dialect.KindMultipart},
		{"form", "application/x-www-form-urlencoded", []byte("size=preview&crop=&image_file=x"), dialect.KindForm},
		{"json", "application/json", []byte(`{"size":"preview","crop":null,"image_file":"x"}`), dialect.KindJSON},
		{"json labelled as form (curl -d)", "application/x-www-form-urlencoded", []byte(` {"size":"preview"}`), dialect.KindJSON},
		{"json without content type", "", []byte(`{"size":"preview"}`), dialect.KindJSON},
		{"json with charset", "application/json; charset=utf-8", []byte(`{"size":"preview"}`), dialect.KindJSON},
		{"form without content type", "", []byte("size=preview"), dialect.KindForm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := dialecttest.MustRead(t, tc.ct, tc.body)
			if b.Kind != tc.kind {
				t.Fatalf("kind %v, want %v", b.Kind, tc.kind)
			}
			if v, ok := b.Text("size"); !ok || v != "preview" {
				t.Errorf("size = %q, %v", v, ok)
			}
			if _, ok := b.Text("crop"); ok {
				t.Error("an empty (or null) field counts as given")
			}
			if tc.kind == dialect.KindMultipart {
				f, ok := b.File("image_file")
				if !ok || !bytes.Equal(f.Data, png) {
					t.Errorf("image_file = %v, %v", f, ok)
				}
			}
		})
	}
}

func TestReadBodyValues(t *testing.T) {
	b := dialecttest.MustRead(t, "application/json", []byte(`{"crop":true,"shadow_opacity":50,"scale":"50%","semitransparency":false,"n":1.5}`))
	for name, want := range map[string]string{"crop": "true", "shadow_opacity": "50", "scale": "50%", "semitransparency": "false", "n": "1.5"} {
		if got, _ := b.Text(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// Spaces around values are ignored; the first non-empty value wins.
	b = dialecttest.MustRead(t, "application/x-www-form-urlencoded", []byte("size=+hd+&format=&format=png&format=jpg"))
	if v, _ := b.Text("size"); v != "hd" {
		t.Errorf("size %q", v)
	}
	if v, _ := b.Text("format"); v != "png" {
		t.Errorf("format %q", v)
	}
	// A file part's content is its text (curl -F image_file_b64=@file).
	ct, body := dialecttest.MultipartBody(t, nil, map[string][]byte{"image_file_b64": []byte("aGVsbG8=\n")})
	b = dialecttest.MustRead(t, ct, body)
	if v, _ := b.Text("image_file_b64"); v != "aGVsbG8=" {
		t.Errorf("file as text %q", v)
	}
	if names := b.Names(); len(names) != 1 || names[0] != "image_file_b64" {
		t.Errorf("names %v", names)
	}
	// An empty file part is given, but empty.
	ct, body = dialecttest.MultipartBody(t, nil, map[string][]byte{"image": nil})
	b = dialecttest.MustRead(t, ct, body)
	if f, ok := b.File("image"); !ok || len(f.Data) != 0 || !b.Given("image") {
		t.Errorf("empty file: %v %v", f, ok)
	}
}

func TestReadBodyErrors(t *testing.T) {
	cases := []struct {
		name, ct string
		body     string
		tooLarge bool
		field    string // the one field refused, if any
	}{
		{"malformed json", "application/json", `{"size":`, false, ""},
		{"json array", "application/json", `["size"]`, false, ""},
		{"json nested object", "application/json", `{"roi":{"x":1}}`, false, "roi"},
		{"json array member", "application/json", `{"w":[1]}`, false, "w"},
		{"json trailing data", "application/json", `{"a":"b"} {}`, false, ""},
		{"malformed form", "application/x-www-form-urlencoded", "size=%zz", false, ""},
		{"malformed multipart", "multipart/form-data; boundary=xyz", "--xyz\r\nbroken", false, ""},
		{"multipart without any boundary", "multipart/form-data", "no boundary here", false, ""},
		{"too large", "application/x-www-form-urlencoded", "a=" + strings.Repeat("x", 100), true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialect.ReadBody(tc.ct, strings.NewReader(tc.body), dialect.Limits{MaxBytes: 64})
			var be *dialect.BodyError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *dialect.BodyError", err)
			}
			if be.TooLarge != tc.tooLarge {
				t.Fatalf("TooLarge %v", be.TooLarge)
			}
			if be.Field != tc.field {
				t.Fatalf("Field %q, want %q", be.Field, tc.field)
			}
		})
	}
	// Too many fields.
	_, err := dialect.ReadBody("application/x-www-form-urlencoded", strings.NewReader("a=1&b=2&c=3"), dialect.Limits{MaxParts: 2})
	if err == nil {
		t.Fatal("want an error past MaxParts")
	}
	// http.MaxBytesReader's error counts as too large.
	rec := httptest.NewRecorder()
	r := http.MaxBytesReader(rec, ioNopCloser{strings.NewReader(strings.Repeat("x", 100))}, 10)
	_, err = dialect.ReadBody("", r, dialect.Limits{})
	var be *dialect.BodyError
	if !errors.As(err, &be) || !be.TooLarge {
		t.Fatalf("MaxBytesReader: %v", err)
	}
}

type ioNopCloser struct{ *strings.Reader }

func (ioNopCloser) Close() error { return nil }

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, "1": true, "false": false, "False": false, "0": false, " 1 ": true} {
		got, err := dialect.ParseBool(in)
		if err != nil || got != want {
			t.Errorf("dialect.ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"yes", "no", "2", "", "t", "on"} {
		if _, err := dialect.ParseBool(in); err == nil {
			t.Errorf("dialect.ParseBool(%q) accepted", in)
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
		got, err := dialect.DecodeBase64(in)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	for _, in := range []string{"", "   ", "data:image/png;base64", "not base64!", "a", "data:,"} {
		if _, err := dialect.DecodeBase64(in); err == nil {
			t.Errorf("dialect.DecodeBase64(%q) accepted", in)
		}
	}
}

// repeatReader is head followed by unit repeated up to n bytes in all,
// made as it is read, counting what was read.
type repeatReader struct {
	head, unit []byte
	n, read    int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	i := 0
	for ; i < len(p) && r.read < r.n; i++ {
		if r.read < int64(len(r.head)) {
			p[i] = r.head[r.read]
		} else {
			p[i] = r.unit[(r.read-int64(len(r.head)))%int64(len(r.unit))]
		}
		r.read++
	}
	return i, nil
}

// TestReadBodyStreams pins the bounds of issue 16's JSON amplification: a
// body is walked as it arrives and refused at the first thing that is not
// allowed, however much of it follows.
func TestReadBodyStreams(t *testing.T) {
	const huge = 100 << 20
	for _, tc := range []struct {
		name, ct, head, unit string
	}{
		{"json array member", "application/json", `{"x":[`, "0,"},
		{"json object member", "application/json", `{"image_url":"https://e.com/a.jpg","x":{`, `"a":0,`},
		{"json nested arrays", "", `{"x":`, "["},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &repeatReader{head: []byte(tc.head), unit: []byte(tc.unit), n: huge}
			_, err := dialect.ReadBody(tc.ct, r, dialect.Limits{MaxBytes: 2 * huge})
			var be *dialect.BodyError
			if !errors.As(err, &be) || be.TooLarge || !strings.Contains(be.Msg, `"x" must be a string, number or boolean`) {
				t.Fatalf("got %v", err)
			}
			if r.read > 256<<10 {
				t.Fatalf("read %d bytes of a refused body, want at most the sniffing buffer", r.read)
			}
		})
	}
	// A body over MaxBytes is refused once MaxBytes+1 bytes are read.
	r := &repeatReader{head: []byte(`{"image_file_b64":"`), unit: []byte("QUJD"), n: huge}
	_, err := dialect.ReadBody("application/json", r, dialect.Limits{MaxBytes: 1 << 20})
	var be *dialect.BodyError
	if !errors.As(err, &be) || !be.TooLarge || r.read > 1<<20+64<<10 {
		t.Fatalf("over MaxBytes: %v after %d bytes", err, r.read)
	}
	// A form, read whole before it is split, stops at MaxBytes too.
	r = &repeatReader{unit: []byte("a=1&"), n: huge}
	_, err = dialect.ReadBody("", r, dialect.Limits{MaxBytes: 1 << 20, MaxParts: 10})
	if !errors.As(err, &be) || !be.TooLarge || r.read > 1<<20+64<<10 {
		t.Fatalf("large form: %v after %d bytes", err, r.read)
	}
}

func TestReadBodyFieldLimit(t *testing.T) {
	lim := dialect.Limits{MaxFieldBytes: 8, LargeFields: []string{"image"}}
	long := strings.Repeat("x", 9)
	ct, body := dialecttest.MultipartBody(t, map[string]string{"image": long}, map[string][]byte{"file": []byte(long)})
	for _, tc := range []struct {
		name, ct, body string
		ok             bool
		field          string // the BodyError's Field
	}{
		{"json value", "application/json", `{"size":"` + long + `"}`, false, "size"},
		{"json large field", "application/json", `{"image":"` + long + `"}`, true, ""},
		{"json number", "application/json", `{"n":1234567890}`, false, "n"},
		{"form value", "", "size=" + long, false, "size"},
		{"form large field", "", "image=" + long, true, ""},
		{"multipart text part", "", "", false, "size"},
		{"multipart large field and file part", ct, string(body), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "multipart text part" {
				tc.ct, tc.body = func() (string, string) {
					ct, b := dialecttest.MultipartBody(t, map[string]string{"size": long}, nil)
					return ct, string(b)
				}()
			}
			_, err := dialect.ReadBody(tc.ct, strings.NewReader(tc.body), lim)
			if tc.ok != (err == nil) {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "larger than 8 bytes") {
				t.Fatalf("message %q", err)
			}
			if be := (*dialect.BodyError)(nil); err != nil && !errors.As(err, &be) {
				t.Fatalf("got %v, want a *dialect.BodyError", err)
			} else if err != nil && be.Field != tc.field {
				t.Fatalf("%v: Field %q, want %q", err, be.Field, tc.field)
			}
		})
	}
}

func TestReadBodyJSONKeys(t *testing.T) {
	// A key given twice: the last one wins, and null unsets.
	b := dialecttest.MustRead(t, "application/json", []byte(`{"size":"hd","size":"preview","crop":"true","crop":null}`))
	if v, _ := b.Text("size"); v != "preview" {
		t.Errorf("size %q", v)
	}
	if b.Given("crop") {
		t.Error("a null after a value leaves the field set")
	}
	// Past MaxParts distinct keys.
	if _, err := dialect.ReadBody("application/json", strings.NewReader(`{"a":1,"b":2,"c":3}`), dialect.Limits{MaxParts: 2}); err == nil {
		t.Fatal("want an error past MaxParts")
	}
}

type timeoutReader struct{}

func (timeoutReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

func TestReadBodyTimeout(t *testing.T) {
	_, err := dialect.ReadBody("application/json", io.MultiReader(strings.NewReader(`{"size":`), timeoutReader{}), dialect.Limits{})
	var be *dialect.BodyError
	if !errors.As(err, &be) || !be.Timeout || be.TooLarge || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %#v", err)
	}
}
