package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/jebosio/matte/admission"
	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// The one hosted-API flow. Every dialect (a dialect.API) runs through it:
//
//	authenticate → refuse a declared Content-Length over the body limit →
//	rate budget pre-check → transform queue check → read the body (bounded
//	in bytes, per field and in time, and by max_buffered_bytes with the
//	downloads) → parse → fetch image_url → probe (a BMP: its header) →
//	plan → admit (rate units, credits) → render (the job: queue slot,
//	worker, a BMP's conversion, the pipeline, an Encoding's re-encoding) →
//	settle → respond
//
// Nothing is read from the body before the key, the declared length, the
// rate budget and the queue have been checked. A failure at any step is a
// dialect.Failure, worded and written by the dialect. Credits are charged
// for a delivered image only; rate units are spent by every request that
// reached the pipeline, whatever its outcome (issue 16).

// apiFieldBytes bounds one text field of an API body (the base64 image
// fields are bounded by the body limit only).
const apiFieldBytes = 64 << 10

// apiCall is one request to a hosted-API route on its way through the flow.
type apiCall struct {
	st     *apiState
	api    *dialect.API
	route  dialect.Route
	w      http.ResponseWriter
	r      *http.Request
	caller apiCaller
	// hold is the call's share of max_buffered_bytes: its body and the
	// images it downloads (serveImage and serveSubmit take it before the
	// body is read, and release it when they return).
	hold *admission.Hold
}

// apiInputs are a request's images, read and probed.
type apiInputs struct {
	src  []byte
	info transform.Source
	bg   []byte // nil: no background image
	tag  string // the source URL; "" for an upload
	// convert, when set, turns src into a source the pipeline loads (a
	// BMP upload into PNG); info then holds only what src's header says
	// (its size), which is all that planning and admission read. The job
	// runs it (imageRequest.convert).
	convert func([]byte) ([]byte, error)
}

// fail answers f in the dialect's words, with the caller's rate headers.
func (c *apiCall) fail(f dialect.Failure) { c.writeErrors(c.api.Fail(f), c.caller.rate()) }

// writeErrors writes errs in the dialect's shape; rl, when not nil, gives
// the rate headers (and a refusal's wait).
func (c *apiCall) writeErrors(errs params.Errors, rl *rateState) {
	var retry time.Duration
	if rl != nil {
		setRateHeaders(c.w, *rl)
		retry = rl.retryAfter()
	}
	c.api.WriteErrors(c.w, errs, retry)
}

// authenticate finds the caller by the dialect's key header, or answers.
func (c *apiCall) authenticate() bool {
	caller, af := c.st.authenticate(c.r, c.api.KeyHeader)
	switch af {
	case authMissing:
		c.fail(dialect.Failure{Kind: dialect.FailKeyMissing})
		return false
	case authInvalid:
		c.fail(dialect.Failure{Kind: dialect.FailKeyInvalid})
		return false
	}
	c.caller = caller
	return true
}

// serveAccount answers an account route with the key's credits left this
// month (unlimitedCredits without a quota, or on an open API).
func (c *apiCall) serveAccount() {
	if !c.authenticate() {
		return
	}
	total := float64(unlimitedCredits)
	if k := c.caller.key; k != nil && k.Credits != nil {
		total = c.caller.keys.store.remaining(c.caller.id, k.Credits)
	}
	if rl := c.caller.rate(); rl != nil {
		setRateHeaders(c.w, *rl)
	}
	c.api.Account(c.w, total)
}

// serveUsage answers a usage route from the key's monthly records (the
// current month alone, with nothing used, on an open API).
func (c *apiCall) serveUsage() {
	if !c.authenticate() {
		return
	}
	now := time.Now()
	rec := dialect.UsageRecords{Now: now, Credits: unlimitedCredits,
		Months: []dialect.MonthUsage{{Start: time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)}}}
	if k := c.caller.key; k != nil {
		store := c.caller.keys.store
		rec.Now, rec.Months = store.clock(), store.months(c.caller.id)
		if k.Credits != nil {
			rec.Credits = *k.Credits
		}
	}
	rl := c.caller.rate()
	if rl != nil {
		setRateHeaders(c.w, *rl)
	}
	if errs := c.api.Usage(c.w, c.r.URL.Query(), rec); errs != nil {
		c.writeErrors(errs, rl)
	}
}

// serveImage runs an image route through the flow.
func (c *apiCall) serveImage() {
	limit, ok := c.open()
	if !ok {
		return
	}
	if err := c.st.queueFull(c.w); err != nil {
		c.fail(dialect.Failure{Kind: dialect.FailTransform, Err: err})
		return
	}
	// Reading the body counts as fetching a source: a burst of uploads
	// fills the queue's estimate before they are admitted.
	fetched := c.st.h.startFetch()
	defer fetched()
	c.hold = c.st.h.holdBytes()
	defer c.hold.Release()
	req, ok := c.parse(limit)
	if !ok {
		return
	}
	// Before inputs: a server that cannot remove backgrounds downloads
	// no image_url or bg_image_url for a request it will refuse.
	if c.st.unavailable() {
		c.fail(dialect.Failure{Kind: dialect.FailUnavailable})
		return
	}
	in, ok := c.inputs(req)
	if !ok {
		return
	}
	fetched()
	plan, errs := req.Plan(in.info.Width, in.info.Height, in.bg)
	if errs != nil {
		c.writeErrors(errs, c.caller.rate())
		return
	}
	c.render(req, in, plan)
}

// parse reads the body within limit and the body timeout, and parses it.
func (c *apiCall) parse(limit int64) (dialect.Request, bool) {
	body, ok := c.body(limit)
	if !ok {
		return nil, false
	}
	req, errs := c.api.Parse(c.route.Endpoint, body, c.st.maxFile(c.api))
	if errs != nil {
		c.writeErrors(errs, c.caller.rate())
		return nil, false
	}
	return req, true
}

// open starts a route with a body: it authenticates the caller and, before
// any of the body is read, refuses a declared Content-Length over the body
// limit and a rate budget that cannot pay one unit. It returns the limit,
// or false once it has answered.
func (c *apiCall) open() (int64, bool) {
	if !c.authenticate() {
		return 0, false
	}
	limit := c.st.bodyLimit(c.api)
	if n := c.r.ContentLength; n > limit {
		c.w.Header().Set("Connection", "close")
		c.fail(dialect.Failure{Kind: dialect.FailBodyTooLarge, Size: n, Limit: limit, FileLimit: c.st.maxFile(c.api)})
		return 0, false
	}
	if rl, ok := c.caller.precheck(); !ok {
		c.writeErrors(c.api.Fail(dialect.Failure{Kind: dialect.FailRateLimited}), rl)
		return 0, false
	}
	return limit, true
}

// body reads the body within limit and the body timeout, or answers why
// it cannot.
func (c *apiCall) body(limit int64) (*dialect.Body, bool) {
	body, err := c.readBody(limit)
	if err == nil {
		return body, true
	}
	var be *dialect.BodyError
	if !errors.As(err, &be) {
		be = &dialect.BodyError{Msg: "The request body could not be read.", Err: err}
	}
	switch {
	case errors.Is(err, errBuffersFull):
		c.w.Header().Set("Connection", "close")
		c.fail(dialect.Failure{Kind: dialect.FailTransform, Err: c.st.h.buffersFull()})
		return nil, false
	case be.TooLarge:
		c.w.Header().Set("Connection", "close")
		c.fail(dialect.Failure{Kind: dialect.FailBodyTooLarge, Limit: limit, FileLimit: c.st.maxFile(c.api)})
	case be.Timeout:
		c.w.Header().Set("Connection", "close")
		c.fail(dialect.Failure{Kind: dialect.FailBodyTimeout, Detail: fmt.Sprintf("The request body did not arrive within %s.", c.bodyTimeout())})
	default:
		c.fail(dialect.Failure{Kind: dialect.FailBody, Field: be.Field, Detail: be.Msg})
	}
	c.st.logger.Debug("API body refused", zap.String("uri", c.r.RequestURI), zap.Error(err), zap.NamedError("cause", be.Err))
	return nil, false
}

// bodyTimeout is the configured body timeout, or the server's read
// timeout when that is shorter.
func (c *apiCall) bodyTimeout() time.Duration {
	d := c.st.bodyTimeout
	if srv, ok := c.r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 && srv.ReadTimeout < d {
		d = srv.ReadTimeout
	}
	return d
}

// readBody reads the body under a read deadline on the connection, so a
// body that trickles or never ends fails when the timeout passes. Once the
// body is read the deadline is lifted: the server's background read, which
// watches for a client that leaves, must not fail the render. After a
// failure it stays, so that the server's draining of the rest of the body
// (up to 256 KiB, after the answer) stops at it too.
func (c *apiCall) readBody(limit int64) (*dialect.Body, error) {
	deadline := time.Now().Add(c.bodyTimeout())
	var body io.Reader = admission.Reader{R: http.MaxBytesReader(c.w, c.r.Body, limit), Take: takeOrFull(c.hold)}
	rc := http.NewResponseController(c.w)
	onConn := rc.SetReadDeadline(deadline) == nil
	if !onConn {
		body = &deadlineReader{r: body, deadline: deadline}
	}
	lim := dialect.Limits{MaxBytes: limit, MaxFieldBytes: apiFieldBytes, LargeFields: c.api.LargeFields}
	b, err := dialect.ReadBody(c.r.Header.Get("Content-Type"), body, lim)
	if err == nil && onConn {
		_ = rc.SetReadDeadline(time.Time{})
	}
	return b, err
}

// deadlineReader fails every read that starts after its deadline: the
// fallback for a connection whose read deadline cannot be set. It stops a
// body that trickles; a read that blocks is left to the server's own read
// timeouts.
type deadlineReader struct {
	r        io.Reader
	deadline time.Time
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if time.Now().After(d.deadline) {
		return 0, os.ErrDeadlineExceeded
	}
	return d.r.Read(p)
}

// inputs reads and probes the source and the background image.
func (c *apiCall) inputs(req dialect.Request) (apiInputs, bool) {
	source, background := req.Images()
	var in apiInputs
	var ok bool
	if in.src, ok = c.image(source, false); !ok {
		return in, false
	}
	in.tag = source.URL
	var err error
	if c.api.BMPInput && dialect.IsBMP(in.src) {
		in.info, in.convert, err = c.bmpSource(in.src)
	} else {
		in.info, err = c.st.h.pipeline.Probe(in.src)
	}
	if err != nil {
		if !c.refusedSize(req, err) {
			c.fail(dialect.Failure{Kind: dialect.FailProbe, Field: source.Field, Err: err})
		}
		return in, false
	}
	if background == nil {
		return in, true
	}
	if in.bg, ok = c.image(*background, true); !ok {
		return in, false
	}
	if _, err := c.st.h.pipeline.Probe(in.bg); err != nil {
		c.fail(dialect.Failure{Kind: dialect.FailProbe, Field: background.Field, Err: err, Background: true})
		return in, false
	}
	return in, true
}

// bmpSource probes a BMP upload from its header alone (dialect.BMPSize),
// refusing before admission what that finds, and returns its conversion to
// PNG for the job to run under its queue slot and worker: decoding and
// encoding the pixels is work the queue bounds, as the pipeline's is, so a
// flood of BMPs does no more at once than the workers run. The Source is
// the PNG's to be, as far as the header tells (Type, size, one page).
func (c *apiCall) bmpSource(src []byte) (transform.Source, func([]byte) ([]byte, error), error) {
	maxPixels := int64(c.st.h.MaxSourceMegapixels * 1e6)
	w, h, perr := dialect.BMPSize(src, maxPixels)
	if perr != nil {
		return transform.Source{}, nil, perr
	}
	convert := func(b []byte) ([]byte, error) {
		out, perr := dialect.BMPToPNG(b, maxPixels)
		if perr != nil {
			return nil, perr
		}
		return out, nil
	}
	return transform.Source{Type: params.FormatPNG, TypeName: "png", Width: w, Height: h, Pages: 1}, convert, nil
}

// refusedSize answers a source that err refuses for its resolution with
// the dialect's own refusal of its size, where the API documents one
// (dialect.SizeChecker: rembg.com's per-side limit and message), and
// reports whether it did. Matte's megapixel limit is checked first, from the
// header, so without this a source over both would get Matte's wording.
func (c *apiCall) refusedSize(req dialect.Request, err error) bool {
	sc, ok := req.(dialect.SizeChecker)
	var size *params.SourceSize
	if !ok || !errors.As(err, &size) {
		return false
	}
	errs := sc.CheckSize(size.Width, size.Height)
	if errs == nil {
		return false
	}
	c.writeErrors(errs, c.caller.rate())
	return true
}

// image returns img's bytes, downloading a URL through the SSRF-safe
// fetcher. The download stops at the dialect's file limit (maxFile), and
// one over it is refused as an upload over it is: FailProbe with a
// params.CodeSourceTooLarge error stating that limit, whatever the
// fetcher's own limit.
func (c *apiCall) image(img dialect.Image, background bool) ([]byte, bool) {
	if img.URL == "" {
		return img.Data, true
	}
	limit := c.st.maxFile(c.api)
	tooLarge := func() {
		err := &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge, Title: "Source too large",
			Field: img.Field, Detail: fmt.Sprintf("%s: The image is larger than %d bytes.", img.Field, limit)}
		c.fail(dialect.Failure{Kind: dialect.FailProbe, Field: img.Field, Err: err, Background: background, FileLimit: limit})
	}
	data, err := c.st.fetchImage(c.r.Context(), img.URL, limit, c.hold)
	var fe *fetch.FetchError
	switch {
	case errors.As(err, &fe) && fe.Kind == fetch.KindTooLarge:
		tooLarge()
		return nil, false
	case errors.As(err, &fe):
		c.fail(fetchFailure(img.Field, fe))
		return nil, false
	case err != nil: // max_buffered_bytes
		c.fail(dialect.Failure{Kind: dialect.FailTransform, Err: err})
		return nil, false
	}
	if int64(len(data)) > limit { // the fetcher stops at limit; kept as a guard
		tooLarge()
		return nil, false
	}
	return data, true
}

// fetchFailure is the failure of a download of field's URL that is not
// over the file limit. Denied (the dialect's refused-URL answer) is only
// for a URL refused as written: its syntax, scheme, host, allowlist or a
// literal address. A name that resolves to a refused address is answered
// as a name that does not resolve is (fetch.FetchError.ClientKind): else
// a client could probe which internal names exist.
func fetchFailure(field string, fe *fetch.FetchError) dialect.Failure {
	kind := fe.ClientKind()
	return dialect.Failure{Kind: dialect.FailFetch, Field: field, Detail: fe.Detail(),
		Denied: kind == fetch.KindInvalidURL || kind == fetch.KindDenied}
}

// render admits the request, renders it, settles its credits and rate
// units, and answers. serveImage has refused it already on a server that
// cannot remove backgrounds (unavailable), before its inputs.
func (c *apiCall) render(req dialect.Request, in apiInputs, plan dialect.Plan) {
	cheaper := 0.0
	if plan.Cheaper != nil {
		cheaper = plan.Cheaper.Credits
	}
	adm, tookCheaper, refused, rl := c.caller.admit(in.info.Width, in.info.Height, plan.Credits, cheaper)
	if tookCheaper {
		plan = *plan.Cheaper
	}
	if refused != nil {
		c.writeErrors(c.api.Fail(*refused), rl)
		return
	}
	res, ireq, err := c.st.renderAPI(c.r.Context(), c.api.Name, in, plan, c.hold)
	if err != nil {
		// A request refused by a full queue did no work and gets its rate
		// units back. Any other failure may have run the pipeline and
		// keeps them, a client that left included: the rate bounds the
		// work a key causes, and leaving near the end must not dodge it.
		var oe overloadError
		adm.done(false, !errors.As(err, &oe), c.st.logger)
		c.st.failed(c.w, c.r, err)
		c.fail(dialect.Failure{Kind: dialect.FailTransform, Err: err})
		return
	}
	if plan.NeedForeground && !res.Found() {
		adm.done(false, true, c.st.logger)
		c.fail(dialect.Failure{Kind: dialect.FailNoForeground})
		return
	}
	c.deliver(req, res, adm, ireq)
}

// deliver answers a rendered request, in the format its render made (a
// Plan's Encoding included), and then settles: the credits the answer
// says it charged (X-Credits-Charged) are charged only when it was written
// to a client still there, and refunded otherwise.
func (c *apiCall) deliver(req dialect.Request, res dialect.Result, adm *apiAdmission, ireq *imageRequest) {
	if err := c.r.Context().Err(); err != nil {
		// Gone before anything was written: nothing to deliver.
		c.st.logger.Debug("API client left before its answer; its credits are refunded", zap.String("uri", c.r.RequestURI), zap.Error(err))
		adm.done(false, true, c.st.logger)
		return
	}
	res.Credits = adm.charged()
	if rl := c.caller.rate(); rl != nil {
		setRateHeaders(c.w, *rl)
	}
	c.st.h.served(c.w, c.r, ireq, servedImage{ContentType: res.ContentType, Bytes: len(res.Image), Model: res.Model, Width: res.Width, Height: res.Height})
	// Delivered is judged by the writes alone, flushed so that a client
	// gone mid-answer fails one. The request's context is no witness once
	// writing has begun: net/http cancels it when a client that read the
	// whole answer closes, which can happen before Respond returns.
	err := req.Respond(c.w, c.r, res)
	if err == nil {
		err = http.NewResponseController(c.w).Flush()
	}
	if err != nil {
		c.st.logger.Debug("API answer not delivered; its credits are refunded", zap.String("uri", c.r.RequestURI), zap.Error(err))
	}
	adm.done(err == nil, true, c.st.logger)
}

// maxFile is the largest image a dialect takes (apiFileLimit).
func (st *apiState) maxFile(api *dialect.API) int64 {
	return apiFileLimit(api, st.fileLimits[api], st.h.MaxSourceBytes)
}

// bodyLimit bounds a dialect's request body (apiBodyLimit).
func (st *apiState) bodyLimit(api *dialect.API) int64 {
	return apiBodyLimit(api, st.maxFile(api))
}

// apiFileLimit is the largest image api takes: its max_file (configured,
// 0: unset), else the limit it documents, or the server's
// max_source_bytes (maxSource) when smaller.
func apiFileLimit(api *dialect.API, configured, maxSource int64) int64 {
	limit := api.MaxFileBytes
	if configured > 0 {
		limit = configured
	}
	if limit > 0 && limit < maxSource {
		return limit
	}
	return maxSource
}

// apiBodyLimit bounds a request body of api whose images are at most file
// bytes: one image as base64 (4/3 of it), its other images as raw file
// parts, and 1 MiB of fields and multipart framing.
func apiBodyLimit(api *dialect.API, file int64) int64 {
	return dialect.Base64Len(file) + int64(max(api.Images-1, 0))*file + 1<<20
}

// fetchImage downloads an image_url (or bg_image_url) through the
// SSRF-safe fetcher for URLs clients name (guard.fetcher: allow_hosts and
// the *_remote allowances, never the origin URL's), reading at most maxBytes+1 bytes of it: a body over
// maxBytes is a fetch.KindTooLarge *fetch.FetchError.
func (st *apiState) fetchImage(ctx context.Context, rawURL string, maxBytes int64, hold *admission.Hold) ([]byte, error) {
	res, err := st.h.guard.fetcher.Fetch(ctx, fetch.Request{URL: rawURL, MaxBytes: maxBytes, Reserve: st.h.reserveFor(hold)})
	if err != nil {
		var fe *fetch.FetchError
		var pe *params.Error
		switch {
		case errors.As(err, &pe): // the buffer budget's refusal
			return nil, err
		case !errors.As(err, &fe):
			fe = &fetch.FetchError{Kind: fetch.KindNetwork, Err: err}
		}
		st.logger.Debug("image download failed", zap.Error(err))
		return nil, fe
	}
	return res.Body, nil
}

// renderAPI runs one API request through the result cache (coalesced, the
// matte cached per source content), keyed like the query dialect's results:
// the source's content hash (sourceHash: of the bytes sent, a BMP's before
// its conversion), Params, the format and the pipeline fingerprint (plus
// the Extras, when there are any, and the plan's Encoding, whose output the
// entry stores). The request
// it returns holds the timings; its Dialect is name. hold counts in's
// images: the transform retains it while it runs (render).
func (st *apiState) renderAPI(ctx context.Context, name string, in apiInputs, plan dialect.Plan, hold *admission.Hold) (dialect.Result, *imageRequest, error) {
	h := st.h
	req := &imageRequest{Params: plan.Params, Dialect: name, Extras: plan.Extras, Format: plan.Format,
		Memo: sourceMemo{Hash: sourceHash(in.src), Info: in.info}, Tag: in.tag, hold: hold, convert: in.convert,
		encoding: plan.Encoding}
	if req.Tag == "" {
		req.Tag = "upload:" + req.Memo.Hash
	}
	req.Frames, req.FramesDecoded = h.pipeline.AnimatedFrames(req.Params, in.info, req.Format)
	req.Key = h.resultKeyOf(req)
	req.timings.bytesIn = len(in.src)
	out, err := h.render(ctx, req, in.src)
	if err != nil {
		return dialect.Result{}, nil, asTimeout(err)
	}
	m := out.Meta
	return dialect.Result{Image: out.Entry.Value, ContentType: out.Entry.ContentType, Model: m.Model, Width: m.Width, Height: m.Height,
		Foreground: params.Rect{X: m.Foreground.Left, Y: m.Foreground.Top, W: m.Foreground.Width, H: m.Foreground.Height}}, req, nil
}

// testEncoding, when set (by tests, through export_test.go), is called
// by every re-encoding of a rendered image (imageRequest.encoding) once its
// bytes are held in max_buffered_bytes, with the job's context and how
// many bytes it holds: a test counts encodings and holds one in flight
// with it. Nil in production.
var testEncoding atomic.Pointer[func(ctx context.Context, held int64)]

// encodeResult re-encodes req's rendered image with req.encoding, on the
// job's queue slot and worker (transform). What the encoder allocates is
// held in max_buffered_bytes while it runs, under a hold of its own: past
// the budget it fails with buffersFull's 503. An encoding larger than the
// budget less req's own bytes takes only that rest: it runs when nothing
// else is buffered, and refuses all other buffering while it runs, rather
// than being refused on an idle server. The image it returns is then the
// cache's and the answer's, as any rendered image is.
func (h *Handler) encodeResult(ctx context.Context, req *imageRequest, rendered []byte) ([]byte, error) {
	hold := h.holdBytes()
	defer hold.Release()
	take := h.reserveFor(hold)
	reserve := func(n int64) error {
		if h.guard.buffered != nil {
			n = min(n, max(h.guard.buffered.Stats().Limit-req.hold.Held()-req.sharedHold.Held(), 0))
		}
		if err := take(n); err != nil {
			return err
		}
		if hook := testEncoding.Load(); hook != nil {
			(*hook)(ctx, n)
		}
		return nil
	}
	return req.encoding.Encode(rendered, reserve)
}

// failed logs a transform failure at the level it deserves, and gives an
// overload (503) its Retry-After.
func (st *apiState) failed(w http.ResponseWriter, r *http.Request, err error) {
	list := params.AsErrors(err)
	if list.Status() == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds(err))
	}
	if r.Context().Err() != nil {
		st.logger.Debug("API client left before its answer", zap.String("uri", r.RequestURI), zap.Error(err))
	} else if list.Status() == http.StatusServiceUnavailable {
		// Overload: the server protecting itself, as writeError logs it.
		st.h.failures.logger(st.logger, list).Warn("API transform refused", zap.String("uri", r.RequestURI), zap.Error(err), zap.String("note", failureNote))
	} else if lvl := failureLevel(err, list.Status()); lvl > zapcore.DebugLevel {
		st.h.failures.logger(st.logger, list).Log(lvl, "API transform failed", zap.String("uri", r.RequestURI), zap.Error(err), zap.String("note", failureNote))
	} else {
		st.logger.Debug("API client error", zap.String("uri", r.RequestURI), zap.Error(err))
	}
}

// unavailable is true when background removal cannot run on this server.
func (st *apiState) unavailable() bool { return st.h.matter == nil }

// queueFull is the 503 of a transform queue already past its limit (nil
// when there is room), so the body is not even read.
func (st *apiState) queueFull(w http.ResponseWriter) error {
	if !st.h.queueFull(0) {
		return nil
	}
	err := overloaded(st.h.guard.admit.RetryAfter())
	w.Header().Set("Retry-After", retryAfterSeconds(err))
	return err
}
