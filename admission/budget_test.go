package admission

import (
	"sync"
	"testing"
)

func TestBudgetTakeAndRelease(t *testing.T) {
	b := NewBudget(100)
	a := b.Hold()
	if !a.Take(60) || !a.Take(40) {
		t.Fatal("takes within the limit refused")
	}
	c := b.Hold()
	if c.Take(1) {
		t.Fatal("a take past the limit succeeded")
	}
	if st := b.Stats(); st.Used != 100 || st.Refused != 1 || st.Limit != 100 {
		t.Fatalf("stats %+v, want used 100, refused 1, limit 100", st)
	}
	if !c.Take(0) || !c.Take(-5) {
		t.Fatal("empty takes refused")
	}
	a.Release()
	if st := b.Stats(); st.Used != 0 {
		t.Fatalf("used %d after the release, want 0", st.Used)
	}
	if !c.Take(100) {
		t.Fatal("the released bytes were not given back")
	}
	c.Release()
	if st := b.Stats(); st.Used != 0 || st.Refused != 1 {
		t.Fatalf("stats %+v, want used 0, refused 1", st)
	}
}

// A shared Hold's bytes stay counted until its last holder releases it, and
// a holder that comes after the others left counts them again, past the
// limit if need be: the bytes are in memory whatever the Budget says.
func TestBudgetSharedHold(t *testing.T) {
	b := NewBudget(100)
	leader := b.Hold()
	leader.Take(80)
	leader.Retain() // a waiter joins while the leader holds it
	leader.Release()
	if got := b.Stats().Used; got != 80 {
		t.Fatalf("used %d with a waiter still holding, want 80", got)
	}
	leader.Release()
	if got := b.Stats().Used; got != 0 {
		t.Fatalf("used %d after both released, want 0", got)
	}

	other := b.Hold()
	other.Take(50)
	leader.Retain() // a late waiter: counted again, over the limit
	if got := b.Stats().Used; got != 130 {
		t.Fatalf("used %d after a late retain, want 130", got)
	}
	if other.Take(1) {
		t.Fatal("a take over a budget past its limit succeeded")
	}
	leader.Release()
	other.Release()
	if got := b.Stats().Used; got != 0 {
		t.Fatalf("used %d at the end, want 0", got)
	}
}

func TestBudgetReleaseTwicePanics(t *testing.T) {
	h := NewBudget(10).Hold()
	h.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("a second release did not panic")
		}
	}()
	h.Release()
}

func TestBudgetNilHold(t *testing.T) {
	var h *Hold
	if !h.Take(1 << 40) {
		t.Fatal("a nil hold refused")
	}
	h.Retain()
	h.Release()
	if h.Held() != 0 {
		t.Fatal("a nil hold holds bytes")
	}
}

// Concurrent takes never put the budget past its limit, and every refusal
// is counted.
func TestBudgetConcurrentTakes(t *testing.T) {
	b := NewBudget(1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := b.Hold()
			for range 100 {
				if h.Take(7) {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	st := b.Stats()
	if st.Used > 1000 || st.Used != int64(granted)*7 {
		t.Fatalf("used %d, granted %d takes of 7, limit 1000", st.Used, granted)
	}
	if granted != 1000/7 || st.Refused != uint64(50*100-granted) {
		t.Fatalf("granted %d (want %d), refused %d (want %d)", granted, 1000/7, st.Refused, 50*100-granted)
	}
}
