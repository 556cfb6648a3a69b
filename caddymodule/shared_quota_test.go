package caddymodule

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/jebosio/matte/cluster"
	"github.com/jebosio/matte/internal/redistest"
	"github.com/jebosio/matte/internal/testwait"
)

func newRedisUsage(t *testing.T, addr, path string) (*redisUsage, *cluster.Node) {
	t.Helper()
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
	n := cluster.NewNode(rdb, cluster.Options{Prefix: "uq:", Timeout: time.Second, ProbeInterval: 50 * time.Millisecond})
	t.Cleanup(func() { n.Close(); _ = rdb.Close() })
	local, err := openUsage(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := cluster.OpenJournal(path + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	u := &redisUsage{q: n.Quota(), local: local, journal: j, logger: zap.NewNop(), held: map[string][]heldCredits{}}
	n.OnReconnect(u.merge)
	return u, n
}

// Two nodes share one key's credits; with Redis down a node charges
// locally and journals, and the journal reaches Redis when it returns.
func TestRedisUsageSharedAndJournalled(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	a, na := newRedisUsage(t, srv.Addr, filepath.Join(dir, "a.json"))
	b, _ := newRedisUsage(t, srv.Addr, filepath.Join(dir, "b.json"))
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
	if len(m) == 0 || math.Abs(m[0].Used-2) > 1e-9 {
		// Redis restarted empty (no persistence in the test): only the
		// journalled charges are there, none lost.
		t.Fatalf("node b sees %+v, want the 2 journalled credits", m)
	}
}

// check reads the shared bucket as take would decide, spending nothing:
// a full bucket passes as often as asked, one that another node emptied
// is refused with the wait until a unit is back.
func TestRedisUsageCheckSpendsNothing(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	a, _ := newRedisUsage(t, srv.Addr, filepath.Join(dir, "a.json"))
	b, _ := newRedisUsage(t, srv.Addr, filepath.Join(dir, "b.json"))
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
