package caddymodule

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jebosio/matte/admission"
)

// errSourceTooLarge aborts the next handler's body once it passes the limit.
var errSourceTooLarge = errors.New("matte: source exceeds max_source_bytes")

// sourceRecorder stands in for the client's ResponseWriter while the next
// handler (file_server, reverse_proxy, ...) writes the source. A 200 of type
// image/* is buffered, up to limit bytes; anything else, and an SVG, is
// written through to the client untouched (an SVG with svgPolicy), except
// a 404 or 410 when holdMissing is set, which is held back (missing). Not
// safe for concurrent use, like any ResponseWriter.
type sourceRecorder struct {
	w      http.ResponseWriter
	header http.Header
	limit  int64

	status      int
	wroteHeader bool
	passthrough bool // writing straight to w
	overflow    bool // the buffered body passed limit
	// conditional: the request carried Matte's own validators, so a 304 is
	// Matte's to read (notModified), not the client's.
	conditional bool
	notModified bool
	// holdMissing: the request has a fallback image (fallback.go), so a
	// 404 or 410 is held instead of passed through (missing), its body in
	// buf: the handler answers with the fallback instead, or replays it
	// (missingAnswer). A held body that passes limit goes through after
	// all: what was held, then the rest.
	holdMissing bool
	missing     bool
	// missingErr is how a missing source was reported without a response
	// (holdMissingError); nil when the 404 or 410 was written.
	missingErr *missingError
	buf        bytes.Buffer
	// hold is the request's share of max_buffered_bytes: the buffer's
	// bytes are taken from it (taken so far) before they are kept, the
	// declared Content-Length at once. Past the budget the body is
	// refused (overloaded), as one over limit is (overflow); a held 404
	// goes through instead.
	hold       *admission.Hold
	taken      int64
	overloaded bool
	// fetchErr is the origin URL's failure (fetchOrigin), which fetch
	// answered the client with: nil when the origin URL was not asked, or
	// answered.
	fetchErr error
	// fetched: the body comes whole from the fetcher (writeFetched), so
	// WriteHeader does not size a buffer for it.
	fetched bool
	// client is the client's request (nil: a subrequest of Matte's own),
	// set by forRequest. Its validators, which the source request went
	// without (sanitizeSourceHeader), are answered here for a 200 passed
	// through (an SVG, a file that is not an image): a match is a 304, its
	// body dropped (discard).
	client  *http.Request
	discard bool
	// keepQuery is the client's query (imageRequest.keepQuery): its Matte
	// part is added to a redirect to this site that the next handler
	// answers with, so that the client following it asks for the same
	// transform of the new path (the next handler saw the query without
	// it and built its Location from that).
	keepQuery string
	// relocate is imageRequest.relocate: a URL dialect's keepQuery.
	relocate func(loc *url.URL) (string, bool)
}

// forRequest sets what rec needs of req: the client's request and the
// query a redirect keeps.
func (r *sourceRecorder) forRequest(req *imageRequest) *sourceRecorder {
	r.client, r.keepQuery, r.relocate = req.r, req.keepQuery, req.relocate
	return r
}

// clientHasIt reports whether the client's validators match a 200 the
// recorder passes through (RFC 9110 §13.2.2: If-None-Match, else
// If-Modified-Since).
func (r *sourceRecorder) clientHasIt() bool {
	if r.client == nil {
		return false
	}
	if inm := ifNoneMatch(r.client.Header); inm != "" {
		return r.header.Get("ETag") != "" && etagMatches(inm, r.header.Get("ETag"))
	}
	ims := r.client.Header.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	lm, err := http.ParseTime(r.header.Get("Last-Modified"))
	since, err2 := http.ParseTime(ims)
	return err == nil && err2 == nil && !lm.After(since)
}

// sameHost reports whether absolute URL u names host (a request's Host),
// a port left out being the default of u's scheme (https://a:443/ is a).
func sameHost(u *url.URL, host string) bool {
	port := func(p string) string {
		if p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	if !strings.Contains(host, ":") || strings.HasSuffix(host, "]") {
		host += ":"
	}
	h, p, err := net.SplitHostPort(host)
	return err == nil && strings.EqualFold(u.Hostname(), h) && port(u.Port()) == port(p)
}

// keepTransform adds keepQuery's Matte part to a Location on this site,
// or has relocate rewrite it into the dialect URL of the new path. It
// reports false when relocate answered the client instead (the redirect
// is then dropped, its body with it). The query is split here, on a
// redirect only, not for every request.
func (r *sourceRecorder) keepTransform(status int) bool {
	loc := r.header.Get("Location")
	if r.keepQuery == "" && r.relocate == nil || loc == "" || status < 300 || status > 399 {
		return true
	}
	u, err := url.Parse(loc)
	if err != nil || u.Opaque != "" || (u.Host != "" && !sameHost(u, r.client.Host)) || (u.Scheme != "" && u.Host == "") {
		return true
	}
	if r.relocate != nil {
		moved, ok := r.relocate(u)
		if ok {
			r.header.Set("Location", moved)
		}
		return ok
	}
	mq, _ := splitParams(r.keepQuery)
	if mq == "" {
		return true
	}
	_, others := splitParams(u.RawQuery)
	if others == "" {
		u.RawQuery = mq
	} else {
		u.RawQuery = others + "&" + mq
	}
	r.header.Set("Location", u.String())
	return true
}

func newSourceRecorder(w http.ResponseWriter, limit int64, hold *admission.Hold) *sourceRecorder {
	return &sourceRecorder{w: w, header: w.Header().Clone(), limit: limit, hold: hold}
}

// reserve takes from the hold what a buffer of total bytes needs beyond
// what the recorder took already, and reports whether it could.
func (r *sourceRecorder) reserve(total int64) bool {
	if total <= r.taken {
		return true
	}
	if !r.hold.Take(total - r.taken) {
		return false
	}
	r.taken = total
	return true
}

// take is reserve for a body being buffered: past the budget it marks the
// body overloaded and returns errBuffersFull, as it does once overloaded.
func (r *sourceRecorder) take(total int64) error {
	if r.overloaded || !r.reserve(total) {
		r.overloaded = true
		return errBuffersFull
	}
	return nil
}

func (r *sourceRecorder) Header() http.Header { return r.header }

// buffered reports whether the response was captured as a source image.
func (r *sourceRecorder) buffered() bool {
	return r.wroteHeader && !r.passthrough && !r.notModified && !r.missing
}

func (r *sourceRecorder) WriteHeader(status int) {
	if r.wroteHeader {
		return
	}
	if status >= 100 && status < 200 {
		// Informational responses (103 Early Hints) go straight through.
		copyHeader(r.w.Header(), r.header)
		r.w.WriteHeader(status)
		return
	}
	r.wroteHeader = true
	r.status = status
	if status == http.StatusNotModified && r.conditional {
		r.notModified = true
		return
	}
	if r.holdMissing && isMissing(status) {
		r.missing = true
		return
	}
	mt := mediaType(r.header.Get("Content-Type"))
	svg := status == http.StatusOK && mt == svgType
	if status != http.StatusOK || !isImage(mt) || svg {
		if svg {
			r.header.Set("Content-Security-Policy", svgPolicy)
			r.header.Set("X-Content-Type-Options", "nosniff")
		}
		r.passthrough = true
		if !r.keepTransform(status) {
			// relocate answered the client: the redirect's body goes nowhere.
			r.discard = true
			return
		}
		if status == http.StatusOK {
			// The source request asked without Range: the answer is whole.
			r.header.Del("Accept-Ranges")
			if r.clientHasIt() {
				status, r.discard = http.StatusNotModified, true
				r.header.Del("Content-Length")
			}
		}
		copyHeader(r.w.Header(), r.header)
		r.w.WriteHeader(status)
		return
	}
	cl, err := strconv.ParseInt(r.header.Get("Content-Length"), 10, 64)
	switch {
	case err != nil || cl <= 0:
	case r.limit > 0 && cl > r.limit:
		r.overflow = true
	case r.take(cl) != nil:
	case !r.fetched:
		// The extra MinRead lets ReadFrom see EOF without growing.
		r.buf.Grow(int(cl) + bytes.MinRead)
	}
}

func (r *sourceRecorder) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	if r.discard {
		return len(p), nil
	}
	if r.passthrough {
		return r.w.Write(p)
	}
	if r.notModified {
		return len(p), nil
	}
	total := int64(r.buf.Len() + len(p))
	if r.missing {
		if r.limit > 0 && total > r.limit || !r.reserve(total) {
			r.releaseMissing()
			return r.w.Write(p)
		}
		return r.buf.Write(p)
	}
	if r.overflow || r.limit > 0 && total > r.limit {
		r.overflow = true
		return 0, errSourceTooLarge
	}
	if err := r.take(total); err != nil {
		return 0, err
	}
	return r.buf.Write(p)
}

// writeFetched writes a 200 whose body the fetcher read whole, having
// taken its bytes with reserve (fetch.Request.Reserve): a buffered body
// becomes the buffer as it is, not a copy.
func (r *sourceRecorder) writeFetched(body []byte) error {
	r.fetched = true
	r.WriteHeader(http.StatusOK)
	if r.buffered() && !r.overflow && !r.overloaded && r.buf.Len() == 0 && r.reserve(int64(len(body))) {
		r.buf = *bytes.NewBuffer(body)
		return nil
	}
	_, err := r.Write(body)
	return err
}

// ReadFrom keeps sendfile (sendfileWriter) and large copies fast when
// passing through.
func (r *sourceRecorder) ReadFrom(src io.Reader) (int64, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	if r.discard {
		return io.Copy(io.Discard, src)
	}
	if r.passthrough {
		return newSendfileWriter(r.w).ReadFrom(src)
	}
	if r.notModified || r.overflow || r.overloaded || r.missing {
		return io.Copy(writerOnly{r}, src)
	}
	// A source being buffered is read straight into the buffer (sized from
	// Content-Length by WriteHeader): from file_server, one read of the
	// whole file instead of a 32 KiB copy loop. One byte past the limit
	// tells an oversized body.
	// Each read is reserved after it (a read's worth past the budget at
	// most): the total the buffer will hold, over what WriteHeader may
	// have taken for a declared length already.
	total := int64(r.buf.Len())
	var from io.Reader = admission.Reader{R: src, Take: func(n int64) error {
		total += n
		return r.take(total)
	}}
	if r.limit > 0 {
		from = io.LimitReader(from, r.limit-int64(r.buf.Len())+1)
	}
	n, err := r.buf.ReadFrom(from)
	if r.limit > 0 && int64(r.buf.Len()) > r.limit {
		r.overflow = true
		return n, errSourceTooLarge
	}
	return n, err
}

// Flush flushes a pass-through response; a buffered one has nothing to flush.
func (r *sourceRecorder) Flush() {
	if r.passthrough {
		_ = http.NewResponseController(r.w).Flush()
	}
}

// isMissing reports a status that says the source does not exist: 404 Not
// Found or 410 Gone.
func isMissing(status int) bool {
	return status == http.StatusNotFound || status == http.StatusGone
}

// holdMissingError holds a source's 404 or 410 that came as an error
// instead of a response (see missingError), when holdMissing is set and
// nothing was written; it reports whether it did.
func (r *sourceRecorder) holdMissingError(status int, e missingError) bool {
	if !r.holdMissing || r.wroteHeader || !isMissing(status) {
		return false
	}
	r.wroteHeader, r.status, r.missing, r.missingErr = true, status, true, &e
	return true
}

// releaseMissing passes a held 404 or 410 through after all: its header,
// the body held so far, and from then on the rest.
func (r *sourceRecorder) releaseMissing() {
	r.missing, r.passthrough = false, true
	copyHeader(r.w.Header(), r.header)
	r.w.WriteHeader(r.status)
	_, _ = r.w.Write(r.buf.Bytes())
	r.buf.Reset()
}

// writerOnly hides ReadFrom so io.Copy does not recurse into it.
type writerOnly struct{ io.Writer }

func copyHeader(dst, src http.Header) {
	for k := range dst {
		if _, ok := src[k]; !ok {
			delete(dst, k)
		}
	}
	for k, v := range src {
		dst[k] = v
	}
}

// mediaType is a Content-Type's media type, lower case ("" when it does
// not parse), read once per response.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// isImage reports an image media type.
func isImage(mediaType string) bool { return strings.HasPrefix(mediaType, "image/") }

// svgType is SVG's media type. Matte does not rasterise SVG: a vector image
// is answered as it is, whatever the URL asks (as Cloudflare and ipx answer
// one), since the browser scales it itself.
const svgType = "image/svg+xml"

// svgPolicy goes with an SVG passed through: shown by an <img> it changes
// nothing, but opened on its own (the URL visited) the document runs no
// script, loads nothing and gets an opaque origin, so an SVG from another
// host cannot act as this site (Next.js sends the same for SVG).
const svgPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// passedHeaders are the origin's headers an answer passed through from an
// origin URL keeps; the rest (cookies, the origin's own policies) stay
// there.
var passedHeaders = append([]string{"Content-Type", "Etag", "Last-Modified", "Cache-Control", "Expires"}, sharingHeaders...)

// sharingHeaders are the source's answers to who may read it from another
// origin (CORS, Resource Timing, CORP). A transformed answer carries the
// source's (sourceMemo.Sharing), so that <img crossorigin>, a canvas or
// fetch() may use the result wherever they may use the source.
var sharingHeaders = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers",
	"Timing-Allow-Origin", "Cross-Origin-Resource-Policy"}

// sharingOf is the sharingHeaders h holds (nil: none).
func sharingOf(h http.Header) map[string]string {
	var out map[string]string
	for _, k := range sharingHeaders {
		if v := strings.Join(h.Values(k), ", "); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
