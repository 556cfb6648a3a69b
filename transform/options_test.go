package transform

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/jebosio/matte/internal/pngtest"
)

// TestDocumentedDefaults pins the defaults the README's Caddyfile reference
// documents, as literals: png_compression 4, png_filter up, avif_effort 2,
// quality jpeg 80, webp 80, avif 60. It reads what a pipeline built
// without settings uses, and the zlib level and row filters a PNG is
// written with.
func TestDocumentedDefaults(t *testing.T) {
	pl := NewPipeline(Options{})
	if e := *pl.opts.Encoding; e.PNGCompression != 4 || e.PNGFilter != "up" || e.AVIFEffort != 2 {
		t.Errorf("encoding defaults %+v, want PNG zlib level 4, filter up and AVIF effort 2", e)
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
	for i, f := range pngRowFilters(t, res.Body) {
		if f != 2 {
			t.Fatalf("row %d filtered with type %d, want 2 (up) on every row", i, f)
		}
	}
}

// TestPNGFilters: png_filter sets the filter type byte of every row (PNG
// specification, section 9: 0 none, 1 sub, 2 up, 3 average, 4 Paeth), the
// pixels stay the same, and a palette PNG is never filtered.
func TestPNGFilters(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 48, 40))
	for y := range 40 {
		for x := range 48 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 5), uint8(y * 6), uint8(x * y), uint8(255 - x)})
		}
	}
	src := encodePNG(t, img)
	var want []byte
	for _, tc := range []struct {
		filter PNGFilter
		types  []byte // the types rows may have
	}{
		{PNGFilterNone, []byte{0}}, {PNGFilterSub, []byte{1}}, {PNGFilterUp, []byte{2}},
		{PNGFilterAvg, []byte{3}}, {PNGFilterPaeth, []byte{4}}, {PNGFilterAdaptive, []byte{0, 1, 2, 3, 4}},
	} {
		pl := NewPipeline(Options{Encoding: &Encoding{PNGCompression: 4, PNGFilter: tc.filter}})
		res, _ := run(t, pl, src, "fm=png", "")
		for i, f := range pngRowFilters(t, res.Body) {
			if !bytes.Contains(tc.types, []byte{f}) {
				t.Errorf("%s: row %d has filter type %d, want one of %v", tc.filter, i, f, tc.types)
				break
			}
		}
		dec, err := png.Decode(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		got := dec.(*image.NRGBA).Pix
		if want == nil {
			want = got
			if !bytes.Equal(want, img.Pix) {
				t.Fatalf("%s: pixels differ from the source's", tc.filter)
			}
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: pixels differ from the unfiltered PNG's", tc.filter)
		}
		if tc.filter == PNGFilterUp {
			palette, _ := run(t, pl, src, "fm=png8", "")
			for i, f := range pngRowFilters(t, palette.Body) {
				if f != 0 {
					t.Fatalf("fm=png8: row %d has filter type %d, want 0 (none)", i, f)
				}
			}
		}
	}
}

// pngRowFilters is pngtest.RowFilters, failing t on an error.
func pngRowFilters(t *testing.T, b []byte) []byte {
	t.Helper()
	types, err := pngtest.RowFilters(b)
	if err != nil {
		t.Fatal(err)
	}
	return types
}
