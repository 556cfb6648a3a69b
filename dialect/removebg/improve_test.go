package removebg

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/dialecttest"
)

// TestParseImprove: POST /v1.0/improve's fields as remove.bg's OpenAPI
// reference names them (ImprovementProgramJson/Multipart): one image
// source, image_filename, tag.
func TestParseImprove(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(fakeImage)
	ct, multi := dialecttest.MultipartBody(t, map[string]string{"tag": "batch_1_2020"}, map[string][]byte{"image_file": fakeImage})
	ctNamed, multiNamed := dialecttest.MultipartBody(t, map[string]string{"image_filename": "car.jpg"}, map[string][]byte{"image_file": fakeImage})
	cases := []struct {
		name      string
		body      *dialect.Body
		want      dialect.Submission
		code      string // the error's code, when one
		codeField string
	}{
		{"base64 with filename and tag", dialecttest.FormOf("image_file_b64", b64, "image_filename", "car.jpg", "tag", "batch_1_2020"),
			dialect.Submission{Image: dialect.Image{Data: fakeImage, Field: "image_file_b64"}, Filename: "car.jpg", Tag: "batch_1_2020"}, "", ""},
		{"url", dialecttest.FormOf("image_url", "https://www.remove.bg/example-hd.jpg"),
			dialect.Submission{Image: dialect.Image{URL: "https://www.remove.bg/example-hd.jpg", Field: "image_url"}}, "", ""},
		{"file takes its part's filename", dialecttest.MustRead(t, ct, multi),
			dialect.Submission{Image: dialect.Image{Data: fakeImage, Field: "image_file"}, Filename: "image_file.bin", Tag: "batch_1_2020"}, "", ""},
		{"image_filename wins over the part's", dialecttest.MustRead(t, ctNamed, multiNamed),
			dialect.Submission{Image: dialect.Image{Data: fakeImage, Field: "image_file"}, Filename: "car.jpg"}, "", ""},
		{"json body", dialecttest.MustRead(t, "application/json", []byte(`{"image_url":"https://www.remove.bg/example-hd.jpg","tag":"t"}`)),
			dialect.Submission{Image: dialect.Image{URL: "https://www.remove.bg/example-hd.jpg", Field: "image_url"}, Tag: "t"}, "", ""},
		{"removebg fields are ignored", dialecttest.FormOf("image_file_b64", b64, "size", "nonsense"),
			dialect.Submission{Image: dialect.Image{Data: fakeImage, Field: "image_file_b64"}}, "", ""},
		{"no image", dialecttest.FormOf("tag", "t"), dialect.Submission{}, CodeMissingSource, ""},
		{"two sources", dialecttest.FormOf("image_file_b64", b64, "image_url", "https://example.com/a.jpg"), dialect.Submission{}, CodeMultipleSources, "image_url"},
		{"bad url", dialecttest.FormOf("image_url", "ftp://example.com/a.jpg"), dialect.Submission{}, CodeInvalidImageURL, "image_url"},
		{"bad base64", dialecttest.FormOf("image_file_b64", "!!!"), dialect.Submission{}, CodeInvalidImageFileB64, "image_file_b64"},
		{"over the file limit", dialecttest.FormOf("image_file_b64", base64.StdEncoding.EncodeToString(make([]byte, 2<<20))), dialect.Submission{}, CodeFileTooLarge, "image_file_b64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, errs := ParseImprove(tc.body, 1<<20)
			if tc.code != "" {
				if s != nil {
					t.Fatalf("got %+v with errors %v", s, errs)
				}
				checkErr(t, errs, tc.code, tc.codeField)
				return
			}
			if errs != nil {
				t.Fatal(errs)
			}
			if s.Filename != tc.want.Filename || s.Tag != tc.want.Tag || s.Image.URL != tc.want.Image.URL ||
				s.Image.Field != tc.want.Image.Field || string(s.Image.Data) != string(tc.want.Image.Data) {
				t.Fatalf("got %+v, want %+v", *s, tc.want)
			}
		})
	}
}

func TestWriteImproved(t *testing.T) {
	w := httptest.NewRecorder()
	WriteImproved(w, "fe09820b-be79-4511-8836-679583529882")
	if w.Code != 200 || w.Body.String() != `{"id":"fe09820b-be79-4511-8836-679583529882"}` || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%d %q %v", w.Code, w.Body, w.Header())
	}
}
