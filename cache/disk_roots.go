package cache

import (
	"os"
	"path/filepath"
	"sync"
)

// diskRoots is the process's registry of the disk tiers open on each
// directory. Two Caches on one directory happen during a Caddy reload: the
// new generation opens its tier, and scans the directory, while the old
// one still writes, then closes. A purge by tag finds the files to remove
// in its tier's index alone (purgeTag), so the files only the other tier
// indexes would outlive it, and be served once read. So:
//
//   - a purge by tag is applied to every tier open on the directory
//     (purgeTag), each in its own index;
//   - a tier that closes hands its index over to the tiers still open on
//     the directory (handOver), which index the files they do not know yet
//     (as the scan or a read would: unless a purge during their scan
//     covered them), so that their later purges by tag find them.
//
// Deletes, and purges of a namespace or of everything, work on paths
// (unlink, rename of the namespace directory), which reach every file;
// the pending writes they cover are cancelled in every tier open on the
// directory (everywhere), as a purge by tag's are. The tiers open on one
// directory share their Caches' purge state (register, purgeState), so
// that a purge through any of them refuses the writes of every such Cache
// that began before it (a Do result, a SetSince, a promotion).
//
// mu is held across a purge by tag's passes over every tier, and across a
// closing tier's hand-over and removal from the registry, so that no purge
// falls between the two; it is taken before any tier's mu, and never while
// holding one. Tiers are registered by their root's cleaned absolute path
// with symbolic links resolved (rootKey).
var diskRoots = struct {
	mu sync.Mutex
	m  map[string][]*diskTier
}{m: make(map[string][]*diskTier)}

// rootKey is root's identity in diskRoots.
func rootKey(root string) string {
	p, err := filepath.Abs(root)
	if err != nil {
		p = filepath.Clean(root)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return p
}

// register adds d to diskRoots, and gives it the purge state of the tiers
// open on its root (a new one if there are none), so that every tier
// registered on a root has the same one (purgeState).
func (d *diskTier) register() {
	d.rootKey = rootKey(d.root)
	diskRoots.mu.Lock()
	if ts := diskRoots.m[d.rootKey]; len(ts) > 0 {
		d.purges = ts[0].purges
	} else {
		d.purges = &purgeState{}
	}
	diskRoots.m[d.rootKey] = append(diskRoots.m[d.rootKey], d)
	diskRoots.mu.Unlock()
}

// othersLocked returns the other tiers open on d's root. Called with
// diskRoots.mu held.
func (d *diskTier) othersLocked() []*diskTier {
	var o []*diskTier
	for _, t := range diskRoots.m[d.rootKey] {
		if t != d {
			o = append(o, t)
		}
	}
	return o
}

// deregister hands d's index over to the other tiers open on its root and
// removes d from diskRoots. Called by close once d's writers are done, so
// that d's index holds every file d wrote.
func (d *diskTier) deregister() {
	diskRoots.mu.Lock()
	defer diskRoots.mu.Unlock()
	others := d.othersLocked()
	if len(others) == 0 {
		delete(diskRoots.m, d.rootKey)
		return
	}
	diskRoots.m[d.rootKey] = others
	type handed struct {
		k     idxKey
		atime int64
		tag   uint64
		dead  bool
	}
	var nodes []handed
	d.mu.Lock()
	for n := d.lru.next; n != &d.lru; n = n.next { // most recent first
		nodes = append(nodes, handed{k: n.k, atime: n.atime, tag: n.tag, dead: n.dead})
	}
	d.unlock()
	for _, o := range others {
		// Behind o's own entries, most recent first: the hand-over's
		// oldest are the first evicted. A batch per hold of o.mu, as the
		// scan does.
		for i := 0; i < len(nodes); i += scanBatch {
			o.mu.Lock()
			for _, h := range nodes[i:min(i+scanBatch, len(nodes))] {
				o.adoptLocked(h.k, h.atime, h.tag, h.dead)
			}
			o.evictLocked()
			o.unlock()
		}
	}
}

// adoptLocked indexes the file of k, handed over by a closing tier (with
// the recency and tag it had there), unless d knows it already or it is
// gone. A file a purge during d's scan covered is removed instead, as the
// scan would; so is one that was removed but whose unlink failed (dead) in
// the closing tier.
func (d *diskTier) adoptLocked(k idxKey, atime int64, tag uint64, dead bool) {
	if d.idx[k] != nil {
		return
	}
	fi, err := os.Lstat(d.path(k))
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	if dead {
		if err := d.removeLocked(k, nil); err != nil {
			d.reportLocked(&DiskError{Op: "delete", Namespace: k.ns, Path: d.path(k), Err: err})
		}
		return
	}
	if d.scanning {
		_, tomb := d.tombstones[k]
		_, nsGone := d.purgedNS[k.ns]
		_, tagGone := d.purgedTags[tag]
		if tomb || nsGone || (tagGone && tag != 0) || d.purgedAll {
			d.removePurgedLocked(k)
			return
		}
	}
	n := &node{k: k, size: fi.Size(), atime: atime, persisted: fi.ModTime().UnixNano(), tag: tag}
	d.idx[k] = n
	d.pushBack(n)
	d.total += n.size
}

// delEverywhere, purgeNSEverywhere and purgeAllEverywhere are del (durable),
// purgeNS and purgeAll, which reach every file on the directory by path,
// after cancelling the pending writes they cover in the other tiers open on
// d's root (everywhere): a write queued in another tier before
// the purge would otherwise rename its file into place after it.
func (d *diskTier) delEverywhere(ns, key string) *removal {
	k := idxKey{ns: ns, h: hashKey(key)}
	return d.everywhere(func(p *pendingWrite) bool { return p.k == k }, func() *removal { return d.del(ns, key, true) })
}

func (d *diskTier) purgeNSEverywhere(ns string) *removal {
	return d.everywhere(func(p *pendingWrite) bool { return p.ns == ns }, func() *removal { return d.purgeNS(ns) })
}

func (d *diskTier) purgeAllEverywhere() *removal {
	return d.everywhere(func(*pendingWrite) bool { return true }, d.purgeAll)
}

// everywhere cancels the pending writes match selects in the other tiers
// open on d's root, then runs own (d's part), all under diskRoots.mu. The
// others' first: a write of theirs installed before its cancel is removed
// by own, by path; one not installed yet never is (install checks
// cancelled under the tier's mu).
func (d *diskTier) everywhere(match func(*pendingWrite) bool, own func() *removal) *removal {
	diskRoots.mu.Lock()
	defer diskRoots.mu.Unlock()
	for _, o := range d.othersLocked() {
		o.mu.Lock()
		o.cancelPendingLocked(match)
		o.unlock()
	}
	return own()
}

// purgeTagEverywhere is purgeTag applied to every tier open on d's root
// (diskRoots): the others' removals are finished with d's (removal.others).
func (d *diskTier) purgeTagEverywhere(tag string) *removal {
	diskRoots.mu.Lock()
	defer diskRoots.mu.Unlock()
	r := d.purgeTag(tag)
	for _, o := range d.othersLocked() {
		r.others = append(r.others, o.purgeTag(tag))
	}
	return r
}
