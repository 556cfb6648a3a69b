package caddymodule

import (
	"context"
	"testing"
	"time"

	"github.com/jebosio/matte/admission"
)

// Before its fetch a request whose source a memo describes is counted at
// its own cost, not at the recent average: a thumbnail of a known small
// source is not refused because the queue holds large ones.
func TestQueueFullCountsAKnownCost(t *testing.T) {
	pool, err := admission.New(admission.Config{Capacity: 25, MaxQueueCost: 50})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{QueueMegapixels: 50}
	h.guard.admit, h.guard.load = pool, &fetchLoad{}
	h.guard.load.avgCost.Store(25 << 10) // recent jobs: 25 MP each

	running, err := pool.Acquire(context.Background(), 25)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pool.Acquire(ctx, 15) // two jobs wait behind the running one
	go pool.Acquire(ctx, 15)
	for deadline := time.Now().Add(5 * time.Second); pool.Stats().QueuedCost != 30; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the jobs did not queue")
		}
	}
	defer running()

	for _, tc := range []struct {
		cost int64
		full bool
	}{
		{0, true},   // unknown: counted at the average, 30 + 25 > 50
		{25, true},  // known and as large
		{9, false},  // known and small: 30 + 9 fits
		{20, false}, // exactly fills the queue
		{21, true},
	} {
		if got := h.queueFull(tc.cost); got != tc.full {
			t.Errorf("queueFull(%d) = %v, want %v (30 MP queued of 50)", tc.cost, got, tc.full)
		}
	}
}
