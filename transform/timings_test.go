package transform

import (
	"context"
	"testing"
	"time"

	"github.com/jebosio/matte/params"
)

// slowMatter is redMatter taking at least delay per matte, as a model would.
type slowMatter struct {
	redMatter
	delay time.Duration
}

func (m *slowMatter) Ready(model, sourceHash string) error { return nil }

func (m *slowMatter) Matte(ctx context.Context, model, sourceHash string, private bool, input func() ([]byte, error)) ([]byte, error) {
	time.Sleep(m.delay)
	return m.redMatter.Matte(ctx, model, sourceHash, private, input)
}

func TestStageNames(t *testing.T) {
	want := []string{"decode", "inference", "resize", "composite", "encode"}
	if int(NumStages) != len(want) {
		t.Fatalf("NumStages = %d, want %d", NumStages, len(want))
	}
	for i, name := range want {
		if got := Stage(i).String(); got != name {
			t.Errorf("Stage(%d) = %q, want %q", i, got, name)
		}
	}
	if got := NumStages.String(); got != "unknown" {
		t.Errorf("NumStages.String() = %q", got)
	}
}

func TestProcessTimings(t *testing.T) {
	const delay = 30 * time.Millisecond
	pl := NewPipeline(Options{Matter: &slowMatter{delay: delay}})
	src := encodeJPEG(t, subjectImage())
	info, err := pl.Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	run := func(p params.Params) Timings {
		t.Helper()
		start := time.Now()
		res, err := pl.Process(context.Background(), &Request{Source: src, Info: info, Params: p, Format: params.FormatPNG})
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		tm := res.Timings
		for s, d := range tm {
			if d < 0 {
				t.Errorf("%s = %v, negative", Stage(s), d)
			}
		}
		if tm.Total() > elapsed {
			t.Errorf("stages add up to %v, more than the %v Process took", tm.Total(), elapsed)
		}
		return tm
	}

	plain := run(params.Params{Width: 200})
	if plain[StageInference] != 0 {
		t.Errorf("a resize spent %v in inference", plain[StageInference])
	}
	if plain[StageDecode] <= 0 || plain[StageEncode] <= 0 {
		t.Errorf("decode %v, encode %v: want both > 0", plain[StageDecode], plain[StageEncode])
	}

	removal := run(params.Params{Width: 200, Removal: params.Removal{Enabled: true}})
	if removal[StageInference] < delay {
		t.Errorf("inference = %v, want at least the matter's %v", removal[StageInference], delay)
	}
	// The matte's time is taken off removal-load's own stage.
	if removal[StageDecode] >= delay {
		t.Errorf("decode = %v includes the matte's %v", removal[StageDecode], delay)
	}
	if removal[StageComposite] <= 0 || removal[StageResize] <= 0 {
		t.Errorf("composite %v, resize %v: want both > 0", removal[StageComposite], removal[StageResize])
	}
}
