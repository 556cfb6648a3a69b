package dialect

import (
	"net/url"
	"strings"
	"time"

	"github.com/jebosio/matte/params"
)

// URLDialect reads one CDN's image-URL form (Cloudflare's /cdn-cgi/image/,
// imgproxy's processing path, ipx's /_ipx/, Next.js's /_next/image, ...)
// into Matte's canonical request. A dialect is a value built once from its
// Caddyfile settings (signing keys and the like) and then shared by every
// request, so Parse must be safe for concurrent use and must not keep u.
//
// The handler tries the dialects a site turns on, in their configured
// order, before the imgix query: the first that claims a URL answers it.
type URLDialect interface {
	// Name is the dialect's name in the Caddyfile, metrics and logs
	// ("cloudflare").
	Name() string
	// Parse reads u's path and query (u.Path is decoded, u.RawPath and
	// u.RawQuery are as sent). ok is false when the URL is not in this
	// dialect's form at all (a plain /img/shoe.jpg for a path-prefix
	// dialect); the request then goes on untouched. When ok, a bad option
	// or signature is returned as a params.Error or params.Errors naming
	// the offending option in the dialect's own spelling; the handler
	// answers it in Matte's JSON error shape.
	Parse(u *url.URL) (req ImageURL, ok bool, err error)
}

// ImageURL is one image request as a URL dialect read it: the transform
// and where its source is.
type ImageURL struct {
	Params params.Params
	// Source is where the source image is: a path on this site
	// ("/img/shoe.jpg", asked of the next handler or the origin like any
	// query-dialect request), or an absolute http(s) URL, fetched by the
	// SSRF-safe fetcher under the origin block's allowlist.
	Source string
	// Query is the raw query to send with a local Source (the dialect's own
	// parameters removed); empty for a remote one.
	Query string
	// MarkField is the option that named Params.Watermark.Image, in the
	// dialect's own spelling, for an error about that image ("": imgix's
	// mark).
	MarkField string
	// FrameField is the option that picked an animation's frames, in the
	// dialect's own spelling, for an error about them ("": imgix's frame).
	FrameField string
	// RectField is the option that placed Params.Rect, in the dialect's
	// own spelling, for an error about the region ("": imgix's rect).
	RectField string
	// RectYField is the option that placed Params.Rect's top, where the
	// dialect places each axis by an option of its own, for an error about
	// a region whose top is past the source ("": RectField).
	RectYField string
	// PadField is the option that padded the image (Params.Pad, Padding),
	// in the dialect's own spelling, for an error about the padded size
	// ("": imgix's pad).
	PadField string
	// MaxAge, when MaxAgeSet, is the max-age in seconds this URL's answers
	// carry in place of the site's cache_control (Thumbor's max_age
	// filter): "public, max-age=N", or "no-cache" for 0. Answers a shared
	// cache may not store stay private or no-store.
	MaxAge    int
	MaxAgeSet bool
	// Expires, when not zero, is when this URL stops being answered
	// (imgproxy's exp): its answers' max-age does not reach past it.
	Expires time.Time
	// Fallback, when not "", is the image answered in place of a missing
	// source (its origin answers 404 or 410), transformed as this URL asks:
	// a path on this site or an absolute http(s) URL (params.CheckImageRef),
	// in place of the site's fallback_image (ImageKit's di-, imgproxy's
	// fiu). FallbackField is the option that named it, in the dialect's own
	// spelling, for an error about that image.
	Fallback, FallbackField string
	// AsIs asks for the source's own bytes, untouched (imgproxy's raw,
	// ImageKit's orig-true): the handler passes it through as it does a
	// URL without Matte parameters, never decoding it. Params then carries
	// only Download and DownloadName (the Content-Disposition), and
	// Fallback is not used.
	AsIs bool
}

// Remote reports whether the source is an absolute URL, not a path on
// this site.
func (i ImageURL) Remote() bool {
	return strings.HasPrefix(i.Source, "http://") || strings.HasPrefix(i.Source, "https://")
}
