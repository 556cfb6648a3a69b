package dialect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"

	"golang.org/x/image/bmp"

	"github.com/jebosio/matte/params"
)

// IsBMP reports whether data starts with a BMP file header.
func IsBMP(data []byte) bool { return len(data) >= 2 && data[0] == 'B' && data[1] == 'M' }

// BMPSize reads a BMP upload's header: its size, checked against
// maxPixels (0: no bound), and that the file is long enough for its pixel
// rows. No pixel is decoded, so a caller may call it before the work is
// admitted, and BMPToPNG's decoding and encoding after. A header that does
// not decode is CodeCorruptSource; too many pixels is
// CodeResolutionTooHigh (its Cause a *params.SourceSize).
func BMPSize(data []byte, maxPixels int64) (width, height int, _ *params.Error) {
	cfg, err := bmp.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, corruptBMP()
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, corruptBMP()
	}
	if px := int64(cfg.Width) * int64(cfg.Height); maxPixels > 0 && px > maxPixels {
		return 0, 0, &params.Error{Status: http.StatusBadRequest, Code: params.CodeResolutionTooHigh, Title: "Resolution too high",
			Detail: fmt.Sprintf("The image is %dx%d pixels, more than the %d this server takes.", cfg.Width, cfg.Height, maxPixels),
			Cause:  &params.SourceSize{Width: cfg.Width, Height: cfg.Height}}
	}
	// The decoder allocates the whole image before it reads a pixel: a
	// file shorter than its pixel rows (x/image/bmp reads only
	// uncompressed ones) is refused first, so that a few bytes cannot
	// claim max_source_megapixels of memory.
	bpp := int64(binary.LittleEndian.Uint16(data[28:30]))
	if stride := (int64(cfg.Width)*bpp + 31) / 32 * 4; int64(len(data)) < 54+stride*int64(cfg.Height) {
		return 0, 0, corruptBMP()
	}
	return cfg.Width, cfg.Height, nil
}

// BMPToPNG decodes a BMP upload (which libvips cannot load) into a PNG the
// pipeline probes like any other source. Its header is checked first
// (BMPSize, with the same errors), so a BMP costs no more memory than the
// pipeline would allow another image; pixels that do not decode are
// CodeCorruptSource. It is CPU work in proportion to the pixels: a server
// runs it where its work is bounded. Safe for concurrent use.
func BMPToPNG(data []byte, maxPixels int64) ([]byte, *params.Error) {
	if _, _, perr := BMPSize(data, maxPixels); perr != nil {
		return nil, perr
	}
	img, err := bmp.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, corruptBMP()
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, corruptBMP()
	}
	return buf.Bytes(), nil
}

func corruptBMP() *params.Error {
	return &params.Error{Status: http.StatusUnprocessableEntity, Code: params.CodeCorruptSource, Title: "Corrupt source",
		Detail: "The BMP image could not be decoded."}
}

// BMPEncoding is the BMP output of an API that offers it (rembg.com's
// format=bmp): the pipeline renders PNG, which its job re-encodes with
// PNGToBMP (libvips writes no BMP) and caches under a key of its own.
var BMPEncoding = &Encoding{Name: "bmp", ContentType: "image/bmp", Encode: PNGToBMP}

// PNGToBMP re-encodes a rendered PNG as BMP (32 bits with alpha when the
// image has transparency, else 24; 8-bit grey for a matte), for an API
// that offers BMP output, which libvips does not write. Before it decodes
// a pixel it calls reserve (when not nil) with what it will allocate, from
// the PNG's header (pngToBMPBytes), and fails with reserve's error as it
// is. Safe for concurrent use.
func PNGToBMP(data []byte, reserve func(n int64) error) ([]byte, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if reserve != nil {
		// The IHDR's interlace method is byte 28 of the file (8 signature,
		// 8 chunk length and type, 12 of width to filter method).
		interlaced := len(data) > 28 && data[28] == 1
		if err := reserve(pngToBMPBytes(cfg, interlaced)); err != nil {
			return nil, err
		}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	switch img.(type) {
	case *image.Gray, *image.Paletted, *image.RGBA, *image.NRGBA:
	default:
		n := image.NewNRGBA(img.Bounds())
		draw.Draw(n, n.Bounds(), img, img.Bounds().Min, draw.Src)
		img = n
	}
	var out bmpBuffer
	if err := bmp.Encode(&out, img); err != nil {
		return nil, err
	}
	return out.b, nil
}

// pngToBMPBytes bounds what PNGToBMP allocates for a PNG of cfg: the
// decoded pixels (image/png's buffer for its colour model), their copy as
// NRGBA when bmp.Encode has no fast path for that model, and the BMP file
// (at most 4 bytes a pixel, the 54 bytes of headers and a 1 KiB palette).
// An interlaced PNG's passes are decoded into images of their own first,
// as many pixels again.
func pngToBMPBytes(cfg image.Config, interlaced bool) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	decoded, copied := 4*px, int64(0) // RGBA, NRGBA
	switch cfg.ColorModel {
	case color.GrayModel:
		decoded = px
	case color.Gray16Model:
		decoded, copied = 2*px, 4*px
	case color.RGBA64Model, color.NRGBA64Model:
		decoded, copied = 8*px, 4*px
	case color.RGBAModel, color.NRGBAModel:
	default:
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			decoded = px
		}
	}
	if interlaced {
		decoded *= 2
	}
	return decoded + copied + 4*px + 54 + 1024
}

// bmpBuffer holds the BMP that bmp.Encode writes, allocated once at its
// full size: the encoder's first Write is the 54-byte file and info header,
// whose bfSize field (bytes 2 to 5, little-endian) is the file's length. A
// bytes.Buffer would grow by doubling, up to twice the file.
type bmpBuffer struct{ b []byte }

func (w *bmpBuffer) Write(p []byte) (int, error) {
	if w.b == nil && len(p) >= 6 {
		w.b = make([]byte, 0, max(int(binary.LittleEndian.Uint32(p[2:6])), len(p)))
	}
	w.b = append(w.b, p...)
	return len(p), nil
}
