package main

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/jebosio/matte/bench"
)

// Scenario i: bench.CoalesceClients identical requests at once for a result
// that is not cached (purged before every repetition), on Matte with its
// result cache on. Matte should run one transform and answer every request
// from it. Counted from Matte's Prometheus metrics (matte_transforms_total,
// matte_cache_coalesced_total) and its X-Cache headers.

// coalesceRep is one repetition.
type coalesceRep struct {
	LoneMiss   time.Duration  // one request alone after a purge, for comparison
	LoneXCache string         // its X-Cache (MISS expected)
	Transforms int            // transforms Matte ran for the concurrent requests
	Coalesced  int            // requests that waited for another's transform (metric)
	OK         int            // HTTP 200 answers
	XCache     map[string]int // X-Cache value (or "HTTP <code>", "error") -> answers
	First      time.Duration  // from the release of all requests to the first complete answer
	Last       time.Duration  // ... to the last complete answer
	Err        string
}

// coalesceResult is scenario i's outcome.
type coalesceResult struct {
	Scenario string
	Server   string // label
	URL      string
	Clients  int
	Reps     []coalesceRep
	Err      string
}

// runCoalesce runs scenario sc reps times against the Matte server s.
func runCoalesce(s *server, sc bench.Scenario, reps int, timeout time.Duration) *coalesceResult {
	res := &coalesceResult{Scenario: sc.ID, Server: s.Label, URL: s.url(sc), Clients: bench.CoalesceClients}
	tr := &http.Transport{MaxIdleConns: 2 * res.Clients, MaxIdleConnsPerHost: 2 * res.Clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout}
	get := func() (int, string, error) {
		resp, err := client.Get(res.URL)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return 0, "", err
		}
		return resp.StatusCode, resp.Header.Get("X-Cache"), nil
	}
	for r := 0; r < reps; r++ {
		rep := coalesceRep{XCache: map[string]int{}}
		fail := func(err error) {
			rep.Err = err.Error()
			res.Reps = append(res.Reps, rep)
			logf("i: repetition %d: %v", r+1, err)
		}
		// A lone miss, for scale.
		if err := purgeAll(s); err != nil {
			fail(err)
			continue
		}
		t0 := time.Now()
		code, xc, err := get()
		rep.LoneMiss, rep.LoneXCache = time.Since(t0), xc
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("lone request: HTTP %d", code)
		}
		if err != nil {
			fail(err)
			continue
		}
		// The concurrent misses.
		if err := purgeAll(s); err != nil {
			fail(err)
			continue
		}
		before, err := matteMetrics(s, mTransforms, mCoalesced)
		if err != nil {
			fail(err)
			continue
		}
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			ends  []time.Duration
			ready sync.WaitGroup
		)
		release := make(chan struct{})
		var start time.Time
		ready.Add(res.Clients)
		for i := 0; i < res.Clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ready.Done()
				<-release
				code, xc, err := get()
				end := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				ends = append(ends, end)
				switch {
				case err != nil:
					rep.XCache["error"]++
				case code != http.StatusOK:
					rep.XCache[fmt.Sprintf("HTTP %d", code)]++
				default:
					rep.OK++
					rep.XCache[xc]++
				}
			}()
		}
		ready.Wait()
		start = time.Now()
		close(release)
		wg.Wait()
		rep.First, rep.Last = ends[0], ends[0]
		for _, e := range ends {
			rep.First, rep.Last = min(rep.First, e), max(rep.Last, e)
		}
		after, err := matteMetrics(s, mTransforms, mCoalesced)
		if err != nil {
			fail(err)
			continue
		}
		rep.Transforms = int(after[mTransforms] - before[mTransforms])
		rep.Coalesced = int(after[mCoalesced] - before[mCoalesced])
		res.Reps = append(res.Reps, rep)
		logf("i: repetition %d: %d transform(s) for %d requests (%d ok, X-Cache %v, %d coalesced), last answer after %.0f ms; a lone miss takes %.0f ms",
			r+1, rep.Transforms, res.Clients, rep.OK, rep.XCache, rep.Coalesced, ms(rep.Last), ms(rep.LoneMiss))
	}
	return res
}
