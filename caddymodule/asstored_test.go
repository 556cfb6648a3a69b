package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
)

// Which probed sources the Next.js and Vercel dialects (FramesSource)
// answer as stored: a GIF or WebP of more than one frame, and an animated
// PNG (Next's image-optimizer: ANIMATABLE_TYPES = [WEBP, PNG, GIF]), which
// the probe counts in APNGFrames while its Pages stays 1; no other
// dialect passes through.
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
		{"still PNG", params.FramesSource, transform.Source{Type: params.FormatPNG, Pages: 1}, false},
		{"APNG of 2 frames", params.FramesSource, transform.Source{Type: params.FormatPNG, Pages: 1, APNGFrames: 2}, true},
		{"APNG of 1 frame", params.FramesSource, transform.Source{Type: params.FormatPNG, Pages: 1, APNGFrames: 1}, false},
		{"APNG, imgix's keep", params.FramesKeep, transform.Source{Type: params.FormatPNG, Pages: 1, APNGFrames: 2}, false},
		{"APNG frames on a GIF (never probed so)", params.FramesSource, transform.Source{Type: params.FormatGIF, Pages: 1, APNGFrames: 2}, false},
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

// TestAsStoredKey: an answer as stored is keyed apart from a transform's
// answer to the same request. An APNG's would otherwise share the key of
// its default image transformed to a PNG (same source, Params and
// Format), which Matte stored before it counted APNG frames; the answers
// that are transformed keep their keys.
func TestAsStoredKey(t *testing.T) {
	const hash = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	h := &Handler{pipeline: transform.NewPipeline(transform.Options{})}
	next := params.Params{Width: 20, Quality: 75, Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}
	for _, tc := range []struct {
		name   string
		info   transform.Source
		stored bool
	}{
		{"APNG", transform.Source{Type: params.FormatPNG, TypeName: "png", Width: 40, Height: 20, Pages: 1, APNGFrames: 3}, true},
		{"animated GIF", transform.Source{Type: params.FormatGIF, TypeName: "gif", Width: 40, Height: 20, Pages: 3}, true},
		{"still PNG", transform.Source{Type: params.FormatPNG, TypeName: "png", Width: 40, Height: 20, Pages: 1}, false},
	} {
		req := &imageRequest{Params: next, r: httptest.NewRequest(http.MethodGet, "/_next/image", nil)}
		h.useSource(req, sourceMemo{Hash: hash, Info: tc.info})
		if req.Format != tc.info.Type {
			t.Fatalf("%s: Format %v, want the source's %v", tc.name, req.Format, tc.info.Type)
		}
		// The key of the same request had it been transformed (before
		// this source was counted as animated): no ";as-stored".
		transformed := resultKey(hash, next, tc.info.Type, h.pipeline.Fingerprint(tc.info.Type))
		if (req.Key != transformed) != tc.stored {
			t.Errorf("%s: key differs from the transformed answer's: %v, want %v", tc.name, req.Key != transformed, tc.stored)
		}
	}
}
