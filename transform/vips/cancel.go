package vips

/*
#include "vips.h"
*/
import "C"

import "sync"

// Canceller stops libvips computations when its job is cancelled. Every
// image made with it, and every image made from those, reports progress
// after each tile it computes; once Cancel has been called, the next report
// kills that computation, which then fails with a libvips error. A tile
// already started runs to its end, so the work that can outlive Cancel is
// one tile of the slowest operation in the chain: callers bound what an
// operation may cost per pixel.
//
// Work inside one libvips call that builds and renders an image of its own
// before returning (the smart crop of Thumbnail, a random-access decode) is
// not watched; callers keep such images small.
//
// Cancel is safe to call from any goroutine, at any time; the rest of the
// Canceller belongs to the goroutine that runs the job.
type Canceller struct {
	c        *C.MatteCancel
	once     sync.Once
	released bool
}

// NewCanceller returns a Canceller; Release it when the job is done.
func NewCanceller() *Canceller { return &Canceller{c: C.matte_cancel_new()} }

// Cancel kills the watched computations at their next progress report. It
// must not be called after Release.
func (c *Canceller) Cancel() { c.once.Do(func() { C.matte_cancel_set(c.c) }) }

// Release drops the job's reference; images still alive keep theirs until
// libvips frees them.
func (c *Canceller) Release() {
	if !c.released {
		c.released = true
		C.matte_cancel_unref(c.c)
	}
}

// watch makes im report to c; a nil Canceller watches nothing.
func (c *Canceller) watch(im *C.VipsImage) {
	if c != nil && im != nil {
		C.matte_watch(im, c.c)
	}
}
