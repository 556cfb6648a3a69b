// Which libvips the process runs: for package vips' Info (buildinfo.go).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "vips.h"

const char *matte_vips_headers(void) { return VIPS_VERSION; }

int matte_vips_npm(void) {
#ifdef MATTE_VIPS_NPM
  return 1;
#else
  return 0;
#endif
}

// matte_vips_library is the file the dynamic linker loaded vips_version
// from, or NULL (static link).
const char *matte_vips_library(void) {
  Dl_info info;
  if (dladdr((void *)vips_version, &info) == 0) return NULL;
  return info.dli_fname;
}

static int add_object(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  GString *s = data;
  if (info->dlpi_name && info->dlpi_name[0]) {
    g_string_append(s, info->dlpi_name);
    g_string_append_c(s, '\n');
  }
  return 0;
}

// matte_loaded_objects lists the shared objects loaded in the process, one
// path a line; the caller g_frees it.
char *matte_loaded_objects(void) {
  GString *s = g_string_new(NULL);
  dl_iterate_phdr(add_object, s);
  return g_string_free(s, FALSE);
}
