package transform

import "encoding/binary"

// maxAPNGChunks bounds how many chunk headers apngFrames reads before it
// gives up: the chunks a PNG may hold before its first IDAT (IHDR, PLTE,
// colour and text chunks) are few, so a source with more is read as a
// still rather than walked to its end.
const maxAPNGChunks = 64

// pngSignature is the 8 bytes every PNG starts with (PNG spec, 5.2).
const pngSignature = "\x89PNG\r\n\x1a\n"

// apngFrames is the num_frames of buf's acTL chunk when buf is an animated
// PNG of more than one frame, else 0. The APNG spec: "To be recognized as
// an APNG, an `acTL` chunk must appear in the stream before any `IDAT`
// chunks", and acTL's data is num_frames then num_plays, each 4 bytes
// (length 8). An acTL after the first IDAT, of another length, or saying
// 0 or 1 frames does not count. It reads only chunk headers (and acTL's
// 8 bytes), stops at the first IDAT, at a chunk that runs past buf or
// past the spec's 2^31-1 byte limit, and after maxAPNGChunks chunks; it
// does not check CRCs (libvips, which decodes the PNG, does).
func apngFrames(buf []byte) int {
	if len(buf) < len(pngSignature) || string(buf[:len(pngSignature)]) != pngSignature {
		return 0
	}
	off := len(pngSignature)
	for range maxAPNGChunks {
		if len(buf)-off < 8 {
			return 0
		}
		n := binary.BigEndian.Uint32(buf[off:])
		typ := string(buf[off+4 : off+8])
		if n > 1<<31-1 || uint64(n)+12 > uint64(len(buf)-off) {
			return 0 // PNG spec 5.3: a length is at most 2^31-1; or truncated
		}
		switch typ {
		case "IDAT":
			return 0
		case "acTL":
			if n != 8 {
				return 0
			}
			frames := binary.BigEndian.Uint32(buf[off+8:])
			if frames < 2 || frames > 1<<31-1 {
				return 0
			}
			return int(frames)
		}
		off += 12 + int(n)
	}
	return 0
}
