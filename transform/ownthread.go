package transform

import (
	"runtime"

	"github.com/jebosio/matte/transform/vips"
)

// onOwnThread runs fn on a new goroutine locked to its OS thread, ends
// that thread's libvips state when fn returns, and waits for it; a panic
// in fn is raised again in the caller.
//
// It is for libvips work a job hands to a detector or model as its input
// (detectorInput, modelInput): a cache flight may run that input on a
// goroutine of its own, which is neither locked to a thread (libvips keeps
// per-thread state: an operation must not move between threads) nor ended
// (its per-thread buffers would stay behind on whatever thread it last
// ran). When the input runs on the job's own locked thread instead, a
// thread of its own keeps vips.EndThread from ending the job's state
// midway.
func onOwnThread(fn func()) {
	var panicked any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		runtime.LockOSThread()
		defer vips.EndThread()
		fn()
	}()
	<-done
	if panicked != nil {
		panic(panicked)
	}
}
