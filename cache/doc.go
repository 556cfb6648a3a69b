// Package cache is a generic two-tier byte cache with request coalescing.
//
// A Cache combines an in-memory tier (ristretto, bounded in bytes) and a
// persistent disk tier (sharded, checksummed files with approximate-LRU
// eviction), either of which may be disabled. Entries live in namespaces
// ("result", "mask", ...) so different kinds of objects never collide, and
// may carry a Tag so that everything derived from one source can be purged
// at once. Do coalesces concurrent computations of the same missing key.
//
// The package knows nothing about HTTP or images. A nil *Cache is valid: it
// always misses, stores nothing and Do simply calls fn.
//
// # Contract
//
//   - All methods of *Cache are safe for concurrent use.
//   - Entries are immutable: Set takes ownership of Value and Meta, and what
//     Get/Do return is shared with other callers and must not be modified.
//   - Nothing on the request path fails because of the disk: Set returns
//     before the disk write (done by background writers, reported through
//     Options.OnError), and a corrupt or unreadable file is a miss.
//   - Memory: ristretto may decline a Set (admission policy, full buffers);
//     the tier never holds more than its MaxBytes of cost.
//   - Disk: files are written atomically (temp file, fsync, rename, fsync of
//     the directory), verified with CRC-32C on every read, and kept under
//     DiskMaxBytes (entry file bytes, not filesystem blocks) by LRU eviction.
//     The LRU index is rebuilt by a background scan at New; until that
//     finishes, entries from before the restart are served (and indexed when
//     read) but only indexed ones count towards the limit. Files are 0600
//     and directories 0700: cached transforms may be private.
//   - Purges take effect at once for Get and also cancel queued disk writes
//     and discard Do results computed across them.
//
// # Tiers
//
// The tiers are private types that the Cache calls directly; there is no
// tier interface, because the two differ in what they can promise:
//
//   - memTier (memory.go): a thin wrapper around ristretto. Synchronous, no
//     locks of its own, nothing survives a restart.
//   - diskTier (disk*.go): files under Options.DiskPath. Reads are
//     synchronous (one open and read per Get); writes are queued and done
//     by background writers, so a Set never waits for the disk. Its locks
//     and goroutines are described on the diskTier type.
//
// Lookups go memory, then disk; a disk hit is promoted to memory. Stores go
// to every enabled tier. Purges run on every tier under the Cache's purge
// lock, after bumping the purge epoch that makes Do drop results computed
// from data the purge removed.
//
// # Adding a tier
//
// A further tier (for example a Redis tier shared by several instances,
// planned for a later issue) plugs in at these places, all in this package:
//
//   - Options and New: its configuration, construction and a nil field on
//     Cache when disabled; Close closes it (after the disk tier) and Flush
//     waits for its queued writes.
//   - Cache.lookup: the read order. A shared tier would go after the disk
//     (or instead of it); a hit is promoted to the faster tiers with their
//     set/enqueue, like the disk-to-memory promotion. Tier needs a new value
//     and String/CacheStatus names for it (X-Cache).
//   - Cache.store: the write fan-out. A network tier must not block the
//     caller: queue the write, bound the queue in bytes and drop (and count)
//     when it is full, as diskTier.enqueue does.
//   - Delete, Purge, PurgeAll and PurgeTag: each calls the tier inside
//     Cache.purge. The tier must also cancel its own queued writes that the
//     purge covers (see diskTier.cancelPendingLocked), or a write queued
//     before a purge can land after it. PurgeTag needs a way to find entries
//     by tag (the disk tier keeps tag hashes in its index).
//   - Stats: its counters and gauges, read with atomics.
//   - Errors go to Options.OnError (define an error type like DiskError);
//     none may reach the request path, and a timeout or outage is a miss.
//
// A shared tier also changes what a purge means: other instances' memory
// and disk tiers keep their copies until they are purged too.
//
// # Sharing a directory
//
// Two Caches on one directory (e.g. the old and new instance during a
// configuration reload) stay correct (atomic renames, checksums), but each
// accounts only the entries it knows, so the size limit is approximate while
// both run. Prefer one Cache per directory per process.
package cache
