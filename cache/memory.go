package cache

import (
	"sync/atomic"

	"github.com/dgraph-io/ristretto/v2"
)

// memItem is what the memory tier stores; ns and key are kept to guard
// against hash collisions (ristretto stores only key hashes) and so purges
// can find entries by namespace or tag.
type memItem struct {
	ns, key string
	entry   Entry
}

// memTier is the in-memory tier: a ristretto cache whose cost is bytes.
// Safe for concurrent use; the owning Cache guarantees no call after close.
type memTier struct {
	c         *ristretto.Cache[string, *memItem]
	maxBytes  int64
	evictions atomic.Uint64
}

// memItemOverhead approximates the fixed bytes of a memItem, its strings'
// headers and ristretto's bookkeeping beyond the internal cost it adds itself.
const memItemOverhead = 160

func newMemTier(maxBytes int64) (*memTier, error) {
	m := &memTier{maxBytes: maxBytes}
	// ristretto wants ~10 counters per item expected at capacity; assume
	// ~8 KiB per item on average, but keep a sane floor and ceiling.
	counters := max(maxBytes/(8<<10)*10, 10_000)
	counters = min(counters, 10_000_000)
	c, err := ristretto.NewCache(&ristretto.Config[string, *memItem]{
		NumCounters: counters,
		MaxCost:     maxBytes,
		BufferItems: 64,
		Metrics:     true, // for Entries (keys added - keys removed) and dropped sets
		OnEvict: func(*ristretto.Item[*memItem]) {
			m.evictions.Add(1)
		},
	})
	if err != nil {
		return nil, err
	}
	m.c = c
	return m, nil
}

func memKey(ns, key string) string { return ns + "\x00" + key }

func memCost(ns, key string, e *Entry) int64 {
	n := memItemOverhead + len(ns) + len(key) + len(e.Value) + len(e.ContentType) + len(e.Tag)
	for k, v := range e.Meta {
		n += 48 + len(k) + len(v) // map slot + string headers
	}
	return int64(n)
}

func (m *memTier) get(ns, key string) (Entry, bool) {
	it, ok := m.c.Get(memKey(ns, key))
	if !ok || it == nil || it.ns != ns || it.key != key {
		return Entry{}, false
	}
	return it.entry, true
}

// set stores the entry and waits until ristretto has applied it, so that it
// is visible to the next get. Ristretto may still drop or reject it (a full
// set buffer, or the admission policy); that is fine for a cache.
func (m *memTier) set(ns, key string, e Entry) {
	cost := memCost(ns, key, &e)
	if cost > m.maxBytes {
		return
	}
	if m.c.Set(memKey(ns, key), &memItem{ns: ns, key: key, entry: e}, cost) {
		m.c.Wait()
	}
}

func (m *memTier) del(ns, key string) {
	m.c.Del(memKey(ns, key))
}

// purge deletes every entry for which match returns true. It costs one pass
// over all entries in memory.
func (m *memTier) purge(match func(*memItem) bool) {
	m.c.Wait() // apply buffered sets first so they are not missed
	var keys []string
	m.c.IterValues(func(it *memItem) bool {
		if it != nil && match(it) {
			keys = append(keys, memKey(it.ns, it.key))
		}
		return false
	})
	for _, k := range keys {
		m.c.Del(k)
	}
	m.c.Wait()
}

func (m *memTier) stats(s *Stats) {
	s.MemoryMaxBytes = m.maxBytes
	s.MemoryBytes = max(m.c.MaxCost()-m.c.RemainingCost(), 0)
	s.MemoryEvictions = m.evictions.Load()
	if mt := m.c.Metrics; mt != nil {
		added, removed := mt.KeysAdded(), mt.KeysEvicted() // "evicted" includes deletions
		if added > removed {
			s.MemoryEntries = int64(added - removed)
		}
		s.MemoryDropped = mt.SetsDropped() + mt.SetsRejected()
	}
}

func (m *memTier) close() { m.c.Close() }
