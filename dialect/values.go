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

// Error is one problem with a request, in a dialect's own terms: the HTTP
// status, the dialect's code, a title, a message fit for the client, and
// the offending field ("" when none).
type Error struct {
	Status int
	Code   string
	Title  string
	Detail string
	Field  string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Code + " (" + e.Field + "): " + e.Detail
	}
	return e.Code + ": " + e.Detail
}

// Errors is every problem found in one request, in field order.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Status is the first error's status (400 for an empty list).
func (es Errors) Status() int {
	if len(es) == 0 {
		return 400
	}
	return es[0].Status
}

// Has reports whether a field has an error.
func (es Errors) Has(field string) bool {
	for _, e := range es {
		if e.Field == field {
			return true
		}
	}
	return false
}

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

// parseNumber parses a finite decimal (no exponent, Inf or NaN), allowing
// surrounding spaces; -0 reads as 0.
func parseNumber(s string) (float64, bool) {
	f, err := params.ParseDecimal(strings.TrimSpace(s))
	return f + 0, err == nil
}

// parseInt parses an optionally signed integer in [lo, hi]; a JSON number
// such as 10.0 counts.
func parseInt(s string, lo, hi int) (int, bool) {
	f, ok := parseNumber(s)
	if !ok || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, false
	}
	return int(f), true
}

// parseLength parses "12px", "12" (pixels) or "12%".
func parseLength(s string) (params.Length, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	l := params.Length{}
	switch {
	case strings.HasSuffix(s, "%"):
		l.Percent, s = true, strings.TrimSuffix(s, "%")
	case strings.HasSuffix(s, "px"):
		s = strings.TrimSuffix(s, "px")
	}
	f, ok := parseNumber(s)
	if !ok || f < 0 {
		return params.Length{}, false
	}
	l.Value = f
	return l, true
}

// splitList splits on spaces and commas.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// parseTuple parses "(a, b, ...)" or "a,b,..." (brackets optional, also
// [ ]) into n1 to n2 integers.
func parseTuple(s string, n1, n2 int, lo, hi int) ([]int, bool) {
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
		v, ok := parseInt(p, lo, hi)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// checkURL accepts an absolute http or https URL with a host.
func checkURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// normalizeAngle maps a finite angle into [0, 360).
func normalizeAngle(f float64) float64 {
	r := math.Mod(f, 360)
	if r < 0 {
		r += 360
	}
	if r >= 360 || r == 0 {
		r = 0
	}
	return r
}

// SizeBox is the largest box with w x h's aspect ratio and at most maxMP
// megapixels, never above w x h (maxMP 0: w x h).
func SizeBox(w, h int, maxMP float64) (int, int) {
	if maxMP <= 0 || w <= 0 || h <= 0 || float64(w)*float64(h) <= maxMP*1e6 {
		return w, h
	}
	limit := maxMP * 1e6
	f := math.Sqrt(limit / (float64(w) * float64(h)))
	bw, bh := int(math.Floor(float64(w)*f)), int(math.Floor(float64(h)*f))
	switch {
	case bw < 1:
		bw, bh = 1, min(h, max(1, int(math.Floor(limit))))
	case bh < 1:
		bw, bh = min(w, max(1, int(math.Floor(limit)))), 1
	}
	return bw, bh
}

func quote(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}

func errf(status int, code, title, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Title: title, Field: field, Detail: fmt.Sprintf(format, args...)}
}
