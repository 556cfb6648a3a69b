package durable

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
