package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
)

// Cache-Control of a result whose source a shared cache may not store:
// the client may keep it but must revalidate (a 304 then costs a source
// fetch, with the client's credentials, and no transform).
const (
	privateCacheControl = "private, no-cache"
	noStoreCacheControl = "no-store"
)

// setResultHeaders sets the validators and caching headers every transformed
// response carries, 304s included.
func (h *Handler) setResultHeaders(req *imageRequest) {
	hdr := req.w.Header()
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Range", "Accept-Ranges", "Etag", "Last-Modified", "Expires", "Cache-Control"} {
		hdr.Del(k)
	}
	hdr.Set("ETag", etagFor(req.Key))
	if req.isFallback {
		hdr.Set(fallbackHeader, "1")
		if h.FallbackStatus != http.StatusOK {
			hdr.Del("ETag") // a validator goes with a 200 only
		}
	}
	switch {
	case req.NoStore:
		hdr.Set("Cache-Control", noStoreCacheControl)
	case req.Private:
		hdr.Set("Cache-Control", privateCacheControl)
	case req.isFallback:
		hdr.Set("Cache-Control", h.fallbackCacheControl())
	case req.cacheControl != "":
		hdr.Set("Cache-Control", req.cacheControl)
	default:
		hdr.Set("Cache-Control", h.CacheControl)
	}
	// The source's CORS answer is the result's, unless the site set its
	// own (a header directive runs before matte).
	for k, v := range req.Memo.Sharing {
		if hdr.Get(k) == "" {
			hdr.Set(k, v)
		}
	}
	// A downstream cache must key the result as Matte keyed its source.
	vary := slices.Clone(req.Memo.Vary)
	if req.Params.AutoFormat {
		vary = append(vary, "Accept")
	}
	vary = append(vary, imgix.ClientHintHeaders(req.Params.ClientHints)...)
	for _, name := range vary {
		if !slices.Contains(hdr.Values("Vary"), name) {
			hdr.Add("Vary", name)
		}
	}
}

// capMaxAge is Cache-Control cc for an answer that must not be reused
// after left has passed (an expiring URL: a cache that kept it for the
// site's day would serve the URL past its end). max-age and s-maxage are
// cut to left, whole seconds down; with add, a max-age is added when cc
// has none and allows storing (s-maxage binds shared caches only, and a
// browser would otherwise apply its heuristic); stale-while-revalidate and
// stale-if-error, which let a cache serve it past its freshness, are
// dropped. no-store, and no-cache alone, are kept as they are. A quoted
// argument that names a freshness directive is not kept (hidesFreshness).
func capMaxAge(cc string, left time.Duration, add bool) string {
	secs := max(int64(left/time.Second), 0)
	var out []string
	hasMaxAge, noStore := false, false
	for _, d := range splitDirectives(cc) {
		name, val, hasVal := strings.Cut(d, "=")
		name = strings.TrimSpace(name)
		if hidesFreshness(d) {
			// private="…" and no-cache="…" become their stricter bare
			// form; another directive's argument is dropped with it.
			switch strings.ToLower(name) {
			case "private", "no-cache":
				d, val, hasVal = strings.ToLower(name), "", false
			default:
				continue
			}
		}
		switch strings.ToLower(name) {
		case "":
			continue
		case "no-store":
			noStore = true
		case "stale-while-revalidate", "stale-if-error":
			continue
		case "max-age", "s-maxage":
			hasMaxAge = hasMaxAge || strings.EqualFold(name, "max-age")
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); !hasVal || err != nil || n > secs {
				d = strings.ToLower(name) + "=" + strconv.FormatInt(secs, 10)
			}
		}
		out = append(out, d)
	}
	if add && !noStore && !hasMaxAge && !(len(out) == 1 && strings.EqualFold(out[0], "no-cache")) {
		out = append(out, "max-age="+strconv.FormatInt(secs, 10))
	}
	return strings.Join(out, ", ")
}

// splitDirectives splits a Cache-Control value at the commas between its
// directives, trimmed, keeping a quoted-string argument whole: the comma in
// private="Set-Cookie, Authorization" is the argument's (RFC 9111 5.2, RFC
// 9110 5.6.4, backslash escapes included). A quote opens a quoted string
// only right after a directive's "=". A value whose quoted string is never
// closed is malformed: it is split at every comma, so that no max-age in
// it escapes capMaxAge.
func splitDirectives(cc string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(cc); i++ {
		switch c := cc[i]; {
		case quoted && c == '\\':
			i++
		case quoted && c == '"':
			quoted = false
		case !quoted && c == '"' && strings.HasSuffix(strings.TrimRight(cc[start:i], " \t"), "="):
			quoted = true
		case c == ',' && !quoted:
			out = append(out, strings.TrimSpace(cc[start:i]))
			start = i + 1
		}
	}
	if quoted {
		out = strings.Split(cc, ",")
		for i := range out {
			out[i] = strings.TrimSpace(out[i])
		}
		return out
	}
	return append(out, strings.TrimSpace(cc[start:]))
}

// hidesFreshness reports a quoted argument (d's, after its "=") that names
// a freshness directive: a cache that looks for "max-age=" anywhere in the
// field (nginx does) would read it as the answer's own.
func hidesFreshness(d string) bool {
	_, val, ok := strings.Cut(d, "=")
	if !ok || !strings.HasPrefix(strings.TrimSpace(val), `"`) {
		return false
	}
	val = strings.ToLower(val)
	return strings.Contains(val, "max-age") || strings.Contains(val, "maxage") || strings.Contains(val, "stale-")
}

// untilExpiry wraps w, the writer of an answer to an expiring URL, so that
// its Cache-Control is capped (capMaxAge) and its Expires dropped,
// whatever set them: setResultHeaders for a transform, the next handler or
// the origin for what is passed on untransformed; w itself when expires is
// zero. The cap is applied before the first byte or status.
func untilExpiry(w http.ResponseWriter, expires time.Time) http.ResponseWriter {
	if expires.IsZero() {
		return w
	}
	return &expiringWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, expires: expires}
}

type expiringWriter struct {
	caddyhttp.ResponseWriterWrapper
	expires time.Time
	capped  bool
}

// capHeaders caps the headers once, for the answer's status: a max-age is
// added, where none is given, to a success only (a 502 or a 404 must not
// become cacheable until the URL ends); other answers only have theirs
// shortened. Every Cache-Control line is read (a second one may say
// private).
func (w *expiringWriter) capHeaders(code int) {
	if w.capped {
		return
	}
	w.capped = true
	hdr := w.Header()
	add := code == http.StatusOK || code == http.StatusNonAuthoritativeInfo || code == http.StatusPartialContent || code == http.StatusNotModified
	if cc := capMaxAge(strings.Join(hdr.Values("Cache-Control"), ", "), time.Until(w.expires), add); cc != "" {
		hdr.Set("Cache-Control", cc)
	} else {
		hdr.Del("Cache-Control")
	}
	hdr.Del("Expires")
}

func (w *expiringWriter) WriteHeader(code int) {
	if code >= 200 {
		w.capHeaders(code)
	}
	w.ResponseWriterWrapper.WriteHeader(code)
}

func (w *expiringWriter) Write(p []byte) (int, error) {
	w.capHeaders(http.StatusOK)
	return w.ResponseWriterWrapper.Write(p)
}

func (w *expiringWriter) ReadFrom(r io.Reader) (int64, error) {
	w.capHeaders(http.StatusOK)
	return w.ResponseWriterWrapper.ReadFrom(r)
}

// FlushError caps the headers before a flush sends them (a handler that
// flushes before its first write sends a 200's headers); without it
// http.ResponseController would unwrap past this writer and flush the
// uncapped headers.
func (w *expiringWriter) FlushError() error {
	w.capHeaders(http.StatusOK)
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is FlushError for callers that assert http.Flusher.
func (w *expiringWriter) Flush() { _ = w.FlushError() }

// earliest is the earlier of two times, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// maxAgeCacheControl is the Cache-Control a URL's own max-age asks for,
// "" when it asks none.
func maxAgeCacheControl(iu dialect.ImageURL) string {
	switch {
	case !iu.MaxAgeSet:
		return ""
	case iu.MaxAge == 0:
		return "no-cache"
	}
	return "public, max-age=" + strconv.Itoa(iu.MaxAge)
}

func (h *Handler) writeNotModified(req *imageRequest) bool {
	if !etagMatches(ifNoneMatch(req.r.Header), etagFor(req.Key)) {
		return false
	}
	h.setResultHeaders(req)
	req.w.Header().Del("Content-Type")
	req.w.WriteHeader(http.StatusNotModified)
	return true
}

func (h *Handler) writeResult(req *imageRequest, out rendered) {
	h.setResultHeaders(req)
	e := out.Entry
	hdr := req.w.Header()
	if out.Meta.Provisional {
		// Not the answer the key stands for (a face crop's fallback while
		// the detector cannot be loaded): no cache may keep it, and no
		// validator names it, since a later 304 for that key's ETag would
		// confirm this answer in place of the real one.
		hdr.Set("Cache-Control", noStoreCacheControl)
		hdr.Del("ETag")
	}
	hdr.Set("Content-Type", e.ContentType)
	hdr.Set("Content-Length", strconv.Itoa(out.size()))
	switch {
	case req.Params.Download:
		hdr.Set("Content-Disposition", attachment(req.Params.DownloadName, req.r.URL.Path, req.Format.Extension()))
	case req.Params.DownloadName != "":
		hdr.Set("Content-Disposition", disposition("inline", req.Params.DownloadName, req.r.URL.Path, req.Format.Extension()))
	}
	hdr.Set("X-Cache", out.Tier.CacheStatus())
	if m := out.Meta.Model; m != "" {
		hdr.Set("X-Matte-Model", m)
	}
	if out.Meta.HasForeground {
		fg := out.Meta.Foreground
		for name, v := range map[string]int{"X-Foreground-Left": fg.Left, "X-Foreground-Top": fg.Top, "X-Foreground-Width": fg.Width, "X-Foreground-Height": fg.Height} {
			hdr.Set(name, strconv.Itoa(v))
		}
	}
	// No Age, on a hit either: Matte is the origin of the transformed
	// answer and gives each one its cache_control afresh. An Age counted
	// from the transform (kept for days in the disk and shared tiers) would
	// pass the max-age sent with it, and a browser or CDN would take the
	// answer as stale on arrival (RFC 9111, 4.2.3): every fallback a minute
	// after the first, every result after a day.
	req.timings.outcome = out.Tier.CacheStatus()
	h.served(req.w, req.r, req, servedImage{ContentType: e.ContentType, Bytes: out.size(), Model: out.Meta.Model, Width: out.Meta.Width, Height: out.Meta.Height})
	status := http.StatusOK
	if req.isFallback {
		status = h.FallbackStatus
	}
	req.w.WriteHeader(status)
	switch {
	case req.r.Method == http.MethodHead:
	case out.Body != nil:
		// A disk hit from its file, copied as file_server copies a file
		// (cache.FileBody.WriteTo). A failure mid-way (client gone, file
		// shrunk) leaves the response short of its Content-Length, and
		// net/http closes the connection.
		_, _ = out.Body.WriteTo(req.w)
	default:
		_, _ = req.w.Write(e.Value)
	}
}

// ifNoneMatch is every If-None-Match field line of h as one list: a
// field sent on several lines is one comma-separated list (RFC 9110
// §5.3), and a client or proxy may split it.
func ifNoneMatch(h http.Header) string {
	return strings.Join(h.Values("If-None-Match"), ", ")
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110
// §13.1.2, §8.8.3.2): two entity-tags match when their opaque-tags are
// equal, whether or not either is marked weak (W/), on both sides: the
// client's list (header) and the stored etag, which may be an origin's weak
// one.
func etagMatches(header, etag string) bool {
	etag = strings.TrimPrefix(strings.TrimSpace(etag), "W/")
	if header == "" || etag == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// asTimeout turns a bare deadline or cancellation into the public 503
// timeout error (params.Timeout). An error that is already public (a
// *params.Error or params.Errors anywhere in its chain) is returned as it
// is, even when a deadline is its cause: an origin or layer fetch that
// timed out is upstreamError's 504 upstream_error ("The source took too
// long to download."), not a transform that took too long. Other errors
// are returned as they are.
func asTimeout(err error) error {
	var one *params.Error
	var list params.Errors
	if errors.As(err, &one) || errors.As(err, &list) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return params.Timeout(err)
	}
	return err
}

type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// failureLevel is the level of the log line of an error answer with
// status (err its cause), in every dialect: the client's doing is Debug,
// a fault outside Matte (an origin down or failing, a timeout) Warn,
// Matte's own (a model or pipeline failure) Error.
//   - below 500, and 501 (a feature this server does not offer, such as
//     rembg=1 without rembg): Debug.
//   - a remote or origin that answered 4xx (S3 answers 403 for a missing
//     key) or answered with something that is not an image: Debug, as the
//     client chose the source.
//   - 503 (overload), 504 and other fetch failures (network, origin 5xx,
//     redirects): Warn.
//   - any other 5xx: Error.
func failureLevel(err error, status int) zapcore.Level {
	switch {
	case status < 500 || status == http.StatusNotImplemented:
		return zapcore.DebugLevel
	case status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		return zapcore.WarnLevel
	}
	var fe *fetch.FetchError
	if errors.As(err, &fe) {
		if fe.Kind == fetch.KindUpstream && fe.Status >= 400 && fe.Status < 500 {
			return zapcore.DebugLevel
		}
		return zapcore.WarnLevel
	}
	var ni *notImageError
	for _, e := range params.AsErrors(err) {
		// notAnImage's 502 (origin.go, urldialect.go).
		if errors.As(e.Cause, &ni) {
			return zapcore.DebugLevel
		}
	}
	return zapcore.ErrorLevel
}

// failureLogs samples the per-request Warn and Error lines of failed
// answers (writeError, apiState.failed) as the cache's warnings are
// sampled: at most cacheWarnBurst lines per cacheWarnInterval for each
// logger, status and error code, so a flood of one failure (an origin
// down, an overload) neither writes a line per request nor hides another
// failure's lines. Debug lines are not sampled. One per Handler, made in
// Provision and living as long as it (nothing to release); the nil
// *failureLogs (a Handler built without Provision) samples nothing. Safe
// for concurrent use.
type failureLogs struct {
	sampled sync.Map // failureKey -> *zap.Logger
}

// failureKey is what a failure line is sampled by. The set is bounded: a
// handler has two loggers (its own and the hosted APIs') and params' error
// codes and statuses are a fixed set.
type failureKey struct {
	logger *zap.Logger
	status int
	code   string
}

// failureNote tells the reader of a sampled failure line that it may
// stand for others (Caddy's access log has a line for every answer).
const failureNote = "logged at most 5 times per 10s per status and error code"

// logger is l sampled for the failures list answers (its status and
// first error's code).
func (f *failureLogs) logger(l *zap.Logger, list params.Errors) *zap.Logger {
	if f == nil {
		return l
	}
	k := failureKey{logger: l, status: list.Status()}
	if len(list) > 0 {
		k.code = list[0].Code
	}
	if v, ok := f.sampled.Load(k); ok {
		return v.(*zap.Logger)
	}
	v, _ := f.sampled.LoadOrStore(k, sampledWarnings(l))
	return v.(*zap.Logger)
}

// writeError answers with Matte's JSON error body. Causes of server-side
// errors go to the log only.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) error {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away: nothing to answer, nothing to alarm anyone.
		h.logger.Debug("client closed the request", zap.String("uri", r.RequestURI))
		return nil
	}
	err = asTimeout(err)
	list := params.AsErrors(err)
	status := list.Status()
	body := errorBody{Errors: make([]errorItem, len(list))}
	for i, e := range list {
		body.Errors[i] = errorItem{Code: e.Code, Title: e.Title, Detail: e.Detail, Field: e.Field}
	}
	switch lvl := failureLevel(err, status); {
	case status == http.StatusServiceUnavailable:
		// Overload and timeouts are the server protecting itself, counted
		// by the metrics: a warning, not an error.
		h.failures.logger(h.logger, list).Warn("transform refused", zap.String("uri", r.RequestURI), zap.Error(err), zap.String("note", failureNote))
	case lvl > zapcore.DebugLevel:
		h.failures.logger(h.logger, list).Log(lvl, "transform failed", zap.String("uri", r.RequestURI), zap.Error(err), zap.String("note", failureNote))
	default:
		h.logger.Debug("client error", zap.String("uri", r.RequestURI), zap.Error(err))
	}
	if status == 499 {
		return nil // the client is gone; nothing to write
	}
	buf, _ := json.Marshal(body)
	hdr := w.Header()
	for _, k := range []string{"Etag", "Last-Modified", "Content-Encoding", "Content-Range", "Accept-Ranges"} {
		hdr.Del(k)
	}
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(buf)))
	hdr.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		hdr.Set("Retry-After", retryAfterSeconds(err))
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf)
	return nil
}

// attachment is the Content-Disposition of a download (imgix dl): named
// name, or when name is empty the base name of the source's path with the
// extension ext (params.Format.Extension: shoe.jpg answered as WebP saves
// as shoe.webp; ext "" for the source's own bytes keeps its name).
// mime.FormatMediaType writes a non-ASCII name as RFC 2231's filename*.
func attachment(name, sourcePath, ext string) string {
	return disposition("attachment", name, sourcePath, ext)
}

// disposition is a Content-Disposition of type typ (attachment, inline)
// with the file name attachment describes.
func disposition(typ, name, sourcePath, ext string) string {
	if name == "" {
		name = path.Base(sourcePath)
		if name == "/" || name == "." {
			name = "image"
		}
		if ext != "" {
			name = strings.TrimSuffix(name, path.Ext(name)) + ext
		}
	}
	if v := mime.FormatMediaType(typ, map[string]string{"filename": name}); v != "" {
		return v
	}
	return typ
}
