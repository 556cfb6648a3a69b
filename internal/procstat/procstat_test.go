package procstat

import (
	"os"
	"testing"
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
