// Command benchrun is the harness behind `make bench` (see bench/README.md).
// It starts Matte (bin/caddy with a bench Caddyfile), Caddy's plain
// file_server, ipx and nginx image_filter on 127.0.0.1, checks that each
// answers every scenario with an image of the requested format and size,
// drives them with wrk, interleaving servers and repeats, and writes a
// Markdown report. Every process it starts is stopped on exit, on failure
// and on SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jebosio/matte/bench"
)

type config struct {
	caddySystem                                                                string // Matte against the system's libvips, for matte-system
	repo, root, out, caddy, nginx, nginxModule, wrk, ipxServer, goBin, refPath string
	imglyServer                                                                string
	tmp                                                                        string
	servers, scenarios                                                         []string
	conns                                                                      []int
	connsFor                                                                   map[string][]int
	duration, warmup, timeout                                                  time.Duration
	durationFor                                                                map[string]time.Duration
	repeats, nginxWorkers                                                      int
	pipeline, restart                                                          bool
	pipelineBenchtime, inferenceBenchtime                                      string
	pidFile, render                                                            string
	retime                                                                     []string // -retime: later runs whose cells replace the rendered run's
	matteAdmin                                                                 int
	matteCache                                                                 string
	args                                                                       []string
}

// defaultServers is -servers' default: every server, matte-system left out
// when its binary is missing (make bench builds it; run.sh alone may not).
const defaultServers = "matte,matte-system,ipx,nginx,file,matte-cache,matte-disk,filehit,imgly"

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "benchrun: "+format+"\n", a...)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseFlags() (*config, error) {
	cfg := &config{durationFor: map[string]time.Duration{}, connsFor: map[string][]int{}, args: os.Args[1:]}
	repo, _ := os.Getwd()
	var servers, scenarios, conns, durFor, connsFor string
	flag.StringVar(&cfg.repo, "repo", repo, "repository root (for bin/caddy, git and bench/)")
	flag.StringVar(&cfg.root, "root", "", "corpus root served by every server; scenario files are under perf/ (default: <repo>/../shared/testdata, else /work/shared/testdata)")
	flag.StringVar(&cfg.out, "out", "", "report path (default: <repo>/bench/RESULTS.md)")
	flag.StringVar(&cfg.caddy, "caddy", "", "Caddy with Matte (default: <repo>/bin/caddy)")
	flag.StringVar(&cfg.caddySystem, "caddy-system", "", "Caddy with Matte built against the system's libvips (`make build-system`), run as the matte-system server (default: <repo>/bin/caddy-system)")
	flag.StringVar(&cfg.nginx, "nginx", "/usr/sbin/nginx", "nginx binary")
	flag.StringVar(&cfg.nginxModule, "nginx-module", "/usr/lib/nginx/modules/ngx_http_image_filter_module.so", "image_filter dynamic module")
	flag.IntVar(&cfg.nginxWorkers, "nginx-workers", 0, "nginx worker_processes (default: CPUs)")
	flag.StringVar(&cfg.wrk, "wrk", "wrk", "wrk binary")
	flag.StringVar(&cfg.ipxServer, "ipx-server", "", "ipx server script inside the installed peers (default: <repo>/bench/.peers/ipx-server.mjs)")
	flag.StringVar(&cfg.imglyServer, "imgly-server", "", "imgly background-removal server script inside the installed peers (default: <repo>/bench/.peers/imgly-server.mjs)")
	flag.StringVar(&cfg.goBin, "go", "go", "go binary, for the in-process pipeline benchmarks")
	flag.StringVar(&cfg.refPath, "reference", "", "imgproxy/imaginary reference figures (default: <root>/../bench-reference.md)")
	flag.StringVar(&servers, "servers", defaultServers,
		"servers to run: matte, matte-system (Matte built against the system's libvips, -caddy-system; left out of the default list when that binary is missing), ipx, nginx, file (Caddy file_server); for f-i: matte-cache and matte-disk (Matte with its result cache on: memory, disk tier), filehit (Caddy file_server serving Matte's cached bytes), imgly (@imgly/background-removal-node)")
	flag.StringVar(&scenarios, "scenarios", "", "scenario ids (default: all: a,b,c,d,e,e400,pass,f,g,h,i)")
	flag.StringVar(&conns, "conns", "2,8", "wrk connection counts (concurrency levels)")
	flag.StringVar(&connsFor, "conns-for", "h=1:2", "per-scenario connection counts, id=N:N:...,... (h: 1 for the request time against the raw inference, 2 for throughput; Matte runs one inference at a time on 2 cores and answers 503 past its queue of 4)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "wrk duration of one timed run")
	flag.StringVar(&durFor, "duration-for", "d=30s,d444=30s,h=60s", "per-scenario duration overrides, id=duration,... (AVIF and background removal take seconds per image)")
	flag.StringVar(&cfg.inferenceBenchtime, "inference-benchtime", "5x", "-benchtime for BenchmarkISNet (scenario h's raw inference time)")
	flag.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "wrk warm-up per server and scenario before the first repeat (0: none)")
	flag.DurationVar(&cfg.timeout, "timeout", 120*time.Second, "wrk --timeout (a response slower than this counts as a timeout error)")
	flag.IntVar(&cfg.repeats, "repeats", 3, "timed runs per cell, interleaved across servers; the median is reported")
	flag.BoolVar(&cfg.restart, "restart", true, "start fresh servers for every scenario and concurrency (clean per-cell RSS)")
	flag.BoolVar(&cfg.pipeline, "pipeline", true, "also run the in-process pipeline benchmarks (go test -bench in ./bench)")
	flag.StringVar(&cfg.pipelineBenchtime, "pipeline-benchtime", "2s", "-benchtime for the pipeline benchmarks")
	flag.StringVar(&cfg.render, "render", "", "only re-render the report (-out) from a run saved as JSON under bench/out/; times nothing")
	flag.Func("retime", "with -render: a later run saved as JSON, of the same commit, whose cells replace the rendered run's (time again with -scenarios/-conns the cells another process disturbed); the report lists them; repeatable", func(v string) error {
		cfg.retime = append(cfg.retime, v)
		return nil
	})
	flag.StringVar(&cfg.pidFile, "pidfile", "", "append the process group of every started process here (for a shell trap)")
	flag.Parse()
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if cfg.root == "" {
		// The shared corpus sits beside the checkout (../shared/testdata);
		// a clone elsewhere falls back to the machine's /work/shared.
		cfg.root = filepath.Join(cfg.repo, "..", "shared", "testdata")
		if _, err := os.Stat(filepath.Join(cfg.root, "perf")); err != nil {
			if _, err := os.Stat("/work/shared/testdata/perf"); err == nil {
				cfg.root = "/work/shared/testdata"
			}
		}
	}
	root, err := filepath.Abs(cfg.root)
	if err != nil {
		return nil, err
	}
	cfg.root = filepath.Clean(root)
	if cfg.out == "" {
		cfg.out = filepath.Join(cfg.repo, "bench", "RESULTS.md")
	}
	if cfg.caddy == "" {
		cfg.caddy = filepath.Join(cfg.repo, "bin", "caddy")
	}
	if cfg.caddySystem == "" {
		cfg.caddySystem = filepath.Join(cfg.repo, "bin", "caddy-system")
	}
	if cfg.ipxServer == "" {
		cfg.ipxServer = filepath.Join(cfg.repo, "bench", ".peers", "ipx-server.mjs")
	}
	if cfg.imglyServer == "" {
		cfg.imglyServer = filepath.Join(cfg.repo, "bench", ".peers", "imgly-server.mjs")
	}
	if cfg.refPath == "" {
		cfg.refPath = filepath.Join(cfg.root, "..", "bench-reference.md")
	}
	if cfg.nginxWorkers == 0 {
		cfg.nginxWorkers = runtime.NumCPU() // the CPUs this process may use
	}
	cfg.servers = splitList(servers)
	if slices.Contains(cfg.servers, "matte-system") {
		if _, err := os.Stat(cfg.caddySystem); err != nil {
			if servers != defaultServers {
				return nil, fmt.Errorf("-servers names matte-system, but %v (build it with `make build-system`)", err)
			}
			logf("leaving out matte-system: %v (build it with `make build-system`)", err)
			cfg.servers = slices.DeleteFunc(cfg.servers, func(n string) bool { return n == "matte-system" })
		}
	}
	cfg.scenarios = splitList(scenarios)
	if len(cfg.scenarios) == 0 {
		for _, s := range bench.Scenarios {
			cfg.scenarios = append(cfg.scenarios, s.ID)
		}
	}
	for _, id := range cfg.scenarios {
		if _, ok := bench.Lookup(id); !ok {
			return nil, fmt.Errorf("unknown scenario %q", id)
		}
	}
	for _, c := range splitList(conns) {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad -conns value %q", c)
		}
		cfg.conns = append(cfg.conns, n)
	}
	for _, kv := range splitList(connsFor) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("bad -conns-for entry %q", kv)
		}
		var ns []int
		for _, c := range strings.Split(v, ":") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad -conns-for entry %q", kv)
			}
			ns = append(ns, n)
		}
		cfg.connsFor[k] = ns
	}
	for _, kv := range splitList(durFor) {
		k, v, ok := strings.Cut(kv, "=")
		d, err := time.ParseDuration(v)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad -duration-for entry %q", kv)
		}
		cfg.durationFor[k] = d
	}
	if cfg.repeats < 1 {
		return nil, errors.New("-repeats must be at least 1")
	}
	return cfg, nil
}

// connsOf is the concurrency levels scenario id runs at.
func (cfg *config) connsOf(id string) []int {
	if c, ok := cfg.connsFor[id]; ok {
		return c
	}
	return cfg.conns
}

// allConns is every concurrency level of the wrk-timed scenarios, sorted.
func (cfg *config) allConns() []int {
	seen := map[int]bool{}
	var out []int
	for _, id := range cfg.scenarios {
		if sc, _ := bench.Lookup(id); sc.Kind == bench.KindCoalesce {
			continue
		}
		for _, c := range cfg.connsOf(id) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Ints(out)
	return out
}

func runsAt(cfg *config, id string, conns int) bool {
	if sc, _ := bench.Lookup(id); sc.Kind == bench.KindCoalesce {
		return false
	}
	for _, c := range cfg.connsOf(id) {
		if c == conns {
			return true
		}
	}
	return false
}

func (cfg *config) durationOf(id string) time.Duration {
	if d, ok := cfg.durationFor[id]; ok && d > cfg.duration {
		return d
	}
	return cfg.duration
}

// run is one timed wrk run of one cell.
type run struct {
	wrkResult
	RSSKiB     uint64
	ServerCPU  time.Duration
	WrkCPU     time.Duration
	OtherCores float64 // CPU used by processes outside the bench during the run, in cores
	Wall       time.Duration
}

// retimedCells names the cells (keys) a later run, saved as From and
// started at Start, timed again (-retime).
type retimedCells struct {
	From  string
	Start time.Time
	Cells []string
}

// cell is one server x scenario x concurrency.
type cell struct {
	Conns    int
	Scenario string
	Server   string
	URL      string
	NA       string // why the server cannot do the scenario
	Check    check
	Runs     []run
	Err      string
	Crashes  []string // the server died during this cell (then restarted)
	// Cache-hit cells (f, g), Matte: transforms Matte ran from the end of
	// its warming to the end of the cell's runs (0: every request a hit).
	HitTransforms int
	HitChecked    bool
}

type results struct {
	cfg      *config
	env      envInfo
	start    time.Time
	end      time.Time
	servers  []*server
	cells    map[string]*cell // key: conns/scenario/server
	checks   map[string]check // scenario/server
	pipeline pipelineResults
	idleRSS  map[string]uint64
	endLoad  string
	wrkLines map[string]string // server -> example wrk command
	raw      *rawInference     // scenario h: BenchmarkISNet
	coalesce *coalesceResult   // scenario i
	model    string            // scenario h: is imgly's model Matte's file?
	retimed  []retimedCells    // cells replaced by a later run's (-retime)
}

func key(conns int, sc, srv string) string { return fmt.Sprintf("%d/%s/%s", conns, sc, srv) }

func main() {
	cfg, err := parseFlags()
	if err != nil {
		logf("%v", err)
		os.Exit(2)
	}
	if cfg.render != "" {
		refFlag := ""
		flag.Visit(func(f *flag.Flag) {
			if f.Name == "reference" {
				refFlag = cfg.refPath
			}
		})
		res, err := loadRun(cfg.render, refFlag)
		for _, later := range cfg.retime {
			if err == nil {
				err = retime(res, later)
			}
		}
		if err == nil && len(cfg.retime) > 0 {
			// The merged run is the one to render again later.
			err = saveRun(res, strings.TrimSuffix(cfg.render, ".json")+"-retimed.json")
		}
		if err == nil {
			err = os.WriteFile(cfg.out, []byte(renderReport(res)), 0o644)
		}
		if err != nil {
			logf("render: %v", err)
			os.Exit(1)
		}
		logf("wrote %s from %s", cfg.out, cfg.render)
		return
	}
	p := &procs{pidFile: cfg.pidFile}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		logf("%v: stopping every started process", s)
		p.stopAll()
		os.Exit(130)
	}()
	err = runBench(cfg, p)
	p.stopAll()
	if cfg.tmp != "" && err == nil {
		os.RemoveAll(cfg.tmp)
	}
	if err != nil {
		logf("FAILED: %v", err)
		if cfg.tmp != "" {
			logf("server logs kept in %s", cfg.tmp)
		}
		os.Exit(1)
	}
}

func runBench(cfg *config, p *procs) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	for _, f := range []string{cfg.caddy, filepath.Join(cfg.root, "perf")} {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	if cfg.tmp, err = os.MkdirTemp("", "matte-bench-"); err != nil {
		return err
	}
	// nginx workers drop to an unprivileged user when run as root.
	_ = os.Chmod(cfg.tmp, 0o755)
	if err := os.MkdirAll(hitsDir(cfg), 0o755); err != nil {
		return err
	}
	res := &results{cfg: cfg, cells: map[string]*cell{}, checks: map[string]check{}, idleRSS: map[string]uint64{},
		wrkLines: map[string]string{}, start: time.Now()}
	res.env = collectEnv(cfg)
	logf("machine: %d CPUs (%s), load %s", res.env.NProc, res.env.CPUModel, res.env.Load)

	if cfg.pipeline {
		logf("in-process pipeline benchmarks (go test -bench, -benchtime %s)", cfg.pipelineBenchtime)
		res.pipeline, err = runPipeline(cfg)
		if err != nil {
			return err
		}
	}

	res.servers, err = startServers(p, cfg, cfg.servers, "")
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	for _, s := range res.servers {
		res.idleRSS[s.Name] = treeRSS(s.pid())
	}

	// Check every cell once before any timing. Matte goes first, so that the
	// cache-hit scenarios' warmed results are on file_server's disk before
	// it is checked.
	client := &http.Client{Timeout: cfg.timeout}
	ordered := append([]*server(nil), res.servers...)
	sort.SliceStable(ordered, func(i, j int) bool { return isMatte(ordered[i].Name) && !isMatte(ordered[j].Name) })
	for _, id := range cfg.scenarios {
		sc, _ := bench.Lookup(id)
		for _, s := range ordered {
			u := s.url(sc)
			if u == "" {
				continue
			}
			var c check
			switch {
			case sc.Hit() && isMatte(s.Name):
				if err := warmHit(cfg, s, sc); err != nil {
					c = check{Problem: err.Error()}
					break
				}
				c = verify(client, u, sc, cfg.root, nil)
				if c.OK && c.XCache != wantTier(sc) {
					c.OK, c.Problem = false, fmt.Sprintf("X-Cache %q after warming, want %s", c.XCache, wantTier(sc))
				}
			case sc.Hit():
				want, err := os.ReadFile(filepath.Join(hitsDir(cfg), hitFile(sc)))
				if err != nil {
					c = check{Problem: "no cached result to serve (Matte's warming failed or matte-cache/matte-disk not run): " + err.Error()}
					break
				}
				c = verify(client, u, sc, cfg.root, want)
			default:
				c = verify(client, u, sc, cfg.root, nil)
			}
			res.checks[id+"/"+s.Name] = c
			if c.OK {
				logf("check %-4s %-11s ok: %s %dx%d, %d bytes (%v)%s", id, s.Name, c.Format, c.Width, c.Height, c.Bytes, c.Took.Round(time.Millisecond), xcacheNote(c))
			} else {
				logf("check %-4s %-11s FAILED: %s", id, s.Name, c.Problem)
			}
		}
	}
	if slices.Contains(cfg.scenarios, "h") && slices.Contains(cfg.servers, "imgly") {
		res.model = modelIdentity(cfg)
		logf("h: model: %s", res.model)
	}

	allConns := cfg.allConns()
	total := 0
	for _, conns := range allConns {
		for _, id := range cfg.scenarios {
			if !runsAt(cfg, id, conns) {
				continue
			}
			sc, _ := bench.Lookup(id)
			for _, s := range res.servers {
				if c := res.checks[id+"/"+s.Name]; s.url(sc) != "" && c.OK {
					total += cfg.repeats
				}
			}
		}
	}
	// Fresh servers for every scenario and concurrency (unless -restart=false):
	// each cell's peak RSS is then its own, not a high-water mark left by
	// an earlier scenario, and no heap or cache state carries over.
	if cfg.restart {
		stopServers(p, res.servers)
	}
	running := res.servers
	done := 0
	for _, conns := range allConns {
		for _, id := range cfg.scenarios {
			if !runsAt(cfg, id, conns) {
				continue
			}
			sc, _ := bench.Lookup(id)
			var active []*server
			var names []string
			for _, s := range res.servers {
				u := s.url(sc)
				// The f-i servers appear only in their scenarios, and the
				// a-pass servers only as n/a in f-i's tables.
				if u == "" && (s.Special || sc.Kind != bench.KindTransform) {
					continue
				}
				c := &cell{Conns: conns, Scenario: id, Server: s.Name, URL: u}
				res.cells[key(conns, id, s.Name)] = c
				if c.URL == "" {
					c.NA = s.why(sc)
					continue
				}
				if chk := res.checks[id+"/"+s.Name]; !chk.OK {
					c.Err = "output check failed: " + chk.Problem
					continue
				}
				c.Check = res.checks[id+"/"+s.Name]
				names = append(names, s.Name)
			}
			if len(names) == 0 {
				continue
			}
			// A scenario with its own matte settings gets fresh servers
			// even without -restart, and the plain ones back after it.
			fresh := cfg.restart || sc.MatteBlock != ""
			if fresh {
				if !cfg.restart {
					stopServers(p, running)
				}
				if running, err = startServers(p, cfg, names, sc.MatteBlock); err != nil {
					return err
				}
			}
			for _, s := range running {
				for _, n := range names {
					if s.Name == n {
						active = append(active, s)
					}
				}
			}
			for _, s := range active {
				c := res.cells[key(conns, id, s.Name)]
				c.URL = s.url(sc)
				// The check before the timings ran on Matte without this
				// scenario's settings: check (and size) its own output.
				if sc.MatteBlock != "" && s.Transforms && isMatte(s.Name) {
					chk := verify(client, c.URL, sc, cfg.root, nil)
					res.checks[id+"/"+s.Name], c.Check = chk, chk
					if !chk.OK {
						c.Err = "output check failed: " + chk.Problem
					}
				}
			}
			active = slices.DeleteFunc(active, func(s *server) bool { return res.cells[key(conns, id, s.Name)].Err != "" })
			// Cache hits: warm Matte (again, for fresh servers) so that every
			// timed request is a hit, rewriting file_server's copy of the
			// bytes; note Matte's transform count to check it stays put.
			hitBase := map[string]int{}
			warm := func(s *server, c *cell) bool {
				if !sc.Hit() || !isMatte(s.Name) {
					return true
				}
				err := warmHit(cfg, s, sc)
				if err == nil {
					hitBase[s.Name], err = transformsRun(s)
				}
				if err != nil {
					c.Err = err.Error()
					logf("c%d %s %s: %v", conns, id, s.Name, err)
					return false
				}
				return true
			}
			for i := 0; i < len(active); i++ {
				if !warm(active[i], res.cells[key(conns, id, active[i].Name)]) {
					active = append(active[:i], active[i+1:]...)
					i--
				}
			}
			// A server that dies is recorded (its log kept under bench/out/)
			// and restarted, so that one crash costs one run, not the bench.
			checkAlive := func(i int, c *cell) error {
				s := active[i]
				dead, why := s.dead()
				if !dead {
					return nil
				}
				kept := keepCrashLog(cfg, s, conns, id)
				c.Crashes = append(c.Crashes, firstLine(why)+" — log: "+kept)
				logf("c%d %s: %s", conns, id, why)
				ns, err := startServers(p, cfg, []string{s.Name}, sc.MatteBlock)
				if err != nil {
					return err
				}
				for j := range running {
					if running[j] == s {
						running[j] = ns[0]
					}
				}
				active[i] = ns[0]
				c.URL = ns[0].url(sc)
				warm(ns[0], c)
				return nil
			}
			if cfg.warmup > 0 {
				for i, s := range active {
					c := res.cells[key(conns, id, s.Name)]
					args := wrkArgs(conns, cfg.warmup, cfg.timeout, s.url(sc))
					_, _, werr := runWrk(p, cfg.wrk, args, "")
					if err := checkAlive(i, c); err != nil {
						return err
					}
					if werr != nil && len(c.Crashes) == 0 {
						return werr
					}
					settle(active[i])
				}
			}
			for rep := 0; rep < cfg.repeats; rep++ {
				for i, s := range active {
					c := res.cells[key(conns, id, s.Name)]
					r, err := timedRun(p, cfg, running, s, conns, cfg.durationOf(id), c.URL)
					done++
					if cerr := checkAlive(i, c); cerr != nil {
						return cerr
					}
					if err != nil {
						c.Err = err.Error()
						logf("[%d/%d] c%d %-4s %-11s error: %v", done, total, conns, id, s.Name, err)
						continue
					}
					c.Runs = append(c.Runs, r)
					if _, ok := res.wrkLines[s.Name]; !ok || id == "a" {
						res.wrkLines[s.Name] = cfg.wrk + " " + strings.Join(wrkArgs(conns, cfg.durationOf(id), cfg.timeout, c.URL), " ")
					}
					logf("[%d/%d] c%d %-4s %-11s %8.1f req/s  p50 %7.1f ms  p99 %7.1f ms  rss %5.0f MiB  srv %5.1f ms/req  other load %.2f cores%s",
						done, total, conns, id, s.Name, r.ReqPerSec, ms(r.P50), ms(r.P99), float64(r.RSSKiB)/1024,
						ms(r.ServerCPU)/float64(max(1, r.Requests)), r.OtherCores, errNote(r.wrkResult))
				}
				// h's raw inference time, interleaved with its HTTP runs at
				// the lowest concurrency (the servers idle meanwhile), so
				// that both see the same machine load.
				if sc.Kind == bench.KindRembg && conns == slices.Min(cfg.connsOf(id)) {
					logf("h: raw inference time (BenchmarkISNet, -benchtime %s)", cfg.inferenceBenchtime)
					ri := runRawInference(cfg)
					res.raw = ri.merge(res.raw)
					if ri.Err != "" {
						logf("h: raw inference not measured: %s", ri.Err)
					} else {
						logf("h: raw inference %.0f ms (%d threads, %.2f CPU s) per run", ri.MsPerOp, ri.Threads, ri.CPUsPerOp)
					}
				}
			}
			for _, s := range active {
				c := res.cells[key(conns, id, s.Name)]
				if base, ok := hitBase[s.Name]; ok && len(c.Crashes) == 0 {
					if n, err := transformsRun(s); err == nil {
						c.HitTransforms, c.HitChecked = n-base, true
						if n != base {
							logf("c%d %s %s: %d transforms during the runs: not every request was a cache hit", conns, id, s.Name, n-base)
						}
					}
				}
			}
			if fresh {
				stopServers(p, running)
			}
			if fresh && !cfg.restart {
				if running, err = startServers(p, cfg, cfg.servers, ""); err != nil {
					return err
				}
			}
		}
	}

	// Scenario i: concurrent identical misses, on a fresh Matte with its
	// cache on.
	if slices.Contains(cfg.scenarios, "i") {
		sc, _ := bench.Lookup("i")
		if chk, ok := res.checks["i/matte-cache"]; !ok {
			res.coalesce = &coalesceResult{Scenario: "i", Err: "not run: needs the matte-cache server (-servers)"}
		} else if !chk.OK {
			res.coalesce = &coalesceResult{Scenario: "i", Err: "output check failed: " + chk.Problem}
		} else {
			var s *server
			if cfg.restart {
				ns, err := startServers(p, cfg, []string{"matte-cache"}, "")
				if err != nil {
					return err
				}
				running, s = ns, ns[0]
			} else {
				for _, r := range running {
					if r.Name == "matte-cache" {
						s = r
					}
				}
			}
			logf("i: %d concurrent identical misses × %d repetitions on %s", bench.CoalesceClients, cfg.repeats, s.Label)
			res.coalesce = runCoalesce(s, sc, cfg.repeats, cfg.timeout)
			if cfg.restart {
				stopServers(p, running)
			}
		}
	}
	res.end = time.Now()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.endLoad = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	saved := filepath.Join(cfg.repo, "bench", "out", "run-"+res.start.UTC().Format("20060102-150405")+".json")
	if err := saveRun(res, saved); err != nil {
		logf("could not save the run: %v", err)
	} else {
		logf("saved the run as %s (re-render with -render)", saved)
	}
	report := renderReport(res)
	if err := os.WriteFile(cfg.out, []byte(report), 0o644); err != nil {
		return err
	}
	logf("wrote %s", cfg.out)
	return nil
}

// keepCrashLog copies a dead server's log to bench/out/ and returns where.
func keepCrashLog(cfg *config, s *server, conns int, id string) string {
	dst := filepath.Join(cfg.repo, "bench", "out", fmt.Sprintf("crash-%s-c%d-%s-%s.log", s.Name, conns, id, time.Now().UTC().Format("20060102-150405")))
	b, err := os.ReadFile(s.LogPath)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o755)
	}
	if err == nil {
		err = os.WriteFile(dst, b, 0o644)
	}
	if err != nil {
		return s.LogPath + " (not copied: " + err.Error() + ")"
	}
	return dst
}

func stopServers(p *procs, servers []*server) {
	var cmds []*exec.Cmd
	for _, s := range servers {
		cmds = append(cmds, s.cmd)
	}
	p.stop(cmds...)
}

func errNote(r wrkResult) string {
	if r.Non2xx == 0 && r.SockErrs == 0 {
		return ""
	}
	return fmt.Sprintf("  (non-2xx %d, socket errors %d)", r.Non2xx, r.SockErrs)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timedRun runs wrk once against s, sampling the server tree's RSS and the
// CPU time of the server, wrk and everything else on the machine.
func timedRun(p *procs, cfg *config, all []*server, s *server, conns int, d time.Duration, url string) (run, error) {
	ours := func() uint64 {
		n := selfTicks()
		for _, o := range all {
			n += treeTicks(o.pid())
		}
		return n
	}
	srv0, ours0, busy0 := treeTicks(s.pid()), ours(), busyTicks()
	sampler := sampleRSS(s.pid(), 100*time.Millisecond)
	t0 := time.Now()
	w, wrkCPU, err := runWrk(p, cfg.wrk, wrkArgs(conns, d, cfg.timeout, url), "")
	wall := time.Since(t0)
	peak := sampler.end()
	srv1, ours1, busy1 := treeTicks(s.pid()), ours(), busyTicks()
	if err != nil {
		return run{}, err
	}
	other := float64(busy1-busy0) - float64(ours1-ours0) - wrkCPU.Seconds()*clockTick
	r := run{wrkResult: w, RSSKiB: peak, WrkCPU: wrkCPU, Wall: wall,
		ServerCPU:  time.Duration(srv1-srv0) * (time.Second / clockTick),
		OtherCores: max(0, other/clockTick/wall.Seconds())}
	settle(s)
	return r, nil
}

// settle waits (up to a minute) until s stops using CPU: wrk abandons
// requests in flight when its time is up, and a server that cannot cancel a
// transform (libvips work is not interruptible) keeps burning CPU that would
// otherwise be charged to the next run.
func settle(s *server) {
	deadline := time.Now().Add(60 * time.Second)
	prev := treeTicks(s.pid())
	for time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		cur := treeTicks(s.pid())
		if cur-prev <= 3 { // at most 10% of one CPU over 300 ms
			return
		}
		prev = cur
	}
}

// selfTicks is this process's own CPU time.
func selfTicks() uint64 {
	st, err := readStat(os.Getpid())
	if err != nil {
		return 0
	}
	return st.ticks
}

// pipelineResults are the go test -bench figures per scenario.
type pipelineResults struct {
	Single   map[string]float64 // ms per image, one goroutine (-cpu 1)
	Parallel map[string]float64 // images/s, RunParallel with -cpu 2
	Commands []string
	Raw      string
}

var (
	reBenchSingle = regexp.MustCompile(`(?m)^BenchmarkProcess/(\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)
	reBenchPar    = regexp.MustCompile(`(?m)^BenchmarkProcessParallel/(\S+?)(?:-\d+)?\s+\d+\s+[0-9.]+ ns/op.*?\s([0-9.]+) img/s`)
)

func runPipeline(cfg *config) (pipelineResults, error) {
	pr := pipelineResults{Single: map[string]float64{}, Parallel: map[string]float64{}}
	var ids []string
	for _, id := range cfg.scenarios {
		if sc, _ := bench.Lookup(id); sc.InProcess() {
			ids = append(ids, regexp.QuoteMeta(id))
		}
	}
	if len(ids) == 0 {
		return pr, nil
	}
	sub := "/^(" + strings.Join(ids, "|") + ")$"
	for _, b := range []struct{ bench, cpu string }{{"^BenchmarkProcess$" + sub, "1"}, {"^BenchmarkProcessParallel$" + sub, "2"}} {
		args := []string{"test", "-run", "^$", "-bench", b.bench, "-benchtime", cfg.pipelineBenchtime, "-cpu", b.cpu, "./bench"}
		cmd := exec.CommandContext(context.Background(), cfg.goBin, args...)
		cmd.Dir = cfg.repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "MATTE_BENCH_CORPUS="+cfg.root)
		out, err := cmd.CombinedOutput()
		pr.Commands = append(pr.Commands, "CGO_ENABLED=1 go "+strings.Join(args, " "))
		pr.Raw += string(out)
		if err != nil {
			return pr, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, m := range reBenchSingle.FindAllStringSubmatch(pr.Raw, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		pr.Single[m[1]] = v / 1e6
	}
	for _, m := range reBenchPar.FindAllStringSubmatch(pr.Raw, -1) {
		pr.Parallel[m[1]], _ = strconv.ParseFloat(m[2], 64)
	}
	return pr, nil
}

// median of xs (xs is not modified).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
