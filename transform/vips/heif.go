package vips

/*
#include <stdlib.h>
#include "vips.h"
const char *matte_heif_open(void);
const char *matte_heif_version(void);
int matte_heif_decode(void *buf, size_t len, VipsImage **out);
int matte_libvips_decodes(void *buf, size_t len);
*/
import "C"

import (
	_ "embed"
	"unsafe"
)

// hevcSample is a 64x48 HEVC-coded HEIF: decoding it tells whether this
// libvips has an HEVC decoder.
//
//go:embed hevc-64x48.heic
var hevcSample []byte

// hevc is set once by Init (probeHEVC) and only read after.
var hevc struct {
	libvips  bool   // libvips decodes HEVC itself (Debian's build)
	fallback bool   // else libheif.so.1, opened at run time, does
	why      string // neither: why not
}

// probeHEVC decides who decodes HEVC-coded HEIF; Init calls it, once.
func probeHEVC() {
	if hevc.libvips = C.matte_libvips_decodes(unsafe.Pointer(&hevcSample[0]), C.size_t(len(hevcSample))) != 0; hevc.libvips {
		return
	}
	if why := C.matte_heif_open(); why != nil {
		hevc.why = C.GoString(why)
		return
	}
	hevc.fallback = true
}

// HEVCDecoder says who decodes HEVC-coded HEIF (HEIC) in this process:
// "libvips", "libheif <version> (loaded at run time)", or "none: <why>".
// It starts libvips.
func HEVCDecoder() string {
	Init()
	switch {
	case hevc.libvips:
		return "libvips"
	case hevc.fallback:
		return "libheif " + C.GoString(C.matte_heif_version()) + " (libheif.so.1, loaded at run time)"
	}
	return "none: " + hevc.why
}

// decodeHEVCFallback decodes buf with libheif when buf is HEIF that this
// libvips cannot decode and libheif can; ok is false otherwise, and the
// caller loads buf with libvips as usual (where an HEVC source then fails
// as an unsupported codec).
func decodeHEVCFallback(buf []byte) (img *C.VipsImage, ok bool, err error) {
	// The fallback's state first: where libvips decodes HEVC itself (or no
	// libheif is found) a request pays nothing.
	Init()
	if !hevc.fallback || Sniff(buf) != "heif" {
		return nil, false, nil
	}
	var out *C.VipsImage
	if C.matte_heif_decode(unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &out) != 0 {
		return nil, true, lastError()
	}
	return out, true, nil
}
