package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

func sampleEntry() Entry {
	return Entry{
		Value:       []byte("\x89PNG fake image bytes"),
		ContentType: "image/png",
		Created:     time.Unix(1700000000, 123456789),
		Meta:        map[string]string{"w": "640", "h": "480", "fg": "1,2,3,4"},
		Tag:         "https://example.com/a.jpg",
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, e := range []Entry{
		sampleEntry(),
		{Value: []byte{}, Created: time.Unix(0, 1)},
		{Value: bytes.Repeat([]byte{7}, 100000), Meta: map[string]string{"": ""}, Created: time.Unix(5, 0)},
	} {
		b, err := encodeEntry("result", "k1", &e)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := decodeEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ns != "result" || rec.key != "k1" {
			t.Fatalf("got %s/%s", rec.ns, rec.key)
		}
		assertEntryEqual(t, rec.entry, e)
		h, err := readHeader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if h.key != "k1" || h.entry.Tag != e.Tag || h.entry.ContentType != e.ContentType {
			t.Fatalf("readHeader: %+v", h)
		}
		b2, err := encodeEntry(rec.ns, rec.key, &rec.entry)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-encode differs (err %v)", err)
		}
	}
}

func assertEntryEqual(t *testing.T, got, want Entry) {
	t.Helper()
	if !bytes.Equal(got.Value, want.Value) {
		t.Errorf("value: got %d bytes, want %d", len(got.Value), len(want.Value))
	}
	if got.ContentType != want.ContentType || got.Tag != want.Tag {
		t.Errorf("ct/tag: got %q/%q want %q/%q", got.ContentType, got.Tag, want.ContentType, want.Tag)
	}
	if !got.Created.Equal(want.Created) {
		t.Errorf("created: got %v want %v", got.Created, want.Created)
	}
	if len(got.Meta) != len(want.Meta) {
		t.Errorf("meta: got %v want %v", got.Meta, want.Meta)
	}
	for k, v := range want.Meta {
		if got.Meta[k] != v {
			t.Errorf("meta[%q]: got %q want %q", k, got.Meta[k], v)
		}
	}
}

func TestFormatRejectsDamage(t *testing.T) {
	e := sampleEntry()
	good, err := encodeEntry("result", "key", &e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeEntry(good); err != nil {
		t.Fatal(err)
	}
	// Every single-bit flip anywhere must be detected.
	for i := range good {
		for bit := 0; bit < 8; bit++ {
			b := bytes.Clone(good)
			b[i] ^= 1 << bit
			if _, err := decodeEntry(b); !errors.Is(err, errCorrupt) {
				t.Fatalf("flip byte %d bit %d: err %v", i, bit, err)
			}
		}
	}
	// Every truncation and an extension must be detected.
	for n := 0; n < len(good); n++ {
		if _, err := decodeEntry(good[:n]); !errors.Is(err, errCorrupt) {
			t.Fatalf("truncated to %d: err %v", n, err)
		}
	}
	if _, err := decodeEntry(append(bytes.Clone(good), 0)); !errors.Is(err, errCorrupt) {
		t.Fatalf("extended: err %v", err)
	}
}

func TestEncodeLimits(t *testing.T) {
	bad := []struct {
		ns, key string
		e       Entry
	}{
		{"", "k", Entry{}},
		{"a/b", "k", Entry{}},
		{"..", "k", Entry{}},
		{strings.Repeat("a", MaxNamespaceLen+1), "k", Entry{}},
		{"ns", "", Entry{}},
		{"ns", strings.Repeat("k", MaxKeyLen+1), Entry{}},
		{"ns", "k", Entry{ContentType: strings.Repeat("c", MaxContentTypeLen+1)}},
		{"ns", "k", Entry{Tag: strings.Repeat("t", MaxTagLen+1)}},
		{"ns", "k", Entry{Meta: map[string]string{"x": strings.Repeat("v", MaxMetaBytes)}}},
	}
	for i, c := range bad {
		if _, err := encodeEntry(c.ns, c.key, &c.e); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: err %v, want ErrInvalid", i, err)
		}
	}
}

// FuzzDiskEntryReader checks that the decoder never panics, and that
// whatever it accepts has matching checksums: an accepted input must be
// exactly what the encoder (which computes the checksums) produces for the
// decoded entry.
func FuzzDiskEntryReader(f *testing.F) {
	e := sampleEntry()
	good, _ := encodeEntry("result", "0123abcd", &e)
	f.Add(good)
	empty := Entry{Created: time.Unix(1, 0)}
	b, _ := encodeEntry("mask", "k", &empty)
	f.Add(b)
	f.Add(good[:fixedHdrLen])
	f.Add([]byte("MTTC"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeEntry(data)
		hrec, herr := readHeader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error does not wrap errCorrupt: %v", err)
			}
			return
		}
		if herr != nil {
			t.Fatalf("decodeEntry accepted what readHeader rejects: %v", herr)
		}
		if hrec.ns != rec.ns || hrec.key != rec.key || hrec.entry.Tag != rec.entry.Tag {
			t.Fatalf("readHeader disagrees with decodeEntry")
		}
		if !bytes.Equal(rec.entry.Value, data[len(data)-len(rec.entry.Value):]) {
			t.Fatal("value is not the tail of the input")
		}
		if crc32.Checksum(rec.entry.Value, castagnoli) != binary.LittleEndian.Uint32(data[36:]) {
			t.Fatal("accepted an entry whose value checksum does not match")
		}
		re, err := encodeEntry(rec.ns, rec.key, &rec.entry)
		if err != nil {
			t.Fatalf("accepted entry does not re-encode: %v", err)
		}
		if !bytes.Equal(re, data) {
			t.Fatalf("accepted input is not canonical / checksums do not match:\n in %x\nout %x", data, re)
		}
	})
}
