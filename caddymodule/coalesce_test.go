package caddymodule

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jebosio/matte/internal/testwait"
)

// joined is how many callers have joined the running call for key (0 when
// none runs).
func joined[T any](g *callGroup[T], key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.calls[key]; c != nil {
		return c.waiters
	}
	return 0
}

// startWaiters starts n callers of g.do(ctx, "k") once the leader's fn is
// running, and returns their results once all have returned.
func startWaiters(g *callGroup[int], ctx context.Context, n int, running <-chan struct{}) func() (vals []int, oks []bool) {
	<-running
	vals, oks := make([]int, n), make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals[i], _, oks[i] = g.do(ctx, "k", func() int { panic("a waiter ran fn") })
		}()
	}
	return func() ([]int, []bool) { wg.Wait(); return vals, oks }
}

func TestCallGroup(t *testing.T) {
	t.Run("waiters get the leader's value", func(t *testing.T) {
		g := new(callGroup[int])
		running, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int32
		go func() {
			v, led, ok := g.do(context.Background(), "k", func() int {
				calls.Add(1)
				close(running)
				<-release
				return 42
			})
			if v != 42 || !led || !ok {
				t.Errorf("leader: %d, %v, %v", v, led, ok)
			}
		}()
		wait := startWaiters(g, context.Background(), 8, running)
		testwait.For(t, "the waiters to join", func() bool { return joined(g, "k") == 8 })
		close(release)
		vals, oks := wait()
		for i := range vals {
			if vals[i] != 42 || !oks[i] {
				t.Fatalf("waiter %d: %d, %v; want 42, true", i, vals[i], oks[i])
			}
		}
		if calls.Load() != 1 {
			t.Fatalf("fn ran %d times", calls.Load())
		}
		// The key is forgotten once fn returned: the next call runs fn.
		if v, led, _ := g.do(context.Background(), "k", func() int { return 7 }); v != 7 || !led {
			t.Fatalf("after the call: %d, led %v; want a new call", v, led)
		}
	})
	t.Run("a waiter whose context ends leaves alone", func(t *testing.T) {
		g := new(callGroup[int])
		running, release := make(chan struct{}), make(chan struct{})
		leader := make(chan int)
		go func() {
			v, _, _ := g.do(context.Background(), "k", func() int { close(running); <-release; return 1 })
			leader <- v
		}()
		ctx, cancel := context.WithCancel(context.Background())
		wait := startWaiters(g, ctx, 1, running)
		stay := startWaiters(g, context.Background(), 1, running)
		testwait.For(t, "the waiters to join", func() bool { return joined(g, "k") == 2 })
		cancel()
		if vals, oks := wait(); vals[0] != 0 || oks[0] {
			t.Fatalf("cancelled waiter: %d, %v; want 0, false", vals[0], oks[0])
		}
		close(release)
		if v := <-leader; v != 1 {
			t.Fatalf("leader got %d", v)
		}
		if vals, oks := stay(); vals[0] != 1 || !oks[0] {
			t.Fatalf("remaining waiter: %d, %v; want 1, true", vals[0], oks[0])
		}
	})
	t.Run("a panic goes on in the leader only", func(t *testing.T) {
		g := new(callGroup[int])
		running, release := make(chan struct{}), make(chan struct{})
		recovered := make(chan any)
		go func() {
			defer func() { recovered <- recover() }()
			g.do(context.Background(), "k", func() int { close(running); <-release; panic(http.ErrAbortHandler) })
		}()
		wait := startWaiters(g, context.Background(), 4, running)
		testwait.For(t, "the waiters to join", func() bool { return joined(g, "k") == 4 })
		close(release)
		if p := <-recovered; p != http.ErrAbortHandler {
			t.Fatalf("leader recovered %v, want http.ErrAbortHandler", p)
		}
		vals, oks := wait()
		for i := range vals {
			if oks[i] {
				t.Fatalf("waiter %d: ok after the leader panicked", i)
			}
		}
		if _, led, _ := g.do(context.Background(), "k", func() int { return 0 }); !led {
			t.Fatal("the key outlived the panicked call")
		}
	})
}
