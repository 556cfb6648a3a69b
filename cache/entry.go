package cache

import (
	"errors"
	"fmt"
	"time"
)

// Entry is one cached object: an opaque value plus a little metadata.
//
// Entries are immutable once handed to the cache. Set takes ownership of
// Value and Meta (the caller must not modify them afterwards), and the Entry
// returned by Get/Do shares its Value slice and Meta map with the cache and
// with every other caller that got the same entry: treat them as read-only.
type Entry struct {
	// Value is the cached payload (for Matte: the encoded image bytes).
	Value []byte
	// ContentType is stored verbatim (e.g. "image/webp"); at most
	// MaxContentTypeLen bytes.
	ContentType string
	// Created is when the value was produced; Set fills in time.Now() when
	// it is zero. Use it for the Age response header. Times read back from
	// disk have nanosecond precision and no monotonic clock reading.
	Created time.Time
	// Meta is small free-form metadata (e.g. output width/height), at most
	// MaxMetaPairs pairs and MaxMetaBytes encoded bytes. nil and an empty
	// map are equivalent; entries read back from disk have a nil Meta when
	// it was empty.
	Meta map[string]string
	// Tag optionally groups entries for PurgeTag (for Matte: the identity of
	// the source image every variant was derived from). At most MaxTagLen
	// bytes; "" means untagged.
	Tag string
}

// Age returns how long ago the entry was created, never negative.
func (e Entry) Age(now time.Time) time.Duration {
	if e.Created.IsZero() {
		return 0
	}
	if d := now.Sub(e.Created); d > 0 {
		return d
	}
	return 0
}

// Limits on the parts of an entry. They keep the on-disk header small and let
// the decoder reject garbage without large allocations.
const (
	MaxNamespaceLen   = 64
	MaxKeyLen         = 1024
	MaxTagLen         = 4096
	MaxContentTypeLen = 256
	MaxMetaPairs      = 256
	MaxMetaBytes      = 64 << 10 // encoded size, see format.go
)

// Tier says where a cached entry was found.
type Tier uint8

const (
	// TierNone means the entry did not come from the cache (a miss, or a
	// value freshly produced by Do's fn).
	TierNone Tier = iota
	// TierMemory means the entry came from the in-memory tier.
	TierMemory
	// TierDisk means the entry came from the disk tier (and was promoted to
	// memory, when that tier is enabled).
	TierDisk
	// TierShared means the entry came from the shared tier (and was
	// promoted to the local tiers).
	TierShared
)

// String returns "none", "memory", "disk" or "shared".
func (t Tier) String() string {
	switch t {
	case TierMemory:
		return "memory"
	case TierDisk:
		return "disk"
	case TierShared:
		return "shared"
	default:
		return "none"
	}
}

// CacheStatus returns the conventional X-Cache header value for t:
// "HIT-MEMORY", "HIT-DISK", "HIT-SHARED" or "MISS".
func (t Tier) CacheStatus() string {
	switch t {
	case TierMemory:
		return "HIT-MEMORY"
	case TierDisk:
		return "HIT-DISK"
	case TierShared:
		return "HIT-SHARED"
	default:
		return "MISS"
	}
}

// ErrInvalid is wrapped by the errors returned (or reported through
// Options.OnError) for a namespace, key or entry that breaks the limits above.
var ErrInvalid = errors.New("cache: invalid namespace, key or entry")

// ValidNamespace reports whether ns can be used as a namespace: 1 to
// MaxNamespaceLen bytes of ASCII letters, digits, '-' and '_'. Namespaces
// name directories of the disk tier, hence the restriction.
func ValidNamespace(ns string) bool {
	if len(ns) == 0 || len(ns) > MaxNamespaceLen {
		return false
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

func checkKey(ns, key string) error {
	if !ValidNamespace(ns) {
		return fmt.Errorf("%w: namespace %q", ErrInvalid, ns)
	}
	if len(key) == 0 || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: key length %d (want 1..%d)", ErrInvalid, len(key), MaxKeyLen)
	}
	return nil
}

func checkEntry(e *Entry) error {
	if len(e.ContentType) > MaxContentTypeLen {
		return fmt.Errorf("%w: content type length %d > %d", ErrInvalid, len(e.ContentType), MaxContentTypeLen)
	}
	if len(e.Tag) > MaxTagLen {
		return fmt.Errorf("%w: tag length %d > %d", ErrInvalid, len(e.Tag), MaxTagLen)
	}
	if len(e.Meta) > MaxMetaPairs {
		return fmt.Errorf("%w: %d meta pairs > %d", ErrInvalid, len(e.Meta), MaxMetaPairs)
	}
	if n := metaEncodedLen(e.Meta); n > MaxMetaBytes {
		return fmt.Errorf("%w: meta encodes to %d bytes > %d", ErrInvalid, n, MaxMetaBytes)
	}
	return nil
}
