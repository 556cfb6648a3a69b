package vips

/*
#include "vips.h"
*/
import "C"

import (
	"unsafe"

	"github.com/jebosio/matte/transform/icc"
)

// Image owns one reference to a VipsImage. Operations replace the image in
// place (the old reference is dropped) or return a new Image. libvips is
// lazy: most operations only describe the pixels, which are computed when
// something reads them (Save*, CopyMemory, RawRGB, FindTrim, ...). Not safe
// for concurrent use.
type Image struct {
	p *C.VipsImage
	// cancel, when set, is watched by every image this one makes (Watch).
	cancel *Canceller
}

// Close drops the reference; Close on a closed Image does nothing.
func (im *Image) Close() {
	if im.p != nil {
		C.g_object_unref(C.gpointer(im.p))
		im.p = nil
	}
}

// wrap makes an Image of out, owned by the caller, watched by c (nil: not).
func wrap(out *C.VipsImage, c *Canceller) *Image {
	im := &Image{p: out, cancel: c}
	c.watch(out)
	return im
}

// set replaces the image with out, dropping the old reference.
func (im *Image) set(out *C.VipsImage) {
	im.Close()
	im.p = out
	im.cancel.watch(out)
}

// Replace moves other's image into im (closing im's old one); other must
// not be used afterwards.
func (im *Image) Replace(other *Image) {
	im.Close()
	im.p, other.p = other.p, nil
	switch {
	case im.cancel == nil:
		im.cancel = other.cancel
	case other.cancel != im.cancel:
		im.cancel.watch(im.p)
	}
}

// Canceller is the Canceller the image's operations are watched by (nil:
// none), for new images that join it.
func (im *Image) Canceller() *Canceller { return im.cancel }

// Clone returns a new reference to the same image.
func (im *Image) Clone() *Image {
	C.g_object_ref(C.gpointer(im.p))
	return &Image{p: im.p, cancel: im.cancel}
}

func (im *Image) Width() int     { return int(im.p.Xsize) }
func (im *Image) Height() int    { return int(im.p.Ysize) }
func (im *Image) Bands() int     { return int(im.p.Bands) }
func (im *Image) HasAlpha() bool { return C.vips_image_hasalpha(im.p) != 0 }

// Pixels is Width x Height.
func (im *Image) Pixels() int64 { return int64(im.Width()) * int64(im.Height()) }

// apply runs op, which writes a new image to out, and replaces im with it.
func (im *Image) apply(op func(out **C.VipsImage) C.int) error {
	var out *C.VipsImage
	if op(&out) != 0 {
		return lastError()
	}
	im.set(out)
	return nil
}

// derive runs op into a new Image that inherits im's canceller.
func (im *Image) derive(op func(out **C.VipsImage) C.int) (*Image, error) {
	var out *C.VipsImage
	if op(&out) != 0 {
		return nil, lastError()
	}
	return wrap(out, im.cancel), nil
}

// Interesting chooses how a crop that libvips places is placed.
type Interesting int

const (
	NoCrop    Interesting = -1
	Entropy   Interesting = C.VIPS_INTERESTING_ENTROPY
	Attention Interesting = C.VIPS_INTERESTING_ATTENTION
)

// Resize scales to width x height; with crop (Entropy, Attention) it scales
// to cover that box and cuts the box where libvips finds the image most
// interesting, which renders the covering image to memory first.
func (im *Image) Resize(width, height int, crop Interesting) error {
	if width == im.Width() && height == im.Height() && crop == NoCrop {
		return nil
	}
	size := C.int(C.VIPS_SIZE_FORCE)
	if crop != NoCrop {
		size = C.VIPS_SIZE_BOTH
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_thumbnail_image(im.p, out, C.int(width), C.int(height), size, C.int(crop))
	})
}

// ResizeKernel scales to width x height with a named kernel ("nearest",
// "linear", "cubic", "mitchell", "lanczos2"; anything else is lanczos3).
func (im *Image) ResizeKernel(width, height int, kernel string) error {
	if width == im.Width() && height == im.Height() {
		return nil
	}
	h, v := float64(width)/float64(im.Width()), float64(height)/float64(im.Height())
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

// Extract cuts the width x height box at (left, top).
func (im *Image) Extract(left, top, width, height int) error {
	if left == 0 && top == 0 && width == im.Width() && height == im.Height() {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_extract(im.p, out, C.int(left), C.int(top), C.int(width), C.int(height))
	})
}

// ExtractBand returns n bands from band as a new image.
func (im *Image) ExtractBand(band, n int) (*Image, error) {
	return im.derive(func(out **C.VipsImage) C.int { return C.matte_extract_band(im.p, out, C.int(band), C.int(n)) })
}

// CopyMemory renders the image to memory, so that later operations may
// read it in any order and more than once (a sequential decode may not).
func (im *Image) CopyMemory() error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_copy_memory(im.p, out) })
}

// ToSRGB converts to 8-bit sRGB (through an embedded ICC profile when there
// is one, unless that profile is sRGB's: icc.IsSRGB) unless it already is;
// alpha is kept, and bands past it are dropped (dropExtraBands), so the
// result has 3 or 4 bands. The result carries no profile.
func (im *Image) ToSRGB() error {
	if err := im.dropExtraBands(); err != nil {
		return err
	}
	if C.matte_is_srgb8(im.p) != 0 {
		return nil
	}
	isSRGB := C.int(0)
	if icc.IsSRGB(im.iccProfile()) {
		isSRGB = 1
	}
	if err := im.apply(func(out **C.VipsImage) C.int { return C.matte_to_srgb(im.p, out, isSRGB) }); err != nil {
		return err
	}
	if im.p.BandFmt != C.VIPS_FORMAT_UCHAR {
		if err := im.apply(func(out **C.VipsImage) C.int { return C.matte_cast_uchar(im.p, out) }); err != nil {
			return err
		}
	}
	return im.dropExtraBands()
}

// dropExtraBands keeps the image's colour bands (1 for grey, 4 for CMYK, 3
// otherwise) and the band after them, its alpha, and drops any further
// ones: a TIFF's extra samples past the first (Photoshop's saved alpha
// channels, spot colours), which no step expects. Thumbnail applies it to
// what it decodes.
func (im *Image) dropExtraBands() error {
	n := C.matte_kept_bands(im.p)
	if n == 0 {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_extract_band(im.p, out, 0, n) })
}

// Rot90 turns clockwise by quarterTurns quarter turns.
func (im *Image) Rot90(quarterTurns int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_rot(im.p, out, C.int(quarterTurns)) })
}

// Rotate turns clockwise by degrees onto the rotated image's bounding box;
// the corners take bg (one value per band).
func (im *Image) Rotate(degrees float64, bg []float64) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_rotate(im.p, out, C.double(degrees), (*C.double)(unsafe.Pointer(&bg[0])), C.int(len(bg)))
	})
}

// RotateInFrame turns clockwise by degrees about the centre, scaled by
// scale, in one resample, keeping the image's size: what falls outside
// is cut. Pick scale so that the turned image covers the frame's pixel
// centres: where it does not, libvips draws 0 (black, transparent).
func (im *Image) RotateInFrame(degrees, scale float64) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_rotate_in_frame(im.p, out, C.double(degrees), C.double(scale))
	})
}

// Flip mirrors left to right, or top to bottom when vertical.
func (im *Image) Flip(vertical bool) error {
	v := C.int(0)
	if vertical {
		v = 1
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_flip(im.p, out, v) })
}

// EmbedEdges places the image at (x, y) on a width x height canvas whose
// new pixels repeat the image's nearest edge pixels.
func (im *Image) EmbedEdges(x, y, width, height int) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_embed_edges(im.p, out, C.int(x), C.int(y), C.int(width), C.int(height))
	})
}

// Replicate repeats the image across times side by side and down times
// top to bottom.
func (im *Image) Replicate(across, down int) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_replicate(im.p, out, C.int(across), C.int(down))
	})
}

// Embed places the image at (x, y) on a width x height canvas of bg (one
// value per band); a negative offset cuts.
func (im *Image) Embed(x, y, width, height int, bg []float64) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_embed(im.p, out, C.int(x), C.int(y), C.int(width), C.int(height), (*C.double)(unsafe.Pointer(&bg[0])), C.int(len(bg)))
	})
}

// iccProfile is the embedded ICC profile, nil when there is none. It
// aliases memory the image owns: read it before the image changes.
func (im *Image) iccProfile() []byte {
	var data unsafe.Pointer
	n := C.matte_icc_profile(im.p, &data)
	if n == 0 || data == nil {
		return nil
	}
	return unsafe.Slice((*byte)(data), int(n))
}
