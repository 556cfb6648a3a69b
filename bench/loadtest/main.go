// Command loadtest is Matte's load and fault test (issue 7, item 8). It is
// not part of `make test`; run it with
//
//	make loadtest                                   # builds ./bin/caddy first
//	make loadtest LOADTEST_FLAGS="-phase 8s -soak 2m"
//	go run ./bench/loadtest -h                      # all flags
//
// It prepares a temporary site (good images copied from the perf corpus in
// /work/shared/testdata/perf, a truncated JPEG, corrupt files with image
// extensions, a non-image, a 20000x20000 PNG and a 65000x65000 JPEG header as
// decompression bombs) and a disk-cache folder, on a small tmpfs when it can
// mount one (root), starts `./bin/caddy run` on free 127.0.0.1 ports with a
// generated Caddyfile (matte in front of file_server: max_source_megapixels
// 50, workers 2, queue_megapixels 100, timeout 10s, cache_disk 256MiB, rembg
// off, debug logging so that client disconnects can be counted), and runs
// bounded phases:
//
//  1. warm: cached and fresh variants (varying w);
//  2. bad-params: invalid query parameters (400 expected);
//  3. bad-sources: truncated, corrupt, non-image and bomb sources
//     (413/415/422 expected, never a 5xx other than 503);
//  4. slow+disconnect: slow readers and clients that cancel after a few ms,
//     alongside healthy requests;
//  5. burst: waves of concurrent distinct misses of the 12 MP image, over the
//     queue limit (some 503 with Retry-After expected, quickly);
//  6. the disk cache breaks; requests must still all get a valid 200:
//     6a. cache-full: the tmpfs (-tmpfs-size, smaller than cache_disk's
//     size) fills with Matte's own writes (usually already in the earlier
//     phases; if not, a filler file leaves 1 MiB for the first half of the
//     phase), then a filler takes what is left, to ENOSPC, for the second
//     half;
//     6b. cache-read-only: the tmpfs is remounted read-only (EROFS);
//     6c. cache-gone: the tmpfs is unmounted and the folder replaced by a
//     regular file (the only fault when no tmpfs could be mounted);
//  7. soak: -soak of mixed load (hits, 1/4/12 MP misses, bad params, bad
//     sources, disconnects) on a fresh server, RSS sampled every second;
//  8. the same soak on another fresh server with free_memory_interval
//     -soak-trim (malloc_trim), to compare RSS with and without;
//  9. abuse (abuse.go): the attacks of issue 16 on a fresh server with
//     background removal and the remove.bg API on: a memory bomb within the
//     limits, heavy blurs waited for and abandoned, API body bombs and slow
//     uploads, each against its stated bound (RSS above idle, answer time
//     past the timeout, CPU after the last client left, probe latency), and
//     sources padded to 45 MB that cost one megapixel each (RSS bounded by
//     max_buffered_bytes, the rest refused with 503).
//
// A probe requests a known-good transform every 200 ms throughout. Every
// response is checked: a 200 must decode as the requested format and match
// its Content-Length, a 503 must carry Retry-After, an error must be Matte's
// JSON. Per phase it reports requests, statuses, p50/p99, peak RSS of the
// caddy process (/proc/<pid>/status every 100 ms), "panic" lines in the
// server log, malformed responses and probe results; for the soaks, RSS at
// the start, each quarter, the peak and after 5 s and 15 s idle, with a
// bounded/NOT bounded verdict. It writes the report to
// bench/loadtest/REPORT.md, prints it, and exits 1 when there was a panic, a
// malformed response, an unexpected status, a failed probe or a server
// crash. The tmpfs is unmounted on every exit path, SIGINT/SIGTERM included.
//
// Traffic goes to 127.0.0.1 only; every loop is bounded in time and count.
package main

import (
	"errors"
	"flag"
	"fmt"
	_ "image/gif"
	_ "image/png"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/jebosio/matte/internal/procstat"
)

var (
	flagCaddy   = flag.String("caddy", "./bin/caddy", "caddy binary with the matte module")
	flagCorpus  = flag.String("corpus", "/work/shared/testdata/perf", "folder with photo-1mp.jpg, photo-4mp.jpg, photo-12mp.jpg, photo-alpha.png")
	flagPhase   = flag.Duration("phase", 15*time.Second, "duration of each phase")
	flagMaxReq  = flag.Int("max-requests", 20000, "upper bound on requests per phase")
	flagConc    = flag.Int("concurrency", 4, "concurrent clients in the warm, bad-params, bad-sources and cache-broken phases")
	flagBurst   = flag.Int("burst", 40, "concurrent distinct 12 MP misses per burst wave")
	flagPadded  = flag.Int("padded", 16, "concurrent clients of the padded-sources phase (45 MB each)")
	flagOut     = flag.String("out", "bench/loadtest/REPORT.md", "report path ('' for stdout only)")
	flagKeep    = flag.Bool("keep", false, "keep the temporary folder (site, cache, server log)")
	flagTimeout = flag.Duration("client-timeout", 30*time.Second, "per-request client timeout")

	flagTmpfs        = flag.String("tmpfs-size", "16m", "size of the tmpfs mounted on the disk-cache folder, below cache_disk's 256MiB (needs root; '' to only simulate a broken cache folder)")
	flagDebugLog     = flag.Bool("debug-log", true, "run the fault-phase server with debug logging (counts client disconnects)")
	flagTrim         = flag.Duration("free-memory-interval", 0, "free_memory_interval (malloc_trim) of the fault-phase server and of the first soak; 0 = off, Matte's default")
	flagSoak         = flag.Duration("soak", 60*time.Second, "duration of each soak run (mixed load, RSS every second); 0 skips the soaks")
	flagSoakTrim     = flag.Duration("soak-trim", 10*time.Second, "free_memory_interval of the second soak run, on a fresh server; 0 skips it")
	flagSoakMargin   = flag.Float64("soak-margin", 0.15, "bounded when the last quarter's peak RSS is at most this fraction above the first quarter's")
	flagSoakMaxReq   = flag.Int("soak-max-requests", 1000000, "upper bound on requests per soak run")
	flagSoakCacheMem = flag.String("soak-cache-memory", "32MiB", "cache_memory of the soak servers (small, so the memory tier fills early)")
	flagVipsCache    = flag.String("vips-cache-memory", "", "vips_cache_memory for every server ('' = Matte's default)")
	flagAbuse        = flag.Bool("abuse", true, "run the abuse phases (issue 16) on a fresh server with background removal and the remove.bg API")
	flagAbuseIdleCPU = flag.Float64("abuse-idle-cpu", 0.25, "cores the server may still use 1 s after every client of a heavy transform left")
	flagVipsConc     = flag.Int("vips-concurrency", 0, "vips_concurrency for every server (0 = Matte's default)")
	flagBuffered     = flag.String("max-buffered-bytes", "", "max_buffered_bytes for every server ('' = Matte's default; a size far above the padded phase's 16 x 45 MB shows it unbounded)")
)

var (
	bad = []string{"w=abc", "w=0", "w=100001", "h=-5", "fit=squash", "q=0", "q=101", "fm=bmp",
		"rot=left", "blur=99999", "dpr=9", "crop=nowhere&fit=crop&w=10&h=10", "rect=1,2", "bg=notacolour",
		"flip=x", "sharp=500", "w=10&pad=99999", "lossless=maybe", "trim=sometimes", "w=1e3"}
	badSrc = []string{"truncated.jpg", "corrupt.jpg", "damaged.jpg", "random.png", "notimage.jpg", "bomb.png", "bomb.jpg"}
)

func main() {
	flag.Parse()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "loadtest: %v: stopping servers, unmounting the tmpfs, removing the temporary folder\n", s)
		cleanup()
		os.Exit(130)
	}()
	code := realMain()
	cleanup()
	os.Exit(code)
}

// runInfo is what the report says besides the phases.
type runInfo struct {
	started              time.Time
	wall                 time.Duration
	loadavg              string
	mountNote            string
	faultConf            serverConf
	rssStart, rssEnd, hw int64
	alive                bool
	totalPanics          int
	disconnectNote       string
	soaks                []*soakResult
}

func realMain() int {
	if _, err := os.Stat(filepath.Join(*flagCorpus, "photo-12mp.jpg")); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: SKIP: perf corpus not found (%v); pass -corpus <dir> with photo-1mp.jpg, photo-4mp.jpg, photo-12mp.jpg, photo-alpha.png\n", err)
		return 0
	}
	if _, err := os.Stat(*flagCaddy); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v (run `make build` or use `make loadtest`)\n", err)
		return 2
	}
	info := runInfo{started: time.Now()}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		info.loadavg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	dir, err := os.MkdirTemp("", "matte-loadtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		return 2
	}
	if !*flagKeep {
		atExit(func() {
			if m, _ := mountedAt(filepath.Join(dir, "cache")); m {
				fmt.Fprintf(os.Stderr, "loadtest: %s is still mounted; not removing %s\n", filepath.Join(dir, "cache"), dir)
				return
			}
			os.RemoveAll(dir)
		})
	}
	fmt.Fprintf(os.Stderr, "loadtest: preparing fixtures in %s\n", dir)
	if err := prepare(dir); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: fixtures:", err)
		return 2
	}
	cacheDir := filepath.Join(dir, "cache")
	var mnt *tmpfsMount
	var mountErr error
	if *flagTmpfs == "" {
		mountErr = errors.New("-tmpfs-size ''")
	} else if mnt, mountErr = mountTmpfs(cacheDir, *flagTmpfs); mnt != nil {
		atExit(func() {
			if _, err := mnt.unmount(); err != nil {
				fmt.Fprintf(os.Stderr, "loadtest: umount %s: %v\n", cacheDir, err)
			}
		})
	}
	if mnt != nil {
		info.mountNote = fmt.Sprintf("a %s tmpfs mounted on the cache folder (smaller than cache_disk's 256MiB, so the disk fills before Matte evicts)", *flagTmpfs)
	} else {
		info.mountNote = fmt.Sprintf("no tmpfs (%v): phases 6a and 6b skipped, 6c simulates the broken disk", mountErr)
	}
	fmt.Fprintf(os.Stderr, "loadtest: cache folder: %s\n", info.mountNote)

	info.faultConf = serverConf{name: "caddy", cacheDir: cacheDir, trim: *flagTrim, debugLog: *flagDebugLog}
	srv, err := startServer(dir, info.faultConf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		if srv != nil {
			srv.stop()
			tail(srv.log)
		}
		return 2
	}
	pid := srv.cmd.Process.Pid
	time.Sleep(time.Second)
	info.rssStart = procstat.StatusKiB(pid, "VmRSS")
	fmt.Fprintf(os.Stderr, "loadtest: caddy pid %d on %s, RSS %d MiB\n", pid, base, info.rssStart/1024)

	mon := startMonitor(pid)
	var phases []*phaseStats
	rn := &runner{srv: srv, mon: mon, phases: &phases}
	_, rn.logOff = countPanics(srv.log, 0)
	var missN atomic.Int64 // unique widths for misses
	fresh := func() int { return 600 + int(missN.Add(1)) }
	hot := []int{100, 200, 300, 400}

	warmReq := func(i int) (string, result) {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		src := goodJPEG[rng.IntN(2)]
		fm := "jpg"
		if rng.IntN(4) == 0 {
			src, fm = "/img/photo-alpha.png", "png"
		} else if rng.IntN(4) == 0 {
			fm = "webp"
		}
		w := hot[rng.IntN(len(hot))]
		kind := "hit"
		if rng.IntN(10) < 3 {
			w, kind = fresh()%1200+600, "miss"
		}
		q := fmt.Sprintf("w=%d&fm=%s", w, fm)
		return kind + " " + src + "?" + q, do(src, q, 0, 0)
	}

	d := *flagPhase
	conc := *flagConc

	rn.phase(newPhase("1 warm", "200 (hits and misses)", 200), func(p *phaseStats) {
		run(p, conc, d, warmReq)
	})

	rn.phase(newPhase("2 bad-params", "400", 400), func(p *phaseStats) {
		run(p, conc, d, func(i int) (string, result) {
			q := bad[i%len(bad)]
			return "/img/photo-1mp.jpg?" + q, do("/img/photo-1mp.jpg", q, 0, 0)
		})
	})

	srcStatus := map[string]map[int]int{}
	var srcMu sync.Mutex
	rn.phase(newPhase("3 bad-sources", "413/415/422 (503 tolerated; 200 only for damaged.jpg)", 200, 413, 415, 422, 503), func(p *phaseStats) {
		run(p, conc, d, func(i int) (string, result) {
			n := badSrc[i%len(badSrc)]
			q := fmt.Sprintf("w=%d", 100+i%50)
			r := do("/img/"+n, q, 0, 0)
			srcMu.Lock()
			if srcStatus[n] == nil {
				srcStatus[n] = map[int]int{}
			}
			srcStatus[n][r.status]++
			srcMu.Unlock()
			if r.status == 200 && n != "damaged.jpg" {
				p.unexpected("/img/%s?%s: status 200", n, q)
			}
			return "/img/" + n + "?" + q, r
		})
		srcMu.Lock()
		for _, n := range badSrc {
			p.note("%s → %v", n, srcStatus[n])
		}
		srcMu.Unlock()
	})

	rn.phase(newPhase("4 slow+disconnect", "200, client cancels, 503 tolerated", 200, 503), func(p *phaseStats) {
		off, t0 := logSize(srv.log), time.Now()
		var slowDone, slowN, cancN atomic.Int64
		var wg sync.WaitGroup
		wg.Add(3)
		go func() { // slow readers: 512 B every 20 ms
			defer wg.Done()
			run(p, 4, d, func(i int) (string, result) {
				slowN.Add(1)
				q := fmt.Sprintf("w=%d&fm=jpg", 400+i%3*100)
				r := do("/img/photo-4mp.jpg", q, 20*time.Millisecond, 0)
				if r.status == 200 && r.malformed == "" {
					slowDone.Add(1)
				}
				return "slow /img/photo-4mp.jpg?" + q, r
			})
		}()
		go func() { // disconnecters: cancel after 2-30 ms, on fresh misses
			defer wg.Done()
			run(p, 4, d, func(i int) (string, result) {
				cancN.Add(1)
				src := []string{"/img/photo-4mp.jpg", "/img/photo-12mp.jpg"}[i%2]
				q := fmt.Sprintf("w=%d&fm=jpg", fresh()%1500+300)
				r := do(src, q, 0, time.Duration(2+i%29)*time.Millisecond)
				time.Sleep(10 * time.Millisecond)
				return "cancel " + src + "?" + q, r
			})
		}()
		go func() { // healthy mix
			defer wg.Done()
			run(p, 2, d, warmReq)
		}()
		wg.Wait()
		p.dur = time.Since(t0)
		p.note("slow readers: %d sent, %d completed with a valid image; disconnecters: %d sent", slowN.Load(), slowDone.Load(), cancN.Load())
		time.Sleep(500 * time.Millisecond) // let the server log the last cancels
		_, dbg := countLines(srv.log, off, -1, `"level":"debug"`, `"msg":"client closed the request"`)
		errs, canceled := countLines(srv.log, off, -1, `"level":"error"`, "context canceled")
		if *flagDebugLog {
			info.disconnectNote = fmt.Sprintf("%d client disconnects logged at debug level as `client closed the request`; %d error-level lines in the phase, %d of them mentioning `context canceled`",
				dbg, errs, canceled)
		} else {
			info.disconnectNote = fmt.Sprintf("debug logging off (-debug-log=false); %d error-level lines in the phase, %d of them mentioning `context canceled`", errs, canceled)
		}
		p.note("server log: %s", info.disconnectNote)
	})

	rn.phase(newPhase("5 burst", "200 and 503 with Retry-After", 200, 503), func(p *phaseStats) {
		deadline := time.Now().Add(d)
		waves := 0
		for time.Now().Before(deadline) && p.sent+*flagBurst <= *flagMaxReq {
			waves++
			var wg sync.WaitGroup
			for j := 0; j < *flagBurst; j++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					q := fmt.Sprintf("w=%d&fm=jpg", fresh()%3000+200)
					p.add(do("/img/photo-12mp.jpg", q, 0, 0), "burst /img/photo-12mp.jpg?"+q)
				}()
			}
			wg.Wait()
		}
		p.note("%d waves of %d concurrent distinct 12 MP misses; 503 p50 %s, p99 %s; burst produced a 503: %v",
			waves, *flagBurst, pct(p.lat503, .5), pct(p.lat503, .99), len(p.lat503) > 0)
		if len(p.lat503) == 0 {
			p.unexpected("no 503 in a burst over queue_megapixels")
		}
	})

	if mnt == nil {
		rn.skip(newPhase("6a cache-full", "200 (disk cache on a full disk, ENOSPC)", 200),
			"skipped: no tmpfs on the cache folder (%v); only the folder→file simulation (6c) ran", mountErr)
		rn.skip(newPhase("6b cache-read-only", "200 (disk cache read-only, EROFS)", 200),
			"skipped: no tmpfs on the cache folder (%v); only the folder→file simulation (6c) ran", mountErr)
	} else {
		rn.phase(newPhase("6a cache-full", "200 (disk cache on a full disk, ENOSPC)", 200), func(p *phaseStats) {
			off := logSize(srv.log)
			free0, size := diskFree(cacheDir)
			all0, enospc0 := cacheWarnings(srv.log, 0, off, "no space left on device")
			p.note("cache folder on a tmpfs of %s (`-tmpfs-size %s`); cache_disk says 256MiB, so Matte does not evict first. Before the phase: %s free; in phases 1–5 Matte logged %d cache warnings, %d of them ENOSPC (its own writes had already filled the tmpfs: %v)",
				mib(size), *flagTmpfs, mib(free0), all0, enospc0, enospc0 > 0)
			// First half: a filler leaves 1 MiB, for Matte's own writes to
			// fill; second half: the filler takes whatever is left.
			filler := filepath.Join(cacheDir, "zz-filler")
			var n1 int64
			if free0 > 1<<20 {
				f, err := os.Create(filler)
				if err == nil {
					n1, err = fillFile(f, free0-1<<20)
					f.Close()
				}
				if err != nil {
					p.unexpected("filler: %v", err)
				}
			}
			freeA, _ := diskFree(cacheDir)
			t0 := time.Now()
			run(p, conc, d/2, warmReq)
			time.Sleep(300 * time.Millisecond)
			mid := logSize(srv.log)
			freeB, _ := diskFree(cacheDir)
			allA, enospcA := cacheWarnings(srv.log, off, mid, "no space left on device")
			p.note("first half (%s): filler %s, leaving %s free; Matte's writes left %s free; cache warnings %d, ENOSPC %d",
				d/2, mib(n1), mib(freeA), mib(freeB), allA, enospcA)
			n2, err := fillDisk(filler)
			freeC, _ := diskFree(cacheDir)
			if err != nil {
				p.unexpected("filling the tmpfs: %v", err)
			}
			run(p, conc, d-d/2, warmReq)
			p.dur = time.Since(t0)
			time.Sleep(300 * time.Millisecond)
			allB, enospcB := cacheWarnings(srv.log, mid, -1, "no space left on device")
			p.note("second half (%s): filler grown by %s until ENOSPC, %s free; cache warnings %d, ENOSPC %d",
				d-d/2, mib(n2), mib(freeC), allB, enospcB)
			if enospcA+enospcB == 0 {
				p.unexpected("no ENOSPC cache warning: the full disk was not exercised")
			}
		})
		rn.phase(newPhase("6b cache-read-only", "200 (disk cache read-only, EROFS)", 200), func(p *phaseStats) {
			off := logSize(srv.log)
			if err := mnt.remountRO(); err != nil {
				p.unexpected("%v", err)
			}
			_, opts := mountedAt(cacheDir)
			werr := os.WriteFile(filepath.Join(cacheDir, "zz-probe"), []byte("x"), 0o644)
			p.note("tmpfs remounted read-only (`mount -o remount,ro`, filler still there); /proc/self/mounts: `%s`; a test write gets: %v", opts, werr)
			t0 := time.Now()
			run(p, conc, d, warmReq)
			p.dur = time.Since(t0)
			time.Sleep(300 * time.Millisecond)
			all, erofs := cacheWarnings(srv.log, off, -1, "read-only file system")
			p.note("server cache warnings during the phase: %d, of which EROFS (`read-only file system`): %d", all, erofs)
			if erofs == 0 {
				p.unexpected("no EROFS cache warning: the read-only disk was not exercised")
			}
		})
	}

	rn.phase(newPhase("6c cache-gone", "200 (cache folder replaced by a file)", 200), func(p *phaseStats) {
		off := logSize(srv.log)
		if mnt != nil {
			lazy, err := mnt.unmount()
			switch {
			case err != nil:
				p.note("could not unmount the tmpfs: %v", err)
			case lazy:
				p.note("tmpfs unmounted lazily (umount -l: it was busy) under the running server; its entries are gone")
			default:
				p.note("tmpfs unmounted under the running server; its entries are gone")
			}
		}
		if err := os.Rename(cacheDir, cacheDir+".moved"); err != nil {
			p.note("could not move the cache folder away: %v", err)
		} else if err := os.WriteFile(cacheDir, []byte("not a folder\n"), 0o644); err != nil {
			p.note("could not put a file in its place: %v", err)
		} else {
			p.note("cache folder replaced by a regular file before the phase (every disk-tier write and read fails)")
		}
		t0 := time.Now()
		run(p, conc, d, warmReq)
		p.dur = time.Since(t0)
		time.Sleep(300 * time.Millisecond)
		all, _ := cacheWarnings(srv.log, off, -1, "")
		p.note("server cache warnings during the phase: %d", all)
	})

	mon.close()
	time.Sleep(2 * time.Second)
	info.rssEnd = procstat.StatusKiB(pid, "VmRSS")
	info.hw = procstat.StatusKiB(pid, "VmHWM")
	info.alive = srv.alive()
	srv.stop()
	info.totalPanics, _ = countPanics(srv.log, 0)
	if _, err := mnt.unmount(); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: umount: %v\n", err)
	}

	if *flagSoak > 0 {
		info.soaks = append(info.soaks, runSoak(dir, "7", *flagTrim, &phases))
		if *flagSoakTrim > 0 && *flagSoakTrim != *flagTrim {
			info.soaks = append(info.soaks, runSoak(dir, "8", *flagSoakTrim, &phases))
		}
	}
	if *flagAbuse {
		runAbuse(dir, &phases)
	}
	info.wall = time.Since(info.started)

	rep, fail := report(phases, info)
	fmt.Print(rep)
	if *flagOut != "" {
		if err := os.WriteFile(*flagOut, []byte(rep), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
	}
	if *flagKeep {
		fmt.Fprintf(os.Stderr, "loadtest: kept %s (server logs *.log)\n", dir)
	}
	if fail {
		fmt.Fprintln(os.Stderr, "loadtest: FAIL")
		tail(srv.log)
		return 1
	}
	fmt.Fprintln(os.Stderr, "loadtest: PASS")
	return 0
}

func tail(log string) {
	b, _ := os.ReadFile(log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	fmt.Fprintf(os.Stderr, "--- server log tail ---\n%s\n", b)
}
