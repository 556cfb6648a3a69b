package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
)

// Origin configures fetching sources from a remote origin instead of the
// next handler (the `origin` block), and the rules for the URLs clients
// name (remote sources, bg-image, mark, fiu, the APIs' image_url, the
// playground's import).
type Origin struct {
	// URL is the base the request path is appended to.
	URL string `json:"url,omitempty"`
	// AllowHosts limits the hosts of the URLs clients name (and of the
	// origin's redirects that leave it); `*.example.com` matches
	// subdomains, `host:port` that port only. Empty allows any public host
	// (where a URL is taken at all: the dialects' remote sources, bg-image
	// and mark need a list). The origin URL's own host needs no entry.
	AllowHosts []string `json:"allow_hosts,omitempty"`
	// AllowPrivate permits private-range addresses (loopback, link-local and
	// metadata addresses stay denied); AllowLoopback permits loopback. Both
	// apply to the origin URL's scheme, host and port alone (redirects that
	// stay there included), never to a URL a client names, and need URL.
	AllowPrivate  bool `json:"allow_private,omitempty"`
	AllowLoopback bool `json:"allow_loopback,omitempty"`
	// AllowPrivateRemote and AllowLoopbackRemote are the same for the URLs
	// clients name, on the hosts AllowHosts lists (which they need).
	AllowPrivateRemote  bool           `json:"allow_private_remote,omitempty"`
	AllowLoopbackRemote bool           `json:"allow_loopback_remote,omitempty"`
	Timeout             caddy.Duration `json:"timeout,omitempty"`
	// MaxRedirects is the most redirects followed: 0 (unset) is
	// fetch.DefaultMaxRedirects, a negative value none (the Caddyfile's
	// `max_redirects 0`).
	MaxRedirects int `json:"max_redirects,omitempty"`
}

// provisionFetcher builds the SSRF-safe fetchers: guard.fetcher for every
// URL a client names (remote sources, bg-image, mark, fiu, watermark and
// fallback URLs, the APIs' image_url, the playground's import), and, with
// an origin URL, guard.originFetcher for it alone. They are separate
// Fetchers, each with its own connection pool: a client URL naming the
// origin's host and port must not get the origin's allowances
// (allow_private, allow_loopback), nor a connection dialled under them.
func (h *Handler) provisionFetcher() error {
	o := h.Origin
	opts := fetch.Options{MaxBodyBytes: h.MaxSourceBytes}
	if o != nil {
		switch {
		case o.URL == "" && (o.AllowPrivate || o.AllowLoopback):
			return errors.New("matte: origin: allow_private and allow_loopback apply to the origin URL only, and none is given; " +
				"for the URLs clients name (remote sources, bg-image, mark, image_url) use allow_private_remote or allow_loopback_remote with allow_hosts")
		case len(o.AllowHosts) == 0 && (o.AllowPrivateRemote || o.AllowLoopbackRemote):
			return errors.New("matte: origin: allow_private_remote and allow_loopback_remote need allow_hosts: list the hosts clients may name")
		}
		opts.AllowedHosts = o.AllowHosts
		opts.IPPolicy = fetch.IPPolicy{AllowPrivate: o.AllowPrivateRemote, AllowLoopback: o.AllowLoopbackRemote}
		opts.TotalTimeout = time.Duration(o.Timeout)
		opts.MaxRedirects = o.MaxRedirects
	}
	var err error
	if h.guard.fetcher, err = fetch.New(opts); err != nil {
		return fmt.Errorf("matte: origin: %w", err)
	}
	if o == nil || o.URL == "" {
		return nil
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("matte: origin %q: want an http(s) URL", o.URL)
	}
	h.guard.origin = u
	opts.Origin = o.URL
	opts.OriginIPPolicy = fetch.IPPolicy{AllowPrivate: o.AllowPrivate, AllowLoopback: o.AllowLoopback}
	if h.guard.originFetcher, err = fetch.New(opts); err != nil {
		return fmt.Errorf("matte: origin %q: %w", o.URL, err)
	}
	return nil
}

// originRequest is r as the origin should see it: rawQuery (the request's
// query after signature checks) without Matte's parameters, and without
// ranges or validators (Matte needs the whole, current body), asking for an
// unencoded body.
func originRequest(r *http.Request, rawQuery string) *http.Request {
	return siteSourceRequest(r, r.URL.Path, r.URL.RawPath, stripParams(rawQuery))
}

// siteSourceRequest is r asking this site for the source at path (rawPath
// its escaped form, or "" when path needs none) with rawQuery, without
// ranges or validators, for an unencoded body. A HEAD asks with GET: its
// answer carries the result's length and ETag, which take the source.
func siteSourceRequest(r *http.Request, path, rawPath, rawQuery string) *http.Request {
	or := r.Clone(r.Context())
	if or.Method == http.MethodHead {
		or.Method = http.MethodGet
	}
	or.URL.Path, or.URL.RawPath, or.URL.RawQuery = path, rawPath, rawQuery
	or.RequestURI = or.URL.RequestURI()
	sanitizeSourceHeader(or.Header)
	return or
}

// sanitizeSourceHeader removes ranges and validators from the header of a
// request for a source (Matte needs the whole, current body) and asks for
// an unencoded body.
func sanitizeSourceHeader(h http.Header) {
	for _, k := range []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
		h.Del(k)
	}
	h.Set("Accept-Encoding", "identity")
}

// fromOrigin reports whether the local source at path comes from the origin
// URL: when one is configured, except the playground's uploads (under its
// source prefix), which the handler holds itself and serves in place of the
// next handler (servePlayground).
func (h *Handler) fromOrigin(path string) bool {
	return h.guard.origin != nil && (h.play == nil || !strings.HasPrefix(path, h.play.SourcePrefix()))
}

// sentHeader is the header of the request the origin answers for req: the
// origin request's through the next handler, none of the client's through
// the origin URL (the fetcher sends its own). The shared cache's rules
// (shareability, memoKey) judge the origin's response against it.
func (h *Handler) sentHeader(req *imageRequest) http.Header {
	if req.remote != "" || req.origin == nil || h.fromOrigin(req.origin.URL.Path) {
		return http.Header{}
	}
	return req.origin.Header
}

// fetch gets req's source into rec, from the next handler (which serves the
// playground's uploads), the site's routes (req.viaRoutes) or the origin
// URL, with the request or (req.origin, or a conditional copy of it). done means
// the response is already settled (passed through, or an error written),
// with err for Caddy; not done, rec holds the source, a 304, or a missing
// source's 404 or 410 (rec.missing, held for the request's fallback).
func (h *Handler) fetch(req *imageRequest, next caddyhttp.Handler, rec *sourceRecorder, or *http.Request) (done bool, err error) {
	var nextErr error
	var aborted bool
	if req.remote != "" || h.fromOrigin(or.URL.Path) {
		if err := h.fetchOrigin(req, or, rec); err != nil {
			rec.fetchErr = err
			return true, h.writeError(req.w, req.r, err)
		}
	} else if req.viaRoutes {
		nextErr, aborted = fetchViaRoutes(next, rec, or, routePrefix(req.r))
	} else {
		nextErr, aborted = serveNext(next, rec, or)
	}
	switch {
	case rec.overflow:
		return true, h.writeError(req.w, req.r, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge,
			Title: "Source too large", Detail: fmt.Sprintf("The source image is larger than %d bytes.", h.MaxSourceBytes)})
	case rec.overloaded:
		return true, h.writeError(req.w, req.r, h.buffersFull())
	case aborted && (rec.buffered() || rec.notModified || rec.missing):
		return true, h.writeError(req.w, req.r, &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream,
			Title: "Bad gateway", Detail: "The origin sent an incomplete image."})
	case aborted:
		panic(http.ErrAbortHandler)
	case nextErr != nil && rec.holdMissingError(handlerStatus(nextErr), missingError{handler: nextErr}):
		// file_server reports a missing file as an error, which Caddy
		// answers (handle_errors): held for the fallback.
		return false, nil
	case nextErr != nil:
		return true, nextErr
	case rec.notModified || rec.buffered() || rec.missing:
		return false, nil
	}
	// Passed through: not a 200 image (or nothing was written at all).
	return true, nil
}

// handlerStatus is the status of a handler's error (caddyhttp.HandlerError),
// 0 for another error.
func handlerStatus(err error) int {
	var he caddyhttp.HandlerError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}

// serveNext runs the next handler into rec. reverse_proxy aborts a body it
// cannot finish writing (our limit, or a broken upstream) by panicking with
// http.ErrAbortHandler; that is reported as aborted, as nothing reached the
// client yet when rec was buffering.
func serveNext(next caddyhttp.Handler, rec *sourceRecorder, r *http.Request) (err error, aborted bool) {
	return catchAbort(func() error { return next.ServeHTTP(rec, r) })
}

// fetchViaRoutes gets the source or asks for as a subrequest through the
// site's routes, as a client's request for its path would be (a layer
// path's is alike, fetchLayerPath): the handlers before Matte (basic_auth,
// forward_auth, matchers on the path or client) decide on it with the
// client's headers, address and TLS state, and a matte handler on its way
// serves it untransformed (isSubrequest). The prefix the route stripped
// from the client's path (routePrefix) is put back, so the path reaches
// the same handlers. The server answers a handler's error (a 401,
// file_server's 404) itself, into rec: no handler error comes back.
// Without Caddy's server (unit tests) it falls back to next.
func fetchViaRoutes(next caddyhttp.Handler, rec *sourceRecorder, or *http.Request, prefix string) (err error, aborted bool) {
	sub, srv, ok := subrequest(or)
	if !ok {
		return serveNext(next, rec, or)
	}
	withPrefix(sub, prefix)
	// The routes set their headers afresh: what the client's response
	// has so far would be doubled (header +Name).
	rec.header = http.Header{}
	return serveRoutes(srv, rec, sub)
}

// withPrefix puts prefix, the part of the client's path its route
// stripped (routePrefix), back before sub's path, so that the subrequest
// reaches the same handlers as the client's request; "" changes nothing.
func withPrefix(sub *http.Request, prefix string) {
	if prefix == "" {
		return
	}
	u := *sub.URL
	u.Path = prefix + sub.URL.Path
	if sub.URL.RawPath != "" {
		u.RawPath = (&url.URL{Path: prefix}).EscapedPath() + sub.URL.RawPath
	}
	sub.URL = &u
	sub.RequestURI = u.RequestURI()
}

// subrequest clones r for a request of Matte's own through the routes of
// srv, the Caddy server serving r, marked so that a matte handler on its way
// passes it untransformed (isSubrequest). ok is false outside Caddy's
// server (unit tests).
func subrequest(r *http.Request) (sub *http.Request, srv http.Handler, ok bool) {
	srv, ok = r.Context().Value(caddyhttp.ServerCtxKey).(http.Handler)
	if !ok {
		return nil, nil, false
	}
	return r.Clone(context.WithValue(r.Context(), subrequestKey{}, true)), srv, true
}

// serveRoutes runs sub through srv into w. The server answers a handler's
// error itself (a 401, file_server's 404), so err is always nil; aborted
// reports a handler's http.ErrAbortHandler (catchAbort).
func serveRoutes(srv http.Handler, w http.ResponseWriter, sub *http.Request) (err error, aborted bool) {
	return catchAbort(func() error { srv.ServeHTTP(w, sub); return nil })
}

// catchAbort runs serve, reporting a panic with http.ErrAbortHandler as
// aborted; any other panic goes on.
func catchAbort(serve func() error) (err error, aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	return serve(), false
}

// fetchOrigin gets the source from the configured origin URL (through
// originFetcher), or req's remote URL when it has one (through fetcher, as
// any URL a client names), conditionally when or carries
// validators. It fills rec as the next handler would.
func (h *Handler) fetchOrigin(req *imageRequest, or *http.Request, rec *sourceRecorder) error {
	src, fetcher := req.remote, h.guard.fetcher
	if src == "" {
		var err error
		if src, err = h.originURL(or.URL.Path, or.URL.RawQuery); err != nil {
			return err
		}
		fetcher = h.guard.originFetcher
	}
	res, err := fetcher.Fetch(req.r.Context(), fetch.Request{URL: src, Accept: "image/*",
		IfNoneMatch: ifNoneMatch(or.Header), IfModifiedSince: or.Header.Get("If-Modified-Since"),
		Reserve: func(n int64) error { return rec.take(rec.taken + n) }})
	if errors.Is(err, errBuffersFull) {
		return nil // rec.overloaded: fetch answers
	}
	if err != nil {
		var fe *fetch.FetchError
		switch {
		case errors.As(err, &fe) && fe.Kind == fetch.KindTooLarge:
			rec.overflow = true
			return nil
		case fe != nil && fe.Kind == fetch.KindUpstream && rec.holdMissingError(fe.Status, missingError{answer: upstreamError(err)}):
			// The 404's headers as a passed-through answer keeps them, and
			// its Vary: its CORS headers and Cache-Control are this URL's,
			// which a fallback answer carries and obeys (serveFallback).
			for _, k := range slices.Concat(passedHeaders, []string{"Vary"}) {
				if v := fe.Header.Values(k); len(v) > 0 {
					rec.header[k] = v
				}
			}
			return nil
		}
		return upstreamError(err)
	}
	mt := mediaType(res.ContentType)
	svg := mt == svgType
	for k, v := range res.Header {
		if !svg || slices.Contains(passedHeaders, http.CanonicalHeaderKey(k)) {
			rec.header[k] = v
		}
	}
	if svg && !res.NotModified {
		// Passed through whole (the recorder's passthrough): its length
		// is known, as passOrigin and file_server send it, so a HEAD has
		// it and the body does not go chunked.
		rec.header.Set("Content-Length", strconv.Itoa(len(res.Body)))
	}
	if res.NotModified {
		rec.conditional = true
		rec.WriteHeader(http.StatusNotModified)
		return nil
	}
	if !isImage(mt) {
		return notAnImage("origin", res.ContentType)
	}
	return rec.writeFetched(res.Body)
}

// originURL is the origin URL's resource for a request's (decoded) path:
// the origin's path joined with it, the query replaced by rawQuery. A path
// with a . or .. segment is refused with a 400: joined as it is, the origin
// (or a proxy on the way) would resolve it against the origin's own path and
// could leave that path, as `/..%2Fadmin%2Fconfig.json` would. Browsers
// resolve dot segments before they send a URL, so only a hand-made request
// carries one. A backslash separates segments too, as some servers read it.
func (h *Handler) originURL(reqPath, rawQuery string) (string, error) {
	if params.HasDotSegment(reqPath) {
		return "", &params.Error{Status: http.StatusBadRequest, Code: params.CodeInvalidParameter, Title: "Invalid path",
			Detail: "The path has a . or .. segment; the origin's images are named without them."}
	}
	u := *h.guard.origin
	u.Path = strings.TrimSuffix(u.Path, "/") + reqPath
	u.RawPath = ""
	u.RawQuery = rawQuery
	return u.String(), nil
}

// notImageError is the cause of notAnImage's 502: the type the origin or
// remote answered with (as sent; "" when none). failureLevel finds it with
// errors.As and logs the answer at Debug, as the client chose the source.
type notImageError struct{ contentType string }

func (e *notImageError) Error() string {
	return fmt.Sprintf("answered Content-Type %q, not an image", e.contentType)
}

// notAnImage is the 502 for a source whose origin or remote source (noun)
// answered contentType, which is not an image. The client sees the status,
// code, title and detail ("The origin did not answer with an image."), never
// the cause.
func notAnImage(noun, contentType string) error {
	return &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway",
		Detail: "The " + noun + " did not answer with an image.", Cause: &notImageError{contentType}}
}

// upstreamError is the public error of a failed origin fetch.
func upstreamError(err error) error {
	var fe *fetch.FetchError
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Kind == fetch.KindUpstream && isMissing(fe.Status) {
		// The origin has no such image: its 404 or 410 is the client's
		// answer too, as when the next handler serves the source, not a
		// 502 that would read as the origin failing.
		return &params.Error{Status: fe.Status, Code: params.CodeSourceNotFound, Title: http.StatusText(fe.Status),
			Detail: fmt.Sprintf("The origin answered %d %s for the source.", fe.Status, http.StatusText(fe.Status)), Cause: err}
	}
	status := fe.ClientKind().HTTPStatus()
	return &params.Error{Status: status, Code: params.CodeUpstream, Title: http.StatusText(status), Detail: fe.Detail(), Cause: err}
}

// confineOriginBytes makes an origin's file, served untouched under this
// site's name, unable to act as the site: the type is never sniffed
// (nosniff, and an untyped file is application/octet-stream rather than
// what Go's server would guess from its bytes), and whatever is not a
// raster image (an SVG, an HTML page) gets svgPolicy, so that opened on its
// own it runs no script here, as an SVG the recorder passes through.
//
// A 304 gets no invented type: a cache merges a 304's headers into the
// response it stored (RFC 9111 §3.2), and an origin's 304 usually has no
// Content-Type (S3's, Go's file server's); only one that names a type that
// is not a raster image gets the policy.
func confineOriginBytes(hdr http.Header, notModified bool) {
	hdr.Set("X-Content-Type-Options", "nosniff")
	ct := hdr.Get("Content-Type")
	if ct == "" {
		if notModified {
			return
		}
		ct = "application/octet-stream"
		hdr.Set("Content-Type", ct)
	}
	if mt := mediaType(ct); mt == svgType || !isImage(mt) {
		hdr.Set("Content-Security-Policy", svgPolicy)
	}
}

// passOrigin answers a request without Matte parameters from the origin
// URL, bytes untouched (confineOriginBytes).
func (h *Handler) passOrigin(w http.ResponseWriter, r *http.Request, rawQuery string) error {
	src, err := h.originURL(r.URL.Path, rawQuery)
	if err != nil {
		return h.writeError(w, r, err)
	}
	hold := h.holdBytes()
	defer hold.Release()
	res, err := h.guard.originFetcher.Fetch(r.Context(), fetch.Request{URL: src,
		IfNoneMatch: ifNoneMatch(r.Header), IfModifiedSince: r.Header.Get("If-Modified-Since"), Reserve: h.reserveFor(hold)})
	if err != nil {
		return h.writeError(w, r, upstreamError(err))
	}
	return writeUntouched(w, r, res)
}

// writeUntouched answers with a fetched origin or remote answer's bytes as
// they came (a 304 as a 304), with the headers Matte passes on and
// confined (confineOriginBytes).
func writeUntouched(w http.ResponseWriter, r *http.Request, res *fetch.Response) error {
	for _, k := range passedHeaders {
		if v := res.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	confineOriginBytes(w.Header(), res.NotModified)
	if res.NotModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(res.Body)
	}
	return nil
}
