package params

import (
	"errors"
	"fmt"
	"strings"
)

// ParseColor parses a colour as written in a URL or form field:
//
//   - hex "RGB", "RGBA", "RRGGBB" or "RRGGBBAA", with or without one leading
//     "#" (in a query string the "#" arrives as "%23"), case-insensitive;
//     alpha comes last, as in CSS (ParseColorAlphaFirst reads imgix's and
//     wsrv's ARGB);
//   - a CSS Color Module Level 4 named colour (all 148, case-insensitive),
//     or "transparent".
//
// The result has Set true. Every fully transparent colour is returned as
// transparent black, so that colours that look the same compare equal.
// On failure the error's message is fit to show a client as a detail.
func ParseColor(s string) (Color, error) {
	h, hash := strings.CutPrefix(s, "#")
	if c, ok := parseHexColor(h); ok {
		return c.canonical(), nil
	}
	if !hash {
		if rgba, ok := namedColors[asciiLower(s)]; ok {
			return Color{R: uint8(rgba >> 24), G: uint8(rgba >> 16), B: uint8(rgba >> 8), A: uint8(rgba), Set: true}.canonical(), nil
		}
	}
	return Color{}, fmt.Errorf("%s is not a colour: %w", QuoteShort(s), errColorSyntax)
}

var errColorSyntax = errors.New("use hex RGB, RGBA, RRGGBB or RRGGBBAA (with or without #, alpha last) or a CSS colour name such as white or transparent")

// ParseColorAlphaFirst is ParseColor for the URL forms that put alpha
// first, as imgix and wsrv do: a hex colour of 4 or 8 digits is ARGB or
// AARRGGBB ("80ff0000" is half-transparent red); 3 and 6 digits and the
// names read as in ParseColor.
func ParseColorAlphaFirst(s string) (Color, error) {
	h, hash := strings.CutPrefix(s, "#")
	if len(h) == 4 || len(h) == 8 {
		if c, ok := parseHexColor(h[len(h)/4:] + h[:len(h)/4]); ok {
			return c.canonical(), nil
		}
	}
	if hash {
		h = "#" + h
	}
	return ParseColor(h)
}

// Hex returns the colour as lower-case "rrggbbaa", the canonical form used in
// Key, or "" when c is not Set.
func (c Color) Hex() string {
	if !c.Set {
		return ""
	}
	return fmt.Sprintf("%02x%02x%02x%02x", c.R, c.G, c.B, c.A)
}

// Opaque is c's red, green and blue at full alpha: a colour whose alpha
// the option reading it does not use (a tint, a duotone's ends, a
// shadow's colour beside its own opacity).
func (c Color) Opaque() Color { return Color{R: c.R, G: c.G, B: c.B, A: 255, Set: true} }

// canonical zeroes the channels of a fully transparent colour.
func (c Color) canonical() Color {
	if c.A == 0 {
		c.R, c.G, c.B = 0, 0, 0
	}
	return c
}

// parseHexColor parses 3, 4, 6 or 8 hex digits (no "#").
func parseHexColor(h string) (Color, bool) {
	var d [8]uint8
	if len(h) > len(d) {
		return Color{}, false
	}
	for i := 0; i < len(h); i++ {
		v, ok := hexDigit(h[i])
		if !ok {
			return Color{}, false
		}
		d[i] = v
	}
	switch len(h) {
	case 3, 4:
		c := Color{R: d[0] * 17, G: d[1] * 17, B: d[2] * 17, A: 255, Set: true}
		if len(h) == 4 {
			c.A = d[3] * 17
		}
		return c, true
	case 6, 8:
		c := Color{R: d[0]<<4 | d[1], G: d[2]<<4 | d[3], B: d[4]<<4 | d[5], A: 255, Set: true}
		if len(h) == 8 {
			c.A = d[6]<<4 | d[7]
		}
		return c, true
	}
	return Color{}, false
}

// asciiLower lower-cases ASCII letters only (CSS keywords are ASCII
// case-insensitive; strings.ToLower would also fold e.g. the Kelvin sign).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func hexDigit(b byte) (uint8, bool) {
	switch {
	case '0' <= b && b <= '9':
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// namedColors maps the CSS Color Module Level 4 named colours (148) and
// "transparent" to 0xRRGGBBAA.
var namedColors = map[string]uint32{
	"transparent":          0x00000000,
	"aliceblue":            0xf0f8ffff,
	"antiquewhite":         0xfaebd7ff,
	"aqua":                 0x00ffffff,
	"aquamarine":           0x7fffd4ff,
	"azure":                0xf0ffffff,
	"beige":                0xf5f5dcff,
	"bisque":               0xffe4c4ff,
	"black":                0x000000ff,
	"blanchedalmond":       0xffebcdff,
	"blue":                 0x0000ffff,
	"blueviolet":           0x8a2be2ff,
	"brown":                0xa52a2aff,
	"burlywood":            0xdeb887ff,
	"cadetblue":            0x5f9ea0ff,
	"chartreuse":           0x7fff00ff,
	"chocolate":            0xd2691eff,
	"coral":                0xff7f50ff,
	"cornflowerblue":       0x6495edff,
	"cornsilk":             0xfff8dcff,
	"crimson":              0xdc143cff,
	"cyan":                 0x00ffffff,
	"darkblue":             0x00008bff,
	"darkcyan":             0x008b8bff,
	"darkgoldenrod":        0xb8860bff,
	"darkgray":             0xa9a9a9ff,
	"darkgreen":            0x006400ff,
	"darkgrey":             0xa9a9a9ff,
	"darkkhaki":            0xbdb76bff,
	"darkmagenta":          0x8b008bff,
	"darkolivegreen":       0x556b2fff,
	"darkorange":           0xff8c00ff,
	"darkorchid":           0x9932ccff,
	"darkred":              0x8b0000ff,
	"darksalmon":           0xe9967aff,
	"darkseagreen":         0x8fbc8fff,
	"darkslateblue":        0x483d8bff,
	"darkslategray":        0x2f4f4fff,
	"darkslategrey":        0x2f4f4fff,
	"darkturquoise":        0x00ced1ff,
	"darkviolet":           0x9400d3ff,
	"deeppink":             0xff1493ff,
	"deepskyblue":          0x00bfffff,
	"dimgray":              0x696969ff,
	"dimgrey":              0x696969ff,
	"dodgerblue":           0x1e90ffff,
	"firebrick":            0xb22222ff,
	"floralwhite":          0xfffaf0ff,
	"forestgreen":          0x228b22ff,
	"fuchsia":              0xff00ffff,
	"gainsboro":            0xdcdcdcff,
	"ghostwhite":           0xf8f8ffff,
	"gold":                 0xffd700ff,
	"goldenrod":            0xdaa520ff,
	"gray":                 0x808080ff,
	"green":                0x008000ff,
	"greenyellow":          0xadff2fff,
	"grey":                 0x808080ff,
	"honeydew":             0xf0fff0ff,
	"hotpink":              0xff69b4ff,
	"indianred":            0xcd5c5cff,
	"indigo":               0x4b0082ff,
	"ivory":                0xfffff0ff,
	"khaki":                0xf0e68cff,
	"lavender":             0xe6e6faff,
	"lavenderblush":        0xfff0f5ff,
	"lawngreen":            0x7cfc00ff,
	"lemonchiffon":         0xfffacdff,
	"lightblue":            0xadd8e6ff,
	"lightcoral":           0xf08080ff,
	"lightcyan":            0xe0ffffff,
	"lightgoldenrodyellow": 0xfafad2ff,
	"lightgray":            0xd3d3d3ff,
	"lightgreen":           0x90ee90ff,
	"lightgrey":            0xd3d3d3ff,
	"lightpink":            0xffb6c1ff,
	"lightsalmon":          0xffa07aff,
	"lightseagreen":        0x20b2aaff,
	"lightskyblue":         0x87cefaff,
	"lightslategray":       0x778899ff,
	"lightslategrey":       0x778899ff,
	"lightsteelblue":       0xb0c4deff,
	"lightyellow":          0xffffe0ff,
	"lime":                 0x00ff00ff,
	"limegreen":            0x32cd32ff,
	"linen":                0xfaf0e6ff,
	"magenta":              0xff00ffff,
	"maroon":               0x800000ff,
	"mediumaquamarine":     0x66cdaaff,
	"mediumblue":           0x0000cdff,
	"mediumorchid":         0xba55d3ff,
	"mediumpurple":         0x9370dbff,
	"mediumseagreen":       0x3cb371ff,
	"mediumslateblue":      0x7b68eeff,
	"mediumspringgreen":    0x00fa9aff,
	"mediumturquoise":      0x48d1ccff,
	"mediumvioletred":      0xc71585ff,
	"midnightblue":         0x191970ff,
	"mintcream":            0xf5fffaff,
	"mistyrose":            0xffe4e1ff,
	"moccasin":             0xffe4b5ff,
	"navajowhite":          0xffdeadff,
	"navy":                 0x000080ff,
	"oldlace":              0xfdf5e6ff,
	"olive":                0x808000ff,
	"olivedrab":            0x6b8e23ff,
	"orange":               0xffa500ff,
	"orangered":            0xff4500ff,
	"orchid":               0xda70d6ff,
	"palegoldenrod":        0xeee8aaff,
	"palegreen":            0x98fb98ff,
	"paleturquoise":        0xafeeeeff,
	"palevioletred":        0xdb7093ff,
	"papayawhip":           0xffefd5ff,
	"peachpuff":            0xffdab9ff,
	"peru":                 0xcd853fff,
	"pink":                 0xffc0cbff,
	"plum":                 0xdda0ddff,
	"powderblue":           0xb0e0e6ff,
	"purple":               0x800080ff,
	"rebeccapurple":        0x663399ff,
	"red":                  0xff0000ff,
	"rosybrown":            0xbc8f8fff,
	"royalblue":            0x4169e1ff,
	"saddlebrown":          0x8b4513ff,
	"salmon":               0xfa8072ff,
	"sandybrown":           0xf4a460ff,
	"seagreen":             0x2e8b57ff,
	"seashell":             0xfff5eeff,
	"sienna":               0xa0522dff,
	"silver":               0xc0c0c0ff,
	"skyblue":              0x87ceebff,
	"slateblue":            0x6a5acdff,
	"slategray":            0x708090ff,
	"slategrey":            0x708090ff,
	"snow":                 0xfffafaff,
	"springgreen":          0x00ff7fff,
	"steelblue":            0x4682b4ff,
	"tan":                  0xd2b48cff,
	"teal":                 0x008080ff,
	"thistle":              0xd8bfd8ff,
	"tomato":               0xff6347ff,
	"turquoise":            0x40e0d0ff,
	"violet":               0xee82eeff,
	"wheat":                0xf5deb3ff,
	"white":                0xffffffff,
	"whitesmoke":           0xf5f5f5ff,
	"yellow":               0xffff00ff,
	"yellowgreen":          0x9acd32ff,
}
