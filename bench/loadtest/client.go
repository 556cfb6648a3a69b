package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif"
	_ "image/png"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "golang.org/x/image/webp"
)

var client = &http.Client{
	Transport: &http.Transport{
		Proxy:               nil, // never a proxy: loopback only
		MaxIdleConnsPerHost: 128,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	},
}

var base string // http://127.0.0.1:<port>

// expectFormat is the format a 200 must decode as: fm if given, else the
// source's own (jpeg for .jpg, png for .png).
func expectFormat(path, query string) string {
	for _, kv := range strings.Split(query, "&") {
		if v, ok := strings.CutPrefix(kv, "fm="); ok {
			if v == "jpg" {
				return "jpeg"
			}
			return v
		}
	}
	if strings.HasSuffix(path, ".png") {
		return "png"
	}
	return "jpeg"
}

// do sends GET path?query and checks the response. readDelay > 0 reads the
// body in 512-byte steps with that pause (a slow client); cancelAfter > 0
// cancels the request after that long (a client that disconnects).
func do(path, query string, readDelay, cancelAfter time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), *flagTimeout)
	defer cancel()
	var canceledOnPurpose atomic.Bool
	if cancelAfter > 0 {
		t := time.AfterFunc(cancelAfter, func() { canceledOnPurpose.Store(true); cancel() })
		defer t.Stop()
	}
	u := base + path
	if query != "" {
		u += "?" + query
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if canceledOnPurpose.Load() {
			return result{canceled: true}
		}
		return result{errText: err.Error()}
	}
	defer resp.Body.Close()
	var body []byte
	if readDelay > 0 {
		buf := make([]byte, 512)
		var bb bytes.Buffer
		for {
			n, rerr := resp.Body.Read(buf)
			bb.Write(buf[:n])
			if rerr != nil {
				if rerr != io.EOF {
					err = rerr
				}
				break
			}
			time.Sleep(readDelay)
		}
		body = bb.Bytes()
	} else {
		body, err = io.ReadAll(resp.Body)
	}
	r := result{status: resp.StatusCode, lat: time.Since(start)}
	if err != nil {
		if canceledOnPurpose.Load() {
			return result{canceled: true}
		}
		r.malformed = fmt.Sprintf("status %d, body read error after %d bytes: %v", resp.StatusCode, len(body), err)
		return r
	}
	r.malformed = check(resp, body, expectFormat(path, query))
	return r
}

func check(resp *http.Response, body []byte, wantFmt string) string {
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return fmt.Sprintf("status %d: Content-Length %d but %d bytes", resp.StatusCode, resp.ContentLength, len(body))
	}
	switch {
	case resp.StatusCode == 200:
		_, got, err := image.Decode(bytes.NewReader(body))
		if err != nil {
			return fmt.Sprintf("200 body (%d bytes, %s) does not decode: %v", len(body), resp.Header.Get("Content-Type"), err)
		}
		if got != wantFmt {
			return fmt.Sprintf("200 body is %s, want %s", got, wantFmt)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/"+wantFmt {
			return fmt.Sprintf("200 %s body with Content-Type %q", got, ct)
		}
	case resp.StatusCode == 503:
		if resp.Header.Get("Retry-After") == "" {
			return "503 without Retry-After"
		}
	}
	if resp.StatusCode >= 400 && resp.StatusCode != 404 {
		var e struct {
			Errors []struct{ Code string } `json:"errors"`
		}
		if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) == 0 {
			return fmt.Sprintf("status %d without Matte's JSON error body: %.120q", resp.StatusCode, body)
		}
	}
	return ""
}

// run calls fn from conc goroutines until the phase's time or request budget
// is spent.
func run(p *phaseStats, conc int, d time.Duration, fn func(i int) (what string, r result)) {
	runN(p, conc, d, *flagMaxReq, fn)
}

func runN(p *phaseStats, conc int, d time.Duration, maxReq int, fn func(i int) (what string, r result)) {
	deadline := time.Now().Add(d)
	var n atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(n.Add(1))
				if i > maxReq {
					return
				}
				what, r := fn(i)
				p.add(r, what)
			}
		}()
	}
	wg.Wait()
}
