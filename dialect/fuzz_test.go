package dialect_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/fapihub"
	"github.com/jebosio/matte/dialect/internal/dialecttest"
	"github.com/jebosio/matte/dialect/rembgcom"
	"github.com/jebosio/matte/dialect/removebg"
	"github.com/jebosio/matte/params"
)

// parseAll runs every dialect's parser over b and checks what they return:
// no panic, errors that say something, and a usable request otherwise.
func parseAll(t *testing.T, b *dialect.Body) {
	checkErrs := func(who string, errs params.Errors) {
		for _, e := range errs {
			if e == nil || e.Status < 400 || e.Status > 599 || e.Code == "" || e.Detail == "" {
				t.Fatalf("%s: bad error %+v", who, e)
			}
		}
	}
	r, errs := removebg.Parse(b, 1<<20)
	checkErrs("remove.bg", errs)
	if errs == nil {
		if !r.Params.Removal.Enabled || len(r.Source.Data) == 0 && r.Source.URL == "" {
			t.Fatalf("remove.bg: accepted without a source: %+v", r)
		}
		_ = r.OutputFormat()
		_, _ = r.Extras(640, 480, nil)
		_ = r.XType()
	}
	c, errs := rembgcom.Parse(b, 1<<20)
	checkErrs("rembg.com", errs)
	if errs == nil && (len(c.Source.Data) == 0 || c.Params.Rotate < 0 || c.Params.Rotate >= 360) {
		t.Fatalf("rembg.com: %+v", c)
	}
	for _, ep := range []string{fapihub.Remove, fapihub.Mask, fapihub.Blur, fapihub.Color, fapihub.Gradient, fapihub.Shadow} {
		f, errs := fapihub.Parse(ep, b, 1<<20)
		checkErrs("fapihub "+ep, errs)
		if errs == nil && len(f.Source.Data) == 0 {
			t.Fatalf("fapihub %s: no source: %+v", ep, f)
		}
	}
}

func FuzzMultipart(f *testing.F) {
	ct, body := dialecttest.MultipartBody(f, map[string]string{"size": "preview", "roi": "0% 0% 50% 50%", "crop_margin": "10px 5%"}, map[string][]byte{"image_file": dialecttest.FakeImage, "image": dialecttest.FakeImage})
	f.Add(body, ct)
	f.Add(body, "multipart/form-data")
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\n\xff\xd8\r\n--x--\r\n"), "multipart/form-data; boundary=x")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		b, err := dialect.ReadBody(contentType, bytes.NewReader(data), dialect.Limits{MaxBytes: 1 << 20, MaxParts: 64})
		if err != nil {
			return
		}
		parseAll(t, b)
	})
}

func FuzzForm(f *testing.F) {
	f.Add("image_url=https%3A%2F%2Fe.com%2Fa.jpg&size=hd&format=zip&position=10%25+90%25")
	f.Add("image_file_b64=%2F9j%2F4A%3D%3D&bg_color=81d4fa77&scale=50%25&shadow_type=car")
	f.Add("image=%2F9j%2F4A&w=100&h=100&exact_resize=1&angle=-30&expand=0")
	f.Fuzz(func(t *testing.T, data string) {
		b, err := dialect.ReadBody("application/x-www-form-urlencoded", strings.NewReader(data), dialect.Limits{MaxBytes: 1 << 20, MaxParts: 64})
		if err != nil {
			return
		}
		parseAll(t, b)
	})
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"image_url":"https://e.com/a.jpg","crop":true,"crop_margin":"10%","shadow_opacity":40}`))
	f.Add([]byte(`{"image_file_b64":"/9j/4A==","roi":"10px 10px 20px 20px","size":null,"semitransparency":0}`))
	f.Add([]byte(`{"image":"data:image/png;base64,iVBORw0K","bgcolor":"(1, 2, 3, 4)","radius":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := dialect.ReadBody("application/json", bytes.NewReader(data), dialect.Limits{MaxBytes: 1 << 20, MaxParts: 64})
		if err != nil {
			return
		}
		parseAll(t, b)
	})
}

func FuzzBase64(f *testing.F) {
	f.Add("/9j/4AAQSkZJRg==", []byte("\xff\xd8\xff"))
	f.Add("data:image/png;base64,iVBO Rw0K\r\nGgo", []byte{})
	f.Add("-_-_", []byte("\xfb\xff\xbf"))
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		if got, err := dialect.DecodeBase64(s); err == nil && len(got) == 0 {
			t.Fatalf("dialect.DecodeBase64(%q) gave nothing without an error", s)
		}
		if len(raw) == 0 {
			return
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			text := enc.EncodeToString(raw)
			for _, in := range []string{text, "data:image/jpeg;base64," + text, " " + text + "\n"} {
				got, err := dialect.DecodeBase64(in)
				if err != nil || !bytes.Equal(got, raw) {
					t.Fatalf("dialect.DecodeBase64(%q) = %x, %v; want %x", in, got, err, raw)
				}
			}
		}
	})
}
