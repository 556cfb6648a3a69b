package segment

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrQueueFull is returned when an inference would have to wait and the
// pool's queue is already full. The handler should answer 503 with a
// Retry-After header (Pool.RetryAfter gives a hint).
var ErrQueueFull = errors.New("segment: inference queue full")

// Pool bounds how many inferences run at once, across every Session that
// shares it, and how many may wait. One pool per process (or per CPU set)
// is the intended use.
//
// CPU budget: each running inference uses up to Options.IntraOpThreads
// threads (more with InterOpThreads > 1), so the busy threads are about
// MaxConcurrent × IntraOpThreads. Keep that at or below the number of cores
// left for the model: above it, threads time-slice and every request gets
// slower without any gain in throughput. DefaultIntraOpThreads and
// DefaultMaxConcurrent pick values that fit runtime.NumCPU().
type Pool struct {
	sem      chan struct{}
	maxQueue int64

	queued    atomic.Int64
	running   atomic.Int64
	completed atomic.Uint64
	rejected  atomic.Uint64
	canceled  atomic.Uint64
	avgNanos  atomic.Int64 // moving average of run durations
	batches   [len(BatchBounds) + 1]atomic.Uint64
	images    atomic.Uint64
}

// BatchBounds are the upper bounds of BatchSizes' buckets.
var BatchBounds = [...]int{1, 2, 4, 8, 16, 32}

// BatchSizes counts the model runs of a Pool's sessions by the images in
// each run (1 unless Options.MaxBatch > 1 batches concurrent calls).
type BatchSizes struct {
	// Buckets[i] counts the runs of more than BatchBounds[i-1] and at most
	// BatchBounds[i] images; the last counts those above every bound.
	Buckets [len(BatchBounds) + 1]uint64
	// Runs and Images are the totals.
	Runs, Images uint64
}

// countBatch records one model run of n images.
func (p *Pool) countBatch(n int) {
	i := 0
	for i < len(BatchBounds) && n > BatchBounds[i] {
		i++
	}
	p.batches[i].Add(1)
	p.images.Add(uint64(n))
}

// BatchSizes returns the runs counted so far. Runs is the sum of Buckets
// (read one by one while runs go on, so Images may be a run ahead).
func (p *Pool) BatchSizes() BatchSizes {
	var b BatchSizes
	for i := range p.batches {
		b.Buckets[i] = p.batches[i].Load()
		b.Runs += b.Buckets[i]
	}
	b.Images = p.images.Load()
	return b
}

// PoolStats is a snapshot of a Pool's gauges and counters.
type PoolStats struct {
	MaxConcurrent int
	MaxQueue      int
	Running       int    // inferences running now
	Queued        int    // inferences waiting for a slot now
	Completed     uint64 // runs finished (with or without error)
	Rejected      uint64 // ErrQueueFull answers
	Canceled      uint64 // waiters whose context ended while queued
	AvgRun        time.Duration
}

// DefaultIntraOpThreads is the intra-op thread count used when
// Options.IntraOpThreads is 0: every core up to 4 (ORT's own default is
// one thread per physical core, which oversubscribes as soon as two
// inferences run together).
func DefaultIntraOpThreads() int {
	return min(max(runtime.NumCPU(), 1), 4)
}

// DefaultMaxConcurrent is the number of concurrent inferences that keeps
// MaxConcurrent × intraOpThreads within runtime.NumCPU(): 1 on a 2-core box
// with 2 intra-op threads.
func DefaultMaxConcurrent(intraOpThreads int) int {
	if intraOpThreads < 1 {
		intraOpThreads = DefaultIntraOpThreads()
	}
	return max(runtime.NumCPU()/intraOpThreads, 1)
}

// NewPool returns a pool running at most maxConcurrent inferences with at
// most maxQueue more waiting. maxConcurrent < 1 means
// DefaultMaxConcurrent(0); maxQueue < 0 means 4 × maxConcurrent; maxQueue 0
// means no waiting at all (reject when every slot is busy).
func NewPool(maxConcurrent, maxQueue int) *Pool {
	if maxConcurrent < 1 {
		maxConcurrent = DefaultMaxConcurrent(0)
	}
	if maxQueue < 0 {
		maxQueue = 4 * maxConcurrent
	}
	return &Pool{sem: make(chan struct{}, maxConcurrent), maxQueue: int64(maxQueue)}
}

// Do runs fn once a slot is free. It returns ErrQueueFull at once when no
// slot is free and maxQueue callers already wait, and ctx.Err() when ctx
// ends while waiting (fn then never runs). fn's error is returned as is.
func (p *Pool) Do(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.sem <- struct{}{}:
	default:
		if p.queued.Add(1) > p.maxQueue {
			p.queued.Add(-1)
			p.rejected.Add(1)
			return ErrQueueFull
		}
		select {
		case p.sem <- struct{}{}:
			p.queued.Add(-1)
		case <-ctx.Done():
			p.queued.Add(-1)
			p.canceled.Add(1)
			return ctx.Err()
		}
		// Both cases may have been ready: do not start work nobody waits for.
		if err := ctx.Err(); err != nil {
			<-p.sem
			p.canceled.Add(1)
			return err
		}
	}
	p.running.Add(1)
	start := time.Now()
	defer func() {
		p.observe(time.Since(start))
		p.running.Add(-1)
		p.completed.Add(1)
		<-p.sem
	}()
	return fn()
}

func (p *Pool) observe(d time.Duration) {
	for {
		old := p.avgNanos.Load()
		nw := int64(d)
		if old != 0 {
			nw = old + (int64(d)-old)/8
		}
		if p.avgNanos.CompareAndSwap(old, nw) {
			return
		}
	}
}

// Stats returns the current gauges and counters.
func (p *Pool) Stats() PoolStats {
	return PoolStats{
		MaxConcurrent: cap(p.sem),
		MaxQueue:      int(p.maxQueue),
		Running:       int(p.running.Load()),
		Queued:        int(p.queued.Load()),
		Completed:     p.completed.Load(),
		Rejected:      p.rejected.Load(),
		Canceled:      p.canceled.Load(),
		AvgRun:        time.Duration(p.avgNanos.Load()),
	}
}

// Full reports whether Do would answer ErrQueueFull now: every slot busy
// and maxQueue callers waiting. The answer may change at once; a caller
// uses it to refuse before preparing an inference's input, and Do still
// decides.
func (p *Pool) Full() bool {
	return len(p.sem) == cap(p.sem) && p.queued.Load() >= p.maxQueue
}

// Refused counts a request refused after Full, as Do counts its own
// refusals.
func (p *Pool) Refused() { p.rejected.Add(1) }

// RetryAfter estimates when a rejected request could be served: the time
// to drain the current queue at the average run time, at least 1 second.
func (p *Pool) RetryAfter() time.Duration {
	s := p.Stats()
	d := s.AvgRun * time.Duration(s.Queued+s.Running+1) / time.Duration(s.MaxConcurrent)
	return max(d.Round(time.Second), time.Second)
}
