package caddymodule_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"testing"
)

// TestThumborURLs runs Thumbor URLs (thumbor.readthedocs.io "Usage")
// through the server, unsigned (no key configured).
func TestThumborURLs(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect thumbor")
	t.Run("WxH crops to the size, smart", func(t *testing.T) {
		s.image(t, "/unsafe/100x100/smart/img/photo.jpg", "jpeg", 100, 100)
	})
	t.Run("fit-in with fill pads", func(t *testing.T) {
		s.image(t, "/unsafe/fit-in/100x100/filters:fill(white):format(png)/img/photo.jpg", "png", 100, 100)
	})
	t.Run("fit-in fits", func(t *testing.T) {
		s.image(t, "/unsafe/fit-in/100x100/filters:quality(60):format(webp)/img/photo.jpg", "webp", 100, 50)
	})
	t.Run("manual crop then resize", func(t *testing.T) {
		s.image(t, "/unsafe/0x0:200x200/50x50/img/photo.jpg", "jpeg", 50, 50)
	})
	t.Run("bad filter answers 400 naming it", func(t *testing.T) {
		s.refused(t, "/unsafe/filters:equalize()/img/photo.jpg", http.StatusBadRequest, "filters:equalize")
		s.refused(t, "/unsafe/filters:quality(500)/img/photo.jpg", http.StatusBadRequest, "filters:quality")
	})
	t.Run("remote source through the allowlist", func(t *testing.T) {
		s.image(t, "/unsafe/100x0/"+s.remote+"/photo.jpg", "jpeg", 100, 50)
	})
}

// TestThumborSigned: with a key, HMAC-SHA1 signed URLs are served and
// unsafe or tampered ones refused with 403.
func TestThumborSigned(t *testing.T) {
	s := newDialectSite(t, "", `url_dialect thumbor {
			key `+thumborTestKey+`
		}`)
	sign := func(path string) string {
		mac := hmac.New(sha1.New, []byte(thumborTestKey))
		mac.Write([]byte(path))
		return "/" + base64.URLEncoding.EncodeToString(mac.Sum(nil)) + "/" + path
	}
	s.image(t, sign("80x40/img/photo.jpg"), "jpeg", 80, 40)
	s.refused(t, "/unsafe/80x40/img/photo.jpg", http.StatusForbidden, "signature")
	good := sign("80x40/img/photo.jpg")
	s.refused(t, good[:30]+"80x41/img/photo.jpg", http.StatusForbidden, "signature")
}
