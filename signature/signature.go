// Package signature signs and verifies Matte URLs.
//
// # What is signed
//
// A signed URL carries s=<signature> in its query. The signature is
//
//	base64url-without-padding( HMAC-SHA256( key, CanonicalPath(path) + "?" + CanonicalQuery(query) ) )
//
// where path is the URL's escaped path and query is every query parameter
// except s (expires= and preset= included, when present). Concretely:
//
//  1. Path: take the path as it appears in the URL (escaped). Decode each
//     %HH to its byte; keep each literal "/" as "/"; write every other byte
//     as itself when it is one of A-Z a-z 0-9 - . _ ~ and as %HH (upper-case
//     hex) otherwise. An encoded slash (%2F) therefore stays %2F. An empty
//     path is "/". No dot-segment removal.
//  2. Query: decode the query as application/x-www-form-urlencoded ("+" is a
//     space, %HH a byte, "a" alone is "a="), drop every s parameter, encode
//     each name and each value with the rule of step 1 (so a space is %20,
//     "/" is %2F), sort the pairs by encoded name and then by encoded value in
//     byte order, and join them as name=value with "&".
//  3. Signed string: path + "?" + query (the "?" is always there).
//  4. s = base64url (RFC 4648 §5, alphabet A-Z a-z 0-9 - _) of the 32-byte
//     HMAC-SHA256, without "=" padding: always 43 characters.
//
// Example (key "secret"): path /photos/cat.jpg, query w=300&fm=webp signs the
// string "/photos/cat.jpg?fm=webp&w=300", and s is
// ia0-dcQqkIFxrr9eUc1aC5gSqiS0RGmC2VqY5hVQutU (ExampleSign checks it).
//
// An optional expires=<unix seconds> is signed like any other parameter; the
// URL is refused from that second on.
//
// # Host binding
//
// By default a signature covers the path and the query only, so a URL
// signed for one site verifies on every site that shares the key. A policy
// with BindHost makes the signature cover the host as well: the signed
// string is then
//
//	CanonicalHost(host) + CanonicalPath(path) + "?" + CanonicalQuery(query)
//
// that is, HostPath(host, path) takes the place of the path. Example (key
// "secret"): host CDN.Example.com:443, path /photos/cat.jpg, query
// w=300&fm=webp signs "cdn.example.com/photos/cat.jpg?fm=webp&w=300".
// A host-bound string never starts with "/", so it cannot be mistaken for
// the signed string of a path alone.
//
// # Policy
//
// Policy decides what a request may do without a signature (Unsigned names,
// presets), verifies s and expires, expands preset= and returns the
// effective query that the transform should see, in the order sent. The
// signature covers the pairs, not their order, so every dialect refuses a
// parameter given twice with different values (whichever came first could
// win), and SignURL keeps the order it is given, for a dialect that
// applies its options in URL order (WordPress).
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reserved parameter names. Policy.Check removes them from the effective
// query; the origin and the transform never see them.
const (
	ParamSignature = "s"
	ParamExpires   = "expires"
	ParamPreset    = "preset"
)

// MinKeyLen is the shortest key Policy.Validate accepts (32 bytes or more is
// recommended: a random 256-bit key).
const MinKeyLen = 16

// Machine-readable error codes.
const (
	CodeMissing        = "signature_missing" // 403
	CodeInvalid        = "signature_invalid" // 403
	CodeExpired        = "signature_expired" // 403
	CodeBadExpires     = "invalid_expires"   // 400
	CodeUnknownPreset  = "unknown_preset"    // 400
	CodeMalformedQuery = "invalid_query"     // 400
)

// Sentinels for errors.Is; every *Error unwraps to one of them.
var (
	ErrMissing        = errors.New("signature missing")
	ErrInvalid        = errors.New("signature invalid")
	ErrExpired        = errors.New("signature expired")
	ErrBadExpires     = errors.New("malformed expires")
	ErrUnknownPreset  = errors.New("unknown preset")
	ErrMalformedQuery = errMalformedQuery
)

// Error is a refused request. Status is 403 for signature problems (missing,
// invalid, expired) and 400 for malformed input (expires, preset, query).
// Detail is safe to show to the client; Field names the offending query
// parameter ("s", "expires", "preset", or the first parameter that needs a
// signature), empty when no single parameter is at fault.
type Error struct {
	Status int
	Code   string
	Field  string
	Detail string
	err    error
}

func (e *Error) Error() string {
	s := e.Code
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	return s + ": " + e.Detail
}

// Unwrap returns the sentinel (ErrMissing, ErrInvalid, ...).
func (e *Error) Unwrap() error { return e.err }

func newErr(sentinel error, field, detail string) *Error {
	e := &Error{Field: field, Detail: detail, err: sentinel, Status: http.StatusForbidden}
	switch sentinel {
	case ErrMissing:
		e.Code = CodeMissing
	case ErrInvalid:
		e.Code = CodeInvalid
	case ErrExpired:
		e.Code = CodeExpired
	case ErrBadExpires:
		e.Code, e.Status = CodeBadExpires, http.StatusBadRequest
	case ErrUnknownPreset:
		e.Code, e.Status = CodeUnknownPreset, http.StatusBadRequest
	default:
		e.Code, e.Status = CodeMalformedQuery, http.StatusBadRequest
	}
	return e
}

// sigLen is the length of an encoded signature: 32 bytes in unpadded base64.
var sigLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

var sigEncoding = base64.RawURLEncoding.Strict()

// Compute returns the signature (the value of s) of escapedPath and q under
// key. Any s in q is ignored.
func Compute(key []byte, escapedPath string, q url.Values) string {
	return sigEncoding.EncodeToString(mac(key, StringToSign(escapedPath, q)))
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Sign returns the signed query string for escapedPath and query: the
// canonical query (CanonicalQuery, any s dropped) followed by "&s=<sig>"
// ("s=<sig>" alone when the query is empty). To make the URL expire, set
// query's "expires" to the unix time in seconds before signing.
func Sign(key []byte, escapedPath string, query url.Values) string {
	cq := CanonicalQuery(query)
	return withSignature(key, CanonicalPath(escapedPath)+"?"+cq, cq)
}

// withSignature is rawQuery, the query as it will be sent, followed by
// s=<the signature of signed, the string to sign>: "&s=..." ("s=..." alone
// when rawQuery is empty).
func withSignature(key []byte, signed, rawQuery string) string {
	s := ParamSignature + "=" + sigEncoding.EncodeToString(mac(key, signed))
	if rawQuery == "" {
		return s
	}
	return rawQuery + "&" + s
}

// SignURL signs a whole URL (absolute, or a path with a query): its query
// keeps its parameters in the order given, any previous s dropped, and
// gains s= last (SignQuery); scheme, host and fragment are kept. It fails
// on an unparsable URL or a query part that ParseQueryStrict refuses.
func SignURL(key []byte, rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	if u.RawQuery, err = SignQuery(key, u.EscapedPath(), u.RawQuery, nil); err != nil {
		return "", err
	}
	u.ForceQuery = false
	return u.String(), nil
}

// SignQuery signs rawQuery for signedPath (an escaped path, or HostPath's
// for a host-bound signature) and returns it with its parameters in the
// order given: any s dropped, the parameters of set (expires=, say)
// replacing any of the same name and added at the end, and s= last. The
// signature is over the canonical form, as Sign's, so the order stays the
// URL's own: a dialect that applies options in URL order (WordPress) gets
// them as written. It fails on a query part ParseQueryStrict refuses.
func SignQuery(key []byte, signedPath, rawQuery string, set url.Values) (string, error) {
	var kept []string
	for _, part := range strings.Split(rawQuery, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); part == "" || err == nil && (n == ParamSignature || set.Has(n)) {
			continue
		}
		kept = append(kept, part)
	}
	if extra := set.Encode(); extra != "" {
		kept = append(kept, extra)
	}
	raw := strings.Join(kept, "&")
	q, err := ParseQueryStrict(raw)
	if err != nil {
		return "", err
	}
	return withSignature(key, StringToSign(signedPath, q), raw), nil
}

// SignURLForHost is SignURL with the signature bound to the URL's host (see
// "Host binding"); rawURL must be absolute.
func SignURLForHost(key []byte, rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	if CanonicalHost(u.Host) == "" {
		return "", errors.New("signature: a host-bound URL needs a host (give an absolute URL)")
	}
	if u.RawQuery, err = SignQuery(key, HostPath(u.Host, u.EscapedPath()), u.RawQuery, nil); err != nil {
		return "", err
	}
	u.ForceQuery = false
	return u.String(), nil
}

// Verifier checks s= (and expires=) against a set of keys. A signature made
// with any of Keys passes, so keys can be rotated: add the new key, move the
// signers to it, then drop the old one.
type Verifier struct {
	Keys [][]byte
	// Now is the clock for expires; nil means time.Now.
	Now func() time.Time
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify checks q (already parsed, strictly: see ParseQueryStrict) for a
// valid s over escapedPath (HostPath(host, path) for a host-bound
// signature) and the rest of q, then checks expires if
// present. Errors are *Error, checked in this order: missing s, malformed
// expires, invalid s, expired.
func (v *Verifier) Verify(escapedPath string, q url.Values) error {
	sigs := q[ParamSignature]
	if len(sigs) == 0 {
		return newErr(ErrMissing, ParamSignature, "This URL must be signed: add s=.")
	}
	exp, hasExp, err := parseExpires(q)
	if err != nil {
		return err
	}
	if len(sigs) > 1 {
		return newErr(ErrInvalid, ParamSignature, "s is given more than once.")
	}
	got, derr := sigEncoding.DecodeString(sigs[0])
	if derr != nil || len(sigs[0]) != sigLen {
		return newErr(ErrInvalid, ParamSignature, "s is not a valid signature for this URL.")
	}
	msg := StringToSign(escapedPath, q)
	ok := 0
	for _, k := range v.Keys {
		// Every key is tried, whichever matches, so timing does not tell
		// which key (if any) matched.
		if hmac.Equal(got, mac(k, msg)) {
			ok = 1
		}
	}
	if ok == 0 {
		return newErr(ErrInvalid, ParamSignature, "s is not a valid signature for this URL.")
	}
	if hasExp && !v.now().Before(exp) {
		return newErr(ErrExpired, ParamExpires, "This signed URL has expired.")
	}
	return nil
}

// VerifyRaw is Verify on a raw query string, parsed with ParseQueryStrict.
func (v *Verifier) VerifyRaw(escapedPath, rawQuery string) error {
	q, err := ParseQueryStrict(rawQuery)
	if err != nil {
		return newErr(ErrMalformedQuery, "", "The query string is malformed: "+err.Error()+".")
	}
	return v.Verify(escapedPath, q)
}

// maxExpiresDigits bounds expires= (unix seconds; 11 digits reach year 5138).
const maxExpiresDigits = 12

// parseExpires reads expires=: ASCII digits only (no sign, space or
// fraction), at most maxExpiresDigits of them, given once.
func parseExpires(q url.Values) (time.Time, bool, error) {
	vals := q[ParamExpires]
	if len(vals) == 0 {
		return time.Time{}, false, nil
	}
	if len(vals) > 1 {
		return time.Time{}, false, newErr(ErrBadExpires, ParamExpires, "expires is given more than once.")
	}
	v := vals[0]
	if v == "" || len(v) > maxExpiresDigits || strings.TrimLeft(v, "0123456789") != "" {
		return time.Time{}, false, newErr(ErrBadExpires, ParamExpires, "expires must be a unix time in seconds (decimal digits).")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, newErr(ErrBadExpires, ParamExpires, "expires must be a unix time in seconds (decimal digits).")
	}
	return time.Unix(n, 0), true, nil
}

// Policy is the signing policy of one site.
//
// With Required false, a request without s is accepted as it is (presets
// still expand, expires is still enforced); a request with s must carry a
// valid one. With Required true, a request without s is accepted only when
// each of its parameter names is in Unsigned or is preset (so a request with
// no parameter at all is accepted); any other parameter, including ones
// meant for the origin, needs a signature. A signed request is judged by
// its signature alone: Unsigned does not let anyone add parameters to a
// signed URL.
type Policy struct {
	Verifier
	// BindHost makes signatures cover the request's host (see "Host
	// binding"); Check then needs the host. Off, the host is ignored.
	BindHost bool
	Required bool
	// Unsigned lists parameter names allowed without a signature when
	// Required is set (for example "w", "fm", "dpr").
	Unsigned []string
	// Presets maps preset=<name> to the parameters it stands for. Each name
	// in a preset has exactly one value. A preset is usable without a
	// signature; parameters given explicitly beside preset= override the
	// preset's (unsigned ones only if they are in Unsigned).
	Presets map[string]url.Values
}

// Validate reports a configuration error: Required without keys, a key
// shorter than MinKeyLen, "s" in Unsigned, or a preset that is empty, uses a
// reserved name, or gives a name zero or several values.
func (p *Policy) Validate() error {
	if p.Required && len(p.Keys) == 0 {
		return errors.New("signature: required without any key")
	}
	for i, k := range p.Keys {
		if len(k) < MinKeyLen {
			return fmt.Errorf("signature: key %d is %d bytes, want at least %d", i, len(k), MinKeyLen)
		}
	}
	for _, n := range p.Unsigned {
		if n == ParamSignature || n == "" {
			return fmt.Errorf("signature: %q cannot be an unsigned parameter", n)
		}
	}
	for name, vals := range p.Presets {
		if name == "" {
			return errors.New("signature: preset with an empty name")
		}
		if len(vals) == 0 {
			return fmt.Errorf("signature: preset %q is empty", name)
		}
		for k, vs := range vals {
			if k == ParamSignature || k == ParamExpires || k == ParamPreset || k == "" {
				return fmt.Errorf("signature: preset %q sets reserved parameter %q", name, k)
			}
			if len(vs) != 1 {
				return fmt.Errorf("signature: preset %q gives %q %d values, want 1", name, k, len(vs))
			}
		}
	}
	return nil
}

// Result is what a request may do once Check accepted it.
type Result struct {
	// Query is the effective query: the request's parameters without s,
	// expires and preset, plus the preset's parameters that the request did
	// not give itself.
	Query url.Values
	// RawQuery is Query as a raw query string: the request's own parts
	// byte for byte and in their order (reserved ones removed), then the
	// preset's added parameters, canonically encoded and sorted. Set it as
	// the request's URL.RawQuery before the transform parses the query and
	// before the origin request is built.
	RawQuery string
	// Signed is true when the request carried a valid signature.
	Signed bool
	// Preset is the expanded preset's name, empty when none.
	Preset string
	// Expires is the expiry the request carried (zero when none).
	Expires time.Time
}

// Check applies the policy to a request. host is the Host the client sent
// (used only with BindHost), escapedPath the path it requested, as sent
// (url.URL.EscapedPath of the request before any rewrite or prefix
// stripping), and rawQuery its raw query string. On refusal the error is
// an *Error.
func (p *Policy) Check(host, escapedPath, rawQuery string) (Result, error) {
	parts, bad := splitAll(rawQuery)
	q := make(url.Values, len(parts))
	for _, pt := range parts {
		if pt.ok {
			q[pt.name] = append(q[pt.name], pt.val)
		}
	}
	_, hasSig := q[ParamSignature]
	if bad != nil && (p.Required || hasSig) {
		return Result{}, newErr(ErrMalformedQuery, "", "The query string is malformed: "+bad.Error()+".")
	}
	var res Result
	if hasSig {
		signedPath := escapedPath
		if p.BindHost {
			if CanonicalHost(host) == "" {
				return Result{}, newErr(ErrInvalid, ParamSignature, "This signed URL is bound to a host, and the request names none.")
			}
			signedPath = HostPath(host, escapedPath)
		}
		if err := p.Verify(signedPath, q); err != nil {
			return Result{}, err
		}
		res.Signed = true
	} else {
		if p.Required {
			if name, ok := p.firstNeedingSignature(q); ok {
				return Result{}, newErr(ErrMissing, name, "This URL must be signed: "+strconv.Quote(name)+" is not allowed without a signature (s=).")
			}
		}
	}
	exp, hasExp, err := parseExpires(q)
	if err != nil {
		return Result{}, err
	}
	if hasExp {
		if !p.now().Before(exp) {
			return Result{}, newErr(ErrExpired, ParamExpires, "This URL has expired.")
		}
		res.Expires = exp
	}

	var preset url.Values
	if names, ok := q[ParamPreset]; ok {
		if len(names) > 1 {
			return Result{}, newErr(ErrUnknownPreset, ParamPreset, "preset is given more than once.")
		}
		vals, found := p.Presets[names[0]]
		if names[0] == "" || !found {
			return Result{}, newErr(ErrUnknownPreset, ParamPreset, "preset="+strconv.Quote(clip(names[0]))+" is not a known preset.")
		}
		preset, res.Preset = vals, names[0]
	}

	delete(q, ParamSignature)
	delete(q, ParamExpires)
	delete(q, ParamPreset)
	kept := make([]string, 0, len(parts))
	for _, pt := range parts {
		if pt.ok && (pt.name == ParamSignature || pt.name == ParamExpires || pt.name == ParamPreset) {
			continue
		}
		kept = append(kept, pt.raw)
	}
	if preset != nil {
		added := make(url.Values)
		for k, vs := range preset {
			if _, explicit := q[k]; !explicit {
				q[k] = slices.Clone(vs)
				added[k] = vs
			}
		}
		if cq := CanonicalQuery(added); cq != "" {
			kept = append(kept, cq)
		}
	}
	res.Query = q
	res.RawQuery = strings.Join(kept, "&")
	return res, nil
}

// ExpandPreset returns q with preset= replaced by the preset's parameters
// (explicit ones win), without checking signatures. q is not modified.
func (p *Policy) ExpandPreset(q url.Values) (url.Values, error) {
	out := make(url.Values, len(q))
	for k, vs := range q {
		if k != ParamPreset {
			out[k] = slices.Clone(vs)
		}
	}
	names, ok := q[ParamPreset]
	if !ok {
		return out, nil
	}
	if len(names) != 1 {
		return nil, newErr(ErrUnknownPreset, ParamPreset, "preset is given more than once.")
	}
	vals, found := p.Presets[names[0]]
	if names[0] == "" || !found {
		return nil, newErr(ErrUnknownPreset, ParamPreset, "preset="+strconv.Quote(clip(names[0]))+" is not a known preset.")
	}
	for k, vs := range vals {
		if _, explicit := out[k]; !explicit {
			out[k] = slices.Clone(vs)
		}
	}
	return out, nil
}

// firstNeedingSignature returns the smallest parameter name of q that is
// neither preset nor in Unsigned.
func (p *Policy) firstNeedingSignature(q url.Values) (string, bool) {
	names := make([]string, 0, len(q))
	for n := range q {
		if n != ParamPreset && !slices.Contains(p.Unsigned, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "", false
	}
	return slices.Min(names), true
}

// part is one "&"-separated piece of a raw query; ok is false when it holds
// ";" or an invalid escape (url.ParseQuery drops such a part).
type part struct {
	raw, name, val string
	ok             bool
}

// splitAll splits raw into its non-empty parts and returns the first
// malformed one's error (nil when all are well formed).
func splitAll(raw string) ([]part, error) {
	var out []part
	var first error
	for s := range strings.SplitSeq(raw, "&") {
		if s == "" {
			continue
		}
		pairs, err := splitQuery(s, true)
		if err != nil {
			if first == nil {
				first = err
			}
			out = append(out, part{raw: s})
			continue
		}
		out = append(out, part{raw: s, name: pairs[0].name, val: pairs[0].val, ok: true})
	}
	return out, first
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
