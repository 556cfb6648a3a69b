package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
)

// fetchedSource is a source as one fetch got it, to be used by the request
// that fetched it and by any that shared the fetch (sharedFetch). It is
// read-only once returned: src is one buffer shared by all of them.
type fetchedSource struct {
	src   []byte
	memo  sourceMemo // its hash, header and the origin's validators
	share sharing    // what the origin's response allows a shared cache
	sent  http.Header
	// probeErr is the client's error when src is not an image Matte
	// decodes (already written to the fetching request's client).
	probeErr error
	// missing, when not nil, is the origin's 404 or 410, held for the
	// fetching request's fallback image; src is then nil.
	missing *missingAnswer
	// hold is the fetching request's share of max_buffered_bytes, which
	// holds src's bytes: a request that uses src retains it.
	hold *admission.Hold
	// failed, when not nil, is a failure of the fetch that is the origin's,
	// not the fetching request's own (sharedFailure), already answered to
	// its client; src is then nil. failedByHandler: failed is the next
	// handler's error, which Caddy answers; else Matte writes it
	// (writeError). failedMissing: it says the source is missing (a 404 or
	// 410 no fallback held).
	failed                         error
	failedByHandler, failedMissing bool
	// passed: the origin's own answer to the fetching request (not a 200
	// image: a redirect, a 4xx page, a file that is not an image) went
	// through to its client; src is nil. Another request asks for its own.
	passed bool
}

// serves reports whether s, fetched with header s.sent, answers req as
// the origin would answer req itself: a response a shared cache may store
// (RFC 9111 §3), whose Vary headers have the same values in both requests
// (§4.1).
func (s *fetchedSource) serves(h *Handler, req *imageRequest) bool {
	if !s.share.store {
		return false
	}
	if len(s.share.vary) == 0 {
		return true
	}
	return memoKey(req.srcID, s.share.vary, s.sent) == memoKey(req.srcID, s.share.vary, h.sentHeader(req))
}

// sharedFetch fetches req's source (fetchSource), sharing one fetch among
// concurrent requests for the same source, as a shared cache collapses
// requests for one URL: a burst of misses for one image (a page shown to
// many visitors at once just after a deploy or a purge) fetches and
// buffers its source once, and the requests that waited for it are not
// counted against the transform queue (queueFull), which exists to bound
// the sources buffered ahead of it. Those with the same result key then
// share one transform too (render).
//
// A waiter uses the fetch's source, or its probe error, only when the
// origin's answer may be shared with it (fetchedSource.serves). A failure
// that is the origin's (sharedFailure: a timeout, a network error, a 5xx,
// a 404 or 410 no fallback held) is every waiter's answer too: while an
// origin times out, a burst of misses costs it one request, and each
// client waits one timeout, not one per retry. A fetch that gave nothing
// because of the leader's own request (its client went away, the
// transform queue or max_buffered_bytes refused it, its origin answer
// was aborted) is run again by the waiters behind a new leader, a few
// times at most, then each fetches on its own: a waiter never fails
// because of another request (groupcache's rule). A waiter whose own
// client has gone stops there. The origin's own answer passed through to
// the leader's client (fetchedSource.passed) is asked for by each waiter
// itself. A missing source, held for the leader's fallback image, is
// shared as a source is: each waiter answers with its own fallback, or
// with the source's own answer when it has none (serveFallback); a waiter
// with a fallback fetches on its own when the leader held none. Requests
// that send credentials (Authorization, Cookie) to the origin fetch on
// their own, so that each one's access is checked (sharesFetch).
func (h *Handler) sharedFetch(req *imageRequest, next caddyhttp.Handler, old *sourceMemo, now time.Time) (_ *fetchedSource, done bool, err error) {
	if !h.sharesFetch(req) {
		return h.fetchSource(req, next, nil, old, now)
	}
	ctx := req.r.Context()
	start := time.Now()
share:
	for range sharedFetchTries {
		got, led, _ := h.fetches.do(ctx, sharedFetchKey(req), func() *fetchedSource {
			var s *fetchedSource
			s, done, err = h.fetchSource(req, next, nil, old, now)
			return s
		})
		switch {
		case led:
			return got, done, err
		case ctx.Err() != nil:
			return nil, true, h.writeError(req.w, req.r, ctx.Err())
		case got == nil:
			continue // the leader's own failure: another leader tries
		case got.failed != nil && !(got.failedMissing && req.fallback != ""):
			req.timings.addFetch(start)
			if got.failedByHandler {
				return nil, true, got.failed
			}
			return nil, true, h.writeError(req.w, req.r, got.failed)
		case got.failed != nil, got.passed, !got.serves(h, req):
			break share
		case got.probeErr != nil:
			return nil, true, h.writeError(req.w, req.r, got.probeErr)
		}
		// The source's bytes stay counted while this request uses them,
		// whenever the fetching request ends.
		got.hold.Retain()
		req.sharedHold = got.hold
		req.timings.addFetch(start)
		req.timings.bytesIn = len(got.src)
		return got, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, true, h.writeError(req.w, req.r, err)
	}
	return h.fetchSource(req, next, nil, old, now)
}

// sharedFetchTries is how many shared fetches a waiter joins, one after
// another leader gave nothing of its own fault, before it fetches alone.
const sharedFetchTries = 3

// sharedFailure is what requests sharing req's fetch into rec learn of it
// when it settled req's response (done, with err for Caddy). A failure
// that is the origin's, not req's, is theirs too (failed): the origin
// URL's (a timeout, a network error, a 5xx, a 404 or 410, an answer that
// is not an image: the fetcher asks the same whoever the client is), the
// next handler's 5xx, 404 or 410 error (reverse_proxy's 502 or 504,
// file_server's 404), a 5xx the next handler passed through (a 502 in the
// waiter's dialect: its body went to req's client). The origin's other
// answers passed through to req's client are marked passed. nil when the
// failure was req's own: its client went away, or max_buffered_bytes
// refused the body.
func sharedFailure(req *imageRequest, rec *sourceRecorder, err error) (failed *fetchedSource) {
	if req.r.Context().Err() != nil || rec.overloaded {
		return nil
	}
	var fe *fetch.FetchError
	switch status := handlerStatus(err); {
	case errors.As(rec.fetchErr, &fe) && fe.Kind == fetch.KindCanceled:
		return nil
	case rec.fetchErr != nil:
		var pe *params.Error
		missing := errors.As(rec.fetchErr, &pe) && pe.Code == params.CodeSourceNotFound
		return &fetchedSource{failed: rec.fetchErr, failedMissing: missing}
	case err != nil && (status >= 500 || isMissing(status)):
		return &fetchedSource{failed: err, failedByHandler: true, failedMissing: isMissing(status)}
	case err != nil:
		return nil
	case rec.passthrough && rec.status >= 500:
		return &fetchedSource{failed: &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway",
			Detail: fmt.Sprintf("The origin answered %d %s for the source.", rec.status, http.StatusText(rec.status))}}
	case rec.passthrough:
		return &fetchedSource{passed: true}
	}
	return nil
}

// sharedFetchKey names the fetch req may share: its source, in the cache's
// purge generation req took (req.gen). A request that begins after a purge
// of the source does not join a fetch begun before it, which may be
// reading the bytes the purge was made to forget.
func sharedFetchKey(req *imageRequest) string {
	return req.srcID + "\x00" + strconv.FormatUint(req.gen, 10)
}

// fetchSource gets req's source: from rec when a revalidation already
// holds the origin's full answer, else by fetching it, refused with a 503
// before any byte is buffered when the transform queue is spoken for. It
// probes and hashes the source and stores its memo, unless old (the memo
// the request found, if any) already says the same and is fresh, or the
// response grants no freshness: no write per request. done means the
// response is settled (an error, or the origin's own answer, was written),
// with err for Caddy; a probe error also returns the source, with probeErr
// set, and a failure that requests sharing the fetch answer too returns
// it (sharedFailure). A missing source (a 404 or 410 held for req's fallback) is returned
// not done, with missing set: nothing of it is stored.
func (h *Handler) fetchSource(req *imageRequest, next caddyhttp.Handler, rec *sourceRecorder, old *sourceMemo, now time.Time) (_ *fetchedSource, done bool, err error) {
	var cost int64 // unknown until probed, unless a memo of the source says
	if old != nil {
		cost = admission.Cost(old.Info.Width, old.Info.Height)
	}
	if h.queueFull(cost) {
		return nil, true, h.writeError(req.w, req.r, overloaded(h.guard.admit.RetryAfter()))
	}
	start := time.Now()
	fetched := h.startFetch()
	defer fetched()
	if rec == nil {
		rec = newSourceRecorder(req.w, h.MaxSourceBytes, h.bytesHold(req)).forRequest(req)
		rec.holdMissing = req.fallback != ""
		if done, err := h.fetch(req, next, rec, req.origin); done {
			return sharedFailure(req, rec, err), true, err
		}
	}
	s := &fetchedSource{src: rec.buf.Bytes(), sent: h.sentHeader(req), hold: h.bytesHold(req)}
	s.share = shareability(s.sent, rec.header)
	if rec.missing {
		s.src, s.missing = nil, rec.missingAnswer()
		return s, false, nil
	}
	info, err := h.pipeline.Probe(s.src)
	if err != nil {
		s.probeErr = err
		return s, true, h.writeError(req.w, req.r, err)
	}
	s.memo = sourceMemo{Hash: sourceHash(s.src), Info: info, ETag: rec.header.Get("ETag"), LastModified: rec.header.Get("Last-Modified"),
		FreshUntil: now.Add(h.sourceFreshness(req, rec.header, now)), Vary: s.share.vary}
	s.memo.keep(rec.header)
	fetched()
	req.timings.addFetch(start)
	req.timings.bytesIn = len(s.src)
	storeStart := time.Now()
	switch {
	case !s.share.store:
	case old == nil || !s.memo.sameSource(*old):
		h.storeMemo(req, s.memo)
	case s.memo.FreshUntil.After(now) && !old.fresh(now):
		// The same source fetched again (a new variant's miss over a
		// stale memo): only its freshness is new.
		h.refreshMemo(req, s.memo, now)
	}
	req.timings.addCache(storeStart)
	return s, false, nil
}

// sharesFetch reports whether req's source fetch may be shared: it sends
// no credentials, and it is a GET (a site's source requested with another
// method is that method's answer; a remote source is always fetched with
// GET).
func (h *Handler) sharesFetch(req *imageRequest) bool {
	if req.viaRoutes || req.remote == "" && req.origin.Method != http.MethodGet {
		return false
	}
	return !sendsCredentials(h.sentHeader(req))
}

// sendsCredentials reports whether a request for a source, with header
// sent, carries credentials: its answer is its own, never shared with a
// concurrent request's.
func sendsCredentials(sent http.Header) bool {
	return sent.Get("Authorization") != "" || sent.Get("Cookie") != ""
}
