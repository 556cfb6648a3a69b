package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// shape cuts the output to Params.Mask's shape (imgix mask=ellipse: the
// ellipse inscribed in the image; mask=corners: rounded corners; wsrv's
// circle: the largest centred circle), with
// anti-aliased edges. It runs after background, so that bg keeps filling
// the image's own transparency and the padding, while what the shape cuts
// away is transparent, or MaskBackground, or white for a format without
// alpha (as in imgix). A ZIP answer is left as it is.
func (j *job) shape() error {
	p := j.p
	if p.Mask == params.ShapeNone || j.format == params.FormatZIP {
		return nil
	}
	w, h := j.img.Width(), j.img.Height()
	var cover []byte
	switch p.Mask {
	case params.ShapeEllipse:
		cover = ellipseCover(w, h, float64(w)/2, float64(h)/2)
	case params.ShapeCircle:
		r := float64(min(w, h)) / 2
		cover = ellipseCover(w, h, r, r)
	default:
		cover = cornersCover(w, h, j.cornerRadii(w, h))
	}
	mask, err := vips.FromPixels(cover, w, h, 1, j.img.Canceller())
	if err != nil {
		return err
	}
	defer mask.Close()
	n := j.img.Bands()
	if j.img.HasAlpha() {
		n--
	}
	colour, err := j.img.ExtractBand(0, n)
	if err != nil {
		return err
	}
	defer colour.Close()
	if j.img.HasAlpha() {
		own, err := j.img.ExtractBand(n, 1)
		if err != nil {
			return err
		}
		combined, err := vips.Mul255(own, mask)
		own.Close()
		if err != nil {
			return err
		}
		mask.Replace(combined)
	}
	joined, err := vips.BandJoin(colour, mask)
	if err != nil {
		return err
	}
	j.img.Replace(joined)
	return j.fillTransparency(p.MaskBackground)
}

// cornerRadii are mask=corners' radii in output pixels, clockwise from the
// top left: corner-radius times the DPR, or 20% of the shorter side when
// not given (imgix's default).
func (j *job) cornerRadii(w, h int) [4]float64 {
	c := j.p.CornerRadius
	if !c.Set {
		r := 0.2 * float64(min(w, h))
		return [4]float64{r, r, r, r}
	}
	dpr := j.p.DevicePixelRatio()
	return [4]float64{float64(c.TopLeft) * dpr, float64(c.TopRight) * dpr, float64(c.BottomRight) * dpr, float64(c.BottomLeft) * dpr}
}

// ellipseCover is the 8-bit coverage, in a w x h image, of the ellipse of
// semi-axes a and b centred in it: for each pixel centre, its signed
// distance to the ellipse (estimated as f/|∇f| for f = (x/a)² + (y/b)² - 1)
// turned into the share of the pixel inside, so the edge is anti-aliased
// over one pixel.
func ellipseCover(w, h int, a, b float64) []byte {
	out := make([]byte, w*h)
	cx, cy := float64(w)/2, float64(h)/2
	for y := range h {
		dy := (float64(y) + 0.5 - cy) / b
		for x := range w {
			dx := (float64(x) + 0.5 - cx) / a
			f := dx*dx + dy*dy - 1
			grad := 2 * math.Hypot(dx/a, dy/b)
			d := 0.0
			if grad > 0 {
				d = f / grad
			} else if f > 0 {
				d = math.Inf(1)
			} else {
				d = math.Inf(-1)
			}
			out[y*w+x] = coverage(d)
		}
	}
	return out
}

// cornersCover is the 8-bit coverage of a w x h rectangle with corners
// rounded to radii r (clockwise from the top left; each at most half the
// shorter side), anti-aliased over one pixel.
func cornersCover(w, h int, r [4]float64) []byte {
	out := make([]byte, w*h)
	for i := range out {
		out[i] = 255
	}
	limit := float64(min(w, h)) / 2
	// Each corner: its radius, and the centre of its circle.
	type corner struct{ r, cx, cy float64 }
	var cs [4]corner
	for i, rad := range r {
		rad = math.Min(rad, limit)
		cx, cy := rad, rad
		if i == 1 || i == 2 {
			cx = float64(w) - rad
		}
		if i == 2 || i == 3 {
			cy = float64(h) - rad
		}
		cs[i] = corner{rad, cx, cy}
	}
	for i, c := range cs {
		if c.r <= 0 {
			continue
		}
		x0, y0 := 0, 0
		if i == 1 || i == 2 {
			x0 = w - int(math.Ceil(c.r))
		}
		if i == 2 || i == 3 {
			y0 = h - int(math.Ceil(c.r))
		}
		size := int(math.Ceil(c.r))
		for y := y0; y < y0+size && y < h; y++ {
			for x := x0; x < x0+size && x < w; x++ {
				px, py := float64(x)+0.5, float64(y)+0.5
				// Only the square between the circle's centre and the
				// image's corner is outside the rectangle's plain part.
				if (i == 0 || i == 3) && px > c.cx || (i == 1 || i == 2) && px < c.cx ||
					(i == 0 || i == 1) && py > c.cy || (i == 2 || i == 3) && py < c.cy {
					continue
				}
				out[y*w+x] = coverage(math.Hypot(px-c.cx, py-c.cy) - c.r)
			}
		}
	}
	return out
}

// coverage turns a pixel centre's signed distance d (negative inside) to
// an edge into the 8-bit share of the pixel inside.
func coverage(d float64) byte {
	return byte(math.Round(255 * math.Max(0, math.Min(1, 0.5-d))))
}
