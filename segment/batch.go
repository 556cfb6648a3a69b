package segment

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Batching (Options.MaxBatch > 1, batchable models only).
//
// The first call to arrive opens a batch and waits up to BatchWait for
// others; the batch closes when it is full or the wait ends, and runs as
// one inference in one Pool slot. Every call then waits for its own result
// or its own context, whichever comes first: a call whose context ends
// returns ctx.Err() at once, whether or not the runner has claimed its item
// yet. The runner works on copies (it copies the image when it claims the
// item and the mask when it delivers, each under the item's lock), so a
// call that has returned is never read or written again; its result is
// discarded. The inference itself is aborted only when every call of the
// batch has given up.
//
// On CPU, one batch of n costs about n single runs (ORT already spreads
// one run over the intra-op threads), so it mostly adds BatchWait; on a
// GPU, a batch fills the device better. bench/ measures both before a
// default changes.

// batch is a group of calls run as one inference.
type batch struct {
	items []*batchItem
	full  chan struct{} // closed when the batch reached MaxBatch
}

// batchItem is one Segment call in a batch. The caller's rgb and mask are
// touched by the runner only under mu and only while over is false; over
// is set, under mu, by the runner when it delivers and by the caller when
// it returns without a result.
type batchItem struct {
	ctx context.Context

	mu        sync.Mutex
	rgb, mask []byte     // the caller's
	claimed   bool       // the runner copied rgb: the item is in the run
	over      bool       // delivered, or the caller has gone
	done      chan error // buffered, sent on once (under mu): the runner never blocks
}

// claim copies the image of a caller still waiting and reports whether it
// takes part in the run.
func (it *batchItem) claim() ([]byte, bool) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.over || it.claimed {
		return nil, false
	}
	it.claimed = true
	return append([]byte(nil), it.rgb...), true
}

// deliver hands err and, when err is nil, mask to a caller that has not
// gone; a caller that has gone drops them.
func (it *batchItem) deliver(mask []byte, err error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.over {
		return
	}
	if err == nil {
		copy(it.mask, mask)
	}
	it.over = true
	it.done <- err
}

// leave is the caller giving up: after it, the runner neither reads nor
// writes the caller's buffers. It returns the result instead when the
// runner delivered first.
func (it *batchItem) leave(cause error) error {
	it.mu.Lock()
	defer it.mu.Unlock()
	select {
	case err := <-it.done:
		return err
	default:
	}
	it.over = true
	return cause
}

// segmentBatched joins (or opens) the pending batch and waits for its mask.
func (s *Session) segmentBatched(ctx context.Context, mask, rgb []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	it := &batchItem{ctx: ctx, rgb: rgb, mask: mask, done: make(chan error, 1)}
	s.batchMu.Lock()
	b := s.pending
	opened := b == nil
	if opened {
		b = &batch{full: make(chan struct{})}
		s.pending = b
	}
	b.items = append(b.items, it)
	if len(b.items) >= s.opts.MaxBatch {
		s.pending = nil
		close(b.full)
	}
	s.batchMu.Unlock()
	if opened {
		go s.collect(b)
	}

	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return it.leave(ctx.Err())
	}
}

// collect closes b when it is full or BatchWait has passed, then runs it.
func (s *Session) collect(b *batch) {
	t := time.NewTimer(s.opts.BatchWait)
	select {
	case <-b.full:
	case <-t.C:
	}
	t.Stop()
	s.batchMu.Lock()
	if s.pending == b {
		s.pending = nil
	}
	items := b.items // no call joins b any more
	s.batchMu.Unlock()

	// The run's context ends when every caller has given up.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var left atomic.Int32
	left.Store(int32(len(items)))
	for _, it := range items {
		stop := context.AfterFunc(it.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}

	err := s.pooled(ctx, func() error {
		// Claim the callers still waiting; only they are run.
		var live []*batchItem
		var rgbs [][]byte
		for _, it := range items {
			if rgb, ok := it.claim(); ok {
				live, rgbs = append(live, it), append(rgbs, rgb)
			}
		}
		if len(live) == 0 {
			return context.Canceled
		}
		masks := make([][]byte, len(live))
		for i, it := range live {
			masks[i] = make([]byte, len(it.mask)) // len is fixed at the call
		}
		run := s.run
		if s.runBatch != nil {
			run = s.runBatch
		}
		err := run(ctx, masks, rgbs)
		for i, it := range live {
			it.deliver(masks[i], err)
		}
		return nil
	})
	if err != nil {
		// The pool refused or the wait ended before the run: nobody was
		// claimed, so every caller still waiting gets err.
		for _, it := range items {
			it.deliver(nil, err)
		}
	}
}
