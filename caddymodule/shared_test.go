package caddymodule

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"

	"github.com/jebosio/matte/internal/loopback"
)

// A refused connection (Redis down, the port closed) fails the operation
// at once: go-redis's dial retries (5 attempts, 100 ms apart, by default)
// would make every operation wait them out, up to the whole timeout.
func TestRedisRefusedDialFailsAtOnce(t *testing.T) {
	port, err := loopback.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	sc := &SharedCache{URLs: []string{"redis://127.0.0.1:" + strconv.Itoa(port)}, Timeout: caddy.Duration(2 * time.Second)}
	o, err := sc.redisOptions()
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewUniversalClient(o)
	defer rdb.Close()
	for i := range 3 {
		start := time.Now()
		err := rdb.Ping(context.Background()).Err()
		if took := time.Since(start); err == nil || took > 80*time.Millisecond {
			t.Fatalf("ping %d of a closed port: %v after %v, want a refusal well under the 100 ms between dial retries", i, err, took)
		}
	}
}

// rediss:// (TLS) is refused at config load, naming the URL.
func TestSharedCacheRefusesRediss(t *testing.T) {
	sc := &SharedCache{URLs: []string{"rediss://127.0.0.1:6380/0"}}
	if _, err := sc.redisOptions(); err == nil || !strings.Contains(err.Error(), "rediss://127.0.0.1:6380/0") || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("rediss:// URL: %v, want a refusal naming it", err)
	}
}
