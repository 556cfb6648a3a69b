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
	return j.cutTo(cover, p.MaskBackground)
}

// cutTo keeps the output where cover (8-bit, one byte per output pixel)
// covers it: its alpha is multiplied by cover, and what is left
// transparent takes bg, or white for a format without alpha.
func (j *job) cutTo(cover []byte, bg params.Color) error {
	w, h := j.img.Width(), j.img.Height()
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
	return j.fillTransparency(bg)
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
	return boxCover(w, h, 0, 0, w, h, r)
}

// boxCover is the 8-bit coverage, in a w x h image, of the box from
// (x0, y0) to (x1, y1) (exclusive; within the image) with corners rounded
// to radii r (clockwise from the top left; each at most half the box's
// shorter side), anti-aliased over one pixel: 0 outside the box.
func boxCover(w, h, x0, y0, x1, y1 int, r [4]float64) []byte {
	out := make([]byte, w*h)
	for y := y0; y < y1; y++ {
		row := out[y*w+x0 : y*w+x1]
		for i := range row {
			row[i] = 255
		}
	}
	for _, c := range boxCorners(x0, y0, x1, y1, r) {
		for y := c.sy; y < c.sy+c.size; y++ {
			for x := c.sx; x < c.sx+c.size; x++ {
				if v, ok := c.cover(x, y); ok {
					out[y*w+x] = v
				}
			}
		}
	}
	return out
}

// subtractBox takes the coverage of the rounded box boxCover describes
// away from dst (w pixels a row): a frame is an outer box's coverage less
// an inner one's. The box's plain part is cleared row by row; only the
// corners' squares are worked out pixel by pixel, from dst as it was.
func subtractBox(dst []byte, w, x0, y0, x1, y1 int, r [4]float64) {
	cs := boxCorners(x0, y0, x1, y1, r)
	saved := make([][]byte, len(cs))
	for k, c := range cs {
		saved[k] = make([]byte, c.size*c.size)
		for y := c.sy; y < c.sy+c.size; y++ {
			for x := c.sx; x < c.sx+c.size; x++ {
				if y >= y0 && y < y1 && x >= x0 && x < x1 {
					saved[k][(y-c.sy)*c.size+(x-c.sx)] = dst[y*w+x]
				}
			}
		}
	}
	for y := y0; y < y1; y++ {
		row := dst[y*w+x0 : y*w+x1]
		for i := range row {
			row[i] = 0
		}
	}
	for k, c := range cs {
		for y := c.sy; y < c.sy+c.size; y++ {
			for x := c.sx; x < c.sx+c.size; x++ {
				if v, ok := c.cover(x, y); ok {
					was := saved[k][(y-c.sy)*c.size+(x-c.sx)]
					dst[y*w+x] = was - min(was, v)
				}
			}
		}
	}
}

// boxCorner is a rounded corner of a box: the circle's centre and radius,
// and the square (sx, sy, size) between the centre and the box's corner,
// the only part of the box its rounding changes.
type boxCorner struct {
	i              int // 0 top left, clockwise
	cx, cy, r      float64
	sx, sy, size   int
	x0, y0, x1, y1 int // the box, to keep the square within it
}

// boxCorners are the box's rounded corners (radius above 0, each at most
// half the box's shorter side).
func boxCorners(x0, y0, x1, y1 int, r [4]float64) []boxCorner {
	var cs []boxCorner
	limit := float64(min(x1-x0, y1-y0)) / 2
	for i, rad := range r {
		rad = math.Min(rad, limit)
		if rad <= 0 {
			continue
		}
		c := boxCorner{i: i, cx: float64(x0) + rad, cy: float64(y0) + rad, r: rad, sx: x0, sy: y0, size: int(math.Ceil(rad)), x0: x0, y0: y0, x1: x1, y1: y1}
		if i == 1 || i == 2 {
			c.cx, c.sx = float64(x1)-rad, x1-c.size
		}
		if i == 2 || i == 3 {
			c.cy, c.sy = float64(y1)-rad, y1-c.size
		}
		cs = append(cs, c)
	}
	return cs
}

// cover is the coverage of pixel (x, y) when the corner's rounding decides
// it (ok), that is when the pixel's centre lies beyond the circle's centre
// towards the box's corner, within the box.
func (c boxCorner) cover(x, y int) (byte, bool) {
	if x < max(c.sx, c.x0) || x >= min(c.sx+c.size, c.x1) || y < max(c.sy, c.y0) || y >= min(c.sy+c.size, c.y1) {
		return 0, false
	}
	px, py := float64(x)+0.5, float64(y)+0.5
	if (c.i == 0 || c.i == 3) && px > c.cx || (c.i == 1 || c.i == 2) && px < c.cx ||
		(c.i == 0 || c.i == 1) && py > c.cy || (c.i == 2 || c.i == 3) && py < c.cy {
		return 0, false
	}
	return coverage(math.Hypot(px-c.cx, py-c.cy) - c.r), true
}

// coverage turns a pixel centre's signed distance d (negative inside) to
// an edge into the 8-bit share of the pixel inside.
func coverage(d float64) byte {
	return byte(math.Round(255 * math.Max(0, math.Min(1, 0.5-d))))
}
