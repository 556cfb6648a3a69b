package transform

import (
	"context"
	"image"
	"image/color"
	"net/http"
	"testing"

	"github.com/jebosio/matte/internal/testimages"
	"github.com/jebosio/matte/params"
)

// FuzzProbe feeds arbitrary bytes to the header probe and, when it accepts
// them, to a small transform (an animation's when they hold frames): neither may panic, and every failure must be
// a client error (415, 422 or 413), never an internal one.
func FuzzProbe(f *testing.F) {
	jpg := encodeJPEG(f, halves(16, 8, red, blue))
	pngBuf := encodePNG(f, halves(16, 8, green, clear))
	f.Add(jpg)
	f.Add(pngBuf)
	f.Add(jpg[:len(jpg)/2])
	f.Add(pngBuf[:40])
	f.Add(withOrientation(jpg, 6))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00"))
	f.Add(encodePNG(f, image.NewGray(image.Rect(0, 0, 3, 3))))
	anim, err := testimages.AnimatedGIF(12, 6, []color.Color{red, green, blue}, []int{5, 0, 7})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(anim) // the animation path: every frame decoded, resized and encoded
	f.Add(anim[:len(anim)*3/4])
	apng, err := testimages.APNG(12, 6, []color.Color{red, blue}, 10)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(apng) // counted in APNGFrames; transformed as its default image
	pl := NewPipeline(Options{Limits: Limits{MaxSourceBytes: 1 << 20, MaxSourcePixels: 4_000_000, MaxOutputDimension: 256, MaxFrames: 4}})
	p := params.Params{Width: 8}
	f.Fuzz(func(t *testing.T, buf []byte) {
		src, err := pl.Probe(buf)
		if err != nil {
			clientErr(t, err)
			return
		}
		if src.Width <= 0 || src.Height <= 0 || int64(src.Width)*int64(src.Height) > 4_000_000 {
			t.Fatalf("accepted a %dx%d source", src.Width, src.Height)
		}
		if _, err := pl.Process(context.Background(), &Request{Source: buf, Info: src, Params: p, Format: NegotiateFormat(p, "", src)}); err != nil {
			clientErr(t, err)
		}
	})
}

func clientErr(t *testing.T, err error) {
	t.Helper()
	switch s := params.AsErrors(err).Status(); s {
	case http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
	default:
		t.Fatalf("status %d for %v", s, err)
	}
}
