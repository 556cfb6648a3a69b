package caddymodule_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestQueryFormURLDialects runs the documented URL forms of the Next.js
// image optimizer, Netlify Image CDN, wsrv.nl and ImageKit through the
// server (/img/photo.jpg is 400x200), with every dialect on in the order
// Caddyfile.example gives them.
func TestQueryFormURLDialects(t *testing.T) {
	s := newDialectSite(t, allowLoopback, "url_dialect cloudflare", "url_dialect imgproxy", "url_dialect ipx",
		"url_dialect thumbor", "url_dialect nextjs", "url_dialect netlify", "url_dialect wsrv", "url_dialect imagekit")
	webp := []string{"Accept", "image/avif;q=0,image/webp,*/*"}
	t.Run("nextjs", func(t *testing.T) {
		// next/image's default loader: /_next/image?url=<encoded src>&w=<width>&q=<quality>,
		// the format by Accept (nextjs.org/docs/app/api-reference/components/image).
		s.image(t, "/_next/image?url=%2Fimg%2Fphoto.jpg&w=128&q=75", "webp", 128, 64, webp...)
		s.image(t, "/_next/image?url=%2Fimg%2Fphoto.jpg&w=128&q=75", "jpeg", 128, 64, "Accept", "image/jpeg")
		// Next never enlarges: w above the source's width keeps 400.
		s.image(t, "/_next/image?url=%2Fimg%2Fphoto.jpg&w=3840&q=75", "jpeg", 400, 200, "Accept", "image/jpeg")
		s.image(t, "/_next/image?url="+url.QueryEscape(s.remote+"/photo.jpg")+"&w=64&q=75", "jpeg", 64, 32, "Accept", "image/jpeg")
		s.refused(t, "/_next/image?url=%2Fimg%2Fphoto.jpg&q=75", http.StatusBadRequest, "w")
		s.refused(t, "/_next/image?w=64&q=75", http.StatusBadRequest, "url")
	})
	t.Run("netlify", func(t *testing.T) {
		// docs.netlify.com/image-cdn/overview: /.netlify/images?url=&w=&h=&fit=&position=&fm=&q=
		s.image(t, "/.netlify/images?url=/img/photo.jpg&w=100&h=100&fit=cover", "jpeg", 100, 100, "Accept", "image/jpeg")
		s.image(t, "/.netlify/images?url=/img/photo.jpg&w=100&h=100&fit=contain&fm=png", "png", 100, 50)
		s.image(t, "/.netlify/images?url=/img/photo.jpg&w=100&h=100&fit=fill&fm=webp&q=60", "webp", 100, 100)
		s.image(t, "/.netlify/images?url=/img/photo.jpg&w=100&h=100&fit=cover&position=left&fm=png", "png", 100, 100)
		s.refused(t, "/.netlify/images?url=/img/photo.jpg&w=abc", http.StatusBadRequest, "w")
		s.refused(t, "/.netlify/images?url=/img/photo.jpg&w=100&fit=squash", http.StatusBadRequest, "fit")
	})
	t.Run("wsrv", func(t *testing.T) {
		// wsrv.nl/docs: /?url=<host/path or URL>&w=&h=&fit=&output=&q=
		s.image(t, "/?url="+url.QueryEscape(s.remote+"/photo.jpg")+"&w=100", "jpeg", 100, 50)
		s.image(t, "/?url=/img/photo.jpg&w=100&h=100&fit=cover&output=webp", "webp", 100, 100)
		s.image(t, "/?url=/img/photo.jpg&w=100&h=100&fit=contain&cbg=red&output=png", "png", 100, 100)
		s.image(t, "/?url=/img/photo.jpg&w=100&h=100&fit=fill&output=png", "png", 100, 100)
		s.image(t, "/?url=/img/photo.jpg&w=100&h=100&fit=outside", "jpeg", 200, 100)
		s.refused(t, "/?url=/img/photo.jpg&w=100&fit=squash", http.StatusBadRequest, "fit")
		// filter=sepia: wsrv's matrix on red, (0.3588, 0.2990, 0.2392) x 255;
		// duotone from black to white: a grey by lightness, red's (libvips
		// grey 127) lighter than blue's (76).
		sepia := s.png(t, "/?url=/img/photo.jpg&w=100&filter=sepia&output=png", 100, 50)
		if r, g, b, _ := sepia.At(10, 25).RGBA(); absDiff(r>>8, 91) > 6 || absDiff(g>>8, 76) > 6 || absDiff(b>>8, 61) > 6 {
			t.Errorf("filter=sepia: red pixel = %d %d %d, want about 91 76 61", r>>8, g>>8, b>>8)
		}
		duo := s.png(t, "/?url=/img/photo.jpg&w=100&filter=duotone&start=000&stop=fff&output=png", 100, 50)
		r, g, b, _ := duo.At(10, 25).RGBA()
		br, _, _, _ := duo.At(90, 25).RGBA()
		if absDiff(r, g) > 0x300 || absDiff(g, b) > 0x300 || br+0x1000 > r {
			t.Errorf("filter=duotone black to white: red pixel %x %x %x, blue pixel's red %x; want a grey, the blue darker", r, g, b, br)
		}
		s.refused(t, "/?url=/img/photo.jpg&w=100&stop=fff", http.StatusBadRequest, "stop")
		// Adjustments: bri=-40 takes 102 off the red (255 → 153); sat=0
		// greys it; hue=180 turns it towards cyan.
		if r, g, _, _ := s.png(t, "/?url=/img/photo.jpg&w=100&bri=-40&output=png", 100, 50).At(10, 25).RGBA(); absDiff(r>>8, 153) > 6 || g>>8 > 8 {
			t.Errorf("bri=-40: red pixel = %d %d, want about 153 0", r>>8, g>>8)
		}
		if r, g, b, _ := s.png(t, "/?url=/img/photo.jpg&w=100&sat=0&con=20&gam=1.5&output=png", 100, 50).At(10, 25).RGBA(); absDiff(r, g) > 0x300 || absDiff(g, b) > 0x300 {
			t.Errorf("sat=0: red pixel = %x %x %x, want a grey", r, g, b)
		}
		if r, g, b, _ := s.png(t, "/?url=/img/photo.jpg&w=100&hue=180&mod=0.9&tint=ff8000&output=png", 100, 50).At(10, 25).RGBA(); r < g || r < b {
			t.Errorf("hue=180 then tint=ff8000: pixel = %x %x %x, want the tint's orange to lead", r, g, b)
		}
		s.refused(t, "/?url=/img/photo.jpg&w=100&con=500", http.StatusBadRequest, "con")
	})
	t.Run("imagekit", func(t *testing.T) {
		// docs.imagekit.io/features/image-transformations: ?tr=w-,h-,... and /tr:.../path.
		s.image(t, "/img/photo.jpg?tr=w-100,h-100", "jpeg", 100, 100)
		s.image(t, "/tr:w-100/img/photo.jpg", "jpeg", 100, 50)
		s.image(t, "/img/photo.jpg?tr=w-100,h-100,cm-pad_resize,bg-FF0000,f-png", "png", 100, 100)
		s.image(t, "/img/photo.jpg?tr=w-100,f-webp,q-60", "webp", 100, 50)
		s.refused(t, "/img/photo.jpg?tr=w-abc", http.StatusBadRequest, "w")
		s.image(t, "/img/photo.jpg?tr=w-120,ar-4-3,e-contrast,e-usm-2-1.5-0.8-0.024", "jpeg", 120, 90)
		s.refused(t, "/img/photo.jpg?tr=ar-4-3", http.StatusBadRequest, "ar")
	})
	t.Run("imgix aliases other builders emit", func(t *testing.T) {
		s.image(t, "/img/photo.jpg?w=100&h=100&fit=cover", "jpeg", 100, 100)
		// contain is imgix fill: fitted inside and padded to the box.
		s.image(t, "/img/photo.jpg?w=100&h=100&fit=contain&fm=png", "png", 100, 100)
	})
}

// TestUnreadableQueryIsRefused: a dialect that recognises its URLs by a
// query name still claims one whose own pair url.ParseQuery cannot read
// (a bad escape, a ;), and refuses it with a 400 on query: the original
// is never served as if no option had been given.
func TestUnreadableQueryIsRefused(t *testing.T) {
	s := newDialectSite(t, "", "url_dialect imageengine", "url_dialect imagekit", "url_dialect wsrv")
	for _, u := range []string{
		"/img/photo.jpg?imgeng=/w_100/f_png%zz",
		"/img/photo.jpg?imgeng=/w_100/f_png;",
		"/img/photo.jpg?tr=w-100%zz",
		"/img/photo.jpg?tr=w-100;h-50",
		"/?url=/img/photo.jpg;w=100",
	} {
		s.refused(t, u, http.StatusBadRequest, "query")
	}
}
