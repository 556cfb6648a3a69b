package bench

import (
	"net/url"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/cloudflare"
	"github.com/jebosio/matte/dialect/imagekit"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/dialect/imgproxy"
	"github.com/jebosio/matte/dialect/ipx"
	"github.com/jebosio/matte/dialect/netlify"
	"github.com/jebosio/matte/dialect/nextjs"
	"github.com/jebosio/matte/dialect/thumbor"
	"github.com/jebosio/matte/dialect/wsrv"
)

// BenchmarkDialectClaims is what the eight URL dialects cost an imgix
// query URL that none of them claims (scenario c's), against parsing the
// imgix query itself: the per-request price of `url_dialect` lines on a
// site's imgix traffic (bench/CHECKS.md).
func BenchmarkDialectClaims(b *testing.B) {
	proxy, err := imgproxy.New("", "")
	if err != nil {
		b.Fatal(err)
	}
	all := []dialect.URLDialect{cloudflare.New(), proxy, ipx.New(), thumbor.New(""), nextjs.New(), netlify.New(), wsrv.New(), imagekit.New()}
	u, err := url.Parse("/perf/photo-1mp.jpg?w=400&fm=webp&q=80")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("eight dialects decline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range all {
				if _, ok, _ := d.Parse(u); ok {
					b.Fatalf("%s claimed an imgix URL", d.Name())
				}
			}
		}
	})
	b.Run("imgix query parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q, _ := url.ParseQuery(u.RawQuery)
			if _, err := imgix.ParseQuery(q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
