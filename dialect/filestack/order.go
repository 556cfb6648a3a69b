package filestack

import (
	"github.com/jebosio/matte/dialect/internal/oporder"
	"github.com/jebosio/matte/params"
)

// Filestack applies the tasks in the URL's order; Matte applies what one
// request asks in its pipeline's fixed order (the region cut from the
// source, a quarter turn, the resize, the colours, another angle, the
// flips, the faces, blur, sharpening, pixelation, the circle). A URL is
// read as one request only when that order gives the image the URL's order
// gives: each task comes after the ones Matte applies before it, or, where
// it comes before one of them, the two give the same image in either order
// (commutes). Anything else is a 400 on the first task that comes too
// late, rather than a different picture.

// step is where Matte's pipeline applies a task, in its order.
type step = oporder.Step

const (
	stepFree          = oporder.Free // output, quality, auto_image, pjpg, compress, no_metadata; rotate=deg:0 or exif
	stepCrop     step = iota         // crop: a region of the source
	stepTurn                         // rotate by a multiple of 90: before the resize (the box is the turned image's)
	stepSize                         // resize
	stepGrey                         // monochrome: saturation, then
	stepSepia                        // sepia, then
	stepNegative                     // negative, in that order
	stepAngle                        // rotate by another angle: the resized image, after its colours
	stepFlip                         // flip, flop
	stepFaces                        // pixelate_faces, blur_faces
	stepBlur                         // blur
	stepSharpen                      // sharpen
	stepPixelate                     // pixelate
	stepCircle                       // circle: last
)

// pipelineOrder is Matte's order as a 400 on a task out of order names it.
const pipelineOrder = "crop, rotate by a multiple of 90, resize, monochrome, sepia, negative, rotate by another angle, flip/flop, the face tasks, blur, sharpen, pixelate, circle"

// stepOf is the step of the task name, which r has just read.
func (r *reader) stepOf(name string) step {
	switch name {
	case "crop":
		return stepCrop
	case "rotate":
		switch turns, quarter := r.p.QuarterTurns(); {
		case r.p.Rotate == 0:
			return stepFree // deg:0 and deg:exif (the orientation Matte applies anyway)
		case quarter && turns != 0:
			return stepTurn
		}
		return stepAngle
	case "resize":
		return stepSize
	case "monochrome":
		return stepGrey
	case "sepia":
		return stepSepia
	case "negative":
		return stepNegative
	case "flip", "flop":
		return stepFlip
	case "pixelate_faces", "blur_faces":
		return stepFaces
	case "blur":
		return stepBlur
	case "sharpen":
		return stepSharpen
	case "pixelate":
		return stepPixelate
	case "circle":
		return stepCircle
	}
	return stepFree
}

// commutes reports whether a task of step early, written before one of
// step late that Matte applies before it, gives the same image as in the
// URL's order. Each true case, and why:
//
//   - monochrome, sepia or negative before crop, a quarter turn or resize:
//     per-pixel maps, which moving pixels (crop, turn) does not change.
//     negative (255 − v) is affine, and so exact across a resize's weighted
//     average too; for monochrome and sepia, mapping first and mapping the
//     averages differ only where the resize averages pixels of different
//     colours together (sepia also where it clips a bright pixel), by part
//     of their difference. Among themselves they are not: greying a sepia
//     or a negative is not the sepia or negative of the grey.
//   - flip or flop before a quarter turn (read as the matching one after
//     it, above), before a colour task, and before a resize that cuts
//     nothing off-centre (any fit but crop, or crop at align:center): the
//     mirror image of a centred result is the centred result of the mirror
//     image. Not before crop, whose position is the source's, nor before
//     another angle (the turn would be the other way).
//   - blur before a quarter turn, flip or flop (a Gaussian is the same
//     turned or mirrored) and before a colour task (as colour before a
//     resize: a blur is a weighted average).
//   - sharpen before a quarter turn, flip or flop (the same kernel turned
//     or mirrored).
//   - pixelate before a colour task (each square is an average).
//
// Nothing else: blur, sharpen, pixelate and the face tasks of the source
// are different ones of the resized image; another angle fills corners
// that the tasks after it in Matte's order would change; circle is last.
func (r *reader) commutes(early, late step) bool {
	colour := late == stepGrey || late == stepSepia || late == stepNegative
	switch early {
	case stepGrey, stepSepia, stepNegative:
		return late == stepCrop || late == stepTurn || late == stepSize
	case stepFlip:
		if late == stepSize {
			return r.p.Fit != params.FitCrop || r.p.Crop == params.CropCenter && !r.p.Faces.Crop
		}
		return late == stepTurn || colour
	case stepBlur:
		return late == stepTurn || late == stepFlip || colour
	case stepSharpen:
		return late == stepTurn || late == stepFlip
	case stepPixelate:
		return colour
	}
	return false
}
