// Package icc reads what Matte needs from an ICC colour profile (ICC.1 v2
// and v4): its description, and whether it is sRGB, so that converting a
// source through it to sRGB can be skipped.
//
// Profiles come embedded in sources, so they are untrusted bytes: every read
// is bounds-checked, and a malformed profile has no description and is not
// sRGB. Nothing here allocates beyond the description's string.
//
// lcms2 does this parsing inside libvips, but libvips neither exports it nor
// offers a test for "is this profile sRGB", and no maintained Go package
// reads ICC tags; the little read here is kept to the header, the tag table
// and four tag types.
package icc

import (
	"encoding/binary"
	"math"
	"sync"
	"unicode/utf16"
)

// headerSize is the ICC header's size; the tag count follows it, then
// 12-byte entries (signature, offset, size).
const headerSize = 128

// maxTags bounds the entries read from a tag table (real profiles have
// a few dozen).
const maxTags = 256

var be = binary.BigEndian

// tag returns the data of p's tag with signature sig, nil when p has none
// or its entry points outside p.
func tag(p []byte, sig string) []byte {
	if len(p) < headerSize+4 {
		return nil
	}
	count := int(be.Uint32(p[headerSize:]))
	for i := range min(count, maxTags) {
		entry := headerSize + 4 + 12*i
		if entry+12 > len(p) {
			return nil
		}
		if string(p[entry:entry+4]) != sig {
			continue
		}
		off, size := int64(be.Uint32(p[entry+4:])), int64(be.Uint32(p[entry+8:]))
		if size < 8 || off > int64(len(p))-size {
			return nil
		}
		return p[off : off+size]
	}
	return nil
}

// Description is p's description tag ('desc'): the ASCII text of a v2
// textDescriptionType, or the first record of a v4
// multiLocalizedUnicodeType; "" when the profile has none or is malformed.
func Description(p []byte) string {
	t := tag(p, "desc")
	if len(t) < 12 {
		return ""
	}
	switch string(t[:4]) {
	case "desc": // signature, reserved, ASCII count (with its NUL), ASCII
		n := int64(be.Uint32(t[8:]))
		if n < 1 || 12+n > int64(len(t)) {
			return ""
		}
		return trimNUL(string(t[12 : 12+n]))
	case "mluc": // signature, reserved, records, record size, records: lang, country, length, offset
		if len(t) < 28 || be.Uint32(t[8:]) < 1 {
			return ""
		}
		n, at := int64(be.Uint32(t[20:])), int64(be.Uint32(t[24:]))
		if n < 2 || at > int64(len(t))-n {
			return ""
		}
		u := make([]uint16, n/2)
		for j := range u {
			u[j] = be.Uint16(t[at+2*int64(j):])
		}
		return trimNUL(string(utf16.Decode(u)))
	}
	return ""
}

// trimNUL cuts s at its first NUL.
func trimNUL(s string) string {
	for i := range len(s) {
		if s[i] == 0 {
			return s[:i]
		}
	}
	return s
}

// srgbColorants are sRGB's red, green and blue primaries as an ICC profile
// stores them: CIE XYZ adapted to the D50 PCS with the Bradford transform.
var srgbColorants = [3][3]float64{
	{0.4360747, 0.2225045, 0.0139322},
	{0.3850649, 0.7168786, 0.0971045},
	{0.1430804, 0.0606169, 0.7141733},
}

// colorantTolerance is how far, in XYZ, a colourant may sit from
// srgbColorants. The sRGB profiles in circulation (HP's of 1998, ICC's v4
// profiles, libvips' own, the compact ones of browsers and phones) differ
// from them by up to 2.5e-4 in their rounding (libvips' blue Z), which
// moves lcms' conversion between two of them by a level or two; Display P3
// or Adobe RGB differ by 0.08 and more.
const colorantTolerance = 3e-4

// curveTolerance is how far, in sRGB-encoded units, a tone curve may map
// an 8-bit code from where sRGB's curve does: under half a step, so the
// code comes back as itself or a neighbour, as lcms' own rounding does.
const curveTolerance = 0.5 / 255

// lutTags are the tags that make a profile LUT-based: with one present,
// lcms converts through it, not through the colourants and curves, and a
// v4 perceptual table may remap colours on purpose.
var lutTags = []string{"A2B0", "A2B1", "A2B2", "B2A0", "B2A1", "B2A2", "D2B0", "D2B1", "D2B2", "D2B3", "B2D0", "B2D1", "B2D2", "B2D3"}

// IsSRGB reports whether p is an RGB matrix/TRC profile whose colourants
// are sRGB's (within colorantTolerance) and whose three tone curves are
// sRGB's at every 8-bit code (within curveTolerance): converting a source
// through it to sRGB would leave its 8-bit values where they are, give or
// take lcms' rounding, so the conversion can be skipped. False for
// anything else, malformed profiles included.
//
// The answer for each distinct profile is remembered (a few hundred bytes
// to a few kilobytes each, up to memoSize of them): a site's images share a
// handful of profiles, and reading one costs tens of microseconds, paid on
// every decode of every image that carries it. Safe for concurrent use.
func IsSRGB(p []byte) bool {
	if len(p) > maxMemoProfile {
		return isSRGB(p)
	}
	memo.RLock()
	v, ok := memo.m[string(p)]
	memo.RUnlock()
	if ok {
		return v
	}
	v = isSRGB(p)
	memo.Lock()
	if len(memo.m) >= memoSize {
		clear(memo.m) // a stream of distinct profiles: start again rather than grow
	}
	memo.m[string(p)] = v
	memo.Unlock()
	return v
}

// memo holds IsSRGB's answers by profile bytes.
var memo = struct {
	sync.RWMutex
	m map[string]bool
}{m: map[string]bool{}}

// memoSize bounds memo's entries, maxMemoProfile the size of a profile it
// keeps (larger ones, LUT profiles of tens of kilobytes, are read each
// time; they fail fast on their LUT tags).
const (
	memoSize       = 64
	maxMemoProfile = 16 << 10
)

// isSRGB is IsSRGB without the memo.
func isSRGB(p []byte) bool {
	if len(p) < headerSize+4 || string(p[16:20]) != "RGB " || string(p[20:24]) != "XYZ " {
		return false
	}
	for _, sig := range lutTags {
		if tag(p, sig) != nil {
			return false
		}
	}
	for i, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		xyz, ok := readXYZ(tag(p, sig))
		if !ok {
			return false
		}
		for k := range xyz {
			if math.Abs(xyz[k]-srgbColorants[i][k]) > colorantTolerance {
				return false
			}
		}
	}
	for _, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		c, ok := readCurve(tag(p, sig))
		if !ok {
			return false
		}
		for code := range 256 {
			x := float64(code) / 255
			if math.Abs(srgbEncode(c.eval(x))-x) > curveTolerance {
				return false
			}
		}
	}
	return true
}

// readXYZ reads an XYZType tag's first value.
func readXYZ(t []byte) ([3]float64, bool) {
	if len(t) < 20 || string(t[:4]) != "XYZ " {
		return [3]float64{}, false
	}
	return [3]float64{s15Fixed16(t[8:]), s15Fixed16(t[12:]), s15Fixed16(t[16:])}, true
}

func s15Fixed16(b []byte) float64 { return float64(int32(be.Uint32(b))) / 65536 }

// curve is a tone curve: a sampled table (curveType) or a parametric
// function (parametricCurveType).
type curve struct {
	table []byte // curveType's uint16 entries, 2 bytes each; nil for a function
	gamma float64
	// kind is the parametric function type (0-4), params g, a, b, c, d, e, f.
	kind   int
	params [7]float64
}

// readCurve reads a curveType ('curv') or parametricCurveType ('para') tag.
func readCurve(t []byte) (curve, bool) {
	if len(t) < 12 {
		return curve{}, false
	}
	switch string(t[:4]) {
	case "curv":
		n := int64(be.Uint32(t[8:]))
		switch {
		case n == 0: // identity
			return curve{kind: 0, params: [7]float64{1}}, true
		case n == 1: // a gamma, u8Fixed8Number
			if len(t) < 14 {
				return curve{}, false
			}
			return curve{kind: 0, params: [7]float64{float64(be.Uint16(t[12:])) / 256}}, true
		case 12+2*n > int64(len(t)):
			return curve{}, false
		}
		return curve{table: t[12 : 12+2*n]}, true
	case "para":
		kind := int(be.Uint16(t[8:]))
		count := [...]int{1, 3, 4, 5, 7}
		if kind >= len(count) || len(t) < 12+4*count[kind] {
			return curve{}, false
		}
		c := curve{kind: kind}
		for i := range count[kind] {
			c.params[i] = s15Fixed16(t[12+4*i:])
		}
		return c, true
	}
	return curve{}, false
}

// eval is the curve at x in [0, 1], clamped to [0, 1]: a table is
// interpolated linearly between its entries, as lcms does.
func (c curve) eval(x float64) float64 {
	var y float64
	if c.table != nil {
		n := len(c.table) / 2
		pos := x * float64(n-1)
		i := min(int(pos), n-2)
		frac := pos - float64(i)
		lo, hi := float64(be.Uint16(c.table[2*i:])), float64(be.Uint16(c.table[2*i+2:]))
		y = (lo + frac*(hi-lo)) / 65535
	} else {
		g, a, b, cc, d, e, f := c.params[0], c.params[1], c.params[2], c.params[3], c.params[4], c.params[5], c.params[6]
		pow := func(v float64) float64 { return math.Pow(max(v, 0), g) }
		switch c.kind {
		case 0:
			y = pow(x)
		case 1:
			if a != 0 && x >= -b/a {
				y = pow(a*x + b)
			}
		case 2:
			y = cc
			if a != 0 && x >= -b/a {
				y = pow(a*x+b) + cc
			}
		case 3:
			y = cc * x
			if x >= d {
				y = pow(a*x + b)
			}
		case 4:
			y = cc*x + f
			if x >= d {
				y = pow(a*x+b) + e
			}
		}
	}
	return min(max(y, 0), 1)
}

// srgbEncode is sRGB's encoding (IEC 61966-2-1): linear light to the
// encoded value.
func srgbEncode(v float64) float64 {
	if v <= 0.0031308 {
		return 12.92 * v
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}
