package caddymodule_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jebosio/matte/internal/testimages"
)

// PlaygroundScreenshot is where TestPlaygroundInBrowser saves its
// screenshot, relative to the repository root (git-ignored; the README
// names it).
const PlaygroundScreenshot = "var/artifacts/playground.png"

// chromium finds Debian's chromium (scripts/setup-system.sh installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (scripts/setup-system.sh installs Debian's chromium); the playground's browser test needs it")
	return ""
}

// TestPlaygroundInBrowser drives the playground as a person would, in a
// headless chromium, through the real server: it uploads a real photo,
// turns background removal on at w=320, waits for the result, and checks
// that the shown image has transparent pixels and that the URL the page
// shows answers the very bytes it shows.
func TestPlaygroundInBrowser(t *testing.T) {
	rt := runtimeDir(t)
	browser := chromium(t)
	photo, err := filepath.Abs(filepath.Join("..", "..", "shared", "testdata", "photos", "girl-1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(photo); err != nil {
		t.Skipf("shared test data not found (%v); the browser test uploads one of its photos", err)
	}

	startSite(t, fmt.Sprintf(`timeout 2m
		rembg {
			runtime %s/lib/libonnxruntime.so
			models_dir %s/models
			allow isnet-int8
		}
		removebg
		url_dialect cloudflare
		url_dialect wsrv
		playground /playground/`, rt, rt))
	const base = "http://localhost:9080"

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // as root, chromium refuses to start with its sandbox
		chromedp.UserDataDir(t.TempDir()),
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1500),
	)...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// The first Run starts the browser, whose life is that context's: the
	// deadline goes on the steps after it.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/playground/")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	steps, cancelSteps := context.WithTimeout(ctx, 90*time.Second)
	defer cancelSteps()

	if err := chromedp.Do(steps, chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatalf("the page did not start: %v", err)
	}
	checkDialectURLs(steps, t)

	start := time.Now()
	err = chromedp.Do(steps,
		setField("#w", "320"),
		chromedp.Click(chromedp.CSS("#rembg")),
		setField("#model", "isnet-int8"),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{photo}),
	)
	if err != nil {
		t.Fatalf("filling the form: %v", err)
	}
	state, err := chromedp.Run(steps, chromedp.Poll[string](
		`(() => {
			const state = document.querySelector('#compare').dataset.state, url = document.querySelector('#after').dataset.url || '';
			return state === 'error' || (state === 'done' && url.includes('rembg=1')) ? state : false;
		})()`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(80*time.Second)))
	if err != nil || state != "done" {
		text, _ := chromedp.Run(steps, chromedp.TextContent(chromedp.CSS("#error")))
		t.Fatalf("waiting for the result: state %q, err %v; the page shows: %s", state, err, text)
	}
	t.Logf("result shown %.1fs after the upload", time.Since(start).Seconds())

	shown, err := chromedp.Run(steps, chromedp.Evaluate[shownResult](`(() => {
		const img = document.querySelector('#after');
		const c = document.createElement('canvas');
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext('2d');
		g.drawImage(img, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		let transparent = 0, opaque = 0;
		for (let i = 3; i < d.length; i += 4) { if (d[i] < 16) transparent++; if (d[i] > 240) opaque++; }
		return {URL: img.dataset.url, Width: c.width, Height: c.height, Transparent: transparent, Opaque: opaque, Total: d.length / 4,
			Status: document.querySelector('#status').textContent, Curl: document.querySelector('#curl').textContent,
			Dialects: [...document.querySelectorAll('#urls .url')].map((li) => li.dataset.dialect + ' ' + li.querySelector('code').textContent),
			Offered: [...document.querySelectorAll('#dialect option')].map((o) => o.value),
			Off: document.querySelector('#dialects-off').textContent};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shown: %s (%dx%d), status %q", shown.URL, shown.Width, shown.Height, shown.Status)
	if shown.Width != 320 || !strings.Contains(shown.URL, "w=320") || !strings.Contains(shown.URL, "model=isnet-int8") {
		t.Errorf("shown %dx%d from %q; want width 320 from a w=320&model=isnet-int8 URL", shown.Width, shown.Height, shown.URL)
	}
	if shown.Transparent < shown.Total/20 || shown.Opaque < shown.Total/20 {
		t.Errorf("shown image: %d transparent and %d opaque pixels of %d; want a cut-out subject", shown.Transparent, shown.Opaque, shown.Total)
	}
	if !strings.Contains(shown.Status, "200") || !strings.Contains(shown.Status, "MISS") {
		t.Errorf("status line %q; want the 200 and the cache outcome", shown.Status)
	}
	if !strings.Contains(shown.Curl, "/v1.0/removebg") || !strings.Contains(shown.Curl, "image_file=@'girl-1.jpg'") {
		t.Errorf("curl: %q", shown.Curl)
	}
	// Only the dialects the site answers (url_dialect cloudflare, wsrv, and
	// the query, always on) are offered; the page names the others.
	if len(shown.Dialects) != 3 || strings.Join(shown.Offered, " ") != "query cloudflare wsrv" {
		t.Errorf("dialect URLs: %q; offered %q", shown.Dialects, shown.Offered)
	}
	for _, off := range []string{"url_dialect imgproxy", "url_dialect ipx", "url_dialect nextjs", "url_dialect netlify", "url_dialect imagekit", "url_dialect thumbor",
		"url_dialect cloudinary", "url_dialect vercel", "url_dialect supabase", "url_dialect astro", "url_dialect imageengine"} {
		if !strings.Contains(shown.Off, off) {
			t.Errorf("the off note %q does not name %s", shown.Off, off)
		}
	}
	if strings.Contains(shown.Off, "url_dialect wsrv") || strings.Contains(shown.Off, "url_dialect cloudflare") {
		t.Errorf("the off note %q names a dialect that is on", shown.Off)
	}

	// The bytes the page shows, and the bytes its URL answers.
	b64, err := chromedp.Run(steps, chromedp.Evaluate[string](`fetch(document.querySelector('#after').src)
		.then((r) => r.arrayBuffer())
		.then((b) => { let s = ''; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); return btoa(s); })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	pageBytes, _ := base64.StdEncoding.DecodeString(b64)
	res, err := http.Get(base + shown.URL)
	if err != nil {
		t.Fatal(err)
	}
	urlBytes, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(pageBytes, urlBytes) || len(urlBytes) == 0 {
		t.Errorf("GET %s: %d, %d bytes; the page shows %d bytes (equal: %v)", shown.URL, res.StatusCode, len(urlBytes), len(pageBytes), bytes.Equal(pageBytes, urlBytes))
	}
	if xc := res.Header.Get("X-Cache"); xc != "HIT-MEMORY" {
		t.Errorf("the shown URL again: X-Cache %q, want HIT-MEMORY", xc)
	}
	if img, err := png.Decode(bytes.NewReader(urlBytes)); err != nil || img.Bounds().Dx() != 320 {
		t.Errorf("the shown URL's PNG: %v", err)
	}

	shot, err := chromedp.Run(steps, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if root := testimages.RepoRoot(); root != "" {
		out := filepath.Join(root, PlaygroundScreenshot)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err == nil && os.WriteFile(out, shot, 0o644) == nil {
			t.Logf("screenshot: %s", out)
		}
	}
}

// shownResult is what the page shows once the result is in.
type shownResult struct {
	URL                        string // the transform URL the page fetched
	Width, Height              int
	Transparent, Opaque, Total int // pixels with alpha < 16, > 240, all
	Status, Curl               string
	Dialects                   []string // "<id> <url>" per dialect listed
	Offered                    []string // the "Preview through" choices
	Off                        string   // the note naming the dialects off
}

// setField sets a form field's value and fires its input event, as typing
// or picking would.
func setField(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, sel, value))
}

// buildURLs runs every builder of dialects.js on the settings object
// settings (JavaScript): "<id>" is each URL, "<id> lost" what it cannot
// spell (joined by "; "), "curl" the remove.bg command.
func buildURLs(ctx context.Context, t *testing.T, settings string) map[string]string {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`import('./dialects.js').then((m) => {
		const s = `+settings+`;
		const out = {};
		for (const d of m.DIALECTS) {
			const r = d.build(s);
			out[d.id] = r.url;
			out[d.id + ' lost'] = r.lost.join('; ');
		}
		out.curl = m.removeBgCurl(s, {name: 'a.jpg'}, 'http://localhost:9080/v1.0/removebg', true).cmd;
		return out;
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("dialects.js on %s: %v", settings, err)
	}
	return got
}

// checkDialectURLs pins the page's URL builders (dialects.js) to each
// dialect's documented spelling of one transform: 320x240 cropped to cover,
// WebP at quality 80, on white, background removed.
func checkDialectURLs(ctx context.Context, t *testing.T) {
	t.Helper()
	want := map[string]string{
		"query":       "/p/src/a.jpg?w=320&h=240&fit=crop&fm=webp&q=80&rembg=1&bg=ffffff",
		"cloudflare":  "/cdn-cgi/image/width=320,height=240,fit=cover,format=webp,quality=80,background=%23ffffff,segment=foreground/p/src/a.jpg",
		"imgproxy":    "/insecure/rs:fill:320:240:1:0/q:80/bg:ffffff/plain/p/src/a.jpg@webp",
		"ipx":         "/_ipx/w_320,h_240,fit_cover,f_webp,q_80,b_ffffff/p/src/a.jpg",
		"nextjs":      "/_next/image?url=%2Fp%2Fsrc%2Fa.jpg&w=320&q=80",
		"netlify":     "/.netlify/images?url=/p/src/a.jpg&w=320&h=240&fit=cover&fm=webp&q=80",
		"wsrv":        "/?url=/p/src/a.jpg&w=320&h=240&fit=cover&output=webp&q=80&bg=ffffff",
		"imagekit":    "/p/src/a.jpg?tr=w-320,h-240,f-webp,q-80,bg-FFFFFF,e-bgremove",
		"thumbor":     "/unsafe/320x240/filters:format(webp):quality(80):fill(ffffff)/p/src/a.jpg",
		"cloudinary":  "/image/upload/e_background_removal/c_fill,w_320,h_240,b_rgb:ffffff/f_webp,q_80/p/src/a.jpg",
		"vercel":      "/_vercel/image?url=%2Fp%2Fsrc%2Fa.jpg&w=320&q=80",
		"supabase":    "/storage/v1/render/image/public/p/src/a.jpg?width=320&height=240&quality=80",
		"astro":       "/_image?href=%2Fp%2Fsrc%2Fa.jpg&w=320&h=240&fit=cover&f=webp&q=80&background=%23ffffff",
		"imageengine": "/p/src/a.jpg?imgeng=/w_320/h_240/m_cropbox/f_webp/cmpr_20",
	}
	got := buildURLs(ctx, t, `{src: '/p/src/a.jpg', w: 320, h: 240, fit: 'crop', fm: 'webp', q: 80, rembg: true, model: '', refine: false,
		cropFg: false, fgPad: 0, shadow: false, shadowOpacity: 50, bg: 'color', bgColor: 'ffffff', bgImage: '', bgBlur: 20,
		gradTop: 'ffffff', gradBottom: '000000'}`)
	for id, url := range want {
		if got[id] != url {
			t.Errorf("%s URL:\n got %s\nwant %s", id, got[id], url)
		}
	}
	// The same crop centred on the faces, without removal: each
	// dialect's face gravity ([Faces] in the README), or "faces" lost.
	faces := map[string]string{
		"query":      "/p/src/a.jpg?w=320&h=240&fit=crop&crop=faces&fm=webp",
		"cloudflare": "/cdn-cgi/image/width=320,height=240,fit=cover,gravity=face,format=webp/p/src/a.jpg",
		"imgproxy":   "/insecure/rs:fill:320:240:1:0/g:obj:face/plain/p/src/a.jpg@webp",
		"imagekit":   "/p/src/a.jpg?tr=w-320,h-240,fo-face,f-webp",
		"thumbor":    "/unsafe/320x240/smart/filters:format(webp)/p/src/a.jpg",
		"cloudinary": "/image/upload/c_fill,w_320,h_240,g_faces/f_webp/p/src/a.jpg",
		"ipx lost":   "faces",
		"astro lost": "enlarging (Astro never enlarges); faces",
	}
	gotFaces := buildURLs(ctx, t, `{src: '/p/src/a.jpg', w: 320, h: 240, fit: 'crop', faces: true, fm: 'webp', q: 0, rembg: false, model: '',
		refine: false, cropFg: false, fgPad: 0, shadow: false, shadowOpacity: 50, bg: 'none', bgColor: 'ffffff', bgImage: '', bgBlur: 20,
		gradTop: 'ffffff', gradBottom: '000000'}`)
	for id, want := range faces {
		if gotFaces[id] != want {
			t.Errorf("faces, %s:\n got %s\nwant %s", id, gotFaces[id], want)
		}
	}
	const curl = "curl \\\n     -H 'X-Api-Key: YOUR_KEY' \\\n     -F image_file=@'a.jpg' \\\n     -F size=auto \\\n     -F format=webp \\\n" +
		"     -F bg_color=ffffff \\\n     'http://localhost:9080/v1.0/removebg' \\\n     -o cutout.webp"
	if got["curl"] != curl {
		t.Errorf("curl:\n got %s\nwant %s", got["curl"], curl)
	}
}
