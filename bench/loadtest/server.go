package main

import (
	"encoding/json"
	"errors"
	"fmt"
	_ "image/gif"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/jebosio/matte/internal/loopback"
)

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
	// abuse turns on background removal and the remove.bg API, with a
	// short api_body_timeout, and the blur cap lifted (max_blur_sigma 1000) so
	// that a heavy blur is real work that only cancellation can bound.
	abuse bool
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
	if *flagBuffered != "" {
		o = append(o, "max_buffered_bytes "+*flagBuffered)
	}
	if sc.abuse {
		return append(o, "removebg", "api_body_timeout "+abuseBodyTimeout.String(), "max_blur_sigma 1000")
	}
	return append(o, "rembg off")
}

func startServer(dir string, sc serverConf) (*server, error) {
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	admin, err := loopback.FreePort()
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
