// Package fetch fetches remote images safely: a Fetcher refuses internal
// addresses at dial time (SSRF protection). Local paths are not its job:
// the handler asks its own server for them, so that the site's access
// control applies.
//
// # Address checks
//
// Every connection the Fetcher makes goes through its own dial function,
// which resolves the host with the Resolver, checks every returned address
// with the IPPolicy (all of them, before dialling any: one refused address
// refuses the host, so a DNS answer cannot mix a public decoy with an
// internal target), then dials the checked addresses themselves, as IP
// literals, so that nothing resolves the name again between check and
// connect (DNS rebinding). Literal IP hosts are checked before any traffic,
// and again at dial time. Redirects are followed by hand-checked steps: the
// target's scheme, credentials, host syntax and allowlist are checked before
// the request is made, and the dial-time check applies to the new host as to
// the first. No proxy is used, whatever the environment says.
//
// # Content codings
//
// Every request asks for the body as stored (Accept-Encoding: identity).
// An origin that sends a Content-Encoding anyway (an object stored gzipped,
// as S3 serves one with that metadata) has its gzip (x-gzip) or deflate
// body decoded here, within the same byte limit as an unencoded body, and
// the Response's Header has no Content-Encoding or Content-Length: callers
// only ever see decoded bytes. Any other coding is refused as KindUpstream.
package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults for the zero fields of Options.
const (
	DefaultMaxBodyBytes   = 32 << 20
	DefaultConnectTimeout = 5 * time.Second
	DefaultHeaderTimeout  = 10 * time.Second
	DefaultTotalTimeout   = 30 * time.Second
	DefaultMaxRedirects   = 5
	DefaultUserAgent      = "Matte (+https://github.com/jebosio/matte)"
	DefaultAccept         = "image/*,*/*;q=0.8"

	// maxURLLen bounds the URLs Fetch accepts.
	maxURLLen = 8192
)

// defaultHeaderTimeout is DefaultHeaderTimeout; tests shorten it.
var defaultHeaderTimeout = DefaultHeaderTimeout

// Resolver resolves host names; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer opens connections; *net.Dialer satisfies it. The Fetcher only ever
// asks it for "ip:port" addresses it has already checked.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options configures a Fetcher. The zero value is usable: any public host,
// http and https, the defaults above.
type Options struct {
	// AllowedHosts restricts the hosts fetched from: exact names
	// ("images.example.com"), wildcards "*.example.com" (any name ending
	// in .example.com, not example.com itself) and IP literals, each
	// optionally with ":port" ("images.example.com:8443", "[::1]:9000"),
	// which then matches that port only (a URL without a port has its
	// scheme's default). Matching is case-insensitive and ignores a
	// trailing dot. Empty allows any host. The address checks apply to
	// allowed hosts too.
	AllowedHosts []string
	// AllowedSchemes is a subset of {"http", "https"}; empty means both.
	AllowedSchemes []string
	// MaxBodyBytes bounds the body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ConnectTimeout bounds the name resolution, each connection attempt
	// (one per resolved address, in turn, until one connects) and the TLS
	// handshake; 0 means DefaultConnectTimeout. TotalTimeout bounds them
	// all together.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for the response headers once the
	// request is sent; 0 means DefaultHeaderTimeout, or TotalTimeout when
	// that is set larger (so a long TotalTimeout alone lets a slow origin
	// take that long to answer; TotalTimeout still bounds the whole).
	HeaderTimeout time.Duration
	// TotalTimeout bounds a whole Fetch, redirects and body included; 0
	// means DefaultTotalTimeout.
	TotalTimeout time.Duration
	// MaxRedirects is the most redirects followed; 0 means
	// DefaultMaxRedirects. To follow none, pass -1 (any negative value):
	// the first redirect is then KindRedirects with Limit 0.
	MaxRedirects int
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// IPPolicy says which addresses may be dialled (public ones only,
	// unless AllowLoopback, AllowPrivate or AllowNets say more).
	IPPolicy
	// Origin, when set, is one trusted site, an absolute http(s) URL whose
	// scheme, host and port (the scheme's default when none is given)
	// count; its path is ignored. For a URL with Origin's host and port,
	// the first or a redirect's, an address is dialled when IPPolicy or
	// OriginIPPolicy allows it; for any other URL IPPolicy alone decides,
	// so a redirect that leaves Origin loses OriginIPPolicy. Origin's host
	// and port are allowed whatever AllowedHosts says. A URL with Origin's
	// host and port under the other scheme is refused (KindInvalidURL,
	// Reason "scheme"): it would reach the same listener.
	//
	// A Fetcher's connections are pooled per scheme, host and port, so a
	// connection dialled under OriginIPPolicy is only reused for Origin.
	// Keep untrusted URLs on a Fetcher without Origin all the same: one
	// naming Origin's host and port would get its allowances.
	Origin         string
	OriginIPPolicy IPPolicy
	// Resolver resolves host names; nil means a plain net.Resolver.
	Resolver Resolver
	// Dialer opens connections; nil means a net.Dialer whose Control hook
	// checks the address once more, just before connect.
	Dialer Dialer
	// TLSConfig is the client TLS configuration; nil means Go's defaults
	// with TLS 1.2 at least.
	TLSConfig *tls.Config
}

// Request is one fetch.
type Request struct {
	URL string
	// IfNoneMatch and IfModifiedSince make the request conditional (the
	// validators the cache kept from an earlier Response); a 304 answer is
	// then reported as Response.NotModified.
	IfNoneMatch     string
	IfModifiedSince string
	// Accept overrides DefaultAccept.
	Accept string
	// MaxBytes, when positive, bounds this fetch's body below the
	// Fetcher's MaxBodyBytes (the smaller of the two applies): a body over
	// it fails as KindTooLarge with Limit MaxBytes, and no more than
	// MaxBytes+1 bytes of it are read.
	MaxBytes int64
	// Reserve, when set, is asked for the body's bytes before they are
	// kept: the declared Content-Length before any is read, then what the
	// body grows by beyond it. Its error ends the fetch, and Fetch returns
	// it as it is (not a *FetchError): the caller's own refusal, such as a
	// memory budget's.
	Reserve func(n int64) error
}

// Response is a successful fetch: a 2xx with its body, or a 304 to a
// conditional request (NotModified, no body).
type Response struct {
	StatusCode  int
	NotModified bool
	Body        []byte
	// Header is the final response's header (a copy), without
	// Content-Encoding and Content-Length when the origin sent a
	// Content-Encoding (Body is decoded). The fields below are taken
	// from it.
	Header       http.Header
	ContentType  string
	ETag         string
	LastModified string
	CacheControl string
	// URL is the final URL, after redirects.
	URL string
}

// Fetcher fetches remote sources. It is safe for concurrent use; create one
// per configuration and Close it when done.
type Fetcher struct {
	ip           IPPolicy
	origin       *site // nil: no Options.Origin
	originIP     IPPolicy
	hosts        hostList
	schemes      []string
	maxBody      int64
	connect      time.Duration
	total        time.Duration
	maxRedirects int
	userAgent    string
	resolver     Resolver
	dialer       Dialer
	transport    *http.Transport
	client       *http.Client
}

// New returns a Fetcher for o, or an error for an invalid option (an
// unknown scheme, a malformed allowlist entry, a negative limit).
func New(o Options) (*Fetcher, error) {
	f := &Fetcher{
		ip:           o.IPPolicy,
		maxBody:      o.MaxBodyBytes,
		connect:      o.ConnectTimeout,
		total:        o.TotalTimeout,
		maxRedirects: o.MaxRedirects,
		userAgent:    o.UserAgent,
		resolver:     o.Resolver,
		dialer:       o.Dialer,
	}
	f.ip.AllowNets = slices.Clone(o.AllowNets)
	f.originIP = o.OriginIPPolicy
	f.originIP.AllowNets = slices.Clone(o.OriginIPPolicy.AllowNets)
	header := o.HeaderTimeout
	if f.maxBody < 0 || f.connect < 0 || f.total < 0 || header < 0 {
		return nil, errors.New("source: negative limit")
	}
	if f.maxBody == 0 {
		f.maxBody = DefaultMaxBodyBytes
	}
	if f.connect == 0 {
		f.connect = DefaultConnectTimeout
	}
	if header == 0 {
		header = max(defaultHeaderTimeout, o.TotalTimeout)
	}
	if f.total == 0 {
		f.total = DefaultTotalTimeout
	}
	switch {
	case f.maxRedirects == 0:
		f.maxRedirects = DefaultMaxRedirects
	case f.maxRedirects < 0:
		f.maxRedirects = 0
	}
	if f.userAgent == "" {
		f.userAgent = DefaultUserAgent
	}
	for _, s := range o.AllowedSchemes {
		s = strings.ToLower(s)
		if s != "http" && s != "https" {
			return nil, errors.New("source: scheme " + strconv.Quote(s) + " is not allowed (http and https only)")
		}
		f.schemes = append(f.schemes, s)
	}
	if len(f.schemes) == 0 {
		f.schemes = []string{"http", "https"}
	}
	for _, p := range slices.Concat(f.ip.AllowNets, f.originIP.AllowNets) {
		if !p.IsValid() {
			return nil, errors.New("source: invalid prefix in AllowNets")
		}
	}
	if o.Origin != "" {
		u, err := url.Parse(o.Origin)
		var s site
		ok := err == nil && u.Opaque == "" && u.User == nil
		if ok {
			s, ok = siteOf(u)
		}
		if !ok {
			return nil, errors.New("source: origin " + strconv.Quote(o.Origin) + " is not an http(s) URL with a host")
		}
		f.origin = &s
	}
	var err error
	if f.hosts, err = parseHosts(o.AllowedHosts); err != nil {
		return nil, err
	}
	if f.resolver == nil {
		f.resolver = &net.Resolver{}
	}
	if f.dialer == nil {
		f.dialer = &net.Dialer{KeepAlive: 30 * time.Second, ControlContext: f.control}
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		tlsConfig = o.TLSConfig.Clone()
	}
	f.transport = &http.Transport{
		Proxy:                  nil, // never from the environment
		DialContext:            f.dial,
		TLSClientConfig:        tlsConfig,
		TLSHandshakeTimeout:    f.connect,
		ResponseHeaderTimeout:  header,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true, // the body as the origin stored it
		ForceAttemptHTTP2:      true,
	}
	f.client = &http.Client{Transport: f.transport, CheckRedirect: f.checkRedirect}
	return f, nil
}

// Close closes idle connections. The Fetcher stays usable.
func (f *Fetcher) Close() { f.transport.CloseIdleConnections() }

// MaxBodyBytes is the effective body limit.
func (f *Fetcher) MaxBodyBytes() int64 { return f.maxBody }

// CheckIP reports whether ip may be dialled (nil) or a KindDenied
// *FetchError.
func (f *Fetcher) CheckIP(ip netip.Addr) error { return f.ip.Check(ip) }

// CheckURL runs the checks that need no network on rawURL (syntax, scheme,
// credentials, host syntax, allowlist, literal IP address) and returns the
// parsed URL without its fragment. Fetch runs it first; callers may run it
// earlier to answer 400 before queueing work. Errors are *FetchError of
// KindInvalidURL or KindDenied.
func (f *Fetcher) CheckURL(rawURL string) (*url.URL, error) {
	if len(rawURL) > maxURLLen {
		return nil, &FetchError{Kind: KindInvalidURL, Reason: "too_long"}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &FetchError{Kind: KindInvalidURL, Reason: "syntax", Err: err}
	}
	if err := f.checkParsed(u); err != nil {
		err.URL = rawURL
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

func (f *Fetcher) checkParsed(u *url.URL) *FetchError {
	invalid := func(reason string) *FetchError { return &FetchError{Kind: KindInvalidURL, Reason: reason} }
	switch {
	case u.Scheme == "":
		return invalid("not_absolute")
	case !slices.Contains(f.schemes, strings.ToLower(u.Scheme)):
		return invalid("scheme")
	case u.Opaque != "":
		return invalid("opaque")
	case u.Host == "":
		return invalid("not_absolute")
	case u.User != nil:
		return invalid("userinfo")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return invalid("port")
		}
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && ip.Zone() != "" {
		return invalid("zone")
	}
	s, ok := siteOf(u)
	if !ok {
		return invalid("host")
	}
	onOrigin := f.onOrigin(s.host, s.port)
	if onOrigin && s.scheme != f.origin.scheme {
		return invalid("scheme")
	}
	if ip, err := netip.ParseAddr(s.host); err == nil {
		if err := f.check(ip, onOrigin); err != nil {
			return err.(*FetchError)
		}
	}
	if !onOrigin && !f.hosts.match(s.host, s.port) {
		return &FetchError{Kind: KindDenied, Reason: "host_not_allowed"}
	}
	return nil
}

// site is a URL's scheme, host and port, normalized: the scheme
// lower-cased, the host an unmapped IP address's canonical form or a name
// as normalizeHostname leaves it, the port the scheme's default when the
// URL names none.
type site struct{ scheme, host, port string }

// siteOf returns u's site; ok is false for a scheme other than http(s), a
// malformed host or an IP address with a zone. The port is not checked.
func siteOf(u *url.URL) (s site, ok bool) {
	s.scheme = strings.ToLower(u.Scheme)
	switch s.port = u.Port(); {
	case s.scheme != "http" && s.scheme != "https":
		return s, false
	case s.port != "":
	case s.scheme == "http":
		s.port = "80"
	default:
		s.port = "443"
	}
	s.host, ok = normalizeHost(u.Hostname())
	return s, ok
}

// normalizeHost is an IP address's canonical, unmapped form (one with a
// zone is refused), or a name as normalizeHostname leaves it.
func normalizeHost(h string) (string, bool) {
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().String(), ip.Zone() == ""
	}
	return normalizeHostname(h)
}

// onOrigin reports whether a normalized host (normalizeHost) and port
// are Origin's.
func (f *Fetcher) onOrigin(host, port string) bool {
	return f.origin != nil && host == f.origin.host && port == f.origin.port
}

// check is IPPolicy's verdict on ip, widened by OriginIPPolicy when the
// URL is on Origin (onOrigin).
func (f *Fetcher) check(ip netip.Addr, onOrigin bool) error {
	err := f.ip.Check(ip)
	if err != nil && onOrigin && f.originIP.Check(ip) == nil {
		return nil
	}
	return err
}

// normalizeHostname lower-cases a DNS name and drops one trailing dot. It
// refuses anything but ASCII letters, digits, "-" and "_" in labels of 1 to
// 63 bytes (an IDN must come as punycode), and names whose last label is
// numeric: those are IPv4 addresses in non-canonical forms ("127.1",
// "2130706433", "0x7f.1") that some resolvers would accept.
func normalizeHostname(h string) (string, bool) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || len(h) > 253 {
		return "", false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	last := labels[len(labels)-1]
	if strings.TrimLeft(last, "0123456789") == "" || strings.HasPrefix(last, "0x") && strings.Trim(last[2:], "0123456789abcdef") == "" {
		return "", false
	}
	return h, true
}

// hostList is the parsed allowlist. An entry that names a port matches
// that port only; one without matches any port.
type hostList struct {
	exact    map[string]bool // "img.example.com", "10.0.0.1", or with a port: "img.example.com:8443", "[::1]:8443"
	suffixes []hostSuffix
}

// hostSuffix is a "*.example.com" entry: suffix ".example.com", port ""
// for any port.
type hostSuffix struct{ suffix, port string }

// parseHosts parses allowlist entries: a name, "*." and a name, or an IP
// address (an IPv6 one bare or in brackets), each optionally followed by
// ":port" (an IPv6 address then in brackets).
func parseHosts(list []string) (hostList, error) {
	hl := hostList{exact: make(map[string]bool)}
	for _, raw := range list {
		h := strings.TrimSpace(raw)
		bad := errors.New("source: allowed host " + strconv.Quote(raw) + " is not a host name, *.domain or IP address, with an optional :port")
		if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); err == nil && ip.Zone() == "" {
			hl.exact[ip.Unmap().String()] = true
			continue
		}
		port := ""
		if strings.Contains(h, ":") {
			bracketed := strings.HasPrefix(h, "[")
			var err error
			if h, port, err = net.SplitHostPort(h); err != nil {
				return hl, bad
			}
			if ip, err := netip.ParseAddr(h); bracketed != (err == nil && ip.Is6()) {
				return hl, bad // brackets are for an IPv6 address, which needs them
			}
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
				return hl, bad
			}
		}
		key := func(host string) string {
			if port == "" {
				return host
			}
			return net.JoinHostPort(host, port)
		}
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			name, ok := normalizeHostname(rest)
			if !ok {
				return hl, bad
			}
			hl.suffixes = append(hl.suffixes, hostSuffix{"." + name, port})
			continue
		}
		if ip, err := netip.ParseAddr(h); err == nil && ip.Zone() == "" && port != "" {
			hl.exact[key(ip.Unmap().String())] = true
			continue
		}
		name, ok := normalizeHostname(h)
		if !ok {
			return hl, bad
		}
		hl.exact[key(name)] = true
	}
	return hl, nil
}

// match reports whether the normalized host (normalizeHost) on port is
// allowed.
func (hl hostList) match(host, port string) bool {
	if len(hl.exact) == 0 && len(hl.suffixes) == 0 {
		return true
	}
	if hl.exact[host] || hl.exact[net.JoinHostPort(host, port)] {
		return true
	}
	for _, s := range hl.suffixes {
		if strings.HasSuffix(host, s.suffix) && (s.port == "" || s.port == port) {
			return true
		}
	}
	return false
}

// checkRedirect is the client's redirect hook: the limit, then the static
// checks on the target (a failure there is KindDenied: the URL the client
// gave was fine, where it leads is not). The Referer http.Client adds to a
// redirected request is removed: it is the previous URL, query (tokens,
// signatures) included, and the target may be another party's host.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	req.Header.Del("Referer")
	if len(via) > f.maxRedirects {
		return &FetchError{Kind: KindRedirects, Limit: int64(f.maxRedirects), URL: req.URL.String()}
	}
	if err := f.checkParsed(req.URL); err != nil {
		err.Kind = KindDenied
		err.URL = req.URL.String()
		return err
	}
	return nil
}

// dial resolves, checks every address, then dials the checked addresses in
// turn, as literals.
func (f *Fetcher) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &FetchError{Kind: KindInvalidURL, Reason: "address", Err: err}
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &FetchError{Kind: KindInvalidURL, Reason: "port", Err: err}
	}
	var ips []netip.Addr
	ip, err := netip.ParseAddr(host)
	resolved := err != nil
	if !resolved {
		ips = []netip.Addr{ip}
	} else {
		lctx, cancel := context.WithTimeout(ctx, f.connect)
		ips, err = f.resolver.LookupNetIP(lctx, "ip", host)
		cancel()
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
	}
	// address is the URL's host and port (the transport adds the
	// scheme's default), so Origin is recognized as checkParsed does.
	nh, _ := normalizeHost(host)
	onOrigin := f.onOrigin(nh, portStr)
	for _, ip := range ips {
		if err := f.check(ip, onOrigin); err != nil {
			fe := err.(*FetchError)
			fe.Resolved = resolved
			return nil, fe
		}
	}
	if onOrigin {
		ctx = context.WithValue(ctx, originDial{}, true)
	}
	var first error
	for _, ip := range ips {
		dctx, cancel := context.WithTimeout(ctx, f.connect)
		conn, err := f.dialer.DialContext(dctx, network, netip.AddrPortFrom(ip.Unmap().WithZone(""), uint16(port)).String())
		cancel()
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// originDial marks the context of a dial for Origin (dial), for control.
type originDial struct{}

// control is the default net.Dialer's last check, on the very address being
// connected to, under the policy dial chose (ctx from dial).
func (f *Fetcher) control(ctx context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &FetchError{Kind: KindDenied, Reason: "address", Err: err}
	}
	return f.check(ap.Addr(), ctx.Value(originDial{}) != nil)
}

// Fetch GETs req.URL and returns its body, or a *FetchError.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	u, err := f.CheckURL(req.URL)
	if err != nil {
		return nil, err
	}
	fctx, cancel := context.WithTimeout(ctx, f.total)
	defer cancel()
	hreq, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &FetchError{Kind: KindInvalidURL, Reason: "syntax", URL: req.URL, Err: err}
	}
	hreq.Header.Set("User-Agent", f.userAgent)
	accept := req.Accept
	if accept == "" {
		accept = DefaultAccept
	}
	hreq.Header.Set("Accept", accept)
	// Explicit: with DisableCompression Go sends no Accept-Encoding, which
	// RFC 9110 §12.5.3 reads as "any coding is acceptable".
	hreq.Header.Set("Accept-Encoding", "identity")
	conditional := false
	if req.IfNoneMatch != "" {
		hreq.Header.Set("If-None-Match", req.IfNoneMatch)
		conditional = true
	}
	if req.IfModifiedSince != "" {
		hreq.Header.Set("If-Modified-Since", req.IfModifiedSince)
		conditional = true
	}
	resp, err := f.client.Do(hreq)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return nil, classify(ctx, err, u.String())
	}
	defer resp.Body.Close()
	final := resp.Request.URL.String()
	codings, encoded := contentCodings(resp.Header)
	if encoded {
		// The caller gets the decoded bytes: these described the others.
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
	}
	out := &Response{
		StatusCode:   resp.StatusCode,
		Header:       resp.Header.Clone(),
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		CacheControl: resp.Header.Get("Cache-Control"),
		URL:          final,
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		out.NotModified = true
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299 || resp.StatusCode == http.StatusPartialContent:
		// A little draining lets the connection be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, &FetchError{Kind: KindUpstream, Status: resp.StatusCode, URL: final, Header: out.Header}
	}
	for _, c := range codings {
		if !supportedCoding(c) || len(codings) > maxCodings {
			return nil, &FetchError{Kind: KindUpstream, Status: resp.StatusCode, Reason: "content_encoding", URL: final,
				Err: fmt.Errorf("Content-Encoding %q is not gzip or deflate (or more than %d of them)", strings.Join(codings, ", "), maxCodings)}
		}
	}
	limit := f.maxBody
	if req.MaxBytes > 0 && req.MaxBytes < limit {
		limit = req.MaxBytes
	}
	// An encoded body is bounded by limit too, before and after decoding:
	// past it, either is the same KindTooLarge as an unencoded body.
	if resp.ContentLength > limit {
		return nil, &FetchError{Kind: KindTooLarge, Limit: limit, URL: final, Reason: "content_length"}
	}
	decoding := len(codings) > 0
	declared := resp.ContentLength // what will be kept, when known
	if decoding {
		declared = -1
	}
	var reserved int64
	var refused error
	grow := func(total int64) error {
		if req.Reserve == nil || total <= reserved {
			return nil
		}
		refused = req.Reserve(total - reserved)
		reserved = total
		return refused
	}
	if err := grow(declared); err != nil {
		return nil, err
	}
	hint := max(declared, 0)
	if decoding {
		hint = 64 << 10
	}
	raw := &countingReader{r: io.LimitReader(resp.Body, limit+1)}
	var body []byte
	var decoded io.Reader
	if decoded, err = decode(raw, codings); err == nil {
		body, err = readAll(io.LimitReader(decoded, limit+1), make([]byte, 0, min(hint+1, limit+1, 1<<20)), grow)
	}
	switch {
	case refused != nil:
		return nil, refused
	case raw.n > limit:
		return nil, &FetchError{Kind: KindTooLarge, Limit: limit, URL: final, Reason: "body"}
	case raw.err != nil:
		return nil, classify(ctx, raw.err, final)
	case err != nil && decoding:
		return nil, &FetchError{Kind: KindUpstream, Status: resp.StatusCode, Reason: "decoding", URL: final, Err: err}
	case err != nil:
		return nil, classify(ctx, err, final)
	}
	if int64(len(body)) > limit {
		return nil, &FetchError{Kind: KindTooLarge, Limit: limit, URL: final, Reason: "body"}
	}
	out.Body = body
	return out, nil
}

// maxCodings bounds the codings one response may stack (each decoder holds
// its own window).
const maxCodings = 2

// contentCodings returns the response's content codings in the order they
// were applied, lower-cased, "identity" left out; encoded reports whether
// the header names any coding at all (identity included).
func contentCodings(h http.Header) (codings []string, encoded bool) {
	for _, line := range h.Values("Content-Encoding") {
		encoded = true
		for _, c := range strings.Split(line, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	return codings, encoded
}

func supportedCoding(c string) bool { return c == "gzip" || c == "x-gzip" || c == "deflate" }

// decode undoes codings, the last applied first. deflate is the zlib
// format (RFC 9110 §8.4.1.2); a raw deflate stream, which some servers
// send instead, is read too. An empty body decodes to nothing.
func decode(r io.Reader, codings []string) (io.Reader, error) {
	for i := len(codings) - 1; i >= 0; i-- {
		br := bufio.NewReader(r)
		head, err := br.Peek(2)
		switch {
		case len(head) == 0 && err == io.EOF:
			return br, nil
		case err != nil && err != io.EOF:
			return nil, err
		}
		switch codings[i] {
		case "gzip", "x-gzip":
			if r, err = gzip.NewReader(br); err != nil {
				return nil, err
			}
		case "deflate":
			if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
				if r, err = zlib.NewReader(br); err != nil {
					return nil, err
				}
			} else {
				r = flate.NewReader(br)
			}
		}
	}
	return r, nil
}

// countingReader counts the bytes read through it and keeps the first
// error other than io.EOF, so that a failure of the connection is told
// apart from a body that does not decode.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// readAll is io.ReadAll into a caller-sized buffer, telling grow the
// length after every read that added bytes; grow's error stops it.
func readAll(r io.Reader, b []byte, grow func(total int64) error) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if n > 0 {
			if gerr := grow(int64(len(b))); gerr != nil {
				return b, gerr
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// classify turns a client error into a *FetchError. parent is the caller's
// context: its cancellation is KindCanceled (its deadline KindTimeout).
func classify(parent context.Context, err error, u string) *FetchError {
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		u = ue.URL
	}
	var fe *FetchError
	if errors.As(err, &fe) {
		c := *fe
		if c.URL == "" {
			c.URL = u
		}
		return &c
	}
	out := &FetchError{Kind: KindNetwork, URL: u, Err: err}
	var ne net.Error
	switch {
	case errors.Is(parent.Err(), context.Canceled):
		out.Kind = KindCanceled
	case parent.Err() != nil, errors.Is(err, context.DeadlineExceeded):
		out.Kind = KindTimeout
	case errors.As(err, &ne) && ne.Timeout():
		out.Kind = KindTimeout
	}
	var dnsErr *net.DNSError
	if out.Kind == KindNetwork && errors.As(err, &dnsErr) {
		out.Reason = "dns"
	}
	return out
}
