package cache

import (
	"os"
	"syscall"
)

// fileIDOf returns fi's device, inode, size and change time.
func fileIDOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), size: fi.Size(), ctime: st.Ctim.Nano()}, true
}
