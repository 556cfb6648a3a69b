package main

import (
	"fmt"
	_ "image/gif"
	_ "image/png"
	"slices"
	"strconv"
	"sync"
	"time"

	_ "golang.org/x/image/webp"
)

type result struct {
	status    int           // HTTP status; 0 for a transport error
	lat       time.Duration // time to the last byte
	canceled  bool          // the client canceled on purpose
	malformed string        // why the response is malformed, "" if fine
	errText   string        // transport error
}

type phaseStats struct {
	name      string
	expect    string
	allowed   map[int]bool // statuses that are fine in this phase (200 always checked separately)
	mu        sync.Mutex
	sent      int
	byStatus  map[string]int
	lats      []time.Duration
	lat503    []time.Duration
	malformed []string
	unexpect  []string
	probesOK  int
	probesAll int
	probeFail []string
	probeMax  time.Duration // slowest probe answer
	peakRSS   int64
	panics    int
	errLogs   map[string]int // server error-level log lines in this phase, by message/error prefix
	dur       time.Duration
	notes     []string
	alive     bool
	skipped   bool
	cacheWarn int // server `"msg":"cache"` warnings in the phase
	enospc    int // ... of them "no space left on device"
	erofs     int // ... of them "read-only file system"
}

func newPhase(name, expect string, allowed ...int) *phaseStats {
	p := &phaseStats{name: name, expect: expect, allowed: map[int]bool{}, byStatus: map[string]int{}}
	for _, s := range allowed {
		p.allowed[s] = true
	}
	return p
}

func (p *phaseStats) add(r result, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent++
	key := strconv.Itoa(r.status)
	switch {
	case r.canceled:
		key = "client-cancel"
	case r.status == 0:
		key = "transport-error"
	}
	p.byStatus[key]++
	if !r.canceled && r.status != 0 {
		p.lats = append(p.lats, r.lat)
		if r.status == 503 {
			p.lat503 = append(p.lat503, r.lat)
		}
	}
	if r.malformed != "" {
		p.malformed = append(p.malformed, what+": "+r.malformed)
	}
	if !r.canceled && !p.allowed[r.status] {
		msg := fmt.Sprintf("%s: status %d", what, r.status)
		if r.status == 0 {
			msg = what + ": " + r.errText
		}
		p.unexpect = append(p.unexpect, msg)
	}
}

func (p *phaseStats) probe(ok bool, lat time.Duration, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.probesAll++
	p.probeMax = max(p.probeMax, lat)
	if ok {
		p.probesOK++
	} else {
		p.probeFail = append(p.probeFail, why)
	}
}

func (p *phaseStats) note(format string, a ...any) {
	p.mu.Lock()
	p.notes = append(p.notes, fmt.Sprintf(format, a...))
	p.mu.Unlock()
}

func pct(d []time.Duration, q float64) string {
	if len(d) == 0 {
		return "–"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return fmtDur(s[i])
}

func fmtDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
