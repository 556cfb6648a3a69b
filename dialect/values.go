package dialect

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/jebosio/matte/params"
)

// Value parsers shared by the hosted-API dialects. Each takes a field's
// text as Body.Text returns it.

// Image is a source image: bytes given in the request, or a URL to fetch.
type Image struct {
	Data  []byte
	URL   string
	Field string // the field that gave it
}

// ParseBool parses true/false/1/0 in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// DecodeBase64 decodes an image given as base64: an optional data URL
// prefix ("data:image/png;base64,"), whitespace anywhere, the standard or
// URL-safe alphabet, with or without padding.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "data:") {
		_, rest, ok := strings.Cut(s, ",")
		if !ok {
			return nil, errors.New("a data URL without a comma")
		}
		s = rest
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\r', '\n':
		case '-':
			b.WriteByte('+')
		case '_':
			b.WriteByte('/')
		default:
			b.WriteByte(c)
		}
	}
	clean := strings.TrimRight(b.String(), "=")
	if clean == "" {
		return nil, errors.New("empty")
	}
	return base64.RawStdEncoding.DecodeString(clean)
}

// Base64Len is the length of n bytes in padded base64.
func Base64Len(n int64) int64 { return (n + 2) / 3 * 4 }

// ParseNumber parses a finite decimal (no exponent, Inf or NaN), allowing
// surrounding spaces; -0 reads as 0.
func ParseNumber(s string) (float64, bool) {
	f, err := params.ParseDecimal(strings.TrimSpace(s))
	return f + 0, err == nil
}

// ParseInt parses an optionally signed integer in [lo, hi]; a JSON number
// such as 10.0 counts.
func ParseInt(s string, lo, hi int) (int, bool) {
	f, ok := ParseNumber(s)
	if !ok || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, false
	}
	return int(f), true
}

// ParseLength parses "12px", "12" (pixels) or "12%".
func ParseLength(s string) (params.Length, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	l := params.Length{}
	switch {
	case strings.HasSuffix(s, "%"):
		l.Percent, s = true, strings.TrimSuffix(s, "%")
	case strings.HasSuffix(s, "px"):
		s = strings.TrimSuffix(s, "px")
	}
	f, ok := ParseNumber(s)
	if !ok || f < 0 {
		return params.Length{}, false
	}
	l.Value = f
	return l, true
}

// SplitList splits on spaces, tabs and commas.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// ParseTuple parses "(a, b, ...)" or "a,b,..." (brackets optional, also
// [ ]) into n1 to n2 integers in [lo, hi].
func ParseTuple(s string, n1, n2 int, lo, hi int) ([]int, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '(' && s[len(s)-1] == ')' || s[0] == '[' && s[len(s)-1] == ']') {
		s = s[1 : len(s)-1]
	}
	parts := strings.Split(s, ",")
	if len(parts) < n1 || len(parts) > n2 {
		return nil, false
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		v, ok := ParseInt(p, lo, hi)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// IsHTTPURL accepts an absolute http or https URL with a host.
func IsHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// NormalizeAngle maps a finite angle into [0, 360).
func NormalizeAngle(f float64) float64 {
	r := math.Mod(f, 360)
	if r < 0 {
		r += 360
	}
	if r >= 360 || r == 0 {
		r = 0
	}
	return r
}

// Quote quotes a client's value for an error message, cut after 40 bytes.
func Quote(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}

// Errorf builds one client error.
func Errorf(status int, code, title, field, format string, args ...any) *params.Error {
	return &params.Error{Status: status, Code: code, Title: title, Field: field, Detail: fmt.Sprintf(format, args...)}
}
