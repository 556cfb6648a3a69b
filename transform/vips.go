package transform

/*
#cgo pkg-config: vips
#include "vips.h"
*/
import "C"

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/h2non/bimg"
)

var vipsOnce sync.Once

// initVips starts libvips once per process through bimg, then tunes it for
// a threaded server: one worker thread per operation (parallelism comes from
// concurrent requests), no operation cache (sources rarely repeat, results
// are cached by Matte itself), and no loaders marked untrusted (ImageMagick,
// and the like).
func initVips() {
	vipsOnce.Do(func() {
		// libvips prints warnings (an ignored colour profile, a recovered
		// decode error) to stderr; errors still reach Matte's logs.
		if os.Getenv("VIPS_WARNING") == "" {
			os.Setenv("VIPS_WARNING", "0")
		}
		bimg.Initialize()
		bimg.VipsCacheSetMax(0)
		bimg.VipsCacheSetMaxMem(0)
		C.vips_concurrency_set(1)
		C.vips_block_untrusted_set(C.gboolean(1))
	})
}

// vipsError takes and clears libvips' error buffer.
func vipsError() error {
	msg := strings.TrimSpace(C.GoString(C.vips_error_buffer()))
	C.vips_error_clear()
	if msg == "" {
		msg = "libvips failed"
	}
	return errors.New(msg)
}

// vimage owns one reference to a VipsImage. Not safe for concurrent use.
type vimage struct{ p *C.VipsImage }

func (im *vimage) close() {
	if im.p != nil {
		C.g_object_unref(C.gpointer(im.p))
		im.p = nil
	}
}

// set replaces the image with out, dropping the old reference.
func (im *vimage) set(out *C.VipsImage) {
	im.close()
	im.p = out
}

func (im *vimage) width() int     { return int(im.p.Xsize) }
func (im *vimage) height() int    { return int(im.p.Ysize) }
func (im *vimage) bands() int     { return int(im.p.Bands) }
func (im *vimage) hasAlpha() bool { return C.vips_image_hasalpha(im.p) != 0 }

// apply runs op, which writes a new image to out, and replaces im with it.
func (im *vimage) apply(op func(out **C.VipsImage) C.int) error {
	var out *C.VipsImage
	if op(&out) != 0 {
		return vipsError()
	}
	im.set(out)
	return nil
}

type header struct {
	width, height int // after EXIF orientation
	bands         int
	hasAlpha      bool
	pages         int
}

// readHeader parses only the image header: no pixels are decoded.
func readHeader(buf []byte) (header, error) {
	initVips()
	var w, h, orient, bands, alpha, pages C.int
	if C.matte_header(unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &w, &h, &orient, &bands, &alpha, &pages) != 0 {
		return header{}, vipsError()
	}
	hd := header{width: int(w), height: int(h), bands: int(bands), hasAlpha: alpha != 0, pages: int(pages)}
	if orient >= 5 && orient <= 8 {
		hd.width, hd.height = hd.height, hd.width
	}
	return hd, nil
}

const (
	sizeBoth  = C.VIPS_SIZE_BOTH
	sizeDown  = C.VIPS_SIZE_DOWN
	sizeForce = C.VIPS_SIZE_FORCE

	noCrop        = -1
	cropEntropy   = C.VIPS_INTERESTING_ENTROPY
	cropAttention = C.VIPS_INTERESTING_ATTENTION
)

// thumbnail decodes buf with shrink-on-load and EXIF orientation straight
// to width x height, or with crop (cropEntropy, cropAttention) to a box of
// that size cut from the image scaled to cover it.
func thumbnail(buf []byte, width, height int, crop int) (*vimage, error) {
	initVips()
	size := C.int(sizeForce)
	if crop != noCrop {
		size = sizeBoth
	}
	var out *C.VipsImage
	if C.matte_thumbnail(unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &out, C.int(width), C.int(height), size, C.int(crop)) != 0 {
		return nil, vipsError()
	}
	return &vimage{p: out}, nil
}

func (im *vimage) resizeTo(width, height int, crop int) error {
	if width == im.width() && height == im.height() && crop == noCrop {
		return nil
	}
	size := C.int(sizeForce)
	if crop != noCrop {
		size = sizeBoth
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_thumbnail_image(im.p, out, C.int(width), C.int(height), size, C.int(crop))
	})
}

func (im *vimage) extract(left, top, width, height int) error {
	if left == 0 && top == 0 && width == im.width() && height == im.height() {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_extract(im.p, out, C.int(left), C.int(top), C.int(width), C.int(height))
	})
}

// findTrim returns the box of im that differs from its top-left pixel. It
// renders im to memory first, as it reads the image twice.
func (im *vimage) findTrim() (left, top, width, height int, err error) {
	if err := im.apply(func(out **C.VipsImage) C.int { return C.matte_copy_memory(im.p, out) }); err != nil {
		return 0, 0, 0, 0, err
	}
	var l, t, w, h C.int
	if C.matte_find_trim(im.p, &l, &t, &w, &h) != 0 {
		return 0, 0, 0, 0, vipsError()
	}
	return int(l), int(t), int(w), int(h), nil
}

// toSRGB converts to 8-bit sRGB unless it already is.
func (im *vimage) toSRGB() error {
	if C.matte_is_srgb8(im.p) != 0 {
		return nil
	}
	if err := im.apply(func(out **C.VipsImage) C.int { return C.matte_to_srgb(im.p, out) }); err != nil {
		return err
	}
	if im.p.BandFmt != C.VIPS_FORMAT_UCHAR {
		return im.apply(func(out **C.VipsImage) C.int { return C.matte_cast_uchar(im.p, out) })
	}
	return nil
}

func (im *vimage) rot90(quarterTurns int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_rot(im.p, out, C.int(quarterTurns)) })
}

// rotate turns clockwise by degrees; corners take bg (one value per band).
func (im *vimage) rotate(degrees float64, bg []float64) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_rotate(im.p, out, C.double(degrees), (*C.double)(unsafe.Pointer(&bg[0])), C.int(len(bg)))
	})
}

func (im *vimage) flip(vertical bool) error {
	v := C.int(0)
	if vertical {
		v = 1
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_flip(im.p, out, v) })
}

func (im *vimage) embed(x, y, width, height int, bg []float64) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_embed(im.p, out, C.int(x), C.int(y), C.int(width), C.int(height), (*C.double)(unsafe.Pointer(&bg[0])), C.int(len(bg)))
	})
}

func (im *vimage) addAlpha() error {
	if im.hasAlpha() {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_addalpha(im.p, out) })
}

// flatten drops alpha by blending over an opaque colour.
func (im *vimage) flatten(c Color) error {
	if !im.hasAlpha() {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_flatten(im.p, out, C.double(c.R), C.double(c.G), C.double(c.B))
	})
}

// over composites im over a colour that may be translucent; alpha is kept.
func (im *vimage) over(c Color) error {
	rgba := []float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A)}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_over(im.p, out, (*C.double)(unsafe.Pointer(&rgba[0])))
	})
}

func (im *vimage) gaussBlur(sigma float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_gaussblur(im.p, out, C.double(sigma)) })
}

func (im *vimage) sharpen(sigma float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_sharpen(im.p, out, C.double(sigma)) })
}

// encode saves im in format f. quality is 1-100.
func (im *vimage) encode(f Format, quality int, lossless bool) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	var r C.int
	ll := C.int(0)
	if lossless {
		ll = 1
	}
	switch f {
	case FormatJPEG:
		r = C.matte_jpegsave(im.p, &buf, &n, C.int(quality))
	case FormatPNG:
		r = C.matte_pngsave(im.p, &buf, &n)
	case FormatWebP:
		r = C.matte_webpsave(im.p, &buf, &n, C.int(quality), ll)
	case FormatAVIF:
		r = C.matte_avifsave(im.p, &buf, &n, C.int(quality), ll)
	case FormatGIF:
		r = C.matte_gifsave(im.p, &buf, &n)
	default:
		return nil, errors.New("no encoder for format")
	}
	if r != 0 {
		return nil, vipsError()
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n)), nil
}

// rawRGB returns the first three bands as packed 8-bit RGB.
func (im *vimage) rawRGB() ([]byte, error) {
	var n C.size_t
	p := C.matte_raw_rgb(im.p, &n)
	if p == nil {
		return nil, vipsError()
	}
	defer C.g_free(C.gpointer(p))
	return C.GoBytes(p, C.int(n)), nil
}

// grayImage wraps 8-bit single-band pixels (copied) as an image.
func grayImage(pix []byte, width, height int) (*vimage, error) {
	initVips()
	p := C.matte_from_gray(unsafe.Pointer(&pix[0]), C.size_t(len(pix)), C.int(width), C.int(height))
	if p == nil {
		return nil, vipsError()
	}
	return &vimage{p: p}, nil
}

// endVipsThread frees libvips' per-thread buffers; call it on the OS thread
// that ran the work, before unlocking it.
func endVipsThread() {
	C.vips_thread_shutdown()
	runtime.UnlockOSThread()
}
