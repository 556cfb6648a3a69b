#include "vips.h"

// matte_describe reads what buf's header says, no pixel decoded: the stored
// size (before EXIF orientation), the orientation, bands, band format,
// interpretation, resolution (pixels per mm), pages and whether it has
// alpha; *icc and *icc_len are a copy of its ICC profile (g_free it), NULL
// and 0 when it has none. icc NULL skips the profile (the probe's header
// read, on every source).
int matte_describe(void *buf, size_t len, MatteDescription *d, void **icc,
                   size_t *icc_len) {
  VipsImage *img = vips_image_new_from_buffer(buf, len, "", "access",
                                              VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!img) return -1;
  d->width = vips_image_get_width(img);
  d->height = vips_image_get_height(img);
  d->orientation = vips_image_get_orientation(img);
  d->bands = vips_image_get_bands(img);
  d->band_format = vips_image_get_format(img);
  d->interpretation = vips_image_get_interpretation(img);
  d->xres = vips_image_get_xres(img);
  d->yres = vips_image_get_yres(img);
  d->pages = vips_image_get_n_pages(img);
  d->has_alpha = vips_image_hasalpha(img);
  const void *data;
  size_t n;
  if (icc) {
    *icc = NULL;
    *icc_len = 0;
  }
  if (icc && vips_image_get_typeof(img, VIPS_META_ICC_NAME) &&
      !vips_image_get_blob(img, VIPS_META_ICC_NAME, &data, &n) && n > 0) {
    *icc = g_memdup2(data, n);
    *icc_len = n;
  }
  g_object_unref(img);
  return 0;
}
