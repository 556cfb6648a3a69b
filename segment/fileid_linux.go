package segment

import (
	"os"
	"syscall"
)

// fileChange is what changes when a file's content may have: its device,
// inode and change time. Unlike the modification time, the change time
// cannot be set back (touch -r, an archive's extraction), and a file
// renamed over the path has another inode.
func fileChange(fi os.FileInfo) [3]int64 {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return [3]int64{}
	}
	return [3]int64{int64(st.Dev), int64(st.Ino), st.Ctim.Nano()}
}
