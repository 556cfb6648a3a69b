package admission

import "sync/atomic"

// Budget bounds an amount held by many requests at once: the bytes of the
// source images they have buffered, which a Pool cannot bound because a
// source is read before its cost is known. Nothing waits for a Budget: a
// Take past the limit is refused at once, so that the caller answers 503
// instead of holding a partly read body while it waits. Safe for
// concurrent use.
type Budget struct {
	limit   int64
	used    atomic.Int64
	refused atomic.Uint64
}

// BudgetStats is a snapshot of a Budget.
type BudgetStats struct {
	Limit   int64
	Used    int64
	Refused uint64 // Takes refused
}

// NewBudget returns a Budget of limit (at least 1).
func NewBudget(limit int64) *Budget {
	return &Budget{limit: max(limit, 1)}
}

// take adds n if the total stays within the limit; a refusal is counted.
func (b *Budget) take(n int64) bool {
	for {
		used := b.used.Load()
		if n > b.limit-used {
			b.refused.Add(1)
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// Stats returns the Budget's limit, what is held now, and the refusals.
func (b *Budget) Stats() BudgetStats {
	return BudgetStats{Limit: b.limit, Used: b.used.Load(), Refused: b.refused.Load()}
}

// Hold is one request's share of a Budget, which can be shared: requests
// that use the same bytes (a coalesced fetch's source) Retain the Hold
// instead of taking the bytes again, and the bytes go back to the Budget
// when the last holder Releases it.
//
// Take is for the Hold's first holder only, before it shares the Hold;
// Retain and Release are safe for concurrent use. A nil *Hold takes
// anything and holds nothing.
type Hold struct {
	b    *Budget
	n    atomic.Int64 // taken so far
	refs atomic.Int32
}

// Hold returns a new Hold of b, held once, with nothing taken; nil for a
// nil Budget (no bound).
func (b *Budget) Hold() *Hold {
	if b == nil {
		return nil
	}
	h := &Hold{b: b}
	h.refs.Store(1)
	return h
}

// Take adds n bytes to the hold when the Budget has room for them, and
// reports whether it did. n <= 0 always succeeds.
func (h *Hold) Take(n int64) bool {
	if h == nil || n <= 0 {
		return true
	}
	if !h.b.take(n) {
		return false
	}
	h.n.Add(n)
	return true
}

// Retain adds a holder. It never fails: the bytes are in memory already.
// When every holder had released the Hold (a waiter that took a shared
// source after its fetcher finished), its bytes are counted again, even
// past the limit, until this holder releases them too: the Budget then
// refuses new bytes until they are gone.
func (h *Hold) Retain() {
	if h == nil {
		return
	}
	if h.refs.Add(1) == 1 {
		h.b.used.Add(h.n.Load())
	}
}

// Release drops a holder; the last one gives the bytes back. Each Hold()
// and Retain needs exactly one Release.
func (h *Hold) Release() {
	if h == nil {
		return
	}
	switch refs := h.refs.Add(-1); {
	case refs == 0:
		h.b.used.Add(-h.n.Load())
	case refs < 0:
		panic("admission: Hold released more often than held")
	}
}

// Held is what h has taken, in bytes.
func (h *Hold) Held() int64 {
	if h == nil {
		return 0
	}
	return h.n.Load()
}
