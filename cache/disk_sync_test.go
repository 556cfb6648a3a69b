package cache

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

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
