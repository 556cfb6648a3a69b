// Package admission bounds the work in flight: a Pool admits jobs whose
// costs (megapixel-weighted, see Cost) add up to at most its capacity, keeps
// a bounded FIFO queue of the jobs that must wait, and refuses at once
// (ErrQueueFull) what the queue cannot hold, so that the caller can answer
// 503 with Retry-After instead of piling up work.
//
// Fairness is strict FIFO: when the job at the head of the queue does not
// fit yet, the jobs behind it wait too, even small ones that would fit, so a
// big job is never starved by a stream of small ones. A job costlier than
// the capacity is clamped to it: it runs alone.
//
// A Budget bounds what the jobs hold before and while they run (the bytes
// of their sources), which their cost cannot say until a source is read:
// nothing waits for it, a Take past its limit is refused at once.
package admission

import (
	"container/list"
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ErrQueueFull is Acquire's answer when the job can neither run now nor
// wait: the queue is at its limit.
var ErrQueueFull = errors.New("admission: queue full")

// Config sizes a Pool.
type Config struct {
	// Capacity is the most cost units in flight (CPU slots, say, with Cost
	// counting one unit per megapixel). Must be positive.
	Capacity int64
	// MaxQueueCost bounds the total (clamped) cost of the waiting jobs. 0
	// means 4 × Capacity; a negative value means no queue at all (a job
	// that cannot run at once is refused). When positive it must be at
	// least Capacity, so that any job can wait.
	MaxQueueCost int64
	// MaxQueueLen bounds the number of waiting jobs; 0 means no bound but
	// MaxQueueCost's.
	MaxQueueLen int
	// Now is the clock for the hold-time average behind RetryAfter; nil
	// means time.Now.
	Now func() time.Time
}

// Stats is a snapshot of a Pool's state and counters.
type Stats struct {
	Capacity   int64
	InFlight   int64 // cost units held by running jobs
	Running    int   // running jobs
	Queued     int   // waiting jobs (queue depth)
	QueuedCost int64 // their total cost
	// Every Acquire call ends in exactly one of these three counters.
	Admitted uint64
	Rejected uint64 // ErrQueueFull answers
	Canceled uint64 // context ended before admission (while queued, or already on arrival)
}

// Pool is a weighted, FIFO, bounded admission controller. Its methods are
// safe for concurrent use.
type Pool struct {
	capacity int64
	maxQCost int64
	maxQLen  int
	now      func() time.Time

	mu         sync.Mutex
	inFlight   int64
	running    int
	queue      list.List // of *waiter
	queuedCost int64
	admitted   uint64
	rejected   uint64
	canceled   uint64
	avgHold    float64 // EWMA of hold times, seconds; 0 before the first release
}

type waiter struct {
	cost  int64
	ready chan struct{} // closed when admitted
}

// New returns a Pool for c.
func New(c Config) (*Pool, error) {
	if c.Capacity <= 0 {
		return nil, errors.New("admission: capacity must be positive")
	}
	if c.MaxQueueLen < 0 {
		return nil, errors.New("admission: negative queue length")
	}
	p := &Pool{capacity: c.Capacity, maxQCost: c.MaxQueueCost, maxQLen: c.MaxQueueLen, now: c.Now}
	switch {
	case p.maxQCost == 0:
		p.maxQCost = 4 * c.Capacity
		if p.maxQCost/4 != c.Capacity { // overflow
			p.maxQCost = math.MaxInt64
		}
	case p.maxQCost > 0 && p.maxQCost < c.Capacity:
		return nil, errors.New("admission: MaxQueueCost must be at least Capacity")
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Capacity is the pool's capacity in cost units.
func (p *Pool) Capacity() int64 { return p.capacity }

// clamp maps a requested cost into [1, Capacity].
func (p *Pool) clamp(cost int64) int64 {
	return max(1, min(cost, p.capacity))
}

// Acquire admits a job of the given cost (clamped to [1, Capacity]),
// waiting in FIFO order when the pool is busy. It returns ErrQueueFull at
// once when the job would have to wait and the queue is full, or ctx's
// error when ctx ends first (the job then leaves the queue). On success the
// caller must call release exactly once when the job is done; further calls
// do nothing.
func (p *Pool) Acquire(ctx context.Context, cost int64) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		p.mu.Lock()
		p.canceled++
		p.mu.Unlock()
		return nil, err
	}
	cost = p.clamp(cost)
	p.mu.Lock()
	if p.queue.Len() == 0 && p.inFlight+cost <= p.capacity {
		p.admitLocked(cost)
		p.mu.Unlock()
		return p.releaser(cost), nil
	}
	if !p.roomLocked(cost) {
		p.rejected++
		p.mu.Unlock()
		return nil, ErrQueueFull
	}
	w := &waiter{cost: cost, ready: make(chan struct{})}
	elem := p.queue.PushBack(w)
	p.queuedCost += cost
	p.mu.Unlock()

	select {
	case <-w.ready:
		return p.releaser(cost), nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	select {
	case <-w.ready:
		// Admitted while ctx ended: hand the units back.
		p.admitted--
		p.canceled++
		p.inFlight -= cost
		p.running--
		p.grantLocked()
	default:
		front := p.queue.Front() == elem
		p.queue.Remove(elem)
		p.queuedCost -= cost
		p.canceled++
		if front {
			// The new head may fit now.
			p.grantLocked()
		}
	}
	p.mu.Unlock()
	return nil, ctx.Err()
}

// TryAcquire admits the job only if it can run at once (the queue is empty
// and the units are free); it never waits and counts no rejection.
func (p *Pool) TryAcquire(cost int64) (release func(), ok bool) {
	cost = p.clamp(cost)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queue.Len() == 0 && p.inFlight+cost <= p.capacity {
		p.admitLocked(cost)
		return p.releaser(cost), true
	}
	return nil, false
}

func (p *Pool) roomLocked(cost int64) bool {
	if p.maxQCost < 0 {
		return false
	}
	if p.maxQLen > 0 && p.queue.Len() >= p.maxQLen {
		return false
	}
	return p.queuedCost+cost <= p.maxQCost
}

func (p *Pool) admitLocked(cost int64) {
	p.inFlight += cost
	p.running++
	p.admitted++
}

// grantLocked admits waiters from the head while the head fits.
func (p *Pool) grantLocked() {
	for e := p.queue.Front(); e != nil; e = p.queue.Front() {
		w := e.Value.(*waiter)
		if p.inFlight+w.cost > p.capacity {
			return
		}
		p.queue.Remove(e)
		p.queuedCost -= w.cost
		p.admitLocked(w.cost)
		close(w.ready)
	}
}

// holdWeight is the EWMA weight of the newest hold time.
const holdWeight = 0.2

func (p *Pool) releaser(cost int64) func() {
	start := p.now()
	var done atomic.Bool
	return func() {
		if !done.CompareAndSwap(false, true) {
			return
		}
		held := p.now().Sub(start).Seconds()
		p.mu.Lock()
		p.inFlight -= cost
		p.running--
		if p.avgHold == 0 {
			p.avgHold = held
		} else {
			p.avgHold += holdWeight * (held - p.avgHold)
		}
		p.grantLocked()
		p.mu.Unlock()
	}
}

// Refused counts a job the caller turned away on the pool's behalf before
// asking (a pre-check on the queue), so Stats.Rejected covers every refusal.
func (p *Pool) Refused() {
	p.mu.Lock()
	p.rejected++
	p.mu.Unlock()
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{
		Capacity:   p.capacity,
		InFlight:   p.inFlight,
		Running:    p.running,
		Queued:     p.queue.Len(),
		QueuedCost: p.queuedCost,
		Admitted:   p.admitted,
		Rejected:   p.rejected,
		Canceled:   p.canceled,
	}
}

// RetryAfter estimates how long until a new job could be admitted: the
// average hold time (a moving average over released jobs) times the work
// ahead (cost in flight plus cost queued) over the capacity, rounded up to
// whole seconds, at least one second. Meant for a Retry-After header next to
// ErrQueueFull's 503; it is an estimate, not a promise.
func (p *Pool) RetryAfter() time.Duration {
	p.mu.Lock()
	ahead := float64(p.inFlight + p.queuedCost)
	avg := p.avgHold
	p.mu.Unlock()
	secs := math.Ceil(avg * ahead / float64(p.capacity))
	if secs < 1 || math.IsNaN(secs) {
		secs = 1
	}
	if secs > 3600 {
		secs = 3600
	}
	return time.Duration(secs) * time.Second
}

// Cost is the admission cost of a width × height image: its megapixels
// (10⁶ pixels) rounded up, at least 1, so one 50 MP job counts as fifty
// 1 MP jobs. A non-positive dimension costs 1; the result never overflows.
func Cost(width, height int) int64 {
	if width <= 0 || height <= 0 {
		return 1
	}
	w, h := int64(width), int64(height)
	if w > math.MaxInt64/h {
		return math.MaxInt64 / 1_000_000
	}
	px := w * h
	mp := px / 1_000_000
	if px%1_000_000 != 0 {
		mp++
	}
	return max(mp, 1)
}
