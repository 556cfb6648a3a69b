package caddymodule

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jebosio/matte/cache"
	"github.com/jebosio/matte/cluster"
	"github.com/jebosio/matte/segment"
)

// metrics are Matte's Prometheus series of one config generation, shared by
// its handlers (App.Metrics registers them once per generation).
type metrics struct {
	transforms       *prometheus.CounterVec
	transformSeconds prometheus.Histogram
	inferences       prometheus.Counter
	faceDetections   prometheus.Counter
	// stageSeconds{stage, dialect} and requests{dialect, cache}: the
	// labels take values from fixed sets (timingStages, the dialects'
	// names, cache.Tier's CacheStatus), never from a request.
	stageSeconds *prometheus.HistogramVec
	requests     *prometheus.CounterVec
}

// registerMetrics creates the series and registers them, with a collector of
// app's queues and caches, on reg (nil: not registered).
func registerMetrics(reg *prometheus.Registry, app *App) (*metrics, error) {
	m := newMetrics()
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.transforms, m.transformSeconds, m.inferences, m.faceDetections, m.stageSeconds, m.requests, appCollector{app}} {
		if err := reg.Register(c); err != nil {
			if _, dup := err.(prometheus.AlreadyRegisteredError); !dup {
				return nil, err
			}
		}
	}
	return m, nil
}

// durationBuckets are the upper bounds of both duration histograms: 0.5 ms
// × 3ⁿ, 0.5 ms to 88.6 s, past the longest default timeout (30 s) so that a
// slow request lands in a bucket of its own rather than only in +Inf.
var durationBuckets = prometheus.ExponentialBuckets(0.0005, 3, 12)

// cacheMetricsLabel is the /metrics `cache` label of the cache whose
// displayable pool key (cachePoolKey's shown) is shown: a short hash of
// it, so the label is stable across reloads and distinct per configured
// cache, yet reveals nothing a config reader could not see in a log line
// (no password to guess offline). taken holds the labels already given in
// this generation: two caches whose keys differ only in the password
// (shown equal) get distinct labels, as Prometheus requires.
func cacheMetricsLabel(shown string, taken map[string]string) string {
	used := make(map[string]bool, len(taken))
	for _, l := range taken {
		used[l] = true
	}
	id := hashKey(shown)[:8]
	for n := 2; used[id]; n++ {
		id = hashKey(shown, strconv.Itoa(n))[:8]
	}
	return id
}

func newMetrics() *metrics {
	return &metrics{
		transforms: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "matte", Name: "transforms_total", Help: "Transforms executed (cache misses that ran the pipeline), by result.",
		}, []string{"result"}),
		inferences: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "matte", Name: "inferences_total", Help: "Segmentation model runs (mask cache misses).",
		}),
		faceDetections: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "matte", Name: "face_detections_total", Help: "Face detector runs (face cache misses).",
		}),
		transformSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "matte", Name: "transform_seconds", Help: "Time spent in the transform pipeline.",
			Buckets: durationBuckets,
		}),
		stageSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "matte", Name: "stage_duration_seconds", Help: "Time an image request spent per stage (fetch, queue, decode, inference, resize, composite, encode, cache), by URL dialect or hosted API.",
			Buckets: durationBuckets,
		}, []string{"stage", "dialect"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "matte", Name: "requests_total", Help: "Images answered, by URL dialect or hosted API and cache outcome (X-Cache).",
		}, []string{"dialect", "cache"}),
	}
}

// observeRequest counts an image answer and its stages.
func (m *metrics) observeRequest(dialect string, t *requestTimings) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(dialect, t.outcome).Inc()
	t.each(func(stage string, d time.Duration) {
		m.stageSeconds.WithLabelValues(stage, dialect).Observe(d.Seconds())
	})
}

func (m *metrics) observeInference() {
	if m != nil {
		m.inferences.Inc()
	}
}

func (m *metrics) observeFaceDetection() {
	if m != nil {
		m.faceDetections.Inc()
	}
}

func (m *metrics) observeTransform(d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.transforms.WithLabelValues(result).Inc()
	m.transformSeconds.Observe(d.Seconds())
}

var (
	descHits      = prometheus.NewDesc("matte_cache_hits_total", "Cache hits by tier.", []string{"cache", "tier"}, nil)
	descMisses    = prometheus.NewDesc("matte_cache_misses_total", "Cache misses by tier.", []string{"cache", "tier"}, nil)
	descEvictions = prometheus.NewDesc("matte_cache_evictions_total", "Entries evicted to make room, by tier.", []string{"cache", "tier"}, nil)
	descBytes     = prometheus.NewDesc("matte_cache_bytes", "Bytes held, by tier.", []string{"cache", "tier"}, nil)
	descEntries   = prometheus.NewDesc("matte_cache_entries", "Entries held, by tier.", []string{"cache", "tier"}, nil)
	descCoalesced = prometheus.NewDesc("matte_cache_coalesced_total", "Requests that waited for an identical transform instead of running one.", []string{"cache"}, nil)
	descWrites    = prometheus.NewDesc("matte_cache_disk_writes_total", "Disk tier writes.", []string{"cache"}, nil)
	descWriteErrs = prometheus.NewDesc("matte_cache_disk_write_errors_total", "Disk tier writes that failed (the response was still served).", []string{"cache"}, nil)
	descCorrupt   = prometheus.NewDesc("matte_cache_disk_corrupt_total", "Corrupt or truncated disk entries detected and deleted.", []string{"cache"}, nil)

	descSharedCorrupt = prometheus.NewDesc("matte_cache_shared_corrupt_total", "Corrupt or truncated shared-tier entries detected and deleted.", []string{"cache"}, nil)
	descSharedErrors  = prometheus.NewDesc("matte_cache_shared_errors_total", "Shared-tier (Redis) operations that failed, timed out or were refused by the open breaker.", []string{"cache"}, nil)
	descSharedDropped = prometheus.NewDesc("matte_cache_shared_writes_dropped_total", "Shared-tier writes dropped (queue full, entry over max_entry_size, breaker open).", []string{"cache"}, nil)
	descLeaseWaits    = prometheus.NewDesc("matte_cache_lease_waits_total", "Flights that waited for another node's lease instead of computing.", []string{"cache"}, nil)
	descTakeovers     = prometheus.NewDesc("matte_cache_lease_takeovers_total", "Flights that won a lease after waiting (its holder failed or died).", []string{"cache"}, nil)
	descRetracted     = prometheus.NewDesc("matte_cache_shared_writes_retracted_total", "Shared-tier writes deleted again because a purge ran while they were sent.", []string{"cache"}, nil)
	descLostPurges    = prometheus.NewDesc("matte_cache_shared_lost_purges_total", "Purge messages this node never got, each applied as a purge of its local tiers.", []string{"cache"}, nil)
	descBreakerOpen   = prometheus.NewDesc("matte_cache_shared_breaker_open", "1 while the shared tier's circuit breaker is open (Redis skipped).", []string{"cache"}, nil)
)

var (
	descQueueCost     = prometheus.NewDesc("matte_queue_megapixels", "Megapixels of transforms waiting for a worker.", nil, nil)
	descQueueInFlight = prometheus.NewDesc("matte_queue_inflight_megapixels", "Megapixels of transforms running.", nil, nil)
	descQueueRejected = prometheus.NewDesc("matte_queue_rejected_total", "Transforms refused with 503 because the queue was full.", nil, nil)
	descQueueDepth    = prometheus.NewDesc("matte_queue_depth", "Transforms waiting for a worker.", nil, nil)
	descBuffered      = prometheus.NewDesc("matte_buffered_bytes", "Bytes of sources, API bodies, layer images and rembg.com BMP re-encodings held in memory by requests (max_buffered_bytes bounds them).", nil, nil)
	descBufRejected   = prometheus.NewDesc("matte_buffered_rejected_total", "Requests refused with 503 because max_buffered_bytes was held already.", nil, nil)
	descInferBatch    = prometheus.NewDesc("matte_inference_batch_size", "Images per segmentation model run (above 1 only with rembg batch).", nil, nil)
	descInferQueued   = prometheus.NewDesc("matte_inference_queue_depth", "Inferences waiting for a slot.", nil, nil)
	descInferRunning  = prometheus.NewDesc("matte_inference_running", "Inferences running.", nil, nil)
	descInferRejected = prometheus.NewDesc("matte_inference_rejected_total", "Inferences refused with 503 because their queue was full.", nil, nil)
)

// appCollector reports, at scrape time, the queues of the app's handlers,
// its inference pools and the Stats of its caches.
type appCollector struct{ app *App }

func (appCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHits, descMisses, descEvictions, descBytes, descEntries, descCoalesced, descWrites, descWriteErrs, descCorrupt,
		descSharedCorrupt, descSharedErrors, descSharedDropped, descRetracted, descLostPurges, descLeaseWaits, descTakeovers, descBreakerOpen,
		descQueueCost, descQueueInFlight, descQueueRejected, descQueueDepth, descBuffered, descBufRejected, descInferQueued, descInferRunning, descInferRejected, descInferBatch} {
		ch <- d
	}
}

func (c appCollector) Collect(ch chan<- prometheus.Metric) {
	var queued, inflight, rejected, depth, buffered, bufRejected, iq, ir, irej float64
	var batches segment.BatchSizes
	a := c.app
	a.mu.Lock()
	for _, p := range a.admission {
		st := p.Stats()
		queued += float64(st.QueuedCost)
		inflight += float64(st.InFlight)
		rejected += float64(st.Rejected)
		depth += float64(st.Queued)
	}
	for _, b := range a.buffered {
		st := b.Stats()
		buffered += float64(st.Used)
		bufRejected += float64(st.Refused)
	}
	for p := range a.inference {
		st := p.Stats()
		iq += float64(st.Queued)
		ir += float64(st.Running)
		irej += float64(st.Rejected)
		b := p.BatchSizes()
		for i, n := range b.Buckets {
			batches.Buckets[i] += n
		}
		batches.Runs += b.Runs
		batches.Images += b.Images
	}
	a.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descQueueDepth, prometheus.GaugeValue, depth)
	ch <- batchHistogram(batches)
	ch <- prometheus.MustNewConstMetric(descQueueCost, prometheus.GaugeValue, queued)
	ch <- prometheus.MustNewConstMetric(descQueueInFlight, prometheus.GaugeValue, inflight)
	ch <- prometheus.MustNewConstMetric(descQueueRejected, prometheus.CounterValue, rejected)
	ch <- prometheus.MustNewConstMetric(descBuffered, prometheus.GaugeValue, buffered)
	ch <- prometheus.MustNewConstMetric(descBufRejected, prometheus.CounterValue, bufRejected)
	ch <- prometheus.MustNewConstMetric(descInferQueued, prometheus.GaugeValue, iq)
	ch <- prometheus.MustNewConstMetric(descInferRunning, prometheus.GaugeValue, ir)
	ch <- prometheus.MustNewConstMetric(descInferRejected, prometheus.CounterValue, irej)
	a.eachCache(func(key string, c *cache.Cache) {
		a.mu.Lock()
		id := a.cacheLabels[key]
		a.mu.Unlock()
		s := c.Stats()
		counter := func(d *prometheus.Desc, v uint64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{id}, labels...)...)
		}
		gauge := func(d *prometheus.Desc, v int64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), append([]string{id}, labels...)...)
		}
		counter(descHits, s.MemoryHits, "memory")
		counter(descHits, s.DiskHits, "disk")
		counter(descMisses, s.MemoryMisses, "memory")
		counter(descMisses, s.DiskMisses, "disk")
		counter(descEvictions, s.MemoryEvictions, "memory")
		counter(descEvictions, s.DiskEvictions, "disk")
		gauge(descBytes, s.MemoryBytes, "memory")
		gauge(descBytes, s.DiskBytes, "disk")
		gauge(descEntries, s.MemoryEntries, "memory")
		gauge(descEntries, s.DiskEntries, "disk")
		counter(descCoalesced, s.Coalesced)
		counter(descWrites, s.DiskWrites)
		counter(descWriteErrs, s.DiskWriteErrors)
		counter(descCorrupt, s.DiskCorruptDropped)
		a.mu.Lock()
		tier := a.tiers[key]
		a.mu.Unlock()
		if tier == nil {
			return
		}
		ts := tier.Stats()
		counter(descHits, s.SharedHits, "shared")
		counter(descMisses, s.SharedMisses, "shared")
		counter(descSharedCorrupt, s.SharedCorruptDropped)
		counter(descLeaseWaits, s.LeaseWaits)
		counter(descTakeovers, s.Takeovers)
		counter(descSharedErrors, ts.Node.Errors+ts.WriteErrors)
		counter(descSharedDropped, ts.Dropped)
		counter(descRetracted, ts.Retracted)
		counter(descLostPurges, ts.LostPurges)
		open := int64(0)
		if ts.Node.Breaker == cluster.BreakerOpen {
			open = 1
		}
		gauge(descBreakerOpen, open)
	})
}

// batchHistogram is b as a Prometheus histogram (cumulative buckets at
// segment.BatchBounds; the sum is the images run).
func batchHistogram(b segment.BatchSizes) prometheus.Metric {
	buckets := make(map[float64]uint64, len(segment.BatchBounds))
	var cum uint64
	for i, bound := range segment.BatchBounds {
		cum += b.Buckets[i]
		buckets[float64(bound)] = cum
	}
	return prometheus.MustNewConstHistogram(descInferBatch, b.Runs, float64(b.Images), buckets)
}
