package caddymodule

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cacheControl parses a Cache-Control header into its directives, names
// lower-cased, values unquoted ("" when a directive has none).
func cacheControl(h http.Header) map[string]string {
	d := map[string]string{}
	for _, line := range h.Values("Cache-Control") {
		for _, part := range strings.Split(line, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				d[k] = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	return d
}

// freshness is how long the origin lets its response be reused, from
// Cache-Control (s-maxage, max-age, no-cache, no-store) or Expires, and at
// least floor.
func freshness(h http.Header, now time.Time, floor time.Duration) time.Duration {
	cc := cacheControl(h)
	for _, k := range []string{"no-cache", "no-store", "private"} {
		if _, ok := cc[k]; ok {
			return floor
		}
	}
	ttl := time.Duration(0)
	maxAge := -1
	if n, err := strconv.Atoi(cc["s-maxage"]); err == nil {
		maxAge = n
	} else if n, err := strconv.Atoi(cc["max-age"]); err == nil {
		maxAge = n
	}
	switch {
	case maxAge >= 0:
		age, _ := strconv.Atoi(h.Get("Age"))
		ttl = time.Duration(maxAge-age) * time.Second
	case h.Get("Expires") != "":
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			base := now
			if d, err := http.ParseTime(h.Get("Date")); err == nil {
				base = d
			}
			ttl = exp.Sub(base)
		}
	}
	return max(ttl, floor)
}
