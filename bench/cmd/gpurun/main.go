// Command gpurun measures what `make bench` cannot on this project's 2-core
// machines: scenario h (background removal end to end) on a GPU with
// `execution_provider cuda`, and the `workers` / `vips_concurrency`
// defaults on a many-core machine. It runs on the lent GPU machine from a
// folder that bench/gpu.sh stages here (that machine has no Go, no wrk and
// no network), and writes a Markdown report:
//
//	gpurun -root /tmp/matte-gpu -out $OUT/gpu.md
//
// The folder holds bin/caddy (Matte, the npm libvips build, its rpath
// $ORIGIN/../runtime/vips/lib), runtime/lib (ONNX Runtime's GPU build:
// libonnxruntime.so and its CUDA provider), runtime/models/isnet-fp16.onnx,
// runtime/vips/lib, segment.test (the segment package's compiled tests,
// for BenchmarkISNet, the raw inference time) and images/ (h's photo and
// the perf corpus files of a and c).
//
// Phases, each appended to the report as it ends, so that a run cut short
// still returns what it measured: the raw inference time; h through the
// server at one request at a time (its p50 ÷ the raw inference time is h's
// overhead ratio, ≤ 1.10 on the CPU) and at each -conc; the same on the CPU
// provider with -cpu-compare; the workers sweep with -sweep. -provider cpu
// runs the whole program without a GPU (bench/gpu.sh local, a dry run of
// the machinery on the CPU build of ONNX Runtime).
//
// Only 127.0.0.1 is dialled: Matte binds a free loopback port and serves
// images/ through file_server.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jebosio/matte/bench"
	"github.com/jebosio/matte/internal/loopback"
	"github.com/jebosio/matte/internal/procstat"
)

var (
	flagRoot       = flag.String("root", ".", "staged folder: bin/caddy, runtime/, segment.test, images/")
	flagOut        = flag.String("out", "gpu.md", "Markdown report (appended phase by phase)")
	flagProvider   = flag.String("provider", "cuda", "execution provider for h: cuda, tensorrt or cpu")
	flagDeviceID   = flag.Int("device-id", 0, "GPU device id")
	flagRequests   = flag.Int("requests", 30, "h: timed requests one at a time (after 3 warm-ups)")
	flagDuration   = flag.Duration("duration", 15*time.Second, "length of each closed-loop run")
	flagConc       = flag.String("conc", "1,2,4,8", "h: client concurrencies of the closed-loop runs")
	flagBenchtime  = flag.String("benchtime", "30x", "-test.benchtime of BenchmarkISNet (raw inference)")
	flagCPUCompare = flag.Bool("cpu-compare", false, "also run h on the CPU provider, same machine, same run")
	flagSweep      = flag.String("sweep", "", "workers:vips_concurrency pairs for the many-core sweep, e.g. 16:1,18:1,24:1,8:2 (empty: no sweep)")
	flagSweepIDs   = flag.String("sweep-scenarios", "c,a", "scenarios of the sweep (bench.Scenarios IDs, plain transforms)")
	flagSweepConc  = flag.Int("sweep-conc", 0, "client concurrency of the sweep (0: twice the CPUs)")
)

func main() {
	flag.Parse()
	root, err := filepath.Abs(*flagRoot)
	if err != nil {
		fatal(err)
	}
	r := &report{path: *flagOut}
	r.header(root)
	if err := run(root, r); err != nil {
		r.printf("\n**Stopped:** %v\n", err)
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gpurun:", err)
	os.Exit(1)
}

// run measures the phases in turn. A phase that fails is reported and the
// next runs all the same (the sweep needs no GPU); the errors are joined.
func run(root string, r *report) error {
	h, ok := bench.Lookup("h")
	if !ok {
		return errors.New("no scenario h")
	}
	if _, err := os.Stat(filepath.Join(root, "images", h.File)); err != nil {
		return fmt.Errorf("h's image: %w", err)
	}
	conc, err := parseInts(*flagConc)
	if err != nil {
		return fmt.Errorf("-conc: %w", err)
	}
	var pairs [][2]int
	var scenarios []bench.Scenario
	if *flagSweep != "" {
		if pairs, err = parsePairs(*flagSweep); err != nil {
			return fmt.Errorf("-sweep: %w", err)
		}
		if scenarios, err = sweepScenarios(*flagSweepIDs); err != nil {
			return fmt.Errorf("-sweep-scenarios: %w", err)
		}
	}

	var errs []error
	providers := []string{*flagProvider}
	if *flagCPUCompare && *flagProvider != "cpu" {
		providers = append(providers, "cpu")
	}
	for _, provider := range providers {
		raw, err := rawInference(root, provider)
		r.rawInference(provider, raw, err)
		errs = append(errs, err)
		rows, err := rembgRuns(root, provider, h, conc)
		r.rembg(provider, h, rows, raw, err)
		errs = append(errs, err)
	}
	if len(pairs) > 0 {
		sweep(root, r, pairs, scenarios)
	}
	return errors.Join(errs...)
}

// ---- raw inference ----

type isnetRun struct {
	bench.ISNetResult
	Command, Provider string
}

// rawInference runs BenchmarkISNet/isnet from the staged test binary: on
// the provider asked for, strictly (MATTE_SEGMENT_PROVIDER), or on the CPU
// at the thread count Matte uses there.
func rawInference(root, provider string) (isnetRun, error) {
	threads := 1
	if provider == "cpu" {
		threads = bench.ISNetBenchThreads(runtime.NumCPU())
	}
	args := []string{"-test.run", "^$", "-test.v",
		"-test.bench", bench.ISNetBenchPattern(threads), "-test.benchtime", *flagBenchtime}
	cmd := exec.Command(filepath.Join(root, "segment.test"), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "MATTE_RUNTIME="+filepath.Join(root, "runtime"))
	if provider != "cpu" {
		cmd.Env = append(cmd.Env, "MATTE_SEGMENT_PROVIDER="+provider)
	}
	ir := isnetRun{Command: "segment.test " + strings.Join(args, " ")}
	out, err := cmd.CombinedOutput()
	if m := strings.Index(string(out), "execution provider: "); m >= 0 {
		ir.Provider = firstLine(string(out)[m+len("execution provider: "):])
	}
	if err != nil {
		return ir, fmt.Errorf("%s: %v: %s", ir.Command, err, tail(out, 1500))
	}
	res, ok := bench.ParseISNet(string(out))
	if !ok {
		return ir, fmt.Errorf("%s: no BenchmarkISNet/isnet result: %s", ir.Command, tail(out, 1500))
	}
	ir.ISNetResult = res
	return ir, nil
}

// ---- Matte ----

const caddyfile = `{
	admin off
	auto_https off
	persist_config off
	default_bind 127.0.0.1
}

http://127.0.0.1:%d {
	matte {
		timeout 300s
		cache off
		faces off
%s	}
	root * %s
	file_server
}
`

type server struct {
	cmd  *exec.Cmd
	port int
	dir  string // Caddyfile, log, Caddy's data; removed by stop
	log  string
	done chan error
}

// startMatte runs bin/caddy with block added to its matte block and waits
// until it accepts connections; a server that exits first is an error with
// its log's tail.
func startMatte(root, block string) (*server, error) {
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gpurun-")
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			os.RemoveAll(dir)
		}
	}()
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, fmt.Appendf(nil, caddyfile, port, block, filepath.Join(root, "images")), 0o644); err != nil {
		return nil, err
	}
	s := &server{port: port, dir: dir, log: filepath.Join(dir, "caddy.log"), done: make(chan error, 1)}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(filepath.Join(root, "bin", "caddy"), "run", "--config", conf, "--adapter", "caddyfile")
	s.cmd.Dir = root
	s.cmd.Env = append(os.Environ(), "MATTE_RUNTIME="+filepath.Join(root, "runtime"), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(3 * time.Minute) // model load and CUDA start
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("bin/caddy exited (%v): %s", err, s.logTail())
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr(), time.Second); err == nil {
			c.Close()
			started = true
			return s, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	why := fmt.Errorf("bin/caddy did not listen within 3 minutes: %s", s.logTail()) // before stop removes the log
	s.stop()
	return nil, why
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	return tail(b, 1500)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// cpuTime is the server process's user+system time, every thread.
func (s *server) cpuTime() time.Duration { return procstat.CPUTime(s.cmd.Process.Pid) }

// ---- load ----

// result is one timed run against one URL.
type result struct {
	Conc     int
	OK, Bad  int // answers with the expected status and type; others and errors
	Elapsed  time.Duration
	Lat      []time.Duration // of the good answers
	CPU      time.Duration   // server CPU over the run
	FirstBad string
}

func (r result) perSecond() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

func (r result) cpuPerImage() time.Duration {
	if r.OK == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.OK)
}

func (r result) pct(p float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	l := slices.Clone(r.Lat)
	slices.Sort(l)
	return l[min(len(l)-1, int(p*float64(len(l))))]
}

// load sends requests for url from conc clients, each on its own kept-alive
// connection, until n answers (n > 0) or for d; cpu reads the server's CPU
// time before and after.
func load(cpu func() time.Duration, url, wantType string, conc, n int, d time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	var (
		mu  sync.Mutex
		res = result{Conc: conc}
		wg  sync.WaitGroup
	)
	left := n
	start, cpu0 := time.Now(), cpu()
	stopAt := start.Add(d)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if n > 0 && left == 0 || n == 0 && time.Now().After(stopAt) {
					mu.Unlock()
					return
				}
				left--
				mu.Unlock()
				t0 := time.Now()
				why := fetch(client, url, wantType)
				lat := time.Since(t0)
				mu.Lock()
				if why == "" {
					res.OK++
					res.Lat = append(res.Lat, lat)
				} else {
					res.Bad++
					if res.FirstBad == "" {
						res.FirstBad = why
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed, res.CPU = time.Since(start), cpu()-cpu0
	return res
}

// fetch GETs url and says what was wrong with the answer ("" when it is a
// 200 of wantType, read to the end).
func fetch(c *http.Client, url, wantType string) string {
	resp, err := c.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return "reading the body: " + err.Error()
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("%d: %s", resp.StatusCode, tail(body, 300))
	case resp.Header.Get("Content-Type") != wantType:
		return "Content-Type " + resp.Header.Get("Content-Type")
	}
	return ""
}

// ---- h ----

// rembgRuns starts Matte with background removal on provider and times h:
// -requests one at a time, then a closed loop at each concurrency.
func rembgRuns(root, provider string, h bench.Scenario, conc []int) ([]result, error) {
	block := fmt.Sprintf("\t\trembg {\n\t\t\texecution_provider %s\n\t\t\tdevice_id %d\n\t\t\tstrict\n\t\t\tpreload\n\t\t}\n", provider, *flagDeviceID)
	s, err := startMatte(root, block)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	url := "http://" + s.addr() + h.MattePath()
	if w := load(s.cpuTime, url, "image/png", 1, 3, 0); w.Bad > 0 {
		return nil, fmt.Errorf("warm-up of %s: %s; log: %s", url, w.FirstBad, s.logTail())
	}
	rows := []result{load(s.cpuTime, url, "image/png", 1, *flagRequests, 0)}
	for _, c := range conc {
		rows = append(rows, load(s.cpuTime, url, "image/png", c, 0, *flagDuration))
	}
	return rows, nil
}

// ---- workers sweep ----

// parsePairs reads -sweep: comma-separated workers:vips_concurrency pairs
// of positive integers.
func parsePairs(s string) ([][2]int, error) {
	var pairs [][2]int
	for _, p := range strings.Split(s, ",") {
		w, v, ok := strings.Cut(strings.TrimSpace(p), ":")
		wi, err1 := strconv.Atoi(w)
		vi, err2 := strconv.Atoi(v)
		if !ok || err1 != nil || err2 != nil || wi < 1 || vi < 1 {
			return nil, fmt.Errorf("%q is not workers:vips_concurrency", p)
		}
		pairs = append(pairs, [2]int{wi, vi})
	}
	return pairs, nil
}

// sweepScenarios reads -sweep-scenarios: IDs of plain transform scenarios.
func sweepScenarios(ids string) ([]bench.Scenario, error) {
	var out []bench.Scenario
	for _, id := range strings.Split(ids, ",") {
		sc, ok := bench.Lookup(strings.TrimSpace(id))
		if !ok || !sc.InProcess() {
			return nil, fmt.Errorf("%q is not a plain transform scenario", id)
		}
		out = append(out, sc)
	}
	return out, nil
}

// sweep times each scenario on a fresh Matte per workers:vips_concurrency
// pair; a cell whose server does not start is reported as such.
func sweep(root string, r *report, pairs [][2]int, scenarios []bench.Scenario) {
	conc := *flagSweepConc
	if conc <= 0 {
		conc = 2 * runtime.NumCPU()
	}
	r.sweepHeader(conc)
	for _, sc := range scenarios {
		for _, p := range pairs {
			block := fmt.Sprintf("\t\trembg off\n\t\tworkers %d\n\t\tvips_concurrency %d\n", p[0], p[1])
			s, err := startMatte(root, block)
			if err != nil {
				r.sweepRow(sc, p[0], p[1], result{Conc: conc, Bad: 1, Elapsed: time.Second, FirstBad: err.Error()})
				continue
			}
			url := "http://" + s.addr() + sc.MattePath()
			want := sc.ContentType()
			res := load(s.cpuTime, url, want, conc, conc*2, 0) // warm-up
			if res.Bad == 0 {
				res = load(s.cpuTime, url, want, conc, 0, *flagDuration)
			}
			s.stop()
			r.sweepRow(sc, p[0], p[1], res)
		}
	}
}

// ---- report ----

type report struct{ path string }

func (r *report) printf(format string, a ...any) {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, format, a...)
	fmt.Printf(format, a...)
}

func (r *report) header(root string) {
	r.printf("# gpurun, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	r.printf("- CPUs: %d (%s)\n", runtime.NumCPU(), cpuModel())
	if out, err := exec.Command("nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader").Output(); err == nil {
		r.printf("- GPU: %s\n", strings.TrimSpace(string(out)))
	} else {
		r.printf("- GPU: none found (nvidia-smi: %v)\n", err)
	}
	if out, err := exec.Command(filepath.Join(root, "bin", "caddy"), "version").Output(); err == nil {
		r.printf("- Matte: `bin/caddy version`: %s\n", firstLine(string(out)))
	}
	if out, err := exec.Command(filepath.Join(root, "bin", "caddy"), "matte-version").Output(); err == nil {
		r.printf("- `bin/caddy matte-version`: %s\n", firstLine(string(out)))
	}
	if libs, _ := filepath.Glob(filepath.Join(root, "runtime", "lib", "libonnxruntime*.so*")); len(libs) > 0 {
		names := make([]string, len(libs))
		for i, l := range libs {
			names[i] = filepath.Base(l)
		}
		r.printf("- ONNX Runtime: %s\n", strings.Join(names, ", "))
	}
	r.printf("- Command: `gpurun %s`\n", strings.Join(os.Args[1:], " "))
}

func (r *report) rawInference(provider string, ir isnetRun, err error) {
	r.printf("\n## Raw inference, provider %s\n\n`%s`\n\n", provider, ir.Command)
	if err != nil {
		r.printf("**Failed:** %v\n", err)
		return
	}
	r.printf("BenchmarkISNet/isnet (1024×1024, Segment: normalisation, Run, post-processing) on provider %q, %d intra-op thread(s): %d inferences, **%.1f ms** each (wall), %.1f ms CPU each.\n",
		ir.Provider, ir.Threads, ir.N, ir.MsPerOp, ir.CPUsPerOp*1e3)
}

func (r *report) rembg(provider string, h bench.Scenario, rows []result, raw isnetRun, err error) {
	r.printf("\n## h through Matte, provider %s\n\n`GET %s`, `cache off`, `faces off`, `rembg { execution_provider %s strict preload }` (Matte's other rembg defaults).\n\n", provider, h.MattePath(), provider)
	if err != nil {
		r.printf("**Failed:** %v\n", err)
		return
	}
	r.printf("| clients | images/s | p50 ms | p99 ms | server CPU ms/image | answers | errors |\n|---|---|---|---|---|---|---|\n")
	for i, x := range rows {
		label := strconv.Itoa(x.Conc)
		if i == 0 {
			label = "1 (one at a time)"
		}
		r.printf("| %s | %.2f | %.1f | %.1f | %.1f | %d | %d%s |\n", label, x.perSecond(), ms(x.pct(0.5)), ms(x.pct(0.99)), ms(x.cpuPerImage()), x.OK, x.Bad, badNote(x))
	}
	if raw.MsPerOp > 0 && len(rows) > 0 && rows[0].OK > 0 {
		p50 := ms(rows[0].pct(0.5))
		r.printf("\nOverhead: request p50 one at a time ÷ raw inference = %.1f ÷ %.1f ms = **%.2f** (outside inference %.1f ms: fetch, decode, resize to the model's input, mask, decontamination, PNG encode).\n",
			p50, raw.MsPerOp, p50/raw.MsPerOp, p50-raw.MsPerOp)
	}
}

func (r *report) sweepHeader(conc int) {
	r.printf("\n## workers × vips_concurrency, %d clients, %s per cell\n\n| scenario | workers | vips_concurrency | images/s | p50 ms | p99 ms | server CPU ms/image | errors |\n|---|---|---|---|---|---|---|---|\n", conc, *flagDuration)
}

func (r *report) sweepRow(sc bench.Scenario, workers, vc int, x result) {
	r.printf("| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %d%s |\n", sc.ID, workers, vc, x.perSecond(), ms(x.pct(0.5)), ms(x.pct(0.99)), ms(x.cpuPerImage()), x.Bad, badNote(x))
}

func badNote(x result) string {
	if x.FirstBad == "" {
		return ""
	}
	return " (first: " + strings.ReplaceAll(firstLine(x.FirstBad), "|", "/") + ")"
}

// ---- helpers ----

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown model"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
