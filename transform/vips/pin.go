package vips

/*
#include <stdint.h>
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"sync/atomic"
)

// A loader's buffer is handed to libvips without a copy, pinned
// (runtime.Pinner) for as long as libvips may read it: blobOf (vips.go)
// pins it and wraps it in a VipsBlob whose last unref, in C, calls
// mattePinRelease. Every image that may read the buffer references the
// blob through libvips' own references (vips.c), so the buffer stays put
// until the last of them is closed, whatever the caller does with its
// slice; no Go finalizer is involved. This file's preamble holds no C
// definitions, as //export requires.

// livePins counts the buffers pinned for libvips and not yet released.
var livePins atomic.Int64

// mattePinRelease unpins the buffer of a blob that libvips has dropped.
// libvips calls it once per blob, on whichever thread drops the last
// reference: a goroutine in Close or unrefBlob, or one of libvips' worker
// threads. It takes no lock that libvips code could be waiting on.
//
//export mattePinRelease
func mattePinRelease(handle C.uintptr_t) {
	h := cgo.Handle(handle)
	h.Value().(*runtime.Pinner).Unpin()
	h.Delete()
	livePins.Add(-1)
}
