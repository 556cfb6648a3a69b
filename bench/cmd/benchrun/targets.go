package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jebosio/matte/bench"
)

// The report's parts for scenarios f-i: how they are run, their requests,
// and their targets with a verdict (a missed target says by how much).

type writer func(format string, a ...any)

// selected lists the chosen scenarios of the given kinds.
func (res *results) selected(kinds ...bench.Kind) []bench.Scenario {
	var out []bench.Scenario
	for _, id := range res.cfg.scenarios {
		sc, _ := bench.Lookup(id)
		for _, k := range kinds {
			if sc.Kind == k {
				out = append(out, sc)
			}
		}
	}
	return out
}

func (res *results) methodExtra(w writer) {
	cfg := res.cfg
	if len(res.selected(bench.KindHitMemory, bench.KindHitDisk)) > 0 {
		w("- Cache hits (f, g): Matte with its result cache on — *matte-cache*: the default memory tier (256 MiB), no disk tier; *matte-disk*: `cache_disk` beside a memory tier too small for the 91 KB result, so each hit reads it from the disk tier: in g a 64 KiB memory tier that keeps the source's memo (a few hundred bytes), as in a deployment whose memory tier has evicted the result but not its source's memo; in g0 `cache_memory 1B`, which declines every entry, so the memo is read from disk too (the Caddyfile has no disk-only form, `cache_memory 0` is refused). " +
			"Each fresh Matte is requested until its `X-Cache` says `HIT-MEMORY` (f) or `HIT-DISK` (g); that answer's body is written to a temporary folder served by a second Caddy file_server (same binary and config as the passthrough baseline), so both serve the same bytes. " +
			"`matte_transforms_total` is read after the warming and after the runs: it must not move. Matte's source freshness is its default: file_server sends `Last-Modified` and no `Cache-Control`, so a source is reused for a second (`source_heuristic_ttl`) and then revalidated with a conditional request (a stat); f0 repeats f with `source_heuristic_ttl 0`, a conditional request on every hit. Every hit still computes its cache key.\n")
	}
	if len(res.selected(bench.KindRembg)) > 0 {
		w("- Background removal (h): `?rembg=1&fm=png` on a real photo, PNG cut-out at the source size; Matte with its cache off (no result or mask cache: every request runs the model), rembg defaults (ISNet fp16, intra-op threads = CPUs up to 4, one inference at a time on 2 cores). "+
			"Peer: `@imgly/background-removal-node`'s `removeBackground()` behind a minimal Node HTTP server (`bench/peers/imgly-server.mjs`), model \"medium\"; model check: %s. "+
			"Concurrency %s (at 1, p50 is one request's time; Matte queues at most 4 inferences and answers 503 past them), %s per run. "+
			"Raw inference: the existing Go benchmark `BenchmarkISNet` (`Session.Segment` at 1024×1024: input normalisation, ONNX Runtime Run, mask post-processing), run once right before h's first cell with no server busy.\n",
			orNA(res.model, "not run"), joinInts(cfg.connsOf("h"), ", "), fmtDur(cfg.durationOf("h")))
	}
	if len(res.selected(bench.KindCoalesce)) > 0 {
		w("- Coalescing (i): a fresh Matte with its result cache on (*matte-cache*); per repetition (%d): purge every cache (admin `POST /matte/purge {\"all\":true}`), time one lone miss; purge again, then send %d identical requests at once (one connection each, released together) and time until the last complete answer. Transforms counted from `matte_transforms_total` before and after, coalesced waiters from `matte_cache_coalesced_total`, and every answer's `X-Cache`.\n",
			cfg.repeats, bench.CoalesceClients)
	}
}

func (res *results) requestsExtra(w writer) {
	scs := res.selected(bench.KindHitMemory, bench.KindHitDisk, bench.KindRembg, bench.KindCoalesce)
	if len(scs) == 0 {
		return
	}
	w("Scenarios f–i:\n\n| scenario | Matte | request | peer | request |\n|---|---|---|---|---|\n")
	for _, sc := range scs {
		m := res.server(matteFor(sc))
		ml, mp := matteFor(sc)+" (not run)", "–"
		if m != nil {
			ml, mp = m.Label, "`"+m.path(sc)+"`"
		}
		pl, pp := "–", "–"
		for _, s := range res.servers {
			if !isMatte(s.Name) && s.Special && s.path(sc) != "" {
				pl, pp = s.Label, "`"+s.path(sc)+"`"
			}
		}
		w("| %s: %s | %s | %s | %s | %s |\n", sc.ID, sc.Title, ml, mp, pl, pp)
	}
	w("\n")
}

// verdictAtLeast: got must be ≥ want.
func verdictAtLeast(got, want float64) string {
	if got >= want {
		return "**met**"
	}
	return fmt.Sprintf("**missed** by %.0f%% (×%.2f of the ×%.2f asked)", (1-got/want)*100, got, want)
}

// verdictAtMost: got must be ≤ want.
func verdictAtMost(got, want float64) string {
	if got <= want {
		return "**met**"
	}
	return fmt.Sprintf("**missed** by %.0f%% (%.3f against at most %.2f)", (got/want-1)*100, got, want)
}

func orNA(s, na string) string {
	if s == "" {
		return na
	}
	return s
}

func joinInts(xs []int, sep string) string {
	var p []string
	for _, x := range xs {
		p = append(p, fmt.Sprint(x))
	}
	return strings.Join(p, sep)
}

// transformTargets is the verdict on a–e: Matte at ×1.2 or better of the
// best same-run peer's throughput with a p99 no worse, and at ×1.0 or better
// of imgproxy's reference figures (cross-run, c8).
func (res *results) transformTargets(w writer, ref reference, haveRef bool) {
	var scs []bench.Scenario
	for _, sc := range res.selected(bench.KindTransform) {
		if !sc.Passthrough() {
			scs = append(scs, sc)
		}
	}
	if len(scs) == 0 {
		return
	}
	w("## Targets: scenarios a–e\n\n")
	w("Asked: Matte at ×1.20 or better of the best same-run peer's req/s with a p99 no worse (d444, like for like at the peer's AVIF settings: ×1.00), and at ×1.00 or better of the imgproxy reference figures. Why a target is missed: *Where the time goes* below.\n\n")
	w("| scenario | c | best peer | req/s: Matte ÷ peer (≥ the scenario's target) | p99: Matte ÷ peer (≤ ×1.00) |\n|---|---|---|---|---|\n")
	for _, sc := range scs {
		for _, conns := range res.cfg.connsOf(sc.ID) {
			m := aggregate(res.cells[key(conns, sc.ID, "matte")])
			p, pa := res.bestPeer(conns, sc)
			if !m.ok || p == nil || m.requests == 0 {
				w("| %s | %d | – | not measured (see its table) | – |\n", sc.ID, conns)
				continue
			}
			r, q := m.rps/pa.rps, m.p99/pa.p99
			want := 1.2
			if sc.Target > 0 {
				want = sc.Target
			}
			w("| %s | %d | %s | ×%.2f (%s vs %s): %s | ×%.2f (%s vs %s ms): %s |\n", sc.ID, conns, p.Label,
				r, fmtRate(m.rps), fmtRate(pa.rps), verdictAtLeast(r, want), q, fmtMs(m.p99), fmtMs(pa.p99), verdictAtMostRatio(q, 1))
		}
	}
	if haveRef {
		w("\n| scenario | Matte c8 req/s ÷ imgproxy (reference, cross-run; ≥ ×1.00) |\n|---|---|\n")
		for _, id := range ref.Scenarios {
			m, ip := aggregate(res.cells[key(8, id, "matte")]), ref.Rows[id]["imgproxy"]
			if !m.ok || ip.ReqPerSec == 0 {
				continue
			}
			r := m.rps / ip.ReqPerSec
			w("| %s | ×%.2f (%s vs %s req/s): %s |\n", id, r, fmtRate(m.rps), fmtRate(ip.ReqPerSec), verdictAtLeast(r, 1))
		}
	}
	w("\n")
}

// verdictAtMostRatio: a ratio that must be ≤ want.
func verdictAtMostRatio(got, want float64) string {
	if got <= want {
		return "**met**"
	}
	return fmt.Sprintf("**missed** by %.0f%%", (got/want-1)*100)
}

func (res *results) targets(w writer) {
	cfg := res.cfg
	if len(res.selected(bench.KindHitMemory, bench.KindHitDisk, bench.KindRembg, bench.KindCoalesce)) == 0 {
		return
	}
	w("## Targets: scenarios f–i\n\n")
	w("Same-run ratios, interleaved; read 0.9–1.1 as a tie on a shared machine.\n\n")
	w("| scenario | measure | target | value | verdict |\n|---|---|---|---|---|\n")
	na := func(sc bench.Scenario, what, target, why string) {
		w("| %s | %s | %s | – | not measured: %s |\n", sc.ID, what, target, why)
	}
	for _, sc := range res.selected(bench.KindHitMemory, bench.KindHitDisk) {
		tier := "memory"
		if sc.Kind == bench.KindHitDisk {
			tier = "disk"
		}
		target := fmt.Sprintf("≥ ×%.2f", sc.Target)
		for _, conns := range cfg.connsOf(sc.ID) {
			what := fmt.Sprintf("c%d: Matte cache hit (%s tier) req/s ÷ file_server req/s, same bytes", conns, tier)
			m := aggregate(res.cells[key(conns, sc.ID, matteFor(sc))])
			f := aggregate(res.cells[key(conns, sc.ID, "filehit")])
			if !m.ok || !f.ok || m.requests == 0 || f.requests == 0 {
				na(sc, what, target, "a cell did not run (see its table)")
				continue
			}
			r := m.rps / f.rps
			w("| %s | %s | %s | ×%.2f (%s vs %s req/s; CPU/req file_server ÷ Matte ×%.2f) | %s |\n", sc.ID, what, target, r,
				fmtRate(m.rps), fmtRate(f.rps), f.cpuPerReq/m.cpuPerReq, verdictAtLeast(r, sc.Target))
		}
	}
	for _, sc := range res.selected(bench.KindRembg) {
		conns := cfg.connsOf(sc.ID)
		lo := conns[0]
		for _, c := range conns {
			lo = min(lo, c)
		}
		m := aggregate(res.cells[key(lo, sc.ID, "matte")])
		what := fmt.Sprintf("overhead: Matte request time (p50 at c%d) ÷ raw inference time (BenchmarkISNet)", lo)
		target := fmt.Sprintf("≤ %.2f", sc.Target)
		switch {
		case res.raw == nil || res.raw.Err != "":
			why := "BenchmarkISNet did not run"
			if res.raw != nil {
				why = res.raw.Err
			}
			na(sc, what, target, mdEscape(why))
		case !m.ok || m.requests == 0:
			na(sc, what, target, "Matte's cell did not run")
		default:
			ov := m.p50 / res.raw.MsPerOp
			extra := ""
			if lo > 1 {
				extra = fmt.Sprintf(" (at c%d requests queue for the one inference slot: this overstates the overhead; run h at c1 with -conns-for)", lo)
			}
			if res.raw.Threads != res.raw.Want {
				extra += fmt.Sprintf(" (benchmark at %d threads, Matte uses %d)", res.raw.Threads, res.raw.Want)
			}
			w("| %s | %s | %s | %.3f (medians: %s ms ÷ %s ms over %d repeat(s), raw inference interleaved with the HTTP runs; outside inference %.0f ms)%s | %s |\n", sc.ID, what, target, ov,
				fmtMs(m.p50), fmtMs(res.raw.MsPerOp), len(res.raw.Ms), m.p50-res.raw.MsPerOp, extra, verdictAtMost(ov, sc.Target))
			if res.raw.CPUsPerOp > 0 && m.cpuPerReq > 0 {
				cov := m.cpuPerReq / (res.raw.CPUsPerOp * 1000)
				w("| %s | the same in CPU time: Matte server CPU per request (c%d) ÷ CPU per inference; indicative only: the server's CPU includes the request wrk abandons at the end of each run, a sizeable overcount when a run completes few requests | (%s) | %.3f (%s ms ÷ %s ms) | – |\n", sc.ID, lo, target, cov,
					fmtMs(m.cpuPerReq), fmtMs(res.raw.CPUsPerOp*1000))
			}
		}
		for _, c := range conns {
			m := aggregate(res.cells[key(c, sc.ID, "matte")])
			p := aggregate(res.cells[key(c, sc.ID, "imgly")])
			what := fmt.Sprintf("c%d: Matte req/s ÷ imgly (Node) req/s, same model", c)
			if !m.ok || !p.ok || m.requests == 0 || p.requests == 0 {
				na(sc, what, "> ×1 (faster)", "a cell did not run (see its table)")
				continue
			}
			r := m.rps / p.rps
			verdict := "**met**"
			if r <= 1 {
				verdict = fmt.Sprintf("**missed**: Matte is %.0f%% slower", (1-r)*100)
			}
			if r >= 0.9 && r <= 1.1 {
				verdict += " (within noise)"
			}
			w("| %s | %s | > ×1 (faster) | ×%.2f (%s vs %s req/s; p50 %s vs %s ms; CPU/req imgly ÷ Matte ×%.2f) | %s |\n", sc.ID, what, r,
				fmtRate(m.rps), fmtRate(p.rps), fmtMs(m.p50), fmtMs(p.p50), p.cpuPerReq/m.cpuPerReq, verdict)
		}
		na(sc, "on a GPU (`execution_provider cuda`): images/s and the overhead ratio", "whenever a GPU machine is lent",
			"`make bench` runs on the CPU only; `make gpu-stage` prepares the run for a GPU machine (bench/README.md, *On a GPU machine*)")
	}
	for _, sc := range res.selected(bench.KindCoalesce) {
		what := fmt.Sprintf("transforms for %d concurrent identical misses", bench.CoalesceClients)
		ci := res.coalesce
		if ci == nil || ci.Err != "" || len(ci.Reps) == 0 {
			why := "not run"
			if ci != nil && ci.Err != "" {
				why = ci.Err
			}
			na(sc, what, "exactly 1", mdEscape(why))
			continue
		}
		var counts []string
		var bad []string
		for i, r := range ci.Reps {
			if r.Err != "" {
				counts = append(counts, "error")
				bad = append(bad, fmt.Sprintf("repetition %d failed: %s", i+1, mdEscape(r.Err)))
				continue
			}
			counts = append(counts, fmt.Sprint(r.Transforms))
			if r.Transforms != 1 {
				bad = append(bad, fmt.Sprintf("repetition %d ran %d transforms (%d more than asked)", i+1, r.Transforms, r.Transforms-1))
			}
			if r.OK != ci.Clients {
				bad = append(bad, fmt.Sprintf("repetition %d: %d of %d answers were not 200", i+1, ci.Clients-r.OK, ci.Clients))
			}
		}
		verdict := "**met** in every repetition"
		if len(bad) > 0 {
			verdict = "**missed**: " + strings.Join(bad, "; ")
		}
		w("| %s | %s | exactly 1 | %s (per repetition) | %s |\n", sc.ID, what, strings.Join(counts, ", "), verdict)
	}
	w("\n")
	res.coalesceTable(w)
}

func (res *results) coalesceTable(w writer) {
	ci := res.coalesce
	if ci == nil || len(ci.Reps) == 0 {
		return
	}
	w("### Scenario i: %d concurrent identical misses\n\n", ci.Clients)
	w("`%s` on %s, cache purged before each step. *Last answer*: from the release of all %d requests to the last complete answer; *lone miss*: one request alone after a purge.\n\n", ci.URL, ci.Server, ci.Clients)
	w("| repetition | transforms | coalesced (metric) | HTTP 200 | X-Cache of the answers | first answer ms | last answer ms | lone miss ms | last ÷ lone |\n|---|---|---|---|---|---|---|---|---|\n")
	var lasts []float64
	for i, r := range ci.Reps {
		if r.Err != "" {
			w("| %d | error | | | | | | | %s |\n", i+1, mdEscape(r.Err))
			continue
		}
		var xs []string
		for k, v := range r.XCache {
			xs = append(xs, fmt.Sprintf("%s %d", orNA(k, "(none)"), v))
		}
		sort.Strings(xs)
		lasts = append(lasts, ms(r.Last))
		w("| %d | %d | %d | %d/%d | %s | %s | %s | %s | ×%.2f |\n", i+1, r.Transforms, r.Coalesced, r.OK, ci.Clients, strings.Join(xs, ", "),
			fmtMs(ms(r.First)), fmtMs(ms(r.Last)), fmtMs(ms(r.LoneMiss)), float64(r.Last)/float64(max(r.LoneMiss, time.Nanosecond)))
	}
	if len(lasts) > 0 {
		w("\nMedian time until the last of the %d answers: %s ms.\n", ci.Clients, fmtMs(median(lasts)))
	}
	w("\n")
}

// filedRSS is Matte's peak RSS (MiB) per scenario and concurrency in the
// run issue 15 was filed against: RESULTS.md at dbd9587 (2026-11-23, the
// system libvips 8.14, `workers` then the CPU count), measured as this
// harness measures it (a fresh server per cell, VmRSS of the tree polled
// every 100 ms). The issue asks for no higher a peak at the same
// concurrency.
var filedRSS = map[int]map[string]float64{
	2: {"a": 150, "b": 153, "c": 126, "d": 192, "e": 189, "e400": 183, "pass": 118},
	8: {"a": 165, "b": 210, "c": 131, "d": 210, "e": 227, "e400": 222, "pass": 121},
}

// rssTargets is the verdict on peak memory: Matte's peak RSS in each cell
// that the filed run also measured, against that run's figure.
func (res *results) rssTargets(w writer) {
	type row struct {
		id        string
		conns     int
		got, want float64
	}
	var rows []row
	for _, sc := range res.selected(bench.KindTransform) {
		for _, conns := range res.cfg.connsOf(sc.ID) {
			want, ok := filedRSS[conns][sc.ID]
			m := aggregate(res.cells[key(conns, sc.ID, "matte")])
			if ok && m.ok {
				rows = append(rows, row{sc.ID, conns, m.rssMiB, want})
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	w("## Target: peak memory\n\n")
	w("Asked: Matte's peak RSS no higher than in the run the issue was filed against (RESULTS.md at dbd9587, 2026-11-23: the system libvips 8.14, `workers` then the CPU count, 2), at the same concurrency, measured the same way (a fresh server per cell). Where the memory goes: PROFILE.md, *Peak memory*.\n\n")
	w("| scenario | c | Matte peak RSS MiB | filed run MiB | Matte ÷ filed (≤ ×1.00) |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		w("| %s | %d | %.0f | %.0f | ×%.2f: %s |\n", r.id, r.conns, r.got, r.want, r.got/r.want, verdictAtMostRatio(r.got/r.want, 1))
	}
	w("\n")
}
