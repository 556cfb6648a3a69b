package transform

import (
	"errors"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

func (j *job) quality() int {
	if q := j.p.QualityFor(j.format); q > 0 {
		return q
	}
	q := j.pl.opts.Qualities
	switch j.format {
	case params.FormatWebP:
		return q.WebP
	case params.FormatAVIF:
		return q.AVIF
	}
	return q.JPEG
}

// encode renders the image in the output format (a ZIP is the zip step's).
func (j *job) encode() error {
	if j.format == params.FormatZIP {
		return nil
	}
	if err := j.fits(j.img); err != nil {
		return err
	}
	if j.p.Removal.Enabled && !j.p.Removal.MaskOnly && j.img.HasAlpha() {
		// A cut-out's invisible pixels keep the old background's
		// colours; zeroed, they cost the encoder nothing (PNG: half
		// the deflate time, and smaller files).
		if err := j.img.ClearTransparent(); err != nil {
			return err
		}
	}
	variant := j.p.Variant.For(j.format)
	if variant == params.VariantRGBA {
		if err := j.img.AddAlpha(); err != nil {
			return err
		}
	}
	if j.p.DPI > 0 && j.format == params.FormatPNG {
		if err := j.img.SetResolution(float64(j.p.DPI) / 25.4); err != nil {
			return err
		}
	}
	body, err := save(j.img, j.format, saveOptions{Quality: j.quality(), Lossless: j.p.Lossless, Variant: variant, Chroma: j.p.Chroma,
		JPEG: j.p.JPEGOptions, PNG: j.p.PNGOptions, WebP: j.p.WebPOptions, Enc: j.pl.opts.Encoding})
	if err != nil {
		return err
	}
	if j.p.DPI > 0 && j.format == params.FormatJPEG {
		body = withJFIFDensity(body, j.p.DPI)
	}
	j.setResult(body)
	return nil
}

func (j *job) setResult(body []byte) {
	j.res.Body, j.res.Format, j.res.Width, j.res.Height = body, j.format, j.img.Width(), j.img.Height()
	j.res.Model = j.model.ID
}

// saveOptions are an encode's settings: Quality 1-100, Lossless (WebP,
// AVIF), Variant (see params.Variant; VariantRGBA needs the image to have
// alpha already), Chroma (params.Params.Chroma), the per-format options
// (params.JPEGOptions, PNGOptions, WebPOptions) and the configured
// Encoding.
type saveOptions struct {
	Quality  int
	Lossless bool
	Variant  params.Variant
	Chroma   int
	JPEG     params.JPEGOptions
	PNG      params.PNGOptions
	WebP     params.WebPOptions
	Enc      *Encoding
}

// webpPresets are libvips' numbers of params' WebP presets.
var webpPresets = [...]vips.WebPPreset{
	params.WebPPresetDefault: vips.WebPPresetDefault, params.WebPPresetPhoto: vips.WebPPresetPhoto,
	params.WebPPresetPicture: vips.WebPPresetPicture, params.WebPPresetDrawing: vips.WebPPresetDrawing,
	params.WebPPresetIcon: vips.WebPPresetIcon, params.WebPPresetText: vips.WebPPresetText,
}

// pngFilters are libvips' filter sets for PNGFilter's names.
var pngFilters = map[PNGFilter]vips.PNGFilter{
	PNGFilterNone: vips.PNGFilterNone, PNGFilterSub: vips.PNGFilterSub, PNGFilterUp: vips.PNGFilterUp,
	PNGFilterAvg: vips.PNGFilterAvg, PNGFilterPaeth: vips.PNGFilterPaeth, PNGFilterAdaptive: vips.PNGFilterAll,
}

// save encodes img in format f.
func save(img *vips.Image, f params.Format, o saveOptions) ([]byte, error) {
	subsample := vips.SubsampleAuto
	switch o.Chroma {
	case 444:
		subsample = vips.SubsampleOff
	case 420:
		subsample = vips.SubsampleOn
	}
	switch f {
	case params.FormatJPEG:
		progressive := o.Variant == params.VariantProgressive
		j := o.JPEG
		moz := vips.MozJPEGOptions{TrellisQuant: j.TrellisQuant, OvershootDeringing: j.OvershootDeringing,
			OptimizeScans: j.OptimizeScans && progressive, QuantTable: j.QuantTable}
		return img.SaveJPEG(o.Quality, progressive, subsample, moz)
	case params.FormatPNG:
		colours := o.PNG.PaletteColors
		if o.Variant == params.VariantPalette && colours == 0 {
			colours = 256
		}
		return img.SavePNG(o.Enc.PNGCompression, pngFilters[o.Enc.PNGFilter], o.PNG.Interlace, colours)
	case params.FormatWebP:
		w := o.WebP
		wo := vips.WebPOptions{Lossless: o.Lossless || w.Compression == params.WebPLossless,
			NearLossless: w.Compression == params.WebPNearLossless, SmartSubsample: w.SmartSubsample}
		if int(w.Preset) < len(webpPresets) {
			wo.Preset = webpPresets[w.Preset]
		}
		return img.SaveWebP(o.Quality, wo)
	case params.FormatAVIF:
		if o.Chroma == 0 && o.Enc.AVIFFullChroma {
			subsample = vips.SubsampleOff
		}
		return img.SaveAVIF(o.Quality, o.Lossless, o.Enc.AVIFEffort, subsample)
	case params.FormatGIF:
		return img.SaveGIF(o.Enc.GIFEffort)
	}
	return nil, errors.New("no encoder for format")
}
