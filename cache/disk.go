package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jebosio/matte/internal/durable"
)

// diskTier is the on-disk tier: one file per entry under root (layout in
// disk_layout.go, file format in format.go), an in-memory LRU index of those
// files (disk_index.go), background writers (disk_write.go), purges
// (disk_purge.go) and a startup scan that builds the index (disk_scan.go).
//
// Locks, in the order they may be taken (never the other way round):
//
//   - closeMu guards closed and every send on queue, so that close can close
//     the queue without a concurrent enqueue sending on a closed channel.
//   - rootMu guards rootS, the identity of the root in use (lockRoot,
//     disk_root.go): held shared from a write's or a removal by path's
//     check of the root through its path operation (and the index update
//     under mu), exclusively to re-establish the root. It is taken after
//     diskRoots.mu and before mu, and never twice by one goroutine.
//   - mu guards the index (idx, lru, total, every node), pending and the
//     cancelled flag of every pendingWrite, the scan state (scanning,
//     tombstones, purgedNS, purgedTags, purgedAll, scanSync and the
//     fields after it), trashSeq, rootGen and deferred. Every change
//     of a final entry path (rename into place, remove, rename of a
//     namespace directory to the trash) happens under mu together with the
//     index update, so the index never points at a file that a concurrent
//     operation has replaced. Reading an entry file (get, scanFile) and
//     writing a temp file happen without it. OnError is never called under
//     mu: errors found under it are queued by reportLocked and reported by
//     unlock, which must be used instead of mu.Unlock. Methods named
//     ...Locked must be called with mu held.
//   - flushMu guards inflight (flushCv waits on it); it is never held
//     together with mu.
//
// Goroutines, all counted in wg and waited for by close: the writers (one
// per Options.DiskWriters; they receive from queue until close closes it, so
// queued writes are finished, not dropped), the scan (one; it stops early
// once stop is closed and closes ready when done) and one per purge that
// deletes a trash directory. The counters are atomics and need no lock.
//
// The index counts every entry file known to be on disk: a removed entry
// whose unlink failed keeps a dead node until a retry succeeds
// (removeLocked), so total never undercounts what the tier holds.
//
// Until the scan finishes (ready is closed) the size limit only covers
// entries written or read since start, and removals are remembered
// (tombstones, purged namespaces and tags, purgedAll) so that the scan does
// not index, and get does not serve, what a purge removed meanwhile.
//
// Every other method is called by the owning Cache, which guarantees that
// none runs after close (except stats).
type diskTier struct {
	root    string
	rootKey string // root's identity in diskRoots (disk_roots.go), fixed by register
	// purges is the purge state of the Caches on root (Cache.purges),
	// fixed by register: that of the other tiers open on root, or a new one.
	purges   *purgeState
	maxBytes int64
	onError  func(error) // nil: errors are dropped
	hooks    *testHooks  // never nil

	queue      chan *pendingWrite
	queueLimit int64
	queued     atomic.Int64 // bytes of the writes queued or being written

	flushMu  sync.Mutex
	flushCv  *sync.Cond
	inflight int // writes queued + being written, guarded by flushMu

	closeMu sync.RWMutex // guards closed and sends on queue
	closed  bool
	stop    chan struct{} // closed by close(): stops the scan
	wg      sync.WaitGroup

	ready chan struct{} // closed when the background scan is done

	rootMu sync.RWMutex
	rootS  rootState

	mu         sync.Mutex
	idx        map[idxKey]*node
	lru        node // sentinel: lru.next is the most recent, lru.prev the oldest
	total      int64
	pending    map[idxKey]*pendingWrite // the latest queued, not yet renamed write per key
	scanning   bool
	tombstones map[idxKey]struct{} // removed while scanning
	purgedNS   map[string]struct{} // purged while scanning
	purgedTags map[uint64]struct{} // purged while scanning
	purgedAll  bool                // PurgeAll while scanning
	trashSeq   uint64              // namespace directories renamed to the trash so far (syncDirs)
	rootGen    uint64              // times the index was emptied for a changed root (resetIndex)
	deferred   []error             // reported by unlock

	// The removals of purged files by the scan and by get while the scan
	// runs (disk_purge.go): the directories to fsync at its end, whether
	// one failed, and the callbacks of the purges waiting for them
	// (afterScan); settled once they are durable (scanOK: all went well).
	scanSync    map[string]struct{}
	scanFailed  bool
	scanWaiters []func(ok bool)
	settled     bool
	scanOK      bool

	// missed: there may be entry files on disk that the index lacks and
	// a purge by tag cannot find: the scan could not list a directory or
	// open a file (readDir, scanFile), or the index was emptied for a
	// changed marker while files of the old one may remain
	// (ensureRootLocked). The purges by tag made during or after that
	// settle as failed (afterScan), and once the scan is done touch
	// serves no file the index lacks. Never cleared.
	missed atomic.Bool

	evictions       atomic.Uint64
	writeErrors     atomic.Uint64
	writes          atomic.Uint64 // writes that did not fail (cancelled ones included)
	writesDropped   atomic.Uint64
	corruptDropped  atomic.Uint64
	tempFilesPurged atomic.Uint64
}

// testHooks lets in-package tests inject failures and pauses.
type testHooks struct {
	beforeWrite        func(ns, key string) error              // called by the writer before creating the temp file
	beforeScanInsert   func()                                  // called by the scan before it inserts what it found
	beforeFlight       func()                                  // called by Do between the outer miss and joining a flight
	beforePromote      func()                                  // called by a lookup between reading a lower tier's hit and promoting it
	beforeRename       func(tmp string)                        // called by the writer once the temp file is complete, before the rename
	beforeTrashRemoval func(trash string)                      // called by the purge goroutine before it deletes a trash directory
	readDir            func(dir string) ([]os.DirEntry, error) // replaces os.ReadDir in the scan (nil: os.ReadDir)
	scanOpen           func(path string) error                 // called by the scan once it opened an entry file: an error is the open's
	tempMaxAge         time.Duration                           // override of tempMaxAge (0: default)
	touchInterval      time.Duration                           // override of touchInterval (0: default)
	// fs performs the removals of entry files, the renames of namespace
	// directories to the trash and the directory fsyncs; tests set its
	// fields to make them fail or to record them.
	fs durable.FS
}

const (
	defaultTempMaxAge    = 10 * time.Minute // older temp files are leftovers of a crash
	defaultTouchInterval = 5 * time.Minute  // how stale a file's mtime may get before a hit refreshes it
)

func newDiskTier(root string, maxBytes int64, writers int, queueLimit int64, onError func(error), hooks *testHooks) (*diskTier, error) {
	report := func(err error) {
		if onError != nil {
			onError(err)
		}
	}
	if err := prepareRoot(root, report); err != nil {
		return nil, err
	}
	d := &diskTier{
		root:       root,
		maxBytes:   maxBytes,
		onError:    onError,
		hooks:      hooks,
		queue:      make(chan *pendingWrite, 4096),
		queueLimit: queueLimit,
		stop:       make(chan struct{}),
		ready:      make(chan struct{}),
		idx:        make(map[idxKey]*node),
		pending:    make(map[idxKey]*pendingWrite),
		scanning:   true,
		tombstones: make(map[idxKey]struct{}),
		purgedNS:   make(map[string]struct{}),
		purgedTags: make(map[uint64]struct{}),
		scanSync:   make(map[string]struct{}),
	}
	if d.hooks == nil {
		d.hooks = &testHooks{}
	}
	if err := d.initRoot(); err != nil {
		return nil, fmt.Errorf("cache: disk cache directory: %w", err)
	}
	d.flushCv = sync.NewCond(&d.flushMu)
	d.lru.next, d.lru.prev = &d.lru, &d.lru
	d.register()
	for range writers {
		d.wg.Add(1)
		go d.writer()
	}
	d.wg.Add(1)
	go d.scan()
	return d, nil
}

// reportLocked queues an error to be reported by unlock, so that OnError
// never runs under mu (it may call back into the cache, e.g. Stats).
func (d *diskTier) reportLocked(err error) { d.deferred = append(d.deferred, err) }

// unlock releases mu and reports the errors queued meanwhile.
func (d *diskTier) unlock() {
	errs := d.deferred
	d.deferred = nil
	d.mu.Unlock()
	for _, err := range errs {
		d.report(err)
	}
}

func (d *diskTier) report(err error) {
	if d.onError != nil && err != nil {
		d.onError(err)
	}
}

// maxReadSize bounds the allocation for reading one entry file; a bigger
// file cannot have been written by us (entries larger than maxBytes are
// never written) and is treated as corrupt.
func (d *diskTier) maxReadSize() int64 { return max(d.maxBytes, 64<<20) }

// get reads, verifies and returns an entry. Corrupt, truncated or foreign
// files are deleted and reported as a miss.
// The file is opened and read without mu: final paths only ever hold
// complete files (see write), and touch re-checks under mu that the file
// read is still the one at the path before indexing it.
func (d *diskTier) get(ns, key string) (Entry, bool) {
	k := idxKey{ns: ns, h: hashKey(key)}
	f, fi, p, ok := d.openEntry(k, ns, key)
	if !ok {
		return Entry{}, false
	}
	defer f.Close()
	return d.readVerified(f, fi, k, ns, key, p)
}

// openEntry opens the entry file of k and checks that its size is
// plausible. ok false is a miss, already reported (and a bad file dropped).
func (d *diskTier) openEntry(k idxKey, ns, key string) (f *os.File, fi os.FileInfo, p string, ok bool) {
	p = d.path(k)
	f, err := openRead(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			d.report(&DiskError{Op: "read", Namespace: ns, Key: key, Path: p, Err: err})
		}
		d.dropIfMissing(k)
		return nil, nil, p, false
	}
	fi, err = f.Stat()
	if err != nil {
		f.Close()
		d.report(&DiskError{Op: "read", Namespace: ns, Key: key, Path: p, Err: err})
		return nil, nil, p, false
	}
	if size := fi.Size(); size < fixedHdrLen || size > d.maxReadSize() {
		f.Close()
		d.dropCorrupt(k, ns, key, p, fi, corruptf("file size %d", size))
		return nil, nil, p, false
	}
	return f, fi, p, true
}

// readVerified reads the whole open entry file f (from its start), verifies
// both checksums and the names, and indexes it (touch). A bad file is
// dropped and reported as a miss. The caller closes f.
func (d *diskTier) readVerified(f *os.File, fi os.FileInfo, k idxKey, ns, key, p string) (Entry, bool) {
	buf := make([]byte, fi.Size())
	if _, err := f.ReadAt(buf, 0); err != nil {
		d.dropCorrupt(k, ns, key, p, fi, corruptf("reading: %v", err))
		return Entry{}, false
	}
	rec, err := decodeEntry(buf)
	if err == nil && (rec.ns != ns || rec.key != key) {
		err = corruptf("header names %s/%q, want %s/%q", rec.ns, rec.key, ns, key)
	}
	if err != nil {
		d.dropCorrupt(k, ns, key, p, fi, err)
		return Entry{}, false
	}
	if !d.touch(k, p, fi, &rec.entry) {
		return Entry{}, false
	}
	return rec.entry, true
}

// touch marks a successfully read entry as recently used, indexing it if the
// scan has not reached it yet. It returns false if the entry must not be
// served because a purge during the scan covered it.
func (d *diskTier) touch(k idxKey, p string, fi os.FileInfo, e *Entry) bool {
	now := time.Now().UnixNano()
	refresh := false
	d.mu.Lock()
	n := d.idx[k]
	if n == nil {
		if d.scanning {
			_, dead := d.tombstones[k]
			_, nsGone := d.purgedNS[k.ns]
			_, tagGone := d.purgedTags[tagHash(e.Tag)]
			if dead || nsGone || (tagGone && e.Tag != "") || d.purgedAll {
				// An old file that a purge during the scan covered.
				if cur, err := os.Lstat(p); err == nil && os.SameFile(cur, fi) {
					d.removePurgedLocked(k)
				}
				d.unlock()
				return false
			}
		}
		// Not indexed yet (scan still running, or another instance wrote
		// it). Index it only if it is still the file at p. After a scan
		// that missed files, one may be a file a purge by tag missed:
		// a miss, left for a write to replace.
		if !d.scanning && d.missed.Load() {
			d.unlock()
			return false
		}
		if cur, err := os.Lstat(p); err == nil && os.SameFile(cur, fi) {
			n = &node{k: k, size: fi.Size(), atime: now, persisted: fi.ModTime().UnixNano(), tag: tagHash(e.Tag)}
			d.idx[k] = n
			d.pushFront(n)
			d.total += n.size
			d.evictLocked()
		}
		d.unlock()
		return true
	}
	if n.dead { // removed, but its unlink failed (removeLocked)
		d.unlock()
		return false
	}
	n.atime = now
	d.moveToFront(n)
	if now-n.persisted > int64(d.touchInterval()) {
		n.persisted = now
		refresh = true
	}
	d.unlock()
	if refresh {
		// Persist recency for the index scan after a restart. Best effort.
		t := time.Unix(0, now)
		os.Chtimes(p, t, t)
	}
	return true
}

func (d *diskTier) touchInterval() time.Duration {
	if d.hooks.touchInterval > 0 {
		return d.hooks.touchInterval
	}
	return defaultTouchInterval
}

func (d *diskTier) tempMaxAge() time.Duration {
	if d.hooks.tempMaxAge > 0 {
		return d.hooks.tempMaxAge
	}
	return defaultTempMaxAge
}

// dropIfMissing removes a stale index node whose file is gone.
func (d *diskTier) dropIfMissing(k idxKey) {
	d.mu.Lock()
	defer d.unlock()
	if n := d.idx[k]; n != nil {
		if _, err := os.Lstat(d.path(k)); errors.Is(err, fs.ErrNotExist) {
			d.dropLocked(n)
		}
	}
}

// dropCorrupt deletes a bad file, unless it has been replaced meanwhile.
func (d *diskTier) dropCorrupt(k idxKey, ns, key, p string, fi os.FileInfo, cause error) {
	d.corruptDropped.Add(1)
	d.report(&DiskError{Op: "corrupt", Namespace: ns, Key: key, Path: p, Err: cause})
	d.mu.Lock()
	defer d.unlock()
	cur, err := os.Lstat(p)
	if err != nil || !os.SameFile(cur, fi) {
		return
	}
	if err := d.removeLocked(k, nil); err != nil {
		d.reportLocked(&DiskError{Op: "delete", Namespace: ns, Key: key, Path: p, Err: err})
	}
}

// close stops the scan, finishes queued writes and waits for background
// work, then hands the index over to the other tiers open on the directory
// (deregister).
func (d *diskTier) close() {
	d.closeMu.Lock()
	if d.closed {
		d.closeMu.Unlock()
		return
	}
	d.closed = true
	close(d.stop)
	close(d.queue)
	d.closeMu.Unlock()
	d.wg.Wait()
	d.deregister()
}

func (d *diskTier) stats(s *Stats) {
	d.mu.Lock()
	s.DiskEntries = int64(len(d.idx))
	s.DiskBytes = d.total
	s.DiskIndexReady = !d.scanning
	d.unlock()
	s.DiskMaxBytes = d.maxBytes
	s.DiskEvictions = d.evictions.Load()
	s.DiskWriteErrors = d.writeErrors.Load()
	s.DiskWrites = d.writes.Load()
	s.DiskWritesDropped = d.writesDropped.Load()
	s.DiskCorruptDropped = d.corruptDropped.Load()
	s.DiskTempFilesRemoved = d.tempFilesPurged.Load()
}
