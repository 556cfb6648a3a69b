package caddymodule

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/transform"
)

// sourceMemo is what Matte remembers of a source between requests: its
// content hash and header, the origin's validators, how long the origin
// allows it to be reused without asking again, and the request headers its
// response varies on.
type sourceMemo struct {
	Hash         string // sourceHash of the body (hex BLAKE3-256)
	Info         transform.Source
	ETag         string
	LastModified string
	FreshUntil   time.Time
	Vary         []string // canonical header names (see shareability)
	// CacheControl and Expires are the origin's, kept for a 304 that
	// leaves them out: what a 304 does not send still holds (RFC 9111
	// §4.3.4), and the freshness it grants is read from them.
	CacheControl, Expires string
	// Sharing holds the source's sharingHeaders, which its transformed
	// answers carry. The memo is keyed by the request headers the origin
	// varied on (an S3 answer with Vary: Origin), so each Origin gets its
	// own Access-Control-Allow-Origin. Read only: it may be shared.
	Sharing map[string]string
}

// keep takes the headers the memo keeps from the origin's response header
// h (a 200's, or a 304's as updatedHeader merged it).
func (m *sourceMemo) keep(h http.Header) {
	m.CacheControl, m.Expires = strings.Join(h.Values("Cache-Control"), ", "), h.Get("Expires")
	m.Sharing = sharingOf(h)
}

func (m sourceMemo) fresh(now time.Time) bool { return now.Before(m.FreshUntil) }

func (m sourceMemo) hasValidators() bool { return m.ETag != "" || m.LastModified != "" }

// sameSource reports whether m and o describe the same bytes under the same
// validators, Vary and kept headers (their freshness aside): a refetch of
// the same bytes whose CORS or Cache-Control changed is stored again.
func (m sourceMemo) sameSource(o sourceMemo) bool {
	return m.Hash == o.Hash && m.ETag == o.ETag && m.LastModified == o.LastModified && m.Info == o.Info && slices.Equal(m.Vary, o.Vary) &&
		m.CacheControl == o.CacheControl && m.Expires == o.Expires && maps.Equal(m.Sharing, o.Sharing)
}

// lookupMemo finds the memo of req's source that answers a request like
// req: when the origin's response varied, the source's plain key holds a
// Vary index, and the memo lives under the values req has for those
// headers.
func (h *Handler) lookupMemo(req *imageRequest) (sourceMemo, bool) {
	_, m, _, ok := h.getMeta(nsSource, memoKey(req.srcID, nil, nil))
	if ok && m.VaryOn != nil {
		_, m, _, ok = h.getMeta(nsSource, memoKey(req.srcID, m.VaryOn, h.sentHeader(req)))
	}
	if !ok || m.Source == nil {
		return sourceMemo{}, false
	}
	return *m.Source, true
}

// durableFreshness is the least freshness worth a disk (and shared tier)
// write when a memo is only refreshed: a heuristic second is kept in
// memory, an origin's max-age of minutes everywhere.
const durableFreshness = time.Minute

// refreshMemo stores memo again after the origin confirmed the source it
// names (a 304, or the same bytes fetched again) with new freshness: only
// its FreshUntil differs from the copy already stored, and a short one is
// kept in memory only (a write per hot source per second would cost the
// disk tier more than the revalidations it saves). The caller has checked
// shareability. As storeMemo, it stores nothing when a purge began since
// req.gen was taken.
func (h *Handler) refreshMemo(req *imageRequest, memo sourceMemo, now time.Time) {
	e := cache.Entry{Meta: encodeMeta(entryMeta{Source: &memo}), Tag: sourceTag(req.srcID)}
	key := memoKey(req.srcID, memo.Vary, h.sentHeader(req))
	if memo.FreshUntil.Sub(now) < durableFreshness {
		h.cache.SetMemorySince(req.gen, nsSource, key, e)
		return
	}
	h.cache.SetSince(req.gen, nsSource, key, e)
}

// storeMemo stores the memo of req's source (with a Vary index first when
// the origin's response varies). The caller has checked shareability.
// Nothing is stored when a purge began since req.gen was taken (before
// the source was asked for): the memo may name the bytes the purge was
// made to forget, and a fresh one would serve them until it expires.
func (h *Handler) storeMemo(req *imageRequest, memo sourceMemo) {
	tag := sourceTag(req.srcID)
	if len(memo.Vary) > 0 {
		h.cache.SetSince(req.gen, nsSource, memoKey(req.srcID, nil, nil), cache.Entry{Meta: encodeMeta(entryMeta{VaryOn: memo.Vary}), Tag: tag})
	}
	h.cache.SetSince(req.gen, nsSource, memoKey(req.srcID, memo.Vary, h.sentHeader(req)), cache.Entry{Meta: encodeMeta(entryMeta{Source: &memo}), Tag: tag})
}
