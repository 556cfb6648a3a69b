package caddymodule

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/internal/durable/durabletest"
)

// TestRateUnits pins remove.bg's rate-limit table (its API reference, Rate
// Limit: "Input image, Megapixels, Effective Rate Limit" at 500 a minute).
func TestRateUnits(t *testing.T) {
	for _, tc := range []struct {
		w, h      int
		units     float64
		perMinute int
	}{
		{625, 400, 1, 500},
		{1200, 800, 1, 500},
		{1600, 1200, 2, 250},
		{2500, 1600, 4, 125},
		{4000, 2500, 10, 50},
		{6250, 4000, 25, 20},
		{8000, 6250, 50, 10},
		{1, 1, 1, 500},
		{1000, 1001, 2, 250}, // a pixel over 1 MP
	} {
		got := rateUnits(tc.w, tc.h)
		if got != tc.units || int(500/got) != tc.perMinute {
			t.Errorf("rateUnits(%d, %d) = %v (%d a minute of 500), want %v (%d)", tc.w, tc.h, got, int(500/got), tc.units, tc.perMinute)
		}
	}
}

// precheck spends nothing, not even for a moment: while other requests of
// the key precheck without pause, an image the full 1-unit bucket can pay
// is never refused.
func TestPrecheckSpendsNothing(t *testing.T) {
	store, err := openUsage(filepath.Join(t.TempDir(), "usage.json"))
	if err != nil {
		t.Fatal(err)
	}
	keys := &apiKeys{keys: []APIKey{{Key: "k", Rate: 1}}, store: store}
	caller := apiCaller{keys: keys, key: &keys.keys[0], id: keyID("k")}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				caller.precheck()
			}
		}()
	}
	refused := 0
	for range 20000 {
		adm, _, f, _ := caller.admit(100, 100, 0, 0)
		if f != nil {
			refused++
			continue
		}
		store.refund(caller.id, 1, adm.units) // the bucket stays full
	}
	stop.Store(true)
	wg.Wait()
	if refused > 0 {
		t.Fatalf("%d of 20000 admissions of a 1-unit image on a full 1-unit bucket were refused while others prechecked", refused)
	}
	if _, ok := caller.precheck(); !ok {
		t.Fatal("precheck refused a full bucket")
	}
	caller.admit(100, 100, 0, 0) // spends the unit
	if rs, ok := caller.precheck(); ok || rs.retry <= 0 {
		t.Fatalf("precheck of an empty bucket: ok %v, retry %v", ok, rs.retry)
	}
}

// TestOpenUsageRemovesStaleTemps: a temporary file of the usage file's
// that a crash left behind is removed when the store is opened; a fresh
// one, perhaps another config generation's save in progress, is kept.
func TestOpenUsageRemovesStaleTemps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.json")
	check := durabletest.Temps(t, path)
	if _, err := openUsage(path); err != nil {
		t.Fatal(err)
	}
	check()
}

// TestImproveStoreRemovesStaleTemps: a save into the improvement store
// removes the temporary files a crash left in its folder (of any name:
// each submission has its own), and keeps a fresh one.
func TestImproveStoreRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	check := durabletest.Temps(t, filepath.Join(dir, "0b2d-x.json"))
	s := &improveStore{dir: dir, max: 10}
	if _, err := s.save([]byte("img"), submissionRecord{Type: "png"}); err != nil {
		t.Fatal(err)
	}
	check()
}

// TestAdmitCheaperUnderOneTake: a plan's cheaper credits (remove.bg's
// size=auto falling back to a preview) are reserved under the same take of
// the rate units as the full price was tried with: a key whose bucket holds
// one image's units is not refused for the fallback, and the units are
// spent once.
func TestAdmitCheaperUnderOneTake(t *testing.T) {
	store, err := openUsage(filepath.Join(t.TempDir(), "usage.json"))
	if err != nil {
		t.Fatal(err)
	}
	half := 0.5
	keys := &apiKeys{keys: []APIKey{{Key: "k", Rate: 1, Credits: &half}}, store: store}
	caller := apiCaller{keys: keys, key: &keys.keys[0], id: keyID("k")}
	adm, cheaper, f, _ := caller.admit(100, 100, 1, 0.25)
	if f != nil || !cheaper || adm.credits != 0.25 || adm.units != 1 {
		t.Fatalf("admit 1 or 0.25 with 0.5 left: failure %v, cheaper %v, %+v", f, cheaper, adm)
	}
	if _, ok := caller.precheck(); ok {
		t.Error("the bucket's one unit is still there: the units were given back and not taken again")
	}
	adm.done(true, true, zap.NewNop())
	if left := store.remaining(caller.id, &half); left != 0.25 {
		t.Errorf("%v credits left, want 0.25", left)
	}
	// Neither fits: the need is the cheaper price, nothing spent.
	caller2 := apiCaller{keys: &apiKeys{keys: []APIKey{{Key: "k2", Rate: 5, Credits: new(float64)}}, store: store}, id: keyID("k2")}
	caller2.key = &caller2.keys.keys[0]
	if _, _, f, _ := caller2.admit(100, 100, 1, 0.25); f == nil || f.Kind != dialect.FailCredits || f.Need != 0.25 {
		t.Errorf("no credits: %+v, want FailCredits needing 0.25", f)
	}
}
