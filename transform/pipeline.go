package transform

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strings"

	"github.com/jebosio/matte/params"

	"github.com/h2non/bimg"
)

// PipelineVersion changes whenever the same source and Params could produce
// different bytes; it is part of every cache key and ETag.
const PipelineVersion = "matte-2"

// Limits bound what a request may cost. They are checked from the header,
// before any pixel is decoded.
type Limits struct {
	MaxSourceBytes     int64 // 0: no limit
	MaxSourcePixels    int64 // width x height; 0: no limit
	MaxOutputDimension int   // longest output side in pixels; 0: no limit
	MaxFrames          int   // pages of an animated or multi-page source; 0: no limit
}

// Qualities are the default encoder qualities (1-100) used when a request
// gives none.
type Qualities struct {
	JPEG, WebP, AVIF int
}

// DefaultQualities matches the usual CDN defaults.
var DefaultQualities = Qualities{JPEG: 80, WebP: 80, AVIF: 60}

// Encoding holds the encoders' effort settings, which trade CPU for bytes
// without changing the requested quality.
type Encoding struct {
	PNGCompression int // zlib level, 0 (store) to 9
	AVIFEffort     int // AV1 encoder effort, 0 (fastest) to 9
}

// DefaultEncoding is tuned for encoding on the fly (bench/PROFILE.md): zlib
// level 4 costs about half of level 6's deflate time for outputs within ~1%,
// and AVIF effort 2 (imgproxy's default speed 8 is effort 1) is about 5x
// cheaper than libvips' default of 4 for files no larger at equal Q.
var DefaultEncoding = Encoding{PNGCompression: 1, AVIFEffort: 2}

// Options configure a Pipeline.
type Options struct {
	Limits    Limits
	Qualities Qualities
	Encoding  *Encoding // nil: DefaultEncoding
	// Matter supplies mattes for background removal; nil disables it.
	Matter Matter
}

// Pipeline turns a source image and Params into an encoded image. It is safe
// for concurrent use; each Process call holds one OS thread for its libvips
// work and does not bound concurrency itself.
type Pipeline struct {
	opts Options
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
	if opts.Encoding == nil {
		e := DefaultEncoding
		opts.Encoding = &e
	}
	initVips()
	return &Pipeline{opts: opts}
}

// Fingerprint identifies the options that change output bytes, for cache keys.
func (pl *Pipeline) Fingerprint() string {
	q, e := pl.opts.Qualities, pl.opts.Encoding
	return fmt.Sprintf("%s;q=%d,%d,%d;e=%d,%d;max=%d", PipelineVersion, q.JPEG, q.WebP, q.AVIF, e.PNGCompression, e.AVIFEffort, pl.opts.Limits.MaxOutputDimension)
}

// Source describes a probed source image.
type Source struct {
	Type          params.Format // FormatSource when Matte cannot encode the type (TIFF, HEIF)
	TypeName      string
	Width, Height int // after EXIF orientation
	HasAlpha      bool
	Pages         int
	// Hash identifies the source's content (the caller's hex sha256); the
	// Matter caches mattes under it.
	Hash string
}

// Probe sniffs buf's type and reads its header, then checks the source
// limits. No pixels are decoded.
func (pl *Pipeline) Probe(buf []byte) (Source, error) {
	lim := pl.opts.Limits
	if lim.MaxSourceBytes > 0 && int64(len(buf)) > lim.MaxSourceBytes {
		return Source{}, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge, Title: "Source too large",
			Detail: fmt.Sprintf("The source image is larger than %d bytes.", lim.MaxSourceBytes)}
	}
	var s Source
	switch t := bimg.DetermineImageType(buf); t {
	case bimg.JPEG:
		s.Type = params.FormatJPEG
	case bimg.PNG:
		s.Type = params.FormatPNG
	case bimg.WEBP:
		s.Type = params.FormatWebP
	case bimg.GIF:
		s.Type = params.FormatGIF
	case bimg.AVIF:
		s.Type = params.FormatAVIF
	case bimg.TIFF, bimg.HEIF:
		s.Type = params.FormatSource
	default:
		return Source{}, &params.Error{Status: http.StatusUnsupportedMediaType, Code: params.CodeUnknownFormat, Title: "Unsupported source",
			Detail: "The source is not a supported image (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF)."}
	}
	s.TypeName = bimg.ImageTypeName(bimg.DetermineImageType(buf))
	hd, err := readHeader(buf)
	if err != nil {
		return Source{}, corrupt(err)
	}
	s.Width, s.Height, s.HasAlpha, s.Pages = hd.width, hd.height, hd.hasAlpha, hd.pages
	if s.Width <= 0 || s.Height <= 0 {
		return Source{}, corrupt(errors.New("empty image"))
	}
	if lim.MaxSourcePixels > 0 && int64(s.Width)*int64(s.Height) > lim.MaxSourcePixels {
		return Source{}, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeResolutionTooHigh, Title: "Resolution too high",
			Detail: fmt.Sprintf("The source is %dx%d; at most %.1f megapixels are allowed.", s.Width, s.Height, float64(lim.MaxSourcePixels)/1e6)}
	}
	if lim.MaxFrames > 0 && s.Pages > lim.MaxFrames {
		return Source{}, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge, Title: "Too many frames",
			Detail: fmt.Sprintf("The source has %d frames; at most %d are allowed.", s.Pages, lim.MaxFrames)}
	}
	return s, nil
}

func corrupt(cause error) *params.Error {
	return &params.Error{Status: http.StatusUnprocessableEntity, Code: params.CodeCorruptSource, Title: "Corrupt source",
		Detail: "The source image could not be decoded.", Cause: cause}
}

// NegotiateFormat picks the output format: fm wins, then auto=format by
// Accept (AVIF, then WebP), then the source's own format, else PNG when the
// source has alpha and JPEG when not.
func NegotiateFormat(p params.Params, accept string, src Source) params.Format {
	if p.Format != params.FormatSource {
		return p.Format
	}
	if p.Removal.Enabled && p.Removal.MaskOnly {
		return params.FormatPNG
	}
	if p.AutoFormat {
		if acceptsType(accept, "image/avif") {
			return params.FormatAVIF
		}
		if acceptsType(accept, "image/webp") {
			return params.FormatWebP
		}
	}
	if p.Removal.Enabled {
		return params.FormatPNG // keeps the cut-out's alpha
	}
	if src.Type != params.FormatSource && !(p.AutoFormat && (src.Type == params.FormatGIF || src.Type == params.FormatAVIF || src.Type == params.FormatWebP)) {
		return src.Type
	}
	if src.HasAlpha || p.Rotate != 0 && math.Mod(p.Rotate, 90) != 0 {
		return params.FormatPNG
	}
	return params.FormatJPEG
}

// acceptsType reports whether an Accept header lists mime with q > 0.
func acceptsType(accept, mime string) bool {
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		if !strings.EqualFold(strings.TrimSpace(fields[0]), mime) {
			continue
		}
		for _, f := range fields[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok && strings.TrimSpace(k) == "q" {
				v = strings.TrimSpace(v)
				if v == "0" || v == "0.0" || v == "0.00" || v == "0.000" {
					return false
				}
			}
		}
		return true
	}
	return false
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
}

// job is the state one Process call threads through the steps.
type job struct {
	pl     *Pipeline
	ctx    context.Context
	buf    []byte
	src    Source
	p      params.Params
	format params.Format
	img    *vimage
	geo    geometry
	res    Result
	model  ModelSpec
}

type step struct {
	name string
	run  func(*job) error
}

// steps run in order, with a deadline check between each.
var steps = []step{
	{"load", (*job).load},
	{"srgb", func(j *job) error { return j.img.toSRGB() }},
	{"rotate90", (*job).rotate90},
	{"crop", (*job).crop},
	{"rotate", (*job).rotateAny},
	{"keep-canvas", (*job).keepCanvas}, // Extras.KeepCanvas (extras.go)
	{"flip", (*job).flip},
	{"canvas", (*job).canvas},
	{"effects", (*job).effects},
	{"pad", (*job).pad},
	{"crop-margins", (*job).cropMargins}, // Extras.Margins (extras.go)
	{"background", func(j *job) error {
		if j.p.Removal.Enabled {
			return j.removalBackground()
		}
		return j.background()
	}},
	{"encode", (*job).encode},
}

// Process runs the pipeline for one probed source. format is the output
// format (see NegotiateFormat). ctx's deadline and cancellation are checked
// between steps; libvips work inside a step is not interrupted.
func (pl *Pipeline) Process(ctx context.Context, buf []byte, src Source, p params.Params, format params.Format) (Result, error) {
	if format == params.FormatSource {
		format = NegotiateFormat(p, "", src)
	}
	j := &job{pl: pl, ctx: ctx, buf: buf, src: src, p: p, format: format}
	runtime.LockOSThread()
	defer endVipsThread()
	defer func() {
		if j.img != nil {
			j.img.close()
		}
	}()
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return Result{}, deadlineError(err)
		}
		if err := s.run(j); err != nil {
			var pub *params.Error
			if errors.As(err, &pub) {
				return Result{}, err
			}
			// libvips decodes lazily: a broken source surfaces when pixels
			// are first pulled, usually while encoding.
			if s.name == "load" || s.name == "encode" || isDecodeError(err) {
				return Result{}, corrupt(err)
			}
			return Result{}, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return j.res, nil
}

// isDecodeError recognises libvips loader failures by their message.
func isDecodeError(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, k := range []string{"vipsjpeg", "jpeg", "png", "webp", "gif", "heif", "tiff", "load", "read", "truncated", "premature", "out of order", "corrupt"} {
		if strings.Contains(msg, k) {
			return true
		}
	}
	return false
}

func deadlineError(err error) *params.Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &params.Error{Status: http.StatusServiceUnavailable, Code: params.CodeTimeout, Title: "Timeout", Detail: "The image took too long to process.", Cause: err}
	}
	return &params.Error{Status: 499, Code: "client_closed", Title: "Client closed request", Cause: err}
}

// load decodes the source with shrink-on-load, straight to the planned size
// when it can; a rect or trim first decodes the region at the scale it needs.
func (j *job) load() error {
	p, src := j.p, j.src
	if p.Removal.Enabled {
		if err := j.loadForRemoval(); err != nil {
			return err
		}
		return j.planAndResize()
	}
	rw, rh := src.Width, src.Height
	rect := p.Rect
	if !rect.IsZero() {
		var err error
		if rect, err = clampRect(rect, rw, rh); err != nil {
			return err
		}
		rw, rh = rect.W, rect.H
	}
	turns, quarter := p.QuarterTurns()
	swap := quarter && turns%2 == 1
	planW, planH := rw, rh
	if swap {
		planW, planH = rh, rw
	}
	maxDim := j.pl.opts.Limits.MaxOutputDimension

	if rect.IsZero() && !p.Trim {
		g := planGeometry(planW, planH, p, maxDim)
		if swap {
			g = swapGeometry(g)
		}
		j.geo = g
		img, err := thumbnail(j.buf, g.resizeW, g.resizeH, g.interesting, src.jpegShrink(g.resizeW, g.resizeH))
		if err != nil {
			return err
		}
		j.img = img
		return nil
	}

	// Region path: decode at the largest scale the region needs (never
	// above 1), cut the region, and plan the resize on what is left.
	scale := 1.0
	if !p.Trim {
		g := planGeometry(planW, planH, p, maxDim)
		scale = math.Min(1, math.Max(float64(g.resizeW)/float64(planW), float64(g.resizeH)/float64(planH)))
		if swap {
			scale = math.Min(1, math.Max(float64(g.resizeH)/float64(planW), float64(g.resizeW)/float64(planH)))
		}
	}
	lw, lh := atLeast1(float64(src.Width)*scale), atLeast1(float64(src.Height)*scale)
	img, err := thumbnail(j.buf, lw, lh, noCrop, src.jpegShrink(lw, lh))
	if err != nil {
		return err
	}
	j.img = img
	if !rect.IsZero() {
		fx, fy := float64(img.width())/float64(src.Width), float64(img.height())/float64(src.Height)
		x, y := int(float64(rect.X)*fx), int(float64(rect.Y)*fy)
		w := min(img.width()-x, atLeast1(float64(rect.W)*fx))
		h := min(img.height()-y, atLeast1(float64(rect.H)*fy))
		if err := img.extract(x, y, w, h); err != nil {
			return err
		}
	}
	if p.Trim {
		l, t, w, h, err := img.findTrim()
		if err != nil {
			return err
		}
		if w > 0 && h > 0 {
			if err := img.extract(l, t, w, h); err != nil {
				return err
			}
		}
	}
	return j.planAndResize()
}

// jpegShrink is the largest JPEG shrink-on-load factor (8, 4 or 2; 1 for
// none or a source that is not a JPEG) that still decodes s to at least
// width x height (both after EXIF orientation, as Source's), so the final
// resize only ever reduces.
func (s Source) jpegShrink(width, height int) int {
	if s.Type != params.FormatJPEG || width <= 0 || height <= 0 {
		return 1
	}
	for _, n := range []int{8, 4, 2} {
		if s.Width >= n*width && s.Height >= n*height {
			return n
		}
	}
	return 1
}

// planAndResize plans the output geometry on the decoded region in j.img
// and resizes it.
func (j *job) planAndResize() error {
	img := j.img
	turns, quarter := j.p.QuarterTurns()
	swap := quarter && turns%2 == 1
	planW, planH := img.width(), img.height()
	if swap {
		planW, planH = planH, planW
	}
	g := planGeometry(planW, planH, j.p, j.pl.opts.Limits.MaxOutputDimension)
	if swap {
		g = swapGeometry(g)
	}
	j.geo = g
	return img.resizeTo(g.resizeW, g.resizeH, g.interesting)
}

// swapGeometry maps the resize of a plan made for the quarter-turned image
// back to the unturned one: the turn is applied after resizing, and the crop
// and canvas after the turn, in the plan's own frame.
func swapGeometry(g geometry) geometry {
	g.resizeW, g.resizeH = g.resizeH, g.resizeW
	return g
}

// clampRect intersects r with the image; a rect fully outside is an error.
func clampRect(r params.Rect, w, h int) (params.Rect, error) {
	if r.X >= w || r.Y >= h {
		return params.Rect{}, params.BadParam("rect", fmt.Sprintf("The region starts outside the %dx%d source.", w, h))
	}
	r.W = min(r.W, w-r.X)
	r.H = min(r.H, h-r.Y)
	return r, nil
}

func (j *job) rotate90() error {
	if turns, ok := j.p.QuarterTurns(); ok && turns != 0 {
		return j.img.rot90(turns)
	}
	return nil
}

// crop applies the planned crop, in the frame after a quarter turn.
func (j *job) crop() error {
	g := j.geo
	if g.cropW == 0 {
		return nil
	}
	w, h := min(g.cropW, j.img.width()), min(g.cropH, j.img.height())
	x := max(0, min(g.cropX, j.img.width()-w))
	y := max(0, min(g.cropY, j.img.height()-h))
	return j.img.extract(x, y, w, h)
}

// fill is the colour for new pixels (padding, rotation corners, fit=fill):
// the background when it is opaque, white when the output has no alpha, and
// transparent otherwise (adding an alpha band for it).
func (j *job) fill() ([]float64, error) {
	bg := j.p.Background
	if bg.Set && bg.A == 255 || !j.format.HasAlpha() {
		c := []float64{255, 255, 255}
		if bg.Set {
			c = []float64{float64(bg.R), float64(bg.G), float64(bg.B)}
		}
		if j.img.hasAlpha() {
			c = append(c, 255)
		}
		return c, nil
	}
	if err := j.img.addAlpha(); err != nil {
		return nil, err
	}
	return []float64{0, 0, 0, 0}, nil
}

// rotateAny turns by an angle that is not a multiple of 90 degrees; the
// output is the rotated image's bounding box.
func (j *job) rotateAny() error {
	if _, ok := j.p.QuarterTurns(); ok {
		return nil
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	return j.img.rotate(j.p.Rotate, bg)
}

func (j *job) flip() error {
	f := j.p.Flip
	if f == params.FlipH || f == params.FlipHV {
		if err := j.img.flip(false); err != nil {
			return err
		}
	}
	if f == params.FlipV || f == params.FlipHV {
		return j.img.flip(true)
	}
	return nil
}

// canvas centres the image on the fit=fill box.
func (j *job) canvas() error {
	cw, ch := j.geo.canvasW, j.geo.canvasH
	if cw == 0 || cw == j.img.width() && ch == j.img.height() {
		return nil
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	w, h := max(cw, j.img.width()), max(ch, j.img.height())
	return j.img.embed((w-j.img.width())/2, (h-j.img.height())/2, w, h, bg)
}

func (j *job) effects() error {
	if j.p.Blur > 0 {
		if err := j.img.gaussBlur(float64(j.p.Blur) / 10); err != nil {
			return err
		}
	}
	if j.p.Sharpen > 0 {
		return j.img.sharpen(0.5 + float64(j.p.Sharpen)/100)
	}
	return nil
}

func (j *job) pad() error {
	if j.p.Pad == 0 {
		return nil
	}
	dpr := j.p.DPR
	if dpr == 0 {
		dpr = 1
	}
	n := int(math.Round(float64(j.p.Pad) * dpr))
	w, h := j.img.width()+2*n, j.img.height()+2*n
	if max := j.pl.opts.Limits.MaxOutputDimension; max > 0 && (w > max || h > max) {
		return params.BadParam("pad", fmt.Sprintf("The padded output would be %dx%d; at most %d pixels a side are allowed.", w, h, max))
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	return j.img.embed(n, n, w, h, bg)
}

// background flattens alpha onto bg (white by default) for formats without
// alpha, and composites onto an explicit bg otherwise.
func (j *job) background() error {
	if !j.img.hasAlpha() {
		return nil
	}
	bg := j.p.Background
	if !j.format.HasAlpha() {
		if !bg.Set {
			bg = params.Color{R: 255, G: 255, B: 255, A: 255}
		}
		return j.img.flatten(bg)
	}
	if !bg.Set {
		return nil
	}
	if bg.A == 255 {
		return j.img.flatten(bg)
	}
	return j.img.over(bg)
}

func (j *job) quality() int {
	if j.p.Quality > 0 {
		return j.p.Quality
	}
	q := j.pl.opts.Qualities
	switch j.format {
	case params.FormatWebP:
		return q.WebP
	case params.FormatAVIF:
		return q.AVIF
	}
	return q.JPEG
}

func (j *job) encode() error {
	var body []byte
	var err error
	if j.format == params.FormatZIP {
		body, err = j.encodeZIP()
	} else {
		if j.p.Removal.Enabled && !j.p.Removal.MaskOnly && j.img.hasAlpha() {
			// A cut-out's invisible pixels keep the old background's
			// colours; zeroed, they cost the encoder nothing (PNG: half
			// the deflate time, and smaller files).
			if err := j.img.clearTransparent(); err != nil {
				return err
			}
		}
		body, err = j.img.encode(j.format, j.quality(), j.p.Lossless, j.pl.opts.Encoding)
	}
	if err != nil {
		return err
	}
	j.res.Body, j.res.Format, j.res.Width, j.res.Height = body, j.format, j.img.width(), j.img.height()
	j.res.Model = j.model.ID
	return nil
}
