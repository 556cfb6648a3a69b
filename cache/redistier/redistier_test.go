package redistier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/cluster"
	"github.com/jebosio/matte/internal/durable"
	"github.com/jebosio/matte/internal/durable/durabletest"
	"github.com/jebosio/matte/internal/redistest"
)

// node is one simulated Matte process: its own client, cluster node,
// shared tier and memory-only cache.
type node struct {
	rdb  redis.UniversalClient
	n    *cluster.Node
	tier *Tier
	c    *cache.Cache
}

func newNode(t *testing.T, addr string, o cluster.Options, to Options, hooks ...redis.Hook) *node {
	t.Helper()
	return newNodeTB(t, addr, o, to, hooks...)
}

func newNodeTB(t testing.TB, addr string, o cluster.Options, to Options, hooks ...redis.Hook) *node {
	t.Helper()
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
	for _, h := range hooks {
		rdb.AddHook(h)
	}
	if o.Prefix == "" {
		o.Prefix = "t:"
	}
	if o.Timeout == 0 {
		o.Timeout = time.Second // the machine running the tests may be loaded
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = 50 * time.Millisecond
	}
	n := cluster.NewNode(rdb, o)
	// With Redis up, wait for the node's subscription, so that a purge a
	// test publishes next reaches it (go-redis subscribes asynchronously).
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	if rdb.Ping(ctx).Err() == nil {
		select {
		case <-n.Subscribed():
		case <-time.After(5 * time.Second):
			t.Fatal("the node's subscription was not confirmed in 5 s")
		}
	}
	cancel()
	tier := New(n, to)
	c, err := cache.New(cache.Options{Shared: tier})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); tier.Close(); n.Close(); _ = rdb.Close() })
	return &node{rdb: rdb, n: n, tier: tier, c: c}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSharedHitPromotedAndCorruptDropped(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	b := newNode(t, srv.Addr, cluster.Options{}, Options{})

	a.c.Set("result", "k1", cache.Entry{Value: []byte("hello"), ContentType: "image/webp", Tag: "src1", Meta: map[string]string{"w": "10"}})
	a.c.Flush()
	e, tier, ok := b.c.Get("result", "k1")
	if !ok || tier != cache.TierShared || string(e.Value) != "hello" || e.ContentType != "image/webp" || e.Meta["w"] != "10" || e.Tag != "src1" {
		t.Fatalf("b.Get = %q %v %v (%+v), want hello from the shared tier", e.Value, tier, ok, e)
	}
	if _, tier, _ := b.c.Get("result", "k1"); tier != cache.TierMemory {
		t.Fatalf("second Get tier %v, want memory (promoted)", tier)
	}
	if st := b.c.Stats(); st.SharedHits != 1 {
		t.Fatalf("SharedHits %d, want 1", st.SharedHits)
	}

	// A truncated blob and a foreign one are deleted, never served, and
	// without a purge: the cluster's purge counter does not move.
	ctx := context.Background()
	purgesBefore, _ := a.rdb.Get(ctx, "t:purges").Int64()
	stored, err := a.rdb.Get(ctx, a.tier.entryKey("result", "k1")).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Stored untagged ("0:" header), so that the cache, not the tag
	// index check, is what refuses them; "garbage" has no header at all.
	_, blob, _ := splitEntry(stored)
	blob = append([]byte("0:"), blob...)
	for i, bad := range [][]byte{blob[:len(blob)-1], []byte("garbage"), append(append([]byte{}, blob[:len(blob)-1]...), blob[len(blob)-1]^1)} {
		k := "bad" + string(rune('a'+i))
		a.rdb.Set(ctx, a.tier.entryKey("result", k), bad, 0)
		if _, _, ok := b.c.Get("result", k); ok {
			t.Fatalf("corrupt blob %d served", i)
		}
		if n, _ := a.rdb.Exists(ctx, a.tier.entryKey("result", k)).Result(); n != 0 {
			t.Fatalf("corrupt blob %d not deleted", i)
		}
	}
	// The blob of k1 stored under another key decodes, but to another key.
	a.rdb.Set(ctx, a.tier.entryKey("result", "other"), blob, 0)
	if _, _, ok := b.c.Get("result", "other"); ok {
		t.Fatal("an entry stored under another key was served")
	}
	if st := b.c.Stats(); st.SharedCorruptDropped != 4 {
		t.Fatalf("SharedCorruptDropped %d, want 4", st.SharedCorruptDropped)
	}
	if purges, _ := a.rdb.Get(ctx, "t:purges").Int64(); purges != purgesBefore {
		t.Fatalf("the purge counter went from %d to %d: a corrupt blob was purged cluster-wide", purgesBefore, purges)
	}
}

// TestUnsharedResultNotWaitedFor: when the lease holder's result will not
// be in Redis (over MaxEntrySize, or not to be stored), the nodes that
// waited for it compute theirs at once, side by side, instead of taking
// the lease over one after another. b's and c's fns each wait (up to 5 s)
// for the other to start: taking turns, the first of them fails.
func TestUnsharedResultNotWaitedFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store bool
	}{{"too large", true}, {"not to be stored", false}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := redistest.Start(t)
			o, to := cluster.Options{LeaseTTL: 10 * time.Second}, Options{MaxEntrySize: 16}
			a, b, c := newNode(t, srv.Addr, o, to), newNode(t, srv.Addr, o, to), newNode(t, srv.Addr, o, to)
			big := cache.Entry{Value: make([]byte, 1024)}
			ctx := context.Background()
			holding, finish := make(chan struct{}), make(chan struct{})
			aDone := make(chan error, 1)
			go func() {
				_, out, err := a.c.Do(ctx, "result", "big", func(context.Context) (cache.Entry, bool, error) {
					close(holding)
					<-finish
					return big, tc.store, nil
				})
				if err == nil && !out.Executed {
					err = fmt.Errorf("a: outcome %+v, want executed", out)
				}
				aDone <- err
			}()
			<-holding // a holds the lease
			var running atomic.Int32
			both := make(chan struct{})
			fill := func(context.Context) (cache.Entry, bool, error) {
				if running.Add(1) == 2 {
					close(both)
				}
				select {
				case <-both:
					return big, tc.store, nil
				case <-time.After(5 * time.Second):
					return cache.Entry{}, false, errors.New("the other waiter did not compute meanwhile: they took turns")
				}
			}
			errs := make(chan error, 2)
			for _, n := range []*node{b, c} {
				go func() {
					_, out, err := n.c.Do(ctx, "result", "big", fill)
					if err == nil && !out.Executed {
						err = fmt.Errorf("outcome %+v, want executed", out)
					}
					errs <- err
				}()
			}
			waitFor(t, "b and c waiting for a's lease", func() bool {
				return b.c.Stats().LeaseWaits == 1 && c.c.Stats().LeaseWaits == 1
			})
			close(finish)
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if err := <-aDone; err != nil {
				t.Fatal(err)
			}
			if sb, sc := b.c.Stats(), c.c.Stats(); sb.Takeovers+sc.Takeovers != 0 {
				t.Fatalf("takeovers %d and %d, want none: the lease was released unshared", sb.Takeovers, sc.Takeovers)
			}
		})
	}
}

func TestMaxEntrySizeAndTTL(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{MaxEntrySize: 200, TTL: time.Hour})
	a.c.Set("result", "big", cache.Entry{Value: make([]byte, 300)})
	a.c.Set("result", "small", cache.Entry{Value: make([]byte, 10)})
	a.c.Flush()
	ctx := context.Background()
	if n, _ := a.rdb.Exists(ctx, a.tier.entryKey("result", "big")).Result(); n != 0 {
		t.Fatal("an entry over max_entry_size was stored")
	}
	ttl, err := a.rdb.TTL(ctx, a.tier.entryKey("result", "small")).Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("TTL %v (%v), want about 1h", ttl, err)
	}
	if st := a.tier.Stats(); st.Dropped != 1 || st.Writes != 1 {
		t.Fatalf("stats %+v, want 1 dropped, 1 write", st)
	}
}

func TestCoalescedAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	nodes := []*node{newNode(t, srv.Addr, cluster.Options{}, Options{}), newNode(t, srv.Addr, cluster.Options{}, Options{}), newNode(t, srv.Addr, cluster.Options{}, Options{})}
	var runs atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, _, err := nodes[i%3].c.Do(context.Background(), "result", "same", func(context.Context) (cache.Entry, bool, error) {
				runs.Add(1)
				time.Sleep(200 * time.Millisecond)
				return cache.Entry{Value: []byte("v")}, true, nil
			})
			if err == nil && string(e.Value) != "v" {
				err = errors.New("wrong value " + string(e.Value))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("fn ran %d times across three nodes, want 1", n)
	}
	var waits uint64
	for _, n := range nodes {
		waits += n.c.Stats().LeaseWaits
	}
	if waits != 2 {
		t.Fatalf("lease waits %d, want 2 (one flight per other node)", waits)
	}
}

func TestTakeoverWhenHolderDies(t *testing.T) {
	srv := redistest.Start(t)
	o := cluster.Options{LeaseTTL: 300 * time.Millisecond}
	dead := newNode(t, srv.Addr, o, Options{})
	b := newNode(t, srv.Addr, o, Options{})
	release, err := dead.tier.Acquire(context.Background(), "mask", "photo")
	if err != nil || release == nil {
		t.Fatalf("Acquire: won %v, %v", release != nil, err)
	}
	dead.n.Close() // stops renewing: the lease expires

	start := time.Now()
	e, out, err := b.c.Do(context.Background(), "mask", "photo", func(context.Context) (cache.Entry, bool, error) {
		return cache.Entry{Value: []byte("m")}, true, nil
	})
	if err != nil || string(e.Value) != "m" || !out.Executed {
		t.Fatalf("Do = %q %+v %v, want m executed by the takeover", e.Value, out, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("takeover took %v", d)
	}
	if st := b.c.Stats(); st.Takeovers != 1 || st.LeaseWaits != 1 {
		t.Fatalf("stats %+v, want 1 takeover after 1 wait", st)
	}
}

func TestWaitBoundedByCallerContext(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{LeaseTTL: 10 * time.Second}, Options{})
	b := newNode(t, srv.Addr, cluster.Options{LeaseTTL: 10 * time.Second}, Options{})
	release, err := a.tier.Acquire(context.Background(), "result", "slow")
	if err != nil || release == nil {
		t.Fatal(err)
	}
	defer release(false)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = b.c.Do(ctx, "result", "slow", func(context.Context) (cache.Entry, bool, error) {
		t.Error("fn ran while another node held the lease")
		return cache.Entry{}, false, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("waited %v past a 150ms deadline", d)
	}
}

func TestPurgeReachesOtherNodes(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	b := newNode(t, srv.Addr, cluster.Options{}, Options{})
	for _, k := range []string{"k1", "k2", "k3"} {
		a.c.Set("result", k, cache.Entry{Value: []byte(k), Tag: "t-" + k})
	}
	a.c.Set("mask", "m1", cache.Entry{Value: []byte("m")})
	a.c.Flush()
	for _, k := range []string{"k1", "k2", "k3"} {
		if _, tier, _ := b.c.Get("result", k); tier != cache.TierShared {
			t.Fatalf("%s: tier %v", k, tier)
		}
	}
	b.c.Get("mask", "m1")
	gone := func(c *cache.Cache, ns, k string) func() bool {
		return func() bool { _, _, ok := c.Get(ns, k); return !ok }
	}
	if err := a.c.Delete("result", "k1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "k1 gone from b", gone(b.c, "result", "k1"))
	if err := a.c.PurgeTag("t-k2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "k2 gone from b", gone(b.c, "result", "k2"))
	if _, _, ok := b.c.Get("result", "k3"); !ok {
		t.Fatal("k3 purged by another key's purge")
	}
	if err := a.c.Purge("result"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "k3 gone from b", gone(b.c, "result", "k3"))
	if _, _, ok := b.c.Get("mask", "m1"); !ok {
		t.Fatal("mask purged by a purge of results")
	}
	if err := a.c.PurgeAll(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "m1 gone from b", gone(b.c, "mask", "m1"))
}

func TestBreakerSkipsRedisWhileDown(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{Timeout: 100 * time.Millisecond}, Options{})
	b := newNode(t, srv.Addr, cluster.Options{Timeout: 100 * time.Millisecond}, Options{})
	srv.Stop()
	for i := range 5 {
		start := time.Now()
		e, _, err := b.c.Do(context.Background(), "result", "k", func(context.Context) (cache.Entry, bool, error) {
			return cache.Entry{Value: []byte("local")}, false, nil
		})
		if err != nil || string(e.Value) != "local" {
			t.Fatalf("Do %d with Redis down = %q, %v", i, e.Value, err)
		}
		if d := time.Since(start); d > 800*time.Millisecond {
			t.Fatalf("Do %d took %v with Redis down", i, d)
		}
	}
	if b.n.Breaker() != cluster.BreakerOpen {
		t.Fatal("breaker still closed after repeated failures")
	}
	start := time.Now()
	b.c.Get("result", "x")
	if d := time.Since(start); d > 20*time.Millisecond {
		t.Fatalf("Get with the breaker open took %v", d)
	}
	srv.Restart()
	waitFor(t, "breaker closed", func() bool { return b.n.Breaker() == cluster.BreakerClosed })
	a.c.Set("result", "after", cache.Entry{Value: []byte("x")})
	waitFor(t, "a's breaker closed", func() bool { a.c.Flush(); return a.n.Breaker() == cluster.BreakerClosed })
	a.c.Set("result", "after", cache.Entry{Value: []byte("x")})
	a.c.Flush()
	if _, tier, _ := b.c.Get("result", "after"); tier != cache.TierShared {
		t.Fatalf("after restart tier %v, want shared", tier)
	}
}

// heard is the number of the last purge n's tier has applied (in a row).
func (n *node) heard() uint64 {
	n.tier.mu.Lock()
	defer n.tier.mu.Unlock()
	return n.tier.heard
}

// holdWrites makes n's writers stop before each SET until release is
// closed; taken receives each held write's key.
func (n *node) holdWrites(t *testing.T) (taken chan string, release chan struct{}) {
	taken, release = make(chan string, 16), make(chan struct{})
	n.tier.testBeforeSet = func(p *put) {
		taken <- p.key
		<-release
	}
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	return taken, release
}

// TestFailedWriteRetracted: a write whose pipeline fails after its SET was
// applied (here the tag's SADD meets a key of another type, as it may meet
// another cluster slot's refusal) would leave an entry missing from its
// tag's set, out of PurgeTag's reach: it is deleted again.
func TestFailedWriteRetracted(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	ctx := context.Background()
	if err := a.rdb.Set(ctx, a.tier.tagKey("src"), "not a set", 0).Err(); err != nil {
		t.Fatal(err)
	}
	a.c.Set("result", "k", cache.Entry{Value: []byte("v"), Tag: "src"})
	a.c.Flush()
	n, err := a.rdb.Exists(ctx, a.tier.entryKey("result", "k")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if st := a.tier.Stats(); n != 0 || st.WriteErrors != 1 || st.Retracted != 1 || st.Writes != 0 {
		t.Fatalf("after a failed write: entry exists %d, stats %+v; want it deleted, 1 write error, 1 retracted", n, st)
	}
}

// TestTagIndexKeepsLiveEntries: a tag's index drops the entries that have
// expired whenever the tag is written to again, so a source written to for
// ever indexes its live variants only (a plain set kept every key it ever
// had, for as long as the tag was written to within the TTL).
func TestTagIndexKeepsLiveEntries(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{TTL: time.Second})
	ctx := context.Background()
	for i := range 20 {
		a.c.Set("result", fmt.Sprintf("old-%d", i), cache.Entry{Value: []byte("v"), Tag: "src"})
	}
	a.c.Flush()
	if n, err := a.rdb.ZCard(ctx, a.tier.tagKey("src")).Result(); err != nil || n != 20 {
		t.Fatalf("index of 20 entries: %d (%v)", n, err)
	}
	time.Sleep(1100 * time.Millisecond) // the 20 expire
	a.c.Set("result", "new", cache.Entry{Value: []byte("v"), Tag: "src"})
	a.c.Flush()
	members, err := a.rdb.ZRange(ctx, a.tier.tagKey("src"), 0, -1).Result()
	if err != nil || len(members) != 1 || members[0] != a.tier.entryKey("result", "new") {
		t.Fatalf("index after the 20 expired and one write: %v (%v), want the new entry alone", members, err)
	}
	if ttl, err := a.rdb.PTTL(ctx, a.tier.tagKey("src")).Result(); err != nil || ttl <= 0 || ttl > time.Second {
		t.Fatalf("index TTL %v (%v), want the entries' TTL", ttl, err)
	}
}

// TestPurgeTagInBatches: a tag with more entries than one batch is purged
// whole, and so is an index in the earlier format (a plain set) left by a
// node that ran before it.
func TestPurgeTagInBatches(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	ctx := context.Background()
	const n = 2*tagBatch + 7
	for i := range n {
		a.c.Set("result", fmt.Sprintf("k%d", i), cache.Entry{Value: []byte("v"), Tag: "src"})
	}
	a.c.Set("result", "other", cache.Entry{Value: []byte("v"), Tag: "other"})
	a.c.Flush()
	legacy := a.tier.entryKey("result", "legacy")
	if err := a.rdb.Set(ctx, legacy, "an entry an older node indexed", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.rdb.SAdd(ctx, a.tier.legacyTagKey("src"), legacy).Err(); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		keys, err := a.rdb.Keys(ctx, "t:e:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	if got := count(); got != n+2 {
		t.Fatalf("%d entries stored, want %d", got, n+2)
	}
	if err := a.c.PurgeTag("src"); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 1 {
		t.Fatalf("%d entries left after the purge of src, want 1 (other)", got)
	}
	for _, k := range []string{a.tier.tagKey("src"), a.tier.legacyTagKey("src")} {
		if n, _ := a.rdb.Exists(ctx, k).Result(); n != 0 {
			t.Errorf("index %s left after the purge", k)
		}
	}
	if _, _, ok := a.c.Get("result", "other"); !ok {
		t.Fatal("another tag's entry was purged")
	}
}

// TestLateWriteRetracted: a write that b's writer had taken from its queue
// when a purge ran on a lands after the purge's delete. It is deleted again
// when the purge covers it (heard or not), and kept when it does not.
func TestLateWriteRetracted(t *testing.T) {
	cases := []struct {
		name   string
		purge  func(a *node) error
		heard  bool // wait until b has applied the purge before the write lands
		retain bool
	}{
		{"all", func(a *node) error { return a.c.PurgeAll() }, true, false},
		{"all, message not yet heard", func(a *node) error { return a.c.PurgeAll() }, false, false},
		{"namespace", func(a *node) error { return a.c.Purge("result") }, true, false},
		{"key", func(a *node) error { return a.c.Delete("result", "k") }, true, false},
		{"tag", func(a *node) error { return a.c.PurgeTag("src") }, true, false},
		{"another tag", func(a *node) error { return a.c.PurgeTag("other") }, true, true},
		{"another namespace", func(a *node) error { return a.c.Purge("mask") }, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := redistest.Start(t)
			a := newNode(t, srv.Addr, cluster.Options{}, Options{})
			b := newNode(t, srv.Addr, cluster.Options{}, Options{})
			taken, release := b.holdWrites(t)
			b.c.Set("result", "k", cache.Entry{Value: []byte("old"), Tag: "src"})
			if k := <-taken; k != "k" {
				t.Fatalf("held write of %q", k)
			}
			if err := tc.purge(a); err != nil {
				t.Fatal(err)
			}
			if tc.heard {
				waitFor(t, "b applying the purge", func() bool { return b.heard() == 1 })
			}
			close(release)
			b.c.Flush()
			n, err := a.rdb.Exists(context.Background(), b.tier.entryKey("result", "k")).Result()
			if err != nil {
				t.Fatal(err)
			}
			st := b.tier.Stats()
			if tc.retain && (n != 1 || st.Retracted != 0) {
				t.Fatalf("a write the purge does not cover: exists %d, retracted %d; want kept", n, st.Retracted)
			}
			if !tc.retain && (n != 0 || st.Retracted != 1) {
				t.Fatalf("a write that landed after the purge: exists %d, retracted %d; want it deleted", n, st.Retracted)
			}
			// A write queued after b applied the purge stays.
			waitFor(t, "b applying the purge", func() bool { return b.heard() == 1 })
			b.c.Set("result", "k2", cache.Entry{Value: []byte("new"), Tag: "src"})
			<-taken
			b.c.Flush()
			if n, _ := a.rdb.Exists(context.Background(), b.tier.entryKey("result", "k2")).Result(); n != 1 {
				t.Fatal("a write queued after the purge was heard did not stay")
			}
		})
	}
}

// TestPurgeReachesOtherTiersOfTheNode: two tiers on one cluster node (two
// sites whose local caches differ) hear each other's purges: the other
// tier's cache drops its copy of the purged key, counts its purge number
// as heard, and takes nothing as lost, so its other entries stay.
func TestPurgeReachesOtherTiersOfTheNode(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	bt := New(a.n, Options{})
	bc, err := cache.New(cache.Options{Shared: bt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bc.Close(); bt.Close() })
	b := &node{rdb: a.rdb, n: a.n, tier: bt, c: bc}
	bc.Set("result", "x", cache.Entry{Value: []byte("x")})
	bc.Set("result", "y", cache.Entry{Value: []byte("y")})
	bc.Flush()
	if err := a.c.Delete("result", "x"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other tier applying the purge", func() bool { return b.heard() == 1 })
	if _, _, ok := bc.Get("result", "x"); ok {
		t.Fatal("the other tier's cache kept its copy of the purged key")
	}
	now := time.Now()
	bt.syncPurges(now)
	bt.syncPurges(now.Add(2 * time.Minute)) // past LostPurgeAfter
	if st := bt.Stats(); st.LostPurges != 0 {
		t.Fatalf("the other tier took %d purge(s) of its own node as lost", st.LostPurges)
	}
	if _, tier, ok := bc.Get("result", "y"); !ok || tier != cache.TierMemory {
		t.Fatalf("y: %v %v, want the other tier's memory copy kept", tier, ok)
	}
	// The purging tier does not hear its own purge back (nor count it).
	if st := a.tier.Stats(); st.LostPurges != 0 || a.heard() != 1 {
		t.Fatalf("purging tier: heard %d, %d lost; want 1 and 0", a.heard(), st.LostPurges)
	}
	// A write of the other tier queued after the purge stays.
	bc.Set("result", "z", cache.Entry{Value: []byte("z")})
	bc.Flush()
	if n, _ := a.rdb.Exists(context.Background(), bt.entryKey("result", "z")).Result(); n != 1 || bt.Stats().Retracted != 0 {
		t.Fatalf("a later write of the other tier: exists %d, retracted %d; want kept", n, bt.Stats().Retracted)
	}
}

// TestQueuedWritesAndPurges: a purge drops the queued writes it covers
// and none other: a write still queued when another tag is purged is
// stored.
func TestQueuedWritesAndPurges(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	b := newNode(t, srv.Addr, cluster.Options{}, Options{Writers: 1})
	taken, release := b.holdWrites(t)
	b.c.Set("result", "first", cache.Entry{Value: []byte("x"), Tag: "src"})
	<-taken // the one writer holds it: the next two stay queued
	b.c.Set("result", "covered", cache.Entry{Value: []byte("y"), Tag: "src"})
	b.c.Set("result", "other", cache.Entry{Value: []byte("z"), Tag: "another"})
	if err := a.c.PurgeTag("src"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b applying the purge", func() bool { return b.heard() == 1 })
	close(release)
	b.c.Flush()
	ctx := context.Background()
	for key, want := range map[string]int64{"first": 0, "covered": 0, "other": 1} {
		if n, err := a.rdb.Exists(ctx, b.tier.entryKey("result", key)).Result(); err != nil || n != want {
			t.Errorf("%s: exists %d (%v), want %d", key, n, err, want)
		}
	}
	if st := b.tier.Stats(); st.Writes != 2 || st.Retracted != 1 {
		t.Errorf("writes %d, retracted %d; want 2 (first, other) and 1 (first)", st.Writes, st.Retracted)
	}
}

// TestLostPurgeMessage: a purge numbered in Redis whose message b never
// gets (its subscription was down) makes b purge its local tiers once, after
// LostPurgeAfter; writes b had queued before are retracted, later ones kept.
func TestLostPurgeMessage(t *testing.T) {
	srv := redistest.Start(t)
	b := newNode(t, srv.Addr, cluster.Options{}, Options{LostPurgeAfter: 300 * time.Millisecond})
	b.c.Set("result", "local", cache.Entry{Value: []byte("x")})
	b.c.Flush()
	taken, release := b.holdWrites(t)
	b.c.Set("result", "k", cache.Entry{Value: []byte("old")})
	<-taken
	ctx := context.Background()
	// Another node's purge: numbered and deleted, its message lost.
	if err := b.rdb.Incr(ctx, "t:purges").Err(); err != nil {
		t.Fatal(err)
	}
	b.rdb.Del(ctx, b.tier.entryKey("result", "local"))
	if _, tier, ok := b.c.Get("result", "local"); !ok || tier != cache.TierMemory {
		t.Fatalf("before the loss is noticed: %v %v, want b's stale memory copy", tier, ok)
	}
	close(release)
	b.c.Flush()
	if n, _ := b.rdb.Exists(ctx, b.tier.entryKey("result", "k")).Result(); n != 0 {
		t.Fatal("a write queued before an unheard purge stayed")
	}
	waitFor(t, "the lost purge applied", func() bool { return b.tier.Stats().LostPurges == 1 })
	if _, _, ok := b.c.Get("result", "local"); ok {
		t.Fatal("the local copy outlived a lost purge")
	}
	if b.heard() != 1 {
		t.Fatalf("heard %d after the loss, want 1", b.heard())
	}
	b.c.Set("result", "k2", cache.Entry{Value: []byte("new")})
	<-taken
	b.c.Flush()
	if n, _ := b.rdb.Exists(ctx, b.tier.entryKey("result", "k2")).Result(); n != 1 {
		t.Fatal("a write after the lost purge was taken into account did not stay")
	}
	if st := b.tier.Stats(); st.LostPurges != 1 || st.Retracted != 1 {
		t.Fatalf("LostPurges %d, Retracted %d; want 1 and 1", st.LostPurges, st.Retracted)
	}
}

// TestRestartAfterMissedPurge: a node with a disk tier and a StateFile that
// was down while another node purged drops its disk tier when it starts,
// before it serves; one that missed nothing keeps it.
func TestRestartAfterMissedPurge(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	dir := t.TempDir()
	state := dir + "/.matte-shared-purges"
	// life runs one life of node b on dir, with fn.
	life := func(fn func(c *cache.Cache, tier *Tier)) {
		t.Helper()
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		n := cluster.NewNode(rdb, cluster.Options{Prefix: "t:", Timeout: time.Second})
		tier := New(n, Options{StateFile: state})
		c, err := cache.New(cache.Options{MemoryMaxBytes: -1, DiskPath: dir, Shared: tier})
		if err != nil {
			t.Fatal(err)
		}
		fn(c, tier)
		c.Flush()
		_ = c.Close()
		tier.Close()
		n.Close()
		_ = rdb.Close()
	}
	stored := func(c *cache.Cache) bool {
		// The disk index is built in the background: wait for it.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if _, tier, ok := c.Get("result", "k"); ok && tier == cache.TierDisk {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	ctx := context.Background()
	if err := a.c.PurgeAll(); err != nil { // counter at 1 before b's first life
		t.Fatal(err)
	}
	life(func(c *cache.Cache, tier *Tier) {
		c.Set("result", "k", cache.Entry{Value: []byte("v")})
	})
	if b, err := os.ReadFile(state); err != nil || string(b) != "1\n" {
		t.Fatalf("state file %q, %v; want 1", b, err)
	}
	// Restarted with no purge in between: the disk tier is kept. (Its
	// shared copy is removed, so a hit can only come from the disk.)
	a.rdb.Del(ctx, a.tier.entryKey("result", "k"))
	life(func(c *cache.Cache, tier *Tier) {
		if !stored(c) {
			t.Fatal("the disk tier lost an entry across a restart without purges")
		}
		if st := tier.Stats(); st.LostPurges != 0 {
			t.Fatalf("LostPurges %d, want 0", st.LostPurges)
		}
	})
	// A purge of another key while b is down: b purges its disk at start.
	if err := a.c.Delete("mask", "x"); err != nil {
		t.Fatal(err)
	}
	life(func(c *cache.Cache, tier *Tier) {
		if _, _, ok := c.Get("result", "k"); ok {
			t.Fatal("an entry outlived a purge made while its node was down")
		}
		// Not a miss of a disk index still being built: the files are gone.
		if _, err := os.Stat(dir + "/result"); !os.IsNotExist(err) {
			t.Fatalf("the disk tier's result directory is still there (%v)", err)
		}
		if st := tier.Stats(); st.LostPurges != 1 {
			t.Fatalf("LostPurges %d, want 1", st.LostPurges)
		}
	})
	if b, err := os.ReadFile(state); err != nil || string(b) != "2\n" {
		t.Fatalf("state file %q, %v; want 2", b, err)
	}
}

// TestStateSavedAfterHandlers: while a heard purge's handlers are still
// running, the StateFile does not record it, even when one of the node's
// own purges saves the state meanwhile; it does once they return.
func TestStateSavedAfterHandlers(t *testing.T) {
	a, b, read := stateNodes(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before b's: Close waits for the handler
	b.tier.OnPurge(func(p cache.SharedPurge) {
		if p.Tag == "slow" {
			close(entered)
			<-release
		}
	})
	if err := a.c.PurgeTag("slow"); err != nil { // number 1
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("b's handler never saw purge 1")
	}
	if err := b.c.Delete("result", "k"); err != nil { // number 2, b's own
		t.Fatal(err)
	}
	if b.heard() != 2 {
		t.Fatalf("heard %d, want 2", b.heard())
	}
	if s := read(); s != "0\n" {
		t.Fatalf("state %q while purge 1's handlers run, want 0", s)
	}
	once.Do(func() { close(release) })
	waitFor(t, "the state saved", func() bool { return read() == "2\n" })
}

// TestStartsWithRedisDown: a node that cannot read the purge counter at
// start drops its shared writes (it could not vouch for them), and stores
// them again once Redis is back, without waiting for the periodic read.
func TestStartsWithRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	b := newNode(t, srv.Addr, cluster.Options{Timeout: 100 * time.Millisecond}, Options{})
	b.c.Set("result", "early", cache.Entry{Value: []byte("x")})
	b.c.Flush()
	if st := b.tier.Stats(); st.Dropped != 1 || st.Writes != 0 {
		t.Fatalf("with Redis down at start: %d dropped, %d written; want 1 and 0", st.Dropped, st.Writes)
	}
	srv.Restart()
	waitFor(t, "the tier synced after Redis came back", func() bool {
		b.tier.mu.Lock()
		defer b.tier.mu.Unlock()
		return b.tier.synced
	})
	b.c.Set("result", "late", cache.Entry{Value: []byte("y")})
	b.c.Flush()
	if n, _ := b.rdb.Exists(context.Background(), b.tier.entryKey("result", "late")).Result(); n != 1 {
		t.Fatal("a write after Redis came back was not stored")
	}
}

// roundTrips is a redis.Hook counting the commands and pipelines a client
// sends (a pipeline is one round trip).
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestPurgeNamespaceUnlinksPages: a purge of a namespace (and PurgeAll)
// deletes thousands of entries in a few round trips (one per SCAN page),
// not one per key, and leaves the other namespaces alone.
func TestPurgeNamespaceUnlinksPages(t *testing.T) {
	srv := redistest.Start(t)
	rt := &roundTrips{}
	a := newNode(t, srv.Addr, cluster.Options{}, Options{}, rt)
	ctx := context.Background()
	const entries = 3000
	pipe := a.rdb.Pipeline()
	for i := range entries {
		pipe.Set(ctx, a.tier.entryKey("result", fmt.Sprint(i)), "x", time.Hour)
	}
	for i := range 10 {
		pipe.Set(ctx, a.tier.entryKey("mask", fmt.Sprint(i)), "x", time.Hour)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(pattern string) int {
		t.Helper()
		keys, err := a.rdb.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	before := rt.n.Load()
	if err := a.tier.PurgeNamespace("result"); err != nil {
		t.Fatal(err)
	}
	if n := rt.n.Load() - before; n > 50 {
		t.Fatalf("the purge of %d entries took %d round trips, want a few per SCAN page", entries, n)
	}
	if n := count("t:e:result:*"); n != 0 {
		t.Fatalf("%d entries of the namespace left after its purge", n)
	}
	if n := count("t:e:mask:*"); n != 10 {
		t.Fatalf("%d of 10 entries of another namespace left after the purge", n)
	}
	if err := a.tier.PurgeAll(); err != nil {
		t.Fatal(err)
	}
	if n := count("t:e:*"); n != 0 {
		t.Fatalf("%d entries left after PurgeAll", n)
	}
}

// TestStateFileSynced: every save of the StateFile fsyncs its directory
// after the rename, so that the number survives a crash (the rename alone
// lives in the page cache until then). A crash cannot be staged in a
// test: the recorded fsyncs, and what the file held at each, stand in.
func TestStateFileSynced(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	state := filepath.Join(dir, ".matte-shared-purges")
	var mu sync.Mutex
	var seen []string // the file's content at each fsync of dir
	fs := &durable.FS{SyncDirFunc: func(d string) error {
		b, err := os.ReadFile(state)
		mu.Lock()
		if d == dir && err == nil {
			seen = append(seen, string(b))
		}
		mu.Unlock()
		return (*durable.FS)(nil).SyncDir(d)
	}}
	synced := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
	b := newNode(t, srv.Addr, cluster.Options{}, Options{StateFile: state, fs: fs})
	waitFor(t, "the first save", func() bool { return len(synced()) > 0 })
	if s := synced(); s[0] != "0\n" {
		t.Fatalf("directory synced with %q in the state file, want 0", s[0])
	}
	if err := b.c.Delete("result", "k"); err != nil { // number 1
		t.Fatal(err)
	}
	if s := synced(); s[len(s)-1] != "1\n" {
		t.Fatalf("after purge 1 the directory was synced with %q in the state file, want 1", s)
	}
}

// diskNode is node b of the StateFile tests: a cache with a disk tier on
// dir (index ready) and a tier saving its StateFile there.
func diskNode(t *testing.T, addr, dir string) (*cache.Cache, *Tier) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	n := cluster.NewNode(rdb, cluster.Options{Prefix: "t:", Timeout: time.Second})
	select {
	case <-n.Subscribed():
	case <-time.After(5 * time.Second):
		t.Fatal("the node's subscription was not confirmed in 5 s")
	}
	tier := New(n, Options{StateFile: filepath.Join(dir, stateName)})
	c, err := cache.New(cache.Options{MemoryMaxBytes: -1, DiskPath: dir, Shared: tier})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); tier.Close(); n.Close(); _ = rdb.Close() })
	waitFor(t, "the disk index", func() bool { return c.Stats().DiskIndexReady })
	return c, tier
}

const stateName = ".matte-shared-purges"

// blockEntry puts a non-empty directory at ns/key's entry path under the
// disk tier's root dir, so that the entry's unlink fails (ENOTEMPTY, even
// for root) and a Delete of it is not applied.
func blockEntry(t *testing.T, dir, ns, key string) {
	t.Helper()
	h := hashKey(key)
	p := filepath.Join(dir, ns, h[0:2], h[2:4], h)
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
}

// TestStateStopsAtFailedPurge: once a purge fails on the local tiers, the
// node's own or another node's, the StateFile no longer advances (until
// restart, which then purges everything: every purge after the recorded
// number is taken as missed).
func TestStateStopsAtFailedPurge(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote=%v", remote), func(t *testing.T) {
			srv := redistest.Start(t)
			a := newNode(t, srv.Addr, cluster.Options{}, Options{})
			dir := t.TempDir()
			c, tier := diskNode(t, srv.Addr, dir)
			read := func() string {
				t.Helper()
				s, err := os.ReadFile(filepath.Join(dir, stateName))
				if err != nil {
					t.Fatal(err)
				}
				return string(s)
			}
			if err := c.Delete("result", "fine"); err != nil { // number 1
				t.Fatal(err)
			}
			if s := read(); s != "1\n" {
				t.Fatalf("state %q after purge 1, want 1", s)
			}
			blockEntry(t, dir, "result", "stuck")
			if remote {
				if err := a.c.Delete("result", "stuck"); err != nil { // number 2
					t.Fatal(err)
				}
				waitFor(t, "purge 2 heard", func() bool {
					tier.mu.Lock()
					defer tier.mu.Unlock()
					return tier.heard == 2 && tier.applying == 0
				})
			} else if err := c.Delete("result", "stuck"); err == nil { // number 2
				t.Fatal("a Delete whose unlink fails returned no error")
			}
			if err := c.Delete("result", "fine"); err != nil { // number 3
				t.Fatal(err)
			}
			if s := read(); s != "1\n" {
				t.Fatalf("state %q after purge 2 failed on the disk, want 1", s)
			}
		})
	}
}

// TestStateFileStaleTemps: a temporary file of the StateFile's that a
// crash left behind is removed when the tier starts; a fresh one, perhaps
// another generation's write in progress, is kept.
func TestStateFileStaleTemps(t *testing.T) {
	srv := redistest.Start(t)
	state := filepath.Join(t.TempDir(), stateName)
	check := durabletest.Temps(t, state)
	newNode(t, srv.Addr, cluster.Options{}, Options{StateFile: state})
	check()
}

// TestStateWaitsForMissedPurge: a node that finds purges made while it was
// down purges its local tiers whole (purgeMissed); until those handlers
// return, the StateFile does not record the counter, whoever saves it
// meanwhile.
func TestStateWaitsForMissedPurge(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	state := t.TempDir() + "/.matte-shared-purges"
	if err := os.WriteFile(state, []byte("0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.c.PurgeAll(); err != nil { // number 1, made while b is down
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	n := cluster.NewNode(rdb, cluster.Options{Prefix: "t:", Timeout: time.Second})
	defer n.Close()
	tier := New(n, Options{StateFile: state})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer tier.Close()
	defer open() // before Close: Close waits for the handler
	go tier.OnPurge(func(p cache.SharedPurge) {
		if p.All {
			close(entered)
			<-release
		}
	})
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the missed purge never reached the handler")
	}
	tier.saveState()
	if b, err := os.ReadFile(state); err != nil || string(b) != "0\n" {
		t.Fatalf("state %q (%v) while the missed purge's handler runs, want 0", b, err)
	}
	open()
	waitFor(t, "the state saved", func() bool {
		b, _ := os.ReadFile(state)
		return string(b) == "1\n"
	})
}

// TestStateFailedBeforeAnySave: a purge that fails on the local tiers
// before the StateFile holds any number (Redis down since the start)
// leaves a file that the next start takes as purges missed, not as a
// fresh disk.
func TestStateFailedBeforeAnySave(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	state := filepath.Join(t.TempDir(), stateName)
	b := newNode(t, srv.Addr, cluster.Options{Timeout: 100 * time.Millisecond}, Options{StateFile: state})
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatalf("a state file before the first sync: %v", err)
	}
	b.tier.PurgePending()(false)
	again := New(b.n, Options{StateFile: state})
	defer again.Close()
	if !again.hasRestored || again.restored != math.MaxUint64 {
		t.Fatalf("restored %d (file: %v), want the number no counter has", again.restored, again.hasRestored)
	}
}

// TestEvictedTagIndexHidesEntries: under allkeys-lru a tag's index (written
// only with its entries) can be evicted while the entries, read on every
// hit, stay. A PurgeTag then finds nothing to delete in Redis; the entries
// must not be served after it, or every node would promote the purged
// image again. Eviction is stood in for by a DEL of the index: the state it
// leaves. An entry its index does not list is a miss (and, but on a Redis
// Cluster, deleted); an untagged entry is a hit, in one round trip.
func TestEvictedTagIndexHidesEntries(t *testing.T) {
	for _, twoStep := range []bool{false, true} {
		t.Run(fmt.Sprintf("cluster path %v", twoStep), func(t *testing.T) {
			srv := redistest.Start(t)
			rt := &roundTrips{}
			a := newNode(t, srv.Addr, cluster.Options{}, Options{})
			b := newNode(t, srv.Addr, cluster.Options{}, Options{}, rt)
			b.tier.testTwoStepGet = twoStep
			ctx := context.Background()
			a.c.Set("result", "k", cache.Entry{Value: []byte("old"), Tag: "src"})
			a.c.Set("result", "u", cache.Entry{Value: []byte("untagged")})
			a.c.Flush()
			if e, tier, ok := b.c.Get("result", "k"); !ok || tier != cache.TierShared || string(e.Value) != "old" {
				t.Fatalf("b.Get before the purge = %q %v %v, want old from the shared tier", e.Value, tier, ok)
			}
			if err := a.rdb.Del(ctx, a.tier.tagKey("src")).Err(); err != nil {
				t.Fatal(err)
			}
			if err := a.c.PurgeTag("src"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "b applying the purge", func() bool { return b.heard() == 1 })
			if e, tier, ok := b.c.Get("result", "k"); ok {
				t.Fatalf("b.Get after the purge = %q from %v: the purged entry was served", e.Value, tier)
			}
			n, err := a.rdb.Exists(ctx, a.tier.entryKey("result", "k")).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int64{false: 0, true: 1}[twoStep]; n != want {
				t.Fatalf("unlisted entry exists %d, want %d", n, want)
			}
			for i := range 2 { // the first may load the script (EVALSHA, then EVAL)
				before := rt.n.Load()
				blob, err := b.tier.Get("result", "u")
				if err != nil || blob == nil {
					t.Fatalf("untagged entry: %v %v, want a hit", blob, err)
				}
				if trips := rt.n.Load() - before; i == 1 && trips != 1 {
					t.Fatalf("an untagged hit took %d round trips, want 1", trips)
				}
			}
			// A tagged entry written again is listed again, and a hit.
			a.c.Set("result", "k", cache.Entry{Value: []byte("new"), Tag: "src"})
			a.c.Flush()
			for i := range 2 {
				before := rt.n.Load()
				blob, err := b.tier.Get("result", "k")
				if err != nil || blob == nil {
					t.Fatalf("rewritten entry: %v %v, want a hit", blob, err)
				}
				want := map[bool]int64{false: 1, true: 2}[twoStep]
				if trips := rt.n.Load() - before; i == 1 && trips != want {
					t.Fatalf("a tagged hit took %d round trips, want %d", trips, want)
				}
			}
		})
	}
}

// TestPurgeCounterLost: Redis lost the purge counter (evicted, or
// restarted empty) while b's writer held a write queued after purge 3.
// The next purge is numbered 1 again, below what b heard: b cannot tell
// whether it covers the write, which must not stay.
func TestPurgeCounterLost(t *testing.T) {
	srv := redistest.Start(t)
	a := newNode(t, srv.Addr, cluster.Options{}, Options{})
	b := newNode(t, srv.Addr, cluster.Options{}, Options{})
	ctx := context.Background()
	for range 3 {
		if err := a.c.Purge("mask"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "b applying the purges", func() bool { return b.heard() == 3 })
	taken, release := b.holdWrites(t)
	b.c.Set("result", "k", cache.Entry{Value: []byte("old"), Tag: "src"})
	<-taken
	if err := a.rdb.Del(ctx, "t:purges").Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.c.PurgeTag("src"); err != nil {
		t.Fatal(err)
	}
	if seq, _ := a.rdb.Get(ctx, "t:purges").Uint64(); seq != 1 {
		t.Fatalf("counter after the loss and a purge: %d, want 1", seq)
	}
	close(release)
	b.c.Flush()
	n, err := a.rdb.Exists(ctx, b.tier.entryKey("result", "k")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if st := b.tier.Stats(); n != 0 || st.Retracted != 1 {
		t.Fatalf("write that landed after a purge numbered by a lost counter: exists %d, retracted %d; want it deleted", n, st.Retracted)
	}
}

// TestStateNotSavedAfterCacheClosed: caddymodule closes a generation's
// Cache before its Tier (cachePoolEntry.Destruct), and the Tier hears
// purges in between. The closed Cache's handler applies none of them, so
// the Tier must not record them: the StateFile is the disk directory's,
// which the next generation shares, and whose own Tier may be holding
// that purge back until it is durable (a PurgeTag during its disk scan).
// A crash after such a save would keep the purged files, with the purge
// recorded as applied.
func TestStateNotSavedAfterCacheClosed(t *testing.T) {
	a, b, read := stateNodes(t)
	if err := b.c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.c.PurgeTag("src"); err != nil { // number 1
		t.Fatal(err)
	}
	waitFor(t, "b's handlers to have run purge 1", func() bool {
		b.tier.mu.Lock()
		defer b.tier.mu.Unlock()
		return b.tier.heard == 1 && b.tier.applying == 0
	})
	b.tier.saveState() // after the handler's own save, if any (stateMu)
	if s := read(); s != "0\n" {
		t.Fatalf("state %q after a purge heard once b's Cache was closed, want 0", s)
	}
}

// stateNodes starts a Redis server and two nodes on it, b with a StateFile;
// read returns the file's text, which is "0\n" on return.
func stateNodes(t *testing.T) (a, b *node, read func() string) {
	t.Helper()
	srv := redistest.Start(t)
	a = newNode(t, srv.Addr, cluster.Options{}, Options{})
	state := t.TempDir() + "/.matte-shared-purges"
	b = newNode(t, srv.Addr, cluster.Options{}, Options{StateFile: state})
	read = func() string {
		t.Helper()
		s, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		return string(s)
	}
	if s := read(); s != "0\n" {
		t.Fatalf("state at start %q, want 0", s)
	}
	return a, b, read
}

// A purge counter the node cannot read for a reason other than the open
// breaker (a wrong password, say) is reported through OnError with
// Redis's error, instead of being dropped.
func TestPurgeCounterErrorReported(t *testing.T) {
	srv := redistest.Start(t)
	srv.RequirePass("right")
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, Password: "wrong", MaxRetries: -1, DialerRetries: 1})
	n := cluster.NewNode(rdb, cluster.Options{Prefix: "t:", Timeout: time.Second, ProbeInterval: 50 * time.Millisecond})
	var mu sync.Mutex
	var reported []error
	tier := New(n, Options{OnError: func(err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	}})
	t.Cleanup(func() { tier.Close(); n.Close(); _ = rdb.Close() })
	// New reads the counter at once. WRONGPASS is Redis's reply to AUTH
	// with a wrong password (https://redis.io/docs/latest/commands/auth/).
	mu.Lock()
	defer mu.Unlock()
	if len(reported) == 0 || !strings.Contains(reported[0].Error(), "purge counter") || !strings.Contains(reported[0].Error(), "WRONGPASS") {
		t.Fatalf("reported %v, want the purge counter's WRONGPASS", reported)
	}
}
