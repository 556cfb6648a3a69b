// Package imgproxy reads imgproxy's processing URLs into Matte's canonical
// request (docs.imgproxy.net "Generating the URL", "Signing a URL"):
//
//	/<signature>/<option>/<option>/.../plain/<source URL>[@<extension>]
//	/<signature>/<option>/<option>/.../<base64url source>[.<extension>]
//
// Each option is name:arg:arg. The source is an absolute http(s) URL, or
// a path on this site (a plain source starting with "/", or local:///path),
// imgproxy's IMGPROXY_BASE_URL being this site.
package imgproxy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// Dialect is the imgproxy URL form, with its signing key and salt (none:
// any signature segment is accepted, as imgproxy does without a key). It
// is immutable after New: safe for concurrent use.
type Dialect struct {
	key, salt []byte
	presets   map[string][]string // by name, each its option parts
	watermark string              // the image wm draws ("": none)
	// animationFrames is Site.AnimationFrames.
	animationFrames int
}

// Site is what an imgproxy server is configured with besides its secrets:
// its presets (IMGPROXY_PRESETS), its watermark image
// (IMGPROXY_WATERMARK_PATH or _URL) and how many frames of an animation it
// processes (IMGPROXY_MAX_ANIMATION_FRAMES).
type Site struct {
	// Presets are by name, each written as IMGPROXY_PRESETS writes one:
	// options joined by "/" ("resizing_type:fill/enlarge:1"). A URL names
	// them with pr/preset (pr:thumb:sharp), and they stand where they are
	// named; the one named "default" comes first in every URL. A preset
	// may not name presets.
	Presets map[string]string
	// Watermark is the image wm draws: an absolute path on this site or
	// an http(s) URL (params.CheckImageRef).
	Watermark string
	// AnimationFrames is IMGPROXY_MAX_ANIMATION_FRAMES: above 1, an
	// animated source keeps at most that many of its first frames (in a
	// GIF or WebP answer); 0 or 1, imgproxy's default, the first frame.
	AnimationFrames int
}

// New returns the imgproxy dialect. key and salt are hex, both given
// (signatures are verified) or both empty (they are not). site, at most
// one, configures presets and the watermark; every preset is parsed here,
// so a bad one is a configuration error, not a 400.
func New(key, salt string, site ...Site) (*Dialect, error) {
	if (key == "") != (salt == "") {
		return nil, errors.New("give both key and salt (hex), or neither")
	}
	k, err := hex.DecodeString(key)
	if err != nil {
		return nil, errors.New("key is not hex")
	}
	s, err := hex.DecodeString(salt)
	if err != nil {
		return nil, errors.New("salt is not hex")
	}
	d := &Dialect{key: k, salt: s}
	switch len(site) {
	case 0:
		return d, nil
	case 1:
	default:
		return nil, errors.New("imgproxy.New takes at most one Site")
	}
	if w := site[0].Watermark; w != "" {
		if err := params.CheckImageRef(w); err != nil {
			return nil, fmt.Errorf("watermark %s: %w", params.QuoteShort(w), err)
		}
		d.watermark = w
	}
	if n := site[0].AnimationFrames; n < 0 {
		return nil, fmt.Errorf("animation_frames %d: want 1 or more", n)
	}
	d.animationFrames = site[0].AnimationFrames
	if d.presets, err = d.parsePresets(site[0].Presets); err != nil {
		return nil, err
	}
	return d, nil
}

// Name is "imgproxy".
func (*Dialect) Name() string { return "imgproxy" }

// Signed reports whether signatures are verified.
func (d *Dialect) Signed() bool { return len(d.key) > 0 }

// Parse claims a path whose first segment is a signature token (insecure,
// _, or base64url) followed by options and a plain/ source, or by a
// base64url source that decodes to a URL: other paths are not imgproxy's.
// A bad or missing signature, when a key is configured, is a 403.
func (d *Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	ep := u.EscapedPath()
	if len(ep) < 2 || ep[0] != '/' {
		return dialect.ImageURL{}, false, nil
	}
	sig, signedPath, ok := strings.Cut(ep[1:], "/")
	if !ok || !isSignatureToken(sig) {
		return dialect.ImageURL{}, false, nil
	}
	parts := strings.Split(signedPath, "/")
	n := 0 // options: the leading parts with a ":"
	for n < len(parts) && strings.Contains(parts[n], ":") {
		n++
	}
	src, ext, claimed, err := readSource(parts[n:])
	if !claimed {
		return dialect.ImageURL{}, false, nil
	}
	if serr := d.verify(sig, "/"+signedPath); serr != nil {
		return dialect.ImageURL{}, true, serr
	}
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	p, names, err := d.parseOptions(parts[:n], ext)
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	iu := dialect.ImageURL{Params: p, Source: src, MarkField: names.mark, FrameField: names.frame, PadField: names.pad, Fallback: names.fallback, FallbackField: names.fallbackName, Expires: names.expires, AsIs: names.raw}
	if !iu.Remote() && !d.Signed() {
		// With a key the query is dropped: the signature covers the path
		// only (imgproxy itself ignores the query), so a signed URL cannot
		// be made to ask the site for other sources, or to miss the cache
		// at will, by appending one.
		iu.Query = u.RawQuery
	}
	return iu, true, nil
}

// isSignatureToken: insecure, _, or base64url characters.
func isSignatureToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return true
}

// verify checks sig over signedPath (escaped, as sent, with its leading
// "/"): base64url (no padding) HMAC-SHA256 of salt + path under key.
func (d *Dialect) verify(sig, signedPath string) error {
	if len(d.key) == 0 {
		return nil
	}
	got, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(sig, "="))
	mac := hmac.New(sha256.New, d.key)
	mac.Write(d.salt)
	mac.Write([]byte(signedPath))
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return &params.Error{Status: http.StatusForbidden, Code: "signature_invalid", Title: "Forbidden", Field: "signature",
			Detail: "The imgproxy signature is missing or does not match this URL."}
	}
	return nil
}

// readSource reads the source parts: plain/<escaped URL>[@ext], or base64url
// segments [.ext]. claimed is false when they are not imgproxy's source
// form at all; err is then nil.
func readSource(parts []string) (src, ext string, claimed bool, err error) {
	if len(parts) == 0 {
		return "", "", false, nil
	}
	if parts[0] == "plain" {
		rest := strings.Join(parts[1:], "/")
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			rest, ext = rest[:i], rest[i+1:]
		}
		plain, uerr := url.PathUnescape(rest)
		if uerr != nil {
			plain = rest
		}
		if !isSourceForm(plain) {
			// Not imgproxy's (a site path such as /docs/plain/notes.txt).
			return "", "", false, nil
		}
		if uerr != nil {
			return "", "", true, pathurl.Bad("source", "The plain source %s is not validly escaped.", params.QuoteShort(rest))
		}
		src, err = source(plain)
		return src, ext, true, err
	}
	enc := strings.Join(parts, "")
	if i := strings.LastIndexByte(enc, '.'); i >= 0 {
		enc, ext = enc[:i], enc[i+1:]
	}
	raw, derr := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if derr != nil {
		return "", "", false, nil
	}
	s := string(raw)
	if !isSourceForm(s) || strings.HasPrefix(s, "/") {
		return "", "", false, nil
	}
	src, err = source(s)
	return src, ext, true, err
}

// isSourceForm: a source as imgproxy names one, an http(s) URL,
// local:///path or, in the plain form, /path.
func isSourceForm(s string) bool {
	for _, p := range []string{"http://", "https://", "local:///", "/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// source checks a decoded source: an absolute http(s) URL, local:///path
// or /path (a path on this site).
func source(s string) (string, error) {
	if p, ok := strings.CutPrefix(s, "local://"); ok {
		s = p
	}
	if strings.HasPrefix(s, "/") {
		return pathurl.Local(s, "source")
	}
	src, _, err := pathurl.Remote(s, "source")
	return src, err
}
