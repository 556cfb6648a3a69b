// Package astro reads the URLs of Astro's built-in image endpoint,
// /_image?href=<source>&w=&h=&q=&f=&fit=&position=&background=, which
// astro:assets' <Image>, <Picture> and getImage() write for a local image
// service (the default sharp service) on a server-rendered site, and which
// unpic's astro provider builds, so that an Astro site keeps its image URLs
// when Matte answers them in front of the Astro server.
//
// The dialect claims the path /_image exactly (Astro's default
// image.endpoint.route; a site that moved the endpoint, or sets a base
// path, is not claimed). The parameters, as Astro's base service writes
// and reads them (getURL, parseURL) and its sharp service applies them:
//
//   - href (required): the source, a path on this site ("/_astro/shoe.
//     Ab12.jpg", usually sent as %2F_astro%2F...) or an absolute http(s)
//     URL, fetched only from the hosts of the origin block's allow_hosts
//     (Astro's image.domains and remotePatterns). The query of a local
//     href is not sent with it, as Astro's endpoint drops it; an href that
//     is /_image itself is refused.
//   - w, h: the size in pixels (0 or absent: not given). One side keeps
//     the aspect ratio; the image is never enlarged (sharp's
//     withoutEnlargement).
//   - fit, with both sides: cover (sharp's default, also without fit) →
//     fit=min, cropped at position; contain, scale-down and inside →
//     fit=max; none and outside → covering the box without cropping, not
//     enlarged; fill → fit=scale. With one side or none it is checked and
//     has no effect, as in Astro.
//   - position: where cover crops: CSS object-position keywords (center,
//     top, left bottom, center top, ...) and sharp's names (centre,
//     northeast, right top, entropy, attention); checked and unused with
//     another fit.
//   - q: 1 to 100, or Astro's presets low (25), mid (50), high (80), max
//     (100).
//   - f: avif, webp, png, jpeg, jpg, gif; without it, the source's format
//     (Astro's sharp service encodes only when f names a format; getImage
//     always writes one, WebP by default). f=svg passes an SVG source through as it is, and needs an
//     href ending in .svg (Astro answers any other source 403).
//   - background: the colour transparency is flattened onto (sharp's
//     flatten): hex, with or without # (%23), or a CSS colour name; its
//     alpha is not used, as sharp's flatten does not.
//
// Every parameter is given once and never empty; a bad value is a 400
// naming it. Any other query parameter is ignored, as Astro's endpoint
// ignores it (adapters append their own, such as a deployment ID).
//
// Deviations: Astro takes any string for w, h and q (parseInt) and any
// fit (unknown ones become inside); Matte takes digits and the names
// above, and 400s the rest. With both sides and cover, a source smaller
// than the box is cut to the box's aspect ratio at its own size (fit=min),
// where sharp cuts each side to the smaller of the box and the image;
// fill stretches a smaller source up to the box, where sharp shrinks only
// the sides that are larger. rgb() and hsl() colours are a 400 (sharp
// reads them). An animated source keeps its frames in WebP and GIF, and
// other formats have the first frame (sharp stacks the frames).
package astro

import (
	"errors"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/dialect/ipx"
	"github.com/jebosio/matte/params"
)

// Path is Astro's image endpoint route.
const Path = "/_image"

// Dialect is Astro's image endpoint URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "astro".
func (Dialect) Name() string { return "astro" }

// names lists the parameters in the order they are read and reported.
var names = []string{"href", "w", "h", "q", "f", "fit", "position", "background"}

// allowed completes "<name> must be ...".
var allowed = map[string]string{
	"href":       "a path on this site starting with / or an absolute http(s) URL",
	"w":          "an integer from 0 to 100000",
	"h":          "an integer from 0 to 100000",
	"q":          "an integer from 1 to 100, or one of low, mid, high, max",
	"f":          "one of avif, webp, png, jpeg, jpg, gif, svg",
	"fit":        "one of cover, contain, fill, inside, outside, scale-down, none",
	"position":   "CSS object-position keywords (center, top, left bottom, center top, ...), or one of sharp's: centre, north, northeast, ..., right top, entropy, attention",
	"background": "a hex colour (fff, %23ffffff) or a CSS colour name",
}

// qualities are Astro's quality presets (its sharp service's table).
var qualities = map[string]int{"low": 25, "mid": 50, "high": 80, "max": 100}

// Parse claims u when its path is /_image exactly.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	if u.Path != Path {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	q, ok := errs.Query(u.RawQuery)
	if !ok {
		return dialect.ImageURL{}, true, errs.Err()
	}
	var out dialect.ImageURL
	var p params.Params
	fit, crop := "cover", params.CropCenter
	svg := false
	if len(q["href"]) == 0 {
		errs.Add("href", "href is required: the image, "+allowed["href"]+".")
	}
	for _, name := range names {
		v, given := errs.One(q, name, allowed[name], false)
		if !given {
			continue
		}
		bad := func(why error) { errs.Invalid(name, v, allowed[name], why) }
		switch name {
		case "href":
			src, _, err := urlform.Source(v)
			switch {
			case err != nil:
				bad(err)
			case src == Path:
				bad(errRecursive)
			default:
				out.Source = src
			}
		case "w", "h":
			n, err := pathurl.Dimension(v)
			if err != nil {
				bad(nil)
			}
			if name == "w" {
				p.Width = n
			} else {
				p.Height = n
			}
		case "q":
			n, ok := qualities[v]
			if !ok {
				var err error
				if n, err = params.ParseInt(v, 1, 100); err != nil {
					bad(nil)
				}
			}
			p.Quality = n
		case "f":
			if v == "svg" {
				svg = true
				break
			}
			f, ok := params.ParseOutputFormat(v)
			if !ok {
				bad(nil)
			}
			p.Format = f
		case "fit":
			switch v {
			case "cover", "contain", "fill", "inside", "outside", "scale-down", "none":
				fit = v
			default:
				bad(nil)
			}
		case "position":
			c, ok := position(v)
			if !ok {
				bad(nil)
			}
			crop = c
		case "background":
			c, err := params.ParseColor(v)
			if err != nil {
				bad(nil)
			}
			p.Background = c.Opaque()
		}
	}
	if svg && !errs.Has("href") && !strings.HasSuffix(strings.ToLower(out.Source), ".svg") {
		errs.Add("f", "f=svg passes an SVG source through as it is; href must name an .svg file (Astro answers any other source 403).")
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	if svg {
		// Matte never rasterises an SVG: the source is passed through.
		return dialect.ImageURL{Source: out.Source}, true, nil
	}
	if p.Width > 0 && p.Height > 0 {
		switch fit {
		case "cover":
			p.Fit, p.Crop = params.FitCropDown, crop
		case "contain", "scale-down", "inside":
			p.Fit = params.FitMax
		case "none", "outside":
			p.Fit = params.FitOutsideMax
		case "fill":
			p.Fit = params.FitScale
		}
	} else if p.Width > 0 || p.Height > 0 {
		p.Fit = params.FitMax
	}
	out.Params = p
	return out, true, nil
}

// errRecursive is why an href naming the endpoint itself is refused.
var errRecursive = errors.New("it names the image endpoint itself")

// cssKeywords are CSS object-position's keywords.
var cssKeywords = map[string]bool{"left": true, "right": true, "top": true, "bottom": true, "center": true}

// position reads an object-position of one or two CSS keywords ("center
// top", "bottom left") or one of sharp's position names.
func position(v string) (params.Crop, bool) {
	words := strings.Fields(strings.ToLower(v))
	if len(words) == 2 && cssKeywords[words[0]] && cssKeywords[words[1]] {
		switch {
		case words[0] == "center" && words[1] == "center":
			words = words[:1]
		case words[0] == "center":
			words = words[1:]
		case words[1] == "center":
			words = words[:1]
		}
	}
	return ipx.Position(strings.Join(words, " "))
}
