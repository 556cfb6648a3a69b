package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var (
	keyOld = []byte("old-key-0123456789abcdef-0123456")
	keyNew = []byte("new-key-0123456789abcdef-0123456")
	now    = time.Unix(1_700_000_000, 0)
)

func clock() time.Time { return now }

func vals(raw string) url.Values {
	q, err := ParseQueryStrict(raw)
	if err != nil {
		panic(err)
	}
	return q
}

func TestCanonicalPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/photos/cat.jpg", "/photos/cat.jpg"},
		{"/a%2fb", "/a%2Fb"},
		{"/a%2Fb", "/a%2Fb"},
		{"/%7euser/x", "/~user/x"},
		{"/a,b;c=d", "/a%2Cb%3Bc%3Dd"},
		{"/a b", "/a%20b"},
		{"/a%20b", "/a%20b"},
		{"/a+b", "/a%2Bb"},
		{"/caf%c3%a9", "/caf%C3%A9"},
		{"/café", "/caf%C3%A9"},
		{"/100%", "/100%25"},
		{"/100%zz", "/100%25zz"},
		{"/1%2", "/1%252"},
		{"/../x", "/../x"},
		{"/a?b", "/a%3Fb"},
	} {
		if got := CanonicalPath(tc.in); got != tc.want {
			t.Errorf("CanonicalPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"w=300&fm=webp", "fm=webp&w=300"},
		{"s=zzz&w=1", "w=1"},
		{"b=2&a=2&a=1", "a=1&a=2&b=2"},
		{"txt=hello+world", "txt=hello%20world"},
		{"txt=hello%20world", "txt=hello%20world"},
		{"flag", "flag="},
		{"k=a%2Fb%7e", "k=a%2Fb~"},
		{"n%C3%A9=%E2%82%AC", "n%C3%A9=%E2%82%AC"},
		{"a=%7E&a=%80", "a=%80&a=~"}, // sorted on the encoded form
		{"&&w=1&", "w=1"},
	} {
		if got := CanonicalQuery(vals(tc.in)); got != tc.want {
			t.Errorf("CanonicalQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestStringToSignByHand recomputes a signature with nothing but the
// documented recipe, as another language would.
func TestStringToSignByHand(t *testing.T) {
	key := []byte("secret")
	msg := "/photos/cat.jpg?expires=1700000600&fm=webp&w=300"
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	q := url.Values{"w": {"300"}, "fm": {"webp"}, "expires": {"1700000600"}}
	if got := StringToSign("/photos/cat.jpg", q); got != msg {
		t.Fatalf("StringToSign = %q, want %q", got, msg)
	}
	if got := Compute(key, "/photos/cat.jpg", q); got != want || len(got) != 43 {
		t.Fatalf("Compute = %q, want %q", got, want)
	}
	if got := Sign(key, "/photos/cat.jpg", q); got != "expires=1700000600&fm=webp&w=300&s="+want {
		t.Fatalf("Sign = %q", got)
	}
}

func ExampleSign() {
	q := url.Values{"w": {"300"}, "fm": {"webp"}}
	fmt.Println(StringToSign("/photos/cat.jpg", q))
	fmt.Println(Sign([]byte("secret"), "/photos/cat.jpg", q))
	// Output:
	// /photos/cat.jpg?fm=webp&w=300
	// fm=webp&w=300&s=ia0-dcQqkIFxrr9eUc1aC5gSqiS0RGmC2VqY5hVQutU
}

func ExampleSignURL() {
	u, _ := SignURL([]byte("secret"), "https://cdn.example.com/photos/cat.jpg?w=300&fm=webp")
	fmt.Println(u)
	// Output:
	// https://cdn.example.com/photos/cat.jpg?w=300&fm=webp&s=ia0-dcQqkIFxrr9eUc1aC5gSqiS0RGmC2VqY5hVQutU
}

func policy() *Policy {
	return &Policy{
		Verifier: Verifier{Keys: [][]byte{keyNew, keyOld}, Now: clock},
		Required: true,
		Unsigned: []string{"w", "fm"},
		Presets: map[string]url.Values{
			"thumb": {"w": {"200"}, "h": {"200"}, "fit": {"crop"}},
		},
	}
}

// signed returns path?Sign(key, path, raw).
func signed(key []byte, path, raw string) (string, string) {
	return path, Sign(key, path, vals(raw))
}

// flipChar replaces s[i] by another base64url character.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestCheck(t *testing.T) {
	type req struct{ path, query string }
	s := func(key []byte, path, raw string) req { p, q := signed(key, path, raw); return req{p, q} }
	exp := func(d time.Duration) string { return fmt.Sprint(now.Add(d).Unix()) }

	good := s(keyNew, "/photos/cat.jpg", "w=300&h=200&fit=crop")
	tamperedPath := good
	tamperedPath.path = "/photos/dog.jpg"
	tamperedParam := req{good.path, strings.Replace(good.query, "h=200", "h=2000", 1)}
	added := req{good.path, good.query + "&blur=50"}
	addedUnsigned := req{good.path, good.query + "&fm=png"}
	dropped := req{good.path, strings.Replace(good.query, "fit=crop&", "", 1)}
	flipped := req{good.path, flipChar(good.query, len(good.query)-10)}

	for _, tc := range []struct {
		name     string
		p        *Policy
		r        req
		sentinel error
		field    string
		raw      string // want RawQuery when accepted
		signed   bool
	}{
		{name: "pass", r: good, raw: "fit=crop&h=200&w=300", signed: true},
		{name: "pass old key (rotation)", r: s(keyOld, "/photos/cat.jpg", "w=300&h=200"), raw: "h=200&w=300", signed: true},
		{name: "retired key", r: s([]byte("retired-key-0123456789abcdef-012"), "/photos/cat.jpg", "w=300&h=200"), sentinel: ErrInvalid, field: "s"},
		{name: "tampered path", r: tamperedPath, sentinel: ErrInvalid, field: "s"},
		{name: "encoded slash is not a slash", r: req{"/photos%2Fcat.jpg", s(keyNew, "/photos/cat.jpg", "w=1").query}, sentinel: ErrInvalid, field: "s"},
		{name: "escape case is canonical", r: req{"/caf%C3%A9.jpg", s(keyNew, "/caf%c3%a9.jpg", "w=1").query}, raw: "w=1", signed: true},
		{name: "tampered param", r: tamperedParam, sentinel: ErrInvalid, field: "s"},
		{name: "param added", r: added, sentinel: ErrInvalid, field: "s"},
		{name: "unsigned-allowed param added to signed URL", r: addedUnsigned, sentinel: ErrInvalid, field: "s"},
		{name: "param removed", r: dropped, sentinel: ErrInvalid, field: "s"},
		{name: "signature bit flipped", r: flipped, sentinel: ErrInvalid, field: "s"},
		{name: "signature with padding", r: req{good.path, good.query + "="}, sentinel: ErrInvalid, field: "s"},
		{name: "signature truncated", r: req{good.path, good.query[:len(good.query)-2]}, sentinel: ErrInvalid, field: "s"},
		{name: "signature empty", r: req{"/a.jpg", "w=1&blur=3&s="}, sentinel: ErrInvalid, field: "s"},
		{name: "signature twice", r: req{good.path, good.query + "&" + good.query[strings.Index(good.query, "s="):]}, sentinel: ErrInvalid, field: "s"},
		{name: "reordered params still pass", r: req{good.path, "w=300&" + strings.Replace(good.query, "&w=300", "", 1)}, raw: "w=300&fit=crop&h=200", signed: true},
		{name: "plus and %20 are the same space", r: req{"/a.jpg", strings.Replace(s(keyNew, "/a.jpg", "txt=a+b").query, "%20", "+", 1)}, raw: "txt=a+b", signed: true},
		{name: "semicolon part in signed URL", r: req{good.path, good.query + "&x=1;y=2"}, sentinel: ErrMalformedQuery},
		{name: "bad escape in signed URL", r: req{good.path, good.query + "&x=%zz"}, sentinel: ErrMalformedQuery},
		{name: "missing", r: req{"/photos/cat.jpg", "w=300&h=200"}, sentinel: ErrMissing, field: "h"},
		{name: "missing, origin param", r: req{"/photos/cat.jpg", "w=300&token=abc"}, sentinel: ErrMissing, field: "token"},
		{name: "unsigned allowlist", r: req{"/photos/cat.jpg", "w=300&fm=webp"}, raw: "w=300&fm=webp"},
		{name: "no parameters at all", r: req{"/photos/cat.jpg", ""}, raw: ""},
		{name: "unsigned malformed under Required", r: req{"/a.jpg", "w=1&x=%zz"}, sentinel: ErrMalformedQuery},
		{name: "expires ok", r: s(keyNew, "/a.jpg", "w=1&blur=5&expires="+exp(time.Minute)), raw: "blur=5&w=1", signed: true}, // Sign wrote the canonical order
		{name: "expired", r: s(keyNew, "/a.jpg", "w=1&expires="+exp(-time.Second)), sentinel: ErrExpired, field: "expires"},
		{name: "expires now is expired", r: s(keyNew, "/a.jpg", "w=1&expires="+exp(0)), sentinel: ErrExpired, field: "expires"},
		{name: "expires extended", r: req{"/a.jpg", strings.Replace(s(keyNew, "/a.jpg", "w=1&expires="+exp(-time.Second)).query, exp(-time.Second), exp(time.Hour), 1)}, sentinel: ErrInvalid, field: "s"},
		{name: "expires not a number", r: s(keyNew, "/a.jpg", "w=1&expires=soon"), sentinel: ErrBadExpires, field: "expires"},
		{name: "expires negative", r: s(keyNew, "/a.jpg", "w=1&expires=-5"), sentinel: ErrBadExpires, field: "expires"},
		{name: "expires too long", r: s(keyNew, "/a.jpg", "w=1&expires=99999999999999999999"), sentinel: ErrBadExpires, field: "expires"},
		{name: "expires twice", r: s(keyNew, "/a.jpg", "w=1&expires=1&expires=2"), sentinel: ErrBadExpires, field: "expires"},
		{name: "expires unsigned needs signature", r: req{"/a.jpg", "w=1&expires=" + exp(time.Hour)}, sentinel: ErrMissing, field: "expires"},
		{name: "preset unsigned", r: req{"/a.jpg", "preset=thumb"}, raw: "fit=crop&h=200&w=200"},
		{name: "preset with unsigned override", r: req{"/a.jpg", "preset=thumb&w=120&fm=webp"}, raw: "w=120&fm=webp&fit=crop&h=200"},
		{name: "preset with override needing signature", r: req{"/a.jpg", "preset=thumb&h=5000"}, sentinel: ErrMissing, field: "h"},
		{name: "preset signed with override", r: s(keyNew, "/a.jpg", "preset=thumb&h=5000"), raw: "h=5000&fit=crop&w=200", signed: true},
		{name: "unknown preset", r: req{"/a.jpg", "preset=huge"}, sentinel: ErrUnknownPreset, field: "preset"},
		{name: "empty preset", r: req{"/a.jpg", "preset="}, sentinel: ErrUnknownPreset, field: "preset"},
		{name: "preset twice", r: req{"/a.jpg", "preset=thumb&preset=thumb"}, sentinel: ErrUnknownPreset, field: "preset"},
		{name: "not required: unsigned anything", p: &Policy{Verifier: Verifier{Keys: [][]byte{keyNew}, Now: clock}}, r: req{"/a.jpg", "w=1&blur=9&x=1;2"}, raw: "w=1&blur=9&x=1;2"},
		{name: "not required: bad signature still refused", p: &Policy{Verifier: Verifier{Keys: [][]byte{keyNew}, Now: clock}}, r: req{"/a.jpg", "w=1&s=AAAA"}, sentinel: ErrInvalid, field: "s"},
		{name: "not required: unsigned expired", p: &Policy{Verifier: Verifier{Now: clock}}, r: req{"/a.jpg", "w=1&expires=5"}, sentinel: ErrExpired, field: "expires"},
		{name: "no keys: signature cannot pass", p: &Policy{Verifier: Verifier{Now: clock}}, r: good, sentinel: ErrInvalid, field: "s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if p == nil {
				p = policy()
			}
			res, err := p.Check("", tc.r.path, tc.r.query)
			if tc.sentinel != nil {
				var e *Error
				if !errors.Is(err, tc.sentinel) || !errors.As(err, &e) {
					t.Fatalf("Check(%q, %q) = %v, want %v", tc.r.path, tc.r.query, err, tc.sentinel)
				}
				if e.Field != tc.field {
					t.Errorf("Field = %q, want %q", e.Field, tc.field)
				}
				wantStatus := http.StatusForbidden
				if tc.sentinel == ErrBadExpires || tc.sentinel == ErrUnknownPreset || tc.sentinel == ErrMalformedQuery {
					wantStatus = http.StatusBadRequest
				}
				if e.Status != wantStatus || e.Code == "" || e.Detail == "" {
					t.Errorf("error %+v: want status %d, a code and a detail", e, wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%q, %q) = %v", tc.r.path, tc.r.query, err)
			}
			if res.RawQuery != tc.raw || res.Signed != tc.signed {
				t.Errorf("RawQuery = %q, Signed = %v; want %q, %v", res.RawQuery, res.Signed, tc.raw, tc.signed)
			}
			// Query and RawQuery agree, and neither holds a reserved name.
			back, _ := url.ParseQuery(res.RawQuery)
			if CanonicalQuery(back) != CanonicalQuery(res.Query) {
				t.Errorf("Query %v and RawQuery %q disagree", res.Query, res.RawQuery)
			}
			for _, r := range []string{ParamSignature, ParamExpires, ParamPreset} {
				if _, ok := res.Query[r]; ok {
					t.Errorf("effective query keeps %q", r)
				}
			}
		})
	}
}

func TestCheckResultFields(t *testing.T) {
	p := policy()
	e := now.Add(time.Hour).Unix()
	path, q := signed(keyOld, "/a.jpg", fmt.Sprintf("preset=thumb&expires=%d", e))
	res, err := p.Check("", path, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Preset != "thumb" || !res.Expires.Equal(time.Unix(e, 0)) || !res.Signed {
		t.Fatalf("result %+v", res)
	}
	if got := res.Query.Get("w"); got != "200" {
		t.Fatalf("w = %q", got)
	}
	// The preset map is not aliased into the result.
	res.Query["w"][0] = "1"
	if p.Presets["thumb"].Get("w") != "200" {
		t.Fatal("Check aliased the preset's values")
	}
}

func TestVerifierRaw(t *testing.T) {
	v := &Verifier{Keys: [][]byte{keyNew}, Now: clock}
	path, q := signed(keyNew, "/x.png", "w=10")
	if err := v.VerifyRaw(path, q); err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyRaw(path, q+"&a=1;b"); !errors.Is(err, ErrMalformedQuery) {
		t.Fatalf("got %v", err)
	}
	if err := v.VerifyRaw(path, "w=10"); !errors.Is(err, ErrMissing) {
		t.Fatalf("got %v", err)
	}
}

func TestSignURL(t *testing.T) {
	got, err := SignURL(keyNew, "https://cdn.example.com/a%2Fb/c.jpg?w=1&s=old#frag")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	if u.Host != "cdn.example.com" || u.Fragment != "frag" || u.EscapedPath() != "/a%2Fb/c.jpg" {
		t.Fatalf("SignURL = %q", got)
	}
	v := &Verifier{Keys: [][]byte{keyNew}}
	if err := v.VerifyRaw(u.EscapedPath(), u.RawQuery); err != nil {
		t.Fatalf("SignURL result does not verify: %v (%s)", err, got)
	}
	if _, err := SignURL(keyNew, "/a.jpg?x=%zz"); err == nil {
		t.Fatal("SignURL accepted a malformed query")
	}
	// A path-only URL also works, and a server sees the same path.
	got, _ = SignURL(keyNew, "/p/caf%C3%A9.jpg?fm=webp")
	r, _ := http.NewRequest("GET", "http://h"+got, nil)
	if err := v.VerifyRaw(r.URL.EscapedPath(), r.URL.RawQuery); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
}

func TestCanonicalHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"cdn.example.com", "cdn.example.com"},
		{"CDN.Example.COM", "cdn.example.com"},
		{"cdn.example.com:8443", "cdn.example.com"},
		{"cdn.example.com.", "cdn.example.com"},
		{"cdn.example.com.:443", "cdn.example.com"},
		{"127.0.0.1:9080", "127.0.0.1"},
		{"[::1]:9080", "::1"},
		{"[::1]", "::1"},
		{"", ""},
		// An internationalised name as browsers send it in Host (RFC 5891).
		{"bücher.example", "xn--bcher-kva.example"},
		{"Bücher.Example:443", "xn--bcher-kva.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
	} {
		if got := CanonicalHost(tc.in); got != tc.want {
			t.Errorf("CanonicalHost(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func ExampleSignURLForHost() {
	u, _ := SignURLForHost([]byte("secret"), "https://CDN.Example.com:443/photos/cat.jpg?w=300&fm=webp")
	fmt.Println(StringToSign(HostPath("CDN.Example.com:443", "/photos/cat.jpg"), vals("w=300&fm=webp")))
	fmt.Println(u)
	// Output:
	// cdn.example.com/photos/cat.jpg?fm=webp&w=300
	// https://CDN.Example.com:443/photos/cat.jpg?w=300&fm=webp&s=0tsH0o4-DLa4jZKWAQ9-_4QVhJm1g9Lav55O6WACa68
}

func TestHostBinding(t *testing.T) {
	bound := policy()
	bound.BindHost = true
	signedFor := func(host string) string {
		return Sign(keyNew, HostPath(host, "/a.jpg"), vals("w=300&h=200"))
	}
	forA := signedFor("a.example.com")
	for _, tc := range []struct {
		name     string
		p        *Policy
		host, q  string
		sentinel error // nil: accepted
	}{
		{"bound, same host", bound, "a.example.com", forA, nil},
		{"bound, same host with port and case", bound, "A.Example.com:9443", forA, nil},
		{"bound, other host", bound, "b.example.com", forA, ErrInvalid},
		{"bound, no host", bound, "", forA, ErrInvalid},
		{"bound, path-only signature", bound, "a.example.com", Sign(keyNew, "/a.jpg", vals("w=300&h=200")), ErrInvalid},
		{"bound, unsigned allowed params", bound, "b.example.com", "w=300", nil},
		{"unbound, host-bound signature", policy(), "a.example.com", forA, ErrInvalid},
		{"unbound, any host", policy(), "b.example.com", Sign(keyNew, "/a.jpg", vals("w=300&h=200")), nil},
	} {
		_, err := tc.p.Check(tc.host, "/a.jpg", tc.q)
		if tc.sentinel == nil && err != nil || tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
			t.Errorf("%s: Check = %v, want %v", tc.name, err, tc.sentinel)
		}
	}
	if _, err := SignURLForHost(keyNew, "/a.jpg?w=1"); err == nil {
		t.Error("SignURLForHost signed a URL without a host")
	}
}

func TestValidate(t *testing.T) {
	ok := policy()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*Policy{
		"required without key": {Required: true},
		"short key":            {Verifier: Verifier{Keys: [][]byte{[]byte("short")}}},
		"s unsigned":           {Unsigned: []string{"s"}},
		"empty preset":         {Presets: map[string]url.Values{"x": {}}},
		"reserved in preset":   {Presets: map[string]url.Values{"x": {"expires": {"1"}}}},
		"two values":           {Presets: map[string]url.Values{"x": {"w": {"1", "2"}}}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, p)
		}
	}
}

func TestExpandPreset(t *testing.T) {
	p := policy()
	got, err := p.ExpandPreset(url.Values{"preset": {"thumb"}, "w": {"50"}})
	if err != nil || CanonicalQuery(got) != "fit=crop&h=200&w=50" {
		t.Fatalf("ExpandPreset = %v, %v", got, err)
	}
	if _, err := p.ExpandPreset(url.Values{"preset": {"nope"}}); !errors.Is(err, ErrUnknownPreset) {
		t.Fatalf("got %v", err)
	}
}

// FuzzVerify checks, for any path and query: Check and Verify never panic;
// signing with Sign then verifying passes; the same request with another
// key, another path or one more parameter fails.
func FuzzVerify(f *testing.F) {
	f.Add("/photos/cat.jpg", "w=300&fm=webp", "")
	f.Add("/a%2Fb", "txt=a+b&k=%E2%82%AC", "x")
	f.Add("", "", "")
	f.Add("/x", "s=AAAA&w=1", "")
	f.Add("/x", "w=1;2", "s")
	f.Fuzz(func(t *testing.T, path, rawQuery, extra string) {
		p := policy()
		_, _ = p.Check("", path, rawQuery)
		_ = p.Verify(path, url.Values{"s": {rawQuery}})
		if CanonicalPath(CanonicalPath(path)) != CanonicalPath(path) {
			t.Fatalf("CanonicalPath not idempotent on %q", path)
		}
		q, err := ParseQueryStrict(rawQuery)
		if err != nil {
			return
		}
		q.Del("expires")
		signedQuery := Sign(keyNew, path, q)
		if err := p.Verify(path, vals(signedQuery)); err != nil {
			t.Fatalf("Sign(%q, %q) = %q does not verify: %v", path, rawQuery, signedQuery, err)
		}
		if _, err := p.Check("", path, signedQuery); err != nil {
			if !errors.Is(err, ErrUnknownPreset) && !errors.Is(err, ErrBadExpires) {
				t.Fatalf("Check of signed %q: %v", signedQuery, err)
			}
		}
		if err := (&Verifier{Keys: [][]byte{[]byte("some-other-key-0123456789abcdef")}}).Verify(path, vals(signedQuery)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("other key: %v", err)
		}
		if other := path + "x"; CanonicalPath(other) != CanonicalPath(path) {
			if err := p.Verify(other, vals(signedQuery)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("other path %q: %v", other, err)
			}
		}
		more := vals(signedQuery)
		more.Add("zz"+extra, extra)
		if err := p.Verify(path, more); !errors.Is(err, ErrInvalid) {
			t.Fatalf("added parameter: %v", err)
		}
	})
}

// SignURL keeps the URL's order (the signature is over the canonical form
// all the same): a WordPress URL whose kernel must follow its resize stays
// so once signed, and Check hands the dialect that order. A previous s is
// dropped, and the same parameters in another order verify alike.
func TestSignURLKeepsTheOrderGiven(t *testing.T) {
	key := []byte("secret")
	signed, err := SignURL(key, "/wp-content/uploads/a.jpg?w=400&filter=blurgaussian&s=old")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	if !strings.HasPrefix(u.RawQuery, "w=400&filter=blurgaussian&s=") || strings.Count(u.RawQuery, "s=") != 1 {
		t.Fatalf("signed %s", signed)
	}
	p := &Policy{Required: true, Verifier: Verifier{Keys: [][]byte{key}}}
	sig := u.RawQuery[strings.LastIndex(u.RawQuery, "&")+1:]
	for sent, want := range map[string]string{u.RawQuery: "w=400&filter=blurgaussian", "filter=blurgaussian&w=400&" + sig: "filter=blurgaussian&w=400"} {
		res, err := p.Check("", u.EscapedPath(), sent)
		if err != nil || res.RawQuery != want {
			t.Errorf("%s: %q %v, want %q", sent, res.RawQuery, err, want)
		}
	}
	// The signature is Sign's: the same for any order.
	q, _ := url.ParseQuery("filter=blurgaussian&w=400")
	if want := Sign(key, "/wp-content/uploads/a.jpg", q); !strings.HasSuffix(want, "&"+sig) {
		t.Errorf("SignURL's %s is not Sign's %s", sig, want)
	}
}

// A URL signed for an internationalised host, written in Unicode as
// url.Parse keeps it, verifies for the punycode Host a browser sends.
func TestHostBoundSignatureForAnInternationalisedHost(t *testing.T) {
	key := []byte("secret")
	signed, err := SignURLForHost(key, "https://bücher.example/a.jpg?w=100")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	p := &Policy{Required: true, BindHost: true, Verifier: Verifier{Keys: [][]byte{key}}}
	for _, host := range []string{"xn--bcher-kva.example", "bücher.example"} {
		if _, err := p.Check(host, u.EscapedPath(), u.RawQuery); err != nil {
			t.Errorf("Host %s: %v", host, err)
		}
	}
	if _, err := p.Check("other.example", u.EscapedPath(), u.RawQuery); err == nil {
		t.Error("verified for another host")
	}
}
