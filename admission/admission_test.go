package admission

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/testwait"
)

func newPool(t *testing.T, c Config) *Pool {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustAcquire(t *testing.T, p *Pool, cost int64) func() {
	t.Helper()
	rel, err := p.Acquire(context.Background(), cost)
	if err != nil {
		t.Fatalf("Acquire(%d): %v", cost, err)
	}
	return rel
}

// enqueue starts an Acquire in the background and waits until it is
// queued; the result arrives on the returned channel.
type result struct {
	name    string
	release func()
	err     error
}

func enqueue(t *testing.T, p *Pool, ctx context.Context, name string, cost int64, out chan<- result) {
	t.Helper()
	before := p.Stats().Queued
	go func() {
		rel, err := p.Acquire(ctx, cost)
		out <- result{name, rel, err}
	}()
	testwait.For(t, name+" to queue", func() bool { return p.Stats().Queued == before+1 })
}

func assertIdle(t *testing.T, p *Pool) {
	t.Helper()
	s := p.Stats()
	if s.InFlight != 0 || s.Running != 0 || s.Queued != 0 || s.QueuedCost != 0 {
		t.Fatalf("pool not idle: %+v", s)
	}
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		want int64
	}{
		{0, 0, 1}, {-5, 100, 1}, {100, -1, 1}, {1, 1, 1},
		{1000, 1000, 1}, {1000, 1001, 2}, {1920, 1080, 3},
		{8000, 6250, 50}, {7071, 7071, 50}, {10000, 10000, 100},
		{math.MaxInt32, math.MaxInt32, 4611686014133}, // 4611686014132.42 MP
		{math.MaxInt, math.MaxInt, math.MaxInt64 / 1_000_000},
	} {
		if got := Cost(tc.w, tc.h); got != tc.want {
			t.Errorf("Cost(%d, %d) = %d, want %d", tc.w, tc.h, got, tc.want)
		}
	}
}

func TestNewValidation(t *testing.T) {
	for _, c := range []Config{{}, {Capacity: -1}, {Capacity: 4, MaxQueueCost: 3}, {Capacity: 4, MaxQueueLen: -1}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	p := newPool(t, Config{Capacity: math.MaxInt64})
	if p.maxQCost != math.MaxInt64 {
		t.Errorf("default queue cost overflowed: %d", p.maxQCost)
	}
}

func TestCapacityRespected(t *testing.T) {
	const capacity = 6
	p := newPool(t, Config{Capacity: capacity, MaxQueueCost: 1 << 20})
	var inUse, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			cost := int64(i%capacity + 1)
			rel, err := p.Acquire(context.Background(), cost)
			if err != nil {
				t.Error(err)
				return
			}
			now := inUse.Add(cost)
			for {
				old := peak.Load()
				if now <= old || peak.CompareAndSwap(old, now) {
					break
				}
			}
			if now > capacity {
				t.Errorf("in use %d > capacity", now)
			}
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			inUse.Add(-cost)
			rel()
		})
	}
	wg.Wait()
	assertIdle(t, p)
	if s := p.Stats(); s.Admitted != 200 || s.Rejected != 0 || s.Canceled != 0 {
		t.Fatalf("stats %+v", s)
	}
	if peak.Load() < 2 {
		t.Errorf("peak %d: jobs never overlapped", peak.Load())
	}
}

func TestFIFO(t *testing.T) {
	p := newPool(t, Config{Capacity: 4})
	holder := mustAcquire(t, p, 4)
	out := make(chan result, 8)
	enqueue(t, p, context.Background(), "big", 4, out)
	enqueue(t, p, context.Background(), "small1", 1, out)
	enqueue(t, p, context.Background(), "small2", 1, out)
	if s := p.Stats(); s.Queued != 3 || s.QueuedCost != 6 {
		t.Fatalf("stats %+v", s)
	}
	holder()
	first := <-out
	if first.name != "big" || first.err != nil {
		t.Fatalf("first admitted: %+v", first)
	}
	select {
	case r := <-out:
		t.Fatalf("%s admitted while big holds the whole pool", r.name)
	case <-time.After(20 * time.Millisecond):
	}
	first.release()
	a, b := <-out, <-out
	if a.err != nil || b.err != nil || a.name == b.name {
		t.Fatalf("smalls: %+v %+v", a, b)
	}
	a.release()
	b.release()
	assertIdle(t, p)
}

// TestBigNotStarved: the big job at the head blocks later small jobs even
// though they would fit.
func TestBigNotStarved(t *testing.T) {
	p := newPool(t, Config{Capacity: 4})
	running := mustAcquire(t, p, 3)
	out := make(chan result, 8)
	enqueue(t, p, context.Background(), "big", 4, out)
	// 3 + 1 <= 4, but big is ahead.
	enqueue(t, p, context.Background(), "small", 1, out)
	if _, ok := p.TryAcquire(1); ok {
		t.Fatal("TryAcquire jumped the queue")
	}
	select {
	case r := <-out:
		t.Fatalf("%s admitted before big", r.name)
	case <-time.After(20 * time.Millisecond):
	}
	running()
	if r := <-out; r.name != "big" {
		t.Fatalf("%s admitted first", r.name)
	} else {
		r.release()
	}
	r := <-out
	r.release()
	assertIdle(t, p)
}

func TestQueueOverflow(t *testing.T) {
	p := newPool(t, Config{Capacity: 2, MaxQueueLen: 2})
	holder := mustAcquire(t, p, 2)
	out := make(chan result, 4)
	enqueue(t, p, context.Background(), "w1", 1, out)
	enqueue(t, p, context.Background(), "w2", 1, out)
	start := time.Now()
	if _, err := p.Acquire(context.Background(), 1); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third waiter: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Error("ErrQueueFull was not immediate")
	}
	if s := p.Stats(); s.Rejected != 1 || s.Queued != 2 {
		t.Fatalf("stats %+v", s)
	}
	holder()
	for range 2 {
		r := <-out
		r.release()
	}
	assertIdle(t, p)

	// Bounded by cost: 4 units may wait.
	p = newPool(t, Config{Capacity: 2, MaxQueueCost: 4})
	holder = mustAcquire(t, p, 2)
	enqueue(t, p, context.Background(), "c2", 2, out)
	enqueue(t, p, context.Background(), "c1", 1, out)
	enqueue(t, p, context.Background(), "c1b", 1, out)
	if _, err := p.Acquire(context.Background(), 1); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("over cost: %v", err)
	}
	holder()
	for range 3 {
		r := <-out
		r.release()
	}
	assertIdle(t, p)

	// No queue at all.
	p = newPool(t, Config{Capacity: 1, MaxQueueCost: -1})
	holder = mustAcquire(t, p, 1)
	if _, err := p.Acquire(context.Background(), 1); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("no queue: %v", err)
	}
	holder()
	mustAcquire(t, p, 1)()
}

func TestCancelWhileQueued(t *testing.T) {
	p := newPool(t, Config{Capacity: 2})
	holder := mustAcquire(t, p, 2)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan result, 2)
	enqueue(t, p, ctx, "doomed", 2, out)
	cancel()
	r := <-out
	if !errors.Is(r.err, context.Canceled) || r.release != nil {
		t.Fatalf("canceled waiter got %+v", r)
	}
	if s := p.Stats(); s.Queued != 0 || s.QueuedCost != 0 || s.Canceled != 1 || s.InFlight != 2 {
		t.Fatalf("stats %+v", s)
	}
	holder()
	assertIdle(t, p)
	// An already-ended context is refused without admission.
	if _, err := p.Acquire(ctx, 1); !errors.Is(err, context.Canceled) || p.Stats().Admitted != 1 || p.Stats().Canceled != 2 {
		t.Fatalf("dead ctx: %v %+v", err, p.Stats())
	}
	// A deadline works the same.
	holder = mustAcquire(t, p, 2)
	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer dcancel()
	if _, err := p.Acquire(dctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	holder()
	assertIdle(t, p)
}

// TestCancelHeadAdmitsNext: when the blocking head leaves, the jobs behind
// it that fit are admitted without waiting for a release.
func TestCancelHeadAdmitsNext(t *testing.T) {
	p := newPool(t, Config{Capacity: 4})
	holder := mustAcquire(t, p, 2)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan result, 4)
	enqueue(t, p, ctx, "big", 4, out)
	enqueue(t, p, context.Background(), "small", 2, out)
	cancel()
	got := map[string]result{}
	for range 2 {
		r := <-out
		got[r.name] = r
	}
	if got["big"].err == nil || got["small"].err != nil {
		t.Fatalf("got %+v", got)
	}
	got["small"].release()
	holder()
	assertIdle(t, p)
}

func TestClampOversize(t *testing.T) {
	p := newPool(t, Config{Capacity: 4})
	rel := mustAcquire(t, p, 100)
	if s := p.Stats(); s.InFlight != 4 {
		t.Fatalf("in flight %d, want clamped 4", s.InFlight)
	}
	out := make(chan result, 1)
	enqueue(t, p, context.Background(), "huge2", Cost(20000, 20000), out)
	if s := p.Stats(); s.QueuedCost != 4 {
		t.Fatalf("queued cost %d, want clamped 4", s.QueuedCost)
	}
	rel()
	r := <-out
	r.release()
	for _, c := range []int64{0, -7} {
		rel := mustAcquire(t, p, c)
		if s := p.Stats(); s.InFlight != 1 {
			t.Fatalf("cost %d holds %d", c, s.InFlight)
		}
		rel()
	}
	assertIdle(t, p)
}

func TestDoubleRelease(t *testing.T) {
	p := newPool(t, Config{Capacity: 2})
	rel := mustAcquire(t, p, 1)
	rel()
	rel()
	assertIdle(t, p)
	a := mustAcquire(t, p, 2)
	if _, ok := p.TryAcquire(1); ok {
		t.Fatal("double release leaked a unit")
	}
	a()
}

// TestStressNoLeak mixes admissions, cancellations while queued, deadlines
// racing admission and queue overflows; afterwards every unit is back.
func TestStressNoLeak(t *testing.T) {
	const capacity, jobs = 8, 2000
	p := newPool(t, Config{Capacity: capacity, MaxQueueLen: 400, MaxQueueCost: 1 << 20})
	var ok, full, canceled atomic.Int64
	var inUse atomic.Int64
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			ctx := context.Background()
			if r.IntN(3) == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(r.IntN(2000))*time.Microsecond)
				defer cancel()
			}
			cost := int64(r.IntN(12)) // 0..11: some clamped, some raised to 1
			rel, err := p.Acquire(ctx, cost)
			switch {
			case errors.Is(err, ErrQueueFull):
				full.Add(1)
				return
			case err != nil:
				canceled.Add(1)
				return
			}
			ok.Add(1)
			c := max(1, min(cost, capacity))
			if n := inUse.Add(c); n > capacity {
				t.Errorf("in use %d > %d", n, capacity)
			}
			time.Sleep(time.Duration(r.IntN(50)) * time.Microsecond)
			inUse.Add(-c)
			rel()
			if r.IntN(10) == 0 {
				rel() // a stray second release changes nothing
			}
		})
	}
	wg.Wait()
	assertIdle(t, p)
	s := p.Stats()
	if int64(s.Admitted) != ok.Load() || int64(s.Rejected) != full.Load() || int64(s.Canceled) != canceled.Load() {
		t.Fatalf("stats %+v vs ok %d full %d canceled %d", s, ok.Load(), full.Load(), canceled.Load())
	}
	if ok.Load()+full.Load()+canceled.Load() != jobs {
		t.Fatalf("lost jobs")
	}
	t.Logf("admitted %d, rejected %d, canceled %d", ok.Load(), full.Load(), canceled.Load())
	// Every unit is usable again.
	rel, okNow := p.TryAcquire(capacity)
	if !okNow {
		t.Fatal("capacity leaked")
	}
	rel()
}

func TestRetryAfter(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(0, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	p := newPool(t, Config{Capacity: 4, Now: clock})
	if d := p.RetryAfter(); d != time.Second {
		t.Fatalf("no history: %v", d)
	}
	rel := mustAcquire(t, p, 1)
	advance(10 * time.Second)
	rel()
	// avg hold 10 s; 4 units in flight + 4 queued over capacity 4 → 20 s.
	holder := mustAcquire(t, p, 4)
	out := make(chan result, 1)
	enqueue(t, p, context.Background(), "w", 4, out)
	if d := p.RetryAfter(); d != 20*time.Second {
		t.Fatalf("RetryAfter = %v, want 20s", d)
	}
	holder()
	r := <-out
	r.release()
	if d := p.RetryAfter(); d != time.Second {
		t.Fatalf("idle: %v", d)
	}
}

func TestRefusedCountsAsRejected(t *testing.T) {
	p, err := New(Config{Capacity: 2, MaxQueueCost: 2})
	if err != nil {
		t.Fatal(err)
	}
	p.Refused()
	p.Refused()
	if st := p.Stats(); st.Rejected != 2 || st.Admitted != 0 || st.QueuedCost != 0 {
		t.Fatalf("stats %+v", st)
	}
}
