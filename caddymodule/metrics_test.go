package caddymodule

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/internal/redistest"
)

// cacheLabelOf opens, in a fresh App, the cache of opts and sc and returns
// the `cache` label /metrics gives it.
func cacheLabelOf(t *testing.T, opts cache.Options, sc *SharedCache) string {
	t.Helper()
	a, _ := provisionedApp()
	if _, err := a.Cache(opts, sc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Cleanup() })
	reg := prometheus.NewRegistry()
	if err := reg.Register(appCollector{a}); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "matte_cache_hits_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "cache" {
					return l.GetValue()
				}
			}
		}
	}
	t.Fatal("no matte_cache_hits_total{cache} series")
	return ""
}

// The /metrics `cache` label was a hash of the pool key, which holds the
// Redis password in clear: anyone reading /metrics could test password
// guesses offline. The label comes from the redacted key: changing only
// the password leaves it as it is; changing the host changes it.
func TestCacheMetricsLabelHidesRedisPassword(t *testing.T) {
	srv := redistest.Start(t)
	// A memory size no other test uses keeps these caches to themselves.
	opts := cache.Options{MemoryMaxBytes: 3<<20 + 11}
	sc := func(host, password string) *SharedCache {
		return &SharedCache{URLs: []string{fmt.Sprintf("redis://:%s@%s:%d/0", password, host, srv.Port())}}
	}
	first := cacheLabelOf(t, opts, sc("127.0.0.1", "guess-me-1"))
	other := cacheLabelOf(t, opts, sc("127.0.0.1", "guess-me-2"))
	host := cacheLabelOf(t, opts, sc("localhost", "guess-me-1"))
	if first != other {
		t.Errorf("label %q with one password, %q with another: the label depends on the password", first, other)
	}
	if first == host {
		t.Errorf("label %q for two different Redis hosts: want distinct labels", first)
	}
	key, _ := cachePoolKey(cache.Options{MemoryMaxBytes: opts.MemoryMaxBytes}, sc("127.0.0.1", "guess-me-1"))
	if !strings.Contains(key, "guess-me-1") || strings.HasPrefix(hashKey(key), first) {
		t.Errorf("label %q is the hash of the key that holds the password", first)
	}
}

// Two caches of one generation whose keys differ only in the password
// (their shown forms equal) still get distinct labels: Prometheus refuses
// a scrape with two series of one name and label set.
func TestCacheMetricsLabelsDistinct(t *testing.T) {
	taken := map[string]string{}
	taken["k1"] = cacheMetricsLabel("shown", taken)
	taken["k2"] = cacheMetricsLabel("shown", taken)
	if taken["k1"] == taken["k2"] || len(taken["k2"]) != 8 {
		t.Fatalf("labels %q", taken)
	}
}

// upperBounds are a histogram's bucket bounds as /metrics states them.
func upperBounds(t *testing.T, c prometheus.Collector) []float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	var b []float64
	for _, bk := range m.GetHistogram().GetBucket() {
		b = append(b, bk.GetUpperBound())
	}
	return b
}

// matte_transform_seconds stopped at 10.24 s and the stage histogram at
// 17.7 s, below the 30 s default timeout, and the transform histogram's
// first bucket (5 ms) held every small transform. Both span 0.5 ms to past
// the longest timeout (README: "buckets 0.5 ms × 3ⁿ up to 89 s").
func TestDurationBuckets(t *testing.T) {
	m := newMetrics()
	m.stageSeconds.WithLabelValues("decode", "imgix").Observe(0.001)
	want := []float64{0.0005, 0.0015, 0.0045, 0.0135, 0.0405, 0.1215, 0.3645, 1.0935, 3.2805, 9.8415, 29.5245, 88.5735}
	for name, got := range map[string][]float64{
		"matte_transform_seconds":      upperBounds(t, m.transformSeconds),
		"matte_stage_duration_seconds": upperBounds(t, m.stageSeconds),
	} {
		if len(got) != len(want) {
			t.Errorf("%s: buckets %v, want %v", name, got, want)
			continue
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Errorf("%s: buckets %v, want %v", name, got, want)
				break
			}
		}
	}
}
