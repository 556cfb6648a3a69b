package bench

import (
	"fmt"
	"regexp"
	"strconv"
)

// ISNetResult is one line of `go test -bench BenchmarkISNet` output for the
// default model ("isnet"): how many inferences were timed, the wall time
// and the CPU time (every thread) of one.
type ISNetResult struct {
	Threads   int     // intra-op threads of the sub-benchmark
	N         int     // inferences timed
	MsPerOp   float64 // wall ms per inference
	CPUsPerOp float64 // CPU seconds per inference; 0 when not reported
}

var reISNet = regexp.MustCompile(`(?m)^BenchmarkISNet/isnet/threads=(\d+)(?:-\d+)?\s+(\d+)\s+([0-9.]+) ns/op(?:\s+([0-9.]+) cpu-s/op)?`)

// ParseISNet finds the first BenchmarkISNet/isnet result in out (the
// benchmark's output as `go test` or a compiled test binary prints it).
func ParseISNet(out string) (ISNetResult, bool) {
	m := reISNet.FindStringSubmatch(out)
	if m == nil {
		return ISNetResult{}, false
	}
	var r ISNetResult
	r.Threads, _ = strconv.Atoi(m[1])
	r.N, _ = strconv.Atoi(m[2])
	ns, _ := strconv.ParseFloat(m[3], 64)
	r.MsPerOp = ns / 1e6
	if m[4] != "" {
		r.CPUsPerOp, _ = strconv.ParseFloat(m[4], 64)
	}
	return r, true
}

// ISNetBenchThreads is the BenchmarkISNet sub-benchmark closest to what
// Matte runs on numCPU cores: its default intra-op thread count is
// min(CPUs, 4) (segment.DefaultIntraOpThreads); the benchmark has 1 and 2.
func ISNetBenchThreads(numCPU int) int {
	return min(max(numCPU, 1), 4, 2)
}

// ISNetBenchPattern is the -bench pattern of BenchmarkISNet's default
// model at threads intra-op threads.
func ISNetBenchPattern(threads int) string {
	return fmt.Sprintf("^BenchmarkISNet$/^isnet$/^threads=%d$", threads)
}
