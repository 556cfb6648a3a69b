package vips

/*
#include "vips.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// AddAlpha adds an opaque alpha band unless there is one.
func (im *Image) AddAlpha() error {
	if im.HasAlpha() {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_addalpha(im.p, out) })
}

// Flatten drops alpha by blending over the opaque colour (r, g, b).
func (im *Image) Flatten(r, g, b float64) error {
	if !im.HasAlpha() {
		return nil
	}
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_flatten(im.p, out, C.double(r), C.double(g), C.double(b))
	})
}

// Over composites the image (with alpha) over a colour that may be
// translucent; alpha is kept.
func (im *Image) Over(rgba [4]float64) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_over(im.p, out, (*C.double)(unsafe.Pointer(&rgba[0])))
	})
}

// GaussBlur blurs an 8-bit image, with an integer mask or, precise, a
// float one (slower; a flat area stays exactly as it is). Its cost grows
// with sigma (the mask is about 3.6 sigma wide, in two passes) times the
// pixels: callers bound it.
func (im *Image) GaussBlur(sigma float64, precise bool) error {
	p := C.int(0)
	if precise {
		p = 1
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_gaussblur(im.p, out, C.double(sigma), p) })
}

// Sharpen is libvips' unsharp mask on lightness with this sigma.
func (im *Image) Sharpen(sigma float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_sharpen(im.p, out, C.double(sigma)) })
}

// ClearTransparent zeroes the colour of fully transparent pixels (the last
// band is alpha).
func (im *Image) ClearTransparent() error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_clear_transparent(im.p, out) })
}

// Threshold maps pixels >= t to 255 and the rest to 0.
func (im *Image) Threshold(t float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_threshold(im.p, out, C.double(t)) })
}

// MinFilter is a size x size (odd) minimum filter (erosion), the image's
// edge pixels repeated past its edges: a window of any size, the image's
// own or larger.
func (im *Image) MinFilter(size int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_min_filter(im.p, out, C.int(size)) })
}

// MaxFilter is a size x size (odd) maximum filter (dilation), as MinFilter.
func (im *Image) MaxFilter(size int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_max_filter(im.p, out, C.int(size)) })
}

// Equalize equalises the histogram of each colour band of an 8-bit image
// on its own, alpha kept: level v becomes 255 × (cdf(v) − cdf_min) ÷
// (pixels − cdf_min), cdf the band's cumulative histogram and cdf_min its
// value at the lowest level present (the lowest level goes to 0, the
// highest to 255); a band with one level is kept. It reads the image
// twice: render it to memory first.
func (im *Image) Equalize() error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_equalize(im.p, out) })
}

// ColourMeans is the mean of each colour band (alpha left out): red,
// green and blue, or grey three times. It reads the whole image.
func (im *Image) ColourMeans() ([3]float64, error) {
	n := im.Bands()
	if im.HasAlpha() {
		n--
	}
	var m [4]C.double
	if C.matte_band_means(im.p, &m[0], C.int(min(n, 3))) != 0 {
		return [3]float64{}, lastError()
	}
	if n < 3 {
		m[1], m[2] = m[0], m[0]
	}
	return [3]float64{float64(m[0]), float64(m[1]), float64(m[2])}, nil
}

// Convolve correlates the image with the w x h mask (row by row, not
// flipped) on every band, alpha included, the edges extended by copying,
// and truncates each sum to 0-255 (Thumbor's convolution).
func (im *Image) Convolve(mask []float64, w, h int) error {
	if len(mask) != w*h || w*h == 0 {
		return errors.New("vips: a convolution mask of the wrong size")
	}
	m := make([]C.double, len(mask))
	for i, v := range mask {
		m[i] = C.double(v)
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_convolve(im.p, out, &m[0], C.int(w), C.int(h)) })
}

// MapColour maps each red, green and blue sample v to lut[v][band] (a grey
// image is made sRGB first); alpha kept.
func (im *Image) MapColour(lut *[256][3]uint8) error {
	var t [256 * 3]C.uchar
	for v, e := range lut {
		t[3*v], t[3*v+1], t[3*v+2] = C.uchar(e[0]), C.uchar(e[1]), C.uchar(e[2])
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_map_colour(im.p, out, &t[0]) })
}

// AddNoise adds one Gaussian value (mean 0, sigma; libvips' gaussnoise
// from seed) per pixel to each colour sample alike, alpha kept, rounded
// and clamped to 8 bits. The same seed gives the same noise.
func (im *Image) AddNoise(sigma float64, seed int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_noise(im.p, out, C.double(sigma), C.int(seed)) })
}

// Median is a size x size median filter on every band.
func (im *Image) Median(size int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_median(im.p, out, C.int(size)) })
}

// GreyThreshold turns the image grey (libvips' B_W luminance), then every
// sample, alpha included, to 255 where it is >= t and 0 elsewhere (sharp's
// threshold); the result is sRGB, three equal bands.
func (im *Image) GreyThreshold(t int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_grey_threshold(im.p, out, C.double(t)) })
}

// Normalise stretches the CIELAB lightness of an 8-bit sRGB image so that
// its lower percentile (0-99) becomes 0 and its upper (1-100) 100,
// clipping beyond, chroma and alpha kept (sharp's normalise). It reads the
// image twice: render it to memory first.
func (im *Image) Normalise(lower, upper int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_normalise(im.p, out, C.int(lower), C.int(upper)) })
}

// SRGBToLab converts sRGB colours to CIELAB (L 0-100, a, b) as libvips
// converts an image.
func SRGBToLab(rgb [][3]uint8) ([][3]float64, error) {
	if len(rgb) == 0 {
		return nil, nil
	}
	in := make([]C.uchar, 3*len(rgb))
	for i, c := range rgb {
		in[3*i], in[3*i+1], in[3*i+2] = C.uchar(c[0]), C.uchar(c[1]), C.uchar(c[2])
	}
	lab := make([]C.float, 3*len(rgb))
	if C.matte_srgb_to_lab(&in[0], C.int(len(rgb)), &lab[0]) != 0 {
		return nil, lastError()
	}
	out := make([][3]float64, len(rgb))
	for i := range out {
		out[i] = [3]float64{float64(lab[3*i]), float64(lab[3*i+1]), float64(lab[3*i+2])}
	}
	return out, nil
}

// MapGreyLab recolours an 8-bit sRGB image from its grey level (libvips'
// B_W luminance): level v becomes table[v], a CIELAB colour, in sRGB;
// alpha kept.
func (im *Image) MapGreyLab(table *[256][3]float64) error {
	var t [256 * 3]C.float
	for v, lab := range table {
		t[3*v], t[3*v+1], t[3*v+2] = C.float(lab[0]), C.float(lab[1]), C.float(lab[2])
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_map_grey_lab(im.p, out, &t[0]) })
}

// SetResolution sets the horizontal and vertical resolution, in pixels per
// millimetre, that a PNG states (pHYs).
func (im *Image) SetResolution(pxPerMM float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_set_resolution(im.p, out, C.double(pxPerMM)) })
}

// Linear maps every value v to a*v + b, as float; ClampUchar brings it back.
func (im *Image) Linear(a, b float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_linear1(im.p, out, C.double(a), C.double(b)) })
}

// Adjustment is one pass of colour changes (Image.Adjust), in this order:
// in LCh the chroma C is scaled by 1 + Vibrance·(1 − C/80) below 80 (muted
// colours most; Vibrance −1..1), then by Chroma (1: unchanged, 0: grey),
// and Hue degrees are added to the hue; then each pixel's colour samples v
// become Matrix·v + Offset (Matrix row-major 3x3), rounded and clamped to
// 8 bits; then, when Gamma is not 0, each becomes 255·(v/255)^(1/Gamma).
type Adjustment struct {
	// Lightness multiplies the LCh lightness (0 or 1: unchanged).
	Lightness             float64
	Chroma, Vibrance, Hue float64
	Matrix                [9]float64
	Offset                [3]float64
	Gamma                 float64
}

// Adjust applies a, alpha kept. A grey image becomes sRGB when the matrix
// mixes channels. The image is 8-bit sRGB or grey.
func (im *Image) Adjust(a Adjustment) error {
	return im.apply(func(out **C.VipsImage) C.int {
		lightness := a.Lightness
		if lightness == 0 {
			lightness = 1
		}
		return C.matte_adjust(im.p, out, C.double(lightness), C.double(a.Chroma), C.double(a.Vibrance), C.double(a.Hue),
			(*C.double)(unsafe.Pointer(&a.Matrix[0])), (*C.double)(unsafe.Pointer(&a.Offset[0])), C.double(a.Gamma))
	})
}

// Tone maps the colour samples, alpha kept: each sample v becomes curve[v]
// (nil: as it is), then all of a pixel's colour samples are multiplied by
// gain[y], y its Rec. 709 luma after the curve (nil: none), rounded and
// clamped to 8 bits, so that the gain changes lightness and keeps hue. The
// image is 8-bit sRGB or grey.
func (im *Image) Tone(curve *[256]uint8, gain *[256]float64) error {
	var c *C.uchar
	var g *C.double
	if curve != nil {
		c = (*C.uchar)(unsafe.Pointer(&curve[0]))
	}
	if gain != nil {
		g = (*C.double)(unsafe.Pointer(&gain[0]))
	}
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_tone(im.p, out, c, g) })
}

// ScaleAlpha multiplies the alpha (the last band) by k, 0..1. The image is
// 8-bit with alpha.
func (im *Image) ScaleAlpha(k float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_scale_alpha(im.p, out, C.double(k)) })
}

// Insert places sub over the image with its top-left corner at (x, y); the
// image keeps its size.
func (im *Image) Insert(sub *Image, x, y int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_insert(im.p, sub.p, out, C.int(x), C.int(y)) })
}

// Pixelate replaces each block x block square (from the top left) by its
// mean colour, weighted by alpha. The image is 8-bit.
func (im *Image) Pixelate(block int) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_pixelate(im.p, out, C.int(block)) })
}

// Unsharp adds amount times the image's difference from blurred (the same
// image blurred, same size and bands) to its colour samples, alpha kept: a
// negative amount softens. The image is 8-bit.
func (im *Image) Unsharp(blurred *Image, amount float64) error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_unsharp(im.p, blurred.p, out, C.double(amount)) })
}

// Denoise smooths and sharpens the colour samples against blurred (the
// same image blurred, same size and bands), alpha kept: a sample within
// bound of its blurred value takes the blurred value (noise), any other
// moves amount times its difference further from it (detail); rounded and
// clamped. The image is 8-bit.
func (im *Image) Denoise(blurred *Image, bound, amount float64) error {
	return im.apply(func(out **C.VipsImage) C.int {
		return C.matte_denoise(im.p, blurred.p, out, C.double(bound), C.double(amount))
	})
}

// ClampUchar rounds and clamps to 8-bit 0-255.
func (im *Image) ClampUchar() error {
	return im.apply(func(out **C.VipsImage) C.int { return C.matte_clamp_uchar(im.p, out) })
}

// op2 runs a binary operation on a and b into a new image that inherits a's
// canceller (or b's).
func op2(a, b *Image, f func(a, b *C.VipsImage, out **C.VipsImage) C.int) (*Image, error) {
	var out *C.VipsImage
	if f(a.p, b.p, &out) != 0 {
		return nil, lastError()
	}
	c := a.cancel
	if c == nil {
		c = b.cancel
	}
	return wrap(out, c), nil
}

// BandJoin appends b's bands to a's.
func BandJoin(a, b *Image) (*Image, error) {
	return op2(a, b, func(a, b *C.VipsImage, out **C.VipsImage) C.int { return C.matte_bandjoin2(a, b, out) })
}

// Mul255 is a * b / 255 as 8-bit (b may have one band).
func Mul255(a, b *Image) (*Image, error) {
	return op2(a, b, func(a, b *C.VipsImage, out **C.VipsImage) C.int { return C.matte_mul255(a, b, out) })
}

// Composite places overlay over base; both carry alpha and share a size.
func Composite(base, overlay *Image) (*Image, error) {
	return CompositeAt(base, overlay, 0, 0, BlendOver)
}

// BlendMode is how CompositeAt mixes an overlay's colours with the base's.
type BlendMode int

// The blend modes of libvips' composite (the separable ones of PDF and CSS).
const (
	BlendOver       BlendMode = C.VIPS_BLEND_MODE_OVER
	BlendMultiply   BlendMode = C.VIPS_BLEND_MODE_MULTIPLY
	BlendScreen     BlendMode = C.VIPS_BLEND_MODE_SCREEN
	BlendOverlay    BlendMode = C.VIPS_BLEND_MODE_OVERLAY
	BlendDarken     BlendMode = C.VIPS_BLEND_MODE_DARKEN
	BlendLighten    BlendMode = C.VIPS_BLEND_MODE_LIGHTEN
	BlendColorDodge BlendMode = C.VIPS_BLEND_MODE_COLOUR_DODGE
	BlendColorBurn  BlendMode = C.VIPS_BLEND_MODE_COLOUR_BURN
	BlendHardLight  BlendMode = C.VIPS_BLEND_MODE_HARD_LIGHT
	BlendSoftLight  BlendMode = C.VIPS_BLEND_MODE_SOFT_LIGHT
	BlendDifference BlendMode = C.VIPS_BLEND_MODE_DIFFERENCE
	BlendExclusion  BlendMode = C.VIPS_BLEND_MODE_EXCLUSION
)

// CompositeAt places overlay (with alpha) over base with its top left at
// (x, y) of base, blended by mode; what falls outside base is cut. The
// result has base's size, and alpha.
func CompositeAt(base, overlay *Image, x, y int, mode BlendMode) (*Image, error) {
	return op2(base, overlay, func(a, b *C.VipsImage, out **C.VipsImage) C.int {
		return C.matte_composite(a, b, out, C.int(x), C.int(y), C.int(mode))
	})
}

// ColourLayer is the constant colour rgb with the image (one band) as alpha.
func (im *Image) ColourLayer(rgb [3]float64) (*Image, error) {
	return im.derive(func(out **C.VipsImage) C.int {
		return C.matte_bandjoin_const_rgb(im.p, out, (*C.double)(unsafe.Pointer(&rgb[0])))
	})
}
