package caddymodule

import (
	"context"
	"sync"
)

// callGroup coalesces concurrent calls with one key. The first caller (the
// leader) runs fn on its own goroutine, so fn may use the leader's own
// request, ResponseWriter and context; callers arriving while it runs wait
// for its value. Unlike x/sync's singleflight:
//   - a waiter whose ctx ends stops waiting at once (ok false), without
//     affecting the leader or the other waiters;
//   - a panic in fn (http.ErrAbortHandler from an aborted origin response)
//     goes on in the leader only: waiters get ok false and decide for
//     themselves, instead of re-panicking with the leader's panic.
//
// The key is forgotten when fn returns: a caller arriving after that starts
// a new call. The zero callGroup is ready to use.
type callGroup[T any] struct {
	mu    sync.Mutex
	calls map[string]*groupCall[T]
}

type groupCall[T any] struct {
	done    chan struct{} // closed once val and ok are final
	val     T
	ok      bool // fn returned (did not panic)
	waiters int  // callers that joined the leader (under the group's mu)
}

// do returns fn's value for key. led reports that this caller ran fn. ok
// is false for a waiter whose ctx ended first, or whose leader's fn
// panicked; val is then the zero T.
func (g *callGroup[T]) do(ctx context.Context, key string, fn func() T) (val T, led, ok bool) {
	g.mu.Lock()
	if c := g.calls[key]; c != nil {
		c.waiters++
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.val, false, c.ok
		case <-ctx.Done():
			return val, false, false
		}
	}
	if g.calls == nil {
		g.calls = make(map[string]*groupCall[T])
	}
	c := &groupCall[T]{done: make(chan struct{})}
	g.calls[key] = c
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(c.done)
	}()
	c.val = fn()
	c.ok = true
	return c.val, true, true
}
