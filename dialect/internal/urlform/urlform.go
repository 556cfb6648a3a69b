// Package urlform holds what the query-style URL dialects (nextjs, netlify,
// wsrv, imagekit, supabase, shopify, ...) share: reading the image source a
// URL names, dropping a dialect's own parameters from a raw query, reading
// a parameter given once, and collecting one public error per option. It keeps no state; everything is safe for concurrent
// use.
package urlform

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// MaxSource is the longest source reference a dialect accepts, in bytes.
const MaxSource = 4096

// Source reads ref, the image a URL names, as dialect.ImageURL wants it:
//
//   - a path on this site ("/img/a.jpg", optionally with a query): source is
//     the decoded path, query its raw query. "//host/..." (protocol-
//     relative), "." and ".." segments, backslashes and control characters
//     are refused.
//   - an absolute http:// or https:// URL (scheme in any case) with a host
//     and no user info: source is the URL as url.URL writes it (scheme
//     lower-cased, fragment dropped), query is empty.
//
// The error's message is fit for a client's eyes.
func Source(ref string) (source, query string, err error) {
	switch {
	case ref == "":
		return "", "", errors.New("it is empty")
	case len(ref) > MaxSource:
		return "", "", errors.New("it is longer than 4096 bytes")
	case !utf8.ValidString(ref):
		return "", "", errors.New("it is not UTF-8")
	}
	for i := 0; i < len(ref); i++ {
		if c := ref[i]; c < ' ' || c == 0x7f || c == '\\' {
			return "", "", errors.New("it holds a control character or a backslash")
		}
	}
	if strings.HasPrefix(ref, "//") {
		return "", "", errors.New("a protocol-relative URL (//host) is not allowed; give http:// or https://")
	}
	u, perr := url.Parse(ref)
	if perr != nil {
		return "", "", errors.New("it is not a valid URL")
	}
	if strings.HasPrefix(ref, "/") {
		if u.Path == "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
			return "", "", errors.New("it is not a valid path")
		}
		if params.HasDotSegment(u.Path) { // a decoded %5C separates too
			return "", "", errors.New(". and .. segments are not allowed")
		}
		if strings.ContainsFunc(u.Path, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return "", "", errors.New("it holds an escaped control character")
		}
		return u.Path, u.RawQuery, nil
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", errors.New("it is neither a path starting with / nor an http:// or https:// URL")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "", "", errors.New("the URL has no host")
	}
	if u.User != nil {
		return "", "", errors.New("user info is not allowed in the URL")
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), "", nil
}

// Without returns rawQuery as sent, minus every parameter whose (decoded)
// name drop reports; the rest keeps its order and spelling.
func Without(rawQuery string, drop func(name string) bool) string {
	if rawQuery == "" {
		return ""
	}
	var kept []string
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if !drop(name) {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, "&")
}

// Query is rawQuery parsed as url.ParseQuery parses it; ok is false, and a
// 400 on field "query" is reported on e, when ParseQuery finds a pair it
// cannot read: a bad escape (%zz) in a name or value, or a ; (which
// ParseQuery does not take for a separator). ParseQuery skips such a pair
// and Without takes its name out of the source's query as well, so reading
// on would drop the option silently: a dialect answers the 400 instead (q
// then holds only the pairs that could be read, and is not to be used).
func (e *Errors) Query(rawQuery string) (q url.Values, ok bool) {
	q, err := url.ParseQuery(rawQuery)
	if err == nil {
		return q, true
	}
	var esc url.EscapeError
	if errors.As(err, &esc) {
		e.Add("query", fmt.Sprintf("The query is not validly escaped (%s is not an escape); write a %% in a name or value as %%25.", params.QuoteShort(string(esc))))
	} else {
		e.Add("query", "The query holds a ;, which does not separate parameters; write & between them, and a ; in a value as %3B.")
	}
	return q, false
}

// Errors collects a URL's bad options: one 400 invalid_parameter error per
// field (the first reported wins), in the order they were reported. The
// zero value is ready to use.
type Errors struct {
	list params.Errors
}

// Add reports field as bad with detail, unless it has an error already.
func (e *Errors) Add(field, detail string) {
	if !e.Has(field) {
		e.list = append(e.list, params.BadParam(field, detail))
	}
}

// One is the value of the query parameter name when q gives it exactly
// once, and not empty unless mayBeEmpty; given is false otherwise. A
// parameter given twice, or empty, is reported on e, allowed saying what a
// valid value is ("give it once, as <allowed>"); an absent one is not.
func (e *Errors) One(q url.Values, name, allowed string, mayBeEmpty bool) (v string, given bool) {
	vals := q[name]
	switch {
	case len(vals) == 0:
		return "", false
	case len(vals) > 1:
		e.Add(name, fmt.Sprintf("%s is given %d times; give it once, as %s.", name, len(vals), allowed))
		return "", false
	case vals[0] == "" && !mayBeEmpty:
		e.Add(name, fmt.Sprintf("%s is empty; leave it out, or give %s.", name, allowed))
		return "", false
	}
	return vals[0], true
}

// Invalid reports name=v as not valid: why, when it says more than
// params.ErrSyntax (nil: nothing), in brackets, then what allowed says a
// valid value is.
func (e *Errors) Invalid(name, v, allowed string, why error) {
	detail := fmt.Sprintf("%s=%s is not valid", name, params.QuoteShort(v))
	if why != nil && !errors.Is(why, params.ErrSyntax) {
		detail += " (" + why.Error() + ")"
	}
	e.Add(name, detail+fmt.Sprintf("; %s must be %s.", name, allowed))
}

// Has reports whether field has an error.
func (e *Errors) Has(field string) bool { return e.list.Has(field) }

// Err is nil when nothing was reported, else the params.Errors list.
func (e *Errors) Err() error {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

// Bool reads exactly "true" or "false" (ImageKit's and ImageEngine's
// flags); anything else is params.ErrSyntax.
func Bool(v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, params.ErrSyntax
}

// OnAnyPath reads u for a dialect whose query names are its only mark
// (bunny, keycdn): claimed is false unless u's query has one of names,
// in a pair url.ParseQuery can read or in one it would skip (a bad escape
// in the value, a ;), so that such an option is refused, not passed over.
// When claimed, source is u's path on this site (a bad one is reported on
// e as "path") and query is u's raw query without the parameters isParam
// names, for the origin; q is the query parsed, nil when Query reported it
// on e.
func (e *Errors) OnAnyPath(u *url.URL, names []string, isParam func(string) bool) (q url.Values, source, query string, claimed bool) {
	if !Claims(u.RawQuery, names...) {
		return nil, "", "", false
	}
	claimed = true
	q, ok := e.Query(u.RawQuery)
	if !ok {
		q = nil
	}
	src, err := pathurl.Local(u.Path, "path")
	if err != nil {
		e.Add("path", params.AsErrors(err)[0].Detail)
		return q, "", "", true
	}
	return q, src, Without(u.RawQuery, isParam), true
}

// Claims reports whether a dialect that recognises its URLs by the query
// names names claims rawQuery: a pair, split at & and at ;, has one of
// them for its (decoded) name, whatever its value. That is every pair
// url.ParseQuery would hold under one of names, and also those it skips
// (a bad escape in the value, a ;), so that such a URL is the dialect's
// 400 on query (Errors.Query), never the original served as if no option
// were there. It builds no map: a dialect asks it of every request the
// server answers.
func Claims(rawQuery string, names ...string) bool {
	for pair := range strings.FieldsFuncSeq(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		key, _, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(key)
		if err == nil && slices.Contains(names, k) {
			return true
		}
	}
	return false
}
