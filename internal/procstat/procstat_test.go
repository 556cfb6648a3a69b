package procstat

import (
	"os"
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

// CPUTime grows by about the CPU this process burns: 300 ms of spinning on
// one goroutine shows up as at least 200 ms (ticks are 10 ms; the scheduler
// may run other work) and not absurdly more.
func TestCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("skipping: no /proc on this system")
	}
	before := CPUTime(os.Getpid())
	x := 0
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	spent := CPUTime(os.Getpid()) - before
	if spent < 200*time.Millisecond || spent > 5*time.Second {
		t.Fatalf("CPUTime grew by %v after 300 ms of spinning (x=%d)", spent, x)
	}
	if CPUTime(-1) != 0 {
		t.Fatal("CPUTime of a missing process is not 0")
	}
}
