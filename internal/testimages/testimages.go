// Package testimages holds what Matte's tests and bench tools share to find
// and read the test images (../shared/testdata); it is not part of the
// server.
package testimages

import (
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
)

// RepoRoot is the folder holding go.mod, at or above the working
// directory; "" when there is none.
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// SharedTestdata is the shared test images' folder: $MATTE_TESTDATA, else
// ../shared/testdata or shared/testdata next to the repository; "" when
// none exists (a test then skips, saying so).
func SharedTestdata() string {
	root := RepoRoot()
	if root == "" {
		return ""
	}
	for _, d := range []string{os.Getenv("MATTE_TESTDATA"), filepath.Join(root, "..", "shared", "testdata"), filepath.Join(root, "shared", "testdata")} {
		if d == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(d, "synthetic")); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

// SplitSynthetic splits a synthetic fixture (a PNG whose alpha is the exact
// ground truth) into its colours, made opaque but kept as stored (the
// fixtures keep the real background under alpha 0, and the composite under
// the soft alpha of synth-glass), and its alpha.
func SplitSynthetic(path string) (*image.NRGBA, *image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, nil, err
	}
	b := img.Bounds()
	rgb := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	gt := image.NewGray(rgb.Rect)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			// NRGBAModel keeps the stored (non-premultiplied) colour even
			// where alpha is 0.
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			gt.Pix[y*gt.Stride+x] = c.A
			c.A = 255
			rgb.SetNRGBA(x, y, c)
		}
	}
	return rgb, gt, nil
}

// AnimatedGIF is a w x h GIF of one solid frame per colour, frame i shown
// for delays[i] centiseconds, looping forever.
func AnimatedGIF(w, h int, colours []color.Color, delays []int) ([]byte, error) {
	anim := &gif.GIF{Delay: delays}
	for _, c := range colours {
		frame := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for p := range frame.Pix {
			frame.Pix[p] = uint8(frame.Palette.Index(c))
		}
		anim.Image = append(anim.Image, frame)
	}
	var b bytes.Buffer
	err := gif.EncodeAll(&b, anim)
	return b.Bytes(), err
}

// TinyFramesGIF is a w x h GIF of n frames of one white pixel each (the
// first at the bottom right corner, the others along the top row), each
// disposed by restoring the canvas before it (gif.DisposalPrevious): a few
// bytes per frame, a full canvas per frame for libvips to compose.
func TinyFramesGIF(w, h, n int) ([]byte, error) {
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: w, Height: h}}
	for i := range n {
		x, y := i%w, 0
		if i == 0 {
			x, y = w-1, h-1
		}
		f := image.NewPaletted(image.Rect(x, y, x+1, y+1), pal)
		f.Pix[0] = 1
		g.Image, g.Delay, g.Disposal = append(g.Image, f), append(g.Delay, 10), append(g.Disposal, gif.DisposalPrevious)
	}
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, g)
	return buf.Bytes(), err
}

// PaddedJPEG returns jpeg (a JPEG starting with its SOI marker) with pad
// bytes of comment segments after the SOI: the same pixels, as many bytes
// as a test wants, valid for every decoder. It is how a client makes a
// source that costs little to decode but much to buffer.
func PaddedJPEG(jpeg []byte, pad int) []byte {
	out := make([]byte, 0, len(jpeg)+pad+pad/65000*4+4)
	out = append(out, jpeg[:2]...)
	for pad > 0 {
		n := min(pad, 65000) // a segment's length field counts itself: at most 65535
		out = append(out, 0xFF, 0xFE, byte((n+2)>>8), byte(n+2))
		out = append(out, make([]byte, n)...)
		pad -= n
	}
	return append(out, jpeg[2:]...)
}
