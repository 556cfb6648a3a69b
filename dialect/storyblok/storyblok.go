// Package storyblok reads Storyblok's image service URLs,
// /f/<space>/<W>x<H>/<hash>/<file>/m/[<crop>/][fit-in/][<W>x<H>/][smart/][filters:...],
// which Storyblok's SDKs, Nuxt Image's and unpic's storyblok providers
// write, so that a site moving off Storyblok's asset CDN keeps its image
// URLs with only the hostname changed.
//
// A URL is this dialect's when its path starts with /f/ and has an /m/
// segment (or ends with /m). The source is the path before /m on this
// site: /f/39898/3310x2192/e4ec08624e/demo.jpeg/m/400x300 reads
// /f/39898/3310x2192/e4ec08624e/demo.jpeg through the next handler (a
// file_server whose root holds the space's assets under those paths, or a
// reverse_proxy to them); the query goes with it.
//
// Storyblok's image service is Thumbor's URL form after /m/, and Matte
// reads its options as its thumbor dialect does (see that package), limited
// to what Storyblok documents (storyblok.com/docs, Image Service):
//
//   - <left>x<top>:<right>x<bottom>: the area cut first (source pixels).
//   - fit-in: fitted inside the box (with fill(), padded to it) in place of
//     the default crop to the exact size.
//   - [-]<W>x[-]<H>: the size; 0 for a side keeps the aspect ratio, a minus
//     flips that axis.
//   - smart: the crop centred on the faces found (Storyblok's "focal point
//     via face detection"), by Matte's attention crop where there are none.
//   - filters:<name>(<args>):...: format(webp|jpeg|png|avif, and Thumbor's gif), quality(0-100),
//     fill(<colour>|transparent) with fit-in, focal(<left>x<top>:<right>x<bottom>),
//     grayscale(), blur(<radius>[,<sigma>]), rotate(90|180|270) and
//     brightness(-100..100), as Thumbor reads them.
//
// Without format(), Storyblok answers WebP where the browser takes it:
// Matte picks AVIF, then WebP by the Accept header. Any other option or
// filter Storyblok documents (round_corner, no_upscale, ...) or an option
// out of Storyblok's order is a 400 naming it (filters:<name>, or path).
package storyblok

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/thumbor"
	"github.com/jebosio/matte/params"
)

// Prefix starts every Storyblok asset path.
const Prefix = "/f/"

// Dialect is Storyblok's image service URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "storyblok".
func (Dialect) Name() string { return "storyblok" }

// filters are the Thumbor filters Storyblok documents that Matte reads.
var filters = map[string]bool{
	"format": true, "quality": true, "fill": true, "focal": true, "grayscale": true,
	"blur": true, "rotate": true, "brightness": true,
}

var (
	cropSegment = regexp.MustCompile(`^[0-9]+x[0-9]+:[0-9]+x[0-9]+$`)
	sizeSegment = regexp.MustCompile(`^-?[0-9]+x-?[0-9]+$`)
)

// reader parses the options as Thumbor's; the marker stands for the
// source, which Storyblok names before /m/.
var reader = thumbor.New("")

const marker = "storyblok-source"

// Parse claims u when its path starts with /f/ and has an /m/ segment.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	iu, ok, err := parse(u)
	if err != nil {
		return dialect.ImageURL{}, ok, params.AsErrors(err)
	}
	return iu, ok, nil
}

// parse is Parse, its errors single params.Errors.
func parse(u *url.URL) (dialect.ImageURL, bool, error) {
	ep := u.EscapedPath()
	if !strings.HasPrefix(ep, Prefix) {
		return dialect.ImageURL{}, false, nil
	}
	asset, opts, ok := strings.Cut(ep, "/m/")
	if !ok {
		if asset, ok = strings.CutSuffix(ep, "/m"); !ok {
			return dialect.ImageURL{}, false, nil
		}
	}
	src, err := url.PathUnescape(asset)
	if err != nil || asset == "/f" {
		return dialect.ImageURL{}, true, pathurl.Bad("path", "%s names no asset; write /f/<space>/<W>x<H>/<hash>/<file>/m/<options>.", params.QuoteShort(u.Path))
	}
	if src, err = pathurl.Local(src, "path"); err != nil {
		return dialect.ImageURL{}, true, err
	}
	opts = strings.TrimSuffix(opts, "/")
	stage := 0 // the next option's place in Storyblok's order
	for i, seg := range strings.Split(opts, "/") {
		if seg == "" && opts == "" {
			break
		}
		place := 5
		switch {
		case cropSegment.MatchString(seg):
			place = 1
		case seg == "fit-in":
			place = 2
		case sizeSegment.MatchString(seg):
			place = 3
		case seg == "smart":
			place = 4
		case strings.HasPrefix(seg, "filters:"):
			if err := checkFilters(seg); err != nil {
				return dialect.ImageURL{}, true, err
			}
			if i != strings.Count(opts, "/") {
				return dialect.ImageURL{}, true, pathurl.Bad("path", "The filters must come last after /m/: [<crop>/][fit-in/][<W>x<H>/][smart/][filters:...].")
			}
		default:
			return dialect.ImageURL{}, true, pathurl.Bad("path", "%s after /m/ is not a Storyblok image option Matte supports; write [<left>x<top>:<right>x<bottom>/][fit-in/][<W>x<H>/][smart/][filters:...].", params.QuoteShort(seg))
		}
		if place <= stage {
			return dialect.ImageURL{}, true, pathurl.Bad("path", "%s is out of order or given twice after /m/; write [<crop>/][fit-in/][<W>x<H>/][smart/][filters:...].", params.QuoteShort(seg))
		}
		stage = place
	}
	inner := "/unsafe/" + marker
	if opts != "" {
		inner = "/unsafe/" + opts + "/" + marker
	}
	iu, err := url.ParseRequestURI(inner)
	if err != nil {
		return dialect.ImageURL{}, true, pathurl.Bad("path", "The options after /m/ are not validly escaped.")
	}
	got, _, err := reader.Parse(iu)
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	if got.Source != "/"+marker {
		return dialect.ImageURL{}, true, pathurl.Bad("path", "The options after /m/ are not Storyblok's: [<crop>/][fit-in/][<W>x<H>/][smart/][filters:...].")
	}
	p := got.Params
	if p.Format == params.FormatSource {
		p.AutoFormat = true
	}
	out := dialect.ImageURL{Params: p, Source: src, Query: u.RawQuery}
	if !p.Rect.IsZero() {
		out.RectField = "crop" // the area cut first, <left>x<top>:<right>x<bottom>
	}
	return out, true, nil
}

// checkFilters refuses a filter Storyblok documents that Matte does not
// read, naming it as filters:<name>.
func checkFilters(seg string) error {
	s, err := url.PathUnescape(strings.TrimPrefix(seg, "filters:"))
	if err != nil {
		return pathurl.Bad("filters", "The filters are not validly escaped.")
	}
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch s[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ':':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		name, _, _ := strings.Cut(s[start:i], "(")
		if !filters[name] {
			return pathurl.Bad("filters:"+name, "%s is not a Storyblok filter Matte supports (format, quality, fill, focal, grayscale, blur, rotate, brightness).", params.QuoteShort(name))
		}
		start = i + 1
	}
	return nil
}
