// Package accept reads an HTTP Accept header's media ranges and their
// weights (RFC 9110, section 12.5.1).
package accept

import (
	"strconv"
	"strings"
)

// Range is one media range of an Accept header, lower-cased, with its
// weight (1 when the range gives none or an unreadable one).
type Range struct {
	Type, Subtype string
	Q             float64
}

// Parse splits accept into its media ranges, in the header's order. An
// element that is not a media range (no "/") is skipped. The weight is read
// from the range's own q parameter whatever its other parameters hold (a
// malformed one must not turn a q=0 into 1).
func Parse(accept string) []Range {
	var out []Range
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(fields[0])), "/")
		typ, sub = strings.TrimSpace(typ), strings.TrimSpace(sub)
		if !ok || typ == "" || sub == "" {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			if !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			if w, err := strconv.ParseFloat(strings.Trim(strings.TrimSpace(v), `"`), 64); err == nil && w >= 0 && w <= 1 {
				q = w
			}
			break
		}
		out = append(out, Range{Type: typ, Subtype: sub, Q: q})
	}
	return out
}

// Listed reports whether accept names mime itself (not through a
// wildcard) with a weight above zero: what a browser says about a format
// it decodes (image/avif), which */* does not promise.
func Listed(accept, mediaType string) bool {
	typ, sub, _ := strings.Cut(strings.ToLower(mediaType), "/")
	for _, r := range Parse(accept) {
		if r.Type == typ && r.Subtype == sub {
			return r.Q > 0
		}
	}
	return false
}

// Quality is the weight accept gives mediaType: that of the most specific
// range that matches it (type/subtype, then type/*, then */*), 0 when none
// does. An empty header accepts everything (1).
func Quality(accept, mediaType string) float64 {
	if strings.TrimSpace(accept) == "" {
		return 1
	}
	typ, sub, _ := strings.Cut(strings.ToLower(mediaType), "/")
	best, q := -1, 0.0
	for _, r := range Parse(accept) {
		rank := -1
		switch {
		case r.Type == typ && r.Subtype == sub:
			rank = 2
		case r.Type == typ && r.Subtype == "*":
			rank = 1
		case r.Type == "*" && r.Subtype == "*":
			rank = 0
		}
		if rank > best {
			best, q = rank, r.Q
		}
	}
	return q
}
