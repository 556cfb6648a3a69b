package vips

/*
#include <stdlib.h>
#include "vips.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Header is what a source's header says, before any pixel is decoded.
type Header struct {
	Width, Height int // after EXIF orientation
	HasAlpha      bool
	Pages         int
	// Orientation is the source's EXIF orientation, 1-8 (1 when it has
	// none).
	Orientation int
}

// OnSide reports whether EXIF orientation o (1-8) lays the stored image on
// its side, so that its width and height swap when it is applied.
func OnSide(o int) bool { return o >= 5 && o <= 8 }

// ReadHeader parses only the image header of buf: no pixels are decoded.
func ReadHeader(buf []byte) (Header, error) {
	d, err := describe(buf, false)
	if err != nil {
		return Header{}, err
	}
	hd := Header{Width: d.Width, Height: d.Height, HasAlpha: d.HasAlpha, Pages: d.Pages, Orientation: d.Orientation}
	if OnSide(hd.Orientation) {
		hd.Width, hd.Height = hd.Height, hd.Width
	}
	return hd, nil
}

// Thumbnail decodes buf with shrink-on-load and EXIF orientation straight
// to width x height, or with crop (Entropy, Attention) to a box of that
// size cut from the image scaled to cover it (rendered to memory whole
// first: keep that image small). jpegShrink > 1 decodes a JPEG at that
// fraction first; 1 leaves the choice to libvips. orientation 1-8 replaces
// the source's EXIF orientation (width and height are the image's so
// turned); 0 keeps it. The image has its colour bands and at most one more,
// alpha (see ToSRGB). The decode is strict: a truncated or inconsistent
// source fails when its pixels are read. The image is watched by c (nil:
// not cancellable).
func Thumbnail(buf []byte, width, height int, crop Interesting, jpegShrink, orientation int, c *Canceller) (*Image, error) {
	Init()
	if len(buf) == 0 {
		return nil, errors.New("empty buffer")
	}
	size := C.int(C.VIPS_SIZE_FORCE)
	if crop != NoCrop {
		size = C.VIPS_SIZE_BOTH
	}
	isJPEG := C.int(0)
	if len(buf) > 2 && buf[0] == 0xFF && buf[1] == 0xD8 {
		isJPEG = 1
	}
	var out *C.VipsImage
	if in, ok, err := decodeHEVCFallback(buf); err != nil {
		return nil, err
	} else if ok {
		// Decoded whole by libheif: no shrink-on-load, and libheif has
		// applied the file's own turns; an orientation asked for turns that.
		var t *C.VipsImage
		r := C.matte_with_orientation(in, &t, C.int(orientation))
		C.g_object_unref(C.gpointer(in))
		if r != 0 {
			return nil, lastError()
		}
		r = C.matte_thumbnail_image(t, &out, C.int(width), C.int(height), size, C.int(crop))
		C.g_object_unref(C.gpointer(t))
		if r != 0 {
			return nil, lastError()
		}
		return wrap(out, c), nil
	}
	blob := blobOf(buf)
	r := C.matte_thumbnail(blob, &out, C.int(width), C.int(height), size, C.int(crop), C.int(jpegShrink), isJPEG, C.int(orientation))
	unrefBlob(blob)
	if r != 0 {
		return nil, lastError()
	}
	img := wrap(out, c)
	if err := img.dropExtraBands(); err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// FromPixels wraps packed 8-bit pixels (copied) with bands bands as an
// image (sRGB for 3).
func FromPixels(pix []byte, width, height, bands int, c *Canceller) (*Image, error) {
	Init()
	p := C.matte_from_pixels(unsafe.Pointer(&pix[0]), C.size_t(len(pix)), C.int(width), C.int(height), C.int(bands))
	if p == nil {
		return nil, lastError()
	}
	return wrap(p, c), nil
}

// NewPixels makes a width x height image of packed 8-bit pixels with bands
// bands, held in memory, and returns its pixels for the caller to fill: a
// FromPixels without the copy. It is tagged sRGB for 3 or 4 bands (the
// fourth is alpha) and grey for 1 or 2 (the second is alpha), as FromPixels
// tags 3 and 1 and libvips' band joins tag the others. The slice
// belongs to the image; fill it before any operation reads the image, and
// use it only while the image is open and not replaced.
func NewPixels(width, height, bands int, c *Canceller) (*Image, []byte, error) {
	Init()
	var data unsafe.Pointer
	p := C.matte_new_pixels(C.int(width), C.int(height), C.int(bands), &data)
	if p == nil {
		return nil, nil, lastError()
	}
	return wrap(p, c), unsafe.Slice((*byte)(data), width*height*bands), nil
}

// Solid is a width x height image of one colour, one band per value of c.
func Solid(width, height int, colour []float64, c *Canceller) (*Image, error) {
	Init()
	var out *C.VipsImage
	if C.matte_solid(&out, C.int(width), C.int(height), (*C.double)(unsafe.Pointer(&colour[0])), C.int(len(colour))) != 0 {
		return nil, lastError()
	}
	return wrap(out, c), nil
}

// Gradient is a vertical RGBA gradient from top to bottom.
func Gradient(width, height int, top, bottom [4]float64, c *Canceller) (*Image, error) {
	Init()
	var out *C.VipsImage
	if C.matte_gradient(&out, C.int(width), C.int(height), (*C.double)(unsafe.Pointer(&top[0])), (*C.double)(unsafe.Pointer(&bottom[0]))) != 0 {
		return nil, lastError()
	}
	return wrap(out, c), nil
}

// LinearGradient is a width x height RGBA image: at pixel (x, y), u =
// kx·x + ky·y + k0 clamped to [0, 1] picks the colour from + u·(to -
// from), mixed premultiplied by alpha (each colour R, G, B, A, 0-255;
// the result is not premultiplied).
func LinearGradient(width, height int, kx, ky, k0 float64, from, to [4]float64, c *Canceller) (*Image, error) {
	Init()
	var out *C.VipsImage
	if C.matte_linear_gradient(&out, C.int(width), C.int(height), C.double(kx), C.double(ky), C.double(k0),
		(*C.double)(unsafe.Pointer(&from[0])), (*C.double)(unsafe.Pointer(&to[0]))) != 0 {
		return nil, lastError()
	}
	return wrap(out, c), nil
}

// Point reads the pixel at (x, y), up to 4 bands.
func (im *Image) Point(x, y int) ([]float64, error) {
	var v [4]C.double
	var n C.int
	if C.matte_getpoint(im.p, C.int(x), C.int(y), &v[0], &n) != 0 {
		return nil, lastError()
	}
	out := make([]float64, int(n))
	for i := range out {
		out[i] = float64(v[i])
	}
	return out, nil
}

// LineArtTrim reports whether FindTrim can search an image under 3 pixels
// on a side (libvips 8.15 and later, as compiled); without it such an image
// comes back as an empty box, left whole.
func LineArtTrim() bool { return C.matte_line_art_trim() != 0 }

// FindTrim returns the box that differs from bg by more than threshold,
// after a 3x3 median that drops specks; an image under 3 pixels on a side
// has no median, each of its pixels counts. It reads the whole image,
// several times: render it to memory first.
func (im *Image) FindTrim(bg []float64, threshold float64) (left, top, width, height int, err error) {
	var l, t, w, h C.int
	if C.matte_find_trim_bg(im.p, (*C.double)(unsafe.Pointer(&bg[0])), C.int(len(bg)), C.double(threshold), &l, &t, &w, &h) != 0 {
		return 0, 0, 0, 0, lastError()
	}
	return int(l), int(t), int(w), int(h), nil
}

// RawRGB returns the first three bands (all of them when fewer) as packed
// 8-bit pixels.
func (im *Image) RawRGB() ([]byte, error) {
	var n C.size_t
	return goBytes(C.matte_raw_rgb(im.p, &n), n)
}

// Bytes renders the image to packed pixels in its own band format.
func (im *Image) Bytes() ([]byte, error) {
	var n C.size_t
	return goBytes(C.matte_write_memory(im.p, &n), n)
}

// View returns the pixels of an image held in memory (after CopyMemory, or
// from FromPixels), packed in its band format, without copying them. The
// slice is read-only, and valid only while im is open and not replaced:
// Clone shares the pixels, so writing them would change every clone.
func (im *Image) View() ([]byte, error) {
	var n C.size_t
	p := C.matte_memory_view(im.p, &n)
	if p == nil {
		return nil, errors.New("vips: the image is not held in memory")
	}
	return unsafe.Slice((*byte)(p), int(n)), nil
}

// goBytes copies and frees a libvips buffer; nil p is libvips' error.
func goBytes(p unsafe.Pointer, n C.size_t) ([]byte, error) {
	if p == nil {
		return nil, lastError()
	}
	defer C.g_free(C.gpointer(p))
	return C.GoBytes(p, C.int(n)), nil
}

// save runs an encoder and returns its bytes.
func save(f func(buf *unsafe.Pointer, n *C.size_t) C.int) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	if f(&buf, &n) != 0 {
		return nil, lastError()
	}
	return goBytes(buf, n)
}

// SaveJPEG encodes at quality q (1-100), without metadata: baseline, or
// progressive, with chroma subsampling subsample and mozjpeg's settings
// moz, which are dropped where MozJPEG is false (a libvips without mozjpeg
// would warn of each and ignore it).
func (im *Image) SaveJPEG(q int, progressive bool, subsample Subsample, moz MozJPEGOptions) ([]byte, error) {
	if !MozJPEG() {
		moz = MozJPEGOptions{}
	}
	return save(func(buf *unsafe.Pointer, n *C.size_t) C.int {
		return C.matte_jpegsave(im.p, buf, n, C.int(q), cBool(progressive), C.int(subsample),
			cBool(moz.TrellisQuant), cBool(moz.OvershootDeringing), cBool(moz.OptimizeScans), C.int(moz.QuantTable))
	})
}

// MozJPEGOptions are jpegsave's mozjpeg settings (params.JPEGOptions);
// OptimizeScans takes effect in a progressive JPEG only.
type MozJPEGOptions struct {
	TrellisQuant, OvershootDeringing, OptimizeScans bool
	QuantTable                                      int
}

// mozjpeg is set once by Init (probeMozJPEG) and only read after.
var mozjpeg struct{ ok bool }

// MozJPEG reports whether this libvips' jpegsave honours MozJPEGOptions
// (it is built with mozjpeg, as the npm libvips is; Debian's, with
// libjpeg-turbo, is not). Init probes it once, by encoding a tiny image.
func MozJPEG() bool {
	Init()
	return mozjpeg.ok
}

// probeMozJPEG sets mozjpeg.ok; Init calls it, once.
func probeMozJPEG() { mozjpeg.ok = C.matte_jpeg_mozjpeg() != 0 }

// Subsample is the chroma subsampling of a JPEG or AVIF: SubsampleAuto
// (4:2:0 below Q 90, else 4:4:4), SubsampleOn (4:2:0), SubsampleOff (4:4:4).
type Subsample int

const (
	SubsampleAuto Subsample = C.VIPS_FOREIGN_SUBSAMPLE_AUTO
	SubsampleOn   Subsample = C.VIPS_FOREIGN_SUBSAMPLE_ON
	SubsampleOff  Subsample = C.VIPS_FOREIGN_SUBSAMPLE_OFF
)

// PNGFilter is the set of PNG row filters (PNG specification, section 9)
// a truecolour or grey PNG is written with: one filter for every row, or
// several, for libpng to choose per row the one whose filtered bytes sum
// smallest.
type PNGFilter int

const (
	PNGFilterNone  PNGFilter = C.VIPS_FOREIGN_PNG_FILTER_NONE
	PNGFilterSub   PNGFilter = C.VIPS_FOREIGN_PNG_FILTER_SUB
	PNGFilterUp    PNGFilter = C.VIPS_FOREIGN_PNG_FILTER_UP
	PNGFilterAvg   PNGFilter = C.VIPS_FOREIGN_PNG_FILTER_AVG
	PNGFilterPaeth PNGFilter = C.VIPS_FOREIGN_PNG_FILTER_PAETH
	PNGFilterAll   PNGFilter = C.VIPS_FOREIGN_PNG_FILTER_ALL
)

// SavePNG encodes at zlib level compression (0-9) without metadata, each
// row filtered by filter, Adam7-interlaced when interlace; paletteColors,
// when not 0, quantises to a palette of at most that many colours (alpha
// included), dithered and unfiltered: the palette of the smallest bit
// depth (1, 2, 4 or 8) that holds them, so at most 2, 4, 16 or 256.
func (im *Image) SavePNG(compression int, filter PNGFilter, interlace bool, paletteColors int) ([]byte, error) {
	bitdepth := 0
	if paletteColors > 0 {
		bitdepth = 1
		for 1<<bitdepth < paletteColors && bitdepth < 8 {
			bitdepth *= 2
		}
	}
	return save(func(buf *unsafe.Pointer, n *C.size_t) C.int {
		return C.matte_pngsave(im.p, buf, n, C.int(compression), C.int(filter), cBool(interlace), C.int(bitdepth))
	})
}

// SavePNGProfile encodes losslessly at zlib level compression, unfiltered,
// with the image's ICC profile and no other metadata: a copy whose colours
// convert (ToSRGB) as the image's do.
func (im *Image) SavePNGProfile(compression int) ([]byte, error) {
	return save(func(buf *unsafe.Pointer, n *C.size_t) C.int {
		return C.matte_pngsave_icc(im.p, buf, n, C.int(compression))
	})
}

// WebPOptions are webpsave's settings besides the quality: Lossless codes
// VP8L; NearLossless too, after moving each pixel by at most what the
// quality allows; SmartSubsample chooses the subsampled chroma that keeps
// sharp colour edges; Preset is libwebp's.
type WebPOptions struct {
	Lossless, NearLossless, SmartSubsample bool
	Preset                                 WebPPreset
}

// WebPPreset is libwebp's preset, as libvips numbers them.
type WebPPreset int

const (
	WebPPresetDefault WebPPreset = C.VIPS_FOREIGN_WEBP_PRESET_DEFAULT
	WebPPresetPicture WebPPreset = C.VIPS_FOREIGN_WEBP_PRESET_PICTURE
	WebPPresetPhoto   WebPPreset = C.VIPS_FOREIGN_WEBP_PRESET_PHOTO
	WebPPresetDrawing WebPPreset = C.VIPS_FOREIGN_WEBP_PRESET_DRAWING
	WebPPresetIcon    WebPPreset = C.VIPS_FOREIGN_WEBP_PRESET_ICON
	WebPPresetText    WebPPreset = C.VIPS_FOREIGN_WEBP_PRESET_TEXT
)

// SaveWebP encodes at quality q with o.
func (im *Image) SaveWebP(q int, o WebPOptions) ([]byte, error) {
	return save(func(buf *unsafe.Pointer, n *C.size_t) C.int {
		return C.matte_webpsave(im.p, buf, n, C.int(q), cBool(o.Lossless), cBool(o.NearLossless), cBool(o.SmartSubsample), C.int(o.Preset))
	})
}

// SaveAVIF encodes AV1 at quality q, or losslessly, with encoder effort
// effort (0-9) and chroma subsampling subsample.
func (im *Image) SaveAVIF(q int, lossless bool, effort int, subsample Subsample) ([]byte, error) {
	return save(func(buf *unsafe.Pointer, n *C.size_t) C.int {
		return C.matte_avifsave(im.p, buf, n, C.int(q), cBool(lossless), C.int(effort), C.int(subsample))
	})
}

// SaveGIF encodes a GIF, an animation when the image is a stack of frames
// (JoinFrames); effort (1-10) is how hard the palette search works.
func (im *Image) SaveGIF(effort int) ([]byte, error) {
	return save(func(buf *unsafe.Pointer, n *C.size_t) C.int { return C.matte_gifsave(im.p, buf, n, C.int(effort)) })
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Text renders markup (Pango markup: escape plain text) in font, a Pango
// font description whose size is in pixels, as an 8-bit one-band coverage
// image. width > 0 wraps the lines at that many pixels, aligned left
// (align 0), centred (1) or right (2). The image is watched by c.
func Text(markup, font string, width, align int, c *Canceller) (*Image, error) {
	Init()
	cm, cf := C.CString(markup), C.CString(font)
	defer C.free(unsafe.Pointer(cm))
	defer C.free(unsafe.Pointer(cf))
	var out *C.VipsImage
	if C.matte_text(&out, cm, cf, C.int(width), C.int(align)) != 0 {
		return nil, lastError()
	}
	return wrap(out, c), nil
}
