package playground

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jebosio/matte/params"
)

// upload is one stored image. Its fields never change once stored, so a
// caller may keep and read one after the store has dropped it.
type upload struct {
	name        string // "<sha256 hex>.<ext>"
	contentType string
	data        []byte
	added       time.Time
}

// store keeps uploaded images in memory, named by their content, within a
// count and a byte budget: a new image past either evicts the oldest ones
// first. Uploading an image it already holds makes that image the newest.
// It is safe for concurrent use.
type store struct {
	maxCount int
	maxBytes int64

	mu     sync.Mutex
	byName map[string]*list.Element // of *upload
	order  *list.List               // oldest at the front
	bytes  int64
}

func newStore(maxCount int, maxBytes int64) *store {
	return &store{maxCount: maxCount, maxBytes: maxBytes, byName: map[string]*list.Element{}, order: list.New()}
}

// nameOf is data's name in the store: its SHA-256 in hex and ext.
func nameOf(data []byte, ext string) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) + "." + ext
}

// put stores data (which the store keeps; the caller must not change it)
// and returns its entry, and whether it was new. data must fit maxBytes.
func (s *store) put(data []byte, ext, contentType string, now time.Time) (u *upload, added bool) {
	name := nameOf(data, ext)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byName[name]; ok {
		s.order.MoveToBack(el)
		return el.Value.(*upload), false
	}
	for s.order.Len() > 0 && (s.order.Len() >= s.maxCount || s.bytes+int64(len(data)) > s.maxBytes) {
		old := s.order.Remove(s.order.Front()).(*upload)
		delete(s.byName, old.name)
		s.bytes -= int64(len(old.data))
	}
	u = &upload{name: name, contentType: contentType, data: data, added: now}
	s.byName[name] = s.order.PushBack(u)
	s.bytes += int64(len(data))
	return u, true
}

// get returns the upload called name ("<hash>.<ext>").
func (s *store) get(name string) (*upload, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byName[name]
	if !ok {
		return nil, false
	}
	return el.Value.(*upload), true
}

// usage is the number of images held and their bytes.
func (s *store) usage() (count int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len(), s.bytes
}

// validName reports whether name has the form of a stored image's name:
// 64 lower-case hex digits, a dot and one of the extensions of
// params.SourceTypes.
// Anything else is not looked up.
func validName(name string) bool {
	hash, ext, ok := strings.Cut(name, ".")
	if !ok || len(hash) != 64 {
		return false
	}
	for _, c := range []byte(hash) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return slices.ContainsFunc(params.SourceTypes(), func(t params.SourceType) bool { return t.Ext == ext })
}
