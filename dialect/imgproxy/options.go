package imgproxy

import (
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// resize is what the resizing options gather before they become a Fit:
// imgproxy's resizing type, enlarge and extend combine into one.
type resize struct {
	typ             string // fit (imgproxy's default), fill, fill-down, force, auto
	enlarge, extend bool
	gravity         pathurl.Gravity
	// crop is c's area; cropGravity its own gravity when given (else g's).
	crop        params.Region
	cropGravity *pathurl.Gravity
	// zoom multiplies the result's size (z; 0: none).
	zoom float64
	// wm is the watermark option's arguments, nil when not given.
	wm *mark
	// markURL is wmu's watermark image (a URL or a path on this site),
	// markURLName wmu as written; "": the site's watermark.
	markURL, markURLName string
	// expires is exp's time (zero: none).
	expires time.Time
	// fallback is fiu's fallback image (a URL or a path on this site),
	// fallbackName fiu as written; "": the site's fallback_image.
	fallback, fallbackName string
	// extendAspect is exar's extend.
	extendAspect bool
	// extendGravity and aspectGravity are ex's and exar's gravity: where
	// each places the image on its canvas.
	extendGravity, aspectGravity params.ExtendGravity
	// raw (raw:1) answers the source as it is, whatever else is asked.
	raw bool
	// padName is pd as written ("": none), for errors about the padding.
	padName string
	// page is pg's frame (from 0) and pageName pg as written ("": none);
	// noAnimation is da:1.
	page        int
	pageName    string
	noAnimation bool
	// backgroundAlpha is bga's opacity of bg (nil: opaque).
	backgroundAlpha *float64
	// jpegChroma and avifChroma are jpgo's no_subsample and avifo's
	// subsample as a Chroma (0: the encoder's rule), given when
	// jpegChromaName, avifChromaName (the option as written) are not "";
	// laterChroma is the name of the later of the two.
	jpegChroma, avifChroma         int
	jpegChromaName, avifChromaName string
	laterChroma                    string
}

// fields names the options, as the URL wrote them, that errors found while
// serving an image should point at (dialect.ImageURL's MarkField and
// FrameField).
type fields struct {
	mark, frame string
	// pad is pd as written ("": none).
	pad string
	// fallback is fiu's image and fallbackName fiu as written ("": none).
	fallback, fallbackName string
	// raw is raw:1: the answer is the source as it is, the extension
	// unread too.
	raw bool
	// expires is exp's time (zero: none).
	expires time.Time
}

// mark is wm:%opacity:%position:%x_offset:%y_offset:%scale; name is the
// option as written (wm or watermark), for errors.
type mark struct {
	name     string
	opacity  float64
	position string // a gravity, or re (replicate)
	x, y     float64
	scale    float64
}

// parseOptions reads the option parts (name:arg:...), the presets they
// name expanded (d's: none while d's presets are being parsed), wm drawing
// d's watermark, and the URL's extension ext ("": none), which names the
// output format as f does and wins over it. Every bad option is reported,
// in URL order; a later option overrides an earlier one, as in imgproxy.
func (d *Dialect) parseOptions(parts []string, ext string) (params.Params, fields, error) {
	// imgproxy's default IMGPROXY_MAX_ANIMATION_FRAMES is 1: an animated
	// source is answered with its first frame; a site that allows more
	// keeps that many of the first frames.
	p := params.Params{Frames: params.FramesFirst}
	if d.animationFrames > 1 {
		p.Frames, p.Animation.Last = params.FramesKeep, d.animationFrames
	}
	parts, err := expandPresets(parts, d.presets)
	if err != nil {
		return p, fields{}, err
	}
	rs := resize{typ: "fit"}
	var errs params.Errors
	for _, part := range parts {
		name, argStr, _ := strings.Cut(part, ":")
		args := strings.Split(argStr, ":")
		canon, known := aliases[name]
		var err error
		if !known {
			err = pathurl.Bad(name, "%s is not an imgproxy processing option Matte supports (rs, s, rt, w, h, z, g, c, q, f, bg, bl, sh, pix, rot, dpr, ex, exar, pd, t, el, fl, ar, sm, scp, eth, cb, fn, att, exp, mb, pr, wm, wmu, fq, mw, mh, raw; Pro: a, br, co, sa, mc, dt, col, gr, bga, dpi, ra, pg, pgs, da, jpgo, pngo, webpo, avifo, fiu).", params.QuoteShort(name))
		} else {
			err = options[canon](&p, &rs, name, args)
		}
		if err != nil {
			errs = append(errs, params.AsErrors(err)...)
		}
	}
	if len(errs) > 0 {
		return params.Params{}, fields{}, errs
	}
	if rs.raw {
		// The source as it is, passed through untouched (never decoded):
		// only how it is named and saved applies (the extension unread
		// too), and fiu's image is not used, as a missing source passes
		// through as its origin answers it.
		return params.Params{Download: p.Download, DownloadName: p.DownloadName}, fields{raw: true, expires: rs.expires}, nil
	}
	if ext != "" {
		f, ok := params.ParseOutputFormat(ext)
		if !ok {
			return params.Params{}, fields{}, pathurl.Bad("extension", "The extension %s is not an output format; use jpg, png, webp, avif or gif.", params.QuoteShort(ext))
		}
		p.Format = f
	}
	if err := applyEncoderOptions(&p, rs); err != nil {
		return params.Params{}, fields{}, err
	}
	if err := applyZoom(&p, rs); err != nil {
		return params.Params{}, fields{}, err
	}
	applyResize(&p, rs)
	applyExtendGravity(&p, rs)
	if err := applyCrop(&p, rs); err != nil {
		return params.Params{}, fields{}, err
	}
	f := fields{mark: "wm", pad: rs.padName, fallback: rs.fallback, fallbackName: rs.fallbackName, expires: rs.expires}
	markImage := d.watermark
	if rs.markURL != "" {
		markImage, f.mark = rs.markURL, rs.markURLName
	}
	if err := applyMark(&p, rs.wm, markImage); err != nil {
		return params.Params{}, fields{}, err
	}
	if p.Watermark.Image == "" {
		f.mark = ""
	}
	applyFrames(&p, rs)
	if k := rs.backgroundAlpha; k != nil && p.Background.Set {
		p.Background.A = uint8(math.Round(*k * 255))
	}
	if rs.pageName != "" {
		f.frame = rs.pageName
	}
	pathurl.Canonical(&p)
	return p, f, nil
}

// applyExtendGravity places the image on the canvas ex pads it to by ex's
// gravity, and on exar's by exar's (ex's canvas has the box's aspect
// ratio: exar pads nothing more). Without enlarge the DPR is capped for
// every fit (Params.CapDPR), as imgproxy's calcScale caps the dprScale
// that pd's padding and the gravity's offsets are scaled by.
func applyExtendGravity(p *params.Params, rs resize) {
	switch {
	case rs.extend:
		p.ExtendGravity = rs.extendGravity
	case p.ExtendToAspect:
		p.ExtendGravity = rs.aspectGravity
	}
	p.CapDPR = !rs.enlarge && p.DPR > 1
}

// applyFrames: da:1 answers every source as a still; pg:N picks the frame
// that still is (imgproxy plays every frame instead when the answer
// animates).
func applyFrames(p *params.Params, rs resize) {
	if rs.noAnimation {
		p.Frames, p.Animation = params.FramesFirst, params.Animation{}
	}
	if rs.pageName != "" && p.Frames == params.FramesFirst {
		p.Animation = params.Animation{First: rs.page + 1, Last: rs.page + 1}
	}
}

// applyEncoderOptions settles jpgo's, pngo's, webpo's and avifo's
// settings once the output format is known. Each format's settings are
// dropped when the URL names another output format (f or the extension),
// and optimize_scans without a progressive JPEG. Matte has one chroma
// subsampling for JPEG and AVIF answers (Chroma): jpgo's no_subsample
// sets it for a JPEG answer, avifo's subsample for an AVIF one; when the
// URL names neither format, the one given applies to both, and two that
// differ are a 400 naming the later.
func applyEncoderOptions(p *params.Params, rs resize) error {
	f := p.Format
	if f != params.FormatSource {
		if f != params.FormatJPEG {
			p.JPEGOptions = params.JPEGOptions{}
		}
		if f != params.FormatPNG {
			p.PNGOptions = params.PNGOptions{}
		}
		if f != params.FormatWebP {
			p.WebPOptions = params.WebPOptions{}
		}
	}
	if p.Variant != params.VariantProgressive {
		p.JPEGOptions.OptimizeScans = false
	}
	jpeg, avif := rs.jpegChromaName != "", rs.avifChromaName != ""
	switch {
	case f == params.FormatJPEG && jpeg:
		p.Chroma = rs.jpegChroma
	case f == params.FormatAVIF && avif:
		p.Chroma = rs.avifChroma
	case f != params.FormatSource:
	case jpeg && avif && rs.jpegChroma != rs.avifChroma:
		return pathurl.Bad(rs.laterChroma, "%s: Matte has one chroma subsampling for JPEG and AVIF answers, and %s's no_subsample and %s's subsample differ; make them agree, or name the output format (f or the extension).",
			rs.laterChroma, rs.jpegChromaName, rs.avifChromaName)
	case jpeg:
		p.Chroma = rs.jpegChroma
	case avif:
		p.Chroma = rs.avifChroma
	}
	return nil
}

// applyCrop sets the Region c asked for, placed by its own gravity or g's;
// a smart gravity (sm, obj) cannot place it (Matte picks a smart crop while
// resizing, not in the source).
func applyCrop(p *params.Params, rs resize) error {
	r := rs.crop
	if r == (params.Region{}) {
		return nil
	}
	g := rs.gravity
	if rs.cropGravity != nil {
		g = *rs.cropGravity
	}
	if g.Crop == params.CropAttention || g.Crop == params.CropEntropy {
		return pathurl.Bad("c", "c: Matte places a crop area by a gravity (no, so, ea, we, the corners, ce or fp), not by sm or obj.")
	}
	r.Anchor, r.Focus = g.Crop, g.Focus
	p.Region = r
	return nil
}

// applyZoom multiplies the box by z, as imgproxy multiplies the result's
// size (before dpr, and before its no-enlarging clamp: the fits keep it).
// Without a box, z below 1 scales the image (a ratio of its size); above
// 1, it would enlarge it, which imgproxy does only with el.
func applyZoom(p *params.Params, rs resize) error {
	z := rs.zoom
	if z == 0 || z == 1 {
		return nil
	}
	if p.Width == 0 && p.Height == 0 {
		switch {
		case z < 1:
			p.WidthRatio = z
		case rs.enlarge:
			return pathurl.Bad("z", "z above 1 with el and without w or h enlarges the source by a ratio, which Matte does not do; give w or h.")
		}
		return nil
	}
	for _, side := range []*int{&p.Width, &p.Height} {
		if *side == 0 {
			continue
		}
		if *side = int(math.Round(float64(*side) * z)); *side < 1 || *side > pathurl.MaxDimension {
			return pathurl.Bad("z", "z makes a side of %d, outside 1 to %d.", *side, pathurl.MaxDimension)
		}
	}
	return nil
}

// applyMark sets the Watermark wm asks for, drawing image (the site's;
// none configured is a 400). opacity 0 draws nothing, as in imgproxy. The
// mark is at its own size, or with scale fitted into that fraction of the
// output's width and height (enlarged or shrunk); the position is a
// gravity, the offsets measured in from the edges it names (pixels, times
// dpr, or fractions of the output's side below 1, to a whole percent) and
// 0 on an axis it centres on; re tiles it from the top left, each copy
// x_offset apart (Matte has one spacing: x_offset and y_offset equal, in
// pixels).
func applyMark(p *params.Params, m *mark, image string) error {
	if m == nil || m.opacity == 0 {
		return nil
	}
	if image == "" {
		return pathurl.Bad(m.name, "%s: this site has no imgproxy watermark (url_dialect imgproxy { watermark <path or URL> }).", m.name)
	}
	w := params.Watermark{Image: image, Fit: params.FitClip, Alpha: max(1, int(math.Round(m.opacity*100)))}
	if m.scale > 0 {
		w.WidthRatio, w.HeightRatio = m.scale, m.scale
	}
	if m.position == "re" {
		if m.x != m.y || m.x != math.Trunc(m.x) {
			return pathurl.Bad(m.name, "%s:re: Matte tiles with one spacing in pixels; give x_offset and y_offset equal and whole.", m.name)
		}
		half := int(m.x) / 2 // imgproxy pads each copy by half the spacing
		w.Tile, w.Align, w.Pad = true, params.CropTopLeft, int(m.x)
		w.X, w.Y, w.XSet, w.YSet = half, half, true, true
		p.Watermark = w
		return nil
	}
	w.Align = gravities[m.position]
	east, west := strings.Contains(m.position, "ea"), strings.Contains(m.position, "we")
	north, south := strings.HasPrefix(m.position, "no"), strings.HasPrefix(m.position, "so")
	for _, axis := range []struct {
		v                 float64
		pinned, fromEnd   bool
		dst               *int
		set, percent, end *bool
	}{{m.x, east || west, east, &w.X, &w.XSet, &w.XPercent, &w.XFromEnd}, {m.y, north || south, south, &w.Y, &w.YSet, &w.YPercent, &w.YFromEnd}} {
		if axis.v == 0 {
			continue
		}
		if !axis.pinned {
			return pathurl.Bad(m.name, "%s: Matte offsets a watermark only from an edge its position names; leave the offset of a centred axis 0.", m.name)
		}
		*axis.set, *axis.end = true, axis.fromEnd
		if axis.v < 1 {
			*axis.dst, *axis.percent = int(math.Round(axis.v*100)), true
		} else {
			*axis.dst = int(math.Round(axis.v))
		}
	}
	p.Watermark = w
	return nil
}

// applyResize sets Fit and Crop from imgproxy's resizing type, as its
// calcScale (processing/prepare.go), cropToResult (processing/crop.go) and
// extend (processing/extend.go) size the image:
//
//   - fit is Matte's max (clip when enlarging); extend pads it to the box
//     (maxpad, a side not given being the image's own; fill when
//     enlarging, where the image reaches a side given).
//   - fill covers the box, at most at scale 1 without enlarge, then crops
//     to the box, or to the image's side where it is smaller: cropdown
//     (crop when enlarging). A 400x200 source in fill:300:300 is 300x200.
//   - fill-down is fill whose cut keeps the box's aspect ratio where the
//     image is smaller: min (crop when enlarging, where it never is);
//     fill:300:300 of 400x200 is 200x200.
//   - extend pads a fill's or fill-down's cut to the box (cropdownpad,
//     minpad); when enlarging the cut is the box already.
//   - force scales to the box, without enlarge dividing both factors by
//     the larger where it is over 1 (scaledown), so no side is enlarged:
//     force:300:300 and force:800:800 of 400x200 are 200x200; extend pads
//     that to the box (scaledownpad: 200x200 on 800x800).
//   - auto is fill where the source and the box have the same orientation
//     and fit where not, decided per source (params.SourceFit).
//   - exar pads fit's result, and fill's cut without enlarge, to the box's
//     aspect ratio (ExtendToAspect): calcSizes (processing/prepare.go)
//     sizes it on the image left after the cut, so fill:800:800/exar:1
//     pads a 400x200 image to 400x400. The cuts of fill with enlarge and
//     of fill-down have the box's aspect ratio already, and extend pads
//     to the box itself.
//
// Where ex and exar place the image is applyExtendGravity's.
func applyResize(p *params.Params, rs resize) {
	switch rs.typ {
	case "fill", "fill-down", "auto":
		switch {
		case rs.enlarge:
			// calcScale does not cap the cover scale: the cut is the box.
			p.Fit = params.FitCrop
		case rs.typ == "fill-down" && rs.extend:
			p.Fit = params.FitMinPad
		case rs.typ == "fill-down":
			// cropToResult: "if po.ResizingType == options.ResizeFillDown"
			// the result box is scaled down to the image's side, keeping
			// its aspect ratio.
			p.Fit = params.FitMin
		case rs.extend:
			p.Fit = params.FitCropDownPad
		default:
			p.Fit = params.FitCropDown
			// exar pads fill's cut where the image is smaller than the
			// box; the other fills' cuts have the box's aspect ratio.
			p.ExtendToAspect = rs.extendAspect
		}
		rs.gravity.Apply(p)
		if rs.typ == "auto" && p.Width > 0 && p.Height > 0 {
			// With one side, fill and fit scale alike.
			var fit params.Params
			rs.typ = "fit"
			applyResize(&fit, rs)
			p.SourceFit = params.SourceFit{When: params.FitWhenCrossed, Fit: fit.Fit}
			p.ExtendToAspect = p.ExtendToAspect || fit.ExtendToAspect
		}
	case "force":
		p.Fit = params.FitScale.Enlarging(rs.enlarge)
		if rs.extend && !rs.enlarge {
			// extend pads scaledown's result to the box, each side given
			// (processing/extend.go). With enlarge force reaches the box
			// and there is nothing to pad. exar pads nothing either way:
			// force's result has the box's aspect ratio.
			p.Fit = params.FitScaleDownPad
		}
		// calcScale: "if po.Width == 0 { dstW = srcW }" and the aspect
		// ratio is kept only "rt != options.ResizeForce": a side left out
		// is the source's own (times the DPR, as Matte's side ratio is).
		p.SourceSideWhenOneGiven()
	default:
		p.Fit = params.FitMax
		if rs.enlarge {
			p.Fit = params.FitClip
		}
		if rs.extend {
			// extendImage (processing/extend.go) pads to the target size,
			// a side not given being the image's: "if height <= 0 {
			// height = imgHeight }". fillmax would fit one side alone
			// without padding it.
			p.Fit = params.FitMaxPad
			if rs.enlarge {
				p.Fit = params.FitFill
			}
		} else if rs.extendAspect {
			p.ExtendToAspect = true // exar: padded to the box's aspect ratio
		}
	}
}

var aliases = map[string]string{
	"rs": "resize", "resize": "resize", "s": "size", "size": "size", "rt": "resizing_type", "resizing_type": "resizing_type",
	"w": "width", "width": "width", "h": "height", "height": "height", "g": "gravity", "gravity": "gravity",
	"c": "crop", "crop": "crop", "q": "quality", "quality": "quality", "f": "format", "format": "format", "ext": "format",
	"bg": "background", "background": "background", "bl": "blur", "blur": "blur", "sh": "sharpen", "sharpen": "sharpen",
	"rot": "rotate", "rotate": "rotate", "dpr": "dpr", "ex": "extend", "extend": "extend", "pd": "padding", "padding": "padding",
	"t": "trim", "trim": "trim", "el": "enlarge", "enlarge": "enlarge", "fl": "flip", "flip": "flip",
	"ar": "auto_rotate", "auto_rotate": "auto_rotate", "sm": "ignored", "strip_metadata": "ignored", "scp": "ignored",
	"strip_color_profile": "ignored", "cb": "ignored", "cachebuster": "ignored", "fn": "filename", "filename": "filename",
	"pix": "pixelate", "pixelate": "pixelate", "exp": "expires", "expires": "expires", "mb": "ignored", "max_bytes": "ignored",
	"att": "return_attachment", "return_attachment": "return_attachment", "kcr": "ignored", "keep_copyright": "ignored",
	"z": "zoom", "zoom": "zoom", "pr": "preset", "preset": "preset", "wm": "watermark", "watermark": "watermark",
	"fq": "format_quality", "format_quality": "format_quality",
	"bd": "blur_detections", "blur_detections": "blur_detections",
	"mw": "min-width", "min-width": "min-width", "mh": "min-height", "min-height": "min-height",
	"exar": "extend_aspect_ratio", "extend_ar": "extend_aspect_ratio", "extend_aspect_ratio": "extend_aspect_ratio",
	"eth": "ignored", "enforce_thumbnail": "ignored", "raw": "raw",
	"msr": "security", "max_src_resolution": "security", "msfs": "security", "max_src_file_size": "security",
	"maf": "security", "max_animation_frames": "security", "mafr": "security", "max_animation_frame_resolution": "security",
	"mrd": "security", "max_result_dimension": "security",
	"wmu": "watermark_url", "watermark_url": "watermark_url", "fiu": "fallback_image_url", "fallback_image_url": "fallback_image_url",
	// imgproxy Pro's options that Matte's own steps carry out.
	"a": "adjust", "adjust": "adjust", "br": "brightness", "brightness": "brightness", "co": "contrast", "contrast": "contrast",
	"sa": "saturation", "saturation": "saturation", "mc": "monochrome", "monochrome": "monochrome", "dt": "duotone", "duotone": "duotone",
	"col": "colorize", "colorize": "colorize", "bga": "background_alpha", "background_alpha": "background_alpha", "dpi": "dpi",
	"ra": "resizing_algorithm", "resizing_algorithm": "resizing_algorithm",
	"pg": "page", "page": "page", "pgs": "pages", "pages": "pages", "da": "disable_animation", "disable_animation": "disable_animation",
	"gr": "gradient", "gradient": "gradient",
	"jpgo": "jpeg_options", "jpeg_options": "jpeg_options", "pngo": "png_options", "png_options": "png_options",
	"webpo": "webp_options", "webp_options": "webp_options", "avifo": "avif_options", "avif_options": "avif_options",
}

type option func(p *params.Params, rs *resize, name string, args []string) error

var options = map[string]option{
	"resize": func(p *params.Params, rs *resize, name string, args []string) error {
		if len(args) > 8 {
			return pathurl.Bad(name, "%s takes at most 8 arguments: type:width:height:enlarge:extend:gravity:x_offset:y_offset.", name)
		}
		if err := resizingType(rs, name, args[0]); err != nil {
			return err
		}
		return size(p, rs, name, args[1:])
	},
	"size": func(p *params.Params, rs *resize, name string, args []string) error {
		if len(args) > 7 {
			return pathurl.Bad(name, "%s takes at most 7 arguments: width:height:enlarge:extend:gravity:x_offset:y_offset.", name)
		}
		return size(p, rs, name, args)
	},
	"resizing_type": func(_ *params.Params, rs *resize, name string, args []string) error {
		if len(args) != 1 {
			return pathurl.Bad(name, "%s takes one argument: fit, fill, fill-down, force or auto.", name)
		}
		return resizingType(rs, name, args[0])
	},
	"width": func(p *params.Params, _ *resize, name string, args []string) error {
		return dimension(&p.Width, name, args)
	},
	"height": func(p *params.Params, _ *resize, name string, args []string) error {
		return dimension(&p.Height, name, args)
	},
	// mw, mh: the least width and height of the resized image (it is
	// enlarged to them, el or not, as imgproxy does).
	"min-width": func(p *params.Params, _ *resize, name string, args []string) error {
		return dimension(&p.MinWidth, name, args)
	},
	"min-height": func(p *params.Params, _ *resize, name string, args []string) error {
		return dimension(&p.MinHeight, name, args)
	},
	"enlarge": func(_ *params.Params, rs *resize, name string, args []string) (err error) {
		rs.enlarge, err = boolArg(name, args)
		return err
	},
	// ex:%extend[:%gravity[:%x_offset:%y_offset]]: the image padded to
	// the box, placed by the gravity (extendGravity).
	"extend": func(_ *params.Params, rs *resize, name string, args []string) error {
		return extend(rs, name, args)
	},
	"gravity": func(_ *params.Params, rs *resize, name string, args []string) (err error) {
		rs.gravity, err = gravity(name, args)
		return err
	},
	// c:W:H[:gravity]: the area of the source processed, cut before the
	// resize; W and H in pixels (0: the whole side) or fractions below 1,
	// placed by its gravity, or g's when it has none.
	"crop": func(_ *params.Params, rs *resize, name string, args []string) error {
		const usage = "%s takes width:height[:gravity], each side pixels from 0 (the whole side) to %d or a fraction below 1."
		if len(args) < 2 {
			return pathurl.Bad(name, usage, name, pathurl.MaxDimension)
		}
		var r params.Region
		for i, side := range []struct {
			px    *int
			ratio *float64
		}{{&r.W, &r.WRatio}, {&r.H, &r.HRatio}} {
			if f, err := params.ParseFraction(args[i]); err == nil {
				*side.ratio = f
			} else if *side.px, err = pathurl.Dimension(args[i]); err != nil {
				return pathurl.Bad(name, usage, name, pathurl.MaxDimension)
			}
		}
		rs.crop, rs.cropGravity = r, nil
		if len(args) > 2 {
			g, err := gravity(name, args[2:])
			if err != nil {
				return err
			}
			rs.cropGravity = &g
		}
		return nil
	},
	"quality": func(p *params.Params, _ *resize, name string, args []string) error {
		q, ok := oneInt(args, 0, 100)
		if !ok {
			return pathurl.Bad(name, "%s must be an integer from 0 (the default) to 100.", name)
		}
		p.Quality = q
		return nil
	},
	"format": func(p *params.Params, _ *resize, name string, args []string) error {
		f, ok := params.ParseOutputFormat(args[0])
		if !ok || len(args) != 1 {
			return pathurl.Bad(name, "%s must be one of jpg, png, webp, avif, gif.", name)
		}
		p.Format = f
		return nil
	},
	"background": func(p *params.Params, _ *resize, name string, args []string) error {
		c, err := background(args)
		if err != nil {
			return pathurl.Bad(name, "%s must be r:g:b (0-255 each) or a hex colour such as ff0000.", name)
		}
		p.Background = c
		return nil
	},
	"blur": func(p *params.Params, _ *resize, name string, args []string) error {
		sigma, err := params.ParseDecimalIn(args[0], 0, 200)
		if err != nil || len(args) != 1 {
			return pathurl.Bad(name, "%s must be a Gaussian sigma from 0 to 200.", name)
		}
		p.Blur = int(math.Round(sigma * 10)) // Matte's blur is sigma x 10
		return nil
	},
	// blur_detections (Pro): blurs the detected objects of the classes
	// named, with sigma as blur's; Matte detects faces only.
	"blur_detections": func(p *params.Params, _ *resize, name string, args []string) error {
		sigma, err := params.ParseDecimalIn(args[0], 0, 200)
		if err != nil || sigma == 0 {
			return pathurl.Bad(name, "%s must start with a Gaussian sigma above 0, up to 200.", name)
		}
		if len(args) != 2 || args[1] != "face" {
			return pathurl.Bad(name, "%s blurs the objects of the classes named; Matte detects faces only: write %s:%s:face.", name, name, args[0])
		}
		p.Faces.Blur = sigma
		return nil
	},
	"sharpen": func(p *params.Params, _ *resize, name string, args []string) error {
		sigma, err := params.ParseDecimalIn(args[0], 0, 5)
		if err != nil || len(args) != 1 {
			return pathurl.Bad(name, "%s must be a sigma from 0 to 5.", name)
		}
		p.Sharpen = int(math.Round(sigma * 20)) // 5 is Matte's strongest, 100
		return nil
	},
	"rotate": func(p *params.Params, _ *resize, name string, args []string) error {
		a, ok := pathurl.RightAngle(args[0])
		if !ok || len(args) != 1 {
			return pathurl.Bad(name, "%s must be 0, 90, 180 or 270.", name)
		}
		p.Rotate = a
		return nil
	},
	"dpr": func(p *params.Params, _ *resize, name string, args []string) (err error) {
		if p.DPR, err = pathurl.DPR(args[0]); err != nil || len(args) != 1 {
			return pathurl.Bad(name, "%s must be a number from 1 to 5.", name)
		}
		return nil
	},
	"padding": func(p *params.Params, rs *resize, name string, args []string) error {
		rs.padName = name
		// CSS order (top, right, bottom, left), missing sides as in CSS.
		var sides []int
		for _, a := range args {
			v, err := params.ParseInt(a, 0, 10000)
			if err != nil || len(args) > 4 {
				return pathurl.Bad(name, "%s takes 1 to 4 integers from 0 to 10000 (top:right:bottom:left).", name)
			}
			sides = append(sides, v)
		}
		// Missing sides as in CSS: right = top, bottom = top, left = right.
		for len(sides) < 4 {
			sides = append(sides, sides[max(0, len(sides)-2)])
		}
		p.SetPadding(params.Sides{Top: sides[0], Right: sides[1], Bottom: sides[2], Left: sides[3]})
		return nil
	},
	"trim": func(p *params.Params, _ *resize, name string, args []string) error {
		// t:%threshold[:%color:%equal_hor:%equal_ver]: the threshold is
		// libvips find_trim's, as in imgproxy; the colour (hex) is the one
		// cut, the top-left pixel's when left out; equal_hor and equal_ver
		// are read, not used.
		threshold, err := params.ParseDecimalIn(args[0], 0, 255)
		var c params.Color
		if err == nil && len(args) > 1 && args[1] != "" {
			c, err = params.ParseColor(args[1])
		}
		if err != nil || len(args) > 4 {
			return pathurl.Bad(name, "%s must be threshold[:color:equal_hor:equal_ver], the threshold a number from 0 to 255 and the colour hex.", name)
		}
		p.Trim, p.TrimColor = true, c
		p.SetTrimTolerance(threshold)
		return nil
	},
	"auto_rotate": func(p *params.Params, _ *resize, name string, args []string) error {
		// ar:0 shows the pixels as stored, whatever the EXIF orientation
		// says (Orientation 1); ar:1 is the default.
		rotate, err := boolArg(name, args)
		if err == nil && !rotate {
			p.Orientation = 1
		}
		return err
	},
	"return_attachment": func(p *params.Params, _ *resize, name string, args []string) (err error) {
		// att:1: Content-Disposition: attachment, named by fn or after the
		// source with the output's extension.
		p.Download, err = boolArg(name, args)
		return err
	},
	// fn:NAME[:ENCODED]: the file name of Content-Disposition (inline, or
	// attachment with att), escaped, or URL-safe Base64 when ENCODED is 1,
	// t or true.
	"filename": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes a file name (escaped, or URL-safe Base64 with :1) of 1 to %d bytes without / or \\ or control characters."
		encoded := false
		var err error
		if len(args) == 2 {
			encoded, err = boolArg(name, args[1:])
		}
		if err != nil || len(args) > 2 || args[0] == "" {
			return pathurl.Bad(name, usage, name, params.MaxFileName)
		}
		var v string
		if encoded {
			b, derr := base64.RawURLEncoding.DecodeString(strings.TrimRight(args[0], "="))
			v, err = string(b), derr
		} else {
			v, err = url.PathUnescape(args[0])
		}
		if err != nil || params.CheckFileName(v) != nil {
			return pathurl.Bad(name, usage, name, params.MaxFileName)
		}
		p.DownloadName = v
		return nil
	},
	// pix:SIZE: the result pixelated in SIZE x SIZE squares.
	"pixelate": func(p *params.Params, _ *resize, name string, args []string) error {
		n, ok := oneInt(args, 1, 100)
		if !ok {
			return pathurl.Bad(name, "%s takes a pixel size from 1 to 100.", name)
		}
		p.Pixelate = n
		if n == 1 {
			p.Pixelate = 0
		}
		return nil
	},
	// exp:TIMESTAMP: past that Unix time the URL answers 404, as imgproxy's
	// does (a signed URL's signature covers it).
	"expires": func(_ *params.Params, rs *resize, name string, args []string) error {
		ts, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || len(args) != 1 {
			return pathurl.Bad(name, "%s takes a Unix timestamp in seconds.", name)
		}
		if time.Now().Unix() > ts {
			return &params.Error{Status: http.StatusNotFound, Code: "url_expired", Title: "Not Found", Field: name,
				Detail: "This URL expired at " + time.Unix(ts, 0).UTC().Format(time.RFC3339) + "."}
		}
		rs.expires = time.Unix(ts, 0)
		return nil
	},
	// z:%zoom or z:%zoom_x:%zoom_y: the result's size times zoom; Matte
	// zooms both sides alike.
	"zoom": func(_ *params.Params, rs *resize, name string, args []string) error {
		const usage = "%s takes a factor above 0 and up to 100 (both sides alike: z:X or z:X:X)."
		z, err := params.ParseDecimalIn(args[0], 0, 100)
		if err != nil || z == 0 || len(args) > 2 {
			return pathurl.Bad(name, usage, name)
		}
		if len(args) == 2 {
			if zy, err := params.ParseDecimalIn(args[1], 0, 100); err != nil || zy != z {
				return pathurl.Bad(name, usage, name)
			}
		}
		rs.zoom = z
		return nil
	},
	// wm:%opacity[:%position[:%x_offset[:%y_offset[:%scale]]]]: the site's
	// watermark image (applyMark).
	"watermark": func(_ *params.Params, rs *resize, name string, args []string) error {
		const usage = "%s takes opacity (0 to 1)[:position (ce, no, so, ea, we, noea, nowe, soea, sowe or re):x_offset:y_offset:scale (0 to 1)]."
		if len(args) > 5 {
			return pathurl.Bad(name, usage, name)
		}
		m := mark{name: name, position: "ce"}
		var err error
		if m.opacity, err = params.ParseDecimalIn(args[0], 0, 1); err != nil {
			return pathurl.Bad(name, usage, name)
		}
		if len(args) > 1 && args[1] != "" {
			if _, ok := gravities[args[1]]; (!ok && args[1] != "re") || args[1] == "sm" || args[1] == "obj" {
				return pathurl.Bad(name, usage, name)
			}
			m.position = args[1]
		}
		for i, dst := range []*float64{&m.x, &m.y, &m.scale} {
			if len(args) > i+2 && args[i+2] != "" {
				if *dst, err = params.ParseDecimalIn(args[i+2], 0, pathurl.MaxDimension); err != nil {
					return pathurl.Bad(name, usage, name)
				}
			}
		}
		if m.scale > 1 {
			return pathurl.Bad(name, usage, name)
		}
		rs.wm = &m
		return nil
	},
	// fq:%format:%quality[:%format:%quality...]: the quality of each
	// format, used when q is not set (imgproxy's IMGPROXY_FORMAT_QUALITY
	// per URL). png and gif are accepted and change nothing (Matte
	// writes them lossless), as imgproxy without quantisation.
	"format_quality": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes format:quality pairs (jpeg, webp, avif, png, gif; quality 1 to 100), such as fq:webp:70:avif:50."
		if len(args)%2 != 0 {
			return pathurl.Bad(name, usage, name)
		}
		for i := 0; i < len(args); i += 2 {
			q, err := params.ParseInt(args[i+1], 1, 100)
			f, ok := params.ParseOutputFormat(args[i])
			if err != nil || !ok {
				return pathurl.Bad(name, usage, name)
			}
			p.FormatQuality.Set(f, q)
		}
		return nil
	},
	"flip": func(p *params.Params, _ *resize, name string, args []string) error {
		h, herr := boolArg(name, args[:1])
		v := false
		var verr error
		if len(args) > 1 {
			v, verr = boolArg(name, args[1:])
		}
		if herr != nil || verr != nil || len(args) > 2 {
			return pathurl.Bad(name, "%s takes horizontal[:vertical], each 1, t, true, 0, f or false.", name)
		}
		p.Flip = [2][2]params.Flip{{params.FlipNone, params.FlipV}, {params.FlipH, params.FlipHV}}[b2i(h)][b2i(v)]
		return nil
	},
	// Accepted and ignored: Matte auto-rotates and strips metadata, cache
	// busters change no pixel, max_bytes (a size budget met by lowering
	// the quality) is not implemented: the answer is at the quality asked,
	// and enforce_thumbnail is read as no: the main image is decoded, never
	// a HEIC's or AVIF's embedded thumbnail.
	"ignored": func(*params.Params, *resize, string, []string) error { return nil },
	// exar:%extend[:%gravity[:%x_offset:%y_offset]]: the fitted image,
	// or fill's cut, padded to the box's aspect ratio (applyResize),
	// placed by the gravity (extendGravity).
	"extend_aspect_ratio": func(_ *params.Params, rs *resize, name string, args []string) (err error) {
		if rs.extendAspect, err = boolArg(name, args[:1]); err == nil && len(args) > 1 {
			rs.aspectGravity, err = extendGravity(name, args[1:])
		}
		return err
	},
	"raw": func(_ *params.Params, rs *resize, name string, args []string) (err error) {
		rs.raw, err = boolArg(name, args)
		return err
	},
	// The options that raise imgproxy's security limits per URL are
	// refused as imgproxy refuses them without
	// IMGPROXY_ALLOW_SECURITY_OPTIONS: Matte's limits are the site's.
	"security": func(_ *params.Params, _ *resize, name string, _ []string) error {
		return &params.Error{Status: http.StatusForbidden, Code: "security_options_not_allowed", Title: "Forbidden", Field: name,
			Detail: "Security processing options are not allowed: " + name + " would change a limit this site sets (max_source_megapixels, max_source_bytes, max_frames, max_output_dimension)."}
	},
	// wmu:%url: the watermark wm draws is this image (URL-safe Base64 of
	// an http(s) URL or a path on this site) in place of the site's.
	"watermark_url": func(_ *params.Params, rs *resize, name string, args []string) error {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(args[0], "="))
		v := string(b)
		if err != nil || len(args) != 1 || params.CheckImageRef(v) != nil {
			return pathurl.Bad(name, "%s takes the watermark's URL (http or https) or path on this site, URL-safe Base64-encoded.", name)
		}
		rs.markURL, rs.markURLName = v, name
		return nil
	},
	// fiu:%url: the image answered in place of a missing source (URL-safe
	// Base64 of an http(s) URL or a path on this site), in place of the
	// site's fallback_image (Pro).
	"fallback_image_url": func(_ *params.Params, rs *resize, name string, args []string) error {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(args[0], "="))
		v := string(b)
		if err != nil || len(args) != 1 || params.CheckImageRef(v) != nil {
			return pathurl.Bad(name, "%s takes the fallback image's URL (http or https) or path on this site, URL-safe Base64-encoded.", name)
		}
		rs.fallback, rs.fallbackName = v, name
		return nil
	},
	// a:%brightness:%contrast:%saturation, each optional (Pro).
	"adjust": func(p *params.Params, rs *resize, name string, args []string) error {
		if len(args) > 3 {
			return pathurl.Bad(name, "%s takes brightness:contrast:saturation, each optional.", name)
		}
		for i, set := range []func(p *params.Params, name string, args []string) error{setBrightness, setContrast, setSaturation} {
			if i < len(args) && args[i] != "" {
				if err := set(p, name, args[i:i+1]); err != nil {
					return err
				}
			}
		}
		return nil
	},
	// br:%brightness (Pro), -255 to 255 added to each sample: Matte's bri
	// in steps of 2.55.
	"brightness": func(p *params.Params, _ *resize, name string, args []string) error {
		return setBrightness(p, name, args)
	},
	"contrast": func(p *params.Params, _ *resize, name string, args []string) error {
		return setContrast(p, name, args)
	},
	"saturation": func(p *params.Params, _ *resize, name string, args []string) error {
		return setSaturation(p, name, args)
	},
	// mc:%intensity[:%color] (Pro): the image toned in one colour
	// (b3b3b3 by default) at that intensity, as imgix's monochrome.
	"monochrome": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes intensity (0 to 1)[:colour (hex)]."
		k, err := params.ParseDecimalIn(args[0], 0, 1)
		c := params.Color{R: 0xb3, G: 0xb3, B: 0xb3, A: 255, Set: true}
		if err == nil && len(args) > 1 && args[1] != "" {
			c, err = hexColor(args[1])
		}
		if err != nil || len(args) > 2 {
			return pathurl.Bad(name, usage, name)
		}
		p.Monochrome = params.Color{}
		if k > 0 {
			c.A = uint8(math.Round(k * 255))
			p.Monochrome = c
		}
		return nil
	},
	// dt:%intensity[:%color1:%color2] (Pro): black to color1, white to
	// color2 (000000 and ffffff by default). Matte draws a duotone whole:
	// intensity 1, or 0 for none.
	"duotone": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes intensity (1; 0: none)[:dark colour:light colour (hex)]; Matte draws a duotone at full intensity only."
		k, err := params.ParseDecimalIn(args[0], 0, 1)
		d := params.Duotone{Start: params.Color{A: 255, Set: true}, Stop: params.Color{R: 255, G: 255, B: 255, A: 255, Set: true}}
		for i, dst := range []*params.Color{&d.Start, &d.Stop} {
			if err == nil && len(args) > i+1 && args[i+1] != "" {
				*dst, err = hexColor(args[i+1])
			}
		}
		if err != nil || len(args) > 3 || (k != 0 && k != 1) {
			return pathurl.Bad(name, usage, name)
		}
		p.Duotone = params.Duotone{}
		if k == 1 {
			p.Duotone = d
		}
		return nil
	},
	// col:%opacity[:%color[:%keep_alpha]] (Pro): a colour (000 by default)
	// laid over the image at that opacity, as imgix's blend in normal
	// mode; the image keeps its own alpha either way.
	"colorize": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes opacity (0 to 1)[:colour (hex):keep_alpha]."
		k, err := params.ParseDecimalIn(args[0], 0, 1)
		c := params.Color{A: 255, Set: true}
		if err == nil && len(args) > 1 && args[1] != "" {
			c, err = hexColor(args[1])
		}
		if err == nil && len(args) > 2 {
			_, err = boolArg(name, args[2:3])
		}
		if err != nil || len(args) > 3 {
			return pathurl.Bad(name, usage, name)
		}
		p.Blend = params.Blend{}
		if a := int(math.Round(k * 100)); a > 0 {
			p.Blend = params.Blend{Color: c, Mode: params.BlendNormal, Alpha: a}
		}
		return nil
	},
	// bga:%alpha (Pro): bg's opacity, 0 to 1.
	"background_alpha": func(_ *params.Params, rs *resize, name string, args []string) error {
		k, err := params.ParseDecimalIn(args[0], 0, 1)
		if err != nil || len(args) != 1 {
			return pathurl.Bad(name, "%s must be a number from 0 to 1.", name)
		}
		rs.backgroundAlpha = &k
		return nil
	},
	// dpi:%dpi (Pro): the resolution the answer states (0: none).
	"dpi": func(p *params.Params, _ *resize, name string, args []string) error {
		n, ok := oneInt(args, 0, 65535)
		if !ok {
			return pathurl.Bad(name, "%s must be an integer from 0 to 65535.", name)
		}
		p.DPI = n
		return nil
	},
	// ra:%algorithm (Pro): nearest, linear, cubic, lanczos2, lanczos3.
	"resizing_algorithm": func(p *params.Params, _ *resize, name string, args []string) error {
		k, ok := params.ParseKernel(args[0])
		if !ok || len(args) != 1 || k == params.KernelMitchell {
			return pathurl.Bad(name, "%s takes nearest, linear, cubic, lanczos2 or lanczos3.", name)
		}
		p.Kernel = k
		return nil
	},
	// pg:%page (Pro): the frame (from 0) a still answer shows.
	"page": func(_ *params.Params, rs *resize, name string, args []string) error {
		n, ok := oneInt(args, 0, 100000)
		if !ok {
			return pathurl.Bad(name, "%s must be a frame number from 0.", name)
		}
		rs.page, rs.pageName = n, name
		return nil
	},
	// pgs:%pages (Pro): 1 only; Matte does not stack pages.
	"pages": func(_ *params.Params, _ *resize, name string, args []string) error {
		if len(args) != 1 || args[0] != "1" {
			return pathurl.Bad(name, "%s: Matte answers one page (pgs:1); it does not stack pages.", name)
		}
		return nil
	},
	"disable_animation": func(_ *params.Params, rs *resize, name string, args []string) (err error) {
		rs.noAnimation, err = boolArg(name, args)
		return err
	},
	// gr:%opacity[:%color[:%direction[:%start[:%stop]]]] (Pro): a
	// gradient from transparent to the colour (000 by default) at that
	// opacity, towards the direction: down (the default), up, right, left,
	// or an angle in degrees clockwise from down (90 towards the left);
	// start and stop (0 and 1) are where along it the ramp begins and
	// ends. params.Gradient says how it maps.
	"gradient": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes opacity (0 to 1)[:colour (hex):direction (down, up, right, left or degrees from -360 to 360):start:stop (0 to 1, start not above stop)]."
		k, err := params.ParseDecimalIn(args[0], 0, 1)
		c := params.Color{A: 255, Set: true}
		if err == nil && len(args) > 1 && args[1] != "" {
			c, err = hexColor(args[1])
		}
		angle := 0.0 // imgproxy's, from down
		if err == nil && len(args) > 2 && args[2] != "" {
			angle, err = gradientDirection(args[2])
		}
		ends := [2]float64{0, 1}
		for i := range ends {
			if err == nil && len(args) > i+3 && args[i+3] != "" {
				ends[i], err = params.ParseDecimalIn(args[i+3], 0, 1)
			}
		}
		if err != nil || len(args) > 5 || ends[0] > ends[1] {
			return pathurl.Bad(name, usage, name)
		}
		p.Gradient = params.Gradient{}
		if a := uint8(math.Round(k * 255)); a > 0 {
			from, to := c, c
			from.A, to.A = 0, a
			p.Gradient = params.Gradient{From: from, To: to, Angle: math.Mod(angle+180, 360), Start: ends[0], Stop: ends[1]}
		}
		return nil
	},
	// jpgo:%progressive:%no_subsample:%trellis_quant:%overshoot_deringing:
	// %optimize_scans:%quant_table (Pro), each optional (left out: Matte's
	// default, off and table 0): progressive is Matte's progressive
	// variant, no_subsample 4:4:4 chroma (applyEncoderOptions), the rest
	// mozjpeg's settings (params.JPEGOptions).
	"jpeg_options": func(p *params.Params, rs *resize, name string, args []string) error {
		const usage = "%s takes progressive:no_subsample:trellis_quant:overshoot_deringing:optimize_scans:quant_table, each optional: five booleans (1, t, true, 0, f, false) and a table from 0 to 8."
		if len(args) > 6 {
			return pathurl.Bad(name, usage, name)
		}
		var flags [5]bool
		if !leadingBools(args, flags[:]) {
			return pathurl.Bad(name, usage, name)
		}
		o := params.JPEGOptions{TrellisQuant: flags[2], OvershootDeringing: flags[3], OptimizeScans: flags[4]}
		if len(args) > 5 && args[5] != "" {
			var err error
			if o.QuantTable, err = params.ParseInt(args[5], 0, 8); err != nil {
				return pathurl.Bad(name, usage, name)
			}
		}
		p.JPEGOptions, p.Variant = o, params.VariantNone
		if flags[0] {
			p.Variant = params.VariantProgressive
		}
		rs.jpegChroma, rs.jpegChromaName, rs.laterChroma = 0, name, name
		if flags[1] {
			rs.jpegChroma = 444
		}
		return nil
	},
	// pngo:%interlaced:%quantize:%quantization_colors, each optional
	// (off, off, 256): Adam7 interlacing, and a palette of at most that
	// many colours, 2 to 256, rounded up to a bit depth's count (2, 4, 16
	// or 256) as imgproxy rounds it.
	"png_options": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes interlaced:quantize:quantization_colors, each optional: two booleans (1, t, true, 0, f, false) and a number of colours from 2 to 256."
		var flags [2]bool
		if !leadingBools(args, flags[:]) {
			return pathurl.Bad(name, usage, name)
		}
		colours := 256
		if len(args) > 2 && args[2] != "" {
			var err error
			if colours, err = params.ParseInt(args[2], 2, 256); err != nil {
				return pathurl.Bad(name, usage, name)
			}
		}
		if len(args) > 3 {
			return pathurl.Bad(name, usage, name)
		}
		p.PNGOptions = params.PNGOptions{Interlace: flags[0]}
		if flags[1] {
			p.PNGOptions.PaletteColors = paletteSize(colours)
		}
		return nil
	},
	// webpo:%compression:%smart_subsample:%preset (Pro), each optional
	// (lossy, off, default).
	"webp_options": func(p *params.Params, _ *resize, name string, args []string) error {
		const usage = "%s takes compression (lossy, near_lossless or lossless):smart_subsample (1, t, true, 0, f, false):preset (default, photo, picture, drawing, icon or text), each optional."
		var o params.WebPOptions
		ok := len(args) <= 3
		if ok && args[0] != "" {
			o.Compression, ok = params.ParseWebPCompression(args[0])
		}
		if ok && len(args) > 1 {
			var err error
			o.SmartSubsample, err = boolArg(name, args[1:2])
			ok = err == nil
		}
		if ok && len(args) > 2 && args[2] != "" {
			o.Preset, ok = params.ParseWebPPreset(args[2])
		}
		if !ok {
			return pathurl.Bad(name, usage, name)
		}
		p.WebPOptions = o
		return nil
	},
	// avifo:%subsample (Pro): auto (4:2:0 below quality 90, the default),
	// on (4:2:0) or off (4:4:4), as Matte's chroma (applyEncoderOptions).
	"avif_options": func(_ *params.Params, rs *resize, name string, args []string) error {
		chroma, ok := map[string]int{"": 0, "auto": 0, "on": 420, "off": 444}[args[0]]
		if !ok || len(args) != 1 {
			return pathurl.Bad(name, "%s takes the chroma subsampling: auto, on or off.", name)
		}
		rs.avifChroma, rs.avifChromaName, rs.laterChroma = chroma, name, name
		return nil
	},
}

// gradientDirection reads gr's direction as imgproxy's angle, degrees
// clockwise from down: down 0, left 90, up 180, right 270, or a number
// from -360 to 360, in [0, 360).
func gradientDirection(s string) (float64, error) {
	if a, ok := map[string]float64{"down": 0, "left": 90, "up": 180, "right": 270}[s]; ok {
		return a, nil
	}
	a, err := params.ParseDecimalIn(s, -360, 360)
	if err != nil {
		return 0, err
	}
	return math.Mod(a+360, 360), nil
}

// paletteSize is the number of colours of the smallest palette PNG bit
// depth (1, 2, 4 or 8) that holds n: 2, 4, 16 or 256.
func paletteSize(n int) int {
	for _, size := range []int{2, 4, 16} {
		if n <= size {
			return size
		}
	}
	return 256
}

// setBrightness reads br (Pro): -255 to 255 added to each sample, as
// Matte's bri in steps of 2.55.
func setBrightness(p *params.Params, name string, args []string) error {
	b, err := params.ParseDecimalIn(args[0], -255, 255)
	if err != nil || len(args) != 1 || b != math.Trunc(b) {
		return pathurl.Bad(name, "%s must be an integer from -255 to 255.", name)
	}
	p.Brightness = int(math.Round(b / 2.55))
	return nil
}

// setContrast and setSaturation read co and sa (Pro): factors, 1
// unchanged, as Matte's con and sat, (factor - 1) × 100.
func setContrast(p *params.Params, name string, args []string) error {
	return factorPercent(&p.Contrast, name, args)
}

func setSaturation(p *params.Params, name string, args []string) error {
	return factorPercent(&p.Saturation, name, args)
}

// oneInt reads an option's one integer argument, from lo to hi.
func oneInt(args []string, lo, hi int) (int, bool) {
	n, err := params.ParseInt(args[0], lo, hi)
	return n, err == nil && len(args) == 1
}

// factorPercent reads a factor from 0 to 10 (1: unchanged) into one of
// Matte's percentages, (factor - 1) × 100.
func factorPercent(dst *int, name string, args []string) error {
	f, err := params.ParseDecimalIn(args[0], 0, 10)
	if err != nil || len(args) != 1 {
		return pathurl.Bad(name, "%s must be a factor from 0 to 10 (1: unchanged).", name)
	}
	*dst = int(math.Round((f - 1) * 100))
	return nil
}

// hexColor reads imgproxy's hex colours (3 or 6 digits, no #).
func hexColor(s string) (params.Color, error) {
	if strings.Trim(s, "0123456789abcdefABCDEF") != "" {
		return params.Color{}, params.ErrSyntax
	}
	return background([]string{s})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func resizingType(rs *resize, name, v string) error {
	switch v {
	case "fit", "fill", "fill-down", "force", "auto":
		rs.typ = v
	case "":
	default:
		return pathurl.Bad(name, "%s: the resizing type %s is not one of fit, fill, fill-down, force, auto.", name, params.QuoteShort(v))
	}
	return nil
}

// size reads width:height:enlarge:extend, each optional.
func size(p *params.Params, rs *resize, name string, args []string) error {
	for i, a := range args {
		if a == "" {
			continue
		}
		var err error
		switch i {
		case 0:
			err = dimension(&p.Width, name, args[:1])
		case 1:
			err = dimension(&p.Height, name, args[1:2])
		case 2:
			rs.enlarge, err = boolArg(name, args[2:3])
		case 3:
			// imgproxy's size passes the rest to extend: "if len(args) >=
			// 4 && len(args[3]) > 0 { applyExtendOption(po, args[3:])".
			return extend(rs, name, args[3:])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// extend reads %extend[:%gravity[:%x_offset:%y_offset]] (ex, and the
// rest of rs and s); without a gravity the last one given stays, as in
// imgproxy's parseExtend ("if len(args) > 1 { return parseGravity(").
func extend(rs *resize, name string, args []string) (err error) {
	if rs.extend, err = boolArg(name, args[:1]); err == nil && len(args) > 1 {
		rs.extendGravity, err = extendGravity(name, args[1:])
	}
	return err
}

// extendGravity reads ex's and exar's gravity, one of
// imgproxy's extendGravityTypes (options/gravity_options.go): ce, no, so,
// ea, we and the corners, each with an x and a y offset (optional;
// pixels, or fractions of the canvas's side below 1, either sign), or
// fp:x:y (0 to 1). parseGravity refuses the others for extend ("Invalid
// %s: %s", sm among them); so does Matte, naming the option.
func extendGravity(name string, args []string) (params.ExtendGravity, error) {
	const usage = "%s: the gravity of the padding is ce, no, so, ea, we, noea, nowe, soea or sowe, each with optional x and y offsets (pixels, or fractions of the side below 1), or fp:x:y (0 to 1); imgproxy extends by no other (sm, obj)."
	var g params.ExtendGravity
	if args[0] == "fp" {
		if len(args) == 3 {
			x, xerr := params.ParseDecimalIn(args[1], 0, 1)
			y, yerr := params.ParseDecimalIn(args[2], 0, 1)
			if xerr == nil && yerr == nil {
				return params.ExtendGravity{Point: true, X: x, Y: y}, nil
			}
		}
		return g, pathurl.Bad(name, usage, name)
	}
	c, ok := gravities[args[0]]
	if !ok || c == params.CropAttention || len(args) > 3 {
		return g, pathurl.Bad(name, usage, name)
	}
	g.Anchor = c
	for i, dst := range []*float64{&g.X, &g.Y} {
		if len(args) > i+1 {
			v, err := params.ParseDecimalIn(args[i+1], -pathurl.MaxDimension, pathurl.MaxDimension)
			if err != nil {
				return params.ExtendGravity{}, pathurl.Bad(name, usage, name)
			}
			*dst = v
		}
	}
	return g, nil
}

func dimension(dst *int, name string, args []string) error {
	n, err := pathurl.Dimension(args[0])
	if err != nil || len(args) != 1 {
		return pathurl.Bad(name, "%s must be an integer from 0 (auto) to %d.", name, pathurl.MaxDimension)
	}
	*dst = n
	return nil
}

// boolArg reads imgproxy's booleans: 1, t, true (and 0, f, false).
// leadingBools reads the first len(flags) of args, those given, as
// boolArg's booleans into flags (an empty one is false); false when one
// is not a boolean.
func leadingBools(args []string, flags []bool) bool {
	for i := range min(len(args), len(flags)) {
		var err error
		if flags[i], err = boolArg("", args[i:i+1]); err != nil {
			return false
		}
	}
	return true
}

func boolArg(name string, args []string) (bool, error) {
	if len(args) == 1 {
		switch args[0] {
		case "1", "t", "true":
			return true, nil
		case "0", "f", "false", "":
			return false, nil
		}
	}
	return false, pathurl.Bad(name, "%s takes one boolean: 1, t, true, 0, f or false.", name)
}

var gravities = map[string]params.Crop{
	"no": params.CropTop, "so": params.CropBottom, "ea": params.CropRight, "we": params.CropLeft,
	"noea": params.CropTopRight, "nowe": params.CropTopLeft, "soea": params.CropBottomRight, "sowe": params.CropBottomLeft,
	"ce": params.CropCenter, "sm": params.CropAttention, "obj": params.CropAttention,
}

// gravity reads g:%type[:%x_offset:%y_offset], g:fp:%x:%y (a focal
// point) and g:obj:face (imgproxy Pro's object gravity with the class
// face: the crop centred on the faces found, attention where there are
// none). Offsets other than 0 are refused: Matte does not shift an
// anchor.
func gravity(name string, args []string) (pathurl.Gravity, error) {
	if args[0] == "obj" && len(args) > 1 {
		if len(args) == 2 && args[1] == "face" {
			return pathurl.Gravity{Crop: params.CropAttention, Faces: true}, nil
		}
		return pathurl.Gravity{}, pathurl.Bad(name, "%s:obj: Matte detects faces only; give obj alone (attention) or obj:face.", name)
	}
	if args[0] == "fp" {
		if len(args) == 3 {
			x, xerr := params.ParseDecimalIn(args[1], 0, 1)
			y, yerr := params.ParseDecimalIn(args[2], 0, 1)
			if xerr == nil && yerr == nil {
				return pathurl.FocalPoint(x, y), nil
			}
		}
		return pathurl.Gravity{}, pathurl.Bad(name, "%s:fp takes x:y, each from 0 to 1.", name)
	}
	c, ok := gravities[args[0]]
	if !ok {
		return pathurl.Gravity{}, pathurl.Bad(name, "%s: %s is not one of no, so, ea, we, noea, nowe, soea, sowe, ce, sm, obj, fp.", name, params.QuoteShort(args[0]))
	}
	for _, off := range args[1:] {
		if f, err := params.ParseDecimal(off); err != nil || f != 0 || len(args) > 3 {
			return pathurl.Gravity{}, pathurl.Bad(name, "%s: Matte does not offset a gravity; leave the offsets out or 0.", name)
		}
	}
	return pathurl.Gravity{Crop: c}, nil
}

// background reads r:g:b or a hex colour.
func background(args []string) (params.Color, error) {
	if len(args) == 3 {
		var c [3]int
		for i, a := range args {
			v, err := params.ParseInt(a, 0, 255)
			if err != nil {
				return params.Color{}, err
			}
			c[i] = v
		}
		return params.Color{R: uint8(c[0]), G: uint8(c[1]), B: uint8(c[2]), A: 255, Set: true}, nil
	}
	if len(args) != 1 || (len(args[0]) != 6 && len(args[0]) != 3) {
		return params.Color{}, params.ErrSyntax
	}
	return params.ParseColor(args[0])
}
