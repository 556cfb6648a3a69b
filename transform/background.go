package transform

import "github.com/jebosio/matte/params"

// background flattens alpha onto bg (white by default) for formats without
// alpha, and composites onto an explicit bg otherwise. A removal answered
// as the matte alone or as a ZIP keeps its alpha as it is.
func (j *job) background() error {
	if r := j.p.Removal; r.Enabled && (r.MaskOnly || j.format == params.FormatZIP) {
		return nil
	}
	return j.fillTransparency(j.p.Background)
}

// fillTransparency flattens the image's alpha onto bg (white when bg is not
// Set) for a format without alpha, and otherwise composites it onto bg when
// bg is Set.
func (j *job) fillTransparency(bg params.Color) error {
	if !j.img.HasAlpha() {
		return nil
	}
	if !j.format.HasAlpha() {
		if !bg.Set {
			bg = params.Color{R: 255, G: 255, B: 255, A: 255}
		}
		return j.img.Flatten(float64(bg.R), float64(bg.G), float64(bg.B))
	}
	if !bg.Set {
		return nil
	}
	if bg.A == 255 {
		return j.img.Flatten(float64(bg.R), float64(bg.G), float64(bg.B))
	}
	return j.img.Over([4]float64{float64(bg.R), float64(bg.G), float64(bg.B), float64(bg.A)})
}
