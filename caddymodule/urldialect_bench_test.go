package caddymodule

import (
	"net/url"
	"testing"
)

// BenchmarkURLDialectsMiss is what the url_dialect lines of
// Caddyfile.example cost a request none of them claims (an imgix query
// URL, a cache hit included): every dialect is asked in turn.
func BenchmarkURLDialectsMiss(b *testing.B) {
	names := []string{"cloudflare", "imgproxy", "ipx", "thumbor", "nextjs", "netlify", "wsrv", "cloudinary", "vercel",
		"supabase", "contentstack", "builderio", "astro", "contentful", "imagekit", "imageengine"}
	var ds []urlDialect
	for _, n := range names {
		d, _, err := urlDialects[n](URLDialectConfig{Name: n})
		if err != nil {
			b.Fatal(n, err)
		}
		ds = append(ds, urlDialect{URLDialect: d})
	}
	u, err := url.Parse("/img/product.jpg?w=800&fm=webp&q=80")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range ds {
			if _, ok, _ := d.Parse(u); ok {
				b.Fatalf("%s claims %s", d.Name(), u)
			}
		}
	}
}
