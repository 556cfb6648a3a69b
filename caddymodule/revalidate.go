package caddymodule

import (
	"maps"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// revalidate asks the origin, with memo's validators, whether the source
// changed, when the result for req over memo is at hand or being made by
// another request: on a 304 it serves that result, or waits for it
// (done). Otherwise rec holds the origin's full answer, nil when no
// conditional request was made. The next handler is called at
// most once per request (Caddy runs a `handle` group once per request, so
// a second call writes nothing).
//
// Concurrent revalidations of one memo are coalesced: while one request's
// conditional request is in flight, others for the same memo, validators
// and varied header values wait for it, and its 304 answers them all (a
// popular image that is never fresh costs the origin one conditional
// request at a time instead of one per hit). A waiter that gets anything
// but a 304 from it (a changed source, an error, a leader that went away)
// asks the origin itself. Requests that carry credentials (Authorization,
// Cookie) to the origin are never coalesced: each one's own access is
// checked.
func (h *Handler) revalidate(req *imageRequest, next caddyhttp.Handler, memo sourceMemo, now time.Time) (rec *sourceRecorder, done bool, err error) {
	h.useSource(req, memo)
	start := time.Now()
	out, cached := h.cachedResult(req.Key)
	req.timings.addCache(start)
	if !cached && !h.cache.Flying(nsResult, req.Key) {
		return nil, false, nil
	}
	defer out.close()
	start = time.Now()
	var header http.Header // the 304's header
	if key, ok := h.revalidationKey(req, memo); ok {
		v, led, _ := h.revals.do(req.r.Context(), key, func() http.Header {
			rec, done, err = h.askOrigin(req, next, memo)
			if done || !rec.notModified {
				return nil
			}
			return rec.header
		})
		if !led {
			header = v
		}
	}
	if header == nil && rec == nil && !done {
		rec, done, err = h.askOrigin(req, next, memo)
	}
	req.timings.addFetch(start)
	if done {
		return nil, true, err
	}
	if header == nil {
		if !rec.notModified {
			return rec, false, nil
		}
		header = rec.header
	}
	header = updatedHeader(header, memo)
	stored := memo.Sharing
	memo.keep(header)
	// The 304's CORS headers replace the stored ones it names, for this
	// answer and the memo's next.
	sharingChanged := !maps.Equal(stored, memo.Sharing)
	req.Memo.Sharing = memo.Sharing
	share := shareability(h.sentHeader(req), header)
	req.restrict(share)
	// Store the memo again only when the 304 grants freshness or changed
	// its CORS headers: the rest of it is unchanged, and with neither
	// (no-cache, or source_ttl and source_heuristic_ttl 0) a store per hit
	// would be a write per hit.
	if memo.FreshUntil = now.Add(h.sourceFreshness(req, header, now)); share.store && (memo.FreshUntil.After(now) || sharingChanged) {
		h.refreshMemo(req, memo, now)
	}
	switch {
	case h.writeNotModified(req):
	case cached:
		h.writeResult(req, out)
	default:
		// The result was being made when this request began: wait for it,
		// or serve it if it was made and stored during the round trip (no
		// flight to join then). Gone (evicted, or failed unseen): fetch
		// the source.
		if joined, err := h.joinRender(req); joined {
			return nil, true, err
		}
		return nil, h.serveCached(req), nil
	}
	return nil, true, nil
}

// updatedHeader is the stored response's header as a 304 with header
// updates it (RFC 9111 §4.3.4): what the 304 leaves out still holds. Go's
// file server drops Last-Modified from a 304 that carries an ETag, and the
// heuristic needs it; an origin that sends only its ETag in a 304 keeps
// the freshness its 200 granted (Cache-Control, Expires) and its CORS
// headers (Sharing). header is not written.
func updatedHeader(header http.Header, memo sourceMemo) http.Header {
	out, cloned := header, false
	set := func(k, v string) {
		if v == "" || len(header.Values(k)) > 0 {
			return
		}
		if !cloned {
			out, cloned = header.Clone(), true
		}
		out.Set(k, v)
	}
	set("Last-Modified", memo.LastModified)
	set("Cache-Control", memo.CacheControl)
	set("Expires", memo.Expires)
	for k, v := range memo.Sharing {
		set(k, v)
	}
	return out
}

// askOrigin sends req's origin request made conditional on memo's
// validators (see fetch for done and err).
func (h *Handler) askOrigin(req *imageRequest, next caddyhttp.Handler, memo sourceMemo) (rec *sourceRecorder, done bool, err error) {
	cond := req.origin.Clone(req.origin.Context())
	if memo.ETag != "" {
		cond.Header.Set("If-None-Match", memo.ETag)
	}
	if memo.LastModified != "" {
		cond.Header.Set("If-Modified-Since", memo.LastModified)
	}
	rec = newSourceRecorder(req.w, h.MaxSourceBytes, h.bytesHold(req)).forRequest(req)
	rec.conditional, rec.holdMissing = true, req.fallback != ""
	done, err = h.fetch(req, next, rec, cond)
	return rec, done, err
}

// revalidationKey is the key under which req's revalidation of memo may be
// shared with other requests: its memo key (the source and the values of
// the headers it varies on) and validators. ok is false for a request
// whose fetch is its own (sharesFetch: credentials, a method other than
// GET).
func (h *Handler) revalidationKey(req *imageRequest, memo sourceMemo) (key string, ok bool) {
	if !h.sharesFetch(req) {
		return "", false
	}
	return memoKey(req.srcID, memo.Vary, h.sentHeader(req)) + "\x00" + memo.ETag + "\x00" + memo.LastModified, true
}
