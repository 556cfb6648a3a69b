package cache

import (
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
