// Stand-ins for the libvips that scripts/fetch-vips.sh fetches from npm
// (sharp's build); its vips.pc defines MATTE_VIPS_NPM. Other builds compile
// nothing from this file.
#ifdef MATTE_VIPS_NPM
#include <vips/vips.h>

// vips_magickload_buffer: bimg calls it for types libvips cannot sniff
// itself; sharp's libvips has no ImageMagick loader, and Matte refuses such
// sources before any decode, so the call always fails.
int vips_magickload_buffer(void *buf, size_t len, VipsImage **out, ...) {
  (void)buf;
  (void)len;
  *out = NULL;
  vips_error("magickload_buffer", "%s",
             "this libvips has no ImageMagick loader");
  return -1;
}
#endif
