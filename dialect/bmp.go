package dialect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
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

// PNGToBMP re-encodes a rendered PNG as BMP (32 bits with alpha when the
// image has transparency, else 24; 8-bit grey for a matte), for an API
// that offers BMP output, which libvips does not write.
func PNGToBMP(data []byte) ([]byte, error) {
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
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
