package transform

import (
	"math"

	"github.com/jebosio/matte/params"
)

// canvasOffset is where an iw x ih image goes on a w x h canvas (at least
// as large on both sides), placed by g as imgproxy's calcPosition
// (processing/calc_position.go, allowOverflow false) places ex's and
// exar's image, its pixel offsets times dpr:
//
//	if math.Abs(gravity.X) >= 1.0 {
//		offX = imath.RoundToEven(gravity.X * dpr)
//	} else {
//		offX = imath.ScaleToEven(width, gravity.X)
//	}
//	...
//	if gravity.Type == options.GravityEast || ... {
//		left = width - innerWidth - offX
//	}
//	...
//	left = imath.Max(minX, imath.Min(left, maxX))
//
// a focal point centring the image on the point ("left = pointX -
// innerWidth/2"). A centred axis is Matte's (w - iw) / 2, as every canvas
// centres; the zero ExtendGravity centres both.
func canvasOffset(g params.ExtendGravity, dpr float64, w, h, iw, ih int) (x, y int) {
	place := func(v float64, side, inner int, start, end bool) int {
		if g.Point {
			return roundEven(float64(side)*v) - inner/2
		}
		off := roundEven(float64(side) * v)
		if math.Abs(v) >= 1 {
			off = roundEven(v * dpr)
		}
		switch {
		case start:
			return off
		case end:
			return side - inner - off
		}
		return (side-inner)/2 + off
	}
	a := g.Anchor
	x = place(g.X, w, iw, a == params.CropLeft || a == params.CropTopLeft || a == params.CropBottomLeft,
		a == params.CropRight || a == params.CropTopRight || a == params.CropBottomRight)
	y = place(g.Y, h, ih, a == params.CropTop || a == params.CropTopLeft || a == params.CropTopRight,
		a == params.CropBottom || a == params.CropBottomLeft || a == params.CropBottomRight)
	return min(max(x, 0), w-iw), min(max(y, 0), h-ih)
}

// roundEven is v rounded to the nearest integer, halves to the even one
// (imgproxy's imath.RoundToEven).
func roundEven(v float64) int { return int(math.RoundToEven(v)) }
