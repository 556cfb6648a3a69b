package caddymodule

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/jebosio/matte/transform"
)

// Timings people can see: the Server-Timing header (when server_timing is
// on), the stage histograms and request counter (metrics.go), and the log
// of each image answered (served). All three read the same requestTimings.

// Stage names outside the pipeline's own (transform.Stage).
const (
	stageFetch = "fetch" // reading the source (next handler, origin) and probing it
	stageQueue = "queue" // waiting for the transform queue and a worker
	stageCache = "cache" // result and source cache lookups and stores
)

// timingStages are the values of the metrics' stage label, in the order
// Server-Timing lists them.
var timingStages = []string{stageFetch, stageQueue, "decode", "inference", "resize", "composite", "encode", stageCache}

// requestTimings is where one image request's time went. Only the goroutine
// serving the request touches it; the transform's part (transformTimings,
// filled in the cache flight's goroutine) is copied in by render once the
// flight is over.
type requestTimings struct {
	fetch, queue, cache time.Duration
	pipeline            transform.Timings
	// fetched: the source was read or revalidated (fetch is set). ran: this
	// request ran the pipeline (queue and pipeline are set). inference: it
	// asked for background removal or faces (the inference stage is shown).
	fetched, ran, inference bool
	// bytesIn is the source's size; 0 when it was not read.
	bytesIn int
	// outcome is X-Cache's value: MISS, HIT-MEMORY, HIT-DISK, ...
	outcome string
}

// transformTimings is what one transform call (Handler.transform) spent.
type transformTimings struct {
	queue, total time.Duration
	pipeline     transform.Timings
}

// addCache adds the time since start to the cache stage.
func (t *requestTimings) addCache(start time.Time) { t.cache += time.Since(start) }

// addFetch adds the time since start to the fetch stage.
func (t *requestTimings) addFetch(start time.Time) {
	t.fetch += time.Since(start)
	t.fetched = true
}

// addFlight records a cache.Do call of elapsed that ran this request's
// transform (tt, when ran): the transform's stages, and the rest as cache.
func (t *requestTimings) addFlight(elapsed time.Duration, tt *transformTimings, ran bool) {
	if !ran {
		t.cache += elapsed
		return
	}
	t.cache += max(elapsed-tt.total, 0)
	t.queue += tt.queue
	for s, d := range tt.pipeline {
		t.pipeline[s] += d
	}
	t.ran = true
}

// each calls fn for every stage this request went through, in
// timingStages' order: fetch when the source was read, the transform's
// stages when it ran here (inference only for a removal or faces), cache always.
func (t *requestTimings) each(fn func(stage string, d time.Duration)) {
	if t.fetched {
		fn(stageFetch, t.fetch)
	}
	if t.ran {
		fn(stageQueue, t.queue)
		for s := range transform.NumStages {
			if s != transform.StageInference || t.inference {
				fn(s.String(), t.pipeline[s])
			}
		}
	}
	fn(stageCache, t.cache)
}

// serverTiming is the Server-Timing header value: `name;dur=<ms>` per
// stage, the cache entry carrying the outcome (`cache;desc=HIT-MEMORY;dur=0.02`).
func (t *requestTimings) serverTiming() string {
	b := make([]byte, 0, 192)
	t.each(func(stage string, d time.Duration) {
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, stage...)
		if stage == stageCache && t.outcome != "" {
			b = append(b, ";desc="...)
			b = append(b, t.outcome...)
		}
		b = append(b, ";dur="...)
		b = strconv.AppendFloat(b, ms(d), 'f', 2, 64)
	})
	return string(b)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// MarshalLogObject writes the stages as <stage>_ms fields.
func (t *requestTimings) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	t.each(func(stage string, d time.Duration) { enc.AddFloat64(stage+"_ms", ms(d)) })
	return nil
}

// servedImage is what the log says of the image answered.
type servedImage struct {
	ContentType   string
	Bytes         int
	Model         string
	Width, Height int
}

// servedLog is what Matte logs of one image answer. A snapshot taken when
// the answer is ready: Caddy writes its access log after the handler has
// returned.
type servedLog struct {
	dialect string
	timings requestTimings
	img     servedImage
}

// MarshalLogObject writes the fields the README documents (Observability).
func (l *servedLog) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("dialect", l.dialect)
	enc.AddString("cache", l.timings.outcome)
	enc.AddString("model", l.img.Model)
	enc.AddInt("bytes_in", l.timings.bytesIn)
	enc.AddInt("bytes_out", l.img.Bytes)
	enc.AddString("format", l.img.ContentType)
	enc.AddInt("width", l.img.Width)
	enc.AddInt("height", l.img.Height)
	return enc.AddObject("timings", &l.timings)
}

// served records an image answer before it is written: the Server-Timing
// header (when enabled) on w, the metrics, and the log. The log is Caddy's
// access log, where these fields join the request's line as the object
// "matte" (when the site has a `log`), and a DEBUG line "image served" of
// the handler's own logger. Not an INFO line per answer: at cache-hit
// rates, writing it cost 5% of a hit's CPU, and Caddy's handlers leave
// per-request lines to the access log.
func (h *Handler) served(w http.ResponseWriter, r *http.Request, req *imageRequest, img servedImage) {
	t := &req.timings
	if h.ServerTiming {
		w.Header().Set("Server-Timing", t.serverTiming())
	}
	h.metrics.observeRequest(req.Dialect, t)
	extra, _ := r.Context().Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields)
	ce := h.logger.Check(zap.DebugLevel, "image served")
	if extra == nil && ce == nil {
		return
	}
	l := &servedLog{dialect: req.Dialect, timings: *t, img: img}
	if extra != nil {
		extra.Set(zap.Object("matte", l))
	}
	if ce != nil {
		ce.Write(zap.Inline(l))
	}
}
