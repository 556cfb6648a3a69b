package transform

import (
	"fmt"
	"time"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// An animated source (a GIF or WebP of several frames) is answered with an
// animation when the output format holds one (GIF, WebP) and the Params
// keep the frames (params.Frames). Each frame runs through the same steps
// as a still image, from load to the last before encode, and the results
// are stacked into one image that the encoder writes frame by frame, with
// the source's delays and loop count. Everything else is answered with the
// first frame, as before: other formats, and requests whose steps would
// give the frames different geometry or tones (see animates).

// Animates reports whether the answer to p over src in format f
// (FormatSource: as Process negotiates it without an Accept header) is an
// animation; it is part of the result's identity (a cache key written
// before Matte animated holds a first frame) and of its cost.
func (pl *Pipeline) Animates(p params.Params, src Source, f params.Format) bool {
	if f == params.FormatSource {
		f = NegotiateFormat(p, "", src)
	}
	return pl.animates(p, src, f)
}

// animates is Animates: the source is animatable under p (animatable),
// p keeps the frames in f, and the frames together fit MaxSourcePixels, as
// imgproxy counts an animation's resolution.
func (pl *Pipeline) animates(p params.Params, src Source, f params.Format) bool {
	if !animatable(p, src) || !p.Frames.Animates(f) {
		return false
	}
	lim := pl.opts.Limits.MaxSourcePixels
	return lim <= 0 || int64(src.Pages)*int64(src.Width)*int64(src.Height) <= lim
}

// animatable reports whether src has frames to keep and p's steps give
// every frame the same geometry and tones. Steps that look at the pixels
// to decide what to do (background removal, trim, the smart crop,
// fill(auto)'s mean colour, normalise and equalise) would decide per frame,
// so the frames would jump in size, place or tone: those requests have the
// first frame. So does a rect or region, which the first frame's decode
// cuts.
func animatable(p params.Params, src Source) bool {
	if src.Pages < 2 || src.Type != params.FormatGIF && src.Type != params.FormatWebP || p.Frames == params.FramesFirst {
		return false
	}
	smartCrop := (p.Fit == params.FitCrop || p.Fit == params.FitMin) && (p.Crop == params.CropEntropy || p.Crop == params.CropAttention)
	return !p.Removal.Enabled && !p.Trim && p.Rect.IsZero() && p.Region == (params.Region{}) && !smartCrop &&
		!p.FillMean && !p.Normalize && !p.Equalize
}

// frameSteps are the steps one frame of an animation runs: those of a
// still image up to the encoder (removal's are never asked for).
var frameSteps = stepsBefore("encode")

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

// runAnimation is Process for an animated answer: it decodes every frame,
// runs frameSteps on each in its own job, stacks the results and encodes
// them. Frames are processed lazily, as still images are: the encoder pulls
// them in order, so one frame's steps are computed at a time.
func (j *job) runAnimation() error {
	start := time.Now()
	strip, err := vips.LoadFrames(j.req.Source, j.cancel)
	if err != nil {
		return j.failed(steps[0], err)
	}
	defer strip.Close()
	pageHeight := strip.PageHeight()
	n := strip.Height() / pageHeight
	// Frames are cut from the decoded stack in any order the steps need,
	// which a decode cannot serve: it is rendered once, whole. animates
	// bounded it by MaxSourcePixels; fits by MaxWorkingPixels.
	if err := j.toMemory(strip); err != nil {
		return j.failed(steps[0], err)
	}
	delays, loop := strip.Animation(n)
	j.res.Timings[StageDecode] += time.Since(start)
	frames := make([]*vips.Image, 0, n)
	defer func() {
		for _, f := range frames {
			f.Close()
		}
	}()
	for i := range n {
		fj := &job{pl: j.pl, ctx: j.ctx, req: j.req, p: j.p, format: j.format, cancel: j.cancel}
		if fj.frame, err = strip.Page(i, pageHeight); err != nil {
			return j.failed(steps[0], err)
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
		if w, h := first.Width(), first.Height()*n; i == 0 && int64(w)*int64(h) > j.pl.opts.Limits.workingPixels() {
			return j.tooLarge(w, h) // before n frames' steps run
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
