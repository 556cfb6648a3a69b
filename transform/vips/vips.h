// Thin C wrappers over libvips for package vips (vips.c).
//
// They exist because cgo cannot call variadic C functions, and because a
// few operations (colour conversion, compositing, gradients) take several
// libvips calls whose intermediate images Go should never see. Every
// function that makes an image returns 0 on success and -1 on failure, with
// the message in libvips' error buffer; the caller owns *out.
#ifndef MATTE_VIPS_H
#define MATTE_VIPS_H

#include <stdint.h>
#include <stdlib.h>
#include <vips/vips.h>

// ---- buffers ----
//
// A source reaches a loader as a VipsBlob, which the loader's images keep
// referenced while they may read it (vips.c explains the chain); the
// caller drops its own reference with matte_blob_unref after the call.
// matte_describe and matte_heif_hevc take a bare buf: they read it only
// while they run, their image dropped before they return.

VipsBlob *matte_pinned_blob(const void *buf, size_t len, uintptr_t handle);
void matte_blob_unref(VipsBlob *blob);
VipsImage *matte_load_blob(VipsBlob *blob, const char *option_string, ...);

// ---- loading ----

int matte_thumbnail(VipsBlob *blob, VipsImage **out, int width, int height,
                    int size, int crop, int jpeg_shrink, int is_jpeg,
                    int orientation);
int matte_kept_bands(VipsImage *in);
int matte_load_strict(VipsBlob *blob, int is_jpeg, VipsImage **out);
int matte_read_all(VipsImage *in);
int matte_heif_hevc(void *buf, size_t len);
int matte_with_orientation(VipsImage *in, VipsImage **out, int orientation);
int matte_orient(VipsImage *in, VipsImage **out, int orientation);
int matte_thumbnail_image(VipsImage *in, VipsImage **out, int width,
                          int height, int size, int crop);
VipsImage *matte_from_pixels(void *buf, size_t len, int width, int height,
                             int bands);
VipsImage *matte_new_pixels(int width, int height, int bands, void **data);
int matte_solid(VipsImage **out, int width, int height, double *c, int n);
int matte_linear_gradient(VipsImage **out, int width, int height, double kx,
                          double ky, double k0, double *from, double *to);
int matte_gradient(VipsImage **out, int width, int height, double *top,
                   double *bottom);

// ---- geometry and colour ----

int matte_copy_memory(VipsImage *in, VipsImage **out);
int matte_extract(VipsImage *in, VipsImage **out, int left, int top,
                  int width, int height);
int matte_extract_band(VipsImage *in, VipsImage **out, int band, int n);
int matte_is_srgb8(VipsImage *in);
int matte_to_srgb(VipsImage *in, VipsImage **out, int profile_is_srgb);
size_t matte_icc_profile(VipsImage *in, const void **data);
int matte_cast_uchar(VipsImage *in, VipsImage **out);
int matte_rot(VipsImage *in, VipsImage **out, int quarter_turns);
int matte_rotate(VipsImage *in, VipsImage **out, double angle, double *bg,
                 int n);
int matte_rotate_in_frame(VipsImage *in, VipsImage **out, double angle,
                          double scale);
int matte_flip(VipsImage *in, VipsImage **out, int vertical);
int matte_replicate(VipsImage *in, VipsImage **out, int across, int down);
int matte_embed(VipsImage *in, VipsImage **out, int x, int y, int width,
                int height, double *bg, int n);
int matte_embed_edges(VipsImage *in, VipsImage **out, int x, int y, int width,
                      int height);
int matte_resize_kernel(VipsImage *in, VipsImage **out, double hscale,
                        double vscale, int kernel);

// ---- pixels ----

int matte_addalpha(VipsImage *in, VipsImage **out);
int matte_flatten(VipsImage *in, VipsImage **out, double r, double g,
                  double b);
int matte_over(VipsImage *in, VipsImage **out, double *rgba);
int matte_gaussblur(VipsImage *in, VipsImage **out, double sigma,
                    int precise);
int matte_sharpen(VipsImage *in, VipsImage **out, double sigma);
int matte_clear_transparent(VipsImage *in, VipsImage **out);
int matte_threshold(VipsImage *in, VipsImage **out, double t);
int matte_min_filter(VipsImage *in, VipsImage **out, int size);
int matte_max_filter(VipsImage *in, VipsImage **out, int size);
int matte_equalize(VipsImage *in, VipsImage **out);
int matte_band_means(VipsImage *in, double *means, int n);
int matte_median(VipsImage *in, VipsImage **out, int size);
int matte_noise(VipsImage *in, VipsImage **out, double sigma, int seed);
int matte_map_colour(VipsImage *in, VipsImage **out, const unsigned char *lut);
int matte_convolve(VipsImage *in, VipsImage **out, const double *mask, int w,
                   int h);
int matte_grey_threshold(VipsImage *in, VipsImage **out, double t);
int matte_normalise(VipsImage *in, VipsImage **out, int lower, int upper);
int matte_srgb_to_lab(const unsigned char *rgb, int n, float *lab);
int matte_map_grey_lab(VipsImage *in, VipsImage **out, const float *table);
int matte_set_resolution(VipsImage *in, VipsImage **out, double res);
int matte_linear1(VipsImage *in, VipsImage **out, double a, double b);
int matte_adjust(VipsImage *in, VipsImage **out, double lightness,
                 double chroma, double vibrance, double hue, const double *m,
                 const double *b, double gamma);
int matte_tone(VipsImage *in, VipsImage **out, const unsigned char *curve,
               const double *gain);
int matte_pixelate(VipsImage *in, VipsImage **out, int block);
int matte_insert(VipsImage *main, VipsImage *sub, VipsImage **out, int x,
                 int y);
int matte_text(VipsImage **out, const char *markup, const char *font,
               int width, int align);
int matte_scale_alpha(VipsImage *in, VipsImage **out, double k);
int matte_unsharp(VipsImage *in, VipsImage *blurred, VipsImage **out,
                  double amount);
int matte_clamp_uchar(VipsImage *in, VipsImage **out);
int matte_denoise(VipsImage *in, VipsImage *blurred, VipsImage **out,
                  double bound, double amount);
int matte_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out);
int matte_bandjoin_const_rgb(VipsImage *alpha, VipsImage **out, double *rgb);
int matte_mul255(VipsImage *a, VipsImage *b, VipsImage **out);
int matte_composite(VipsImage *base, VipsImage *overlay, VipsImage **out,
                    int x, int y, int mode);

// ---- what a header says (describe.c) ----

typedef struct {
  int width, height, orientation, bands, band_format, interpretation, pages,
      has_alpha;
  double xres, yres;
} MatteDescription;

int matte_describe(void *buf, size_t len, MatteDescription *d, void **icc,
                   size_t *icc_len);

// ---- animation (frames.c) ----

int matte_load_frames(VipsBlob *blob, int page, int n, VipsImage **out);
int matte_page_height(VipsImage *in);
int matte_delays(VipsImage *in, int *out, int max);
int matte_loop(VipsImage *in);
int matte_thumbnail_frame(VipsImage *in, VipsImage **out, int width,
                          int height, int size, int crop, int orientation);
int matte_join_frames(VipsImage **in, int n, VipsImage **out, int *delays,
                      int n_delays, int loop);

// ---- reading pixels back ----

int matte_getpoint(VipsImage *in, int x, int y, double *out, int *n);
int matte_line_art_trim(void);
int matte_find_trim_bg(VipsImage *in, double *bg, int n, double threshold,
                       int *left, int *top, int *width, int *height);
void *matte_raw_rgb(VipsImage *in, size_t *len);
void *matte_write_memory(VipsImage *in, size_t *len);
const void *matte_memory_view(VipsImage *in, size_t *len);

// ---- saving (the buffer is the caller's to g_free) ----

int matte_jpegsave(VipsImage *in, void **buf, size_t *len, int q,
                   int progressive, int subsample, int trellis, int deringing,
                   int scans, int quant_table);
int matte_jpeg_mozjpeg(void);
int matte_pngsave(VipsImage *in, void **buf, size_t *len, int compression,
                  int filter, int interlace, int bitdepth);
int matte_pngsave_icc(VipsImage *in, void **buf, size_t *len,
                      int compression);
int matte_webpsave(VipsImage *in, void **buf, size_t *len, int q,
                   int lossless, int near_lossless, int smart_subsample,
                   int preset);
int matte_avifsave(VipsImage *in, void **buf, size_t *len, int q,
                   int lossless, int effort, int subsample);
int matte_gifsave(VipsImage *in, void **buf, size_t *len, int effort);

// ---- which libvips (buildinfo.c) ----

const char *matte_vips_headers(void);
int matte_vips_npm(void);
const char *matte_vips_library(void);
char *matte_loaded_objects(void);

// ---- cancellation ----

// MatteCancel is a reference-counted flag shared by the images of one
// request. Once set, the next progress tick of any computation on a watched
// image (or on an image made from one) kills that computation.
typedef struct _MatteCancel MatteCancel;

MatteCancel *matte_cancel_new(void);
void matte_cancel_set(MatteCancel *c);
void matte_cancel_unref(MatteCancel *c);
void matte_watch(VipsImage *im, MatteCancel *c);

#endif
