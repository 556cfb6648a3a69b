package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestRSSTargets checks the peak-memory verdicts against the filed run's
// figures (RESULTS.md at dbd9587): the peak over a cell's runs is compared,
// a cell the filed run did not measure (d444) gets no row, and a cell over
// its figure says by how much.
func TestRSSTargets(t *testing.T) {
	res := &results{
		cfg:   &config{scenarios: []string{"a", "d444", "e400"}, conns: []int{2, 8}},
		cells: map[string]*cell{},
	}
	peaks := map[string][]uint64{ // KiB per run
		"2/a":    {140 << 10, 149 << 10}, // 149 ≤ 150
		"8/a":    {160 << 10, 183 << 10}, // 183 > 165
		"2/d444": {219 << 10},
		"8/e400": {222 << 10}, // equal: met
	}
	for k, kib := range peaks {
		c := &cell{}
		for _, v := range kib {
			c.Runs = append(c.Runs, run{RSSKiB: v})
		}
		res.cells[k+"/matte"] = c
	}
	var b strings.Builder
	res.rssTargets(func(format string, a ...any) { fmt.Fprintf(&b, format, a...) })
	out := b.String()
	for _, want := range []string{
		"| a | 2 | 149 | 150 | ×0.99: **met** |",
		"| a | 8 | 183 | 165 | ×1.11: **missed** by 11% |",
		"| e400 | 8 | 222 | 222 | ×1.00: **met** |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing row %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| d444 |") || strings.Contains(out, "| e400 | 2 |") {
		t.Errorf("a row for a cell without a filed figure or without runs:\n%s", out)
	}
}
