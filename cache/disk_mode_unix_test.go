//go:build unix

package cache

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The modes are pinned here as literals on purpose: the test must fail if
// someone widens privateFileMode/privateDirMode.
const (
	wantFileMode fs.FileMode = 0o600
	wantDirMode  fs.FileMode = 0o700
)

// modeLog records the permission bits of every file and directory it is
// shown; hooks add to it from the writer and purge goroutines.
type modeLog struct {
	mu    sync.Mutex
	modes map[string]fs.FileMode // path → mode.Perm(), with a trailing "/" for directories
}

func (l *modeLog) walk(t *testing.T, root string) {
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := de.Info()
		if err != nil {
			return err
		}
		if fi.IsDir() {
			p += "/"
		}
		l.mu.Lock()
		l.modes[p] = fi.Mode().Perm()
		l.mu.Unlock()
		return nil
	})
	if err != nil {
		t.Errorf("walking %s: %v", root, err)
	}
}

// Everything the disk tier creates (parents of the root, the root, the
// marker, namespace and shard directories, temp files, entries, trash
// directories) is private to the owner, whatever the umask: 0 would let a
// 0644/0755 slip through, 0277 would leave 0400/0500 without the explicit
// chmods.
func TestDiskFileModes(t *testing.T) {
	for _, umask := range []int{0o000, 0o277} {
		t.Run(fmt.Sprintf("umask %04o", umask), func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "parent", "cache")
			old := syscall.Umask(umask)
			t.Cleanup(func() { syscall.Umask(old) })

			seen := &modeLog{modes: map[string]fs.FileMode{}}
			sink := &errSink{}
			c := newCache(t, Options{MemoryMaxBytes: -1, DiskPath: root, DiskWriters: 1, OnError: sink.add, hooks: &testHooks{
				// One writer, scan done: nothing else changes the tree meanwhile.
				beforeRename:       func(string) { seen.walk(t, root) },
				beforeTrashRemoval: func(trash string) { seen.walk(t, trash) },
			}})
			waitIndex(t, c)
			c.Set("result", "k1", mkEntry(100, "t"))
			c.Set("mask", "k2", mkEntry(100, ""))
			c.Flush()
			if _, _, ok := c.Get("result", "k1"); !ok {
				t.Fatal("entry not written")
			}
			if err := c.Purge("mask"); err != nil {
				t.Fatal(err)
			}
			c.Close() // waits for the trash removal
			seen.walk(t, filepath.Join(base, "parent"))

			var kinds = map[string]int{}
			for p, perm := range seen.modes {
				want, kind := wantFileMode, "file"
				if strings.HasSuffix(p, "/") {
					want, kind = wantDirMode, "dir"
				}
				name := filepath.Base(p)
				switch {
				case strings.HasPrefix(name, tmpPrefix):
					kind = "temp file"
				case strings.HasPrefix(name, trashPrefix):
					kind = "trash dir"
				case name == markerName:
					kind = "marker"
				case kind == "file" && isHex(name, entryNameLen):
					kind = "entry"
				}
				kinds[kind]++
				if perm != want {
					t.Errorf("%s %s has mode %04o, want %04o", kind, p, perm, want)
				}
			}
			// parent, root, 2 namespaces × 3 levels, 1 trash at least.
			if kinds["temp file"] < 2 || kinds["entry"] < 1 || kinds["marker"] != 1 || kinds["trash dir"] < 1 || kinds["dir"] < 8 {
				t.Fatalf("the walks did not see every kind of path: %v", kinds)
			}
			if errs := sink.list(); len(errs) != 0 {
				t.Fatal(errs)
			}
		})
	}
}

// A directory left by an older version (0755 root and namespace
// directories) is tightened: the root by New, namespace directories by the
// startup scan. Its entries are still served.
func TestDiskTightensExistingDirectories(t *testing.T) {
	root := t.TempDir()
	c, _ := diskOnly(t, root, 1<<20, nil)
	c.Set("result", "k", mkEntry(100, ""))
	c.Flush()
	c.Close()
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}

	sink := &errSink{}
	c2, g := scanBlocked(t, Options{MemoryMaxBytes: -1, DiskPath: root, OnError: sink.add})
	if fi, err := os.Stat(root); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("root after New: %v %v", fi.Mode(), err)
	}
	g.open()
	waitIndex(t, c2)
	if fi, err := os.Stat(filepath.Join(root, "result")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("namespace dir after the scan: %v %v", fi.Mode(), err)
	}
	if _, _, ok := c2.Get("result", "k"); !ok {
		t.Fatal("old entry not served")
	}
	if errs := sink.list(); len(errs) != 0 {
		t.Fatal(errs)
	}
}
