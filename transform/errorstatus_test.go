package transform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// TestFailureStatusFromSource: whose fault a failed step is comes from the
// source, not from the error's text, which libvips' shared error buffer
// may have taken from another request: a step that does not decode
// failing over a source that decodes whole is an internal error naming the
// step whatever its text says; over a source that does not decode, a
// corrupt source whatever its text says (even none).
func TestFailureStatusFromSource(t *testing.T) {
	whole := encodePNG(t, halves(300, 200, red, green))
	cut := whole[:len(whole)*2/3]
	adjust := stepNamed("adjust")
	cases := []struct {
		name   string
		s      step
		source []byte
		msg    string
		status int
	}{
		{"whole source, a decoder's text", adjust, whole, "vipspng: libpng read error", http.StatusInternalServerError},
		{"whole source, a missing codec's text", adjust, whole, "heif: Unsupported feature: Unsupported codec (HEVC decoder has not been built in)", http.StatusInternalServerError},
		{"cut source, no text", adjust, cut, "libvips failed", http.StatusUnprocessableEntity},
		{"cut source, another step's text", adjust, cut, "recomb: bands in must equal matrix width", http.StatusUnprocessableEntity},
		{"load step, whole source", loadStep, whole, "libvips failed", http.StatusUnprocessableEntity},
	}
	for _, c := range cases {
		err := failedIn(context.Background(), c.s, c.source, errors.New(c.msg))
		if got := params.AsErrors(err).Status(); got != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, got, err, c.status)
		}
	}
}

// TestConcurrentFailuresKeepTheirStatus: two kinds of corrupt source at
// once, a cut PNG whose pixels are first read in the adjust step
// (equalize) and a cut JPEG whose are read while loading: each is a 422
// corrupt_source every time. When the status was read from libvips'
// process-wide error buffer, about one in seven came back a 500 ("adjust:
// libvips failed": another thread had taken the message).
func TestConcurrentFailuresKeepTheirStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("a stress of 300 failing requests")
	}
	pl := NewPipeline(Options{Limits: Limits{MaxSourcePixels: 50e6, MaxOutputDimension: 8192}})
	png := encodePNG(t, halves(600, 400, red, green))
	jpg := encodeJPEG(t, halves(600, 400, red, blue))
	jobs := []struct {
		src []byte
		p   params.Params
	}{
		{png[:len(png)*2/3], params.Params{Equalize: true, Format: params.FormatPNG}},
		{jpg[:len(jpg)*2/3], params.Params{Format: params.FormatPNG}},
	}
	var mu sync.Mutex
	wrong := map[string]int{}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := jobs[g%2]
			s, err := pl.Probe(j.src)
			if err != nil {
				t.Error(err)
				return
			}
			for range 75 {
				_, err := pl.Process(context.Background(), &Request{Source: j.src, Info: s, Params: j.p, Format: params.FormatPNG})
				if pe := params.AsErrors(err); pe.Status() != http.StatusUnprocessableEntity || pe[0].Code != params.CodeCorruptSource {
					mu.Lock()
					wrong[fmt.Sprintf("source %d: %d %v", g%2, pe.Status(), err)]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for k, n := range wrong {
		t.Errorf("%d x %s, want 422 corrupt_source", n, k)
	}
}

// brokenLastFrameWebP is a 64x32 lossless animated WebP of three frames
// whose last frame's bitstream is scrambled: its header and first frames
// decode, the last does not.
func brokenLastFrameWebP(t *testing.T) []byte {
	t.Helper()
	src := losslessAnimatedWebP(t, 64, 32, 3, func(i int) []byte {
		pix := make([]byte, 64*32*3)
		for k := range pix {
			pix[k] = byte(k*7 + i*50 + k/192*13)
		}
		return pix
	})
	last := bytes.LastIndex(src, []byte("ANMF"))
	vp8l := bytes.Index(src[last:], []byte("VP8L"))
	if last < 0 || vp8l < 0 {
		t.Fatal("no VP8L chunk in the last ANMF")
	}
	for k := last + vp8l + 8 + 5; k < len(src); k++ { // past the chunk header and VP8L's own
		src[k] ^= 0x5a
	}
	return src
}

// TestAnimationDecodeFailureIsSources: an animated WebP whose last frame
// does not decode is a corrupt source when that frame is decoded, as an
// animation or as a still of it, although its first frame (the source
// that failed checks) decodes; its first frame alone is answered.
func TestAnimationDecodeFailureIsSources(t *testing.T) {
	src := brokenLastFrameWebP(t)
	pl := NewPipeline(Options{})
	s, err := pl.Probe(src)
	var pe *params.Error
	if errors.As(err, &pe) && pe.Status == http.StatusUnprocessableEntity {
		// Debian's libvips 8.14 (libwebp 1.2) checks every frame when it
		// opens an animated WebP: the source is refused at once, a client
		// error as well.
		t.Skipf("this libvips (%s) refuses the whole WebP at the probe (422): no frame to answer", vips.Info().Version)
	}
	if err != nil || s.Pages != 3 {
		t.Fatalf("probe: %+v %v", s, err)
	}
	for _, c := range []struct {
		q      string
		status int
	}{
		{"fm=webp", http.StatusUnprocessableEntity},
		{"fm=png&frame=3", http.StatusUnprocessableEntity},
		{"fm=png", http.StatusOK},
	} {
		p := mustParse(t, c.q)
		_, err := pl.Process(context.Background(), &Request{Source: src, Info: s, Params: p, Format: NegotiateFormat(p, "", s)})
		status := http.StatusOK
		if err != nil {
			status = params.AsErrors(err).Status()
		}
		if status != c.status {
			t.Errorf("%s: %d %v, want %d", c.q, status, err, c.status)
		}
	}
}
