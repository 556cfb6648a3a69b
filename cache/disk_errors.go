package cache

import "fmt"

// DiskError describes a failure of the disk tier. It is what Options.OnError
// receives for disk problems; the request path never sees these errors.
type DiskError struct {
	Op        string // "write", "read", "corrupt", "delete", "purge", "scan", "chmod"
	Namespace string // empty when not about one entry
	Key       string
	Path      string
	Err       error
}

func (e *DiskError) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("cache disk %s %s/%s (%s): %v", e.Op, e.Namespace, e.Key, e.Path, e.Err)
	}
	return fmt.Sprintf("cache disk %s %s: %v", e.Op, e.Path, e.Err)
}

func (e *DiskError) Unwrap() error { return e.Err }
