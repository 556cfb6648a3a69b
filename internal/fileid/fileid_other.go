//go:build !linux

package fileid

import "os"

// Of cannot name a file on this system: ok is always false.
func Of(os.FileInfo) (ID, bool) { return ID{}, false }
