package params

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// The value grammar every dialect shares: plain decimals (no exponent, Inf
// or NaN), integers in a range, percentages, and a short quoted echo of a
// bad value for error details.

// ErrSyntax is the generic "not of the allowed form" failure: the detail then
// just restates the allowed values.
var ErrSyntax = errors.New("syntax")

// ParseInt parses plain decimal digits into an int in [lo, hi].
func ParseInt(s string, lo, hi int) (int, error) {
	if s == "" {
		return 0, ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrSyntax
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < uint64(lo) || n > uint64(hi) {
		return 0, ErrSyntax
	}
	return int(n), nil
}

// ParseDecimal parses [+-]digits[.digits] (either side of "." may be empty,
// not both) into a finite float64.
func ParseDecimal(s string) (float64, error) {
	t := s
	if t != "" && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case '0' <= c && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, ErrSyntax
		}
	}
	if digits == 0 || dots > 1 {
		return 0, ErrSyntax
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, ErrSyntax
	}
	return f, nil
}

// ParseDecimalIn parses a decimal (as ParseDecimal) in [lo, hi]; -0 is 0.
func ParseDecimalIn(s string, lo, hi float64) (float64, error) {
	f, err := ParseDecimal(s)
	if err != nil || f < lo || f > hi {
		return 0, ErrSyntax
	}
	return f + 0, nil // -0 + 0 is +0
}

// ParseFraction parses a part of a whole as the CDNs write one in place of
// a size (imgix w=0.5, ImageKit w-0.5): digits with a ".", no sign,
// strictly between 0 and 1.
func ParseFraction(s string) (float64, error) {
	if !strings.Contains(s, ".") || s[0] == '+' || s[0] == '-' {
		return 0, ErrSyntax
	}
	f, err := ParseDecimal(s)
	if err != nil || f <= 0 || f >= 1 {
		return 0, ErrSyntax
	}
	return f, nil
}

// ParseSide parses a width or height as the CDNs write one (imgix w=400
// or w=0.5, ImageKit w-400, Cloudinary w_0.5): with a ".", a fraction of
// the image's side (ParseFraction), else whole pixels from 1 to max; the
// other result is 0.
func ParseSide(s string, max int) (px int, fraction float64, err error) {
	if strings.Contains(s, ".") {
		fraction, err = ParseFraction(s)
		return 0, fraction, err
	}
	px, err = ParseInt(s, 1, max)
	return px, 0, err
}

// ParseRatio parses an aspect ratio W<sep>H (imgix 16:9, ImageKit 16-9):
// two decimals above 0 and up to max; the result is W ÷ H.
func ParseRatio(s, sep string, max float64) (float64, error) {
	ws, hs, ok := strings.Cut(s, sep)
	w, werr := ParseDecimalIn(ws, 0, max)
	h, herr := ParseDecimalIn(hs, 0, max)
	if !ok || werr != nil || herr != nil || w == 0 || h == 0 {
		return 0, ErrSyntax
	}
	return w / h, nil
}

// ParsePercent parses a decimal from 0 to 100 with an optional trailing "%".
func ParsePercent(s string) (float64, error) {
	return ParseDecimalIn(strings.TrimSuffix(s, "%"), 0, 100)
}

// ParsePercentFraction parses a decimal percentage in [lo, hi] (no "%") and
// returns it divided by 100, rounded once, so that "50" gives exactly what
// "0.5" does.
func ParsePercentFraction(s string, lo, hi float64) (float64, error) {
	if _, err := ParseDecimalIn(s, lo, hi); err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(s+"e-2", 64) // s is plain [+-]digits[.digits]
	if err != nil {
		return 0, ErrSyntax
	}
	return f + 0, nil
}

// ParseSignedInt parses an optional sign and plain decimal digits into an
// int in [lo, hi]; -0 is 0.
func ParseSignedInt(s string, lo, hi int) (int, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	n, err := ParseInt(s, 0, max(-lo, hi))
	if neg {
		n = -n
	}
	if err != nil || n < lo || n > hi {
		return 0, ErrSyntax
	}
	return n, nil
}

// QuoteShort quotes s for an error detail, cut to a sane length.
func QuoteShort(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
