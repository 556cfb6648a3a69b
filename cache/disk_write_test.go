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

// A write dropped by the queue's byte limit supersedes the key's older
// value all the same: neither the older write still queued nor an older
// entry already on disk is answered after it (the memory tier, when there
// is one, holds the new value; the disk must not bring back the old one).
func TestDroppedWriteSupersedesTheOlderValue(t *testing.T) {
	g := newGate()
	sink := &errSink{}
	c := newCache(t, Options{MemoryMaxBytes: -1, DiskPath: t.TempDir(), DiskWriters: 1, DiskQueueMaxBytes: 150 << 10, OnError: sink.add,
		hooks: &testHooks{beforeWrite: func(_, key string) error {
			if key == "blocker" {
				g.wait()
			}
			return nil
		}}})
	t.Cleanup(g.open)
	waitIndex(t, c)
	c.Set("result", "on-disk", mkEntry(1000, "v0"))
	c.Flush()
	if _, _, ok := c.Get("result", "on-disk"); !ok {
		t.Fatal("first value not written")
	}

	c.Set("result", "blocker", mkEntry(100, ""))
	<-g.reached                                        // the only writer holds the blocker
	c.Set("result", "queued", mkEntry(60<<10, "v1"))   // queued behind it
	c.Set("result", "queued", mkEntry(100<<10, "v2"))  // over the byte limit: dropped
	c.Set("result", "on-disk", mkEntry(100<<10, "v2")) // dropped too
	g.open()
	c.Flush()
	for _, key := range []string{"queued", "on-disk"} {
		if e, _, ok := c.Get("result", key); ok {
			t.Errorf("%s: answered %q (%d bytes) after a newer write of it was dropped", key, e.Tag, len(e.Value))
		}
	}
	if s := c.Stats(); s.DiskWritesDropped != 2 {
		t.Errorf("DiskWritesDropped %d, want 2", s.DiskWritesDropped)
	}
	for _, err := range sink.list() {
		t.Errorf("unexpected error: %v", err)
	}
}
