package segment

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFloat16Known(t *testing.T) {
	p2 := func(e int) float32 { return float32(math.Ldexp(1, e)) }
	cases := []struct {
		f    float32
		want uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.5, 0x3800},
		{0.333251953125, 0x3555}, // exactly representable
		{65504, 0x7bff},          // largest half
		{65519.99, 0x7bff},       // below the midpoint to 2^16
		{65520, 0x7c00},          // midpoint: ties to even = Inf
		{1e10, 0x7c00},
		{-1e10, 0xfc00},
		{float32(math.Inf(1)), 0x7c00},
		{float32(math.Inf(-1)), 0xfc00},
		{p2(-14), 0x0400},                 // smallest normal
		{p2(-24), 0x0001},                 // smallest subnormal
		{-p2(-24), 0x8001},                // negative subnormal
		{p2(-14) - p2(-24), 0x03ff},       // largest subnormal
		{p2(-25), 0x0000},                 // half the smallest subnormal: tie to even 0
		{p2(-25) * (1 + p2(-23)), 0x0001}, // just above: rounds up
		{3 * p2(-25), 0x0002},             // 1.5 ulp: tie to even (2)
		{5 * p2(-25), 0x0002},             // 2.5 ulp: tie to even (2)
		{7 * p2(-25), 0x0004},             // 3.5 ulp: tie to even (4)
		{p2(-14) - p2(-25), 0x0400},       // tie between largest subnormal and smallest normal
		{p2(-26), 0x0000},                 // underflow
		{math.Float32frombits(1), 0x0000}, // float32 subnormal
		{1 + p2(-11), 0x3c00},             // tie: stays at even 1.0
		{1 + 3*p2(-11), 0x3c02},           // tie: up to even
		{1 + p2(-11) + p2(-23), 0x3c01},   // just above the tie
		{2048 + 1, 0x6800},                // tie at exponent 11: even 2048
		{2048 + 3, 0x6802},                // tie: up to 2052
		{2 - p2(-12), 0x4000},             // rounds up across the exponent
		{0.1, 0x2e66},
		{-0.1, 0xae66},
	}
	for _, c := range cases {
		if got := Float32ToFloat16(c.f); got != c.want {
			t.Errorf("Float32ToFloat16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
	if got := Float16ToFloat32(0x0001); got != p2(-24) {
		t.Errorf("0x0001 -> %g", got)
	}
	if got := Float16ToFloat32(0x3555); got != 0.333251953125 {
		t.Errorf("0x3555 -> %g", got)
	}
	if got := Float16ToFloat32(0x7bff); got != 65504 {
		t.Errorf("0x7bff -> %g", got)
	}
}

func TestFloat16NaN(t *testing.T) {
	for _, bits := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0x7fffffff, 0xff800001} {
		f := math.Float32frombits(bits)
		h := Float32ToFloat16(f)
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
			t.Errorf("NaN %#08x -> %#04x, not a NaN", bits, h)
		}
		if (h&0x8000 != 0) != (bits&0x80000000 != 0) {
			t.Errorf("NaN %#08x -> %#04x lost its sign", bits, h)
		}
		if back := Float16ToFloat32(h); !math.IsNaN(float64(back)) {
			t.Errorf("NaN %#04x -> %g", h, back)
		}
	}
}

// Every half converts to float32 exactly and back to itself (NaN payloads
// included).
func TestFloat16RoundTripExhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := Float16ToFloat32(h)
		if back := Float32ToFloat16(f); back != h {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
		isNaN := h&0x7c00 == 0x7c00 && h&0x3ff != 0
		if isNaN != math.IsNaN(float64(f)) {
			t.Fatalf("%#04x -> %g: NaN-ness changed", h, f)
		}
		if !isNaN && !math.IsInf(float64(f), 0) {
			// Check the value independently: (-1)^s · m · 2^e.
			e := int(h>>10) & 0x1f
			m := float64(h & 0x3ff)
			var v float64
			if e == 0 {
				v = math.Ldexp(m, -24)
			} else {
				v = math.Ldexp(1024+m, e-25)
			}
			if h&0x8000 != 0 {
				v = -v
			}
			if float64(f) != v {
				t.Fatalf("%#04x -> %g, want %g", h, f, v)
			}
		}
	}
}

// Random float32s round to the nearest half, ties to even.
func TestFloat16RoundingRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	for i := 0; i < n; i++ {
		var f float32
		switch i % 3 {
		case 0: // anywhere in the half range
			f = float32(math.Ldexp(1+r.Float64(), r.IntN(42)-27)) // 2^-27 .. 2^15
			if r.IntN(2) == 0 {
				f = -f
			}
		case 1: // subnormal region
			f = float32(r.Float64() * math.Ldexp(1, -13))
		case 2: // exact ties: a half plus half an ulp
			h := uint16(r.IntN(0x7bff))
			a, b := float64(Float16ToFloat32(h)), float64(Float16ToFloat32(h+1))
			f = float32((a + b) / 2)
		}
		if math.Abs(float64(f)) >= 65520 {
			continue
		}
		h := Float32ToFloat16(f)
		got := float64(Float16ToFloat32(h))
		d := math.Abs(float64(f) - got)
		// Neighbours one ulp away in magnitude.
		for _, nb := range []int{-1, 1} {
			m := int(h&0x7fff) + nb
			if m < 0 || m > 0x7bff {
				continue
			}
			nv := float64(Float16ToFloat32(uint16(m) | h&0x8000))
			nd := math.Abs(float64(f) - nv)
			if nd < d {
				t.Fatalf("%g -> %#04x (%g), but %#04x (%g) is nearer", f, h, got, uint16(m)|h&0x8000, nv)
			}
			if nd == d && h&1 == 1 {
				t.Fatalf("%g is a tie; %#04x is odd, %#04x even", f, h, uint16(m)|h&0x8000)
			}
		}
	}
}
