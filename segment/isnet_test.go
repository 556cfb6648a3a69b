package segment

import (
	"context"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/draw"
)

// Real-model tests. ISNet at 1024² takes about 4-6 s per image on 2 CPU
// cores, so the default run uses a subset; MATTE_SEGMENT_FULL=1 runs every
// image with both models.

func fullRun() bool { return os.Getenv("MATTE_SEGMENT_FULL") == "1" }

var shared struct {
	mu sync.Mutex
	m  map[string]*Session
}

// sharedSession returns one loaded session per preset for the whole test
// binary (loading costs 0.2-0.6 s and ~200 MB).
func sharedSession(t *testing.T, name string) (*Session, Preset) {
	t.Helper()
	p := needModel(t, name)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if s := shared.m[name]; s != nil {
		return s, p
	}
	s, err := NewSession(p, Options{ModelsDir: modelsDir, IntraOpThreads: runtime.NumCPU()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if shared.m == nil {
		shared.m = map[string]*Session{}
	}
	shared.m[name] = s
	t.Logf("%s loaded: %s, %s in, %s out", name, s.Info(), s.Info().InputType, s.Info().OutputType)
	return s, p
}

// loadImage decodes a PNG or JPEG (by content: photos/plants-1.jpg is a PNG)
// into non-premultiplied RGBA.
func loadImage(t *testing.T, path string) *image.NRGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := img.Bounds()
	n := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(n, n.Rect, img, b.Min, draw.Src)
	return n
}

// interpolator is the x/image kernel closest to the libvips one the
// pipeline will use (test-only approximation).
func interpolator(k Kernel) draw.Interpolator {
	switch k {
	case KernelNearest:
		return draw.NearestNeighbor
	case KernelLinear:
		return draw.BiLinear
	default: // cubic, mitchell, lanczos2, lanczos3
		return draw.CatmullRom
	}
}

// modelInput resizes img's colour (alpha ignored) to w×h packed RGB.
func modelInput(img *image.NRGBA, w, h int, k Kernel) []byte {
	opaque := image.NewRGBA(img.Rect)
	for i := 0; i < len(img.Pix); i += 4 {
		opaque.Pix[i], opaque.Pix[i+1], opaque.Pix[i+2], opaque.Pix[i+3] = img.Pix[i], img.Pix[i+1], img.Pix[i+2], 255
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	interpolator(k).Scale(dst, dst.Rect, opaque, opaque.Rect, draw.Src, nil)
	rgb := make([]byte, 0, w*h*3)
	for i := 0; i < len(dst.Pix); i += 4 {
		rgb = append(rgb, dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2])
	}
	return rgb
}

func resizeMask(mask []byte, mw, mh, w, h int, k Kernel) []byte {
	src := &image.Gray{Pix: mask, Stride: mw, Rect: image.Rect(0, 0, mw, mh)}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	interpolator(k).Scale(dst, dst.Rect, src, src.Rect, draw.Src, nil)
	return dst.Pix
}

func alphaOf(img *image.NRGBA) []byte {
	a := make([]byte, 0, len(img.Pix)/4)
	for i := 3; i < len(img.Pix); i += 4 {
		a = append(a, img.Pix[i])
	}
	return a
}

// quality returns the mean absolute error (0-1) and the IoU of the masks
// thresholded at 0.5.
func quality(pred, gt []byte) (mae, iou float64) {
	var sum, inter, union int
	for i := range pred {
		d := int(pred[i]) - int(gt[i])
		if d < 0 {
			d = -d
		}
		sum += d
		p, g := pred[i] >= 128, gt[i] >= 128
		if p && g {
			inter++
		}
		if p || g {
			union++
		}
	}
	mae = float64(sum) / float64(len(pred)) / 255
	if union == 0 {
		return mae, 1
	}
	return mae, float64(inter) / float64(union)
}

// segmentImage runs s on img the way the pipeline will: resize to the
// model input, segment, resize the mask back.
func segmentImage(t *testing.T, s *Session, p Preset, img *image.NRGBA) ([]byte, time.Duration) {
	t.Helper()
	rgb := modelInput(img, p.InputWidth, p.InputHeight, p.ResizeKernel)
	start := time.Now()
	mask, err := s.Segment(context.Background(), rgb, p.InputWidth, p.InputHeight)
	d := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	return resizeMask(mask, p.InputWidth, p.InputHeight, img.Rect.Dx(), img.Rect.Dy(), p.MaskKernel), d
}

func listPNG(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil || len(files) == 0 {
		t.Skipf("skipping: no images in %s", dir)
	}
	sort.Strings(files)
	return files
}

// Per-image floors for the synthetic set, a few points below what ISNet
// scores here (see the t.Logf lines; fp16 and int8 agree within 0.01 except
// where noted). They catch a grossly broken pipeline: a doubled sigmoid
// (IoU 0.12-0.33) or normalising on the wrong scale (IoU 0.00) fails every
// image, and ImageNet mean/std instead of imgly's fails synth-shapes (IoU
// 0.42). ISNet shrugs off subtler mistakes (a swapped channel order, mean 0
// std 1) on these images; the tiny-model tests in session_test.go pin
// those exactly instead. synth-glass has a soft matte that a binary-trained
// model does not reproduce (IoU@0.5 0.28): it only gets an MAE bound.
type floor struct{ maxMAE, minIoU float64 }

var synthFloors = map[string]floor{
	"synth-glass.png":        {0.25, 0},
	"synth-grayscale.png":    {0.03, 0.95},
	"synth-hair.png":         {0.06, 0.94},
	"synth-lowcontrast.png":  {0.03, 0.95},
	"synth-shapes.png":       {0.05, 0.90},
	"synth-subject-tall.png": {0.02, 0.97},
	"synth-subject-tiny.png": {0.03, 0.95},
	"synth-subject-wide.png": {0.02, 0.97},
	// The int8 model is much worse on this 96x64 image blown up to 1024²
	// (MAE 0.157, IoU 0.774; fp16: 0.008, 0.997).
	"isnet-int8/synth-subject-tiny.png": {0.25, 0.70},
}

// Aggregate bounds over the binary images run.
const (
	synthMeanIoUFloor = 0.93
	synthMeanMAECeil  = 0.04
)

// Photos against rembg's u2net cutouts (a reference, not ground truth).
// ISNet agrees on 7 of 8 photos (IoU 0.83-0.99); on plants-1 u2net keeps a
// single pot where ISNet keeps the whole shelf (IoU 0.05), hence a mean and
// a median floor rather than a per-image one.
const (
	photoMeanIoUFloor   = 0.75
	photoMedianIoUFloor = 0.85
)

// The subsets run without MATTE_SEGMENT_FULL=1 (about 4-6 s per image).
var (
	defaultSynth = map[string][]string{
		"isnet":      {"synth-hair.png", "synth-lowcontrast.png", "synth-shapes.png", "synth-subject-tiny.png", "synth-subject-wide.png"},
		"isnet-int8": {"synth-hair.png", "synth-shapes.png", "synth-subject-tall.png"},
	}
	defaultPhotos = []string{"animal-1", "car-1", "girl-2"}
)

func TestISNetCancelRunning(t *testing.T) {
	s, p := sharedSession(t, "isnet-int8")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Segment(ctx, make([]byte, p.InputWidth*p.InputHeight*3), p.InputWidth, p.InputHeight)
	el := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	// A full run takes seconds; the terminate flag stops it much sooner.
	if el > 2*time.Second {
		t.Fatalf("canceled inference took %v", el)
	}
	t.Logf("canceled after %v: %v", el, err)
	// The session (and its reused run options) must still work: the
	// quality test below runs on this same session.
}

func TestISNetSynthetic(t *testing.T) {
	dir := testdataDir(t)
	files := listPNG(t, filepath.Join(dir, "synthetic"))
	for _, name := range []string{"isnet", "isnet-int8"} {
		t.Run(name, func(t *testing.T) {
			s, p := sharedSession(t, name)
			var sumIoU, sumMAE float64
			var n int
			for _, f := range files {
				base := filepath.Base(f)
				if !fullRun() && !contains(defaultSynth[name], base) {
					continue
				}
				fl, ok := synthFloors[name+"/"+base]
				if !ok {
					fl, ok = synthFloors[base]
				}
				if !ok {
					fl = floor{0.10, 0.80}
				}
				img := loadImage(t, f)
				mask, d := segmentImage(t, s, p, img)
				mae, iou := quality(mask, alphaOf(img))
				t.Logf("%-24s %4dx%-4d MAE %.4f IoU@0.5 %.4f  (inference %v)", base, img.Rect.Dx(), img.Rect.Dy(), mae, iou, d.Round(time.Millisecond))
				if mae > fl.maxMAE {
					t.Errorf("%s: MAE %.4f above %.2f", base, mae, fl.maxMAE)
				}
				if iou < fl.minIoU {
					t.Errorf("%s: IoU %.4f below %.2f", base, iou, fl.minIoU)
				}
				if base != "synth-glass.png" {
					sumIoU += iou
					sumMAE += mae
					n++
				}
			}
			if n == 0 {
				t.Skip("skipping: none of the selected images present")
			}
			t.Logf("%s: mean over %d binary images: MAE %.4f IoU %.4f", name, n, sumMAE/float64(n), sumIoU/float64(n))
			if sumIoU/float64(n) < synthMeanIoUFloor {
				t.Errorf("mean IoU %.4f below %.2f", sumIoU/float64(n), synthMeanIoUFloor)
			}
			if sumMAE/float64(n) > synthMeanMAECeil {
				t.Errorf("mean MAE %.4f above %.2f", sumMAE/float64(n), synthMeanMAECeil)
			}
		})
	}
}

// Photos against rembg's u2net cutouts: a reference, not ground truth, so
// the floors only catch a broken pipeline.
func TestISNetPhotosVsReference(t *testing.T) {
	dir := testdataDir(t)
	s, p := sharedSession(t, "isnet")
	photos, _ := filepath.Glob(filepath.Join(dir, "photos", "*.jpg"))
	sort.Strings(photos)
	if len(photos) == 0 {
		t.Skip("skipping: no photos")
	}
	var ious []float64
	for _, f := range photos {
		base := strings.TrimSuffix(filepath.Base(f), ".jpg")
		if !fullRun() && !contains(defaultPhotos, base) {
			continue
		}
		refPath := filepath.Join(dir, "photos-ref", base+".png")
		if _, err := os.Stat(refPath); err != nil {
			t.Logf("%s: no reference, skipped", base)
			continue
		}
		img := loadImage(t, f)
		ref := loadImage(t, refPath)
		if ref.Rect != img.Rect {
			t.Fatalf("%s: reference %v, photo %v", base, ref.Rect, img.Rect)
		}
		mask, d := segmentImage(t, s, p, img)
		mae, iou := quality(mask, alphaOf(ref))
		t.Logf("%-14s %4dx%-4d vs u2net: MAE %.4f IoU@0.5 %.4f  (inference %v)", base, img.Rect.Dx(), img.Rect.Dy(), mae, iou, d.Round(time.Millisecond))
		ious = append(ious, iou)
	}
	if len(ious) == 0 {
		t.Skip("skipping: no photo with a reference")
	}
	var sum float64
	for _, v := range ious {
		sum += v
	}
	mean := sum / float64(len(ious))
	sort.Float64s(ious)
	median := ious[len(ious)/2]
	if len(ious)%2 == 0 {
		median = (ious[len(ious)/2-1] + ious[len(ious)/2]) / 2
	}
	t.Logf("IoU vs u2net over %d photos: mean %.4f, median %.4f, worst %.4f", len(ious), mean, median, ious[0])
	if mean < photoMeanIoUFloor {
		t.Errorf("mean IoU %.4f below %.2f", mean, photoMeanIoUFloor)
	}
	if median < photoMedianIoUFloor {
		t.Errorf("median IoU %.4f below %.2f", median, photoMedianIoUFloor)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cpuTime is the process's user+system CPU time (every thread).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkISNet times one inference (Segment only: normalisation, run,
// post-processing) per model and intra-op thread count:
//
//	go test -run '^$' -bench ISNet -benchtime 3x ./segment/
//
// On the CPU by default; $MATTE_SEGMENT_PROVIDER (cuda, tensorrt) runs it
// on that execution provider instead, strictly: a provider that cannot be
// used fails the benchmark rather than falling back to the CPU
// (bench/gpu.sh uses it on a GPU machine).
func BenchmarkISNet(b *testing.B) {
	provider := os.Getenv("MATTE_SEGMENT_PROVIDER")
	for _, name := range []string{"isnet", "isnet-int8"} {
		for _, threads := range []int{1, 2} {
			b.Run(name+"/threads="+string(rune('0'+threads)), func(b *testing.B) {
				p := needModel(b, name)
				s, err := NewSession(p, Options{ModelsDir: modelsDir, IntraOpThreads: threads,
					Provider: provider, Strict: provider != ""})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if err := s.Load(); err != nil {
					b.Fatal(err)
				}
				b.Logf("execution provider: %s", s.Info().Provider)
				rgb := make([]byte, p.InputWidth*p.InputHeight*3)
				for i := range rgb {
					rgb[i] = byte(i * 7 % 251)
				}
				ctx := context.Background()
				if _, err := s.Segment(ctx, rgb, p.InputWidth, p.InputHeight); err != nil { // warm-up
					b.Fatal(err)
				}
				cpu0 := cpuTime()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := s.Segment(ctx, rgb, p.InputWidth, p.InputHeight); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				// CPU seconds per inference: unlike wall time, barely moved by
				// other processes competing for the cores.
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			})
		}
	}
}
