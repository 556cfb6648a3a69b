package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// BreakerState is the circuit breaker's state.
type BreakerState int32

const (
	// BreakerClosed: operations go to Redis.
	BreakerClosed BreakerState = iota
	// BreakerOpen: operations are refused at once until a probe succeeds.
	BreakerOpen
)

func (s BreakerState) String() string {
	if s == BreakerOpen {
		return "open"
	}
	return "closed"
}

// breaker opens after threshold consecutive failures; while open, one
// goroutine probes every interval and closes it on the first success.
// Allow is one atomic load; record takes mu only to start the prober.
type breaker struct {
	threshold int32
	interval  time.Duration
	probe     func(ctx context.Context) error
	timeout   time.Duration
	onClose   func() // called (in the prober goroutine) when the breaker closes

	state atomic.Int32
	fails atomic.Int32
	opens atomic.Uint64

	mu      sync.Mutex
	probing bool
	stop    chan struct{}
}

func newBreaker(threshold int, interval, timeout time.Duration, probe func(context.Context) error) *breaker {
	return &breaker{threshold: int32(threshold), interval: interval, timeout: timeout, probe: probe, stop: make(chan struct{})}
}

func (b *breaker) allow() bool { return BreakerState(b.state.Load()) == BreakerClosed }

// record counts one operation's outcome.
func (b *breaker) record(failed bool) {
	if !failed {
		b.fails.Store(0)
		return
	}
	if b.fails.Add(1) < b.threshold {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.probing {
		return
	}
	select {
	case <-b.stop:
		return
	default:
	}
	b.state.Store(int32(BreakerOpen))
	b.opens.Add(1)
	b.probing = true
	go b.probeLoop()
}

func (b *breaker) probeLoop() {
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
		err := b.probe(ctx)
		cancel()
		if err != nil {
			continue
		}
		b.mu.Lock()
		b.fails.Store(0)
		b.state.Store(int32(BreakerClosed))
		b.probing = false
		b.mu.Unlock()
		if b.onClose != nil {
			b.onClose()
		}
		return
	}
}

func (b *breaker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
}

// Allow reports whether operations go to Redis.
func (s BreakerState) Allow() bool { return s == BreakerClosed }
