package caddymodule

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestURLDialectCaddyfile(t *testing.T) {
	for _, tc := range []struct {
		block   string
		want    []URLDialectConfig
		wantErr string
	}{
		{"url_dialect cloudflare\nurl_dialect ipx", []URLDialectConfig{{Name: "cloudflare"}, {Name: "ipx"}}, ""},
		{"url_dialect imgproxy {\n key ab\n salt cd\n}\nurl_dialect thumbor {\n key k\n}",
			[]URLDialectConfig{{Name: "imgproxy", Key: "ab", Salt: "cd"}, {Name: "thumbor", Key: "k"}}, ""},
		{"url_dialect", nil, "wrong argument count"},
		{"url_dialect a b", nil, "wrong argument count"},
		{"url_dialect imgproxy {\n pepper x\n}", nil, `unrecognized url_dialect option "pepper"`},
		{"url_dialect imgproxy {\n key\n}", nil, "wrong argument count"},
		{"url_dialect imgproxy {\n preset default q:80\n preset thumb rs:fill:100:100/sh:0.5\n}",
			[]URLDialectConfig{{Name: "imgproxy", Presets: map[string]string{"default": "q:80", "thumb": "rs:fill:100:100/sh:0.5"}}}, ""},
		{"url_dialect imgproxy {\n preset thumb\n}", nil, "wrong argument count"},
		{"url_dialect imgproxy {\n preset a w:1\n preset a w:2\n}", nil, `preset "a" is given twice`},
		{"url_dialect imgproxy {\n animation_frames 60\n}", []URLDialectConfig{{Name: "imgproxy", AnimationFrames: 60}}, ""},
		{"url_dialect imgproxy {\n animation_frames 0\n}", nil, "want a count of 1 or more"},
		{"url_dialect imgproxy {\n animation_frames many\n}", nil, "want a count of 1 or more"},
		{"url_dialect cloudinary {\n cloud shop /img\n cloud blog /\n}",
			[]URLDialectConfig{{Name: "cloudinary", Clouds: map[string]string{"shop": "/img", "blog": "/"}}}, ""},
		{"url_dialect cloudinary {\n cloud shop\n}", nil, "wrong argument count"},
		{"url_dialect cloudinary {\n cloud shop /a\n cloud shop /b\n}", nil, `cloud "shop" is given twice`},
	} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("matte {\n" + tc.block + "\n}"))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.block, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(h.URLDialects, tc.want) {
			t.Errorf("%q: %+v, %v", tc.block, h.URLDialects, err)
		}
	}
	// The JSON form.
	var h Handler
	if err := json.Unmarshal([]byte(`{"url_dialects":[{"name":"imgproxy","key":"ab","salt":"cd"}]}`), &h); err != nil ||
		!reflect.DeepEqual(h.URLDialects, []URLDialectConfig{{Name: "imgproxy", Key: "ab", Salt: "cd"}}) {
		t.Fatalf("%+v %v", h.URLDialects, err)
	}
}

func TestProvisionURLDialects(t *testing.T) {
	for _, tc := range []struct {
		cfg     []URLDialectConfig
		names   []string
		signed  []bool
		wantErr string
	}{
		{[]URLDialectConfig{{Name: "thumbor"}, {Name: "cloudflare"}, {Name: "ipx"}, {Name: "imgproxy"}},
			[]string{"thumbor", "cloudflare", "ipx", "imgproxy"}, []bool{false, false, false, false}, ""},
		{[]URLDialectConfig{{Name: "imgproxy", Key: "ab", Salt: "cd"}, {Name: "thumbor", Key: "k"}},
			[]string{"imgproxy", "thumbor"}, []bool{true, true}, ""},
		{[]URLDialectConfig{{Name: "wsrv", AnimationFrames: 5}}, nil, nil, "wsrv: takes no key, salt, presets, watermark or animation_frames"},
		{[]URLDialectConfig{{Name: "akamai"}}, nil, nil, `url_dialect "akamai": unknown (want one of appwrite, astro, builderio, bunny, cloudflare, cloudflare_images, cloudimage, cloudinary, contentful, contentstack, directus, filestack, imageengine, imagekit, imgproxy, ipx, keycdn, kontent, netlify, nextjs, scene7, shopify, storyblok, supabase, thumbor, uploadcare, vercel, wordpress, wsrv)`},
		{[]URLDialectConfig{{Name: "directus", Presets: map[string]string{"card": "width=10&fit=inside"}}, {Name: "vercel"}, {Name: "supabase"}}, []string{"directus", "vercel", "supabase"}, []bool{false, false, false}, ""},
		{[]URLDialectConfig{{Name: "directus", Presets: map[string]string{"card": "fit=fill"}}}, nil, nil, `directus: preset "card": `},
		{[]URLDialectConfig{{Name: "directus", Key: "k"}}, nil, nil, "directus: takes presets only, no key, salt, watermark or animation_frames"},
		{[]URLDialectConfig{{Name: "vercel", Presets: map[string]string{"a": "w=1"}}}, nil, nil, "vercel: takes no key, salt, presets, watermark or animation_frames"},
		{[]URLDialectConfig{{Name: "ipx"}, {Name: "ipx"}}, nil, nil, "given twice"},
		{[]URLDialectConfig{{Name: "cloudflare", Key: "x"}}, nil, nil, "cloudflare: takes no key, salt, presets, watermark or animation_frames"},
		{[]URLDialectConfig{{Name: "ipx", Presets: map[string]string{"a": "w:1"}}}, nil, nil, "ipx: takes no key, salt, presets, watermark or animation_frames"},
		{[]URLDialectConfig{{Name: "imgproxy", Presets: map[string]string{"thumb": "w:1"}}}, []string{"imgproxy"}, []bool{false}, ""},
		{[]URLDialectConfig{{Name: "imgproxy", Presets: map[string]string{"thumb": "w:huge"}}}, nil, nil, `imgproxy: preset "thumb": `},
		{[]URLDialectConfig{{Name: "imgproxy", Key: "ab"}}, nil, nil, "give both key and salt"},
		{[]URLDialectConfig{{Name: "imgproxy", Key: "xyz", Salt: "ab"}}, nil, nil, "key is not hex"},
		{[]URLDialectConfig{{Name: "thumbor", Key: "k", Salt: "s"}}, nil, nil, "takes a key, no salt, presets, watermark or animation_frames"},
		{[]URLDialectConfig{{Name: "cloudinary", Clouds: map[string]string{"shop": "/img"}}}, []string{"cloudinary"}, []bool{false}, ""},
		{[]URLDialectConfig{{Name: "cloudinary", Clouds: map[string]string{"shop": "img"}}}, nil, nil, `cloudinary: cloud shop: prefix "img" is not a path`},
		{[]URLDialectConfig{{Name: "cloudinary", Key: "k"}}, nil, nil, "cloudinary: takes cloud lines only"},
		{[]URLDialectConfig{{Name: "ipx", Clouds: map[string]string{"shop": "/img"}}}, nil, nil, "ipx: takes no cloud lines"},
		{[]URLDialectConfig{{Name: "imgproxy", Clouds: map[string]string{"shop": "/img"}}}, nil, nil, "imgproxy: takes no cloud lines"},
		{[]URLDialectConfig{{Name: "directus", Clouds: map[string]string{"shop": "/img"}}}, nil, nil, "directus: takes no cloud lines"},
		{[]URLDialectConfig{{Name: "cloudflare_images", Clouds: map[string]string{"ZWd9g1K7eljCn_KDTu_MWA": "/images"}, Presets: map[string]string{"hero": "w=1366,h=768,fit=scale-down"}}, {Name: "cloudimage"}},
			[]string{"cloudflare_images", "cloudimage"}, []bool{false, false}, ""},
		{[]URLDialectConfig{{Name: "cloudflare_images", Presets: map[string]string{"hero": "w=huge"}}}, nil, nil, "cloudflare_images: preset hero: "},
		{[]URLDialectConfig{{Name: "cloudflare_images", Clouds: map[string]string{"h": "images"}}}, nil, nil, `cloudflare_images: cloud h: prefix "images" is not a path`},
		{[]URLDialectConfig{{Name: "cloudflare_images", Key: "k"}}, nil, nil, "cloudflare_images: takes preset and cloud lines only"},
		{[]URLDialectConfig{{Name: "cloudimage", Clouds: map[string]string{"h": "/img"}}}, nil, nil, "cloudimage: takes no cloud lines (they are cloudinary's and cloudflare_images')"},
		{[]URLDialectConfig{{Name: "cloudimage", Presets: map[string]string{"a": "w=1"}}}, nil, nil, "cloudimage: takes no key, salt, presets"},
	} {
		h := Handler{URLDialects: tc.cfg}
		err := h.provisionURLDialects()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: err %v, want %q", tc.cfg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(h.dialects) != len(tc.names) {
			t.Fatalf("%+v: %v", tc.cfg, err)
		}
		for i, d := range h.dialects {
			if d.Name() != tc.names[i] || d.signed != tc.signed[i] {
				t.Errorf("%+v: dialect %d is %s signed=%v", tc.cfg, i, d.Name(), d.signed)
			}
		}
	}
}
