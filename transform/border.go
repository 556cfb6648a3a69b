package transform

import (
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// border draws Params.Border over the output, inside its edges (the output
// does not grow), after the text and before a mask shape (which cuts it
// too): a frame in the border's colour between the output's box, rounded
// by Radius, and the box inset by the sides' widths, rounded by
// InnerRadius. With Radius the output outside its rounded box is cut away
// as mask=corners cuts it (transparent, or white for a format without
// alpha). Widths and radii are CSS pixels times the DPR. A ZIP answer is
// left as it is.
func (j *job) border() error {
	b := j.p.Border
	if b == (params.Border{}) || j.format == params.FormatZIP {
		return nil
	}
	w, h := j.img.Width(), j.img.Height()
	dpr := j.p.DevicePixelRatio()
	radii := func(c params.Corners) [4]float64 {
		return [4]float64{float64(devicePx(c.TopLeft, dpr)), float64(devicePx(c.TopRight, dpr)),
			float64(devicePx(c.BottomRight, dpr)), float64(devicePx(c.BottomLeft, dpr))}
	}
	outer := radii(b.Radius)
	if s := b.Sides; s != (params.Sides{}) && b.Color.A > 0 {
		top, right, bottom, left := devicePx(s.Top, dpr), devicePx(s.Right, dpr), devicePx(s.Bottom, dpr), devicePx(s.Left, dpr)
		x0, y0 := min(left, w), min(top, h)
		x1, y1 := max(x0, w-right), max(y0, h-bottom)
		// The frame: what the outer box covers and the inner one does not,
		// times the colour's alpha; one w x h plane at a time.
		frame := cornersCover(w, h, outer)
		subtractBox(frame, w, x0, y0, x1, y1, radii(b.InnerRadius))
		if a := int(b.Color.A); a < 255 {
			for i, v := range frame {
				frame[i] = byte((int(v)*a + 127) / 255)
			}
		}
		if err := j.drawFrame(frame, b.Color); err != nil {
			return err
		}
	}
	if b.Radius == (params.Corners{}) {
		return nil
	}
	return j.cutTo(cornersCover(w, h, outer), params.Color{}) // made again: one w x h plane at a time
}

// drawFrame composites colour over the output where frame (8-bit coverage,
// one byte per output pixel) covers it.
func (j *job) drawFrame(frame []byte, c params.Color) error {
	mask, err := vips.FromPixels(frame, j.img.Width(), j.img.Height(), 1, j.img.Canceller())
	if err != nil {
		return err
	}
	defer mask.Close()
	layer, err := mask.ColourLayer([3]float64{float64(c.R), float64(c.G), float64(c.B)})
	if err != nil {
		return err
	}
	defer layer.Close()
	return j.overlay(layer, 0, 0)
}
