package transform

import (
	"errors"
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// watermark draws Params.Watermark's image (Extras.Mark) over the output,
// after the background (so it is never flattened with the image's own
// transparency) and before a mask shape (which cuts it too). A ZIP answer
// is left as it is.
func (j *job) watermark() error {
	m := j.p.Watermark
	if m.Image == "" || j.format == params.FormatZIP {
		return nil
	}
	data := j.req.Extras.Mark
	if len(data) == 0 || params.BgImageRef(data) != m.Image {
		return errors.New("transform: Extras.Mark does not match Params.Watermark.Image")
	}
	info, err := j.pl.Probe(data)
	if err != nil {
		return err
	}
	W, H := j.img.Width(), j.img.Height()
	if W < m.MinWidth || H < m.MinHeight {
		return nil
	}
	dpr := j.p.DevicePixelRatio()
	w, h := markSize(m, info.Width, info.Height, W, H, dpr)
	mark, err := vips.Thumbnail(data, w, h, vips.NoCrop, 1, 0, j.img.Canceller())
	if err != nil {
		return err
	}
	defer mark.Close()
	if err := mark.ToSRGB(); err != nil {
		return err
	}
	if err := mark.AddAlpha(); err != nil {
		return err
	}
	if m.Alpha < 100 {
		if err := mark.ScaleAlpha(float64(m.Alpha) / 100); err != nil {
			return err
		}
	}
	if m.Rotate != 0 {
		if err := mark.Rotate(m.Rotate, []float64{0, 0, 0, 0}); err != nil {
			return err
		}
		w, h = mark.Width(), mark.Height() // placed by its turned bounding box
	}
	// Placed by its alignment, unless X or Y is set (markOffset reads
	// Thumbor's far-edge and percentage forms too).
	x, y := placeLayer(m.Align, m.Pad, 0, false, 0, false, w, h, W, H, dpr)
	if m.XSet {
		x = markOffset(m.X, m.XPercent, m.XFromEnd, w, W, dpr)
	}
	if m.YSet {
		y = markOffset(m.Y, m.YPercent, m.YFromEnd, h, H, dpr)
	}
	switch {
	case m.Spread != 0:
		if x, y, err = spread(mark, m.Spread, x, y, W, H); err != nil {
			return err
		}
	case m.Tile:
		if err := tile(mark, x, y, devicePx(m.Pad, dpr), W, H); err != nil {
			return err
		}
		x, y = 0, 0
	}
	return j.overlay(mark, x, y)
}

// markOffset is the mark's top (or left) edge for a set Y (or X) of v:
// CSS pixels times dpr, or v percent of the output's side, measured from
// the start, or from the end to the mark's far edge (size pixels long).
func markOffset(v int, percent, fromEnd bool, size, side int, dpr float64) int {
	off := devicePx(v, dpr)
	if percent {
		off = int(math.Round(float64(side)*float64(v)/100 + 1e-5)) // as Thumbor rounds
	}
	if fromEnd {
		return side - size - off
	}
	return off
}

// spread turns mark into a row, a column or a grid of copies along the
// axes named (see params.Watermark.Spread) and returns where the layer's
// top left goes: 0 on a spread axis, else x or y.
func spread(mark *vips.Image, axes params.Axes, x, y, W, H int) (int, int, error) {
	w, h := mark.Width(), mark.Height()
	nx, gx, ny, gy := 1, 0, 1, 0
	capped := axes == params.AxisX|params.AxisY && (W/w)*(H/h) > 100
	if axes&params.AxisX != 0 {
		nx, gx = spreadAxis(W, w, capped)
		x = 0
	}
	if axes&params.AxisY != 0 {
		ny, gy = spreadAxis(H, h, capped)
		y = 0
	}
	if err := mark.Embed(0, 0, w+gx, h+gy, []float64{0, 0, 0, 0}); err != nil {
		return 0, 0, err
	}
	return x, y, mark.Replicate(nx, ny)
}

// spreadAxis is how many marks of length size go along side, and the gap
// between neighbours (Thumbor's watermark repeat): as many whole marks as
// fit, the rest of the side shared between the gaps; when fewer than two
// fit, enough to reach the far edge, 10 pixels apart; capped at 6 (the
// gaps growing to fill the side) when capped is set.
func spreadAxis(side, size int, capped bool) (n, gap int) {
	n, rest := side/size, side%size
	switch {
	case n < 2:
		return (side + size - 1) / size, 10
	case capped && n > 6:
		n, rest = 6, side-6*size
	}
	return n, rest / (n - 1)
}

// tile turns mark, placed at (x, y), into a W x H layer that repeats it
// in a grid gap pixels apart, around and through that place.
func tile(mark *vips.Image, x, y, gap, W, H int) error {
	w, h := mark.Width(), mark.Height()
	sx, sy := w+gap, h+gap
	if err := mark.Embed(0, 0, sx, sy, []float64{0, 0, 0, 0}); err != nil {
		return err
	}
	// The grid's first cell at or left of (and above) the output's corner:
	// x0 in (-sx, 0].
	x0, y0 := ((x%sx)+sx)%sx, ((y%sy)+sy)%sy
	if x0 > 0 {
		x0 -= sx
	}
	if y0 > 0 {
		y0 -= sy
	}
	across, down := (W-x0+sx-1)/sx, (H-y0+sy-1)/sy
	if err := mark.Replicate(across, down); err != nil {
		return err
	}
	return mark.Extract(-x0, -y0, W, H)
}

// overlay composites layer (with alpha) over the image with its top left
// at (x, y); what falls outside is cut, and an opaque image stays opaque.
func (j *job) overlay(layer *vips.Image, x, y int) error {
	hadAlpha := j.img.HasAlpha()
	out, err := vips.CompositeAt(j.img, layer, x, y, vips.BlendOver)
	if err != nil {
		return err
	}
	j.img.Replace(out)
	if !hadAlpha {
		opaque, err := j.img.ExtractBand(0, j.img.Bands()-1)
		if err != nil {
			return err
		}
		j.img.Replace(opaque)
	}
	return nil
}

// markSize is the watermark's size in output pixels for a w0 x h0 image
// over a W x H output (see params.Watermark): never more than the output,
// never less than 1 pixel.
func markSize(m params.Watermark, w0, h0, W, H int, dpr float64) (w, h int) {
	bw, bh := float64(m.Width)*dpr, float64(m.Height)*dpr
	if m.WidthRatio > 0 {
		bw = m.WidthRatio * float64(W)
	}
	if m.HeightRatio > 0 {
		bh = m.HeightRatio * float64(H)
	}
	fw, fh := float64(w0), float64(h0)
	switch {
	case m.Scale > 0:
		fw = float64(W) * float64(m.Scale) / 100
		fh = fw * float64(h0) / float64(w0)
	case bw > 0 && bh > 0 && m.Fit == params.FitScale:
		fw, fh = bw, bh
	case bw > 0 || bh > 0:
		k := math.Inf(1)
		if bw > 0 {
			k = bw / float64(w0)
		}
		if bh > 0 {
			k = math.Min(k, bh/float64(h0))
		}
		if m.Fit == params.FitMax {
			k = math.Min(k, 1)
		}
		fw, fh = float64(w0)*k, float64(h0)*k
	}
	if k := math.Min(float64(W)/fw, float64(H)/fh); k < 1 { // inside the output
		fw, fh = fw*k, fh*k
	}
	return max(1, int(math.Round(fw))), max(1, int(math.Round(fh)))
}

// placeLayer is the top left of a w x h layer in the W x H output: at x, y
// CSS pixels when set, else placed by align within the output less pad CSS
// pixels on every side (all times dpr).
func placeLayer(align params.Crop, pad, x int, xSet bool, y int, ySet bool, w, h, W, H int, dpr float64) (int, int) {
	p := devicePx(pad, dpr)
	px, py := gravityOffset(align, W-2*p-w, H-2*p-h)
	px, py = px+p, py+p
	if xSet {
		px = devicePx(x, dpr)
	}
	if ySet {
		py = devicePx(y, dpr)
	}
	return px, py
}
