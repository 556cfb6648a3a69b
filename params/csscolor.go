package params

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ParseCSSColor is ParseColor that also reads CSS's rgb() and rgba()
// (CSS Color Module Level 4), for the dialects that take "any CSS colour"
// (Cloudflare's background and trim.border.color): the legacy form with
// commas, rgb(240, 40, 145) or rgba(240, 40, 145, 0.5), or the modern one
// with spaces and an optional "/ alpha", rgb(240 40 145 / 50%). A channel
// is a number (0-255) or a percentage, alpha a number (0-1) or a
// percentage; values outside the range are clamped, as CSS does. rgb and
// rgba are the same function, the name ASCII case-insensitive.
func ParseCSSColor(s string) (Color, error) {
	lower := asciiLower(s)
	for _, fn := range []string{"rgb(", "rgba("} {
		if inner, ok := strings.CutPrefix(lower, fn); ok {
			if inner, ok = strings.CutSuffix(inner, ")"); ok {
				if c, ok := parseRGBArgs(inner); ok {
					return c.canonical(), nil
				}
			}
			return Color{}, fmt.Errorf("%s is not a colour: %w", QuoteShort(s), errCSSColorSyntax)
		}
	}
	c, err := ParseColor(s)
	if err != nil {
		return Color{}, fmt.Errorf("%s is not a colour: %w", QuoteShort(s), errCSSColorSyntax)
	}
	return c, nil
}

var errCSSColorSyntax = errors.New("use hex RGB, RGBA, RRGGBB or RRGGBBAA (with or without #, alpha last), rgb(R, G, B), rgba(R, G, B, A), rgb(R G B / A) or a CSS colour name such as white or transparent")

// parseRGBArgs reads the arguments of rgb() or rgba(): three channels and
// an optional alpha, all separated by commas, or the channels by spaces
// and the alpha after a "/".
func parseRGBArgs(s string) (Color, bool) {
	var args []string
	if strings.Contains(s, ",") {
		args = strings.Split(s, ",")
		for i := range args {
			args[i] = strings.TrimSpace(args[i])
		}
	} else {
		rgb, alpha, hasAlpha := strings.Cut(s, "/")
		args = strings.Fields(rgb)
		if len(args) != 3 {
			return Color{}, false
		}
		if hasAlpha {
			a := strings.TrimSpace(alpha)
			if a == "" {
				return Color{}, false
			}
			args = append(args, a)
		}
	}
	if len(args) != 3 && len(args) != 4 {
		return Color{}, false
	}
	var v [4]float64
	v[3] = 1
	for i, a := range args {
		num, percent := strings.CutSuffix(a, "%")
		f, err := ParseDecimal(num)
		if err != nil {
			return Color{}, false
		}
		switch {
		case percent:
			f /= 100
		case i < 3:
			f /= 255
		}
		v[i] = min(max(f, 0), 1)
	}
	b := func(f float64) uint8 { return uint8(math.Round(f * 255)) }
	return Color{R: b(v[0]), G: b(v[1]), B: b(v[2]), A: b(v[3]), Set: true}, true
}
