package caddymodule

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// imageRequest is one image request on its way through the handler: what
// was asked, what is known of the source, which result answers it and how
// that result may be shared. The query dialect fills it step by step in
// ServeHTTP; the hosted APIs fill the render fields (Params to Private)
// themselves and call render. It is used by one goroutine at a time.
type imageRequest struct {
	Params params.Params
	// Extras are the hosted APIs' options and the bg-image bytes.
	Extras params.Extras
	// Memo is what is known of the source: Hash and Info always, the
	// origin's validators, freshness and Vary when it came from an origin.
	Memo sourceMemo
	// Format is the output format, negotiated against the source.
	Format params.Format
	// Frames is how many frames the answer plays (0: a still), and
	// FramesDecoded how many of the source's it decodes
	// (Pipeline.AnimatedFrames).
	Frames, FramesDecoded int
	// Key is the result's cache key (its ETag); Tag its purge tag.
	Key, Tag string
	// Private: a shared cache may not store the source or the background
	// image (shareability), so nothing derived from them is stored either,
	// and the response is marked private. NoStore: an origin said no-store.
	Private, NoStore bool
	// Dialect is the URL form the request came in: "imgix", "cloudflare",
	// "imgproxy", ..., or the hosted API's name ("removebg").
	Dialect string

	// hold is the request's share of max_buffered_bytes (bytesHold, made
	// at its first read: a hit has none): its source and layer images.
	// sharedHold, when set, is another request's, whose source this one
	// uses (sharedFetch). Both are released when serveImage returns, and
	// retained by the transform this request starts (render) until it
	// ends, which may be later. A hosted API's request sets hold to its
	// call's (renderAPI), which the call releases.
	hold, sharedHold *admission.Hold
	// convert, when set, turns the source into one the pipeline loads (a
	// hosted API's BMP upload: apiInputs.convert). The transform runs it
	// under the job's queue slot and worker, then probes its output for the
	// pipeline; Memo.Info until then holds only the size.
	convert func([]byte) ([]byte, error)
	// encoding, when set, re-encodes the pipeline's output into a format
	// libvips does not write (a hosted API's Plan.Encoding: rembg.com's
	// BMP). The transform runs it on the job's queue slot and worker
	// (encodeResult), the entry stores what it made, and the key names it.
	encoding *dialect.Encoding

	// gen is the cache's purge generation (cache.Cache.Generation), taken
	// before the request looked its source's memo up or asked the origin
	// anything: every memo it writes is stored under it (SetSince), so a
	// purge made while it fetched or revalidated the source is not undone
	// by a memo of what it got before the purge.
	gen uint64

	// The query dialect's HTTP side.
	w      http.ResponseWriter
	r      *http.Request
	origin *http.Request // the request for the source, as the origin sees it
	srcID  string        // the source's identity (sourceID)
	// remote is the absolute URL of a source a URL dialect named, fetched
	// by the SSRF-safe fetcher instead of the next handler or origin.
	remote string
	// viaRoutes: the source is a path on this site other than the one the
	// client asked for (a URL dialect's), which the handlers before Matte
	// (basic_auth, forward_auth, matchers) never judged. It is fetched as
	// a subrequest through the site's routes (fetchViaRoutes), as a
	// request for that path would be, on every request: never from a
	// fresh memo, nor from another request's fetch, so that each
	// request's own access to it is checked.
	viaRoutes bool
	// keepQuery is the imgix query whose Matte part a redirect the next
	// handler answers the source with keeps (sourceRecorder.keepTransform);
	// "" where it must not (signature { required }).
	keepQuery string
	// relocate, set for a URL dialect's request on a local source, stands
	// in for keepQuery: given a redirect to this site that the next handler
	// answered the source with, it returns the dialect URL that asks for
	// the same transform of the new path (relocateDialect), or, where the
	// URL cannot be rewritten, answers req's client with the dialect's
	// error itself and returns false.
	relocate func(loc *url.URL) (string, bool)
	// markField names the watermark's option in errors when the dialect
	// spells it other than mark (dialect.ImageURL.MarkField).
	markField string
	// frameField names the option that picked the frames in errors when
	// the dialect spells it other than frame (dialect.ImageURL.FrameField).
	frameField string
	// rectField names the option that placed Params.Rect in errors when
	// the dialect spells it other than rect (dialect.ImageURL.RectField).
	rectField string
	// rectYField names the option that placed Params.Rect's top
	// (dialect.ImageURL.RectYField), for an error on its y axis.
	rectYField string
	// padField names the option that padded the image in errors when the
	// dialect spells it other than pad (dialect.ImageURL.PadField).
	padField string
	// cacheControl, when set, replaces the site's cache_control for a
	// result a shared cache may store (dialect.ImageURL.MaxAge).
	cacheControl string
	// expires, when not zero, is when the URL stops being answered (a
	// signature's expires=, imgproxy's exp): serveImage wraps w so that
	// the answer's max-age is cut to the time left (untilExpiry).
	expires time.Time
	// fallback is the image answered in place of a missing source
	// (fallback.go): the URL's own (dialect.ImageURL.Fallback), else the
	// site's fallback_image; "" for none. fallbackField names it in
	// errors. isFallback: the answer is the fallback's.
	fallback, fallbackField string
	isFallback              bool

	timings requestTimings // where the time went (timing.go)
}

// inDialect is a transform's error named as req's dialect names its
// options: an error on frame names the dialect's frameField instead, one
// on rect its rectField, one on rect's y axis (transform.RectYField) its
// rectYField or else its rectField (rect where neither is set), one on pad
// its padField.
func (req *imageRequest) inDialect(err error) error {
	var pe *params.Error
	if !errors.As(err, &pe) {
		return err
	}
	field := map[string]string{"frame": req.frameField, "rect": req.rectField, transform.RectYField: cmp.Or(req.rectYField, req.rectField, "rect"), "pad": req.padField}[pe.Field]
	if field == "" {
		return err
	}
	renamed := *pe
	renamed.Field = field
	return &renamed
}

// restrict applies the sharing rules of one response that req's result is
// made from: what a shared cache may not store makes the result private.
func (req *imageRequest) restrict(s sharing) {
	req.Private = req.Private || !s.store
	req.NoStore = req.NoStore || s.noStore
}

// useSource sets req's source to memo, and the output format and result key
// that follow from it.
func (h *Handler) useSource(req *imageRequest, memo sourceMemo) {
	req.Memo = memo
	req.Format = transform.NegotiateFormat(req.Params, req.r.Header.Get("Accept"), memo.Info)
	req.Frames, req.FramesDecoded = h.pipeline.AnimatedFrames(req.Params, memo.Info, req.Format)
	if asStored(req.Params, memo.Info) {
		req.Format = memo.Info.Type // transform answers with storedResult
	}
	req.Key = h.resultKeyOf(req)
}

// resultKeyOf is the result key of req's Params and Extras over its
// source, in its Format. An animated answer is keyed apart: the same
// request was answered with the first frame before Matte animated, and
// those entries must not be served for it.
func (h *Handler) resultKeyOf(req *imageRequest) string {
	fingerprint := h.pipeline.Fingerprint(req.Format) + req.Extras.Key()
	if req.Frames > 0 {
		fingerprint += ";frames"
	}
	if req.Params.Faces.Enabled() {
		// What the detector finds decides the crop.
		fingerprint += ";faces=" + h.pipeline.FacesID()
	}
	if req.Params.Removal.Enabled {
		// Which model cuts it out, and how (see RemovalID).
		fingerprint += ";rembg=" + h.pipeline.RemovalID(req.Params.Removal.Model)
	}
	if req.encoding != nil {
		// Stored re-encoded: never the answer in Format itself.
		fingerprint += ";encoding=" + req.encoding.Name
	}
	if asStored(req.Params, req.Memo.Info) {
		fingerprint += asStoredKey
	}
	return resultKey(req.Memo.Hash, req.Params, req.Format, fingerprint)
}

// fromSite makes or, a request on this site, req's source, and sets the
// source's identity and purge tag from it.
func (req *imageRequest) fromSite(or *http.Request) {
	req.origin = or
	req.srcID = sourceID(req.r, or.URL.RequestURI())
	req.Tag = sourceTag(req.srcID)
}

// serveImage answers a URL request (the imgix query or a URL dialect)
// whose Params, origin request and source identity are set: it loads the
// bg-image and watermark the Params name, then answers from the result cache when the
// source's memo is fresh, else after (re)validating or fetching the source;
// a missing source with its fallback image (serveFallback).
func (h *Handler) serveImage(req *imageRequest, next caddyhttp.Handler) error {
	defer func() {
		req.hold.Release()
		req.sharedHold.Release()
	}()
	// Every answer to an expiring URL, a transform's or what is passed on
	// untransformed (an SVG, a non-image, the origin's error), is capped
	// on its way out.
	req.w = untilExpiry(req.w, req.expires)
	h.useSiteFallback(req)
	if err := h.checkFallback(req); err != nil {
		return h.writeError(req.w, req.r, err)
	}
	if err := h.loadLayerImages(req); err != nil {
		return h.writeError(req.w, req.r, err)
	}
	now := time.Now()
	req.gen = h.cache.Generation()
	memo, haveMemo := h.lookupMemo(req)
	req.timings.addCache(now)
	if haveMemo && memo.fresh(now) && !req.viaRoutes {
		h.useSource(req, memo)
		if h.serveCached(req) {
			return nil
		}
		// Its result may be in the making: wait for it, without the source.
		if joined, err := h.joinRender(req); joined {
			return err
		}
	}
	// A stale memo whose result is cached, or being made, is revalidated
	// first: a 304 serves (or waits for) that result, and no transform
	// follows, so the queue does not refuse it (a hit never answers 503).
	var rec *sourceRecorder
	if haveMemo && memo.hasValidators() {
		var done bool
		var err error
		if rec, done, err = h.revalidate(req, next, memo, now); done {
			return err
		}
	}
	// Past here a transform follows, over a source fetched now (or the
	// revalidation's full answer).
	var old *sourceMemo
	if haveMemo {
		old = &memo
	}
	var got *fetchedSource
	var done bool
	var err error
	if rec != nil {
		got, done, err = h.fetchSource(req, next, rec, old, now)
	} else {
		got, done, err = h.sharedFetch(req, next, old, now)
	}
	if done {
		return err
	}
	if got.missing != nil {
		return h.serveFallback(req, got)
	}
	req.restrict(got.share)
	h.useSource(req, got.memo)
	return h.serveResult(req, got.src)
}

// serveCached answers req from the result cache; false means a miss and
// nothing was written.
func (h *Handler) serveCached(req *imageRequest) bool {
	if h.writeNotModified(req) {
		return true
	}
	start := time.Now()
	out, ok := h.cachedResult(req.Key)
	req.timings.addCache(start)
	if !ok {
		return false
	}
	defer out.close()
	h.writeResult(req, out)
	return true
}

// serveResult transforms src (coalesced per result key) and writes it.
func (h *Handler) serveResult(req *imageRequest, src []byte) error {
	if h.writeNotModified(req) {
		return nil
	}
	out, err := h.render(req.r.Context(), req, src)
	if err != nil {
		return h.writeError(req.w, req.r, req.inDialect(err))
	}
	h.writeResult(req, out)
	return nil
}

// rendered is a result: its cache entry, its decoded metadata, and the
// tier it came from (TierNone when this request ran or waited for the
// transform).
type rendered struct {
	Entry cache.Entry
	// Body, when not nil, holds the value instead of Entry.Value: a disk
	// hit sent from its file (cache.GetBody). Whoever got it from
	// cachedResult closes it (close).
	Body *cache.FileBody
	Meta resultMeta
	Tier cache.Tier
}

// size is the result's length in bytes.
func (r *rendered) size() int {
	if r.Body != nil {
		return int(r.Body.Len())
	}
	return len(r.Entry.Value)
}

// close releases Body, if any.
func (r *rendered) close() { _ = r.Body.Close() }

// cachedResult looks the result key up; an entry whose metadata does not
// decode is a miss. A disk hit may come back as a Body: the caller closes
// the result once it is written (or not needed).
func (h *Handler) cachedResult(key string) (rendered, bool) {
	e, body, tier, ok := h.cache.GetBody(nsResult, key)
	if !ok {
		return rendered{}, false
	}
	m, ok := decodeMeta(e.Meta)
	if !ok || m.Result == nil {
		_ = body.Close()
		return rendered{}, false
	}
	return rendered{Entry: e, Body: body, Meta: *m.Result, Tier: tier}, true
}

// render returns the result of req (Params, Extras, Memo.Hash and Info,
// Format, Key, Tag, Private) over src from the caches, or runs the
// transform once for all concurrent callers of the same key and stores it
// (unless Private). The run is detached from ctx: coalesced waiters keep
// it alive when this caller goes away, and the handler's timeout bounds it.
// While it runs it retains req's holds of max_buffered_bytes, which count
// src.
//
// Handlers with the same cache settings share the cache, and so its
// flights: a flight runs under the bounds of the handler that started it
// (max_working_megapixels, timeout, workers, queue_megapixels). Its result
// is every caller's (the key holds all that changes the pixels), but its
// error only its own handler's callers': a caller of another handler runs
// the transform again under its own bounds (flightError), a few times at
// most, so that a permissive site never answers a strict site's refusal.
func (h *Handler) render(ctx context.Context, req *imageRequest, src []byte) (rendered, error) {
	req.timings.inference = req.Params.Removal.Enabled || req.Params.Faces.Enabled()
	others := 0 // flights of other handlers that failed for this request
	for attempt := 0; ; attempt++ {
		// tt is written by the flight's goroutine, and read only once Do
		// has returned this caller's own run (Executed).
		var tt transformTimings
		start := time.Now()
		e, out, err := h.cache.Do(ctx, nsResult, req.Key, func(ctx context.Context) (cache.Entry, bool, error) {
			// The transform outlives this request when others wait for
			// it: src stays counted in max_buffered_bytes until it ends.
			req.hold.Retain()
			defer req.hold.Release()
			req.sharedHold.Retain()
			defer req.sharedHold.Release()
			e, store, err := h.transform(withSourceHolds(ctx, req.hold, req.sharedHold), req, src, &tt)
			if err != nil {
				err = &flightError{err: err, by: h}
			}
			return e, store, err
		})
		if err != nil {
			if othersFlight(err, h) && others < otherFlightTries {
				others++
				continue
			}
			return rendered{}, ownFlightError(err)
		}
		req.timings.addFlight(time.Since(start), &tt, out.Executed)
		r, ok := req.flightResult(e, out)
		if !ok {
			if attempt == 0 {
				// An entry of another metadata version: a miss. Discarded,
				// not purged: nodes of that version use it as it is.
				_ = h.cache.Discard(nsResult, req.Key)
				continue
			}
			return rendered{}, errUndecodableResult
		}
		return r, nil
	}
}

var errUndecodableResult = errors.New("matte: a fresh result's metadata does not decode")

// flightError is a flight's error as it gives it to every caller, with
// whose bounds refused it (by): the *Handler of a result flight, the
// *models of a matte flight (their inference pool). Callers under other
// bounds do not answer it (render, joinRender, matter.Matte).
type flightError struct {
	err error
	by  any
}

func (e *flightError) Error() string { return e.err.Error() }
func (e *flightError) Unwrap() error { return e.err }

// otherFlightTries is how many flights of other handlers that failed a
// request sees before it answers the last one's error.
const otherFlightTries = 2

// othersFlight reports whether err is the failure of a flight run under
// bounds other than self's.
func othersFlight(err error, self any) bool {
	var fe *flightError
	return errors.As(err, &fe) && fe.by != self
}

// ownFlightError is err without its flight's wrapping (flightError).
func ownFlightError(err error) error {
	if fe, ok := err.(*flightError); ok {
		return fe.err
	}
	return err
}

// flightResult is the entry a result flight (cache.Do or cache.Wait) gave
// req, with its metadata decoded, and the tier it came from: TierNone (a
// MISS) for a request that ran or waited for the transform. It records the
// outcome in req's timings. ok is false when the metadata does not decode.
func (req *imageRequest) flightResult(e cache.Entry, out cache.Outcome) (_ rendered, ok bool) {
	m, ok := decodeMeta(e.Meta)
	if !ok || m.Result == nil {
		return rendered{}, false
	}
	tier := cache.TierNone
	if !out.Executed && !out.Coalesced {
		tier = out.Tier
	}
	req.timings.outcome = tier.CacheStatus()
	return rendered{Entry: e, Meta: *m.Result, Tier: tier}, true
}

// joinRender answers req by waiting for the transform of its result that
// another request is running (cache.Wait), for a request whose memo is
// known to be current (fresh, or just revalidated), so that its result key
// is too: a request arriving while its image is being made does not fetch
// and buffer the source only to join that transform. joined is false when
// no such transform is running (or its result does not decode, or it was
// another handler's and failed: flightError): nothing was written.
func (h *Handler) joinRender(req *imageRequest) (joined bool, err error) {
	start := time.Now()
	e, out, ok, err := h.cache.Wait(req.r.Context(), nsResult, req.Key)
	if !ok {
		return false, nil
	}
	req.timings.addFlight(time.Since(start), nil, false)
	if othersFlight(err, h) {
		// Another handler's refusal: this request makes its own.
		return false, nil
	}
	if err != nil {
		return true, h.writeError(req.w, req.r, req.inDialect(ownFlightError(err)))
	}
	r, ok := req.flightResult(e, out)
	if !ok {
		return false, nil
	}
	req.timings.inference = req.Params.Removal.Enabled || req.Params.Faces.Enabled()
	h.writeResult(req, r)
	return true, nil
}

// testBeforeTransform, when set (by tests, through export_test.go), is
// called by every transform with its context before anything else: a test
// holds a transform in flight with it. Nil in production.
var testBeforeTransform atomic.Pointer[func(context.Context)]

// testBeforeConvert, when set (by tests, through export_test.go), is
// called with the job's context before a source is converted for the
// pipeline (imageRequest.convert): a test counts conversions and holds
// one on its worker with it. Nil in production.
var testBeforeConvert atomic.Pointer[func(context.Context)]

// convertSource runs convert on src, on the caller's queue slot and
// worker, and probes what it makes; the probe's Source carries hash, the
// original source's, under which mattes are cached.
func (h *Handler) convertSource(ctx context.Context, convert func([]byte) ([]byte, error), src []byte, hash string) ([]byte, transform.Source, error) {
	if hook := testBeforeConvert.Load(); hook != nil {
		(*hook)(ctx)
	}
	out, err := convert(src)
	if err != nil {
		return nil, transform.Source{}, err
	}
	info, err := h.pipeline.Probe(out)
	info.Hash = hash
	return out, info, err
}

// transform runs the pipeline for req (req.convert first and
// req.encoding after, where set) within the handler's timeout, a queue
// slot and a worker, and returns the
// entry to store (store is false for a private source, and for a
// Provisional result, which its meta marks so that every request it
// answers says no-store). It records its time in tt.
func (h *Handler) transform(ctx context.Context, req *imageRequest, src []byte, tt *transformTimings) (e cache.Entry, store bool, err error) {
	if hook := testBeforeTransform.Load(); hook != nil {
		(*hook)(ctx)
	}
	if asStored(req.Params, req.Memo.Info) {
		return storedResult(req, src)
	}
	begin := time.Now()
	defer func() { tt.total = time.Since(begin) }()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(h.Timeout))
	defer cancel()
	release, err := h.admit(ctx, req.Memo.Info, req.FramesDecoded)
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
	tt.queue = start.Sub(begin)
	info := req.Memo.Info
	info.Hash = req.Memo.Hash
	if req.convert != nil {
		if src, info, err = h.convertSource(ctx, req.convert, src, info.Hash); err != nil {
			return cache.Entry{}, false, err
		}
	}
	res, err := h.pipeline.Process(ctx, &transform.Request{Source: src, Info: info, Params: req.Params, Extras: req.Extras, Format: req.Format, Private: req.Private})
	h.metrics.observeTransform(time.Since(start), err)
	tt.pipeline = res.Timings
	if err != nil {
		return cache.Entry{}, false, err
	}
	body, contentType := res.Body, res.Format.ContentType()
	if req.encoding != nil {
		if body, err = h.encodeResult(ctx, req, body); err != nil {
			return cache.Entry{}, false, err
		}
		contentType = req.encoding.ContentType
	}
	meta := resultMeta{Width: res.Width, Height: res.Height, Provisional: res.Provisional}
	if req.Params.Removal.Enabled {
		meta.Model, meta.Foreground, meta.HasForeground = res.Model, res.Foreground, true
	}
	return cache.Entry{Value: body, ContentType: contentType, Created: time.Now(), Tag: req.Tag,
		Meta: encodeMeta(entryMeta{Result: &meta})}, !req.Private && !res.Provisional, nil
}
