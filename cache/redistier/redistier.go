// Package redistier is the shared cache tier on Redis: a cache.Shared
// built on a cluster.Node. Entries are stored as the cache's own encoded
// blobs (the disk tier's format, checksummed; the cache verifies them), with
// a TTL, under <prefix>e:<namespace>:<sha256(key)>:2, each after a header
// naming its tag's index (entryHeader); each tag has an index
// of its entries' keys for PurgeTag, under <prefix>tz:<sha256(tag)>: a
// sorted set scored by each entry's expiry, from which every write drops
// the entries expired since, so that a tag written to for ever (a popular
// source) indexes its live entries, not every variant it ever had. (Before
// it, <prefix>t:<sha256(tag)> was a plain set that only grew; PurgeTag and
// PurgeAll still empty those until their TTL ends them.) A tagged entry is
// served only while its tag's index lists it (Get): under an LRU eviction
// policy the index, written only when an entry is, can be evicted while its
// entries, read on every hit, stay; a PurgeTag would then find nothing to
// delete, and the entries would outlive it. (The entries stored before the
// header, under the name without ":2", are no longer read; purges still
// delete them.) Writes are
// queued and done by background
// writers (bounded in bytes; a full queue drops and counts), so a store
// never waits for the network. Every Redis call goes through the node's
// breaker and timeout.
//
// # Purges and late writes
//
// A purge deletes entries in Redis and tells the other nodes, and the other
// tiers on its own node (local caches of other sizes share one
// cluster.Node), which drop their local copies and the matching writes
// still queued. A write another
// node had already taken from its queue, or queued before the message
// reached it, would land after the purge and outlive it. So every purge is
// numbered by the cluster's counter (cluster.Node.NextPurge) before it
// deletes anything, each write remembers the number of the last purge its
// node had applied when it was queued (heard), and a writer reads the
// counter after its write is stored: a higher number that the node has not
// applied, or one it has applied that covers the entry, and the writer
// deletes what it just wrote (counted as retracted). Any purge numbered at
// or below what the writer read began after the write was stored, so its
// own delete removed it. Between the store and the retraction, one round
// trip, another node can read the entry.
//
// Pub/sub drops messages while a subscription is down. A node that sees
// the counter ahead of the purges it has applied for LostPurgeAfter takes
// the missing ones as lost and purges its local tiers whole (counted). With
// a StateFile, a node that starts and finds the counter moved since it last
// applied a purge does the same, before its cache serves anything.
package redistier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/cluster"
	"github.com/jebosio/matte/internal/durable"
)

// Options configures New. Zero values take the defaults (WithDefaults).
type Options struct {
	// MaxEntrySize is the largest blob stored (default 8 MiB); larger
	// entries stay local.
	MaxEntrySize int64
	// TTL is how long an entry lives in Redis (default 7 days).
	TTL time.Duration
	// QueueMaxBytes bounds the blobs waiting to be written (default 64 MiB).
	QueueMaxBytes int64
	// Writers is the number of writer goroutines (default 4).
	Writers int
	// LostPurgeAfter is how long a purge number may stay unheard before
	// the node takes its message as lost (default 1m: longer than a purge's
	// own deletes may take, since a purge is numbered before them and
	// announced after); the counter is read every LostPurgeAfter/5.
	LostPurgeAfter time.Duration
	// StateFile, when set, keeps the number of the last purge applied to
	// the local tiers across restarts (the disk tier's directory is the
	// place for it; without a disk tier nothing local outlives a restart).
	// It is replaced atomically and durably (durable.WriteFile: temporary
	// file fsynced, renamed, directory fsynced), so a crash leaves the
	// number before or after a save, never a lost or torn file.
	StateFile string
	// OnError, if set, is told why the StateFile stops advancing (a purge
	// failed on the local tiers: PurgePending), and why the purge counter
	// could not be read (not while the breaker is open: the node logs
	// that cause). It must not block.
	OnError func(error)

	fs *durable.FS // tests only: faults and recorded fsyncs (nil: the OS)
}

// purgeLog is how many purge numbers below heard keep their scope: a write
// queued longer ago than that many purges is retracted.
const purgeLog = 1024

// Tier implements cache.Shared. Safe for concurrent use.
//
// Locks: mu guards the queue and the purge bookkeeping; it is never held
// across a Redis call or a purge handler.
type Tier struct {
	n *cluster.Node
	o Options

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []*put
	queued   int64
	inflight int
	closed   bool
	wg       sync.WaitGroup
	stop     chan struct{} // closed by Close: stops watchPurges

	// Purge bookkeeping (package comment). Until synced, heard is unknown
	// (0) and Put drops. purges holds the scope of each purge numbered above
	// heard-purgeLog that was applied here; a number at or below heard
	// that is missing was pruned or lost, and covers everything.
	synced         bool
	heard          uint64
	purges         map[uint64]func(*put) bool
	gapSeq         uint64    // heard+1 when the counter was first seen ahead; 0: no gap
	gapSince       time.Time // when gapSeq was noted
	handlers       []func(cache.SharedPurge)
	sub            *cluster.PurgeSub // fixed after New: hears the purges of the other nodes and of this node's other tiers, publishes this tier's
	unsubscribe    func()            // the node's registrations, undone by Close
	testBeforeSet  func(*put)
	testTwoStepGet bool // tests only: Get as on a Redis Cluster

	// StateFile: restored is the number read at New (hasRestored: a file
	// was there), both fixed after New; missed (under mu) is set when the
	// first sync finds the counter elsewhere, and cleared once the handlers
	// have purged. stateMu guards saved, the number the file holds (ok:
	// it holds one).
	restored    uint64
	hasRestored bool
	missed      bool
	// applying (under mu) counts purges counted in heard whose handlers
	// have not returned yet: the file is not written meanwhile, so it never
	// holds a purge the local tiers have not had.
	applying int
	// pendings (under mu) counts the PurgePending holds not done yet: the
	// file is not written meanwhile. stuck (under mu) is set for good by
	// the first done(false): the file then stays at the last number saved
	// before, until restart.
	pendings int
	stuck    bool

	stateMu sync.Mutex
	saved   uint64
	savedOK bool

	writes, dropped, writeErrors, retracted, lostPurges atomic.Uint64
}

type put struct {
	ns, key, tag string
	blob         []byte
	after        func(stored bool)
	heard        uint64 // Tier.heard when queued
}

// WithDefaults is o with every zero (or negative) size, count and
// duration replaced by its default: what New runs with.
func (o Options) WithDefaults() Options {
	if o.MaxEntrySize <= 0 {
		o.MaxEntrySize = 8 << 20
	}
	if o.TTL <= 0 {
		o.TTL = 7 * 24 * time.Hour
	}
	if o.QueueMaxBytes <= 0 {
		o.QueueMaxBytes = 64 << 20
	}
	if o.Writers <= 0 {
		o.Writers = 4
	}
	if o.LostPurgeAfter <= 0 {
		o.LostPurgeAfter = time.Minute
	}
	return o
}

// New starts the tier's writers on n.
func New(n *cluster.Node, o Options) *Tier {
	o = o.WithDefaults()
	t := &Tier{n: n, o: o, purges: map[uint64]func(*put) bool{}, stop: make(chan struct{})}
	t.cond = sync.NewCond(&t.mu)
	t.restoreState()
	// Other tiers on n (local caches of other sizes) take purge numbers
	// too: the node hands their purges to this tier as it does the other
	// nodes', or this tier would take each of those numbers as lost.
	t.sub = n.OnPurge(t.heardPurge)
	// A node that could not read the counter at start drops its writes
	// until it can: read it again as soon as Redis is back.
	unUp := n.OnReconnect(func() { t.syncPurges(time.Now()) })
	t.unsubscribe = func() { t.sub.Unregister(); unUp() }
	t.syncPurges(time.Now()) // bounded by the node's timeout; retried by watchPurges
	for range o.Writers {
		t.wg.Add(1)
		go t.writer()
	}
	t.wg.Add(1)
	go t.watchPurges()
	return t
}

// Close drops the queued writes (running their after), stops the writers
// and unregisters the purge handlers. It does not close the node.
func (t *Tier) Close() {
	t.mu.Lock()
	unsub := t.unsubscribe
	t.unsubscribe = nil
	t.mu.Unlock()
	if unsub == nil {
		return // closed already
	}
	unsub()
	close(t.stop)
	t.mu.Lock()
	t.closed = true
	q := t.queue
	t.queue, t.queued = nil, 0
	t.cond.Broadcast()
	t.mu.Unlock()
	for _, p := range q {
		t.done(p, false)
	}
	t.wg.Wait()
}

// Stats are the tier's counters. Retracted counts writes deleted again
// because a purge may have run before they landed, or because they failed
// and may have landed all the same (those count in WriteErrors too);
// LostPurges counts
// purge messages taken as lost (each a local purge of everything).
type Stats struct {
	Writes, Dropped, WriteErrors, Retracted, LostPurges uint64
	Node                                                cluster.Stats
}

func (t *Tier) Stats() Stats {
	return Stats{Writes: t.writes.Load(), Dropped: t.dropped.Load(), WriteErrors: t.writeErrors.Load(),
		Retracted: t.retracted.Load(), LostPurges: t.lostPurges.Load(), Node: t.n.Stats()}
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// name is ns/key's identity in Redis (lease name, and entry key suffix).
func name(ns, key string) string { return ns + ":" + hashKey(key) }

// entryKey is where ns/key's entry is, in the format with entryHeader (the
// ":2"; the name without it held bare blobs, which Get no longer reads).
func (t *Tier) entryKey(ns, key string) string { return t.n.Prefix() + "e:" + name(ns, key) + ":2" }
func (t *Tier) tagKey(tag string) string       { return t.n.Prefix() + "tz:" + hashKey(tag) }

// legacyTagKey is the plain set that indexed a tag before tagKey's sorted
// set; purges still empty it.
func (t *Tier) legacyTagKey(tag string) string { return t.n.Prefix() + "t:" + hashKey(tag) }

// entryHeader is what precedes an entry's blob in Redis: the length of its
// tag index's key in decimal, ':', and that key ("0:" for an untagged
// entry), so that the server can check the listing (getScript) without
// being told the tag, which a lookup does not know.
func entryHeader(tagKey string) string { return strconv.Itoa(len(tagKey)) + ":" + tagKey }

// splitEntry parses v's entryHeader: its tag index key and the blob. ok is
// false when v has no valid header (then blob is v whole, for the cache to
// find corrupt and discard).
func splitEntry(v []byte) (tagKey string, blob []byte, ok bool) {
	i := 0
	for i < len(v) && i < 6 && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(v) || v[i] != ':' {
		return "", v, false
	}
	n, err := strconv.Atoi(string(v[:i]))
	if err != nil || n > len(v)-i-1 {
		return "", v, false
	}
	return string(v[i+1 : i+1+n]), v[i+1+n:], true
}

// getScript reads an entry and checks, in the same round trip, that its
// tag's index still lists it: an entry its index does not list (the index
// was evicted, or a purge took the entry out of it) is deleted and is a
// miss, since a purge of its tag could not have found it. A value without
// a valid header is returned as it is (splitEntry). Its DEL cannot remove
// an entry being written: write adds the index member before the SET, in
// one pipeline on one connection, which Redis runs in order; a script runs
// between two commands, never inside one.
var getScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local c = string.find(string.sub(v, 1, 7), ':', 1, true)
local n = c and tonumber(string.sub(v, 1, c - 1))
if n and n > 0 and not redis.call('ZSCORE', string.sub(v, c + 1, c + n), KEYS[1]) then
	redis.call('DEL', KEYS[1])
	return false
end
return v
`)

// Get implements cache.Shared: a tagged entry is a hit only while its tag's
// index lists it (getScript; one round trip). On a Redis Cluster the index
// is in another slot, which a script may not touch: there the entry is read
// first and its listing checked after (two round trips for a tagged entry),
// and an unlisted one is a miss but is not deleted, as the pipeline that
// writes it may reach the entry's node before the index's.
func (t *Tier) Get(ns, key string) ([]byte, error) {
	k := t.entryKey(ns, key)
	var v []byte
	err := t.n.Run(context.Background(), func(ctx context.Context) (err error) {
		c := t.n.Client()
		if _, ok := c.(*redis.ClusterClient); ok || t.testTwoStepGet {
			v, err = t.getTwoStep(ctx, c, k)
			return err
		}
		s, err := getScript.Run(ctx, c, []string{k}).Text()
		v = []byte(s)
		return err
	})
	if errors.Is(err, redis.Nil) || (err == nil && v == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	_, blob, _ := splitEntry(v)
	return blob, nil
}

// getTwoStep is Get on a Redis Cluster: GET, then ZSCORE for a tagged
// entry. A nil value is a miss.
func (t *Tier) getTwoStep(ctx context.Context, c redis.UniversalClient, k string) ([]byte, error) {
	v, err := c.Get(ctx, k).Bytes()
	if err != nil {
		return nil, err
	}
	tk, _, ok := splitEntry(v)
	if !ok || tk == "" {
		return v, nil
	}
	if err := c.ZScore(ctx, tk, k).Err(); err != nil {
		return nil, err // redis.Nil: not listed, a miss
	}
	return v, nil
}

// Admit implements cache.Shared: a blob over MaxEntrySize is dropped
// (counted) before it is encoded.
func (t *Tier) Admit(size int64) bool {
	if size > t.o.MaxEntrySize {
		t.dropped.Add(1)
		return false
	}
	return true
}

// Put implements cache.Shared.
func (t *Tier) Put(ns, key, tag string, blob []byte, after func(stored bool)) {
	p := &put{ns: ns, key: key, tag: tag, blob: blob, after: after}
	t.mu.Lock()
	if t.closed || !t.synced || int64(len(blob)) > t.o.MaxEntrySize || t.queued+int64(len(blob)) > t.o.QueueMaxBytes || !t.n.Breaker().Allow() {
		t.mu.Unlock()
		t.dropped.Add(1)
		t.done(p, false)
		return
	}
	p.heard = t.heard
	t.queue = append(t.queue, p)
	t.queued += int64(len(blob))
	t.cond.Signal()
	t.mu.Unlock()
}

// done runs p's after: stored when p is in Redis and vouched for.
func (t *Tier) done(p *put, stored bool) {
	if p.after != nil {
		p.after(stored)
	}
}

func (t *Tier) writer() {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		for len(t.queue) == 0 && !t.closed {
			t.cond.Wait()
		}
		if t.closed {
			t.mu.Unlock()
			return
		}
		p := t.queue[0]
		t.queue = t.queue[1:]
		t.queued -= int64(len(p.blob))
		t.inflight++
		t.mu.Unlock()

		t.done(p, t.write(p))

		t.mu.Lock()
		t.inflight--
		t.cond.Broadcast()
		t.mu.Unlock()
	}
}

// write stores p and reports whether it stayed (was not retracted).
func (t *Tier) write(p *put) bool {
	if t.testBeforeSet != nil {
		t.testBeforeSet(p)
	}
	k := t.entryKey(p.ns, p.key)
	err := t.n.Run(context.Background(), func(ctx context.Context) error {
		pipe := t.n.Client().Pipeline()
		tk := ""
		if p.tag != "" {
			// The index first: Get deletes an entry its index does not
			// list (getScript).
			tk = t.tagKey(p.tag)
			now := time.Now()
			pipe.ZAdd(ctx, tk, redis.Z{Score: float64(now.Add(t.o.TTL).UnixMilli()), Member: k})
			pipe.ZRemRangeByScore(ctx, tk, "-inf", "("+strconv.FormatInt(now.UnixMilli(), 10))
			pipe.Expire(ctx, tk, t.o.TTL)
		}
		pipe.Set(ctx, k, append([]byte(entryHeader(tk)), p.blob...), t.o.TTL)
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		// The SET may have been applied all the same (its reply lost to
		// the timeout, or the tag index's update refused on another
		// cluster slot): an entry no purge check has vouched for, perhaps
		// missing from its tag's index. Retracted, best effort.
		t.writeErrors.Add(1)
		t.retract(k)
		return false
	}
	t.writes.Add(1)
	// Read only after the write was stored (package comment). On an error
	// the write cannot be vouched for, and is retracted.
	seq, err := t.n.PurgeSeq(context.Background())
	if err == nil {
		t.mu.Lock()
		ok := t.untouched(p, seq, time.Now())
		t.mu.Unlock()
		if ok {
			return true
		}
	}
	t.retract(k)
	return false
}

// retract deletes entry key k that this tier wrote but cannot vouch for.
func (t *Tier) retract(k string) {
	t.retracted.Add(1)
	if err := t.del(k); err != nil {
		t.writeErrors.Add(1)
	}
}

// del deletes key k: one DEL, under the node's breaker and timeout.
func (t *Tier) del(k string) error {
	return t.n.Run(context.Background(), func(ctx context.Context) error { return t.n.Client().Del(ctx, k).Err() })
}

// untouched reports whether every purge numbered above p.heard and up to
// seq is known here and leaves p's entry alone. A counter below p.heard
// went back (Redis lost it: evicted, or restarted empty), and the purges it
// numbered since cannot be told from those heard before: not untouched,
// until syncPurges takes the counter as the new start. Called with mu held.
func (t *Tier) untouched(p *put, seq uint64, now time.Time) bool {
	if seq < p.heard {
		return false
	}
	if seq == p.heard {
		return true
	}
	if seq-p.heard > purgeLog {
		return false
	}
	for s := p.heard + 1; s <= seq; s++ {
		match, ok := t.purges[s]
		if !ok {
			if s > t.heard {
				t.noteGap(now)
			}
			return false
		}
		if match(p) {
			return false
		}
	}
	return true
}

// noteGap starts the clock on a purge number not heard yet, unless one is
// running. Called with mu held.
func (t *Tier) noteGap(now time.Time) {
	if t.gapSeq <= t.heard {
		t.gapSeq, t.gapSince = t.heard+1, now
	}
}

// Flush implements cache.Shared.
func (t *Tier) Flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for (len(t.queue) > 0 || t.inflight > 0) && !t.closed {
		t.cond.Wait()
	}
}

// scope is the writes purge m covers.
func scope(m cluster.PurgeMsg) func(*put) bool {
	switch {
	case m.All:
		return func(*put) bool { return true }
	case m.Tag != "":
		return func(p *put) bool { return p.tag == m.Tag }
	default:
		return func(p *put) bool { return p.ns == m.NS && (m.Key == "" || p.key == m.Key) }
	}
}

// apply records purge m (numbered, or not when m.Seq is 0) as heard here
// and cancels the queued writes it covers. The caller saves the state once
// the local tiers are purged too; with pending, it has yet to notify the
// handlers, and calls applied after.
func (t *Tier) apply(m cluster.PurgeMsg, pending bool) {
	match := scope(m)
	t.mu.Lock()
	if pending {
		t.applying++
	}
	if m.Seq > t.heard {
		t.purges[m.Seq] = match
		if t.synced {
			t.advance()
		}
	}
	t.mu.Unlock()
	t.cancel(match)
}

// advance moves heard over the purges now known in a row and forgets the
// scopes purgeLog below it. Called with mu held.
func (t *Tier) advance() {
	for {
		if _, ok := t.purges[t.heard+1]; !ok {
			break
		}
		t.heard++
		delete(t.purges, t.heard-min(t.heard, purgeLog))
	}
}

// heardPurge is the node's handler of the purges of other nodes and of the
// node's other tiers.
func (t *Tier) heardPurge(m cluster.PurgeMsg) {
	t.apply(m, true)
	t.notify(cache.SharedPurge{All: m.All, NS: m.NS, Key: m.Key, Tag: m.Tag})
	t.applied()
}

// applied ends a purge that apply (pending) or a lost purge counted in
// heard before its handlers ran, and saves the state.
func (t *Tier) applied() {
	t.mu.Lock()
	t.applying--
	t.mu.Unlock()
	t.saveState()
}

// notify has the registered handlers (the caches) apply p to their local
// tiers.
func (t *Tier) notify(p cache.SharedPurge) {
	t.mu.Lock()
	hs := t.handlers
	t.mu.Unlock()
	for _, fn := range hs {
		fn(p)
	}
}

// purge runs one of this node's purges: numbered first, applied here,
// then del, then announced.
func (t *Tier) purge(m cluster.PurgeMsg, del func() error) error {
	seq, err := t.n.NextPurge(context.Background())
	m.Seq = seq
	t.apply(m, false)
	t.saveState() // the cache purged its local tiers before calling
	return errors.Join(err, del(), t.sub.Publish(context.Background(), m))
}

// syncPurges reads the purge counter: the first read sets heard; later
// ones take a number unheard for LostPurgeAfter as lost (package comment),
// and a counter below heard (Redis lost it) as the new start.
func (t *Tier) syncPurges(now time.Time) {
	seq, err := t.n.PurgeSeq(context.Background())
	if err != nil {
		if t.o.OnError != nil && !errors.Is(err, cluster.ErrUnavailable) {
			t.o.OnError(fmt.Errorf("redistier: reading the purge counter: %w", err))
		}
		return
	}
	t.mu.Lock()
	switch {
	case !t.synced || seq < t.heard:
		if !t.synced && t.hasRestored && seq != t.restored {
			t.missed = true
		}
		if t.synced {
			clear(t.purges) // Redis lost the counter: numbers start again
		}
		// Purges heard before the first read and numbered above it stay.
		for s := range t.purges {
			if s <= seq {
				delete(t.purges, s)
			}
		}
		t.synced, t.heard, t.gapSeq = true, seq, 0
		t.advance()
		t.mu.Unlock()
		t.purgeMissed()
		t.saveState()
		return
	case seq == t.heard:
		t.gapSeq = 0
		t.mu.Unlock()
		return
	}
	t.noteGap(now)
	if now.Sub(t.gapSince) < t.o.LostPurgeAfter {
		t.mu.Unlock()
		return
	}
	all := scope(cluster.PurgeMsg{All: true})
	for s := t.heard + 1; s <= seq; s++ {
		if _, ok := t.purges[s]; !ok {
			t.purges[s] = all
		}
	}
	t.advance()
	t.applying++
	t.mu.Unlock()
	t.cancel(all)
	t.notify(cache.SharedPurge{All: true})
	// Counted once the local tiers are purged: a reader of Stats that sees
	// the loss sees its purge done.
	t.lostPurges.Add(1)
	t.applied()
}

// restoreState reads StateFile. A file that cannot be read or parsed
// counts as a number no counter has, so the first sync purges. It first
// removes the temporary files of the StateFile a crash left behind
// (durable.RemoveStaleTemps: stale ones only, as another generation's
// tier may be saving the file meanwhile); best effort, a failure leaves
// them for the next start.
func (t *Tier) restoreState() {
	if t.o.StateFile == "" {
		return
	}
	_ = durable.RemoveStaleTemps(t.o.StateFile)
	b, err := os.ReadFile(t.o.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	t.hasRestored = true
	if t.restored, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err != nil {
		t.restored = math.MaxUint64
	}
	t.saved, t.savedOK = t.restored, true
}

// purgeMissed has the handlers purge everything once, if the first sync
// found purges made while the node was down and a handler is registered.
// The purge counts as applying until the handlers return, so that no
// saveState records the counter before the local tiers are purged.
func (t *Tier) purgeMissed() {
	t.mu.Lock()
	if !t.missed || len(t.handlers) == 0 {
		t.mu.Unlock()
		return
	}
	t.missed = false
	t.applying++
	t.mu.Unlock()
	t.lostPurges.Add(1)
	t.notify(cache.SharedPurge{All: true})
	t.applied()
}

// saveState writes heard to StateFile (durable.WriteFile), once
// a handler is registered, a missed purge has been applied, no purge's
// handlers are running and no cache has a purge pending (PurgePending):
// before that the local tiers are not known to be as fresh as heard. Never
// again once a purge failed locally (stuck). Errors are
// counted as write errors; the next purge tries again.
func (t *Tier) saveState() {
	if t.o.StateFile == "" {
		return
	}
	t.stateMu.Lock()
	defer t.stateMu.Unlock()
	t.mu.Lock()
	seq, ready := t.heard, t.synced && !t.missed && t.applying == 0 && t.pendings == 0 && !t.stuck && len(t.handlers) > 0
	t.mu.Unlock()
	if !ready || (t.savedOK && seq == t.saved) {
		return
	}
	// Saved only once the file and its directory entry are on disk: a
	// number not known to survive a crash is written again next time.
	if err := t.o.fs.WriteFile(t.o.StateFile, []byte(strconv.FormatUint(seq, 10)+"\n"), 0o600); err != nil {
		t.writeErrors.Add(1)
		return
	}
	t.saved, t.savedOK = seq, true
}

// stuckState is what the StateFile says when a purge failed on the local
// tiers before any number was saved: not a number, so restoreState takes
// it as one no counter has, and the first sync after a restart purges.
const stuckState = "failed-purge"

// PurgePending implements cache.Shared: until done, the StateFile is not
// written; done(false) stops it for good (stuck), so that it keeps the
// number of a purge before the one that failed. On restart the counter is
// then ahead of that number, and the node purges its local tiers whole
// before serving (purgeMissed): the purges after the recorded number,
// whatever they were, are all covered by that one purge of everything,
// which is idempotent (a purge that had been applied before the crash
// removes nothing more).
func (t *Tier) PurgePending() func(applied bool) {
	t.mu.Lock()
	t.pendings++
	t.mu.Unlock()
	var once sync.Once
	return func(applied bool) {
		once.Do(func() {
			t.mu.Lock()
			t.pendings--
			first := !applied && !t.stuck
			if !applied {
				t.stuck = true
			}
			t.mu.Unlock()
			if first && t.o.StateFile != "" {
				t.stateMu.Lock()
				saved, ok := t.saved, t.savedOK
				if !ok {
					// No number saved yet: without a file a restart
					// would take the disk as fresh and forget this
					// purge. A number no counter has makes it purge.
					if err := t.o.fs.WriteFile(t.o.StateFile, []byte(stuckState+"\n"), 0o600); err != nil {
						t.writeErrors.Add(1)
					}
				}
				t.stateMu.Unlock()
				at := stuckState
				if ok {
					at = "purge " + strconv.FormatUint(saved, 10)
				}
				if t.o.OnError != nil {
					t.o.OnError(fmt.Errorf("redistier: a purge failed on the local tiers: %s keeps %s until restart, which then purges the local tiers whole", t.o.StateFile, at))
				}
			}
			t.saveState()
		})
	}
}

// watchPurges runs syncPurges every LostPurgeAfter/5 until Close, and
// every second at most while the counter has never been read (writes are
// dropped until then).
func (t *Tier) watchPurges() {
	defer t.wg.Done()
	for {
		every := t.o.LostPurgeAfter / 5
		t.mu.Lock()
		if !t.synced {
			every = min(every, time.Second)
		}
		t.mu.Unlock()
		timer := time.NewTimer(every)
		select {
		case <-t.stop:
			timer.Stop()
			return
		case now := <-timer.C:
			t.syncPurges(now)
		}
	}
}

// cancel drops the queued writes a purge covers (match). One a writer had
// already taken is checked after it is stored (write).
func (t *Tier) cancel(match func(*put) bool) {
	t.mu.Lock()
	var dropped []*put
	kept := t.queue[:0]
	for _, p := range t.queue {
		if match(p) {
			dropped = append(dropped, p)
			t.queued -= int64(len(p.blob))
		} else {
			kept = append(kept, p)
		}
	}
	t.queue = kept
	t.mu.Unlock()
	for _, p := range dropped {
		t.done(p, false)
	}
}

// Delete implements cache.Shared.
func (t *Tier) Delete(ns, key string) error {
	return t.purge(cluster.PurgeMsg{NS: ns, Key: key}, func() error { return t.Discard(ns, key) })
}

// Discard implements cache.Shared: a plain DEL, no purge number, no message.
func (t *Tier) Discard(ns, key string) error { return t.del(t.entryKey(ns, key)) }

// PurgeNamespace implements cache.Shared.
func (t *Tier) PurgeNamespace(ns string) error {
	return t.purge(cluster.PurgeMsg{NS: ns}, func() error { return t.deleteMatching(t.n.Prefix() + "e:" + ns + ":*") })
}

// PurgeAll implements cache.Shared.
func (t *Tier) PurgeAll() error {
	return t.purge(cluster.PurgeMsg{All: true}, func() error {
		return errors.Join(t.deleteMatching(t.n.Prefix()+"e:*"), t.deleteMatching(t.n.Prefix()+"tz:*"), t.deleteMatching(t.n.Prefix()+"t:*"))
	})
}

// PurgeTag implements cache.Shared.
func (t *Tier) PurgeTag(tag string) error {
	return t.purge(cluster.PurgeMsg{Tag: tag}, func() error { return t.deleteTag(tag) })
}

// tagBatch is how many of a tag's entries deleteTag deletes per round
// trip; each batch has the node's timeout to itself.
const tagBatch = 500

// deleteTag deletes the entries tag indexes, a batch at a time, and only
// then takes them out of the index, so a failed batch is left for the next
// purge of the tag. It stops after maxTagBatches (entries written to the
// tag while it runs are retracted by their writers: package comment).
func (t *Tier) deleteTag(tag string) error {
	for _, idx := range []struct {
		key    string
		page   func(ctx context.Context, c redis.UniversalClient, key string) ([]string, error)
		remove func(ctx context.Context, pipe redis.Pipeliner, key string, members []any)
	}{
		{t.tagKey(tag), func(ctx context.Context, c redis.UniversalClient, key string) ([]string, error) {
			return c.ZRange(ctx, key, 0, tagBatch-1).Result()
		}, func(ctx context.Context, pipe redis.Pipeliner, key string, members []any) {
			pipe.ZRem(ctx, key, members...)
		}},
		{t.legacyTagKey(tag), func(ctx context.Context, c redis.UniversalClient, key string) ([]string, error) {
			return c.SRandMemberN(ctx, key, tagBatch).Result()
		}, func(ctx context.Context, pipe redis.Pipeliner, key string, members []any) {
			pipe.SRem(ctx, key, members...)
		}},
	} {
		done := false
		for range maxTagBatches {
			err := t.n.Run(context.Background(), func(ctx context.Context) error {
				keys, err := idx.page(ctx, t.n.Client(), idx.key)
				if err != nil || len(keys) == 0 {
					done = true
					return err
				}
				pipe := t.n.Client().Pipeline()
				members := make([]any, len(keys))
				for i, k := range keys {
					pipe.Del(ctx, k) // one key per DEL: keys of one tag may live in different cluster slots
					members[i] = k
				}
				if _, err := pipe.Exec(ctx); err != nil {
					return err
				}
				pipe = t.n.Client().Pipeline()
				idx.remove(ctx, pipe, idx.key, members)
				_, err = pipe.Exec(ctx)
				return err
			})
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
		if !done {
			return fmt.Errorf("redistier: tag index %s still not empty after %d entries", idx.key, tagBatch*maxTagBatches)
		}
	}
	return nil
}

// maxTagBatches bounds one purge of a tag: tagBatch x maxTagBatches
// entries, far more than a source has variants alive.
const maxTagBatches = 2000

// deleteMatching SCANs every master for pattern and deletes what matches:
// each page of the scan is unlinked in one round trip (a pipeline of
// single-key UNLINKs: a master of a Redis Cluster refuses a command whose
// keys are in different slots). It runs under the node's breaker but with a
// longer deadline (a scan is proportional to the keyspace).
func (t *Tier) deleteMatching(pattern string) error {
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, 1000).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				pipe := c.Pipeline()
				for _, k := range keys {
					pipe.Unlink(ctx, k)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if !t.n.Breaker().Allow() {
		return cluster.ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cc, ok := t.n.Client().(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, t.n.Client())
}

// OnPurge implements cache.Shared. fn also gets a purge of everything when
// a purge message was lost, or (StateFile) purges were made while the node
// was down: then at once, from OnPurge itself, when the tier already knows.
func (t *Tier) OnPurge(fn func(cache.SharedPurge)) {
	t.mu.Lock()
	t.handlers = append(t.handlers[:len(t.handlers):len(t.handlers)], fn)
	t.mu.Unlock()
	t.purgeMissed()
	t.saveState()
}

// Acquire implements cache.Shared on the node's lease of ns/key; a lease
// released unshared is cluster.Lease.ReleaseUnshared.
func (t *Tier) Acquire(ctx context.Context, ns, key string) (func(unshared bool), error) {
	l, err := t.n.Acquire(ctx, name(ns, key))
	if errors.Is(err, cluster.ErrUnshared) {
		return nil, cache.ErrNotShared
	}
	if err != nil || l == nil {
		return nil, err
	}
	return func(unshared bool) {
		if unshared {
			l.ReleaseUnshared()
		} else {
			l.Release()
		}
	}, nil
}

// Wait implements cache.Shared.
func (t *Tier) Wait(ctx context.Context, ns, key string) error {
	return t.n.Wait(ctx, name(ns, key))
}

var _ cache.Shared = (*Tier)(nil)
