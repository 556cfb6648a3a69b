package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
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

// prepareRoot creates root and its marker file. A non-empty directory
// without the marker is refused (except for a lone lost+found), so a
// misconfigured path cannot make purges or eviction touch unrelated files.
func prepareRoot(root string) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("cache: creating disk cache directory: %w", err)
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
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("cache: creating disk cache marker: %w", err)
	}
	_, err = f.WriteString("Matte image cache. Everything in this directory may be deleted at any time.\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cache: creating disk cache marker: %w", err)
	}
	return nil
}
