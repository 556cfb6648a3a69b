// Package procstat reads a process's memory figures from /proc, for the
// bench tools (Linux only).
package procstat

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// StatusKiB returns a "Vm...:  N kB" field of /proc/<pid>/status (VmRSS,
// VmHWM, ...) in KiB, or 0 when the process or the field is gone.
func StatusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times; Linux
// fixes it at 100 on every architecture Matte builds for.
const clockTicks = 100

// CPUTime returns the user plus system CPU time /proc/<pid>/stat reports
// for the process (all its threads), or 0 when the process is gone.
func CPUTime(pid int) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields 14 and 15 (utime,
	// stime) count from the closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}
