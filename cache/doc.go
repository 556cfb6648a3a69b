// Package cache is a generic two-tier byte cache with request coalescing.
//
// A Cache combines an in-memory tier (ristretto, bounded in bytes), a
// persistent disk tier (sharded, checksummed files with approximate-LRU
// eviction) and optionally a tier shared with other processes (see The
// shared tier), any of which may be disabled. Entries live in namespaces
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
//     and discard Do results computed across them, and SetSince entries
//     derived across them (Generation). On disk, Delete and the purges
//     fsync the directories they unlinked or renamed in before they
//     return, so a crash does not bring back what they removed; a disk
//     entry whose unlink fails stays counted and is not served until a
//     retry removes it.
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
// Lookups go memory, then disk; a disk hit is promoted to memory. GetBody
// hands a disk hit that memory would not keep to the caller as an open file
// (FileBody) once this process has verified that file (disk_stream.go). Stores go
// to every enabled tier. Purges run on the local tiers under the Cache's
// purge lock, after bumping the purge epoch that makes Do drop results
// computed from data the purge removed and stops a lookup that read a lower
// tier before the purge from promoting what it read; the disk's directory
// fsyncs and then the shared tier's part of a purge run after the lock is
// released (before the purge returns), and until the shared part is done
// no result is stored and no hit promoted (Cache.purge).
//
// # The shared tier
//
// Options.Shared plugs in a tier shared by several processes (the Shared
// interface, shared.go; cache/redistier implements it on Redis, so this
// package imports no network client). The Cache keeps the entry format:
// it encodes entries as the disk tier does and verifies every blob it reads
// back (corrupt, truncated or foreign blobs are deleted and counted), so a
// Shared only moves bytes. Its places:
//
//   - Cache.lookup: memory, disk, then shared; a shared hit is promoted to
//     memory and disk (TierShared, X-Cache HIT-SHARED).
//   - Cache.store: Shared.Put queues the write and returns at once.
//   - Delete, Purge, PurgeAll and PurgeTag purge it too, and it tells the
//     other processes, whose OnPurge handler (remotePurge) purges their
//     local tiers only. A purge that fails on the local tiers, or is not
//     durable yet (a PurgeTag during the startup scan), is told to it
//     (Shared.PurgePending), so that it records no purge as applied that a
//     crash could undo.
//   - Do: inside a flight, after the local re-check, clusterFlight wins the
//     cluster lease on the key (then fn runs, the result is stored and the
//     lease released once the shared write is done) or waits for its
//     holder's announcement and reads the shared entry; a lease that
//     expires (its holder died) is taken over by a waiter, and a holder
//     whose result will not be in the shared tier (too large, not to be
//     stored, dropped) says so, and its waiters compute their own at once.
//     Waiting ends with the flight's context, i.e. when every caller has
//     given up.
//   - Errors never reach the request path: a failing Shared is a miss, and
//     a flight that cannot coordinate computes locally.
//
// A further tier would plug in at the same places.
//
// # Sharing a directory
//
// Two Caches on one directory (e.g. the old and new instance during a
// configuration reload) stay correct (atomic renames, checksums), but each
// accounts only the entries it knows, so the size limit is approximate while
// both run. Prefer one Cache per directory per process.
package cache
