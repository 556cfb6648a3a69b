package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jebosio/matte/bench"
	"github.com/jebosio/matte/internal/loopback"
)

// server is one HTTP server under test.
type server struct {
	Name   string // short id: matte, matte-system, ipx, nginx, file, matte-cache, matte-disk, filehit, imgly
	Label  string // table label
	Port   int
	Admin  int    // Caddy admin port of a Matte server (metrics, purge); 0 for others
	Config string // config file contents, for the report
	// Special: the server takes part only in the scenarios it has a path
	// for (f-i); elsewhere it gets no cell at all, not an n/a row.
	Special bool
	// Transforms: compared with Matte on transform scenarios; Caddy's
	// file_server is only a peer for the passthrough.
	Transforms bool
	LogPath    string
	cmd        *exec.Cmd
	exited     <-chan error
	exitErr    error
	stopping   bool // the harness is stopping it: an exit is expected
	// path maps a scenario to a request path, "" when the server cannot do
	// it; why says why for the table.
	path func(bench.Scenario) string
	why  func(bench.Scenario) string
}

func (s *server) url(sc bench.Scenario) string {
	p := s.path(sc)
	if p == "" {
		return ""
	}
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.Port, p)
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// logSeq numbers server logs: every (re)start gets its own file.
var logSeq int

// dead reports whether s has exited, and how, with the tail of its log.
func (s *server) dead() (bool, string) {
	if s.exitErr == nil {
		select {
		case err, ok := <-s.exited:
			if !ok {
				return true, "exited"
			}
			if err == nil {
				err = errors.New("exit status 0")
			}
			s.exitErr = err
		default:
			return false, ""
		}
	}
	log, _ := os.ReadFile(s.LogPath)
	return true, fmt.Sprintf("%s exited (%v); log %s ends:\n%s", s.Label, s.exitErr, s.LogPath, tail(string(log), 3000))
}

// waitReady polls url until it answers (any status) or the process exits.
func waitReady(s *server, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if dead, why := s.dead(); dead {
			return errors.New(why)
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready on %s after %v", s.Name, url, timeout)
}

// matteCaddyfile: same defaults as Caddyfile.example, except the timeout,
// raised so that queued AVIF requests at concurrency 8 are not answered 503,
// and the result cache (%[4]s): off for "matte", so that every request
// decodes and encodes, as it does in ipx and nginx; on for "matte-cache"
// (the defaults: a 256 MiB memory tier) and "matte-disk" (a disk tier and a
// memory tier too small for the result: the scenario's, else 1 byte) in the
// cache scenarios f, g and i.
const matteCaddyfile = `# Matte under test: defaults, timeout raised for queued AVIF requests,
# %[5]s
{
	admin 127.0.0.1:%[3]d
	auto_https off
	persist_config off
	default_bind 127.0.0.1
}

http://127.0.0.1:%[1]d {
	matte {
		timeout 300s
%[4]s	}
	root * %[2]s
	file_server
}
`

const fileCaddyfile = `# Plain Caddy file_server (same binary, no matte): the passthrough baseline.
{
	admin off
	auto_https off
	persist_config off
	default_bind 127.0.0.1
}

http://127.0.0.1:%[1]d {
	root * %[2]s
	file_server
}
`

// nginxConf: image_filter resizes to ?w= keeping the aspect ratio, into the
// source's own format, with ?q= as the JPEG quality. Paths under /resize/
// are filtered; everything else is served as stored.
const nginxConf = `daemon off;
master_process on;
worker_processes %[4]d;
pid %[3]s/nginx.pid;
error_log %[3]s/nginx-error.log warn;
load_module %[5]s;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path %[3]s/nginx-body;
	proxy_temp_path %[3]s/nginx-proxy;
	fastcgi_temp_path %[3]s/nginx-fastcgi;
	uwsgi_temp_path %[3]s/nginx-uwsgi;
	scgi_temp_path %[3]s/nginx-scgi;
	sendfile on;
	keepalive_requests 1000000;
	types { image/jpeg jpg jpeg; image/png png; image/webp webp; }
	server {
		listen 127.0.0.1:%[1]d;
		root %[2]s;
		location /resize/ {
			alias %[2]s/;
			image_filter resize $arg_w -;
			image_filter_jpeg_quality $arg_q;
			image_filter_buffer 64M;
			image_filter_interlace off;
		}
	}
}
`

// withMatteBlock adds a scenario's own matte settings (Scenario.MatteBlock)
// to a Matte server's block and to the note that heads its Caddyfile.
func withMatteBlock(block, note, matteBlock string) (string, string) {
	if strings.TrimSpace(matteBlock) == "" {
		return block, note
	}
	for _, line := range strings.Split(matteBlock, "\n") {
		if line != "" {
			block += "\t\t" + line + "\n"
		}
	}
	return block, strings.TrimSuffix(note, ".") + ", and " + strings.ReplaceAll(strings.TrimSpace(matteBlock), "\n", ", ") + " for this scenario."
}

// startServers starts every server named in names; matteBlock is added to
// the matte block of every Matte server (matte, matte-system, matte-cache,
// matte-disk).
func startServers(p *procs, cfg *config, names []string, matteBlock string) ([]*server, error) {
	var out []*server
	for _, name := range names {
		port, err := loopback.FreePort()
		if err != nil {
			return out, err
		}
		s := &server{Name: name, Port: port}
		var cmd *exec.Cmd
		ready := fmt.Sprintf("http://127.0.0.1:%d/", port)
		readyWithin := 30 * time.Second
		switch name {
		case "matte-cache", "matte-disk":
			admin, err := loopback.FreePort()
			if err != nil {
				return out, err
			}
			s.Admin, s.Special, s.Transforms = admin, true, true
			block, note := "", "result cache on, the defaults: a 256MiB memory tier, no disk tier."
			s.Label = "Matte, cache on (memory tier)"
			if name == "matte-disk" {
				// A fresh disk tier per start: the warm-up fills it.
				logSeq++
				dir := filepath.Join(cfg.tmp, fmt.Sprintf("matte-disk-%03d", logSeq))
				block = fmt.Sprintf("\t\tcache_disk %s 1GiB\n", dir)
				note = "result cache on, a disk tier and the scenario's memory tier, too small for the result,\n# so each hit reads it from the disk tier (X-Cache: HIT-DISK)."
				if !strings.Contains(matteBlock, "cache_memory") {
					block = "\t\tcache_memory 1B\n" + block
					note = "result cache on, disk tier only: the Caddyfile has no disk-only form\n# (`cache_memory 0` is refused), so a 1-byte memory tier declines every entry\n# and each hit is read from the disk tier (X-Cache: HIT-DISK)."
				}
				s.Label = "Matte, cache on (disk tier)"
			}
			block, note = withMatteBlock(block, note, matteBlock)
			s.Config = fmt.Sprintf(matteCaddyfile, port, cfg.root, admin, block, note)
			file := filepath.Join(cfg.tmp, name+".Caddyfile")
			if err := os.WriteFile(file, []byte(s.Config), 0o644); err != nil {
				return out, err
			}
			cmd = exec.Command(cfg.caddy, "run", "--config", file, "--adapter", "caddyfile")
		case "filehit":
			s.Label = "Caddy file_server (the cached bytes)"
			s.Special = true
			s.Config = strings.Replace(fmt.Sprintf(fileCaddyfile, port, hitsDir(cfg)), "the passthrough baseline.",
				"the baseline of the cache-hit scenarios f and g,\n# serving the bytes Matte answered from its cache.", 1)
			file := filepath.Join(cfg.tmp, "filehit.Caddyfile")
			if err := os.WriteFile(file, []byte(s.Config), 0o644); err != nil {
				return out, err
			}
			cmd = exec.Command(cfg.caddy, "run", "--config", file, "--adapter", "caddyfile")
		case "imgly":
			s.Label = "imgly (Node)"
			s.Special, s.Transforms = true, true
			s.Config = fmt.Sprintf("node %s %s %d   # @imgly/background-removal-node removeBackground(), model \"medium\" (ISNet fp16), PNG out", cfg.imglyServer, cfg.root, port)
			cmd = exec.Command("node", cfg.imglyServer, cfg.root, fmt.Sprint(port))
			readyWithin = 5 * time.Minute // it loads the model and runs it once before listening
		case "matte", "matte-system":
			admin, err := loopback.FreePort()
			if err != nil {
				return out, err
			}
			bin := cfg.caddy
			s.Admin = admin
			s.Label = "Matte"
			if name == "matte" {
				cfg.matteAdmin = admin
			} else {
				// The same Matte against the system's libvips: the two
				// columns read the library's share of a ratio apart from
				// Matte's own.
				bin = cfg.caddySystem
				s.Label = "Matte (libvips " + vipsVersion(bin) + ", system)"
			}
			s.Transforms = true
			file := filepath.Join(cfg.tmp, name+".Caddyfile")
			// `cache off` where this Matte has the option; older builds have
			// no result cache at all.
			block, note := withMatteBlock("\t\tcache off\n", "result cache off (`cache off`).", matteBlock)
			s.Config = fmt.Sprintf(matteCaddyfile, port, cfg.root, admin, block, note)
			cfg.matteCache = "off (`cache off` in the matte block)"
			if err := os.WriteFile(file, []byte(s.Config), 0o644); err != nil {
				return out, err
			}
			if msg, err := exec.Command(bin, "adapt", "--config", file, "--adapter", "caddyfile").CombinedOutput(); err != nil {
				if !strings.Contains(string(msg), `subdirective "cache"`) {
					return out, fmt.Errorf("matte Caddyfile does not adapt: %v\n%s", err, msg)
				}
				s.Config = fmt.Sprintf(matteCaddyfile, port, cfg.root, admin, "", "no `cache` option in this build: Matte has no result cache.")
				cfg.matteCache = "none (this build's matte directive has no cache option)"
				if err := os.WriteFile(file, []byte(s.Config), 0o644); err != nil {
					return out, err
				}
			}
			cmd = exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
		case "file":
			s.Label = "Caddy file_server"
			s.Config = fmt.Sprintf(fileCaddyfile, port, cfg.root)
			file := filepath.Join(cfg.tmp, "file.Caddyfile")
			if err := os.WriteFile(file, []byte(s.Config), 0o644); err != nil {
				return out, err
			}
			cmd = exec.Command(cfg.caddy, "run", "--config", file, "--adapter", "caddyfile")
		case "ipx":
			s.Label = "ipx (sharp)"
			s.Transforms = true
			s.Config = fmt.Sprintf("node %s %s %d   # ipx's node server, sharp.cache(false)", cfg.ipxServer, cfg.root, port)
			cmd = exec.Command("node", cfg.ipxServer, cfg.root, fmt.Sprint(port))
		case "nginx":
			s.Label = "nginx image_filter"
			s.Transforms = true
			s.Config = fmt.Sprintf(nginxConf, port, cfg.root, cfg.tmp, cfg.nginxWorkers, cfg.nginxModule)
			file := filepath.Join(cfg.tmp, "nginx.conf")
			if err := os.WriteFile(file, []byte(s.Config), 0o644); err != nil {
				return out, err
			}
			cmd = exec.Command(cfg.nginx, "-c", file, "-p", cfg.tmp+"/", "-e", filepath.Join(cfg.tmp, "nginx-error.log"))
		default:
			return out, fmt.Errorf("unknown server %q (want matte, matte-system, file, ipx, nginx, matte-cache, matte-disk, filehit, imgly)", name)
		}
		s.path, s.why = pathFor(name), whyFor(name)
		cmd.Env = os.Environ()
		s.cmd = cmd
		logSeq++
		s.LogPath = filepath.Join(cfg.tmp, fmt.Sprintf("%s-%03d.log", name, logSeq))
		if s.exited, err = p.start(cmd, s.LogPath); err != nil {
			return out, err
		}
		out = append(out, s)
		if err := waitReady(s, ready, readyWithin); err != nil {
			log, _ := os.ReadFile(s.LogPath)
			return out, fmt.Errorf("%v\n%s", err, tail(string(log), 2000))
		}
		logf("started %s (pid %d) on 127.0.0.1:%d", s.Label, s.pid(), port)
	}
	return out, nil
}

// pathFor maps a scenario to server name's request path ("" when it
// cannot do the scenario).
func pathFor(name string) func(bench.Scenario) string {
	switch name {
	case "matte":
		return func(sc bench.Scenario) string {
			if sc.Kind != bench.KindTransform && sc.Kind != bench.KindRembg {
				return ""
			}
			return sc.MattePath()
		}
	case "matte-system":
		// The transforms only: h (inference) does not depend on libvips.
		return func(sc bench.Scenario) string {
			if sc.Kind != bench.KindTransform {
				return ""
			}
			return sc.MattePath()
		}
	case "matte-cache":
		return func(sc bench.Scenario) string {
			if sc.Kind != bench.KindHitMemory && sc.Kind != bench.KindCoalesce {
				return ""
			}
			return sc.MattePath()
		}
	case "matte-disk":
		return func(sc bench.Scenario) string {
			if sc.Kind != bench.KindHitDisk {
				return ""
			}
			return sc.MattePath()
		}
	case "filehit":
		return func(sc bench.Scenario) string {
			if !sc.Hit() {
				return ""
			}
			return "/" + hitFile(sc)
		}
	case "imgly":
		return func(sc bench.Scenario) string {
			if sc.Kind != bench.KindRembg {
				return ""
			}
			return "/" + sc.File
		}
	case "ipx":
		return func(sc bench.Scenario) string { return sc.IPXPath() }
	case "nginx":
		return func(sc bench.Scenario) string { return sc.NginxPath() }
	}
	return func(sc bench.Scenario) string { // Caddy file_server
		if sc.Passthrough() {
			return "/" + sc.File
		}
		return ""
	}
}

// isMatte reports whether server name is one of the Matte configurations.
func isMatte(name string) bool { return strings.HasPrefix(name, "matte") }

// matteFor is the Matte configuration that runs scenario sc.
func matteFor(sc bench.Scenario) string {
	switch sc.Kind {
	case bench.KindHitMemory, bench.KindCoalesce:
		return "matte-cache"
	case bench.KindHitDisk:
		return "matte-disk"
	}
	return "matte"
}

// whyFor says why server name cannot do a scenario.
func whyFor(name string) func(bench.Scenario) string {
	switch name {
	case "ipx":
		return func(bench.Scenario) string { return "ipx always re-encodes (no passthrough)" }
	case "nginx":
		return func(sc bench.Scenario) string {
			return fmt.Sprintf("image_filter cannot convert %s to %s", strings.ToUpper(sc.SourceFormat()), strings.ToUpper(sc.Format))
		}
	case "file":
		return func(bench.Scenario) string { return "no transforms (passthrough baseline)" }
	}
	return func(bench.Scenario) string { return "" }
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
