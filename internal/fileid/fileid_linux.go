package fileid

import (
	"os"
	"syscall"
)

// Of returns fi's ID; ok is false when fi carries no stat of its own.
func Of(fi os.FileInfo) (id ID, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ID{}, false
	}
	return ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: fi.Size(), Ctime: st.Ctim.Nano()}, true
}
