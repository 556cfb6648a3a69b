// Package cfimages reads Cloudflare Images' delivery URLs, so that a site
// whose images Cloudflare Images stored and served keeps its URLs with only
// the host name changed (developers.cloudflare.com/images: Serve uploaded
// images, Create variants, Enable flexible variants):
//
//   - /cdn-cgi/imagedelivery/<account hash>/<image id>/<variant>, the form
//     of a zone's own domain, and
//   - /<account hash>/<image id>/<variant>, imagedelivery.net's form, only
//     for the account hashes the site configures (New): a site's own paths
//     cannot be told from it otherwise.
//
// The image id is every segment between the account hash and the last
// (a custom id may have subpaths; a "%" in it is written %25, as
// Cloudflare asks). The source is the path <prefix>/<image id> on this
// site, where prefix is the one configured for the account hash ("" by
// default): image ids have no extension, so the site names the file's
// Content-Type. The request's query goes with the source.
//
// The variant is, as in Cloudflare:
//
//   - a flexible variant: comma-separated options with "=", read exactly as
//     /cdn-cgi/image/'s options are (dialect/cloudflare, ParseOptions:
//     w=400,h=300,fit=cover), each bad one a 400 naming it;
//   - a named variant: the options of the site's `preset <name> <options>`
//     line (the variant's settings in Cloudflare's dashboard, written as a
//     flexible variant's options). public without a preset is the image at
//     its stored size. Any other name is a 400 on variant.
//
// Without a format option the answer is AVIF or WebP by the Accept header,
// else the source's format, as Cloudflare Images picks it. A signed URL
// (sig= and exp=, Cloudflare's private images) is a 403 on sig: Matte does
// not hold the account's signing key.
package cfimages

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/cloudflare"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Prefix starts the delivery form of a zone's own domain.
const Prefix = "/cdn-cgi/imagedelivery/"

// CodeUnverifiable is the code of the 403 for a signed delivery URL.
const CodeUnverifiable = "cloudflare_images_signed_unsupported"

// Variant names and account hashes: Cloudflare's are letters, digits, _
// and - (account hashes are URL-safe base64).
var (
	variantName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	accountHash = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// Dialect is Cloudflare Images' delivery URL form with the site's variants
// and account hashes, read once; safe for concurrent use.
type Dialect struct {
	// accounts maps each configured account hash to the path prefix of its
	// images; nil: any account hash under Prefix, images at the root.
	accounts map[string]string
	variants map[string]params.Params
}

// New returns the dialect. presets maps each named variant to its
// options in flexible-variant syntax; accounts maps each account hash the
// site answers for to the path prefix of its images. With no accounts every
// hash under /cdn-cgi/imagedelivery/ is claimed and imagedelivery.net's
// form is not; with some, only those hashes are, in both forms. A bad
// preset, hash or prefix is an error naming it.
func New(presets, accounts map[string]string) (dialect.URLDialect, error) {
	d := Dialect{variants: map[string]params.Params{}}
	for name, opts := range presets {
		if !variantName.MatchString(name) {
			return nil, fmt.Errorf("preset %q: a variant name is letters, digits, _ and -", name)
		}
		p, err := cloudflare.ParseOptions(opts)
		if err != nil {
			return nil, fmt.Errorf("preset %s: %w", name, err)
		}
		d.variants[name] = p
	}
	if len(accounts) > 0 {
		d.accounts = map[string]string{}
	}
	for hash, prefix := range accounts {
		if !accountHash.MatchString(hash) {
			return nil, fmt.Errorf("cloud %q: an account hash is letters, digits, _ and -", hash)
		}
		prefix, err := pathurl.ConfigPrefix("cloud "+hash, prefix)
		if err != nil {
			return nil, err
		}
		d.accounts[hash] = prefix
	}
	return d, nil
}

// Name is "cloudflare_images".
func (Dialect) Name() string { return "cloudflare_images" }

// Parse claims /cdn-cgi/imagedelivery/<hash>/... and, for a configured
// hash, /<hash>/...; a bad option or path is a params.Errors.
func (d Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	out, ok, err := d.parse(u)
	if err != nil {
		return dialect.ImageURL{}, ok, params.AsErrors(err)
	}
	return out, ok, nil
}

func (d Dialect) parse(u *url.URL) (dialect.ImageURL, bool, error) {
	path := u.EscapedPath()
	rest, cdnCGI := strings.CutPrefix(path, Prefix)
	if !cdnCGI {
		rest = strings.TrimPrefix(path, "/")
	}
	hash, tail, _ := strings.Cut(rest, "/")
	prefix, known := d.accounts[hash]
	if d.accounts != nil && !known || d.accounts == nil && !cdnCGI {
		return dialect.ImageURL{}, false, nil
	}
	if cdnCGI && d.accounts == nil && !accountHash.MatchString(hash) {
		return dialect.ImageURL{}, true, pathurl.Bad("path", "%s names no account hash; write %s<account hash>/<image id>/<variant>.", params.QuoteShort(u.Path), Prefix)
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	if q.Has("sig") || q.Has("exp") {
		return dialect.ImageURL{}, true, &params.Error{Status: http.StatusForbidden, Code: CodeUnverifiable, Title: http.StatusText(http.StatusForbidden), Field: "sig",
			Detail: "Signed Cloudflare Images URLs (sig=, exp=) are signed with the account's signing key, which this server neither holds nor verifies. Leave sig and exp out, or sign with this server's s= if the URL must not be altered."}
	}
	cut := strings.LastIndex(tail, "/")
	if cut <= 0 || cut == len(tail)-1 {
		return dialect.ImageURL{}, true, pathurl.Bad("path", "%s does not name an image id and a variant; write <account hash>/<image id>/<variant>.", params.QuoteShort(u.Path))
	}
	idEsc, variantEsc := tail[:cut], tail[cut+1:]
	p, err := d.variant(variantEsc)
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	id, err := url.PathUnescape(idEsc)
	if err != nil {
		return dialect.ImageURL{}, true, pathurl.Bad("source", "The image id %s is not validly escaped.", params.QuoteShort(idEsc))
	}
	src, err := pathurl.Local(prefix+"/"+id, "source")
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	return dialect.ImageURL{Params: p, Source: src, Query: u.RawQuery, RectField: cloudflare.RectField(p), RectYField: cloudflare.RectYField(p)}, true, nil
}

// variant reads the last segment: a flexible variant's options or a
// variant's name.
func (d Dialect) variant(esc string) (params.Params, error) {
	v, err := url.PathUnescape(esc)
	if err != nil {
		return params.Params{}, pathurl.Bad("variant", "The variant %s is not validly escaped.", params.QuoteShort(esc))
	}
	var p params.Params
	switch named, ok := d.variants[v]; {
	case strings.Contains(v, "="):
		if p, err = cloudflare.ParseOptions(v); err != nil {
			return params.Params{}, err
		}
	case ok:
		p = named
	case v == "public":
	default:
		return params.Params{}, pathurl.Bad("variant", "%s is not a variant this site defines (public, or a preset line of the url_dialect block), nor flexible variant options such as w=400,h=300.", params.QuoteShort(v))
	}
	if p.Format == params.FormatSource && !p.AutoFormat {
		p.AutoFormat = true
	}
	return p, nil
}
