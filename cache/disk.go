package cache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DiskError describes a failure of the disk tier. It is what Options.OnError
// receives for disk problems; the request path never sees these errors.
type DiskError struct {
	Op        string // "write", "read", "corrupt", "delete", "purge", "scan"
	Namespace string // empty when not about one entry
	Key       string
	Path      string
	Err       error
}

func (e *DiskError) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("cache disk %s %s/%s (%s): %v", e.Op, e.Namespace, e.Key, e.Path, e.Err)
	}
	return fmt.Sprintf("cache disk %s %s: %v", e.Op, e.Path, e.Err)
}

func (e *DiskError) Unwrap() error { return e.Err }

// Layout of the cache directory:
//
//	<root>/.matte-cache                  marker; New refuses a non-empty dir without it
//	<root>/<namespace>/ab/cd/<32 hex>    entries; the name is the first 16 bytes of
//	                                     SHA-256(key), ab/cd its first two bytes
//	<root>/<namespace>/ab/cd/.tmp-<hex>  in-progress writes (renamed into place)
//	<root>/.trash-<hex>/                 purged namespaces being deleted
const (
	markerName   = ".matte-cache"
	tmpPrefix    = ".tmp-"
	trashPrefix  = ".trash-"
	entryNameLen = 32
)

// idxKey identifies an entry in the index.
type idxKey struct {
	ns string
	h  [16]byte
}

// node is an index entry; nodes form an intrusive LRU list (front = most
// recently used). All fields are guarded by diskTier.mu.
type node struct {
	k          idxKey
	size       int64
	atime      int64  // last access, Unix nanoseconds (in memory only)
	persisted  int64  // the file's mtime as last written by us, Unix nanoseconds
	tag        uint64 // tagHash of the entry's Tag (0: untagged)
	prev, next *node
}

// pendingWrite is a queued asynchronous write. cancelled is guarded by
// diskTier.mu; a Delete/Purge of the key cancels it so that a write queued
// before a purge can never resurrect purged data.
type pendingWrite struct {
	k         idxKey
	ns, key   string
	entry     Entry
	size      int64
	cancelled bool
}

// diskTier is the on-disk tier.
//
// Concurrency: reads run without the lock; every change of a final entry
// path (rename into place, remove) happens under mu together with the index
// update, so the index never points at a file that a concurrent operation has
// replaced. The index is built by a background scan; until it finishes
// (ready is closed) the size limit only covers entries written or read since
// start, and removals are remembered (tombstones, purged namespaces and
// tags) so the scan does not re-add or serve them.
type diskTier struct {
	root     string
	maxBytes int64
	onError  func(error)
	hooks    *testHooks

	queue      chan *pendingWrite
	queueLimit int64
	queued     atomic.Int64 // bytes waiting in queue

	flushMu  sync.Mutex
	flushCv  *sync.Cond
	inflight int // queued + being written, guarded by flushMu

	closeMu sync.RWMutex // guards closed and sends on queue
	closed  bool
	stop    chan struct{} // closed by close(): stops the scan
	wg      sync.WaitGroup

	ready chan struct{} // closed when the background scan is done

	mu         sync.Mutex
	idx        map[idxKey]*node
	lru        node // sentinel: lru.next is the most recent, lru.prev the oldest
	total      int64
	pending    map[idxKey]*pendingWrite
	scanning   bool
	tombstones map[idxKey]struct{} // removed while scanning
	purgedNS   map[string]struct{} // purged while scanning
	purgedTags map[uint64]struct{} // purged while scanning
	purgedAll  bool                // PurgeAll while scanning
	deferred   []error             // reported by unlock

	hits, misses    atomic.Uint64
	evictions       atomic.Uint64
	writeErrors     atomic.Uint64
	writes          atomic.Uint64 // entries written and renamed into place
	writesDropped   atomic.Uint64
	corruptDropped  atomic.Uint64
	tempFilesPurged atomic.Uint64
}

// testHooks lets in-package tests inject failures and pauses.
type testHooks struct {
	beforeWrite      func(ns, key string) error // called by the writer before creating the temp file
	beforeScanInsert func()                     // called by the scan before it inserts what it found
	beforeFlight     func()                     // called by Do between the outer miss and joining a flight
	tempMaxAge       time.Duration              // override of tempMaxAge (0: default)
	touchInterval    time.Duration              // override of touchInterval (0: default)
}

const (
	defaultTempMaxAge    = 10 * time.Minute // older temp files are leftovers of a crash
	defaultTouchInterval = 5 * time.Minute  // how stale a file's mtime may get before a hit refreshes it
	scanBatch            = 4096
)

var tagSeed = maphash.MakeSeed()

func tagHash(tag string) uint64 {
	if tag == "" {
		return 0
	}
	h := maphash.String(tagSeed, tag)
	if h == 0 {
		h = 1
	}
	return h
}

func hashKey(key string) [16]byte {
	s := sha256.Sum256([]byte(key))
	var h [16]byte
	copy(h[:], s[:16])
	return h
}

func newDiskTier(root string, maxBytes int64, writers int, queueLimit int64, onError func(error), hooks *testHooks) (*diskTier, error) {
	if err := prepareRoot(root); err != nil {
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
	}
	if d.hooks == nil {
		d.hooks = &testHooks{}
	}
	d.flushCv = sync.NewCond(&d.flushMu)
	d.lru.next, d.lru.prev = &d.lru, &d.lru
	for range writers {
		d.wg.Add(1)
		go d.writer()
	}
	d.wg.Add(1)
	go d.scan()
	return d, nil
}

// prepareRoot creates root and its marker file. A non-empty directory
// without the marker is refused (except for a lone lost+found), so a
// misconfigured path cannot make purges or eviction touch unrelated files.
func prepareRoot(root string) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("cache: creating disk cache directory: %w", err)
	}
	marker := filepath.Join(root, markerName)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("cache: reading disk cache directory: %w", err)
	}
	for _, e := range ents {
		if e.Name() != "lost+found" {
			return fmt.Errorf("cache: refusing to use non-empty directory %s as disk cache (no %s marker)", root, markerName)
		}
	}
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("cache: creating disk cache marker: %w", err)
	}
	_, err = f.WriteString("Matte image cache. Everything in this directory may be deleted at any time.\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cache: creating disk cache marker: %w", err)
	}
	return nil
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

func (d *diskTier) shardDir(k idxKey) string {
	return filepath.Join(d.root, k.ns, hex.EncodeToString(k.h[0:1]), hex.EncodeToString(k.h[1:2]))
}

func (d *diskTier) path(k idxKey) string {
	return filepath.Join(d.shardDir(k), hex.EncodeToString(k.h[:]))
}

// ---- LRU list (callers hold mu) ----

func (d *diskTier) pushFront(n *node) {
	n.prev, n.next = &d.lru, d.lru.next
	n.prev.next, n.next.prev = n, n
}

func (d *diskTier) pushBack(n *node) {
	n.next, n.prev = &d.lru, d.lru.prev
	n.prev.next, n.next.prev = n, n
}

func (d *diskTier) unlink(n *node) {
	n.prev.next, n.next.prev = n.next, n.prev
	n.prev, n.next = nil, nil
}

func (d *diskTier) moveToFront(n *node) {
	if d.lru.next != n {
		d.unlink(n)
		d.pushFront(n)
	}
}

// dropLocked removes n from the index (not the file).
func (d *diskTier) dropLocked(n *node) {
	d.unlink(n)
	delete(d.idx, n.k)
	d.total -= n.size
	if d.scanning {
		d.tombstones[n.k] = struct{}{}
	}
}

// removeLocked removes the entry's file and index node, if any.
func (d *diskTier) removeLocked(k idxKey) error {
	if n := d.idx[k]; n != nil {
		d.dropLocked(n)
	} else if d.scanning {
		d.tombstones[k] = struct{}{}
	}
	if err := os.Remove(d.path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// evictLocked removes least recently used entries until the total is within
// the limit.
func (d *diskTier) evictLocked() {
	for d.total > d.maxBytes && d.lru.prev != &d.lru {
		n := d.lru.prev
		d.dropLocked(n)
		d.evictions.Add(1)
		if err := os.Remove(d.path(n.k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.reportLocked(&DiskError{Op: "delete", Namespace: n.k.ns, Path: d.path(n.k), Err: err})
		}
	}
}

// ---- reads ----

// maxReadSize bounds the allocation for reading one entry file; a bigger
// file cannot have been written by us (entries larger than maxBytes are
// never written) and is treated as corrupt.
func (d *diskTier) maxReadSize() int64 { return max(d.maxBytes, 64<<20) }

// get reads, verifies and returns an entry. Corrupt, truncated or foreign
// files are deleted and reported as a miss.
func (d *diskTier) get(ns, key string) (Entry, bool) {
	k := idxKey{ns: ns, h: hashKey(key)}
	p := d.path(k)
	f, err := os.Open(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			d.report(&DiskError{Op: "read", Namespace: ns, Key: key, Path: p, Err: err})
		}
		d.dropIfMissing(k)
		return Entry{}, false
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		d.report(&DiskError{Op: "read", Namespace: ns, Key: key, Path: p, Err: err})
		return Entry{}, false
	}
	size := fi.Size()
	if size < fixedHdrLen || size > d.maxReadSize() {
		f.Close()
		d.dropCorrupt(k, ns, key, p, fi, corruptf("file size %d", size))
		return Entry{}, false
	}
	buf := make([]byte, size)
	_, err = io.ReadFull(f, buf)
	f.Close()
	if err != nil {
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
					os.Remove(p)
				}
				d.unlock()
				return false
			}
		}
		// Not indexed yet (scan still running, or another instance wrote
		// it). Index it only if it is still the file at p.
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
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.reportLocked(&DiskError{Op: "delete", Namespace: ns, Key: key, Path: p, Err: err})
	}
	if n := d.idx[k]; n != nil {
		d.dropLocked(n)
	}
}

// ---- writes ----

// enqueue queues an asynchronous write. It never blocks: when the queue is
// full (by count or bytes) the write is dropped and counted.
func (d *diskTier) enqueue(ns, key string, e Entry) {
	k := idxKey{ns: ns, h: hashKey(key)}
	size := int64(fixedHdrLen+len(ns)+len(key)+len(e.ContentType)+len(e.Tag)+metaEncodedLen(e.Meta)) + int64(len(e.Value))
	if size > d.maxBytes {
		d.writesDropped.Add(1)
		return
	}
	d.closeMu.RLock()
	defer d.closeMu.RUnlock()
	if d.closed {
		return
	}
	if d.queued.Add(size) > d.queueLimit {
		d.queued.Add(-size)
		d.writesDropped.Add(1)
		return
	}
	p := &pendingWrite{k: k, ns: ns, key: key, entry: e, size: size}
	d.mu.Lock()
	if old := d.pending[k]; old != nil {
		old.cancelled = true // superseded
	}
	d.pending[k] = p
	d.unlock()
	d.flushMu.Lock()
	d.inflight++
	d.flushMu.Unlock()
	select {
	case d.queue <- p:
	default:
		d.mu.Lock()
		if d.pending[k] == p {
			delete(d.pending, k)
		}
		d.unlock()
		d.finished(p)
		d.writesDropped.Add(1)
	}
}

func (d *diskTier) finished(p *pendingWrite) {
	d.queued.Add(-p.size)
	d.flushMu.Lock()
	d.inflight--
	if d.inflight == 0 {
		d.flushCv.Broadcast()
	}
	d.flushMu.Unlock()
}

// flush waits until every write queued before the call has been completed.
func (d *diskTier) flush() {
	d.flushMu.Lock()
	for d.inflight > 0 {
		d.flushCv.Wait()
	}
	d.flushMu.Unlock()
}

func (d *diskTier) writer() {
	defer d.wg.Done()
	for p := range d.queue {
		if err := d.write(p); err != nil {
			d.writeErrors.Add(1)
			d.report(&DiskError{Op: "write", Namespace: p.ns, Key: p.key, Path: d.path(p.k), Err: err})
		} else {
			d.writes.Add(1)
		}
		d.finished(p)
	}
}

// write performs one queued write: temp file in the shard directory, write,
// fsync, rename into place under mu (unless cancelled), fsync the directory.
// Errors of cancelled writes are not reported.
func (d *diskTier) write(p *pendingWrite) (err error) {
	d.mu.Lock()
	cancelled := p.cancelled
	d.unlock()
	if cancelled {
		return nil
	}
	tmp := ""
	defer func() {
		if err == nil {
			return
		}
		if tmp != "" {
			os.Remove(tmp)
		}
		d.mu.Lock()
		if d.pending[p.k] == p {
			delete(d.pending, p.k)
		}
		if p.cancelled {
			err = nil
		}
		d.unlock()
	}()
	hdr, err := encodeHeader(p.ns, p.key, &p.entry)
	if err != nil {
		return err
	}
	if h := d.hooks.beforeWrite; h != nil {
		if err := h(p.ns, p.key); err != nil {
			return err
		}
	}
	dir := d.shardDir(p.k)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp = filepath.Join(dir, tmpPrefix+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		tmp = ""
		return err
	}
	_, err = f.Write(hdr)
	if err == nil {
		_, err = f.Write(p.entry.Value)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}

	final := d.path(p.k)
	d.mu.Lock()
	if p.cancelled {
		d.unlock()
		os.Remove(tmp)
		return nil
	}
	if d.pending[p.k] == p {
		delete(d.pending, p.k)
	}
	if err := os.Rename(tmp, final); err != nil {
		d.unlock()
		return err
	}
	tmp = ""
	now := time.Now().UnixNano()
	n := d.idx[p.k]
	if n != nil {
		d.total -= n.size
		d.moveToFront(n)
	} else {
		n = &node{k: p.k}
		d.idx[p.k] = n
		d.pushFront(n)
	}
	n.size, n.atime, n.persisted, n.tag = p.size, now, now, tagHash(p.entry.Tag)
	d.total += n.size
	d.evictLocked()
	d.unlock()

	// Make the rename durable. A failure here is reported, but the entry
	// stays: it is readable now and at worst lost after a crash.
	if df, err := os.Open(dir); err == nil {
		err = df.Sync()
		df.Close()
		if err != nil {
			d.report(&DiskError{Op: "write", Namespace: p.ns, Key: p.key, Path: dir, Err: fmt.Errorf("fsync dir: %w", err)})
		}
	}
	return nil
}

// ---- deletes and purges ----

func (d *diskTier) cancelPendingLocked(match func(*pendingWrite) bool) {
	for k, p := range d.pending {
		if match(p) {
			p.cancelled = true
			delete(d.pending, k)
		}
	}
}

func (d *diskTier) del(ns, key string) error {
	k := idxKey{ns: ns, h: hashKey(key)}
	d.mu.Lock()
	defer d.unlock()
	if p := d.pending[k]; p != nil {
		p.cancelled = true
		delete(d.pending, k)
	}
	if err := d.removeLocked(k); err != nil {
		err = &DiskError{Op: "delete", Namespace: ns, Key: key, Path: d.path(k), Err: err}
		d.reportLocked(err)
		return err
	}
	return nil
}

// purgeNS removes a namespace: its directory is renamed into the trash
// (O(1) on disk) and deleted in the background; the index pass is O(entries).
func (d *diskTier) purgeNS(ns string) error {
	d.mu.Lock()
	d.cancelPendingLocked(func(p *pendingWrite) bool { return p.ns == ns })
	for k, n := range d.idx {
		if k.ns == ns {
			d.dropLocked(n)
		}
	}
	if d.scanning {
		d.purgedNS[ns] = struct{}{}
	}
	trash, err := d.trashLocked(ns)
	d.unlock()
	if err != nil {
		err = &DiskError{Op: "purge", Path: filepath.Join(d.root, ns), Err: err}
		d.report(err)
		return err
	}
	d.removeTrash(trash)
	return nil
}

// purgeAll removes every namespace directory.
func (d *diskTier) purgeAll() error {
	d.mu.Lock()
	d.cancelPendingLocked(func(*pendingWrite) bool { return true })
	for _, n := range d.idx {
		d.dropLocked(n)
	}
	if d.scanning {
		d.purgedAll = true
	}
	var trashes []string
	var errs []error
	ents, err := os.ReadDir(d.root)
	if err != nil {
		errs = append(errs, err)
	}
	for _, e := range ents {
		if !e.IsDir() || !ValidNamespace(e.Name()) {
			continue
		}
		t, err := d.trashLocked(e.Name())
		if err != nil {
			errs = append(errs, err)
		}
		if t != "" {
			trashes = append(trashes, t)
		}
	}
	d.unlock()
	for _, t := range trashes {
		d.removeTrash(t)
	}
	if err := errors.Join(errs...); err != nil {
		err = &DiskError{Op: "purge", Path: d.root, Err: err}
		d.report(err)
		return err
	}
	return nil
}

// trashLocked renames <root>/<ns> to a fresh trash directory. It returns ""
// if the namespace directory does not exist.
func (d *diskTier) trashLocked(ns string) (string, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	trash := filepath.Join(d.root, trashPrefix+hex.EncodeToString(rnd[:]))
	if err := os.Rename(filepath.Join(d.root, ns), trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	return trash, nil
}

func (d *diskTier) removeTrash(trash string) {
	if trash == "" {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := os.RemoveAll(trash); err != nil {
			d.report(&DiskError{Op: "purge", Path: trash, Err: err})
		}
	}()
}

// purgeTag removes every indexed entry with the tag: O(indexed entries) in
// memory plus one unlink per match. Entries the background scan has not
// indexed yet are covered too: the tag is remembered until the scan ends,
// and such files are deleted rather than indexed or served.
func (d *diskTier) purgeTag(tag string) error {
	th := tagHash(tag)
	d.mu.Lock()
	defer d.unlock()
	d.cancelPendingLocked(func(p *pendingWrite) bool { return p.entry.Tag == tag })
	if d.scanning {
		d.purgedTags[th] = struct{}{}
	}
	var errs []error
	for k, n := range d.idx {
		if n.tag == th {
			if err := d.removeLocked(k); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		err = &DiskError{Op: "purge", Path: d.root, Err: err}
		d.reportLocked(err)
		return err
	}
	return nil
}

// ---- background index scan ----

type scanned struct {
	k     idxKey
	size  int64
	mtime int64
	tag   uint64
}

func (d *diskTier) stopped() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// scan walks the directory once in the background: it removes leftover
// trash directories and stale temp files, verifies every entry header
// (deleting corrupt ones), and indexes the rest, oldest mtime at the LRU
// tail. Cost: one ReadDir per shard directory and one open+small read per
// entry file.
func (d *diskTier) scan() {
	defer d.wg.Done()
	defer close(d.ready)
	var found []scanned
	cutoff := time.Now().Add(-d.tempMaxAge())
	top, err := os.ReadDir(d.root)
	if err != nil {
		d.report(&DiskError{Op: "scan", Path: d.root, Err: err})
	}
	for _, t := range top {
		name := t.Name()
		if !t.IsDir() {
			continue
		}
		if strings.HasPrefix(name, trashPrefix) {
			if err := os.RemoveAll(filepath.Join(d.root, name)); err != nil {
				d.report(&DiskError{Op: "scan", Path: filepath.Join(d.root, name), Err: err})
			}
			continue
		}
		if !ValidNamespace(name) {
			continue
		}
		found = d.scanNS(name, cutoff, found)
		if d.stopped() {
			break
		}
	}

	if h := d.hooks.beforeScanInsert; h != nil {
		h()
	}
	// Newest first, appended at the LRU tail: the tail stays the oldest, and
	// everything used since start (at the front) stays newer.
	slices.SortFunc(found, func(a, b scanned) int {
		switch {
		case a.mtime > b.mtime:
			return -1
		case a.mtime < b.mtime:
			return 1
		}
		return 0
	})
	for i := 0; i < len(found); i += scanBatch {
		d.mu.Lock()
		for _, s := range found[i:min(i+scanBatch, len(found))] {
			if d.idx[s.k] != nil || d.purgedAll {
				continue
			}
			if _, ok := d.tombstones[s.k]; ok {
				continue
			}
			if _, ok := d.purgedNS[s.k.ns]; ok {
				continue
			}
			if _, ok := d.purgedTags[s.tag]; ok && s.tag != 0 {
				// Purged while we were scanning: delete instead of indexing.
				os.Remove(d.path(s.k))
				continue
			}
			n := &node{k: s.k, size: s.size, atime: s.mtime, persisted: s.mtime, tag: s.tag}
			d.idx[s.k] = n
			d.pushBack(n)
			d.total += n.size
		}
		d.unlock()
	}
	d.mu.Lock()
	d.scanning = false
	d.tombstones, d.purgedNS, d.purgedTags, d.purgedAll = nil, nil, nil, false
	d.evictLocked()
	d.unlock()
}

func (d *diskTier) scanNS(ns string, cutoff time.Time, found []scanned) []scanned {
	nsDir := filepath.Join(d.root, ns)
	l1, _ := os.ReadDir(nsDir)
	for _, a := range l1 {
		if !a.IsDir() || !isHex(a.Name(), 2) {
			continue
		}
		l2, _ := os.ReadDir(filepath.Join(nsDir, a.Name()))
		for _, b := range l2 {
			if !b.IsDir() || !isHex(b.Name(), 2) {
				continue
			}
			if d.stopped() {
				return found
			}
			dir := filepath.Join(nsDir, a.Name(), b.Name())
			files, _ := os.ReadDir(dir)
			for _, f := range files {
				name := f.Name()
				p := filepath.Join(dir, name)
				if strings.HasPrefix(name, tmpPrefix) {
					if info, err := f.Info(); err == nil && info.ModTime().Before(cutoff) {
						if os.Remove(p) == nil {
							d.tempFilesPurged.Add(1)
						}
					}
					continue
				}
				if !f.Type().IsRegular() || !isHex(name, entryNameLen) || name[0:2] != a.Name() || name[2:4] != b.Name() {
					continue // not ours
				}
				var k idxKey
				k.ns = ns
				hex.Decode(k.h[:], []byte(name))
				if s, ok := d.scanFile(k, p); ok {
					found = append(found, s)
				}
			}
		}
	}
	return found
}

// scanFile verifies one entry's header.
func (d *diskTier) scanFile(k idxKey, p string) (scanned, bool) {
	f, err := os.Open(p)
	if err != nil {
		return scanned{}, false // removed meanwhile
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return scanned{}, false
	}
	rec, err := readHeader(f, fi.Size())
	if err == nil && (rec.ns != k.ns || hashKey(rec.key) != k.h) {
		err = corruptf("header names %s/%q, which does not belong at this path", rec.ns, rec.key)
	}
	if err == nil && fi.Size() > d.maxReadSize() {
		err = corruptf("file size %d", fi.Size())
	}
	if err != nil {
		d.dropCorrupt(k, k.ns, rec.key, p, fi, err)
		return scanned{}, false
	}
	return scanned{k: k, size: fi.Size(), mtime: fi.ModTime().UnixNano(), tag: tagHash(rec.entry.Tag)}, true
}

// ---- lifecycle and stats ----

// close stops the scan, finishes queued writes and waits for background work.
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
