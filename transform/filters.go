package transform

import (
	"math"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// filters runs sharp's median, threshold, normalise and tint (Params.Median,
// Threshold, Normalize, Tint), in sharp's order, then wsrv's duotone and
// Thumbor's convolution, curves (curves.go) and noise, after
// adjust: on the resized image and before any pixel is added around it.
func (j *job) filters() error {
	p := j.p
	// A window wider or taller than the image is cut to it (libvips
	// refuses one).
	if size := min(p.Median, j.img.Width(), j.img.Height()); size > 1 {
		if err := j.img.Median(size); err != nil {
			return err
		}
	}
	if p.Threshold > 0 {
		if err := j.img.GreyThreshold(p.Threshold); err != nil {
			return err
		}
	}
	if p.Normalize {
		// Two passes (the histogram, then the stretch): rendered first, as
		// the decode before it reads its source once.
		if err := j.toMemory(j.img); err != nil {
			return err
		}
		if err := j.img.Normalise(normaliseLower, normaliseUpper); err != nil {
			return err
		}
	}
	if c := p.Tint; c.Set {
		if err := j.mapGreyLab(tintTable(c, p.TintEven)); err != nil {
			return err
		}
	}
	if d := p.Duotone; d != (params.Duotone{}) {
		if err := j.mapGreyLab(duotoneTable(d)); err != nil {
			return err
		}
	}
	if c := p.Convolution; c != (params.Convolution{}) {
		weights, rows, err := c.Kernel()
		if err != nil {
			return err
		}
		if err := j.img.Convolve(weights, c.Columns, rows); err != nil {
			return err
		}
	}
	if p.Curves != (params.Curves{}) {
		if err := j.curves(); err != nil {
			return err
		}
	}
	if p.Noise > 0 {
		seed := p.NoiseSeed
		if seed == 0 {
			seed = defaultNoiseSeed
		}
		return j.img.AddNoise(float64(p.Noise)/math.Sqrt(12), seed)
	}
	return nil
}

// defaultNoiseSeed seeds Params.Noise when the URL gives no seed.
const defaultNoiseSeed = 1

// mapGreyLab recolours the image through a grey-level table as it comes
// from tintTable or duotoneTable.
func (j *job) mapGreyLab(table *[256][3]float64, err error) error {
	if err != nil {
		return err
	}
	return j.img.MapGreyLab(table)
}

// tintTable is sharp's tint as a table of grey levels: level v keeps its
// CIELAB lightness L and takes the tint's a and b weighted by
// 1 - 4(L/100 - 0.5)², full at mid-grey and none at black and white; or,
// even, in full at every level (wsrv's tint).
func tintTable(c params.Color, even bool) (*[256][3]float64, error) {
	colours := make([][3]uint8, 257) // the grey levels, then the tint
	for v := range 256 {
		colours[v] = [3]uint8{uint8(v), uint8(v), uint8(v)}
	}
	colours[256] = [3]uint8{c.R, c.G, c.B}
	lab, err := vips.SRGBToLab(colours)
	if err != nil {
		return nil, err
	}
	tint := lab[256]
	var table [256][3]float64
	for v := range 256 {
		l := lab[v][0] / 100
		w := 1 - 4*(l-0.5)*(l-0.5)
		if even {
			w = 1
		}
		table[v] = [3]float64{lab[v][0], w * tint[1], w * tint[2]}
	}
	return &table, nil
}

// duotoneTable is wsrv's duotone as a table of grey levels: level v is
// v/255 of the way from Start to Stop, in CIELAB.
func duotoneTable(d params.Duotone) (*[256][3]float64, error) {
	lab, err := vips.SRGBToLab([][3]uint8{{d.Start.R, d.Start.G, d.Start.B}, {d.Stop.R, d.Stop.G, d.Stop.B}})
	if err != nil {
		return nil, err
	}
	var table [256][3]float64
	for v := range 256 {
		t := float64(v) / 255
		for k := range 3 {
			table[v][k] = t*lab[1][k] + (1-t)*lab[0][k]
		}
	}
	return &table, nil
}

// sharp's normalise percentiles by default, the ones ipx asks for.
const normaliseLower, normaliseUpper = 1, 99
