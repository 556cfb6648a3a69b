package transform

// crop applies the planned crop, in the frame after a quarter turn.
func (j *job) crop() error {
	g := j.geo
	if g.cropW == 0 {
		return nil
	}
	w, h := min(g.cropW, j.img.Width()), min(g.cropH, j.img.Height())
	x := max(0, min(g.cropX, j.img.Width()-w))
	y := max(0, min(g.cropY, j.img.Height()-h))
	return j.img.Extract(x, y, w, h)
}
