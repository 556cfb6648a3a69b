package transform

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"testing"
)

// dpi: the JFIF density of a JPEG answer (units 1, dots per inch) and the
// pHYs of a PNG one (pixels per metre: 300 dpi is 11811); pixels as
// without it.
func TestDPI(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	src := encodePNG(t, filled(40, 20, color.NRGBA{200, 100, 50, 255}))
	res, _ := run(t, pl, src, "fm=jpg&dpi=300", "")
	b := res.Body
	if len(b) < 20 || !bytes.Equal(b[:4], []byte{0xFF, 0xD8, 0xFF, 0xE0}) || string(b[6:11]) != "JFIF\x00" {
		t.Fatalf("JPEG starts % x, want SOI then a JFIF APP0", b[:min(len(b), 20)])
	}
	if units, x, y := b[13], binary.BigEndian.Uint16(b[14:]), binary.BigEndian.Uint16(b[16:]); units != 1 || x != 300 || y != 300 {
		t.Errorf("JFIF density: units %d, %dx%d; want 1, 300x300", units, x, y)
	}
	_, plain := run(t, pl, src, "fm=jpg", "")
	_, dense := run(t, pl, src, "fm=jpg&dpi=300", "")
	if !bytes.Equal(plain.Pix, dense.Pix) {
		t.Error("dpi changed the JPEG's pixels")
	}
	res, _ = run(t, pl, src, "fm=png&dpi=300", "")
	i := bytes.Index(res.Body, []byte("pHYs"))
	if i < 0 || i+13 > len(res.Body) {
		t.Fatal("PNG without pHYs")
	}
	if x, y, unit := binary.BigEndian.Uint32(res.Body[i+4:]), binary.BigEndian.Uint32(res.Body[i+8:]), res.Body[i+12]; x != 11811 || y != 11811 || unit != 1 {
		t.Errorf("pHYs %d x %d unit %d, want 11811 x 11811 per metre", x, y, unit)
	}
}

// withJFIFDensity replaces an existing JFIF density in place and leaves
// what is not a JPEG alone.
func TestWithJFIFDensity(t *testing.T) {
	in := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9}
	want := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 1, 0x01, 0x2C, 0x01, 0x2C, 0, 0, 0xFF, 0xD9}
	if got := withJFIFDensity(in, 300); !bytes.Equal(got, want) {
		t.Errorf("got % x\nwant % x", got, want)
	}
	if in[13] != 0 {
		t.Error("the input was changed")
	}
	png := []byte("\x89PNG\r\n\x1a\n")
	if got := withJFIFDensity(png, 300); !bytes.Equal(got, png) {
		t.Errorf("a PNG was changed: % x", got)
	}
}
