// Package dialecttest builds request bodies for the tests of the hosted-API
// dialects.
package dialecttest

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
)

// FakeImage is JPEG-looking bytes: the parsers never decode them.
var FakeImage = []byte("\xff\xd8\xff\xe0 not decoded by the parser")

// MultipartBody builds a multipart body: fields as text parts, files as
// file parts (name -> content). It returns the Content-Type and the body.
func MultipartBody(t testing.TB, fields map[string]string, files map[string][]byte) (string, []byte) {
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

// MustRead reads body with the default limits.
func MustRead(t testing.TB, ct string, body []byte) *dialect.Body {
	t.Helper()
	b, err := dialect.ReadBody(ct, bytes.NewReader(body), dialect.Limits{})
	if err != nil {
		t.Fatalf("ReadBody(%q): %v", ct, err)
	}
	return b
}

// FormOf reads a urlencoded body of the name, value pairs kv.
func FormOf(kv ...string) *dialect.Body {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	b, err := dialect.ReadBody("application/x-www-form-urlencoded", strings.NewReader(q.Encode()), dialect.Limits{})
	if err != nil {
		panic(err)
	}
	return b
}
