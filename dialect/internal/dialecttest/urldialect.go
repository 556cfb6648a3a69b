package dialecttest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// ParseURL parses raw (a request URI) with d, failing t when raw is not a
// URL.
func ParseURL(t testing.TB, d dialect.URLDialect, raw string) (dialect.ImageURL, bool, error) {
	t.Helper()
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return d.Parse(u)
}

// CheckURLDialect runs d over raw and checks the URLDialect contract: no
// panic; an error only when ok, and then public errors (4xx, a code and a
// detail); otherwise a source that is a clean site path or an http(s) URL,
// and a query only with a local source. For fuzz targets.
func CheckURLDialect(t *testing.T, d dialect.URLDialect, raw string) {
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return
	}
	iu, ok, err := d.Parse(u)
	switch {
	case !ok:
		if err != nil || iu != (dialect.ImageURL{}) {
			t.Fatalf("%q: not claimed, yet %+v, %v", raw, iu, err)
		}
	case err != nil:
		for _, e := range params.AsErrors(err) {
			if e.Status < 400 || e.Status > 499 || e.Code == "" || e.Detail == "" {
				t.Fatalf("%q: bad error %+v", raw, e)
			}
		}
	case iu.Remote():
		if iu.Query != "" || strings.ContainsAny(iu.Source, "\x00\r\n") {
			t.Fatalf("%q: remote %+v", raw, iu)
		}
	default:
		s := iu.Source
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.Contains("/"+s+"/", "/../") || strings.ContainsAny(s, "\x00\r\n") {
			t.Fatalf("%q: local source %q", raw, s)
		}
	}
}
