package cache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Deletes and purges are called by the Cache under its purge lock. Each one
// cancels the queued writes it covers and updates the index under d.mu, so
// that no write queued before it is renamed into place after it; the files
// themselves are removed under d.mu (one entry) or renamed to the trash
// under d.mu and deleted afterwards by a goroutine of their own.
//
// Durability: a delete or purge returns once its removals would survive a
// crash: the shard directories of the files it unlinked, and root after it
// renamed namespace directories to the trash, are fsynced (syncDirs,
// without d.mu) before it returns; a failed fsync is reported and returned.
// The shared tier's StateFile, written after the local purge, relies on
// this: it must never record a purge that a crash could undo on the disk.
// Not fsynced: evictions and corrupt files (back after a crash, such a
// file is a valid entry or caught by its checksum), and the files that a
// purge during the startup scan covers, which are removed when the scan or
// a Get reaches them (that part of such a purge is in memory only anyway:
// purgedNS, purgedTags).

// cancelPendingLocked cancels every pending write that match selects.
func (d *diskTier) cancelPendingLocked(match func(*pendingWrite) bool) {
	for k, p := range d.pending {
		if match(p) {
			p.cancelled = true
			delete(d.pending, k)
		}
	}
}

// syncDirs fsyncs each directory of dirs, so that the unlinks and renames
// made in them survive a crash. Called without d.mu: an fsync may take long,
// and nothing it covers can change meaning meanwhile (a later rename into
// one of the directories is fsynced by its own writer). A directory gone
// meanwhile (its namespace purged since) needs no fsync.
func (d *diskTier) syncDirs(dirs map[string]struct{}) error {
	var errs []error
	for dir := range dirs {
		if err := d.hooks.fs.SyncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *diskTier) del(ns, key string) error {
	k := idxKey{ns: ns, h: hashKey(key)}
	toSync := make(map[string]struct{}, 1)
	d.mu.Lock()
	if p := d.pending[k]; p != nil {
		p.cancelled = true
		delete(d.pending, k)
	}
	err := d.removeLocked(k, toSync)
	d.unlock()
	if err = errors.Join(err, d.syncDirs(toSync)); err != nil {
		err = &DiskError{Op: "delete", Namespace: ns, Key: key, Path: d.path(k), Err: err}
		d.report(err)
		return err
	}
	return nil
}

// purgeNS removes a namespace: its directory is renamed into the trash
// (O(1) on disk) and deleted in the background; the index pass is O(entries).
// If the rename fails, the directory is still there: the indexed entries are
// removed one by one instead (removeLocked), so that none of them is served
// or leaves the index while its file is on disk, and the error is returned.
func (d *diskTier) purgeNS(ns string) error {
	toSync := make(map[string]struct{})
	d.mu.Lock()
	d.cancelPendingLocked(func(p *pendingWrite) bool { return p.ns == ns })
	if d.scanning {
		d.purgedNS[ns] = struct{}{}
	}
	trash, err := d.trashLocked(ns)
	errs := []error{err}
	if trash != "" {
		toSync[d.root] = struct{}{}
	}
	for k, n := range d.idx {
		if k.ns != ns {
			continue
		}
		if err == nil {
			d.dropLocked(n) // its file went with the directory
		} else {
			errs = append(errs, d.removeLocked(k, toSync))
		}
	}
	d.unlock()
	errs = append(errs, d.syncDirs(toSync))
	d.removeTrash(trash)
	if err := errors.Join(errs...); err != nil {
		err = &DiskError{Op: "purge", Path: filepath.Join(d.root, ns), Err: err}
		d.report(err)
		return err
	}
	return nil
}

// purgeAll removes every namespace directory, as purgeNS does each one
// (indexed entries of a namespace whose directory cannot be renamed, or of
// every namespace if root cannot be listed, are removed one by one).
func (d *diskTier) purgeAll() error {
	toSync := make(map[string]struct{})
	d.mu.Lock()
	d.cancelPendingLocked(func(*pendingWrite) bool { return true })
	if d.scanning {
		d.purgedAll = true
	}
	var trashes []string
	var errs []error
	ents, listErr := os.ReadDir(d.root)
	if listErr != nil {
		errs = append(errs, listErr)
	}
	stuck := make(map[string]bool) // namespaces whose directory is still there
	for _, e := range ents {
		if !e.IsDir() || !ValidNamespace(e.Name()) {
			continue
		}
		t, err := d.trashLocked(e.Name())
		if err != nil {
			errs = append(errs, err)
			stuck[e.Name()] = true
		}
		if t != "" {
			trashes = append(trashes, t)
			toSync[d.root] = struct{}{}
		}
	}
	for k, n := range d.idx {
		if listErr == nil && !stuck[k.ns] {
			d.dropLocked(n)
		} else if err := d.removeLocked(k, toSync); err != nil {
			errs = append(errs, err)
		}
	}
	d.unlock()
	errs = append(errs, d.syncDirs(toSync))
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
	if err := d.hooks.fs.Rename(filepath.Join(d.root, ns), trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
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

// purgeTag removes every indexed entry with the tag: O(indexed entries) in
// memory plus one unlink per match and one fsync per shard directory
// unlinked in. Entries the background scan has not indexed yet are covered
// too: the tag is remembered until the scan ends, and such files are
// deleted rather than indexed or served.
func (d *diskTier) purgeTag(tag string) error {
	th := tagHash(tag)
	toSync := make(map[string]struct{})
	d.mu.Lock()
	d.cancelPendingLocked(func(p *pendingWrite) bool { return p.entry.Tag == tag })
	if d.scanning {
		d.purgedTags[th] = struct{}{}
	}
	var errs []error
	for k, n := range d.idx {
		if n.tag == th {
			if err := d.removeLocked(k, toSync); err != nil {
				errs = append(errs, err)
			}
		}
	}
	d.unlock()
	errs = append(errs, d.syncDirs(toSync))
	if err := errors.Join(errs...); err != nil {
		err = &DiskError{Op: "purge", Path: d.root, Err: err}
		d.report(err)
		return err
	}
	return nil
}
