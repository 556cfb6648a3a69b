//go:build !unix

package cache

import "os"

// openRead opens an entry file for reading (see open_unix.go).
func openRead(p string) (*os.File, error) { return os.Open(p) }
