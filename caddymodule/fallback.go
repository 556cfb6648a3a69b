package caddymodule

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// A fallback image answers, transformed as the request asks, in place of a
// source that is missing: its origin (the next handler, such as
// file_server or reverse_proxy, the origin URL, or a dialect's remote URL)
// answers 404 Not Found or 410 Gone. Other failures (a 403, a 5xx, a
// timeout, an answer that is not an image) are answered as without a
// fallback. The fallback is the site's fallback_image, or the one a URL
// names (ImageKit's di-, imgproxy's fiu), loaded as a bg-image is
// (loadLayerImage): a path through this site's routes, or a URL on an
// allowed host. When it cannot be used (missing itself, not an image, out
// of bounds), the source's own answer goes to the client as it would have
// without a fallback.
//
// Nothing of the missing source is stored: no memo, no result under its
// key, so a source created later is served on the next request. The
// fallback's result is cached as any result over the fallback's bytes
// (its key follows their hash; its purge tag is the fallback's).

// DefaultFallbackTTL is the max-age of a fallback answer: short, because
// the missing source may appear at any moment (an upload still on its
// way), and a browser or CDN that keeps the placeholder under the source's
// URL would hide the real image until it expires; a minute still absorbs
// a burst of requests for a missing image.
const DefaultFallbackTTL = time.Minute

// fallbackHeader marks a fallback answer, as imgproxy marks one.
const fallbackHeader = "Fallback-Image"

// siteFallbackField names the site's fallback image in errors and logs.
const siteFallbackField = "fallback_image"

// missingAnswer is a 404 or 410 that a source's fetch got and held for the
// request's fallback (sourceRecorder.holdMissing): the status, header and
// body the next handler wrote, or the error it came as (err).
type missingAnswer struct {
	status int
	header http.Header
	body   []byte
	err    *missingError
}

// missingError is a missing source reported as an error instead of a
// response: the next handler's error (file_server's 404, which Caddy
// answers, through handle_errors when the site has them), or the one Matte
// answers an origin URL's 404 or 410 with.
type missingError struct {
	handler, answer error
}

// missingAnswer is the 404 or 410 rec holds.
func (r *sourceRecorder) missingAnswer() *missingAnswer {
	return &missingAnswer{status: r.status, header: r.header, body: r.buf.Bytes(), err: r.missingErr}
}

// useSiteFallback gives req the site's fallback_image when its URL named
// none.
func (h *Handler) useSiteFallback(req *imageRequest) {
	// A layer (serveLayer) has none: its missing path is the request's 400
	// (fetchLayerPath), not the site's placeholder drawn as a watermark.
	if req.fallback == "" && !isLayerSubrequest(req.r) {
		req.fallback, req.fallbackField = h.FallbackImage, siteFallbackField
	}
}

// checkFallback refuses a fallback URL that a request names when remote
// images are not allowed (allowRemote), as a bg-image URL is refused:
// whether or not the source turns out to be missing, so that such a URL
// fails the same way every time. Validate checked the site's own.
func (h *Handler) checkFallback(req *imageRequest) error {
	if req.fallbackField == siteFallbackField || !isRemoteRef(req.fallback) || h.allowRemote() == nil {
		return nil
	}
	return layerImage{field: req.fallbackField, noun: "fallback image"}.remoteDenied()
}

// isRemoteRef reports whether an image reference is an http(s) URL rather
// than a path on this site.
func isRemoteRef(ref string) bool {
	return strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://")
}

// serveFallback answers req, whose source is missing (got.missing), with
// its fallback image transformed as req asks, under the site's
// fallback_status and fallback_ttl, marked Fallback-Image: 1; without a
// fallback, or when it cannot be loaded, with the missing source's own
// answer.
func (h *Handler) serveFallback(req *imageRequest, got *fetchedSource) error {
	if req.fallback == "" {
		return h.replayMissing(req, got.missing)
	}
	data, info, err := h.loadLayerImage(req, layerImage{field: req.fallbackField, noun: "fallback image"}, req.fallback)
	if err != nil {
		h.logger.Debug("fallback image not usable; the source's own answer goes out", zap.String("uri", req.r.RequestURI),
			zap.String(req.fallbackField, req.fallback), zap.Error(err))
		return h.replayMissing(req, got.missing)
	}
	req.restrict(got.share)
	req.isFallback = true
	srcID := req.fallback
	if !isRemoteRef(srcID) {
		srcID = sourceID(req.r, srcID)
	}
	req.Tag = sourceTag(srcID)
	// The answer is this URL's: it carries the missing source's CORS
	// answer (Access-Control-*, Timing-Allow-Origin, CORP, per Origin when
	// the origin varied on it, and that Vary) as it obeys its private or
	// no-store, not the fallback file's, whose policy is for its own URL
	// (another host's, for a fiu URL).
	h.useSource(req, sourceMemo{Hash: sourceHash(data), Info: info, Sharing: sharingOf(got.missing.header), Vary: got.share.vary})
	// A validator answers 304 only for a 200: another status has none.
	if h.FallbackStatus == http.StatusOK && h.writeNotModified(req) {
		return nil
	}
	out, err := h.render(req.r.Context(), req, data)
	if err != nil {
		return h.writeError(req.w, req.r, req.inDialect(err))
	}
	h.writeResult(req, out)
	return nil
}

// replayMissing answers req with the missing source's answer, as it would
// have gone out without a fallback.
func (h *Handler) replayMissing(req *imageRequest, m *missingAnswer) error {
	switch {
	case m.err != nil && m.err.handler != nil:
		return m.err.handler
	case m.err != nil:
		return h.writeError(req.w, req.r, m.err.answer)
	}
	copyHeader(req.w.Header(), m.header)
	req.w.WriteHeader(m.status)
	_, _ = req.w.Write(m.body)
	return nil
}

// fallbackCacheControl is the Cache-Control of a fallback answer that a
// shared cache may store: fallback_ttl as max-age, or no-cache when it is
// under a second.
func (h *Handler) fallbackCacheControl() string {
	ttl := DefaultFallbackTTL
	if h.FallbackTTL != nil {
		ttl = time.Duration(*h.FallbackTTL)
	}
	if s := int64(ttl / time.Second); s > 0 {
		return "public, max-age=" + strconv.FormatInt(s, 10)
	}
	return "no-cache"
}
