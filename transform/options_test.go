package transform

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"testing"
)

// TestDocumentedDefaults pins the defaults the README's Caddyfile reference
// documents, as literals: png_compression 4, avif_effort 2, quality jpeg
// 80, webp 80, avif 60. It reads what a pipeline built without settings
// uses, and the zlib level a PNG is written with.
func TestDocumentedDefaults(t *testing.T) {
	pl := NewPipeline(Options{})
	if e := *pl.opts.Encoding; e.PNGCompression != 4 || e.AVIFEffort != 2 {
		t.Errorf("encoding defaults %+v, want PNG zlib level 4 and AVIF effort 2", e)
	}
	if q := pl.opts.Qualities; q.JPEG != 80 || q.WebP != 80 || q.AVIF != 60 {
		t.Errorf("quality defaults %+v, want JPEG 80, WebP 80, AVIF 60", q)
	}

	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, 4})
	res, _ := run(t, pl, encodePNG(t, img), "fm=png", "")
	// The first IDAT chunk starts with the zlib header: FLEVEL (the top
	// two bits of its second byte) is 1 for levels 2-5; 0 for levels 0-1,
	// 2 for 6 and 3 for 7-9.
	idat := bytes.Index(res.Body, []byte("IDAT"))
	if idat < 0 || idat+6 > len(res.Body) {
		t.Fatal("no IDAT chunk")
	}
	if cmf, flg := res.Body[idat+4], res.Body[idat+5]; cmf&0x0f != 8 || binary.BigEndian.Uint16([]byte{cmf, flg})%31 != 0 {
		t.Fatalf("IDAT does not start with a zlib header: % x", res.Body[idat+4:idat+6])
	} else if level := flg >> 6; level != 1 {
		t.Errorf("PNG written with zlib FLEVEL %d, want 1 (levels 2-5: the default is 4)", level)
	}
}
