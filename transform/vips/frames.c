#include "vips.h"

// matte_load_frames decodes n frames of an animated blob (GIF, WebP) from
// frame page (0-based; n -1: to the last) as one image: the frames stacked
// top to bottom, matte_page_height(out) rows each, with the source's
// "delay" and "loop". Decoding is strict, as in matte_thumbnail.
int matte_load_frames(VipsBlob *blob, int page, int n, VipsImage **out) {
  *out = matte_load_blob(blob, "fail_on=error", "page", page, "n", n, NULL);
  return *out ? 0 : -1;
}

// matte_page_height is the height of one frame of in (its whole height when
// in is not a stack of frames).
int matte_page_height(VipsImage *in) { return vips_image_get_page_height(in); }

// matte_delays copies at most max of in's frame delays (milliseconds) to
// out and returns how many it copied: 0 when in has none.
int matte_delays(VipsImage *in, int *out, int max) {
  int *d, n;
  if (!vips_image_get_typeof(in, "delay") ||
      vips_image_get_array_int(in, "delay", &d, &n))
    return 0;
  if (n > max) n = max;
  for (int i = 0; i < n; i++) out[i] = d[i];
  return n;
}

// matte_loop is how many times in's animation plays (0: forever, also when
// in does not say).
int matte_loop(VipsImage *in) {
  int loop = 0;
  if (vips_image_get_typeof(in, "loop")) vips_image_get_int(in, "loop", &loop);
  return loop;
}

// matte_thumbnail_frame is matte_thumbnail for one decoded frame: its
// orientation replaced as in matte_with_orientation, then resized.
int matte_thumbnail_frame(VipsImage *in, VipsImage **out, int width,
                          int height, int size, int crop, int orientation) {
  VipsImage *t;
  if (matte_with_orientation(in, &t, orientation)) return -1;
  int r = matte_thumbnail_image(t, out, width, height, size, crop);
  g_object_unref(t);
  return r;
}

// matte_orient turns in upright by its EXIF orientation, replaced first by
// orientation (1-8; 0 keeps in's own), as matte_thumbnail_frame would
// before it resizes.
int matte_orient(VipsImage *in, VipsImage **out, int orientation) {
  VipsImage *t;
  if (matte_with_orientation(in, &t, orientation)) return -1;
  int r = vips_autorot(t, out, NULL);
  g_object_unref(t);
  return r;
}

// matte_join_frames stacks n frames of one size top to bottom as an
// animation the GIF and WebP savers write frame by frame: page-height is a
// frame's height, and delays (n_delays of them, milliseconds) and loop are
// set as the loaders set them.
int matte_join_frames(VipsImage **in, int n, VipsImage **out, int *delays,
                      int n_delays, int loop) {
  VipsImage *t;
  if (vips_arrayjoin(in, &t, n, "across", 1, NULL)) return -1;
  int r = vips_copy(t, out, NULL);
  g_object_unref(t);
  if (r) return -1;
  vips_image_set_int(*out, VIPS_META_PAGE_HEIGHT, in[0]->Ysize);
  vips_image_set_int(*out, VIPS_META_N_PAGES, n);
  if (n_delays > 0) vips_image_set_array_int(*out, "delay", delays, n_delays);
  vips_image_set_int(*out, "loop", loop);
  return 0;
}
