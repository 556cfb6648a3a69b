package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reviewer's case: an operator deletes the cache folder while Matte
// runs. The next write must re-establish it with its marker, so that the
// next start (or a reload's new Cache) accepts the folder; before the fix
// the writer recreated root/result/... bare and New refused the folder
// ("refusing to use non-empty directory ... (no .matte-cache marker)").
func TestDiskRootDeletedWhileRunning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, sink := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "a", mkEntry(3000, "a"))
	c.Set("result", "c", mkEntry(3000, "c"))
	c.Flush()
	if s := c.Stats(); s.DiskEntries != 2 {
		t.Fatalf("before: %d entries", s.DiskEntries)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	c.Set("result", "b", mkEntry(3000, "b"))
	c.Flush()
	if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
		t.Fatalf("marker not re-established: %v", err)
	}
	if _, _, ok := c.Get("result", "b"); !ok {
		t.Fatal("entry written after the deletion not served")
	}
	// The entries deleted with the folder: a clean, counted miss, and no
	// longer in the index or its byte count.
	before := c.Stats().DiskMisses
	if _, _, ok := c.Get("result", "a"); ok {
		t.Fatal("deleted entry a served")
	}
	s := c.Stats()
	if s.DiskMisses != before+1 {
		t.Fatalf("miss not counted: %d -> %d", before, s.DiskMisses)
	}
	// c was never read: only the re-establishment can have dropped it.
	fi, err := os.Stat(entryFile(c, "result", "b"))
	if err != nil {
		t.Fatal(err)
	}
	if s.DiskEntries != 1 || s.DiskBytes != fi.Size() {
		t.Fatalf("index after the deletion: %d entries, %d bytes; want 1, %d", s.DiskEntries, s.DiskBytes, fi.Size())
	}
	if s.DiskWriteErrors != 0 {
		t.Fatalf("write errors: %d (%v)", s.DiskWriteErrors, sink.list())
	}
	c.Close()

	c2, err := New(Options{MemoryMaxBytes: -1, DiskPath: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer c2.Close()
	waitIndex(t, c2)
	if _, _, ok := c2.Get("result", "b"); !ok {
		t.Fatal("after restart: entry b lost")
	}
}

// The folder is emptied in place, marker included (find -delete), while a
// second Cache is open on it (a reload): both keep it a valid cache folder.
func TestDiskRootEmptiedInPlace(t *testing.T) {
	dir := t.TempDir()
	c, _ := diskOnly(t, dir, 1<<20, nil)
	c2, _ := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "a", mkEntry(3000, "a"))
	c.Flush()
	emptyDir(t, dir)
	c2.Set("result", "b", mkEntry(3000, "b"))
	c2.Flush()
	c.Set("other", "c", mkEntry(3000, "c"))
	c.Flush()
	if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
		t.Fatalf("marker not re-established: %v", err)
	}
	for _, cc := range []*Cache{c, c2} {
		if s := cc.Stats(); s.DiskWriteErrors != 0 {
			t.Fatalf("write errors: %d", s.DiskWriteErrors)
		}
	}
	c3, err := New(Options{MemoryMaxBytes: -1, DiskPath: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	c3.Close()
}

// The folder is replaced by a foreign, non-empty one at the same path: the
// tier must not write into it (nor purge it), reports that once, and
// resumes once the path is a usable cache folder again.
func TestDiskRootReplacedByForeignFolder(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "cache")
	c, sink := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "a", mkEntry(3000, "a"))
	c.Flush()
	if err := os.Rename(dir, filepath.Join(parent, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "result"), 0o755); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "result", "photo.jpg")
	if err := os.WriteFile(foreign, []byte("not ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	listing := func() []string {
		var names []string
		filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
			names = append(names, p)
			return nil
		})
		return names
	}
	want := strings.Join(listing(), "\n")

	c.Set("result", "b", mkEntry(3000, "b"))
	c.Set("result", "d", mkEntry(3000, "d"))
	c.Flush()
	if _, _, ok := c.Get("result", "a"); ok {
		t.Fatal("entry of the old folder served")
	}
	if err := c.Purge("result"); err != nil {
		t.Logf("purge: %v", err)
	}
	if err := c.PurgeAll(); err != nil {
		t.Logf("purge all: %v", err)
	}
	if got := strings.Join(listing(), "\n"); got != want {
		t.Fatalf("foreign folder changed:\n%s\nwant:\n%s", got, want)
	}
	var refused int
	for _, err := range sink.list() {
		if strings.Contains(err.Error(), "no "+markerName+" marker") {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("refusal reported %d times, want once: %v", refused, sink.list())
	}

	// The foreign folder goes away: writes resume, with the marker.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	c.Set("result", "e", mkEntry(3000, "e"))
	c.Flush()
	if _, _, ok := c.Get("result", "e"); !ok {
		t.Fatal("write after the folder came back not served")
	}
	if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
		t.Fatalf("marker: %v", err)
	}
}

// Emptied in place, then given a foreign file: the same directory, but no
// longer the tier's to write into.
func TestDiskRootEmptiedThenForeign(t *testing.T) {
	dir := t.TempDir()
	c, sink := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "a", mkEntry(3000, "a"))
	c.Flush()
	emptyDir(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Set("result", "b", mkEntry(3000, "b"))
	c.Flush()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("wrote into the foreign folder: %v", ents)
	}
	if s := c.Stats(); s.DiskWriteErrors != 1 || s.DiskEntries != 0 || s.DiskBytes != 0 {
		t.Fatalf("stats: %d write errors, %d entries, %d bytes; want 1, 0, 0 (%v)", s.DiskWriteErrors, s.DiskEntries, s.DiskBytes, sink.list())
	}
}

// emptyDir removes everything in dir, marker included, and keeps dir (as
// find dir -mindepth 1 -delete would).
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// Two writers race an operator's rm -rf: one (W1) makes its shard
// directory while the other (W2) re-establishes the root. Before the fix
// W1's mkdirBelow could create root/result/xx/ in the root W2 had just
// recreated, before W2 wrote the marker: W2 then found a non-empty folder
// without marker, refused it, and never accepted it again (nor did the
// next start).
//
// W1 is a writer of the same tier: its check and mkdir hold rootMu shared
// (writeInRoot), so W2's re-establishment cannot fall between them.
func TestDiskRootRaceOwnWriterNotRefused(t *testing.T) {
	testDiskRootRace(t, func(d *diskTier, k idxKey) error {
		err := d.lockRoot()
		if err == nil {
			err = mkdirBelow(d.root, d.shardDir(k))
		}
		d.rootMu.RUnlock()
		return err
	})
}

// W1 is a writer that checked the root elsewhere (another tier open on the
// folder, another instance): rootMu does not order it. The folder W2
// created itself is known to be ours: W2 marks it although W1's shard
// directory is in it already.
func TestDiskRootRaceOtherWriterNotRefused(t *testing.T) {
	testDiskRootRace(t, func(d *diskTier, k idxKey) error {
		return mkdirBelow(d.root, d.shardDir(k))
	})
}

func testDiskRootRace(t *testing.T, w1 func(*diskTier, idxKey) error) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, sink := diskOnly(t, dir, 1<<20, nil)
	defer c.Close()
	d := c.disk
	k := idxKey{ns: "result", h: hashKey("x")}
	for i := 0; i < 2000; i++ {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				if err := w1(d, k); err == nil || errors.Is(err, errRootRefused) {
					return
				}
			}
		}()
		err := d.ensureRoot() // W2
		<-done
		if err != nil {
			_, merr := os.Stat(filepath.Join(dir, markerName))
			c.Set("result", "y", mkEntry(3000, "y"))
			c.Flush()
			_, rerr := New(Options{MemoryMaxBytes: -1, DiskPath: dir})
			t.Fatalf("round %d: root refused: %v; marker: %v; write errors after: %d; restart: %v (%v)",
				i, err, merr, c.Stats().DiskWriteErrors, rerr, sink.list())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
		t.Fatalf("marker: %v", err)
	}
}

// The old marker alone is deleted (find -mtime +7 -delete), recent entries
// stay. Before the fix the next write's root check emptied the index, so
// PurgeTag found nothing and reported success, and the next Get indexed
// and served the surviving entry it should have purged.
func TestDiskRootPurgeTagAfterMarkerOnlyDeletion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, _ := diskOnly(t, dir, 1<<20, nil)
	defer c.Close()
	purgeTagAfterMarkerOnlyDeletion(t, c, dir)
	if _, _, ok := c.Get("result", "a"); ok {
		t.Fatal("entry tagged T served after PurgeTag(T) returned success")
	}
}

// As above, with a shared tier: it must not hear the purge as applied
// (Shared.PurgePending), since the surviving file is out of the purge's
// reach. Before the fix, a scan that had settled well made every later
// purge by tag count as applied.
func TestDiskRootPurgeTagAfterMarkerOnlyDeletionShared(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	fs := newFakeShared()
	c := newCache(t, Options{MemoryMaxBytes: -1, DiskPath: dir, Shared: fs})
	waitIndex(t, c)
	purgeTagAfterMarkerOnlyDeletion(t, c, dir)
	if holds, failed := fs.pending(); holds != 0 || failed != 1 {
		t.Fatalf("PurgeTag: %d holds, %d failed; want 0, 1", holds, failed)
	}
}

// The marker alone, or the whole folder, is deleted while the startup scan
// runs, after the scan found an entry and a purge by tag covered it (the
// scan is paused before its inserts). A write re-establishes the root and
// empties the index, and the scan discards what it found, without
// removing the purged file. Before the fix the purge was told applied to
// the shared tier (scan settled ok), and with the marker alone deleted a
// Get after the scan indexed and served the purged file.
func TestDiskRootChangedDuringScanPurgeTag(t *testing.T) {
	for _, tc := range []struct {
		name   string
		delete func(dir string) error
	}{
		{"marker only", func(dir string) error { return os.Remove(filepath.Join(dir, markerName)) }},
		{"whole folder", os.RemoveAll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			seeded(t, dir, mkEntry(3000, "T")) // result/k
			fs := newFakeShared()
			c, g := scanBlocked(t, Options{MemoryMaxBytes: -1, DiskPath: dir, Shared: fs})
			<-g.reached
			if err := c.PurgeTag("T"); err != nil {
				t.Fatal(err)
			}
			if err := tc.delete(dir); err != nil {
				t.Fatal(err)
			}
			c.Set("result", "b", mkEntry(3000, "U"))
			c.Flush()
			g.open()
			waitIndex(t, c)
			if _, _, ok := c.Get("result", "k"); ok {
				t.Fatal("entry tagged T served after PurgeTag(T)")
			}
			if holds, failed := fs.pending(); holds != 0 || failed != 1 {
				t.Fatalf("PurgeTag during the scan: %d holds, %d failed; want 0, 1", holds, failed)
			}
		})
	}
}

// purgeTagAfterMarkerOnlyDeletion stores an entry tagged T in c (on disk
// at dir), deletes the marker alone, lets a write re-mark the root, then
// purges by tag T.
func purgeTagAfterMarkerOnlyDeletion(t *testing.T, c *Cache, dir string) {
	t.Helper()
	c.Set("result", "a", mkEntry(3000, "T"))
	c.Flush()
	if err := os.Remove(filepath.Join(dir, markerName)); err != nil {
		t.Fatal(err)
	}
	c.Set("result", "b", mkEntry(3000, "U")) // re-marks the root
	c.Flush()
	if err := c.PurgeTag("T"); err != nil {
		t.Fatal(err)
	}
}
