package caddymodule

import "testing"

// TestRateUnits pins remove.bg's rate-limit table (its API reference, Rate
// Limit: "Input image, Megapixels, Effective Rate Limit" at 500 a minute).
func TestRateUnits(t *testing.T) {
	for _, tc := range []struct {
		w, h      int
		units     float64
		perMinute int
	}{
		{625, 400, 1, 500},
		{1200, 800, 1, 500},
		{1600, 1200, 2, 250},
		{2500, 1600, 4, 125},
		{4000, 2500, 10, 50},
		{6250, 4000, 25, 20},
		{8000, 6250, 50, 10},
		{1, 1, 1, 500},
		{1000, 1001, 2, 250}, // a pixel over 1 MP
	} {
		got := rateUnits(tc.w, tc.h)
		if got != tc.units || int(500/got) != tc.perMinute {
			t.Errorf("rateUnits(%d, %d) = %v (%d a minute of 500), want %v (%d)", tc.w, tc.h, got, int(500/got), tc.units, tc.perMinute)
		}
	}
}
