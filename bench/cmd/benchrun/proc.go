package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jebosio/matte/internal/procstat"
)

// procs tracks every process group the harness starts, so that all of them
// are stopped on exit, on a signal or on failure. Each group id is also
// appended to pidFile (when set), for run.sh's trap to kill should the
// harness itself die without cleaning up.
type procs struct {
	mu      sync.Mutex
	pidFile string
	groups  []*exec.Cmd
}

// start runs cmd in a new process group with stdout and stderr to logPath.
// The returned channel receives cmd's exit error (nil for status 0) once it
// has exited, and is then closed.
func (p *procs) start(cmd *exec.Cmd, logPath string) (<-chan error, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// No Pdeathsig: Linux sends it when the *thread* that forked the child
	// exits, and Go may retire that thread at any time (golang/go#27505):
	// an earlier version of this harness had its Matte SIGTERMed mid-run.
	// stopAll, the signal handler and run.sh's trap stop the groups instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p.mu.Lock()
	p.groups = append(p.groups, cmd)
	p.mu.Unlock()
	if p.pidFile != "" {
		if f, err := os.OpenFile(p.pidFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(f, cmd.Process.Pid)
			f.Close()
		}
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		logf.Close()
		if err == nil && cmd.ProcessState != nil && !cmd.ProcessState.Success() {
			err = errors.New(cmd.ProcessState.String())
		}
		exited <- err
		close(exited)
	}()
	return exited, nil
}

// stopAll sends SIGTERM to every group, waits up to 5 s for them to exit,
// then sends SIGKILL to what is left.
func (p *procs) stopAll() {
	p.mu.Lock()
	groups := p.groups
	p.groups = nil
	p.mu.Unlock()
	stopGroups(groups)
}

// stop stops the given commands' groups and forgets them.
func (p *procs) stop(cmds ...*exec.Cmd) {
	p.mu.Lock()
	kept := p.groups[:0]
	for _, c := range p.groups {
		drop := false
		for _, d := range cmds {
			drop = drop || c == d
		}
		if !drop {
			kept = append(kept, c)
		}
	}
	p.groups = kept
	p.mu.Unlock()
	stopGroups(cmds)
}

func stopGroups(groups []*exec.Cmd) {
	for _, c := range groups {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range groups {
		for groupAlive(c.Process.Pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if groupAlive(c.Process.Pid) {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
	}
}

// groupAlive reports whether any process of group pgid is still running
// (zombies excluded).
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); err != nil {
		return false
	}
	for _, pid := range allPids() {
		st, err := readStat(pid)
		if err == nil && st.pgrp == pgid && st.state != "Z" {
			return true
		}
	}
	return false
}

type procStat struct {
	pid, ppid, pgrp int
	state           string
	ticks           uint64 // utime + stime
}

// readStat parses /proc/pid/stat (the command name may hold spaces and
// parentheses, so fields are read after the last ')').
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, errors.New("bad stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return procStat{}, errors.New("short stat")
	}
	// f[0]=state f[1]=ppid f[2]=pgrp ... f[11]=utime f[12]=stime
	ppid, _ := strconv.Atoi(f[1])
	pgrp, _ := strconv.Atoi(f[2])
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	stt, _ := strconv.ParseUint(f[12], 10, 64)
	return procStat{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0], ticks: ut + stt}, nil
}

func allPids() []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// tree returns root and all its descendants.
func tree(root int) []procStat {
	var all []procStat
	for _, pid := range allPids() {
		if st, err := readStat(pid); err == nil {
			all = append(all, st)
		}
	}
	in := map[int]bool{root: true}
	for changed := true; changed; {
		changed = false
		for _, st := range all {
			if !in[st.pid] && in[st.ppid] {
				in[st.pid] = true
				changed = true
			}
		}
	}
	var out []procStat
	for _, st := range all {
		if in[st.pid] {
			out = append(out, st)
		}
	}
	return out
}

// treeRSS is the summed VmRSS of root's process tree, in KiB.
func treeRSS(root int) uint64 {
	var sum uint64
	for _, st := range tree(root) {
		sum += uint64(procstat.StatusKiB(st.pid, "VmRSS"))
	}
	return sum
}

// treeTicks is the CPU time (utime+stime, clock ticks) of root's tree.
func treeTicks(root int) uint64 {
	var sum uint64
	for _, st := range tree(root) {
		sum += st.ticks
	}
	return sum
}

// busyTicks is the machine's total non-idle CPU time from /proc/stat.
func busyTicks() uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var sum uint64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest, guest_nice are already in user
			break
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		sum += n
	}
	return sum
}

// clockTick is USER_HZ; 100 on every Linux this runs on.
const clockTick = 100

// rssSampler polls the summed RSS of a process tree until stopped and
// keeps the peak.
type rssSampler struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
}

func sampleRSS(root int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v := treeRSS(root); v > s.peak {
				s.peak = v
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// end stops sampling and returns the peak in KiB.
func (s *rssSampler) end() uint64 {
	close(s.stop)
	<-s.done
	return s.peak
}
