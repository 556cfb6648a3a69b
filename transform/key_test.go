package transform

import (
	"math"
	"testing"
)

func richParams() Params {
	return Params{
		Width: 800, Height: 600, DPR: 1.5, Fit: FitCrop, Crop: CropBottomRight, Rect: Rect{10, 20, 300, 200},
		Rotate: 45.25, Flip: FlipHV, Format: FormatWebP, AutoFormat: true, Quality: 80, Lossless: true,
		Background: Color{R: 0xff, G: 0x80, B: 0x00, A: 0xcc, Set: true}, Blur: 20, Sharpen: 10, Trim: true, Pad: 4,
	}
}

// The golden key must never change within a PipelineVersion: cached
// variants and ETags depend on it.
func TestKeyGolden(t *testing.T) {
	const golden = "w=800,h=600,dpr=1.5,fit=crop,crop=bottom-right,rect=10:20:300:200,rot=45.25,flip=hv,fm=webp,auto=format,q=80,lossless=1,bg=ff8000cc,blur=20,sharp=10,trim=1,pad=4"
	if got := richParams().Key(); got != golden {
		t.Errorf("Key() =\n%s\nwant\n%s", got, golden)
	}
	tests := []struct {
		p    Params
		want string
	}{
		{Params{}, ""},
		{Params{Width: 100}, "w=100"},
		{Params{Height: 100, DPR: 2}, "h=100,dpr=2"},
		{Params{Rotate: math.Copysign(0, -1)}, ""},
		{Params{Rotate: 0.1}, "rot=0.1"},
		{Params{Background: Color{Set: true}}, "bg=00000000"},
		{Params{Background: Color{A: 255}}, "bg=unset:000000ff"},
		{Params{Format: FormatJPEG}, "fm=jpeg"},
		{Params{Rect: Rect{X: 5}}, "rect=5:0:0:0"},
		{Params{Fit: Fit(200)}, "fit=fit(200)"},
	}
	for _, tt := range tests {
		if got := tt.p.Key(); got != tt.want {
			t.Errorf("%+v.Key() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestKeyFromQuery(t *testing.T) {
	p, err := mustParseQuery(t, "pad=4&trim=color&sharp=10&blur=20&bg=%23FF8000CC&lossless=true&q=80&auto=compress,format&fm=webp&flip=vh&rot=-314.75&rect=10,20,300,200&crop=right,bottom&fit=crop&dpr=1.50&h=600&w=800&unrelated=x")
	if err != nil {
		t.Fatal(err)
	}
	if p != richParams() {
		t.Errorf("got %+v\nwant %+v", p, richParams())
	}
	if p.Key() != richParams().Key() {
		t.Errorf("Key %q, want %q", p.Key(), richParams().Key())
	}
}

// keyVariants returns Params that differ from each other, each field taking
// several values, including ones that look alike when printed carelessly.
func keyVariants() []Params {
	base := richParams()
	vs := []Params{{}, base}
	add := func(f func(p *Params)) {
		p := Params{}
		f(&p)
		vs = append(vs, p)
		p = base
		f(&p)
		vs = append(vs, p)
	}
	for _, v := range []int{1, 2, 10, 12, 100000} {
		add(func(p *Params) { p.Width = v })
		add(func(p *Params) { p.Height = v })
		add(func(p *Params) { p.Quality = v % 101 })
		add(func(p *Params) { p.Blur = v % 2001 })
		add(func(p *Params) { p.Sharpen = v % 101 })
		add(func(p *Params) { p.Pad = v % 10001 })
		add(func(p *Params) { p.Rect = Rect{v, 1, 1, 1} })
		add(func(p *Params) { p.Rect = Rect{1, v, 1, 1} })
		add(func(p *Params) { p.Rect = Rect{1, 1, v, 1} })
		add(func(p *Params) { p.Rect = Rect{1, 1, 1, v} })
		add(func(p *Params) { p.Rect = Rect{11, 1, 1, v} })
	}
	for _, v := range []float64{1.5, 2, 2.0000000001, 3, 5} {
		add(func(p *Params) { p.DPR = v })
	}
	for _, v := range []float64{0.1, 1, 10, 90, 90.00000000001, 359.999} {
		add(func(p *Params) { p.Rotate = v })
	}
	for f := FitClip; f <= FitScale; f++ {
		add(func(p *Params) { p.Fit = f })
	}
	for c := CropCenter; c <= CropAttention; c++ {
		add(func(p *Params) { p.Crop = c })
	}
	for f := FlipNone; f <= FlipHV; f++ {
		add(func(p *Params) { p.Flip = f })
	}
	for f := FormatSource; f <= FormatGIF; f++ {
		add(func(p *Params) { p.Format = f })
	}
	for _, b := range []bool{false, true} {
		add(func(p *Params) { p.AutoFormat = b })
		add(func(p *Params) { p.Lossless = b })
		add(func(p *Params) { p.Trim = b })
	}
	for _, c := range []Color{{}, {Set: true}, {A: 255, Set: true}, {R: 1, A: 255, Set: true}, {G: 1, A: 255, Set: true}, {B: 1, A: 255, Set: true}, {A: 1, Set: true}, {A: 255}, {R: 255, G: 255, B: 255, A: 255, Set: true}} {
		add(func(p *Params) { p.Background = c })
	}
	return vs
}

// Different Params give different keys, equal Params equal keys.
func TestKeyInjective(t *testing.T) {
	vs := keyVariants()
	seen := map[string]Params{}
	for _, p := range vs {
		k := p.Key()
		if k != p.Key() {
			t.Fatalf("Key not deterministic for %+v", p)
		}
		if q, ok := seen[k]; ok && q != p {
			t.Errorf("key %q for both %+v and %+v", k, q, p)
		}
		seen[k] = p
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct variants", len(seen))
	}
}
