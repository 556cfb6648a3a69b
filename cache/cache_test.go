package cache

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// errSink collects errors passed to Options.OnError.
type errSink struct {
	mu   sync.Mutex
	errs []error
}

func (s *errSink) add(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

func (s *errSink) list() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

func newCache(t testing.TB, o Options) *Cache {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// diskOnly returns a cache with only the disk tier, with its index ready.
func diskOnly(t testing.TB, dir string, maxBytes int64, hooks *testHooks) (*Cache, *errSink) {
	t.Helper()
	sink := &errSink{}
	c := newCache(t, Options{MemoryMaxBytes: -1, DiskPath: dir, DiskMaxBytes: maxBytes, OnError: sink.add, hooks: hooks})
	waitIndex(t, c)
	return c, sink
}

func waitIndex(t testing.TB, c *Cache) {
	t.Helper()
	select {
	case <-c.disk.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("disk index scan did not finish")
	}
}

func entryFile(c *Cache, ns, key string) string {
	return c.disk.path(idxKey{ns: ns, h: hashKey(key)})
}

func mkEntry(size int, tag string) Entry {
	v := bytes.Repeat([]byte{byte(size)}, size)
	return Entry{Value: v, ContentType: "image/webp", Meta: map[string]string{"w": "10"}, Tag: tag}
}

// gate blocks a hook until opened; open is idempotent so a failing test
// can always unblock background work before Close waits for it.
type gate struct {
	reached, release chan struct{}
	once, rOnce      sync.Once
}

func newGate() *gate { return &gate{reached: make(chan struct{}), release: make(chan struct{})} }

func (g *gate) wait() {
	g.rOnce.Do(func() { close(g.reached) })
	<-g.release
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// scanBlocked returns a cache whose index scan blocks before inserting what
// it found, until the gate is opened (at the latest at cleanup). The
// other hooks of o.hooks, if set, are kept.
func scanBlocked(t *testing.T, o Options) (*Cache, *gate) {
	t.Helper()
	g := newGate()
	if o.hooks == nil {
		o.hooks = &testHooks{}
	}
	o.hooks.beforeScanInsert = g.wait
	c := newCache(t, o)
	t.Cleanup(g.open) // runs before the Close registered by newCache
	return c, g
}

// seeded stores e as result/k in a disk tier on dir, and closes it, for a
// test to start a cache on dir with an entry it has not indexed yet.
func seeded(t *testing.T, dir string, e Entry) {
	t.Helper()
	c, _ := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "k", e)
	c.Flush()
	c.Close()
}

func TestNilAndDisabledCache(t *testing.T) {
	var nilc *Cache
	off := newCache(t, Options{MemoryMaxBytes: -1})
	for name, c := range map[string]*Cache{"nil": nilc, "disabled": off} {
		t.Run(name, func(t *testing.T) {
			if c.Enabled() {
				t.Fatal("Enabled")
			}
			c.Set("result", "k", mkEntry(10, ""))
			c.Flush()
			if _, tier, ok := c.Get("result", "k"); ok || tier != TierNone {
				t.Fatal("hit on a disabled cache")
			}
			calls := 0
			fn := func(ctx contextT) (Entry, bool, error) { calls++; return mkEntry(3, ""), true, nil }
			for range 2 {
				e, out, err := c.Do(bg(), "result", "k", fn)
				if err != nil || len(e.Value) != 3 || !out.Executed || out.Tier != TierNone {
					t.Fatalf("Do: %v %+v %v", len(e.Value), out, err)
				}
			}
			if calls != 2 {
				t.Fatalf("fn ran %d times, want 2 (nothing is cached)", calls)
			}
			if err := errors.Join(c.Delete("result", "k"), c.Purge("result"), c.PurgeTag("x"), c.PurgeAll()); err != nil {
				t.Fatal(err)
			}
			_ = c.Stats()
			c.Close()
		})
	}
}

func TestMemoryRoundTrip(t *testing.T) {
	c := newCache(t, Options{})
	want := sampleEntry()
	c.Set("result", "abc", want)
	got, tier, ok := c.Get("result", "abc")
	if !ok || tier != TierMemory {
		t.Fatalf("Get: ok=%v tier=%v", ok, tier)
	}
	assertEntryEqual(t, got, want)
	if _, _, ok := c.Get("mask", "abc"); ok {
		t.Fatal("namespaces collide")
	}
	if err := c.Delete("result", "abc"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.Get("result", "abc"); ok {
		t.Fatal("hit after Delete")
	}
	s := c.Stats()
	if s.MemoryHits != 1 || s.MemoryMisses != 2 {
		t.Fatalf("stats %+v", s)
	}
	// Created is filled in when zero.
	c.Set("result", "now", Entry{Value: []byte("x")})
	if e, _, ok := c.Get("result", "now"); !ok || time.Since(e.Created) > time.Minute {
		t.Fatalf("Created not set: %v %v", ok, e.Created)
	}
}

// TestSetMemory: an entry stored with SetMemory is served from memory and
// written to no other tier, and it leaves the disk tier's copy as it was.
func TestSetMemory(t *testing.T) {
	dir := t.TempDir()
	c := newCache(t, Options{DiskPath: dir, DiskMaxBytes: 1 << 20})
	c.SetMemory("source", "fresh", mkEntry(3, "t"))
	c.Set("source", "both", mkEntry(4, "t"))
	c.SetMemory("source", "both", mkEntry(5, "t"))
	c.Flush()
	if e, tier, ok := c.Get("source", "fresh"); !ok || tier != TierMemory || len(e.Value) != 3 {
		t.Fatalf("SetMemory entry: ok=%v tier=%v", ok, tier)
	}
	if e, _, ok := c.Get("source", "both"); !ok || len(e.Value) != 5 {
		t.Fatalf("memory copy after SetMemory: ok=%v, %d bytes, want 5", ok, len(e.Value))
	}
	if _, err := os.Stat(entryFile(c, "source", "fresh")); !os.IsNotExist(err) {
		t.Fatalf("SetMemory wrote a disk entry: %v", err)
	}
	c.Close()
	c2 := newCache(t, Options{DiskPath: dir, DiskMaxBytes: 1 << 20})
	if e, tier, ok := c2.Get("source", "both"); !ok || tier != TierDisk || len(e.Value) != 4 {
		t.Fatalf("disk copy after SetMemory: ok=%v tier=%v, %d bytes, want Set's 4", ok, tier, len(e.Value))
	}
	var nilCache *Cache
	nilCache.SetMemory("source", "x", mkEntry(1, "")) // no panic
}

func TestMemoryEvictionBounded(t *testing.T) {
	const maxBytes = 1 << 20
	c := newCache(t, Options{MemoryMaxBytes: maxBytes})
	const n, size = 1000, 8 << 10 // 8 MB offered to a 1 MiB cache
	for i := range n {
		c.Set("result", fmt.Sprint(i), mkEntry(size, ""))
	}
	c.mem.c.Wait()
	s := c.Stats()
	if s.MemoryBytes > maxBytes {
		t.Fatalf("memory tier holds %d bytes > max %d", s.MemoryBytes, maxBytes)
	}
	hits := 0
	for i := range n {
		if _, _, ok := c.Get("result", fmt.Sprint(i)); ok {
			hits++
		}
	}
	if hits == 0 || hits*size > maxBytes {
		t.Fatalf("%d entries of %d bytes retrievable from a %d byte cache", hits, size, maxBytes)
	}
	if s.MemoryEvictions == 0 && s.MemoryDropped == 0 {
		t.Fatalf("nothing evicted or dropped: %+v", s)
	}
	if s.MemoryEntries <= 0 || s.MemoryEntries*size > maxBytes {
		t.Fatalf("MemoryEntries = %d", s.MemoryEntries)
	}
	// An entry larger than the whole tier is not stored.
	c.Set("result", "huge", mkEntry(2*maxBytes, ""))
	if _, _, ok := c.Get("result", "huge"); ok {
		t.Fatal("entry larger than MemoryMaxBytes was stored")
	}
}

func TestDiskRoundTripAndRestart(t *testing.T) {
	dir := t.TempDir()
	c, sink := diskOnly(t, dir, 1<<20, nil)
	want := sampleEntry()
	c.Set("result", "abc", want)
	c.Set("mask", "abc", mkEntry(5, ""))
	c.Flush()
	got, tier, ok := c.Get("result", "abc")
	if !ok || tier != TierDisk {
		t.Fatalf("Get: ok=%v tier=%v", ok, tier)
	}
	assertEntryEqual(t, got, want)
	if e, _, ok := c.Get("mask", "abc"); !ok || len(e.Value) != 5 {
		t.Fatal("mask namespace")
	}
	if _, err := os.Stat(entryFile(c, "result", "abc")); err != nil {
		t.Fatal(err)
	}
	c.Close()

	// A new instance (memory enabled) on the same directory: the first Get
	// finds the entry on disk and promotes it, the second hits memory, and
	// the index scan counts it.
	c2 := newCache(t, Options{DiskPath: dir, DiskMaxBytes: 1 << 20})
	got, tier, ok = c2.Get("result", "abc")
	if !ok || tier != TierDisk {
		t.Fatalf("after restart: ok=%v tier=%v", ok, tier)
	}
	assertEntryEqual(t, got, want)
	if _, tier, _ := c2.Get("result", "abc"); tier != TierMemory {
		t.Fatalf("not promoted to memory: %v", tier)
	}
	waitIndex(t, c2)
	if s := c2.Stats(); s.DiskEntries != 2 || !s.DiskIndexReady || s.DiskHits != 1 || s.MemoryHits != 1 {
		t.Fatalf("stats after restart: %+v", s)
	}
	if errs := sink.list(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
}

func TestDiskRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "important.txt"), []byte("x"), 0o644)
	if c, err := New(Options{DiskPath: dir}); err == nil {
		c.Close()
		t.Fatal("New accepted a non-empty foreign directory")
	}
}

func TestDiskCorruptEntries(t *testing.T) {
	cases := map[string]func(t *testing.T, c *Cache, p string){
		"flip value byte": func(t *testing.T, c *Cache, p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-3] ^= 0x40
			os.WriteFile(p, b, 0o644)
		},
		"flip header byte": func(t *testing.T, c *Cache, p string) {
			b, _ := os.ReadFile(p)
			b[fixedHdrLen+8] ^= 0x01 // inside the key/content type
			os.WriteFile(p, b, 0o644)
		},
		"truncated": func(t *testing.T, c *Cache, p string) {
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-10)
		},
		"truncated header": func(t *testing.T, c *Cache, p string) {
			os.Truncate(p, 20)
		},
		"wrong magic": func(t *testing.T, c *Cache, p string) {
			b, _ := os.ReadFile(p)
			copy(b, "JUNK")
			os.WriteFile(p, b, 0o644)
		},
		"key mismatch": func(t *testing.T, c *Cache, p string) {
			// A valid entry for another key, placed at this key's path.
			other := entryFile(c, "result", "other")
			b, err := os.ReadFile(other)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(p, b, 0o644)
		},
		"namespace mismatch": func(t *testing.T, c *Cache, p string) {
			b, err := os.ReadFile(entryFile(c, "mask", "victim"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(p, b, 0o644)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c, sink := diskOnly(t, dir, 1<<20, nil)
			c.Set("result", "victim", mkEntry(100, "t"))
			c.Set("result", "other", mkEntry(100, "t"))
			c.Set("mask", "victim", mkEntry(100, "t"))
			c.Flush()
			p := entryFile(c, "result", "victim")
			damage(t, c, p)
			if _, _, ok := c.Get("result", "victim"); ok {
				t.Fatal("damaged entry was served")
			}
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("damaged file not deleted: %v", err)
			}
			s := c.Stats()
			if s.DiskCorruptDropped != 1 || s.DiskMisses != 1 || s.DiskEntries != 2 {
				t.Fatalf("stats %+v", s)
			}
			var de *DiskError
			if errs := sink.list(); len(errs) != 1 || !errors.As(errs[0], &de) || de.Op != "corrupt" || !errors.Is(errs[0], errCorrupt) {
				t.Fatalf("reported errors: %v", errs)
			}
			// The others are untouched.
			if _, _, ok := c.Get("result", "other"); !ok {
				t.Fatal("other entry lost")
			}
		})
	}
}

func TestDiskScanDropsCorruptHeaders(t *testing.T) {
	dir := t.TempDir()
	c, _ := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "a", mkEntry(100, ""))
	c.Set("result", "b", mkEntry(100, ""))
	c.Flush()
	pa := entryFile(c, "result", "a")
	c.Close()
	os.Truncate(pa, 30)
	c2, _ := diskOnly(t, dir, 1<<20, nil)
	if s := c2.Stats(); s.DiskEntries != 1 || s.DiskCorruptDropped != 1 {
		t.Fatalf("stats %+v", s)
	}
	if _, err := os.Stat(pa); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("corrupt file kept by the scan")
	}
}

// diskUsage sums the sizes of the entry files under dir.
func diskUsage(t *testing.T, dir string) (total int64, n int) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && isHex(d.Name(), entryNameLen) {
			fi, _ := d.Info()
			total += fi.Size()
			n++
		}
		return nil
	})
	return total, n
}

// roomFor is a DiskMaxBytes with room for n files of e (under keys of the
// length of "k0" in "result") and not for n+1.
func roomFor(n int, e Entry) int64 {
	b, _ := encodeEntry("result", "k0", &e)
	size := int64(len(b))
	return int64(n)*size + size/2
}

func TestDiskEvictionLRU(t *testing.T) {
	dir := t.TempDir()
	e := mkEntry(1000, "")
	limit := roomFor(4, e)
	c, _ := diskOnly(t, dir, limit, nil)

	for i := range 4 {
		c.Set("result", fmt.Sprintf("k%d", i), e)
		c.Flush()
	}
	// Use k0 so that k1 is now the least recently used.
	if _, _, ok := c.Get("result", "k0"); !ok {
		t.Fatal("k0 missing")
	}
	c.Set("result", "k4", e)
	c.Flush()
	if total, _ := diskUsage(t, dir); total > limit {
		t.Fatalf("disk usage %d > limit %d", total, limit)
	}
	present := func(k string) bool {
		_, err := os.Stat(entryFile(c, "result", k))
		return err == nil
	}
	if present("k1") {
		t.Fatal("k1 (least recently used) was not evicted")
	}
	for _, k := range []string{"k0", "k2", "k3", "k4"} {
		if !present(k) {
			t.Fatalf("%s evicted; want only the LRU entry k1 evicted", k)
		}
	}
	c.Set("result", "k5", e)
	c.Flush()
	if present("k2") || !present("k0") {
		t.Fatal("second eviction did not take k2")
	}
	s := c.Stats()
	if s.DiskEvictions != 2 || s.DiskBytes > limit || s.DiskEntries != 4 {
		t.Fatalf("stats %+v", s)
	}
	// An entry larger than the limit is not written at all.
	c.Set("result", "big", mkEntry(int(limit), ""))
	c.Flush()
	if present("big") || c.Stats().DiskWritesDropped != 1 {
		t.Fatal("oversized entry written")
	}
}

func TestDiskEvictionAfterRestartUsesMtime(t *testing.T) {
	dir := t.TempDir()
	e := mkEntry(1000, "")
	c, _ := diskOnly(t, dir, 1<<20, nil)
	base := time.Now().Add(-time.Hour)
	var paths []string
	for i := range 5 {
		k := fmt.Sprintf("k%d", i)
		c.Set("result", k, e)
		c.Flush()
		p := entryFile(c, "result", k)
		paths = append(paths, p)
	}
	// k0 newest ... k4 oldest.
	for i, p := range paths {
		ts := base.Add(-time.Duration(i) * time.Minute)
		os.Chtimes(p, ts, ts)
	}
	c.Close()
	fi, _ := os.Stat(paths[0])
	limit := 3*fi.Size() + 10
	c2, _ := diskOnly(t, dir, limit, nil)
	for i, p := range paths {
		_, err := os.Stat(p)
		if kept := err == nil; kept != (i < 3) {
			t.Fatalf("k%d kept=%v", i, kept)
		}
	}
	if s := c2.Stats(); s.DiskEntries != 3 || s.DiskBytes > limit {
		t.Fatalf("stats %+v", s)
	}
}

func TestDiskWriteErrorsDoNotFailCaller(t *testing.T) {
	t.Run("namespace dir is a file", func(t *testing.T) {
		dir := t.TempDir()
		sink := &errSink{}
		c := newCache(t, Options{DiskPath: dir, OnError: sink.add})
		// Replace the namespace directory with a regular file: MkdirAll fails
		// with ENOTDIR even when running as root.
		if err := os.WriteFile(filepath.Join(dir, "result"), []byte("not a dir"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.Set("result", "k", mkEntry(10, ""))
		c.Flush()
		if _, tier, ok := c.Get("result", "k"); !ok || tier != TierMemory {
			t.Fatalf("memory tier does not hold the entry: %v %v", ok, tier)
		}
		if s := c.Stats(); s.DiskWriteErrors != 1 {
			t.Fatalf("DiskWriteErrors = %d", s.DiskWriteErrors)
		}
		var de *DiskError
		errs := sink.list()
		if len(errs) == 0 || !errors.As(errs[0], &de) || de.Op != "write" || de.Key != "k" {
			t.Fatalf("write error not reported: %v", errs)
		}
	})
	t.Run("disk full", func(t *testing.T) {
		dir := t.TempDir()
		sink := &errSink{}
		enospc := errors.New("no space left on device")
		var self atomic.Pointer[Cache]
		onError := func(err error) {
			sink.add(err)
			_ = self.Load().Stats() // callbacks may call back into the cache
		}
		c := newCache(t, Options{DiskPath: dir, OnError: onError, hooks: &testHooks{
			beforeWrite: func(ns, key string) error { return enospc },
		}})
		self.Store(c)
		c.Set("result", "k", mkEntry(10, ""))
		c.Flush()
		if _, _, ok := c.Get("result", "k"); !ok {
			t.Fatal("entry lost")
		}
		if errs := sink.list(); len(errs) != 1 || !errors.Is(errs[0], enospc) {
			t.Fatalf("reported: %v", errs)
		}
		if s := c.Stats(); s.DiskWriteErrors != 1 || s.DiskEntries != 0 {
			t.Fatalf("stats %+v", s)
		}
		if _, n := diskUsage(t, dir); n != 0 {
			t.Fatal("files written")
		}
	})
}

func TestDiskTempFilesNeverServedAndCleaned(t *testing.T) {
	dir := t.TempDir()
	c, _ := diskOnly(t, dir, 1<<20, nil)
	p := entryFile(c, "result", "k")
	c.Close()

	// A complete, valid entry left as a temp file by a crash just before the
	// rename, plus a fresh temp file (a concurrent writer's, possibly
	// another instance's) that must be left alone.
	e := mkEntry(50, "")
	b, _ := encodeEntry("result", "k", &e)
	shard := filepath.Dir(p)
	os.MkdirAll(shard, 0o755)
	stale := filepath.Join(shard, tmpPrefix+"deadbeef")
	fresh := filepath.Join(shard, tmpPrefix+"cafef00d")
	os.WriteFile(stale, b, 0o644)
	os.WriteFile(fresh, b, 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)

	c2, g := scanBlocked(t, Options{MemoryMaxBytes: -1, DiskPath: dir})
	if _, _, ok := c2.Get("result", "k"); ok {
		t.Fatal("temp file served as an entry")
	}
	g.open()
	waitIndex(t, c2)
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("stale temp file not removed")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("fresh temp file removed")
	}
	if _, _, ok := c2.Get("result", "k"); ok {
		t.Fatal("temp file served as an entry")
	}
	if s := c2.Stats(); s.DiskTempFilesRemoved != 1 || s.DiskEntries != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestStartupDoesNotWaitForScan(t *testing.T) {
	dir := t.TempDir()
	c, _ := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "k", mkEntry(10, ""))
	c.Flush()
	c.Close()
	c2, _ := scanBlocked(t, Options{MemoryMaxBytes: -1, DiskPath: dir})
	// The scan is blocked, yet Get works and indexes the entry it read.
	if _, tier, ok := c2.Get("result", "k"); !ok || tier != TierDisk {
		t.Fatal("Get before the scan finished")
	}
	if s := c2.Stats(); s.DiskIndexReady || s.DiskEntries != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPurge(t *testing.T) {
	for _, mode := range []string{"memory", "disk", "both"} {
		t.Run(mode, func(t *testing.T) {
			o := Options{}
			if mode != "memory" {
				o.DiskPath = t.TempDir()
			}
			if mode == "disk" {
				o.MemoryMaxBytes = -1
			}
			c := newCache(t, o)
			fill := func() {
				c.Set("result", "a1", mkEntry(10, "src-a"))
				c.Set("result", "a2", mkEntry(11, "src-a"))
				c.Set("mask", "a3", mkEntry(12, "src-a"))
				c.Set("result", "b1", mkEntry(13, "src-b"))
				c.Set("mask", "b2", mkEntry(14, "src-b"))
				c.Set("result", "u", mkEntry(15, ""))
				c.Flush()
			}
			has := func(ns, key string) bool { _, _, ok := c.Get(ns, key); return ok }
			check := func(what string, want map[string]bool) {
				t.Helper()
				for nk, w := range want {
					ns, key, _ := strings.Cut(nk, "/")
					if got := has(ns, key); got != w {
						t.Fatalf("after %s: %s present=%v, want %v", what, nk, got, w)
					}
				}
			}
			fill()
			if err := c.PurgeTag("src-a"); err != nil {
				t.Fatal(err)
			}
			check("PurgeTag", map[string]bool{"result/a1": false, "result/a2": false, "mask/a3": false, "result/b1": true, "mask/b2": true, "result/u": true})
			if err := c.Purge("mask"); err != nil {
				t.Fatal(err)
			}
			check("Purge(mask)", map[string]bool{"mask/b2": false, "result/b1": true, "result/u": true})
			fill()
			check("refill", map[string]bool{"result/a1": true, "mask/a3": true})
			if err := c.PurgeAll(); err != nil {
				t.Fatal(err)
			}
			check("PurgeAll", map[string]bool{"result/a1": false, "mask/a3": false, "result/b1": false, "result/u": false})
			if c.disk != nil {
				c.Flush()
				c.Close() // waits for the trash removal
				if _, n := diskUsage(t, o.DiskPath); n != 0 {
					t.Fatalf("%d entry files left after PurgeAll", n)
				}
			}
		})
	}
}

func TestPurgeTagCoversUnindexedDiskEntries(t *testing.T) {
	dir := t.TempDir()
	c, _ := diskOnly(t, dir, 1<<20, nil)
	c.Set("result", "a1", mkEntry(10, "src-a"))
	c.Set("result", "a2", mkEntry(10, "src-a"))
	c.Set("result", "b1", mkEntry(10, "src-b"))
	c.Flush()
	c.Close()

	c2, g := scanBlocked(t, Options{MemoryMaxBytes: -1, DiskPath: dir})
	<-g.reached // the scan has read the headers but not indexed them yet
	if err := c2.PurgeTag("src-a"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c2.Get("result", "a1"); ok {
		t.Fatal("purged entry served before the scan finished")
	}
	g.open()
	waitIndex(t, c2)
	for _, k := range []string{"a1", "a2"} {
		if _, _, ok := c2.Get("result", k); ok {
			t.Fatalf("purged %s served", k)
		}
		if _, err := os.Stat(entryFile(c2, "result", k)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("purged %s still on disk", k)
		}
	}
	if _, _, ok := c2.Get("result", "b1"); !ok {
		t.Fatal("b1 lost")
	}
}

// A write queued before a purge must not land after it.
func TestPurgeCancelsQueuedWrite(t *testing.T) {
	dir := t.TempDir()
	g := newGate()
	c, sink := diskOnly(t, dir, 1<<20, &testHooks{
		beforeWrite: func(ns, key string) error {
			if key == "slow" {
				g.wait()
			}
			return nil
		},
	})
	t.Cleanup(g.open)
	c.Set("result", "slow", mkEntry(10, "src"))
	<-g.reached // the writer holds it
	c.Set("result", "queued", mkEntry(10, "src"))
	if err := c.PurgeTag("src"); err != nil {
		t.Fatal(err)
	}
	g.open()
	c.Flush()
	if _, n := diskUsage(t, dir); n != 0 {
		t.Fatalf("%d files written after the purge", n)
	}
	if s := c.Stats(); s.DiskEntries != 0 || s.DiskWriteErrors != 0 {
		t.Fatalf("stats %+v", s)
	}
	if errs := sink.list(); len(errs) != 0 {
		t.Fatal(errs)
	}
}

func TestInvalidInputs(t *testing.T) {
	sink := &errSink{}
	c := newCache(t, Options{OnError: sink.add})
	c.Set("bad/ns", "k", mkEntry(1, ""))
	c.Set("result", "", mkEntry(1, ""))
	c.Set("result", "k", Entry{Tag: strings.Repeat("t", MaxTagLen+1)})
	if _, _, ok := c.Get("bad/ns", "k"); ok {
		t.Fatal("hit")
	}
	if errs := sink.list(); len(errs) != 3 || !errors.Is(errs[0], ErrInvalid) {
		t.Fatal(errs)
	}
	if c.Stats().InvalidSets != 3 {
		t.Fatal("InvalidSets")
	}
	if _, _, err := c.Do(bg(), "../x", "k", nil); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
	if err := c.Purge("a b"); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
}

func TestTierStrings(t *testing.T) {
	if TierNone.CacheStatus() != "MISS" || TierMemory.CacheStatus() != "HIT-MEMORY" || TierDisk.CacheStatus() != "HIT-DISK" {
		t.Fatal("CacheStatus")
	}
	if TierDisk.String() != "disk" {
		t.Fatal("String")
	}
	e := Entry{Created: time.Now().Add(-time.Minute)}
	if a := e.Age(time.Now()); a < time.Minute || a > 2*time.Minute {
		t.Fatal(a)
	}
	if (Entry{}).Age(time.Now()) != 0 || (Entry{Created: time.Now().Add(time.Hour)}).Age(time.Now()) != 0 {
		t.Fatal("Age")
	}
}

// A mixed concurrent workload, for the race detector and deadlocks.
func TestConcurrentStress(t *testing.T) {
	sink := &errSink{}
	c := newCache(t, Options{MemoryMaxBytes: 256 << 10, DiskPath: t.TempDir(), DiskMaxBytes: 256 << 10, OnError: sink.add})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				k := fmt.Sprint((i * (g + 1)) % 40)
				tag := "t" + fmt.Sprint(i%3)
				switch i % 10 {
				case 0:
					c.Delete("result", k)
				case 1:
					if g == 0 {
						c.PurgeTag(tag)
					}
				case 2:
					if g == 1 && i%50 == 2 {
						c.Purge("mask")
					}
				case 3, 4:
					c.Set("mask", k, mkEntry(1000+i, tag))
				default:
					c.Do(bg(), "result", k, func(ctx contextT) (Entry, bool, error) {
						return mkEntry(2000+i, tag), true, nil
					})
					c.Get("mask", k)
				}
				if i%100 == 0 {
					_ = c.Stats()
				}
			}
		}()
	}
	wg.Wait()
	c.Flush()
	s := c.Stats()
	if s.DiskBytes > 256<<10 || s.MemoryBytes > 256<<10 {
		t.Fatalf("limits exceeded: %+v", s)
	}
	for _, err := range sink.list() {
		t.Errorf("unexpected error: %v", err)
	}
}

func TestDiskQueueBounded(t *testing.T) {
	g := newGate()
	sink := &errSink{}
	c := newCache(t, Options{MemoryMaxBytes: -1, DiskPath: t.TempDir(), DiskWriters: 1, DiskQueueMaxBytes: 10 << 10, OnError: sink.add,
		hooks: &testHooks{beforeWrite: func(string, string) error { g.wait(); return nil }}})
	t.Cleanup(g.open)
	waitIndex(t, c)
	for i := range 10 {
		c.Set("result", fmt.Sprint(i), mkEntry(3000, "")) // ~3 KB each, 10 KB queue
	}
	<-g.reached
	g.open()
	c.Flush()
	s := c.Stats()
	if s.DiskWritesDropped == 0 || s.DiskEntries+int64(s.DiskWritesDropped) != 10 || s.DiskEntries > 4 {
		t.Fatalf("queue not bounded: %+v", s)
	}
}

func TestCloseFinishesQueuedWritesAndDisables(t *testing.T) {
	dir := t.TempDir()
	c := newCache(t, Options{DiskPath: dir})
	for i := range 20 {
		c.Set("result", fmt.Sprint(i), mkEntry(100, ""))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c.Close() // idempotent
	// After Close: misses, no-ops, Do still answers.
	if _, _, ok := c.Get("result", "1"); ok {
		t.Fatal("hit after Close")
	}
	c.Set("result", "late", mkEntry(1, ""))
	if err := c.PurgeAll(); err != nil {
		t.Fatal(err)
	}
	if e, _, err := c.Do(bg(), "result", "x", func(contextT) (Entry, bool, error) { return mkEntry(2, ""), true, nil }); err != nil || len(e.Value) != 2 {
		t.Fatal(err)
	}
	_ = c.Stats()

	c2, _ := diskOnly(t, dir, 1<<20, nil)
	if s := c2.Stats(); s.DiskEntries != 20 {
		t.Fatalf("%d of 20 queued writes persisted by Close", s.DiskEntries)
	}
}

// SetSince and SetMemorySince store nothing when a purge began after the
// generation they are given was taken: an entry derived from data read
// before the purge (a source's memo, fetched while the operator replaced
// the file and purged it) would bring back what the purge removed. Under a
// generation taken after the purge, they store as Set and SetMemory do.
func TestSetSinceRefusedAcrossPurge(t *testing.T) {
	c := newCache(t, Options{DiskPath: t.TempDir()})
	waitIndex(t, c)
	memo := func() Entry { return Entry{Meta: map[string]string{"hash": "old"}, Tag: "/img/a.jpg"} }
	gen := c.Generation()
	if err := c.PurgeTag("/img/a.jpg"); err != nil {
		t.Fatal(err)
	}
	c.SetSince(gen, "source", "m", memo())
	c.SetMemorySince(gen, "source", "short", memo())
	c.Flush()
	for _, key := range []string{"m", "short"} {
		if _, tier, ok := c.Get("source", key); ok {
			t.Errorf("%s, written under a generation from before the purge, was stored (%v)", key, tier)
		}
	}
	if _, err := os.Stat(entryFile(c, "source", "m")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SetSince across a purge wrote the disk tier: %v", err)
	}
	if n := c.Stats().StaleSkipped; n != 2 {
		t.Errorf("StaleSkipped %d, want 2", n)
	}

	gen = c.Generation()
	c.SetSince(gen, "source", "m", memo())
	c.SetMemorySince(gen, "source", "short", memo())
	c.Flush()
	for _, key := range []string{"m", "short"} {
		if _, tier, ok := c.Get("source", key); !ok || tier != TierMemory {
			t.Errorf("%s under a current generation: %v %v, want a memory hit", key, tier, ok)
		}
	}
	if _, err := os.Stat(entryFile(c, "source", "m")); err != nil {
		t.Errorf("SetSince did not write the disk tier: %v", err)
	}
	if _, err := os.Stat(entryFile(c, "source", "short")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SetMemorySince wrote the disk tier: %v", err)
	}
}

// After Close, Discard leaves the local tiers alone, as purges do: they
// are closed, and a memory-tier delete racing ristretto's Close can panic
// on its closed buffer.
func TestDiscardAfterClose(t *testing.T) {
	c, _ := diskOnly(t, t.TempDir(), 0, nil)
	c.Set("result", "k", mkEntry(10, ""))
	c.Flush()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Discard("result", "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entryFile(c, "result", "k")); err != nil {
		t.Fatalf("Discard after Close deleted from the disk tier: %v", err)
	}
}
