package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jebosio/matte/internal/procstat"
)

// The attacks of issue 16 as load-test phases, run on a fresh server with
// background removal and the remove.bg API on. Each checks the bound that
// the README's security section states, and a miss counts as an unexpected
// result (the run fails):
//
//   - memory: no request within the documented limits raises RSS by more
//     than -abuse-rss above the RSS the server idled at before the phase;
//   - time: every answer comes within the handler's timeout plus 1 s, and
//     after the last client of a heavy transform leaves, the server's CPU
//     use falls below -abuse-idle-cpu cores within 1 s;
//   - bodies: an API body over the limit is refused as it is declared or
//     as it streams in, and a body that trickles in is cut off at
//     api_body_timeout;
//   - buffered sources: small images padded to 45 MB (one megapixel each
//     in the queue) hold at most max_buffered_bytes, the rest answered 503;
//   - the probe (a cached variant, every 200 ms) answers within 1 s
//     throughout.
//
// The fixtures are cheap to make and expensive to process: a 50000x999
// all-black PNG (about 150 KB, under the 50 MP limit), and heavy blurs of
// the 4 MP photo at sizes within max_output_dimension. The abuse server lifts
// the blur cap (max_blur_sigma 1000; the default, 10, makes these blurs
// cheap, as transform's tests show), so that only the timeout and libvips'
// cancellation bound them.

const (
	abuseTimeout     = 10 * time.Second // the server's `timeout`, see matteOptions
	abuseBodyTimeout = 5 * time.Second  // the abuse server's `api_body_timeout`
	abuseOverrun     = time.Second
	abuseProbeBound  = time.Second
)

// abuseRSSBoundKiB is the RSS bound above idle: 512 MiB with `workers 2`.
const abuseRSSBoundKiB = 512 << 10

func runAbuse(dir string, phases *[]*phaseStats) {
	conf := serverConf{name: "abuse", cacheDir: filepath.Join(dir, "abuse-cache"), abuse: true}
	srv, err := startServer(dir, conf)
	if err != nil {
		p := newPhase("9 abuse", "server start")
		p.note("could not start the abuse server: %v", err)
		p.unexpected("abuse server did not start: %v", err)
		*phases = append(*phases, p)
		if srv != nil {
			srv.stop()
			tail(srv.log)
		}
		return
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	mon := startMonitor(pid)
	defer mon.close()
	rn := &runner{srv: srv, mon: mon, phases: phases}
	_, rn.logOff = countPanics(srv.log, 0)

	bounded := func(body func(p *phaseStats)) func(p *phaseStats) {
		return func(p *phaseStats) {
			time.Sleep(500 * time.Millisecond)
			idle := procstat.StatusKiB(pid, "VmRSS")
			body(p)
			time.Sleep(300 * time.Millisecond)
			p.mu.Lock()
			peak, probeMax := p.peakRSS, p.probeMax
			p.mu.Unlock()
			p.note("RSS idle %d MiB, peak %d MiB (+%d MiB; bound +%d MiB); slowest probe %s (bound %s)",
				idle/1024, peak/1024, (peak-idle)/1024, abuseRSSBoundKiB>>10, fmtDur(probeMax), fmtDur(abuseProbeBound))
			if peak-idle > abuseRSSBoundKiB {
				p.unexpected("RSS rose %d MiB above idle, over the %d MiB bound", (peak-idle)/1024, abuseRSSBoundKiB>>10)
			}
			if probeMax > abuseProbeBound {
				p.unexpected("the probe took %s, over %s", fmtDur(probeMax), fmtDur(abuseProbeBound))
			}
		}
	}
	inTime := func(p *phaseStats, what string, r result) {
		if !r.canceled && r.status != 0 && r.lat > abuseTimeout+abuseOverrun {
			p.unexpected("%s answered after %s, past the %s timeout + %s", what, fmtDur(r.lat), abuseTimeout, abuseOverrun)
		}
	}

	rn.phase(newPhase("9a memory bomb", "200/400/422/503 within timeout, RSS bounded", 200, 400, 413, 422, 503), bounded(func(p *phaseStats) {
		runN(p, 2, 2*abuseTimeout, 6, func(i int) (string, result) {
			crop := []string{"entropy", "attention"}[i%2]
			q := fmt.Sprintf("fit=crop&w=%d&h=8192&crop=%s&fm=jpg", 8192-i, crop)
			r := do("/img/wide.png", q, 0, 0)
			inTime(p, "/img/wide.png?"+q, r)
			return "/img/wide.png?" + q, r
		})
	}))

	rn.phase(newPhase("9b heavy blur", "200 or 503 timeout, within timeout + 1 s", 200, 503), bounded(func(p *phaseStats) {
		runN(p, 2, 2*abuseTimeout, 4, func(i int) (string, result) {
			q := fmt.Sprintf("w=%d&h=2048&fit=scale&blur=2000&fm=jpg", 2048-i)
			r := do("/img/photo-4mp.jpg", q, 0, 0)
			inTime(p, "/img/photo-4mp.jpg?"+q, r)
			return "/img/photo-4mp.jpg?" + q, r
		})
	}))

	rn.phase(newPhase("9c abandoned blur", "clients leave after 3 s; CPU idle within 1 s", 200, 503), bounded(func(p *phaseStats) {
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q := fmt.Sprintf("w=%d&h=4096&fit=scale&blur=2000&fm=jpg", 4096-i)
				p.add(do("/img/photo-4mp.jpg", q, 0, 3*time.Second), "cancel /img/photo-4mp.jpg?"+q)
			}()
		}
		wg.Wait()
		time.Sleep(abuseOverrun)
		c0 := procstat.CPUTime(pid)
		const window = 2 * time.Second
		time.Sleep(window)
		cores := (procstat.CPUTime(pid) - c0).Seconds() / window.Seconds()
		p.note("CPU from 1 s to 3 s after the last client left: %.2f cores (bound %.2f)", cores, *flagAbuseIdleCPU)
		if cores > *flagAbuseIdleCPU {
			p.unexpected("the server still used %.2f cores 1 s after every client had left", cores)
		}
	}))

	rn.phase(newPhase("9d api body bombs", "400/413 quickly, RSS bounded", 400, 413), bounded(func(p *phaseStats) {
		one := func(size int64) {
			what := fmt.Sprintf("POST /v1.0/removebg JSON body of %d MB, chunked", size>>20)
			r := postStream(jsonArrayBody(size), -1)
			inTime(p, what, r)
			p.add(r, what)
		}
		one(123 << 20)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); one(40 << 20) }()
		}
		wg.Wait()
		status, lat, err := rawRequest("POST /v1.0/removebg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n", nil, 0)
		what := "POST /v1.0/removebg declaring Content-Length: 1000000000000"
		p.note("%s: status %d after %s (%v)", what, status, fmtDur(lat), err)
		p.add(result{status: status, lat: lat, errText: fmt.Sprint(err)}, what)
		if (status != 400 && status != 413) || lat > time.Second {
			p.unexpected("%s: status %d after %s, want the dialect's too-large error (remove.bg: 400 file_too_large) at once", what, status, fmtDur(lat))
		}
	}))

	rn.phase(newPhase("9e slow uploads", "cut off at body_timeout", 400, 408, 413), bounded(func(p *phaseStats) {
		var wg sync.WaitGroup
		for _, c := range []struct{ what, head string }{
			{"1 byte every 2 s of a declared 1000-byte body", "POST /v1.0/removebg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"},
			{"a chunked body that never ends", "POST /v1.0/removebg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"},
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				chunked := strings.Contains(c.head, "chunked")
				status, lat, err := rawRequest(c.head, func(w io.Writer) error {
					b := []byte("{")
					if chunked {
						b = []byte("1\r\n{\r\n")
					}
					_, err := w.Write(b)
					return err
				}, 2*time.Second)
				p.note("%s: status %d, closed after %s (%v)", c.what, status, fmtDur(lat), err)
				if lat > abuseBodyTimeout+abuseOverrun {
					p.unexpected("%s held the connection %s, past body_timeout %s + %s", c.what, fmtDur(lat), abuseBodyTimeout, abuseOverrun)
				}
				if status != 0 {
					p.add(result{status: status, lat: lat}, c.what)
				}
			}()
		}
		wg.Wait()
	}))

	rn.phase(newPhase("9f padded sources", "200 or 503 with Retry-After, RSS bounded", 200, 503), bounded(func(p *phaseStats) {
		// A 16x16 JPEG padded to 45 MB: one megapixel in the transform
		// queue, 45 MB to buffer. Distinct paths, so that no two requests
		// share a fetch, and a new width each time, so that each is a miss.
		var seq atomic.Int64
		runN(p, *flagPadded, 2*abuseTimeout, 400, func(i int) (string, result) {
			src := fmt.Sprintf("/img/padded-%d.jpg", i%paddedCopies)
			q := fmt.Sprintf("w=%d&fm=jpg", 8+seq.Add(1)%4000)
			r := do(src, q, 0, 0)
			inTime(p, src+"?"+q, r)
			return src + "?" + q, r
		})
		budget := "its default, 2 x workers x max_source_bytes = 200 MiB"
		if *flagBuffered != "" {
			budget = *flagBuffered + " (-max-buffered-bytes)"
		}
		p.note("%d clients, each a miss of a 16x16 JPEG padded to %d MiB (distinct paths); max_buffered_bytes %s; %d answered 503",
			*flagPadded, paddedBytes>>20, budget, len(p.lat503))
	}))
}

// jsonArrayBody streams `{"x":[0,0,...]}` of about size bytes.
func jsonArrayBody(size int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 64<<10)
		w.WriteString(`{"x":[0`)
		for n := int64(7); n < size-2; n += 2 {
			if _, err := w.WriteString(",0"); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		w.WriteString("]}")
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

// postStream POSTs body as JSON to the remove.bg endpoint, with
// Content-Length n (-1: chunked), and reads the answer.
func postStream(body io.Reader, n int64) result {
	ctx, cancel := context.WithTimeout(context.Background(), *flagTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1.0/removebg", body)
	req.ContentLength = n
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return result{errText: err.Error(), lat: time.Since(start)}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return result{status: resp.StatusCode, lat: time.Since(start)}
}

// rawRequest writes head on a new connection to the server, then calls
// trickle every interval (when both are set) until the server answers or
// closes, and returns the status (0 when the connection closed without
// one) and how long the connection stayed open. It gives up after the
// client timeout.
func rawRequest(head string, trickle func(io.Writer) error, interval time.Duration) (int, time.Duration, error) {
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(*flagTimeout))
	if _, err := io.WriteString(conn, head); err != nil {
		return 0, time.Since(start), err
	}
	done := make(chan struct{})
	defer close(done)
	if trickle != nil {
		go func() {
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if trickle(conn) != nil {
						return
					}
				}
			}
		}()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, time.Since(start), err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}
