package params

import "math"

// DevicePixelRatio is DPR, 1 when unset: what CSS pixels are multiplied
// by to give device pixels.
func (p Params) DevicePixelRatio() float64 {
	if p.DPR == 0 {
		return 1
	}
	return p.DPR
}

// DeviceBox returns the requested output box in device pixels (0 for unset sides).
func (p Params) DeviceBox() (w, h int) {
	dpr := p.DevicePixelRatio()
	return int(math.Round(float64(p.Width) * dpr)), int(math.Round(float64(p.Height) * dpr))
}

// QuarterTurns is the rotation when it is a multiple of 90 degrees.
func (p Params) QuarterTurns() (int, bool) {
	if math.Mod(p.Rotate, 90) != 0 {
		return 0, false
	}
	return int(p.Rotate/90) % 4, true
}
