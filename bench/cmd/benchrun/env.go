package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
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
	Libvips     string
	IPX         string
	Sharp       string
	SharpVips   string
	Nginx       string
	Wrk         string
	Go          string
	Node        string
	Imgly       string // @imgly/background-removal-node
	ImglyORT    string // onnxruntime-node under it
	ImglySharp  string
	MatteORT    string // the ONNX Runtime library Matte loads (runtime/lib)
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
	e.MatteDirty = strings.Join(files, ", ")
	e.Caddy = firstLine(cmdOut(cfg.caddy, "version"))
	e.Libvips = cmdOut("pkg-config", "--modversion", "vips")
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
