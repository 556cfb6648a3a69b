package transform

import (
	"html"
	"math"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// maxOutline bounds a text outline's width in output pixels (its filter's
// cost grows with the width).
const maxOutline = 64

// outline grows the glyph mask by n pixels on every side (the mask itself
// gets that margin too, so the text stays where the line is centred) and
// returns the line's layer in c, square-cornered (a maximum filter).
func outline(mask *vips.Image, n int, c params.Color) (*vips.Image, error) {
	if err := mask.Embed(n, n, mask.Width()+2*n, mask.Height()+2*n, []float64{0}); err != nil {
		return nil, err
	}
	grown := mask.Clone()
	defer grown.Close()
	if err := grown.MaxFilter(2*n + 1); err != nil {
		return nil, err
	}
	return tinted(grown, c, float64(c.A)/255)
}

// text draws Params.Text over the output, after the watermark (imgix
// draws text over mark) and before a mask shape. The text is escaped: it
// is never Pango markup. Its rendering is bounded: the size is at most
// the output's height, and a text whose glyphs would cover more than four
// times the output (about runes × size² × 0.6) is set smaller until they
// would not, since it is cut to the output anyway. A text with nothing to
// see (spaces, format characters) draws nothing, as a ZIP answer gets
// nothing.
func (j *job) text() error {
	t := j.p.Text
	if !visible(t.Text) || j.format == params.FormatZIP {
		return nil
	}
	W, H := float64(j.img.Width()), float64(j.img.Height())
	dpr := j.p.DevicePixelRatio()
	size := math.Min(float64(t.Size)*dpr, H)
	if runes := float64(utf8.RuneCountInString(t.Text)); runes*size*size*0.6 > 4*W*H {
		size = math.Sqrt(4 * W * H / (0.6 * runes))
	}
	oneLine := t.Fit || t.Clip != params.TextClipNone
	wrap := 0
	if t.Width > 0 && !oneLine {
		wrap = int(math.Min(math.Round(float64(t.Width)*dpr), W))
	}
	fx, _ := gravityOffset(t.Align, 2, 0) // 0 left, 1 centre, 2 right: the lines' alignment
	render := func(text string, size float64) (*vips.Image, error) {
		font := t.Font + " " + strconv.Itoa(max(1, int(math.Round(size))))
		return vips.Text(html.EscapeString(text), font, wrap, fx, j.img.Canceller())
	}
	mask, err := render(t.Text, size)
	if err != nil {
		return err
	}
	if oneLine {
		region := W - 2*float64(t.Pad)*dpr
		if t.Width > 0 {
			region = float64(t.Width) * dpr
		}
		if mask, err = fitLine(mask, t, size, max(1, int(math.Round(region))), render); err != nil || mask == nil {
			return err
		}
	}
	defer mask.Close()
	var line *vips.Image
	if t.Outline > 0 {
		if line, err = outline(mask, min(maxOutline, max(1, devicePx(t.Outline, dpr))), t.OutlineColor); err != nil {
			return err
		}
		defer line.Close()
	}
	layer, err := tinted(mask, t.Color, float64(t.Color.A)/255)
	if err != nil {
		return err
	}
	defer layer.Close()
	if line != nil {
		under, err := vips.Composite(line, layer)
		if err != nil {
			return err
		}
		layer.Replace(under)
	}
	x, y := placeLayer(t.Align, t.Pad, t.X, t.XSet, t.Y, t.YSet, layer.Width(), layer.Height(), j.img.Width(), j.img.Height(), dpr)
	if t.Shadow > 0 {
		reach := t.Shadow / 2 * dpr
		margin, err := j.castShadow(layer, max(1, int(math.Round(reach))), reach)
		if err != nil {
			return err
		}
		x, y = x-margin, y-margin
	}
	return j.overlay(layer, x, y)
}

// castShadow puts a soft black shadow of layer's alpha (80% opaque,
// offset by offset pixels right and down, Gaussian sigma) under layer,
// growing it by the returned margin on every side so that nothing of the
// shadow is cut: place the result margin pixels up and left of where
// layer was to be.
func (j *job) castShadow(layer *vips.Image, offset int, sigma float64) (int, error) {
	margin := offset + int(math.Ceil(3*sigma))
	if err := layer.Embed(margin, margin, layer.Width()+2*margin, layer.Height()+2*margin, []float64{0, 0, 0, 0}); err != nil {
		return 0, err
	}
	shadow, err := j.shadowLayer(layer, params.Shadow{Color: params.Color{A: 255, Set: true}, Opacity: 0.8,
		OffsetX: offset, OffsetY: offset, OffsetSet: true, Blur: sigma})
	if err != nil {
		return 0, err
	}
	defer shadow.Close()
	under, err := vips.Composite(shadow, layer)
	if err != nil {
		return 0, err
	}
	layer.Replace(under)
	return margin, nil
}

// visible reports whether s has a character that draws ink: a graphic one
// other than a space. libvips refuses to render a text without one ("no
// text to render"), which is no fault of the image.
func visible(s string) bool {
	for _, r := range s {
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) {
			return true
		}
	}
	return false
}
