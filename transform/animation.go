package transform

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// An animated source (a GIF or WebP of several frames) is answered with an
// animation when the output format holds one (GIF, WebP) and the Params
// keep the frames (params.Frames). Each frame runs through the same steps
// as a still image, from load to the last before encode, and the results
// are stacked into one image that the encoder writes frame by frame, with
// the source's delays and loop count unless params.Animation sets them.
// Every other answer is a still of one frame: the first of those
// params.Animation picks (the first of the source by default), decoded as
// any still source is (see stillFrame).

// framePlan is what an answer makes of an animated source's frames.
type framePlan struct {
	// frames are the source's frames an animated answer plays, 0-based, in
	// playing order; nil for a still answer.
	frames []int
	// still is the frame a still answer shows (0-based).
	still int
	// first and count are the pages asked of the decoder: [first,
	// first+count). It composes them from the source's first frame, so it
	// decodes first+count frames in all (decoded).
	first, count int
}

// decoded is how many of the source's frames the decoder composes to give
// the plan's pages: every frame up to the last of them. libvips' GIF
// loader (libnsgif) and WebP loader (libwebp's demux) draw each frame over
// the canvas the frames before it left (restoring or clearing it by their
// disposal first), so page N (0-based) costs N+1 full canvases however
// small its frames are; a page range cannot start the decode elsewhere.
func (plan framePlan) decoded() int { return plan.first + plan.count }

// AnimatedFrames is how many frames the answer to p over src in format f
// (FormatSource: as Process negotiates it without an Accept header) plays,
// 0 for a still answer, and how many of the source's it decodes: every
// frame up to the last it shows (framePlan.decoded), so a still of frame N
// decodes N. Whether an answer is animated is part of its identity (a
// cache key written before Matte animated holds a first frame); the frames
// decoded are its cost. A request planFrames refuses decodes nothing past
// the header (Process answers the error first) and is counted as 1.
//
// The fit that depends on the source (params.SourceFit) is decided for src
// as Process decides it, so the answer planned here is the one Process
// makes.
func (pl *Pipeline) AnimatedFrames(p params.Params, src Source, f params.Format) (playing, decoded int) {
	p = sourceFitted(p, src)
	if f == params.FormatSource {
		f = NegotiateFormat(p, "", src)
	}
	plan, err := pl.planFrames(p, src, f)
	if err != nil {
		return 0, 1
	}
	return len(plan.frames), plan.decoded()
}

// planFrames picks the frames of the answer: params.Animation's selection
// (every frame by default), played when p keeps an animation in f and its
// steps can treat every frame alike (animatable) and the frames decoded
// (framePlan.decoded: from the source's first) fit MaxSourcePixels
// together, as imgproxy counts an animation's resolution; otherwise the
// selection's first frame, still. A selection that starts past the
// source's last frame is a 400 on frame, as is a still whose frames
// decoded exceed MaxSourcePixels together.
func (pl *Pipeline) planFrames(p params.Params, src Source, f params.Format) (framePlan, error) {
	if !src.Animated() {
		return framePlan{count: 1}, nil
	}
	sel, err := selectFrames(p.Animation, src.Pages)
	if err != nil {
		return framePlan{}, err
	}
	first, last := sel[0], sel[0]
	for _, i := range sel {
		first, last = min(first, i), max(last, i)
	}
	lim, canvas := pl.opts.Limits.MaxSourcePixels, int64(src.Width)*int64(src.Height)
	fits := func(plan framePlan) bool { return lim <= 0 || int64(plan.decoded())*canvas <= lim }
	if plan := (framePlan{frames: sel, first: first, count: last - first + 1}); len(sel) > 1 && animatable(p, src) && p.Frames.Animates(f) && fits(plan) {
		return plan, nil
	}
	plan := framePlan{still: sel[0], first: sel[0], count: 1}
	if !fits(plan) {
		return framePlan{}, params.BadParam("frame", fmt.Sprintf(
			"The frame asked for is drawn over the %d before it in this %dx%d animation: decoding those %d frames is %.1f megapixels; at most %.1f are allowed.",
			plan.still, src.Width, src.Height, plan.decoded(), float64(int64(plan.decoded())*canvas)/1e6, float64(lim)/1e6))
	}
	return plan, nil
}

// sourceFitted is p with its fit that depends on the source
// (params.SourceFit) decided for src (oriented) as Process decides it
// (forSource), for what is planned from the source before Process: the
// format and the frames. A request that forSource refuses is left as it
// is; Process answers the error.
func sourceFitted(p params.Params, src Source) params.Params {
	if p.SourceFit.When == params.FitWhenNever {
		return p
	}
	if q, err := forSource(p, src.Width, src.Height); err == nil {
		p.Fit, p.SourceFit = q.Fit, q.SourceFit
	}
	return p
}

// selectFrames lists the frames a picks from a source of pages frames,
// 0-based, in playing order.
func selectFrames(a params.Animation, pages int) ([]int, error) {
	first, last := max(a.First, 1), a.Last
	if last == 0 || last > pages {
		last = pages
	}
	if first > pages {
		return nil, params.BadParam("frame", fmt.Sprintf("The source has %d frames; the frames asked for start after its last.", pages))
	}
	last = max(last, first) // a range the other way round is its first frame
	step := max(a.Interval, 1)
	sel := make([]int, 0, (last-first)/step+1)
	for i := first; i <= last; i += step {
		sel = append(sel, i-1)
	}
	if a.Reverse {
		slices.Reverse(sel)
	}
	return sel, nil
}

// animatable reports whether p's steps give every frame the same geometry
// and tones, and p keeps the frames at all. Steps that look at the pixels
// to decide what to do (background removal, faces, trim, the smart crop,
// fill(auto)'s mean colour, normalise and equalise) would decide per frame,
// so the frames would jump in size, place or tone: those requests have one
// frame. Where the plan keeps src's region as it is (keepsSourceRegion:
// Cloudimage's org_if_sml=1 with a box larger than the source) there is
// no cut, so the smart crop and faces that only place it
// (placesCutOnly) decide nothing and the frames stay.
func animatable(p params.Params, src Source) bool {
	kept := keepsSourceRegion(p, src.Width, src.Height)
	smartCrop := p.Fit.Crops() && (p.Crop == params.CropEntropy || p.Crop == params.CropAttention) && !kept
	faces := p.Faces.Enabled() && !(kept && placesCutOnly(p.Faces))
	return p.Frames != params.FramesFirst && !p.Removal.Enabled && !faces && !p.Trim && !smartCrop && !p.FillMean && !p.Normalize && !p.Equalize
}

// stillFrame is req with its source replaced by frame i alone (a lossless
// PNG of that frame as the source decodes it, frames before it drawn
// under it, with the source's ICC profile, so its colours convert as the
// first frame's do, turned upright by the source's EXIF orientation unless
// Params.Orientation replaces it), so that every step, background removal
// included, reads that frame as a still source; the source's hash is
// marked with the frame, since mattes are cached under it. The decode
// composes every frame up to i (framePlan.decoded), which planFrames
// bounded by MaxSourcePixels.
func stillFrame(req *Request, i int, c *vips.Canceller) (*Request, error) {
	frame, err := vips.LoadFrames(req.Source, i, 1, c)
	if err != nil {
		return nil, err
	}
	defer frame.Close()
	if req.Params.Orientation == 0 {
		// The PNG keeps no EXIF orientation: the frame is turned upright by
		// the source's, as the first frame's decode (Thumbnail) and an
		// animation's frames (resizeFrame) are; the plan is made for the
		// turned size. An orientation asked for (orient) turns the PNG as
		// it would the source, so the frame stays as stored.
		if err := frame.OrientFrame(0); err != nil {
			return nil, err
		}
	}
	png, err := frame.SavePNGProfile(1) // read back at once: the cheapest encode
	if err != nil {
		return nil, err
	}
	r := *req
	r.Source, r.Info.Type, r.Info.TypeName, r.Info.Pages = png, params.FormatPNG, "png", 1
	if r.Info.Hash != "" {
		r.Info.Hash += ";frame=" + strconv.Itoa(i+1)
		if req.Params.Orientation == 0 {
			// Upright since the frame was turned by its EXIF orientation:
			// mattes and faces cached under ";frame=N" were found on the
			// frame as stored.
			r.Info.Hash += ";upright"
		}
	}
	return &r, nil
}

// frameSteps are the steps one frame of an animation runs: those of a
// still image up to the encoder (removal's are never asked for).
var frameSteps = stepsBefore("encode")

// loadStep is the step that decodes the source, under which the decodes
// that run outside steps (a still frame's, an animation's) fail.
var loadStep = stepNamed("load")

// stepNamed is the step named name.
func stepNamed(name string) step {
	for _, s := range steps {
		if s.name == name {
			return s
		}
	}
	panic("transform: no step " + name)
}

// stepsBefore is the steps up to the one named name.
func stepsBefore(name string) []step {
	for i, s := range steps {
		if s.name == name {
			return steps[:i]
		}
	}
	panic("transform: no step " + name)
}

// encodeSteps are the steps that write the stacked frames.
var encodeSteps = steps[len(frameSteps):]

// runAnimation is Process for an animated answer: it decodes the pages
// plan names, runs frameSteps on each frame it plays in a job of its own,
// stacks the results and encodes them. Frames are processed lazily, as
// still images are: the encoder pulls them in order, so one frame's steps
// are computed at a time.
func (j *job) runAnimation(plan framePlan) error {
	start := time.Now()
	strip, err := vips.LoadFrames(j.req.Source, plan.first, plan.count, j.cancel)
	if err != nil {
		return j.failed(loadStep, err)
	}
	defer strip.Close()
	pageHeight := strip.PageHeight()
	decoded := strip.Height() / pageHeight // fewer than plan.count when the file ends early
	// Frames are cut from the decoded stack in any order the steps need,
	// which a decode cannot serve: it is rendered once, whole. planFrames
	// bounded it by MaxSourcePixels; fits by MaxWorkingPixels.
	if err := j.toMemory(strip); err != nil {
		return j.failed(loadStep, err) // the decode runs here
	}
	// libvips gives the delays of the file's frames, from its first,
	// whichever pages were decoded.
	sourceDelays, loop := strip.Animation(plan.first + decoded)
	j.res.Timings[StageDecode] += time.Since(start)
	pages := make([]int, 0, len(plan.frames)) // the frames played, as pages of strip
	for _, f := range plan.frames {
		if f-plan.first < decoded {
			pages = append(pages, f-plan.first)
		}
	}
	if len(pages) == 0 {
		return corrupt(fmt.Errorf("animation: %d of %d pages decoded", decoded, plan.count))
	}
	a := j.p.Animation
	delays := make([]int, 0, len(pages))
	for _, pg := range pages {
		switch {
		case a.FPS > 0:
			delays = append(delays, (1000+a.FPS/2)/a.FPS)
		case plan.first+pg < len(sourceDelays):
			delays = append(delays, sourceDelays[plan.first+pg])
		}
	}
	if len(delays) < len(pages) {
		delays = nil // the source gave none: the encoder's default
	}
	if a.LoopSet {
		loop = a.Loop
	}
	n := len(pages)
	frames := make([]*vips.Image, 0, n)
	defer func() {
		for _, f := range frames {
			f.Close()
		}
	}()
	for i, pg := range pages {
		fj := &job{pl: j.pl, ctx: j.ctx, req: j.req, p: j.p, format: j.format, cancel: j.cancel}
		if fj.frame, err = strip.Page(pg, pageHeight); err != nil {
			// strip is decoded already: not a decode step (failed checks
			// the source).
			return j.failed(step{name: "frame", stage: StageDecode}, err)
		}
		err := fj.runSteps(frameSteps)
		if fj.frame != nil {
			fj.frame.Close()
		}
		if fj.img != nil {
			frames = append(frames, fj.img)
		}
		for s, t := range fj.res.Timings {
			j.res.Timings[s] += t
		}
		if err != nil {
			return err
		}
		first := frames[0]
		if w, h := fj.img.Width(), fj.img.Height(); w != first.Width() || h != first.Height() {
			return fmt.Errorf("animation: frame %d is %dx%d, frame 1 %dx%d", i+1, w, h, first.Width(), first.Height())
		}
		if i == 0 {
			if err := j.fitsSize(first.Width(), first.Height()*n); err != nil {
				return err // the stack, before n frames' steps run
			}
		}
	}
	if j.img, err = vips.JoinFrames(frames, delays, loop); err != nil {
		return j.failed(step{name: "join-frames", stage: StageEncode}, err)
	}
	if err := j.runSteps(encodeSteps); err != nil {
		return err
	}
	j.res.Height = frames[0].Height() // a frame's, not the stack's
	return nil
}
