package params

import "math"

// DevicePixelRatio is DPR, 1 when unset: what CSS pixels are multiplied
// by to give device pixels.
func (p Params) DevicePixelRatio() float64 {
	if p.DPR == 0 {
		return 1
	}
	return p.DPR
}

// DeviceBox returns the requested output box in device pixels (0 for unset sides).
func (p Params) DeviceBox() (w, h int) {
	dpr := p.DevicePixelRatio()
	return int(math.Round(float64(p.Width) * dpr)), int(math.Round(float64(p.Height) * dpr))
}

// SourceSideWhenOneGiven makes the side of the box not given the source's
// own (a side ratio of 1: times the DPR, as a ratio is), when exactly one
// of Width and Height is given and the other has no ratio: a fit that
// does not keep the aspect ratio (imgproxy's force, Supabase's fill)
// stretches the one side and leaves the other as it is.
func (p *Params) SourceSideWhenOneGiven() {
	switch {
	case p.Width > 0 && p.Height == 0 && p.HeightRatio == 0:
		p.HeightRatio = 1
	case p.Height > 0 && p.Width == 0 && p.WidthRatio == 0:
		p.WidthRatio = 1
	}
}

// QuarterTurns is the number of quarter turns Rotate turns the frame by
// before the resize (the plan is made in the turned frame); ok reports
// that no corner is left uncovered, so that nothing is left to turn after
// the crop but for RotateStraighten. That is the case when Rotate is a
// multiple of 90 degrees, and with RotateStraighten, whose frame never
// turns: 0 turns, ok (its turn comes after the crop, within the frame).
func (p Params) QuarterTurns() (int, bool) {
	if p.RotateStraighten {
		return 0, true
	}
	if math.Mod(p.Rotate, 90) != 0 {
		return 0, false
	}
	return int(p.Rotate/90) % 4, true
}
