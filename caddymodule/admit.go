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
//
// Identical requests are one job: with a result cache they coalesce into
// one flight, so only the first of a work identity (workID) in flight is
// counted, and the others are not refused for the queue it fills (50
// identical misses are one transform, not 50 megapixel loads; admission
// still bounds the flight's leader). inFlight maps each identity to the
// requests holding it, from join until their leave; mu guards it.
type fetchLoad struct {
	fetching atomic.Int64
	avgCost  atomic.Int64

	mu       sync.Mutex
	inFlight map[string]int
}

// join registers a request of work identity id for its lifetime and
// reports whether another request of that identity is already in flight;
// the caller calls leave when it is done. An empty id (work that does not
// coalesce) is never a duplicate.
func (l *fetchLoad) join(id string) (duplicate bool, leave func()) {
	if id == "" {
		return false, func() {}
	}
	l.mu.Lock()
	n := l.inFlight[id]
	if l.inFlight == nil {
		l.inFlight = make(map[string]int)
	}
	l.inFlight[id] = n + 1
	l.mu.Unlock()
	return n > 0, sync.OnceFunc(func() {
		l.mu.Lock()
		if l.inFlight[id]--; l.inFlight[id] <= 0 {
			delete(l.inFlight, id)
		}
		l.mu.Unlock()
	})
}

// provisionQueue builds the handler's transform queue: Workers x 25
// megapixels in flight, QueueMegapixels waiting.
func (h *Handler) provisionQueue() error {
	pool, err := admission.New(admission.Config{Capacity: int64(h.Workers) * 25, MaxQueueCost: int64(h.QueueMegapixels)})
	if err != nil {
		return fmt.Errorf("matte: queue: %w", err)
	}
	h.guard.admit = pool
	h.guard.load = &fetchLoad{}
	h.app.TrackAdmission(pool)
	return nil
}

// admit reserves a megapixel-weighted slot in the transform queue; past the
// queue limit it answers 503 with Retry-After at once.
func (h *Handler) admit(ctx context.Context, info transform.Source) (func(), error) {
	cost := admission.Cost(info.Width, info.Height)
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
// the recent average cost, so the request is refused without buffering. A
// true answer is a refusal: it is counted in the pool's Rejected, so the
// caller must answer 503.
func (h *Handler) queueFull() bool {
	if h.QueueMegapixels <= 0 {
		return false
	}
	st := h.guard.admit.Stats()
	l := h.guard.load
	expected := st.QueuedCost + l.fetching.Load()*l.avgCost.Load()>>10
	if expected < int64(h.QueueMegapixels) {
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

// joinWork registers req's work identity (fetchLoad.join) for the rest of
// the request: duplicate is true when an identical request is already in
// flight and will be coalesced with, so req adds nothing to the queue's
// expected load. Without a result cache nothing coalesces, and no request
// is a duplicate.
func (h *Handler) joinWork(req *imageRequest) (duplicate bool, leave func()) {
	if h.cache == nil {
		return false, func() {}
	}
	id := req.srcID + "\x00" + req.Params.Key() + "\x00" + req.Extras.Key()
	if req.Params.AutoFormat {
		id += "\x00" + req.r.Header.Get("Accept")
	}
	return h.guard.load.join(id)
}

type overloadError struct{ retryAfter time.Duration }

func (e overloadError) Error() string { return "matte: transform queue full" }

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
