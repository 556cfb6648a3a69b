package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// fetchLoad lets queueFull refuse a burst of misses before each one buffers
// its source only to be refused at admission: fetching counts requests that
// passed queueFull and are reading or probing their source, not yet at
// admission; avgCost is a moving average of admitted costs (in 1/1024 cost
// units).
type fetchLoad struct {
	fetching atomic.Int64
	avgCost  atomic.Int64
}

// provisionQueue builds the handler's transform queue: Workers x 25
// megapixels in flight, QueueMegapixels waiting.
func (h *Handler) provisionQueue() error {
	running := h.Workers * 25
	if h.QueueMegapixels < running {
		// The queue must hold what the workers may run at once, or a
		// request the limits allow could never wait for a worker.
		return fmt.Errorf("matte: queue_megapixels %d is below what %d workers run at once (%d workers × 25 MP = %d): raise it to at least %d or lower workers",
			h.QueueMegapixels, h.Workers, h.Workers, running, running)
	}
	pool, err := admission.New(admission.Config{Capacity: int64(running), MaxQueueCost: int64(h.QueueMegapixels)})
	if err != nil {
		return fmt.Errorf("matte: queue: %w", err)
	}
	h.guard.admit = pool
	h.guard.load = &fetchLoad{}
	h.guard.buffered = admission.NewBudget(h.MaxBufferedBytes)
	h.app.TrackAdmission(pool, h.guard.buffered)
	return nil
}

// errBuffersFull ends a read that would take the handler's requests past
// max_buffered_bytes; the request is answered with buffersFull's 503.
var errBuffersFull = errors.New("matte: max_buffered_bytes reached")

// holdBytes starts a request's share of max_buffered_bytes. The caller
// releases it when the request ends, and passes it to every read that
// buffers a source, an API body or a layer image for the request.
func (h *Handler) holdBytes() *admission.Hold { return h.guard.buffered.Hold() }

// bytesHold is req's hold, started at its first use (serveImage releases
// it): a request served from the cache reads nothing and makes none.
func (h *Handler) bytesHold(req *imageRequest) *admission.Hold {
	if req.hold == nil {
		req.hold = h.holdBytes()
	}
	return req.hold
}

// buffersFull is the 503 of a request refused because the handler's
// requests hold max_buffered_bytes already: the queue's own answer, as
// both say the server has more work in hand than it takes, with its own
// cause (buffersFullError) for the log.
func (h *Handler) buffersFull() error {
	err := overloaded(h.guard.admit.RetryAfter()).(*params.Error)
	err.Cause = buffersFullError{err.Cause.(overloadError)}
	return err
}

// buffersFullError is the cause of buffersFull's 503: an overloadError
// (errors.As finds it, for Retry-After and the rate units given back)
// that is errBuffersFull (errors.Is) and says so, not "queue full".
type buffersFullError struct{ overload overloadError }

func (buffersFullError) Error() string        { return errBuffersFull.Error() }
func (e buffersFullError) Unwrap() error      { return e.overload }
func (buffersFullError) Is(target error) bool { return target == errBuffersFull }

// reserveFor is a fetch.Request.Reserve that takes the body's bytes from
// hold, refusing with buffersFull past the budget.
func (h *Handler) reserveFor(hold *admission.Hold) func(int64) error {
	return func(n int64) error {
		if hold.Take(n) {
			return nil
		}
		return h.buffersFull()
	}
}

// takeOrFull takes n bytes from hold, or fails with errBuffersFull past
// the budget: an admission.Reader's Take.
func takeOrFull(hold *admission.Hold) func(n int64) error {
	return func(n int64) error {
		if !hold.Take(n) {
			return errBuffersFull
		}
		return nil
	}
}

// sourceHoldsKey is the context key of withSourceHolds.
type sourceHoldsKey struct{}

// withSourceHolds is ctx carrying the holds that count a transform's
// source in max_buffered_bytes. A detector's or model's input made from
// that source may run in a cache flight that outlives the transform (its
// request left; another waits for the same faces or matte): the flight's
// context keeps ctx's values, and holdingSource keeps the bytes counted
// while the input reads them.
func withSourceHolds(ctx context.Context, holds ...*admission.Hold) context.Context {
	return context.WithValue(ctx, sourceHoldsKey{}, holds)
}

// holdingSource runs fn with the holds ctx carries (withSourceHolds;
// none: nothing) retained, and releases them however fn ends, a panic
// included (a cache flight recovers it; the bytes must not stay counted).
func holdingSource(ctx context.Context, fn func() error) error {
	holds, _ := ctx.Value(sourceHoldsKey{}).([]*admission.Hold)
	for _, h := range holds {
		h.Retain()
	}
	defer func() {
		for _, h := range holds {
			h.Release()
		}
	}()
	return fn()
}

// admit reserves a megapixel-weighted slot in the transform queue; past the
// queue limit it answers 503 with Retry-After at once. frames is the
// request's FramesDecoded: an animation, or a still of one of its frames,
// weighs every frame the decoder composes for it, from the source's first
// (a GIF's or WebP's frame N is drawn over the N-1 before it), not the
// frames it shows.
func (h *Handler) admit(ctx context.Context, info transform.Source, frames int) (func(), error) {
	cost := admission.Cost(info.Width, info.Height*max(frames, 1))
	for avg := &h.guard.load.avgCost; ; { // avg += (cost - avg) / 8
		old := avg.Load()
		next := old + (cost<<10-old)/8
		if old == 0 {
			next = cost << 10
		}
		if avg.CompareAndSwap(old, next) {
			break
		}
	}
	release, err := h.guard.admit.Acquire(ctx, cost)
	if errors.Is(err, admission.ErrQueueFull) {
		return nil, overloaded(h.guard.admit.RetryAfter())
	}
	return release, err
}

// queueFull reports, before the source is fetched, that the transform queue
// is past its limit, counting the requests still fetching their sources at
// the recent average cost, so the request is refused without buffering.
// cost is this request's own when known before the fetch (a memo of the
// source: admission.Cost of its size, one frame), 0 when not: it is then
// counted at the average too. A true answer is a refusal: it is counted in
// the pool's Rejected, so the caller must answer 503.
func (h *Handler) queueFull(cost int64) bool {
	if h.QueueMegapixels <= 0 {
		return false
	}
	st := h.guard.admit.Stats()
	l := h.guard.load
	// Each request fetching ahead of this one is counted as a job of the
	// recent average cost (at least 1, at most Capacity: the pool clamps
	// it). The first of them take what the workers have free, whole jobs
	// only, as the pool runs a job at once when it fits; the rest wait. This
	// request is refused when it would wait too, and its cost would take
	// the queue past its limit, as the pool's Acquire would decide.
	avg := max(min(l.avgCost.Load()>>10, st.Capacity), 1)
	runsAtOnce := int64(0)
	if st.Queued == 0 { // else the queue's head takes what frees first
		runsAtOnce = max(st.Capacity-st.InFlight, 0) / avg
	}
	own := avg
	if cost > 0 {
		own = max(min(cost, st.Capacity), 1)
	}
	ahead := l.fetching.Load()
	if ahead < runsAtOnce || st.QueuedCost+(ahead-runsAtOnce)*avg+own <= int64(h.QueueMegapixels) {
		return false
	}
	h.guard.admit.Refused()
	return true
}

// startFetch counts a request that passed queueFull until done is called
// (at most once takes effect).
func (h *Handler) startFetch() (done func()) {
	l := h.guard.load
	l.fetching.Add(1)
	return sync.OnceFunc(func() { l.fetching.Add(-1) })
}

type overloadError struct{ retryAfter time.Duration }

func (e overloadError) Error() string { return "matte: queue full" }

func overloaded(retry time.Duration) error {
	return &params.Error{Status: http.StatusServiceUnavailable, Code: "overloaded", Title: "Overloaded",
		Detail: "Too many images are waiting to be processed; try again shortly.", Cause: overloadError{retry}}
}

// retryAfterSeconds is the Retry-After for a 503.
func retryAfterSeconds(err error) string {
	var oe overloadError
	if errors.As(err, &oe) && oe.retryAfter > time.Second {
		return strconv.Itoa(int(oe.retryAfter.Seconds() + 0.5))
	}
	return "1"
}
