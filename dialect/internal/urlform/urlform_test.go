package urlform

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/jebosio/matte/params"
)

func TestSource(t *testing.T) {
	valid := []struct{ ref, source, query string }{
		{"/img/a.jpg", "/img/a.jpg", ""},
		{"/img/a.jpg?v=1&x=%20y", "/img/a.jpg", "v=1&x=%20y"},
		{"/img/my%20photo.jpg", "/img/my photo.jpg", ""},
		{"/img/a.jpg#frag", "/img/a.jpg", ""},
		{"http://example.com/a.jpg", "http://example.com/a.jpg", ""},
		{"HTTPS://Example.com:8443/a.jpg?x=1#f", "https://Example.com:8443/a.jpg?x=1", ""},
		{"http://127.0.0.1:9080/img/a.jpg", "http://127.0.0.1:9080/img/a.jpg", ""},
	}
	for _, tt := range valid {
		s, q, err := Source(tt.ref)
		if err != nil || s != tt.source || q != tt.query {
			t.Errorf("Source(%q) = %q, %q, %v; want %q, %q", tt.ref, s, q, err, tt.source, tt.query)
		}
	}
	invalid := map[string]string{
		"":                              "empty",
		"/" + strings.Repeat("a", 4096): "longer than 4096",
		"/a\x00b":                       "control character",
		"/a\\b":                         "backslash",
		"\xff":                          "not UTF-8",
		"//evil.example/a.jpg":          "protocol-relative",
		"/img/../secret":                ". and ..",
		"/./a":                          ". and ..",
		"/img/%5C..%5Csecret":           ". and ..", // decoded, a backslash separates
		"img/a.jpg":                     "neither a path",
		"ftp://example.com/a.jpg":       "neither a path",
		"http:///a.jpg":                 "no host",
		"http:example.com":              "no host",
		"http://user:pw@example.com/":   "user info",
		"http://[::1":                   "not a valid URL",
	}
	for ref, want := range invalid {
		if _, _, err := Source(ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Source(%.40q): %v, want an error with %q", ref, err, want)
		}
	}
}

func TestWithout(t *testing.T) {
	drop := func(n string) bool { return n == "tr" }
	tests := map[string]string{
		"":                      "",
		"tr=w-1":                "",
		"a=1&tr=w-1&b=%20":      "a=1&b=%20",
		"t%72=w-1&a&&tr&x=y%zz": "a&x=y%zz",
		"TR=1":                  "TR=1",
	}
	for in, want := range tests {
		if got := Without(in, drop); got != want {
			t.Errorf("Without(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	var e Errors
	if e.Err() != nil {
		t.Fatal("zero Errors has an error")
	}
	e.Add("w", "first")
	e.Add("h", "other")
	e.Add("w", "second")
	list := params.AsErrors(e.Err())
	if len(list) != 2 || list[0].Field != "w" || list[0].Detail != "first" || list[1].Field != "h" ||
		list[0].Status != http.StatusBadRequest || list[0].Code != params.CodeInvalidParameter || !e.Has("h") || e.Has("q") {
		t.Fatalf("%+v", list)
	}
}

func FuzzSource(f *testing.F) {
	for _, s := range []string{"/img/a.jpg?v=1", "https://example.com/a.jpg", "//x", "/a/../b", "http://u@h/", "HTTP://H/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		s, q, err := Source(ref)
		if err != nil {
			if s != "" || q != "" {
				t.Fatalf("%q, %q with %v", s, q, err)
			}
			return
		}
		switch {
		case strings.HasPrefix(s, "/"):
			if strings.HasPrefix(s, "//") {
				t.Fatalf("source %q", s)
			}
			for _, seg := range strings.Split(s[1:], "/") {
				if seg == "." || seg == ".." {
					t.Fatalf("source %q has a dot segment", s)
				}
			}
		case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
			if q != "" || strings.Contains(s, "#") {
				t.Fatalf("remote %q with query %q", s, q)
			}
		default:
			t.Fatalf("source %q", s)
		}
	})
}

func TestOnAnyPath(t *testing.T) {
	names := []string{"width", "fit"}
	isParam := func(n string) bool { return n == "width" || n == "fit" || n == "gamma" }
	cases := []struct {
		raw, source, query string
		claimed            bool
		pathErr            bool
	}{
		{"/img/a.jpg?v=2", "", "", false, false},
		{"/img/a.jpg?gamma=2", "", "", false, false}, // a parameter, but not a mark
		{"/img/a.jpg?Width=2", "", "", false, false},
		{"/img/a%20b.jpg?v=2&width=10&gamma=1&x=%2F", "/img/a b.jpg", "v=2&x=%2F", true, false},
		{"/img/a.jpg?fit=", "/img/a.jpg", "", true, false},
		{"/?width=1", "", "", true, true},
		{"/a/../b.jpg?width=1", "", "", true, true},
		// Pairs url.ParseQuery skips still claim the URL, which then has
		// an error on "query" (TestOnAnyPathBadQuery).
		{"/img/a.jpg?width=%zz", "/img/a.jpg", "", true, false},
		{"/img/a.jpg?v=2&width=100;fit=cover", "/img/a.jpg", "v=2", true, false},
		{"/img/a.jpg?v=1;fit=cover", "/img/a.jpg", "v=1;fit=cover", true, false},
		{"/img/a.jpg?v=%zz&w%zz=1", "", "", false, false},
	}
	for _, tt := range cases {
		u, err := url.ParseRequestURI(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		var e Errors
		_, src, query, claimed := e.OnAnyPath(u, names, isParam)
		if src != tt.source || query != tt.query || claimed != tt.claimed || e.Has("path") != tt.pathErr {
			t.Errorf("%s: %q %q %v path error %v; want %q %q %v %v", tt.raw, src, query, claimed, e.Has("path"), tt.source, tt.query, tt.claimed, tt.pathErr)
		}
	}
}

// Query refuses on field "query" what url.ParseQuery would skip.
func TestQuery(t *testing.T) {
	for _, c := range []struct {
		raw, detail string // detail "": read
	}{
		{"", ""},
		{"width=100&height=50", ""},
		{"a=%2F&b=+&c=%25", ""},
		{"width=%zz", `The query is not validly escaped ("%zz" is not an escape)`},
		{"w%zzidth=1", `"%zz" is not an escape`},
		{"width=100%", `"%" is not an escape`},
		{"v=2&width=%2", `"%2" is not an escape`},
		{"width=100;height=50", "The query holds a ;, which does not separate parameters"},
		{"a;b", "holds a ;"},
	} {
		var e Errors
		q, ok := e.Query(c.raw)
		if c.detail == "" {
			if !ok || e.Err() != nil {
				t.Errorf("%q: ok=%v %v", c.raw, ok, e.Err())
			}
			if want, _ := url.ParseQuery(c.raw); !reflect.DeepEqual(q, want) {
				t.Errorf("%q: %v, want %v", c.raw, q, want)
			}
			continue
		}
		list := params.AsErrors(e.Err())
		if ok || len(list) != 1 || list[0].Field != "query" || list[0].Status != http.StatusBadRequest || !strings.Contains(list[0].Detail, c.detail) {
			t.Errorf("%q: ok=%v %+v, want a 400 on query with %q", c.raw, ok, list, c.detail)
		}
	}
}

// A claimed URL whose query url.ParseQuery cannot read has a 400 on
// "query" and no parameters to read.
func TestOnAnyPathBadQuery(t *testing.T) {
	for _, raw := range []string{"/img/a.jpg?width=%zz", "/img/a.jpg?width=100;fit=cover", "/img/a.jpg?fit=cover&x=%"} {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			t.Fatal(err)
		}
		var e Errors
		q, _, _, claimed := e.OnAnyPath(u, []string{"width", "fit"}, func(string) bool { return false })
		if !claimed || !e.Has("query") || len(q) != 0 {
			t.Errorf("%s: claimed %v, query error %v, q %v", raw, claimed, e.Has("query"), q)
		}
	}
}

// Claims: a pair naming the dialect counts also where url.ParseQuery
// skips it (a ; or a bad escape in its value), so that Errors.Query
// refuses the URL instead of the original being served.
func TestClaims(t *testing.T) {
	for _, c := range []struct {
		query string
		want  bool
	}{
		{"", false},
		{"tr=w-10", true},
		{"a=1&tr", true},
		{"a=1&&tr=", true},
		{"t%72=w-10", true},
		{"tr+=1", false},
		{"tr;x=1", true},
		{"tr=1;x", true},
		{"x=1;tr=2", true},
		{"tr=%zz", true},
		{"t%zzr=1", false}, // the name itself unreadable: not ours
		{"trx=1&xtr=2&TR=3", false},
	} {
		if got := Claims(c.query, "tr"); got != c.want {
			t.Errorf("Claims(%q, tr) = %v, want %v", c.query, got, c.want)
		}
	}
}

// FuzzClaims: Claims holds for every name url.ParseQuery's map holds, so a
// URL a dialect can read is never passed over.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{"tr=1", "a=1&t%72=2", "tr;=1", "tr=%zz&tr=1", "+tr=1", "tr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, _ := url.ParseQuery(query)
		for _, name := range []string{"tr", "imgeng", "a b", ""} {
			if q.Has(name) && !Claims(query, name) {
				t.Fatalf("Claims(%q, %q) = false; url.ParseQuery holds it", query, name)
			}
		}
	})
}
