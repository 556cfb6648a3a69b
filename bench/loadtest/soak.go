package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jebosio/matte/internal/procstat"
)

// The soak phase runs the same mixed load for a long time on a fresh server
// and samples the caddy process's RSS every second, to see whether memory
// levels off. It runs once per free_memory_interval setting (off, then
// -soak-trim), each on its own fresh server and empty cache, with the same
// request sequence, so the two RSS curves can be compared.

type rssSample struct {
	t  time.Duration // since the load started
	kb int64
}

type soakResult struct {
	label   string
	trim    time.Duration
	p       *phaseStats
	start   int64 // RSS before the load, KiB
	samples []rssSample
	dur     time.Duration
	idle    []rssSample // RSS after the load stopped (t = idle time)
	hwm     int64
	kinds   map[string]int
	err     string
}

// quarterAt is the sample nearest to q x the soak's duration.
func (s *soakResult) quarterAt(q float64) int64 {
	if len(s.samples) == 0 {
		return 0
	}
	want := time.Duration(q * float64(s.dur))
	best := s.samples[0]
	for _, x := range s.samples {
		if absDur(x.t-want) < absDur(best.t-want) {
			best = x
		}
	}
	return best.kb
}

// quarterPeak is the highest sample in quarter k (1..4) of the soak.
func (s *soakResult) quarterPeak(k int) int64 {
	lo := time.Duration(float64(k-1) / 4 * float64(s.dur))
	hi := time.Duration(float64(k) / 4 * float64(s.dur))
	var m int64
	for _, x := range s.samples {
		if x.t >= lo && (x.t < hi || (k == 4 && x.t <= s.dur+time.Second)) {
			m = max(m, x.kb)
		}
	}
	return m
}

func (s *soakResult) peak() int64 {
	var m int64
	for _, x := range s.samples {
		m = max(m, x.kb)
	}
	return m
}

// bounded is the verdict rule: the last quarter's peak RSS is at most
// (1 + margin) x the first quarter's peak.
func (s *soakResult) bounded() (bool, float64) {
	q1, q4 := s.quarterPeak(1), s.quarterPeak(4)
	if q1 == 0 {
		return false, 0
	}
	r := float64(q4) / float64(q1)
	return r <= 1+*flagSoakMargin, r
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// expected statuses of the bad sources (503 is tolerated for every request:
// the queue may be full).
var badSrcWant = map[string][]int{
	"truncated.jpg": {422}, "corrupt.jpg": {422}, "damaged.jpg": {200, 422},
	"random.png": {415}, "notimage.jpg": {415}, "bomb.png": {413}, "bomb.jpg": {413},
}

// soakMix, in percent: which request index i sends what. The choice depends
// on i alone, so every soak run sends the same sequence.
var soakMix = []struct {
	kind   string
	weight int
}{
	{"hit", 35}, {"miss-1mp", 15}, {"miss-4mp", 10}, {"miss-12mp", 5},
	{"bad-param", 10}, {"bad-source", 10}, {"disconnect", 15},
}

// soakRequest sends request i of the mixed load. uniq numbers the misses
// (w and q together are unique for 140000 misses).
func soakRequest(p *phaseStats, i int, uniq func() int, kinds *sync.Map) (string, result) {
	rng := rand.New(rand.NewPCG(uint64(i), 11))
	roll, kind := rng.IntN(100), ""
	for _, m := range soakMix {
		if roll < m.weight {
			kind = m.kind
			break
		}
		roll -= m.weight
	}
	v, _ := kinds.LoadOrStore(kind, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	missQ := func() string {
		n := uniq()
		return fmt.Sprintf("w=%d&q=%d&fm=jpg", 200+n%2800, 40+(n/2800)%50)
	}
	var src, q, what string
	var r result
	want := []int{200, 503}
	switch kind {
	case "hit":
		src, q = goodJPEG[rng.IntN(2)], fmt.Sprintf("w=%d&fm=jpg", []int{100, 200, 300, 400}[rng.IntN(4)])
		if rng.IntN(4) == 0 {
			src, q = "/img/photo-alpha.png", fmt.Sprintf("w=%d&fm=png", []int{100, 200}[rng.IntN(2)])
		} else if rng.IntN(4) == 0 {
			q = strings.Replace(q, "fm=jpg", "fm=webp", 1)
		}
		r = do(src, q, 0, 0)
	case "miss-1mp", "miss-4mp", "miss-12mp":
		src = map[string]string{"miss-1mp": "/img/photo-1mp.jpg", "miss-4mp": "/img/photo-4mp.jpg", "miss-12mp": "/img/photo-12mp.jpg"}[kind]
		q = missQ()
		r = do(src, q, 0, 0)
	case "bad-param":
		src, q = "/img/photo-1mp.jpg", bad[i%len(bad)]
		want = []int{400}
		r = do(src, q, 0, 0)
	case "bad-source":
		n := badSrc[i%len(badSrc)]
		src, q = "/img/"+n, fmt.Sprintf("w=%d", 100+i%50)
		want = slices.Concat(badSrcWant[n], []int{503})
		r = do(src, q, 0, 0)
	case "disconnect":
		src = []string{"/img/photo-4mp.jpg", "/img/photo-12mp.jpg"}[i%2]
		q = missQ()
		r = do(src, q, 0, time.Duration(2+i%29)*time.Millisecond)
	}
	what = kind + " " + src + "?" + q
	if !r.canceled && r.status != 0 && !inInts(want, r.status) {
		p.mu.Lock()
		p.unexpect = append(p.unexpect, fmt.Sprintf("%s: status %d, want %v", what, r.status, want))
		p.mu.Unlock()
	}
	return what, r
}

func inInts(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// runSoak starts a fresh server with free_memory_interval trim, runs the
// mixed load for -soak, sampling RSS every second, then idles and samples
// again. The phase row goes into phases.
func runSoak(dir, name string, trim time.Duration, phases *[]*phaseStats) *soakResult {
	label := "off"
	if trim > 0 {
		label = trim.String()
	}
	res := &soakResult{label: label, trim: trim, kinds: map[string]int{}}
	p := newPhase(fmt.Sprintf("%s soak, free_memory_interval %s", name, label),
		"200; 400 bad params; 413/415/422 bad sources; client cancels; 503 tolerated", 200, 400, 413, 415, 422, 503)
	res.p = p
	cacheDir := dir + "/cache-soak-" + name
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		res.err = err.Error()
		p.note("skipped: %v", err)
		p.skipped = true
		*phases = append(*phases, p)
		return res
	}
	srv, err := startServer(dir, serverConf{name: "soak-" + name, cacheDir: cacheDir, trim: trim,
		cacheMemory: *flagSoakCacheMem, debugLog: false})
	if err != nil {
		res.err = err.Error()
		p.note("server did not start: %v", err)
		*phases = append(*phases, p)
		if srv != nil {
			srv.stop()
		}
		return res
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	time.Sleep(time.Second)
	res.start = procstat.StatusKiB(pid, "VmRSS")
	fmt.Fprintf(os.Stderr, "loadtest: soak %s (free_memory_interval %s): caddy pid %d, RSS %d MiB\n", name, label, pid, res.start/1024)
	mon := startMonitor(pid)
	rn := &runner{srv: srv, mon: mon, phases: phases}
	_, rn.logOff = countPanics(srv.log, 0)

	var uniqN atomic.Int64
	uniq := func() int { return int(uniqN.Add(1)) }
	var kinds sync.Map
	rn.phase(p, func(p *phaseStats) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		t0 := time.Now()
		go func() {
			defer wg.Done()
			tk := time.NewTicker(time.Second)
			defer tk.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					res.samples = append(res.samples, rssSample{time.Since(t0), procstat.StatusKiB(pid, "VmRSS")})
				}
			}
		}()
		runN(p, *flagConc, *flagSoak, *flagSoakMaxReq, func(i int) (string, result) {
			return soakRequest(p, i, uniq, &kinds)
		})
		res.dur = time.Since(t0)
		p.dur = res.dur
		close(stop)
		wg.Wait()
		res.samples = append(res.samples, rssSample{res.dur, procstat.StatusKiB(pid, "VmRSS")})
	})
	mon.close()
	kinds.Range(func(k, v any) bool { res.kinds[k.(string)] = int(v.(*atomic.Int64).Load()); return true })
	// idle: nothing is sent; RSS at 5 s and 15 s (so a 10 s trim has run)
	t0 := time.Now()
	for _, at := range []time.Duration{5 * time.Second, 15 * time.Second} {
		time.Sleep(time.Until(t0.Add(at)))
		res.idle = append(res.idle, rssSample{at, procstat.StatusKiB(pid, "VmRSS")})
	}
	res.hwm = procstat.StatusKiB(pid, "VmHWM")
	ok, r := res.bounded()
	p.note("requests by kind: %v", res.kinds)
	p.note("RSS %d MiB before the load; quarter peaks %d / %d / %d / %d MiB; Q4/Q1 %.2f → %s",
		res.start/1024, res.quarterPeak(1)/1024, res.quarterPeak(2)/1024, res.quarterPeak(3)/1024, res.quarterPeak(4)/1024, r, verdictWord(ok))
	p.alive = srv.alive()
	return res
}

func verdictWord(ok bool) string {
	if ok {
		return "bounded"
	}
	return "NOT bounded"
}

// soakReport renders the RSS comparison of the soak runs.
func soakReport(b *strings.Builder, runs []*soakResult) {
	if len(runs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## RSS under sustained mixed load (soak)\n\n")
	fmt.Fprintf(b, "- load: %s of %d clients sending, per 100 requests:", *flagSoak, *flagConc)
	for i, m := range soakMix {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(b, "%s %d %s", sep, m.weight, m.kind)
	}
	fmt.Fprintf(b, " (misses are distinct w/q of the 1, 4 and 12 MP JPEGs, w 200–3000; disconnects cancel a 4/12 MP miss after 2–30 ms; bad params and sources as in phases 2 and 3). The sequence depends on the request index only, so every run sends the same requests.\n")
	fmt.Fprintf(b, "- each run on a fresh server and empty disk cache; `cache_memory %s` so that the memory tier is full early and does not pass for growth; RSS of the caddy process (/proc/<pid>/status VmRSS) every second\n", *flagSoakCacheMem)
	fmt.Fprintf(b, "- rule: **bounded** when the highest RSS sample of the last quarter of the soak is at most %.0f%% above the highest of the first quarter (Q4 peak ≤ %.2f × Q1 peak); otherwise NOT bounded\n\n", *flagSoakMargin*100, 1+*flagSoakMargin)
	fmt.Fprintf(b, "| free_memory_interval | requests | RSS start | 25%% | 50%% | 75%% | end | peak | Q1 peak | Q4 peak | Q4/Q1 | idle 5 s | idle 15 s | VmHWM | verdict |\n")
	fmt.Fprintf(b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range runs {
		if len(s.samples) == 0 {
			fmt.Fprintf(b, "| %s | – | – | – | – | – | – | – | – | – | – | – | – | – | not run: %s |\n", s.label, s.err)
			continue
		}
		ok, r := s.bounded()
		idle := func(i int) string {
			if i < len(s.idle) {
				return fmt.Sprintf("%d MiB", s.idle[i].kb/1024)
			}
			return "–"
		}
		fmt.Fprintf(b, "| %s | %d | %d MiB | %d MiB | %d MiB | %d MiB | %d MiB | %d MiB | %d MiB | %d MiB | %.2f | %s | %s | %d MiB | %s |\n",
			s.label, s.p.sent, s.start/1024, s.quarterAt(.25)/1024, s.quarterAt(.5)/1024, s.quarterAt(.75)/1024, s.quarterAt(1)/1024,
			s.peak()/1024, s.quarterPeak(1)/1024, s.quarterPeak(4)/1024, r, idle(0), idle(1), s.hwm/1024, verdictWord(ok))
	}
	fmt.Fprintf(b, "\nRSS samples (MiB, every %s of the soak):\n\n", sampleStep(runs))
	for _, s := range runs {
		if len(s.samples) == 0 {
			continue
		}
		step := sampleStep(runs)
		var v []string
		next := time.Duration(0)
		for _, x := range s.samples {
			if x.t+500*time.Millisecond >= next {
				v = append(v, fmt.Sprint(x.kb/1024))
				next += step
			}
		}
		fmt.Fprintf(b, "- free_memory_interval %s: %s\n", s.label, strings.Join(v, " "))
	}
	if len(runs) == 2 && len(runs[0].samples) > 0 && len(runs[1].samples) > 0 {
		a, c := runs[0], runs[1]
		diff := func(x, y int64) string {
			if x == 0 {
				return "–"
			}
			return fmt.Sprintf("%+.0f%%", 100*(float64(y)/float64(x)-1))
		}
		fmt.Fprintf(b, "\n- with free_memory_interval %s vs off: peak %s, end of load %s, idle 5 s %s, idle 15 s %s\n",
			c.label, diff(a.peak(), c.peak()), diff(a.quarterAt(1), c.quarterAt(1)),
			diff(idleKB(a, 0), idleKB(c, 0)), diff(idleKB(a, 1), idleKB(c, 1)))
	}
}

func idleKB(s *soakResult, i int) int64 {
	if i < len(s.idle) {
		return s.idle[i].kb
	}
	return 0
}

// sampleStep thins the per-second series to about 20 values per run.
func sampleStep(runs []*soakResult) time.Duration {
	step := time.Second
	for step*20 < *flagSoak {
		step += time.Second
	}
	return step
}
