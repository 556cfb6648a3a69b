package transform

// alphaBox is the bounding box of the pixels whose alpha, median-filtered
// over 3x3 with the edge pixels repeated outwards, is above threshold: what
// libvips' find_trim answers for the alpha band against a background of 0
// (its median, then the difference, then the first and last rows and
// columns that pass), computed on px in place. px holds w x h pixels of
// bands bytes each, alpha last. ok is false when no pixel passes.
//
// The median of nine values is above threshold when at least five of them
// are, so each pixel only counts its neighbours that pass. Rows whose
// neighbourhood holds no passing alpha (most of a cut-out's background) are
// skipped whole.
func alphaBox(px []byte, w, h, bands int, threshold byte) (box Box, ok bool) {
	if w < 1 || h < 1 || bands < 1 || len(px) < w*h*bands {
		return Box{}, false
	}
	// pass[y] marks row y's passing pixels; any[y] whether it has one.
	pass := make([]byte, w*h)
	any := make([]bool, h)
	for y := range h {
		row, marks := px[y*w*bands:], pass[y*w:(y+1)*w]
		for x := range marks {
			if row[x*bands+bands-1] > threshold {
				marks[x] = 1
				any[y] = true
			}
		}
	}
	left, right, top, bottom := w, -1, h, -1
	col := make([]byte, w) // passing pixels in the 3-row window, per column
	for y := range h {
		up, down := max(y-1, 0), min(y+1, h-1)
		if !any[up] && !any[y] && !any[down] {
			continue
		}
		a, b, c := pass[up*w:(up+1)*w], pass[y*w:(y+1)*w], pass[down*w:(down+1)*w]
		for x := range col {
			col[x] = a[x] + b[x] + c[x]
		}
		for x := range w {
			n := col[max(x-1, 0)] + col[x] + col[min(x+1, w-1)]
			if n < 5 {
				continue
			}
			left, right = min(left, x), max(right, x)
			top, bottom = min(top, y), y
		}
	}
	if right < 0 {
		return Box{}, false
	}
	return Box{Left: left, Top: top, Width: right - left + 1, Height: bottom - top + 1}, true
}
