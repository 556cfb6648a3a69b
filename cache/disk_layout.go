package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Layout of the cache directory:
//
//	<root>/.matte-cache                  marker; New refuses a non-empty dir without it
//	<root>/<namespace>/ab/cd/<32 hex>    entries; the name is the first 16 bytes of
//	                                     SHA-256(key), ab/cd its first two bytes
//	<root>/<namespace>/ab/cd/.tmp-<hex>  in-progress writes (renamed into place)
//	<root>/.trash-<hex>/                 purged namespaces being deleted
const (
	markerName   = ".matte-cache"
	tmpPrefix    = ".tmp-"
	trashPrefix  = ".trash-"
	entryNameLen = 32
)

func hashKey(key string) [16]byte {
	s := sha256.Sum256([]byte(key))
	var h [16]byte
	copy(h[:], s[:16])
	return h
}

func (d *diskTier) shardDir(k idxKey) string {
	return filepath.Join(d.root, k.ns, hex.EncodeToString(k.h[0:1]), hex.EncodeToString(k.h[1:2]))
}

func (d *diskTier) path(k idxKey) string {
	return filepath.Join(d.shardDir(k), hex.EncodeToString(k.h[:]))
}

// Modes of everything the disk tier creates. Entries can hold private
// transforms, so nothing is readable, listable or traversable by other local
// users. Each file and directory is chmodded explicitly right after it is
// created, so the process umask cannot change the result (a umask such as
// 0277 would otherwise leave directories the tier cannot write into).
const (
	privateFileMode fs.FileMode = 0o600
	privateDirMode  fs.FileMode = 0o700
)

// mkdirAllPrivate is os.MkdirAll with every directory it creates set to
// exactly privateDirMode, each one before anything is created inside it.
// Existing directories are left as they are.
func mkdirAllPrivate(dir string) error { return mkdirPrivate("", dir) }

// mkdirBelow is mkdirAllPrivate for a directory below top (the cache root)
// that never creates top itself: if top is missing it fails with an error
// matching fs.ErrNotExist. Only prepareRoot creates the root, together with
// its marker (ensureRoot, disk_root.go).
func mkdirBelow(top, dir string) error { return mkdirPrivate(filepath.Clean(top), filepath.Clean(dir)) }

// mkdirPrivate creates dir and its missing parents up to, but not
// including, top (none: top is ""), as mkdirAllPrivate describes.
func mkdirPrivate(top, dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
	}
	if !errors.Is(err, fs.ErrNotExist) || dir == top {
		return err
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirPrivate(top, parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, privateDirMode); err != nil {
		// Created concurrently (another writer, another instance)?
		if fi, lerr := os.Lstat(dir); lerr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return os.Chmod(dir, privateDirMode)
}

// tightenDir sets an existing directory to privateDirMode if it has any
// other permission bits, e.g. one created by an older version (0755) or by
// an administrator.
func tightenDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() == privateDirMode {
		return nil
	}
	return os.Chmod(dir, privateDirMode)
}

// prepareRoot creates root (and missing parents) and its marker file. A
// non-empty directory without the marker is refused (except for a lone
// lost+found), so a misconfigured path cannot make purges or eviction touch
// unrelated files.
//
// An existing root with wider permissions is tightened to privateDirMode.
// If that chmod fails (typically: root is owned by another user and only
// group-writable for us), the cache still starts and the failure goes to
// report as a *DiskError with Op "chmod": entries stay private anyway,
// because every namespace directory below root is ours and 0700 (the scan
// tightens existing ones) and every entry file is 0600; only the namespace
// names and the marker are then visible to others.
func prepareRoot(root string, report func(error)) error {
	if err := mkdirAllPrivate(root); err != nil {
		return fmt.Errorf("cache: creating disk cache directory: %w", err)
	}
	if err := tightenDir(root); err != nil {
		report(&DiskError{Op: "chmod", Path: root, Err: err})
	}
	marker := filepath.Join(root, markerName)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("cache: reading disk cache directory: %w", err)
	}
	for _, e := range ents {
		if e.Name() != "lost+found" {
			return fmt.Errorf("cache: refusing to use non-empty directory %s as disk cache (no %s marker)", root, markerName)
		}
	}
	return writeMarker(root)
}

// writeMarker creates root's marker file (or rewrites an existing one with
// the same contents).
func writeMarker(root string) error {
	f, err := os.OpenFile(filepath.Join(root, markerName), os.O_CREATE|os.O_WRONLY, privateFileMode)
	if err != nil {
		return fmt.Errorf("cache: creating disk cache marker: %w", err)
	}
	err = f.Chmod(privateFileMode)
	if err == nil {
		_, err = f.WriteString("Matte image cache. Everything in this directory may be deleted at any time.\n")
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cache: creating disk cache marker: %w", err)
	}
	return nil
}
