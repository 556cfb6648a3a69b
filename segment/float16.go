package segment

import "math"

// Float32ToFloat16 converts f to IEEE 754 binary16 bits, rounding to the
// nearest value, ties to even. Values beyond the largest half (65504) round
// to ±Inf as IEEE requires (65520 and up; below that, to 65504); values too
// small for the smallest subnormal (2^-24) round to ±0 or to that subnormal.
// NaN stays NaN with its sign and the top 10 bits of its payload (a payload
// that would vanish becomes a quiet NaN).
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff

	if exp == 0xff { // Inf or NaN
		if mant == 0 {
			return sign | 0x7c00
		}
		m := uint16(mant >> 13)
		if m == 0 {
			m = 0x200
		}
		return sign | 0x7c00 | m
	}

	e := exp - 127 + 15 // biased half exponent
	if e >= 0x1f {
		return sign | 0x7c00 // overflow (round-to-nearest overflows to Inf)
	}
	if e <= 0 {
		// Subnormal half (or zero). The value is (1.mant)·2^(exp-127) and
		// a half subnormal is m·2^-24, so m = (0x800000|mant) >> (126-exp)
		// = >> (14 - e) with rounding.
		if e < -10 {
			// Below half the smallest subnormal (2^-25): rounds to zero.
			// (exactly 2^-25 has e == -10 and rounds to even = 0 below.)
			return sign
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		rest := m & (uint32(1)<<shift - 1)
		r := m >> shift
		if rest > half || rest == half && r&1 == 1 {
			r++ // may carry into the smallest normal: still correct bits
		}
		return sign | uint16(r)
	}
	// Normal: keep 10 of 23 mantissa bits, round on the 13 dropped.
	r := uint32(e)<<10 | mant>>13
	rest := mant & 0x1fff
	if rest > 0x1000 || rest == 0x1000 && r&1 == 1 {
		r++ // a carry out of the mantissa bumps the exponent, up to Inf
	}
	return sign | uint16(r)
}

// Float16ToFloat32 converts IEEE 754 binary16 bits to float32 exactly.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: normalise.
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}
