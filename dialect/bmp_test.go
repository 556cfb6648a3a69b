package dialect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/jebosio/matte/params"
)

func bmpOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBMPToPNG(t *testing.T) {
	src := bmpOf(t, 30, 20)
	if !IsBMP(src) || IsBMP([]byte("\x89PNG")) {
		t.Fatal("IsBMP")
	}
	out, perr := BMPToPNG(src, 1000)
	if perr != nil {
		t.Fatal(perr)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil || img.Bounds().Dx() != 30 || img.Bounds().Dy() != 20 {
		t.Fatalf("%v %v", err, img)
	}
	if r, _, _, _ := img.At(1, 1).RGBA(); r>>8 != 200 {
		t.Errorf("pixel (1,1) red %d, want 200", r>>8)
	}
	if w, h, perr := BMPSize(src, 600); perr != nil || w != 30 || h != 20 {
		t.Errorf("BMPSize: %dx%d %v, want 30x20", w, h, perr)
	}
	if _, _, perr := BMPSize(src[:len(src)-1], 0); perr == nil || perr.Code != params.CodeCorruptSource {
		t.Errorf("BMPSize of a short file: %v, want corrupt_source", perr)
	}
	// 600 pixels over a 599-pixel bound: refused from the header alone.
	if _, perr := BMPToPNG(src, 599); perr == nil || perr.Code != params.CodeResolutionTooHigh {
		t.Errorf("over the bound: %v", perr)
	}
	for _, bad := range [][]byte{[]byte("BM"), src[:60], src[:len(src)-1], append([]byte("BMxx"), make([]byte, 60)...)} {
		if _, perr := BMPToPNG(bad, 0); perr == nil || perr.Code != params.CodeCorruptSource {
			t.Errorf("%d bytes: %v, want corrupt_source", len(bad), perr)
		}
	}
}

func TestPNGToBMP(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 4))
	img.Set(2, 2, color.NRGBA{G: 255, A: 128})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	out, err := PNGToBMP(buf.Bytes(), nil)
	if err != nil || !IsBMP(out) {
		t.Fatalf("%v %.4q", err, out)
	}
	back, err := bmp.Decode(bytes.NewReader(out))
	if err != nil || back.Bounds().Dx() != 8 || back.Bounds().Dy() != 4 {
		t.Fatalf("%v %v", err, back)
	}
	// 32 bits a pixel, BGRA, rows bottom-up after the 54-byte headers (as
	// PIL writes an RGBA BMP); decoders of the 40-byte header, x/image's
	// among them, read the alpha byte as padding.
	if bpp := int(out[28]) | int(out[29])<<8; bpp != 32 {
		t.Fatalf("%d bits a pixel, want 32", bpp)
	}
	if px := out[54+((4-1-2)*8+2)*4:][:4]; px[1] != 255 || px[3] != 128 {
		t.Errorf("pixel (2,2) BGRA %v, want green with alpha 128", px)
	}
	if _, err := PNGToBMP([]byte("not a png"), nil); err == nil {
		t.Error("garbage accepted")
	}
	// The file is allocated once, at its size: no growth past it.
	if len(out) != 54+8*4*4 || cap(out) != len(out) {
		t.Errorf("%d bytes in a buffer of %d, want 182 in 182", len(out), cap(out))
	}
}

// TestPNGToBMPReserves: PNGToBMP reserves what it will allocate before it
// decodes a pixel, from the PNG's header: the decoded pixels (1 byte a
// pixel for grey and paletted PNGs, 4 for 8-bit colour, 8 for 16-bit,
// whose NRGBA copy adds 4; an interlaced PNG's passes as many again), and
// the BMP (4 bytes a pixel, 54 of headers, a 1 KiB palette). A refusal is
// returned as it is, before anything is decoded.
func TestPNGToBMPReserves(t *testing.T) {
	r := image.Rect(0, 0, 8, 4) // 32 pixels: the BMP bound is 4*32+54+1024 = 1206
	nrgba := image.NewNRGBA(r)
	nrgba.Set(2, 2, color.NRGBA{G: 255, A: 128})
	opaque := image.NewNRGBA(r)
	for i := 3; i < len(opaque.Pix); i += 4 {
		opaque.Pix[i] = 255
	}
	wide := image.NewNRGBA64(r)
	wide.Set(1, 1, color.NRGBA64{R: 0x1234, A: 0x8000})
	pal := image.NewPaletted(r, color.Palette{color.Black, color.White})
	for _, tc := range []struct {
		name       string
		img        image.Image
		interlaced bool
		want       int64
	}{
		{"8-bit RGBA (NRGBA)", nrgba, false, 4*32 + 1206},
		{"8-bit RGB (RGBA)", opaque, false, 4*32 + 1206},
		{"8-bit grey", image.NewGray(r), false, 32 + 1206},
		{"16-bit RGBA, copied to NRGBA", wide, false, 8*32 + 4*32 + 1206},
		{"16-bit grey, copied to NRGBA", image.NewGray16(r), false, 2*32 + 4*32 + 1206},
		{"paletted", pal, false, 32 + 1206},
		{"interlaced 8-bit RGBA", nrgba, true, 2*4*32 + 1206},
	} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, tc.img); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if tc.interlaced {
			// image/png writes no interlaced PNG: set the IHDR's
			// interlace method (byte 28) and its CRC (bytes 29-32, of
			// the chunk's type and data). Only the header is read.
			data[28] = 1
			binary.BigEndian.PutUint32(data[29:33], crc32.ChecksumIEEE(data[12:29]))
		}
		var got int64
		refused := errors.New("refused")
		_, err := PNGToBMP(data, func(n int64) error { got = n; return refused })
		if err != refused || got != tc.want {
			t.Errorf("%s: reserved %d (%v), want %d refused", tc.name, got, err, tc.want)
		}
		if tc.interlaced {
			continue
		}
		out, err := PNGToBMP(data, func(n int64) error { return nil })
		if err != nil || !IsBMP(out) || len(out) > 1206 {
			t.Errorf("%s: a BMP of %d bytes (%v), want at most the 1206 reserved for it", tc.name, len(out), err)
		}
	}
}

// FuzzBMPToPNG: an untrusted BMP never panics, and a success is a PNG of
// at most the pixel bound.
func FuzzBMPToPNG(f *testing.F) {
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, img); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:40])
	gray := image.NewGray(image.Rect(0, 0, 4, 4))
	buf.Reset()
	bmp.Encode(&buf, gray)
	f.Add(buf.Bytes())
	f.Add([]byte("BM"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, perr := BMPToPNG(data, 4096)
		if perr != nil {
			if perr.Status != 400 && perr.Status != 422 {
				t.Fatalf("status %d", perr.Status)
			}
			return
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width*cfg.Height > 4096 {
			t.Fatalf("%v %+v", err, cfg)
		}
	})
}
