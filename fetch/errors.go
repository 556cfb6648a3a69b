package fetch

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Kind classifies a failed fetch so that each API dialect can map it to its
// own error (remove.bg's invalid_image_url for KindInvalidURL and
// KindDenied, failed_image_download for the rest, and so on).
type Kind uint8

const (
	// KindInvalidURL: the URL itself is unusable (unparsable, relative,
	// scheme not http/https, credentials, bad host or port). Found before any
	// network traffic.
	KindInvalidURL Kind = iota + 1
	// KindDenied: the URL is well formed but not allowed: host not in the
	// allowlist, a redirect to a refused scheme or host, or a host that
	// resolves to (or is) a refused address. Reason says which; Resolved
	// tells a refused address the URL did not write (see ClientKind).
	KindDenied
	// KindTooLarge: Content-Length or the body read exceeds MaxBodyBytes
	// (or the Request's smaller MaxBytes).
	KindTooLarge
	// KindTimeout: connect, response-header or total timeout.
	KindTimeout
	// KindUpstream: the origin answered with a non-2xx status (Status), or a
	// 304 to an unconditional request, or a body in a Content-Encoding other
	// than gzip and deflate (Reason "content_encoding") or one that does not
	// decode (Reason "decoding").
	KindUpstream
	// KindRedirects: more redirects than MaxRedirects.
	KindRedirects
	// KindNetwork: DNS failure, connection refused or reset, TLS error, a
	// malformed response.
	KindNetwork
	// KindCanceled: the caller's context was canceled.
	KindCanceled
)

var kindNames = [...]string{
	KindInvalidURL: "invalid_url",
	KindDenied:     "denied",
	KindTooLarge:   "too_large",
	KindTimeout:    "timeout",
	KindUpstream:   "upstream",
	KindRedirects:  "too_many_redirects",
	KindNetwork:    "network",
	KindCanceled:   "canceled",
}

// String is the kind's machine-readable name ("invalid_url", "denied", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// HTTPStatus is a suggested status for a client-facing answer: 400 invalid
// URL, 403 denied, 413 too large, 504 timeout, 502 upstream, redirects and
// network, 499 canceled (nginx's "client closed request"; nobody reads it).
func (k Kind) HTTPStatus() int {
	switch k {
	case KindInvalidURL:
		return http.StatusBadRequest
	case KindDenied:
		return http.StatusForbidden
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case KindTimeout:
		return http.StatusGatewayTimeout
	case KindCanceled:
		return 499
	}
	return http.StatusBadGateway
}

// FetchError is every error Fetch returns.
type FetchError struct {
	Kind Kind
	// Status is the origin's status for KindUpstream.
	Status int
	// Header is the origin's response header for a KindUpstream error
	// status (a 404's CORS headers, say); nil otherwise. Read only.
	Header http.Header
	// URL is the URL being fetched when it failed (a redirect target, for a
	// failure after a redirect). It may carry the origin's query: log it
	// with care, and do not echo it to clients.
	URL string
	// Reason details Kind in a word or two: the address class for a denied
	// address ("private", "loopback", "link-local", ...), "host_not_allowed",
	// "scheme", "userinfo", "host", "port", ... Not for clients as is.
	Reason string
	// Addr is the refused address when a resolved or literal address was
	// denied. Never show it to clients: it would turn the fetcher into a
	// DNS oracle for internal names.
	Addr netip.Addr
	// Resolved marks a KindDenied whose Addr the Resolver gave for a host
	// name (the URL's or a redirect target's), not one written in a URL.
	// A client must not be able to tell it from a name that does not
	// resolve: answer it by ClientKind and Detail, never by Kind.
	Resolved bool
	// Limit is the body limit for KindTooLarge (MaxBodyBytes, or the
	// Request's MaxBytes when smaller), MaxRedirects for
	// KindRedirects.
	Limit int64
	// Err is the underlying error, if any.
	Err error
}

func (e *FetchError) Error() string {
	var b strings.Builder
	b.WriteString("source: ")
	b.WriteString(e.Kind.String())
	if e.Reason != "" {
		b.WriteString(" (" + e.Reason + ")")
	}
	if e.Addr.IsValid() {
		b.WriteString(" address " + e.Addr.String())
	}
	switch e.Kind {
	case KindUpstream:
		fmt.Fprintf(&b, " status %d", e.Status)
	case KindTooLarge:
		fmt.Fprintf(&b, " over %d bytes", e.Limit)
	case KindRedirects:
		fmt.Fprintf(&b, " over %d", e.Limit)
	}
	if e.URL != "" {
		b.WriteString(" fetching " + e.URL)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *FetchError) Unwrap() error { return e.Err }

// ClientKind is the kind to answer a client with: KindNetwork for a
// Resolved denial (as for a name that does not resolve, so that which
// internal names exist is not told), else Kind. A KindDenied left is
// decided from a URL alone: its scheme, host, allowlist or literal
// address.
func (e *FetchError) ClientKind() Kind {
	if e.Kind == KindDenied && e.Resolved {
		return KindNetwork
	}
	return e.Kind
}

// Detail is a sentence safe to show to the client: it names no address,
// resolved host or internal error, and is ClientKind's (a Resolved denial
// reads as a failed download).
func (e *FetchError) Detail() string {
	switch e.ClientKind() {
	case KindInvalidURL:
		return "The source URL is not a valid http or https URL."
	case KindDenied:
		return "The source URL is not allowed."
	case KindTooLarge:
		return fmt.Sprintf("The source is larger than %d bytes.", e.Limit)
	case KindTimeout:
		return "The source took too long to download."
	case KindUpstream:
		switch e.Reason {
		case "content_encoding":
			return "The source's server sent it in a Content-Encoding other than gzip or deflate."
		case "decoding":
			return "The source's server sent it compressed, and it does not decompress."
		}
		return fmt.Sprintf("The source's server answered with status %d.", e.Status)
	case KindRedirects:
		return "The source URL redirects too many times."
	case KindCanceled:
		return "The request was canceled."
	}
	return "The source could not be downloaded."
}
