package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrkResult is one parsed wrk run.
type wrkResult struct {
	ReqPerSec float64
	P50, P99  time.Duration
	Requests  int
	Non2xx    int
	SockErrs  int // connect + read + write + timeout
	Timeouts  int
	Duration  time.Duration
	Raw       string
}

// wrkArgs is the wrk command line for one timed run.
func wrkArgs(conns int, d time.Duration, timeout time.Duration, url string) []string {
	threads := 2
	if conns < threads {
		threads = conns
	}
	return []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + fmtDur(d), "--timeout", fmtDur(timeout), "--latency", url}
}

func fmtDur(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	return strconv.Itoa(int(d/time.Millisecond)) + "ms"
}

// runWrk runs wrk with args in its own process group (registered with p so
// that it is killed on exit) and parses its report. rusage is wrk's own CPU.
func runWrk(p *procs, wrk string, args []string, logPath string) (wrkResult, time.Duration, error) {
	var out bytes.Buffer
	cmd := exec.Command(wrk, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // no Pdeathsig: see procs.start
	if err := cmd.Start(); err != nil {
		return wrkResult{}, 0, err
	}
	p.mu.Lock()
	p.groups = append(p.groups, cmd)
	p.mu.Unlock()
	err := cmd.Wait()
	p.mu.Lock()
	for i, c := range p.groups {
		if c == cmd {
			p.groups = append(p.groups[:i], p.groups[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	var cpu time.Duration
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return wrkResult{}, cpu, fmt.Errorf("wrk %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	r, perr := parseWrk(out.String())
	return r, cpu, perr
}

var (
	reReqSec   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	rePct      = regexp.MustCompile(`(?m)^\s+(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m|h)\s*$`)
	reRequests = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(us|ms|s|m|h)`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reSockErr  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func unitDur(v string, unit string) time.Duration {
	f, _ := strconv.ParseFloat(v, 64)
	mult := map[string]float64{"us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}[unit]
	return time.Duration(f * mult)
}

func parseWrk(s string) (wrkResult, error) {
	r := wrkResult{Raw: s}
	m := reReqSec.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("wrk output has no Requests/sec:\n%s", s)
	}
	r.ReqPerSec, _ = strconv.ParseFloat(m[1], 64)
	for _, pm := range rePct.FindAllStringSubmatch(s, -1) {
		switch pm[1] {
		case "50":
			r.P50 = unitDur(pm[2], pm[3])
		case "99":
			r.P99 = unitDur(pm[2], pm[3])
		}
	}
	if m := reRequests.FindStringSubmatch(s); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
		r.Duration = unitDur(m[2], m[3])
	}
	if m := reNon2xx.FindStringSubmatch(s); m != nil {
		r.Non2xx, _ = strconv.Atoi(m[1])
	}
	if m := reSockErr.FindStringSubmatch(s); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.Atoi(v)
			r.SockErrs += n
		}
		r.Timeouts, _ = strconv.Atoi(m[4])
	}
	return r, nil
}
