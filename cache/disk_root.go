package cache

import (
	"errors"
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
// removal by path (del, purgeNS, purgeAll) first checks the root
// (ensureRoot):
//
//   - The marker is the one last seen (same file, same mtime): the root is
//     ours. One stat per operation.
//   - Otherwise, the root is re-established as New does (prepareRoot):
//     created with its marker if it is missing, accepted if it holds a
//     marker (another tier open on it, e.g. a reload's, or another
//     instance, re-established it first), given a marker if it is empty.
//     The same directory as before whose marker was deleted (emptied in
//     place, perhaps while a writer of ours made a namespace directory in
//     it) gets its marker back if it holds nothing but namespace and trash
//     directories (looksOurs).
//   - A different, non-empty directory without a marker is foreign: it is
//     refused (reported once, as a *DiskError with Op "write", until the
//     root is usable again); writes fail (counted as write errors) and
//     removals by path are skipped.
//
// Whenever the marker is not the one last seen, the index is emptied
// (resetIndex): the root was deleted, emptied, replaced or refused, so the
// files the index counts are gone with the old marker and must not count
// against the size limit; reads of them are plain misses (their paths hold
// nothing, or another tier's files, which a read indexes afresh). The
// scan, if running, then discards what it found (rootGen). Root's own
// identity cannot tell: a directory made after the old one was deleted may
// get its inode number (tmpfs, ext4).
//
// Not covered: the root replaced within one operation (between the check
// and the path operation it guards); files that survive a marker's
// deletion or replacement stay uncounted until a read indexes them; a
// marker recreated with the old one's inode number and mtime goes
// unnoticed, and the index then shrinks only as reads miss its entries
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

// ensureRoot checks that the root is still a Matte cache directory,
// re-establishing it where it can (see above), and returns errRootRefused
// where it cannot. Called without mu; takes rootMu, then mu (resetIndex).
func (d *diskTier) ensureRoot() error {
	marker := filepath.Join(d.root, markerName)
	d.rootMu.Lock()
	defer d.rootMu.Unlock()
	mfi, err := os.Stat(marker)
	if err == nil && sameMarker(mfi, d.rootS.marker) {
		return nil
	}
	old := d.rootS.dir
	dfi, derr := os.Stat(d.root)
	var perr error
	if err != nil && derr == nil && old != nil && os.SameFile(dfi, old) && looksOurs(d.root) {
		// Our directory, emptied in place: only the marker is missing
		// (a writer of ours may have made a namespace directory since).
		perr = writeMarker(d.root)
	} else {
		perr = prepareRoot(d.root, d.report)
	}
	if perr == nil {
		dfi, derr = os.Stat(d.root)
		mfi, err = os.Stat(marker)
		perr = errors.Join(derr, err)
	}
	// The marker changed: the files the index counts went with it (even
	// where root is the same directory, or a new one that reuses its
	// inode number, as tmpfs and ext4 do).
	d.resetIndex()
	if perr != nil {
		if !d.rootS.refused {
			d.report(&DiskError{Op: "write", Path: d.root, Err: perr})
		}
		d.rootS = rootState{refused: true}
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
