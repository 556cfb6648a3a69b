package transform

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/jebosio/matte/params"
	"github.com/jebosio/matte/transform/vips"
)

// Source describes a probed source image.
type Source struct {
	Type          params.Format // FormatSource when Matte cannot encode the type (TIFF, HEIF)
	TypeName      string
	Width, Height int // after EXIF orientation
	HasAlpha      bool
	Pages         int
	// APNGFrames is the frame count of an animated PNG (apngFrames: its
	// acTL's num_frames, more than one), 0 for every other source. It is
	// for the one decision that answers an animated source as stored
	// (caddymodule's asStored, for params.FramesSource) and nothing else:
	// libvips has no APNG loader, so Pages stays 1 and every transform
	// reads the PNG's default image, as it did before this was counted.
	APNGFrames int
	// Hash identifies the source's content (the caller's hex hash: BLAKE3); the
	// Matter caches mattes under it.
	Hash string
}

// Animated reports whether s has frames the pipeline plays: a GIF or WebP
// of more than one.
func (s Source) Animated() bool {
	return s.Pages > 1 && (s.Type == params.FormatGIF || s.Type == params.FormatWebP)
}

// AnimatedAsStored reports whether s, as stored, is an animation: Animated,
// or an animated PNG (APNGFrames), which the pipeline reads as a still.
func (s Source) AnimatedAsStored() bool {
	return s.Animated() || s.Type == params.FormatPNG && s.APNGFrames > 1
}

// Probe sniffs buf's type and reads its header, then checks the source
// limits. No pixels are decoded.
func (pl *Pipeline) Probe(buf []byte) (Source, error) {
	lim := pl.opts.Limits
	if lim.MaxSourceBytes > 0 && int64(len(buf)) > lim.MaxSourceBytes {
		return Source{}, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge, Title: "Source too large",
			Detail: fmt.Sprintf("The source image is larger than %d bytes.", lim.MaxSourceBytes)}
	}
	name := vips.Sniff(buf)
	t, ok := params.LookupSourceType(name)
	if !ok {
		return Source{}, &params.Error{Status: http.StatusUnsupportedMediaType, Code: params.CodeUnknownFormat, Title: "Unsupported source",
			Detail: "The source is not a supported image (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF)."}
	}
	s := Source{Type: t.Format, TypeName: name}
	hd, err := vips.ReadHeader(buf)
	if err != nil {
		return Source{}, corrupt(err)
	}
	s.Width, s.Height, s.HasAlpha, s.Pages = hd.Width, hd.Height, hd.HasAlpha, hd.Pages
	if t.Format == params.FormatPNG {
		s.APNGFrames = apngFrames(buf)
	}
	if s.Width <= 0 || s.Height <= 0 {
		return Source{}, corrupt(errors.New("empty image"))
	}
	if lim.MaxSourcePixels > 0 && int64(s.Width)*int64(s.Height) > lim.MaxSourcePixels {
		return Source{}, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeResolutionTooHigh, Title: "Resolution too high",
			Detail: fmt.Sprintf("The source is %dx%d; at most %.1f megapixels are allowed.", s.Width, s.Height, float64(lim.MaxSourcePixels)/1e6),
			Cause:  &params.SourceSize{Width: s.Width, Height: s.Height}}
	}
	if lim.MaxFrames > 0 && s.Pages > lim.MaxFrames {
		return Source{}, &params.Error{Status: http.StatusRequestEntityTooLarge, Code: params.CodeSourceTooLarge, Title: "Too many frames",
			Detail: fmt.Sprintf("The source has %d frames; at most %d are allowed.", s.Pages, lim.MaxFrames)}
	}
	return s, nil
}

// reoriented is src as the pipeline sees it under Params.Orientation o:
// its size swapped when o and the source's own EXIF orientation disagree
// on whether the image lies on its side, and its Hash marked, since a
// matte made of the image so turned is not the source's.
func reoriented(buf []byte, src Source, o int) (Source, error) {
	hd, err := vips.ReadHeader(buf)
	if err != nil {
		return Source{}, corrupt(err)
	}
	if vips.OnSide(o) != vips.OnSide(hd.Orientation) {
		src.Width, src.Height = src.Height, src.Width
	}
	if src.Hash != "" {
		src.Hash += ";or=" + strconv.Itoa(o)
	}
	return src, nil
}

// jpegShrink is the largest JPEG shrink-on-load factor (8, 4 or 2; 1 for
// none or a source that is not a JPEG) that still decodes s to at least
// width x height (both after EXIF orientation, as Source's), so the final
// resize only ever reduces.
func (s Source) jpegShrink(width, height int) int {
	if s.Type != params.FormatJPEG || width <= 0 || height <= 0 {
		return 1
	}
	for _, n := range []int{8, 4, 2} {
		if s.Width >= n*width && s.Height >= n*height {
			return n
		}
	}
	return 1
}
