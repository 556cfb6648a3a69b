package caddymodule

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/jebosio/matte/cache/redistier"
	"github.com/jebosio/matte/cluster"
)

// SharedCache is the `cache_shared` tier: a Redis (or Valkey, Sentinel,
// Redis Cluster) store shared by every Matte node of a cluster, behind the
// memory and disk tiers. It also coordinates the nodes: one transform and
// one inference per key cluster-wide, purges reaching every node, and (for
// the hosted APIs) one quota.
type SharedCache struct {
	// URLs are redis:// URLs (rediss://, TLS, is refused at config load
	// for now). Their host:port pairs form the address list of go-redis's
	// universal client (one: a single node; several: a Cluster; with
	// ?master_name=<name>: Sentinel); the user, password and database come
	// from the first.
	URLs []string `json:"urls"`
	// MaxEntrySize is the largest entry stored (default 8 MiB).
	MaxEntrySize int64 `json:"max_entry_size,omitempty"`
	// TTL is an entry's lifetime in Redis (default 7 days).
	TTL caddy.Duration `json:"ttl,omitempty"`
	// KeyPrefix starts every key and channel (default "matte:").
	KeyPrefix string `json:"key_prefix,omitempty"`
	// Timeout bounds one Redis operation; past it the operation counts as a
	// failure, and three in a row open the breaker (default 250ms).
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// parseSharedCache reads `cache_shared <url...> { max_entry_size ttl
// key_prefix timeout }`.
func parseSharedCache(d *caddyfile.Dispenser, args []string, h *Handler) error {
	if len(args) == 0 {
		return d.Errf("cache_shared: give at least one redis:// URL")
	}
	sc := &SharedCache{URLs: args}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		key := d.Val()
		o := option{d: d, key: key, args: d.RemainingArgs()}
		var err error
		switch key {
		case "max_entry_size":
			if err = o.need(1); err == nil {
				sc.MaxEntrySize, err = o.size(o.args[0], false)
			}
		case "ttl":
			sc.TTL, err = o.duration()
		case "timeout":
			sc.Timeout, err = o.duration()
		case "key_prefix":
			if err = o.need(1); err == nil {
				sc.KeyPrefix = o.args[0]
			}
		default:
			return d.Errf("unrecognized cache_shared option %q", key)
		}
		if err != nil {
			return err
		}
	}
	if _, err := sc.redisOptions(); err != nil {
		return d.Errf("cache_shared: %v", err)
	}
	h.CacheShared = sc
	return nil
}

func (sc *SharedCache) prefix() string {
	if sc.KeyPrefix == "" {
		return "matte:"
	}
	return sc.KeyPrefix
}

func (sc *SharedCache) timeout() time.Duration {
	if sc.Timeout <= 0 {
		return 250 * time.Millisecond
	}
	return time.Duration(sc.Timeout)
}

// redisOptions turns the URLs into the universal client's options. Every
// timeout is the operation timeout, and go-redis retries nothing, neither
// a command nor a dial (a refused connection fails the operation at once):
// the breaker decides when to try again.
func (sc *SharedCache) redisOptions() (*redis.UniversalOptions, error) {
	if len(sc.URLs) == 0 {
		return nil, fmt.Errorf("no redis URL")
	}
	// go-redis v9.23.0's options.go: "DialerRetries is the maximum number
	// of retry attempts when dialing fails. A value <= 0 uses the default.
	// default: 5"; its pool (internal/pool ConnPool.dialConn) counts it as
	// attempts in all, 100 ms apart: 1 is one dial and no retry.
	o := &redis.UniversalOptions{MaxRetries: -1, DialerRetries: 1}
	for i, raw := range sc.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return nil, fmt.Errorf("%q is not a redis:// URL", redactURL(raw))
		}
		raw = u.Redacted() // for the messages below
		host := u.Host
		if u.Port() == "" {
			host += ":6379"
		}
		o.Addrs = append(o.Addrs, host)
		if i > 0 {
			continue
		}
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
		if db := strings.Trim(u.Path, "/"); db != "" {
			if o.DB, err = strconv.Atoi(db); err != nil || o.DB < 0 {
				return nil, fmt.Errorf("%q: database %q is not a number", raw, db)
			}
		}
		o.MasterName = u.Query().Get("master_name")
		if u.Scheme == "rediss" {
			return nil, fmt.Errorf("%q: rediss:// (TLS) is not supported yet; reach Redis over a private network or a local TLS tunnel", raw)
		}
	}
	t := sc.timeout()
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = t, t, t
	return o, nil
}

// poolKey identifies a node: handlers naming the same Redis (however its
// URLs are spelled: a default port or database written out or left out,
// host names in any case), prefix and timeout share one client and one
// pub/sub connection. It holds the Redis password: display redacted().
func (sc *SharedCache) poolKey() string {
	return sc.canonical(false) + "|" + sc.prefix() + "|" + sc.timeout().String()
}

// redacted is poolKey with the Redis password hidden, for messages.
func (sc *SharedCache) redacted() string {
	return sc.canonical(true) + "|" + sc.prefix() + "|" + sc.timeout().String()
}

// canonical writes what the client is built from (redisOptions) as one
// URL: redis://user:password@host:port,host:port/db?master_name=name.
// URLs redisOptions refuses are kept as written (the node refuses them
// when it opens), with any userinfo hidden when redact is set.
func (sc *SharedCache) canonical(redact bool) string {
	o, err := sc.redisOptions()
	if err != nil {
		urls := slices.Clone(sc.URLs)
		if redact {
			for i, raw := range urls {
				urls[i] = redactURL(raw)
			}
		}
		return strings.Join(urls, " ")
	}
	addrs := make([]string, len(o.Addrs))
	for i, a := range o.Addrs {
		addrs[i] = strings.ToLower(a)
	}
	u := url.URL{Scheme: "redis", Host: strings.Join(addrs, ","), Path: "/" + strconv.Itoa(o.DB)}
	switch {
	case o.Password != "":
		u.User = url.UserPassword(o.Username, o.Password)
	case o.Username != "":
		u.User = url.User(o.Username)
	}
	if o.MasterName != "" {
		u.RawQuery = url.Values{"master_name": {o.MasterName}}.Encode()
	}
	if redact {
		return u.Redacted()
	}
	return u.String()
}

// redactURL hides the password of a URL as written (everything between
// "://" and the last "@" when it does not parse).
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@")
	if i >= 0 && j > i+3 {
		return raw[:i+3] + "xxxxx" + raw[j:]
	}
	return raw
}

// tierOptions are the shared tier's options with the defaults filled in,
// so that a config that spells a default and one that leaves it out name
// one cache (cachePoolKey).
func (sc *SharedCache) tierOptions() redistier.Options {
	return redistier.Options{MaxEntrySize: sc.MaxEntrySize, TTL: time.Duration(sc.TTL)}.WithDefaults()
}

// clusterNode is a pooled Redis client and cluster.Node.
type clusterNode struct {
	rdb redis.UniversalClient
	n   *cluster.Node
}

func (c *clusterNode) Destruct() error {
	c.n.Close()
	return c.rdb.Close()
}

// redisLogger sends go-redis's own messages (failed dials while Redis is
// down, say) to the serving config's log (App.liveLogger), sampled like the
// cache's warnings; the breaker and the metrics count every failure.
type redisLogger struct{ l *zap.Logger }

func (r redisLogger) Printf(_ context.Context, format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}

var redisLoggerOnce sync.Once

// setRedisLogger installs go-redis's process-wide logger once, writing
// through live (a liveLogger: it follows reloads by itself).
func setRedisLogger(live *zap.Logger) {
	redisLoggerOnce.Do(func() { redis.SetLogger(newRedisLogger(live)) })
}

func newRedisLogger(live *zap.Logger) redisLogger {
	return redisLogger{sampledWarnings(live.Named("redis"))}
}

// loadNode takes a reference on sc's node (opening it on first use); the
// caller releases it with shared.clusters.Delete(sc.poolKey()). live is
// the caller's App.liveLogger.
func loadNode(sc *SharedCache, live *zap.Logger) (*cluster.Node, error) {
	setRedisLogger(live)
	v, _, err := shared.clusters.LoadOrNew(sc.poolKey(), func() (caddy.Destructor, error) {
		o, err := sc.redisOptions()
		if err != nil {
			return nil, err
		}
		rdb := redis.NewUniversalClient(o)
		return &clusterNode{rdb: rdb, n: cluster.NewNode(rdb, cluster.Options{Prefix: sc.prefix(), Timeout: sc.timeout(), Logger: live.Named("cluster")})}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*clusterNode).n, nil
}

// ClusterNode returns sc's node for this generation (released at Cleanup).
func (a *App) ClusterNode(sc *SharedCache) (*cluster.Node, error) {
	n, err := loadNode(sc, a.liveLogger())
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.held = append(a.held, heldRef{shared.clusters, sc.poolKey()})
	a.mu.Unlock()
	return n, nil
}
