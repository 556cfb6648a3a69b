package procstat

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestStatusKiB(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("skipping: no /proc on this system")
	}
	rss, hwm := StatusKiB(os.Getpid(), "VmRSS"), StatusKiB(os.Getpid(), "VmHWM")
	if rss <= 0 || hwm < rss {
		t.Fatalf("VmRSS %d KiB, VmHWM %d KiB", rss, hwm)
	}
	if v := StatusKiB(os.Getpid(), "NoSuchField"); v != 0 {
		t.Fatalf("missing field: %d", v)
	}
}

// CPUTime counts the CPU this process burns: spinning raises it by 200 ms
// within a few seconds of wall time (the machine may be busy), and never by
// more than the wall time across every core.
func TestCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("skipping: no /proc on this system")
	}
	before, start := CPUTime(os.Getpid()), time.Now()
	spent := time.Duration(0)
	for x := 0; spent < 200*time.Millisecond && time.Since(start) < 10*time.Second; x++ {
		if x%1_000_000 == 0 {
			spent = CPUTime(os.Getpid()) - before
		}
	}
	wall := time.Since(start)
	if spent < 200*time.Millisecond {
		t.Fatalf("CPUTime grew by %v in %v of spinning", spent, wall)
	}
	if limit := wall*time.Duration(runtime.NumCPU()) + 20*time.Millisecond; spent > limit {
		t.Fatalf("CPUTime grew by %v in %v of wall time on %d CPUs", spent, wall, runtime.NumCPU())
	}
	if CPUTime(-1) != 0 {
		t.Fatal("CPUTime of a missing process is not 0")
	}
}
