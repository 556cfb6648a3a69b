package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// fitLine makes mask, t's text rendered on one line at size, fit region
// pixels across: with t.Fit the font shrinks until it does (in proportion
// to the overflow, a few rounds, down to 1 pixel); then, with t.Clip,
// whole characters are dropped (clipLine) while the line is still wider:
// the most that fit are kept, found by bisection (more characters are
// never narrower). It returns the mask to draw, closing the ones it
// replaced (mask included when replaced), or nil when nothing visible is
// left to draw. render renders a text at a size as mask was.
func fitLine(mask *vips.Image, t params.Text, size float64, region int, render func(string, float64) (*vips.Image, error)) (*vips.Image, error) {
	for round := 0; t.Fit && round < 6 && mask.Width() > region && size > 1; round++ {
		size = math.Max(1, math.Floor(size*float64(region)/float64(mask.Width())))
		next, err := render(t.Text, size)
		if err != nil {
			mask.Close()
			return nil, err
		}
		mask.Close()
		mask = next
	}
	if t.Clip == params.TextClipNone || mask.Width() <= region {
		return mask, nil
	}
	mask.Close()
	runes := []rune(t.Text)
	try := func(k int) (*vips.Image, error) {
		text := clipLine(runes, k, t.Clip, t.Ellipsis)
		if !visible(text) {
			return nil, nil
		}
		return render(text, size)
	}
	// The answer k is in [lo, hi]: every k up to lo fits (k = 0 is taken
	// to, as the least there is to draw), len(runes) does not.
	lo, hi := 0, len(runes)-1
	var best *vips.Image
	bestK := -1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		m, err := try(mid)
		if err != nil {
			if best != nil {
				best.Close()
			}
			return nil, err
		}
		if m == nil || m.Width() <= region {
			lo = mid
			if best != nil {
				best.Close()
			}
			best, bestK = m, mid
			continue
		}
		m.Close()
		hi = mid - 1
	}
	if bestK == lo {
		return best, nil
	}
	if best != nil {
		best.Close()
	}
	return try(lo)
}

// clipLine is runes with all but k of them dropped from the end (Clip
// end), the start, or the middle (the first half rounded up kept before
// the cut), and "…" where they were when ellipsis is set.
func clipLine(runes []rune, k int, clip params.TextClip, ellipsis bool) string {
	mark := ""
	if ellipsis {
		mark = "…"
	}
	n := len(runes)
	switch clip {
	case params.TextClipStart:
		return mark + string(runes[n-k:])
	case params.TextClipMiddle:
		head := (k + 1) / 2
		return string(runes[:head]) + mark + string(runes[n-(k-head):])
	}
	return string(runes[:k]) + mark
}
