package cache

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/durable"
)

// syncRecorder records the disk tier's directory fsyncs, and whether a
// watched path existed at each.
type syncRecorder struct {
	mu    sync.Mutex
	watch string
	calls []syncCall
}

type syncCall struct {
	dir          string
	watchExisted bool
}

func (r *syncRecorder) hooks() *testHooks {
	h := &testHooks{}
	h.fs.SyncDirFunc = func(dir string) error {
		r.mu.Lock()
		_, err := os.Lstat(r.watch)
		r.calls = append(r.calls, syncCall{dir, err == nil})
		r.mu.Unlock()
		return (*durable.FS)(nil).SyncDir(dir)
	}
	return h
}

// start forgets the calls so far and watches p.
func (r *syncRecorder) start(p string) {
	r.mu.Lock()
	r.watch, r.calls = p, nil
	r.mu.Unlock()
}

// synced reports whether dir was fsynced since start while the watched
// path existed (exists) or not.
func (r *syncRecorder) synced(dir string, exists bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c.dir == dir && c.watchExisted == exists {
			return true
		}
	}
	return false
}

// TestDiskRemovalsSynced: a write, a Delete and every purge fsync the
// directory whose entries they changed, after the change, before they
// return (durability contract in disk_purge.go). A crash cannot be staged
// in a test: the recorded fsyncs stand in.
func TestDiskRemovalsSynced(t *testing.T) {
	cases := []struct {
		name   string
		remove func(c *Cache) error
		root   bool // root is synced (a namespace renamed), not the shard
	}{
		{"delete", func(c *Cache) error { return c.Delete("result", "k") }, false},
		{"purge tag", func(c *Cache) error { return c.PurgeTag("t") }, false},
		{"purge", func(c *Cache) error { return c.Purge("result") }, true},
		{"purge all", func(c *Cache) error { return c.PurgeAll() }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var r syncRecorder
			c, _ := diskOnly(t, dir, 1<<20, r.hooks())
			p := entryFile(c, "result", "k")
			r.start(p)
			c.Set("result", "k", mkEntry(100, "t"))
			c.Flush()
			if !r.synced(filepath.Dir(p), true) {
				t.Fatal("the write did not fsync the entry's directory after the rename")
			}
			want, watch := filepath.Dir(p), p
			if tc.root {
				want, watch = dir, filepath.Join(dir, "result")
			}
			r.start(watch)
			if err := tc.remove(c); err != nil {
				t.Fatal(err)
			}
			if !r.synced(want, false) {
				t.Fatalf("%s did not fsync %s once %s was gone", tc.name, want, watch)
			}
		})
	}
}

// TestFsyncOutsidePurgeMu: a Delete's directory fsync runs after the purge
// lock is released, so a flight of an unrelated key stores its result
// meanwhile (from the review of ae3b154).
func TestFsyncOutsidePurgeMu(t *testing.T) {
	dir := t.TempDir()
	var block atomic.Bool
	reached := make(chan struct{}, 1)
	release := make(chan struct{})
	h := &testHooks{}
	h.fs.SyncDirFunc = func(d string) error {
		if block.Load() {
			select {
			case reached <- struct{}{}:
			default:
			}
			<-release
		}
		return (*durable.FS)(nil).SyncDir(d)
	}
	c, _ := diskOnly(t, dir, 1<<20, h)
	c.Set("result", "k", mkEntry(100, ""))
	c.Flush()
	block.Store(true)
	deleted := make(chan error, 1)
	go func() { deleted <- c.Delete("result", "k") }()
	<-reached
	done := make(chan struct{})
	go func() {
		c.Do(context.Background(), "result", "other", func(context.Context) (Entry, bool, error) { return mkEntry(10, ""), true, nil })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		close(release)
		t.Fatal("Do of an unrelated key blocked for 1s behind a Delete's directory fsync")
	}
	select {
	case err := <-deleted:
		t.Fatalf("Delete returned (%v) before its directory fsync", err)
	default:
	}
	block.Store(false)
	close(release)
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
}

// TestDeleteSyncsRootAfterConcurrentPurge: a namespace renamed to the
// trash between a Delete's unlink and its directory fsync takes the
// unlinked-in directory out of reach by path, so the Delete fsyncs root
// too (syncDirs): the rename, not the unlink, is what keeps the entry from
// coming back after a crash.
func TestDeleteSyncsRootAfterConcurrentPurge(t *testing.T) {
	dir := t.TempDir()
	var shard atomic.Value
	shard.Store("")
	reached := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var after []string // fsyncs once released
	released := false
	h := &testHooks{}
	h.fs.SyncDirFunc = func(d string) error {
		if d == shard.Load().(string) {
			close(reached)
			<-release
		}
		mu.Lock()
		if released {
			after = append(after, d)
		}
		mu.Unlock()
		return (*durable.FS)(nil).SyncDir(d)
	}
	c, _ := diskOnly(t, dir, 1<<20, h)
	c.Set("result", "k", mkEntry(100, ""))
	c.Flush()
	shard.Store(filepath.Dir(entryFile(c, "result", "k")))
	deleted := make(chan error, 1)
	go func() { deleted <- c.Delete("result", "k") }()
	<-reached
	shard.Store("")
	if err := c.Purge("result"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	released = true
	mu.Unlock()
	close(release)
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(after, dir) {
		t.Fatalf("fsyncs after the Delete's shard fsync: %q, want root %s", after, dir)
	}
}

// TestDroppedWriteNoFsync: the older value that a dropped write deletes
// (dropSuperseded, on the request path, under the purge lock's read side)
// is unlinked without a directory fsync: no purge depends on it.
func TestDroppedWriteNoFsync(t *testing.T) {
	dir := t.TempDir()
	var r syncRecorder
	c, _ := diskOnly(t, dir, 1<<10, r.hooks())
	p := entryFile(c, "result", "k")
	c.Set("result", "k", mkEntry(100, ""))
	c.Flush()
	r.start(p)
	c.Set("result", "k", mkEntry(2<<10, "")) // larger than the tier: dropped
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Fatalf("the older value is still on disk (%v)", err)
	}
	if r.synced(filepath.Dir(p), false) {
		t.Fatal("a dropped write fsynced the directory of the value it deleted")
	}
}
