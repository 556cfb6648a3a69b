package transform

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// pngChunks maps each chunk type of a PNG to its first chunk's data.
func pngChunks(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	if len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Fatalf("not a PNG: %.8x", b)
	}
	chunks := map[string][]byte{}
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if i+12+n > len(b) {
			t.Fatalf("chunk at %d overruns", i)
		}
		name := string(b[i+4 : i+8])
		if _, seen := chunks[name]; !seen {
			chunks[name] = b[i+8 : i+8+n]
		}
		i += 12 + n
	}
	return chunks
}

// textCard is black text-like strokes on white: the samples at the ends of
// the range that overshoot deringing works on.
func textCard(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if (x/3)%4 == 0 && (y/9)%2 == 0 || (y/2)%7 == 0 && x%23 < 12 {
				c = color.NRGBA{0, 0, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// TestJPEGOptions: imgproxy Pro's jpgo. mozjpeg's settings change the
// bytes where libvips has mozjpeg (npm's build): the flat quantisation
// table (quant_table 1) is 16 everywhere, 6 at quality 80 (16 × 40% + 0.5,
// truncated, as libjpeg scales a table); trellis quantisation, deringing
// and optimised scans each give another file of about the same pixels;
// optimize_scans without a progressive JPEG changes nothing. Without
// mozjpeg (Debian's libjpeg-turbo) they are left out of the call, and the
// answer is byte for byte the plain JPEG.
func TestJPEGOptions(t *testing.T) {
	pl := NewPipeline(Options{})
	photo, text := encodePNG(t, scene(640, 400)), encodePNG(t, textCard(320, 200))
	base := params.Params{Width: 320, Format: params.FormatJPEG, Quality: 80}
	encode := func(src []byte, o params.JPEGOptions, v params.Variant) (Result, *image.NRGBA) {
		p := base
		p.JPEGOptions, p.Variant = o, v
		return runParams(t, pl, src, p)
	}
	plain, plainPix := encode(photo, params.JPEGOptions{}, params.VariantNone)
	plainText, plainTextPix := encode(text, params.JPEGOptions{}, params.VariantNone)
	progressive, progressivePix := encode(photo, params.JPEGOptions{}, params.VariantProgressive)
	// optimize_scans needs a progressive JPEG: on a baseline one it is
	// dropped (both builds).
	if res, _ := encode(photo, params.JPEGOptions{OptimizeScans: true}, params.VariantNone); !bytes.Equal(res.Body, plain.Body) {
		t.Error("optimize_scans changed a baseline JPEG")
	}
	cases := []struct {
		name    string
		src     []byte
		o       params.JPEGOptions
		v       params.Variant
		without Result
		pix     *image.NRGBA
	}{
		{"trellis_quant", photo, params.JPEGOptions{TrellisQuant: true}, params.VariantNone, plain, plainPix},
		{"overshoot_deringing", text, params.JPEGOptions{OvershootDeringing: true}, params.VariantNone, plainText, plainTextPix},
		{"optimize_scans", photo, params.JPEGOptions{OptimizeScans: true}, params.VariantProgressive, progressive, progressivePix},
		{"quant_table", photo, params.JPEGOptions{QuantTable: 1}, params.VariantNone, plain, plainPix},
	}
	if !vips.MozJPEG() {
		for _, c := range cases {
			if res, _ := encode(c.src, c.o, c.v); !bytes.Equal(res.Body, c.without.Body) {
				t.Errorf("%s: this libvips has no mozjpeg, yet the bytes changed", c.name)
			}
		}
		t.Skip("this libvips' jpegsave has no mozjpeg (Debian's libjpeg-turbo): jpgo's trellis_quant, overshoot_deringing, optimize_scans and quant_table are ignored, as checked above")
	}
	for _, c := range cases {
		res, pix := encode(c.src, c.o, c.v)
		if bytes.Equal(res.Body, c.without.Body) {
			t.Errorf("%s: the same bytes as without it", c.name)
		}
		// The flat table moves the photo most: 2.72/255 (measured).
		d := meanAbsDiffNRGBA(pix, c.pix)
		if d > 4 {
			t.Errorf("%s: %.2f/255 from the JPEG without it on average; want about the same pixels", c.name, d)
		}
		t.Logf("%s: %d bytes, %d without, %.2f/255 apart", c.name, len(res.Body), len(c.without.Body), d)
	}
	res, _ := encode(photo, params.JPEGOptions{QuantTable: 1}, params.VariantNone)
	dqt := jpegSegments(t, res.Body)[0xDB]
	if len(dqt) < 65 || dqt[0] != 0 {
		t.Fatalf("DQT %x", dqt)
	}
	for i, q := range dqt[1:65] {
		if q != 6 {
			t.Fatalf("quant_table 1: luminance entry %d is %d, want 6 (flat 16 at 40%%)", i, q)
		}
	}
	if _, ok := jpegSegments(t, res.Body)[0xC0]; !ok {
		t.Error("quant_table 1: no SOF0; a baseline JPEG stays baseline")
	}
}

// TestPNGOptions: imgproxy pngo. interlaced writes Adam7 (IHDR's interlace
// method 1); quantize writes a palette PNG (colour type 3) of the bit depth
// that holds quantization_colors, with at most that many PLTE entries.
func TestPNGOptions(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, scene(640, 400))
	base := params.Params{Width: 160, Format: params.FormatPNG}
	ihdr := func(o params.PNGOptions) (colourType, depth, interlace byte, plte []byte, pix *image.NRGBA) {
		p := base
		p.PNGOptions = o
		res, pix := runParams(t, pl, src, p)
		c := pngChunks(t, res.Body)
		h := c["IHDR"]
		return h[9], h[8], h[12], c["PLTE"], pix
	}
	ct, depth, il, _, truecolour := ihdr(params.PNGOptions{})
	if ct != 2 || depth != 8 || il != 0 {
		t.Errorf("default: colour type %d, depth %d, interlace %d; want 2, 8, 0", ct, depth, il)
	}
	ct, _, il, _, interlaced := ihdr(params.PNGOptions{Interlace: true})
	if ct != 2 || il != 1 {
		t.Errorf("interlaced: colour type %d, interlace %d; want 2, 1 (Adam7)", ct, il)
	}
	if d := meanAbsDiffNRGBA(interlaced, truecolour); d != 0 {
		t.Errorf("interlaced: %.2f/255 from the plain PNG; want the same pixels", d)
	}
	for _, tc := range []struct {
		colours   int
		wantDepth byte
	}{{2, 1}, {4, 2}, {16, 4}, {256, 8}} {
		ct, depth, il, plte, pix := ihdr(params.PNGOptions{PaletteColors: tc.colours, Interlace: tc.colours == 16})
		if ct != 3 || depth != tc.wantDepth {
			t.Errorf("%d colours: colour type %d, depth %d; want 3, %d", tc.colours, ct, depth, tc.wantDepth)
		}
		if n := len(plte) / 3; n == 0 || n > tc.colours {
			t.Errorf("%d colours: %d PLTE entries", tc.colours, n)
		}
		if want := byte(0); tc.colours == 16 {
			if want = 1; il != want {
				t.Errorf("16 colours, interlaced: interlace %d", il)
			}
		}
		distinct := map[[3]uint8]bool{}
		for i := 0; i < len(pix.Pix); i += 4 {
			distinct[[3]uint8{pix.Pix[i], pix.Pix[i+1], pix.Pix[i+2]}] = true
		}
		if len(distinct) > tc.colours {
			t.Errorf("%d colours: the image shows %d", tc.colours, len(distinct))
		}
	}
}

// TestWebPOptions: imgproxy Pro's webpo. lossless and near_lossless are
// VP8L bitstreams, lossy VP8; lossless keeps every pixel of the PNG
// answer, near_lossless moves some by a little; smart_subsample and the
// presets change the lossy file.
func TestWebPOptions(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, scene(640, 400))
	_, exact := runParams(t, pl, src, params.Params{Width: 320, Format: params.FormatPNG})
	encode := func(o params.WebPOptions) (Result, *image.NRGBA) {
		return runParams(t, pl, src, params.Params{Width: 320, Format: params.FormatWebP, Quality: 60, WebPOptions: o})
	}
	// chunk is the bitstream chunk's name, after a VP8X header if any
	// (Debian's libvips writes one).
	chunk := func(b []byte) string {
		if len(b) < 16 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
			t.Fatalf("not a WebP: %.16x", b)
		}
		for i := 12; i+8 <= len(b); i += 8 + (int(binary.LittleEndian.Uint32(b[i+4:]))+1)&^1 {
			if name := string(b[i : i+4]); name == "VP8 " || name == "VP8L" {
				return name
			}
		}
		return "none"
	}
	lossy, lossyPix := encode(params.WebPOptions{})
	if c := chunk(lossy.Body); c != "VP8 " {
		t.Errorf("lossy: %q, want VP8", c)
	}
	lossless, losslessPix := encode(params.WebPOptions{Compression: params.WebPLossless})
	if c := chunk(lossless.Body); c != "VP8L" {
		t.Errorf("lossless: %q, want VP8L", c)
	}
	if d := meanAbsDiffNRGBA(losslessPix, exact); d != 0 {
		t.Errorf("lossless: %.3f/255 from the PNG answer", d)
	}
	near, nearPix := encode(params.WebPOptions{Compression: params.WebPNearLossless})
	if c := chunk(near.Body); c != "VP8L" {
		t.Errorf("near_lossless: %q, want VP8L", c)
	}
	if d := meanAbsDiffNRGBA(nearPix, exact); d == 0 || d > 2 {
		t.Errorf("near_lossless: %.3f/255 from the PNG answer; want a little above 0", d)
	} else if d2 := meanAbsDiffNRGBA(lossyPix, exact); d >= d2 {
		t.Errorf("near_lossless is %.3f/255 off, lossy %.3f: want near_lossless closer", d, d2)
	}
	smart, _ := encode(params.WebPOptions{SmartSubsample: true})
	if chunk(smart.Body) != "VP8 " || bytes.Equal(smart.Body, lossy.Body) {
		t.Error("smart_subsample: want another lossy file")
	}
	for pr := params.WebPPresetPhoto; pr <= params.WebPPresetText; pr++ {
		res, pix := encode(params.WebPOptions{Preset: pr})
		if chunk(res.Body) != "VP8 " || bytes.Equal(res.Body, lossy.Body) {
			t.Errorf("preset %v: want another lossy file", pr)
		}
		if d := meanAbsDiffNRGBA(pix, exact); d > 6 {
			t.Errorf("preset %v: %.2f/255 from the PNG answer", pr, d)
		}
	}
}
