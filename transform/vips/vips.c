// The libvips calls behind package vips; vips.h documents the conventions.
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "vips.h"

// ---- buffers ----
//
// The loaders below read a source through a VipsBlob, never a bare
// pointer: libvips decodes lazily, and a loader operation references the
// blob it was given (as an input argument) for as long as it lives, while
// every image it outputs, and every image made from those, references the
// operation in turn. The blob's free callback therefore runs only once no
// image that may read the source is left (matte_pinned_blob).

// mattePinRelease is pin.go's: it unpins the Go memory behind handle.
extern void mattePinRelease(uintptr_t handle);

static int matte_pinned_free(void *data, VipsArea *area) {
  mattePinRelease((uintptr_t)area->client);
  return 0;
}

// matte_pinned_blob is a blob over len bytes at buf (not copied), whose
// last unref calls mattePinRelease(handle) on whichever thread drops it.
// VipsArea's client field is the caller's to set (vips/type.h: "VipsArea
// doesn't use this").
VipsBlob *matte_pinned_blob(const void *buf, size_t len, uintptr_t handle) {
  VipsBlob *blob = vips_blob_new((VipsCallbackFn)matte_pinned_free, buf, len);
  VIPS_AREA(blob)->client = (void *)handle;
  return blob;
}

// matte_blob_unref drops the caller's reference to blob.
void matte_blob_unref(VipsBlob *blob) { vips_area_unref(VIPS_AREA(blob)); }

// matte_load_blob is vips_image_new_from_buffer (libvips 8.18,
// iofuncs/image.c) on blob itself, where that makes a blob of its own over
// the same memory that owns nothing: the loader holds blob.
VipsImage *matte_load_blob(VipsBlob *blob, const char *option_string, ...) {
  size_t len;
  const void *buf = vips_blob_get(blob, &len);
  const char *name = vips_foreign_find_load_buffer(buf, len);
  if (!name) return NULL;
  VipsImage *out;
  va_list ap;
  va_start(ap, option_string);
  int r = vips_call_split_option_string(name, option_string, ap, blob, &out);
  va_end(ap);
  return r ? NULL : out;
}

// jpegload_blob is vips_jpegload_buffer on blob itself.
static int jpegload_blob(VipsBlob *blob, VipsImage **out, ...) {
  va_list ap;
  va_start(ap, out);
  int r = vips_call_split("jpegload_buffer", ap, blob, out);
  va_end(ap);
  return r;
}

// thumbnail_blob is vips_thumbnail_buffer on blob itself. The thumbnail
// operation opens the source with a blob of its own over blob's memory
// (resample/thumbnail.c), which owns nothing; every image that reads that
// inner loader feeds the thumbnail's output, which holds the thumbnail
// operation, which holds blob.
static int thumbnail_blob(VipsBlob *blob, VipsImage **out, int width, ...) {
  va_list ap;
  va_start(ap, width);
  int r = vips_call_split("thumbnail_buffer", ap, blob, out, width);
  va_end(ap);
  return r;
}

// ---- loading ----

// matte_thumbnail loads blob with shrink-on-load, applies the EXIF
// orientation and resizes to width x height (size and crop as in
// vips_thumbnail; crop < 0 means none). jpeg_shrink > 1 decodes a JPEG at
// 1/jpeg_shrink scale in libjpeg (DCT scaling) before the final resize: the
// caller picks the largest factor that still leaves at least the target
// size, as imgproxy does, where vips_thumbnail 8.14 keeps 2x more pixels
// than the resize needs. orientation 1-8 replaces the source's own EXIF
// orientation (width and height are then those of the image so turned);
// 0 keeps it.
//
// A broken source is an error, never an image with a grey bottom: other
// formats fail on errors (truncation included), and a JPEG fails on any
// libjpeg warning, since libjpeg reports scan data that ends before the
// header's size (a truncated or lying file) only as a warning. A warning
// raised while the last strip decodes is not caught (libvips checks before
// each strip).
int matte_thumbnail(VipsBlob *blob, VipsImage **out, int width, int height,
                    int size, int crop, int jpeg_shrink, int is_jpeg,
                    int orientation) {
  const char *options = is_jpeg ? "fail_on=warning" : "fail_on=error";
  if (jpeg_shrink > 1 || orientation > 0) {
    // Loaded first, then thumbnailed: the orientation is set in between.
    // Formats other than JPEG lose their shrink-on-load on this path.
    VipsImage *in, *t;
    if (jpeg_shrink > 1) {
      if (jpegload_blob(blob, &in, "shrink", jpeg_shrink, "fail_on",
                        VIPS_FAIL_ON_WARNING, "access", VIPS_ACCESS_SEQUENTIAL,
                        NULL))
        return -1;
    } else if (!(in = matte_load_blob(blob, options, "access",
                                      VIPS_ACCESS_SEQUENTIAL, NULL)))
      return -1;
    int r = matte_with_orientation(in, &t, orientation);
    g_object_unref(in);
    if (r) return -1;
    r = matte_thumbnail_image(t, out, width, height, size, crop);
    g_object_unref(t);
    return r;
  }
  if (crop >= 0)
    return thumbnail_blob(blob, out, width, "height", height, "size", size,
                          "crop", crop, "option_string", options, NULL);
  return thumbnail_blob(blob, out, width, "height", height, "size", size,
                        "option_string", options, NULL);
}

// matte_load_strict opens blob's first image for one sequential read, with
// matte_thumbnail's strictness (a JPEG fails on any libjpeg warning, other
// formats on errors); no pixel is decoded until *out is read.
int matte_load_strict(VipsBlob *blob, int is_jpeg, VipsImage **out) {
  *out = matte_load_blob(blob, is_jpeg ? "fail_on=warning" : "fail_on=error",
                         "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  return *out ? 0 : -1;
}

// matte_read_all reads every pixel of in once, top to bottom (for their
// mean), so that a decode failure anywhere in in's source fails it.
int matte_read_all(VipsImage *in) {
  double avg;
  return vips_avg(in, &avg, NULL);
}

// matte_heif_hevc says whether buf is HEIF whose primary image is
// HEVC-coded, as its header says (libvips' heifload sets
// "heif-compression"): 1 when it is, 0 when it is not, -1 when the header
// does not read.
int matte_heif_hevc(void *buf, size_t len) {
  VipsImage *in = vips_image_new_from_buffer(buf, len, "", NULL);
  if (!in) return -1;
  const char *c = NULL;
  int hevc = vips_image_get_typeof(in, "heif-compression") &&
             !vips_image_get_string(in, "heif-compression", &c) && c &&
             g_ascii_strcasecmp(c, "hevc") == 0;
  g_object_unref(in);
  return hevc;
}

// matte_with_orientation is in with its EXIF orientation replaced by
// orientation (1-8), for vips_thumbnail_image to apply; 0 leaves in's own.
// It adds a reference to in either way.
int matte_with_orientation(VipsImage *in, VipsImage **out, int orientation) {
  if (orientation <= 0) {
    g_object_ref(in);
    *out = in;
    return 0;
  }
  if (vips_copy(in, out, NULL)) return -1;
  vips_image_set_int(*out, VIPS_META_ORIENTATION, orientation);
  return 0;
}

int matte_thumbnail_image(VipsImage *in, VipsImage **out, int width,
                          int height, int size, int crop) {
  if (crop >= 0)
    return vips_thumbnail_image(in, out, width, "height", height, "size", size,
                                "crop", crop, NULL);
  return vips_thumbnail_image(in, out, width, "height", height, "size", size,
                              NULL);
}

// matte_from_pixels wraps len bytes of packed 8-bit pixels with bands
// bands as an image (sRGB for 3). The memory is copied, so the caller keeps
// ownership of buf.
VipsImage *matte_from_pixels(void *buf, size_t len, int width, int height,
                             int bands) {
  VipsImage *im = vips_image_new_from_memory_copy(buf, len, width, height,
                                                  bands, VIPS_FORMAT_UCHAR);
  if (im && bands == 3) im->Type = VIPS_INTERPRETATION_sRGB;
  return im;
}

// matte_new_pixels makes a width x height image of packed 8-bit pixels
// with bands bands (sRGB for 3 or 4, the fourth being alpha; grey for 1 or
// 2), held in memory that the image owns: *data, for the caller to fill
// before the image is read.
VipsImage *matte_new_pixels(int width, int height, int bands, void **data) {
  VipsImage *im = vips_image_new_memory();
  vips_image_init_fields(
      im, width, height, bands, VIPS_FORMAT_UCHAR, VIPS_CODING_NONE,
      bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W, 1.0,
      1.0);
  if (vips_image_write_prepare(im)) {
    g_object_unref(im);
    return NULL;
  }
  *data = im->data;
  return im;
}

// uchar_as casts in to 8-bit and tags it with interpretation interp; it
// takes over the caller's reference to in.
static int uchar_as(VipsImage *in, VipsImage **out, VipsInterpretation interp) {
  VipsImage *u;
  int r = vips_cast(in, &u, VIPS_FORMAT_UCHAR, NULL);
  g_object_unref(in);
  if (r) return -1;
  r = vips_copy(u, out, "interpretation", interp, NULL);
  g_object_unref(u);
  return r;
}

// matte_solid is a width x height image of one colour with n bands.
int matte_solid(VipsImage **out, int width, int height, double *c, int n) {
  VipsImage *black, *t;
  if (vips_black(&black, width, height, "bands", n, NULL)) return -1;
  double zero[4] = {0, 0, 0, 0};
  int r = vips_linear(black, &t, zero, c, n, NULL);
  g_object_unref(black);
  if (r) return -1;
  return uchar_as(t, out,
                  n >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W);
}

// matte_gradient is a vertical gradient from top to bottom (4 bands each).
int matte_gradient(VipsImage **out, int width, int height, double *top,
                   double *bottom) {
  VipsImage *ramp, *col, *wide, *lin;
  // vips_grey gives 0..1 left to right; turn it into a column.
  if (vips_grey(&ramp, height, 1, NULL)) return -1;
  int r = vips_rot(ramp, &col, VIPS_ANGLE_D90, NULL);
  g_object_unref(ramp);
  if (r) return -1;
  // D90 puts the first column value at the top.
  r = vips_embed(col, &wide, 0, 0, width, height, "extend", VIPS_EXTEND_COPY,
                 NULL);
  g_object_unref(col);
  if (r) return -1;
  VipsImage *four;
  VipsImage *bands[4] = {wide, wide, wide, wide};
  r = vips_bandjoin(bands, &four, 4, NULL);
  g_object_unref(wide);
  if (r) return -1;
  double a[4], b[4];
  for (int i = 0; i < 4; i++) {
    a[i] = bottom[i] - top[i];
    b[i] = top[i];
  }
  r = vips_linear(four, &lin, a, b, 4, NULL);
  g_object_unref(four);
  if (r) return -1;
  return uchar_as(lin, out, VIPS_INTERPRETATION_sRGB);
}

// matte_linear_gradient is a width x height RGBA gradient: at pixel (x, y)
// u = kx x + ky y + k0, clamped to [0, 1] (through a 16-bit cast, which
// clips), picks the colour from + u (to - from) of the premultiplied
// colours from and to (4 bands each, alpha 0-255), unpremultiplied and
// rounded to 8 bits.
int matte_linear_gradient(VipsImage **out, int width, int height, double kx,
                          double ky, double k0, double *from, double *to) {
  VipsImage *xy, *m, *t, *u, *u16, *pre, *rgba;
  if (vips_xyz(&xy, width, height, NULL)) return -1;
  m = vips_image_new_matrixv(2, 1, kx, ky);
  int r = vips_recomb(xy, &t, m, NULL);
  g_object_unref(xy);
  g_object_unref(m);
  if (r) return -1;
  r = vips_linear1(t, &u, 65535, k0 * 65535 + 0.5, NULL);
  g_object_unref(t);
  if (r) return -1;
  r = vips_cast(u, &u16, VIPS_FORMAT_USHORT, NULL);
  g_object_unref(u);
  if (r) return -1;
  double a[4], b[4];
  for (int i = 0; i < 4; i++) {
    double f = i < 3 ? from[i] * from[3] / 255 : from[3];
    double g = i < 3 ? to[i] * to[3] / 255 : to[3];
    a[i] = (g - f) / 65535;
    b[i] = f;
  }
  r = vips_linear(u16, &pre, a, b, 4, NULL);
  g_object_unref(u16);
  if (r) return -1;
  r = vips_unpremultiply(pre, &rgba, "max_alpha", 255.0, NULL);
  g_object_unref(pre);
  if (r) return -1;
  double half[4] = {0.5, 0.5, 0.5, 0.5}, one[4] = {1, 1, 1, 1};
  VipsImage *rounded;
  r = vips_linear(rgba, &rounded, one, half, 4, NULL);
  g_object_unref(rgba);
  if (r) return -1;
  return uchar_as(rounded, out, VIPS_INTERPRETATION_sRGB);
}

// ---- geometry and colour ----

// matte_copy_memory renders in to memory so later steps may read it in any
// order, and more than once.
int matte_copy_memory(VipsImage *in, VipsImage **out) {
  *out = vips_image_copy_memory(in);
  return *out ? 0 : -1;
}

int matte_extract(VipsImage *in, VipsImage **out, int left, int top,
                  int width, int height) {
  return vips_extract_area(in, out, left, top, width, height, NULL);
}

int matte_extract_band(VipsImage *in, VipsImage **out, int band, int n) {
  return vips_extract_band(in, out, band, "n", n, NULL);
}

int matte_is_srgb8(VipsImage *in) {
  VipsInterpretation i = vips_image_get_interpretation(in);
  return vips_image_get_format(in) == VIPS_FORMAT_UCHAR &&
         (i == VIPS_INTERPRETATION_sRGB) &&
         !vips_image_get_typeof(in, VIPS_META_ICC_NAME);
}

// matte_kept_bands is how many bands of in to keep so that it has its
// colour bands (1 for grey, 4 for CMYK, 3 otherwise) and at most one more,
// its alpha; 0 when it has no more than those. A TIFF may carry several
// extra samples (Photoshop's saved selections, spot colours), which libvips
// loads and carries through colour conversion as further bands: no step
// after the load knows what to do with them.
int matte_kept_bands(VipsImage *in) {
  int colour = 3;
  switch (vips_image_get_interpretation(in)) {
  case VIPS_INTERPRETATION_B_W:
  case VIPS_INTERPRETATION_GREY16:
    colour = 1;
    break;
  case VIPS_INTERPRETATION_CMYK:
    colour = 4;
    break;
  default:
    break;
  }
  return in->Bands > colour + 1 ? colour + 1 : 0;
}

// matte_to_srgb converts to 8-bit sRGB: through the embedded ICC profile
// when there is one, else by colourspace conversion. Alpha is kept.
// profile_is_srgb says the embedded profile is sRGB itself (the caller has
// read it: icc.IsSRGB): a 3- or 4-band RGB image is then already in sRGB,
// and the profile is dropped without an lcms pass, which would only add
// its rounding.
int matte_to_srgb(VipsImage *in, VipsImage **out, int profile_is_srgb) {
  if (!vips_image_get_typeof(in, VIPS_META_ICC_NAME))
    return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
  VipsInterpretation i = vips_image_get_interpretation(in);
  VipsImage *t;
  if (profile_is_srgb && (in->Bands == 3 || in->Bands == 4) &&
      (i == VIPS_INTERPRETATION_sRGB || i == VIPS_INTERPRETATION_RGB16)) {
    if (vips_copy(in, &t, NULL)) return -1;
    vips_image_remove(t, VIPS_META_ICC_NAME);
    int r = vips_colourspace(t, out, VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(t);
    return r;
  }
  if (vips_icc_transform(in, &t, "srgb", "embedded", TRUE, "intent",
                         VIPS_INTENT_PERCEPTUAL, "depth", 8, NULL))
    return -1;
  vips_image_remove(t, VIPS_META_ICC_NAME);
  *out = t;
  return 0;
}

// matte_icc_profile points *data at in's embedded ICC profile (owned by
// in) and returns its length; 0 when there is none.
size_t matte_icc_profile(VipsImage *in, const void **data) {
  size_t n = 0;
  if (!vips_image_get_typeof(in, VIPS_META_ICC_NAME) ||
      vips_image_get_blob(in, VIPS_META_ICC_NAME, data, &n))
    return 0;
  return n;
}

int matte_cast_uchar(VipsImage *in, VipsImage **out) {
  return vips_cast(in, out, VIPS_FORMAT_UCHAR, NULL);
}

int matte_rot(VipsImage *in, VipsImage **out, int quarter_turns) {
  VipsAngle a = VIPS_ANGLE_D0;
  switch (quarter_turns & 3) {
  case 1: a = VIPS_ANGLE_D90; break;
  case 2: a = VIPS_ANGLE_D180; break;
  case 3: a = VIPS_ANGLE_D270; break;
  }
  return vips_rot(in, out, a, NULL);
}

// ---- mixing neighbours with alpha ----
//
// An operation that mixes neighbouring pixels (a blur, a resize) must
// weight each colour by its alpha: mixed as they are, the colours of
// transparent pixels, invisible in the source (black in most exported PNGs,
// the old background in a cut-out), bleed into the edge of what is visible
// as a dark or off-colour fringe. vips_thumbnail and vips_affine (so
// vips_rotate) premultiply by themselves; vips_resize and vips_gaussblur do
// not, and run through premultiplied(), as sharp and imgproxy do around
// theirs.

typedef int (*mixing_op)(VipsImage *in, VipsImage **out, void *arg);

// premultiplied runs op on in with its colours premultiplied by its alpha
// when in is 8-bit with an alpha band, and returns op's result
// unpremultiplied with in's interpretation; otherwise it runs op on in as
// it is. With in_float, op gets the premultiplied image in float and its
// result stays float; otherwise op gets it rounded to 8 bits (libvips'
// integer paths, several times faster than float for a blur) and the
// result is rounded to 8 bits. That rounding moves a colour by up to
// 128/alpha levels, which shows, weighted by its alpha, as at most half a
// level over any background.
static int premultiplied(VipsImage *in, VipsImage **out, mixing_op op,
                         void *arg, int in_float) {
  if (!vips_image_hasalpha(in) || in->BandFmt != VIPS_FORMAT_UCHAR)
    return op(in, out, arg);
  VipsImage *pre, *mixed, *un, *t;
  if (vips_premultiply(in, &pre, "max_alpha", 255.0, NULL)) return -1;
  if (!in_float) {
    int r = matte_clamp_uchar(pre, &t);
    g_object_unref(pre);
    if (r) return -1;
    pre = t;
  }
  // A blur or resize reads each input line several times (its window's
  // overlap): without the cache the point operations above, and anything
  // lazy before them, would run again for each read (a 600x400 blur after
  // a thumbnail took 20 ms more; with it, 2 ms more than the plain blur).
  int r = vips_linecache(pre, &t, "access", VIPS_ACCESS_SEQUENTIAL,
                         "threaded", TRUE, NULL);
  g_object_unref(pre);
  if (r) return -1;
  pre = t;
  r = op(pre, &mixed, arg);
  g_object_unref(pre);
  if (r) return -1;
  r = vips_unpremultiply(mixed, &un, "max_alpha", 255.0, NULL);
  g_object_unref(mixed);
  if (r) return -1;
  if (!in_float) {
    r = matte_clamp_uchar(un, &t);
    g_object_unref(un);
    if (r) return -1;
    un = t;
  }
  r = vips_copy(un, out, "interpretation", in->Type, NULL);
  g_object_unref(un);
  return r;
}

// matte_rotate rotates clockwise by angle degrees; the uncovered corners
// take bg (one value per band, n values). vips_rotate mixes premultiplied.
int matte_rotate(VipsImage *in, VipsImage **out, double angle, double *bg,
                 int n) {
  VipsArrayDouble *background = vips_array_double_new(bg, n);
  // vips_rotate turns clockwise on screen (y grows downwards).
  int r = vips_rotate(in, out, angle, "background", background, NULL);
  vips_area_unref(VIPS_AREA(background));
  return r;
}

// matte_rotate_in_frame turns in clockwise by angle degrees about its
// centre and scales it by scale, in one resample, onto a frame of in's own
// size centred on the same point (the rest of the turned image is not
// computed). libvips places pixel centres at whole coordinates, so the
// centre is ((w-1)/2, (h-1)/2), and it draws 0 for any point past the
// outermost centres: the caller picks scale so that none lands there.
// Within them, the interpolator's window past the edge copies the edge
// rather than mixing in a background. vips_affine mixes premultiplied.
int matte_rotate_in_frame(VipsImage *in, VipsImage **out, double angle,
                          double scale) {
  double rad = angle * M_PI / 180.0;
  // The matrix of vips_similarity: clockwise on screen (y grows
  // downwards).
  double a = scale * cos(rad), b = -scale * sin(rad);
  int w = in->Xsize, h = in->Ysize;
  VipsArrayInt *oarea = vips_array_int_newv(4, 0, 0, w, h);
  double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
  int r = vips_affine(in, out, a, b, -b, a, "idx", -cx, "idy", -cy, "odx", cx,
                      "ody", cy, "oarea", oarea, "extend", VIPS_EXTEND_COPY,
                      NULL);
  vips_area_unref(VIPS_AREA(oarea));
  return r;
}

int matte_flip(VipsImage *in, VipsImage **out, int vertical) {
  return vips_flip(in, out,
                   vertical ? VIPS_DIRECTION_VERTICAL : VIPS_DIRECTION_HORIZONTAL,
                   NULL);
}

// matte_replicate repeats in across times side by side and down times
// top to bottom (lazily: the copies are not stored).
int matte_replicate(VipsImage *in, VipsImage **out, int across, int down) {
  return vips_replicate(in, out, across, down, NULL);
}

// matte_embed places in at (x, y) on a width x height canvas of bg.
int matte_embed(VipsImage *in, VipsImage **out, int x, int y, int width,
                int height, double *bg, int n) {
  VipsArrayDouble *background = vips_array_double_new(bg, n);
  int r = vips_embed(in, out, x, y, width, height, "extend",
                     VIPS_EXTEND_BACKGROUND, "background", background, NULL);
  vips_area_unref(VIPS_AREA(background));
  return r;
}

// matte_embed_edges places in at (x, y) on a width x height canvas whose
// new pixels repeat in's nearest edge pixels.
int matte_embed_edges(VipsImage *in, VipsImage **out, int x, int y, int width,
                      int height) {
  return vips_embed(in, out, x, y, width, height, "extend", VIPS_EXTEND_COPY,
                    NULL);
}

struct resize_args {
  double hscale, vscale;
  int kernel;
};

static int resize_op(VipsImage *in, VipsImage **out, void *arg) {
  struct resize_args *a = arg;
  return vips_resize(in, out, a->hscale, "vscale", a->vscale, "kernel",
                     a->kernel, NULL);
}

// matte_resize_kernel scales by hscale x vscale with kernel, premultiplied
// (see premultiplied).
int matte_resize_kernel(VipsImage *in, VipsImage **out, double hscale,
                        double vscale, int kernel) {
  struct resize_args a = {hscale, vscale, kernel};
  return premultiplied(in, out, resize_op, &a, 0);
}

// ---- pixels ----

// vips_addalpha is a NULL-terminated operation in the libvips 8.18 that
// scripts/fetch-vips.sh fetches and a two-argument function in Debian's 8.14:
// Matte appends the same opaque band (65535 for 16-bit, 255 otherwise; the
// pipeline's images are 8-bit sRGB here) with bandjoin_const1, which both
// versions share.
int matte_addalpha(VipsImage *in, VipsImage **out) {
  double max_alpha = 255.0;
  if (in->Type == VIPS_INTERPRETATION_GREY16 ||
      in->Type == VIPS_INTERPRETATION_RGB16)
    max_alpha = 65535.0;
  return vips_bandjoin_const1(in, out, max_alpha, NULL);
}

int matte_flatten(VipsImage *in, VipsImage **out, double r, double g,
                  double b) {
  double bg[3] = {r, g, b};
  VipsArrayDouble *background = vips_array_double_new(bg, 3);
  int ret = vips_flatten(in, out, "background", background, NULL);
  vips_area_unref(VIPS_AREA(background));
  return ret;
}

// matte_over composites in (with alpha) over a constant colour with alpha:
// the result keeps an alpha channel.
int matte_over(VipsImage *in, VipsImage **out, double *rgba) {
  VipsImage *bg;
  if (matte_solid(&bg, vips_image_get_width(in), vips_image_get_height(in),
                  rgba, 4))
    return -1;
  int r = matte_composite(bg, in, out, 0, 0, VIPS_BLEND_MODE_OVER);
  g_object_unref(bg);
  return r;
}

struct blur_args {
  double sigma;
  int precise;
};

static int gaussblur_op(VipsImage *in, VipsImage **out, void *arg) {
  struct blur_args *a = arg;
  if (a->precise)
    return vips_gaussblur(in, out, a->sigma, "precision",
                          VIPS_PRECISION_FLOAT, NULL);
  return vips_gaussblur(in, out, a->sigma, NULL);
}

// matte_gaussblur blurs an 8-bit image with libvips' integer path, or in
// float when precise (the integer mask's rounding can shift a flat area by
// a level or two, which an unsharp mask would double; the result stays in
// float); one with alpha is blurred premultiplied (see premultiplied), in
// float when precise.
int matte_gaussblur(VipsImage *in, VipsImage **out, double sigma,
                    int precise) {
  struct blur_args a = {sigma, precise};
  return premultiplied(in, out, gaussblur_op, &a, precise);
}

int matte_sharpen(VipsImage *in, VipsImage **out, double sigma) {
  return vips_sharpen(in, out, "sigma", sigma, NULL);
}

// matte_clear_transparent sets every band of the fully transparent pixels
// of in (last band = alpha) to 0: invisible colours then cost the encoders
// nothing (long runs for deflate, flat blocks for AV1).
int matte_clear_transparent(VipsImage *in, VipsImage **out) {
  VipsImage *alpha, *visible, *zero, *black;
  int bands = vips_image_get_bands(in);
  if (vips_extract_band(in, &alpha, bands - 1, NULL)) return -1;
  int r = vips_moreeq_const1(alpha, &visible, 1, NULL);
  g_object_unref(alpha);
  if (r) return -1;
  if (vips_black(&black, in->Xsize, in->Ysize, "bands", bands, NULL)) {
    g_object_unref(visible);
    return -1;
  }
  r = vips_cast(black, &zero, vips_image_get_format(in), NULL);
  g_object_unref(black);
  if (r) {
    g_object_unref(visible);
    return -1;
  }
  r = vips_ifthenelse(visible, in, zero, out, NULL);
  g_object_unref(visible);
  g_object_unref(zero);
  return r;
}

// matte_threshold maps pixels >= t to 255 and the rest to 0.
int matte_threshold(VipsImage *in, VipsImage **out, double t) {
  return vips_relational_const1(in, out, VIPS_OPERATION_RELATIONAL_MOREEQ, t,
                                NULL);
}

// rank_extreme is a size x size (odd) minimum filter, or maximum with max,
// on an image of any size, its edge pixels repeated past it as vips_rank
// repeats them. vips_rank refuses a window larger than the image: a
// smaller image is first given those edges itself, and cut back after.
// Repeated pixels change no minimum or maximum, so a window wider than
// twice the image's longer side, which sees the whole image from every
// pixel, is narrowed to that.
static int rank_extreme(VipsImage *in, VipsImage **out, int size, int max) {
  int longer = VIPS_MAX(in->Xsize, in->Ysize);
  if (size > 2 * longer - 1) size = 2 * longer - 1;
  int index = max ? size * size - 1 : 0;
#if VIPS_MAJOR_VERSION == 8 && (VIPS_MINOR_VERSION < 17 || \
                                (VIPS_MINOR_VERSION == 17 && VIPS_MICRO_VERSION < 2))
  // Before 8.17.2 the rolling histogram vips_rank keeps for uchar windows
  // wider than 10 pixels dropped the wrong column (libvips PR 4610): an
  // erosion of a 0/255 matte came out all 0, a dilation a column short.
  // Ranking a ushort copy takes the plain path, with the same extremes.
  if (in->BandFmt == VIPS_FORMAT_UCHAR) {
    VipsImage *wide, *ranked;
    if (vips_cast(in, &wide, VIPS_FORMAT_USHORT, NULL)) return -1;
    int r = rank_extreme(wide, &ranked, size, max);
    g_object_unref(wide);
    if (r) return -1;
    r = vips_cast(ranked, out, VIPS_FORMAT_UCHAR, NULL);
    g_object_unref(ranked);
    return r;
  }
#endif
  if (size <= in->Xsize && size <= in->Ysize)
    return vips_rank(in, out, size, size, index, NULL);
  int m = size / 2;
  VipsImage *wide, *ranked;
  if (vips_embed(in, &wide, m, m, in->Xsize + 2 * m, in->Ysize + 2 * m,
                 "extend", VIPS_EXTEND_COPY, NULL))
    return -1;
  int r = vips_rank(wide, &ranked, size, size, index, NULL);
  g_object_unref(wide);
  if (r) return -1;
  r = vips_extract_area(ranked, out, m, m, in->Xsize, in->Ysize, NULL);
  g_object_unref(ranked);
  return r;
}

// matte_min_filter is a size x size minimum filter (erosion of a matte).
int matte_min_filter(VipsImage *in, VipsImage **out, int size) {
  return rank_extreme(in, out, size, 0);
}

// matte_max_filter is a size x size maximum filter (dilation).
int matte_max_filter(VipsImage *in, VipsImage **out, int size) {
  return rank_extreme(in, out, size, 1);
}

int matte_linear1(VipsImage *in, VipsImage **out, double a, double b) {
  return vips_linear1(in, out, a, b, NULL);
}

// with_alpha_of returns colour (taking over the caller's reference) with
// in's alpha band (band n) appended when in has one, as *out.
static int with_alpha_of(VipsImage *colour, VipsImage *in, int n,
                         VipsImage **out) {
  if (!vips_image_hasalpha(in)) {
    *out = colour;
    return 0;
  }
  VipsImage *al;
  if (vips_extract_band(in, &al, n, NULL)) {
    g_object_unref(colour);
    return -1;
  }
  int r = vips_bandjoin2(colour, al, out, NULL);
  g_object_unref(colour);
  g_object_unref(al);
  return r;
}

// colour_bands is in without its alpha band, if any (a new reference).
static int colour_bands(VipsImage *in, VipsImage **out) {
  int colour = in->Bands - (vips_image_hasalpha(in) ? 1 : 0);
  return vips_extract_band(in, out, 0, "n", colour, NULL);
}

// finish_colour turns sum, new colour samples of in (any format; its
// reference is taken), into in's 8-bit result: rounded and clamped, tagged
// with interpretation, in's alpha joined back.
static int finish_colour(VipsImage *sum, VipsImage *in,
                         VipsInterpretation interpretation, VipsImage **out) {
  VipsImage *clamped, *typed;
  int r = matte_clamp_uchar(sum, &clamped);
  g_object_unref(sum);
  if (r) return -1;
  r = vips_copy(clamped, &typed, "interpretation", interpretation, NULL);
  g_object_unref(clamped);
  if (r) return -1;
  return with_alpha_of(typed, in,
                       in->Bands - (vips_image_hasalpha(in) ? 1 : 0), out);
}

// map_bytes maps in (8-bit, bands bands) through lut: 256 entries of
// bands bytes, one table per band.
static int map_bytes(VipsImage *in, VipsImage **out, const unsigned char *lut,
                     int bands) {
  VipsImage *table = vips_image_new_from_memory_copy(lut, 256 * bands, 256, 1,
                                                     bands, VIPS_FORMAT_UCHAR);
  if (!table) return -1;
  int r = vips_maplut(in, out, table, NULL);
  g_object_unref(table);
  return r;
}

// matte_set_resolution is in with xres and yres res (pixels per mm).
int matte_set_resolution(VipsImage *in, VipsImage **out, double res) {
  return vips_copy(in, out, "xres", res, "yres", res, NULL);
}

// matte_equalize equalises the histogram of each colour band of an 8-bit
// image on its own, alpha kept, by the classic formula Thumbor's equalize
// uses: level v becomes round(255 × (cdf(v) − cdf_min) / (N − cdf_min)),
// cdf the band's cumulative histogram, cdf_min its value at the lowest
// level present, N the pixel count; a band with one level is left as it
// is. in is read twice (the histogram, then the map).
int matte_equalize(VipsImage *in, VipsImage **out) {
  int colour = in->Bands - (vips_image_hasalpha(in) ? 1 : 0);
  if (colour < 1 || colour > 4 || in->BandFmt != VIPS_FORMAT_UCHAR) {
    vips_error("matte_equalize", "not an 8-bit image");
    return -1;
  }
  VipsImage *base, *hist, *histd, *eq;
  if (vips_extract_band(in, &base, 0, "n", colour, NULL)) return -1;
  if (vips_hist_find(base, &hist, NULL)) {
    g_object_unref(base);
    return -1;
  }
  int r = vips_cast(hist, &histd, VIPS_FORMAT_DOUBLE, NULL);
  g_object_unref(hist);
  if (r || vips_image_wio_input(histd)) {
    if (!r) g_object_unref(histd);
    g_object_unref(base);
    return -1;
  }
  const double *h = (const double *)VIPS_IMAGE_ADDR(histd, 0, 0);
  const double n = (double)base->Xsize * base->Ysize;
  unsigned char lut[256 * 4];
  for (int b = 0; b < colour; b++) {
    double cum = 0, cdfmin = 0;
    for (int i = 0; i < 256 && cdfmin == 0; i++) cdfmin = h[i * colour + b];
    for (int i = 0; i < 256; i++) {
      cum += h[i * colour + b];
      double v = n > cdfmin ? 255.0 * (cum - cdfmin) / (n - cdfmin) : i;
      lut[i * colour + b] = (unsigned char)VIPS_CLIP(0, v + 0.5, 255);
    }
  }
  g_object_unref(histd);
  r = map_bytes(base, &eq, lut, colour);
  g_object_unref(base);
  if (r) return -1;
  return with_alpha_of(eq, in, colour, out);
}

// matte_band_means writes the mean of each of in's first n bands (at most
// in's bands) to means.
int matte_band_means(VipsImage *in, double *means, int n) {
  VipsImage *stats;
  if (n > in->Bands || vips_stats(in, &stats, NULL)) return -1;
  // stats is a double matrix: row 0 all bands, row 1 + b band b; column 4
  // the mean.
  int r = vips_image_wio_input(stats);
  if (!r)
    for (int b = 0; b < n; b++)
      means[b] = *(double *)VIPS_IMAGE_ADDR(stats, 4, b + 1);
  g_object_unref(stats);
  return r;
}

// matte_convolve correlates in with the w x h mask (row by row, not
// flipped) on every band, the edges extended by copying, as Thumbor's
// convolution filter does, and truncates the sums to 8 bits.
int matte_convolve(VipsImage *in, VipsImage **out, const double *mask, int w,
                   int h) {
  VipsImage *m = vips_image_new_matrix_from_array(w, h, mask, w * h);
  if (!m) return -1;
  VipsImage *wide, *sum, *floored;
  int r = vips_embed(in, &wide, w / 2, h / 2, in->Xsize + w - 1,
                     in->Ysize + h - 1, "extend", VIPS_EXTEND_COPY, NULL);
  if (r) {
    g_object_unref(m);
    return -1;
  }
  r = vips_conv(wide, &sum, m, "precision", VIPS_PRECISION_FLOAT, NULL);
  g_object_unref(wide);
  g_object_unref(m);
  if (r) return -1;
  r = vips_round(sum, &floored, VIPS_OPERATION_ROUND_FLOOR, NULL);
  g_object_unref(sum);
  if (r) return -1;
  VipsImage *cut;
  r = vips_extract_area(floored, &cut, w / 2, h / 2, in->Xsize, in->Ysize,
                        NULL);
  g_object_unref(floored);
  if (r) return -1;
  r = vips_cast(cut, out, VIPS_FORMAT_UCHAR, NULL);
  g_object_unref(cut);
  return r;
}

// matte_map_colour maps the red, green and blue samples of an 8-bit sRGB
// image (grey is made sRGB first) through lut, 256 entries of 3 bytes (one
// table per band); alpha kept.
int matte_map_colour(VipsImage *in, VipsImage **out, const unsigned char *lut) {
  VipsImage *colour, *srgb, *mapped;
  if (colour_bands(in, &colour)) return -1;
  int r = vips_colourspace(colour, &srgb, VIPS_INTERPRETATION_sRGB, NULL);
  g_object_unref(colour);
  if (r) return -1;
  r = map_bytes(srgb, &mapped, lut, 3);
  g_object_unref(srgb);
  if (r) return -1;
  VipsImage *typed;
  r = vips_copy(mapped, &typed, "interpretation", VIPS_INTERPRETATION_sRGB,
                NULL);
  g_object_unref(mapped);
  if (r) return -1;
  return with_alpha_of(typed, in, in->Bands - 1, out);
}

// matte_noise adds one value of libvips' Gaussian noise (mean 0, sigma,
// seeded) per pixel to every colour sample of an 8-bit image alike, alpha
// kept, rounded and clamped.
int matte_noise(VipsImage *in, VipsImage **out, double sigma, int seed) {
  VipsImage *colour, *noise, *sum;
  if (colour_bands(in, &colour)) return -1;
  if (vips_gaussnoise(&noise, in->Xsize, in->Ysize, "sigma", sigma, "mean",
                      0.0, "seed", seed, NULL)) {
    g_object_unref(colour);
    return -1;
  }
  VipsInterpretation type = colour->Type;
  int r = vips_add(colour, noise, &sum, NULL);
  g_object_unref(noise);
  g_object_unref(colour);
  if (r) return -1;
  return finish_colour(sum, in, type, out);
}

// matte_median is a size x size median filter on every band (sharp's
// median).
int matte_median(VipsImage *in, VipsImage **out, int size) {
  return vips_rank(in, out, size, size, size * size / 2, NULL);
}

// matte_grey_threshold turns in grey (libvips' B_W luminance) and every
// sample of it, alpha included, to 255 where it is >= t and 0 elsewhere,
// as sharp's threshold does; the result is sRGB again (three equal bands).
int matte_grey_threshold(VipsImage *in, VipsImage **out, double t) {
  VipsImage *bw, *cut;
  if (vips_colourspace(in, &bw, VIPS_INTERPRETATION_B_W, NULL)) return -1;
  int r = vips_relational_const1(bw, &cut, VIPS_OPERATION_RELATIONAL_MOREEQ,
                                 t, NULL);
  g_object_unref(bw);
  if (r) return -1;
  r = vips_colourspace(cut, out, VIPS_INTERPRETATION_sRGB, "source_space",
                       VIPS_INTERPRETATION_B_W, NULL);
  g_object_unref(cut);
  return r;
}

// matte_normalise stretches the CIELAB lightness of an 8-bit sRGB image so
// that its lower percentile becomes 0 and its upper percentile 100,
// clipping beyond, chroma and alpha kept (sharp's normalise). The
// percentiles are those of libvips' histogram of L (whole levels), as
// sharp reads them; a range of one level or less leaves in unchanged.
int matte_normalise(VipsImage *in, VipsImage **out, int lower, int upper) {
  VipsImage *colour, *lab, *l, *ab, *stretched, *joined, *srgb;
  if (colour_bands(in, &colour)) return -1;
  int r = vips_colourspace(colour, &lab, VIPS_INTERPRETATION_LAB, NULL);
  g_object_unref(colour);
  if (r) return -1;
  if (vips_extract_band(lab, &l, 0, NULL)) {
    g_object_unref(lab);
    return -1;
  }
  int lo = 0, hi = 0;
  double d;
  if (lower == 0) {
    r = vips_min(l, &d, NULL);
    lo = (int)d;
  } else {
    r = vips_percent(l, lower, &lo, NULL);
  }
  if (!r && upper == 100) {
    r = vips_max(l, &d, NULL);
    hi = (int)d;
  } else if (!r) {
    r = vips_percent(l, upper, &hi, NULL);
  }
  if (r || abs(hi - lo) <= 1) {
    g_object_unref(l);
    g_object_unref(lab);
    if (r) return -1;
    return vips_copy(in, out, NULL);
  }
  double f = 100.0 / (hi - lo);
  r = vips_linear1(l, &stretched, f, -lo * f, NULL);
  g_object_unref(l);
  if (r || vips_extract_band(lab, &ab, 1, "n", 2, NULL)) {
    if (!r) g_object_unref(stretched);
    g_object_unref(lab);
    return -1;
  }
  g_object_unref(lab);
  r = vips_bandjoin2(stretched, ab, &joined, NULL);
  g_object_unref(stretched);
  g_object_unref(ab);
  if (r) return -1;
  r = vips_colourspace(joined, &srgb, VIPS_INTERPRETATION_sRGB, "source_space",
                       VIPS_INTERPRETATION_LAB, NULL);
  g_object_unref(joined);
  if (r) return -1;
  return with_alpha_of(srgb, in, in->Bands - 1, out);
}

// matte_srgb_to_lab converts n sRGB colours (rgb: 3n values, 0-255) to
// CIELAB (lab: 3n floats) as libvips converts an image.
int matte_srgb_to_lab(const unsigned char *rgb, int n, float *lab) {
  VipsImage *src = vips_image_new_from_memory_copy(rgb, 3 * n, n, 1, 3,
                                                   VIPS_FORMAT_UCHAR);
  if (!src) return -1;
  src->Type = VIPS_INTERPRETATION_sRGB;
  VipsImage *conv;
  int r = vips_colourspace(src, &conv, VIPS_INTERPRETATION_LAB, "source_space",
                           VIPS_INTERPRETATION_sRGB, NULL);
  g_object_unref(src);
  if (r) return -1;
  size_t size;
  float *v = vips_image_write_to_memory(conv, &size);
  g_object_unref(conv);
  if (!v) return -1;
  memcpy(lab, v, sizeof(float) * 3 * n);
  g_free(v);
  return 0;
}

// matte_map_grey_lab recolours an 8-bit sRGB image from its grey level
// (libvips' B_W): level v becomes table[3v..3v+2], a CIELAB colour,
// converted to sRGB; alpha kept.
int matte_map_grey_lab(VipsImage *in, VipsImage **out, const float *table) {
  VipsImage *lablut = vips_image_new_from_memory_copy(
      table, sizeof(float) * 256 * 3, 256, 1, 3, VIPS_FORMAT_FLOAT);
  if (!lablut) return -1;
  lablut->Type = VIPS_INTERPRETATION_LAB;
  VipsImage *lut, *colour, *bw, *mapped, *recoloured;
  int r = vips_colourspace(lablut, &lut, VIPS_INTERPRETATION_sRGB,
                           "source_space", VIPS_INTERPRETATION_LAB, NULL);
  g_object_unref(lablut);
  if (r) return -1;
  if (colour_bands(in, &colour)) {
    g_object_unref(lut);
    return -1;
  }
  r = vips_colourspace(colour, &bw, VIPS_INTERPRETATION_B_W, NULL);
  g_object_unref(colour);
  if (!r) {
    r = vips_maplut(bw, &mapped, lut, NULL);
    g_object_unref(bw);
  }
  g_object_unref(lut);
  if (r) return -1;
  r = vips_copy(mapped, &recoloured, "interpretation",
                VIPS_INTERPRETATION_sRGB, NULL);
  g_object_unref(mapped);
  if (r) return -1;
  return with_alpha_of(recoloured, in, in->Bands - 1, out);
}

// vibrance_limit is the LCh chroma from which vibrance leaves a colour as
// it is: about that of a clearly saturated sRGB colour (pure sRGB red is
// 105, green 120, a skin tone 20-35).
#define VIBRANCE_LIMIT 80.0

// vibrance_lch scales the chroma C of an LCh image by 1 + v·(1 − C/limit)
// below limit (VIBRANCE_LIMIT) and leaves it above: v > 0 strengthens
// muted colours most and saturated ones not at all, v < 0 (down to −1)
// mutes the muted ones most. Written with |C − limit| (min(C, limit) =
// (C + limit − |C − limit|)/2), so no operation newer than libvips 8.14 is
// needed.
static int vibrance_lch(VipsImage *lch, VipsImage **out, double v) {
  const double limit = VIBRANCE_LIMIT;
  VipsImage *band[3] = {NULL, NULL, NULL}, *d = NULL, *ad = NULL, *diff = NULL,
            *factor = NULL, *scaled = NULL;
  int r = -1;
  for (int i = 0; i < 3; i++)
    if (vips_extract_band(lch, &band[i], i, NULL)) goto done;
  // factor = 1 + v − v·min(C, limit)/limit = 1 + v/2 − v·(C − |C − limit|)/(2·limit)
  if (vips_linear1(band[1], &d, 1, -limit, NULL) || vips_abs(d, &ad, NULL) ||
      vips_subtract(band[1], ad, &diff, NULL) ||
      vips_linear1(diff, &factor, -v / (2 * limit), 1 + v / 2, NULL) ||
      vips_multiply(band[1], factor, &scaled, NULL))
    goto done;
  VipsImage *joined[3] = {band[0], scaled, band[2]};
  VipsImage *t;
  if (vips_bandjoin(joined, &t, 3, NULL)) goto done;
  r = vips_copy(t, out, "interpretation", VIPS_INTERPRETATION_LCH, NULL);
  g_object_unref(t);
done:
  for (int i = 0; i < 3; i++)
    if (band[i]) g_object_unref(band[i]);
  if (d) g_object_unref(d);
  if (ad) g_object_unref(ad);
  if (diff) g_object_unref(diff);
  if (factor) g_object_unref(factor);
  if (scaled) g_object_unref(scaled);
  return r;
}

// srgb_encode16 maps a linear value quantised to 16 bits (i/65535) to its
// 8-bit sRGB encoding (IEC 61966-2-1), rounded. Filled once.
static unsigned char srgb_encode16[65536];

static gpointer fill_srgb_encode16(gpointer data) {
  (void)data;
  for (int i = 0; i < 65536; i++) {
    double v = i / 65535.0;
    v = v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055;
    srgb_encode16[i] = (unsigned char)(v * 255 + 0.5);
  }
  return NULL;
}

// luminance_grey is the 1-band 8-bit grey of an 8-bit sRGB image's
// luminance: Y = 0.2126 R + 0.7152 G + 0.0722 B of the linear samples,
// sRGB-encoded (the grey of the same CIE lightness, as an LCh chroma of 0
// gives), the same in every libvips version.
static int luminance_grey(VipsImage *in, VipsImage **out) {
  static GOnce once = G_ONCE_INIT;
  g_once(&once, fill_srgb_encode16, NULL);
  VipsImage *lin = NULL, *y = NULL, *scaled = NULL, *y16 = NULL,
            *table = NULL;
  double weights[3] = {0.2126, 0.7152, 0.0722};
  VipsImage *matrix = vips_image_new_matrix_from_array(3, 1, weights, 3);
  int r = -1;
  if (!matrix) return -1;
  if (vips_colourspace(in, &lin, VIPS_INTERPRETATION_scRGB, NULL) ||
      vips_recomb(lin, &y, matrix, NULL) ||
      vips_linear1(y, &scaled, 65535, 0.5, NULL) ||
      vips_cast(scaled, &y16, VIPS_FORMAT_USHORT, NULL))
    goto done;
  table = vips_image_new_from_memory(srgb_encode16, sizeof(srgb_encode16),
                                     65536, 1, 1, VIPS_FORMAT_UCHAR);
  if (!table) goto done;
  VipsImage *mapped;
  if (vips_maplut(y16, &mapped, table, NULL)) goto done;
  r = vips_copy(mapped, out, "interpretation", VIPS_INTERPRETATION_B_W, NULL);
  g_object_unref(mapped);
done:
  g_object_unref(matrix);
  if (lin) g_object_unref(lin);
  if (y) g_object_unref(y);
  if (scaled) g_object_unref(scaled);
  if (y16) g_object_unref(y16);
  if (table) g_object_unref(table);
  return r;
}

// matte_adjust changes the colours of an 8-bit sRGB (or grey) image, alpha
// kept as it is: in LCh, the chroma is changed by vibrance (vibrance_lch),
// then the lightness and chroma are scaled by lightness and chroma, and hue
// degrees are added to the hue (sRGB only: grey has none of them); then every pixel's
// colour samples v (a column of 3) become m·v + b, m a row-major 3x3 matrix,
// then (gamma not 0 or 1) 255·(v/255)^(1/gamma). An m that mixes channels (any off-diagonal entry, or unequal diagonal
// ones) makes a grey image sRGB first. The result is rounded and clamped to
// 8 bits.
int matte_adjust(VipsImage *in, VipsImage **out, double lightness,
                 double chroma, double vibrance, double hue, const double *m,
                 const double *b, double gamma) {
  int alpha = vips_image_hasalpha(in);
  int colour = in->Bands - (alpha ? 1 : 0);
  int mixes = 0;
  for (int i = 0; i < 9; i++) {
    double identity_part = i % 4 == 0 ? m[0] : 0;
    if (m[i] != identity_part) mixes = 1;
  }
  if (b[1] != b[0] || b[2] != b[0]) mixes = 1;
  VipsImage *base, *t;
  if (vips_extract_band(in, &base, 0, "n", colour, NULL)) return -1;
  if (chroma == 0 && lightness == 1 && colour >= 3) {
    // No chroma left (greyscale): the LCh round trip would give each pixel
    // the grey of its own lightness, which is the sRGB encoding of its
    // luminance Y; luminance_grey computes that directly, at a fraction of
    // the cost (no cube roots, atan2 or sines). Hue and vibrance have
    // nothing to act on.
    VipsImage *grey;
    int r = luminance_grey(base, &grey);
    g_object_unref(base);
    if (r) return -1;
    VipsImage *bands[3] = {grey, grey, grey}, *joined;
    r = vips_bandjoin(bands, &joined, 3, NULL);
    g_object_unref(grey);
    if (r) return -1;
    r = vips_copy(joined, &base, "interpretation", VIPS_INTERPRETATION_sRGB,
                  NULL);
    g_object_unref(joined);
    if (r) return -1;
  } else if ((lightness != 1 || chroma != 1 || hue != 0) && vibrance == 0 &&
             colour >= 3) {
    // Scaling L and C and turning h in LCh is, in Lab, one matrix: L times
    // lightness, and (a, b) turned by hue and scaled by chroma. Lab skips
    // the LCh conversion's atan2, hypot and sines both ways.
    double rad = hue * M_PI / 180, c = cos(rad) * chroma, s = sin(rad) * chroma;
    double k[9] = {lightness, 0, 0, 0, c, -s, 0, s, c};
    VipsImage *matrix = vips_image_new_matrix_from_array(3, 3, k, 9);
    if (!matrix) {
      g_object_unref(base);
      return -1;
    }
    VipsImage *lab, *turned;
    int r = vips_colourspace(base, &lab, VIPS_INTERPRETATION_LAB, NULL);
    g_object_unref(base);
    if (!r) {
      r = vips_recomb(lab, &turned, matrix, NULL);
      g_object_unref(lab);
    }
    g_object_unref(matrix);
    if (r) return -1;
    VipsImage *tagged;
    r = vips_copy(turned, &tagged, "interpretation", VIPS_INTERPRETATION_LAB,
                  NULL);
    g_object_unref(turned);
    if (r) return -1;
    r = vips_colourspace(tagged, &base, VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(tagged);
    if (r) return -1;
  } else if ((lightness != 1 || chroma != 1 || vibrance != 0 || hue != 0) &&
             colour >= 3) {
    VipsImage *lch, *turned;
    double ka[3] = {lightness, chroma, 1}, kb[3] = {0, 0, hue};
    int r = vips_colourspace(base, &lch, VIPS_INTERPRETATION_LCH, NULL);
    g_object_unref(base);
    if (r) return -1;
    if (vibrance != 0) {
      VipsImage *vibrant;
      r = vibrance_lch(lch, &vibrant, vibrance);
      g_object_unref(lch);
      if (r) return -1;
      lch = vibrant;
    }
    r = vips_linear(lch, &turned, ka, kb, 3, NULL);
    g_object_unref(lch);
    if (r) return -1;
    r = vips_colourspace(turned, &base, VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(turned);
    if (r) return -1;
  }
  if (mixes) {
    if (colour < 3) {
      VipsImage *grey[3] = {base, base, base};
      int r = vips_bandjoin(grey, &t, 3, NULL);
      g_object_unref(base);
      if (r) return -1;
      base = t;
    }
    VipsImage *matrix = vips_image_new_matrix_from_array(3, 3, m, 9);
    if (!matrix) {
      g_object_unref(base);
      return -1;
    }
    int r = vips_recomb(base, &t, matrix, NULL);
    g_object_unref(matrix);
    g_object_unref(base);
    if (r) return -1;
    double ones[3] = {1, 1, 1};
    r = vips_linear(t, &base, ones, (double *)b, 3, NULL);
    g_object_unref(t);
    if (r) return -1;
  } else if (m[0] != 1 || b[0] != 0) {
    int r = vips_linear1(base, &t, m[0], b[0], NULL);
    g_object_unref(base);
    if (r) return -1;
    base = t;
  }
  int r = matte_clamp_uchar(base, &t);
  g_object_unref(base);
  if (r) return -1;
  if (gamma != 0 && gamma != 1) {
    // vips_gamma is in^(1/exponent), normalised to the format's range.
    VipsImage *g;
    r = vips_gamma(t, &g, "exponent", gamma, NULL);
    g_object_unref(t);
    if (r) return -1;
    r = matte_clamp_uchar(g, &t);
    g_object_unref(g);
    if (r) return -1;
  }
  if (mixes && colour < 3) {
    VipsImage *tagged;
    r = vips_copy(t, &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(t);
    if (r) return -1;
    t = tagged;
  }
  return with_alpha_of(t, in, colour, out);
}

// matte_tone maps the colour samples of an 8-bit sRGB (or grey) image,
// alpha kept: each sample v first becomes curve[v] (curve NULL: as it is);
// then every colour sample of a pixel is multiplied by gain[y], y the
// pixel's Rec. 709 luma (0.2126 R + 0.7152 G + 0.0722 B, rounded; grey: the
// sample) after the curve (gain NULL: none), and rounded and clamped to 8
// bits. A gain that depends on the luma alone keeps each pixel's ratios of
// red, green and blue, so it changes lightness and not hue.
int matte_tone(VipsImage *in, VipsImage **out, const unsigned char *curve,
               const double *gain) {
  int colour = in->Bands - (vips_image_hasalpha(in) ? 1 : 0);
  if ((colour != 1 && colour != 3) || in->BandFmt != VIPS_FORMAT_UCHAR) {
    vips_error("matte_tone", "not an 8-bit sRGB or grey image");
    return -1;
  }
  VipsImage *base, *t;
  if (vips_extract_band(in, &base, 0, "n", colour, NULL)) return -1;
  if (curve) {
    int r = map_bytes(base, &t, curve, 1);
    g_object_unref(base);
    if (r) return -1;
    base = t;
  }
  if (gain) {
    VipsImage *luma, *table, *g, *scaled;
    int r;
    if (colour == 3) {
      double weights[3] = {0.2126, 0.7152, 0.0722};
      VipsImage *matrix = vips_image_new_matrix_from_array(3, 1, weights, 3);
      if (!matrix) {
        g_object_unref(base);
        return -1;
      }
      VipsImage *y;
      r = vips_recomb(base, &y, matrix, NULL);
      g_object_unref(matrix);
      if (!r) {
        r = matte_clamp_uchar(y, &luma);
        g_object_unref(y);
      }
    } else {
      r = vips_copy(base, &luma, NULL);
    }
    if (r) {
      g_object_unref(base);
      return -1;
    }
    table = vips_image_new_from_memory_copy(gain, 256 * sizeof(double), 256,
                                            1, 1, VIPS_FORMAT_DOUBLE);
    if (!table) {
      g_object_unref(luma);
      g_object_unref(base);
      return -1;
    }
    r = vips_maplut(luma, &g, table, NULL);
    g_object_unref(table);
    g_object_unref(luma);
    if (r) {
      g_object_unref(base);
      return -1;
    }
    r = vips_multiply(base, g, &scaled, NULL);
    g_object_unref(g);
    g_object_unref(base);
    if (r) return -1;
    r = matte_clamp_uchar(scaled, &base);
    g_object_unref(scaled);
    if (r) return -1;
  }
  VipsImage *typed;
  int r = vips_copy(base, &typed, "interpretation",
                    colour == 3 ? VIPS_INTERPRETATION_sRGB
                                : VIPS_INTERPRETATION_B_W,
                    NULL);
  g_object_unref(base);
  if (r) return -1;
  return with_alpha_of(typed, in, colour, out);
}

// matte_scale_alpha multiplies in's alpha (its last band) by k, 0..1.
int matte_scale_alpha(VipsImage *in, VipsImage **out, double k) {
  int colour = in->Bands - 1;
  VipsImage *c, *a, *scaled, *a8;
  if (vips_extract_band(in, &c, 0, "n", colour, NULL)) return -1;
  if (vips_extract_band(in, &a, colour, NULL)) {
    g_object_unref(c);
    return -1;
  }
  int r = vips_linear1(a, &scaled, k, 0, NULL);
  g_object_unref(a);
  if (!r) {
    r = matte_clamp_uchar(scaled, &a8);
    g_object_unref(scaled);
  }
  if (r) {
    g_object_unref(c);
    return -1;
  }
  r = vips_bandjoin2(c, a8, out, NULL);
  g_object_unref(c);
  g_object_unref(a8);
  return r;
}

// matte_text renders markup (Pango markup: the caller escapes plain text)
// in font (a Pango font description with its size in pixels, at 72 dpi)
// as an 8-bit one-band coverage image; width > 0 wraps the lines at that
// many pixels, aligned by align (a VipsAlign).
int matte_text(VipsImage **out, const char *markup, const char *font,
               int width, int align) {
  if (width > 0)
    return vips_text(out, markup, "font", font, "dpi", 72, "width", width,
                     "align", align, NULL);
  return vips_text(out, markup, "font", font, "dpi", 72, NULL);
}

static int pixelate_op(VipsImage *in, VipsImage **out, void *arg) {
  int block = *(int *)arg;
  int w = in->Xsize, h = in->Ysize;
  int bw = (w + block - 1) / block, bh = (h + block - 1) / block;
  VipsImage *t, *u;
  // Repeat the edge so that partial blocks average only the image's pixels
  // (exactly for a constant edge, nearly otherwise).
  if (vips_embed(in, &t, 0, 0, bw * block, bh * block, "extend",
                 VIPS_EXTEND_COPY, NULL))
    return -1;
  int r = vips_shrink(t, &u, block, block, NULL);
  g_object_unref(t);
  if (r) return -1;
  r = vips_zoom(u, &t, block, block, NULL);
  g_object_unref(u);
  if (r) return -1;
  r = vips_extract_area(t, out, 0, 0, w, h, NULL);
  g_object_unref(t);
  return r;
}

// matte_pixelate replaces every block x block square of in (from the top
// left; the last row and column of blocks may be cut by the image's edge,
// and average what they cover) by its mean colour, weighted by alpha when
// there is one (premultiplied, in float). in is 8-bit; so is the result.
int matte_pixelate(VipsImage *in, VipsImage **out, int block) {
  VipsImage *mixed, *clamped;
  if (premultiplied(in, &mixed, pixelate_op, &block, 1)) return -1;
  int r = matte_clamp_uchar(mixed, &clamped);
  g_object_unref(mixed);
  if (r) return -1;
  r = vips_copy(clamped, out, "interpretation", in->Type, NULL);
  g_object_unref(clamped);
  return r;
}

// matte_unsharp sharpens in by amount times its difference from blurred (in
// blurred by a Gaussian, same size and bands): v + amount·(v - blur(v)) for
// the colour bands, alpha kept; a negative amount softens. 8-bit result.
int matte_unsharp(VipsImage *in, VipsImage *blurred, VipsImage **out,
                  double amount) {
  int alpha = vips_image_hasalpha(in);
  int colour = in->Bands - (alpha ? 1 : 0);
  VipsImage *v, *bv, *a, *b, *sum;
  if (vips_extract_band(in, &v, 0, "n", colour, NULL)) return -1;
  if (vips_extract_band(blurred, &bv, 0, "n", colour, NULL)) {
    g_object_unref(v);
    return -1;
  }
  int r = vips_linear1(v, &a, 1 + amount, 0, NULL);
  g_object_unref(v);
  if (r) {
    g_object_unref(bv);
    return -1;
  }
  r = vips_linear1(bv, &b, -amount, 0, NULL);
  g_object_unref(bv);
  if (r) {
    g_object_unref(a);
    return -1;
  }
  r = vips_add(a, b, &sum, NULL);
  g_object_unref(a);
  g_object_unref(b);
  if (r) return -1;
  return finish_colour(sum, in, in->Type, out);
}

// matte_denoise smooths and sharpens an 8-bit image against blurred (the
// same image blurred, same size and bands), alpha kept: each colour sample
// v, with b its blurred value, becomes b where |v - b| < bound (a
// deviation that small is taken as noise) and v + amount·(v - b) elsewhere
// (detail, sharpened; amount 0: kept), rounded and clamped.
int matte_denoise(VipsImage *in, VipsImage *blurred, VipsImage **out,
                  double bound, double amount) {
  int alpha = vips_image_hasalpha(in);
  int colour = in->Bands - (alpha ? 1 : 0);
  VipsImage *v = NULL, *bv = NULL, *d = NULL, *ad = NULL, *noise = NULL,
            *kept = NULL, *vf = NULL, *bf = NULL, *pick = NULL;
  int r = -1;
  if (vips_extract_band(in, &v, 0, "n", colour, NULL) ||
      vips_extract_band(blurred, &bv, 0, "n", colour, NULL) ||
      vips_cast(v, &vf, VIPS_FORMAT_FLOAT, NULL) ||
      vips_cast(bv, &bf, VIPS_FORMAT_FLOAT, NULL) ||
      vips_subtract(vf, bf, &d, NULL) || vips_abs(d, &ad, NULL) ||
      vips_relational_const1(ad, &noise, VIPS_OPERATION_RELATIONAL_LESS,
                             bound, NULL))
    goto done;
  {
    VipsImage *scaled;
    if (vips_linear1(d, &scaled, amount, 0, NULL)) goto done;
    r = vips_add(vf, scaled, &kept, NULL);
    g_object_unref(scaled);
    if (r) goto done;
    r = -1;
  }
  if (vips_ifthenelse(noise, bf, kept, &pick, NULL)) goto done;
  r = finish_colour(pick, in, in->Type, out);
  pick = NULL; // finish_colour took it
done:
  if (v) g_object_unref(v);
  if (bv) g_object_unref(bv);
  if (vf) g_object_unref(vf);
  if (bf) g_object_unref(bf);
  if (d) g_object_unref(d);
  if (ad) g_object_unref(ad);
  if (noise) g_object_unref(noise);
  if (kept) g_object_unref(kept);
  if (pick) g_object_unref(pick);
  return r;
}

// matte_clamp_uchar rounds and clamps to 0-255 8-bit.
int matte_clamp_uchar(VipsImage *in, VipsImage **out) {
  VipsImage *t;
  if (vips_round(in, &t, VIPS_OPERATION_ROUND_RINT, NULL)) return -1;
  int r = vips_cast(t, out, VIPS_FORMAT_UCHAR, NULL);
  g_object_unref(t);
  return r;
}

int matte_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out) {
  return vips_bandjoin2(a, b, out, NULL);
}

// matte_bandjoin_const_rgb is a constant RGB colour with alpha taken from a
// 1-band image.
int matte_bandjoin_const_rgb(VipsImage *alpha, VipsImage **out, double *rgb) {
  VipsImage *solid;
  if (matte_solid(&solid, vips_image_get_width(alpha),
                  vips_image_get_height(alpha), rgb, 3))
    return -1;
  int r = vips_bandjoin2(solid, alpha, out, NULL);
  g_object_unref(solid);
  return r;
}

// matte_mul255 is a * b / 255 as 8-bit (b may have one band).
int matte_mul255(VipsImage *a, VipsImage *b, VipsImage **out) {
  VipsImage *t, *u;
  if (vips_multiply(a, b, &t, NULL)) return -1;
  int r = vips_linear1(t, &u, 1.0 / 255.0, 0.0, NULL);
  g_object_unref(t);
  if (r) return -1;
  r = vips_cast(u, out, VIPS_FORMAT_UCHAR, NULL);
  g_object_unref(u);
  return r;
}

// matte_composite places overlay over base with its top left at (x, y) of
// base (overlay with alpha; what falls outside base is cut), blended by
// mode (a VipsBlendMode). The result has base's size, and alpha.
int matte_composite(VipsImage *base, VipsImage *overlay, VipsImage **out,
                    int x, int y, int mode) {
  VipsImage *t;
  if (vips_composite2(base, overlay, &t, (VipsBlendMode) mode, "x", x, "y", y,
                      NULL))
    return -1;
  int r = vips_cast(t, out, VIPS_FORMAT_UCHAR, NULL);
  g_object_unref(t);
  return r;
}

// ---- reading pixels back ----

// matte_getpoint reads the pixel at (x, y), up to 4 bands.
int matte_getpoint(VipsImage *in, int x, int y, double *out, int *n) {
  double *v;
  int len;
  if (vips_getpoint(in, &v, &len, x, y, NULL)) return -1;
  *n = len > 4 ? 4 : len;
  for (int i = 0; i < *n; i++) out[i] = v[i];
  g_free(v);
  return 0;
}

int matte_line_art_trim(void) {
#if VIPS_MAJOR_VERSION == 8 && VIPS_MINOR_VERSION < 15
  return 0;
#else
  return 1;
#endif
}

// matte_find_trim_bg finds the box that differs from background bg. An
// image under 3 pixels on a side is searched as line art: find_trim's 3x3
// median, which libvips refuses for a window larger than the image, is
// left out, so every pixel counts. libvips before 8.15 has no line art
// mode: there such an image is left whole.
int matte_find_trim_bg(VipsImage *in, double *bg, int n, double threshold,
                       int *left, int *top, int *width, int *height) {
  gboolean tiny = in->Xsize < 3 || in->Ysize < 3;
#if VIPS_MAJOR_VERSION == 8 && VIPS_MINOR_VERSION < 15
  // Before 8.15 there is no line_art, and the median cannot run: a tiny
  // image is left whole (an empty box).
  if (tiny) {
    *left = *top = *width = *height = 0;
    return 0;
  }
  VipsArrayDouble *background = vips_array_double_new(bg, n);
  int r = vips_find_trim(in, left, top, width, height, "threshold", threshold,
                         "background", background, NULL);
#else
  VipsArrayDouble *background = vips_array_double_new(bg, n);
  int r = vips_find_trim(in, left, top, width, height, "threshold", threshold,
                         "background", background, "line_art", tiny, NULL);
#endif
  vips_area_unref(VIPS_AREA(background));
  return r;
}

// matte_raw_rgb writes in's first three bands as packed 8-bit RGB.
void *matte_raw_rgb(VipsImage *in, size_t *len) {
  VipsImage *rgb;
  if (vips_image_get_bands(in) > 3) {
    if (vips_extract_band(in, &rgb, 0, "n", 3, NULL)) return NULL;
  } else {
    rgb = in;
    g_object_ref(rgb);
  }
  void *mem = vips_image_write_to_memory(rgb, len);
  g_object_unref(rgb);
  return mem;
}

// matte_write_memory renders in to a packed buffer.
void *matte_write_memory(VipsImage *in, size_t *len) {
  return vips_image_write_to_memory(in, len);
}

// matte_memory_view returns in's pixels, packed, when in holds them in
// memory (vips_image_copy_memory, vips_image_new_from_memory*), else NULL.
// They belong to in.
const void *matte_memory_view(VipsImage *in, size_t *len) {
  if (!in->data ||
      (in->dtype != VIPS_IMAGE_SETBUF && in->dtype != VIPS_IMAGE_SETBUF_FOREIGN))
    return NULL;
  *len = VIPS_IMAGE_SIZEOF_IMAGE(in);
  return in->data;
}

// ---- saving ----

// matte_jpegsave: subsample is a VipsForeignSubsample (auto: 4:2:0 below
// Q 90). trellis, deringing, scans and quant_table are mozjpeg's settings:
// a libvips without mozjpeg warns of each that is set and ignores it, so
// the caller sets them only where matte_jpeg_mozjpeg says they work.
int matte_jpegsave(VipsImage *in, void **buf, size_t *len, int q,
                   int progressive, int subsample, int trellis, int deringing,
                   int scans, int quant_table) {
  return vips_jpegsave_buffer(
      in, buf, len, "Q", q, "interlace", progressive, "subsample_mode",
      subsample, "trellis_quant", trellis, "overshoot_deringing", deringing,
      "optimize_scans", scans, "quant_table", quant_table, "strip", TRUE, NULL);
}

static void matte_quiet_log(const gchar *domain, GLogLevelFlags level,
                            const gchar *message, gpointer data) {}

// matte_jpeg_mozjpeg says whether this libvips' jpegsave honours mozjpeg's
// settings (1) or not (0): it encodes a 16x16 ramp with the Annex K and
// the flat quantisation tables, which give different bytes only where
// quant_table is honoured. The "ignoring quant_table" warning of a libvips
// without mozjpeg is dropped while it runs. It clears libvips'
// process-wide error buffer: call it only where no other thread can be
// running libvips work (vips.Init calls it before it returns to any
// caller).
int matte_jpeg_mozjpeg(void) {
  VipsImage *ramp, *img;
  if (vips_xyz(&ramp, 16, 16, NULL)) return 0;
  int r = vips_cast(ramp, &img, VIPS_FORMAT_UCHAR, NULL);
  g_object_unref(ramp);
  if (r) {
    vips_error_clear();
    return 0;
  }
  guint quiet =
      g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, matte_quiet_log, NULL);
  void *a = NULL, *b = NULL;
  size_t alen = 0, blen = 0;
  int ok = matte_jpegsave(img, &a, &alen, 75, 0, VIPS_FOREIGN_SUBSAMPLE_AUTO,
                          0, 0, 0, 0) == 0 &&
           matte_jpegsave(img, &b, &blen, 75, 0, VIPS_FOREIGN_SUBSAMPLE_AUTO,
                          0, 0, 0, 1) == 0;
  g_log_remove_handler("VIPS", quiet);
  g_object_unref(img);
  int differ = ok && (alen != blen || memcmp(a, b, alen) != 0);
  g_free(a);
  g_free(b);
  vips_error_clear();
  return differ;
}

// matte_pngsave: bitdepth 0 writes truecolour (or grey) PNG with each row
// filtered by filter (a VipsForeignPngFilter set: one filter, or libpng's
// per-row choice among several); 1, 2, 4 or 8 quantises to a palette of at
// most 2^bitdepth colours (libimagequant, dithered), unfiltered, as
// libpng advises for palette images. interlace writes Adam7.
int matte_pngsave(VipsImage *in, void **buf, size_t *len, int compression,
                  int filter, int interlace, int bitdepth) {
  if (bitdepth == 0)
    return vips_pngsave_buffer(in, buf, len, "compression", compression,
                               "filter", filter, "interlace", interlace,
                               "strip", TRUE, NULL);
  return vips_pngsave_buffer(in, buf, len, "compression", compression, "filter",
                             VIPS_FOREIGN_PNG_FILTER_NONE, "interlace",
                             interlace, "palette", TRUE, "bitdepth", bitdepth,
                             "strip", TRUE, NULL);
}

// matte_pngsave_icc writes truecolour (or grey) PNG, unfiltered, at zlib
// level compression, with in's ICC profile, if any, and no other metadata.
int matte_pngsave_icc(VipsImage *in, void **buf, size_t *len,
                      int compression) {
#if VIPS_MAJOR_VERSION > 8 || (VIPS_MAJOR_VERSION == 8 && VIPS_MINOR_VERSION >= 15)
  return vips_pngsave_buffer(in, buf, len, "compression", compression,
                             "filter", VIPS_FOREIGN_PNG_FILTER_NONE, "keep",
                             VIPS_FOREIGN_KEEP_ICC, NULL);
#else
  // libvips before 8.15 has no "keep": save unstripped a copy that holds
  // no metadata a PNG saver writes but the ICC profile.
  VipsImage *copy;
  if (vips_copy(in, &copy, NULL))
    return -1;
  gchar **fields = vips_image_get_fields(copy);
  for (int i = 0; fields[i]; i++) {
    const char *f = fields[i];
    if (vips_isprefix("exif-", f) || vips_isprefix("png-comment-", f) ||
        strcmp(f, VIPS_META_XMP_NAME) == 0 ||
        strcmp(f, VIPS_META_IPTC_NAME) == 0 ||
        strcmp(f, VIPS_META_ORIENTATION) == 0)
      vips_image_remove(copy, f);
  }
  g_strfreev(fields);
  int r = vips_pngsave_buffer(copy, buf, len, "compression", compression,
                              "filter", VIPS_FOREIGN_PNG_FILTER_NONE, "strip",
                              FALSE, NULL);
  g_object_unref(copy);
  return r;
#endif
}

// matte_webpsave: near_lossless codes losslessly after moving pixels by at
// most what Q allows; preset is a VipsForeignWebpPreset.
int matte_webpsave(VipsImage *in, void **buf, size_t *len, int q,
                   int lossless, int near_lossless, int smart_subsample,
                   int preset) {
  return vips_webpsave_buffer(in, buf, len, "Q", q, "lossless", lossless,
                              "near_lossless", near_lossless, "smart_subsample",
                              smart_subsample, "preset", preset, "strip", TRUE,
                              NULL);
}

// matte_avifsave: full_chroma keeps 4:4:4; otherwise libvips decides
// (VIPS_FOREIGN_SUBSAMPLE_AUTO: 4:2:0 below Q 90, 4:4:4 from it).
// matte_avifsave: subsample is a VipsForeignSubsample.
int matte_avifsave(VipsImage *in, void **buf, size_t *len, int q,
                   int lossless, int effort, int subsample) {
  return vips_heifsave_buffer(in, buf, len, "Q", q, "lossless", lossless,
                              "effort", effort, "subsample_mode", subsample,
                              "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
                              "strip", TRUE, NULL);
}

int matte_gifsave(VipsImage *in, void **buf, size_t *len, int effort) {
  return vips_gifsave_buffer(in, buf, len, "strip", TRUE, "effort", effort,
                             NULL);
}

// ---- cancellation ----

struct _MatteCancel {
  gint refs;
  gint cancelled;
};

MatteCancel *matte_cancel_new(void) {
  MatteCancel *c = g_new0(MatteCancel, 1);
  c->refs = 1;
  return c;
}

void matte_cancel_set(MatteCancel *c) { g_atomic_int_set(&c->cancelled, 1); }

void matte_cancel_unref(MatteCancel *c) {
  if (g_atomic_int_dec_and_test(&c->refs)) g_free(c);
}

// matte_cancel_eval runs at every progress tick of a computation (a sink
// calls it after each tile): once the request is cancelled, it kills the
// image being computed, and the sink stops with an error before its next
// tile.
static void matte_cancel_eval(VipsImage *image, VipsProgress *progress,
                              gpointer data) {
  MatteCancel *c = data;
  if (g_atomic_int_get(&c->cancelled)) vips_image_set_kill(progress->im, TRUE);
}

static void matte_cancel_drop(gpointer data, GClosure *closure) {
  matte_cancel_unref(data);
}

// matte_watch makes im signal progress on itself, to c's handler; images
// made from im inherit the signal. The handler holds a reference to c until
// im is freed.
void matte_watch(VipsImage *im, MatteCancel *c) {
  vips_image_set_progress(im, FALSE);
  vips_image_set_progress(im, TRUE);
  g_atomic_int_inc(&c->refs);
  g_signal_connect_data(im, "eval", G_CALLBACK(matte_cancel_eval), c,
                        matte_cancel_drop, 0);
}

// matte_insert places sub over main with its top-left corner at (x, y);
// out has main's size and bands (sub is cast to them).
int matte_insert(VipsImage *main, VipsImage *sub, VipsImage **out, int x,
                 int y) {
  return vips_insert(main, sub, out, x, y, NULL);
}
