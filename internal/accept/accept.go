// Package accept reads an HTTP Accept header's media ranges and their
// weights (RFC 9110, section 12.5.1).
package accept

import (
	"mime"
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
// element that is not a media range (no "/") is skipped.
func Parse(accept string) []Range {
	var out []Range
	for _, part := range strings.Split(accept, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		// ParseMediaType lower-cases the type and keeps the media type when
		// only a parameter is malformed; a range with no type is skipped.
		mt, params, err := mime.ParseMediaType(part)
		if mt == "" && err != nil {
			continue
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
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
