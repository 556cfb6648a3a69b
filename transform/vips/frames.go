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

// LoadFrames decodes n frames (-1: to the last) from frame page (0-based)
// of an animated GIF or WebP in buf as one image, the frames stacked top to
// bottom, PageHeight rows each; it keeps their delays and the loop count
// (Animation). Like Thumbnail, the decode is strict. The image is watched
// by c (nil: not cancellable).
func LoadFrames(buf []byte, page, n int, c *Canceller) (*Image, error) {
	Init()
	if len(buf) == 0 {
		return nil, errors.New("empty buffer")
	}
	var out *C.VipsImage
	blob := blobOf(buf)
	r := C.matte_load_frames(blob, C.int(page), C.int(n), &out)
	unrefBlob(blob)
	if r != 0 {
		return nil, lastError()
	}
	return wrap(out, c), nil
}

// PageHeight is the height of one frame of a stack of frames (LoadFrames),
// and the whole height of any other image.
func (im *Image) PageHeight() int { return int(C.matte_page_height(im.p)) }

// Animation returns the frames' display times in milliseconds (at most
// frames of them; none when the source gives none) and how many times the
// animation plays (0: forever).
func (im *Image) Animation(frames int) (delays []int, loop int) {
	if frames > 0 {
		d := make([]C.int, frames)
		n := int(C.matte_delays(im.p, &d[0], C.int(frames)))
		for _, v := range d[:n] {
			delays = append(delays, int(v))
		}
	}
	return delays, int(C.matte_loop(im.p))
}

// Page returns frame i of a stack of frames pageHeight rows each, as a new
// image that shares im's pixels.
func (im *Image) Page(i, pageHeight int) (*Image, error) {
	return im.derive(func(out **C.VipsImage) C.int {
		return C.matte_extract(im.p, out, 0, C.int(i*pageHeight), C.int(im.Width()), C.int(pageHeight))
	})
}

// ThumbnailFrame resizes a decoded frame as Thumbnail resizes a source:
// to width x height, or with crop to a box of that size, after replacing
// its orientation (1-8; 0 keeps its own).
func (im *Image) ThumbnailFrame(width, height int, crop Interesting, orientation int) error {
	size := C.int(C.VIPS_SIZE_FORCE)
	if crop != NoCrop {
		size = C.VIPS_SIZE_BOTH
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_thumbnail_frame(im.p, out, C.int(width), C.int(height), size, C.int(crop), C.int(orientation))
	})
}

// OrientFrame turns a decoded frame upright as ThumbnailFrame does before
// it resizes, after replacing its orientation (1-8; 0 keeps its own).
func (im *Image) OrientFrame(orientation int) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_orient(im.p, out, C.int(orientation))
	})
}

// JoinFrames stacks frames (at least one, all of one size) top to bottom as
// an animation that SaveGIF and SaveWebP write frame by frame, with delays
// (milliseconds per frame; none: the encoder's default) and loop (0:
// forever). The frames stay the caller's to close.
func JoinFrames(frames []*Image, delays []int, loop int) (*Image, error) {
	if len(frames) == 0 {
		return nil, errors.New("no frames")
	}
	in := C.malloc(C.size_t(len(frames)) * C.size_t(unsafe.Sizeof(uintptr(0))))
	defer C.free(in)
	ptrs := unsafe.Slice((**C.VipsImage)(in), len(frames))
	for i, f := range frames {
		ptrs[i] = f.p
	}
	d := make([]C.int, max(1, len(delays)))
	for i, v := range delays {
		d[i] = C.int(v)
	}
	var out *C.VipsImage
	if C.matte_join_frames((**C.VipsImage)(in), C.int(len(frames)), &out, &d[0], C.int(len(delays)), C.int(loop)) != 0 {
		return nil, lastError()
	}
	return wrap(out, frames[0].cancel), nil
}
