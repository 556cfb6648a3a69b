package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jebosio/matte/params"
)

func TestAttachment(t *testing.T) {
	tests := []struct{ name, source, ext, want string }{
		{"medium.jpg", "/img/shoe.jpg", ".webp", `attachment; filename=medium.jpg`},
		{"my shoe.png", "/img/shoe.jpg", ".png", `attachment; filename="my shoe.png"`},
		{"", "/img/shoe.jpg", ".webp", `attachment; filename=shoe.webp`},
		{"", "/img/shoe", ".avif", `attachment; filename=shoe.avif`},
		{"", "/", ".png", `attachment; filename=image.png`},
		{"", "/img/shoe.jpg", "", `attachment; filename=shoe.jpg`},
		{"été.png", "/x.jpg", ".png", `attachment; filename*=utf-8''%C3%A9t%C3%A9.png`},
		{`a"b.jpg`, "/x.jpg", ".jpg", `attachment; filename="a\"b.jpg"`},
	}
	for _, tt := range tests {
		if got := attachment(tt.name, tt.source, tt.ext); got != tt.want {
			t.Errorf("attachment(%q, %q, %q) = %s, want %s", tt.name, tt.source, tt.ext, got, tt.want)
		}
	}
}

// An expiring URL's answer may not be kept past its end: max-age and
// s-maxage are cut to the seconds left, one is added where none is given,
// and what forbids storing stays as it is.
func TestCapMaxAge(t *testing.T) {
	for _, tc := range []struct {
		cc   string
		left time.Duration
		want string
	}{
		{"public, max-age=86400", time.Hour, "public, max-age=3600"},
		{"public, max-age=60", time.Hour, "public, max-age=60"},
		{"public, max-age=86400, s-maxage=604800", 90*time.Second + 500*time.Millisecond, "public, max-age=90, s-maxage=90"},
		{"public, MAX-AGE=86400, immutable", time.Minute, "public, max-age=60, immutable"},
		{"public, immutable", time.Minute, "public, immutable, max-age=60"},
		{"", time.Minute, "max-age=60"},
		{"public, max-age=86400", -time.Second, "public, max-age=0"},
		{"no-store", time.Hour, "no-store"},
		{"private, no-cache", time.Hour, "private, no-cache, max-age=3600"},
		{"no-cache", time.Hour, "no-cache"},
		{"public, max-age=86400, stale-while-revalidate=600, stale-if-error=86400", time.Minute, "public, max-age=60"},
		{"public,max-age=86400", time.Minute, "public, max-age=60"},
		// s-maxage binds shared caches only: a browser gets a max-age too.
		{"public, s-maxage=86400", time.Minute, "public, s-maxage=60, max-age=60"},
		// A quoted argument's commas are its own (RFC 9111 5.2.2.7): the
		// field names are not read as directives.
		{`private="Set-Cookie, X-A", max-age=86400`, time.Minute, `private="Set-Cookie, X-A", max-age=60`},
		{`no-cache="Set-Cookie, X-A\", B", public`, time.Minute, `no-cache="Set-Cookie, X-A\", B", public, max-age=60`},
		// A quoted argument that names a freshness directive is not kept:
		// a cache that finds "max-age=" anywhere would read it. private
		// and no-cache keep their stricter bare form.
		{`private="Set-Cookie, max-age=5"`, time.Minute, `private, max-age=60`},
		{`no-cache="X, stale-if-error=86400", public`, time.Minute, `no-cache, public, max-age=60`},
		{`public, ext="max-age=31536000"`, time.Minute, `public, max-age=60`},
		// Malformed quoting: a stray quote inside a token opens nothing,
		// and an unterminated quoted string is split at every comma.
		{`public, x"y, max-age=31536000`, time.Minute, `public, x"y, max-age=60`},
		{`private="Set-Cookie, max-age=31536000`, time.Minute, `private="Set-Cookie, max-age=60`},
	} {
		if got := capMaxAge(tc.cc, tc.left, true); got != tc.want {
			t.Errorf("capMaxAge(%q, %v) = %q, want %q", tc.cc, tc.left, got, tc.want)
		}
	}
}

// A pass-through answer to an expiring URL (the original itself): every
// Cache-Control line is read, Expires goes, a success without freshness
// gets a max-age, and an error only has its own shortened, never one
// added (a 502 must not become cacheable until the URL ends).
func TestExpiringWriter(t *testing.T) {
	in := 10 * time.Minute
	for _, tc := range []struct {
		code   int
		cc     []string
		expiry string
		want   string
	}{
		{200, nil, "", "max-age=599"},
		{200, []string{"public, max-age=31536000"}, "Wed, 21 Oct 2099 07:28:00 GMT", "public, max-age=599"},
		{200, []string{"max-age=31536000", "private"}, "", "max-age=599, private"},
		{502, nil, "", ""},
		{404, []string{"public, max-age=3600"}, "", "public, max-age=599"},
		{404, []string{"public, max-age=60"}, "", "public, max-age=60"},
	} {
		rec := httptest.NewRecorder()
		for _, v := range tc.cc {
			rec.Header().Add("Cache-Control", v)
		}
		if tc.expiry != "" {
			rec.Header().Set("Expires", tc.expiry)
		}
		w := untilExpiry(rec, time.Now().Add(in))
		w.WriteHeader(tc.code)
		if got := strings.Join(rec.Header().Values("Cache-Control"), ", "); got != tc.want || rec.Header().Get("Expires") != "" {
			t.Errorf("%d %q: Cache-Control %q, Expires %q; want %q and none", tc.code, tc.cc, got, rec.Header().Get("Expires"), tc.want)
		}
	}
}

// A handler that flushes before it writes (a streaming proxy) sends a
// 200's headers with the flush: they are capped first, whether the flush
// comes through http.ResponseController or an http.Flusher assertion.
func TestExpiringWriterFlushFirst(t *testing.T) {
	for name, flush := range map[string]func(http.ResponseWriter){
		"ResponseController": func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() },
		"Flusher":            func(w http.ResponseWriter) { w.(http.Flusher).Flush() },
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Cache-Control", "public, max-age=31536000")
		rec.Header().Set("Expires", "Wed, 21 Oct 2099 07:28:00 GMT")
		flush(untilExpiry(rec, time.Now().Add(10*time.Minute)))
		if !rec.Flushed {
			t.Errorf("%s: not flushed", name)
		}
		if got := rec.Result().Header; got.Get("Cache-Control") != "public, max-age=599" || got.Get("Expires") != "" {
			t.Errorf("%s: flushed headers Cache-Control %q, Expires %q; want public, max-age=599 and none", name, got.Get("Cache-Control"), got.Get("Expires"))
		}
	}
}

// TestEtagMatches: If-None-Match uses the weak comparison (RFC 9110
// §13.1.2: "two entity tags are equivalent if their opaque-tags match
// character-by-character, regardless of either or both being tagged as
// 'weak'"), on the client's tags and the stored one alike.
func TestEtagMatches(t *testing.T) {
	tests := []struct {
		header, etag string
		want         bool
	}{
		{`"a"`, `"a"`, true},
		{`W/"a"`, `"a"`, true},
		{`"a"`, `W/"a"`, true},
		{`W/"a"`, `W/"a"`, true},
		{`"x", W/"a"`, `W/"a"`, true},
		{`*`, `W/"a"`, true},
		{`"b"`, `W/"a"`, false},
		{`W/"b"`, `W/"a"`, false},
		{`"a"`, `"A"`, false},
		{``, `"a"`, false},
		{`"a"`, ``, false},
		{`, `, ``, false},
	}
	for _, tc := range tests {
		if got := etagMatches(tc.header, tc.etag); got != tc.want {
			t.Errorf("etagMatches(%q, %q) = %v, want %v", tc.header, tc.etag, got, tc.want)
		}
	}
}

// TestIfNoneMatch: every If-None-Match field line is read, as one list
// (RFC 9110 §5.3).
func TestIfNoneMatch(t *testing.T) {
	h := http.Header{}
	if got := ifNoneMatch(h); got != "" {
		t.Errorf("no field: %q", got)
	}
	h.Add("If-None-Match", `"a", "b"`)
	h.Add("If-None-Match", `W/"c"`)
	if got := ifNoneMatch(h); got != `"a", "b", W/"c"` {
		t.Errorf("two lines: %q", got)
	}
	if !etagMatches(ifNoneMatch(h), `"c"`) {
		t.Error(`"c" on the second line does not match`)
	}
}

// TestAsTimeout: a bare deadline is Matte's 503 timeout; an error that is
// already public keeps its status and code, whatever its cause.
func TestAsTimeout(t *testing.T) {
	upstream := &params.Error{Status: http.StatusGatewayTimeout, Code: params.CodeUpstream, Title: "Gateway Timeout",
		Detail: "The source took too long to download.", Cause: fmt.Errorf("fetch: %w", context.DeadlineExceeded)}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"bare deadline", context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout"},
		{"wrapped deadline", fmt.Errorf("render: %w", context.DeadlineExceeded), http.StatusServiceUnavailable, "timeout"},
		{"cancellation", context.Canceled, http.StatusServiceUnavailable, "timeout"},
		{"origin timeout", upstream, http.StatusGatewayTimeout, "upstream_error"},
		{"origin timeout, wrapped", fmt.Errorf("source: %w", upstream), http.StatusGatewayTimeout, "upstream_error"},
		{"a list", params.Errors{upstream}, http.StatusGatewayTimeout, "upstream_error"},
		{"other", errors.New("boom"), http.StatusInternalServerError, "internal_error"},
	}
	for _, tc := range tests {
		list := params.AsErrors(asTimeout(tc.err))
		if list.Status() != tc.status || list[0].Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, list.Status(), list[0].Code, tc.status, tc.code)
		}
	}
}
