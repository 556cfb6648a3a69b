// Package uploadcare reads Uploadcare's CDN operation URLs,
// /<uuid>/-/resize/400x300/-/format/webp/-/quality/smart/[<filename>],
// which Uploadcare's SDKs and unpic's uploadcare provider write, so that a
// site moving off Uploadcare keeps its image URLs with only the hostname
// changed.
//
// A URL is this dialect's when its second path segment is "-": a first
// segment (the file's UUID), then operations, each "-/<name>/<value>/".
// The source is /<uuid> on this site, or /<uuid>/<filename> when the URL
// ends with a file name after the operations (a segment not followed by
// "/"), read through the next handler; the query goes with the source.
//
// Operations, as Uploadcare documents them (uploadcare.com/docs, URL API):
//
//   - preview[/<W>x<H>]: fitted inside the box, never enlarged (without
//     a size, 2048x2048).
//   - resize/<W>x<H>, <W>x, x<H>: both sides stretch the image to the box;
//     one keeps the aspect ratio. Enlarges, as Uploadcare's default
//     stretch/on does.
//   - scale_crop/<W>x<H>[/<alignment>]: covers the box and crops it,
//     enlarging; alignment is center (default), top, bottom, left, right,
//     or <X>p,<Y>p (the point kept in view, in percent of the image).
//     scale_crop/<W>x<H>/smart_faces[/<alignment>] centres the crop on the
//     faces found (Params.Faces), and places it by the alignment where
//     there are none, as Uploadcare falls back to its offsets.
//   - crop/<W>x<H>[/<X>,<Y> | /center]: cuts that area (source pixels) at
//     X, Y from the top-left corner (default 0,0) or centred.
//   - stretch/on|off: off stops resize and scale_crop from enlarging; a
//     two-sided resize still stretches, its factors divided by the larger
//     where that one is over 1 (params.FitScaleDown).
//   - setfill/<color>: a hex colour (RGB or RRGGBB) for transparent areas.
//   - format/jpeg|png|webp|auto|preserve: auto picks AVIF, then WebP by
//     the Accept header; preserve (and no format) keeps the source's.
//   - quality/<level>: smart, smart_retina and normal are Matte's
//     configured quality; better 85, best 95, lighter 65, lightest 50
//     (Uploadcare publishes no numbers: these are Matte's).
//   - progressive/yes|no: a progressive JPEG.
//   - grayscale: saturation -100.
//   - blur[/<strength>]: a Gaussian blur of sigma strength/2, 0 to 400
//     (default 10).
//   - sharp[/<strength>]: 0 to 20 (default 5), Matte's sharpen at 5 times
//     it.
//   - rotate/<angle>: a multiple of 90, counterclockwise.
//   - flip (upside down), mirror (left to right).
//   - autorotate/yes|no: no keeps the stored orientation, ignoring EXIF.
//
// Uploadcare applies the operations in the URL's order; Matte runs its
// pipeline in a fixed one (crop, a quarter turn, the resize, grayscale,
// flip and mirror, blur, sharp), so each operation is given once, only one
// of preview, resize and scale_crop, and a URL is read only when Matte's
// order gives the image the URL's gives (order.go says which operations
// may stand before which); another order is a 400 naming the first
// operation that comes too late. A bad value, an operation given twice and
// one Matte lacks (smart_resize, the smart types but smart_faces, overlays,
// enhance, filter, stretch/fill, ...) are a 400 naming the operation.
package uploadcare

import (
	"fmt"
	"github.com/jebosio/matte/dialect/internal/oporder"
	"net/url"
	"strings"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/dialect/internal/urlform"
	"github.com/jebosio/matte/params"
)

// Dialect is Uploadcare's CDN operation URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "uploadcare".
func (Dialect) Name() string { return "uploadcare" }

// maxSide bounds sizes, as Uploadcare's 5000 pixel limit for resizes.
const maxSide = 5000

// previewSide is preview's box without a size.
const previewSide = 2048

// arity is how many values each operation takes at most, and at least.
var arity = map[string][2]int{
	"preview": {0, 1}, "resize": {1, 1}, "scale_crop": {1, 3}, "crop": {1, 2}, "stretch": {1, 1},
	"setfill": {1, 1}, "format": {1, 1}, "quality": {1, 1}, "progressive": {1, 1}, "grayscale": {0, 0},
	"blur": {0, 1}, "sharp": {0, 1}, "rotate": {1, 1}, "flip": {0, 0}, "mirror": {0, 0}, "autorotate": {1, 1},
}

// qualities maps a quality level to Matte's quality (0: the configured).
var qualities = map[string]int{"smart": 0, "smart_retina": 0, "normal": 0, "better": 85, "best": 95, "lighter": 65, "lightest": 50}

// anchors maps a scale_crop alignment to Matte's anchor.
var anchors = map[string]params.Crop{
	"center": params.CropCenter, "top": params.CropTop, "bottom": params.CropBottom,
	"left": params.CropLeft, "right": params.CropRight,
}

// Parse claims u when its second path segment is "-".
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	uuid, rest, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/-/")
	if !ok || uuid == "" || strings.Contains(uuid, "/") || !strings.HasPrefix(u.Path, "/") {
		return dialect.ImageURL{}, false, nil
	}
	var errs urlform.Errors
	var out dialect.ImageURL
	segs := strings.Split(rest, "/")
	filename := segs[len(segs)-1]
	segs = segs[:len(segs)-1]
	src := "/" + uuid
	if filename != "" {
		src += "/" + filename
	}
	if s, err := pathurl.Local(src, "path"); err != nil {
		errs.Add("path", params.AsErrors(err)[0].Detail)
	} else {
		out.Source, out.Query = s, u.RawQuery
	}

	// Split the operations at each "-" segment.
	var ops [][]string
	for _, s := range segs {
		if s == "-" || len(ops) == 0 {
			ops = append(ops, nil)
			if s == "-" {
				continue
			}
		}
		ops[len(ops)-1] = append(ops[len(ops)-1], s)
	}
	var r reader
	seen := map[string]bool{}
	chain := oporder.Chain{Order: pipelineOrder, Commutes: r.commutes} // the operations read, in the URL's order
	for _, op := range ops {
		if len(op) == 0 || op[0] == "" {
			errs.Add("path", fmt.Sprintf("%s has an empty operation; write -/<operation>/<value>/ for each.", params.QuoteShort(u.Path)))
			continue
		}
		name, args := op[0], op[1:]
		n, known := arity[name]
		switch {
		case !known:
			errs.Add(name, fmt.Sprintf("%s is not an Uploadcare operation Matte supports (preview, resize, scale_crop, crop, stretch, setfill, format, quality, progressive, grayscale, blur, sharp, rotate, flip, mirror, autorotate).", params.QuoteShort(name)))
			continue
		case seen[name]:
			errs.Add(name, fmt.Sprintf("%s is given twice; Matte applies each operation once, in its own order.", name))
			continue
		case len(args) < n[0] || len(args) > n[1]:
			errs.Add(name, fmt.Sprintf("%s takes %s; end each operation with /, and a file name goes last.", name, usage[name]))
			continue
		}
		seen[name] = true
		if err := r.read(name, args); err != "" {
			errs.Add(name, err)
			continue
		}
		s := r.stepOf(name)
		if err := chain.Add(name, s); err != "" {
			errs.Add(name, err)
		} else if s == stepTurn {
			oporder.FlipBeforeTurn(&r.p) // the flips read so far came before the turn
		}
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Params = r.params()
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop" // for an error about the region (it starts past the source)
	}
	return out, true, nil
}

// usage completes "<operation> takes ...".
var usage = map[string]string{
	"preview":     "no value or a size, <W>x<H>",
	"resize":      "a size, <W>x<H>, <W>x or x<H>",
	"scale_crop":  "a size, <W>x<H>, then an optional alignment: center, top, bottom, left, right or <X>p,<Y>p; or smart_faces, optionally followed by one of those alignments (Matte's only smart type)",
	"crop":        "a size, <W>x<H>, then an optional position: <X>,<Y> or center",
	"stretch":     "on or off",
	"setfill":     "a hex colour, RGB or RRGGBB",
	"format":      "one of jpeg, png, webp, auto, preserve",
	"quality":     "one of smart, smart_retina, normal, better, best, lighter, lightest",
	"progressive": "yes or no",
	"grayscale":   "no value",
	"blur":        "no value or a strength from 0 to 400",
	"sharp":       "no value or a strength from 0 to 20",
	"rotate":      "a multiple of 90 (counterclockwise)",
	"flip":        "no value",
	"mirror":      "no value",
	"autorotate":  "yes or no",
}

// reader gathers the operations of one URL.
type reader struct {
	p                params.Params
	size             string // preview, resize or scale_crop
	w, h             int
	anchor           params.Crop
	focus            params.Focus
	faces            bool // scale_crop's smart_faces
	noStretch        bool
	crop             [4]int // x, y, w, h
	cropSet, cropCtr bool
}

// read applies one operation; it returns the 400's detail, or "".
func (r *reader) read(name string, args []string) string {
	arg := ""
	if len(args) > 0 {
		arg = args[0]
	}
	bad := func() string {
		return fmt.Sprintf("%s/%s is not valid; %s takes %s.", name, params.QuoteShort(strings.Join(args, "/")), name, usage[name])
	}
	switch name {
	case "preview", "resize", "scale_crop":
		if r.size != "" {
			return fmt.Sprintf("%s and %s both size the image; give one of preview, resize, scale_crop.", r.size, name)
		}
		r.size = name
		if name == "preview" && arg == "" {
			r.w, r.h = previewSide, previewSide
			return ""
		}
		var ok bool
		if r.w, r.h, ok = dimensions(arg, name == "resize"); !ok {
			return bad()
		}
		if name == "scale_crop" && len(args) > 1 {
			// smart_faces centres the crop on the faces found; the
			// alignment after it (center by default) is where none are.
			align := args[1:]
			if args[1] == "smart_faces" {
				r.faces, align = true, args[2:]
			}
			if len(align) > 1 || len(align) == 1 && !r.alignment(align[0]) {
				return bad()
			}
		}
	case "crop":
		w, h, ok := dimensions(arg, false)
		if !ok {
			return bad()
		}
		r.cropSet, r.crop = true, [4]int{0, 0, w, h}
		if len(args) == 2 {
			if args[1] == "center" {
				r.cropCtr = true
			} else if xy, ok := pathurl.Ints(args[1], ",", 2, maxSide); ok {
				r.crop[0], r.crop[1] = xy[0], xy[1]
			} else {
				return bad()
			}
		}
	case "stretch":
		switch arg {
		case "on":
		case "off":
			r.noStretch = true
		default:
			return bad()
		}
	case "setfill":
		c, err := params.ParseColor(arg)
		if err != nil || (len(arg) != 3 && len(arg) != 6) || strings.HasPrefix(arg, "#") {
			return bad()
		}
		r.p.Background = c
	case "format":
		switch arg {
		case "jpeg":
			r.p.Format = params.FormatJPEG
		case "png":
			r.p.Format = params.FormatPNG
		case "webp":
			r.p.Format = params.FormatWebP
		case "auto":
			r.p.AutoFormat = true
		case "preserve":
		default:
			return bad()
		}
	case "quality":
		q, ok := qualities[arg]
		if !ok {
			return bad()
		}
		r.p.Quality = q
	case "progressive":
		switch arg {
		case "yes":
			r.p.Variant = params.VariantProgressive
		case "no":
		default:
			return bad()
		}
	case "grayscale":
		r.p.Saturation = -100
	case "blur":
		s := 10
		if arg != "" {
			var err error
			if s, err = params.ParseInt(arg, 0, 400); err != nil {
				return bad()
			}
		}
		r.p.Blur = s * 5
	case "sharp":
		s := 5
		if arg != "" {
			var err error
			if s, err = params.ParseInt(arg, 0, 20); err != nil {
				return bad()
			}
		}
		r.p.Sharpen = s * 5
	case "rotate":
		a, err := params.ParseInt(arg, 0, 360)
		if err != nil || a%90 != 0 {
			return bad()
		}
		r.p.Rotate = float64((360 - a) % 360)
	case "flip":
		r.p.Flip ^= params.FlipV // ^: order moves a flip read before an odd turn to the other flip
	case "mirror":
		r.p.Flip ^= params.FlipH
	case "autorotate":
		switch arg {
		case "yes":
		case "no":
			r.p.Orientation = 1
		default:
			return bad()
		}
	}
	return ""
}

// alignment reads scale_crop's alignment: a named one or <X>p,<Y>p.
func (r *reader) alignment(v string) bool {
	if a, ok := anchors[v]; ok {
		r.anchor = a
		return true
	}
	x, y, ok := strings.Cut(v, ",")
	if !ok || !strings.HasSuffix(x, "p") || !strings.HasSuffix(y, "p") {
		return false
	}
	px, err1 := params.ParseInt(strings.TrimSuffix(x, "p"), 0, 100)
	py, err2 := params.ParseInt(strings.TrimSuffix(y, "p"), 0, 100)
	if err1 != nil || err2 != nil {
		return false
	}
	r.focus = params.Focus{X: float64(px) / 100, Y: float64(py) / 100, Set: true}
	return true
}

// params is the request the operations make.
func (r *reader) params() params.Params {
	p := r.p
	p.Width, p.Height = r.w, r.h
	switch r.size {
	case "preview":
		p.Fit = params.FitMax
	case "resize":
		switch {
		case r.w != 0 && r.h != 0 && r.noStretch:
			// Uploadcare: "off — an image won't be scaled up". It does not
			// say how a two-sided resize shrinks where one side would
			// grow; Matte stretches to the box where neither factor is
			// over 1 and otherwise divides both by the larger, so no side
			// is enlarged (scaledown, as Supabase's fill).
			p.Fit = params.FitScaleDown
		case r.w != 0 && r.h != 0:
			p.Fit = params.FitScale
		case r.noStretch:
			p.Fit = params.FitMax
		}
	case "scale_crop":
		p.Fit, p.Crop, p.Focus = params.FitCrop, r.anchor, r.focus
		p.Faces.Crop = r.faces
		if r.noStretch {
			p.Fit = params.FitMin
		}
	}
	if r.cropSet {
		if r.cropCtr {
			p.Region = params.Region{W: r.crop[2], H: r.crop[3], Anchor: params.CropCenter}
		} else {
			p.Rect = params.Rect{X: r.crop[0], Y: r.crop[1], W: r.crop[2], H: r.crop[3]}
		}
	}
	return p
}

// dimensions reads <W>x<H> (each 1 to 5000); oneSide also allows <W>x and
// x<H>.
func dimensions(v string, oneSide bool) (w, h int, ok bool) {
	ws, hs, found := strings.Cut(v, "x")
	if !found || (!oneSide && (ws == "" || hs == "")) || ws == "" && hs == "" {
		return 0, 0, false
	}
	var err error
	if ws != "" {
		if w, err = params.ParseInt(ws, 1, maxSide); err != nil {
			return 0, 0, false
		}
	}
	if hs != "" {
		if h, err = params.ParseInt(hs, 1, maxSide); err != nil {
			return 0, 0, false
		}
	}
	return w, h, true
}
