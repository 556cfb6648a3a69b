package transform

import (
	"errors"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

func (j *job) quality() int {
	if j.p.Quality > 0 {
		return j.p.Quality
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
	body, err := save(j.img, j.format, j.quality(), j.p.Lossless, variant, j.pl.opts.Encoding)
	if err != nil {
		return err
	}
	j.setResult(body)
	return nil
}

func (j *job) setResult(body []byte) {
	j.res.Body, j.res.Format, j.res.Width, j.res.Height = body, j.format, j.img.Width(), j.img.Height()
	j.res.Model = j.model.ID
}

// save encodes img in format f; quality is 1-100; variant is f's (see
// params.Variant; VariantRGBA needs img to have alpha already).
func save(img *vips.Image, f params.Format, quality int, lossless bool, variant params.Variant, enc *Encoding) ([]byte, error) {
	switch f {
	case params.FormatJPEG:
		return img.SaveJPEG(quality, variant == params.VariantProgressive)
	case params.FormatPNG:
		return img.SavePNG(enc.PNGCompression, variant == params.VariantPalette)
	case params.FormatWebP:
		return img.SaveWebP(quality, lossless)
	case params.FormatAVIF:
		return img.SaveAVIF(quality, lossless, enc.AVIFEffort, enc.AVIFFullChroma)
	case params.FormatGIF:
		return img.SaveGIF()
	}
	return nil, errors.New("no encoder for format")
}
