package thumbor

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jebosio/matte/dialect/internal/pathurl"
	"github.com/jebosio/matte/params"
)

// parseFilters reads name(args):name(args)...; every bad filter is
// reported, named filters:<name>.
func parseFilters(p *params.Params, g *geometry, s string) error {
	var errs params.Errors
	for s != "" {
		open := strings.IndexByte(s, '(')
		end := closingParen(s, open)
		if open <= 0 || end < open {
			return append(errs, params.BadParam("filters", "The filters "+params.QuoteShort(s)+" are not name(arguments) joined by \":\"."))
		}
		name, args := s[:open], s[open+1:end]
		s = strings.TrimPrefix(s[end+1:], ":")
		f, ok := filters[name]
		var err error
		if !ok {
			err = pathurl.Bad("filters:"+name, "%s is not a Thumbor filter Matte supports (quality, format, fill, background_color, blur, grayscale, brightness, contrast, saturation, rgb, rotate, round_corner, sharpen, watermark, focal, equalize, proportion, stretch, no_upscale, upscale, strip_icc, strip_exif, max_bytes, max_age, convolution, curve, cover, noise, autojpg).", params.QuoteShort(name))
		} else {
			err = f(p, g, "filters:"+name, args)
		}
		if err != nil {
			errs = append(errs, params.AsErrors(err)...)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// closingParen is the index of the ")" that closes the "(" at open in s
// (curve's arguments hold parentheses of their own), -1 when none does.
func closingParen(s string, open int) int {
	if open < 0 {
		return -1
	}
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

type filter func(p *params.Params, g *geometry, field, args string) error

// curveLists reads curve's four lists [(x,y),...] into params.Curves'
// form ("x:y,x:y"); ok is false unless there are four lists of at least
// one point each, within 0-255, x increasing.
func curveLists(a string) (lists [4]string, ok bool) {
	for i := range lists {
		if i > 0 && !strings.HasPrefix(a, ",") {
			return lists, false
		}
		a = strings.TrimPrefix(a, ",")
		end := strings.IndexByte(a, ']')
		if !strings.HasPrefix(a, "[") || end < 0 {
			return lists, false
		}
		body := strings.TrimSuffix(a[1:end], ",") // Thumbor's lists may end in a comma
		a = a[end+1:]
		var pts []string
		for body != "" {
			close := strings.IndexByte(body, ')')
			if !strings.HasPrefix(body, "(") || close < 0 {
				return lists, false
			}
			xs, ys, found := strings.Cut(body[1:close], ",")
			x, xerr := params.ParseInt(xs, 0, 255)
			y, yerr := params.ParseInt(ys, 0, 255)
			if !found || xerr != nil || yerr != nil {
				return lists, false
			}
			pts = append(pts, strconv.Itoa(x)+":"+strconv.Itoa(y))
			body = strings.TrimPrefix(body[close+1:], ",")
		}
		lists[i] = strings.Join(pts, ",")
		if _, err := params.CurvePoints(lists[i]); err != nil {
			return lists, false
		}
	}
	return lists, a == ""
}

// maxKernel bounds convolution's columns and rows (Thumbor sets none; a
// kernel's cost grows with its area).
const maxKernel = 15

// thumborBool reads Thumbor's filter booleans (BaseFilter.Boolean):
// true, True, 1 and false, False, 0.
func thumborBool(s string) (v, ok bool) {
	switch s {
	case "true", "True", "1":
		return true, true
	case "false", "False", "0":
		return false, true
	}
	return false, false
}

// maxAge bounds max_age's seconds: a year (RFC 2616 §14.21's bound on
// Expires).
const maxAge = 365 * 24 * 3600

var filters = map[string]filter{
	"quality": func(p *params.Params, _ *geometry, field, a string) (err error) {
		if p.Quality, err = params.ParseInt(a, 1, 100); err != nil {
			return pathurl.Bad(field, "quality takes an integer from 1 to 100.")
		}
		return nil
	},
	"format": func(p *params.Params, _ *geometry, field, a string) error {
		f, ok := params.ParseOutputFormat(a)
		if !ok {
			return pathurl.Bad(field, "format takes one of jpeg, png, webp, avif, gif.")
		}
		p.Format = f
		return nil
	},
	"fill": func(p *params.Params, g *geometry, field, a string) error {
		c, _, _ := strings.Cut(a, ",") // fill(color[,fill_transparent])
		// fill(blur): the missing parts are the image, blurred.
		if c == "blur" {
			p.FillBlur, g.fill = true, true
			return nil
		}
		// fill(auto): the image's mean colour, as Thumbor's _fill.
		if c == "auto" {
			p.FillMean, g.fill = true, true
			return nil
		}
		if err := color(p, field, c); err != nil {
			return err
		}
		g.fill = true
		return nil
	},
	"equalize": func(p *params.Params, _ *geometry, field, a string) error {
		p.Equalize = true
		return noArgs(field, a)
	},
	"grayscale": func(p *params.Params, _ *geometry, field, a string) error {
		if a != "" {
			return pathurl.Bad(field, "grayscale takes no argument: grayscale().")
		}
		p.Saturation = -100
		return nil
	},
	"background_color": func(p *params.Params, _ *geometry, field, a string) error { return color(p, field, a) },
	"blur": func(p *params.Params, _ *geometry, field, a string) error {
		// blur(radius[,sigma]); sigma defaults to the radius.
		rs, ss, hasSigma := strings.Cut(a, ",")
		sigma, err := params.ParseDecimalIn(rs, 0, 150)
		if err == nil && hasSigma {
			sigma, err = params.ParseDecimalIn(ss, 0, 150)
		}
		if err != nil {
			return pathurl.Bad(field, "blur takes radius[,sigma], numbers from 0 to 150.")
		}
		p.Blur = int(math.Round(sigma * 10))
		return nil
	},
	// rotate(angle): an integer, any sign, taken modulo 360 (Thumbor's
	// Number); Thumbor turns by multiples of 90 only, counter-clockwise
	// (PIL's direction), after the resize (see turn). It ignores other
	// angles; Matte refuses them.
	"rotate": func(_ *params.Params, g *geometry, field, a string) error {
		deg, ok := angleMod360(a)
		if !ok || deg%90 != 0 {
			return pathurl.Bad(field, "rotate takes an integer multiple of 90 (degrees counter-clockwise, any sign, taken modulo 360), such as rotate(90) or rotate(-90).")
		}
		g.rotate = deg
		return nil
	},
	"sharpen": func(p *params.Params, _ *geometry, field, a string) error {
		// sharpen(amount,radius,luminance_only): the amount, 0-10, sets
		// Matte's sharpen (0-100).
		am, _, _ := strings.Cut(a, ",")
		f, err := params.ParseDecimalIn(am, 0, 10)
		if err != nil {
			return pathurl.Bad(field, "sharpen takes amount,radius,luminance_only with the amount from 0 to 10.")
		}
		p.Sharpen = int(math.Round(f * 10))
		return nil
	},
	"round_corner": func(p *params.Params, _ *geometry, field, a string) error {
		// round_corner(a|b,r,g,b[,transparent]): corners of radius a (b, the
		// vertical radius of an elliptical corner, must equal a), coloured
		// r,g,b or transparent.
		const usage = "round_corner takes radius,r,g,b[,transparent]: a radius from 0 to 10000 (a|b only with b = a), red, green and blue from 0 to 255, and 1 or true for transparent corners."
		parts := strings.Split(a, ",")
		if len(parts) != 4 && len(parts) != 5 {
			return pathurl.Bad(field, usage)
		}
		rx, ry, elliptical := strings.Cut(parts[0], "|")
		radius, err := params.ParseInt(rx, 0, 10000)
		if err == nil && elliptical && ry != rx {
			return pathurl.Bad(field, "round_corner's elliptical corners (a|b with b other than a) are not supported.")
		}
		var rgb [3]int
		for i := range rgb {
			if err == nil {
				rgb[i], err = params.ParseInt(parts[1+i], 0, 255)
			}
		}
		transparent := false
		if err == nil && len(parts) == 5 {
			var ok bool
			if transparent, ok = thumborBool(parts[4]); !ok {
				err = params.ErrSyntax
			}
		}
		if err != nil {
			return pathurl.Bad(field, usage)
		}
		p.Mask = params.ShapeCorners
		p.CornerRadius = params.Corners{TopLeft: radius, TopRight: radius, BottomRight: radius, BottomLeft: radius, Set: true}
		if !transparent {
			p.MaskBackground = params.Color{R: uint8(rgb[0]), G: uint8(rgb[1]), B: uint8(rgb[2]), A: 255, Set: true}
		}
		return nil
	},
	// brightness(amount), -100 to 100: amount × 2.55 added to each
	// channel, as Thumbor's filter does (Matte's bri, the same formula).
	"brightness": func(p *params.Params, _ *geometry, field, a string) (err error) {
		if p.Brightness, err = signedInt(a, 100); err != nil {
			return pathurl.Bad(field, "brightness takes an integer from -100 to 100.")
		}
		return nil
	},
	// contrast(amount), -100 to 100: Thumbor scales each channel's
	// distance from 128 by ((amount + 100) / 100)², in integer steps of
	// 1/100 (its C filter), which is Matte's con of that factor less 1 in
	// percent: contrast(50) is con=125.
	"contrast": func(p *params.Params, _ *geometry, field, a string) error {
		n, err := signedInt(a, 100)
		if err != nil {
			return pathurl.Bad(field, "contrast takes an integer from -100 to 100.")
		}
		p.Contrast = (n+100)*(n+100)/100 - 100
		return nil
	},
	// saturation(factor): Thumbor's filter multiplies each channel's
	// distance from the pixel's grey by the argument (its documentation
	// says a percentage from -100 to 100, but its filter, and the pictures
	// in that documentation, use the number as the factor: 1 leaves the
	// image as it is, 0 is grey, 2 doubles the colour). Matte scales the
	// chroma by it: sat = (factor - 1) × 100.
	"saturation": func(p *params.Params, _ *geometry, field, a string) error {
		f, err := params.ParseDecimalIn(a, -100, 100)
		if err != nil {
			return pathurl.Bad(field, "saturation takes a factor from -100 to 100 (1 leaves the colours as they are, 0 is grey).")
		}
		p.Saturation = int(math.Round((f - 1) * 100))
		return nil
	},
	// rgb(r,g,b), each -100 to 100: that percentage of 255 added to the
	// channel.
	"rgb": func(p *params.Params, _ *geometry, field, a string) error {
		parts := strings.Split(a, ",")
		if len(parts) != 3 {
			return pathurl.Bad(field, "rgb takes three integers from -100 to 100: red, green and blue.")
		}
		for i, s := range parts {
			v, err := signedInt(s, 100)
			if err != nil {
				return pathurl.Bad(field, "rgb takes three integers from -100 to 100: red, green and blue.")
			}
			p.ChannelShift[i] = v
		}
		return nil
	},
	"watermark": watermark,
	// autojpg([enabled]): an opaque PNG answered as a JPEG (Thumbor's
	// AUTO_PNG_TO_JPG for this request; Matte's default is off).
	"autojpg": func(p *params.Params, _ *geometry, field, a string) error {
		on, ok := true, true
		if a != "" {
			on, ok = thumborBool(a)
		}
		if !ok {
			return pathurl.Bad(field, "autojpg takes true or false (true when left out).")
		}
		p.PNGToJPEG = on
		return nil
	},
	// noise(amount[,seed]): grain, amount 0-100 (Params.Noise).
	"noise": func(p *params.Params, _ *geometry, field, a string) error {
		const usage = "noise takes amount[,seed]: an integer from 0 to 100, and a seed from 0 to 2147483647."
		am, sd, hasSeed := strings.Cut(a, ",")
		n, err := params.ParseInt(am, 0, 100)
		seed := 0
		if err == nil && hasSeed {
			seed, err = params.ParseInt(sd, 0, math.MaxInt32)
		}
		if err != nil {
			return pathurl.Bad(field, usage)
		}
		p.Noise, p.NoiseSeed = n, seed
		if n == 0 {
			p.NoiseSeed = 0
		}
		return nil
	},
	// proportion(v), 0 < v <= 1: the result resized by v.
	"proportion": func(_ *params.Params, g *geometry, field, a string) (err error) {
		if g.proportion, err = params.ParseDecimalIn(a, 0, 1); err != nil || g.proportion == 0 {
			return pathurl.Bad(field, "proportion takes a number greater than 0 and at most 1.")
		}
		return nil
	},
	// focal(LxT:RxB): a region of the source (after the EXIF orientation)
	// the crop is centred on, with the others given weighed by area.
	"focal": func(_ *params.Params, g *geometry, field, a string) error {
		const usage = "focal takes <left>x<top>:<right>x<bottom>, source pixels with right above left and bottom above top."
		if !isCrop(a) {
			return pathurl.Bad(field, usage)
		}
		r := cropRect(a)
		if r.IsZero() {
			return pathurl.Bad(field, usage)
		}
		g.focal = append(g.focal, focalPoint{x: r.X + r.W/2, y: r.Y + r.H/2, weight: r.W * r.H})
		return nil
	},
	// stretch(): without fit-in, the exact size asked without cropping.
	"stretch": func(_ *params.Params, g *geometry, field, a string) error {
		g.stretch = true
		return noArgs(field, a)
	},
	"no_upscale": func(_ *params.Params, g *geometry, field, a string) error {
		g.noUpscale = true
		return noArgs(field, a)
	},
	// upscale(): fit-in enlarges a source smaller than the box (without
	// it, Thumbor's fit-in does not).
	"upscale": func(_ *params.Params, g *geometry, field, a string) error {
		g.upscale = true
		return noArgs(field, a)
	},
	// Accepted and ignored: Matte strips metadata and colour profiles (it
	// converts to sRGB) and has no byte budget.
	"strip_icc":  func(_ *params.Params, _ *geometry, field, a string) error { return noArgs(field, a) },
	"strip_exif": func(_ *params.Params, _ *geometry, field, a string) error { return noArgs(field, a) },
	"max_bytes":  func(*params.Params, *geometry, string, string) error { return nil },
	// cover(): an animated GIF's first frame, Thumbor's cover image;
	// without it Thumbor, and Matte, keep the frames.
	"cover": func(p *params.Params, _ *geometry, field, a string) error {
		p.Frames = params.FramesFirst
		return noArgs(field, a)
	},
	// convolution(items,columns,normalize): items joined by ";", an odd
	// number of columns and of rows, at most maxKernel on a side.
	"convolution": func(p *params.Params, _ *geometry, field, a string) error {
		usage := fmt.Sprintf("convolution takes items (numbers joined by ;), a column count and true or false, such as convolution(1;2;1;2;4;2;1;2;1,3,true); the columns and rows odd, at most %d each.", maxKernel)
		args := strings.Split(a, ",")
		if len(args) != 3 {
			return pathurl.Bad(field, "%s", usage)
		}
		items := strings.Split(args[0], ";")
		cols, err := params.ParseInt(args[1], 1, maxKernel)
		if err != nil || cols%2 == 0 || len(items)%cols != 0 || len(items)/cols%2 == 0 || len(items)/cols > maxKernel {
			return pathurl.Bad(field, "%s", usage)
		}
		for i, it := range items {
			v, err := params.ParseDecimal(it)
			if err != nil || math.Abs(v) > 1e6 {
				return pathurl.Bad(field, "%s", usage)
			}
			items[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		normalize, ok := thumborBool(args[2])
		if !ok {
			return pathurl.Bad(field, "%s", usage)
		}
		p.Convolution = params.Convolution{Columns: cols, Weights: strings.Join(items, ";"), Normalize: normalize}
		return nil
	},
	// curve(all,red,green,blue): each a list of points [(x,y),(x,y),...].
	"curve": func(p *params.Params, _ *geometry, field, a string) error {
		lists, ok := curveLists(a)
		if !ok {
			return pathurl.Bad(field, "curve takes four lists of points, all, red, green and blue, each [(x,y),...] with x and y from 0 to 255 and x increasing, such as curve([(0,0),(255,255)],[(0,0),(255,255)],[(0,0),(255,255)],[(0,0),(255,255)]).")
		}
		p.Curves = params.Curves{All: lists[0], Red: lists[1], Green: lists[2], Blue: lists[3]}
		return nil
	},
	// max_age(seconds): the answer's Cache-Control max-age (0: no-cache).
	"max_age": func(_ *params.Params, g *geometry, field, a string) (err error) {
		if g.maxAge, err = params.ParseInt(a, 0, maxAge); err != nil {
			return pathurl.Bad(field, "max_age takes seconds from 0 to %d (a year).", maxAge)
		}
		g.maxAgeSet = true
		return nil
	},
}

func noArgs(field, a string) error {
	if a != "" {
		return pathurl.Bad(field, "%s takes no arguments.", strings.TrimPrefix(field, "filters:"))
	}
	return nil
}

// color reads a Thumbor colour: a name or hex, with or without "#";
// auto and blur (colours derived from the image) are not supported.
func color(p *params.Params, field, a string) error {
	c, err := params.ParseColor(a)
	if err != nil {
		return pathurl.Bad(field, "%s is not a colour Matte knows: give a hex colour (ff0000) or a CSS name (auto and blur are not supported).", params.QuoteShort(a))
	}
	p.Background = c
	return nil
}

// angleMod360 reads an integer of any size and sign (Thumbor's Number,
// [-]digits) as its angle modulo 360, in [0, 360).
func angleMod360(s string) (int, bool) {
	digits, neg := strings.CutPrefix(s, "-")
	if digits == "" {
		return 0, false
	}
	m := 0
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
		m = (m*10 + int(digits[i]-'0')) % 360
	}
	if neg {
		m = (360 - m) % 360
	}
	return m, true
}

// signedInt parses an optionally negative integer in [-limit, limit].
func signedInt(s string, limit int) (int, error) {
	neg := strings.HasPrefix(s, "-")
	n, err := params.ParseInt(strings.TrimPrefix(s, "-"), 0, limit)
	if neg {
		n = -n
	}
	return n, err
}

// watermark reads watermark(image,x,y,alpha[,w_ratio[,h_ratio]]) (Thumbor's
// watermark filter) into Params.Watermark:
//   - image: an http(s) URL (fetched from allowed hosts only) or a path on
//     this site; it may hold commas, the last arguments being the others;
//   - x, y: pixels from the left or top, negative from the right or bottom
//     edge to the mark's far edge, Np a percentage of the output's side
//     (-Np from the far edge), center, or repeat (the mark spread along
//     that axis as Thumbor spreads it);
//   - alpha: the mark's transparency, 0 (opaque) to 100 (unseen: no mark);
//   - w_ratio, h_ratio: percentages of the output's width and height the
//     mark is fitted into, enlarged or shrunk, aspect kept; none or absent
//     for no limit (the mark at its own size, within the output).
func watermark(p *params.Params, _ *geometry, field, a string) error {
	const usage = "watermark takes image,x,y,alpha[,w_ratio[,h_ratio]]: an http(s) URL or a path, x and y as pixels (negative from the right or bottom), Np (a percentage), center or repeat, alpha from 0 (opaque) to 100 (transparent), and the ratios as percentages from 0 to 100 or none."
	if p.Watermark.Image != "" {
		return pathurl.Bad(field, "Matte draws one watermark per image; give watermark() once.")
	}
	parts := strings.Split(a, ",")
	var m params.Watermark
	var err error
	// The image may hold commas: the longest valid tail of arguments wins,
	// as Thumbor's lazy pattern takes the shortest image.
	for n := 5; n >= 3; n-- {
		if len(parts) <= n {
			continue
		}
		if m, err = markArgs(parts[len(parts)-n:]); err == nil {
			m.Image = strings.Join(parts[:len(parts)-n], ",")
			break
		}
	}
	if m.Image == "" {
		return pathurl.Bad(field, "%s", usage)
	}
	remote := strings.HasPrefix(m.Image, "http://") || strings.HasPrefix(m.Image, "https://")
	if !remote && !strings.HasPrefix(m.Image, "/") {
		m.Image = "/" + m.Image // a path on this site, as Thumbor's loaders take one
	}
	if err := params.CheckImageRef(m.Image); err != nil || (!remote && strings.Contains(m.Image, "://")) {
		return pathurl.Bad(field, "The watermark image %s is not an http(s) URL or a path without . or .. segments.", params.QuoteShort(m.Image))
	}
	if m.Alpha > 0 {
		p.Watermark = m
	}
	return nil
}

// markArgs reads x,y,alpha[,w_ratio[,h_ratio]].
func markArgs(args []string) (params.Watermark, error) {
	m := params.Watermark{Fit: params.FitClip}
	row, col := 0, 0
	for i, axis := range []struct {
		v             *int
		set, end, pct *bool
		spread        params.Axes
		centre        *int
	}{
		{&m.X, &m.XSet, &m.XFromEnd, &m.XPercent, params.AxisX, &col},
		{&m.Y, &m.YSet, &m.YFromEnd, &m.YPercent, params.AxisY, &row},
	} {
		s := args[i]
		switch s {
		case "center":
			*axis.centre = 1
			continue
		case "repeat":
			m.Spread |= axis.spread
			continue
		}
		s, *axis.end = strings.CutPrefix(s, "-")
		s, *axis.pct = strings.CutSuffix(s, "p")
		limit := pathurl.MaxDimension
		if *axis.pct {
			limit = 100
		}
		v, err := params.ParseInt(s, 0, limit)
		if err != nil {
			return m, err
		}
		*axis.v, *axis.set = v, true
	}
	m.Align = pathurl.AnchorAt(row, col)
	alpha, err := params.ParseDecimalIn(args[2], 0, 100)
	if err != nil {
		return m, err
	}
	m.Alpha = 100 - int(math.Round(alpha))
	for i, r := range []*float64{&m.WidthRatio, &m.HeightRatio} {
		if len(args) <= 3+i || args[3+i] == "none" {
			continue
		}
		v, err := params.ParseDecimalIn(args[3+i], 0, 100)
		if err != nil {
			return m, err
		}
		*r = v / 100
	}
	return m, nil
}
