package transform

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"

	"github.com/h2non/bimg"
)

// halves is a w x h image whose left half is left and right half is right.
func halves(w, h int, left, right color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := left
			if x >= w/2 {
				c = right
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

var (
	red   = color.NRGBA{255, 0, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
	green = color.NRGBA{0, 255, 0, 255}
	clear = color.NRGBA{0, 0, 0, 0}
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withOrientation inserts an EXIF APP1 segment carrying orientation o.
func withOrientation(jpg []byte, o uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))
	binary.Write(&tiff, binary.BigEndian, uint16(1))      // one entry
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112)) // Orientation
	binary.Write(&tiff, binary.BigEndian, uint16(3))      // SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, o)
	binary.Write(&tiff, binary.BigEndian, uint16(0))
	binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// decodeNRGBA decodes any output through libvips (as PNG) to Go pixels.
func decodeNRGBA(t testing.TB, buf []byte) *image.NRGBA {
	t.Helper()
	pngBuf, err := bimg.NewImage(buf).Convert(bimg.PNG)
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(pngBuf))
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewNRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// near compares two colours within tol per channel; fully transparent
// pixels are equal whatever their colour.
func near(a, b color.NRGBA, tol int) bool {
	if a.A == 0 && b.A == 0 {
		return true
	}
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func run(t *testing.T, pl *Pipeline, src []byte, query, accept string) (Result, *image.NRGBA) {
	t.Helper()
	res, err := process(t, pl, src, mustParse(t, query), accept)
	if err != nil {
		t.Fatalf("process %q: %v", query, err)
	}
	return res, decodeNRGBA(t, res.Body)
}

// runParams is run for Params built by the test rather than parsed.
func runParams(t *testing.T, pl *Pipeline, src []byte, p params.Params) (Result, *image.NRGBA) {
	t.Helper()
	res, err := process(t, pl, src, p, "")
	if err != nil {
		t.Fatalf("process %s: %v", p.Key(), err)
	}
	return res, decodeNRGBA(t, res.Body)
}

// process probes src and runs the pipeline with p, in the format p and
// accept negotiate.
func process(t *testing.T, pl *Pipeline, src []byte, p params.Params, accept string) (Result, error) {
	t.Helper()
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	return pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: NegotiateFormat(p, accept, s)})
}

func mustParse(t *testing.T, query string) params.Params {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	p, err := imgix.ParseQuery(q)
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	return p
}

type sample struct {
	x, y int
	c    color.NRGBA
}

// TestReoriented: under orient, the pipeline plans with the size of the
// image so turned, and mattes are cached apart from the source's own.
func TestReoriented(t *testing.T) {
	jpg := encodeJPEG(t, halves(400, 200, red, blue))
	rotated := withOrientation(jpg, 6) // displays 200x400
	cases := []struct {
		name     string
		src      []byte
		w, h     int // as probed: after the EXIF orientation
		o        int
		wantW    int
		wantH    int
		wantHash string
	}{
		{"no exif, on its side", jpg, 400, 200, 6, 200, 400, "abc;or=6"},
		{"no exif, upright", jpg, 400, 200, 3, 400, 200, "abc;or=3"},
		{"exif 6, shown as stored", rotated, 200, 400, 1, 400, 200, "abc;or=1"},
		{"exif 6, turned the other way", rotated, 200, 400, 8, 200, 400, "abc;or=8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := reoriented(tc.src, Source{Width: tc.w, Height: tc.h, Hash: "abc"}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got.Width != tc.wantW || got.Height != tc.wantH || got.Hash != tc.wantHash {
				t.Fatalf("got %dx%d %q, want %dx%d %q", got.Width, got.Height, got.Hash, tc.wantW, tc.wantH, tc.wantHash)
			}
		})
	}
}

func TestPipelineGolden(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	jpg := encodeJPEG(t, halves(400, 200, red, blue))
	alpha := encodePNG(t, halves(400, 200, green, clear))
	// 400x200 stored, orientation 6 (rotate 90 CW to display): displays 200x400
	// with red on top.
	rotated := withOrientation(jpg, 6)

	cases := []struct {
		name          string
		src           []byte
		query, accept string
		format        params.Format
		w, h          int
		samples       []sample
	}{
		{"width only keeps aspect", jpg, "w=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, red}, {90, 25, blue}}},
		{"height only", jpg, "h=100", "", params.FormatJPEG, 200, 100, nil},
		{"clip fits inside", jpg, "w=100&h=100", "", params.FormatJPEG, 100, 50, nil},
		{"dpr doubles", jpg, "w=100&dpr=2", "", params.FormatJPEG, 200, 100, nil},
		{"crop fills box", jpg, "w=100&h=100&fit=crop", "", params.FormatJPEG, 100, 100, []sample{{10, 50, red}, {90, 50, blue}}},
		{"crop left keeps red", jpg, "w=100&h=100&fit=crop&crop=left", "", params.FormatJPEG, 100, 100, []sample{{10, 50, red}, {90, 50, red}}},
		{"crop right keeps blue", jpg, "w=100&h=100&fit=crop&crop=right", "", params.FormatJPEG, 100, 100, []sample{{10, 50, blue}}},
		{"crop entropy box", jpg, "w=100&h=100&fit=crop&crop=entropy", "", params.FormatJPEG, 100, 100, nil},
		{"fill pads with bg", jpg, "w=100&h=100&fit=fill&bg=00ff00", "", params.FormatJPEG, 100, 100, []sample{{50, 5, green}, {10, 50, red}}},
		{"ar alone crops at the source's scale", jpg, "ar=1:1&fit=crop", "", params.FormatJPEG, 200, 200, []sample{{10, 100, red}, {190, 100, blue}}},
		{"ar alone crops with the focus", jpg, "ar=1:1&fit=crop&crop=left", "", params.FormatJPEG, 200, 200, []sample{{10, 100, red}, {190, 100, red}}},
		{"ar alone pads (fill)", jpg, "ar=1:1&fit=fill&bg=00ff00", "", params.FormatJPEG, 400, 400, []sample{{200, 20, green}, {10, 200, red}, {390, 200, blue}, {200, 380, green}}},
		{"ar alone pads a wide ratio", jpg, "ar=4:1&fit=fill&bg=00ff00", "", params.FormatJPEG, 800, 200, []sample{{20, 100, green}, {250, 100, red}, {550, 100, blue}}},
		{"ar with w", jpg, "w=100&ar=2:3&fit=crop", "", params.FormatJPEG, 100, 150, nil},
		{"fill-color pads with it", jpg, "w=100&h=100&fit=fill&fill-color=00ff00&bg=0000ff", "", params.FormatJPEG, 100, 100, []sample{{50, 5, green}, {50, 95, green}, {10, 50, red}}},
		{"translucent fill-color kept in png", jpg, "w=100&h=100&fit=fill&fill-color=8000ff00&fm=png", "", params.FormatPNG, 100, 100, []sample{{50, 5, color.NRGBA{0, 255, 0, 128}}, {10, 50, red}}},
		{"fill-color leaves the image's transparency", alpha, "w=100&h=100&fit=fill&fill-color=ff0000", "", params.FormatPNG, 100, 100, []sample{{50, 5, red}, {10, 50, green}, {90, 50, clear}}},
		{"fill=blur fills with the image", jpg, "w=100&h=100&fit=fill&fill=blur", "", params.FormatJPEG, 100, 100, []sample{{10, 5, red}, {90, 5, blue}, {10, 94, red}, {90, 94, blue}, {10, 50, red}, {90, 50, blue}, {50, 5, color.NRGBA{128, 0, 128, 255}}}},
		{"fill=blur on a tall box", jpg, "w=100&h=300&fit=fill&fill=blur&fill-blur=50", "", params.FormatJPEG, 100, 300, []sample{{5, 20, red}, {95, 280, blue}}},
		{"focal point near the left edge", jpg, "w=100&h=100&fit=crop&crop=focalpoint&fp-x=0.1", "", params.FormatJPEG, 100, 100, []sample{{10, 50, red}, {90, 50, red}}},
		{"focal point near the right edge", jpg, "w=100&h=100&fit=crop&crop=focalpoint&fp-x=0.9", "", params.FormatJPEG, 100, 100, []sample{{10, 50, blue}, {90, 50, blue}}},
		{"focal point centred", jpg, "w=100&h=100&fit=crop&crop=focalpoint&fp-x=0.55", "", params.FormatJPEG, 100, 100, []sample{{30, 50, red}, {50, 50, blue}}},
		{"focal point zoomed", jpg, "w=100&h=100&fit=crop&crop=focalpoint&fp-x=0.45&fp-z=4", "", params.FormatJPEG, 100, 100, []sample{{80, 50, red}, {96, 50, blue}}},
		{"fillmax pads without upscaling", jpg, "w=1000&h=1000&fit=fillmax&bg=00ff00", "", params.FormatJPEG, 1000, 1000, []sample{{350, 500, red}, {650, 500, blue}, {100, 100, green}, {500, 350, green}}},
		{"clamp repeats the edges", jpg, "w=100&h=100&fit=clamp", "", params.FormatJPEG, 100, 100, []sample{{10, 5, red}, {90, 5, blue}, {10, 95, red}, {90, 95, blue}, {10, 50, red}}},
		{"clamp at a wide box", jpg, "w=300&h=100&fit=clamp", "", params.FormatJPEG, 300, 100, []sample{{5, 50, red}, {295, 50, blue}}},
		{"fillmax shrinks like fill", jpg, "w=100&h=100&fit=fillmax&bg=00ff00", "", params.FormatJPEG, 100, 100, []sample{{50, 5, green}, {10, 50, red}}},
		{"fillmax with one side is max", jpg, "w=1000&fit=fillmax", "", params.FormatJPEG, 400, 200, nil},
		{"max-w caps the derived side", jpg, "h=100&fit=crop&max-w=120", "", params.FormatJPEG, 120, 100, []sample{{10, 50, red}, {110, 50, blue}}},
		{"max-w leaves a narrower one", jpg, "h=100&fit=crop&max-w=1200", "", params.FormatJPEG, 200, 100, nil},
		{"min-h widens the box's other side", jpg, "w=100&fit=crop&min-h=100", "", params.FormatJPEG, 100, 100, []sample{{10, 50, red}, {90, 50, blue}}},
		{"crop limits alone bound the image", jpg, "fit=crop&max-w=200", "", params.FormatJPEG, 200, 200, []sample{{10, 100, red}, {190, 100, blue}}},
		{"sat=-100 greys", jpg, "w=100&sat=-100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, color.NRGBA{127, 127, 127, 255}}, {90, 25, color.NRGBA{76, 76, 76, 255}}}},
		{"sat=100 keeps a saturated colour", jpg, "w=100&sat=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, red}, {90, 25, blue}}},
		{"bri=50 adds half the scale", jpg, "w=100&bri=50", "", params.FormatJPEG, 100, 50, []sample{{10, 25, color.NRGBA{255, 128, 128, 255}}}},
		{"invert negates", jpg, "w=100&invert=1", "", params.FormatJPEG, 100, 50, []sample{{10, 25, color.NRGBA{0, 255, 255, 255}}, {90, 25, color.NRGBA{255, 255, 0, 255}}}},
		{"invert after brightness", jpg, "w=100&invert=1&bri=50", "", params.FormatJPEG, 100, 50, []sample{{10, 25, color.NRGBA{0, 127, 127, 255}}}},
		{"con=-100 flattens to mid grey", jpg, "w=100&con=-100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, color.NRGBA{128, 128, 128, 255}}, {90, 25, color.NRGBA{128, 128, 128, 255}}}},
		{"adjustments keep alpha and leave the fill", alpha, "w=100&h=100&fit=fill&bri=-100&fill-color=ff0000", "", params.FormatPNG, 100, 100, []sample{{10, 50, color.NRGBA{0, 0, 0, 255}}, {90, 50, clear}, {50, 5, red}}},
		{"w as a fraction of the image", jpg, "w=0.25", "", params.FormatJPEG, 100, 50, nil},
		{"fractions with dpr", jpg, "w=0.25&h=0.5&fit=scale&dpr=2", "", params.FormatJPEG, 200, 200, nil},
		{"h fraction with ar", jpg, "h=0.5&ar=3:1&fit=crop", "", params.FormatJPEG, 300, 100, nil},
		{"max never upscales", jpg, "w=1000&fit=max", "", params.FormatJPEG, 400, 200, nil},
		{"clip upscales", jpg, "w=800", "", params.FormatJPEG, 800, 400, nil},
		{"min crops without upscaling", jpg, "w=1000&h=1000&fit=min", "", params.FormatJPEG, 200, 200, nil},
		{"scale distorts", jpg, "w=100&h=100&fit=scale", "", params.FormatJPEG, 100, 100, []sample{{10, 50, red}, {90, 50, blue}}},
		{"rect cuts the right half", jpg, "rect=200,0,200,200&w=50", "", params.FormatJPEG, 50, 50, []sample{{25, 25, blue}}},
		{"rot 270 pivot: 90 clockwise (imgix's rot is counter-clockwise)", jpg, "rot=270&rot-type=pivot&w=100", "", params.FormatJPEG, 100, 200, []sample{{50, 10, red}, {50, 190, blue}}},
		{"rot 45 grows the box, corners white", jpg, "rot=45&w=100&fm=jpg&rot-type=pivot", "", params.FormatJPEG, 106, 106, []sample{{1, 1, color.NRGBA{255, 255, 255, 255}}}},
		{"rot 45 png corners transparent", jpg, "rot=45&w=100&fm=png&rot-type=pivot", "", params.FormatPNG, 106, 106, []sample{{1, 1, clear}}},
		{"flip h swaps halves", jpg, "flip=h&w=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, blue}, {90, 25, red}}},
		{"flip v", jpg, "flip=v&w=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, red}}},
		{"exif orientation applied", rotated, "w=100", "", params.FormatJPEG, 100, 200, []sample{{50, 10, red}, {50, 190, blue}}},
		// orient replaces the EXIF orientation: 6 turns the stored pixels a
		// quarter clockwise, 8 a quarter counter-clockwise, 3 a half, 2
		// mirrors, 1 shows them as stored.
		{"orient=6 turns a jpg without exif", jpg, "orient=6&w=100", "", params.FormatJPEG, 100, 200, []sample{{50, 10, red}, {50, 190, blue}}},
		{"orient=8 turns it the other way", jpg, "orient=8&w=100", "", params.FormatJPEG, 100, 200, []sample{{50, 10, blue}, {50, 190, red}}},
		{"orient=3 turns it half", jpg, "orient=3&w=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, blue}, {90, 25, red}}},
		{"orient=2 mirrors", jpg, "orient=2&w=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, blue}, {90, 25, red}}},
		{"orient=1 ignores the exif", rotated, "orient=1&w=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, red}, {90, 25, blue}}},
		{"or=90 is the exif's own 6", rotated, "or=90&w=100", "", params.FormatJPEG, 100, 200, []sample{{50, 10, red}, {50, 190, blue}}},
		{"orient=8 replaces the exif's 6", rotated, "orient=8&w=100", "", params.FormatJPEG, 100, 200, []sample{{50, 10, blue}, {50, 190, red}}},
		{"orient with jpeg shrink-on-load", jpg, "orient=6&w=50", "", params.FormatJPEG, 50, 100, []sample{{25, 5, red}, {25, 95, blue}}},
		{"rect refers to the turned image", jpg, "orient=6&rect=0,0,200,200&w=50", "", params.FormatJPEG, 50, 50, []sample{{25, 10, red}, {25, 40, red}}},
		{"orient on a png", alpha, "orient=6&w=100", "", params.FormatPNG, 100, 200, []sample{{50, 10, green}, {50, 190, clear}}},
		{"orient then rot", jpg, "orient=3&rot=180&w=100", "", params.FormatJPEG, 100, 50, []sample{{10, 25, red}, {90, 25, blue}}},
		{"fm webp", jpg, "w=100&fm=webp", "", params.FormatWebP, 100, 50, []sample{{10, 25, red}}},
		{"fm avif", jpg, "w=100&fm=avif", "", params.FormatAVIF, 100, 50, []sample{{10, 25, red}}},
		{"fm gif", jpg, "w=100&fm=gif", "", params.FormatGIF, 100, 50, nil},
		{"fm png", jpg, "w=100&fm=png", "", params.FormatPNG, 100, 50, []sample{{10, 25, red}}},
		{"auto=format prefers avif", jpg, "w=100&auto=format", "image/avif,image/webp,*/*", params.FormatAVIF, 100, 50, nil},
		{"auto=format webp", jpg, "w=100&auto=format", "image/webp,*/*", params.FormatWebP, 100, 50, nil},
		{"auto=format falls back", jpg, "w=100&auto=format", "*/*", params.FormatJPEG, 100, 50, nil},
		{"png alpha kept", alpha, "w=100", "", params.FormatPNG, 100, 50, []sample{{10, 25, green}, {90, 25, clear}}},
		{"alpha to jpg flattens white", alpha, "w=100&fm=jpg", "", params.FormatJPEG, 100, 50, []sample{{90, 25, color.NRGBA{255, 255, 255, 255}}}},
		{"alpha with bg", alpha, "w=100&bg=ff0000", "", params.FormatPNG, 100, 50, []sample{{90, 25, red}}},
		{"alpha with translucent bg", alpha, "w=100&bg=80ff0000", "", params.FormatPNG, 100, 50, []sample{{90, 25, color.NRGBA{255, 0, 0, 128}}, {10, 25, green}}},
		// imgix's pad (docs.imgix.com/apis/url/border-and-padding/pad):
		// "If the image is requested without a specified width and height,
		// padding will be added to the dimensions of the image. If the
		// image is cropped or resized, the image (including the padding)
		// will be sized to fit within the requested dimensions." w=100 is
		// 100 wide in all: the image 80x40, 10 of bg around it.
		{"pad within w", jpg, "w=100&pad=10&bg=00ff00", "", params.FormatJPEG, 100, 60,
			[]sample{{2, 2, green}, {5, 30, green}, {95, 30, green}, {50, 55, green}, {20, 30, red}, {80, 30, blue}}},
		{"uneven padding within w", jpg, "w=100&pad-left=30&pad-top=10&bg=00ff00", "", params.FormatJPEG, 100, 45,
			[]sample{{10, 30, green}, {60, 5, green}, {40, 30, red}, {95, 30, blue}}},
		{"pad scales with dpr", jpg, "w=100&pad=10&dpr=2", "", params.FormatJPEG, 200, 120, nil},
		{"pad alone adds to the image", jpg, "pad=10&bg=00ff00", "", params.FormatJPEG, 420, 220, []sample{{5, 110, green}, {20, 110, red}, {400, 110, blue}}},
		// @imgix/js-core's buildURL('/img/photo.jpg', {w:400, h:300,
		// fit:'crop', pad:20}): 400x300, the 360x260 cut inside.
		{"pad within a crop", jpg, "w=400&h=300&fit=crop&pad=20&bg=00ff00", "", params.FormatJPEG, 400, 300,
			[]sample{{5, 150, green}, {395, 150, green}, {200, 5, green}, {200, 295, green}, {30, 150, red}, {370, 150, blue}}},
		{"pad within w 400", jpg, "w=400&pad=20", "", params.FormatJPEG, 400, 220, nil},
		{"pad within a clip box", jpg, "w=100&h=100&pad=10&bg=00ff00", "", params.FormatJPEG, 100, 60, []sample{{50, 5, green}, {20, 30, red}}},
		{"pad within a fill box", jpg, "w=100&h=100&fit=fill&pad=10&bg=00ff00", "", params.FormatJPEG, 100, 100,
			[]sample{{5, 50, green}, {50, 15, green}, {15, 50, red}, {85, 50, blue}}},
		{"pad within a scale box", jpg, "w=100&h=100&fit=scale&pad=10&bg=00ff00", "", params.FormatJPEG, 100, 100, []sample{{5, 50, green}, {15, 50, red}, {85, 50, blue}}},
		{"pad within ar's box", jpg, "w=100&ar=2:1&fit=crop&pad=10", "", params.FormatJPEG, 100, 50, nil},
		// max never enlarges: the 400x200 image fits the 960 px box as it is.
		{"pad within a max box", jpg, "w=1000&fit=max&pad=20", "", params.FormatJPEG, 440, 240, nil},
		{"one side's pad within a crop", jpg, "w=100&h=100&fit=crop&pad-left=40&bg=00ff00", "", params.FormatJPEG, 100, 100,
			[]sample{{20, 50, green}, {50, 50, red}, {90, 50, blue}}},
		// dpr 1.5: the box is 152 device px (151.5); 70 CSS px of image
		// (105) and 23 (22.5) each side is 151, where 71 would be 153.
		{"pad within the box at a fractional dpr", jpg, "w=101&h=101&fit=crop&pad=15&dpr=1.5", "", params.FormatJPEG, 151, 151, nil},
		{"trim removes a uniform border", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=auto", "", params.FormatPNG, 200, 200, []sample{{100, 100, red}}},
		{"trim takes the top-left colour", encodePNG(t, bordered(300, 300, 40, color.NRGBA{0, 0, 80, 255})), "trim=color", "", params.FormatPNG, 220, 220, []sample{{100, 100, red}}},
		{"trim-color cuts that colour", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=color&trim-color=fff", "", params.FormatPNG, 200, 200, []sample{{100, 100, red}}},
		{"trim-color other than the border keeps all", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=color&trim-color=000", "", params.FormatPNG, 300, 300, nil},
		{"trim-pad grows the box", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=auto&trim-pad=10", "", params.FormatPNG, 220, 220, []sample{{5, 5, color.NRGBA{255, 255, 255, 255}}, {110, 110, red}}},
		{"negative trim-pad shrinks it", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=auto&trim-pad=-10", "", params.FormatPNG, 180, 180, []sample{{5, 5, red}}},
		// Shrunk past nothing (imgix allows trim-pad down to -200): the
		// content's centre pixel is kept.
		{"trim-pad shrinking past nothing keeps the centre pixel", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=auto&trim-pad=-150", "", params.FormatPNG, 1, 1, []sample{{0, 0, red}}},
		{"trim-pad shrinking one side away keeps the centre row", encodePNG(t, bordered(300, 100, 40, color.NRGBA{255, 255, 255, 255})), "trim=auto&trim-pad=-30", "", params.FormatPNG, 160, 1, []sample{{80, 0, red}}},
		// (250,250,250) is 8.7 from white: within the default tolerance (10), not within 0.
		{"trim-tol default", encodePNG(t, bordered(300, 300, 50, color.NRGBA{250, 250, 250, 255})), "trim=color&trim-color=fff", "", params.FormatPNG, 200, 200, nil},
		{"trim-tol=0 is exact", encodePNG(t, bordered(300, 300, 50, color.NRGBA{250, 250, 250, 255})), "trim=color&trim-color=fff&trim-tol=0", "", params.FormatPNG, 300, 300, nil},
		{"trim with alpha takes a transparent border", encodePNG(t, bordered(300, 300, 30, clear)), "trim=auto", "", params.FormatPNG, 240, 240, []sample{{120, 120, red}}},
		{"trim=alpha cuts the transparent edges", encodePNG(t, bordered(300, 300, 30, clear)), "trim=alpha", "", params.FormatPNG, 240, 240, []sample{{0, 0, red}, {120, 120, red}}},
		{"trim=alpha keeps a faint edge", encodePNG(t, bordered(300, 300, 30, color.NRGBA{0, 0, 0, 40})), "trim=alpha", "", params.FormatPNG, 300, 300, nil},
		{"trim=alpha with trim-tol cuts it", encodePNG(t, bordered(300, 300, 30, color.NRGBA{0, 0, 0, 40})), "trim=alpha&trim-tol=50", "", params.FormatPNG, 240, 240, nil},
		{"trim=alpha leaves an opaque image whole", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=alpha", "", params.FormatPNG, 300, 300, nil},
		{"trim=colorunlessalpha without alpha trims the colour", encodePNG(t, bordered(300, 300, 50, color.NRGBA{255, 255, 255, 255})), "trim=colorunlessalpha", "", params.FormatPNG, 200, 200, nil},
		// The white edge is opaque: by alpha there is nothing to cut (trim=auto would take 30 px).
		{"trim=colorunlessalpha with alpha trims the alpha", encodePNG(t, holed(bordered(300, 300, 30, color.NRGBA{255, 255, 255, 255}))), "trim=colorunlessalpha", "", params.FormatPNG, 300, 300, nil},
		{"trim=auto on the same image trims the colour", encodePNG(t, holed(bordered(300, 300, 30, color.NRGBA{255, 255, 255, 255}))), "trim=auto", "", params.FormatPNG, 240, 240, nil},
		// driftTop's first 50 rows are flat greys one level apart: walked
		// away under trim-md 11, kept from the second under trim-md 0.5;
		// the checkerboard below stops every walk at once.
		{"trim-md walks a drifting border", encodePNG(t, driftTop(300, 300, 50)), "trim=auto&trim-md=11", "", params.FormatPNG, 300, 250, []sample{{5, 5, red}, {15, 5, blue}}},
		{"trim-md below the drift keeps it", encodePNG(t, driftTop(300, 300, 50)), "trim=auto&trim-md=0.5", "", params.FormatPNG, 300, 299, []sample{{150, 0, color.NRGBA{254, 254, 254, 255}}}},
		{"trim-sd=0 takes only flat rows", encodePNG(t, driftTop(300, 300, 50)), "trim=auto&trim-sd=0&trim-pad=2", "", params.FormatPNG, 300, 252, []sample{{150, 0, color.NRGBA{207, 207, 207, 255}}}},
		{"blur", jpg, "w=100&blur=20", "", params.FormatJPEG, 100, 50, nil},
		{"sharp", jpg, "w=100&sharp=50", "", params.FormatJPEG, 100, 50, nil},
		{"output limit scales down", jpg, "w=3000&h=3000&fit=fill", "", params.FormatJPEG, 3000, 3000, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, img := run(t, pl, tc.src, tc.query, tc.accept)
			if res.Format != tc.format {
				t.Errorf("format = %v, want %v", res.Format, tc.format)
			}
			if res.Width != tc.w || res.Height != tc.h || img.Bounds().Dx() != tc.w || img.Bounds().Dy() != tc.h {
				t.Errorf("size = %dx%d (decoded %v), want %dx%d", res.Width, res.Height, img.Bounds(), tc.w, tc.h)
			}
			if got := bimg.DetermineImageType(res.Body); formatOf(got) != tc.format {
				t.Errorf("bytes are %v", bimg.ImageTypeName(got))
			}
			for _, s := range tc.samples {
				if got := img.NRGBAAt(s.x, s.y); !near(got, s.c, 40) {
					t.Errorf("pixel (%d,%d) = %v, want %v", s.x, s.y, got, s.c)
				}
			}
		})
	}
}

func formatOf(t bimg.ImageType) params.Format {
	switch t {
	case bimg.JPEG:
		return params.FormatJPEG
	case bimg.PNG:
		return params.FormatPNG
	case bimg.WEBP:
		return params.FormatWebP
	case bimg.AVIF:
		return params.FormatAVIF
	case bimg.GIF:
		return params.FormatGIF
	}
	return params.FormatSource
}

// bordered is a red rectangle inside a border of colour edge.
func bordered(w, h, border int, edge color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := edge
			if x >= border && x < w-border && y >= border && y < h-border {
				c = red
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// driftTop is w x h: its top border rows (border of them) flat greys from
// 255 down one level a row, the rest a checkerboard of red and blue 10 px
// squares, red at its top left.
func driftTop(w, h, border int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := red
			switch {
			case y < border:
				v := uint8(255 - y)
				c = color.NRGBA{v, v, v, 255}
			case (x/10+(y-border)/10)%2 == 1:
				c = blue
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// TestRotateClockwise checks the direction: turning a wide image clockwise
// lifts its top-left corner to the top of the bounding box.
// Params.Rotate is clockwise, and without RotateStraighten pivots onto
// the bounding box (imgix's rot, counter-clockwise, is
// TestImgixRotPivotBoundingBox's).
func TestRotateClockwise(t *testing.T) {
	pl := NewPipeline(Options{})
	_, img := runParams(t, pl, encodePNG(t, halves(200, 100, red, blue)), params.Params{Rotate: 20, Format: params.FormatPNG})
	for x := 0; x < img.Bounds().Dx(); x++ {
		if c := img.NRGBAAt(x, 3); c.A > 200 {
			if !near(c, red, 60) {
				t.Fatalf("topmost pixel at x=%d is %v, want red (the top-left corner)", x, c)
			}
			return
		}
	}
	t.Fatal("no opaque pixel near the top")
}

func TestPipelineStripsMetadata(t *testing.T) {
	pl := NewPipeline(Options{})
	src := withOrientation(encodeJPEG(t, halves(64, 32, red, blue)), 6)
	res, _ := run(t, pl, src, "w=32", "")
	md, err := bimg.Metadata(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if md.EXIF.Orientation > 1 || md.Orientation > 1 {
		t.Fatalf("orientation survived: %+v", md.EXIF.Orientation)
	}
	if bytes.Contains(res.Body, []byte("Exif")) {
		t.Fatal("EXIF block survived")
	}
}

func TestPipelineErrors(t *testing.T) {
	jpg := encodeJPEG(t, halves(400, 200, red, blue))
	pl := NewPipeline(Options{Limits: Limits{MaxSourceBytes: 1 << 20, MaxSourcePixels: 50_000, MaxOutputDimension: 500}})
	cases := []struct {
		name   string
		src    []byte
		query  string
		status int
		code   string
	}{
		{"not an image", []byte("hello, this is plain text and not an image"), "w=10", http.StatusUnsupportedMediaType, params.CodeUnknownFormat},
		{"svg refused", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`), "w=10", http.StatusUnsupportedMediaType, params.CodeUnknownFormat},
		{"truncated jpeg", jpg[:200], "w=10", http.StatusUnprocessableEntity, params.CodeCorruptSource},
		{"too many pixels", encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 300, 300))), "w=10", http.StatusRequestEntityTooLarge, params.CodeResolutionTooHigh},
		{"too many bytes", append(jpg[:2:2], make([]byte, 2<<20)...), "w=10", http.StatusRequestEntityTooLarge, params.CodeSourceTooLarge},
		{"rect outside", encodeJPEG(t, halves(100, 100, red, blue)), "rect=200,0,10,10", http.StatusBadRequest, params.CodeInvalidParameter},
		// Without w and h imgix's padding adds to the image (w=500 would
		// hold it within 500).
		{"pad over max", encodeJPEG(t, halves(100, 100, red, blue)), "pad=250", http.StatusBadRequest, params.CodeInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.query)
			s, err := pl.Probe(tc.src)
			if err == nil {
				_, err = pl.Process(context.Background(), &Request{Source: tc.src, Info: s, Params: p, Format: NegotiateFormat(p, "", s)})
			}
			if err == nil {
				t.Fatal("no error")
			}
			es := params.AsErrors(err)
			if es.Status() != tc.status || es[0].Code != tc.code {
				t.Fatalf("got %d %s (%v), want %d %s", es.Status(), es[0].Code, err, tc.status, tc.code)
			}
		})
	}
}

func TestPipelineDeadline(t *testing.T) {
	pl := NewPipeline(Options{})
	src := encodeJPEG(t, halves(64, 32, red, blue))
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = pl.Process(ctx, &Request{Source: src, Info: s, Params: mustParse(t, "w=10"), Format: params.FormatJPEG})
	if es := params.AsErrors(err); es.Status() != http.StatusServiceUnavailable || es[0].Code != params.CodeTimeout {
		t.Fatalf("got %v", err)
	}
}

// TestPipelineRealPhotos runs the perf corpus (real camera JPEGs and an
// RGBA PNG) through the common resizes.
func TestPipelineRealPhotos(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata", "perf")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data not found at %s: %v", dir, err)
	}
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 8192}})
	for _, tc := range []struct {
		file, query string
		w, h        int
		alpha       bool
	}{
		{"photo-4mp.jpg", "w=800", 800, 500, false},
		{"photo-12mp.jpg", "w=800", 800, 600, false},
		{"photo-1mp.jpg", "w=400&fm=webp", 400, 267, false},
		{"photo-alpha.png", "w=600", 600, 400, true},
	} {
		src, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		res, img := run(t, pl, src, tc.query, "")
		if res.Width != tc.w || res.Height != tc.h {
			t.Errorf("%s: %dx%d, want %dx%d", tc.file, res.Width, res.Height, tc.w, tc.h)
		}
		corner := img.NRGBAAt(0, 0)
		centre := img.NRGBAAt(tc.w/2, tc.h/2)
		if tc.alpha && !(corner.A < 20 && centre.A > 200) {
			t.Errorf("%s: radial alpha lost: corner %v centre %v", tc.file, corner, centre)
		}
		if !tc.alpha && corner.A != 255 {
			t.Errorf("%s: unexpected alpha %v", tc.file, corner)
		}
	}
}

func TestJPEGShrink(t *testing.T) {
	jpeg := Source{Type: params.FormatJPEG, Width: 2560, Height: 1707}
	for _, tc := range []struct {
		name string
		src  Source
		w, h int
		want int
	}{
		{"3.2x leaves shrink 2", jpeg, 800, 533, 2},
		{"exactly 2x", jpeg, 1280, 853, 2},
		{"just under 2x", jpeg, 1281, 854, 1},
		{"one axis too tall", jpeg, 800, 1000, 1},
		{"12 MP to 800", Source{Type: params.FormatJPEG, Width: 4000, Height: 3000}, 800, 600, 4},
		{"to a thumbnail", jpeg, 160, 106, 8},
		{"upscale", jpeg, 5000, 3334, 1},
		{"PNG never", Source{Type: params.FormatPNG, Width: 2560, Height: 1707}, 160, 106, 1},
		{"zero target", jpeg, 0, 0, 1},
	} {
		if got := tc.src.jpegShrink(tc.w, tc.h); got != tc.want {
			t.Errorf("%s: jpegShrink(%d, %d) = %d, want %d", tc.name, tc.w, tc.h, got, tc.want)
		}
	}
}

// TestJPEGShrinkOnLoadPixels checks that decoding a real photo at 1/N in
// libjpeg before the Lanczos reduce gives the picture a full decode gives,
// within a small mean error.
func TestJPEGShrinkOnLoadPixels(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata", "perf")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data not found at %s: %v", dir, err)
	}
	for _, tc := range []struct {
		file string
		w    int
	}{{"photo-4mp.jpg", 800}, {"photo-12mp.jpg", 800}, {"photo-1mp.jpg", 400}} {
		buf, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		src, err := NewPipeline(Options{}).Probe(buf)
		if err != nil {
			t.Fatal(err)
		}
		h := atLeast1(float64(src.Height) * float64(tc.w) / float64(src.Width))
		n := src.jpegShrink(tc.w, h)
		if n < 2 {
			t.Fatalf("%s: no shrink-on-load at width %d", tc.file, tc.w)
		}
		// The reference decodes every pixel, then reduces with Lanczos.
		full, err := vips.Thumbnail(buf, src.Width, src.Height, vips.NoCrop, 1, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		if err := full.CopyMemory(); err != nil {
			t.Fatal(err)
		}
		if err := full.Resize(tc.w, h, vips.NoCrop); err != nil {
			t.Fatal(err)
		}
		var means []float64
		for _, shrink := range []int{1, n} { // 1: vips_thumbnail's own choice
			im, err := vips.Thumbnail(buf, tc.w, h, vips.NoCrop, shrink, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			if im.Width() != tc.w || im.Height() != h {
				t.Fatalf("%s shrink %d: %dx%d, want %dx%d", tc.file, shrink, im.Width(), im.Height(), tc.w, h)
			}
			mean, worst := meanAbsDiff(t, im, full)
			t.Logf("%s: shrink %d vs full decode: mean abs diff %.2f/255, max %.0f", tc.file, shrink, mean, worst)
			means = append(means, mean)
		}
		// DCT scaling by 4 then a 1.25x Lanczos reduce lands about 2.4/255
		// from the full decode on the 12 MP photo (imgproxy makes the same
		// trade); a wrong offset, orientation or colour lands at tens.
		if means[1] > 3 {
			t.Errorf("%s: shrink-on-load by %d is %.2f/255 from the full decode (vips_thumbnail: %.2f)", tc.file, n, means[1], means[0])
		}
	}
}

// meanAbsDiff compares two images of one size by their RGB bytes.
func meanAbsDiff(t *testing.T, a, b *vips.Image) (mean, worst float64) {
	t.Helper()
	pa, err := a.RawRGB()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.RawRGB()
	if err != nil {
		t.Fatal(err)
	}
	if len(pa) != len(pb) {
		t.Fatalf("sizes differ: %d and %d bytes", len(pa), len(pb))
	}
	var sum float64
	for i := range pa {
		d := math.Abs(float64(pa[i]) - float64(pb[i]))
		sum += d
		worst = max(worst, d)
	}
	return sum / float64(len(pa)), worst
}

// A focus in pixels (Thumbor's focal) crops as the same point given as a
// fraction, also when counted from a Rect's corner: 220 of 400 source
// pixels (0.55) leaves the red-blue edge 40 px into the 100 px crop.
func TestFocusInPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodeJPEG(t, halves(400, 200, red, blue))
	for _, p := range []params.Params{
		{Focus: params.Focus{X: 220, Y: 100, Set: true, Pixels: true}},
		{Focus: params.Focus{X: 180, Y: 100, Set: true, Pixels: true}, Rect: params.Rect{X: 40, W: 360, H: 200}},
		// Past the edge: the crop stops at the image's right side.
		{Focus: params.Focus{X: 5000, Y: 100, Set: true, Pixels: true}},
	} {
		p.Width, p.Height, p.Fit, p.Format = 100, 100, params.FitCrop, params.FormatPNG
		want := []sample{{30, 50, red}, {50, 50, blue}}
		if p.Focus.X == 5000 {
			want = []sample{{2, 50, blue}, {98, 50, blue}}
		}
		_, img := runParams(t, pl, src, p)
		checkSamples(t, img, want, 40)
	}
	// The point is the source's when the image turns (Thumbor's focal
	// with rotate(90): Rotate 270): (300, 180) is in the blue half, which
	// the counter-clockwise turn puts on top, so the square cut around
	// it is blue; read unturned, its y (0.9) would cut the red bottom.
	p := params.Params{Width: 100, Height: 100, Fit: params.FitCrop, Format: params.FormatPNG, Rotate: 270,
		Focus: params.Focus{X: 300, Y: 180, Set: true, Pixels: true}}
	_, img := runParams(t, pl, src, p)
	checkSamples(t, img, []sample{{50, 5, blue}, {50, 95, blue}}, 40)
}

// A Region resolves against the source's size: cut widths, an area by its
// anchor, a fraction, a focus, and sides clamped to the source.
func TestResolveRegion(t *testing.T) {
	for _, tc := range []struct {
		r    params.Region
		want params.Rect
	}{
		{params.Region{Cut: params.Sides{Top: 10, Right: 20, Bottom: 30, Left: 40}}, params.Rect{X: 40, Y: 10, W: 340, H: 160}},
		{params.Region{W: 100, H: 50}, params.Rect{X: 150, Y: 75, W: 100, H: 50}},
		{params.Region{W: 100, H: 50, Anchor: params.CropBottomRight}, params.Rect{X: 300, Y: 150, W: 100, H: 50}},
		{params.Region{W: 100, Anchor: params.CropTopLeft}, params.Rect{X: 0, Y: 0, W: 100, H: 200}},
		{params.Region{WRatio: 0.5, HRatio: 0.25, Anchor: params.CropBottom}, params.Rect{X: 100, Y: 150, W: 200, H: 50}},
		{params.Region{W: 100, H: 100, Focus: params.Focus{X: 0.9, Y: 0.5, Set: true}}, params.Rect{X: 300, Y: 50, W: 100, H: 100}},
		{params.Region{W: 100, H: 100, Focus: params.Focus{X: 0.5, Y: 0.1, Set: true}}, params.Rect{X: 150, Y: 0, W: 100, H: 100}},
		{params.Region{W: 5000, H: 5000}, params.Rect{W: 400, H: 200}},
		// Each axis placed on its own (imgix rect's keywords and fractions).
		{params.Region{W: 100, H: 50, AtSet: true, At: [2]params.Place{{By: params.PlaceAlign, F: 0.5}, {By: params.PlaceAlign, F: 0.5}}}, params.Rect{X: 150, Y: 75, W: 100, H: 50}},
		{params.Region{W: 100, H: 50, AtSet: true, At: [2]params.Place{{By: params.PlaceAlign, F: 1}, {By: params.PlaceAlign, F: 1}}}, params.Rect{X: 300, Y: 150, W: 100, H: 50}},
		{params.Region{W: 300, H: 50, AtSet: true, At: [2]params.Place{{By: params.PlaceFraction, F: 0.5}, {Px: 10}}}, params.Rect{X: 200, Y: 10, W: 300, H: 50}},
		{params.Region{W: 5000, H: 50, AtSet: true, At: [2]params.Place{{By: params.PlaceAlign, F: 1}, {By: params.PlaceFraction, F: 0.25}}}, params.Rect{X: 0, Y: 50, W: 400, H: 50}},
	} {
		got, err := resolveRegion(tc.r, 400, 200)
		if err != nil || got != tc.want {
			t.Errorf("%+v: %+v, %v; want %+v", tc.r, got, err, tc.want)
		}
	}
	_, err := resolveRegion(params.Region{Cut: params.Sides{Left: 200, Right: 200}}, 400, 200)
	if e := params.AsErrors(err); err == nil || e[0].Status != 400 || e[0].Field != "trim" {
		t.Errorf("cut to nothing: %v", err)
	}
}

// A Region through the pipeline: the red-blue image less 250 px on its
// left is blue only; a 100 px area at the left anchor is red only.
func TestRegionPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodeJPEG(t, halves(400, 200, red, blue))
	for _, tc := range []struct {
		r       params.Region
		w, h    int
		samples []sample
	}{
		{params.Region{Cut: params.Sides{Left: 250}}, 150, 200, []sample{{2, 100, blue}, {147, 100, blue}}},
		{params.Region{W: 100, Anchor: params.CropLeft}, 100, 200, []sample{{2, 100, red}, {97, 100, red}}},
		// imgix rect=right,middle,100,100: the right edge, blue.
		{params.Region{W: 100, H: 100, AtSet: true, At: [2]params.Place{{By: params.PlaceAlign, F: 1}, {By: params.PlaceAlign, F: 0.5}}}, 100, 100, []sample{{2, 50, blue}, {97, 50, blue}}},
		// rect=0.45,0,40,200: from 180 px in, 20 red then 20 blue.
		{params.Region{W: 40, H: 200, AtSet: true, At: [2]params.Place{{By: params.PlaceFraction, F: 0.45}}}, 40, 200, []sample{{2, 100, red}, {37, 100, blue}}},
	} {
		_, img := runParams(t, pl, src, params.Params{Region: tc.r, Format: params.FormatPNG})
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Fatalf("%+v: %dx%d, want %dx%d", tc.r, b.Dx(), b.Dy(), tc.w, tc.h)
		}
		checkSamples(t, img, tc.samples, 40)
	}
	_, err := process(t, pl, src, params.Params{Region: params.Region{Cut: params.Sides{Top: 100, Bottom: 100}}}, "")
	if e := params.AsErrors(err); err == nil || e[0].Status != 400 {
		t.Errorf("a cut to nothing: %v", err)
	}
	// rect=1.0,...: the area starts at the right edge, past every pixel.
	_, err = process(t, pl, src, params.Params{Region: params.Region{W: 10, H: 10, AtSet: true, At: [2]params.Place{{By: params.PlaceFraction, F: 1}}}}, "")
	if e := params.AsErrors(err); err == nil || e[0].Status != 400 || e[0].Field != "rect" {
		t.Errorf("an area placed past the edge: %v", err)
	}
	// Placed past the bottom edge only: an error on rect's y axis.
	_, err = process(t, pl, src, params.Params{Region: params.Region{W: 10, H: 10, AtSet: true, At: [2]params.Place{{}, {By: params.PlaceFraction, F: 1}}}}, "")
	if e := params.AsErrors(err); err == nil || e[0].Status != 400 || e[0].Field != "rect.y" {
		t.Errorf("an area placed past the bottom edge: %v", err)
	}
}

// stripes is a w x h image of 1-px lines alternating between a and b:
// rows when across, else columns.
func stripes(w, h int, across bool, a, b color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c, i := a, x
			if across {
				i = y
			}
			if i%2 == 1 {
				c = b
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// A region turned a quarter is decoded at the scale its plan, made in the
// turned frame, needs: the 200x100 rows, turned to 100 columns and
// stretched to 100x10, need every row, so the decode keeps the source's
// size and the 1-px lines survive (decoded at half size, they would be
// grey).
func TestTurnedRegionDecodeScale(t *testing.T) {
	pl := NewPipeline(Options{})
	black, white := color.NRGBA{0, 0, 0, 255}, color.NRGBA{255, 255, 255, 255}
	src := encodePNG(t, stripes(200, 100, true, black, white))
	for _, rotate := range []float64{90, 270} {
		p := params.Params{Rect: params.Rect{W: 200, H: 100}, Rotate: rotate, Fit: params.FitScale, Width: 100, Height: 10, Format: params.FormatPNG}
		res, img := runParams(t, pl, src, p)
		if res.Width != 100 || res.Height != 10 {
			t.Fatalf("rot=%v: %dx%d, want 100x10", rotate, res.Width, res.Height)
		}
		if a, b := int(img.NRGBAAt(0, 5).R), int(img.NRGBAAt(1, 5).R); a-b <= 128 && b-a <= 128 {
			t.Errorf("rot=%v: columns 0 and 1 are %d and %d, want black and white", rotate, a, b)
		}
	}
}

// A trim of an image, or a rect, under 3 px on a side (too small for
// libvips' 3x3 median) compares every pixel with the border's colour or
// alpha.
func TestTrimTinyImages(t *testing.T) {
	pl := NewPipeline(Options{})
	white := color.NRGBA{255, 255, 255, 255}
	for _, tc := range []struct {
		name    string
		src     *image.NRGBA
		p       params.Params
		w, h    int
		samples []sample
	}{
		{"2x2 of one colour stays whole", halves(2, 2, white, white), params.Params{Trim: true}, 2, 2, []sample{{1, 1, white}}},
		{"2x2 white and red", halves(2, 2, white, red), params.Params{Trim: true}, 1, 2, []sample{{0, 0, red}, {0, 1, red}}},
		{"1x1", halves(1, 1, red, red), params.Params{Trim: true}, 1, 1, []sample{{0, 0, red}}},
		{"2x2 by alpha", halves(2, 2, clear, red), params.Params{Trim: true, TrimBy: params.TrimByAlpha}, 1, 2, []sample{{0, 0, red}}},
		{"a 2 px wide rect", halves(200, 100, white, red), params.Params{Trim: true, Rect: params.Rect{X: 99, W: 2, H: 100}}, 1, 100, []sample{{0, 50, red}}},
	} {
		tc.p.Format = params.FormatPNG
		res, err := process(t, pl, encodePNG(t, tc.src), tc.p, "")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		img := decodeNRGBA(t, res.Body)
		if !vips.LineArtTrim() {
			// libvips before 8.15 (the system build on bookworm) cannot
			// search without its 3x3 median: the image is left whole.
			whole := tc.src.Bounds()
			if !tc.p.Rect.IsZero() {
				whole = image.Rect(0, 0, tc.p.Rect.W, tc.p.Rect.H)
			}
			if b := img.Bounds(); b.Dx() != whole.Dx() || b.Dy() != whole.Dy() {
				t.Errorf("%s: %dx%d, want it whole, %dx%d, on libvips %s", tc.name, b.Dx(), b.Dy(), whole.Dx(), whole.Dy(), vips.Info().Version)
			}
			continue
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: %dx%d, want %dx%d", tc.name, b.Dx(), b.Dy(), tc.w, tc.h)
			continue
		}
		checkSamples(t, img, tc.samples, 2)
	}
}

// FitOutside covers the box without cropping (sharp's outside, Thumbor's
// full-fit-in), FitOutsideMax without enlarging; AdaptiveBox turns the box
// to the source's orientation (Thumbor's adaptive-fit-in). On a 400x200
// source.
func TestOutsideAndAdaptiveSizes(t *testing.T) {
	checkSizes(t, []sizeCase{
		{params.Params{Width: 100, Height: 100, Fit: params.FitOutside}, 200, 100},
		{params.Params{Width: 300, Height: 300, Fit: params.FitOutside}, 600, 300},
		{params.Params{Width: 300, Height: 300, Fit: params.FitOutsideMax}, 400, 200},
		{params.Params{Width: 100, Height: 100, Fit: params.FitOutsideMax}, 200, 100},
		{params.Params{Width: 100, Fit: params.FitOutside}, 100, 50},
		{params.Params{Width: 100, Height: 300}, 100, 50},
		{params.Params{Width: 100, Height: 300, AdaptiveBox: true}, 200, 100},
		{params.Params{Width: 300, Height: 100, AdaptiveBox: true}, 200, 100},
		{params.Params{Width: 100, Height: 300, AdaptiveBox: true, Rect: params.Rect{W: 100, H: 200}}, 100, 200},
		// Turned a quarter, the source is portrait (200x400): a portrait box
		// stays as it is, a landscape one turns.
		{params.Params{Width: 100, Height: 300, AdaptiveBox: true, Rotate: 90}, 100, 200},
		{params.Params{Width: 300, Height: 100, AdaptiveBox: true, Rotate: 270}, 100, 200},
	})
}

// A fit decided per source (params.SourceFit) on a 400x200 source that
// Rotate turns a quarter to 200x400: the source is turned once, so the
// decision follows the turned orientation and size.
func TestSourceFitTurnedSizes(t *testing.T) {
	crop := params.SourceFit{When: params.FitWhenSmaller, Fit: params.FitMax} // Cloudflare fit=crop
	auto := params.SourceFit{When: params.FitWhenCrossed, Fit: params.FitMax} // imgproxy rt:auto
	checkSizes(t, []sizeCase{
		// Turned, 200x400 fits a 250x450 box: scale-down leaves it as it is.
		{params.Params{Width: 250, Height: 450, Fit: params.FitMin, Rotate: 90, SourceFit: crop}, 200, 400},
		// Unturned, 400x200 is wider than the box: cut to its shape, never
		// enlarged.
		{params.Params{Width: 250, Height: 450, Fit: params.FitMin, SourceFit: crop}, 111, 200},
		// Turned, the portrait source crosses a landscape box: fit.
		{params.Params{Width: 300, Height: 200, Fit: params.FitMin, Rotate: 90, SourceFit: auto}, 100, 200},
		{params.Params{Width: 300, Height: 200, Fit: params.FitMin, Rotate: 270, SourceFit: auto}, 100, 200},
		// Unturned, both landscape: fill.
		{params.Params{Width: 300, Height: 200, Fit: params.FitMin, SourceFit: auto}, 300, 200},
	})
}

// sizeCase is Params and the output size expected of the 400x200
// red-blue source.
type sizeCase struct {
	p    params.Params
	w, h int
}

// checkSizes processes a 400x200 JPEG, red on the left and blue on the
// right, with each case's Params and checks the output's size.
func checkSizes(t *testing.T, cases []sizeCase) {
	t.Helper()
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodeJPEG(t, halves(400, 200, red, blue))
	for _, tc := range cases {
		res, err := process(t, pl, src, tc.p, "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Width != tc.w || res.Height != tc.h {
			t.Errorf("%+v: %dx%d, want %dx%d", tc.p.Key(), res.Width, res.Height, tc.w, tc.h)
		}
	}
}

// holed makes img's centre pixel transparent, so that it is encoded with
// an alpha band.
func holed(img *image.NRGBA) *image.NRGBA {
	b := img.Bounds()
	img.SetNRGBA(b.Dx()/2, b.Dy()/2, clear)
	return img
}

// imgproxy's min-width and min-height on a 400x200 source: the fit's scale
// raised until the image is at least that large (enlarging), then cut to
// a crop's box; times the DPR.
func TestMinSizes(t *testing.T) {
	checkSizes(t, []sizeCase{
		{params.Params{MinWidth: 800}, 800, 400},
		{params.Params{MinWidth: 100}, 400, 200},
		{params.Params{Width: 100, Fit: params.FitMax, MinWidth: 300}, 300, 150},
		{params.Params{Width: 100, Fit: params.FitMax, MinHeight: 300}, 600, 300},
		{params.Params{Width: 100, Height: 100, Fit: params.FitMin, MinWidth: 300}, 100, 100}, // 300x150, cut to the box
		{params.Params{Width: 50, Height: 20, Fit: params.FitScale, MinWidth: 100}, 100, 40},
		{params.Params{Width: 100, Fit: params.FitMax, MinWidth: 150, DPR: 2}, 300, 150},
		{params.Params{MinWidth: 9000}, 4000, 2000}, // the output bound still holds
	})
}

// imgproxy's exar on a 400x200 source: the fitted image (max: never
// enlarged) padded to the box's aspect ratio, not to the box itself. One
// side alone, or a fit that fills or crops the box, is not changed.
func TestExtendToAspectSizes(t *testing.T) {
	checkSizes(t, []sizeCase{
		{params.Params{Width: 400, Height: 400, Fit: params.FitMax, ExtendToAspect: true}, 400, 400},
		{params.Params{Width: 100, Height: 100, Fit: params.FitMax, ExtendToAspect: true}, 100, 100},
		// 300x100 box: scale min(0.75, 0.5) = 0.5 → 200x100, ratio 3 → 300x100.
		{params.Params{Width: 300, Height: 100, Fit: params.FitMax, ExtendToAspect: true}, 300, 100},
		// 100x300 box: scale 0.25 → 100x50, ratio 1/3 → 100x300.
		{params.Params{Width: 100, Height: 300, Fit: params.FitMax, ExtendToAspect: true}, 100, 300},
		// 1000x250 box (4:1) and no enlarging: 400x200 → 800x200.
		{params.Params{Width: 1000, Height: 250, Fit: params.FitMax, ExtendToAspect: true}, 800, 200},
		{params.Params{Width: 100, Fit: params.FitMax, ExtendToAspect: true}, 100, 50},
		{params.Params{Width: 100, Height: 100, Fit: params.FitMin, ExtendToAspect: true}, 100, 100},
	})
	// The padding is the background, the image centred: 400x200 in 400x400.
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodeJPEG(t, halves(400, 200, red, blue))
	_, img := runParams(t, pl, src, params.Params{Width: 400, Height: 400, Fit: params.FitMax, ExtendToAspect: true, Background: params.Color{G: 255, A: 255, Set: true}, Format: params.FormatPNG})
	checkSamples(t, img, []sample{{200, 50, green}, {200, 350, green}, {100, 200, red}, {300, 200, blue}}, 8)
}

// Params.Kernel: nearest enlarges a 2x2 checkerboard into four flat 4x4
// blocks, where the default (Lanczos 3) blends them at the seams; a JPEG
// shrunk on load, a smart crop and a rect keep their sizes with it.
func TestKernelPixels(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	board := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	board.SetNRGBA(0, 0, red)
	board.SetNRGBA(1, 1, red)
	board.SetNRGBA(1, 0, blue)
	board.SetNRGBA(0, 1, blue)
	src := encodePNG(t, board)
	_, img := runParams(t, pl, src, params.Params{Width: 8, Fit: params.FitClip, Kernel: params.KernelNearest, Format: params.FormatPNG})
	for y := range 8 {
		for x := range 8 {
			want := red
			if (x < 4) != (y < 4) {
				want = blue
			}
			if got := img.NRGBAAt(x, y); got != want {
				t.Fatalf("kernel=nearest: pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	_, smooth := runParams(t, pl, src, params.Params{Width: 8, Fit: params.FitClip, Format: params.FormatPNG})
	if c := smooth.NRGBAAt(3, 1); c == red || c == blue {
		t.Errorf("default kernel: pixel (3,1) = %v, want red and blue blended at the seam", c)
	}
	jpg := encodeJPEG(t, halves(400, 200, red, blue))
	checkSize := func(p params.Params, w, h int) {
		t.Helper()
		res, err := process(t, pl, jpg, p, "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Width != w || res.Height != h {
			t.Errorf("%s: %dx%d, want %dx%d", p.Key(), res.Width, res.Height, w, h)
		}
	}
	checkSize(params.Params{Width: 50, Kernel: params.KernelCubic}, 50, 25)
	checkSize(params.Params{Width: 60, Height: 60, Fit: params.FitCrop, Crop: params.CropAttention, Kernel: params.KernelMitchell}, 60, 60)
	checkSize(params.Params{Width: 100, Height: 30, Fit: params.FitScale, Kernel: params.KernelLinear}, 100, 30)
	checkSize(params.Params{Rect: params.Rect{X: 10, Y: 10, W: 100, H: 100}, Width: 300, Kernel: params.KernelNearest}, 300, 300)
}
