// Package segment runs foreground-segmentation models (ISNet, U²-Net,
// BiRefNet, MODNet and custom ONNX models) with ONNX Runtime, through
// github.com/yalue/onnxruntime_go. It knows nothing of Caddy or libvips:
// the pipeline resizes the image to the preset's input size with the
// preset's ResizeKernel, hands packed 8-bit RGB to Session.Segment, and
// resizes the returned 8-bit mask back with the preset's MaskKernel.
//
// Typical use:
//
//	if err := segment.UseRuntime(libPath); err != nil { ... } // loaded by the first Load
//	p, _ := segment.Lookup("isnet")
//	pool := segment.NewPool(0, -1)                             // shared by all sessions
//	s, err := segment.NewSession(p, segment.Options{ModelsDir: dir, Pool: pool})
//	err = s.Load()                                              // optional: eager load
//	mask, err := s.Segment(ctx, rgb, p.InputWidth, p.InputHeight)
//	// s.Info().String() == "isnet@b6e8497ba978" for X-Matte-Model;
//	// s.Info().Fingerprint for cache keys.
//
// # Threads
//
// One inference uses Options.IntraOpThreads threads (plus InterOpThreads
// when that is above 1); the Pool runs at most MaxConcurrent inferences. The
// busy threads are therefore about MaxConcurrent × IntraOpThreads; keep it
// at or below the cores the model may use. The defaults
// (DefaultIntraOpThreads, DefaultMaxConcurrent) give one inference of two
// threads on a 2-core box.
// Spinning is off by default, so idle ORT threads sleep instead of burning
// CPU the image pipeline needs.
//
// # Memory
//
// An ISNet session at 1024² holds about 1 GB once it has run (weights plus
// ONNX Runtime's activation arena), ~0.3 GB between runs with
// Options.DisableCPUArena; ONNX Runtime's memory-pattern planning, which
// would double that, is off unless Options.MemPattern is set.
//
// # Lifetime
//
// The ONNX Runtime environment is process-wide: InitRuntime (load now) and
// UseRuntime (load with the first session) are idempotent and survive Caddy
// config reloads; ShutdownRuntime is optional and refuses while sessions are
// loaded. Session.Close waits for running inferences.
//
// # Batching
//
// Optional (Options.MaxBatch > 1, Caddyfile `rembg { batch N; batch_wait D }`):
// concurrent Segment calls on a model whose input has a dynamic batch
// dimension run as one inference in one Pool slot; models with a fixed
// batch of 1 (the shipped imgly ISNet files) run one by one. A caller that
// leaves is dropped from its batch, and the inference is aborted only when
// every caller has left (batch.go). Off by default: on a CPU-bound box a
// batch of n costs about n single runs (bench/BATCH.md); it is meant for
// GPU providers.
package segment
