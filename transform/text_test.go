package transform

import (
	"image"
	"image/color"
	"os"
	"strconv"
	"testing"
)

// needFonts skips t where no font is installed for libvips' text
// rendering (make setup installs fonts-dejavu-core).
func needFonts(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"); err != nil {
		t.Skip("no DejaVu fonts installed (make setup installs fonts-dejavu-core), so text cannot be rendered here")
	}
}

// redBox is the bounding box of the pixels of img that are more red than
// anything else (R ≥ 128, G and B below 100).
func redBox(img *image.NRGBA) (box image.Rectangle, n int) {
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if c := img.NRGBAAt(x, y); c.R >= 128 && c.G < 100 && c.B < 100 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
				n++
			}
		}
	}
	return box, n
}

// The text's place and colour, with U+2588 FULL BLOCK (a solid glyph).
func TestTextPixels(t *testing.T) {
	needFonts(t)
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	white := color.NRGBA{255, 255, 255, 255}
	base := encodePNG(t, filled(200, 60, white))

	// Bottom right, 10 px in: the ink ends at column 189 and row 49.
	_, img := run(t, pl, base, "txt=%E2%96%88&txt-color=f00&fm=png", "")
	box, n := redBox(img)
	if n == 0 || box.Max.X < 188 || box.Max.X > 190 || box.Max.Y < 48 || box.Max.Y > 50 || box.Min.X < 150 {
		t.Errorf("default place: red box %v (%d pixels), want it ending at about (190, 50)", box, n)
	}
	// Top left, no pad, at txt-size 30: starts at the corner, taller.
	_, img = run(t, pl, base, "txt=%E2%96%88&txt-color=f00&txt-align=top,left&txt-pad=0&txt-size=30&fm=png", "")
	box30, _ := redBox(img)
	if box30.Min.X > 2 || box30.Min.Y > 8 || box30.Dy() <= box.Dy() {
		t.Errorf("top left at size 30: red box %v (at size 12: %v)", box30, box)
	}
	// txt-x, txt-y place the text's top left.
	_, img = run(t, pl, base, "txt=%E2%96%88&txt-color=f00&txt-x=100&txt-y=20&fm=png", "")
	if b, _ := redBox(img); b.Min.X < 100 || b.Min.X > 103 || b.Min.Y < 20 || b.Min.Y > 26 {
		t.Errorf("txt-x=100, txt-y=20: red box %v", b)
	}
	// A translucent colour: half red over white.
	_, img = run(t, pl, base, "txt=%E2%96%88&txt-color=80ff0000&txt-size=30&txt-align=middle,center&fm=png", "")
	checkSamples(t, img, []sample{{100, 30, color.NRGBA{255, 127, 127, 255}}}, 3)
	// The default colour is opaque black.
	_, img = run(t, pl, base, "txt=%E2%96%88&txt-size=30&txt-align=middle,center&fm=png", "")
	checkSamples(t, img, []sample{{100, 30, color.NRGBA{0, 0, 0, 255}}, {5, 5, white}}, 3)
}

// Text is never markup: "<b>x</b>" is drawn as those eight characters.
func TestTextIsNotMarkup(t *testing.T) {
	needFonts(t)
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	base := encodePNG(t, filled(400, 60, color.NRGBA{255, 255, 255, 255}))
	_, plain := run(t, pl, base, "txt=x&txt-color=f00&txt-size=20&fm=png", "")
	_, tags := run(t, pl, base, "txt=%3Cb%3Ex%3C%2Fb%3E&txt-color=f00&txt-size=20&fm=png", "")
	pb, _ := redBox(plain)
	tb, _ := redBox(tags)
	if tb.Dx() < 4*pb.Dx() {
		t.Errorf("<b>x</b> is %d px wide, x alone %d: the tags were read as markup", tb.Dx(), pb.Dx())
	}
}

// A text far larger than the image is set smaller, not rendered whole.
func TestTextBounded(t *testing.T) {
	needFonts(t)
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	base := encodePNG(t, filled(100, 50, color.NRGBA{255, 255, 255, 255}))
	long := ""
	for range 50 {
		long += "WWWWWWWWWW"
	}
	res, img := run(t, pl, base, "txt="+long+"&txt-size=1000&txt-width=100&fm=png", "")
	if res.Width != 100 || res.Height != 50 || img.Bounds().Dx() != 100 {
		t.Fatalf("size %dx%d", res.Width, res.Height)
	}
}

// txt-line draws a line of its colour around the glyphs, under them: a
// solid glyph in red gets a blue frame as wide as asked on every side.
func TestTextOutline(t *testing.T) {
	needFonts(t)
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	base := encodePNG(t, filled(200, 80, color.NRGBA{255, 255, 255, 255}))
	blueBox := func(img *image.NRGBA) (box image.Rectangle) {
		for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
			for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
				if c := img.NRGBAAt(x, y); c.B >= 128 && c.R < 100 && c.G < 100 {
					box = box.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		return box
	}
	_, plain := run(t, pl, base, "txt=%E2%96%88&txt-color=f00&txt-size=30&txt-align=middle,center&fm=png", "")
	if b := blueBox(plain); !b.Empty() {
		t.Fatalf("no txt-line: blue box %v", b)
	}
	for _, n := range []int{1, 4} {
		_, img := run(t, pl, base, "txt=%E2%96%88&txt-color=f00&txt-size=30&txt-align=middle,center&txt-line-color=00f&fm=png&txt-line="+strconv.Itoa(n), "")
		red, reds := redBox(img)
		blue := blueBox(img)
		if reds == 0 || blue.Empty() {
			t.Fatalf("txt-line=%d: red box %v (%d pixels), blue box %v", n, red, reds, blue)
		}
		grown := red.Inset(-n)
		if d := max(absInt(blue.Min.X-grown.Min.X), absInt(blue.Min.Y-grown.Min.Y), absInt(blue.Max.X-grown.Max.X), absInt(blue.Max.Y-grown.Max.Y)); d > 1 {
			t.Errorf("txt-line=%d: blue box %v, want the red box %v grown by %d on every side", n, blue, red, n)
		}
		if c := img.NRGBAAt((red.Min.X+red.Max.X)/2, (red.Min.Y+red.Max.Y)/2); c.R < 200 || c.B > 60 {
			t.Errorf("txt-line=%d: the glyph's centre is %v: the line is drawn over the text", n, c)
		}
	}
}

func absInt(v int) int { return max(v, -v) }

// txt-shad casts a soft black shadow down and to the right: at txt-shad=4
// the shadow is offset 2 px and blurred with sigma 2 px, so just past the
// glyph's right and bottom edges it is dark, two px past its left and top
// edges it is white; the glyph itself stays where it was.
func TestTextShadow(t *testing.T) {
	needFonts(t)
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	base := encodePNG(t, filled(200, 80, color.NRGBA{255, 255, 255, 255}))
	const q = "txt=%E2%96%88&txt-color=f00&txt-size=30&txt-align=middle,center&fm=png"
	_, plain := run(t, pl, base, q, "")
	_, shadowed := run(t, pl, base, q+"&txt-shad=4", "")
	box, n := redBox(plain)
	sbox, sn := redBox(shadowed)
	// The glyph's anti-aliased right and bottom edges, over the shadow
	// instead of white, may count as red one pixel further.
	if n == 0 || sbox.Min != box.Min || sbox.Max.X-box.Max.X > 1 || sbox.Max.Y-box.Max.Y > 1 || sbox.Max.X < box.Max.X || sbox.Max.Y < box.Max.Y {
		t.Fatalf("red box %v (%d pixels) with the shadow, %v (%d) without: the text moved", sbox, sn, box, n)
	}
	midX, midY := (box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2
	grey := func(img *image.NRGBA, x, y int) uint8 { return img.NRGBAAt(x, y).G }
	for _, p := range []image.Point{{box.Max.X + 1, midY}, {midX, box.Max.Y + 1}} {
		if g := grey(plain, p.X, p.Y); g < 250 {
			t.Errorf("no shadow: %v is %d, want white", p, g)
		}
		if g := grey(shadowed, p.X, p.Y); g > 180 {
			t.Errorf("txt-shad=4: %v just past the glyph is %d, want the shadow's grey", p, g)
		}
	}
	for _, p := range []image.Point{{box.Min.X - 3, midY}, {midX, box.Min.Y - 3}} {
		if g := grey(shadowed, p.X, p.Y); g < 245 {
			t.Errorf("txt-shad=4: %v, left of or above the glyph, is %d, want white (the shadow falls down and right)", p, g)
		}
	}
}
