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

// CheckParses checks that d claims each URL of cases and reads what it
// maps to.
func CheckParses(t *testing.T, d dialect.URLDialect, cases map[string]dialect.ImageURL) {
	t.Helper()
	for raw, want := range cases {
		got, ok, err := ParseURL(t, d, raw)
		if !ok || err != nil || got != want {
			t.Errorf("%s:\n got %+v %v %v\nwant %+v", raw, got, ok, err, want)
		}
	}
}

// CheckErrors checks that d claims each URL of cases and refuses it with
// 400s that have a detail, on the fields it maps to (in order,
// space-separated).
func CheckErrors(t *testing.T, d dialect.URLDialect, cases map[string]string) {
	t.Helper()
	for raw, want := range cases {
		_, ok, err := ParseURL(t, d, raw)
		var fields []string
		for _, e := range params.AsErrors(err) {
			if e.Status != 400 || e.Detail == "" {
				t.Errorf("%s: %+v", raw, e)
			}
			fields = append(fields, e.Field)
		}
		if got := strings.Join(fields, " "); !ok || err == nil || got != want {
			t.Errorf("%s: ok %v, fields %q, want %q (%v)", raw, ok, got, want, err)
		}
	}
}

// CheckNotClaimed checks that d leaves each URL alone.
func CheckNotClaimed(t *testing.T, d dialect.URLDialect, urls ...string) {
	t.Helper()
	for _, u := range urls {
		if _, ok, err := ParseURL(t, d, u); ok {
			t.Errorf("%s claimed (%v)", u, err)
		}
	}
}
