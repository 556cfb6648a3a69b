package vips

/*
#include "vips.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Description is what a source's header says, no pixel decoded.
type Description struct {
	// Width and Height are the stored size, before EXIF orientation.
	Width, Height int
	// Orientation is the EXIF orientation, 1-8 (1 when there is none).
	Orientation int
	Bands       int
	// Depth is bits per sample: 8, 16 or 32 (float).
	Depth int
	// ColorModel is "RGB", "Gray", "CMYK" or "Lab".
	ColorModel string
	HasAlpha   bool
	// DPIX and DPIY are the resolution in dots per inch as libvips reads it
	// (72 for a JPEG or PNG that gives none), 0 where libvips has none.
	DPIX, DPIY int
	Pages      int
	// ICC is the embedded colour profile, nil when there is none.
	ICC []byte
}

// Describe reads buf's header (see Description).
func Describe(buf []byte) (Description, error) { return describe(buf, true) }

// describe is Describe, the ICC profile left out unless withICC.
func describe(buf []byte, withICC bool) (Description, error) {
	Init()
	if len(buf) == 0 {
		return Description{}, errors.New("empty buffer")
	}
	var d C.MatteDescription
	var icc unsafe.Pointer
	var iccLen C.size_t
	iccOut := &icc
	if !withICC {
		iccOut = nil
	}
	if C.matte_describe(unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &d, iccOut, &iccLen) != 0 {
		return Description{}, lastError()
	}
	out := Description{Width: int(d.width), Height: int(d.height), Orientation: max(int(d.orientation), 1), Bands: int(d.bands),
		HasAlpha: d.has_alpha != 0, Pages: max(int(d.pages), 1)}
	switch d.band_format {
	case C.VIPS_FORMAT_USHORT, C.VIPS_FORMAT_SHORT:
		out.Depth = 16
	case C.VIPS_FORMAT_FLOAT, C.VIPS_FORMAT_UINT, C.VIPS_FORMAT_INT:
		out.Depth = 32
	default:
		out.Depth = 8
	}
	switch d.interpretation {
	case C.VIPS_INTERPRETATION_CMYK:
		out.ColorModel = "CMYK"
	case C.VIPS_INTERPRETATION_LAB, C.VIPS_INTERPRETATION_LABQ, C.VIPS_INTERPRETATION_LABS:
		out.ColorModel = "Lab"
	case C.VIPS_INTERPRETATION_B_W, C.VIPS_INTERPRETATION_GREY16:
		out.ColorModel = "Gray"
	default:
		out.ColorModel = "RGB"
		if out.Bands <= 2 {
			out.ColorModel = "Gray"
		}
	}
	// libvips says 1 pixel per mm when a file gives no resolution.
	if x, y := float64(d.xres), float64(d.yres); x != 1 || y != 1 {
		out.DPIX, out.DPIY = int(x*25.4+0.5), int(y*25.4+0.5)
	}
	if icc != nil {
		out.ICC = C.GoBytes(icc, C.int(iccLen))
		C.g_free(C.gpointer(icc))
	}
	return out, nil
}
