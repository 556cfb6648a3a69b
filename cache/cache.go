package cache

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures New. The zero value gives a 256 MiB memory tier and no
// disk tier.
type Options struct {
	// MemoryMaxBytes bounds the memory tier (value + metadata + overhead).
	// 0 means DefaultMemoryMaxBytes; a negative value disables the tier.
	MemoryMaxBytes int64

	// DiskPath enables the disk tier in this directory ("" disables it). It
	// is created if missing; a non-empty directory that was not created by
	// this package is refused. Everything the tier creates is private to
	// the process's user (directories 0700, files 0600, whatever the
	// umask), and an existing directory is chmodded to 0700.
	DiskPath string
	// DiskMaxBytes bounds the total size of the entry files; 0 means
	// DefaultDiskMaxBytes.
	DiskMaxBytes int64
	// DiskWriters is the number of background writer goroutines; 0 means 2.
	DiskWriters int
	// DiskQueueMaxBytes bounds the entries waiting to be written; writes
	// beyond it are dropped (and counted). 0 means 64 MiB.
	DiskQueueMaxBytes int64

	// OnError, if set, receives problems that never fail a request: disk
	// write/read errors and corrupt entries (as *DiskError), and entries
	// rejected by Set (wrapping ErrInvalid). It is called from request and
	// background goroutines, possibly concurrently (New may call it too),
	// and must not block. It may call Stats but no other method of the
	// Cache: it can run while the Cache holds its locks (during a purge,
	// say) or inside a disk writer that Close waits for.
	OnError func(error)

	// Shared, if set, is a tier behind memory and disk shared with other
	// processes (see Shared): lookups that miss locally read it (a hit is
	// promoted to the local tiers), stores and purges go to it too, and Do
	// coalesces across processes through its leases.
	Shared Shared

	hooks *testHooks // tests only
}

const (
	DefaultMemoryMaxBytes = 256 << 20
	DefaultDiskMaxBytes   = 1 << 30
)

// Cache is a two-tier cache. All methods are safe for concurrent use and may
// be called on a nil *Cache (which always misses). After Close, Get misses,
// Set and purges do nothing, and Do calls fn without storing its result.
//
// Locks, in the order they may be taken: closeMu (read-held by every
// operation for its whole duration, so Close waits for them), then
// purges.mu (which the Caches on one disk directory share: purgeState),
// then diskRoots.mu, then the tiers' own locks. No Cache takes another's
// closeMu. flightMu is only ever held alone. Each Do
// flight runs fn in a goroutine of its own (runFlight); Close does not wait
// for those, and a flight that finishes after Close stores nothing.
type Cache struct {
	mem     *memTier  // nil: disabled; set by New, never changed
	disk    *diskTier // nil: disabled; set by New, never changed
	shared  Shared    // nil: disabled; set by New, never changed
	onError func(error)
	hooks   *testHooks // never nil

	closeMu sync.RWMutex // read-held by every operation; Close takes it exclusively
	closed  bool

	purges *purgeState // set by New, never changed; never nil

	flightMu sync.Mutex
	flights  map[string]*flight // running flights by memKey, guarded by flightMu

	memHits, memMisses   atomic.Uint64
	diskHits, diskMisses atomic.Uint64
	executions           atomic.Uint64
	coalesced            atomic.Uint64
	flightHits           atomic.Uint64
	panics               atomic.Uint64
	staleSkipped         atomic.Uint64
	invalid              atomic.Uint64

	sharedHits, sharedMisses atomic.Uint64
	sharedCorrupt            atomic.Uint64
	leaseWaits, takeovers    atomic.Uint64
}

// purgeState orders purges against the writes that could undo them: a Do
// result, computed perhaps from purged data, a hit read from a lower tier
// being copied into the tiers above it, and a SetSince entry derived from
// data read outside the cache. Each such writer reads epoch before it
// reads or computes anything, and writes under mu's read lock only if
// epoch is unchanged and no shared purge is running (Cache.current). A
// purge bumps epoch under the write lock, purges the local tiers, and
// releases the lock before the shared tier's network calls; sharedPurges
// keeps those writers out until the shared purge is done, and epoch is
// bumped again after it.
//
// Every Cache whose disk tier is open on one directory shares one
// purgeState (diskTier.register, disk_roots.go): during a Caddy reload the
// old generation's writers store into the directory the new generation
// purges, so a purge through either must refuse the other's writes that
// began before it, as its own. A Cache without a disk tier has its own.
type purgeState struct {
	mu           sync.RWMutex
	epoch        atomic.Uint64
	sharedPurges atomic.Int32
}

// New creates a Cache. Only configuration problems (an unusable disk
// directory) are errors; the disk index is built in the background, so New
// returns without scanning the directory.
func New(o Options) (*Cache, error) {
	c := &Cache{onError: o.OnError, hooks: o.hooks, flights: make(map[string]*flight), purges: &purgeState{}}
	if c.hooks == nil {
		c.hooks = &testHooks{}
	}
	if o.MemoryMaxBytes >= 0 {
		n := o.MemoryMaxBytes
		if n == 0 {
			n = DefaultMemoryMaxBytes
		}
		m, err := newMemTier(n)
		if err != nil {
			return nil, fmt.Errorf("cache: memory tier: %w", err)
		}
		c.mem = m
	}
	if o.DiskPath != "" {
		maxBytes := o.DiskMaxBytes
		if maxBytes <= 0 {
			maxBytes = DefaultDiskMaxBytes
		}
		writers := o.DiskWriters
		if writers <= 0 {
			writers = 2
		}
		queue := o.DiskQueueMaxBytes
		if queue <= 0 {
			queue = 64 << 20
		}
		d, err := newDiskTier(o.DiskPath, maxBytes, writers, queue, o.OnError, c.hooks)
		if err != nil {
			if c.mem != nil {
				c.mem.close()
			}
			return nil, err
		}
		c.disk = d
		c.purges = d.purges
	}
	if o.Shared != nil {
		// Last: the handler may run before OnPurge returns.
		c.shared = o.Shared
		o.Shared.OnPurge(c.remotePurge)
	}
	return c, nil
}

// Close flushes queued disk writes, stops background work and releases the
// memory tier. It is idempotent. With a shared tier, it takes a purge hold
// that it never ends (Shared.PurgePending): the shared tier may hear purges
// until it is closed itself, which this Cache's handler no longer applies,
// so it must record none of them as applied (redistier's StateFile, which
// the Caches of the next generation on the same disk directory rely on).
func (c *Cache) Close() error {
	if c == nil {
		return nil
	}
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.shared != nil {
		c.shared.PurgePending()
	}
	if c.disk != nil {
		c.disk.close()
	}
	if c.mem != nil {
		c.mem.close()
	}
	return nil
}

// Flush waits until no disk or shared-tier writes are queued or in progress. Set returns
// before its disk write is done; tests and graceful shutdowns use Flush.
// Under a steady stream of Sets it may wait for those too.
func (c *Cache) Flush() {
	if c == nil {
		return
	}
	if c.shared != nil {
		c.shared.Flush()
	}
	if c.disk != nil {
		c.disk.flush()
	}
}

// Enabled reports whether at least one tier is enabled.
func (c *Cache) Enabled() bool { return c != nil && (c.mem != nil || c.disk != nil || c.shared != nil) }

// begin read-locks closeMu; it returns false (and unlocks) after Close.
func (c *Cache) begin() bool {
	c.closeMu.RLock()
	if c.closed {
		c.closeMu.RUnlock()
		return false
	}
	return true
}

func (c *Cache) end() { c.closeMu.RUnlock() }

func (c *Cache) report(err error) {
	if c.onError != nil {
		c.onError(err)
	}
}

// Get looks the key up in memory, then on disk, then in the shared tier. A
// disk hit is promoted to memory, a shared hit to memory and disk. The returned Tier is TierNone on a miss. An invalid namespace or
// key is a miss.
func (c *Cache) Get(ns, key string) (Entry, Tier, bool) {
	if c == nil || checkKey(ns, key) != nil || !c.begin() {
		return Entry{}, TierNone, false
	}
	defer c.end()
	return c.lookup(ns, key, true, true)
}

// GetBody is Get for a caller that can send a value from a file (an HTTP
// handler). A memory or shared hit, and a disk hit that the memory tier
// may keep (it is promoted, as by Get), come back in Entry.Value with a nil
// body. A disk hit that the memory tier would refuse anyway (there is none,
// or the entry file is larger than the whole tier) comes back with a nil
// Entry.Value and an open body over the entry file, when this process has
// verified that file's value before; its header is verified on every hit
// (disk_stream.go has the contract). The caller must Close the body.
func (c *Cache) GetBody(ns, key string) (Entry, *FileBody, Tier, bool) {
	if c == nil || checkKey(ns, key) != nil || !c.begin() {
		return Entry{}, nil, TierNone, false
	}
	defer c.end()
	return c.lookupBody(ns, key, true, true, true)
}

// streamable reports whether a disk entry file of size bytes may be served
// as a body: the memory tier would not keep it (memCost exceeds the file's
// size, so a file larger than the tier cannot fit).
func (c *Cache) streamable(size int64) bool { return c.mem == nil || size > c.mem.maxBytes }

// lookup is Get without validation or locking; count says whether to count
// hits and misses (not for the re-check inside a flight), shared whether to
// read the shared tier (the flight's re-check leaves it to clusterFlight,
// which reads it once it holds the lease).
func (c *Cache) lookup(ns, key string, count, shared bool) (Entry, Tier, bool) {
	e, _, t, ok := c.lookupBody(ns, key, count, shared, false)
	return e, t, ok
}

// lookupBody is lookup that, with body, may return a disk hit as a body
// (GetBody).
func (c *Cache) lookupBody(ns, key string, count, shared, body bool) (Entry, *FileBody, Tier, bool) {
	epoch := c.purges.epoch.Load() // before any tier is read: see promote
	if c.mem != nil {
		if e, ok := c.mem.get(ns, key); ok {
			if count {
				c.memHits.Add(1)
			}
			return e, nil, TierMemory, true
		}
		if count {
			c.memMisses.Add(1)
		}
	}
	if c.disk != nil {
		var e Entry
		var b *FileBody
		var ok bool
		if body {
			e, b, ok = c.disk.getStream(ns, key, c.streamable)
		} else {
			e, ok = c.disk.get(ns, key)
		}
		if ok {
			if count {
				c.diskHits.Add(1)
			}
			if b == nil {
				c.promote(epoch, ns, key, e, false)
			}
			return e, b, TierDisk, true
		}
		if count {
			c.diskMisses.Add(1)
		}
	}
	if c.shared != nil && shared {
		if e, ok := c.sharedGet(ns, key); ok {
			if count {
				c.sharedHits.Add(1)
			}
			c.promote(epoch, ns, key, e, true)
			return e, nil, TierShared, true
		}
		if count {
			c.sharedMisses.Add(1)
		}
	}
	return Entry{}, nil, TierNone, false
}

// promote copies a hit read from a lower tier into the memory tier, and
// with toDisk (a shared hit) into the disk tier too, unless a purge began
// after epoch was read (before the read): the entry may be one that purge
// removed, and copying it up would bring it back for as long as the memory
// or disk tier keeps it. The caller holds the close lock (begin).
func (c *Cache) promote(epoch uint64, ns, key string, e Entry, toDisk bool) {
	if c.mem == nil && (!toDisk || c.disk == nil) {
		return
	}
	if h := c.hooks.beforePromote; h != nil {
		h()
	}
	c.purges.mu.RLock()
	defer c.purges.mu.RUnlock()
	if !c.current(epoch) {
		return
	}
	if c.mem != nil {
		c.mem.set(ns, key, e)
	}
	if toDisk && c.disk != nil {
		c.disk.enqueue(ns, key, e)
	}
}

// current reports whether no purge has begun since epoch was read; the
// caller holds purges.mu's read lock, so none can begin before it writes.
func (c *Cache) current(epoch uint64) bool {
	return c.purges.epoch.Load() == epoch && c.purges.sharedPurges.Load() == 0
}

// Set stores the entry in memory (synchronously; ristretto may still decline
// it) and queues it for the disk tier. It never fails: an invalid entry is
// reported to OnError and ignored, disk write errors are reported to OnError
// later. A zero e.Created is set to time.Now(). The cache owns e.Value and
// e.Meta afterwards.
func (c *Cache) Set(ns, key string, e Entry) {
	if c == nil || !c.admit(ns, key, &e) {
		return
	}
	defer c.end()
	c.store(ns, key, e, nil)
}

// SetMemory stores the entry in the memory tier only (ristretto may still
// decline it), for an entry worth keeping for seconds, whose copy in the
// other tiers differs from it in nothing they need: a disk or shared write
// for it would cost more than it saves. As Set, it never fails.
func (c *Cache) SetMemory(ns, key string, e Entry) {
	if c == nil || c.mem == nil || !c.admit(ns, key, &e) {
		return
	}
	defer c.end()
	c.mem.set(ns, key, e)
}

// Generation returns the purge generation: a number that changes whenever
// a purge (Delete, Purge, PurgeAll, PurgeTag, or another process's purge
// through the shared tier) begins, here or in another Cache whose disk tier
// is open on the same directory (purgeState). A caller that derives an entry from
// data it reads outside the cache (an origin's answer) takes it before it
// starts reading, and stores the entry with SetSince or SetMemorySince
// under that generation, so that a purge made while it read does not get
// undone by its write. 0 on a nil *Cache.
func (c *Cache) Generation() uint64 {
	if c == nil {
		return 0
	}
	return c.purges.epoch.Load()
}

// SetSince is Set, unless a purge has begun since gen was taken
// (Generation) or a shared-tier purge is running: then nothing is stored
// (counted in Stats.StaleSkipped), as the entry may describe data that
// purge was meant to remove. The check and the write are one step under
// the purge lock, as for Do's results: a purge either comes before the
// write and refuses it, or after it and removes it.
func (c *Cache) SetSince(gen uint64, ns, key string, e Entry) {
	if c == nil {
		return
	}
	c.setSince(gen, ns, key, e, false)
}

// SetMemorySince is SetMemory with SetSince's purge check.
func (c *Cache) SetMemorySince(gen uint64, ns, key string, e Entry) {
	if c == nil || c.mem == nil {
		return
	}
	c.setSince(gen, ns, key, e, true)
}

func (c *Cache) setSince(gen uint64, ns, key string, e Entry, memoryOnly bool) {
	if !c.admit(ns, key, &e) {
		return
	}
	defer c.end()
	c.purges.mu.RLock()
	defer c.purges.mu.RUnlock()
	if !c.current(gen) {
		c.staleSkipped.Add(1)
		return
	}
	if memoryOnly {
		c.mem.set(ns, key, e)
		return
	}
	c.store(ns, key, e, nil)
}

// admit validates an entry to store (valid) and takes the close lock:
// false when the entry is invalid or the cache is closed. A true answer
// must be paired with end.
func (c *Cache) admit(ns, key string, e *Entry) bool {
	return c.valid(ns, key, e) && c.begin()
}

// valid validates an entry to store, filling in Created; an invalid one is
// counted and reported.
func (c *Cache) valid(ns, key string, e *Entry) bool {
	if err := c.validate(ns, key, e); err != nil {
		c.invalid.Add(1)
		c.report(err)
		return false
	}
	return true
}

func (c *Cache) validate(ns, key string, e *Entry) error {
	if err := checkKey(ns, key); err != nil {
		return err
	}
	if err := checkEntry(e); err != nil {
		return fmt.Errorf("%w (%s/%q)", err, ns, key)
	}
	if e.Created.IsZero() {
		e.Created = time.Now()
	}
	return nil
}

// store writes e to every tier; after (may be nil) runs once the shared
// tier's write is done or dropped, or at once without a shared tier.
func (c *Cache) store(ns, key string, e Entry, after func(stored bool)) {
	if c.mem != nil {
		c.mem.set(ns, key, e)
	}
	if c.disk != nil {
		c.disk.enqueue(ns, key, e)
	}
	if c.shared != nil {
		c.sharedPut(ns, key, e, after)
	} else if after != nil {
		after(false)
	}
}

// purge purges the local tiers with local under the exclusive purge lock,
// after bumping the epoch, then finishes the disk tier's part (the removal
// local returns: its directory fsyncs) and then purges the shared tier (if
// there is one) with shared (may be nil), both outside the lock, so that
// the stores and promotions waiting for it are not held up by the disk's
// fsyncs or the shared tier's network calls. The purge is in effect for
// every reader once the lock is released; the fsyncs only make it
// durable, and are done before purge returns and before the shared tier
// numbers the purge (its StateFile must not record a purge a crash could
// undo; nor one that failed locally: Shared.PurgePending). The misses
// finishing during the shared part are answered but not stored, and no
// hit is promoted, until it is done (sharedPurges). The error joins both.
func (c *Cache) purge(local func() *removal, shared func(Shared) error) error {
	if c == nil || !c.begin() {
		return nil
	}
	defer c.end()
	if shared != nil && c.shared != nil {
		c.purges.sharedPurges.Add(1)
		defer func() {
			// A writer that read epoch while the shared tier still
			// held the purged entries must find it changed once
			// sharedPurges lets it write again.
			c.purges.epoch.Add(1)
			c.purges.sharedPurges.Add(-1)
		}()
	} else {
		shared = nil
	}
	c.purges.mu.Lock()
	c.purges.epoch.Add(1)
	r := local()
	c.purges.mu.Unlock()
	err := r.finish()
	if c.shared != nil {
		// Not applied on the disk, or not durably yet: the shared tier
		// must not record it as applied until it is, whoever made it
		// (Shared.PurgePending).
		if err != nil {
			c.shared.PurgePending()(false)
		} else if r.waitsForScan() {
			r.afterScan(c.shared.PurgePending())
		}
	}
	if shared != nil {
		err = errors.Join(err, shared(c.shared))
	}
	return err
}

// Delete removes one entry from every tier (and cancels its queued disk
// write); with a shared tier, the other processes drop their copies too.
// The error, if any, is about the disk or shared tier; memory is always
// purged.
func (c *Cache) Delete(ns, key string) error {
	if checkKey(ns, key) != nil {
		return nil
	}
	return c.purge(func() *removal { return c.localDelete(ns, key) }, func(s Shared) error { return s.Delete(ns, key) })
}

// Discard removes ns/key from this process's tiers and the shared store,
// without a purge: for an entry the caller found it cannot use (another
// format's), which other processes may read as good. A copy promoted
// concurrently may come back; the caller discards it again. After Close it
// leaves the local tiers alone (they are closed), as purges do.
func (c *Cache) Discard(ns, key string) error {
	if c == nil || checkKey(ns, key) != nil {
		return nil
	}
	var err error
	if c.begin() { // the local tiers must not be touched while Close closes them
		err = c.localDelete(ns, key).finish()
		c.end()
	}
	if c.shared != nil {
		err = errors.Join(err, c.shared.Discard(ns, key))
	}
	return err
}

// localDelete, localPurgeNS, localPurgeAll and localPurgeTag purge the
// memory tier and make the disk tier's part of the purge under d.mu; the
// caller finishes the removal they return (nil without a disk tier).
func (c *Cache) localDelete(ns, key string) *removal {
	if c.mem != nil {
		c.mem.del(ns, key)
	}
	if c.disk != nil {
		return c.disk.delEverywhere(ns, key)
	}
	return nil
}

// Purge removes every entry of a namespace. Memory: one pass over all
// entries. Disk: the namespace directory is renamed away at once and
// deleted in the background. Shared: a scan of the namespace's keys.
func (c *Cache) Purge(ns string) error {
	if !ValidNamespace(ns) {
		return fmt.Errorf("%w: namespace %q", ErrInvalid, ns)
	}
	return c.purge(func() *removal { return c.localPurgeNS(ns) }, func(s Shared) error { return s.PurgeNamespace(ns) })
}

func (c *Cache) localPurgeNS(ns string) *removal {
	if c.mem != nil {
		c.mem.purge(func(it *memItem) bool { return it.ns == ns })
	}
	if c.disk != nil {
		return c.disk.purgeNSEverywhere(ns)
	}
	return nil
}

// PurgeAll removes everything.
func (c *Cache) PurgeAll() error {
	return c.purge(c.localPurgeAll, Shared.PurgeAll)
}

func (c *Cache) localPurgeAll() *removal {
	if c.mem != nil {
		c.mem.purge(func(*memItem) bool { return true })
	}
	if c.disk != nil {
		return c.disk.purgeAllEverywhere()
	}
	return nil
}

// PurgeTag removes every entry, in any namespace, whose Tag equals tag
// (an empty tag purges nothing). Cost: one pass over the memory entries and
// one over the disk index (in memory; no directory scan), plus one unlink
// per matching file and one fsync per directory unlinked in. Disk entries not yet indexed by the startup scan are
// covered as well: they are deleted when the scan or a Get reaches them.
// The shared tier keeps a set of keys per tag.
func (c *Cache) PurgeTag(tag string) error {
	if tag == "" {
		return nil
	}
	return c.purge(func() *removal { return c.localPurgeTag(tag) }, func(s Shared) error { return s.PurgeTag(tag) })
}

func (c *Cache) localPurgeTag(tag string) *removal {
	if c.mem != nil {
		c.mem.purge(func(it *memItem) bool { return it.entry.Tag == tag })
	}
	if c.disk != nil {
		return c.disk.purgeTagEverywhere(tag)
	}
	return nil
}

// Stats is a point-in-time snapshot of counters (monotonic, since New) and
// gauges. Hits/misses count Get and Do lookups per tier: a lookup that
// misses memory and hits disk counts one memory miss and one disk hit.
type Stats struct {
	MemoryHits, MemoryMisses uint64
	MemoryEntries            int64 // gauge
	MemoryBytes              int64 // gauge: cost admitted by ristretto
	MemoryMaxBytes           int64
	MemoryEvictions          uint64 // evicted to make room
	MemoryDropped            uint64 // sets dropped or rejected by ristretto

	DiskHits, DiskMisses uint64
	DiskEntries          int64 // gauge: indexed entry files (removed ones whose unlink failed included)
	DiskBytes            int64 // gauge: size of indexed entry files (likewise)
	DiskMaxBytes         int64
	DiskIndexReady       bool // the startup scan has finished
	DiskEvictions        uint64
	DiskWrites           uint64 // writes attempted that did not fail (cancelled ones included)
	DiskWriteErrors      uint64
	DiskWritesDropped    uint64 // queue full, or entry larger than DiskMaxBytes
	DiskCorruptDropped   uint64 // corrupt/truncated/foreign entries deleted
	DiskTempFilesRemoved uint64 // stale temp files cleaned up at start

	Executions      uint64 // fn calls made by Do
	Coalesced       uint64 // Do callers that waited for another caller's fn
	FlightCacheHits uint64 // flights answered by the re-check instead of fn
	Panics          uint64 // fn panics turned into *PanicError
	StaleSkipped    uint64 // Do results and SetSince/SetMemorySince entries not stored because a purge ran meanwhile
	InvalidSets     uint64 // Set calls rejected by validation

	SharedHits, SharedMisses uint64 // lookups of the shared tier (a lease wait that finds the entry is a hit)
	SharedCorruptDropped     uint64 // corrupt/truncated/foreign shared entries deleted
	LeaseWaits               uint64 // flights that waited for another process's lease
	Takeovers                uint64 // flights that won a lease after waiting (the holder failed or died)
}

// Stats returns a snapshot. It is cheap enough to call on every scrape, may
// be called from OnError, and keeps working after Close.
func (c *Cache) Stats() Stats {
	var s Stats
	if c == nil {
		return s
	}
	s.MemoryHits, s.MemoryMisses = c.memHits.Load(), c.memMisses.Load()
	s.DiskHits, s.DiskMisses = c.diskHits.Load(), c.diskMisses.Load()
	if c.mem != nil {
		c.mem.stats(&s)
	}
	if c.disk != nil {
		c.disk.stats(&s)
	}
	s.Executions = c.executions.Load()
	s.Coalesced = c.coalesced.Load()
	s.FlightCacheHits = c.flightHits.Load()
	s.Panics = c.panics.Load()
	s.StaleSkipped = c.staleSkipped.Load()
	s.InvalidSets = c.invalid.Load()
	s.SharedHits, s.SharedMisses = c.sharedHits.Load(), c.sharedMisses.Load()
	s.SharedCorruptDropped = c.sharedCorrupt.Load()
	s.LeaseWaits, s.Takeovers = c.leaseWaits.Load(), c.takeovers.Load()
	return s
}
