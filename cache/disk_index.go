package cache

import (
	"errors"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
)

// idxKey identifies an entry in the index.
type idxKey struct {
	ns string
	h  [16]byte
}

// node is an index entry; nodes form an intrusive LRU list (front = most
// recently used). All fields are guarded by diskTier.mu.
type node struct {
	k         idxKey
	size      int64
	atime     int64  // last access, Unix nanoseconds (in memory only)
	persisted int64  // the file's mtime as last written by us, Unix nanoseconds
	tag       uint64 // tagHash of the entry's Tag (0: untagged)
	// verified is the identity of the file at the entry's path whose value
	// checksum this process has verified (getStream); zero: none yet.
	verified fileID
	// dead: the entry was removed from the cache but unlinking its file
	// failed, so the file is still on disk and counted (removeLocked).
	dead       bool
	prev, next *node
}

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

// LRU list operations. Callers hold d.mu.

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

// removeLocked removes the entry file of k and, once it is gone, its index
// node. Every removal of an entry file (delete, purge, eviction, a corrupt
// or purged file found by a read or the scan) goes through it, so that the
// index accounts for every entry file still on disk:
//
//   - The file is removed, or was not there (ENOENT): k's node, if any, is
//     dropped (and k tombstoned while the scan runs).
//   - Any other failure: the file is still there, so k keeps a node, or
//     gets one sized by an lstat of the file if it had none (an unindexed
//     file), marked dead and moved to the LRU tail, its bytes still in
//     total; the error is returned for the caller to report. A dead node's
//     file is never served (touch and touchVerified refuse it), the scan
//     does not index it again, and the removal is retried by the next
//     eviction (which starts at the tail), Delete or purge of k; a new
//     write of k renames a live file over it. So a failing unlink cannot
//     make the tier exceed its byte limit unnoticed, nor serve what was
//     removed.
//
// The unlink is not made durable here: if toSync is not nil, the shard
// directory of a file removed is added to it, for the caller to fsync once
// it has released mu (syncDirs).
func (d *diskTier) removeLocked(k idxKey, toSync map[string]struct{}) error {
	p := d.path(k)
	err := d.hooks.fs.Remove(p)
	if err == nil && toSync != nil {
		toSync[filepath.Dir(p)] = struct{}{}
	}
	n := d.idx[k]
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		if n != nil {
			d.dropLocked(n)
		} else if d.scanning {
			d.tombstones[k] = struct{}{}
		}
		return nil
	}
	if n == nil {
		fi, lerr := os.Lstat(p)
		if lerr != nil {
			// Gone after all, or unknowable: nothing to account.
			if d.scanning {
				d.tombstones[k] = struct{}{}
			}
			return err
		}
		n = &node{k: k, size: fi.Size()}
		d.idx[k] = n
		d.total += n.size
	} else {
		d.unlink(n)
	}
	d.pushBack(n)
	n.dead = true
	n.verified = fileID{}
	return err
}

// evictLocked removes least recently used entries until the total is within
// the limit. One pass tries each node at most once, from the tail: a node
// whose file cannot be removed stays (dead, removeLocked) and the pass goes
// on with the next one, so it ends even when no unlink succeeds; the total
// then stays over the limit until a later pass succeeds.
func (d *diskTier) evictLocked() {
	for n := d.lru.prev; d.total > d.maxBytes && n != &d.lru; {
		prev := n.prev // removeLocked moves n, if it stays, behind the cursor
		if err := d.removeLocked(n.k, nil); err != nil {
			d.reportLocked(&DiskError{Op: "delete", Namespace: n.k.ns, Path: d.path(n.k), Err: err})
		} else {
			d.evictions.Add(1) // files removed by eviction, dead ones included
		}
		n = prev
	}
}
