package oporder

import (
	"strings"
	"testing"

	"github.com/jebosio/matte/params"
)

func TestChainAdd(t *testing.T) {
	const a, b, c Step = 1, 2, 3
	// b before a commutes; nothing else out of order does.
	commutes := func(early, late Step) bool { return early == b && late == a }
	type op struct {
		name string
		step Step
	}
	tests := []struct {
		ops   []op
		named string // the operation the 400 names, "" for none
		after string // the earlier one it names
	}{
		{[]op{{"a", a}, {"b", b}, {"c", c}}, "", ""},
		{[]op{{"fmt", Free}, {"c", c}, {"q", Free}, {"a2", Free}}, "", ""},
		{[]op{{"b", b}, {"a", a}}, "", ""},
		{[]op{{"c", c}, {"a", a}}, "a", "c"},
		// Only the first operation out of order is named.
		{[]op{{"c", c}, {"b", b}, {"a", a}}, "b", "c"},
	}
	for _, tt := range tests {
		ch := Chain{Order: "a, b, c", Commutes: commutes}
		var named []string
		for _, o := range tt.ops {
			if d := ch.Add(o.name, o.step); d != "" {
				named = append(named, o.name)
				want := o.name + " comes after " + tt.after + ", which Matte applies after it (its order: a, b, c)"
				if !strings.HasPrefix(d, want) {
					t.Errorf("%v: detail %q, want it to start %q", tt.ops, d, want)
				}
			}
		}
		if got := strings.Join(named, ","); got != tt.named {
			t.Errorf("%v: named %q, want %q", tt.ops, got, tt.named)
		}
	}
}

func TestFlipBeforeTurn(t *testing.T) {
	tests := []struct {
		rotate   float64
		flip     params.Flip
		wantFlip params.Flip
	}{
		{90, params.FlipH, params.FlipV},
		{270, params.FlipV, params.FlipH},
		{180, params.FlipH, params.FlipH},
		{90, params.FlipHV, params.FlipHV},
	}
	for _, tt := range tests {
		p := params.Params{Rotate: tt.rotate, Flip: tt.flip}
		FlipBeforeTurn(&p)
		if p.Flip != tt.wantFlip {
			t.Errorf("rot %v flip %v: got %v, want %v", tt.rotate, tt.flip, p.Flip, tt.wantFlip)
		}
	}
}
