package caddymodule

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/appwrite"
	"github.com/jebosio/matte/dialect/astro"
	"github.com/jebosio/matte/dialect/builderio"
	"github.com/jebosio/matte/dialect/bunny"
	"github.com/jebosio/matte/dialect/cfimages"
	"github.com/jebosio/matte/dialect/cloudflare"
	"github.com/jebosio/matte/dialect/cloudimage"
	"github.com/jebosio/matte/dialect/cloudinary"
	"github.com/jebosio/matte/dialect/contentful"
	"github.com/jebosio/matte/dialect/contentstack"
	"github.com/jebosio/matte/dialect/directus"
	"github.com/jebosio/matte/dialect/filestack"
	"github.com/jebosio/matte/dialect/imageengine"
	"github.com/jebosio/matte/dialect/imagekit"
	"github.com/jebosio/matte/dialect/imgix"
	"github.com/jebosio/matte/dialect/imgproxy"
	"github.com/jebosio/matte/dialect/ipx"
	"github.com/jebosio/matte/dialect/keycdn"
	"github.com/jebosio/matte/dialect/kontent"
	"github.com/jebosio/matte/dialect/netlify"
	"github.com/jebosio/matte/dialect/nextjs"
	"github.com/jebosio/matte/dialect/scene7"
	"github.com/jebosio/matte/dialect/shopify"
	"github.com/jebosio/matte/dialect/storyblok"
	"github.com/jebosio/matte/dialect/supabase"
	"github.com/jebosio/matte/dialect/thumbor"
	"github.com/jebosio/matte/dialect/uploadcare"
	"github.com/jebosio/matte/dialect/wordpress"
	"github.com/jebosio/matte/dialect/wsrv"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/signature"
)

// URLDialectConfig turns one CDN URL form on (the url_dialect directive).
// Key and Salt are the dialect's signing secrets, for the dialects that
// sign their URLs (imgproxy: hex key and salt; thumbor: the key alone).
// Presets, Watermark and AnimationFrames are imgproxy's (imgproxy.Site):
// presets by name, each its options joined by "/" as IMGPROXY_PRESETS
// writes them ("default" applies to every URL), the image wm draws, and
// IMGPROXY_MAX_ANIMATION_FRAMES. Directus takes Presets too: its key=
// presets, each a query of its parameters; so does cloudflare_images: its
// named variants, each in flexible-variant options. Clouds are Cloudinary's
// (each cloud name the site answers for, and the path prefix of its public
// IDs: cloudinary.New) and cloudflare_images' (each account hash, and the
// path prefix of its image ids: cfimages.New); the other dialects refuse
// them.
type URLDialectConfig struct {
	Name            string            `json:"name"`
	Key             string            `json:"key,omitempty"`
	Salt            string            `json:"salt,omitempty"`
	Presets         map[string]string `json:"presets,omitempty"`
	Watermark       string            `json:"watermark,omitempty"`
	AnimationFrames int               `json:"animation_frames,omitempty"`
	Clouds          map[string]string `json:"clouds,omitempty"`
}

// newURLDialect builds a dialect from its url_dialect settings. signed is
// true when the dialect verifies a signature of its own on every URL it
// accepts (a signing key is configured), which stands in for Matte's s=
// under `signature { required }`.
type newURLDialect func(c URLDialectConfig) (d dialect.URLDialect, signed bool, err error)

// urlDialects maps a url_dialect name to its constructor. Adding a
// dialect is one line here.
var urlDialects = map[string]newURLDialect{
	"cloudflare": keyless(cloudflare.New),
	"imgproxy": func(c URLDialectConfig) (dialect.URLDialect, bool, error) {
		d, err := imgproxy.New(c.Key, c.Salt, imgproxy.Site{Presets: c.Presets, Watermark: c.Watermark, AnimationFrames: c.AnimationFrames})
		if err != nil {
			return nil, false, err
		}
		return d, d.Signed(), nil
	},
	"ipx": keyless(ipx.New),
	"thumbor": func(c URLDialectConfig) (dialect.URLDialect, bool, error) {
		if c.Salt != "" || len(c.Presets) > 0 || c.Watermark != "" || c.AnimationFrames != 0 {
			return nil, false, errors.New("takes a key, no salt, presets, watermark or animation_frames")
		}
		d := thumbor.New(c.Key)
		return d, d.Signed(), nil
	},
	"nextjs":   keyless(nextjs.New),
	"netlify":  keyless(netlify.New),
	"wsrv":     keyless(wsrv.New),
	"imagekit": keyless(imagekit.New),
	"cloudinary": func(c URLDialectConfig) (dialect.URLDialect, bool, error) {
		if c.Key != "" || c.Salt != "" || len(c.Presets) > 0 || c.Watermark != "" || c.AnimationFrames != 0 {
			return nil, false, errors.New("takes cloud lines only, no key, salt, presets, watermark or animation_frames")
		}
		d, err := cloudinary.New(c.Clouds)
		return d, false, err
	},
	"vercel":       keyless(nextjs.NewVercel),
	"supabase":     keyless(supabase.New),
	"shopify":      keyless(shopify.New),
	"uploadcare":   keyless(uploadcare.New),
	"storyblok":    keyless(storyblok.New),
	"contentstack": keyless(contentstack.New),
	"builderio":    keyless(builderio.New),
	"astro":        keyless(astro.New),
	"imageengine":  keyless(imageengine.New),
	"bunny":        keyless(bunny.New),
	"keycdn":       keyless(keycdn.New),
	"contentful":   keyless(contentful.New),
	"kontent":      keyless(kontent.New),
	"wordpress":    keyless(wordpress.New),
	"appwrite":     keyless(appwrite.New),
	"filestack":    keyless(filestack.New),
	"scene7":       keyless(scene7.New),
	"directus": func(c URLDialectConfig) (dialect.URLDialect, bool, error) {
		if c.Key != "" || c.Salt != "" || c.Watermark != "" || c.AnimationFrames != 0 {
			return nil, false, errors.New("takes presets only, no key, salt, watermark or animation_frames")
		}
		d, err := directus.New(c.Presets)
		return d, false, err
	},
	"cloudflare_images": func(c URLDialectConfig) (dialect.URLDialect, bool, error) {
		if c.Key != "" || c.Salt != "" || c.Watermark != "" || c.AnimationFrames != 0 {
			return nil, false, errors.New("takes preset and cloud lines only, no key, salt, watermark or animation_frames")
		}
		d, err := cfimages.New(c.Presets, c.Clouds)
		return d, false, err
	},
	"cloudimage": keyless(cloudimage.New),
}

// errNoClouds refuses cloud lines outside the cloudinary and
// cloudflare_images dialects (provisionURLDialects).
var errNoClouds = errors.New("takes no cloud lines (they are cloudinary's and cloudflare_images')")

// keyless adapts the constructor of a dialect that takes no secrets.
func keyless(build func() dialect.URLDialect) newURLDialect {
	return func(c URLDialectConfig) (dialect.URLDialect, bool, error) {
		if c.Key != "" || c.Salt != "" || len(c.Presets) > 0 || c.Watermark != "" || c.AnimationFrames != 0 {
			return nil, false, errors.New("takes no key, salt, presets, watermark or animation_frames")
		}
		return build(), false, nil
	}
}

// urlDialect is one dialect a handler tries.
type urlDialect struct {
	dialect.URLDialect
	signed bool
}

// provisionURLDialects builds the configured dialects, in order.
func (h *Handler) provisionURLDialects() error {
	seen := map[string]bool{}
	for _, c := range h.URLDialects {
		build, known := urlDialects[c.Name]
		switch {
		case !known:
			return fmt.Errorf("matte: url_dialect %q: unknown (want one of %s)", c.Name, strings.Join(urlDialectNames(), ", "))
		case seen[c.Name]:
			return fmt.Errorf("matte: url_dialect %q is given twice", c.Name)
		}
		seen[c.Name] = true
		if len(c.Clouds) > 0 && c.Name != "cloudinary" && c.Name != "cloudflare_images" {
			return fmt.Errorf("matte: url_dialect %s: %w", c.Name, errNoClouds)
		}
		d, signed, err := build(c)
		if err != nil {
			return fmt.Errorf("matte: url_dialect %s: %w", c.Name, err)
		}
		h.dialects = append(h.dialects, urlDialect{URLDialect: d, signed: signed})
	}
	return nil
}

// urlDialectNames lists the known names, sorted.
func urlDialectNames() []string { return slices.Sorted(maps.Keys(urlDialects)) }

// serveURLDialect answers r when one of the handler's URL dialects claims
// it (handled); rawQuery is the query after Matte's signature check. A local
// source is requested through the site's routes as a request for its path
// would be (viaRoutes: auth and matchers apply), unless it is the path the
// client asked for, which went through them already, or comes from the
// origin URL; a remote one is fetched by the SSRF-safe fetcher, only when
// the origin block names the hosts allowed (allowRemote).
func (h *Handler) serveURLDialect(w http.ResponseWriter, r *http.Request, rawQuery string, signedExpires time.Time, next caddyhttp.Handler) (handled bool, err error) {
	u := *r.URL
	u.RawQuery = rawQuery
	for _, d := range h.dialects {
		iu, ok, err := d.Parse(&u)
		if !ok {
			continue
		}
		if err == nil {
			err = h.checkDialectSigned(r, d)
		}
		if err != nil {
			return true, h.writeError(w, r, err)
		}
		if iu.AsIs {
			return true, h.passDialectSource(w, r, iu, earliest(signedExpires, iu.Expires), next)
		}
		if d.Name() == "nextjs" {
			q, _ := url.ParseQuery(u.RawQuery)
			w = &nextHeaders{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, ref: nextRef(q.Get("url"))}
		}
		// A dialect's client hints (ImageKit's w-auto, dpr-auto) apply as
		// imgix's ch does.
		imgix.ApplyClientHints(&iu.Params, r.Header)
		req := &imageRequest{Params: iu.Params, Dialect: d.Name(), markField: iu.MarkField, frameField: iu.FrameField, rectField: iu.RectField, rectYField: iu.RectYField, padField: iu.PadField, cacheControl: maxAgeCacheControl(iu), w: w, r: r}
		req.fallback, req.fallbackField = iu.Fallback, iu.FallbackField
		req.expires = earliest(signedExpires, iu.Expires)
		if iu.Remote() {
			if err := h.allowRemote(); err != nil {
				return true, h.writeError(w, r, err)
			}
			req.remote = iu.Source
			req.origin = r.Clone(r.Context())
			sanitizeSourceHeader(req.origin.Header)
			// An absolute URL cannot collide with a local source's
			// Host+URI, which has no "://" (sourceID).
			req.srcID = iu.Source
			req.Tag = sourceTag(req.srcID)
		} else {
			req.fromSite(siteSourceRequest(r, iu.Source, "", iu.Query))
			req.viaRoutes = iu.Source != r.URL.Path && !h.fromOrigin(iu.Source)
			// As for the imgix query (keepQuery), not rewritten where the
			// new URL would have to carry Matte's s=.
			rewrite := h.Signature == nil || !h.Signature.Required
			req.relocate = func(loc *url.URL) (string, bool) {
				if rewrite {
					if moved, ok := relocateDialect(d, &u, iu, loc); ok {
						return moved, true
					}
				}
				_ = h.writeError(w, r, unmovedError(d, loc))
				return "", false
			}
		}
		return true, h.serveImage(req, next)
	}
	return false, nil
}

// checkDialectSigned refuses, under `signature { required }`, a dialect URL
// that neither Matte's s= (checked before) nor the dialect's own verified
// signature covers: a dialect's options are all transforms.
func (h *Handler) checkDialectSigned(r *http.Request, d urlDialect) error {
	p := h.guard.policy
	if p == nil || !p.Required || d.signed {
		return nil
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && q.Has(signature.ParamSignature) {
		return nil // checkSignature verified it
	}
	return &params.Error{Status: http.StatusForbidden, Code: signature.CodeMissing, Title: http.StatusText(http.StatusForbidden),
		Field: signature.ParamSignature, Detail: "This URL must be signed: add s=, or configure the " + d.Name() + " dialect's own signing key."}
}

// errRemoteNotAllowed refuses a dialect URL that names a remote source
// when no allowlist is configured.
var errRemoteNotAllowed = &params.Error{Status: http.StatusForbidden, Code: "remote_source_denied", Title: "Forbidden",
	Detail: "This server does not fetch images from other hosts: list the hosts allowed in the origin block's allow_hosts."}

// allowRemote reports whether remote sources named in a URL may be
// fetched: only when the origin block lists allowed hosts (the fetcher then
// enforces that list, and its address rules, on every fetch and redirect).
// With no allowlist the fetcher would take any public host, which would
// make the server an open image proxy: refused.
func (h *Handler) allowRemote() error {
	if h.Origin == nil || len(h.Origin.AllowHosts) == 0 {
		return errRemoteNotAllowed
	}
	return nil
}

// passDialectSource answers a dialect URL that asks for its source as it is
// (dialect.ImageURL.AsIs: imgproxy's raw, ImageKit's orig-true) with the
// source's own bytes, never decoded, as a URL without Matte parameters is
// answered: a path on this site from the next handler (through the site's
// routes, as the transform path asks for it, when it is not the path the
// client asked for), the origin URL's resource by passOrigin, a remote URL
// by passRemote; each carries exactly the confinement the plain
// pass-through gives it. Params' Download and DownloadName (imgproxy's att
// and fn) set the Content-Disposition, the source's own name by default.
func (h *Handler) passDialectSource(w http.ResponseWriter, r *http.Request, iu dialect.ImageURL, expires time.Time, next caddyhttp.Handler) error {
	// An expiring URL still may not be kept past its end.
	w = untilExpiry(w, expires)
	setDisposition := func(hdr http.Header) {
		name := iu.Source
		if u, err := url.Parse(iu.Source); err == nil && iu.Remote() {
			name = u.Path
		}
		switch {
		case iu.Params.Download:
			hdr.Set("Content-Disposition", attachment(iu.Params.DownloadName, name, ""))
		case iu.Params.DownloadName != "":
			hdr.Set("Content-Disposition", disposition("inline", iu.Params.DownloadName, name, ""))
		}
	}
	if iu.Remote() {
		if err := h.allowRemote(); err != nil {
			return h.writeError(w, r, err)
		}
		setDisposition(w.Header())
		return h.passRemote(w, r, iu.Source)
	}
	sr := r.Clone(r.Context())
	sr.URL.Path, sr.URL.RawPath, sr.URL.RawQuery = iu.Source, "", iu.Query
	sr.RequestURI = sr.URL.RequestURI()
	switch {
	case h.fromOrigin(iu.Source):
		setDisposition(w.Header())
		return h.passOrigin(w, sr, iu.Query)
	case iu.Source == r.URL.Path:
		setDisposition(w.Header())
		return next.ServeHTTP(newSendfileWriter(w), sr)
	}
	// Another path than the client's: through the site's routes, so that
	// its auth and matchers decide on it as on the transform path's
	// source request (fetchViaRoutes); the matte handler on its way passes
	// the subrequest untransformed (isSubrequest).
	sub, srv, ok := subrequest(sr)
	if !ok {
		setDisposition(w.Header())
		return next.ServeHTTP(newSendfileWriter(w), sr)
	}
	withPrefix(sub, routePrefix(r))
	// The routes set their headers afresh: what the response has so far
	// would be doubled.
	clear(w.Header())
	setDisposition(w.Header())
	err, aborted := serveRoutes(srv, newSendfileWriter(w), sub)
	if aborted {
		panic(http.ErrAbortHandler)
	}
	return err
}

// passRemote answers with a remote source's bytes untouched, fetched by
// the SSRF-safe fetcher under the origin block's allowlist (allowRemote,
// checked by the caller) as the transform path fetches it, and confined as
// an origin's file is (confineOriginBytes). Only an image passes: the
// transform path refuses any other answer (502), and this one must not
// make the site a proxy for other content.
func (h *Handler) passRemote(w http.ResponseWriter, r *http.Request, src string) error {
	hold := h.holdBytes()
	defer hold.Release()
	res, err := h.guard.fetcher.Fetch(r.Context(), fetch.Request{URL: src, Accept: "image/*",
		IfNoneMatch: ifNoneMatch(r.Header), IfModifiedSince: r.Header.Get("If-Modified-Since"), Reserve: h.reserveFor(hold)})
	if err != nil {
		return h.writeError(w, r, upstreamError(err))
	}
	if !res.NotModified && !isImage(mediaType(res.ContentType)) {
		return h.writeError(w, r, notAnImage("remote source", res.ContentType))
	}
	return writeUntouched(w, r, res)
}

// relocateDialect rewrites loc, a redirect on this site that the source of
// u (the dialect URL d read as iu) was answered with, into the URL of d
// that asks for the same transform of loc's path: u with loc's path in
// place of the source's, its query loc's followed by d's own parameters.
// ok is false where d does not write its source as part of its path
// (Next.js's url=, a path d derives, as Shopify's _480x or imgproxy's
// base64) or the rewritten URL does not read back as the same transform of
// that source with that query (a signature over the old path: imgproxy's,
// Thumbor's). loc is kept absolute when it was. Safe for concurrent use.
func relocateDialect(d dialect.URLDialect, u *url.URL, iu dialect.ImageURL, loc *url.URL) (string, bool) {
	moved := (&url.URL{Path: iu.Source}).ResolveReference(&url.URL{Path: loc.Path, RawPath: loc.RawPath})
	i := strings.LastIndex(u.Path, iu.Source)
	if i < 0 || iu.Remote() || moved.Path == "" {
		return "", false
	}
	// d's own parameters: the parts of u's query the source was not sent.
	sent := map[string]int{}
	for _, part := range strings.Split(iu.Query, "&") {
		sent[part]++
	}
	var query []string
	if loc.RawQuery != "" {
		query = append(query, loc.RawQuery)
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		if sent[part] > 0 {
			sent[part]--
		} else if part != "" {
			query = append(query, part)
		}
	}
	out := url.URL{Path: u.Path[:i] + moved.Path + u.Path[i+len(iu.Source):], RawQuery: strings.Join(query, "&")}
	again, ok, err := d.Parse(&url.URL{Path: out.Path, RawPath: out.EscapedPath(), RawQuery: out.RawQuery})
	if !ok || err != nil || again.Source != moved.Path || again.Query != loc.RawQuery {
		return "", false
	}
	again.Source, again.Query = iu.Source, iu.Query
	if !reflect.DeepEqual(again, iu) {
		return "", false
	}
	out.Scheme, out.Host = loc.Scheme, loc.Host
	return out.String(), true
}

// unmovedError answers a dialect URL whose source redirects where the URL
// cannot follow (relocateDialect). Matte does not follow a redirect of the
// next handler itself, and passing it on would lose the transform: the
// client would load the whole original. Next.js follows its source's
// redirects itself, up to images.maximumRedirects (next 16.5.0,
// image-optimizer.js fetchInternalImage: "if (count === 0) { ... throw new
// ImageError(508, '"url" parameter is valid but internal response is
// invalid') }"): Matte answers as Next with maximumRedirects 0 does, its
// text on url; the other dialects with a 502 upstream_error naming the
// new path.
func unmovedError(d dialect.URLDialect, loc *url.URL) error {
	switch d.Name() {
	case "nextjs", "vercel":
		return &params.Error{Status: http.StatusLoopDetected, Code: params.CodeUpstream, Title: http.StatusText(http.StatusLoopDetected),
			Field: "url", Detail: `"url" parameter is valid but internal response is invalid`}
	}
	return &params.Error{Status: http.StatusBadGateway, Code: params.CodeUpstream, Title: "Bad gateway",
		Detail: "The source moved to " + loc.EscapedPath() + ", which this " + d.Name() + " URL cannot be rewritten to ask for: ask for it in a URL of its own."}
}

// nextHeaders adds to a Next.js URL's image answer (a 200 of an image
// type) the headers Next's optimizer sends with one (next 16.5.0,
// image-optimizer.js setResponseHeaders): Content-Disposition
// (nextjs.Disposition), Content-Security-Policy
// (nextjs.ContentSecurityPolicy; an SVG passed through keeps Matte's
// stricter svgPolicy) and X-Nextjs-Cache, HIT or MISS as Matte's X-Cache
// says (Matte answers no stale result, Next's STALE). Next sends none of
// them with a 304 or an error. Used by one request's goroutine only.
type nextHeaders struct {
	caddyhttp.ResponseWriterWrapper
	ref   string // the url parameter as Next names the file from it
	wrote bool
}

func (w *nextHeaders) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.wrote = true
		hdr := w.Header()
		if ct := hdr.Get("Content-Type"); code == http.StatusOK && isImage(mediaType(ct)) {
			if hdr.Get("Content-Disposition") == "" {
				hdr.Set("Content-Disposition", nextjs.Disposition(w.ref, mediaType(ct)))
			}
			if hdr.Get("Content-Security-Policy") == "" {
				hdr.Set("Content-Security-Policy", nextjs.ContentSecurityPolicy)
			}
			switch xc := hdr.Get("X-Cache"); {
			case strings.HasPrefix(xc, "HIT"):
				hdr.Set("X-Nextjs-Cache", "HIT")
			case xc == "MISS":
				hdr.Set("X-Nextjs-Cache", "MISS")
			}
		}
	}
	w.ResponseWriterWrapper.WriteHeader(code)
}

func (w *nextHeaders) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriterWrapper.Write(p)
}

func (w *nextHeaders) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriterWrapper.ReadFrom(r)
}

// nextRef is the url parameter as Next's optimizer holds it (href): a
// path as given, an absolute URL as the URL parser writes it back.
func nextRef(ref string) string {
	if strings.HasPrefix(ref, "/") {
		return ref
	}
	if u, err := url.Parse(ref); err == nil {
		return u.String()
	}
	return ref
}
