package signature

import (
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// The signed string is
//
//	CanonicalPath(path) + "?" + CanonicalQuery(query without "s")
//
// and the signature is base64url without padding (RFC 4648 §5) of
// HMAC-SHA256(key, signed string). The "?" is always present, even when the
// query is empty. See the package documentation for a worked example.

// CanonicalPath returns the canonical form of an escaped URL path (as in
// url.URL.EscapedPath, i.e. as the path appears in the request line):
//
//   - Each "%HH" (two hex digits, either case) stands for the byte 0xHH; every
//     other byte stands for itself. A "%" not followed by two hex digits
//     stands for itself (a literal "%").
//   - A literal "/" (not one written as %2F) is kept as "/".
//   - Every other byte is written as itself when it is an RFC 3986 unreserved
//     character (A-Z a-z 0-9 - . _ ~) and as "%HH" with upper-case hex
//     otherwise. So "%2f" becomes "%2F" (an encoded slash stays distinct from
//     a separator), "%7e" becomes "~", "," becomes "%2C", and a raw UTF-8
//     byte becomes its escape.
//   - An empty path is "/".
//
// Dot segments are not removed and "+" is not a space in a path.
func CanonicalPath(escapedPath string) string {
	if escapedPath == "" {
		return "/"
	}
	var b strings.Builder
	b.Grow(len(escapedPath) + 8)
	for i := 0; i < len(escapedPath); i++ {
		c := escapedPath[i]
		switch {
		case c == '%' && i+2 < len(escapedPath) && isHex(escapedPath[i+1]) && isHex(escapedPath[i+2]):
			writeByte(&b, unhex(escapedPath[i+1])<<4|unhex(escapedPath[i+2]))
			i += 2
		case c == '/':
			b.WriteByte('/')
		default:
			writeByte(&b, c)
		}
	}
	return b.String()
}

// CanonicalHost returns the host part of a Host header (or URL host) as a
// host-bound signature covers it: the port, IPv6 brackets and a trailing
// dot removed, an internationalised name in its ASCII (punycode) form, as
// browsers send it in Host, lower-cased. "" means there is no host.
func CanonicalHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	host = strings.TrimSuffix(host, ".")
	if !isASCII(host) {
		// url.Parse keeps "bücher.example" as written; the request for it
		// says "xn--bcher-kva.example". A name IDNA refuses stays as given.
		if a, err := idna.Lookup.ToASCII(host); err == nil {
			host = a
		}
	}
	return strings.ToLower(host)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// HostPath is what a host-bound signature covers in place of the path:
// CanonicalHost(host) followed by escapedPath ("/" when empty). Sign and
// Verify it like a path: Sign(key, HostPath(host, path), query).
func HostPath(host, escapedPath string) string {
	if escapedPath == "" {
		escapedPath = "/"
	}
	return CanonicalHost(host) + escapedPath
}

// Escape percent-encodes s for the canonical forms: RFC 3986 unreserved
// bytes (A-Z a-z 0-9 - . _ ~) as themselves, every other byte (space
// included, as "%20") as "%HH" with upper-case hex.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		writeByte(&b, s[i])
	}
	return b.String()
}

// CanonicalQuery returns the canonical form of q without its "s" parameter:
// every (name, value) pair is escaped with Escape, the pairs are sorted by
// escaped name, then by escaped value (byte-wise, ASCII order), and written as
// "name=value" joined by "&". A parameter given without "=" ("?flag") has the
// empty value and is written "flag=". Duplicate pairs are all kept.
func CanonicalQuery(q url.Values) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for name, vals := range q {
		if name == ParamSignature {
			continue
		}
		k := Escape(name)
		for _, v := range vals {
			pairs = append(pairs, pair{k, Escape(v)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// StringToSign is the exact string the HMAC covers for a request with the
// given escaped path and query (any "s" in query is ignored).
func StringToSign(escapedPath string, q url.Values) string {
	return CanonicalPath(escapedPath) + "?" + CanonicalQuery(q)
}

// errMalformedQuery is wrapped by ParseQueryStrict's errors.
var errMalformedQuery = errors.New("malformed query")

// rawPair is one "name=value" part of a raw query.
type rawPair struct {
	raw       string // the part as written, for byte-exact rebuilding
	name, val string // decoded
}

// splitQuery splits a raw query into its parts. Empty parts ("a=1&&b=2") are
// skipped, as url.ParseQuery does. With strict, a part holding ";" or an
// invalid escape is an error; otherwise such a part is left out.
func splitQuery(raw string, strict bool) ([]rawPair, error) {
	var out []rawPair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		if strings.Contains(part, ";") {
			if strict {
				return nil, &queryError{part: part, why: "contains ';'"}
			}
			continue
		}
		n, v, _ := strings.Cut(part, "=")
		name, err1 := url.QueryUnescape(n)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			if strict {
				return nil, &queryError{part: part, why: "invalid percent-encoding"}
			}
			continue
		}
		out = append(out, rawPair{raw: part, name: name, val: val})
	}
	return out, nil
}

type queryError struct{ part, why string }

func (e *queryError) Error() string {
	p := e.part
	if len(p) > 64 {
		p = p[:64] + "..."
	}
	return "query part " + strconv.Quote(p) + " " + e.why
}

func (e *queryError) Unwrap() error { return errMalformedQuery }

// ParseQueryStrict parses a raw query like url.ParseQuery ("+" is a space,
// empty parts are skipped) but fails on any part that url.ParseQuery would
// silently drop (one holding ";" or an invalid escape). Signed data must be
// parsed strictly: a part the verifier drops but the origin still receives
// would be an unsigned addition to a signed URL.
func ParseQueryStrict(raw string) (url.Values, error) {
	pairs, err := splitQuery(raw, true)
	if err != nil {
		return nil, err
	}
	return pairsToValues(pairs), nil
}

func pairsToValues(pairs []rawPair) url.Values {
	q := make(url.Values, len(pairs))
	for _, p := range pairs {
		q[p.name] = append(q[p.name], p.val)
	}
	return q
}

const upperhex = "0123456789ABCDEF"

func writeByte(b *strings.Builder, c byte) {
	if isUnreserved(c) {
		b.WriteByte(c)
		return
	}
	b.WriteByte('%')
	b.WriteByte(upperhex[c>>4])
	b.WriteByte(upperhex[c&15])
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
