package main

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	if got, err := parseInts("1, 2,8"); err != nil || !slices.Equal(got, []int{1, 2, 8}) {
		t.Errorf("parseInts = %v, %v; want [1 2 8]", got, err)
	}
	for _, bad := range []string{"", "0", "1,x", "-2"} {
		if _, err := parseInts(bad); err == nil {
			t.Errorf("parseInts(%q): no error", bad)
		}
	}
	if got, err := parsePairs("16:1, 8:2"); err != nil || !slices.Equal(got, [][2]int{{16, 1}, {8, 2}}) {
		t.Errorf("parsePairs = %v, %v; want [[16 1] [8 2]]", got, err)
	}
	for _, bad := range []string{"16", "16:0", "a:1", "16:1,"} {
		if _, err := parsePairs(bad); err == nil {
			t.Errorf("parsePairs(%q): no error", bad)
		}
	}
}

// TestLoad runs the client against a loopback server that answers every
// third request with a 503: n-mode sends exactly n requests, the bad ones
// are counted apart with the first reason kept, and latencies are kept for
// the good ones only.
func TestLoad(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%3 == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG"))
	}))
	defer srv.Close()
	cpu := func() time.Duration { return time.Duration(hits.Load()) * time.Millisecond }

	r := load(cpu, srv.URL, "image/png", 3, 30, 0)
	if r.OK+r.Bad != 30 || r.Bad != 10 || len(r.Lat) != 20 {
		t.Fatalf("30 requests: OK %d, Bad %d, %d latencies; want 20, 10, 20", r.OK, r.Bad, len(r.Lat))
	}
	if r.FirstBad == "" || r.FirstBad[:3] != "503" {
		t.Errorf("FirstBad = %q, want the 503", r.FirstBad)
	}
	if r.CPU != 30*time.Millisecond || r.cpuPerImage() != 1500*time.Microsecond {
		t.Errorf("CPU %v, per image %v; want 30ms, 1.5ms", r.CPU, r.cpuPerImage())
	}
	if r.pct(0.5) <= 0 || r.pct(0.99) < r.pct(0.5) {
		t.Errorf("p50 %v, p99 %v", r.pct(0.5), r.pct(0.99))
	}

	if r := load(cpu, srv.URL, "image/webp", 2, 4, 0); r.OK != 0 || r.Bad != 4 {
		t.Errorf("wrong type: OK %d, Bad %d; want 0, 4", r.OK, r.Bad)
	}

	start := time.Now()
	r = load(cpu, srv.URL, "image/png", 2, 0, 200*time.Millisecond)
	if el := time.Since(start); el < 200*time.Millisecond || el > 5*time.Second || r.OK == 0 {
		t.Errorf("timed run: %v elapsed, %d answers", el, r.OK)
	}
}
