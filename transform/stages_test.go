package transform

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// BenchmarkStage times the pipeline's stages one by one on real photos, so
// a regression can be traced to one of them (BenchmarkProcess in bench/ is
// the whole pipeline; inference is segment.BenchmarkISNet). Every stage
// renders its result to memory, as libvips is lazy.
//
//	decode       photo-4mp.jpg decoded in full (2560x1707)
//	decode-800   the same to 800 wide with shrink-on-load (what load does)
//	resize-800   the decoded image reduced to 800 wide (Lanczos 3)
//	matte-resize a 1024x1024 model mask to the photo's 1000x667
//	composite    animal-1.jpg's colours decontaminated and joined with a
//	             matte as alpha (the removal step after inference)
//	flatten      that cut-out over white (a JPEG answer with bg)
//	encode-*     the 800-wide image encoded at the default settings
func BenchmarkStage(b *testing.B) {
	perf := filepath.Join("..", "..", "shared", "testdata")
	photo, err := os.ReadFile(filepath.Join(perf, "perf", "photo-4mp.jpg"))
	if err != nil {
		b.Skipf("shared test data not found under %s: %v", perf, err)
	}
	animal, err := os.ReadFile(filepath.Join(perf, "photos", "animal-1.jpg"))
	if err != nil {
		b.Skipf("shared test data not found under %s: %v", perf, err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	vips.Init()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	decodeFull := func(buf []byte) *vips.Image {
		hd, err := vips.ReadHeader(buf)
		must(err)
		im, err := vips.Thumbnail(buf, hd.Width, hd.Height, vips.NoCrop, 1, 0, nil)
		must(err)
		must(im.CopyMemory())
		return im
	}
	full := decodeFull(photo)
	defer full.Close()
	small := full.Clone()
	must(small.Resize(800, 533, vips.NoCrop))
	must(small.CopyMemory())
	defer small.Close()
	cut := decodeFull(animal)
	defer cut.Close()
	mask := make([]byte, 1024*1024)
	for i := range mask { // a soft-edged disc
		x, y := i%1024-512, i/1024-512
		d := x*x + y*y
		switch {
		case d < 300*300:
			mask[i] = 255
		case d < 330*330:
			mask[i] = byte(255 * (330*330 - d) / (330*330 - 300*300))
		}
	}
	alpha := func() *vips.Image {
		a, err := vips.FromPixels(mask, 1024, 1024, 1, nil)
		must(err)
		must(a.ResizeKernel(cut.Width(), cut.Height(), "linear"))
		must(a.CopyMemory())
		return a
	}
	cutout := func() *vips.Image {
		a := alpha()
		defer a.Close()
		joined, err := decontaminatedCutout(cut, a, decontaminateWorkers())
		must(err)
		return joined
	}
	stage := func(name string, fn func()) {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fn()
			}
		})
	}
	stage("decode", func() { decodeFull(photo).Close() })
	stage("decode-800", func() {
		src := Source{Type: params.FormatJPEG, Width: full.Width(), Height: full.Height()}
		im, err := vips.Thumbnail(photo, 800, 533, vips.NoCrop, src.jpegShrink(800, 533), 0, nil)
		must(err)
		must(im.CopyMemory())
		im.Close()
	})
	stage("resize-800", func() {
		im := full.Clone()
		must(im.Resize(800, 533, vips.NoCrop))
		must(im.CopyMemory())
		im.Close()
	})
	stage("matte-resize", func() { alpha().Close() })
	stage("composite", func() { cutout().Close() })
	over := cutout()
	defer over.Close()
	stage("flatten", func() {
		im := over.Clone()
		must(im.Flatten(255, 255, 255))
		must(im.CopyMemory())
		im.Close()
	})
	cleared := over.Clone()
	must(cleared.ClearTransparent())
	must(cleared.CopyMemory())
	defer cleared.Close()
	stage("clear-transparent", func() {
		im := over.Clone()
		must(im.ClearTransparent())
		must(im.CopyMemory())
		im.Close()
	})
	enc := DefaultEncoding
	for _, f := range []struct {
		name   string
		format params.Format
		q      int
		im     *vips.Image
	}{
		{"encode-jpeg", params.FormatJPEG, 80, small},
		{"encode-webp", params.FormatWebP, 80, small},
		{"encode-avif", params.FormatAVIF, 60, small},
		{"encode-png", params.FormatPNG, 0, small},
		{"encode-png-cutout", params.FormatPNG, 0, over},
		{"encode-png-cutout-cleared", params.FormatPNG, 0, cleared},
	} {
		stage(f.name, func() {
			_, err := save(f.im, f.format, saveOptions{Quality: f.q, Enc: &enc})
			must(err)
		})
	}
}
