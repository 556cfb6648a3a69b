package cache

import (
	"bytes"
	"io"
	"os"
	"sync"
	"time"

	"github.com/jebosio/matte/internal/fileid"
)

// Streamed disk hits (Cache.GetBody): a disk hit that the memory tier would
// not keep is sent without being checksummed again once this process has
// verified its file: a small one read whole, header and value, with one
// pread into a pooled buffer and written with one Write; a large one from
// its file (http.ResponseWriter's ReadFrom: sendfile where the connection
// allows it, else a pooled 32 KiB buffer). Either way it is not read into
// a fresh buffer per request.
//
// Contract: a streamed hit never sends a corrupt or truncated entry, under
// these assumptions, which every writer of the disk tier keeps (write's
// atomicity contract): a file at an entry's final path is immutable; a new
// entry is a new file (a new inode) renamed over the path, never a rewrite
// in place. Then:
//
//   - The value's checksum is verified in full the first time this process
//     reads the file (getStream falls back to readVerified); the node then
//     records the file's identity (device, inode, size, change time), as
//     fstat saw it before that read, as verified. That
//     happens under mu and only while the file is still the one at the
//     path, and while f is open, so its inode number cannot have been
//     reused. A crash, a torn write or a file from before this process
//     started is therefore always verified in full once.
//   - Every later hit opens the path, fstats it and serves it only if that
//     identity is still the verified one (a replaced file has another inode;
//     a file written, truncated or chmod-ed in place has another change
//     time, which user space cannot set; install resets the mark; a dropped
//     node takes it along), and
//     after it has re-read and verified the header (its checksum, the
//     names, and that the header's length equals the file's size, so a
//     truncated or extended file is refused).
//   - What this cannot catch: a change in place within the same timestamp
//     tick (the kernel's coarse clock, a few ms) as the fstat before the
//     verifying read, or between touchVerified's Chtimes and its fstat
//     (which re-records the change time that the Chtimes itself moved).
//     Only something outside Matte writes in place, and Caddy's
//     file_server serves whatever is there. Should a file shrink while it
//     is being sent, the response ends short of its Content-Length and
//     net/http closes the connection: the client sees a failed response,
//     never a complete one.
//
// Concurrency: the file is opened and its header read without mu; the
// identity check, the LRU update and the mark are done under mu. A body
// holds its own descriptor: a purge or replacement meanwhile unlinks the
// path, and the body still sends the entry it verified (as a buffered hit
// read just before the purge would).

// fileID identifies a file's contents as of one fstat (fileid.ID). Zero
// means unknown.
type fileID = fileid.ID

// FileBody is a disk hit's value, sent without being checksummed again:
// Len bytes of a verified entry file, either left in the open file (a large
// value) or read whole, with its header, in one read into a pooled buffer
// (a value of at most smallBody bytes). It is owned by one caller, who must
// Close it; not safe for concurrent use.
type FileBody struct {
	f      *os.File
	off, n int64
	buf    *[]byte // the pooled buffer holding the value at [off:off+n]
}

// smallBody is the largest entry file read whole into a pooled buffer: one
// pread and one write instead of a header read, a seek and a 32 KiB copy
// loop (several reads and writes), and the file is closed before the
// response is sent. Larger files are sent from the file, sendfile where
// the connection allows it. At most one such buffer per response in
// flight is held.
const smallBody = 256 << 10

// bodyPool holds the small bodies' buffers, each smallBody bytes.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, smallBody); return &b }}

// Len is the value's length in bytes.
func (b *FileBody) Len() int64 { return b.n }

// WriteTo writes the value to w: a small body in one Write; a large one
// through w's io.ReaderFrom as the bare file from the value's offset, so
// that sendfile takes it even through writers that copy it on in chunks
// of io.LimitReader (Caddy's write-idle writer: a LimitedReader over a
// LimitedReader is not a form sendfile takes); else a pooled 32 KiB
// buffer. The value is the file's tail and the file is immutable (the
// disk tier's contract), so reading to EOF sends exactly Len bytes.
func (b *FileBody) WriteTo(w io.Writer) (int64, error) {
	if b.buf != nil {
		n, err := w.Write((*b.buf)[b.off : b.off+b.n])
		return int64(n), err
	}
	if _, err := b.f.Seek(b.off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, b.f)
}

// Close releases the file or the buffer. Safe on a nil body and more than
// once.
func (b *FileBody) Close() error {
	if b == nil {
		return nil
	}
	if b.buf != nil {
		bodyPool.Put(b.buf)
		b.buf = nil
	}
	if b.f == nil {
		return nil
	}
	err := b.f.Close()
	b.f = nil
	return err
}

// getStream is get for Cache.GetBody: when stream(file size) is true and
// the file at the path is one this process verified, it returns the entry
// without its Value and a body over the file; otherwise it reads and
// verifies the whole file as get does (marking it verified when stream
// said yes), and returns a nil body.
func (d *diskTier) getStream(ns, key string, stream func(size int64) bool) (Entry, *FileBody, bool) {
	k := idxKey{ns: ns, h: hashKey(key)}
	f, fi, p, ok := d.openEntry(k, ns, key)
	if !ok {
		return Entry{}, nil, false
	}
	size := fi.Size()
	id, haveID := fileid.Of(fi)
	if !haveID || !stream(size) {
		defer f.Close()
		e, ok := d.readVerified(f, fi, k, ns, key, p)
		return e, nil, ok
	}
	if d.isVerified(k, id) {
		// body holds f and, for a small entry, the pooled buffer it is
		// read into, so that body.Close releases both when the entry is
		// refused; a returned body keeps only what it sends from.
		body := &FileBody{f: f}
		var r io.Reader = io.NewSectionReader(f, 0, size)
		var err error
		if size <= smallBody {
			body.buf = bodyPool.Get().(*[]byte)
			if _, err = f.ReadAt((*body.buf)[:size], 0); err != nil {
				err = corruptf("reading: %v", err)
			}
			r = bytes.NewReader((*body.buf)[:size])
		}
		var rec record
		if err == nil {
			rec, err = readHeader(r, size)
		}
		if err == nil && (rec.ns != ns || rec.key != key) {
			err = corruptf("header names %s/%q, want %s/%q", rec.ns, rec.key, ns, key)
		}
		if err != nil {
			body.Close()
			d.dropCorrupt(k, ns, key, p, fi, err)
			return Entry{}, nil, false
		}
		// Indexed and verified: only the recency to update (touch's
		// first branch never applies to an indexed node).
		if d.touchVerified(k, p, f, id) {
			body.off, body.n = rec.valueOff, size-rec.valueOff
			if body.buf != nil { // all in memory: the file is done with
				f.Close()
				body.f = nil
			}
			return rec.entry, body, true
		}
		// Replaced or dropped since isVerified: read it in full below,
		// from f, which stays open; only the buffer goes back.
		body.f = nil
		body.Close()
	}
	defer f.Close()
	e, ok := d.readVerified(f, fi, k, ns, key, p)
	if ok {
		d.markVerified(k, p, fi, id)
	}
	return e, nil, ok
}

func (d *diskTier) isVerified(k idxKey, id fileID) bool {
	d.mu.Lock()
	n := d.idx[k]
	ok := n != nil && !n.dead && n.verified == id
	d.unlock()
	return ok
}

// markVerified records that the file fi, open by the caller and fully
// verified, is the entry at p, if it still is (under mu, so that no
// install or removal interleaves).
func (d *diskTier) markVerified(k idxKey, p string, fi os.FileInfo, id fileID) {
	d.mu.Lock()
	defer d.unlock()
	n := d.idx[k]
	if n == nil || n.dead {
		return
	}
	if cur, err := os.Lstat(p); err == nil && os.SameFile(cur, fi) {
		n.verified = id
	}
}

// touchVerified is touch for a streamed hit: it updates the recency of k's
// node if that node still records id as verified, and reports whether it
// did. When it refreshes the file's mtime (which moves its change time) it
// records the file's new identity, read from the open f.
func (d *diskTier) touchVerified(k idxKey, p string, f *os.File, id fileID) bool {
	now := time.Now().UnixNano()
	d.mu.Lock()
	n := d.idx[k]
	if n == nil || n.verified != id {
		d.unlock()
		return false
	}
	n.atime = now
	d.moveToFront(n)
	refresh := now-n.persisted > int64(d.touchInterval())
	if refresh {
		n.persisted = now
	}
	d.unlock()
	if refresh {
		t := time.Unix(0, now)
		// Best effort, as in touch; by f's descriptor would need x/sys, so
		// by path: if p is another file by now, f's identity is unchanged
		// and the mark stays as it was.
		os.Chtimes(p, t, t)
		if fi, err := f.Stat(); err == nil {
			if nid, ok := fileid.Of(fi); ok && nid != id {
				d.mu.Lock()
				if n := d.idx[k]; n != nil && n.verified == id {
					n.verified = nid
				}
				d.unlock()
			}
		}
	}
	return true
}
