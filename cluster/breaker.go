package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
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

// probeLogEvery is the least time between two logged probe failures of
// one outage (the first is logged at once): a wrong password fails every
// probe, and its cause must show without a line a second.
const probeLogEvery = time.Minute

// breaker opens after threshold consecutive failures; while open, one
// goroutine probes every interval and closes it on the first success.
// Allow is one atomic load; record takes mu only to start the prober.
//
// It logs why: the error that opened it, the probe's error (the first of
// an outage, then at most once per probeLogEvery) and the closing, so that
// a cause such as WRONGPASS or NOAUTH shows in the log, not only in
// matte_cache_shared_breaker_open.
type breaker struct {
	threshold int32
	interval  time.Duration
	probe     func(ctx context.Context) error
	timeout   time.Duration
	onClose   func() // called (in the prober goroutine) when the breaker closes
	logger    *zap.Logger
	logEvery  time.Duration // probeLogEvery; tests shorten it

	state atomic.Int32
	fails atomic.Int32
	opens atomic.Uint64

	mu      sync.Mutex
	probing bool
	stop    chan struct{}
}

func newBreaker(threshold int, interval, timeout time.Duration, probe func(context.Context) error, logger *zap.Logger) *breaker {
	return &breaker{threshold: int32(threshold), interval: interval, timeout: timeout, probe: probe, stop: make(chan struct{}),
		logger: logger, logEvery: probeLogEvery}
}

func (b *breaker) allow() bool { return BreakerState(b.state.Load()) == BreakerClosed }

// record counts one operation's outcome (err nil: a success); the
// failure that opens the breaker is logged with its error.
func (b *breaker) record(err error) {
	if err == nil {
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
	b.logger.Warn("cluster: redis failing, circuit breaker open (shared tier, leases and shared quota skipped until a probe succeeds)",
		zap.Error(err), zap.Int32("consecutive_failures", b.threshold))
	go b.probeLoop()
}

func (b *breaker) probeLoop() {
	t := time.NewTicker(b.interval)
	defer t.Stop()
	failed := 0
	var logged time.Time // when a probe failure was last logged
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
			failed++
			if now := time.Now(); logged.IsZero() || now.Sub(logged) >= b.logEvery {
				logged = now
				b.logger.Warn("cluster: redis probe failed, circuit breaker stays open",
					zap.Error(err), zap.Int("failed_probes", failed), zap.Duration("logged_at_most_every", b.logEvery))
			}
			continue
		}
		b.mu.Lock()
		b.fails.Store(0)
		b.state.Store(int32(BreakerClosed))
		b.probing = false
		b.mu.Unlock()
		b.logger.Info("cluster: redis answers again, circuit breaker closed", zap.Int("failed_probes", failed))
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
