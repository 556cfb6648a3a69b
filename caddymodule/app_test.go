package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/cache/redistier"
	"github.com/jebosio/matte/segment"
	"github.com/jebosio/matte/transform"
)

func TestUseProcessSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []processSettings
		want    processSettings
		wantErr string // "" when accepted
	}{
		{"none set", []processSettings{{}, {}}, processSettings{}, ""},
		{"one sets, one leaves unset", []processSettings{{VipsConcurrency: ref(4)}, {}}, processSettings{VipsConcurrency: ref(4)}, ""},
		{"unset first", []processSettings{{}, {VipsCacheMemory: ref[int64](1 << 20)}}, processSettings{VipsCacheMemory: ref[int64](1 << 20)}, ""},
		{"same values", []processSettings{{VipsConcurrency: ref(2), FreeMemoryInterval: ref(time.Minute)}, {VipsConcurrency: ref(2), FreeMemoryInterval: ref(time.Minute)}},
			processSettings{VipsConcurrency: ref(2), FreeMemoryInterval: ref(time.Minute)}, ""},
		{"different fields merge", []processSettings{{VipsConcurrency: ref(2)}, {VipsCacheMemory: ref[int64](1 << 20)}}, processSettings{VipsConcurrency: ref(2), VipsCacheMemory: ref[int64](1 << 20)}, ""},
		{"concurrency conflicts", []processSettings{{VipsConcurrency: ref(2)}, {VipsConcurrency: ref(3)}}, processSettings{}, "vips_concurrency"},
		{"cache memory conflicts", []processSettings{{VipsCacheMemory: ref[int64](1)}, {VipsCacheMemory: ref[int64](2)}}, processSettings{}, "vips_cache_memory"},
		{"interval conflicts", []processSettings{{FreeMemoryInterval: ref(time.Second)}, {FreeMemoryInterval: ref(time.Minute)}}, processSettings{}, "set it differently (1s and 1m0s)"},
		// A default written out is set: it conflicts with another value.
		{"explicit default cache memory conflicts", []processSettings{{VipsCacheMemory: ref[int64](0)}, {VipsCacheMemory: ref[int64](512 << 20)}}, processSettings{}, "set it differently (0 and 536870912)"},
		{"explicit default interval conflicts", []processSettings{{FreeMemoryInterval: ref(time.Second)}, {FreeMemoryInterval: ref(time.Duration(0))}}, processSettings{}, "set it differently (1s and 0s)"},
		{"explicit defaults agree", []processSettings{{VipsCacheMemory: ref[int64](0)}, {VipsCacheMemory: ref[int64](0)}, {}}, processSettings{VipsCacheMemory: ref[int64](0)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &App{}
			var err error
			for _, s := range tc.in {
				if err = a.UseProcessSettings(s); err != nil {
					break
				}
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one naming %q", err, tc.wantErr)
			case tc.wantErr == "" && !reflect.DeepEqual(a.process, tc.want):
				t.Fatalf("merged %+v, want %+v", a.process, tc.want)
			}
		})
	}
}

// validateCaddyfile adapts and provisions (without starting) a Caddyfile.
func validateCaddyfile(t *testing.T, caddyfile string) error {
	t.Helper()
	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapt: %v", err)
	}
	var cfg caddy.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return caddy.Validate(&cfg)
}

// TestConflictingProcessSettings: two matte handlers of one config cannot
// set libvips' process-wide settings differently.
func TestConflictingProcessSettings(t *testing.T) {
	site := func(port int, opts string) string {
		return fmt.Sprintf("http://127.0.0.1:%d {\n\tmatte {\n\t\trembg off\n\t\tcache off\n\t\t%s\n\t}\n\trespond 404\n}\n", port, opts)
	}
	for _, tc := range []struct {
		name, a, b string
		wantErr    string
	}{
		{"different vips_concurrency", "vips_concurrency 2", "vips_concurrency 3", "vips_concurrency"},
		{"different vips_cache_memory", "vips_cache_memory 10MiB", "vips_cache_memory 20MiB", "vips_cache_memory"},
		{"different free_memory_interval", "free_memory_interval 1m", "free_memory_interval 2m", "free_memory_interval"},
		{"same settings", "vips_concurrency 2", "vips_concurrency 2", ""},
		{"set in one handler only", "vips_concurrency 2", "workers 1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateCaddyfile(t, "{\n\tadmin off\n\tauto_https off\n}\n"+site(19081, tc.a)+site(19082, tc.b))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}

func TestEnginesPoolKeyFollowsValues(t *testing.T) {
	q1, q2 := 3, 3
	a, b := Removal{Model: "isnet", Queue: &q1}, Removal{Model: "isnet", Queue: &q2}
	ka, _ := a.poolKey()
	kb, _ := b.poolKey()
	if ka != kb {
		t.Fatalf("equal configurations have different engine keys %q and %q (a reload would load the models again)", ka, kb)
	}
	q2 = 4
	if kb, _ = b.poolKey(); ka == kb {
		t.Fatal("different queues share an engine key")
	}
}

// TestProvisionRefusesBadNumbers: Caddy provisions a handler before it
// validates it, so what JSON can say and the Caddyfile cannot (a negative
// workers, which would size a channel) is refused by Provision with an
// error, not a panic; a queue_megapixels below what the workers run at once
// names the option and the least it may be, for this workers count.
func TestProvisionRefusesBadNumbers(t *testing.T) {
	for _, tc := range []struct {
		name, handler, wantErr string
	}{
		{"negative workers", `"workers": -1`, "limits, workers and queue_megapixels must not be negative"},
		{"negative timeout", `"timeout": -1000000000`, "timeout, source_ttl and source_heuristic_ttl must not be negative"},
		{"queue under the workers", `"workers": 4, "queue_megapixels": 50`, "queue_megapixels 50 is below what 4 workers run at once (4 workers × 25 MP = 100): raise it to at least 100 or lower workers"},
		{"queue at the workers", `"workers": 4, "queue_megapixels": 100`, ""},
		// cache_off is written again, false, below: the last one counts.
		{"negative cache_memory", `"cache_off": false, "cache_memory": -1`, "cache_memory (-1) and cache_disk_size (0) must not be negative"},
		{"negative cache_disk_size", `"cache_off": false, "cache_disk": "` + t.TempDir() + `", "cache_disk_size": -5`, "cache_memory (0) and cache_disk_size (-5) must not be negative"},
		{"negative cache_shared ttl", `"cache_off": false, "cache_shared": {"urls": ["redis://127.0.0.1:1"], "ttl": -1}`, "cache_shared max_entry_size, ttl and timeout must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := `{"apps": {"http": {"servers": {"s": {"listen": ["127.0.0.1:0"], "routes": [{"handle": [{"handler": "matte", "cache_off": true, "rembg": {"off": true}, "faces": {"off": true}, ` +
				tc.handler + `}]}]}}}}}`
			var cfg caddy.Config
			if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
				t.Fatal(err)
			}
			err := caddy.Validate(&cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestDiskFolderOfOneCache: two sites of one config may name one cache_disk
// folder only for one cache: the same settings, however spelled (a default
// written out, a trailing slash), share it; other settings are refused
// rather than opening the folder twice, each tier deleting the other's
// files to keep its own size.
func TestDiskFolderOfOneCache(t *testing.T) {
	dir := t.TempDir()
	site := func(port int, opts string) string {
		return fmt.Sprintf("http://127.0.0.1:%d {\n\tmatte {\n\t\trembg off\n\t\tfaces off\n\t\t%s\n\t}\n\trespond 404\n}\n", port, opts)
	}
	for _, tc := range []struct {
		name, a, b string
		wantErr    string
	}{
		{"same settings", "cache_disk " + dir, "cache_disk " + dir, ""},
		{"defaults written out", "cache_disk " + dir, "cache_memory 256MiB\n\t\tcache_disk " + dir + "/ 1GiB", ""},
		{"another memory tier", "cache_disk " + dir, "cache_memory 64MiB\n\t\tcache_disk " + dir, "cache_disk " + dir + " is also another matte handler's, with other cache settings"},
		{"another size", "cache_disk " + dir + " 1GiB", "cache_disk " + dir + " 2GiB", "give each its own folder"},
		{"own folders", "cache_disk " + dir + "/a", "cache_memory 64MiB\n\t\tcache_disk " + dir + "/b", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateCaddyfile(t, site(9501, tc.a)+site(9502, tc.b))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestRolledBackStartRestoresVipsSettings: on a reload the new config starts
// before the old one stops, and its libvips settings stay; where Caddy
// rolls a started config back (another app of it failed to start), the
// settings of the config that serves on are put back.
func TestRolledBackStartRestoresVipsSettings(t *testing.T) {
	app := func(concurrency int) *App {
		return &App{processSet: true, process: processSettings{VipsConcurrency: &concurrency}}
	}
	running := app(2)
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	refused := app(3)
	refused.Start()
	if got := transform.VipsConcurrency(); got != 3 {
		t.Fatalf("after the new config's Start: concurrency %d, want 3", got)
	}
	refused.Stop() // rolled back
	if got := transform.VipsConcurrency(); got != 2 {
		t.Fatalf("after the rollback: concurrency %d, want the running config's 2", got)
	}
	next := app(4)
	next.Start()
	running.Stop() // the reload went through
	if got := transform.VipsConcurrency(); got != 4 {
		t.Fatalf("after a reload: concurrency %d, want the new config's 4", got)
	}
	next.Stop()
}

// A rembg block that Validate refuses is refused before its models load:
// Caddy provisions before it validates, and preload would load them (here
// the missing runtime library would be the error instead).
func TestRembgRefusedBeforeLoading(t *testing.T) {
	raw := `{"apps": {"http": {"servers": {"s": {"listen": ["127.0.0.1:0"], "routes": [{"handle": [{"handler": "matte", "cache_off": true, "faces": {"off": true},
		"rembg": {"runtime": "/nonexistent/libonnxruntime.so", "preload": true, "gpu_mem_limit": 1073741824}}]}]}}}}}`
	var cfg caddy.Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	const want = "rembg gpu_mem_limit: for execution_provider cuda or tensorrt, not cpu"
	if err := caddy.Validate(&cfg); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
}

// provisionedApp is an App as Provision leaves it, logging to an observer
// (Caddy names every App's logger after the module: "matte").
func provisionedApp() (*App, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return &App{logger: zap.New(core).Named("matte"), caches: map[string]*cache.Cache{}, tiers: map[string]*redistier.Tier{},
		inference: map[*segment.Pool]bool{}}, logs
}

// TestPooledObjectsLogToTheServingConfig: a cache (like a model session or
// a usage store) outlives the config that opened it; after a reload its
// warnings go to the new config's logger, not to the first config's (whose
// log file may be another, or closed). A rolled-back config hands the
// logger back to the one that serves on.
func TestPooledObjectsLogToTheServingConfig(t *testing.T) {
	// An invalid namespace is reported through cache.Options.OnError at
	// once; a memory size no other test uses keeps this cache to itself.
	warn := func(c *cache.Cache) { c.Set("not a namespace!", "k", cache.Entry{Value: []byte("x")}) }
	opts := cache.Options{MemoryMaxBytes: 3<<20 + 7}
	count := func(logs *observer.ObservedLogs) int {
		return logs.FilterMessage("cache").FilterLoggerName("matte").Len()
	}

	first, firstLogs := provisionedApp()
	c, err := first.Cache(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	redisLog := newRedisLogger(first.liveLogger()) // go-redis's, set once per process
	first.Start()
	warn(c)
	if n := count(firstLogs); n != 1 {
		t.Fatalf("while the first config serves: %d warnings in its log, want 1", n)
	}

	// Reload: Caddy provisions and starts the next config, then stops and
	// cleans up the first.
	second, secondLogs := provisionedApp()
	if c2, err := second.Cache(opts, nil); err != nil || c2 != c {
		t.Fatalf("the reload did not reuse the cache (%v)", err)
	}
	second.Start()
	first.Stop()
	first.Cleanup()
	warn(c)
	if n1, n2 := count(firstLogs), count(secondLogs); n1 != 1 || n2 != 1 {
		t.Fatalf("after the reload: %d new warnings in the first config's log and %d in the second's, want 0 and 1", n1-1, n2)
	}
	redisLog.Printf(context.Background(), "dial tcp %s: refused", "127.0.0.1:6379")
	if n1, n2 := firstLogs.FilterLoggerName("matte.redis").Len(), secondLogs.FilterLoggerName("matte.redis").Len(); n1 != 0 || n2 != 1 {
		t.Fatalf("after the reload: go-redis's message went %d times to the first config's log and %d to the second's, want 0 and 1", n1, n2)
	}

	// A third config starts, then is rolled back: the second serves on.
	third, thirdLogs := provisionedApp()
	third.Start()
	third.Stop()
	warn(c)
	if n2, n3 := count(secondLogs), count(thirdLogs); n2 != 2 || n3 != 0 {
		t.Fatalf("after a rollback: warnings %d in the serving config's log and %d in the rolled-back one's, want 2 and 0", n2, n3)
	}
	second.Stop()
	second.Cleanup()
}

// TestCachePoolKeySpellings: spellings of one shared cache name one pooled
// cache (else a reload that only writes out a default starts an empty
// memory tier, and two handlers sharing a cache_disk are refused); other
// settings name another. The Redis password never shows.
func TestCachePoolKeySpellings(t *testing.T) {
	o := cache.Options{MemoryMaxBytes: cache.DefaultMemoryMaxBytes}
	sc := func(max int64, ttl time.Duration, urls ...string) *SharedCache {
		return &SharedCache{URLs: urls, MaxEntrySize: max, TTL: caddy.Duration(ttl)}
	}
	bare := sc(0, 0, "redis://h")
	for _, tc := range []struct {
		name string
		sc   *SharedCache
		same bool
	}{
		// The README's cache_shared rows: "max_entry_size <size> # ...;
		// default 8MiB", "ttl <duration> # default 7d".
		{"defaults written out", sc(8<<20, 7*24*time.Hour, "redis://h"), true},
		{"default port", sc(0, 0, "redis://h:6379"), true},
		{"default database", sc(0, 0, "redis://h:6379/0"), true},
		{"empty database", sc(0, 0, "redis://h/"), true},
		{"host in capitals", sc(0, 0, "redis://H:6379/0"), true},
		{"another max_entry_size", sc(4<<20, 0, "redis://h"), false},
		{"another ttl", sc(0, time.Hour, "redis://h"), false},
		{"another port", sc(0, 0, "redis://h:6380"), false},
		{"another database", sc(0, 0, "redis://h/1"), false},
		{"a password", sc(0, 0, "redis://:pw@h"), false},
		{"a user", sc(0, 0, "redis://u@h"), false},
		{"sentinel", sc(0, 0, "redis://h?master_name=m"), false},
		{"a second node", sc(0, 0, "redis://h", "redis://h2"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k1, _ := cachePoolKey(o, bare)
			k2, _ := cachePoolKey(o, tc.sc)
			if (k1 == k2) != tc.same {
				t.Fatalf("keys %q and %q: same %v, want %v", k1, k2, k1 == k2, tc.same)
			}
		})
	}
	for _, u := range []string{"redis://:S3cret@h:6379/0", "redis://user:S3cret@h", "redis://:S3cret@h/notadb"} {
		key, shown := cachePoolKey(o, sc(0, 0, u))
		if strings.Contains(shown, "S3cret") || !strings.Contains(shown, "xxxxx") {
			t.Errorf("%s: shown as %q, want the password hidden", u, shown)
		}
		if other, _ := cachePoolKey(o, sc(0, 0, strings.Replace(u, "S3cret", "other", 1))); other == key {
			t.Errorf("%s: another password names the same cache", u)
		}
	}
}

// TestCacheConflictHidesRedisPassword: the error refusing two caches on one
// disk folder (logged, and answered to the admin /load) names the settings
// without the Redis password.
func TestCacheConflictHidesRedisPassword(t *testing.T) {
	a, _ := provisionedApp()
	dir := t.TempDir()
	if _, err := a.Cache(cache.Options{DiskPath: dir}, nil); err != nil {
		t.Fatal(err)
	}
	defer a.Cleanup()
	// Refused before any Redis client is made.
	_, err := a.Cache(cache.Options{DiskPath: dir}, &SharedCache{URLs: []string{"redis://:S3cret@127.0.0.1:6379/0"}})
	const want = "shared=redis://:xxxxx@127.0.0.1:6379/0|matte:|250ms;max=8388608;ttl=168h0m0s"
	if err == nil || strings.Contains(err.Error(), "S3cret") || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one naming %q without the password", err, want)
	}
}

// ref is a pointer to v.
func ref[T any](v T) *T { return &v }

// A cache's warnings name the counter of their own tier, and a Redis
// outage (every shared-tier operation failing) does not use up the disk
// tier's sampled lines: each tier has its own message and sampler.
func TestCacheWarningsPerTier(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	onError := cacheErrorLogger(zap.New(core))
	for range 20 {
		onError(&cache.SharedError{Op: "get", NS: "r", Key: "k", Err: fmt.Errorf("WRONGPASS invalid username-password pair")})
	}
	onError(&cache.DiskError{Op: "write", Namespace: "r", Key: "k", Path: "/c/r/k", Err: fmt.Errorf("no space left on device")})
	onError(&cache.DiskError{Op: "corrupt", Namespace: "r", Key: "k2", Path: "/c/r/k2", Err: fmt.Errorf("checksum mismatch")})
	onError(fmt.Errorf("%w: namespace %q", cache.ErrInvalid, "bad ns"))

	note := func(e observer.LoggedEntry) string { return fmt.Sprint(e.ContextMap()["note"]) }
	var disk, shared, other int
	for _, e := range logs.All() {
		n := note(e)
		switch {
		case strings.Contains(e.ContextMap()["error"].(string), "WRONGPASS"):
			shared++
			if !strings.Contains(n, "matte_cache_shared_errors_total") || strings.Contains(n, "disk") {
				t.Errorf("a Redis error's note: %q, want the shared tier's counter only", n)
			}
		case strings.Contains(e.ContextMap()["error"].(string), "cache disk"):
			disk++
			if !strings.Contains(n, "matte_cache_disk_write_errors_total") || strings.Contains(n, "shared") {
				t.Errorf("a disk error's note: %q, want the disk tier's counters", n)
			}
		default:
			other++
			if strings.Contains(n, "matte_cache_") {
				t.Errorf("an invalid entry's note %q names a counter that does not count it", n)
			}
		}
	}
	if shared != 5 || disk != 2 || other != 1 {
		t.Fatalf("logged %d Redis, %d disk and %d other warnings; want 5 (sampled), 2 and 1 (not drowned by the Redis ones)", shared, disk, other)
	}
}
