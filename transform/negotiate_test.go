package transform

import (
	"testing"

	"github.com/jebosio/matte/params"
)

func TestNegotiateFormat(t *testing.T) {
	jpeg := Source{Type: params.FormatJPEG}
	png := Source{Type: params.FormatPNG, HasAlpha: true}
	tiff := Source{Type: params.FormatSource} // a type Matte reads but does not write
	gif := Source{Type: params.FormatGIF}
	animGIF := Source{Type: params.FormatGIF, Width: 40, Height: 20, Pages: 3}
	white := params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}
	halfWhite := params.Color{R: 255, G: 255, B: 255, A: 128, Set: true}
	cut := params.Removal{Enabled: true}
	const browser = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
	cases := []struct {
		name   string
		p      params.Params
		accept string
		src    Source
		want   params.Format
	}{
		{"source format kept", params.Params{Width: 100}, browser, jpeg, params.FormatJPEG},
		{"fm wins without auto=format", params.Params{Format: params.FormatWebP}, "image/avif", jpeg, params.FormatWebP},
		// imgix's fm docs: "If auto=format is set and the browser does not
		// support the AVIF format, we'll first fallback to WebP if it is
		// supported. If WebP is not supported, Imgix will fall back to the
		// source image type or to any format specified by the fm
		// parameter."
		{"auto=format wins over fm", params.Params{Format: params.FormatPNG, AutoFormat: true}, "image/avif", jpeg, params.FormatAVIF},
		{"auto=format then WebP over fm", params.Params{Format: params.FormatPNG, AutoFormat: true}, "image/webp", jpeg, params.FormatWebP},
		{"fm is auto=format's fallback", params.Params{Format: params.FormatPNG, AutoFormat: true}, "image/jpeg,*/*", jpeg, params.FormatPNG},
		// fm=json (the metadata) and fm=zip are not images Accept picks.
		{"fm=json wins over auto=format", params.Params{Format: params.FormatJSON, AutoFormat: true}, "image/avif", jpeg, params.FormatJSON},
		{"fm=zip wins over auto=format", params.Params{Format: params.FormatZIP, AutoFormat: true, Removal: params.Removal{Enabled: true}}, "image/avif", jpeg, params.FormatZIP},
		{"fm is auto=format's fallback for an animation", params.Params{Format: params.FormatJPEG, AutoFormat: true}, "*/*", animGIF, params.FormatJPEG},
		{"auto=format takes WebP for an animation over fm", params.Params{Format: params.FormatGIF, AutoFormat: true}, browser, animGIF, params.FormatWebP},
		{"matte alone with fm and auto=format is fm", params.Params{Removal: params.Removal{Enabled: true, MaskOnly: true}, Format: params.FormatWebP, AutoFormat: true}, browser, jpeg, params.FormatWebP},
		{"auto=format prefers AVIF", params.Params{AutoFormat: true}, browser, jpeg, params.FormatAVIF},
		{"auto=format takes WebP without AVIF", params.Params{AutoFormat: true}, "image/webp,*/*", jpeg, params.FormatWebP},
		{"auto=format with q=0 for AVIF", params.Params{AutoFormat: true}, "image/avif;q=0,image/webp", jpeg, params.FormatWebP},
		{"auto=format, nothing accepted, GIF source", params.Params{AutoFormat: true}, "*/*", gif, params.FormatJPEG},
		{"unwritable source with alpha", params.Params{}, "", Source{Type: params.FormatSource, HasAlpha: true}, params.FormatPNG},
		{"unwritable opaque source", params.Params{}, "", tiff, params.FormatJPEG},
		{"odd rotation needs alpha corners", params.Params{Rotate: 30}, "", tiff, params.FormatPNG},
		{"cut-out keeps alpha", params.Params{Removal: cut}, browser, jpeg, params.FormatPNG},
		{"cut-out on a translucent colour keeps alpha", params.Params{Removal: cut, Background: halfWhite}, "", jpeg, params.FormatPNG},
		{"cut-out on an opaque colour keeps the JPEG", params.Params{Removal: cut, Background: white}, "", jpeg, params.FormatJPEG},
		{"cut-out on an opaque colour keeps the PNG", params.Params{Removal: cut, Background: white}, "", png, params.FormatPNG},
		{"cut-out on an opaque colour, unwritable source", params.Params{Removal: cut, Background: white}, "", tiff, params.FormatJPEG},
		{"cut-out on an opaque colour with auto=format", params.Params{Removal: cut, Background: white, AutoFormat: true}, browser, jpeg, params.FormatAVIF},
		{"cut-out with fm=jpg", params.Params{Removal: cut, Format: params.FormatJPEG}, "", png, params.FormatJPEG},
		{"autojpg: an opaque PNG becomes a JPEG", params.Params{PNGToJPEG: true}, "", Source{Type: params.FormatPNG}, params.FormatJPEG},
		{"autojpg: a PNG with alpha stays", params.Params{PNGToJPEG: true}, "", png, params.FormatPNG},
		{"autojpg: fm wins", params.Params{PNGToJPEG: true, Format: params.FormatPNG}, "", Source{Type: params.FormatPNG}, params.FormatPNG},
		{"autojpg: a mask shape keeps PNG", params.Params{PNGToJPEG: true, Mask: params.ShapeEllipse}, "", Source{Type: params.FormatPNG}, params.FormatPNG},
		{"autojpg: a JPEG stays", params.Params{PNGToJPEG: true}, "", jpeg, params.FormatJPEG},
		{"autojpg: a GIF stays", params.Params{PNGToJPEG: true}, "", gif, params.FormatGIF},
		// Cloudflare fit=crop,gravity=auto over an animated GIF: smaller
		// than the box, it is scale-down (no smart crop) and animates;
		// larger, it is cover with the smart crop, a still.
		{"fit=crop over a smaller animation animates", cfCropAuto(1000), browser, animGIF, params.FormatWebP},
		{"fit=crop over a larger animation is a still", cfCropAuto(10), browser, animGIF, params.FormatAVIF},
		// AnimatedAVIFAsWebP (Cloudflare's format=avif: "AVIF if possible
		// (with WebP as a fallback)"): WebP only where the frames are kept.
		{"avif fallback: an animation is WebP", params.Params{Format: params.FormatAVIF, AnimatedAVIFAsWebP: true}, "", animGIF, params.FormatWebP},
		{"avif fallback: a still source stays AVIF", params.Params{Format: params.FormatAVIF, AnimatedAVIFAsWebP: true}, "", gif, params.FormatAVIF},
		{"avif fallback: first frame only stays AVIF", params.Params{Format: params.FormatAVIF, AnimatedAVIFAsWebP: true, Frames: params.FramesFirst}, "", animGIF, params.FormatAVIF},
		{"avif fallback: one frame picked stays AVIF", params.Params{Format: params.FormatAVIF, AnimatedAVIFAsWebP: true, Animation: params.Animation{First: 2, Last: 2}}, "", animGIF, params.FormatAVIF},
		{"avif fallback: a smart crop (a still) stays AVIF", params.Params{Width: 10, Height: 10, Fit: params.FitCrop, Crop: params.CropAttention, Format: params.FormatAVIF, AnimatedAVIFAsWebP: true}, "", animGIF, params.FormatAVIF},
		{"fm=avif without the fallback stays AVIF", params.Params{Format: params.FormatAVIF}, "", animGIF, params.FormatAVIF},
		{"matte alone is PNG", params.Params{Removal: params.Removal{Enabled: true, MaskOnly: true}, Background: white, AutoFormat: true}, browser, jpeg, params.FormatPNG},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NegotiateFormat(tc.p, tc.accept, tc.src); got != tc.want {
				t.Errorf("NegotiateFormat = %v, want %v", got, tc.want)
			}
		})
	}
}

// cfCropAuto is Cloudflare's width=n,height=n,fit=crop,gravity=auto with
// format=auto: a smart crop where the source is larger than the box,
// scale-down where it is not (params.SourceFit).
func cfCropAuto(n int) params.Params {
	return params.Params{Width: n, Height: n, Fit: params.FitMin, Crop: params.CropAttention, AutoFormat: true,
		SourceFit: params.SourceFit{When: params.FitWhenSmaller, Fit: params.FitMax}}
}
