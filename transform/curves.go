package transform

import (
	"math"

	"github.com/jebosio/matte/params"
)

// curves maps the colour samples through Params.Curves: each band's own
// curve, then the curve of all three (Thumbor's curve filter).
func (j *job) curves() error {
	c := j.p.Curves
	var tables [4][256]uint8
	for i, list := range []string{c.Red, c.Green, c.Blue, c.All} {
		pts, err := params.CurvePoints(list)
		if err != nil {
			return err
		}
		tables[i] = splineTable(pts)
	}
	var lut [256][3]uint8
	for v := range 256 {
		for band := range 3 {
			lut[v][band] = tables[3][tables[band][v]]
		}
	}
	return j.img.MapColour(&lut)
}

// splineTable evaluates the natural cubic spline through pts (x strictly
// increasing) at 0-255, rounded and clamped to 0-255: the first y before
// the first point, the last y from the last point on.
func splineTable(pts [][2]int) [256]uint8 {
	var t [256]uint8
	n := len(pts)
	for x := range t {
		t[x] = uint8(pts[0][1])
	}
	d2 := secondDerivatives(pts)
	for i := 0; i+1 < n; i++ {
		x0, y0, x1, y1 := float64(pts[i][0]), float64(pts[i][1]), float64(pts[i+1][0]), float64(pts[i+1][1])
		h := x1 - x0
		for x := pts[i][0]; x < pts[i+1][0]; x++ {
			b := (float64(x) - x0) / h
			a := 1 - b
			y := a*y0 + b*y1 + h*h/6*((a*a*a-a)*d2[i]+(b*b*b-b)*d2[i+1])
			t[x] = uint8(min(max(math.Round(y), 0), 255))
		}
	}
	for x := pts[n-1][0]; x < 256; x++ {
		t[x] = uint8(pts[n-1][1])
	}
	return t
}

// secondDerivatives solves for the natural spline's second derivative at
// each point (0 at both ends), by the tridiagonal system of its
// continuity conditions (Thomas algorithm).
func secondDerivatives(pts [][2]int) []float64 {
	n := len(pts)
	d2 := make([]float64, n)
	if n < 3 {
		return d2
	}
	// Rows 1..n-2: sub[i]·d2[i-1] + diag[i]·d2[i] + sup[i]·d2[i+1] = rhs[i].
	diag, sup, rhs := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := 1; i < n-1; i++ {
		hPrev := float64(pts[i][0] - pts[i-1][0])
		hNext := float64(pts[i+1][0] - pts[i][0])
		sub := hPrev / 6
		diag[i] = (hPrev + hNext) / 3
		sup[i] = hNext / 6
		rhs[i] = float64(pts[i+1][1]-pts[i][1])/hNext - float64(pts[i][1]-pts[i-1][1])/hPrev
		if i > 1 { // eliminate the sub-diagonal against the row above
			k := sub / diag[i-1]
			diag[i] -= k * sup[i-1]
			rhs[i] -= k * rhs[i-1]
		}
	}
	for i := n - 2; i >= 1; i-- {
		d2[i] = (rhs[i] - sup[i]*d2[i+1]) / diag[i]
	}
	return d2
}
