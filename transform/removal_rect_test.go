package transform

import (
	"context"
	"testing"
)

// wholeMatter is a stand-in model that calls every pixel the subject, so
// a cut-out's colours are the source's and its alpha opaque.
type wholeMatter struct{ redMatter }

func (m *wholeMatter) Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error) {
	mask := make([]byte, 64*64)
	for i := range mask {
		mask[i] = 255
	}
	return mask, nil
}

// TestRemovalRectCutBeforeResize: a removal's rect is cut off the source
// before it is resampled, as a plain rect is (TestRegionCutBeforeResize),
// so the white frame the rect leaves out does not reach the cut-out's
// edges. loadForRemoval resampled the whole source and frameSubject cut
// the scaled rect from it: (255,27,27) in the corners at w=200, and
// (255,126,126) along an edge turned by rot=90.
func TestRemovalRectCutBeforeResize(t *testing.T) {
	pl := NewPipeline(Options{Matter: &wholeMatter{}})
	png := encodePNG(t, framed(440, 240, 20))
	jpg := encodeJPEG(t, framed(1603, 803, 24))
	for _, tc := range []struct {
		src []byte
		q   string
		tol int
	}{
		{png, "rect=20,20,400,200&w=200&fm=png&rembg=1", 2},
		{png, "rect=20,20,400,200&w=100&fm=png&rembg=1", 2},
		{png, "rect=20,20,400,200&w=130&fm=png&rembg=1&rot=90", 2},
		{png, "rect=20,20,400,200&w=100&fm=png&rembg=1&crop=fg", 2},
		// A JPEG decoded with shrink-on-load: the MCUs across the
		// frame's edge are left out, as loadRegion leaves them out.
		{jpg, "rect=24,24,1555,755&w=100&fm=png&rembg=1", 3},
		{jpg, "rect=30,27,1500,700&w=150&fm=png&rembg=1&orient=3", 3},
	} {
		_, out := run(t, pl, tc.src, tc.q, "")
		checkRed(t, tc.q, out, tc.tol)
	}
}
