package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/signature"
)

// Signature configures signed URLs (the `signature` block).
type Signature struct {
	// Keys verify `s=`; any one passes, so keys can rotate. At least 16 bytes.
	Keys []string `json:"keys,omitempty"`
	// Required refuses unsigned requests, except those using only Unsigned
	// parameters and presets.
	Required bool     `json:"required,omitempty"`
	Unsigned []string `json:"unsigned,omitempty"`
	// Presets are named parameter sets (`preset=thumb`), usable unsigned.
	Presets map[string]string `json:"presets,omitempty"`
	// BindHost makes signatures cover the request's host (the Host header
	// Caddy receives, lower-cased, without port), so a URL signed for one
	// site does not verify on another that shares the key. Off by default:
	// signatures cover the path and query only.
	BindHost bool `json:"bind_host,omitempty"`
}

// policy builds the signature policy, checking the presets.
func (s *Signature) policy() (*signature.Policy, error) {
	p := &signature.Policy{Required: s.Required, Unsigned: s.Unsigned, BindHost: s.BindHost}
	for _, k := range s.Keys {
		p.Keys = append(p.Keys, []byte(k))
	}
	if len(s.Presets) > 0 {
		p.Presets = map[string]url.Values{}
		for name, q := range s.Presets {
			v, err := url.ParseQuery(q)
			if err != nil {
				return nil, fmt.Errorf("matte: signature preset %q: %w", name, err)
			}
			if _, err := imgix.ParseQuery(v); err != nil {
				return nil, fmt.Errorf("matte: signature preset %q: %w", name, err)
			}
			p.Presets[name] = v
		}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("matte: signature: %w", err)
	}
	return p, nil
}

// checkSignature applies the signature policy to r. It returns the query
// Matte should act on (signature, expiry and preset names removed, the
// preset expanded) and the URL's expiry (zero: none), or a client error.
func (h *Handler) checkSignature(r *http.Request) (string, time.Time, error) {
	p := h.guard.policy
	if p == nil {
		return r.URL.RawQuery, time.Time{}, nil
	}
	// What the signer saw: the path before handle_path and rewrites (they
	// leave the Host alone).
	path := r.URL.EscapedPath()
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.URL != nil {
		path = or.URL.EscapedPath()
	}
	res, err := p.Check(r.Host, path, r.URL.RawQuery)
	if err != nil {
		var se *signature.Error
		if errors.As(err, &se) {
			return "", time.Time{}, &params.Error{Status: se.Status, Code: se.Code, Title: http.StatusText(se.Status), Detail: se.Detail, Field: se.Field}
		}
		return "", time.Time{}, err
	}
	return res.RawQuery, res.Expires, nil
}
