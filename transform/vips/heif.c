// HEVC-coded HEIF (HEIC) through the system's libheif, for a libvips whose
// own libheif has no HEVC decoder (sharp's npm build decodes only AV1 in
// HEIF). libheif is opened at run time with dlopen, so the binary neither
// links it nor needs its headers: where libheif.so.1 is missing, HEIC stays
// a 415 and everything else works. The few declarations below follow
// libheif's public C API (libheif/heif.h, ABI-stable since 1.0; heif_init
// since 1.13, optional here).
#include <dlfcn.h>
#include <string.h>

#include "vips.h"

struct heif_context;
struct heif_image_handle;
struct heif_image;
struct heif_error {
  int code;  // 0: heif_error_Ok
  int subcode;
  const char *message;
};

enum {
  heif_compression_HEVC = 1,
  heif_colorspace_RGB = 1,
  heif_chroma_interleaved_RGB = 10,
  heif_chroma_interleaved_RGBA = 11,
  heif_channel_interleaved = 10,
};

static struct {
  const char *(*get_version)(void);
  struct heif_error (*init)(void *);
  int (*have_decoder_for_format)(int);
  struct heif_context *(*context_alloc)(void);
  void (*context_free)(struct heif_context *);
  struct heif_error (*context_read_from_memory_without_copy)(
      struct heif_context *, const void *, size_t, const void *);
  struct heif_error (*context_get_primary_image_handle)(
      struct heif_context *, struct heif_image_handle **);
  int (*image_handle_has_alpha_channel)(const struct heif_image_handle *);
  size_t (*image_handle_get_raw_color_profile_size)(
      const struct heif_image_handle *);
  struct heif_error (*image_handle_get_raw_color_profile)(
      const struct heif_image_handle *, void *);
  struct heif_error (*decode_image)(const struct heif_image_handle *,
                                    struct heif_image **, int, int,
                                    const void *);
  int (*image_get_width)(const struct heif_image *, int);
  int (*image_get_height)(const struct heif_image *, int);
  const unsigned char *(*image_get_plane_readonly)(const struct heif_image *,
                                                   int, int *);
  void (*image_release)(const struct heif_image *);
  void (*image_handle_release)(const struct heif_image_handle *);
} heif;

static const char *heif_open_error = "not tried";

// matte_heif_open loads libheif once (the caller serialises it) and says
// why it cannot decode HEVC, or NULL when it can.
const char *matte_heif_open(void) {
  static int tried;
  if (tried) return heif_open_error;
  tried = 1;
  void *lib = dlopen("libheif.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return heif_open_error = "libheif.so.1 is not installed";
#define SYM(field, name)                                      \
  if (!(*(void **)&heif.field = dlsym(lib, name)))            \
    return heif_open_error = "libheif.so.1 lacks " name;
  SYM(get_version, "heif_get_version");
  SYM(have_decoder_for_format, "heif_have_decoder_for_format");
  SYM(context_alloc, "heif_context_alloc");
  SYM(context_free, "heif_context_free");
  SYM(context_read_from_memory_without_copy,
      "heif_context_read_from_memory_without_copy");
  SYM(context_get_primary_image_handle,
      "heif_context_get_primary_image_handle");
  SYM(image_handle_has_alpha_channel, "heif_image_handle_has_alpha_channel");
  SYM(image_handle_get_raw_color_profile_size,
      "heif_image_handle_get_raw_color_profile_size");
  SYM(image_handle_get_raw_color_profile,
      "heif_image_handle_get_raw_color_profile");
  SYM(decode_image, "heif_decode_image");
  SYM(image_get_width, "heif_image_get_width");
  SYM(image_get_height, "heif_image_get_height");
  SYM(image_get_plane_readonly, "heif_image_get_plane_readonly");
  SYM(image_release, "heif_image_release");
  SYM(image_handle_release, "heif_image_handle_release");
#undef SYM
  // heif_init loads decoder plugins (libheif 1.14 and later can ship
  // libde265 as one); older versions have it built in.
  *(void **)&heif.init = dlsym(lib, "heif_init");
  if (heif.init && heif.init(NULL).code != 0)
    return heif_open_error = "heif_init failed";
  if (!heif.have_decoder_for_format(heif_compression_HEVC))
    return heif_open_error = "libheif.so.1 has no HEVC decoder";
  return heif_open_error = NULL;
}

const char *matte_heif_version(void) {
  return matte_heif_open() ? "" : heif.get_version();
}

static void matte_drop_log(const gchar *domain, GLogLevelFlags level,
                           const gchar *message, gpointer data) {}

// matte_libvips_decodes says whether libvips decodes buf's pixels (1) or
// not (0), clearing the error it leaves from libvips' process-wide error
// buffer: call it only where no other thread can be running libvips work
// (vips.Init calls it before it returns to any caller). A libvips without an HEVC decoder
// warns "error in tile 0 x 0" on stderr when it fails, which is the answer
// asked for, not a fault: libvips' warnings are dropped while it runs (once
// per process; another thread's warning in those few milliseconds is
// dropped too).
int matte_libvips_decodes(void *buf, size_t len) {
  VipsImage *out;
  double avg;
  guint quiet = g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, matte_drop_log, NULL);
  // Not pinned: buf is Go's embedded sample, there for the process's life.
  VipsBlob *blob = vips_blob_new(NULL, buf, len);
  int ok = matte_thumbnail(blob, &out, 8, 8, VIPS_SIZE_FORCE, -1, 1, 0, 0) == 0;
  vips_area_unref(VIPS_AREA(blob));
  if (ok) {
    ok = vips_avg(out, &avg, NULL) == 0;
    g_object_unref(out);
  }
  g_log_remove_handler("VIPS", quiet);
  vips_error_clear();
  return ok;
}

static int heif_failed(struct heif_error e) {
  if (e.code == 0) return 0;
  vips_error("heifload", "libheif: %s", e.message ? e.message : "error");
  return -1;
}

// matte_heif_decode decodes the primary image of buf to 8-bit sRGB (RGBA
// when it has alpha) with libheif's transformations (rotation, mirroring,
// clean aperture) applied, as libvips' heifload does, and the image's ICC
// profile attached. matte_heif_open must have returned NULL.
int matte_heif_decode(void *buf, size_t len, VipsImage **out) {
  struct heif_context *ctx = heif.context_alloc();
  struct heif_image_handle *h = NULL;
  struct heif_image *img = NULL;
  int r = -1;
  if (!ctx) {
    vips_error("heifload", "%s", "libheif: out of memory");
    return -1;
  }
  if (heif_failed(heif.context_read_from_memory_without_copy(ctx, buf, len,
                                                             NULL)) ||
      heif_failed(heif.context_get_primary_image_handle(ctx, &h)))
    goto done;
  int alpha = heif.image_handle_has_alpha_channel(h);
  if (heif_failed(heif.decode_image(
          h, &img, heif_colorspace_RGB,
          alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB,
          NULL)))
    goto done;
  int stride = 0;
  const unsigned char *pix =
      heif.image_get_plane_readonly(img, heif_channel_interleaved, &stride);
  int w = heif.image_get_width(img, heif_channel_interleaved);
  int hgt = heif.image_get_height(img, heif_channel_interleaved);
  int bands = alpha ? 4 : 3;
  if (!pix || w <= 0 || hgt <= 0 || stride < w * bands) {
    vips_error("heifload", "%s", "libheif: no interleaved plane");
    goto done;
  }
  VipsImage *im = vips_image_new_memory();
  vips_image_init_fields(im, w, hgt, bands, VIPS_FORMAT_UCHAR,
                         VIPS_CODING_NONE, VIPS_INTERPRETATION_sRGB, 1.0,
                         1.0);
  if (vips_image_write_prepare(im)) {
    g_object_unref(im);
    goto done;
  }
  for (int y = 0; y < hgt; y++)
    memcpy(VIPS_IMAGE_ADDR(im, 0, y), pix + (size_t)y * stride,
           (size_t)w * bands);
  size_t icc = heif.image_handle_get_raw_color_profile_size(h);
  if (icc > 0) {
    void *profile = g_malloc(icc);
    if (heif.image_handle_get_raw_color_profile(h, profile).code == 0)
      vips_image_set_blob(im, VIPS_META_ICC_NAME,
                          (VipsCallbackFn)vips_area_free_cb, profile, icc);
    else
      g_free(profile);
  }
  *out = im;
  r = 0;
done:
  if (img) heif.image_release(img);
  if (h) heif.image_handle_release(h);
  heif.context_free(ctx);
  return r;
}
