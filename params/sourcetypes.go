package params

import "slices"

// SourceType is an image type Matte reads, named as vips.Sniff names it
// ("jpeg", "heif").
type SourceType struct {
	Name string
	// Format is the output format of the same type; FormatSource for TIFF
	// and HEIF, which Matte reads but does not write.
	Format Format
	// Ext is a file name extension for the type, without the dot.
	Ext         string
	ContentType string
}

// sourceTypes are the image types Matte reads: the probe accepts them, the
// playground keeps them, and fm=json names them.
var sourceTypes = []SourceType{
	{"jpeg", FormatJPEG, "jpg", "image/jpeg"},
	{"png", FormatPNG, "png", "image/png"},
	{"webp", FormatWebP, "webp", "image/webp"},
	{"gif", FormatGIF, "gif", "image/gif"},
	{"avif", FormatAVIF, "avif", "image/avif"},
	{"tiff", FormatSource, "tif", "image/tiff"},
	{"heif", FormatSource, "heic", "image/heic"},
}

// SourceTypes lists the image types Matte reads.
func SourceTypes() []SourceType { return slices.Clone(sourceTypes) }

// LookupSourceType returns the source type named name (vips.Sniff's
// name); ok is false for a type Matte does not read.
func LookupSourceType(name string) (SourceType, bool) {
	i := slices.IndexFunc(sourceTypes, func(t SourceType) bool { return t.Name == name })
	if i < 0 {
		return SourceType{}, false
	}
	return sourceTypes[i], true
}
