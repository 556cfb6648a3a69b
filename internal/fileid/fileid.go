// Package fileid names a file's contents as of one stat, where the system
// gives the means: its device, inode, size and change time. A file
// written in place changes its change time (which, unlike the
// modification time, cannot be set back), and one renamed over the path
// has another inode, so an equal ID means the same contents in practice.
package fileid

// ID identifies a file's contents as of one stat; the zero ID names none.
type ID struct {
	Dev, Ino    uint64
	Size, Ctime int64
}
