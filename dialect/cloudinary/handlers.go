package cloudinary

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/jebosio/matte/params"
)

// handler reads one parameter other than the geometry: set stores it and
// returns its rank (see chain.go); allowed says what it takes, for the
// 400. settings names what it sets, so that two components cannot set it
// twice (nil: the key itself, or what sameSetting maps it to).
type handler struct {
	allowed  string
	set      func(ch *chain, v string) (rank int, err error)
	settings func(v string) []string
}

const (
	maxBorder = 1000
	maxRadius = 10000
)

var handlers map[string]handler

// sameSetting maps the keys that set what another key sets to that key.
var sameSetting = map[string]string{"e_grayscale": "e_saturation"}

// settingsOf names what key sets with value v.
func (h handler) settingsOf(key, v string) []string {
	if h.settings != nil {
		return h.settings(v)
	}
	if s, ok := sameSetting[key]; ok {
		return []string{s}
	}
	return []string{key}
}

func init() {
	handlers = map[string]handler{
		"dpr": {allowed: "a number from 1 to 5, or auto (the Sec-CH-DPR client hint)", set: func(ch *chain, v string) (int, error) {
			if v == "auto" {
				ch.p.ClientHints |= params.HintDPR
				return rankFree, nil
			}
			f, err := params.ParseDecimalIn(v, 1, 5)
			if f == 1 {
				f = 0
			}
			ch.p.DPR = f
			return rankFree, err
		}},
		"f": {allowed: "one of auto, jpg, jpeg, png, webp, avif, gif", set: func(ch *chain, v string) (int, error) {
			if v == "auto" {
				ch.p.AutoFormat = true
				return rankFree, nil
			}
			f, ok := params.ParseOutputFormat(v)
			if !ok {
				return 0, errSyntax
			}
			ch.p.Format = f
			return rankFree, nil
		}},
		"q": {allowed: "an integer from 1 to 100, optionally followed by :420 or :444, or auto, auto:best, auto:good, auto:eco, auto:low", set: func(ch *chain, v string) (int, error) {
			switch v {
			case "auto", "auto:best", "auto:good", "auto:eco", "auto:low":
				return rankFree, nil // Matte's default qualities
			}
			qs, chroma, hasChroma := strings.Cut(v, ":")
			q, err := params.ParseInt(qs, 1, 100)
			if err != nil {
				return 0, err
			}
			ch.p.Quality = q
			if hasChroma {
				switch chroma {
				case "420":
					ch.p.Chroma = 420
				case "444":
					ch.p.Chroma = 444
				default:
					return 0, errSyntax
				}
			}
			return rankFree, nil
		}},
		"fl": {allowed: "one or more of progressive, strip_profile, force_strip, preserve_transparency, animated, attachment[:name], png8, png24, png32, lossy, joined by .", set: (*chain).flags, settings: func(v string) []string {
			var out []string
			for f := range strings.SplitSeq(v, ".") {
				name, _, _ := strings.Cut(f, ":")
				out = append(out, "fl_"+name)
			}
			return out
		}},
		"b": {allowed: "a colour (a CSS name such as red, rgb:RRGGBB, rgb:RGB, rgb:RRGGBBAA, or the same after %23), or blurred[:intensity from 1 to 2000] with c_pad or c_lpad", set: func(ch *chain, v string) (int, error) {
			if rest, ok := strings.CutPrefix(v, "blurred"); ok {
				ch.bgBlurred = true
				if rest == "" {
					return rankFree, nil
				}
				rest, ok = strings.CutPrefix(rest, ":")
				intensity, brightness, hasBrightness := strings.Cut(rest, ":")
				n, err := params.ParseInt(intensity, 1, 2000)
				if !ok || err != nil {
					return 0, errSyntax
				}
				if hasBrightness && brightness != "0" {
					return 0, errors.New("Matte's blurred padding has no brightness; leave it out or give 0")
				}
				ch.p.FillBlurStrength = n
				return rankFree, nil
			}
			c, err := parseColor(v)
			ch.p.Background = c
			return rankFree, err
		}},
		"a": {allowed: "an integer angle in degrees (negative: counter-clockwise), hflip, vflip, hflip.vflip, or ignore", set: (*chain).angle},
		"r": {allowed: "an integer radius from 0 to 10000 pixels, 1 to 4 of them joined by : (clockwise from the top left), or max", set: func(ch *chain, v string) (int, error) {
			if v == "max" {
				ch.p.Mask = params.ShapeEllipse
				return rankRadius, nil
			}
			parts := strings.Split(v, ":")
			if len(parts) > 4 {
				return 0, errSyntax
			}
			var r [4]int
			for i, s := range parts {
				n, err := params.ParseInt(s, 0, maxRadius)
				if err != nil {
					return 0, err
				}
				r[i] = n
			}
			// CSS's shorthand: one for all, two for diagonals, three with
			// the top right's for the bottom left.
			switch len(parts) {
			case 1:
				r[1], r[2], r[3] = r[0], r[0], r[0]
			case 2:
				r[2], r[3] = r[0], r[1]
			case 3:
				r[3] = r[1]
			}
			if r == [4]int{} {
				return rankRadius, nil
			}
			ch.p.Mask = params.ShapeCorners
			ch.p.CornerRadius = params.Corners{TopLeft: r[0], TopRight: r[1], BottomRight: r[2], BottomLeft: r[3], Set: true}
			return rankRadius, nil
		}},
		"bo": {allowed: "<width>px_solid_<colour>, a width from 1 to 1000 pixels and a colour (a CSS name, or rgb:RRGGBB)", set: func(ch *chain, v string) (int, error) {
			ws, rest, ok := strings.Cut(v, "px_")
			style, cs, ok2 := strings.Cut(rest, "_")
			if !ok || !ok2 || style != "solid" {
				return 0, errSyntax
			}
			n, err := params.ParseInt(ws, 1, maxBorder)
			if err != nil {
				return 0, err
			}
			c, err := parseColor(cs)
			if err != nil {
				return 0, err
			}
			// A border around the image: padding of its width, with the
			// frame drawn over it.
			ch.p.Pad = n
			ch.p.Border = params.Border{Color: c, Sides: params.Sides{Top: n, Right: n, Bottom: n, Left: n}}
			return rankBorder, nil
		}},
		"co": {allowed: "a colour (a CSS name, or rgb:RRGGBB), with e_colorize", set: func(ch *chain, v string) (int, error) {
			c, err := parseColor(v)
			ch.co, ch.coSet = c, err == nil
			return rankFree, err
		}},
		"e_grayscale":    flagEffect(rankSaturation, func(ch *chain) { ch.p.Saturation = -100 }),
		"e_negate":       flagEffect(rankNegate, func(ch *chain) { ch.p.Invert = true }),
		"e_vibrance":     levelEffect(rankVibrance, -100, 100, 20, func(ch *chain, n int) { ch.p.Vibrance = n }),
		"e_saturation":   levelEffect(rankSaturation, -100, 100, 80, func(ch *chain, n int) { ch.p.Saturation = n }),
		"e_contrast":     levelEffect(rankContrast, -100, 100, 0, func(ch *chain, n int) { ch.p.Contrast = n }),
		"e_brightness":   levelEffect(rankBrightness, -99, 100, 80, func(ch *chain, n int) { ch.p.Brightness = n }),
		"e_sepia":        levelEffect(rankSepia, 1, 100, 80, func(ch *chain, n int) { ch.p.Sepia = n }),
		"e_blur":         levelEffect(rankBlur, 1, 2000, 100, func(ch *chain, n int) { ch.p.Blur = n }),
		"e_sharpen":      levelEffect(rankSharpen, 1, 2000, 100, func(ch *chain, n int) { ch.p.Sharpen = scale2000(n) }),
		"e_unsharp_mask": levelEffect(rankUnsharp, 1, 2000, 100, func(ch *chain, n int) { ch.p.UnsharpMask = scale2000(n) }),
		// e_gamma's level -50 to 150 is Matte's gamma 1 + level/100: 0
		// leaves the image, above 0 lightens.
		"e_gamma": levelEffect(rankGamma, -50, 150, 0, func(ch *chain, n int) {
			if n != 0 {
				ch.p.Gamma = 1 + float64(n)/100
			}
		}),
		// e_blackwhite's threshold, 0 to 100 percent (50), is Matte's
		// threshold in 8-bit levels.
		"e_blackwhite": levelEffect(rankBlackWhite, 0, 100, 50, func(ch *chain, n int) {
			ch.p.Threshold = max(1, (n*255+50)/100)
		}),
		// e_blur_faces and e_pixelate_faces obscure each face found in
		// the sized image (params.Faces.Blur, Pixelate); e_blur_faces'
		// default strength is Cloudinary's documented 500.
		"e_blur_faces": levelEffect(rankFaces, 1, 2000, 500, func(ch *chain, n int) { ch.p.Faces.Blur = float64(n) / 10 }),
		"e_pixelate_faces": {allowed: "e_pixelate_faces:<square size from 1 to 200 pixels> (Matte does not pick a size itself)", set: func(ch *chain, v string) (int, error) {
			n, err := params.ParseInt(v, 1, 200)
			ch.p.Faces.Pixelate = n
			return rankFaces, err
		}},
		"e_pixelate": {allowed: "e_pixelate:<square size from 1 to 100 pixels> (Matte does not pick a size itself)", set: func(ch *chain, v string) (int, error) {
			n, err := params.ParseInt(v, 1, 100)
			if n > 1 {
				ch.p.Pixelate = n
			}
			return rankPixelate, err
		}},
		"e_trim": {allowed: "e_trim, e_trim:<tolerance 0 to 100>, or e_trim:<tolerance>:<colour>", set: func(ch *chain, v string) (int, error) {
			ch.p.Trim = true
			if v == "" {
				return rankTrim, nil
			}
			tol, cs, hasColor := strings.Cut(v, ":")
			n, err := params.ParseInt(tol, 0, 100)
			if err != nil {
				return 0, err
			}
			ch.p.SetTrimTolerance(float64(n))
			if hasColor {
				if ch.p.TrimColor, err = parseColor(cs); err != nil {
					return 0, err
				}
			}
			return rankTrim, nil
		}},
		"e_background_removal": flagEffect(rankFree, func(ch *chain) { ch.p.Removal.Enabled = true }),
		"e_colorize":           levelEffect(rankColorize, 0, 100, 100, func(ch *chain, n int) { ch.colorize = n }),
	}
}

// scale2000 maps Cloudinary's 1-2000 strength onto Matte's 1-100.
func scale2000(n int) int { return max(1, int(math.Round(float64(n)/20))) }

// flagEffect is an effect without a level.
func flagEffect(rank int, set func(ch *chain)) handler {
	return handler{allowed: "given without a value", set: func(ch *chain, v string) (int, error) {
		if v != "" {
			return 0, errSyntax
		}
		set(ch)
		return rank, nil
	}}
}

// levelEffect is an effect with an optional integer level from lo to hi
// (def when left out).
func levelEffect(rank, lo, hi, def int, set func(ch *chain, n int)) handler {
	allowed := "given alone or with :<level>, an integer from " + itoa(lo) + " to " + itoa(hi)
	return handler{allowed: allowed, set: func(ch *chain, v string) (int, error) {
		n := def
		if v != "" {
			var err error
			if n, err = params.ParseSignedInt(v, lo, hi); err != nil {
				return 0, err
			}
		}
		set(ch, n)
		return rank, nil
	}}
}

func itoa(n int) string { return strconv.Itoa(n) }

// angle reads a: an angle in degrees, flips joined by ".", or ignore.
func (ch *chain) angle(v string) (int, error) {
	switch v {
	case "ignore":
		ch.p.Orientation = 1
		return rankOrientation, nil
	case "hflip":
		ch.p.Flip = params.FlipH
		return rankFlip, nil
	case "vflip":
		ch.p.Flip = params.FlipV
		return rankFlip, nil
	case "hflip.vflip", "vflip.hflip":
		ch.p.Flip = params.FlipHV
		return rankFlip, nil
	case "auto_right", "auto_left", "exif", "autoleft", "autoright":
		return 0, errors.New("Matte does not turn the image by the box's shape")
	}
	n, err := params.ParseSignedInt(v, -360000, 360000)
	if err != nil {
		return 0, err
	}
	ch.p.Rotate = float64(((n % 360) + 360) % 360)
	if _, quarter := ch.p.QuarterTurns(); quarter {
		return rankTurn, nil
	}
	return rankAngle, nil
}

// flags reads fl's flags, joined by ".".
func (ch *chain) flags(v string) (int, error) {
	for f := range strings.SplitSeq(v, ".") {
		name, arg, hasArg := strings.Cut(f, ":")
		switch {
		case name == "progressive" && (!hasArg || arg == "semi" || arg == "steep"):
			ch.p.Variant = params.VariantProgressive
		case name == "progressive" && arg == "none":
		case (name == "strip_profile" || name == "force_strip" || name == "preserve_transparency" || name == "animated") && !hasArg:
			// What Matte does anyway.
		case name == "attachment":
			ch.p.Download = true
			ch.p.DownloadName = arg
		case name == "png8" && !hasArg:
			ch.p.Variant = params.VariantPalette
		case name == "png24" && !hasArg:
		case name == "png32" && !hasArg:
			ch.p.Variant = params.VariantRGBA
		case name == "lossy" && !hasArg:
			ch.p.PNGToJPEG = true
		case name == "keep_iptc" || name == "keep_attribution":
			return 0, errors.New("Matte does not keep metadata")
		case name == "layer_apply":
			return 0, errors.New("fl_layer_apply closes a layer that l_ opens, and none is open")
		default:
			return 0, errors.New(params.QuoteShort(f) + " is not a flag Matte supports")
		}
	}
	return rankFree, nil
}

// parseColor reads a Cloudinary colour: a CSS name, or hex RGB, RGBA,
// RRGGBB or RRGGBBAA after "rgb:" or "#".
func parseColor(v string) (params.Color, error) {
	hex, ok := strings.CutPrefix(v, "rgb:")
	if !ok {
		hex, ok = strings.CutPrefix(v, "#")
	}
	if ok {
		if hex == "" || strings.Trim(hex, "0123456789abcdefABCDEF") != "" {
			return params.Color{}, errSyntax
		}
		return params.ParseColor(hex)
	}
	if strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" || strings.Trim(v, "abcdefABCDEF") == "" {
		return params.Color{}, errSyntax // a bare hex is not a colour name
	}
	return params.ParseColor(v)
}
