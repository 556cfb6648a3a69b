package caddymodule_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	"golang.org/x/image/bmp"

	"github.com/jebosio/matte/caddymodule"
	"github.com/jebosio/matte/dialect/rembgcom"
)

// The hosted APIs' resource bounds (issue 16, findings 5 to 7), through the
// real server. Raw connections stand in for clients that misbehave in ways
// net/http's client will not.

// rawRequest opens a connection to the test server and writes head (the
// request line and headers, without the blank line). It returns the
// connection and a reader for the answer.
func rawRequest(t *testing.T, head string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:9080", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// readAnswer reads the response on br within limit and its JSON body.
func readAnswer(t *testing.T, conn net.Conn, br *bufio.Reader, limit time.Duration) (*http.Response, map[string]any, time.Duration) {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(limit))
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", limit, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%d: %v: %s", res.StatusCode, err, body)
	}
	return res, v, time.Since(start)
}

// trickle writes chunk to conn every interval until the connection fails
// or the test ends.
func trickle(conn net.Conn, chunk string, interval time.Duration) {
	go func() {
		for {
			time.Sleep(interval)
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := io.WriteString(conn, chunk); err != nil {
				return
			}
		}
	}()
}

// serverCloses checks that the server closes conn soon after its answer,
// while the client is still sending.
func serverCloses(t *testing.T, conn net.Conn, br *bufio.Reader) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the server keeps the connection after its answer: %v", err)
	}
}

// apiError returns a dialect's error code (or rembg.com's message) from a
// JSON error body.
func apiError(v map[string]any) string {
	switch e := v["error"].(type) {
	case map[string]any: // fapihub
		return fmt.Sprint(e["code"])
	case string: // rembg.com
		return e
	}
	if list, ok := v["errors"].([]any); ok && len(list) > 0 { // remove.bg
		return fmt.Sprint(list[0].(map[string]any)["code"])
	}
	return fmt.Sprint(v)
}

// TestAPIBodyBounds: a declared length over the limit is refused before
// any of the body is read, a body that trickles or never ends is cut off
// at api_body_timeout, and an array in a JSON body is refused at its first
// token without the body being buffered or decoded.
func TestAPIBodyBounds(t *testing.T) {
	tester := caddytest.NewTester(t)
	tester.InitServer(apiCaddyfile(t.TempDir(), "", "api_body_timeout 1s"), "caddyfile")

	t.Run("declared Content-Length over the limit", func(t *testing.T) {
		for _, tc := range []struct {
			path   string
			status int
			err    string
		}{
			{"/v1.0/removebg", 400, "file_too_large"},
			// rembg.com's wording and status for a file over its limit
			// (../shared/seeds/rembg-com-api.txt lines 316-318).
			// The limit stated is the file's (max_source_bytes 600KB), not the body's.
			{"/rmbg", 400, "File size (953674.3 MB) exceeds the maximum allowed size of 0.6 MB."},
			// fapihub documents 400 for a bad image, and no 413.
			{"/v2/rembg/", 400, "invalid_image"},
		} {
			conn, br := rawRequest(t, "POST "+tc.path+" HTTP/1.1\r\nHost: localhost:9080\r\nContent-Type: application/json\r\nContent-Length: 1000000000000")
			res, v, took := readAnswer(t, conn, br, 5*time.Second)
			if res.StatusCode != tc.status || apiError(v) != tc.err || took > 2*time.Second {
				t.Errorf("%s: %d %v after %v, want %d %s at once", tc.path, res.StatusCode, v, took, tc.status, tc.err)
			}
		}
	})
	t.Run("a body sent a byte at a time", func(t *testing.T) {
		// fapihub documents no 408: its answer is a 400 invalid_image.
		for _, tc := range []struct {
			path, code string
			status     int
		}{{"/v1.0/removebg", "request_timeout", 408}, {"/v2/rembg/", "invalid_image", 400}} {
			conn, br := rawRequest(t, "POST "+tc.path+" HTTP/1.1\r\nHost: localhost:9080\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000")
			trickle(conn, "a", 200*time.Millisecond)
			res, v, took := readAnswer(t, conn, br, 10*time.Second)
			if res.StatusCode != tc.status || apiError(v) != tc.code || took > 4*time.Second {
				t.Fatalf("%s: %d %v after %v, want %d %s after about 1s", tc.path, res.StatusCode, v, took, tc.status, tc.code)
			}
			if !res.Close {
				t.Errorf("%s: the answer does not say Connection: close", tc.path)
			}
			serverCloses(t, conn, br)
		}
	})
	t.Run("a chunked body that never ends", func(t *testing.T) {
		conn, br := rawRequest(t, "POST /rmbg HTTP/1.1\r\nHost: localhost:9080\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked")
		io.WriteString(conn, "1\r\n{\r\n")
		trickle(conn, "2\r\n  \r\n", 200*time.Millisecond)
		res, v, took := readAnswer(t, conn, br, 10*time.Second)
		if res.StatusCode != http.StatusRequestTimeout || v["status"] != float64(408) || took > 4*time.Second {
			t.Fatalf("%d %v after %v, want 408 after about 1s", res.StatusCode, v, took)
		}
		serverCloses(t, conn, br)
	})
	t.Run("a JSON array is refused as it arrives", func(t *testing.T) {
		// {"x":[0,0,0,...]}: 2 MB, under the 2.4 MB body limit, chunked.
		// Decoded whole, it costs about 80 MB of allocations; walked as a
		// stream, it is refused at "[".
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		conn, br := rawRequest(t, "POST /v1.0/removebg HTTP/1.1\r\nHost: localhost:9080\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked")
		chunk := strings.Repeat("0,", 16<<10)
		go func() {
			io.WriteString(conn, "6\r\n{\"x\":[\r\n")
			frame := strconv.FormatInt(int64(len(chunk)), 16) + "\r\n" + chunk + "\r\n"
			for i := 0; i < (2<<20)/len(chunk); i++ {
				conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
				if _, err := io.WriteString(conn, frame); err != nil {
					return
				}
			}
			io.WriteString(conn, "3\r\n0]}\r\n0\r\n\r\n")
		}()
		res, v, took := readAnswer(t, conn, br, 10*time.Second)
		runtime.ReadMemStats(&after)
		if res.StatusCode != 400 || apiError(v) != "invalid_request_body" || took > 2*time.Second {
			t.Fatalf("%d %v after %v, want 400 invalid_request_body at once", res.StatusCode, v, took)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("the server allocated %d MiB for a refused body", grew>>20)
		}
	})
}

// TestAPIQueueBeforeBody: requests still sending their bodies count
// toward the transform queue, so a further request is refused with 503
// before any of its body is read.
func TestAPIQueueBeforeBody(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big.jpg"), solidJPEG(t, 3000, 3000, color.RGBA{10, 120, 10, 255}), 0o644)
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: time.Minute})
	tester.InitServer(apiCaddyfile(dir, "", "max_source_megapixels 9\n\t\tworkers 1\n\t\tqueue_megapixels 25"), "caddyfile")
	// One transform first, so Matte knows what a job here costs (9 MP).
	// (A connection can still reach the previous test's server as it
	// shuts down: retry.)
	for i := 0; ; i++ {
		res, err := tester.Client.Get(apiBase + "/big.jpg?w=100")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("warm-up: %d", res.StatusCode)
			}
			break
		}
		if i == 5 {
			t.Fatalf("warm-up: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Four uploads that stall after their headers, 9 MP expected each:
	// two would run at once (25 MP of workers), two would wait (18 of the
	// queue's 25 MP). A fifth would take the queue past its limit.
	var stalled []net.Conn
	for i := 0; i < 4; i++ {
		conn, _ := rawRequest(t, "POST /v1.0/removebg HTTP/1.1\r\nHost: localhost:9080\r\nContent-Type: application/json\r\nContent-Length: 10000")
		io.WriteString(conn, `{"image_file_b64":"`)
		stalled = append(stalled, conn)
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	res, body := post(t, tester, "/v1.0/removebg", "application/x-www-form-urlencoded", formOf("image_url", "https://example.com/a.jpg"))
	removeBGError(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// With the queue spoken for, a new variant is refused, but the variant
	// already cached is still served: its stale source memo is revalidated
	// (file_server answers 304) and no transform follows.
	for _, c := range []struct {
		query   string
		status  int
		wantHit bool
	}{{"w=101", http.StatusServiceUnavailable, false}, {"w=100", http.StatusOK, true}} {
		got, err := tester.Client.Get(apiBase + "/big.jpg?" + c.query)
		if err != nil {
			t.Fatalf("%s with the queue full: %v", c.query, err)
		}
		got.Body.Close()
		if got.StatusCode != c.status || c.wantHit && got.Header.Get("X-Cache") == "MISS" {
			t.Errorf("%s with the queue full: %d, X-Cache %q; want %d (a hit: %v)", c.query, got.StatusCode, got.Header.Get("X-Cache"), c.status, c.wantHit)
		}
	}
	// Once the stalled uploads are gone, the queue is free again.
	for _, conn := range stalled {
		conn.Close()
	}
	time.Sleep(time.Second)
	res, body = post(t, tester, "/v1.0/removebg", "application/x-www-form-urlencoded", formOf("size", "hd"))
	removeBGError(t, res, body, http.StatusBadRequest, "missing_source")
}

// apiKeysServer serves the hosted APIs with the model runtime (or skips)
// and directives (api_key blocks, workers, ...) in the matte block, over a
// usage file of the test's own.
func apiKeysServer(t *testing.T, directives string) *caddytest.Tester {
	t.Helper()
	rt := apiRuntime()
	if rt == "" {
		t.Skip("background-removal runtime not fetched; run `make runtime`")
	}
	directives += fmt.Sprintf("\n\t\tapi_usage_file %s", filepath.Join(t.TempDir(), "usage.json"))
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{TestRequestTimeout: 2 * time.Minute})
	tester.InitServer(apiCaddyfile(t.TempDir(), rt, directives), "caddyfile")
	return tester
}

// TestAPIRateBounds: every request that reaches the pipeline spends its
// rate units, whatever its outcome, and an image that weighs more than a
// key's whole per-minute budget costs its full weight.
func TestAPIRateBounds(t *testing.T) {
	tester := apiKeysServer(t, "api_key three {\n\t\t\trate 3\n\t\t}\n\t\tapi_key one {\n\t\t\trate 1\n\t\t}")
	blank := solidPNG(t, 64, 64) // no subject: 400 unknown_foreground

	t.Run("failed inferences count", func(t *testing.T) {
		// The bucket refills one unit every 20 s: on a machine so loaded
		// that the uploads take longer, the refilled units are allowed for,
		// and the 429 below is then not reached.
		start := time.Now()
		for i, remaining := range []int{2, 1, 0} {
			res, body := postParts(t, tester, "/v1.0/removebg", []string{"X-Api-Key", "three"}, file("image_file", blank))
			removeBGError(t, res, body, http.StatusBadRequest, "unknown_foreground")
			refilled := int(time.Since(start) / (20 * time.Second))
			got, err := strconv.Atoi(res.Header.Get("X-RateLimit-Remaining"))
			if err != nil || got < remaining || got > remaining+refilled || res.Header.Get("X-Credits-Charged") != "" {
				t.Fatalf("upload %d: X-RateLimit-Remaining %q, want %d (+%d refilled)", i+1, res.Header.Get("X-RateLimit-Remaining"), remaining, refilled)
			}
		}
		if time.Since(start) >= 20*time.Second {
			t.Skip("the three uploads took over 20 s, so the bucket refilled: the 429 that follows an empty bucket cannot be checked on a machine this loaded")
		}
		res, body := postParts(t, tester, "/v1.0/removebg", []string{"X-Api-Key", "three"}, file("image_file", blank))
		removeBGError(t, res, body, http.StatusTooManyRequests, "rate_limit_exceeded")
		// remove.bg's overview, Rate Limit: "Seconds until rate limit will
		// reset", that is X-RateLimit-Reset, not the 20s to one unit.
		reset, _ := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64)
		ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if wait := int(reset - time.Now().Unix()); err != nil || ra < 20 || ra > 60 || ra < wait-1 || ra > wait+1 {
			t.Errorf("Retry-After %q, X-RateLimit-Reset in %ds: want them equal, above the 20s to one unit", res.Header.Get("Retry-After"), wait)
		}
	})
	t.Run("an image over the whole budget pays its full weight", func(t *testing.T) {
		// 1.5 MP, 2 units (megapixels rounded up, as remove.bg's table
		// has 1600 x 1200 at 2), on a 1-unit key: it waits for a full
		// bucket, then leaves it 1 in debt, so the next request waits 2
		// minutes, not 1.
		wide := solidPNG(t, 1500, 1000)
		start := time.Now()
		res, body := postParts(t, tester, "/v1.0/removebg", []string{"X-Api-Key", "one"}, file("image_file", wide))
		removeBGError(t, res, body, http.StatusBadRequest, "unknown_foreground")
		res, body = postParts(t, tester, "/v1.0/removebg", []string{"X-Api-Key", "one"}, file("image_file", blank))
		removeBGError(t, res, body, http.StatusTooManyRequests, "rate_limit_exceeded")
		// The bucket refills while the first image runs: 120s less that.
		// Capped at the bucket's size, the image would leave a wait of 60s
		// at most; weighed at 1.5 units, 90s.
		elapsed := int(time.Since(start).Seconds())
		if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 120-elapsed-1 || ra > 120 || ra <= 90 {
			t.Errorf("Retry-After %q %ds after a 1.5 MP image on a 1 MP/min key, want about %d", res.Header.Get("Retry-After"), elapsed, 120-elapsed)
		}
		reset, _ := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64)
		if wait := int(reset - time.Now().Unix()); wait < 120-elapsed-2 || wait > 121 {
			t.Errorf("X-RateLimit-Reset in %ds, want about %d", wait, 120-elapsed)
		}
	})
}

// TestAPIImageURLFileLimit: an image_url or bg_image_url over remove.bg's
// file limit (max_file, here 500KB, below max_source_bytes 600KB) is the
// upload's error, 400 file_too_large stating that limit and naming the
// field, whether the origin declares its 2 MB or streams it. (That the
// download stops at the limit is fetch's TestRequestMaxBytes.) A server
// without background removal refuses /v1.0/removebg before downloading
// anything, so image_url is tried through /v1.0/improve, which downloads
// it under the same limit, and bg_image_url only with the runtime.
func TestAPIImageURLFileLimit(t *testing.T) {
	const size = 2_000_000
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		if r.URL.Path == "/declared.jpg" {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		chunk := make([]byte, 16<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	defer origin.Close()
	tester := caddytest.NewTester(t)
	rt, noRembg := rembgRuntime()
	tester.InitServer(apiCaddyfile(t.TempDir(), rt, "removebg max_file 500KB\n\t\tapi_improve_dir "+t.TempDir()), "caddyfile")
	photo := base64.StdEncoding.EncodeToString(testPhoto(t))
	for _, tc := range []struct{ name, field, detail string }{
		{"declared.jpg", "image_url", "image_url: The image is larger than 500000 bytes."},
		{"chunked.jpg", "image_url", "image_url: The image is larger than 500000 bytes."},
		{"declared.jpg", "bg_image_url", "bg_image_url: The image is larger than 500000 bytes."},
		{"chunked.jpg", "bg_image_url", "bg_image_url: The image is larger than 500000 bytes."},
	} {
		path, form := "/v1.0/improve", formOf(tc.field, origin.URL+"/"+tc.name)
		if tc.field == "bg_image_url" {
			if rt == "" {
				t.Logf("%s=%s not tried: %s", tc.field, tc.name, noRembg)
				continue
			}
			path, form = "/v1.0/removebg", formOf("image_file_b64", photo, tc.field, origin.URL+"/"+tc.name)
		}
		res, body := post(t, tester, path, "application/x-www-form-urlencoded", form)
		removeBGError(t, res, body, http.StatusBadRequest, "file_too_large")
		var v struct{ Errors []struct{ Detail string } }
		json.Unmarshal(body, &v)
		if got := v.Errors[0].Detail; got != tc.detail {
			t.Errorf("%s=%s: detail %q, want %q", tc.field, tc.name, got, tc.detail)
		}
	}
}

// TestAPIBMPConvertedInQueue: rembg.com's BMP uploads are turned into PNG
// by their job, under its queue slot and worker, not before admission, so
// a flood of BMPs decodes and encodes no more at once than the workers
// run. With the one worker held by a conversion, a second BMP is admitted
// and waits for the worker without converting; once the first is let go
// both are answered, and no two conversions ran at once. A BMP whose
// pixels do not decode (found by the job) is answered with rembg.com's
// message and charges no credit.
func TestAPIBMPConvertedInQueue(t *testing.T) {
	tester := apiKeysServer(t, "workers 1\n\t\tqueue_megapixels 25\n\t\tapi_key bmp-key {\n\t\t\tcredits 5\n\t\t}")

	var running, most, converted atomic.Int32
	g := newGate()
	started, open := g.started, g.open
	t.Cleanup(caddymodule.SetBeforeConvert(func(ctx context.Context) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		converted.Add(1)
		g.hold(ctx)
	}))
	t.Cleanup(open) // before the hook is removed

	bmpBody := func(img image.Image, cut int) (string, []byte) {
		var file, body bytes.Buffer
		if err := bmp.Encode(&file, img); err != nil {
			t.Fatal(err)
		}
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreateFormFile("image", "input.bmp")
		w.Write(file.Bytes()[:file.Len()-cut])
		mw.Close()
		return mw.FormDataContentType(), body.Bytes()
	}
	type answer struct {
		status int
		ct     string
		body   []byte
		err    error
	}
	send := func(ct string, body []byte) <-chan answer {
		out := make(chan answer, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, apiBase+"/rmbg", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("x-api-key", "bmp-key")
			res, err := tester.Client.Do(req)
			if err != nil {
				out <- answer{err: err}
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			out <- answer{res.StatusCode, res.Header.Get("Content-Type"), b, err}
		}()
		return out
	}
	// The result cache is pooled across the Caddy instances of one process
	// (other tests, -count=2): a BMP answered from it would never reach
	// the conversion. Each solid image therefore carries this run's nonce
	// (the clock, and which image) in its first row.
	nonce := uint64(time.Now().UnixNano())
	var made uint64
	solid := func(c color.RGBA) image.Image {
		img := image.NewRGBA(image.Rect(0, 0, 40, 30))
		draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
		made++
		for i, v := range []uint64{nonce, made} {
			for b := range 8 {
				img.Pix[4*(8*i+b)] = uint8(v >> (8 * b)) // red of pixel 8i+b: the alpha stays 255
			}
		}
		return img
	}

	first := send(bmpBody(solid(color.RGBA{200, 10, 10, 255}), 0))
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the first BMP's conversion did not start")
	}
	second := send(bmpBody(solid(color.RGBA{10, 10, 200, 255}), 0))
	// The second is admitted (1 MP beside the first's 1 MP in flight) and
	// waits for the worker the first holds.
	for deadline := time.Now().Add(10 * time.Second); metricValue(t, "matte_queue_inflight_megapixels") < 2; time.Sleep(20 * time.Millisecond) {
		if n := converted.Load(); n != 1 {
			t.Fatalf("%d BMPs converted while the one worker was held by the first", n)
		}
		if time.Now().After(deadline) {
			t.Fatal("the second BMP was not admitted beside the first")
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := converted.Load(); n != 1 {
		t.Fatalf("%d BMPs converted while the one worker was held by the first", n)
	}
	open()
	for i, ch := range []<-chan answer{first, second} {
		select {
		case a := <-ch:
			if a.err != nil || a.status != 200 || a.ct != "image/webp" { // rembg.com answers WebP by default
				t.Fatalf("BMP %d: %d %q %v %.200s", i+1, a.status, a.ct, a.err, a.body)
			}
		case <-time.After(time.Minute):
			t.Fatalf("BMP %d: no answer", i+1)
		}
	}
	if n, m := converted.Load(), most.Load(); n != 2 || m != 1 {
		t.Fatalf("%d conversions, at most %d at once; want 2, one at a time", n, m)
	}

	// An 8-bit BMP keeps its header and palette but loses most of its
	// pixel rows: its header passes, its pixels do not decode.
	a := <-send(bmpBody(image.NewGray(image.Rect(0, 0, 40, 30)), 1000))
	if want := `{"error":"` + rembgcom.MsgCorrupt + `","field":"image","status":400}`; a.err != nil || a.status != 400 || string(a.body) != want {
		t.Fatalf("a BMP that does not decode: %d %v %s, want 400 %s", a.status, a.err, a.body, want)
	}
	if n := converted.Load(); n != 3 {
		t.Fatalf("%d conversions, want the job's third", n)
	}
	if got := accountCredits(t, tester, "bmp-key"); got != 3 {
		t.Fatalf("%v credits left of 5 after two images and a BMP that did not decode, want 3", got)
	}
}

// TestAPIBMPEncodedInJob: rembg.com's format=bmp answer is re-encoded from
// the pipeline's PNG by its render job, on its worker and queue slot, with
// what the encoder allocates held in max_buffered_bytes, and the result
// cache keeps the BMP: a repeat is answered from it, the same bytes,
// without encoding again, and format=png of the same image is a result of
// its own (a key apart), not the BMP. While a stalled upload holds most of
// the budget, an encoding that does not fit is refused with rembg.com's
// 503 (and Retry-After), where the same image as PNG is answered.
func TestAPIBMPEncodedInJob(t *testing.T) {
	// max_buffered_bytes 2500KB: a stalled upload of 2 420 000 bytes
	// leaves about 80 KB of it, for a body, not for an encoding.
	tester := apiKeysServer(t, "workers 1\n\t\tqueue_megapixels 25\n\t\tmax_buffered_bytes 2500KB\n\t\tapi_key bmp-key {\n\t\t\tcredits 20\n\t\t}")

	var encoded atomic.Int32
	var held atomic.Int64
	g := newGate()
	t.Cleanup(caddymodule.SetEncoding(func(ctx context.Context, n int64) {
		held.Store(n)
		if encoded.Add(1) == 1 {
			g.hold(ctx)
		}
	}))
	t.Cleanup(g.open) // before the hook is removed

	// The result cache is pooled across the Caddy instances of one process:
	// each image carries this run's nonce in its first row, so that its
	// first request is a miss.
	nonce := uint64(time.Now().UnixNano())
	photo := func(which uint64) []byte {
		img := image.NewNRGBA(image.Rect(0, 0, 400, 300))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+3] = 200, 255
		}
		for i, v := range []uint64{nonce, which} {
			for b := range 8 {
				img.Pix[4*(8*i+b)+1] = uint8(v >> (8 * b)) // green of pixel 8i+b
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	key := []string{"x-api-key", "bmp-key"}
	type answer struct {
		res  *http.Response
		body []byte
	}
	send := func(img []byte, format string) answer {
		res, body := postParts(t, tester, "/rmbg", key, file("image", img), field("format", format))
		return answer{res, body}
	}
	isBMP := func(name string, a answer) {
		t.Helper()
		cfg, err := bmp.DecodeConfig(bytes.NewReader(a.body))
		if a.res.StatusCode != 200 || a.res.Header.Get("Content-Type") != "image/bmp" || err != nil ||
			cfg.Width != 400 || cfg.Height != 300 || a.res.Header.Get("X-Width") != "400" || a.res.Header.Get("X-Height") != "300" {
			t.Fatalf("%s: %d %q %v %+v %.200q", name, a.res.StatusCode, a.res.Header.Get("Content-Type"), err, cfg, a.body)
		}
	}

	first := photo(1)
	done := make(chan answer, 1)
	go func() { done <- send(first, "bmp") }()
	select {
	case <-g.started:
	case <-time.After(90 * time.Second):
		t.Fatal("the BMP was not encoded")
	}
	// Held by the hook: the encoding is its job's, which holds its queue
	// slot, and its bytes are counted.
	if mp := metricValue(t, "matte_queue_inflight_megapixels"); mp < 1 {
		t.Errorf("%v megapixels in flight while the BMP is encoded, want its job's 1", mp)
	}
	if n, b := held.Load(), metricValue(t, "matte_buffered_bytes"); n < 400*300*4 || b < float64(n) {
		t.Errorf("the encoding holds %d bytes, %v buffered; want at least its 480000 bytes of BMP, counted", n, b)
	}
	g.open()
	a := <-done
	isBMP("the first format=bmp", a)

	again := send(first, "bmp")
	isBMP("a repeat", again)
	if !bytes.Equal(again.body, a.body) {
		t.Error("a repeat answered other bytes than the first")
	}
	if n := encoded.Load(); n != 1 {
		t.Fatalf("%d encodings after a repeat, want 1: a cached BMP is served as stored", n)
	}
	asPNG := send(first, "png")
	if asPNG.res.StatusCode != 200 || asPNG.res.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(asPNG.body, []byte("\x89PNG")) {
		t.Fatalf("format=png of the same image: %d %q %.20q", asPNG.res.StatusCode, asPNG.res.Header.Get("Content-Type"), asPNG.body)
	}
	if n := encoded.Load(); n != 1 {
		t.Fatalf("%d encodings after format=png, want 1", n)
	}

	// stallUpload's, with the key this server requires.
	conn, _ := rawRequest(t, fmt.Sprintf("POST /v1.0/removebg HTTP/1.1\r\nHost: localhost:9080\r\nX-Api-Key: bmp-key\r\nContent-Type: application/json\r\nContent-Length: %d", 2_440_000))
	defer conn.Close()
	io.WriteString(conn, `{"image_file_b64":"`+strings.Repeat("A", 2_420_000))
	waitMetric(t, "matte_buffered_bytes", func(v float64) bool { return v >= 2_420_000 })
	second := photo(2)
	refused := send(second, "bmp")
	want := `{"error":"Too many images are waiting to be processed; try again shortly.","field":"","status":503}`
	if refused.res.StatusCode != 503 || string(refused.body) != want || refused.res.Header.Get("Retry-After") == "" {
		t.Fatalf("an encoding past the budget: %d %s (Retry-After %q), want 503 %s", refused.res.StatusCode, refused.body, refused.res.Header.Get("Retry-After"), want)
	}
	if asPNG := send(second, "png"); asPNG.res.StatusCode != 200 || asPNG.res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("the same image as PNG beside the stalled upload: %d %.200s", asPNG.res.StatusCode, asPNG.body)
	}

	// Four answers charged, the refused one not. A charge is saved once
	// its answer is written: wait for the last, before the usage file's
	// directory is removed.
	var left float64
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if left = accountCredits(t, tester, "bmp-key"); left <= 16 || time.Now().After(deadline) {
			break
		}
	}
	if left != 16 {
		t.Fatalf("%v credits left of 20 after four images and a refused encoding, want 16", left)
	}
}

// accountCredits is the total of key's credits as remove.bg's
// GET /v1.0/account answers it on apiBase.
func accountCredits(t *testing.T, tester *caddytest.Tester, key string) float64 {
	t.Helper()
	res, body := get(t, tester, apiBase+"/v1.0/account", "X-Api-Key", key)
	var acct struct {
		Data struct {
			Attributes struct {
				Credits struct {
					Total float64 `json:"total"`
				} `json:"credits"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &acct); err != nil || res.StatusCode != 200 {
		t.Fatalf("account: %d %v %s", res.StatusCode, err, body)
	}
	return acct.Data.Attributes.Credits.Total
}
