package segment

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/testwait"
)

// occupy fills every slot of p with a call that blocks until release is
// closed, and returns once they all run.
func occupy(t *testing.T, p *Pool, n int, release <-chan struct{}) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	var started sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			err := p.Do(context.Background(), func() error { started.Done(); <-release; return nil })
			if err != nil {
				t.Error(err)
			}
		}()
	}
	started.Wait()
	return &wg
}

func TestPoolQueueFull(t *testing.T) {
	p := NewPool(2, 1)
	release := make(chan struct{})
	running := occupy(t, p, 2, release)

	// One caller may wait...
	queued := make(chan error, 1)
	var ran atomic.Bool
	go func() { queued <- p.Do(context.Background(), func() error { ran.Store(true); return nil }) }()
	testwait.For(t, "one queued caller", func() bool { return p.Stats().Queued == 1 })

	// ...the next is turned away at once.
	start := time.Now()
	err := p.Do(context.Background(), func() error { t.Error("rejected fn ran"); return nil })
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("want ErrQueueFull, got %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("rejection waited")
	}
	st := p.Stats()
	if st.Rejected != 1 || st.Running != 2 || st.Queued != 1 || st.MaxConcurrent != 2 || st.MaxQueue != 1 {
		t.Fatalf("stats %+v", st)
	}
	if ra := p.RetryAfter(); ra < time.Second {
		t.Fatalf("RetryAfter %v", ra)
	}

	close(release)
	running.Wait()
	if err := <-queued; err != nil || !ran.Load() {
		t.Fatalf("queued call: %v ran=%v", err, ran.Load())
	}
	st = p.Stats()
	if st.Completed != 3 || st.Running != 0 || st.Queued != 0 {
		t.Fatalf("stats after %+v", st)
	}
}

func TestPoolNoQueue(t *testing.T) {
	p := NewPool(1, 0)
	if p.Full() {
		t.Fatal("Full with a free slot")
	}
	release := make(chan struct{})
	running := occupy(t, p, 1, release)
	if !p.Full() {
		t.Fatal("not Full with the slot busy and no queue")
	}
	if err := p.Do(context.Background(), func() error { return nil }); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("want ErrQueueFull, got %v", err)
	}
	close(release)
	running.Wait()
	if p.Full() {
		t.Fatal("Full after the slot was freed")
	}
	if err := p.Do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestPoolCancelWhileQueued(t *testing.T) {
	p := NewPool(1, 4)
	release := make(chan struct{})
	running := occupy(t, p, 1, release)

	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		res <- p.Do(ctx, func() error { t.Error("canceled fn ran"); return nil })
	}()
	testwait.For(t, "queued caller", func() bool { return p.Stats().Queued == 1 })
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancellation did not end the wait")
	}
	st := p.Stats()
	if st.Canceled != 1 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}

	// Deadline while queued.
	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer dcancel()
	if err := p.Do(dctx, func() error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	// An already-ended context never queues.
	if err := p.Do(ctx, func() error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended ctx: %v", err)
	}
	close(release)
	running.Wait()
	if st := p.Stats(); st.Canceled != 2 || st.Completed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPoolBoundsConcurrency(t *testing.T) {
	p := NewPool(3, 100)
	var cur, peak atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p.Do(context.Background(), func() error {
				n := cur.Add(1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				cur.Add(-1)
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if peak.Load() > 3 || peak.Load() < 2 {
		t.Fatalf("peak concurrency %d, limit 3", peak.Load())
	}
	if st := p.Stats(); st.Completed != 40 || st.AvgRun <= 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPoolFnError(t *testing.T) {
	p := NewPool(1, 1)
	boom := errors.New("boom")
	if err := p.Do(context.Background(), func() error { return boom }); err != boom {
		t.Fatalf("got %v", err)
	}
}

func TestPoolDefaults(t *testing.T) {
	p := NewPool(0, -1)
	st := p.Stats()
	if st.MaxConcurrent != DefaultMaxConcurrent(0) || st.MaxQueue != 4*st.MaxConcurrent {
		t.Fatalf("defaults %+v", st)
	}
	intra := DefaultIntraOpThreads()
	if intra < 1 || intra > 4 {
		t.Fatalf("DefaultIntraOpThreads %d", intra)
	}
	if DefaultMaxConcurrent(intra) < 1 {
		t.Fatal("DefaultMaxConcurrent < 1")
	}
}

func TestPoolBatchSizes(t *testing.T) {
	p := NewPool(1, 0)
	for _, n := range []int{1, 1, 2, 3, 4, 5, 32, 33, 100} {
		p.countBatch(n)
	}
	got := p.BatchSizes()
	// Buckets: <=1, <=2, <=4, <=8, <=16, <=32, above.
	want := BatchSizes{Buckets: [7]uint64{2, 1, 2, 1, 0, 1, 2}, Runs: 9, Images: 181}
	if got != want {
		t.Fatalf("BatchSizes() = %+v, want %+v", got, want)
	}
}
