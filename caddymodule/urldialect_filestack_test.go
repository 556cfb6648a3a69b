package caddymodule_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestFilestackURLs runs Filestack's and Hygraph's processing URLs through
// the server. The files are their handles on the site, /pdn7PhZdT02GoYZCVYeF
// and Hygraph's /clenv0123/AbCd0123 (no extension, as Filestack names them,
// so the site names their Content-Type in a route, after matte, where it
// applies to Matte's request for the source): 400x200, red on the left half and
// blue on the right.
func TestFilestackURLs(t *testing.T) {
	dir := t.TempDir()
	photo := testPhoto(t)
	writeFiles(t, dir, map[string][]byte{"pdn7PhZdT02GoYZCVYeF": photo, "clenv0123/AbCd0123": photo})
	tester := caddytest.NewTester(t)
	tester.InitServer(globalOptions+fmt.Sprintf(`
http://localhost:9080 {
	root * %s
	route {
		matte {
			url_dialect filestack
		}
		@handle path /pdn7PhZdT02GoYZCVYeF /clenv0123/AbCd0123
		header @handle Content-Type image/jpeg
		file_server
	}
}`, dir), "caddyfile")
	s := &dialectSite{tester: tester, base: "http://localhost:9080"}
	const h, hy = "/pdn7PhZdT02GoYZCVYeF", "/clenv0123"
	red, blue := [3]uint32{255, 0, 0}, [3]uint32{0, 0, 255}
	// fit:crop crops the centre; align moves the crop.
	s.pixel(t, "/resize=width:100,height:100,fit:crop/output=format:png"+h, 25, 50, red, 100, 100)
	s.pixel(t, "/resize=width:100,height:100,fit:crop/output=format:png"+h, 75, 50, blue, 100, 100)
	s.pixel(t, "/resize=width:100,height:100,fit:crop,align:left/output=format:png"+h, 75, 50, red, 100, 100)
	// clip (the default) fits inside, enlarging; max never enlarges; scale stretches.
	s.image(t, "/resize=width:100,height:100/output=format:png"+h, "png", 100, 50)
	s.image(t, "/resize=width:800,height:800/output=format:png"+h, "png", 800, 400)
	s.image(t, "/resize=width:800,height:800,fit:max/output=format:png"+h, "png", 400, 200)
	s.pixel(t, "/resize=width:100,height:100,fit:scale/output=format:png"+h, 75, 90, blue, 100, 100)
	// The brief's chained example, and Hygraph's form with its environment id.
	s.image(t, "/resize=width:400,height:300,fit:crop/output=format:webp/compress"+h, "webp", 400, 300)
	s.image(t, hy+"/resize=fit:crop,width:200,height:150/auto_image/AbCd0123", "webp", 200, 150, "Accept", "image/webp,*/*")
	s.image(t, hy+"/resize=width:320/output=format:png/AbCd0123", "png", 320, 160)
	// filestack-js's {cache: false}: Filestack's cache control, ignored.
	s.image(t, hy+"/cache=false/resize=width:300/AbCd0123", "jpeg", 300, 150)
	s.image(t, "/resize=width:300/cache=expiry:3600"+h, "jpeg", 300, 150)
	// crop cuts source pixels; flop mirrors left to right.
	s.pixel(t, "/crop=dim:[0,0,200,200]/output=format:png"+h, 150, 100, red, 200, 200)
	s.pixel(t, "/flop/output=format:png"+h, 50, 100, blue, 400, 200)
	// monochrome leaves grey: equal samples on both halves.
	grey := s.png(t, "/monochrome/output=format:png"+h, 400, 200)
	for _, x := range []int{100, 300} {
		r, g, b, _ := grey.At(x, 100).RGBA()
		if absDiff(r>>8, g>>8) > 3 || absDiff(g>>8, b>>8) > 3 {
			t.Errorf("monochrome: pixel (%d,100) = %d %d %d, want grey", x, r>>8, g>>8, b>>8)
		}
	}
	s.image(t, "/rotate=deg:90/quality=value:60"+h, "jpeg", 200, 400)
	// A bad value, a key and a task Matte lacks are 400s naming them.
	s.refused(t, "/resize=width:0"+h, http.StatusBadRequest, "resize.width")
	s.refused(t, "/resize=width:10,w:20"+h, http.StatusBadRequest, "resize.w")
	s.refused(t, "/watermark=file:abc/resize=width:10"+h, http.StatusBadRequest, "watermark")
	// The handle itself, and a site's own paths, are not the dialect's.
	res, body := get(t, tester, s.base+h)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, photo) {
		t.Fatalf("the plain handle: status %d, %d bytes", res.StatusCode, len(body))
	}
	if res, body := get(t, tester, s.base+"/tags/golang"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("/tags/golang: status %d: %s", res.StatusCode, body)
	}
}
