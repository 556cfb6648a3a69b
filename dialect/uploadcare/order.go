package uploadcare

import (
	"github.com/jebosio/matte/dialect/internal/oporder"
	"github.com/jebosio/matte/params"
)

// Uploadcare applies the operations in the URL's order; Matte applies what
// one request asks in its pipeline's fixed order (the region cut from the
// source, a quarter turn, the resize, the colour, the flips, blur, then
// sharpening). A URL is read as one request only when that order gives the
// image the URL's order gives: each operation comes after the ones Matte
// applies before it, or, where it comes before one of them, the two give
// the same image in either order (commutes). Anything else is a 400 on the
// first operation that comes too late, rather than a different picture.

// step is where Matte's pipeline applies an operation, in its order.
type step = oporder.Step

const (
	stepFree         = oporder.Free // settings the order does not change: format, quality, ...
	stepCrop    step = iota         // crop: a region of the source
	stepTurn                        // rotate: a quarter turn, before the resize (the box is the turned image's)
	stepSize                        // preview, resize, scale_crop
	stepColour                      // grayscale
	stepFlip                        // flip, mirror: after the resize and the colour
	stepBlur                        // blur
	stepSharpen                     // sharp, after the blur
)

// pipelineOrder is Matte's order as a 400 on a operation out of order names it.
const pipelineOrder = "crop, rotate, preview/resize/scale_crop, grayscale, flip/mirror, blur, sharp"

// stepOf is the step of the operation name, which r has just read.
func (r *reader) stepOf(name string) step {
	switch name {
	case "crop":
		return stepCrop
	case "rotate":
		if r.p.Rotate == 0 {
			return stepFree // rotate/0 and rotate/360 turn nothing
		}
		return stepTurn
	case "preview", "resize", "scale_crop":
		return stepSize
	case "grayscale":
		return stepColour
	case "flip", "mirror":
		return stepFlip
	case "blur":
		return stepBlur
	case "sharp":
		return stepSharpen
	}
	return stepFree
}

// commutes reports whether an operation of step early, written before one
// of step late that Matte applies before it, gives the same image as in the
// URL's order. Each true case, and why:
//
//   - grayscale before crop, rotate or a resize: a per-pixel map, which
//     moving pixels (crop, turn) does not change. Across a resize, greying
//     first and greying the averages differ only where the resize averages
//     pixels of different hues together, by part of the difference of their
//     lightness; this is accepted, as unpic and Nuxt Image add the resize
//     after every operation they are given.
//   - flip or mirror before rotate (read as the matching flip after the
//     turn, above), before grayscale, and before a resize that crops
//     nothing off-centre (preview, resize, scale_crop centred without
//     smart_faces): the mirror image of a centred result is the centred
//     result of the mirror image. Not before crop, whose position is the
//     source's.
//   - blur before rotate, flip or mirror (a Gaussian is the same turned or
//     mirrored) and before grayscale (as grayscale before a resize).
//   - sharp before rotate, flip or mirror (the same kernel turned or
//     mirrored).
//
// blur and sharp before crop or a resize are not: a blur of sigma s source
// pixels is a different blur of the resized image, and one cut after the
// blur has its edges blurred with what was cut off.
func (r *reader) commutes(early, late step) bool {
	switch early {
	case stepColour:
		return late == stepCrop || late == stepTurn || late == stepSize
	case stepFlip:
		switch late {
		case stepTurn, stepColour:
			return true
		case stepSize:
			return r.size != "scale_crop" || r.anchor == params.CropCenter && !r.focus.Set && !r.faces
		}
	case stepBlur:
		return late == stepTurn || late == stepFlip || late == stepColour
	case stepSharpen:
		return late == stepTurn || late == stepFlip
	}
	return false
}
