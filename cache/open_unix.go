//go:build unix

package cache

import (
	"os"
	"syscall"
)

// openRead opens an entry file for reading. Unlike os.Open it does not
// offer the descriptor to the runtime's poller, which on Linux costs four
// more system calls per open (non-blocking on, epoll_ctl refused for a
// regular file, non-blocking off) for nothing: reads of a regular file
// block either way. A disk hit opens one or two files; here that is a
// measurable share of its time (bench/PROFILE.md, scenario g).
func openRead(p string) (*os.File, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}
