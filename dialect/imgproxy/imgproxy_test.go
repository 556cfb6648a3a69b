package imgproxy_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/imgproxy"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

func mustNew(t testing.TB, key, salt string) *imgproxy.Dialect {
	d, err := imgproxy.New(key, salt)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParse(t *testing.T) {
	curiosity := "http://example.com/images/curiosity.jpg"
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		// docs.imgproxy.net "Signing a URL": the unsigned example URL.
		"/insecure/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png": dialect.ImageURL{Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDown, Crop: params.CropAttention, Format: params.FormatPNG}, Source: curiosity},
		// "Generating the URL": the plain source form.
		"/insecure/rs:fill:300:400:0/g:sm/plain/http:%2F%2Fexample.com%2Fimages%2Fcuriosity.jpg@png": dialect.ImageURL{Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDown, Crop: params.CropAttention, Format: params.FormatPNG}, Source: curiosity},
		"/_/plain/http://example.com/images/curiosity.jpg":                                           dialect.ImageURL{Source: curiosity},
		// g:obj:face (Pro's object gravity, class face): the crop centred on the faces found, attention (sm) where there are none.
		"/insecure/rs:fill:300:400/g:obj:face/plain//a.jpg":              {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDown, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}, Source: "/a.jpg"},
		"/insecure/rs:fill:300:400:1/g:obj:face/plain//a.jpg":            {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCrop, Crop: params.CropAttention, Faces: params.Faces{Crop: true}}, Source: "/a.jpg"},
		"/insecure/c:100:100:ce/rs:fill:50:50/g:obj:face/plain//a.jpg":   {Params: params.Params{Width: 50, Height: 50, Fit: params.FitCropDown, Crop: params.CropAttention, Faces: params.Faces{Crop: true}, Region: params.Region{W: 100, H: 100}}, Source: "/a.jpg"},
		"/insecure/rs:fit:300:400/g:obj:face/plain//a.jpg":               {Params: params.Params{Width: 300, Height: 400, Fit: params.FitMax}, Source: "/a.jpg"}, // fitted: nothing is cut
		"/insecure/rs:fill:300:400/g:obj/plain//a.jpg":                   {Params: params.Params{Width: 300, Height: 400, Fit: params.FitCropDown, Crop: params.CropAttention}, Source: "/a.jpg"},
		"/insecure/resize:fit:300:200:1/plain/local:///img/a.jpg":        dialect.ImageURL{Params: params.Params{Width: 300, Height: 200}, Source: "/img/a.jpg"},
		"/insecure/w:300/h:200/el:1/rt:fill/g:nowe/plain//img/a.jpg?v=1": dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitCrop, Crop: params.CropTopLeft}, Source: "/img/a.jpg", Query: "v=1"},
		"/insecure/s:300:200:0:1/bg:255:0:0/plain//a.jpg":                dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitMaxPad, Background: params.Color{R: 255, A: 255, Set: true}}, Source: "/a.jpg"},
		"/insecure/t:25:ff0000/att:1/plain//a.jpg":                       dialect.ImageURL{Params: params.Params{Trim: true, TrimTolerance: 25, TrimToleranceSet: true, TrimColor: params.Color{R: 255, A: 255, Set: true}, Download: true}, Source: "/a.jpg"},
		"/insecure/ar:0/w:100/plain//a.jpg":                              dialect.ImageURL{Params: params.Params{Width: 100, Fit: params.FitMax, Orientation: 1}, Source: "/a.jpg"},
		"/insecure/auto_rotate:false/plain//a.jpg":                       dialect.ImageURL{Params: params.Params{Orientation: 1}, Source: "/a.jpg"},
		"/insecure/pd:1:2/plain//a.jpg":                                  dialect.ImageURL{Params: params.Params{Padding: params.Sides{Top: 1, Right: 2, Bottom: 1, Left: 2}}, Source: "/a.jpg", PadField: "pd"},
		"/insecure/pd:1:2:3/plain//a.jpg":                                dialect.ImageURL{Params: params.Params{Padding: params.Sides{Top: 1, Right: 2, Bottom: 3, Left: 2}}, Source: "/a.jpg", PadField: "pd"},
		"/insecure/pd:5:5:5:5/plain//a.jpg":                              dialect.ImageURL{Params: params.Params{Pad: 5}, Source: "/a.jpg", PadField: "pd"},
		"/insecure/s:300:200:1:1/plain//a.jpg":                           dialect.ImageURL{Params: params.Params{Width: 300, Height: 200, Fit: params.FitFill}, Source: "/a.jpg"},
		"/insecure/rs:force:10:20/q:80/f:webp/bl:2/sh:0.5/rot:90/dpr:2/pd:4/t:10/fl:1:1/ar:1/sm:1/cb:abc/plain//a.jpg": dialect.ImageURL{Params: params.Params{Width: 10, Height: 20, Fit: params.FitScaleDown, Quality: 80, Format: params.FormatWebP, Blur: 20, Sharpen: 10,
			Rotate: 90, DPR: 2, CapDPR: true, Pad: 4, Trim: true, Flip: params.FlipHV}, Source: "/a.jpg", PadField: "pd"},
		"/insecure/padding:4/plain//a.jpg": dialect.ImageURL{Params: params.Params{Pad: 4}, Source: "/a.jpg", PadField: "padding"},
		"/insecure/rs:fill:100:100/g:fp:0.9:0.9/c:50:40:nowe/bg:fff/plain//a.jpg": dialect.ImageURL{Params: params.Params{Width: 100, Height: 100, Fit: params.FitCropDown, Focus: params.Focus{X: 0.9, Y: 0.9, Set: true}, Region: params.Region{W: 50, H: 40, Anchor: params.CropTopLeft},
			Background: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}}, Source: "/a.jpg"},
		"/anything/w:10/plain/https://example.com/a.jpg@avif": dialect.ImageURL{Params: params.Params{Width: 10, Fit: params.FitMax, Format: params.FormatAVIF}, Source: "https://example.com/a.jpg"},
		// crop: its own gravity, g's, a fraction, the whole side, fp.
		"/insecure/c:300:200:soea/plain//a.jpg":             {Params: params.Params{Region: params.Region{W: 300, H: 200, Anchor: params.CropBottomRight}}, Source: "/a.jpg"},
		"/insecure/g:no/c:0.5:0/plain//a.jpg":               {Params: params.Params{Region: params.Region{WRatio: 0.5, Anchor: params.CropTop}}, Source: "/a.jpg"},
		"/insecure/c:100:100/g:fp:0.2:0.8/plain//a.jpg":     {Params: params.Params{Region: params.Region{W: 100, H: 100, Focus: params.Focus{X: 0.2, Y: 0.8, Set: true}}}, Source: "/a.jpg"},
		"/insecure/c:100:100:ce/rs:fill:50:50/plain//a.jpg": {Params: params.Params{Width: 50, Height: 50, Fit: params.FitCropDown, Region: params.Region{W: 100, H: 100}}, Source: "/a.jpg"},
		"/insecure/c:0:0/plain//a.jpg":                      {Source: "/a.jpg"},
		// pixelate, filename (escaped and Base64), expires in 2100, max_bytes.
		"/insecure/pix:8/fn:my%20photo.jpg/exp:4102444800/mb:50000/plain//a.jpg": {Params: params.Params{Pixelate: 8, DownloadName: "my photo.jpg"}, Source: "/a.jpg", Expires: time.Unix(4102444800, 0)},
		// Pro's blur_detections with the class face: the faces found, blurred at that sigma.
		"/insecure/bd:15:face/plain//a.jpg":                               {Params: params.Params{Faces: params.Faces{Blur: 15}}, Source: "/a.jpg"},
		"/insecure/blur_detections:2.5:face/plain//a.jpg":                 {Params: params.Params{Faces: params.Faces{Blur: 2.5}}, Source: "/a.jpg"},
		"/insecure/pixelate:1/filename:c2hvZS53ZWJw:1/att:1/plain//a.jpg": {Params: params.Params{DownloadName: "shoe.webp", Download: true}, Source: "/a.jpg"},
		// zoom: the box times z (before dpr); without one, z below 1 scales
		// the image and z above 1 without el does nothing (no enlarging).
		"/insecure/rs:fill:300:200/z:1.5/dpr:2/plain//a.jpg":          {Params: params.Params{Width: 450, Height: 300, Fit: params.FitCropDown, DPR: 2, CapDPR: true}, Source: "/a.jpg"},
		"/insecure/zoom:0.5:0.5/w:301/plain//a.jpg":                   {Params: params.Params{Width: 151, Fit: params.FitMax}, Source: "/a.jpg"},
		"/insecure/z:0.25/plain//a.jpg":                               {Params: params.Params{WidthRatio: 0.25}, Source: "/a.jpg"},
		"/insecure/z:2/plain//a.jpg":                                  {Source: "/a.jpg"},
		"/insecure/fq:webp:70:avif:50:jpg:85:png:10/plain//a.jpg":     {Params: params.Params{FormatQuality: params.FormatQualities{JPEG: 85, WebP: 70, AVIF: 50}}, Source: "/a.jpg"},
		"/insecure/rs:fill:100:100/mw:300/min-height:50/plain//a.jpg": {Params: params.Params{Width: 100, Height: 100, Fit: params.FitCropDown, MinWidth: 300, MinHeight: 50}, Source: "/a.jpg"},
		"/insecure/z:1/w:10/plain//a.jpg":                             {Params: params.Params{Width: 10, Fit: params.FitMax}, Source: "/a.jpg"},
	}))
}

// exp: a URL past its Unix time answers 404, as imgproxy's does.
func TestExpires(t *testing.T) {
	_, ok, err := urltest.Parse(t, mustNew(t, "", ""), "/insecure/exp:946684800/w:10/plain//a.jpg") // 2000-01-01
	list := params.AsErrors(err)
	if !ok || err == nil || len(list) != 1 {
		t.Fatalf("expired URL: ok %v, error %v", ok, err)
	}
	if e := list[0]; e.Status != http.StatusNotFound || e.Code != "url_expired" || e.Field != "exp" ||
		e.Detail != "This URL expired at 2000-01-01T00:00:00Z." {
		t.Errorf("expired URL: %+v", e)
	}
}

func TestNotClaimed(t *testing.T) {
	urltest.CheckNotClaimed(t, mustNew(t, "", ""), "/img/a.jpg", "/img/a.jpg?w=10", "/_ipx/w_100/img/a.jpg", "/cdn-cgi/image/w=1/a.jpg",
		"/unsafe/300x200/img/a.jpg", "/unsafe/filters:quality(80)/a.jpg", "/a", "/", "/docs/plain/notes.txt", "/x/plain/ftp://a/b")
}

func TestSignature(t *testing.T) {
	const path = "/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png"
	// docs.imgproxy.net "Signing a URL": key "secret", salt "hello" (hex
	// 736563726574, 68656c6c6f) sign the example as below.
	doc := mustNew(t, "736563726574", "68656c6c6f")
	// The key and salt of imgproxy's examples folder; the signature
	// computed with Python's hmac (hmac.new(key, salt+path, sha256)).
	ex := mustNew(t, "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881",
		"520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5")
	for _, tc := range []struct {
		d      *imgproxy.Dialect
		url    string
		status int
	}{
		{doc, "/oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8" + path, 0},
		{ex, "/90UxdwGRAI2bpLSHKkZculJau5ahfxfS0h3fMuQAf40" + path, 0},
		{ex, "/oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8" + path, http.StatusForbidden},
		{doc, "/insecure" + path, http.StatusForbidden},
		{doc, "/_" + path, http.StatusForbidden},
		{doc, "/oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8/rs:fill:300:401:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png", http.StatusForbidden},
		{mustNew(t, "", ""), "/insecure" + path, 0},
	} {
		_, ok, err := urltest.Parse(t, tc.d, tc.url)
		if !ok {
			t.Fatalf("%s: not claimed", tc.url)
		}
		if got := statusOf(err); got != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.url, got, tc.status, err)
		}
	}
	if !doc.Signed() || mustNew(t, "", "").Signed() {
		t.Fatal("Signed")
	}
	// The signature covers the path only: with a key, a query appended to
	// a signed URL does not reach the site's source; without one it does.
	// Signed as imgproxy documents it: base64url(HMAC-SHA256(key, salt+path)).
	const local = "/w:10/plain/local:///img/a.jpg"
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte("hello" + local))
	signedLocal := "/" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) + local
	for _, tc := range []struct {
		d          *imgproxy.Dialect
		url, query string
	}{
		{doc, signedLocal + "?v=2", ""},
		{mustNew(t, "", ""), "/insecure" + local + "?v=2", "v=2"},
	} {
		iu, ok, err := urltest.Parse(t, tc.d, tc.url)
		if !ok || err != nil || iu.Source != "/img/a.jpg" || iu.Query != tc.query {
			t.Errorf("%s: source %q query %q (%v %v), want /img/a.jpg %q", tc.url, iu.Source, iu.Query, ok, err, tc.query)
		}
	}
	for _, kv := range [][2]string{{"ab", ""}, {"", "ab"}, {"zz", "ab"}, {"ab", "zz"}} {
		if _, err := imgproxy.New(kv[0], kv[1]); err == nil {
			t.Errorf("New(%q, %q) accepted", kv[0], kv[1])
		}
	}
}

func statusOf(err error) int {
	if err == nil {
		return 0
	}
	return params.AsErrors(err).Status()
}

func TestErrors(t *testing.T) {
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{
		"/insecure/zoom:0/plain//a.jpg":               "zoom",
		"/insecure/z:2:3/plain//a.jpg":                "z",
		"/insecure/z:abc/plain//a.jpg":                "z",
		"/insecure/z:2/el:1/plain//a.jpg":             "z",
		"/insecure/w:90000/z:2/plain//a.jpg":          "z",
		"/insecure/wm:0.5/plain//a.jpg":               "wm",
		"/insecure/fq:webp/plain//a.jpg":              "fq",
		"/insecure/mw:x/mh:-1/plain//a.jpg":           "mw mh",
		"/insecure/fq:webp:101/plain//a.jpg":          "fq",
		"/insecure/fq:tiff:50/plain//a.jpg":           "fq",
		"/insecure/pix:0/pix:101/plain//a.jpg":        "pix pix",
		"/insecure/bd:10/plain//a.jpg":                "bd",
		"/insecure/bd:10:face:cat/plain//a.jpg":       "bd",
		"/insecure/bd:0:face/plain//a.jpg":            "bd",
		"/insecure/bd:x:face/plain//a.jpg":            "bd",
		"/insecure/fn:/plain//a.jpg":                  "fn",
		"/insecure/fn:a%2Fb.jpg/plain//a.jpg":         "fn",
		"/insecure/fn:Li4:1/plain//a.jpg":             "fn",
		"/insecure/fn:a:2/plain//a.jpg":               "fn",
		"/insecure/exp:soon/plain//a.jpg":             "exp",
		"/insecure/w:abc/q:101/plain//a.jpg":          "w q",
		"/insecure/rs:stretch:10/plain//a.jpg":        "rs",
		"/insecure/c:100/plain//a.jpg":                "c",
		"/insecure/c:100:100:sm/plain//a.jpg":         "c",
		"/insecure/g:obj/c:100:100/plain//a.jpg":      "c",
		"/insecure/g:obj:face/c:100:100/plain//a.jpg": "c",
		"/insecure/g:obj:cat/plain//a.jpg":            "g",
		"/insecure/g:obj:face:cat/plain//a.jpg":       "g",
		"/insecure/c:1.5:100/plain//a.jpg":            "c",
		"/insecure/pd:1:2:3:4:5/plain//a.jpg":         "pd",
		"/insecure/g:ce:10:0/plain//a.jpg":            "g",
		"/insecure/rot:45/plain//a.jpg":               "rot",
		"/insecure/w:10/plain//a.jpg@bmp":             "extension",
		"/insecure/w:10/plain//../etc/passwd":         "source",
		"/insecure/w:10/plain/http:%2F%2F%2Fa.jpg":    "source",
		"/insecure/pr:thumb/plain//a.jpg":             "pr",
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/insecure/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png",
		"/_/w:1/plain/http:%2F%2Fx/a@png", "/x/g:fp:1:1/pd:1:1:1:1/plain//a", "/a/b:/plain/",
		"/_/a:1:2:3/mc:0.5:fff/dt:1:000:fff/col:1:f00:1/bga:0.5/pg:1/da:1/exar:1:ce/wm:1/wmu:L2E/raw:0/msr:1/plain//a",
		"/_/jpgo:1:1:1:1:1:8/pngo:1:1:3/webpo:near_lossless:1:icon/avifo:off/gr:0.5:f80:-45.5:0.2:0.9/plain//a@avif",
		"/_/jpgo::1/avifo:on/gr:1::left/plain//a", "/_/fiu:L2E/raw:1/plain//a", "/_/fallback_image_url:aHR0cDovL3g=/w:5/plain//a"} {
		f.Add(s)
	}
	plain := mustNew(f, "", "")
	signed := mustNew(f, "736563726574", "68656c6c6f")
	f.Fuzz(func(t *testing.T, raw string) {
		urltest.CheckURLDialect(t, plain, raw)
		urltest.CheckURLDialect(t, signed, raw)
	})
}

// Presets (docs.imgproxy.net "Presets"): named option lists that stand
// where pr/preset names them, later options overriding earlier ones; the
// "default" preset comes first in every URL.
func TestPresets(t *testing.T) {
	d, err := imgproxy.New("", "", imgproxy.Site{Presets: map[string]string{
		"default": "resizing_type:fill/enlarge:1",
		"thumb":   "w:100/h:100",
		"sharp":   "sharpen:0.5",
		"wide":    "rs:fit:800:400",
	}})
	if err != nil {
		t.Fatal(err)
	}
	urltest.CheckParses(t, d, firstFrame(map[string]dialect.ImageURL{
		// default's fill with enlarge: Matte's crop.
		"/insecure/pr:thumb/plain//a.jpg":           {Params: params.Params{Width: 100, Height: 100, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/insecure/preset:thumb:sharp/plain//a.jpg": {Params: params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Sharpen: 10}, Source: "/a.jpg"},
		"/insecure/pr:thumb/w:50/plain//a.jpg":      {Params: params.Params{Width: 50, Height: 100, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/insecure/w:50/pr:thumb/plain//a.jpg":      {Params: params.Params{Width: 100, Height: 100, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/insecure/pr:wide/plain//a.jpg":            {Params: params.Params{Width: 800, Height: 400, Fit: params.FitClip}, Source: "/a.jpg"},
		"/insecure/rt:fit/el:0/w:10/plain//a.jpg":   {Params: params.Params{Width: 10, Fit: params.FitMax}, Source: "/a.jpg"},
		"/insecure/plain//a.jpg":                    {Source: "/a.jpg"},
	}))
	urltest.CheckErrors(t, d, map[string]string{
		"/insecure/pr:nope/plain//a.jpg":       "pr",
		"/insecure/pr:thumb:nope/plain//a.jpg": "pr",
		"/insecure/preset:/w:1/plain//a.jpg":   "preset",
	})
	// Without presets, pr names none.
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{"/insecure/pr:thumb/plain//a.jpg": "pr"})
	for name, def := range map[string]string{
		"bad name": "w:1",
		"thumb":    "w:abc",
		"nested":   "pr:thumb",
		"unknown":  "wm:1", // no watermark configured
		"badname!": "w:1",
	} {
		if name == "bad name" {
			name = "a b"
		}
		if _, err := imgproxy.New("", "", imgproxy.Site{Presets: map[string]string{name: def}}); err == nil {
			t.Errorf("preset %q = %q accepted", name, def)
		}
	}
}

// wm (docs.imgproxy.net "watermark"): the site's watermark image at an
// opacity, placed by a gravity with offsets in from the edges it names,
// scaled to a fraction of the output, or tiled (re) with a spacing.
func TestWatermark(t *testing.T) {
	d, err := imgproxy.New("", "", imgproxy.Site{Watermark: "/img/logo.png"})
	if err != nil {
		t.Fatal(err)
	}
	mark := func(m params.Watermark) dialect.ImageURL {
		m.Image, m.Fit = "/img/logo.png", params.FitClip
		return dialect.ImageURL{Params: params.Params{Watermark: m}, Source: "/a.jpg", MarkField: "wm"}
	}
	urltest.CheckParses(t, d, firstFrame(map[string]dialect.ImageURL{
		"/insecure/wm:0.5/plain//a.jpg": mark(params.Watermark{Alpha: 50, Align: params.CropCenter}),
		"/insecure/watermark:1:soea:10:20:0.2/plain//a.jpg": mark(params.Watermark{Alpha: 100, Align: params.CropBottomRight, WidthRatio: 0.2, HeightRatio: 0.2,
			X: 10, XSet: true, XFromEnd: true, Y: 20, YSet: true, YFromEnd: true}),
		"/insecure/wm:1:nowe:0.05/plain//a.jpg":  mark(params.Watermark{Alpha: 100, Align: params.CropTopLeft, X: 5, XSet: true, XPercent: true}),
		"/insecure/wm:1:no:0:8/plain//a.jpg":     mark(params.Watermark{Alpha: 100, Align: params.CropTop, Y: 8, YSet: true}),
		"/insecure/wm:0.3:re:20:20/plain//a.jpg": mark(params.Watermark{Alpha: 30, Align: params.CropTopLeft, Tile: true, Pad: 20, X: 10, Y: 10, XSet: true, YSet: true}),
		"/insecure/wm:0/plain//a.jpg":            {Source: "/a.jpg"},
	}))
	urltest.CheckErrors(t, d, map[string]string{
		"/insecure/wm:1:ce:10/plain//a.jpg":       "wm",
		"/insecure/wm:1:no:5/plain//a.jpg":        "wm",
		"/insecure/wm:2/plain//a.jpg":             "wm",
		"/insecure/wm:1:sm/plain//a.jpg":          "wm",
		"/insecure/wm:1:re:10:20/plain//a.jpg":    "wm",
		"/insecure/wm:1:ce:0:0:2/plain//a.jpg":    "wm",
		"/insecure/wm:1:ce:0:0:0:9/plain//a.jpg":  "wm",
		"/insecure/watermark:1:ce:4/plain//a.jpg": "watermark",
	})
	// Without a watermark configured, wm is a 400 (but wm:0 draws nothing).
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{"/insecure/wm:0.5/plain//a.jpg": "wm"})
	if _, err := imgproxy.New("", "", imgproxy.Site{Watermark: "logo.png"}); err == nil {
		t.Error("a relative watermark path was accepted")
	}
}

// firstFrame sets imgproxy's default for an animated source, its first
// frame (IMGPROXY_MAX_ANIMATION_FRAMES is 1), in every expected answer.
func firstFrame(m map[string]dialect.ImageURL) map[string]dialect.ImageURL {
	return urltest.WithFrames(m, params.FramesFirst)
}

// TestAnimationFrames: a site's IMGPROXY_MAX_ANIMATION_FRAMES above 1 keeps
// that many of an animation's first frames; 1, the default, the first.
func TestAnimationFrames(t *testing.T) {
	d, err := imgproxy.New("", "", imgproxy.Site{AnimationFrames: 30})
	if err != nil {
		t.Fatal(err)
	}
	urltest.CheckParses(t, d, map[string]dialect.ImageURL{
		"/insecure/w:100/plain//a.gif": {Params: params.Params{Width: 100, Fit: params.FitMax, Animation: params.Animation{Last: 30}}, Source: "/a.gif"},
	})
	one, err := imgproxy.New("", "", imgproxy.Site{AnimationFrames: 1})
	if err != nil {
		t.Fatal(err)
	}
	urltest.CheckParses(t, one, firstFrame(map[string]dialect.ImageURL{
		"/insecure/w:100/plain//a.gif": {Params: params.Params{Width: 100, Fit: params.FitMax}, Source: "/a.gif"},
	}))
	if _, err := imgproxy.New("", "", imgproxy.Site{AnimationFrames: -1}); err == nil {
		t.Error("animation_frames -1 was accepted")
	}
}

// The OSS options added to the first set: exar, raw, eth, the security
// options (403, as imgproxy without IMGPROXY_ALLOW_SECURITY_OPTIONS), and
// Pro's that Matte's steps carry out, each against docs.imgproxy.net's
// "Processing an image".
func TestMoreOptions(t *testing.T) {
	grey := params.Color{R: 0xb3, G: 0xb3, B: 0xb3, A: 255, Set: true}
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		"/insecure/rs:fit:400:400/exar:1/plain//a.jpg":        {Params: params.Params{Width: 400, Height: 400, Fit: params.FitMax, ExtendToAspect: true}, Source: "/a.jpg"},
		"/insecure/extend_ar:1:soea/w:400/h:300/plain//a.jpg": {Params: params.Params{Width: 400, Height: 300, Fit: params.FitMax, ExtendToAspect: true, ExtendGravity: params.ExtendGravity{Anchor: params.CropBottomRight}}, Source: "/a.jpg"},
		// exar pads fill's cut where the image is smaller than the box;
		// it changes nothing fill with enlarge, fill-down or extend
		// already cut to the box's aspect ratio or pad to the box.
		"/insecure/rs:fill:400:400/exar:1/plain//a.jpg":      {Params: params.Params{Width: 400, Height: 400, Fit: params.FitCropDown, ExtendToAspect: true}, Source: "/a.jpg"},
		"/insecure/rs:fill:400:400:1/exar:1/plain//a.jpg":    {Params: params.Params{Width: 400, Height: 400, Fit: params.FitCrop}, Source: "/a.jpg"},
		"/insecure/rs:fill-down:400:400/exar:1/plain//a.jpg": {Params: params.Params{Width: 400, Height: 400, Fit: params.FitMin}, Source: "/a.jpg"},
		"/insecure/rs:fill:400:400:0:1/exar:1/plain//a.jpg":  {Params: params.Params{Width: 400, Height: 400, Fit: params.FitCropDownPad}, Source: "/a.jpg"},
		"/insecure/rs:auto:400:300:1/exar:1/plain//a.jpg":    {Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, SourceFit: params.SourceFit{When: params.FitWhenCrossed, Fit: params.FitClip}, ExtendToAspect: true}, Source: "/a.jpg"},
		"/insecure/exar:0/w:10/eth:1/plain//a.jpg":           {Params: params.Params{Width: 10, Fit: params.FitMax}, Source: "/a.jpg"},
		// Pro: a:brightness:contrast:saturation; br adds 2.55 per step of bri.
		"/insecure/a:51:1.5:0/plain//a.jpg":                  {Params: params.Params{Brightness: 20, Contrast: 50, Saturation: -100}, Source: "/a.jpg"},
		"/insecure/br:-255/co:0.25/sa:2/plain//a.jpg":        {Params: params.Params{Brightness: -100, Contrast: -75, Saturation: 100}, Source: "/a.jpg"},
		"/insecure/a::1:/plain//a.jpg":                       {Source: "/a.jpg"},
		"/insecure/mc:0.5/plain//a.jpg":                      {Params: params.Params{Monochrome: params.Color{R: 0xb3, G: 0xb3, B: 0xb3, A: 128, Set: true}}, Source: "/a.jpg"},
		"/insecure/mc:1:ff8000/plain//a.jpg":                 {Params: params.Params{Monochrome: params.Color{R: 255, G: 128, A: 255, Set: true}}, Source: "/a.jpg"},
		"/insecure/mc:0:ff8000/plain//a.jpg":                 {Source: "/a.jpg"},
		"/insecure/dt:1/plain//a.jpg":                        {Params: params.Params{Duotone: params.Duotone{Start: params.Color{A: 255, Set: true}, Stop: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}}}, Source: "/a.jpg"},
		"/insecure/dt:1:003366:ffcc00/plain//a.jpg":          {Params: params.Params{Duotone: params.Duotone{Start: params.Color{G: 0x33, B: 0x66, A: 255, Set: true}, Stop: params.Color{R: 255, G: 0xcc, A: 255, Set: true}}}, Source: "/a.jpg"},
		"/insecure/col:0.4:f00:1/plain//a.jpg":               {Params: params.Params{Blend: params.Blend{Color: params.Color{R: 255, A: 255, Set: true}, Mode: params.BlendNormal, Alpha: 40}}, Source: "/a.jpg"},
		"/insecure/col:0/plain//a.jpg":                       {Source: "/a.jpg"},
		"/insecure/bg:fff/bga:0.5/f:png/plain//a.jpg":        {Params: params.Params{Background: params.Color{R: 255, G: 255, B: 255, A: 128, Set: true}, Format: params.FormatPNG}, Source: "/a.jpg"},
		"/insecure/bga:0.5/plain//a.jpg":                     {Source: "/a.jpg"},
		"/insecure/dpi:300/plain//a.jpg":                     {Params: params.Params{DPI: 300}, Source: "/a.jpg"},
		"/insecure/ra:nearest/w:10/plain//a.jpg":             {Params: params.Params{Width: 10, Fit: params.FitMax, Kernel: params.KernelNearest}, Source: "/a.jpg"},
		"/insecure/resizing_algorithm:lanczos3/plain//a.jpg": {Source: "/a.jpg"},
		// pg picks the frame (from 0) of a still answer; pgs:1 is the default.
		"/insecure/pg:3/pgs:1/plain//a.gif": {Params: params.Params{Animation: params.Animation{First: 4, Last: 4}}, Source: "/a.gif", FrameField: "pg"},
		"/insecure/mc:1/plain//a.jpg":       {Params: params.Params{Monochrome: grey}, Source: "/a.jpg"},
		// wmu: the watermark wm draws, in place of the site's.
		"/insecure/wm:0.5:soea/wmu:aHR0cHM6Ly9leGFtcGxlLmNvbS9sb2dvLnBuZw/plain//a.jpg": {Params: params.Params{Watermark: params.Watermark{Image: "https://example.com/logo.png", Fit: params.FitClip, Alpha: 50, Align: params.CropBottomRight}}, Source: "/a.jpg", MarkField: "wmu"},
		"/insecure/wm:1/watermark_url:L2ltZy93bS5wbmc/plain//a.jpg":                     {Params: params.Params{Watermark: params.Watermark{Image: "/img/wm.png", Fit: params.FitClip, Alpha: 100, Align: params.CropCenter}}, Source: "/a.jpg", MarkField: "watermark_url"},
		// wmu without wm draws nothing, as in imgproxy.
		"/insecure/wmu:L2ltZy93bS5wbmc/plain//a.jpg": {Source: "/a.jpg"},
	}))
	// A site that keeps animations: pg is ignored where the answer plays,
	// and da:1 makes it a still of that frame.
	anim, err := imgproxy.New("", "", imgproxy.Site{AnimationFrames: 10})
	if err != nil {
		t.Fatal(err)
	}
	urltest.CheckParses(t, anim, map[string]dialect.ImageURL{
		"/insecure/pg:2/plain//a.gif":      {Params: params.Params{Animation: params.Animation{Last: 10}}, Source: "/a.gif", FrameField: "pg"},
		"/insecure/pg:2/da:1/plain//a.gif": {Params: params.Params{Frames: params.FramesFirst, Animation: params.Animation{First: 3, Last: 3}}, Source: "/a.gif", FrameField: "pg"},
		"/insecure/da:1/plain//a.gif":      {Params: params.Params{Frames: params.FramesFirst}, Source: "/a.gif"},
	})
	// raw: the source as it is, whatever else the URL asks; fn and att
	// still name it.
	urltest.CheckParses(t, mustNew(t, "", ""), map[string]dialect.ImageURL{
		"/insecure/raw:1/w:100/f:webp/plain//a.jpg":   {Source: "/a.jpg", AsIs: true},
		"/insecure/raw:1/plain//a.jpg@png":            {Source: "/a.jpg", AsIs: true},
		"/insecure/raw:t/att:1/fn:b.jpg/plain//a.jpg": {Params: params.Params{Download: true, DownloadName: "b.jpg"}, Source: "/a.jpg", AsIs: true},
		"/insecure/raw:0/plain//a.jpg":                {Params: params.Params{Frames: params.FramesFirst}, Source: "/a.jpg"},
	})
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{
		"/insecure/br:256/plain//a.jpg":                              "br",
		"/insecure/br:1.5/plain//a.jpg":                              "br",
		"/insecure/co:-1/plain//a.jpg":                               "co",
		"/insecure/a:0:1:11/plain//a.jpg":                            "a",
		"/insecure/a:0:1:1:1/plain//a.jpg":                           "a",
		"/insecure/mc:2/plain//a.jpg":                                "mc",
		"/insecure/mc:1:red/plain//a.jpg":                            "mc",
		"/insecure/dt:0.5/plain//a.jpg":                              "dt",
		"/insecure/col:1:fff:maybe/plain//a.jpg":                     "col",
		"/insecure/bga:2/plain//a.jpg":                               "bga",
		"/insecure/dpi:-1/plain//a.jpg":                              "dpi",
		"/insecure/ra:mitchell/plain//a.jpg":                         "ra",
		"/insecure/ra:bogus/plain//a.jpg":                            "ra",
		"/insecure/pg:-1/plain//a.jpg":                               "pg",
		"/insecure/pgs:2/plain//a.jpg":                               "pgs",
		"/insecure/exar:2/plain//a.jpg":                              "exar",
		"/insecure/exar:1:sm/plain//a.jpg":                           "exar",
		"/insecure/wmu:ZnRwOi8veC95LnBuZw/plain//a.jpg":              "wmu",
		"/insecure/wmu:Ly9ldmlsLmV4YW1wbGUvbG9nby5wbmc/plain//a.jpg": "wmu",
		"/insecure/wmu:L2ltZy8uLi9zZWNyZXQucG5n/plain//a.jpg":        "wmu",
		"/insecure/wmu:!!/plain//a.jpg":                              "wmu",
		"/insecure/raw:2/plain//a.jpg":                               "raw",
	})
	for _, name := range []string{"msr:50", "max_src_resolution:50", "msfs:1000", "maf:10", "mafr:10", "mrd:10000"} {
		_, ok, err := urltest.Parse(t, mustNew(t, "", ""), "/insecure/"+name+"/plain//a.jpg")
		list := params.AsErrors(err)
		if !ok || len(list) != 1 || list[0].Status != http.StatusForbidden || list[0].Code != "security_options_not_allowed" {
			t.Errorf("%s: ok %v, errors %+v; want a 403", name, ok, list)
		}
	}
}

// The encoder options of docs.imgproxy.net "Processing an image" (jpgo,
// pngo, webpo, avifo: Pro), each argument optional, with the meanings of
// its "Advanced JPEG/PNG/WebP/AVIF compression" settings.
func TestEncoderOptions(t *testing.T) {
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		// jpgo: progressive, no_subsample (4:4:4), trellis, deringing,
		// optimize_scans (kept with progressive), quant_table.
		"/insecure/jpgo:1:1:1:1:1:3/plain//a.jpg": {Params: params.Params{Variant: params.VariantProgressive, Chroma: 444,
			JPEGOptions: params.JPEGOptions{TrellisQuant: true, OvershootDeringing: true, OptimizeScans: true, QuantTable: 3}}, Source: "/a.jpg"},
		"/insecure/jpeg_options:true/f:jpg/plain//a.png": {Params: params.Params{Variant: params.VariantProgressive, Format: params.FormatJPEG}, Source: "/a.png"},
		"/insecure/jpgo::1/plain//a.jpg":                 {Params: params.Params{Chroma: 444}, Source: "/a.jpg"},
		"/insecure/jpgo:::t::f:8/plain//a.jpg":           {Params: params.Params{JPEGOptions: params.JPEGOptions{TrellisQuant: true, QuantTable: 8}}, Source: "/a.jpg"},
		"/insecure/jpgo:0:0:0:0:0:0/plain//a.jpg":        {Source: "/a.jpg"},
		// optimize_scans needs a progressive JPEG.
		"/insecure/jpgo:0::::1/plain//a.jpg": {Source: "/a.jpg"},
		// A later jpgo replaces an earlier one.
		"/insecure/jpgo:1:1:1/jpgo:::0:1/plain//a.jpg": {Params: params.Params{JPEGOptions: params.JPEGOptions{OvershootDeringing: true}}, Source: "/a.jpg"},
		// Another output format drops them.
		"/insecure/jpgo:1:1:1:1:1:3/plain//a.jpg@png": {Params: params.Params{Variant: params.VariantProgressive, Format: params.FormatPNG}, Source: "/a.jpg"},
		// pngo: interlaced, quantize, quantization_colors (256 by default,
		// rounded up to 2, 4, 16 or 256).
		"/insecure/pngo:1/plain//a.png":           {Params: params.Params{PNGOptions: params.PNGOptions{Interlace: true}}, Source: "/a.png"},
		"/insecure/pngo:0:1/plain//a.png":         {Params: params.Params{PNGOptions: params.PNGOptions{PaletteColors: 256}}, Source: "/a.png"},
		"/insecure/pngo:1:1:16/plain//a.png":      {Params: params.Params{PNGOptions: params.PNGOptions{Interlace: true, PaletteColors: 16}}, Source: "/a.png"},
		"/insecure/pngo::1:2/plain//a.png":        {Params: params.Params{PNGOptions: params.PNGOptions{PaletteColors: 2}}, Source: "/a.png"},
		"/insecure/pngo::1:3/plain//a.png":        {Params: params.Params{PNGOptions: params.PNGOptions{PaletteColors: 4}}, Source: "/a.png"},
		"/insecure/pngo::1:5/plain//a.png":        {Params: params.Params{PNGOptions: params.PNGOptions{PaletteColors: 16}}, Source: "/a.png"},
		"/insecure/pngo::1:17/plain//a.png":       {Params: params.Params{PNGOptions: params.PNGOptions{PaletteColors: 256}}, Source: "/a.png"},
		"/insecure/png_options::0:8/plain//a.png": {Source: "/a.png"},
		"/insecure/pngo:1:1/f:webp/plain//a.png":  {Params: params.Params{Format: params.FormatWebP}, Source: "/a.png"},
		// webpo: compression, smart_subsample, preset.
		"/insecure/webpo:lossless/plain//a.webp":                    {Params: params.Params{WebPOptions: params.WebPOptions{Compression: params.WebPLossless}}, Source: "/a.webp"},
		"/insecure/webpo:near_lossless:1:photo/f:webp/plain//a.jpg": {Params: params.Params{Format: params.FormatWebP, WebPOptions: params.WebPOptions{Compression: params.WebPNearLossless, SmartSubsample: true, Preset: params.WebPPresetPhoto}}, Source: "/a.jpg"},
		"/insecure/webp_options:::text/plain//a.webp":               {Params: params.Params{WebPOptions: params.WebPOptions{Preset: params.WebPPresetText}}, Source: "/a.webp"},
		"/insecure/webpo:lossy:0:default/plain//a.webp":             {Source: "/a.webp"},
		"/insecure/webpo:lossless/plain//a.jpg@jpg":                 {Params: params.Params{Format: params.FormatJPEG}, Source: "/a.jpg"},
		// avifo: auto, on (4:2:0), off (4:4:4).
		"/insecure/avifo:off/plain//a.avif":             {Params: params.Params{Chroma: 444}, Source: "/a.avif"},
		"/insecure/avif_options:on/f:avif/plain//a.jpg": {Params: params.Params{Chroma: 420, Format: params.FormatAVIF}, Source: "/a.jpg"},
		"/insecure/avifo:auto/plain//a.avif":            {Source: "/a.avif"},
		// One chroma for JPEG and AVIF: the output format's, when named.
		"/insecure/jpgo::1/avifo:on/f:avif/plain//a.jpg": {Params: params.Params{Chroma: 420, Format: params.FormatAVIF}, Source: "/a.jpg"},
		"/insecure/jpgo::1/avifo:on/plain//a.jpg@jpg":    {Params: params.Params{Chroma: 444, Format: params.FormatJPEG}, Source: "/a.jpg"},
		"/insecure/jpgo::1/avifo:off/plain//a.jpg":       {Params: params.Params{Chroma: 444}, Source: "/a.jpg"},
		"/insecure/jpgo::1/f:png/plain//a.jpg":           {Params: params.Params{Format: params.FormatPNG}, Source: "/a.jpg"},
		"/insecure/avifo:off/f:jpg/plain//a.jpg":         {Params: params.Params{Format: params.FormatJPEG}, Source: "/a.jpg"},
	}))
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{
		"/insecure/jpgo:2/plain//a.jpg":                      "jpgo",
		"/insecure/jpgo:1:1:1:1:1:9/plain//a.jpg":            "jpgo",
		"/insecure/jpeg_options:1:1:1:1:1:1:1/plain//a.jpg":  "jpeg_options",
		"/insecure/jpgo:::::x/plain//a.jpg":                  "jpgo",
		"/insecure/pngo:1:1:1/plain//a.png":                  "pngo",
		"/insecure/pngo:1:1:257/plain//a.png":                "pngo",
		"/insecure/pngo:yes/plain//a.png":                    "pngo",
		"/insecure/png_options:1:1:16:1/plain//a.png":        "png_options",
		"/insecure/webpo:lossier/plain//a.png":               "webpo",
		"/insecure/webpo:lossy:2/plain//a.png":               "webpo",
		"/insecure/webpo:lossy:1:portrait/plain//a.png":      "webpo",
		"/insecure/webp_options:lossy:1:text:4/plain//a.png": "webp_options",
		"/insecure/avifo:medium/plain//a.jpg":                "avifo",
		"/insecure/avif_options:off:on/plain//a.jpg":         "avif_options",
		// The two chroma settings differ, and no format says which applies.
		"/insecure/jpgo::1/avifo:on/plain//a.jpg":           "avifo",
		"/insecure/avifo:auto/jpeg_options::1/plain//a.jpg": "jpeg_options",
	})
}

// gr (Pro, docs.imgproxy.net "Gradient"): from transparent to the colour
// (000) at the opacity, towards the direction (down; or an angle from
// down, clockwise), between start and stop (0 and 1). params.Gradient's
// angle is CSS's: imgproxy's plus 180.
func TestGradient(t *testing.T) {
	grad := func(c params.Color, alpha uint8, angle, start, stop float64) dialect.ImageURL {
		from, to := c, c
		from.A, to.A = 0, alpha
		return dialect.ImageURL{Params: params.Params{Gradient: params.Gradient{From: from, To: to, Angle: angle, Start: start, Stop: stop}}, Source: "/a.jpg"}
	}
	black := params.Color{A: 255, Set: true}
	orange := params.Color{R: 255, G: 0x80, A: 255, Set: true}
	urltest.CheckParses(t, mustNew(t, "", ""), firstFrame(map[string]dialect.ImageURL{
		"/insecure/gr:1/plain//a.jpg":                 grad(black, 255, 180, 0, 1),
		"/insecure/gr:0.5:ff8000/plain//a.jpg":        grad(orange, 128, 180, 0, 1),
		"/insecure/gradient:0.8:f80:up/plain//a.jpg":  grad(params.Color{R: 255, G: 0x88, A: 255, Set: true}, 204, 0, 0, 1),
		"/insecure/gr:1::right/plain//a.jpg":          grad(black, 255, 90, 0, 1),
		"/insecure/gr:1::left:0.25:0.75/plain//a.jpg": grad(black, 255, 270, 0.25, 0.75),
		"/insecure/gr:1::down/plain//a.jpg":           grad(black, 255, 180, 0, 1),
		"/insecure/gr:1::90/plain//a.jpg":             grad(black, 255, 270, 0, 1),
		"/insecure/gr:1::-90/plain//a.jpg":            grad(black, 255, 90, 0, 1),
		"/insecure/gr:1::45.5:0.5:0.5/plain//a.jpg":   grad(black, 255, 225.5, 0.5, 0.5),
		"/insecure/gr:1::180/plain//a.jpg":            grad(black, 255, 0, 0, 1),
		"/insecure/gr:1::360::0.6/plain//a.jpg":       grad(black, 255, 180, 0, 0.6),
		"/insecure/gr:0/plain//a.jpg":                 {Source: "/a.jpg"},
		"/insecure/gr:0.001:fff/plain//a.jpg":         {Source: "/a.jpg"},
		"/insecure/gr:1/gr:0/plain//a.jpg":            {Source: "/a.jpg"},
	}))
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{
		"/insecure/gr:/plain//a.jpg":                    "gr",
		"/insecure/gr:1.5/plain//a.jpg":                 "gr",
		"/insecure/gr:1:red/plain//a.jpg":               "gr",
		"/insecure/gr:1::sideways/plain//a.jpg":         "gr",
		"/insecure/gr:1::400/plain//a.jpg":              "gr",
		"/insecure/gr:1::down:0.8:0.2/plain//a.jpg":     "gr",
		"/insecure/gr:1::down:0:1.5/plain//a.jpg":       "gr",
		"/insecure/gradient:1::down:0:1:0/plain//a.jpg": "gradient",
	})
}

// TestFallbackImageURL: Pro's fiu (fallback_image_url) names the image
// answered in place of a missing source, URL-safe Base64 of an http(s) URL
// or a path on this site (padded or not), in place of the site's; raw:1
// keeps it.
func TestFallbackImageURL(t *testing.T) {
	frames := params.Params{Frames: params.FramesFirst}
	urltest.CheckParses(t, mustNew(t, "", ""), map[string]dialect.ImageURL{
		"/insecure/fiu:aHR0cHM6Ly9leGFtcGxlLmNvbS9taXNzaW5nLnBuZw/plain//a.jpg": {Params: frames, Source: "/a.jpg",
			Fallback: "https://example.com/missing.png", FallbackField: "fiu"},
		"/insecure/w:10/fallback_image_url:L2ltZy9ub25lLnBuZw==/plain//a.jpg": {Params: params.Params{Width: 10, Fit: params.FitMax, Frames: params.FramesFirst}, Source: "/a.jpg",
			Fallback: "/img/none.png", FallbackField: "fallback_image_url"},
		// A later fiu overrides an earlier one, as every option does.
		"/insecure/fiu:aHR0cHM6Ly9leGFtcGxlLmNvbS9taXNzaW5nLnBuZw/fiu:L2ltZy9ub25lLnBuZw/plain//a.jpg": {Params: frames, Source: "/a.jpg",
			Fallback: "/img/none.png", FallbackField: "fiu"},
		// raw passes the source through untouched: fiu is not used.
		"/insecure/raw:1/fiu:L2ltZy9ub25lLnBuZw/plain//a.jpg": {Source: "/a.jpg", AsIs: true},
	})
	urltest.CheckErrors(t, mustNew(t, "", ""), map[string]string{
		"/insecure/fiu:ZnRwOi8veC95LnBuZw/plain//a.jpg":                "fiu", // ftp://x/y.png
		"/insecure/fiu:Ly9ldmlsLmV4YW1wbGUveC5wbmc/plain//a.jpg":       "fiu", // //evil.example/x.png
		"/insecure/fallback_image_url:L2ltZy8uLi94LnBuZw/plain//a.jpg": "fallback_image_url",
		"/insecure/fiu:!!/plain//a.jpg":                                "fiu",
		"/insecure/fiu:L2ltZy9ub25lLnBuZw:1/plain//a.jpg":              "fiu",
		"/insecure/fiu:/plain//a.jpg":                                  "fiu",
	})
}
