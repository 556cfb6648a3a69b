package fetch

// NETWORK RULE: these tests only ever connect to 127.0.0.1 (httptest
// servers). Every other address is produced by fakeResolver and handed to
// guardDialer, which records it and refuses it without dialling.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeResolver answers from a map; unknown names are NXDOMAIN.
type fakeResolver struct {
	mu    sync.Mutex
	names map[string][]string
	calls []string
	block bool // wait for ctx instead of answering
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	r.calls = append(r.calls, host)
	addrs, ok := r.names[strings.TrimSuffix(strings.ToLower(host), ".")] // as DNS does
	block := r.block
	r.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, &net.DNSError{Err: ctx.Err().Error(), Name: host, IsTimeout: true}
	}
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

// guardDialer records every address it is asked for and really connects
// only to 127.0.0.1; anything else is refused without a packet being sent.
type guardDialer struct {
	mu     sync.Mutex
	dialed []string
	block  bool // wait for ctx instead of connecting
	// blockAddr makes only this address (without port) wait for ctx.
	blockAddr string
}

var errGuard = errors.New("guardDialer: refusing a non-loopback address")

func (d *guardDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, address)
	block := d.block || d.blockAddr != "" && strings.HasPrefix(address, d.blockAddr+":")
	d.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, fmt.Errorf("guardDialer: %q is not ip:port", address)
	}
	if ap.Addr() != netip.MustParseAddr("127.0.0.1") {
		return nil, errGuard
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func (d *guardDialer) addresses() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialed...)
}

// env is a Fetcher wired to a fake resolver and a guard dialer.
type env struct {
	f   *Fetcher
	res *fakeResolver
	dl  *guardDialer
}

func newEnv(t *testing.T, o Options, names map[string][]string) *env {
	t.Helper()
	e := &env{res: &fakeResolver{names: names}, dl: &guardDialer{}}
	o.Resolver, o.Dialer = e.res, e.dl
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	e.f = f
	return e
}

func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("test server on %s, want 127.0.0.1", u.Host)
	}
	return u.Port()
}

func wantKind(t *testing.T, err error, kind Kind) *FetchError {
	t.Helper()
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *FetchError of kind %s", err, err, kind)
	}
	if fe.Kind != kind {
		t.Fatalf("kind %s (%v), want %s", fe.Kind, fe, kind)
	}
	return fe
}

// TestDeniedClassesViaResolver: a name resolving to any refused class is
// refused before dialling, as KindDenied for the logs, but Resolved: to a
// client (ClientKind, Detail) it reads exactly as a name that does not
// resolve, so answers do not tell which internal names exist.
func TestDeniedClassesViaResolver(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	_, err := e.f.Fetch(context.Background(), Request{URL: "http://nxdomain.test/img.jpg"})
	nx := wantKind(t, err, KindNetwork)
	for _, tc := range deniedAddrs {
		t.Run(tc.ip, func(t *testing.T) {
			e := newEnv(t, Options{}, map[string][]string{"target.test": {tc.ip}})
			_, err := e.f.Fetch(context.Background(), Request{URL: "http://target.test/img.jpg"})
			fe := wantKind(t, err, KindDenied)
			if !fe.Resolved || fe.ClientKind() != nx.ClientKind() || fe.Detail() != nx.Detail() {
				t.Errorf("resolved %v, client kind %s, detail %q; a name that does not resolve: %s, %q",
					fe.Resolved, fe.ClientKind(), fe.Detail(), nx.ClientKind(), nx.Detail())
			}
			if fe.Reason != tc.class.String() || fe.Addr.String() != netip.MustParseAddr(tc.ip).String() {
				t.Errorf("reason %q addr %s, want %q %s", fe.Reason, fe.Addr, tc.class, tc.ip)
			}
			if got := e.dl.addresses(); len(got) != 0 {
				t.Errorf("dialer was asked for %v", got)
			}
			if strings.Contains(fe.Detail(), tc.ip) {
				t.Errorf("Detail leaks the address: %q", fe.Detail())
			}
		})
	}
}

// TestMixedAnswer: every resolved address is checked before any is dialled;
// one refused address refuses the host, whatever its position.
func TestMixedAnswer(t *testing.T) {
	e := newEnv(t, Options{}, map[string][]string{
		"public-first.test":  {"8.8.8.8", "10.0.0.1"},
		"private-first.test": {"10.0.0.1", "8.8.8.8"},
		"v6-metadata.test":   {"2606:4700::1", "::ffff:169.254.169.254"},
	})
	for _, host := range []string{"public-first.test", "private-first.test", "v6-metadata.test"} {
		_, err := e.f.Fetch(context.Background(), Request{URL: "http://" + host + "/x"})
		wantKind(t, err, KindDenied)
	}
	if got := e.dl.addresses(); len(got) != 0 {
		t.Fatalf("dialer was asked for %v", got)
	}
}

// TestDialsCheckedLiteral: the dialer receives the checked address as an
// IP literal (nothing can resolve the name again), in resolver order.
func TestDialsCheckedLiteral(t *testing.T) {
	e := newEnv(t, Options{}, map[string][]string{"public.test": {"::ffff:8.8.8.8", "2606:4700::1"}})
	_, err := e.f.Fetch(context.Background(), Request{URL: "http://public.test:8080/x"})
	fe := wantKind(t, err, KindNetwork)
	if !errors.Is(fe, errGuard) {
		t.Errorf("err %v, want the guard's refusal", fe)
	}
	got := e.dl.addresses()
	if strings.Join(got, ",") != "8.8.8.8:8080,[2606:4700::1]:8080" {
		t.Fatalf("dialer asked for %v", got)
	}
}

func TestLiteralAndMalformedHosts(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	for _, tc := range []struct {
		url  string
		kind Kind
	}{
		{"http://10.0.0.1/x", KindDenied},
		{"http://127.0.0.1:8080/", KindDenied},
		{"http://169.254.169.254/latest/meta-data/", KindDenied},
		{"http://[::1]/", KindDenied},
		{"http://[::ffff:127.0.0.1]/", KindDenied},
		{"http://[::ffff:a9fe:a9fe]/", KindDenied},
		{"http://[64:ff9b::7f00:1]/", KindDenied},
		{"http://[2002:a00:1::]/", KindDenied},
		{"http://[fd00::1]/", KindDenied},
		{"http://0.0.0.0/", KindDenied},
		{"http://[fe80::1%25eth0]/", KindInvalidURL},
		{"http://127.1/", KindInvalidURL},
		{"http://2130706433/", KindInvalidURL},
		{"http://0x7f.1/", KindInvalidURL},
		{"http://0x7f000001/", KindInvalidURL},
		{"http://017700000001/", KindInvalidURL},
		{"http://a.b.c.1/", KindInvalidURL},
		{"http://exa mple.com/", KindInvalidURL},
		{"http://exämple.com/", KindInvalidURL},
		{"http://user:pass@example.com/", KindInvalidURL},
		{"http://example.com@10.0.0.1/", KindInvalidURL}, // userinfo
		{"http://example.com:0/", KindInvalidURL},
		{"http://example.com:99999/", KindInvalidURL},
		{"http:///x", KindInvalidURL},
		{"//example.com/x", KindInvalidURL},
		{"/x.jpg", KindInvalidURL},
		{"http:example.com", KindInvalidURL},
		{"http://" + strings.Repeat("a", 64) + ".com/", KindInvalidURL},
		{"http://example.com/" + strings.Repeat("a", maxURLLen), KindInvalidURL},
		{"http://%zz/", KindInvalidURL},
	} {
		_, err := e.f.Fetch(context.Background(), Request{URL: tc.url})
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Kind != tc.kind {
			t.Errorf("Fetch(%q) = %v, want %s", tc.url, err, tc.kind)
		} else if fe.Resolved || fe.ClientKind() != tc.kind {
			// A literal address is the URL's own: the client is told.
			t.Errorf("Fetch(%q): resolved %v, client kind %s", tc.url, fe.Resolved, fe.ClientKind())
		}
	}
	if len(e.res.calls) != 0 || len(e.dl.addresses()) != 0 {
		t.Fatalf("network was touched: resolver %v, dialer %v", e.res.calls, e.dl.addresses())
	}
}

func TestSchemes(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	for _, u := range []string{"file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x.jpg", "data:image/png;base64,AAAA", "javascript:alert(1)", "ws://example.com/", "jar:http://example.com/!/"} {
		_, err := e.f.Fetch(context.Background(), Request{URL: u})
		if fe := wantKind(t, err, KindInvalidURL); fe.Reason != "scheme" {
			t.Errorf("%s: reason %q", u, fe.Reason)
		}
	}
	onlyHTTPS := newEnv(t, Options{AllowedSchemes: []string{"HTTPS"}}, nil)
	_, err := onlyHTTPS.f.Fetch(context.Background(), Request{URL: "http://example.com/"})
	wantKind(t, err, KindInvalidURL)
	if _, err := New(Options{AllowedSchemes: []string{"ftp"}}); err == nil {
		t.Error("New accepted scheme ftp")
	}
	if len(e.res.calls)+len(onlyHTTPS.res.calls) != 0 {
		t.Fatal("resolver was asked")
	}
}

func imageServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchOK(t *testing.T) {
	var ua, accept atomic.Value
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		accept.Store(r.Header.Get("Accept"))
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "PNGDATA")
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, AllowedHosts: []string{"*.origin.test"}},
		map[string][]string{"img.origin.test": {"127.0.0.1"}})
	res, err := e.f.Fetch(context.Background(), Request{URL: "http://IMG.origin.test.:" + port(t, srv) + "/cat.png#frag"})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != "PNGDATA" || res.StatusCode != 200 || res.NotModified ||
		res.ContentType != "image/png" || res.ETag != `"v1"` || res.LastModified != "Mon, 02 Jan 2006 15:04:05 GMT" ||
		res.CacheControl != "max-age=60" || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("response %+v", res)
	}
	if ua.Load() != DefaultUserAgent || accept.Load() != DefaultAccept {
		t.Errorf("UA %q, Accept %q", ua.Load(), accept.Load())
	}
}

func TestAllowlist(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	p := port(t, srv)
	names := map[string][]string{}
	for _, h := range []string{"img.example.com", "a.cdn.example.org", "a.b.cdn.example.org", "cdn.example.org", "evil.test", "img.example.com.evil.test", "xcdn.example.org"} {
		names[h] = []string{"127.0.0.1"}
	}
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, AllowedHosts: []string{"img.example.com", "*.cdn.example.org", "127.0.0.1"}}, names)
	for host, allowed := range map[string]bool{
		"img.example.com": true, "IMG.EXAMPLE.COM.": true, "a.cdn.example.org": true, "a.b.cdn.example.org": true,
		"cdn.example.org": false, "xcdn.example.org": false, "evil.test": false, "img.example.com.evil.test": false,
		"127.0.0.1": true,
	} {
		_, err := e.f.Fetch(context.Background(), Request{URL: "http://" + host + ":" + p + "/x"})
		if allowed && err != nil {
			t.Errorf("%s: %v", host, err)
		}
		if !allowed {
			if fe := wantKind(t, err, KindDenied); fe.Reason != "host_not_allowed" {
				t.Errorf("%s: reason %q", host, fe.Reason)
			}
		}
	}
	for _, bad := range []string{"*", "*.", "a.*.com", "http://x.com", "", "ex ample.com",
		"x.com:0", "x.com:65536", "x.com:080", "x.com:", "x.com:http", "[x.com]:80", "[127.0.0.1]:80", "fe80::1%eth0", "[fe80::1%eth0]:80"} {
		if _, err := New(Options{AllowedHosts: []string{bad}}); err == nil {
			t.Errorf("New accepted allowed host %q", bad)
		}
	}
}

// TestAllowlistPorts: an entry with a port allows that port only, the
// scheme's default standing for a URL without one; an entry without a
// port allows every port.
func TestAllowlistPorts(t *testing.T) {
	hl, err := parseHosts([]string{"img.example.com:8443", "*.cdn.test:8080", "10.0.0.1:9000", "[fd00::1]:9000", "any.test", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		url  string
		want bool
	}{
		{"https://img.example.com:8443/a", true},
		{"https://IMG.example.com.:8443/a", true},
		{"https://img.example.com/a", false}, // 443
		{"http://img.example.com:8080/a", false},
		{"http://a.cdn.test:8080/a", true},
		{"http://a.cdn.test/a", false},
		{"http://10.0.0.1:9000/a", true},
		{"http://10.0.0.1:9001/a", false},
		{"http://[fd00::1]:9000/a", true},
		{"http://[fd00::1]/a", false},
		{"http://any.test:1234/a", true},
		{"https://any.test/a", true},
		{"http://[::1]:5/a", true},
		{"http://other.test:8443/a", false},
	} {
		u, _ := url.Parse(c.url)
		s, ok := siteOf(u)
		if !ok {
			t.Fatalf("%s: siteOf refused it", c.url)
		}
		if got := hl.match(s.host, s.port); got != c.want {
			t.Errorf("%s: allowed %v, want %v", c.url, got, c.want)
		}
	}
	// Through Fetch: the test server's port is allowed, another is not.
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	p := port(t, srv)
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, AllowedHosts: []string{"127.0.0.1:" + p}}, nil)
	if _, err := e.f.Fetch(context.Background(), Request{URL: srv.URL + "/x"}); err != nil {
		t.Fatalf("allowed port: %v", err)
	}
	if fe := wantKind(t, fetchErr(e.f, "http://127.0.0.1:1/x"), KindDenied); fe.Reason != "host_not_allowed" {
		t.Errorf("other port: reason %q", fe.Reason)
	}
}

func fetchErr(f *Fetcher, u string) error {
	_, err := f.Fetch(context.Background(), Request{URL: u})
	return err
}

// TestOriginPolicy: OriginIPPolicy widens IPPolicy for Origin's scheme,
// host and port only. The origin (a name resolving to 127.0.0.1) is
// fetched, and may redirect within itself; the same loopback address on
// another port, another name for it, a redirect that leaves the origin and
// the origin's host:port under the other scheme are refused. Origin's host
// need not be in AllowedHosts.
func TestOriginPolicy(t *testing.T) {
	var p string
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-self":
			http.Redirect(w, r, "/img.jpg", http.StatusFound)
		case "/to-other-port":
			http.Redirect(w, r, "http://origin.test:1/secret", http.StatusFound)
		case "/to-other-name":
			http.Redirect(w, r, "http://alias.test:"+p+"/secret", http.StatusFound)
		case "/to-literal":
			http.Redirect(w, r, "http://127.0.0.1:"+p+"/secret", http.StatusFound)
		default:
			io.WriteString(w, "img")
		}
	})
	p = port(t, srv)
	names := map[string][]string{"origin.test": {"127.0.0.1"}, "alias.test": {"127.0.0.1"}}
	e := newEnv(t, Options{Origin: "http://ORIGIN.test.:" + p + "/assets", OriginIPPolicy: IPPolicy{AllowLoopback: true},
		AllowedHosts: []string{"alias.test", "127.0.0.1", "origin.test:1"}}, names)
	for _, path := range []string{"/img.jpg", "/to-self"} {
		res, err := e.f.Fetch(context.Background(), Request{URL: "http://origin.test:" + p + path})
		if err != nil || string(res.Body) != "img" {
			t.Fatalf("origin %s: %v", path, err)
		}
	}
	for u, reason := range map[string]string{
		"http://origin.test:" + p + "/to-other-port": "loopback",
		"http://origin.test:" + p + "/to-other-name": "loopback",
		"http://origin.test:" + p + "/to-literal":    "loopback",
		"http://alias.test:" + p + "/img.jpg":        "loopback",
		"http://127.0.0.1:" + p + "/img.jpg":         "loopback",
		"https://origin.test:" + p + "/img.jpg":      "scheme",
		"http://origin.test:1/img.jpg":               "loopback",
		"http://origin.test:2/img.jpg":               "host_not_allowed",
	} {
		err := fetchErr(e.f, u)
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Reason != reason {
			t.Errorf("%s: %v, want reason %q", u, err, reason)
		}
	}
	for _, a := range e.dl.addresses() {
		if a != "127.0.0.1:"+p {
			t.Fatalf("dialer was asked for %s", a)
		}
	}
	// Without OriginIPPolicy's loopback the origin itself is refused.
	strict := newEnv(t, Options{Origin: "http://origin.test:" + p}, names)
	if fe := wantKind(t, fetchErr(strict.f, "http://origin.test:"+p+"/img.jpg"), KindDenied); fe.Reason != "loopback" {
		t.Errorf("strict origin: reason %q", fe.Reason)
	}
	for _, bad := range []string{"ftp://origin.test", "/assets", "http://", "http://u:p@origin.test", "http://[fe80::1%25eth0]/"} {
		if _, err := New(Options{Origin: bad}); err == nil {
			t.Errorf("New accepted origin %q", bad)
		}
	}
}

// TestRedirectToPrivate: an allowed origin on 127.0.0.1 redirects to a name
// that resolves to 10.0.0.1, to a literal metadata address, to file: and
// to a host outside the allowlist. All are refused; the dialer is never
// asked for anything but the origin.
func TestRedirectToPrivate(t *testing.T) {
	var p string
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-internal":
			http.Redirect(w, r, "http://internal.test:"+p+"/secret", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/to-gopher":
			http.Redirect(w, r, "gopher://origin.test:"+p+"/", http.StatusFound)
		case "/to-other":
			http.Redirect(w, r, "http://other.test:"+p+"/x", http.StatusTemporaryRedirect)
		case "/to-mapped":
			http.Redirect(w, r, "http://[::ffff:10.0.0.1]:"+p+"/x", http.StatusFound)
		default:
			t.Errorf("unexpected request %s", r.URL)
		}
	})
	p = port(t, srv)
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, AllowedHosts: []string{"origin.test", "internal.test", "169.254.169.254", "::ffff:10.0.0.1"}},
		map[string][]string{"origin.test": {"127.0.0.1"}, "internal.test": {"10.0.0.1"}, "other.test": {"127.0.0.1"}})
	for path, reason := range map[string]string{
		"/to-internal": "private",
		"/to-metadata": "link-local",
		"/to-file":     "scheme",
		"/to-gopher":   "scheme",
		"/to-other":    "host_not_allowed",
		"/to-mapped":   "private",
	} {
		_, err := e.f.Fetch(context.Background(), Request{URL: "http://origin.test:" + p + path})
		fe := wantKind(t, err, KindDenied)
		if fe.Reason != reason {
			t.Errorf("%s: reason %q, want %q (%v)", path, fe.Reason, reason, fe)
		}
		if path == "/to-internal" && !strings.Contains(fe.URL, "internal.test") {
			t.Errorf("%s: URL %q should be the redirect target", path, fe.URL)
		}
		// Only the name's address is Resolved; the rest are decided from
		// the target URL and stay denials for the client too.
		if fe.Resolved != (path == "/to-internal") || (fe.ClientKind() == KindDenied) == fe.Resolved {
			t.Errorf("%s: resolved %v, client kind %s", path, fe.Resolved, fe.ClientKind())
		}
	}
	for _, a := range e.dl.addresses() {
		if a != "127.0.0.1:"+p {
			t.Fatalf("dialer was asked for %s", a)
		}
	}
}

func TestRedirectLimit(t *testing.T) {
	var hits atomic.Int32
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		if r.URL.Query().Get("stop") == fmt.Sprint(n) {
			io.WriteString(w, "done")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/r/%d?%s", n+1, r.URL.RawQuery), http.StatusFound)
	})
	base := "http://origin.test:" + port(t, srv)
	names := map[string][]string{"origin.test": {"127.0.0.1"}}

	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, MaxRedirects: 3}, names)
	hits.Store(0)
	_, err := e.f.Fetch(context.Background(), Request{URL: base + "/r/0"})
	if fe := wantKind(t, err, KindRedirects); fe.Limit != 3 {
		t.Errorf("limit %d", fe.Limit)
	}
	if hits.Load() != 4 {
		t.Errorf("%d requests, want 4 (the first and 3 redirects)", hits.Load())
	}
	res, err := e.f.Fetch(context.Background(), Request{URL: base + "/r/0?stop=3"})
	if err != nil || string(res.Body) != "done" || !strings.HasSuffix(res.URL, "/r/3?stop=3") {
		t.Fatalf("3 redirects: %v %+v", err, res)
	}

	def := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}}, names)
	hits.Store(0)
	_, err = def.f.Fetch(context.Background(), Request{URL: base + "/r/0"})
	wantKind(t, err, KindRedirects)
	if hits.Load() != DefaultMaxRedirects+1 {
		t.Errorf("default: %d requests", hits.Load())
	}

	none := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, MaxRedirects: -1}, names)
	hits.Store(0)
	_, err = none.f.Fetch(context.Background(), Request{URL: base + "/r/0"})
	if fe := wantKind(t, err, KindRedirects); fe.Limit != 0 {
		t.Errorf("none: limit %d", fe.Limit)
	}
	if hits.Load() != 1 {
		t.Errorf("none: %d requests", hits.Load())
	}
}

// TestRedirectSendsNoReferer: a redirect from one origin to another (two
// servers on 127.0.0.1, named through the fake resolver) does not tell the
// second the first's URL and its token, as http.Client's Referer would.
func TestRedirectSendsNoReferer(t *testing.T) {
	var referer atomic.Value
	referer.Store("(no request)")
	target := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		referer.Store(r.Header.Get("Referer"))
		io.WriteString(w, "img")
	})
	first := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://b.test:"+port(t, target)+"/img.png", http.StatusFound)
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}},
		map[string][]string{"a.test": {"127.0.0.1"}, "b.test": {"127.0.0.1"}})
	res, err := e.f.Fetch(context.Background(), Request{URL: "http://a.test:" + port(t, first) + "/x?token=secret"})
	if err != nil || string(res.Body) != "img" {
		t.Fatalf("%v %+v", err, res)
	}
	if r := referer.Load(); r != "" {
		t.Errorf("the redirect target got Referer %q", r)
	}
}

// jpegBytes is a small real JPEG.
func jpegBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestContentEncoding: an origin that sends its image with a
// Content-Encoding (as S3 does for an object stored gzipped) is asked for
// identity, and its body is decoded, with the headers that described the
// encoded bytes removed; a coding Go's library cannot undo is an upstream
// error.
func TestContentEncoding(t *testing.T) {
	img := jpegBytes(t)
	var zlibbed, rawDeflate bytes.Buffer
	zw := zlib.NewWriter(&zlibbed)
	zw.Write(img)
	zw.Close()
	fw, _ := flate.NewWriter(&rawDeflate, flate.DefaultCompression)
	fw.Write(img)
	fw.Close()
	var acceptEncoding atomic.Value
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		acceptEncoding.Store(r.Header.Values("Accept-Encoding"))
		body := img
		coding := strings.TrimPrefix(r.URL.Path, "/")
		switch coding {
		case "gzip", "x-gzip", "GZIP, identity":
			body = gzipped(t, img)
		case "deflate":
			body = zlibbed.Bytes()
		case "deflate-raw":
			body, coding = rawDeflate.Bytes(), "deflate"
		case "gzip,gzip":
			body = gzipped(t, gzipped(t, img))
		case "corrupt":
			body, coding = gzipped(t, img)[:40], "gzip"
		case "empty":
			body, coding = nil, "gzip"
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Encoding", coding)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(body)
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}}, map[string][]string{"origin.test": {"127.0.0.1"}})
	base := "http://origin.test:" + port(t, srv) + "/"
	for _, coding := range []string{"gzip", "x-gzip", "GZIP, identity", "deflate", "deflate-raw", "gzip,gzip", "identity"} {
		res, err := e.f.Fetch(context.Background(), Request{URL: base + url.PathEscape(coding)})
		if err != nil {
			t.Errorf("%s: %v", coding, err)
			continue
		}
		if !bytes.Equal(res.Body, img) {
			t.Errorf("%s: body is not the JPEG (%d bytes, want %d)", coding, len(res.Body), len(img))
		}
		if ce, cl := res.Header.Values("Content-Encoding"), res.Header.Values("Content-Length"); ce != nil || cl != nil {
			t.Errorf("%s: header still says Content-Encoding %q, Content-Length %q", coding, ce, cl)
		}
		if res.ContentType != "image/jpeg" || res.ETag != `"v1"` {
			t.Errorf("%s: %+v", coding, res)
		}
		if ae := acceptEncoding.Load().([]string); len(ae) != 1 || ae[0] != "identity" {
			t.Errorf("%s: Accept-Encoding %q, want identity", coding, ae)
		}
	}
	res, err := e.f.Fetch(context.Background(), Request{URL: base + "gzip", IfNoneMatch: `"v1"`})
	if err != nil || !res.NotModified || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("304: %v %+v", err, res)
	}
	res, err = e.f.Fetch(context.Background(), Request{URL: base + "empty"})
	if err != nil || len(res.Body) != 0 {
		t.Errorf("empty gzip body: %v %+v", err, res)
	}
	for path, reason := range map[string]string{"br": "content_encoding", "compress": "content_encoding",
		"gzip, gzip, gzip": "content_encoding", "corrupt": "decoding"} {
		_, err := e.f.Fetch(context.Background(), Request{URL: base + url.PathEscape(path)})
		fe := wantKind(t, err, KindUpstream)
		if fe.Reason != reason || fe.Kind.HTTPStatus() != http.StatusBadGateway || !strings.Contains(fe.Detail(), "compress") && !strings.Contains(fe.Detail(), "Content-Encoding") {
			t.Errorf("%s: %v, detail %q", path, fe, fe.Detail())
		}
	}
}

// TestGzipBomb: a small gzip body that decodes past the limit stops there
// with the error an unencoded body over it gets, having kept (Reserve) no
// more than the limit and a byte.
func TestGzipBomb(t *testing.T) {
	bomb := gzipped(t, make([]byte, 8<<20))
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		if r.URL.Path == "/bomb" {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
			return
		}
		w.Write(make([]byte, 8<<20))
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, MaxBodyBytes: 1 << 20}, map[string][]string{"origin.test": {"127.0.0.1"}})
	base := "http://origin.test:" + port(t, srv)
	var reserved int64
	_, err := e.f.Fetch(context.Background(), Request{URL: base + "/bomb", Reserve: func(n int64) error { reserved += n; return nil }})
	bombErr := wantKind(t, err, KindTooLarge)
	if reserved > 1<<20+1 {
		t.Errorf("reserved %d bytes for a 1 MiB limit", reserved)
	}
	_, err = e.f.Fetch(context.Background(), Request{URL: base + "/plain"})
	plainErr := wantKind(t, err, KindTooLarge)
	// An unencoded body declares its length; the bomb's decoded size is
	// only found by reading, as an undeclared body's is.
	if bombErr.Limit != 1<<20 || bombErr.Reason != "body" || plainErr.Limit != bombErr.Limit || bombErr.Detail() != plainErr.Detail() {
		t.Errorf("bomb %v, plain %v", bombErr, plainErr)
	}
	_, err = e.f.Fetch(context.Background(), Request{URL: base + "/bomb", MaxBytes: 1000})
	if fe := wantKind(t, err, KindTooLarge); fe.Limit != 1000 {
		t.Errorf("MaxBytes: %v", fe)
	}
}

func TestSizeLimit(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		body := strings.Repeat("x", 100)
		switch r.URL.Path {
		case "/declared":
			w.Header().Set("Content-Length", "101")
			io.WriteString(w, body+"x")
		case "/chunked":
			io.WriteString(w, body)
			w.(http.Flusher).Flush() // no Content-Length
			io.WriteString(w, "x")
		case "/exact":
			io.WriteString(w, body)
		case "/huge-declared":
			w.Header().Set("Content-Length", "10000000000")
			w.WriteHeader(200)
		}
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, MaxBodyBytes: 100}, map[string][]string{"origin.test": {"127.0.0.1"}})
	base := "http://origin.test:" + port(t, srv)
	for path, reason := range map[string]string{"/declared": "content_length", "/chunked": "body", "/huge-declared": "content_length"} {
		_, err := e.f.Fetch(context.Background(), Request{URL: base + path})
		if fe := wantKind(t, err, KindTooLarge); fe.Reason != reason || fe.Limit != 100 {
			t.Errorf("%s: %v", path, fe)
		}
	}
	res, err := e.f.Fetch(context.Background(), Request{URL: base + "/exact"})
	if err != nil || len(res.Body) != 100 {
		t.Fatalf("exact: %v", err)
	}
}

// A Request's MaxBytes bounds that fetch below the Fetcher's MaxBodyBytes:
// a body over it, declared or not, is KindTooLarge with MaxBytes as its
// Limit, and no more than MaxBytes+1 bytes are read; a MaxBytes above the
// Fetcher's limit does not raise it.
func TestRequestMaxBytes(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/declared":
			io.WriteString(w, strings.Repeat("x", 60)) // one write: Content-Length 60
		case "/chunked":
			for range 20 {
				io.WriteString(w, strings.Repeat("x", 10))
				w.(http.Flusher).Flush() // no Content-Length
			}
		case "/exact":
			io.WriteString(w, strings.Repeat("x", 50))
		case "/over-fetcher":
			io.WriteString(w, strings.Repeat("x", 101))
		}
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, MaxBodyBytes: 100}, map[string][]string{"origin.test": {"127.0.0.1"}})
	base := "http://origin.test:" + port(t, srv)
	for _, tc := range []struct {
		path     string
		maxBytes int64
		reason   string
		limit    int64
	}{
		{"/declared", 50, "content_length", 50},
		{"/chunked", 50, "body", 50},
		{"/over-fetcher", 200, "content_length", 100},
	} {
		var read int64
		_, err := e.f.Fetch(context.Background(), Request{URL: base + tc.path, MaxBytes: tc.maxBytes,
			Reserve: func(n int64) error { read += n; return nil }})
		if fe := wantKind(t, err, KindTooLarge); fe.Reason != tc.reason || fe.Limit != tc.limit {
			t.Errorf("%s with MaxBytes %d: %v, want %s over %d", tc.path, tc.maxBytes, fe, tc.reason, tc.limit)
		}
		if tc.reason == "body" && read > tc.limit+1 {
			t.Errorf("%s with MaxBytes %d: read %d bytes, want at most %d", tc.path, tc.maxBytes, read, tc.limit+1)
		}
	}
	res, err := e.f.Fetch(context.Background(), Request{URL: base + "/exact", MaxBytes: 50})
	if err != nil || len(res.Body) != 50 {
		t.Fatalf("exact: %v", err)
	}
}

// Reserve is asked for the declared length before any byte is read, then
// for each read's growth past it; its error is Fetch's, unwrapped.
func TestReserve(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/declared":
			io.WriteString(w, strings.Repeat("x", 60)) // one write: Content-Length 60
		case "/chunked":
			for range 3 {
				io.WriteString(w, strings.Repeat("x", 20))
				w.(http.Flusher).Flush()
				time.Sleep(5 * time.Millisecond) // a read each
			}
		}
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, MaxBodyBytes: 100}, map[string][]string{"origin.test": {"127.0.0.1"}})
	base := "http://origin.test:" + port(t, srv)
	errFull := errors.New("budget full")
	for _, tc := range []struct {
		path      string
		allow     int64 // what Reserve grants in all
		wantAsked int64 // what it was asked for in all (at most, when refused)
		wantErr   error
	}{
		{"/declared", 100, 60, nil},
		{"/declared", 59, 60, errFull}, // refused before the body is read
		{"/chunked", 100, 60, nil},
		{"/chunked", 30, 40, errFull}, // the second read passes the budget
	} {
		var asked, granted int64
		calls := 0
		res, err := e.f.Fetch(context.Background(), Request{URL: base + tc.path, Reserve: func(n int64) error {
			calls++
			asked += n
			if granted+n > tc.allow {
				return errFull
			}
			granted += n
			return nil
		}})
		if err != tc.wantErr {
			t.Errorf("%s allowing %d: err %v, want %v", tc.path, tc.allow, err, tc.wantErr)
			continue
		}
		// Reads of a chunked body come in sizes of the transport's choosing:
		// a refusal stops at the first read past the budget, before the
		// next chunk.
		if err == nil && asked != tc.wantAsked || err != nil && (asked <= tc.allow || asked > tc.wantAsked) || granted > tc.allow {
			t.Errorf("%s allowing %d: asked for %d bytes in %d calls (granted %d), want %d", tc.path, tc.allow, asked, calls, granted, tc.wantAsked)
		}
		if err == nil && len(res.Body) != 60 {
			t.Errorf("%s: body of %d bytes, want 60", tc.path, len(res.Body))
		}
		if tc.path == "/declared" && calls != 1 {
			t.Errorf("%s allowing %d: %d calls, want one for the declared length", tc.path, tc.allow, calls)
		}
	}
}

func TestUpstreamStatus(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		case "/500":
			http.Error(w, "boom", 500)
		case "/206":
			w.WriteHeader(http.StatusPartialContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/redirect-no-location":
			w.WriteHeader(http.StatusFound)
		}
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}}, map[string][]string{"origin.test": {"127.0.0.1"}})
	for path, status := range map[string]int{"/404": 404, "/500": 500, "/206": 206, "/304": 304, "/redirect-no-location": 302} {
		_, err := e.f.Fetch(context.Background(), Request{URL: "http://origin.test:" + port(t, srv) + path})
		if fe := wantKind(t, err, KindUpstream); fe.Status != status || fe.Kind.HTTPStatus() != 502 {
			t.Errorf("%s: %v", path, fe)
		}
	}
}

func TestConditional(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v2"`)
		w.Header().Set("Cache-Control", "max-age=30")
		if r.Header.Get("If-None-Match") == `"v2"` || r.Header.Get("If-Modified-Since") == "Mon, 02 Jan 2006 15:04:05 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "body")
	})
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}}, map[string][]string{"origin.test": {"127.0.0.1"}})
	u := "http://origin.test:" + port(t, srv) + "/img"
	for _, req := range []Request{{URL: u, IfNoneMatch: `"v2"`}, {URL: u, IfModifiedSince: "Mon, 02 Jan 2006 15:04:05 GMT"}} {
		res, err := e.f.Fetch(context.Background(), req)
		if err != nil || !res.NotModified || res.StatusCode != 304 || res.Body != nil || res.ETag != `"v2"` || res.CacheControl != "max-age=30" {
			t.Fatalf("%+v: %v %+v", req, err, res)
		}
	}
	res, err := e.f.Fetch(context.Background(), Request{URL: u, IfNoneMatch: `"v1"`})
	if err != nil || res.NotModified || string(res.Body) != "body" {
		t.Fatalf("changed: %v %+v", err, res)
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stall-headers":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/stall-body":
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	defer close(release)
	names := map[string][]string{"origin.test": {"127.0.0.1"}}
	base := "http://origin.test:" + port(t, srv)

	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, HeaderTimeout: 150 * time.Millisecond, TotalTimeout: 5 * time.Second}, names)
	start := time.Now()
	_, err := e.f.Fetch(context.Background(), Request{URL: base + "/stall-headers"})
	wantKind(t, err, KindTimeout)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("header timeout took %v", d)
	}

	e = newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, TotalTimeout: 300 * time.Millisecond}, names)
	start = time.Now()
	_, err = e.f.Fetch(context.Background(), Request{URL: base + "/stall-body"})
	wantKind(t, err, KindTimeout)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("total timeout took %v", d)
	}

	// Connect timeout: the dialer never answers (and never connects).
	e = newEnv(t, Options{ConnectTimeout: 100 * time.Millisecond}, map[string][]string{"slow.test": {"8.8.8.8"}})
	e.dl.block = true
	_, err = e.f.Fetch(context.Background(), Request{URL: "http://slow.test/"})
	wantKind(t, err, KindTimeout)

	// DNS timeout counts against the connect timeout too.
	e = newEnv(t, Options{ConnectTimeout: 100 * time.Millisecond}, nil)
	e.res.block = true
	_, err = e.f.Fetch(context.Background(), Request{URL: "http://slow.test/"})
	wantKind(t, err, KindTimeout)

	// The caller's cancellation is KindCanceled.
	e = newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}}, names)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = e.f.Fetch(ctx, Request{URL: base + "/stall-headers"})
	wantKind(t, err, KindCanceled)
}

// TestTotalTimeoutLiftsHeaderTimeout: with only TotalTimeout set (as
// origin { timeout } sets it), the wait for the headers is not cut at the
// default header timeout. The default is shortened to 200ms here, and the
// origin answers after 600ms.
func TestTotalTimeoutLiftsHeaderTimeout(t *testing.T) {
	saved := defaultHeaderTimeout
	defaultHeaderTimeout = 200 * time.Millisecond
	t.Cleanup(func() { defaultHeaderTimeout = saved })
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(600 * time.Millisecond):
		case <-r.Context().Done():
		}
		io.WriteString(w, "late")
	})
	names := map[string][]string{"origin.test": {"127.0.0.1"}}
	u := "http://origin.test:" + port(t, srv) + "/slow"

	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, TotalTimeout: 3 * time.Second}, names)
	if res, err := e.f.Fetch(context.Background(), Request{URL: u}); err != nil || string(res.Body) != "late" {
		t.Fatalf("TotalTimeout 3s: %v", err)
	}
	// Without TotalTimeout the (shortened) default applies, and an
	// explicit HeaderTimeout is kept whatever the total.
	e = newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}}, names)
	_, err := e.f.Fetch(context.Background(), Request{URL: u})
	wantKind(t, err, KindTimeout)
	e = newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, HeaderTimeout: 200 * time.Millisecond, TotalTimeout: 3 * time.Second}, names)
	_, err = e.f.Fetch(context.Background(), Request{URL: u})
	wantKind(t, err, KindTimeout)
}

func TestDNSFailure(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	_, err := e.f.Fetch(context.Background(), Request{URL: "http://nxdomain.test/"})
	if fe := wantKind(t, err, KindNetwork); fe.Reason != "dns" {
		t.Errorf("reason %q", fe.Reason)
	}
}

// TestNoEnvironmentProxy: a proxy set in the environment is ignored.
func TestNoEnvironmentProxy(t *testing.T) {
	var proxied atomic.Int32
	proxy := imageServer(t, func(w http.ResponseWriter, r *http.Request) { proxied.Add(1) })
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "direct") })
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}}, map[string][]string{"origin.test": {"127.0.0.1"}})
	res, err := e.f.Fetch(context.Background(), Request{URL: "http://origin.test:" + port(t, srv) + "/"})
	if err != nil || string(res.Body) != "direct" || proxied.Load() != 0 {
		t.Fatalf("%v %v proxied=%d", err, res, proxied.Load())
	}
}

// TestDefaultDialer uses the real resolver-free path (a literal 127.0.0.1
// with AllowLoopback) through the default net.Dialer, and checks its
// Control hook directly.
func TestDefaultDialer(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "real") })
	f, err := New(Options{IPPolicy: IPPolicy{AllowLoopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/"})
	if err != nil || string(res.Body) != "real" {
		t.Fatalf("%v %+v", err, res)
	}
	if err := f.control(context.Background(), "tcp4", "127.0.0.1:80", nil); err != nil {
		t.Errorf("control refused loopback: %v", err)
	}
	for _, a := range []string{"10.0.0.1:80", "[::ffff:169.254.169.254]:80", "[fe80::1%eth0]:80", "garbage"} {
		if err := f.control(context.Background(), "tcp", a, nil); err == nil {
			t.Errorf("control allowed %s", a)
		}
	}
	strict, _ := New(Options{})
	if err := strict.control(context.Background(), "tcp4", "127.0.0.1:80", nil); err == nil {
		t.Error("control allowed loopback without AllowLoopback")
	}
	// OriginIPPolicy applies to a dial dial marked as Origin's only.
	o, _ := New(Options{Origin: "http://origin.test", OriginIPPolicy: IPPolicy{AllowLoopback: true}})
	if err := o.control(context.Background(), "tcp4", "127.0.0.1:80", nil); err == nil {
		t.Error("control allowed loopback for a dial not marked as Origin's")
	}
	if err := o.control(context.WithValue(context.Background(), originDial{}, true), "tcp4", "127.0.0.1:80", nil); err != nil {
		t.Errorf("control refused loopback for Origin: %v", err)
	}
}

func TestErrorStrings(t *testing.T) {
	fe := &FetchError{Kind: KindDenied, Reason: "private", Addr: netip.MustParseAddr("10.0.0.1"), URL: "http://x.test/"}
	if !strings.Contains(fe.Error(), "10.0.0.1") || strings.Contains(fe.Detail(), "10.0.0.1") {
		t.Errorf("Error %q / Detail %q", fe.Error(), fe.Detail())
	}
	for k := KindInvalidURL; k <= KindCanceled; k++ {
		if k.String() == "unknown" || (&FetchError{Kind: k}).Detail() == "" || k.HTTPStatus() == 0 {
			t.Errorf("kind %d lacks a name, detail or status", k)
		}
	}
}

// FuzzCheckURL: CheckURL never panics, never touches the network, and an
// accepted URL has an allowed scheme, no credentials, and a host that is
// either a public IP literal or a normalized name.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"http://example.com/a.jpg", "https://[::ffff:127.0.0.1]:443/", "http://0x7f.1/", "http://user@host/",
		"file:///etc/passwd", "http://[fe80::1%25eth0]/", "HTTP://EXAMPLE.COM./x?y#z", "http://a..b/", "http://169.254.169.254/",
	} {
		f.Add(s)
	}
	fetcher, err := New(Options{Resolver: &fakeResolver{}, Dialer: &guardDialer{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := fetcher.CheckURL(raw)
		if err != nil {
			var fe *FetchError
			if !errors.As(err, &fe) || (fe.Kind != KindInvalidURL && fe.Kind != KindDenied) {
				t.Fatalf("CheckURL(%q) = %v", raw, err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.User != nil || u.Fragment != "" {
			t.Fatalf("CheckURL(%q) accepted %#v", raw, u)
		}
		h := u.Hostname()
		if ip, err := netip.ParseAddr(h); err == nil {
			if Classify(ip) != ClassPublic {
				t.Fatalf("CheckURL(%q) accepted address %s", raw, ip)
			}
		} else if _, ok := normalizeHostname(h); !ok {
			t.Fatalf("CheckURL(%q) accepted host %q", raw, h)
		}
	})
}

// TestEachAddressGetsItsOwnConnectTimeout: a first address that never
// answers does not use up the time of the next one.
func TestEachAddressGetsItsOwnConnectTimeout(t *testing.T) {
	srv := imageServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "second") })
	e := newEnv(t, Options{IPPolicy: IPPolicy{AllowLoopback: true}, ConnectTimeout: 100 * time.Millisecond},
		map[string][]string{"two.test": {"8.8.4.4", "127.0.0.1"}})
	e.dl.blockAddr = "8.8.4.4"
	res, err := e.f.Fetch(context.Background(), Request{URL: "http://two.test:" + port(t, srv) + "/"})
	if err != nil || string(res.Body) != "second" {
		t.Fatalf("%v %+v", err, res)
	}
	if got := e.dl.addresses(); len(got) != 2 || !strings.HasPrefix(got[0], "8.8.4.4:") {
		t.Fatalf("dialed %v", got)
	}
}
