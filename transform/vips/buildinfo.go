package vips

/*
#include "vips.h"
*/
import "C"

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"
)

// BuildInfo says which libvips the process runs and with which codecs.
type BuildInfo struct {
	// NPM is set when Matte was compiled against the libvips that
	// scripts/fetch-vips.sh fetches (its vips.pc defines MATTE_VIPS_NPM).
	NPM bool
	// Version is the loaded library's own version (vips_version_string).
	Version string
	// Headers is the version of the headers Matte was compiled against.
	Headers string
	// Library is the file the library was loaded from ("" when unknown).
	Library string
	// Components holds the versions.json that scripts/fetch-vips.sh keeps
	// one folder above the library (npm build): libvips and every codec
	// linked into it, by name. Nil for other builds.
	Components map[string]string
	// Objects lists every other shared object loaded in the process,
	// resolved to its real file name (whose suffix is the library's own
	// version), for builds whose codecs are separate libraries (Debian's).
	// Empty when Components is set.
	Objects []string
	// HEVC says who decodes HEVC-coded HEIF (HEIC): see HEVCDecoder.
	HEVC string
}

// Info reports the libvips this process runs. It starts libvips (to try
// its HEVC decoder).
func Info() BuildInfo {
	bi := BuildInfo{
		NPM:     C.matte_vips_npm() != 0,
		Version: C.GoString(C.vips_version_string()),
		Headers: C.GoString(C.matte_vips_headers()),
		HEVC:    HEVCDecoder(),
	}
	if p := C.matte_vips_library(); p != nil {
		bi.Library = C.GoString(p)
		if real, err := filepath.EvalSymlinks(bi.Library); err == nil {
			bi.Library = real
		}
		bi.Components = readVersions(filepath.Join(filepath.Dir(bi.Library), "..", "versions.json"))
	}
	if bi.Components != nil {
		return bi
	}
	list := C.matte_loaded_objects()
	defer C.g_free(C.gpointer(unsafe.Pointer(list)))
	for _, path := range strings.Split(C.GoString(list), "\n") {
		if path == "" || strings.HasPrefix(filepath.Base(path), "linux-vdso") {
			continue
		}
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
		if path != bi.Library {
			bi.Objects = append(bi.Objects, path)
		}
	}
	sort.Strings(bi.Objects)
	return bi
}

// readVersions reads a {"name": "version"} file; nil when absent or
// malformed.
func readVersions(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var m map[string]string
	if json.Unmarshal(b, &m) != nil || len(m) == 0 {
		return nil
	}
	return m
}
