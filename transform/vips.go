package transform

/*
#cgo pkg-config: vips
#include <malloc.h>
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

	"github.com/jebosio/matte/params"

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

// VipsSettings are libvips' process-wide memory and thread settings. The
// zero value is Matte's default for a threaded server, as in imgproxy: no
// operation cache and one worker thread per operation.
type VipsSettings struct {
	// CacheMemory bounds libvips' operation cache in bytes; 0 turns the
	// cache off (sources rarely repeat and results are cached by Matte).
	CacheMemory int64
	// Concurrency is libvips' worker threads per operation; 0 means 1, as
	// parallelism comes from concurrent requests.
	Concurrency int
}

// ConfigureVips applies s process-wide; the last call wins. Safe to call at
// any time: running operations keep the threads they started with.
func ConfigureVips(s VipsSettings) {
	initVips()
	ops := 0
	if s.CacheMemory > 0 {
		ops = 100 // libvips' default count; memory is the bound that matters
	}
	bimg.VipsCacheSetMax(ops)
	C.vips_cache_set_max_mem(C.size_t(s.CacheMemory))
	C.vips_concurrency_set(C.int(max(1, s.Concurrency)))
}

// ReleaseFreeMemory hands memory that C code (libvips, its codecs, ONNX
// Runtime) has freed back to the kernel: glibc's malloc_trim(0), which
// also returns the free pages inside every arena. Safe to call
// concurrently with transforms; it takes each arena's lock in turn.
func ReleaseFreeMemory() { C.malloc_trim(0) }

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
// that size cut from the image scaled to cover it. jpegShrink > 1 decodes a
// JPEG at that fraction first (see Source.jpegShrink); 1 leaves the choice
// to vips_thumbnail.
func thumbnail(buf []byte, width, height int, crop int, jpegShrink int) (*vimage, error) {
	initVips()
	size := C.int(sizeForce)
	if crop != noCrop {
		size = sizeBoth
	}
	var out *C.VipsImage
	if C.matte_thumbnail(unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &out, C.int(width), C.int(height), size, C.int(crop), C.int(jpegShrink)) != 0 {
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
// renders im to memory first, as it reads the image more than once.
func (im *vimage) findTrim() (left, top, width, height int, err error) {
	if err := im.copyMemory(); err != nil {
		return 0, 0, 0, 0, err
	}
	bg, err := im.getPoint(0, 0)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return im.findTrimBg(bg, 10)
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
func (im *vimage) flatten(c params.Color) error {
	if !im.hasAlpha() {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_flatten(im.p, out, C.double(c.R), C.double(c.G), C.double(c.B))
	})
}

// over composites im over a colour that may be translucent; alpha is kept.
func (im *vimage) over(c params.Color) error {
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
func (im *vimage) encode(f params.Format, quality int, lossless bool, enc *Encoding) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	var r C.int
	ll := C.int(0)
	if lossless {
		ll = 1
	}
	switch f {
	case params.FormatJPEG:
		r = C.matte_jpegsave(im.p, &buf, &n, C.int(quality))
	case params.FormatPNG:
		r = C.matte_pngsave(im.p, &buf, &n, C.int(enc.PNGCompression))
	case params.FormatWebP:
		r = C.matte_webpsave(im.p, &buf, &n, C.int(quality), ll)
	case params.FormatAVIF:
		r = C.matte_avifsave(im.p, &buf, &n, C.int(quality), ll, C.int(enc.AVIFEffort))
	case params.FormatGIF:
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
	return pixelImage(pix, width, height, 1)
}

// pixelImage wraps packed 8-bit pixels (copied) as an image.
func pixelImage(pix []byte, width, height, bands int) (*vimage, error) {
	initVips()
	p := C.matte_from_pixels(unsafe.Pointer(&pix[0]), C.size_t(len(pix)), C.int(width), C.int(height), C.int(bands))
	if p == nil {
		return nil, vipsError()
	}
	return &vimage{p: p}, nil
}

// clearTransparent zeroes the colour of fully transparent pixels (im's
// last band is alpha).
func (im *vimage) clearTransparent() error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_clear_transparent(im.p, out) })
}

// bytes renders im to packed pixels in its own band format.
func (im *vimage) bytes() ([]byte, error) {
	var n C.size_t
	p := C.matte_write_memory(im.p, &n)
	if p == nil {
		return nil, vipsError()
	}
	defer C.g_free(C.gpointer(p))
	return C.GoBytes(p, C.int(n)), nil
}

// endVipsThread frees libvips' per-thread buffers; call it on the OS thread
// that ran the work, before unlocking it.
func endVipsThread() {
	C.vips_thread_shutdown()
	runtime.UnlockOSThread()
}

// ---- background removal helpers ----

// op2 runs a binary libvips operation on a and b into a new image.
func op2(a, b *vimage, f func(a, b *C.VipsImage, out **C.VipsImage) C.int) (*vimage, error) {
	var out *C.VipsImage
	if f(a.p, b.p, &out) != 0 {
		return nil, vipsError()
	}
	return &vimage{p: out}, nil
}

// clone returns a new reference to the same image.
func (im *vimage) clone() *vimage {
	C.g_object_ref(C.gpointer(im.p))
	return &vimage{p: im.p}
}

func (im *vimage) getPoint(x, y int) ([]float64, error) {
	var v [4]C.double
	var n C.int
	if C.matte_getpoint(im.p, C.int(x), C.int(y), &v[0], &n) != 0 {
		return nil, vipsError()
	}
	out := make([]float64, int(n))
	for i := range out {
		out[i] = float64(v[i])
	}
	return out, nil
}

// findTrimBg returns the box of im that differs from bg by more than threshold.
func (im *vimage) findTrimBg(bg []float64, threshold float64) (left, top, width, height int, err error) {
	var l, t, w, h C.int
	if C.matte_find_trim_bg(im.p, (*C.double)(unsafe.Pointer(&bg[0])), C.int(len(bg)), C.double(threshold), &l, &t, &w, &h) != 0 {
		return 0, 0, 0, 0, vipsError()
	}
	return int(l), int(t), int(w), int(h), nil
}

func (im *vimage) copyMemory() error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_copy_memory(im.p, out) })
}

func (im *vimage) extractBand(band, n int) (*vimage, error) {
	var out *C.VipsImage
	if C.matte_extract_band(im.p, &out, C.int(band), C.int(n)) != 0 {
		return nil, vipsError()
	}
	return &vimage{p: out}, nil
}

func (im *vimage) threshold(t float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_threshold(im.p, out, C.double(t)) })
}

func (im *vimage) minFilter(size int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_min_filter(im.p, out, C.int(size)) })
}

func (im *vimage) linear1(a, b float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_linear1(im.p, out, C.double(a), C.double(b)) })
}

func (im *vimage) clampUchar() error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_clamp_uchar(im.p, out) })
}

// resizeExact scales to width x height with a named kernel (see kernelOf).
func (im *vimage) resizeExact(width, height int, kernel string) error {
	if width == im.width() && height == im.height() {
		return nil
	}
	h, v := float64(width)/float64(im.width()), float64(height)/float64(im.height())
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_resize_kernel(im.p, out, C.double(h), C.double(v), C.int(kernelOf(kernel)))
	})
}

func kernelOf(name string) int {
	switch name {
	case "nearest":
		return C.VIPS_KERNEL_NEAREST
	case "linear":
		return C.VIPS_KERNEL_LINEAR
	case "cubic":
		return C.VIPS_KERNEL_CUBIC
	case "mitchell":
		return C.VIPS_KERNEL_MITCHELL
	case "lanczos2":
		return C.VIPS_KERNEL_LANCZOS2
	}
	return C.VIPS_KERNEL_LANCZOS3
}

func bandjoin(a, b *vimage) (*vimage, error) {
	return op2(a, b, func(a, b *C.VipsImage, out **C.VipsImage) C.int { return C.matte_bandjoin2(a, b, out) })
}

func mul255(a, b *vimage) (*vimage, error) {
	return op2(a, b, func(a, b *C.VipsImage, out **C.VipsImage) C.int { return C.matte_mul255(a, b, out) })
}

// composite places overlay over base; both carry alpha and share a size.
func composite(base, overlay *vimage) (*vimage, error) {
	return op2(base, overlay, func(a, b *C.VipsImage, out **C.VipsImage) C.int { return C.matte_composite(a, b, out) })
}

func solid(width, height int, c []float64) (*vimage, error) {
	var out *C.VipsImage
	if C.matte_solid(&out, C.int(width), C.int(height), (*C.double)(unsafe.Pointer(&c[0])), C.int(len(c))) != 0 {
		return nil, vipsError()
	}
	return &vimage{p: out}, nil
}

func gradient(width, height int, top, bottom [4]float64) (*vimage, error) {
	var out *C.VipsImage
	if C.matte_gradient(&out, C.int(width), C.int(height), (*C.double)(unsafe.Pointer(&top[0])), (*C.double)(unsafe.Pointer(&bottom[0]))) != 0 {
		return nil, vipsError()
	}
	return &vimage{p: out}, nil
}

// colourLayer is a constant RGB colour with alpha taken from a 1-band image.
func colourLayer(alpha *vimage, rgb [3]float64) (*vimage, error) {
	var out *C.VipsImage
	if C.matte_bandjoin_const_rgb(alpha.p, &out, (*C.double)(unsafe.Pointer(&rgb[0]))) != 0 {
		return nil, vipsError()
	}
	return &vimage{p: out}, nil
}

func (im *vimage) avg() (float64, error) {
	var v C.double
	if C.matte_avg(im.p, &v) != 0 {
		return 0, vipsError()
	}
	return float64(v), nil
}
