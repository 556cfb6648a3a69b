package params

import "testing"

// Each fit and its never-enlarging form (Enlarging(false)); Enlarging(true)
// changes nothing.
func TestFitEnlarging(t *testing.T) {
	for _, c := range []struct{ fit, never Fit }{
		{FitClip, FitMax}, {FitCrop, FitMin}, {FitFill, FitFillMax}, {FitOutside, FitOutsideMax},
		{FitMax, FitMax}, {FitMin, FitMin}, {FitFillMax, FitFillMax}, {FitOutsideMax, FitOutsideMax},
		{FitScale, FitScaleDown}, {FitClamp, FitClamp},
		{FitCropDown, FitCropDown}, {FitScaleDown, FitScaleDown}, {FitCropDownPad, FitCropDownPad}, {FitMinPad, FitMinPad}, {FitMaxPad, FitMaxPad},
		{FitScaleDownPad, FitScaleDownPad},
	} {
		if got := c.fit.Enlarging(false); got != c.never {
			t.Errorf("%s.Enlarging(false) = %s, want %s", c.fit, got, c.never)
		}
		if got := c.fit.Enlarging(true); got != c.fit {
			t.Errorf("%s.Enlarging(true) = %s", c.fit, got)
		}
	}
}

// The fits that cut the resized image to the box (and so place the cut by
// Crop, Focus and faces); the padded ones pad only what the cut leaves.
func TestFitCrops(t *testing.T) {
	crops := map[Fit]bool{FitCrop: true, FitMin: true, FitCropDown: true, FitCropDownPad: true, FitMinPad: true}
	for f := FitClip; f <= FitScaleDownPad; f++ {
		if f.Crops() != crops[f] {
			t.Errorf("%s.Crops() = %v", f, f.Crops())
		}
		if f.Fills() && crops[f] {
			t.Errorf("%s both Fills and Crops", f)
		}
	}
}

// The fits imgix does not name are keyed by their own names, which ParseFit
// (imgix's fit=) does not read.
func TestFitNamesLater(t *testing.T) {
	for f, want := range map[Fit]string{FitCropDown: "w=300,h=300,fit=cropdown", FitScaleDown: "w=300,h=300,fit=scaledown",
		FitCropDownPad: "w=300,h=300,fit=cropdownpad", FitMinPad: "w=300,h=300,fit=minpad",
		FitMaxPad: "w=300,h=300,fit=maxpad", FitScaleDownPad: "w=300,h=300,fit=scaledownpad"} {
		if got := (Params{Width: 300, Height: 300, Fit: f}).Key(); got != want {
			t.Errorf("Key of %d = %q, want %q", f, got, want)
		}
		if _, ok := ParseFit(f.String()); ok {
			t.Errorf("ParseFit reads %q", f)
		}
	}
}

// The imgproxy fits with a box of their own that never enlarge cap the
// DPR (imgproxy's calcScale); the others take it whole.
func TestFitCapsDPR(t *testing.T) {
	caps := map[Fit]bool{FitCropDown: true, FitCropDownPad: true, FitMinPad: true, FitMaxPad: true, FitScaleDownPad: true}
	for f := FitClip; f <= FitScaleDownPad; f++ {
		if f.CapsDPR() != caps[f] {
			t.Errorf("%s.CapsDPR() = %v", f, f.CapsDPR())
		}
	}
}
