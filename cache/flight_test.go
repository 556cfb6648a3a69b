package cache

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/testwait"
)

type contextT = context.Context

func bg() context.Context { return context.Background() }

func flightRefs(c *Cache, ns, key string) int {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	if f := c.flights[memKey(ns, key)]; f != nil {
		return f.refs
	}
	return 0
}

// gatedFill is a FillFunc that closes started, waits for release, records
// in ctxErr whether its context had ended by then, and fills "v".
func gatedFill(started, release chan struct{}, ctxErr *atomic.Value) FillFunc {
	return func(ctx context.Context) (Entry, bool, error) {
		close(started)
		<-release
		if err := ctx.Err(); err != nil {
			ctxErr.Store(err)
		}
		return Entry{Value: []byte("v")}, true, nil
	}
}

func TestDoCoalesces(t *testing.T) {
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			o := Options{}
			if mode == "disk" {
				o = Options{MemoryMaxBytes: -1, DiskPath: t.TempDir()}
			}
			c := newCache(t, o)
			const n = 50
			var calls atomic.Int32
			release := make(chan struct{})
			fn := func(ctx context.Context) (Entry, bool, error) {
				calls.Add(1)
				<-release
				return Entry{Value: []byte("value"), ContentType: "text/plain"}, true, nil
			}
			var wg sync.WaitGroup
			outs := make([]Outcome, n)
			errs := make([]error, n)
			vals := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e, out, err := c.Do(bg(), "result", "k", fn)
					outs[i], errs[i], vals[i] = out, err, string(e.Value)
				}()
			}
			testwait.For(t, "all callers to join", func() bool { return flightRefs(c, "result", "k") == n })
			close(release)
			wg.Wait()
			if calls.Load() != 1 {
				t.Fatalf("fn ran %d times", calls.Load())
			}
			executed, coalesced := 0, 0
			for i := range n {
				if errs[i] != nil || vals[i] != "value" {
					t.Fatalf("caller %d: %q %v", i, vals[i], errs[i])
				}
				if outs[i].Executed {
					executed++
				}
				if outs[i].Coalesced {
					coalesced++
				}
				if outs[i].Tier != TierNone {
					t.Fatalf("caller %d: tier %v", i, outs[i].Tier)
				}
			}
			if executed != 1 || coalesced != n-1 {
				t.Fatalf("executed=%d coalesced=%d", executed, coalesced)
			}
			s := c.Stats()
			if s.Executions != 1 || s.Coalesced != n-1 {
				t.Fatalf("stats %+v", s)
			}
			c.Flush()
			// The result was stored.
			e, out, err := c.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
				t.Fatal("fn called on a cached key")
				return Entry{}, false, nil
			})
			want := TierMemory
			if mode == "disk" {
				want = TierDisk
			}
			if err != nil || string(e.Value) != "value" || out.Tier != want || out.Executed || out.Coalesced {
				t.Fatalf("second Do: %q %+v %v", e.Value, out, err)
			}
		})
	}
}

func TestDoFirstCallerCancelled(t *testing.T) {
	c := newCache(t, Options{})
	started := make(chan struct{})
	release := make(chan struct{})
	var fnCtxErr atomic.Value
	fn := gatedFill(started, release, &fnCtxErr)
	type key struct{}
	ctx1, cancel1 := context.WithCancel(context.WithValue(bg(), key{}, "first"))
	res1 := make(chan error, 1)
	go func() {
		_, _, err := c.Do(ctx1, "result", "k", fn)
		res1 <- err
	}()
	<-started
	const others = 5
	var wg sync.WaitGroup
	got := make([]string, others)
	for i := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, out, err := c.Do(bg(), "result", "k", fn)
			if err != nil || !out.Coalesced {
				t.Errorf("waiter %d: %+v %v", i, out, err)
			}
			got[i] = string(e.Value)
		}()
	}
	testwait.For(t, "waiters", func() bool { return flightRefs(c, "result", "k") == others+1 })
	cancel1()
	if err := <-res1; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v, want its own context.Canceled", err)
	}
	close(release)
	wg.Wait()
	for i, v := range got {
		if v != "v" {
			t.Fatalf("waiter %d got %q", i, v)
		}
	}
	if err := fnCtxErr.Load(); err != nil {
		t.Fatalf("fn's context was cancelled although waiters remained: %v", err)
	}
}

func TestDoAllCallersCancelled(t *testing.T) {
	c := newCache(t, Options{})
	fnCancelled := make(chan error, 1)
	var sawValue atomic.Bool
	fn := func(ctx context.Context) (Entry, bool, error) {
		sawValue.Store(ctx.Value(ctxKey{}) == "v")
		<-ctx.Done()
		fnCancelled <- ctx.Err()
		return Entry{}, false, ctx.Err()
	}
	const n = 3
	var wg sync.WaitGroup
	cancels := make([]context.CancelFunc, n)
	for i := range n {
		ctx, cancel := context.WithCancel(context.WithValue(bg(), ctxKey{}, "v"))
		cancels[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.Do(ctx, "result", "k", fn); !errors.Is(err, context.Canceled) {
				t.Errorf("caller %d: %v", i, err)
			}
		}()
		testwait.For(t, "join", func() bool { return flightRefs(c, "result", "k") == i+1 })
	}
	for i := range n - 1 {
		cancels[i]()
	}
	select {
	case <-fnCancelled:
		t.Fatal("fn cancelled while one caller still waits")
	case <-time.After(50 * time.Millisecond):
	}
	cancels[n-1]()
	select {
	case err := <-fnCancelled:
		if !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fn's context not cancelled after all callers left")
	}
	wg.Wait()
	if !sawValue.Load() {
		t.Fatal("fn's context lost the first caller's values")
	}
	// A new caller starts a fresh flight.
	e, out, err := c.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
		return Entry{Value: []byte("new")}, true, nil
	})
	if err != nil || string(e.Value) != "new" || !out.Executed {
		t.Fatalf("%q %+v %v", e.Value, out, err)
	}
}

type ctxKey struct{}

func TestDoRechecksInsideFlight(t *testing.T) {
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			hooks := &testHooks{}
			o := Options{hooks: hooks}
			if mode == "disk" {
				o.MemoryMaxBytes, o.DiskPath = -1, t.TempDir()
			}
			c := newCache(t, o)
			// Between the caller's miss and the flight, another path stores
			// the value.
			hooks.beforeFlight = func() {
				c.Set("result", "k", Entry{Value: []byte("stored")})
				c.Flush()
			}
			e, out, err := c.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
				t.Error("fn called although the value was cached before the flight started")
				return Entry{Value: []byte("computed")}, true, nil
			})
			if err != nil || string(e.Value) != "stored" || out.Executed || out.Tier == TierNone {
				t.Fatalf("%q %+v %v", e.Value, out, err)
			}
			s := c.Stats()
			if s.FlightCacheHits != 1 || s.Executions != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func TestDoErrorsAndNoStoreNotCached(t *testing.T) {
	c := newCache(t, Options{DiskPath: t.TempDir()})
	boom := errors.New("boom")
	calls := 0
	for range 2 {
		_, out, err := c.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
			calls++
			return Entry{Value: []byte("partial")}, true, boom
		})
		if !errors.Is(err, boom) || !out.Executed {
			t.Fatalf("%+v %v", out, err)
		}
	}
	for range 2 {
		e, _, err := c.Do(bg(), "result", "nostore", func(context.Context) (Entry, bool, error) {
			calls++
			return Entry{Value: []byte("x")}, false, nil
		})
		if err != nil || string(e.Value) != "x" {
			t.Fatal(err)
		}
	}
	c.Flush()
	if calls != 4 {
		t.Fatalf("fn ran %d times, want 4", calls)
	}
	if _, _, ok := c.Get("result", "k"); ok {
		t.Fatal("error result cached")
	}
	if _, _, ok := c.Get("result", "nostore"); ok {
		t.Fatal("store=false result cached")
	}
}

func TestDoPanic(t *testing.T) {
	c := newCache(t, Options{})
	release := make(chan struct{})
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = c.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
				<-release
				panic("kaboom")
			})
		}()
	}
	testwait.For(t, "join", func() bool { return flightRefs(c, "result", "k") == n })
	close(release)
	wg.Wait()
	for i, err := range errs {
		var pe *PanicError
		if !errors.As(err, &pe) || pe.Value != "kaboom" || len(pe.Stack) == 0 {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if s := c.Stats(); s.Panics != 1 {
		t.Fatalf("Panics = %d", s.Panics)
	}
	if _, _, ok := c.Get("result", "k"); ok {
		t.Fatal("panic result cached")
	}
	// Goexit (e.g. t.FailNow inside fn) is reported, not a hang.
	_, _, err := c.Do(bg(), "result", "g", func(context.Context) (Entry, bool, error) {
		runtime.Goexit()
		return Entry{}, false, nil
	})
	if !errors.Is(err, ErrFillExited) {
		t.Fatal(err)
	}
	// nil cache: panics are recovered too.
	var nilc *Cache
	if _, _, err := nilc.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) { panic(1) }); err == nil {
		t.Fatal("nil cache: panic not turned into an error")
	}
}

// A purge while fn runs means fn may have used purged data: its result is
// returned but not stored.
func TestDoResultNotStoredAfterPurge(t *testing.T) {
	c := newCache(t, Options{DiskPath: t.TempDir()})
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		e, _, err := c.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
			close(started)
			<-release
			return Entry{Value: []byte("stale"), Tag: "src"}, true, nil
		})
		if err == nil && string(e.Value) != "stale" {
			err = errors.New("wrong value")
		}
		done <- err
	}()
	<-started
	if err := c.PurgeTag("src"); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.Flush()
	if _, _, ok := c.Get("result", "k"); ok {
		t.Fatal("result computed across a purge was stored")
	}
	if c.Stats().StaleSkipped != 1 {
		t.Fatal("StaleSkipped")
	}
}

// A disk hit read before a purge is served to its caller but not copied
// into memory after the purge.
func TestPurgeDuringDiskReadIsNotUndone(t *testing.T) {
	hooks := &testHooks{}
	c := newCache(t, Options{DiskPath: t.TempDir(), hooks: hooks})
	g := newGate()
	t.Cleanup(g.open) // before the cache's Close, which a blocked Get holds up
	c.Set("result", "k", Entry{Value: []byte("old"), Tag: "src"})
	c.Flush()
	c.mem.del("result", "k")
	hooks.beforePromote = g.wait
	readAcrossPurge(t, c, g, func() error { return c.PurgeTag("src") }, TierDisk)
}

// readAcrossPurge reads result/k from c on another goroutine, which g stops
// between reading a lower tier and promoting what it read; purges with
// purge meanwhile; and checks that the read got its hit from want and that
// what it read was not promoted back over the purge.
func readAcrossPurge(t *testing.T, c *Cache, g *gate, purge func() error, want Tier) {
	t.Helper()
	got := make(chan Tier)
	go func() {
		_, tier, _ := c.Get("result", "k")
		got <- tier
	}()
	<-g.reached
	if err := purge(); err != nil {
		t.Fatal(err)
	}
	g.open()
	if tier := <-got; tier != want {
		t.Fatalf("the read that began before the purge: %v, want its hit from %v", tier, want)
	}
	if e, tier, ok := c.Get("result", "k"); ok {
		t.Fatalf("after the purge: %q from %v; the purged entry was promoted back", e.Value, tier)
	}
}

func TestDoCancelledBeforeStart(t *testing.T) {
	c := newCache(t, Options{})
	ctx, cancel := context.WithCancel(bg())
	cancel()
	_, _, err := c.Do(ctx, "result", "k", func(context.Context) (Entry, bool, error) {
		t.Error("fn called for a caller that already left")
		return Entry{}, false, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	// But a cached value is still returned.
	c.Set("result", "k", Entry{Value: []byte("v")})
	if e, _, err := c.Do(ctx, "result", "k", nil); err != nil || string(e.Value) != "v" {
		t.Fatal(err)
	}
}

// TestWait: Wait joins a flight in progress without a fill function of its
// own and keeps it alive when the leader leaves; with no flight it waits
// for nothing.
func TestWait(t *testing.T) {
	c := newCache(t, Options{})
	if _, _, ok, err := c.Wait(bg(), "result", "none"); ok || err != nil {
		t.Fatalf("Wait with no entry and no flight: ok %v, err %v", ok, err)
	}

	started, release := make(chan struct{}), make(chan struct{})
	var fnCtxErr atomic.Value
	fn := gatedFill(started, release, &fnCtxErr)
	leaderCtx, leave := context.WithCancel(bg())
	leader := make(chan error, 1)
	go func() { _, _, err := c.Do(leaderCtx, "result", "k", fn); leader <- err }()
	<-started
	waited := make(chan string, 1)
	go func() {
		e, out, ok, err := c.Wait(bg(), "result", "k")
		if !ok || err != nil || !out.Coalesced || out.Executed {
			t.Errorf("Wait on a flight: ok %v, %+v, err %v", ok, out, err)
		}
		waited <- string(e.Value)
	}()
	testwait.For(t, "the waiter to join", func() bool { return flightRefs(c, "result", "k") == 2 })
	if !c.Flying("result", "k") {
		t.Fatal("Flying is false during the flight")
	}
	leave()
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	close(release)
	if v := <-waited; v != "v" {
		t.Fatalf("waiter got %q", v)
	}
	if err := fnCtxErr.Load(); err != nil {
		t.Fatalf("fn's context was cancelled while Wait's caller remained: %v", err)
	}
	if c.Flying("result", "k") {
		t.Fatal("Flying after the flight ended")
	}
	if _, _, ok, err := c.Wait(bg(), "result", "k"); ok || err != nil {
		t.Fatalf("Wait after the flight: ok %v, err %v; want nothing to wait for", ok, err)
	}
	if e, _, ok := c.Get("result", "k"); !ok || string(e.Value) != "v" {
		t.Fatalf("the flight's entry was not stored: %q, %v", e.Value, ok)
	}

	// A waiter whose context ends leaves; the flight goes on for the leader.
	started, release = make(chan struct{}), make(chan struct{})
	fn = gatedFill(started, release, &fnCtxErr)
	leader2 := make(chan string, 1)
	go func() { e, _, _ := c.Do(bg(), "result", "k2", fn); leader2 <- string(e.Value) }()
	<-started
	ctx, cancel := context.WithCancel(bg())
	cancel()
	if _, _, ok, err := c.Wait(ctx, "result", "k2"); !ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Wait: ok %v, err %v", ok, err)
	}
	close(release)
	if v := <-leader2; v != "v" {
		t.Fatalf("leader got %q", v)
	}
}
