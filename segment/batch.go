package segment

import (
	"context"
	"sync/atomic"
	"time"
)

// Batching (Options.MaxBatch > 1, batchable models only).
//
// The first call to arrive opens a batch and waits up to BatchWait for
// others; the batch closes when it is full or the wait ends, and runs as
// one inference in one Pool slot. Every call then waits for its own result
// or its own context, whichever comes first. A call that gives up is
// dropped from the batch's output (its mask is never written after it
// returned); the inference itself is aborted only when every call of the
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

// batchItem is one Segment call in a batch.
type batchItem struct {
	ctx  context.Context
	rgb  []byte
	mask []byte
	// state: itemWaiting, then itemClaimed by the runner (which will write
	// mask and send on done) or itemAbandoned by the caller (which has
	// returned and must not be written to).
	state atomic.Int32
	done  chan error // buffered: the runner never blocks
}

const (
	itemWaiting int32 = iota
	itemClaimed
	itemAbandoned
)

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
		if it.state.CompareAndSwap(itemWaiting, itemAbandoned) {
			return ctx.Err()
		}
		// The runner claimed the item first: it is writing the mask now.
		return <-it.done
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
		live := items[:0:0]
		for _, it := range items {
			if it.state.CompareAndSwap(itemWaiting, itemClaimed) {
				live = append(live, it)
			}
		}
		if len(live) == 0 {
			return context.Canceled
		}
		masks, rgbs := make([][]byte, len(live)), make([][]byte, len(live))
		for i, it := range live {
			masks[i], rgbs[i] = it.mask, it.rgb
		}
		err := s.run(ctx, masks, rgbs)
		for _, it := range live {
			it.done <- err
		}
		return nil
	})
	if err != nil {
		// The pool refused or the wait ended before the run: nobody was
		// claimed, so every caller still waiting gets err.
		for _, it := range items {
			if it.state.CompareAndSwap(itemWaiting, itemClaimed) {
				it.done <- err
			}
		}
	}
}
