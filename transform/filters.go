package transform

// filters runs sharp's median, threshold, normalise and tint (Params.Median,
// Threshold, Normalize, Tint), in sharp's order, after adjust: on the
// resized image and before any pixel is added around it.
func (j *job) filters() error {
	p := j.p
	if p.Median > 1 {
		if err := j.img.Median(p.Median); err != nil {
			return err
		}
	}
	if p.Threshold > 0 {
		if err := j.img.GreyThreshold(p.Threshold); err != nil {
			return err
		}
	}
	if p.Normalize {
		// Two passes (the histogram, then the stretch): rendered first, as
		// the decode before it reads its source once.
		if err := j.toMemory(j.img); err != nil {
			return err
		}
		if err := j.img.Normalise(normaliseLower, normaliseUpper); err != nil {
			return err
		}
	}
	if c := p.Tint; c.Set {
		return j.img.Tint(c.R, c.G, c.B)
	}
	return nil
}

// sharp's normalise percentiles by default, the ones ipx asks for.
const normaliseLower, normaliseUpper = 1, 99
