package caddymodule

import "context"

// SetBeforeTransform makes every transform call f with its context before
// it starts (to hold it in flight), until the returned restore is called.
// Tests that use it must not run in parallel with others.
func SetBeforeTransform(f func(ctx context.Context)) (restore func()) {
	testBeforeTransform.Store(&f)
	return func() { testBeforeTransform.Store(nil) }
}

// SetBeforeFaceInput makes every face detection call f with its context
// before it makes the detector's input, until restore is called. Tests
// that use it must not run in parallel with others.
func SetBeforeFaceInput(f func(ctx context.Context)) (restore func()) {
	testBeforeFaceInput.Store(&f)
	return func() { testBeforeFaceInput.Store(nil) }
}

// SetEncoding makes every re-encoding of a rendered image (rembg.com's
// format=bmp) call f with its context and the bytes it holds in
// max_buffered_bytes, once it holds them, until the returned restore is
// called. Tests that use it must not run in parallel with others.
func SetEncoding(f func(ctx context.Context, held int64)) (restore func()) {
	testEncoding.Store(&f)
	return func() { testEncoding.Store(nil) }
}

// SetBeforeConvert makes every conversion of an API's source (rembg.com's
// BMP uploads) call f with its context first, until the returned restore
// is called. Tests that use it must not run in parallel with others.
func SetBeforeConvert(f func(ctx context.Context)) (restore func()) {
	testBeforeConvert.Store(&f)
	return func() { testBeforeConvert.Store(nil) }
}
