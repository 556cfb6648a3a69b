package transform

// Limits bound what a request may cost. The source limits are checked from
// the header, before any pixel is decoded; the others while the steps are
// planned and run.
type Limits struct {
	MaxSourceBytes     int64 // 0: no limit
	MaxSourcePixels    int64 // width x height; 0: no limit
	MaxOutputDimension int   // longest output side in pixels; 0: no limit
	MaxFrames          int   // pages of an animated or multi-page source; 0: no limit
	// MaxWorkingPixels bounds the pixels a step may render at once: an
	// image copied to memory (for random access, trim, the smart crop,
	// background removal) or the output it encodes. Every other image is
	// lazy and only computed, strip by strip, as the output needs it.
	// The steps keep their copies at or below the source's size, so this
	// is a safety net that turns a planning mistake into a 400
	// output_too_large instead of gigabytes. 0: the largest of
	// DefaultMaxWorkingPixels, MaxSourcePixels and (1.5 x
	// MaxOutputDimension)², which holds an output of the largest size
	// turned by 45 degrees (its box is √2 times as wide and as tall).
	MaxWorkingPixels int64
	// MaxBlurSigma is the widest Gaussian blur (sigma, in pixels) run at
	// full resolution; a wider one runs on a copy reduced by
	// sigma/MaxBlurSigma and is scaled back, which looks the same (a blur
	// that wide leaves no detail the reduction would lose) and bounds the
	// cost per pixel to that of MaxBlurSigma. It applies to blur, bg-blur,
	// shadow-blur and feather. Sharpening needs no cap: its sigma is at
	// most 1.5 (sharp=100). 0: DefaultMaxBlurSigma.
	MaxBlurSigma float64
}

const (
	// DefaultMaxWorkingPixels is (1.5 x 8192)², room for the default
	// max_output_dimension's square turned by 45 degrees: 576 MiB as RGBA.
	DefaultMaxWorkingPixels = 12288 * 12288
	// DefaultMaxBlurSigma keeps a blur of a 2048² image at about 0.2 s of
	// one core at any sigma (measured: sigma 10 0.13 s, 20 0.7 s, 50 3.7 s
	// at full size; blur=2000, sigma 200, took 31 s).
	DefaultMaxBlurSigma = 10
)

// workingPixels is l.MaxWorkingPixels with its default applied.
func (l Limits) workingPixels() int64 {
	if l.MaxWorkingPixels > 0 {
		return l.MaxWorkingPixels
	}
	d := int64(l.MaxOutputDimension) * 3 / 2
	return max(DefaultMaxWorkingPixels, l.MaxSourcePixels, d*d)
}

// blurSigma is l.MaxBlurSigma with its default applied.
func (l Limits) blurSigma() float64 {
	if l.MaxBlurSigma > 0 {
		return l.MaxBlurSigma
	}
	return DefaultMaxBlurSigma
}

// Qualities are the default encoder qualities (1-100) used when a request
// gives none.
type Qualities struct {
	JPEG, WebP, AVIF int
}

// DefaultQualities matches the usual CDN defaults.
var DefaultQualities = Qualities{JPEG: 80, WebP: 80, AVIF: 60}

// Encoding holds the encoders' effort settings, which trade CPU for bytes
// without changing the requested quality.
type Encoding struct {
	PNGCompression int       // zlib level, 0 (store) to 9
	PNGFilter      PNGFilter // row filter of truecolour and grey PNGs
	AVIFEffort     int       // AV1 encoder effort, 0 (fastest) to 9
	AVIFFullChroma bool      // 4:4:4 at every quality; else 4:2:0 below quality 90
	GIFEffort      int       // palette search effort of GIF outputs, 1 (fastest) to 10
}

// DefaultEncoding is tuned for encoding on the fly (bench/PROFILE.md): zlib
// level 4 costs about half of level 6's deflate time for outputs within ~1%;
// the up filter makes photographic PNGs and cut-outs 8-36% smaller than
// unfiltered rows for 0-5% more encode time, within a few percent of
// libpng's adaptive choice, which costs 1.5-2.5x (bench/CHECKS.md);
// and AVIF effort 2 (imgproxy's default speed 8 is effort 1) is about 5x
// cheaper than libvips' default of 4 for files no larger at equal Q. GIF
// effort 4 quantises an animation about 4x faster than libvips' default of
// 7 (bench/CHECKS.md: 24 frames at 240x160, 0.65 s against 2.8 s; mean
// error 2.1 against 1.8 of 255, files within 2%), which keeps animations
// of a few hundred frames inside the request timeout.
var DefaultEncoding = Encoding{PNGCompression: 4, PNGFilter: PNGFilterUp, AVIFEffort: 2, GIFEffort: 4}

// PNGFilter names the row filter of truecolour and grey PNG outputs
// (PNG specification, section 9); palette PNGs are never filtered.
type PNGFilter string

const (
	PNGFilterNone  PNGFilter = "none"
	PNGFilterSub   PNGFilter = "sub"
	PNGFilterUp    PNGFilter = "up"
	PNGFilterAvg   PNGFilter = "avg"
	PNGFilterPaeth PNGFilter = "paeth"
	// PNGFilterAdaptive lets libpng choose, per row, the filter whose
	// output sums smallest: the smallest files, at 1.5-2.5x the encode
	// time of one filter.
	PNGFilterAdaptive PNGFilter = "adaptive"
)

// Valid reports whether f is one of the names above.
func (f PNGFilter) Valid() bool {
	_, ok := pngFilters[f]
	return ok
}

// Options configure a Pipeline.
type Options struct {
	Limits    Limits
	Qualities Qualities
	Encoding  *Encoding // nil: DefaultEncoding
	// Matter supplies mattes for background removal; nil disables it.
	Matter Matter
	// Faces finds faces for Params.Faces; nil leaves those requests to
	// their fallback (see params.Faces).
	Faces FaceFinder
}
