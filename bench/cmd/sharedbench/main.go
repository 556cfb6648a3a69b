// Command sharedbench times, in one run and on 127.0.0.1 only, a result
// served from the shared tier (Redis) against the same result from the
// memory tier and against Caddy's file_server serving the encoded bytes,
// and the latency a cluster lease adds to a miss. It starts a private
// redis-server and one Caddy (the built binary) with four servers:
//
//	mem     matte, memory tier + cache_shared  (repeats are memory hits)
//	shared  matte, memory tier off + cache_shared (every hit is a shared hit)
//	local   matte, memory tier, no cache_shared (misses without a lease)
//	file    file_server over the encoded result
//
// Usage: go run ./bench/cmd/sharedbench -caddy bin/caddy [-duration 5s -conns 8]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jebosio/matte/internal/loopback"
)

func main() {
	caddy := flag.String("caddy", "bin/caddy", "the Caddy binary with Matte (make build)")
	duration := flag.Duration("duration", 5*time.Second, "time per hit measurement")
	conns := flag.Int("conns", 8, "concurrent connections for the hit measurements")
	misses := flag.Int("misses", 40, "sequential misses per server for the lease latency")
	flag.Parse()
	dir, err := os.MkdirTemp("", "sharedbench")
	check(err)
	defer os.RemoveAll(dir)

	redisPort := freePort()
	redis := exec.Command("redis-server", "--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	check(redis.Start())
	defer func() { _ = redis.Process.Kill(); _ = redis.Wait() }()

	writeSource(filepath.Join(dir, "src.jpg"))
	ports := map[string]int{"mem": freePort(), "shared": freePort(), "local": freePort(), "file": freePort()}
	cfgPath := filepath.Join(dir, "caddy.json")
	check(os.WriteFile(cfgPath, config(dir, ports, freePort(), redisPort), 0o600))
	srv := exec.Command(*caddy, "run", "--config", cfgPath)
	srv.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "HOME="+dir)
	check(srv.Start())
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	for name, p := range ports {
		waitPort(name, p)
	}

	const variant = "/src.jpg?w=800&fm=jpg&q=80"
	body := fetch(ports["mem"], variant, "MISS") // stores it in memory and Redis
	time.Sleep(200 * time.Millisecond)           // the shared write is queued
	fetch(ports["shared"], variant, "HIT-SHARED")
	check(os.WriteFile(filepath.Join(dir, "encoded.jpg"), body, 0o644))

	fmt.Printf("# Shared tier (%d conns, %s per run, %d-byte result)\n\n", *conns, *duration, len(body))
	fmt.Println("| served from | req/s | p50 | p99 | vs file_server |")
	fmt.Println("|---|---:|---:|---:|---:|")
	var fileRate float64
	for _, r := range []struct{ name, server, path, want string }{
		{"file_server (the encoded bytes)", "file", "/encoded.jpg", ""},
		{"memory tier", "mem", variant, "HIT-MEMORY"},
		{"shared tier (Redis)", "shared", variant, "HIT-SHARED"},
	} {
		rate, p50, p99 := load(ports[r.server], r.path, r.want, *conns, *duration)
		if fileRate == 0 {
			fileRate = rate
		}
		fmt.Printf("| %s | %.0f | %s | %s | %.2f× |\n", r.name, rate, p50, p99, rate/fileRate)
	}

	fmt.Printf("\n# A miss with and without the cluster lease (%d sequential misses each, 40-px outputs)\n\n", *misses)
	fmt.Println("| server | p50 | mean |")
	fmt.Println("|---|---:|---:|")
	for i, server := range []string{"local", "mem"} {
		var ds []time.Duration
		for j := range *misses {
			start := time.Now()
			fetch(ports[server], fmt.Sprintf("/src.jpg?w=40&h=%d", 20+j+1000*i), "MISS")
			ds = append(ds, time.Since(start))
		}
		p50, mean := stats(ds)
		label := map[string]string{"local": "no cache_shared", "mem": "cache_shared (lease, re-check, release)"}[server]
		fmt.Printf("| %s | %s | %s |\n", label, p50, mean)
	}
}

func config(dir string, ports map[string]int, admin, redisPort int) []byte {
	shared := map[string]any{"urls": []string{fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)}, "key_prefix": "bench:"}
	matte := func(extra map[string]any) []any {
		h := map[string]any{"handler": "matte"}
		for k, v := range extra {
			h[k] = v
		}
		return []any{map[string]any{"handler": "vars", "root": dir}, h, map[string]any{"handler": "file_server"}}
	}
	servers := map[string]any{
		"mem":    map[string]any{"listen": []string{addr(ports["mem"])}, "routes": []any{map[string]any{"handle": matte(map[string]any{"cache_shared": shared})}}},
		"shared": map[string]any{"listen": []string{addr(ports["shared"])}, "routes": []any{map[string]any{"handle": matte(map[string]any{"cache_shared": shared, "cache_memory": -1})}}},
		"local":  map[string]any{"listen": []string{addr(ports["local"])}, "routes": []any{map[string]any{"handle": matte(nil)}}},
		"file":   map[string]any{"listen": []string{addr(ports["file"])}, "routes": []any{map[string]any{"handle": []any{map[string]any{"handler": "vars", "root": dir}, map[string]any{"handler": "file_server"}}}}},
	}
	b, err := json.Marshal(map[string]any{"admin": map[string]any{"listen": addr(admin)}, "apps": map[string]any{"http": map[string]any{"servers": servers}}})
	check(err)
	return b
}

func addr(p int) string { return fmt.Sprintf("127.0.0.1:%d", p) }

func load(port int, path, want string, conns int, d time.Duration) (rate float64, p50, p99 time.Duration) {
	url := fmt.Sprintf("http://%s%s", addr(port), path)
	tr := &http.Transport{MaxIdleConnsPerHost: conns}
	client := &http.Client{Transport: tr}
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				start := time.Now()
				res, err := client.Get(url)
				check(err)
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || (want != "" && res.Header.Get("X-Cache") != want) {
					log.Fatalf("%s: %d %q, want 200 %q", url, res.StatusCode, res.Header.Get("X-Cache"), want)
				}
				mine = append(mine, time.Since(start))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return float64(n.Load()) / d.Seconds(), round(lat[len(lat)/2]), round(lat[len(lat)*99/100])
}

func stats(ds []time.Duration) (p50, mean time.Duration) {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	slices.Sort(ds)
	return round(ds[len(ds)/2]), round(sum / time.Duration(len(ds)))
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

func fetch(port int, path, want string) []byte {
	res, err := http.Get(fmt.Sprintf("http://%s%s", addr(port), path))
	check(err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	check(err)
	if res.StatusCode != 200 || res.Header.Get("X-Cache") != want {
		log.Fatalf("%s: %d %q, want 200 %q: %s", path, res.StatusCode, res.Header.Get("X-Cache"), want, b)
	}
	return b
}

func writeSource(path string) {
	img := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	for y := range 1000 {
		for x := range 1600 {
			img.Set(x, y, color.RGBA{uint8(x / 7), uint8(y / 4), uint8((x + y) / 11), 255})
		}
	}
	f, err := os.Create(path)
	check(err)
	check(jpeg.Encode(f, img, &jpeg.Options{Quality: 90}))
	check(f.Close())
}

func freePort() int {
	p, err := loopback.FreePort()
	check(err)
	return p
}

func waitPort(name string, p int) {
	for range 600 {
		if c, err := net.DialTimeout("tcp", addr(p), 100*time.Millisecond); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("%s did not listen on %d", name, p)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
