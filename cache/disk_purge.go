package cache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Deletes and purges are called by the Cache under its purge lock. Each one
// cancels the queued writes it covers and updates the index under d.mu, so
// that no write queued before it is renamed into place after it; the files
// themselves are removed under d.mu (one entry) or renamed to the trash
// under d.mu and deleted afterwards by a goroutine of their own.
//
// Each is made in two parts: del, purgeNS, purgeAll and purgeTag do the
// part under d.mu and return a removal, whose finish the Cache calls once
// it has released its purge lock (Cache.purge), before the delete or purge
// returns: the directory fsyncs (a PurgeTag may fsync thousands of shard
// directories) must not hold up every store and promotion of the cache.
//
// Durability: a delete or purge returns once its removals would survive a
// crash: the shard directories of the files it unlinked, and root after it
// renamed namespace directories to the trash, are fsynced, each directory
// once, by finish (syncDirs) before it returns; a failed fsync is reported
// and returned. The shared tier's StateFile, written after the local purge,
// relies on this: it must never record a purge that a crash could undo on
// the disk.
// Not fsynced: evictions, corrupt files and the older value of a dropped
// write (dropSuperseded): back after a crash, such a file is a valid
// entry or caught by its checksum, and no purge depends on its removal.
// Nor are the files that a purge during the startup scan covers, which are
// removed when the scan or a Get reaches them, and fsynced at the end of
// the scan (settleScan): such a purge (a PurgeTag: removal.scanPending) is
// durable only then, and the Cache tells the shared tier so
// (Shared.PurgePending). A purge of a namespace during the scan is durable
// at once if its rename to the trash succeeded, and failed if not.

// cancelPendingLocked cancels every pending write that match selects.
func (d *diskTier) cancelPendingLocked(match func(*pendingWrite) bool) {
	for k, p := range d.pending {
		if match(p) {
			p.cancelled = true
			delete(d.pending, k)
		}
	}
}

// removal is what a delete or purge leaves to do once d.mu (and the
// Cache's purge lock) is released: fsync the directories it changed, start
// the deletion of its trash directories, report its errors. Made under
// d.mu by the operation; finish is called once, by the goroutine that made
// it. A nil *removal (no disk tier) finishes with nothing to do.
type removal struct {
	d       *diskTier
	op      *DiskError          // the operation (Op, Namespace, Key, Path); Err is set by finish
	dirs    map[string]struct{} // directories to fsync; nil: the removal need not be durable
	trashes []string            // renamed under d.mu, deleted by finish after the fsyncs
	errs    []error
	// scanPending: the purge covers files the startup scan has not
	// indexed yet, which are removed when the scan or get reaches them;
	// it is durable only once the scan has settled (afterScan).
	scanPending bool
	// trashSeq is d.trashSeq when d.mu was released: a namespace renamed
	// to the trash since then takes the shard directories fsynced by
	// finish out of root, so that root must be fsynced too (syncDirs).
	trashSeq uint64
	// others are the removals of the same purge in the other tiers open
	// on the directory (purgeTagEverywhere), finished by finish; their
	// errors are r's.
	others []*removal
}

func (d *diskTier) newRemoval(op *DiskError, durable bool) *removal {
	r := &removal{d: d, op: op}
	if durable {
		r.dirs = make(map[string]struct{})
	}
	return r
}

// unlockWith releases d.mu after the locked part of r.
func (d *diskTier) unlockWith(r *removal) {
	r.trashSeq = d.trashSeq
	d.unlock()
}

// waitsForScan reports whether r is durable only once a startup scan has
// settled (scanPending, in r's tier or another's: others); false for a nil
// r.
func (r *removal) waitsForScan() bool {
	if r == nil {
		return false
	}
	return r.scanPending || slices.ContainsFunc(r.others, (*removal).waitsForScan)
}

// afterScan calls fn once the scans r waits for (waitsForScan) have
// settled, with ok true if all of them settled well (diskTier.afterScan).
func (r *removal) afterScan(fn func(ok bool)) {
	var tiers []*diskTier
	for _, x := range append([]*removal{r}, r.others...) {
		if x.scanPending {
			tiers = append(tiers, x.d)
		}
	}
	if len(tiers) == 0 {
		fn(true)
		return
	}
	var mu sync.Mutex
	left, all := len(tiers), true
	for _, d := range tiers {
		d.afterScan(func(ok bool) {
			mu.Lock()
			left--
			all = all && ok
			last := left == 0
			mu.Unlock()
			if last {
				fn(all)
			}
		})
	}
}

// finish fsyncs r's directories (syncDirs), then hands its trash
// directories to removeTrash (a trash must not be deleted before the
// rename that made it is durable: a crash could bring back the namespace
// half deleted), and reports and returns r's error, if any. Called
// without d.mu and without the Cache's purge lock.
func (r *removal) finish() error {
	if r == nil {
		return nil
	}
	d := r.d
	errs := append(r.errs, d.syncDirs(r.dirs, r.trashSeq))
	for _, t := range r.trashes {
		d.removeTrash(t)
	}
	for _, o := range r.others {
		errs = append(errs, o.finish())
	}
	if err := errors.Join(errs...); err != nil {
		r.op.Err = err
		d.report(r.op)
		return r.op
	}
	return nil
}

// syncDirs fsyncs each directory of dirs, so that the unlinks and renames
// made in them survive a crash. Called without d.mu: an fsync may take long,
// and nothing it covers can change meaning meanwhile (a later rename into
// one of the directories is fsynced by its own writer), except that a
// namespace renamed to the trash since d.mu was released (trashSeq moved)
// takes its shard directories with it: an fsync by path then reaches a
// directory made since, or none (ErrNotExist, ignored), not the one the
// unlink changed. root is fsynced then as well, so that the rename is
// durable: after a crash the unlinked files are in a trash (deleted by the
// scan), not back at their paths.
func (d *diskTier) syncDirs(dirs map[string]struct{}, trashSeq uint64) error {
	if len(dirs) == 0 {
		return nil
	}
	var errs []error
	for dir := range dirs {
		if err := d.hooks.fs.SyncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	d.mu.Lock()
	moved := d.trashSeq != trashSeq
	d.unlock()
	if moved {
		if err := d.hooks.fs.SyncDir(d.root); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// del removes one entry (and cancels its pending write). With durable, the
// removal fsyncs the entry's directory when finished.
func (d *diskTier) del(ns, key string, durable bool) *removal {
	k := idxKey{ns: ns, h: hashKey(key)}
	r := d.newRemoval(&DiskError{Op: "delete", Namespace: ns, Key: key, Path: d.path(k)}, durable)
	ours := d.lockRoot() == nil // else: the index is empty, and the path not ours to unlink
	defer d.rootMu.RUnlock()
	d.mu.Lock()
	if p := d.pending[k]; p != nil {
		p.cancelled = true
		delete(d.pending, k)
	}
	if ours {
		r.errs = append(r.errs, d.removeLocked(k, r.dirs))
	}
	d.unlockWith(r)
	return r
}

// purgeNS removes a namespace: its directory is renamed into the trash
// (O(1) on disk) and deleted in the background; the index pass is O(entries).
// If the rename fails, the directory is still there: the indexed entries are
// removed one by one instead (removeLocked), so that none of them is served
// or leaves the index while its file is on disk, and the error is returned.
func (d *diskTier) purgeNS(ns string) *removal {
	r := d.newRemoval(&DiskError{Op: "purge", Path: filepath.Join(d.root, ns)}, true)
	ours := d.lockRoot() == nil // else: nothing of ours is there to rename
	defer d.rootMu.RUnlock()
	d.mu.Lock()
	d.cancelPendingLocked(func(p *pendingWrite) bool { return p.ns == ns })
	if d.scanning {
		d.purgedNS[ns] = struct{}{}
	}
	var trash string
	var err error
	if ours {
		trash, err = d.trashLocked(ns)
	}
	r.errs = append(r.errs, err)
	if trash != "" {
		r.trashes = append(r.trashes, trash)
		r.dirs[d.root] = struct{}{}
	}
	for k, n := range d.idx {
		if k.ns != ns {
			continue
		}
		if err == nil {
			d.dropLocked(n) // its file went with the directory
		} else {
			r.errs = append(r.errs, d.removeLocked(k, r.dirs))
		}
	}
	d.unlockWith(r)
	return r
}

// purgeAll removes every namespace directory, as purgeNS does each one
// (indexed entries of a namespace whose directory cannot be renamed, or of
// every namespace if root cannot be listed, are removed one by one).
func (d *diskTier) purgeAll() *removal {
	r := d.newRemoval(&DiskError{Op: "purge", Path: d.root}, true)
	ours := d.lockRoot() == nil // else: nothing of ours is there to rename
	defer d.rootMu.RUnlock()
	d.mu.Lock()
	d.cancelPendingLocked(func(*pendingWrite) bool { return true })
	if d.scanning {
		d.purgedAll = true
	}
	var ents []os.DirEntry
	var listErr error
	if ours {
		ents, listErr = os.ReadDir(d.root)
	}
	if listErr != nil {
		r.errs = append(r.errs, listErr)
	}
	stuck := make(map[string]bool) // namespaces whose directory is still there
	for _, e := range ents {
		if !e.IsDir() || !ValidNamespace(e.Name()) {
			continue
		}
		t, err := d.trashLocked(e.Name())
		if err != nil {
			r.errs = append(r.errs, err)
			stuck[e.Name()] = true
		}
		if t != "" {
			r.trashes = append(r.trashes, t)
			r.dirs[d.root] = struct{}{}
		}
	}
	for k, n := range d.idx {
		if listErr == nil && !stuck[k.ns] {
			d.dropLocked(n)
		} else {
			r.errs = append(r.errs, d.removeLocked(k, r.dirs))
		}
	}
	d.unlockWith(r)
	return r
}

// trashLocked renames <root>/<ns> to a fresh trash directory. It returns ""
// if the namespace directory does not exist.
func (d *diskTier) trashLocked(ns string) (string, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	trash := filepath.Join(d.root, trashPrefix+hex.EncodeToString(rnd[:]))
	if err := d.hooks.fs.Rename(filepath.Join(d.root, ns), trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	d.trashSeq++
	// The trash has the mode of the namespace directory; one made by an
	// older version may be 0755. Best effort: root is 0700 as well.
	os.Chmod(trash, privateDirMode)
	return trash, nil
}

// removeTrash deletes a trash directory in a goroutine counted in d.wg, so
// that close waits for it. Leftovers of a crash are deleted by the next scan.
// The trash is outside the index: its bytes stop counting when the
// namespace is renamed into it, and a trash that cannot be deleted (reported)
// stays on disk, uncounted, until the next scan deletes it.
func (d *diskTier) removeTrash(trash string) {
	if trash == "" {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if h := d.hooks.beforeTrashRemoval; h != nil {
			h(trash)
		}
		// A write whose path lookup began before the namespace was renamed
		// can still create a directory or temporary file inside the trash
		// (the kernel resolves the old directory's inode), after RemoveAll
		// has listed it: its rmdir then fails with ENOTEMPTY. Such late
		// entries are orphans; a few more passes take them, and the next
		// scan deletes whatever a crash leaves.
		var err error
		for range 3 {
			if err = os.RemoveAll(trash); err == nil {
				return
			}
		}
		d.report(&DiskError{Op: "purge", Path: trash, Err: err})
	}()
}

// purgeTag removes every entry with the tag that d indexes (the Cache
// calls purgeTagEverywhere, which reaches the other tiers open on the
// directory too: disk_roots.go): O(indexed entries) in
// memory plus one unlink per match and one fsync per shard directory
// unlinked in (by finish). Entries the background scan has not indexed yet
// are covered too: the tag is remembered until the scan ends, and such
// files are deleted rather than indexed or served.
func (d *diskTier) purgeTag(tag string) *removal {
	th := tagHash(tag)
	r := d.newRemoval(&DiskError{Op: "purge", Path: d.root}, true)
	d.mu.Lock()
	d.cancelPendingLocked(func(p *pendingWrite) bool { return p.entry.Tag == tag })
	if d.scanning {
		d.purgedTags[th] = struct{}{}
		r.scanPending = true
	} else if d.missed.Load() {
		r.scanPending = true // settled, as failed: files the scan missed are out of reach
	}
	for k, n := range d.idx {
		if n.tag == th {
			r.errs = append(r.errs, d.removeLocked(k, r.dirs))
		}
	}
	d.unlockWith(r)
	return r
}
