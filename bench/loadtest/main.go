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
//     -soak-trim (malloc_trim), to compare RSS with and without.
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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/gif"
	"image/jpeg"
	_ "image/png"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
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
	flagVipsConc     = flag.Int("vips-concurrency", 0, "vips_concurrency for every server (0 = Matte's default)")
)

var (
	bad = []string{"w=abc", "w=0", "w=100001", "h=-5", "fit=squash", "q=0", "q=101", "fm=bmp",
		"rot=left", "blur=99999", "dpr=9", "crop=nowhere&fit=crop&w=10&h=10", "rect=1,2", "bg=notacolour",
		"flip=x", "sharp=500", "w=10&pad=99999", "lossless=maybe", "trim=sometimes", "w=1e3"}
	badSrc = []string{"truncated.jpg", "corrupt.jpg", "damaged.jpg", "random.png", "notimage.jpg", "bomb.png", "bomb.jpg"}
)

// ---------------------------------------------------------------- stats

type result struct {
	status    int           // HTTP status; 0 for a transport error
	lat       time.Duration // time to the last byte
	canceled  bool          // the client canceled on purpose
	malformed string        // why the response is malformed, "" if fine
	errText   string        // transport error
}

type phaseStats struct {
	name      string
	expect    string
	allowed   map[int]bool // statuses that are fine in this phase (200 always checked separately)
	mu        sync.Mutex
	sent      int
	byStatus  map[string]int
	lats      []time.Duration
	lat503    []time.Duration
	malformed []string
	unexpect  []string
	probesOK  int
	probesAll int
	probeFail []string
	peakRSS   int64
	panics    int
	errLogs   map[string]int // server error-level log lines in this phase, by message/error prefix
	dur       time.Duration
	notes     []string
	alive     bool
	skipped   bool
	cacheWarn int // server `"msg":"cache"` warnings in the phase
	enospc    int // ... of them "no space left on device"
	erofs     int // ... of them "read-only file system"
}

func newPhase(name, expect string, allowed ...int) *phaseStats {
	p := &phaseStats{name: name, expect: expect, allowed: map[int]bool{}, byStatus: map[string]int{}}
	for _, s := range allowed {
		p.allowed[s] = true
	}
	return p
}

func (p *phaseStats) add(r result, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent++
	key := strconv.Itoa(r.status)
	switch {
	case r.canceled:
		key = "client-cancel"
	case r.status == 0:
		key = "transport-error"
	}
	p.byStatus[key]++
	if !r.canceled && r.status != 0 {
		p.lats = append(p.lats, r.lat)
		if r.status == 503 {
			p.lat503 = append(p.lat503, r.lat)
		}
	}
	if r.malformed != "" {
		p.malformed = append(p.malformed, what+": "+r.malformed)
	}
	if !r.canceled && !p.allowed[r.status] {
		msg := fmt.Sprintf("%s: status %d", what, r.status)
		if r.status == 0 {
			msg = what + ": " + r.errText
		}
		p.unexpect = append(p.unexpect, msg)
	}
}

func (p *phaseStats) probe(ok bool, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.probesAll++
	if ok {
		p.probesOK++
	} else {
		p.probeFail = append(p.probeFail, why)
	}
}

func (p *phaseStats) note(format string, a ...any) {
	p.mu.Lock()
	p.notes = append(p.notes, fmt.Sprintf(format, a...))
	p.mu.Unlock()
}

func pct(d []time.Duration, q float64) string {
	if len(d) == 0 {
		return "–"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return fmtDur(s[i])
}

func fmtDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// ---------------------------------------------------------------- client

var client = &http.Client{
	Transport: &http.Transport{
		Proxy:               nil, // never a proxy: loopback only
		MaxIdleConnsPerHost: 128,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	},
}

var base string // http://127.0.0.1:<port>

// expectFormat is the format a 200 must decode as: fm if given, else the
// source's own (jpeg for .jpg, png for .png).
func expectFormat(path, query string) string {
	for _, kv := range strings.Split(query, "&") {
		if v, ok := strings.CutPrefix(kv, "fm="); ok {
			if v == "jpg" {
				return "jpeg"
			}
			return v
		}
	}
	if strings.HasSuffix(path, ".png") {
		return "png"
	}
	return "jpeg"
}

// do sends GET path?query and checks the response. readDelay > 0 reads the
// body in 512-byte steps with that pause (a slow client); cancelAfter > 0
// cancels the request after that long (a client that disconnects).
func do(path, query string, readDelay, cancelAfter time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), *flagTimeout)
	defer cancel()
	var canceledOnPurpose atomic.Bool
	if cancelAfter > 0 {
		t := time.AfterFunc(cancelAfter, func() { canceledOnPurpose.Store(true); cancel() })
		defer t.Stop()
	}
	u := base + path
	if query != "" {
		u += "?" + query
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if canceledOnPurpose.Load() {
			return result{canceled: true}
		}
		return result{errText: err.Error()}
	}
	defer resp.Body.Close()
	var body []byte
	if readDelay > 0 {
		buf := make([]byte, 512)
		var bb bytes.Buffer
		for {
			n, rerr := resp.Body.Read(buf)
			bb.Write(buf[:n])
			if rerr != nil {
				if rerr != io.EOF {
					err = rerr
				}
				break
			}
			time.Sleep(readDelay)
		}
		body = bb.Bytes()
	} else {
		body, err = io.ReadAll(resp.Body)
	}
	r := result{status: resp.StatusCode, lat: time.Since(start)}
	if err != nil {
		if canceledOnPurpose.Load() {
			return result{canceled: true}
		}
		r.malformed = fmt.Sprintf("status %d, body read error after %d bytes: %v", resp.StatusCode, len(body), err)
		return r
	}
	r.malformed = check(resp, body, expectFormat(path, query))
	return r
}

func check(resp *http.Response, body []byte, wantFmt string) string {
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return fmt.Sprintf("status %d: Content-Length %d but %d bytes", resp.StatusCode, resp.ContentLength, len(body))
	}
	switch {
	case resp.StatusCode == 200:
		_, got, err := image.Decode(bytes.NewReader(body))
		if err != nil {
			return fmt.Sprintf("200 body (%d bytes, %s) does not decode: %v", len(body), resp.Header.Get("Content-Type"), err)
		}
		if got != wantFmt {
			return fmt.Sprintf("200 body is %s, want %s", got, wantFmt)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/"+wantFmt {
			return fmt.Sprintf("200 %s body with Content-Type %q", got, ct)
		}
	case resp.StatusCode == 503:
		if resp.Header.Get("Retry-After") == "" {
			return "503 without Retry-After"
		}
	}
	if resp.StatusCode >= 400 && resp.StatusCode != 404 {
		var e struct {
			Errors []struct{ Code string } `json:"errors"`
		}
		if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) == 0 {
			return fmt.Sprintf("status %d without Matte's JSON error body: %.120q", resp.StatusCode, body)
		}
	}
	return ""
}

// run calls fn from conc goroutines until the phase's time or request budget
// is spent.
func run(p *phaseStats, conc int, d time.Duration, fn func(i int) (what string, r result)) {
	runN(p, conc, d, *flagMaxReq, fn)
}

func runN(p *phaseStats, conc int, d time.Duration, maxReq int, fn func(i int) (what string, r result)) {
	deadline := time.Now().Add(d)
	var n atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(n.Add(1))
				if i > maxReq {
					return
				}
				what, r := fn(i)
				p.add(r, what)
			}
		}()
	}
	wg.Wait()
}

// ---------------------------------------------------------------- fixtures

var goodJPEG = []string{"/img/photo-1mp.jpg", "/img/photo-4mp.jpg"}

func prepare(dir string) error {
	img := filepath.Join(dir, "site", "img")
	if err := os.MkdirAll(img, 0o755); err != nil {
		return err
	}
	for _, n := range []string{"photo-1mp.jpg", "photo-4mp.jpg", "photo-12mp.jpg", "photo-alpha.png"} {
		b, err := os.ReadFile(filepath.Join(*flagCorpus, n))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(img, n), b, 0o644); err != nil {
			return err
		}
		if n == "photo-1mp.jpg" {
			// truncated: the first 40% of a good JPEG
			if err := os.WriteFile(filepath.Join(img, "truncated.jpg"), b[:len(b)*4/10], 0o644); err != nil {
				return err
			}
			// damaged: a JPEG's headers followed by garbage entropy data
			// (libjpeg may decode it to noise: 200 or 422 are both fine)
			c := slices.Clone(b)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := len(c) / 20; i < len(c)-2; i++ {
				c[i] = byte(rng.UintN(256))
			}
			if err := os.WriteFile(filepath.Join(img, "damaged.jpg"), c, 0o644); err != nil {
				return err
			}
			// corrupt: a JPEG SOI marker followed by garbage, no valid header
			c2 := append([]byte{0xFF, 0xD8, 0xFF}, c[len(c)/2:len(c)/2+32<<10]...)
			if err := os.WriteFile(filepath.Join(img, "corrupt.jpg"), c2, 0o644); err != nil {
				return err
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	files := map[string][]byte{
		"random.png":   junk,
		"notimage.jpg": []byte("this is a plain text file, not an image\n"),
	}
	var err error
	if files["bomb.png"], err = bombPNG(20000, 20000); err != nil {
		return err
	}
	if files["bomb.jpg"], err = bombJPEG(65000, 65000); err != nil {
		return err
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(img, n), b, 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(dir, "cache"), 0o755)
}

// bombPNG is a legitimate w x h black 8-bit greyscale PNG, a few hundred KB.
// It is written row by row so the generator never holds the pixels.
func bombPNG(w, h int) ([]byte, error) {
	var buf bytes.Buffer
	if err := writePNGRows(&buf, w, h); err != nil {
		return nil, err
	}
	// sanity: the standard library reads its header
	cfg, format, err := image.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil || format != "png" || cfg.Width != w || cfg.Height != h {
		return nil, fmt.Errorf("bomb PNG self-check: %v %s %dx%d", err, format, cfg.Width, cfg.Height)
	}
	return buf.Bytes(), nil
}

// bombJPEG encodes a small JPEG and rewrites its SOF0 frame size to w x h.
func bombJPEG(w, h int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64)), nil); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 || i+9 > len(b) {
		return nil, errors.New("no SOF0 marker")
	}
	b[i+5], b[i+6] = byte(h>>8), byte(h)
	b[i+7], b[i+8] = byte(w>>8), byte(w)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != w || cfg.Height != h {
		return nil, fmt.Errorf("bomb JPEG self-check: %v %dx%d", err, cfg.Width, cfg.Height)
	}
	return b, nil
}

// ---------------------------------------------------------------- server

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type server struct {
	cmd    *exec.Cmd
	log    string
	done   chan struct{}
	exitMu sync.Mutex
	exit   error
}

func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// serverConf is what differs between the servers of one run.
type serverConf struct {
	name        string // <name>.Caddyfile, <name>.log in the temporary folder
	cacheDir    string
	trim        time.Duration // free_memory_interval; 0 = off
	cacheMemory string        // cache_memory; "" = Matte's default
	debugLog    bool
}

// matteOptions are the matte block's lines, with the cache folder shown as
// cacheShown.
func (sc serverConf) matteOptions(cacheShown string) []string {
	o := []string{"max_source_megapixels 50", "workers 2", "queue_megapixels 100", "timeout 10s",
		"cache_disk " + cacheShown + " 256MiB"}
	if sc.cacheMemory != "" {
		o = append(o, "cache_memory "+sc.cacheMemory)
	}
	if sc.trim > 0 {
		o = append(o, "free_memory_interval "+sc.trim.String())
	}
	if *flagVipsCache != "" {
		o = append(o, "vips_cache_memory "+*flagVipsCache)
	}
	if *flagVipsConc > 0 {
		o = append(o, fmt.Sprintf("vips_concurrency %d", *flagVipsConc))
	}
	return append(o, "rembg off")
}

func startServer(dir string, sc serverConf) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	admin, err := freePort()
	if err != nil {
		return nil, err
	}
	logOpt := ""
	if sc.debugLog {
		logOpt = "\tlog {\n\t\tlevel DEBUG\n\t}\n"
	}
	cf := fmt.Sprintf(`{
	admin 127.0.0.1:%d
	auto_https off
	persist_config off
	storage file_system %s
	grace_period 2s
%s}

http://127.0.0.1:%d {
	root * %s
	matte {
		%s
	}
	file_server
}
`, admin, filepath.Join(dir, "caddydata"), logOpt, port, filepath.Join(dir, "site"), strings.Join(sc.matteOptions(sc.cacheDir), "\n\t\t"))
	cfPath := filepath.Join(dir, sc.name+".Caddyfile")
	if err := os.WriteFile(cfPath, []byte(cf), 0o644); err != nil {
		return nil, err
	}
	s := &server{log: filepath.Join(dir, sc.name+".log"), done: make(chan struct{})}
	lf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(*flagCaddy, "run", "--config", cfPath, "--adapter", "caddyfile")
	s.cmd.Stdout, s.cmd.Stderr = lf, lf
	s.cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dir, "xdg"), "XDG_CONFIG_HOME="+filepath.Join(dir, "xdg"))
	if err := s.cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	atExit(s.stop)
	go func() {
		err := s.cmd.Wait()
		s.exitMu.Lock()
		s.exit = err
		s.exitMu.Unlock()
		lf.Close()
		close(s.done)
	}()
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if !s.alive() {
			return s, fmt.Errorf("caddy exited during start: %v (log %s)", s.exit, s.log)
		}
		r := do("/img/photo-1mp.jpg", "w=16", 0, 0)
		if r.status == 200 && r.malformed == "" {
			return s, nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return s, errors.New("caddy not ready after 90 s; log: " + s.log)
}

func (s *server) stop() {
	if s == nil || !s.alive() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func countPanics(log string, from int64) (int, int64) {
	b, _ := os.ReadFile(log)
	if int64(len(b)) < from {
		from = 0
	}
	return strings.Count(strings.ToLower(string(b[from:])), "panic"), int64(len(b))
}

func logSize(log string) int64 {
	fi, err := os.Stat(log)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// errLines counts the server's error-level JSON log lines written since
// offset from, keyed by msg and the start of the error.
func errLines(log string, from int64) map[string]int {
	b, _ := os.ReadFile(log)
	if int64(len(b)) < from {
		from = 0
	}
	m := map[string]int{}
	for _, l := range strings.Split(string(b[from:]), "\n") {
		var e struct{ Level, Msg, Error string }
		if json.Unmarshal([]byte(l), &e) != nil || e.Level != "error" {
			continue
		}
		if len(e.Error) > 90 {
			e.Error = e.Error[:90] + "…"
		}
		m[e.Msg+": "+e.Error]++
	}
	return m
}

// cacheWarnings counts the server's `"msg":"cache"` warnings (disk-tier
// failures) in log[from:to] (to < 0: to the end), and those among them that
// contain sub.
func cacheWarnings(log string, from, to int64, sub string) (all, matching int) {
	return countLines(log, from, to, `"msg":"cache"`, sub)
}

// countLines counts the lines of log[from:to] that contain must, and those
// among them that also contain sub.
func countLines(log string, from, to int64, must, sub string) (all, matching int) {
	b, _ := os.ReadFile(log)
	if to < 0 || to > int64(len(b)) {
		to = int64(len(b))
	}
	if from > to {
		from = to
	}
	for _, l := range strings.Split(string(b[from:to]), "\n") {
		if strings.Contains(l, must) {
			all++
			if sub != "" && strings.Contains(l, sub) {
				matching++
			}
		}
	}
	return all, matching
}

// ---------------------------------------------------------------- cleanup

// Cleanups run in reverse order on every exit path: the end of realMain,
// and SIGINT/SIGTERM/SIGHUP (servers stopped, the tmpfs unmounted, the
// temporary folder removed).
var (
	cleanMu  sync.Mutex
	cleanups []func()
)

func atExit(f func()) {
	cleanMu.Lock()
	cleanups = append(cleanups, f)
	cleanMu.Unlock()
}

func cleanup() {
	cleanMu.Lock()
	fs := cleanups
	cleanups = nil
	cleanMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// ---------------------------------------------------------------- phases

// monitor samples the server's RSS every 100 ms and sends the healthy probe
// every 200 ms, both attributed to the current phase.
type monitor struct {
	cur  atomic.Pointer[phaseStats]
	stop chan struct{}
	wg   sync.WaitGroup
}

func startMonitor(pid int) *monitor {
	m := &monitor{stop: make(chan struct{})}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				if p := m.cur.Load(); p != nil {
					rss := procstat.StatusKiB(pid, "VmRSS")
					p.mu.Lock()
					p.peakRSS = max(p.peakRSS, rss)
					p.mu.Unlock()
				}
			}
		}
	}()
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				p := m.cur.Load()
				if p == nil {
					continue
				}
				r := do("/img/photo-1mp.jpg", "w=320&fm=jpg", 0, 0)
				ok := r.status == 200 && r.malformed == ""
				why := ""
				if !ok {
					why = fmt.Sprintf("%s status %d %s%s", time.Now().Format("15:04:05.000"), r.status, r.malformed, r.errText)
				}
				p.probe(ok, why)
			}
		}
	}()
	return m
}

func (m *monitor) close() {
	m.cur.Store(nil)
	close(m.stop)
	m.wg.Wait()
}

type runner struct {
	srv    *server
	mon    *monitor
	logOff int64
	phases *[]*phaseStats
}

func (rn *runner) phase(p *phaseStats, body func(p *phaseStats)) {
	if !rn.srv.alive() {
		p.note("skipped: the server is not running")
		*rn.phases = append(*rn.phases, p)
		return
	}
	fmt.Fprintf(os.Stderr, "loadtest: phase %s ...\n", p.name)
	rn.mon.cur.Store(p)
	errOff := logSize(rn.srv.log)
	start := time.Now()
	body(p)
	if p.dur == 0 {
		p.dur = time.Since(start)
	}
	time.Sleep(300 * time.Millisecond) // let the last probe land here
	var n int
	n, rn.logOff = countPanics(rn.srv.log, rn.logOff)
	p.panics = n
	p.errLogs = errLines(rn.srv.log, errOff)
	p.cacheWarn, p.enospc = cacheWarnings(rn.srv.log, errOff, -1, "no space left on device")
	_, p.erofs = cacheWarnings(rn.srv.log, errOff, -1, "read-only file system")
	p.alive = rn.srv.alive()
	*rn.phases = append(*rn.phases, p)
	fmt.Fprintf(os.Stderr, "loadtest:   %d requests, %v, malformed %d, unexpected %d, probes %d/%d, peak RSS %d MiB\n",
		p.sent, p.byStatus, len(p.malformed), len(p.unexpect), p.probesOK, p.probesAll, p.peakRSS/1024)
}

func (rn *runner) skip(p *phaseStats, format string, a ...any) {
	p.note(format, a...)
	p.skipped = true
	p.alive = rn.srv.alive()
	*rn.phases = append(*rn.phases, p)
	fmt.Fprintf(os.Stderr, "loadtest: phase %s skipped\n", p.name)
}

func (p *phaseStats) unexpected(format string, a ...any) {
	p.mu.Lock()
	p.unexpect = append(p.unexpect, fmt.Sprintf(format, a...))
	p.mu.Unlock()
}

// ---------------------------------------------------------------- main

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

func report(phases []*phaseStats, info runInfo) (string, bool) {
	var b strings.Builder
	commit := strings.TrimSpace(cmdOut("git", "rev-parse", "--short", "HEAD"))
	if strings.TrimSpace(cmdOut("git", "status", "--porcelain", "--untracked-files=no")) != "" {
		commit += " (working tree had uncommitted changes)"
	}
	memKB := int64(0)
	if m, err := os.ReadFile("/proc/meminfo"); err == nil {
		fmt.Sscanf(strings.SplitN(string(m), "\n", 2)[0], "MemTotal: %d kB", &memKB)
	}
	args := strings.Join(os.Args[1:], " ")
	fmt.Fprintf(&b, "# Matte load and fault test\n\n")
	if os.Getenv("MAKELEVEL") != "" {
		fmt.Fprintf(&b, "- command: `make loadtest LOADTEST_FLAGS=\"%s\"` (runs `go run ./bench/loadtest %s`)\n", args, args)
	} else {
		fmt.Fprintf(&b, "- command: `go run ./bench/loadtest %s`\n", args)
	}
	arena := os.Getenv("MALLOC_ARENA_MAX")
	if arena == "" {
		arena = "unset"
	}
	fmt.Fprintf(&b, "- date: %s; wall time %s; environment MALLOC_ARENA_MAX=%s (the servers inherit it)\n",
		info.started.UTC().Format(time.RFC3339), info.wall.Round(time.Second), arena)
	fmt.Fprintf(&b, "- machine: %d CPUs (nproc), %.1f GiB RAM, %s/%s, %s, load average %s at the start (shared with other work)\n",
		runtime.NumCPU(), float64(memKB)/(1<<20), runtime.GOOS, runtime.GOARCH, runtime.Version(), info.loadavg)
	fmt.Fprintf(&b, "- Matte commit: %s\n", commit)
	fmt.Fprintf(&b, "- phases 1–6: %s or %d requests each, whichever first; %d clients (phase 4: 4 slow readers, 4 disconnecters, 2 healthy; phase 5: waves of %d)\n",
		*flagPhase, *flagMaxReq, *flagConc, *flagBurst)
	fmt.Fprintf(&b, "- fault server (phases 1–6): matte { %s } before file_server, 127.0.0.1 only; log level %s\n",
		strings.Join(info.faultConf.matteOptions("<tmp>/cache"), "; "), map[bool]string{true: "DEBUG", false: "INFO"}[info.faultConf.debugLog])
	fmt.Fprintf(&b, "- cache folder: %s\n", info.mountNote)
	if len(info.soaks) > 0 {
		var labels []string
		for _, s := range info.soaks {
			labels = append(labels, s.label)
		}
		fmt.Fprintf(&b, "- soaks (phases 7–8): %s each, %d clients, on fresh servers with the same options but `cache_memory %s`, cache_disk on the ordinary disk, log level INFO; free_memory_interval %s\n",
			*flagSoak, *flagConc, *flagSoakCacheMem, strings.Join(labels, " then "))
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "| phase | expected | time | sent | responses by status | p50 | p99 | peak RSS | panics | malformed | unexpected | probes ok | cache warnings |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	fail := !info.alive || info.totalPanics > 0
	for _, p := range phases {
		if p.skipped {
			fmt.Fprintf(&b, "| %s | %s | skipped | – | – | – | – | – | – | – | – | – | – |\n", p.name, p.expect)
			continue
		}
		keys := make([]string, 0, len(p.byStatus))
		for k := range p.byStatus {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var st []string
		for _, k := range keys {
			st = append(st, fmt.Sprintf("%s: %d", k, p.byStatus[k]))
		}
		cw := strconv.Itoa(p.cacheWarn)
		if p.enospc > 0 || p.erofs > 0 {
			var k []string
			if p.enospc > 0 {
				k = append(k, fmt.Sprintf("%d ENOSPC", p.enospc))
			}
			if p.erofs > 0 {
				k = append(k, fmt.Sprintf("%d EROFS", p.erofs))
			}
			cw += " (" + strings.Join(k, ", ") + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f s | %d | %s | %s | %s | %d MiB | %d | %d | %d | %d/%d | %s |\n",
			p.name, p.expect, p.dur.Seconds(), p.sent, strings.Join(st, ", "), pct(p.lats, .5), pct(p.lats, .99),
			p.peakRSS/1024, p.panics, len(p.malformed), len(p.unexpect), p.probesOK, p.probesAll, cw)
		if p.panics > 0 || len(p.malformed) > 0 || len(p.unexpect) > 0 || p.probesOK != p.probesAll || !p.alive {
			fail = true
		}
	}
	fmt.Fprintf(&b, "\n- fault server RSS: %d MiB after start, %d MiB 2 s after phase 6c, VmHWM %d MiB\n", info.rssStart/1024, info.rssEnd/1024, info.hw/1024)
	fmt.Fprintf(&b, "- fault server alive at the end: %v; \"panic\" in its whole log: %d\n", info.alive, info.totalPanics)
	fmt.Fprintf(&b, "- latency columns exclude client cancels and transport errors; `client-cancel` counts requests the client dropped on purpose; `cache warnings` counts the server's `\"msg\":\"cache\"` warnings (disk-tier failures, the response is still served), with those saying `no space left on device` (ENOSPC) and `read-only file system` (EROFS)\n")

	soakReport(&b, info.soaks)

	for _, p := range phases {
		if len(p.notes)+len(p.malformed)+len(p.unexpect)+len(p.probeFail)+len(p.errLogs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", p.name)
		for _, n := range p.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		var ek []string
		for k := range p.errLogs {
			ek = append(ek, k)
		}
		sort.Strings(ek)
		for _, k := range ek {
			fmt.Fprintf(&b, "- server error log ×%d: `%s`\n", p.errLogs[k], k)
		}
		for _, l := range []struct {
			name string
			list []string
		}{{"malformed", p.malformed}, {"unexpected", p.unexpect}, {"failed probe", p.probeFail}} {
			for i, m := range l.list {
				if i == 10 {
					fmt.Fprintf(&b, "- … %d more %s\n", len(l.list)-10, l.name)
					break
				}
				fmt.Fprintf(&b, "- %s: %s\n", l.name, m)
			}
		}
	}
	verdict := "PASS"
	if fail {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n**Verdict: %s** (fails on a panic, a malformed response, an unexpected status, a failed probe or a dead server)\n", verdict)
	if len(info.soaks) > 0 {
		var v []string
		for _, s := range info.soaks {
			if len(s.samples) == 0 {
				v = append(v, fmt.Sprintf("free_memory_interval %s: not run", s.label))
				continue
			}
			ok, r := s.bounded()
			v = append(v, fmt.Sprintf("free_memory_interval %s: %s (Q4/Q1 %.2f)", s.label, verdictWord(ok), r))
		}
		fmt.Fprintf(&b, "\n**RSS verdict:** %s — rule above; reported, not part of PASS/FAIL\n", strings.Join(v, "; "))
	}
	return b.String(), fail
}

func cmdOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return string(out)
}
