package vips

import (
	"bytes"
	"runtime"
	"testing"
)

// noisyPixels is a w x h RGB pattern with little to compress, so that its
// JPEG or GIF is tens of kilobytes of scan data that a lazy decode reads
// long after the loader returns.
func noisyPixels(w, h int) []byte {
	px := make([]byte, w*h*3)
	s := uint32(1)
	for i := range px {
		s = s*1664525 + 1013904223
		px[i] = byte(i/3%w) ^ byte(s>>24)&0x3f
	}
	return px
}

// encodedSources are a JPEG and a two-frame GIF of noisyPixels.
func encodedSources(t *testing.T) (jpeg, gif []byte) {
	t.Helper()
	const w, h = 320, 240
	img, err := FromPixels(noisyPixels(w, h), w, h, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if jpeg, err = img.SaveJPEG(90, false, SubsampleOff, MozJPEGOptions{}); err != nil {
		t.Fatal(err)
	}
	flipped := img.Clone()
	defer flipped.Close()
	if err := flipped.Flip(false); err != nil {
		t.Fatal(err)
	}
	anim, err := JoinFrames([]*Image{img, flipped}, []int{100, 100}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer anim.Close()
	if gif, err = anim.SaveGIF(1); err != nil {
		t.Fatal(err)
	}
	return jpeg, gif
}

// fromLostBuffer loads a private copy of src with load, derives a second
// image from the loaded one (as the pipeline's steps do) and closes the
// loaded one, so that when it returns no Go reference to the copy is left:
// only libvips' references, from the derived image down to its loader,
// hold the copy's pixels.
//
//go:noinline
func fromLostBuffer(t *testing.T, src []byte, load func([]byte) (*Image, error)) *Image {
	buf := make([]byte, len(src))
	copy(buf, src)
	img, err := load(buf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	d, err := img.ExtractBand(0, img.Bands())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLoaderOwnsBuffer: an image loaded from a buffer (Thumbnail on each of
// its libvips paths, LoadFrames) renders the source's pixels after the
// caller has dropped every reference to the buffer, the garbage collector
// has run, and fresh allocations of the buffer's size have been scribbled
// over. The package keeps such a buffer for libvips, for as long as
// libvips holds an image that reads it; without that the collector frees
// it, the scribbles land in its memory, and the lazy decode reads them
// (wrong pixels, or a decode error).
func TestLoaderOwnsBuffer(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	jpeg, gif := encodedSources(t)
	for _, tc := range []struct {
		name string
		src  []byte
		load func([]byte) (*Image, error)
	}{
		{"thumbnail_buffer", jpeg, func(b []byte) (*Image, error) { return Thumbnail(b, 320, 240, NoCrop, 1, 0, nil) }},
		{"jpegload_buffer shrink", jpeg, func(b []byte) (*Image, error) { return Thumbnail(b, 160, 120, NoCrop, 2, 0, nil) }},
		{"new_from_buffer orientation", jpeg, func(b []byte) (*Image, error) { return Thumbnail(b, 320, 240, NoCrop, 1, 1, nil) }},
		{"frames", gif, func(b []byte) (*Image, error) { return LoadFrames(b, 0, -1, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pinned := livePins.Load()
			want := func() []byte {
				img, err := tc.load(tc.src) // tc.src stays reachable
				if err != nil {
					t.Fatal(err)
				}
				defer img.Close()
				px, err := img.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				return px
			}()
			img := fromLostBuffer(t, tc.src, tc.load)
			defer func() {
				img.Close()
				if n := livePins.Load(); n != pinned {
					t.Errorf("%d buffers pinned after every image was closed, want %d", n, pinned)
				}
			}()
			var scribbles [][]byte
			for range 4 {
				runtime.GC()
				for range 16 {
					b := make([]byte, len(tc.src))
					for i := range b {
						b[i] = 0xA5
					}
					scribbles = append(scribbles, b)
				}
			}
			got, err := img.Bytes()
			runtime.KeepAlive(scribbles)
			if err != nil {
				t.Fatalf("rendering after the buffer was dropped: %v", err)
			}
			if !bytes.Equal(got, want) {
				diff := 0
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						diff++
					}
				}
				t.Errorf("after the buffer was dropped: %d bytes, %d of them differ from the %d decoded with it kept", len(got), diff, len(want))
			}
		})
	}
}

// TestFailedLoadUnpins: a load that fails, when it opens the source or as
// it decodes it, hands its buffer back once its image (if any) is closed,
// as a good one does (TestLoaderOwnsBuffer).
func TestFailedLoadUnpins(t *testing.T) {
	runtime.LockOSThread()
	defer EndThread()
	jpeg, _ := encodedSources(t)
	truncated := jpeg[:len(jpeg)/2]
	junk := make([]byte, 256) // no format's signature
	pinned := livePins.Load()
	if img, err := Thumbnail(junk, 10, 10, NoCrop, 1, 0, nil); err == nil {
		img.Close()
		t.Error("Thumbnail opened junk")
	}
	if img, err := Thumbnail(truncated, 320, 240, NoCrop, 1, 0, nil); err != nil {
		t.Errorf("Thumbnail of a truncated JPEG failed before decoding: %v", err)
	} else {
		if _, err := img.Bytes(); err == nil {
			t.Error("a truncated JPEG decoded")
		}
		img.Close()
	}
	if _, err := LoadFrames(junk, 0, -1, nil); err == nil {
		t.Error("LoadFrames opened junk")
	}
	if err := DecodeAll(truncated, nil); err == nil {
		t.Error("DecodeAll decoded a truncated JPEG")
	}
	if n := livePins.Load(); n != pinned {
		t.Errorf("%d buffers pinned after failed loads, want %d", n, pinned)
	}
}

// BenchmarkBlobOf is what owning a loader's buffer adds to each decode: the
// pin, the handle, and the call back from C that releases them.
func BenchmarkBlobOf(b *testing.B) {
	Init()
	buf := make([]byte, 4<<20)
	for b.Loop() {
		unrefBlob(blobOf(buf))
	}
}
