package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/cache/redistier"
	"github.com/jebosio/matte/segment"
	"github.com/jebosio/matte/transform"
)

func init() {
	caddy.RegisterModule(new(App))
}

// AppName is the Caddy app ID of the matte app.
const AppName = "matte"

// shared holds what outlives one config generation: Caddy provisions a new
// config before it cleans up the old one, so a reload finds the caches, model
// sessions and usage stores still open here and reuses them instead of
// opening a disk tier twice or loading a model again. Each pool is keyed by
// the configuration of what it holds. Only App's methods touch it.
var shared = struct {
	caches  *caddy.UsagePool // cachePoolKey -> cachePoolEntry
	engines *caddy.UsagePool // Removal.poolKey -> *models
	usage   *caddy.UsagePool // usage file path -> the hosted APIs' store
	// clusters: SharedCache.poolKey -> *clusterNode (the process-wide Redis
	// client and cluster node of cache_shared; shared.go)
	clusters *caddy.UsagePool
	faces    *caddy.UsagePool // model path and threshold -> detectorEntry
	// journals: absolute journal path -> journalEntry, the one journal of
	// each file, shared by every redisUsage over it (shared_quota.go)
	journals *caddy.UsagePool
}{caddy.NewUsagePool(), caddy.NewUsagePool(), caddy.NewUsagePool(), caddy.NewUsagePool(), caddy.NewUsagePool(), caddy.NewUsagePool()}

// App is the `matte` app: the one owner of Matte's process-wide state. Every
// matte handler (and the admin purge route) fetches it with
// ctx.App("matte"); Caddy creates it on demand, so it needs no global
// option. One App exists per config generation.
//
// It owns:
//   - the process settings (libvips' operation cache and threads, the
//     malloc_trim ticker): the handlers of one config must agree on them
//     (UseProcessSettings) and Start applies them;
//   - this generation's references to the shared caches, model engines and
//     API usage stores (see shared), released at Cleanup;
//   - the Prometheus metrics of this generation's registry, and what its
//     collector reports (queues, inference pools, caches).
//
// Its methods are safe for concurrent use.
type App struct {
	ctx    caddy.Context
	logger *zap.Logger

	mu         sync.Mutex
	process    processSettings
	processSet bool                       // a handler registered process settings
	held       []heldRef                  // pool references to release at Cleanup
	caches     map[string]*cache.Cache    // by cachePoolKey
	tiers      map[string]*redistier.Tier // shared tiers of caches, by cachePoolKey
	// cacheLabels: each cache's /metrics `cache` label, by cachePoolKey.
	// Derived from the shown form (cacheMetricsLabel), never from the key,
	// which holds the Redis password.
	cacheLabels map[string]string
	// diskFolders: the cachePoolKey of each disk folder this generation's
	// caches use, by absolute path ([0] the key, [1] its shown form).
	diskFolders map[string][2]string
	admission   []*admission.Pool
	buffered    []*admission.Budget // the handlers' max_buffered_bytes
	inference   map[*segment.Pool]bool
	stopFree    chan struct{} // closed by Stop; nil without free_memory_interval
	// vipsBefore is the config whose libvips settings this one's Start
	// replaced (vipsApplied); nil after Stop.
	vipsBefore *App
	// logBefore is the config whose logger this one's Start replaced as
	// the pooled objects' (liveLog); nil after Stop. logStopped: Stop ran.
	// Both guarded by liveLog's mutex.
	logBefore  *App
	logStopped bool

	metricsOnce sync.Once
	metrics     *metrics
	metricsErr  error
}

type heldRef struct {
	pool *caddy.UsagePool
	key  string
}

// CaddyModule returns the Caddy module information.
func (*App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: AppName, New: func() caddy.Module { return new(App) }}
}

// Provision keeps ctx for the metrics registry.
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger()
	a.caches = map[string]*cache.Cache{}
	a.tiers = map[string]*redistier.Tier{}
	a.inference = map[*segment.Pool]bool{}
	return nil
}

// appFrom fetches the config's matte app, creating it when needed.
func appFrom(ctx caddy.Context) (*App, error) {
	v, err := ctx.App(AppName)
	if err != nil {
		return nil, fmt.Errorf("matte: %w", err)
	}
	return v.(*App), nil
}

// processSettings are the handler options that act on the whole process.
// A nil field is unset: the handler leaves it to the others (or to the
// default); a value written out, its default included, is set.
type processSettings struct {
	VipsCacheMemory    *int64         // bytes of libvips' operation cache; 0 (default): off
	VipsConcurrency    *int           // libvips threads per operation; 0 (default): 1
	FreeMemoryInterval *time.Duration // malloc_trim period; 0 (default): never
}

// vips is the libvips part of s, defaults for what no handler set.
func (s processSettings) vips() transform.VipsSettings {
	return transform.VipsSettings{CacheMemory: deref(s.VipsCacheMemory), Concurrency: deref(s.VipsConcurrency)}
}

// deref is *p, or T's zero value for nil.
func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// UseProcessSettings registers a handler's process settings. The handlers of
// one config must agree: a field that two handlers set to different values
// is a config error (libvips has one operation cache and one thread
// setting per process, so one handler's choice would silently override the
// other's). Start applies the merged settings.
func (a *App) UseProcessSettings(s processSettings) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.process
	if err := agree("vips_cache_memory", &m.VipsCacheMemory, s.VipsCacheMemory); err != nil {
		return err
	}
	if err := agree("vips_concurrency", &m.VipsConcurrency, s.VipsConcurrency); err != nil {
		return err
	}
	if err := agree("free_memory_interval", &m.FreeMemoryInterval, s.FreeMemoryInterval); err != nil {
		return err
	}
	a.process, a.processSet = m, true
	return nil
}

// agree sets *have to v when v is set, unless *have is set to another value.
func agree[T comparable](name string, have **T, v *T) error {
	if v == nil {
		return nil
	}
	if *have != nil && **have != *v {
		return fmt.Errorf("matte: %s is process-wide, and two matte handlers of this config set it differently (%v and %v); give every handler the same value, or set it in one only", name, **have, *v)
	}
	*have = v
	return nil
}

// vipsApplied records which config's Start last set libvips' process-wide
// settings (each App keeps the one whose settings it replaced: vipsBefore).
var vipsApplied struct {
	sync.Mutex
	by *App
}

// Start applies the process settings of this config's handlers; without
// any matte handler it leaves libvips alone (and does not load it).
func (a *App) Start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	liveLog.Lock()
	a.logBefore = liveLog.by
	liveLog.by = a
	liveLog.current.Store(a.logger)
	liveLog.Unlock()
	if !a.processSet {
		return nil
	}
	s := a.process
	vipsApplied.Lock()
	a.vipsBefore = vipsApplied.by
	vipsApplied.by = a
	transform.ConfigureVips(s.vips())
	vipsApplied.Unlock()
	if every := deref(s.FreeMemoryInterval); every > 0 {
		a.stopFree = make(chan struct{})
		go releaseFreeMemory(every, a.stopFree)
	}
	return nil
}

// liveLog holds the logger of the config that serves: the one whose Start
// ran last, back to the one before when Caddy rolls a started config back
// (as vipsApplied). The pooled objects (caches, model sessions, usage
// stores, the Redis client's messages) outlive the config that opened them,
// so they log through liveLogger, which looks the logger up here at each
// message: after a reload their warnings follow the new config's log
// output and level. by and the Apps' logBefore and logStopped are guarded by
// the mutex; current is by's logger (nil while none serves), read without it.
var liveLog struct {
	sync.Mutex
	by      *App
	current atomic.Pointer[zap.Logger]
}

// liveLogger is a logger for an object that outlives this config: it writes
// through the serving config's logger (liveLog), or through a's own while
// none serves (a's provisioning, before the first Start; after shutdown).
// Its name and options are a's (every App's logger is named "matte").
func (a *App) liveLogger() *zap.Logger {
	own := a.logger
	if own == nil { // an App that was never provisioned (tests)
		own = zap.NewNop()
	}
	return own.WithOptions(zap.WrapCore(func(zapcore.Core) zapcore.Core { return liveCore{fallback: own} }))
}

// liveCore is liveLogger's core: each call goes to the core of
// liveLog.current (or of fallback), with the fields added by With.
type liveCore struct {
	fallback *zap.Logger
	fields   []zapcore.Field
}

// base is the core of liveLog.current (or of fallback), without fields.
func (c liveCore) base() zapcore.Core {
	l := liveLog.current.Load()
	if l == nil {
		l = c.fallback
	}
	return l.Core()
}

// core is base with the fields added by With; it allocates when there are
// any, so it is built only for an entry that is written.
func (c liveCore) core() zapcore.Core {
	if len(c.fields) == 0 {
		return c.base()
	}
	return c.base().With(c.fields)
}

func (c liveCore) Enabled(l zapcore.Level) bool { return c.base().Enabled(l) }

func (c liveCore) With(fields []zapcore.Field) zapcore.Core {
	return liveCore{fallback: c.fallback, fields: append(c.fields[:len(c.fields):len(c.fields)], fields...)}
}

func (c liveCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.base().Enabled(e.Level) {
		return ce
	}
	return c.core().Check(e, ce)
}

func (c liveCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	return c.core().Write(e, fields)
}

func (c liveCore) Sync() error { return c.base().Sync() }

// Stop ends the malloc_trim ticker. On a reload the next config's Start
// has run before this Stop and applied its own settings, which stay. Where
// no Start has run since this one's, Caddy is rolling this config back (an
// app after it failed to start) or shutting down: the settings of the
// config that applied them before are put back, as that one serves on.
func (a *App) Stop() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	vipsApplied.Lock()
	if vipsApplied.by == a {
		vipsApplied.by = a.vipsBefore
		if b := a.vipsBefore; b != nil {
			transform.ConfigureVips(b.process.vips())
		}
	}
	a.vipsBefore = nil
	vipsApplied.Unlock()
	liveLog.Lock()
	if liveLog.by == a {
		b := a.logBefore
		if b != nil && b.logStopped {
			b = nil // shutting down: the config before has closed its logs
		}
		liveLog.by = b
		if b != nil {
			liveLog.current.Store(b.logger)
		} else {
			liveLog.current.Store(nil)
		}
	}
	a.logBefore, a.logStopped = nil, true
	liveLog.Unlock()
	if a.stopFree != nil {
		close(a.stopFree)
		a.stopFree = nil
	}
	return nil
}

// Cleanup releases this generation's references to the shared pools; what
// no generation uses any more is closed.
func (a *App) Cleanup() error {
	a.mu.Lock()
	held := a.held
	a.held = nil
	a.mu.Unlock()
	for _, h := range held {
		_, _ = h.pool.Delete(h.key)
	}
	return nil
}

// releaseFreeMemory trims the C heap every interval until stop is closed.
func releaseFreeMemory(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			transform.ReleaseFreeMemory()
		}
	}
}

// hold loads key from pool (opening it with open on first use anywhere) and
// remembers the reference for Cleanup.
func (a *App) hold(pool *caddy.UsagePool, key string, open func() (caddy.Destructor, error)) (caddy.Destructor, error) {
	v, _, err := pool.LoadOrNew(key, open)
	if err != nil {
		return nil, err
	}
	d := v.(caddy.Destructor)
	a.mu.Lock()
	a.held = append(a.held, heldRef{pool, key})
	a.mu.Unlock()
	return d, nil
}

// Cache problems are logged at most cacheWarnBurst times per
// cacheWarnInterval (per message).
const (
	cacheWarnInterval = 10 * time.Second
	cacheWarnBurst    = 5
)

// sampledWarnings is l logging at most cacheWarnBurst entries per
// cacheWarnInterval for each message (and level): for the warnings a flood
// repeats, whose every occurrence a metric counts. Safe for concurrent
// use (zap's sampler is).
func sampledWarnings(l *zap.Logger) *zap.Logger {
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, cacheWarnInterval, cacheWarnBurst, 0)
	}))
}

// cacheErrorLogger is a cache's Options.OnError: a full or read-only disk
// fails every write, and a Redis outage every shared-tier operation, so
// each logs its first few per interval and the metrics count them all.
// The disk tier, the shared tier and the rest (entries Set refused, the
// shared tier's state file) each have their own message and sampler, so
// that a Redis outage does not hide a disk's ENOSPC or corruption. Safe
// for concurrent use (zap's sampler is).
func cacheErrorLogger(logger *zap.Logger) func(error) {
	diskLog, sharedLog, otherLog := sampledWarnings(logger), sampledWarnings(logger), sampledWarnings(logger)
	return func(err error) {
		var de *cache.DiskError
		var se *cache.SharedError
		switch {
		case errors.As(err, &de):
			diskLog.Warn("cache disk tier", zap.Error(err), zap.String("note", "logged at most 5 times per 10s; matte_cache_disk_write_errors_total counts every failed write, matte_cache_disk_corrupt_total every corrupt entry"))
		case errors.As(err, &se):
			sharedLog.Warn("cache shared tier (Redis)", zap.Error(err), zap.String("note", "logged at most 5 times per 10s; matte_cache_shared_errors_total counts every failed Redis operation"))
		default:
			otherLog.Warn("cache", zap.Error(err), zap.String("note", "logged at most 5 times per 10s"))
		}
	}
}

// sharedPurgeStateFile, in the disk tier's directory, holds the number of
// the last shared purge applied to it (the disk tier skips plain files at
// its top level).
const sharedPurgeStateFile = ".matte-shared-purges"

// cachePoolEntry adapts *cache.Cache to caddy.Destructor. With a shared
// tier it also holds the tier and a reference on its node (released after
// the cache and tier are closed).
type cachePoolEntry struct {
	c    *cache.Cache
	tier *redistier.Tier
	node string // shared.clusters key; "" without a tier
}

func (e cachePoolEntry) Destruct() error {
	err := e.c.Close()
	if e.tier != nil {
		e.tier.Close()
		_, _ = shared.clusters.Delete(e.node)
	}
	return err
}

// cachePoolKey names the cache o and sc describe: options that differ only
// in spelling (a default written out or left out, a folder written two
// ways, a Redis URL with or without its default port) name one cache. o
// has its defaults filled in (Cache). shown is key with the Redis password
// hidden: key itself is never displayed.
func cachePoolKey(o cache.Options, sc *SharedCache) (key, shown string) {
	k := fmt.Sprintf("mem=%d;disk=%s;diskmax=%d", o.MemoryMaxBytes, o.DiskPath, o.DiskMaxBytes)
	if sc == nil {
		return k, k
	}
	to := sc.tierOptions()
	tier := fmt.Sprintf(";max=%d;ttl=%s", to.MaxEntrySize, to.TTL)
	return k + ";shared=" + sc.poolKey() + tier, k + ";shared=" + sc.redacted() + tier
}

// Cache returns the shared cache for o (with the shared tier sc, when not
// nil), opening it on first use. Handlers with the same options, in this
// generation or the next, share it.
//
// Two caches of one generation cannot share a disk folder: each would
// keep its own index and size total and delete the other's files. (A
// reload that changes a cache's other settings opens the folder again
// while the old generation still has it; the old one closes at Cleanup.)
func (a *App) Cache(o cache.Options, sc *SharedCache) (*cache.Cache, error) {
	// JSON can say what the Caddyfile cannot; cache.New would read a
	// negative memory size as "no memory tier".
	if o.MemoryMaxBytes < 0 || o.DiskMaxBytes < 0 {
		return nil, fmt.Errorf("matte: cache_memory (%d) and cache_disk_size (%d) must not be negative", o.MemoryMaxBytes, o.DiskMaxBytes)
	}
	if sc != nil && (sc.MaxEntrySize < 0 || sc.TTL < 0 || sc.Timeout < 0) {
		return nil, fmt.Errorf("matte: cache_shared max_entry_size, ttl and timeout must not be negative")
	}
	if o.MemoryMaxBytes == 0 {
		o.MemoryMaxBytes = cache.DefaultMemoryMaxBytes
	}
	if o.DiskPath != "" {
		abs, err := filepath.Abs(o.DiskPath)
		if err != nil {
			return nil, err
		}
		o.DiskPath = abs
		if o.DiskMaxBytes == 0 {
			o.DiskMaxBytes = cache.DefaultDiskMaxBytes
		}
	}
	key, shown := cachePoolKey(o, sc)
	if o.DiskPath != "" {
		a.mu.Lock()
		if a.diskFolders == nil {
			a.diskFolders = map[string][2]string{}
		}
		other, taken := a.diskFolders[o.DiskPath]
		if !taken {
			a.diskFolders[o.DiskPath] = [2]string{key, shown}
		}
		a.mu.Unlock()
		if taken && other[0] != key {
			return nil, fmt.Errorf("cache_disk %s is also another matte handler's, with other cache settings (%s, here %s): give each its own folder, or both the same cache_memory, cache_disk size and cache_shared", o.DiskPath, other[1], shown)
		}
	}
	logger := a.liveLogger()
	v, err := a.hold(shared.caches, key, func() (caddy.Destructor, error) {
		o.OnError = cacheErrorLogger(logger)
		var entry cachePoolEntry
		if sc != nil {
			n, err := loadNode(sc, logger)
			if err != nil {
				return nil, err
			}
			to := sc.tierOptions()
			if o.DiskPath != "" {
				// The disk tier outlives a restart: so must the number of
				// the last purge applied to it (redistier.Options).
				to.StateFile = filepath.Join(o.DiskPath, sharedPurgeStateFile)
			}
			to.OnError = o.OnError
			entry.tier, entry.node = redistier.New(n, to), sc.poolKey()
			o.Shared = entry.tier
		}
		c, err := cache.New(o)
		if err != nil {
			if entry.tier != nil {
				entry.tier.Close()
				_, _ = shared.clusters.Delete(entry.node)
			}
			return nil, err
		}
		entry.c = c
		return entry, nil
	})
	if err != nil {
		return nil, err
	}
	entry := v.(cachePoolEntry)
	a.mu.Lock()
	a.caches[key] = entry.c
	if a.cacheLabels == nil {
		a.cacheLabels = map[string]string{}
	}
	if _, ok := a.cacheLabels[key]; !ok {
		a.cacheLabels[key] = cacheMetricsLabel(shown, a.cacheLabels)
	}
	if entry.tier != nil {
		a.tiers[key] = entry.tier
	}
	a.mu.Unlock()
	return entry.c, nil
}

// eachCache calls fn for every cache this generation's handlers use, with
// its pool key.
func (a *App) eachCache(fn func(key string, c *cache.Cache)) {
	a.mu.Lock()
	caches := make(map[string]*cache.Cache, len(a.caches))
	for k, c := range a.caches {
		caches[k] = c
	}
	a.mu.Unlock()
	for k, c := range caches {
		fn(k, c)
	}
}

// Engines returns the model sessions and inference pool of r (with its
// defaults filled in), loading them on first use.
func (a *App) Engines(r *Removal) (*models, error) {
	key, err := r.poolKey()
	if err != nil {
		return nil, err
	}
	v, err := a.hold(shared.engines, key, func() (caddy.Destructor, error) { return r.open(a.liveLogger()) })
	if err != nil {
		return nil, err
	}
	m := v.(*models)
	a.mu.Lock()
	a.inference[m.pool] = true
	a.mu.Unlock()
	return m, nil
}

// Usage returns the hosted APIs' usage store of path, shared by every
// handler and generation that names the same file; open builds it on first
// use. The reference is released at Cleanup.
func (a *App) Usage(path string, open func() (caddy.Destructor, error)) (caddy.Destructor, error) {
	return a.hold(shared.usage, path, open)
}

// TrackAdmission adds a handler's transform queue and buffer budget to the
// metrics.
func (a *App) TrackAdmission(p *admission.Pool, b *admission.Budget) {
	a.mu.Lock()
	a.admission = append(a.admission, p)
	a.buffered = append(a.buffered, b)
	a.mu.Unlock()
}

// Metrics returns this generation's metrics, registering them with its
// Prometheus registry on first use.
func (a *App) Metrics() (*metrics, error) {
	a.metricsOnce.Do(func() { a.metrics, a.metricsErr = registerMetrics(a.ctx.GetMetricsRegistry(), a) })
	return a.metrics, a.metricsErr
}

// poolKey identifies r's engines: equal configurations share sessions.
func (r *Removal) poolKey() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("matte: rembg: %w", err)
	}
	return string(b), nil
}

// Interface guards
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
