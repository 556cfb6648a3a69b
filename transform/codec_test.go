package transform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// scene is a w x h photo-like test card: smooth gradients, a hard-edged
// disc and fine stripes, so that lossy encoders have edges and texture to
// lose.
func scene(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 40 + 180*fx
			g := 60 + 150*fy
			b := 128 + 100*math.Sin(float64(x)*0.21)*math.Cos(float64(y)*0.13)
			if dx, dy := fx-0.35, fy-0.5; dx*dx+dy*dy < 0.04 {
				r, g, b = 230, 200, 40
			}
			if x > w*3/4 && (x/3)%2 == 0 {
				r, g, b = r*0.5, g*0.5, b*0.5
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r), uint8(g), uint8(math.Max(0, math.Min(255, b))), 255})
		}
	}
	return img
}

// meanAbsDiffNRGBA is the mean absolute difference of the R, G and B
// channels, in 1/255 units.
func meanAbsDiffNRGBA(a, b *image.NRGBA) float64 {
	var sum, n float64
	for i := 0; i < len(a.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			sum += math.Abs(float64(a.Pix[i+c]) - float64(b.Pix[i+c]))
			n++
		}
	}
	return sum / n
}

// TestLossyFidelity bounds what each lossy encoder loses against the
// lossless PNG of the same request, and the file size, on both libvips
// builds: Debian's 8.14 (libjpeg-turbo 2.1, libwebp 1.2, aom 3.6) and npm's
// 8.18 (mozjpeg, libwebp 1.6, aom 3.15). Measured, 8.14 / 8.18: JPEG q80
// 4.47 / 4.47 mean error, 10839 / 10845 bytes; WebP q80 4.77 / 4.78, 7458 /
// 7292 bytes; AVIF q60 5.38 / 5.28, 5410 / 6410 bytes (aom 3.15 spends 18%
// more bytes at the same Q for slightly less error). The bounds leave about
// 10% over the worse build; a change of encoder defaults (trellis, another
// quantisation table, chroma) lands beyond them.
func TestLossyFidelity(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodePNG(t, scene(640, 400))
	_, ref := run(t, pl, src, "w=320&fm=png", "")
	for _, tc := range []struct {
		query    string
		max      float64
		maxBytes int
	}{
		{"w=320&fm=jpg&q=80", 4.9, 12000},
		{"w=320&fm=webp&q=80", 5.3, 8200},
		{"w=320&fm=avif&q=60", 5.9, 7100},
	} {
		res, got := run(t, pl, src, tc.query, "")
		if got.Bounds() != ref.Bounds() {
			t.Fatalf("%s: %v, want %v", tc.query, got.Bounds(), ref.Bounds())
		}
		d := meanAbsDiffNRGBA(got, ref)
		t.Logf("%s: mean error %.2f/255, %d bytes, sha256 %.12x", tc.query, d, len(res.Body), sha256.Sum256(res.Body))
		if d > tc.max {
			t.Errorf("%s: mean error %.2f/255 against the PNG, want <= %.1f", tc.query, d, tc.max)
		}
		if len(res.Body) > tc.maxBytes {
			t.Errorf("%s: %d bytes, want <= %d", tc.query, len(res.Body), tc.maxBytes)
		}
	}
}

// TestJPEGBaselineDefaults: JPEG output is baseline (SOF0, no progressive
// scans) with libjpeg's standard quantisation tables (ITU T.81 Annex K
// scaled to the quality) and standard Huffman tables (no optimised coding),
// on either libvips build. mozjpeg, which npm's libvips links, defaults to
// progressive, optimised, trellis-quantised output with its own tables;
// libvips resets it to libjpeg's defaults, and this test pins that.
func TestJPEGBaselineDefaults(t *testing.T) {
	pl := NewPipeline(Options{})
	res, _ := run(t, pl, encodePNG(t, scene(640, 400)), "w=320&fm=jpg&q=80", "")
	if res.Format != params.FormatJPEG {
		t.Fatalf("format %v", res.Format)
	}
	segs := jpegSegments(t, res.Body)
	if _, ok := segs[0xC0]; !ok {
		t.Errorf("no SOF0 (baseline) frame; markers %x", keys(segs))
	}
	for _, m := range []byte{0xC1, 0xC2, 0xC3} {
		if _, ok := segs[m]; ok {
			t.Errorf("SOF%d frame: want baseline only", m-0xC0)
		}
	}
	// Luminance table 0 at quality 80: Annex K's table scaled by 40% (and
	// rounded), in zigzag order: its first 8 entries are 16 11 12 14 12 10
	// 16 14.
	dqt := segs[0xDB]
	if len(dqt) < 9 || dqt[0] != 0 {
		t.Fatalf("DQT %x", dqt)
	}
	if want := []byte{6, 4, 5, 6, 5, 4, 6, 6}; string(dqt[1:9]) != string(want) {
		t.Errorf("luminance quantisation starts %v, want libjpeg's %v", dqt[1:9], want)
	}
	// The first DHT is the standard luminance DC table (Annex K.3): class 0,
	// id 0, code counts 0 1 5 1 1 1 1 1 1 0 ...
	dht := segs[0xC4]
	if want := []byte{0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}; len(dht) < len(want) || string(dht[:len(want)]) != string(want) {
		t.Errorf("first Huffman table %x, want the standard DC table (no optimised coding)", dht[:min(len(dht), 17)])
	}
}

// TestFormatVariants: imgix's fm=pjpg is a progressive JPEG (SOF2), fm=png8
// an 8-bit palette PNG (colour type 3) close to the truecolour one, fm=png32
// an RGBA PNG (colour type 6) of an opaque source; a variant of another
// format than the output's is ignored (ImageKit's pr-true on a PNG).
func TestFormatVariants(t *testing.T) {
	pl := NewPipeline(Options{})
	photo, alpha := encodeJPEG(t, scene(640, 400)), encodePNG(t, scene(640, 400))
	pngColourType := func(b []byte) byte {
		if len(b) < 26 || string(b[1:4]) != "PNG" {
			t.Fatalf("not a PNG: %.8x", b)
		}
		return b[25] // IHDR: width, height, bit depth, then colour type
	}
	res, progressive := run(t, pl, photo, "w=320&fm=pjpg&q=80", "")
	segs := jpegSegments(t, res.Body)
	if _, ok := segs[0xC2]; !ok || res.Format != params.FormatJPEG {
		t.Errorf("fm=pjpg: %v with markers %x, want a progressive (SOF2) JPEG", res.Format, keys(segs))
	}
	if _, ok := segs[0xC0]; ok {
		t.Error("fm=pjpg: a baseline (SOF0) frame")
	}
	_, baseline := run(t, pl, photo, "w=320&fm=jpg&q=80", "")
	if d := meanAbsDiffNRGBA(progressive, baseline); d > 0.5 {
		t.Errorf("fm=pjpg differs from fm=jpg by %.2f/255 on average; want the same pixels, ordered differently", d)
	}

	res, palette := run(t, pl, alpha, "w=320&fm=png8", "")
	if ct := pngColourType(res.Body); ct != 3 || res.Format != params.FormatPNG {
		t.Errorf("fm=png8: %v of colour type %d, want 3 (palette)", res.Format, ct)
	}
	full, truecolour := run(t, pl, alpha, "w=320&fm=png", "")
	// Dithering to 256 colours costs scene()'s gradients a mean error of
	// 5.4/255 (measured); a palette that lost a hue lands far beyond.
	if d := meanAbsDiffNRGBA(palette, truecolour); d > 8 {
		t.Errorf("fm=png8 differs from fm=png by %.2f/255 on average", d)
	} else {
		t.Logf("fm=png8: %d bytes, %.2f/255 from fm=png's %d bytes", len(res.Body), d, len(full.Body))
	}
	if len(res.Body) >= len(full.Body) {
		t.Errorf("fm=png8 is %d bytes, fm=png %d: want smaller", len(res.Body), len(full.Body))
	}

	res, rgba := run(t, pl, photo, "w=320&fm=png32", "")
	if ct := pngColourType(res.Body); ct != 6 {
		t.Errorf("fm=png32 of a JPEG: colour type %d, want 6 (RGBA)", ct)
	}
	for i := 3; i < len(rgba.Pix); i += 4 {
		if rgba.Pix[i] != 255 {
			t.Fatalf("fm=png32 of a JPEG: alpha %d at byte %d, want opaque", rgba.Pix[i], i)
		}
	}

	p := params.Params{Width: 320, Format: params.FormatPNG, Variant: params.VariantProgressive}
	s, err := pl.Probe(photo)
	if err != nil {
		t.Fatal(err)
	}
	res, err = pl.Process(context.Background(), &Request{Source: photo, Info: s, Params: p, Format: NegotiateFormat(p, "", s)})
	if err != nil || res.Format != params.FormatPNG || pngColourType(res.Body) != 2 {
		t.Errorf("a JPEG variant on a PNG answer: %v, %v; want a plain RGB PNG", res.Format, err)
	}
}

// jpegSegments maps each marker before the first scan to its first
// segment's payload.
func jpegSegments(t *testing.T, b []byte) map[byte][]byte {
	t.Helper()
	segs := map[byte][]byte{}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if i+2+n > len(b) {
			t.Fatalf("segment %x overruns", m)
		}
		if _, seen := segs[m]; !seen {
			segs[m] = b[i+4 : i+2+n]
		}
		if m == 0xDA { // start of scan
			break
		}
		i += 2 + n
	}
	return segs
}

func keys(m map[byte][]byte) []byte {
	var out []byte
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestResizeGolden pins the resize itself across libvips versions: each
// testdata/scene-160-*.png is the w=160 PNG of scene(640, 400) as Debian's
// libvips 8.14.1 made it from a PNG source, and from a JPEG one (q95, so
// that the 4x JPEG shrink-on-load runs in libjpeg); MATTE_WRITE_GOLDEN=1
// with that build rewrites them. npm's 8.18.8 (mozjpeg, Highway SIMD
// resampling) lands at a mean of 0.03/255, max 2, from the PNG source's and
// exactly (mean 0, max 0: mozjpeg's DCT scaling decodes as libjpeg-turbo's)
// from the JPEG source's, measured; the bounds leave
// room for rounding changes, while a shifted, blurred or re-coloured resize
// lands far beyond.
func TestResizeGolden(t *testing.T) {
	pl := NewPipeline(Options{})
	img := scene(640, 400)
	for _, tc := range []struct {
		name string
		src  []byte
	}{
		{"png", encodePNG(t, img)},
		{"jpg", encodeJPEG(t, img)},
	} {
		res, got := run(t, pl, tc.src, "w=160&fm=png", "")
		path := filepath.Join("testdata", "scene-160-"+tc.name+".png")
		if os.Getenv("MATTE_WRITE_GOLDEN") == "1" {
			if err := os.WriteFile(path, res.Body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ref := decodeNRGBA(t, want)
		if got.Bounds() != ref.Bounds() {
			t.Fatalf("%s: %v, want %v", tc.name, got.Bounds(), ref.Bounds())
		}
		var worst float64
		for i := range got.Pix {
			worst = max(worst, math.Abs(float64(got.Pix[i])-float64(ref.Pix[i])))
		}
		mean := meanAbsDiffNRGBA(got, ref)
		t.Logf("%s source, against libvips 8.14.1's resize: mean %.3f/255, max %.0f", tc.name, mean, worst)
		if mean > 0.5 || worst > 8 {
			t.Errorf("%s source: resize is %.3f/255 (max %.0f) from libvips 8.14.1's, want <= 0.5 (max 8)", tc.name, mean, worst)
		}
	}
}

// TestJPEGBytesAsLibjpeg: the same pixels encode to the same JPEG bytes on
// both libvips builds, Debian's (libjpeg-turbo 2.1) and npm's (mozjpeg):
// libvips runs mozjpeg with libjpeg's defaults, so no trellis quantisation,
// progressive scans or optimised Huffman tables, which would all change the
// bytes. The input is the golden resize, decoded (identical on both builds).
func TestJPEGBytesAsLibjpeg(t *testing.T) {
	runtime.LockOSThread()
	defer vips.EndThread()
	buf, err := os.ReadFile(filepath.Join("testdata", "scene-160-png.png"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := vips.Thumbnail(buf, 160, 100, vips.NoCrop, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if err := im.CopyMemory(); err != nil { // decoded once, saved three times
		t.Fatal(err)
	}
	for q, want := range map[int]string{
		50: "848501b0f567d56a",
		80: "0803658f542251fe",
		95: "e6b20381e2174425",
	} {
		out, err := im.SaveJPEG(q, false, vips.SubsampleAuto, vips.MozJPEGOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%.8x", sha256.Sum256(out)); got != want {
			t.Errorf("q%d: JPEG sha256 %s..., want %s... (libjpeg-turbo's bytes)", q, got, want)
		}
	}
}

// TestHEIC: an HEVC-coded HEIF (vips/hevc-64x48.heic, written by Debian's
// libvips 8.14 through libheif and x265) decodes on either build: Debian's
// libvips decodes it itself (libheif with libde265); the npm libvips has no
// HEVC decoder, and the system's libheif.so.1, opened at run time, decodes
// it instead. Both give the same pixels. Without any HEVC decoder the
// source is a 415, not a corrupt one.
func TestHEIC(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("vips", "hevc-64x48.heic"))
	if err != nil {
		t.Fatal(err)
	}
	pl := NewPipeline(Options{})
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	p := mustParse(t, "w=32&fm=png")
	res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: NegotiateFormat(p, "", s)})
	decoder := vips.HEVCDecoder()
	t.Logf("npm libvips %v; HEVC decoder: %s", vips.Info().NPM, decoder)
	if strings.HasPrefix(decoder, "none") {
		var pub *params.Error
		if !errors.As(err, &pub) || pub.Status != http.StatusUnsupportedMediaType || pub.Code != params.CodeUnknownFormat {
			t.Fatalf("no HEVC decoder: %v, want a 415 %s", err, params.CodeUnknownFormat)
		}
		return
	}
	// A truncated HEIC is the client's corrupt source (422), whoever decodes.
	cut := src[:len(src)-300]
	cs, perr := pl.Probe(cut)
	if perr == nil {
		_, perr = pl.Process(context.Background(), &Request{Source: cut, Info: cs, Params: p, Format: NegotiateFormat(p, "", cs)})
	}
	if pub := (*params.Error)(nil); !errors.As(perr, &pub) || pub.Status != http.StatusUnprocessableEntity {
		t.Errorf("truncated HEIC: %v, want a 422", perr)
	}
	if !vips.Info().NPM && decoder != "libvips" {
		t.Errorf("Debian's libvips: HEVC decoded by %q, want libvips", decoder)
	}
	if err != nil || res.Width != 32 || res.Height != 24 {
		t.Fatalf("%dx%d, %v; want 32x24", res.Width, res.Height, err)
	}
	img := decodeNRGBA(t, res.Body)
	var sum [3]float64
	for i := 0; i < len(img.Pix); i += 4 {
		for c := range 3 {
			sum[c] += float64(img.Pix[i+c])
		}
	}
	// Measured: 126.41 117.25 128.33 by Debian's libvips, 126.39 117.22
	// 128.33 through the libheif fallback (the same libheif and libde265;
	// only the resize differs).
	n := float64(len(img.Pix) / 4)
	for c, want := range []float64{126.4, 117.2, 128.3} {
		if got := sum[c] / n; math.Abs(got-want) > 0.5 {
			t.Errorf("mean of channel %d: %.2f, want %.1f ± 0.5", c, got, want)
		}
	}
}

// av1Subsampling reads chroma_subsampling_x and _y from the first av1C box
// of an AVIF (AV1 codec configuration record, AV1-ISOBMFF §2.3: the third
// byte holds high_bitdepth, twelve_bit, monochrome, then the two bits).
func av1Subsampling(t *testing.T, b []byte) (x, y int) {
	t.Helper()
	i := bytes.Index(b, []byte("av1C"))
	if i < 0 || i+7 > len(b) {
		t.Fatalf("no av1C box in %d bytes", len(b))
	}
	flags := b[i+4+2]
	return int(flags>>3) & 1, int(flags>>2) & 1
}

// TestAVIFChroma: AVIF is 4:2:0 by default below quality 90 and 4:4:4 from
// it (libvips' rule); avif_chroma 444 (Encoding.AVIFFullChroma) keeps full
// chroma at every quality, as sharp's default does.
func TestAVIFChroma(t *testing.T) {
	src := encodePNG(t, scene(160, 100))
	for _, tc := range []struct {
		full   bool
		query  string
		xs, ys int
	}{
		{false, "w=64&fm=avif&q=60", 1, 1},
		{false, "w=64&fm=avif&q=95", 0, 0},
		{true, "w=64&fm=avif&q=60", 0, 0},
	} {
		enc := DefaultEncoding
		enc.AVIFFullChroma = tc.full
		res, _ := run(t, NewPipeline(Options{Encoding: &enc}), src, tc.query, "")
		if x, y := av1Subsampling(t, res.Body); x != tc.xs || y != tc.ys {
			t.Errorf("full chroma %v, %s: subsampling x=%d y=%d, want %d %d", tc.full, tc.query, x, y, tc.xs, tc.ys)
		}
	}
	a := NewPipeline(Options{}).Fingerprint(params.FormatAVIF)
	enc := DefaultEncoding
	enc.AVIFFullChroma = true
	if b := NewPipeline(Options{Encoding: &enc}).Fingerprint(params.FormatAVIF); a == b || !strings.Contains(b, ",444") {
		t.Errorf("fingerprints %q and %q: want the 4:4:4 setting in the cache key", a, b)
	}
}

// TestGIFEffort: gif_effort reaches the GIF encoder (a smooth image's
// palette comes out otherwise at 4 than at 7), re-keys GIF answers and no
// others, and defaults to 4.
func TestGIFEffort(t *testing.T) {
	src := encodePNG(t, scene(160, 100))
	encoded := map[int][]byte{}
	for _, effort := range []int{4, 7} {
		enc := DefaultEncoding
		enc.GIFEffort = effort
		res, _ := run(t, NewPipeline(Options{Encoding: &enc}), src, "w=120&fm=gif", "")
		encoded[effort] = res.Body
	}
	if bytes.Equal(encoded[4], encoded[7]) {
		t.Error("GIF effort 4 and 7 wrote the same bytes: the setting does not reach the encoder")
	}
	four, seven := DefaultEncoding, DefaultEncoding
	seven.GIFEffort = 7
	a, b := NewPipeline(Options{Encoding: &four}), NewPipeline(Options{Encoding: &seven})
	if a.Fingerprint(params.FormatGIF) == b.Fingerprint(params.FormatGIF) || !strings.HasSuffix(a.Fingerprint(params.FormatGIF), ";gif=4") {
		t.Errorf("GIF fingerprints %q and %q: want the effort in them", a.Fingerprint(params.FormatGIF), b.Fingerprint(params.FormatGIF))
	}
	if a.Fingerprint(params.FormatJPEG) != b.Fingerprint(params.FormatJPEG) {
		t.Error("the GIF effort re-keys JPEG answers")
	}
	if DefaultEncoding.GIFEffort != 4 || !strings.HasSuffix(NewPipeline(Options{Encoding: &Encoding{}}).Fingerprint(params.FormatGIF), ";gif=4") {
		t.Errorf("default GIF effort %d, want 4 (also for an Encoding that leaves it 0)", DefaultEncoding.GIFEffort)
	}
}

// TestPNGFilterRekeysPNGAndZIPOnly: the PNG filter is in the cache key of
// PNG answers and of ZIP ones (whose matte is a PNG), and of no others, so
// that changing it (or its default, none before up) never serves PNG bytes
// written the other way under the new setting's key.
func TestPNGFilterRekeysPNGAndZIPOnly(t *testing.T) {
	up, none := DefaultEncoding, DefaultEncoding
	none.PNGFilter = PNGFilterNone
	a, b := NewPipeline(Options{Encoding: &up}), NewPipeline(Options{Encoding: &none})
	for _, f := range []params.Format{params.FormatPNG, params.FormatZIP} {
		if fa, fb := a.Fingerprint(f), b.Fingerprint(f); fa == fb || !strings.HasSuffix(fa, ";png=up") || !strings.HasSuffix(fb, ";png=none") {
			t.Errorf("%v fingerprints %q and %q: want the filter in them", f, fa, fb)
		}
	}
	for _, f := range []params.Format{params.FormatJPEG, params.FormatWebP, params.FormatAVIF, params.FormatGIF} {
		if a.Fingerprint(f) != b.Fingerprint(f) {
			t.Errorf("the PNG filter re-keys %v answers", f)
		}
	}
	if !strings.HasSuffix(NewPipeline(Options{Encoding: &Encoding{PNGCompression: 4}}).Fingerprint(params.FormatPNG), ";png=up") {
		t.Error("an Encoding that leaves the filter empty does not get the default, up")
	}
}

// TestMaxBlurSigmaRekeys: a max_blur_sigma other than the default changes
// the pixels of a wider blur, so it is in every format's cache key; the
// default (10, README: "max_blur_sigma <sigma> # wider blurs run on a
// reduced copy; default 10") adds nothing, so that existing keys still
// match.
func TestMaxBlurSigmaRekeys(t *testing.T) {
	for _, tc := range []struct {
		sigma float64
		want  string // the fingerprint's end
	}{
		{0, ";max=0"},
		{10, ";max=0"},
		{2, ";max=0;blur=2"},
		{12.5, ";max=0;blur=12.5"},
	} {
		pl := NewPipeline(Options{Limits: Limits{MaxBlurSigma: tc.sigma}})
		if fp := pl.Fingerprint(params.FormatJPEG); !strings.HasSuffix(fp, tc.want) {
			t.Errorf("max_blur_sigma %v: fingerprint %q, want it to end in %q", tc.sigma, fp, tc.want)
		}
	}
}
