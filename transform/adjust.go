package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// adjust changes the image's own colours (Params.Equalize, Exposure,
// Shadows, Highlights, Vibrance, Lightness, Saturation, Hue, Sepia,
// SepiaClassic, Monochrome, BrightnessFactor, Contrast, Brightness,
// ChannelShift, Invert, SigmoidContrast, Gamma, in that order), before any
// pixel is added around it (rotation corners, fit=fill, padding), which
// keep their colours. Exposure is a curve and Shadows and Highlights a
// gain by luma (tone); Vibrance, Lightness, Saturation and Hue work in LCh;
// from Sepia to Invert one affine map of each pixel's colour, composed
// here; SigmoidContrast is a curve, and Gamma a power (one curve with
// SigmoidContrast).
func (j *job) adjust() error {
	p := j.p
	toned := p.Exposure != 0 || p.Shadows != 0 || p.Highlights != 0
	if !toned && p.Vibrance == 0 && p.Lightness == 0 && p.SigmoidContrast == 0 && p.Saturation == 0 && p.Hue == 0 && p.Sepia == 0 && p.Monochrome == (params.Color{}) &&
		p.BrightnessFactor == 0 && p.Brightness == 0 && p.Contrast == 0 && p.ChannelShift == ([3]int{}) && !p.Invert && p.Gamma == 0 && !p.Equalize && !p.SepiaClassic {
		return nil
	}
	if p.Equalize {
		// Two passes over the image (the histogram, then the map): rendered
		// first, as the decode before it reads its source once.
		if err := j.toMemory(j.img); err != nil {
			return err
		}
		if err := j.img.Equalize(); err != nil {
			return err
		}
	}
	if toned {
		if err := j.img.Tone(exposureCurve(p.Exposure), lightnessGain(p.Shadows, p.Highlights)); err != nil {
			return err
		}
	}
	m := colourMap{m: identity3}
	if p.Sepia > 0 {
		m = m.then(mix3(sepiaMatrix, float64(p.Sepia)/100), [3]float64{})
	}
	if p.SepiaClassic {
		m = m.then(classicSepiaMatrix, [3]float64{})
	}
	if c := p.Monochrome; c != (params.Color{}) {
		var tint [9]float64
		rgb := [3]float64{float64(c.R) / 255, float64(c.G) / 255, float64(c.B) / 255}
		for row := range 3 {
			for col := range 3 {
				tint[3*row+col] = rgb[row] * rec709Luma[col]
			}
		}
		m = m.then(mix3(tint, float64(c.A)/255), [3]float64{})
	}
	if f := p.BrightnessFactor; f != 0 {
		m = m.then(scale3(f), [3]float64{})
	}
	if p.Contrast != 0 || p.Brightness != 0 {
		a := 1 + float64(p.Contrast)/100
		b := 128*(1-a) + 2.55*float64(p.Brightness)
		m = m.then(scale3(a), [3]float64{b, b, b})
	}
	if c := p.ChannelShift; c != ([3]int{}) {
		m = m.then(identity3, [3]float64{2.55 * float64(c[0]), 2.55 * float64(c[1]), 2.55 * float64(c[2])})
	}
	if p.Invert {
		m = m.then(scale3(-1), [3]float64{255, 255, 255})
	}
	a := vips.Adjustment{
		Lightness: p.Lightness,
		Chroma:    1 + float64(p.Saturation)/100,
		Vibrance:  float64(p.Vibrance) / 100,
		Hue:       float64(p.Hue),
		Matrix:    m.m,
		Offset:    m.b,
		Gamma:     p.Gamma,
	}
	if p.SigmoidContrast == 0 {
		return j.img.Adjust(a)
	}
	// The sigmoid comes before the power: both as one curve after the map.
	a.Gamma = 0
	if err := j.img.Adjust(a); err != nil {
		return err
	}
	return j.img.Tone(finalCurve(p.SigmoidContrast, p.Gamma), nil)
}

// finalCurve is Params.SigmoidContrast then Gamma as one table of 8-bit
// samples: wsrv's sigmoidal contrast (β = 0.3 × |contrast| around 0.5,
// scaled so that 0 and 1 stay put; below 0 its inverse), then
// 255·(v/255)^(1/gamma) when gamma is not 0.
func finalCurve(contrast int, gamma float64) *[256]uint8 {
	beta := 0.3 * math.Abs(float64(contrast))
	logistic := func(u float64) float64 { return 1 / (1 + math.Exp(beta*(0.5-u))) }
	lo, hi := logistic(0), logistic(1)
	var t [256]uint8
	for v := range t {
		u := float64(v) / 255
		if contrast > 0 {
			u = (logistic(u) - lo) / (hi - lo)
		} else {
			x := u*(hi-lo) + lo
			u = 0.5 - math.Log((1-x)/x)/beta
		}
		if gamma != 0 {
			u = math.Pow(max(u, 0), 1/gamma)
		}
		t[v] = uint8(min(max(math.Round(255*u), 0), 255))
	}
	return &t
}

// exposureCurve is Params.Exposure as a table of 8-bit sRGB samples: each
// sample's linear light times 2^(exposure/50), clipped at white; nil for 0.
func exposureCurve(exposure int) *[256]uint8 {
	if exposure == 0 {
		return nil
	}
	k := math.Exp2(float64(exposure) / 50)
	var t [256]uint8
	for v := range t {
		lin := min(srgbToLinear(float64(v)/255)*k, 1)
		t[v] = uint8(math.Round(255 * linearToSRGB(lin)))
	}
	return &t
}

// lightnessGain is Params.Shadows and Highlights as the factor each pixel's
// colour samples are multiplied by, indexed by its 8-bit luma: the tone
// curve's output over its input (params.Params documents the curve); nil
// when both are 0.
func lightnessGain(shadows, highlights int) *[256]float64 {
	if shadows == 0 && highlights == 0 {
		return nil
	}
	const strength = 2.25 // at most 3, or the curve would fold over
	s, h := float64(shadows)/100, float64(highlights)/100
	var g [256]float64
	for i := range g {
		y := float64(i) / 255
		out := y
		if y < 0.5 {
			out += s * strength * y * (1 - 2*y) * (1 - 2*y)
		} else {
			u := 1 - y
			out += h * strength * u * (1 - 2*u) * (1 - 2*u)
		}
		if i == 0 {
			g[i] = 1 + s*strength // the limit of out/y at black
		} else {
			g[i] = out / y
		}
	}
	return &g
}

// srgbToLinear and linearToSRGB are the sRGB transfer function (IEC
// 61966-2-1) and its inverse, on 0-1.
func srgbToLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func linearToSRGB(v float64) float64 {
	if v <= 0.0031308 {
		return v * 12.92
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

// colourMap is v → m·v + b on a pixel's three colour samples (m row-major).
type colourMap struct {
	m [9]float64
	b [3]float64
}

// then is the map that applies c, then v → m·v + b.
func (c colourMap) then(m [9]float64, b [3]float64) colourMap {
	var out colourMap
	for row := range 3 {
		out.b[row] = b[row]
		for k := range 3 {
			out.b[row] += m[3*row+k] * c.b[k]
			for col := range 3 {
				out.m[3*row+col] += m[3*row+k] * c.m[3*k+col]
			}
		}
	}
	return out
}

var identity3 = [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}

// sepiaMatrix is sepia(1) of the W3C Filter Effects Module Level 1
// (§ sepia(), its feColorMatrix values).
var sepiaMatrix = [9]float64{
	0.393, 0.769, 0.189,
	0.349, 0.686, 0.168,
	0.272, 0.534, 0.131,
}

// classicSepiaMatrix is the sepia of wsrv's filter=sepia (its
// filter.cpp), an older matrix than the W3C one.
var classicSepiaMatrix = [9]float64{
	0.3588, 0.7044, 0.1368,
	0.2990, 0.5870, 0.1140,
	0.2392, 0.4696, 0.0912,
}

// rec709Luma weighs R, G, B into luma (ITU-R BT.709, as the Filter
// Effects grayscale() does).
var rec709Luma = [3]float64{0.2126, 0.7152, 0.0722}

// mix3 is (1-t)·I + t·m.
func mix3(m [9]float64, t float64) [9]float64 {
	var out [9]float64
	for i := range out {
		out[i] = t*m[i] + (1-t)*identity3[i]
	}
	return out
}

// scale3 is a·I.
func scale3(a float64) [9]float64 {
	return [9]float64{a, 0, 0, 0, a, 0, 0, 0, a}
}
