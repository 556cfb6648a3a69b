// Package caddymodule is Matte's thin Caddy layer: the http.handlers.matte
// middleware that transforms the images its next handler serves.
package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/playground"
	"github.com/jebosio/matte/signature"
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
	DefaultMaxFrames           = 1000
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
	// MaxFrames bounds the pages of an animated or multi-page source,
	// read from its header (default 1000; imgix takes fewer than 900). The
	// pixels an animation decodes are bounded apart, by
	// MaxSourceMegapixels, so a long animation over it is answered with
	// one frame rather than refused.
	MaxFrames int `json:"max_frames,omitempty"`
	// MaxWorkingMegapixels bounds the pixels one pipeline step may render
	// to memory at once, and the encoded output; over it a request is a 400
	// output_too_large. 0: the largest of 151 MP ((1.5 x 8192)²),
	// max_source_megapixels and (1.5 x max_output_dimension)².
	MaxWorkingMegapixels float64 `json:"max_working_megapixels,omitempty"`
	// MaxBlurSigma is the widest Gaussian blur run at full resolution
	// (default 10); wider blurs run on a reduced copy, so every blur costs
	// about the same per pixel.
	MaxBlurSigma float64 `json:"max_blur_sigma,omitempty"`
	// Quality holds the default quality per format: "jpeg", "webp", "avif".
	Quality map[string]int `json:"quality,omitempty"`
	// PNGCompression is the zlib level of PNG outputs, 0-9 (default 4).
	PNGCompression *int `json:"png_compression,omitempty"`
	// PNGFilter is the row filter of truecolour and grey PNG outputs:
	// none, sub, up (the default), avg, paeth, or adaptive (libpng's choice
	// per row: the smallest files, at 1.5-2.5x the encode time).
	PNGFilter string `json:"png_filter,omitempty"`
	// AVIFEffort is the AV1 encoder's effort, 0 (fastest) to 9 (default 2).
	AVIFEffort *int `json:"avif_effort,omitempty"`
	// GIFEffort is the palette search effort of GIF outputs, 1 (fastest)
	// to 10 (default 4).
	GIFEffort *int `json:"gif_effort,omitempty"`
	// AVIFChroma is the AVIF chroma subsampling: "420" (the default: 4:2:0
	// below quality 90, 4:4:4 from it) or "444" (always full chroma, as
	// sharp's default).
	AVIFChroma string `json:"avif_chroma,omitempty"`
	// CacheControl is sent with every transformed image.
	CacheControl string `json:"cache_control,omitempty"`
	// FallbackImage is answered, transformed as the request asks, in place
	// of a source whose origin answers 404 or 410 (fallback.go): a path on
	// this site or an http(s) URL on a host the origin block's allow_hosts
	// lists. A URL's own (ImageKit's di-, imgproxy's fiu) replaces it. "":
	// none, the 404 passes through.
	FallbackImage string `json:"fallback_image,omitempty"`
	// FallbackStatus is the status of a fallback answer: 200 (the default,
	// as imgproxy's) or 400-599.
	FallbackStatus int `json:"fallback_status,omitempty"`
	// FallbackTTL is the max-age of a fallback answer that a shared cache
	// may store (default DefaultFallbackTTL; 0: no-cache).
	FallbackTTL *caddy.Duration `json:"fallback_ttl,omitempty"`
	// ServerTiming adds a Server-Timing header with the stage timings and
	// the cache outcome to every transformed image (timing.go).
	ServerTiming bool `json:"server_timing,omitempty"`
	// Workers bounds concurrent libvips pipelines (default: DefaultWorkers).
	Workers int `json:"workers,omitempty"`
	// Timeout is the deadline for one transform (default 30s).
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// SourceTTL is the least time a source is reused without asking the
	// origin again, whatever the origin's Cache-Control says (default 0).
	SourceTTL caddy.Duration `json:"source_ttl,omitempty"`
	// SourceHeuristicTTL caps the heuristic freshness of a source whose
	// origin sends Last-Modified and no freshness of its own (file_server):
	// a tenth of its age, at most this (default DefaultSourceHeuristicTTL;
	// 0: ask the origin on every use, which for file_server is a stat).
	SourceHeuristicTTL *caddy.Duration `json:"source_heuristic_ttl,omitempty"`
	// CacheOff disables the result, source and mask caches.
	CacheOff bool `json:"cache_off,omitempty"`
	// CacheMemory is the memory tier's size in bytes (default 256 MiB).
	CacheMemory int64 `json:"cache_memory,omitempty"`
	// CacheDisk is the disk tier's folder; empty means no disk tier.
	CacheDisk string `json:"cache_disk,omitempty"`
	// CacheDiskSize is the disk tier's size in bytes (default 1 GiB).
	CacheDiskSize int64 `json:"cache_disk_size,omitempty"`
	// CacheShared is the tier shared by a cluster of nodes (shared.go); nil
	// means none.
	CacheShared *SharedCache `json:"cache_shared,omitempty"`
	// Rembg configures background removal (rembg=1).
	Rembg Removal `json:"rembg,omitempty"`
	// Faces configures face detection (crop=faces, fit=facearea).
	Faces Faces `json:"faces,omitempty"`
	// APIs serves the hosted background-removal API dialects (api.go).
	APIs APIConfig `json:"apis,omitempty"`
	// Signature configures signed URLs; nil means none are checked.
	Signature *Signature `json:"signature,omitempty"`
	// Origin fetches sources from a remote origin instead of the next
	// handler, and sets the rules for every remote fetch.
	Origin *Origin `json:"origin,omitempty"`
	// URLDialects are the CDN URL forms (Cloudflare, imgproxy, ...) this
	// handler reads, tried in order before the imgix query (urldialect.go).
	URLDialects []URLDialectConfig `json:"url_dialects,omitempty"`
	// QueueMegapixels bounds the megapixels of transforms waiting for a
	// worker (default 4 x workers x 25); past it, 503 with Retry-After.
	QueueMegapixels int `json:"queue_megapixels,omitempty"`
	// MaxBufferedBytes bounds the bytes of sources, hosted-API bodies and
	// layer images this handler's requests hold in memory at once, from
	// their first byte read to the end of the request (default 2 x workers
	// x max_source_bytes: a source for each pipeline and one waiting; RSS
	// can rise by up to two and a half times it, as Go frees a finished
	// request's buffers at its next collection). The transform queue counts megapixels and is
	// known only once a source is read: without this, many small images
	// padded to max_source_bytes would each hold that much. Past it, 503
	// with Retry-After, before more is read. At least MaxSourceBytes.
	MaxBufferedBytes int64 `json:"max_buffered_bytes,omitempty"`
	// VipsCacheMemory bounds libvips' operation cache in bytes (default 0:
	// off). VipsConcurrency is libvips' threads per operation (default 1).
	// FreeMemoryInterval, when set, periodically hands memory that libvips
	// and its codecs freed back to the kernel (malloc_trim). All three are
	// process-wide (the matte app applies them): the handlers of one config
	// that set one, its default written out included, must set the same
	// value, or the config is refused; nil leaves it to the others.
	VipsCacheMemory    *int64          `json:"vips_cache_memory,omitempty"`
	VipsConcurrency    *int            `json:"vips_concurrency,omitempty"`
	FreeMemoryInterval *caddy.Duration `json:"free_memory_interval,omitempty"`
	// Playground serves the browser playground; nil (the default) is off.
	Playground *Playground `json:"playground,omitempty"`

	app      *App
	pipeline *transform.Pipeline
	slots    chan struct{}
	cache    *cache.Cache // nil when off: every lookup misses
	matter   *matter      // nil when background removal is off or unavailable
	metrics  *metrics
	guard    guard
	revals   *callGroup[http.Header]    // concurrent revalidations of one memo (revalidate.go)
	fetches  *callGroup[*fetchedSource] // concurrent fetches of one source (source.go)
	dialects []urlDialect
	logger   *zap.Logger
	failures *failureLogs       // samples logger's failure lines (respond.go)
	play     *playground.Server // nil: no playground
}

// guard is the per-handler state of the request-gating features.
type guard struct {
	policy *signature.Policy // nil: no signature checks
	admit  *admission.Pool
	load   *fetchLoad
	// buffered bounds the bytes requests hold (MaxBufferedBytes).
	buffered *admission.Budget
	fetcher  *fetch.Fetcher // URLs clients name (provisionFetcher)
	origin   *url.URL       // nil: sources come from the next handler
	// originFetcher fetches origin's URLs alone; nil without origin.
	originFetcher *fetch.Fetcher
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.matte",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision fills in defaults, takes the shared state from the matte app
// and builds the pipeline.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.failures = new(failureLogs)
	// Caddy validates after provisioning, and Provision sizes channels and
	// pools from these: a negative one from JSON would panic here first.
	if err := h.checkSigns(); err != nil {
		return err
	}
	var err error
	if h.app, err = appFrom(ctx); err != nil {
		return err
	}
	h.fillDefaults()
	if body := h.APIs.largestBody(h.MaxSourceBytes); h.MaxBufferedBytes < body {
		// Not refused: such a config loaded before the default covered
		// API bodies, and only the largest uploads are affected.
		h.logger.Warn("max_buffered_bytes is below the largest hosted-API request body (a max-size image as base64, a background image, 1 MiB of fields): uploads that large are refused with 503 even on an idle server",
			zap.Int64("max_buffered_bytes", h.MaxBufferedBytes), zap.Int64("largest_body", body))
	}
	process := processSettings{VipsCacheMemory: h.VipsCacheMemory, VipsConcurrency: h.VipsConcurrency}
	if h.FreeMemoryInterval != nil {
		every := time.Duration(*h.FreeMemoryInterval)
		process.FreeMemoryInterval = &every
	}
	if err := h.app.UseProcessSettings(process); err != nil {
		return err
	}
	h.slots = make(chan struct{}, h.Workers)
	h.revals, h.fetches = new(callGroup[http.Header]), new(callGroup[*fetchedSource])
	if s := h.Signature; s != nil {
		if h.guard.policy, err = s.policy(); err != nil {
			return err
		}
	}
	if err := h.provisionQueue(); err != nil {
		return err
	}
	if err := h.provisionFetcher(); err != nil {
		return err
	}
	if err := h.provisionURLDialects(); err != nil {
		return err
	}
	if !h.CacheOff {
		if h.cache, err = h.app.Cache(cache.Options{MemoryMaxBytes: h.CacheMemory, DiskPath: h.CacheDisk, DiskMaxBytes: h.CacheDiskSize}, h.CacheShared); err != nil {
			return fmt.Errorf("matte: cache: %w", err)
		}
	}
	if h.metrics, err = h.app.Metrics(); err != nil {
		return err
	}
	var mt transform.Matter
	if !h.Rembg.Off {
		// Refused before anything loads: Caddy validates after
		// provisioning, and preload would load the models first.
		if err := h.Rembg.validate(); err != nil {
			return err
		}
		h.Rembg.fillDefaults()
		models, err := h.app.Engines(&h.Rembg)
		switch {
		case err != nil && (h.Rembg.Preload || h.Rembg.strictGPU()):
			// strict: a GPU provider that cannot be used is a startup
			// error (README), not a server answering 501.
			return fmt.Errorf("matte: background removal: %w", err)
		case err != nil:
			h.logger.Warn("background removal unavailable (rembg=1 answers 501); run `make runtime`, or set `rembg off`", zap.Error(err))
		default:
			h.matter = &matter{m: models, cache: h.cache, metrics: h.metrics}
			mt = h.matter
		}
	}
	var ff transform.FaceFinder
	if !h.Faces.Off {
		h.Faces.fillDefaults()
		lib := h.Rembg.Runtime
		if lib == "" {
			lib = defaultRuntimeLibrary()
		}
		d, err := h.app.FaceDetector(&h.Faces, lib)
		if err != nil {
			h.logger.Warn(facesUnavailable+"; run `make runtime`, or set `faces off`", zap.Error(err))
		} else {
			var once sync.Once
			ff = faceFinder{d: d, cache: h.cache, metrics: h.metrics, unavailable: func(err error) {
				once.Do(func() {
					h.logger.Warn(facesUnavailable, zap.Error(err))
				})
			}}
		}
	}
	h.pipeline = transform.NewPipeline(transform.Options{
		Limits: transform.Limits{
			MaxSourceBytes:     h.MaxSourceBytes,
			MaxSourcePixels:    int64(h.MaxSourceMegapixels * 1e6),
			MaxOutputDimension: h.MaxOutputDimension,
			MaxFrames:          h.MaxFrames,
			MaxWorkingPixels:   int64(h.MaxWorkingMegapixels * 1e6),
			MaxBlurSigma:       h.MaxBlurSigma,
		},
		Qualities: transform.Qualities{JPEG: h.Quality["jpeg"], WebP: h.Quality["webp"], AVIF: h.Quality["avif"]},
		Encoding:  h.encoding(),
		Matter:    mt,
		Faces:     ff,
	})
	if err := h.APIs.provision(h); err != nil {
		return err
	}
	return h.provisionPlayground()
}

// fillDefaults sets the defaults of the unset limits.
func (h *Handler) fillDefaults() {
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
	if h.FallbackStatus == 0 {
		h.FallbackStatus = http.StatusOK
	}
	if h.Workers == 0 {
		h.Workers = DefaultWorkers(runtime.NumCPU())
	}
	if h.Timeout == 0 {
		h.Timeout = caddy.Duration(DefaultTimeout)
	}
	if h.QueueMegapixels == 0 {
		h.QueueMegapixels = 4 * h.Workers * 25
	}
	if h.MaxBufferedBytes == 0 {
		h.MaxBufferedBytes = max(2*int64(h.Workers)*h.MaxSourceBytes, h.APIs.largestBody(h.MaxSourceBytes))
	}
}

// DefaultWorkers is the default pipeline count on cpus cores: one more
// than the cores per eight of them (at least one), so that a core is not left
// idle while a pipeline is outside libvips: fetching and hashing its source,
// handing its answer to the client, waiting for a libvips worker thread.
// With libvips at one thread per operation, 3 on 2 cores served scenarios c
// and e400 about 10% faster at concurrency 8 than 2, at 4-9% more peak RSS;
// 4 gained nothing more (bench/CHECKS.md).
func DefaultWorkers(cpus int) int {
	cpus = max(cpus, 1)
	return cpus + (cpus+7)/8
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	if err := h.checkSigns(); err != nil {
		return err
	}
	if h.MaxBufferedBytes > 0 && h.MaxBufferedBytes < h.MaxSourceBytes {
		// A source the limits allow would be refused with a 503 on an idle
		// server, for ever.
		return fmt.Errorf("matte: max_buffered_bytes (%d) must be at least max_source_bytes (%d)", h.MaxBufferedBytes, h.MaxSourceBytes)
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
	if err := h.Faces.validate(); err != nil {
		return err
	}
	if err := h.Rembg.validate(); err != nil {
		return err
	}
	if h.AVIFChroma != "" && h.AVIFChroma != "420" && h.AVIFChroma != "444" {
		return fmt.Errorf("matte: avif_chroma %q: want 420 or 444", h.AVIFChroma)
	}
	if f := transform.PNGFilter(h.PNGFilter); f != "" && !f.Valid() {
		return fmt.Errorf("matte: png_filter %q: want none, sub, up, avg, paeth or adaptive", h.PNGFilter)
	}
	for name, v := range map[string]*int{"png_compression": h.PNGCompression, "avif_effort": h.AVIFEffort} {
		if v != nil && (*v < 0 || *v > 9) {
			return fmt.Errorf("matte: %s %d: want 0-9", name, *v)
		}
	}
	if v := h.GIFEffort; v != nil && (*v < 1 || *v > 10) {
		return fmt.Errorf("matte: gif_effort %d: want 1-10", *v)
	}
	return h.validateFallback()
}

// checkSigns refuses the negative sizes, counts and durations that the
// Caddyfile cannot express but JSON can.
func (h *Handler) checkSigns() error {
	if h.MaxSourceBytes < 0 || h.MaxSourceMegapixels < 0 || h.MaxOutputDimension < 0 || h.MaxFrames < 0 || h.Workers < 0 ||
		h.MaxWorkingMegapixels < 0 || h.MaxBlurSigma < 0 || h.MaxBufferedBytes < 0 || h.QueueMegapixels < 0 {
		return errors.New("matte: limits, workers and queue_megapixels must not be negative")
	}
	if deref(h.VipsCacheMemory) < 0 || deref(h.VipsConcurrency) < 0 || deref(h.FreeMemoryInterval) < 0 {
		return errors.New("matte: vips_cache_memory, vips_concurrency and free_memory_interval must not be negative")
	}
	if h.Timeout < 0 || h.SourceTTL < 0 || h.SourceHeuristicTTL != nil && *h.SourceHeuristicTTL < 0 {
		return errors.New("matte: timeout, source_ttl and source_heuristic_ttl must not be negative")
	}
	return nil
}

// validateFallback checks fallback_image, fallback_status and fallback_ttl.
func (h *Handler) validateFallback() error {
	if s := h.FallbackStatus; s != 0 && s != http.StatusOK && (s < 400 || s > 599) {
		return fmt.Errorf("matte: fallback_status %d: want 200 or 400-599", s)
	}
	if v := h.FallbackTTL; v != nil && *v < 0 {
		return errors.New("matte: fallback_ttl must not be negative")
	}
	switch ref := h.FallbackImage; {
	case ref == "":
	case params.CheckImageRef(ref) != nil:
		return fmt.Errorf("matte: fallback_image %q: want an absolute path on this site (without . or .. segments) or an http(s) URL", ref)
	case isRemoteRef(ref) && h.allowRemote() != nil:
		return fmt.Errorf("matte: fallback_image %q: a URL is fetched only from the hosts the origin block's allow_hosts lists; list its host, or give a path on this site", ref)
	}
	return nil
}

// encoding is the pipeline's encoder settings: the defaults, overridden by
// what the config sets.
func (h *Handler) encoding() *transform.Encoding {
	e := transform.DefaultEncoding
	if h.PNGCompression != nil {
		e.PNGCompression = *h.PNGCompression
	}
	if h.PNGFilter != "" {
		e.PNGFilter = transform.PNGFilter(h.PNGFilter)
	}
	if h.AVIFEffort != nil {
		e.AVIFEffort = *h.AVIFEffort
	}
	if h.GIFEffort != nil {
		e.GIFEffort = *h.GIFEffort
	}
	e.AVIFFullChroma = h.AVIFChroma == "444"
	return &e
}

// Cleanup closes the handler's fetcher and the APIs' state; the matte app
// releases the shared caches and engines.
func (h *Handler) Cleanup() error {
	for _, f := range []*fetch.Fetcher{h.guard.fetcher, h.guard.originFetcher} {
		if f != nil {
			f.Close()
		}
	}
	h.APIs.cleanup()
	return nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	handled, next, err := h.servePlayground(w, r, next)
	if handled {
		return err
	}
	if isSubrequest(r) {
		if isLayerSubrequest(r) && r.Method == http.MethodGet && len(matteQuery(r.URL.RawQuery)) > 0 {
			return h.serveLayer(w, r, next)
		}
		// A bg-image subrequest: the image as the site serves it.
		if h.fromOrigin(r.URL.Path) {
			return h.passOrigin(w, r, r.URL.RawQuery)
		}
		return next.ServeHTTP(newSendfileWriter(w), r)
	}
	if handled, err := h.APIs.serve(h, w, r); handled {
		return err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return h.passMethod(w, r, next)
	}
	rawQuery, expires, err := h.checkSignature(r)
	if err != nil {
		return h.writeError(w, r, err)
	}
	if len(h.dialects) > 0 {
		if handled, err := h.serveURLDialect(w, r, rawQuery, expires, next); handled {
			return err
		}
	}
	mq := matteQuery(rawQuery)
	opts, err := imgix.ParseQuery(mq)
	if err != nil {
		return h.writeError(w, r, err)
	}
	// Only a URL that names no Matte parameter is the source as it is: one
	// whose every parameter is at its default (cs=strip, dpr=1, fit=clip)
	// still asked for Matte's answer, metadata stripped and sRGB.
	asIs := len(mq) == 0
	if plain := opts; plain.Download && len(mq) == 1 && len(mq["dl"]) == 1 {
		// dl alone downloads the source as it is (no re-encoding).
		plain.Download, plain.DownloadName = false, ""
		if plain.IsZero() {
			w.Header().Set("Content-Disposition", attachment(opts.DownloadName, r.URL.Path, ""))
			opts, asIs = plain, true
		}
	}
	if asIs {
		// The source as it is; an expiring URL still may not be kept
		// past its end.
		w = untilExpiry(w, expires)
		if !h.fromOrigin(r.URL.Path) {
			return next.ServeHTTP(newSendfileWriter(w), withQuery(r, rawQuery))
		}
		return h.passOrigin(w, r, rawQuery)
	}
	imgix.ApplyClientHints(&opts, r.Header)
	req := &imageRequest{Params: opts, Dialect: "imgix", expires: expires, w: w, r: r}
	req.fromSite(originRequest(r, rawQuery))
	if h.Signature == nil || !h.Signature.Required {
		// A URL without its signature is still served: a redirect of the
		// source keeps the transform (sourceRecorder.keepTransform).
		req.keepQuery = rawQuery
	}
	return h.serveImage(req, next)
}

// withQuery is r with rawQuery in place of its own: the query a signature
// check leaves (s and expires removed, presets expanded), which the next
// handler sees, as the transform's source request and passOrigin do. r
// itself when they are the same.
func withQuery(r *http.Request, rawQuery string) *http.Request {
	if rawQuery == r.URL.RawQuery {
		return r
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = rawQuery
	r2.RequestURI = r2.URL.RequestURI()
	return r2
}

// passMethod answers a request of another method than GET or HEAD, which
// is never transformed, whatever its query or path says: a POST to an
// application behind reverse_proxy is the application's, and a source
// fetched with another method (and a body) must not become the memo that
// GETs of that URL are answered from. The next handler gets it untouched;
// the origin URL, fetched with GET only, refuses it (405).
func (h *Handler) passMethod(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !h.fromOrigin(r.URL.Path) {
		return next.ServeHTTP(w, r)
	}
	w.Header().Set("Allow", "GET, HEAD")
	return h.writeError(w, r, &params.Error{Status: http.StatusMethodNotAllowed, Code: params.CodeMethodNotAllowed, Title: "Method not allowed",
		Detail: "Images are served to GET and HEAD requests only."})
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
	_, others := splitParams(raw)
	return others
}

// splitParams splits a raw query into Matte's parameters and the others,
// each byte for byte and in order.
func splitParams(raw string) (matte, others string) {
	if raw == "" {
		return "", ""
	}
	var mine, kept []string
	for _, part := range strings.Split(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && imgix.IsParam(n) {
			mine = append(mine, part)
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(mine, "&"), strings.Join(kept, "&")
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
