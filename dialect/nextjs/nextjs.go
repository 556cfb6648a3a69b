// Package nextjs reads the URLs of the Next.js image optimizer,
// /_next/image?url=&w=&q=, which next/image's default loader writes, so that
// a Next.js site keeps working when Matte answers its images; and, with the
// same rules under its own prefix, those of Vercel's image optimization,
// /_vercel/image?url=&w=&q= (NewVercel), which Vercel serves for next/image
// and which the Vercel adapters of Nuxt, Astro and SvelteKit and unpic's
// vercel provider write.
//
// As in Next.js (next/dist/server/image-optimizer.js, validateParams):
//
//   - url, w and q are all required, each once; url is a path on this site
//     ("/img/a.jpg", usually sent as %2Fimg%2Fa.jpg) or an absolute http(s)
//     URL, at most 3072 bytes, not protocol-relative and not itself an
//     /_next/image URL.
//   - w is digits only and above 0; q is digits only, 1 to 100.
//   - The image is resized to w pixels wide, keeping its aspect ratio and
//     never enlarged (sharp's withoutEnlargement), and the format follows
//     the Accept header (AVIF, then WebP, else the source's format).
//   - An animated source is answered as stored, whatever w, q and Accept
//     say (params.FramesSource). Next's docs (next/image, "Animated
//     Images"): "The default loader will automatically bypass Image
//     Optimization for animated images and serve the image as-is." Its
//     image-optimizer.ts does so for ANIMATABLE_TYPES = [WEBP, PNG, GIF]
//     when isAnimated(upstreamBuffer): it returns the upstream buffer with
//     contentType: upstreamType, and the same Cache-Control and Vary:
//     Accept as its other answers. Matte knows a GIF or WebP of several
//     frames from its probe, and an animated PNG (APNG) from its acTL
//     chunk (transform.Source.APNGFrames).
//
// The error details are Next's own texts ('"w" parameter (width) is
// required'), each on the field it names; Vercel answers the same mistakes
// with a 400 whose code is INVALID_IMAGE_OPTIMIZE_REQUEST, and Matte gives
// the vercel dialect the same 400s as the nextjs one, in its own error
// shape. A url naming either optimizer (/_next/image or /_vercel/image) is
// refused as recursive by both. Deviations: Next and Vercel only allow the
// widths of the configured sizes (deviceSizes and imageSizes; Vercel's
// images.sizes) and the qualities of images.qualities (default 75); Matte
// has no such lists and takes any w up to 100000 and any q from 1 to 100.
// Their default formats list is WebP only; Matte also offers AVIF when the
// client accepts it.
package nextjs

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Path is the Next.js optimizer's route; VercelPath is Vercel's.
const (
	Path       = "/_next/image"
	VercelPath = "/_vercel/image"
)

// Limits, as Next.js has them (maxURL) or as Matte caps a side (maxWidth).
const (
	maxURL   = 3072
	maxWidth = 100000
)

// Dialect is the optimizer's URL form under one route: Next.js's or
// Vercel's. It holds no other state.
type Dialect struct {
	path, name string
}

// New returns the Next.js dialect (/_next/image); it needs no settings.
func New() dialect.URLDialect { return Dialect{path: Path, name: "nextjs"} }

// NewVercel returns the Vercel dialect (/_vercel/image); it needs no
// settings.
func NewVercel() dialect.URLDialect { return Dialect{path: VercelPath, name: "vercel"} }

// Name is "nextjs" or "vercel".
func (d Dialect) Name() string { return d.name }

var digits = regexp.MustCompile(`^[0-9]+$`)

// recursive matches a path that is an optimizer itself, as Next checks
// for its own route.
var recursive = regexp.MustCompile(`/_(next|vercel)/image($|/)`)

// Parse claims u when its path is exactly the dialect's route
// (/_next/image or /_vercel/image).
func (d Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if u.Path != d.path {
		return dialect.ImageURL{}, false, nil
	}
	q, _ := url.ParseQuery(u.RawQuery)
	var errs urlform.Errors
	var out dialect.ImageURL

	switch ref := q["url"]; {
	case len(ref) == 0 || ref[0] == "":
		errs.Add("url", `"url" parameter is required`)
	case len(ref) > 1:
		errs.Add("url", `"url" parameter cannot be an array`)
	case len(ref[0]) > maxURL:
		errs.Add("url", `"url" parameter is too long`)
	case len(ref[0]) >= 2 && ref[0][:2] == "//":
		errs.Add("url", `"url" parameter cannot be a protocol-relative URL (//)`)
	default:
		src, query, err := urlform.Source(ref[0])
		switch {
		case err != nil:
			errs.Add("url", `"url" parameter is invalid`)
		case recursive.MatchString(src) && src[0] == '/':
			errs.Add("url", `"url" parameter cannot be recursive`)
		default:
			out.Source, out.Query = src, query
		}
	}

	p := params.Params{Fit: params.FitMax, AutoFormat: true, Frames: params.FramesSource}
	switch w := q["w"]; {
	case len(w) == 0 || w[0] == "":
		errs.Add("w", `"w" parameter (width) is required`)
	case len(w) > 1:
		errs.Add("w", `"w" parameter (width) cannot be an array`)
	case !digits.MatchString(w[0]):
		errs.Add("w", `"w" parameter (width) must be an integer greater than 0`)
	default:
		n, err := strconv.ParseUint(w[0], 10, 64)
		switch {
		case err == nil && n == 0:
			errs.Add("w", `"w" parameter (width) must be an integer greater than 0`)
		case err != nil || n > maxWidth:
			errs.Add("w", `"w" parameter (width) of `+cut(w[0])+` is not allowed`)
		default:
			p.Width = int(n)
		}
	}
	switch qs := q["q"]; {
	case len(qs) == 0 || qs[0] == "":
		errs.Add("q", `"q" parameter (quality) is required`)
	case len(qs) > 1:
		errs.Add("q", `"q" parameter (quality) cannot be an array`)
	default:
		n, err := params.ParseInt(qs[0], 1, 100)
		if err != nil {
			errs.Add("q", `"q" parameter (quality) must be an integer between 1 and 100`)
		}
		p.Quality = n
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Params = p
	return out, true, nil
}

// cut shortens a run of digits for an error text.
func cut(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// ContentSecurityPolicy is the Content-Security-Policy Next sends with
// every image its optimizer answers: images.contentSecurityPolicy's
// default (next 16.5.0, shared/lib/image-config.js: "contentSecurityPolicy:
// `script-src 'none'; frame-src 'none'; sandbox;`").
const ContentSecurityPolicy = "script-src 'none'; frame-src 'none'; sandbox;"

// Disposition is the Content-Disposition Next sends with an image its
// optimizer answers for the url parameter ref in contentType (next 16.5.0,
// image-optimizer.js setResponseHeaders and getFileNameWithExtension):
// images.contentDispositionType's default "attachment", the file named
// after ref's last path segment up to its first dot, with the extension
// of contentType ("image.bin" when that segment is empty), written as the
// content-disposition package writes it: always quoted, and a name
// outside printable ASCII, or holding a %XX escape, also as RFC 8187's
// filename*. Deviation: Node writes a Latin-1 letter (é) into filename as
// its byte; Matte writes it as '?' there, and the name in filename*.
func Disposition(ref, contentType string) string {
	name := "image.bin"
	base, _, _ := strings.Cut(ref, "?")
	base = base[strings.LastIndexByte(base, '/')+1:]
	if base != "" && contentType != "" {
		stem, _, _ := strings.Cut(base, ".")
		name = stem + "." + extension(contentType)
	}
	plain, fallback := true, []byte{}
	for _, r := range name {
		if r < 0x20 || r > 0x7e {
			plain = false
			r = '?'
		}
		fallback = utf8.AppendRune(fallback, r)
	}
	quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(string(fallback)) + `"`
	if plain && !escaped.MatchString(name) {
		return "attachment; filename=" + quoted
	}
	var ext strings.Builder
	for _, b := range []byte(name) {
		if 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || strings.IndexByte("-_.!~", b) >= 0 {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	return "attachment; filename=" + quoted + "; filename*=UTF-8''" + ext.String()
}

// escaped matches a %XX escape, which the content-disposition package
// takes as a name that needs filename*.
var escaped = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)

// extension is the file extension of an image media type as Next's
// getExtension (the mime package) gives it: the subtype (jpeg, webp,
// avif), svg for image/svg+xml, ico for image/x-icon.
func extension(contentType string) string {
	sub := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0])), "image/")
	switch sub {
	case "svg+xml":
		return "svg"
	case "x-icon", "vnd.microsoft.icon":
		return "ico"
	}
	return sub
}
