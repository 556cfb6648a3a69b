package params

import (
	"errors"
	"strconv"
	"strings"
)

// Params is one canonical transform request, whatever dialect it came from
// (URL query, remove.bg form, ...). It is comparable, so two requests that
// mean the same thing are equal, and Key() is stable across releases of the
// same PipelineVersion.
//
// The zero value means "no transform": IsZero reports it, and the handler
// then passes the response through untouched.
type Params struct {
	// Width and Height are the requested output box in CSS pixels; 0 means
	// "derive from the other side and the aspect ratio". DPR multiplies both.
	Width, Height int
	// WidthRatio and HeightRatio, in (0, 1], ask for that fraction of the
	// image's width or height (after Rect) in place of Width or Height
	// (imgix w=0.5). DPR multiplies them as it does Width and Height.
	WidthRatio, HeightRatio float64
	// DPR is the device pixel ratio, 1 to 5; 0 means 1.
	DPR float64
	// ClientHints are the request headers this URL lets override its
	// parameters (imgix ch): the handler applies them (and says Vary) before
	// the Params are keyed.
	ClientHints Hints
	Fit         Fit
	// AspectRatio is the output's width ÷ height (imgix ar) for FitCrop,
	// FitFill and FitFillMax: with one side given as a ratio of the image
	// (WidthRatio, HeightRatio), the other side; with none, FitCrop's box is
	// the largest of that ratio inside the image, cut at its scale, and
	// FitFill's the smallest around it, padded. 0: none. Parsers turn a side
	// given in pixels into the other side themselves, and leave it 0 with
	// both sides or another fit.
	AspectRatio float64
	// PNGToJPEG answers a PNG source without an alpha band as a JPEG when
	// no format is asked for (Thumbor's autojpg filter, its
	// AUTO_PNG_TO_JPG), unless a mask shape would cut it transparent.
	PNGToJPEG bool
	// ExtendToAspect pads the fitted image (FitClip, FitMax), or
	// FitCropDown's cut, to the aspect ratio of the Width x Height box,
	// centred, as a fill pads it to the box itself (imgproxy exar): a
	// 300x200 result of a 400x400 box becomes 300x300. It needs both
	// sides; other fits are not changed.
	ExtendToAspect bool
	// ExtendGravity places the image on the canvas of a padding fit
	// (FitCropDownPad, FitMinPad, FitMaxPad, FitScaleDownPad, FitFill) and of
	// ExtendToAspect (imgproxy's ex and exar gravity); the zero value
	// centres it.
	ExtendGravity ExtendGravity
	// CapDPR takes the DPR, whatever the fit, only as far as Fit.CapsDPR's
	// fits take it, and scales Pad, Padding, MinWidth, MinHeight and
	// ExtendGravity's pixel offsets by that capped DPR: imgproxy's
	// calcScale (processing/prepare.go) caps its dprScale so for every
	// resizing type without enlarge ("dprScale = math.Min(dprScale,
	// math.Min(wshrink, hshrink))"), and its padding and extend scale by
	// dprScale. The never-enlarging fits' sizes come out the same either
	// way; with a fit that enlarges it is not meant to be set.
	CapDPR bool
	// CropLimits bound FitCrop's box, in CSS pixels as Width and Height
	// (imgix max-w, max-h, min-w, min-h): a side not given is first taken
	// from the image's aspect ratio (both: the image's size), then each
	// side is kept within its limits, and the image is cropped to the box.
	CropLimits CropLimits
	// Crop picks the part kept by FitCrop and FitMin.
	Crop Crop
	// Focus, when Set, is the point FitCrop and FitMin keep in view in
	// place of Crop's anchors (which is then CropCenter).
	Focus Focus
	// Faces asks for the faces in the image to decide the crop (imgix
	// crop=faces, fit=facearea and the face gravities of other dialects).
	Faces Faces
	// Rect is a source region (in source pixels, after EXIF orientation)
	// cut before any resizing.
	Rect Rect
	// Region is a Rect that depends on the source's size (see Region).
	Region Region
	// MinWidth and MinHeight, CSS pixels (times DPR), are the least the
	// resized image may measure: after the fit, the scale is raised until
	// it is at least that wide and high, enlarging if need be; a crop or a
	// fill box then still cuts or pads to Width x Height (imgproxy mw, mh).
	// 0: none.
	MinWidth, MinHeight int
	// AdaptiveBox swaps Width and Height when the source is portrait and
	// the box landscape, or the other way round (Thumbor's adaptive-fit-in):
	// the pipeline resolves it once the (oriented) source is known.
	AdaptiveBox bool
	// SourceFit makes Fit depend on the source's size (Cloudflare's
	// fit=crop, imgproxy's rt:auto): the pipeline resolves it once the
	// source is known (ResolveSourceFit). The zero SourceFit changes
	// nothing.
	SourceFit SourceFit
	// KeepSourceIfBoxExceeds answers the source at its own size, neither
	// cut nor resized nor padded, where the box (Width x Height in device
	// pixels, as the fit would size it) is larger than the source on
	// either side; where it is not, Fit applies as usual (Cloudimage's
	// org_if_sml=1). The source is measured as the resize plan sees it:
	// after EXIF orientation, Rect or Region, trim and Rotate's quarter
	// turns. A side not given exceeds nothing. Only the output bound
	// (Limits.MaxOutputDimension) still scales a source so kept.
	KeepSourceIfBoxExceeds bool
	// Kernel is the resampling filter of the resize (ipx kernel, imgproxy
	// Pro's resizing_algorithm); KernelDefault is libvips' thumbnail, a
	// Lanczos 3 after the JPEG shrink-on-load.
	Kernel Kernel

	// Rotate is a clockwise angle in degrees in [0, 360). Uncovered corners
	// take Background (transparent where the output keeps alpha and no bg
	// was asked for).
	Rotate float64
	// RotateStraighten keeps the frame that Rotate turns the image in: the
	// output has the size it would have without Rotate, the image turned
	// about its centre and scaled up just enough that no corner shows,
	// then cut to that size around its centre (imgix's rot-type=straighten).
	// false: the turned image's bounding box, a multiple of 90 turning the
	// frame before the resize (see QuarterTurns).
	RotateStraighten bool
	Flip             Flip
	// Orientation, 1-8 in EXIF's numbering (6: the stored pixels turned a
	// quarter clockwise; 1: as stored), replaces the source's own EXIF
	// orientation when the source is decoded, so Rect and every size refer
	// to the image so turned; 0 applies the source's own.
	Orientation int

	// Format is the explicit output format (fm); FormatSource keeps the
	// source's format where it can be encoded.
	Format Format
	// AutoFormat picks AVIF, then WebP by the Accept header (auto=format).
	AutoFormat bool
	// Frames is what an animated source (a GIF or WebP of several frames)
	// becomes: by default an animation, where the output format has one.
	Frames Frames
	// AnimatedAVIFAsWebP answers an explicit FormatAVIF as WebP where the
	// answer keeps an animated source's frames (FramesKeep, and steps
	// that can animate): Matte's AVIF is a still. Cloudflare's
	// format=avif, "AVIF if possible (with WebP as a fallback)", with
	// anim=true its default. The output format is decided with the
	// source (transform.NegotiateFormat).
	AnimatedAVIFAsWebP bool
	// Animation picks and times the frames of an animated source (imgix's
	// frame, interval, reverse, fps and loop).
	Animation Animation
	// Variant is an encoding of one format (imgix's fm=pjpg, png8, png32);
	// it applies when the output is in that format, and is ignored otherwise.
	Variant Variant
	// Quality is 1-100; 0 means FormatQuality's for the output format,
	// else the configured default for the format.
	Quality int
	// FormatQuality is a quality per output format (imgproxy fq), used
	// when Quality is 0 and the output is in that format (0: unset).
	FormatQuality FormatQualities
	Lossless      bool
	// Chroma is a JPEG's or AVIF's chroma subsampling (imgix chromasub):
	// 444 or 420; 0 leaves the encoder's rule (4:2:0 below quality 90; an
	// AVIF follows avif_chroma).
	Chroma int

	// Background fills transparent areas, padding and rotation corners.
	Background Color
	// Blur is a Gaussian blur, 0-2000 as in imgix; sigma is Blur/10.
	Blur int
	// Sharpen is 0-100 as in imgix.
	Sharpen int
	// Saturation, Brightness and Contrast are -100 to 100 as in imgix (sat,
	// bri, con), 0 leaving the image as it is: the chroma is scaled by
	// 1 + Saturation/100 (-100: grey), then each colour sample v becomes
	// (v - 128) × (1 + Contrast/100) + 128 + 2.55 × Brightness.
	Saturation, Brightness, Contrast int
	// Exposure, Highlights, Shadows and Vibrance are imgix's exp (-100 to
	// 100), high (-100 to 0), shad (0 to 100) and vib (-100 to 100), 0
	// leaving the image as it is, applied in that order before Saturation.
	// imgix does not publish its curves; these are Matte's. Exposure
	// multiplies each colour sample in linear light by 2^(Exposure/50) (±2
	// stops). Shadows and Highlights change lightness by a gain on each
	// pixel's Rec. 709 luma y (0-1), so hue is kept: y becomes y + s·2.25·
	// y·(1-2y)² below 0.5 (s = Shadows/100: the darkest tones lifted most
	// near y = 1/6, black and mid-grey fixed) and y + h·2.25·u·(1-2u)² above
	// it (u = 1-y, h = Highlights/100: the brightest tones lowered most near
	// y = 5/6, white fixed). Vibrance scales the LCh chroma C by 1 +
	// Vibrance/100·(1 - C/80) below 80 and leaves stronger colours alone:
	// it strengthens (or mutes) the muted colours most.
	Exposure, Highlights, Shadows, Vibrance int
	// Denoise is imgix's nr and nrs: noise reduction before blur and
	// sharpening.
	Denoise Denoise
	// Lightness multiplies the LCh lightness with Saturation's chroma and
	// Hue's turn (wsrv mod; 0: unset), before the affine map.
	Lightness float64
	// SigmoidContrast, -100 to 100 (wsrv con; 0: none), maps each colour
	// sample through wsrv's sigmoid with β = 0.3 × |SigmoidContrast|
	// around mid-grey (ImageMagick's -sigmoidal-contrast: steeper for
	// above 0, its inverse below), after the affine map and before Gamma.
	SigmoidContrast int
	// ChannelShift adds 2.55 × ChannelShift[i] to the red, green and blue
	// samples, each -100 to 100 (Thumbor rgb), after Brightness and before
	// Invert.
	ChannelShift [3]int
	// Equalize spreads each colour band's histogram over the whole range,
	// each band on its own (Thumbor equalize), before the other colour
	// changes.
	Equalize bool
	// Median, Threshold, Normalize and Tint are sharp's filters of those
	// names (ipx's modifiers), in that order, after the other colour
	// changes. Median replaces every sample, alpha too, by the median of
	// the Median x Median window around it (3-50; 0 none). Threshold (1-255;
	// 0 none) turns the image grey (libvips' luminance), then every sample,
	// alpha too as in sharp, to 255 where it is at least Threshold and to 0
	// elsewhere. Normalize stretches the CIELAB lightness so that its 1st
	// percentile becomes 0 and its 99th 100, clipping beyond. Tint
	// recolours the image from its grey level: each level keeps its
	// lightness and takes the colour's CIELAB a and b, fully at mid-grey
	// and not at all at black or white (weighted by 1 - 4(L/100 - 0.5)²).
	// Normalize and Tint keep the alpha.
	Median    int
	Threshold int
	Normalize bool
	Tint      Color
	// TintEven gives every grey level Tint's a and b in full (wsrv tint:
	// each pixel keeps its CIELAB lightness and takes the colour's
	// chroma), in place of sharp's weighting.
	TintEven bool
	// Duotone recolours the image from its grey level (libvips' B_W): level
	// v is v/255 of the way from Duotone.Start to Duotone.Stop in CIELAB
	// (wsrv filter=duotone), alpha kept; after Tint. The zero Duotone is
	// none.
	Duotone Duotone
	// Convolution runs a kernel over the image after Duotone (Thumbor
	// convolution); the zero Convolution is none.
	Convolution Convolution
	// Curves maps the colour samples through Thumbor's curve filter, after
	// Convolution; the zero Curves is none.
	Curves Curves
	// Noise adds grain after Curves (Thumbor noise, 0-100; 0 none): one
	// value per pixel, added to red, green and blue alike as Thumbor's is,
	// drawn from libvips' Gaussian noise with the spread of Thumbor's
	// uniform amount (σ = Noise/√12), seeded by NoiseSeed (Thumbor's seed;
	// 0: Matte's fixed seed), so that one URL always gives one answer.
	Noise, NoiseSeed int
	// Invert negates the colours after those adjustments (v → 255 - v;
	// imgix invert).
	Invert bool
	// BrightnessFactor multiplies each colour sample (Cloudflare's
	// brightness; 0: unset), after Monochrome and before Contrast. Gamma
	// maps each sample v to 255·(v/255)^(1/Gamma) after every other colour
	// adjustment (Cloudflare's gamma: above 1 lighter; 0: unset).
	BrightnessFactor, Gamma float64
	// Hue turns the hue by this many degrees, 0-359 (imgix hue), in LCh
	// after the saturation, keeping lightness and chroma.
	Hue int
	// Sepia tones the image, 0-100 (imgix sepia): the CSS Filter Effects
	// sepia() matrix at Sepia/100, applied after Hue.
	Sepia int
	// SepiaClassic tones the image with the older sepia matrix wsrv's
	// filter=sepia uses (rows 0.3588 0.7044 0.1368, 0.2990 0.5870 0.1140,
	// 0.2392 0.4696 0.0912), in full, after Sepia.
	SepiaClassic bool
	// Monochrome tints the image with one colour (imgix monochrome, mono):
	// each pixel becomes its luma (Rec. 709: 0.2126 R + 0.7152 G +
	// 0.0722 B) times the colour, mixed over the pixel by the colour's
	// alpha; after Sepia, before Contrast and Brightness. An alpha of 0 is
	// the zero Color.
	Monochrome Color
	// Pixelate replaces each Pixelate x Pixelate square of the output by
	// its mean colour, 2-100 (imgix px; 0 none), after the other effects.
	Pixelate int
	// UnsharpMask, -100 to 100 (imgix usm), adds k times the image's
	// difference from a Gaussian blur of sigma UnsharpRadius output pixels
	// (imgix usmrad; 0 means imgix's default, 2.5; only with UnsharpMask):
	// k = UnsharpMask/50 sharpens; a negative UnsharpMask softens, k =
	// UnsharpMask/100, -100 giving the blur itself.
	UnsharpMask   int
	UnsharpRadius float64
	// Mask cuts the output to a shape (imgix mask=ellipse or corners), last,
	// after the background: outside it the image is transparent, or
	// MaskBackground, or white for a format without alpha. CornerRadius are
	// mask=corners' radii in CSS pixels (times the DPR), clockwise from the
	// top left, Set when given; unset, each is 20% of the shorter side, as
	// in imgix.
	Mask           Shape
	CornerRadius   Corners
	MaskBackground Color
	// Blend mixes a colour into the output (imgix blend with a colour, or
	// blend-color), after the background and under the watermark.
	Blend Blend
	// Watermark draws an image over the output (imgix mark).
	Watermark Watermark
	// Text draws a line of text over the output (imgix txt), over the
	// watermark.
	Text Text
	// Border draws a frame over the output's edges (imgix border), over the
	// text and under the mask shape.
	Border Border
	// Download asks the browser to save the answer as a file (imgix dl):
	// Content-Disposition: attachment, named DownloadName, or when that is
	// empty the source's file name with the output format's extension. It
	// changes headers only, but is part of Key like any parameter.
	// With DownloadName and no Download, the answer is inline under that
	// name (imgproxy fn).
	Download     bool
	DownloadName string
	// DPI is the resolution a JPEG or PNG answer states (imgix dpi; 0: the
	// source's, 1-65535): the JFIF density of a JPEG, the pHYs of a PNG.
	// It changes no pixel. WebP, AVIF and GIF carry none (Matte strips
	// their metadata).
	DPI int
	// Trim cuts away a uniform border: the colour TrimColor when Set, else
	// the colour of the top-left pixel; pixels within TrimTolerance of it
	// (a colour distance, 10 unless TrimToleranceSet) count as border. The
	// box kept grows by TrimPad source pixels on every side (negative:
	// shrinks), within the image.
	Trim             bool
	TrimColor        Color
	TrimTolerance    float64
	TrimToleranceSet bool
	TrimPad          int
	// TrimBy is what Trim compares: the colour (the zero value), or the
	// alpha (TrimByAlpha: the transparent edges are cut, pixels of alpha
	// above TrimTolerance kept, 0 unless TrimToleranceSet), or rows
	// (TrimByRows, with TrimMeanDiff and TrimStdDev), or the colour's
	// euclidean distance (TrimByDistance, TrimTolerance 0 unless
	// TrimToleranceSet).
	TrimBy TrimBy
	// TrimBottomRight takes the colour a trim compares with from the
	// bottom-right pixel instead of the top-left one (Thumbor's
	// trim:bottom-right), when TrimColor is not Set.
	TrimBottomRight bool
	// TrimMeanDiff and TrimStdDev are TrimByRows' thresholds (imgix
	// trim-md and trim-sd), in 8-bit levels: walking in from each edge,
	// a row (a column, from the left and right) is border while the
	// standard deviation of its pixels is at most TrimStdDev and it
	// differs from the row before it by at most TrimMeanDiff on average.
	// Unused by the other TrimBy.
	TrimMeanDiff, TrimStdDev float64
	// Pad adds this many CSS pixels on every side, filled with Background.
	Pad int
	// Padding is uneven padding (CSS pixels per side); parsers set it only
	// when the sides differ, else Pad. SetPadding does both.
	Padding Sides
	// FillColor is the colour of the excess space of FitFill and FitFillMax
	// (imgix fill-color); unset, it is filled as padding is (Background,
	// else white or transparent by the output format).
	FillColor Color
	// FillMean fills that space with the image's mean colour instead: each
	// of red, green and blue averaged over the resized image, rounded down
	// (Thumbor's fill(auto)).
	FillMean bool
	// FillBlur fills FitFill's excess space with a blurred copy of the
	// image covering the box (imgix fill=blur) instead of a colour, at
	// FillBlurStrength (as Blur: sigma = strength / 10; 0: automatic, the
	// box's shorter side / 20, from 4 to 200 pixels).
	FillBlur         bool
	FillBlurStrength int

	// Removal is the background-removal part (rembg=1 and its options).
	Removal Removal

	// JPEGOptions, PNGOptions and WebPOptions are encoder settings of one
	// output format each (imgproxy Pro's jpgo, pngo, webpo), ignored when
	// the output is in another format; their zero values are Matte's
	// defaults (a baseline JPEG, a truecolour PNG, a lossy WebP).
	JPEGOptions JPEGOptions
	PNGOptions  PNGOptions
	WebPOptions WebPOptions
	// Gradient is laid over the output after Blend and under the
	// watermark; the zero Gradient is none.
	Gradient Gradient
	// DropShadow lays a shadow of the image's own opaque pixels under it
	// (ImageKit e-shadow).
	DropShadow DropShadow
	// Block draws a rectangle of one colour over the output (ImageKit's
	// i-ik_canvas layer).
	Block Block
}

// JPEGOptions are mozjpeg's settings of libvips' jpegsave (imgproxy Pro's
// jpgo), which change a JPEG's size and encoding time, not what it shows.
// Only a libvips built with mozjpeg (Matte's npm build) has them; another
// (Debian's, with libjpeg-turbo) ignores them, and the answer is the JPEG
// it writes without them. The zero value is libvips' default: a baseline
// JPEG at mozjpeg's fastest profile.
type JPEGOptions struct {
	// TrellisQuant chooses each 8x8 block's quantised coefficients by a
	// trellis search (smaller, slower).
	TrellisQuant bool
	// OvershootDeringing lets samples at the ends of the range overshoot,
	// which lessens ringing (black text on white).
	OvershootDeringing bool
	// OptimizeScans splits the DCT coefficients into the scans that make
	// the smallest file; it needs a progressive JPEG (VariantProgressive),
	// and parsers leave it unset without one.
	OptimizeScans bool
	// QuantTable is mozjpeg's quantisation table, 0-8 (0: JPEG Annex K's,
	// 1 flat, 2 MSSIM-tuned, 3 ImageMagick's, 4 PSNR-HVS-M-tuned, 5-8 the
	// tables of Klein 1992, Watson 1997, Ahumada 1993, Peterson 1993).
	QuantTable int
}

// PNGOptions are settings of libvips' pngsave (imgproxy pngo). Interlace
// writes an Adam7-interlaced PNG. PaletteColors, when not 0, quantises the
// image to an 8-bit-or-less palette of at most that many colours (alpha
// included; libimagequant, dithered): 2, 4, 16 or 256, the counts of a
// palette PNG's bit depths 1, 2, 4 and 8 (parsers round a count up to one
// of them, as imgproxy does). VariantPalette is PaletteColors 256.
type PNGOptions struct {
	Interlace     bool
	PaletteColors int
}

// WebPOptions are settings of libvips' webpsave (imgproxy Pro's webpo).
// Compression is lossy (at the quality), near-lossless (lossless coding
// of pixels first moved by at most what the quality allows: VP8L) or
// lossless (VP8L; Lossless also makes a WebP lossless). SmartSubsample
// picks the subsampled chroma that best keeps sharp colour edges.
// Preset tunes libwebp's filters for a kind of picture.
type WebPOptions struct {
	Compression    WebPCompression
	SmartSubsample bool
	Preset         WebPPreset
}

// WebPCompression is how a WebP is coded.
type WebPCompression uint8

const (
	WebPLossy WebPCompression = iota
	WebPNearLossless
	WebPLossless
)

// String is "lossy", "near_lossless" or "lossless" (imgproxy's names);
// part of Key.
func (c WebPCompression) String() string {
	return enumName(webpCompressionNames[:], uint8(c), "webp-compression")
}

// ParseWebPCompression reads lossy, near_lossless or lossless.
func ParseWebPCompression(s string) (WebPCompression, bool) {
	i, ok := lookupName(webpCompressionNames[:], s)
	return WebPCompression(i), ok
}

var webpCompressionNames = [...]string{WebPLossy: "lossy", WebPNearLossless: "near_lossless", WebPLossless: "lossless"}

// WebPPreset is libwebp's preset (a hint of what the picture is).
type WebPPreset uint8

const (
	WebPPresetDefault WebPPreset = iota
	WebPPresetPhoto
	WebPPresetPicture
	WebPPresetDrawing
	WebPPresetIcon
	WebPPresetText
)

// String is libwebp's name of the preset ("default", "photo", "picture",
// "drawing", "icon", "text"); part of Key.
func (p WebPPreset) String() string { return enumName(webpPresetNames[:], uint8(p), "webp-preset") }

// ParseWebPPreset reads a preset's name.
func ParseWebPPreset(s string) (WebPPreset, bool) {
	i, ok := lookupName(webpPresetNames[:], s)
	return WebPPreset(i), ok
}

var webpPresetNames = [...]string{WebPPresetDefault: "default", WebPPresetPhoto: "photo", WebPPresetPicture: "picture",
	WebPPresetDrawing: "drawing", WebPPresetIcon: "icon", WebPPresetText: "text"}

// Gradient is a linear gradient laid over the output (imgproxy Pro's gr),
// after Blend and under the watermark, as CSS's linear-gradient paints
// one; the output keeps its own alpha. The gradient line runs through the
// output's centre at Angle, in degrees clockwise from "to the top", [0,
// 360) (0: From at the bottom, To at the top; 90: left to right; 180: top
// to bottom; 270: right to left), and is |W·sin Angle| + |H·cos Angle|
// pixels long, so that its ends touch the corners it points from and to.
// A pixel (its centre) at the fraction t of that line takes From up to
// Start, To from Stop, and in between the mix (t - Start) / (Stop -
// Start) of the way from From to To, premultiplied by alpha as CSS mixes
// (0 <= Start <= Stop <= 1; Start == Stop is a hard edge, To from it on).
// The zero Gradient (neither colour Set) is none.
//
// imgproxy's gr:%opacity:%color:%direction:%start:%stop is From = color
// at alpha 0, To = color at alpha opacity, Angle = its direction + 180
// (imgproxy's angles start from "down": down 180, up 0, right 90, left
// 270), Start and Stop as given. ImageKit's e-gradient-ld-<direction or
// angle>_from-<colour>_to-<colour>_sp-<stop> is meant to map as: ld's
// angle as Angle, as is (both are CSS's: top 0, right 90, bottom 180,
// left 270; a corner such as top_right is CSS's "to top right", whose
// angle depends on the output's aspect ratio, so its parser cannot
// resolve it to a number: it needs the corner case added here first),
// from and to as From and To (ImageKit's defaults filled in by its
// parser), sp as Stop (a fraction) or StopPixels (sp above 1), Start 0.
// ImageKit's named directions are fixed angles (top_right is 45), not
// CSS's corner-to-corner ones.
type Gradient struct {
	From, To    Color
	Angle       float64
	Start, Stop float64
	// StopPixels, when not 0, places Stop that many output pixels along
	// the gradient line from its start (at most its length), for ImageKit's
	// sp given in pixels.
	StopPixels int
}

// Block is a rectangle of Color (its alpha kept), Width x Height CSS
// pixels (times the DPR; at most the output's sides), drawn over the
// output after the watermark and before the text: flush with the edges or
// corner Align names (CropCenter: centred), or at X, Y CSS pixels from the
// left and top when XSet, YSet (from the right or bottom edge to its far
// edge with XFromEnd, YFromEnd), kept inside the output. The zero Block
// (Color not Set) is none.
type Block struct {
	Color                          Color
	Width, Height                  int
	Align                          Crop
	X, Y                           int
	XSet, YSet, XFromEnd, YFromEnd bool
}

// DropShadow is a shadow cast by the output's opaque pixels onto what
// lies under the image (ImageKit's e-shadow), after the padding and
// before the background: the output's alpha, moved X and Y percent of the
// output's width and height (right and down; negative: left and up; what
// moves past the output's edges is cut), blurred by a Gaussian of sigma
// Blur output pixels (0: not blurred), in black at Opacity (0-1), is laid
// under the image. An output without alpha casts none. The zero value
// (Opacity 0) is none.
type DropShadow struct {
	Opacity, Blur float64
	X, Y          int
}

// Sides are per-side amounts, in CSS order.
type Sides struct{ Top, Right, Bottom, Left int }

// SetPadding sets the padding of sides: Pad when they are all equal,
// Padding otherwise.
func (p *Params) SetPadding(s Sides) {
	if s.Top == s.Right && s.Top == s.Bottom && s.Top == s.Left {
		p.Pad, p.Padding = s.Top, Sides{}
		return
	}
	p.Pad, p.Padding = 0, s
}

// PadSides is the padding on each side (Padding, or Pad on all four).
func (p Params) PadSides() Sides {
	if p.Padding != (Sides{}) {
		return p.Padding
	}
	return Sides{p.Pad, p.Pad, p.Pad, p.Pad}
}

// ExtendGravity places an image on a larger canvas as imgproxy's
// calcPosition (processing/calc_position.go) places ex's and exar's image:
// flush with the edges Anchor names (CropTop to CropBottomRight;
// CropCenter: none), then moved X along the width and Y along the height,
// away from the edge an axis is flush with, or right and down on an axis
// it centres; an offset v is v pixels times the DPR where |v| >= 1, else
// that fraction of the canvas's side. With Point the image is centred on
// the point X, Y instead (fractions of the canvas from its top left). The
// image stays within the canvas. A centred axis is centred as every other
// canvas is, (canvas - image) / 2 (imgproxy rounds half of an odd or
// twice-odd difference up). The zero value centres the image.
type ExtendGravity struct {
	Anchor Crop
	Point  bool
	X, Y   float64
}

// CropLimits are bounds on FitCrop's box; 0 is no bound.
type CropLimits struct{ MinW, MaxW, MinH, MaxH int }

// Focus is a focal point: X and Y in [0, 1] of the image (after Rect and
// the rotation), from the top-left corner. The crop is centred on it as
// far as the image allows. Zoom (0 or 1: none, up to 100; FitCrop only)
// enlarges the image that many times first, closing in on the point
// (imgix fp-z).
//
// With Pixels, X and Y are instead pixels from the top-left corner of the
// source after EXIF orientation, or of Rect within it when set (Thumbor's
// focal filter); the pipeline turns them into fractions of that region.
type Focus struct {
	X, Y, Zoom float64
	Set        bool
	Pixels     bool
}

// Faces is how the faces found in the image place the crop. The pipeline
// looks for them only when a crop is cut (FitCrop or FitMin with both
// sides, or Area); where it finds none, or has no face detector, the rest
// of Params applies as if Faces were zero.
type Faces struct {
	// Crop centres the cut of FitCrop and FitMin on the faces (the middle
	// of the box around them all), in place of Crop and Focus (imgix
	// crop=faces; Crop holds the fallback, as in crop=faces,top,left).
	Crop bool
	// Area crops the image to the faces, grown by Pad and to the output's
	// aspect ratio, before it is scaled to the box (imgix fit=facearea;
	// Fit holds the fallback, FitCrop unless another is given, as in
	// fit=facearea,fill).
	Area bool
	// Pad is Area's or Frame's size as a multiple of the faces' box (imgix
	// facepad, above 0); 0 means DefaultFacePad.
	Pad float64
	// Index picks one face for Area, counted from 1 left to right (by its
	// left edge; imgix faceindex); 0 is every face. A face that is not
	// there is no face.
	Index int
	// Largest makes Crop and Area use the largest face found (by its box's
	// area) instead of the box around them all (Cloudinary g_face and
	// Contentful f=face; their g_faces and f=faces take every face).
	Largest bool
	// Zoom (0 to 1) frames the faces closer for Crop (Cloudflare's zoom
	// with gravity=face): the cut is taken from the faces' box grown to
	// 1/Zoom times its size and to the output's shape (as far as the image
	// allows), so 1 is as close to the faces as possible and 0, Crop alone,
	// keeps as much of the image as the output's shape allows. Not with a
	// Rect or Region, which place the cut themselves.
	Zoom float64
	// Frame cuts the source to the faces' box grown to Pad times its size,
	// in the box's own shape, as far as the image allows (Bunny
	// face_crop=true): unlike Area the rest of Params (size, fit) then
	// applies to that region as to a whole image, so a fit that never
	// enlarges keeps it. With no face the image stays whole. Not with a
	// Rect or Region.
	Frame bool
	// List adds the faces found to FormatJSON's answer (imgix faces=1).
	List bool
	// Place moves the source region Rect (or Region), its size kept, to be
	// centred on the mean of the faces' centres as far as the image allows
	// (Bunny face_crop=W,H); where none is found it stays as placed.
	Place bool
	// Blur blurs each face found in the output, a Gaussian of that sigma
	// in output pixels (Cloudinary e_blur_faces); Pixelate pixelates each
	// with squares of that many output pixels (e_pixelate_faces). Unlike
	// the crops these have no fallback: without a detector the request
	// fails (501), as an answer with the faces shown would not be the one
	// asked for.
	Blur     float64
	Pixelate int
}

// DefaultFacePad is Faces.Pad's value when it is 0.
const DefaultFacePad = 1.0

// Enabled reports whether f asks for faces at all.
func (f Faces) Enabled() bool {
	return f.Crop || f.Area || f.Frame || f.List || f.Place || f.Obscures()
}

// NoCut drops what places a resize's cut (Crop, Largest, Zoom), for a
// request that cuts nothing: its other face work stays.
func (f *Faces) NoCut() { f.Crop, f.Largest, f.Zoom = false, false, 0 }

// Obscures reports whether f blurs or pixelates the faces.
func (f Faces) Obscures() bool { return f.Blur > 0 || f.Pixelate > 0 }

// Removal describes background removal. The zero value means none; every
// other field is only meaningful when Enabled.
type Removal struct {
	Enabled bool
	// Model is a preset or custom model name; "" is the configured default.
	Model string
	// MaskOnly returns the matte alone as 8-bit grayscale (mask=1).
	MaskOnly bool
	// Hard cuts the matte at Threshold (0-1) into fully opaque or
	// transparent (threshold=, or semitransparency=0 which is 0.5).
	Hard      bool
	Threshold float64
	// Refine runs image-guided edge refinement on the matte (refine=1).
	Refine bool
	// Feather blurs the matte edge by this many output pixels (0-100).
	Feather float64
	// Erode shrinks the matte by this many output pixels (0-100).
	Erode int
	// CropToForeground crops to the subject's box (crop=fg), with FGPad
	// around it.
	CropToForeground bool
	FGPad            Length
	// Scale is the subject's size relative to the canvas, 0.1-1 (0: as is).
	Scale float64
	// Position places the subject on the canvas, in percent of the free
	// space (50,50 is centred); Set false keeps the original place.
	Position Position
	// BgBlur keeps the original background, blurred with this sigma (1-100).
	BgBlur int
	// BgGradient is a vertical gradient background, top then bottom.
	BgGradient [2]Color
	// BgImage is a background image: an allowed URL or a path under the root.
	BgImage string
	// Shadow adds a drop shadow derived from the matte (shadow=drop).
	Shadow Shadow
}

// Length is a size in pixels, or a percentage when Percent.
type Length struct {
	Value   float64
	Percent bool
}

// Position is a point in percent (0-100) of the free space on each axis.
type Position struct {
	X, Y float64
	Set  bool
}

// Shadow is a drop shadow under the subject.
type Shadow struct {
	Enabled bool
	// Color defaults to black; Opacity (0-1) to 0.5; Blur (sigma, px) to 10;
	// Offset (px, right and down) to 0,10. Zero fields take the defaults.
	Color            Color
	Opacity          float64
	OffsetX, OffsetY int
	OffsetSet        bool
	Blur             float64
}

// Variant is an encoding of one output format.
type Variant uint8

const (
	VariantNone Variant = iota
	// VariantProgressive is a progressive (interlaced) JPEG.
	VariantProgressive
	// VariantPalette is a PNG of at most 256 colours (quantised, dithered).
	VariantPalette
	// VariantRGBA is a PNG with an alpha channel even for an opaque image.
	VariantRGBA
)

// Format is the output format the variant belongs to.
func (v Variant) Format() Format {
	switch v {
	case VariantProgressive:
		return FormatJPEG
	case VariantPalette, VariantRGBA:
		return FormatPNG
	}
	return FormatSource
}

// For is v when it encodes format f, else VariantNone: a variant of
// another format than the output's has no effect.
func (v Variant) For(f Format) Variant {
	if v.Format() != f {
		return VariantNone
	}
	return v
}

// String returns the variant's keyword ("progressive", "palette", "rgba";
// "none"). The names are part of Key and therefore stable.
func (v Variant) String() string { return enumName(variantNames[:], uint8(v), "variant") }

// Frames says what an animated source becomes. The dialects differ:
// imgix, Cloudflare and Thumbor keep the animation, ipx only in a GIF
// unless asked, imgproxy (by its default configuration) and wsrv answer
// with the first frame, Next.js and Vercel with the source as stored.
type Frames uint8

const (
	// FramesKeep animates the output when its format can hold an
	// animation (GIF, WebP); any other format has the first frame.
	FramesKeep Frames = iota
	// FramesGIF animates only a GIF output (ipx without `animated`).
	FramesGIF
	// FramesFirst answers with the first frame in every format.
	FramesFirst
	// FramesSource answers an animated source as stored: its own bytes and
	// type, none of the other Params applied (the Next.js and Vercel
	// optimizers). The caller decides this once the source is probed
	// (params cannot see the source); a still source is transformed as
	// under FramesKeep. The transform package, should such a source reach
	// it, treats it as FramesFirst: Animates is false in every format.
	FramesSource
)

var framesNames = [...]string{"keep", "gif", "first", "source"}

// String returns "keep", "gif", "first" or "source". The names are part of
// Key and therefore stable.
func (f Frames) String() string { return enumName(framesNames[:], uint8(f), "frames") }

// Animates reports whether f keeps an animation in output format out.
func (f Frames) Animates(out Format) bool {
	switch f {
	case FramesKeep:
		return out == FormatGIF || out == FormatWebP
	case FramesGIF:
		return out == FormatGIF
	}
	return false
}

// Animation picks an animated source's frames and how they play; the zero
// value keeps every frame as the source plays it. Frames are numbered from
// 1, as imgix numbers them; a range past the source's last frame is cut to
// it.
type Animation struct {
	// First and Last bound the frames kept (imgix frame=M-N); 0: from the
	// first, to the last. First == Last picks one frame: the answer is
	// that frame, still, in any format.
	First, Last int
	// Interval keeps every Interval-th frame of the range, from its first
	// (imgix interval); 0 or 1: all of them.
	Interval int
	// Reverse plays the frames kept last to first.
	Reverse bool
	// FPS shows every frame 1000/FPS ms (imgix fps); 0: the source's
	// delays.
	FPS int
	// Loop is how many times the animation plays (1: once), 0 forever,
	// when LoopSet; else the source's count.
	Loop    int
	LoopSet bool
}

// Single reports whether a picks one frame, and which (from 1).
func (a Animation) Single() (frame int, ok bool) { return a.First, a.First > 0 && a.First == a.Last }

// TrimBy says what a trim compares with its border.
type TrimBy uint8

const (
	// TrimByColour compares colours (imgix trim=auto and trim=color).
	TrimByColour TrimBy = iota
	// TrimByAlpha cuts the transparent edges (imgix trim=alpha).
	TrimByAlpha
	// TrimByAlphaOrColour is TrimByAlpha for an image with an alpha band,
	// TrimByColour for one without (imgix trim=colorunlessalpha).
	TrimByAlphaOrColour
	// TrimByRows cuts the edge rows and columns that are uniform and
	// change little from one to the next (imgix trim=auto with trim-md
	// or trim-sd; see Params.TrimMeanDiff).
	TrimByRows
	// TrimByDistance cuts to the box of the pixels whose colour is
	// farther than TrimTolerance from the corner pixel's: the euclidean
	// distance between their 8-bit sRGB samples, alpha included, a grey
	// level counting as three equal channels, without smoothing (Thumbor's
	// trim).
	TrimByDistance
)

// DefaultTrimMeanDiff and DefaultTrimStdDev are imgix's trim-md and
// trim-sd defaults, for TrimByRows when only one is given.
const (
	DefaultTrimMeanDiff = 11
	DefaultTrimStdDev   = 10
)

// String is "colour", "alpha", "alpha-or-colour", "rows" or "distance";
// part of Key.
func (t TrimBy) String() string { return enumName(trimByNames[:], uint8(t), "trim-by") }

var trimByNames = [...]string{TrimByColour: "colour", TrimByAlpha: "alpha", TrimByAlphaOrColour: "alpha-or-colour", TrimByRows: "rows", TrimByDistance: "distance"}

// DefaultTrimTolerance is Trim's colour distance when none is given.
const DefaultTrimTolerance = 10

// SetTrimTolerance sets Trim's tolerance; the default is left unset, so
// that requests that mean the same have equal Params.
func (p *Params) SetTrimTolerance(t float64) {
	p.TrimTolerance, p.TrimToleranceSet = t, t != DefaultTrimTolerance
	if !p.TrimToleranceSet {
		p.TrimTolerance = 0
	}
}

// IsZero reports whether p asks for no transform at all.
func (p Params) IsZero() bool { return p == Params{} }

// Fit is how the image is fitted into the Width x Height box (imgix fit=).
// Hints is a set of Client Hints (imgix ch=): HintWidth overrides Width,
// HintDPR DPR, HintSaveData lowers Quality.
type Hints uint8

const (
	HintWidth Hints = 1 << iota
	HintDPR
	HintSaveData
)

// String returns the hints as imgix names them, joined by "+" ("width+dpr");
// part of Key.
func (h Hints) String() string {
	var names []string
	for i, name := range []string{"width", "dpr", "save-data"} {
		if h&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if rest := h &^ (HintWidth | HintDPR | HintSaveData); rest != 0 {
		names = append(names, "hints("+strconv.Itoa(int(rest))+")")
	}
	return strings.Join(names, "+")
}

type Fit uint8

const (
	// FitClip scales to fit inside the box, keeping the aspect ratio (default).
	FitClip Fit = iota
	// FitCrop scales to cover the box, then crops to it by Crop.
	FitCrop
	// FitFill scales to fit inside the box, then pads to it with Background.
	FitFill
	// FitMax is FitClip that never upscales.
	FitMax
	// FitMin is FitCrop that never upscales.
	FitMin
	// FitScale scales to the box exactly, ignoring the aspect ratio.
	FitScale
	// FitFillMax is FitFill that never upscales: a smaller image is padded
	// to the box at its own size (imgix fillmax).
	FitFillMax
	// FitClamp is FitFill whose excess space repeats the image's edge
	// pixels (imgix clamp).
	FitClamp
	// FitOutside scales to cover the box without cropping, keeping the
	// aspect ratio: the smallest size at least as large as the box on both
	// sides (sharp's outside, Thumbor's full-fit-in). imgix has no name
	// for it.
	FitOutside
	// FitOutsideMax is FitOutside that never upscales.
	FitOutsideMax
	// FitCropDown scales to cover the box, but never above scale 1, then
	// crops to the box or, where the image is smaller, to the image's
	// side: imgproxy's fill without enlarge (a 400x200 image in a 300x300
	// box is 300x200). FitMin keeps the box's aspect ratio instead
	// (200x200).
	FitCropDown
	// FitScaleDown is FitScale that never upscales: where the box is larger
	// than the image on a side, both sides of the box are divided by the
	// larger of the two factors, so neither side is enlarged (imgproxy's
	// force without enlarge: a 400x200 image forced to 300x300 or 800x800
	// is 200x200, to 300x100 stays 300x100).
	FitScaleDown
	// FitCropDownPad is FitCropDown whose result is then padded to the box
	// (imgproxy's fill with extend): a 400x200 image in a 300x300 box is
	// cut to 300x200 and centred on 300x300, and in an 800x800 box kept at
	// 400x200 and centred on 800x800. With one side only, that side is
	// padded.
	FitCropDownPad
	// FitMinPad is FitMin whose result is then padded to the box in the
	// same way (imgproxy's fill-down with extend).
	FitMinPad
	// FitMaxPad is FitMax whose result is then padded to the box in the
	// same way (imgproxy's fit with extend): unlike FitFillMax, a side not
	// given is the image's own, so a 400x200 image with only a width of
	// 800 is 400x200 centred on 800x200.
	FitMaxPad
	// FitScaleDownPad is FitScaleDown whose result is then padded to the
	// box (imgproxy's force with extend): a 400x200 image forced to
	// 800x800 is scaled to 200x200 and placed on 800x800. Only the sides
	// given in pixels (Width, Height) are padded to: a side given as a
	// ratio of the source, or not at all, is the image's own, as
	// imgproxy's target side is 0 there.
	FitScaleDownPad
)

// Crops reports whether f cuts the resized image to the box where it
// covers more of it (FitCrop, FitMin, FitCropDown, FitCropDownPad,
// FitMinPad): the crop and focus (Crop, Focus, faces, the smart crop)
// place that cut.
func (f Fit) Crops() bool {
	return f == FitCrop || f == FitMin || f == FitCropDown || f == FitCropDownPad || f == FitMinPad
}

// CapsDPR reports whether f takes the DPR only as far as it does not
// enlarge the image, as imgproxy's calcScale caps its dprScale without
// enlarge: the imgproxy fits that never enlarge and have a box of their
// own to cut or pad to (FitCropDown, FitCropDownPad, FitMinPad,
// FitMaxPad, FitScaleDownPad). Their box is Width x Height times the
// smaller of DPR and the factor that brings the image, as the fit scales
// it at DPR 1, to its own size; times 1 where the image is already smaller than the box. A
// 1000x500 image in fill's 600x400 box at DPR 2 is cut to 750x500, not to
// 1000x500; a 400x200 one in 300x300 at DPR 2 to 300x200, as at DPR 1.
// (FitMax, FitMin and FitScaleDown, imgproxy's other fits without
// enlarge, come out the same either way.)
func (f Fit) CapsDPR() bool {
	return f == FitCropDown || f == FitCropDownPad || f == FitMinPad || f == FitMaxPad || f == FitScaleDownPad
}

// Fills reports whether f pads the image to the box (FitFill, FitFillMax,
// FitClamp) after fitting it inside the box; FitCropDownPad and FitMinPad,
// which pad what a crop leaves, and FitMaxPad, which pads only the sides
// given, are not among them.
func (f Fit) Fills() bool { return f == FitFill || f == FitFillMax || f == FitClamp }

// Filled reports whether fill, fill-color and fill-blur shape the excess
// space of f (FitFill, FitFillMax; FitClamp fills with the edges).
func (f Fit) Filled() bool { return f == FitFill || f == FitFillMax }

// Enlarging is f when enlarge is true, else f's form that never enlarges
// the image: clip → max, crop → min, fill → fillmax, outside → outsidemax,
// scale → scaledown. The never-enlarging fits and clamp are returned as
// they are (clamp has no such form; crop's other one, cropdown, is chosen
// by name).
func (f Fit) Enlarging(enlarge bool) Fit {
	if enlarge {
		return f
	}
	switch f {
	case FitClip:
		return FitMax
	case FitCrop:
		return FitMin
	case FitFill:
		return FitFillMax
	case FitOutside:
		return FitOutsideMax
	case FitScale:
		return FitScaleDown
	}
	return f
}

// Crop is the focus FitCrop and FitMin keep (imgix crop=).
type Crop uint8

const (
	CropCenter Crop = iota
	CropTop
	CropBottom
	CropLeft
	CropRight
	CropTopLeft
	CropTopRight
	CropBottomLeft
	CropBottomRight
	// CropEntropy keeps the region with the most entropy.
	CropEntropy
	// CropAttention keeps the region libvips judges most interesting.
	CropAttention
)

// Flip mirrors the image after rotation.
// Shape is an output mask's shape (imgix mask=).
type Shape uint8

const (
	ShapeNone Shape = iota
	// ShapeEllipse is the ellipse inscribed in the output (imgix ellipse).
	ShapeEllipse
	// ShapeCorners rounds the corners (imgix corners, CornerRadius).
	ShapeCorners
	// ShapeCircle is the largest circle centred in the output (wsrv circle).
	ShapeCircle
)

// String returns "none", "ellipse", "corners" or "circle"; part of Key.
func (s Shape) String() string { return enumName(shapeNames[:], uint8(s), "shape") }

var shapeNames = [...]string{ShapeNone: "none", ShapeEllipse: "ellipse", ShapeCorners: "corners", ShapeCircle: "circle"}

// Watermark is an image drawn over the output (imgix mark, mark-*), after
// the background and before a mask shape. Image is "" for none: the parser
// leaves it as written (a URL or an absolute path), and the handler
// replaces it with BgImageRef of the bytes it fetched (Extras.Mark), so
// the key names the content. Its size, in output pixels: Width and Height
// (CSS pixels times the DPR) or WidthRatio and HeightRatio (of the
// output's sides) make the box it is fitted into by Fit (FitClip keeps
// its aspect ratio, FitMax too without enlarging, FitScale fills the box);
// one side alone sets the other by the aspect ratio; Scale instead makes
// it Scale% of the output's width; none of them leaves it at its own
// size. It never exceeds the output (shrunk to fit inside, aspect kept).
// Align places it (default CropBottomRight; CropCenter the middle), Pad
// CSS pixels in from the edges (times the DPR; 5 by default), or at X, Y
// CSS pixels from the left and top when XSet, YSet (that axis's align and
// pad then unused). Alpha is its opacity in percent, 1-100.
type Watermark struct {
	Image                   string
	Width, Height           int
	WidthRatio, HeightRatio float64
	Scale                   int
	Fit                     Fit
	Align                   Crop
	Pad                     int
	Alpha                   int
	X, Y                    int
	XSet, YSet              bool
	// Rotate turns the mark clockwise by this many degrees, in [0, 360),
	// before it is placed (by its turned bounding box) and tiled.
	Rotate float64
	// Tile repeats the placed mark over the whole output in a grid, Pad
	// (CSS pixels) apart (imgix mark-tile=grid).
	Tile bool
	// MinWidth and MinHeight: the mark is drawn only on an output at least
	// that many pixels wide and high (imgix mark-if-min-width/-height).
	MinWidth, MinHeight int
	// XFromEnd and YFromEnd measure a set X or Y from the right or bottom
	// edge to the mark's far edge; XPercent and YPercent make it a
	// percentage of the output's width or height, rounded to a pixel
	// (Thumbor watermark's -10 and 20p).
	XFromEnd, YFromEnd, XPercent, YPercent bool
	// Spread repeats the mark along each axis it names from that axis's
	// start, as many whole marks as fit (at least 2, cut at the far edge,
	// when fewer do), with the space left over shared evenly between
	// them (10 pixels when fewer than 2 fit); along both axes at most 6
	// per axis once more than 100 would fit (Thumbor watermark's repeat).
	// An axis it names ignores X, Y and Align; Tile and Spread do not mix.
	Spread Axes
}

// Axes names the horizontal axis, the vertical one, both or neither.
type Axes uint8

const (
	AxisX Axes = 1 << iota
	AxisY
)

// String is "", "x", "y" or "xy"; part of Key.
func (a Axes) String() string {
	s := ""
	if a&AxisX != 0 {
		s += "x"
	}
	if a&AxisY != 0 {
		s += "y"
	}
	return s
}

// Blend is a colour laid over the whole output with a blend mode (imgix
// blend-mode, default overlay) at Alpha percent (imgix blend-alpha, 1-100;
// the colour's own alpha multiplies it); the output keeps its own alpha.
// The zero Blend (Color not Set) is none.
type Blend struct {
	Color Color
	Mode  BlendMode
	Alpha int
}

// BlendMode is one of imgix's blend modes that libvips composites (the
// separable ones; imgix's color, hue, saturation and luminosity are not).
type BlendMode uint8

const (
	BlendNormal BlendMode = iota
	BlendMultiply
	BlendScreen
	BlendOverlay
	BlendDarken
	BlendLighten
	BlendDodge
	BlendBurn
	BlendHardLight
	BlendSoftLight
	BlendDifference
	BlendExclusion
)

// String returns imgix's name of the mode ("normal", "multiply", ...); part
// of Key.
func (m BlendMode) String() string { return enumName(blendModeNames[:], uint8(m), "blend-mode") }

// ParseBlendMode returns the BlendMode imgix names s.
func ParseBlendMode(s string) (BlendMode, bool) {
	i, ok := lookupName(blendModeNames[:], s)
	return BlendMode(i), ok
}

var blendModeNames = [...]string{
	BlendNormal: "normal", BlendMultiply: "multiply", BlendScreen: "screen", BlendOverlay: "overlay",
	BlendDarken: "darken", BlendLighten: "lighten", BlendDodge: "dodge", BlendBurn: "burn",
	BlendHardLight: "hardlight", BlendSoftLight: "softlight", BlendDifference: "difference", BlendExclusion: "exclusion",
}

// Text is a line of text drawn over the output (imgix txt, txt-*), after
// the watermark and before a mask shape; Text "" for none. Size is in CSS
// pixels (times the DPR); Font a Pango family list and style ("sans",
// "serif bold", "DejaVu Sans Mono"), rendered with the fonts installed (a
// family that is not falls back to the closest one). Width, when not 0,
// wraps the text at that many CSS pixels. It is placed as a watermark is
// (Align, Pad, X, Y, XSet, YSet); what falls outside the output is cut.
// The parser fills in imgix's defaults: 12 px, opaque black, sans (imgix's
// Helvetica), bottom right, 10 px in.
type Text struct {
	Text       string
	Size       int
	Color      Color
	Font       string
	Width      int
	Align      Crop
	Pad        int
	X, Y       int
	XSet, YSet bool
	// Outline is the width in CSS pixels of a line of OutlineColor drawn
	// around the glyphs, under them (imgix txt-line); 0: none.
	Outline      int
	OutlineColor Color
	// Shadow, 0-10 (imgix txt-shad; 0: none), casts a soft black shadow
	// of the glyphs and their outline, at 80% opacity, Shadow/2 CSS pixels
	// down and to the right (at least one pixel), blurred by a Gaussian of
	// sigma Shadow/2 CSS pixels. The text stays where it is placed; the
	// shadow may reach past the placement.
	Shadow float64
	// Fit and Clip set the text on one line (Width then wraps nothing)
	// within its region: Width CSS pixels when set, else the output's
	// width less Pad on either side. Fit shrinks the font until the line
	// fits (imgix txt-fit=max); Clip, when the line is still longer, drops
	// whole characters from its end, start or middle until it fits, with
	// Ellipsis putting "…" where they were (imgix txt-clip).
	Fit      bool
	Clip     TextClip
	Ellipsis bool
}

// GenericFontFamily is the Pango (fontconfig) name of one of CSS's generic
// font families (sans-serif, serif, monospace, cursive, fantasy; any case),
// as Text.Font takes it; ok is false for any other name.
func GenericFontFamily(name string) (family string, ok bool) {
	family, ok = genericFontFamilies[asciiLower(name)]
	return family, ok
}

var genericFontFamilies = map[string]string{"sans-serif": "sans", "serif": "serif", "monospace": "monospace", "cursive": "cursive", "fantasy": "fantasy"}

// TextClip is where a text too long for its region loses characters.
type TextClip uint8

const (
	TextClipNone TextClip = iota
	TextClipEnd
	TextClipStart
	TextClipMiddle
)

// String is imgix's name ("end", "start", "middle"; "none"); part of Key.
func (c TextClip) String() string { return enumName(textClipNames[:], uint8(c), "txt-clip") }

// ParseTextClip reads imgix's start, middle or end.
func ParseTextClip(s string) (TextClip, bool) {
	i, ok := lookupName(textClipNames[:], s)
	return TextClip(i), ok && i != 0
}

var textClipNames = [...]string{TextClipNone: "none", TextClipEnd: "end", TextClipStart: "start", TextClipMiddle: "middle"}

// Border is a frame of Color drawn inside the output's edges, Sides CSS
// pixels wide (times the DPR), without growing the output (imgix border,
// border-top/-right/-bottom/-left). Radius, when Set, rounds its outer
// corners and cuts the output outside them away, as mask=corners does;
// InnerRadius, when Set, rounds the inner edge's corners (square
// otherwise). Radii are CSS pixels too. The zero Border is none.
type Border struct {
	Color               Color
	Sides               Sides
	Radius, InnerRadius Corners
}

// Corners are four radii, clockwise from the top left (imgix
// corner-radius), Set when given.
type Corners struct {
	TopLeft, TopRight, BottomRight, BottomLeft int
	Set                                        bool
}

// Kernel is a resampling filter, as sharp and libvips name them.
type Kernel uint8

const (
	KernelDefault Kernel = iota // Lanczos 3, as libvips' thumbnail resamples
	KernelNearest
	KernelLinear
	KernelCubic
	KernelMitchell
	KernelLanczos2
)

var kernelNames = [...]string{KernelDefault: "lanczos3", KernelNearest: "nearest", KernelLinear: "linear",
	KernelCubic: "cubic", KernelMitchell: "mitchell", KernelLanczos2: "lanczos2"}

func (k Kernel) String() string { return enumName(kernelNames[:], uint8(k), "kernel") }

// ParseKernel reads a filter's name: nearest, linear, cubic, mitchell,
// lanczos2 or lanczos3 (KernelDefault).
func ParseKernel(s string) (Kernel, bool) {
	i, ok := lookupName(kernelNames[:], s)
	return Kernel(i), ok
}

type Flip uint8

const (
	FlipNone Flip = iota
	FlipH
	FlipV
	FlipHV
)

// ParseFlip reads the flip spellings imgix and Cloudflare share: h
// (mirrored), v (upside down), and hv or vh (both).
func ParseFlip(v string) (Flip, bool) {
	switch v {
	case "h":
		return FlipH, true
	case "v":
		return FlipV, true
	case "hv", "vh":
		return FlipHV, true
	}
	return FlipNone, false
}

// Format is an output image format.
type Format uint8

const (
	// FormatSource keeps the source's format (or PNG/JPEG where it cannot be encoded).
	FormatSource Format = iota
	FormatJPEG
	FormatPNG
	FormatWebP
	FormatAVIF
	FormatGIF
	// FormatZIP is remove.bg's ZIP: color.jpg plus alpha.png (removal only).
	FormatZIP
	// FormatJSON is imgix's fm=json: what the source's header says, as
	// JSON, in place of an image.
	FormatJSON
)

// Convolution is a kernel of Columns columns whose weights, row by row,
// are Weights: decimals joined by ";" (a string keeps Params comparable
// and small; Kernel reads it). Normalize divides them by their sum, when
// that is not 0. Each output sample, alpha too, is the weighted sum of the
// samples around it (the kernel not flipped, the edges extended by
// copying), truncated to 0-255.
type Convolution struct {
	Columns   int
	Weights   string
	Normalize bool
}

// Kernel is c's weights, normalised when asked, and its rows.
func (c Convolution) Kernel() (weights []float64, rows int, err error) {
	for w := range strings.SplitSeq(c.Weights, ";") {
		v, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return nil, 0, err
		}
		weights = append(weights, v)
	}
	if c.Columns <= 0 || len(weights)%c.Columns != 0 {
		return nil, 0, errors.New("params: a kernel's weights do not fill its rows")
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	if c.Normalize && sum != 0 {
		for i := range weights {
			weights[i] /= sum
		}
	}
	return weights, len(weights) / c.Columns, nil
}

// Curves are Thumbor's curve filter: a curve for each of red, green and
// blue, then one for all three, each a list of points "x:y,x:y,..." (0-255,
// x increasing; canonical text keeps Params comparable), read by
// CurvePoints. A curve is the natural cubic spline through its points,
// rounded; before the first point it is the first y, from the last point
// on the last y. Alpha is kept.
type Curves struct{ All, Red, Green, Blue string }

// CurvePoints reads a Curves list into points.
func CurvePoints(s string) ([][2]int, error) {
	var pts [][2]int
	for p := range strings.SplitSeq(s, ",") {
		xs, ys, ok := strings.Cut(p, ":")
		x, xerr := strconv.Atoi(xs)
		y, yerr := strconv.Atoi(ys)
		if !ok || xerr != nil || yerr != nil || x < 0 || x > 255 || y < 0 || y > 255 || (len(pts) > 0 && x <= pts[len(pts)-1][0]) {
			return nil, errors.New("params: a curve's points are x:y, 0-255, x increasing")
		}
		pts = append(pts, [2]int{x, y})
	}
	return pts, nil
}

// Denoise smooths noise and sharpens detail against a Gaussian blur of
// sigma 1 (imgix nr, nrs; Set when either is given): a colour sample
// within Bound/4 levels of its blurred value takes that value (noise); any
// other moves Sharpen/100 times its difference from it further away
// (detail). Bound and Sharpen are -100 to 100, imgix's 20 when left out;
// at or below 0 that part is off. imgix does not publish its filter: this
// is Matte's.
type Denoise struct {
	Bound, Sharpen int
	Set            bool
}

// Duotone is a gradient from Start (black's colour) to Stop (white's).
type Duotone struct{ Start, Stop Color }

// FormatQualities holds a quality, 1-100, for each lossy output format
// (0: unset).
type FormatQualities struct{ JPEG, WebP, AVIF int }

// For is the quality for format f, 0 when none is set for it.
func (q FormatQualities) For(f Format) int {
	if s := q.slot(f); s != nil {
		return *s
	}
	return 0
}

// Set sets the quality for format f (JPEG, WebP or AVIF; the others have
// none and are left as they are).
func (q *FormatQualities) Set(f Format, v int) {
	if s := q.slot(f); s != nil {
		*s = v
	}
}

// slot is where q keeps format f's quality, nil for a format without one.
func (q *FormatQualities) slot(f Format) *int {
	switch f {
	case FormatJPEG:
		return &q.JPEG
	case FormatWebP:
		return &q.WebP
	case FormatAVIF:
		return &q.AVIF
	}
	return nil
}

// QualityFor is the quality p asks of an answer in format f: Quality, or
// when it is 0 FormatQuality's for f; 0 leaves the configured default.
func (p Params) QualityFor(f Format) int {
	if p.Quality > 0 {
		return p.Quality
	}
	return p.FormatQuality.For(f)
}

// Rect is a region in source pixels; W == 0 means unset.
type Rect struct{ X, Y, W, H int }

// Region is a part of the source cut before resizing, as Rect is, whose
// place depends on the source's size: the pipeline resolves it into Rect
// once the source is known. Either Cut pixels off each side (Cloudflare
// trim=top;right;bottom;left), or an area W x H pixels (0: the whole
// side; WRatio or HRatio, in (0, 1): that fraction of it), within the
// source, placed by Anchor, or centred on Focus as far as the source
// allows when Focus.Set (imgproxy crop:W:H:gravity), or by each axis on
// its own when AtSet (At[0] along the width, At[1] along the height:
// imgix rect=x,y,w,h with x or y a keyword or a fraction). Both are in
// source pixels after the EXIF orientation. The zero Region is none; a
// parser sets Rect or Region, not both.
type Region struct {
	Cut            Sides
	W, H           int
	WRatio, HRatio float64
	Anchor         Crop
	Focus          Focus
	At             [2]Place
	AtSet          bool
}

// Place is where a Region's area starts along one axis (Region.At), as
// By says: Px pixels in (PlacePixels), F times the side in
// (PlaceFraction: imgix rect's 0-1 x and y, 0.5 the left edge at the
// middle), or F of the room the area leaves before it (PlaceAlign: 0
// the start, 0.5 the centre, 1 the end; imgix's left, center, right and
// top, middle, bottom).
type Place struct {
	By PlaceBy
	Px int
	F  float64
}

// PlaceBy says how a Place measures.
type PlaceBy uint8

const (
	PlacePixels PlaceBy = iota
	PlaceFraction
	PlaceAlign
)

// IsZero reports whether r is unset.
func (r Rect) IsZero() bool { return r.W == 0 || r.H == 0 }

// Color is a non-premultiplied sRGB colour; Set distinguishes an explicit
// transparent colour from "no colour given".
type Color struct {
	R, G, B, A uint8
	Set        bool
}

// String returns the imgix keyword for f ("clip", "crop", ...). The names
// are part of Key and therefore stable.
func (f Fit) String() string { return enumName(fitNames[:], uint8(f), "fit") }

// String returns the keyword for c: "center", "top", ..., "top-left", ...,
// "entropy", "attention". The names are part of Key and therefore stable.
func (c Crop) String() string { return enumName(cropNames[:], uint8(c), "crop") }

// String returns "none", "h", "v" or "hv". The names are part of Key and
// therefore stable.
func (f Flip) String() string { return enumName(flipNames[:], uint8(f), "flip") }

// String returns "source", "jpeg", "png", "webp", "avif", "gif", "zip" or
// "json".
// The names are part of Key and therefore stable.
func (f Format) String() string { return enumName(formatNames[:], uint8(f), "format") }

var (
	fitNames  = [...]string{FitClip: "clip", FitCrop: "crop", FitFill: "fill", FitMax: "max", FitMin: "min", FitScale: "scale", FitFillMax: "fillmax", FitClamp: "clamp", FitOutside: "outside", FitOutsideMax: "outsidemax", FitCropDown: "cropdown", FitScaleDown: "scaledown", FitCropDownPad: "cropdownpad", FitMinPad: "minpad", FitMaxPad: "maxpad", FitScaleDownPad: "scaledownpad"}
	cropNames = [...]string{
		CropCenter: "center", CropTop: "top", CropBottom: "bottom", CropLeft: "left", CropRight: "right",
		CropTopLeft: "top-left", CropTopRight: "top-right", CropBottomLeft: "bottom-left", CropBottomRight: "bottom-right",
		CropEntropy: "entropy", CropAttention: "attention",
	}
	flipNames    = [...]string{FlipNone: "none", FlipH: "h", FlipV: "v", FlipHV: "hv"}
	variantNames = [...]string{VariantNone: "none", VariantProgressive: "progressive", VariantPalette: "palette", VariantRGBA: "rgba"}
	formatNames  = [...]string{FormatSource: "source", FormatJPEG: "jpeg", FormatPNG: "png", FormatWebP: "webp", FormatAVIF: "avif", FormatGIF: "gif", FormatZIP: "zip", FormatJSON: "json"}
)

// enumName returns names[v], or kind(v) for a value outside the enum.
func enumName(names []string, v uint8, kind string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return kind + "(" + strconv.Itoa(int(v)) + ")"
}

// HasAlpha reports whether f can carry transparency.
func (f Format) HasAlpha() bool {
	return f == FormatPNG || f == FormatWebP || f == FormatAVIF || f == FormatGIF
}

// ContentType is f's MIME type.
func (f Format) ContentType() string {
	switch f {
	case FormatJPEG:
		return "image/jpeg"
	case FormatPNG:
		return "image/png"
	case FormatWebP:
		return "image/webp"
	case FormatAVIF:
		return "image/avif"
	case FormatGIF:
		return "image/gif"
	case FormatZIP:
		return "application/zip"
	case FormatJSON:
		return "application/json"
	}
	return "application/octet-stream"
}

// Extension is the file name extension of f's files (".jpg", ".png",
// ...), "" for a format Matte does not write.
func (f Format) Extension() string {
	switch f {
	case FormatJPEG:
		return ".jpg"
	case FormatPNG, FormatWebP, FormatAVIF, FormatGIF, FormatZIP, FormatJSON:
		return "." + f.String()
	}
	return ""
}

// FitNames lists imgix's fit keywords in Fit order (FitOutside,
// FitOutsideMax and the later fits, which imgix does not name, are left
// out; ParseFit reads only these).
func FitNames() []string { return fitNames[:FitClamp+1] }

// ParseFit returns the Fit whose keyword is s.
func ParseFit(s string) (Fit, bool) { i, ok := lookupName(fitNames[:FitClamp+1], s); return Fit(i), ok }

// ParseCrop returns the Crop whose keyword (String) is s.
func ParseCrop(s string) (Crop, bool) { i, ok := lookupName(cropNames[:], s); return Crop(i), ok }

// ParseFormat returns the Format whose keyword (String) is s; "source" is
// FormatSource.
func ParseFormat(s string) (Format, bool) {
	i, ok := lookupName(formatNames[:], s)
	return Format(i), ok
}

// ParseOutputFormat reads the output format names the CDNs' URL forms
// share: jpg (or jpeg), png, webp, avif, gif. Unlike ParseFormat it takes
// neither "source" nor "zip", which are not formats a URL can ask for, nor
// imgix's "json".
func ParseOutputFormat(s string) (Format, bool) {
	if s == "jpg" {
		s = "jpeg"
	}
	f, ok := ParseFormat(s)
	if !ok || f == FormatSource || f == FormatZIP || f == FormatJSON {
		return FormatSource, false
	}
	return f, true
}

// lookupName returns the index of s in names.
func lookupName(names []string, s string) (uint8, bool) {
	for i, n := range names {
		if n == s {
			return uint8(i), true
		}
	}
	return 0, false
}
