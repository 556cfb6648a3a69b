// Package vips is Matte's cgo layer over libvips: process-wide set-up, and
// Image, a handle on one VipsImage with the operations the pipeline steps
// need. It is the only package under transform/ that uses cgo. heif.c
// opens the system's libheif at run time for HEVC-coded HEIF where this
// libvips cannot decode it (sharp's npm build).
//
// libvips keeps per-thread state: a caller runs all the work of one job on
// one OS thread (runtime.LockOSThread) and calls EndThread on that thread
// when done.
//
// A loader given a buffer (Thumbnail, LoadFrames, DecodeAll) does not copy
// it: libvips reads it lazily, as the pixels are computed. The package
// keeps the buffer pinned for as long as any image made from it is open
// (pin.go), so the caller may drop its slice once the loader returns; it
// must not change the bytes until every such image is closed.
//
// bimg is used here, and only here, for two things: starting libvips (so
// that bimg, which the tests and benchmarks also call, never starts it a
// second time and resets the cache settings), and sniffing a buffer's type
// (its check also asks libvips which loaders exist).
package vips

/*
#cgo pkg-config: vips
#cgo LDFLAGS: -lm
#include <malloc.h>
#include "vips.h"
*/
import "C"

import (
	"errors"
	"os"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"unsafe"

	"github.com/h2non/bimg"
)

var once sync.Once

// Init starts libvips once per process, then tunes it for a threaded
// server: one worker thread per operation (parallelism comes from
// concurrent requests), no operation cache (sources rarely repeat, results
// are cached by Matte itself), and no loaders marked untrusted
// (ImageMagick, and the like); then it probes the codecs (HEVCDecoder,
// MozJPEG). Every constructor calls it.
func Init() {
	once.Do(func() {
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
		// The codec probes clear libvips' process-wide error buffer after
		// the failures they provoke: they run here, before Init returns to
		// any caller, so no other work of this package can be running
		// libvips and lose its message to them.
		probeHEVC()
		probeMozJPEG()
	})
}

// Settings are libvips' process-wide memory and thread settings. The zero
// value is Matte's default for a threaded server, as in imgproxy: no
// operation cache and one worker thread per operation.
type Settings struct {
	// CacheMemory bounds libvips' operation cache in bytes; 0 turns the
	// cache off (sources rarely repeat and results are cached by Matte).
	// With the cache on, two requests may share an image, and cancelling
	// one may stop a computation the other shares; and a cached operation
	// made from a loaded source keeps that source's buffer pinned (see
	// the package doc) until it is evicted, memory this bound does not
	// count.
	CacheMemory int64
	// Concurrency is libvips' worker threads per operation; 0 means 1, as
	// parallelism comes from concurrent requests.
	Concurrency int
}

// Configure applies s process-wide; the last call wins. Safe to call at any
// time: running operations keep the threads they started with.
func Configure(s Settings) {
	Init()
	ops := 0
	if s.CacheMemory > 0 {
		ops = 100 // libvips' default count; memory is the bound that matters
	}
	bimg.VipsCacheSetMax(ops)
	C.vips_cache_set_max_mem(C.size_t(s.CacheMemory))
	C.vips_concurrency_set(C.int(max(1, s.Concurrency)))
}

// Concurrency is libvips' worker-thread count per operation, as Configure
// last set it.
func Concurrency() int {
	Init()
	return int(C.vips_concurrency_get())
}

// ReleaseFreeMemory hands memory that C code (libvips, its codecs, ONNX
// Runtime) has freed back to the kernel: glibc's malloc_trim(0), which also
// returns the free pages inside every arena. Safe to call concurrently with
// transforms; it takes each arena's lock in turn.
func ReleaseFreeMemory() { C.malloc_trim(0) }

// TrackedMemoryHighwater is the most memory libvips has held at once for
// pixel buffers (vips_tracked_malloc) since the process started.
func TrackedMemoryHighwater() int64 {
	Init()
	return int64(C.vips_tracked_get_mem_highwater())
}

// EndThread frees libvips' per-thread buffers and unlocks the OS thread;
// call it on the thread that ran the work.
func EndThread() {
	C.vips_thread_shutdown()
	runtime.UnlockOSThread()
}

// Sniff names buf's type from its first bytes ("jpeg", "png", "webp",
// "gif", "avif", "heif", "tiff", "svg", "pdf", ..., "unknown"), among the
// types this libvips can load.
func Sniff(buf []byte) string {
	Init()
	return bimg.ImageTypeName(bimg.DetermineImageType(buf))
}

// lastError takes libvips' error buffer, under libvips' lock, and clears
// it. The buffer is one for the whole process: concurrent failures append
// to it in any order, so the text may hold another thread's message, or
// miss this one's (another thread took it first). It is for logs only:
// never decide anything from it.
func lastError() error {
	p := C.vips_error_buffer_copy()
	msg := strings.TrimSpace(C.GoString(p))
	C.g_free(C.gpointer(p))
	if msg == "" {
		msg = "libvips failed"
	}
	return errors.New(msg)
}

// blobOf pins buf (not empty) and returns a VipsBlob over it that unpins it
// when libvips drops its last reference (pin.go). The caller hands it to
// one loader and then drops its own reference with unrefBlob.
func blobOf(buf []byte) *C.VipsBlob {
	p := new(runtime.Pinner)
	p.Pin(&buf[0])
	livePins.Add(1)
	return C.matte_pinned_blob(unsafe.Pointer(&buf[0]), C.size_t(len(buf)), C.uintptr_t(cgo.NewHandle(p)))
}

// unrefBlob drops the caller's reference to a blob from blobOf; the buffer
// is unpinned here when no loader took a reference.
func unrefBlob(b *C.VipsBlob) { C.matte_blob_unref(b) }
