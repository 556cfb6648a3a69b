package transform

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jebosio/matte/internal/procstat"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// Regression tests for the pipeline's resource bounds and decode
// strictness (issue 16).

// zeroPNG is a w x h 8-bit greyscale PNG of zeros, written row by row so
// that a huge one costs little to make (50000x999 is about 50 KB).
func zeroPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	chunk := func(kind string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(kind))
		crc.Write(data)
		out.WriteString(kind)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth; colour type 0 (grey), deflate, no filter, no interlace
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+w) // filter byte 0, then the pixels
	for y := 0; y < h; y++ {
		if _, err := zw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// TestEnlargedSmartCropIsBounded is the memory bomb of issue 16: a
// 50000x999 all-zero PNG (under 50 MP) cropped by entropy to 8192x8192
// made libvips render the enlarged 410000x8192 image whole before the crop,
// growing past 10 GB. The crop is now chosen at source scale. The request
// runs in a child process, so that libvips' memory high-water mark is its
// own and a regression is killed at 1 GiB instead of taking the machine.
func TestEnlargedSmartCropIsBounded(t *testing.T) {
	if os.Getenv("MATTE_TEST_BOMB_CHILD") == "1" {
		bombChild(t)
		return
	}
	if testing.Short() {
		t.Skip("runs a 67 MP encode in a child process")
	}
	const rssLimitKiB = 1 << 20
	cmd := exec.Command(os.Args[0], "-test.run=^TestEnlargedSmartCropIsBounded$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "MATTE_TEST_BOMB_CHILD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("child failed: %v\n%s", err, out.String())
			}
			hw, rss := valueOf(t, out.String(), "highwater"), valueOf(t, out.String(), "vmhwm")
			t.Logf("child: peak RSS %d MiB, libvips high-water %d MiB", rss>>20, hw>>20)
			// The source rendered once (50 MP x 1 band) plus strips: the
			// enlarged image would be 410000x8192 = 3.2 GiB.
			if hw > 256<<20 || rss > 512<<20 {
				t.Errorf("libvips held %d MiB at once and the process peaked at %d MiB, want at most 256 and 512", hw>>20, rss>>20)
			}
			return
		case <-tick.C:
			if rss := procstat.StatusKiB(cmd.Process.Pid, "VmRSS"); rss > rssLimitKiB {
				cmd.Process.Kill()
				<-done
				t.Fatalf("child passed %d MiB of RSS; killed", rss>>10)
			}
		}
	}
}

func bombChild(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxSourcePixels: 50e6, MaxOutputDimension: 8192}})
	src := zeroPNG(t, 50000, 999)
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: mustParse(t, "fit=crop&w=8192&h=8192&crop=entropy&fm=jpg"), Format: params.FormatJPEG})
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != 8192 || res.Height != 8192 {
		t.Fatalf("output %dx%d, want 8192x8192", res.Width, res.Height)
	}
	fmt.Printf("highwater=%d\nvmhwm=%d\n", vips.TrackedMemoryHighwater(), procstat.StatusKiB(os.Getpid(), "VmHWM")<<10)
}

// valueOf reads "name=N" from the child's output.
func valueOf(t *testing.T, out, name string) int64 {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	t.Fatalf("no %s in the child's output:\n%s", name, out)
	return 0
}

// TestSmartCropEnlargesTheChosenBox checks the crop that replaced the
// enlarged one: an entropy crop of a wide image enlarged to a square keeps
// the busy part of the image.
func TestSmartCropEnlargesTheChosenBox(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 600, 50))
	for y := 0; y < 50; y++ {
		for x := 0; x < 600; x++ {
			c := color.NRGBA{200, 200, 200, 255}
			if x >= 450 && x < 500 && (x+y)%4 < 2 { // stripes: the only detail
				c = color.NRGBA{0, 0, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 4000}})
	res, out := run(t, pl, encodePNG(t, img), "fit=crop&w=400&h=400&crop=entropy", "")
	if res.Width != 400 || res.Height != 400 {
		t.Fatalf("output %dx%d, want 400x400", res.Width, res.Height)
	}
	var dark int
	for i := 0; i < len(out.Pix); i += 4 {
		if out.Pix[i] < 100 {
			dark++
		}
	}
	if dark < 400*400/10 {
		t.Errorf("the crop missed the stripes: %d dark pixels of %d", dark, 400*400)
	}
}

// TestWorkingPixelsLimit: a render over Limits.MaxWorkingPixels is a 400
// output_too_large, not an allocation.
func TestWorkingPixelsLimit(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxWorkingPixels: 100 * 100}})
	src := encodeJPEG(t, halves(200, 100, red, blue))
	for _, q := range []string{"w=150", "w=300&rot=90", "trim=auto"} {
		s, _ := pl.Probe(src)
		_, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: mustParse(t, q), Format: params.FormatJPEG})
		es := params.AsErrors(err)
		if es.Status() != http.StatusBadRequest || es[0].Code != params.CodeOutputTooLarge {
			t.Errorf("%s: got %v, want 400 %s", q, err, params.CodeOutputTooLarge)
		}
	}
	// A turned output at the cap is made (scaled down into it: see
	// TestFreeTurnWithinOutputCap).
	small := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 200}})
	if res, _ := run(t, small, src, "w=200&h=200&fit=scale&rot=45&fm=png", ""); res.Width > 200 || res.Width < 190 {
		t.Errorf("turned output %dx%d", res.Width, res.Height)
	}
	if got := (Limits{}).workingPixels(); got != 12288*12288 {
		t.Errorf("default MaxWorkingPixels %d, want (1.5 x 8192)²", got)
	}
	if got := (Limits{MaxOutputDimension: 10000}).workingPixels(); got != 15000*15000 {
		t.Errorf("MaxWorkingPixels for 10000 px outputs: %d, want 15000²", got)
	}
	if got := (Limits{MaxSourcePixels: 200e6}).workingPixels(); got != 200e6 {
		t.Errorf("MaxWorkingPixels below the source limit: %d", got)
	}
}

// TestFreeTurnWithinOutputCap: a turn by an angle that is not a quarter
// grows the output to the turned bounding box, which stays within
// MaxOutputDimension (README: output sides are capped), the whole result
// scaled down to fit as a size over the cap is; the fit=fill canvas keeps
// its size, and Extras.KeepCanvas, which brings the image back to its
// size before the turn, is not shrunk.
func TestFreeTurnWithinOutputCap(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 300}})
	src := encodeJPEG(t, halves(400, 200, red, blue))
	for _, tc := range []struct {
		query      string
		extras     params.Extras
		minW, minH int // the result is at most 300 a side, at least these
		maxW, maxH int // 0: 300
	}{
		{query: "w=300&h=300&fit=scale&rot=45&rot-type=pivot", minW: 290, minH: 290},
		{query: "w=300&h=300&fit=scale&rot=315&rot-type=pivot", minW: 290, minH: 290},
		{query: "w=300&h=100&fit=crop&rot=30&rot-type=pivot", minW: 290},
		{query: "w=300&rot=0.5&rot-type=pivot", minW: 290},
		{query: "w=300&h=300&fit=fill&rot=45&rot-type=pivot", minW: 300, minH: 300},
		{query: "w=300&h=300&fit=scale&rot=45&rot-type=pivot", extras: params.Extras{KeepCanvas: true}, minW: 300, minH: 300},
		{query: "w=300&rot=45&rot-type=pivot", extras: params.Extras{KeepCanvas: true}, minW: 300, minH: 150, maxH: 150},
		// Well under the cap: nothing is scaled.
		{query: "w=100&h=100&fit=scale&rot=45&rot-type=pivot", minW: 141, minH: 141, maxW: 143, maxH: 143},
	} {
		p := mustParse(t, tc.query+"&fm=png")
		s, _ := pl.Probe(src)
		res, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Extras: tc.extras, Format: params.FormatPNG})
		if err != nil {
			t.Errorf("%s %+v: %v", tc.query, tc.extras, err)
			continue
		}
		maxW, maxH := cmp.Or(tc.maxW, 300), cmp.Or(tc.maxH, 300)
		if res.Width > maxW || res.Height > maxH || res.Width < tc.minW || res.Height < tc.minH {
			t.Errorf("%s %+v: %dx%d, want at least %dx%d, at most %dx%d", tc.query, tc.extras, res.Width, res.Height, tc.minW, tc.minH, maxW, maxH)
		}
	}
}

// TestTimeoutStopsLibvips: a blur far too costly for its deadline (the cost
// cap turned off) stops within a tile of the deadline, through libvips'
// own cancellation, instead of running on (it took 31 s past a 30 s
// timeout); a departed client (cancelled context) stops it too.
func TestTimeoutStopsLibvips(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxBlurSigma: 1e6}})
	src := encodeJPEG(t, halves(1024, 1024, red, blue))
	s, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	req := &Request{Source: src, Info: s, Params: mustParse(t, "w=2048&h=2048&fit=scale&blur=2000"), Format: params.FormatJPEG}
	for _, tc := range []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		status int
		code   string
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, http.StatusServiceUnavailable, params.CodeTimeout},
		{"client gone", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, 499, "client_closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := pl.Process(ctx, req)
			took := time.Since(start)
			es := params.AsErrors(err)
			if es.Status() != tc.status || es[0].Code != tc.code {
				t.Fatalf("got %v, want %d %s", err, tc.status, tc.code)
			}
			if tc.status == http.StatusServiceUnavailable && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("the timeout does not carry its cause: %v", err)
			}
			t.Logf("stopped after %v", took.Round(time.Millisecond))
			if took > 200*time.Millisecond+time.Second {
				t.Errorf("stopped %v after the start, over 1 s past the 200 ms deadline", took)
			}
		})
	}
}

// TestBlurCostIsCapped: blur=2000 on a 2048² output (sigma 200) runs on a
// reduced copy, so it costs about what sigma 10 costs instead of 31 s; and
// the result matches the full-size blur within rounding.
func TestBlurCostIsCapped(t *testing.T) {
	src := encodeJPEG(t, halves(1024, 1024, red, blue))
	pl := NewPipeline(Options{})
	// The cost is compared with the blur at the cap (blur=100, sigma 10)
	// on the same image, in this process's CPU time, so that a loaded
	// machine slows both alike: a Gaussian costs in proportion to its
	// sigma, so the uncapped blur=2000 (sigma 200) costs about 20 times
	// the reference, the capped one about the same.
	cpu := func(q string) (Result, time.Duration) {
		start := procstat.CPUTime(os.Getpid())
		res, _ := run(t, pl, src, q, "")
		return res, procstat.CPUTime(os.Getpid()) - start
	}
	_, atCap := cpu("w=2048&h=2048&fit=scale&blur=100")
	res, capped := cpu("w=2048&h=2048&fit=scale&blur=2000")
	t.Logf("CPU: blur=100 %v, blur=2000 %v", atCap, capped)
	if capped > 4*atCap+500*time.Millisecond {
		t.Errorf("blur=2000 at 2048² took %v of CPU, blur=100 %v: the blur is not capped", capped, atCap)
	}
	if res.Width != 2048 || res.Height != 2048 {
		t.Errorf("output %dx%d", res.Width, res.Height)
	}

	// A textured image (broad waves and fine stripes): the capped and the
	// full blur against each other. They differ most at the edges, where
	// the full blur repeats the edge row over 3 sigma.
	tex := image.NewNRGBA(image.Rect(0, 0, 480, 320))
	for i := range tex.Pix {
		x, y, c := float64((i/4)%480), float64((i/4)/480), float64(i%4)
		tex.Pix[i] = uint8(128 + 60*math.Sin(x/23+c)*math.Cos(y/17) + 40*math.Sin((x+2*y)/3+c))
		if i%4 == 3 {
			tex.Pix[i] = 255
		}
	}
	png := encodePNG(t, tex)
	full := NewPipeline(Options{Limits: Limits{MaxBlurSigma: 1e6}})
	for _, q := range []string{"blur=300&fm=png", "blur=800&fm=png"} {
		_, a := run(t, pl, png, q, "")
		_, b := run(t, full, png, q, "")
		var sum, worst float64
		for i := range a.Pix {
			d := float64(a.Pix[i]) - float64(b.Pix[i])
			sum, worst = sum+max(d, -d), max(worst, d, -d)
		}
		mean := sum / float64(len(a.Pix))
		t.Logf("%s: capped vs full blur: mean %.2f, max %.0f (of 255)", q, mean, worst)
		if mean > 1.5 || worst > 20 {
			t.Errorf("%s: the capped blur is %.2f (max %.0f) from the full one", q, mean, worst)
		}
	}
}

// TestTurnsOnFullSizeSources: a turn or a vertical flip without a resize
// read a sequentially decoded source out of order and failed with 422
// corrupt_source ("out of order read").
func TestTurnsOnFullSizeSources(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1200, 900))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7 + i/4800)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 8192}})
	for _, src := range []struct {
		name string
		buf  []byte
	}{{"jpeg", encodeJPEG(t, img)}, {"png", encodePNG(t, img)}} {
		for _, tc := range []struct {
			query string
			w, h  int
		}{
			{"rot=90&rot-type=pivot", 900, 1200},
			{"rot=270&rot-type=pivot", 900, 1200},
			{"rot=33&rot-type=pivot", 1496, 1408},
			{"flip=v", 1200, 900},
			{"rot=90&w=2000&rot-type=pivot", 2000, 2667},
		} {
			t.Run(src.name+" "+tc.query, func(t *testing.T) {
				res, _ := run(t, pl, src.buf, tc.query, "")
				if !within(res.Width, tc.w, 1) || !within(res.Height, tc.h, 1) {
					t.Errorf("output %dx%d, want %dx%d", res.Width, res.Height, tc.w, tc.h)
				}
			})
		}
	}
}

// lyingJPEG is a 16x16 JPEG whose frame header claims 7000x7000.
func lyingJPEG(t testing.TB) []byte {
	buf := encodeJPEG(t, halves(16, 16, red, blue))
	for i := 0; i+9 < len(buf); i++ {
		if buf[i] == 0xFF && buf[i+1] == 0xC0 { // SOF0: length, precision, height, width
			binary.BigEndian.PutUint16(buf[i+5:], 7000)
			binary.BigEndian.PutUint16(buf[i+7:], 7000)
			return buf
		}
	}
	t.Fatal("no SOF0 marker")
	return nil
}

// TestTruncatedSourcesAreCorrupt: files whose data ends before their header
// says answer 422 corrupt_source, as the README documents, whichever
// decode path they take; a lying 16x16 JPEG answered 200 with a grey
// 7000x7000 image.
func TestTruncatedSourcesAreCorrupt(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxSourcePixels: 50e6, MaxOutputDimension: 8192}})
	bigJPEG := encodeJPEG(t, halves(1200, 900, red, blue))
	bigPNG := encodePNG(t, halves(1200, 900, red, green))
	lyingPNG := encodePNG(t, halves(16, 16, red, green))
	binary.BigEndian.PutUint32(lyingPNG[16:], 7000) // IHDR width and height
	binary.BigEndian.PutUint32(lyingPNG[20:], 7000)
	ihdrCRC := crc32.ChecksumIEEE(lyingPNG[12:29])
	binary.BigEndian.PutUint32(lyingPNG[29:], ihdrCRC)
	for _, tc := range []struct {
		name, query string
		src         []byte
	}{
		{"lying jpeg, shrink-on-load", "w=100", lyingJPEG(t)},
		{"lying jpeg, full size", "fm=png", lyingJPEG(t)},
		{"lying jpeg, no shrink", "w=6000", lyingJPEG(t)},
		{"jpeg cut in its scan", "w=300", bigJPEG[:len(bigJPEG)*2/3]},
		{"jpeg cut in its scan, full size", "", bigJPEG[:len(bigJPEG)*2/3]},
		{"lying png", "w=100", lyingPNG},
		{"png cut in its data", "w=300", bigPNG[:len(bigPNG)*2/3]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pl.Probe(tc.src)
			if err == nil {
				p := mustParse(t, tc.query)
				_, err = pl.Process(context.Background(), &Request{Source: tc.src, Info: s, Params: p, Format: NegotiateFormat(p, "", s)})
			}
			es := params.AsErrors(err)
			if es.Status() != http.StatusUnprocessableEntity || es[0].Code != params.CodeCorruptSource {
				t.Fatalf("got %v, want 422 %s", err, params.CodeCorruptSource)
			}
		})
	}
}

// TestZoomCutsBeforeEnlarging: a focal-point zoom (fp-z up to 100)
// enlarges the whole image around the point, and a box of one shape over
// a far narrower image enlarges it past the box; the plan cuts the part
// the crop shows first (cutFirst), so neither resize grows without bound.
// Resizing a 6000x1 strip 800 x 100 times (4,800,000 x 80,000), or a
// 1x60000 column 2000 times, passes libvips' coordinate limit
// (100,000,000): a 422 corrupt_source for a valid request.
func TestZoomCutsBeforeEnlarging(t *testing.T) {
	pl := NewPipeline(Options{Limits: Limits{MaxOutputDimension: 2000}})
	strip := encodePNG(t, halves(6000, 1, red, blue))
	for _, tc := range []struct {
		query string
		w, h  int
		c     color.NRGBA
	}{
		{"w=800&h=800&fit=crop&crop=focalpoint&fp-x=0.7&fp-z=100", 800, 800, blue},
		{"w=800&h=800&fit=crop&crop=focalpoint&fp-x=0.2&fp-y=0.9&fp-z=100", 800, 800, red},
		// The point is in the turned frame (rot-type=pivot turns the frame
		// by quarter turns): imgix's rot=270 (counter-clockwise, so 90
		// clockwise), 0.2 down is 0.2 from the source's left (red); rot=90,
		// from its right.
		{"w=800&h=800&fit=crop&crop=focalpoint&fp-y=0.2&fp-z=100&rot=270&rot-type=pivot", 800, 800, red},
		{"w=800&h=800&fit=crop&crop=focalpoint&fp-y=0.2&fp-z=100&rot=90&rot-type=pivot", 800, 800, blue},
		{"w=2000&h=20&fit=crop&crop=focalpoint&fp-x=0.3&fp-z=50&rect=0,0,3000,1", 2000, 20, red},
	} {
		res, img := run(t, pl, strip, tc.query+"&fm=png", "")
		if res.Width != tc.w || res.Height != tc.h {
			t.Errorf("%s: %dx%d, want %dx%d", tc.query, res.Width, res.Height, tc.w, tc.h)
			continue
		}
		checkSamples(t, img, []sample{{0, 0, tc.c}, {tc.w / 2, tc.h / 2, tc.c}, {tc.w - 1, tc.h - 1, tc.c}}, 40)
	}
	// A 1x60000 column in a 2000x1 box: the resize would be 2000 x 120,000,000.
	col := encodePNG(t, halves(1, 60000, red, red))
	if res, img := run(t, pl, col, "w=2000&h=1&fit=crop&fm=png", ""); res.Width != 2000 || res.Height != 1 {
		t.Errorf("column in a row: %dx%d, want 2000x1", res.Width, res.Height)
	} else {
		checkSamples(t, img, []sample{{0, 0, red}, {1999, 0, red}}, 40)
	}
}
