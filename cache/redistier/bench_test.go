package redistier

import (
	"context"
	"fmt"
	"testing"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/cluster"
	"github.com/jebosio/matte/internal/redistest"
)

// BenchmarkDoMiss is the cost of a miss whose fn is free: without a shared
// tier (local flight only) and with one (two shared lookups, the lease, the
// queued write and the release with its announcement). The difference is
// the latency the cluster adds to every miss.
func BenchmarkDoMiss(b *testing.B) {
	fn := func(context.Context) (cache.Entry, bool, error) {
		return cache.Entry{Value: make([]byte, 16<<10)}, true, nil
	}
	b.Run("local", func(b *testing.B) {
		c, err := cache.New(cache.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for i := 0; b.Loop(); i++ {
			if _, _, err := c.Do(context.Background(), "result", fmt.Sprint("k", i), fn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("shared", func(b *testing.B) {
		srv := redistest.Start(b)
		n := newBenchNode(b, srv.Addr)
		for i := 0; b.Loop(); i++ {
			if _, _, err := n.c.Do(context.Background(), "result", fmt.Sprint("k", i), fn); err != nil {
				b.Fatal(err)
			}
		}
		n.c.Flush()
	})
}

// BenchmarkGetShared is a shared hit (memory off) against a memory hit.
func BenchmarkGetShared(b *testing.B) {
	srv := redistest.Start(b)
	n := newBenchNode(b, srv.Addr)
	n.c.Set("result", "k", cache.Entry{Value: make([]byte, 16<<10)})
	n.c.Flush()
	reader, err := cache.New(cache.Options{MemoryMaxBytes: -1, Shared: n.tier})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("shared", func(b *testing.B) {
		for b.Loop() {
			if _, tier, _ := reader.Get("result", "k"); tier != cache.TierShared {
				b.Fatalf("tier %v", tier)
			}
		}
	})
	b.Run("memory", func(b *testing.B) {
		for b.Loop() {
			if _, tier, _ := n.c.Get("result", "k"); tier != cache.TierMemory {
				b.Fatalf("tier %v", tier)
			}
		}
	})
}

func newBenchNode(b *testing.B, addr string) *node {
	return newNodeTB(b, addr, cluster.Options{}, Options{})
}
