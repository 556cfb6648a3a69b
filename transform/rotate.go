package transform

import "math"

// The turns: a quarter turn before the crop (the plan is made in the turned
// frame), any other angle after it. load renders the image to memory first
// when the request turns it (randomAccess): a turn reads its input out of
// order, which a sequential decode cannot serve.

func (j *job) rotate90() error {
	if turns, ok := j.p.QuarterTurns(); ok && turns != 0 {
		return j.img.Rot90(turns)
	}
	return nil
}

// rotateAny turns by an angle that is not a multiple of 90 degrees; the
// output is the rotated image's bounding box. With RotateStraighten it
// turns by any angle within the image's own frame (straighten).
func (j *job) rotateAny() error {
	if j.p.RotateStraighten {
		return j.straighten()
	}
	if _, ok := j.p.QuarterTurns(); ok {
		return nil
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	return j.img.Rotate(j.p.Rotate, bg)
}

// keepCanvas implements Extras.KeepCanvas: after the rotation steps, the
// image goes back to its size before them, centred.
func (j *job) keepCanvas() error {
	if !j.req.Extras.KeepCanvas || j.p.Rotate == 0 || j.geo.cropW != 0 {
		return nil
	}
	w, h := j.geo.resizeW, j.geo.resizeH
	if w == j.img.Width() && h == j.img.Height() {
		return nil
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	// embed with a negative offset cuts; with a positive one, it pads.
	return j.img.Embed((w-j.img.Width())/2, (h-j.img.Height())/2, w, h, bg)
}

// straighten implements Params.RotateStraighten: the image, as the plan
// left it (resized and cut: the frame), turned by Rotate about its centre,
// scaled up by straightenScale and cut back to the frame, in one resample.
// A half turn, or a quarter turn of a square, fills the frame as it is and
// is turned losslessly.
func (j *job) straighten() error {
	w, h := j.img.Width(), j.img.Height()
	turns, quarter := int(j.p.Rotate/90), math.Mod(j.p.Rotate, 90) == 0
	switch {
	case j.p.Rotate == 0:
		return nil
	case quarter && (turns%2 == 0 || w == h):
		return j.img.Rot90(turns)
	}
	return j.img.RotateInFrame(j.p.Rotate, straightenScale(w, h, j.p.Rotate))
}

// straightenScale is the least scale at which a w x h image turned by
// angle degrees about its centre covers its own w x h frame:
// |cos θ| + max(w/h, h/w)·|sin θ| (the frame's corners then lie on the
// turned image's edges), taken for the pixel centres, which span
// (w-1) x (h-1): libvips samples no point past the outermost centres
// (it draws its background there), so every output pixel's centre must
// land within them. A hair more guards the last bit of rounding.
func straightenScale(w, h int, angle float64) float64 {
	rad := angle * math.Pi / 180
	ew, eh := float64(max(w-1, 1)), float64(max(h-1, 1))
	r := math.Max(ew/eh, eh/ew)
	return (math.Abs(math.Cos(rad)) + r*math.Abs(math.Sin(rad))) * (1 + 1e-9)
}
