// Command loadtest is Matte's load and fault test (issue 7, item 8). It is
// not part of `make test`; run it with
//
//	make loadtest                                   # builds ./bin/caddy first
//	make loadtest LOADTEST_FLAGS="-phase 8s"        # shorter phases
//	go run ./bench/loadtest -h                      # all flags
//
// It prepares a temporary site (good images copied from the perf corpus in
// /work/shared/testdata/perf, a truncated JPEG, corrupt files with image
// extensions, a non-image, a 20000x20000 PNG and a 65000x65000 JPEG header as
// decompression bombs) and a disk-cache folder, starts `./bin/caddy run` on
// free 127.0.0.1 ports with a generated Caddyfile (matte in front of
// file_server: max_source_megapixels 50, workers 2, queue_megapixels 100,
// timeout 10s, cache_disk 256MiB, rembg off), and runs six bounded phases:
//
//  1. warm: cached and fresh variants (varying w);
//  2. bad-params: invalid query parameters (400 expected);
//  3. bad-sources: truncated, corrupt, non-image and bomb sources
//     (413/415/422 expected, never a 5xx other than 503);
//  4. slow+disconnect: slow readers and clients that cancel after a few ms,
//     alongside healthy requests;
//  5. burst: waves of concurrent distinct misses of the 12 MP image, over the
//     queue limit (some 503 with Retry-After expected, quickly);
//  6. cache-broken: the disk-cache folder is replaced by a regular file
//     mid-run (works as root, unlike chmod 000); requests must still succeed.
//
// A probe requests a known-good transform every 200 ms throughout. Every
// response is checked: a 200 must decode as the requested format and match
// its Content-Length, a 503 must carry Retry-After, an error must be Matte's
// JSON. Per phase it reports requests, statuses, p50/p99, peak RSS of the
// caddy process (/proc/<pid>/status every 100 ms), "panic" lines in the
// server log, malformed responses and probe results; it writes the report to
// bench/loadtest/REPORT.md, prints it, and exits 1 when there was a panic, a
// malformed response, an unexpected status, a failed probe or a server crash.
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
	deadline := time.Now().Add(d)
	var n atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(n.Add(1))
				if i > *flagMaxReq {
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

func startServer(dir string) (*server, int, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	admin, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	cf := fmt.Sprintf(`{
	admin 127.0.0.1:%d
	auto_https off
	persist_config off
	storage file_system %s
	grace_period 2s
}

http://127.0.0.1:%d {
	root * %s
	matte {
		max_source_megapixels 50
		workers 2
		queue_megapixels 100
		timeout 10s
		cache_disk %s 256MiB
		rembg off
	}
	file_server
}
`, admin, filepath.Join(dir, "caddydata"), port, filepath.Join(dir, "site"), filepath.Join(dir, "cache"))
	cfPath := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfPath, []byte(cf), 0o644); err != nil {
		return nil, 0, err
	}
	s := &server{log: filepath.Join(dir, "caddy.log"), done: make(chan struct{})}
	lf, err := os.Create(s.log)
	if err != nil {
		return nil, 0, err
	}
	s.cmd = exec.Command(*flagCaddy, "run", "--config", cfPath, "--adapter", "caddyfile")
	s.cmd.Stdout, s.cmd.Stderr = lf, lf
	s.cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dir, "xdg"), "XDG_CONFIG_HOME="+filepath.Join(dir, "xdg"))
	if err := s.cmd.Start(); err != nil {
		return nil, 0, err
	}
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
			return s, port, fmt.Errorf("caddy exited during start: %v (log %s)", s.exit, s.log)
		}
		r := do("/img/photo-1mp.jpg", "w=16", 0, 0)
		if r.status == 200 && r.malformed == "" {
			return s, port, nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return s, port, errors.New("caddy not ready after 90 s; log: " + s.log)
}

func (s *server) stop() {
	if !s.alive() {
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

// readKB returns a field of /proc/<pid>/status in KiB.
func readKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
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

// ---------------------------------------------------------------- main

func main() {
	flag.Parse()
	os.Exit(realMain())
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
	dir, err := os.MkdirTemp("", "matte-loadtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		return 2
	}
	if !*flagKeep {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(os.Stderr, "loadtest: preparing fixtures in %s\n", dir)
	if err := prepare(dir); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: fixtures:", err)
		return 2
	}
	srv, _, err := startServer(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		if srv != nil {
			srv.stop()
			tail(srv.log)
		}
		return 2
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	time.Sleep(time.Second)
	rssStart := readKB(pid, "VmRSS")
	fmt.Fprintf(os.Stderr, "loadtest: caddy pid %d on %s, RSS %d MiB\n", pid, base, rssStart/1024)

	// RSS sampler and healthy probe, attributed to the current phase.
	var cur atomic.Pointer[phaseStats]
	stopBG := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopBG:
				return
			case <-t.C:
				if p := cur.Load(); p != nil {
					rss := readKB(pid, "VmRSS")
					p.mu.Lock()
					p.peakRSS = max(p.peakRSS, rss)
					p.mu.Unlock()
				}
			}
		}
	}()
	go func() {
		defer bg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopBG:
				return
			case <-t.C:
				p := cur.Load()
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

	var phases []*phaseStats
	var logOff int64
	_, logOff = countPanics(srv.log, 0)
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

	phase := func(p *phaseStats, body func(p *phaseStats)) {
		if !srv.alive() {
			p.note("skipped: the server is not running")
			phases = append(phases, p)
			return
		}
		fmt.Fprintf(os.Stderr, "loadtest: phase %s ...\n", p.name)
		cur.Store(p)
		errOff := logSize(srv.log)
		start := time.Now()
		body(p)
		p.dur = time.Since(start)
		time.Sleep(300 * time.Millisecond) // let the last probe land here
		var n int
		n, logOff = countPanics(srv.log, logOff)
		p.panics = n
		p.errLogs = errLines(srv.log, errOff)
		p.alive = srv.alive()
		phases = append(phases, p)
		fmt.Fprintf(os.Stderr, "loadtest:   %d requests, %v, malformed %d, unexpected %d, probes %d/%d\n",
			p.sent, p.byStatus, len(p.malformed), len(p.unexpect), p.probesOK, p.probesAll)
	}

	d := *flagPhase
	conc := *flagConc

	phase(newPhase("1 warm", "200 (hits and misses)", 200), func(p *phaseStats) {
		run(p, conc, d, warmReq)
	})

	bad := []string{"w=abc", "w=0", "w=100001", "h=-5", "fit=squash", "q=0", "q=101", "fm=bmp",
		"rot=left", "blur=99999", "dpr=9", "crop=nowhere&fit=crop&w=10&h=10", "rect=1,2", "bg=notacolour",
		"flip=x", "sharp=500", "w=10&pad=99999", "lossless=maybe", "trim=sometimes", "w=1e3"}
	phase(newPhase("2 bad-params", "400", 400), func(p *phaseStats) {
		run(p, conc, d, func(i int) (string, result) {
			q := bad[i%len(bad)]
			return "/img/photo-1mp.jpg?" + q, do("/img/photo-1mp.jpg", q, 0, 0)
		})
	})

	badSrc := []string{"truncated.jpg", "corrupt.jpg", "damaged.jpg", "random.png", "notimage.jpg", "bomb.png", "bomb.jpg"}
	srcStatus := map[string]map[int]int{}
	var srcMu sync.Mutex
	phase(newPhase("3 bad-sources", "413/415/422 (503 tolerated; 200 only for damaged.jpg)", 200, 413, 415, 422, 503), func(p *phaseStats) {
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
				p.mu.Lock()
				p.unexpect = append(p.unexpect, fmt.Sprintf("/img/%s?%s: status 200", n, q))
				p.mu.Unlock()
			}
			return "/img/" + n + "?" + q, r
		})
		srcMu.Lock()
		for _, n := range badSrc {
			p.note("%s → %v", n, srcStatus[n])
		}
		srcMu.Unlock()
	})

	phase(newPhase("4 slow+disconnect", "200, client cancels, 503 tolerated", 200, 503), func(p *phaseStats) {
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
		p.note("slow readers: %d sent, %d completed with a valid image; disconnecters: %d sent", slowN.Load(), slowDone.Load(), cancN.Load())
	})

	phase(newPhase("5 burst", "200 and 503 with Retry-After", 200, 503), func(p *phaseStats) {
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
			p.mu.Lock()
			p.unexpect = append(p.unexpect, "no 503 in a burst over queue_megapixels")
			p.mu.Unlock()
		}
	})

	phase(newPhase("6 cache-broken", "200 (disk cache unusable)", 200), func(p *phaseStats) {
		cdir := filepath.Join(dir, "cache")
		off := logSize(srv.log)
		if err := os.Rename(cdir, cdir+".moved"); err != nil {
			p.note("could not move the cache folder away: %v", err)
		} else if err := os.WriteFile(cdir, []byte("not a folder\n"), 0o644); err != nil {
			p.note("could not put a file in its place: %v", err)
		} else {
			p.note("cache folder %s replaced by a regular file before the phase (simulates an unwritable/full disk tier; chmod 000 does not stop root, tmpfs mounts were not attempted)", filepath.Base(cdir))
		}
		run(p, conc, d, warmReq)
		after, _ := os.ReadFile(srv.log)
		if int64(len(after)) >= off {
			after = after[off:]
		}
		p.note("server warnings `\"msg\":\"cache\"` (disk-tier write failures) logged during the phase: %d", strings.Count(string(after), `"msg":"cache"`))
	})

	cur.Store(nil)
	close(stopBG)
	bg.Wait()
	time.Sleep(2 * time.Second)
	rssEnd := readKB(pid, "VmRSS")
	hwm := readKB(pid, "VmHWM")
	alive := srv.alive()
	srv.stop()
	totalPanics, _ := countPanics(srv.log, 0)

	rep, fail := report(phases, rssStart, rssEnd, hwm, alive, totalPanics)
	fmt.Print(rep)
	if *flagOut != "" {
		if err := os.WriteFile(*flagOut, []byte(rep), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
	}
	if *flagKeep {
		fmt.Fprintf(os.Stderr, "loadtest: kept %s (server log %s)\n", dir, srv.log)
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

func report(phases []*phaseStats, rssStart, rssEnd, hwm int64, alive bool, totalPanics int) (string, bool) {
	var b strings.Builder
	commit := strings.TrimSpace(cmdOut("git", "rev-parse", "--short", "HEAD"))
	if strings.TrimSpace(cmdOut("git", "status", "--porcelain", "--untracked-files=no")) != "" {
		commit += " (working tree had uncommitted changes)"
	}
	memKB := int64(0)
	if m, err := os.ReadFile("/proc/meminfo"); err == nil {
		fmt.Sscanf(strings.SplitN(string(m), "\n", 2)[0], "MemTotal: %d kB", &memKB)
	}
	fmt.Fprintf(&b, "# Matte load and fault test\n\n")
	fmt.Fprintf(&b, "- command: `go run ./bench/loadtest %s` (via `make loadtest`)\n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "- machine: %d CPUs (nproc), %.1f GiB RAM, %s/%s, %s (shared with other work)\n",
		runtime.NumCPU(), float64(memKB)/(1<<20), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(&b, "- Matte commit: %s\n", commit)
	fmt.Fprintf(&b, "- per phase: %s or %d requests, whichever first; %d clients (phase 4: 4 slow readers, 4 disconnecters, 2 healthy; phase 5: waves of %d)\n",
		*flagPhase, *flagMaxReq, *flagConc, *flagBurst)
	fmt.Fprintf(&b, "- server: matte { max_source_megapixels 50; workers 2; queue_megapixels 100; timeout 10s; cache_disk <tmp> 256MiB; rembg off } before file_server, 127.0.0.1 only\n\n")

	fmt.Fprintf(&b, "| phase | expected | time | sent | responses by status | p50 | p99 | peak RSS | panics | malformed | unexpected | probes ok |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	fail := !alive || totalPanics > 0
	for _, p := range phases {
		keys := make([]string, 0, len(p.byStatus))
		for k := range p.byStatus {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var st []string
		for _, k := range keys {
			st = append(st, fmt.Sprintf("%s: %d", k, p.byStatus[k]))
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f s | %d | %s | %s | %s | %d MiB | %d | %d | %d | %d/%d |\n",
			p.name, p.expect, p.dur.Seconds(), p.sent, strings.Join(st, ", "), pct(p.lats, .5), pct(p.lats, .99),
			p.peakRSS/1024, p.panics, len(p.malformed), len(p.unexpect), p.probesOK, p.probesAll)
		if p.panics > 0 || len(p.malformed) > 0 || len(p.unexpect) > 0 || p.probesOK != p.probesAll || !p.alive {
			fail = true
		}
	}
	fmt.Fprintf(&b, "\n- RSS: %d MiB after start, %d MiB 2 s after the last phase, VmHWM %d MiB\n", rssStart/1024, rssEnd/1024, hwm/1024)
	fmt.Fprintf(&b, "- server alive at the end: %v; \"panic\" in the whole server log: %d\n", alive, totalPanics)
	fmt.Fprintf(&b, "- latency columns exclude client cancels and transport errors; `client-cancel` counts requests the client dropped on purpose\n")
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
		for name, l := range map[string][]string{"malformed": p.malformed, "unexpected": p.unexpect, "failed probe": p.probeFail} {
			for i, m := range l {
				if i == 10 {
					fmt.Fprintf(&b, "- … %d more %s\n", len(l)-10, name)
					break
				}
				fmt.Fprintf(&b, "- %s: %s\n", name, m)
			}
		}
	}
	verdict := "PASS"
	if fail {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n**Verdict: %s** (fails on a panic, a malformed response, an unexpected status, a failed probe or a dead server)\n", verdict)
	return b.String(), fail
}

func cmdOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return string(out)
}
