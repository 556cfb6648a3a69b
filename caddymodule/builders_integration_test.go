package caddymodule_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// The imgproxy key and salt the builder script signs with and the server
// checks (hex, as imgproxy takes them).
const (
	buildersImgproxyKey  = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881"
	buildersImgproxySalt = "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5"
)

// TestBuilderURLs asks the real npm URL builders (test/clients/builders:
// unpic and @unpic/core (Cloudinary's provider included), next/image's getImageProps, @imgproxy/imgproxy-node
// signed and unsigned) for URLs of one 1200x900 JPEG, requests each through
// the server with every URL dialect on (bunny and keycdn under their own
// prefixes), and checks the answer's width,
// height and format against what the script expects.
func TestBuilderURLs(t *testing.T) {
	_, dir, node := nodeBuilders(t, "unpic")

	const base, src = "http://127.0.0.1:9080", "/img/builders.jpg"
	out, err := exec.Command(node, filepath.Join(dir, "build.mjs"), "--base", base, "--src", src,
		"--src-width", "1200", "--src-height", "900",
		"--imgproxy-key", buildersImgproxyKey, "--imgproxy-salt", buildersImgproxySalt).Output()
	if err != nil {
		t.Fatalf("build.mjs: %v", err)
	}
	var built struct {
		Accept string `json:"accept"`
		Cases  []struct {
			Provider, Builder, URL, Request, Format string
			Width, Height                           int
		} `json:"cases"`
	}
	if err := json.Unmarshal(out, &built); err != nil {
		t.Fatalf("build.mjs output: %v", err)
	}

	siteDir := t.TempDir()
	photo := builderPhoto(t, 1200, 900)
	// Directus's asset builders.jpg is /assets/builders.jpg on the site.
	// Shopify's, Storyblok's, Contentstack's, Builder.io's, Contentful's and
	// Kontent.ai's files are their paths; Uploadcare's is its UUID; Hygraph's
	// is /<env id>/<handle>; Scene7's is its /is/image/<company>/<image>;
	// Cloudflare Images' is its image id.
	writeFiles(t, siteDir, map[string][]byte{"img/builders.jpg": photo, "assets/builders.jpg": photo,
		"cdn/shop/files/builders.jpg": photo, "s/files/1/0/1/files/builders.jpg": photo, "0f2d1c1a-8c3e-4a2b-9f1e-3c2b1a0d9e8f": photo,
		"f/39898/1200x900/e4ec08624e/builders.jpg":                                               photo,
		"v3/assets/blt0123456789abcdef/blt0123456789abcde/64f5a3c2d1b0e9f8a7c6b5d4/builders.jpg": photo,
		"api/v1/image/assets/YJIGb4i01jvw0SRdL5Bt/0c3b2a1f9e8d4c7b6a5f4e3d2c1b0a99":              photo,
		"yadj1kx9rmg0/4x2ZTaKgBqTTJbbZWzbVQA/cf6f68efdcf625fdc060607df0f3baef/builders.jpg":      photo,
		"8c150fae-fba4-0115-ef12-b10a8a4e2715/916fe268-2655-44dd-966d-b09a913bbbf2/builders.jpg": photo,
		"bunny/builders.jpg": photo, "keycdn/builders.jpg": photo,
		"wp-content/uploads/2024/01/builders.jpg":                   photo,
		"v1/storage/buckets/photos/files/66f1a2b3c4d5e6f7a8b9/view": photo,
		"clxyz0123abcd/AbCdEf0123456789XyZw":                        photo, "is/image/matte/builders": photo,
		"083eb7b2-5392-4565-b69e-aff66acddd00": photo})
	// Two sites on one port: 127.0.0.1 verifies imgproxy signatures (the
	// key and salt the script signs with), localhost takes imgproxy's
	// unsigned form, as imgproxy itself does only without a key. Both allow
	// the loopback origin the remote-source URLs name. Bunny's and KeyCDN's
	// queries claim any path with their parameters (width, fit, ...), so
	// each is on only under its own prefix, in a handle block of its own.
	const site = `
%s {
	root * %s
	handle /bunny/* {
		matte {
			url_dialect bunny
			rembg off
		}
		file_server
	}
	handle /keycdn/* {
		matte {
			url_dialect keycdn
			rembg off
		}
		file_server
	}
	route {
		matte {
			url_dialect cloudflare
			url_dialect imgproxy%s
			url_dialect ipx
			url_dialect nextjs
			url_dialect netlify
			url_dialect wsrv
			url_dialect imagekit
			url_dialect thumbor
			url_dialect cloudinary
			url_dialect vercel
			url_dialect supabase
			url_dialect directus
			url_dialect shopify
			url_dialect uploadcare
			url_dialect storyblok
			url_dialect contentstack
			url_dialect builderio
			url_dialect astro
			url_dialect imageengine
			url_dialect contentful
			url_dialect kontent
			url_dialect wordpress
			url_dialect appwrite
			url_dialect filestack
			url_dialect scene7
			url_dialect cloudflare_images
			url_dialect cloudimage
			origin {
				allow_hosts 127.0.0.1
				allow_loopback_remote
			}
			rembg off
		}
		# Uploadcare's file is its UUID, a name without an extension, for
		# which file_server sends no Content-Type: the site names one.
		@uuid path /0f2d1c1a-8c3e-4a2b-9f1e-3c2b1a0d9e8f
		header @uuid Content-Type image/jpeg
		# So is Builder.io's asset id.
		@builder path /api/v1/image/assets/*
		header @builder Content-Type image/jpeg
		# And Appwrite's file id.
		@appwrite path /v1/storage/buckets/*
		header @appwrite Content-Type image/jpeg
		# So is Hygraph's handle.
		@hygraph path /clxyz0123abcd/AbCdEf0123456789XyZw
		header @hygraph Content-Type image/jpeg
		# And Scene7's image id.
		@scene7 path /is/image/*
		header @scene7 Content-Type image/jpeg
		# And Cloudflare Images' image id, /<id> on the site (in this route
		# the header matcher sees the source's path, as for the two above).
		@cfimages path /083eb7b2-5392-4565-b69e-aff66acddd00
		header @cfimages Content-Type image/jpeg
		file_server
	}
}`
	signing := fmt.Sprintf(" {\n\t\t\tkey %s\n\t\t\tsalt %s\n\t\t}", buildersImgproxyKey, buildersImgproxySalt)
	config := globalOptions + fmt.Sprintf(site, "http://127.0.0.1:9080", siteDir, signing) + fmt.Sprintf(site, "http://localhost:9080", siteDir, "")
	tester := caddytest.NewTester(t)
	tester.InitServer(config, "caddyfile")

	seen := map[string]bool{}
	for _, c := range built.Cases {
		seen[c.Provider] = true
		t.Run(c.Provider+" "+c.Builder+" "+c.Request, func(t *testing.T) {
			site := base
			if c.Provider == "imgproxy" && strings.Contains(c.Builder, "unsigned") {
				site = "http://localhost:9080"
			}
			checkBuiltImage(t, tester, site+c.Request, built.Accept, "built "+c.URL, c.Format, c.Width, c.Height)
		})
	}
	for _, p := range []string{"imgix", "cloudflare", "ipx", "nextjs", "netlify", "wsrv", "imagekit", "imgproxy", "cloudinary", "vercel", "supabase", "directus", "shopify", "uploadcare", "storyblok", "contentstack", "builder.io", "astro", "imageengine", "bunny", "keycdn", "contentful", "kontent.ai", "wordpress", "appwrite", "hygraph", "scene7", "cloudflare_images", "cloudimage"} {
		if !seen[p] {
			t.Errorf("build.mjs built no %s URL", p)
		}
	}
}

// builderPhoto is a w x h JPEG with a gradient, so that crops differ.
func builderPhoto(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
