package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"math"
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
type redisUsage struct {
	q       *cluster.Quota
	local   *usageStore
	journal *cluster.Journal
	logger  *zap.Logger
	node    string // shared.clusters key, released at Destruct
	unsub   func() // the OnReconnect registration

	mu   sync.Mutex
	held map[string][]heldCredits // by key id: reservations to settle
}

// heldCredits is one reservation; token "" means it was made locally.
type heldCredits struct {
	cost  float64
	token string
}

func (u *redisUsage) Destruct() error {
	u.unsub()
	_, err := shared.clusters.Delete(u.node)
	return err
}

// sharedUsage returns the cluster quota store for keys' usage file (pooled
// like the usage file itself, so a reload reuses it).
func (a *App) sharedUsage(sc *SharedCache, keys *apiKeys) (quotaStore, error) {
	local, ok := keys.store.(*usageStore)
	if !ok {
		return keys.store, nil
	}
	logger := a.logger
	v, err := a.hold(shared.usage, "redis|"+sc.poolKey()+"|"+keys.path, func() (caddy.Destructor, error) {
		n, err := loadNode(sc)
		if err != nil {
			return nil, err
		}
		j, err := cluster.OpenJournal(keys.path + ".journal")
		if err != nil {
			_, _ = shared.clusters.Delete(sc.poolKey())
			return nil, err
		}
		u := &redisUsage{q: n.Quota(), local: local, journal: j, logger: logger, node: sc.poolKey(), held: map[string][]heldCredits{}}
		u.unsub = n.OnReconnect(u.merge)
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
	h := heldCredits{cost: cost, token: hex.EncodeToString(tok[:])}
	m := u.month()
	ok, used, err := u.q.Reserve(ctxQuota(), id, m, *quota-u.journal.Pending(id, m), cost, h.token, reservationHold)
	if err != nil {
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
		// Redis went away since the reservation (which expires there by
		// itself), or answered too late: account the charge locally and
		// in the journal, with the token, whose merge settles it again
		// (a settle Redis did apply is not charged twice).
		if !charged {
			return nil
		}
		u.local.mirror(id, u.localUsed(id)+cost)
		return u.journal.Add(cluster.Charge{ID: id, Month: m, Cost: cost, Token: h.token})
	}
	err := u.local.settle(id, quota, cost, charged)
	if charged {
		if jerr := u.journal.Add(cluster.Charge{ID: id, Month: m, Cost: cost}); jerr != nil {
			return jerr
		}
	}
	return err
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
