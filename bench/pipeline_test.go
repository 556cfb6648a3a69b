package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform"
	"github.com/zeebo/blake3"
)

// corpusRoot is the shared test data: ../../shared/testdata from this
// package (i.e. /work/shared/testdata), or $MATTE_BENCH_CORPUS (the harness
// sets it to its -root); scenario files are under perf/.
var corpusRoot = func() string {
	if d := os.Getenv("MATTE_BENCH_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "testdata")
}()

var sources sync.Map // file -> []byte

// source reads a scenario's file once, skipping the benchmark when the shared
// test data is absent.
func source(b *testing.B, file string) []byte {
	b.Helper()
	if v, ok := sources.Load(file); ok {
		return v.([]byte)
	}
	buf, err := os.ReadFile(filepath.Join(corpusRoot, file))
	if err != nil {
		b.Skipf("shared test data not found (want %s): %v", filepath.Join(corpusRoot, file), err)
	}
	sources.Store(file, buf)
	return buf
}

// newPipeline is the pipeline as the Caddy handler builds it with its
// defaults (50 MiB, 50 MP, 8192 px, 256 frames).
func newPipeline() *transform.Pipeline {
	return transform.NewPipeline(transform.Options{Limits: transform.Limits{
		MaxSourceBytes: 50 << 20, MaxSourcePixels: 50e6, MaxOutputDimension: 8192, MaxFrames: 256,
	}})
}

// prepared is a scenario parsed and probed once, as the handler does per
// request before Process.
type prepared struct {
	req transform.Request
}

func prepare(b *testing.B, pl *transform.Pipeline, s Scenario) prepared {
	b.Helper()
	buf := source(b, s.File)
	params, err := imgix.ParseQuery(s.MatteQuery())
	if err != nil {
		b.Fatalf("%s: parse: %v", s.ID, err)
	}
	src, err := pl.Probe(buf)
	if err != nil {
		b.Fatalf("%s: probe: %v", s.ID, err)
	}
	return prepared{req: transform.Request{Source: buf, Info: src, Params: params, Format: transform.NegotiateFormat(params, "", src)}}
}

func transformScenarios() []Scenario {
	var out []Scenario
	for _, s := range Scenarios {
		if s.InProcess() {
			out = append(out, s)
		}
	}
	return out
}

// BenchmarkProcess is the whole in-process pipeline per scenario (decode with
// shrink-on-load, sRGB, encode), one image at a time: ms/op is the
// single-thread cost, comparable to the reference's "single-thread libvips in
// process" figures.
func BenchmarkProcess(b *testing.B) {
	pl := newPipeline()
	for _, s := range transformScenarios() {
		b.Run(s.ID, func(b *testing.B) {
			p := prepare(b, pl, s)
			ctx := context.Background()
			var out int
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := pl.Process(ctx, &p.req)
				if err != nil {
					b.Fatal(err)
				}
				out = len(res.Body)
			}
			b.ReportMetric(float64(out), "out-bytes")
		})
	}
}

// BenchmarkProcessParallel runs Process from GOMAXPROCS goroutines (use
// -cpu 2 for the 2-thread figure); img/s is comparable to the reference's
// "libvips in-process loop, 2 threads" column and is the ceiling the HTTP
// server can approach.
func BenchmarkProcessParallel(b *testing.B) {
	pl := newPipeline()
	for _, s := range transformScenarios() {
		b.Run(s.ID, func(b *testing.B) {
			p := prepare(b, pl, s)
			ctx := context.Background()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := pl.Process(ctx, &p.req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// BenchmarkProbe is the per-request header read (type sniff and libvips
// header parse, no pixels decoded) for each corpus file.
func BenchmarkProbe(b *testing.B) {
	pl := newPipeline()
	for _, file := range []string{"perf/photo-1mp.jpg", "perf/photo-4mp.jpg", "perf/photo-12mp.jpg", "perf/photo-alpha.png"} {
		b.Run(filepath.Base(file), func(b *testing.B) {
			buf := source(b, file)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := pl.Probe(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNegotiateFormat is format negotiation with a browser-like Accept
// header and auto=format.
func BenchmarkNegotiateFormat(b *testing.B) {
	p := params.Params{Width: 800, AutoFormat: true}
	src := transform.Source{Type: params.FormatJPEG, Width: 2560, Height: 1600}
	const accept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	for i := 0; i < b.N; i++ {
		_ = transform.NegotiateFormat(p, accept, src)
	}
}

// BenchmarkSourceHash is the handler's hash of the whole source on every
// miss (caddymodule.sourceHash: BLAKE3-256 since cache metadata version 2),
// against the SHA-256 it replaced, on the scenario sources and on 1, 4 and
// 12 MiB of random bytes.
func BenchmarkSourceHash(b *testing.B) {
	type input struct {
		name string
		buf  []byte
	}
	var inputs []input
	for _, file := range []string{"perf/photo-4mp.jpg", "perf/photo-12mp.jpg"} {
		if buf, err := os.ReadFile(filepath.Join(corpusRoot, file)); err == nil {
			inputs = append(inputs, input{filepath.Base(file), buf})
		}
	}
	for _, mib := range []int{1, 4, 12} {
		buf := make([]byte, mib<<20)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		inputs = append(inputs, input{fmt.Sprintf("random-%dMiB", mib), buf})
	}
	for _, in := range inputs {
		b.Run(in.name+"/sha256", func(b *testing.B) {
			b.SetBytes(int64(len(in.buf)))
			for b.Loop() {
				_ = sha256.Sum256(in.buf)
			}
		})
		b.Run(in.name+"/blake3", func(b *testing.B) {
			b.SetBytes(int64(len(in.buf)))
			for b.Loop() {
				_ = blake3.Sum256(in.buf)
			}
		})
	}
}
