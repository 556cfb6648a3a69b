// Package durable holds the file operations whose effect must survive a
// crash, in one place: replacing a file atomically and durably (WriteFile)
// and making a directory entry change (create, rename, unlink) durable
// (SyncDir). A rename or unlink is only in the page cache until the
// directory that holds the name is fsynced; a crash before that can bring
// back the old name or lose the new one, whatever fsync the file had.
//
// FS is the one seam for faults: the zero value, and a nil *FS, use the
// operating system; a test sets a field to inject a failure or to record
// the calls. Safe for concurrent use as long as the fields are not changed
// meanwhile (set them before handing the FS to the code under test).
package durable

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FS performs the operations below. Each field, when set, replaces the
// operating system's call of the same name.
type FS struct {
	RemoveFunc  func(name string) error             // os.Remove
	RenameFunc  func(oldpath, newpath string) error // os.Rename
	SyncDirFunc func(dir string) error              // fsync of the directory
}

// Remove removes the named file or empty directory (os.Remove). It does not
// make the removal durable: the caller calls SyncDir on the parent when
// that matters.
func (f *FS) Remove(name string) error {
	if f != nil && f.RemoveFunc != nil {
		return f.RemoveFunc(name)
	}
	return os.Remove(name)
}

// Rename renames oldpath to newpath (os.Rename). It does not make the
// rename durable: the caller calls SyncDir on the parent (both parents, if
// they differ) when that matters.
func (f *FS) Rename(oldpath, newpath string) error {
	if f != nil && f.RenameFunc != nil {
		return f.RenameFunc(oldpath, newpath)
	}
	return os.Rename(oldpath, newpath)
}

// SyncDir fsyncs the directory dir, so that the names created, renamed or
// removed in it so far survive a crash.
func (f *FS) SyncDir(dir string) error {
	if f != nil && f.SyncDirFunc != nil {
		return f.SyncDirFunc(dir)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync dir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync dir: %w", err)
	}
	return nil
}

// WriteFile replaces name by a file holding data, with mode perm exactly
// (whatever the umask), atomically and durably: the data goes to a hidden
// temporary file in the same directory (WriteTemp, ".<base>.*.tmp"), which
// is renamed over name, and then the directory is fsynced. A reader sees
// the old file or the new one, never a part; after a crash name holds the
// old data or the new. On an error before the rename the temporary file is
// removed and name is untouched; an error of the final SyncDir is returned
// too (name then holds data, but may not after a crash). Concurrent calls
// on one name are safe (each has its own temporary file); the last rename
// wins.
func (f *FS) WriteFile(name string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(name)
	tmp, err := WriteTemp(dir, "."+filepath.Base(name)+".*.tmp", perm, data)
	if err != nil {
		return err
	}
	if err := f.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return f.SyncDir(dir)
}

// WriteTemp creates a new file in dir, named by pattern as os.CreateTemp
// does (O_EXCL), sets its mode to perm exactly (whatever the umask) before
// any data, writes parts in order, fsyncs and closes it, and returns its
// path, for the caller to rename into place and then SyncDir. On failure
// the file is removed and the path is "".
func WriteTemp(dir, pattern string, perm fs.FileMode, parts ...[]byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	err = f.Chmod(perm)
	for _, p := range parts {
		if err == nil {
			_, err = f.Write(p)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// WriteFile is (*FS)(nil).WriteFile: the operating system's calls.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return (*FS)(nil).WriteFile(name, data, perm)
}

// StaleTempAge is how long ago a temporary file of WriteFile must have
// been last modified for RemoveStaleTemps to take it for a crash's
// leftover. A WriteFile's temporary file lives for one write (a small
// file's write and fsync: milliseconds); one older than this was left by
// a process that died before its rename.
//
// Why an age rather than "everything, at open, before any writer runs":
// a configuration reload overlaps two generations of the server, and the
// new one opens its files while the old one may still be saving the same
// name; removing that temporary file would fail the old generation's
// write (its rename finds no file). A file fresher than this is left for
// the next open.
const StaleTempAge = time.Minute

// RemoveStaleTemps removes the temporary files that WriteFile on name
// left behind (".<base>.<random digits>.tmp" in name's directory, not
// those of another name) and that were last modified more than
// StaleTempAge ago. Meant for the code that opens name at start. The
// removals are not fsynced: a temporary file back after a crash is removed
// again by the next open. A name already gone (removed by another
// generation meanwhile) is no error; other errors are joined.
func RemoveStaleTemps(name string) error {
	prefix := "." + filepath.Base(name) + "."
	return removeStaleTemps(filepath.Dir(name), func(mid string) bool {
		rest, ok := strings.CutPrefix(mid, prefix)
		return ok && isDigits(rest)
	})
}

// RemoveStaleTempsIn is RemoveStaleTemps for every name in dir: for a
// folder whose files are all written by WriteFile under names that are
// not known in advance.
func RemoveStaleTempsIn(dir string) error {
	return removeStaleTemps(dir, func(mid string) bool {
		base, rnd, ok := cutLast(strings.TrimPrefix(mid, "."), ".")
		return strings.HasPrefix(mid, ".") && ok && base != "" && isDigits(rnd)
	})
}

// removeStaleTemps removes the regular files of dir named "<mid>.tmp"
// with match(mid), last modified more than StaleTempAge ago.
func removeStaleTemps(dir string, match func(mid string) bool) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-StaleTempAge)
	var errs []error
	for _, e := range ents {
		mid, ok := strings.CutSuffix(e.Name(), ".tmp")
		if !ok || !e.Type().IsRegular() || !match(mid) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue // gone meanwhile, or perhaps a write in progress
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
