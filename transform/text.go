package transform

import (
	"html"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// text draws Params.Text over the output, after the watermark (imgix
// draws text over mark) and before a mask shape. The text is escaped: it
// is never Pango markup. Its rendering is bounded: the size is at most
// the output's height, and a text whose glyphs would cover more than four
// times the output (about runes × size² × 0.6) is set smaller until they
// would not, since it is cut to the output anyway. A ZIP answer is left
// as it is.
func (j *job) text() error {
	t := j.p.Text
	if t.Text == "" || j.format == params.FormatZIP {
		return nil
	}
	W, H := float64(j.img.Width()), float64(j.img.Height())
	dpr := j.p.DevicePixelRatio()
	size := math.Min(float64(t.Size)*dpr, H)
	if runes := float64(utf8.RuneCountInString(t.Text)); runes*size*size*0.6 > 4*W*H {
		size = math.Sqrt(4 * W * H / (0.6 * runes))
	}
	wrap := 0
	if t.Width > 0 {
		wrap = int(math.Min(math.Round(float64(t.Width)*dpr), W))
	}
	fx, _ := gravityOffset(t.Align, 2, 0) // 0 left, 1 centre, 2 right: the lines' alignment
	font := t.Font + " " + strconv.Itoa(max(1, int(math.Round(size))))
	mask, err := vips.Text(html.EscapeString(t.Text), font, wrap, fx, j.img.Canceller())
	if err != nil {
		return err
	}
	defer mask.Close()
	layer, err := tinted(mask, t.Color, float64(t.Color.A)/255)
	if err != nil {
		return err
	}
	defer layer.Close()
	x, y := placeLayer(t.Align, t.Pad, t.X, t.XSet, t.Y, t.YSet, layer.Width(), layer.Height(), j.img.Width(), j.img.Height(), dpr)
	return j.overlay(layer, x, y)
}
