package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// Before its fetch a request whose source a memo describes is counted at
// its own cost, not at the recent average: a thumbnail of a known small
// source is not refused because the queue holds large ones.
func TestQueueFullCountsAKnownCost(t *testing.T) {
	pool, err := admission.New(admission.Config{Capacity: 25, MaxQueueCost: 50})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{QueueMegapixels: 50}
	h.guard.admit, h.guard.load = pool, &fetchLoad{}
	h.guard.load.avgCost.Store(25 << 10) // recent jobs: 25 MP each

	running, err := pool.Acquire(context.Background(), 25)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pool.Acquire(ctx, 15) // two jobs wait behind the running one
	go pool.Acquire(ctx, 15)
	for deadline := time.Now().Add(5 * time.Second); pool.Stats().QueuedCost != 30; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the jobs did not queue")
		}
	}
	defer running()

	for _, tc := range []struct {
		cost int64
		full bool
	}{
		{0, true},   // unknown: counted at the average, 30 + 25 > 50
		{25, true},  // known and as large
		{9, false},  // known and small: 30 + 9 fits
		{20, false}, // exactly fills the queue
		{21, true},
	} {
		if got := h.queueFull(tc.cost); got != tc.full {
			t.Errorf("queueFull(%d) = %v, want %v (30 MP queued of 50)", tc.cost, got, tc.full)
		}
	}
}

// A late frame of an animation is charged every frame decoded for it: a
// GIF's frame N is drawn over the N-1 before it, so frame=200 of a
// 2000x2000 GIF decodes 200 canvases, 800 MP, not the 4 MP of one. The
// request's FramesDecoded (useSource) is what admit weighs.
func TestAdmitChargesTheFramesDecoded(t *testing.T) {
	pool, err := admission.New(admission.Config{Capacity: 10000, MaxQueueCost: 10000})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{QueueMegapixels: 10000, pipeline: transform.NewPipeline(transform.Options{Limits: transform.Limits{MaxOutputDimension: 8192}})}
	h.guard.admit, h.guard.load = pool, &fetchLoad{}
	info := transform.Source{Type: params.FormatGIF, TypeName: "gif", Width: 2000, Height: 2000, Pages: 200}
	for _, tc := range []struct {
		query string
		mp    int64
	}{
		{"w=10&fm=png", 4},                 // the first frame
		{"w=10&fm=png&frame=1", 4},         // the same
		{"w=10&fm=png&frame=10", 40},       // frames 1 to 10
		{"w=10&fm=png&frame=200", 800},     // every frame, for the last
		{"w=10&fm=gif&frame=150-200", 800}, // frames 1 to 200, 51 played
		{"w=10&fm=gif", 800},               // every frame, played
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		p, err := imgix.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		req := &imageRequest{Params: p, r: httptest.NewRequest(http.MethodGet, "/b.gif?"+tc.query, nil)}
		h.useSource(req, sourceMemo{Hash: "source", Info: info})
		release, err := h.admit(context.Background(), req.Memo.Info, req.FramesDecoded)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if got := pool.Stats().InFlight; got != tc.mp {
			t.Errorf("%s: charged %d MP, want %d", tc.query, got, tc.mp)
		}
		release()
	}
}

// A request refused because max_buffered_bytes was held was logged as
// "matte: queue full", sending an operator to queue_megapixels. It keeps
// the queue's 503 (code overloaded, Retry-After, an overloadError for the
// rate units given back) but its logged cause names max_buffered_bytes.
func TestBuffersFullHasItsOwnCause(t *testing.T) {
	pool, err := admission.New(admission.Config{Capacity: 25, MaxQueueCost: 50})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	h := &Handler{logger: zap.New(core)}
	h.guard.admit = pool
	err = h.buffersFull()
	var oe overloadError
	if !errors.Is(err, errBuffersFull) || !errors.As(err, &oe) {
		t.Errorf("buffersFull() = %v: want errBuffersFull and an overloadError", err)
	}
	rec := httptest.NewRecorder()
	_ = h.writeError(rec, httptest.NewRequest(http.MethodGet, "/a.jpg?w=10", nil), err)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"overloaded"`) {
		t.Errorf("answer %d %q, Retry-After %q: want the queue's 503", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	for _, e := range logs.All() {
		logged := fmt.Sprint(e.ContextMap()["error"])
		if strings.Contains(logged, "queue full") || !strings.Contains(logged, "max_buffered_bytes") {
			t.Errorf("logged %q %q: want the cause max_buffered_bytes, not the queue", e.Message, logged)
		}
	}
	if logs.Len() == 0 {
		t.Error("nothing logged")
	}
}
