package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// savedRun is everything a report is rendered from, kept as JSON under
// bench/out/ (git-ignored) so that `benchrun -render FILE` can rewrite the
// report of an earlier run without timing anything again.
type savedRun struct {
	Args        []string
	Root        string
	RefPath     string
	MatteCache  string
	Conns       []int
	Scenarios   []string
	Duration    time.Duration
	Warmup      time.Duration
	Timeout     time.Duration
	DurationFor map[string]time.Duration
	ConnsFor    map[string][]int
	Repeats     int
	InferBench  string

	Env      envInfo
	Start    time.Time
	End      time.Time
	EndLoad  string
	Servers  []*server
	Cells    map[string]*cell
	Checks   map[string]check
	Pipeline pipelineResults
	IdleRSS  map[string]uint64
	WrkLines map[string]string
	Raw      *rawInference
	Coalesce *coalesceResult
	Model    string
	Retimed  []retimedCells `json:",omitempty"`
}

func saveRun(res *results, path string) error {
	cfg := res.cfg
	s := savedRun{Args: cfg.args, Root: cfg.root, RefPath: cfg.refPath, MatteCache: cfg.matteCache, Conns: cfg.conns,
		Scenarios: cfg.scenarios, Duration: cfg.duration, Warmup: cfg.warmup, Timeout: cfg.timeout, DurationFor: cfg.durationFor,
		ConnsFor: cfg.connsFor, InferBench: cfg.inferenceBenchtime,
		Repeats: cfg.repeats, Env: res.env, Start: res.start, End: res.end, EndLoad: res.endLoad, Servers: res.servers,
		Cells: res.cells, Checks: res.checks, Pipeline: res.pipeline, IdleRSS: res.idleRSS, WrkLines: res.wrkLines,
		Raw: res.raw, Coalesce: res.coalesce, Model: res.model, Retimed: res.retimed}
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// loadRun reads a saved run; flags given now (-reference) override the
// saved reference path when set.
func loadRun(path string, refPath string) (*results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s savedRun
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	cfg := &config{args: s.Args, root: s.Root, refPath: s.RefPath, matteCache: s.MatteCache, conns: s.Conns, scenarios: s.Scenarios,
		duration: s.Duration, warmup: s.Warmup, timeout: s.Timeout, durationFor: s.DurationFor, repeats: s.Repeats,
		connsFor: s.ConnsFor, inferenceBenchtime: s.InferBench}
	if cfg.connsFor == nil {
		cfg.connsFor = map[string][]int{}
	}
	if refPath != "" {
		cfg.refPath = refPath
	}
	for _, sv := range s.Servers {
		sv.path, sv.why = pathFor(sv.Name), whyFor(sv.Name)
	}
	return &results{cfg: cfg, env: s.Env, start: s.Start, end: s.End, endLoad: s.EndLoad, servers: s.Servers, cells: s.Cells,
		checks: s.Checks, pipeline: s.Pipeline, idleRSS: s.IdleRSS, wrkLines: s.WrkLines,
		raw: s.Raw, coalesce: s.Coalesce, model: s.Model, retimed: s.Retimed}, nil
}

// retime replaces res's cells with those of the later run saved at path
// (the same commit, servers and settings; `-scenarios` and `-conns` pick the
// cells to time again, for instance those another process disturbed), and
// notes which, so that the report says so. A cell the later run has and res
// lacks is refused: the tables are res's.
func retime(res *results, path string) error {
	later, err := loadRun(path, "")
	if err != nil {
		return err
	}
	if later.env.MatteCommit != res.env.MatteCommit || measuredChanges(later.env.MatteDirty) != measuredChanges(res.env.MatteDirty) {
		return fmt.Errorf("%s timed Matte at %s%s, the run at %s%s", path, later.env.MatteCommit, later.env.MatteDirty, res.env.MatteCommit, res.env.MatteDirty)
	}
	var keys []string
	for k, c := range later.cells {
		if _, ok := res.cells[k]; !ok {
			return fmt.Errorf("%s has cell %s, which the run lacks", path, k)
		}
		res.cells[k] = c
		keys = append(keys, k)
	}
	for k, c := range later.checks {
		res.checks[k] = c
	}
	slices.Sort(keys)
	res.retimed = append(res.retimed, retimedCells{From: filepath.Base(path), Start: later.start, Cells: keys})
	return nil
}
