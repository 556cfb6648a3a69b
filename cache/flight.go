package cache

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// FillFunc computes the entry for a key that is not cached. ctx is detached
// from any single caller (it keeps the values of the caller that started the
// flight) and is cancelled only when every caller waiting for the result has
// given up. Return store=false to hand the entry to the waiting callers
// without caching it. Errors are never cached.
type FillFunc func(ctx context.Context) (e Entry, store bool, err error)

// Outcome tells a Do caller how its result was obtained.
type Outcome struct {
	// Tier is where the entry was found: TierMemory/TierDisk/TierShared
	// for a hit (before the flight, by the re-check inside it, or from
	// another process's flight), TierNone when fn produced it or on error. Use Tier.CacheStatus for X-Cache.
	Tier Tier
	// Executed is true for the one caller whose flight ran fn.
	Executed bool
	// Coalesced is true for callers that joined a flight started by another
	// caller and waited for its result.
	Coalesced bool
}

// PanicError is returned to every caller of a flight whose fn panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (p *PanicError) Error() string { return fmt.Sprintf("cache: fill function panicked: %v", p.Value) }

// ErrFillExited is returned when fn called runtime.Goexit (e.g. t.FailNow)
// instead of returning.
var ErrFillExited = errors.New("cache: fill function called runtime.Goexit")

// flight is one execution of fn shared by all callers of the same key.
type flight struct {
	done   chan struct{}
	cancel context.CancelFunc
	// Guarded by Cache.flightMu.
	refs     int
	finished bool
	// Written by the flight goroutine before done is closed.
	entry    Entry
	tier     Tier
	executed bool
	err      error
}

// Do returns the entry for ns/key, calling fn to produce it on a miss.
//
// Concurrent Do calls for the same key share one flight: fn runs once, in a
// goroutine of its own, and every caller gets its result. The cache is
// checked again inside the flight, so a value stored between a caller's miss
// and the flight's start is used without calling fn. A caller whose ctx ends
// first returns ctx.Err() at once, without affecting the others; fn's context
// is cancelled only when all callers have left. A successful result is stored
// (unless fn says store=false, or a Delete/Purge ran since the flight began,
// in which case it may be stale); errors are not stored. A panic in fn is
// recovered and returned to all callers as *PanicError.
//
// Callers must treat the returned Entry as read-only. On a nil *Cache, Do
// just calls fn (with panics recovered).
func (c *Cache) Do(ctx context.Context, ns, key string, fn FillFunc) (Entry, Outcome, error) {
	if c == nil {
		e, _, _, err := safeCall(ctx, fn)
		return e, Outcome{Executed: true}, err
	}
	if err := checkKey(ns, key); err != nil {
		return Entry{}, Outcome{}, err
	}
	if e, t, ok := c.Get(ns, key); ok {
		return e, Outcome{Tier: t}, nil
	}
	if err := ctx.Err(); err != nil {
		return Entry{}, Outcome{}, err
	}
	if h := c.hooks.beforeFlight; h != nil {
		h()
	}

	fk := memKey(ns, key)
	c.flightMu.Lock()
	f := c.flights[fk]
	leader := f == nil
	if leader {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		c.flights[fk] = f
		go c.runFlight(fctx, f, fk, ns, key, fn)
	} else {
		c.coalesced.Add(1)
	}
	f.refs++
	c.flightMu.Unlock()
	return c.await(ctx, fk, f, leader)
}

// Wait joins the flight (Do) filling ns/key, if there is one, as one more
// coalesced caller, and returns its result: the caller keeps the flight
// alive like any other (fn's context is cancelled only when all callers
// have left). ok is false when no flight for the key is running here:
// nothing was waited for, and the cache was not looked at (a flight that
// has just finished has stored its entry, for Get or Do to find). It is for
// a caller that knows the key but lacks what fn would need, such as the
// source of a result whose key it has from a memo.
//
// Only this process's flights are joined; a flight on another node of the
// shared tier is not seen.
func (c *Cache) Wait(ctx context.Context, ns, key string) (_ Entry, _ Outcome, ok bool, _ error) {
	if c == nil {
		return Entry{}, Outcome{}, false, nil
	}
	fk := memKey(ns, key)
	c.flightMu.Lock()
	f := c.flights[fk]
	if f == nil {
		c.flightMu.Unlock()
		return Entry{}, Outcome{}, false, nil
	}
	c.coalesced.Add(1)
	f.refs++
	c.flightMu.Unlock()
	e, out, err := c.await(ctx, fk, f, false)
	return e, out, true, err
}

// Flying reports whether a flight (Do) for ns/key is running here now.
func (c *Cache) Flying(ns, key string) bool {
	if c == nil {
		return false
	}
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	return c.flights[memKey(ns, key)] != nil
}

// await waits for flight f (its caller already counted in f.refs) or for
// ctx, whichever ends first.
func (c *Cache) await(ctx context.Context, fk string, f *flight, leader bool) (Entry, Outcome, error) {
	out := Outcome{Coalesced: !leader}
	select {
	case <-f.done:
	case <-ctx.Done():
		select {
		case <-f.done: // finished at the same time: use the result
		default:
			c.leave(fk, f)
			return Entry{}, out, ctx.Err()
		}
	}
	out.Tier = f.tier
	out.Executed = leader && f.executed
	return f.entry, out, f.err
}

// leave drops a caller that gave up; the last one out cancels fn's context
// and forgets the flight, so later callers start a fresh one.
func (c *Cache) leave(fk string, f *flight) {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	f.refs--
	if f.refs == 0 && !f.finished {
		f.cancel()
		if c.flights[fk] == f {
			delete(c.flights, fk)
		}
	}
}

func (c *Cache) runFlight(ctx context.Context, f *flight, fk, ns, key string, fn FillFunc) {
	defer f.cancel()
	f.err = ErrFillExited // replaced unless fn calls runtime.Goexit
	defer func() {
		// Runs even on runtime.Goexit. Stores are already done, so callers
		// arriving after the flight is forgotten find the entry cached.
		c.flightMu.Lock()
		f.finished = true
		if c.flights[fk] == f {
			delete(c.flights, fk)
		}
		c.flightMu.Unlock()
		close(f.done)
	}()

	epoch := c.purges.epoch.Load()
	if c.begin() {
		e, t, ok := c.lookup(ns, key, false, false)
		c.end()
		if ok {
			c.flightHits.Add(1)
			f.entry, f.tier, f.err = e, t, nil
			return
		}
	}

	// Cluster-wide: win the lease, or wait for its holder's entry.
	// release(unshared): see Shared.Acquire.
	release := func(bool) {}
	exited := true // until fn returns
	if c.shared != nil {
		e, ok, rel, err := c.clusterFlight(ctx, epoch, ns, key)
		switch {
		case err != nil:
			f.err = err
			return
		case ok:
			f.entry, f.tier, f.err = e, TierShared, nil
			return
		case rel != nil:
			release = rel
			// When fn calls runtime.Goexit only deferred calls run: this
			// one releases the lease, which would otherwise be renewed
			// for as long as the process lives. Once fn has returned,
			// the code below releases it, exactly once, on each path
			// (after the shared write, when the result is stored).
			defer func() {
				if exited {
					rel(false)
				}
			}()
		}
	}

	c.executions.Add(1)
	f.executed = true
	e, store, panicked, err := safeCall(ctx, fn)
	exited = false
	if panicked {
		c.panics.Add(1)
	}
	if err != nil {
		release(false) // a waiter takes over: it may succeed
		f.entry, f.err = Entry{}, err
		return
	}
	if !c.valid(ns, key, &e) {
		store = false
	}
	f.entry, f.err = e, nil
	if store {
		c.storeFlight(ns, key, e, epoch, release)
	} else {
		release(true) // not to be stored: every waiter computes its own
	}
}

// storeFlight stores a flight's result unless a purge ran since the flight
// began (the result may have been computed from purged data). release runs
// once the shared write is done (or at once when nothing is stored), told
// whether the result stayed out of the shared tier: not when it was not
// written because of a purge or Close (a waiter takes over and computes a
// result that is stored).
func (c *Cache) storeFlight(ns, key string, e Entry, epoch uint64, release func(unshared bool)) {
	if !c.begin() {
		release(false)
		return
	}
	defer c.end()
	c.purges.mu.RLock()
	defer c.purges.mu.RUnlock()
	if !c.current(epoch) {
		c.staleSkipped.Add(1)
		release(false)
		return
	}
	c.store(ns, key, e, func(stored bool) { release(!stored) })
}

func safeCall(ctx context.Context, fn FillFunc) (e Entry, store, panicked bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, store, panicked, err = Entry{}, false, true, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	e, store, err = fn(ctx)
	return e, store, false, err
}
