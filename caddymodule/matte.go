// Package caddymodule is Matte's thin Caddy layer: the http.handlers.matte
// middleware that transforms the images its next handler serves.
package caddymodule

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/params"
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
	// PNGCompression is the zlib level of PNG outputs, 0-9 (default 4).
	PNGCompression *int `json:"png_compression,omitempty"`
	// AVIFEffort is the AV1 encoder's effort, 0 (fastest) to 9 (default 2).
	AVIFEffort *int `json:"avif_effort,omitempty"`
	// CacheControl is sent with every transformed image.
	CacheControl string `json:"cache_control,omitempty"`
	// Workers bounds concurrent libvips pipelines (default: the CPU count).
	Workers int `json:"workers,omitempty"`
	// Timeout is the deadline for one transform (default 30s).
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// SourceTTL is the least time a source is reused without asking the
	// origin again, for origins that send no freshness of their own
	// (default 0: always revalidate, which for file_server is a stat).
	SourceTTL caddy.Duration `json:"source_ttl,omitempty"`
	// CacheOff disables the result, source and mask caches.
	CacheOff bool `json:"cache_off,omitempty"`
	// CacheMemory is the memory tier's size in bytes (default 256 MiB).
	CacheMemory int64 `json:"cache_memory,omitempty"`
	// CacheDisk is the disk tier's folder; empty means no disk tier.
	CacheDisk string `json:"cache_disk,omitempty"`
	// CacheDiskSize is the disk tier's size in bytes (default 1 GiB).
	CacheDiskSize int64 `json:"cache_disk_size,omitempty"`
	// Rembg configures background removal (rembg=1).
	Rembg Removal `json:"rembg,omitempty"`
	// APIs serves the hosted background-removal API dialects (api.go).
	APIs APIConfig `json:"apis,omitempty"`
	// Signature configures signed URLs; nil means none are checked.
	Signature *Signature `json:"signature,omitempty"`
	// Origin fetches sources from a remote origin instead of the next
	// handler, and sets the rules for every remote fetch.
	Origin *Origin `json:"origin,omitempty"`
	// QueueMegapixels bounds the megapixels of transforms waiting for a
	// worker (default 4 x workers x 25); past it, 503 with Retry-After.
	QueueMegapixels int `json:"queue_megapixels,omitempty"`
	// VipsCacheMemory bounds libvips' operation cache in bytes (default 0:
	// off). VipsConcurrency is libvips' threads per operation (default 1).
	// Both are process-wide: with several matte handlers the last one
	// provisioned wins.
	VipsCacheMemory int64 `json:"vips_cache_memory,omitempty"`
	VipsConcurrency int   `json:"vips_concurrency,omitempty"`
	// FreeMemoryInterval, when set, periodically hands memory that libvips
	// and its codecs freed back to the kernel (malloc_trim).
	FreeMemoryInterval caddy.Duration `json:"free_memory_interval,omitempty"`

	pipeline *transform.Pipeline
	stopFree chan struct{} // closed by Cleanup; nil without FreeMemoryInterval
	slots    chan struct{}
	cache    *cache.Cache // nil when off: every lookup misses
	cacheKey string
	rembgKey string
	matter   *matter // nil when background removal is off or unavailable
	metrics  *metrics
	guard    guard
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
	h.slots = make(chan struct{}, h.Workers)
	if h.QueueMegapixels == 0 {
		h.QueueMegapixels = 4 * h.Workers * 25
	}
	if err := h.provisionGuard(); err != nil {
		return err
	}
	if !h.CacheOff {
		o := cache.Options{MemoryMaxBytes: h.CacheMemory, DiskPath: h.CacheDisk, DiskMaxBytes: h.CacheDiskSize}
		key, c, err := loadCache(o, h.logger)
		if err != nil {
			return fmt.Errorf("matte: cache: %w", err)
		}
		h.cacheKey, h.cache = key, c
	}
	var err error
	if h.metrics, err = registerMetrics(ctx, h.cacheKey, h.cache); err != nil {
		return err
	}
	var mt transform.Matter
	if !h.Rembg.Off {
		key, models, err := h.Rembg.setUp(h.logger)
		switch {
		case err != nil && h.Rembg.Preload:
			return fmt.Errorf("matte: background removal: %w", err)
		case err != nil:
			h.logger.Warn("background removal unavailable (rembg=1 answers 501); run `make runtime`, or set `rembg off`", zap.Error(err))
		default:
			h.rembgKey = key
			h.matter = &matter{m: models, cache: h.cache, metrics: h.metrics}
			mt = h.matter
		}
	}
	h.pipeline = transform.NewPipeline(transform.Options{
		Limits: transform.Limits{
			MaxSourceBytes:     h.MaxSourceBytes,
			MaxSourcePixels:    int64(h.MaxSourceMegapixels * 1e6),
			MaxOutputDimension: h.MaxOutputDimension,
			MaxFrames:          h.MaxFrames,
		},
		Qualities: transform.Qualities{JPEG: h.Quality["jpeg"], WebP: h.Quality["webp"], AVIF: h.Quality["avif"]},
		Encoding:  h.encoding(),
		Matter:    mt,
	})
	transform.ConfigureVips(transform.VipsSettings{CacheMemory: h.VipsCacheMemory, Concurrency: h.VipsConcurrency})
	if h.FreeMemoryInterval > 0 {
		h.stopFree = make(chan struct{})
		go releaseFreeMemory(time.Duration(h.FreeMemoryInterval), h.stopFree)
	}
	if err := h.APIs.provision(h); err != nil {
		return err
	}
	return nil
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	if h.MaxSourceBytes < 0 || h.MaxSourceMegapixels < 0 || h.MaxOutputDimension < 0 || h.MaxFrames < 0 || h.Workers < 0 {
		return errors.New("matte: limits and workers must not be negative")
	}
	if h.VipsCacheMemory < 0 || h.VipsConcurrency < 0 || h.FreeMemoryInterval < 0 {
		return errors.New("matte: vips_cache_memory, vips_concurrency and free_memory_interval must not be negative")
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
	for name, v := range map[string]*int{"png_compression": h.PNGCompression, "avif_effort": h.AVIFEffort} {
		if v != nil && (*v < 0 || *v > 9) {
			return fmt.Errorf("matte: %s %d: want 0-9", name, *v)
		}
	}
	return nil
}

// releaseFreeMemory trims the C heap every interval until stop is closed.
func releaseFreeMemory(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			transform.ReleaseFreeMemory()
		}
	}
}

// encoding is the pipeline's encoder settings: the defaults, overridden by
// what the config sets.
func (h *Handler) encoding() *transform.Encoding {
	e := transform.DefaultEncoding
	if h.PNGCompression != nil {
		e.PNGCompression = *h.PNGCompression
	}
	if h.AVIFEffort != nil {
		e.AVIFEffort = *h.AVIFEffort
	}
	return &e
}

// Cleanup releases this config's hold on the shared cache.
func (h *Handler) Cleanup() error {
	if h.stopFree != nil {
		close(h.stopFree)
	}
	if h.cacheKey != "" {
		releaseCache(h.cacheKey)
	}
	if h.rembgKey != "" {
		_, _ = engines.Delete(h.rembgKey)
	}
	h.guard.cleanup()
	h.APIs.cleanup()
	return nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if handled, err := h.APIs.serve(h, w, r); handled {
		return err
	}
	rawQuery, err := h.checkSignature(r)
	if err != nil {
		return h.writeError(w, r, err)
	}
	po, err := imgix.ParseQuery(matteQuery(rawQuery))
	if err != nil {
		return h.writeError(w, r, err)
	}
	if po.IsZero() {
		if h.guard.origin == nil {
			return next.ServeHTTP(w, r)
		}
		return h.passOrigin(w, r, rawQuery)
	}
	if po.Removal.BgImage != "" {
		if r, err = h.withBackgroundImage(r, &po); err != nil {
			return h.writeError(w, r, err)
		}
	}
	or := originRequest(r, rawQuery)
	srcID := sourceID(r, or.URL.RequestURI())
	now := time.Now()

	// A fresh memo of the source answers from the result cache with no
	// origin request; a stale one is revalidated with a conditional request.
	memo, haveMemo := h.lookupMemo(srcID)
	if haveMemo && memo.fresh(now) && h.serveCached(w, r, po, memo) {
		return nil
	}
	if h.queueFull() {
		return h.writeError(w, r, overloaded(h.guard.admit.RetryAfter()))
	}
	fetched := h.startFetch()
	defer fetched()
	var rec *sourceRecorder
	if haveMemo && (memo.ETag != "" || memo.LastModified != "") {
		// Revalidate only when this variant's result is at hand, and serve
		// that entry on a 304: the next handler is called at most once per
		// request (Caddy runs a `handle` group once per request, so a second
		// call writes nothing).
		key := h.variantKey(r, po, memo)
		if e, tier, ok := h.cache.Get(nsResult, key); ok {
			cond := or.Clone(or.Context())
			if memo.ETag != "" {
				cond.Header.Set("If-None-Match", memo.ETag)
			}
			if memo.LastModified != "" {
				cond.Header.Set("If-Modified-Since", memo.LastModified)
			}
			rec = newSourceRecorder(w, h.MaxSourceBytes)
			rec.conditional = true
			if done, err := h.fetch(w, r, next, rec, cond); done {
				return err
			}
			if rec.notModified {
				// Store the memo again only when the 304 grants freshness:
				// the rest of it is unchanged, and with none (source_ttl 0, no
				// Cache-Control) a store per hit would be a disk write per hit.
				if memo.FreshUntil = now.Add(freshness(rec.header, now, time.Duration(h.SourceTTL))); memo.FreshUntil.After(now) {
					h.storeMemo(srcID, memo)
				}
				if !h.writeNotModified(w, r, po, key) {
					h.writeResult(w, r, po, key, e, tier)
				}
				return nil
			}
		}
	}
	if rec == nil {
		rec = newSourceRecorder(w, h.MaxSourceBytes)
		if done, err := h.fetch(w, r, next, rec, or); done {
			return err
		}
	}

	src := rec.buf.Bytes()
	info, err := h.pipeline.Probe(src)
	if err != nil {
		return h.writeError(w, r, err)
	}
	sum := sha256.Sum256(src)
	fetched()
	newMemo := sourceMemo{Hash: hex.EncodeToString(sum[:]), Info: info, ETag: rec.header.Get("ETag"), LastModified: rec.header.Get("Last-Modified"),
		FreshUntil: now.Add(freshness(rec.header, now, time.Duration(h.SourceTTL)))}
	// The same source fetched again (its result was evicted, or it never
	// had one: it fails to decode) leaves the memo as it was, unless the
	// response grants freshness: no write per request.
	if !haveMemo || !newMemo.sameSource(memo) || newMemo.FreshUntil.After(now) {
		h.storeMemo(srcID, newMemo)
	}
	memo = newMemo
	return h.serveResult(w, r, po, memo, srcID, src)
}

// fetch runs the next handler into rec. done means the response is already
// settled (passed through, or an error written), with err for Caddy.
func (h *Handler) fetch(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, rec *sourceRecorder, or *http.Request) (done bool, err error) {
	var nextErr error
	var aborted bool
	if h.guard.origin != nil {
		if err := h.fetchOrigin(r, or, rec, or.Header.Get("If-None-Match"), or.Header.Get("If-Modified-Since")); err != nil {
			return true, h.writeError(w, r, err)
		}
	} else {
		nextErr, aborted = serveNext(next, rec, or)
	}
	switch {
	case rec.overflow:
		return true, h.writeError(w, r, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge,
			Title: "Source too large", Detail: fmt.Sprintf("The source image is larger than %d bytes.", h.MaxSourceBytes)})
	case aborted && (rec.buffered() || rec.notModified):
		return true, h.writeError(w, r, &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream,
			Title: "Bad gateway", Detail: "The origin sent an incomplete image."})
	case aborted:
		panic(http.ErrAbortHandler)
	case nextErr != nil:
		return true, nextErr
	case rec.notModified || rec.buffered():
		return false, nil
	}
	// Passed through: not a 200 image (or nothing was written at all).
	return true, nil
}

func (h *Handler) lookupMemo(srcID string) (sourceMemo, bool) {
	e, _, ok := h.cache.Get(nsSource, hashKey(srcID))
	if !ok {
		return sourceMemo{}, false
	}
	return memoFromEntry(e)
}

func (h *Handler) storeMemo(srcID string, m sourceMemo) {
	e := m.entry()
	e.Tag = sourceTag(srcID)
	h.cache.Set(nsSource, hashKey(srcID), e)
}

// variantKey is the result key of params over the memo's source, in the
// format r negotiates.
func (h *Handler) variantKey(r *http.Request, po params.Params, memo sourceMemo) string {
	format := transform.NegotiateFormat(po, r.Header.Get("Accept"), memo.Info)
	return resultKey(memo.Hash, po, format, h.pipeline.Fingerprint())
}

// serveCached answers from the result cache; false means a miss and
// nothing was written.
func (h *Handler) serveCached(w http.ResponseWriter, r *http.Request, po params.Params, memo sourceMemo) bool {
	key := h.variantKey(r, po, memo)
	if h.writeNotModified(w, r, po, key) {
		return true
	}
	e, tier, ok := h.cache.Get(nsResult, key)
	if !ok {
		return false
	}
	h.writeResult(w, r, po, key, e, tier)
	return true
}

// serveResult transforms src (coalesced per result key) and writes it.
func (h *Handler) serveResult(w http.ResponseWriter, r *http.Request, po params.Params, memo sourceMemo, srcID string, src []byte) error {
	format := transform.NegotiateFormat(po, r.Header.Get("Accept"), memo.Info)
	key := resultKey(memo.Hash, po, format, h.pipeline.Fingerprint())
	if h.writeNotModified(w, r, po, key) {
		return nil
	}
	e, tier, err := h.render(r.Context(), key, sourceTag(srcID), src, memo, po, format)
	if err != nil {
		return h.writeError(w, r, err)
	}
	h.writeResult(w, r, po, key, e, tier)
	return nil
}

// render returns the result of params over src from the caches, or runs
// the transform once for all concurrent callers of the same key and stores
// it. The run is detached from ctx: coalesced waiters keep it alive when
// this caller goes away, and the handler's timeout bounds it. tier is
// TierNone when this call ran or waited for the transform.
func (h *Handler) render(ctx context.Context, key, tag string, src []byte, memo sourceMemo, po params.Params, format params.Format) (cache.Entry, cache.Tier, error) {
	e, out, err := h.cache.Do(ctx, nsResult, key, func(ctx context.Context) (cache.Entry, bool, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(h.Timeout))
		defer cancel()
		release, err := h.admit(ctx, memo.Info)
		if err != nil {
			return cache.Entry{}, false, err
		}
		defer release()
		select {
		case h.slots <- struct{}{}:
		case <-ctx.Done():
			return cache.Entry{}, false, ctx.Err()
		}
		defer func() { <-h.slots }()
		start := time.Now()
		info := memo.Info
		info.Hash = memo.Hash
		res, err := h.pipeline.Process(ctx, &transform.Request{Source: src, Info: info, Params: po, Extras: extrasFrom(ctx), Format: format})
		h.metrics.observeTransform(time.Since(start), err)
		if err != nil {
			return cache.Entry{}, false, err
		}
		meta := map[string]string{"w": strconv.Itoa(res.Width), "h": strconv.Itoa(res.Height)}
		if po.Removal.Enabled {
			fg := res.Foreground
			meta["model"] = res.Model
			meta["fg"] = fmt.Sprintf("%d,%d,%d,%d", fg.Left, fg.Top, fg.Width, fg.Height)
		}
		return cache.Entry{Value: res.Body, ContentType: res.Format.ContentType(), Created: time.Now(), Tag: tag, Meta: meta}, true, nil
	})
	if err != nil {
		return cache.Entry{}, cache.TierNone, err
	}
	tier := cache.TierNone
	if !out.Executed && !out.Coalesced {
		tier = out.Tier
	}
	return e, tier, nil
}

// setResultHeaders sets the validators and caching headers every transformed
// response carries, 304s included.
func (h *Handler) setResultHeaders(w http.ResponseWriter, po params.Params, key string) {
	hdr := w.Header()
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Range", "Accept-Ranges", "Etag", "Last-Modified", "Expires", "Cache-Control"} {
		hdr.Del(k)
	}
	hdr.Set("ETag", etagFor(key))
	hdr.Set("Cache-Control", h.CacheControl)
	if po.AutoFormat {
		hdr.Add("Vary", "Accept")
	}
}

func (h *Handler) writeNotModified(w http.ResponseWriter, r *http.Request, po params.Params, key string) bool {
	if !etagMatches(r.Header.Get("If-None-Match"), etagFor(key)) {
		return false
	}
	h.setResultHeaders(w, po, key)
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusNotModified)
	return true
}

func (h *Handler) writeResult(w http.ResponseWriter, r *http.Request, po params.Params, key string, e cache.Entry, tier cache.Tier) {
	h.setResultHeaders(w, po, key)
	hdr := w.Header()
	hdr.Set("Content-Type", e.ContentType)
	hdr.Set("Content-Length", strconv.Itoa(len(e.Value)))
	hdr.Set("X-Cache", tier.CacheStatus())
	if m := e.Meta["model"]; m != "" {
		hdr.Set("X-Matte-Model", m)
	}
	if fg := strings.Split(e.Meta["fg"], ","); len(fg) == 4 {
		for i, name := range []string{"X-Foreground-Left", "X-Foreground-Top", "X-Foreground-Width", "X-Foreground-Height"} {
			hdr.Set(name, fg[i])
		}
	}
	if tier != cache.TierNone {
		hdr.Set("Age", strconv.Itoa(int(e.Age(time.Now()).Seconds())))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(e.Value)
	}
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

// originRequest is r as the origin should see it: rawQuery (the request's
// query after signature checks) without Matte's parameters, and without
// ranges or validators (Matte needs the whole, current body), asking for an
// unencoded body.
func originRequest(r *http.Request, rawQuery string) *http.Request {
	or := r.Clone(r.Context())
	or.URL.RawQuery = stripParams(rawQuery)
	or.RequestURI = or.URL.RequestURI()
	for _, k := range []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
		or.Header.Del(k)
	}
	or.Header.Set("Accept-Encoding", "identity")
	return or
}

// matteQuery extracts Matte's parameters from a raw query. Unlike
// url.ParseQuery it keeps a value whose escape is invalid as written, so a
// hand-typed `scale=50%` means 50% instead of being dropped silently.
func matteQuery(raw string) url.Values {
	q := url.Values{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		n, err := url.QueryUnescape(name)
		if err != nil || !imgix.IsParam(n) {
			continue
		}
		if v, err := url.QueryUnescape(value); err == nil {
			value = v
		}
		q[n] = append(q[n], value)
	}
	return q
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
		if n, err := url.QueryUnescape(name); err == nil && imgix.IsParam(n) {
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&")
}

// etagMatches implements If-None-Match's weak comparison.
func etagMatches(header, etag string) bool {
	if header == "" {
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
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away: nothing to answer, nothing to alarm anyone.
		h.logger.Debug("client closed the request", zap.String("uri", r.RequestURI))
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = &params.Error{Status: http.StatusServiceUnavailable, Code: params.CodeTimeout, Title: "Timeout",
			Detail: "The image took too long to process.", Cause: err}
	}
	list := params.AsErrors(err)
	status := list.Status()
	body := errorBody{Errors: make([]errorItem, len(list))}
	for i, e := range list {
		body.Errors[i] = errorItem{Code: e.Code, Title: e.Title, Detail: e.Detail, Field: e.Field}
	}
	switch {
	case status == http.StatusServiceUnavailable:
		// Overload and timeouts are the server protecting itself, counted
		// by the metrics: a warning, not an error.
		h.logger.Warn("transform refused", zap.String("uri", r.RequestURI), zap.Error(err))
	case status >= 500:
		h.logger.Error("transform failed", zap.String("uri", r.RequestURI), zap.Error(err))
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

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
