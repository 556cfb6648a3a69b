package params

import "testing"

// Each fit and its never-enlarging form (Enlarging(false)); Enlarging(true)
// changes nothing.
func TestFitEnlarging(t *testing.T) {
	for _, c := range []struct{ fit, never Fit }{
		{FitClip, FitMax}, {FitCrop, FitMin}, {FitFill, FitFillMax}, {FitOutside, FitOutsideMax},
		{FitMax, FitMax}, {FitMin, FitMin}, {FitFillMax, FitFillMax}, {FitOutsideMax, FitOutsideMax},
		{FitScale, FitScale}, {FitClamp, FitClamp},
	} {
		if got := c.fit.Enlarging(false); got != c.never {
			t.Errorf("%s.Enlarging(false) = %s, want %s", c.fit, got, c.never)
		}
		if got := c.fit.Enlarging(true); got != c.fit {
			t.Errorf("%s.Enlarging(true) = %s", c.fit, got)
		}
	}
}
