package cluster

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jebosio/matte/internal/redistest"
)

func newTestNode(t *testing.T, addr string) *Node {
	t.Helper()
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, MaxRetries: -1,
		DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	n := NewNode(rdb, Options{Prefix: "q:", ProbeInterval: 50 * time.Millisecond, Timeout: 2 * time.Second})
	t.Cleanup(func() { n.Close(); _ = rdb.Close() })
	return n
}

func TestReserveExactAcrossNodes(t *testing.T) {
	srv := redistest.Start(t)
	nodes := []*Node{newTestNode(t, srv.Addr), newTestNode(t, srv.Addr), newTestNode(t, srv.Addr)}
	ctx := context.Background()
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := nodes[i%3].Quota()
			tok := fmt.Sprint("t", i)
			ok, _, err := q.Reserve(ctx, "key1", "2026-12", 10, 1, tok, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				won.Add(1)
				if _, err := q.Settle(ctx, "key1", "2026-12", tok, 1, true); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := won.Load(); n != 10 {
		t.Fatalf("%d reservations of 1 credit fit a quota of 10, want exactly 10", n)
	}
	months, held, err := nodes[0].Quota().Usage(ctx, "key1")
	if err != nil || months["2026-12"] != 10 || held != 0 {
		t.Fatalf("usage %v held %v (%v), want 10 charged, 0 held", months, held, err)
	}
}

func TestReservationReleasedOrExpired(t *testing.T) {
	srv := redistest.Start(t)
	q := newTestNode(t, srv.Addr).Quota()
	ctx := context.Background()
	if ok, _, _ := q.Reserve(ctx, "k", "2026-12", 1, 0.75, "a", 200*time.Millisecond); !ok {
		t.Fatal("first reservation refused")
	}
	if ok, _, _ := q.Reserve(ctx, "k", "2026-12", 1, 0.5, "b", time.Minute); ok {
		t.Fatal("0.75 held + 0.5 fit a quota of 1")
	}
	time.Sleep(250 * time.Millisecond) // "a"'s holder died: its hold expires
	if ok, _, _ := q.Reserve(ctx, "k", "2026-12", 1, 0.5, "b", time.Minute); !ok {
		t.Fatal("an expired reservation still held credits")
	}
	if used, err := q.Settle(ctx, "k", "2026-12", "b", 0.5, false); err != nil || used != 0 {
		t.Fatalf("uncharged settle: used %v, %v", used, err)
	}
	if _, held, _ := q.Usage(ctx, "k"); held != 0 {
		t.Fatalf("held %v after settle, want 0", held)
	}
}

func TestRateBucket(t *testing.T) {
	srv := redistest.Start(t)
	q := newTestNode(t, srv.Addr).Quota()
	ctx := context.Background()
	b, err := q.Take(ctx, "k", 3, 2)
	if err != nil || !b.OK || math.Abs(b.Tokens-1) > 0.01 {
		t.Fatalf("take 2 of 3: %+v %v", b, err)
	}
	if b, _ := q.Take(ctx, "k", 3, 2); b.OK {
		t.Fatalf("took 2 from a bucket of 1: %+v", b)
	}
	if b, _ := q.Refund(ctx, "k", 3, 2); math.Abs(b.Tokens-3) > 0.01 {
		t.Fatalf("refund: %+v, want a full bucket", b)
	}
	// An image over the whole budget waits for a full bucket, then leaves it in debt.
	if b, _ := q.Take(ctx, "k", 3, 12); !b.OK || math.Abs(b.Tokens+9) > 0.01 {
		t.Fatalf("take 12 of a full 3: %+v, want 9 in debt", b)
	}
	if b, _ := q.Peek(ctx, "k", 3); b.Tokens > -8.9 {
		t.Fatalf("peek: %+v", b)
	}
}

func TestJournalMergedWhenRedisReturns(t *testing.T) {
	srv := redistest.Start(t)
	n := newTestNode(t, srv.Addr)
	path := filepath.Join(t.TempDir(), "usage.json.journal")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	ctx := context.Background()
	if err := n.Quota().Charge(ctx, "k", "2026-12", 1); err == nil {
		t.Fatal("charge succeeded with Redis down")
	}
	for range 3 {
		if err := j.Add(Charge{ID: "k", Month: "2026-12", Cost: 1.25}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Merge(ctx, n.Quota()); err == nil || j.Len() != 3 {
		t.Fatalf("merge with Redis down: %v, %d left; want an error and 3 left", err, j.Len())
	}
	// A restart before Redis returns keeps the charges.
	j2, err := OpenJournal(path)
	if err != nil || j2.Len() != 3 || j2.Pending("k", "2026-12") != 3.75 {
		t.Fatalf("reopened journal: %v, %d charges", err, j2.Len())
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for j2.Merge(ctx, n.Quota()) != nil || j2.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("journal not merged: %d left", j2.Len())
		}
		time.Sleep(50 * time.Millisecond)
	}
	months, _, err := n.Quota().Usage(ctx, "k")
	if err != nil || months["2026-12"] != 3.75 {
		t.Fatalf("merged usage %v (%v), want 3.75", months, err)
	}
	if j3, _ := OpenJournal(path); j3.Len() != 0 {
		t.Fatalf("journal file still holds %d charges after the merge", j3.Len())
	}
}

func TestBreakerOpensAndProbes(t *testing.T) {
	srv := redistest.Start(t)
	n := newTestNode(t, srv.Addr)
	up := make(chan struct{}, 1)
	n.OnReconnect(func() { up <- struct{}{} })
	srv.Stop()
	ctx := context.Background()
	for range 3 {
		_ = n.Run(ctx, func(ctx context.Context) error { return n.rdb.Ping(ctx).Err() })
	}
	if n.Breaker() != BreakerOpen {
		t.Fatal("breaker closed after 3 failures")
	}
	if err := n.Run(ctx, func(context.Context) error { t.Error("ran with the breaker open"); return nil }); err != ErrUnavailable {
		t.Fatalf("Run with the breaker open: %v", err)
	}
	srv.Restart()
	select {
	case <-up:
	case <-time.After(5 * time.Second):
		t.Fatal("breaker did not close after Redis returned")
	}
	if st := n.Stats(); st.Breaker != BreakerClosed || st.BreakerOpens != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Subscribed: once it is closed, a purge another node publishes at once
// reaches the handlers, every time (go-redis subscribes asynchronously,
// so without the wait the first purges can go unheard); with Redis down at
// the start it stays open.
func TestSubscribedHearsTheNextPurge(t *testing.T) {
	srv := redistest.Start(t)
	pub := newTestNode(t, srv.Addr).OnPurge(func(PurgeMsg) {})
	for i := range 20 {
		n := newTestNode(t, srv.Addr)
		heard := make(chan PurgeMsg, 1)
		n.OnPurge(func(p PurgeMsg) { heard <- p })
		select {
		case <-n.Subscribed():
		case <-time.After(5 * time.Second):
			t.Fatalf("node %d: subscription not confirmed", i)
		}
		if err := pub.Publish(context.Background(), PurgeMsg{Tag: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-heard:
			if p.Tag != fmt.Sprint(i) {
				t.Fatalf("node %d heard %+v", i, p)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("node %d: the purge published after Subscribed was not heard", i)
		}
		n.Close()
	}
	srv.Stop()
	down := newTestNode(t, srv.Addr)
	select {
	case <-down.Subscribed():
		t.Fatal("Subscribed closed with Redis down")
	case <-time.After(300 * time.Millisecond):
	}
}

// TestPurgeSubsOfOneNode: a purge published through one registration of a
// node reaches the node's other registrations, not its own, and does so
// with Redis down too.
func TestPurgeSubsOfOneNode(t *testing.T) {
	srv := redistest.Start(t)
	n := newTestNode(t, srv.Addr)
	h1, h2 := make(chan PurgeMsg, 4), make(chan PurgeMsg, 4)
	s1 := n.OnPurge(func(p PurgeMsg) { h1 <- p })
	s2 := n.OnPurge(func(p PurgeMsg) { h2 <- p })
	heard := func(h chan PurgeMsg, tag string) {
		t.Helper()
		select {
		case p := <-h:
			if p.Tag != tag || p.Node != n.ID() {
				t.Fatalf("heard %+v, want tag %q from node %s", p, tag, n.ID())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the purge of %q did not reach the node's other handler", tag)
		}
	}
	if err := s1.Publish(context.Background(), PurgeMsg{Seq: 1, Tag: "a"}); err != nil {
		t.Fatal(err)
	}
	heard(h2, "a")
	srv.Stop()
	if err := s2.Publish(context.Background(), PurgeMsg{Seq: 2, Tag: "b"}); err == nil {
		t.Fatal("publish succeeded with Redis down")
	}
	heard(h1, "b")
	// Neither heard its own: "a" and "b" were the first messages each got.
	select {
	case p := <-h1:
		t.Fatalf("the first handler heard %+v too", p)
	case p := <-h2:
		t.Fatalf("the second handler heard %+v too", p)
	case <-time.After(200 * time.Millisecond):
	}
	s2.Unregister()
	if err := s1.Publish(context.Background(), PurgeMsg{Tag: "c"}); err == nil {
		t.Fatal("publish succeeded with Redis down")
	}
	select {
	case p := <-h2:
		t.Fatalf("an unregistered handler heard %+v", p)
	case <-time.After(200 * time.Millisecond):
	}
}

// lateSettle is a redis.Hook that, while armed, lets the next EVALSHA of
// the settle script run and then fails it as a timeout would: Redis applied
// it, the caller does not know. (The test loads the script first, so that
// no EVAL follows a NOSCRIPT.)
type lateSettle struct{ armed atomic.Bool }

func (h *lateSettle) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *lateSettle) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		args := cmd.Args()
		if err == nil && cmd.Name() == "evalsha" && len(args) > 1 && args[1] == settleScript.Hash() && h.armed.CompareAndSwap(true, false) {
			return context.DeadlineExceeded
		}
		return err
	}
}

func (h *lateSettle) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestSettleLateReplyChargedOnce: a charged settle that Redis applied but
// whose reply was lost is journalled, and the journal's merge does not
// charge it a second time; a journalled settle Redis never ran is charged.
func TestSettleLateReplyChargedOnce(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1,
		DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	hook := &lateSettle{}
	rdb.AddHook(hook)
	n := NewNode(rdb, Options{Prefix: "q:", ProbeInterval: 50 * time.Millisecond, Timeout: 2 * time.Second})
	t.Cleanup(func() { n.Close(); _ = rdb.Close() })
	ctx := context.Background()
	if err := settleScript.Load(ctx, rdb).Err(); err != nil {
		t.Fatal(err)
	}
	q := n.Quota()
	j, err := OpenJournal(filepath.Join(t.TempDir(), "usage.json.journal"))
	if err != nil {
		t.Fatal(err)
	}
	// What the caddymodule's settle does when Settle fails.
	settle := func(token string, cost float64) {
		t.Helper()
		if _, err := q.Settle(ctx, "k", "2026-12", token, cost, true); err != nil {
			if err := j.Add(Charge{ID: "k", Month: "2026-12", Cost: cost, Token: token}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ok, _, err := q.Reserve(ctx, "k", "2026-12", 10, 1.5, "late", time.Minute); !ok || err != nil {
		t.Fatalf("reserve: %v %v", ok, err)
	}
	hook.armed.Store(true)
	settle("late", 1.5)
	if hook.armed.Load() || j.Len() != 1 {
		t.Fatalf("the settle's reply was not lost (armed %v, %d journalled)", hook.armed.Load(), j.Len())
	}
	// A settle that never reached Redis (its reservation still held).
	if ok, _, err := q.Reserve(ctx, "k", "2026-12", 10, 2, "lost", time.Minute); !ok || err != nil {
		t.Fatalf("reserve: %v %v", ok, err)
	}
	if err := j.Add(Charge{ID: "k", Month: "2026-12", Cost: 2, Token: "lost"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Merge(ctx, q); err != nil || j.Len() != 0 {
		t.Fatalf("merge: %v, %d left", err, j.Len())
	}
	months, held, err := q.Usage(ctx, "k")
	if err != nil || months["2026-12"] != 3.5 || held != 0 {
		t.Fatalf("usage %v, held %v (%v); want 3.5 charged (1.5 once, 2), nothing held", months, held, err)
	}
	// A settle of the same token again charges nothing either.
	if used, err := q.Settle(ctx, "k", "2026-12", "late", 1.5, true); err != nil || used != 3.5 {
		t.Fatalf("settling again: used %v (%v), want 3.5", used, err)
	}
}

// A Redis restart without persistence (the recommended settings) empties
// the monthly usage; each node raises it back to the highest it was told
// (the largest of the nodes', never their sum), on its next read or
// charge of the month, and a journalled charge is added on top.
func TestUsageRestoredAfterRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newTestNode(t, srv.Addr).Quota(), newTestNode(t, srv.Addr).Quota()
	ctx := context.Background()
	const m = "2026-12"
	for i, q := range []*Quota{a, a, a, b} {
		tok := fmt.Sprint("t", i)
		if ok, _, err := q.Reserve(ctx, "k", m, 100, 1, tok, time.Minute); !ok || err != nil {
			t.Fatalf("reservation %d: %v %v", i, ok, err)
		}
		if _, err := q.Settle(ctx, "k", m, tok, 1, true); err != nil {
			t.Fatal(err)
		}
	}
	// a was last told 3, b 4.
	restart := func() {
		srv.Stop()
		srv.Restart()
		// The nodes' breakers are closed: their next call reconnects.
		deadline := time.Now().Add(5 * time.Second)
		for a.n.rdb.Ping(ctx).Err() != nil || b.n.rdb.Ping(ctx).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatal("Redis did not come back")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	restart()
	if months, _, err := a.Usage(ctx, "k"); err != nil || months[m] != 3 {
		t.Fatalf("node a's usage after the restart: %v (%v), want the 3 it was told", months, err)
	}
	if ok, used, err := b.Reserve(ctx, "k", m, 100, 1, "r", time.Minute); !ok || err != nil || used != 4 {
		t.Fatalf("node b's reservation after the restart: %v, used %v (%v), want 4", ok, used, err)
	}
	if used, err := b.Settle(ctx, "k", m, "r", 1, true); err != nil || used != 5 {
		t.Fatalf("settle after the restart: used %v (%v), want 5", used, err)
	}
	if months, _, err := a.Usage(ctx, "k"); err != nil || months[m] != 5 {
		t.Fatalf("usage %v (%v), want 5: the nodes' numbers are a floor, not added", months, err)
	}

	// A journalled charge (made while Redis was away) merged into an
	// emptied Redis lands on top of what the node was told.
	restart()
	if err := a.Charge(ctx, "k", m, 0.5); err != nil {
		t.Fatal(err)
	}
	if months, _, err := b.Usage(ctx, "k"); err != nil || months[m] != 5.5 {
		t.Fatalf("usage after a charge into an emptied Redis: %v (%v), want 5 + 0.5", months, err)
	}
}

// A wrong password opens the breaker: the log says why (the error that
// opened it, the probe's, sampled, and the subscription's), not only that
// Redis is unavailable, and says when it closes again.
func TestBreakerLogsWhy(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	srv.RequirePass("right")
	core, logs := observer.New(zapcore.InfoLevel)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, Password: "wrong", MaxRetries: -1, DialerRetries: 1})
	n := NewNode(rdb, Options{Prefix: "q:", ProbeInterval: 20 * time.Millisecond, Timeout: 2 * time.Second, Logger: zap.New(core)})
	t.Cleanup(func() { n.Close(); _ = rdb.Close() })

	for range 3 {
		_ = n.Run(ctx, func(ctx context.Context) error { return n.rdb.Ping(ctx).Err() })
	}
	if n.Breaker() != BreakerOpen {
		t.Fatal("breaker closed after 3 failures")
	}
	// WRONGPASS is Redis's reply to AUTH with a wrong password
	// (https://redis.io/docs/latest/commands/auth/).
	logged := func(msg string) int {
		return logs.Filter(func(e observer.LoggedEntry) bool {
			err, _ := e.ContextMap()["error"].(string)
			return strings.Contains(e.Message, msg) && strings.Contains(err, "WRONGPASS")
		}).Len()
	}
	if got := logged("circuit breaker open"); got != 1 {
		t.Fatalf("%d lines say the breaker opened with WRONGPASS, want 1: %v", got, logs.All())
	}
	deadline := time.Now().Add(5 * time.Second)
	for logged("probe failed") == 0 || logged("subscription failed") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no probe or subscription failure logged with WRONGPASS: %v", logs.All())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // about 10 more failed probes
	if got := logged("probe failed"); got != 1 {
		t.Fatalf("%d probe failures logged within a second, want 1 (at most one a minute)", got)
	}

	srv.RequirePass("wrong")
	deadline = time.Now().Add(5 * time.Second)
	for logs.FilterMessageSnippet("circuit breaker closed").Len() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the breaker's closing was not logged")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
