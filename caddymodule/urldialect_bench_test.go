package caddymodule

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// BenchmarkURLDialectsMiss is what the url_dialect lines of
// Caddyfile.example cost a request none of them claims (an imgix query
// URL, a cache hit included): every dialect is asked in turn.
func BenchmarkURLDialectsMiss(b *testing.B) {
	example, err := os.ReadFile(filepath.Join("..", "Caddyfile.example"))
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s*url_dialect (\w+)`).FindAllSubmatch(example, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) < 20 {
		b.Fatalf("Caddyfile.example names %d url_dialects: %q", len(names), names)
	}
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
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range ds {
				if _, ok, _ := d.Parse(u); ok {
					b.Fatalf("%s claims %s", d.Name(), u)
				}
			}
		}
	})
	// Each alone, to find the dear ones.
	for _, d := range ds {
		b.Run(d.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Parse(u)
			}
		})
	}
}
