package transform

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
// output is the rotated image's bounding box.
func (j *job) rotateAny() error {
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
