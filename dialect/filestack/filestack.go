// Package filestack reads Filestack's processing URLs,
// /resize=width:400,height:300,fit:crop/output=format:webp/compress/<handle>,
// which cdn.filestackcontent.com answers and Hygraph (GraphCMS) serves its
// assets with (/<env id>/resize=width:400/auto_image/<handle>, unpic's
// hygraph provider), so that a site moving off Filestack or Hygraph keeps
// its image URLs with only the hostname changed.
//
// A URL is this dialect's when its path is /[<prefix>/]<task>/.../<handle>:
// at least one task, each a segment that is a Filestack task name, alone
// or followed by "=<key>:<value>,<key>:<value>", and at least one of them
// written with "=" or named with "_" (auto_image, no_metadata), so that a
// site's /tags/<slug> or /blur/<id> stays the site's (Filestack's own
// /flip/<handle>, bare common words only, is therefore not claimed: write
// it /flip/no_metadata/<handle>); the handle, last, is letters and digits
// only (Filestack's and Hygraph's handles are); the prefix, optional, is
// one segment of letters and digits (Hygraph's environment id, or a
// Filestack API key). The source is /<handle>, or
// /<prefix>/<handle>, on this site: a file_server whose root holds the
// files under their handles (no extension), or a reverse_proxy to them.
// The query goes with the source. An external URL or a storage alias in
// place of the handle is not claimed.
//
// Tasks, as Filestack documents them (filestack.com/docs, Processing API;
// Hygraph's asset transformations are the same):
//
//   - resize=width:W,height:H,fit:F,align:A: W and H 1-10000, at least
//     one. fit clip (default: fitted inside the box, enlarging), crop
//     (covers the box, cropped at align), scale (stretched to the box),
//     max (fitted inside, never enlarged). With one side only the aspect
//     ratio is kept (max still never enlarges). align center (default),
//     top, bottom, left, right or a pair such as [top,left]; it places
//     crop's crop and changes nothing for the other fits. align faces
//     centres crop's crop on the faces found (Params.Faces), and in the
//     image's centre where there are none.
//   - crop=dim:[x,y,w,h]: that area, in source pixels.
//   - rotate=deg:D,background:C: D 0-359 clockwise, or exif (the EXIF
//     orientation, which Matte applies anyway); background fills the
//     corners a rotation uncovers, and, Matte having one background, the
//     image's transparent areas too (without it Matte leaves the corners
//     transparent where the format has alpha, else white).
//   - flip (upside down), flop (left to right).
//   - output=format:F,quality:Q,background:C,compress:B,strip:B: F jpg,
//     pjpg (progressive JPEG), png or webp; Q 1-100; background fills
//     transparent areas; compress and strip (true or false) are read and
//     ignored: Matte encodes by its own settings and always strips
//     metadata.
//   - quality=value:Q: Q 1-100.
//   - auto_image: AVIF or WebP by the Accept header (Matte's auto format),
//     else the source's format (Filestack falls back to JPEG).
//   - pjpg=quality:Q: a progressive JPEG, Q 1-100.
//   - compress, compress=metadata:false, no_metadata: read and ignored
//     (Matte strips metadata; metadata:true is a 400).
//   - cache=false, cache=expiry:<1-31536000|max>: Filestack's control of
//     its own CDN cache (filestack-js writes cache=false for
//     transform(h, {cache: false})), not an image task: read and ignored,
//     Matte's cache having its own settings.
//   - blur=amount:A (0-20, default 2): a Gaussian blur of sigma A.
//   - sharpen=amount:A (0-20, default 2): Matte's sharpen at 5 times A.
//   - monochrome: grey (saturation -100). negative: inverted colours.
//   - sepia=tone:T (0-100, default 80): Matte's sepia at T.
//   - pixelate=amount:A (2-100, default 2): squares of A pixels.
//   - circle=background:C: cut to the largest centred circle, C outside it
//     (without it transparent, or white for a format without alpha).
//   - pixelate_faces=amount:A (2-100, default 10): each face found in the
//     output pixelated with squares of A pixels (Params.Faces.Pixelate).
//     blur_faces=amount:A (0-20, default 10): each face blurred, a Gaussian
//     of sigma A (Params.Faces.Blur). For both, faces:all and type:rect
//     (their defaults) are accepted; Matte obscures every face it finds,
//     each by its box grown by a quarter on every side. Filestack's blur
//     key (a further blur of the obscured faces, 4 by default there, which
//     Matte does not apply), faces:<n>, type:oval, buffer, minsize and
//     maxsize are a 400. Without a face detector the request is a 501;
//     one image takes one of the two.
//
// Colours are hex RGB, RRGGBB or RRGGBBAA (no #) or CSS colour names.
// Filestack applies the tasks in the URL's order; Matte runs its pipeline
// in a fixed one, so each task is given once, and a URL is read only when
// Matte's order gives the image the URL's gives (order.go says which tasks
// may stand before which); another order is a 400 naming the first task
// that comes too late. Every other Filestack task (watermark, crop_faces,
// detect_faces, rounded_corners, border, shadow, modulate, enhance,
// upscale, security, ...) and every key not above is a 400 naming
// it, as is a bad value: the field is the task ("resize"), or the task and
// key ("resize.width").
package filestack

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

// Dialect is Filestack's processing URL form. It holds no state.
type Dialect struct{}

// New returns the dialect; it needs no settings.
func New() dialect.URLDialect { return Dialect{} }

// Name is "filestack".
func (Dialect) Name() string { return "filestack" }

// maxSide bounds resize's sides, as Filestack does.
const maxSide = 10000

// maxCrop bounds crop's numbers, as Filestack does.
const maxCrop = 100000

// pixelate_faces' and blur_faces' amounts when none is given, 10 for both,
// as Filestack's JavaScript SDK's transform schema gives them (filestack-js
// 4.3.5, build/main/schema/transforms.schema.js).
const (
	facesPixelate = 10
	facesBlur     = 10.0
)

// keys lists each supported task's keys, in the order they are read.
var keys = map[string][]string{
	"resize": {"width", "height", "fit", "align"}, "crop": {"dim"}, "rotate": {"deg", "background"},
	"flip": nil, "flop": nil, "output": {"format", "quality", "background", "compress", "strip"},
	"quality": {"value"}, "auto_image": nil, "pjpg": {"quality"}, "compress": {"metadata"}, "no_metadata": nil,
	"blur": {"amount"}, "sharpen": {"amount"}, "monochrome": nil, "negative": nil, "sepia": {"tone"},
	"pixelate": {"amount"}, "circle": {"background"},
	"pixelate_faces": {"amount", "faces", "type"}, "blur_faces": {"amount", "faces", "type"},
	"cache": {"expiry"},
}

// unsupported are Filestack's other task names: claimed, and refused.
var unsupported = map[string]bool{
	"watermark": true, "detect_faces": true, "crop_faces": true,
	"rounded_corners": true, "vignette": true, "polaroid": true, "torn_edges": true, "shadow": true,
	"border": true, "blackwhite": true, "oil_paint": true, "modulate": true, "partial_pixelate": true,
	"partial_blur": true, "collage": true, "upscale": true, "enhance": true, "redeye": true, "ascii": true,
	"urlscreenshot": true, "security": true, "store": true, "video_convert": true,
	"doc_to_images": true, "pdfinfo": true, "pdfconvert": true, "zip": true, "smart_crop": true,
	"animate": true, "debug": true, "metadata": true, "tags": true, "sfw": true, "imagesize": true,
	"fallback": true, "ocr": true, "copyright": true, "minify_css": true, "minify_js": true,
}

// supported lists the task names for the 400 on another task.
const supported = "resize, crop, rotate, flip, flop, output, quality, auto_image, pjpg, compress, no_metadata, blur, sharpen, monochrome, negative, sepia, pixelate, circle, pixelate_faces, blur_faces, cache"

// allowed completes "<task>.<key> must be ...".
var allowed = map[string]string{
	"resize.width": "an integer from 1 to 10000", "resize.height": "an integer from 1 to 10000",
	"resize.fit":   "one of clip, crop, scale, max",
	"resize.align": "one of center, top, bottom, left, right, faces, or a pair such as [top,left]",
	"crop.dim":     "[x,y,width,height], integers from 0 to 100000 (width and height from 1)",
	"rotate.deg":   "an integer from 0 to 359, or exif", "rotate.background": colour,
	"output.format": "one of jpg, pjpg, png, webp", "output.quality": "an integer from 1 to 100",
	"output.background": colour, "output.compress": "true or false", "output.strip": "true or false",
	"quality.value": "an integer from 1 to 100", "pjpg.quality": "an integer from 1 to 100",
	"compress.metadata": "false (Matte always strips metadata)",
	"blur.amount":       "an integer from 0 to 20", "sharpen.amount": "an integer from 0 to 20",
	"sepia.tone": "an integer from 0 to 100", "pixelate.amount": "an integer from 2 to 100",
	"circle.background":     colour,
	"pixelate_faces.amount": "an integer from 2 to 100", "blur_faces.amount": "a number from 0 to 20",
	"pixelate_faces.faces": "all (Matte obscures every face it finds)", "blur_faces.faces": "all (Matte obscures every face it finds)",
	"pixelate_faces.type": "rect (Matte obscures each face's box)", "blur_faces.type": "rect (Matte obscures each face's box)",
	"cache.expiry": "an integer from 1 to 31536000 (seconds), or max",
}

// maxCacheExpiry is cache=expiry's bound, a year in seconds, as Filestack
// documents it ("Valid range: 1...31536000", filestack-swift's
// CacheTransform).
const maxCacheExpiry = 31536000

const colour = "a hex colour (RGB, RRGGBB or RRGGBBAA, no #) or a CSS colour name"

// isTask reports whether seg names a Filestack task.
func isTask(seg string) bool {
	name, _, _ := strings.Cut(seg, "=")
	_, ok := keys[name]
	return ok || unsupported[name]
}

// isID reports whether s is a non-empty run of ASCII letters and digits.
func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// Parse claims u when its path is /[<prefix>/]<task>/.../<handle>.
func (Dialect) Parse(u *url.URL) (dialect.ImageURL, bool, error) {
	// The handle first, without splitting: most paths end in a file name.
	if i := strings.LastIndexByte(u.Path, '/'); i <= 0 || !isID(u.Path[i+1:]) {
		return dialect.ImageURL{}, false, nil
	}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if !strings.HasPrefix(u.Path, "/") || len(segs) < 2 {
		return dialect.ImageURL{}, false, nil
	}
	handle, tasks := segs[len(segs)-1], segs[:len(segs)-1]
	src := "/" + handle
	if !isTask(tasks[0]) {
		if !isID(tasks[0]) {
			return dialect.ImageURL{}, false, nil
		}
		src = "/" + tasks[0] + src
		tasks = tasks[1:]
	}
	if len(tasks) == 0 {
		return dialect.ImageURL{}, false, nil
	}
	marked := false
	for _, t := range tasks {
		if !isTask(t) {
			return dialect.ImageURL{}, false, nil
		}
		marked = marked || strings.ContainsAny(t, "=_")
	}
	if !marked {
		return dialect.ImageURL{}, false, nil
	}

	var errs urlform.Errors
	var r reader
	seen := map[string]bool{}
	chain := oporder.Chain{Order: pipelineOrder, Commutes: r.commutes} // the tasks read, in the URL's order
	count := func() int {
		if err := errs.Err(); err != nil {
			return len(params.AsErrors(err))
		}
		return 0
	}
	for _, t := range tasks {
		name, opts, hasOpts := strings.Cut(t, "=")
		switch {
		case unsupported[name]:
			errs.Add(name, fmt.Sprintf("%s is not a Filestack task Matte supports (%s).", name, supported))
			continue
		case seen[name]:
			errs.Add(name, fmt.Sprintf("%s is given twice; Matte applies each task once, in its own order.", name))
			continue
		case hasOpts && opts == "":
			errs.Add(name, fmt.Sprintf("%s= has no options; write %s=<key>:<value>, or %s alone.", name, name, name))
			continue
		case name == "cache" && opts == "false":
			// Filestack's "always a newly converted file": its cache, not
			// the image; Matte's cache is its own.
			seen[name] = true
			continue
		case name == "cache" && !hasOpts:
			errs.Add(name, "cache alone is not a Filestack task; write cache=false or cache=expiry:<seconds>.")
			continue
		}
		seen[name] = true
		n := count()
		vals, ok := r.options(&errs, name, opts)
		if ok {
			r.read(&errs, name, vals)
		}
		if count() > n {
			continue // a bad task: its order is not looked at
		}
		s := r.stepOf(name)
		if err := chain.Add(name, s); err != "" {
			errs.Add(name, err)
		} else if s == stepTurn {
			oporder.FlipBeforeTurn(&r.p) // the flips read so far came before the turn
		}
	}
	if seen["auto_image"] && (r.format || seen["pjpg"]) {
		errs.Add("auto_image", "auto_image picks the format; give it or output=format (or pjpg), not both.")
	}
	if seen["quality"] && r.quality {
		errs.Add("quality", "quality is given twice (quality=value and output=quality or pjpg=quality); give it once.")
	}
	if seen["pixelate_faces"] && seen["blur_faces"] {
		errs.Add("blur_faces", "pixelate_faces and blur_faces both obscure the faces; give one.")
	}
	if seen["pjpg"] && r.format {
		errs.Add("pjpg", "pjpg and output=format both pick the format; give one.")
	}
	if err := errs.Err(); err != nil {
		return dialect.ImageURL{}, true, err
	}
	var out dialect.ImageURL
	s, err := pathurl.Local(src, "path")
	if err != nil {
		return dialect.ImageURL{}, true, err
	}
	out.Source, out.Query, out.Params = s, u.RawQuery, r.p
	if !out.Params.Rect.IsZero() {
		out.RectField = "crop.dim" // for an error about the region (it starts past the source)
	}
	return out, true, nil
}

// reader gathers the tasks of one URL.
type reader struct {
	p               params.Params
	format, quality bool // output=format, a quality other than quality=value
}

// options splits a task's "k:v,k:v" (a value may be a [bracketed,list])
// into its values by key, reporting unknown, repeated and empty keys.
func (r *reader) options(errs *urlform.Errors, task, opts string) (map[string]string, bool) {
	vals := map[string]string{}
	if opts == "" {
		return vals, true
	}
	ok := true
	given := map[string]bool{}
	depth, start := 0, 0
	var pairs []string
	for i := 0; i <= len(opts); i++ {
		switch {
		case i == len(opts) || opts[i] == ',' && depth == 0:
			pairs = append(pairs, opts[start:i])
			start = i + 1
		case opts[i] == '[':
			depth++
		case opts[i] == ']':
			depth--
		}
	}
	for _, pair := range pairs {
		k, v, found := strings.Cut(pair, ":")
		field := task + "." + k
		was := given[k]
		given[k] = true
		switch {
		case !found || k == "":
			errs.Add(task, fmt.Sprintf("%s=%s is not valid; write %s=<key>:<value>,<key>:<value>.", task, params.QuoteShort(opts), task))
			return nil, false
		case allowed[field] == "":
			known := strings.Join(keys[task], ", ")
			if known == "" {
				known = "none"
			}
			errs.Add(field, fmt.Sprintf("%s is not a Filestack %s option Matte supports (%s).", params.QuoteShort(k), task, known))
			ok = false
		case was:
			errs.Add(field, fmt.Sprintf("%s is given twice; give it once.", field))
			ok = false
		case v == "":
			errs.Add(field, fmt.Sprintf("%s is empty; leave it out, or give %s.", field, allowed[field]))
			ok = false
		default:
			vals[k] = v
		}
	}
	return vals, ok
}

// read applies one task's values; a bad value is reported on errs.
func (r *reader) read(errs *urlform.Errors, task string, vals map[string]string) {
	for _, k := range keys[task] {
		v, given := vals[k]
		if !given {
			continue
		}
		field := task + "." + k
		bad := func(why error) { errs.Invalid(field, v, allowed[field], why) }
		intIn := func(lo, hi int) int {
			n, err := params.ParseInt(v, lo, hi)
			if err != nil {
				bad(err)
			}
			return n
		}
		switch field {
		case "resize.width":
			r.p.Width = intIn(1, maxSide)
		case "resize.height":
			r.p.Height = intIn(1, maxSide)
		case "resize.fit", "resize.align":
			// Applied below, once both sides are known.
		case "crop.dim":
			inner, ok := strings.CutPrefix(v, "[")
			inner, ok2 := strings.CutSuffix(inner, "]")
			d, ok3 := pathurl.Ints(inner, ",", 4, maxCrop)
			if !ok || !ok2 || !ok3 || d[2] == 0 || d[3] == 0 {
				bad(nil)
				continue
			}
			r.p.Rect = params.Rect{X: d[0], Y: d[1], W: d[2], H: d[3]}
		case "rotate.deg":
			if v != "exif" {
				r.p.Rotate = float64(intIn(0, 359))
			}
		case "rotate.background", "output.background":
			c, err := params.ParseColor(v)
			if err != nil || strings.HasPrefix(v, "#") {
				bad(nil)
			}
			if r.p.Background.Set && r.p.Background != c {
				errs.Add(field, "rotate=background and output=background both fill the background with different colours; Matte has one background colour.")
			}
			r.p.Background = c
		case "circle.background":
			c, err := params.ParseColor(v)
			if err != nil || strings.HasPrefix(v, "#") {
				bad(nil)
			}
			r.p.MaskBackground = c
		case "output.format":
			r.format = true
			switch v {
			case "jpg":
				r.p.Format = params.FormatJPEG
			case "pjpg":
				r.p.Format, r.p.Variant = params.FormatJPEG, params.VariantProgressive
			case "png":
				r.p.Format = params.FormatPNG
			case "webp":
				r.p.Format = params.FormatWebP
			default:
				bad(nil)
			}
		case "output.quality", "pjpg.quality":
			r.quality = true
			r.p.Quality = intIn(1, 100)
		case "quality.value":
			r.p.Quality = intIn(1, 100)
		case "output.compress", "output.strip":
			if _, err := urlform.Bool(v); err != nil {
				bad(nil)
			}
		case "cache.expiry":
			// How long Filestack's CDN keeps the converted file: read and
			// ignored, as Matte's cache has its own settings.
			if v != "max" {
				intIn(1, maxCacheExpiry)
			}
		case "compress.metadata":
			if v != "false" {
				bad(nil)
			}
		case "blur.amount":
			r.p.Blur = intIn(0, 20) * 10
		case "sharpen.amount":
			r.p.Sharpen = intIn(0, 20) * 5
		case "sepia.tone":
			r.p.Sepia = intIn(0, 100)
		case "pixelate.amount":
			r.p.Pixelate = intIn(2, 100)
		case "pixelate_faces.amount":
			r.p.Faces.Pixelate = intIn(2, 100)
		case "blur_faces.amount":
			sigma, err := params.ParseDecimalIn(v, 0, 20)
			if err != nil {
				bad(err)
			}
			r.p.Faces.Blur = sigma
		case "pixelate_faces.faces", "blur_faces.faces":
			if v != "all" {
				bad(nil)
			}
		case "pixelate_faces.type", "blur_faces.type":
			if v != "rect" {
				bad(nil)
			}
		}
	}
	switch task {
	case "resize":
		r.resize(errs, vals)
	case "flip":
		r.p.Flip ^= params.FlipV // ^: order moves a flip read before an odd turn to the other one
	case "flop":
		r.p.Flip ^= params.FlipH
	case "pjpg":
		r.p.Format, r.p.Variant = params.FormatJPEG, params.VariantProgressive
	case "auto_image":
		r.p.AutoFormat = true
	case "monochrome":
		r.p.Saturation = -100
	case "negative":
		r.p.Invert = true
	case "blur":
		if _, given := vals["amount"]; !given {
			r.p.Blur = 2 * 10
		}
	case "sharpen":
		if _, given := vals["amount"]; !given {
			r.p.Sharpen = 2 * 5
		}
	case "sepia":
		if _, given := vals["tone"]; !given {
			r.p.Sepia = 80
		}
	case "pixelate":
		if _, given := vals["amount"]; !given {
			r.p.Pixelate = 2
		}
	case "circle":
		r.p.Mask = params.ShapeCircle
	case "pixelate_faces":
		if _, given := vals["amount"]; !given {
			r.p.Faces.Pixelate = facesPixelate
		}
	case "blur_faces":
		if _, given := vals["amount"]; !given {
			r.p.Faces.Blur = facesBlur
		}
	case "crop":
		if _, given := vals["dim"]; !given {
			errs.Add("crop", "crop needs dim:[x,y,width,height].")
		}
	case "rotate":
		if _, given := vals["deg"]; !given {
			errs.Add("rotate", "rotate needs deg: an integer from 0 to 359, or exif.")
		}
	}
}

// aligns maps resize's single aligns to Matte's anchors.
var aligns = map[string]params.Crop{
	"center": params.CropCenter, "top": params.CropTop, "bottom": params.CropBottom,
	"left": params.CropLeft, "right": params.CropRight,
}

// resize applies resize's fit and align once its sides are read.
func (r *reader) resize(errs *urlform.Errors, vals map[string]string) {
	_, w := vals["width"]
	_, h := vals["height"]
	if !w && !h {
		errs.Add("resize", "resize needs width or height (or both).")
		return
	}
	fit := params.FitClip
	if v, given := vals["fit"]; given {
		switch v {
		case "clip":
		case "crop":
			fit = params.FitCrop
		case "scale":
			fit = params.FitScale
		case "max":
			fit = params.FitMax
		default:
			errs.Invalid("resize.fit", v, allowed["resize.fit"], nil)
		}
	}
	crop, faces := params.CropCenter, false
	if v, given := vals["align"]; given && v == "faces" {
		// The crop centred on the faces found; centred, Filestack's
		// default align, where there are none.
		faces = true
	} else if given {
		c, ok := align(v)
		if !ok {
			errs.Invalid("resize.align", v, allowed["resize.align"], nil)
		}
		crop = c
	}
	switch {
	case w && h:
		r.p.Fit = fit
	case fit == params.FitMax:
		r.p.Fit = fit
	}
	if r.p.Fit == params.FitCrop {
		r.p.Crop, r.p.Faces.Crop = crop, faces
	}
}

// align reads center, top, bottom, left, right, or a pair of one of top
// and bottom with one of left and right, bracketed, in either order.
func align(v string) (params.Crop, bool) {
	if c, ok := aligns[v]; ok {
		return c, true
	}
	inner, ok := strings.CutPrefix(v, "[")
	inner, ok2 := strings.CutSuffix(inner, "]")
	a, b, ok3 := strings.Cut(inner, ",")
	if !ok || !ok2 || !ok3 {
		return 0, false
	}
	row := map[string]int{"top": 0, "bottom": 2}
	col := map[string]int{"left": 0, "right": 2}
	if _, isRow := row[b]; isRow {
		a, b = b, a
	}
	ri, ok := row[a]
	ci, ok2 := col[b]
	if !ok || !ok2 {
		return 0, false
	}
	return pathurl.AnchorAt(ri, ci), true
}
