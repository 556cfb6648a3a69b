package vips

import (
	"runtime"
	"testing"
	"time"
)

// TestCancellerKillsComputations: a computation on a watched image, and on
// images made from it, fails once its Canceller is cancelled, instead of
// running to its end.
func TestCancellerKillsComputations(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	c := NewCanceller()
	defer c.Release()
	img, err := Solid(3000, 3000, []float64{10, 20, 30}, c)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.GaussBlur(100, false); err != nil { // seconds of work at full size
		t.Fatal(err)
	}
	grey, err := img.ExtractBand(0, 1) // made from the watched image
	if err != nil {
		t.Fatal(err)
	}
	defer grey.Close()
	c.Cancel()
	for name, im := range map[string]*Image{"watched": img, "derived": grey} {
		start := time.Now()
		if err := im.CopyMemory(); err == nil {
			t.Errorf("%s: rendered after Cancel", name)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: stopped after %v", name, took)
		}
	}
}

// TestUnwatchedImagesRun: without a Canceller, images compute as usual.
func TestUnwatchedImagesRun(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	img, err := Solid(64, 32, []float64{10, 20, 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.CopyMemory(); err != nil {
		t.Fatal(err)
	}
	px, err := img.RawRGB()
	if err != nil || len(px) != 64*32*3 || px[0] != 10 || px[1] != 20 || px[2] != 30 {
		t.Fatalf("pixels %v... (%d bytes), %v", px[:min(3, len(px))], len(px), err)
	}
}

// TestView: an image held in memory is read in place; a lazy one is
// refused rather than rendered behind the caller's back.
func TestView(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	img, err := Solid(4, 2, []float64{10, 20, 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if _, err := img.View(); err == nil {
		t.Error("View of a lazy image succeeded")
	}
	if err := img.CopyMemory(); err != nil {
		t.Fatal(err)
	}
	px, err := img.View()
	if err != nil || len(px) != 4*2*3 || px[0] != 10 || px[1] != 20 || px[2] != 30 || px[23] != 30 {
		t.Fatalf("view %v (%d bytes), %v", px, len(px), err)
	}
	from, err := FromPixels([]byte{1, 2, 3, 4, 5, 6}, 3, 2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	if px, err := from.View(); err != nil || string(px) != "\x01\x02\x03\x04\x05\x06" {
		t.Errorf("view of FromPixels: %v, %v", px, err)
	}
}
