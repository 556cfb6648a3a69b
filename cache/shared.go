package cache

import (
	"context"
	"errors"
	"fmt"
)

// Shared is a tier shared by several processes (cache/redistier implements
// it on Redis). The Cache stores entries there in the disk tier's format
// (encodeEntry) and verifies them on every read, so a Shared only moves
// opaque blobs; it also coordinates Do flights across processes (leases)
// and carries purges to the other processes.
//
// Every method must be bounded in time and safe for concurrent use; an
// error is a miss (or "coordinate locally") for the Cache, never a request
// failure.
type Shared interface {
	// Get returns the blob stored under ns/key; nil and no error on a miss.
	Get(ns, key string) ([]byte, error)
	// Admit is asked before an entry is encoded for Put, with a lower
	// bound of its blob's size: false means Put would drop a blob that
	// large (the tier counts the write as dropped), and the Cache neither
	// encodes nor puts it.
	Admit(size int64) bool
	// Put queues blob for storage under ns/key (tagged) and returns at
	// once; after, if not nil, is called once the write is done (stored
	// true: the entry is in the shared store) or dropped, cancelled or
	// failed (false). It releases the flight's lease.
	Put(ns, key, tag string, blob []byte, after func(stored bool))
	// Flush waits until no Put is queued or in progress.
	Flush()
	// Delete, PurgeNamespace, PurgeAll and PurgeTag remove entries from the
	// shared store (cancelling queued Puts they cover) and tell the other
	// processes, whose handler (OnPurge) then drops their local copies.
	Delete(ns, key string) error
	// Discard removes ns/key from the shared store alone: no purge, no
	// message. It is for an entry this process cannot use (a corrupt
	// blob, an entry of another format), which the other processes have no
	// reason to drop: a purge would make every node drop its good copy and
	// check its writes in flight.
	Discard(ns, key string) error
	PurgeNamespace(ns string) error
	PurgeAll() error
	PurgeTag(tag string) error
	// OnPurge registers the handler of purges made by other processes
	// (or missed by this one: then a purge of everything). It may call fn
	// before it returns.
	OnPurge(fn func(SharedPurge))
	// PurgePending is called by the Cache when a purge it has just made
	// on its local tiers (its own, before it calls the purge method
	// above; or one it got through OnPurge's handler, before the handler
	// returns) failed there, or is not yet durable there. The tier must
	// not record that purge, nor any later one, as applied (redistier's
	// StateFile) until done is called: done(true) once the purge is
	// applied and durable, done(false) if it will not be (a failure:
	// then no later purge may be recorded either, until a restart, which
	// takes every purge after the recorded one as missed). done is called
	// at most once, from any goroutine; Close takes a hold that it never
	// ends: a closed Cache applies none of the purges its handler is given
	// (Close).
	PurgePending() (done func(applied bool))
	// Acquire tries to win the right to compute ns/key for the cluster:
	// release (non-nil) when won, nil and no error when another process
	// holds it, ErrNotShared while the last holder's result is known not
	// to be in the shared tier, another error when the cluster cannot
	// tell. release(unshared) gives it up: unshared true says the holder
	// has a result that will not be in the shared tier (too large,
	// private, dropped), so that the waiting processes compute their own
	// at once instead of taking the lease over one after another; false
	// after a stored result or a failure (a waiter that finds no entry
	// then takes over). Only the first call counts.
	Acquire(ctx context.Context, ns, key string) (release func(unshared bool), err error)
	// Wait blocks until the holder of ns/key's lease announces it, or the
	// lease is gone, or ctx ends.
	Wait(ctx context.Context, ns, key string) error
}

// ErrNotShared is returned by Shared.Acquire while the last holder of the
// key's lease has released it saying its result will not be in the shared
// tier: the flight computes on its own, without a lease.
var ErrNotShared = errors.New("cache: the lease holder's result is not in the shared tier")

// SharedPurge is a purge made by another process: All, or NS (with Key
// for one entry), or Tag.
type SharedPurge struct {
	All          bool
	NS, Key, Tag string
}

// SharedError reports a shared-tier problem (through Options.OnError); the
// request it happened on was served from the other tiers or computed.
type SharedError struct {
	Op  string // "get", "corrupt", "purge", "lease"
	NS  string
	Key string
	Err error
}

func (e *SharedError) Error() string {
	return fmt.Sprintf("cache: shared tier %s %s/%q: %v", e.Op, e.NS, e.Key, e.Err)
}

func (e *SharedError) Unwrap() error { return e.Err }

// sharedGet reads and verifies ns/key from the shared tier. A blob that
// does not decode, or decodes to another key, is discarded and counted.
func (c *Cache) sharedGet(ns, key string) (Entry, bool) {
	blob, err := c.shared.Get(ns, key)
	if err != nil {
		c.report(&SharedError{Op: "get", NS: ns, Key: key, Err: err})
		return Entry{}, false
	}
	if blob == nil {
		return Entry{}, false
	}
	rec, err := decodeEntry(blob)
	if err == nil && (rec.ns != ns || rec.key != key) {
		err = corruptf("entry of %s/%q stored under %s/%q", rec.ns, rec.key, ns, key)
	}
	if err != nil {
		c.sharedCorrupt.Add(1)
		c.report(&SharedError{Op: "corrupt", NS: ns, Key: key, Err: err})
		_ = c.shared.Discard(ns, key)
		return Entry{}, false
	}
	return rec.entry, true
}

// sharedPut encodes e and queues it for the shared tier; after (may be nil)
// runs when the write is done or dropped (Shared.Put). An entry whose value
// alone is larger than the tier admits is not encoded (a copy of it).
func (c *Cache) sharedPut(ns, key string, e Entry, after func(stored bool)) {
	if !c.shared.Admit(int64(len(e.Value))) {
		if after != nil {
			after(false)
		}
		return
	}
	blob, err := encodeEntry(ns, key, &e)
	if err != nil {
		c.report(err)
		if after != nil {
			after(false)
		}
		return
	}
	c.shared.Put(ns, key, e.Tag, blob, after)
}

// clusterFlight runs before a flight's fn when a shared tier is set: it
// wins the cluster lease on ns/key (release is then non-nil: the caller
// computes, stores and releases) or waits for the holder and returns its
// entry (ok). A holder that dies lets its lease expire and a waiter take
// over; one whose result is not shared says so (release(true)) and its
// waiters compute at once. release nil with ok false means the cluster
// cannot or need not coordinate: compute locally. err is ctx's when the
// callers gave up while waiting.
func (c *Cache) clusterFlight(ctx context.Context, epoch uint64, ns, key string) (e Entry, ok bool, release func(unshared bool), err error) {
	waited := false
	for {
		release, err := c.shared.Acquire(ctx, ns, key)
		if errors.Is(err, ErrNotShared) {
			return Entry{}, false, nil, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return Entry{}, false, nil, ctx.Err()
			}
			c.report(&SharedError{Op: "lease", NS: ns, Key: key, Err: err})
			return Entry{}, false, nil, nil
		}
		if release != nil {
			// The entry may have been stored (and its lease released)
			// between our lookup and the lease: look again before
			// computing it a second time.
			if e, ok := c.sharedGet(ns, key); ok {
				release(false)
				c.sharedHits.Add(1)
				c.promoteOpen(epoch, ns, key, e)
				return e, true, nil, nil
			}
			if waited {
				c.takeovers.Add(1)
			}
			return Entry{}, false, release, nil
		}
		waited = true
		c.leaseWaits.Add(1)
		if err := c.shared.Wait(ctx, ns, key); err != nil {
			if ctx.Err() != nil {
				return Entry{}, false, nil, ctx.Err()
			}
			return Entry{}, false, nil, nil
		}
		if e, ok := c.sharedGet(ns, key); ok {
			c.sharedHits.Add(1)
			c.promoteOpen(epoch, ns, key, e)
			return e, true, nil, nil
		}
		// Announced without an entry (the holder failed, or its result
		// was private or dropped: then Acquire says so), or the lease
		// expired: try to take over.
	}
}

// promoteOpen promotes a shared hit read by clusterFlight, which runs in
// the flight's goroutine without the close lock (a lease wait may last as
// long as the flight): the lock is taken here, around the write, so that
// Close waits for it and no tier is written while Close closes it. After
// Close nothing is promoted. promote itself does not take the lock: the
// lookups that call it hold it already, and a read lock taken twice by one
// goroutine can deadlock against a waiting Close.
func (c *Cache) promoteOpen(epoch uint64, ns, key string, e Entry) {
	if c.begin() {
		c.promote(epoch, ns, key, e, true)
		c.end()
	}
}

// remotePurge applies another process's purge to the local tiers only; a
// failure is told to the shared tier (Cache.purge) before it returns.
func (c *Cache) remotePurge(p SharedPurge) {
	var err error
	switch {
	case p.All:
		err = c.purge(c.localPurgeAll, nil)
	case p.Tag != "":
		err = c.purge(func() *removal { return c.localPurgeTag(p.Tag) }, nil)
	case p.Key != "":
		if checkKey(p.NS, p.Key) == nil {
			err = c.purge(func() *removal { return c.localDelete(p.NS, p.Key) }, nil)
		}
	case ValidNamespace(p.NS):
		err = c.purge(func() *removal { return c.localPurgeNS(p.NS) }, nil)
	}
	if err != nil && !errors.Is(err, ErrInvalid) {
		c.report(err)
	}
}
