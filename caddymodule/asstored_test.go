package caddymodule

import (
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// Which probed sources the Next.js and Vercel dialects (FramesSource)
// answer as stored: a GIF or WebP of more than one frame. Next's
// ANIMATABLE_TYPES also holds PNG, but Matte's probe counts an APNG as one
// frame, so it is transformed as a still; no other dialect passes through.
func TestAsStored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames params.Frames
		src    transform.Source
		want   bool
	}{
		{"animated GIF", params.FramesSource, transform.Source{Type: params.FormatGIF, Pages: 3}, true},
		{"animated WebP", params.FramesSource, transform.Source{Type: params.FormatWebP, Pages: 2}, true},
		{"GIF of one frame", params.FramesSource, transform.Source{Type: params.FormatGIF, Pages: 1}, false},
		{"WebP of one frame", params.FramesSource, transform.Source{Type: params.FormatWebP, Pages: 1}, false},
		{"PNG (an APNG probes as one frame)", params.FramesSource, transform.Source{Type: params.FormatPNG, Pages: 1}, false},
		{"JPEG", params.FramesSource, transform.Source{Type: params.FormatJPEG, Pages: 1}, false},
		{"multi-page TIFF", params.FramesSource, transform.Source{Type: params.FormatSource, TypeName: "tiff", Pages: 4}, false},
		{"animated GIF, imgix's keep", params.FramesKeep, transform.Source{Type: params.FormatGIF, Pages: 3}, false},
		{"animated GIF, ipx's gif", params.FramesGIF, transform.Source{Type: params.FormatGIF, Pages: 3}, false},
		{"animated WebP, imgproxy's first", params.FramesFirst, transform.Source{Type: params.FormatWebP, Pages: 3}, false},
	} {
		if got := asStored(params.Params{Frames: tc.frames}, tc.src); got != tc.want {
			t.Errorf("%s: asStored = %v, want %v", tc.name, got, tc.want)
		}
	}
}
