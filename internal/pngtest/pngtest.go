// Package pngtest reads, in tests, how a PNG was written: the filter type
// of each row (PNG specification, section 9: 0 none, 1 sub, 2 up,
// 3 average, 4 Paeth).
package pngtest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// RowFilters is the filter type byte of each row of a non-interlaced PNG,
// read from its inflated IDAT data.
func RowFilters(b []byte) ([]byte, error) {
	if len(b) < 33 || !bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")) || string(b[12:16]) != "IHDR" {
		return nil, errors.New("not a PNG with an IHDR first")
	}
	w, h := int(binary.BigEndian.Uint32(b[16:])), int(binary.BigEndian.Uint32(b[20:]))
	depth, colourType, interlace := int(b[24]), b[25], b[28]
	if interlace != 0 {
		return nil, errors.New("an interlaced PNG")
	}
	channels, ok := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colourType]
	if !ok {
		return nil, fmt.Errorf("colour type %d", colourType)
	}
	var idat []byte
	for at := 8; at+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[at:]))
		if n < 0 || at+12+n > len(b) {
			return nil, errors.New("a truncated chunk")
		}
		if string(b[at+4:at+8]) == "IDAT" {
			idat = append(idat, b[at+8:at+8+n]...)
		}
		at += 12 + n
	}
	zr, err := zlib.NewReader(bytes.NewReader(idat))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	stride := 1 + (w*channels*depth+7)/8
	if len(raw) != stride*h {
		return nil, fmt.Errorf("%d bytes of rows, want %d x %d", len(raw), h, stride)
	}
	types := make([]byte, h)
	for y := range h {
		types[y] = raw[y*stride]
	}
	return types, nil
}
