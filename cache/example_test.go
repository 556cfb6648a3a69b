package cache_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/jebosio/matte/cache"
)

// How an HTTP handler wires the cache: one Do per request, the outcome
// drives X-Cache and metrics, Created drives Age, Tag allows purging every
// variant of a source.
func Example() {
	dir, _ := os.MkdirTemp("", "cache-example")
	defer os.RemoveAll(dir)

	c, err := cache.New(cache.Options{
		MemoryMaxBytes: 64 << 20,
		DiskPath:       filepath.Join(dir, "cache"),
		DiskMaxBytes:   1 << 30,
		OnError:        func(err error) { log.Print(err) }, // e.g. zap logger.Warn
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	render := func(ctx context.Context) (cache.Entry, bool, error) {
		// ... fetch the source, transform it; honour ctx ...
		return cache.Entry{
			Value:       []byte("<image bytes>"),
			ContentType: "image/webp",
			Meta:        map[string]string{"width": "640", "height": "480"},
			Tag:         "https://origin.example/cat.jpg",
		}, true, nil
	}

	for range 2 {
		e, out, err := c.Do(context.Background(), "result", "9f86d081884c7d65", render)
		if err != nil {
			log.Fatal(err)
		}
		age := int(e.Age(time.Now()).Seconds())
		fmt.Println(out.Tier.CacheStatus(), out.Executed, e.ContentType, e.Meta["width"], age)
	}

	// The source changed: drop every variant derived from it.
	if err := c.PurgeTag("https://origin.example/cat.jpg"); err != nil {
		log.Print(err)
	}
	_, _, ok := c.Get("result", "9f86d081884c7d65")
	fmt.Println(ok)
	// Output:
	// MISS true image/webp 640 0
	// HIT-MEMORY false image/webp 640 0
	// false
}
