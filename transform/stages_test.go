package transform

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/jebosio/matte/params"
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
	initVips()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	decodeFull := func(buf []byte) *vimage {
		hd, err := readHeader(buf)
		must(err)
		im, err := thumbnail(buf, hd.width, hd.height, noCrop, 1)
		must(err)
		must(im.copyMemory())
		return im
	}
	full := decodeFull(photo)
	defer full.close()
	small := full.clone()
	must(small.resizeTo(800, 533, noCrop))
	must(small.copyMemory())
	defer small.close()
	cut := decodeFull(animal)
	defer cut.close()
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
	alpha := func() *vimage {
		a, err := grayImage(mask, 1024, 1024)
		must(err)
		must(a.resizeExact(cut.width(), cut.height(), "linear"))
		must(a.copyMemory())
		return a
	}
	cutout := func() *vimage {
		rgb := cut.clone()
		a := alpha()
		defer a.close()
		must(decontaminate(rgb, a))
		joined, err := bandjoin(rgb, a)
		rgb.close()
		must(err)
		must(joined.copyMemory())
		return joined
	}
	stage := func(name string, fn func()) {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fn()
			}
		})
	}
	stage("decode", func() { decodeFull(photo).close() })
	stage("decode-800", func() {
		src := Source{Type: params.FormatJPEG, Width: full.width(), Height: full.height()}
		im, err := thumbnail(photo, 800, 533, noCrop, src.jpegShrink(800, 533))
		must(err)
		must(im.copyMemory())
		im.close()
	})
	stage("resize-800", func() {
		im := full.clone()
		must(im.resizeTo(800, 533, noCrop))
		must(im.copyMemory())
		im.close()
	})
	stage("matte-resize", func() { alpha().close() })
	stage("composite", func() { cutout().close() })
	over := cutout()
	defer over.close()
	stage("flatten", func() {
		im := over.clone()
		must(im.flatten(params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}))
		must(im.copyMemory())
		im.close()
	})
	cleared := over.clone()
	must(cleared.clearTransparent())
	must(cleared.copyMemory())
	defer cleared.close()
	stage("clear-transparent", func() {
		im := over.clone()
		must(im.clearTransparent())
		must(im.copyMemory())
		im.close()
	})
	enc := DefaultEncoding
	for _, f := range []struct {
		name   string
		format params.Format
		q      int
		im     *vimage
	}{
		{"encode-jpeg", params.FormatJPEG, 80, small},
		{"encode-webp", params.FormatWebP, 80, small},
		{"encode-avif", params.FormatAVIF, 60, small},
		{"encode-png", params.FormatPNG, 0, small},
		{"encode-png-cutout", params.FormatPNG, 0, over},
		{"encode-png-cutout-cleared", params.FormatPNG, 0, cleared},
	} {
		stage(f.name, func() {
			_, err := f.im.encode(f.format, f.q, false, &enc)
			must(err)
		})
	}
}
