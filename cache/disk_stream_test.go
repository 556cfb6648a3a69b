package cache

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/sendfiletest"
)

// readBody returns what GetBody answered as bytes, and whether it came as
// a file body; it closes the body.
func readBody(t *testing.T, c *Cache, ns, key string) ([]byte, bool, Tier, bool) {
	t.Helper()
	e, b, tier, ok := c.GetBody(ns, key)
	if !ok {
		return nil, false, tier, false
	}
	if b == nil {
		return e.Value, false, tier, true
	}
	defer b.Close()
	if e.Value != nil {
		t.Fatal("a body hit also carries a Value")
	}
	var buf bytes.Buffer
	if n, err := b.WriteTo(&buf); err != nil || n != b.Len() {
		t.Fatalf("WriteTo: %d bytes of %d, %v", n, b.Len(), err)
	}
	if e.ContentType != "image/webp" || e.Meta["w"] != "10" || e.Tag != "t" {
		t.Fatalf("body hit's entry: %+v", e)
	}
	return buf.Bytes(), true, tier, true
}

// bodySizes are value sizes on both sides of smallBody: read whole into a
// pooled buffer, and sent from the file.
var bodySizes = map[string]int{"small": 5000, "large": smallBody + 1000}

func TestGetBodyStreamsVerifiedDiskHits(t *testing.T) {
	for name, size := range bodySizes {
		t.Run(name, func(t *testing.T) {
			c, _ := diskOnly(t, t.TempDir(), 1<<20, nil)
			want := mkEntry(size, "t")
			want.Value[0], want.Value[size-1] = 'a', 'z'
			c.Set("result", "k", want)
			other := mkEntry(size/2, "t")
			other.Value[0] = 'b'
			c.Set("result", "other", other)
			c.Flush()
			// First read in this process: verified in full, served from memory.
			got, body, tier, ok := readBody(t, c, "result", "k")
			if !ok || body || tier != TierDisk || !bytes.Equal(got, want.Value) {
				t.Fatalf("first hit: ok %v, body %v, tier %v, %d bytes", ok, body, tier, len(got))
			}
			readBody(t, c, "result", "other")
			// Then from the file, interleaved with another entry's body
			// (a reused buffer must not leak one into the other).
			for range 3 {
				got, body, tier, ok = readBody(t, c, "result", "k")
				if !ok || !body || tier != TierDisk || !bytes.Equal(got, want.Value) {
					t.Fatalf("later hit: ok %v, body %v, tier %v, %d bytes", ok, body, tier, len(got))
				}
				got, body, _, ok = readBody(t, c, "result", "other")
				if !ok || !body || !bytes.Equal(got, other.Value) {
					t.Fatalf("other entry's hit: ok %v, body %v, %d bytes", ok, body, len(got))
				}
			}
			if s := c.Stats(); s.DiskHits != 8 {
				t.Fatalf("disk hits %d, want 8", s.DiskHits)
			}
			// A rewrite of the key is a new file: verified in full again.
			c.Set("result", "k", mkEntry(300, "t"))
			c.Flush()
			if got, body, _, ok := readBody(t, c, "result", "k"); !ok || body || len(got) != 300 {
				t.Fatalf("after a rewrite: ok %v, body %v, %d bytes", ok, body, len(got))
			}
		})
	}
}

// A verified file that is damaged afterwards is never streamed: truncated,
// rewritten in place, or replaced by another file.
func TestGetBodyNeverStreamsDamagedEntries(t *testing.T) {
	cases := map[string]func(t *testing.T, p string){
		"truncated": func(t *testing.T, p string) {
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, fi.Size()-10); err != nil {
				t.Fatal(err)
			}
		},
		"value flipped in place, same size": func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-3] ^= 0x40
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(b[len(b)-3:len(b)-2], int64(len(b)-3)); err != nil {
				t.Fatal(err)
			}
		},
		"header flipped in place": func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b[fixedHdrLen+8] ^= 0x01
			os.WriteFile(p, b, 0o600)
		},
		"replaced by a corrupt file": func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-3] ^= 0x40
			tmp := filepath.Join(t.TempDir(), "x")
			os.WriteFile(tmp, b, 0o600)
			if err := os.Rename(tmp, p); err != nil {
				// Another file system: write next to it instead.
				os.WriteFile(p+".new", b, 0o600)
				if err := os.Rename(p+".new", p); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
	for name, damage := range cases {
		for sizeName, size := range bodySizes {
			t.Run(name+"/"+sizeName, func(t *testing.T) {
				c, sink := diskOnly(t, t.TempDir(), 1<<20, nil)
				c.Set("result", "victim", mkEntry(size, "t"))
				c.Flush()
				for i := range 2 { // verified, then streamed
					if _, body, _, ok := readBody(t, c, "result", "victim"); !ok || body != (i == 1) {
						t.Fatalf("hit %d: ok %v, body %v", i, ok, body)
					}
				}
				// Past the kernel's coarse timestamp tick, so that an
				// in-place write moves the change time.
				time.Sleep(30 * time.Millisecond)
				p := entryFile(c, "result", "victim")
				damage(t, p)
				if _, body, _, ok := readBody(t, c, "result", "victim"); ok {
					t.Fatalf("damaged entry was served (body %v)", body)
				}
				if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("damaged file not deleted: %v", err)
				}
				if s := c.Stats(); s.DiskCorruptDropped != 1 {
					t.Fatalf("stats %+v", s)
				}
				if errs := sink.list(); len(errs) != 1 || !errors.Is(errs[0], errCorrupt) {
					t.Fatalf("reported errors: %v", errs)
				}
			})
		}
	}
}

// With a memory tier that can hold the entry, a disk hit is promoted as by
// Get and never streamed.
func TestGetBodyKeepsPromotion(t *testing.T) {
	dir := t.TempDir()
	c := newCache(t, Options{DiskPath: dir, DiskMaxBytes: 1 << 20})
	waitIndex(t, c)
	c.Set("result", "k", mkEntry(2000, "t"))
	c.Flush()
	c.mem.del("result", "k")
	c.mem.c.Wait()
	for i, want := range []Tier{TierDisk, TierMemory} {
		got, body, tier, ok := readBody(t, c, "result", "k")
		if !ok || body || tier != want || len(got) != 2000 {
			t.Fatalf("hit %d: ok %v, body %v, tier %v (want %v), %d bytes", i, ok, body, tier, want, len(got))
		}
	}
	// A memory tier smaller than the entry file: streamed like disk only.
	small := newCache(t, Options{MemoryMaxBytes: 1000, DiskPath: dir, DiskMaxBytes: 1 << 20})
	waitIndex(t, small)
	for i := range 2 {
		if _, body, tier, ok := readBody(t, small, "result", "k"); !ok || body != (i == 1) || tier != TierDisk {
			t.Fatalf("small memory tier, hit %d: ok %v, body %v, tier %v", i, ok, body, tier)
		}
	}
}

// chunkingWriter copies as Caddy's write-idle writer does (its ReadFrom
// hands each chunk on as io.LimitReader(r, chunk)) into a connection that
// notes, per chunk, whether sendfile would take it.
type chunkingWriter struct {
	bytes.Buffer
	conn sendfiletest.Conn
}

func (w *chunkingWriter) ReadFrom(r io.Reader) (int64, error) {
	w.conn.W = &w.Buffer
	var total int64
	for {
		n, err := w.conn.ReadFrom(io.LimitReader(r, 64<<10))
		total += n
		if err != nil || n < 64<<10 {
			return total, err
		}
	}
}

// A large body goes to the writer as its file, so that a writer which
// chunks it still reaches sendfile, and exactly its value is sent.
func TestFileBodyReachesSendfileThroughAChunkingWriter(t *testing.T) {
	c, _ := diskOnly(t, t.TempDir(), 4<<20, nil)
	want := mkEntry(smallBody*2+12345, "t")
	for i := range want.Value {
		want.Value[i] = byte(i * 13)
	}
	c.Set("result", "k", want)
	c.Flush()
	for i := range 2 { // verified in full, then streamed
		e, b, _, ok := c.GetBody("result", "k")
		if !ok || (b != nil) != (i == 1) {
			t.Fatalf("hit %d: ok %v, body %v", i, ok, b != nil)
		}
		if b == nil {
			if !bytes.Equal(e.Value, want.Value) {
				t.Fatal("first hit's value differs")
			}
			continue
		}
		w := &chunkingWriter{}
		n, err := b.WriteTo(w)
		b.Close()
		if err != nil || n != int64(len(want.Value)) || !bytes.Equal(w.Bytes(), want.Value) {
			t.Fatalf("WriteTo: %d bytes, %v; identical: %v", n, err, bytes.Equal(w.Bytes(), want.Value))
		}
		if len(w.conn.Forms) < 8 || !w.conn.AllSendfile() {
			t.Fatalf("chunks in sendfile's form: %v", w.conn.Forms)
		}
	}
}
