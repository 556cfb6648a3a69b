package caddymodule

import (
	"encoding/json"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// metaVersion is the version of entryMeta's encoding. Change it when a field
// changes meaning: an entry of another version reads as a miss. 2: a memo's
// Hash is BLAKE3-256 (sourceHash), where 1 had SHA-256. A field added
// since, omitted when zero, keeps the version: a record written before it
// reads it as zero (wireSource.APNG).
const metaVersion = 2

// metaField is the one cache.Entry.Meta key Matte writes: the JSON encoding
// of an entryMeta.
const metaField = "matte"

// entryMeta is the typed metadata of the entries Matte stores in the result
// and source namespaces (mask entries carry none). Exactly one of its parts
// is set. encodeMeta and decodeMeta are its only encoder and decoder.
type entryMeta struct {
	// Result describes an encoded output (nsResult).
	Result *resultMeta
	// Source is a source memo (nsSource).
	Source *sourceMemo
	// VaryOn marks a Vary index (nsSource, at the source's plain key): the
	// origin's response varies on these request headers, and the memo is
	// stored under memoKey with their values.
	VaryOn []string
}

// resultMeta is what a response needs to know of a result besides its
// bytes. The hosted APIs read it from render's answer (rendered.Meta).
type resultMeta struct {
	Width, Height int // output pixels
	// Model is the ModelSpec.ID of the matte (background removal only).
	Model string
	// Foreground is the subject's box in output pixels (background removal
	// only; zero when no subject was found).
	Foreground    transform.Box
	HasForeground bool // background removal ran: Foreground is meaningful
	// Provisional: the result is not the one its key stands for
	// (transform.Result.Provisional). It is never stored; the flag
	// travels to the requests that shared its flight, which answer it
	// no-store and without a validator.
	Provisional bool
}

// wireMeta is entryMeta as stored: explicit names, so that renaming a Go
// field elsewhere cannot change the format silently.
type wireMeta struct {
	V      int         `json:"v"`
	Result *wireResult `json:"result,omitempty"`
	Source *wireSource `json:"source,omitempty"`
	VaryOn []string    `json:"vary_on,omitempty"`
}

type wireResult struct {
	W     int     `json:"w"`
	H     int     `json:"h"`
	Model string  `json:"model,omitempty"`
	FG    *[4]int `json:"fg,omitempty"` // left, top, width, height
	Prov  bool    `json:"provisional,omitempty"`
}

type wireSource struct {
	Hash     string `json:"hash"`
	Type     int    `json:"type"`
	TypeName string `json:"type_name"`
	W        int    `json:"w"`
	H        int    `json:"h"`
	Alpha    bool   `json:"alpha,omitempty"`
	Pages    int    `json:"pages"`
	// APNG is Info.APNGFrames: 0 (omitted) for every source but an
	// animated PNG. A memo stored before it was recorded reads as 0, the
	// still PNG Matte then took an APNG for, until its source is fetched
	// again (a 304 keeps the memo's Info).
	APNG         int               `json:"apng_frames,omitempty"`
	ETag         string            `json:"etag,omitempty"`
	LastModified string            `json:"last_modified,omitempty"`
	FreshUntil   int64             `json:"fresh_until"` // unix nanoseconds
	Vary         []string          `json:"vary,omitempty"`
	CacheControl string            `json:"cache_control,omitempty"`
	Expires      string            `json:"expires,omitempty"`
	Sharing      map[string]string `json:"sharing,omitempty"`
}

// encodeMeta is the cache.Entry.Meta of m.
func encodeMeta(m entryMeta) map[string]string {
	w := wireMeta{V: metaVersion, VaryOn: m.VaryOn}
	if r := m.Result; r != nil {
		w.Result = &wireResult{W: r.Width, H: r.Height, Model: r.Model, Prov: r.Provisional}
		if r.HasForeground {
			fg := r.Foreground
			w.Result.FG = &[4]int{fg.Left, fg.Top, fg.Width, fg.Height}
		}
	}
	if s := m.Source; s != nil {
		i := s.Info
		w.Source = &wireSource{Hash: s.Hash, Type: int(i.Type), TypeName: i.TypeName, W: i.Width, H: i.Height, Alpha: i.HasAlpha, Pages: i.Pages, APNG: i.APNGFrames,
			ETag: s.ETag, LastModified: s.LastModified, FreshUntil: s.FreshUntil.UnixNano(), Vary: s.Vary,
			CacheControl: s.CacheControl, Expires: s.Expires, Sharing: s.Sharing}
	}
	b, _ := json.Marshal(w) // cannot fail: plain fields
	return map[string]string{metaField: string(b)}
}

// decodeMeta reads what encodeMeta wrote. false means a miss: no metadata,
// another version, or not exactly one part set. The parts of the answer
// may be shared with other callers (see decoded): read them, or copy
// them, never write through their pointers.
func decodeMeta(meta map[string]string) (entryMeta, bool) {
	enc := meta[metaField]
	slot := &decoded.slots[maphash.String(decoded.seed, enc)%uint64(len(decoded.slots))]
	if d := slot.Load(); d != nil && d.enc == enc {
		return d.m, d.ok
	}
	m, ok := decodeMetaJSON(enc)
	slot.Store(&decodedMeta{enc: enc, m: m, ok: ok})
	return m, ok
}

// decoded remembers decodeMeta's answers by the encoded string, so that a
// cache hit does not parse the same JSON again (it was 6% of a memory hit's
// CPU: one memo and one result per hit). An answer depends on the string
// alone, so one table serves every handler and config. It is direct-mapped:
// a slot keeps the last string hashed to it, which bounds the memory to the
// slots' strings and answers. Slots are swapped whole, so readers need no
// lock; a decodedMeta is never written after it is stored.
var decoded struct {
	seed  maphash.Seed
	slots [1024]atomic.Pointer[decodedMeta]
}

func init() { decoded.seed = maphash.MakeSeed() }

type decodedMeta struct {
	enc string
	m   entryMeta
	ok  bool
}

// decodeMetaJSON parses enc, the metaField value encodeMeta wrote.
func decodeMetaJSON(enc string) (entryMeta, bool) {
	var w wireMeta
	if err := json.Unmarshal([]byte(enc), &w); err != nil || w.V != metaVersion {
		return entryMeta{}, false
	}
	var m entryMeta
	parts := 0
	if r := w.Result; r != nil {
		parts++
		m.Result = &resultMeta{Width: r.W, Height: r.H, Model: r.Model, Provisional: r.Prov}
		if r.FG != nil {
			m.Result.HasForeground = true
			m.Result.Foreground = transform.Box{Left: r.FG[0], Top: r.FG[1], Width: r.FG[2], Height: r.FG[3]}
		}
	}
	if s := w.Source; s != nil {
		parts++
		if len(s.Hash) != 64 {
			return entryMeta{}, false
		}
		m.Source = &sourceMemo{Hash: s.Hash, ETag: s.ETag, LastModified: s.LastModified, FreshUntil: time.Unix(0, s.FreshUntil), Vary: s.Vary,
			CacheControl: s.CacheControl, Expires: s.Expires, Sharing: s.Sharing,
			Info: transform.Source{Type: params.Format(s.Type), TypeName: s.TypeName, Width: s.W, Height: s.H, HasAlpha: s.Alpha, Pages: s.Pages, APNGFrames: s.APNG}}
	}
	if len(w.VaryOn) > 0 {
		parts++
		m.VaryOn = w.VaryOn
	}
	return m, parts == 1
}

// getMeta looks ns/key up and decodes its metadata; an entry that does not
// decode is a miss.
func (h *Handler) getMeta(ns, key string) (cache.Entry, entryMeta, cache.Tier, bool) {
	e, tier, ok := h.cache.Get(ns, key)
	if !ok {
		return cache.Entry{}, entryMeta{}, cache.TierNone, false
	}
	m, ok := decodeMeta(e.Meta)
	return e, m, tier, ok
}
