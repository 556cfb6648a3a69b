package params

import "testing"

func TestExtrasKey(t *testing.T) {
	if k := (Extras{}).Key(); k != "" {
		t.Fatalf("zero Extras key %q", k)
	}
	if k := (Extras{BgImage: []byte("x")}).Key(); k != "" {
		t.Fatalf("background bytes belong to Params' key, got %q", k)
	}
	keys := map[string]bool{}
	for _, e := range []Extras{
		{ROI: Rect{X: 1, Y: 2, W: 3, H: 4}},
		{ROI: Rect{X: 1, Y: 2, W: 3, H: 5}},
		{MarginsSet: true},
		{MarginsSet: true, Margins: [4]Length{{Value: 1}}},
		{MarginsSet: true, Margins: [4]Length{{Value: 1, Percent: true}}},
		{MarginsSet: true, Margins: [4]Length{{Value: 1, Percent: true}}, MaxMegapixels: 10},
		{MarginsSet: true, Margins: [4]Length{{Value: 1, Percent: true}}, MaxMegapixels: 0.25},
		{KeepCanvas: true},
	} {
		k := e.Key()
		if k == "" || keys[k] {
			t.Fatalf("key %q of %+v is empty or not unique", k, e)
		}
		keys[k] = true
	}
}
