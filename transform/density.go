package transform

import "encoding/binary"

// withJFIFDensity returns the JPEG jpg stating dpi dots per inch on both
// axes: the density of its JFIF APP0 segment (right after SOI) replaced,
// or, when it has none (libvips writes none once metadata is stripped), a
// JFIF 1.01 segment inserted after SOI. Anything that is not a JPEG
// starting with SOI is returned as it is. dpi is 1-65535.
func withJFIFDensity(jpg []byte, dpi int) []byte {
	if len(jpg) < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		return jpg
	}
	d := uint16(dpi)
	// APP0 "JFIF\0": FF E0, length 16, identifier, version, units, X, Y
	// density, no thumbnail.
	if len(jpg) >= 20 && jpg[2] == 0xFF && jpg[3] == 0xE0 && string(jpg[6:11]) == "JFIF\x00" {
		out := append([]byte(nil), jpg...)
		out[13] = 1 // dots per inch
		binary.BigEndian.PutUint16(out[14:], d)
		binary.BigEndian.PutUint16(out[16:], d)
		return out
	}
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(app0[12:], d)
	binary.BigEndian.PutUint16(app0[14:], d)
	out := make([]byte, 0, len(jpg)+len(app0))
	out = append(out, jpg[:2]...)
	out = append(out, app0...)
	return append(out, jpg[2:]...)
}
