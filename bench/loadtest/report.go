package main

import (
	"fmt"
	_ "image/gif"
	_ "image/png"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "golang.org/x/image/webp"
)

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
