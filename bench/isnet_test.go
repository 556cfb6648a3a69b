package bench

import "testing"

func TestParseISNet(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      ISNetResult
		ok        bool
	}{
		{"test binary, GOMAXPROCS suffix, cpu metric",
			"goos: linux\nBenchmarkISNet/isnet/threads=1-16         \t      20\t  14210345 ns/op\t         0.01532 cpu-s/op\nPASS\n",
			ISNetResult{Threads: 1, N: 20, MsPerOp: 14.210345, CPUsPerOp: 0.01532}, true},
		{"no suffix, no cpu metric",
			"BenchmarkISNet/isnet/threads=2 \t 5\t1160000000 ns/op\n",
			ISNetResult{Threads: 2, N: 5, MsPerOp: 1160}, true},
		{"int8 line only", "BenchmarkISNet/isnet-int8/threads=1-2 \t 5\t 900000000 ns/op\n", ISNetResult{}, false},
		{"skipped", "--- SKIP: BenchmarkISNet/isnet/threads=1\n    isnet_test.go:370: skipping: model absent\n", ISNetResult{}, false},
	} {
		got, ok := ParseISNet(tc.out)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: ParseISNet = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestISNetBench(t *testing.T) {
	for cpus, want := range map[int]int{0: 1, 1: 1, 2: 2, 16: 2} {
		if got := ISNetBenchThreads(cpus); got != want {
			t.Errorf("ISNetBenchThreads(%d) = %d, want %d", cpus, got, want)
		}
	}
	if got, want := ISNetBenchPattern(2), "^BenchmarkISNet$/^isnet$/^threads=2$"; got != want {
		t.Errorf("ISNetBenchPattern(2) = %q, want %q", got, want)
	}
}
