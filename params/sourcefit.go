package params

// SourceFit is a fit that depends on the source: where the source, as the
// pipeline sizes it, meets When against the Width x Height box, Fit takes
// the place of Params.Fit. The source is sized after its EXIF orientation,
// Rect or Region and Rotate's quarter turns (as the box counts its axes),
// but before a border trim (Trim), which is only found while decoding.
type SourceFit struct {
	When FitWhen
	Fit  Fit
}

// FitWhen is the test of a SourceFit.
type FitWhen uint8

const (
	// FitWhenNever is the zero SourceFit's: Params.Fit stays.
	FitWhenNever FitWhen = iota
	// FitWhenSmaller holds where both sides of the box are given and the
	// source is no larger than it on either side, in device pixels
	// (Cloudflare's fit=crop: scale-down there, cover elsewhere).
	FitWhenSmaller
	// FitWhenCrossed holds where the source's orientation and the box's
	// differ, a square counting as landscape, a side of the box not given
	// being the source's (imgproxy's rt:auto: fit there, fill elsewhere).
	FitWhenCrossed
)

// String returns "never", "smaller" or "crossed". The names are part of
// Key and therefore stable.
func (w FitWhen) String() string { return enumName(fitWhenNames[:], uint8(w), "fit-when") }

var fitWhenNames = [...]string{FitWhenNever: "never", FitWhenSmaller: "smaller", FitWhenCrossed: "crossed"}

// ResolveSourceFit returns p with its SourceFit resolved for a source of
// w x h pixels (oriented, after Rect or Region, before Rotate): Fit is
// SourceFit.Fit where SourceFit.When holds, and SourceFit is cleared.
func (p Params) ResolveSourceFit(w, h int) Params {
	f := p.SourceFit
	if f.When == FitWhenNever {
		return p
	}
	p.SourceFit = SourceFit{}
	if turns, ok := p.QuarterTurns(); ok && turns%2 == 1 {
		w, h = h, w
	}
	bw, bh := p.DeviceBox()
	switch f.When {
	case FitWhenSmaller:
		if bw > 0 && bh > 0 && w <= bw && h <= bh {
			p.Fit = f.Fit
		}
	case FitWhenCrossed:
		if bw == 0 {
			bw = w
		}
		if bh == 0 {
			bh = h
		}
		if (w >= h) != (bw >= bh) {
			p.Fit = f.Fit
		}
	}
	return p
}
