package cache

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A write becomes visible only by the rename of a complete temp file: while
// the writer is paused just before the rename, the temp file already holds
// every byte of the entry, and readers see the previous entry (or a miss),
// never a partial one.
func TestDiskWriteIsAtomic(t *testing.T) {
	g := newGate()
	var armed atomic.Bool
	var tmpPath atomic.Value
	c := newCache(t, Options{MemoryMaxBytes: -1, DiskPath: t.TempDir(), DiskWriters: 1, hooks: &testHooks{
		beforeRename: func(tmp string) {
			if armed.Load() {
				tmpPath.Store(tmp)
				g.wait()
			}
		},
	}})
	t.Cleanup(g.open)
	waitIndex(t, c)
	final := entryFile(c, "result", "k")
	oldE, newE := mkEntry(3000, "old"), mkEntry(5000, "new")
	oldE.Created = time.Unix(1700000000, 0) // so that the expected bytes are known

	// First write of the key: nothing is at the final path until the rename.
	armed.Store(true)
	c.Set("result", "k", oldE)
	<-g.reached
	tmp := tmpPath.Load().(string)
	if filepath.Dir(tmp) != filepath.Dir(final) {
		t.Fatalf("temp file %s not in the entry's directory %s (rename would not be atomic)", tmp, filepath.Dir(final))
	}
	wantTmp, _ := encodeEntry("result", "k", &oldE)
	if got, err := os.ReadFile(tmp); err != nil || !bytes.Equal(got, wantTmp) {
		t.Fatalf("temp file incomplete before the rename: %d of %d bytes, %v", len(got), len(wantTmp), err)
	}
	if _, err := os.Stat(final); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("final path exists before the rename: %v", err)
	}
	if _, _, ok := c.Get("result", "k"); ok {
		t.Fatal("entry served before the rename")
	}
	armed.Store(false)
	g.open()
	c.Flush()
	if e, _, ok := c.Get("result", "k"); !ok || e.Tag != "old" {
		t.Fatalf("after the rename: ok=%v tag=%q", ok, e.Tag)
	}

	// Overwrite: the old entry is served, whole, until the new one replaces it.
	g = newGate()
	t.Cleanup(g.open)
	armed.Store(true)
	c.Set("result", "k", newE)
	<-g.reached
	if e, _, ok := c.Get("result", "k"); !ok || e.Tag != "old" || !bytes.Equal(e.Value, oldE.Value) {
		t.Fatalf("during the overwrite: ok=%v tag=%q len=%d", ok, e.Tag, len(e.Value))
	}
	armed.Store(false)
	g.open()
	c.Flush()
	if e, _, ok := c.Get("result", "k"); !ok || e.Tag != "new" || !bytes.Equal(e.Value, newE.Value) {
		t.Fatalf("after the overwrite: ok=%v tag=%q len=%d", ok, e.Tag, len(e.Value))
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temp file left behind: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(final))
	if len(ents) != 1 {
		t.Fatalf("shard directory holds %d files, want only the entry", len(ents))
	}
	if s := c.Stats(); s.DiskWrites != 2 || s.DiskEntries != 1 || s.DiskWriteErrors != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A write cancelled while its temp file is complete (here: by a Delete) is
// not renamed into place, and its temp file is removed.
func TestDiskCancelledWriteNotInstalled(t *testing.T) {
	g := newGate()
	var tmpPath atomic.Value
	c, sink := diskOnly(t, t.TempDir(), 1<<20, &testHooks{
		beforeRename: func(tmp string) { tmpPath.Store(tmp); g.wait() },
	})
	t.Cleanup(g.open)
	c.Set("result", "k", mkEntry(100, ""))
	<-g.reached
	if err := c.Delete("result", "k"); err != nil {
		t.Fatal(err)
	}
	g.open()
	c.Flush()
	if _, err := os.Stat(entryFile(c, "result", "k")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("cancelled write installed: %v", err)
	}
	if _, err := os.Stat(tmpPath.Load().(string)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temp file of a cancelled write left behind: %v", err)
	}
	if s := c.Stats(); s.DiskEntries != 0 || s.DiskWriteErrors != 0 {
		t.Fatalf("stats %+v", s)
	}
	if errs := sink.list(); len(errs) != 0 {
		t.Fatal(errs)
	}
}
