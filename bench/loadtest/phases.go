package main

import (
	"fmt"
	_ "image/gif"
	_ "image/png"
	"os"
	"sync"
	"sync/atomic"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/jebosio/matte/internal/procstat"
)

// monitor samples the server's RSS every 100 ms and sends the healthy probe
// every 200 ms, both attributed to the current phase.
type monitor struct {
	cur  atomic.Pointer[phaseStats]
	stop chan struct{}
	wg   sync.WaitGroup
}

func startMonitor(pid int) *monitor {
	m := &monitor{stop: make(chan struct{})}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				if p := m.cur.Load(); p != nil {
					rss := procstat.StatusKiB(pid, "VmRSS")
					p.mu.Lock()
					p.peakRSS = max(p.peakRSS, rss)
					p.mu.Unlock()
				}
			}
		}
	}()
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				p := m.cur.Load()
				if p == nil {
					continue
				}
				r := do("/img/photo-1mp.jpg", "w=320&fm=jpg", 0, 0)
				ok := r.status == 200 && r.malformed == ""
				why := ""
				if !ok {
					why = fmt.Sprintf("%s status %d %s%s", time.Now().Format("15:04:05.000"), r.status, r.malformed, r.errText)
				}
				p.probe(ok, r.lat, why)
			}
		}
	}()
	return m
}

func (m *monitor) close() {
	m.cur.Store(nil)
	close(m.stop)
	m.wg.Wait()
}

type runner struct {
	srv    *server
	mon    *monitor
	logOff int64
	phases *[]*phaseStats
}

func (rn *runner) phase(p *phaseStats, body func(p *phaseStats)) {
	if !rn.srv.alive() {
		p.note("skipped: the server is not running")
		*rn.phases = append(*rn.phases, p)
		return
	}
	fmt.Fprintf(os.Stderr, "loadtest: phase %s ...\n", p.name)
	rn.mon.cur.Store(p)
	errOff := logSize(rn.srv.log)
	start := time.Now()
	body(p)
	if p.dur == 0 {
		p.dur = time.Since(start)
	}
	time.Sleep(300 * time.Millisecond) // let the last probe land here
	var n int
	n, rn.logOff = countPanics(rn.srv.log, rn.logOff)
	p.panics = n
	p.errLogs = errLines(rn.srv.log, errOff)
	p.cacheWarn, p.enospc = cacheWarnings(rn.srv.log, errOff, -1, "no space left on device")
	_, p.erofs = cacheWarnings(rn.srv.log, errOff, -1, "read-only file system")
	p.alive = rn.srv.alive()
	*rn.phases = append(*rn.phases, p)
	fmt.Fprintf(os.Stderr, "loadtest:   %d requests, %v, malformed %d, unexpected %d, probes %d/%d, peak RSS %d MiB\n",
		p.sent, p.byStatus, len(p.malformed), len(p.unexpect), p.probesOK, p.probesAll, p.peakRSS/1024)
}

func (rn *runner) skip(p *phaseStats, format string, a ...any) {
	p.note(format, a...)
	p.skipped = true
	p.alive = rn.srv.alive()
	*rn.phases = append(*rn.phases, p)
	fmt.Fprintf(os.Stderr, "loadtest: phase %s skipped\n", p.name)
}

func (p *phaseStats) unexpected(format string, a ...any) {
	p.mu.Lock()
	p.unexpect = append(p.unexpect, fmt.Sprintf(format, a...))
	p.mu.Unlock()
}
