// Package caddymodule is Matte's thin Caddy layer: the http.handlers.matte
// middleware that transforms the images its next handler serves.
package caddymodule

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/jebosio/matte/transform"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults for the Caddyfile knobs, sized for a 2-core machine.
const (
	DefaultMaxSourceBytes      = 50 << 20
	DefaultMaxSourceMegapixels = 50.0
	DefaultMaxOutputDimension  = 8192
	DefaultMaxFrames           = 256
	DefaultCacheControl        = "public, max-age=86400"
	DefaultTimeout             = 30 * time.Second
)

// Handler is the matte middleware. It parses Matte's query parameters, lets
// the next handler produce the source image, and replaces that response with
// the transformed image. Requests without Matte parameters, and responses
// that are not a 200 image, pass through untouched.
type Handler struct {
	// MaxSourceBytes bounds the source body Matte buffers (default 50 MiB).
	MaxSourceBytes int64 `json:"max_source_bytes,omitempty"`
	// MaxSourceMegapixels bounds width x height read from the source header,
	// before decoding (default 50).
	MaxSourceMegapixels float64 `json:"max_source_megapixels,omitempty"`
	// MaxOutputDimension is the longest output side in pixels (default 8192).
	MaxOutputDimension int `json:"max_output_dimension,omitempty"`
	// MaxFrames bounds the pages of an animated or multi-page source (default 256).
	MaxFrames int `json:"max_frames,omitempty"`
	// Quality holds the default quality per format: "jpeg", "webp", "avif".
	Quality map[string]int `json:"quality,omitempty"`
	// CacheControl is sent with every transformed image.
	CacheControl string `json:"cache_control,omitempty"`
	// Workers bounds concurrent libvips pipelines (default: the CPU count).
	Workers int `json:"workers,omitempty"`
	// Timeout is the deadline for one transform (default 30s).
	Timeout caddy.Duration `json:"timeout,omitempty"`

	pipeline *transform.Pipeline
	slots    chan struct{}
	logger   *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.matte",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision fills in defaults and builds the pipeline.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.MaxSourceBytes == 0 {
		h.MaxSourceBytes = DefaultMaxSourceBytes
	}
	if h.MaxSourceMegapixels == 0 {
		h.MaxSourceMegapixels = DefaultMaxSourceMegapixels
	}
	if h.MaxOutputDimension == 0 {
		h.MaxOutputDimension = DefaultMaxOutputDimension
	}
	if h.MaxFrames == 0 {
		h.MaxFrames = DefaultMaxFrames
	}
	if h.CacheControl == "" {
		h.CacheControl = DefaultCacheControl
	}
	if h.Workers == 0 {
		h.Workers = runtime.NumCPU()
	}
	if h.Timeout == 0 {
		h.Timeout = caddy.Duration(DefaultTimeout)
	}
	h.pipeline = transform.NewPipeline(transform.Options{
		Limits: transform.Limits{
			MaxSourceBytes:     h.MaxSourceBytes,
			MaxSourcePixels:    int64(h.MaxSourceMegapixels * 1e6),
			MaxOutputDimension: h.MaxOutputDimension,
			MaxFrames:          h.MaxFrames,
		},
		Qualities: transform.Qualities{JPEG: h.Quality["jpeg"], WebP: h.Quality["webp"], AVIF: h.Quality["avif"]},
	})
	h.slots = make(chan struct{}, h.Workers)
	return nil
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	if h.MaxSourceBytes < 0 || h.MaxSourceMegapixels < 0 || h.MaxOutputDimension < 0 || h.MaxFrames < 0 || h.Workers < 0 {
		return errors.New("matte: limits and workers must not be negative")
	}
	for f, q := range h.Quality {
		switch f {
		case "jpeg", "webp", "avif":
		default:
			return fmt.Errorf("matte: quality: unknown format %q (want jpeg, webp or avif)", f)
		}
		if q < 1 || q > 100 {
			return fmt.Errorf("matte: quality %s %d: want 1-100", f, q)
		}
	}
	return nil
}

// Cleanup releases nothing yet: the pipeline holds no per-config state.
func (h *Handler) Cleanup() error { return nil }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	params, err := transform.ParseQuery(r.URL.Query())
	if err != nil {
		return h.writeError(w, r, err)
	}
	if params.IsZero() {
		return next.ServeHTTP(w, r)
	}

	rec := newSourceRecorder(w, h.MaxSourceBytes)
	nextErr, aborted := serveNext(next, rec, originRequest(r))
	if rec.overflow {
		return h.writeError(w, r, &transform.Error{Status: http.StatusRequestEntityTooLarge, Code: transform.CodeSourceTooLarge,
			Title: "Source too large", Detail: fmt.Sprintf("The source image is larger than %d bytes.", h.MaxSourceBytes)})
	}
	if aborted && rec.buffered() {
		return h.writeError(w, r, &transform.Error{Status: http.StatusBadGateway, Code: transform.CodeUpstream,
			Title: "Bad gateway", Detail: "The origin sent an incomplete image."})
	}
	if aborted {
		panic(http.ErrAbortHandler)
	}
	if nextErr != nil || !rec.buffered() {
		// Upstream errors and non-image responses are the next handler's.
		return nextErr
	}
	return h.serveTransform(w, r, params, rec)
}

// serveNext runs the next handler into rec. reverse_proxy aborts a body it
// cannot finish writing (our limit, or a broken upstream) by panicking with
// http.ErrAbortHandler; that is reported as aborted, as nothing reached the
// client yet when rec was buffering.
func serveNext(next caddyhttp.Handler, rec *sourceRecorder, r *http.Request) (err error, aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	return next.ServeHTTP(rec, r), false
}

// originRequest is r as the origin should see it: without Matte's query
// parameters, ranges or validators (Matte needs the whole, current body),
// and asking for an unencoded body.
func originRequest(r *http.Request) *http.Request {
	or := r.Clone(r.Context())
	or.URL.RawQuery = stripParams(r.URL.RawQuery)
	or.RequestURI = or.URL.RequestURI()
	for _, k := range []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
		or.Header.Del(k)
	}
	or.Header.Set("Accept-Encoding", "identity")
	return or
}

// stripParams removes Matte's parameters from a raw query, keeping the
// others byte for byte and in order.
func stripParams(raw string) string {
	if raw == "" {
		return ""
	}
	kept := make([]string, 0, 4)
	for _, part := range strings.Split(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && transform.IsParam(n) {
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&")
}

func (h *Handler) serveTransform(w http.ResponseWriter, r *http.Request, params transform.Params, rec *sourceRecorder) error {
	src := rec.buf.Bytes()
	info, err := h.pipeline.Probe(src)
	if err != nil {
		return h.writeError(w, r, err)
	}
	format := transform.NegotiateFormat(params, r.Header.Get("Accept"), info)
	sum := sha256.Sum256(src)
	etag := resultETag(sum[:], params, format, h.pipeline.Fingerprint())

	hdr := w.Header()
	copyHeader(hdr, rec.header)
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Range", "Accept-Ranges", "Etag", "Last-Modified", "Expires", "Cache-Control"} {
		hdr.Del(k)
	}
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", h.CacheControl)
	if params.AutoFormat {
		hdr.Add("Vary", "Accept")
	}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		hdr.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}

	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(h.Timeout))
	defer cancel()
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return h.writeError(w, r, ctx.Err())
	}
	res, err := func() (transform.Result, error) {
		defer func() { <-h.slots }()
		return h.pipeline.Process(ctx, src, info, params, format)
	}()
	if err != nil {
		return h.writeError(w, r, err)
	}
	hdr.Set("Content-Type", res.Format.ContentType())
	hdr.Set("Content-Length", strconv.Itoa(len(res.Body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(res.Body)
	}
	return nil
}

// resultETag is a strong validator over everything that decides the bytes.
func resultETag(sourceHash []byte, p transform.Params, f transform.Format, fingerprint string) string {
	h := sha256.New()
	h.Write(sourceHash)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%s", p.Key(), f, fingerprint)
	return `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
}

// etagMatches implements If-None-Match's weak comparison.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
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

// writeError answers with Matte's JSON error body. Causes of server-side
// errors go to the log only.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = &transform.Error{Status: http.StatusServiceUnavailable, Code: transform.CodeTimeout, Title: "Timeout",
			Detail: "The image took too long to process.", Cause: err}
	}
	list := transform.AsErrors(err)
	status := list.Status()
	body := errorBody{Errors: make([]errorItem, len(list))}
	for i, e := range list {
		body.Errors[i] = errorItem{Code: e.Code, Title: e.Title, Detail: e.Detail, Field: e.Field}
	}
	if status >= 500 {
		h.logger.Error("transform failed", zap.String("uri", r.RequestURI), zap.Error(err))
	} else {
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
		hdr.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf)
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
