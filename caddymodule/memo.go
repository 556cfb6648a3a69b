package caddymodule

import (
	"slices"
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
}

func (m sourceMemo) fresh(now time.Time) bool { return now.Before(m.FreshUntil) }

func (m sourceMemo) hasValidators() bool { return m.ETag != "" || m.LastModified != "" }

// sameSource reports whether m and o describe the same bytes under the same
// validators and Vary (their freshness aside).
func (m sourceMemo) sameSource(o sourceMemo) bool {
	return m.Hash == o.Hash && m.ETag == o.ETag && m.LastModified == o.LastModified && m.Info == o.Info && slices.Equal(m.Vary, o.Vary)
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

// storeMemo stores the memo of req's source (with a Vary index first when
// the origin's response varies). The caller has checked shareability.
func (h *Handler) storeMemo(req *imageRequest, memo sourceMemo) {
	tag := sourceTag(req.srcID)
	if len(memo.Vary) > 0 {
		h.cache.Set(nsSource, memoKey(req.srcID, nil, nil), cache.Entry{Meta: encodeMeta(entryMeta{VaryOn: memo.Vary}), Tag: tag})
	}
	h.cache.Set(nsSource, memoKey(req.srcID, memo.Vary, h.sentHeader(req)), cache.Entry{Meta: encodeMeta(entryMeta{Source: &memo}), Tag: tag})
}
