package caddymodule

import (
	"time"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/transform"
)

// sourceMemo is what Matte remembers of a source between requests: its
// content hash and header, the origin's validators, and how long the origin
// allows it to be reused without asking again.
type sourceMemo struct {
	Hash         string // hex sha256 of the body
	Info         transform.Source
	ETag         string
	LastModified string
	FreshUntil   time.Time
}

func (m sourceMemo) fresh(now time.Time) bool { return now.Before(m.FreshUntil) }

func (m sourceMemo) hasValidators() bool { return m.ETag != "" || m.LastModified != "" }

// sameSource reports whether m and o describe the same bytes under the same
// validators (their freshness aside).
func (m sourceMemo) sameSource(o sourceMemo) bool {
	return m.Hash == o.Hash && m.ETag == o.ETag && m.LastModified == o.LastModified && m.Info == o.Info
}

// lookupMemo finds the memo of req's source.
func (h *Handler) lookupMemo(req *imageRequest) (sourceMemo, bool) {
	_, m, _, ok := h.getMeta(nsSource, memoKey(req.srcID))
	if !ok || m.Source == nil {
		return sourceMemo{}, false
	}
	return *m.Source, true
}

// storeMemo stores the memo of req's source.
func (h *Handler) storeMemo(req *imageRequest, memo sourceMemo) {
	h.cache.Set(nsSource, memoKey(req.srcID), cache.Entry{Meta: encodeMeta(entryMeta{Source: &memo}), Tag: sourceTag(req.srcID)})
}
