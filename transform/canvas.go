package transform

// canvas centres the image on the fit=fill box.
func (j *job) canvas() error {
	cw, ch := j.geo.canvasW, j.geo.canvasH
	if cw == 0 || cw == j.img.Width() && ch == j.img.Height() {
		return nil
	}
	bg, err := j.fill()
	if err != nil {
		return err
	}
	w, h := max(cw, j.img.Width()), max(ch, j.img.Height())
	return j.img.Embed((w-j.img.Width())/2, (h-j.img.Height())/2, w, h, bg)
}

// fill is the colour for new pixels (padding, rotation corners, fit=fill,
// margins): the background when it is opaque, white when the output has no
// alpha, and transparent otherwise (adding an alpha band for it).
func (j *job) fill() ([]float64, error) {
	bg := j.p.Background
	if bg.Set && bg.A == 255 || !j.format.HasAlpha() {
		c := []float64{255, 255, 255}
		if bg.Set {
			c = []float64{float64(bg.R), float64(bg.G), float64(bg.B)}
		}
		if j.img.HasAlpha() {
			c = append(c, 255)
		}
		return c, nil
	}
	if err := j.img.AddAlpha(); err != nil {
		return nil, err
	}
	return []float64{0, 0, 0, 0}, nil
}
