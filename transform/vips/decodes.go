package vips

/*
#include "vips.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// libvips' error buffer is one for the whole process (see lastError): when
// concurrent operations fail, any of them may read any message, or none.
// Whose fault a failure is therefore cannot be read from its text; a caller
// decides it from the source itself, with DecodeAll and MissingCodec.

// DecodeAll decodes buf's first image whole, as strictly as Thumbnail
// decodes it, and drops the pixels: nil when every pixel decodes, else the
// decoder's failure (whose text is only for logs). It reads the whole
// source once, sequentially, holding a few rows at a time; it is meant for
// the failure path, not for every request. The read is watched by c (nil:
// not cancellable); a cancelled read fails too, so the caller checks its
// own cancellation first.
func DecodeAll(buf []byte, c *Canceller) error {
	Init()
	if len(buf) == 0 {
		return errors.New("empty buffer")
	}
	if in, ok, err := decodeHEVCFallback(buf); err != nil {
		return err
	} else if ok {
		C.g_object_unref(C.gpointer(in)) // decoded whole by libheif
		return nil
	}
	isJPEG := C.int(0)
	if len(buf) > 2 && buf[0] == 0xFF && buf[1] == 0xD8 {
		isJPEG = 1
	}
	var out *C.VipsImage
	blob := blobOf(buf)
	r := C.matte_load_strict(blob, isJPEG, &out)
	unrefBlob(blob)
	if r != 0 {
		return lastError()
	}
	im := wrap(out, c)
	defer im.Close()
	if C.matte_read_all(im.p) != 0 {
		return lastError()
	}
	return nil
}

// MissingCodec reports whether buf cannot be decoded in this process for
// want of a codec rather than because it is broken: HEVC-coded HEIF (as
// its header says) where neither libvips nor a run-time libheif decodes
// HEVC (HEVCDecoder says "none"). It is decided from buf's header and
// Init's probe, never from an error's text.
func MissingCodec(buf []byte) bool {
	Init()
	if hevc.libvips || hevc.fallback || len(buf) == 0 || Sniff(buf) != "heif" {
		return false
	}
	return heifHEVC(buf)
}

// heifHEVC reports whether buf is HEIF whose primary image is HEVC-coded.
func heifHEVC(buf []byte) bool {
	switch C.matte_heif_hevc(unsafe.Pointer(&buf[0]), C.size_t(len(buf))) {
	case 1:
		return true
	case -1:
		lastError() // the header's failure, not to be left for another's message
	}
	return false
}
