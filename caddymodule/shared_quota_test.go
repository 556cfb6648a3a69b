package caddymodule

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/jebosio/matte/cluster"
	"github.com/jebosio/matte/internal/redistest"
	"github.com/jebosio/matte/internal/testwait"
)

// twoNodes starts a redis-server and two nodes' stores on it, each with
// its usage file in a temporary folder.
func twoNodes(t *testing.T) (srv *redistest.Server, a *redisUsage, na *cluster.Node, b *redisUsage) {
	srv = redistest.Start(t)
	dir := t.TempDir()
	a, na = newRedisUsage(t, srv.Addr, filepath.Join(dir, "a.json"))
	b, _ = newRedisUsage(t, srv.Addr, filepath.Join(dir, "b.json"))
	return srv, a, na, b
}

func newRedisUsage(t *testing.T, addr, path string) (*redisUsage, *cluster.Node) {
	t.Helper()
	n := testNode(t, addr, time.Second)
	local, err := openUsage(path)
	if err != nil {
		t.Fatal(err)
	}
	return newRedisUsageOn(t, n, local, path+".journal"), n
}

// testNode is a node on the Redis at addr (prefix "uq:") with an
// operation timeout, closed at the end of the test.
func testNode(t *testing.T, addr string, timeout time.Duration) *cluster.Node {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, MaxRetries: -1, DialTimeout: timeout, ReadTimeout: timeout})
	n := cluster.NewNode(rdb, cluster.Options{Prefix: "uq:", Timeout: timeout, ProbeInterval: 50 * time.Millisecond})
	t.Cleanup(func() { n.Close(); _ = rdb.Close() })
	return n
}

// retrying reports whether u's retry goroutine runs.
func retrying(u *redisUsage) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.retrying
}

// newRedisUsageOn is a store of node n over local and journalPath, like
// sharedUsage's (without the node's pool reference); Destruct runs at the
// end of the test.
func newRedisUsageOn(t *testing.T, n *cluster.Node, local *usageStore, journalPath string) *redisUsage {
	t.Helper()
	u, err := newRedisUsageStore(n.Quota(), local, journalPath, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	u.unsub = n.OnReconnect(u.reconnected)
	t.Cleanup(func() { _ = u.Destruct() })
	return u
}

// Two nodes share one key's credits; with Redis down a node charges
// locally and journals, and the journal reaches Redis when it returns.
func TestRedisUsageSharedAndJournalled(t *testing.T) {
	srv, a, na, b := twoNodes(t)
	quota := 3.0
	for i, u := range []*redisUsage{a, b, a} {
		if !u.reserve("k", &quota, 1) {
			t.Fatalf("reservation %d refused", i)
		}
		if err := u.settle("k", &quota, 1, true); err != nil {
			t.Fatal(err)
		}
	}
	if b.reserve("k", &quota, 1) {
		t.Fatal("a fourth credit fit a quota of 3 shared by two nodes")
	}
	if got := b.remaining("k", &quota); got != 0 {
		t.Fatalf("remaining %v on node b, want 0", got)
	}

	// Redis goes away: a raised quota lets node a charge locally, from the
	// usage it last saw (3).
	srv.Stop()
	quota = 5
	for i := range 2 {
		if !a.reserve("k", &quota, 1) {
			t.Fatalf("outage reservation %d refused", i)
		}
		if err := a.settle("k", &quota, 1, true); err != nil {
			t.Fatal(err)
		}
	}
	if a.reserve("k", &quota, 1) {
		t.Fatal("node a overspent its last known usage during the outage")
	}
	if a.journal.Len() != 2 {
		t.Fatalf("journal holds %d charges, want 2", a.journal.Len())
	}
	if st, ok := a.take("k", 500, 1); !ok || st.limit != 500 {
		t.Fatalf("rate with Redis down: %+v %v, want the local bucket", st, ok)
	}

	srv.Restart()
	testwait.For(t, "the breaker to close", func() bool { return na.Breaker() == cluster.BreakerClosed })
	testwait.For(t, "the journal to merge", func() bool { return a.journal.Len() == 0 })
	m := b.months("k")
	if len(m) == 0 || math.Abs(m[0].Used-5) > 1e-9 {
		// Redis restarted empty (no persistence in the test): the nodes
		// restore the 3 they were told before the outage, and the 2
		// journalled credits are merged on top, none lost.
		t.Fatalf("node b sees %+v, want the 3 charged before the restart and the 2 journalled", m)
	}
}

// check reads the shared bucket as take would decide, spending nothing:
// a full bucket passes as often as asked, one that another node emptied
// is refused with the wait until a unit is back.
func TestRedisUsageCheckSpendsNothing(t *testing.T) {
	_, a, _, b := twoNodes(t)
	for range 5 {
		if _, ok := a.check("k", 2, 1); !ok {
			t.Fatal("check refused a full bucket")
		}
	}
	if st, ok := b.take("k", 2, 2); !ok || st.remaining != 0 {
		t.Fatalf("node b took the whole bucket: %+v %v (check spent some of it)", st, ok)
	}
	st, ok := a.check("k", 2, 1)
	if ok || st.retry <= 0 || st.retry > 31*time.Second {
		t.Fatalf("check of the bucket node b emptied: %+v %v, want a refusal with a wait of up to 30 s", st, ok)
	}
}

// A settle that Redis does not answer (paused across it, as in a stall or
// a partition) is retried once Redis answers again: an uncharged one
// releases its reservation, a charged one charges it once, within seconds
// rather than the reservation's 10-minute hold.
func TestRedisUsageSettleRetriedAfterOutage(t *testing.T) {
	srv, a, _, b := twoNodes(t)
	quota := 2.0
	// usage reads Redis directly (node b's Quota): no call of a's that
	// would merge its journal on success.
	usage := func() (used, held float64, err error) {
		months, held, err := b.q.Usage(context.Background(), "k")
		return months[b.month()], held, err
	}
	for _, charged := range []bool{false, true} {
		if !a.reserve("k", &quota, 1) {
			t.Fatalf("reservation refused (charged %v)", charged)
		}
		if _, held, err := usage(); err != nil || held != 1 {
			t.Fatalf("held %v %v, want the reservation's 1", held, err)
		}
		srv.Pause()
		err := a.settle("k", &quota, 1, charged)
		srv.Resume()
		if err != nil {
			t.Fatalf("settle (charged %v) with Redis paused: %v", charged, err)
		}
		testwait.For(t, fmt.Sprintf("the reservation to be settled (charged %v)", charged), func() bool {
			_, held, err := usage()
			return err == nil && held == 0
		})
		if used, _, _ := usage(); used != map[bool]float64{false: 0, true: 1}[charged] {
			t.Fatalf("used %v after the settle (charged %v)", used, charged)
		}
	}
	testwait.For(t, "the retries to end", func() bool { return !retrying(a) })
	if n := a.journal.Len(); n != 0 {
		t.Fatalf("%d charges left in the journal", n)
	}
	if used, held, err := usage(); err != nil || used != 1 || held != 0 {
		t.Fatalf("used %v, held %v (%v): want the one charge, once, and nothing held", used, held, err)
	}
	// The credit the uncharged settle released is the key's again.
	if !b.reserve("k", &quota, 1) || b.reserve("k", &quota, 1) {
		t.Fatal("want one credit left of 2, after one charge")
	}
}

// Destruct's stopRetries ends the retries of a settle that Redis never
// answered, at once, and none starts after it.
func TestRedisUsageRetriesStopAtDestruct(t *testing.T) {
	srv := redistest.Start(t)
	u, _ := newRedisUsage(t, srv.Addr, filepath.Join(t.TempDir(), "u.json"))
	quota := 2.0
	if !u.reserve("k", &quota, 1) || !u.reserve("k", &quota, 1) {
		t.Fatal("reservations refused")
	}
	srv.Stop()
	if err := u.settle("k", &quota, 1, false); err != nil || !retrying(u) {
		t.Fatalf("settle with Redis down: %v, retrying %v", err, retrying(u))
	}
	done := make(chan struct{})
	go func() { u.stopRetries(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("stopRetries did not return")
	}
	if err := u.settle("k", &quota, 1, false); err != nil {
		t.Fatal(err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.unsettled) > 1 {
		t.Fatalf("%d settles kept after stopRetries, want none added", len(u.unsettled))
	}
}

// A reload that changes the shared cache's Redis settings (its pool key)
// but keeps the usage file holds the old and the new store at once, over
// one journal file: a charge journalled without a token (it has none to
// make Redis charge it once) is merged once whichever store merges, and
// however many times they try.
func TestRedisUsageReloadMergesJournalOnce(t *testing.T) {
	srv := redistest.Start(t)
	path := filepath.Join(t.TempDir(), "usage.json")
	local, err := openUsage(path)
	if err != nil {
		t.Fatal(err)
	}
	m := local.month()
	// The outage's charge, left in the file by a previous run.
	j, err := cluster.OpenJournal(path + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Add(cluster.Charge{ID: "k", Month: m, Cost: 1}); err != nil {
		t.Fatal(err)
	}
	// The generations differ in their timeout: two nodes, one Redis.
	old := newRedisUsageOn(t, testNode(t, srv.Addr, time.Second), local, path+".journal")
	cur := newRedisUsageOn(t, testNode(t, srv.Addr, 2*time.Second), local, path+".journal")
	if old.journal.Pending("k", m) != 1 || cur.journal.Pending("k", m) != 1 {
		t.Fatal("the journalled charge is not pending in both generations")
	}
	var wg sync.WaitGroup
	for _, u := range []*redisUsage{old, cur, old, cur} {
		wg.Go(u.merge)
	}
	wg.Wait()
	old.merge()
	cur.merge()
	months, _, err := cur.q.Usage(context.Background(), "k")
	if err != nil || months[m] != 1 {
		t.Fatalf("used %v (%v) after both generations merged, want the one charge once", months[m], err)
	}
	if old.journal.Len() != 0 || cur.journal.Len() != 0 {
		t.Fatalf("charges left in the journal: %d and %d", old.journal.Len(), cur.journal.Len())
	}
}

// The uncharged settles kept for retrying never number more than
// maxUnsettled, even while a round is retrying them (here stuck on a
// paused Redis) and new failures queue meanwhile: the oldest are dropped,
// so the newest maxUnsettled are what is left.
func TestRedisUsageUnsettledBoundedDuringRound(t *testing.T) {
	srv := redistest.Start(t)
	u, _ := newRedisUsage(t, srv.Addr, filepath.Join(t.TempDir(), "u.json"))
	until := time.Now().Add(time.Minute)
	queue := func(tag string) {
		for i := range maxUnsettled {
			u.retry(unsettled{id: "k", month: u.month(), token: fmt.Sprintf("%s%d", tag, i), cost: 1, until: until})
		}
	}
	kept := func() []unsettled {
		u.mu.Lock()
		defer u.mu.Unlock()
		return slices.Clone(u.unsettled)
	}
	srv.Pause()
	queue("old")
	// The first round starts settleRetryMin later and waits on the paused
	// Redis (the node's 1 s timeout) for its first settle.
	time.Sleep(settleRetryMin + 300*time.Millisecond)
	queue("new")
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if n := len(kept()); n > maxUnsettled {
			t.Fatalf("%d settles kept, want at most %d", n, maxUnsettled)
		}
	}
	k := kept()
	if len(k) != maxUnsettled || k[0].token != "new0" || k[len(k)-1].token != fmt.Sprintf("new%d", maxUnsettled-1) {
		t.Fatalf("kept %d settles, from %q to %q: want the %d newest", len(k), k[0].token, k[len(k)-1].token, maxUnsettled)
	}
}

// A wake left by a breaker close while no retry ran does not cut short
// the first wait of the next retries: a failed settle is retried
// settleRetryMin after it, not at once.
func TestRedisUsageStaleWakeIgnored(t *testing.T) {
	srv := redistest.Start(t)
	u, _ := newRedisUsage(t, srv.Addr, filepath.Join(t.TempDir(), "u.json"))
	quota := 1.0
	if !u.reserve("k", &quota, 1) {
		t.Fatal("reservation refused")
	}
	h, _ := u.popHeld("k", 1)
	u.reconnected() // nothing to retry: no goroutine takes the wake
	start := time.Now()
	u.retry(unsettled{id: "k", month: u.month(), token: h.token, cost: 1, until: h.until})
	testwait.For(t, "the retry to release the reservation", func() bool { return !retrying(u) })
	if d := time.Since(start); d < settleRetryMin {
		t.Fatalf("the first retry ran %v after the failure, before settleRetryMin (%v)", d, settleRetryMin)
	}
	if _, held, err := u.q.Usage(context.Background(), "k"); err != nil || held != 0 {
		t.Fatalf("held %v (%v) after the retry, want 0", held, err)
	}
}

// A reservation whose answer Redis never gave (paused past the timeout)
// may have been made all the same: it is released once Redis is back, so
// it does not hold the key's credits for the whole hold.
func TestRedisUsageLostReserveReleased(t *testing.T) {
	srv, a, _, b := twoNodes(t)
	quota := 2.0
	// A connection of a's open before the pause, and the scripts loaded:
	// the reservation goes out on it and is run when Redis resumes, its
	// answer long given up.
	if !a.reserve("k", &quota, 1) || a.settle("k", &quota, 1, false) != nil {
		t.Fatal("a reservation and its release with Redis up failed")
	}
	srv.Pause()
	ok := a.reserve("k", &quota, 1) // answered by the local store
	srv.Resume()
	if !ok {
		t.Fatal("reservation refused with Redis paused")
	}
	testwait.For(t, "the lost reservation to be released", func() bool {
		_, held, err := b.q.Usage(context.Background(), "k")
		return err == nil && held == 0 && !retrying(a)
	})
	if err := a.settle("k", &quota, 1, true); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the local charge to reach Redis", func() bool {
		a.merge()
		months, held, err := b.q.Usage(context.Background(), "k")
		return err == nil && held == 0 && months[b.month()] == 1
	})
}
