package caddymodule

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cacheControl parses a Cache-Control header into its directives (split
// as capMaxAge splits them: splitDirectives), names
// lower-cased, values unquoted ("" when a directive has none). A directive
// given twice keeps its first value (RFC 9111 §4.2.1: "use the first
// occurrence"), so a later max-age=86400 cannot lengthen a max-age=0.
func cacheControl(h http.Header) map[string]string {
	d := map[string]string{}
	for _, line := range h.Values("Cache-Control") {
		for _, part := range splitDirectives(line) {
			k, v, _ := strings.Cut(part, "=")
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				if _, seen := d[k]; !seen {
					d[k] = strings.Trim(strings.TrimSpace(v), `"`)
				}
			}
		}
	}
	return d
}

// maxDeltaSeconds is the largest delta-seconds a cache need handle (RFC
// 9111 §1.2.2: a larger one is taken as 2^31); a lifetime in seconds up to
// it fits time.Duration.
const maxDeltaSeconds = 1 << 31

// deltaSeconds reads a delta-seconds value (a max-age, an Age), clamped to
// maxDeltaSeconds; false when it is not a non-negative integer.
func deltaSeconds(v string) (time.Duration, bool) {
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > maxDeltaSeconds { // only a range error is left
		n = maxDeltaSeconds
	}
	return time.Duration(n) * time.Second, true
}

// freshness is how long a shared cache may reuse the origin's response
// without asking again (RFC 9111 §4.2.1), and at least floor (the
// operator's source_ttl, whatever the origin says):
//   - explicit: s-maxage, else max-age, else Expires − Date; no-cache,
//     no-store and private grant none;
//   - heuristic (§4.2.2), only where the origin says nothing of freshness
//     and sends Last-Modified: a tenth of the time since it, at most
//     heuristicMax, so a file edited moments before it was fetched is
//     asked about again soon, and one unchanged for a year after
//     heuristicMax.
//
// What is left of any of them is less the Age the response arrived with
// (a CDN in front of the origin keeps the origin's Date and says how long
// it held the response in Age). The apparent age, now − Date, is not
// added: it would charge an origin's clock skew to its lifetime, as
// Varnish does not either.
func freshness(h http.Header, now time.Time, floor, heuristicMax time.Duration) time.Duration {
	cc := cacheControl(h)
	for _, k := range []string{"no-cache", "no-store", "private"} {
		if _, ok := cc[k]; ok {
			return floor
		}
	}
	maxAge, explicit := deltaSeconds(cc["s-maxage"])
	if !explicit {
		maxAge, explicit = deltaSeconds(cc["max-age"])
	}
	base := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		base = d
	}
	lifetime := time.Duration(0)
	switch {
	case explicit:
		lifetime = maxAge
	case h.Get("Expires") != "":
		// An Expires that does not parse means already expired (§5.3).
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			lifetime = exp.Sub(base)
		}
	case heuristicMax > 0:
		if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil && lm.Before(base) {
			lifetime = min(base.Sub(lm)/10, heuristicMax)
		}
	}
	age, _ := deltaSeconds(strings.TrimSpace(h.Get("Age")))
	return max(lifetime-age, floor)
}

// sharing is what a shared cache may do with one origin response.
type sharing struct {
	// store: the response (its memo, and the results derived from it) may
	// be stored and reused for other requests.
	store bool
	// noStore: the origin forbids storing the response anywhere, the
	// client's cache included.
	noStore bool
	// vary are the canonical names of the request headers the response
	// varies on, sorted: part of the memo's key (memoKey).
	vary []string
}

// shareability applies RFC 9111's rules for a shared cache to an origin
// response with header res, answering a request with header req:
//   - a response with no-store or private is never stored (§5.2.2.5,
//     §5.2.2.7);
//   - a response to a request with Authorization is stored only when the
//     origin allows it with public, s-maxage or must-revalidate (§3.5);
//   - Vary: * matches no other request (§4.1), and a response that varies
//     on Cookie would need one entry per session: neither is stored;
//   - Accept-Encoding is not one of them: every request for a source asks
//     for an unencoded body (sanitizeSourceHeader; the fetcher decodes what
//     it gets), so the bytes Matte transforms never vary on it, and a
//     result that passed it on would split downstream caches per client
//     encoding for nothing (Caddy's file_server says Vary: Accept-Encoding
//     on every file);
//   - any other Vary names request headers whose values key the memo.
func shareability(req, res http.Header) sharing {
	cc := cacheControl(res)
	_, noStore := cc["no-store"]
	_, private := cc["private"]
	s := sharing{store: !noStore && !private, noStore: noStore}
	if req.Get("Authorization") != "" {
		_, public := cc["public"]
		_, sMaxAge := cc["s-maxage"]
		_, mustRevalidate := cc["must-revalidate"]
		s.store = s.store && (public || sMaxAge || mustRevalidate)
	}
	for _, line := range res.Values("Vary") {
		for _, name := range strings.Split(line, ",") {
			name = http.CanonicalHeaderKey(strings.TrimSpace(name))
			switch name {
			case "", "Accept-Encoding":
				continue
			case "*", "Cookie":
				s.store = false
			}
			if !slices.Contains(s.vary, name) {
				s.vary = append(s.vary, name)
			}
		}
	}
	slices.Sort(s.vary)
	return s
}

// DefaultSourceHeuristicTTL is the most a source whose origin says nothing
// of freshness is reused without asking again (source_heuristic_ttl): long
// enough that a popular image costs its origin one conditional request a
// second instead of one per hit, short enough that nobody sees an edit
// late.
const DefaultSourceHeuristicTTL = time.Second

// sourceFreshness is how long req's source, answered with header, is
// reused without asking the origin. A request that sends credentials to
// the origin gets no heuristic freshness: its answer is reused only where
// the origin or the operator (source_ttl) grants freshness explicitly, so
// the origin's access check is not skipped on a guess.
func (h *Handler) sourceFreshness(req *imageRequest, header http.Header, now time.Time) time.Duration {
	heuristic := DefaultSourceHeuristicTTL
	if h.SourceHeuristicTTL != nil {
		heuristic = time.Duration(*h.SourceHeuristicTTL)
	}
	if sendsCredentials(h.sentHeader(req)) {
		heuristic = 0
	}
	return freshness(header, now, time.Duration(h.SourceTTL), heuristic)
}
