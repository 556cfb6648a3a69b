package cfimages

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urltest"
	"github.com/jebosio/matte/params"
)

// The account hash and image id of Cloudflare's "Serve uploaded images"
// page.
const (
	hash = "ZWd9g1K7eljCn_KDTu_MWA"
	id   = "083eb7b2-5392-4565-b69e-aff66acddd00"
)

func mustNew(t testing.TB, presets, accounts map[string]string) dialect.URLDialect {
	t.Helper()
	d, err := New(presets, accounts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hero is the variant of Cloudflare's "Create variants" API example:
// {"fit":"scale-down","metadata":"none","width":1366,"height":768}.
var presets = map[string]string{"hero": "fit=scale-down,metadata=none,w=1366,h=768", "thumbnail": "w=200,h=200,fit=cover,format=webp"}

func TestName(t *testing.T) {
	if d := mustNew(t, nil, nil); d.Name() != "cloudflare_images" {
		t.Fatal(d.Name())
	}
}

func TestParseValid(t *testing.T) {
	auto := params.Params{AutoFormat: true}
	urltest.CheckValid(t, mustNew(t, presets, nil), []urltest.Valid{
		// public without a preset: the image as stored, AVIF or WebP by Accept.
		{Prefix + hash + "/" + id + "/public", "/" + id, "", auto},
		// Cloudflare's flexible variant example.
		{Prefix + hash + "/" + id + "/w=400,sharpen=3", "/" + id, "", params.Params{Width: 400, Fit: params.FitMax, Sharpen: 30, AutoFormat: true}},
		{Prefix + hash + "/" + id + "/w=400,h=300,fit=cover", "/" + id, "", params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		{Prefix + hash + "/" + id + "/width=400,format=png,quality=80", "/" + id, "", params.Params{Width: 400, Fit: params.FitMax, Format: params.FormatPNG, Quality: 80}},
		{Prefix + hash + "/" + id + "/w=400,f=auto", "/" + id, "", params.Params{Width: 400, Fit: params.FitMax, AutoFormat: true}},
		{Prefix + hash + "/" + id + "/hero", "/" + id, "", params.Params{Width: 1366, Height: 768, Fit: params.FitMax, AutoFormat: true}},
		{Prefix + hash + "/" + id + "/thumbnail", "/" + id, "", params.Params{Width: 200, Height: 200, Fit: params.FitCrop, Format: params.FormatWebP}},
		// A custom id with subpaths; a % in it is written %25.
		{Prefix + hash + "/blog/2024/cat%25.png/public?v=2", "/blog/2024/cat%.png", "v=2", auto},
		// The flexible variant's options may come escaped.
		{Prefix + hash + "/" + id + "/w%3D400%2Ch%3D300", "/" + id, "", params.Params{Width: 400, Height: 300, Fit: params.FitMax, AutoFormat: true}},
		// A CSS colour's commas stay in its value.
		{Prefix + hash + "/" + id + "/w=400,background=rgb%28240%2C40%2C145%29", "/" + id, "", params.Params{Width: 400, Fit: params.FitMax, Background: params.Color{R: 240, G: 40, B: 145, A: 255, Set: true}, AutoFormat: true}},
	})
}

func TestParseAccounts(t *testing.T) {
	d := mustNew(t, nil, map[string]string{hash: "/images/", "other": ""})
	auto := params.Params{AutoFormat: true}
	urltest.CheckValid(t, d, []urltest.Valid{
		// imagedelivery.net's form, for a configured hash.
		{"/" + hash + "/" + id + "/public", "/images/" + id, "", auto},
		{Prefix + hash + "/" + id + "/public", "/images/" + id, "", auto},
		{"/other/" + id + "/w=100", "/" + id, "", params.Params{Width: 100, Fit: params.FitMax, AutoFormat: true}},
	})
	urltest.CheckNotClaimed(t, d, "/img/shoe.jpg", "/"+id+"/public", Prefix+"unknown/"+id+"/public", "/images/"+id)
	// Without accounts imagedelivery.net's form is never claimed.
	urltest.CheckNotClaimed(t, mustNew(t, nil, nil), "/"+hash+"/"+id+"/public", "/cdn-cgi/image/w=1/a.jpg", "/cdn-cgi/imagedelivery")
}

func TestParseInvalid(t *testing.T) {
	d := mustNew(t, presets, map[string]string{hash: "/images"})
	urltest.CheckInvalid(t, d, []urltest.Invalid{
		{"/" + hash + "/" + id + "/small", []string{"variant"}, `"small" is not a variant this site defines`},
		// A pair the query parser cannot read is refused, not dropped.
		{"/" + hash + "/" + id + "/public?v=%zz", []string{"query"}, "not validly escaped"},
		{"/" + hash + "/" + id + "/public?v=1;w=2", []string{"query"}, "does not separate parameters"},
		{"/" + hash + "/" + id + "/w=0x,fit=fill", []string{"w", "fit"}, "is not valid"},
		{"/" + hash + "/" + id + "/w=400,blurry=1", []string{"blurry"}, "not a Cloudflare image option"},
		{"/" + hash + "/" + id + "/w=1,width=2", []string{"width"}, "given twice"},
		{"/" + hash + "/" + id, []string{"path"}, "does not name an image id and a variant"},
		{"/" + hash + "/" + id + "/", []string{"path"}, "does not name an image id and a variant"},
		{"/" + hash + "/", []string{"path"}, "does not name an image id and a variant"},
		{"/" + hash + "/../public", []string{"source"}, ". or .. segment"},
	})
	urltest.CheckInvalid(t, mustNew(t, nil, nil), []urltest.Invalid{
		{Prefix, []string{"path"}, "names no account hash"},
		{Prefix + "a.b/" + id + "/public", []string{"path"}, "names no account hash"},
	})
}

// A signed URL (Cloudflare's private images) is a 403 on sig.
func TestParseSigned(t *testing.T) {
	d := mustNew(t, nil, nil)
	for _, raw := range []string{
		Prefix + hash + "/" + id + "/public?exp=1631289275&sig=8217cb17667a1fd9aa4fd2e1da1ad50f",
		Prefix + hash + "/" + id + "/public?sig=x",
		Prefix + hash + "/" + id + "/nosuchvariant?exp=1",
	} {
		_, ok, err := urltest.Parse(t, d, raw)
		e := params.AsErrors(err)
		if !ok || len(e) != 1 || e[0].Status != http.StatusForbidden || e[0].Field != "sig" || e[0].Code != CodeUnverifiable {
			t.Errorf("%s: ok %v, %+v", raw, ok, e)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []struct {
		presets, accounts map[string]string
		want              string
	}{
		{map[string]string{"big": "w=9999999"}, nil, "preset big"},
		{map[string]string{"a/b": "w=1"}, nil, `preset "a/b"`},
		{map[string]string{"big": ""}, nil, "preset big"},
		{nil, map[string]string{"a.b": ""}, `cloud "a.b"`},
		{nil, map[string]string{hash: "img"}, "not a path on this site"},
		{nil, map[string]string{hash: "/img/../x"}, "not a path on this site"},
	} {
		if _, err := New(c.presets, c.accounts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: %v, want %q", c.presets, c.accounts, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		Prefix + hash + "/" + id + "/public", Prefix + hash + "/" + id + "/w=400,sharpen=3",
		"/" + hash + "/a/b/c/hero?sig=1", Prefix + "x/y/w=1,h=2,fit=crop,gravity=0.5x0.5", Prefix + "x/%zz/public", "/other/a/b",
	} {
		f.Add(s)
	}
	d := mustNew(f, presets, map[string]string{hash: "/images", "other": ""})
	f.Fuzz(func(t *testing.T, raw string) {
		if u, err := url.ParseRequestURI(raw); err != nil {
			return
		} else if _, claimed, err := d.Parse(u); claimed && err != nil {
			if e := params.AsErrors(err); e[0].Status == http.StatusForbidden {
				if len(e) != 1 || e[0].Field != "sig" {
					t.Fatalf("%+v", e)
				}
				return
			}
		}
		got, _, ok := urltest.FuzzParsed(t, d, raw, func(string) bool { return true })
		if !ok {
			return
		}
		if got.Remote() || !strings.HasPrefix(got.Source, "/") || strings.HasPrefix(got.Source, "//") {
			t.Fatalf("source %q", got.Source)
		}
		if !got.Params.AutoFormat && got.Params.Format == params.FormatSource {
			t.Fatalf("no format: %+v", got.Params)
		}
	})
}

func TestParseBuilderURLs(t *testing.T) {
	const src = "/083eb7b2-5392-4565-b69e-aff66acddd00"
	want := map[string]dialect.ImageURL{
		Prefix + "ZWd9g1K7eljCn_KDTu_MWA" + src + "/w=400,h=300,fit=cover": {Source: src, Params: params.Params{Width: 400, Height: 300, Fit: params.FitCrop, AutoFormat: true}},
		Prefix + "ZWd9g1K7eljCn_KDTu_MWA" + src + "/w=320,f=png,fit=cover": {Source: src, Params: params.Params{Width: 320, Fit: params.FitCrop, Format: params.FormatPNG}},
	}
	urltest.CheckBuilderURLs(t, mustNew(t, nil, nil), "cloudflare_images", want)
}
