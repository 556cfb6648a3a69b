package durable

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWriteFileSyncsDirAfterRename: the directory is fsynced once the new
// file is in place under its name, and WriteFile leaves no temporary file.
func TestWriteFileSyncsDirAfterRename(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var synced []string
	f := &FS{SyncDirFunc: func(d string) error {
		b, err := os.ReadFile(name)
		if err != nil || string(b) != "new" {
			t.Errorf("directory synced while %s holds %q (%v), want the new data renamed in", name, b, err)
		}
		synced = append(synced, d)
		return (*FS)(nil).SyncDir(d)
	}}
	if err := f.WriteFile(name, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 1 || synced[0] != dir {
		t.Fatalf("directories synced: %q, want [%q]", synced, dir)
	}
	fi, err := os.Stat(name)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v (%v), want 0600", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("directory holds %d names, want only %s", len(ents), name)
	}
}

// TestWriteFileErrors: a failed rename leaves the old file and no
// temporary one; a failed directory fsync is returned.
func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state")
	boom := errors.New("boom")
	f := &FS{RenameFunc: func(string, string) error { return boom }}
	if err := f.WriteFile(name, []byte("new"), 0o600); !errors.Is(err, boom) {
		t.Fatalf("WriteFile with a failing rename: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("a failed WriteFile left %d names", len(ents))
	}
	f = &FS{SyncDirFunc: func(string) error { return boom }}
	if err := f.WriteFile(name, []byte("new"), 0o600); !errors.Is(err, boom) {
		t.Fatalf("WriteFile with a failing directory fsync: %v", err)
	}
	if err := WriteFile(name, []byte("newer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "newer" {
		t.Fatalf("%s holds %q", name, b)
	}
}

// TestRemoveStaleTemps: only WriteFile's temporary files of the name, and
// only stale ones, are removed; RemoveStaleTempsIn takes those of any name.
func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "usage.json")
	old := time.Now().Add(-2 * StaleTempAge)
	mk := func(base string, stale bool) string {
		p := filepath.Join(dir, base)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if stale {
			os.Chtimes(p, old, old)
		}
		return p
	}
	mine := mk(".usage.json.123.tmp", true)
	fresh := mk(".usage.json.456.tmp", false)
	other := mk(".usage.json.journal.789.tmp", true) // another name's
	notOurs := mk(".usage.json.x1.tmp", true)        // not a WriteFile temp
	target := mk("usage.json", true)
	if err := RemoveStaleTemps(name); err != nil {
		t.Fatal(err)
	}
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	if exists(mine) || !exists(fresh) || !exists(other) || !exists(notOurs) || !exists(target) {
		t.Fatalf("after RemoveStaleTemps: stale %v fresh %v other name's %v not a temp %v the file %v; want false true true true true",
			exists(mine), exists(fresh), exists(other), exists(notOurs), exists(target))
	}
	if err := RemoveStaleTempsIn(dir); err != nil {
		t.Fatal(err)
	}
	if exists(other) || !exists(fresh) || !exists(notOurs) || !exists(target) {
		t.Fatalf("after RemoveStaleTempsIn: other name's %v fresh %v not a temp %v the file %v; want false true true true",
			exists(other), exists(fresh), exists(notOurs), exists(target))
	}
	if err := RemoveStaleTemps(filepath.Join(dir, "missing", "x")); err != nil {
		t.Fatalf("a missing directory: %v", err)
	}
}
