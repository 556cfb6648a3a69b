package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/testwait"
)

// fakeShared is an in-process Shared: a map of blobs and of leases. Its
// Put is synchronous (after runs at once).
type fakeShared struct {
	mu       sync.Mutex
	blobs    map[string][]byte
	leases   map[string]chan struct{} // closed at release
	unshared map[string]bool          // released unshared (for good: no TTL here)
	deleted  atomic.Int32             // Delete calls (purges of one entry)
	// discarded counts Discard calls.
	discarded atomic.Int32
	onPurge   func(SharedPurge)
	// holds counts the PurgePending holds not done yet, failed those done
	// with applied false; guarded by mu.
	holds, failed int
	// Set before use, if at all: called by Get after it reads, before it
	// returns, and by PurgeAll before it deletes.
	afterGet, beforePurgeAll func()
}

func newFakeShared() *fakeShared {
	return &fakeShared{blobs: map[string][]byte{}, leases: map[string]chan struct{}{}, unshared: map[string]bool{}}
}

func (f *fakeShared) Get(ns, key string) ([]byte, error) {
	f.mu.Lock()
	blob := f.blobs[ns+"/"+key]
	f.mu.Unlock()
	if f.afterGet != nil {
		f.afterGet()
	}
	return blob, nil
}

func (f *fakeShared) Admit(int64) bool { return true }

func (f *fakeShared) Put(ns, key, _ string, blob []byte, after func(bool)) {
	f.mu.Lock()
	f.blobs[ns+"/"+key] = blob
	f.mu.Unlock()
	if after != nil {
		after(true)
	}
}

func (f *fakeShared) Flush() {}

func (f *fakeShared) Delete(ns, key string) error {
	f.deleted.Add(1)
	return f.drop(ns, key)
}

func (f *fakeShared) Discard(ns, key string) error {
	f.discarded.Add(1)
	return f.drop(ns, key)
}

func (f *fakeShared) drop(ns, key string) error {
	f.mu.Lock()
	delete(f.blobs, ns+"/"+key)
	f.mu.Unlock()
	return nil
}

func (f *fakeShared) PurgeNamespace(string) error { return nil }
func (f *fakeShared) PurgeTag(string) error       { return nil }

func (f *fakeShared) PurgeAll() error {
	if f.beforePurgeAll != nil {
		f.beforePurgeAll()
	}
	f.mu.Lock()
	clear(f.blobs)
	f.mu.Unlock()
	return nil
}
func (f *fakeShared) OnPurge(fn func(SharedPurge)) { f.onPurge = fn }

// PurgePending counts the holds taken and their outcomes.
func (f *fakeShared) PurgePending() func(bool) {
	f.mu.Lock()
	f.holds++
	f.mu.Unlock()
	return func(applied bool) {
		f.mu.Lock()
		f.holds--
		if !applied {
			f.failed++
		}
		f.mu.Unlock()
	}
}

func (f *fakeShared) Acquire(_ context.Context, ns, key string) (func(bool), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := ns + "/" + key
	if f.unshared[k] {
		return nil, ErrNotShared
	}
	if _, held := f.leases[k]; held {
		return nil, nil
	}
	ch := make(chan struct{})
	f.leases[k] = ch
	var once sync.Once
	return func(unshared bool) {
		once.Do(func() {
			f.mu.Lock()
			delete(f.leases, k)
			f.unshared[k] = unshared
			f.mu.Unlock()
			close(ch)
		})
	}, nil
}

func (f *fakeShared) Wait(ctx context.Context, ns, key string) error {
	f.mu.Lock()
	ch, held := f.leases[ns+"/"+key]
	f.mu.Unlock()
	if !held {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Two Caches on one fakeShared stand for two processes.
func TestSharedTierAcrossCaches(t *testing.T) {
	fs := newFakeShared()
	a := newCache(t, Options{Shared: fs})
	b := newCache(t, Options{Shared: fs})
	a.Set("result", "k", Entry{Value: []byte("v"), Tag: "t"})
	e, tier, ok := b.Get("result", "k")
	if !ok || tier != TierShared || string(e.Value) != "v" || tier.CacheStatus() != "HIT-SHARED" {
		t.Fatalf("b.Get = %q %v %v", e.Value, tier, ok)
	}
	if _, tier, _ := b.Get("result", "k"); tier != TierMemory {
		t.Fatalf("after promotion: %v", tier)
	}
	fs.onPurge(SharedPurge{NS: "result", Key: "k"}) // another process deleted it
	if _, tier, _ := b.Get("result", "k"); tier == TierMemory {
		t.Fatal("a remote purge left the local copy")
	}
}

// While one process holds the lease, another's Do waits for it and serves
// the entry it stored, without running fn.
func TestSharedLeaseWait(t *testing.T) {
	fs := newFakeShared()
	a := newCache(t, Options{Shared: fs})
	b := newCache(t, Options{Shared: fs})
	release, _ := fs.Acquire(context.Background(), "result", "k")
	done := make(chan Outcome)
	go func() {
		_, out, err := b.Do(context.Background(), "result", "k", func(context.Context) (Entry, bool, error) {
			t.Error("fn ran while another process held the lease")
			return Entry{}, false, nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	time.Sleep(20 * time.Millisecond)
	a.Set("result", "k", Entry{Value: []byte("v")})
	release(false)
	if out := <-done; out.Tier != TierShared || out.Executed {
		t.Fatalf("outcome %+v, want a shared hit", out)
	}
	if st := b.Stats(); st.LeaseWaits != 1 || st.Takeovers != 0 || st.Executions != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// FuzzSharedBlob: whatever the shared store returns, the Cache serves only
// a blob that is exactly the encoding of the entry it asked for; anything
// else is discarded from the store (not purged cluster-wide).
func FuzzSharedBlob(f *testing.F) {
	e := sampleEntry()
	good, _ := encodeEntry("result", "k", &e)
	f.Add(good)
	f.Add(good[:len(good)-1])
	other, _ := encodeEntry("result", "other", &e)
	f.Add(other)
	f.Add([]byte("MTTC"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		fs := newFakeShared()
		c, err := New(Options{MemoryMaxBytes: -1, Shared: fs})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fs.blobs["result/k"] = blob
		got, _, ok := c.Get("result", "k")
		if !ok {
			if fs.discarded.Load() != 1 || fs.deleted.Load() != 0 {
				t.Fatalf("a rejected blob was discarded %d times and purged %d times, want discarded once, never purged", fs.discarded.Load(), fs.deleted.Load())
			}
			return
		}
		re, err := encodeEntry("result", "k", &got)
		if err != nil || !bytes.Equal(re, blob) {
			t.Fatalf("served a blob that is not the entry's encoding (%v)", err)
		}
	})
}

// A lookup that read the shared tier before a purge must not copy what it
// read into memory after the purge: the purged entry would come back.
func TestPurgeDuringSharedReadIsNotUndone(t *testing.T) {
	fs := newFakeShared()
	a := newCache(t, Options{Shared: fs})
	b := newCache(t, Options{Shared: fs})
	a.Set("result", "k", Entry{Value: []byte("old")})
	g := newGate()
	t.Cleanup(g.open)
	fs.afterGet = g.wait
	readAcrossPurge(t, b, g, b.PurgeAll, TierShared)
}

// While the shared tier's part of a purge is running, outside the purge
// lock, a miss's result is answered at once (not held until the purge is
// done) but not stored, and a shared hit read meanwhile is not promoted.
func TestSharedPurgeHoldsNoMissBack(t *testing.T) {
	fs := newFakeShared()
	a := newCache(t, Options{Shared: fs})
	b := newCache(t, Options{Shared: fs})
	a.Set("result", "old", Entry{Value: []byte("old")})
	g := newGate()
	t.Cleanup(g.open)
	fs.beforePurgeAll = g.wait
	purged := make(chan error)
	go func() { purged <- b.PurgeAll() }()
	<-g.reached

	// The shared store still holds "old": a lookup now reads it, and must
	// not copy it into memory.
	if _, tier, ok := b.Get("result", "old"); !ok || tier != TierShared {
		t.Fatalf("read during the shared purge: %v %v", tier, ok)
	}
	done := make(chan error)
	go func() {
		_, out, err := b.Do(bg(), "result", "new", func(context.Context) (Entry, bool, error) {
			return Entry{Value: []byte("new")}, true, nil
		})
		if err == nil && !out.Executed {
			err = errors.New("fn did not run")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a miss waited for the shared tier's purge")
	}
	g.open()
	if err := <-purged; err != nil {
		t.Fatal(err)
	}
	if _, ok := b.mem.get("result", "old"); ok {
		t.Fatal("an entry read during the shared purge was promoted")
	}
	if _, tier, ok := b.Get("result", "new"); ok {
		t.Fatalf("a result computed during the shared purge was stored (%v)", tier)
	}
	// Once the purge is done, stores and promotions go on.
	b.Set("result", "later", Entry{Value: []byte("v")})
	if _, tier, _ := b.Get("result", "later"); tier != TierMemory {
		t.Fatalf("after the purge: %v", tier)
	}
}

// A flight that waited for another process's lease promotes the entry it
// then reads from the shared tier outside any lookup. Close, started while
// that promotion is pending, must wait for it: a memory-tier write racing
// ristretto's Close panics in the flight's goroutine, which nothing
// recovers, and kills the process.
func TestCloseWaitsForClusterFlightPromote(t *testing.T) {
	fs := newFakeShared()
	a := newCache(t, Options{Shared: fs})
	g := newGate()
	t.Cleanup(g.open)
	b, err := New(Options{Shared: fs, hooks: &testHooks{beforePromote: g.wait}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	release, _ := fs.Acquire(bg(), "result", "k")
	done := make(chan error, 1)
	go func() {
		e, out, err := b.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
			return Entry{}, false, errors.New("fn ran while another process held the lease")
		})
		if err == nil && (out.Tier != TierShared || string(e.Value) != "v") {
			err = fmt.Errorf("got %q from %v, want the shared entry", e.Value, out.Tier)
		}
		done <- err
	}()
	testwait.For(t, "the flight to wait for the lease", func() bool { return b.Stats().LeaseWaits == 1 })
	a.Set("result", "k", Entry{Value: []byte("v")})
	release(false)
	<-g.reached // the flight read the entry and is about to promote it

	closed := make(chan struct{})
	go func() {
		b.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a flight's promotion into the memory tier was pending")
	case <-time.After(100 * time.Millisecond):
	}
	g.open()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return once the promotion was done")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A flight whose fn calls runtime.Goexit releases the cluster lease it
// won: a lease never released is renewed for as long as the process lives,
// and every other process's flight for the key waits on it.
func TestGoexitReleasesLease(t *testing.T) {
	fs := newFakeShared()
	c := newCache(t, Options{Shared: fs})
	_, _, err := c.Do(bg(), "result", "k", func(context.Context) (Entry, bool, error) {
		runtime.Goexit()
		return Entry{}, false, nil
	})
	if !errors.Is(err, ErrFillExited) {
		t.Fatalf("err %v, want ErrFillExited", err)
	}
	fs.mu.Lock()
	_, held := fs.leases["result/k"]
	fs.mu.Unlock()
	if held {
		t.Fatal("the lease of a flight whose fn called runtime.Goexit is still held")
	}
}

func (f *fakeShared) pending() (holds, failed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holds, f.failed
}

// TestPurgeDuringScanPending: a PurgeTag made during the startup scan
// (the node's own, or another node's through OnPurge) covers files the
// scan has not indexed yet, which are removed only when the scan reaches
// them: the shared tier is told the purge is pending (so its StateFile
// does not record it) until the scan has removed them and fsynced their
// directories. A purge that failed locally is told as failed.
func TestPurgeDuringScanPending(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			dir := t.TempDir()
			seeded(t, dir, mkEntry(100, "t"))
			fs := newFakeShared()
			var r syncRecorder
			c, g := scanBlocked(t, Options{MemoryMaxBytes: -1, DiskPath: dir, DiskMaxBytes: 1 << 20, Shared: fs, hooks: r.hooks()})
			<-g.reached
			p := entryFile(c, "result", "k")
			r.start(p)
			if remote {
				fs.onPurge(SharedPurge{Tag: "t"})
			} else if err := c.PurgeTag("t"); err != nil {
				t.Fatal(err)
			}
			if holds, failed := fs.pending(); holds != 1 || failed != 0 {
				t.Fatalf("after a PurgeTag during the scan: %d holds, %d failed; want 1, 0", holds, failed)
			}
			g.open()
			waitIndex(t, c)
			if holds, failed := fs.pending(); holds != 0 || failed != 0 {
				t.Fatalf("after the scan: %d holds, %d failed; want 0, 0", holds, failed)
			}
			if !r.synced(filepath.Dir(p), false) {
				t.Fatal("the scan did not fsync the directory of the purged file it removed")
			}
		})
	}
}
