package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/testwait"
)

// segmentAll runs one Segment per rgbs[i] concurrently, each with ctxs[i].
func segmentAll(s *Session, ctxs []context.Context, rgbs [][]byte, w, h int) ([][]byte, []error) {
	masks, errs := make([][]byte, len(rgbs)), make([]error, len(rgbs))
	var wg sync.WaitGroup
	for i := range rgbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			masks[i], errs[i] = s.Segment(ctxs[i], rgbs[i], w, h)
		}()
	}
	wg.Wait()
	return masks, errs
}

func background(n int) []context.Context {
	c := make([]context.Context, n)
	for i := range c {
		c[i] = context.Background()
	}
	return c
}

func TestBatchMatchesSingleRuns(t *testing.T) {
	const W, H = 24, 16
	for _, tc := range []struct {
		name  string
		model tinyModel
		tol   int
	}{
		{"f32-nchw", tinyModel{Channel: 1, Dynamic: true}, 0},
		{"f32-nhwc", tinyModel{Channel: 2, Dynamic: true, NHWC: true}, 0},
		{"f16", tinyModel{Channel: 0, Dynamic: true, InF16: true, OutF16: true}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.model.W, tc.model.H = W, H
			// A long wait: the batch must close because it is full.
			pool := NewPool(1, 4)
			s, p := openTiny(t, tc.model, nil, Options{IntraOpThreads: 1, MaxBatch: 4, BatchWait: time.Minute, Pool: pool})
			rgbs := make([][]byte, 4)
			for i := range rgbs {
				rgbs[i] = randomRGB(W, H, uint64(10+i), 255)
			}
			start := time.Now()
			masks, errs := segmentAll(s, background(4), rgbs, W, H)
			for i := range rgbs {
				if errs[i] != nil {
					t.Fatalf("call %d: %v", i, errs[i])
				}
				want := refMask(p, rgbs[i], int(tc.model.Channel), false)
				if d, at := maxDiff(masks[i], want); d > tc.tol {
					t.Fatalf("call %d: mask differs by %d at %d (another call's image?)", i, d, at)
				}
			}
			if s.Runs() != 1 {
				t.Fatalf("%d runs for a full batch of 4, want 1", s.Runs())
			}
			if b := pool.BatchSizes(); b.Runs != 1 || b.Images != 4 || b.Buckets[2] != 1 {
				t.Fatalf("pool counted %+v, want one run of 4 (bucket <=4)", b)
			}
			if time.Since(start) > 30*time.Second {
				t.Fatal("a full batch waited for BatchWait")
			}
		})
	}
}

func TestBatchClosesAfterWait(t *testing.T) {
	m := tinyModel{W: 8, H: 8, Channel: 0, Dynamic: true}
	s, p := openTiny(t, m, nil, Options{IntraOpThreads: 1, MaxBatch: 8, BatchWait: 50 * time.Millisecond})
	rgbs := [][]byte{randomRGB(8, 8, 1, 255), randomRGB(8, 8, 2, 255)}
	masks, errs := segmentAll(s, background(2), rgbs, 8, 8)
	for i := range rgbs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if d, _ := maxDiff(masks[i], refMask(p, rgbs[i], 0, false)); d != 0 {
			t.Fatalf("call %d: wrong mask", i)
		}
	}
	// Two calls started together: one batch of two, or (if the scheduler
	// kept them apart longer than the wait) two runs; never more.
	if r := s.Runs(); r < 1 || r > 2 {
		t.Fatalf("runs %d", r)
	}
}

func TestBatchFixedBatchModelRunsSingly(t *testing.T) {
	m := tinyModel{W: 8, H: 8, Channel: 2} // batch dimension fixed at 1
	s, p := openTiny(t, m, nil, Options{IntraOpThreads: 1, MaxBatch: 4, BatchWait: time.Minute})
	rgbs := make([][]byte, 3)
	for i := range rgbs {
		rgbs[i] = randomRGB(8, 8, uint64(i), 255)
	}
	masks, errs := segmentAll(s, background(3), rgbs, 8, 8)
	for i := range rgbs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if d, _ := maxDiff(masks[i], refMask(p, rgbs[i], 2, false)); d != 0 {
			t.Fatalf("call %d: wrong mask", i)
		}
	}
	if s.Runs() != 3 {
		t.Fatalf("runs %d, want 3 single runs", s.Runs())
	}
}

func TestBatchCallerLeaves(t *testing.T) {
	m := tinyModel{W: 8, H: 8, Channel: 1, Dynamic: true}
	s, p := openTiny(t, m, nil, Options{IntraOpThreads: 1, MaxBatch: 3, BatchWait: 300 * time.Millisecond})
	rgbs := [][]byte{randomRGB(8, 8, 1, 255), randomRGB(8, 8, 2, 255), randomRGB(8, 8, 3, 255)}
	gone, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ctxs := []context.Context{context.Background(), gone, context.Background()}
	// Only two calls join at first, so the batch waits; the second leaves
	// during the wait, then a third call fills the batch.
	var masks [3][]byte
	var errs [3]error
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			masks[i], errs[i] = s.Segment(ctxs[i], rgbs[i], 8, 8)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	masks[2], errs[2] = s.Segment(ctxs[2], rgbs[2], 8, 8)
	wg.Wait()
	if !errors.Is(errs[1], context.DeadlineExceeded) {
		t.Fatalf("the caller that left got %v", errs[1])
	}
	for _, i := range []int{0, 2} {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if d, _ := maxDiff(masks[i], refMask(p, rgbs[i], 1, false)); d != 0 {
			t.Fatalf("call %d: wrong mask", i)
		}
	}
	if s.Runs() != 1 {
		t.Fatalf("runs %d, want 1 (the caller that left is dropped from the batch)", s.Runs())
	}
}

func TestBatchEveryCallerLeaves(t *testing.T) {
	m := tinyModel{W: 8, H: 8, Channel: 0, Dynamic: true}
	s, _ := openTiny(t, m, nil, Options{IntraOpThreads: 1, MaxBatch: 4, BatchWait: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, errs := segmentAll(s, []context.Context{ctx, ctx}, [][]byte{randomRGB(8, 8, 1, 255), randomRGB(8, 8, 2, 255)}, 8, 8)
	for i, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the batch closes with nobody left
	if s.Runs() != 0 {
		t.Fatalf("runs %d for a batch everyone left", s.Runs())
	}
}

func TestBatchQueueFullReachesEveryCaller(t *testing.T) {
	m := tinyModel{W: 8, H: 8, Channel: 0, Dynamic: true}
	pool := NewPool(1, 0)
	s, _ := openTiny(t, m, nil, Options{IntraOpThreads: 1, MaxBatch: 2, BatchWait: time.Minute, Pool: pool})
	// Hold the only slot so the batch cannot be admitted.
	hold, release := make(chan struct{}), make(chan struct{})
	go pool.Do(context.Background(), func() error { close(hold); <-release; return nil })
	<-hold
	defer close(release)
	_, errs := segmentAll(s, background(2), [][]byte{randomRGB(8, 8, 1, 255), randomRGB(8, 8, 2, 255)}, 8, 8)
	for i, err := range errs {
		if !errors.Is(err, ErrQueueFull) {
			t.Fatalf("call %d: %v, want ErrQueueFull", i, err)
		}
	}
}

// batchModel is the preset named by $MATTE_BATCH_PRESET (default isnet)
// pointing at $MATTE_BATCH_MODEL, a copy of its model with a dynamic batch
// dimension (`make bench-batch` makes one from the shipped ISNet, whose
// batch is fixed at 1). It skips tb when the variable is unset.
// BenchmarkBatch runs on $MATTE_BATCH_PROVIDER (cpu, cuda, tensorrt).
func batchModel(tb testing.TB) Preset {
	tb.Helper()
	path := os.Getenv("MATTE_BATCH_MODEL")
	if path == "" {
		tb.Skip("skipping: $MATTE_BATCH_MODEL unset (a dynamic-batch model; see `make bench-batch`)")
	}
	needRuntime(tb)
	name := os.Getenv("MATTE_BATCH_PRESET")
	if name == "" {
		name = "isnet"
	}
	p, ok := Lookup(name)
	if !ok {
		tb.Fatalf("no preset %q", name)
	}
	p.File, p.SHA256, p.MD5 = path, "", ""
	return p
}

// TestBatchRealModelMatchesSingle checks on a real model that a batch of
// different photos gives each the mask it gets alone.
func TestBatchRealModelMatchesSingle(t *testing.T) {
	p := batchModel(t)
	single, err := NewSession(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	batched, err := NewSession(p, Options{MaxBatch: 2, BatchWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer batched.Close()
	rgbs := [][]byte{randomRGB(p.InputWidth, p.InputHeight, 1, 255), randomRGB(p.InputWidth, p.InputHeight, 2, 255)}
	for i := range rgbs[1] { // a smooth image, unlike the noise of the first
		rgbs[1][i] = byte(i / 3 % p.InputWidth * 255 / p.InputWidth)
	}
	masks, errs := segmentAll(batched, background(2), rgbs, p.InputWidth, p.InputHeight)
	for i := range rgbs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		want, err := single.Segment(context.Background(), rgbs[i], p.InputWidth, p.InputHeight)
		if err != nil {
			t.Fatal(err)
		}
		if d, at := maxDiff(masks[i], want); d > 2 {
			t.Fatalf("image %d: batched mask differs by %d at %d", i, d, at)
		}
	}
	if batched.Runs() != 1 {
		t.Fatalf("runs %d", batched.Runs())
	}
}

// BenchmarkBatch compares n concurrent inferences run one by one (batch=1,
// the default) with one batch of n, one inference at a time (a Pool of 1),
// and reports images per second.
func BenchmarkBatch(b *testing.B) {
	p := batchModel(b)
	for _, n := range []int{2, 4} {
		for _, batch := range []int{1, n} {
			b.Run(fmt.Sprintf("images=%d/batch=%d", n, batch), func(b *testing.B) {
				s, err := NewSession(p, Options{MaxBatch: batch, BatchWait: time.Minute, Pool: NewPool(1, -1),
					Provider: os.Getenv("MATTE_BATCH_PROVIDER"), Strict: true})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				rgbs := make([][]byte, n)
				for i := range rgbs {
					rgbs[i] = randomRGB(p.InputWidth, p.InputHeight, uint64(i), 255)
				}
				// Warm up: load the model and let ORT size its arenas.
				if _, errs := segmentAll(s, background(n), rgbs, p.InputWidth, p.InputHeight); errs[0] != nil {
					b.Fatal(errs[0])
				}
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					if _, errs := segmentAll(s, background(n), rgbs, p.InputWidth, p.InputHeight); errs[0] != nil {
						b.Fatal(errs[0])
					}
				}
				b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "img/s")
			})
		}
	}
}

// fakeBatchSession is a batching session without a model: its batches run
// on run, so a test can hold a batch mid-run.
func fakeBatchSession(maxBatch int, run func(ctx context.Context, masks, rgbs [][]byte) error) *Session {
	return &Session{preset: Preset{Name: "fake"}, opts: Options{MaxBatch: maxBatch, BatchWait: time.Minute},
		batchable: true, runBatch: run}
}

// TestBatchClaimedCallerLeavesPromptly: a caller whose item a running batch
// has claimed returns with its own context's error at once, not when the
// run ends; the run still completes for the others and never writes the
// mask of the caller that left (which may be reused by then).
func TestBatchClaimedCallerLeavesPromptly(t *testing.T) {
	running, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	s := fakeBatchSession(2, func(ctx context.Context, masks, rgbs [][]byte) error {
		close(running)
		<-release
		for i := range masks {
			for j := range masks[i] {
				masks[i][j] = rgbs[i][3*j] // the image's own red channel
			}
		}
		close(finished)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	masks := [][]byte{make([]byte, 4), make([]byte, 4)}
	rgbs := [][]byte{bytes.Repeat([]byte{7}, 12), bytes.Repeat([]byte{9}, 12)}
	leaving := make(chan error, 1)
	go func() { leaving <- s.segmentBatched(ctx, masks[0], rgbs[0]) }()
	// The first caller opens the batch; the second fills it.
	testwait.For(t, "the first caller in the batch", func() bool {
		s.batchMu.Lock()
		defer s.batchMu.Unlock()
		return s.pending != nil && len(s.pending.items) == 1
	})
	staying := make(chan error, 1)
	go func() { staying <- s.segmentBatched(context.Background(), masks[1], rgbs[1]) }()
	<-running // both items are claimed
	cancel()
	select {
	case err := <-leaving:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the caller that left got %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		close(release)
		t.Fatal("a caller whose item was claimed waited for the run past its context")
	}
	// The caller that left reuses its buffers; the run must not touch them.
	for i := range masks[0] {
		masks[0][i] = 1
	}
	for i := range rgbs[0] {
		rgbs[0][i] = 2
	}
	close(release)
	if err := <-staying; err != nil {
		t.Fatalf("the caller that stayed: %v", err)
	}
	<-finished
	if !bytes.Equal(masks[1], []byte{9, 9, 9, 9}) {
		t.Fatalf("the caller that stayed got %v, want its own image's mask", masks[1])
	}
	if !bytes.Equal(masks[0], []byte{1, 1, 1, 1}) {
		t.Fatalf("the run wrote %v into the mask of the caller that left", masks[0])
	}
}
