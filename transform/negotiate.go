package transform

import (
	"github.com/jebosio/matte/internal/accept"
	"github.com/jebosio/matte/params"
)

// NegotiateFormat picks the output format. Without auto=format, fm wins,
// and so does an fm that is not an image (json, zip); an AVIF with
// AnimatedAVIFAsWebP is WebP where the answer animates.
// With auto=format, Accept decides first (AVIF, then WebP; for an
// animation WebP), and fm, when given, is only the fallback where the
// browser takes neither, as imgix's fm docs say; an animation without fm
// falls back to GIF. A matte alone is fm, else PNG. Then a cut-out that
// keeps transparency is PNG; then the source's own format, else PNG when
// the source has alpha and JPEG when not (an opaque PNG becomes a JPEG with PNGToJPEG). A cut-out on an
// opaque background colour is opaque, so it keeps the source's format like
// any other image (a JPEG stays a JPEG, as imgix does for colorkey and
// remove.bg for format=auto). Whether an answer animates follows the fit
// decided for src (params.SourceFit), as in Process.
func NegotiateFormat(p params.Params, acceptHeader string, src Source) params.Format {
	// fm=json and fm=zip are not images a browser's Accept chooses
	// between: they win over auto=format.
	if p.Format != params.FormatSource && (!p.AutoFormat || p.Format == params.FormatJSON || p.Format == params.FormatZIP) {
		if p.Format == params.FormatAVIF && p.AnimatedAVIFAsWebP && animates(sourceFitted(p, src), src) {
			return params.FormatWebP // Matte's AVIF would be a still
		}
		return p.Format
	}
	p = sourceFitted(p, src)
	if p.Removal.Enabled && p.Removal.MaskOnly {
		if p.Format != params.FormatSource {
			return p.Format // a matte alone is not auto=format's to pick
		}
		return params.FormatPNG
	}
	if p.AutoFormat {
		if animates(p, src) {
			// An animation: Matte's AVIF would be a still.
			if accept.Listed(acceptHeader, "image/webp") {
				return params.FormatWebP
			}
			if p.Format != params.FormatSource {
				return p.Format
			}
			return params.FormatGIF
		}
		if accept.Listed(acceptHeader, "image/avif") {
			return params.FormatAVIF
		}
		if accept.Listed(acceptHeader, "image/webp") {
			return params.FormatWebP
		}
		if p.Format != params.FormatSource {
			return p.Format // fm is auto=format's fallback
		}
	}
	if p.Removal.Enabled && !(p.Background.Set && p.Background.A == 255) {
		return params.FormatPNG // keeps the cut-out's alpha
	}
	_, rightAngle := p.QuarterTurns() // any other turn leaves transparent corners
	if p.PNGToJPEG && src.Type == params.FormatPNG && !src.HasAlpha && p.Mask == params.ShapeNone && rightAngle {
		return params.FormatJPEG
	}
	if src.Type != params.FormatSource && !(p.AutoFormat && (src.Type == params.FormatGIF || src.Type == params.FormatAVIF || src.Type == params.FormatWebP)) {
		return src.Type
	}
	if src.HasAlpha || !rightAngle {
		return params.FormatPNG
	}
	return params.FormatJPEG
}

// animates reports whether p (its SourceFit decided) keeps src's frames in
// a format that holds an animation: an animated source, frames kept
// (FramesKeep, more than one picked) and steps that treat every frame
// alike (animatable).
func animates(p params.Params, src Source) bool {
	_, one := p.Animation.Single()
	return src.Animated() && animatable(p, src) && p.Frames == params.FramesKeep && !one
}
