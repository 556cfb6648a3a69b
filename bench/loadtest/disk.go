package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A tmpfs mounted on the disk-cache folder gives phase 6 a real full disk
// (ENOSPC) and a real read-only one (EROFS). Mounting needs root (or
// CAP_SYS_ADMIN); without it the phase falls back to replacing the folder
// by a regular file, as before.

type tmpfsMount struct {
	dir  string
	size string
	mu   sync.Mutex
	up   bool // mounted and not yet unmounted
}

// mountTmpfs mounts a tmpfs of the given size (mount(8) syntax: 12m) on
// dir, which must exist and be empty.
func mountTmpfs(dir, size string) (*tmpfsMount, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("not root (euid %d)", os.Geteuid())
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0755"); err != nil {
		return nil, fmt.Errorf("mount -t tmpfs -o size=%s tmpfs %s: %w", size, dir, err)
	}
	return &tmpfsMount{dir: dir, size: size, up: true}, nil
}

// remountRO is `mount -o remount,ro`. A remount fails with EBUSY while a
// file is open for writing, so it is retried for a few seconds.
func (m *tmpfsMount) remountRO() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	for i := 0; i < 50; i++ {
		err = syscall.Mount("tmpfs", m.dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, "size="+m.size)
		if !errors.Is(err, syscall.EBUSY) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("mount -o remount,ro %s: %w", m.dir, err)
	}
	return nil
}

// unmount unmounts the tmpfs (lazily when it is busy). Safe to call twice.
func (m *tmpfsMount) unmount() (lazy bool, err error) {
	if m == nil {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.up {
		return false, nil
	}
	err = syscall.Unmount(m.dir, 0)
	if errors.Is(err, syscall.EBUSY) {
		lazy = true
		err = syscall.Unmount(m.dir, syscall.MNT_DETACH)
	}
	if err == nil {
		m.up = false
	}
	return lazy, err
}

// diskFree returns the free bytes (for unprivileged users) and the size of
// the file system holding dir.
func diskFree(dir string) (free, size int64) {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return -1, -1
	}
	return int64(st.Bavail) * st.Bsize, int64(st.Blocks) * st.Bsize
}

// fillDisk appends to name until the file system reports ENOSPC and
// returns how many bytes went in. Another error is returned as is.
func fillDisk(name string) (int64, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return 0, nil
		}
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	var n int64
	for n < 1<<30 { // bounded: a tmpfs that never fills is an error
		w, err := f.Write(buf)
		n += int64(w)
		if err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return n, nil
			}
			return n, err
		}
	}
	return n, errors.New("no ENOSPC after 1 GiB: is the cache folder really on the small tmpfs?")
}

// fillFile writes n bytes to f (tmpfs only allocates pages on write).
func fillFile(f *os.File, n int64) (int64, error) {
	if _, err := f.Seek(0, 0); err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	var w int64
	for w < n {
		k := min(int64(len(buf)), n-w)
		m, err := f.Write(buf[:k])
		w += int64(m)
		if err != nil {
			return w, err
		}
	}
	return w, nil
}

// mountedAt reports whether /proc/self/mounts lists a mount on dir, with its
// options ("rw,nosuid,...").
func mountedAt(dir string) (bool, string) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false, ""
	}
	abs, _ := filepath.Abs(dir)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && f[1] == abs {
			return true, f[2] + " " + f[3]
		}
	}
	return false, ""
}

func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
