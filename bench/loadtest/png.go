package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// writePNGRows writes a valid w x h 8-bit greyscale PNG of black pixels,
// streaming the rows through zlib, so a 20000x20000 image costs a few hundred
// KB of output and no pixel buffer.
func writePNGRows(out io.Writer, w, h int) error {
	chunk := func(typ string, data []byte) error {
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
		copy(hdr[4:], typ)
		crc := crc32.NewIEEE()
		crc.Write(hdr[4:])
		crc.Write(data)
		var tail [4]byte
		binary.BigEndian.PutUint32(tail[:], crc.Sum32())
		for _, p := range [][]byte{hdr[:], data, tail[:]} {
			if _, err := out.Write(p); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := out.Write([]byte("\x89PNG\r\n\x1a\n")); err != nil {
		return err
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth; colour type 0 (grey), deflate, filter 0, no interlace
	if err := chunk("IHDR", ihdr); err != nil {
		return err
	}
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+w) // filter byte 0 + w black pixels
	for y := 0; y < h; y++ {
		if _, err := zw.Write(row); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := chunk("IDAT", idat.Bytes()); err != nil {
		return err
	}
	return chunk("IEND", nil)
}
