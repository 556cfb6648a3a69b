package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// unlinkFaults makes the disk tier's unlinks of chosen paths, and while
// renames is set every rename of a namespace directory, fail with EACCES.
type unlinkFaults struct {
	mu      sync.Mutex
	paths   map[string]bool
	renames bool
}

func (f *unlinkFaults) set(renames bool, paths ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renames = renames
	f.paths = make(map[string]bool)
	for _, p := range paths {
		f.paths[p] = true
	}
}

func (f *unlinkFaults) hooks() *testHooks {
	h := &testHooks{}
	h.fs.RemoveFunc = func(p string) error {
		f.mu.Lock()
		fail := f.paths[p]
		f.mu.Unlock()
		if fail {
			return &os.PathError{Op: "remove", Path: p, Err: syscall.EACCES}
		}
		return os.Remove(p)
	}
	h.fs.RenameFunc = func(from, to string) error {
		f.mu.Lock()
		fail := f.renames
		f.mu.Unlock()
		if fail {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EACCES}
		}
		return os.Rename(from, to)
	}
	return h
}

// checkAccounted fails t unless the tier counts exactly the entry files on
// disk.
func checkAccounted(t *testing.T, c *Cache, dir string) {
	t.Helper()
	total, n := diskUsage(t, dir)
	if s := c.Stats(); s.DiskBytes != total || s.DiskEntries != int64(n) {
		t.Fatalf("the index counts %d files, %d bytes; %d files, %d bytes on disk", s.DiskEntries, s.DiskBytes, n, total)
	}
}

// TestDiskFailedUnlinkOnEviction: an evicted entry whose unlink fails stays
// counted (its file is still on disk), the eviction goes on with the next
// entry, and the next eviction removes it.
func TestDiskFailedUnlinkOnEviction(t *testing.T) {
	dir := t.TempDir()
	e := mkEntry(1000, "")
	limit := roomFor(2, e)
	var f unlinkFaults
	c, sink := diskOnly(t, dir, limit, f.hooks())
	for i := range 2 {
		c.Set("result", fmt.Sprintf("k%d", i), e)
		c.Flush()
	}
	f.set(false, entryFile(c, "result", "k0"))
	c.Set("result", "k2", e) // evicts k0, which stays, so k1 too
	c.Flush()
	checkAccounted(t, c, dir)
	if _, err := os.Stat(entryFile(c, "result", "k1")); err == nil {
		t.Fatal("k1 not evicted while k0's file could not be removed")
	}
	if len(sink.list()) == 0 {
		t.Fatal("the failed unlink was not reported")
	}
	f.set(false)
	c.Set("result", "k3", e) // evicts k0 (for good now); k2 and k3 stay
	c.Flush()
	checkAccounted(t, c, dir)
	if _, err := os.Stat(entryFile(c, "result", "k0")); err == nil {
		t.Fatal("k0's file outlived the next eviction")
	}
	if s := c.Stats(); s.DiskBytes > limit || s.DiskEntries != 2 || s.DiskEvictions != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// TestDiskFailedUnlinkOnRemoval: when a delete, a purge or the removal of
// a corrupt file cannot unlink the entry's file, the entry is not served,
// its bytes stay counted, and the next removal that succeeds ends it.
func TestDiskFailedUnlinkOnRemoval(t *testing.T) {
	cases := []struct {
		name    string
		renames bool // namespace renames fail too
		remove  func(c *Cache) error
		wantErr bool
	}{
		{"delete", false, func(c *Cache) error { return c.Delete("result", "k") }, true},
		{"purge tag", false, func(c *Cache) error { return c.PurgeTag("t") }, true},
		{"purge, rename failing", true, func(c *Cache) error { return c.Purge("result") }, true},
		{"purge all, rename failing", true, func(c *Cache) error { return c.PurgeAll() }, true},
		{"corrupt", false, func(c *Cache) error {
			p := entryFile(c, "result", "k")
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 1
			if err := os.WriteFile(p, b, 0o600); err != nil {
				return err
			}
			if _, _, ok := c.Get("result", "k"); ok {
				return errors.New("corrupt entry served")
			}
			return nil
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var f unlinkFaults
			c, _ := diskOnly(t, dir, 1<<20, f.hooks())
			c.Set("result", "k", mkEntry(100, "t"))
			c.Set("result", "other", mkEntry(100, ""))
			c.Flush()
			p := entryFile(c, "result", "k")
			f.set(tc.renames, p)
			if err := tc.remove(c); (err != nil) != tc.wantErr {
				t.Fatalf("removal: error %v, want one: %v", err, tc.wantErr)
			}
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("the file whose unlink failed is gone: %v", err)
			}
			if _, _, ok := c.Get("result", "k"); ok {
				t.Fatal("a removed entry whose unlink failed is served")
			}
			checkAccounted(t, c, dir)
			f.set(false)
			if err := c.Delete("result", "k"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(p); err == nil {
				t.Fatal("the file outlived a Delete that could unlink it")
			}
			checkAccounted(t, c, dir)
		})
	}
}

// TestPurgeDuringScanRenameFails: a namespace purged during the startup
// scan whose directory could not be renamed to the trash still has its
// files at their paths; the scan removes those it found instead of
// skipping them, so none is served (indexed by a Get) once the scan is
// over.
func TestPurgeDuringScanRenameFails(t *testing.T) {
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprintf("all=%v", all), func(t *testing.T) {
			dir := t.TempDir()
			seeded(t, dir, mkEntry(100, ""))
			h := &testHooks{}
			h.fs.RenameFunc = func(from, to string) error {
				return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EACCES}
			}
			c, g := scanBlocked(t, Options{MemoryMaxBytes: -1, DiskPath: dir, DiskMaxBytes: 1 << 20, hooks: h})
			<-g.reached
			purge := func() error { return c.Purge("result") }
			if all {
				purge = c.PurgeAll
			}
			if err := purge(); err == nil {
				t.Fatal("purge with a failing rename returned no error")
			}
			g.open()
			waitIndex(t, c)
			if _, _, ok := c.Get("result", "k"); ok {
				t.Fatal("an entry purged (rename failed) during the scan is served after the scan")
			}
			if _, err := os.Lstat(entryFile(c, "result", "k")); !os.IsNotExist(err) {
				t.Fatalf("the purged entry's file is still there (%v)", err)
			}
		})
	}
}

// TestPurgeTagReachesOtherCacheOnDir: two Caches on one directory, as
// during a Caddy reload (the new generation opens and scans before the old
// one's last writes land). A purge by tag in either must remove what the
// other wrote: it is in the other's index only, or, once the other has
// closed, in nobody's unless the closing one hands its index over.
func TestPurgeTagReachesOtherCacheOnDir(t *testing.T) {
	for _, closed := range []bool{true, false} {
		t.Run(fmt.Sprintf("old generation closed %v", closed), func(t *testing.T) {
			dir := t.TempDir()
			newGen, _ := diskOnly(t, dir, 1<<20, nil)
			oldGen, _ := diskOnly(t, dir, 1<<20, nil)
			oldGen.Set("result", "k", Entry{Value: []byte("old"), Tag: "src"})
			oldGen.Set("result", "keep", Entry{Value: []byte("other source"), Tag: "other"})
			oldGen.Flush()
			if closed {
				oldGen.Close()
			}
			if err := newGen.PurgeTag("src"); err != nil {
				t.Fatal(err)
			}
			if e, _, ok := newGen.Get("result", "k"); ok {
				t.Fatalf("newGen.Get after the purge = %q: the purged entry was served", e.Value)
			}
			if !closed {
				if e, _, ok := oldGen.Get("result", "k"); ok {
					t.Fatalf("oldGen.Get after newGen's purge = %q", e.Value)
				}
			}
			if _, err := os.Stat(newGen.disk.path(idxKey{ns: "result", h: hashKey("k")})); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("purged file still there: %v", err)
			}
			if e, _, ok := newGen.Get("result", "keep"); !ok || string(e.Value) != "other source" {
				t.Fatalf("another tag's entry: %q %v, want it kept", e.Value, ok)
			}
		})
	}
}

// TestScanMissedFilesNotServed: a scan that cannot list a directory or
// open an entry file leaves the file unindexed, where no purge by tag
// finds it. It is reported, and such a file is not served once the scan
// is over (a miss: the next write replaces it).
func TestScanMissedFilesNotServed(t *testing.T) {
	eacces := &os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}
	for _, tc := range []struct {
		name  string
		hooks func(file string) *testHooks
	}{
		{"directory not listed", func(file string) *testHooks {
			return &testHooks{readDir: func(dir string) ([]os.DirEntry, error) {
				if dir == filepath.Dir(file) {
					return nil, eacces
				}
				return os.ReadDir(dir)
			}}
		}},
		{"file not opened", func(file string) *testHooks {
			return &testHooks{scanOpen: func(p string) error {
				if p == file {
					return eacces
				}
				return nil
			}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first, _ := diskOnly(t, dir, 1<<20, nil)
			first.Set("result", "k", Entry{Value: []byte("old"), Tag: "src"})
			first.Flush()
			first.Close()
			file := first.disk.path(idxKey{ns: "result", h: hashKey("k")})
			c, sink := diskOnly(t, dir, 1<<20, tc.hooks(file))
			if e, _, ok := c.Get("result", "k"); ok {
				t.Fatalf("Get = %q: a file the scan missed was served", e.Value)
			}
			var de *DiskError
			if errs := sink.list(); len(errs) == 0 || !errors.As(errs[0], &de) || de.Op != "scan" {
				t.Fatalf("errors %v, want the scan's reported", errs)
			}
			c.Set("result", "k", Entry{Value: []byte("new"), Tag: "src"})
			c.Flush()
			if e, _, ok := c.Get("result", "k"); !ok || string(e.Value) != "new" {
				t.Fatalf("Get after a new write = %q %v, want new", e.Value, ok)
			}
			c.Close()

			// With a shared tier, a purge by tag after such a scan is told
			// as failed (Shared.PurgePending): a restart must not take the
			// files the scan missed as purged.
			fs := newFakeShared()
			h := tc.hooks(file)
			sc := newCache(t, Options{MemoryMaxBytes: -1, DiskPath: dir, Shared: fs, hooks: h})
			waitIndex(t, sc)
			if err := sc.PurgeTag("other"); err != nil {
				t.Fatal(err)
			}
			if holds, failed := fs.pending(); holds != 0 || failed != 1 {
				t.Fatalf("after a PurgeTag: %d holds, %d failed; want 0, 1", holds, failed)
			}
		})
	}
}

// otherDirPurges are the purges through one Cache that must reach the
// other Caches open on its directory.
var otherDirPurges = []struct {
	name  string
	purge func(*Cache) error
}{
	{"Delete", func(c *Cache) error { return c.Delete("result", "k") }},
	{"Purge", func(c *Cache) error { return c.Purge("result") }},
	{"PurgeAll", (*Cache).PurgeAll},
	{"PurgeTag", func(c *Cache) error { return c.PurgeTag("src") }},
}

// TestPurgeRefusesOtherCacheOnDirStores: during a Caddy reload the old
// generation's Cache still computes results that it stores into the
// directory the new generation purges. A store that began on the old one
// before a purge through the new one, and finishes after it, must be
// refused as one of the new Cache's own would be: else the old Cache
// serves it from memory, and either serves it from disk.
func TestPurgeRefusesOtherCacheOnDirStores(t *testing.T) {
	stores := []struct {
		name string
		// store begins a store of result/k on c, runs purge once the
		// store has begun, and returns once the store is over.
		store func(t *testing.T, c *Cache, purge func())
	}{
		{"SetSince", func(t *testing.T, c *Cache, purge func()) {
			gen := c.Generation()
			purge()
			c.SetSince(gen, "result", "k", Entry{Value: []byte("old"), Tag: "src"})
		}},
		{"Do", func(t *testing.T, c *Cache, purge func()) {
			started, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				_, _, err := c.Do(context.Background(), "result", "k", func(context.Context) (Entry, bool, error) {
					close(started)
					<-release
					return Entry{Value: []byte("old"), Tag: "src"}, true, nil
				})
				done <- err
			}()
			<-started
			purge()
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range stores {
		for _, p := range otherDirPurges {
			t.Run(s.name+"/"+p.name, func(t *testing.T) {
				dir := t.TempDir()
				oldGen := newCache(t, Options{DiskPath: dir})
				waitIndex(t, oldGen)
				newGen := newCache(t, Options{DiskPath: dir})
				waitIndex(t, newGen)
				s.store(t, oldGen, func() {
					if err := p.purge(newGen); err != nil {
						t.Fatal(err)
					}
				})
				oldGen.Flush()
				for name, c := range map[string]*Cache{"old": oldGen, "new": newGen} {
					if e, tier, ok := c.Get("result", "k"); ok {
						t.Errorf("%s generation serves %q from %v: stored after the purge through the new one", name, e.Value, tier)
					}
				}
				if _, err := os.Stat(entryFile(newGen, "result", "k")); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the entry file is on disk: %v", err)
				}
				if n := oldGen.Stats().StaleSkipped; n != 1 {
					t.Errorf("old generation's StaleSkipped %d, want 1", n)
				}
			})
		}
	}
}

// TestPurgeCancelsOtherCacheOnDirQueuedWrite: a write queued in the old
// generation's disk tier before a purge through the new one must not be
// renamed into place after it (a Delete, Purge or PurgeAll unlinks or
// renames by path, which a later rename undoes).
func TestPurgeCancelsOtherCacheOnDirQueuedWrite(t *testing.T) {
	for _, p := range otherDirPurges {
		t.Run(p.name, func(t *testing.T) {
			dir := t.TempDir()
			g := newGate()
			oldGen, _ := diskOnly(t, dir, 1<<20, &testHooks{beforeWrite: func(ns, key string) error {
				g.wait()
				return nil
			}})
			t.Cleanup(g.open) // before oldGen's Close, which waits for its writer
			newGen, _ := diskOnly(t, dir, 1<<20, nil)
			oldGen.Set("result", "k", Entry{Value: []byte("old"), Tag: "src"})
			<-g.reached // the old generation's writer has the write
			if err := p.purge(newGen); err != nil {
				t.Fatal(err)
			}
			g.open()
			oldGen.Flush()
			if e, _, ok := newGen.Get("result", "k"); ok {
				t.Fatalf("new generation serves %q, written by the old one after the purge", e.Value)
			}
			if _, err := os.Stat(entryFile(newGen, "result", "k")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the entry file is on disk: %v", err)
			}
		})
	}
}
