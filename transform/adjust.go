package transform

// adjust changes the image's own colours (Params.Saturation, Brightness,
// Contrast, Invert), before any pixel is added around it (rotation corners,
// fit=fill, padding), which keep their colours.
func (j *job) adjust() error {
	p := j.p
	if p.Saturation == 0 && p.Brightness == 0 && p.Contrast == 0 && !p.Invert {
		return nil
	}
	a := 1 + float64(p.Contrast)/100
	b := 128*(1-a) + 2.55*float64(p.Brightness)
	if p.Invert { // 255 - (v*a + b), clamped at the end as one map
		a, b = -a, 255-b
	}
	return j.img.Adjust(1+float64(p.Saturation)/100, a, b)
}
