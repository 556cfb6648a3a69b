package transform

import (
	"archive/zip"
	"bytes"
	"time"

	"github.com/jebosio/matte/params"
)

// encodeZIP writes remove.bg's ZIP: color.jpg (the subject's colours, no
// alpha) and alpha.png (the 8-bit matte), which recompose to the PNG.
func (j *job) encodeZIP() error {
	if j.format != params.FormatZIP {
		return nil
	}
	img := j.img
	if err := j.fits(img); err != nil {
		return err
	}
	rgb, err := img.ExtractBand(0, 3)
	if err != nil {
		return err
	}
	color, err := save(rgb, params.FormatJPEG, saveOptions{Quality: j.quality(), Chroma: j.p.Chroma, Enc: j.pl.opts.Encoding})
	rgb.Close()
	if err != nil {
		return err
	}
	a, err := img.ExtractBand(img.Bands()-1, 1)
	if err != nil {
		return err
	}
	alpha, err := save(a, params.FormatPNG, saveOptions{Enc: j.pl.opts.Encoding})
	a.Close()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	now := time.Now().UTC()
	for _, f := range []struct {
		name string
		data []byte
	}{{"color.jpg", color}, {"alpha.png", alpha}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: now})
		if err != nil {
			return err
		}
		if _, err := w.Write(f.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	j.setResult(buf.Bytes())
	return nil
}
