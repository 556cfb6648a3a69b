package cache

import (
	"errors"
	"hash/maphash"
	"io/fs"
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
	verified   fileID
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

// removeLocked removes the entry's file and index node, if any.
func (d *diskTier) removeLocked(k idxKey) error {
	if n := d.idx[k]; n != nil {
		d.dropLocked(n)
	} else if d.scanning {
		d.tombstones[k] = struct{}{}
	}
	if err := d.hooks.fs.Remove(d.path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
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
		if err := d.hooks.fs.Remove(d.path(n.k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.reportLocked(&DiskError{Op: "delete", Namespace: n.k.ns, Path: d.path(n.k), Err: err})
		}
	}
}
