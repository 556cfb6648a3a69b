package caddymodule_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestAppwriteURLs runs Appwrite Storage's file previews through the
// server. The source is the file's view path on the site (an id without an
// extension, so the site names its Content-Type): testPhoto, 400x200, red
// on the left half and blue on the right.
func TestAppwriteURLs(t *testing.T) {
	const f = "/v1/storage/buckets/photos/files/5df5acd0d48c2/"
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{f[1:] + "view": testPhoto(t)})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	matte {
		url_dialect appwrite
	}
	@file path /v1/storage/buckets/*
	header @file Content-Type image/jpeg
	file_server
}`, root), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const p = f + "preview?project=5df5acd0d48c2&output=png"
	red, blue, green := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}, [3]uint32{0, 255, 0}
	// Both sides cover the box and cut it at gravity (the centre by default).
	s.pixel(t, p+"&width=100&height=100", 25, 50, red, 100, 100)
	s.pixel(t, p+"&width=100&height=100", 75, 50, blue, 100, 100)
	s.pixel(t, p+"&width=100&height=100&gravity=left", 75, 50, red, 100, 100)
	// A quarter turn after the cut: the right (blue) square, turned; a
	// 100x50 preview turned is 50x100, red on top.
	s.pixel(t, p+"&width=100&height=100&gravity=right&rotation=90", 50, 50, blue, 100, 100)
	s.pixel(t, p+"&width=100&height=50&rotation=90", 25, 25, red, 50, 100)
	s.pixel(t, p+"&width=100&height=50&rotation=-90", 25, 25, blue, 50, 100)
	// borderWidth adds a frame of borderColor around the 100x50 image.
	s.pixel(t, p+"&width=100&borderWidth=10&borderColor=00ff00", 3, 3, green, 120, 70)
	s.pixel(t, p+"&width=100&borderWidth=10&borderColor=0f0", 30, 35, red, 120, 70)
	s.image(t, p+"&width=100&borderRadius=20", "png", 100, 50)
	// Without output, the source's format; one side keeps the ratio.
	s.image(t, f+"preview?width=200", "jpeg", 200, 100)
	s.image(t, f+"preview?height=300", "jpeg", 600, 300)
	s.image(t, f+"preview?output=webp&quality=60", "webp", 400, 200)
	s.image(t, f+"preview?project=p&borderColor=&background=&opacity=1", "jpeg", 400, 200)
	s.refused(t, f+"preview?opacity=0.5", http.StatusBadRequest, "opacity")
	s.refused(t, f+"preview?gravity=north&width=1&height=1", http.StatusBadRequest, "gravity")
	s.refused(t, f+"preview?borderWidth=3", http.StatusBadRequest, "borderWidth")
	s.refused(t, "/v1/storage/buckets/photos/files/-x/preview", http.StatusBadRequest, "path")
}
