package cache

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const scanBatch = 4096 // found entries inserted into the index per hold of d.mu

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
	d.mu.Lock()
	gen := d.rootGen
	d.unlock()
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
		// A namespace directory made by an older version may be 0755. One
		// a purge has renamed to the trash since it was listed is gone.
		if err := tightenDir(filepath.Join(d.root, name)); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			d.report(&DiskError{Op: "chmod", Path: filepath.Join(d.root, name), Err: err})
		}
		found = d.scanNS(name, cutoff, found)
		if d.stopped() {
			break
		}
	}

	walked := !d.stopped() && !d.missed.Load() // every file there was at start was found
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
		if d.rootGen != gen {
			// The root changed (resetIndex): what the scan found was
			// in the old directory, or may have been. The purged
			// files among the rest are not removed: the purges made
			// during the scan settle as failed.
			walked = false
			d.unlock()
			break
		}
		for _, s := range found[i:min(i+scanBatch, len(found))] {
			if d.idx[s.k] != nil {
				continue
			}
			if _, ok := d.tombstones[s.k]; ok {
				continue
			}
			_, nsGone := d.purgedNS[s.k.ns]
			_, tagGone := d.purgedTags[s.tag]
			if d.purgedAll || nsGone || (tagGone && s.tag != 0) {
				// Purged while we were scanning: delete instead of
				// indexing. A file found before a purge that is not
				// indexed is the one the purge covered (a later write
				// is indexed, a Get since then deleted it). After a
				// namespace's rename to the trash the file is gone
				// (ENOENT, nothing to do), but the rename may have
				// failed (purgeNS, purgeAll): then the file is still
				// there, and skipping it would leave it unindexed, so
				// that a Get after the scan would index and serve it.
				// One that cannot be unlinked stays counted and is not
				// served (removeLocked).
				d.removePurgedLocked(s.k)
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
	dirs, failed := d.scanSync, d.scanFailed
	d.scanSync = nil
	seq := d.trashSeq
	// missed, read under mu: an index reset that keeps old files
	// (ensureRootLocked) may have come after the inserts.
	ok := walked && !failed && !d.missed.Load()
	d.unlock()
	d.settleScan(ok, dirs, seq)
}

// removePurgedLocked removes the unindexed file of k, found by the scan or
// read by get while the scan runs, that a purge made during the scan
// covers. Its directory is fsynced at the end of the scan (settleScan); a
// failure is reported and makes the scan's purges fail (scanFailed).
func (d *diskTier) removePurgedLocked(k idxKey) {
	if err := d.removeLocked(k, d.scanSync); err != nil {
		d.scanFailed = true
		d.reportLocked(&DiskError{Op: "purge", Namespace: k.ns, Path: d.path(k), Err: err})
	}
}

// settleScan makes the scan's removals of purged files durable (fsyncs
// dirs, without mu), then settles the purges made during the scan: ok
// (every purged file the scan found, or get read, is removed; the walk
// was not stopped by close, which leaves files unreached) and the fsyncs
// succeeded. The purges waiting (afterScan) are told, and later ones are
// told at once.
func (d *diskTier) settleScan(ok bool, dirs map[string]struct{}, trashSeq uint64) {
	if err := d.syncDirs(dirs, trashSeq); err != nil {
		ok = false
		d.report(&DiskError{Op: "purge", Path: d.root, Err: err})
	}
	d.mu.Lock()
	d.settled, d.scanOK = true, ok
	waiters := d.scanWaiters
	d.scanWaiters = nil
	d.unlock()
	for _, fn := range waiters {
		fn(ok)
	}
}

// afterScan calls fn once the purges made during the scan are settled
// (settleScan), with their outcome: at once if they are, false if files
// may have been missed since (missed).
func (d *diskTier) afterScan(fn func(ok bool)) {
	d.mu.Lock()
	if !d.settled {
		d.scanWaiters = append(d.scanWaiters, fn)
		d.unlock()
		return
	}
	// Files that a later index reset left unindexed (missed) are out of
	// a purge by tag's reach as well.
	ok := d.scanOK && !d.missed.Load()
	d.unlock()
	fn(ok)
}

// readDir lists dir for the scan. A directory that cannot be listed (but
// is there: a purge may have renamed it to the trash meanwhile) is
// reported, and the scan is then incomplete (missed): the files in it are
// not indexed, and a purge by tag would not find them.
func (d *diskTier) readDir(dir string) []os.DirEntry {
	readDir := os.ReadDir
	if d.hooks.readDir != nil {
		readDir = d.hooks.readDir
	}
	ents, err := readDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.report(&DiskError{Op: "scan", Path: dir, Err: err})
		d.missed.Store(true)
	}
	return ents
}

func (d *diskTier) scanNS(ns string, cutoff time.Time, found []scanned) []scanned {
	nsDir := filepath.Join(d.root, ns)
	l1 := d.readDir(nsDir)
	for _, a := range l1 {
		if !a.IsDir() || !isHex(a.Name(), 2) {
			continue
		}
		l2 := d.readDir(filepath.Join(nsDir, a.Name()))
		for _, b := range l2 {
			if !b.IsDir() || !isHex(b.Name(), 2) {
				continue
			}
			if d.stopped() {
				return found
			}
			dir := filepath.Join(nsDir, a.Name(), b.Name())
			files := d.readDir(dir)
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
	f, err := openRead(p)
	if err == nil && d.hooks.scanOpen != nil {
		if err = d.hooks.scanOpen(p); err != nil {
			f.Close()
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return scanned{}, false // removed meanwhile
	}
	var fi os.FileInfo
	if err == nil {
		if fi, err = f.Stat(); err != nil {
			f.Close()
		}
	}
	if err != nil {
		// Not indexed, and perhaps not for a purge by tag to find (as
		// readDir).
		d.report(&DiskError{Op: "scan", Namespace: k.ns, Path: p, Err: err})
		d.missed.Store(true)
		return scanned{}, false
	}
	defer f.Close()
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
