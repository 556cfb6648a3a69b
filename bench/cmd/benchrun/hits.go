package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jebosio/matte/bench"
)

// Cache-hit scenarios (f, g): Matte with its result cache on is warmed
// until it answers from the wanted tier, and the bytes it answers are
// written to hitsDir, which the "filehit" Caddy file_server serves: the
// baseline serves exactly what Matte serves from its cache.

// hitsDir is the file_server root holding the cached results.
func hitsDir(cfg *config) string { return filepath.Join(cfg.tmp, "hits") }

// hitFile is scenario sc's cached result under hitsDir.
func hitFile(sc bench.Scenario) string { return sc.ID + "." + sc.Format }

// wantTier is the X-Cache value a warmed server answers for sc.
func wantTier(sc bench.Scenario) string {
	if sc.Kind == bench.KindHitDisk {
		return "HIT-DISK"
	}
	return "HIT-MEMORY"
}

// warmHit requests sc from the Matte server s until it answers from the
// wanted cache tier (the first request is the miss that fills the cache;
// the disk tier is written in the background, so it may take a few
// requests), then writes that answer to hitsDir for the file_server peer.
func warmHit(cfg *config, s *server, sc bench.Scenario) error {
	client := &http.Client{Timeout: cfg.timeout}
	want := wantTier(sc)
	deadline := time.Now().Add(60 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := client.Get(s.url(sc))
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("warming %s: HTTP %d: %.200q", s.Name, resp.StatusCode, body)
		}
		last = resp.Header.Get("X-Cache")
		if last == want {
			if err := os.MkdirAll(hitsDir(cfg), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(hitsDir(cfg), hitFile(sc)), body, 0o644)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("warming %s: no %s answer within 60 s (last X-Cache %q)", s.Name, want, last)
}

// matteMetrics sums the Prometheus series of a Matte server's admin
// /metrics whose names (with labels) start with each prefix.
func matteMetrics(s *server, prefixes ...string) (map[string]float64, error) {
	if s.Admin == 0 {
		return nil, fmt.Errorf("%s has no admin endpoint", s.Name)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", s.Admin))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s /metrics: HTTP %d", s.Name, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				i := strings.LastIndexByte(line, ' ')
				v, err := strconv.ParseFloat(line[i+1:], 64)
				if err == nil {
					out[p] += v
				}
			}
		}
	}
	return out, sc.Err()
}

const (
	mTransforms = "matte_transforms_total"      // every result label
	mCoalesced  = "matte_cache_coalesced_total" // requests that waited for another's transform
)

// transformsRun is matte_transforms_total (all results) of s.
func transformsRun(s *server) (int, error) {
	m, err := matteMetrics(s, mTransforms)
	return int(m[mTransforms]), err
}

// purgeAll empties every cache of the Matte server s (admin POST
// /matte/purge {"all":true}).
func purgeAll(s *server) error {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Post(fmt.Sprintf("http://127.0.0.1:%d/matte/purge", s.Admin),
		"application/json", strings.NewReader(`{"all":true}`))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("purge: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}
