package urltest

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// Parse runs d.Parse on raw, a request URI ("/path?query").
func Parse(t testing.TB, d dialect.URLDialect, raw string) (dialect.ImageURL, bool, error) {
	t.Helper()
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		t.Fatalf("%.80s: %v", raw, err)
	}
	return d.Parse(u)
}

// Valid is a URL d must claim and read as Want with Source and Query. It is
// an alias of an unnamed struct so that tables may list its values unkeyed.
type Valid = struct {
	Raw           string
	Source, Query string
	Want          params.Params
}

// CheckValid fails t for every case d does not read as it says. The
// names a dialect gives the options that placed a region or padded the
// image (RectField, RectYField, PadField: for errors found while serving) are not
// compared; CheckFields checks them.
func CheckValid(t *testing.T, d dialect.URLDialect, cases []Valid) {
	t.Helper()
	for _, tt := range cases {
		got, ok, err := Parse(t, d, tt.Raw)
		got.RectField, got.RectYField, got.PadField = "", "", ""
		want := dialect.ImageURL{Params: tt.Want, Source: tt.Source, Query: tt.Query}
		if !ok || err != nil || got != want {
			t.Errorf("%.80s: ok=%v err=%v\n got %+v\nwant %+v", tt.Raw, ok, err, got, want)
		}
	}
}

// CheckFields fails t for every URL of cases that d does not read with
// the RectField and PadField given ([2]string{rect, pad}).
func CheckFields(t *testing.T, d dialect.URLDialect, cases map[string][2]string) {
	t.Helper()
	for raw, want := range cases {
		got, ok, err := Parse(t, d, raw)
		if !ok || err != nil || got.RectField != want[0] || got.PadField != want[1] {
			t.Errorf("%.80s: ok=%v err=%v, RectField %q PadField %q, want %q %q", raw, ok, err, got.RectField, got.PadField, want[0], want[1])
		}
	}
}

// Invalid is a URL d must claim and refuse with one 400 per field of
// Fields, in that order, each detail containing Detail. It is an alias of
// an unnamed struct so that tables may list the three values unkeyed.
type Invalid = struct {
	Raw    string
	Fields []string
	Detail string
}

// CheckInvalid fails t for every case d does not refuse as it says.
func CheckInvalid(t *testing.T, d dialect.URLDialect, cases []Invalid) {
	t.Helper()
	for _, tt := range cases {
		got, ok, err := Parse(t, d, tt.Raw)
		list := params.AsErrors(err)
		if !ok || err == nil || got != (dialect.ImageURL{}) || len(list) != len(tt.Fields) {
			t.Errorf("%.80s: ok=%v err=%v, want errors on %v", tt.Raw, ok, err, tt.Fields)
			continue
		}
		for i, e := range list {
			if e.Field != tt.Fields[i] || e.Status != http.StatusBadRequest || e.Code != params.CodeInvalidParameter || !strings.Contains(e.Detail, tt.Detail) {
				t.Errorf("%.80s: %+v, want field %s with %q", tt.Raw, e, tt.Fields[i], tt.Detail)
			}
		}
	}
}

// CheckNotClaimed fails t for every URL d claims.
func CheckNotClaimed(t *testing.T, d dialect.URLDialect, raws ...string) {
	t.Helper()
	for _, raw := range raws {
		if got, ok, err := Parse(t, d, raw); ok || err != nil || got != (dialect.ImageURL{}) {
			t.Errorf("%s: ok=%v err=%v", raw, ok, err)
		}
	}
}

// CheckBuilderURLs parses every URL builders.json holds for provider and
// compares it with want, keyed by the request; a built URL missing from
// want fails too, so that a new builder version is looked at.
func CheckBuilderURLs(t *testing.T, d dialect.URLDialect, provider string, want map[string]dialect.ImageURL) {
	t.Helper()
	for _, c := range Load(t).For(t, provider) {
		w, known := want[c.Request]
		if !known {
			t.Errorf("%s built %s, which this test does not pin", c.Builder, c.Request)
			continue
		}
		got, ok, err := d.Parse(c.RequestURL(t))
		if !ok || err != nil || got != w {
			t.Errorf("%s %s: ok=%v err=%v\n got %+v\nwant %+v", c.Builder, c.Request, ok, err, got, w)
		}
	}
}

// FuzzError checks a Parse error for a fuzz target: a non-empty
// params.Errors of 400s whose fields known accepts, or "query" (a query
// url.ParseQuery cannot read whole: urlform.Errors.Query, which any
// dialect reading its options from the query answers), with the zero
// ImageURL.
func FuzzError(t *testing.T, got dialect.ImageURL, err error, known func(field string) bool) {
	t.Helper()
	var list params.Errors
	if !errors.As(err, &list) || len(list) == 0 || got != (dialect.ImageURL{}) {
		t.Fatalf("error %v with %+v", err, got)
	}
	for _, e := range list {
		if !known(e.Field) && e.Field != "query" || e.Status != http.StatusBadRequest || e.Code != params.CodeInvalidParameter || e.Detail == "" {
			t.Fatalf("bad entry %+v", e)
		}
	}
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
	if f := iu.Fallback; ok && err == nil && f != "" && (params.CheckImageRef(f) != nil || iu.FallbackField == "") {
		t.Fatalf("%q: fallback image %q named by %q", raw, f, iu.FallbackField)
	}
}

// FuzzParsed runs a fuzz target's raw request URI through d: the
// URLDialect contract (CheckURLDialect), then, for a URL d claims and
// refuses, FuzzError with known. ok is true only for a URL d claims and
// reads, which it returns with the URL parsed.
func FuzzParsed(t *testing.T, d dialect.URLDialect, raw string, known func(field string) bool) (got dialect.ImageURL, u *url.URL, ok bool) {
	t.Helper()
	CheckURLDialect(t, d, raw)
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return dialect.ImageURL{}, nil, false
	}
	got, claimed, err := d.Parse(u)
	if claimed && err != nil {
		FuzzError(t, got, err, known)
	}
	return got, u, claimed && err == nil
}

// FuzzClaimed is FuzzParsed for a fuzz target that builds raw inside d's
// URL shape (a fixed prefix and a fuzzed tail): d must claim every such URL
// that parses as a request URI. ok is true for one it also reads.
func FuzzClaimed(t *testing.T, d dialect.URLDialect, raw string, known func(field string) bool) (got dialect.ImageURL, ok bool) {
	t.Helper()
	if _, err := url.ParseRequestURI(raw); err != nil {
		return dialect.ImageURL{}, false
	}
	got, u, ok := FuzzParsed(t, d, raw, known)
	if _, claimed, _ := d.Parse(u); !claimed {
		t.Fatalf("%q: not claimed", raw)
	}
	return got, ok
}

// CheckParses checks that d claims each URL of cases and reads what it
// maps to.
func CheckParses(t *testing.T, d dialect.URLDialect, cases map[string]dialect.ImageURL) {
	t.Helper()
	for raw, want := range cases {
		got, ok, err := Parse(t, d, raw)
		if !ok || err != nil || got != want {
			t.Errorf("%s:\n got %+v %v %v\nwant %+v", raw, got, ok, err, want)
		}
	}
}

// CheckSources checks that d claims and reads each URL of cases, with
// the source it maps to.
func CheckSources(t *testing.T, d dialect.URLDialect, cases map[string]string) {
	t.Helper()
	for raw, want := range cases {
		got, ok, err := Parse(t, d, raw)
		if !ok || err != nil || got.Source != want {
			t.Errorf("%s: source %q (%v, %v), want %q", raw, got.Source, ok, err, want)
		}
	}
}

// CheckErrors checks that d claims each URL of cases and refuses it with
// 400s that have a detail, on the fields it maps to (in order,
// space-separated).
func CheckErrors(t *testing.T, d dialect.URLDialect, cases map[string]string) {
	t.Helper()
	for raw, want := range cases {
		_, ok, err := Parse(t, d, raw)
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

// WithFrames sets Params.Frames to f in every expected answer of m: a
// dialect's default for animated sources, which every URL carries.
func WithFrames(m map[string]dialect.ImageURL, f params.Frames) map[string]dialect.ImageURL {
	for k, v := range m {
		v.Params.Frames = f
		m[k] = v
	}
	return m
}
