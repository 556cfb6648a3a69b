package testimages

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
)

// APNG is a w x h animated PNG of one solid frame per colour, each shown
// for delay centiseconds, looping forever. Its default image (the IDAT) is
// the first frame, as the APNG spec's fcTL before IDAT makes it, so a PNG
// decoder that knows nothing of APNG sees a w x h PNG of colours[0].
func APNG(w, h int, colours []color.Color, delay int) ([]byte, error) {
	if len(colours) == 0 {
		return nil, errors.New("testimages: an APNG needs a frame")
	}
	var out bytes.Buffer
	seq := uint32(0)
	for i, c := range colours {
		frame := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				frame.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, frame); err != nil {
			return nil, err
		}
		chunks, err := PNGChunks(b.Bytes())
		if err != nil {
			return nil, err
		}
		if i == 0 {
			out.WriteString("\x89PNG\r\n\x1a\n")
			WritePNGChunk(&out, "IHDR", chunks[0].Data) // the encoder writes IHDR first
			actl := binary.BigEndian.AppendUint32(nil, uint32(len(colours)))
			WritePNGChunk(&out, "acTL", binary.BigEndian.AppendUint32(actl, 0))
		}
		// fcTL: sequence, width, height, x, y, delay num/den, dispose, blend.
		fctl := binary.BigEndian.AppendUint32(nil, seq)
		fctl = binary.BigEndian.AppendUint32(fctl, uint32(w))
		fctl = binary.BigEndian.AppendUint32(fctl, uint32(h))
		fctl = binary.BigEndian.AppendUint32(fctl, 0)
		fctl = binary.BigEndian.AppendUint32(fctl, 0)
		fctl = binary.BigEndian.AppendUint16(fctl, uint16(delay))
		fctl = binary.BigEndian.AppendUint16(fctl, 100)
		fctl = append(fctl, 0, 0)
		WritePNGChunk(&out, "fcTL", fctl)
		seq++
		for _, ch := range chunks {
			if ch.Type != "IDAT" {
				continue
			}
			if i == 0 {
				WritePNGChunk(&out, "IDAT", ch.Data)
				continue
			}
			WritePNGChunk(&out, "fdAT", append(binary.BigEndian.AppendUint32(nil, seq), ch.Data...))
			seq++
		}
	}
	WritePNGChunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

// PNGChunk is one chunk of a PNG: its type and data.
type PNGChunk struct {
	Type string
	Data []byte
}

// PNGChunks splits a well-formed PNG into its chunks (no CRC check).
func PNGChunks(p []byte) ([]PNGChunk, error) {
	if len(p) < 8 || string(p[:8]) != "\x89PNG\r\n\x1a\n" {
		return nil, errors.New("testimages: not a PNG")
	}
	var chunks []PNGChunk
	for off := 8; off < len(p); {
		if len(p)-off < 12 {
			return nil, errors.New("testimages: truncated PNG")
		}
		n := int(binary.BigEndian.Uint32(p[off:]))
		if n > len(p)-off-12 {
			return nil, errors.New("testimages: truncated PNG")
		}
		chunks = append(chunks, PNGChunk{Type: string(p[off+4 : off+8]), Data: p[off+8 : off+8+n]})
		off += 12 + n
	}
	return chunks, nil
}

// WritePNGChunk appends a chunk of type typ holding data, with its CRC.
func WritePNGChunk(b *bytes.Buffer, typ string, data []byte) {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(data)))
	copy(hdr[4:], typ)
	b.Write(hdr[:])
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:])
	crc.Write(data)
	b.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32()))
}
