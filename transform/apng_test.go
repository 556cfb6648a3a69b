package transform

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"testing"

	"github.com/jebosio/matte/internal/testimages"
	"github.com/jebosio/matte/params"
)

// apngOf builds a PNG from chunks (type, data) after the signature, each
// with its CRC.
func apngOf(chunks ...testimages.PNGChunk) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	for _, c := range chunks {
		testimages.WritePNGChunk(&b, c.Type, c.Data)
	}
	return b.Bytes()
}

// acTL is an acTL chunk's data: num_frames, then num_plays (APNG spec,
// "acTL: The Animation Control Chunk": two 4-byte unsigned ints).
func acTL(frames uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, frames), 0)
}

func TestAPNGFrames(t *testing.T) {
	two, err := testimages.APNG(8, 4, []color.Color{red, blue}, 10)
	if err != nil {
		t.Fatal(err)
	}
	three, err := testimages.APNG(8, 4, []color.Color{red, green, blue}, 10)
	if err != nil {
		t.Fatal(err)
	}
	still := encodePNG(t, halves(8, 4, green, clear))
	chunks, err := testimages.PNGChunks(still)
	if err != nil {
		t.Fatal(err)
	}
	ihdr, idat, iend := chunks[0], chunks[1], chunks[len(chunks)-1]
	if ihdr.Type != "IHDR" || idat.Type != "IDAT" || iend.Type != "IEND" {
		t.Fatalf("the still PNG's chunks: %v, %v, %v", ihdr.Type, idat.Type, iend.Type)
	}
	text := testimages.PNGChunk{Type: "tEXt", Data: []byte("Comment\x00x")}
	chunk := func(typ string, data []byte) testimages.PNGChunk { return testimages.PNGChunk{Type: typ, Data: data} }
	texts := func(n int) []testimages.PNGChunk {
		out := []testimages.PNGChunk{ihdr}
		for range n {
			out = append(out, text)
		}
		return out
	}
	// withLength sets the length field of the chunk at byte off of p.
	withLength := func(p []byte, off int, n uint32) []byte {
		p = bytes.Clone(p)
		binary.BigEndian.PutUint32(p[off:], n)
		return p
	}
	actlFirst := apngOf(ihdr, chunk("acTL", acTL(2)), idat, iend)
	const actlAt = 8 + 12 + 13 // after the signature and IHDR (13 bytes of data)

	for _, tc := range []struct {
		name string
		buf  []byte
		want int
	}{
		{"still PNG", still, 0},
		{"APNG of 2 frames", two, 2},
		{"APNG of 3 frames", three, 3},
		{"acTL first, IDAT after", actlFirst, 2},
		{"acTL after text chunks", apngOf(append(texts(3), chunk("acTL", acTL(5)), idat, iend)...), 5},
		{"acTL after IDAT: not an APNG", apngOf(ihdr, idat, chunk("acTL", acTL(2)), iend), 0},
		{"acTL of 1 frame: a still", apngOf(ihdr, chunk("acTL", acTL(1)), idat, iend), 0},
		{"acTL of 0 frames", apngOf(ihdr, chunk("acTL", acTL(0)), idat, iend), 0},
		{"acTL of 2^32-1 frames: past the spec's 2^31-1", apngOf(ihdr, chunk("acTL", acTL(1<<32-1)), idat, iend), 0},
		{"acTL of 2^31-1 frames", apngOf(ihdr, chunk("acTL", acTL(1<<31-1)), idat, iend), 1<<31 - 1},
		{"acTL of 4 bytes", apngOf(ihdr, chunk("acTL", acTL(2)[:4]), idat, iend), 0},
		{"acTL of 12 bytes", apngOf(ihdr, chunk("acTL", append(acTL(2), 0, 0, 0, 0)), idat, iend), 0},
		{"truncated in acTL's data", actlFirst[:actlAt+8+4], 0},
		{"truncated before acTL's CRC", actlFirst[:actlAt+8+8], 0},
		{"truncated in a chunk header", actlFirst[:actlAt+6], 0},
		{"signature only", actlFirst[:8], 0},
		{"huge chunk length before acTL", withLength(apngOf(ihdr, text, chunk("acTL", acTL(2)), idat, iend), actlAt, 1<<31-1), 0},
		{"chunk length past 2^31-1", withLength(apngOf(ihdr, text, chunk("acTL", acTL(2)), idat, iend), actlAt, 1<<32-1), 0},
		{"IHDR length 2^32-12 (wraps to 0 with the header)", withLength(actlFirst, 8, 1<<32-12), 0},
		{"acTL as the 64th chunk", apngOf(append(texts(62), chunk("acTL", acTL(2)), idat, iend)...), 2},
		{"acTL as the 65th chunk: past the cap", apngOf(append(texts(63), chunk("acTL", acTL(2)), idat, iend)...), 0},
		{"not a PNG", []byte("GIF89a\x01\x00\x01\x00acTL\x00\x00\x00\x02"), 0},
		{"empty", nil, 0},
	} {
		if got := apngFrames(tc.buf); got != tc.want {
			t.Errorf("%s: apngFrames = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// The probe records an APNG's frames in APNGFrames and nowhere else:
// libvips reads its default image, one page, and every transform keeps
// doing so.
func TestProbeAPNG(t *testing.T) {
	anim, err := testimages.APNG(8, 4, []color.Color{red, blue}, 10)
	if err != nil {
		t.Fatal(err)
	}
	pl := NewPipeline(Options{})
	for _, tc := range []struct {
		name   string
		buf    []byte
		frames int
	}{
		{"APNG", anim, 2},
		{"still PNG", encodePNG(t, halves(8, 4, green, clear)), 0},
		{"animated GIF", animatedGIFOf(t), 0},
	} {
		s, err := pl.Probe(tc.buf)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if s.APNGFrames != tc.frames {
			t.Errorf("%s: APNGFrames %d, want %d", tc.name, s.APNGFrames, tc.frames)
		}
		if tc.name == "APNG" && (s.Type != params.FormatPNG || s.Pages != 1 || s.Width != 8 || s.Height != 4) {
			t.Errorf("APNG probed as %v %dx%d of %d pages; want a PNG 8x4 of 1 page", s.Type, s.Width, s.Height, s.Pages)
		}
	}
	// A transform of the APNG is of its default image, as before: a still.
	p := params.Params{Width: 4}
	s, _ := pl.Probe(anim)
	res, err := pl.Process(t.Context(), &Request{Source: anim, Info: s, Params: p, Format: NegotiateFormat(p, "", s)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != params.FormatPNG || res.Width != 4 || res.Height != 2 {
		t.Errorf("transformed APNG: %v %dx%d, want a PNG 4x2", res.Format, res.Width, res.Height)
	}
}

func animatedGIFOf(t *testing.T) []byte {
	t.Helper()
	b, err := testimages.AnimatedGIF(8, 4, []color.Color{red, blue}, []int{5, 5})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzAPNGFrames: apngFrames never panics, and only a PNG holding an acTL
// chunk is counted, with more than one frame.
func FuzzAPNGFrames(f *testing.F) {
	anim, err := testimages.APNG(4, 2, []color.Color{red, blue}, 10)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(anim)
	f.Add(anim[:len(anim)/2])
	f.Add(encodePNG(f, halves(4, 2, green, clear)))
	f.Add([]byte("\x89PNG\r\n\x1a\n\xff\xff\xff\xffacTL"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		n := apngFrames(buf)
		if n == 0 {
			return
		}
		if n < 2 || !bytes.HasPrefix(buf, []byte(pngSignature)) || !bytes.Contains(buf, []byte("acTL")) {
			t.Fatalf("apngFrames = %d of %q", n, buf)
		}
	})
}
