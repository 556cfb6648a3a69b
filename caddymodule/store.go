package caddymodule

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// Cache namespaces. Each kind of object lives under its own.
const (
	nsResult = "result" // encoded outputs, keyed by resultKey
	nsSource = "source" // sourceMemo per source identity
)

// caches holds one *cache.Cache per cache configuration, shared by every
// handler and config generation that uses it: Caddy provisions a new config
// before it cleans up the old one, so a reload reuses the open cache instead
// of opening the disk tier twice.
var caches = caddy.NewUsagePool()

// cachePoolEntry adapts *cache.Cache to caddy.Destructor.
type cachePoolEntry struct{ c *cache.Cache }

func (e cachePoolEntry) Destruct() error { return e.c.Close() }

// liveCaches lists the open caches for the admin purge route.
var liveCaches sync.Map // pool key -> *cache.Cache

func cachePoolKey(o cache.Options) string {
	return fmt.Sprintf("mem=%d;disk=%s;diskmax=%d", o.MemoryMaxBytes, o.DiskPath, o.DiskMaxBytes)
}

// Cache problems are logged at most cacheWarnBurst times per
// cacheWarnInterval (per message).
const (
	cacheWarnInterval = 10 * time.Second
	cacheWarnBurst    = 5
)

// loadCache returns the shared cache for o, opening it on first use.
func loadCache(o cache.Options, logger *zap.Logger) (string, *cache.Cache, error) {
	key := cachePoolKey(o)
	v, _, err := caches.LoadOrNew(key, func() (caddy.Destructor, error) {
		// A full or read-only disk fails every write: log the first few
		// per interval, and let the metrics count them all.
		sampled := logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewSamplerWithOptions(c, cacheWarnInterval, cacheWarnBurst, 0)
		}))
		o.OnError = func(err error) {
			sampled.Warn("cache", zap.Error(err), zap.String("note", "logged at most 5 times per 10s; matte_cache_disk_write_errors_total counts every failure"))
		}
		c, err := cache.New(o)
		if err != nil {
			return nil, err
		}
		liveCaches.Store(key, c)
		return cachePoolEntry{c}, nil
	})
	if err != nil {
		return "", nil, err
	}
	return key, v.(cachePoolEntry).c, nil
}

func releaseCache(key string) {
	if deleted, _ := caches.Delete(key); deleted {
		liveCaches.Delete(key)
	}
}

// sourceMemo is what Matte remembers of a source between requests: its
// content hash and header, the origin's validators, and how long the
// origin allows it to be reused without asking again.
type sourceMemo struct {
	Hash         string // hex sha256 of the body
	Info         transform.Source
	ETag         string
	LastModified string
	FreshUntil   time.Time
}

func (m sourceMemo) fresh(now time.Time) bool { return now.Before(m.FreshUntil) }

// sameSource reports whether m and o describe the same bytes under the same
// validators (their freshness aside).
func (m sourceMemo) sameSource(o sourceMemo) bool {
	return m.Hash == o.Hash && m.ETag == o.ETag && m.LastModified == o.LastModified && m.Info == o.Info
}

func (m sourceMemo) entry() cache.Entry {
	i := m.Info
	return cache.Entry{
		Value: []byte(m.Hash),
		Meta: map[string]string{
			"etag": m.ETag, "last-modified": m.LastModified, "fresh-until": strconv.FormatInt(m.FreshUntil.UnixNano(), 10),
			"type": strconv.Itoa(int(i.Type)), "type-name": i.TypeName,
			"w": strconv.Itoa(i.Width), "h": strconv.Itoa(i.Height), "alpha": strconv.FormatBool(i.HasAlpha), "pages": strconv.Itoa(i.Pages),
		},
		Created: time.Now(),
	}
}

func memoFromEntry(e cache.Entry) (sourceMemo, bool) {
	atoi := func(k string) int { v, _ := strconv.Atoi(e.Meta[k]); return v }
	nanos, err := strconv.ParseInt(e.Meta["fresh-until"], 10, 64)
	if err != nil || len(e.Value) != 64 {
		return sourceMemo{}, false
	}
	return sourceMemo{
		Hash: string(e.Value), ETag: e.Meta["etag"], LastModified: e.Meta["last-modified"], FreshUntil: time.Unix(0, nanos),
		Info: transform.Source{Type: params.Format(atoi("type")), TypeName: e.Meta["type-name"], Width: atoi("w"), Height: atoi("h"),
			HasAlpha: e.Meta["alpha"] == "true", Pages: atoi("pages")},
	}, true
}

// sourceID names a source: the host and the request URI the origin sees.
func sourceID(r *http.Request, originURI string) string {
	return r.Host + originURI
}

// sourceTag is the purge tag of a source's memo and of every result derived
// from it: the origin request URI, so a purge by path reaches every host
// that serves it (over-purging is harmless).
func sourceTag(srcID string) string {
	if i := strings.IndexByte(srcID, '/'); i >= 0 {
		return srcID[i:]
	}
	return srcID
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// resultKey is the cache key of one output: source content, canonical
// parameters, negotiated format and everything in the pipeline that changes
// bytes.
func resultKey(sourceHash string, p params.Params, f params.Format, fingerprint string) string {
	return hashKey(sourceHash, p.Key(), f.String(), fingerprint)
}

// etagFor is the strong validator of a result key; the admin purge route
// takes it (quoted or not) as the key.
func etagFor(key string) string { return `"` + key + `"` }

// freshness is how long the origin lets its response be reused, from
// Cache-Control (s-maxage, max-age, no-cache, no-store) or Expires, and at
// least floor.
func freshness(h http.Header, now time.Time, floor time.Duration) time.Duration {
	ttl := time.Duration(0)
	cc := strings.ToLower(h.Get("Cache-Control"))
	found := false
	maxAge := -1
	for _, d := range strings.Split(cc, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch k {
		case "no-cache", "no-store", "private":
			return floor
		case "s-maxage":
			if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil {
				maxAge, found = n, true
			}
		case "max-age":
			if n, err := strconv.Atoi(strings.Trim(v, `"`)); err == nil && !found {
				maxAge = n
			}
		}
	}
	switch {
	case maxAge >= 0:
		age, _ := strconv.Atoi(h.Get("Age"))
		ttl = time.Duration(maxAge-age) * time.Second
	case h.Get("Expires") != "":
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			base := now
			if d, err := http.ParseTime(h.Get("Date")); err == nil {
				base = d
			}
			ttl = exp.Sub(base)
		}
	}
	return max(ttl, floor)
}
