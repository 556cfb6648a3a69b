package caddymodule

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/bunny"
	"github.com/jebosio/matte/dialect/cloudflare"
	"github.com/jebosio/matte/dialect/imgproxy"
	"github.com/jebosio/matte/dialect/ipx"
	"github.com/jebosio/matte/dialect/nextjs"
	"github.com/jebosio/matte/dialect/shopify"
)

// TestRelocateDialect: a redirect on this site that a dialect URL's source
// is answered with becomes the same dialect URL over the new path, where
// the dialect writes its source into its path and the new URL reads back
// as the same transform; elsewhere (Next.js's url=, a path the dialect
// derives, a signature over the old path) there is none.
func TestRelocateDialect(t *testing.T) {
	unsigned, err := imgproxy.New("", "")
	if err != nil {
		t.Fatal(err)
	}
	key, salt := []byte("matte-key"), []byte("matte-salt")
	signed, err := imgproxy.New(hex.EncodeToString(key), hex.EncodeToString(salt), imgproxy.Site{})
	if err != nil {
		t.Fatal(err)
	}
	// imgproxy's signature: base64url (unpadded) of HMAC-SHA256(key, salt + path).
	mac := hmac.New(sha256.New, key)
	mac.Write(append(salt, "/w:10/plain/local:///old.jpg"...))
	signedURL := "/" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) + "/w:10/plain/local:///old.jpg"

	for _, tc := range []struct {
		name     string
		d        dialect.URLDialect
		url, loc string
		want     string // "": none
	}{
		{"cloudflare", cloudflare.New(), "/cdn-cgi/image/width=100/old.jpg", "/photos/car-2.jpg", "/cdn-cgi/image/width=100/photos/car-2.jpg"},
		{"cloudflare query", cloudflare.New(), "/cdn-cgi/image/width=100,quality=80/old.jpg?v=3", "/photos/car-2.jpg?v=3", "/cdn-cgi/image/width=100,quality=80/photos/car-2.jpg?v=3"},
		{"cloudflare absolute", cloudflare.New(), "/cdn-cgi/image/width=100/old.jpg", "http://localhost:9080/photos/car-2.jpg", "http://localhost:9080/cdn-cgi/image/width=100/photos/car-2.jpg"},
		{"cloudflare relative", cloudflare.New(), "/cdn-cgi/image/width=100/img/old.jpg", "car-2.jpg", "/cdn-cgi/image/width=100/img/car-2.jpg"},
		{"cloudflare trailing slash", cloudflare.New(), "/cdn-cgi/image/width=100/dir", "/dir/", "/cdn-cgi/image/width=100/dir/"},
		{"ipx", ipx.New(), "/_ipx/w_100/old.jpg", "/photos/car-2.jpg", "/_ipx/w_100/photos/car-2.jpg"},
		{"imgproxy plain", unsigned, "/insecure/w:10/plain/local:///old.jpg", "/photos/car-2.jpg", "/insecure/w:10/plain/local:///photos/car-2.jpg"},
		{"imgproxy extension", unsigned, "/insecure/w:10/plain/local:///old.jpg@webp", "/photos/car-2.jpg", "/insecure/w:10/plain/local:///photos/car-2.jpg@webp"},
		{"bunny: its parameters follow the new query", bunny.New(), "/old.jpg?width=100&v=3", "/photos/car-2.jpg?v=4", "/photos/car-2.jpg?v=4&width=100"},
		{"imgproxy signed", signed, signedURL, "/photos/car-2.jpg", ""},
		{"nextjs", nextjs.New(), "/_next/image?url=%2Fold.jpg&w=256&q=75", "/photos/car-2.jpg", ""},
		{"nextjs url a suffix of its route", nextjs.New(), "/_next/image?url=%2Fimage&w=256&q=75", "/photos/car-2.jpg", ""},
		{"vercel", nextjs.NewVercel(), "/_vercel/image?url=%2Fold.jpg&w=256&q=75", "/photos/car-2.jpg", ""},
		{"shopify: a path it derives", shopify.New(), "/cdn/shop/files/old_480x.jpg", "/cdn/shop/files/car-2.jpg", ""},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		iu, ok, err := tc.d.Parse(u)
		if !ok || err != nil {
			t.Fatalf("%s: %s does not parse: %v %v", tc.name, tc.url, ok, err)
		}
		loc, err := url.Parse(tc.loc)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := relocateDialect(tc.d, u, iu, loc)
		if tc.want == "" && ok || tc.want != "" && (!ok || got != tc.want) {
			t.Errorf("%s: %s moved to %s: %q %v, want %q", tc.name, tc.url, tc.loc, got, ok, tc.want)
		}
	}
}
