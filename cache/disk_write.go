package cache

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/jebosio/matte/internal/durable"
)

// pendingWrite is a queued asynchronous write. Its fields are set by
// enqueue and never change, except cancelled, which is guarded by
// diskTier.mu: a later Set of the key (superseding it), a Delete or a purge
// sets it, so that a write queued before a purge can never resurrect purged
// data, and install checks it under mu right before the rename.
type pendingWrite struct {
	k         idxKey
	ns, key   string
	entry     Entry
	size      int64
	cancelled bool
}

// enqueue queues an asynchronous write. It never blocks on the disk: when
// the queue is full (by count or bytes), or the entry is larger than the
// tier, the write is dropped and counted, and the key's older value (queued
// or on disk) is deleted with it (dropSuperseded).
func (d *diskTier) enqueue(ns, key string, e Entry) {
	k := idxKey{ns: ns, h: hashKey(key)}
	size := int64(fixedHdrLen+len(ns)+len(key)+len(e.ContentType)+len(e.Tag)+metaEncodedLen(e.Meta)) + int64(len(e.Value))
	if size > d.maxBytes {
		d.dropSuperseded(ns, key)
		return
	}
	d.closeMu.RLock()
	defer d.closeMu.RUnlock()
	if d.closed {
		return
	}
	if d.queued.Add(size) > d.queueLimit {
		d.queued.Add(-size)
		d.dropSuperseded(ns, key)
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
		d.dropSuperseded(ns, key)
	}
}

// dropSuperseded counts a dropped write of key and deletes the value it
// was to replace, pending or on disk: the memory tier holds the new value,
// and the disk must not answer the old one once memory evicts it, nor after
// a restart. The delete, an unlink under d.mu, is made only when there is
// something to delete (a pending write, an indexed entry, or a scan still
// finding entries), so a backlogged disk is not also asked to unlink files
// that are not there.
func (d *diskTier) dropSuperseded(ns, key string) {
	d.writesDropped.Add(1)
	k := idxKey{ns: ns, h: hashKey(key)}
	d.mu.Lock()
	_, indexed := d.idx[k]
	older := indexed || d.pending[k] != nil || d.scanning
	d.unlock()
	if older {
		_ = d.del(ns, key, false).finish() // reported by finish; not fsynced (disk_purge.go)
	}
}

// finished accounts for the end of one enqueued write; it is called exactly
// once per write that enqueue counted, by the writer or by enqueue itself
// when the queue channel is full.
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

// writer is the body of each writer goroutine: it performs queued writes
// until close closes the queue.
func (d *diskTier) writer() {
	defer d.wg.Done()
	for p := range d.queue {
		if err := d.write(p); err != nil {
			d.writeErrors.Add(1)
			if !errors.Is(err, errRootRefused) { // that one is reported once, by ensureRoot
				d.report(&DiskError{Op: "write", Namespace: p.ns, Key: p.key, Path: d.path(p.k), Err: err})
			}
		} else {
			d.writes.Add(1)
		}
		d.finished(p)
	}
}

// write performs one queued write. Atomicity contract: the entry's final
// path only ever holds complete, fsynced files, so a reader (Get, the scan,
// another instance) never sees a half-written entry and a crash leaves
// either the old file, the new one or none:
//
//  1. durable.WriteTemp: create a temp file (O_EXCL, 0600) in the
//     entry's shard directory, write header and value, fsync, close;
//  2. install: under mu, unless the write was cancelled, rename it over the
//     final path (atomic within one directory) and update the index;
//  3. fsync the directory so that the rename survives a crash.
//
// Any failure before step 2 removes the temp file and leaves the final path
// untouched. Errors of cancelled writes are not reported.
func (d *diskTier) write(p *pendingWrite) (err error) {
	d.mu.Lock()
	cancelled := p.cancelled
	d.unlock()
	if cancelled {
		return nil
	}
	defer func() {
		if err == nil {
			return
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
	installed, err := d.writeInRoot(p, dir, hdr)
	if errors.Is(err, fs.ErrNotExist) { // root deleted since its check
		installed, err = d.writeInRoot(p, dir, hdr)
	}
	if err != nil || !installed {
		return err
	}

	// Make the rename durable. A failure here is reported, but the entry
	// stays: it is readable now and at worst lost after a crash.
	if err := d.hooks.fs.SyncDir(dir); err != nil {
		d.report(&DiskError{Op: "write", Namespace: p.ns, Key: p.key, Path: dir, Err: err})
	}
	return nil
}

// writeInRoot makes p's shard directory dir, writes its temp file and
// installs it, in the root as checked by lockRoot and under its shared
// hold (disk_root.go). Never a bare MkdirAll: a root deleted meanwhile is
// re-established with its marker, a foreign one refused; one deleted
// after the check fails the mkdir (fs.ErrNotExist).
func (d *diskTier) writeInRoot(p *pendingWrite, dir string, hdr []byte) (bool, error) {
	defer d.rootMu.RUnlock()
	if err := d.lockRoot(); err != nil {
		return false, err
	}
	if err := mkdirBelow(d.root, dir); err != nil {
		return false, err
	}
	tmp, err := durable.WriteTemp(dir, tmpPrefix+"*", privateFileMode, hdr, p.entry.Value)
	if err != nil {
		return false, err
	}
	if h := d.hooks.beforeRename; h != nil {
		h(tmp)
	}
	return d.install(p, tmp)
}

// install renames the complete temp file over p's final path and indexes
// it, under mu so that no Delete/Purge can interleave. A write cancelled
// meanwhile (superseded, deleted, purged) is not installed: its temp file is
// removed and install returns false with a nil error. On a rename error the
// temp file is removed too.
func (d *diskTier) install(p *pendingWrite, tmp string) (bool, error) {
	d.mu.Lock()
	if p.cancelled {
		d.unlock()
		os.Remove(tmp)
		return false, nil
	}
	if d.pending[p.k] == p {
		delete(d.pending, p.k)
	}
	if err := os.Rename(tmp, d.path(p.k)); err != nil {
		d.unlock()
		os.Remove(tmp)
		return false, err
	}
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
	n.verified = fileID{} // a new file: not read back by getStream yet
	n.dead = false        // the rename replaced a file whose unlink had failed
	d.total += n.size
	d.evictLocked()
	d.unlock()
	return true, nil
}
