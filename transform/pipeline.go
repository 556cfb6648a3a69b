package transform

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// PipelineVersion changes whenever the same source and Params could produce
// different bytes; it is part of every cache key and ETag.
const PipelineVersion = "matte-3"

// Pipeline turns a source image and Params into an encoded image. It is safe
// for concurrent use; each Process call holds one OS thread for its libvips
// work and does not bound concurrency itself.
type Pipeline struct {
	opts Options
	// Fingerprint's answers, fixed by NewPipeline: every format's, and
	// those of the formats that add their own settings to it.
	fingerprint, fingerprintGIF, fingerprintPNG string
}

// NewPipeline returns a pipeline with opts (zero qualities take the defaults).
func NewPipeline(opts Options) *Pipeline {
	q := &opts.Qualities
	if q.JPEG == 0 {
		q.JPEG = DefaultQualities.JPEG
	}
	if q.WebP == 0 {
		q.WebP = DefaultQualities.WebP
	}
	if q.AVIF == 0 {
		q.AVIF = DefaultQualities.AVIF
	}
	// A copy: the caller's later changes reach neither the output nor the
	// fingerprint.
	e := DefaultEncoding
	if opts.Encoding != nil {
		e = *opts.Encoding
		if e.GIFEffort == 0 {
			e.GIFEffort = DefaultEncoding.GIFEffort
		}
		if e.PNGFilter == "" {
			e.PNGFilter = DefaultEncoding.PNGFilter
		}
	}
	opts.Encoding = &e
	vips.Init()
	base := fingerprint(opts)
	return &Pipeline{opts: opts, fingerprint: base,
		fingerprintGIF: base + ";gif=" + strconv.Itoa(e.GIFEffort), fingerprintPNG: base + ";png=" + string(e.PNGFilter)}
}

// Fingerprint identifies the options that change the bytes of an output in
// format f, for cache keys. Every format's includes the same base; a
// GIF's adds the GIF effort, and a PNG's and a ZIP's (its matte is
// a PNG) the PNG filter, so that changing either re-keys those answers only.
func (pl *Pipeline) Fingerprint(f params.Format) string {
	switch f {
	case params.FormatGIF:
		return pl.fingerprintGIF
	case params.FormatPNG, params.FormatZIP:
		return pl.fingerprintPNG
	}
	return pl.fingerprint
}

func fingerprint(o Options) string {
	q, e := o.Qualities, o.Encoding
	chroma := "" // the default adds nothing, so that existing keys still match
	if e.AVIFFullChroma {
		chroma = ",444"
	}
	// MaxBlurSigma changes the pixels of a wider blur (run on a reduced
	// copy); the default adds nothing, as above. The limits that only
	// refuse (MaxWorkingPixels, MaxSourcePixels, MaxFrames) stay out: a
	// result made under any of them is the same.
	blur := ""
	if s := o.Limits.blurSigma(); s != DefaultMaxBlurSigma {
		blur = fmt.Sprintf(";blur=%g", s)
	}
	return fmt.Sprintf("%s;q=%d,%d,%d;e=%d,%d%s;max=%d%s", PipelineVersion, q.JPEG, q.WebP, q.AVIF, e.PNGCompression, e.AVIFEffort, chroma, o.Limits.MaxOutputDimension, blur)
}

// VipsSettings are libvips' process-wide settings (see vips.Settings).
type VipsSettings = vips.Settings

// ConfigureVips applies s process-wide; the last call wins.
func ConfigureVips(s VipsSettings) { vips.Configure(s) }

// VipsConcurrency is libvips' worker-thread count as last configured.
func VipsConcurrency() int { return vips.Concurrency() }

// ReleaseFreeMemory returns the C heap's free pages to the kernel (see
// vips.ReleaseFreeMemory).
func ReleaseFreeMemory() { vips.ReleaseFreeMemory() }

// Request is one transform: everything Process reads, and nothing else.
// Process does not modify it.
type Request struct {
	// Source is the encoded image; Info is its Probe, with Info.Hash set
	// to the content hash the Matter caches mattes under.
	Source []byte
	Info   Source
	Params params.Params
	// Extras are the hosted-API options Params does not carry; the caller
	// adds Extras.Key to its cache key.
	Extras params.Extras
	// Format is the output format (see NegotiateFormat); FormatSource
	// negotiates it here without an Accept header.
	Format params.Format
	// Private marks a source that a shared cache may not store (RFC 9111:
	// private, no-store, Authorization, Vary: Cookie); the Matter is told
	// not to keep its matte.
	Private bool
}

// Result is an encoded output image.
type Result struct {
	Body          []byte
	Format        params.Format
	Width, Height int
	// Foreground is the subject's box in output pixels (background
	// removal only; zero when no subject was found).
	Foreground Box
	// Model is the ModelSpec.ID that made the matte (removal only).
	Model string
	// Provisional marks an answer that is not the one its cache key
	// stands for: a face crop's fallback because the detector the key
	// names could not be loaded (FacesUnavailable). The caller hands it
	// to the requests that waited for it, but neither stores it nor lets
	// a client or shared cache keep it, so that it ends with its cause.
	Provisional bool
	// Timings is the time spent per stage.
	Timings Timings
}

// job is the state one Process call threads through the steps.
type job struct {
	pl     *Pipeline
	ctx    context.Context
	req    *Request
	p      params.Params
	format params.Format
	cancel *vips.Canceller
	img    *vips.Image
	geo    geometry
	res    Result
	// Background removal: the model, the matte at load scale until it
	// becomes img's alpha, and output pixels per loaded pixel.
	model      ModelSpec
	alpha      *vips.Image
	outPerLoad float64
	// apart is the time the running step recorded under another stage
	// (timeApart); Process takes it off the step's own stage.
	apart time.Duration
	// frame, in one frame's job of an animation (runAnimation), is the
	// decoded frame that load resizes in place of the source.
	frame *vips.Image
}

// step is one stage of the pipeline; run does nothing when the request
// does not need it. Its time counts under stage. decodes marks the steps where a libvips failure means
// the source does not decode (libvips decodes lazily, so a broken source
// surfaces when pixels are first pulled: while loading, rendering to
// memory or encoding).
type step struct {
	name    string
	run     func(*job) error
	decodes bool
	stage   Stage
}

// steps run in order, with a deadline check between each. Background
// removal replaces load by its own steps up to removal-resize.
var steps = []step{
	{"faces", (*job).findFaces, false, StageDecode},                 // faces.go
	{"load", (*job).load, true, StageDecode},                        // load.go, region.go
	{"removal-load", (*job).loadForRemoval, true, StageDecode},      // removal.go
	{"shape-matte", (*job).shapeMatte, true, StageComposite},        // matte.go
	{"decontaminate", (*job).decontaminate, true, StageComposite},   // decontaminate.go
	{"roi", (*job).limitToROI, false, StageResize},                  // roi.go
	{"frame-subject", (*job).frameSubject, false, StageResize},      // frame.go
	{"removal-resize", (*job).removalResize, false, StageResize},    // removal.go
	{"srgb", (*job).toSRGB, false, StageDecode},                     // load.go
	{"rotate90", (*job).rotate90, false, StageResize},               // rotate.go
	{"crop", (*job).crop, false, StageResize},                       // crop.go
	{"adjust", (*job).adjust, false, StageComposite},                // adjust.go
	{"filters", (*job).filters, false, StageComposite},              // filters.go
	{"rotate", (*job).rotateAny, false, StageResize},                // rotate.go
	{"keep-canvas", (*job).keepCanvas, false, StageResize},          // rotate.go
	{"flip", (*job).flip, false, StageResize},                       // flip.go
	{"obscure-faces", (*job).obscureFaces, false, StageComposite},   // obscure.go
	{"canvas", (*job).canvas, false, StageResize},                   // canvas.go
	{"effects", (*job).effects, false, StageComposite},              // effects.go
	{"pad", (*job).pad, false, StageResize},                         // pad.go
	{"crop-margins", (*job).cropMargins, false, StageResize},        // margins.go
	{"removal-layers", (*job).removalLayers, false, StageComposite}, // layers.go
	{"drop-shadow", (*job).dropShadow, false, StageComposite},       // dropshadow.go
	{"background", (*job).background, false, StageComposite},        // background.go
	{"blend", (*job).blend, false, StageComposite},                  // blend.go
	{"gradient", (*job).gradient, false, StageComposite},            // gradient.go
	{"watermark", (*job).watermark, false, StageComposite},          // watermark.go
	{"block", (*job).block, false, StageComposite},                  // block.go
	{"text", (*job).text, false, StageComposite},                    // text.go
	{"border", (*job).border, false, StageComposite},                // border.go
	{"shape", (*job).shape, false, StageComposite},                  // shape.go
	{"encode", (*job).encode, true, StageEncode},                    // encode.go
	{"zip", (*job).encodeZIP, true, StageEncode},                    // zip.go
}

// Process runs the pipeline for one probed source (for FormatJSON it
// describes the source's header instead: describe). ctx's deadline and
// cancellation are checked between steps, and stop the libvips work inside
// a step within one tile of it (see vips.Canceller): an expired deadline is
// a 503 timeout (params.Timeout), a cancelled ctx a 499 client_closed.
func (pl *Pipeline) Process(ctx context.Context, req *Request) (Result, error) {
	if req.Format == params.FormatJSON {
		return pl.describe(ctx, req)
	}
	if o := req.Params.Orientation; o != 0 {
		info, err := reoriented(req.Source, req.Info, o)
		if err != nil {
			return Result{}, err
		}
		r := *req
		r.Info, req = info, &r
	}
	format := req.Format
	if format == params.FormatSource {
		format = NegotiateFormat(req.Params, "", req.Info)
	}
	p, err := forSource(req.Params, req.Info.Width, req.Info.Height)
	if err != nil {
		return Result{}, err
	}
	j, end := pl.startJob(ctx, req, p, format)
	defer end()
	plan, err := pl.planFrames(p, req.Info, format)
	if err != nil {
		return Result{}, err
	}
	if plan.still > 0 {
		start := time.Now()
		still, err := stillFrame(req, plan.still, j.cancel)
		if err != nil {
			return Result{}, j.failed(loadStep, err)
		}
		j.req = still
		j.res.Timings[StageDecode] += time.Since(start)
	}
	if plan.frames != nil {
		err = j.runAnimation(plan)
	} else {
		err = j.runSteps(steps)
	}
	if err != nil {
		return Result{}, err
	}
	return j.res, nil
}

// startJob makes a job for req with p and format, locks the goroutine to
// its OS thread for the job's libvips work and watches ctx for it. end,
// called on that thread when the work is over, stops the watch, closes the
// job's images, releases its canceller and ends the thread's libvips
// state (unlocking it).
func (pl *Pipeline) startJob(ctx context.Context, req *Request, p params.Params, format params.Format) (j *job, end func()) {
	j = &job{pl: pl, ctx: ctx, req: req, p: p, format: format, cancel: vips.NewCanceller()}
	runtime.LockOSThread()
	stop := cancelOnDone(ctx, j.cancel)
	return j, func() {
		stop()
		if j.img != nil {
			j.img.Close()
		}
		if j.alpha != nil {
			j.alpha.Close()
		}
		j.cancel.Release()
		vips.EndThread()
	}
}

// runSteps runs list in order on j, adding each step's time to j's
// Timings, with a deadline check before each.
func (j *job) runSteps(list []step) error {
	prev := time.Now()
	for _, s := range list {
		if err := j.ctx.Err(); err != nil {
			return contextError(err)
		}
		err := s.run(j)
		now := time.Now()
		j.res.Timings[s.stage] += now.Sub(prev) - j.apart
		j.apart, prev = 0, now
		if err != nil {
			return j.failed(s, err)
		}
	}
	return nil
}

// withCanceller runs fn with a canceller of its own, cancelled when ctx
// ends and released once fn has returned (the watcher stopped before:
// no Cancel after Release).
func withCanceller(ctx context.Context, fn func(c *vips.Canceller) error) error {
	c := vips.NewCanceller()
	defer c.Release()
	stop := cancelOnDone(ctx, c)
	defer stop()
	return fn(c)
}

// cancelOnDone cancels c when ctx is done, until stop is called; stop
// returns once the watcher has exited, so c outlives every Cancel call.
func cancelOnDone(ctx context.Context, c *vips.Canceller) (stop func()) {
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-ctx.Done():
			c.Cancel()
		case <-quit:
		}
	}()
	return func() {
		close(quit)
		<-exited
	}
}

// failed maps a step's error to what the client sees: public errors as
// they are, the context's end as a timeout, a source that does not decode
// as a corrupt source (or, for want of a codec, an unsupported one), and
// anything else as an internal error naming the step.
func (j *job) failed(s step, err error) error { return failedIn(j.ctx, s, j.req.Source, err) }

// failedIn is failed for work on source that runs under ctx rather than a
// job's context (the face detector's shared decode, detectorInput).
//
// Whose fault a libvips failure is is never read from its text: libvips'
// error buffer is shared by every thread, so the text may be another
// request's (see vips.DecodeAll). A failure in a step marked decodes is the
// source's; in any other step it is the source's only if the source does
// not decode whole, which is checked here, on the failure path only.
func failedIn(ctx context.Context, s step, source []byte, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		// A killed libvips computation fails with its own message.
		return contextError(ctxErr)
	}
	var pub *params.Error
	if errors.As(err, &pub) {
		return err
	}
	if !s.decodes {
		derr := withCanceller(ctx, func(c *vips.Canceller) error { return vips.DecodeAll(source, c) })
		if ctxErr := ctx.Err(); ctxErr != nil {
			return contextError(ctxErr)
		}
		if derr == nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if vips.MissingCodec(source) {
		return unsupportedCodec(err)
	}
	return corrupt(err)
}
