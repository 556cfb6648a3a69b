package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The cache root can vanish or change while the tier runs: an operator
// deletes the folder (or empties it, marker included) to free space, or
// puts another folder at its path. The tier must then neither recreate the
// folder bare (the next New, at a restart or a reload, would refuse it as a
// non-empty directory without the marker) nor write into, purge or evict
// from a folder that is not a Matte cache. So every write and every
// removal by path (del, purgeNS, purgeAll) first checks the root, and
// holds it (lockRoot: rootMu shared) through its path operation:
//
//   - The marker is the one last seen (same file, same mtime): the root is
//     ours. One stat per operation.
//   - Otherwise, the root is re-established as New does (prepareRoot):
//     created with its marker if it is missing, accepted if it holds a
//     marker (another tier open on it, e.g. a reload's, or another
//     instance, re-established it first), given a marker if it is empty.
//     A directory known to be ours whose marker is missing (the same
//     directory as before, emptied in place or refused since; or the one
//     this check just created, in which another tier's or instance's
//     writer may have made a namespace directory already) gets its
//     marker if it holds nothing but namespace and trash directories
//     (looksOurs).
//   - A different, non-empty directory without a marker is foreign: it is
//     refused (reported once, as a *DiskError with Op "write", until the
//     root is usable again); writes fail (counted as write errors) and
//     removals by path are skipped.
//
// Whenever the marker is not the one last seen, the index is emptied
// (resetIndex): the root was deleted, emptied, replaced or refused, so the
// files the index counts are gone with the old marker, or may be, and must
// not count against the size limit. Root's own identity cannot tell: a
// directory made after the old one was deleted may get its inode number
// (tmpfs, ext4). Where root may still be the old directory (only the
// marker was deleted, e.g. by find -mtime: the entries stay), the tier
// takes itself as having missed files (diskTier.missed): a purge by tag,
// which sees only the index, is not told applied to the shared tier
// (afterScan), and an unindexed file is a miss rather than indexed and
// served by a read. The scan, if running,
// then discards what it found (rootGen), and its purges settle as failed.
//
// Not covered: the root replaced by the operator or another tier within
// one operation (between the check and the path operation it guards;
// rootMu only orders this tier's own operations and re-establishment);
// files that survive a marker's deletion or replacement stay uncounted,
// and unserved, until a write or a purge by path replaces or removes them
// or a restart's scan indexes them; a marker recreated with the old one's
// inode number and mtime goes unnoticed, and the index then shrinks only as reads miss its entries
// (dropIfMissing) and eviction reaches them (an unlink of a missing file
// drops the node); a foreign folder holding a file at an entry's exact
// path, which a read would find corrupt and delete.

// errRootRefused fails a write while the cache root is refused; the reason
// is reported once by ensureRoot.
var errRootRefused = errors.New("cache: disk cache directory not usable, write refused")

// rootState is the identity of the root the tier uses. Guarded by
// diskTier.rootMu.
type rootState struct {
	dir     os.FileInfo // root itself, as last accepted (to tell it emptied in place); nil after a refusal
	marker  os.FileInfo // its marker, as last accepted; nil after a refusal
	refused bool        // the current root is refused (reported once)
}

// initRoot records the root that prepareRoot accepted in newDiskTier.
func (d *diskTier) initRoot() error {
	dir, err := os.Stat(d.root)
	if err != nil {
		return err
	}
	marker, err := os.Stat(filepath.Join(d.root, markerName))
	if err != nil {
		return err
	}
	d.rootS = rootState{dir: dir, marker: marker}
	return nil
}

func sameMarker(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime())
}

// lockRoot checks that the root is still a Matte cache directory,
// re-establishing it where it can (see above), and returns with rootMu
// held shared, nil or errRootRefused; the caller runs the path operation
// the check guards, then calls d.rootMu.RUnlock. The re-establishment
// (and its resetIndex) takes rootMu exclusively, so it never runs between
// another operation's check and its path operation: no writer of this
// tier makes a namespace directory in a root that is being
// re-established, and none installs, under an index reset since its
// check, a file written before the reset. (An operator or another tier
// can still act between the two; see above.) Called without mu; may
// take mu (resetIndex). Never call it with rootMu held: a shared hold
// taken twice deadlocks once a re-establishment waits between the two.
func (d *diskTier) lockRoot() error {
	d.rootMu.RLock()
	if mfi, err := os.Stat(filepath.Join(d.root, markerName)); err == nil && sameMarker(mfi, d.rootS.marker) {
		return nil
	}
	d.rootMu.RUnlock()
	d.rootMu.Lock()
	err := d.ensureRootLocked()
	d.rootMu.Unlock()
	// Whatever happens before this RLock is as if it happened after
	// it: another re-establishment leaves a checked root, a deletion by
	// the operator is what the note above leaves uncovered.
	d.rootMu.RLock()
	return err
}

// ensureRoot is lockRoot for a caller with no path operation to guard.
func (d *diskTier) ensureRoot() error {
	err := d.lockRoot()
	d.rootMu.RUnlock()
	return err
}

// ensureRootLocked is the check and re-establishment of lockRoot. Called
// with rootMu held exclusively.
func (d *diskTier) ensureRootLocked() error {
	marker := filepath.Join(d.root, markerName)
	mfi, err := os.Stat(marker)
	if err == nil && sameMarker(mfi, d.rootS.marker) {
		return nil // re-established by another caller meanwhile
	}
	old := d.rootS.dir
	dfi, derr := os.Stat(d.root)
	// ours: root is a directory known to be a Matte cache folder that
	// only lost its marker: the one last accepted (perhaps refused
	// since), or one this call creates. A writer of another tier or
	// process on the folder may make a namespace directory in one it
	// created before it gets its marker; so may one of ours that
	// checked a root deleted since (mkdirBelow then fails).
	ours := derr == nil && old != nil && os.SameFile(dfi, old)
	created := false
	if errors.Is(derr, fs.ErrNotExist) {
		if err := mkdirAllPrivate(d.root); err == nil {
			dfi, derr = os.Stat(d.root)
			ours, created = derr == nil, derr == nil
		}
	}
	var perr error
	if err != nil && ours && looksOurs(d.root) {
		perr = writeMarker(d.root)
	} else {
		perr = prepareRoot(d.root, d.report)
	}
	if perr == nil {
		dfi, derr = os.Stat(d.root)
		mfi, err = os.Stat(marker)
		perr = errors.Join(derr, err)
	}
	// The marker changed: the files the index counts went with it, or
	// may have (even where root is the same directory, or a new one that
	// reuses its inode number, as tmpfs and ext4 do). Where root was not
	// made afresh and is, or may be, the old directory, some of them may
	// still be there (only the marker was deleted, e.g. by find -mtime):
	// unindexed, out of a purge by tag's reach, so touch must serve no
	// unindexed file from now on, as after a scan that missed files.
	if !created && (old == nil || derr != nil || os.SameFile(dfi, old)) {
		d.missed.Store(true)
	}
	d.resetIndex()
	if perr != nil {
		if !d.rootS.refused {
			d.report(&DiskError{Op: "write", Path: d.root, Err: perr})
		}
		d.rootS = rootState{refused: true}
		if ours {
			d.rootS.dir = dfi // still ours once it looks it again
		}
		return errRootRefused
	}
	d.rootS = rootState{dir: dfi, marker: mfi}
	return nil
}

// looksOurs reports whether root holds only what the tier makes there
// (namespace and trash directories) or lost+found. A directory that
// merely has the old root's inode number may be a new, foreign one.
func looksOurs(root string) bool {
	ents, err := os.ReadDir(root)
	if err != nil {
		return false
	}
	for _, e := range ents {
		n := e.Name()
		if n != "lost+found" && !(e.IsDir() && (ValidNamespace(n) || strings.HasPrefix(n, trashPrefix))) {
			return false
		}
	}
	return true
}

// resetIndex empties the index: the files it counts are in a directory
// that is no longer the root (see above). Pending writes stay queued: they
// write into the root as it is now.
func (d *diskTier) resetIndex() {
	d.mu.Lock()
	// Not dropLocked: no tombstones, which would make a read during the
	// scan delete a file written into the new root by another tier.
	d.idx = make(map[idxKey]*node)
	d.lru.next, d.lru.prev = &d.lru, &d.lru
	d.total = 0
	d.rootGen++
	d.unlock()
}
