package params

import "math"

// DeviceBox returns the requested output box in device pixels (0 for unset sides).
func (p Params) DeviceBox() (w, h int) {
	dpr := p.DPR
	if dpr == 0 {
		dpr = 1
	}
	return int(math.Round(float64(p.Width) * dpr)), int(math.Round(float64(p.Height) * dpr))
}

// QuarterTurns is the rotation when it is a multiple of 90 degrees.
func (p Params) QuarterTurns() (int, bool) {
	if math.Mod(p.Rotate, 90) != 0 {
		return 0, false
	}
	return int(p.Rotate/90) % 4, true
}
