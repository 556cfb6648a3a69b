package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"time"
)

// On-disk entry format, version 1. All integers are little endian.
//
//	off  size  field
//	  0     4  magic "MTTC"
//	  4     1  version (1)
//	  5     1  flags (0; anything else is rejected)
//	  6     2  namespace length
//	  8     2  key length
//	 10     2  content type length
//	 12     2  tag length
//	 14     2  reserved (0)
//	 16     4  meta length (encoded, see below)
//	 20     8  created, Unix nanoseconds
//	 28     8  value length
//	 36     4  CRC-32C of the value
//	 40     4  CRC-32C of bytes [0,40) followed by the variable section
//	 44        variable section: namespace, key, content type, tag, meta
//	           value
//
// The file is exactly 44 + variable section + value bytes long; anything
// shorter or longer is rejected. Meta is encoded as a uint16 pair count
// followed by, for each pair in strictly increasing key order, a uint16 key
// length, the key, a uint16 value length and the value; an empty map is
// encoded as zero bytes. The encoding is canonical: decodeEntry accepts only
// what encodeHeader produces, so decode→encode reproduces the input exactly.
const (
	fileMagic     = "MTTC"
	formatVersion = 1
	fixedHdrLen   = 44
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt is wrapped by every decoding failure.
var errCorrupt = errors.New("corrupt cache entry")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errCorrupt}, args...)...)
}

// record is a decoded disk entry.
type record struct {
	ns, key string
	entry   Entry
	// valueOff is where the value starts in the file (readHeader: the value
	// is the file's last size-valueOff bytes).
	valueOff int64
}

// header is the parsed fixed part of an entry.
type header struct {
	nsLen, keyLen, ctLen, tagLen int
	metaLen                      int
	created                      int64
	valueLen                     uint64
	valueCRC, headerCRC          uint32
}

func (h *header) varLen() int { return h.nsLen + h.keyLen + h.ctLen + h.tagLen + h.metaLen }

// fileLen is the total file length implied by the header; ok is false if it
// does not fit an int64.
func (h *header) fileLen() (int64, bool) {
	base := uint64(fixedHdrLen + h.varLen())
	if h.valueLen > uint64(1<<62)-base {
		return 0, false
	}
	return int64(base + h.valueLen), true
}

func metaEncodedLen(m map[string]string) int {
	if len(m) == 0 {
		return 0
	}
	n := 2
	for k, v := range m {
		n += 4 + len(k) + len(v)
	}
	return n
}

// encodeHeader returns the fixed header and variable section for an entry;
// the value follows it unchanged. It fails if the entry breaks the limits.
func encodeHeader(ns, key string, e *Entry) ([]byte, error) {
	if err := checkKey(ns, key); err != nil {
		return nil, err
	}
	if err := checkEntry(e); err != nil {
		return nil, err
	}
	metaLen := metaEncodedLen(e.Meta)
	b := make([]byte, fixedHdrLen, fixedHdrLen+len(ns)+len(key)+len(e.ContentType)+len(e.Tag)+metaLen)
	copy(b[0:4], fileMagic)
	b[4] = formatVersion
	b[5] = 0
	le := binary.LittleEndian
	le.PutUint16(b[6:], uint16(len(ns)))
	le.PutUint16(b[8:], uint16(len(key)))
	le.PutUint16(b[10:], uint16(len(e.ContentType)))
	le.PutUint16(b[12:], uint16(len(e.Tag)))
	le.PutUint16(b[14:], 0)
	le.PutUint32(b[16:], uint32(metaLen))
	le.PutUint64(b[20:], uint64(e.Created.UnixNano()))
	le.PutUint64(b[28:], uint64(len(e.Value)))
	le.PutUint32(b[36:], crc32.Checksum(e.Value, castagnoli))
	b = append(b, ns...)
	b = append(b, key...)
	b = append(b, e.ContentType...)
	b = append(b, e.Tag...)
	if metaLen > 0 {
		keys := make([]string, 0, len(e.Meta))
		for k := range e.Meta {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = le.AppendUint16(b, uint16(len(keys)))
		for _, k := range keys {
			v := e.Meta[k]
			b = le.AppendUint16(b, uint16(len(k)))
			b = append(b, k...)
			b = le.AppendUint16(b, uint16(len(v)))
			b = append(b, v...)
		}
	}
	crc := crc32.Update(crc32.Checksum(b[:40], castagnoli), castagnoli, b[fixedHdrLen:])
	le.PutUint32(b[40:], crc)
	return b, nil
}

// encodeEntry returns the complete file contents for an entry.
func encodeEntry(ns, key string, e *Entry) ([]byte, error) {
	h, err := encodeHeader(ns, key, e)
	if err != nil {
		return nil, err
	}
	return append(h, e.Value...), nil
}

// parseFixed validates the fixed 44-byte header.
func parseFixed(b []byte) (header, error) {
	var h header
	if len(b) < fixedHdrLen {
		return h, corruptf("truncated header (%d bytes)", len(b))
	}
	if string(b[0:4]) != fileMagic {
		return h, corruptf("bad magic %q", b[0:4])
	}
	if b[4] != formatVersion {
		return h, corruptf("unsupported version %d", b[4])
	}
	le := binary.LittleEndian
	if b[5] != 0 || le.Uint16(b[14:]) != 0 {
		return h, corruptf("nonzero flags/reserved")
	}
	h.nsLen = int(le.Uint16(b[6:]))
	h.keyLen = int(le.Uint16(b[8:]))
	h.ctLen = int(le.Uint16(b[10:]))
	h.tagLen = int(le.Uint16(b[12:]))
	h.metaLen = int(le.Uint32(b[16:]))
	h.created = int64(le.Uint64(b[20:]))
	h.valueLen = le.Uint64(b[28:])
	h.valueCRC = le.Uint32(b[36:])
	h.headerCRC = le.Uint32(b[40:])
	switch {
	case h.nsLen == 0 || h.nsLen > MaxNamespaceLen:
		return h, corruptf("namespace length %d", h.nsLen)
	case h.keyLen == 0 || h.keyLen > MaxKeyLen:
		return h, corruptf("key length %d", h.keyLen)
	case h.ctLen > MaxContentTypeLen:
		return h, corruptf("content type length %d", h.ctLen)
	case h.tagLen > MaxTagLen:
		return h, corruptf("tag length %d", h.tagLen)
	case h.metaLen > MaxMetaBytes:
		return h, corruptf("meta length %d", h.metaLen)
	}
	if _, ok := h.fileLen(); !ok {
		return h, corruptf("value length %d", h.valueLen)
	}
	return h, nil
}

// parseVar checks the header CRC over fixed+variable section (v is the
// variable section) and decodes it.
func parseVar(fixed []byte, h *header, v []byte) (ns, key, ct, tag string, meta map[string]string, err error) {
	if len(v) != h.varLen() {
		err = corruptf("variable section is %d bytes, want %d", len(v), h.varLen())
		return
	}
	if crc := crc32.Update(crc32.Checksum(fixed[:40], castagnoli), castagnoli, v); crc != h.headerCRC {
		err = corruptf("header checksum mismatch")
		return
	}
	off := 0
	next := func(n int) []byte { s := v[off : off+n]; off += n; return s }
	ns = string(next(h.nsLen))
	key = string(next(h.keyLen))
	ct = string(next(h.ctLen))
	tag = string(next(h.tagLen))
	if !ValidNamespace(ns) {
		err = corruptf("invalid namespace %q", ns)
		return
	}
	meta, err = decodeMeta(next(h.metaLen))
	return
}

func decodeMeta(b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	le := binary.LittleEndian
	if len(b) < 2 {
		return nil, corruptf("meta too short")
	}
	n := int(le.Uint16(b))
	if n == 0 || n > MaxMetaPairs {
		return nil, corruptf("meta pair count %d", n)
	}
	b = b[2:]
	m := make(map[string]string, n)
	prev := ""
	for i := 0; i < n; i++ {
		var k, v string
		for j := 0; j < 2; j++ {
			if len(b) < 2 {
				return nil, corruptf("meta truncated")
			}
			l := int(le.Uint16(b))
			b = b[2:]
			if len(b) < l {
				return nil, corruptf("meta truncated")
			}
			if j == 0 {
				k = string(b[:l])
			} else {
				v = string(b[:l])
			}
			b = b[l:]
		}
		if i > 0 && k <= prev {
			return nil, corruptf("meta keys not strictly increasing")
		}
		prev = k
		m[k] = v
	}
	if len(b) != 0 {
		return nil, corruptf("%d trailing meta bytes", len(b))
	}
	return m, nil
}

// decodeEntry decodes and fully verifies a complete entry file. The returned
// Value aliases b. It never returns an entry whose checksums do not match.
func decodeEntry(b []byte) (record, error) {
	var r record
	h, err := parseFixed(b)
	if err != nil {
		return r, err
	}
	want, _ := h.fileLen()
	if int64(len(b)) != want {
		return r, corruptf("file is %d bytes, header says %d", len(b), want)
	}
	varEnd := fixedHdrLen + h.varLen()
	ns, key, ct, tag, meta, err := parseVar(b[:fixedHdrLen], &h, b[fixedHdrLen:varEnd])
	if err != nil {
		return r, err
	}
	value := b[varEnd:len(b):len(b)]
	if crc32.Checksum(value, castagnoli) != h.valueCRC {
		return r, corruptf("value checksum mismatch")
	}
	r.ns, r.key = ns, key
	r.entry = Entry{
		Value:       value,
		ContentType: ct,
		Created:     time.Unix(0, h.created),
		Meta:        meta,
		Tag:         tag,
	}
	return r, nil
}

// readHeader reads and verifies only the header of an entry of the given
// total size from r (used by the background index scan; the value checksum
// is verified on Get). The returned record has no Value.
func readHeader(r io.Reader, size int64) (record, error) {
	var rec record
	var fixed [fixedHdrLen]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return rec, corruptf("reading header: %v", err)
	}
	h, err := parseFixed(fixed[:])
	if err != nil {
		return rec, err
	}
	if want, _ := h.fileLen(); want != size {
		return rec, corruptf("file is %d bytes, header says %d", size, want)
	}
	v := make([]byte, h.varLen())
	if _, err := io.ReadFull(r, v); err != nil {
		return rec, corruptf("reading header: %v", err)
	}
	ns, key, ct, tag, meta, err := parseVar(fixed[:], &h, v)
	if err != nil {
		return rec, err
	}
	rec.ns, rec.key, rec.valueOff = ns, key, int64(fixedHdrLen+len(v))
	rec.entry = Entry{ContentType: ct, Created: time.Unix(0, h.created), Meta: meta, Tag: tag}
	return rec, nil
}
