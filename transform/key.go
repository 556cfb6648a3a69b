package transform

import (
	"strconv"
	"strings"
)

// Key returns a canonical string for p, fit to be part of a cache key and an
// ETag. It lists the fields that differ from their zero value, in a fixed
// order, as name=value pairs joined by ",":
//
//	w=800,h=600,dpr=2,fit=crop,crop=top-left,rect=10:20:300:200,rot=90,
//	flip=hv,fm=webp,auto=format,q=80,lossless=1,bg=ffffffff,blur=20,
//	sharp=10,trim=1,pad=4
//
// (one line in fact). Enums use their String names, floats strconv's 'g'
// with precision -1, colours Color.Hex. The zero Params gives "".
//
// Key is stable: the names, order and formats above never change within a
// PipelineVersion, equal Params give equal keys, and different Params give
// different keys (floats being compared as numbers: -0 is 0; NaN, which
// ParseQuery never returns, is outside the contract).
func (p Params) Key() string {
	var b strings.Builder
	add := func(name, value string) {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(value)
	}
	addInt := func(name string, v int) {
		if v != 0 {
			add(name, strconv.Itoa(v))
		}
	}
	addFloat := func(name string, v float64) {
		if v != 0 { // also drops -0, which equals 0
			add(name, strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	addBool := func(name string, v bool) {
		if v {
			add(name, "1")
		}
	}

	addInt("w", p.Width)
	addInt("h", p.Height)
	addFloat("dpr", p.DPR)
	if p.Fit != FitClip {
		add("fit", p.Fit.String())
	}
	if p.Crop != CropCenter {
		add("crop", p.Crop.String())
	}
	if r := p.Rect; r != (Rect{}) {
		add("rect", strconv.Itoa(r.X)+":"+strconv.Itoa(r.Y)+":"+strconv.Itoa(r.W)+":"+strconv.Itoa(r.H))
	}
	addFloat("rot", p.Rotate)
	if p.Flip != FlipNone {
		add("flip", p.Flip.String())
	}
	if p.Format != FormatSource {
		add("fm", p.Format.String())
	}
	if p.AutoFormat {
		add("auto", "format")
	}
	addInt("q", p.Quality)
	addBool("lossless", p.Lossless)
	if c := p.Background; c != (Color{}) {
		if c.Set {
			add("bg", c.Hex())
		} else { // not made by ParseColor; kept apart from any Set colour
			add("bg", "unset:"+Color{R: c.R, G: c.G, B: c.B, A: c.A, Set: true}.Hex())
		}
	}
	addInt("blur", p.Blur)
	addInt("sharp", p.Sharpen)
	addBool("trim", p.Trim)
	addInt("pad", p.Pad)
	return b.String()
}
