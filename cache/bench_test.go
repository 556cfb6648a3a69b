package cache

import (
	"context"
	"fmt"
	"testing"
)

const benchKeys = 256

func benchFill(b *testing.B, c *Cache, size int) {
	for i := range benchKeys {
		c.Set("result", fmt.Sprintf("%064x", i), mkEntry(size, "src"))
	}
	c.Flush()
}

func benchGet(b *testing.B, c *Cache, want Tier) {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("%064x", i)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, tier, ok := c.Get("result", keys[i%benchKeys]); !ok || tier != want {
				b.Errorf("Get: ok=%v tier=%v", ok, tier)
				return
			}
			i++
		}
	})
}

func BenchmarkGetHit(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("memory/%dKiB", size>>10), func(b *testing.B) {
			c := newCache(b, Options{})
			benchFill(b, c, size)
			b.SetBytes(int64(size))
			benchGet(b, c, TierMemory)
		})
		b.Run(fmt.Sprintf("disk/%dKiB", size>>10), func(b *testing.B) {
			c := newCache(b, Options{MemoryMaxBytes: -1, DiskPath: b.TempDir()})
			benchFill(b, c, size)
			waitIndex(b, c)
			b.SetBytes(int64(size))
			benchGet(b, c, TierDisk)
		})
	}
}

func BenchmarkDoHit(b *testing.B) {
	c := newCache(b, Options{})
	benchFill(b, c, 4<<10)
	key := fmt.Sprintf("%064x", 1)
	fn := func(context.Context) (Entry, bool, error) { panic("miss") }
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.Do(ctx, "result", key, fn); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
