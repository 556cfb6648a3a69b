package transform

// adjust changes the image's own colours (Params.Saturation, Brightness,
// Contrast), before any pixel is added around it (rotation corners,
// fit=fill, padding), which keep their colours.
func (j *job) adjust() error {
	p := j.p
	if p.Saturation == 0 && p.Brightness == 0 && p.Contrast == 0 {
		return nil
	}
	c := 1 + float64(p.Contrast)/100
	return j.img.Adjust(1+float64(p.Saturation)/100, c, 128*(1-c)+2.55*float64(p.Brightness))
}
