package params

import "testing"

// Which output formats keep an animation under each Frames value. Next.js
// and Vercel's FramesSource animates nothing itself: an animated source is
// passed through as stored by the handler before any transform, and one
// that reached the pipeline anyway would be a still, as under FramesFirst.
func TestFramesAnimates(t *testing.T) {
	formats := []Format{FormatSource, FormatJPEG, FormatPNG, FormatWebP, FormatAVIF, FormatGIF, FormatZIP, FormatJSON}
	for _, tc := range []struct {
		f    Frames
		name string
		want []Format
	}{
		{FramesKeep, "keep", []Format{FormatWebP, FormatGIF}},
		{FramesGIF, "gif", []Format{FormatGIF}},
		{FramesFirst, "first", nil},
		{FramesSource, "source", nil},
		{Frames(9), "frames(9)", nil},
	} {
		if got := tc.f.String(); got != tc.name {
			t.Errorf("Frames(%d).String() = %q, want %q", tc.f, got, tc.name)
		}
		for _, out := range formats {
			want := false
			for _, w := range tc.want {
				want = want || w == out
			}
			if got := tc.f.Animates(out); got != want {
				t.Errorf("%s.Animates(%s) = %v, want %v", tc.name, out, got, want)
			}
		}
	}
}
