package imgix

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/params"
)

// The CSS object-fit names other builders write give exactly the Params
// (and so the Key) of the imgix names they stand for.
func TestParseQueryFitAliases(t *testing.T) {
	for alias, name := range map[string]string{"cover": "crop", "contain": "fill", "inside": "max", "outside": "min"} {
		got, err := mustParseQuery(t, "w=400&h=300&crop=top&fit="+alias)
		if err != nil {
			t.Fatalf("fit=%s: %v", alias, err)
		}
		want, err := mustParseQuery(t, "w=400&h=300&crop=top&fit="+name)
		if err != nil || got != want || got.Key() != want.Key() {
			t.Errorf("fit=%s gives %+v, fit=%s gives %+v (%v)", alias, got, name, want, err)
		}
	}
	// Pinned: fit=cover is a crop, fit=contain pads, imgix's fill keeps its meaning.
	pins := map[string]params.Params{
		"w=400&h=300&fit=cover":   {Width: 400, Height: 300, Fit: params.FitCrop},
		"w=400&h=300&fit=contain": {Width: 400, Height: 300, Fit: params.FitFill},
		"w=400&h=300&fit=fill":    {Width: 400, Height: 300, Fit: params.FitFill},
		"w=400&fit=inside":        {Width: 400, Fit: params.FitMax},
		"w=400&fit=outside":       {Width: 400, Fit: params.FitMin},
	}
	for raw, want := range pins {
		if got, err := mustParseQuery(t, raw); err != nil || got != want {
			t.Errorf("%s = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, bad := range []string{"Cover", "squeeze", "pad", "scale-down", "fit-max"} {
		_, err := mustParseQuery(t, "fit="+bad)
		if list := params.AsErrors(err); len(list) != 1 || list[0].Field != "fit" || !strings.Contains(list[0].Detail, "cover, contain, inside, outside") {
			t.Errorf("fit=%s: %v", bad, err)
		}
	}
}

// Unpic's imgix provider writes fit=min&auto=format (its defaults), and the
// key of existing URLs does not move.
func TestParseQueryUnpicImgixDefaults(t *testing.T) {
	p, err := mustParseQuery(t, "w=800&h=600&fit=min&auto=format")
	if err != nil || p != (params.Params{Width: 800, Height: 600, Fit: params.FitMin, AutoFormat: true}) {
		t.Fatalf("%+v, %v", p, err)
	}
}

// imgix's background-removal spellings.
func TestParseQueryImgixRemovalParams(t *testing.T) {
	hard := params.Removal{Enabled: true, Hard: true, Threshold: 0.5}
	valid := map[string]params.Removal{
		"bg-remove=true": {Enabled: true},
		"bg-remove=true&bg-remove-semi-transparency=true":         {Enabled: true},
		"bg-remove=true&bg-remove-semi-transparency=1":            {Enabled: true},
		"bg-remove=true&bg-remove-semi-transparency=false":        hard,
		"bg-remove=true&bg-remove-semi-transparency=0":            hard,
		"rembg=1&bg-remove-semi-transparency=false&threshold=0.2": {Enabled: true, Hard: true, Threshold: 0.2},
		"bg-remove=true&bg-remove-fg-type=auto":                   {Enabled: true},
		"bg-remove=true&bg-remove-fg-type=car":                    {Enabled: true},
	}
	for raw, want := range valid {
		p, err := mustParseQuery(t, raw)
		if err != nil || p.Removal != want {
			t.Errorf("%s: %+v, %v; want %+v", raw, p.Removal, err, want)
		}
	}
	// The imgix spelling and Matte's give the same key.
	a, _ := mustParseQuery(t, "bg-remove=true&bg-remove-semi-transparency=false")
	b, _ := mustParseQuery(t, "rembg=1&semitransparency=0")
	if a.Key() != b.Key() {
		t.Errorf("keys differ: %q vs %q", a.Key(), b.Key())
	}

	invalid := []struct{ raw, field, detail string }{
		{"bg-remove-semi-transparency=false", "bg-remove-semi-transparency", "it needs rembg=1"},
		{"bg-remove-fg-type=car", "bg-remove-fg-type", "it needs rembg=1"},
		{"bg-remove=true&bg-remove-fg-type=person", "bg-remove-fg-type", "one of auto, car"},
		{"bg-remove=true&bg-remove-semi-transparency=yes", "bg-remove-semi-transparency", "one of 1, true, 0, false"},
		{"bg-remove=true&bg-remove-semi-transparency=true&threshold=0.3", "bg-remove-semi-transparency", "keeps a soft matte"},
		{"bg-remove=true&bg-remove-semi-transparency=0&semitransparency=0", "bg-remove-semi-transparency", "the same parameter"},
	}
	for _, tt := range invalid {
		_, err := mustParseQuery(t, tt.raw)
		list := params.AsErrors(err)
		found := false
		for _, e := range list {
			if e.Field == tt.field && strings.Contains(e.Detail, tt.detail) {
				found = true
			}
		}
		if err == nil || !found {
			t.Errorf("%s: %v; want an error on %s containing %q", tt.raw, err, tt.field, tt.detail)
		}
	}
}
