// Package procstat reads a process's memory figures from /proc, for the
// bench tools (Linux only).
package procstat

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
