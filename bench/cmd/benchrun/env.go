package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
)

// machine and versions, for the report header.
type envInfo struct {
	NProc    int
	CPUModel string
	MemTotal string
	Kernel   string
	Load     string // /proc/loadavg at start

	MatteCommit string
	MatteDirty  string
	Caddy       string
	Libvips     string // the libvips bin/caddy runs (matte-version), else pkg-config's
	LibvipsFrom string // its file
	LibvipsNPM  bool   // built against scripts/fetch-vips.sh's npm libvips
	// LibvipsSystem: the libvips of bin/caddy-system (the matte-system
	// server) and its file; "" when that server did not run.
	LibvipsSystem string            `json:",omitempty"`
	VipsCodecs    map[string]string // versions.json of the npm build
	VipsObjects   []string          // the shared libraries a system build loaded
	IPX           string
	Sharp         string
	SharpVips     string
	Nginx         string
	Wrk           string
	Go            string
	Node          string
	Imgly         string // @imgly/background-removal-node
	ImglyORT      string // onnxruntime-node under it
	ImglySharp    string
	MatteORT      string // the ONNX Runtime library Matte loads (runtime/lib)
}

func cmdOut(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

func collectEnv(cfg *config) envInfo {
	e := envInfo{NProc: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindStringSubmatch(string(b)); m != nil {
			e.CPUModel = m[1]
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^MemTotal:\s*(\d+) kB`).FindStringSubmatch(string(b)); m != nil {
			var kb float64
			for _, c := range m[1] {
				kb = kb*10 + float64(c-'0')
			}
			e.MemTotal = strings.TrimRight(strings.TrimRight(fmtFloat(kb/1024/1024, 1), "0"), ".") + " GiB"
		}
	}
	e.Kernel = cmdOut("uname", "-r")
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		e.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	e.MatteCommit = cmdOut("git", "-C", cfg.repo, "rev-parse", "--short=12", "HEAD")
	// Porcelain lines are "XY path"; X or Y may be a space, so the output
	// must not be trimmed before it is split.
	st, _ := exec.Command("git", "-C", cfg.repo, "status", "--porcelain", "--untracked-files=no").Output()
	var files []string
	for _, l := range strings.Split(string(st), "\n") {
		if len(l) > 3 {
			files = append(files, strings.TrimSpace(l[3:]))
		}
	}
	e.MatteDirty = measuredChanges(strings.Join(files, ", "))
	e.Caddy = firstLine(cmdOut(cfg.caddy, "version"))
	e.vipsInfo(cfg.caddy)
	if slices.Contains(cfg.servers, "matte-system") {
		var sys envInfo
		sys.vipsInfo(cfg.caddySystem)
		e.LibvipsSystem = sys.Libvips
		if sys.LibvipsFrom != "" {
			e.LibvipsSystem += ", loaded from " + sys.LibvipsFrom
		}
	}
	e.Nginx = strings.TrimPrefix(firstLine(cmdOut(cfg.nginx, "-v")), "nginx version: ")
	e.Wrk = firstLine(cmdOut(cfg.wrk, "-v"))
	if i := strings.Index(e.Wrk, " Copyright"); i > 0 {
		e.Wrk = e.Wrk[:i]
	}
	e.Node = cmdOut("node", "--version")
	if cfg.ipxServer != "" {
		dir := filepath.Dir(cfg.ipxServer)
		e.IPX = pkgVersion(filepath.Join(dir, "node_modules", "ipx", "package.json"))
		e.Sharp = pkgVersion(filepath.Join(dir, "node_modules", "sharp", "package.json"))
		e.SharpVips = pkgVersion(filepath.Join(dir, "node_modules", "@img", "sharp-libvips-linux-x64", "package.json"))
		if v := cmdOut("node", "-e", "process.stdout.write(require(process.argv[1]).versions.vips)", filepath.Join(dir, "node_modules", "sharp")); v != "" && !strings.Contains(v, "\n") {
			e.SharpVips = v
		}
	}
	if cfg.imglyServer != "" {
		nm := filepath.Join(filepath.Dir(cfg.imglyServer), "node_modules")
		e.Imgly = pkgVersion(filepath.Join(nm, "@imgly", "background-removal-node", "package.json"))
		e.ImglyORT = pkgVersion(filepath.Join(nm, "onnxruntime-node", "package.json"))
		e.ImglySharp = pkgVersion(filepath.Join(nm, "sharp", "package.json"))
	}
	rt := os.Getenv("MATTE_RUNTIME")
	if rt == "" {
		rt = filepath.Join(cfg.repo, "runtime")
	}
	if t, err := filepath.EvalSymlinks(filepath.Join(rt, "lib", "libonnxruntime.so")); err == nil {
		e.MatteORT = strings.TrimPrefix(filepath.Base(t), "libonnxruntime.so.")
	}
	return e
}

func pkgVersion(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	_ = json.Unmarshal(b, &p)
	return p.Version
}

// vipsVersion is the libvips version Matte's binary caddy runs (its
// `matte-version --json`), or "?" when it cannot say.
func vipsVersion(caddy string) string {
	out, err := exec.Command(caddy, "matte-version", "--json").Output()
	var bi struct{ Version string }
	if err != nil || json.Unmarshal(out, &bi) != nil || bi.Version == "" {
		return "?"
	}
	return bi.Version
}

// vipsInfo fills the libvips fields from `caddy matte-version --json`, or
// from pkg-config for a binary that predates the command.
func (e *envInfo) vipsInfo(caddy string) {
	out, err := exec.Command(caddy, "matte-version", "--json").Output()
	var bi struct {
		NPM                       bool
		Version, Headers, Library string
		Components                map[string]string
		Objects                   []string
	}
	if err != nil || json.Unmarshal(out, &bi) != nil || bi.Version == "" {
		e.Libvips = cmdOut("pkg-config", "--modversion", "vips") + " (pkg-config; bin/caddy has no matte-version)"
		return
	}
	e.Libvips = bi.Version + " (headers " + bi.Headers + ")"
	e.LibvipsFrom, e.LibvipsNPM, e.VipsCodecs, e.VipsObjects = bi.Library, bi.NPM, bi.Components, bi.Objects
}

// vipsCodecs is one line: every component of the npm build as name version,
// or the file names of the libraries a system build loaded.
func (e envInfo) vipsCodecs() string {
	if len(e.VipsCodecs) > 0 {
		names := make([]string, 0, len(e.VipsCodecs))
		for n := range e.VipsCodecs {
			names = append(names, n)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = n + " " + e.VipsCodecs[n]
		}
		return strings.Join(parts, ", ")
	}
	parts := make([]string, len(e.VipsObjects))
	for i, o := range e.VipsObjects {
		parts[i] = filepath.Base(o)
	}
	return strings.Join(parts, ", ")
}

// measuredChanges is dirty, a list of changed files, without the report a
// run writes (bench/RESULTS.md): a run after another measures the same code.
func measuredChanges(dirty string) string {
	var files []string
	for _, f := range strings.Split(dirty, ", ") {
		if f != "" && f != "bench/RESULTS.md" {
			files = append(files, f)
		}
	}
	return strings.Join(files, ", ")
}
