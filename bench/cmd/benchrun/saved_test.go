package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRetime: a later run's cells replace the run's, and are listed; a run
// of another commit, or one with a cell the run lacks, is refused.
func TestRetime(t *testing.T) {
	dir := t.TempDir()
	cfg := &config{}
	mk := func(commit, dirty string, rps map[string]float64) *results {
		cells := map[string]*cell{}
		for k, v := range rps {
			cells[k] = &cell{Runs: []run{{wrkResult: wrkResult{ReqPerSec: v}}}}
		}
		return &results{cfg: cfg, env: envInfo{MatteCommit: commit, MatteDirty: dirty}, cells: cells, checks: map[string]check{}, start: time.Date(2026, 12, 7, 9, 7, 0, 0, time.UTC)}
	}
	save := func(name string, r *results) string {
		path := filepath.Join(dir, name)
		if err := saveRun(r, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first := mk("0b2d050", "", map[string]float64{"2/c/matte": 60, "2/c/ipx": 70, "8/c/matte": 111})
	later := save("later.json", mk("0b2d050", "bench/RESULTS.md", map[string]float64{"2/c/matte": 80, "2/c/ipx": 71}))
	if err := retime(first, later); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for k, c := range first.cells {
		got[k] = c.Runs[0].ReqPerSec
	}
	if want := map[string]float64{"2/c/matte": 80, "2/c/ipx": 71, "8/c/matte": 111}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cells %v, want %v", got, want)
	}
	if len(first.retimed) != 1 || first.retimed[0].From != "later.json" || !reflect.DeepEqual(first.retimed[0].Cells, []string{"2/c/ipx", "2/c/matte"}) {
		t.Fatalf("retimed %+v", first.retimed)
	}

	other := save("other.json", mk("1111111", "", map[string]float64{"2/c/matte": 90}))
	if err := retime(mk("0b2d050", "", map[string]float64{"2/c/matte": 60}), other); err == nil || !strings.Contains(err.Error(), "timed Matte at 1111111") {
		t.Fatalf("another commit: %v", err)
	}
	extra := save("extra.json", mk("0b2d050", "", map[string]float64{"2/x/matte": 90}))
	if err := retime(mk("0b2d050", "", map[string]float64{"2/c/matte": 60}), extra); err == nil || !strings.Contains(err.Error(), "has cell 2/x/matte, which the run lacks") {
		t.Fatalf("a cell the run lacks: %v", err)
	}
}
