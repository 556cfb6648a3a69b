package params

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Extras are the options of the hosted background-removal APIs (remove.bg,
// rembg.com, fapihub; see package dialect) that Params does not
// carry: a region of interest, per-side crop margins, a background image
// given as bytes and rotation without expanding the canvas. They travel
// beside Params (in transform.Request) rather than in it, so that Params
// stays comparable and every query-dialect key stays as it was; the caller
// adds Extras.Key to its cache key. The zero value changes nothing.
type Extras struct {
	// ROI limits the subject to this region of the source (source pixels,
	// after EXIF orientation): the matte is cleared outside it before the
	// subject is framed (crop=fg, scale, position). Zero: the whole image.
	ROI Rect
	// Margins are added around the crop=fg box (top, right, bottom, left),
	// in output pixels, or in percent of the subject box's height (top,
	// bottom) or width (right, left). Each side is capped at MaxMargin
	// pixels and MaxMarginPercent. They apply when MarginsSet and
	// Params.Removal.CropToForeground; leave Removal.FGPad zero with them.
	Margins    [4]Length
	MarginsSet bool
	// MaxMegapixels caps the output with its Margins (remove.bg's size and
	// PNG caps, which the output geometry, planned before the subject is
	// cropped and the margins added, cannot hold): a larger image is
	// scaled down, margins with it, to at most this many megapixels.
	// 0: no cap. It applies where the Margins do.
	MaxMegapixels float64
	// BgImage is a background image's encoded bytes. Params.Removal.BgImage
	// must be BgImageRef(BgImage): the key names the content, the bytes
	// ride here. The image is scaled to cover the output and centred
	// (unless it has the output's size already), and the subject is
	// composited over it.
	BgImage []byte
	// Mark is the watermark's encoded bytes; Params.Watermark.Image must be
	// BgImageRef(Mark), as for BgImage.
	Mark []byte
	// KeepCanvas keeps a rotated image at the size it had before the
	// rotation, centred: corners are cut, and uncovered areas take the
	// fill colour (PIL's rotate with expand=False). Without it, a rotation
	// grows the canvas to the rotated image's bounding box.
	KeepCanvas bool
}

// Caps of Extras.Margins, as remove.bg documents them.
const (
	MaxMargin        = 500
	MaxMarginPercent = 50
)

// BgImageRef is the Params.Removal.BgImage value that names background
// image bytes given through Extras: "sha256:" and the hex digest.
func BgImageRef(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// IsZero reports whether e changes nothing.
func (e Extras) IsZero() bool {
	return e.ROI == (Rect{}) && !e.MarginsSet && e.Margins == [4]Length{} && e.MaxMegapixels == 0 && len(e.BgImage) == 0 && len(e.Mark) == 0 && !e.KeepCanvas
}

// Key is a canonical string for e's effect on the output, "" for the zero
// Extras. The background image and watermark bytes are left out:
// BgImageRef names them in Params.Key.
func (e Extras) Key() string {
	var parts []string
	if r := e.ROI; r != (Rect{}) {
		parts = append(parts, fmt.Sprintf("roi=%d:%d:%d:%d", r.X, r.Y, r.W, r.H))
	}
	if e.MarginsSet {
		m := make([]string, 4)
		for i, l := range e.Margins {
			unit := "px"
			if l.Percent {
				unit = "%"
			}
			m[i] = floatKey(l.Value) + unit
		}
		parts = append(parts, "margins="+strings.Join(m, ":"))
	}
	if e.MaxMegapixels > 0 {
		parts = append(parts, "max-mp="+floatKey(e.MaxMegapixels))
	}
	if e.KeepCanvas {
		parts = append(parts, "keep-canvas=1")
	}
	if len(parts) == 0 {
		return ""
	}
	return "extras:" + strings.Join(parts, ",")
}
