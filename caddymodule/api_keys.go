package caddymodule

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/internal/durable"
)

// DefaultAPIRate is the megapixel-weighted per-minute budget of a key that
// sets none: remove.bg's 500 (one unit per image up to 1 MP, one per
// megapixel above).
const DefaultAPIRate = 500.0

// unlimitedCredits is what /v1.0/account reports for a key without a
// monthly quota (and for the open API): JSON has no infinity.
const unlimitedCredits = 1e9

// APIKey is one API key of the hosted-API dialects (remove.bg's
// X-Api-Key, rembg.com's x-api-key, fapihub's ApiKey).
type APIKey struct {
	Key string `json:"key"`
	// Credits is the monthly quota (1 credit per image, 0.25 for
	// remove.bg's preview sizes); nil means none. Finite and not
	// negative (provision refuses others).
	Credits *float64 `json:"credits,omitempty"`
	// Rate is the per-minute budget in megapixel units: an image costs
	// rateUnits (its megapixels rounded up, at least 1). 0 means
	// DefaultAPIRate; finite and not negative.
	Rate float64 `json:"rate,omitempty"`
}

func (k APIKey) rate() float64 {
	if k.Rate > 0 {
		return k.Rate
	}
	return DefaultAPIRate
}

// keyID is how a key is named in the usage file: its SHA-256, so the file
// holds no secret.
func keyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// usageHistoryMonths is how many past months of charged credits a key's
// record keeps (for rembg.com's membership usage).
const usageHistoryMonths = 24

// keyUsage is one key's month, and the credits charged in its past months.
type keyUsage struct {
	Month string  `json:"month"` // "2006-01", UTC
	Used  float64 `json:"used"`
	// History maps a past month ("2006-01") to its charged credits: the
	// newest usageHistoryMonths months that charged any.
	History map[string]float64 `json:"history,omitempty"`
	// reserved is held by requests in flight (not persisted).
	reserved float64
}

// bucket is a token bucket of megapixel units, refilled at rate per minute
// up to rate. tokens is negative after an image that cost more than the
// whole budget (see take).
type bucket struct {
	tokens float64
	last   time.Time
}

// quotaStore is what the hosted APIs charge: a usageStore (the usage file,
// the single-node default) or, with cache_shared, a redisUsage (one budget
// per key across the cluster, with the usageStore as its fallback; see
// shared_quota.go). Every method is safe for concurrent use.
type quotaStore interface {
	clock() time.Time
	months(id string) []dialect.MonthUsage
	remaining(id string, quota *float64) float64
	reserve(id string, quota *float64, cost float64) bool
	settle(id string, quota *float64, cost float64, charged bool) error
	take(id string, rate, cost float64) (rateState, bool)
	// check answers as take would, spending nothing.
	check(id string, rate, cost float64) (rateState, bool)
	peek(id string, rate float64) rateState
	refund(id string, rate, cost float64)
}

// usageStore holds every key's monthly usage (persisted) and rate buckets
// (in memory). One store per usage file is shared by all config
// generations through the matte app (App.Usage), so a reload neither forks
// nor resets it.
type usageStore struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	usage   map[string]*keyUsage
	buckets map[string]*bucket
}

type usageFile struct {
	Version int                  `json:"version"`
	Keys    map[string]*keyUsage `json:"keys"`
}

// openUsage reads the usage file at path (none yet is an empty store). The
// matte app calls it once per path and shares the store (App.Usage).
func openUsage(path string) (*usageStore, error) {
	s := &usageStore{path: path, now: time.Now, usage: map[string]*keyUsage{}, buckets: map[string]*bucket{}}
	// Temporary files of saves that a crash left behind: stale ones only
	// (durable.RemoveStaleTemps), as another config generation's store
	// may be saving the file meanwhile. Best effort: a failure leaves them
	// for the next open.
	_ = durable.RemoveStaleTemps(path)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var f usageFile
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("usage file %s: %w", path, err)
		}
		for id, u := range f.Keys {
			if u != nil {
				s.usage[id] = u
			}
		}
	}
	return s, nil
}

func (s *usageStore) Destruct() error { return nil }

func (s *usageStore) clock() time.Time { return s.now() }

func (s *usageStore) month() string { return s.now().UTC().Format("2006-01") }

// mirror sets id's usage of this month to what the cluster reported, so
// that decisions made here while Redis is unreachable start from it.
func (s *usageStore) mirror(id string, used float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current(id).Used = used
}

// current returns id's usage for this month (rolled over when a month
// has passed). s.mu is held.
func (s *usageStore) current(id string) *keyUsage {
	m := s.month()
	u := s.usage[id]
	if u == nil {
		u = &keyUsage{Month: m}
		s.usage[id] = u
	}
	if u.Month != m {
		if u.Used > 0 {
			if u.History == nil {
				u.History = map[string]float64{}
			}
			u.History[u.Month] = u.Used
			for len(u.History) > usageHistoryMonths {
				delete(u.History, slices.Min(slices.Collect(maps.Keys(u.History))))
			}
		}
		u.Month, u.Used = m, 0
	}
	return u
}

// months is id's charged credits per month, newest first: this month
// (always), then the months of its history.
func (s *usageStore) months(id string) []dialect.MonthUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.current(id)
	this, _ := time.Parse("2006-01", u.Month)
	out := []dialect.MonthUsage{{Start: this, Used: u.Used}}
	past := slices.Sorted(maps.Keys(u.History))
	slices.Reverse(past)
	for _, m := range past {
		if t, err := time.Parse("2006-01", m); err == nil && m < u.Month {
			out = append(out, dialect.MonthUsage{Start: t, Used: u.History[m]})
		}
	}
	return out
}

// remaining is the credits left of quota this month (quota nil: +Inf).
func (s *usageStore) remaining(id string, quota *float64) float64 {
	if quota == nil {
		return math.Inf(1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.current(id)
	return math.Max(0, *quota-u.Used-u.reserved)
}

// reserve holds cost credits for a request in flight; false when the
// quota cannot cover it.
func (s *usageStore) reserve(id string, quota *float64, cost float64) bool {
	if quota == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.current(id)
	if u.Used+u.reserved+cost > *quota+1e-9 {
		return false
	}
	u.reserved += cost
	return true
}

// settle ends a reservation: charged adds cost to the month's usage and
// writes the file; otherwise the credits go back.
func (s *usageStore) settle(id string, quota *float64, cost float64, charged bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.current(id)
	if quota != nil {
		u.reserved = math.Max(0, u.reserved-cost)
	}
	if !charged {
		return nil
	}
	u.Used += cost
	return s.saveLocked()
}

// saveLocked writes the usage file atomically and durably (durable.WriteFile).
func (s *usageStore) saveLocked() error {
	if s.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(usageFile{Version: 1, Keys: s.usage}, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	return durable.WriteFile(s.path, append(data, '\n'), 0o600)
}

// rateState is a key's rate limit as the X-RateLimit headers tell it.
type rateState struct {
	limit     float64
	remaining float64       // 0 while the bucket is in debt
	reset     time.Time     // when the bucket is full again
	retry     time.Duration // for a refused request: until it would pass
}

// refill tops id's bucket up to now; s.mu is held.
func (s *usageStore) refill(id string, rate float64) *bucket {
	now := s.now()
	b := s.buckets[id]
	if b == nil {
		b = &bucket{tokens: rate, last: now}
		s.buckets[id] = b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(rate, b.tokens+dt*rate/60)
	}
	b.tokens = math.Min(b.tokens, rate) // the rate may have shrunk on reload
	b.last = now
	return b
}

func (s *usageStore) state(b *bucket, rate float64) rateState {
	missing := rate - b.tokens
	return rateState{limit: rate, remaining: math.Max(0, b.tokens), reset: s.now().Add(time.Duration(missing / rate * 60 * float64(time.Second)))}
}

// take spends cost units of id's bucket. The bucket must hold
// min(cost, rate) units: an image that costs more than the whole budget
// waits for a full bucket, then pays its full cost, which leaves the
// bucket in debt until it has refilled (a 12-unit image on a 3-unit key
// leaves it 9 units in debt: the next request waits 200s). ok false leaves
// the bucket as it was.
func (s *usageStore) take(id string, rate, cost float64) (rateState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.refill(id, rate)
	if st, ok := s.affords(b, rate, cost); !ok {
		return st, false
	}
	b.tokens -= cost
	return s.state(b, rate), true
}

func (s *usageStore) check(id string, rate, cost float64) (rateState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.affords(s.refill(id, rate), rate, cost)
}

// affords reports whether b holds min(cost, rate) units, with the state
// (and, refused, the wait) to show; s.mu is held.
func (s *usageStore) affords(b *bucket, rate, cost float64) (rateState, bool) {
	st := s.state(b, rate)
	if need := math.Min(cost, rate); b.tokens+1e-9 < need {
		st.retry = time.Duration(math.Ceil((need - b.tokens) / rate * 60 * float64(time.Second)))
		return st, false
	}
	return st, true
}

// peek is id's rate state without spending.
func (s *usageStore) peek(id string, rate float64) rateState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state(s.refill(id, rate), rate)
}

// refund gives cost units back (a request that did no work).
func (s *usageStore) refund(id string, rate, cost float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.refill(id, rate)
	b.tokens = math.Min(rate, b.tokens+cost)
}

// apiKeys is the configured key set; nil when the API is open.
type apiKeys struct {
	keys  []APIKey
	store quotaStore
	path  string
}

// lookup finds key in constant time per configured key.
func (k *apiKeys) lookup(key string) (*APIKey, bool) {
	if key == "" {
		return nil, false
	}
	var found *APIKey
	for i := range k.keys {
		if subtle.ConstantTimeCompare([]byte(k.keys[i].Key), []byte(key)) == 1 {
			found = &k.keys[i]
		}
	}
	return found, found != nil
}

// apiCaller is who is calling: a configured key, or nobody on an open API.
type apiCaller struct {
	keys *apiKeys
	key  *APIKey // nil on an open API
	id   string
}

// authFailure is why a request has no usable key.
type authFailure int

const (
	authOK authFailure = iota
	authMissing
	authInvalid
)

// authenticate reads the key from header. On an open API every request
// passes (a key sent anyway is ignored).
func (st *apiState) authenticate(r *http.Request, header string) (apiCaller, authFailure) {
	if st.keys == nil {
		return apiCaller{}, authOK
	}
	key := strings.TrimSpace(r.Header.Get(header))
	if key == "" {
		return apiCaller{}, authMissing
	}
	k, ok := st.keys.lookup(key)
	if !ok {
		return apiCaller{}, authInvalid
	}
	return apiCaller{keys: st.keys, key: k, id: keyID(k.Key)}, authOK
}

// rate peeks at the caller's rate state (nil on an open API).
func (c apiCaller) rate() *rateState {
	if c.key == nil {
		return nil
	}
	rs := c.keys.store.peek(c.id, c.key.rate())
	return &rs
}

// precheck refuses a caller whose rate budget cannot pay one unit, before
// the body is read (the real cost, by megapixels, is taken once the
// source is probed). It spends nothing: a take and a refund would show
// concurrent requests of the key a unit short in between.
func (c apiCaller) precheck() (*rateState, bool) {
	if c.key == nil {
		return nil, true
	}
	rs, ok := c.keys.store.check(c.id, c.key.rate(), 1)
	return &rs, ok
}

// apiAdmission is a request's hold on its caller's rate budget and credits.
type apiAdmission struct {
	c       apiCaller
	units   float64
	credits float64
}

// rateUnits is what a w x h source weighs against a key's rate: its
// megapixels rounded up, at least 1 (remove.bg's table has 1600 x 1200 at
// 2 MP, 250 images a minute of 500, and 1200 x 800 at 1 MP).
func rateUnits(w, h int) float64 {
	return float64(max(1, (int64(w)*int64(h)+999_999)/1_000_000))
}

// admit spends the rate units of a w x h source (rateUnits) and
// reserves credits, or, when those cannot be reserved and cheaper is above
// 0 (a plan's Cheaper one), cheaper, under the same take of the rate units
// (tookCheaper reports it). A refusal comes back as the failure to answer
// (rate limited or out of credits) with the rate state to show.
func (c apiCaller) admit(w, h int, credits, cheaper float64) (_ *apiAdmission, tookCheaper bool, _ *dialect.Failure, _ *rateState) {
	a := &apiAdmission{c: c, credits: credits}
	if c.key == nil {
		return a, false, nil, nil
	}
	a.units = rateUnits(w, h)
	rs, ok := c.keys.store.take(c.id, c.key.rate(), a.units)
	if !ok {
		return nil, false, &dialect.Failure{Kind: dialect.FailRateLimited}, &rs
	}
	if c.keys.store.reserve(c.id, c.key.Credits, credits) {
		return a, false, nil, &rs
	}
	if cheaper > 0 && c.keys.store.reserve(c.id, c.key.Credits, cheaper) {
		a.credits = cheaper
		return a, true, nil, &rs
	}
	c.keys.store.refund(c.id, c.key.rate(), a.units)
	rs = c.keys.store.peek(c.id, c.key.rate())
	left := c.keys.store.remaining(c.id, c.key.Credits)
	need := credits
	if cheaper > 0 {
		need = cheaper
	}
	return nil, false, &dialect.Failure{Kind: dialect.FailCredits, Need: need, Left: left}, &rs
}

// done settles the admission: credits are charged on success and given
// back otherwise (errors charge nothing); the rate units stay spent when
// the request did work (worked), and go back when it did none.
func (a *apiAdmission) done(charged, worked bool, logger *zap.Logger) {
	c := a.c
	if c.key == nil {
		return
	}
	if !worked {
		c.keys.store.refund(c.id, c.key.rate(), a.units)
	}
	if err := c.keys.store.settle(c.id, c.key.Credits, a.credits, charged); err != nil {
		logger.Error("saving API usage", zap.String("file", c.keys.path), zap.Error(err))
	}
}

// charged is the X-Credits-Charged value: nothing on an open API.
func (a *apiAdmission) charged() float64 {
	if a.c.key == nil {
		return 0
	}
	return a.credits
}
