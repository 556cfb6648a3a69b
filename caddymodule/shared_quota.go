package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/jebosio/matte/cluster"
	"github.com/jebosio/matte/dialect"
)

// reservationHold is how long a reservation holds credits in Redis when
// its node dies before settling it.
const reservationHold = 10 * time.Minute

// A settle that did not reach Redis is retried in the background
// (redisUsage.retrySettles): first settleRetryMin after the failure, the
// wait doubling up to settleRetryMax, and at once when the breaker closes.
// A reservation's retries stop settleRetrySlack after its hold has ended
// (Redis has dropped it by then, whatever the clocks of node and server).
const (
	settleRetryMin   = 100 * time.Millisecond
	settleRetryMax   = 5 * time.Second
	settleRetrySlack = time.Minute
	// maxUnsettled bounds the uncharged settles kept for retrying, the
	// one a round is trying included; past it the oldest is dropped (its
	// reservation then ends with its hold).
	maxUnsettled = 10_000
)

// redisUsage is the quotaStore of a cluster: credits and rate buckets in
// Redis (cluster.Quota), one budget per key for every node.
//
// Outage policy: while Redis is unreachable (breaker open, timeout), each
// node decides alone with its usageStore, which mirrors the last usage the
// cluster reported (plus the node's own charges since), and its own rate
// buckets. Charges made meanwhile go to a journal file next to the usage
// file and are merged into Redis when it answers again (at the breaker's
// reconnect, and after any later successful call): none is lost. During an
// outage a key can therefore overspend by up to what it had left times the
// number of nodes, and its rate is enforced per node.
//
// Settling (settle) ends a reservation made in Redis exactly once, and
// charges it only when the answer was delivered. When Redis cannot be
// reached at settle time (or answers too late, perhaps after running it):
//   - a settle without a charge (a failed or undelivered request) is kept
//     in memory and retried in the background (retrySettles) until Redis
//     answers, so a short outage does not lock a key out of its own credits
//     for reservationHold. The retry charges nothing, and releasing a
//     released token changes nothing. The retries end with the
//     reservation's hold (plus settleRetrySlack), or at Destruct: Redis
//     then drops the reservation when its hold ends.
//   - a settle with a charge is charged locally and journalled with its
//     token (durable), and the same retries merge the journal, as do the
//     breaker's reconnect and any later successful call. Redis charges a
//     token once (cluster.Quota.Settle), so a retry after a lost reply
//     does not charge twice.
type redisUsage struct {
	q     *cluster.Quota
	local *usageStore
	// journal is shared with every other store over the same file (the
	// previous config generation's, during a reload): journalEntry.
	journal    *cluster.Journal
	journalKey string // shared.journals key, released at Destruct
	logger     *zap.Logger
	node       string // shared.clusters key, released at Destruct
	unsub      func() // the OnReconnect registration

	// ctx ends the background retries (cancelled at Destruct); wake,
	// signalled when the breaker closes while the retry goroutine runs
	// (reconnected), cuts its wait short. It is sent and drained under mu,
	// and empty whenever retrying is not set.
	ctx     context.Context
	cancel  context.CancelFunc
	wake    chan struct{}
	retries sync.WaitGroup

	mu   sync.Mutex
	held map[string][]heldCredits // by key id: reservations to settle
	// unsettled are the uncharged settles that did not reach Redis yet,
	// oldest first (a round tries them in place: retryRound);
	// retryUntil is when the retries stop (the latest hold of a failed
	// settle, charged or not, plus settleRetrySlack); retrying: the retry
	// goroutine runs (at most one); stopped: Destruct ran, none starts.
	unsettled  []unsettled
	retryUntil time.Time
	retrying   bool
	stopped    bool
}

// heldCredits is one reservation; token "" means it was made locally.
// until is when Redis drops it by itself.
type heldCredits struct {
	cost  float64
	token string
	until time.Time
}

// unsettled is a reservation of id whose uncharged settle did not reach
// Redis: it is released again until Redis answers or until has passed.
type unsettled struct {
	id, month, token string
	cost             float64
	until            time.Time
}

// newRedisUsageStore is the cluster store over q and local, journalling to
// journalPath through the process's one journal of that file
// (loadJournal). Its retries run until Destruct, which releases the
// journal.
func newRedisUsageStore(q *cluster.Quota, local *usageStore, journalPath string, logger *zap.Logger) (*redisUsage, error) {
	j, key, err := loadJournal(journalPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &redisUsage{q: q, local: local, journal: j, journalKey: key, logger: logger, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), held: map[string][]heldCredits{}, unsub: func() {}}, nil
}

// journalEntry is the one cluster.Journal of a journal file in the process
// (shared.journals, keyed by the file's absolute path). Every redisUsage
// over the file shares it: a reload that changes the shared cache's Redis
// settings but keeps the usage file holds the old and the new store at
// once, and two Journals over one file would each merge the same pending
// charges (charging a tokenless one twice). One Journal merges a charge
// once, whichever store calls Merge (cluster.Journal: one merge at a time).
type journalEntry struct{ j *cluster.Journal }

// Destruct does nothing: a Journal holds no open file between calls, and
// its charges stay in the file for the next one.
func (journalEntry) Destruct() error { return nil }

// loadJournal takes a reference on the journal at path (opening it on first
// use in the process) and returns it with its pool key; the caller releases
// it with shared.journals.Delete(key).
func loadJournal(path string) (*cluster.Journal, string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	v, _, err := shared.journals.LoadOrNew(abs, func() (caddy.Destructor, error) {
		j, err := cluster.OpenJournal(abs)
		if err != nil {
			return nil, err
		}
		return journalEntry{j}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return v.(journalEntry).j, abs, nil
}

// Destruct stops the retries and waits for them (an uncharged settle not
// yet retried is left to expire in Redis; a charge stays in the journal
// file), then releases the journal and the node.
func (u *redisUsage) Destruct() error {
	u.unsub()
	u.stopRetries()
	_, jerr := shared.journals.Delete(u.journalKey)
	_, err := shared.clusters.Delete(u.node)
	return errors.Join(jerr, err)
}

// stopRetries ends the retries, an attempt in flight included, and waits
// for them; none starts after it.
func (u *redisUsage) stopRetries() {
	u.mu.Lock()
	u.stopped = true
	u.mu.Unlock()
	u.cancel()
	u.retries.Wait()
}

// sharedUsage returns the cluster quota store for keys' usage file (pooled
// like the usage file itself, so a reload reuses it).
func (a *App) sharedUsage(sc *SharedCache, keys *apiKeys) (quotaStore, error) {
	local, ok := keys.store.(*usageStore)
	if !ok {
		return keys.store, nil
	}
	logger := a.liveLogger()
	v, err := a.hold(shared.usage, "redis|"+sc.poolKey()+"|"+keys.path, func() (caddy.Destructor, error) {
		n, err := loadNode(sc, logger)
		if err != nil {
			return nil, err
		}
		u, err := newRedisUsageStore(n.Quota(), local, keys.path+".journal", logger)
		if err != nil {
			_, _ = shared.clusters.Delete(sc.poolKey())
			return nil, err
		}
		u.node = sc.poolKey()
		u.unsub = n.OnReconnect(u.reconnected)
		go u.merge()
		return u, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*redisUsage), nil
}

func ctxQuota() context.Context { return context.Background() }

// merge pushes the journal to Redis; failures wait for the next try.
func (u *redisUsage) merge() {
	if u.journal.Len() == 0 {
		return
	}
	if err := u.journal.Merge(ctxQuota(), u.q); err != nil {
		u.logger.Warn("API usage journal not merged yet", zap.Error(err))
	}
}

// reconnected runs when the breaker closes: the journal is merged and the
// retries of unsettled reservations, if they run, are woken. The wake is
// sent under mu only while retrying is set, and retryRound drains it when
// it clears retrying: no goroutine starts with a stale wake.
func (u *redisUsage) reconnected() {
	u.merge()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.retrying {
		select {
		case u.wake <- struct{}{}:
		default:
		}
	}
}

// ok is called after a successful Redis call: a journal left by an outage
// is merged in the background.
func (u *redisUsage) ok() {
	if u.journal.Len() > 0 {
		go u.merge()
	}
}

func (u *redisUsage) clock() time.Time { return u.local.clock() }
func (u *redisUsage) month() string    { return u.local.month() }

func (u *redisUsage) months(id string) []dialect.MonthUsage {
	months, _, err := u.q.Usage(ctxQuota(), id)
	if err != nil {
		return u.local.months(id)
	}
	u.ok()
	this := u.month()
	t, _ := time.Parse("2006-01", this)
	out := []dialect.MonthUsage{{Start: t, Used: months[this] + u.journal.Pending(id, this)}}
	past := slices.Sorted(maps.Keys(months))
	slices.Reverse(past)
	for _, m := range past {
		if pt, err := time.Parse("2006-01", m); err == nil && m < this && len(out) <= usageHistoryMonths {
			out = append(out, dialect.MonthUsage{Start: pt, Used: months[m] + u.journal.Pending(id, m)})
		}
	}
	return out
}

func (u *redisUsage) remaining(id string, quota *float64) float64 {
	if quota == nil {
		return math.Inf(1)
	}
	months, held, err := u.q.Usage(ctxQuota(), id)
	if err != nil {
		return u.local.remaining(id, quota)
	}
	m := u.month()
	return math.Max(0, *quota-months[m]-u.journal.Pending(id, m)-held)
}

func (u *redisUsage) reserve(id string, quota *float64, cost float64) bool {
	if quota == nil {
		return true
	}
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	h := heldCredits{cost: cost, token: hex.EncodeToString(tok[:]), until: time.Now().Add(reservationHold)}
	m := u.month()
	ok, used, err := u.q.Reserve(ctxQuota(), id, m, *quota-u.journal.Pending(id, m), cost, h.token, reservationHold)
	if err != nil {
		if !errors.Is(err, cluster.ErrUnavailable) {
			// The call went out: Redis may have made the reservation and
			// its answer been lost. It is released (an uncharged settle
			// of the token, which changes nothing if it was never made)
			// by the retries, so that it does not hold the key's credits
			// for the whole hold while the local store answers.
			u.retry(unsettled{id: id, month: m, token: h.token, cost: cost, until: h.until.Add(settleRetrySlack)})
		}
		if !u.local.reserve(id, quota, cost) {
			return false
		}
		h.token = ""
	} else {
		u.ok()
		u.local.mirror(id, used+u.journal.Pending(id, m))
		if !ok {
			return false
		}
	}
	u.mu.Lock()
	u.held[id] = append(u.held[id], h)
	u.mu.Unlock()
	return true
}

// popHeld takes id's reservation of cost (reservations of one key and cost
// are interchangeable).
func (u *redisUsage) popHeld(id string, cost float64) (heldCredits, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	hs := u.held[id]
	for i, h := range hs {
		if h.cost == cost {
			u.held[id] = slices.Delete(hs, i, i+1)
			if len(u.held[id]) == 0 {
				delete(u.held, id)
			}
			return h, true
		}
	}
	return heldCredits{}, false
}

func (u *redisUsage) settle(id string, quota *float64, cost float64, charged bool) error {
	h, found := u.popHeld(id, cost)
	if quota == nil || !found {
		h.token = ""
	}
	m := u.month()
	if h.token != "" {
		used, err := u.q.Settle(ctxQuota(), id, m, h.token, cost, charged)
		if err == nil {
			u.ok()
			u.local.mirror(id, used+u.journal.Pending(id, m))
			return nil
		}
		// Redis went away since the reservation, or answered too late
		// (see redisUsage for the contract): an uncharged settle is
		// retried; a charge is accounted locally and journalled with the
		// token, and the retries merge it.
		if !charged {
			u.retry(unsettled{id: id, month: m, token: h.token, cost: cost, until: h.until.Add(settleRetrySlack)})
			return nil
		}
		u.local.mirror(id, u.localUsed(id)+cost)
		err = u.journal.Add(cluster.Charge{ID: id, Month: m, Cost: cost, Token: h.token})
		u.retry(unsettled{until: h.until.Add(settleRetrySlack)})
		return err
	}
	err := u.local.settle(id, quota, cost, charged)
	if charged {
		if jerr := u.journal.Add(cluster.Charge{ID: id, Month: m, Cost: cost}); jerr != nil {
			return jerr
		}
	}
	return err
}

// retry schedules a failed settle's retries: r itself when it has a token
// (an uncharged settle), and the journal's merge until r.until either way.
// It starts the retry goroutine unless it runs or Destruct has run.
func (u *redisUsage) retry(r unsettled) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.stopped {
		return
	}
	if r.token != "" {
		if len(u.unsettled) >= maxUnsettled {
			u.dropOldestLocked()
		}
		u.unsettled = append(u.unsettled, r)
	}
	if r.until.After(u.retryUntil) {
		u.retryUntil = r.until
	}
	if !u.retrying {
		u.retrying = true
		u.retries.Add(1)
		go u.retrySettles()
	}
}

// dropOldestLocked removes u.unsettled's first (oldest) settle, in
// constant time (the backing array is reclaimed when append grows it).
// u.mu is held.
func (u *redisUsage) dropOldestLocked() {
	u.unsettled[0] = unsettled{}
	u.unsettled = u.unsettled[1:]
}

// retrySettles retries the failed settles, with a growing wait between
// rounds, until none is left or all are past their hold, or Destruct.
func (u *redisUsage) retrySettles() {
	defer u.retries.Done()
	wait := settleRetryMin
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-u.wake:
		case <-t.C:
		}
		if !u.retryRound() {
			return
		}
		wait = min(wait*2, settleRetryMax)
		t.Reset(wait)
	}
}

// retryRound releases each unsettled reservation still within its hold,
// in order, up to the first failure, and merges the journal. It reports
// whether anything is left to retry; when not, it has marked the goroutine
// ended (under mu, so that a failure queued meanwhile starts a new one).
//
// The settles stay in u.unsettled while they are tried (the head is read
// under mu, settled without it, and removed after success only if it is
// still the head), so that retry's bound holds during a round too: a
// failure queued meanwhile may drop the settle being tried, which is then
// tried once more and forgotten.
func (u *redisUsage) retryRound() bool {
	now := time.Now()
	u.mu.Lock()
	u.unsettled = slices.DeleteFunc(u.unsettled, func(r unsettled) bool { return now.After(r.until) }) // Redis has dropped them
	u.mu.Unlock()
	for {
		u.mu.Lock()
		if len(u.unsettled) == 0 {
			u.mu.Unlock()
			break
		}
		r := u.unsettled[0]
		u.mu.Unlock()
		if _, err := u.q.Settle(u.ctx, r.id, r.month, r.token, r.cost, false); err != nil {
			break // Redis is still away: next round
		}
		u.mu.Lock()
		if len(u.unsettled) > 0 && u.unsettled[0].token == r.token {
			u.dropOldestLocked()
		}
		u.mu.Unlock()
	}
	if u.journal.Len() > 0 {
		if err := u.journal.Merge(u.ctx, u.q); err != nil {
			u.logger.Debug("API usage journal not merged yet", zap.Error(err))
		}
	}

	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.unsettled) > 0 || u.journal.Len() > 0 && now.Before(u.retryUntil) {
		return u.ctx.Err() == nil
	}
	u.retrying = false
	// A wake is only sent while a goroutine runs (reconnected); one sent
	// after this round's last Settle is not left for the next goroutine,
	// which would skip its first wait.
	select {
	case <-u.wake:
	default:
	}
	return false
}

func (u *redisUsage) localUsed(id string) float64 {
	u.local.mu.Lock()
	defer u.local.mu.Unlock()
	return u.local.current(id).Used
}

// rateState turns a bucket into the X-RateLimit view (see usageStore.state).
func bucketState(b cluster.Bucket, rate, need float64) rateState {
	st := rateState{limit: rate, remaining: math.Max(0, b.Tokens),
		reset: time.Now().Add(time.Duration((rate - b.Tokens) / rate * 60 * float64(time.Second)))}
	if need > 0 {
		st.retry = time.Duration(math.Ceil((need - b.Tokens) / rate * 60 * float64(time.Second)))
	}
	return st
}

func (u *redisUsage) take(id string, rate, cost float64) (rateState, bool) {
	b, err := u.q.Take(ctxQuota(), id, rate, cost)
	if err != nil {
		return u.local.take(id, rate, cost)
	}
	u.ok()
	if !b.OK {
		return bucketState(b, rate, math.Min(cost, rate)), false
	}
	return bucketState(b, rate, 0), true
}

func (u *redisUsage) check(id string, rate, cost float64) (rateState, bool) {
	b, err := u.q.Peek(ctxQuota(), id, rate)
	if err != nil {
		return u.local.check(id, rate, cost)
	}
	if need := math.Min(cost, rate); b.Tokens+1e-9 < need {
		return bucketState(b, rate, need), false
	}
	return bucketState(b, rate, 0), true
}

func (u *redisUsage) peek(id string, rate float64) rateState {
	b, err := u.q.Peek(ctxQuota(), id, rate)
	if err != nil {
		return u.local.peek(id, rate)
	}
	return bucketState(b, rate, 0)
}

func (u *redisUsage) refund(id string, rate, cost float64) {
	if _, err := u.q.Refund(ctxQuota(), id, rate, cost); err != nil {
		u.local.refund(id, rate, cost)
	}
}

var _ quotaStore = (*redisUsage)(nil)
