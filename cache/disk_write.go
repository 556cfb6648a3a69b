package cache

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

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
	if err := mkdirAllPrivate(dir); err != nil {
		return err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp = filepath.Join(dir, tmpPrefix+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, privateFileMode)
	if err != nil {
		tmp = ""
		return err
	}
	err = f.Chmod(privateFileMode) // exact, whatever the umask; before any data
	if err == nil {
		_, err = f.Write(hdr)
	}
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
	if h := d.hooks.beforeRename; h != nil {
		h(tmp)
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
