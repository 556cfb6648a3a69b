package transform

import (
	"math"

	"github.com/jebosio/matte/transform/vips"
)

// foregroundBox is the box of pixels whose alpha passes 10 of 255 (after a
// 3x3 median, which drops specks), or false when there is none. An image
// held in memory at one byte per sample is read in place (alphaBox);
// another has its alpha band rendered and searched by libvips, the same way.
func foregroundBox(img *vips.Image) (Box, bool, error) {
	if img.Width() < 3 || img.Height() < 3 {
		// libvips' trim detection filters with a 3x3 window: call a tiny
		// image its own box.
		return Box{Width: img.Width(), Height: img.Height()}, true, nil
	}
	if px, ok := eightBitPixels(img); ok {
		box, found := alphaBox(px, img.Width(), img.Height(), img.Bands(), 10)
		return box, found, nil
	}
	a, err := img.ExtractBand(img.Bands()-1, 1)
	if err != nil {
		return Box{}, false, err
	}
	defer a.Close()
	if err := a.CopyMemory(); err != nil {
		return Box{}, false, err
	}
	l, t, w, h, err := a.FindTrim([]float64{0}, 10)
	if err != nil {
		return Box{}, false, err
	}
	if w <= 0 || h <= 0 {
		return Box{}, false, nil
	}
	return Box{Left: l, Top: t, Width: w, Height: h}, true, nil
}

// frameSubject applies rect, crop=fg (with fg-pad), and scale/position: it
// places the subject on its canvas, before the output geometry.
func (j *job) frameSubject() error {
	p, img, src := j.p, j.img, j.req.Info
	if !p.Removal.Enabled {
		return nil
	}
	if !p.Rect.IsZero() {
		// The part cut holds the rect's pixels alone, resampled after they
		// were cut (loadForRemoval's decodeRect): nothing from outside the
		// rect reaches its edges.
		rect, err := clampRect(p.Rect, src.Width, src.Height)
		if err != nil {
			return err
		}
		if err := img.Extract(scaleRect(rect, img.Width(), img.Height(), src.Width, src.Height)); err != nil {
			return err
		}
	}
	r := p.Removal
	if !r.CropToForeground && r.Scale == 0 && !r.Position.Set {
		return nil
	}
	box, ok, err := foregroundBox(img)
	if err != nil || !ok {
		return err // no subject: keep the canvas as it is
	}
	canvasW, canvasH := img.Width(), img.Height()
	if r.CropToForeground {
		padX, padY := r.FGPad.Value, r.FGPad.Value
		if r.FGPad.Percent {
			padX, padY = float64(box.Width)*r.FGPad.Value/100, float64(box.Height)*r.FGPad.Value/100
		}
		canvasW, canvasH = box.Width+2*int(math.Round(padX)), box.Height+2*int(math.Round(padY))
	}
	if err := img.Extract(box.Left, box.Top, box.Width, box.Height); err != nil {
		return err
	}
	if r.Scale > 0 {
		f := r.Scale * math.Min(float64(canvasW)/float64(box.Width), float64(canvasH)/float64(box.Height))
		if err := img.Resize(atLeast1(float64(box.Width)*f), atLeast1(float64(box.Height)*f), vips.NoCrop); err != nil {
			return err
		}
	}
	px, py := 50.0, 50.0
	if r.Position.Set {
		px, py = r.Position.X, r.Position.Y
	} else if !r.CropToForeground {
		// Original place: keep the subject's centre where it was.
		cx := float64(box.Left) + float64(box.Width)/2
		cy := float64(box.Top) + float64(box.Height)/2
		if free := float64(canvasW - img.Width()); free > 0 {
			px = 100 * (cx - float64(img.Width())/2) / free
		}
		if free := float64(canvasH - img.Height()); free > 0 {
			py = 100 * (cy - float64(img.Height())/2) / free
		}
	}
	w, h := max(canvasW, img.Width()), max(canvasH, img.Height())
	x := int(math.Round(float64(w-img.Width()) * math.Max(0, math.Min(100, px)) / 100))
	y := int(math.Round(float64(h-img.Height()) * math.Max(0, math.Min(100, py)) / 100))
	return img.Embed(x, y, w, h, []float64{0, 0, 0, 0})
}
