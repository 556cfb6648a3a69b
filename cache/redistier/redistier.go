// Package redistier is the shared cache tier on Redis: a cache.Shared
// built on a cluster.Node. Entries are stored as the cache's own encoded
// blobs (the disk tier's format, checksummed; the cache verifies them), with
// a TTL, under <prefix>e:<namespace>:<sha256(key)>; each tag has a set of
// its entries' keys for PurgeTag. Writes are queued and done by background
// writers (bounded in bytes; a full queue drops and counts), so a store
// never waits for the network. Every Redis call goes through the node's
// breaker and timeout.
package redistier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/cluster"
)

// Options configures New. Zero values take the defaults.
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
}

// Tier implements cache.Shared. Safe for concurrent use.
//
// Locks: mu guards the queue and epoch; it is never held across a Redis call.
type Tier struct {
	n *cluster.Node
	o Options

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []*put
	queued   int64
	inflight int
	closed   bool
	epoch    uint64 // bumped by every purge: writes queued before it are dropped
	wg       sync.WaitGroup

	unsubscribe []func() // OnPurge registrations, undone by Close

	writes, dropped, writeErrors atomic.Uint64
}

type put struct {
	ns, key, tag string
	blob         []byte
	after        func()
	epoch        uint64
}

// New starts the tier's writers on n.
func New(n *cluster.Node, o Options) *Tier {
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
	t := &Tier{n: n, o: o}
	t.cond = sync.NewCond(&t.mu)
	for range o.Writers {
		t.wg.Add(1)
		go t.writer()
	}
	return t
}

// Close drops the queued writes (running their after), stops the writers
// and unregisters the purge handlers. It does not close the node.
func (t *Tier) Close() {
	t.mu.Lock()
	unsub := t.unsubscribe
	t.unsubscribe = nil
	t.mu.Unlock()
	for _, u := range unsub {
		u()
	}
	t.mu.Lock()
	t.closed = true
	q := t.queue
	t.queue, t.queued = nil, 0
	t.cond.Broadcast()
	t.mu.Unlock()
	for _, p := range q {
		t.done(p)
	}
	t.wg.Wait()
}

// Stats are the tier's counters.
type Stats struct {
	Writes, Dropped, WriteErrors uint64
	Node                         cluster.Stats
}

func (t *Tier) Stats() Stats {
	return Stats{Writes: t.writes.Load(), Dropped: t.dropped.Load(), WriteErrors: t.writeErrors.Load(), Node: t.n.Stats()}
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// name is ns/key's identity in Redis (entry key suffix and lease name).
func name(ns, key string) string { return ns + ":" + hashKey(key) }

func (t *Tier) entryKey(ns, key string) string { return t.n.Prefix() + "e:" + name(ns, key) }
func (t *Tier) tagKey(tag string) string       { return t.n.Prefix() + "t:" + hashKey(tag) }

// Get implements cache.Shared.
func (t *Tier) Get(ns, key string) ([]byte, error) {
	var b []byte
	err := t.n.Run(context.Background(), func(ctx context.Context) (err error) {
		b, err = t.n.Client().Get(ctx, t.entryKey(ns, key)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// Put implements cache.Shared.
func (t *Tier) Put(ns, key, tag string, blob []byte, after func()) {
	p := &put{ns: ns, key: key, tag: tag, blob: blob, after: after}
	t.mu.Lock()
	if t.closed || int64(len(blob)) > t.o.MaxEntrySize || t.queued+int64(len(blob)) > t.o.QueueMaxBytes || !t.n.Breaker().Allow() {
		t.mu.Unlock()
		t.dropped.Add(1)
		t.done(p)
		return
	}
	p.epoch = t.epoch
	t.queue = append(t.queue, p)
	t.queued += int64(len(blob))
	t.cond.Signal()
	t.mu.Unlock()
}

func (t *Tier) done(p *put) {
	if p.after != nil {
		p.after()
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
		stale := p.epoch != t.epoch
		t.mu.Unlock()

		if !stale {
			t.write(p)
		}
		t.done(p)

		t.mu.Lock()
		t.inflight--
		t.cond.Broadcast()
		t.mu.Unlock()
	}
}

func (t *Tier) write(p *put) {
	k := t.entryKey(p.ns, p.key)
	err := t.n.Run(context.Background(), func(ctx context.Context) error {
		pipe := t.n.Client().Pipeline()
		pipe.Set(ctx, k, p.blob, t.o.TTL)
		if p.tag != "" {
			tk := t.tagKey(p.tag)
			pipe.SAdd(ctx, tk, k)
			pipe.Expire(ctx, tk, t.o.TTL)
		}
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		t.writeErrors.Add(1)
		return
	}
	t.writes.Add(1)
}

// Flush implements cache.Shared.
func (t *Tier) Flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for (len(t.queue) > 0 || t.inflight > 0) && !t.closed {
		t.cond.Wait()
	}
}

// cancel drops queued writes matching match and bumps the epoch, so a
// write taken by a writer before the purge is not done after it.
func (t *Tier) cancel(match func(*put) bool) {
	t.mu.Lock()
	t.epoch++
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
		t.done(p)
	}
}

// Delete implements cache.Shared.
func (t *Tier) Delete(ns, key string) error {
	t.cancel(func(p *put) bool { return p.ns == ns && p.key == key })
	err := t.n.Run(context.Background(), func(ctx context.Context) error {
		return t.n.Client().Del(ctx, t.entryKey(ns, key)).Err()
	})
	return errors.Join(err, t.n.PublishPurge(context.Background(), cluster.PurgeMsg{NS: ns, Key: key}))
}

// PurgeNamespace implements cache.Shared.
func (t *Tier) PurgeNamespace(ns string) error {
	t.cancel(func(p *put) bool { return p.ns == ns })
	err := t.deleteMatching(t.n.Prefix() + "e:" + ns + ":*")
	return errors.Join(err, t.n.PublishPurge(context.Background(), cluster.PurgeMsg{NS: ns}))
}

// PurgeAll implements cache.Shared.
func (t *Tier) PurgeAll() error {
	t.cancel(func(*put) bool { return true })
	err := errors.Join(t.deleteMatching(t.n.Prefix()+"e:*"), t.deleteMatching(t.n.Prefix()+"t:*"))
	return errors.Join(err, t.n.PublishPurge(context.Background(), cluster.PurgeMsg{All: true}))
}

// PurgeTag implements cache.Shared.
func (t *Tier) PurgeTag(tag string) error {
	t.cancel(func(p *put) bool { return p.tag == tag })
	err := t.n.Run(context.Background(), func(ctx context.Context) error {
		tk := t.tagKey(tag)
		keys, err := t.n.Client().SMembers(ctx, tk).Result()
		if err != nil {
			return err
		}
		pipe := t.n.Client().Pipeline()
		for _, k := range keys {
			pipe.Del(ctx, k) // one key per DEL: keys of one tag may live in different cluster slots
		}
		pipe.Del(ctx, tk)
		_, err = pipe.Exec(ctx)
		return err
	})
	return errors.Join(err, t.n.PublishPurge(context.Background(), cluster.PurgeMsg{Tag: tag}))
}

// deleteMatching SCANs every master for pattern and deletes what matches.
// It runs under the node's breaker but with a longer deadline (a scan is
// proportional to the keyspace).
func (t *Tier) deleteMatching(pattern string) error {
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			if err := c.Del(ctx, it.Val()).Err(); err != nil {
				return err
			}
		}
		return it.Err()
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

// OnPurge implements cache.Shared.
func (t *Tier) OnPurge(fn func(cache.SharedPurge)) {
	unsub := t.n.OnPurge(func(m cluster.PurgeMsg) {
		if m.NS != "" || m.All || m.Tag != "" {
			t.cancel(func(p *put) bool {
				return m.All || (m.Tag != "" && p.tag == m.Tag) || (p.ns == m.NS && (m.Key == "" || p.key == m.Key))
			})
		}
		fn(cache.SharedPurge{All: m.All, NS: m.NS, Key: m.Key, Tag: m.Tag})
	})
	t.mu.Lock()
	t.unsubscribe = append(t.unsubscribe, unsub)
	t.mu.Unlock()
}

// Acquire implements cache.Shared.
func (t *Tier) Acquire(ctx context.Context, ns, key string) (func(), error) {
	l, err := t.n.Acquire(ctx, name(ns, key))
	if err != nil || l == nil {
		return nil, err
	}
	return l.Release, nil
}

// Wait implements cache.Shared.
func (t *Tier) Wait(ctx context.Context, ns, key string) error {
	return t.n.Wait(ctx, name(ns, key))
}

var _ cache.Shared = (*Tier)(nil)
